/**
 * The per-layer table's logic, without DOM, for its two views:
 *  - "As in the file": the file's layers with their costs, each joined with the chosen device's estimate — its
 *    time when it heads a layer the device runs, the layer it was fused into, or that its toolchain folded it away;
 *  - "As it runs on <device>": the layers the device's toolchain runs (the deployed graph), each with its time,
 *    unit and the file nodes it stands for.
 * Sorting, filtering and the layers that dominate the device's time work on both.
 */
import type { LayerProfile } from '../../src/analyzers/profile-types';
import type { LayerEstimate } from '../../src/planner/types';
import { timedLayers } from '../../src/planner/estimate/layer-times';

export interface LayerRow {
  index: number;
  name: string;
  op: string;
  macs: number | null;
  params: number;
  weightBytes: number;
  activationBytes: number | null;
  outputShapes: LayerProfile['outputShapes'];
  /** Estimated time on the chosen device, when this file node heads a layer the device runs. */
  ms: number | null;
  unit: LayerEstimate['unit'] | null;
  /** Share of the device's total estimated time (0..1). */
  share: number | null;
  dominant: boolean;
  /** The deployed layer this node was fused or folded into (not itself), when the estimate says so. */
  fusedInto: string | null;
  /** The device's toolchain removed this node (constant/shape folding, Identity, QDQ …): it does not run. */
  folded: boolean;
}

/** One layer of the graph the device runs. */
export interface DeployedRow {
  index: number;
  name: string;
  op: string;
  unit: LayerEstimate['unit'];
  ms: number;
  share: number | null;
  dominant: boolean;
  /** The file nodes it stands for: itself first, then what was fused or folded into it. */
  from: string[];
}

export type SortKey = 'index' | 'name' | 'op' | 'macs' | 'params' | 'weightBytes' | 'activationBytes' | 'ms';
export type DeployedSortKey = 'index' | 'name' | 'op' | 'unit' | 'ms';

/**
 * The smallest set of layers (largest first) whose estimated time adds up to at least `share` of the total,
 * capped at `max` layers. Layers with zero time are never dominant.
 */
export function dominantLayers(estimates: readonly LayerEstimate[], share = 0.5, max = 20): Set<string> {
  const total = estimates.reduce((t, l) => t + (Number.isFinite(l.ms) && l.ms > 0 ? l.ms : 0), 0);
  const out = new Set<string>();
  if (total <= 0) return out;
  const sorted = estimates.filter((l) => Number.isFinite(l.ms) && l.ms > 0).sort((a, b) => b.ms - a.ms);
  let acc = 0;
  for (const l of sorted) {
    if (acc >= share * total || out.size >= max) break;
    out.add(l.name);
    acc += l.ms;
  }
  return out;
}

/** Per-name estimates, times of repeated names added up. */
function byName(estimates: readonly LayerEstimate[]): Map<string, LayerEstimate> {
  const out = new Map<string, LayerEstimate>();
  for (const e of estimates) {
    const prev = out.get(e.name);
    out.set(e.name, prev ? { ...prev, ms: prev.ms + e.ms } : e);
  }
  return out;
}

export function layerRows(layers: readonly LayerProfile[], estimates: readonly LayerEstimate[] | null): LayerRow[] {
  const named = byName(estimates ?? []);
  const total = (estimates ?? []).reduce((t, e) => t + (Number.isFinite(e.ms) && e.ms > 0 ? e.ms : 0), 0);
  const dominant = estimates ? dominantLayers([...named.values()]) : new Set<string>();
  // Which deployed layer each file node ended up in; a node in none of them was folded away (when the estimate
  // carries the deployed graph's "from" lists at all).
  const into = new Map<string, string>();
  for (const e of estimates ?? []) for (const n of e.from ?? []) if (n !== e.name && !into.has(n)) into.set(n, e.name);
  const knowsFolding = !!estimates?.length && estimates.every((e) => Array.isArray(e.from));
  return layers.map((l, index) => {
    const e = named.get(l.name);
    const fusedInto = e ? null : (into.get(l.name) ?? null);
    return {
      index,
      name: l.name,
      op: l.op,
      macs: l.macs,
      params: l.params,
      weightBytes: l.weightBytes,
      activationBytes: l.activationBytes,
      outputShapes: l.outputShapes,
      ms: e ? e.ms : null,
      unit: e ? e.unit : null,
      share: e && total > 0 ? e.ms / total : null,
      dominant: dominant.has(l.name),
      fusedInto,
      folded: knowsFolding && !e && fusedInto === null,
    };
  });
}

/** The device's deployed layers in run order, with their share and the dominant ones marked. */
export function deployedRows(estimates: readonly LayerEstimate[]): DeployedRow[] {
  const dominant = dominantLayers(estimates);
  return timedLayers(estimates).map((l) => ({ index: l.index, name: l.name, op: l.op, unit: l.unit, ms: l.ms, share: l.share, dominant: dominant.has(l.name), from: l.fromNodes }));
}

interface Filterable {
  name: string;
  op: string;
  dominant: boolean;
  from?: readonly string[];
}

/** Case-insensitive match on name, op or (deployed rows) a file node it came from; "op:Conv" matches the op exactly. */
export function filterRows<R extends Filterable>(rows: readonly R[], query: string, onlyDominant: boolean): R[] {
  const q = query.trim().toLowerCase();
  const opOnly = q.startsWith('op:') ? q.slice(3).trim() : null;
  return rows.filter((r) => {
    if (onlyDominant && !r.dominant) return false;
    if (!q) return true;
    if (opOnly !== null) return r.op.toLowerCase() === opOnly;
    return r.name.toLowerCase().includes(q) || r.op.toLowerCase().includes(q) || (r.from ?? []).some((n) => n.toLowerCase().includes(q));
  });
}

/** Stable sort; unknown values (null) always go last. */
export function sortRows<R, K extends keyof R>(rows: readonly R[], key: K, dir: 'asc' | 'desc'): R[] {
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const va = a.r[key] as unknown;
      const vb = b.r[key] as unknown;
      if (va === null && vb === null) return a.i - b.i;
      if (va === null) return 1;
      if (vb === null) return -1;
      const c = typeof va === 'string' && typeof vb === 'string' ? va.localeCompare(vb) : (va as number) - (vb as number);
      return c !== 0 ? c * sign : a.i - b.i;
    })
    .map((x) => x.r);
}
