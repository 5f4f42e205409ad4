/**
 * How the estimate scales with input size, checked where a publication measured one network at two input sizes on
 * one device with the same runtime and precision (e.g. Ultralytics' YOLOv8n at 320 and 512 px on a Coral USB). A
 * report, not a fit: the pairs are written to calibration.json per device and quoted by the estimate where the
 * estimate grew differently from the measurements. Either point of a pair may be held out; each end says which.
 */
import type { SizeScalingEnd, SizeScalingPair } from '../../src/planner/catalog';
import { round4 } from './fit';

/** A point of the device as the pairing needs it: its reference network key and the final fit's estimate. */
export interface ScalingPoint {
  arch: string;
  publication: string;
  runtime: string;
  precision: string;
  split: 'train' | 'held-out';
  measuredMs: number;
  estimateMs: number;
}

/** A reference key's network family and input size: `yolov8n_512` is yolov8n at 512; null without a trailing size. */
export function familyAndInput(arch: string): { network: string; input: number } | null {
  const m = /^(.+)_(\d+)$/.exec(arch);
  if (!m) return null;
  const input = Number(m[2]);
  return input > 0 ? { network: m[1], input } : null;
}

/**
 * Every pair of consecutive input sizes of one network measured by one publication with one runtime and precision,
 * smaller size first. A network measured twice at one size (two rows) counts once, its first point in `points`'s order.
 */
export function sizeScalingPairs(points: ScalingPoint[]): SizeScalingPair[] {
  const groups = new Map<string, { network: string; p: ScalingPoint; input: number }[]>();
  for (const p of points) {
    const f = familyAndInput(p.arch);
    if (!f) continue;
    const key = JSON.stringify([f.network, p.publication, p.runtime, p.precision]);
    const list = groups.get(key) ?? [];
    if (!list.some((x) => x.input === f.input)) list.push({ network: f.network, p, input: f.input });
    groups.set(key, list);
  }
  const end = (x: { p: ScalingPoint; input: number }): SizeScalingEnd => ({ input: x.input, split: x.p.split, measuredMs: x.p.measuredMs, estimateMs: x.p.estimateMs });
  const out: SizeScalingPair[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.input - b.input);
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1];
      const b = list[i];
      out.push({
        network: a.network, publication: a.p.publication, runtime: a.p.runtime, precision: a.p.precision,
        from: end(a), to: end(b),
        measuredRatio: round4(b.p.measuredMs / a.p.measuredMs),
        estimateRatio: round4(b.p.estimateMs / a.p.estimateMs),
      });
    }
  }
  return out.sort((x, y) => x.network.localeCompare(y.network) || x.runtime.localeCompare(y.runtime) || x.from.input - y.from.input);
}
