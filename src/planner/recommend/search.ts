/**
 * The pipeline search on one device: enumerate candidate pipelines (a structural step x a precision step, then
 * operator rewrites where the target cannot map ops or needs static shapes, then a runtime change for the best
 * few), apply each to the profile (transform.ts), re-run the estimator on the result, and judge it (judge.ts).
 * Budget flags decide what is allowed: retraining=false removes QAT, pruning, distillation, low-rank and
 * sparsity; calibrationData=false removes static PTQ. No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import { loadCalibration, type DeviceSpec } from '../catalog';
import { cpuThreadsFor, estimateDeviceDetailed } from '../estimate';
import { needsStaticShapes, unsupportedOps } from '../estimate/compatibility';
import type { Budgets, ComputePrecision, Effort, Technique } from '../types';
import type { DeviceSetup, Evaluated, SearchContext, StepSpec } from './candidate';
import { addRange, stepAccuracy, stepEffort, ZERO } from './effects';
import { compareCandidates, judge, maxEffort } from './judge';
import { TECHNIQUES, type DeviceClass } from './technique-table';
import { applyTechnique, findRewriteRule, studentFactors } from './transform';
import { deviceClassOf, modelTraits, type ModelTraits } from './traits';

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

/** Applies the steps in order: the transformed profile, the transform notes, the rewrites, the summed accuracy drop and the effort. */
export function applySteps(profile: ModelProfile, steps: StepSpec[], traits: ModelTraits): Pick<Evaluated, 'profile' | 'changes' | 'rewrites' | 'accuracy' | 'effort'> {
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
    accuracy = addRange(accuracy, stepAccuracy(s, p, traits).range);
    effort = maxEffort(effort, stepEffort(s));
    p = r.profile;
  }
  return { profile: p, changes, rewrites, accuracy, effort };
}

/** The estimate of the transformed profile, or why there is none. */
function estimateSteps(p: ModelProfile, steps: StepSpec[], ctx: SearchContext): Pick<Evaluated, 'estimate' | 'compatibility' | 'error'> {
  const precision = pipelinePrecision(steps, ctx.basePrecision);
  if (precision && !ctx.spec.precisions.includes(precision)) return { estimate: null, compatibility: null, error: `${ctx.spec.name} cannot compute in ${precision}` };
  const runtime = steps.find((s) => s.technique === 'change-runtime')?.runtime?.id ?? ctx.runtime;
  try {
    // The model file as it is (no step changes it): runs that measured it replace the estimate.
    const unchanged = steps.every((s) => s.technique === 'none' || s.technique === 'change-runtime');
    const r = estimateDeviceDetailed(p, ctx.spec.id, { precision, runtime, budgets: ctx.budgets, corrections: ctx.corrections, ...(unchanged && ctx.measuredModel !== undefined ? { measuredModel: ctx.measuredModel } : {}), ...cpuThreadsFor(ctx.spec.id, ctx.cpuThreads) });
    return { estimate: r.estimate, compatibility: r.compatibility, error: null };
  } catch (e) {
    return { estimate: null, compatibility: null, error: (e as Error).message };
  }
}

/** Applies, re-estimates and judges one candidate pipeline. */
export function evaluate(profile: ModelProfile, steps: StepSpec[], ctx: SearchContext): Evaluated {
  const applied = applySteps(profile, steps, ctx.traits);
  const ev: Evaluated = { steps, ...applied, ...estimateSteps(applied.profile, steps, ctx), check: {}, runs: false, meetsAll: false, misses: [], distance: Infinity };
  judge(ev, ctx);
  return ev;
}

