/**
 * PyTorch reader for zip-based files: torch.save checkpoints (PyTorch >= 1.6) and TorchScript archives.
 * The pickles (data.pkl, constants.pkl) are scanned, never unpickled (see pickle.ts); tensor names come from
 * the object tree, shapes and dtypes from the rebuild calls, storage sizes from the zip central directory.
 * Weight entries (data/0, data/1 ...) are never read. TorchScript code files are read as text only to learn
 * which attributes are parameters and which are buffers; they are never run.
 */
import type { ModelGraph, Precision, TensorInfo } from '../graph';
import type { FormatReader } from '../reader';
import { LIMITS, ModelFileError } from '../errors';
import { ZipArchive, withOneLineErrors, type ByteSource, type ZipEntry } from '../io/zip';
import { NameBudget } from '../names';
import { own } from '../safe-record';
import { PDict, PGlobal, PickleError, PList, PObject, PStorage, PTensor, PTuple, scanPickle, type PickleResult, type PValue } from './pickle';

/** torch storage class → dtype name (torch's own, without "torch."), precision and bits per element. */
export const TORCH_STORAGE_TYPES: Record<string, { dtype: string; precision: Precision; bits: number }> = {
  DoubleStorage: { dtype: 'float64', precision: 'fp64', bits: 64 },
  FloatStorage: { dtype: 'float32', precision: 'fp32', bits: 32 },
  HalfStorage: { dtype: 'float16', precision: 'fp16', bits: 16 },
  BFloat16Storage: { dtype: 'bfloat16', precision: 'bf16', bits: 16 },
  Float8_e4m3fnStorage: { dtype: 'float8_e4m3fn', precision: 'fp8', bits: 8 },
  Float8_e5m2Storage: { dtype: 'float8_e5m2', precision: 'fp8', bits: 8 },
  LongStorage: { dtype: 'int64', precision: 'int64', bits: 64 },
  IntStorage: { dtype: 'int32', precision: 'int32', bits: 32 },
  ShortStorage: { dtype: 'int16', precision: 'int16', bits: 16 },
  CharStorage: { dtype: 'int8', precision: 'int8', bits: 8 },
  ByteStorage: { dtype: 'uint8', precision: 'uint8', bits: 8 },
  UInt16Storage: { dtype: 'uint16', precision: 'uint16', bits: 16 },
  UInt32Storage: { dtype: 'uint32', precision: 'uint32', bits: 32 },
  UInt64Storage: { dtype: 'uint64', precision: 'uint64', bits: 64 },
  BoolStorage: { dtype: 'bool', precision: 'bool', bits: 8 },
  ComplexFloatStorage: { dtype: 'complex64', precision: 'complex64', bits: 64 },
  ComplexDoubleStorage: { dtype: 'complex128', precision: 'complex128', bits: 128 },
  QInt8Storage: { dtype: 'qint8', precision: 'int8', bits: 8 },
  QUInt8Storage: { dtype: 'quint8', precision: 'uint8', bits: 8 },
  QInt32Storage: { dtype: 'qint32', precision: 'int32', bits: 32 },
  QUInt4x2Storage: { dtype: 'quint4x2', precision: 'uint4', bits: 4 },
  QUInt2x4Storage: { dtype: 'quint2x4', precision: 'other', bits: 2 },
  UntypedStorage: { dtype: 'uint8', precision: 'uint8', bits: 8 },
};

type Role = 'parameter' | 'buffer' | 'tensor' | 'constant';

interface FoundTensor {
  name: string;
  t: PTensor;
  role: Role;
  folder: 'data' | 'constants';
}

interface ModuleRecord {
  path: string;
  className: string;
  hasChildModules: boolean;
  ownTensors: FoundTensor[];
}

interface ClassInfo {
  isModule: boolean;
  parameters: Set<string>;
  buffers: Set<string>;
  forward?: string;
}

const MAX_WALK_DEPTH = 256;

export function readPytorch(src: ByteSource): ModelGraph {
  return withOneLineErrors(() => readPytorchUnsafe(src));
}

