/**
 * Latency / memory / power / energy / compatibility of a model profile on one catalog device: the estimator's
 * entry point, which wires its parts in order:
 *   inputs.ts (the request) → compatibility.ts (where each layer runs) → throughput.ts (the units, scaled by the
 *   fitted factors) → memory.ts → latency.ts (per-layer roofline), or a per-token decode time for a weights-only
 *   LLM (llm.ts) → power.ts → explain.ts (the assumptions in words) → measurements.ts (the user's corrections).
 * The priors (estimator-priors.json) are scaled by the per-device factors fitted by
 * scripts/calibration/calibrate.ts (calibration.json). Ranges come from the calibration residuals (or a wide
 * default when a device has no published points). No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import { applyCorrection } from './measurements';
import type { Bottleneck, ComputePrecision, DeviceEstimate, LayerEstimate, Range } from '../types';
import { loadCatalog, loadCalibration, loadPriors, defaultRuntime, type DeviceSpec, type DeviceCalibration, type BySourceCheck, type RuntimeRange, type TrainingSpan } from '../catalog';
import { sizeScalingGap, sizeScalingOff, type SpanCheck } from '../catalog/calibration';
import { canonicalOp, checkCompatibility, type CompatibilityResult } from './compatibility';
import { deployGraph, summarizeDeployed, toolchainForRuntime, type DeployedGraph } from './deployed-graph';
import { defaultPrecision, modelPrecision, computedAs } from './precision';
import { languageModelTest } from './llm';
import { acceleratorUnit, applyCpuThreads, cpuUnit, usesStandIn, type CpuThreads, type Unit } from './throughput';
import { estimateLatency } from './latency';
import { estimateMemory } from './memory';
import { batteryLife, energyRange, powerRange } from './power';
import { checkInputs, EstimateInputError, type EstimateOptions } from './inputs';
import type { EstimateNote, NoLatencyCause } from './reasons';
import { explainNote, noLatencyWhy, UNCALIBRATED_NOTE } from './explain';

export { EstimateInputError, cpuThreadsFor, hasApplicationCpu, type EstimateOptions } from './inputs';

/** The fitted factors that apply to one estimate (1 where the device has no calibration). */
interface Factors {
  cal: DeviceCalibration | undefined;
  runtime: string;
  runtimeFactor: number;
  /** The precision the precision factor was looked up for. */
  precision: ComputePrecision | undefined;
  precisionFactor: number;
  /** The precision factor where it divides the accelerator layers' whole time (an NPU), else 1. */
  acceleratorPrecisionFactor: number;
  /** The compute scale includes the precision factor except on an NPU (acceleratorPrecisionFactor there): off an NPU it is about arithmetic, so it scales the compute rate only. */
  computeScale: number;
  memoryScale: number;
  overheadScale: number;
}

/** Everything one estimate works from, resolved once. */
interface EstimateContext {
  profile: ModelProfile;
  /** The graph the device runs: the profile with its layers replaced by the deployed graph's (deployed-graph.ts). */
  run: ModelProfile;
  deployed: DeployedGraph | null;
  device: DeviceSpec;
  host: DeviceSpec | null;
  opts: EstimateOptions;
  factors: Factors;
  precision: ComputePrecision;
  compat: CompatibilityResult;
  acc: Unit | null;
  cpu: Unit;
  /** The runtime's CPU threads when the request gives them (the CPU's compute rate is scaled to them). */
  cpuThreads: CpuThreads | null;
  /** Ops that fall back to a plug-in accelerator's host run at the host's own calibrated runtime factor. */
  cpuRuntimeFactor: number;
  memoryEfficiency: number;
}

/** The latency part of an estimate. */
interface LatencyPart {
  latency: Range;
  basis: NonNullable<DeviceEstimate['latencyBasis']>;
  bottleneck: Bottleneck;
  layers: LayerEstimate[];
}

/** No figure: NaN, printed as null. */
const unknownRange = (): Range => ({ low: NaN, typical: NaN, high: NaN });

