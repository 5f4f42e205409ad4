/**
 * Small helpers the per-format cost models share: known shapes, products, and the recurrent-cell formula
 * (per step and direction: gates × hidden × (input + hidden) multiply-adds, 2 flops each, plus ~4
 * elementwise ops per gate unit — the ONNX cost model's convention).
 */
import type { Shape } from '../graph';

/** The shape as numbers, or null when unknown or symbolic. */
export function knownShape(shape: Shape | null | undefined): number[] | null {
  if (!shape) return null;
  for (const d of shape) if (typeof d !== 'number') return null;
  return shape as number[];
}

export function product(a: readonly number[]): number {
  let n = 1;
  for (const d of a) n *= d;
  return n;
}

/** Flops of a recurrent layer (LSTM: 4 gates, GRU: 3, simple RNN: 1). */
export function recurrentFlops(steps: number, batch: number, directions: number, gates: number, hidden: number, input: number): number {
  return steps * batch * directions * (gates * hidden * (input + hidden) * 2 + gates * hidden * 4);
}

/** Kept boxes a detection NMS compares each candidate with when the file does not state it (TF OD API max_detections default). */
export const DEFAULT_KEPT_BOXES = 10;

/**
 * Detection post-processing shared by TFLite_Detection_PostProcess and ONNX NonMaxSuppression: 2 flops per score
 * (dequantise or threshold compare, and select; n boxes x c classes) + 10 per IoU test of each box against up to
 * `kept` kept boxes, each box a candidate of one class. The NMS part depends on the scores: a worst case per image.
 */
export function nmsFlops(n: number, classes: number, kept: number): number {
  return 2 * n * classes + 10 * n * kept;
}
