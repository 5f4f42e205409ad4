/**
 * Per-target operator and dtype rules: which layers of a model run on a device's accelerator, which fall
 * back to its (host) CPU and why, and the overall verdict. Rules come from op-support.json and the device's
 * catalog entry. Returns placements with structured reasons (reasons.ts); explain.ts words the report.
 * No `vscode` import.
 */
import type { LayerProfile, ModelProfile } from '../../analyzers/profile-types';
import type { CompatibilityReport, ComputePrecision } from '../types';
import { loadOpSupport, type AcceleratorSpec, type DeviceSpec, type OpTarget } from '../catalog';
import { computePrecisionOf, computedAs } from './precision';
import { isLlm } from './llm';
import type { Blocker, CompatibilityFinding, PlacementReason } from './reasons';
import { explainBlocker, explainFinding, explainPlacement } from './explain';
import { isDeployed } from './deployed-graph';
import { own } from '../../analyzers/safe-record';

export type Placement = 'accelerator' | 'cpu' | 'skip';

export interface LayerPlacement {
  /** Where the layer runs; 'skip' = folded/removed by conversion (BatchNorm, Identity ...). */
  unit: Placement;
  /** Precision it computes in on that unit. */
  precision: ComputePrecision;
  /** Why it is not on the accelerator (null when it is, or when the device has none). */
  reason: PlacementReason | null;
  /** The op's TFLite-style canonical name, as the op lists use. */
  canonical: string;
}

/** Layers of one op that fall back for one reason. */
export interface FallbackGroup {
  op: string;
  /** Layer/node names affected (first few). */
  nodes: string[];
  count: number;
  reason: PlacementReason;
}

export interface CompatibilityResult {
  report: CompatibilityReport;
  layers: LayerPlacement[];
  /** The report's fallback groups and blockers with their structured reasons. */
  fallback: FallbackGroup[];
  blockers: Blocker[];
  finding: CompatibilityFinding;
  /** True when the model cannot run on this device at all (compiled for other hardware, op missing on an MCU). */
  cannotRun: boolean;
}

export function canonicalOp(layer: LayerProfile, format: ModelProfile['format']): string {
  if (isDeployed(layer)) return layer.canonical;
  let op = layer.op;
  if (op.startsWith('CUSTOM:')) return op.toLowerCase().includes('edgetpu') ? 'EDGETPU_CUSTOM_OP' : op.toLowerCase().includes('ethos') ? 'ETHOSU_CUSTOM_OP' : 'CUSTOM';
  if (format === 'tflite') return op;
  const conversion = loadOpSupport().conversions[format];
  if (conversion) {
    // Keras / Core ML: the op its toolchain produces (an Activation by its function, a grouped conv by its groups).
    if (layer.opClass === 'depthwise-conv') return 'DEPTHWISE_CONV_2D';
    return (layer.variant !== undefined ? own(conversion.ops, `${op}:${layer.variant}`) : undefined) ?? own(conversion.ops, op) ?? op.toUpperCase(); // op types come from the file
  }
  const colon = op.lastIndexOf(':');
  if (colon >= 0) op = op.slice(colon + 1);
  if (op === 'Conv' && layer.opClass === 'depthwise-conv') return 'DEPTHWISE_CONV_2D';
  if (op === 'MatMul' && layer.weightBytes === 0) return 'BATCH_MATMUL';
  if (op === 'Resize' && layer.opClass === 'resize') return 'RESIZE_NEAREST_NEIGHBOR';
  return own(loadOpSupport().onnxToCanonical, op) ?? op.toUpperCase(); // op types come from the file
}

/**
 * An op every converter folds or removes (BatchNormalization into the convolution before it, Dropout ...). Layers of
 * the deployed graph (deployed-graph.ts) already had folded and removed ops taken out.
 */
export function isIgnored(layer: LayerProfile): boolean {
  if (isDeployed(layer)) return false;
  const ignored = loadOpSupport().ignored;
  const bare = layer.op.slice(layer.op.lastIndexOf(':') + 1);
  return ignored.includes(layer.op) || ignored.includes(bare);
}

function opAllowed(target: OpTarget, canonical: string): boolean {
  if (target.mode === 'all') return true;
  const list = target.ops ?? [];
  return target.mode === 'allowlist' ? list.includes(canonical) : !list.includes(canonical);
}

