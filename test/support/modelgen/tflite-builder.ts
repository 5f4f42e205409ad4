/**
 * A small TFLite FlatBuffer writer for tests (uses the `flatbuffers` devDependency's Builder).
 *
 * Two layers:
 * - plain specs (TfliteModelSpec, subgraphs, tensors, operators, buffers) and `buildTflite` / `writeTflite`,
 *   able to write every form the reader must handle: several subgraphs, per-tensor and per-channel
 *   quantization, shared buffers, sparse tensors, the >2 GB form (buffer data after the flatbuffer at
 *   offset/size — `{ appended }`), raw offset/size values (hostile), custom ops with custom_options, legacy
 *   operator codes (only the int8 field), any file identifier;
 * - `TfliteModelBuilder` / `TfliteSubgraphBuilder`: layer helpers (conv2d, depthwise, conv3d, fully connected,
 *   batch matmul, transpose conv, pools, elementwise, softmax, reshape, concat, control flow) that create
 *   zero-filled weights and track the output shapes they produce.
 *
 * Field ids and union numbers below are written from tensorflow/lite/schema/schema.fbs independently of the
 * reader's tables, so a slot mistake on either side shows up in the tests.
 */
import * as fs from 'fs';
import { Builder } from 'flatbuffers';

export const TFLITE_TYPES = {
  FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, STRING: 5, BOOL: 6, INT16: 7, COMPLEX64: 8, INT8: 9,
  FLOAT64: 10, COMPLEX128: 11, UINT64: 12, RESOURCE: 13, VARIANT: 14, UINT32: 15, UINT16: 16, INT4: 17, BFLOAT16: 18,
} as const;
export type TfliteTypeName = keyof typeof TFLITE_TYPES;

const TYPE_BYTES: Partial<Record<TfliteTypeName, number>> = {
  FLOAT32: 4, FLOAT16: 2, INT32: 4, UINT8: 1, INT64: 8, BOOL: 1, INT16: 2, COMPLEX64: 8, INT8: 1, FLOAT64: 8,
  COMPLEX128: 16, UINT64: 8, UINT32: 4, UINT16: 2, BFLOAT16: 2,
};

/** Builtin operator codes the builder knows by name (schema values). */
export const TFLITE_OPS: Record<string, number> = {
  ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEPTH_TO_SPACE: 5, DEQUANTIZE: 6,
  FULLY_CONNECTED: 9, L2_NORMALIZATION: 11, L2_POOL_2D: 12, LOCAL_RESPONSE_NORMALIZATION: 13, LOGISTIC: 14, LSTM: 16, MAX_POOL_2D: 17,
  MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22, RESIZE_BILINEAR: 23, SOFTMAX: 25, TANH: 28, CALL: 31, CUSTOM: 32, PAD: 34,
  UNIDIRECTIONAL_SEQUENCE_RNN: 35, GATHER: 36, TRANSPOSE: 39, MEAN: 40, SUB: 41, DIV: 42, SQUEEZE: 43, UNIDIRECTIONAL_SEQUENCE_LSTM: 44,
  STRIDED_SLICE: 45, EXP: 47, LOG_SOFTMAX: 50, CAST: 53, PRELU: 54, MAXIMUM: 55, MINIMUM: 57, LESS: 58, TRANSPOSE_CONV: 67,
  SUM: 74, QUANTIZE: 114, HARD_SWISH: 117, IF: 118, WHILE: 119, DENSIFY: 124, BATCH_MATMUL: 126, CALL_ONCE: 129, CONV_3D: 132,
  CONV_3D_TRANSPOSE: 141, GELU: 150, RESIZE_NEAREST_NEIGHBOR: 97, LEAKY_RELU: 98, SQUARED_DIFFERENCE: 99, STABLEHLO_COMPOSITE: 206,
};

// ---------------------------------------------------------------------------------------------
// Plain specs

export interface TfliteQuantSpec {
  scale?: number[];
  zeroPoint?: number[];
  /** quantized_dimension */
  axis?: number;
  min?: number[];
  max?: number[];
}

export interface TfliteSparsitySpec {
  traversalOrder: number[];
  blockMap?: number[];
  dimMetadata: { format: 'DENSE' | 'SPARSE_CSR'; denseSize?: number; segments?: number[]; indices?: number[] }[];
}

export interface TfliteTensorSpec {
  name?: string;
  shape: number[];
  type?: TfliteTypeName | number;
  /** Index into the model's buffers (0 = the empty sentinel). */
  buffer?: number;
  shapeSignature?: number[];
  hasRank?: boolean;
  isVariable?: boolean;
  quant?: TfliteQuantSpec;
  sparsity?: TfliteSparsitySpec;
}

export type OptionField =
  | { id: number; kind: 'i8' | 'u8' | 'i32' | 'u32' | 'f32'; value: number }
  | { id: number; kind: 'bool'; value: boolean }
  | { id: number; kind: 'i32s'; value: number[] };

