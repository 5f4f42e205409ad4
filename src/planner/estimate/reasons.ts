/**
 * The structured reasons the estimator's numeric code returns instead of sentences: why a layer runs where it
 * runs, what blocks a model on a device, what a compatibility verdict rests on, how a throughput figure was
 * obtained, and every assumption behind an estimate, each with its data. explain.ts turns them into the words
 * the CLI, the views and the documents show. Pure types; no `vscode` import.
 */
import type { ModelFormat } from '../../analyzers/graph';
import type { ComputePrecision, DeployedSummary } from '../types';
import type { BySourceCheck, NestedRangeCheck, SpanCheck, TransferredRuntimeFactor, UnmeasuredRuntimeCheck, SizeScalingPair } from '../catalog/calibration';

/** Why a layer is not on the accelerator (or, on a CPU-only device, why it cannot run). */
export type PlacementReason =
  | { kind: 'op-unsupported'; op: string; unitName: string }
  | { kind: 'not-in-kernel-set'; op: string; kernelSet: string | undefined }
  | { kind: 'precision-unsupported'; precision: ComputePrecision; unitName: string }
  | { kind: 'edgetpu-not-int8'; precision: ComputePrecision }
  | { kind: 'edgetpu-rank'; shape: (number | string)[] }
  | { kind: 'compiled-elsewhere' }
  | { kind: 'after-prefix-break'; firstBreak: string };

/** A requirement the model does not meet on a device. */
export type Blocker =
  | { kind: 'compiled-for'; segmentKind: string; deviceName: string }
  | { kind: 'no-compute-graph' }
  | { kind: 'dynamic-shape'; symbols: string[]; unitName: string; bindings: Record<string, number> }
  /** A graph in another format than TensorFlow Lite, the only one the Edge TPU compiler takes. */
  | { kind: 'not-tflite-on-edgetpu'; format: ModelFormat };

/** What the compatibility verdict rests on. */
export type CompatibilityFinding =
  | { kind: 'weights-only-llm'; format: string; runtimes: string[] }
  | { kind: 'weights-only'; format: string; deviceName: string }
  | { kind: 'cannot-run-compiled'; deviceName: string; blocker: Blocker }
  | { kind: 'cannot-run-kernels'; deviceName: string; ops: string[]; kernelSet: string }
  | { kind: 'all-on'; count: number; unitName: string }
  | { kind: 'none-on-accelerator'; unitName: string; why: PlacementReason | null; count: number; cpuName: string; quantiseForEdgeTpu: boolean }
  | { kind: 'partial'; onAccelerator: number; count: number; unitName: string; cpuName: string; from: string | null };

/** How a unit's dense throughput for one precision was obtained. */
export type ThroughputBasis =
  | { kind: 'peak'; precision: ComputePrecision; eta: number; peak: number; tf32: boolean }
  | { kind: 'ratio'; precision: ComputePrecision; from: ComputePrecision; ratio: number }
  | { kind: 'emulated'; precision: ComputePrecision }
  | { kind: 'nominal-fitted'; value: number; scale: number }
  | { kind: 'fitted-ratio'; ratio: number }
  | { kind: 'mcu-prior'; unitName: string; macsPerCycle: number; clockHz: number }
  | { kind: 'mcu-int16-prior' }
  | { kind: 'mcu-fp32-prior' }
  | { kind: 'stand-in'; precision: ComputePrecision; unitName: string; standInName: string };

/** Why latency has no figure. */
export type NoLatencyCause =
  | { kind: 'not-runnable'; finding: CompatibilityFinding }
  | { kind: 'no-weights' }
  | { kind: 'no-bandwidth'; deviceName: string }
  | { kind: 'not-an-llm'; why: string };

