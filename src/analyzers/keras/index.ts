/**
 * Keras reader for both containers, told apart by their bytes:
 *  - HDF5 (.h5, Keras 2): root attributes keras_version, backend, model_config (JSON); weights under
 *    model_weights/<layer>/... (or at the root for save_weights files);
 *  - zip (.keras, Keras 3): config.json, metadata.json and model.weights.h5 (layers/<layer>/vars/<i>).
 * Weights are listed as constant tensors with their shape, dtype and stored size (values are never read). The
 * model config (config.ts) becomes a graph of layer calls (graph-build.ts) whose shapes (shapes.ts) and costs
 * (../cost/keras.ts) follow from the declared input shape; the top-level layers are also listed as declaredLayers.
 */
import type { ModelGraph, Precision, Shape, TensorInfo } from '../graph';
import type { FormatReader } from '../reader';
import { LIMITS, ModelFileError } from '../errors';
import { NameBudget } from '../names';
import { looksLikeZip, SliceSource, ZipArchive, withOneLineErrors, type ByteSource } from '../io/zip';
import { HDF5_SIGNATURE, Hdf5File, type H5AttrValue, type H5Dataset } from './hdf5';
import { obj, parseJson, parseModel, type Json } from './config';
import { buildKerasGraph } from './graph-build';
import { inferKerasShapes } from './shapes';
import { kerasCost } from '../cost/keras';
import { recordOf } from '../safe-record';

const DTYPES: Record<string, Precision> = recordOf({
  float16: 'fp16', float32: 'fp32', float64: 'fp64', bfloat16: 'bf16', half: 'fp16', float: 'fp32', double: 'fp64',
  int8: 'int8', int16: 'int16', int32: 'int32', int64: 'int64', uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64',
  bool: 'bool', string: 'string',
});
const BITS: Partial<Record<Precision, number>> = { fp16: 16, fp32: 32, fp64: 64, bf16: 16, int8: 8, int16: 16, int32: 32, int64: 64, uint8: 8, uint16: 16, uint32: 32, uint64: 64, bool: 8 };

export function readKeras(src: ByteSource): ModelGraph {
  return withOneLineErrors(() => readKerasUnsafe(src));
}

function readKerasUnsafe(src: ByteSource): ModelGraph {
  const head = src.read(0, Math.min(8, src.size), 'file header');
  if (looksLikeZip(head)) return readKerasZip(src);
  if (head.length === 8 && head.equals(HDF5_SIGNATURE)) return readKerasH5(src);
  // HDF5 with a user block: the signature sits at 512, 1024, ...
  for (let off = 512; off + 8 <= src.size && off <= 1 << 20; off *= 2) {
    if (src.read(off, 8, 'HDF5 signature').equals(HDF5_SIGNATURE)) return readKerasH5(src);
  }
  throw new ModelFileError(src.file, 'neither a Keras HDF5 file (no HDF5 signature) nor a .keras zip archive');
}

function readKerasH5(src: ByteSource): ModelGraph {
  const h5 = new Hdf5File(src);
  const rootMsgs = h5.messages(h5.rootAddress);
  const rootAttrs = h5.attributes(rootMsgs, '/');
  const top = h5.children(rootMsgs, '/');
  const mw = top.find((c) => c.name === 'model_weights');
  const weightsRoot = mw ? mw.address : h5.rootAddress;
  const tensors = new Map<string, TensorInfo>();
  const layerParams = new Map<string, number>();
  h5.walk(weightsRoot, (ds) => addDataset(ds, ds.path, 0, tensors, layerParams, src.file));
  const extra: Record<string, string | number | boolean> = { container: 'HDF5 (.h5)' };
  const kv = str(rootAttrs.get('keras_version'));
  const backend = str(rootAttrs.get('backend'));
  if (kv) extra.kerasVersion = kv;
  if (backend) extra.backend = backend;
  extra.hasTrainingConfig = rootAttrs.has('training_config');
  extra.hasOptimizerWeights = top.some((c) => c.name === 'optimizer_weights');
  const warnings = [...h5.warnings];
  if (!mw) warnings.push('no model_weights group: weights were read from the file root (a save_weights file)');
  const cfgText = str(rootAttrs.get('model_config'));
  return finish(src, 'keras', cfgText, tensors, layerParams, extra, warnings, kv ? `Keras ${kv}` : 'Keras (HDF5)');
}

function readKerasZip(src: ByteSource): ModelGraph {
  const zip = ZipArchive.open(src);
  const extra: Record<string, string | number | boolean> = { container: '.keras zip' };
  const warnings: string[] = [];
  const readJson = (name: string): Record<string, Json> | null => {
    const e = zip.get(name);
    if (!e) return null;
    const v = parseJson(zip.read(e, LIMITS.maxHeaderBytes).toString('utf8'), src.file, name);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  };
  const meta = readJson('metadata.json');
  if (meta) {
    if (typeof meta.keras_version === 'string') extra.kerasVersion = meta.keras_version;
    if (typeof meta.date_saved === 'string') extra.dateSaved = meta.date_saved;
  }
  const configEntry = zip.get('config.json');
  const cfgText = configEntry ? zip.read(configEntry, LIMITS.maxHeaderBytes).toString('utf8') : undefined;
  if (!configEntry) warnings.push('the archive has no config.json: layers are unknown');
  const tensors = new Map<string, TensorInfo>();
  const layerParams = new Map<string, number>();
  const wEntry = zip.get('model.weights.h5');
  if (wEntry) {
    const inner = zip.open(wEntry);
    const base = inner instanceof SliceSource ? inner.base : null;
    if (base === null) warnings.push('model.weights.h5 is compressed inside the archive: tensor offsets are not given');
    const h5 = new Hdf5File(inner);
    h5.walk(h5.rootAddress, (ds) => {
      const parts = ds.path.split('/');
      if (parts[0] === 'optimizer') {
        extra.hasOptimizerWeights = true;
        return;
      }
      addDataset(ds, ds.path, base, tensors, layerParams, src.file);
    });
    warnings.push(...h5.warnings);
  } else {
    warnings.push('the archive has no model.weights.h5: no weights to count');
  }
  return finish(src, 'keras', cfgText, tensors, layerParams, extra, warnings, extra.kerasVersion ? `Keras ${extra.kerasVersion}` : 'Keras');
}