/** One builtin options table: its union type value (1-based position in the union) and fields. */
export interface TfliteOptionsSpec {
  type: number;
  fields: OptionField[];
}

export interface TfliteOperatorSpec {
  /** Builtin name ("CONV_2D"), a builtin code number, or "CUSTOM:<code>". */
  op: string | number;
  inputs: number[];
  outputs: number[];
  options?: TfliteOptionsSpec;
  options2?: TfliteOptionsSpec;
  customOptions?: Uint8Array;
  /** Custom options stored after the flatbuffer (large_custom_options_offset/size). */
  appendedCustomOptions?: Uint8Array;
  /** Raw large_custom_options_offset/size values (hostile variants). */
  largeCustomOptions?: { offset: number; size: number };
  version?: number;
  /** Hostile variant: write this opcode_index instead of the right one. */
  opcodeIndex?: number;
}

export interface TfliteSubgraphSpec {
  name?: string;
  tensors: TfliteTensorSpec[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperatorSpec[];
  /** Hostile variant: the operators vector lists the first operator's table this many times. */
  repeatFirstOperator?: number;
}

export type TfliteBufferSpec =
  | { data?: Uint8Array }
  /** The >2 GB form: data written after the flatbuffer, located by offset/size. */
  | { appended: Uint8Array }
  /** Raw offset/size values (for hostile variants). */
  | { offset: number; size: number };

export interface TfliteModelSpec {
  version?: number;
  description?: string;
  subgraphs: TfliteSubgraphSpec[];
  /** All buffers, the empty sentinel at index 0 included. Default [{}]. */
  buffers?: TfliteBufferSpec[];
  metadata?: { name: string; buffer: number }[];
  signatureDefs?: { key: string; subgraph: number; inputs?: { name: string; tensor: number }[]; outputs?: { name: string; tensor: number }[] }[];
  /** Default "TFL3". */
  identifier?: string;
  /** Write operator codes as old converters did: only the int8 deprecated_builtin_code. */
  legacyOpcodes?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Options helpers (union type values and field ids from schema.fbs)

type Padding = 'SAME' | 'VALID';
const pad = (p: Padding | undefined): number => (p === 'VALID' ? 1 : 0);
const ACT = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4 } as const;
type Act = keyof typeof ACT;

export const tfliteOptions = {
  conv2d: (o: { padding?: Padding; strideW?: number; strideH?: number; dilationW?: number; dilationH?: number; activation?: Act } = {}): TfliteOptionsSpec => ({
    type: 1,
    fields: [
      { id: 0, kind: 'i8', value: pad(o.padding) },
      { id: 1, kind: 'i32', value: o.strideW ?? 1 },
      { id: 2, kind: 'i32', value: o.strideH ?? 1 },
      { id: 3, kind: 'i8', value: ACT[o.activation ?? 'NONE'] },
      { id: 4, kind: 'i32', value: o.dilationW ?? 1 },
      { id: 5, kind: 'i32', value: o.dilationH ?? 1 },
    ],
  }),
  depthwiseConv2d: (o: { padding?: Padding; strideW?: number; strideH?: number; depthMultiplier?: number; dilationW?: number; dilationH?: number; activation?: Act } = {}): TfliteOptionsSpec => ({
    type: 2,
    fields: [
      { id: 0, kind: 'i8', value: pad(o.padding) },
      { id: 1, kind: 'i32', value: o.strideW ?? 1 },
      { id: 2, kind: 'i32', value: o.strideH ?? 1 },
      { id: 3, kind: 'i32', value: o.depthMultiplier ?? 1 },
      { id: 4, kind: 'i8', value: ACT[o.activation ?? 'NONE'] },
      { id: 5, kind: 'i32', value: o.dilationW ?? 1 },
      { id: 6, kind: 'i32', value: o.dilationH ?? 1 },
    ],
  }),
  pool2d: (o: { padding?: Padding; strideW?: number; strideH?: number; filterW: number; filterH: number; activation?: Act }): TfliteOptionsSpec => ({
    type: 5,
    fields: [
      { id: 0, kind: 'i8', value: pad(o.padding) },
      { id: 1, kind: 'i32', value: o.strideW ?? 1 },
      { id: 2, kind: 'i32', value: o.strideH ?? 1 },
      { id: 3, kind: 'i32', value: o.filterW },
      { id: 4, kind: 'i32', value: o.filterH },
      { id: 5, kind: 'i8', value: ACT[o.activation ?? 'NONE'] },
    ],
  }),
  fullyConnected: (o: { keepNumDims?: boolean; activation?: Act } = {}): TfliteOptionsSpec => ({
    type: 8,
    fields: [{ id: 0, kind: 'i8', value: ACT[o.activation ?? 'NONE'] }, { id: 2, kind: 'bool', value: o.keepNumDims ?? false }],
  }),
  softmax: (beta = 1): TfliteOptionsSpec => ({ type: 9, fields: [{ id: 0, kind: 'f32', value: beta }] }),
  concatenation: (axis: number): TfliteOptionsSpec => ({ type: 10, fields: [{ id: 0, kind: 'i32', value: axis }] }),
  add: (activation: Act = 'NONE'): TfliteOptionsSpec => ({ type: 11, fields: [{ id: 0, kind: 'i8', value: ACT[activation] }] }),
  call: (subgraph: number): TfliteOptionsSpec => ({ type: 16, fields: [{ id: 0, kind: 'u32', value: subgraph }] }),
  reshape: (newShape: number[]): TfliteOptionsSpec => ({ type: 17, fields: [{ id: 0, kind: 'i32s', value: newShape }] }),
  mul: (activation: Act = 'NONE'): TfliteOptionsSpec => ({ type: 21, fields: [{ id: 0, kind: 'i8', value: ACT[activation] }] }),
  reducer: (keepDims: boolean): TfliteOptionsSpec => ({ type: 27, fields: [{ id: 0, kind: 'bool', value: keepDims }] }),
  transposeConv: (o: { padding?: Padding; strideW?: number; strideH?: number } = {}): TfliteOptionsSpec => ({
    type: 49,
    fields: [{ id: 0, kind: 'i8', value: pad(o.padding) }, { id: 1, kind: 'i32', value: o.strideW ?? 1 }, { id: 2, kind: 'i32', value: o.strideH ?? 1 }],
  }),
  if: (thenIndex: number, elseIndex: number): TfliteOptionsSpec => ({ type: 92, fields: [{ id: 0, kind: 'i32', value: thenIndex }, { id: 1, kind: 'i32', value: elseIndex }] }),
  while: (cond: number, body: number): TfliteOptionsSpec => ({ type: 93, fields: [{ id: 0, kind: 'i32', value: cond }, { id: 1, kind: 'i32', value: body }] }),
  batchMatMul: (o: { adjX?: boolean; adjY?: boolean } = {}): TfliteOptionsSpec => ({
    type: 101,
    fields: [{ id: 0, kind: 'bool', value: o.adjX ?? false }, { id: 1, kind: 'bool', value: o.adjY ?? false }],
  }),
  callOnce: (init: number): TfliteOptionsSpec => ({ type: 103, fields: [{ id: 0, kind: 'i32', value: init }] }),
  conv3d: (o: { padding?: Padding; strideD?: number; strideW?: number; strideH?: number } = {}): TfliteOptionsSpec => ({
    type: 106,
    fields: [
      { id: 0, kind: 'i8', value: pad(o.padding) },
      { id: 1, kind: 'i32', value: o.strideD ?? 1 },
      { id: 2, kind: 'i32', value: o.strideW ?? 1 },
      { id: 3, kind: 'i32', value: o.strideH ?? 1 },
    ],
  }),
};

// ---------------------------------------------------------------------------------------------
// Encoding

function typeCode(t: TfliteTypeName | number | undefined): number {
  if (t === undefined) return 0;
  return typeof t === 'number' ? t : TFLITE_TYPES[t];
}

function opKey(op: TfliteOperatorSpec): { builtin: number; custom?: string; version: number; key: string } {
  const version = op.version ?? 1;
  if (typeof op.op === 'number') return { builtin: op.op, version, key: `${op.op}/${version}` };
  if (op.op.startsWith('CUSTOM:')) return { builtin: 32, custom: op.op.slice(7), version, key: `${op.op}/${version}` };
  const code = TFLITE_OPS[op.op];
  if (code === undefined) throw new Error(`tflite-builder: unknown builtin op ${op.op}; pass its code number`);
  return { builtin: code, version, key: `${code}/${version}` };
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Encodes a model. Appended buffers / custom options follow the flatbuffer, each 16-byte aligned. */
export function buildTflite(spec: TfliteModelSpec): Uint8Array {
  const buffers = spec.buffers ?? [{}];
  const appended: Uint8Array[] = [];
  for (const b of buffers) if ('appended' in b) appended.push(b.appended);
  for (const sg of spec.subgraphs) for (const op of sg.operators) if (op.appendedCustomOptions) appended.push(op.appendedCustomOptions);
  if (appended.length === 0) return encode(spec, []);
  // Pass 1 with placeholder offsets (the same width), then the real ones.
  const placeholder = appended.map(() => 2 ** 40);
  const first = encode(spec, placeholder);
  const offsets: number[] = [];
  let pos = align(first.length, 16);
  for (const a of appended) {
    offsets.push(pos);
    pos = align(pos + a.length, 16);
  }
  const fbBytes = encode(spec, offsets);
  if (fbBytes.length !== first.length) throw new Error('tflite-builder: flatbuffer size changed between passes');
  const out = new Uint8Array(pos);
  out.set(fbBytes, 0);
  appended.forEach((a, i) => out.set(a, offsets[i]));
  return out;
}

export function writeTflite(file: string, spec: TfliteModelSpec): void {
  fs.writeFileSync(file, buildTflite(spec));
}

function encode(spec: TfliteModelSpec, appendedOffsets: number[]): Uint8Array {
  const b = new Builder(1024);
  let appendedIndex = 0;
  const buffers = spec.buffers ?? [{}];

  const i32Vector = (v: number[]): number => {
    b.startVector(4, v.length, 4);
    for (let i = v.length - 1; i >= 0; i--) b.addInt32(v[i]);
    return b.endVector();
  };
  const f32Vector = (v: number[]): number => {
    b.startVector(4, v.length, 4);
    for (let i = v.length - 1; i >= 0; i--) b.addFloat32(v[i]);
    return b.endVector();
  };
  const i64Vector = (v: number[]): number => {
    b.startVector(8, v.length, 8);
    for (let i = v.length - 1; i >= 0; i--) b.addInt64(BigInt(v[i]));
    return b.endVector();
  };
  const offsetVector = (v: number[]): number => {
    b.startVector(4, v.length, 4);
    for (let i = v.length - 1; i >= 0; i--) b.addOffset(v[i]);
    return b.endVector();
  };
  const byteVector = (v: Uint8Array, alignment = 16): number => {
    b.startVector(1, v.length, alignment);
    for (let i = v.length - 1; i >= 0; i--) b.addInt8(v[i]);
    return b.endVector();
  };

  const options = (o: TfliteOptionsSpec): number => {
    const vecs = new Map<number, number>();
    for (const f of o.fields) if (f.kind === 'i32s') vecs.set(f.id, i32Vector(f.value));
    const maxId = Math.max(-1, ...o.fields.map((f) => f.id));
    b.startObject(maxId + 1);
    for (const f of o.fields) {
      switch (f.kind) {
        case 'i8':
        case 'u8':
          b.addFieldInt8(f.id, f.value, null);
          break;
        case 'bool':
          b.addFieldInt8(f.id, f.value ? 1 : 0, null);
          break;
        case 'i32':
        case 'u32':
          b.addFieldInt32(f.id, f.value, null);
          break;
        case 'f32':
          b.addFieldFloat32(f.id, f.value, null);
          break;
        case 'i32s':
          b.addFieldOffset(f.id, vecs.get(f.id) as number, 0);
          break;
      }
    }
    return b.endObject();
  };

  // Buffers. Table Buffer { data:[ubyte] (force_align 16); offset:ulong; size:ulong }
  const bufferOffsets = buffers.map((buf) => {
    if ('appended' in buf) {
      const off = appendedOffsets[appendedIndex++];
      b.startObject(3);
      b.addFieldInt64(1, BigInt(off), null);
      b.addFieldInt64(2, BigInt(buf.appended.length), null);
      return b.endObject();
    }
    if ('offset' in buf) {
      b.startObject(3);
      b.addFieldInt64(1, BigInt(buf.offset), null);
      b.addFieldInt64(2, BigInt(buf.size), null);
      return b.endObject();
    }
    const data = buf.data && buf.data.length ? byteVector(buf.data) : 0;
    b.startObject(3);
    if (data) b.addFieldOffset(0, data, 0);
    return b.endObject();
  });

  // Operator codes. Table OperatorCode { deprecated_builtin_code:byte; custom_code:string; version:int = 1; builtin_code:int }
  const codes: { builtin: number; custom?: string; version: number; key: string }[] = [];
  const codeIndex = new Map<string, number>();
  for (const sg of spec.subgraphs) {
    for (const op of sg.operators) {
      const k = opKey(op);
      if (!codeIndex.has(k.key)) {
        codeIndex.set(k.key, codes.length);
        codes.push(k);
      }
    }
  }
  const codeOffsets = codes.map((c) => {
    const custom = c.custom !== undefined ? b.createString(c.custom) : 0;
    b.startObject(4);
    b.addFieldInt8(0, Math.min(c.builtin, 127), null);
    if (custom) b.addFieldOffset(1, custom, 0);
    b.addFieldInt32(2, c.version, null);
    if (!spec.legacyOpcodes) b.addFieldInt32(3, c.builtin, null);
    return b.endObject();
  });

  // Subgraphs.
  const sgOffsets = spec.subgraphs.map((sg) => {
    const tensors = sg.tensors.map((t) => tensor(t));
    const ops = sg.operators.map((op) => {
      const ins = i32Vector(op.inputs);
      const outs = i32Vector(op.outputs);
      const opt = op.options ? options(op.options) : 0;
      const opt2 = op.options2 ? options(op.options2) : 0;
      const custom = op.customOptions ? byteVector(op.customOptions, 1) : 0;
      let large: { offset: number; size: number } | undefined = op.largeCustomOptions;
      if (op.appendedCustomOptions) large = { offset: appendedOffsets[appendedIndex++], size: op.appendedCustomOptions.length };
      b.startObject(13);
      b.addFieldInt32(0, op.opcodeIndex ?? (codeIndex.get(opKey(op).key) as number), null);
      b.addFieldOffset(1, ins, 0);
      b.addFieldOffset(2, outs, 0);
      if (op.options) {
        b.addFieldInt8(3, op.options.type, null);
        b.addFieldOffset(4, opt, 0);
      }
      if (custom) b.addFieldOffset(5, custom, 0);
      if (large) {
        b.addFieldInt64(9, BigInt(large.offset), null);
        b.addFieldInt64(10, BigInt(large.size), null);
      }
      if (op.options2) {
        b.addFieldInt8(11, op.options2.type, null);
        b.addFieldOffset(12, opt2, 0);
      }
      return b.endObject();
    });
    const tVec = offsetVector(tensors);
    const inVec = i32Vector(sg.inputs);
    const outVec = i32Vector(sg.outputs);
    const opVec = offsetVector(sg.repeatFirstOperator ? new Array<number>(sg.repeatFirstOperator).fill(ops[0]) : ops);
    const name = sg.name !== undefined ? b.createString(sg.name) : 0;
    b.startObject(5);
    b.addFieldOffset(0, tVec, 0);
    b.addFieldOffset(1, inVec, 0);
    b.addFieldOffset(2, outVec, 0);
    b.addFieldOffset(3, opVec, 0);
    if (name) b.addFieldOffset(4, name, 0);
    return b.endObject();
  });

  function tensor(t: TfliteTensorSpec): number {
    const shape = i32Vector(t.shape);
    const name = b.createString(t.name ?? '');
    const quant = t.quant ? quantization(t.quant) : 0;
    const sparsity = t.sparsity ? sparse(t.sparsity) : 0;
    const sig = t.shapeSignature ? i32Vector(t.shapeSignature) : 0;
    // Table Tensor { shape; type; buffer; name; quantization; is_variable; sparsity; shape_signature; has_rank }
    b.startObject(9);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, typeCode(t.type), null);
    b.addFieldInt32(2, t.buffer ?? 0, null);
    b.addFieldOffset(3, name, 0);
    if (quant) b.addFieldOffset(4, quant, 0);
    if (t.isVariable) b.addFieldInt8(5, 1, null);
    if (sparsity) b.addFieldOffset(6, sparsity, 0);
    if (sig) b.addFieldOffset(7, sig, 0);
    if (t.hasRank !== undefined) b.addFieldInt8(8, t.hasRank ? 1 : 0, null);
    return b.endObject();
  }

  function quantization(q: TfliteQuantSpec): number {
    const min = q.min ? f32Vector(q.min) : 0;
    const max = q.max ? f32Vector(q.max) : 0;
    const scale = q.scale ? f32Vector(q.scale) : 0;
    const zp = q.zeroPoint ? i64Vector(q.zeroPoint) : 0;
    // Table QuantizationParameters { min; max; scale; zero_point; details_type; details; quantized_dimension }
    b.startObject(7);
    if (min) b.addFieldOffset(0, min, 0);
    if (max) b.addFieldOffset(1, max, 0);
    if (scale) b.addFieldOffset(2, scale, 0);
    if (zp) b.addFieldOffset(3, zp, 0);
    if (q.axis !== undefined) b.addFieldInt32(6, q.axis, null);
    return b.endObject();
  }

  function sparse(s: TfliteSparsitySpec): number {
    const dims = s.dimMetadata.map((d) => {
      // union SparseIndexVector { Int32Vector = 1, ... }; table Int32Vector { values:[int] }
      const vec = (values: number[] | undefined): number => {
        if (!values) return 0;
        const v = i32Vector(values);
        b.startObject(1);
        b.addFieldOffset(0, v, 0);
        return b.endObject();
      };
      const seg = vec(d.segments);
      const idx = vec(d.indices);
      // Table DimensionMetadata { format; dense_size; array_segments_type; array_segments; array_indices_type; array_indices }
      b.startObject(6);
      b.addFieldInt8(0, d.format === 'SPARSE_CSR' ? 1 : 0, null);
      if (d.denseSize !== undefined) b.addFieldInt32(1, d.denseSize, null);
      if (seg) {
        b.addFieldInt8(2, 1, null);
        b.addFieldOffset(3, seg, 0);
      }
      if (idx) {
        b.addFieldInt8(4, 1, null);
        b.addFieldOffset(5, idx, 0);
      }
      return b.endObject();
    });
    const order = i32Vector(s.traversalOrder);
    const blockMap = s.blockMap ? i32Vector(s.blockMap) : 0;
    const dimVec = offsetVector(dims);
    b.startObject(3);
    b.addFieldOffset(0, order, 0);
    if (blockMap) b.addFieldOffset(1, blockMap, 0);
    b.addFieldOffset(2, dimVec, 0);
    return b.endObject();
  }

  const metadata = (spec.metadata ?? []).map((m) => {
    const name = b.createString(m.name);
    b.startObject(2);
    b.addFieldOffset(0, name, 0);
    b.addFieldInt32(1, m.buffer, null);
    return b.endObject();
  });
  const sigs = (spec.signatureDefs ?? []).map((s) => {
    const maps = (list: { name: string; tensor: number }[] = []): number =>
      offsetVector(
        list.map((m) => {
          const n = b.createString(m.name);
          b.startObject(2);
          b.addFieldOffset(0, n, 0);
          b.addFieldInt32(1, m.tensor, null);
          return b.endObject();
        }),
      );
    const ins = maps(s.inputs);
    const outs = maps(s.outputs);
    const key = b.createString(s.key);
    b.startObject(5);
    b.addFieldOffset(0, ins, 0);
    b.addFieldOffset(1, outs, 0);
    b.addFieldOffset(2, key, 0);
    b.addFieldInt32(4, s.subgraph, null);
    return b.endObject();
  });

  const codesVec = offsetVector(codeOffsets);
  const sgVec = offsetVector(sgOffsets);
  const description = b.createString(spec.description ?? 'tflite-builder');
  const bufVec = offsetVector(bufferOffsets);
  const mdVec = metadata.length ? offsetVector(metadata) : 0;
  const sigVec = sigs.length ? offsetVector(sigs) : 0;
  // Table Model { version; operator_codes; subgraphs; description; buffers; metadata_buffer; metadata; signature_defs }
  b.startObject(8);
  b.addFieldInt32(0, spec.version ?? 3, null);
  b.addFieldOffset(1, codesVec, 0);
  b.addFieldOffset(2, sgVec, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, bufVec, 0);
  if (mdVec) b.addFieldOffset(6, mdVec, 0);
  if (sigVec) b.addFieldOffset(7, sigVec, 0);
  const model = b.endObject();
  const ident = spec.identifier ?? 'TFL3';
  if (ident.length === 4) b.finish(model, ident);
  else b.finish(model);
  return b.asUint8Array().slice();
}

// ---------------------------------------------------------------------------------------------
// Layer helpers

export interface WeightOptions {
  type?: TfliteTypeName;
  quant?: TfliteQuantSpec;
  /** Reuse an existing buffer (shared weights) instead of creating one. */
  buffer?: number;
}

export class TfliteModelBuilder {
  readonly buffers: TfliteBufferSpec[] = [{}];
  readonly subgraphs: TfliteSubgraphBuilder[] = [];
  description = 'tflite-builder';
  metadata: { name: string; buffer: number }[] = [];