function calibrationFor(deviceId: string): DeviceCalibration | undefined {
  return loadCalibration().devices[deviceId];
}

export function estimateDevice(profile: ModelProfile, deviceId: string, opts: EstimateOptions = {}): DeviceEstimate {
  return estimateDeviceDetailed(profile, deviceId, opts).estimate;
}

/** The estimate and the structured compatibility it rests on (for the recommender, which reasons over it). */
export function estimateDeviceDetailed(profile: ModelProfile, deviceId: string, opts: EstimateOptions = {}): { estimate: DeviceEstimate; compatibility: CompatibilityResult } {
  const r = estimateWith(profile, deviceId, opts, calibrationFor(deviceId) ?? null);
  const correction = opts.corrections?.get(deviceId);
  if (!correction || !Number.isFinite(r.estimate.latencyMs.typical)) return r;
  const measured = opts.measuredModel !== undefined ? { modelFile: opts.measuredModel, ...(opts.cpuThreads !== undefined ? { cpuThreads: opts.cpuThreads } : {}) } : undefined;
  return { ...r, estimate: applyCorrection(r.estimate, correction, defaultRuntime(loadCatalog().byId(deviceId)!), measured) };
}

/**
 * The estimate under explicit calibration factors (null = the uncalibrated priors). scripts/calibration/calibrate.ts
 * uses it to fit the factors; everything else calls estimateDevice, which reads calibration.json. A device hosted by
 * another (a USB accelerator on a board) runs its CPU layers with the host's factors: `hostCalibration` gives them
 * (the calibration passes the host's fit from the same run, so its output never depends on the committed file);
 * left out, they are read from calibration.json.
 */
export function estimateDeviceWith(profile: ModelProfile, deviceId: string, opts: EstimateOptions, calibration: DeviceCalibration | null, hostCalibration?: DeviceCalibration | null): DeviceEstimate {
  return estimateWith(profile, deviceId, opts, calibration, hostCalibration).estimate;
}

function factorsOf(profile: ModelProfile, device: DeviceSpec, opts: EstimateOptions, cal: DeviceCalibration | undefined): Factors {
  const runtime = opts.runtime ?? defaultRuntime(device);
  const precision = opts.precision ?? (profile.hasComputeGraph ? modelPrecision(profile) : undefined);
  const precisionFactor = (precision && cal?.precisionFactors?.[precision]) || 1;
  // On an NPU a layer's time beyond its arithmetic is mostly moving its tensors through on-chip memory, which scales
  // with the element width as the arithmetic does: the precision factor divides the NPU layers' whole time there
  // (docs/calibration-candidates/2026-12-04-npu-precision-whole-time.md); elsewhere it scales the compute rate.
  const wholeTime = device.accelerator?.type === 'npu';
  // The runtime factor divides the whole graph time (kernels, memory traffic and dispatch alike): runtimes differ
  // in kernel quality and in per-op host overhead, and a factor on compute alone is lost where compute is already
  // at the catalog peak.
  return {
    cal,
    runtime,
    // A runtime without published points on the device: the factor transferred from devices of its unit type
    // where it was measured, else the prior 1 (the device's fitted average).
    runtimeFactor: cal?.runtimeFactors[runtime] ?? cal?.transferredRuntimeFactors?.[runtime]?.factor ?? 1,
    precision,
    precisionFactor,
    acceleratorPrecisionFactor: wholeTime ? precisionFactor : 1,
    computeScale: (cal?.computeScale ?? 1) * (wholeTime ? 1 : precisionFactor),
    memoryScale: cal?.memoryScale ?? 1,
    overheadScale: cal?.overheadScale ?? 1,
  };
}

/** Deployed graphs per profile object and toolchain: a plan estimates one profile on many devices and candidates. */
const deployedCache = new WeakMap<ModelProfile, Map<string, DeployedGraph | null>>();

