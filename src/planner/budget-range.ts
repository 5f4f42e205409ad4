/**
 * Where a budget falls against an estimated range (low, typical, high): the one rule the plan's risks, the planner's
 * cards and the exported documents judge a latency or energy budget by. No `vscode` import.
 */

/**
 * within: the whole range meets the budget; over: the whole range is above it; undecided-met / undecided-missed: the
 * budget lies inside the range (low ≤ budget < high), met or missed only on the typical figure — the estimate does
 * not decide it, a measurement does.
 */
export type RangeVerdict = 'within' | 'undecided-met' | 'undecided-missed' | 'over';

export function rangeVerdict(r: { low: number; typical: number; high: number }, budget: number): RangeVerdict {
  if (r.high <= budget) return 'within';
  if (r.low > budget) return 'over';
  return r.typical <= budget ? 'undecided-met' : 'undecided-missed';
}

/**
 * Whether a pipeline the recommender judged to meet every budget (on typical figures) meets the latency budget on its
 * typical figure only, the budget lying inside its predicted range: every surface then says the estimate does not
 * decide it. A latency measured by the user's runs is judged as it is.
 */
export function latencyMetOnTypicalOnly(rec: { meetsAll: boolean; predicted: { latencyMs: { low: number; typical: number; high: number }; latencyMeasured?: unknown } }, budgetMs: number | undefined): boolean {
  const r = rec.predicted.latencyMs;
  if (!rec.meetsAll || budgetMs === undefined || rec.predicted.latencyMeasured || ![r.low, r.typical, r.high].every(Number.isFinite)) return false;
  return rangeVerdict(r, budgetMs) === 'undecided-met';
}
