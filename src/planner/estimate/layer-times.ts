/**
 * The deployed layers of one estimate ranked by estimated time, each with its share of the device's total and the
 * file nodes it stands for: what the CLI's `estimate --layers N` prints and the analysis view's "as it runs on
 * <device>" table shows. Pure functions over a DeviceEstimate; no imports beyond types, so the webviews bundle it.
 */
import type { LayerEstimate } from '../types';

export interface TimedLayer extends LayerEstimate {
  /** Position in the order the device runs the layers (0-based). */
  index: number;
  /** Share of the estimate's summed layer time (0..1), null when the total is not a positive number. */
  share: number | null;
  /** The file nodes this layer stands for (itself first, then what was folded or fused into it). */
  fromNodes: string[];
}

/** Every deployed layer with its share, in run order. */
export function timedLayers(layers: readonly LayerEstimate[]): TimedLayer[] {
  const total = layers.reduce((t, l) => t + (Number.isFinite(l.ms) && l.ms > 0 ? l.ms : 0), 0);
  return layers.map((l, index) => ({ ...l, index, share: total > 0 && Number.isFinite(l.ms) ? l.ms / total : null, fromNodes: l.from?.length ? l.from : [l.name] }));
}

/** The `n` slowest deployed layers, slowest first (run order breaks ties). */
export function slowestLayers(layers: readonly LayerEstimate[], n: number): TimedLayer[] {
  return timedLayers(layers)
    .filter((l) => Number.isFinite(l.ms))
    .sort((a, b) => b.ms - a.ms || a.index - b.index)
    .slice(0, Math.max(0, n));
}

/** The file nodes a deployed layer came from in one line: "conv1 + bn1 + relu1", "a + b + c (+4 more)". */
export function fromText(nodes: readonly string[], max = 4): string {
  const shown = nodes.slice(0, max).join(' + ');
  return nodes.length > max ? `${shown} (+${nodes.length - max} more)` : shown;
}