/** One assumption behind an estimate, in the order the estimate lists them. */
export type EstimateNote =
  | { kind: 'activation-peak-unknown' }
  | { kind: 'mcu-memory'; weightsBytes: number; codeBytes: number; activationBytes: number; runtimeBytes: number }
  | { kind: 'ram-unknown'; deviceName: string }
  | { kind: 'jetson-shared-memory' }
  | { kind: 'per-token'; weightsBytes: number; memoryEfficiency: number; bandwidth: number }
  | { kind: 'no-latency'; cause: NoLatencyCause }
  | { kind: 'accelerator-io'; linkName: string; ioBytes: number; linkBandwidth: number; fixedMs: number }
  | { kind: 'partition-boundaries'; count: number; transferMs: number }
  | { kind: 'edgetpu-streaming'; cachedBytes: number; streamedBytes: number; streamBandwidth: number; cacheBytes: number }
  | { kind: 'edgetpu-cached'; cacheBytes: number; cachedBytes: number }
  | { kind: 'on-chip-activations'; unitName: string; share: number }
  | { kind: 'detection-postprocess'; op: string; unit: 'cpu' | 'accelerator'; estimatedMs: number; ops: number; atPublishedMs: number | null; included: boolean }
  | { kind: 'unknown-layer-costs'; layers: number }
  | { kind: 'control-flow-bodies'; bodies: number; example: string }
  | { kind: 'uncosted-layers'; reason: string }
  | { kind: 'cpu-stand-in' }
  | { kind: 'cpu-threads'; unitName: string; threads: number; used: number; cores: number }
  | { kind: 'plug-in-power'; hostName: string; hostIdleW: number; acceleratorMaxW: number; cpuShare: number }
  | { kind: 'accelerator-power-only'; deviceName: string }
  | { kind: 'load-power-from-sibling'; deviceName: string; ratio: number; from: string; hasMax: boolean }
  | { kind: 'load-power-unknown'; deviceName: string; hasIdle: boolean }
  | { kind: 'no-power'; deviceName: string }
  | { kind: 'measured-power'; deviceName: string; points: number; sources: string[]; measures: string; lowW: number; highW: number }
  | { kind: 'published-power'; deviceName: string; lowW: number; typicalW: number; highW: number; scope: string; sources: string[] }
  | { kind: 'battery-never-idles'; inferencesPerHour: number; busyS: number }
  | { kind: 'battery-idle-unknown' }
  | { kind: 'precision-runtime'; precision: ComputePrecision; requested: boolean; runtimeName: string }
  | { kind: 'throughput'; unit: 'accelerator' | 'cpu'; unitName: string; basis: ThroughputBasis }
  | { kind: 'catalog-note'; text: string }
  | { kind: 'calibrated'; points: number; sources: string[]; rangeBasis: string | null; deviceId: string; runtime: string; runtimeFactor: number; precisionFactor: number; precision: ComputePrecision | undefined; range: { low: number; high: number }; runtimeRange: { points: number } | null; bySource: BySourceCheck | null; nestedCheck: NestedRangeCheck | null; fewPointsScale?: 'compute' | 'overhead'; unmeasuredRuntime?: { transferred: TransferredRuntimeFactor | null; check: UnmeasuredRuntimeCheck | null } }
  | { kind: 'uncalibrated'; deviceId: string; range: { low: number; high: number } }
  | { kind: 'size-scaling'; deviceId: string; pairs: SizeScalingPair[] }
  | { kind: 'outside-training-span'; deviceId: string; measure: 'macs' | 'weight-bytes'; side: 'above' | 'below' | 'none'; value: number; bound: number; network: string | null; points: number; check: SpanCheck | null }
  | { kind: 'pure-inference'; deviceId: string; pipelines: { ms: number; measures: string; runtimes: string[]; points: number }[] }
  | { kind: 'bindings'; bindings: Record<string, number> }
  | { kind: 'corrected'; points: number; factor: number; runtime: string; otherRuntimes: string[] | null }
  | { kind: 'measured-configuration'; runs: number; model: string; precision: string; runtime: string; latency: { low: number; typical: number; high: number }; estimatedMs: number }
  | { kind: 'deployed-graph'; summary: DeployedSummary };
