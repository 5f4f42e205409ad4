/** What every writer (fp16, int8 dynamic, int8 QDQ, int4) takes and gives back. */
import type { OnnxModel } from './onnx-file';
import type { GraphFacts } from './graph-facts';
import type { QType } from './quant-math';

export const TECHNIQUES = ['fp16', 'int8-dynamic', 'int8-ptq', 'int4-weight-only'] as const;
export type Technique = (typeof TECHNIQUES)[number];

export interface WriterInput {
  /** The original model, freshly read: the writer edits it in place. */
  model: OnnxModel;
  facts: GraphFacts;
  /** onnxruntime's element type ('float32', 'int64' ...) of every main-graph tensor, from a run of the original. */
  dtypes: Map<string, string>;
  /** Layer names (as the analyzer names them) to leave in float. */
  keepFloat: Set<string>;
  /** int8-ptq: calibrated [min, max] of each activation. */
  ranges?: Map<string, [number, number]>;
  /** int8-ptq: activation type (weights are always int8). */
  activationType?: QType;
  /** int4-weight-only: block size along K (power of two, >= 16). */
  blockSize?: number;
  /**
   * int8-dynamic: 'reference' writes the same quantized model computing in float (the exact result of its integer
   * arithmetic), to measure against; 'deployed' (default) is the file the user gets.
   */
  form?: 'deployed' | 'reference';
}

/** Where to compare a layer's values between the original and the compressed model. */
export interface TensorPair {
  original: string;
  compressed: string;
}

export interface LayerMap {
  name: string;
  op: string;
  /** The float activations it reads (the compressed side: what the layer actually reads there). */
  inputs: TensorPair[];
  /** What the next layers see of its output. */
  output: TensorPair;
  /** The weights it reads in the compressed file (type and stored bytes), when the technique changed them. */
  weights?: { dtype: string; bytes: number };
}

export interface WriterOutput {
  /** Layers the technique changed, in graph order. */
  layers: LayerMap[];
  /** Compute layers left in float: asked for, or not supported by the technique (with why in notes). */
  floatLayers: string[];
  notes: string[];
  /** Float16 Transpose nodes in the file: onnxruntime's NCHWc layout transformer crashes loading them on x86-64 (run.ts). */
  halfTransposes?: number;
}

/** Ops whose weights the int8 / int4 writers quantize. */
export const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export const isDefaultDomain = (domain: string): boolean => domain === '' || domain === 'ai.onnx';
