/** ONNX TensorProto.DataType codes → the file's type name, normalised precision and bits per element. */
import type { Precision } from '../graph';

interface DtypeInfo {
  name: string;
  precision: Precision;
  bits: number | null;
}

const TABLE: Record<number, DtypeInfo> = {
  0: { name: 'UNDEFINED', precision: 'other', bits: null },
  1: { name: 'FLOAT', precision: 'fp32', bits: 32 },
  2: { name: 'UINT8', precision: 'uint8', bits: 8 },
  3: { name: 'INT8', precision: 'int8', bits: 8 },
  4: { name: 'UINT16', precision: 'uint16', bits: 16 },
  5: { name: 'INT16', precision: 'int16', bits: 16 },
  6: { name: 'INT32', precision: 'int32', bits: 32 },
  7: { name: 'INT64', precision: 'int64', bits: 64 },
  8: { name: 'STRING', precision: 'string', bits: null },
  9: { name: 'BOOL', precision: 'bool', bits: 8 },
  10: { name: 'FLOAT16', precision: 'fp16', bits: 16 },
  11: { name: 'DOUBLE', precision: 'fp64', bits: 64 },
  12: { name: 'UINT32', precision: 'uint32', bits: 32 },
  13: { name: 'UINT64', precision: 'uint64', bits: 64 },
  14: { name: 'COMPLEX64', precision: 'complex64', bits: 64 },
  15: { name: 'COMPLEX128', precision: 'complex128', bits: 128 },
  16: { name: 'BFLOAT16', precision: 'bf16', bits: 16 },
  17: { name: 'FLOAT8E4M3FN', precision: 'fp8', bits: 8 },
  18: { name: 'FLOAT8E4M3FNUZ', precision: 'fp8', bits: 8 },
  19: { name: 'FLOAT8E5M2', precision: 'fp8', bits: 8 },
  20: { name: 'FLOAT8E5M2FNUZ', precision: 'fp8', bits: 8 },
  21: { name: 'UINT4', precision: 'uint4', bits: 4 },
  22: { name: 'INT4', precision: 'int4', bits: 4 },
  23: { name: 'FLOAT4E2M1', precision: 'other', bits: 4 },
  24: { name: 'FLOAT8E8M0', precision: 'fp8', bits: 8 },
  25: { name: 'UINT2', precision: 'other', bits: 2 },
  26: { name: 'INT2', precision: 'int2', bits: 2 },
};

const BY_NAME = new Map(Object.entries(TABLE).map(([code, info]) => [info.name, { ...info, code: Number(code) }]));

export function onnxDtype(code: number): DtypeInfo {
  return TABLE[code] ?? { name: `TYPE_${code}`, precision: 'other', bits: null };
}

export function onnxDtypeByName(name: string): (DtypeInfo & { code: number }) | undefined {
  return BY_NAME.get(name);
}

export const UNKNOWN_DTYPE: DtypeInfo = TABLE[0];

export const FLOAT_DTYPES = new Set(['FLOAT', 'FLOAT16', 'DOUBLE', 'BFLOAT16']);
