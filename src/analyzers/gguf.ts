/**
 * GGUF reader (llama.cpp / ggml): magic "GGUF", version, tensor and key/value counts, the key/value
 * metadata, then one info record per tensor (name, dims, ggml type, offset in the data section), then the
 * data section at the next multiple of general.alignment (default 32). Only the header is read.
 *
 * Shapes keep GGUF's own dimension order (ne[0] first, the contiguous dimension), as gguf tools print them.
 * Vocab-only files (tokenizer, no tensors) may end before the aligned data offset; that is not an error.
 */
import type { ModelGraph, Precision, TensorInfo } from './graph';
import type { FormatReader } from './reader';
import { withOneLineErrors, type ByteSource } from './io/zip';
import { LIMITS, ModelFileError } from './errors';
import { NameBudget } from './names';
import { emptyRecord, recordOf } from './safe-record';

export interface GgmlType {
  name: string;
  /** Elements per block and bytes per block: bits per element = 8 * typeSize / blockSize. */
  blockSize: number;
  typeSize: number;
  precision: Precision;
}

/**
 * ggml tensor types by id (ggml.h enum ggml_type) with block layouts from the block_* structs.
 * Precision of block types is the smallest standard integer width that holds their quantised values
 * (Q2/IQ1/IQ2/TQ → int2, Q3/Q4/IQ3/IQ4/MXFP4 → int4, Q5/Q6/Q8 → int8); bitsPerElement carries the real cost.
 */
export const GGML_TYPES: Record<number, GgmlType> = {
  0: { name: 'F32', blockSize: 1, typeSize: 4, precision: 'fp32' },
  1: { name: 'F16', blockSize: 1, typeSize: 2, precision: 'fp16' },
  2: { name: 'Q4_0', blockSize: 32, typeSize: 18, precision: 'int4' },
  3: { name: 'Q4_1', blockSize: 32, typeSize: 20, precision: 'int4' },
  6: { name: 'Q5_0', blockSize: 32, typeSize: 22, precision: 'int8' },
  7: { name: 'Q5_1', blockSize: 32, typeSize: 24, precision: 'int8' },
  8: { name: 'Q8_0', blockSize: 32, typeSize: 34, precision: 'int8' },
  9: { name: 'Q8_1', blockSize: 32, typeSize: 36, precision: 'int8' },
  10: { name: 'Q2_K', blockSize: 256, typeSize: 84, precision: 'int2' },
  11: { name: 'Q3_K', blockSize: 256, typeSize: 110, precision: 'int4' },
  12: { name: 'Q4_K', blockSize: 256, typeSize: 144, precision: 'int4' },
  13: { name: 'Q5_K', blockSize: 256, typeSize: 176, precision: 'int8' },
  14: { name: 'Q6_K', blockSize: 256, typeSize: 210, precision: 'int8' },
  15: { name: 'Q8_K', blockSize: 256, typeSize: 292, precision: 'int8' },
  16: { name: 'IQ2_XXS', blockSize: 256, typeSize: 66, precision: 'int2' },
  17: { name: 'IQ2_XS', blockSize: 256, typeSize: 74, precision: 'int2' },
  18: { name: 'IQ3_XXS', blockSize: 256, typeSize: 98, precision: 'int4' },
  19: { name: 'IQ1_S', blockSize: 256, typeSize: 50, precision: 'int2' },
  20: { name: 'IQ4_NL', blockSize: 32, typeSize: 18, precision: 'int4' },
  21: { name: 'IQ3_S', blockSize: 256, typeSize: 110, precision: 'int4' },
  22: { name: 'IQ2_S', blockSize: 256, typeSize: 82, precision: 'int2' },
  23: { name: 'IQ4_XS', blockSize: 256, typeSize: 136, precision: 'int4' },
  24: { name: 'I8', blockSize: 1, typeSize: 1, precision: 'int8' },
  25: { name: 'I16', blockSize: 1, typeSize: 2, precision: 'int16' },
  26: { name: 'I32', blockSize: 1, typeSize: 4, precision: 'int32' },
  27: { name: 'I64', blockSize: 1, typeSize: 8, precision: 'int64' },
  28: { name: 'F64', blockSize: 1, typeSize: 8, precision: 'fp64' },
  29: { name: 'IQ1_M', blockSize: 256, typeSize: 56, precision: 'int2' },
  30: { name: 'BF16', blockSize: 1, typeSize: 2, precision: 'bf16' },
  34: { name: 'TQ1_0', blockSize: 256, typeSize: 54, precision: 'int2' },
  35: { name: 'TQ2_0', blockSize: 256, typeSize: 66, precision: 'int2' },
  39: { name: 'MXFP4', blockSize: 32, typeSize: 17, precision: 'int4' },
};

