/**
 * Per-node cost of ONNX operators, in the README's conventions:
 * - `macs` only for Conv, ConvTranspose, Gemm, MatMul and their QLinear / Integer variants:
 *   Conv = output elements x (input channels / group) x kernel area;
 *   ConvTranspose = input elements x (output channels / group) x kernel area;
 *   Gemm / MatMul = output elements x K.
 * - every other op has macs 0 and its arithmetic in `flops` (elementwise, normalisation, softmax, pooling,
 *   reductions, recurrent cells, resize, quantise/dequantise).
 * - a needed shape that is unknown gives null with the reason, never a silent 0.
 * Shapes come from the graph after shape inference (shapes.ts).
 */
import { type Dim, type GraphNode, type ModelGraph, type Subgraph, type TensorInfo, elementCount, findTensor } from '../graph';
import type { NodeCost, NodeCostFn, OpClass } from './types';
import { getValues, unknownReason } from '../onnx/values';
import { recordOf } from '../safe-record';
import { DEFAULT_KEPT_BOXES, nmsFlops, recurrentFlops } from './common';

const isNum = (d: Dim | undefined): d is number => typeof d === 'number';

interface Ctx {
  node: GraphNode;
  sg: Subgraph;
  g: ModelGraph;
}

function tensor(c: Ctx, name: string | undefined): TensorInfo | undefined {
  return name ? findTensor(c.g, c.sg, name) : undefined;
}

function shapeReason(c: Ctx, name: string | undefined, what: string): string {
  const t = tensor(c, name);
  const why = unknownReason(t);
  return `the shape of ${what} "${name ?? ''}" is unknown${why ? `: ${why}` : ''}`;
}

function outElements(c: Ctx, i = 0): number | null {
  return elementCount(tensor(c, c.node.outputs[i])?.shape ?? null);
}

function inElements(c: Ctx, i = 0): number | null {
  return elementCount(tensor(c, c.node.inputs[i])?.shape ?? null);
}

function attrInts(node: GraphNode, name: string): number[] | undefined {
  const v = node.attrs[name];
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
}

function attrInt(node: GraphNode, name: string, def: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : def;
}

function fail(opClass: OpClass, reason: string, flopsToo = true): NodeCost {
  return { macs: null, flops: flopsToo ? null : 0, opClass, reason };
}

/** Conv family: x at xi, weight at wi, bias at bi (or -1). */
function convCost(c: Ctx, xi: number, wi: number, bi: number): NodeCost {
  const { node } = c;
  const x = tensor(c, node.inputs[xi])?.shape ?? null;
  const w = tensor(c, node.inputs[wi])?.shape ?? null;
  const group = attrInt(node, 'group', 1);
  const cin = x && isNum(x[1]) ? x[1] : null;
  const depthwise = group > 1 && cin !== null && group === cin;
  const opClass: OpClass = depthwise ? 'depthwise-conv' : 'conv';
  if (!x || cin === null) return fail(opClass, shapeReason(c, node.inputs[xi], 'input'));
  const kernel = attrInts(node, 'kernel_shape') ?? (w && w.slice(2).every(isNum) ? (w.slice(2) as number[]) : null);
  if (!kernel) return fail(opClass, shapeReason(c, node.inputs[wi], 'weight'));
  const area = kernel.reduce((a, b) => a * b, 1);
  const out = outElements(c);
  if (out === null) return fail(opClass, shapeReason(c, node.outputs[0], 'output'));
  const macs = out * (cin / group) * area;
  const hasBias = bi >= 0 && !!node.inputs[bi];
  return { macs, flops: hasBias ? out : 0, opClass };
}

function convTransposeCost(c: Ctx): NodeCost {
  const { node } = c;
  const w = tensor(c, node.inputs[1])?.shape ?? null;
  const inEl = inElements(c, 0);
  if (inEl === null) return fail('conv-transpose', shapeReason(c, node.inputs[0], 'input'));
  if (!w || !w.every(isNum) || w.length < 3) return fail('conv-transpose', shapeReason(c, node.inputs[1], 'weight'));
  const kernel = attrInts(node, 'kernel_shape') ?? (w.slice(2) as number[]);
  const area = kernel.reduce((a, b) => a * b, 1);
  // Weight is [C_in, C_out / group, k...]: output channels per group = w[1].
  const macs = inEl * (w[1] as number) * area;
  const out = outElements(c);
  return { macs, flops: node.inputs[2] ? out : 0, opClass: 'conv-transpose', ...(node.inputs[2] && out === null ? { reason: shapeReason(c, node.outputs[0], 'output') } : {}) };
}

