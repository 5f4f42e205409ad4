/**
 * Per-layer cost of Keras graphs, in the README's conventions, so a Keras model and its TFLite conversion give
 * the same MACs (the converter folds BatchNormalization and activations into the convolutions, which carry
 * all the MACs):
 *  - Conv1D/2D/3D = output elements × (input channels / groups) × kernel area; DepthwiseConv = output elements
 *    × kernel area; SeparableConv = its depthwise part + its pointwise part; ConvTranspose = input elements ×
 *    (filters / groups) × kernel area; Dense = output elements × input features; EinsumDense = the product of
 *    all index sizes; MultiHeadAttention and Attention = their projections and score/context products.
 *    Their bias add is 1 flop per output element, their fused activation 1 (softmax 5).
 *  - everything else in flops with the ONNX factors (BatchNormalization 2, Layer/GroupNormalization 8,
 *    softmax 5, pooling output × window, global pooling and merges per element, bilinear up-sampling 4,
 *    recurrent layers per cost/common.ts); reshaping, padding, dropout and embedding lookups are free.
 *  - a layer whose class has no rule (Lambda, TFOpLambda, a custom class), or whose input shape could not be
 *    known because of such a layer, counts 0 and makes the totals lower bounds, saying why.
 */
import type { GraphNode, ModelGraph, Subgraph } from '../graph';
import type { NodeCost, NodeCostFn } from './types';
import { knownShape, product, recurrentFlops } from './common';
import type { KerasLayer } from '../keras/config';
import { kerasLayers } from '../keras/side-info';
import { int, rankOf, spatialOf, tuple, type S } from '../keras/shapes';
import { CONV, DEPTHWISE, ELEMENTWISE_TF_OPS, GLOBAL_POOLS, MERGES, POOLS, RNN_GATES, SEPARABLE, TRANSPOSED, tfOpFunction } from '../keras/layer-classes';
import { recordOf } from '../safe-record';

const FREE = new Set([
  'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization',
  'Identity', 'Flatten', 'Reshape', 'Permute', 'RepeatVector', 'Concatenate', 'ZeroPadding1D', 'ZeroPadding2D', 'ZeroPadding3D', 'Cropping1D',
  'Cropping2D', 'Cropping3D', 'InputLayer', 'RandomFlip', 'RandomRotation', 'RandomContrast', 'RandomBrightness', 'RandomTranslation', 'RandomZoom',
  'CenterCrop',
]);
const NORMS: Record<string, number> = recordOf({ BatchNormalization: 2, LayerNormalization: 8, GroupNormalization: 8, UnitNormalization: 3, Normalization: 2, Rescaling: 2 });
const ACTIVATION_LAYERS = new Set(['Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Masking']);

/** Flops of a fused `activation` per output element: softmax 5, linear 0, others 1. */
function activationFactor(a: unknown): number {
  const name = typeof a === 'string' ? a : a && typeof a === 'object' ? String((a as Record<string, unknown>).config ?? '') : '';
  if (!name || name === 'linear' || name === 'None') return 0;
  return name === 'softmax' || name === 'log_softmax' ? 5 : 1;
}

const useBias = (l: KerasLayer): boolean => l.config.use_bias !== false;