/** Edge TPU tensor rule: tensors of more than 3 dimensions may only have the 3 innermost dims larger than 1. */
function edgeTpuRankProblem(layer: LayerProfile): PlacementReason | null {
  for (const s of layer.outputShapes) {
    if (!s || s.length <= 3) continue;
    const outer = s.slice(0, s.length - 3);
    if (outer.some((d) => typeof d !== 'number' || d > 1)) return { kind: 'edgetpu-rank', shape: s };
  }
  return null;
}

const UNIT_NAMES: Record<string, string> = { tpu: 'Edge TPU', npu: 'NPU', gpu: 'GPU' };

function acceleratorName(acc: AcceleratorSpec): string {
  if (acc.opSupport === 'ane') return 'Neural Engine';
  if (acc.opSupport === 'hexagon-htp') return 'Hexagon NPU';
  return UNIT_NAMES[acc.type] ?? 'accelerator';
}

/** Everything the placement rules need about the device. */
interface Target {
  device: DeviceSpec;
  acc: AcceleratorSpec | null;
  accName: string;
  cpuName: string;
  accTarget: OpTarget | undefined;
  cpuTarget: OpTarget | undefined;
  override: ComputePrecision | undefined;
}

/** Compiled payloads run only on the hardware they were compiled for. */
function compiledBlockers(profile: ModelProfile, device: DeviceSpec): Blocker[] {
  const kinds = new Set(profile.compiledSegments.map((s) => s.kind.toLowerCase()));
  return [...kinds].filter((kind) => !(kind.includes('edgetpu') && device.accelerator?.opSupport === 'edgetpu')).map((segmentKind) => ({ kind: 'compiled-for', segmentKind, deviceName: device.name }));
}

/** A weights-only file: nothing to place; an LLM runtime may execute it where the device can run one. */
function weightsOnly(profile: ModelProfile, device: DeviceSpec, compiled: Blocker[]): CompatibilityResult {
  const runnable = isLlm(profile) && device.kind !== 'mcu' && device.accelerator?.opSupport !== 'edgetpu';
  const finding: CompatibilityFinding = runnable ? { kind: 'weights-only-llm', format: profile.format, runtimes: device.runtimes.map((r) => r.name) } : { kind: 'weights-only', format: profile.format, deviceName: device.name };
  const blockers: Blocker[] = [{ kind: 'no-compute-graph' }, ...compiled];
  const report: CompatibilityReport = { verdict: runnable ? 'partial' : 'unsupported', summary: explainFinding(finding), accelerated: [], fallback: [], blockers: blockers.map(explainBlocker) };
  return { report, layers: [], fallback: [], blockers, finding, cannotRun: !runnable };
}

/** Requirements of the accelerator the graph does not meet as a whole. */
function graphBlockers(profile: ModelProfile, t: Target): Blocker[] {
  const out: Blocker[] = [];
  if (profile.dynamicShapes?.hasDynamic && t.acc && t.acc.opSupport !== 'tensorrt') {
    out.push({ kind: 'dynamic-shape', symbols: profile.dynamicShapes.symbols, unitName: t.accName, bindings: profile.dynamicShapes.bindings });
  }
  if (profile.format !== 'tflite' && t.acc?.opSupport === 'edgetpu') out.push({ kind: 'not-tflite-on-edgetpu', format: profile.format });
  return out;
}

/** CPU-only device: every op must be in the CPU runtime's list (MCU: there is no fallback). */
function placeOnCpu(t: Target, canonical: string, wanted: ComputePrecision): LayerPlacement {
  const ok = t.cpuTarget ? opAllowed(t.cpuTarget, canonical) : true;
  const cpu = t.device.cpu;
  const precision = cpu && cpu.precisions[wanted] === undefined ? 'fp32' : wanted;
  return { unit: 'cpu', precision, reason: ok ? null : { kind: 'not-in-kernel-set', op: canonical, kernelSet: cpu?.opSupport }, canonical };
}