/** Distinct pipelines only (the same technique list can appear twice through different paths), best first. */
export function rank(list: Evaluated[]): Evaluated[] {
  const seen = new Set<string>();
  return list
    .filter((ev) => {
      const key = ev.steps.map((s) => `${s.technique}:${s.perChannel ?? ''}:${s.fraction ?? ''}:${s.student?.name ?? ''}:${(s.ops ?? []).join(',')}:${s.runtime?.id ?? ''}`).join('|');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort(compareCandidates);
}

/** Operator rewrites / static shapes where an estimate shows ops the target cannot map. */
function rewriteCandidates(profile: ModelProfile, all: Evaluated[], ctx: SearchContext): Evaluated[] {
  const out: Evaluated[] = [];
  const seen = new Set<string>();
  for (const ev of all) {
    const ops = ev.estimate && ev.compatibility ? unsupportedOps(ev.compatibility) : [];
    const shapes = ev.profile.dynamicShapes.hasDynamic && !!ev.estimate && !!ev.compatibility && needsStaticShapes(ev.compatibility);
    if (!ops.length && !shapes) continue;
    const allowed = ctx.budgets.retraining === false ? ops.filter((op) => findRewriteRule(op)?.equivalent) : ops;
    if (!allowed.length && !shapes) continue;
    const key = `${allowed.sort().join(',')}|${ev.steps.map((s) => s.technique + (s.fraction ?? '') + (s.student?.name ?? '')).join('+')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(evaluate(profile, [{ technique: 'op-rewrite', ops: allowed }, ...ev.steps], ctx));
  }
  return out;
}

/**
 * A different runtime for the best few (same model, other kernels), kept where clearly faster than the one in use.
 * Only runtimes whose speed on the device rests on published points (calibration.json runtimeEvidence): a runtime
 * without any has the device's average speed, a prior, not a measurement that it is faster.
 */
function runtimeCandidates(profile: ModelProfile, all: Evaluated[], ctx: SearchContext): Evaluated[] {
  const out: Evaluated[] = [];
  const def = ctx.spec.runtimes.find((r) => r.id === ctx.runtime) ?? ctx.spec.runtimes.find((r) => r.default) ?? ctx.spec.runtimes[0];
  const evidence = loadCalibration().devices[ctx.spec.id]?.runtimeEvidence ?? {};
  for (const ev of [...all].sort(compareCandidates).slice(0, 3)) {
    if (!ev.estimate) continue;
    for (const rt of ctx.spec.runtimes) {
      if (rt.id === def.id || !evidence[rt.id]) continue;
      const alt = evaluate(profile, [...ev.steps, { technique: 'change-runtime', runtime: rt }], ctx);
      if (alt.estimate && alt.estimate.latencyMs.typical < 0.85 * ev.estimate.latencyMs.typical) out.push(alt);
    }
  }
  return out;
}

/** All candidates for one device, evaluated. `reduced` = a smaller set (for the alternatives across the catalog). */
export function searchDevice(
  profile: ModelProfile,
  spec: DeviceSpec,
  budgets: Budgets,
  basePrecision: ComputePrecision | undefined,
  reduced: boolean,
  setup: DeviceSetup = {},
): { baseline: Evaluated; all: Evaluated[]; ctx: SearchContext } {
  const traits = modelTraits(profile);
  const cls = deviceClassOf(spec);
  const ctx: SearchContext = { spec, cls, budgets, traits, basePrecision: basePrecision && spec.precisions.includes(basePrecision) ? basePrecision : undefined, ...setup };
  const baseline = evaluate(profile, [], ctx);
  const all: Evaluated[] = [baseline];
  const precisions = precisionOptions(spec, cls, traits, budgets);
  for (const st of structureOptions(profile, cls, traits, budgets, reduced)) {
    for (const pr of precisions) {
      if (st.technique === 'none' && pr.technique === 'none') continue;
      all.push(evaluate(profile, [st, pr].filter((s) => s.technique !== 'none'), ctx));
    }
  }
  all.push(...rewriteCandidates(profile, all, ctx));
  if (!reduced && spec.runtimes.length > 1) all.push(...runtimeCandidates(profile, all, ctx));
  return { baseline, all, ctx };
}
