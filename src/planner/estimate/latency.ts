/**
 * Latency of a model whose graph is known: a per-layer roofline on the unit each layer is placed on,
 *   t = max(ops / (throughput x op-class factor), DRAM bytes / (memory efficiency x bandwidth)) + dispatch,
 * DRAM bytes = weights + the unit type's share of the input and output activations (0 on an NPU: on-chip),
 * plus Edge TPU parameter streaming beyond the on-chip cache, transfers at accelerator/CPU partition
 * boundaries, and the fixed per-inference overhead and I/O of an accelerator. Returns numbers and structured
 * notes; explain.ts words them. No `vscode` import.
 */
import type { LayerProfile, ModelProfile } from '../../analyzers/profile-types';
import { loadPriors, toBase, type DeviceSpec, type UnitType } from '../catalog';
import type { Bottleneck, ComputePrecision, LayerEstimate } from '../types';
import type { LayerPlacement } from './compatibility';
import { BYTES, bytesFactor, computePrecisionOf, computedAs } from './precision';
import type { EstimateNote } from './reasons';
import type { Unit } from './throughput';
import { isDeployed } from './deployed-graph';
import { atScalarRate, postprocessNote, publishedRateMs } from './postprocess';

/** Without a deployed graph (a profile saved without dataflow): ops assumed fused into their producer (no dispatch). */
const FUSED_CLASSES = new Set(['activation', 'quantize']);
const FREE_CLASSES = new Set(['data-movement', 'control-flow']);

/** Everything the per-layer roofline needs about the model, the device and the fitted factors. */
export interface LatencyContext {
  profile: ModelProfile;
  device: DeviceSpec;
  /** Where each layer of profile.layers runs, and in which precision. */
  placement: LayerPlacement[];
  acc: Unit | null;
  cpu: Unit;
  /** Achievable fraction of DRAM bandwidth (prior x fitted memory scale). */
  memoryEfficiency: number;
  memoryScale: number;
  overheadScale: number;
  /** The precision the user or recommender asked for (weights and activations are resized to it). */
  precisionOverride: ComputePrecision | undefined;
  /** Fitted op-class scales of the device's main unit (calibration.json). */
  classScales?: { depthwise: number; vector: number };
}

export interface LatencyResult {
  totalMs: number;
  layers: LayerEstimate[];
  bottleneck: Bottleneck;
  unknownLayers: number;
  notes: EstimateNote[];
}

/** The Edge TPU's parameter cache and its links, in base units (null off the Edge TPU). */
interface Links {
  cache: number | null;
  stream: number | null;
  link: number | null;
}

/** Running totals over the layers, in execution order. */
interface Tally {
  total: number;
  byBottleneck: Map<Bottleneck, number>;
  cachedBytes: number;
  streamedBytes: number;
  unknownLayers: number;
  boundaries: number;
  transferMs: number;
  prevUnit: 'accelerator' | 'cpu' | null;
  prevOutBytes: number;
}

const add = (t: Tally, b: Bottleneck, ms: number): void => {
  t.total += ms;
  t.byBottleneck.set(b, (t.byBottleneck.get(b) ?? 0) + ms);
};

/** The op class's efficiency relative to dense layers: the prior, times the fitted scale on the device's main unit. */
function opClassFactor(layer: LayerProfile, unit: Unit, ctx: LatencyContext): number {
  const f = loadPriors().opClassFactors;
  if (f.dense.includes(layer.opClass)) return 1;
  const scales = ctx.classScales;
  const main = unit.kind === 'accelerator' || !ctx.acc;
  if (layer.opClass === 'depthwise-conv') return f.depthwise[unit.spec.type] * (main ? scales?.depthwise ?? 1 : 1);
  return f.vector[unit.spec.type] * (main ? scales?.vector ?? 1 : 1);
}

/** A copy in or out at an accelerator/CPU boundary: over the USB link, or a hand-over in shared memory. */
function boundaryTransferMs(ctx: LatencyContext, links: Links, bytes: number): number {
  const sync = loadPriors().partitionSyncUs.value;
  const acc = ctx.acc!;
  return links.link ? (bytes / links.link) * 1000 : sync / 1000 + (acc.memBandwidth ? (bytes / acc.memBandwidth) * 1000 : 0);
}

/** The effective parameter stream rate: never faster than the USB link. */
const streamRate = (ctx: LatencyContext, links: Links): number => Math.min((links.stream ?? 0) * ctx.memoryScale, links.link ?? Infinity);

