/**
 * ONNX shape inference for the activations a file leaves out, after binding symbolic input dims.
 *
 * Walks each graph in topological order (bodies of If/Loop/Scan before their owner's outputs), computes
 * each node's output shapes and dtypes from its inputs and attributes, and folds small integer values
 * (Shape → Gather → Unsqueeze → Concat → Reshape, ConstantOfShape, Range ...) so shape-computing
 * subgraphs resolve. A dim that cannot be known stays a string ("?" or the file's symbol); a shape whose
 * rank cannot be known stays null, with the reason kept for the cost model. Never throws.
 */
import { type Dim, type GraphNode, type ModelGraph, type Shape, type Subgraph, type TensorInfo, allSubgraphs, findTensor, topologicalOrder } from './graph';
import { onnxDtype, onnxDtypeByName, UNKNOWN_DTYPE } from './onnx/dtypes';
import { getValues, MAX_FOLDED_ELEMENTS, setUnknownReason, setValues, unknownReason } from './onnx/values';

/** What inference says about one output. */
interface Out {
  shape: Shape | null;
  dtype?: string;
  values?: number[];
  /** Why the shape is null / has unknown dims (first cause). */
  reason?: string;
}

const UNKNOWN = '?';
const isNum = (d: Dim | undefined): d is number => typeof d === 'number';
const known = (s: Shape | null): s is number[] => !!s && s.every(isNum);
const prod = (s: number[]): number => s.reduce((a, b) => a * b, 1);
/** Largest dim we accept from arithmetic; beyond it the shape is treated as unknowable. */
const MAX_DIM = 2 ** 40;

class NodeCtx {
  constructor(
    readonly g: ModelGraph,
    readonly sg: Subgraph,
    readonly node: GraphNode,
    readonly opset: number,
  ) {}
  tensor(i: number): TensorInfo | undefined {
    const n = this.node.inputs[i];
    return n ? findTensor(this.g, this.sg, n) : undefined;
  }
  has(i: number): boolean {
    return !!this.node.inputs[i];
  }
  shape(i: number): Shape | null {
    return this.tensor(i)?.shape ?? null;
  }
  rank(i: number): number | null {
    return this.shape(i)?.length ?? null;
  }
  dtype(i: number): string | undefined {
    const d = this.tensor(i)?.dtype;
    return d && d !== UNKNOWN_DTYPE.name ? d : undefined;
  }
  values(i: number): number[] | undefined {
    return getValues(this.tensor(i));
  }
  int(name: string, def: number): number {
    const v = this.node.attrs[name];
    return typeof v === 'number' ? v : def;
  }
  ints(name: string): number[] | undefined {
    const v = this.node.attrs[name];
    return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
  }
  str(name: string, def: string): string {
    const v = this.node.attrs[name];
    return typeof v === 'string' ? v : def;
  }
  /** The reason an input's shape is unknown, for outputs that inherit it. */
  why(i: number): string {
    const t = this.tensor(i);
    const name = this.node.inputs[i];
    if (!t) return `input "${name}" is not defined in the graph`;
    return unknownReason(t) ?? `the shape of "${name}" is not known`;
  }
  /** Integer list from an input (opset ≥ N form) or an attribute (older form). */
  intsFrom(inputIndex: number, attr: string): number[] | undefined | 'unknown' {
    if (this.has(inputIndex)) return this.values(inputIndex) ?? 'unknown';
    return this.ints(attr);
  }
}

const axisOf = (a: number, rank: number): number => (a < 0 ? a + rank : a);

/** numpy broadcasting; unknown dims stay unknown unless the other side is a known non-1 dim. */
export function broadcastShapes(shapes: (Shape | null)[]): Shape | null {
  if (shapes.some((s) => s === null)) return null;
  const ss = shapes as Shape[];
  const rank = Math.max(0, ...ss.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of ss) {
      const x = s[s.length - rank + i];
      if (x === undefined || x === 1) continue;
      if (d === 1) d = x;
      else if (isNum(d) && isNum(x)) {
        if (d !== x) return null; // incompatible
      } else if (!isNum(d) && isNum(x)) d = x;
      else if (!isNum(d) && !isNum(x) && d !== x) d = UNKNOWN;
    }
    out.push(d);
  }
  return out;
}

/** Output length of a convolution / pooling window along one axis. */
export function convOutDim(input: Dim, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number, autoPad: string, ceilMode = false): Dim {
  if (!isNum(input)) return UNKNOWN;
  const eff = dilation * (kernel - 1) + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(input / stride);
  if (autoPad === 'VALID') return Math.floor((input - eff) / stride) + 1;
  const span = input + padBegin + padEnd - eff;
  const q = ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride);
  let out = q + 1;
  // ceil_mode: the last window must start inside the (left-padded) input.
  if (ceilMode && (out - 1) * stride >= input + padBegin) out--;
  return out;
}

function elementwiseValues(op: string, a: number[] | undefined, b: number[] | undefined, intType: boolean): number[] | undefined {
  if (!a || !b) return undefined;
  const n = Math.max(a.length, b.length);
  if (n > MAX_FOLDED_ELEMENTS || (a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return undefined;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length === 1 ? 0 : i];
    const y = b[b.length === 1 ? 0 : i];
    let v: number;
    switch (op) {
      case 'Add': v = x + y; break;
      case 'Sub': v = x - y; break;
      case 'Mul': v = x * y; break;
      case 'Div': if (y === 0) return undefined; v = intType ? Math.trunc(x / y) : x / y; break;
      case 'Mod': if (y === 0) return undefined; v = x % y; break;
      case 'Max': v = Math.max(x, y); break;
      case 'Min': v = Math.min(x, y); break;
      case 'Pow': v = x ** y; break;
      case 'Equal': v = x === y ? 1 : 0; break;
      case 'Less': v = x < y ? 1 : 0; break;
      case 'Greater': v = x > y ? 1 : 0; break;
      case 'LessOrEqual': v = x <= y ? 1 : 0; break;
      case 'GreaterOrEqual': v = x >= y ? 1 : 0; break;
      case 'And': v = x && y ? 1 : 0; break;
      case 'Or': v = x || y ? 1 : 0; break;
      default: return undefined;
    }
    out.push(v);
  }
  return out;
}

