/**
 * The deployed graph: from a model file's layers, the layers a target's toolchain actually runs.
 *
 * Exporters leave work in a file that no converter keeps: shape arithmetic on static shapes
 * (Shape -> Gather -> Unsqueeze -> Concat -> Reshape), BatchNormalization after every convolution,
 * Identity and Dropout nodes, QuantizeLinear/DequantizeLinear pairs around ops that run at int8. Judging
 * compatibility and latency on the file's nodes reports false fallbacks (an Edge TPU "stopping" at a Shape
 * op every converter folds away) and costs ops that never run. This pass derives, per toolchain, the layers
 * that run, each with the file nodes it came from, and accounts for every other node (folded, removed,
 * fused, absorbed) with the rule that did it. Which fusions a toolchain does is data
 * (catalog/deployment-rules.json, with a public source per rule); where shapes are unknown, nothing that
 * depends on them is folded and the result says why.
 *
 * Pure function of the profile; the file's own figures (analyze) are untouched. No `vscode` import.
 */
import type { LayerProfile, ModelProfile } from '../../analyzers/profile-types';
import { elementCount, type Precision, type Shape } from '../../analyzers/graph';
import { nodeCount } from '../../analyzers/layer-summary';
import { loadDeploymentRules, type FusionRule, type Int8Quantizer, type Toolchain } from '../catalog/deployment-rules';
import type { DeployedSummary } from '../types';

/** What happened to a file node that does not run as a layer of its own. */
export type DeployStep =
  | 'constant-folded'
  | 'shape-folded'
  | 'identity-removed'
  | 'noop-reshape-removed'
  | 'batchnorm-folded'
  | 'activation-fused'
  | 'bias-add-fused'
  | 'residual-add-fused'
  | 'qdq-absorbed'
  | 'lowered-to-slice'
  | 'concat-elided'
  | 'slice-elided';

export interface AccountedNode {
  node: string;
  op: string;
  step: DeployStep;
  /** The deployed layer it was folded or fused into, when there is one. */
  into?: string;
  /** Rule id in deployment-rules.json. */
  rule: string;
}

/** A node the pass could not fold although it looks like shape arithmetic, and why. */
export interface UnfoldedNode {
  node: string;
  op: string;
  reason: string;
}

/**
 * A layer the toolchain's int8 quantizer leaves float (deployment-rules.json `int8Quantizer`): in an int8 model it runs
 * in fp32, after a dequantize of each input an int8 layer writes and before a quantize when an int8 layer reads it.
 */
export interface Int8Float {
  /** Elements dequantized (int8 -> fp32) on the way in. */
  dequantizeElements: number;
  /** Elements quantized (fp32 -> int8) on the way out. */
  quantizeElements: number;
  /** Convert ops around it (each dispatched on its own). */
  converts: number;
}

export interface DeployedLayer extends LayerProfile {
  /** The op's TFLite-style canonical name (op-support.json), as the op lists use. */
  canonical: string;
  /** File nodes this layer stands for: the node that runs first, then the nodes fused into it. */
  from: string[];
  /** Set when the toolchain's int8 quantizer leaves this layer float (applies only to an int8 estimate). */
  int8Float?: Int8Float;
}

export interface DeployedGraph {
  toolchain: string;
  toolchainName: string;
  layers: DeployedLayer[];
  accounted: AccountedNode[];
  unfolded: UnfoldedNode[];
  /** Symbols the folded shape arithmetic assumed (the figures' bindings; fixed-shape toolchains compile them in). */
  assumedBindings: Record<string, number>;
  /** False when the profile carries no dataflow (an older saved profile): the file's layers are used as they are. */
  hasDataflow: boolean;
  fileNodes: number;
}

export interface DeployContext {
  /** Toolchain id (deployment-rules.json "toolchains"), e.g. from toolchainForRuntime(). */
  toolchain: string;
  /** Canonical (TFLite builtin) name of a file layer. */
  canonical: (layer: LayerProfile) => string;
}

