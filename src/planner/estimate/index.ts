/**
 * Latency / memory / power / energy / compatibility of a model profile on one catalog device.
 *
 * Latency per layer is a roofline with calibrated efficiency:
 *   t = max(ops / (eta_c * class_factor * peak(unit, precision)), DRAM bytes / (eta_m * bandwidth)) + t_op
 * plus parameter streaming beyond the Edge TPU's on-chip cache, transfers at accelerator/CPU partition
 * boundaries and a fixed per-inference overhead. The priors (estimator-priors.json) are scaled by the
 * per-device factors fitted by scripts/calibration/calibrate.ts (calibration.json). Ranges come from the calibration
 * residuals (or a wide default when a device has no published points). No `vscode` import.
 */
import type { LayerProfile, ModelProfile } from '../../analyzers/profile-types';
import { applyCorrection, type DeviceCorrection } from './measurements';
import type { Bottleneck, Budgets, ComputePrecision, DeviceEstimate, LayerEstimate, MemoryEstimate, Range } from '../types';
import { loadCatalog, loadCalibration, defaultRuntime, toBase, type ComputeUnitSpec, type DeviceSpec, type DeviceCalibration } from '../catalog';
import priorsJson from '../catalog/estimator-priors.json';
import { checkCompatibility, computePrecisionOf, looksLikeLlm, modelPrecision, type LayerPlacement } from './compatibility';
import type { CalibrationEntry } from '../../../scripts/calibration/fit';

export class EstimateInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EstimateInputError';
  }
}

export interface EstimateOptions {
  precision?: ComputePrecision;
  runtime?: string;
  budgets?: Budgets;
  battery?: { capacityWh: number; inferencesPerHour: number };
  /** The user's own measurements per device (edgeplan measure): a device found here gets its figures corrected. */
  corrections?: ReadonlyMap<string, DeviceCorrection>;
}

type UnitType = ComputeUnitSpec['type'];
interface Priors {
  computeEfficiency: Record<UnitType, Record<string, number>>;
  precisionRatios: Record<string, Record<string, number>>;
  opClassFactors: { dense: string[]; depthwise: Record<UnitType, number>; vector: Record<UnitType, number> };
  memoryEfficiency: { value: number };
  perOpOverheadUs: Record<UnitType, number>;
  fixedOverheadMs: Record<string, number>;
  partitionSyncUs: { value: number };
  runtimeMemoryBytes: Record<string, number>;
  mcuCodeFlashBytes: { value: number };
  uncalibratedRange: { low: number; high: number };
}
const PRIORS = priorsJson as unknown as Priors;

const ALL_PRECISIONS: ComputePrecision[] = ['int8', 'fp16', 'fp32', 'int4', 'int16'];
const BYTES: Record<ComputePrecision, number> = { int8: 1, fp16: 2, fp32: 4, int4: 0.5, int16: 2 };
/** Ops whose work is fused into the producing layer by every runtime we model (no dispatch of their own). */
const FUSED_CLASSES = new Set(['activation', 'quantize']);
const FREE_CLASSES = new Set(['data-movement', 'control-flow']);

/** A unit that runs layers, resolved to base units. */
interface Unit {
  kind: 'accelerator' | 'cpu';
  spec: ComputeUnitSpec;
  /** Dense-layer effective throughput (ops/s) per precision, after priors and calibration. */
  dense: Partial<Record<ComputePrecision, number>>;
  /** How each dense figure was obtained, for the assumptions. */
  basis: Partial<Record<ComputePrecision, string>>;
  memBandwidth: number | null;
  perOpS: number;
  /** Memory efficiency of a plug-in accelerator's host CPU (the host's calibration); others use the device's. */
  memEff?: number;
}

// ---------------------------------------------------------------------------------------------
// Input validation

function validate(deviceId: string, opts: EstimateOptions): DeviceSpec {
  const catalog = loadCatalog();
  if (typeof deviceId !== 'string' || !deviceId) throw new EstimateInputError('device id is required');
  const device = catalog.byId(deviceId);
  if (!device) throw new EstimateInputError(`unknown device "${deviceId}"; known devices: ${catalog.devices.map((d) => d.id).join(', ')}`);
  if (opts.precision !== undefined) {
    if (!ALL_PRECISIONS.includes(opts.precision)) throw new EstimateInputError(`precision must be one of ${ALL_PRECISIONS.join(', ')}, got "${String(opts.precision)}"`);
    if (!device.precisions.includes(opts.precision)) {
      const why =
        device.accelerator?.opSupport === 'edgetpu'
          ? ' (the Edge TPU executes fully int8-quantised models only)'
          : device.accelerator?.opSupport === 'ane'
            ? ' (the Neural Engine computes in fp16 or int8; Core ML converts an fp32 model to fp16 — estimate it with --precision fp16)'
            : device.kind === 'mcu'
              ? ' (no fp16 arithmetic or kernels on this microcontroller)'
              : '';
      throw new EstimateInputError(`${device.id} cannot run ${opts.precision}${why}; it supports ${device.precisions.join(', ')}`);
    }
  }
  if (opts.runtime !== undefined && !device.runtimes.some((r) => r.id === opts.runtime)) {
    throw new EstimateInputError(`${device.id} has no runtime "${opts.runtime}"; known: ${device.runtimes.map((r) => r.id).join(', ')}`);
  }
  const b = opts.budgets ?? {};
  const positive = (name: string, v: number | undefined, max: number) => {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new EstimateInputError(`budget ${name} must be a positive number, got ${v}`);
    if (v > max) throw new EstimateInputError(`budget ${name} = ${v} is absurd (more than ${max})`);
  };
  positive('latencyMs', b.latencyMs, 3_600_000);
  positive('memoryMb', b.memoryMb, 10_000_000);
  positive('powerW', b.powerW, 100_000);
  positive('energyMj', b.energyMj, 1e12);
  if (b.accuracyDrop !== undefined && (typeof b.accuracyDrop !== 'number' || !Number.isFinite(b.accuracyDrop) || b.accuracyDrop < 0 || b.accuracyDrop > 100)) {
    throw new EstimateInputError(`budget accuracyDrop must be between 0 and 100 percentage points, got ${b.accuracyDrop}`);
  }
  if (opts.battery) {
    const { capacityWh, inferencesPerHour } = opts.battery;
    if (!Number.isFinite(capacityWh) || capacityWh <= 0 || capacityWh > 100_000) throw new EstimateInputError(`battery capacityWh must be in (0, 100000], got ${capacityWh}`);
    if (!Number.isFinite(inferencesPerHour) || inferencesPerHour <= 0 || inferencesPerHour > 3.6e9) throw new EstimateInputError(`battery inferencesPerHour must be in (0, 3.6e9], got ${inferencesPerHour}`);
  }
  return device;
}

