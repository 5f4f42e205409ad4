/**
 * The processing units an estimate runs layers on, resolved to numbers: each unit's effective dense throughput
 * per precision (catalog peak x prior efficiency x the fitted scale, gaps filled by prior ratios), its memory
 * bandwidth and its per-op dispatch cost, with the basis of every figure as a structured reason.
 * No `vscode` import.
 */
import { loadCatalog, loadPriors, toBase, type ComputeUnitSpec, type DeviceSpec } from '../catalog';
import type { ComputePrecision } from '../types';
import type { ThroughputBasis } from './reasons';

/** A unit that runs layers, resolved to base units. */
export interface Unit {
  kind: 'accelerator' | 'cpu';
  spec: ComputeUnitSpec;
  /** Dense-layer effective throughput (ops/s) per precision, after priors and calibration. */
  dense: Partial<Record<ComputePrecision, number>>;
  /** How each dense figure was obtained, for the assumptions. */
  basis: Partial<Record<ComputePrecision, ThroughputBasis>>;
  memBandwidth: number | null;
  perOpS: number;
  /** Memory efficiency of a plug-in accelerator's host CPU (the host's calibration); others use the device's. */
  memEff?: number;
}

type Dense = Pick<Unit, 'dense' | 'basis'>;

/** MACs per cycle assumed for a microcontroller whose catalog entry has a clock but no peak. */
const MCU_PRIOR_MACS_PER_CYCLE = 0.5;

function peakOf(spec: ComputeUnitSpec, p: ComputePrecision): number | null {
  if (p === 'int8' || p === 'fp16' || p === 'fp32') return toBase(spec.peak[p], 'throughput');
  return null;
}

/** Catalog peaks x prior efficiency x scale. Ampere tensor cores run fp32 as TF32 (TensorRT's default) at half the fp16 rate. */
function fromPeaks(spec: ComputeUnitSpec, scale: number, out: Dense): void {
  const eff = loadPriors().computeEfficiency[spec.type];
  for (const p of ['int8', 'fp16', 'fp32'] as ComputePrecision[]) {
    let peak = peakOf(spec, p);
    let tf32 = false;
    const fp16Peak = peakOf(spec, 'fp16');
    if (p === 'fp32' && spec.type === 'gpu' && fp16Peak && (!peak || fp16Peak / 2 > peak)) {
      peak = fp16Peak / 2;
      tf32 = true;
    }
    if (peak) {
      // Efficiency never exceeds the peak: a fit that wants more is explained by memory or overhead instead.
      const eta = Math.min(1, eff[p] * scale);
      out.dense[p] = peak * eta;
      out.basis[p] = { kind: 'peak', precision: p, eta, peak, tf32 };
    }
  }
}

/** Precisions without a peak from the prior ratios to one that has one; emulated precisions at the fp32 rate. */
function fromRatios(spec: ComputeUnitSpec, out: Dense): void {
  const ratios = loadPriors().precisionRatios[spec.type] ?? {};
  const fill = (p: ComputePrecision, from: ComputePrecision, ratio: number | undefined) => {
    const base = out.dense[from];
    if (out.dense[p] === undefined && base !== undefined && ratio !== undefined) {
      out.dense[p] = base * ratio;
      out.basis[p] = { kind: 'ratio', precision: p, from, ratio };
    }
  };
  if (spec.type === 'mcu-cpu' || spec.type === 'npu' || spec.type === 'tpu') {
    fill('fp16', 'int8', ratios.fp16);
    fill('fp32', 'int8', ratios.fp32);
    fill('int16', 'int8', ratios.int16);
    fill('int8', 'fp16', ratios.fp16 ? 1 / ratios.fp16 : undefined);
  } else {
    fill('int8', 'fp32', ratios.int8);
    fill('fp16', 'fp32', ratios.fp16);
    fill('int16', 'fp32', ratios.int16);
  }
  // Emulated precisions run at the wider type's rate (Pi 4 fp16 -> fp32).
  for (const [p, s] of Object.entries(spec.precisions) as [ComputePrecision, string][]) {
    if (s === 'emulated' && out.dense.fp32 !== undefined) {
      out.dense[p] = out.dense.fp32;
      out.basis[p] = { kind: 'emulated', precision: p };
    }
  }
}

/** An accelerator without any published peak (Snapdragon 8 Gen 2 NPU): a nominal 1 TOPS int8 that only the calibration scale turns into a number. */
function nominalFitted(spec: ComputeUnitSpec, scale: number, out: Dense): void {
  const fp16Ratio = loadPriors().precisionRatios[spec.type]?.fp16;
  const int8 = 1e12 * scale;
  out.dense.int8 = int8;
  out.basis.int8 = { kind: 'nominal-fitted', value: int8, scale };
  if (fp16Ratio !== undefined) {
    out.dense.fp16 = int8 * fp16Ratio;
    out.basis.fp16 = { kind: 'fitted-ratio', ratio: fp16Ratio };
  }
}

