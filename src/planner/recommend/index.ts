/**
 * The compression pipeline recommender: the shortest path from this model to this device's budget.
 *
 * It enumerates candidate pipelines (operator rewrites, a structural step, a precision step, a runtime
 * change), applies each to the ModelProfile (transform.ts), re-runs the estimator on the transformed
 * profile, and ranks the pipelines: those meeting every budget first, then by engineering effort
 * (no retraining < calibration data < retraining < architecture change), then by predicted accuracy
 * drop. Budget flags decide what is allowed: retraining=false removes QAT, pruning, distillation,
 * low-rank and sparsity; calibrationData=false removes static PTQ. When nothing fits, it says so, shows
 * the closest pipeline with what it misses and by how much, and re-estimates every other catalog
 * device with its own best pipeline. No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import type {
  Alternative,
  BudgetCheck,
  Budgets,
  ComputePrecision,
  DeviceEstimate,
  Effort,
  PipelineStep,
  Prediction,
  Range,
  Recommendation,
  RecommendationResult,
  StepExpectation,
  Technique,
} from '../types';
import { estimateDevice } from '../estimate';
import type { DeviceCorrection } from '../estimate/measurements';
import { loadCatalog, type DeviceSpec } from '../catalog';
import { applyTechnique, findRewriteRule, INT8_DYNAMIC_CLASSES, INT8_STATIC_CLASSES, studentFactors } from './transform';
import { TECHNIQUES, citation, type DeviceClass, type OpRewriteRule, type Student, type StudentFamily } from './technique-table';
import { commandsFor, int16ActivationCommands, isLlm, type CommandContext } from './commands';
import { operationalPlan } from './operations';

export interface RecommendOptions {
  precision?: ComputePrecision;
  /** How many pipelines to return for the chosen device (default 3). */
  maxPipelines?: number;
  /** Re-estimate the other catalog devices (default: only when nothing fits the chosen one). */
  alternatives?: 'auto' | 'always' | 'never';
  /** The user's own measurements per device: every estimate of a device found here is corrected. */
  corrections?: ReadonlyMap<string, DeviceCorrection>;
}

export class RecommendInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecommendInputError';
  }
}

const EFFORT_RANK: Record<Effort, number> = { none: 0, 'no-retraining': 1, 'calibration-data': 2, retraining: 3, 'architecture-change': 4 };
const maxEffort = (a: Effort, b: Effort): Effort => (EFFORT_RANK[a] >= EFFORT_RANK[b] ? a : b);

// ---------------------------------------------------------------------------------------------
// Device and model traits

/** The device class that decides what a technique accelerates. */
export function deviceClassOf(spec: DeviceSpec): DeviceClass {
  if (spec.kind === 'mcu') return 'mcu';
  const acc = spec.accelerator;
  if (acc) {
    if (acc.opSupport === 'edgetpu') return 'edgetpu';
    if (acc.opSupport === 'tensorrt') return 'gpu-tensorrt';
    if (acc.opSupport === 'ane') return 'ane';
    if (acc.opSupport === 'hexagon-htp') return 'htp';
  }
  return spec.cpu?.precisions.fp16 === 'native' ? 'cpu-fp16' : 'cpu';
}

export interface ModelTraits {
  depthwiseHeavy: boolean;
  transformer: boolean;
  llm: boolean;
  family: StudentFamily;
  /** The model computes in float (fp32/fp16) — quantization steps apply. */
  float: boolean;
  /** Already fp16 (or bf16). */
  half: boolean;
  /** Has conv/linear layers with weights (pruning applies). */
  prunable: boolean;
  /** Share of MACs in layers a full-integer converter quantizes. */
  int8StaticShare: number;
  int8DynamicShare: number;
}

export function modelTraits(p: ModelProfile): ModelTraits {
  let convCount = 0;
  let dwCount = 0;
  let attention = 0;
  let softmax = 0;
  let norm = 0;
  let matmulW = 0;
  let totalMacs = 0;
  let staticMacs = 0;
  let dynamicMacs = 0;
  let floatMacs = 0;
  let halfMacs = 0;
  for (const l of p.layers) {
    if (l.opClass === 'conv') convCount++;
    if (l.opClass === 'depthwise-conv') dwCount++;
    if (l.opClass === 'attention') attention++;
    if (l.opClass === 'softmax') softmax++;
    if (l.opClass === 'normalization') norm++;
    if (l.opClass === 'matmul' && l.params > 0) matmulW++;
    const m = (l.macs ?? 0) + (l.flops ?? 0) / 2;
    totalMacs += m;
    if (INT8_STATIC_CLASSES.has(l.opClass)) staticMacs += m;
    if (INT8_DYNAMIC_CLASSES.has(l.opClass) && l.params > 0) dynamicMacs += m;
    if (l.precision === 'fp32' || l.precision === 'fp16' || l.precision === 'bf16' || l.precision === 'fp64') floatMacs += m;
    if (l.precision === 'fp16' || l.precision === 'bf16') halfMacs += m;
  }
  const llm = isLlm(p);
  const transformer = llm || attention > 0 || (softmax > 0 && norm > 0 && matmulW >= 4 && convCount <= matmulW);
  const q = p.quantization.state;
  const float = p.layers.length ? floatMacs > 0.5 * totalMacs && q !== 'int8-full' && q !== 'qdq' && q !== 'compiled' : q === 'float' || q === 'fp16' || q === 'bf16' || q === 'unknown';
  const half = p.layers.length ? halfMacs > 0.5 * totalMacs : q === 'fp16' || q === 'bf16';
  return {
    depthwiseHeavy: dwCount >= 3 && dwCount / Math.max(1, convCount + dwCount) >= 0.2,
    transformer,
    llm,
    family: familyOf(p, llm, transformer, convCount + dwCount),
    float,
    half,
    prunable: p.layers.some((l) => (l.opClass === 'conv' || l.opClass === 'matmul') && l.params > 0),
    int8StaticShare: totalMacs > 0 ? staticMacs / totalMacs : 1,
    int8DynamicShare: totalMacs > 0 ? dynamicMacs / totalMacs : 1,
  };
}

