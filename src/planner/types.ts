/**
 * Contracts between the estimator, the recommender, the plan model and everything that shows them.
 * Pure data types; no `vscode` import.
 */
import type { PlacementReason } from './estimate/reasons';

export type ComputePrecision = 'int8' | 'fp16' | 'fp32' | 'int4' | 'int16';

export interface Range {
  low: number;
  typical: number;
  high: number;
}

/** A cited figure: every catalog number carries one. */
export interface SourceRef {
  /** URL or repository@commit:path of the public source. */
  source: string;
  /** Short quote from the source that states the number. */
  quote: string;
  /** V = read in the source, D = derived by arithmetic from cited numbers. */
  confidence?: 'V' | 'D';
  note?: string;
}

export interface SourcedNumber {
  value: number;
  unit: string;
  ref: SourceRef;
}

export type Bottleneck = 'compute' | 'memory' | 'overhead' | 'transfer' | 'fallback';

/** What a toolchain does to the file's graph before it runs (estimate/deployed-graph.ts). */
export interface DeployedSummary {
  toolchain: string;
  toolchainName: string;
  /** Nodes in the file's main graph. */
  fileNodes: number;
  /** Layers the device runs. */
  layers: number;
  /** File nodes per step: constant-folded, shape-folded, identity-removed, batchnorm-folded, activation-fused ... */
  steps: Record<string, number>;
  /** Shape arithmetic that stays, with the reason (first few). */
  unfolded: { node: string; op: string; reason: string }[];
  /** Symbol bindings the folding relied on (a fixed-shape toolchain compiles exactly these). */
  assumedBindings: Record<string, number>;
  /** Layers the toolchain's int8 quantizer leaves float (they run in fp32 in an int8 model), by op; absent when none. */
  int8Float?: { layers: number; ops: { op: string; layers: number }[] };
}

export interface LayerEstimate {
  name: string;
  op: string;
  /** The file nodes this deployed layer stands for (itself first, then what was folded or fused into it). */
  from?: string[];
  /** Where the layer runs: 'accelerator' (NPU/TPU/GPU/ANE) or 'cpu' (host or the device's own CPU). */
  unit: 'accelerator' | 'cpu';
  ms: number;
  bottleneck: Bottleneck;
}

export interface MemoryEstimate {
  weightsBytes: number;
  activationBytes: number;
  runtimeOverheadBytes: number;
  totalBytes: number;
  /** The device's limit this was compared to (RAM, or for MCUs the SRAM arena), null if unknown. */
  limitBytes: number | null;
  fits: boolean | null;
  /** limit - total (negative: does not fit by that much). */
  marginBytes: number | null;
  /** For MCUs: flash for weights + code. */
  flash?: { neededBytes: number; limitBytes: number | null; fits: boolean | null };
  /** Against the user's memory budget, when one is given. */
  budget?: { limitBytes: number; fits: boolean; marginBytes: number };
  /** Edge TPU: parameters cached on chip vs streamed from the host each inference. */
  onChipCache?: { capacityBytes: number; cachedBytes: number; streamedBytes: number };
}

/**
 * Why ops run on the CPU instead of the accelerator: the op itself is not supported or not in the runtime's kernel
 * set, its precision or shape is not, it is compiled for other hardware — or only because an earlier op ended the
 * accelerator's partition (the Edge TPU runs one prefix of the graph).
 */
/** Why an op falls back: the kind of its placement reason (estimate/reasons.ts). */
export type FallbackCause = PlacementReason['kind'];

export interface FallbackOp {
  op: string;
  /** Layer/node names affected (first few). */
  nodes: string[];
  count: number;
  reason: string;
  cause?: FallbackCause;
}

export interface CompatibilityReport {
  /**
   * full: everything runs on the accelerator (or the device is CPU-only and every op is supported);
   * partial: some ops fall back to the host CPU; none: nothing is accelerated / the model cannot run.
   */
  verdict: 'full' | 'partial' | 'none' | 'unsupported';
  summary: string;
  /** Ops (by name) that run on the accelerator / target runtime. */
  accelerated: string[];
  fallback: FallbackOp[];
  /** Requirements the model does not meet (e.g. "dynamic input shape", "not fully INT8"). */
  blockers: string[];
}