const SAME_SHAPE_OPS = new Set([
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Erf',
  'Gelu', 'HardSigmoid', 'HardSwish', 'Selu', 'Elu', 'Celu', 'Softplus', 'Softsign', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan',
  'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Sign', 'Clip', 'Softmax', 'LogSoftmax', 'Hardmax', 'LRN', 'InstanceNormalization',
  'GroupNormalization', 'MeanVarianceNormalization', 'LpNormalization', 'Shrink', 'ThresholdedRelu', 'Mish', 'Swish', 'CumSum',
  'Trilu', 'ReverseSequence', 'BitwiseNot', 'EyeLike', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'ScatterND',
  'ScatterElements', 'Scatter', 'PRelu',
  'com.microsoft:Gelu', 'com.microsoft:FastGelu', 'com.microsoft:QuickGelu', 'com.microsoft:BiasGelu', 'com.microsoft:SkipLayerNormalization',
  'com.microsoft:SkipSimplifiedLayerNormalization', 'com.microsoft:SimplifiedLayerNormalization', 'com.microsoft:BiasAdd',
  'com.microsoft:QLinearSigmoid', 'com.microsoft:QLinearLeakyRelu', 'com.microsoft:QLinearSoftmax', 'com.microsoft:RotaryEmbedding',
]);
const BOOL_UNARY = new Set(['Not', 'IsNaN', 'IsInf']);
const BINARY_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Max', 'Min', 'Mean', 'Sum', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor']);
const COMPARE_OPS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']);
const REDUCE_OPS = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);

function same(c: NodeCtx, i = 0): Out {
  const s = c.shape(i);
  return { shape: s, dtype: c.dtype(i), values: c.node.op === 'Identity' ? c.values(i) : undefined, reason: s ? undefined : c.why(i) };
}

function unknownOut(reason: string, dtype?: string): Out {
  return { shape: null, dtype, reason };
}

function convLike(c: NodeCtx, xi: number, wi: number, transpose: boolean, outDtype?: string): Out {
  const x = c.shape(xi);
  const w = c.shape(wi);
  if (!x) return unknownOut(c.why(xi), outDtype);
  const spatial = x.length - 2;
  if (spatial < 1) return unknownOut(`${c.node.op} input has rank ${x.length}, expected at least 3`);
  const kernel = c.ints('kernel_shape') ?? (w && w.length === x.length && w.slice(2).every(isNum) ? (w.slice(2) as number[]) : undefined);
  const group = c.int('group', 1);
  let channels: Dim = UNKNOWN;
  if (w && isNum(w[transpose ? 1 : 0])) channels = transpose ? (w[1] as number) * group : (w[0] as number);
  if (!kernel) return { shape: [x[0], channels, ...x.slice(2).map(() => UNKNOWN)], dtype: outDtype, reason: w ? `the kernel shape of ${c.node.op} is not known` : c.why(wi) };
  const strides = c.ints('strides') ?? kernel.map(() => 1);
  const dil = c.ints('dilations') ?? kernel.map(() => 1);
  const pads = c.ints('pads') ?? kernel.flatMap(() => [0, 0]);
  const autoPad = c.str('auto_pad', 'NOTSET');
  const out: Shape = [x[0], channels];
  let reason: string | undefined;
  for (let i = 0; i < spatial; i++) {
    const inD = x[2 + i];
    if (transpose) {
      const outputShape = c.ints('output_shape');
      if (outputShape) {
        out.push(outputShape[outputShape.length - spatial + i]);
        continue;
      }
      if (!isNum(inD)) {
        out.push(UNKNOWN);
        continue;
      }
      const op = c.ints('output_padding')?.[i] ?? 0;
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') out.push(inD * strides[i]);
      else out.push(strides[i] * (inD - 1) + op + (kernel[i] - 1) * dil[i] + 1 - pads[i] - pads[i + spatial]);
    } else {
      const d = convOutDim(inD, kernel[i], strides[i], dil[i], pads[i] ?? 0, pads[i + spatial] ?? 0, autoPad);
      if (isNum(d) && d < 1) {
        const padded = (inD as number) + (pads[i] ?? 0) + (pads[i + spatial] ?? 0);
        reason = `${c.node.op} "${c.node.name}": its kernel (${kernel[i]}, dilation ${dil[i]}) is longer than its padded input (length ${padded}) along spatial axis ${i}, so no output size exists with the symbolic input dims as bound; bind them to larger values`;
        return unknownOut(reason, outDtype);
      }
      out.push(d);
    }
  }
  return { shape: out, dtype: outDtype };
}

function pool(c: NodeCtx): Out[] {
  const x = c.shape(0);
  if (!x) return [unknownOut(c.why(0), c.dtype(0))];
  const kernel = c.ints('kernel_shape');
  if (!kernel) return [unknownOut(`${c.node.op} has no kernel_shape`, c.dtype(0))];
  const spatial = kernel.length;
  const strides = c.ints('strides') ?? kernel.map(() => 1);
  const dil = c.ints('dilations') ?? kernel.map(() => 1);
  const pads = c.ints('pads') ?? kernel.flatMap(() => [0, 0]);
  const autoPad = c.str('auto_pad', 'NOTSET');
  const ceil = c.int('ceil_mode', 0) === 1;
  const out: Shape = x.slice(0, x.length - spatial);
  for (let i = 0; i < spatial; i++) {
    const d = convOutDim(x[x.length - spatial + i], kernel[i], strides[i], dil[i], pads[i] ?? 0, pads[i + spatial] ?? 0, autoPad, ceil);
    if (isNum(d) && d < 1) return [unknownOut(`${c.node.op} "${c.node.name}": kernel ${kernel[i]} is larger than the padded input along spatial axis ${i}`, c.dtype(0))];
    out.push(d);
  }
  return [{ shape: out, dtype: c.dtype(0) }, { shape: out, dtype: 'INT64' }];
}

