/**
 * Apply one compression technique to a ModelProfile, returning a new profile that the estimator can
 * re-run on. Each transform changes exactly what the technique changes: layer precision and weight
 * bytes (quantization), channels (structured pruning → MACs, params, activation bytes), factorised
 * Linear/MatMul layers (low-rank → MACs, params), the whole network (distillation → the student's size),
 * or the graph itself (op rewrite → supported ops, static shapes). The input profile is never mutated.
 * No `vscode` import.
 */
import type { Precision } from '../../analyzers/graph';
import type { LayerProfile, ModelProfile, QuantizationSummary } from '../../analyzers/profile-types';
import type { OpClass } from '../../analyzers/cost/types';
import { nodeCount } from '../../analyzers/layer-summary';
import type { Technique } from '../types';
import { TECHNIQUES, type OpRewriteRule, type Student } from './technique-table';
import { isIgnored } from '../estimate/compatibility';

/** Bits per element of a precision (null for non-numeric types). */
export function bitsOf(p: Precision | undefined): number | null {
  switch (p) {
    case 'fp64': case 'int64': case 'uint64': case 'complex64': return 64;
    case 'complex128': return 128;
    case 'fp32': case 'int32': case 'uint32': return 32;
    case 'fp16': case 'bf16': case 'int16': case 'uint16': return 16;
    case 'fp8': case 'int8': case 'uint8': case 'bool': return 8;
    case 'int4': case 'uint4': return 4;
    case 'int2': return 2;
    default: return null;
  }
}

const isFloat = (p: Precision | undefined): boolean => p === 'fp32' || p === 'fp16' || p === 'bf16' || p === 'fp64' || p === 'fp8';

/** Op classes that carry the network's MACs (the ones quantization, pruning and factorisation act on). */
export const MAC_CLASSES: ReadonlySet<OpClass> = new Set<OpClass>(['conv', 'depthwise-conv', 'conv-transpose', 'matmul', 'attention', 'recurrent']);

/**
 * Op classes a full-integer converter (TFLite full-int8, ORT QDQ) turns into integer kernels.
 * What stays out (normalization in ORT's CPU QDQ set, control flow, custom ops, 'other') keeps computing in float,
 * which caps the speed-up and, on integer-only accelerators, falls back to the CPU.
 */
export const INT8_STATIC_CLASSES: ReadonlySet<OpClass> = new Set<OpClass>([
  'conv', 'depthwise-conv', 'conv-transpose', 'matmul', 'attention', 'elementwise', 'activation', 'pool',
  'resize', 'data-movement', 'reduce', 'softmax', 'embedding', 'quantize',
]);

/** Op classes dynamic quantization covers (ORT quantize_dynamic: MatMul/Gemm/Conv/Attention/LSTM/Gather; TFLite dynamic range). */
export const INT8_DYNAMIC_CLASSES: ReadonlySet<OpClass> = new Set<OpClass>(['conv', 'matmul', 'attention', 'recurrent', 'embedding']);

export interface TransformParams {
  /** int8-ptq: per-channel weights (default true). */
  perChannel?: boolean;
  /** structured-pruning: fraction of filters removed (0.3 .. 0.5). */
  fraction?: number;
  /** distillation: the student network. */
  student?: Student;
  /** op-rewrite: the ops to rewrite (names as in the profile) — from the estimate's compatibility.fallback. */
  ops?: string[];
  /** op-rewrite: also fix dynamic shapes to these bindings (default: the profile's bindings, else 1). */
  fixShapes?: boolean;
}

export interface TransformResult {
  profile: ModelProfile;
  /** What was changed, in words ("42 Conv/MatMul layers → int8 weights and compute", ...). */
  changes: string[];
  /** For op-rewrite: the rules applied per op, for the step's explanation and commands. */
  rewrites?: { op: string; rule: OpRewriteRule | null; layers: number }[];
}