  /** Adds a buffer holding `bytes` zero bytes (or the given data); returns its index. */
  addBuffer(data: Uint8Array | number): number {
    this.buffers.push({ data: typeof data === 'number' ? new Uint8Array(data) : data });
    return this.buffers.length - 1;
  }

  /** Adds a buffer in the >2 GB form (data after the flatbuffer). */
  addAppendedBuffer(data: Uint8Array | number): number {
    this.buffers.push({ appended: typeof data === 'number' ? new Uint8Array(data) : data });
    return this.buffers.length - 1;
  }

  subgraph(name?: string): TfliteSubgraphBuilder {
    const sg = new TfliteSubgraphBuilder(this, this.subgraphs.length, name);
    this.subgraphs.push(sg);
    return sg;
  }

  spec(extra: Partial<TfliteModelSpec> = {}): TfliteModelSpec {
    return {
      description: this.description,
      subgraphs: this.subgraphs.map((s) => s.spec()),
      buffers: this.buffers,
      ...(this.metadata.length ? { metadata: this.metadata } : {}),
      ...extra,
    };
  }

  build(extra: Partial<TfliteModelSpec> = {}): Uint8Array {
    return buildTflite(this.spec(extra));
  }
}

function outSize(inSize: number, k: number, stride: number, dilation: number, padding: Padding): number {
  if (padding === 'VALID') return Math.floor((inSize - ((k - 1) * dilation + 1)) / stride) + 1;
  return Math.ceil(inSize / stride);
}

export class TfliteSubgraphBuilder {
  readonly tensors: TfliteTensorSpec[] = [];
  readonly operators: TfliteOperatorSpec[] = [];
  readonly inputs: number[] = [];
  readonly outputs: number[] = [];
  private counter = 0;

