/**
 * Per-node cost of TFLite operators.
 *
 * MACs (multiply-accumulates) are counted only for the MAC ops, from the shapes the file stores
 * (TFLite weights: CONV_2D filter OHWI, DEPTHWISE_CONV_2D filter 1HWC, CONV_3D filter DHWIO,
 * FULLY_CONNECTED weights [O, K], TRANSPOSE_CONV weights [O, H, W, I]):
 *   CONV_2D          output elements × (input channels / groups) × kernel area   (= filter's I dimension)
 *   DEPTHWISE_CONV_2D output elements × kernel area
 *   CONV_3D          output elements × filter's I × kernel volume
 *   FULLY_CONNECTED  output elements × K
 *   BATCH_MATMUL     output elements × K   (K = last dim of x, or the one before it when adj_x)
 *   TRANSPOSE_CONV   input elements × output channels × kernel area
 * The MAC ops' bias add (when the bias input is present) is 1 flop per output element.
 * Every other op has macs 0 and its arithmetic in `flops` (factors shared with the ONNX cost model):
 *   elementwise / activation ops: 1 per output element; QUANTIZE / DEQUANTIZE: 2; pooling: output elements
 *   × window; reductions: 1 per input element; SOFTMAX, LOG_SOFTMAX: 5; L2_NORMALIZATION: 3; LRN: 6;
 *   RESIZE_BILINEAR: 4, RESIZE_NEAREST_NEIGHBOR: 1 per output element; recurrent ops: 2 × (weight elements) × steps;
 *   CONV_3D_TRANSPOSE and MediaPipe's Convolution2DTransposeBias: 2 × (their MAC count);
 *   data movement and control flow: 0 (bodies are costed per subgraph).
 * TFLite_Detection_PostProcess (the SSD box decoder and NMS that object-detection exports append; it runs on the CPU):
 *   inputs box encodings [1, N, 4], class scores [1, N, C], anchors [N, 4]; output boxes [1, M, 4] (M = 10 when
 *   the file leaves it unset). flops = 2 per score (dequantise and compare, N x C) + 12 per box decoded (two exps)
 *   + 10 per IoU test of the greedy NMS against up to M kept boxes (N x M); the NMS part depends on the scores,
 *   so this is its worst case over one image, not a measurement.
 * Compiled custom ops (edgetpu-custom-op, ethos-u) and unknown custom ops have flops null with a reason:
 * what they compute is not visible in the file. A MAC op whose needed shape is unknown has macs null.
 */
import { type GraphNode, type ModelGraph, type Shape, type Subgraph, findTensor } from '../graph';
import type { NodeCost, NodeCostFn, OpClass } from './types';
import { recordOf } from '../safe-record';
import { DEFAULT_KEPT_BOXES, knownShape, nmsFlops, product } from './common';

const MAC_OPS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'CONV_3D', 'FULLY_CONNECTED', 'BATCH_MATMUL', 'TRANSPOSE_CONV']);