/** The layer a weight belongs to: h5 "conv2d/conv2d/kernel:0" → conv2d; .keras "layers/dense/vars/0" → dense. */
function layerOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'layers' && parts.length > 1) return parts[1];
  if (parts[0] === '_layer_checkpoint_dependencies' && parts.length > 1) return parts[1];
  return parts[0];
}

function addDataset(ds: H5Dataset, name: string, base: number | null, tensors: Map<string, TensorInfo>, layerParams: Map<string, number>, file: string): void {
  if (tensors.size >= LIMITS.maxTensors) throw new ModelFileError(file, `more than ${LIMITS.maxTensors} weight datasets`);
  const precision: Precision = DTYPES[ds.type.name] ?? ds.type.precision;
  const bits = BITS[precision] ?? (ds.type.size > 0 ? ds.type.size * 8 : null);
  const t: TensorInfo = {
    name,
    shape: ds.shape,
    dtype: ds.type.name,
    precision,
    bitsPerElement: bits,
    isConstant: true,
    elements: ds.elements,
  };
  if (ds.storedBytes !== null) t.storedBytes = ds.storedBytes;
  if (ds.dataOffset !== undefined && base !== null) t.dataOffset = base + ds.dataOffset;
  tensors.set(name, t);
  const layer = layerOf(name);
  layerParams.set(layer, (layerParams.get(layer) ?? 0) + ds.elements);
}

function str(v: H5AttrValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  return undefined;
}

function finish(
  src: ByteSource,
  format: 'keras',
  cfgText: string | undefined,
  tensors: Map<string, TensorInfo>,
  layerParams: Map<string, number>,
  extra: Record<string, string | number | boolean>,
  warnings: string[],
  producer: string,
): ModelGraph {
  const graph: ModelGraph = {
    format,
    file: src.file,
    bytes: src.size,
    main: { id: 'main', name: 'main', nodes: [], tensors, inputs: [], outputs: [] },
    subgraphs: [],
    metadata: { producer, extra },
    compiledSegments: [],
    hasComputeGraph: false,
    warnings,
  };
  extra.weightDatasets = tensors.size;
  if (!cfgText) {
    graph.noComputeReason = 'the file holds weights only (no model config): its layers and their order are unknown, so MACs cannot be known';
    warnings.unshift('no model config in the file (weights only): layers and their order are unknown, and MACs cannot be known');
    return graph;
  }
  const names = new NameBudget(src.file, LIMITS.maxLayerNameBytes);
  const root = parseJson(cfgText, src.file, 'the Keras model config');
  const rootObj = obj(root);
  extra.modelClass = typeof rootObj.class_name === 'string' ? rootObj.class_name : '?';
  const model = parseModel(root, src.file, names);
  const cfgName = obj(rootObj.config).name;
  if (typeof cfgName === 'string') {
    extra.modelName = cfgName;
    graph.main.name = cfgName;
  }
  if (!model) {
    const registered = typeof rootObj.registered_name === 'string' ? ` (${rootObj.registered_name})` : '';
    graph.noComputeReason = `a subclassed Keras model${registered}: its computation is Python code (call()), not in the config, so MACs cannot be known`;
    warnings.unshift(`the config describes a subclassed model${registered} without a layer list: its computation is not in the file`);
    graph.declaredLayers = [];
    extra.layerCount = 0;
    return graph;
  }
  extra.layerCount = model.layers.length;
  const weightsKnown = tensors.size > 0;
  graph.declaredLayers = model.layers.map((l) => {
    const out: NonNullable<ModelGraph['declaredLayers']>[number] = { name: l.name, op: l.className, params: layerParams.get(l.name) ?? (weightsKnown ? 0 : null) };
    if (l.className === 'InputLayer') out.outputShape = declaredShape(l.config.batch_input_shape ?? l.config.batch_shape);
    return out;
  });
  buildKerasGraph(graph, model, [...tensors.keys()], src.file, names);
  graph.hasComputeGraph = graph.main.nodes.length > 0;
  const unmatched = [...layerParams.keys()].filter((k) => !model.layers.some((l) => l.name === k));
  if (unmatched.length && model.layers.length) {
    warnings.push(`${unmatched.length} weight group(s) match no layer of the config (${unmatched.slice(0, 5).join(', ')})`);
  }
  if (extra.hasOptimizerWeights) warnings.push('optimizer state is stored too; it is not counted as model weights');
  return graph;
}

/** A config's batch shape with None as '?'. */
function declaredShape(v: unknown): Shape | null {
  if (!Array.isArray(v)) return null;
  return v.map((d) => (typeof d === 'number' && Number.isSafeInteger(d) && d >= 0 ? d : '?'));
}

export const kerasReader: FormatReader = {
  format: 'keras',
  read: (src) => readKeras(src),
  inferShapes: (graph, bindings) => inferKerasShapes(graph, bindings),
  cost: kerasCost,
};
