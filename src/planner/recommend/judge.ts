/**
 * Judging a candidate pipeline against the budgets: does it run on the target, does each budget hold (latency,
 * the device's memory and flash, the memory budget, power, energy, accuracy), what it misses and by how much
 * (structured misses; explain.ts words them), and its distance to the budgets for ranking the ones that miss.
 * compareCandidates ranks: meets-all first, then effort, accuracy, speed and fewer steps. No `vscode` import.
 */
import type { BudgetCheck, Budgets, DeviceEstimate, Miss } from '../types';
import { techniquesOf, type Evaluated, type SearchContext } from './candidate';

const MB = 1024 * 1024;

/** One budget's verdict: whether it holds, what is missed, and the log over-budget ratio added to the distance. */
interface Verdict {
  ok?: boolean;
  misses: Miss[];
  distance: number;
}

const holds = (ok: boolean | undefined): Verdict => ({ ok, misses: [], distance: 0 });

/** Compiled for other hardware or missing kernels: does not run; nothing on the accelerator: runs, but misses the point. */
function judgeRuns(est: DeviceEstimate, ctx: SearchContext): Verdict & { runs: boolean } {
  const verdict = est.compatibility.verdict;
  const runs = verdict !== 'unsupported' && !(verdict === 'none' && ctx.spec.accelerator !== null);
  if (verdict === 'unsupported') return { runs, misses: [{ kind: 'does-not-run', deviceName: ctx.spec.name, summary: est.compatibility.summary }], distance: 10 };
  if (!runs) return { runs, misses: [{ kind: 'nothing-on-accelerator', summary: est.compatibility.summary }], distance: 3 };
  return { runs, misses: [], distance: 0 };
}

function judgeLatency(est: DeviceEstimate, b: Budgets, ctx: SearchContext): Verdict {
  if (b.latencyMs === undefined) return holds(undefined);
  const v = est.latencyMs.typical;
  const ok = Number.isFinite(v) && v <= b.latencyMs;
  if (!Number.isFinite(v)) return { ok, misses: [{ kind: 'latency-unknown', deviceName: ctx.spec.name }], distance: 5 };
  if (!ok) return { ok, misses: [{ kind: 'latency', ms: v, budgetMs: b.latencyMs }], distance: Math.log(v / b.latencyMs) };
  return holds(ok);
}

/** The device itself: RAM (or the MCU arena) and flash. */
function judgeDeviceMemory(est: DeviceEstimate): Verdict & { fits: boolean } {
  const m = est.memory;
  const fits = m.fits !== false && (m.flash ? m.flash.fits !== false : true);
  const v: Verdict & { fits: boolean } = { fits, misses: [], distance: 0 };
  if (fits) return v;
  if (m.fits === false && m.limitBytes !== null && m.totalBytes > m.limitBytes) {
    v.misses.push({ kind: 'device-memory', bytes: m.totalBytes, limitBytes: m.limitBytes });
    v.distance += Math.log(m.totalBytes / Math.max(1, m.limitBytes));
  }
  if (m.flash && m.flash.fits === false && m.flash.limitBytes !== null) {
    v.misses.push({ kind: 'device-flash', bytes: m.flash.neededBytes, limitBytes: m.flash.limitBytes });
    v.distance += Math.log(m.flash.neededBytes / Math.max(1, m.flash.limitBytes));
  }
  return v;
}

function judgeMemoryBudget(est: DeviceEstimate, b: Budgets): Verdict {
  if (b.memoryMb === undefined) return holds(undefined);
  const m = est.memory;
  const limit = m.budget?.limitBytes ?? b.memoryMb * MB;
  const fits = m.budget ? m.budget.fits : m.totalBytes <= limit;
  return fits ? holds(true) : { ok: false, misses: [{ kind: 'memory-budget', bytes: m.totalBytes, limitBytes: limit }], distance: Math.log(m.totalBytes / limit) };
}

function judgePower(est: DeviceEstimate, b: Budgets): Verdict {
  if (b.powerW === undefined || !est.powerW) return holds(undefined);
  const w = est.powerW.typical;
  return w <= b.powerW ? holds(true) : { ok: false, misses: [{ kind: 'power', watts: w, budgetW: b.powerW }], distance: Math.log(w / b.powerW) };
}

function judgeEnergy(est: DeviceEstimate, b: Budgets): Verdict {
  if (b.energyMj === undefined || !est.energyMj) return holds(undefined);
  const mj = est.energyMj.typical;
  return mj <= b.energyMj ? holds(true) : { ok: false, misses: [{ kind: 'energy', mj, budgetMj: b.energyMj }], distance: Math.log(mj / b.energyMj) };
}

/** An accuracy drop (points) within the budget (points), allowing for rounding in sums of drops. */
export const withinAccuracyBudget = (points: number, budgetPoints: number): boolean => points <= budgetPoints + 1e-9;

function judgeAccuracy(ev: Evaluated, b: Budgets): Verdict {
  if (b.accuracyDrop === undefined) return holds(undefined);
  const points = ev.accuracy.typical;
  if (withinAccuracyBudget(points, b.accuracyDrop)) return holds(true);
  return { ok: false, misses: [{ kind: 'accuracy', points, budgetPoints: b.accuracyDrop }], distance: Math.log((points + 0.1) / (b.accuracyDrop + 0.1)) };
}

/** Fills in the candidate's budget checks, misses and distance to the budgets. */
export function judge(ev: Evaluated, ctx: SearchContext): void {
  const b = ctx.budgets;
  const est = ev.estimate;
  if (!est) {
    ev.runs = false;
    ev.misses = [{ kind: 'not-estimable', deviceName: ctx.spec.name, error: ev.error }];
    return;
  }
  const runs = judgeRuns(est, ctx);
  const latency = judgeLatency(est, b, ctx);
  const device = judgeDeviceMemory(est);
  const budget = judgeMemoryBudget(est, b);
  const power = judgePower(est, b);
  const energy = judgeEnergy(est, b);
  const accuracy = judgeAccuracy(ev, b);
  const check: BudgetCheck = {};
  if (latency.ok !== undefined) check.latency = latency.ok;
  if (b.memoryMb !== undefined || !device.fits) check.memory = device.fits && budget.ok !== false;
  if (power.ok !== undefined) check.power = power.ok;
  if (energy.ok !== undefined) check.energy = energy.ok;
  if (accuracy.ok !== undefined) check.accuracy = accuracy.ok;
  const parts = [runs, latency, device, budget, power, energy, accuracy];
  let distance = 0;
  for (const p of parts) distance += p.distance;
  ev.runs = runs.runs;
  ev.check = check;
  ev.misses = parts.flatMap((p) => p.misses);
  ev.meetsAll = ev.runs && Object.values(check).every((v) => v !== false);
  ev.distance = ev.meetsAll ? 0 : distance;
}

const EFFORT_RANK: Record<Evaluated['effort'], number> = { none: 0, 'no-retraining': 1, 'calibration-data': 2, retraining: 3, 'architecture-change': 4 };

export function maxEffort(a: Evaluated['effort'], b: Evaluated['effort']): Evaluated['effort'] {
  return EFFORT_RANK[a] >= EFFORT_RANK[b] ? a : b;
}

/** Meets-all first, then effort, then accuracy, then fewer steps, then latency; misses ranked by distance. */
export function compareCandidates(a: Evaluated, b: Evaluated): number {
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
