/**
 * Per-layer sensitivity: the intermediate activations of the original and the compressed model compared on the
 * same samples. For each changed layer, the SQNR of what it reads and of what it passes on; the layer's own
 * damage is the drop between the two (dB). Layers are ranked by that drop, and the most damaging ones are the
 * candidates to keep in float (mixed precision). A layer whose tensors were not compared is left out, with a note.
 */
import { Fidelity, sqnrOrder, type Sqnr } from './metrics';
import type { LayerMap, TensorPair } from './compress-types';

export interface LayerSensitivity {
  name: string;
  op: string;
  /** SQNR of the layer's output against the original. */
  sqnrDb: Sqnr;
  /** Lowest SQNR among the activations it reads ('identical' when it reads none that differ). */
  inputSqnrDb: Sqnr;
  /** How much SQNR the layer itself loses (input − output, dB; SQNRs clamped to ±150 dB, so identical counts as 150 dB and no signal as −150 dB). */
  dropDb: number;
  /** Its weights in the compressed file, when the technique changed them. */
  weights?: { dtype: string; bytes: number };
}

const CAP_DB = 150;
export const pairKey = (p: TensorPair): string => `${p.original}\u0000${p.compressed}`;

/** The tensor pairs to read from both models. */
export function pairsOf(layers: LayerMap[]): TensorPair[] {
  const seen = new Map<string, TensorPair>();
  for (const l of layers) for (const p of [...l.inputs, l.output]) seen.set(pairKey(p), p);
  return [...seen.values()];
}

/** The ranked layers, and those left out because a tensor they read or write was never compared. */
export interface SensitivityRanking {
  /** Most damaging first. */
  layers: LayerSensitivity[];
  /** Names of the layers with a tensor pair that holds no compared values (not computed, or empty, on a side). */
  notCompared: string[];
}

/**
 * Ranks the layers by the SQNR they lose. A tensor pair with no compared values (missing from `fidelity`, or
 * never given values on both sides) says nothing about the layer: such a layer is listed as not compared,
 * never ranked as if that tensor were identical.
 */
export function rankLayers(layers: LayerMap[], fidelity: Map<string, Fidelity>): SensitivityRanking {
  const compared = (p: TensorPair): Fidelity | undefined => {
    const f = fidelity.get(pairKey(p));
    return f && f.count > 0 ? f : undefined;
  };
  const capped = (v: Sqnr): number => Math.max(-CAP_DB, Math.min(CAP_DB, sqnrOrder(v)));
  const ranked: LayerSensitivity[] = [];
  const notCompared: string[] = [];
  for (const l of layers) {
    const out = compared(l.output);
    const ins = l.inputs.map(compared);
    if (!out || ins.some((f) => !f)) {
      notCompared.push(l.name);
      continue;
    }
    const inputSqnrDb = ins.reduce<Sqnr>((m, f) => (sqnrOrder(f!.sqnrDb) < sqnrOrder(m) ? f!.sqnrDb : m), 'identical');
    ranked.push({ name: l.name, op: l.op, sqnrDb: out.sqnrDb, inputSqnrDb, dropDb: capped(inputSqnrDb) - capped(out.sqnrDb), ...(l.weights ? { weights: l.weights } : {}) });
  }
  return { layers: ranked.sort((a, b) => b.dropDb - a.dropDb), notCompared };
}

/** The note for layers left out of the ranking (null when every layer was compared). */
export function notComparedNote(notCompared: readonly string[]): string | null {
  if (!notCompared.length) return null;
  const names = notCompared.slice(0, 5).map((n) => `"${n}"`).join(', ') + (notCompared.length > 5 ? ` and ${notCompared.length - 5} more` : '');
  return `${notCompared.length} changed layer(s) not compared (a tensor they read or write was not computed in one of the models), so left out of the sensitivity ranking: ${names}`;
}