/** MatMul family: A at ai, B at bi; K = A's last dim. */
function matmulCost(c: Ctx, ai: number, bi: number): NodeCost {
  const { node } = c;
  const a = tensor(c, node.inputs[ai])?.shape ?? null;
  const b = tensor(c, node.inputs[bi])?.shape ?? null;
  let k: Dim | undefined = a ? a[a.length - 1] : undefined;
  if (!isNum(k) && b) k = b.length === 1 ? b[0] : b[b.length - 2];
  if (!isNum(k)) return fail('matmul', shapeReason(c, node.inputs[a ? bi : ai], 'operand'));
  const out = outElements(c);
  if (out === null) return fail('matmul', shapeReason(c, node.outputs[0], 'output'));
  return { macs: out * k, flops: 0, opClass: 'matmul' };
}

function gemmCost(c: Ctx): NodeCost {
  const { node } = c;
  const a = tensor(c, node.inputs[0])?.shape ?? null;
  const b = tensor(c, node.inputs[1])?.shape ?? null;
  let k: Dim | undefined = a && a.length === 2 ? (attrInt(node, 'transA', 0) ? a[0] : a[1]) : undefined;
  if (!isNum(k) && b && b.length === 2) k = attrInt(node, 'transB', 0) ? b[1] : b[0];
  if (!isNum(k)) return fail('matmul', shapeReason(c, node.inputs[0], 'operand A'));
  const out = outElements(c);
  if (out === null) return fail('matmul', shapeReason(c, node.outputs[0], 'output'));
  // alpha*A*B + beta*C: the bias add is one flop per output element.
  return { macs: out * k, flops: node.inputs[2] ? out : 0, opClass: 'matmul' };
}

/** An op outside the MAC list: macs 0, flops = factor x elements of output (or input). */
function perElement(c: Ctx, opClass: OpClass, factor: number, basis: 'out' | 'in' = 'out'): NodeCost {
  const el = basis === 'out' ? outElements(c) : inElements(c);
  if (el === null) {
    const name = basis === 'out' ? c.node.outputs[0] : c.node.inputs[0];
    return { macs: 0, flops: null, opClass, reason: shapeReason(c, name, basis === 'out' ? 'output' : 'input') };
  }
  return { macs: 0, flops: el * factor, opClass };
}

function poolCost(c: Ctx): NodeCost {
  const kernel = attrInts(c.node, 'kernel_shape');
  const area = kernel ? kernel.reduce((a, b) => a * b, 1) : 1;
  return perElement(c, 'pool', area);
}

function recurrentCost(c: Ctx, gates: number): NodeCost {
  const x = tensor(c, c.node.inputs[0])?.shape ?? null;
  const w = tensor(c, c.node.inputs[1])?.shape ?? null;
  const layout = attrInt(c.node, 'layout', 0);
  if (!x || x.length !== 3 || !x.every(isNum)) return { macs: 0, flops: null, opClass: 'recurrent', reason: shapeReason(c, c.node.inputs[0], 'input') };
  if (!w || !w.every(isNum)) return { macs: 0, flops: null, opClass: 'recurrent', reason: shapeReason(c, c.node.inputs[1], 'weight') };
  const [seq, batch, input] = layout === 0 ? [x[0], x[1], x[2]] : [x[1], x[0], x[2]];
  const dirs = w[0] as number;
  const hidden = attrInt(c.node, 'hidden_size', (w[1] as number) / gates);
  return { macs: 0, flops: recurrentFlops(seq as number, batch as number, dirs, gates, hidden, input as number), opClass: 'recurrent' };
}

