/**
 * ModelGraph → ModelProfile: parameter and weight-byte totals, the operator histogram, per-layer costs
 * in execution order, liveness-based peak activation memory, quantization and dynamic-shape summaries.
 * The conventions are the README's ("Analyzer conventions"); tests hold them against independent readers.
 */
import {
  type GraphNode,
  type ModelGraph,
  type Precision,
  type Subgraph,
  type TensorInfo,
  allSubgraphs,
  bytesOf,
  elementCount,
  findTensor,
  nodeDependencies,
} from './graph';
import type { NodeCost, NodeCostFn } from './cost/types';
import { LayerSummary, MAX_PROFILE_LAYERS, nodeCount } from './layer-summary';
import { emptyRecord, own } from './safe-record';
import {
  type DynamicShapeSummary,
  type IOInfo,
  type LayerProfile,
  type ModelProfile,
  type QuantizationSummary,
  type SubgraphCost,
  MAX_LISTED_TENSOR_NAMES,
} from './profile-types';

export interface ProfileOptions {
  bindings?: Record<string, number>;
  inferShapes?: (graph: ModelGraph, bindings: Record<string, number>) => string[];
  cost?: NodeCostFn;
}

export interface BuiltProfile {
  profile: ModelProfile;
  warnings: string[];
}

const FLOAT_PRECISIONS = new Set<Precision>(['fp64', 'fp32', 'fp16', 'bf16', 'fp8']);
const INT_QUANT_PRECISIONS = new Set<Precision>(['int8', 'uint8', 'int4', 'uint4', 'int16', 'int2']);

