/**
 * Small constant values the ONNX reader decodes (shape vectors, axes, quantisation scales) and shape
 * inference folds (Shape → Gather → Concat ...), kept beside the graph rather than in it: TensorInfo
 * describes tensors, it does not carry their data. Keyed by the TensorInfo object.
 */
import type { ModelGraph, Subgraph, TensorInfo } from '../graph';

const VALUES = new WeakMap<TensorInfo, number[]>();

/** Largest constant decoded eagerly for shape inference. */
export const MAX_FOLDED_ELEMENTS = 64;
/** Largest scale / zero-point vector decoded for quantisation parameters (per-channel). */
export const MAX_QUANT_ELEMENTS = 8192;

export function setValues(t: TensorInfo, values: number[]): void {
  VALUES.set(t, values);
}

/** Known values of a tensor (flattened), or undefined. */
export function getValues(t: TensorInfo | undefined): number[] | undefined {
  return t ? VALUES.get(t) : undefined;
}

/**
 * Finds a tensor by name in a subgraph or, for names captured from an enclosing scope (If/Loop bodies
 * read outer values), in its ancestors.
 */
export function lookupTensor(g: ModelGraph, sg: Subgraph, name: string): TensorInfo | undefined {
  let cur: Subgraph | undefined = sg;
  for (let hops = 0; cur && hops < 1000; hops++) {
    const t = cur.tensors.get(name);
    if (t) return t;
    const parentId: string | undefined = cur.parentId;
    if (parentId === undefined) return undefined;
    cur = parentId === g.main.id ? g.main : g.subgraphs.find((s) => s.id === parentId);
  }
  return undefined;
}
