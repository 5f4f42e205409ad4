/**
 * Per-node cost of Core ML graphs, in the README's conventions (the same as ONNX and TFLite, so the same
 * network gives the same MACs in every format):
 *  - MACs only for the MAC ops — neuralNetwork convolution / convolution3d / innerProduct / batchedMatmul and
 *    MIL conv / conv_transpose / linear / matmul: conv = output elements × (input channels / groups) × kernel
 *    area; transposed conv = input elements × (output channels / groups) × kernel area; linear / inner
 *    product / matmul = output elements × K. Their bias add is 1 flop per output element.
 *  - everything else in flops with the ONNX factors: elementwise / activation 1 per output element,
 *    batchnorm 2, layer / instance norm and mvn 8, l2 norm 3, lrn 6, softmax 5, quantize 2, pooling output ×
 *    window, reductions 1 per input element, bilinear resize 4, recurrent cells per cost/common.ts.
 *  - a loop whose trip count the file fixes costs its body that many times (a converted LSTM's time loop);
 *    other loops and branches are costed per body (subgraphCosts), like ONNX If/Loop.
 *  - a pipeline's GLM is a matmul (MACs = its weights); an OS-provided feature extractor (Vision, sound, text)
 *    or a custom layer makes the totals lower bounds, saying why.
 */
import { type GraphNode, type ModelGraph, type Subgraph, findTensor } from '../graph';
import type { NodeCost, NodeCostFn, OpClass } from './types';
import { knownShape, product, recurrentFlops } from './common';
import { milInput, milInt, milInts, milString } from '../coreml/mil-node';
import { recordOf } from '../safe-record';

interface Ctx {
  node: GraphNode;
  sg: Subgraph;
  g: ModelGraph;
}

const shapeOf = (c: Ctx, name: string | undefined): number[] | null => (name ? knownShape(findTensor(c.g, c.sg, name)?.shape) : null);
const elems = (c: Ctx, name: string | undefined): number | null => {
  const s = shapeOf(c, name);
  return s ? product(s) : null;
};
const attrInts = (n: GraphNode, k: string): number[] | undefined => (Array.isArray(n.attrs[k]) && (n.attrs[k] as unknown[]).every((x) => typeof x === 'number') ? (n.attrs[k] as number[]) : undefined);
const attr = (n: GraphNode, k: string, def: number): number => attrInts(n, k)?.[0] ?? def;

function unknownShape(c: Ctx, name: string | undefined, opClass: OpClass, mac: boolean): NodeCost {
  const reason = `the shape of "${name ?? '?'}" is unknown`;
  return mac ? { macs: null, flops: 0, opClass, reason } : { macs: 0, flops: null, opClass, reason };
}

/** An op outside the MAC list: factor × elements of its first output (or first input). */
function perElement(c: Ctx, opClass: OpClass, factor: number, basis: 'out' | 'in' = 'out'): NodeCost {
  const name = basis === 'out' ? c.node.outputs[0] : c.node.inputs[0];
  const n = elems(c, name);
  return n === null ? unknownShape(c, name, opClass, false) : { macs: 0, flops: n * factor, opClass };
}

// ------------------------------------------------------------------ neuralNetwork layers