  constructor(
    readonly model: TfliteModelBuilder,
    readonly index: number,
    readonly name?: string,
  ) {}

  spec(): TfliteSubgraphSpec {
    return { name: this.name, tensors: this.tensors, inputs: this.inputs, outputs: this.outputs, operators: this.operators };
  }

  shape(t: number): number[] {
    return this.tensors[t].shape;
  }

  tensor(spec: TfliteTensorSpec): number {
    this.tensors.push({ name: spec.name ?? `t${this.tensors.length}`, ...spec });
    return this.tensors.length - 1;
  }

  input(name: string, shape: number[], type: TfliteTypeName = 'FLOAT32', extra: Partial<TfliteTensorSpec> = {}): number {
    const t = this.tensor({ name, shape, type, ...extra });
    this.inputs.push(t);
    return t;
  }

  output(t: number): number {
    this.outputs.push(t);
    return t;
  }

  /** An activation tensor of the given shape and type. */
  activation(shape: number[], type: TfliteTypeName = 'FLOAT32', name?: string): number {
    return this.tensor({ name: name ?? `act_${this.counter++}`, shape, type });
  }

  /** A constant with zero-filled data (or a shared buffer). */
  constant(name: string, shape: number[], o: WeightOptions = {}): number {
    const type = o.type ?? 'FLOAT32';
    const bytes = shape.reduce((a, d) => a * d, 1) * (TYPE_BYTES[type] ?? 1);
    const buffer = o.buffer ?? this.model.addBuffer(bytes);
    return this.tensor({ name, shape, type, buffer, ...(o.quant ? { quant: o.quant } : {}) });
  }