function readPytorchUnsafe(src: ByteSource): ModelGraph {
  const file = src.file;
  const fail: (reason: string) => never = (reason) => {
    throw new ModelFileError(file, reason);
  };
  const zip = ZipArchive.open(src);
  const pkls = zip.entries.filter((e) => /(^|\/)data\.pkl$/.test(e.name));
  if (pkls.length === 0) fail('a zip archive without data.pkl: not a PyTorch file (torch.save >= 1.6 or TorchScript)');
  pkls.sort((a, b) => a.name.split('/').length - b.name.split('/').length || a.name.length - b.name.length);
  const dataPkl = pkls[0];
  const root = dataPkl.name.slice(0, dataPkl.name.length - 'data.pkl'.length);
  const isTorchScript = zip.entries.some((e) => e.name.startsWith(`${root}code/`)) || !!zip.get(`${root}constants.pkl`);
  const warnings: string[] = [];

  const scan = (entry: ZipEntry, folder: 'data' | 'constants'): PickleResult => {
    const bytes = zip.read(entry, LIMITS.maxHeaderBytes);
    try {
      return scanPickle(bytes, (pid) => persistentStorage(pid, folder));
    } catch (e) {
      if (e instanceof PickleError) fail(`${entry.name}: ${e.message}`);
      throw e;
    }
  };
  const persistentStorage = (pid: PValue, folder: string): PValue => {
    const items = pid instanceof PTuple ? pid.items : null;
    if (!items || items[0] !== 'storage') {
      warnings.push(`${folder}: a persistent reference that is not a storage (${describe(pid)}) was ignored`);
      return null;
    }
    const [, type, key, location, numel] = items;
    const typeName = type instanceof PGlobal ? type.name : typeof type === 'string' ? type : '?';
    return new PStorage(typeName, String(key), typeof location === 'string' ? location : '?', typeof numel === 'number' ? numel : Number(numel));
  };

  const main = scan(dataPkl, 'data');
  const constantsEntry = zip.get(`${root}constants.pkl`);
  const constants = constantsEntry ? scan(constantsEntry, 'constants') : null;

  // TorchScript class definitions (text) tell parameters from buffers.
  const classCache = new Map<string, ClassInfo | null>();
  const codeCache = new Map<string, string | null>();
  const classInfo = (g: PGlobal): ClassInfo | null => {
    if (!isTorchScript || !g.module.startsWith('__torch__')) return null;
    const full = g.full;
    if (classCache.has(full)) return classCache.get(full)!;
    const path = `${root}code/${g.module.replace(/\./g, '/')}.py`;
    if (!codeCache.has(path)) {
      const e = zip.get(path);
      let text: string | null = null;
      if (e && e.uncompressedSize <= 16 * 1024 * 1024) {
        try {
          text = zip.read(e, 16 * 1024 * 1024).toString('utf8');
        } catch (err) {
          if (!(err instanceof ModelFileError)) throw err;
          warnings.push(`TorchScript code ${path} could not be read: ${err.reason}`);
        }
      }
      codeCache.set(path, text);
    }
    const info = parseClass(codeCache.get(path) ?? null, g.name);
    classCache.set(full, info);
    return info;
  };

  const found: FoundTensor[] = [];
  const names = new NameBudget(file);
  const seen = new Map<PTensor, string>();
  const visited = new Set<object>();
  const modules: ModuleRecord[] = [];
  let aliases = 0;
  let depthWarned = false;
  const join = (a: string, b: string | number): string => (a ? `${a}.${b}` : String(b));

  const walk = (v: PValue | undefined, path: string, role: Role, folder: 'data' | 'constants', depth: number, owner: ModuleRecord | null): void => {
    if (v === null || v === undefined || typeof v !== 'object') return;
    if (depth > MAX_WALK_DEPTH) {
      if (!depthWarned) warnings.push(`the pickle nests objects deeper than ${MAX_WALK_DEPTH} levels; deeper tensors were not listed`);
      depthWarned = true;
      return;
    }
    if (v instanceof PTensor) {
      if (seen.has(v)) {
        aliases++;
        return;
      }
      // Paths join dict keys from the pickle: counted against the file's name budget, shortened when absurd.
      const name = names.name(path || `tensor_${found.length}`, 'tensor path');
      seen.set(v, name);
      const ft: FoundTensor = { name, t: v, role: v.isParameter && role === 'tensor' ? 'parameter' : role, folder };
      found.push(ft);
      owner?.ownTensors.push(ft);
      return;
    }
    if (visited.has(v)) return;
    visited.add(v);
    if (v instanceof PDict) {
      for (const [k, val] of v.entries) walk(val, join(path, typeof k === 'string' || typeof k === 'number' ? k : describe(k)), role, folder, depth + 1, owner);
    } else if (v instanceof PList || v instanceof PTuple) {
      v.items.forEach((val, i) => walk(val, join(path, i), role, folder, depth + 1, owner));
    } else if (v instanceof PObject) {
      const cls = v.cls instanceof PGlobal ? v.cls : null;
      const ts = cls ? classInfo(cls) : null;
      const state = v.state instanceof PDict ? v.state : null;
      const isPyModule = !!state && (state.get('_modules') !== undefined || state.get('_parameters') !== undefined);
      if (ts || isPyModule) {
        const rec: ModuleRecord = { path, className: cls ? stripMangle(cls.name) : '?', hasChildModules: false, ownTensors: [] };
        if ((ts && ts.isModule) || isPyModule) {
          modules.push(rec);
          if (owner) owner.hasChildModules = true;
        }
        const me = (ts && ts.isModule) || isPyModule ? rec : owner;
        if (state) {
          for (const [k, val] of state.entries) {
            const key = typeof k === 'string' ? k : String(k);
            if (isPyModule && (key === '_parameters' || key === '_buffers' || key === '_modules') && val instanceof PDict) {
              const r: Role = key === '_parameters' ? 'parameter' : key === '_buffers' ? 'buffer' : 'tensor';
              for (const [ck, cv] of val.entries) walk(cv, join(path, String(ck)), r, folder, depth + 2, me);
              continue;
            }
            const r: Role = ts?.parameters.has(key) ? 'parameter' : ts?.buffers.has(key) ? 'buffer' : 'tensor';
            walk(val, join(path, key), r, folder, depth + 1, me);
          }
        } else {
          walk(v.state, path, role, folder, depth + 1, me);
        }
      } else {
        walk(v.state, path, role, folder, depth + 1, owner);
        v.args.forEach((a, i) => walk(a, v.args.length === 1 ? path : join(path, i), role, folder, depth + 1, owner));
      }
    }
  };
  walk(main.value, '', 'tensor', 'data', 0, null);
  if (constants) walk(constants.value, 'constants', 'constant', 'constants', 0, null);

  // Tensors: dtype from the storage type, sizes checked against the storage entry in the central directory.
  const tensors = new Map<string, TensorInfo>();
  const counts = { parameter: [0, 0], buffer: [0, 0], tensor: [0, 0], constant: [0, 0] } as Record<Role, [number, number]>;
  for (const f of found) {
    const st = f.t.storage;
    const known = own(TORCH_STORAGE_TYPES, st.storageType);
    if (!known) warnings.push(`tensor "${f.name}" uses storage type ${st.storageType}, unknown to this reader`);
    const bits = known?.bits ?? 8;
    let elements = 1;
    for (const d of f.t.size) {
      if (!Number.isSafeInteger(d) || d < 0) fail(`tensor "${f.name}" has an invalid size [${f.t.size.join(', ')}]`);
      elements *= d;
      if (elements > LIMITS.maxTensorElements) fail(`tensor "${f.name}" has an absurd size [${f.t.size.join(', ')}]`);
    }
    if (!Number.isSafeInteger(f.t.offset) || f.t.offset < 0) fail(`tensor "${f.name}" has an invalid storage offset ${f.t.offset}`);
    const entryName = `${root}${f.folder}/${st.key}`;
    const entry = zip.get(entryName);
    if (!entry) fail(`storage ${f.folder}/${st.key} used by tensor "${f.name}" is missing from the archive`);
    let extent = 0;
    if (elements > 0) {
      extent = 1;
      const stride = f.t.stride.length === f.t.size.length ? f.t.stride : contiguousStride(f.t.size);
      for (let i = 0; i < f.t.size.length; i++) {
        if (!Number.isSafeInteger(stride[i]) || stride[i] < 0) fail(`tensor "${f.name}" has an invalid stride [${stride.join(', ')}]`);
        extent += (f.t.size[i] - 1) * stride[i];
      }
    }
    const needBytes = Math.ceil(((f.t.offset + extent) * bits) / 8);
    if (elements > 0 && needBytes > entry.uncompressedSize) {
      fail(`tensor "${f.name}" (${known?.dtype ?? st.storageType} [${f.t.size.join(', ')}]) needs ${needBytes} bytes but its storage ${f.folder}/${st.key} holds ${entry.uncompressedSize}`);
    }
    const storedBytes = Math.ceil((elements * bits) / 8);
    const info: TensorInfo = {
      name: f.name,
      shape: [...f.t.size],
      dtype: known?.dtype ?? st.storageType,
      precision: known?.precision ?? 'other',
      bitsPerElement: known ? bits : null,
      isConstant: true,
      elements,
      storedBytes,
    };
    if (entry.method === 0 && elements > 0) info.dataOffset = zip.dataOffset(entry) + Math.floor((f.t.offset * bits) / 8);
    if (f.t.quant) info.quant = { ...f.t.quant };
    let name = f.name;
    for (let k = 2; tensors.has(name); k++) name = `${f.name}#${k}`;
    info.name = name;
    tensors.set(name, info);
    counts[f.role][0]++;
    counts[f.role][1] += elements;
  }
  if (aliases) warnings.push(`${aliases} tensor reference(s) repeat a tensor already listed (tied or shared weights); each tensor is counted once`);

  // Safety: report what the pickles name, never run it.
  const allDangerous = [...main.dangerous, ...(constants?.dangerous ?? [])];
  const allUnknown = [...new Set([...main.unknown, ...(constants?.unknown ?? [])])];
  if (allUnknown.length) {
    warnings.push(`the pickle names ${allUnknown.length} global(s) this reader does not interpret (${allUnknown.slice(0, 5).join(', ')}${allUnknown.length > 5 ? ', …' : ''}); they were not executed`);
  }

  // Facts worth showing.
  const storageEntries = zip.entries.filter((e) => e.name.startsWith(`${root}data/`));
  const versionEntry = zip.get(`${root}version`) ?? zip.get(`${root}.data/version`);
  const byteorderEntry = zip.get(`${root}byteorder`);
  const smallText = (e: ZipEntry | undefined): string | undefined => {
    if (!e || e.uncompressedSize > 64) return undefined;
    try {
      return zip.read(e, 64).toString('utf8').trim();
    } catch {
      return undefined;
    }
  };
  const byteorder = smallText(byteorderEntry);
  if (byteorder && byteorder !== 'little') warnings.push(`tensor data is stored ${byteorder}-endian`);
  const top = main.value;
  const extra: Record<string, string | number | boolean> = {
    kind: isTorchScript ? 'TorchScript' : top instanceof PObject && modules.length ? 'torch.save (pickled nn.Module)' : 'torch.save (state_dict or tensors)',
    archiveRoot: root.replace(/\/$/, ''),
    zipEntries: zip.entries.length,
    storageEntries: storageEntries.length,
    storageBytes: storageEntries.reduce((s, e) => s + e.uncompressedSize, 0),
    tensorCount: tensors.size,
    parameterTensors: counts.parameter[0],
    parameterElements: counts.parameter[1],
    bufferTensors: counts.buffer[0],
    bufferElements: counts.buffer[1],
    pickleProtocol: main.protocol,
  };
  if (!isTorchScript && !modules.length) {
    // A state_dict (or a dict of tensors) does not tell parameters from buffers: every tensor counts as a weight.
    extra.parameterTensors = counts.tensor[0] + counts.parameter[0];
    extra.parameterElements = counts.tensor[1] + counts.parameter[1];
  } else if (counts.tensor[0]) {
    extra.otherTensors = counts.tensor[0];
    extra.otherTensorElements = counts.tensor[1];
  }
  if (counts.constant[0]) {
    extra.constantTensors = counts.constant[0];
    extra.constantElements = counts.constant[1];
  }
  const version = smallText(versionEntry);
  if (version) extra.archiveVersion = version;
  if (allDangerous.length) extra.dangerousGlobals = allDangerous.join(', ');
  extra.topObject = top instanceof PDict ? 'dict' : top instanceof PObject && top.cls instanceof PGlobal ? top.cls.full : describe(top);
  if (isTorchScript && top instanceof PObject && top.cls instanceof PGlobal) {
    extra.topModuleType = stripMangle(top.cls.name);
    const info = classInfo(top.cls);
    if (info?.forward) extra.forwardSignature = info.forward;
  }
  if (modules.length) extra.submodules = modules.filter((m) => m.path !== '').length;

  let declaredLayers: ModelGraph['declaredLayers'];
  const leaves = modules.filter((m) => !m.hasChildModules && m.path !== '');
  if (leaves.length) {
    declaredLayers = leaves.slice(0, LIMITS.maxNodes).map((m) => ({
      name: names.name(m.path, 'module path'),
      op: m.className,
      params: m.ownTensors.filter((t) => t.role === 'parameter' || t.role === 'buffer').reduce((s, t) => s + t.t.size.reduce((a, b) => a * b, 1), 0),
    }));
  }

  const shortened = names.note();
  if (shortened) warnings.push(shortened);
  if (isTorchScript) {
    warnings.unshift('TorchScript code is not interpreted (never executed): layers are listed from the module tree, but MACs and activation shapes cannot be known from this file');
  } else if (modules.length) {
    warnings.unshift('a pickled nn.Module stores weights and the module tree, not the computation: MACs and activation shapes cannot be known from this file');
  } else {
    warnings.unshift('MACs of a bare state_dict cannot be known: the file stores weights, not the computation');
    if (found.length) warnings.push('a state_dict does not tell trainable parameters from buffers (e.g. BatchNorm running statistics): all stored tensors are counted as weights');
  }
  if (counts.buffer[0]) {
    warnings.push(`${counts.buffer[0]} buffer tensor(s) (${counts.buffer[1]} elements, e.g. running statistics or fixed filters) are counted with the weights; parameters alone: ${counts.parameter[1]} elements in ${counts.parameter[0]} tensors`);
  }

  // A pickle that names a function which runs code on load is hostile: refuse it (it was only scanned, never run).
  if (allDangerous.length) {
    throw new ModelFileError(
      file,
      `refused: the pickle names ${allDangerous.join(', ')}, which would run code if the file were loaded with torch.load/pickle (nothing was executed here); treat the file as hostile`,
    );
  }

  const graph: ModelGraph = {
    format: 'pytorch',
    file,
    bytes: src.size,
    main: { id: 'main', name: extra.topModuleType ? String(extra.topModuleType) : 'main', nodes: [], tensors, inputs: [], outputs: [] },
    subgraphs: [],
    metadata: { producer: isTorchScript ? 'TorchScript' : 'torch.save', extra },
    compiledSegments: [],
    hasComputeGraph: false,
    warnings,
  };
  if (version && /^\d+$/.test(version)) graph.metadata.formatVersion = Number(version);
  if (declaredLayers) graph.declaredLayers = declaredLayers;
  return graph;
}