/** Cost of one call of `l` on inputs of shapes `ins` producing `outs` (all known). */
export function kerasLayerCost(l: KerasLayer, ins: S[], outs: S[]): NodeCost {
  const c = l.config;
  const cls = l.className;
  const x = ins[0];
  const out = outs[0];
  const outEl = out ? product(out) : 0;
  const fused = outEl * activationFactor(c.activation) + (useBias(l) ? outEl : 0);
  if (FREE.has(cls)) return { macs: 0, flops: 0, opClass: 'data-movement' };
  if (NORMS[cls] !== undefined) return { macs: 0, flops: outEl * NORMS[cls], opClass: 'normalization' };
  if (cls === 'Activation') {
    // An Activation layer is what its function is: softmax costs 5 flops per element, like the Softmax layer.
    const fn = typeof c.activation === 'string' ? c.activation : 'linear';
    const softmax = fn === 'softmax' || fn === 'log_softmax';
    return { macs: 0, flops: outEl * (softmax ? 5 : fn === 'linear' ? 0 : 1), opClass: softmax ? 'softmax' : 'activation', variant: fn };
  }
  if (ACTIVATION_LAYERS.has(cls)) return { macs: 0, flops: outEl, opClass: 'activation' };
  if (MERGES.has(cls)) return { macs: 0, flops: outEl * Math.max(1, ins.length - 1), opClass: 'elementwise' };
  if (cls === 'TFOpLambda' && ELEMENTWISE_TF_OPS.has(tfOpFunction(c) ?? '')) return { macs: 0, flops: outEl, opClass: 'elementwise' };
  if (RNN_GATES[cls] !== undefined) return rnnCost(l, x, 1);
  if (CONV.has(cls)) {
    const d = spatialOf(l, x, rankOf(cls));
    if (!d) return noRule(l, 'its input rank does not match');
    const groups = int(c.groups, 1) || 1;
    return { macs: outEl * (d.c / groups) * product(tuple(c.kernel_size, rankOf(cls), 1)), flops: fused, opClass: 'conv' };
  }
  if (DEPTHWISE.has(cls)) return { macs: outEl * product(tuple(c.kernel_size, rankOf(cls), 1)), flops: fused, opClass: 'depthwise-conv' };
  if (SEPARABLE.has(cls)) {
    const n = rankOf(cls);
    const d = spatialOf(l, x, n);
    const o = spatialOf(l, out, n);
    if (!d || !o) return noRule(l, 'its input rank does not match');
    const dm = int(c.depth_multiplier, 1);
    const dwOut = o.batch * product(o.sp) * d.c * dm;
    return { macs: dwOut * product(tuple(c.kernel_size, n, 1)) + outEl * d.c * dm, flops: fused, opClass: 'conv' };
  }
  if (TRANSPOSED.has(cls)) {
    const groups = int(c.groups, 1) || 1;
    return { macs: (product(x) * int(c.filters, 0) * product(tuple(c.kernel_size, rankOf(cls), 1))) / groups, flops: fused, opClass: 'conv-transpose' };
  }
  if (POOLS.has(cls)) return { macs: 0, flops: outEl * product(tuple(c.pool_size, rankOf(cls), 2)), opClass: 'pool' };
  if (GLOBAL_POOLS.has(cls)) return { macs: 0, flops: product(x), opClass: 'pool' };
  switch (cls) {
    case 'Softmax':
      return { macs: 0, flops: outEl * 5, opClass: 'softmax' };
    case 'Dense':
      return { macs: outEl * x[x.length - 1], flops: fused, opClass: 'matmul' };
    case 'EinsumDense':
      return einsumDenseCost(l, x, out);
    case 'Embedding':
      return { macs: 0, flops: 0, opClass: 'embedding' };
    case 'UpSampling1D':
    case 'UpSampling2D':
    case 'UpSampling3D':
      return { macs: 0, flops: outEl * (c.interpolation === 'bilinear' ? 4 : 1), opClass: 'resize' };
    case 'Resizing':
      return { macs: 0, flops: outEl * (c.interpolation === 'nearest' ? 1 : 4), opClass: 'resize' };
    case 'Dot': {
      const axes = tuple(c.axes, 2, -1);
      const k = x[axes[0] < 0 ? x.length + axes[0] : axes[0]];
      return { macs: outEl * k, flops: 0, opClass: 'matmul' };
    }
    case 'Bidirectional':
      return l.wrapped && RNN_GATES[l.wrapped.className] !== undefined ? rnnCost(l.wrapped, x, 2) : noRule(l, 'it wraps a layer this reader does not cost');
    case 'TimeDistributed':
      if (!l.wrapped || x.length < 3 || out.length < 3) return noRule(l, 'it wraps nothing this reader can cost');
      return kerasLayerCost(l.wrapped, [[x[0] * x[1], ...x.slice(2)]], [[out[0] * out[1], ...out.slice(2)]]);
    case 'MultiHeadAttention':
      return attentionCost(l, ins, outEl);
    case 'Attention':
    case 'AdditiveAttention': {
      const v = ins[2] ?? ins[1];
      if (!v) return noRule(l, 'its value input is missing');
      const tv = v[v.length - 2] ?? 1;
      // scores (Tq × Tv × D) and context (Tq × Tv × Dv), per batch; softmax over the scores
      return { macs: (product(x) + outEl) * tv, flops: 5 * product(x.slice(0, -1)) * tv, opClass: 'attention' };
    }
  }
  return noRule(l, 'this reader has no cost rule for its class');
}