export function buildProfile(graph: ModelGraph, opts: ProfileOptions = {}): BuiltProfile {
  const warnings = [...graph.warnings];

  // Inputs and outputs as the file states them, before any binding.
  const inputs = graph.main.inputs
    .map((n) => graph.main.tensors.get(n))
    .filter((t): t is TensorInfo => !!t && !t.isConstant)
    .map(ioInfo);
  const outputs = graph.main.outputs.map((n) => graph.main.tensors.get(n)).filter((t): t is TensorInfo => !!t).map(ioInfo);

  const dynamicShapes = bindSymbols(inputs, graph.implicitSymbols ?? {}, opts.bindings ?? {}, warnings);
  if (opts.inferShapes && graph.hasComputeGraph) warnings.push(...opts.inferShapes(graph, dynamicShapes.bindings));

  const { params, weightBytes, weightDtypes, weightPrecisions } = countWeights(graph);

  const opHistogram = emptyRecord<number>();
  let operatorCount = 0;
  for (const sg of allSubgraphs(graph)) {
    for (const node of sg.nodes) {
      opHistogram[node.op] = (opHistogram[node.op] ?? 0) + 1;
      operatorCount++;
    }
  }

  // Layers are profiled one at a time and summarised beyond MAX_PROFILE_LAYERS, so a huge graph never holds
  // a cost and a layer record per node.
  const order = executionOrder(graph.main, warnings);
  const summary = new LayerSummary(order.nodes.length);
  let macs: number | null = graph.hasComputeGraph ? 0 : null;
  let flops: number | null = graph.hasComputeGraph ? 0 : null;
  let macsUnknownReason: string | undefined = graph.hasComputeGraph
    ? undefined
    : (graph.noComputeReason ?? `a ${graph.format} file stores weights, not the computation, so MACs cannot be known from it`);
  let firstLowerBound: string | undefined;
  let lowerBounds = 0;
  order.nodes.forEach((node, i) => {
    const c = costOf(graph, graph.main, node, opts.cost);
    const l = layerProfile(graph, graph.main, node, c, summary.exact);
    if (graph.hasComputeGraph) {
      if (c.lowerBound) {
        l.lowerBound = c.lowerBound;
        firstLowerBound ??= c.lowerBound;
        lowerBounds++;
      }
      if (l.macs === null) {
        if (macs !== null) macsUnknownReason = `${l.op} "${l.name}": ${c.reason ?? 'a needed shape is unknown'}`;
        macs = null;
      } else if (macs !== null) macs += l.macs;
      if (l.flops === null) flops = null;
      else if (flops !== null) flops += l.flops;
    }
    summary.add(l, i);
  });
  const layers = summary.layers();
  const summarised = summary.note();
  if (summarised) warnings.push(summarised);
  if (macsUnknownReason && graph.hasComputeGraph) warnings.push(`MACs unknown: ${macsUnknownReason}`);
  let macsLowerBoundReason: string | undefined;
  if (firstLowerBound) {
    macsLowerBoundReason = `${firstLowerBound}${lowerBounds > 1 ? ` (and ${lowerBounds - 1} more layer${lowerBounds > 2 ? 's' : ''} like it)` : ''}`;
    if (macs !== null) warnings.push(`MACs and FLOPs are lower bounds: ${macsLowerBoundReason}`);
  }

  const peak = graph.hasComputeGraph ? peakActivation(graph, order.nodes) : { bytes: null, at: undefined, reason: 'no compute graph' };
  if (graph.hasComputeGraph && peak.bytes === null && peak.reason) warnings.push(`Peak activation memory unknown: ${peak.reason}`);

  const subgraphCosts: SubgraphCost[] = graph.subgraphs.map((sg) => {
    let m: number | null = 0;
    let f: number | null = 0;
    for (const node of sg.nodes) {
      const c = costOf(graph, sg, node, opts.cost);
      m = m === null || c.macs === null ? null : m + c.macs;
      f = f === null || c.flops === null ? null : f + c.flops;
    }
    return { id: sg.id, owner: sg.owner ?? sg.name, nodes: sg.nodes.length, macs: m, flops: f, ...(sg.runs !== undefined ? { runs: sg.runs } : {}) };
  });

  const profile: ModelProfile = {
    file: graph.file,
    format: graph.format,
    bytes: graph.bytes,
    params,
    weightBytes,
    macs,
    ...(macsUnknownReason ? { macsUnknownReason } : {}),
    ...(macsLowerBoundReason && macs !== null ? { macsLowerBoundReason } : {}),
    flops,
    peakActivationBytes: peak.bytes,
    ...(peak.at ? { peakActivationAt: peak.at } : {}),
    executionOrder: order.kind,
    operatorCount,
    opHistogram: sortedHistogram(opHistogram),
    inputs,
    outputs,
    weightDtypes,
    quantization: quantizationSummary(graph, layers, weightPrecisions),
    dynamicShapes,
    layers,
    subgraphCosts,
    compiledSegments: graph.compiledSegments.map((c) => ({ ...c })),
    hasComputeGraph: graph.hasComputeGraph,
    ...(graph.metadata.irVersion !== undefined ? { irVersion: graph.metadata.irVersion } : {}),
    ...(graph.metadata.opset ? { opset: graph.metadata.opset } : {}),
    metadata: metadataOf(graph),
    ...(graph.hasComputeGraph ? {} : { storedTensors: storedTensorNames(graph) }),
    ...(graph.declaredLayers ? declaredLayersOf(graph.declaredLayers, warnings) : {}),
  };
  return { profile, warnings: dedupe(warnings) };
}

/** The stored tensors' names in file order, the first MAX_LISTED_TENSOR_NAMES of them. */
function storedTensorNames(graph: ModelGraph): { count: number; names: string[] } {
  const names: string[] = [];
  let count = 0;
  for (const t of graph.main.tensors.values()) {
    if (!t.isConstant) continue;
    count++;
    if (names.length < MAX_LISTED_TENSOR_NAMES) names.push(t.name);
  }
  return { count, names };
}

function ioInfo(t: TensorInfo): IOInfo {
  const io: IOInfo = { name: t.name, shape: t.shape ? [...t.shape] : null, dtype: t.dtype };
  if (t.quant?.scale?.length && t.quant.zeroPoint?.length) io.quant = { scale: [...t.quant.scale], zeroPoint: [...t.quant.zeroPoint] };
  return io;
}

