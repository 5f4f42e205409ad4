/**
 * What the Core ML readers share while walking one specification: the protobuf reader, the graph being built,
 * the declared-layer list, warnings and metadata, the weights file of an .mlpackage (when there is one), and
 * the bound on the bytes of names kept.
 */
import type { GraphNode, ModelGraph, Subgraph, TensorInfo } from '../graph';
import { LIMITS } from '../errors';
import { NameBudget } from '../names';
import type { ProtoReader } from '../io/protobuf';
import type { BlobStorage } from './blob-storage';

/** Resolves a blob file name from an mlProgram ("@model_path/weights/weight.bin") to its storage, or says why not. */
export type WeightFileResolver = (fileName: string) => { storage: BlobStorage } | { problem: string };

export interface CoremlCtx {
  pr: ProtoReader;
  g: ModelGraph;
  layers: NonNullable<ModelGraph['declaredLayers']>;
  warnings: string[];
  extra: Record<string, string | number | boolean>;
  weightMessages: number;
  names: NameBudget;
  weightFiles: WeightFileResolver;
  /** Names of description features that are not tensors (dictionaries, strings, scalars): layers writing them write "<name>#blob". */
  nonTensorFeatures: Set<string>;
  nextSubgraph: number;
  /** Ids of blobs in weights files (file + offset), so weights shared by several functions count once. */
  blobIds: Map<string, number>;
}

export function newContext(pr: ProtoReader, g: ModelGraph, weightFiles: WeightFileResolver): CoremlCtx {
  return {
    pr,
    g,
    layers: [],
    warnings: g.warnings,
    extra: g.metadata.extra ?? {},
    weightMessages: 0,
    names: new NameBudget(pr.file, LIMITS.maxLayerNameBytes),
    weightFiles,
    nonTensorFeatures: new Set(),
    nextSubgraph: 1,
    blobIds: new Map(),
  };
}

/** Adds a tensor under a unique key (name, name#2, ...) and returns the key. */
export function addTensor(ctx: CoremlCtx, sg: Subgraph, t: TensorInfo): string {
  if (sg.tensors.size >= LIMITS.maxTensors) ctx.pr.fail(`more than ${LIMITS.maxTensors} tensors`);
  let key = t.name;
  for (let k = 2; sg.tensors.has(key); k++) key = `${t.name}#${k}`;
  t.name = key;
  sg.tensors.set(key, t);
  return key;
}

export function addNode(ctx: CoremlCtx, sg: Subgraph, node: GraphNode): void {
  if (sg.nodes.length >= LIMITS.maxNodes) ctx.pr.fail(`more than ${LIMITS.maxNodes} layers`);
  sg.nodes.push(node);
}

/** A new subgraph (a branch / loop body / nested block) owned by a node of `parent`. */
export function newSubgraph(ctx: CoremlCtx, parent: Subgraph, owner: string): Subgraph {
  const sg: Subgraph = { id: `sg${ctx.nextSubgraph++}`, name: owner, nodes: [], tensors: new Map(), inputs: [], outputs: [], parentId: parent.id, owner };
  ctx.g.subgraphs.push(sg);
  return sg;
}

/** An activation tensor of unknown shape (shape inference fills it). */
export function activation(name: string): TensorInfo {
  return { name, shape: null, dtype: 'FLOAT32', precision: 'fp32', bitsPerElement: 32, isConstant: false };
}

/**
 * Adds to a control-flow node's inputs every name its bodies (and their nested bodies) read from outside:
 * the loop or branch consumes them, so liveness keeps them alive until it runs and its weights are its own.
 */
export function captureOuterInputs(ctx: CoremlCtx, node: GraphNode): void {
  const seen = new Set(node.inputs);
  const visit = (id: string, outer: Set<string>, depth: number): void => {
    const sg = ctx.g.subgraphs.find((s) => s.id === id);
    if (!sg || depth > 64) return;
    const local = new Set<string>([...outer, ...sg.inputs, ...sg.tensors.keys()]);
    for (const n of sg.nodes) {
      for (const i of n.inputs) {
        if (i && !local.has(i) && !seen.has(i)) {
          seen.add(i);
          node.inputs.push(i);
        }
      }
      for (const sub of n.subgraphIds ?? []) visit(sub, local, depth + 1);
    }
  };
  for (const id of node.subgraphIds ?? []) visit(id, new Set(), 0);
}
