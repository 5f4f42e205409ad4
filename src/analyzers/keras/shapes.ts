/**
 * Output shapes of Keras layers from their input shapes and configs (Keras' own compute_output_shape rules):
 * convolutions (1-3D, depthwise, separable, transposed; valid / same / causal padding, strides, dilation,
 * channels_last or channels_first), dense and einsum-dense, pooling and global pooling, normalisation and
 * activation layers, merges (Add, Concatenate, Multiply, Dot ...), Reshape / Flatten / Permute / RepeatVector,
 * zero-padding, cropping, up-sampling, recurrent layers (return_sequences, return_state) and their
 * Bidirectional / TimeDistributed wrappers, Embedding, attention. Batch and other None dimensions are
 * bound first. A layer without a rule (Lambda without output_shape, custom classes) gets no shape; its cost
 * and every cost after it that needs it become lower bounds.
 */
import { type ModelGraph, broadcastKnown, topologicalOrder } from '../graph';
import { LIMITS, ModelFileError } from '../errors';
import type { Json, KerasLayer } from './config';
import { kerasLayers } from './side-info';
import { MAX_DIM } from './graph-build';
import { CONV, DEPTHWISE, ELEMENTWISE_TF_OPS, GLOBAL_POOLS, MERGES, POOLS, RNN_GATES, SEPARABLE, TRANSPOSED, tfOpFunction } from './layer-classes';

export type S = number[];

export function inferKerasShapes(graph: ModelGraph, bindings: Record<string, number>): string[] {
  for (const name of graph.main.inputs) {
    const t = graph.main.tensors.get(name);
    if (t?.shape) t.shape = t.shape.map((d) => (typeof d === 'number' ? d : bindings[d] ?? 1));
  }
  const unshaped: string[] = [];
  for (const node of topologicalOrder(graph.main).order) {
    const layer = kerasLayers().get(node);
    if (!layer) continue;
    const ins = node.inputs.filter((i) => !graph.main.tensors.get(i)?.isConstant).map((i) => known(graph.main.tensors.get(i)?.shape));
    const outs = ins.every(Boolean) ? kerasOutputShapes(layer, ins as S[]) : null;
    if (!outs) {
      if (ins.every(Boolean)) unshaped.push(`${layer.className} "${node.name}"`);
      continue;
    }
    node.outputs.forEach((o, k) => {
      const s = outs[k];
      const t = graph.main.tensors.get(o);
      if (!t || !s) return;
      let n = 1;
      for (const d of s) {
        if (!Number.isSafeInteger(d) || d < 0 || d > MAX_DIM) throw new ModelFileError(graph.file, `layer "${node.name}" would output shape [${s.join(', ')}]: absurd`);
        n *= d;
      }
      if (n > LIMITS.maxTensorElements) throw new ModelFileError(graph.file, `layer "${node.name}" would output ${n} elements (shape [${s.join(', ')}]): absurd`);
      t.shape = s;
    });
  }
  return unshaped.length
    ? [`${unshaped.length} Keras layer${unshaped.length > 1 ? 's have' : ' has'} no shape rule (${unshaped.slice(0, 3).join(', ')}${unshaped.length > 3 ? ' …' : ''}): what follows ${unshaped.length > 1 ? 'them' : 'it'} is costed as a lower bound`]
    : [];
}

const known = (s: (number | string)[] | null | undefined): S | null => (s && s.every((d) => typeof d === 'number') ? (s as S) : null);

/** An int or a list of ints from a config, as n values. */
export function tuple(v: Json | undefined, n: number, def: number): number[] {
  if (typeof v === 'number') return Array(n).fill(v);
  if (Array.isArray(v)) {
    const out = v.map((x) => (typeof x === 'number' ? x : def));
    while (out.length < n) out.push(def);
    return out.slice(0, n);
  }
  return Array(n).fill(def);
}

export const int = (v: Json | undefined, def: number): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : def);
const prod = (s: S): number => s.reduce((a, b) => a * b, 1);
const axisOf = (rank: number, a: number): number => (a < 0 ? rank + a : a);

const channelsFirst = (l: KerasLayer): boolean => l.config.data_format === 'channels_first';

/** Splits [batch, ...spatial, C] (or [batch, C, ...spatial]) of a rank-(n+2) input. */
export function spatialOf(l: KerasLayer, x: S, n: number): { batch: number; c: number; sp: S } | null {
  if (x.length !== n + 2) return null;
  return channelsFirst(l) ? { batch: x[0], c: x[1], sp: x.slice(2) } : { batch: x[0], c: x[x.length - 1], sp: x.slice(1, -1) };
}

const assemble = (l: KerasLayer, batch: number, c: number, sp: S): S => (channelsFirst(l) ? [batch, c, ...sp] : [batch, ...sp, c]);