/** Every symbolic input dimension gets a value: the user's binding, or 1 with a warning. */
function bindSymbols(inputs: IOInfo[], implicit: Record<string, number>, given: Record<string, number>, warnings: string[]): DynamicShapeSummary {
  const seen = new Set<string>();
  const symbols: string[] = [];
  for (const io of inputs) {
    for (const d of io.shape ?? []) {
      if (typeof d === 'string' && !seen.has(d)) {
        seen.add(d);
        symbols.push(d);
      }
    }
  }
  const givenValue = (s: string): number | undefined => own(given, s);
  const bindings = emptyRecord<number>();
  const defaulted: string[] = [];
  for (const s of symbols) {
    const v = givenValue(s);
    if (v !== undefined) bindings[s] = v;
    else {
      bindings[s] = 1;
      defaulted.push(s);
    }
  }
  // Dynamic dims stored with a size (TFLite -1 dims): the stored size unless the user binds another.
  const implicitDefaulted: string[] = [];
  for (const [s, stored] of Object.entries(implicit)) {
    if (seen.has(s)) continue;
    seen.add(s);
    symbols.push(s);
    bindings[s] = givenValue(s) ?? stored;
    if (givenValue(s) === undefined) implicitDefaulted.push(`${s}=${stored}`);
  }
  if (implicitDefaulted.length) {
    const many = implicitDefaulted.length > 1;
    warnings.push(`Dynamic input dimension${many ? 's use the stored sizes' : ' uses the stored size'} (${listSome(implicitDefaulted)}); bind other values with --bind NAME=N`);
  }
  for (const name of Object.keys(given)) {
    if (!seen.has(name)) warnings.push(`--bind ${name}=${given[name]}: no input has a dimension named "${name}" (symbols: ${listSome(symbols) || 'none'})`);
  }
  if (defaulted.length) {
    warnings.push(`Symbolic input dimension${defaulted.length > 1 ? 's' : ''} ${listSome(defaulted.map((s) => `"${s}"`))} bound to 1 for the figures; bind other values with --bind NAME=N`);
  }
  return {
    symbols,
    bindings,
    hasDynamic: Object.keys(implicit).length > 0 || inputs.some((io) => io.shape === null || io.shape.some((d) => typeof d === 'string')),
  };
}

/** "a, b, c" — at most 20 items, then "and N more", so a file with a million names makes a short warning. */
function listSome(items: string[], max = 20): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function countWeights(graph: ModelGraph): {
  params: number;
  weightBytes: number;
  weightDtypes: Record<string, number>;
  weightPrecisions: Partial<Record<Precision, number>>;
} {
  let params = 0;
  let weightBytes = 0;
  const weightDtypes = emptyRecord<number>();
  const weightPrecisions: Partial<Record<Precision, number>> = emptyRecord<number>();
  const seenBuffers = new Set<number>();
  for (const sg of allSubgraphs(graph)) {
    for (const t of sg.tensors.values()) {
      if (!t.isConstant) continue;
      if (t.sharedBufferId !== undefined) {
        if (seenBuffers.has(t.sharedBufferId)) continue;
        seenBuffers.add(t.sharedBufferId);
      }
      const elements = t.elements ?? elementCount(t.shape) ?? 0;
      const bytes = t.storedBytes ?? bytesOf(elements, t.bitsPerElement) ?? 0;
      if (elements === 0 && bytes === 0) continue;
      params += elements;
      weightBytes += bytes;
      weightDtypes[t.dtype] = (weightDtypes[t.dtype] ?? 0) + bytes;
      weightPrecisions[t.precision] = (weightPrecisions[t.precision] ?? 0) + bytes;
    }
  }
  return { params, weightBytes, weightDtypes, weightPrecisions };
}

/**
 * The layers a file declares (Keras, Core ML, PyTorch module trees): all of them up to MAX_PROFILE_LAYERS, else
 * the first MAX_PROFILE_LAYERS with the full count and a warning, so the profile never grows with the layer count.
 */
