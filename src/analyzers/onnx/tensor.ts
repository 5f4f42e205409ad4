/**
 * TensorProto / SparseTensorProto parsing: name, type, dims, where the bytes are, how many bytes they take.
 * The data itself is never read, except for small tensors (≤ MAX_FOLDED_ELEMENTS, shape vectors and
 * axes) and quantisation scales, whose values shape inference and quant params need.
 */
import { emptyRecord } from '../safe-record';
import { LIMITS } from '../errors';
import type { TensorInfo } from '../graph';
import type { MessageRange, ProtoField, ProtoReader } from '../io/protobuf';
import { onnxDtype } from './dtypes';

/** Where a tensor's values live in the file, kept until the values are needed (while the file is open). */
export interface TensorDataRef {
  dtypeCode: number;
  elements: number;
  raw?: ProtoField;
  /** Typed repeated fields by field number (4 float_data, 5 int32_data, 7 int64_data, 10 double_data, 11 uint64_data). */
  typed: Map<number, ProtoField[]>;
  external: boolean;
}

export interface ParsedTensor {
  info: TensorInfo;
  data: TensorDataRef;
  /** external_data entries (location, offset, length ...) when data_location = EXTERNAL. */
  externalEntries?: Record<string, string>;
}

const MAX_DIMS = 64;

/** Product of non-negative dims, refusing absurd element counts (never allocates anything). */
export function checkedElements(r: ProtoReader, dims: number[], what: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) r.fail(`${what} has an invalid dimension ${d}: corrupted`);
    n *= d;
    if (n > LIMITS.maxTensorElements) r.fail(`${what} declares ${dims.join('x')} elements, more than the limit of ${LIMITS.maxTensorElements}: corrupted or hostile`);
  }
  return n;
}

export function parseStringEntries(r: ProtoReader, m: MessageRange, out: Record<string, string>): void {
  let key = '';
  let value = '';
  for (const f of r.fields(m, 'string entry')) {
    if (f.field === 1) key = r.name(f, 'entry key');
    else if (f.field === 2) value = r.string(f, 'entry value');
  }
  if (key) out[key] = value;
}

export function parseTensor(r: ProtoReader, m: MessageRange, fallbackName: string): ParsedTensor {
  const dims: number[] = [];
  let dtypeCode = 0;
  let name = '';
  let raw: ProtoField | undefined;
  const typed = new Map<number, ProtoField[]>();
  let stringBytes = 0;
  let external = false;
  let entries: Record<string, string> | undefined;
  for (const f of r.fields(m, 'tensor')) {
    switch (f.field) {
      case 1:
        r.ints(f, dims, MAX_DIMS, 'tensor dims');
        break;
      case 2:
        dtypeCode = r.int(f, 'tensor data_type');
        break;
      case 4: case 5: case 7: case 10: case 11: {
        const list = typed.get(f.field) ?? [];
        list.push(f);
        typed.set(f.field, list);
        break;
      }
      case 6:
        stringBytes += f.length;
        break;
      case 8:
        name = r.name(f, 'tensor name');
        break;
      case 9:
        raw = f;
        break;
      case 13:
        parseStringEntries(r, r.message(f, 'external_data', m), (entries ??= emptyRecord<string>()));
        break;
      case 14:
        external = r.int(f, 'data_location') === 1;
        break;
      default:
        break; // segment, doc_string, metadata_props
    }
  }
  name ||= fallbackName;
  const what = `tensor "${name}"`;
  const elements = checkedElements(r, dims, what);
  const dt = onnxDtype(dtypeCode);
  let storedBytes: number;
  if (external) {
    const len = entries?.length !== undefined ? Number(entries.length) : NaN;
    storedBytes = Number.isSafeInteger(len) && len >= 0 ? len : dt.bits !== null ? Math.ceil((elements * dt.bits) / 8) : 0;
  } else if (raw) {
    storedBytes = raw.length;
    const expected = dt.bits !== null ? Math.ceil((elements * dt.bits) / 8) : null;
    if (expected !== null && raw.length !== expected) {
      r.fail(`${what} holds ${raw.length} bytes of raw_data, but its dims [${dims.join(', ')}] of ${dt.name} need ${expected}: truncated or corrupted`);
    }
  } else if (dt.bits === null) storedBytes = stringBytes;
  else storedBytes = Math.ceil((elements * dt.bits) / 8);
  const info: TensorInfo = {
    name,
    shape: dims,
    dtype: dt.name,
    precision: dt.precision,
    bitsPerElement: dt.bits,
    isConstant: true,
    elements,
    storedBytes,
  };
  if (raw && !external) info.dataOffset = raw.offset;
  return { info, data: { dtypeCode, elements, raw, typed, external }, externalEntries: external ? entries ?? emptyRecord<string>() : undefined };
}