function cloneProfile(p: ModelProfile): ModelProfile {
  return {
    ...p,
    layers: p.layers.map((l) => ({ ...l, outputShapes: l.outputShapes.slice() })),
    inputs: p.inputs.map((i) => ({ ...i, shape: i.shape ? i.shape.slice() : null })),
    outputs: p.outputs.map((o) => ({ ...o, shape: o.shape ? o.shape.slice() : null })),
    opHistogram: { ...p.opHistogram },
    weightDtypes: { ...p.weightDtypes },
    quantization: { ...p.quantization, weightPrecisions: { ...p.quantization.weightPrecisions }, notes: p.quantization.notes.slice() },
    dynamicShapes: { ...p.dynamicShapes, symbols: p.dynamicShapes.symbols.slice(), bindings: { ...p.dynamicShapes.bindings } },
    metadata: { ...p.metadata },
    subgraphCosts: p.subgraphCosts.map((s) => ({ ...s })),
    compiledSegments: p.compiledSegments.map((s) => ({ ...s })),
  };
}

const scaleNullable = (v: number | null, f: number): number | null => (v === null ? null : v * f);

/** Weight bits of a layer: its weightPrecision, else inferred from bytes/params, else 32. */
function layerWeightBits(l: LayerProfile): number {
  const b = bitsOf(l.weightPrecision);
  if (b !== null) return b;
  if (l.params > 0 && l.weightBytes > 0) return (l.weightBytes * 8) / l.params;
  return 32;
}

/** Sum of layer weight bytes, and a rescaled profile-level figure that keeps weights outside the layers (subgraphs) as they were. */
function recomputeTotals(before: ModelProfile, after: ModelProfile): void {
  const oldLayerBytes = before.layers.reduce((s, l) => s + l.weightBytes, 0);
  const newLayerBytes = after.layers.reduce((s, l) => s + l.weightBytes, 0);
  const oldLayerParams = before.layers.reduce((s, l) => s + l.params, 0);
  const newLayerParams = after.layers.reduce((s, l) => s + l.params, 0);
  after.weightBytes = Math.max(0, Math.round(before.weightBytes - oldLayerBytes + newLayerBytes));
  after.params = Math.max(0, Math.round(before.params - oldLayerParams + newLayerParams));
  const sumNullable = (sel: (l: LayerProfile) => number | null): number | null => {
    let s = 0;
    for (const l of after.layers) {
      const v = sel(l);
      if (v === null) return null;
      s += v;
    }
    return s;
  };
  if (before.macs !== null && after.layers.length) after.macs = sumNullable((l) => l.macs) ?? after.macs;
  if (before.flops !== null && after.layers.length) after.flops = sumNullable((l) => l.flops) ?? after.flops;
  // The file on disk shrinks/grows with the weights.
  after.bytes = Math.max(0, Math.round(before.bytes - before.weightBytes + after.weightBytes));
}

function weightPrecisionSummary(p: ModelProfile): Partial<Record<Precision, number>> {
  const out: Partial<Record<Precision, number>> = {};
  for (const l of p.layers) {
    if (l.weightBytes > 0) {
      const k = (l.weightPrecision ?? 'fp32') as Precision;
      out[k] = (out[k] ?? 0) + l.weightBytes;
    }
  }
  return out;
}

/** Peak activation scales with the dominant activation width: use the ratio of summed activation bytes. */
function rescalePeak(before: ModelProfile, after: ModelProfile): void {
  if (before.peakActivationBytes === null) return;
  const sb = before.layers.reduce((s, l) => s + (l.activationBytes ?? 0), 0);
  const sa = after.layers.reduce((s, l) => s + (l.activationBytes ?? 0), 0);
  if (sb > 0) after.peakActivationBytes = Math.round(before.peakActivationBytes * (sa / sb));
}

// ---------------------------------------------------------------------------------------------
// Precision transforms

interface PrecisionPlan {
  /** Which layers change. */
  classes: ReadonlySet<OpClass> | 'all-float';
  /** New compute precision of changed layers (null: leave compute as is). */
  compute: Precision | null;
  /** New weight precision of changed layers with weights. */
  weights: Precision;
  /** Bits actually stored per weight (4.125 for group-wise int4 with fp16 scales). */
  weightBits: number;
  /** Whether activations written by changed layers shrink to the compute precision. */
  activationsFollowCompute: boolean;
  /** Only layers with weights (weight-only schemes). */
  weightsOnly?: boolean;
}