function noRule(l: KerasLayer, why: string): NodeCost {
  const what = l.className === 'Lambda' || l.className === 'TFOpLambda' || l.className === 'SlicingOpLambda' ? `${l.className} layer "${l.name}" runs Python code` : `${l.className} layer "${l.name}": ${why}`;
  return { macs: 0, flops: 0, opClass: 'custom', lowerBound: what };
}

/** LSTM / GRU / SimpleRNN (× 2 directions for Bidirectional): recurrent flops, no MACs (as TFLite's fused LSTM). */
function rnnCost(l: KerasLayer, x: S, directions: number): NodeCost {
  if (!x || x.length !== 3) return noRule(l, 'its input is not [batch, steps, features]');
  const [batch, steps, features] = x;
  return { macs: 0, flops: recurrentFlops(steps, batch, directions, RNN_GATES[l.className], int(l.config.units, 0), features), opClass: 'recurrent' };
}

/** EinsumDense: one multiply-add per point of the iteration space (every index of the equation). */
function einsumDenseCost(l: KerasLayer, x: S, out: S): NodeCost {
  const eq = typeof l.config.equation === 'string' ? l.config.equation.replace(/\s+/g, '') : '';
  const m = /^([a-z.]+),([a-z]+)->([a-z.]+)$/.exec(eq);
  if (!m || m[1].length !== x.length || m[3].length !== out.length) return noRule(l, `its equation "${eq}" is not one this reader follows`);
  const dims = new Map<string, number>();
  [...m[1]].forEach((ch, i) => dims.set(ch, x[i]));
  [...m[3]].forEach((ch, i) => dims.set(ch, out[i]));
  for (const ch of m[2]) if (!dims.has(ch)) return noRule(l, `its kernel index "${ch}" has no size`);
  const bias = l.config.bias_axes ? product(out) : 0;
  return { macs: product([...dims.values()]), flops: bias + product(out) * activationFactor(l.config.activation), opClass: 'matmul' };
}

/** MultiHeadAttention(query, value[, key]): Q/K/V projections, scores, context and the output projection. */
function attentionCost(l: KerasLayer, ins: S[], outEl: number): NodeCost {
  const q = ins[0];
  const v = ins[1] ?? q;
  const heads = int(l.config.num_heads, 1);
  const kd = int(l.config.key_dim, 0);
  const vd = int(l.config.value_dim, kd);
  const [b, t, d] = [q[0], q[q.length - 2] ?? 1, q[q.length - 1]];
  const s = v[v.length - 2] ?? 1;
  const dv = v[v.length - 1];
  const dOut = outEl / Math.max(1, b * t);
  const macs = b * (t * d * heads * kd + s * dv * heads * kd + s * dv * heads * vd + t * s * heads * kd + t * s * heads * vd + t * heads * vd * dOut);
  return { macs, flops: 5 * b * heads * t * s, opClass: 'attention' };
}

export const kerasCost: NodeCostFn = (node: GraphNode, sg: Subgraph, g: ModelGraph): NodeCost => {
  const l = kerasLayers().get(node);
  if (!l) return { macs: 0, flops: null, opClass: 'other', reason: 'no layer config for this node' };
  const shapes = (names: string[]): (S | null)[] => names.map((n) => knownShape(sg.tensors.get(n)?.shape ?? g.main.tensors.get(n)?.shape));
  const ins = shapes(node.inputs.filter((n) => !sg.tensors.get(n)?.isConstant));
  const outs = shapes(node.outputs);
  if (ins.some((s) => !s)) return { macs: 0, flops: 0, opClass: 'other', lowerBound: `${l.className} layer "${node.name}" could not be shaped: its input comes from a layer without a shape rule` };
  if (!outs[0]) return noRule(l, 'this reader has no shape rule for it');
  return kerasLayerCost(l, ins as S[], outs as S[]);
};

