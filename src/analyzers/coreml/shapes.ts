/**
 * Shape inference for Core ML graphs, after symbolic dimensions are bound: flexible input dimensions take
 * their bindings ("<input>.dim<i>"); inputs of rank-5 networks become [N, C, H, W] blobs; then every node,
 * in order and into its nested blocks, gets its output shapes — neuralNetwork layers from nn-shapes.ts,
 * MIL operations from their declared types completed by mil-shapes.ts.
 */
import { type GraphNode, type ModelGraph, type Shape, type Subgraph, findTensor } from '../graph';
import { LIMITS, ModelFileError } from '../errors';
import { declaredOutputShapes, nnOutputShapes, rank5Blob } from './nn-shapes';
import { milOutputShape } from './mil-shapes';
import { milInput, milInputs } from './mil-node';

type S = number[];

const known = (s: Shape | null | undefined): S | null => (s && s.every((d) => typeof d === 'number') ? (s as S) : null);

export function inferCoremlShapes(graph: ModelGraph, bindings: Record<string, number>): string[] {
  const warnings: string[] = [];
  for (const name of graph.main.inputs) {
    const t = graph.main.tensors.get(name);
    if (!t?.shape) continue;
    t.shape = t.shape.map((d, i) => {
      const v = bindings[`${name}.dim${i}`];
      return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : d;
    });
  }
  toRank5Blobs(graph);
  const byId = new Map(graph.subgraphs.map((s) => [s.id, s]));
  walk(graph, graph.main, byId, 0);
  const unknown: string[] = [];
  for (const sg of [graph.main, ...graph.subgraphs]) {
    for (const node of sg.nodes) {
      const missing = node.outputs.some((o) => {
        const t = findTensor(graph, sg, o);
        return t && !t.isConstant && t.bitsPerElement !== null && !known(t.shape);
      });
      if (missing) unknown.push(`${node.op} "${node.name}"`);
    }
  }
  checkSizes(graph);
  if (unknown.length) {
    warnings.push(`${unknown.length} Core ML layer${unknown.length > 1 ? 's have outputs' : ' has an output'} of unknown shape (first: ${unknown[0]}); figures that need ${unknown.length > 1 ? 'them' : 'it'} are unknown`);
  }
  return warnings;
}

/** A layer whose output would hold more than LIMITS.maxTensorElements elements makes the file absurd. */
function checkSizes(graph: ModelGraph): void {
  for (const sg of [graph.main, ...graph.subgraphs]) {
    for (const node of sg.nodes) {
      for (const o of node.outputs) {
        const s = known(findTensor(graph, sg, o)?.shape);
        if (!s) continue;
        const n = s.reduce((a, d) => a * d, 1);
        if (n > LIMITS.maxTensorElements || !s.every((d) => Number.isSafeInteger(d) && d >= 0)) {
          throw new ModelFileError(graph.file, `${node.op} "${node.name}" would output ${n} elements (shape [${s.join(', ')}]): absurd`);
        }
      }
    }
  }
}

/** Inputs read by rank-5 neuralNetwork layers (and not written by any layer) become [N, C, H, W] blobs. */
function toRank5Blobs(graph: ModelGraph): void {
  const produced = new Set<string>();
  const consumed = new Set<string>();
  for (const sg of [graph.main, ...graph.subgraphs]) {
    for (const n of sg.nodes) {
      n.outputs.forEach((o) => produced.add(o));
      if (n.domain === 'neuralNetwork' && !n.attrs.exactArrays) n.inputs.forEach((i) => consumed.add(i));
    }
  }
  for (const name of consumed) {
    if (produced.has(name)) continue;
    const t = graph.main.tensors.get(name);
    const s = known(t?.shape);
    if (!t || t.isConstant || !s || t.dtype.startsWith('IMAGE')) continue;
    t.shape = rank5Blob(s);
  }
}