function applyPrecision(src: ModelProfile, plan: PrecisionPlan, state: QuantizationSummary['state'], label: string): TransformResult {
  const p = cloneProfile(src);
  let changed = 0;
  let keptFloat = 0;
  const keptOps = new Map<string, number>();
  for (const l of p.layers) {
    const inPlan = plan.classes === 'all-float' ? true : plan.classes.has(l.opClass);
    const eligible = inPlan && (!plan.weightsOnly || l.params > 0);
    if (!eligible) {
      // Folded by the conversion (BatchNormalization into its convolution): nothing is left to stay float.
      if (isFloat(l.precision) && (l.macs ?? 0) + (l.flops ?? 0) > 0 && !isIgnored(l)) {
        keptFloat++;
        keptOps.set(l.op, (keptOps.get(l.op) ?? 0) + 1);
      }
      continue;
    }
    // Layers already at or below the target stay as they are (an int8 layer does not become fp16).
    if (l.params > 0) {
      const oldBits = layerWeightBits(l);
      if (plan.weightBits < oldBits) {
        l.weightBytes = Math.round((l.weightBytes * plan.weightBits) / oldBits);
        l.weightPrecision = plan.weights;
      }
    }
    if (plan.compute) {
      const oldBits = bitsOf(l.precision);
      const newBits = bitsOf(plan.compute)!;
      if (oldBits !== null && isFloat(l.precision) && newBits < oldBits) {
        if (plan.activationsFollowCompute) {
          const f = newBits / oldBits;
          l.activationBytes = scaleNullable(l.activationBytes, f);
          l.inputBytes = scaleNullable(l.inputBytes, f);
        }
        l.precision = plan.compute;
      }
    }
    changed++;
  }
  recomputeTotals(src, p);
  rescalePeak(src, p);
  if (!p.layers.length && src.weightBytes > 0) {
    // No costed graph (GGUF, safetensors, bare state_dict): the weights are all there is.
    const oldBits = src.params > 0 ? (src.weightBytes * 8) / src.params : 32;
    if (plan.weightBits < oldBits) {
      p.weightBytes = Math.round((src.weightBytes * plan.weightBits) / oldBits);
      p.bytes = Math.max(0, Math.round(src.bytes - src.weightBytes + p.weightBytes));
      changed = 1;
    }
  }
  p.quantization.state = keptFloat > 0 && state === 'int8-full' ? 'mixed' : state;
  p.quantization.weightPrecisions = p.layers.length ? weightPrecisionSummary(p) : { [plan.weights]: p.weightBytes };
  p.quantization.notes.push(`planned: ${label}`);
  const changes = [`${changed} layer${changed === 1 ? '' : 's'} → ${label}`];
  if (keptFloat > 0) {
    const top = [...keptOps.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([op, n]) => `${op}×${n}`).join(', ');
    changes.push(`${keptFloat} layer${keptFloat === 1 ? '' : 's'} stay float (${top}): they cap the speed-up and run on the CPU of integer-only accelerators`);
  }
  return { profile: p, changes };
}

// ---------------------------------------------------------------------------------------------
// Structural transforms

function macLayerIndices(p: ModelProfile): number[] {
  const out: number[] = [];
  p.layers.forEach((l, i) => {
    if ((l.opClass === 'conv' || l.opClass === 'matmul' || l.opClass === 'conv-transpose' || l.opClass === 'depthwise-conv') && l.params > 0) out.push(i);
  });
  return out;
}

/**
 * Remove a fraction of filters from every conv/linear layer except the output side of the last one
 * (the classifier/head keeps its outputs) and the input side of the first one (the image keeps its channels).
 * Interior dense layers lose on both sides: MACs and params × (1-f)²; depthwise layers and the activations
 * between them × (1-f).
 */
