/**
 * The per-device fit of the calibration (scripts/calibration/calibrate.ts): grid search of the compute, per-op
 * overhead and memory scales with a fixed time per end-to-end pipeline source, then shrunk runtime and precision
 * factors. Pure arithmetic over the estimates the caller supplies (FitContext); it reads no file and no held-out point.
 */
import { loadCatalog, loadPriors, type DeviceCalibration } from '../../src/planner/catalog';
import { OVERHEAD_FIT_MIN_POINTS } from '../../src/planner/catalog/calibration';
import { logSpace, quantile, round4, enforceRuntimeOrder, PIPELINE_SOURCES, OVERHEAD_SCALE_BOUNDS, type CalPoint, type CalibrationEntry, type PipelineOverhead } from './fit';

/** Candidate op-class scales (multipliers on the prior depthwise / vector efficiencies of a unit type). */
export const CLASS_GRID = [0.35, 0.5, 0.7, 1, 1.4, 2, 2.8];
/** Penalty per (ln scale)^2 that keeps the class scales near the priors when the data say little. */
export const CLASS_PENALTY = 0.5;
/** Training points of a unit type (all its devices) before its class scales are fitted. */
export const CLASS_MIN_POINTS = 6;
export type ClassScales = { depthwise: number; vector: number };

/** Candidate fixed pipeline times (ms per inference): none, or 0.1 .. 300 ms on a log grid. */
export const PIPELINE_GRID = [0, ...logSpace(0.1, 300, 36)];
/** Minimum training points of one pipeline on a device (group) before its fixed time is fitted: with two, the
 * fixed time and the compute scale fit them exactly (no degree of freedom left), so a pipeline term could absorb
 * anything. */
export const PIPELINE_MIN_POINTS = 3;

/** 1 / the largest prior dense efficiency of the unit that runs most layers (100 when it has no catalog peak). */
function maxComputeScale(id: string): number {
  const d = loadCatalog().byId(id)!;
  const unit = d.accelerator ?? d.cpu;
  if (!unit || !Object.values(unit.peak).some((v) => v)) return 100;
  const eff = loadPriors().computeEfficiency[unit.type];
  const top = Math.max(...(['int8', 'fp16', 'fp32'] as const).map((p) => Number(eff[p]) || 0));
  return top > 0 ? 1 / top : 100;
}

/** What a fit needs from the estimator, memoized by the caller. */
export interface FitContext {
  /** The estimate as the point's source measures it: inference plus, for an end-to-end source, its fitted pipeline time. */
  estimate(p: CalPoint, cal: DeviceCalibration | null): { low: number; typical: number; high: number };
  /** Pure inference (typical) under a grid candidate's scales, with no runtime or precision factor. */
  gridTypical(p: CalPoint, cal0: CalibrationEntry): number;
}
/**
 * Which scale a device with too few points to separate compute from per-op dispatch fits: 'overhead' when the
 * training points' prior per-op dispatch time (`typical` with the overhead scale at 1, less the same at ~0) is more
 * than half of their prior time, else 'compute'.
 */
export function dominantScale(points: CalPoint[], typical: (p: CalPoint, overheadScale: number) => number): 'compute' | 'overhead' {
  let dispatch = 0;
  let total = 0;
  for (const p of points) {
    const t = typical(p, 1);
    dispatch += t - typical(p, 1e-9);
    total += t;
  }
  return dispatch > total / 2 ? 'overhead' : 'compute';
}

/** A fitted entry with its training loss, the grid sizes searched and the factors that landed on a bound. */
export type GroupFit = { cal: CalibrationEntry; loss: number; grid: number[]; bounds: string[] };

/**
 * Fits one device (or shared-silicon group) on the training points `tr`: the compute, per-op overhead and memory
 * (stream) scales by grid search, a fixed pipeline time per end-to-end source, then runtime and precision factors.
 * `heldOutPoints` only labels the entry; held-out points are never seen here.
 */