const ACTIVATIONS = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Selu', 'Elu', 'Celu', 'Softplus', 'Softsign',
  'Gelu', 'Mish', 'Swish', 'ThresholdedRelu', 'Clip', 'Shrink', 'Erf',
  'com.microsoft:Gelu', 'com.microsoft:FastGelu', 'com.microsoft:QuickGelu', 'com.microsoft:BiasGelu',
  'com.microsoft:QLinearSigmoid', 'com.microsoft:QLinearLeakyRelu',
]);
const ELEMENTWISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Max', 'Min', 'Mean', 'Sum', 'Neg', 'Abs', 'Reciprocal', 'Sqrt', 'Exp', 'Log',
  'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh',
  'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'Where', 'IsNaN', 'IsInf',
  'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot', 'CumSum', 'Cast', 'CastLike',
  'com.microsoft:QLinearAdd', 'com.microsoft:QLinearMul', 'com.microsoft:BiasAdd',
]);
const NORMALIZATIONS: Record<string, number> = recordOf({
  BatchNormalization: 2,
  InstanceNormalization: 8,
  LayerNormalization: 8,
  GroupNormalization: 8,
  MeanVarianceNormalization: 8,
  LpNormalization: 3,
  LRN: 6,
  'com.microsoft:SkipLayerNormalization': 9,
  'com.microsoft:SkipSimplifiedLayerNormalization': 7,
  'com.microsoft:SimplifiedLayerNormalization': 6,
});
const REDUCTIONS = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin', 'TopK']);
const DATA_MOVEMENT = new Set([
  'Reshape', 'Flatten', 'Transpose', 'Concat', 'Split', 'Slice', 'Squeeze', 'Unsqueeze', 'Pad', 'Gather', 'GatherElements',
  'GatherND', 'Scatter', 'ScatterND', 'ScatterElements', 'Tile', 'Expand', 'DepthToSpace', 'SpaceToDepth', 'Identity', 'Dropout',
  'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Range', 'NonZero', 'ReverseSequence', 'Trilu', 'OneHot', 'EyeLike',
  'Compress', 'Unique', 'SequenceAt', 'SequenceConstruct', 'SequenceInsert', 'SplitToSequence', 'ConcatFromSequence',
  'com.microsoft:QLinearConcat', 'Optional', 'OptionalGetElement', 'OptionalHasElement',
]);
const QUANTIZE = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'com.microsoft:QuantizeLinear', 'com.microsoft:DequantizeLinear']);
const CONTROL_FLOW = new Set(['If', 'Loop', 'Scan']);

function costOf(c: Ctx): NodeCost {
  const op = c.node.op;
  switch (op) {
    case 'Conv':
    case 'com.microsoft:FusedConv':
    case 'com.microsoft:NhwcConv':
      return convCost(c, 0, 1, 2);
    case 'QLinearConv':
    case 'com.microsoft:QLinearConv':
      return convCost(c, 0, 3, 8);
    case 'ConvInteger':
      return convCost(c, 0, 1, -1);
    case 'ConvTranspose':
      return convTransposeCost(c);
    case 'Gemm':
    case 'com.microsoft:FusedGemm':
      return gemmCost(c);
    case 'MatMul':
    case 'MatMulInteger':
    case 'com.microsoft:MatMulIntegerToFloat':
    case 'com.microsoft:DynamicQuantizeMatMul':
    case 'com.microsoft:FusedMatMul':
      return matmulCost(c, 0, 1);
    case 'QLinearMatMul':
      return matmulCost(c, 0, 3);
    case 'com.microsoft:MatMulNBits': {
      const k = attrInt(c.node, 'K', NaN);
      const out = outElements(c);
      if (!Number.isFinite(k)) return fail('matmul', 'MatMulNBits has no K attribute');
      if (out === null) return fail('matmul', shapeReason(c, c.node.outputs[0], 'output'));
      return { macs: out * k, flops: 0, opClass: 'matmul' };
    }
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool':
    case 'com.microsoft:QLinearAveragePool':
      return poolCost(c);
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
    case 'GlobalLpPool':
    case 'com.microsoft:QLinearGlobalAveragePool':
      return perElement(c, 'pool', 1, 'in');
    case 'MaxRoiPool':
    case 'RoiAlign':
      return perElement(c, 'pool', 4);
    case 'Softmax':
    case 'LogSoftmax':
    case 'Hardmax':
    case 'com.microsoft:QLinearSoftmax':
      return perElement(c, 'softmax', 5);
    case 'LSTM':
      return recurrentCost(c, 4);
    case 'GRU':
      return recurrentCost(c, 3);
    case 'RNN':
      return recurrentCost(c, 1);
    case 'Resize':
    case 'Upsample': {
      const mode = typeof c.node.attrs.mode === 'string' ? c.node.attrs.mode : 'nearest';
      return perElement(c, 'resize', mode === 'nearest' ? 1 : mode === 'cubic' ? 16 : 4);
    }
    case 'Einsum': {
      // All index dims multiplied: one multiply-add (2 flops) per point of the iteration space.
      const eq = typeof c.node.attrs.equation === 'string' ? c.node.attrs.equation.replace(/\s+/g, '') : '';
      const terms = eq.split('->')[0].split(',');
      const dims = new Map<string, number>();
      for (let i = 0; i < terms.length; i++) {
        const s = tensor(c, c.node.inputs[i])?.shape;
        if (!s || s.length !== terms[i].length) return { macs: 0, flops: null, opClass: 'matmul', reason: shapeReason(c, c.node.inputs[i], 'operand') };
        [...terms[i]].forEach((ch, k) => isNum(s[k]) && dims.set(ch, Math.max(dims.get(ch) ?? 1, s[k] as number)));
      }
      return { macs: 0, flops: 2 * [...dims.values()].reduce((a, b) => a * b, 1), opClass: 'matmul' };
    }
    case 'com.microsoft:Attention':
    case 'com.microsoft:MultiHeadAttention':
    case 'com.microsoft:QAttention': {
      const x = tensor(c, c.node.inputs[0])?.shape;
      if (!x || !x.every(isNum) || x.length !== 3) return { macs: 0, flops: null, opClass: 'attention', reason: shapeReason(c, c.node.inputs[0], 'input') };
      const [b, s, h] = x as number[];
      // Q K^T and attention x V: 2 x b x s x s x h multiply-adds, plus softmax on b x heads x s x s.
      return { macs: 0, flops: 4 * b * s * s * h + 5 * b * s * s, opClass: 'attention' };
    }
    case 'NonMaxSuppression':
      return nmsCost(c);
    case 'com.microsoft:EmbedLayerNormalization':
      return perElement(c, 'embedding', 9);
  }
  if (ACTIVATIONS.has(op)) return perElement(c, 'activation', 1);
  if (ELEMENTWISE.has(op)) return perElement(c, 'elementwise', 1);
  if (NORMALIZATIONS[op] !== undefined) return perElement(c, 'normalization', NORMALIZATIONS[op]);
  if (REDUCTIONS.has(op)) return perElement(c, 'reduce', 1, 'in');
  if (QUANTIZE.has(op)) return perElement(c, 'quantize', 2);
  if (DATA_MOVEMENT.has(op)) return { macs: 0, flops: 0, opClass: 'data-movement' };
  if (CONTROL_FLOW.has(op)) return { macs: 0, flops: 0, opClass: 'control-flow' };
  const custom = op.includes(':');
  return { macs: 0, flops: null, opClass: custom ? 'custom' : 'other', reason: `no cost model for ${custom ? 'custom op' : 'op'} ${op}` };
}

