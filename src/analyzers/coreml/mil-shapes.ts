/**
 * Shapes of MIL operations whose declared output types leave dimensions unknown (flexible inputs: the
 * converter writes "?" for them). The declared type always wins where it states a size; a rule computes
 * the rest from the input shapes and the constant parameters (coremltools' MIL op definitions):
 * elementwise broadcast, shape-preserving ops, linear/matmul, conv/conv_transpose/pooling, reshape,
 * transpose, concat/split/stack, slicing, squeeze/expand_dims, reductions, gather, pad, tile, resizing,
 * list ops and loops (a loop's outputs have its loop variables' shapes).
 */
import { type GraphNode, broadcastKnown } from '../graph';
import { milInput, milInputs, milInt, milInts, milString } from './mil-node';

type S = number[];

const SAME_AS_X = new Set([
  'abs', 'acos', 'asin', 'atan', 'atanh', 'acosh', 'asinh', 'ceil', 'clip', 'cos', 'cosh', 'erf', 'exp', 'exp2', 'floor', 'inverse', 'log',
  'logical_not', 'round', 'rsqrt', 'sign', 'sin', 'sinh', 'sqrt', 'square', 'tan', 'tanh', 'threshold', 'cast', 'relu', 'relu6', 'sigmoid',
  'sigmoid_hard', 'silu', 'softplus', 'softsign', 'elu', 'gelu', 'leaky_relu', 'prelu', 'linear_activation', 'scaled_tanh', 'clamped_relu',
  'thresholded_relu', 'softplus_parametric', 'softmax', 'batch_norm', 'instance_norm', 'layer_norm', 'l2_norm', 'local_response_norm', 'identity',
  'quantize', 'dequantize', 'cumsum', 'band_part', 'argsort', 'reverse', 'reverse_sequence', 'fill_like', 'random_normal_like',
  'random_uniform_like', 'random_bernoulli_like', 'coreml_update_state', 'read_state',
]);
const BINARY = new Set([
  'add', 'sub', 'mul', 'real_div', 'pow', 'maximum', 'minimum', 'floor_div', 'mod', 'equal', 'not_equal', 'less', 'less_equal', 'greater',
  'greater_equal', 'logical_and', 'logical_or', 'logical_xor',
]);

const axisOf = (rank: number, a: number): number => (a < 0 ? rank + a : a);
const prod = (s: S): number => s.reduce((a, b) => a * b, 1);

