/**
 * Keras model config → graph nodes. Each call of a layer becomes a node (op = the Keras class name) named
 * after the layer ("dense", "dense#1" for its second call); its outputs are tensors named the same way
 * ("lstm:1" for a second output). A model used as a layer is flattened into its layers ("backbone/conv1"),
 * its inputs and outputs joined to the outer tensors. Every layer's stored weights (matched by their path in
 * the weights file) are inputs of its nodes, so per-layer parameters and bytes come out right. Layer
 * configs stay beside the graph (keras/side-info.ts) for shapes and costs. A config whose layers form a cycle,
 * or that refers to a layer it does not define, is refused.
 */
import { type GraphNode, type ModelGraph, type Precision, type Shape, type TensorInfo, topologicalOrder } from '../graph';
import { LIMITS, ModelFileError } from '../errors';
import type { NameBudget } from '../names';
import type { Json, KerasLayer, KerasModel, TensorRef } from './config';
import { obj } from './config';
import { kerasLayers } from './side-info';
import { recordOf } from '../safe-record';

const DTYPES: Record<string, Precision> = recordOf({
  float16: 'fp16', float32: 'fp32', float64: 'fp64', bfloat16: 'bf16', int8: 'int8', int16: 'int16', int32: 'int32', int64: 'int64',
  uint8: 'uint8', bool: 'bool', string: 'string',
});
const BITS: Partial<Record<Precision, number>> = { fp16: 16, fp32: 32, fp64: 64, bf16: 16, int8: 8, int16: 16, int32: 32, int64: 64, uint8: 8, bool: 8 };

/** Largest dimension accepted in a declared input shape or layer size. */
export const MAX_DIM = 2 ** 31;

export function dtypeName(v: Json | undefined): string {
  if (typeof v === 'string') return v;
  const c = obj(obj(v).config);
  return typeof c.name === 'string' ? c.name.replace(/^mixed_/, '') : 'float32';
}

interface Build {
  g: ModelGraph;
  file: string;
  names: NameBudget;
  /** Deterministic outer tensor name → the tensor that really carries it (nested models' inputs and outputs). */
  alias: Map<string, string>;
  /** Layer path ("backbone/conv1") → names of its weight tensors. */
  weights: Map<string, string[]>;
}

const tensorName = (prefix: string, layer: string, node: number, tensor: number): string =>
  `${prefix}${layer}${node ? `#${node}` : ''}${tensor ? `:${tensor}` : ''}`;

/** Builds the graph of `model` into g.main; returns the names of its output tensors. */
export function buildKerasGraph(g: ModelGraph, model: KerasModel, weightPaths: string[], file: string, names: NameBudget): void {
  const b: Build = { g, file, names, alias: new Map(), weights: indexWeights(model, weightPaths) };
  const outputs = buildModel(b, model, '', null);
  // Resolve aliases (chains included) in node inputs and graph outputs.
  const resolve = (n: string): string => {
    for (let i = 0; i < 64 && b.alias.has(n); i++) n = b.alias.get(n)!;
    return n;
  };
  for (const node of g.main.nodes) node.inputs = node.inputs.map(resolve);
  g.main.outputs = outputs.map(resolve);
  for (const node of g.main.nodes) {
    for (const i of node.inputs) if (!g.main.tensors.has(i)) throw new ModelFileError(file, `layer "${node.name}" reads "${i}", which no layer of the config produces`);
  }
  checkAcyclic(g, file);
}

function buildModel(b: Build, model: KerasModel, prefix: string, callInputs: string[] | null): string[] {
  const inputLayers = model.layers.filter((l) => l.className === 'InputLayer');
  const modelInputs = model.inputs.length ? model.inputs.map((r) => r.layer) : inputLayers.map((l) => l.name);
  if (model.sequential) return buildSequential(b, model, prefix, callInputs);
  for (const l of inputLayers) {
    const name = `${prefix}${l.name}`;
    const k = modelInputs.indexOf(l.name);
    if (callInputs) b.alias.set(name, callInputs[k >= 0 ? k : 0] ?? name);
    else addInput(b, name, l.config.batch_input_shape ?? l.config.batch_shape, l.config.dtype);
  }
  const defined = new Set(model.layers.map((x) => x.name));
  for (const l of model.layers) {
    if (l.className === 'InputLayer') continue;
    l.calls.forEach((refs, n) => {
      for (const r of refs) if (!defined.has(r.layer)) throw new ModelFileError(b.file, `layer "${l.name}" is called on "${r.layer}", which the config does not define`);
      callLayer(b, l, prefix, n, refs.map((r) => tensorName(prefix, r.layer, r.node, r.tensor)));
    });
  }
  return model.outputs.map((r: TensorRef) => tensorName(prefix, r.layer, r.node, r.tensor));
}

function buildSequential(b: Build, model: KerasModel, prefix: string, callInputs: string[] | null): string[] {
  const layers = model.layers;
  let current: string;
  let start = 0;
  if (layers[0]?.className === 'InputLayer') {
    current = `${prefix}${layers[0].name}`;
    if (callInputs) b.alias.set(current, callInputs[0] ?? current);
    else addInput(b, current, layers[0].config.batch_input_shape ?? layers[0].config.batch_shape, layers[0].config.dtype);
    start = 1;
  } else if (callInputs) {
    current = callInputs[0];
  } else {
    const first = layers[0];
    current = `${prefix}${first ? first.name : model.name}_input`;
    addInput(b, current, first?.config.batch_input_shape ?? first?.config.batch_shape ?? model.buildInputShape ?? obj(first?.config.build_config).input_shape, first?.config.dtype);
  }
  for (let i = start; i < layers.length; i++) current = callLayer(b, layers[i], prefix, 0, [current])[0];
  return [current];
}

