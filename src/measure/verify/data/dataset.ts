/**
 * The user's data folder as samples for a model: which files, which labels and groups, which samples
 * calibrate and which evaluate (disjoint), and turning one sample into input tensors.
 *
 * Layouts (checked in this order):
 * - DIR/samples.csv with a header naming `file` and optionally `label` and `group` columns;
 * - DIR/<input name>/<sample>.npy, a folder per input, for models with several inputs (same file names in each);
 * - DIR/<class>/<file>: ImageFolder, classes in sorted order are labels 0, 1, ...;
 * - DIR/<file>: unlabelled samples.
 * Files are .npy (one sample each) or .png / .jpg images, not mixed. A folder with more files than needed is
 * sampled with a seeded shuffle, and the report says so.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataError, VerifyError } from '../errors';
import { FileInputError, readRegularFile } from '../../../fs-util';
import { parseNpy } from './npy';
import { defaultPreprocess, decodeImage, imageTensor, IMAGE_EXTENSIONS, type ImagePreprocess } from './images';
import { floatToHalfBits } from '../quant-math';
import { seededRandom } from '../../../seeded-random';

export interface ModelInput {
  name: string;
  /** onnxruntime's element type: 'float32', 'int64' ... */
  type: string;
  shape: (number | string)[];
}

export interface SampleRef {
  /** Shown in the report: the file (relative to the data folder), or the sample name for several inputs. */
  id: string;
  /** One absolute path per model input. */
  files: string[];
  label?: number;
  group?: string;
}

export interface DatasetSplit {
  source: 'npy' | 'images';
  calibration: SampleRef[];
  evaluation: SampleRef[];
  /** Data files found in the folder. */
  found: number;
  sampled: boolean;
  labels: 'folders' | 'samples.csv' | null;
  /** Label names by index (ImageFolder classes, or sorted names from samples.csv), when labels are names. */
  classes?: string[];
  preprocess?: ImagePreprocess;
  notes: string[];
}

export interface SplitOptions {
  calibration: number;
  evaluation: number;
  seed: number;
  /** Image preprocessing given by the user (else inferred from the input's shape). */
  preprocess?: Partial<ImagePreprocess>;
}

/** Most files listed in a data folder. */
const MAX_FILES = 2_000_000;

const kindOf = (f: string): 'npy' | 'images' | null => {
  const ext = path.extname(f).toLowerCase();
  return ext === '.npy' ? 'npy' : IMAGE_EXTENSIONS.has(ext) ? 'images' : null;
};