function applyStructuredPruning(src: ModelProfile, fraction: number): TransformResult {
  const p = cloneProfile(src);
  const keep = 1 - fraction;
  const idx = macLayerIndices(p);
  if (!idx.length) return { profile: p, changes: ['no conv/linear layers with weights: nothing to prune'] };
  const first = idx[0];
  const last = idx[idx.length - 1];
  let pruned = 0;
  p.layers.forEach((l, i) => {
    if (i < first) return;
    const isMac = (l.opClass === 'conv' || l.opClass === 'matmul' || l.opClass === 'conv-transpose') && l.params > 0;
    let fin = i === first ? 1 : keep;
    let fout = i === last ? 1 : keep;
    if (i > last) {
      // After the head: outputs are the model's; inputs of these ops were the head's outputs (unpruned).
      return;
    }
    if (l.opClass === 'depthwise-conv') {
      fin = keep;
      fout = 1;
    } else if (!isMac) {
      // Elementwise/activation/pool between pruned layers: fewer channels flow through.
      fin = keep;
      fout = 1;
    }
    const f = fin * fout;
    l.macs = scaleNullable(l.macs, f);
    l.flops = scaleNullable(l.flops, fin);
    l.params = Math.round(l.params * f);
    l.weightBytes = Math.round(l.weightBytes * f);
    const actF = i === last ? 1 : keep;
    l.activationBytes = scaleNullable(l.activationBytes, actF);
    l.inputBytes = scaleNullable(l.inputBytes, i === first ? 1 : keep);
    if (isMac || l.opClass === 'depthwise-conv') pruned++;
  });
  recomputeTotals(src, p);
  rescalePeak(src, p);
  return {
    profile: p,
    changes: [`${Math.round(fraction * 100)} % of the filters removed from ${pruned} conv/linear layers (first layer's inputs and the head's outputs kept)`],
  };
}

/**
 * Input width K and output width N of a linear layer: N is the last dim of its output; K follows from the
 * bytes it reads vs writes (same element type, same rows), else from params / N. `bias` = params beyond K·N.
 */
function linearDims(l: LayerProfile): { k: number; n: number; bias: number } | null {
  const shape = l.outputShapes[0];
  if (!shape || !shape.length) return null;
  const n = shape[shape.length - 1];
  if (typeof n !== 'number' || n <= 0) return null;
  let k = Math.floor(l.params / n);
  if (l.inputBytes && l.activationBytes) {
    const fromBytes = Math.round((n * l.inputBytes) / l.activationBytes);
    if (fromBytes >= 1 && fromBytes * n <= l.params) k = fromBytes;
  }
  if (k <= 1) return null;
  return { k, n, bias: Math.max(0, l.params - k * n) };
}

function applyLowRank(src: ModelProfile): TransformResult {
  const p = cloneProfile(src);
  const { rankFraction, minLayerParams } = TECHNIQUES.lowRank;
  let count = 0;
  let saved = 0;
  for (const l of p.layers) {
    if (l.opClass !== 'matmul' || l.params < minLayerParams) continue;
    const d = linearDims(l);
    if (!d) continue;
    const r = Math.max(1, Math.floor(Math.min(d.k, d.n) * rankFraction));
    const f = (r * (d.k + d.n)) / (d.k * d.n);
    if (f >= 0.75) continue;
    const newParams = Math.round(d.k * d.n * f) + d.bias;
    saved += l.params - newParams;
    l.macs = scaleNullable(l.macs, f);
    l.weightBytes = Math.round((l.weightBytes * newParams) / l.params);
    l.params = newParams;
    count++;
  }
  recomputeTotals(src, p);
  return {
    profile: p,
    changes: count
      ? [`${count} Linear/MatMul layer${count === 1 ? '' : 's'} of ≥ ${minLayerParams.toLocaleString('en-US')} weights factorised to rank min(K,N)/${Math.round(1 / rankFraction)} (${Math.round(saved).toLocaleString('en-US')} fewer weights)`]
      : ['no Linear/MatMul layer is large enough to factorise'],
  };
}

/** Input image side (H·W) of the first 4-D input, for resolution-scaled student figures. */
export function inputPixels(p: ModelProfile): number | null {
  for (const i of p.inputs) {
    const s = i.shape;
    if (!s || s.length !== 4) continue;
    const dims = s.map((d) => (typeof d === 'number' ? d : p.dynamicShapes.bindings[String(d)] ?? 1));
    // NCHW when dim 1 is a small channel count, else NHWC.
    const [, a, b, c] = dims;
    if (a <= 4) return b * c;
    if (c <= 4) return a * b;
  }
  return null;
}