const NN_ELEMENTWISE = new Set([
  'add', 'multiply', 'average', 'max', 'min', 'scale', 'bias', 'unary', 'clip', 'ceil', 'floor', 'sign', 'round', 'exp2', 'sin', 'cos', 'tan',
  'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh', 'erf', 'equal', 'notEqual', 'lessThan', 'lessEqual', 'greaterThan',
  'greaterEqual', 'logicalOr', 'logicalXor', 'logicalNot', 'logicalAnd', 'modBroadcastable', 'minBroadcastable', 'maxBroadcastable',
  'addBroadcastable', 'powBroadcastable', 'divideBroadcastable', 'floorDivBroadcastable', 'multiplyBroadcastable', 'subtractBroadcastable',
  'whereBroadcastable', 'cumSum', 'dot',
]);
const NN_ACTIVATIONS = new Set(['activation', 'tanh', 'gelu', 'clampedReLU']);
const NN_DATA = new Set([
  'crop', 'padding', 'loadConstant', 'reshape', 'flatten', 'permute', 'concat', 'split', 'sequenceRepeat', 'reorganizeData', 'slice', 'copy',
  'rangeStatic', 'rangeDynamic', 'tile', 'stack', 'gather', 'scatter', 'gatherND', 'scatterND', 'gatherAlongAxis', 'scatterAlongAxis', 'reverse',
  'reverseSeq', 'splitND', 'concatND', 'transpose', 'sliceStatic', 'sliceDynamic', 'slidingWindows', 'getShape', 'loadConstantND', 'fillLike',
  'fillStatic', 'fillDynamic', 'broadcastToLike', 'broadcastToStatic', 'broadcastToDynamic', 'squeeze', 'expandDims', 'flattenTo2D', 'reshapeLike',
  'reshapeStatic', 'reshapeDynamic', 'rankPreservingReshape', 'constantPad', 'whereNonZero', 'matrixBandPart', 'lowerTriangular', 'upperTriangular',
  'oneHot', 'sliceBySize', 'randomNormalLike', 'randomNormalStatic', 'randomNormalDynamic', 'randomUniformLike', 'randomUniformStatic',
  'randomUniformDynamic', 'randomBernoulliLike', 'randomBernoulliStatic', 'randomBernoulliDynamic', 'categoricalDistribution',
]);
const NN_NORMS: Record<string, number> = recordOf({ mvn: 8, l2normalize: 3, lrn: 6, layerNormalization: 8 });
const NN_REDUCE = new Set(['reduce', 'reduceL1', 'reduceL2', 'reduceMax', 'reduceMin', 'reduceSum', 'reduceProd', 'reduceMean', 'reduceLogSum', 'reduceSumSquare', 'reduceLogSumExp', 'argMax', 'argMin', 'topK', 'argSort']);
const NN_CONTROL = new Set(['branch', 'loopBreak', 'loopContinue']);
const NN_GATES: Record<string, number> = recordOf({ simpleRecurrent: 1, gru: 3, uniDirectionalLSTM: 4, biDirectionalLSTM: 4 });

/** The non-constant inputs of a neuralNetwork layer (its blobs; weights follow them). */
const blobs = (c: Ctx): string[] => c.node.inputs.filter((i) => !findTensor(c.g, c.sg, i)?.isConstant);
const hasConst = (c: Ctx, suffix: string): boolean => c.node.inputs.some((i) => i.endsWith(suffix) && findTensor(c.g, c.sg, i)?.isConstant);