export { seededRandom };

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  const rnd = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function listDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    throw new VerifyError(`${dir}: cannot read the data folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** A CSV line split on commas, with "quoted, fields" and "" escapes. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') out.push(cur.trim()), (cur = '');
    else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Turns label texts into indices: all whole numbers → themselves; otherwise sorted names → 0, 1, ... */
function labelIndices(texts: (string | undefined)[]): { labels: (number | undefined)[]; classes?: string[] } {
  const given = texts.filter((t): t is string => t !== undefined && t !== '');
  if (given.every((t) => /^\d+$/.test(t))) return { labels: texts.map((t) => (t === undefined || t === '' ? undefined : Number(t))) };
  const classes = [...new Set(given)].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return { labels: texts.map((t) => (t === undefined || t === '' ? undefined : index.get(t))), classes };
}

function fromManifest(dir: string, inputs: ModelInput[]): { refs: SampleRef[]; classes?: string[] } {
  const csv = path.join(dir, 'samples.csv');
  const text = readDataFile(csv, 'samples.csv', MAX_MANIFEST_BYTES).toString('utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length > MAX_FILES + 1) throw new DataError('samples.csv', `has more than ${MAX_FILES} rows`);
  const head = csvFields(lines[0] ?? '').map((h) => h.toLowerCase());
  const col = (n: string): number => head.indexOf(n);
  if (col('file') < 0) throw new DataError('samples.csv', `the header must name a "file" column (got "${lines[0] ?? ''}")`);
  const rows = lines.slice(1).map((l, i) => ({ f: csvFields(l), line: i + 2 }));
  const { labels, classes } = labelIndices(rows.map((r) => (col('label') >= 0 ? r.f[col('label')] : undefined)));
  const refs = rows.map((r, i) => {
    const name = r.f[col('file')] ?? '';
    if (!name) throw new DataError('samples.csv', `line ${r.line} has no file`);
    const resolved = inputs.length > 1 ? inputs.map((inp) => path.resolve(dir, folderFor(inp.name), name)) : [path.resolve(dir, name)];
    for (const f of resolved) {
      if (path.relative(dir, f).startsWith('..') || path.isAbsolute(path.relative(dir, f))) throw new DataError('samples.csv', `line ${r.line}: "${name}" is outside the data folder`);
      if (!fs.existsSync(f)) throw new DataError('samples.csv', `line ${r.line}: ${path.relative(dir, f)} does not exist`);
    }
    const group = col('group') >= 0 ? r.f[col('group')] : undefined;
    return { id: name, files: resolved, label: labels[i], group: group || undefined };
  });
  return { refs, classes };
}

/** The folder of an input in the several-inputs layout (path separators in input names become "_"). */
export const folderFor = (input: string): string => input.replace(/[\\/:]/g, '_');

function discover(dir: string, inputs: ModelInput[]): { refs: SampleRef[]; labels: DatasetSplit['labels']; classes?: string[] } {
  if (fs.existsSync(path.join(dir, 'samples.csv'))) {
    const m = fromManifest(dir, inputs);
    return { refs: m.refs, labels: m.refs.some((r) => r.label !== undefined) ? 'samples.csv' : null, classes: m.classes };
  }
  const entries = listDir(dir);
  if (entries.length > MAX_FILES) throw new VerifyError(`${dir}: more than ${MAX_FILES} entries`);
  const files = entries.filter((e) => e.isFile() && kindOf(e.name)).map((e) => e.name);
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  if (inputs.length > 1) {
    const missing = inputs.filter((i) => !dirs.includes(folderFor(i.name)));
    if (missing.length) throw new VerifyError(`${dir}: the model has ${inputs.length} inputs; put each input's .npy files in a folder named after it (missing: ${missing.map((i) => folderFor(i.name)).join(', ')})`);
    const names = listDir(path.join(dir, folderFor(inputs[0].name))).filter((e) => e.isFile() && kindOf(e.name) === 'npy').map((e) => e.name);
    const refs = names.map((n) => {
      const paths = inputs.map((i) => path.join(dir, folderFor(i.name), n));
      const absent = paths.find((p) => !fs.existsSync(p));
      if (absent) throw new DataError(path.relative(dir, absent), `is missing (every input folder needs a file named ${n})`);
      return { id: n, files: paths };
    });
    return { refs, labels: null };
  }
  if (files.length === 0 && dirs.length > 0) {
    const classes = [...dirs];
    const refs: SampleRef[] = [];
    classes.forEach((c, label) => {
      for (const e of listDir(path.join(dir, c))) {
        if (!e.isFile() || !kindOf(e.name)) continue;
        if (refs.length >= MAX_FILES) throw new VerifyError(`${dir}: more than ${MAX_FILES} files`);
        refs.push({ id: `${c}/${e.name}`, files: [path.join(dir, c, e.name)], label });
      }
    });
    return { refs, labels: 'folders', classes };
  }
  return { refs: files.map((f) => ({ id: f, files: [path.join(dir, f)] })), labels: null };
}

