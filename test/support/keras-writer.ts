/**
 * Writes Keras models for the tests: one layer list becomes a Keras 2 config (inbound_nodes as
 * [[layer, node, tensor, kwargs]]) or a Keras 3 config ({args, kwargs} with __keras_tensor__ objects), saved as
 * an .h5 file (root attributes keras_version / backend / model_config, weights under model_weights/<layer>/)
 * or a .keras zip (config.json, metadata.json, model.weights.h5 with layers/<layer>/vars/<i>). The HDF5 files are
 * written by Debian's h5py (/usr/bin/python3), an independent writer; TensorFlow is not needed.
 */
import * as fs from 'fs';
import { execFileSync } from 'child_process';
import { makeZip } from './torch-files';

export const PY = '/usr/bin/python3';
export const hasH5py = ((): boolean => {
  try {
    execFileSync(PY, ['-c', 'import h5py, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
export const SKIP_NO_H5PY = hasH5py ? false : `${PY} with h5py is missing (Debian python3-h5py); Keras files written by h5py are not tested`;

export interface KLayer {
  cls: string;
  name: string;
  config?: Record<string, unknown>;
  /** Names of the layers this one is called on (functional models); empty for an InputLayer. */
  inputs?: string[];
  /** Its weights in order, as [name, shape] ("kernel", [3, 3, 3, 8]); a name with "/" is a path under the layer's group (nested models). */
  weights?: [string, number[]][];
}

export interface KModel {
  name: string;
  kind: 'Functional' | 'Sequential';
  layers: KLayer[];
  /** Functional: the input and output layer names. */
  inputs?: string[];
  outputs?: string[];
}

const tensorRef = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [name, 0, 0] } });

/** The model as a Keras 2 (tf.keras) or Keras 3 config object. */
export function kerasConfig(m: KModel, version: 2 | 3): Record<string, unknown> {
  const layers = m.layers.map((l) => {
    const config = { name: l.name, trainable: true, dtype: version === 3 ? { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } } : 'float32', ...(l.config ?? {}) };
    const entry: Record<string, unknown> = { class_name: l.cls, config };
    if (version === 3) Object.assign(entry, { module: 'keras.layers', registered_name: null });
    if (m.kind === 'Functional') {
      entry.name = l.name;
      const ins = l.inputs ?? [];
      entry.inbound_nodes = !ins.length
        ? []
        : version === 2
          ? [ins.map((n) => [n, 0, 0, {}])]
          : [{ args: [ins.length === 1 ? tensorRef(ins[0]) : ins.map(tensorRef)], kwargs: {} }];
    }
    return entry;
  });
  const config: Record<string, unknown> = { name: m.name, layers };
  if (m.kind === 'Functional') {
    config.input_layers = (m.inputs ?? []).map((n) => [n, 0, 0]);
    config.output_layers = (m.outputs ?? []).map((n) => [n, 0, 0]);
  }
  const root: Record<string, unknown> = { class_name: m.kind, config };
  if (version === 3) Object.assign(root, { module: 'keras', registered_name: null });
  return root;
}

const WRITER = String.raw`
import h5py, numpy as np, json, sys
spec = json.load(open(sys.argv[1]))
with h5py.File(spec["file"], "w") as f:
    for k, v in spec["attrs"].items():
        f.attrs[k] = v
    for g in spec["groups"]:
        f.require_group(g)
    for d in spec["datasets"]:
        f.create_dataset(d["path"], data=np.zeros(d["shape"], d.get("dtype", "float32")))
`;

function runH5(spec: { file: string; attrs: Record<string, string>; groups: string[]; datasets: { path: string; shape: number[]; dtype?: string }[] }): void {
  const specFile = `${spec.file}.spec.json`;
  fs.writeFileSync(specFile, JSON.stringify(spec));
  try {
    execFileSync(PY, ['-c', WRITER, specFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    fs.rmSync(specFile, { force: true });
  }
}

/** A Keras 2 .h5 model file: model_config + weights under model_weights/<layer>/<layer>/<weight>:0. */
export function writeKerasH5(file: string, m: KModel, opts: { config?: Record<string, unknown> | string } = {}): string {
  const datasets: { path: string; shape: number[] }[] = [];
  for (const l of m.layers) for (const [w, shape] of l.weights ?? []) datasets.push({ path: `model_weights/${l.name}/${w.includes('/') ? w : `${l.name}/${w}`}:0`, shape });
  const config = opts.config ?? kerasConfig(m, 2);
  runH5({
    file,
    attrs: { keras_version: '2.15.0', backend: 'tensorflow', model_config: typeof config === 'string' ? config : JSON.stringify(config) },
    groups: m.layers.map((l) => `model_weights/${l.name}`),
    datasets,
  });
  return file;
}

/** A Keras 3 .keras zip: config.json, metadata.json and model.weights.h5 (layers/<layer>/vars/<i>). */
export function writeKerasZip(file: string, m: KModel, opts: { config?: Record<string, unknown> | string; deflate?: boolean } = {}): string {
  const h5 = `${file}.weights.h5`;
  const datasets: { path: string; shape: number[] }[] = [];
  for (const l of m.layers) (l.weights ?? []).forEach(([, shape], i) => datasets.push({ path: `layers/${l.name}/vars/${i}`, shape }));
  runH5({ file: h5, attrs: {}, groups: m.layers.map((l) => `layers/${l.name}/vars`), datasets });
  const config = opts.config ?? kerasConfig(m, 3);
  const zip = makeZip([
    { name: 'metadata.json', data: Buffer.from(JSON.stringify({ keras_version: '3.5.0', date_saved: '2025-01-01@00:00:00' })), deflate: opts.deflate },
    { name: 'config.json', data: Buffer.from(typeof config === 'string' ? config : JSON.stringify(config)), deflate: opts.deflate },
    { name: 'model.weights.h5', data: fs.readFileSync(h5), deflate: opts.deflate },
  ]);
  fs.rmSync(h5, { force: true });
  fs.writeFileSync(file, zip);
  return file;
}

/** Total elements of a model's weights, as the spec lists them. */
export function weightElements(m: KModel): number {
  return m.layers.reduce((a, l) => a + (l.weights ?? []).reduce((b, [, s]) => b + s.reduce((x, y) => x * y, 1), 0), 0);
}