function nnCost(c: Ctx): NodeCost {
  const { node } = c;
  const op = node.op;
  const out0 = node.outputs[0];
  const x = blobs(c)[0];
  switch (op) {
    case 'convolution': {
      const deconv = attr(node, 'isDeconvolution', 0) === 1;
      const k = attrInts(node, 'kernelSize') ?? [3, 3];
      const groups = attr(node, 'nGroups', 1) || 1;
      const cin = shapeOf(c, x)?.at(-3);
      const depthwise = groups > 1 && cin !== undefined && groups === cin;
      const opClass: OpClass = deconv ? 'conv-transpose' : depthwise ? 'depthwise-conv' : 'conv';
      const out = elems(c, out0);
      if (deconv) {
        const inp = elems(c, x);
        if (inp === null) return unknownShape(c, x, opClass, true);
        return { macs: inp * Math.floor(attr(node, 'outputChannels', 0) / groups) * product(k), flops: hasConst(c, '.bias') && out !== null ? out : 0, opClass };
      }
      if (out === null) return unknownShape(c, out0, opClass, true);
      const kc = attr(node, 'kernelChannels', cin !== undefined ? cin / groups : NaN);
      if (!Number.isFinite(kc)) return unknownShape(c, x, opClass, true);
      return { macs: out * kc * product(k), flops: hasConst(c, '.bias') ? out : 0, opClass };
    }
    case 'convolution3d': {
      const out = elems(c, out0);
      if (out === null) return unknownShape(c, out0, 'conv', true);
      const k = attr(node, 'kernelDepth', 3) * attr(node, 'kernelHeight', 3) * attr(node, 'kernelWidth', 3);
      return { macs: (out * attr(node, 'inputChannels', 0) * k) / (attr(node, 'nGroups', 1) || 1), flops: hasConst(c, '.bias') ? out : 0, opClass: 'conv' };
    }
    case 'innerProduct': {
      const out = elems(c, out0);
      if (out === null) return unknownShape(c, out0, 'matmul', true);
      return { macs: out * attr(node, 'inputChannels', 0), flops: hasConst(c, '.bias') ? out : 0, opClass: 'matmul' };
    }
    case 'batchedMatmul': {
      const out = elems(c, out0);
      const a = shapeOf(c, x);
      if (out === null) return unknownShape(c, out0, 'matmul', true);
      if (!a || !a.length) return unknownShape(c, x, 'matmul', true);
      const kdim = attr(node, 'transposeA', 0) ? a[a.length - 2] : a[a.length - 1];
      return { macs: out * kdim, flops: hasConst(c, '.bias') ? out : 0, opClass: 'matmul' };
    }
    case 'pooling': {
      if (attr(node, 'globalPooling', 0)) return perElement(c, 'pool', 1, 'in');
      return perElement(c, 'pool', product(attrInts(node, 'kernelSize') ?? [1, 1]));
    }
    case 'embedding':
    case 'embeddingND':
      return { macs: 0, flops: 0, opClass: 'embedding' };
    case 'batchnorm':
      return perElement(c, 'normalization', attr(node, 'instanceNormalization', 0) ? 8 : 2);
    case 'softmax':
    case 'softmaxND':
      return perElement(c, 'softmax', 5);
    case 'upsample':
      return perElement(c, 'resize', attr(node, 'mode', 0) === 1 ? 4 : 1);
    case 'resizeBilinear':
    case 'cropResize':
      return perElement(c, 'resize', 4);
    case 'loop':
      return loopCost(c, nnCost);
    case 'custom':
      return { macs: 0, flops: 0, opClass: 'custom', lowerBound: `custom layer "${node.name}"${typeof node.attrs.className === 'string' ? ` (${node.attrs.className})` : ''} runs app code whose arithmetic is not in the file` };
  }
  if (NN_GATES[op] !== undefined) {
    const s = shapeOf(c, x);
    if (!s) return { macs: 0, flops: null, opClass: 'recurrent', reason: `the shape of "${x ?? '?'}" is unknown` };
    const hidden = attr(node, 'outputVectorSize', 0);
    const input = attr(node, 'inputVectorSize', 0);
    return { macs: 0, flops: recurrentFlops(s[0], 1, op === 'biDirectionalLSTM' ? 2 : 1, NN_GATES[op], hidden, input), opClass: 'recurrent' };
  }
  if (NN_ACTIVATIONS.has(op)) {
    const cost = perElement(c, 'activation', 1);
    return typeof node.attrs.activation === 'string' ? { ...cost, variant: node.attrs.activation } : cost;
  }
  if (NN_ELEMENTWISE.has(op)) return perElement(c, 'elementwise', 1);
  if (NN_NORMS[op] !== undefined) return perElement(c, 'normalization', NN_NORMS[op]);
  if (NN_REDUCE.has(op)) return perElement(c, 'reduce', 1, 'in');
  if (NN_DATA.has(op)) return { macs: 0, flops: 0, opClass: 'data-movement' };
  if (NN_CONTROL.has(op)) return { macs: 0, flops: 0, opClass: 'control-flow' };
  // A layer whose type the file does not name ("unknown"), a type this reader does not know ("layer type N") or one
  // without a cost model: its arithmetic is not counted, so the totals are lower bounds that name it (as a custom layer).
  const what = op === 'unknown' ? 'names no layer type' : op.startsWith('layer type ') ? `has ${op}, which this reader does not know` : `is a ${op} layer, which has no cost model here`;
  return { macs: 0, flops: 0, opClass: 'other', lowerBound: `Core ML layer "${node.name}" ${what}; its arithmetic is not counted` };
}

// ------------------------------------------------------------------ MIL operations

