/**
 * MIL (Core ML mlProgram) types and values, decoded from their protobuf messages (MIL.proto): ValueType
 * (tensor / list / tuple / dictionary / state), TensorType (data type, rank, dimensions), and Value (an
 * immediate tensor, or a reference to a blob in the weights file). Immediate values are decoded only when
 * small (parameters such as strides, axes, shapes); large ones are described by their byte range.
 */
import type { Precision, Shape } from '../graph';
import { type MessageRange, type ProtoField, type ProtoReader, WireType } from '../io/protobuf';

export interface MilDataType {
  name: string;
  precision: Precision;
  /** Bits per element; null for strings. */
  bits: number | null;
}

/** MIL.proto DataType enum. */
export const MIL_DATA_TYPES: Record<number, MilDataType> = {
  1: { name: 'BOOL', precision: 'bool', bits: 8 },
  2: { name: 'STRING', precision: 'string', bits: null },
  10: { name: 'FLOAT16', precision: 'fp16', bits: 16 },
  11: { name: 'FLOAT32', precision: 'fp32', bits: 32 },
  12: { name: 'FLOAT64', precision: 'fp64', bits: 64 },
  13: { name: 'BFLOAT16', precision: 'bf16', bits: 16 },
  21: { name: 'INT8', precision: 'int8', bits: 8 },
  22: { name: 'INT16', precision: 'int16', bits: 16 },
  23: { name: 'INT32', precision: 'int32', bits: 32 },
  24: { name: 'INT64', precision: 'int64', bits: 64 },
  25: { name: 'INT4', precision: 'int4', bits: 4 },
  31: { name: 'UINT8', precision: 'uint8', bits: 8 },
  32: { name: 'UINT16', precision: 'uint16', bits: 16 },
  33: { name: 'UINT32', precision: 'uint32', bits: 32 },
  34: { name: 'UINT64', precision: 'uint64', bits: 64 },
  35: { name: 'UINT4', precision: 'uint4', bits: 4 },
  36: { name: 'UINT2', precision: 'int2', bits: 2 },
  37: { name: 'UINT1', precision: 'int2', bits: 1 },
  38: { name: 'UINT6', precision: 'uint8', bits: 6 },
  39: { name: 'UINT3', precision: 'uint4', bits: 3 },
  40: { name: 'FLOAT8E4M3FN', precision: 'fp8', bits: 8 },
  41: { name: 'FLOAT8E5M2', precision: 'fp8', bits: 8 },
};

const UNKNOWN_TYPE: MilDataType = { name: 'UNKNOWN', precision: 'other', bits: null };

export function milDataType(code: number): MilDataType {
  return MIL_DATA_TYPES[code] ?? { ...UNKNOWN_TYPE, name: `DATATYPE_${code}` };
}

/** A decoded ValueType: tensors carry dtype and shape ('?' for an unknown dimension); lists their element type. */
export type MilType =
  | { kind: 'tensor'; dtype: MilDataType; shape: Shape | null }
  | { kind: 'list'; elem: MilType | null; length: number | null }
  | { kind: 'other'; what: string };

/** Largest rank we accept for a declared tensor type. */
const MAX_RANK = 64;

export function readValueType(pr: ProtoReader, m: MessageRange): MilType {
  for (const f of pr.fields(m, 'MIL value type')) {
    if (f.field === 1) return readTensorType(pr, pr.message(f, 'MIL tensor type', m));
    if (f.field === 2) {
      const lm = pr.message(f, 'MIL list type', m);
      let elem: MilType | null = null;
      let length: number | null = null;
      for (const x of pr.fields(lm, 'MIL list type')) {
        if (x.field === 1) elem = readValueType(pr, pr.message(x, 'MIL list element type', lm));
        else if (x.field === 2) length = readDimension(pr, pr.message(x, 'MIL list length', lm));
      }
      return { kind: 'list', elem, length };
    }
    if (f.field === 3) return { kind: 'other', what: 'tuple' };
    if (f.field === 4) return { kind: 'other', what: 'dictionary' };
    if (f.field === 5) return { kind: 'other', what: 'state' };
  }
  return { kind: 'other', what: 'no type' };
}

