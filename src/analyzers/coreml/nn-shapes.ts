/**
 * Blob shapes of a Core ML neuralNetwork, layer by layer, from the input shapes and each layer's parameters
 * (NeuralNetwork.proto's formulas). Blobs of a network with the default rank-5 input mapping are kept as
 * [N, C, H, W] (N = sequence × batch, 1 for an image); networks with the exact mapping keep ND shapes, and the
 * CHW layers work on the last three dimensions. A layer whose rule is missing keeps the shape the file states
 * for it (outputTensor), else stays unknown — its cost then says so.
 */
import { type GraphNode, broadcastKnown } from '../graph';

type S = number[];

const arr = (v: unknown): number[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);
const one = (n: GraphNode, k: string, def: number): number => arr(n.attrs[k])?.[0] ?? def;

/** The description's multi-array shape as a rank-5-mapped blob: [C] → [1,C,1,1], [C,H,W] → [1,C,H,W], [S,B,C,H,W] → [S·B,C,H,W]. */
export function rank5Blob(shape: S): S {
  if (shape.length === 1) return [1, shape[0], 1, 1];
  if (shape.length === 3) return [1, ...shape];
  if (shape.length === 5) return [shape[0] * shape[1], shape[2], shape[3], shape[4]];
  if (shape.length === 2) return [1, shape[0], shape[1], 1];
  return shape;
}

const SAME_SHAPE = new Set([
  'activation', 'batchnorm', 'mvn', 'l2normalize', 'softmax', 'lrn', 'unary', 'bias', 'copy', 'clip', 'ceil', 'floor', 'sign', 'round', 'exp2',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'erf', 'gelu', 'softmaxND', 'layerNormalization',
  'logicalNot', 'cumSum', 'clampedReLU', 'reverse', 'reverseSeq', 'fillLike', 'randomNormalLike', 'randomUniformLike', 'randomBernoulliLike',
  'lowerTriangular', 'upperTriangular', 'matrixBandPart', 'argSort',
]);
const BROADCAST = new Set([
  'add', 'multiply', 'average', 'max', 'min', 'scale', 'equal', 'notEqual', 'lessThan', 'lessEqual', 'greaterThan', 'greaterEqual', 'logicalOr',
  'logicalXor', 'logicalAnd', 'modBroadcastable', 'minBroadcastable', 'maxBroadcastable', 'addBroadcastable', 'powBroadcastable',
  'divideBroadcastable', 'floorDivBroadcastable', 'multiplyBroadcastable', 'subtractBroadcastable', 'whereBroadcastable',
]);

/** Output spatial size of a window op (NeuralNetwork.proto padding formulas). */
function window(inp: number, k: number, s: number, dil: number, padding: string, pads: [number, number], deconv: boolean): number {
  const ke = (k - 1) * dil + 1;
  if (deconv) return padding === 'same' ? inp * s : (inp - 1) * s + ke - pads[0] - pads[1];
  if (padding === 'same') return Math.ceil(inp / s);
  if (padding === 'includeLastPixel') {
    let o = Math.ceil((inp + 2 * pads[0] - ke) / s) + 1;
    if ((o - 1) * s >= inp + pads[0]) o -= 1;
    return o;
  }
  return Math.floor((inp + pads[0] + pads[1] - ke) / s) + 1;
}

/** [...lead, C, H, W] of a blob (rank ≥ 3), or null. */
function chw(s: S): { lead: S; c: number; h: number; w: number } | null {
  if (s.length < 3) return null;
  return { lead: s.slice(0, -3), c: s[s.length - 3], h: s[s.length - 2], w: s[s.length - 1] };
}

const axisOf = (rank: number, a: number): number => (a < 0 ? rank + a : a);