function declaredLayersOf(declared: NonNullable<ModelGraph['declaredLayers']>, warnings: string[]): Pick<ModelProfile, 'declaredLayers' | 'declaredLayerCount'> {
  if (declared.length <= MAX_PROFILE_LAYERS) return { declaredLayers: declared };
  warnings.push(`The file declares ${declared.length.toLocaleString('en-US')} layers; the first ${MAX_PROFILE_LAYERS.toLocaleString('en-US')} are listed in declaredLayers`);
  return { declaredLayers: declared.slice(0, MAX_PROFILE_LAYERS), declaredLayerCount: declared.length };
}

/** Topological order of the main graph, stable by file order; file order if the graph has a cycle. */
function executionOrder(sg: Subgraph, warnings: string[]): { nodes: GraphNode[]; kind: 'file-order' | 'topological' } {
  const deps = nodeDependencies(sg);
  if (deps.inFileOrder) return { nodes: sg.nodes, kind: 'file-order' };
  const { indegree, consumers } = deps;
  // Kahn's algorithm with a min-heap on file index keeps the order stable and deterministic.
  const ready: number[] = [];
  indegree.forEach((d, i) => d === 0 && heapPush(ready, i));
  const out: GraphNode[] = [];
  while (ready.length) {
    const i = heapPop(ready);
    out.push(sg.nodes[i]);
    for (const c of consumers[i]) if (--indegree[c] === 0) heapPush(ready, c);
  }
  if (out.length !== sg.nodes.length) {
    warnings.push(`The main graph has a cycle (${sg.nodes.length - out.length} nodes in it); layers are listed in file order`);
    return { nodes: sg.nodes, kind: 'file-order' };
  }
  return { nodes: out, kind: 'topological' };
}

function heapPush(h: number[], v: number): void {
  h.push(v);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p] <= h[i]) break;
    [h[p], h[i]] = [h[i], h[p]];
    i = p;
  }
}

function heapPop(h: number[]): number {
  const top = h[0];
  const last = h.pop() as number;
  if (h.length) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l] < h[m]) m = l;
      if (r < h.length && h[r] < h[m]) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i], h[m]];
      i = m;
    }
  }
  return top;
}

const UNKNOWN_COST: NodeCost = { macs: null, flops: null, opClass: 'other', reason: 'no cost model for this format' };

function costOf(graph: ModelGraph, sg: Subgraph, node: GraphNode, cost: NodeCostFn | undefined): NodeCost {
  if (!cost) return UNKNOWN_COST;
  try {
    return cost(node, sg, graph);
  } catch (e) {
    return { macs: null, flops: null, opClass: 'other', reason: `cost model failed: ${(e as Error).message}` };
  }
}

function tensorBytes(t: TensorInfo | undefined): number | null {
  if (!t) return null;
  const n = elementCount(t.shape);
  if (n === null) return null;
  return bytesOf(n, t.bitsPerElement);
}

/** One node's layer record; `dataflow` adds its tensor names (not for a graph whose layers get summarised). */
function layerProfile(graph: ModelGraph, sg: Subgraph, node: GraphNode, c: NodeCost, dataflow: boolean): LayerProfile {
  let params = 0;
  let weightBytes = 0;
  let inputBytes: number | null = 0;
  let largestWeight: TensorInfo | undefined;
  let computePrecision: Precision | undefined;
  const seen = new Set<string>();
  const constantInputs: number[] = [];
  node.inputs.forEach((name, i) => {
    if (!name) return;
    const t = findTensor(graph, sg, name);
    if (t?.isConstant) constantInputs.push(i);
    if (seen.has(name)) return;
    seen.add(name);
    if (t?.isConstant) {
      const el = t.elements ?? elementCount(t.shape) ?? 0;
      params += el;
      weightBytes += t.storedBytes ?? bytesOf(el, t.bitsPerElement) ?? 0;
      if (!largestWeight || el > (largestWeight.elements ?? 0)) largestWeight = t;
    } else {
      const b = tensorBytes(t);
      inputBytes = inputBytes === null || b === null ? null : inputBytes + b;
      if (!computePrecision && t && t.precision !== 'int64' && t.precision !== 'int32' && t.precision !== 'bool') computePrecision = t.precision;
    }
  });
  const outTensors = node.outputs.filter(Boolean).map((o) => findTensor(graph, sg, o));
  let activationBytes: number | null = 0;
  for (const t of outTensors) {
    const b = tensorBytes(t);
    activationBytes = activationBytes === null || b === null ? null : activationBytes + b;
  }
  if (!computePrecision) computePrecision = outTensors.find((t) => t)?.precision ?? largestWeight?.precision ?? 'other';
  const layer: LayerProfile = {
    name: node.name,
    op: node.op,
    opClass: c.opClass,
    macs: c.macs,
    flops: c.flops,
    params,
    weightBytes,
    inputBytes,
    outputShapes: outTensors.map((t) => (t?.shape ? [...t.shape] : null)),
    activationBytes,
    precision: computePrecision,
  };
  if (dataflow) {
    layer.inputs = [...node.inputs];
    layer.outputs = [...node.outputs];
    if (constantInputs.length) layer.constantInputs = constantInputs;
  }
  if (largestWeight) layer.weightPrecision = largestWeight.precision;
  if (c.variant !== undefined) layer.variant = c.variant;
  if (node.compiledPayloadBytes !== undefined) layer.compiledPayloadBytes = node.compiledPayloadBytes;
  return layer;
}