/** Finds the samples in `dir` and splits them into disjoint calibration and evaluation sets. */
export function splitDataset(dir: string, inputs: ModelInput[], opts: SplitOptions): DatasetSplit {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new VerifyError(`${dir}: no such data folder`);
  const d = discover(path.resolve(dir), inputs);
  if (d.refs.length === 0) throw new VerifyError(`${dir}: no .npy, .png or .jpg samples found (see edgeplan verify --help for the layouts)`);
  const kinds = new Set(d.refs.flatMap((r) => r.files.map(kindOf)));
  if (kinds.has(null)) throw new VerifyError(`${dir}: samples.csv names files that are neither .npy nor .png / .jpg`);
  if (kinds.size > 1) throw new VerifyError(`${dir}: mixes .npy files and images; use one kind`);
  const source = [...kinds][0] as 'npy' | 'images';
  if (source === 'images' && inputs.length > 1) throw new VerifyError(`${dir}: images can feed single-input models only; this model has ${inputs.length} inputs (use .npy files)`);

  const notes: string[] = [];
  const wanted = opts.calibration + opts.evaluation;
  const order = shuffled(d.refs, opts.seed);
  let calibration: number;
  let evaluation: number;
  if (d.refs.length >= wanted) {
    calibration = opts.calibration;
    evaluation = opts.evaluation;
  } else {
    calibration = opts.calibration === 0 ? 0 : Math.max(1, Math.min(opts.calibration, Math.floor((d.refs.length * opts.calibration) / wanted)));
    evaluation = d.refs.length - calibration;
    if (evaluation < 1) throw new VerifyError(`${dir}: ${d.refs.length} sample(s) are too few to calibrate and evaluate on disjoint samples`);
    notes.push(`only ${d.refs.length} samples: ${calibration} calibrate and ${evaluation} evaluate (asked for ${opts.calibration} and ${opts.evaluation})`);
  }
  const sampled = d.refs.length > calibration + evaluation;
  if (sampled) notes.push(`sampled ${calibration + evaluation} of ${d.refs.length} samples (seeded shuffle, seed ${opts.seed})`);

  let preprocess: ImagePreprocess | undefined;
  if (source === 'images') {
    const inferred = defaultPreprocess(inputs[0].shape);
    const given = opts.preprocess ?? {};
    if (typeof inferred === 'string' && !(given.layout && given.height && given.width && given.channels)) throw new VerifyError(`images cannot feed input "${inputs[0].name}": ${inferred}`);
    preprocess = { ...(typeof inferred === 'string' ? { layout: 'NCHW', height: 0, width: 0, channels: 3, scale: 255, mean: [0], std: [1] } : inferred), ...given } as ImagePreprocess;
    if (inputs[0].type === 'uint8' && opts.preprocess?.scale === undefined) preprocess = { ...preprocess, scale: 1 };
  }
  return {
    source,
    calibration: order.slice(0, calibration),
    evaluation: order.slice(calibration, calibration + evaluation),
    found: d.refs.length,
    sampled,
    labels: d.labels,
    classes: d.classes,
    preprocess,
    notes,
  };
}

export interface InputTensor {
  name: string;
  type: string;
  dims: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array | Int16Array;
}

/** Dims of a sample for an input: its own shape when it fits the input's, or that shape with a batch of 1 added. */
function fitShape(sample: number[], input: ModelInput, file: string): number[] {
  const fits = (s: number[]): boolean => s.length === input.shape.length && s.every((d, i) => typeof input.shape[i] !== 'number' || input.shape[i] === d);
  if (fits(sample)) return sample;
  if (fits([1, ...sample])) return [1, ...sample];
  throw new DataError(file, `has shape [${sample.join(', ')}], the model's input "${input.name}" takes [${input.shape.join(', ')}]`);
}

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], bool: [0, 1],
};

/** Numbers → the typed array onnxruntime takes for `type`; integers must be whole and in range. */
export function toTyped(values: ArrayLike<number>, type: string, file: string, input: string): InputTensor['data'] {
  if (type === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values);
  if (type === 'float64') return Float64Array.from(values);
  if (type === 'float16') return Uint16Array.from(values, (v) => floatToHalfBits(v));
  const range = INT_RANGES[type];
  if (!range) throw new DataError(file, `input "${input}" has type ${type}, which verify cannot feed`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < range[0] || v > range[1]) throw new DataError(file, `value ${v} at index ${i} does not fit input "${input}" of type ${type}`);
  }
  if (type === 'int64') return BigInt64Array.from(Array.from(values), (v) => BigInt(v));
  if (type === 'int32') return Int32Array.from(values);
  if (type === 'int16') return Int16Array.from(values);
  if (type === 'uint16') return Uint16Array.from(values);
  if (type === 'int8') return Int8Array.from(values);
  return Uint8Array.from(values);
}