/** The graph the runtime's toolchain would run (none for a file without a compute graph). */
function deployedFor(profile: ModelProfile, runtime: string): DeployedGraph | null {
  if (!profile.hasComputeGraph || !profile.layers.length) return null;
  const toolchain = toolchainForRuntime(runtime);
  let perToolchain = deployedCache.get(profile);
  if (!perToolchain) deployedCache.set(profile, (perToolchain = new Map()));
  if (!perToolchain.has(toolchain)) {
    const g = deployGraph(profile, { toolchain, canonical: (l) => canonicalOp(l, profile.format) });
    perToolchain.set(toolchain, g.hasDataflow ? g : null);
  }
  return perToolchain.get(toolchain)!;
}

/**
 * The profile a device runs and where its layers go, per deployed graph (or profile) object, device, precision
 * override (the host CPU follows from the device): neither depends on the calibration factors, and a plan (or the calibration script's grid
 * search, thousands of factor sets on one graph) estimates the same graph many times.
 */
const placementCache = new WeakMap<object, { run: ModelProfile; compat: Map<DeviceSpec, Map<string, CompatibilityResult>> }>();

function placementOf(profile: ModelProfile, deployed: DeployedGraph | null, device: DeviceSpec, override: ComputePrecision | undefined, hostCpuName: string | undefined): { run: ModelProfile; compat: CompatibilityResult } {
  const owner = deployed ?? profile;
  let cached = placementCache.get(owner);
  if (!cached) placementCache.set(owner, (cached = { run: deployed ? { ...profile, layers: deployed.layers } : profile, compat: new Map() }));
  let perDevice = cached.compat.get(device);
  if (!perDevice) cached.compat.set(device, (perDevice = new Map()));
  // The host CPU is the device's own (device.host), so the device and the precision decide the placement.
  const key = override ?? '';
  let compat = perDevice.get(key);
  if (!compat) perDevice.set(key, (compat = checkCompatibility(cached.run, device, override, hostCpuName)));
  return { run: cached.run, compat };
}

/**
 * The calibration of the CPU an accelerator device's fallback layers run on: a hosted device's host (the one given,
 * else calibration.json's), or the device's own entry.
 */
function fallbackCpuCalibration(device: DeviceSpec, host: DeviceSpec | null, hostCalibration: DeviceCalibration | null | undefined): DeviceCalibration | undefined {
  if (host && hostCalibration !== undefined) return hostCalibration ?? undefined;
  return calibrationFor(host?.id ?? device.id);
}

function contextOf(profile: ModelProfile, device: DeviceSpec, opts: EstimateOptions, calibration: DeviceCalibration | null, hostCalibration: DeviceCalibration | null | undefined): EstimateContext {
  const host = device.host ? loadCatalog().byId(device.host.deviceId)! : null;
  const factors = factorsOf(profile, device, opts, calibration ?? undefined);
  const deployed = deployedFor(profile, factors.runtime);
  const { run, compat } = placementOf(profile, deployed, device, opts.precision, host?.cpu?.name);
  const acc = device.accelerator ? acceleratorUnit(device, device.accelerator, factors.computeScale, factors.overheadScale) : null;
  // The CPU carries the calibration only on CPU-only devices; fallback CPUs keep their own device's calibration.
  const cpuCal = device.accelerator ? fallbackCpuCalibration(device, host, hostCalibration) : undefined;
  const cpu = cpuUnit(device, device.accelerator ? (device.cpu ? 1 : cpuCal?.computeScale ?? 1) : factors.computeScale);
  if (!device.accelerator) cpu.perOpS *= factors.overheadScale;
  else if (host && cpuCal) {
    cpu.perOpS *= cpuCal.overheadScale ?? 1;
    cpu.memEff = loadPriors().memoryEfficiency.value * (cpuCal.memoryScale ?? 1);
  }
  const cpuThreads = applyCpuThreads(cpu, opts.cpuThreads);
  return {
    profile,
    run,
    deployed,
    device,
    host,
    opts,
    factors,
    precision: opts.precision ?? defaultPrecision(profile, device),
    compat,
    acc,
    cpu,
    cpuThreads,
    // On other devices one runtime factor covers the graph.
    cpuRuntimeFactor: host && cpuCal ? cpuCal.runtimeFactors[defaultRuntime(host)] ?? 1 : factors.runtimeFactor,
    memoryEfficiency: loadPriors().memoryEfficiency.value * factors.memoryScale,
  };
}

