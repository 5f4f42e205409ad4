/**
 * Cross-validation of one device (group)'s fit on its training points: by point (each predicted by a fit without
 * it), by source (a whole publication held out at a time: one source's systematic offset is what a user meets on a
 * new model) and the single-source simulation that judges range rule v5. Residuals are r = ln(measured / estimate).
 */
import type { DeviceCalibration } from '../../src/planner/catalog';
import type { GroupFit } from './group-fit';
import type { UnmeasuredRefit } from './unmeasured-runtimes';
import type { CalPoint, SingleSourceSim, TaggedResidual } from './fit';

/** The publication a point comes from (its source's repository or site). */
export const pubOf = (p: CalPoint): string => p.publication ?? p.source;

/** A device's cross-validated residuals and the refits in which a point's runtime had no other point. */
export type CrossValidation = { pubs: string[]; byPoint: TaggedResidual[]; bySource: TaggedResidual[]; bySourcePoints: CalPoint[]; singleSource: SingleSourceSim[]; unmeasured: UnmeasuredRefit[] };

/**
 * `fit` refits the device on a subset of `tr`, `estimate` gives a point's estimate under a fit, `outsideOf` says
 * whether a left-out point lies outside the span of the points its refit saw, `fitWithout(pub, rest)` refits on
 * `rest` with what was searched without publication `pub` (a by-source fold, and a by-point fold of one of its points).
 */
export function crossValidate(
  tr: CalPoint[],
  fit: (tr: CalPoint[]) => GroupFit,
  estimate: (p: CalPoint, cal: DeviceCalibration | null) => { typical: number },
  outsideOf: (p: CalPoint, rest: CalPoint[]) => boolean,
  /** A refit on `rest` with what was searched without publication `pub`; `fit` by default. */
  fitWithout: (pub: string, rest: CalPoint[]) => GroupFit = (_pub, rest) => fit(rest),
): CrossValidation {
  // Cross-validation on the training points, by publication (a whole source held out at a time: one source's
  // systematic offset is what a user meets on a new model) and by point (each predicted by a fit without it).
  const pubs = [...new Set(tr.map(pubOf))].sort();
  const tagged = (p: CalPoint, r: number): TaggedResidual => ({ r, runtime: p.runtime, publication: pubOf(p) });
  // Refits in which a point's runtime has no other point on the device: where it meets the device as a runtime
  // without published points does (docs/calibration-candidates/2026-12-05-unmeasured-runtime.md).
  const unmeasured: UnmeasuredRefit[] = [];
  const byPoint = tr.length >= 2
    ? tr.map((p, i) => {
        const rest = tr.filter((_, j) => j !== i);
        // The fit that judges a point never saw it: the multipliers searched without its publication (stricter
        // than without the point alone, and already searched for its by-source fold).
        const cal = fitWithout(pubOf(p), rest).cal;
        if (!rest.some((q) => q.runtime === p.runtime)) unmeasured.push({ kind: 'point', at: i, point: p, cal, rest });
        return { ...tagged(p, Math.log(p.measuredMs / estimate(p, cal).typical)), outside: outsideOf(p, rest) };
      })
    : [];
  const bySource: TaggedResidual[] = [];
  // The point behind each by-source residual (same order), for the report's largest by-source errors.
  const bySourcePoints: CalPoint[] = [];
  if (pubs.length >= 2) {
    for (const pub of pubs) {
      const rest = tr.filter((p) => pubOf(p) !== pub);
      const without = fitWithout(pub, rest).cal;
      for (const p of tr.filter((q) => pubOf(q) === pub)) {
        if (!rest.some((q) => q.runtime === p.runtime)) unmeasured.push({ kind: 'source', at: bySource.length, point: p, cal: without, rest, publication: pub });
        bySource.push(tagged(p, Math.log(p.measuredMs / estimate(p, without).typical)));
        bySourcePoints.push(p);
      }
    }
  }
  // Single-source simulation (the judge of range rule v5): the device fitted on one of its publications alone, as a
  // device calibrated on a single source is; that source's by-point residuals under such fits, and the residuals
  // of the device's points from its other publications, which that fit never saw.
  const singleSource: SingleSourceSim[] = pubs.length >= 2
    ? pubs.flatMap((pub) => {
        const own = tr.filter((p) => pubOf(p) === pub);
        if (own.length < 2) return [];
        const alone = fit(own).cal;
        return [{
          publication: pub,
          byPoint: own.map((p, i) => Math.log(p.measuredMs / estimate(p, fit(own.filter((_, j) => j !== i)).cal).typical)),
          otherSources: tr.filter((p) => pubOf(p) !== pub).map((p) => Math.log(p.measuredMs / estimate(p, alone).typical)),
        }];
      })
    : [];
  return { pubs, byPoint, bySource, bySourcePoints, singleSource, unmeasured };
}