function contiguousStride(size: number[]): number[] {
  const out = new Array<number>(size.length);
  let s = 1;
  for (let i = size.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= size[i];
  }
  return out;
}

/** "___torch_mangle_13" suffixes belong to module paths, but a class name may carry one too. */
function stripMangle(name: string): string {
  return name.replace(/___torch_mangle_\d+\.?/g, '');
}

function describe(v: PValue | undefined): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v !== 'object') return String(v);
  if (v instanceof PGlobal) return v.full;
  if (v instanceof PObject) return v.cls instanceof PGlobal ? `${v.cls.full}(...)` : 'object';
  return v.kind;
}

/** Finds `class <name>(<base>):` in TorchScript code and reads its __parameters__ / __buffers__ lists. */
function parseClass(code: string | null, name: string): ClassInfo | null {
  if (!code) return null;
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^class ${esc}\\(([\\w.]+)\\):`, 'm').exec(code);
  if (!m) return null;
  const rest = code.slice(m.index + m[0].length);
  const next = /^class /m.exec(rest);
  const body = next ? rest.slice(0, next.index) : rest;
  const list = (key: string): Set<string> => {
    const lm = new RegExp(`^\\s*${key}\\s*=\\s*\\[([^\\]]*)\\]`, 'm').exec(body);
    const out = new Set<string>();
    if (lm) for (const q of lm[1].matchAll(/"([^"]*)"|'([^']*)'/g)) out.add(q[1] ?? q[2]);
    return out;
  };
  const info: ClassInfo = { isModule: m[1] === 'Module', parameters: list('__parameters__'), buffers: list('__buffers__') };
  const fm = /def forward\(([\s\S]*?)\)\s*(?:->\s*([^\n]*?))?:\s*\n/.exec(body);
  if (fm) {
    const args = fm[1]
      .replace(/\s+/g, ' ')
      .replace(/^\s*self\s*(:[^,]*)?,?\s*/, '')
      .trim();
    info.forward = `forward(${args})${fm[2] ? ` -> ${fm[2].trim()}` : ''}`;
  }
  return info;
}

export const pytorchReader: FormatReader = {
  format: 'pytorch',
  read: (src) => readPytorch(src),
};
