/**
 * Runtimes without published points on a device (docs/calibration-candidates/2026-12-05-unmeasured-runtime.md), in
 * the calibration's cross-validation: the refits in which a training point's runtime had no other point on its
 * device, the runtime factor transfer (rule A, adopted) applied to them, and the check of how the device ranges cover
 * them next to a band of their own (rule B, registered with A and not adopted; reported only).
 */
import { quantile, round4, unmeasuredRuntimeHalf, type CalibrationEntry, type CalPoint, type TaggedResidual, type TransferredRuntimeFactor } from './fit';

/** Candidate A of docs/calibration-candidates/2026-12-05-unmeasured-runtime.md: runtime factors transferred between devices of one unit type. */
export const TRANSFER_RUNTIME_FACTORS = true;

/**
 * A cross-validation refit in which a training point's runtime had no other point on its device (by point: it was the
 * runtime's only point; by source: its publication held all of them): `at` indexes the point's residual in the
 * group's byPoint (tr order) or bySource list.
 */
export type UnmeasuredRefit = { kind: 'point' | 'source'; at: number; point: CalPoint; cal: CalibrationEntry; rest: CalPoint[]; publication?: string };

/** What this module reads of a fitted device (group): its cross-validated residuals and the refits that lost a runtime. */
export interface CrossValidatedGroup {
  group: string[];
  byPoint: TaggedResidual[];
  bySource: TaggedResidual[];
  unmeasured: UnmeasuredRefit[];
}

/** One such refit's residual r = ln(measured / estimate) without and with the transferred factor. */
export type UnmeasuredResidual<G> = { g: G; refit: UnmeasuredRefit; without: number; withTransfer: number; transfer: TransferredRuntimeFactor | null };

/** The same as the coverage / width figures of calibration.json `unmeasuredRuntimeCheck`. */
export type UnmeasuredRuntimeCheck = {
  points: number;
  band: { low: number; high: number };
  deviceRange: { coverage: number; medianWidth: number };
  nested: { coverage: number; medianWidth: number };
  transfer: { residuals: number; medianAbsLogErrorWithout: number | null; medianAbsLogErrorWith: number | null };
};

/** Median |r| of residuals, null without any. */
export const medianAbs = (xs: number[]): number | null => (xs.length ? round4(quantile(xs.map(Math.abs), 0.5)) : null);

/**
 * Every refit that lost a runtime's last point, with the residual a transferred factor gives (`transferFor` finds the
 * factor from the other devices, `residualWith` re-estimates the point with it). Logs what the transfer changed and,
 * with TRANSFER_RUNTIME_FACTORS, writes the transferred residuals into the groups' byPoint / bySource lists, so the
 * range rule and the cross-validation figures see what such an estimate would have met.
 */
export function transferUnmeasuredResiduals<G extends CrossValidatedGroup>(
  groupFits: G[],
  transferFor: (g: G, refit: UnmeasuredRefit) => TransferredRuntimeFactor | null,
  residualWith: (refit: UnmeasuredRefit, factor: number) => number,
): UnmeasuredResidual<G>[] {
  const groupKey = (g: G) => g.group.join('+');
  const unmeasuredResiduals: UnmeasuredResidual<G>[] = [];
  for (const g of groupFits) {
    for (const refit of g.unmeasured) {
      const list = refit.kind === 'point' ? g.byPoint : g.bySource;
      const without = list[refit.at].r;
      const transfer = refit.point.llm ? null : transferFor(g, refit);
      const withTransfer = transfer ? residualWith(refit, transfer.factor) : without;
      unmeasuredResiduals.push({ g, refit, without, withTransfer, transfer });
    }
  }
  const transferred = unmeasuredResiduals.filter((u) => u.transfer);
  const patched = (kind: 'point' | 'source', useTransfer: boolean) => groupFits.flatMap((g) => (kind === 'point' ? g.byPoint : g.bySource).map((x, i) => {
    const u = unmeasuredResiduals.find((v) => v.g === g && v.refit.kind === kind && v.refit.at === i);
    return u && useTransfer ? u.withTransfer : x.r;
  }));
  process.stderr.write(`unmeasured-runtime residuals: ${unmeasuredResiduals.length} (by point ${unmeasuredResiduals.filter((u) => u.refit.kind === 'point').length}, by source ${unmeasuredResiduals.filter((u) => u.refit.kind === 'source').length}); with a transfer ${transferred.length}: median |ln| without ${medianAbs(transferred.map((u) => u.without))}, with ${medianAbs(transferred.map((u) => u.withTransfer))}\n`);
  for (const u of transferred) process.stderr.write(`  transfer ${groupKey(u.g)} ${u.refit.point.runtime} (${u.refit.kind}${u.refit.publication ? ` ${u.refit.publication}` : ''}): x${u.transfer!.factor} from ${u.transfer!.from.map((f) => `${f.device} via ${f.anchors.join('/')}`).join('; ')}; r ${u.without.toFixed(3)} -> ${u.withTransfer.toFixed(3)}\n`);
  for (const [kind, label] of [['point', 'by point'], ['source', 'by source']] as const) {
    process.stderr.write(`all training points ${label}: median |ln| without transfer ${medianAbs(patched(kind, false))}, with ${medianAbs(patched(kind, true))}\n`);
  }
  if (TRANSFER_RUNTIME_FACTORS) {
    for (const u of unmeasuredResiduals) (u.refit.kind === 'point' ? u.g.byPoint : u.g.bySource)[u.refit.at].r = u.withTransfer;
  }
  return unmeasuredResiduals;
}

