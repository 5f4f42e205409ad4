/**
 * Small constant values the ONNX reader decodes (shape vectors, axes, quantisation scales) and shape
 * inference folds (Shape → Gather → Concat ...), kept beside the graph rather than in it: TensorInfo
 * describes tensors, it does not carry their data. Keyed by the TensorInfo object.
 */
import type { TensorInfo } from '../graph';

const VALUES = new WeakMap<TensorInfo, number[]>();

/** Largest constant decoded eagerly for shape inference. */
export const MAX_FOLDED_ELEMENTS = 64;
/** Largest scale / zero-point vector decoded for quantisation parameters (per-channel). */
export const MAX_QUANT_ELEMENTS = 8192;

export function setValues(t: TensorInfo, values: number[]): void {
  VALUES.set(t, values);
}

/** Known values of a tensor (flattened), or undefined. */
export function getValues(t: TensorInfo | undefined): number[] | undefined {
  return t ? VALUES.get(t) : undefined;
}

/** Tensor lookup through enclosing scopes (If/Loop bodies read outer values): graph.ts findTensor. */
export { findTensor as lookupTensor } from '../graph';

const UNKNOWN_REASONS = new WeakMap<TensorInfo, string>();

/** Why shape inference could not establish a tensor's shape (the first cause, carried downstream). */
export function setUnknownReason(t: TensorInfo, reason: string): void {
  if (!UNKNOWN_REASONS.has(t)) UNKNOWN_REASONS.set(t, reason);
}

export function unknownReason(t: TensorInfo | undefined): string | undefined {
  return t ? UNKNOWN_REASONS.get(t) : undefined;
}