/**
 * Peak of live activation tensors over the execution order, as an arena planner sees it: graph inputs
 * are live from the start, each produced tensor from its producer until its last consumer, graph
 * outputs until the end. Constants are not activations.
 */
function peakActivation(graph: ModelGraph, nodes: GraphNode[]): { bytes: number | null; at?: string; reason?: string } {
  const sg = graph.main;
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => n.inputs.forEach((inp) => inp && lastUse.set(inp, i)));
  for (const o of sg.outputs) lastUse.set(o, nodes.length);
  const live = new Map<string, number>();
  let current = 0;
  /** Makes an activation live; returns its name when its size is unknown. */
  const add = (name: string): string | null => {
    if (live.has(name)) return null;
    const t = findTensor(graph, sg, name);
    if (!t || t.isConstant) return null;
    const b = tensorBytes(t);
    if (b === null) return name;
    live.set(name, b);
    current += b;
    return null;
  };
  const release = (name: string, i: number): void => {
    if (!name) return;
    const b = live.get(name);
    if (b !== undefined && (lastUse.get(name) ?? -1) <= i) {
      current -= b;
      live.delete(name);
    }
  };
  for (const i of sg.inputs) {
    const bad = add(i);
    if (bad) return { bytes: null, reason: `the size of input "${bad}" is unknown` };
  }
  let peak = current;
  let at: string | undefined = nodes[0]?.name;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    for (const o of n.outputs) {
      if (!o) continue;
      const bad = add(o);
      if (bad) return { bytes: null, reason: `the shape of "${bad}" (output of ${n.op} "${n.name}") is unknown` };
    }
    if (current > peak) {
      peak = current;
      at = n.name;
    }
    for (const name of n.inputs) release(name, i);
    for (const name of n.outputs) release(name, i);
  }
  return { bytes: peak, at };
}

const QUANT_OPS = /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|QLinear.*|.*Integer|com\.microsoft:QLinear.*|com\.microsoft:.*Integer.*|QUANTIZE|DEQUANTIZE)$/;

