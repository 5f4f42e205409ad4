/**
 * Per-target operator and dtype rules: which layers of a model run on a device's accelerator, which fall
 * back to its (host) CPU and why, and the overall verdict. Rules come from op-support.json and the
 * device's catalog entry. No `vscode` import.
 */
import type { LayerProfile, ModelProfile } from '../../analyzers/profile-types';
import type { Precision } from '../../analyzers/graph';
import type { CompatibilityReport, ComputePrecision, FallbackOp } from '../types';
import { loadOpSupport, type DeviceSpec, type OpTarget } from '../catalog';

export type Placement = 'accelerator' | 'cpu' | 'skip';

export interface LayerPlacement {
  /** Where the layer runs; 'skip' = folded/removed by conversion (BatchNorm, Identity ...). */
  unit: Placement;
  /** Precision it computes in on that unit. */
  precision: ComputePrecision;
  /** Why it is not on the accelerator (null when it is, or when the device has none). */
  reason: string | null;
  /** The op's TFLite-style canonical name, as the op lists use. */
  canonical: string;
}

export interface CompatibilityResult {
  report: CompatibilityReport;
  layers: LayerPlacement[];
  /** True when the model cannot run on this device at all (compiled for other hardware, op missing on an MCU). */
  cannotRun: boolean;
}

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

export function canonicalOp(layer: LayerProfile, format: ModelProfile['format']): string {
  let op = layer.op;
  if (op.startsWith('CUSTOM:')) return op.toLowerCase().includes('edgetpu') ? 'EDGETPU_CUSTOM_OP' : op.toLowerCase().includes('ethos') ? 'ETHOSU_CUSTOM_OP' : 'CUSTOM';
  if (format === 'tflite') return op;
  const colon = op.lastIndexOf(':');
  if (colon >= 0) op = op.slice(colon + 1);
  const ops = loadOpSupport();
  if (op === 'Conv' && layer.opClass === 'depthwise-conv') return 'DEPTHWISE_CONV_2D';
  if (op === 'MatMul' && layer.weightBytes === 0) return 'BATCH_MATMUL';
  if (op === 'Resize' && layer.opClass === 'resize') return 'RESIZE_NEAREST_NEIGHBOR';
  return ops.onnxToCanonical[op] ?? op.toUpperCase();
}

function isIgnored(layer: LayerProfile): boolean {
  const ops = loadOpSupport();
  const bare = layer.op.slice(layer.op.lastIndexOf(':') + 1);
  return ops.ignored.includes(layer.op) || ops.ignored.includes(bare);
}

function opAllowed(target: OpTarget, canonical: string): boolean {
  if (target.mode === 'all') return true;
  const list = target.ops ?? [];
  return target.mode === 'allowlist' ? list.includes(canonical) : !list.includes(canonical);
}

/** Edge TPU tensor rule: tensors of more than 3 dimensions may only have the 3 innermost dims larger than 1. */
function edgeTpuRankProblem(layer: LayerProfile): string | null {
  for (const s of layer.outputShapes) {
    if (!s || s.length <= 3) continue;
    const outer = s.slice(0, s.length - 3);
    if (outer.some((d) => typeof d !== 'number' || d > 1)) return `output shape [${s.join(', ')}] has more than 3 non-trivial dimensions`;
  }
  return null;
}

const UNIT_NAMES: Record<string, string> = { tpu: 'Edge TPU', npu: 'NPU', gpu: 'GPU' };

/**
 * Places every layer of `profile` on the device's accelerator or CPU at the given precision
 * (override = the user's or recommender's precision; otherwise each layer's own).
 */
