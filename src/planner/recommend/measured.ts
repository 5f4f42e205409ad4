/**
 * Measurements change the recommendation: a pipeline step that `edgeplan verify` measured on the user's model and
 * data carries the measured figures next to the predicted ones. When every step of a pipeline that can cost
 * accuracy was measured with labels, the measured drop (the sum of the steps' point estimates) replaces the
 * predicted one in the accuracy budget check: a pipeline whose measured drop breaks the budget falls behind those
 * that meet every budget, and one that the prediction failed but the measurement passes moves up (otherwise the
 * recommender's order is kept). The measured drop also replaces the predicted one in the structured misses (and
 * their words) and in the pipeline's summary, rebuilt from the same basis; latency and memory stay predictions
 * for the device. Without labels a measurement has no accuracy drop and judges nothing.
 * No `vscode` import.
 */
import type { PlanVerification } from '../plan/verification';
import type { MeasuredAccuracy, MeasuredStep, Miss, Recommendation, RecommendationResult } from '../types';
import { withWords } from './explain';
import { withinAccuracyBudget } from './judge';

function measuredStep(v: PlanVerification): MeasuredStep {
  return {
    date: v.date,
    accuracyDropPoints: v.accuracy ? v.accuracy.drop * 100 : null,
    accuracyDropCi95Points: v.accuracy ? [v.accuracy.dropCi95[0] * 100, v.accuracy.dropCi95[1] * 100] : null,
    top1Agreement: v.top1Agreement,
    sizeFactor: v.weightBytes.original > 0 ? v.weightBytes.compressed / v.weightBytes.original : 1,
    evaluationSamples: v.data.evaluationSamples,
    dataSource: v.data.source,
  };
}

const pts = (x: number): string => x.toFixed(2);

/** A step that can cost accuracy (its predicted drop is not zero). */
const costsAccuracy = (s: Recommendation['steps'][number]): boolean => (s.expected.accuracyDropPoints?.high ?? 0) > 0;

/** The pipeline's measured drop, when every step that can cost accuracy was measured with labels. */
function measuredAccuracy(steps: Recommendation['steps']): MeasuredAccuracy | undefined {
  const judged = steps.filter(costsAccuracy);
  if (judged.length === 0 || !judged.every((s) => s.measured?.accuracyDropPoints != null)) return undefined;
  const one = judged.length === 1 ? judged[0].measured! : null;
  return {
    points: judged.reduce((a, s) => a + s.measured!.accuracyDropPoints!, 0),
    ci95: one?.accuracyDropCi95Points ?? null,
    samples: one ? one.evaluationSamples : null,
  };
}

/** The recommendation with measured steps marked and the ranking redone on the measured accuracy drops. */
export function applyMeasured(rec: RecommendationResult, verifications: readonly PlanVerification[] | undefined): RecommendationResult {
  if (!verifications?.length) return rec;
  const budget = rec.budgets.accuracyDrop;
  const moved: string[] = [];
  const recommendations: Recommendation[] = rec.recommendations.map((r) => {
    const steps = r.steps.map((s) => {
      const v = verifications.find((x) => x.technique === s.technique);
      return v ? { ...s, measured: measuredStep(v) } : s;
    });
    const measured = measuredAccuracy(steps);
    if (!measured) return { ...r, steps };
    // The measured drop replaces the predicted one: in the accuracy check, the misses and the summary.
    const within = budget === undefined ? undefined : withinAccuracyBudget(measured.points, budget);
    const meetsBudgets = { ...r.meetsBudgets };
    if (within !== undefined) meetsBudgets.accuracy = within;
    const meetsAll = r.runs && Object.values(meetsBudgets).every((ok) => ok !== false);
    const missed: Miss[] = [...r.missed.filter((m) => m.kind !== 'accuracy' && m.kind !== 'measured-accuracy'), ...(within === false ? [{ kind: 'measured-accuracy' as const, accuracy: measured, budgetPoints: budget! }] : [])];
    if (meetsAll !== r.meetsAll) moved.push(`${steps.map((s) => s.technique).join(' → ')} ${meetsAll ? 'meets' : 'breaks'} the accuracy budget as measured (${pts(measured.points)} points)`);
    return withWords({ ...r, steps, meetsBudgets, meetsAll, missed, measuredAccuracy: measured });
  });
  // Those meeting every budget first; otherwise the recommender's order.
  const ranked = recommendations.map((r, i) => ({ r, i })).sort((a, b) => Number(b.r.meetsAll) - Number(a.r.meetsAll) || a.i - b.i).map((x) => x.r);
  const verdict = moved.length ? `${rec.verdict} Re-ranked by measurement on your data: ${moved.join('; ')}.` : rec.verdict;
  return { ...rec, recommendations: ranked, verdict };
}