function familyOf(p: ModelProfile, llm: boolean, transformer: boolean, convs: number): StudentFamily {
  if (llm) return 'llm';
  if (transformer && convs === 0) return 'transformer-encoder';
  const ops = Object.keys(p.opHistogram).join(' ');
  const name = (p.file || '').toLowerCase();
  if (/NonMaxSuppression|Detection_PostProcess|NON_MAX_SUPPRESSION/i.test(ops) || /yolo|ssd|detect|retina|det\b/.test(name)) return 'detector';
  if (convs >= 3) {
    const out = p.outputs[0]?.shape;
    if (out && out.length === 2) return 'cnn-classifier';
    if (out && out.length === 3 && p.outputs.length <= 2) return 'detector';
  }
  return 'generic';
}

// ---------------------------------------------------------------------------------------------
// Candidate pipelines

interface StepSpec {
  technique: Technique;
  perChannel?: boolean;
  fraction?: number;
  student?: Student;
  ops?: string[];
  runtime?: { id: string; name: string };
}

interface Evaluated {
  steps: StepSpec[];
  profile: ModelProfile;
  /** Transform notes per step, in order. */
  changes: string[][];
  rewrites?: { op: string; rule: OpRewriteRule | null; layers: number }[];
  estimate: DeviceEstimate | null;
  /** Why it cannot be estimated/run (estimator error, precision not supported). */
  error: string | null;
  accuracy: Range;
  effort: Effort;
  check: BudgetCheck;
  runs: boolean;
  meetsAll: boolean;
  misses: string[];
  /** Sum of log over-budget ratios (0 when everything fits); for ranking pipelines that miss. */
  distance: number;
}

const PRECISION_STEPS: ReadonlySet<Technique> = new Set(['fp16', 'int8-dynamic', 'int8-ptq', 'int8-qat', 'int4-weight-only']);

/** The compute precision the estimator should assume after a pipeline. */
function pipelinePrecision(steps: StepSpec[], fallback: ComputePrecision | undefined): ComputePrecision | undefined {
  const p = [...steps].reverse().find((s) => PRECISION_STEPS.has(s.technique));
  if (!p) return fallback;
  switch (p.technique) {
    case 'fp16':
      return 'fp16';
    case 'int4-weight-only':
      return 'int4';
    default:
      return 'int8';
  }
}

function precisionOptions(spec: DeviceSpec, cls: DeviceClass, t: ModelTraits, b: Budgets): StepSpec[] {
  const out: StepSpec[] = [{ technique: 'none' }];
  const has = (p: ComputePrecision): boolean => spec.precisions.includes(p);
  const runsOn = (tech: string): boolean => TECHNIQUES.entries[tech].speedup[cls] !== null;
  const perTensorOnly = spec.constraints.some((c) => /per-tensor/i.test(c.text) && /only|requires|must/i.test(c.text));
  if (!t.float) {
    // Already integer: only weight-only int4 on top may still help LLM-style models.
    if (t.llm && has('int4')) out.push({ technique: 'int4-weight-only' });
    return out;
  }
  if (!t.half && has('fp16') && runsOn('fp16')) out.push({ technique: 'fp16' });
  if (has('int8') && runsOn('int8-dynamic') && !t.llm) out.push({ technique: 'int8-dynamic' });
  if (has('int8') && b.calibrationData !== false && !t.llm) out.push({ technique: 'int8-ptq', perChannel: !perTensorOnly });
  if (has('int8') && b.retraining !== false && !t.llm) out.push({ technique: 'int8-qat', perChannel: !perTensorOnly });
  if (has('int4') && runsOn('int4-weight-only') && (t.llm || t.transformer)) out.push({ technique: 'int4-weight-only' });
  if (t.llm && has('int8') && cls !== 'edgetpu' && cls !== 'mcu') out.push({ technique: 'int8-dynamic' });
  return out;
}