const NON_DETERMINISTIC = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);
const SHAPE_OPS = new Set(['Shape', 'Size', 'SHAPE']);
const IDENTITY_OPS = new Set(['Identity', 'Dropout']);
const RESHAPE_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'RESHAPE', 'SQUEEZE', 'EXPAND_DIMS']);
const BATCHNORM_OPS = new Set(['BatchNormalization', 'com.microsoft:FusedBatchNorm']);

const bare = (op: string): string => op.slice(op.lastIndexOf(':') + 1);

export const isDeployed = (l: LayerProfile): l is DeployedLayer => Array.isArray((l as DeployedLayer).from) && typeof (l as DeployedLayer).canonical === 'string';

/** The toolchain a runtime id converts with (deployment-rules.json "runtimes"); cpu-full when unknown. */
export function toolchainForRuntime(runtime: string): string {
  const rules = loadDeploymentRules();
  return rules.runtimes[runtime] ?? 'onnxruntime';
}

/**
 * A folded constant: the stored weights it carries (keyed by the stored tensors they come from, so a weight reaching a
 * layer along two folded paths counts once) and the precision it is stored at.
 */
interface ConstInfo {
  parts: Map<string, { params: number; bytes: number }>;
  precision: Precision;
}

const NO_PARTS: ConstInfo['parts'] = new Map();

/** The weights of the folded constants `infos` and of the folding node itself (`own`), each stored weight once. */
function unionParts(infos: (ConstInfo | undefined)[], own?: { name: string; params: number; bytes: number }): ConstInfo['parts'] {
  const parts = new Map<string, { params: number; bytes: number }>();
  if (own && (own.params > 0 || own.bytes > 0)) parts.set(own.name, { params: own.params, bytes: own.bytes });
  for (const c of infos) if (c) for (const [k, v] of c.parts) parts.set(k, v);
  return parts;
}

/** Names a node's own stored weights by the stored tensors it reads, so two nodes reading one weight share a key. */
function storedWeightsKey(l: LayerProfile): string {
  const stored = (l.constantInputs ?? []).map((k) => l.inputs?.[k]).filter((t): t is string => !!t);
  return stored.length ? [...new Set(stored)].sort().join('\u0000') : `node:${l.name}`;
}

const partsTotal = (parts: ConstInfo['parts']): { params: number; bytes: number } => {
  let params = 0;
  let bytes = 0;
  for (const v of parts.values()) {
    params += v.params;
    bytes += v.bytes;
  }
  return { params, bytes };
};

/** Fusion rules of a toolchain, its parents' included (edgetpu and tflm inherit the TFLite converter's). */
function fusionsOf(id: string): { toolchain: Toolchain; fusions: FusionRule[] } {
  const rules = loadDeploymentRules();
  const toolchain = rules.toolchains[id];
  if (!toolchain) throw new Error(`deployment-rules.json: no toolchain "${id}"`);
  const fusions = [...toolchain.fusions];
  const seen = new Set([id]);
  for (let parent = toolchain.inherits; parent && !seen.has(parent); parent = rules.toolchains[parent]?.inherits) {
    seen.add(parent);
    fusions.push(...(rules.toolchains[parent]?.fusions ?? []));
  }
  return { toolchain, fusions };
}

