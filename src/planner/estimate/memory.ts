/**
 * Memory of a model on a device: weights at the chosen precision + liveness-peak activations + the runtime's
 * own needs, against the device's RAM (or, on microcontrollers, activations against SRAM and weights against
 * flash), the user's memory budget, and the Edge TPU's on-chip parameter cache. Returns numbers and structured
 * notes. No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import { loadPriors, toBase, type DeviceSpec } from '../catalog';
import type { Budgets, ComputePrecision, MemoryEstimate } from '../types';
import { BYTES, bytesFactor, computedAs, modelPrecision } from './precision';
import type { EstimateNote } from './reasons';

export interface MemoryContext {
  profile: ModelProfile;
  device: DeviceSpec;
  /** A plug-in accelerator's host, whose RAM holds the model. */
  host: DeviceSpec | null;
  precisionOverride: ComputePrecision | undefined;
  budgets: Budgets | undefined;
}

/** Stored weights, or all parameters at the requested precision. */
function weightBytes(profile: ModelProfile, override: ComputePrecision | undefined): number {
  if (!override) return profile.weightBytes;
  if (profile.hasComputeGraph && profile.layers.length) {
    const counted = profile.layers.reduce((s, l) => s + l.params, 0);
    // Params not attached to a layer (shared constants) keep their stored size scaled by the same factor.
    const rest = Math.max(0, profile.params - counted);
    return (counted + rest) * BYTES[override];
  }
  return profile.params * BYTES[override];
}

/** The liveness peak of activations, resized to the requested precision (0 when unknown). */
function activationBytes(profile: ModelProfile, override: ComputePrecision | undefined): number {
  if (profile.peakActivationBytes === null) return 0;
  if (!override) return profile.peakActivationBytes;
  return profile.peakActivationBytes * bytesFactor(modelPrecision(profile), computedAs(override));
}

function budgetCheck(totalBytes: number, budgets: Budgets | undefined): MemoryEstimate['budget'] {
  if (budgets?.memoryMb === undefined) return undefined;
  const limitBytes = budgets.memoryMb * 1024 * 1024;
  return { limitBytes, fits: totalBytes <= limitBytes, marginBytes: limitBytes - totalBytes };
}

export function estimateMemory(ctx: MemoryContext): { memory: MemoryEstimate; notes: EstimateNote[] } {
  const { profile, device, host } = ctx;
  const priors = loadPriors();
  const notes: EstimateNote[] = [];
  const weights = weightBytes(profile, ctx.precisionOverride);
  const activations = activationBytes(profile, ctx.precisionOverride);
  if (profile.peakActivationBytes === null) notes.push({ kind: 'activation-peak-unknown' });

  const runtimeOverheadBytes = priors.runtimeMemoryBytes[device.kind] ?? 0;
  const ramOwner = device.host ? host! : device;
  const limit = toBase(ramOwner.memory.ram, 'bytes');
  let totalBytes = weights + activations + runtimeOverheadBytes;
  let flash: MemoryEstimate['flash'];
  if (device.kind === 'mcu') {
    // Weights stay in flash; SRAM holds the tensor arena (peak activations) and the runtime's data.
    totalBytes = activations + runtimeOverheadBytes;
    const flashLimit = toBase(device.memory.flash, 'bytes');
    const needed = weights + priors.mcuCodeFlashBytes.value;
    flash = { neededBytes: needed, limitBytes: flashLimit, fits: flashLimit === null ? null : needed <= flashLimit };
    notes.push({ kind: 'mcu-memory', weightsBytes: weights, codeBytes: priors.mcuCodeFlashBytes.value, activationBytes: activations, runtimeBytes: runtimeOverheadBytes });
  }
  const fits = flash && flash.fits === false ? false : limit === null ? null : totalBytes <= limit;
  if (limit === null) notes.push({ kind: 'ram-unknown', deviceName: ramOwner.name });
  if (device.kind === 'gpu-soc') notes.push({ kind: 'jetson-shared-memory' });

  const memory: MemoryEstimate = { weightsBytes: weights, activationBytes: activations, runtimeOverheadBytes, totalBytes, limitBytes: limit, fits, marginBytes: limit === null ? null : limit - totalBytes };
  if (flash) memory.flash = flash;
  const budget = budgetCheck(totalBytes, ctx.budgets);
  if (budget) memory.budget = budget;
  const cache = toBase(device.accelerator?.onChipParamCache, 'bytes');
  if (cache) memory.onChipCache = { capacityBytes: cache, cachedBytes: Math.min(cache, weights), streamedBytes: Math.max(0, weights - cache) };
  return { memory, notes };
}
