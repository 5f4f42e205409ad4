/**
 * How far a compressed model's outputs are from the original's, over the same samples:
 * - fidelity of each output over all evaluation samples together: cosine similarity, SQNR in dB
 *   (10·log10(Σ original² / Σ (original − compressed)²); `'identical'` when there is no noise, `'no signal'` when
 *   the original is all zeros and the compressed one is not — see Sqnr) and the largest absolute difference;
 * - for classifier-like outputs (one dimension > 1): top-1 agreement (same arg-max) and top-5 agreement (the
 *   original's top-1 class is among the compressed model's top 5);
 * - with labels: accuracy of both, the drop (original − compressed, as fractions) and its 95 % interval by
 *   Newcombe's hybrid score method for paired proportions (Newcombe 1998, method 10: Wilson intervals of
 *   both accuracies combined with the correlation of the paired outcomes); the same per group, the worst
 *   group's drop, and whether the gap between the best and worst group widened.
 */

export const Z95 = 1.959963984540054;

/**
 * An SQNR as reports, plan files and webview messages carry it: dB when the original has signal and the compressed
 * tensor differs from it; 'identical' when there is no noise at all (+∞ dB); 'no signal' when the original is all
 * zeros but the compressed tensor is not (−∞ dB: nothing but noise). Words, not ±Infinity or null, because JSON
 * turns ±Infinity into null, which then reads back as neither.
 */
export type Sqnr = number | 'identical' | 'no signal';

/** An SQNR as a number for comparing and sorting in memory only (±Infinity for the words; never serialised). */
export function sqnrOrder(s: Sqnr): number {
  return s === 'identical' ? Infinity : s === 'no signal' ? -Infinity : s;
}

/** At least `db` dB: identical always is, no signal never is. */
export const sqnrAtLeast = (s: Sqnr, db: number): boolean => sqnrOrder(s) >= db;

/** Running sums for the fidelity of one output (or one intermediate tensor). */
export class Fidelity {
  private so = 0;
  private sc = 0;
  private se = 0;
  private dot = 0;
  maxAbsError = 0;
  count = 0;
  nonFinite = 0;