/** Value types of GGUF key/value pairs. */
const VT = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 } as const;
const VT_NAMES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64'];
const VT_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

const MAX_KV = 1_000_000;
const MAX_ARRAY = 50_000_000;
const MAX_DIMS = 8;

/** Sequential reads through a moving window, so thousands of small values cost few file reads. */
class Cursor {
  pos = 0;
  private win: Buffer = Buffer.alloc(0);
  private winStart = 0;
  constructor(private readonly src: ByteSource) {}

  private ensure(n: number, what: string): number {
    if (this.pos < this.winStart || this.pos + n > this.winStart + this.win.length) {
      const len = Math.max(n, Math.min(1 << 20, this.src.size - this.pos));
      if (this.pos + n > this.src.size) {
        throw new ModelFileError(this.src.file, `${what} at offset ${this.pos} (${n} bytes) runs past the end of the file (${this.src.size} bytes): truncated`);
      }
      this.win = this.src.read(this.pos, len, what);
      this.winStart = this.pos;
    }
    const at = this.pos - this.winStart;
    this.pos += n;
    return at;
  }
  // ensure() may move the window: call it before reading this.win (`this.win.readX(this.ensure())` would read
  // the old window, whose bytes at that index belong to another offset).
  u8(what: string): number {
    const at = this.ensure(1, what);
    return this.win.readUInt8(at);
  }
  u32(what: string): number {
    const at = this.ensure(4, what);
    return this.win.readUInt32LE(at);
  }
  u64(what: string): bigint {
    const at = this.ensure(8, what);
    return this.win.readBigUInt64LE(at);
  }
  /** u64 that must fit a safe integer, else the file is corrupted. */
  size(what: string, v1: boolean): number {
    if (v1) return this.u32(what);
    const v = this.u64(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelFileError(this.src.file, `${what} ${v} is absurd: corrupted`);
    return Number(v);
  }
  bytes(n: number, what: string): Buffer {
    const at = this.ensure(n, what);
    return this.win.subarray(at, at + n);
  }
  skip(n: number, what: string): void {
    if (this.pos + n > this.src.size) {
      throw new ModelFileError(this.src.file, `${what} at offset ${this.pos} (${n} bytes) runs past the end of the file (${this.src.size} bytes): truncated`);
    }
    this.pos += n;
  }
  scalar(type: number, what: string): number | bigint | boolean {
    const at = this.ensure(VT_SIZE[type], what);
    const w = this.win;
    switch (type) {
      case VT.U8: return w.readUInt8(at);
      case VT.I8: return w.readInt8(at);
      case VT.U16: return w.readUInt16LE(at);
      case VT.I16: return w.readInt16LE(at);
      case VT.U32: return w.readUInt32LE(at);
      case VT.I32: return w.readInt32LE(at);
      case VT.F32: return w.readFloatLE(at);
      case VT.BOOL: return w.readUInt8(at) !== 0;
      case VT.U64: return w.readBigUInt64LE(at);
      case VT.I64: return w.readBigInt64LE(at);
      default: return w.readDoubleLE(at);
    }
  }
}

type KvValue = number | string | boolean | { arrayOf: string; length: number; first?: (number | string | boolean)[] };

export function readGguf(src: ByteSource): ModelGraph {
  return withOneLineErrors(() => readGgufUnsafe(src));
}

function readGgufUnsafe(src: ByteSource): ModelGraph {
  const fail: (reason: string) => never = (reason) => {
    throw new ModelFileError(src.file, reason);
  };
  if (src.size < 16) fail(`too short for a GGUF file (${src.size} bytes)`);
  const c = new Cursor(src);
  const magic = c.bytes(4, 'GGUF magic').toString('latin1');
  if (magic !== 'GGUF') fail(`not a GGUF file (magic "${magic}")`);
  const version = c.u32('GGUF version');
  if (version < 1 || version > 3) fail(`unsupported GGUF version ${version}`);
  const v1 = version === 1;
  const tensorCount = c.size('tensor count', v1);
  const kvCount = c.size('key/value count', v1);
  if (tensorCount > LIMITS.maxTensors) fail(`GGUF claims ${tensorCount} tensors (limit ${LIMITS.maxTensors}): corrupted`);
  if (kvCount > MAX_KV) fail(`GGUF claims ${kvCount} key/value pairs (limit ${MAX_KV}): corrupted`);

  const names = new NameBudget(src.file);
  const readString = (what: string): string => {
    const n = c.size(`${what} length`, v1);
    if (n > LIMITS.maxStringBytes) fail(`${what} of ${n} bytes at offset ${c.pos} is larger than the ${LIMITS.maxStringBytes}-byte limit: corrupted`);
    names.spend(n, what);
    return c.bytes(n, what).toString('utf8');
  };
  /** Keys and tensor names: shortened when absurdly long, so the maps below never hash huge strings. */
  const readName = (what: string): string => names.name(readString(what), what, true);
  const skipString = (what: string): void => {
    const n = c.size(`${what} length`, v1);
    if (n > LIMITS.maxStringBytes) fail(`${what} of ${n} bytes is larger than the ${LIMITS.maxStringBytes}-byte limit: corrupted`);
    c.skip(n, what);
  };
  const asPlain = (v: number | bigint | boolean): number | boolean => (typeof v === 'bigint' ? Number(v) : v);

  const kv = new Map<string, KvValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = readName(`key ${i}`);
    const type = c.u32(`type of "${key}"`);
    if (type === VT.STRING) {
      kv.set(key, readString(`value of "${key}"`));
    } else if (type === VT.ARRAY) {
      const itemType = c.u32(`item type of "${key}"`);
      const n = c.size(`length of "${key}"`, v1);
      if (n > MAX_ARRAY) fail(`array "${key}" claims ${n} items (limit ${MAX_ARRAY}): corrupted`);
      const first: (number | string | boolean)[] = [];
      if (itemType === VT.STRING) {
        for (let j = 0; j < n; j++) {
          if (j < 3) first.push(readString(`item ${j} of "${key}"`));
          else skipString(`item ${j} of "${key}"`);
        }
      } else if (VT_SIZE[itemType] !== undefined) {
        for (let j = 0; j < Math.min(n, 3); j++) first.push(asPlain(c.scalar(itemType, `item ${j} of "${key}"`)));
        if (n > 3) c.skip((n - 3) * VT_SIZE[itemType], `items of "${key}"`);
      } else {
        fail(`array "${key}" has item type ${itemType}, which GGUF does not define (nested arrays are not supported)`);
      }
      kv.set(key, { arrayOf: VT_NAMES[itemType] ?? String(itemType), length: n, first });
    } else if (VT_SIZE[type] !== undefined) {
      kv.set(key, asPlain(c.scalar(type, `value of "${key}"`)));
    } else {
      fail(`key "${key}" has value type ${type}, which GGUF does not define: corrupted`);
    }
  }