/** A device without published points: the fitted widest range (calibration.json), else the research prior. */
const uncalibratedRange = (): { low: number; high: number } => loadCalibration().uncalibratedRange ?? loadPriors().uncalibratedRange;

/**
 * The range a calibrated estimate gets: the runtime's own (`own`) where it has published points on the device (rules
 * v6, v8; calibration.json runtimeRanges), else the device's.
 */
function calibratedRange(cal: DeviceCalibration, runtime: string): { low: number; high: number; basis: string | null; own: RuntimeRange | null } {
  const own = cal.runtimeRanges?.[runtime] ?? null;
  return own ? { low: own.low, high: own.high, basis: own.basis, own } : { low: cal.range.low, high: cal.range.high, basis: cal.rangeBasis ?? null, own };
}

/**
 * The by-source check an estimate quotes: its runtime's own points against its runtime's own range where the runtime
 * has one and the device has publications to leave out, else the device's.
 */
function bySourceFor(cal: DeviceCalibration, own: RuntimeRange | null, runtime: string): BySourceCheck | null {
  const b = own?.bySource;
  if (!cal.bySource || !b || cal.bySource.sources < 2 || b.points === 0) return cal.bySource ?? null;
  return { sources: cal.bySource.sources, points: b.points, medianAbsLogError: b.medianAbsLogError, coverage: b.coverage, runtime };
}

function rangeAround(typical: number, factors: Factors): Range {
  const r = factors.cal ? calibratedRange(factors.cal, factors.runtime) : uncalibratedRange();
  return { low: typical * r.low, typical, high: typical * r.high };
}

const notRunnable = (ctx: EstimateContext): boolean => ctx.compat.cannotRun && (ctx.profile.compiledSegments.length > 0 || !ctx.profile.hasComputeGraph);

/** No compute graph: an LLM's decode time per token is the weights read once over the memory bus; anything else has no figure. */
function weightsOnlyLatency(ctx: EstimateContext, weightsBytes: number, notes: EstimateNote[]): LatencyPart {
  const bw = ctx.acc?.memBandwidth ?? ctx.cpu.memBandwidth;
  const lm = languageModelTest(ctx.profile);
  if (lm.llm && !notRunnable(ctx) && bw && weightsBytes > 0) {
    const t = (weightsBytes / (ctx.memoryEfficiency * bw)) * 1000;
    notes.push({ kind: 'per-token', weightsBytes, memoryEfficiency: ctx.memoryEfficiency, bandwidth: bw });
    return { latency: rangeAround(t, ctx.factors), basis: 'per-token', bottleneck: 'memory', layers: [] };
  }
  const cause: NoLatencyCause = !lm.llm
    ? { kind: 'not-an-llm', why: lm.reason }
    : notRunnable(ctx)
      ? { kind: 'not-runnable', finding: ctx.compat.finding }
      : weightsBytes <= 0
        ? { kind: 'no-weights' }
        : { kind: 'no-bandwidth', deviceName: ctx.device.name };
  notes.push({ kind: 'no-latency', cause });
  return { latency: unknownRange(), basis: 'unknown', bottleneck: 'compute', layers: [] };
}

