/**
 * The words of the recommender: every sentence a recommendation shows (step titles and why each step is there,
 * the misses and by how much, the pipeline summary, the verdict, the device change) is made here from the
 * numbers and structured reasons the search and the judge return. The CLI, the planner view and the documents
 * print these strings. No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import type { FallbackGroup } from '../estimate/compatibility';
import { explainPlacement } from '../estimate/explain';
import { loadCalibration } from '../catalog';
import type { DeviceEstimate, MeasuredAccuracy, Miss, Prediction, Range, Recommendation, RecommendationFacts, SummaryBasis } from '../types';
import type { SearchContext, StepSpec } from './candidate';
import type { AccuracyAdjustment } from './effects';
import { TECHNIQUES, type DeviceClass, type OpRewriteRule } from './technique-table';
import { latencyMetOnTypicalOnly } from '../budget-range';

const MB = 1024 * 1024;
/** A figure in ms without its unit; an estimate that cannot be made (NaN) reads "unknown", never NaN. */
export const fmtMs = (x: number): string => (!Number.isFinite(x) ? 'unknown' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
/** "12.3 ms", or "unknown". */
const msText = (x: number): string => (Number.isFinite(x) ? `${fmtMs(x)} ms` : 'unknown');
export const fmtMb = (bytes: number): string => `${(bytes / MB).toFixed(bytes >= 100 * MB ? 0 : 1)} MB`;

/** What applying one step did to the model: the profile after it, its rewrites and the transform's notes. */
export interface AppliedStep {
  profile: ModelProfile;
  rewrites?: { op: string; rule: OpRewriteRule | null; layers: number }[];
  changes: string[];
}

export function explainAdjustment(a: AccuracyAdjustment): string {
  switch (a.kind) {
    case 'depthwise-heavy':
      return `depthwise-heavy model (×${a.factor})`;
    case 'transformer':
      return `transformer activations (×${a.factor})`;
    case 'small-model-int4':
      return 'small (non-LLM) model: 4-bit weights cost more';
    case 'distillation-ratio':
      return `≈${a.ratio.toFixed(1)}× fewer MACs`;
  }
}

export function explainMiss(m: Miss): string {
  switch (m.kind) {
    case 'not-estimable':
      return `cannot be estimated on ${m.deviceName}: ${m.error ?? 'unknown reason'}`;
    case 'does-not-run':
      return `does not run on ${m.deviceName}: ${m.summary.replace(/\.$/, '')}`;
    case 'nothing-on-accelerator':
      return `nothing runs on the accelerator: ${m.summary.replace(/\.$/, '')}`;
    case 'latency-unknown':
      return `latency cannot be estimated on ${m.deviceName}`;
    case 'latency':
      return `latency ${fmtMs(m.ms)} ms vs the ${fmtMs(m.budgetMs)} ms budget (+${fmtMs(m.ms - m.budgetMs)} ms, ${(m.ms / m.budgetMs).toFixed(1)}× over)`;
    case 'device-memory':
      return `memory ${fmtMb(m.bytes)} does not fit the device's ${fmtMb(m.limitBytes)} (short by ${fmtMb(m.bytes - m.limitBytes)})`;
    case 'device-flash':
      return `flash ${fmtMb(m.bytes)} does not fit the device's ${fmtMb(m.limitBytes)} (short by ${fmtMb(m.bytes - m.limitBytes)})`;
    case 'memory-budget':
      return `memory ${fmtMb(m.bytes)} vs the ${fmtMb(m.limitBytes)} budget (+${fmtMb(m.bytes - m.limitBytes)}, ${(m.bytes / m.limitBytes).toFixed(1)}× over)`;
    case 'power':
      return `power ${m.watts.toFixed(2)} W vs the ${m.budgetW} W budget`;
    case 'energy':
      return `energy ${m.mj.toFixed(2)} mJ per inference vs the ${m.budgetMj} mJ budget`;
    case 'accuracy':
      return `expected accuracy drop ≈${m.points.toFixed(1)} points vs the ${m.budgetPoints} point budget`;
    case 'measured-accuracy':
      return `measured on your data, the accuracy drop is ${measuredDropText(m.accuracy)}, above the ${m.budgetPoints} point budget`;
  }
}

/** "3.00 points (95 % interval 2.00 to 4.00, 200 samples)". */
function measuredDropText(a: MeasuredAccuracy): string {
  return `${a.points.toFixed(2)} points${a.ci95 ? ` (95 % interval ${a.ci95[0].toFixed(2)} to ${a.ci95[1].toFixed(2)}${a.samples !== null ? `, ${a.samples} samples` : ''})` : ''}`;
}

/** "Re-estimated on <device>: latency a → b ms, memory c → d." */
export function reestimated(deviceName: string, before: { latencyMs: number; memoryBytes: number }, after: DeviceEstimate): string {
  return ` Re-estimated on ${deviceName}: latency ${msText(before.latencyMs)} → ${msText(after.latencyMs.typical)}, memory ${fmtMb(before.memoryBytes)} → ${fmtMb(after.memory.totalBytes)}.`;
}

/** What a pipeline's summary rests on besides its figures: its steps, the device, the ops it leaves on the CPU. */
export function summaryBasis(titles: string[], est: DeviceEstimate | null, ctx: SearchContext, leftOnCpu: FallbackGroup[]): SummaryBasis {
  const leftNote = leftOnCpu.length && ctx.spec.accelerator ? ` Ops left on the CPU: ${leftOnCpu.slice(0, 4).map((f) => `${f.op} ×${f.count} (${explainPlacement(f.reason)})`).join('; ')}.` : '';
  const perToken = est?.latencyBasis === 'per-token' ? ' Latency is per generated token.' : '';
  return { what: titles.join(' → ') || 'the model as it is', deviceName: ctx.spec.name, estimated: est !== null, notes: leftNote + perToken, latencyBudgetMs: ctx.budgets.latencyMs };
}

/**
 * The one-line summary of a pipeline on its device: predicted latency and memory, the accuracy drop (predicted, or
 * measured on the user's data when every step that can cost accuracy was verified), and what it misses.
 */
function pipelineSummary(basis: SummaryBasis, predicted: Prediction, measured: MeasuredAccuracy | undefined, meetsAll: boolean, misses: Miss[]): string {
  const lat = predicted.latencyMs;
  const a = predicted.accuracyDrop;
  // Latency is the prediction for the device unless the user measured the model as it is there (edgeplan measure);
  // memory is always predicted; a measured drop was measured on this machine.
  const figures = `${Number.isFinite(lat.typical) ? `${fmtMs(lat.typical)} ms (${predicted.latencyMeasured ? 'measured on the device by you' : `${fmtMs(lat.low)}-${fmtMs(lat.high)}`})` : 'latency unknown'}, ${fmtMb(predicted.memoryBytes)}`;
  const withAccuracy = measured
    ? `${predicted.latencyMeasured ? '' : 'estimated '}${figures} on ${basis.deviceName}, accuracy drop ${measuredDropText(measured)} as measured on your data`
    : `${figures}, accuracy drop ≈${a.typical.toFixed(1)} points (${a.low.toFixed(1)}-${a.high.toFixed(1)}) on ${basis.deviceName}`;
  const meetsWords = latencyMetOnTypicalOnly({ meetsAll, predicted }, basis.latencyBudgetMs)
    ? `meets every budget on its typical figures (the ${+basis.latencyBudgetMs!.toPrecision(3)} ms latency budget lies inside the predicted range: not decided, measure on the device)`
    : 'meets every budget';
  const summary = basis.estimated
    ? `${basis.what}: ${withAccuracy}; ${meetsAll ? meetsWords : `misses: ${misses.map(explainMiss).join('; ')}`}.`
    : `${basis.what}: ${misses.map(explainMiss).join('; ')}`;
  return (basis.onDevice ? `On ${basis.onDevice}: ` : '') + summary + basis.notes;
}

/**
 * A recommendation with its worded misses and summary derived from its facts: the one place they are set, so a
 * change to the misses, the accuracy check or the measured drop cannot leave stale words behind.
 */
export function withWords(r: RecommendationFacts): Recommendation {
  return { ...r, misses: r.missed.map(explainMiss), summary: pipelineSummary(r.summaryBasis, r.predicted, r.measuredAccuracy, r.meetsAll, r.missed) };
}

/** Why no step is needed. */
export function noCompressionWhy(deviceName: string, est: DeviceEstimate | null): string {
  return `The model as it is already meets every budget on ${deviceName}${est ? ` (${msText(est.latencyMs.typical)}, ${fmtMb(est.memory.totalBytes)})` : ''}; compressing it would only add accuracy risk.`;
}

/** The first step of a pipeline for another device: the device change. */
export function deviceChange(from: string, to: string, pipeline: string[]): { title: string; why: string } {
  return {
    title: `Target ${to} instead of ${from}`,
    why: `No pipeline meets the budgets on ${from}; ${to} does with ${pipeline.join(' + ')} (re-estimated with its own best pipeline).`,
  };
}

/** What the recommendation concludes, before the alternatives (Verdict) and with them (verdictText). */
export type Verdict =
  | { kind: 'no-compression'; file: string; deviceName: string; latencyUndecidedMs?: number }
  | { kind: 'meeting'; count: number; deviceName: string; topTitles: string[]; topEffort: string; latencyUndecidedMs?: number }
  | { kind: 'no-fit'; deviceName: string; closestTitles: string[] | null; misses: Miss[] | null };

export type AlternativesVerdict = { kind: 'others-fit'; count: number; names: string[]; best: string; pipeline: string[]; bestIsTarget?: boolean } | { kind: 'none-fit' } | null;

/** "which misses latency …; memory …", or what keeps it from running at all, as a relative clause. */
function missesClause(misses: Miss[] | null | undefined): string {
  if (!misses?.length) return 'which misses the budgets';
  const budget = misses.filter((m) => !['does-not-run', 'not-estimable', 'nothing-on-accelerator', 'latency-unknown'].includes(m.kind));
  const other = misses.filter((m) => !budget.includes(m));
  const parts = other.map((m) => {
    if (m.kind === 'latency-unknown') return `whose ${explainMiss(m)}`;
    if (m.kind === 'nothing-on-accelerator') return `which runs nothing on the accelerator: ${m.summary.replace(/\.$/, '')}`;
    return `which ${explainMiss(m)}`;
  });
  if (budget.length) parts.push(`which misses: ${budget.map(explainMiss).join('; ')}`);
  return parts.join('; and ');
}

/** What the verdict adds when the top pipeline meets the latency budget on its typical figure only (its range reaches past it). */
const undecidedClause = (budgetMs: number | undefined, lead: 'its' | 'whose'): string =>
  budgetMs === undefined
    ? ''
    : lead === 'its'
      ? ` on its typical figures (its predicted latency range reaches past the ${+budgetMs.toPrecision(3)} ms budget: not decided by the estimate, measure on the device)`
      : `, whose predicted latency range reaches past the ${+budgetMs.toPrecision(3)} ms budget (not decided by the estimate: measure on the device)`;

export function verdictText(v: Verdict, alternatives: AlternativesVerdict): string {
  let text: string;
  switch (v.kind) {
    case 'no-compression':
      text = `no compression needed: ${v.file} already meets every budget on ${v.deviceName}${undecidedClause(v.latencyUndecidedMs, 'its')}`;
      break;
    case 'meeting':
      text = `${v.count} pipeline${v.count === 1 ? '' : 's'} meet${v.count === 1 ? 's' : ''} every budget on ${v.deviceName}; the least effort: ${v.topTitles.join(' → ')} (${v.topEffort})${undecidedClause(v.latencyUndecidedMs, 'whose')}`;
      break;
    case 'no-fit':
      text = `no pipeline fits ${v.deviceName}: closest is ${v.closestTitles?.join(' → ') || 'the model as it is'}, ${missesClause(v.misses)}`;
      break;
  }
  if (alternatives?.kind === 'others-fit') {
    text += `. ${alternatives.count} other catalog device${alternatives.count === 1 ? '' : 's'} would meet the budgets: ${alternatives.names.join(', ')} — ${alternatives.bestIsTarget ? 'best among your other targets' : 'best'}: ${alternatives.best} with ${alternatives.pipeline.join(' + ')}`;
  } else if (alternatives?.kind === 'none-fit') {
    text += '. No other catalog device meets them either; the closest alternatives are listed';
  }
  return text;
}


const PER = (s: StepSpec): string => (s.perChannel === false ? 'per-tensor' : 'per-channel');

export function stepTitle(s: StepSpec): string {
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

/** Why a step is in the pipeline, for this device and model, with what the transform did to the model. */
export function stepWhy(s: StepSpec, applied: AppliedStep, ctx: SearchContext, accNotes: AccuracyAdjustment[]): string {
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
      const rw = applied.rewrites ?? [];
      const names = rw.filter((r) => r.layers > 0).map((r) => `${r.op} (${r.layers} node${r.layers === 1 ? '' : 's'}): ${r.rule?.advice ?? 'replace it with supported ops or move it out of the graph'}`);
      if (names.length) parts.push(`${ACC_NAME[cls]} cannot map ${names.length === 1 ? 'this op' : 'these ops'} — ${cls === 'edgetpu' ? 'the first one sends it and everything after it to the CPU' : 'each one falls back to the CPU with a copy in and out'}. ${names.join('; ')}.`);
      if (applied.profile.dynamicShapes.hasDynamic === false && applied.changes.some((c) => /static shapes/.test(c))) parts.push('The accelerator compiles for one shape: export with static input shapes.');
      break;
    }
    case 'change-runtime':
      parts.push(runtimeChangeWhy(s.runtime?.id, s.runtime?.name ?? 'another runtime', ctx, dev));
      break;
    default:
      break;
  }
  if (accNotes.length) parts.push(`Accuracy range adjusted for: ${accNotes.map(explainAdjustment).join(', ')}.`);
  if (applied.changes.length) parts.push(`Applied to this model: ${applied.changes.join('; ')}.`);
  return parts.join(' ');
}

/**
 * Why a runtime change: what its fitted speed rests on (calibration.json runtimeEvidence: the published points of
 * that runtime on the device and their publications). From one publication, that harness's own offset cannot be told
 * apart from the runtime's speed, and the sentence says so.
 */
function runtimeChangeWhy(id: string | undefined, name: string, ctx: SearchContext, dev: string): string {
  const cal = loadCalibration().devices[ctx.spec.id];
  const ev = id ? cal?.runtimeEvidence?.[id] : undefined;
  if (!ev) return `The same model is estimated faster with ${name} on ${dev}; measure both on the device before committing.`;
  const pubs = ev.sources.length;
  return `The same model is estimated faster with ${name} on ${dev}: its fitted speed (${cal!.runtimeFactors[id!]?.toFixed(2) ?? '1.00'}x the device's fitted average) rests on ${ev.points} published point${ev.points === 1 ? '' : 's'} from ${pubs} publication${pubs === 1 ? '' : 's'} (${ev.sources.join(', ')})` +
    (pubs === 1 ? ', one harness, so its own offset cannot be told apart from the runtime\'s speed' : '') +
    '; measure both on the device before committing.';
}
