import type { ModelFormat, Precision, Shape } from './graph';
import type { OpClass } from './cost/types';

/** One model input or output, as `edgeplan analyze --json` prints it. */
export interface IOInfo {
  name: string;
  /** Numbers, or a symbolic dimension as its name in a string. Null when the rank is unknown. */
  shape: Shape | null;
  /** The file's own type name (ONNX "FLOAT", TFLite "FLOAT32"). */
  dtype: string;
  /** Per-tensor quantisation of a quantised input/output (TFLite uint8/int8 I/O). */
  quant?: { scale: number[]; zeroPoint: number[] };
}

/** One node of the main graph with its cost, in execution order. */
export interface LayerProfile {
  name: string;
  op: string;
  opClass: OpClass;
  /** MACs per the README conventions (0 for ops outside the MAC list, null when unknown). */
  macs: number | null;
  /** Non-MAC arithmetic (elementwise, normalisation, softmax ...). */
  flops: number | null;
  /** Elements of the stored weights this node reads. */
  params: number;
  /** Bytes of the stored weights this node reads. */
  weightBytes: number;
  /** Bytes of non-constant inputs it reads (null if a shape is unknown). */
  inputBytes: number | null;
  outputShapes: (Shape | null)[];
  /** Bytes of the activations it writes (null if a shape is unknown). */
  activationBytes: number | null;
  /** Precision the node computes in (its first non-constant input or output), for the estimator. */
  precision: Precision;
  /** Weight precision (of its largest constant input), when it has weights. */
  weightPrecision?: Precision;
  /** For ops with a compiled payload (edgetpu-custom-op, ethos-u). */
  compiledPayloadBytes?: number;
  /**
   * Dataflow, for the deployed-graph pass: the tensor names the node reads ("" for an omitted optional input)
   * and writes, and which inputs (by index) are stored constants.
   */
  inputs?: string[];
  outputs?: string[];
  constantInputs?: number[];
  /** Why this layer's macs/flops are lower bounds (its work is not in the file). */
  lowerBound?: string;
  /** The op's kind within its type when the type covers several (a Keras Activation's function, a Core ML activation's non-linearity). */
  variant?: string;
  /**
   * Nodes this row stands for, when a graph with more layers than the profile lists one by one was
   * summarised (layer-summary.ts); absent = 1. MACs, FLOPs, params and bytes are then sums over them.
   */
  count?: number;
}

export interface QuantizationSummary {
  /**
   * float: no quantisation; fp16: fp16 weights/compute; int8-full: weights and activations integer;
   * int8-weights-only: integer weights, float activations (dynamic/weight-only);
   * qdq: ONNX QuantizeLinear/DequantizeLinear pairs around float ops; mixed: a combination;
   * block-quantized: GGUF-style block types (Q4_K, Q8_0 ...); compiled: the network is a compiled blob.
   */
  state: 'float' | 'fp16' | 'bf16' | 'int8-full' | 'int8-weights-only' | 'qdq' | 'mixed' | 'block-quantized' | 'compiled' | 'unknown';
  /** Weight bytes per precision. */
  weightPrecisions: Partial<Record<Precision, number>>;
  /** Number of nodes that are quantised ops (QLinear*, *Integer, QuantizeLinear/DequantizeLinear, integer TFLite kernels). */
  quantizedOps: number;
  /** Some tensor carries per-channel (per-axis) quantisation parameters. */
  perChannel: boolean;
  /** Short human notes ("QDQ pairs around 12 Conv", "int8 I/O with scale 0.0078 zero point -1"). */
  notes: string[];
}

export interface DynamicShapeSummary {
  /** Symbolic dimension names found in inputs (and outputs), in order of first appearance. */
  symbols: string[];
  /** What each symbol was bound to for the figures (default 1). */
  bindings: Record<string, number>;
  /** Whether any input has a symbolic or unknown dimension. */
  hasDynamic: boolean;
}

export interface SubgraphCost {
  id: string;
  owner: string;
  nodes: number;
  macs: number | null;
  flops: number | null;
  /**
   * Set when the file fixes how often the body runs (a Core ML loop with a constant trip count): its cost × runs
   * is already part of its owner's in `layers` and the totals, so it is not data-dependent work.
   */
  runs?: number;
}

export interface ModelProfile {
  file: string;
  format: ModelFormat;
  bytes: number;
  params: number;
  weightBytes: number;
  /** Main-graph MACs; null when a needed shape is unknown (see macsUnknownReason) or the format has no compute graph. */
  macs: number | null;
  macsUnknownReason?: string;
  /**
   * Set when some layers' work is not in the file (a custom or Lambda layer, a network that ships with the OS):
   * `macs` and `flops` count the rest and are lower bounds; the reason names the first such layer.
   */
  macsLowerBoundReason?: string;
  flops: number | null;
  peakActivationBytes: number | null;
  /** The execution order the peak assumes (layer names), and the layer at which it is reached. */
  peakActivationAt?: string;
  executionOrder?: 'file-order' | 'topological';
  operatorCount: number;
  opHistogram: Record<string, number>;
  inputs: IOInfo[];
  outputs: IOInfo[];
  /** Stored weight bytes by the file's dtype name. */
  weightDtypes: Record<string, number>;
  quantization: QuantizationSummary;
  dynamicShapes: DynamicShapeSummary;
  /** Main-graph layers in execution order. */
  layers: LayerProfile[];
  /** Bodies of If/Loop/Scan (or TFLite control-flow subgraphs), costed per body: run counts depend on data. */
  subgraphCosts: SubgraphCost[];
  compiledSegments: { kind: string; op: string; node: string; payloadBytes: number }[];
  hasComputeGraph: boolean;
  irVersion?: number;
  opset?: Record<string, number>;
  metadata: Record<string, string | number | boolean>;
  /**
   * Files without a compute graph: the names of the stored tensors in file order (the first
   * MAX_LISTED_TENSOR_NAMES of them) and how many there are — what tells a language model's weights from a
   * vision model's (planner/estimate/llm.ts).
   */
  storedTensors?: { count: number; names: string[] };
  /** Layers a non-graph format declares (Keras / Core ML) when they are not a costed graph. */
  declaredLayers?: { name: string; op: string; params: number | null; outputShape?: Shape | null }[];
  /** How many layers the file declares, when that is more than declaredLayers lists (see profile.ts). */
  declaredLayerCount?: number;
}

/** Most tensor names a profile lists for a file without a compute graph. */
export const MAX_LISTED_TENSOR_NAMES = 10_000;

export interface AnalysisResult {
  model: ModelProfile;
  warnings: string[];
}

export interface AnalyzeOptions {
  /** Symbolic dimension bindings, e.g. { batch: 1, sequence: 128 }; unbound symbols default to 1 with a warning. */
  bindings?: Record<string, number>;
  /** Called with progress 0..1 for long work; returning true cancels (the analysis throws AnalysisCancelled). */
  onProgress?: (fraction: number, message: string) => boolean | void;
  /** Folder that external data must stay inside (default: the model's folder). */
  externalDataRoot?: string;
}

export class AnalysisCancelled extends Error {
  constructor() {
    super('Analysis cancelled');
    this.name = 'AnalysisCancelled';
  }
}
