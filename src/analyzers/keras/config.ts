/**
 * The Keras model config (the JSON in an .h5 file's model_config attribute, or a .keras archive's
 * config.json), normalised across versions: Sequential and Functional models, Keras 2 inbound nodes
 * ([[layer, node, tensor, kwargs], ...] per call) and Keras 3 ones ({args, kwargs} holding
 * __keras_tensor__ objects with a keras_history), nested models used as layers, wrapper layers
 * (TimeDistributed, Bidirectional) with their inner layer. Everything read from the file lives in
 * prototype-free objects and every count is bounded.
 */
import { LIMITS, ModelFileError } from '../errors';
import { shortName, type NameBudget } from '../names';
import { parseFileJson } from '../json-guard';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A reference to one output of one call of a layer. */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

export interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, Json>;
  /** One entry per call of the layer: the tensors it was called on (args first, then tensor kwargs). */
  calls: TensorRef[][];
  /** A model used as a layer. */
  inner?: KerasModel;
  /** The layer a wrapper (TimeDistributed, Bidirectional) wraps. */
  wrapped?: KerasLayer;
}

export interface KerasModel {
  className: string;
  name: string;
  sequential: boolean;
  layers: KerasLayer[];
  inputs: TensorRef[];
  outputs: TensorRef[];
  /** Sequential models without an InputLayer: the input shape from the first layer or the build config. */
  buildInputShape?: Json;
}

const MAX_DEPTH = 16;
const MAX_REFS_PER_CALL = 100_000;

export function obj(v: unknown): Record<string, Json> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, Json>) : Object.create(null);
}

/**
 * JSON from the file, parsed by json-guard (hostile long keys refused before parsing) into objects without a
 * prototype, so keys such as "__proto__" or "constructor" are plain data. A key twice in the top-level object is
 * refused: JSON.parse would silently keep the last one (two "config"s: which model is it?).
 */
export function parseJson(text: string, file: string, what: string): Json {
  const fail = (reason: string): never => {
    throw new ModelFileError(file, `${what}: ${reason}`);
  };
  const parsed = parseFileJson(text, fail, { prototypeFree: true });
  if (parsed.duplicateKeys.length) fail(`the key "${shortName(parsed.duplicateKeys[0])}" appears more than once in the top-level object: corrupted`);
  return parsed.value as Json;
}

const MODEL_CLASSES = new Set(['Functional', 'Model', 'Sequential']);

/** Parses a model config (already JSON-decoded). Returns null for a model without a layer list (a subclassed model). */
export function parseModel(root: Json, file: string, names: NameBudget, depth = 0): KerasModel | null {
  if (depth > MAX_DEPTH) throw new ModelFileError(file, `Keras models nest deeper than ${MAX_DEPTH} levels`);
  const r = obj(root);
  const className = typeof r.class_name === 'string' ? r.class_name : '?';
  const cfgRaw = r.config;
  // Very old Sequential configs are a bare list of layers.
  const cfg = obj(cfgRaw);
  const rawLayers = Array.isArray(cfgRaw) ? cfgRaw : Array.isArray(cfg.layers) ? cfg.layers : null;
  if (!rawLayers) return null;
  if (rawLayers.length > LIMITS.maxNodes) throw new ModelFileError(file, `the Keras config lists ${rawLayers.length} layers: refusing`);
  const sequential = className === 'Sequential' || (!Array.isArray(cfg.input_layers) && !rawLayers.some((l) => Array.isArray(obj(l).inbound_nodes) && (obj(l).inbound_nodes as Json[]).length > 0));
  const layers = rawLayers.map((l, i) => parseLayer(l, i, file, names, depth));
  const model: KerasModel = {
    className,
    name: names.take(typeof cfg.name === 'string' ? cfg.name : typeof r.name === 'string' ? r.name : 'model', 'model names'),
    sequential,
    layers,
    inputs: refList(cfg.input_layers),
    outputs: refList(cfg.output_layers),
  };
  const build = obj(r.build_config).input_shape ?? cfg.build_input_shape;
  if (build !== undefined) model.buildInputShape = build;
  return model;
}

function parseLayer(l: Json, index: number, file: string, names: NameBudget, depth: number): KerasLayer {
  const lo = obj(l);
  const config = obj(lo.config);
  const name = names.take(typeof config.name === 'string' ? config.name : typeof lo.name === 'string' ? lo.name : `layer_${index}`, 'layer names');
  const className = typeof lo.class_name === 'string' ? lo.class_name : '?';
  const layer: KerasLayer = { name, className, config, calls: parseCalls(lo.inbound_nodes, file, name) };
  if (MODEL_CLASSES.has(className)) {
    const inner = parseModel(l, file, names, depth + 1);
    if (inner) layer.inner = inner;
  }
  const wrapped = obj(config.layer);
  if (typeof wrapped.class_name === 'string') layer.wrapped = parseLayer(wrapped, 0, file, names, depth + 1);
  return layer;
}

/** [[name, node, tensor], ...] or, for one tensor in Keras 3, [name, node, tensor]. */
function refList(v: Json | undefined): TensorRef[] {
  if (!Array.isArray(v)) return [];
  const list = v.length && typeof v[0] === 'string' ? [v] : v;
  const out: TensorRef[] = [];
  for (const o of list) {
    if (Array.isArray(o) && typeof o[0] === 'string') out.push({ layer: o[0], node: num(o[1]), tensor: num(o[2]) });
  }
  return out;
}

const num = (v: Json | undefined): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);

/** Inbound nodes of either Keras version → the tensors each call consumed, in order. */
function parseCalls(v: Json | undefined, file: string, layer: string): TensorRef[][] {
  if (!Array.isArray(v)) return [];
  return v.map((call) => {
    const refs: TensorRef[] = [];
    const push = (r: TensorRef): void => {
      if (refs.length >= MAX_REFS_PER_CALL) throw new ModelFileError(file, `layer "${layer}" is called on more than ${MAX_REFS_PER_CALL} tensors`);
      refs.push(r);
    };
    if (Array.isArray(call)) {
      // Keras 2: [[name, node, tensor, kwargs], ...]
      for (const r of call) if (Array.isArray(r) && typeof r[0] === 'string') push({ layer: r[0], node: num(r[1]), tensor: num(r[2]) });
    } else {
      // Keras 3: { args: [...], kwargs: {...} } with __keras_tensor__ leaves.
      const c = obj(call);
      collectTensors(c.args, push, 0);
      collectTensors(c.kwargs, push, 0);
    }
    return refs;
  });
}

function collectTensors(v: Json | undefined, push: (r: TensorRef) => void, depth: number): void {
  if (v === null || v === undefined || depth > 32) return;
  if (Array.isArray(v)) {
    for (const x of v) collectTensors(x, push, depth + 1);
    return;
  }
  if (typeof v !== 'object') return;
  if (v.class_name === '__keras_tensor__') {
    const h = obj(v.config).keras_history;
    if (Array.isArray(h) && typeof h[0] === 'string') push({ layer: h[0], node: num(h[1]), tensor: num(h[2]) });
    return;
  }
  for (const k of Object.keys(v)) collectTensors(v[k], push, depth + 1);
}
