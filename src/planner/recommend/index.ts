/**
 * The compression pipeline recommender: the shortest path from this model to this device's budget.
 *
 * search.ts enumerates and evaluates candidate pipelines on the device (each re-estimated on the transformed
 * profile), judge.ts checks them against the budgets and ranks them: those meeting every budget first, then by
 * engineering effort (no retraining < calibration data < retraining < architecture change), then by predicted
 * accuracy drop. This module turns the ranked candidates into recommendations with their commands
 * (commands/), the verdict and the operational plan (operations.ts); explain.ts words them. When nothing fits,
 * it says so, shows the closest pipeline with what it misses and by how much, and re-estimates every other
 * catalog device with its own best pipeline. No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import type { Alternative, Budgets, ComputePrecision, DeviceEstimate, PipelineStep, Prediction, Recommendation, RecommendationResult, StepExpectation } from '../types';
import type { DeviceCorrection } from '../estimate/measurements';
import { ownFallback } from '../estimate/compatibility';
import { loadCatalog, type DeviceSpec } from '../catalog';
import { applyTechnique } from './transform';
import { TECHNIQUES, citation } from './technique-table';
import { commandsFor, int16ActivationCommands, type CommandContext } from './commands';
import { operationalPlan } from './operations';
import { techniquesOf, type DeviceSetup, type Evaluated, type SearchContext, type StepSpec } from './candidate';
import { ONE, ZERO, stepAccuracy, stepEffort, stepSize, stepSpeedup } from './effects';
import { compareCandidates } from './judge';
import { evaluate, rank, searchDevice } from './search';
import { latencyMetOnTypicalOnly } from '../budget-range';
import { deviceChange, noCompressionWhy, reestimated, summaryBasis, stepTitle, stepWhy, verdictText, withWords, type AlternativesVerdict, type Verdict } from './explain';

export { deviceClassOf, modelTraits, type ModelTraits } from './traits';

export interface RecommendOptions {
  precision?: ComputePrecision;
  /** How many pipelines to return for the chosen device (default 3). */
  maxPipelines?: number;
  /** Re-estimate the other catalog devices (default: only when nothing fits the chosen one). */
  alternatives?: 'auto' | 'always' | 'never';
  /** The user's own measurements per device: every estimate of a device found here is corrected. */
  corrections?: ReadonlyMap<string, DeviceCorrection>;
  /** The model file as it is (EstimateOptions.measuredModel): pipelines that leave it unchanged take the runs that measured it. */
  measuredModel?: string;
  /** Threads the runtime's CPU kernels use (absent: every core); applied on devices with an application CPU. */
  cpuThreads?: number;
  /** The runtime the user deploys with on the chosen device (one of its catalog runtimes; absent: its default). */
  runtime?: string;
  /**
   * The plan's other targets: when the chosen device meets nothing, one of these that meets every budget is proposed
   * before any other catalog device (a phone is no substitute for the board the user plans for).
   */
  preferredDevices?: readonly string[];
}

export class RecommendInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecommendInputError';
  }
}

function prediction(ev: Evaluated): Prediction {
  const est = ev.estimate;
  return {
    latencyMs: est ? est.latencyMs : { low: NaN, typical: NaN, high: NaN },
    ...(est?.latencyMeasured ? { latencyMeasured: est.latencyMeasured } : {}),
    memoryBytes: est ? est.memory.totalBytes : NaN,
    energyMj: est ? est.energyMj : null,
    accuracyDrop: ev.accuracy,
  };
}