export const onnxNodeCost: NodeCostFn = (node: GraphNode, sg: Subgraph, g: ModelGraph): NodeCost => costOf({ node, sg, g });

/** A score threshold at or below this keeps every box a candidate (the TF Object Detection API configs use 1e-8). */
const SCORE_THRESHOLD_ALL_BOXES = 1e-3;

/**
 * NonMaxSuppression (boxes [B, N, 4], scores [B, C, N]): nmsFlops per batch item (common.ts) with K kept boxes
 * (max_output_boxes_per_class when constant, else 10, at most N). How many boxes pass the score threshold depends
 * on the image: a box above it in several classes costs more, one below it less.
 * With a score threshold above 1e-3 (variant 'score-threshold') few boxes are candidates and the count is a worst case.
 */
function nmsCost(c: Ctx): NodeCost {
  const boxes = tensor(c, c.node.inputs[0])?.shape;
  const scores = tensor(c, c.node.inputs[1])?.shape;
  if (!boxes || boxes.length !== 3 || !boxes.every(isNum)) return { macs: 0, flops: null, opClass: 'reduce', reason: shapeReason(c, c.node.inputs[0], 'boxes') };
  if (!scores || scores.length !== 3 || !scores.every(isNum)) return { macs: 0, flops: null, opClass: 'reduce', reason: shapeReason(c, c.node.inputs[1], 'scores') };
  const [b, n] = boxes as number[];
  const classes = scores[1] as number;
  const stated = getValues(tensor(c, c.node.inputs[2]))?.[0];
  const kept = Math.min(n, stated !== undefined && stated > 0 ? stated : DEFAULT_KEPT_BOXES);
  // A score threshold (YOLO exports: 0.25) leaves a data-dependent few candidates: the count is then a worst case.
  const threshold = c.node.inputs[4] ? getValues(tensor(c, c.node.inputs[4]))?.[0] : undefined;
  const thresholded = threshold === undefined ? !!c.node.inputs[4] : threshold > SCORE_THRESHOLD_ALL_BOXES;
  return { macs: 0, flops: b * nmsFlops(n, classes, kept), opClass: 'reduce', ...(thresholded ? { variant: 'score-threshold' } : {}) };
}