function quantizationSummary(graph: ModelGraph, layers: LayerProfile[], weightPrecisions: Partial<Record<Precision, number>>): QuantizationSummary {
  const notes: string[] = [];
  let quantizedOps = 0;
  let perChannel = false;
  let hasQdq = false;
  let hasQLinear = false;
  for (const sg of allSubgraphs(graph)) {
    for (const node of sg.nodes) {
      if (QUANT_OPS.test(node.op)) {
        quantizedOps++;
        if (/QuantizeLinear$|DequantizeLinear$/.test(node.op)) hasQdq = true;
        else if (!/^(QUANTIZE|DEQUANTIZE)$/.test(node.op)) hasQLinear = true;
      }
    }
    for (const t of sg.tensors.values()) if ((t.quant?.scale?.length ?? 0) > 1) perChannel = true;
  }
  // TFLite-style integer kernels: a compute layer whose activations are integer.
  // A summarised row (huge graphs) counts once per node it stands for.
  const computeLayers = layers.filter((l) => l.macs !== null && l.macs > 0);
  const intCompute = computeLayers.filter((l) => INT_QUANT_PRECISIONS.has(l.precision));
  if (graph.format === 'tflite') quantizedOps += nodeCount(layers.filter((l) => INT_QUANT_PRECISIONS.has(l.precision) && !QUANT_OPS.test(l.op)));

  const total = Object.values(weightPrecisions).reduce((a, b) => a + (b ?? 0), 0);
  const share = (p: Precision[]): number => (total ? p.reduce((a, k) => a + (weightPrecisions[k] ?? 0), 0) / total : 0);
  const intWeights = share(['int8', 'uint8', 'int4', 'uint4', 'int16', 'int2']);
  const fp16Weights = share(['fp16']);
  const bf16Weights = share(['bf16']);
  const blockQuant = allSubgraphs(graph).some((sg) => [...sg.tensors.values()].some((t) => t.isConstant && /^(Q\d|IQ\d|TQ\d)/i.test(t.dtype)));

  let state: QuantizationSummary['state'];
  if (graph.compiledSegments.length) {
    state = 'compiled';
    notes.push(`Compiled for ${graph.compiledSegments.map((c) => c.kind).join(', ')}: the network is one custom op`);
  } else if (blockQuant) state = 'block-quantized';
  else if (hasQdq && !hasQLinear) state = 'qdq';
  else if (hasQLinear || (computeLayers.length > 0 && intCompute.length === computeLayers.length)) state = 'int8-full';
  else if (intWeights > 0.5 && intCompute.length === 0) state = 'int8-weights-only';
  else if (intWeights > 0 && intCompute.length > 0) state = 'mixed';
  else if (fp16Weights > 0.5) state = 'fp16';
  else if (bf16Weights > 0.5) state = 'bf16';
  else if (total === 0 && computeLayers.length === 0) state = 'unknown';
  else state = 'float';
  if (hasQdq) notes.push(`${countOps(graph, /QuantizeLinear$|DequantizeLinear$/)} QuantizeLinear/DequantizeLinear nodes (QDQ format)`);
  if (perChannel) notes.push('per-channel (per-axis) quantization parameters present');
  if (fp16Weights > 0 && fp16Weights < 1 && state !== 'fp16') notes.push(`${Math.round(fp16Weights * 100)} % of weight bytes are fp16`);
  const qIn = graph.main.inputs.map((n) => graph.main.tensors.get(n)).filter((t) => t?.quant?.scale?.length === 1);
  for (const t of qIn.slice(0, 4)) {
    notes.push(`input "${t!.name}" is ${t!.dtype} with scale ${t!.quant!.scale![0]} and zero point ${t!.quant!.zeroPoint?.[0] ?? 0}: feed quantized values`);
  }
  return { state, weightPrecisions, quantizedOps, perChannel, notes };
}

function countOps(graph: ModelGraph, re: RegExp): number {
  let n = 0;
  for (const sg of allSubgraphs(graph)) for (const node of sg.nodes) if (re.test(node.op)) n++;
  return n;
}

function sortedHistogram(h: Record<string, number>): Record<string, number> {
  const out = emptyRecord<number>();
  for (const [k, v] of Object.entries(h).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v;
  return out;
}

function metadataOf(graph: ModelGraph): Record<string, string | number | boolean> {
  const m = emptyRecord<string | number | boolean>();
  const md = graph.metadata;
  if (md.producer) m.producer = md.producer;
  if (md.description) m.description = md.description;
  if (md.formatVersion !== undefined) m.formatVersion = md.formatVersion;
  if (md.layout) m.layout = md.layout;
  for (const [k, v] of Object.entries(md.extra ?? {})) m[k] = v;
  return m;
}

function dedupe(a: string[]): string[] {
  return [...new Set(a)];
}

