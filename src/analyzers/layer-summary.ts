/**
 * Keeps the per-layer list of a huge graph bounded. Up to MAX_PROFILE_LAYERS layers are kept one by one,
 * exactly as profiled. A main graph with more layers (a 1,000,000-node chain is a valid ONNX file) is
 * summarised while it is profiled, so neither the profile nor anything built from it (estimates for every
 * device and candidate pipeline, JSON output, documents) grows with the node count:
 *
 * 1. runs of consecutive layers with the same op, op class and precisions become one row;
 * 2. while there are still too many rows, layers in the same window of the execution order (a window of
 *    S nodes, S doubling as needed) with the same op, op class and precisions share a row;
 * 3. if a graph has so many different op types that windows cannot shrink it, rows are keyed by op class and
 *    precisions only, and a row shows its most costly op.
 *
 * A row that stands for several layers has `count` (so the estimator charges each node's dispatch overhead
 * and compatibility counts every node), summed MACs, FLOPs, parameters and bytes (null when any member is
 * unknown), the output shapes of its last member, and the name "<first> … <last> (<count> layers)".
 * Execution order is kept to the window: a row sits where its first member ran. The rows of a summarised
 * profile carry no dataflow (inputs/outputs), so the deployed-graph pass takes them as they are.
 */
import type { LayerProfile } from './profile-types';

/** The graph nodes some layer rows stand for: a summarised row stands for `count` of them. */
export function nodeCount(layers: readonly LayerProfile[]): number {
  return layers.reduce((n, l) => n + (l.count ?? 1), 0);
}

/** Most per-layer rows a profile keeps (see the module comment). */
export const MAX_PROFILE_LAYERS = 10_000;

interface Row {
  key: string;
  first: number;
  layer: LayerProfile;
  firstName: string;
  lastName: string;
  /** In op-less mode: MACs+FLOPs per op, to name the row after its most costly op. */
  opCost?: Map<string, number>;
}

export class LayerSummary {
  private readonly rows: Row[] = [];
  /** Window size in nodes; 0 = keep every layer (the graph is small enough). */
  private window: number;
  private opless = false;
  /** Rows of the current window by key (window mode only). */
  private current = new Map<string, Row>();
  private currentWindow = -1;

  constructor(
    readonly total: number,
    private readonly limit = MAX_PROFILE_LAYERS,
  ) {
    this.window = total > limit ? 1 : 0;
  }

  /** True when every layer is kept one by one (the graph has at most `limit` layers). */
  get exact(): boolean {
    return this.total <= this.limit;
  }

  /** Adds the layer at position `index` of the execution order (indices increase by one per call). */
  add(l: LayerProfile, index: number): void {
    if (this.window === 0) {
      this.rows.push({ key: '', first: index, layer: l, firstName: l.name, lastName: l.name });
      return;
    }
    const key = this.keyOf(l);
    const last = this.rows[this.rows.length - 1];
    const w = Math.floor(index / this.window);
    if (w !== this.currentWindow) {
      this.current = new Map();
      this.currentWindow = w;
    }
    const into = last && last.key === key ? last : this.window > 1 ? this.current.get(key) : undefined;
    if (into) merge(into, l, this.opless);
    else {
      const row = newRow(key, index, l, this.opless);
      this.rows.push(row);
      this.current.set(key, row);
    }
    if (this.rows.length > this.limit) this.compact();
  }

  /** The rows, in execution order of their first member. */
  layers(): LayerProfile[] {
    return this.rows.map(finish);
  }

  /** A sentence for the warnings when layers were summarised, else null. */
  note(): string | null {
    if (this.window === 0) return null;
    const how = this.opless
      ? `layers in the same window of ${this.window} nodes with the same op class and precision share a row (named after its most costly op)`
      : this.window > 1
        ? `layers in the same window of ${this.window} nodes with the same op and precision share a row`
        : 'runs of consecutive layers with the same op and precision share a row';
    return `The main graph has ${this.total.toLocaleString('en-US')} layers, more than the ${this.limit.toLocaleString('en-US')} listed one by one: ${how} (${this.rows.length.toLocaleString('en-US')} rows; totals, op counts and per-node overheads are exact, the order is kept to the window; estimates take the rows as they are, without the deployed-graph pass's folding and fusions, so activations are assumed fused)`;
  }