function walk(graph: ModelGraph, sg: Subgraph, byId: Map<string, Subgraph>, depth: number): void {
  if (depth > 64) return;
  const shapeOf = (name: string | undefined): S | null => (name ? known(findTensor(graph, sg, name)?.shape) : null);
  for (const node of sg.nodes) {
    const bodies = (node.subgraphIds ?? []).map((id) => byId.get(id)).filter((b): b is Subgraph => !!b);
    if (node.domain === 'mlProgram' && (node.op === 'while_loop' || node.op === 'cond')) {
      milControlFlow(graph, sg, node, bodies, byId, depth);
      continue;
    }
    for (const b of bodies) walk(graph, b, byId, depth + 1);
    let outs: (S | null)[] | null = null;
    if (node.domain === 'neuralNetwork') {
      const blobs = node.inputs.filter((i) => !findTensor(graph, sg, i)?.isConstant).map(shapeOf);
      outs = nnOutputShapes(node, blobs) ?? declaredOutputShapes(node);
      node.outputs.forEach((o, k) => setShape(graph, sg, o, outs?.[k] ?? null));
    } else if (node.domain === 'mlProgram') {
      if (node.op === 'list_write' || node.op === 'list_scatter') fillList(graph, sg, node);
      node.outputs.forEach((o, k) => {
        const t = findTensor(graph, sg, o);
        if (!t || t.isConstant || known(t.shape)) return;
        const inferred = milOutputShape(node, k, shapeOf);
        if (inferred) t.shape = merge(t.shape, inferred);
      });
    }
  }
}

/**
 * list_write / list_scatter: the value written fixes the list's element shape — of the list read (often made by
 * make_list with an unknown element shape) as well as the list written, which are the same buffer.
 */
function fillList(graph: ModelGraph, sg: Subgraph, node: GraphNode): void {
  const value = known(findTensor(graph, sg, milInput(node, 'value') ?? '')?.shape);
  if (!value) return;
  const scatter = node.op === 'list_scatter';
  const elem = scatter ? value.slice(1) : value;
  for (const name of [milInput(node, 'ls'), node.outputs[0]]) {
    const t = name === undefined ? undefined : findTensor(graph, sg, name);
    if (!t?.shape || t.shape.length !== elem.length + 1) continue;
    const len = typeof t.shape[0] === 'number' ? t.shape[0] : scatter ? value[0] : t.shape[0];
    t.shape = merge(t.shape, [typeof len === 'number' ? len : NaN, ...elem]).map((d) => (typeof d === 'number' && Number.isNaN(d) ? '?' : d));
  }
}

/** The declared shape where it states a size, the inferred one where it does not. */
function merge(declared: Shape | null, inferred: S): Shape {
  if (!declared || declared.length !== inferred.length) return inferred;
  return declared.map((d, i) => (typeof d === 'number' ? d : inferred[i]));
}

function setShape(graph: ModelGraph, sg: Subgraph, name: string, s: S | null): void {
  const t = findTensor(graph, sg, name);
  if (t && s && s.every((d) => Number.isSafeInteger(d) && d >= 0)) t.shape = s;
}

/** while_loop: its blocks' inputs take the loop variables' shapes, its outputs the body's; cond: the then-block's. */
function milControlFlow(graph: ModelGraph, sg: Subgraph, node: GraphNode, bodies: Subgraph[], byId: Map<string, Subgraph>, depth: number): void {
  const shapeIn = (name: string): Shape | null => findTensor(graph, sg, name)?.shape ?? null;
  const vars = milInputs(node, 'loop_vars');
  for (const b of bodies) {
    if (node.op === 'while_loop') {
      b.inputs.forEach((name, i) => {
        const t = b.tensors.get(name);
        const v = vars[i] !== undefined ? known(shapeIn(vars[i])) : null;
        if (t && v && !known(t.shape)) t.shape = merge(t.shape, v);
      });
    }
    walk(graph, b, byId, depth + 1);
  }
  const source = node.op === 'while_loop' ? bodies[1] : bodies[0];
  node.outputs.forEach((o, k) => {
    const t = findTensor(graph, sg, o);
    if (!t) return;
    const fromVar = node.op === 'while_loop' && vars[k] !== undefined ? known(shapeIn(vars[k])) : null;
    const fromBody = source?.outputs[k] !== undefined ? known(findTensor(graph, source, source.outputs[k])?.shape) : null;
    const s = fromBody ?? fromVar;
    if (s && !known(t.shape)) t.shape = merge(t.shape, s);
    // A loop variable that is a list takes the element shape the body writes into it (the same buffer).
    const v = vars[k] !== undefined ? findTensor(graph, sg, vars[k]) : undefined;
    if (node.op === 'while_loop' && v && !v.isConstant && !known(v.shape) && fromBody && v.shape?.length === fromBody.length) v.shape = merge(v.shape, fromBody);
  });
}