  /** A constant int32 vector with the given values (shapes, axes, paddings). */
  int32Constant(name: string, values: number[], shape: number[] = [values.length]): number {
    const data = new Uint8Array(new Int32Array(values).buffer);
    return this.tensor({ name, shape, type: 'INT32', buffer: this.model.addBuffer(data) });
  }

  op(op: string | number, inputs: number[], outputs: number[], extra: Partial<TfliteOperatorSpec> = {}): void {
    this.operators.push({ op, inputs, outputs, ...extra });
  }

  private typeOf(t: number): TfliteTypeName {
    const ty = this.tensors[t].type ?? 'FLOAT32';
    return (typeof ty === 'number' ? 'FLOAT32' : ty) as TfliteTypeName;
  }

  conv2d(x: number, o: { filters: number; kernel: [number, number]; stride?: [number, number]; padding?: Padding; dilation?: [number, number]; groups?: number; weights?: WeightOptions; bias?: boolean }): number {
    const [n, h, w, c] = this.shape(x);
    const [kh, kw] = o.kernel;
    const [sh, sw] = o.stride ?? [1, 1];
    const [dh, dw] = o.dilation ?? [1, 1];
    const padding = o.padding ?? 'SAME';
    const groups = o.groups ?? 1;
    const filter = this.constant(`conv${this.counter++}/filter`, [o.filters, kh, kw, c / groups], o.weights);
    const bias = o.bias === false ? -1 : this.constant(`conv${this.counter++}/bias`, [o.filters], { type: o.weights?.type === 'INT8' ? 'INT32' : 'FLOAT32' });
    const y = this.activation([n, outSize(h, kh, sh, dh, padding), outSize(w, kw, sw, dw, padding), o.filters], this.typeOf(x));
    this.op('CONV_2D', [x, filter, bias], [y], { options: tfliteOptions.conv2d({ padding, strideH: sh, strideW: sw, dilationH: dh, dilationW: dw }) });
    return y;
  }

