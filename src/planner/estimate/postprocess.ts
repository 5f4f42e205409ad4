/**
 * Detection post-processing (TFLite_Detection_PostProcess, ONNX NonMaxSuppression): the op is costed from its
 * arithmetic (analyzers/cost), but it is scalar, branchy code and runs on one CPU core, so published timings of
 * it are what a user should weigh. No `vscode` import.
 */
import type { LayerEstimate } from '../types';
import type { EstimateNote } from './reasons';

export const POSTPROCESS_OP = /^(CUSTOM:TFLite_Detection_PostProcess|NonMaxSuppression|NON_MAX_SUPPRESSION_V[45])$/;

/**
 * The same SpaghettiNet-EdgeTPU SSD detector (320x320, TFLite 2.5, quantized) timed with and without its
 * TFLite_Detection_PostProcess op, by NobuoTsukamoto/benchmarks; the op's time is the difference (derived here).
 * Dev Board (Edge TPU delegate, 2 threads), S model: github.com/NobuoTsukamoto/benchmarks@cf06fe594dda1fbd42b984d116bd08af34dca623
 *   :tensorflow/lite/tf1_detection_model_zoo/devboard.md, "|SpaghettiNet for EdgeTpu S |300x300| 10.98| 16.64 | 22.34 | 26.87 | 33.47 |"
 *   (no post-processing, then max_detections 10 / 25 / 50 / 100): 5.7 ms at 10, 22.5 ms at 100 (M and L models 4.7-5.2 and 22.9-23.5).
 * Raspberry Pi 4 with the Edge TPU (USB), S model: @546972ef14ebfa15e0bc114a4429b427bf0c192d:tensorflow/lite/spaghettinet/result/rpi4/,
 *   latency_mean(ms) 11.86 (no post-processing), 13.59 (max_detections 10), 18.66 (100): 1.7 ms at 10, 6.8 ms at 100.
 */
export const PUBLISHED_POSTPROCESS = {
  source: 'NobuoTsukamoto/benchmarks (SpaghettiNet-EdgeTPU SSD 320x320 timed with and without TFLite_Detection_PostProcess, TFLite 2.5)',
  devBoardMs: { at10: 5.7, at100: 22.5 },
  rpi4Ms: { at10: 1.7, at100: 6.8 },
} as const;

/** The note for a graph with a detection post-processing op: where it runs, what it is estimated at, and what was measured. */
export function postprocessNote(layers: LayerEstimate[]): EstimateNote | null {
  const pp = layers.filter((l) => POSTPROCESS_OP.test(l.op));
  if (!pp.length) return null;
  return { kind: 'detection-postprocess', op: pp[0].op.replace(/^CUSTOM:/, ''), unit: pp.some((l) => l.unit === 'cpu') ? 'cpu' : 'accelerator', estimatedMs: pp.reduce((s, l) => s + l.ms, 0) };
}