  let alignment = 32;
  const a = kv.get('general.alignment');
  if (a !== undefined) {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < 1 || a > 1 << 20 || (a & (a - 1)) !== 0) fail(`general.alignment ${JSON.stringify(a)} is not a power of two`);
    alignment = a as number;
  }

  const warnings: string[] = [];
  const infos: { name: string; dims: number[]; type: number; offset: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = readName(`name of tensor ${i}`);
    const nDims = c.u32(`dimension count of "${name}"`);
    if (nDims > MAX_DIMS) fail(`tensor "${name}" claims ${nDims} dimensions (limit ${MAX_DIMS}): corrupted`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.size(`dimension ${d} of "${name}"`, v1));
    const type = c.u32(`type of "${name}"`);
    const offset = c.size(`offset of "${name}"`, false);
    infos.push({ name, dims, type, offset });
  }
  const infoEnd = c.pos;
  const dataOffset = Math.ceil(infoEnd / alignment) * alignment;

  const tensors = new Map<string, TensorInfo>();
  const typeCounts = emptyRecord<number>();
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const t of infos) {
    const gt = GGML_TYPES[t.type];
    if (!gt) fail(`tensor "${t.name}" has ggml type ${t.type}, unknown to this reader`);
    let elements = 1;
    for (const d of t.dims) {
      elements *= d;
      if (elements > LIMITS.maxTensorElements) fail(`tensor "${t.name}" has an absurd shape [${t.dims.join(', ')}]`);
    }
    if (gt.blockSize > 1 && (t.dims[0] ?? 1) % gt.blockSize !== 0) {
      fail(`tensor "${t.name}" of type ${gt.name} has a first dimension ${t.dims[0]} that is not a multiple of its block size ${gt.blockSize}`);
    }
    const bytes = (elements / gt.blockSize) * gt.typeSize;
    if (t.offset % alignment !== 0) warnings.push(`tensor "${t.name}" starts at data offset ${t.offset}, not a multiple of the alignment ${alignment}`);
    if (dataOffset + t.offset + bytes > src.size) {
      fail(`tensor "${t.name}" (${bytes} bytes at offset ${dataOffset + t.offset}) runs past the end of the file (${src.size} bytes): truncated`);
    }
    if (tensors.has(t.name)) fail(`tensor name "${t.name}" appears twice`);
    typeCounts[gt.name] = (typeCounts[gt.name] ?? 0) + 1;
    ranges.push({ name: t.name, begin: t.offset, end: t.offset + bytes });
    const info: TensorInfo = {
      name: t.name,
      shape: [...t.dims],
      dtype: gt.name,
      precision: gt.precision,
      bitsPerElement: (8 * gt.typeSize) / gt.blockSize,
      isConstant: true,
      elements,
      storedBytes: bytes,
      dataOffset: dataOffset + t.offset,
    };
    if (gt.blockSize > 1) info.quant = { scheme: `ggml ${gt.name}: blocks of ${gt.blockSize} values in ${gt.typeSize} bytes` };
    tensors.set(t.name, info);
  }
  ranges.sort((x, y) => x.begin - y.begin);
  let last: { name: string; begin: number; end: number } | null = null;
  for (const r of ranges) {
    if (r.end === r.begin) continue;
    if (last && r.begin < last.end) fail(`tensors "${last.name}" and "${r.name}" overlap in the data section`);
    if (!last || r.end > last.end) last = r;
  }

  const extra: Record<string, string | number | boolean> = recordOf<string | number | boolean>({
    ggufVersion: version,
    tensorCount,
    kvCount,
    alignment,
    dataOffset,
  });
  const arch = kv.get('general.architecture');
  let shown = 0;
  for (const [k, v] of kv) {
    if (shown++ >= 128) {
      warnings.push(`only the first 128 of ${kv.size} metadata keys are listed`);
      break;
    }
    if (typeof v === 'object') {
      extra[k] = `array of ${v.length} ${v.arrayOf}`;
    } else if (typeof v === 'string') {
      extra[k] = v.length > 200 ? `${v.slice(0, 200)}…` : v;
    } else {
      extra[k] = v;
    }
  }
  if (typeof arch === 'string') {
    const ctx = kv.get(`${arch}.context_length`);
    if (typeof ctx === 'number') extra.contextLength = ctx;
  }
  const tokens = kv.get('tokenizer.ggml.tokens');
  if (tokens && typeof tokens === 'object') extra.vocabSize = tokens.length;
  extra.tensorTypes = Object.entries(typeCounts)
    .map(([k, v]) => `${k}:${v}`)
    .join(', ');

  if (tensorCount === 0) {
    warnings.push('this GGUF file holds no tensors (vocabulary/tokenizer only): there are no weights to analyse');
  }
  const shortened = names.note();
  if (shortened) warnings.push(shortened);
  warnings.unshift('GGUF stores weights and metadata, not the computation graph: MACs and activation sizes cannot be known from this file alone');

  return {
    format: 'gguf',
    file: src.file,
    bytes: src.size,
    main: { id: 'main', name: typeof kv.get('general.name') === 'string' ? (kv.get('general.name') as string) : 'main', nodes: [], tensors, inputs: [], outputs: [] },
    subgraphs: [],
    metadata: { formatVersion: version, producer: typeof arch === 'string' ? `gguf (${arch})` : 'gguf', extra },
    compiledSegments: [],
    hasComputeGraph: false,
    warnings,
  };
}

export const ggufReader: FormatReader = {
  format: 'gguf',
  read: (src) => readGguf(src),
};
