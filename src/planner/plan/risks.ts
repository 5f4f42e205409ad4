/**
 * The risks a new plan starts with, derived from the figures: a model that does not fit, ops that run on the CPU
 * instead of the accelerator, an accuracy budget the pipeline may miss, and the estimate's own uncertainty.
 * A fallback or partition is a risk only for ops that remain in the graph the device's toolchain runs (the
 * estimates are judged on it: shape arithmetic a converter folds, BatchNorm it folds, activations it fuses are not
 * there), and each says why the op falls back. No `vscode` import.
 */
import type { Risk, DeploymentPlan } from '.';
import type { DeviceEstimate, FallbackOp, Recommendation, RecommendationResult } from '../types';
import { loadCatalog } from '../catalog';
import { rangeVerdict } from '../budget-range';

const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;

/** At most this many fallback reasons are named in one risk. */
const MAX_REASONS = 4;

/**
 * "GATHER is not supported by Edge TPU (Gather ×26); outputs such as [2, 1, 48, 22, 22] have more than 3
 * non-trivial dimensions (Reshape ×13)": each reason once with its ops; shape problems once per op.
 */
function reasonsWithOps(groups: FallbackOp[]): string {
  const byReason = new Map<string, { text: string; ops: Map<string, number>; shapes: number }>();
  for (const g of groups) {
    const key = g.cause === 'edgetpu-rank' ? `rank\u0000${g.op}` : g.reason;
    const entry = byReason.get(key) ?? { text: g.reason, ops: new Map<string, number>(), shapes: 0 };
    entry.ops.set(g.op, (entry.ops.get(g.op) ?? 0) + g.count);
    entry.shapes++;
    byReason.set(key, entry);
  }
  const parts = [...byReason.values()].map((r) => {
    const text = r.shapes > 1 ? r.text.replace(/^output shape (\[[^\]]*\]) has/, 'outputs such as $1 have') : r.text;
    return `${text} (${[...r.ops].map(([op, k]) => `${op} ×${k}`).join(', ')})`;
  });
  const more = parts.length > MAX_REASONS ? `; and ${parts.length - MAX_REASONS} more reason${parts.length - MAX_REASONS === 1 ? '' : 's'}` : '';
  return parts.slice(0, MAX_REASONS).join('; ') + more;
}

/** Causes that quantization to the accelerator's precision removes. */
const PRECISION_CAUSES = new Set<string>(['edgetpu-not-int8', 'precision-unsupported']);

const count = (groups: FallbackOp[]): number => groups.reduce((a, g) => a + g.count, 0);

/** The fallback risk of one device, or null when every op of the graph it runs stays on the accelerator. */
export function fallbackRisk(e: DeviceEstimate): Risk | null {
  const fallback = e.compatibility.fallback;
  if (!fallback.length) return null;
  const partition = fallback.filter((f) => f.cause === 'after-prefix-break');
  const own = fallback.filter((f) => f.cause !== 'after-prefix-break');
  const d = e.deployedGraph;
  const graph = d ? `in the graph ${d.toolchainName} runs (${d.fileNodes} file nodes → ${d.layers} layers after folding and fusion)` : 'in the graph';
  let description = `On ${e.deviceName}, ${count(fallback)} op(s) ${graph} run on the CPU: ${reasonsWithOps(own)}.`;
  if (partition.length) description += ` The first of them ends the accelerator's partition, so ${count(partition)} later op(s) run on the CPU as well (${[...new Set(partition.map((p) => p.op))].slice(0, 5).join(', ')}${partition.length > 5 ? ', …' : ''}).`;
  description += ' CPU work and the transfers at each partition boundary can dominate latency.';
  const precision = own.filter((f) => PRECISION_CAUSES.has(f.cause ?? ''));
  const unmappable = [...new Set(own.filter((f) => !PRECISION_CAUSES.has(f.cause ?? '')).map((f) => f.op))];
  const steps: string[] = [];
  if (precision.length) steps.push('quantize the model to the precision the accelerator runs (full int8 for the Edge TPU: static PTQ or QAT)');
  if (unmappable.length) {
    steps.push(`replace or rewrite ${unmappable.slice(0, 5).join(', ')} with ops the accelerator maps${partition.length ? ', or move them to the end of the graph (post-processing) so everything before them stays on the accelerator' : ''}`);
  }
  const mitigation = `${steps.join('; then ')}; otherwise measure the CPU cost on the device.`.replace(/^./, (c) => c.toUpperCase());
  return { description, likelihood: 'high', impact: partition.length || count(fallback) > 1 ? 'medium' : 'low', mitigation };
}

const ms3 = (v: number): string => `${+v.toPrecision(3)}`;

/**
 * A latency budget the estimate does not decide: it lies inside the recommended pipeline's predicted range (the
 * calibrated range around the typical figure), so the typical figure alone would claim more than the estimate knows.
 * Only a measurement on the device decides it.
 */
