/**
 * Per-layer sensitivity: the intermediate activations of the original and the compressed model compared on the
 * same samples. For each changed layer, the SQNR of what it reads and of what it passes on; the layer's own
 * damage is the drop between the two (dB). Layers are ranked by that drop, and the most damaging ones are the
 * candidates to keep in float (mixed precision).
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

export function rankLayers(layers: LayerMap[], fidelity: Map<string, Fidelity>): LayerSensitivity[] {
  const db = (p: TensorPair): Sqnr => fidelity.get(pairKey(p))?.sqnrDb ?? 'identical';
  const capped = (v: Sqnr): number => Math.max(-CAP_DB, Math.min(CAP_DB, sqnrOrder(v)));
  return layers
    .map((l) => {
      const out = db(l.output);
      const ins = l.inputs.map(db);
      const inputSqnrDb = ins.reduce<Sqnr>((m, v) => (sqnrOrder(v) < sqnrOrder(m) ? v : m), 'identical');
      return { name: l.name, op: l.op, sqnrDb: out, inputSqnrDb, dropDb: capped(inputSqnrDb) - capped(out), ...(l.weights ? { weights: l.weights } : {}) };
    })
    .sort((a, b) => b.dropDb - a.dropDb);
}