/** A graph model: the per-layer roofline, divided by the runtime factors, widened where costs are unknown. */
function graphLatency(ctx: EstimateContext, notes: EstimateNote[]): LatencyPart {
  const { profile, factors } = ctx;
  const r = estimateLatency({ profile: ctx.run, device: ctx.device, placement: ctx.compat.layers, acc: ctx.acc, cpu: ctx.cpu, memoryEfficiency: ctx.memoryEfficiency, memoryScale: factors.memoryScale, overheadScale: factors.overheadScale, precisionOverride: ctx.opts.precision, classScales: factors.cal?.classScales });
  notes.push(...r.notes);
  const accFactor = factors.runtimeFactor * factors.acceleratorPrecisionFactor;
  const layers = r.layers.map((l) => ({ ...l, ms: l.ms / (l.unit === 'cpu' ? ctx.cpuRuntimeFactor : accFactor) }));
  const rawLayerMs = r.layers.reduce((a, l) => a + l.ms, 0);
  const layerMs = layers.reduce((a, l) => a + l.ms, 0);
  // Fixed overhead and transfers belong to the accelerator runtime.
  const latency = rangeAround(layerMs + (r.totalMs - rawLayerMs) / accFactor, factors);
  let basis: LatencyPart['basis'] = 'per-inference';
  if (r.unknownLayers > 0) {
    latency.high = latency.high * 1.5;
    basis = 'lower-bound';
    notes.push({ kind: 'unknown-layer-costs', layers: r.unknownLayers });
  }
  // Bodies whose run count the file fixes are already counted in their loop's layer.
  const bodies = (profile.subgraphCosts ?? []).filter((c) => c.runs === undefined && (c.macs === null || c.macs > 0 || c.flops === null || c.flops > 0));
  if (bodies.length) {
    basis = 'lower-bound';
    notes.push({ kind: 'control-flow-bodies', bodies: bodies.length, example: bodies[0].owner });
  }
  if (profile.macsLowerBoundReason) {
    basis = 'lower-bound';
    notes.push({ kind: 'uncosted-layers', reason: profile.macsLowerBoundReason });
  }
  if (ctx.cpuThreads && layers.some((l) => l.unit === 'cpu')) notes.push({ kind: 'cpu-threads', unitName: ctx.cpu.spec.name, ...ctx.cpuThreads });
  if (layers.some((l) => l.unit === 'cpu') && usesStandIn(ctx.cpu)) {
    basis = 'lower-bound';
    notes.push({ kind: 'cpu-stand-in' });
  }
  return { latency, basis, bottleneck: r.bottleneck, layers };
}

function latencyOf(ctx: EstimateContext, weightsBytes: number, notes: EstimateNote[]): LatencyPart {
  if (!ctx.profile.hasComputeGraph) return weightsOnlyLatency(ctx, weightsBytes, notes);
  if (notRunnable(ctx)) {
    notes.push({ kind: 'no-latency', cause: { kind: 'not-runnable', finding: ctx.compat.finding } });
    return { latency: unknownRange(), basis: 'unknown', bottleneck: 'compute', layers: [] };
  }
  return graphLatency(ctx, notes);
}