const MIL_ELEMENTWISE = new Set([
  'add', 'sub', 'mul', 'real_div', 'pow', 'maximum', 'minimum', 'floor_div', 'mod', 'equal', 'not_equal', 'less', 'less_equal', 'greater',
  'greater_equal', 'logical_and', 'logical_or', 'logical_xor', 'logical_not', 'select', 'abs', 'acos', 'asin', 'atan', 'atanh', 'acosh', 'asinh',
  'ceil', 'clip', 'cos', 'cosh', 'erf', 'exp', 'exp2', 'floor', 'inverse', 'log', 'round', 'rsqrt', 'sign', 'sin', 'sinh', 'sqrt', 'square', 'tan',
  'threshold', 'cast', 'cumsum',
]);
const MIL_ACTIVATIONS = new Set([
  'relu', 'relu6', 'sigmoid', 'sigmoid_hard', 'silu', 'softplus', 'softsign', 'elu', 'gelu', 'leaky_relu', 'prelu', 'linear_activation', 'scaled_tanh',
  'clamped_relu', 'thresholded_relu', 'softplus_parametric', 'tanh',
]);
const MIL_NORMS: Record<string, number> = recordOf({ batch_norm: 2, instance_norm: 8, layer_norm: 8, l2_norm: 3, local_response_norm: 6 });
const MIL_DATA = new Set([
  'const', 'reshape', 'reshape_like', 'transpose', 'concat', 'split', 'slice_by_index', 'slice_by_size', 'squeeze', 'expand_dims', 'gather',
  'gather_along_axis', 'gather_nd', 'scatter', 'scatter_along_axis', 'scatter_nd', 'pad', 'tile', 'identity', 'shape', 'range_1d', 'fill', 'fill_like',
  'stack', 'band_part', 'space_to_depth', 'depth_to_space', 'space_to_batch', 'batch_to_space', 'pixel_shuffle', 'pixel_unshuffle', 'reverse',
  'reverse_sequence', 'make_list', 'list_read', 'list_write', 'list_gather', 'list_scatter', 'list_length', 'one_hot', 'non_zero', 'sliding_windows',
  'crop', 'read_state', 'coreml_update_state', 'random_normal', 'random_uniform', 'random_bernoulli', 'random_categorical', 'flatten2d',
]);
const MIL_GATES: Record<string, number> = recordOf({ lstm: 4, gru: 3, rnn: 1 });

function milCost(c: Ctx): NodeCost {
  const { node } = c;
  const op = node.op;
  const out0 = node.outputs[0];
  switch (op) {
    case 'conv':
    case 'conv_transpose': {
      const w = shapeOf(c, milInput(node, 'weight'));
      const x = shapeOf(c, milInput(node, 'x'));
      const groups = milInt(node, 'groups', 1) || 1;
      const transpose = op === 'conv_transpose';
      const opClass: OpClass = transpose ? 'conv-transpose' : groups > 1 && x && groups === x[1] ? 'depthwise-conv' : 'conv';
      if (!w || w.length < 3) return unknownShape(c, milInput(node, 'weight'), opClass, true);
      const out = elems(c, out0);
      const bias = milInput(node, 'bias') && out !== null ? out : 0;
      const basis = transpose ? elems(c, milInput(node, 'x')) : out;
      if (basis === null) return unknownShape(c, transpose ? milInput(node, 'x') : out0, opClass, true);
      return { macs: basis * w[1] * product(w.slice(2)), flops: bias, opClass };
    }
    case 'linear': {
      const w = shapeOf(c, milInput(node, 'weight'));
      const out = elems(c, out0);
      if (out === null) return unknownShape(c, out0, 'matmul', true);
      if (!w || w.length !== 2) return unknownShape(c, milInput(node, 'weight'), 'matmul', true);
      return { macs: out * w[1], flops: milInput(node, 'bias') ? out : 0, opClass: 'matmul' };
    }
    case 'matmul': {
      const x = shapeOf(c, milInput(node, 'x'));
      const out = elems(c, out0);
      if (out === null) return unknownShape(c, out0, 'matmul', true);
      if (!x || !x.length) return unknownShape(c, milInput(node, 'x'), 'matmul', true);
      const k = x.length === 1 ? x[0] : milInts(node, 'transpose_x')?.[0] === 1 ? x[x.length - 2] : x[x.length - 1];
      return { macs: out * k, flops: 0, opClass: 'matmul' };
    }
    case 'avg_pool':
    case 'max_pool':
    case 'l2_pool':
      return perElement(c, 'pool', product(milInts(node, 'kernel_sizes') ?? [1]));
    case 'softmax':
      return perElement(c, 'softmax', 5);
    case 'quantize':
    case 'dequantize':
      return perElement(c, 'quantize', 2);
    case 'upsample_nearest_neighbor':
    case 'resize_nearest_neighbor':
      return perElement(c, 'resize', 1);
    case 'upsample_bilinear':
    case 'resize_bilinear':
    case 'crop_resize':
    case 'resize':
      return perElement(c, 'resize', 4);
    case 'while_loop':
      return loopCost(c, milCost);
    case 'cond':
      return { macs: 0, flops: 0, opClass: 'control-flow' };
  }
  if (MIL_GATES[op] !== undefined) {
    const x = shapeOf(c, milInput(node, 'x'));
    const hh = shapeOf(c, milInput(node, 'weight_hh'));
    if (!x || x.length !== 3) return { macs: 0, flops: null, opClass: 'recurrent', reason: `the shape of "${milInput(node, 'x') ?? '?'}" is unknown` };
    const gates = MIL_GATES[op];
    const hidden = hh ? hh[hh.length - 1] : 0;
    const dirs = milString(node, 'direction') === 'bidirectional' ? 2 : 1;
    return { macs: 0, flops: recurrentFlops(x[0], x[1], dirs, gates, hidden, x[2]), opClass: 'recurrent' };
  }
  if (op.startsWith('constexpr_')) return { macs: 0, flops: 0, opClass: 'data-movement' };
  if (op.startsWith('reduce_') || op === 'topk' || op === 'argsort') return perElement(c, 'reduce', 1, 'in');
  if (MIL_ACTIVATIONS.has(op)) return perElement(c, 'activation', 1);
  if (MIL_ELEMENTWISE.has(op)) return perElement(c, 'elementwise', 1);
  if (MIL_NORMS[op] !== undefined) return perElement(c, 'normalization', MIL_NORMS[op]);
  if (MIL_DATA.has(op)) return { macs: 0, flops: 0, opClass: 'data-movement' };
  return { macs: 0, flops: null, opClass: 'other', reason: `no cost model for MIL operation ${op}` };
}