/** Output shape `k` of a MIL op, from known input shapes; null when no rule applies or an input is unknown. */
export function milOutputShape(node: GraphNode, k: number, shapeOf: (name: string | undefined) => S | null): S | null {
  const op = node.op;
  const x = shapeOf(milInput(node, 'x'));
  if (SAME_AS_X.has(op)) return x ?? shapeOf(milInput(node, 'ls')) ?? shapeOf(node.inputs[0]);
  if (BINARY.has(op)) {
    const y = shapeOf(milInput(node, 'y'));
    return x && y ? broadcastKnown([x, y]) : null;
  }
  switch (op) {
    case 'select': {
      const s = ['cond', 'a', 'b'].map((p) => shapeOf(milInput(node, p)));
      return s.every(Boolean) ? broadcastKnown(s as S[]) : null;
    }
    case 'linear': {
      const w = shapeOf(milInput(node, 'weight'));
      return x && w && w.length === 2 ? [...x.slice(0, -1), w[0]] : null;
    }
    case 'matmul':
      return matmulShape(node, x, shapeOf(milInput(node, 'y')));
    case 'conv':
    case 'conv_transpose':
      return convShape(node, x, shapeOf(milInput(node, 'weight')));
    case 'avg_pool':
    case 'max_pool':
    case 'l2_pool':
      return poolShape(node, x);
    case 'reshape': {
      const target = milInts(node, 'shape');
      if (!x || !target) return null;
      const out = target.map((d, i) => (d === 0 ? x[i] ?? 0 : d));
      const known = prod(out.filter((d) => d > 0));
      return out.map((d) => (d < 0 ? Math.floor(prod(x) / Math.max(1, known)) : d));
    }
    case 'transpose': {
      const perm = milInts(node, 'perm');
      return x && perm && perm.length === x.length ? perm.map((p) => x[axisOf(x.length, p)]) : null;
    }
    case 'concat': {
      const parts = milInputs(node, 'values').map(shapeOf);
      if (!parts.length || parts.some((p) => !p)) return null;
      const s = parts as S[];
      const ax = axisOf(s[0].length, milInt(node, 'axis', 0));
      const out = [...s[0]];
      out[ax] = s.reduce((a, p) => a + (p[ax] ?? 0), 0);
      return out;
    }
    case 'stack': {
      const parts = milInputs(node, 'values').map(shapeOf);
      if (!parts.length || !parts[0]) return null;
      const ax = axisOf(parts[0].length + 1, milInt(node, 'axis', 0));
      return [...parts[0].slice(0, ax), parts.length, ...parts[0].slice(ax)];
    }
    case 'split': {
      if (!x) return null;
      const ax = axisOf(x.length, milInt(node, 'axis', 0));
      const sizes = milInts(node, 'split_sizes');
      const out = [...x];
      out[ax] = sizes?.[k] ?? Math.floor(x[ax] / Math.max(1, milInt(node, 'num_splits', node.outputs.length)));
      return out;
    }
    case 'slice_by_index':
      return sliceShape(node, x);
    case 'slice_by_size': {
      const size = milInts(node, 'size');
      const begin = milInts(node, 'begin');
      if (!x || !size || !begin || size.length !== x.length) return null;
      return size.map((d, i) => (d < 0 ? x[i] - begin[i] : d));
    }
    case 'squeeze': {
      if (!x) return null;
      const axes = milInts(node, 'axes');
      if (!axes) return x.filter((d) => d !== 1);
      const ax = axes.map((a) => axisOf(x.length, a));
      return x.filter((_, i) => !ax.includes(i));
    }
    case 'expand_dims': {
      const axes = milInts(node, 'axes');
      if (!x || !axes) return null;
      const rank = x.length + axes.length;
      const ax = axes.map((a) => axisOf(rank, a));
      const out: S = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : x[j++]);
      return out;
    }
    case 'gather':
    case 'gather_along_axis': {
      const idx = shapeOf(milInput(node, 'indices'));
      if (!x || !idx) return null;
      if (op === 'gather_along_axis') return idx;
      const ax = axisOf(x.length, milInt(node, 'axis', 0));
      return [...x.slice(0, ax), ...idx, ...x.slice(ax + 1)];
    }
    case 'pad': {
      const p = milInts(node, 'pad');
      if (!x || !p || p.length % 2 || p.length / 2 > x.length) return null;
      const n = p.length / 2;
      return x.map((d, i) => (i >= x.length - n ? d + p[2 * (i - x.length + n)] + p[2 * (i - x.length + n) + 1] : d));
    }
    case 'tile': {
      const r = milInts(node, 'reps');
      return x && r && r.length === x.length ? x.map((d, i) => d * r[i]) : null;
    }
    case 'upsample_nearest_neighbor':
    case 'upsample_bilinear': {
      if (!x || x.length < 2) return null;
      const sh = milInts(node, 'scale_factor_height')?.[0] ?? 1;
      const sw = milInts(node, 'scale_factor_width')?.[0] ?? 1;
      return [...x.slice(0, -2), Math.floor(x[x.length - 2] * sh), Math.floor(x[x.length - 1] * sw)];
    }
    case 'resize_bilinear':
    case 'resize_nearest_neighbor': {
      const h = milInts(node, 'target_size_height')?.[0];
      const w = milInts(node, 'target_size_width')?.[0];
      return x && h !== undefined && w !== undefined ? [...x.slice(0, -2), h, w] : null;
    }
    case 'space_to_depth':
    case 'depth_to_space':
    case 'pixel_shuffle': {
      if (!x || x.length !== 4) return null;
      const b = milInt(node, op === 'pixel_shuffle' ? 'upscale_factor' : 'block_size', 2);
      return op === 'space_to_depth' ? [x[0], x[1] * b * b, Math.floor(x[2] / b), Math.floor(x[3] / b)] : [x[0], Math.floor(x[1] / (b * b)), x[2] * b, x[3] * b];
    }
    case 'shape':
      return x ? [x.length] : null;
    case 'list_read': {
      const ls = shapeOf(milInput(node, 'ls'));
      return ls ? ls.slice(1) : null;
    }
    case 'list_gather': {
      const ls = shapeOf(milInput(node, 'ls'));
      const idx = shapeOf(milInput(node, 'indices'));
      return ls && idx ? [...idx, ...ls.slice(1)] : null;
    }
    case 'list_length':
      return [];
  }
  if (op.startsWith('reduce_')) {
    if (!x) return null;
    const arg = op === 'reduce_argmax' || op === 'reduce_argmin';
    const axesParam = milInts(node, arg ? 'axis' : 'axes');
    const axes = axesParam ? axesParam.map((a) => axisOf(x.length, a)) : arg ? [x.length - 1] : x.map((_, i) => i);
    const keep = milInts(node, 'keep_dims')?.[0] === 1;
    return keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i));
  }
  return null;
}