/** The closing assumptions: precision and runtime, each unit's throughput basis, the host, the calibration, bindings. */
function contextNotes(ctx: EstimateContext, lat: LatencyPart, weightsBytes: number): EstimateNote[] {
  const latency = lat.latency;
  const { device, factors, precision } = ctx;
  const notes: EstimateNote[] = [{ kind: 'precision-runtime', precision, requested: !!ctx.opts.precision, runtimeName: device.runtimes.find((r) => r.id === factors.runtime)?.name ?? factors.runtime }];
  for (const u of [ctx.acc, ctx.cpu]) {
    const basis = u?.basis[computedAs(precision)];
    if (u && basis) notes.push({ kind: 'throughput', unit: u.kind, unitName: u.spec.name, basis });
  }
  if (device.host) notes.push({ kind: 'catalog-note', text: device.host.note });
  const cal = factors.cal;
  if (cal) {
    const range = calibratedRange(cal, factors.runtime);
    const outside = outsideTrainingSpan(cal.trainingSpan, device.id, lat, ctx.profile.macs, weightsBytes, loadCalibration().spanCheck ?? null);
    if (outside) notes.push(outside);
    const scaling = sizeScalingNote(cal, device.id);
    if (scaling) notes.push(scaling);
    notes.push({ kind: 'calibrated', points: cal.trainingPoints, sources: cal.sources ?? [], rangeBasis: range.basis, deviceId: device.id, runtime: factors.runtime, runtimeFactor: factors.runtimeFactor, precisionFactor: factors.precisionFactor, precision: factors.precision, range: { low: range.low, high: range.high }, runtimeRange: range.own ? { points: range.own.points } : null, bySource: bySourceFor(cal, range.own, factors.runtime), nestedCheck: cal.nestedCheck ?? null, fewPointsScale: cal.fewPointsScale,
      ...(cal.runtimeEvidence && !cal.runtimeEvidence[factors.runtime] ? { unmeasuredRuntime: { transferred: cal.runtimeFactors[factors.runtime] === undefined ? cal.transferredRuntimeFactors?.[factors.runtime] ?? null : null, check: loadCalibration().unmeasuredRuntimeCheck ?? null } } : {}) });
  }
  else notes.push({ kind: 'uncalibrated', deviceId: device.id, range: uncalibratedRange() });
  if (Number.isFinite(latency.typical)) notes.push({ kind: 'pure-inference', deviceId: device.id, pipelines: pipelinesOf(cal, factors.runtime) });
  if (ctx.profile.dynamicShapes?.hasDynamic) notes.push({ kind: 'bindings', bindings: ctx.profile.dynamicShapes.bindings });
  if (ctx.deployed) notes.push({ kind: 'deployed-graph', summary: summarizeDeployed(ctx.deployed, ctx.opts.precision === 'int8') });
  return notes;
}

/**
 * The model against the sizes of the networks the device's calibration measured (calibration.json trainingSpan):
 * a graph model by its MACs, an LLM's decode by the weight bytes read per token. Null inside the span, without a
 * latency, or without a size to compare.
 */
export function outsideTrainingSpan(span: TrainingSpan | undefined, deviceId: string, lat: Pick<LatencyPart, 'basis'>, macs: number | null, weightsBytes: number, check: SpanCheck | null = null): Extract<EstimateNote, { kind: 'outside-training-span' }> | null {
  if (lat.basis === 'unknown') return null;
  if (!span) return null;
  if (lat.basis === 'per-token') {
    const d = span.decode;
    if (!(weightsBytes > 0)) return null;
    // No LLM decode among the device's points: the per-token time rests on the prior memory efficiency.
    if (!d) return span.graph ? { kind: 'outside-training-span', deviceId, measure: 'weight-bytes', side: 'none', value: weightsBytes, bound: 0, network: null, points: span.graph.points, check } : null;
    const side = weightsBytes > d.maxWeightBytes ? 'above' : weightsBytes < d.minWeightBytes ? 'below' : null;
    return side && { kind: 'outside-training-span', deviceId, measure: 'weight-bytes', side, value: weightsBytes, bound: side === 'above' ? d.maxWeightBytes : d.minWeightBytes, network: null, points: d.points, check };
  }
  const g = span.graph;
  if (macs === null || !(macs >= 0)) return null;
  if (!g) return span.decode ? { kind: 'outside-training-span', deviceId, measure: 'macs', side: 'none', value: macs, bound: 0, network: null, points: span.decode.points, check } : null;
  const side = macs > g.maxMacs ? 'above' : macs < g.minMacs ? 'below' : null;
  return side && { kind: 'outside-training-span', deviceId, measure: 'macs', side, value: macs, bound: side === 'above' ? g.maxMacs : g.minMacs, network: side === 'above' ? g.largest : g.smallest, points: g.points, check };
}

/**
 * The device's input-size pairs (calibration.json sizeScaling) whose measured growth the estimate missed by more than
 * SIZE_SCALING_OFF, worst first (at most two): a network published at two sizes on this device grew differently from
 * the estimate, so an estimate at another input size can be off by about that much. Null when none is.
 */