/** Accelerator device: op, precision and shape rules; the precision it would compute in there. */
function acceleratorRule(t: Target, acc: AcceleratorSpec, layer: LayerProfile, canonical: string, wanted: ComputePrecision): { reason: PlacementReason | null; precision: ComputePrecision } {
  if (!t.accTarget || !opAllowed(t.accTarget, canonical)) return { reason: { kind: 'op-unsupported', op: canonical, unitName: t.accName }, precision: wanted };
  if (acc.opSupport === 'edgetpu') return { reason: wanted !== 'int8' ? { kind: 'edgetpu-not-int8', precision: wanted } : edgeTpuRankProblem(layer), precision: wanted };
  if (acc.precisions[wanted] === undefined || acc.precisions[wanted] === 'weight-only') {
    // ANE / Hexagon convert fp32 graphs to fp16 by default; other gaps fall back.
    if (wanted === 'fp32' && acc.precisions.fp16 === 'native' && (acc.opSupport === 'ane' || acc.opSupport === 'hexagon-htp')) return { reason: null, precision: 'fp16' };
    if (wanted === 'int8' && acc.precisions.fp16 === 'native') return { reason: null, precision: 'fp16' };
    return { reason: { kind: 'precision-unsupported', precision: wanted, unitName: t.accName }, precision: wanted };
  }
  return { reason: null, precision: wanted };
}

/** Places every layer; on a single-prefix accelerator (Edge TPU) everything after the first unsupported op goes to the CPU. */
function placeLayers(profile: ModelProfile, t: Target): { layers: LayerPlacement[]; firstBreak: string | null; cannotRun: boolean } {
  const layers: LayerPlacement[] = [];
  let firstBreak: string | null = null;
  let cannotRun = false;
  for (const layer of profile.layers) {
    const canonical = canonicalOp(layer, profile.format);
    // An op the toolchain's int8 quantizer leaves unquantized runs in fp32 in an int8 model (deployed-graph.ts int8Float).
    const keptFloat = t.override === 'int8' && isDeployed(layer) && !!layer.int8Float;
    const wanted: ComputePrecision = keptFloat ? 'fp32' : t.override ? computedAs(t.override) : computePrecisionOf(layer.precision);
    if (isIgnored(layer)) {
      layers.push({ unit: 'skip', precision: wanted, reason: null, canonical });
    } else if (canonical === 'EDGETPU_CUSTOM_OP' || canonical === 'ETHOSU_CUSTOM_OP') {
      const here = canonical === 'EDGETPU_CUSTOM_OP' && t.acc?.opSupport === 'edgetpu';
      layers.push({ unit: here ? 'accelerator' : 'cpu', precision: 'int8', reason: here ? null : { kind: 'compiled-elsewhere' }, canonical });
    } else if (!t.acc) {
      const placed = placeOnCpu(t, canonical, wanted);
      if (placed.reason) cannotRun = true;
      layers.push(placed);
    } else {
      const { reason, precision } = acceleratorRule(t, t.acc, layer, canonical, wanted);
      const prefix = t.acc.partitioning === 'single-prefix';
      if (prefix && firstBreak !== null) layers.push({ unit: 'cpu', precision: wanted, reason: reason ?? { kind: 'after-prefix-break', firstBreak }, canonical });
      else if (reason) {
        if (prefix) firstBreak = `${layer.name} (${canonical})`;
        layers.push({ unit: 'cpu', precision: wanted, reason, canonical });
      } else layers.push({ unit: 'accelerator', precision, reason: null, canonical });
    }
  }
  return { layers, firstBreak, cannotRun };
}

/** Fallback layers grouped by op and reason, largest group first; the ops that run on the accelerator. */
function groupFallback(profile: ModelProfile, layers: LayerPlacement[]): { fallback: FallbackGroup[]; accelerated: string[] } {
  const groups = new Map<string, FallbackGroup>();
  const accelerated = new Set<string>();
  profile.layers.forEach((l, i) => {
    const p = layers[i];
    if (!p || p.unit === 'skip') return;
    if (p.unit === 'accelerator') accelerated.add(l.op);
    else if (p.reason) {
      const key = `${l.op}\u0000${explainPlacement(p.reason)}`;
      const g = groups.get(key) ?? { op: l.op, nodes: [], count: 0, reason: p.reason };
      g.count += l.count ?? 1; // a summarised row of a huge graph stands for `count` nodes
      if (g.nodes.length < 5) g.nodes.push(l.name);
      groups.set(key, g);
    }
  });
  return { fallback: [...groups.values()].sort((a, b) => b.count - a.count), accelerated: [...accelerated] };
}

/** Share of the placed (not skipped) nodes that `match`, counted in nodes: a summarised row stands for `count` of them. */
export function nodeCounts(profile: ModelProfile, placement: LayerPlacement[], match: (p: LayerPlacement) => boolean): { active: number; matching: number } {
  let active = 0;
  let matching = 0;
  placement.forEach((p, i) => {
    if (p.unit === 'skip') return;
    const n = profile.layers[i]?.count ?? 1;
    active += n;
    if (match(p)) matching += n;
  });
  return { active, matching };
}