export function undecidedLatencyRisk(top: Recommendation | undefined, budgetMs: number | undefined, modelFile: string): Risk | null {
  if (!top || budgetMs === undefined || !top.runs) return null;
  const r = top.predicted.latencyMs;
  if (![r.low, r.typical, r.high].every(Number.isFinite)) return null;
  const verdict = rangeVerdict(r, budgetMs);
  if (verdict === 'within' || verdict === 'over') return null;
  const name = loadCatalog().byId(top.device)?.name ?? top.device;
  const meets = verdict === 'undecided-met';
  return {
    description: `The estimate does not decide the ${ms3(budgetMs)} ms latency budget on ${name}: the recommended pipeline's predicted latency is ${ms3(r.low)}–${ms3(r.typical)}–${ms3(r.high)} ms (low–typical–high, a range x${(r.high / r.low).toFixed(1)} wide), and the budget lies inside it — ${meets ? 'met on the typical figure, not over the whole range' : 'missed on the typical figure, but the range reaches below it'}.`,
    likelihood: meets ? 'medium' : 'high',
    impact: 'high',
    mitigation: `Measure the model on ${name} before committing to the budget (edgeplan measure ${modelFile} --device ${top.device} --latency-ms N, or --log with a benchmark_model, trtexec or onnxruntime_perf_test log): the measurement corrects this device's estimates; decide on the measured latency.`,
  };
}

/**
 * Latency estimates outside the sizes their devices' calibration measured: the fitted rates are extrapolated beyond
 * every published point, so the figures need a measurement before anyone relies on them. One risk for
 * all such devices, each with its sentence; a device whose figure the user's runs measured or corrected is not one.
 */
export function extrapolationRisk(estimates: DeviceEstimate[], modelFile: string): Risk | null {
  // A figure measured by the user, or corrected by their runs on the device, no longer rests on the extrapolation alone.
  const outside = estimates.filter((e) => e.calibration?.outsideSpan && !e.latencyMeasured && !e.latencyCorrected && Number.isFinite(e.latencyMs.typical));
  if (!outside.length) return null;
  const names = outside.map((e) => e.deviceName);
  return {
    description: `The latency estimate${outside.length === 1 ? ' is' : 's are'} extrapolated on ${names.join(', ')}. ${outside.map((e) => e.calibration!.outsideSpan!.sentence).join(' ')}`,
    likelihood: 'medium',
    impact: 'medium',
    mitigation: `Measure the model on ${outside.length === 1 ? 'the device' : 'each device'} (${outside.map((e) => `edgeplan measure ${modelFile} --device ${e.device} --latency-ms N`).join('; ')}): a measurement corrects that device's estimates.`,
  };
}

/** Risks that follow from the figures, so a new plan starts with the real ones rather than a blank list. */
export function derivedRisks(estimates: DeviceEstimate[], rec: RecommendationResult, plan: DeploymentPlan): Risk[] {
  const risks: Risk[] = [];
  for (const e of estimates) {
    if (e.memory.fits === false) {
      risks.push({
        description: `The model does not fit ${e.deviceName}: it needs ${mib(e.memory.totalBytes)} against ${e.memory.limitBytes === null ? 'an unknown limit' : mib(e.memory.limitBytes)}.`,
        likelihood: 'high',
        impact: 'high',
        mitigation: 'Apply the recommended compression pipeline or choose a device with more memory.',
      });
    }
    const fallback = fallbackRisk(e);
    if (fallback) risks.push(fallback);
  }
  const outside = extrapolationRisk(estimates, plan.model.file);
  if (outside) risks.push(outside);
  const top = rec.recommendations[0];
  // A measured drop (edgeplan verify on the user's data) replaces the predicted one when the pipeline was judged on
  // it (applyMeasured: every step that can cost accuracy measured): the pipeline's own accuracy check decides.
  const measured = top?.measuredAccuracy;
  if (top && measured && plan.budgets.accuracyDrop !== undefined && top.meetsBudgets.accuracy === false) {
    risks.push({
      description: `Measured on your data, the recommended pipeline loses ${measured.points.toFixed(2)} accuracy points, above the ${plan.budgets.accuracyDrop} point budget.`,
      likelihood: 'high',
      impact: 'high',
      mitigation: 'Keep the most sensitive layers in float (edgeplan verify --keep-float), use QAT, or relax the budget.',
    });
  } else if (top && !measured && plan.budgets.accuracyDrop !== undefined && top.predicted.accuracyDrop.high > plan.budgets.accuracyDrop) {
    risks.push({
      description: `The recommended pipeline may cost up to ${top.predicted.accuracyDrop.high.toFixed(1)} accuracy points, above the ${plan.budgets.accuracyDrop} point budget.`,
      likelihood: 'medium',
      impact: 'high',
      mitigation: 'Measure accuracy of the compressed model on the full validation set and per user group before rollout; use QAT if PTQ misses.',
    });
  }
  const undecided = undecidedLatencyRisk(top, plan.budgets.latencyMs, plan.model.file);
  if (undecided) risks.push(undecided);
  risks.push({
    description: 'Estimates come from a roofline model calibrated on published benchmarks; real latency depends on runtime version, thermal state and input pipeline.',
    likelihood: 'medium',
    impact: 'medium',
    mitigation: 'Benchmark the compressed model on the target device before the canary stage.',
  });
  return risks;
}
