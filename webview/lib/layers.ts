/**
 * The per-layer table's logic, without DOM: joining layer costs with one device's per-layer estimate,
 * sorting, filtering and finding the layers that dominate the device's time.
 */
import type { LayerProfile } from '../../src/analyzers/profile-types';
import type { LayerEstimate } from '../../src/planner/types';

export interface LayerRow {
  index: number;
  name: string;
  op: string;
  macs: number | null;
  params: number;
  weightBytes: number;
  activationBytes: number | null;
  outputShapes: LayerProfile['outputShapes'];
  /** Estimated time on the chosen device, when it has a per-layer estimate for this layer. */
  ms: number | null;
  unit: LayerEstimate['unit'] | null;
  /** Share of the device's total estimated time (0..1). */
  share: number | null;
  dominant: boolean;
}

export type SortKey = 'index' | 'name' | 'op' | 'macs' | 'params' | 'weightBytes' | 'activationBytes' | 'ms';

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

export function layerRows(layers: readonly LayerProfile[], estimates: readonly LayerEstimate[] | null): LayerRow[] {
  const byName = new Map<string, LayerEstimate>();
  let total = 0;
  for (const e of estimates ?? []) {
    // Names can repeat (fused or split layers): add their times up.
    const prev = byName.get(e.name);
    byName.set(e.name, prev ? { ...prev, ms: prev.ms + e.ms } : e);
    if (Number.isFinite(e.ms) && e.ms > 0) total += e.ms;
  }
  const dominant = estimates ? dominantLayers([...byName.values()]) : new Set<string>();
  return layers.map((l, index) => {
    const e = byName.get(l.name);
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
    };
  });
}

/** Case-insensitive match on name or op; "op:Conv" matches the op exactly. */
export function filterRows(rows: readonly LayerRow[], query: string, onlyDominant: boolean): LayerRow[] {
  const q = query.trim().toLowerCase();
  const opOnly = q.startsWith('op:') ? q.slice(3).trim() : null;
  return rows.filter((r) => {
    if (onlyDominant && !r.dominant) return false;
    if (!q) return true;
    if (opOnly !== null) return r.op.toLowerCase() === opOnly;
    return r.name.toLowerCase().includes(q) || r.op.toLowerCase().includes(q);
  });
}

/** Stable sort; unknown values (null) always go last. */
export function sortRows(rows: readonly LayerRow[], key: SortKey, dir: 'asc' | 'desc'): LayerRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const va = a.r[key];
      const vb = b.r[key];
      if (va === null && vb === null) return a.i - b.i;
      if (va === null) return 1;
      if (vb === null) return -1;
      const c = typeof va === 'string' && typeof vb === 'string' ? va.localeCompare(vb) : (va as number) - (vb as number);
      return c !== 0 ? c * sign : a.i - b.i;
    })
    .map((x) => x.r);
}