/** Largest sample file read: one input of one sample (a float32 4096 x 4096 x 3 image is 201 MB). */
const MAX_SAMPLE_BYTES = 256 * 1024 * 1024;
/** Largest samples.csv read (MAX_FILES rows of a long path each fit well within it). */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/**
 * A data file's bytes, refused with its name if it is not a regular file (a FIFO or a device, also behind a symlink,
 * would block or never end) or is larger than `maxBytes`.
 */
function readDataFile(file: string, shown: string, maxBytes: number, alloc?: (size: number) => Buffer): Buffer {
  try {
    return readRegularFile(file, { maxBytes, what: 'data file', alloc });
  } catch (e) {
    if (e instanceof FileInputError) throw new DataError(shown, e.reason);
    throw e;
  }
}

/** True when every file of a sample is a .npy file (read as it is, without decoding). */
export function isNpySample(ref: SampleRef): boolean {
  return ref.files.every((f) => kindOf(f) === 'npy');
}

/**
 * Reads one sample's files into input tensors. `alloc`: where .npy files are read (verify reads them into reused
 * shared memory, shared-input.ts; a float32 sample's tensor is then a view of it); images are decoded into new arrays.
 */
export function loadSample(ref: SampleRef, inputs: ModelInput[], dataDir: string, preprocess?: ImagePreprocess, alloc?: (size: number) => Buffer): InputTensor[] {
  return inputs.map((input, k) => {
    const file = ref.files[k];
    const shown = path.relative(dataDir, file) || path.basename(file);
    const npy = kindOf(file) === 'npy';
    const bytes = readDataFile(file, shown, MAX_SAMPLE_BYTES, npy ? alloc : undefined);
    if (npy) {
      const arr = parseNpy(bytes, shown);
      return { name: input.name, type: input.type, dims: fitShape(arr.shape, input, shown), data: toTyped(arr.values, input.type, shown, input.name) };
    }
    if (input.type !== 'float32' && input.type !== 'uint8') throw new DataError(shown, `images feed float32 or uint8 inputs; "${input.name}" is ${input.type}`);
    const p = preprocess!;
    const values = imageTensor(decodeImage(bytes, shown), p);
    const dims = p.layout === 'NCHW' ? [1, p.channels, p.height, p.width] : [1, p.height, p.width, p.channels];
    return { name: input.name, type: input.type, dims: fitShape(dims, input, shown), data: toTyped(input.type === 'uint8' ? values.map((v) => Math.round(v)) : values, input.type, shown, input.name) };
  });
}

/** Synthetic inputs: uniform [0, 1) for image-shaped float inputs, standard normal for other floats, zeros otherwise. */
export function syntheticSample(inputs: ModelInput[], bindings: Record<string, number>, rnd: () => number): InputTensor[] {
  return inputs.map((input) => {
    const dims = input.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : bindings[String(d)] ?? 1));
    const n = dims.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(n) || n > 256 * 1024 * 1024) throw new VerifyError(`input "${input.name}" would have ${n} elements; bind its symbolic dimensions with --bind`);
    const image = dims.length === 4 && (dims[1] === 1 || dims[1] === 3 || dims[3] === 1 || dims[3] === 3);
    const values = new Float64Array(n);
    if (input.type.startsWith('float')) {
      for (let i = 0; i < n; i++) {
        if (image) values[i] = rnd();
        else {
          const u = Math.max(rnd(), 1e-12);
          values[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
        }
      }
    }
    return { name: input.name, type: input.type, dims, data: toTyped(values, input.type, 'synthetic', input.name) };
  });
}