export interface DeviceEstimate {
  device: string;
  deviceName: string;
  precision: ComputePrecision;
  runtime: string;
  latencyMs: Range;
  /** Present when latencyMs is the user's own runs of this very configuration (edgeplan measure), not an estimate. */
  latencyMeasured?: { runs: number };
  /** Present when latencyMs is still an estimate, scaled by the user's runs of other configurations on the device (their measured / estimated ratio). */
  latencyCorrected?: { runs: number; factor: number };
  /**
   * What latencyMs means: per-inference (default), per-token (LLM decode of a weights-only file),
   * lower-bound (some layer costs unknown), unknown (not estimable: the figures are NaN, printed as null).
   */
  latencyBasis?: 'per-inference' | 'per-token' | 'lower-bound' | 'unknown';
  /** Why the latency is not estimated (latencyBasis 'unknown'), in words: "the file holds no weights …". */
  latencyUnknownReason?: string;
  bottleneck: Bottleneck;
  layers: LayerEstimate[];
  memory: MemoryEstimate;
  /** Average power while inferring, W (range). */
  powerW: Range | null;
  /** Energy per inference, mJ (range). */
  energyMj: Range | null;
  /** Inferences per Wh (typical) for battery planning. */
  inferencesPerWh?: number | null;
  /** Battery life in hours at the given duty cycle, when the user gives battery capacity and rate. */
  batteryLifeHours?: number | null;
  compatibility: CompatibilityReport;
  /** The graph the device's toolchain runs, derived from the file's (what was folded, fused or removed). */
  deployedGraph?: DeployedSummary;
  /** Everything the figures assume, in plain words (efficiency factors, bindings, unknowns). */
  assumptions: string[];
  /** Calibration note: which published points the efficiency factor was fitted on, and its error. */
  calibration?: {
    points: number;
    sources: string[];
    medianAbsLogError: number | null;
    note: string;
    /** Set when the model is larger or smaller than every network the device's training points ran, or of a kind none of them is (the fit is extrapolated). */
    outsideSpan?: { side: 'above' | 'below' | 'none'; sentence: string };
  };
}

export interface Budgets {
  latencyMs?: number;
  memoryMb?: number;
  powerW?: number;
  energyMj?: number;
  /** Accepted accuracy drop in percentage points. */
  accuracyDrop?: number;
  /** Retraining (QAT, distillation, pruning fine-tune) possible. Default true. */
  retraining?: boolean;
  /** Representative calibration data available. Default true. */
  calibrationData?: boolean;
}

export type Technique =
  | 'none'
  | 'fp16'
  | 'int8-dynamic'
  | 'int8-ptq'
  | 'int8-qat'
  | 'int4-weight-only'
  | 'structured-pruning'
  | 'sparsity'
  | 'distillation'
  | 'low-rank'
  | 'op-rewrite'
  | 'change-runtime'
  | 'change-device';

export type Effort = 'none' | 'no-retraining' | 'calibration-data' | 'retraining' | 'architecture-change';

export interface StepExpectation {
  /** Size factor relative to before this step (0.25 = 4x smaller), as a range. */
  sizeFactor?: Range;
  /** Latency speed-up factor (2 = twice as fast), as a range. */
  speedup?: Range;
  /** Accuracy drop in points, as a range. */
  accuracyDropPoints?: Range;
}

export interface CommandBlock {
  toolchain: string;
  /** Shell or Python, copy-ready. */
  language: 'bash' | 'python';
  code: string;
  notes?: string[];
}

/** What `edgeplan verify` measured for a step on the user's data and this machine (see plan/verification.ts). */
export interface MeasuredStep {
  date: string;
  /** Accuracy drop in points on the user's labelled data, with its 95 % interval; null without labels. */
  accuracyDropPoints: number | null;
  accuracyDropCi95Points: [number, number] | null;
  top1Agreement: number | null;
  /** Compressed / original weight bytes of the file verify wrote. */
  sizeFactor: number;
  evaluationSamples: number;
  dataSource: 'npy' | 'images' | 'synthetic';
}

export interface PipelineStep {
  technique: Technique;
  title: string;
  why: string;
  expected: StepExpectation;
  source: string;
  commands: CommandBlock[];
  effort: Effort;
  /** Present when this step was verified on the user's model and data: measured, next to `expected` (predicted). */
  measured?: MeasuredStep;
}