/** Memory time of one layer: Edge TPU parameter streaming beyond the cache, else DRAM traffic (none on MCUs). */
function memoryMs(ctx: LatencyContext, links: Links, t: Tally, unit: Unit, weightBytes: number, ioBytes: number): number {
  if (unit.kind === 'accelerator' && ctx.device.accelerator?.opSupport === 'edgetpu') {
    // Parameters live in the on-chip cache until it is full; the rest streams from the host every inference.
    const room = Math.max(0, (links.cache ?? 0) - t.cachedBytes);
    const cached = Math.min(room, weightBytes);
    t.cachedBytes += cached;
    const streamed = weightBytes - cached;
    t.streamedBytes += streamed;
    return streamed > 0 && links.stream ? (streamed / Math.min(links.stream * ctx.memoryScale, links.link ?? Infinity)) * 1000 : 0;
  }
  if (ctx.device.kind !== 'mcu' && unit.memBandwidth) {
    // Weights always come from DRAM; activations only in the unit type's share (an NPU keeps them in on-chip memory).
    return ((weightBytes + ioBytes * activationDramShare(unit)) / ((unit.memEff ?? ctx.memoryEfficiency) * unit.memBandwidth)) * 1000;
  }
  return 0;
}

/** Share of a layer's activation bytes that reaches DRAM on this unit (estimator-priors.json, per unit type). */
const activationDramShare = (unit: Unit): number => loadPriors().activationDramShare[unit.spec.type];

/**
 * The dequantize / quantize ops around a layer an int8 model keeps in fp32 (deployed-graph.ts int8Float): each reads
 * and writes its tensor (1 + 4 bytes an element) and is dispatched on its own. Zero unless the estimate is int8 and
 * the layer runs in fp32.
 */
function convertMs(ctx: LatencyContext, links: Links, t: Tally, unit: Unit, layer: LayerProfile, p: ComputePrecision): number {
  const f = ctx.precisionOverride === 'int8' && p === 'fp32' && isDeployed(layer) ? layer.int8Float : undefined;
  if (!f || !f.converts) return 0;
  const bytes = (f.dequantizeElements + f.quantizeElements) * (BYTES.int8 + BYTES.fp32);
  return memoryMs(ctx, links, t, unit, 0, bytes) + unit.perOpS * 1000 * f.converts;
}

/** One layer's time on its unit, added to the tally. */
function layerEstimate(ctx: LatencyContext, links: Links, t: Tally, layer: LayerProfile, placedOn: 'accelerator' | 'cpu', p: ComputePrecision): LayerEstimate {
  const unit = placedOn === 'accelerator' && ctx.acc ? ctx.acc : ctx.cpu;
  const override = ctx.precisionOverride;
  const actFactor = override ? bytesFactor(computePrecisionOf(layer.precision), computedAs(p)) : 1;
  const weightBytes = override ? layer.params * BYTES[override] : layer.weightBytes;
  const ioBytes = ((layer.inputBytes ?? 0) + (layer.activationBytes ?? 0)) * actFactor;

  if (t.prevUnit && t.prevUnit !== placedOn && ctx.acc) {
    t.boundaries++;
    const ms = boundaryTransferMs(ctx, links, layer.inputBytes ?? t.prevOutBytes);
    t.transferMs += ms;
    add(t, 'transfer', ms);
  }
  t.prevUnit = placedOn;
  t.prevOutBytes = layer.activationBytes ?? 0;

  if (layer.macs === null && layer.flops === null) t.unknownLayers++;
  const ops = 2 * (layer.macs ?? 0) + (layer.flops ?? 0);
  const dense = unit.dense[computedAs(p)] ?? unit.dense.fp32 ?? unit.dense.int8 ?? unit.dense.fp16;
  const thr = (dense ?? 1e9) * opClassFactor(layer, unit, ctx);
  const scalarMs = unit.kind === 'cpu' && atScalarRate(layer) ? publishedRateMs(ctx.device.id, unit, ops) : null;
  const computeMs = scalarMs ?? (ops > 0 ? (ops / thr) * 1000 : 0);
  const memMs = memoryMs(ctx, links, t, unit, weightBytes, ioBytes);
  // In a deployed graph the fusions are explicit: an activation left on its own is dispatched like any op.
  const fusedByAssumption = !isDeployed(layer) && FUSED_CLASSES.has(layer.opClass);
  const dispatches = !(fusedByAssumption || layer.opClass === 'quantize' || (FREE_CLASSES.has(layer.opClass) && ops === 0));
  const overheadMs = dispatches ? unit.perOpS * 1000 * (layer.count ?? 1) : 0; // a summarised row stands for `count` nodes
  const ms = Math.max(computeMs, memMs) + overheadMs + convertMs(ctx, links, t, unit, layer, p);
  let b: Bottleneck = computeMs >= memMs ? 'compute' : 'memory';
  if (overheadMs > Math.max(computeMs, memMs)) b = 'overhead';
  if (ctx.acc && unit.kind === 'cpu') b = 'fallback';
  add(t, b, ms);
  return { name: layer.name, op: layer.op, ...(isDeployed(layer) ? { from: layer.from } : {}), unit: unit.kind, ms, bottleneck: b };
}

