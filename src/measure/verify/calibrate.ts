/**
 * Calibration of activation ranges for static quantization, over the calibration samples:
 * - minmax: the smallest and largest value seen (ONNX Runtime's MinMax calibrator);
 * - percentile: a two-sided cut of (100 - p) / 2 % of the values at each end of a histogram (ORT's default p is 99.999);
 * - entropy: the clipping threshold T on |x| whose 128-level quantized distribution has the least KL divergence
 *   from the observed one (the TensorRT / ORT entropy calibrator), clipped to the seen range.
 *
 * The histogram is built in one pass: 2048 bins over [-R, R]; when a value beyond R arrives, R doubles and
 * neighbouring bins merge in pairs, so no second pass over the data is needed.
 */

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

const BINS = 2048;

export class SymmetricHistogram {
  readonly counts = new Float64Array(BINS);
  /** Half-width of the covered range [-R, R]; 0 until a non-zero value was seen. */
  range = 0;

  private grow(to: number): void {
    if (this.range === 0) {
      this.range = to;
      return;
    }
    while (this.range < to) {
      // Doubling the range: old bins 2k, 2k+1 become new bin BINS/4 + k.
      const merged = new Float64Array(BINS);
      for (let k = 0; k < BINS / 2; k++) merged[BINS / 4 + k] = this.counts[2 * k] + this.counts[2 * k + 1];
      this.counts.set(merged);
      this.range *= 2;
    }
  }

  add(values: ArrayLike<number>, absMax: number): void {
    if (absMax > this.range) this.grow(absMax);
    if (this.range === 0) {
      this.counts[BINS / 2] += values.length;
      return;
    }
    const k = BINS / (2 * this.range);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== v) continue;
      let b = Math.floor((v + this.range) * k);
      if (b >= BINS) b = BINS - 1;
      else if (b < 0) b = 0;
      this.counts[b]++;
    }
  }

  /** Lower edge of bin i. */
  edge(i: number): number {
    return -this.range + (2 * this.range * i) / BINS;
  }
}

/** Range statistics of one tensor over the calibration samples. */
export class TensorRange {
  min = Infinity;
  max = -Infinity;
  hist?: SymmetricHistogram;

  constructor(withHistogram: boolean) {
    if (withHistogram) this.hist = new SymmetricHistogram();
  }

  add(values: ArrayLike<number>): void {
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = lo;
    this.max = hi;
    this.hist?.add(values, Math.max(Math.abs(lo), Math.abs(hi)));
  }
}

function percentileRange(t: TensorRange, percentile: number): [number, number] {
  const h = t.hist!;
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total === 0 || h.range === 0) return [t.min, t.max];
  const cut = ((100 - percentile) / 200) * total;
  let acc = 0;
  let lo = 0;
  while (lo < BINS - 1 && acc + h.counts[lo] <= cut) acc += h.counts[lo++];
  acc = 0;
  let hi = BINS - 1;
  while (hi > 0 && acc + h.counts[hi] <= cut) acc += h.counts[hi--];
  return [Math.max(t.min, h.edge(lo)), Math.min(t.max, h.edge(hi + 1))];
}

/** KL-divergence threshold on |x| (TensorRT's entropy calibration); returns T. */
export function entropyThreshold(absCounts: Float64Array, binWidth: number, quantizedBins = 128): number {
  const n = absCounts.length;
  let bestKl = Infinity;
  let best = n;
  const step = Math.max(1, Math.floor(n / 256));
  for (let i = quantizedBins; i <= n; i += step) {
    // Reference distribution: the first i bins, the outliers folded into the last one.
    const p = Float64Array.from(absCounts.subarray(0, i));
    for (let j = i; j < n; j++) p[i - 1] += absCounts[j];
    // Candidate: the first i bins merged into `quantizedBins` levels, spread back over their non-empty bins.
    const q = new Float64Array(i);
    const merged = i / quantizedBins;
    for (let level = 0; level < quantizedBins; level++) {
      const start = Math.floor(level * merged);
      const stop = level === quantizedBins - 1 ? i : Math.floor((level + 1) * merged);
      let sum = 0;
      let nonzero = 0;
      for (let j = start; j < stop; j++) {
        sum += absCounts[j];
        if (absCounts[j] > 0) nonzero++;
      }
      if (nonzero) for (let j = start; j < stop; j++) if (absCounts[j] > 0) q[j] = sum / nonzero;
    }
    const ps = p.reduce((a, b) => a + b, 0);
    const qs = q.reduce((a, b) => a + b, 0);
    if (ps === 0 || qs === 0) continue;
    let kl = 0;
    for (let j = 0; j < i; j++) {
      if (p[j] <= 0) continue;
      const pj = p[j] / ps;
      const qj = q[j] > 0 ? q[j] / qs : 1e-10;
      kl += pj * Math.log(pj / qj);
    }
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return best * binWidth;
}

function entropyRange(t: TensorRange): [number, number] {
  const h = t.hist!;
  if (h.range === 0) return [t.min, t.max];
  // Fold the signed histogram onto |x|: bins BINS/2 + k and BINS/2 - 1 - k share |x| bin k.
  const abs = new Float64Array(BINS / 2);
  for (let k = 0; k < BINS / 2; k++) abs[k] = h.counts[BINS / 2 + k] + h.counts[BINS / 2 - 1 - k];
  const threshold = entropyThreshold(abs, h.range / (BINS / 2));
  return [Math.max(t.min, -threshold), Math.min(t.max, threshold)];
}

/** The range to quantize a tensor with. */
export function calibratedRange(t: TensorRange, method: CalibrationMethod, percentile = 99.999): [number, number] {
  if (!Number.isFinite(t.min) || !Number.isFinite(t.max)) return [0, 0];
  if (method === 'minmax' || !t.hist) return [t.min, t.max];
  return method === 'percentile' ? percentileRange(t, percentile) : entropyRange(t);
}