/** A SparseTensorProto: dense dims, stored bytes = values + indices. */
export function parseSparseTensor(r: ProtoReader, m: MessageRange, fallbackName: string): ParsedTensor {
  let values: ParsedTensor | undefined;
  let indices: ParsedTensor | undefined;
  const dims: number[] = [];
  for (const f of r.fields(m, 'sparse tensor')) {
    if (f.field === 1) values = parseTensor(r, r.message(f, 'sparse values', m), fallbackName);
    else if (f.field === 2) indices = parseTensor(r, r.message(f, 'sparse indices', m), `${fallbackName}.indices`);
    else if (f.field === 3) r.ints(f, dims, MAX_DIMS, 'sparse tensor dims');
  }
  if (!values) r.fail(`sparse tensor "${fallbackName}" has no values: corrupted`);
  const name = values.info.name || fallbackName;
  const elements = checkedElements(r, dims, `sparse tensor "${name}"`);
  const info: TensorInfo = {
    ...values.info,
    name,
    shape: dims,
    elements,
    storedBytes: (values.info.storedBytes ?? 0) + (indices?.info.storedBytes ?? 0),
  };
  delete info.dataOffset;
  return { info, data: { ...values.data, elements: -1 }, externalEntries: values.externalEntries };
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Decodes a tensor's values when it has at most `max` elements and they are stored in the file
 * (raw_data or typed fields); undefined otherwise. Sparse and external tensors are not decoded.
 */
export function decodeValues(r: ProtoReader, d: TensorDataRef, max: number): number[] | undefined {
  if (d.external || d.elements < 0 || d.elements > max) return undefined;
  const n = d.elements;
  const out: number[] = [];
  if (d.raw) {
    const widths: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };
    const w = widths[d.dtypeCode];
    if (w === undefined || d.raw.length !== n * w) return undefined;
    const b = r.bytes(d.raw, 'raw_data');
    for (let i = 0; i < n; i++) {
      const o = i * w;
      switch (d.dtypeCode) {
        case 1: out.push(b.readFloatLE(o)); break;
        case 2: case 9: out.push(b.readUInt8(o)); break;
        case 3: out.push(b.readInt8(o)); break;
        case 4: out.push(b.readUInt16LE(o)); break;
        case 5: out.push(b.readInt16LE(o)); break;
        case 6: out.push(b.readInt32LE(o)); break;
        case 7: out.push(Number(b.readBigInt64LE(o))); break;
        case 10: out.push(halfToFloat(b.readUInt16LE(o))); break;
        case 11: out.push(b.readDoubleLE(o)); break;
        case 12: out.push(b.readUInt32LE(o)); break;
        case 13: out.push(Number(b.readBigUInt64LE(o))); break;
        case 16: out.push(new Float32Array(new Uint32Array([b.readUInt16LE(o) << 16]).buffer)[0]); break;
      }
    }
    return out;
  }
  const cap = Math.max(n, 1);
  if (d.typed.has(4)) for (const f of d.typed.get(4)!) r.floats(f, out, cap, 'float_data');
  else if (d.typed.has(7)) for (const f of d.typed.get(7)!) r.ints(f, out, cap, 'int64_data');
  else if (d.typed.has(10)) for (const f of d.typed.get(10)!) r.doubles(f, out, cap, 'double_data');
  else if (d.typed.has(11)) for (const f of d.typed.get(11)!) r.ints(f, out, cap, 'uint64_data');
  else if (d.typed.has(5)) {
    for (const f of d.typed.get(5)!) r.ints(f, out, cap, 'int32_data');
    if (d.dtypeCode === 10) return out.map(halfToFloat);
    if (d.dtypeCode === 16) return out.map((v) => new Float32Array(new Uint32Array([v << 16]).buffer)[0]);
  } else return undefined;
  return out.length === n ? out : undefined;
}
