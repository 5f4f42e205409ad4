/**
 * Shape handling for TFLite graphs. TFLite files store every tensor's shape, so there is little to infer:
 *
 * 1. Dynamic dimensions. The stored `shape` holds a concrete size (usually 1) where `shape_signature` has -1.
 *    Convention: the -1 at position i of any tensor is the symbol "dim<i>" ("dim0" is the batch). A binding
 *    {dim0: 8} sets that position to 8 in every tensor whose signature has -1 there; unbound, the stored size stays.
 * 2. Missing shapes (a tensor stored with unknown rank) are filled in execution order for common ops:
 *    elementwise/activation ops (broadcast), CONV_2D, DEPTHWISE_CONV_2D, pooling, FULLY_CONNECTED, RESHAPE,
 *    CONCATENATION, BATCH_MATMUL, TRANSPOSE_CONV, PAD, reductions, RESIZE_*, TRANSPOSE, SOFTMAX.
 */
import { type GraphNode, type ModelGraph, type Shape, type Subgraph, allSubgraphs, broadcastKnown } from '../graph';
import { tfliteOpClass } from '../cost/tflite';
import { tfliteSideInfo } from './side-info';

export const DYNAMIC_DIM_PREFIX = 'dim';

export function inferTfliteShapes(graph: ModelGraph, bindings: Record<string, number>): string[] {
  const warnings: string[] = [];
  const side = tfliteSideInfo();
  const used = new Set<string>();
  for (const sg of allSubgraphs(graph)) {
    for (const t of sg.tensors.values()) {
      const sig = side.shapeSignatures.get(t);
      if (!sig || !t.shape || t.shape.length !== sig.length) continue;
      sig.forEach((d, i) => {
        const v = bindings[`${DYNAMIC_DIM_PREFIX}${i}`];
        if (d < 0 && typeof v === 'number' && Number.isSafeInteger(v) && v > 0) {
          (t.shape as Shape)[i] = v;
          used.add(`${DYNAMIC_DIM_PREFIX}${i}`);
        }
      });
    }
  }
  for (const sg of allSubgraphs(graph)) {
    for (const node of sg.nodes) {
      for (let k = 0; k < node.outputs.length; k++) {
        const t = node.outputs[k] ? sg.tensors.get(node.outputs[k]) : undefined;
        if (!t || (t.shape && t.shape.every((d) => typeof d === 'number'))) continue;
        const s = inferOutput(node, k, sg);
        if (s) t.shape = s;
      }
    }
  }
  return warnings;
}

type N = number[];

function known(sg: Subgraph, name: string | undefined): N | null {
  if (!name) return null;
  const s = sg.tensors.get(name)?.shape;
  if (!s || s.some((d) => typeof d !== 'number')) return null;
  return s as N;
}

function constInts(sg: Subgraph, name: string | undefined): N | null {
  if (!name) return null;
  const t = sg.tensors.get(name);
  return t ? tfliteSideInfo().constValues.get(t) ?? null : null;
}

function spatial(inSize: number, k: number, stride: number, dilation: number, padding: unknown): number {
  const s = Math.max(1, stride || 1);
  if (padding === 'VALID') {
    const eff = (k - 1) * Math.max(1, dilation || 1) + 1;
    return Math.max(0, Math.floor((inSize - eff) / s) + 1);
  }
  return Math.ceil(inSize / s);
}

const num = (v: unknown, def: number): number => (typeof v === 'number' ? v : def);