/** One step of a recommendation: its expected effect, why it is there (re-estimated on the device) and its commands. */
function pipelineStep(s: StepSpec, before: ModelProfile, prevEstimate: DeviceEstimate | null | undefined, stepEval: Evaluated, pipeline: Evaluated, ctx: SearchContext): { step: PipelineStep; after: ModelProfile } {
  const after = applyTechnique(before, s.technique, { perChannel: s.perChannel, fraction: s.fraction, student: s.student, ops: s.ops, fixShapes: true });
  const acc = stepAccuracy(s, before, ctx.traits);
  const expected: StepExpectation = { accuracyDropPoints: acc.range };
  const size = stepSize(s, before, after.profile);
  if (size) expected.sizeFactor = size;
  const sp = stepSpeedup(s, ctx.cls, ctx.traits);
  if (sp) expected.speedup = sp;
  let why = stepWhy(s, { profile: after.profile, rewrites: after.rewrites ?? pipeline.rewrites, changes: after.changes }, ctx, acc.notes);
  if (stepEval.estimate && prevEstimate) why += reestimated(ctx.spec.name, { latencyMs: prevEstimate.latencyMs.typical, memoryBytes: prevEstimate.memory.totalBytes }, stepEval.estimate);
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
  return { step: { technique: s.technique, title: stepTitle(s), why, expected, source: citation(sourceIds), commands, effort: stepEffort(s) }, after: after.profile };
}

function toRecommendation(ev: Evaluated, profile: ModelProfile, ctx: SearchContext): Recommendation {
  const steps: PipelineStep[] = [];
  let before = profile;
  let beforeEst: DeviceEstimate | null | undefined;
  const concrete = ev.steps.filter((s) => s.technique !== 'none');
  concrete.forEach((s, i) => {
    // Re-estimated effect of this step on the device (the estimator on the profile after it).
    const stepEval = i === concrete.length - 1 ? ev : evaluate(profile, concrete.slice(0, i + 1), ctx);
    const prevEstimate = i === 0 ? evaluate(profile, [], ctx).estimate : beforeEst;
    const r = pipelineStep(s, before, prevEstimate, stepEval, ev, ctx);
    steps.push(r.step);
    before = r.after;
    beforeEst = stepEval.estimate;
  });
  const est = ev.estimate;
  const predicted = prediction(ev);
  const basis = summaryBasis(steps.map((s) => s.title), est, ctx, ev.compatibility && est ? ownFallback(ev.compatibility) : []);
  return withWords({
    device: ctx.spec.id,
    steps,
    predicted,
    meetsBudgets: ev.check,
    meetsAll: ev.meetsAll,
    runs: ev.runs,
    effort: ev.effort,
    missed: ev.misses,
    summaryBasis: basis,
  });
}

/** The latency budget for the verdict when the top pipeline meets it on its typical figure only (explain.ts words it). */
function undecidedLatency(top: Recommendation | undefined, b: Budgets): { latencyUndecidedMs?: number } {
  return top && latencyMetOnTypicalOnly(top, b.latencyMs) ? { latencyUndecidedMs: b.latencyMs } : {};
}

/** The model as it is, when it already meets every budget. */
function noCompression(baseline: Evaluated, profile: ModelProfile, ctx: SearchContext): Recommendation {
  return {
    ...toRecommendation(baseline, profile, ctx),
    steps: [
      {
        technique: 'none',
        title: 'No compression needed',
        why: noCompressionWhy(ctx.spec.name, baseline.estimate),
        expected: { sizeFactor: ONE, speedup: ONE, accuracyDropPoints: ZERO },
        source: citation(['ESTIMATION-METHODS']),
        commands: [],
        effort: 'none',
      },
    ],
    effort: 'none',
  };
}

interface AlternativeDevice {
  alt: Alternative;
  best: Evaluated;
  ctx: SearchContext;
}

/** Every other catalog device with its own best pipeline, best first. */
function alternativesFor(profile: ModelProfile, target: DeviceSpec, budgets: Budgets, precision: ComputePrecision | undefined, setup: DeviceSetup): AlternativeDevice[] {
  const out: AlternativeDevice[] = [];
  for (const spec of loadCatalog().devices) {
    if (spec.id === target.id) continue;
    const { all, ctx } = searchDevice(profile, spec, budgets, precision, true, setup);
    const best = rank(all)[0];
    if (!best || !best.estimate) continue;
    const pipeline = techniquesOf(best);
    out.push({ alt: { device: spec.id, deviceName: spec.name, predicted: prediction(best), meetsBudgets: best.check, pipeline: pipeline.length ? pipeline : ['none'] }, best, ctx });
  }
  return out.sort((a, b) => compareCandidates(a.best, b.best));
}

