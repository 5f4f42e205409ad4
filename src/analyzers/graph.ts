/**
 * The format-neutral model graph every reader produces.
 *
 * Readers (onnx/, tflite/, safetensors.ts, gguf.ts, pytorch.ts, keras.ts, coreml.ts) turn bytes into
 * a ModelGraph; shapes.ts fills missing activation shapes; profile.ts turns the graph into the
 * ModelProfile that estimates, views and documents use. No `vscode` import here or below.
 */

export type ModelFormat = 'onnx' | 'tflite' | 'safetensors' | 'gguf' | 'pytorch' | 'keras' | 'coreml';

/** A dimension: a number, or a symbolic name (ONNX dim_param; "?" when unnamed). */
export type Dim = number | string;
export type Shape = Dim[];

/**
 * Normalised numeric precision of a tensor, used for byte counts and by the estimator.
 * Block-quantised formats (GGUF Q4_K ...) map to the nearest integer width ('int4', 'int8', ...).
 */
export type Precision =
  | 'fp64' | 'fp32' | 'fp16' | 'bf16' | 'fp8'
  | 'int64' | 'int32' | 'int16' | 'int8' | 'int4' | 'int2'
  | 'uint64' | 'uint32' | 'uint16' | 'uint8' | 'uint4'
  | 'bool' | 'string' | 'complex64' | 'complex128' | 'other';

export interface QuantParams {
  /** One scale per tensor, or one per channel along `axis`. */
  scale?: number[];
  zeroPoint?: number[];
  axis?: number;
  /** Free text for schemes that are not affine scale/zero-point (GGUF block types, ...). */
  scheme?: string;
}

export interface ExternalDataRef {
  location: string;
  offset: number;
  length: number | null;
  /** Absolute path after resolving against the model's folder, when it is allowed. */
  resolvedPath?: string;
  /** Set when the external file is missing, unreadable or refused. */
  problem?: string;
}

export interface TensorInfo {
  name: string;
  /** null = rank unknown. */
  shape: Shape | null;
  /** The file's own type name: ONNX "FLOAT", TFLite "FLOAT32", GGUF "Q4_K", safetensors "F16", ... */
  dtype: string;
  precision: Precision;
  /** Bits per element for byte counts (4.5 for Q4_K, 32 for float32); null when not a number type. */
  bitsPerElement: number | null;
  /** True for stored weights/constants (ONNX initializers and Constant outputs, TFLite buffers). */
  isConstant: boolean;
  /** Element count of a stored constant (product of its dims). */
  elements?: number;
  /** Bytes the constant occupies in the file (sparse or packed data may be less than dense). */
  storedBytes?: number;
  /** Where the bytes live, for lazy access: absolute file offset, never copied when counting. */
  dataOffset?: number;
  external?: ExternalDataRef;
  quant?: QuantParams;
  /** Set for tensors whose bytes are shared with another tensor (TFLite shared buffers). */
  sharedBufferId?: number;
}

export type AttrValue = number | string | number[] | string[] | boolean | null | TensorInfo;

export interface GraphNode {
  name: string;
  /**
   * The op's name as the file names it, as used in the operator histogram:
   * ONNX op_type (prefixed "domain:" outside the default domain), TFLite builtin name ("CONV_2D"),
   * TFLite custom ops as "CUSTOM:<code>".
   */
  op: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  /** Ids of subgraphs this node owns or calls (ONNX If/Loop/Scan bodies, TFLite WHILE/IF/CALL_ONCE). */
  subgraphIds?: string[];
  /** Size of a compiled payload this op carries (Edge TPU / Ethos-U custom op data). */
  compiledPayloadBytes?: number;
}

export interface Subgraph {
  id: string;
  name: string;
  nodes: GraphNode[];
  tensors: Map<string, TensorInfo>;
  inputs: string[];
  outputs: string[];
  /** Id of the subgraph whose node owns this one (undefined for the main graph). */
  parentId?: string;
  /** Name of the owning node and the attribute (e.g. "If_3.then_branch"). */
  owner?: string;
  /**
   * How many times this body runs per inference when the file fixes it (a Core ML loop with a constant trip
   * count): its cost is then counted in its owner's, and it is not a data-dependent body.
   */
  runs?: number;
}

export interface CompiledSegment {
  /** "edgetpu", "ethos-u", ... */
  kind: string;
  op: string;
  node: string;
  payloadBytes: number;
}

export interface ModelMetadata {
  irVersion?: number;
  /** Domain → version, ONNX "ai.onnx" for the default domain. */
  opset?: Record<string, number>;
  producer?: string;
  description?: string;
  /** TFLite schema version, GGUF version, Core ML spec version, ... */
  formatVersion?: number;
  /** Layout of image inputs when the format implies one. */
  layout?: 'NCHW' | 'NHWC';
  /** Free key/value facts that are worth showing (GGUF general.architecture, Keras backend, ...). */
  extra?: Record<string, string | number | boolean>;
}