function ioSize(shape: (number | string)[] | null, bytesPerElem: number): number {
  if (!shape) return 0;
  let n = 1;
  for (const d of shape) n *= typeof d === 'number' ? d : 1;
  return n * bytesPerElem;
}

/** Fixed per-inference overhead, and the model's inputs and outputs over a plug-in accelerator's link. */
function perInference(ctx: LatencyContext, links: Links, t: Tally, notes: EstimateNote[]): void {
  const { device, acc, cpu, profile } = ctx;
  const fixedKey = device.kind === 'usb-accelerator' && device.host ? 'usb-accelerator' : acc ? acc.spec.type : cpu.spec.type;
  // At its prior: the fitted overhead scale multiplies only the per-op dispatch cost, because no published point is small
  // enough for the fixed term to be told apart from it (docs/calibration-candidates/2026-12-05-fixed-overhead-prior.md).
  const fixedMs = loadPriors().fixedOverheadMs[fixedKey] ?? 0;
  t.total += fixedMs;
  if (fixedMs > 0) t.byBottleneck.set('overhead', (t.byBottleneck.get('overhead') ?? 0) + fixedMs);
  if (acc && links.link && ctx.placement.some((p) => p.unit === 'accelerator')) {
    const ioBytes = profile.inputs.reduce((s, x) => s + ioSize(x.shape, 1), 0) + profile.outputs.reduce((s, x) => s + ioSize(x.shape, 1), 0);
    add(t, 'transfer', (ioBytes / links.link) * 1000);
    notes.push({ kind: 'accelerator-io', linkName: device.accelerator!.link!.name, ioBytes, linkBandwidth: links.link, fixedMs });
  }
}

function edgeTpuCacheNote(ctx: LatencyContext, links: Links, t: Tally): EstimateNote | null {
  if (ctx.device.accelerator?.opSupport !== 'edgetpu' || !links.cache || !ctx.placement.some((pl) => pl.unit === 'accelerator')) return null;
  return t.streamedBytes > 0
    ? { kind: 'edgetpu-streaming', cachedBytes: t.cachedBytes, streamedBytes: t.streamedBytes, streamBandwidth: streamRate(ctx, links), cacheBytes: links.cache }
    : { kind: 'edgetpu-cached', cacheBytes: links.cache, cachedBytes: t.cachedBytes };
}

/** The bottleneck that took the most time. */
function dominant(byBottleneck: Map<Bottleneck, number>): Bottleneck {
  let bottleneck: Bottleneck = 'compute';
  let best = -1;
  for (const [b, t] of byBottleneck) if (t > best) [bottleneck, best] = [b, t];
  return bottleneck;
}

export function estimateLatency(ctx: LatencyContext): LatencyResult {
  const accSpec = ctx.device.accelerator;
  const links: Links = {
    cache: accSpec ? toBase(accSpec.onChipParamCache, 'bytes') : null,
    stream: accSpec ? toBase(accSpec.paramStreamBandwidth, 'bandwidth') : null,
    link: accSpec?.link ? toBase(accSpec.link.bandwidth, 'bandwidth') : null,
  };
  const t: Tally = { total: 0, byBottleneck: new Map(), cachedBytes: 0, streamedBytes: 0, unknownLayers: 0, boundaries: 0, transferMs: 0, prevUnit: null, prevOutBytes: 0 };
  const layers: LayerEstimate[] = [];
  ctx.profile.layers.forEach((layer, i) => {
    const place = ctx.placement[i];
    if (place && place.unit !== 'skip') layers.push(layerEstimate(ctx, links, t, layer, place.unit, place.precision));
  });
  const notes: EstimateNote[] = [];
  perInference(ctx, links, t, notes);
  if (t.boundaries > 0) notes.push({ kind: 'partition-boundaries', count: t.boundaries, transferMs: t.transferMs });
  const cacheNote = edgeTpuCacheNote(ctx, links, t);
  if (cacheNote) notes.push(cacheNote);
  const acc = ctx.acc;
  const pp = postprocessNote(ctx.device.id, ctx.cpu, ctx.profile.layers, layers);
  if (pp) notes.push(pp);
  if (acc?.memBandwidth && activationDramShare(acc) < 1 && ctx.placement.some((p) => p.unit === 'accelerator')) notes.push({ kind: 'on-chip-activations', unitName: acc.spec.name, share: activationDramShare(acc) });
  return { totalMs: t.total, layers, bottleneck: dominant(t.byBottleneck), unknownLayers: t.unknownLayers, notes };
}
