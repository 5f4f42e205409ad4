/**
 * Detection post-processing (TFLite_Detection_PostProcess, ONNX NonMaxSuppression): the op's arithmetic is counted
 * by analyzers/cost, but it is scalar, branchy code on one core. On a CPU, an op whose candidates are all boxes runs
 * at the rate published timings of it show (latency.ts); one behind a score threshold keeps the vector rate, and
 * the estimate states what the published rate would give. No `vscode` import.
 */
import type { LayerProfile } from '../../analyzers/profile-types';
import { toBase } from '../catalog';
import type { LayerEstimate } from '../types';
import type { EstimateNote } from './reasons';
import type { Unit } from './throughput';

export const POSTPROCESS_OP = /^(CUSTOM:TFLite_Detection_PostProcess|NonMaxSuppression|NON_MAX_SUPPRESSION_V[45])$/;

/**
 * The same SpaghettiNet-EdgeTPU SSD detector (320x320, TFLite 2.5, quantized) timed with and without its
 * TFLite_Detection_PostProcess op by NobuoTsukamoto/benchmarks; the op's time is the difference.
 * Dev Board (Edge TPU delegate, 2 threads): github.com/NobuoTsukamoto/benchmarks@cf06fe594dda1fbd42b984d116bd08af34dca623
 *   :tensorflow/lite/tf1_detection_model_zoo/devboard.md, e.g. "|SpaghettiNet for EdgeTpu S |300x300| 10.98| 16.64 | 22.34 | 26.87 | 33.47 |"
 *   (ms; no post-processing, then max_detections 10 / 25 / 50 / 100): S / M / L differences 5.66 / 4.68 / 5.21 ms at 10, 22.49 / 22.85 / 23.45 at 100.
 * Raspberry Pi 4 with the Edge TPU (USB), S model: @546972ef14ebfa15e0bc114a4429b427bf0c192d:tensorflow/lite/spaghettinet/result/rpi4/,
 *   "latency_mean(ms): 11.86" (no post-processing), 13.59 (max_detections 10), 18.66 (100): 1.73 and 6.80 ms.
 * Counted ops (cost/tflite.ts: 2 per score + 12 per box + 10 per box and kept box) with the detector's anchors and classes
 * (tensorflow/models research/object_detection/configs/tf1/ssd_spaghettinet_edgetpu_320x320_coco17_sync_4x4.config:
 * ssd_anchor_generator num_layers 5, five aspect ratios, num_classes 90; outputs c0n1..c0n5 at levels 4..8 of
 * ssd_spaghettinet_feature_extractor.py, so 20, 10, 5, 3, 2 cells at 320 px, 3 anchors in the lowest layer and 6
 * elsewhere = 2028 anchors, 91 scores each with the background): 596,232 ops at 10 kept boxes, 2,421,432 at 100.
 * The op count's growth with kept boxes (x4.06) matches the timings' (Dev Board x4.4, Pi 4 x3.9).
 * Derived: Dev Board 8.69 and 9.47 ns per op (mean 9.1); Pi 4 2.90 and 2.81 ns (mean 2.85, i.e. 4.3 cycles at its 1.5 GHz).
 */
export const PUBLISHED_POSTPROCESS = {
  source: 'NobuoTsukamoto/benchmarks: one SSD detector (SpaghettiNet-EdgeTPU, 2028 anchors) timed with and without the op',
  devBoardMs: { at10: 5.2, at100: 22.9 },
  rpi4Ms: { at10: 1.7, at100: 6.8 },
  /** ns per counted op on the Coral Dev Board's Cortex-A53 (no catalog clock). */
  devBoardNsPerOp: 9.1,
  /** cycles per counted op on the Raspberry Pi 4's Cortex-A72 (1.5 GHz), the rate assumed for any core with a known clock. */
  cyclesPerOp: 4.3,
} as const;

/**
 * A detection post-processing op whose candidates are all boxes (TFLite_Detection_PostProcess; NonMaxSuppression
 * without a score threshold): on a CPU it runs at the published scalar rate, not at the vector rate.
 */
export function atScalarRate(layer: LayerProfile): boolean {
  return POSTPROCESS_OP.test(layer.op) && layer.variant !== 'score-threshold';
}

/** Time at the published rate on this CPU, in ms, or null when neither a measurement nor a clock applies. */
export function publishedRateMs(deviceId: string, cpu: Unit, ops: number): number | null {
  if (deviceId === 'coral-devboard') return (ops * PUBLISHED_POSTPROCESS.devBoardNsPerOp) / 1e6;
  const hz = toBase(cpu.spec.clock, 'frequency');
  return hz ? (ops * PUBLISHED_POSTPROCESS.cyclesPerOp * 1000) / hz : null;
}

/** The note for a graph with a detection post-processing op: where it runs, its estimate, and its time at the published rate. */
export function postprocessNote(deviceId: string, cpu: Unit, profileLayers: LayerProfile[], estimated: LayerEstimate[]): EstimateNote | null {
  const pp = estimated.filter((l) => POSTPROCESS_OP.test(l.op));
  if (!pp.length) return null;
  const onCpu = pp.some((l) => l.unit === 'cpu');
  const layers = profileLayers.filter((l) => POSTPROCESS_OP.test(l.op));
  const ops = layers.reduce((s, l) => s + (l.flops ?? 0), 0);
  const atRate = onCpu ? publishedRateMs(deviceId, cpu, ops) : null;
  const scalar = atRate !== null && layers.every(atScalarRate);
  const atPublishedMs = !scalar && ops > 0 ? atRate : null;
  return { kind: 'detection-postprocess', op: pp[0].op.replace(/^CUSTOM:/, ''), unit: onCpu ? 'cpu' : 'accelerator', estimatedMs: pp.reduce((s, l) => s + l.ms, 0), ops, atPublishedMs, included: scalar };
}