export interface ModelGraph {
  format: ModelFormat;
  /** Absolute path of the model file. */
  file: string;
  bytes: number;
  main: Subgraph;
  /** Every other subgraph, nested ones included (parentId links them). */
  subgraphs: Subgraph[];
  metadata: ModelMetadata;
  compiledSegments: CompiledSegment[];
  /**
   * For formats that store tensors but no computation (safetensors, a bare state_dict, GGUF),
   * false: MACs and activations cannot be known from the file alone.
   */
  hasComputeGraph: boolean;
  /** Why there is no compute graph, when the format usually has one (a subclassed Keras model ...). */
  noComputeReason?: string;
  /** Human-readable facts the reader could not establish, each naming what and why. */
  warnings: string[];
  /**
   * Layers a non-graph format declares (Keras config layers, Core ML neural network layers) when they
   * are not expressed as nodes with tensors: name, type and the parameter count the file states.
   */
  declaredLayers?: { name: string; op: string; params: number | null; outputShape?: Shape | null }[];
  /**
   * Dynamic dimensions that the stored input shapes show as numbers (TFLite: -1 in shape_signature,
   * stored with a size; named dim<i> by position): name → the stored size, which is the default binding.
   */
  implicitSymbols?: Record<string, number>;
}

/** Product of dims; null if any dim is symbolic or the shape unknown (readers bound the dims they accept). */
export function elementCount(shape: Shape | null): number | null {
  if (!shape) return null;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

/** Every subgraph including the main one, main first. */
export function allSubgraphs(g: ModelGraph): Subgraph[] {
  return [g.main, ...g.subgraphs];
}

export function bytesOf(elements: number, bitsPerElement: number | null): number | null {
  if (bitsPerElement === null) return null;
  return Math.ceil((elements * bitsPerElement) / 8);
}

/**
 * Finds a tensor by name in a subgraph or, for names a body captures from outer scope (ONNX If/Loop
 * bodies), in its ancestors. Each subgraph's `tensors` holds only what that subgraph defines.
 */
export function findTensor(g: ModelGraph, sg: Subgraph, name: string): TensorInfo | undefined {
  let cur: Subgraph | undefined = sg;
  for (let depth = 0; cur && depth < 1000; depth++) {
    const t = cur.tensors.get(name);
    if (t) return t;
    const parentId: string | undefined = cur.parentId;
    cur = parentId === undefined ? undefined : parentId === g.main.id ? g.main : g.subgraphs.find((s) => s.id === parentId);
  }
  return undefined;
}

/**
 * The dependencies of a subgraph's nodes: for each node, the distinct earlier-or-later nodes producing its
 * inputs, and whether file order already runs every producer first (then the lists are not built).
 */
export function nodeDependencies(sg: Subgraph): NodeDependencies {
  // Shape inference and the profile both ask; a million-node graph pays for the scan once.
  let deps = DEPENDENCIES.get(sg.nodes);
  if (!deps) {
    deps = scanDependencies(sg);
    DEPENDENCIES.set(sg.nodes, deps);
  }
  // Callers count indegrees down: each gets its own copy.
  return deps.inFileOrder ? deps : { inFileOrder: false, indegree: deps.indegree.slice(), consumers: deps.consumers };
}

type NodeDependencies = { inFileOrder: true } | { inFileOrder: false; indegree: number[]; consumers: number[][] };

/** Per node list (readers never change a node's inputs or outputs after reading). */
const DEPENDENCIES = new WeakMap<GraphNode[], NodeDependencies>();

function scanDependencies(sg: Subgraph): NodeDependencies {
  const producer = new Map<string, number>();
  sg.nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  let inFileOrder = true;
  for (let i = 0; i < sg.nodes.length && inFileOrder; i++) {
    for (const inp of sg.nodes[i].inputs) {
      const p = inp ? producer.get(inp) : undefined;
      if (p !== undefined && p > i) {
        inFileOrder = false;
        break;
      }
    }
  }
  if (inFileOrder) return { inFileOrder };
  const indegree = new Array<number>(sg.nodes.length).fill(0);
  const consumers: number[][] = sg.nodes.map(() => []);
  sg.nodes.forEach((n, i) => {
    const deps = new Set<number>();
    for (const inp of n.inputs) {
      const p = inp ? producer.get(inp) : undefined;
      if (p !== undefined && p !== i) deps.add(p);
    }
    indegree[i] = deps.size;
    for (const d of deps) consumers[d].push(i);
  });
  return { inFileOrder, indegree, consumers };
}

/**
 * The nodes of a subgraph in an order where every producer comes before its consumers (file order when it
 * already is one, else Kahn's algorithm); `blocked` lists the nodes that never became ready, in file order:
 * empty unless some nodes form a cycle.
 */
export function topologicalOrder(sg: Subgraph): { order: GraphNode[]; blocked: GraphNode[] } {
  const deps = nodeDependencies(sg);
  if (deps.inFileOrder) return { order: sg.nodes, blocked: [] };
  const { indegree, consumers } = deps;
  const ready: number[] = [];
  indegree.forEach((d, i) => d === 0 && ready.push(i));
  const out: GraphNode[] = [];
  for (let q = 0; q < ready.length; q++) {
    const i = ready[q];
    out.push(sg.nodes[i]);
    for (const c of consumers[i]) if (--indegree[c] === 0) ready.push(c);
  }
  return { order: out, blocked: sg.nodes.filter((_, i) => indegree[i] > 0) };
}

/** Numpy-style broadcast of known shapes (right-aligned); null when they are incompatible. */
export function broadcastKnown(shapes: number[][]): number[] | null {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v === 1) continue;
      if (d !== 1 && d !== v) return null;
      d = v;
    }
    out.push(d);
  }
  return out;
}