function matmulShape(node: GraphNode, a: S | null, b: S | null): S | null {
  if (!a || !b) return null;
  const ta = milInts(node, 'transpose_x')?.[0] === 1;
  const tb = milInts(node, 'transpose_y')?.[0] === 1;
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  const m = ta ? A[A.length - 1] : A[A.length - 2];
  const n = tb ? B[B.length - 2] : B[B.length - 1];
  const batch = broadcastKnown([A.slice(0, -2), B.slice(0, -2)]);
  if (!batch) return null;
  const out = [...batch, m, n];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

/** Spatial output size (MIL conv/pool): valid, same (and same_lower), custom pads [begin, end, ...]. */
function spatial(node: GraphNode, i: number, size: number, k: number, transpose: boolean): number {
  const s = milInts(node, 'strides')?.[i] ?? 1;
  const d = milInts(node, 'dilations')?.[i] ?? 1;
  const padType = milString(node, 'pad_type') ?? 'valid';
  const pad = milInts(node, 'pad') ?? [];
  const ke = (k - 1) * d + 1;
  const [b, e] = padType === 'custom' ? [pad[2 * i] ?? 0, pad[2 * i + 1] ?? 0] : [0, 0];
  if (transpose) return padType === 'same' || padType === 'same_lower' ? size * s : (size - 1) * s + ke - b - e;
  if (padType === 'same' || padType === 'same_lower') return Math.ceil(size / s);
  const span = size + b + e - ke;
  return (milInts(node, 'ceil_mode')?.[0] === 1 ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
}

function convShape(node: GraphNode, x: S | null, w: S | null): S | null {
  if (!x || !w || x.length < 3 || w.length !== x.length) return null;
  const transpose = node.op === 'conv_transpose';
  const stated = milInts(node, 'output_shape');
  if (transpose && stated && stated.length === x.length) return stated;
  const groups = milInt(node, 'groups', 1);
  const cout = transpose ? w[1] * groups : w[0];
  return [x[0], cout, ...x.slice(2).map((d, i) => spatial(node, i, d, w[2 + i], transpose))];
}

function poolShape(node: GraphNode, x: S | null): S | null {
  const k = milInts(node, 'kernel_sizes');
  if (!x || !k || x.length < 3) return null;
  const lead = x.length - k.length;
  return [...x.slice(0, lead), ...x.slice(lead).map((d, i) => spatial(node, i, d, k[i], false))];
}

function sliceShape(node: GraphNode, x: S | null): S | null {
  const begin = milInts(node, 'begin');
  const end = milInts(node, 'end');
  if (!x || !begin || !end || begin.length !== x.length || end.length !== x.length) return null;
  const stride = milInts(node, 'stride') ?? x.map(() => 1);
  const bm = milInts(node, 'begin_mask') ?? [];
  const em = milInts(node, 'end_mask') ?? [];
  const sq = milInts(node, 'squeeze_mask') ?? [];
  const out: S = [];
  x.forEach((n, i) => {
    const st = stride[i] || 1;
    let b = bm[i] ? (st > 0 ? 0 : n - 1) : begin[i];
    let e = em[i] ? (st > 0 ? n : -n - 1) : end[i];
    if (b < 0) b += n;
    if (e < 0) e += n;
    b = Math.min(Math.max(b, 0), n);
    e = Math.min(Math.max(e, -1), n);
    if (!sq[i]) out.push(Math.max(0, Math.ceil((e - b) / st)));
  });
  return out;
}