/** One call of a layer: a node, or (for a nested model) its flattened layers. Returns its output tensor names. */
function callLayer(b: Build, l: KerasLayer, prefix: string, n: number, inputs: string[]): string[] {
  if (l.inner) {
    const innerPrefix = `${prefix}${l.name}${n ? `#${n}` : ''}/`;
    const outs = buildModel(b, l.inner, innerPrefix, inputs);
    outs.forEach((o, t) => b.alias.set(tensorName(prefix, l.name, n, t), o));
    return outs.map((_, t) => tensorName(prefix, l.name, n, t));
  }
  const outputs = Array.from({ length: outputCount(l) }, (_, t) => b.names.take(tensorName(prefix, l.name, n, t), 'tensor names'));
  const node: GraphNode = {
    name: outputs[0],
    op: l.className,
    inputs: [...inputs, ...(b.weights.get(`${prefix}${l.name}`) ?? [])],
    outputs,
    attrs: {},
  };
  if (b.g.main.nodes.length >= LIMITS.maxNodes) throw new ModelFileError(b.file, `more than ${LIMITS.maxNodes} layer calls`);
  const dt = dtypeName(l.config.dtype);
  for (const o of outputs) {
    if (b.g.main.tensors.has(o)) throw new ModelFileError(b.file, `two layers produce "${o}": the config names a layer twice`);
    const precision = DTYPES[dt] ?? 'fp32';
    b.g.main.tensors.set(o, { name: o, shape: null, dtype: dt, precision, bitsPerElement: BITS[precision] ?? 32, isConstant: false });
  }
  kerasLayers().set(node, l);
  b.g.main.nodes.push(node);
  return outputs;
}

/** Outputs of one call: recurrent layers with return_state give the states too. */
function outputCount(l: KerasLayer): number {
  const rnn = l.wrapped && l.className === 'Bidirectional' ? l.wrapped : l;
  if (rnn.config.return_state !== true) return 1;
  const states = rnn.className === 'LSTM' || rnn.className === 'CuDNNLSTM' ? 2 : 1;
  return 1 + states * (l.className === 'Bidirectional' ? 2 : 1);
}

/** A graph input from a declared batch shape: None dims become symbols ("batch" first, "<input>.dim<i>" after). */
function addInput(b: Build, name: string, declared: Json | undefined, dtype: Json | undefined): void {
  const dt = dtypeName(dtype);
  const precision = DTYPES[dt] ?? 'other';
  let shape: Shape | null = null;
  if (Array.isArray(declared)) {
    if (declared.length > 16) throw new ModelFileError(b.file, `input "${name}" declares ${declared.length} dimensions`);
    shape = declared.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 'batch' : `${name}.dim${i}`));
    let elements = 1;
    for (const d of shape) {
      if (typeof d !== 'number') continue;
      if (!Number.isSafeInteger(d) || d < 0 || d > MAX_DIM) throw new ModelFileError(b.file, `input "${name}" declares dimension ${d}: absurd`);
      elements *= d;
    }
    if (elements > LIMITS.maxTensorElements) throw new ModelFileError(b.file, `input "${name}" declares ${elements} elements (shape [${shape.join(', ')}]): absurd`);
  }
  const t: TensorInfo = { name, shape, dtype: dt, precision, bitsPerElement: BITS[precision] ?? null, isConstant: false };
  b.g.main.tensors.set(name, t);
  b.g.main.inputs.push(name);
}

/** Layer paths of the model ("conv1", "backbone/conv1") → their weight tensors, by the longest path match. */
function indexWeights(model: KerasModel, weightPaths: string[]): Map<string, string[]> {
  const layerPaths = new Set<string>();
  const walk = (m: KerasModel, prefix: string, depth: number): void => {
    if (depth > 16) return;
    for (const l of m.layers) {
      layerPaths.add(`${prefix}${l.name}`);
      if (l.inner) walk(l.inner, `${prefix}${l.name}/`, depth + 1);
    }
  };
  walk(model, '', 0);
  const out = new Map<string, string[]>();
  for (const p of weightPaths) {
    const parts = pathParts(p);
    for (let k = parts.length; k > 0; k--) {
      const key = parts.slice(0, k).join('/');
      if (layerPaths.has(key)) {
        const list = out.get(key) ?? [];
        list.push(p);
        out.set(key, list);
        break;
      }
    }
  }
  return out;
}

/** Keras 3 "layers/a/layers/b/vars/0" → [a, b]; Keras 2 "a/b/kernel:0" stays as is. */
function pathParts(p: string): string[] {
  const parts = p.split('/');
  if (parts[0] !== 'layers' && parts[0] !== '_layer_checkpoint_dependencies') return parts;
  const out: string[] = [];
  for (let i = 0; i + 1 < parts.length && (parts[i] === 'layers' || parts[i] === '_layer_checkpoint_dependencies'); i += 2) out.push(parts[i + 1]);
  return out;
}

/** A cycle among the layer calls is refused, naming layers on it. */
function checkAcyclic(g: ModelGraph, file: string): void {
  const { blocked } = topologicalOrder(g.main);
  if (!blocked.length) return;
  throw new ModelFileError(file, `the Keras config's layers form a cycle (${blocked.slice(0, 4).map((n) => n.name).join(', ')}${blocked.length > 4 ? ' …' : ''}): not a valid model`);
}