/** The scale factors a student implies for this profile: MACs, params, activations. */
export function studentFactors(p: ModelProfile, s: Student): { macs: number; params: number; activations: number } | null {
  if (s.macsFactor !== undefined && s.paramsFactor !== undefined) {
    return { macs: s.macsFactor, params: s.paramsFactor, activations: s.activationFactor ?? Math.sqrt(s.macsFactor) };
  }
  if (s.params !== undefined && s.macs === undefined) {
    // LLM students: compute per token ∝ params.
    if (p.params <= 0) return null;
    const f = s.params / p.params;
    return { macs: f, params: f, activations: Math.sqrt(f) };
  }
  if (s.macs !== undefined && s.params !== undefined) {
    if (!p.macs || p.params <= 0) return null;
    const px = inputPixels(p);
    const scale = px && s.resolution ? px / (s.resolution * s.resolution) : 1;
    const macs = (s.macs * scale) / p.macs;
    const params = s.params / p.params;
    return { macs, params, activations: Math.sqrt(macs) };
  }
  return null;
}

function applyDistillation(src: ModelProfile, s: Student): TransformResult {
  const f = studentFactors(src, s);
  const p = cloneProfile(src);
  if (!f) return { profile: p, changes: [`the ${s.name} student's size relative to this model is unknown`] };
  for (const l of p.layers) {
    l.macs = scaleNullable(l.macs, f.macs);
    l.flops = scaleNullable(l.flops, f.macs);
    l.params = Math.round(l.params * f.params);
    l.weightBytes = Math.round(l.weightBytes * f.params);
    l.activationBytes = scaleNullable(l.activationBytes, f.activations);
    l.inputBytes = scaleNullable(l.inputBytes, f.activations);
  }
  if (p.layers.length) {
    recomputeTotals(src, p);
    rescalePeak(src, p);
  } else {
    p.params = Math.round(src.params * f.params);
    p.weightBytes = Math.round(src.weightBytes * f.params);
    p.bytes = Math.max(0, Math.round(src.bytes - src.weightBytes + p.weightBytes));
    if (src.macs !== null) p.macs = src.macs * f.macs;
  }
  return {
    profile: p,
    changes: [`student ${s.name}: ≈${fmtFactor(1 / f.macs)} fewer MACs, ≈${fmtFactor(1 / f.params)} fewer parameters than this model`],
  };
}

const fmtFactor = (x: number): string => `${x >= 10 ? Math.round(x) : x.toFixed(1)}×`;

// ---------------------------------------------------------------------------------------------
// Operator rewrites and static shapes

export function findRewriteRule(op: string): OpRewriteRule | null {
  const bare = op.includes(':') && !op.startsWith('CUSTOM:') ? op.slice(op.lastIndexOf(':') + 1) : op;
  for (const r of TECHNIQUES.opRewrites) {
    if (r.re.test(op) || r.re.test(bare)) return r;
  }
  return null;
}

function applyOpRewrite(src: ModelProfile, ops: string[], fixShapes: boolean): TransformResult {
  const p = cloneProfile(src);
  const changes: string[] = [];
  const rewrites: { op: string; rule: OpRewriteRule | null; layers: number }[] = [];
  const fmt = src.format === 'tflite' ? 'tflite' : 'onnx';
  const wanted = new Set(ops);
  for (const op of wanted) {
    const rule = findRewriteRule(op);
    const hits = p.layers.filter((l) => l.op === op);
    const nodes = nodeCount(hits);
    rewrites.push({ op, rule, layers: nodes });
    if (!nodes) continue;
    if (rule?.moveToHost || rule?.remove) {
      p.layers = p.layers.filter((l) => l.op !== op);
      delete p.opHistogram[op];
      changes.push(rule.moveToHost ? `${op} ×${nodes} moved out of the graph to host post-processing` : `${op} ×${nodes} folded into constants`);
      continue;
    }
    const replacement = rule?.replacement?.[fmt] ?? null;
    if (!replacement) {
      changes.push(`${op} ×${nodes}: no standard replacement known — needs a custom rewrite (assumed to become an elementwise op the target maps)`);
    }
    const newOp = replacement ?? (fmt === 'tflite' ? 'MUL' : 'Mul');
    for (const l of hits) {
      l.op = newOp;
      if (!replacement) l.opClass = 'elementwise';
      else if (rule && /MatMul|FULLY_CONNECTED/.test(newOp)) l.opClass = 'matmul';
      else if (/Relu|RELU|Tanh|TANH/.test(newOp)) l.opClass = 'activation';
      else if (/Mul|MUL/.test(newOp)) l.opClass = 'elementwise';
    }
    p.opHistogram[newOp] = (p.opHistogram[newOp] ?? 0) + nodes;
    delete p.opHistogram[op];
    if (replacement) changes.push(`${op} ×${nodes} → ${newOp}${rule && !rule.equivalent ? ' (needs a short fine-tune)' : ''}`);
  }
  p.operatorCount = nodeCount(p.layers) || p.operatorCount;
  if (fixShapes && src.dynamicShapes.hasDynamic) {
    const bind = (d: string | number): number | string => (typeof d === 'number' ? d : p.dynamicShapes.bindings[d] ?? 1);
    for (const io of [...p.inputs, ...p.outputs]) {
      if (io.shape) io.shape = io.shape.map(bind);
    }
    for (const l of p.layers) l.outputShapes = l.outputShapes.map((s) => (s ? s.map(bind) : s));
    const b = src.dynamicShapes.symbols.map((s) => `${s}=${p.dynamicShapes.bindings[s] ?? 1}`).join(', ');
    p.dynamicShapes = { symbols: [], bindings: {}, hasDynamic: false };
    changes.push(`inputs exported with static shapes (${b || 'unknown dimensions bound to 1'})`);
  }
  recomputeTotals(src, p);
  return { profile: p, changes, rewrites };
}