  depthwiseConv2d(x: number, o: { kernel: [number, number]; stride?: [number, number]; padding?: Padding; multiplier?: number; weights?: WeightOptions }): number {
    const [n, h, w, c] = this.shape(x);
    const [kh, kw] = o.kernel;
    const [sh, sw] = o.stride ?? [1, 1];
    const m = o.multiplier ?? 1;
    const padding = o.padding ?? 'SAME';
    const filter = this.constant(`dw${this.counter++}/filter`, [1, kh, kw, c * m], o.weights);
    const bias = this.constant(`dw${this.counter++}/bias`, [c * m]);
    const y = this.activation([n, outSize(h, kh, sh, 1, padding), outSize(w, kw, sw, 1, padding), c * m], this.typeOf(x));
    this.op('DEPTHWISE_CONV_2D', [x, filter, bias], [y], { options: tfliteOptions.depthwiseConv2d({ padding, strideH: sh, strideW: sw, depthMultiplier: m }) });
    return y;
  }

  conv3d(x: number, o: { filters: number; kernel: [number, number, number]; padding?: Padding }): number {
    const [n, d, h, w, c] = this.shape(x);
    const [kd, kh, kw] = o.kernel;
    const padding = o.padding ?? 'VALID';
    const filter = this.constant(`conv3d${this.counter++}/filter`, [kd, kh, kw, c, o.filters]);
    const y = this.activation([n, outSize(d, kd, 1, 1, padding), outSize(h, kh, 1, 1, padding), outSize(w, kw, 1, 1, padding), o.filters]);
    this.op('CONV_3D', [x, filter], [y], { options: tfliteOptions.conv3d({ padding }) });
    return y;
  }