function matmulShape(a: Shape | null, b: Shape | null): Shape | null {
  if (!a || !b || a.length === 0 || b.length === 0) return null;
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  if (!batch) return null;
  const out: Shape = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

function reshape(c: NodeCtx, target: number[] | undefined): Out {
  const x = c.shape(0);
  if (!target) return unknownOut(c.has(1) ? `the target shape of Reshape "${c.node.name}" is computed at run time and could not be folded` : 'Reshape has no target shape', c.dtype(0));
  const allowZero = c.int('allowzero', 0) === 1;
  const out: Shape = target.map((d, i) => (d === 0 && !allowZero ? (x ? x[i] ?? UNKNOWN : UNKNOWN) : d));
  const minus = out.findIndex((d) => d === -1);
  if (minus >= 0) {
    // -1 = input elements / the other output dims; dims copied by 0 cancel even when symbolic.
    if (!x) out[minus] = UNKNOWN;
    else {
      const rest = x.filter((_, i) => !(target[i] === 0 && !allowZero && i < target.length));
      const others = target.filter((d, i) => i !== minus && !(d === 0 && !allowZero));
      if (rest.every(isNum) && others.every((d) => d > 0)) {
        const total = prod(rest as number[]);
        const div = prod(others);
        out[minus] = div > 0 && total % div === 0 ? total / div : UNKNOWN;
      } else out[minus] = UNKNOWN;
    }
  }
  return { shape: out, dtype: c.dtype(0), values: c.values(0) };
}

function sliceValues(v: number[], start: number, end: number, step: number): number[] {
  const out: number[] = [];
  if (step > 0) for (let i = start; i < end && out.length <= MAX_FOLDED_ELEMENTS; i += step) out.push(v[i]);
  else for (let i = start; i > end && out.length <= MAX_FOLDED_ELEMENTS; i += step) out.push(v[i]);
  return out;
}

/** Row-major strides of a known shape. */
function strides(shape: number[]): number[] {
  const st = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

/** Values of x[picks[0], picks[1], ...] (one index list per axis) for small folded tensors. */
function gatherValues(v: number[], shape: number[], picks: number[][]): number[] | undefined {
  if (v.length !== prod(shape) || prod(picks.map((p) => p.length)) > MAX_FOLDED_ELEMENTS) return undefined;
  const st = strides(shape);
  let offsets = [0];
  picks.forEach((p, axis) => {
    const next: number[] = [];
    for (const o of offsets) for (const i of p) next.push(o + i * st[axis]);
    offsets = next;
  });
  return offsets.map((o) => v[o]);
}

function transposeValues(v: number[], shape: number[], perm: number[]): number[] | undefined {
  if (v.length !== prod(shape)) return undefined;
  const st = strides(shape);
  const outShape = perm.map((p) => shape[p]);
  const out: number[] = [];
  const idx = new Array<number>(outShape.length).fill(0);
  for (let n = 0; n < v.length; n++) {
    let off = 0;
    for (let k = 0; k < idx.length; k++) off += idx[k] * st[perm[k]];
    out.push(v[off]);
    for (let k = idx.length - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

function slice(c: NodeCtx): Out {
  const x = c.shape(0);
  if (!x) return unknownOut(c.why(0), c.dtype(0));
  let starts: number[] | undefined;
  let ends: number[] | undefined;
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (c.opset < 10 || (!c.has(1) && c.ints('starts'))) {
    starts = c.ints('starts');
    ends = c.ints('ends');
    axes = c.ints('axes');
  } else {
    starts = c.values(1);
    ends = c.values(2);
    axes = c.has(3) ? c.values(3) : undefined;
    steps = c.has(4) ? c.values(4) : undefined;
    if ((c.has(3) && !axes) || (c.has(4) && !steps)) starts = undefined;
  }
  if (!starts || !ends || starts.length !== ends.length) {
    return { shape: x.map((d, i) => (axes && !axes.map((a) => axisOf(a, x.length)).includes(i) ? d : UNKNOWN)), dtype: c.dtype(0), reason: `Slice "${c.node.name}" bounds are computed at run time and could not be folded` };
  }
  const out: Shape = [...x];
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => axisOf(a, x.length));
  const xv = c.values(0);
  let values: number[] | undefined;
  const picks: (number[] | undefined)[] = x.map(() => undefined);
  for (let k = 0; k < ax.length; k++) {
    const a = ax[k];
    const d = x[a];
    const step = steps?.[k] ?? 1;
    if (!isNum(d) || step === 0) {
      out[a] = UNKNOWN;
      continue;
    }
    let s = starts[k];
    let e = ends[k];
    if (s < 0) s += d;
    if (e < 0) e += d;
    let len: number;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
      len = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      len = Math.max(0, Math.ceil((s - e) / -step));
    }
    out[a] = len;
    picks[a] = sliceValues(Array.from({ length: d }, (_, i) => i), s, e, step);
  }
  if (xv && known(x) && known(out)) values = gatherValues(xv, x, picks.map((p, i) => p ?? Array.from({ length: x[i] }, (_, k) => k)));
  return { shape: out, dtype: c.dtype(0), values };
}

function reduce(c: NodeCtx): Out {
  const x = c.shape(0);
  const keep = c.int('keepdims', 1) === 1;
  let axes = c.ints('axes');
  if (c.has(1)) {
    axes = c.values(1);
    if (!axes) return unknownOut(`the axes of ${c.node.op} "${c.node.name}" are computed at run time`, c.dtype(0));
  }
  if (!x) return unknownOut(c.why(0), c.dtype(0));
  if (!axes || axes.length === 0) {
    if (c.int('noop_with_empty_axes', 0) === 1) return same(c);
    axes = x.map((_, i) => i);
  }
  const ax = new Set(axes.map((a) => axisOf(a, x.length)));
  const out: Shape = [];
  x.forEach((d, i) => {
    if (!ax.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return { shape: out, dtype: c.node.op.startsWith('Arg') ? 'INT64' : c.dtype(0) };
}

function recurrent(c: NodeCtx, gates: number): Out[] {
  const x = c.shape(0);
  const w = c.shape(1);
  const hidden = c.int('hidden_size', w && isNum(w[1]) ? (w[1] as number) / gates : NaN);
  const dirs = c.str('direction', 'forward') === 'bidirectional' ? 2 : 1;
  const layout = c.int('layout', 0);
  const h: Dim = Number.isFinite(hidden) ? hidden : UNKNOWN;
  const dt = c.dtype(0);
  if (!x || x.length !== 3) return [unknownOut(x ? `${c.node.op} input has rank ${x.length}, expected 3` : c.why(0), dt)];
  const [seq, batch] = layout === 0 ? [x[0], x[1]] : [x[1], x[0]];
  const y: Shape = layout === 0 ? [seq, dirs, batch, h] : [batch, seq, dirs, h];
  const yh: Shape = layout === 0 ? [dirs, batch, h] : [batch, dirs, h];
  return [{ shape: y, dtype: dt }, { shape: yh, dtype: dt }, { shape: yh, dtype: dt }];
}

function einsum(c: NodeCtx): Out {
  const eq = c.str('equation', '').replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (rhs === undefined || terms.length !== c.node.inputs.length || eq.includes('...')) return unknownOut(`Einsum equation "${eq}" is not supported by shape inference`, c.dtype(0));
  const dims = new Map<string, Dim>();
  for (let i = 0; i < terms.length; i++) {
    const s = c.shape(i);
    if (!s || s.length !== terms[i].length) return unknownOut(c.why(i), c.dtype(0));
    [...terms[i]].forEach((ch, k) => {
      const prev = dims.get(ch);
      if (prev === undefined || prev === 1 || !isNum(prev)) dims.set(ch, s[k]);
    });
  }
  return { shape: [...rhs].map((ch) => dims.get(ch) ?? UNKNOWN), dtype: c.dtype(0) };
}

function mergeBranches(a: TensorInfo | undefined, b: TensorInfo | undefined): Out {
  if (!a?.shape || !b?.shape) return unknownOut(unknownReason(a?.shape ? b : a) ?? 'an If branch output has an unknown shape', a?.dtype);
  if (a.shape.length !== b.shape.length) return unknownOut(`the If branches produce different ranks (${a.shape.length} and ${b.shape.length}) and the condition is not known`, a.dtype);
  return { shape: a.shape.map((d, i) => (d === b.shape![i] ? d : UNKNOWN)), dtype: a.dtype !== UNKNOWN_DTYPE.name ? a.dtype : b.dtype };
}

/** Output shapes of one node (index = output slot); undefined entries leave that output as it is. */
function inferNode(c: NodeCtx, bodies: Subgraph[]): (Out | undefined)[] {
  const op = c.node.op;
  const x = c.shape(0);
  if (SAME_SHAPE_OPS.has(op)) return [same(c)];
  if (BOOL_UNARY.has(op)) return [{ ...same(c), dtype: 'BOOL', values: op === 'Not' ? c.values(0)?.map((v) => (v ? 0 : 1)) : undefined }];
  if (op === 'Neg' || op === 'Abs') return [{ ...same(c), values: c.values(0)?.map((v) => (op === 'Neg' ? -v : Math.abs(v))) }];
  if (REDUCE_OPS.has(op)) return [reduce(c)];
  if (BINARY_OPS.has(op) || COMPARE_OPS.has(op) || op === 'Where') {
    const shapes = c.node.inputs.map((_, i) => c.shape(i));
    const s = broadcastShapes(shapes);
    const dtype = COMPARE_OPS.has(op) ? 'BOOL' : op === 'Where' ? c.dtype(1) ?? c.dtype(2) : c.dtype(0) ?? c.dtype(1);
    const intType = !!dtype && /INT/.test(dtype);
    const values = c.node.inputs.length === 2 ? elementwiseValues(op, c.values(0), c.values(1), intType) : undefined;
    const badIndex = shapes.findIndex((sh) => !sh);
    return [{ shape: s, dtype, values, reason: s ? undefined : badIndex >= 0 ? c.why(badIndex) : `${op} "${c.node.name}": input shapes do not broadcast` }];
  }
  switch (op) {
    case 'Identity':
    case 'Dropout':
      return [same(c), { shape: x, dtype: 'BOOL' }];
    case 'BatchNormalization':
      return [same(c)];
    case 'LayerNormalization': {
      const axis = x ? axisOf(c.int('axis', -1), x.length) : 0;
      const stat: Shape | null = x ? x.map((d, i) => (i < axis ? d : 1)) : null;
      return [same(c), { shape: stat, dtype: 'FLOAT' }, { shape: stat, dtype: 'FLOAT' }];
    }
    case 'Cast': {
      const to = onnxDtype(c.int('to', 0)).name;
      return [{ shape: x, dtype: to, values: c.values(0)?.map((v) => (to === 'BOOL' ? (v ? 1 : 0) : /INT/.test(to) ? Math.trunc(v) : v)), reason: x ? undefined : c.why(0) }];
    }
    case 'CastLike':
      return [{ ...same(c), dtype: c.dtype(1), values: c.values(0) }];
    case 'Constant':
      return [];
    case 'Shape': {
      if (!x) return [unknownOut(c.why(0), 'INT64')];
      const r = x.length;
      let start = axisOf(c.int('start', 0), r);
      let end = c.node.attrs.end !== undefined ? axisOf(c.int('end', r), r) : r;
      start = Math.min(Math.max(start, 0), r);
      end = Math.min(Math.max(end, 0), r);
      const dims = x.slice(start, Math.max(start, end));
      return [{ shape: [dims.length], dtype: 'INT64', values: dims.every(isNum) ? (dims as number[]) : undefined }];
    }
    case 'Size':
      return [{ shape: [], dtype: 'INT64', values: known(x) ? [prod(x)] : undefined }];
    case 'ConstantOfShape': {
      const v = c.values(0);
      const valueT = c.node.attrs.value;
      const dtype = valueT && typeof valueT === 'object' && !Array.isArray(valueT) ? valueT.dtype : 'FLOAT';
      if (!v) return [unknownOut(c.has(0) ? `the shape fed to ConstantOfShape "${c.node.name}" is computed at run time and could not be folded` : 'ConstantOfShape without a shape', dtype)];
      const fill = valueT && typeof valueT === 'object' && !Array.isArray(valueT) ? getValues(valueT)?.[0] ?? 0 : 0;
      const n = prod(v);
      return [{ shape: v, dtype, values: n <= MAX_FOLDED_ELEMENTS ? new Array<number>(n).fill(fill) : undefined }];
    }
    case 'Range': {
      const [s, l, d] = [c.values(0), c.values(1), c.values(2)];
      if (!s || !l || !d || d[0] === 0) return [unknownOut(`Range "${c.node.name}" bounds are computed at run time`, c.dtype(0))];
      const n = Math.max(Math.ceil((l[0] - s[0]) / d[0]), 0);
      const vals = n <= MAX_FOLDED_ELEMENTS ? Array.from({ length: n }, (_, i) => s[0] + i * d[0]) : undefined;
      return [{ shape: [n], dtype: c.dtype(0), values: vals }];
    }
    case 'Conv':
      return [convLike(c, 0, 1, false, c.dtype(0))];
    case 'ConvTranspose':
      return [convLike(c, 0, 1, true, c.dtype(0))];
    case 'QLinearConv':
    case 'com.microsoft:QLinearConv':
      return [convLike(c, 0, 3, false, c.dtype(7) ?? 'UINT8')];
    case 'ConvInteger':
      return [convLike(c, 0, 1, false, 'INT32')];
    case 'com.microsoft:FusedConv':
    case 'com.microsoft:NhwcConv':
      return [convLike(c, 0, 1, false, c.dtype(0))];
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool':
      return pool(c);
    case 'com.microsoft:QLinearAveragePool':
      return [pool(c)[0]];
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
    case 'GlobalLpPool':
    case 'com.microsoft:QLinearGlobalAveragePool':
      return [x ? { shape: [x[0], x[1], ...x.slice(2).map(() => 1)], dtype: c.dtype(0) } : unknownOut(c.why(0), c.dtype(0))];
    case 'MaxRoiPool':
    case 'RoiAlign': {
      const rois = c.shape(1);
      const p = c.ints('pooled_shape') ?? [c.int('output_height', 1), c.int('output_width', 1)];
      return [{ shape: [rois?.[0] ?? UNKNOWN, x?.[1] ?? UNKNOWN, ...p], dtype: c.dtype(0) }];
    }
    case 'Gemm': {
      const a = c.shape(0);
      const b = c.shape(1);
      if (!a || !b || a.length !== 2 || b.length !== 2) return [unknownOut(!a ? c.why(0) : !b ? c.why(1) : 'Gemm inputs must be 2-D', c.dtype(0))];
      const m = c.int('transA', 0) ? a[1] : a[0];
      const n = c.int('transB', 0) ? b[0] : b[1];
      return [{ shape: [m, n], dtype: c.dtype(0) }];
    }
    case 'MatMul':
    case 'QLinearMatMul':
    case 'MatMulInteger':
    case 'com.microsoft:MatMulIntegerToFloat':
    case 'com.microsoft:DynamicQuantizeMatMul': {
      const [ai, bi] = op === 'QLinearMatMul' ? [0, 3] : [0, 1];
      const s = matmulShape(c.shape(ai), c.shape(bi));
      const dtype = op === 'QLinearMatMul' ? c.dtype(7) ?? 'UINT8' : op === 'MatMulInteger' ? 'INT32' : op === 'MatMul' ? c.dtype(0) : 'FLOAT';
      return [{ shape: s, dtype, reason: s ? undefined : !c.shape(ai) ? c.why(ai) : !c.shape(bi) ? c.why(bi) : `${op} "${c.node.name}": operand shapes do not match` }];
    }
    case 'com.microsoft:MatMulNBits': {
      const n = c.int('N', NaN);
      return [x ? { shape: [...x.slice(0, -1), Number.isFinite(n) ? n : UNKNOWN], dtype: c.dtype(0) } : unknownOut(c.why(0), c.dtype(0))];
    }
    case 'Flatten': {
      if (!x) return [unknownOut(c.why(0), c.dtype(0))];
      const axis = axisOf(c.int('axis', 1), x.length);
      const part = (s: Shape): Dim => (s.length === 1 ? s[0] : s.every(isNum) ? prod(s as number[]) : UNKNOWN);
      return [{ shape: [part(x.slice(0, axis)), part(x.slice(axis))], dtype: c.dtype(0), values: c.values(0) }];
    }
    case 'Reshape':
      return [reshape(c, c.has(1) ? c.values(1) : c.ints('shape'))];
    case 'Transpose': {
      if (!x) return [unknownOut(c.why(0), c.dtype(0))];
      const perm = c.ints('perm') ?? x.map((_, i) => x.length - 1 - i);
      const xv = c.values(0);
      return [{ shape: perm.map((p) => x[p] ?? UNKNOWN), dtype: c.dtype(0), values: xv && known(x) ? transposeValues(xv, x, perm) : undefined }];
    }
    case 'Concat': {
      const shapes = c.node.inputs.map((_, i) => c.shape(i));
      const first = shapes.find((s) => s);
      if (!first) return [unknownOut(c.why(0), c.dtype(0))];
      const axis = axisOf(c.int('axis', 0), first.length);
      const out: Shape = first.map((d, i) => {
        if (i === axis) {
          let sum = 0;
          for (const s of shapes) {
            if (!s || !isNum(s[i])) return UNKNOWN;
            sum += s[i] as number;
          }
          return sum;
        }
        for (const s of shapes) if (s && isNum(s[i])) return s[i];
        return d;
      });
      const vals = c.node.inputs.map((_, i) => c.values(i));
      const values = first.length === 1 && vals.every((v) => v) ? (vals as number[][]).flat() : undefined;
      return [{ shape: shapes.every((s) => s) ? out : out.map((d, i) => (i === axis ? UNKNOWN : d)), dtype: c.dtype(0), values: values && values.length <= MAX_FOLDED_ELEMENTS ? values : undefined }];
    }
    case 'Split': {
      const n = c.node.outputs.length;
      if (!x) return Array.from({ length: n }, () => unknownOut(c.why(0), c.dtype(0)));
      const axis = axisOf(c.int('axis', 0), x.length);
      const splitV = c.has(1) ? c.values(1) : c.ints('split');
      const d = x[axis];
      return Array.from({ length: n }, (_, k) => {
        let len: Dim = UNKNOWN;
        if (splitV) len = splitV[k] ?? UNKNOWN;
        else if (isNum(d)) len = c.node.attrs.num_outputs !== undefined ? (k < n - 1 ? Math.ceil(d / n) : d - Math.ceil(d / n) * (n - 1)) : d / n;
        const s = [...x];
        s[axis] = isNum(len) && Number.isInteger(len) ? len : UNKNOWN;
        return { shape: s, dtype: c.dtype(0) };
      });
    }
    case 'Slice':
      return [slice(c)];
    case 'Squeeze': {
      const axesV = c.intsFrom(1, 'axes');
      if (axesV === 'unknown') return [unknownOut(`the axes of Squeeze "${c.node.name}" are computed at run time`, c.dtype(0))];
      if (!x) return [unknownOut(c.why(0), c.dtype(0))];
      let drop: Set<number>;
      if (axesV && axesV.length) drop = new Set(axesV.map((a) => axisOf(a, x.length)));
      else {
        if (!x.every(isNum)) return [unknownOut(`Squeeze "${c.node.name}" without axes on a shape with unknown dims`, c.dtype(0))];
        drop = new Set(x.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0));
      }
      return [{ shape: x.filter((_, i) => !drop.has(i)), dtype: c.dtype(0), values: c.values(0) }];
    }
    case 'Unsqueeze': {
      const axesV = c.intsFrom(1, 'axes');
      if (axesV === 'unknown' || !axesV) return [unknownOut(`the axes of Unsqueeze "${c.node.name}" are not known`, c.dtype(0))];
      if (!x) return [unknownOut(c.why(0), c.dtype(0))];
      const r = x.length + axesV.length;
      const ax = new Set(axesV.map((a) => axisOf(a, r)));
      const out: Shape = [];
      let k = 0;
      for (let i = 0; i < r; i++) out.push(ax.has(i) ? 1 : x[k++] ?? UNKNOWN);
      return [{ shape: out, dtype: c.dtype(0), values: c.values(0) }];
    }
    case 'Pad': {
      if (!x) return [unknownOut(c.why(0), c.dtype(0))];
      const pads = c.has(1) ? c.values(1) : c.ints('pads');
      if (!pads) return [{ shape: x.map(() => UNKNOWN), dtype: c.dtype(0), reason: `the pads of Pad "${c.node.name}" are computed at run time and could not be folded` }];
      const axes = c.has(3) ? c.values(3)?.map((a) => axisOf(a, x.length)) : x.map((_, i) => i);
      if (!axes) return [{ shape: x.map(() => UNKNOWN), dtype: c.dtype(0) }];
      const out = [...x];
      axes.forEach((a, k) => {
        const d = out[a];
        out[a] = isNum(d) ? d + pads[k] + pads[k + axes.length] : d;
      });
      return [{ shape: out, dtype: c.dtype(0) }];
    }
    case 'Resize':
    case 'Upsample': {
      if (!x) return [unknownOut(c.why(0), c.dtype(0))];
      let sizes: number[] | undefined;
      let scales: number[] | undefined;
      if (op === 'Upsample') scales = c.has(1) ? c.values(1) : (c.node.attrs.scales as number[] | undefined);
      else if (c.opset < 11) scales = c.values(1);
      else {
        sizes = c.has(3) ? c.values(3) : undefined;
        scales = c.has(2) ? c.values(2) : undefined;
        if (scales && scales.length === 0) scales = undefined;
        if (sizes && sizes.length === 0) sizes = undefined;
      }
      const axes = c.ints('axes')?.map((a) => axisOf(a, x.length)) ?? x.map((_, i) => i);
      const out = [...x];
      if (sizes) axes.forEach((a, k) => (out[a] = sizes![k]));
      else if (scales) axes.forEach((a, k) => (out[a] = isNum(x[a]) ? Math.floor((x[a] as number) * scales![k]) : UNKNOWN));
      else return [{ shape: x.map(() => UNKNOWN), dtype: c.dtype(0), reason: `the scales/sizes of ${op} "${c.node.name}" are computed at run time and could not be folded` }];
      return [{ shape: out, dtype: c.dtype(0) }];
    }
    case 'Gather': {
      const idx = c.shape(1);
      if (!x || !idx) return [unknownOut(!x ? c.why(0) : c.why(1), c.dtype(0))];
      const axis = axisOf(c.int('axis', 0), x.length);
      const shape = [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)];
      const xv = c.values(0);
      const iv = c.values(1);
      let values: number[] | undefined;
      if (xv && iv && x.length === 1 && isNum(x[0])) values = iv.map((i) => xv[i < 0 ? i + (x[0] as number) : i]).filter((v) => v !== undefined);
      if (values && values.length !== iv!.length) values = undefined;
      return [{ shape, dtype: c.dtype(0), values }];
    }
    case 'GatherElements':
      return [{ shape: c.shape(1), dtype: c.dtype(0), reason: c.shape(1) ? undefined : c.why(1) }];
    case 'GatherND': {
      const idx = c.shape(1);
      const b = c.int('batch_dims', 0);
      if (!x || !idx || !isNum(idx[idx.length - 1])) return [unknownOut(!x ? c.why(0) : c.why(1), c.dtype(0))];
      return [{ shape: [...idx.slice(0, -1), ...x.slice(b + (idx[idx.length - 1] as number))], dtype: c.dtype(0) }];
    }
    case 'Tile': {
      const reps = c.values(1);
      if (!x) return [unknownOut(c.why(0), c.dtype(0))];
      if (!reps) return [{ shape: x.map(() => UNKNOWN), dtype: c.dtype(0), reason: `the repeats of Tile "${c.node.name}" are computed at run time` }];
      return [{ shape: x.map((d, i) => (isNum(d) ? d * (reps[i] ?? 1) : UNKNOWN)), dtype: c.dtype(0) }];
    }
    case 'Expand': {
      const target = c.values(1);
      if (!target) return [unknownOut(`the target shape of Expand "${c.node.name}" is computed at run time`, c.dtype(0))];
      const s = broadcastShapes([x, target]);
      return [{ shape: s, dtype: c.dtype(0), reason: s ? undefined : c.why(0) }];
    }
    case 'DepthToSpace':
    case 'SpaceToDepth': {
      if (!x || x.length !== 4) return [unknownOut(x ? `${op} needs a 4-D input` : c.why(0), c.dtype(0))];
      const b = c.int('blocksize', 1);
      const [n, ch, h, w] = x;
      const mul = (d: Dim, f: number) => (isNum(d) ? d * f : UNKNOWN);
      const div = (d: Dim, f: number) => (isNum(d) ? d / f : UNKNOWN);
      return [{ shape: op === 'DepthToSpace' ? [n, div(ch, b * b), mul(h, b), mul(w, b)] : [n, mul(ch, b * b), div(h, b), div(w, b)], dtype: c.dtype(0) }];
    }
    case 'LSTM':
      return recurrent(c, 4);
    case 'GRU':
      return recurrent(c, 3);
    case 'RNN':
      return recurrent(c, 1);
    case 'TopK': {
      const k = c.values(1)?.[0] ?? c.int('k', NaN);
      if (!x) return [unknownOut(c.why(0), c.dtype(0)), unknownOut(c.why(0), 'INT64')];
      const axis = axisOf(c.int('axis', -1), x.length);
      const s = x.map((d, i) => (i === axis ? (Number.isFinite(k) ? k : UNKNOWN) : d));
      return [{ shape: s, dtype: c.dtype(0) }, { shape: s, dtype: 'INT64' }];
    }
    case 'ArgMax':
    case 'ArgMin': {
      if (!x) return [unknownOut(c.why(0), 'INT64')];
      const axis = axisOf(c.int('axis', 0), x.length);
      const keep = c.int('keepdims', 1) === 1;
      return [{ shape: x.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d])), dtype: 'INT64' }];
    }
    case 'NonZero':
      return [{ shape: [x ? x.length : UNKNOWN, UNKNOWN], dtype: 'INT64', reason: `NonZero "${c.node.name}" output size depends on the data` }];
    case 'NonMaxSuppression':
      return [{ shape: [UNKNOWN, 3], dtype: 'INT64', reason: 'NonMaxSuppression output size depends on the data' }];
    case 'OneHot': {
      const depth = c.values(1)?.[0];
      const idx = c.shape(0);
      if (!idx) return [unknownOut(c.why(0), c.dtype(2))];
      const r = idx.length + 1;
      const axis = axisOf(c.int('axis', -1), r);
      const out = [...idx];
      out.splice(axis, 0, depth ?? UNKNOWN);
      return [{ shape: out, dtype: c.dtype(2) }];
    }
    case 'Einsum':
      return [einsum(c)];
    case 'QuantizeLinear':
    case 'com.microsoft:QuantizeLinear':
      return [{ ...same(c), dtype: c.dtype(2) ?? (typeof c.node.attrs.output_dtype === 'number' && c.node.attrs.output_dtype ? onnxDtype(c.node.attrs.output_dtype).name : 'UINT8') }];
    case 'DequantizeLinear':
    case 'com.microsoft:DequantizeLinear':
      return [{ ...same(c), dtype: c.dtype(1) ?? 'FLOAT' }];
    case 'DynamicQuantizeLinear':
      return [{ ...same(c), dtype: 'UINT8' }, { shape: [], dtype: 'FLOAT' }, { shape: [], dtype: 'UINT8' }];
    case 'com.microsoft:QLinearAdd':
    case 'com.microsoft:QLinearMul': {
      const s = broadcastShapes([c.shape(0), c.shape(3)]);
      return [{ shape: s, dtype: c.dtype(0), reason: s ? undefined : c.why(0) }];
    }
    case 'com.microsoft:QLinearConcat': {
      const ins: number[] = [];
      for (let i = 2; i < c.node.inputs.length; i += 3) ins.push(i);
      const shapes = ins.map((i) => c.shape(i));
      if (shapes.some((s) => !s)) return [unknownOut('a QLinearConcat input shape is unknown', c.dtype(0))];
      const first = shapes[0]!;
      const axis = axisOf(c.int('axis', 0), first.length);
      const out = [...first];
      out[axis] = shapes.every((s) => isNum(s![axis])) ? shapes.reduce((a, s) => a + (s![axis] as number), 0) : UNKNOWN;
      return [{ shape: out, dtype: c.dtype(2) }];
    }
    case 'com.microsoft:Attention': {
      const w = c.shape(1);
      const hidden = w && isNum(w[1]) ? (w[1] as number) / 3 : UNKNOWN;
      return [{ shape: x ? [...x.slice(0, -1), hidden] : null, dtype: c.dtype(0), reason: x ? undefined : c.why(0) }];
    }
    case 'com.microsoft:MultiHeadAttention': {
      const v = c.shape(2);
      return [{ shape: x ? [...x.slice(0, -1), v && v.length === 3 ? v[2] : x[x.length - 1]] : null, dtype: c.dtype(0), reason: x ? undefined : c.why(0) }];
    }
    case 'com.microsoft:EmbedLayerNormalization': {
      const ids = c.shape(0);
      const emb = c.shape(2);
      return [{ shape: ids && emb ? [...ids, emb[1]] : null, dtype: c.dtype(2) }];
    }
    case 'RandomNormal':
    case 'RandomUniform':
      return [{ shape: c.ints('shape') ?? null, dtype: onnxDtype(c.int('dtype', 1)).name }];
    case 'GridSample': {
      const grid = c.shape(1);
      return [{ shape: x && grid ? [x[0], x[1], ...grid.slice(1, -1)] : null, dtype: c.dtype(0) }];
    }
    case 'If':
      return inferIf(c, bodies);
    case 'Loop':
      return inferLoop(c, bodies);
    default:
      return c.node.outputs.map(() => unknownOut(`no shape inference for ${op} ("${c.node.name}")`));
  }
}

function inferIf(c: NodeCtx, bodies: Subgraph[]): Out[] {
  const [thenB, elseB] = [c.node.attrs.then_branch, c.node.attrs.else_branch].map((id) => bodies.find((b) => b.id === id));
  const cond = c.values(0);
  return c.node.outputs.map((_, k) => {
    const tOut = thenB?.outputs[k];
    const eOut = elseB?.outputs[k];
    const tT = tOut && thenB ? findTensor(c.g, thenB, tOut) : undefined;
    const eT = eOut && elseB ? findTensor(c.g, elseB, eOut) : undefined;
    if (cond && cond.length === 1) {
      const chosen = cond[0] ? tT : eT;
      if (!chosen?.shape) return unknownOut(unknownReason(chosen) ?? `the taken If branch output shape is unknown`, chosen?.dtype);
      return { shape: chosen.shape, dtype: chosen.dtype, values: getValues(chosen) };
    }
    return mergeBranches(tT, eT);
  });
}

function inferLoop(c: NodeCtx, bodies: Subgraph[]): Out[] {
  const body = bodies.find((b) => b.id === c.node.attrs.body);
  const nCarried = Math.max(0, c.node.inputs.length - 2);
  const trip = c.values(0)?.[0];
  const iterations: Dim = trip !== undefined && !c.has(1) ? trip : UNKNOWN;
  return c.node.outputs.map((_, k) => {
    const bodyOut = body?.outputs[k + 1];
    const t = bodyOut && body ? findTensor(c.g, body, bodyOut) : undefined;
    if (k < nCarried) {
      const init = c.shape(2 + k);
      if (t?.shape && init && t.shape.length === init.length) return { shape: init.map((d, i) => (d === t.shape![i] ? d : UNKNOWN)), dtype: c.dtype(2 + k) };
      return { shape: init, dtype: c.dtype(2 + k), reason: init ? undefined : c.why(2 + k) };
    }
    return t?.shape ? { shape: [iterations, ...t.shape], dtype: t.dtype, reason: isNum(iterations) ? undefined : 'the Loop trip count is known only at run time' } : unknownOut('a Loop scan output shape is unknown', t?.dtype);
  });
}

/** Declared (file) shape vs inferred: the file's numeric dims win, inferred dims fill its unknowns. */
function mergeShape(declared: Shape | null, inferred: Shape | null): Shape | null {
  if (!declared) return inferred;
  if (!inferred) return declared;
  if (declared.length !== inferred.length) return inferred.every(isNum) ? inferred : declared;
  return declared.map((d, i) => (isNum(d) ? d : inferred[i]));
}

function validShape(s: Shape | null): boolean {
  return !s || s.every((d) => !isNum(d) || (Number.isSafeInteger(d) && d >= 0 && d <= MAX_DIM));
}

function setOutput(c: NodeCtx, index: number, out: Out, warnings: string[]): void {
  const name = c.node.outputs[index];
  if (!name) return;
  let t = c.sg.tensors.get(name);
  if (!t) {
    t = { name, shape: null, dtype: UNKNOWN_DTYPE.name, precision: UNKNOWN_DTYPE.precision, bitsPerElement: null, isConstant: false };
    c.sg.tensors.set(name, t);
  }
  if (t.isConstant) return;
  let shape = out.shape;
  if (!validShape(shape)) {
    const bad = shape!.find((d) => isNum(d) && !(Number.isSafeInteger(d) && d >= 0 && d <= MAX_DIM));
    const reason = `${c.node.op} "${c.node.name}" would produce the impossible dimension ${bad} for these input dims`;
    if (warnings.length < 50) warnings.push(`Shape inference: ${reason}`);
    setUnknownReason(t, reason);
    shape = null;
  }
  t.shape = mergeShape(t.shape, shape);
  if (out.dtype && t.dtype === UNKNOWN_DTYPE.name) {
    const d = onnxDtypeByName(out.dtype);
    t.dtype = out.dtype;
    if (d) {
      t.precision = d.precision;
      t.bitsPerElement = d.bits;
    }
  }
  if (out.values && out.values.length <= MAX_FOLDED_ELEMENTS && shape && known(shape) && prod(shape) === out.values.length) setValues(t, out.values);
  if (!t.shape || !t.shape.every(isNum)) {
    let reason = out.reason;
    for (let i = 0; !reason && i < c.node.inputs.length; i++) reason = unknownReason(c.tensor(i));
    if (reason) setUnknownReason(t, reason);
  }
}

/** Producers before consumers; nodes on a cycle come last, in file order (their inputs stay unknown). */
function topoOrder(sg: Subgraph): GraphNode[] {
  const { order, blocked } = topologicalOrder(sg);
  return blocked.length ? [...order, ...blocked] : order;
}

function bindShape(s: Shape | null, bindings: Record<string, number>, bindUnnamed: boolean): Shape | null {
  if (!s) return s;
  return s.map((d) => (typeof d === 'string' && (d !== UNKNOWN || bindUnnamed) && bindings[d] !== undefined ? bindings[d] : d));
}

/**
 * Binds symbolic dims and infers every activation's shape and dtype in the main graph and all bodies.
 * Returns warnings (each names the node and the cause).
 */
export function inferOnnxShapes(g: ModelGraph, bindings: Record<string, number>): string[] {
  const warnings: string[] = [];
  const opset = g.metadata.opset?.['ai.onnx'] ?? g.metadata.opset?.[''] ?? 13;
  const mainInputs = new Set(g.main.inputs);
  for (const sg of allSubgraphs(g)) {
    for (const t of sg.tensors.values()) {
      if (!t.isConstant && t.shape) t.shape = bindShape(t.shape, bindings, sg === g.main && mainInputs.has(t.name));
    }
  }
  const byId = new Map(g.subgraphs.map((s) => [s.id, s]));
  const done = new Set<string>();
  const visit = (sg: Subgraph, depth: number): void => {
    if (done.has(sg.id) || depth > 100) return;
    done.add(sg.id);
    for (const node of topoOrder(sg)) {
      const c = new NodeCtx(g, sg, node, opset);
      const bodies = (node.subgraphIds ?? []).map((id) => byId.get(id)).filter((b): b is Subgraph => !!b);
      for (const body of bodies) {
        if (node.op === 'Loop') seedLoopBody(c, body);
        visit(body, depth + 1);
      }
      let outs: (Out | undefined)[];
      try {
        outs = inferNode(c, bodies);
      } catch (e) {
        outs = node.outputs.map(() => unknownOut(`shape inference failed for ${node.op} "${node.name}": ${(e as Error).message}`));
      }
      outs.forEach((o, i) => o && setOutput(c, i, o, warnings));
    }
  };
  visit(g.main, 0);
  for (const sg of g.subgraphs) visit(sg, 1);
  return warnings;
}

/** Loop body inputs: iteration number, condition, then the loop-carried values' initial shapes. */
function seedLoopBody(c: NodeCtx, body: Subgraph): void {
  const seed = (name: string | undefined, shape: Shape | null, dtype: string | undefined) => {
    const t = name ? body.tensors.get(name) : undefined;
    if (!t || t.isConstant) return;
    if (!t.shape) t.shape = shape;
    if (t.dtype === UNKNOWN_DTYPE.name && dtype) {
      const d = onnxDtypeByName(dtype);
      t.dtype = dtype;
      if (d) {
        t.precision = d.precision;
        t.bitsPerElement = d.bits;
      }
    }
  };
  seed(body.inputs[0], [], 'INT64');
  seed(body.inputs[1], [], 'BOOL');
  for (let k = 2; k < body.inputs.length; k++) seed(body.inputs[k], c.shape(k), c.dtype(k));
}