const ELEMENTWISE = [
  'ADD', 'SUB', 'MUL', 'DIV', 'FLOOR_DIV', 'FLOOR_MOD', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'POW', 'ADD_N', 'ABS', 'NEG',
  'SQRT', 'RSQRT', 'SQUARE', 'EXP', 'LOG', 'SIN', 'COS', 'FLOOR', 'CEIL', 'ROUND', 'SIGN', 'ATAN2', 'LESS', 'LESS_EQUAL', 'GREATER',
  'GREATER_EQUAL', 'EQUAL', 'NOT_EQUAL', 'LOGICAL_AND', 'LOGICAL_OR', 'LOGICAL_NOT', 'SELECT', 'SELECT_V2', 'BITWISE_XOR',
  'RIGHT_SHIFT', 'CUMSUM', 'COMPLEX_ABS', 'REAL', 'IMAG', 'STABLEHLO_ADD', 'STABLEHLO_MULTIPLY', 'STABLEHLO_DIVIDE', 'STABLEHLO_SUBTRACT',
  'STABLEHLO_MAXIMUM', 'STABLEHLO_MINIMUM', 'STABLEHLO_ABS', 'STABLEHLO_NEGATE', 'STABLEHLO_EXPONENTIAL', 'STABLEHLO_LOG',
  'STABLEHLO_RSQRT', 'STABLEHLO_POWER', 'STABLEHLO_REMAINDER', 'STABLEHLO_COMPARE', 'STABLEHLO_SELECT', 'STABLEHLO_AND', 'STABLEHLO_OR',
  'STABLEHLO_FLOOR', 'STABLEHLO_COSINE', 'STABLEHLO_CLAMP', 'STABLEHLO_CBRT', 'STABLEHLO_SHIFT_LEFT', 'STABLEHLO_CONVERT',
];
const ACTIVATIONS = [
  'RELU', 'RELU6', 'RELU_N1_TO_1', 'RELU_0_TO_1', 'LOGISTIC', 'TANH', 'HARD_SWISH', 'LEAKY_RELU', 'PRELU', 'ELU', 'GELU',
  'STABLEHLO_LOGISTIC', 'STABLEHLO_TANH',
];
const POOLS = ['AVERAGE_POOL_2D', 'MAX_POOL_2D', 'L2_POOL_2D'];
const REDUCES = ['MEAN', 'SUM', 'REDUCE_PROD', 'REDUCE_MAX', 'REDUCE_MIN', 'REDUCE_ANY', 'REDUCE_ALL', 'ARG_MAX', 'ARG_MIN', 'STABLEHLO_REDUCE', 'STABLEHLO_REDUCE_WINDOW'];
const SOFTMAXES = ['SOFTMAX', 'LOG_SOFTMAX'];
const NORMS = ['L2_NORMALIZATION', 'LOCAL_RESPONSE_NORMALIZATION'];
const QUANTS = ['QUANTIZE', 'DEQUANTIZE', 'FAKE_QUANT'];
const RECURRENT = ['LSTM', 'UNIDIRECTIONAL_SEQUENCE_LSTM', 'BIDIRECTIONAL_SEQUENCE_LSTM', 'RNN', 'UNIDIRECTIONAL_SEQUENCE_RNN', 'BIDIRECTIONAL_SEQUENCE_RNN', 'SVDF'];
const CONTROL = ['WHILE', 'IF', 'CALL', 'CALL_ONCE', 'STABLEHLO_WHILE', 'STABLEHLO_CASE', 'STABLEHLO_COMPOSITE', 'DELEGATE'];
const EMBEDDING = ['EMBEDDING_LOOKUP', 'EMBEDDING_LOOKUP_SPARSE', 'HASHTABLE_LOOKUP'];
const RESIZES = ['RESIZE_BILINEAR', 'RESIZE_NEAREST_NEIGHBOR'];

/** Flops per output element where it is not 1 (the same factors as the ONNX cost model). */
const PER_ELEMENT: Record<string, number> = recordOf({
  SOFTMAX: 5,
  LOG_SOFTMAX: 5,
  L2_NORMALIZATION: 3,
  LOCAL_RESPONSE_NORMALIZATION: 6,
  RESIZE_BILINEAR: 4,
  RESIZE_NEAREST_NEIGHBOR: 1,
});

const CLASS = new Map<string, OpClass>();
for (const o of ELEMENTWISE) CLASS.set(o, 'elementwise');
for (const o of ACTIVATIONS) CLASS.set(o, 'activation');
for (const o of POOLS) CLASS.set(o, 'pool');
for (const o of REDUCES) CLASS.set(o, 'reduce');
for (const o of SOFTMAXES) CLASS.set(o, 'softmax');
for (const o of NORMS) CLASS.set(o, 'normalization');
for (const o of QUANTS) CLASS.set(o, 'quantize');
for (const o of RECURRENT) CLASS.set(o, 'recurrent');
for (const o of CONTROL) CLASS.set(o, 'control-flow');
for (const o of EMBEDDING) CLASS.set(o, 'embedding');
for (const o of RESIZES) CLASS.set(o, 'resize');
CLASS.set('CONV_2D', 'conv').set('CONV_3D', 'conv').set('DEPTHWISE_CONV_2D', 'depthwise-conv').set('STABLEHLO_CONVOLUTION', 'conv');
CLASS.set('TRANSPOSE_CONV', 'conv-transpose').set('CONV_3D_TRANSPOSE', 'conv-transpose');
CLASS.set('FULLY_CONNECTED', 'matmul').set('BATCH_MATMUL', 'matmul').set('STABLEHLO_DOT_GENERAL', 'matmul');

