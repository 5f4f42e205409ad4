import type { GraphNode, ModelGraph, Subgraph } from '../graph';

/** What kind of work an op does; the estimator picks a throughput per class and precision. */
export type OpClass =
  | 'conv'
  | 'depthwise-conv'
  | 'conv-transpose'
  | 'matmul'
  | 'elementwise'
  | 'activation'
  | 'normalization'
  | 'softmax'
  | 'pool'
  | 'reduce'
  | 'resize'
  | 'data-movement'
  | 'recurrent'
  | 'attention'
  | 'embedding'
  | 'quantize'
  | 'control-flow'
  | 'compiled'
  | 'custom'
  | 'other';

export interface NodeCost {
  /** Multiply-accumulates per the README conventions; 0 for ops outside the MAC list; null = unknown. */
  macs: number | null;
  /** Other arithmetic (elementwise, normalisation, softmax, pooling ...) in floating-point ops; null = unknown. */
  flops: number | null;
  opClass: OpClass;
  /** Why macs/flops are null (a shape is unknown, an attribute missing ...). */
  reason?: string;
  /**
   * Set when the op does work its numbers leave out (a custom or Lambda layer, a network that ships with the
   * OS): macs/flops count what is known, the model's totals become lower bounds, and this says why.
   */
  lowerBound?: string;
  /** The op's kind within its type, when the type covers several (a Keras Activation's function ...): kept on the layer. */
  variant?: string;
}

/**
 * Cost of one node, given its subgraph (whose tensors carry shapes after shape inference).
 * One function per format: cost/onnx.ts, cost/tflite.ts, cost/coreml.ts, cost/keras.ts.
 */
export type NodeCostFn = (node: GraphNode, sg: Subgraph, g: ModelGraph) => NodeCost;
