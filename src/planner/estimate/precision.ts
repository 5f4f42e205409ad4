/**
 * Precisions as the estimator sees them: the precision a tensor type computes in, the precision a model
 * computes in (its own, or what a device needs when it cannot run that), and bytes per element.
 * No `vscode` import.
 */
import type { Precision } from '../../analyzers/graph';
import type { ModelProfile } from '../../analyzers/profile-types';
import type { DeviceSpec } from '../catalog';
import type { ComputePrecision } from '../types';

export const BYTES: Record<ComputePrecision, number> = { int8: 1, fp16: 2, fp32: 4, int4: 0.5, int16: 2 };

export function bytesFactor(from: ComputePrecision, to: ComputePrecision): number {
  return BYTES[to] / BYTES[from];
}

/** int4 computes through the fp16 path (weight-only schemes dequantise). */
export const computedAs = (p: ComputePrecision): ComputePrecision => (p === 'int4' ? 'fp16' : p);

/** Maps a tensor precision to the precision the layer computes in. */
export function computePrecisionOf(p: Precision | undefined): ComputePrecision {
  switch (p) {
    case 'fp16':
    case 'bf16':
    case 'fp8':
      return 'fp16';
    case 'int8':
    case 'uint8':
    case 'int4':
    case 'uint4':
    case 'int2':
      return 'int8';
    case 'int16':
    case 'uint16':
      return 'int16';
    default:
      return 'fp32';
  }
}

/** The precision the model itself computes in: its most common layer precision by MACs (then by count). */
export function modelPrecision(profile: ModelProfile): ComputePrecision {
  const q = profile.quantization?.state;
  if (q === 'int8-full' || q === 'qdq') return 'int8';
  if (q === 'fp16' || q === 'bf16') return 'fp16';
  const weight = new Map<ComputePrecision, number>();
  for (const l of profile.layers) {
    if (!l.macs && !l.flops) continue;
    const p = computePrecisionOf(l.precision);
    weight.set(p, (weight.get(p) ?? 0) + (l.macs ?? 0) + 1);
  }
  let best: ComputePrecision = 'fp32';
  let bestW = -1;
  for (const [p, w] of weight) if (w > bestW) [best, bestW] = [p, w];
  return best;
}

/** The model's own precision, or what the device needs when it cannot run that at all. */
export function defaultPrecision(profile: ModelProfile, device: DeviceSpec): ComputePrecision {
  if (!profile.hasComputeGraph) {
    const q = profile.quantization?.weightPrecisions ?? {};
    const biggest = Object.entries(q).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0]?.[0];
    const p = biggest === 'int4' || biggest === 'uint4' ? 'int4' : computePrecisionOf(biggest as Precision | undefined);
    return device.precisions.includes(p) ? p : device.precisions[0];
  }
  return modelPrecision(profile);
}