export function sizeScalingNote(cal: DeviceCalibration, deviceId: string): Extract<EstimateNote, { kind: 'size-scaling' }> | null {
  const off = (cal.sizeScaling ?? []).filter(sizeScalingOff);
  if (!off.length) return null;
  return { kind: 'size-scaling', deviceId, pairs: off.sort((a, b) => sizeScalingGap(b) - sizeScalingGap(a)).slice(0, 2) };
}

function outsideSpanOf(notes: EstimateNote[]): { outsideSpan?: { side: 'above' | 'below' | 'none'; sentence: string } } {
  const n = notes.find((x): x is Extract<EstimateNote, { kind: 'outside-training-span' }> => x.kind === 'outside-training-span');
  return n ? { outsideSpan: { side: n.side, sentence: explainNote(n) } } : {};
}

/** The fitted fixed times of end-to-end pipelines on this device, the runtime's own first. */
function pipelinesOf(cal: DeviceCalibration | undefined, runtime: string): { ms: number; measures: string; runtimes: string[]; points: number }[] {
  return Object.values(cal?.pipelineOverheadMs ?? {})
    .filter((p) => p.ms > 0)
    .sort((a, b) => Number(b.runtimes.includes(runtime)) - Number(a.runtimes.includes(runtime)));
}

function estimateWith(profile: ModelProfile, deviceId: string, opts: EstimateOptions, calibration: DeviceCalibration | null, hostCalibration?: DeviceCalibration | null): { estimate: DeviceEstimate; compatibility: CompatibilityResult } {
  const device = checkInputs(deviceId, opts);
  if (!profile || !Array.isArray(profile.layers)) throw new EstimateInputError('the model profile is missing its layers (pass an analyzeFile result .model)');
  const ctx = contextOf(profile, device, opts, calibration, hostCalibration);
  const notes: EstimateNote[] = [];

  // Memory first: it does not depend on the latency model.
  const mem = estimateMemory({ profile, device, host: ctx.host, precisionOverride: opts.precision, budgets: opts.budgets });
  notes.push(...mem.notes);
  const lat = latencyOf(ctx, mem.memory.weightsBytes, notes);

  const powerW = powerRange(device, ctx.host, ctx.run, ctx.compat.layers, notes, ctx.factors.cal?.power);
  const energyMj = energyRange(powerW, lat.latency);
  if (!powerW) notes.push({ kind: 'no-power', deviceName: device.name });
  const inferencesPerWh = energyMj && energyMj.typical > 0 ? 3.6e6 / energyMj.typical : null;
  const batteryLifeHours = opts.battery ? batteryLife(opts.battery, energyMj, lat.latency, ctx.host ?? device, notes) : undefined;
  notes.push(...contextNotes(ctx, lat, mem.memory.weightsBytes));

  const cal = ctx.factors.cal;
  const noLatency = notes.find((n): n is Extract<EstimateNote, { kind: 'no-latency' }> => n.kind === 'no-latency');
  const estimate: DeviceEstimate = {
    device: device.id,
    deviceName: device.name,
    precision: ctx.precision,
    runtime: ctx.factors.runtime,
    latencyMs: lat.latency,
    latencyBasis: lat.basis,
    ...(noLatency ? { latencyUnknownReason: noLatencyWhy(noLatency.cause) } : {}),
    bottleneck: lat.bottleneck,
    layers: lat.layers,
    memory: mem.memory,
    powerW,
    energyMj,
    inferencesPerWh,
    ...(opts.battery ? { batteryLifeHours } : {}),
    compatibility: ctx.compat.report,
    ...(ctx.deployed ? { deployedGraph: summarizeDeployed(ctx.deployed, ctx.opts.precision === 'int8') } : {}),
    assumptions: notes.map(explainNote),
    calibration: cal ? { points: cal.trainingPoints, sources: cal.sources ?? [], medianAbsLogError: cal.heldOutMedianAbsLogError, note: cal.note, ...outsideSpanOf(notes) } : { points: 0, sources: [], medianAbsLogError: null, note: UNCALIBRATED_NOTE },
  };
  return { estimate, compatibility: ctx.compat };
}