  add(original: ArrayLike<number>, compressed: ArrayLike<number>): void {
    const n = Math.min(original.length, compressed.length);
    // One pass without per-element checks, in local sums: if every sum is finite, no value was NaN or infinite and the
    // pass counts exactly as the checked one below would; otherwise the checked pass runs instead.
    let so = 0;
    let sc = 0;
    let se = 0;
    let dot = 0;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const o = original[i];
      const c = compressed[i];
      const e = o - c;
      so += o * o;
      sc += c * c;
      se += e * e;
      dot += o * c;
      const a = Math.abs(e);
      if (a > max) max = a;
    }
    if (Number.isFinite(so) && Number.isFinite(sc) && Number.isFinite(se) && Number.isFinite(dot)) {
      this.so += so;
      this.sc += sc;
      this.se += se;
      this.dot += dot;
      if (max > this.maxAbsError) this.maxAbsError = max;
      this.count += n;
      return;
    }
    this.addChecked(original, compressed, n);
  }

  /** Skips (and counts, unless both sides agree) values that are NaN or infinite. */
  private addChecked(original: ArrayLike<number>, compressed: ArrayLike<number>, n: number): void {
    for (let i = 0; i < n; i++) {
      const o = original[i];
      const c = compressed[i];
      if (!Number.isFinite(o) || !Number.isFinite(c)) {
        if (!(Object.is(o, c) || (Number.isNaN(o) && Number.isNaN(c)))) this.nonFinite++;
        continue;
      }
      const e = o - c;
      this.so += o * o;
      this.sc += c * c;
      this.se += e * e;
      this.dot += o * c;
      const a = Math.abs(e);
      if (a > this.maxAbsError) this.maxAbsError = a;
    }
    this.count += n;
  }

  get sqnrDb(): Sqnr {
    if (this.se === 0) return 'identical';
    if (this.so === 0) return 'no signal';
    return 10 * Math.log10(this.so / this.se);
  }

  get cosine(): number {
    if (this.so === 0 && this.sc === 0) return 1;
    if (this.so === 0 || this.sc === 0) return 0;
    return this.dot / Math.sqrt(this.so * this.sc);
  }
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    let pos = best.length;
    while (pos > 0 && values[best[pos - 1]] < v) pos--;
    if (pos < k) {
      best.splice(pos, 0, i);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

/** A classifier-like output: float, with exactly one dimension larger than 1 (its class count). */
export function classCount(dims: readonly number[]): number | null {
  const big = dims.filter((d) => d > 1);
  return big.length === 1 && big[0] >= 2 ? big[0] : null;
}

/** Wilson score interval of a proportion. */
export function wilson(successes: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * 95 % interval of p1 − p2 for paired binary outcomes (Newcombe 1998, method 10).
 * a: both right, b: only the first right, c: only the second right, d: both wrong.
 */
export function newcombePaired(a: number, b: number, c: number, d: number, z = Z95): [number, number] {
  const n = a + b + c + d;
  if (n === 0) return [-1, 1];
  const p1 = (a + b) / n;
  const p2 = (a + c) / n;
  const [l1, u1] = wilson(a + b, n, z);
  const [l2, u2] = wilson(a + c, n, z);
  const den = (a + b) * (c + d) * (a + c) * (b + d);
  const phi = den > 0 ? (a * d - b * c) / Math.sqrt(den) : 0;
  const dl = Math.sqrt(Math.max(0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2));
  const du = Math.sqrt(Math.max(0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2));
  const diff = p1 - p2;
  return [Math.max(-1, diff - dl), Math.min(1, diff + du)];
}

export const CI_METHOD = "Newcombe (1998) hybrid score interval for paired proportions (method 10), 95 %";

export interface PairedOutcome {
  originalCorrect: boolean;
  compressedCorrect: boolean;
  group?: string;
}

export interface AccuracySummary {
  samples: number;
  original: number;
  compressed: number;
  /** original − compressed (fractions; positive = the compressed model is worse). */
  drop: number;
  dropCi95: [number, number];
}

export function accuracyOf(outcomes: PairedOutcome[]): AccuracySummary {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  for (const o of outcomes) {
    if (o.originalCorrect && o.compressedCorrect) a++;
    else if (o.originalCorrect) b++;
    else if (o.compressedCorrect) c++;
    else d++;
  }
  const n = outcomes.length;
  return { samples: n, original: n ? (a + b) / n : 0, compressed: n ? (a + c) / n : 0, drop: n ? (b - c) / n : 0, dropCi95: newcombePaired(a, b, c, d) };
}

export interface GroupReport {
  groups: (AccuracySummary & { group: string })[];
  worstGroup: string | null;
  worstDrop: number | null;
  /** Best minus worst group accuracy, before and after. */
  gapOriginal: number | null;
  gapCompressed: number | null;
  gapWidened: boolean | null;
}

export function groupsOf(outcomes: PairedOutcome[]): GroupReport {
  const by = new Map<string, PairedOutcome[]>();
  for (const o of outcomes) if (o.group !== undefined) by.set(o.group, [...(by.get(o.group) ?? []), o]);
  const groups = [...by.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([group, list]) => ({ group, ...accuracyOf(list) }));
  if (groups.length === 0) return { groups, worstGroup: null, worstDrop: null, gapOriginal: null, gapCompressed: null, gapWidened: null };
  const worst = groups.reduce((w, g) => (g.drop > w.drop ? g : w));
  const gap = (k: 'original' | 'compressed'): number => Math.max(...groups.map((g) => g[k])) - Math.min(...groups.map((g) => g[k]));
  const gapOriginal = gap('original');
  const gapCompressed = gap('compressed');
  return { groups, worstGroup: worst.group, worstDrop: worst.drop, gapOriginal, gapCompressed, gapWidened: groups.length > 1 ? gapCompressed > gapOriginal + 1e-12 : null };
}