/** A concrete pipeline for the best alternative device, led by the device change. */
function onOtherDevice(best: AlternativeDevice, profile: ModelProfile, target: DeviceSpec): Recommendation {
  const rec = toRecommendation(best.best, profile, best.ctx);
  const change = deviceChange(target.name, best.alt.deviceName, best.alt.pipeline);
  rec.steps.unshift({
    technique: 'change-device',
    title: change.title,
    why: change.why,
    expected: {},
    source: citation(['ESTIMATION-METHODS']),
    commands: commandsFor('change-device', { profile, deviceClass: best.ctx.cls, deviceId: target.id, deviceName: target.name, newDevice: { id: best.alt.device, name: best.alt.deviceName } }),
    effort: 'no-retraining',
  });
  return withWords({ ...rec, summaryBasis: { ...rec.summaryBasis, onDevice: best.alt.deviceName } });
}

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

  if (opts.runtime !== undefined && !spec.runtimes.some((r) => r.id === opts.runtime)) {
    throw new RecommendInputError(`"${opts.runtime}" is not a runtime of ${deviceId} (its runtimes: ${spec.runtimes.map((r) => r.id).join(', ')})`);
  }
  // The chosen runtime is the chosen device's; other devices (alternatives) run their own defaults.
  const setup: DeviceSetup = { corrections: opts.corrections, measuredModel: opts.measuredModel, cpuThreads: opts.cpuThreads };
  const { baseline, all, ctx } = searchDevice(profile, spec, b, opts.precision, false, { ...setup, runtime: opts.runtime });
  const ranked = rank(all);
  const meeting = ranked.filter((e) => e.meetsAll);

  let recommendations: Recommendation[];
  let verdict: Verdict;
  if (baseline.meetsAll) {
    recommendations = [noCompression(baseline, profile, ctx), ...meeting.filter((e) => e !== baseline).slice(0, maxPipelines - 1).map((e) => toRecommendation(e, profile, ctx))];
    verdict = { kind: 'no-compression', file: profile.file ? profile.file.split(/[\\/]/).pop()! : 'the model', deviceName: spec.name, ...undecidedLatency(recommendations[0], b) };
  } else if (meeting.length) {
    recommendations = meeting.slice(0, maxPipelines).map((e) => toRecommendation(e, profile, ctx));
    verdict = { kind: 'meeting', count: meeting.length, deviceName: spec.name, topTitles: recommendations[0].steps.map((s) => s.title), topEffort: recommendations[0].effort, ...undecidedLatency(recommendations[0], b) };
  } else {
    recommendations = ranked.slice(0, maxPipelines).map((e) => toRecommendation(e, profile, ctx));
    verdict = { kind: 'no-fit', deviceName: spec.name, closestTitles: recommendations[0]?.steps.map((s) => s.title) ?? null, misses: ranked[0]?.misses ?? null };
  }

  let alternatives: Alternative[] = [];
  let others: AlternativesVerdict = null;
  if (opts.alternatives === 'always' || (opts.alternatives !== 'never' && !meeting.length)) {
    const alts = alternativesFor(profile, spec, b, opts.precision, setup);
    const preferred = new Set(opts.preferredDevices ?? []);
    const meets = alts.filter((a) => a.best.meetsAll);
    // The user's own other targets first, each group best first.
    const fitting = [...meets.filter((a) => preferred.has(a.alt.device)), ...meets.filter((a) => !preferred.has(a.alt.device))];
    alternatives = (fitting.length ? fitting : alts.slice(0, 3)).slice(0, 6).map((a) => a.alt);
    if (!meeting.length && fitting.length) {
      const best = fitting[0];
      others = { kind: 'others-fit', count: fitting.length, names: fitting.slice(0, 4).map((a) => a.alt.deviceName), best: best.alt.deviceName, pipeline: best.alt.pipeline, bestIsTarget: preferred.has(best.alt.device) };
      // It meets every budget, the chosen device's closest pipelines do not: it ranks first.
      recommendations.unshift(onOtherDevice(best, profile, spec));
    } else if (!meeting.length) others = { kind: 'none-fit' };
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

  return { device: spec.id, budgets: b, recommendations, alternatives, verdict: verdictText(verdict, others), operations };
}