function structureOptions(p: ModelProfile, cls: DeviceClass, t: ModelTraits, b: Budgets, reduced: boolean): StepSpec[] {
  const out: StepSpec[] = [{ technique: 'none' }];
  if (b.retraining === false) return out;
  if (t.prunable && !t.llm) {
    const fractions = reduced ? [TECHNIQUES.pruning.fractions[TECHNIQUES.pruning.fractions.length - 1]] : TECHNIQUES.pruning.fractions;
    for (const f of fractions) out.push({ technique: 'structured-pruning', fraction: f });
  }
  if (!reduced && p.layers.some((l) => l.opClass === 'matmul' && l.params >= TECHNIQUES.lowRank.minLayerParams)) out.push({ technique: 'low-rank' });
  if (!reduced && TECHNIQUES.sparsityAcceleratedOn.includes(cls) && t.prunable) out.push({ technique: 'sparsity' });
  const students = TECHNIQUES.students.filter((s) => s.family === t.family || (s.family === 'generic' && t.family === 'generic'));
  const usable = students
    .map((s) => ({ s, f: studentFactors(p, s) }))
    .filter((x) => x.f !== null && x.f.macs < 0.7 && x.f.params < 1.2)
    .sort((a, b2) => b2.f!.macs - a.f!.macs); // mildest first
  for (const x of reduced ? usable.slice(-1) : usable) out.push({ technique: 'distillation', student: x.s });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Expected effect per step (table ranges adjusted for the model and device)

const scaleRange = (r: Range, f: number): Range => ({ low: r.low * f, typical: r.typical * f, high: r.high * f });
const addRange = (a: Range, b: Range): Range => ({ low: a.low + b.low, typical: a.typical + b.typical, high: a.high + b.high });
const ZERO: Range = { low: 0, typical: 0, high: 0 };
const ONE: Range = { low: 1, typical: 1, high: 1 };

function sensitivity(tech: string, t: ModelTraits): { factor: number; why: string[] } {
  let factor = 1;
  const why: string[] = [];
  const dw = TECHNIQUES.sensitivity['depthwise-heavy'][tech];
  const tr = TECHNIQUES.sensitivity.transformer[tech];
  if (t.depthwiseHeavy && typeof dw === 'number' && dw > factor) {
    factor = dw;
    why.push(`depthwise-heavy model (×${dw})`);
  }
  if (t.transformer && !t.llm && typeof tr === 'number' && tr > factor) {
    factor = tr;
    why.push(`transformer activations (×${tr})`);
  }
  return { factor, why };
}

function stepAccuracy(s: StepSpec, p: ModelProfile, t: ModelTraits): { range: Range; notes: string[] } {
  const e = TECHNIQUES.entries[s.technique];
  switch (s.technique) {
    case 'int8-ptq': {
      const key = s.perChannel === false ? 'int8-ptq-per-tensor' : 'int8-ptq';
      const base = s.perChannel === false ? TECHNIQUES.perTensorAccuracyDrop : e.accuracyDropPoints;
      const sens = sensitivity(key, t);
      return { range: scaleRange(base, sens.factor), notes: sens.why };
    }
    case 'int4-weight-only': {
      const small = !t.llm && p.params < 1e9;
      const base = small ? TECHNIQUES.smallModelInt4AccuracyDrop : e.accuracyDropPoints;
      const sens = sensitivity('int4-weight-only', t);
      return { range: scaleRange(base, sens.factor), notes: small ? ['small (non-LLM) model: 4-bit weights cost more', ...sens.why] : sens.why };
    }
    case 'structured-pruning': {
      const base = TECHNIQUES.pruning.accuracy[String(s.fraction ?? 0.3)] ?? e.accuracyDropPoints;
      const sens = sensitivity('structured-pruning', t);
      return { range: scaleRange(base, sens.factor), notes: sens.why };
    }
    case 'distillation': {
      const f = s.student ? studentFactors(p, s.student) : null;
      const ratio = f ? 1 / f.macs : 2;
      const row = TECHNIQUES.distillationByRatio.find((r) => ratio <= r.maxRatio) ?? TECHNIQUES.distillationByRatio[TECHNIQUES.distillationByRatio.length - 1];
      return { range: row.range, notes: [`≈${ratio.toFixed(1)}× fewer MACs`] };
    }
    case 'op-rewrite': {
      const needsTune = (s.ops ?? []).some((op) => {
        const r = findRewriteRule(op);
        return !r || !r.equivalent;
      });
      return { range: needsTune ? e.accuracyDropPoints : ZERO, notes: [] };
    }
    default: {
      const sens = sensitivity(s.technique, t);
      return { range: scaleRange(e.accuracyDropPoints, sens.factor), notes: sens.why };
    }
  }
}

function stepEffort(s: StepSpec): Effort {
  if (s.technique === 'op-rewrite') {
    const needsTune = (s.ops ?? []).some((op) => {
      const r = findRewriteRule(op);
      return !r || !r.equivalent;
    });
    return needsTune ? 'retraining' : 'no-retraining';
  }
  return TECHNIQUES.entries[s.technique].effort;
}

/** Table speed-up for the device class, capped by the share of work the step converts (ops left in float). */
function stepSpeedup(s: StepSpec, cls: DeviceClass, t: ModelTraits): Range | undefined {
  const e = TECHNIQUES.entries[s.technique];
  if (s.technique === 'structured-pruning') return TECHNIQUES.pruning.speedup[String(s.fraction ?? 0.3)];
  if (s.technique === 'distillation' || s.technique === 'op-rewrite' || s.technique === 'change-runtime' || s.technique === 'change-device' || s.technique === 'none') return undefined;
  const r = e.speedup[cls];
  if (r === null) return ONE;
  if (r === undefined) return ONE;
  const share = s.technique === 'int8-dynamic' ? t.int8DynamicShare : s.technique === 'int8-ptq' || s.technique === 'int8-qat' ? t.int8StaticShare : 1;
  if (share >= 0.999 || cls === 'edgetpu') return r;
  const amdahl = (x: number): number => 1 / (1 - share + share / x);
  return { low: amdahl(r.low), typical: amdahl(r.typical), high: amdahl(r.high) };
}

function stepSize(s: StepSpec, before: ModelProfile, after: ModelProfile): Range | undefined {
  const e = TECHNIQUES.entries[s.technique];
  const actual = before.weightBytes > 0 ? after.weightBytes / before.weightBytes : 1;
  if (s.technique === 'structured-pruning') return TECHNIQUES.pruning.size[String(s.fraction ?? 0.3)];
  if (s.technique === 'distillation' || s.technique === 'low-rank' || s.technique === 'op-rewrite') return { low: actual, typical: actual, high: actual };
  if (!e.sizeFactor) return undefined;
  // Weights already narrower than the table assumes (a partly quantized model): the measured factor wins.
  if (actual > e.sizeFactor.high * 1.05) return { low: Math.min(actual, e.sizeFactor.low), typical: actual, high: Math.max(actual, e.sizeFactor.high) };
  return e.sizeFactor;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

interface Ctx {
  spec: DeviceSpec;
  cls: DeviceClass;
  budgets: Budgets;
  traits: ModelTraits;
  basePrecision: ComputePrecision | undefined;
  corrections?: ReadonlyMap<string, DeviceCorrection>;
}

const MB = 1024 * 1024;

function safeEstimate(p: ModelProfile, deviceId: string, opts: { precision?: ComputePrecision; runtime?: string; budgets?: Budgets; corrections?: ReadonlyMap<string, DeviceCorrection> }): { est: DeviceEstimate | null; error: string | null } {
  try {
    return { est: estimateDevice(p, deviceId, opts), error: null };
  } catch (e) {
    return { est: null, error: (e as Error).message };
  }
}

function evaluate(profile: ModelProfile, steps: StepSpec[], ctx: Ctx): Evaluated {
  let p = profile;
  const changes: string[][] = [];
  let rewrites: Evaluated['rewrites'];
  let accuracy = ZERO;
  let effort: Effort = 'none';
  for (const s of steps) {
    if (s.technique === 'none') continue;
    const r = applyTechnique(p, s.technique, { perChannel: s.perChannel, fraction: s.fraction, student: s.student, ops: s.ops, fixShapes: true });
    changes.push(r.changes);
    if (r.rewrites) rewrites = r.rewrites;
    accuracy = addRange(accuracy, stepAccuracy(s, p, ctx.traits).range);
    effort = maxEffort(effort, stepEffort(s));
    p = r.profile;
  }
  const precision = pipelinePrecision(steps, ctx.basePrecision);
  const runtime = steps.find((s) => s.technique === 'change-runtime')?.runtime?.id;
  let est: DeviceEstimate | null = null;
  let error: string | null = null;
  if (precision && !ctx.spec.precisions.includes(precision)) {
    error = `${ctx.spec.name} cannot compute in ${precision}`;
  } else {
    ({ est, error } = safeEstimate(p, ctx.spec.id, { precision, runtime, budgets: ctx.budgets, corrections: ctx.corrections }));
  }
  const ev: Evaluated = { steps, profile: p, changes, rewrites, estimate: est, error, accuracy, effort, check: {}, runs: false, meetsAll: false, misses: [], distance: Infinity };
  judge(ev, ctx);
  return ev;
}

const fmtMs = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtMb = (bytes: number): string => `${(bytes / MB).toFixed(bytes >= 100 * MB ? 0 : 1)} MB`;

/** Fill in budget checks, misses and the distance to the budgets. */
function judge(ev: Evaluated, ctx: Ctx): void {
  const b = ctx.budgets;
  const est = ev.estimate;
  if (!est) {
    ev.runs = false;
    ev.misses = [`cannot be estimated on ${ctx.spec.name}: ${ev.error ?? 'unknown reason'}`];
    return;
  }
  const misses: string[] = [];
  let distance = 0;
  const verdict = est.compatibility.verdict;
  ev.runs = verdict !== 'unsupported' && !(verdict === 'none' && ctx.spec.accelerator !== null);
  if (verdict === 'unsupported') {
    misses.push(`does not run on ${ctx.spec.name}: ${est.compatibility.summary}`);
    distance += 10;
  } else if (!ev.runs) {
    misses.push(`nothing runs on the accelerator: ${est.compatibility.summary}`);
    distance += 3;
  }
  const check: BudgetCheck = {};
  if (b.latencyMs !== undefined) {
    const v = est.latencyMs.typical;
    check.latency = Number.isFinite(v) && v <= b.latencyMs;
    if (!Number.isFinite(v)) {
      misses.push(`latency cannot be estimated on ${ctx.spec.name}`);
      distance += 5;
    } else if (!check.latency) {
      misses.push(`latency ${fmtMs(v)} ms vs the ${fmtMs(b.latencyMs)} ms budget (+${fmtMs(v - b.latencyMs)} ms, ${(v / b.latencyMs).toFixed(1)}× over)`);
      distance += Math.log(v / b.latencyMs);
    }
  }
  // Memory: the device itself (RAM / MCU arena / flash), then the user's budget.
  const m = est.memory;
  const deviceFits = m.fits !== false && (m.flash ? m.flash.fits !== false : true);
  let memOk = deviceFits;
  if (!deviceFits) {
    if (m.fits === false && m.limitBytes !== null && m.totalBytes > m.limitBytes) {
      misses.push(`memory ${fmtMb(m.totalBytes)} does not fit the device's ${fmtMb(m.limitBytes)} (short by ${fmtMb(m.totalBytes - m.limitBytes)})`);
      distance += Math.log(m.totalBytes / Math.max(1, m.limitBytes));
    }
    if (m.flash && m.flash.fits === false && m.flash.limitBytes !== null) {
      misses.push(`flash ${fmtMb(m.flash.neededBytes)} does not fit the device's ${fmtMb(m.flash.limitBytes)} (short by ${fmtMb(m.flash.neededBytes - m.flash.limitBytes)})`);
      distance += Math.log(m.flash.neededBytes / Math.max(1, m.flash.limitBytes));
    }
  }
  if (b.memoryMb !== undefined) {
    const limit = m.budget?.limitBytes ?? b.memoryMb * MB;
    const fits = m.budget ? m.budget.fits : m.totalBytes <= limit;
    memOk = memOk && fits;
    if (!fits) {
      misses.push(`memory ${fmtMb(m.totalBytes)} vs the ${fmtMb(limit)} budget (+${fmtMb(m.totalBytes - limit)}, ${(m.totalBytes / limit).toFixed(1)}× over)`);
      distance += Math.log(m.totalBytes / limit);
    }
  }
  if (b.memoryMb !== undefined || !deviceFits) check.memory = memOk;
  if (b.powerW !== undefined && est.powerW) {
    check.power = est.powerW.typical <= b.powerW;
    if (!check.power) {
      misses.push(`power ${est.powerW.typical.toFixed(2)} W vs the ${b.powerW} W budget`);
      distance += Math.log(est.powerW.typical / b.powerW);
    }
  }
  if (b.energyMj !== undefined && est.energyMj) {
    check.energy = est.energyMj.typical <= b.energyMj;
    if (!check.energy) {
      misses.push(`energy ${est.energyMj.typical.toFixed(2)} mJ per inference vs the ${b.energyMj} mJ budget`);
      distance += Math.log(est.energyMj.typical / b.energyMj);
    }
  }
  if (b.accuracyDrop !== undefined) {
    check.accuracy = ev.accuracy.typical <= b.accuracyDrop + 1e-9;
    if (!check.accuracy) {
      misses.push(`expected accuracy drop ≈${ev.accuracy.typical.toFixed(1)} points vs the ${b.accuracyDrop} point budget`);
      distance += Math.log((ev.accuracy.typical + 0.1) / (b.accuracyDrop + 0.1));
    }
  }
  ev.check = check;
  ev.misses = misses;
  ev.meetsAll = ev.runs && Object.values(check).every((v) => v !== false);
  ev.distance = ev.meetsAll ? 0 : distance;
}

function techniquesOf(ev: Evaluated): Technique[] {
  return ev.steps.map((s) => s.technique).filter((t) => t !== 'none');
}

/** Meets-all first, then effort, then accuracy, then fewer steps, then latency; misses ranked by distance. */
function compareEvaluated(a: Evaluated, b: Evaluated): number {
  if (a.meetsAll !== b.meetsAll) return a.meetsAll ? -1 : 1;
  if (!a.meetsAll) {
    if (a.runs !== b.runs) return a.runs ? -1 : 1;
    if (Math.abs(a.distance - b.distance) > 1e-6) return a.distance - b.distance;
  }
  const e = EFFORT_RANK[a.effort] - EFFORT_RANK[b.effort];
  if (e !== 0) return e;
  const acc = a.accuracy.typical - b.accuracy.typical;
  if (Math.abs(acc) > 0.05) return acc;
  const la = a.estimate?.latencyMs.typical ?? Infinity;
  const lb = b.estimate?.latencyMs.typical ?? Infinity;
  // Clearly faster (e.g. the whole graph on the accelerator instead of part of it) beats fewer steps.
  if (Number.isFinite(la) && Number.isFinite(lb) && Math.max(la, lb) > 1.25 * Math.min(la, lb)) return la - lb;
  const n = techniquesOf(a).length - techniquesOf(b).length;
  if (n !== 0) return n;
  return la - lb;
}

/**
 * Ops the target cannot run: "X is not supported by <accelerator>" or "X is not in the <runtime> kernel set".
 * Not the ones pushed to the CPU only because an earlier op broke the Edge TPU prefix, nor precision gaps
 * (those are what the quantization steps fix).
 */
function rewritableOps(est: DeviceEstimate | null): string[] {
  if (!est) return [];
  const ops = new Set<string>();
  for (const f of est.compatibility.fallback) {
    const m = /^(\S+) is not (supported by|in the)/.exec(f.reason);
    if (!m) continue;
    if (/^(fp32|fp16|int8|int16|int4)$/.test(m[1])) continue;
    ops.add(f.op);
  }
  return [...ops];
}

function needsStaticShapes(est: DeviceEstimate | null, p: ModelProfile): boolean {
  return p.dynamicShapes.hasDynamic && !!est && est.compatibility.blockers.some((b) => /dynamic/i.test(b));
}

/** All candidates for one device, evaluated. `reduced` = a smaller set (for the alternatives across the catalog). */
function searchDevice(
  profile: ModelProfile,
  spec: DeviceSpec,
  budgets: Budgets,
  basePrecision: ComputePrecision | undefined,
  reduced: boolean,
  corrections?: ReadonlyMap<string, DeviceCorrection>,
): { baseline: Evaluated; all: Evaluated[]; ctx: Ctx } {
  const traits = modelTraits(profile);
  const cls = deviceClassOf(spec);
  const ctx: Ctx = { spec, cls, budgets, traits, basePrecision: basePrecision && spec.precisions.includes(basePrecision) ? basePrecision : undefined, corrections };
  const baseline = evaluate(profile, [], ctx);
  const all: Evaluated[] = [baseline];
  const precisions = precisionOptions(spec, cls, traits, budgets);
  const structures = structureOptions(profile, cls, traits, budgets, reduced);
  for (const st of structures) {
    for (const pr of precisions) {
      if (st.technique === 'none' && pr.technique === 'none') continue;
      const steps = [st, pr].filter((s) => s.technique !== 'none');
      all.push(evaluate(profile, steps, ctx));
    }
  }
  // Operator rewrites / static shapes where the estimate shows ops the target cannot map.
  const withRewrites: Evaluated[] = [];
  const seen = new Set<string>();
  for (const ev of all) {
    const ops = rewritableOps(ev.estimate);
    const shapes = needsStaticShapes(ev.estimate, ev.profile);
    if (!ops.length && !shapes) continue;
    const allowed = budgets.retraining === false ? ops.filter((op) => findRewriteRule(op)?.equivalent) : ops;
    if (!allowed.length && !shapes) continue;
    const key = `${allowed.sort().join(',')}|${ev.steps.map((s) => s.technique + (s.fraction ?? '') + (s.student?.name ?? '')).join('+')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const rw: StepSpec = { technique: 'op-rewrite', ops: allowed };
    withRewrites.push(evaluate(profile, [rw, ...ev.steps], ctx));
  }
  all.push(...withRewrites);
  // A different runtime for the best few (same model, other kernels).
  if (!reduced && spec.runtimes.length > 1) {
    const top = [...all].sort(compareEvaluated).slice(0, 3);
    const def = spec.runtimes.find((r) => r.default) ?? spec.runtimes[0];
    for (const ev of top) {
      if (!ev.estimate) continue;
      for (const rt of spec.runtimes) {
        if (rt.id === def.id) continue;
        const alt = evaluate(profile, [...ev.steps, { technique: 'change-runtime', runtime: rt }], ctx);
        if (alt.estimate && alt.estimate.latencyMs.typical < 0.85 * ev.estimate.latencyMs.typical) all.push(alt);
      }
    }
  }
  return { baseline, all, ctx };
}

// ---------------------------------------------------------------------------------------------
// Turning evaluated pipelines into recommendations

const PER = (s: StepSpec): string => (s.perChannel === false ? 'per-tensor' : 'per-channel');

function stepTitle(s: StepSpec): string {
  const e = TECHNIQUES.entries[s.technique];
  switch (s.technique) {
    case 'int8-ptq':
      return `${e.title}, ${PER(s)} weights`;
    case 'structured-pruning':
      return `${e.title}: ${Math.round((s.fraction ?? 0.3) * 100)} % of the filters`;
    case 'distillation':
      return `${e.title}: ${s.student?.name ?? 'student'}`;
    case 'op-rewrite':
      return s.ops && s.ops.length ? `Rewrite ${s.ops.join(', ')} so the target maps the whole graph` : 'Export with static input shapes';
    case 'change-runtime':
      return `Switch the runtime to ${s.runtime?.name ?? 'another runtime'}`;
    default:
      return e.title;
  }
}

const ACC_NAME: Record<DeviceClass, string> = {
  'cpu-fp16': 'CPU',
  cpu: 'CPU',
  'gpu-tensorrt': 'GPU (TensorRT)',
  edgetpu: 'Edge TPU',
  ane: 'Neural Engine',
  htp: 'Hexagon NPU',
  mcu: 'microcontroller',
};

function stepWhy(s: StepSpec, ev: Evaluated, ctx: Ctx, index: number, accNotes: string[]): string {
  const cls = ctx.cls;
  const t = ctx.traits;
  const dev = ctx.spec.name;
  const parts: string[] = [];
  switch (s.technique) {
    case 'fp16':
      parts.push(
        cls === 'ane'
          ? 'FP16 is the Neural Engine\'s native precision (Core ML\'s default); FP32 layers would run on the CPU/GPU.'
          : cls === 'cpu-fp16'
            ? `${dev} has native FP16 arithmetic: XNNPACK/ONNX Runtime roughly double throughput over FP32 at no accuracy cost.`
            : cls === 'gpu-tensorrt'
              ? 'TensorRT FP16 uses the tensor cores: the usual first step on Jetson, accuracy-neutral.'
              : 'Halves the weights and activations at no measurable accuracy cost.',
      );
      break;
    case 'int8-dynamic':
      parts.push(ctx.budgets.calibrationData === false ? 'No calibration data is available, so activations are quantised on the fly: int8 weights for the MatMul/Conv layers, no calibration set needed (CPU only).' : 'int8 weights and on-the-fly activation quantization for the Linear/MatMul layers: no calibration set, CPU only.');
      break;
    case 'int8-ptq':
      parts.push(
        cls === 'edgetpu'
          ? 'The Edge TPU runs only fully 8-bit quantized models: without full-integer quantization nothing runs on it.'
          : cls === 'mcu'
            ? 'Microcontroller kernels (CMSIS-NN, X-CUBE-AI, ESP-DL) are fast only in int8, and int8 weights take a quarter of the flash.'
            : cls === 'htp'
              ? 'The Hexagon NPU is fastest in int8 (A8W8); weights shrink 4× as well.'
              : cls === 'gpu-tensorrt'
                ? 'TensorRT INT8 on the tensor cores, with the calibrated scales from a QDQ model.'
                : cls === 'ane'
                  ? 'W8A8: int8 activations and weights — a speed-up only on A17 Pro / M4 Neural Engines, a size win elsewhere.'
                  : 'Full-integer kernels are 2-4× faster than FP32 on Arm CPUs and weights shrink 4×.',
      );
      parts.push(`Needs 300-500 representative calibration samples. ${s.perChannel === false ? 'Per-tensor weights (the target requires them).' : 'Per-channel weights keep depthwise and narrow layers accurate.'}`);
      break;
    case 'int8-qat':
      parts.push(`Quantization-aware fine-tuning: the same int8 model as static PTQ, but it learns to absorb the rounding; use it when PTQ costs too much accuracy${t.depthwiseHeavy || t.transformer ? ' — this model is quantization-sensitive' : ''}.`);
      break;
    case 'int4-weight-only':
      parts.push(t.llm || t.transformer ? 'Decoding is memory-bound: 4-bit weights cut the bytes read per token about 4× against FP16 (GPTQ/AWQ/llama.cpp Q4_K).' : '4-bit weights shrink the model; compute stays in float, so the gain is size and bandwidth.');
      break;
    case 'structured-pruning':
      parts.push(`Removing ${Math.round((s.fraction ?? 0.3) * 100)} % of the filters cuts MACs and weights on every device (dense kernels stay dense); needs a fine-tune to recover accuracy.`);
      break;
    case 'sparsity':
      parts.push(`${dev}'s Ampere sparse tensor cores run 2:4-sparse weights at up to twice the math rate; needs a fine-tune with the 2:4 mask.`);
      break;
    case 'distillation':
      parts.push(`Train ${s.student?.name ?? 'a smaller student'} on this model's soft outputs (Hinton et al.): a much smaller network the device can afford.`);
      break;
    case 'low-rank':
      parts.push('Factorising the large Linear/MatMul weights into two thin matrices cuts their MACs and weights; needs a short fine-tune.');
      break;
    case 'op-rewrite': {
      const rw = ev.rewrites ?? [];
      const names = rw.filter((r) => r.layers > 0).map((r) => `${r.op} (${r.layers} node${r.layers === 1 ? '' : 's'}): ${r.rule?.advice ?? 'replace it with supported ops or move it out of the graph'}`);
      if (names.length) parts.push(`${ACC_NAME[cls]} cannot map ${names.length === 1 ? 'this op' : 'these ops'} — ${cls === 'edgetpu' ? 'the first one sends it and everything after it to the CPU' : 'each one falls back to the CPU with a copy in and out'}. ${names.join('; ')}.`);
      if (ev.profile.dynamicShapes.hasDynamic === false && (ev.changes[index] ?? []).some((c) => /static shapes/.test(c))) parts.push('The accelerator compiles for one shape: export with static input shapes.');
      break;
    }
    case 'change-runtime':
      parts.push(`The same model runs faster with ${s.runtime?.name ?? 'another runtime'} on ${dev} (per the catalog's measured runtime factors).`);
      break;
    default:
      break;
  }
  if (accNotes.length) parts.push(`Accuracy range adjusted for: ${accNotes.join(', ')}.`);
  const ch = ev.changes[index];
  if (ch && ch.length) parts.push(`Applied to this model: ${ch.join('; ')}.`);
  return parts.join(' ');
}

function prediction(ev: Evaluated): Prediction {
  const est = ev.estimate;
  return {
    latencyMs: est ? est.latencyMs : { low: NaN, typical: NaN, high: NaN },
    memoryBytes: est ? est.memory.totalBytes : NaN,
    energyMj: est ? est.energyMj : null,
    accuracyDrop: ev.accuracy,
  };
}

function toRecommendation(ev: Evaluated, profile: ModelProfile, ctx: Ctx): Recommendation {
  const steps: PipelineStep[] = [];
  let before = profile;
  let beforeEst: DeviceEstimate | null = null;
  const concrete = ev.steps.filter((s) => s.technique !== 'none');
  concrete.forEach((s, i) => {
    const prefix = concrete.slice(0, i + 1);
    const after = applyTechnique(before, s.technique, { perChannel: s.perChannel, fraction: s.fraction, student: s.student, ops: s.ops, fixShapes: true });
    const acc = stepAccuracy(s, before, ctx.traits);
    const expected: StepExpectation = { accuracyDropPoints: acc.range };
    const size = stepSize(s, before, after.profile);
    if (size) expected.sizeFactor = size;
    const sp = stepSpeedup(s, ctx.cls, ctx.traits);
    if (sp) expected.speedup = sp;
    // Re-estimated effect of this step on the device (the estimator on the profile after it).
    const stepEval = i === concrete.length - 1 ? ev : evaluate(profile, prefix, ctx);
    let why = stepWhy(s, { ...ev, profile: after.profile, rewrites: after.rewrites ?? ev.rewrites, changes: [after.changes] }, ctx, 0, acc.notes);
    const prevLat = beforeEst?.latencyMs.typical ?? (i === 0 ? evaluate(profile, [], ctx).estimate?.latencyMs.typical : undefined);
    const prevMem = beforeEst?.memory.totalBytes ?? (i === 0 ? evaluate(profile, [], ctx).estimate?.memory.totalBytes : undefined);
    if (stepEval.estimate && prevLat !== undefined && prevMem !== undefined) {
      why += ` Re-estimated on ${ctx.spec.name}: latency ${fmtMs(prevLat)} → ${fmtMs(stepEval.estimate.latencyMs.typical)} ms, memory ${fmtMb(prevMem)} → ${fmtMb(stepEval.estimate.memory.totalBytes)}.`;
    }
    const cmdCtx: CommandContext = {
      profile: before,
      deviceClass: ctx.cls,
      deviceId: ctx.spec.id,
      deviceName: ctx.spec.name,
      perChannel: s.perChannel,
      fraction: s.fraction,
      student: s.student,
      rewrites: after.rewrites,
      runtime: s.runtime?.name,
    };
    const commands = commandsFor(s.technique, cmdCtx);
    if ((s.technique === 'int8-ptq' || s.technique === 'int8-qat') && ctx.traits.transformer && (ctx.cls === 'htp' || ctx.cls === 'mcu')) commands.push(...int16ActivationCommands(cmdCtx));
    const sourceIds = s.technique === 'distillation' && s.student ? [...new Set([s.student.source, 'HINTON-KD'])] : TECHNIQUES.entries[s.technique].sources;
    steps.push({ technique: s.technique, title: stepTitle(s), why, expected, source: citation(sourceIds), commands, effort: stepEffort(s) });
    before = after.profile;
    beforeEst = stepEval.estimate;
  });
  const est = ev.estimate;
  const titles = steps.map((s) => s.title).join(' → ') || 'the model as it is';
  const summary = est
    ? `${titles}: ${fmtMs(est.latencyMs.typical)} ms (${fmtMs(est.latencyMs.low)}-${fmtMs(est.latencyMs.high)}), ${fmtMb(est.memory.totalBytes)}, accuracy drop ≈${ev.accuracy.typical.toFixed(1)} points (${ev.accuracy.low.toFixed(1)}-${ev.accuracy.high.toFixed(1)}) on ${ctx.spec.name}; ${ev.meetsAll ? 'meets every budget' : `misses: ${ev.misses.join('; ')}`}.`
    : `${titles}: ${ev.misses.join('; ')}`;
  const left = est ? est.compatibility.fallback.filter((f) => !/after the first unsupported op/i.test(f.reason)) : [];
  const leftNote = left.length && ctx.spec.accelerator
    ? ` Ops left on the CPU: ${left.slice(0, 4).map((f) => `${f.op} ×${f.count} (${f.reason})`).join('; ')}.`
    : '';
  const perToken = est?.latencyBasis === 'per-token' ? ' Latency is per generated token.' : '';
  return {
    device: ctx.spec.id,
    steps,
    predicted: prediction(ev),
    meetsBudgets: ev.check,
    meetsAll: ev.meetsAll,
    effort: ev.effort,
    misses: ev.misses,
    summary: summary + leftNote + perToken,
  };
}

/** Distinct pipelines only (the same technique list can appear twice through different paths). */
function dedupe(list: Evaluated[]): Evaluated[] {
  const seen = new Set<string>();
  return list.filter((ev) => {
    const key = ev.steps.map((s) => `${s.technique}:${s.perChannel ?? ''}:${s.fraction ?? ''}:${s.student?.name ?? ''}:${(s.ops ?? []).join(',')}:${s.runtime?.id ?? ''}`).join('|');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function alternativesFor(
  profile: ModelProfile,
  target: DeviceSpec,
  budgets: Budgets,
  precision: ComputePrecision | undefined,
  corrections?: ReadonlyMap<string, DeviceCorrection>,
): { alt: Alternative; best: Evaluated; ctx: Ctx }[] {
  const catalog = loadCatalog();
  const out: { alt: Alternative; best: Evaluated; ctx: Ctx }[] = [];
  for (const spec of catalog.devices) {
    if (spec.id === target.id) continue;
    const { all, ctx } = searchDevice(profile, spec, budgets, precision, true, corrections);
    const best = dedupe(all).sort(compareEvaluated)[0];
    if (!best || !best.estimate) continue;
    out.push({
      alt: { device: spec.id, deviceName: spec.name, predicted: prediction(best), meetsBudgets: best.check, pipeline: techniquesOf(best).length ? techniquesOf(best) : ['none'] },
      best,
      ctx,
    });
  }
  out.sort((a, b) => compareEvaluated(a.best, b.best));
  return out;
}

// ---------------------------------------------------------------------------------------------

/**
 * Recommend compression pipelines for `profile` on `deviceId` under `budgets`.
 * Throws RecommendInputError for an unknown device.
 */
export function recommend(profile: ModelProfile, deviceId: string, budgets: Budgets, opts: RecommendOptions = {}): RecommendationResult {
  const catalog = loadCatalog();
  const spec = catalog.byId(deviceId);
  if (!spec) throw new RecommendInputError(`unknown device "${deviceId}" (known: ${catalog.devices.map((d) => d.id).join(', ')})`);
  const maxPipelines = Math.max(1, Math.min(20, opts.maxPipelines ?? 3));
  const b: Budgets = { retraining: true, calibrationData: true, ...budgets };

  const { baseline, all, ctx } = searchDevice(profile, spec, b, opts.precision, false, opts.corrections);
  const ranked = dedupe(all).sort(compareEvaluated);
  const meeting = ranked.filter((e) => e.meetsAll);

  let recommendations: Recommendation[];
  let verdict: string;
  let alternatives: Alternative[] = [];
  const wantAlternatives = opts.alternatives === 'always' || (opts.alternatives !== 'never' && !meeting.length);

  if (baseline.meetsAll) {
    const none: Recommendation = {
      ...toRecommendation(baseline, profile, ctx),
      steps: [
        {
          technique: 'none',
          title: 'No compression needed',
          why: `The model as it is already meets every budget on ${spec.name}${baseline.estimate ? ` (${fmtMs(baseline.estimate.latencyMs.typical)} ms, ${fmtMb(baseline.estimate.memory.totalBytes)})` : ''}; compressing it would only add accuracy risk.`,
          expected: { sizeFactor: ONE, speedup: ONE, accuracyDropPoints: ZERO },
          source: citation(['ESTIMATION-METHODS']),
          commands: [],
          effort: 'none',
        },
      ],
      effort: 'none',
    };
    recommendations = [none, ...meeting.filter((e) => e !== baseline).slice(0, maxPipelines - 1).map((e) => toRecommendation(e, profile, ctx))];
    verdict = `no compression needed: ${profile.file ? profile.file.split(/[\\/]/).pop() : 'the model'} already meets every budget on ${spec.name}`;
  } else if (meeting.length) {
    recommendations = meeting.slice(0, maxPipelines).map((e) => toRecommendation(e, profile, ctx));
    const top = recommendations[0];
    verdict = `${meeting.length} pipeline${meeting.length === 1 ? '' : 's'} meet${meeting.length === 1 ? 's' : ''} every budget on ${spec.name}; the least effort: ${top.steps.map((s) => s.title).join(' → ')} (${top.effort})`;
  } else {
    const closest = ranked.slice(0, maxPipelines).map((e) => toRecommendation(e, profile, ctx));
    recommendations = closest;
    const c = ranked[0];
    verdict = `no pipeline fits ${spec.name}: closest is ${closest[0]?.steps.map((s) => s.title).join(' → ') || 'the model as it is'}, which misses ${c?.misses.join('; ') || 'the budgets'}`;
  }

  if (wantAlternatives) {
    const alts = alternativesFor(profile, spec, b, opts.precision, opts.corrections);
    const fitting = alts.filter((a) => a.best.meetsAll);
    alternatives = (fitting.length ? fitting : alts.slice(0, 3)).slice(0, 6).map((a) => a.alt);
    if (!meeting.length) {
      if (fitting.length) {
        const best = fitting[0];
        verdict += `. ${fitting.length} other catalog device${fitting.length === 1 ? '' : 's'} would meet the budgets: ${fitting.slice(0, 4).map((a) => a.alt.deviceName).join(', ')} — best: ${best.alt.deviceName} with ${best.alt.pipeline.join(' + ')}`;
        // A concrete pipeline for the best alternative device, led by the device change.
        const rec = toRecommendation(best.best, profile, best.ctx);
        rec.steps.unshift({
          technique: 'change-device',
          title: `Target ${best.alt.deviceName} instead of ${spec.name}`,
          why: `No pipeline meets the budgets on ${spec.name}; ${best.alt.deviceName} does with ${best.alt.pipeline.join(' + ')} (re-estimated with its own best pipeline).`,
          expected: {},
          source: citation(['ESTIMATION-METHODS']),
          commands: commandsFor('change-device', { profile, deviceClass: best.ctx.cls, deviceId: spec.id, deviceName: spec.name, newDevice: { id: best.alt.device, name: best.alt.deviceName } }),
          effort: 'no-retraining',
        });
        rec.summary = `On ${best.alt.deviceName}: ${rec.summary}`;
        // It meets every budget, the chosen device's closest pipelines do not: it ranks first.
        recommendations.unshift(rec);
      } else {
        verdict += '. No other catalog device meets them either; the closest alternatives are listed';
      }
    }
  }

  const top = recommendations[0];
  const operations = operationalPlan({
    techniques: top ? top.steps.map((s) => s.technique) : [],
    deviceClass: ctx.cls,
    deviceName: spec.name,
    budgets: b,
    accuracyDropTypical: top ? top.predicted.accuracyDrop.typical : 0,
    noFit: !meeting.length && !baseline.meetsAll,
  });

  return { device: spec.id, budgets: b, recommendations, alternatives, verdict, operations };
}

/** Every evaluated candidate on one device, best first, with its checks (for tools and views that show the whole search). */
export function rankedCandidates(profile: ModelProfile, deviceId: string, budgets: Budgets): { techniques: Technique[]; meetsAll: boolean; effort: Effort; latencyMs: number | null; misses: string[] }[] {
  const spec = loadCatalog().byId(deviceId);
  if (!spec) throw new RecommendInputError(`unknown device "${deviceId}"`);
  const { all } = searchDevice(profile, spec, { retraining: true, calibrationData: true, ...budgets }, undefined, false);
  return dedupe(all)
    .sort(compareEvaluated)
    .map((e) => ({ techniques: techniquesOf(e), meetsAll: e.meetsAll, effort: e.effort, latencyMs: e.estimate?.latencyMs.typical ?? null, misses: e.misses }));
}