// ---------------------------------------------------------------------------------------------
// Units and throughput

/** MACs per cycle assumed for a microcontroller whose catalog entry has a clock but no peak. */
const MCU_PRIOR_MACS_PER_CYCLE = 0.5;

function calibrationFor(deviceId: string): DeviceCalibration | undefined {
  return loadCalibration().devices[deviceId];
}

function peakOf(spec: ComputeUnitSpec, p: ComputePrecision): number | null {
  if (p === 'int8' || p === 'fp16' || p === 'fp32') return toBase(spec.peak[p], 'throughput');
  return null;
}

/** Dense effective throughput per precision from peaks x prior efficiency, filling gaps by prior ratios. */
function denseThroughput(spec: ComputeUnitSpec, scale: number, standIn: Unit | null): { dense: Unit['dense']; basis: Unit['basis'] } {
  const dense: Unit['dense'] = {};
  const basis: Unit['basis'] = {};
  const eff = PRIORS.computeEfficiency[spec.type];
  for (const p of ['int8', 'fp16', 'fp32'] as ComputePrecision[]) {
    let peak = peakOf(spec, p);
    let note = '';
    // Ampere tensor cores run fp32 layers as TF32 (TensorRT's default) at half the dense fp16 rate,
    // above the CUDA-core fp32 peak.
    const fp16Peak = peakOf(spec, 'fp16');
    if (p === 'fp32' && spec.type === 'gpu' && fp16Peak && (!peak || fp16Peak / 2 > peak)) {
      peak = fp16Peak / 2;
      note = ' (TF32 tensor-core rate = fp16 / 2)';
    }
    if (peak) {
      // Efficiency never exceeds the peak: a fit that wants more is explained by memory or overhead instead.
      const eta = Math.min(1, eff[p] * scale);
      dense[p] = peak * eta;
      basis[p] = `${p}: ${(eta * 100).toFixed(1)}% of the ${fmtOps(peak)} catalog peak${note}`;
    }
  }
  const ratios = PRIORS.precisionRatios[spec.type] ?? {};
  const fill = (p: ComputePrecision, from: ComputePrecision, ratio: number | undefined) => {
    if (dense[p] === undefined && dense[from] !== undefined && ratio !== undefined) {
      dense[p] = dense[from]! * ratio;
      basis[p] = `${p}: no catalog peak; ${ratio}x the ${from} rate (prior)`;
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
    if (s === 'emulated' && dense.fp32 !== undefined) {
      dense[p] = dense.fp32;
      basis[p] = `${p}: emulated in fp32 (no ${p} arithmetic)`;
    }
  }
  if (Object.keys(dense).length === 0 && spec.type !== 'cpu' && spec.type !== 'mcu-cpu') {
    // No published peak at all (Snapdragon 8 Gen 2 NPU): a nominal 1 TOPS int8 that only the calibration
    // scale turns into a number; the basis says so.
    dense.int8 = 1e12 * scale;
    basis.int8 = `int8: no catalog peak; ${fmtOps(dense.int8)} effective, fitted directly to published measurements (nominal 1 TOPS x scale ${+scale.toFixed(3)})`;
    if (ratios.fp16 !== undefined) {
      dense.fp16 = dense.int8 * ratios.fp16;
      basis.fp16 = `fp16: ${ratios.fp16}x the fitted int8 rate (prior)`;
    }
  }
  if (Object.keys(dense).length === 0 && spec.type === 'mcu-cpu') {
    // A microcontroller without a published peak: the research notes' prior of ~0.5 int8 MAC per cycle for
    // CMSIS-NN-class kernels on one core (Lai, Suda, Chandra, arXiv 1801.06601), at the catalog clock.
    const clock = toBase(spec.clock, 'frequency');
    if (clock) {
      dense.int8 = 2 * MCU_PRIOR_MACS_PER_CYCLE * clock * scale;
      basis.int8 = `int8: no catalog peak for ${spec.name}; prior of ${MCU_PRIOR_MACS_PER_CYCLE} MAC/cycle on one core at ${(clock / 1e6).toFixed(0)} MHz (CMSIS-NN-class kernels; not measured on this chip)`;
      dense.int16 = dense.int8 / 2;
      basis.int16 = `int16: half the int8 prior`;
      if (spec.precisions.fp32 === 'native') {
        dense.fp32 = dense.int8 / 4;
        basis.fp32 = `fp32: a quarter of the int8 prior (scalar FPU)`;
      }
    }
  }
  if (Object.keys(dense).length === 0 && standIn && spec.type !== 'mcu-cpu') {
    for (const p of Object.keys(standIn.dense) as ComputePrecision[]) {
      dense[p] = standIn.dense[p];
      basis[p] = `${p}: no catalog peak for ${spec.name}; the ${standIn.spec.name} stands in, so this is an upper bound on speed (a lower bound on latency) for a slower core`;
    }
  }
  return { dense, basis };
}

function fmtOps(v: number): string {
  return v >= 1e12 ? `${+(v / 1e12).toFixed(2)} TOPS` : `${+(v / 1e9).toFixed(1)} GOPS`;
}

function cpuUnit(device: DeviceSpec, scale: number): Unit {
  const catalog = loadCatalog();
  const owner = device.cpu ? device : catalog.byId(device.host!.deviceId)!;
  const spec = owner.cpu!;
  // A CPU without a published peak borrows the slowest application CPU that has one (Pi 4's Cortex-A72),
  // and the estimate says its latency is a lower bound.
  const withPeak = catalog.devices
    .filter((d) => d !== owner && d.cpu && d.cpu.type === 'cpu' && toBase(d.cpu.peak.fp32, 'throughput'))
    .sort((a, b) => (toBase(a.cpu!.peak.fp32, 'throughput') ?? 0) - (toBase(b.cpu!.peak.fp32, 'throughput') ?? 0));
  const slowest = withPeak[0];
  const standIn = slowest ? cpuUnitFromSpec(slowest, slowest.cpu!, 1, null) : null;
  return cpuUnitFromSpec(owner, spec, scale, standIn);
}

function cpuUnitFromSpec(owner: DeviceSpec, spec: ComputeUnitSpec, scale: number, standIn: Unit | null): Unit {
  const { dense, basis } = denseThroughput(spec, scale, standIn);
  return { kind: 'cpu', spec, dense, basis, memBandwidth: toBase(owner.memory.bandwidth, 'bandwidth'), perOpS: PRIORS.perOpOverheadUs[spec.type] * 1e-6 };
}

// ---------------------------------------------------------------------------------------------
// The estimate

export function estimateDevice(profile: ModelProfile, deviceId: string, opts: EstimateOptions = {}): DeviceEstimate {
  const estimate = estimateDeviceWith(profile, deviceId, opts, calibrationFor(deviceId) ?? null);
  const correction = opts.corrections?.get(deviceId);
  return correction && Number.isFinite(estimate.latencyMs.typical) ? applyCorrection(estimate, correction) : estimate;
}

/**
 * The estimate under explicit calibration factors (null = the uncalibrated priors). scripts/calibration/calibrate.ts
 * uses it to fit the factors; everything else calls estimateDevice, which reads calibration.json.
 */
export function estimateDeviceWith(profile: ModelProfile, deviceId: string, opts: EstimateOptions, calibration: DeviceCalibration | null): DeviceEstimate {
  const device = validate(deviceId, opts);
  if (!profile || !Array.isArray(profile.layers)) throw new EstimateInputError('the model profile is missing its layers (pass an analyzeFile result .model)');
  const catalog = loadCatalog();
  const host = device.host ? catalog.byId(device.host.deviceId)! : null;
  const runtime = opts.runtime ?? defaultRuntime(device);
  const cal = calibration ?? undefined;
  const runtimeFactor = cal?.runtimeFactors[runtime] ?? 1;
  const precisionForFactor = opts.precision ?? (profile.hasComputeGraph ? modelPrecision(profile) : undefined);
  const precisionFactor = (precisionForFactor && cal?.precisionFactors?.[precisionForFactor]) || 1;
  // The runtime factor divides the whole graph time (kernels, memory traffic and dispatch alike): runtimes differ
  // in kernel quality and in per-op host overhead, and a factor on compute alone is lost where compute is already
  // at the catalog peak. The precision factor is about arithmetic, so it scales the compute rate only.
  const computeScale = (cal?.computeScale ?? 1) * precisionFactor;
  const memoryScale = cal?.memoryScale ?? 1;
  const overheadScale = cal?.overheadScale ?? 1;
  const assumptions: string[] = [];

  const precision: ComputePrecision = opts.precision ?? defaultPrecision(profile, device);
  const compat = checkCompatibility(profile, device, opts.precision, host?.cpu?.name);

  const acc: Unit | null = device.accelerator
    ? (() => {
        const { dense, basis } = denseThroughput(device.accelerator, computeScale, null);
        return { kind: 'accelerator', spec: device.accelerator, dense, basis, memBandwidth: toBase(device.memory.bandwidth, 'bandwidth'), perOpS: PRIORS.perOpOverheadUs[device.accelerator.type] * 1e-6 * overheadScale } as Unit;
      })()
    : null;
  // The CPU carries the calibration only on CPU-only devices; fallback CPUs keep their own device's calibration.
  const cpuCal = device.accelerator ? calibrationFor(host?.id ?? device.id) : undefined;
  const cpu = cpuUnit(device, device.accelerator ? (device.cpu ? 1 : cpuCal?.computeScale ?? 1) : computeScale);
  if (!device.accelerator) cpu.perOpS *= overheadScale;
  else if (host && cpuCal) {
    cpu.perOpS *= cpuCal.overheadScale ?? 1;
    cpu.memEff = PRIORS.memoryEfficiency.value * (cpuCal.memoryScale ?? 1);
  }
  // Ops that fall back to a plug-in accelerator's host run at the host's own calibrated speed (its default
  // runtime), not at the accelerator runtime's factor; on other devices one runtime factor covers the graph.
  const cpuRuntimeFactor = host && cpuCal ? cpuCal.runtimeFactors[defaultRuntime(host)] ?? 1 : runtimeFactor;
  const memEff = PRIORS.memoryEfficiency.value * memoryScale;

  // Memory first: it does not depend on the latency model.
  const memory = estimateMemory(profile, device, host, precision, opts, assumptions);

  let latency: Range;
  let layers: LayerEstimate[] = [];
  let bottleneck: Bottleneck = 'compute';
  let latencyBasis: DeviceEstimate['latencyBasis'] = 'per-inference';

  const notRunnable = compat.cannotRun && (profile.compiledSegments.length > 0 || !profile.hasComputeGraph);
  if (!profile.hasComputeGraph) {
    const weights = memory.weightsBytes;
    const bw = acc?.memBandwidth ?? cpu.memBandwidth;
    if (looksLikeLlm(profile) && !notRunnable && bw && weights > 0) {
      const t = (weights / (memEff * bw)) * 1000;
      latency = rangeAround(t, cal, assumptions);
      latencyBasis = 'per-token';
      bottleneck = 'memory';
      assumptions.push(`No compute graph: latency is the time per generated token of LLM-style decoding, bandwidth-bound: ${fmtBytes(weights)} of weights read per token at ${(memEff * 100).toFixed(0)}% of ${(bw / 1e9).toFixed(1)} GB/s. Prompt processing (prefill) and KV-cache traffic are not included.`);
    } else {
      latency = { low: NaN, typical: NaN, high: NaN };
      latencyBasis = 'unknown';
      assumptions.push(notRunnable
        ? `Latency is not estimated: ${compat.report.summary}`
        : weights <= 0
          ? 'Latency is not estimated: the file holds no weights (a vocabulary-only or empty file).'
          : !bw
          ? `Latency is not estimated: the file has no compute graph and the catalog has no memory bandwidth for ${device.name}.`
          : 'Latency is not estimated: the file has no compute graph (MACs and activation sizes are unknown) and it does not look like a language model whose decode time is bandwidth-bound.');
    }
  } else if (notRunnable) {
    latency = { low: NaN, typical: NaN, high: NaN };
    latencyBasis = 'unknown';
    assumptions.push(`Latency is not estimated: ${compat.report.summary}`);
  } else {
    const r = estimateLatency(profile, device, compat.layers, acc, cpu, memEff, memoryScale, overheadScale, opts.precision, assumptions);
    layers = r.layers.map((l) => ({ ...l, ms: l.ms / (l.unit === 'cpu' ? cpuRuntimeFactor : runtimeFactor) }));
    const rawLayerMs = r.layers.reduce((a, l) => a + l.ms, 0);
    const layerMs = layers.reduce((a, l) => a + l.ms, 0);
    bottleneck = r.bottleneck;
    // Fixed overhead and transfers belong to the accelerator runtime.
    latency = rangeAround(layerMs + (r.totalMs - rawLayerMs) / runtimeFactor, cal, assumptions);
    if (r.unknownLayers > 0) {
      latency.high = latency.high * 1.5;
      latencyBasis = 'lower-bound';
      assumptions.push(`${r.unknownLayers} layer(s) have unknown MACs/FLOPs (a shape is unknown); their compute is not counted, so the typical figure is a lower bound and the high end is widened by 1.5x.`);
    }
    const bodies = (profile.subgraphCosts ?? []).filter((c) => c.macs === null || c.macs > 0 || c.flops === null || c.flops > 0);
    if (bodies.length) {
      latencyBasis = 'lower-bound';
      assumptions.push(`${bodies.length} control-flow bod${bodies.length === 1 ? 'y' : 'ies'} (If/Loop/Scan) hold work that runs a data-dependent number of times (e.g. ${bodies[0].owner}); it is not counted, so the latency is a lower bound.`);
    }
    const standIn = layers.some((l) => l.unit === 'cpu') && Object.values(cpu.basis).some((b) => typeof b === 'string' && b.includes('stands in'));
    if (standIn) {
      latencyBasis = 'lower-bound';
      assumptions.push(`The catalog has no published compute peak for this CPU; a faster CPU stands in, so the latency of the layers it runs is a lower bound.`);
    }
  }

  // Power and energy.
  const powerW = powerRange(device, host, compat.layers, assumptions);
  const energyMj = powerW && Number.isFinite(latency.typical)
    ? { low: powerW.low * latency.low, typical: powerW.typical * latency.typical, high: powerW.high * latency.high }
    : null;
  if (!powerW) assumptions.push(`Power is not estimated: the catalog sources give no power figure for ${device.name}.`);
  const inferencesPerWh = energyMj && energyMj.typical > 0 ? 3.6e6 / energyMj.typical : null;
  let batteryLifeHours: number | null | undefined;
  if (opts.battery) batteryLifeHours = batteryLife(opts.battery, energyMj, latency, device, host, assumptions);

  // Precision and runtime notes.
  assumptions.push(`Precision: ${precision}${opts.precision ? ' (requested)' : ' (the model\'s own)'}; runtime: ${device.runtimes.find((r) => r.id === runtime)?.name ?? runtime}.`);
  const units = [acc, cpu].filter((u): u is Unit => !!u);
  for (const u of units) {
    const b = u.basis[precision === 'int4' ? 'fp16' : precision];
    if (b) assumptions.push(`${u.kind === 'accelerator' ? u.spec.name : `CPU (${u.spec.name})`} dense throughput ${b}.`);
  }
  if (device.host) assumptions.push(device.host.note);
  if (cal) {
    assumptions.push(`Efficiency calibrated on ${cal.trainingPoints} published measurement(s) for ${device.id}${runtimeFactor !== 1 ? `, with runtime ${runtime} ${runtimeFactor.toFixed(2)}x as fast as the fitted device average` : ''}${precisionFactor !== 1 ? `, a ${precisionFactor.toFixed(2)}x factor for ${precisionForFactor}` : ''}; range x${cal.range.low.toFixed(2)} .. x${cal.range.high.toFixed(2)} from the fit residuals.`);
  } else {
    assumptions.push(`No published measurements for ${device.id} in the calibration set: efficiency factors are uncalibrated priors (research defaults) and the range is wide (x${PRIORS.uncalibratedRange.low} .. x${PRIORS.uncalibratedRange.high}).`);
  }
  if (Number.isFinite(latency.typical)) assumptions.push(pipelineAssumption(cal, device.id, runtime));
  if (profile.dynamicShapes?.hasDynamic) assumptions.push(`Symbolic dimensions bound as ${JSON.stringify(profile.dynamicShapes.bindings)}.`);

  return {
    device: device.id,
    deviceName: device.name,
    precision,
    runtime,
    latencyMs: latency,
    latencyBasis,
    bottleneck,
    layers,
    memory,
    powerW,
    energyMj,
    inferencesPerWh,
    ...(opts.battery ? { batteryLifeHours } : {}),
    compatibility: compat.report,
    assumptions,
    calibration: cal
      ? { points: cal.trainingPoints, medianAbsLogError: cal.heldOutMedianAbsLogError, note: cal.note }
      : { points: 0, medianAbsLogError: null, note: 'no published measurements for this device in /work/shared/calibration/latency.csv that the reference models cover; uncalibrated priors' },
  };
}

/**
 * The latency is pure inference; some published sources time a whole pipeline around it. The calibration fits
 * that pipeline's fixed time per device (calibration.json pipelineOverheadMs) but never adds it to an estimate:
 * this sentence says so and gives the fitted figure, the runtime's own first, so a user of that pipeline can add it.
 */
function pipelineAssumption(cal: CalibrationEntry | undefined, deviceId: string, runtime: string): string {
  const base = 'Pure inference time (model execution): framework / pipeline overhead (pre- and post-processing, a Python benchmark loop, model loading) is excluded.';
  const fitted = Object.values(cal?.pipelineOverheadMs ?? {})
    .filter((p) => p.ms > 0)
    .sort((a, b) => Number(b.runtimes.includes(runtime)) - Number(a.runtimes.includes(runtime)));
  if (!fitted.length) return base;
  return `${base} Calibration fitted such overhead on ${deviceId}: ${fitted.map((p) => `${+p.ms.toFixed(2)} ms per inference for the ${p.measures} (${p.runtimes.join(', ')}; ${p.points} published points)`).join('; ')}; add it if you time that pipeline.`;
}

/** The model's own precision, or what the device needs when it cannot run that at all. */
function defaultPrecision(profile: ModelProfile, device: DeviceSpec): ComputePrecision {
  if (!profile.hasComputeGraph) {
    const q = profile.quantization?.weightPrecisions ?? {};
    const biggest = (Object.entries(q) as [string, number][]).sort((a, b) => b[1] - a[1])[0]?.[0];
    const p = biggest === 'int4' || biggest === 'uint4' ? 'int4' : computePrecisionOf(biggest as never);
    return device.precisions.includes(p) ? p : device.precisions[0];
  }
  return modelPrecision(profile);
}

function bytesFactor(from: ComputePrecision, to: ComputePrecision): number {
  return BYTES[to] / BYTES[from];
}

interface LatencyResult {
  totalMs: number;
  layers: LayerEstimate[];
  bottleneck: Bottleneck;
  unknownLayers: number;
}

function opClassFactor(layer: LayerProfile, type: UnitType): number {
  if (PRIORS.opClassFactors.dense.includes(layer.opClass)) return 1;
  if (layer.opClass === 'depthwise-conv') return PRIORS.opClassFactors.depthwise[type];
  return PRIORS.opClassFactors.vector[type];
}

function estimateLatency(
  profile: ModelProfile,
  device: DeviceSpec,
  placement: LayerPlacement[],
  acc: Unit | null,
  cpu: Unit,
  memEff: number,
  memoryScale: number,
  overheadScale: number,
  override: ComputePrecision | undefined,
  assumptions: string[],
): LatencyResult {
  const accSpec = device.accelerator;
  const cache = accSpec ? toBase(accSpec.onChipParamCache, 'bytes') : null;
  const stream = accSpec ? toBase(accSpec.paramStreamBandwidth, 'bandwidth') : null;
  const link = accSpec?.link ? toBase(accSpec.link.bandwidth, 'bandwidth') : null;
  const isMcu = device.kind === 'mcu';
  let cachedSoFar = 0;
  let streamedTotal = 0;
  let unknownLayers = 0;
  const out: LayerEstimate[] = [];
  const byBottleneck = new Map<Bottleneck, number>();
  let total = 0;
  let prevUnit: 'accelerator' | 'cpu' | null = null;
  let prevOutBytes = 0;
  let boundaries = 0;
  let transferMs = 0;

  profile.layers.forEach((layer, i) => {
    const place = placement[i];
    if (!place || place.unit === 'skip') return;
    const unit = place.unit === 'accelerator' && acc ? acc : cpu;
    const p = place.precision;
    const own = computePrecisionOf(layer.precision);
    const actFactor = override ? bytesFactor(own, p === 'int4' ? 'fp16' : p) : 1;
    const wOwn = computePrecisionOf(layer.weightPrecision ?? layer.precision);
    const weightBytes = override ? layer.params * BYTES[override] : layer.weightBytes;
    const ioBytes = ((layer.inputBytes ?? 0) + (layer.activationBytes ?? 0)) * actFactor;
    void wOwn;

    // Boundary transfers between accelerator and CPU.
    if (prevUnit && prevUnit !== place.unit && acc) {
      boundaries++;
      const bytes = layer.inputBytes ?? prevOutBytes;
      const t = link ? (bytes / link) * 1000 : PRIORS.partitionSyncUs.value / 1000 + (acc.memBandwidth ? (bytes / acc.memBandwidth) * 1000 : 0);
      transferMs += t;
      total += t;
      byBottleneck.set('transfer', (byBottleneck.get('transfer') ?? 0) + t);
    }
    prevUnit = place.unit;
    prevOutBytes = layer.activationBytes ?? 0;

    const macs = layer.macs;
    const flops = layer.flops;
    if (macs === null && flops === null) unknownLayers++;
    const ops = 2 * (macs ?? 0) + (flops ?? 0);
    const dense = unit.dense[p === 'int4' ? 'fp16' : p] ?? unit.dense.fp32 ?? unit.dense.int8 ?? unit.dense.fp16;
    const thr = (dense ?? 1e9) * opClassFactor(layer, unit.spec.type);
    const computeMs = ops > 0 ? (ops / thr) * 1000 : 0;

    let memoryMs = 0;
    if (unit.kind === 'accelerator' && accSpec?.opSupport === 'edgetpu') {
      // Parameters live in the on-chip cache until it is full; the rest streams from the host every inference.
      const room = Math.max(0, (cache ?? 0) - cachedSoFar);
      const cached = Math.min(room, weightBytes);
      cachedSoFar += cached;
      const streamed = weightBytes - cached;
      streamedTotal += streamed;
      if (streamed > 0 && stream) memoryMs = (streamed / Math.min(stream * memoryScale, link ?? Infinity)) * 1000; // never faster than the USB link
    } else if (!isMcu && unit.memBandwidth) {
      memoryMs = ((weightBytes + ioBytes) / ((unit.memEff ?? memEff) * unit.memBandwidth)) * 1000;
    }
    const dispatches = !(FUSED_CLASSES.has(layer.opClass) || (FREE_CLASSES.has(layer.opClass) && ops === 0));
    const overheadMs = dispatches ? unit.perOpS * 1000 : 0;
    const ms = Math.max(computeMs, memoryMs) + overheadMs;
    let b: Bottleneck = computeMs >= memoryMs ? 'compute' : 'memory';
    if (overheadMs > Math.max(computeMs, memoryMs)) b = 'overhead';
    if (acc && unit.kind === 'cpu') b = 'fallback';
    byBottleneck.set(b, (byBottleneck.get(b) ?? 0) + ms);
    total += ms;
    out.push({ name: layer.name, op: layer.op, unit: unit.kind, ms, bottleneck: b });
  });

  // Fixed per-inference overhead and accelerator I/O.
  const fixedKey = device.kind === 'usb-accelerator' && device.host ? 'usb-accelerator' : acc ? acc.spec.type : cpu.spec.type;
  const fixedMs = (PRIORS.fixedOverheadMs[fixedKey] ?? 0) * overheadScale;
  total += fixedMs;
  if (fixedMs > 0) byBottleneck.set('overhead', (byBottleneck.get('overhead') ?? 0) + fixedMs);
  if (acc && link && placement.some((p) => p.unit === 'accelerator')) {
    const ioBytes = profile.inputs.reduce((s, x) => s + ioSize(x.shape, 1), 0) + profile.outputs.reduce((s, x) => s + ioSize(x.shape, 1), 0);
    const t = (ioBytes / link) * 1000;
    total += t;
    byBottleneck.set('transfer', (byBottleneck.get('transfer') ?? 0) + t);
    assumptions.push(`Input/output over ${accSpec!.link!.name}: ${fmtBytes(ioBytes)} at ${(link / 1e9).toFixed(2)} GB/s, plus ${fixedMs.toFixed(2)} ms fixed per-inference overhead.`);
  }
  if (boundaries > 0) assumptions.push(`${boundaries} accelerator/CPU partition boundar${boundaries === 1 ? 'y' : 'ies'} add ${transferMs.toFixed(2)} ms of transfers.`);
  if (accSpec?.opSupport === 'edgetpu' && cache && placement.some((pl) => pl.unit === 'accelerator')) {
    assumptions.push(streamedTotal > 0
      ? `Edge TPU parameters: ${fmtBytes(cachedSoFar)} cached on chip, ${fmtBytes(streamedTotal)} streamed from the host each inference at ${(Math.min((stream ?? 0) * memoryScale, link ?? Infinity) / 1e9).toFixed(2)} GB/s (the cache holds about ${fmtBytes(cache)}).`
      : `Edge TPU parameters fit the ~${fmtBytes(cache)} on-chip cache (${fmtBytes(cachedSoFar)}); nothing is streamed per inference.`);
  }
  let bottleneck: Bottleneck = 'compute';
  let best = -1;
  for (const [b, t] of byBottleneck) if (t > best) [bottleneck, best] = [b, t];
  return { totalMs: total, layers: out, bottleneck, unknownLayers };
}

function ioSize(shape: (number | string)[] | null, bytesPerElem: number): number {
  if (!shape) return 0;
  let n = 1;
  for (const d of shape) n *= typeof d === 'number' ? d : 1;
  return n * bytesPerElem;
}

function rangeAround(typical: number, cal: DeviceCalibration | undefined, assumptions: string[]): Range {
  const r = cal?.range ?? PRIORS.uncalibratedRange;
  void assumptions;
  return { low: typical * r.low, typical, high: typical * r.high };
}

// ---------------------------------------------------------------------------------------------
// Memory

function estimateMemory(profile: ModelProfile, device: DeviceSpec, host: DeviceSpec | null, precision: ComputePrecision, opts: EstimateOptions, assumptions: string[]): MemoryEstimate {
  const override = opts.precision;
  let weightsBytes: number;
  if (!override) weightsBytes = profile.weightBytes;
  else if (profile.hasComputeGraph && profile.layers.length) {
    const counted = profile.layers.reduce((s, l) => s + l.params, 0);
    // Params not attached to a layer (shared constants) keep their stored size scaled by the same factor.
    const rest = Math.max(0, profile.params - counted);
    weightsBytes = (counted + rest) * BYTES[override];
  } else weightsBytes = profile.params * BYTES[override];

  let activationBytes = profile.peakActivationBytes ?? 0;
  if (override && profile.peakActivationBytes !== null) {
    const own = modelPrecision(profile);
    activationBytes = profile.peakActivationBytes * bytesFactor(own, override === 'int4' ? 'fp16' : override);
  }
  if (profile.peakActivationBytes === null) assumptions.push('Peak activation memory is unknown (no graph or unknown shapes); it is counted as 0, so the memory total is a lower bound.');

  const kindKey = device.kind;
  const runtimeOverheadBytes = PRIORS.runtimeMemoryBytes[kindKey] ?? 0;
  const isMcu = device.kind === 'mcu';
  const ramOwner = device.host ? host! : device;
  const limit = toBase(ramOwner.memory.ram, 'bytes');
  let totalBytes: number;
  let flash: MemoryEstimate['flash'];
  if (isMcu) {
    // Weights stay in flash; SRAM holds the tensor arena (peak activations) and the runtime's data.
    totalBytes = activationBytes + runtimeOverheadBytes;
    const flashLimit = toBase(device.memory.flash, 'bytes');
    const needed = weightsBytes + PRIORS.mcuCodeFlashBytes.value;
    flash = { neededBytes: needed, limitBytes: flashLimit, fits: flashLimit === null ? null : needed <= flashLimit };
    assumptions.push(`MCU memory: weights (${fmtBytes(weightsBytes)}) + runtime code (${fmtBytes(PRIORS.mcuCodeFlashBytes.value)}) in flash; tensor arena (peak activations ${fmtBytes(activationBytes)}) + ${fmtBytes(runtimeOverheadBytes)} runtime data in SRAM; the arena planner may need some slack beyond the liveness peak.`);
  } else {
    totalBytes = weightsBytes + activationBytes + runtimeOverheadBytes;
  }
  const marginBytes = limit === null ? null : limit - totalBytes;
  let fits: boolean | null = limit === null ? null : totalBytes <= limit;
  if (flash && flash.fits === false) fits = false;
  if (limit === null) assumptions.push(`The catalog sources give no RAM size for ${ramOwner.name}: memory fit is not decided.`);
  if (device.kind === 'gpu-soc') assumptions.push('Jetson memory is shared by the OS, the CPU and the GPU: the OS and desktop take part of the 8 GB.');

  const mem: MemoryEstimate = { weightsBytes, activationBytes, runtimeOverheadBytes, totalBytes, limitBytes: limit, fits, marginBytes };
  if (flash) mem.flash = flash;
  const budgetMb = opts.budgets?.memoryMb;
  if (budgetMb !== undefined) {
    const lim = budgetMb * 1024 * 1024;
    const used = isMcu ? totalBytes : totalBytes;
    mem.budget = { limitBytes: lim, fits: used <= lim, marginBytes: lim - used };
  }
  const accSpec = device.accelerator;
  if (accSpec?.onChipParamCache) {
    const cap = toBase(accSpec.onChipParamCache, 'bytes')!;
    const cached = Math.min(cap, weightsBytes);
    mem.onChipCache = { capacityBytes: cap, cachedBytes: cached, streamedBytes: Math.max(0, weightsBytes - cap) };
  }
  return mem;
}

// ---------------------------------------------------------------------------------------------
// Power, energy, battery

function powerRange(device: DeviceSpec, host: DeviceSpec | null, placement: LayerPlacement[], assumptions: string[]): Range | null {
  const w = (n: DeviceSpec['power']['idle']) => toBase(n, 'power');
  if (host) {
    // Plug-in accelerator: the host idles while the accelerator works, and computes what falls back.
    const hIdle = w(host.power.idle);
    const hTyp = w(host.power.typical);
    const hMax = w(host.power.max);
    const accMax = w(device.power.max) ?? 0;
    if (hIdle === null) return null;
    const cpuShare = placement.length ? placement.filter((p) => p.unit === 'cpu').length / Math.max(1, placement.filter((p) => p.unit !== 'skip').length) : 0;
    const hostLoad = hTyp ?? loadFromSibling(host, hIdle)?.watts ?? hMax ?? hIdle;
    const typical = hIdle + accMax * (1 - cpuShare) + (hostLoad - hIdle) * cpuShare;
    assumptions.push(`Power = ${host.name} at idle (${hIdle.toFixed(2)} W, bare-board figure) + Edge TPU up to ${accMax} W while it computes${cpuShare > 0 ? ` + host CPU load for the ${(cpuShare * 100).toFixed(0)}% of ops that fall back` : ''}; the low end assumes the TPU draws little, the high end the host under load.`);
    return { low: hIdle, typical, high: Math.max(typical, hostLoad + accMax) };
  }
  const idle = w(device.power.idle);
  const typ = w(device.power.typical);
  const max = w(device.power.max);
  if (idle === null && typ === null && max === null) return null;
  // No measured load figure: scale the idle figure by the load/idle ratio measured on a device of the same
  // kind (Pi 5 from Pi 4), never interpolate towards a power-supply rating.
  const sibling = typ === null && idle !== null ? loadFromSibling(device, idle) : null;
  const typical = typ ?? sibling?.watts ?? idle ?? max!;
  if (typ === null && idle === null && device.accelerator) {
    assumptions.push(`Only the accelerator's own power is known for ${device.name} (the board's is not in the catalog sources): power and energy are lower bounds.`);
  } else if (typ === null) {
    assumptions.push(
      sibling
        ? `No measured power under load for ${device.name}: typical power is its idle figure × ${sibling.ratio.toFixed(2)}, the load/idle ratio measured on ${sibling.from}; the range spans idle to ${max !== null ? 'the maximum rating' : 'that figure'}.`
        : `No measured power under load for ${device.name}: typical power is ${idle !== null ? 'its idle figure (a lower bound)' : 'its maximum rating (an upper bound)'}.`,
    );
  }
  return { low: Math.min(idle ?? typical, typical), typical, high: Math.max(max ?? typical, typical) };
}

/** Load power from idle × the load/idle ratio of a catalog device of the same kind that has both figures. */
function loadFromSibling(device: DeviceSpec, idle: number): { watts: number; ratio: number; from: string } | null {
  for (const d of loadCatalog().devices) {
    if (d.id === device.id || d.kind !== device.kind) continue;
    const i = toBase(d.power.idle, 'power');
    const t = toBase(d.power.typical, 'power');
    if (i && t && t > i) return { watts: idle * (t / i), ratio: t / i, from: d.name };
  }
  return null;
}

function batteryLife(battery: { capacityWh: number; inferencesPerHour: number }, energyMj: Range | null, latency: Range, device: DeviceSpec, host: DeviceSpec | null, assumptions: string[]): number | null {
  if (!energyMj || !Number.isFinite(latency.typical)) return null;
  const busyS = (battery.inferencesPerHour * latency.typical) / 1000;
  const idleW = toBase((host ?? device).power.idle, 'power');
  const activeJ = (battery.inferencesPerHour * energyMj.typical) / 1000;
  let perHourJ: number;
  if (busyS >= 3600) {
    perHourJ = activeJ * (3600 / busyS);
    assumptions.push(`At ${battery.inferencesPerHour} inferences/hour the device never idles (needs ${busyS.toFixed(0)} s of compute per hour): battery life assumes continuous inference.`);
  } else {
    perHourJ = activeJ + (idleW ?? 0) * (3600 - busyS);
    if (idleW === null) assumptions.push('Idle/sleep power is unknown: battery life counts inference energy only and is an upper bound.');
  }
  return perHourJ > 0 ? (battery.capacityWh * 3600) / perHourJ : null;
}

function fmtBytes(b: number): string {
  if (b >= 1024 ** 3) return `${(b / 1024 ** 3).toFixed(2)} GiB`;
  if (b >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(2)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b} B`;
}