  fullyConnected(x: number, units: number, o: { keepNumDims?: boolean; weights?: WeightOptions } = {}): number {
    const s = this.shape(x);
    const k = s[s.length - 1];
    const weights = this.constant(`fc${this.counter++}/weights`, [units, k], o.weights);
    const bias = this.constant(`fc${this.counter++}/bias`, [units], { type: o.weights?.type === 'INT8' ? 'INT32' : 'FLOAT32' });
    const outShape = o.keepNumDims ? [...s.slice(0, -1), units] : [s.reduce((a, d) => a * d, 1) / k, units];
    const y = this.activation(outShape, this.typeOf(x));
    this.op('FULLY_CONNECTED', [x, weights, bias], [y], { options: tfliteOptions.fullyConnected({ keepNumDims: o.keepNumDims }) });
    return y;
  }

  batchMatMul(a: number, b: number, o: { adjX?: boolean; adjY?: boolean } = {}): number {
    const sa = this.shape(a);
    const sb = this.shape(b);
    const m = o.adjX ? sa[sa.length - 1] : sa[sa.length - 2];
    const n = o.adjY ? sb[sb.length - 2] : sb[sb.length - 1];
    const y = this.activation([...sa.slice(0, -2), m, n]);
    this.op('BATCH_MATMUL', [a, b], [y], { options: tfliteOptions.batchMatMul(o) });
    return y;
  }