// ---------------------------------------------------------------------------------------------

/** Apply one technique; techniques that do not change the model (none, change-runtime, change-device) return a copy. */
export function applyTechnique(profile: ModelProfile, technique: Technique, params: TransformParams = {}): TransformResult {
  switch (technique) {
    case 'fp16':
      return applyPrecision(profile, { classes: 'all-float', compute: 'fp16', weights: 'fp16', weightBits: 16, activationsFollowCompute: true }, 'fp16', 'fp16 weights and compute');
    case 'int8-dynamic':
      return applyPrecision(profile, { classes: INT8_DYNAMIC_CLASSES, compute: 'int8', weights: 'int8', weightBits: 8, activationsFollowCompute: false, weightsOnly: true }, 'int8-weights-only', 'int8 weights, activations quantised on the fly');
    case 'int8-ptq':
    case 'int8-qat': {
      const per = params.perChannel === false ? 'per-tensor' : 'per-channel';
      const r = applyPrecision(profile, { classes: INT8_STATIC_CLASSES, compute: 'int8', weights: 'int8', weightBits: 8, activationsFollowCompute: true }, 'int8-full', `int8 weights (${per}) and int8 activations`);
      r.profile.quantization.perChannel = params.perChannel !== false;
      return r;
    }
    case 'int4-weight-only':
      return applyPrecision(profile, { classes: new Set<OpClass>(['matmul', 'conv', 'attention', 'embedding', 'recurrent']), compute: null, weights: 'int4', weightBits: TECHNIQUES.int4Bits, activationsFollowCompute: false, weightsOnly: true }, 'block-quantized', `int4 weights (group-wise, ${TECHNIQUES.int4Bits} bits/weight), float compute`);
    case 'structured-pruning':
      return applyStructuredPruning(profile, params.fraction ?? 0.3);
    case 'sparsity': {
      // 2:4 sparsity: sparse tensor cores do the dense layers' math in half the time; weights stored at ~half plus metadata.
      const p = cloneProfile(profile);
      let n = 0;
      for (const l of p.layers) {
        if ((l.opClass === 'conv' || l.opClass === 'matmul') && l.params > 0) {
          l.macs = scaleNullable(l.macs, 0.5);
          l.weightBytes = Math.round(l.weightBytes * 0.5625);
          n++;
        }
      }
      recomputeTotals(profile, p);
      p.params = profile.params;
      return { profile: p, changes: [`${n} conv/linear layers pruned to the 2:4 pattern (sparse tensor cores: half the math, weights stored at ≈56 %)`] };
    }
    case 'distillation':
      if (!params.student) throw new Error('distillation needs a student');
      return applyDistillation(profile, params.student);
    case 'low-rank':
      return applyLowRank(profile);
    case 'op-rewrite':
      return applyOpRewrite(profile, params.ops ?? [], params.fixShapes ?? true);
    case 'none':
    case 'change-runtime':
    case 'change-device':
      return { profile: cloneProfile(profile), changes: [] };
  }
}