export function fitDeviceGroup(id: string, tr: CalPoint[], heldOutPoints: number, classScales: ClassScales | undefined, ctx: FitContext): GroupFit {
  const isTpu = loadCatalog().byId(id)!.accelerator?.opSupport === 'edgetpu';
  const { estimate, gridTypical } = ctx;
  const trNet = tr.filter((p) => !p.llm);
  const trLlm = tr.filter((p) => p.llm);
  const base = (c: number, o: number, m: number): CalibrationEntry => ({
    computeScale: c, overheadScale: o, memoryScale: m, runtimeFactors: {}, range: { low: 1, high: 1 }, trainingPoints: tr.length, heldOutPoints, heldOutMedianAbsLogError: null, note: '',
    ...(classScales ? { classScales: { ...classScales } } : {}),
  });
  // Memory scale from bandwidth-bound LLM decode points (latency is inversely proportional to it).
  let memory = 1;
  if (trLlm.length) {
    const ratios = trLlm.map((p) => estimate(p, base(1, 1, 1)).typical / p.measuredMs);
    memory = Math.min(1.43, Math.max(0.2, quantile(ratios, 0.5)));
  }
  const bounds: string[] = [];
  if (trLlm.length && (memory === 1.43 || memory === 0.2)) bounds.push(`memory scale ${memory} at its clamp (0.2 .. 1.43)`);
  // Grid search: compute scale x overhead scale (x stream scale on the Edge TPU), training points only.
  // The compute scale stops where the unit's most efficient prior precision reaches the catalog peak: beyond
  // it the estimator caps efficiency at 1 anyway, so larger scales only change the other precisions and hide
  // memory / overhead time behind a compute rate the hardware cannot reach.
  // The per-op overhead scale stays within a plausible 0.25x .. 8x of the prior dispatch cost (OVERHEAD_SCALE_BOUNDS): the
  // time a source adds around inference goes to the fixed pipeline term below, not to every op.
  // With fewer points than separate the two, one of compute and per-op overhead is fitted: the one that takes most of
  // the points' prior time (a 1 ms reading of a network whose arithmetic takes 0.06 ms cannot identify a compute rate;
  // docs/calibration-candidates/2026-12-05-few-points-dominant-scale.md).
  const fewPointsScale = trNet.length && trNet.length < OVERHEAD_FIT_MIN_POINTS ? dominantScale(trNet, (p, o) => gridTypical(p, base(1, o, memory))) : null;
  const cs = fewPointsScale === 'overhead' ? [1] : logSpace(0.01, 100, 81).filter((c) => c <= maxComputeScale(id) * (1 + 1e-9));
  const os_ = trNet.length >= OVERHEAD_FIT_MIN_POINTS || fewPointsScale === 'overhead' ? logSpace(OVERHEAD_SCALE_BOUNDS.low, OVERHEAD_SCALE_BOUNDS.high, 21) : [1];
  const ms = isTpu && !trLlm.length && trNet.length >= 3 ? logSpace(0.5, 2, 5) : [memory];
  // Fixed per-inference pipeline time per end-to-end source (>= PIPELINE_MIN_POINTS training points): for
  // each (c, o, m) the best time per pipeline is found on its own points (the pipelines partition the points).
  const pipelines = [...new Set(trNet.map((p) => p.pipeline).filter((x): x is string => !!x))].sort()
    .filter((id) => trNet.filter((p) => p.pipeline === id).length >= PIPELINE_MIN_POINTS);
  let best = { c: 1, o: 1, m: memory, loss: Infinity, pipe: {} as Record<string, number> };
  if (trNet.length) {
    for (const m of ms) for (const o of os_) for (const c of cs) {
      const cal0 = base(c, o, m);
      const est = trNet.map((p) => gridTypical(p, cal0));
      let loss = 0.02 * Math.log(o) ** 2 + 0.02 * Math.log(m / memory) ** 2;
      const pipe: Record<string, number> = {};
      trNet.forEach((p, i) => {
        if (!p.pipeline || !pipelines.includes(p.pipeline)) loss += Math.log(est[i] / p.measuredMs) ** 2;
      });
      for (const id of pipelines) {
        let bp = { P: 0, l: Infinity };
        for (const P of PIPELINE_GRID) {
          let l = 0;
          trNet.forEach((p, i) => {
            if (p.pipeline === id) l += Math.log((est[i] + P) / p.measuredMs) ** 2;
          });
          if (l < bp.l - 1e-12) bp = { P, l };
        }
        pipe[id] = bp.P;
        loss += bp.l;
      }
      if (loss < best.loss - 1e-12) best = { c, o, m, loss, pipe };
    }
  }
  const cal = base(round4(best.c), round4(best.o), round4(best.m));
  if (fewPointsScale) cal.fewPointsScale = fewPointsScale;
  if (pipelines.length) {
    cal.pipelineOverheadMs = {};
    for (const id of pipelines) {
      const ps = trNet.filter((p) => p.pipeline === id);
      cal.pipelineOverheadMs[id] = { ms: round4(best.pipe[id] ?? 0), points: ps.length, runtimes: [...new Set(ps.map((p) => p.runtime))].sort(), measures: PIPELINE_SOURCES.find((s) => s.id === id)!.measures } satisfies PipelineOverhead;
      if (best.pipe[id] === PIPELINE_GRID[PIPELINE_GRID.length - 1]) bounds.push(`pipeline ${id} ${round4(best.pipe[id])} ms at the top of its grid`);
    }
  }
  const atEdge = (v: number, grid: number[]) => grid.length > 1 && (v === grid[0] || v === grid[grid.length - 1]);
  if (trNet.length && atEdge(best.c, cs)) bounds.push(`compute scale ${round4(best.c)} at the ${best.c === cs[0] ? 'bottom' : 'top'} of its grid (${round4(cs[0])} .. ${round4(cs[cs.length - 1])}${best.c === cs[cs.length - 1] ? ', where the most efficient prior precision reaches the catalog peak' : ''})`);
  if (trNet.length && atEdge(best.o, os_)) bounds.push(`per-op overhead scale ${round4(best.o)} at the ${best.o === os_[0] ? 'bottom' : 'top'} of its bound (${OVERHEAD_SCALE_BOUNDS.low} .. ${OVERHEAD_SCALE_BOUNDS.high})`);
  if (trNet.length && atEdge(best.m, ms)) bounds.push(`memory (stream) scale ${round4(best.m)} at the ${best.m === ms[0] ? 'bottom' : 'top'} of its grid (${ms[0]} .. ${ms[ms.length - 1]})`);
  // Runtime factors (every runtime with a training point) and precision factors (precisions with >= 2
  // training points), when the device has several of them; refined alternately twice. Each update moves the
  // factor by the group's median remaining log ratio shrunk by n / (n + 1) (n = the group's training points);
  // the two passes compound, so a factor its points alone determine ends 1 - (1 / (n + 1))^2 of the way to
  // them (3/4 for one point, 8/9 for two). A refit without a factor's only point leaves it out: the estimator
  // then uses the prior 1, as for a runtime without published points.
  const byRuntime = new Map<string, CalPoint[]>();
  const byPrecision = new Map<string, CalPoint[]>();
  for (const p of trNet) {
    byRuntime.set(p.runtime, [...(byRuntime.get(p.runtime) ?? []), p]);
    byPrecision.set(p.precision, [...(byPrecision.get(p.precision) ?? []), p]);
  }
  const sorted = (m: Map<string, CalPoint[]>, min: number) => [...m].sort((a, b) => a[0].localeCompare(b[0])).filter(([, ps]) => ps.length >= min);
  const step = (ps: CalPoint[], c: DeviceCalibration) =>
    Math.exp((ps.length / (ps.length + 1)) * quantile(ps.map((p) => Math.log(estimate(p, c).typical / p.measuredMs)), 0.5));
  if (byPrecision.size >= 2) cal.precisionFactors = {};
  for (let pass = 0; pass < 2; pass++) {
    if (byRuntime.size >= 2) {
      for (const [rt, ps] of sorted(byRuntime, 1)) {
        const f = (cal.runtimeFactors[rt] ?? 1) * step(ps, cal);
        cal.runtimeFactors[rt] = round4(Math.min(10, Math.max(0.1, f)));
      }
    }
    if (cal.precisionFactors) {
      for (const [pr, ps] of sorted(byPrecision, 2)) {
        const f = (cal.precisionFactors[pr] ?? 1) * step(ps, cal);
        cal.precisionFactors[pr] = round4(Math.min(10, Math.max(0.1, f)));
      }
    }
  }
  enforceRuntimeOrder(cal.runtimeFactors);
  for (const [k, v] of [...Object.entries(cal.runtimeFactors), ...Object.entries(cal.precisionFactors ?? {})]) {
    if (v === 0.1 || v === 10) bounds.push(`factor ${k} ${v} at its clamp (0.1 .. 10)`);
  }
  return { cal, loss: best.loss, grid: [cs.length, os_.length, ms.length, pipelines.length ? PIPELINE_GRID.length : 1], bounds };
}