// ------------------------------------------------------------------ loops and non-network models

/** A loop with a fixed trip count: its bodies × their runs, as the body's dominant op class; otherwise per body. */
function loopCost(c: Ctx, cost: (c: Ctx) => NodeCost): NodeCost {
  const { node, g } = c;
  if (typeof node.attrs.staticTrips !== 'number') return { macs: 0, flops: 0, opClass: 'control-flow' };
  let macs: number | null = 0;
  let flops: number | null = 0;
  let reason: string | undefined;
  let lowerBound: string | undefined;
  const byClass = new Map<OpClass, number>();
  for (const id of node.subgraphIds ?? []) {
    const body = g.subgraphs.find((s) => s.id === id);
    if (!body) continue;
    const runs = body.runs ?? 0;
    for (const n of body.nodes) {
      const nc = cost({ node: n, sg: body, g });
      if (nc.macs === null) {
        macs = null;
        reason ??= `${n.op} "${n.name}" in the loop body: ${nc.reason ?? 'unknown'}`;
      } else if (macs !== null) macs += nc.macs * runs;
      if (nc.flops === null) flops = null;
      else if (flops !== null) flops += nc.flops * runs;
      lowerBound ??= nc.lowerBound;
      const weight = (nc.macs ?? 0) * 2 + (nc.flops ?? 0);
      byClass.set(nc.opClass, (byClass.get(nc.opClass) ?? 0) + weight * runs);
    }
  }
  const dominant = [...byClass].sort((a, b) => b[1] - a[1])[0];
  const opClass: OpClass = dominant && dominant[1] > 0 ? dominant[0] : 'control-flow';
  return { macs, flops, opClass, ...(reason ? { reason } : {}), ...(lowerBound ? { lowerBound } : {}) };
}

function modelCost(c: Ctx): NodeCost {
  const { node } = c;
  if (node.op === 'glmClassifier' || node.op === 'glmRegressor') {
    const w = node.inputs.map((i) => findTensor(c.g, c.sg, i)).find((t) => t?.isConstant && t.name.endsWith('.weights'));
    const rows = typeof node.attrs.glmRows === 'number' ? node.attrs.glmRows : 0;
    return { macs: w?.elements ?? 0, flops: rows, opClass: 'matmul' };
  }
  if (node.op === 'identity') return { macs: 0, flops: 0, opClass: 'data-movement' };
  if (/^(visionFeaturePrint|audioFeaturePrint|soundAnalysisPreprocessing|textClassifier|wordTagger|wordEmbedding|gazetteer)$/.test(node.op)) {
    return { macs: 0, flops: 0, opClass: 'compiled', lowerBound: `${node.op} "${node.name}" runs a network that ships with the operating system, not in the file` };
  }
  return { macs: 0, flops: null, opClass: 'other', reason: `${node.op} "${node.name}" is not a neural network; its arithmetic is not costed` };
}

export const coremlCost: NodeCostFn = (node, sg, g) => {
  const c: Ctx = { node, sg, g };
  if (node.domain === 'neuralNetwork') return nnCost(c);
  if (node.domain === 'mlProgram') return milCost(c);
  return modelCost(c);
};