function convLength(size: number, k: number, s: number, d: number, padding: string): number {
  const ke = (k - 1) * d + 1;
  if (padding === 'same' || padding === 'causal') return Math.ceil(size / s);
  return Math.floor((size - ke) / s) + 1;
}

function deconvLength(size: number, k: number, s: number, d: number, padding: string, outPad: number | null): number {
  const ke = (k - 1) * d + 1;
  if (outPad === null) return padding === 'same' ? size * s : size * s + Math.max(ke - s, 0);
  const pad = padding === 'same' ? Math.floor(ke / 2) : 0;
  return (size - 1) * s + ke - 2 * pad + outPad;
}

/** The spatial rank of a conv / pooling class ("Conv2D" → 2). */
export function rankOf(className: string): number {
  const m = /([123])D/.exec(className);
  return m ? Number(m[1]) : 2;
}

const SAME_SHAPE = new Set([
  'BatchNormalization', 'LayerNormalization', 'GroupNormalization', 'UnitNormalization', 'Normalization', 'Rescaling', 'Activation', 'ReLU',
  'LeakyReLU', 'PReLU', 'ELU', 'Softmax', 'ThresholdedReLU', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D',
  'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization', 'Masking', 'Identity', 'RandomFlip', 'RandomRotation',
  'RandomContrast', 'RandomBrightness', 'RandomTranslation', 'RandomZoom', 'LayerScale', 'TFOpLambda:identity',
]);

/** Output shapes of one call of `l` on inputs of shapes `ins` (batch first); null when no rule applies. */
export function kerasOutputShapes(l: KerasLayer, ins: S[]): (S | null)[] | null {
  const c = l.config;
  const x = ins[0];
  const cls = l.className;
  if (SAME_SHAPE.has(cls)) return x ? [x] : null;
  if (MERGES.has(cls) || (cls === 'TFOpLambda' && ELEMENTWISE_TF_OPS.has(tfOpFunction(c) ?? ''))) return ins.length ? [broadcastKnown(ins)] : null;
  if (RNN_GATES[cls] !== undefined) return rnnShapes(l, x, 1);
  if (!x) return null;
  if (CONV.has(cls) || DEPTHWISE.has(cls) || SEPARABLE.has(cls) || TRANSPOSED.has(cls) || POOLS.has(cls)) {
    const n = rankOf(cls);
    const d = spatialOf(l, x, n);
    if (!d) return null;
    const pool = POOLS.has(cls);
    const k = pool ? tuple(c.pool_size, n, 2) : tuple(c.kernel_size, n, 1);
    const s = pool && (c.strides === null || c.strides === undefined) ? k : tuple(c.strides, n, 1);
    const dil = pool ? k.map(() => 1) : tuple(c.dilation_rate, n, 1);
    const padding = typeof c.padding === 'string' ? c.padding : 'valid';
    if (TRANSPOSED.has(cls)) {
      const op = c.output_padding === null || c.output_padding === undefined ? null : tuple(c.output_padding, n, 0);
      return [assemble(l, d.batch, int(c.filters, 0), d.sp.map((v, i) => deconvLength(v, k[i], s[i], dil[i], padding, op ? op[i] : null)))];
    }
    const out = pool ? d.c : DEPTHWISE.has(cls) ? d.c * int(c.depth_multiplier, 1) : int(c.filters, 0);
    return [assemble(l, d.batch, out, d.sp.map((v, i) => convLength(v, k[i], s[i], dil[i], padding)))];
  }
  if (GLOBAL_POOLS.has(cls)) {
    const d = spatialOf(l, x, x.length - 2);
    if (!d) return null;
    return [c.keepdims === true ? assemble(l, d.batch, d.c, d.sp.map(() => 1)) : [d.batch, d.c]];
  }
  switch (cls) {
    case 'Dense':
      return [[...x.slice(0, -1), int(c.units, 0)]];
    case 'EinsumDense': {
      const os = Array.isArray(c.output_shape) ? c.output_shape : [c.output_shape ?? null];
      const tail = os.map((d, i) => (typeof d === 'number' ? d : x[x.length - os.length + i] ?? 1));
      return [[x[0], ...tail]];
    }
    case 'Embedding':
      return [[...x, int(c.output_dim, 0)]];
    case 'Flatten':
      return [[x[0], prod(x.slice(1))]];
    case 'Reshape': {
      const t = Array.isArray(c.target_shape) ? c.target_shape.map((d) => (typeof d === 'number' ? d : -1)) : null;
      if (!t) return null;
      const knownPart = prod(t.filter((d) => d > 0));
      return [[x[0], ...t.map((d) => (d < 0 ? Math.floor(prod(x.slice(1)) / Math.max(1, knownPart)) : d))]];
    }
    case 'Permute': {
      const dims = Array.isArray(c.dims) ? c.dims.map((d) => (typeof d === 'number' ? d : 0)) : null;
      return dims && dims.length === x.length - 1 ? [[x[0], ...dims.map((d) => x[d])]] : null;
    }
    case 'RepeatVector':
      return [[x[0], int(c.n, 1), ...x.slice(1)]];
    case 'Concatenate': {
      const ax = axisOf(x.length, int(c.axis, -1));
      const out = [...x];
      out[ax] = ins.reduce((a, s) => a + (s[ax] ?? 0), 0);
      return [out];
    }
    case 'Dot': {
      const y = ins[1];
      if (!y) return null;
      const axes = tuple(c.axes, 2, -1).map((a, i) => axisOf((i ? y : x).length, a));
      return [[x[0], ...x.slice(1).filter((_, i) => i + 1 !== axes[0]), ...y.slice(1).filter((_, i) => i + 1 !== axes[1])].concat(x.length === 2 && y.length === 2 ? [1] : [])];
    }
    case 'ZeroPadding1D':
    case 'ZeroPadding2D':
    case 'ZeroPadding3D':
    case 'Cropping1D':
    case 'Cropping2D':
    case 'Cropping3D': {
      const n = rankOf(cls);
      const d = spatialOf(l, x, n);
      if (!d) return null;
      const raw = cls.startsWith('Zero') ? c.padding : c.cropping;
      const pairs = padPairs(raw, n, cls.startsWith('Zero') ? 1 : 0);
      const sign = cls.startsWith('Zero') ? 1 : -1;
      return [assemble(l, d.batch, d.c, d.sp.map((v, i) => v + sign * (pairs[i][0] + pairs[i][1])))];
    }
    case 'UpSampling1D':
    case 'UpSampling2D':
    case 'UpSampling3D': {
      const n = rankOf(cls);
      const d = spatialOf(l, x, n);
      if (!d) return null;
      const f = tuple(n === 1 ? c.size : c.size, n, 2);
      return [assemble(l, d.batch, d.c, d.sp.map((v, i) => v * f[i]))];
    }
    case 'Resizing':
      return x.length === 4 ? [[x[0], int(c.height, x[1]), int(c.width, x[2]), x[3]]] : null;
    case 'CenterCrop':
      return x.length === 4 ? [[x[0], int(c.height, x[1]), int(c.width, x[2]), x[3]]] : null;
    case 'Bidirectional':
      return l.wrapped ? rnnShapes(l.wrapped, x, 2, typeof c.merge_mode === 'string' ? c.merge_mode : c.merge_mode === null ? 'none' : 'concat') : null;
    case 'TimeDistributed': {
      if (!l.wrapped || x.length < 3) return null;
      const inner = kerasOutputShapes(l.wrapped, [[x[0] * x[1], ...x.slice(2)]]);
      const s = inner?.[0];
      return s ? [[x[0], x[1], ...s.slice(1)]] : null;
    }
    case 'MultiHeadAttention': {
      const out = c.output_shape;
      const tail = typeof out === 'number' ? [out] : Array.isArray(out) ? out.map((d) => (typeof d === 'number' ? d : 1)) : [x[x.length - 1]];
      return [[...x.slice(0, -1), ...tail]];
    }
    case 'Attention':
    case 'AdditiveAttention': {
      const v = ins[2] ?? ins[1];
      return v ? [[...x.slice(0, -1), v[v.length - 1]]] : null;
    }
    case 'Lambda': {
      const os = c.output_shape;
      return Array.isArray(os) && os.every((d) => typeof d === 'number') ? [[x[0], ...(os as number[])]] : null;
    }
  }
  return null;
}

