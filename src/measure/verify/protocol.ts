/** The messages between the verify caller (index.ts) and the measurement child (run.ts). */
import type { CalibrationMethod } from './calibrate';
import type { Technique } from './compress-types';
import type { ImagePreprocess } from './data/images';
import type { QType } from './quant-math';
import type { AccuracySummary, GroupReport, Sqnr } from './metrics';
import type { LayerSensitivity } from './sensitivity';

export interface VerifyRequest {
  type: 'verify';
  model: string;
  technique: Technique;
  /** A private folder on the output's file system, created by the worker: temporary models and the result file go here. */
  workDir: string;
  /** File name of the compressed model inside workDir. */
  outName: string;
  dataDir?: string;
  evaluationSamples: number;
  calibrationSamples: number;
  /** Layers to keep in float: a count, 'auto', or 0. */
  keepFloat: number | 'auto';
  calibration: CalibrationMethod;
  activationType: QType;
  blockSize: number;
  bindings: Record<string, number>;
  preprocess?: Partial<ImagePreprocess>;
  seed: number;
  sensitivitySamples: number;
  /** Largest accuracy drop (fraction) `keepFloat: 'auto'` accepts when there are labels. */
  accuracyBudget: number;
  /**
   * Largest model (file and external data, bytes) verified on two threads: each thread holds its own copy of the
   * original and of the compressed model, so above this, and on one core, models run one at a time.
   */
  twoThreadsMaxBytes: number;
  /**
   * Why no output is taken as class scores, when the graph shows a detector or a segmentation model (model-task.ts):
   * a detector's [1, anchors, 1] score tensor has one dimension above 1 but its anchors are not classes.
   */
  notClassifier?: string;
  /** onnxruntime optimisers to leave out when loading the original and the models derived from it (ort-workarounds.ts). */
  withoutOptimizers?: string[];
}

/** The default of VerifyRequest.twoThreadsMaxBytes. */
export const TWO_THREADS_MAX_BYTES = 512 * 1024 * 1024;

export type VerifyMessage =
  | { type: 'progress'; phase: string; done: number; total: number }
  | { type: 'result'; result: VerifyRunResult }
  | { type: 'error'; message: string };

export interface OutputFidelity {
  name: string;
  cosine: number;
  sqnrDb: Sqnr;
  maxAbsError: number;
}

export interface Latency {
  p50: number;
  p95: number;
  runs: number;
}

/** What one compressed variant measured against the original. */
export interface VariantMeasure {
  outputs: OutputFidelity[];
  top1Agreement: number | null;
  top5Agreement: number | null;
  accuracy: AccuracySummary | null;
  groups: GroupReport;
  latencyMs: Latency;
  /** INT8, FP16: SQNR of the file as onnxruntime runs it here (as timed) against the model's exact arithmetic, per output. */
  kernelDeviation: { name: string; sqnrDb: Exclude<Sqnr, 'identical'> }[];
}

export interface VerifyRunResult {
  runtimeVersion: string;
  data: {
    source: 'npy' | 'images' | 'synthetic';
    calibrationSamples: number;
    evaluationSamples: number;
    found: number | null;
    sampled: boolean;
    labels: 'folders' | 'samples.csv' | null;
    classes?: string[];
    preprocess?: ImagePreprocess;
    calibrationFiles: string[];
    evaluationFiles: string[];
    seed: number;
    notes: string[];
  };
  classifierOutput: { name: string; classes: number } | null;
  original: { latencyMs: Latency };
  /** The fully compressed variant. */
  full: VariantMeasure & { floatLayers: string[] };
  /** The variant with layers kept in float, when asked for (and it differs from the full one). */
  mixed: (VariantMeasure & { floatLayers: string[]; criterion: string }) | null;
  sensitiveLayers: LayerSensitivity[];
  sensitivitySamples: number;
  notes: string[];
}