export interface Prediction {
  latencyMs: Range;
  /** Present when latencyMs is the user's own runs of the model as it is (an unchanged pipeline), not a prediction. */
  latencyMeasured?: { runs: number };
  memoryBytes: number;
  energyMj: Range | null;
  accuracyDrop: Range;
}

export interface BudgetCheck {
  latency?: boolean;
  memory?: boolean;
  power?: boolean;
  energy?: boolean;
  accuracy?: boolean;
}

/** A budget the pipeline misses (or why it cannot be judged), with the figures; recommend/explain.ts words it. */
export type Miss =
  | { kind: 'not-estimable'; deviceName: string; error: string | null }
  | { kind: 'does-not-run'; deviceName: string; summary: string }
  | { kind: 'nothing-on-accelerator'; summary: string }
  | { kind: 'latency-unknown'; deviceName: string }
  | { kind: 'latency'; ms: number; budgetMs: number }
  | { kind: 'device-memory'; bytes: number; limitBytes: number }
  | { kind: 'device-flash'; bytes: number; limitBytes: number }
  | { kind: 'memory-budget'; bytes: number; limitBytes: number }
  | { kind: 'power'; watts: number; budgetW: number }
  | { kind: 'energy'; mj: number; budgetMj: number }
  | { kind: 'accuracy'; points: number; budgetPoints: number }
  | { kind: 'measured-accuracy'; accuracy: MeasuredAccuracy; budgetPoints: number };

/** A pipeline's accuracy drop as measured on the user's labelled data (every step that can cost accuracy verified). */
export interface MeasuredAccuracy {
  /** The sum of the steps' measured drops, in points. */
  points: number;
  /** The 95 % interval and sample count, when one step carries the whole drop (intervals of several do not add). */
  ci95: [number, number] | null;
  samples: number | null;
}

/** What a pipeline's one-line summary says besides its figures, kept so a measurement can re-word it. */
export interface SummaryBasis {
  /** The step titles joined ("the model as it is" without steps). */
  what: string;
  deviceName: string;
  /** False when the pipeline cannot be estimated on the device (the summary is then its misses). */
  estimated: boolean;
  /** What follows the figures: ops left on the CPU, per-token latency (worded, may be empty). */
  notes: string;
  /** The device the pipeline is for when it is not the chosen target ("On <device>: " leads the summary). */
  onDevice?: string;
  /** The latency budget it was judged against (a budget inside the predicted range is worded as not decided). */
  latencyBudgetMs?: number;
}

export interface Recommendation {
  device: string;
  steps: PipelineStep[];
  predicted: Prediction;
  meetsBudgets: BudgetCheck;
  meetsAll: boolean;
  /**
   * The pipeline runs on the device (judge's verdict): estimable, compiled for it, and (on a device with an
   * accelerator) something runs on the accelerator. A pipeline that does not run meets no budget.
   */
  runs: boolean;
  effort: Effort;
  /** For a pipeline that misses: which budget, by how much (structured; `misses` words them, same order). */
  missed: Miss[];
  /** Present when every step that can cost accuracy was measured with labels; then it is what the accuracy budget judges. */
  measuredAccuracy?: MeasuredAccuracy;
  summaryBasis: SummaryBasis;
  /** For a pipeline that misses: which budget, by how much, in words (derived from `missed` by withWords). */
  misses: string[];
  /** The one-line summary (derived from the other fields by withWords). */
  summary: string;
}

/** A recommendation before its words: `misses` and `summary` are derived from it (recommend/explain.ts withWords). */
export type RecommendationFacts = Omit<Recommendation, 'misses' | 'summary'>;

export interface Alternative {
  device: string;
  deviceName: string;
  predicted: Prediction;
  meetsBudgets: BudgetCheck;
  pipeline: Technique[];
}

export interface RecommendationResult {
  device: string;
  budgets: Budgets;
  recommendations: Recommendation[];
  /** Other catalog devices that would meet the budgets (when the chosen one does not, or always, ranked). */
  alternatives: Alternative[];
  /** "no compression needed", "no pipeline fits: closest is ...", ... */
  verdict: string;
  /** Operational plan items the recommender insists on (calibration coverage, fairness re-audit, staged OTA ...). */
  operations: string[];
}
