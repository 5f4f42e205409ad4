/**
 * Facts the TFLite reader learns that ModelGraph has no field for, kept beside the graph for shape
 * inference and costs: the file's shape_signature of tensors with dynamic (-1) dimensions, and the values
 * of tiny int32/int64 constants (reshape targets, paddings, axes ...). Keyed by the TensorInfo objects of
 * the graph the reader returned, so they disappear with it.
 */
import type { TensorInfo } from '../graph';

export interface TfliteSideInfo {
  shapeSignatures: WeakMap<TensorInfo, number[]>;
  constValues: WeakMap<TensorInfo, number[]>;
}

const SIDE: TfliteSideInfo = { shapeSignatures: new WeakMap(), constValues: new WeakMap() };

export function tfliteSideInfo(): TfliteSideInfo {
  return SIDE;
}