/** opClass of a TFLite op name (builtin name or CUSTOM:<code>). Unlisted builtins move or index data. */
export function tfliteOpClass(op: string): OpClass {
  const c = CLASS.get(op);
  if (c) return c;
  if (op === 'CUSTOM:edgetpu-custom-op' || /^CUSTOM:ethos-?u$/i.test(op)) return 'compiled';
  if (op === 'CUSTOM:Convolution2DTransposeBias') return 'conv-transpose';
  if (op === 'CUSTOM:MaxPoolingWithArgmax2D') return 'pool';
  if (op === 'CUSTOM:MaxUnpooling2D') return 'data-movement';
  if (op.startsWith('CUSTOM:')) return 'custom';
  return 'data-movement';
}

export const tfliteCost: NodeCostFn = (node: GraphNode, sg: Subgraph, g: ModelGraph): NodeCost => {
  const opClass = tfliteOpClass(node.op);
  const shapeOf = (name: string | undefined): number[] | null => (name ? knownShape(findTensor(g, sg, name)?.shape) : null);
  const elems = (name: string | undefined): number | null => {
    const s = shapeOf(name);
    return s ? product(s) : null;
  };
  const out0 = node.outputs[0];
  const in0 = node.inputs[0];
  /** The bias add of conv / fully connected ops: one flop per output element when the bias input is present. */
  const bias = (index: number, out: number): number => (node.inputs[index] ? out : 0);
  const unknown = (what: string): NodeCost =>
    MAC_OPS.has(node.op)
      ? { macs: null, flops: 0, opClass, reason: `the shape of ${what} is unknown` }
      : { macs: 0, flops: null, opClass, reason: `the shape of ${what} is unknown` };

  switch (node.op) {
    case 'CONV_2D': {
      const out = elems(out0);
      const w = shapeOf(node.inputs[1]);
      if (out === null) return unknown(`output "${out0}"`);
      if (!w || w.length !== 4) return unknown(`filter "${node.inputs[1]}" (expected OHWI)`);
      return { macs: out * w[3] * w[1] * w[2], flops: bias(2, out), opClass };
    }
    case 'DEPTHWISE_CONV_2D': {
      const out = elems(out0);
      const w = shapeOf(node.inputs[1]);
      if (out === null) return unknown(`output "${out0}"`);
      if (!w || w.length !== 4) return unknown(`filter "${node.inputs[1]}" (expected 1HWC)`);
      return { macs: out * w[1] * w[2], flops: bias(2, out), opClass };
    }
    case 'CONV_3D': {
      const out = elems(out0);
      const w = shapeOf(node.inputs[1]);
      if (out === null) return unknown(`output "${out0}"`);
      if (!w || w.length !== 5) return unknown(`filter "${node.inputs[1]}" (expected DHWIO)`);
      return { macs: out * w[0] * w[1] * w[2] * w[3], flops: bias(2, out), opClass };
    }
    case 'FULLY_CONNECTED': {
      const out = elems(out0);
      const w = shapeOf(node.inputs[1]);
      if (out === null) return unknown(`output "${out0}"`);
      if (!w || w.length < 1) return unknown(`weights "${node.inputs[1]}"`);
      return { macs: out * w[w.length - 1], flops: bias(2, out), opClass };
    }
    case 'BATCH_MATMUL': {
      const out = elems(out0);
      const x = shapeOf(in0);
      if (out === null) return unknown(`output "${out0}"`);
      if (!x || x.length < 2) return unknown(`input "${in0}"`);
      const k = node.attrs.adj_x === true ? x[x.length - 2] : x[x.length - 1];
      return { macs: out * k, flops: 0, opClass };
    }
    case 'TRANSPOSE_CONV': {
      const w = shapeOf(node.inputs[1]);
      const inp = elems(node.inputs[2]);
      if (inp === null) return unknown(`input "${node.inputs[2]}"`);
      if (!w || w.length !== 4) return unknown(`weights "${node.inputs[1]}" (expected OHWI)`);
      return { macs: inp * w[0] * w[1] * w[2], flops: bias(3, elems(out0) ?? 0), opClass };
    }
    case 'CONV_3D_TRANSPOSE': {
      // inputs: output_shape, filter [D, H, W, O, I], input
      const w = shapeOf(node.inputs[1]);
      const inp = elems(node.inputs[2]);
      if (inp === null || !w || w.length !== 5) return unknown(`input or filter`);
      return { macs: 0, flops: 2 * inp * w[0] * w[1] * w[2] * w[3], opClass };
    }
    case 'CUSTOM:TFLite_Detection_PostProcess':
      return detectionPostProcessCost(shapeOf, node, opClass);
    case 'CUSTOM:Convolution2DTransposeBias': {
      // MediaPipe: inputs input (NHWC), weights [O, H, W, I], bias.
      const w = shapeOf(node.inputs[1]);
      const inp = elems(in0);
      if (inp === null || !w || w.length !== 4) return unknown(`input or weights`);
      return { macs: 0, flops: 2 * inp * w[0] * w[1] * w[2], opClass };
    }
  }

  switch (opClass) {
    case 'elementwise':
    case 'activation':
    case 'quantize': {
      const out = elems(out0);
      const factor = opClass === 'quantize' ? 2 : 1;
      return out === null ? unknown(`output "${out0}"`) : { macs: 0, flops: factor * out, opClass };
    }
    case 'pool': {
      const out = elems(out0);
      if (out === null) return unknown(`output "${out0}"`);
      const fw = typeof node.attrs.filter_width === 'number' ? node.attrs.filter_width : 1;
      const fh = typeof node.attrs.filter_height === 'number' ? node.attrs.filter_height : 1;
      return { macs: 0, flops: out * Math.max(1, fw) * Math.max(1, fh), opClass };
    }
    case 'reduce': {
      const inp = elems(in0);
      return inp === null ? unknown(`input "${in0}"`) : { macs: 0, flops: inp, opClass };
    }
    case 'softmax':
    case 'normalization':
    case 'resize': {
      const out = elems(out0);
      const factor = PER_ELEMENT[node.op] ?? 1;
      return out === null ? unknown(`output "${out0}"`) : { macs: 0, flops: factor * out, opClass };
    }
    case 'recurrent':
      return recurrentCost(node, sg, g, opClass);
    case 'compiled':
      return { macs: 0, flops: null, opClass, reason: `${node.op} runs a compiled network whose arithmetic is not visible in the file` };
    case 'custom':
      return { macs: 0, flops: null, opClass, reason: `custom operator ${node.op.slice(7)}: its arithmetic is not known` };
    default:
      return { macs: 0, flops: 0, opClass };
  }
};