/**
 * How the device ranges cover the unmeasured-runtime residuals, and how rule B's band of their own (pooled over every
 * device, never narrower than the device's) would, each residual left out of it. One residual per training point: its
 * by-source one where its publication held its runtime's last points on the device (a whole new setup), else its
 * by-point one.
 */
export function unmeasuredRuntimeCheck<G extends CrossValidatedGroup>(unmeasuredResiduals: UnmeasuredResidual<G>[], deviceHalf: (g: G) => number): UnmeasuredRuntimeCheck {
  const perPoint = new Map<CalPoint, { g: G; r: number }>();
  for (const u of [...unmeasuredResiduals].sort((a, b) => Number(a.refit.kind === 'source') - Number(b.refit.kind === 'source'))) {
    perPoint.set(u.refit.point, { g: u.g, r: TRANSFER_RUNTIME_FACTORS ? u.withTransfer : u.without });
  }
  const unmeasuredAll = [...perPoint.values()];
  const unmeasuredPoolHalf = unmeasuredRuntimeHalf(unmeasuredAll.map((u) => u.r), 0);
  const baseInside = unmeasuredAll.filter((u) => Math.abs(u.r) <= deviceHalf(u.g) + 1e-12).length;
  const nested = unmeasuredAll.map((u, i) => unmeasuredRuntimeHalf(unmeasuredAll.filter((_, j) => j !== i).map((v) => v.r), deviceHalf(u.g)));
  const nestedInside = unmeasuredAll.filter((u, i) => Math.abs(u.r) <= nested[i] + 1e-12).length;
  const pct = (n: number) => (100 * n / Math.max(1, unmeasuredAll.length)).toFixed(1);
  process.stderr.write(`unmeasured-runtime residuals (one per point): ${unmeasuredAll.length}; inside the device's range (v8) ${pct(baseInside)} % at median width x${quantile(unmeasuredAll.map((u) => Math.exp(2 * deviceHalf(u.g))), 0.5).toFixed(2)}; inside rule B's band, each left out, ${pct(nestedInside)} % at median width x${quantile(nested.map((h) => Math.exp(2 * h)), 0.5).toFixed(2)}; pooled band x${Math.exp(-unmeasuredPoolHalf).toFixed(4)} .. x${Math.exp(unmeasuredPoolHalf).toFixed(4)}\n`);
  const transferred = unmeasuredResiduals.filter((u) => u.transfer);
  return {
    points: unmeasuredAll.length,
    band: { low: round4(Math.exp(-unmeasuredPoolHalf)), high: round4(Math.exp(unmeasuredPoolHalf)) },
    deviceRange: { coverage: round4(baseInside / Math.max(1, unmeasuredAll.length)), medianWidth: round4(quantile(unmeasuredAll.map((u) => Math.exp(2 * deviceHalf(u.g))), 0.5)) },
    nested: { coverage: round4(nestedInside / Math.max(1, unmeasuredAll.length)), medianWidth: round4(quantile(nested.map((h) => Math.exp(2 * h)), 0.5)) },
    transfer: { residuals: transferred.length, medianAbsLogErrorWithout: medianAbs(transferred.map((u) => u.without)), medianAbsLogErrorWith: medianAbs(transferred.map((u) => u.withTransfer)) },
  };
}