  transposeConv(x: number, o: { filters: number; kernel: [number, number]; stride: [number, number] }): number {
    const [n, h, w, c] = this.shape(x);
    const outShape = [n, h * o.stride[0], w * o.stride[1], o.filters];
    const shapeT = this.int32Constant(`tconv${this.counter++}/output_shape`, outShape);
    const weights = this.constant(`tconv${this.counter++}/weights`, [o.filters, o.kernel[0], o.kernel[1], c]);
    const y = this.activation(outShape);
    this.op('TRANSPOSE_CONV', [shapeT, weights, x], [y], { options: tfliteOptions.transposeConv({ padding: 'SAME', strideH: o.stride[0], strideW: o.stride[1] }) });
    return y;
  }

  pool(op: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D' | 'L2_POOL_2D', x: number, o: { filter: [number, number]; stride?: [number, number]; padding?: Padding }): number {
    const [n, h, w, c] = this.shape(x);
    const [sh, sw] = o.stride ?? o.filter;
    const padding = o.padding ?? 'VALID';
    const y = this.activation([n, outSize(h, o.filter[0], sh, 1, padding), outSize(w, o.filter[1], sw, 1, padding), c], this.typeOf(x));
    this.op(op, [x], [y], { options: tfliteOptions.pool2d({ padding, strideH: sh, strideW: sw, filterH: o.filter[0], filterW: o.filter[1] }) });
    return y;
  }

  unary(op: string, x: number, outType?: TfliteTypeName): number {
    const y = this.activation([...this.shape(x)], outType ?? this.typeOf(x));
    this.op(op, [x], [y]);
    return y;
  }

  binary(op: string, a: number, b: number): number {
    const sa = this.shape(a);
    const sb = this.shape(b);
    const rank = Math.max(sa.length, sb.length);
    const out: number[] = [];
    for (let i = 0; i < rank; i++) out.push(Math.max(sa[sa.length - rank + i] ?? 1, sb[sb.length - rank + i] ?? 1));
    const y = this.activation(out, this.typeOf(a));
    this.op(op, [a, b], [y]);
    return y;
  }

  softmax(x: number): number {
    const y = this.activation([...this.shape(x)], this.typeOf(x));
    this.op('SOFTMAX', [x], [y], { options: tfliteOptions.softmax(1) });
    return y;
  }

  reshape(x: number, shape: number[]): number {
    const shapeT = this.int32Constant(`reshape${this.counter++}/shape`, shape);
    const y = this.activation(shape, this.typeOf(x));
    this.op('RESHAPE', [x, shapeT], [y], { options: tfliteOptions.reshape(shape) });
    return y;
  }

  concat(xs: number[], axis: number): number {
    const first = this.shape(xs[0]);
    const a = (axis + first.length) % first.length;
    const out = [...first];
    out[a] = xs.reduce((s, t) => s + this.shape(t)[a], 0);
    const y = this.activation(out, this.typeOf(xs[0]));
    this.op('CONCATENATION', xs, [y], { options: tfliteOptions.concatenation(axis) });
    return y;
  }

  mean(x: number, axes: number[], keepDims: boolean): number {
    const s = this.shape(x);
    const ax = this.int32Constant(`mean${this.counter++}/axes`, axes);
    const norm = axes.map((v) => (v + s.length) % s.length);
    const out = keepDims ? s.map((d, i) => (norm.includes(i) ? 1 : d)) : s.filter((_, i) => !norm.includes(i));
    const y = this.activation(out, this.typeOf(x));
    this.op('MEAN', [x, ax], [y], { options: tfliteOptions.reducer(keepDims) });
    return y;
  }
}
