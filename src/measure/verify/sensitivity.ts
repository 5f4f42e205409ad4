/**
 * Per-layer sensitivity: the intermediate activations of the original and the compressed model compared on the
 * same samples. For each changed layer, the SQNR of what it reads and of what it passes on; the layer's own
 * damage is the drop between the two (dB). Layers are ranked by that drop, and the most damaging ones are the
 * candidates to keep in float (mixed precision).
 */
import { Fidelity } from './metrics';
import type { LayerMap, TensorPair } from './compress-types';

export interface LayerSensitivity {
  name: string;
  op: string;
  /** SQNR of the layer's output against the original (dB; null = identical). */
  sqnrDb: number | null;
  /** Lowest SQNR among the activations it reads (null = identical). */
  inputSqnrDb: number | null;
  /** How much SQNR the layer itself loses (input − output, dB; identical counts as 150 dB). */
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

export function rankLayers(layers: LayerMap[], fidelity: Map<string, Fidelity>): LayerSensitivity[] {
  const db = (p: TensorPair): number | null => fidelity.get(pairKey(p))?.sqnrDb ?? null;
  const capped = (v: number | null): number => (v === null ? CAP_DB : Math.min(CAP_DB, v));
  return layers
    .map((l) => {
      const out = db(l.output);
      const ins = l.inputs.map(db);
      const inputSqnrDb = ins.length ? ins.reduce<number | null>((m, v) => (v === null ? m : m === null ? v : Math.min(m, v)), null) : null;
      return { name: l.name, op: l.op, sqnrDb: out, inputSqnrDb, dropDb: capped(inputSqnrDb) - capped(out), ...(l.weights ? { weights: l.weights } : {}) };
    })
    .sort((a, b) => b.dropDb - a.dropDb);
}