function sameShape(a: Shape | null | undefined, b: Shape | null | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Whether a shape is known when the toolchain converts: numeric dims, or (for fixed-shape toolchains) symbols
 * that the figures bind. Returns the symbols it relied on, or the reason it is not static.
 */
function staticShape(shape: Shape | null | undefined, bindings: Record<string, number>, fixedShapes: boolean): { symbols: string[] } | { reason: string } {
  if (!shape) return { reason: 'its input shape is unknown' };
  const symbols: string[] = [];
  for (const d of shape) {
    if (typeof d === 'number') continue;
    if (!fixedShapes) return { reason: `dimension "${d}" is dynamic and this runtime resolves it at run time` };
    if (!Object.prototype.hasOwnProperty.call(bindings, d)) return { reason: `dimension "${d}" is not bound (data-dependent or unnamed)` };
    symbols.push(d);
  }
  return { symbols };
}

const intPrecision = (p: Precision): Precision | undefined => (p === 'int8' || p === 'int16' ? p : undefined);

/**
 * Whether every output of a split or slice is one contiguous block of its input: all shapes known, each output differs
 * from the input in at most one dimension, and every dimension before that one is 1 (a channel split of a batch-1
 * tensor). A strided slice that keeps every dimension's size cannot be told apart here; such slices are rare.
 */
function contiguousParts(input: Shape | null | undefined, outputs: (Shape | null)[]): boolean {
  if (!input || !input.every((d) => typeof d === 'number') || !outputs.length) return false;
  return outputs.every((o) => {
    if (!o || o.length !== input.length || !o.every((d) => typeof d === 'number')) return false;
    const differ = o.map((d, i) => (d !== input[i] ? i : -1)).filter((i) => i >= 0);
    return differ.length === 0 || (differ.length === 1 && input.slice(0, differ[0]).every((d) => d === 1));
  });
}

/** Bytes per element of a layer's (single) output, from its activation bytes and shape. */
function outputElementBytes(layer: LayerProfile): number | null {
  if (layer.activationBytes === null || layer.outputShapes.length !== 1) return null;
  const n = elementCount(layer.outputShapes[0]);
  return n ? layer.activationBytes / n : null;
}

function identityGraph(profile: ModelProfile, ctx: DeployContext, toolchain: Toolchain): DeployedGraph {
  return {
    toolchain: ctx.toolchain,
    toolchainName: toolchain.name,
    layers: profile.layers.map((l) => ({ ...l, canonical: ctx.canonical(l), from: [l.name] })),
    accounted: [],
    unfolded: [],
    assumedBindings: {},
    hasDataflow: false,
    fileNodes: nodeCount(profile.layers),
  };
}

/** Derives the graph `ctx.toolchain` runs from the profile's layers. */
export function deployGraph(profile: ModelProfile, ctx: DeployContext): DeployedGraph {
  const { toolchain, fusions } = fusionsOf(ctx.toolchain);
  const layers = profile.layers;
  if (!layers.length || !layers.every((l) => Array.isArray(l.inputs) && Array.isArray(l.outputs))) return identityGraph(profile, ctx, toolchain);

  const bindings = profile.dynamicShapes?.bindings ?? {};
  const dynamicSymbols = (profile.dynamicShapes?.symbols ?? []).filter((sym) => Object.prototype.hasOwnProperty.call(bindings, sym));
  const graphOutputs = new Set(profile.outputs.map((o) => o.name));
  const graphInputShapes = new Map<string, Shape | null>(profile.inputs.map((i) => [i.name, i.shape]));

  // Tensor facts from the file.
  const producerOf = new Map<string, number>();
  const consumers = new Map<string, number>();
  const readers = new Map<string, number[]>();
  const storedConstant = new Set<string>();
  layers.forEach((l, i) => {
    l.outputs!.forEach((o) => o && producerOf.set(o, i));
    l.inputs!.forEach((name, k) => {
      if (!name) return;
      consumers.set(name, (consumers.get(name) ?? 0) + 1);
      const r = readers.get(name);
      if (!r) readers.set(name, [i]);
      else if (r[r.length - 1] !== i) r.push(i);
      if (l.constantInputs?.includes(k)) storedConstant.add(name);
    });
  });
  const shapeOf = (t: string): Shape | null | undefined => {
    const p = producerOf.get(t);
    if (p === undefined) return graphInputShapes.get(t);
    const idx = layers[p].outputs!.indexOf(t);
    return layers[p].outputShapes[idx];
  };
  const tensorBytes = (t: string): number => {
    const p = producerOf.get(t);
    if (p === undefined) return 0;
    const l = layers[p];
    return (l.activationBytes ?? 0) / Math.max(1, l.outputs!.filter(Boolean).length);
  };

  // Aliases (a removed node's output is its input) with consumer counts carried over.
  const alias = new Map<string, string>();
  const resolve = (t: string): string => {
    let cur = t;
    for (let guard = 0; alias.has(cur) && guard < layers.length + 1; guard++) cur = alias.get(cur)!;
    return cur;
  };
  const setAlias = (from: string, to: string): void => {
    const target = resolve(to);
    alias.set(from, target);
    const q = quantizedTensor.get(from);
    if (q) quantizedTensor.set(target, q);
    consumers.set(target, (consumers.get(target) ?? 0) - 1 + (consumers.get(from) ?? 0));
    if (graphOutputs.has(from)) graphOutputs.add(target);
  };

  // QDQ pairs on activations: QuantizeLinear(x) consumed only by DequantizeLinear nodes.
  const qdqMembers = new Set<number>();
  const quantizedTensor = new Map<string, Precision>();
  layers.forEach((l, i) => {
    if (bare(l.op) !== 'QuantizeLinear' || !l.inputs![0] || storedConstant.has(l.inputs![0])) return;
    const q = l.outputs![0];
    const users = readers.get(q) ?? [];
    if (!users.length || graphOutputs.has(q) || !users.every((j) => bare(layers[j].op) === 'DequantizeLinear')) return;
    qdqMembers.add(i);
    users.forEach((j) => qdqMembers.add(j));
    const eb = outputElementBytes(l);
    quantizedTensor.set(l.inputs![0], eb !== null && eb >= 2 ? 'int16' : 'int8');
  });

  const constInfo = new Map<string, ConstInfo>();
  const isConst = (t: string): boolean => storedConstant.has(t) || constInfo.has(t);
  const out: DeployedLayer[] = [];
  const deployedOf = new Map<string, number>(); // tensor -> index into out
  const fusedActivation = new Set<number>();
  // A SiLU's Sigmoid fused into the layer that writes its input, waiting for its Mul (fuse-silu): Sigmoid output -> layer.
  const siluPending = new Map<string, number>();
  // Tensors that no layer writes on their own (elide-concat, elide-slice): the parts of a buffer its producers write in
  // place, or a view of one; the integer precision of what they hold, when it is one.
  const views = new Map<string, Precision | undefined>();
  const accounted: AccountedNode[] = [];
  const unfolded: UnfoldedNode[] = [];
  const assumed: Record<string, number> = {};
  const account = (l: LayerProfile, step: DeployStep, rule: string, into?: number) =>
    accounted.push({ node: l.name, op: l.op, step, rule, ...(into !== undefined ? { into: out[into].name } : {}) });

  /** The deployed layer that writes t, when t has no other reader and is not a graph output. */
  const soleProducer = (t: string): number | null => {
    const r = resolve(t);
    const h = deployedOf.get(r);
    if (h === undefined || graphOutputs.has(r) || (consumers.get(r) ?? 0) !== 1) return null;
    return h;
  };

  layers.forEach((l, i) => {
    const op = bare(l.op);
    const inputs = l.inputs!.map((t) => (t ? resolve(t) : t));
    const data = inputs.filter((t) => t && !isConst(t));

    if (qdqMembers.has(i)) {
      // Q output feeds only DQs; each DQ output is the original activation again.
      if (op === 'DequantizeLinear') setAlias(l.outputs![0], inputs[0] ? resolveQ(inputs[0]) : inputs[0]);
      account(l, 'qdq-absorbed', 'absorb-qdq');
      return;
    }

    // Constant folding: every input constant (or none), or a shape query on a shape known at conversion.
    if (!NON_DETERMINISTIC.has(op) && (data.length === 0 || SHAPE_OPS.has(op))) {
      let step: DeployStep = 'constant-folded';
      if (data.length > 0) {
        const s = dynamicSymbols.length && !toolchain.fixedShapes
          ? { reason: `the model's input dims ${dynamicSymbols.join(', ')} are dynamic and ${toolchain.name} resolves shapes at run time` }
          : staticShape(shapeOf(data[0]), bindings, toolchain.fixedShapes);
        if ('reason' in s) {
          unfolded.push({ node: l.name, op: l.op, reason: `${l.op} of "${data[0]}" is not folded: ${s.reason}` });
          return keep(l, inputs);
        }
        // Shapes were inferred with the figures' bindings; a fixed-shape toolchain compiles exactly those.
        for (const sym of dynamicSymbols) assumed[sym] = bindings[sym];
        step = 'shape-folded';
      }
      let parts = unionParts(inputs.map((t) => (t ? constInfo.get(t) : undefined)), { name: storedWeightsKey(l), params: l.params, bytes: l.weightBytes });
      // Quantized weights keep their integer width: Q(const) is stored at its output width, DQ(const) reads it.
      let precision: Precision = l.precision;
      if (op === 'QuantizeLinear') {
        const eb = outputElementBytes(l) ?? 1;
        precision = eb >= 2 ? 'int16' : 'int8';
        parts = new Map([...parts].map(([k, v]) => [k, { params: v.params, bytes: v.params * eb }]));
      } else if (op === 'DequantizeLinear') precision = (inputs[0] && constInfo.get(inputs[0])?.precision) || l.weightPrecision || 'int8';
      for (const o of l.outputs!) if (o) constInfo.set(o, { parts: step === 'shape-folded' ? NO_PARTS : parts, precision });
      account(l, step, 'fold-constants');
      return;
    }

    // Nodes that do nothing at inference.
    const noopReshape = RESHAPE_OPS.has(op) && data.length === 1 && sameShape(shapeOf(data[0]), l.outputShapes[0]) && (shapeOf(data[0]) ?? []).every((d) => typeof d === 'number');
    if ((IDENTITY_OPS.has(op) || noopReshape) && data.length >= 1 && l.outputs![0]) {
      setAlias(l.outputs![0], data[0]);
      l.outputs!.slice(1).forEach((o) => o && constInfo.set(o, { parts: NO_PARTS, precision: 'bool' })); // Dropout's mask
      account(l, noopReshape ? 'noop-reshape-removed' : 'identity-removed', 'remove-identity');
      return;
    }

    // BatchNormalization folded into the convolution / fully-connected layer before it.
    if (BATCHNORM_OPS.has(l.op) && data.length === 1) {
      const h = soleProducer(data[0]);
      const rule = loadDeploymentRules().common.find((r) => r.rule === 'fold-batchnorm');
      if (h !== null && rule?.into?.includes(out[h].canonical) && !fusedActivation.has(h)) {
        setAlias(l.outputs![0], data[0]);
        out[h].from.push(l.name);
        account(l, 'batchnorm-folded', 'fold-batchnorm', h);
        return;
      }
    }

    // The toolchain's own fusions.
    const canonical = ctx.canonical(l);
    for (const rule of fusions) {
      if (!rule.ops.includes(canonical)) continue;
      if (rule.rule === 'fuse-activation' && data.length === 1) {
        const h = soleProducer(data[0]);
        if (h === null || !rule.producers.includes(out[h].canonical) || fusedActivation.has(h)) continue;
        fuse(h, l, data[0]);
        fusedActivation.add(h);
        account(l, 'activation-fused', rule.rule, h);
        return;
      }
      if (rule.rule === 'fuse-silu' && canonical === 'LOGISTIC' && data.length === 1) {
        const h = siluHost(data[0], l.outputs![0], rule.producers);
        if (h === null) continue;
        // Its work joins the layer now; its output stays its own name until the Mul that reads it is fused too.
        out[h].from.push(l.name);
        out[h].flops = out[h].flops === null || l.flops === null ? null : out[h].flops! + l.flops;
        consumers.set(data[0], (consumers.get(data[0]) ?? 0) - 1);
        siluPending.set(l.outputs![0], h);
        account(l, 'activation-fused', rule.rule, h);
        return;
      }
      if (rule.rule === 'fuse-silu' && canonical === 'MUL' && inputs.length === 2) {
        const k = inputs.findIndex((t) => t && siluPending.has(t));
        const x = inputs[1 - k];
        const h = k >= 0 ? siluPending.get(inputs[k])! : null;
        if (h === null || !x || deployedOf.get(x) !== h) continue;
        fuse(h, l, x);
        fusedActivation.add(h);
        account(l, 'activation-fused', rule.rule, h);
        return;
      }
      if (rule.rule === 'merge-silu' && inputs.length === 2) {
        // x * Sigmoid(x) as one elementwise op: the Mul joins the Sigmoid's layer, which already reads x.
        const k = inputs.findIndex((t, j) => {
          const h = t ? deployedOf.get(t) : undefined;
          const x = inputs[1 - j];
          return h !== undefined && !!x && rule.producers.includes(out[h].canonical) && out[h].from.length === 1 && out[h].inputs?.length === 1 &&
            out[h].inputs[0] === x && (consumers.get(t) ?? 0) === 1 && !graphOutputs.has(t);
        });
        if (k < 0) continue;
        const h = deployedOf.get(inputs[k])!;
        consumers.set(inputs[1 - k], (consumers.get(inputs[1 - k]) ?? 0) - 1);
        fuse(h, l, inputs[k]);
        account(l, 'activation-fused', rule.rule, h);
        return;
      }
      if (rule.rule === 'elide-slice' && data.length === 1) {
        // Each output a contiguous block of a tensor the engine writes: a view, no layer (TensorRT "Eliminating slice").
        const x = data[0];
        if ((!deployedOf.has(x) && !views.has(x)) || l.outputs!.some((o) => o && graphOutputs.has(o)) || !contiguousParts(shapeOf(x), l.outputShapes)) continue;
        const held = deployedOf.has(x) ? intPrecision(out[deployedOf.get(x)!].precision) : views.get(x);
        for (const o of l.outputs!) if (o) views.set(o, held);
        account(l, 'slice-elided', rule.rule);
        return;
      }
      if (rule.rule === 'elide-concat') {
        // Producers write their parts of the concatenated buffer in place (TensorRT "Eliminating concatenation").
        const ins = inputs.filter(Boolean);
        const written = (t: string) => (deployedOf.has(t) || views.has(t)) && !graphOutputs.has(t);
        if (ins.length < 2 || data.length !== ins.length || new Set(ins).size !== ins.length || !ins.every(written) || l.outputs!.some((o) => o && graphOutputs.has(o))) continue;
        const held = ins.map((t) => (deployedOf.has(t) ? intPrecision(out[deployedOf.get(t)!].precision) : views.get(t)));
        const precision = held.every(Boolean) ? (held.includes('int16') ? 'int16' : 'int8') : undefined;
        for (const o of l.outputs!) if (o) views.set(o, precision);
        account(l, 'concat-elided', rule.rule);
        return;
      }
      if (rule.rule === 'fuse-bias-add' && inputs.filter(Boolean).length === 2) {
        for (const [mine, other] of [[inputs[0], inputs[1]], [inputs[1], inputs[0]]]) {
          const h = soleProducer(mine);
          if (h === null || !rule.producers.includes(out[h].canonical) || fusedActivation.has(h)) continue;
          const residual = !isConst(other);
          if (residual && rule.operand !== 'any') continue;
          fuse(h, l, mine);
          if (residual) out[h].inputBytes = out[h].inputBytes === null ? null : out[h].inputBytes! + tensorBytes(other);
          account(l, residual ? 'residual-add-fused' : 'bias-add-fused', rule.rule, h);
          return;
        }
      }
    }
    const slice = fusions.find((r) => r.rule === 'gather-as-slice' && r.ops.includes(canonical));
    const scalarIndex = data.length === 1 && inputs.length === 2 && isConst(inputs[1]) && l.params <= 1;
    keep(l, inputs, slice && scalarIndex ? slice.to : undefined);
    if (slice && scalarIndex) account(l, 'lowered-to-slice', slice.rule, out.length - 1);
  });

  if (toolchain.int8Quantizer) markInt8Float(toolchain.int8Quantizer);
  return { toolchain: ctx.toolchain, toolchainName: toolchain.name, layers: out, accounted, unfolded, assumedBindings: assumed, hasDataflow: true, fileNodes: layers.length };

  /**
   * The layers an int8 quantizer leaves float (every op outside `keepsInt8`, and the Mul of a SiLU whose Sigmoid is
   * float: torch.export captures nn.SiLU as one op), each with the dequantize / quantize around it: an input written
   * by an int8 layer is dequantized, an output an int8 layer reads is quantized (graph inputs and outputs are float).
   */
  function markInt8Float(q: Int8Quantizer): void {
    const keeps = new Set(q.keepsInt8);
    const float = out.map((d) => !keeps.has(d.canonical) || q.exceptFileOps.includes(bare(d.op)));
    out.forEach((d, i) => {
      if (float[i] || d.canonical !== 'MUL' || d.from.length !== 1) return;
      const ins = (d.inputs ?? []).filter((t) => t && !isConst(t));
      if (ins.length !== 2) return;
      for (const [a, b] of [[ins[0], ins[1]], [ins[1], ins[0]]]) {
        const j = deployedOf.get(a);
        if (j !== undefined && float[j] && out[j].canonical === 'LOGISTIC' && out[j].from.length === 1 && out[j].inputs?.includes(b)) float[i] = true;
      }
    });
    const readersOf = new Map<string, number[]>();
    out.forEach((d, i) => (d.inputs ?? []).forEach((t) => {
      if (!t) return;
      const r = readersOf.get(t);
      if (r) r.push(i);
      else readersOf.set(t, [i]);
    }));
    const elements = (j: number, t: string): number => elementCount(out[j].outputShapes[Math.max(0, (out[j].outputs ?? []).indexOf(t))] ?? null) ?? 0;
    out.forEach((d, i) => {
      if (!float[i]) return;
      let dequantizeElements = 0;
      let quantizeElements = 0;
      let converts = 0;
      for (const t of new Set((d.inputs ?? []).filter((x) => x && !isConst(x)))) {
        const j = deployedOf.get(t);
        if (j === undefined || float[j]) continue;
        dequantizeElements += elements(j, t);
        converts++;
      }
      for (const t of d.outputs ?? []) {
        if (!t || !(readersOf.get(t) ?? []).some((k) => !float[k])) continue;
        quantizeElements += elements(i, t);
        converts++;
      }
      d.int8Float = { dequantizeElements, quantizeElements, converts };
    });
  }

  /**
   * The deployed layer a SiLU's Sigmoid fuses into (fuse-silu): `x` is written by a layer of `producers` that nothing
   * else has fused an activation into, is not a graph output and has exactly two readers, this Sigmoid and one Mul of
   * `x` with the Sigmoid's output `sig`, which nothing else reads. Null when the pattern does not hold.
   */
  function siluHost(x: string, sig: string | undefined, producers: string[]): number | null {
    const h = deployedOf.get(x);
    if (h === undefined || !sig || !producers.includes(out[h].canonical) || fusedActivation.has(h) || graphOutputs.has(x) || graphOutputs.has(sig)) return null;
    if ((consumers.get(x) ?? 0) !== 2 || (consumers.get(sig) ?? 0) !== 1) return null;
    const users = readers.get(sig) ?? [];
    if (users.length !== 1) return null;
    const mul = layers[users[0]];
    if (bare(mul.op) !== 'Mul' || mul.inputs!.length !== 2) return null;
    const ins = mul.inputs!.map((t) => (t ? resolve(t) : t));
    return (ins[0] === sig && ins[1] === x) || (ins[0] === x && ins[1] === sig) ? h : null;
  }

  /** A DQ's input is a Q output; the activation it restores is the Q's input. */
  function resolveQ(qOut: string): string {
    const p = producerOf.get(qOut);
    return p !== undefined && bare(layers[p].op) === 'QuantizeLinear' && layers[p].inputs![0] ? resolve(layers[p].inputs![0]) : qOut;
  }

  /** Fuses layer l (reading `via` from deployed layer h) into h: its work, its output and its weights. */
  function fuse(h: number, l: LayerProfile, via: string): void {
    const host = out[h];
    host.from.push(l.name);
    host.flops = host.flops === null || l.flops === null ? null : host.flops + l.flops;
    host.params += l.params;
    host.weightBytes += l.weightBytes;
    host.activationBytes = l.activationBytes;
    host.outputShapes = l.outputShapes;
    for (const o of l.outputs!) if (o) setAlias(o, via);
  }

  /** l runs as a layer of its own; folded constants it reads become its weights. */
  function keep(l: LayerProfile, inputs: string[], loweredTo?: string): void {
    const d: DeployedLayer = { ...l, inputs, outputShapes: [...l.outputShapes], canonical: loweredTo ?? ctx.canonical(l), from: [l.name] };
    let quantWeights: Precision | undefined;
    const folded: ConstInfo[] = [];
    for (const t of new Set(inputs)) {
      const c = t ? constInfo.get(t) : undefined;
      if (!c) continue;
      folded.push(c);
      if (partsTotal(c.parts).bytes > 0) quantWeights = c.precision;
      if (d.inputBytes !== null) d.inputBytes = Math.max(0, d.inputBytes - tensorBytes(t));
    }
    const carried = partsTotal(unionParts(folded));
    d.params += carried.params;
    d.weightBytes += carried.bytes;
    if (quantWeights && (!d.weightPrecision || d.weightBytes > 0)) d.weightPrecision = quantWeights;
    // In a QDQ file an op runs at int8 when every activation it reads is quantized: marked by a Q/DQ pair, or
    // written by an int8 layer (data movement, pooling and activations keep their input's type).
    const dataIn = inputs.filter((t) => t && !isConst(t));
    const q = dataIn.map((t) => quantizedTensor.get(t) ?? ((l.macs ?? 0) === 0 ? (deployedOf.has(t) ? intPrecision(out[deployedOf.get(t)!].precision) : views.get(t)) : undefined));
    if (dataIn.length && q.every(Boolean)) d.precision = q.includes('int16') ? 'int16' : 'int8';
    const idx = out.push(d) - 1;
    for (const o of l.outputs!) if (o) deployedOf.set(o, idx);
  }
}

/** Every file node is either the first node of a deployed layer, fused into one, or accounted as folded/removed. */
export function accountsForEveryNode(g: DeployedGraph, fileLayers: LayerProfile[]): string[] {
  const seen = new Map<string, number>();
  for (const l of g.layers) for (const n of l.from) seen.set(n, (seen.get(n) ?? 0) + 1);
  const intoALayer = new Set<DeployStep>(['activation-fused', 'bias-add-fused', 'residual-add-fused', 'batchnorm-folded', 'lowered-to-slice']);
  for (const a of g.accounted) if (!intoALayer.has(a.step)) seen.set(a.node, (seen.get(a.node) ?? 0) + 1);
  const problems: string[] = [];
  for (const l of fileLayers) {
    const n = seen.get(l.name) ?? 0;
    if (n !== 1) problems.push(`${l.name}: accounted ${n} times`);
  }
  return problems;
}

/** What the estimate says about the deployed graph; `int8` when the estimate quantizes the model to int8. */
export function summarizeDeployed(g: DeployedGraph, int8 = false): DeployedSummary {
  const steps: Record<string, number> = {};
  for (const a of g.accounted) steps[a.step] = (steps[a.step] ?? 0) + 1;
  // The float layers' ops, most frequent first (what the estimate names, from this model, not a fixed list).
  const floatOps = new Map<string, number>();
  if (int8) for (const l of g.layers) if (l.int8Float) floatOps.set(l.op, (floatOps.get(l.op) ?? 0) + 1);
  const int8Float = floatOps.size ? { layers: [...floatOps.values()].reduce((a, b) => a + b, 0), ops: [...floatOps].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([op, n]) => ({ op, layers: n })) } : null;
  return { toolchain: g.toolchain, toolchainName: g.toolchainName, fileNodes: g.fileNodes, layers: g.layers.length, steps, unfolded: g.unfolded.slice(0, 5), assumedBindings: g.assumedBindings, ...(int8Float ? { int8Float } : {}) };
}