  private keyOf(l: LayerProfile): string {
    const base = `${l.opClass}\u0000${l.precision}\u0000${l.weightPrecision ?? ''}\u0000${l.compiledPayloadBytes === undefined ? '' : 'c'}`;
    return this.opless ? base : `${l.op}\u0000${base}`;
  }

  /** Doubles the window (or drops the op from the key) and re-merges the rows so far. */
  private compact(): void {
    for (;;) {
      const before = this.rows.length;
      this.window *= 2;
      this.regroup();
      if (this.rows.length <= this.limit / 2 || this.window > this.total) return;
      // Windows no longer help when almost every row has its own op type: key by op class from now on.
      if (!this.opless && this.rows.length > 0.9 * before) {
        this.opless = true;
        this.regroup();
        if (this.rows.length <= this.limit / 2) return;
      }
    }
  }

  private regroup(): void {
    const old = this.rows.splice(0);
    let window = -1;
    let byKey = new Map<string, Row>();
    for (const r of old) {
      const w = Math.floor(r.first / this.window);
      if (w !== window) {
        window = w;
        byKey = new Map();
      }
      const key = this.opless ? this.keyOf(r.layer) : r.key;
      const into = byKey.get(key);
      if (into) mergeRow(into, r, this.opless);
      else {
        const row: Row = { ...r, key };
        if (this.opless && !row.opCost) row.opCost = new Map([[r.layer.op, cost(r.layer)]]);
        byKey.set(key, row);
        this.rows.push(row);
      }
    }
    this.current = byKey;
    this.currentWindow = window;
  }
}

function cost(l: LayerProfile): number {
  return (l.macs ?? 0) + (l.flops ?? 0);
}

function newRow(key: string, index: number, l: LayerProfile, opless: boolean): Row {
  // Summarised rows carry no dataflow: tensors inside a row are gone (the deployed-graph pass takes the rows as they are).
  const { inputs: _inputs, outputs: _outputs, constantInputs: _constants, ...rest } = l;
  const row: Row = { key, first: index, layer: { ...rest, count: l.count ?? 1 }, firstName: l.name, lastName: l.name };
  if (opless) row.opCost = new Map([[l.op, cost(l)]]);
  return row;
}

const addNullable = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a + b);

function merge(row: Row, l: LayerProfile, opless: boolean): void {
  const m = row.layer;
  m.count = (m.count ?? 1) + (l.count ?? 1);
  m.macs = addNullable(m.macs, l.macs);
  m.flops = addNullable(m.flops, l.flops);
  m.params += l.params;
  m.weightBytes += l.weightBytes;
  m.inputBytes = addNullable(m.inputBytes, l.inputBytes);
  m.activationBytes = addNullable(m.activationBytes, l.activationBytes);
  m.outputShapes = l.outputShapes;
  if (l.compiledPayloadBytes !== undefined) m.compiledPayloadBytes = (m.compiledPayloadBytes ?? 0) + l.compiledPayloadBytes;
  if (l.lowerBound !== undefined) m.lowerBound ??= l.lowerBound;
  row.lastName = l.name;
  if (opless) {
    const c = row.opCost ?? (row.opCost = new Map());
    c.set(l.op, (c.get(l.op) ?? 0) + cost(l));
  }
}

function mergeRow(into: Row, r: Row, opless: boolean): void {
  merge(into, r.layer, false);
  into.lastName = r.lastName;
  if (opless) {
    const c = into.opCost ?? (into.opCost = new Map());
    for (const [op, v] of r.opCost ?? new Map([[r.layer.op, cost(r.layer)]])) c.set(op, (c.get(op) ?? 0) + v);
  }
}

function finish(r: Row): LayerProfile {
  const l = r.layer;
  if ((l.count ?? 1) === 1) {
    const { count: _count, ...one } = l;
    return one;
  }
  if (r.opCost && r.opCost.size > 1) {
    let best = l.op;
    let bestCost = -1;
    for (const [op, c] of r.opCost) if (c > bestCost) [best, bestCost] = [op, c];
    l.op = best;
  }
  l.name = `${r.firstName} … ${r.lastName} (${l.count} layers)`;
  return l;
}