function verdictOf(t: Target, profile: ModelProfile, placed: { layers: LayerPlacement[]; firstBreak: string | null; cannotRun: boolean }, compiled: Blocker[], fallback: FallbackGroup[]): { verdict: CompatibilityReport['verdict']; finding: CompatibilityFinding } {
  const active = placed.layers.filter((l) => l.unit !== 'skip');
  const counts = nodeCounts(profile, placed.layers, (l) => l.unit === 'accelerator');
  const onAcc = counts.matching;
  const { device, acc } = t;
  if (placed.cannotRun || compiled.length) {
    const finding: CompatibilityFinding = compiled.length
      ? { kind: 'cannot-run-compiled', deviceName: device.name, blocker: compiled[0] }
      : { kind: 'cannot-run-kernels', deviceName: device.name, ops: fallback.map((f) => f.op), kernelSet: device.cpu?.opSupport ?? 'target' };
    return { verdict: 'unsupported', finding };
  }
  if (!acc) return { verdict: 'full', finding: { kind: 'all-on', count: counts.active, unitName: t.cpuName } };
  if (onAcc === counts.active) return { verdict: 'full', finding: { kind: 'all-on', count: counts.active, unitName: t.accName } };
  if (onAcc === 0) {
    const quantiseForEdgeTpu = acc.opSupport === 'edgetpu' && active.some((l) => l.precision !== 'int8');
    return { verdict: 'none', finding: { kind: 'none-on-accelerator', unitName: t.accName, why: fallback[0]?.reason ?? null, count: counts.active, cpuName: t.cpuName, quantiseForEdgeTpu } };
  }
  const from = acc.partitioning === 'single-prefix' ? placed.firstBreak : null;
  return { verdict: 'partial', finding: { kind: 'partial', onAccelerator: onAcc, count: counts.active, unitName: t.accName, cpuName: t.cpuName, from } };
}

/**
 * Places every layer of `profile` on the device's accelerator or CPU at the given precision
 * (override = the user's or recommender's precision; otherwise each layer's own).
 */
export function checkCompatibility(profile: ModelProfile, device: DeviceSpec, override?: ComputePrecision, hostCpuName?: string): CompatibilityResult {
  const compiled = compiledBlockers(profile, device);
  if (!profile.hasComputeGraph) return weightsOnly(profile, device, compiled);
  const ops = loadOpSupport();
  const acc = device.accelerator;
  const t: Target = {
    device,
    acc,
    accName: acc ? acceleratorName(acc) : '',
    cpuName: device.cpu?.name ?? hostCpuName ?? 'host CPU',
    accTarget: acc ? ops.targets[acc.opSupport] : undefined,
    cpuTarget: device.cpu ? ops.targets[device.cpu.opSupport] : ops.targets['cpu-full'],
    override,
  };
  const blockers = [...compiled, ...graphBlockers(profile, t)];
  const placed = placeLayers(profile, t);
  const { fallback, accelerated } = groupFallback(profile, placed.layers);
  const { verdict, finding } = verdictOf(t, profile, placed, compiled, fallback);
  const report: CompatibilityReport = {
    verdict,
    summary: explainFinding(finding),
    accelerated,
    fallback: fallback.map((g) => ({ op: g.op, nodes: g.nodes, count: g.count, reason: explainPlacement(g.reason), cause: g.reason.kind })),
    blockers: blockers.map(explainBlocker),
  };
  return { report, layers: placed.layers, fallback, blockers, finding, cannotRun: placed.cannotRun || compiled.length > 0 };
}

/** Fallback groups that are the op's own doing (not pushed to the CPU only because an earlier op broke the Edge TPU prefix). */
export const ownFallback = (c: CompatibilityResult): FallbackGroup[] => c.fallback.filter((f) => f.reason.kind !== 'after-prefix-break');

/**
 * Ops the target cannot map at all ("X is not supported by <accelerator>", "X is not in the <runtime> kernel
 * set"): not the ones pushed to the CPU by an earlier op, nor precision gaps (those are what quantization fixes).
 */
export function unsupportedOps(c: CompatibilityResult): string[] {
  return [...new Set(c.fallback.filter((f) => f.reason.kind === 'op-unsupported' || f.reason.kind === 'not-in-kernel-set').map((f) => f.op))];
}

/** The accelerator needs static shapes the model does not have. */
export const needsStaticShapes = (c: CompatibilityResult): boolean => c.blockers.some((b) => b.kind === 'dynamic-shape');