function readTensorType(pr: ProtoReader, m: MessageRange): MilType {
  let dtype = UNKNOWN_TYPE;
  let rank: number | null = null;
  const dims: (number | null)[] = [];
  for (const f of pr.fields(m, 'MIL tensor type')) {
    if (f.field === 1 && f.wire === WireType.Varint) dtype = milDataType(f.varint);
    else if (f.field === 2 && f.wire === WireType.Varint) rank = f.varint;
    else if (f.field === 3) {
      if (dims.length >= MAX_RANK) pr.fail(`a MIL tensor type has more than ${MAX_RANK} dimensions`);
      dims.push(readDimension(pr, pr.message(f, 'MIL dimension', m)));
    }
  }
  if (rank !== null && (rank < 0 || rank > MAX_RANK)) pr.fail(`a MIL tensor type declares rank ${rank}`);
  // rank -1 / unset with no dimensions is a scalar (coremltools writes rank 0 for scalars, or leaves it out).
  if (dims.length === 0 && (rank === null || rank === 0)) return { kind: 'tensor', dtype, shape: [] };
  if (rank !== null && rank !== dims.length) return { kind: 'tensor', dtype, shape: null };
  return { kind: 'tensor', dtype, shape: dims.map((d) => (d === null ? '?' : d)) };
}

/** Dimension { constant { size } | unknown { variadic } }: the size, or null when unknown. */
function readDimension(pr: ProtoReader, m: MessageRange): number | null {
  for (const f of pr.fields(m, 'MIL dimension')) {
    if (f.field === 1) {
      let size = 0;
      for (const x of pr.fields(pr.message(f, 'MIL constant dimension', m), 'MIL constant dimension')) {
        if (x.field === 1 && x.wire === WireType.Varint) size = x.varint;
      }
      if (!Number.isSafeInteger(size) || size < 0) pr.fail(`a MIL dimension of size ${size}`);
      return size;
    }
    if (f.field === 2) return null;
  }
  return null;
}

/** A decoded Value: small immediate tensors as numbers/strings; blobs by file and offset; big immediates by byte range. */
export interface MilValue {
  type: MilType | null;
  /** Decoded immediate values (at most SMALL_VALUES of them). */
  numbers?: number[];
  strings?: string[];
  /** An immediate tensor too large to decode: where its bytes are in the spec, and how many. */
  immediateBytes?: { offset: number; length: number };
  blob?: { fileName: string; offset: number };
}

/** Immediate tensors with at most this many values are decoded (parameters); larger ones are weights. */
export const SMALL_VALUES = 4096;

export function readValue(pr: ProtoReader, m: MessageRange): MilValue {
  const v: MilValue = { type: null };
  for (const f of pr.fields(m, 'MIL value')) {
    if (f.field === 2) v.type = readValueType(pr, pr.message(f, 'MIL value type', m));
    else if (f.field === 3) readImmediate(pr, pr.message(f, 'MIL immediate value', m), v);
    else if (f.field === 5) {
      const bm = pr.message(f, 'MIL blob file value', m);
      let fileName = '';
      let offset = 0;
      for (const x of pr.fields(bm, 'MIL blob file value')) {
        if (x.field === 1) fileName = pr.string(x, 'blob file name');
        else if (x.field === 2 && x.wire === WireType.Varint) offset = x.varint;
      }
      if (!Number.isSafeInteger(offset) || offset < 0) pr.fail(`a blob offset of ${offset}`);
      v.blob = { fileName, offset };
    }
  }
  return v;
}

function readImmediate(pr: ProtoReader, m: MessageRange, v: MilValue): void {
  for (const f of pr.fields(m, 'MIL immediate value')) {
    if (f.field !== 1) continue; // tuples, lists and dictionaries are not parameters we need
    const tm = pr.message(f, 'MIL tensor value', m);
    for (const x of pr.fields(tm, 'MIL tensor value')) {
      const inner = pr.message(x, 'MIL repeated values', tm);
      const values = [...pr.fields(inner, 'MIL repeated values')].filter((y) => y.field === 1);
      const bytes = values.reduce((a, y) => a + y.length, 0);
      if (x.field === 4) {
        v.strings = values.slice(0, 64).map((y) => pr.string(y, 'MIL string value'));
      } else if (x.field === 7 || bytes > SMALL_VALUES * 8) {
        const first = values[0];
        v.immediateBytes = { offset: first?.offset ?? inner.start, length: bytes };
      } else {
        v.numbers = decodeNumbers(pr, x.field, values);
      }
    }
  }
}

function decodeNumbers(pr: ProtoReader, kind: number, values: ProtoField[]): number[] {
  const out: number[] = [];
  for (const y of values) {
    if (kind === 1) pr.floats(y, out, SMALL_VALUES, 'MIL float values');
    else if (kind === 6) pr.doubles(y, out, SMALL_VALUES, 'MIL double values');
    else if (kind === 2 || kind === 5) {
      // int32 values are varints that may be sign-extended to 64 bits
      pr.ints(y, out, SMALL_VALUES, 'MIL integer values');
    } else if (kind === 3) {
      pr.ints(y, out, SMALL_VALUES, 'MIL bool values');
    }
  }
  return out;
}