/** Output shapes of one layer from its input shapes (null entries: unknown); null when no rule applies. */
export function nnOutputShapes(node: GraphNode, ins: (S | null)[]): (S | null)[] | null {
  const x = ins[0];
  const op = node.op;
  const nOut = node.outputs.length;
  const all = (s: S | null): (S | null)[] => node.outputs.map(() => s);
  if (SAME_SHAPE.has(op)) return x ? all(x) : null;
  if (BROADCAST.has(op)) {
    const known = ins.filter((s): s is S => !!s);
    return known.length === ins.length && known.length ? all(broadcastKnown(known)) : null;
  }
  switch (op) {
    case 'convolution':
    case 'pooling': {
      const d = x && chw(x);
      if (!d) return null;
      const conv = op === 'convolution';
      if (!conv && one(node, 'globalPooling', 0)) return [[...d.lead, d.c, 1, 1]];
      const k = arr(node.attrs.kernelSize) ?? (conv ? [3, 3] : [3, 3]);
      const s = arr(node.attrs.stride) ?? [1, 1];
      const dil = arr(node.attrs.dilationFactor) ?? [1, 1];
      const pads = arr(node.attrs.pads) ?? [0, 0, 0, 0];
      const padding = typeof node.attrs.padding === 'string' ? node.attrs.padding : 'valid';
      const deconv = conv && one(node, 'isDeconvolution', 0) === 1;
      const stated = arr(node.attrs.outputShape);
      const c = conv ? one(node, 'outputChannels', d.c) : d.c;
      const pair = (i: number): [number, number] => (padding === 'includeLastPixel' ? [pads[i] ?? 0, pads[i] ?? 0] : [pads[2 * i] ?? 0, pads[2 * i + 1] ?? 0]);
      const h = stated && stated.length === 2 && deconv ? stated[0] : window(d.h, k[0] ?? 1, s[0] ?? 1, dil[0] ?? 1, padding, pair(0), deconv);
      const w = stated && stated.length === 2 && deconv ? stated[1] : window(d.w, k[1] ?? 1, s[1] ?? 1, dil[1] ?? 1, padding, pair(1), deconv);
      return [[...d.lead, c, h, w]];
    }
    case 'innerProduct':
    case 'embedding': {
      if (!x) return null;
      const oc = one(node, 'outputChannels', 0);
      if (x.length >= 3) return [[...x.slice(0, -3), oc, 1, 1]];
      return [[...x.slice(0, -1), oc]];
    }
    case 'embeddingND':
      return x ? [[...x.slice(0, -1), one(node, 'embeddingSize', 0)]] : null;
    case 'flatten': {
      const d = x && chw(x);
      return d ? [[...d.lead, d.c * d.h * d.w, 1, 1]] : null;
    }
    case 'reshape': {
      const t = arr(node.attrs.targetShape);
      if (!x || !t) return null;
      if (t.length === 3) return [[x.length >= 4 ? x[0] : 1, ...t]];
      if (t.length === 4) return [t];
      return null;
    }
    case 'permute': {
      const a = arr(node.attrs.axis);
      if (!x || !a || a.length !== x.length) return null;
      return [a.map((i) => x[i])];
    }
    case 'concat': {
      const known = ins.filter((s): s is S => !!s);
      if (known.length !== ins.length || !known.length) return null;
      const ax = one(node, 'sequenceConcat', 0) ? 0 : known[0].length - 3;
      const out = [...known[0]];
      out[ax] = known.reduce((a, s) => a + (s[ax] ?? 0), 0);
      return [out];
    }
    case 'split': {
      if (!x || x.length < 3) return null;
      const out = [...x];
      out[x.length - 3] = Math.floor(x[x.length - 3] / Math.max(1, nOut));
      return all(out);
    }
    case 'padding':
    case 'crop': {
      const d = x && chw(x);
      const b = arr(node.attrs.borders) ?? [0, 0, 0, 0];
      if (!d) return null;
      if (op === 'crop' && ins[1]) {
        const r = chw(ins[1]);
        return r ? [[...d.lead, d.c, r.h, r.w]] : null;
      }
      const sign = op === 'padding' ? 1 : -1;
      return [[...d.lead, d.c, d.h + sign * (b[0] + b[1]), d.w + sign * (b[2] + b[3])]];
    }
    case 'upsample': {
      const d = x && chw(x);
      if (!d) return null;
      const f = arr(node.attrs.fractionalScalingFactor);
      const sf = f && f.length === 2 ? f : arr(node.attrs.scalingFactor) ?? [1, 1];
      return [[...d.lead, d.c, Math.floor(d.h * sf[0]), Math.floor(d.w * sf[1])]];
    }
    case 'resizeBilinear': {
      const d = x && chw(x);
      const t = arr(node.attrs.targetSize) ?? [1, 1];
      return d ? [[...d.lead, d.c, t[0], t[1]]] : null;
    }
    case 'reorganizeData': {
      const d = x && chw(x);
      const b = one(node, 'blockSize', 2);
      if (!d) return null;
      return one(node, 'mode', 0) === 0 ? [[...d.lead, d.c * b * b, Math.floor(d.h / b), Math.floor(d.w / b)]] : [[...d.lead, Math.floor(d.c / (b * b)), d.h * b, d.w * b]];
    }
    case 'slice': {
      if (!x || x.length < 3) return null;
      const ax = x.length - 3 + one(node, 'axis', 0);
      const n = x[ax];
      let start = one(node, 'startIndex', 0);
      let end = one(node, 'endIndex', -1);
      if (start < 0) start += n;
      // endIndex is exclusive; negative counts from the end (-1 = N-1).
      end = end < 0 ? n + end + 1 : Math.min(end, n);
      const stride = Math.max(1, one(node, 'stride', 1));
      const out = [...x];
      out[ax] = Math.max(0, Math.ceil((end - start) / stride));
      return [out];
    }
    case 'reduce': {
      const d = x && chw(x);
      if (!d) return null;
      const axis = one(node, 'axis', 0); // CHW, HW, C, H, W
      const [c, h, w] = [[1, 1, 1], [d.c, 1, 1], [1, d.h, d.w], [d.c, 1, d.w], [d.c, d.h, 1]][axis] ?? [1, 1, 1];
      return [[...d.lead, c, h, w]];
    }
    case 'dot':
      return x ? [[...x.slice(0, -3), 1, 1, 1]] : null;
    case 'loadConstant': {
      const s = arr(node.attrs.shape);
      return s && s.length === 3 ? [[1, ...s]] : null;
    }
    case 'loadConstantND':
    case 'fillStatic':
    case 'broadcastToStatic': {
      const s = arr(node.attrs[op === 'loadConstantND' ? 'shape' : 'targetShape']);
      return s ? [s] : null;
    }
    case 'sequenceRepeat':
      return x ? [[x[0] * one(node, 'nRepetitions', 1), ...x.slice(1)]] : null;
    case 'simpleRecurrent':
    case 'gru':
    case 'uniDirectionalLSTM':
    case 'biDirectionalLSTM': {
      if (!x) return null;
      const h = one(node, 'outputVectorSize', 0);
      const dirs = op === 'biDirectionalLSTM' ? 2 : 1;
      const seq = one(node, 'sequenceOutput', 0) ? x[0] : 1;
      return node.outputs.map((_, i) => (i === 0 ? [seq, h * dirs, 1, 1] : [1, h, 1, 1]));
    }
    case 'batchedMatmul': {
      if (!x || x.length < 2) return null;
      const ta = one(node, 'transposeA', 0);
      const m = ta ? x[x.length - 1] : x[x.length - 2];
      if (ins.length >= 2) {
        const y = ins[1];
        if (!y || y.length < 2) return null;
        const n = one(node, 'transposeB', 0) ? y[y.length - 2] : y[y.length - 1];
        const batch = broadcastKnown([x.slice(0, -2), y.slice(0, -2)]);
        return batch ? [[...batch, m, n]] : null;
      }
      return [[...x.slice(0, -2), m, one(node, 'weightMatrixSecondDimension', 0)]];
    }
    case 'concatND': {
      const known = ins.filter((s): s is S => !!s);
      if (known.length !== ins.length || !known.length) return null;
      const ax = axisOf(known[0].length, one(node, 'axis', 0));
      const out = [...known[0]];
      out[ax] = known.reduce((a, s) => a + (s[ax] ?? 0), 0);
      return [out];
    }
    case 'transpose': {
      const a = arr(node.attrs.axes);
      return x && a && a.length === x.length ? [a.map((i) => x[i])] : null;
    }
    case 'reshapeStatic':
    case 'rankPreservingReshape': {
      const t = arr(node.attrs.targetShape);
      if (!x || !t) return null;
      const total = x.reduce((a, b) => a * b, 1);
      const out = t.map((d, i) => (d === 0 && op === 'rankPreservingReshape' ? x[i] : d));
      const known = out.filter((d) => d > 0).reduce((a, b) => a * b, 1);
      return [out.map((d) => (d < 0 ? Math.floor(total / Math.max(1, known)) : d))];
    }
    case 'reshapeLike':
    case 'broadcastToLike':
      return ins[1] ? [ins[1]] : null;
    case 'squeeze': {
      if (!x) return null;
      if (one(node, 'squeezeAll', 0)) return [x.filter((d) => d !== 1)];
      const axes = (arr(node.attrs.axes) ?? []).map((a) => axisOf(x.length, a));
      return [x.filter((_, i) => !axes.includes(i))];
    }
    case 'expandDims': {
      if (!x) return null;
      const rank = x.length + (arr(node.attrs.axes)?.length ?? 0);
      const axes = (arr(node.attrs.axes) ?? []).map((a) => axisOf(rank, a));
      const out: S = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : x[j++]);
      return [out];
    }
    case 'flattenTo2D': {
      if (!x) return null;
      const ax = axisOf(x.length, one(node, 'axis', 1));
      return [[x.slice(0, ax).reduce((a, b) => a * b, 1), x.slice(ax).reduce((a, b) => a * b, 1)]];
    }
    case 'tile': {
      const r = arr(node.attrs.reps);
      return x && r && r.length === x.length ? [x.map((d, i) => d * r[i])] : null;
    }
    case 'constantPad': {
      const p = arr(node.attrs.padAmounts);
      if (!x || !p || p.length % 2 || p.length / 2 > x.length) return null;
      const k = p.length / 2;
      return [x.map((d, i) => (i >= x.length - k ? d + p[2 * (i - (x.length - k))] + p[2 * (i - (x.length - k)) + 1] : d))];
    }
    case 'argMax':
    case 'argMin':
    case 'reduceL1':
    case 'reduceL2':
    case 'reduceMax':
    case 'reduceMin':
    case 'reduceSum':
    case 'reduceProd':
    case 'reduceMean':
    case 'reduceLogSum':
    case 'reduceSumSquare':
    case 'reduceLogSumExp': {
      if (!x) return null;
      const arg = op === 'argMax' || op === 'argMin';
      const axes = arg ? [axisOf(x.length, one(node, 'axis', -1))] : one(node, 'reduceAll', 0) ? x.map((_, i) => i) : (arr(node.attrs.axes) ?? []).map((a) => axisOf(x.length, a));
      const keep = arg ? !one(node, 'removeDim', 0) : one(node, 'keepDims', 0) === 1;
      return [keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))];
    }
    case 'stack': {
      if (!x) return null;
      const ax = axisOf(x.length + 1, one(node, 'axis', 0));
      return [[...x.slice(0, ax), ins.length, ...x.slice(ax)]];
    }
    case 'getShape':
      return x ? [[x.length]] : null;
  }
  return null;
}

/** Shapes the file states for a layer's outputs (NeuralNetworkLayer.outputTensor), when present. */
export function declaredOutputShapes(node: GraphNode): S[] | null {
  const d = node.attrs.declaredOutputShapes;
  if (!Array.isArray(d)) return null;
  return (d as string[]).map((s) => s.split('x').map(Number));
}