export function checkCompatibility(profile: ModelProfile, device: DeviceSpec, override?: ComputePrecision, hostCpuName?: string): CompatibilityResult {
  const ops = loadOpSupport();
  const acc = device.accelerator;
  const cpuName = device.cpu?.name ?? hostCpuName ?? 'host CPU';
  const accName = acc ? (acc.opSupport === 'ane' ? 'Neural Engine' : acc.opSupport === 'hexagon-htp' ? 'Hexagon NPU' : UNIT_NAMES[acc.type] ?? 'accelerator') : '';
  const blockers: string[] = [];
  const layers: LayerPlacement[] = [];
  let cannotRun = false;

  // Compiled payloads run only on the hardware they were compiled for.
  const compiledKinds = new Set(profile.compiledSegments.map((s) => s.kind.toLowerCase()));
  for (const kind of compiledKinds) {
    const runsHere = kind.includes('edgetpu') && acc?.opSupport === 'edgetpu';
    if (!runsHere) {
      cannotRun = true;
      blockers.push(`the file contains a segment compiled for ${kind} (${kind.includes('edgetpu') ? 'Google Edge TPU' : kind}); it cannot run on ${device.name} — start from the uncompiled model`);
    }
  }

  if (!profile.hasComputeGraph) {
    const llm = looksLikeLlm(profile);
    const canRunWeights = device.kind !== 'mcu' && acc?.opSupport !== 'edgetpu';
    const report: CompatibilityReport = {
      verdict: llm && canRunWeights ? 'partial' : 'unsupported',
      summary: llm && canRunWeights
        ? `The ${profile.format} file stores weights but no compute graph, so operator support cannot be checked; an LLM runtime (${device.runtimes.map((r) => r.name).join(', ')}) would execute it.`
        : `The ${profile.format} file stores weights but no compute graph: ${device.name} needs a converted graph model (ONNX/TFLite/Core ML) before anything can be checked or run.`,
      accelerated: [],
      fallback: [],
      blockers: ['no compute graph in the file: operators and activation shapes are unknown', ...blockers],
    };
    return { report, layers: [], cannotRun: !(llm && canRunWeights) };
  }

  const accTarget = acc ? ops.targets[acc.opSupport] : undefined;
  const cpuTarget = device.cpu ? ops.targets[device.cpu.opSupport] : ops.targets['cpu-full'];
  const dynamic = profile.dynamicShapes?.hasDynamic ?? false;
  if (dynamic && acc && acc.opSupport !== 'tensorrt') {
    blockers.push(`dynamic input shape (${profile.dynamicShapes.symbols.join(', ') || 'unknown dims'}): ${accName} needs static shapes — export with fixed sizes (figures assume ${JSON.stringify(profile.dynamicShapes.bindings)})`);
  }
  if (profile.format === 'onnx' && acc?.opSupport === 'edgetpu') {
    blockers.push('ONNX model: the Edge TPU runs only TensorFlow Lite models — convert (e.g. onnx2tf), quantise to full int8, then compile with edgetpu_compiler');
  }

  let prefixBroken = false; // Edge TPU: after the first unsupported op everything runs on the CPU
  let firstBreak: string | null = null;
  for (const layer of profile.layers) {
    const canonical = canonicalOp(layer, profile.format);
    const own = computePrecisionOf(layer.precision);
    const wanted: ComputePrecision = override ? (override === 'int4' ? 'fp16' : override) : own;
    if (isIgnored(layer)) {
      layers.push({ unit: 'skip', precision: wanted, reason: null, canonical });
      continue;
    }
    if (canonical === 'EDGETPU_CUSTOM_OP' || canonical === 'ETHOSU_CUSTOM_OP') {
      const here = canonical === 'EDGETPU_CUSTOM_OP' && acc?.opSupport === 'edgetpu';
      layers.push({ unit: here ? 'accelerator' : 'cpu', precision: 'int8', reason: here ? null : 'compiled for other hardware', canonical });
      continue;
    }
    if (!acc) {
      // CPU-only device: every op must be in the CPU runtime's list (MCU: there is no fallback).
      const ok = cpuTarget ? opAllowed(cpuTarget, canonical) : true;
      let precision = wanted;
      if (device.cpu && device.cpu.precisions[wanted] === undefined) precision = 'fp32';
      layers.push({ unit: 'cpu', precision, reason: ok ? null : `${canonical} is not in the ${device.cpu?.opSupport} kernel set`, canonical });
      if (!ok) cannotRun = true;
      continue;
    }
    // Accelerator device: op, precision and shape rules.
    let reason: string | null = null;
    let precision = wanted;
    if (!accTarget || !opAllowed(accTarget, canonical)) reason = `${canonical} is not supported by ${accName}`;
    else if (acc.opSupport === 'edgetpu') {
      if (wanted !== 'int8') reason = `computes in ${wanted}: the Edge TPU runs fully int8-quantised ops only`;
      else reason = edgeTpuRankProblem(layer);
    } else if (acc.precisions[wanted] === undefined || acc.precisions[wanted] === 'weight-only') {
      // ANE / Hexagon convert fp32 graphs to fp16 by default; other gaps fall back.
      if (wanted === 'fp32' && acc.precisions.fp16 === 'native' && (acc.opSupport === 'ane' || acc.opSupport === 'hexagon-htp')) precision = 'fp16';
      else if (wanted === 'int8' && acc.precisions.fp16 === 'native') precision = 'fp16';
      else reason = `${wanted} is not supported by ${accName}`;
    }
    if (acc.partitioning === 'single-prefix' && prefixBroken) {
      layers.push({ unit: 'cpu', precision: wanted, reason: reason ?? `after the first unsupported op (${firstBreak}) the Edge TPU compiler leaves the rest of the graph on the CPU`, canonical });
      continue;
    }
    if (reason) {
      if (acc.partitioning === 'single-prefix') {
        prefixBroken = true;
        firstBreak = `${layer.name} (${canonical})`;
      }
      layers.push({ unit: 'cpu', precision: wanted, reason, canonical });
    } else {
      layers.push({ unit: 'accelerator', precision, reason: null, canonical });
    }
  }

  // Fallback summary grouped by op and reason.
  const groups = new Map<string, FallbackOp>();
  const accelerated = new Set<string>();
  profile.layers.forEach((l, i) => {
    const p = layers[i];
    if (!p || p.unit === 'skip') return;
    if (p.unit === 'accelerator') accelerated.add(l.op);
    else if (p.reason) {
      const key = `${l.op}\u0000${p.reason}`;
      const g = groups.get(key) ?? { op: l.op, nodes: [], count: 0, reason: p.reason };
      g.count++;
      if (g.nodes.length < 5) g.nodes.push(l.name);
      groups.set(key, g);
    }
  });
  const fallback = [...groups.values()].sort((a, b) => b.count - a.count);
  const active = layers.filter((l) => l.unit !== 'skip');
  const onAcc = active.filter((l) => l.unit === 'accelerator').length;

  let verdict: CompatibilityReport['verdict'];
  let summary: string;
  if (cannotRun) {
    verdict = 'unsupported';
    summary = compiledKinds.size && blockers.length
      ? `Cannot run on ${device.name}: ${blockers[0]}.`
      : `Cannot run on ${device.name}: ${fallback.map((f) => f.op).join(', ')} ${fallback.length === 1 ? 'is' : 'are'} not in the ${device.cpu?.opSupport ?? 'target'} kernel set and there is no fallback processor.`;
  } else if (!acc) {
    verdict = 'full';
    summary = `All ${active.length} ops run on the ${cpuName}.`;
  } else if (onAcc === active.length) {
    verdict = 'full';
    summary = `All ${active.length} ops run on the ${accName}.`;
  } else if (onAcc === 0) {
    verdict = 'none';
    const why = fallback[0]?.reason ?? 'no op is supported';
    summary = `Nothing runs on the ${accName} (${why}); all ${active.length} ops fall back to the ${cpuName}.`;
    if (acc.opSupport === 'edgetpu' && active.some((l) => l.precision !== 'int8')) {
      summary += ' Quantise the model to full int8 (static PTQ or QAT) and compile it with edgetpu_compiler to use the Edge TPU.';
    }
  } else {
    verdict = 'partial';
    summary = `${onAcc} of ${active.length} ops run on the ${accName}; ${active.length - onAcc} fall back to the ${cpuName}${acc.partitioning === 'single-prefix' && firstBreak ? ` from ${firstBreak} on` : ''}.`;
  }
  return { report: { verdict, summary, accelerated: [...accelerated], fallback, blockers }, layers, cannotRun };
}

/** A weights-only file that looks like a language model (GGUF architecture metadata, transformer tensor names). */
export function looksLikeLlm(profile: ModelProfile): boolean {
  const meta = profile.metadata ?? {};
  if (Object.keys(meta).some((k) => k.startsWith('general.architecture') || k.endsWith('.context_length') || k.endsWith('.block_count'))) return true;
  if (profile.format === 'gguf') return true;
  const names = Object.keys(profile.opHistogram ?? {}).join(' ');
  return /attn|attention|q_proj|k_proj|self_attn|transformer\.h\./i.test(names) || profile.params > 1e8;
}