/**
 * A microcontroller without a published peak: the research notes' prior of ~0.5 int8 MAC per cycle for
 * CMSIS-NN-class kernels on one core (Lai, Suda, Chandra, arXiv 1801.06601), at the catalog clock.
 */
function mcuPrior(spec: ComputeUnitSpec, scale: number, out: Dense): void {
  const clock = toBase(spec.clock, 'frequency');
  if (!clock) return;
  const int8 = 2 * MCU_PRIOR_MACS_PER_CYCLE * clock * scale;
  out.dense.int8 = int8;
  out.basis.int8 = { kind: 'mcu-prior', unitName: spec.name, macsPerCycle: MCU_PRIOR_MACS_PER_CYCLE, clockHz: clock };
  out.dense.int16 = int8 / 2;
  out.basis.int16 = { kind: 'mcu-int16-prior' };
  if (spec.precisions.fp32 === 'native') {
    out.dense.fp32 = int8 / 4;
    out.basis.fp32 = { kind: 'mcu-fp32-prior' };
  }
}

/** Dense effective throughput per precision from peaks x prior efficiency, filling gaps by prior ratios. */
function denseThroughput(spec: ComputeUnitSpec, scale: number, standIn: Unit | null): Dense {
  const out: Dense = { dense: {}, basis: {} };
  const empty = () => Object.keys(out.dense).length === 0;
  fromPeaks(spec, scale, out);
  fromRatios(spec, out);
  if (empty() && spec.type !== 'cpu' && spec.type !== 'mcu-cpu') nominalFitted(spec, scale, out);
  if (empty() && spec.type === 'mcu-cpu') mcuPrior(spec, scale, out);
  if (empty() && standIn && spec.type !== 'mcu-cpu') {
    for (const p of Object.keys(standIn.dense) as ComputePrecision[]) {
      out.dense[p] = standIn.dense[p];
      out.basis[p] = { kind: 'stand-in', precision: p, unitName: spec.name, standInName: standIn.spec.name };
    }
  }
  return out;
}

/** True when a figure of this unit borrows another CPU's peak (its latency is then a lower bound). */
export const usesStandIn = (u: Unit): boolean => Object.values(u.basis).some((b) => b?.kind === 'stand-in');

function perOpSeconds(spec: ComputeUnitSpec): number {
  return loadPriors().perOpOverheadUs[spec.type] * 1e-6;
}

export function acceleratorUnit(device: DeviceSpec, spec: ComputeUnitSpec, computeScale: number, overheadScale: number): Unit {
  return { kind: 'accelerator', spec, ...denseThroughput(spec, computeScale, null), memBandwidth: toBase(device.memory.bandwidth, 'bandwidth'), perOpS: perOpSeconds(spec) * overheadScale };
}

function cpuUnitOf(owner: DeviceSpec, spec: ComputeUnitSpec, scale: number, standIn: Unit | null): Unit {
  return { kind: 'cpu', spec, ...denseThroughput(spec, scale, standIn), memBandwidth: toBase(owner.memory.bandwidth, 'bandwidth'), perOpS: perOpSeconds(spec) };
}

/**
 * The CPU that runs a device's layers (its own, or a plug-in accelerator's host's). A CPU without a published
 * peak borrows the slowest application CPU that has one (Pi 4's Cortex-A72), and the estimate says its latency
 * is a lower bound.
 */
export function cpuUnit(device: DeviceSpec, scale: number): Unit {
  const catalog = loadCatalog();
  const owner = device.cpu ? device : catalog.byId(device.host!.deviceId)!;
  const fp32Peak = (d: DeviceSpec) => (d.cpu && d.cpu.type === 'cpu' ? toBase(d.cpu.peak.fp32, 'throughput') : null);
  const slowest = catalog.devices.filter((d) => d !== owner && fp32Peak(d)).sort((a, b) => (fp32Peak(a) ?? 0) - (fp32Peak(b) ?? 0))[0];
  const standIn = slowest ? cpuUnitOf(slowest, slowest.cpu!, 1, null) : null;
  return cpuUnitOf(owner, owner.cpu!, scale, standIn);
}

/** How many of an application CPU's cores the runtime's threads use. */
export interface CpuThreads {
  threads: number;
  used: number;
  cores: number;
}

/**
 * Scales an application CPU's compute rate to the threads its runtime uses: the catalog peak counts every core (or,
 * on a phone, its performance cores: peakCores), so `used` of those `cores` give used / cores of it (linear in cores,
 * a prior; memory time and per-op dispatch are left as they are). Null when no thread count is given, the unit is
 * not an application CPU or its cores are unknown.
 */
export function applyCpuThreads(cpu: Unit, threads: number | undefined): CpuThreads | null {
  if (threads === undefined || cpu.spec.type !== 'cpu') return null;
  const cores = toBase(cpu.spec.peakCores, 'count') ?? toBase(cpu.spec.cores, 'count');
  if (!cores) return null;
  const used = Math.min(threads, cores);
  for (const p of Object.keys(cpu.dense) as ComputePrecision[]) cpu.dense[p]! *= used / cores;
  return { threads, used, cores };
}