/** ZeroPadding / Cropping amounts: an int, a pair per dim, or ((before, after), ...). */
function padPairs(v: Json | undefined, n: number, def: number): [number, number][] {
  if (typeof v === 'number') return Array.from({ length: n }, () => [v, v]);
  if (Array.isArray(v)) {
    return Array.from({ length: n }, (_, i) => {
      const e = n === 1 ? v : v[i];
      if (typeof e === 'number') return [e, e];
      if (Array.isArray(e)) return [typeof e[0] === 'number' ? e[0] : def, typeof e[1] === 'number' ? e[1] : def];
      return [def, def];
    });
  }
  return Array.from({ length: n }, () => [def, def]);
}

/** [batch, steps, features] → the sequence or last output, then the states. */
function rnnShapes(l: KerasLayer, x: S | undefined, directions: number, mergeMode = 'concat'): (S | null)[] | null {
  if (!x || x.length !== 3) return null;
  const units = int(l.config.units, 0);
  const width = directions === 2 && mergeMode === 'concat' ? units * 2 : units;
  const main = l.config.return_sequences === true ? [x[0], x[1], width] : [x[0], width];
  const out: (S | null)[] = [main];
  if (l.config.return_state === true) {
    const states = (l.className === 'LSTM' || l.className === 'CuDNNLSTM' ? 2 : 1) * directions;
    for (let i = 0; i < states; i++) out.push([x[0], units]);
  }
  return out;
}