/** 2 × (2-D constant weight elements) per step; steps = output elements / output feature size. */
function recurrentCost(node: GraphNode, sg: Subgraph, g: ModelGraph, opClass: OpClass): NodeCost {
  let weights = 0;
  for (const name of node.inputs) {
    if (!name) continue;
    const t = findTensor(g, sg, name);
    const s = knownShape(t?.shape);
    if (t?.isConstant && s && s.length === 2) weights += s[0] * s[1];
  }
  const out = knownShape(findTensor(g, sg, node.outputs[0] ?? '')?.shape);
  if (!out || out.length === 0) return { macs: 0, flops: null, opClass, reason: `the shape of output "${node.outputs[0]}" is unknown` };
  const steps = product(out) / Math.max(1, out[out.length - 1]);
  return { macs: 0, flops: 2 * weights * steps, opClass };
}

/** TFLite_Detection_PostProcess: score scan, box decode and greedy NMS (see the header for the counts). */
function detectionPostProcessCost(shapeOf: (name: string | undefined) => number[] | null, node: GraphNode, opClass: OpClass): NodeCost {
  const boxes = shapeOf(node.inputs[0]);
  const scores = shapeOf(node.inputs[1]);
  if (!boxes || boxes.length < 2 || !scores || scores.length < 2) {
    return { macs: 0, flops: null, opClass, reason: `the shape of the box encodings "${node.inputs[0] ?? ''}" or the class scores "${node.inputs[1] ?? ''}" is unknown` };
  }
  const n = boxes[boxes.length - 2];
  const classes = scores[scores.length - 1];
  const out = shapeOf(node.outputs[0]);
  const kept = out && out.length >= 2 && out[out.length - 2] > 0 ? out[out.length - 2] : DEFAULT_KEPT_BOXES;
  return { macs: 0, flops: nmsFlops(n, classes, kept) + 12 * n, opClass };
}