function inferOutput(node: GraphNode, k: number, sg: Subgraph): Shape | null {
  const a = node.attrs;
  const x = known(sg, node.inputs[0]);
  const cls = tfliteOpClass(node.op);
  switch (node.op) {
    case 'CONV_2D':
    case 'DEPTHWISE_CONV_2D': {
      const w = known(sg, node.inputs[1]);
      if (!x || !w || x.length !== 4 || w.length !== 4) return null;
      const oc = node.op === 'CONV_2D' ? w[0] : w[3];
      return [x[0], spatial(x[1], w[1], num(a.stride_h, 1), num(a.dilation_h_factor, 1), a.padding), spatial(x[2], w[2], num(a.stride_w, 1), num(a.dilation_w_factor, 1), a.padding), oc];
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D':
    case 'L2_POOL_2D': {
      if (!x || x.length !== 4) return null;
      return [x[0], spatial(x[1], num(a.filter_height, 1), num(a.stride_h, 1), 1, a.padding), spatial(x[2], num(a.filter_width, 1), num(a.stride_w, 1), 1, a.padding), x[3]];
    }
    case 'FULLY_CONNECTED': {
      const w = known(sg, node.inputs[1]);
      if (!x || !w || w.length !== 2) return null;
      if (a.keep_num_dims === true) return [...x.slice(0, -1), w[0]];
      return [Math.floor(x.reduce((p, d) => p * d, 1) / w[1]), w[0]];
    }
    case 'RESHAPE': {
      const target = constInts(sg, node.inputs[1]) ?? (Array.isArray(a.new_shape) ? (a.new_shape as N) : null);
      if (!target) return null;
      const total = x ? x.reduce((p, d) => p * d, 1) : null;
      const fixed = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
      if (target.includes(-1)) return total === null || fixed === 0 ? null : target.map((d) => (d === -1 ? total / fixed : d));
      return [...target];
    }
    case 'CONCATENATION': {
      const ins = node.inputs.map((n) => known(sg, n));
      if (ins.some((s) => !s) || ins.length === 0) return null;
      const first = ins[0] as N;
      const axis = (num(a.axis, 0) + first.length) % first.length;
      const out = [...first];
      out[axis] = ins.reduce((p, s) => p + (s as N)[axis], 0);
      return out;
    }
    case 'BATCH_MATMUL': {
      const y = known(sg, node.inputs[1]);
      if (!x || !y || x.length < 2 || y.length < 2) return null;
      const m = a.adj_x === true ? x[x.length - 1] : x[x.length - 2];
      const n = a.adj_y === true ? y[y.length - 2] : y[y.length - 1];
      const batch = broadcastKnown([x.slice(0, -2), y.slice(0, -2)]);
      return batch ? [...batch, m, n] : null;
    }
    case 'TRANSPOSE_CONV':
      return constInts(sg, node.inputs[0]);
    case 'PAD':
    case 'PADV2':
    case 'MIRROR_PAD': {
      const p = constInts(sg, node.inputs[1]);
      if (!x || !p || p.length !== 2 * x.length) return null;
      return x.map((d, i) => d + p[2 * i] + p[2 * i + 1]);
    }
    case 'RESIZE_BILINEAR':
    case 'RESIZE_NEAREST_NEIGHBOR': {
      const size = constInts(sg, node.inputs[1]);
      if (!x || x.length !== 4 || !size || size.length !== 2) return null;
      return [x[0], size[0], size[1], x[3]];
    }
    case 'TRANSPOSE': {
      const perm = constInts(sg, node.inputs[1]);
      if (!x || !perm || perm.length !== x.length) return null;
      return perm.map((p) => x[p]);
    }
    case 'MEAN':
    case 'SUM':
    case 'REDUCE_PROD':
    case 'REDUCE_MAX':
    case 'REDUCE_MIN':
    case 'REDUCE_ANY':
    case 'REDUCE_ALL': {
      const axes = constInts(sg, node.inputs[1]);
      if (!x || !axes) return null;
      const norm = new Set(axes.map((ax) => (ax + x.length) % x.length));
      return a.keep_dims === true ? x.map((d, i) => (norm.has(i) ? 1 : d)) : x.filter((_, i) => !norm.has(i));
    }
  }
  if (k !== 0) return null;
  if (cls === 'activation' || cls === 'quantize' || cls === 'softmax' || cls === 'normalization') return x ? [...x] : null;
  if (cls === 'elementwise') {
    const ins = node.inputs.filter(Boolean).map((n) => known(sg, n));
    if (ins.length === 0 || ins.some((s) => !s)) return null;
    return broadcastKnown(ins as N[]);
  }
  return null;
}
