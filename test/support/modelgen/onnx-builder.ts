/**
 * A small, typed ONNX ModelProto writer (protobuf encoder) for tests, the sample model and reference
 * architectures. It writes exactly the onnx.proto field numbers (proto2: repeated scalars unpacked except
 * the tensor data fields declared [packed = true]).
 *
 * Two layers:
 * - plain specs (ModelSpec, GraphSpec, NodeSpec, TensorSpec, ValueInfoSpec, attributes through `attr.*`)
 *   and `encodeModel` / `writeModel`;
 * - `OnnxGraphBuilder`, helpers for common layers (conv, depthwise conv, gemm, matmul, relu, add, pools,
 *   flatten, reshape, softmax, concat) that create named weights and track the shapes they produce.
 *
 * Large tensors can be given as `{ zeros: n }` raw data: writeModel streams them to disk in chunks, so a
 * 200 MB test model never sits in memory.
 */
import * as fs from 'fs';
import { ProtoWriter as Enc } from '../../../src/analyzers/io/proto-writer';

export const ONNX_DTYPES = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
} as const;
export type OnnxDtypeName = keyof typeof ONNX_DTYPES;

/** Bytes per element for the dense types the builder can fill. */
const DTYPE_BYTES: Partial<Record<OnnxDtypeName, number>> = {
  FLOAT: 4, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, INT32: 4, INT64: 8, BOOL: 1, FLOAT16: 2, DOUBLE: 8,
  UINT32: 4, UINT64: 8, COMPLEX64: 8, COMPLEX128: 16, BFLOAT16: 2,
  FLOAT8E4M3FN: 1, FLOAT8E4M3FNUZ: 1, FLOAT8E5M2: 1, FLOAT8E5M2FNUZ: 1,
};

// ---------------------------------------------------------------------------------------------
// Specs

/** A dim: a number (dim_value), a string (dim_param), or null (a dim with neither: unknown). */
export type DimSpec = number | string | null;

export interface ValueInfoSpec {
  name: string;
  elemType: OnnxDtypeName;
  /** undefined / null: no shape at all (rank unknown). */
  shape?: DimSpec[] | null;
}

export interface TensorSpec {
  name?: string;
  dataType: OnnxDtypeName;
  dims: number[];
  /** Raw little-endian bytes, or a run of zeros of that many bytes (streamed by writeModel). */
  raw?: Buffer | { zeros: number };
  floatData?: number[];
  int32Data?: number[];
  int64Data?: (number | bigint)[];
  doubleData?: number[];
  stringData?: string[];
  /** Data in an external file: data_location = EXTERNAL with location/offset/length entries. */
  external?: { location: string; offset?: number; length?: number };
}

export interface SparseTensorSpec {
  values: TensorSpec;
  indices: TensorSpec;
  dims: number[];
}

export type AttrSpec =
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'tensor'; value: TensorSpec }
  | { name: string; type: 'sparse_tensor'; value: SparseTensorSpec }
  | { name: string; type: 'graph'; value: GraphSpec }
  | { name: string; type: 'floats'; value: number[] }
  | { name: string; type: 'ints'; value: number[] }
  | { name: string; type: 'strings'; value: string[] }
  | { name: string; type: 'graphs'; value: GraphSpec[] };

/** Attribute constructors: attr.int('axis', 1), attr.ints('pads', [1, 1, 1, 1]), attr.graph('then_branch', g) ... */
export const attr = {
  float: (name: string, value: number): AttrSpec => ({ name, type: 'float', value }),
  int: (name: string, value: number): AttrSpec => ({ name, type: 'int', value }),
  string: (name: string, value: string): AttrSpec => ({ name, type: 'string', value }),
  tensor: (name: string, value: TensorSpec): AttrSpec => ({ name, type: 'tensor', value }),
  sparseTensor: (name: string, value: SparseTensorSpec): AttrSpec => ({ name, type: 'sparse_tensor', value }),
  graph: (name: string, value: GraphSpec): AttrSpec => ({ name, type: 'graph', value }),
  floats: (name: string, value: number[]): AttrSpec => ({ name, type: 'floats', value }),
  ints: (name: string, value: number[]): AttrSpec => ({ name, type: 'ints', value }),
  strings: (name: string, value: string[]): AttrSpec => ({ name, type: 'strings', value }),
  graphs: (name: string, value: GraphSpec[]): AttrSpec => ({ name, type: 'graphs', value }),
};

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: AttrSpec[];
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  inputs: ValueInfoSpec[];
  outputs: ValueInfoSpec[];
  initializers?: TensorSpec[];
  sparseInitializers?: SparseTensorSpec[];
  valueInfo?: ValueInfoSpec[];
}

export interface ModelSpec {
  /** Default 8 (ONNX 1.10+; accepted by python3-onnx 1.12). */
  irVersion?: number;
  /** Default [{ domain: '', version: 13 }]. */
  opsetImports?: { domain: string; version: number }[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadataProps?: Record<string, string>;
  graph: GraphSpec;
}

// ---------------------------------------------------------------------------------------------
// Encoders (field numbers from onnx.proto)

function encTensor(t: TensorSpec): Enc {
  const e = new Enc();
  for (const d of t.dims) e.varint(1, d);
  e.varint(2, ONNX_DTYPES[t.dataType]);
  if (t.floatData) e.packedFloats(4, t.floatData);
  if (t.int32Data) e.packedVarints(5, t.int32Data);
  if (t.stringData) for (const s of t.stringData) e.string(6, s);
  if (t.int64Data) e.packedVarints(7, t.int64Data);
  if (t.name !== undefined) e.string(8, t.name);
  if (t.raw) e.bytes(9, t.raw);
  if (t.doubleData) e.packedDoubles(10, t.doubleData);
  if (t.external) {
    const entry = (k: string, v: string) => new Enc().string(1, k).string(2, v);
    e.message(13, entry('location', t.external.location));
    if (t.external.offset !== undefined) e.message(13, entry('offset', String(t.external.offset)));
    if (t.external.length !== undefined) e.message(13, entry('length', String(t.external.length)));
    e.varint(14, 1);
  }
  return e;
}

function encSparse(s: SparseTensorSpec): Enc {
  const e = new Enc().message(1, encTensor(s.values)).message(2, encTensor(s.indices));
  for (const d of s.dims) e.varint(3, d);
  return e;
}

function encValueInfo(v: ValueInfoSpec): Enc {
  const tensor = new Enc().varint(1, ONNX_DTYPES[v.elemType]);
  if (v.shape) {
    const shape = new Enc();
    for (const d of v.shape) {
      const dim = new Enc();
      if (typeof d === 'number') dim.varint(1, d);
      else if (typeof d === 'string') dim.string(2, d);
      shape.message(1, dim);
    }
    tensor.message(2, shape);
  }
  return new Enc().string(1, v.name).message(2, new Enc().message(1, tensor));
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8, graphs: 10, sparse_tensor: 11 } as const;

function encAttr(a: AttrSpec): Enc {
  const e = new Enc().string(1, a.name);
  switch (a.type) {
    case 'float': e.float(2, a.value); break;
    case 'int': e.varint(3, a.value); break;
    case 'string': e.string(4, a.value); break;
    case 'tensor': e.message(5, encTensor(a.value)); break;
    case 'graph': e.message(6, encGraph(a.value)); break;
    case 'sparse_tensor': e.message(22, encSparse(a.value)); break;
    case 'floats': for (const v of a.value) e.float(7, v); break;
    case 'ints': for (const v of a.value) e.varint(8, v); break;
    case 'strings': for (const v of a.value) e.string(9, v); break;
    case 'graphs': for (const g of a.value) e.message(11, encGraph(g)); break;
  }
  e.varint(20, ATTR_TYPE[a.type]);
  return e;
}

function encNode(n: NodeSpec): Enc {
  const e = new Enc();
  for (const i of n.inputs) e.string(1, i);
  for (const o of n.outputs) e.string(2, o);
  if (n.name !== undefined) e.string(3, n.name);
  e.string(4, n.opType);
  for (const a of n.attrs ?? []) e.message(5, encAttr(a));
  if (n.domain) e.string(7, n.domain);
  return e;
}

function encGraph(g: GraphSpec): Enc {
  const e = new Enc();
  for (const n of g.nodes) e.message(1, encNode(n));
  e.string(2, g.name);
  for (const t of g.initializers ?? []) e.message(5, encTensor(t));
  for (const v of g.inputs) e.message(11, encValueInfo(v));
  for (const v of g.outputs) e.message(12, encValueInfo(v));
  for (const v of g.valueInfo ?? []) e.message(13, encValueInfo(v));
  for (const s of g.sparseInitializers ?? []) e.message(15, encSparse(s));
  return e;
}

function encModel(m: ModelSpec): Enc {
  const e = new Enc().varint(1, m.irVersion ?? 8);
  if (m.producerName !== undefined) e.string(2, m.producerName);
  if (m.producerVersion !== undefined) e.string(3, m.producerVersion);
  if (m.docString !== undefined) e.string(6, m.docString);
  e.message(7, encGraph(m.graph));
  for (const o of m.opsetImports ?? [{ domain: '', version: 13 }]) e.message(8, new Enc().string(1, o.domain).varint(2, o.version));
  for (const [k, v] of Object.entries(m.metadataProps ?? {})) e.message(14, new Enc().string(1, k).string(2, v));
  return e;
}

/** The model as one Buffer (zero runs materialised: use writeModel for very large models). */
export function encodeModel(m: ModelSpec): Buffer {
  return encModel(m).toBuffer();
}

/** Writes the model to `file`, streaming zero runs in 1 MiB pieces; returns the file size. */
export function writeModel(m: ModelSpec, file: string): number {
  const e = encModel(m);
  const fd = fs.openSync(file, 'w');
  try {
    const zero = Buffer.alloc(1 << 20);
    for (const c of e.chunks) {
      if (Buffer.isBuffer(c)) fs.writeSync(fd, c);
      else for (let left = c.zeros; left > 0; left -= zero.length) fs.writeSync(fd, zero, 0, Math.min(left, zero.length));
    }
  } finally {
    fs.closeSync(fd);
  }
  return e.size;
}

// ---------------------------------------------------------------------------------------------
// Tensor helpers

/** Deterministic pseudo-random floats in [-scale, scale) (xorshift), for weights that are not all zero. */
export function pseudoRandomFloats(n: number, seed = 1, scale = 0.1): number[] {
  let s = seed >>> 0 || 1;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** A FLOAT tensor with raw_data (pseudo-random values, or zeros when `zeros` is set). */
export function floatTensor(name: string, dims: number[], opts: { seed?: number; zeros?: boolean; values?: number[] } = {}): TensorSpec {
  const n = product(dims);
  if (opts.zeros) return { name, dataType: 'FLOAT', dims, raw: { zeros: n * 4 } };
  const vals = opts.values ?? pseudoRandomFloats(n, opts.seed ?? n);
  const raw = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) raw.writeFloatLE(vals[i % vals.length], i * 4);
  return { name, dataType: 'FLOAT', dims, raw };
}

export function int64Tensor(name: string, dims: number[], values: number[]): TensorSpec {
  const raw = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => raw.writeBigInt64LE(BigInt(v), i * 8));
  return { name, dataType: 'INT64', dims, raw };
}

/** A tensor of any dense type filled with zeros (raw_data). */
export function zeroTensor(name: string, dataType: OnnxDtypeName, dims: number[]): TensorSpec {
  const bytes = DTYPE_BYTES[dataType];
  if (bytes === undefined) throw new Error(`zeroTensor: no dense byte size for ${dataType}`);
  return { name, dataType, dims, raw: { zeros: product(dims) * bytes } };
}

// ---------------------------------------------------------------------------------------------
// Layer helpers

export interface ConvOptions {
  kernel: number | [number, number];
  stride?: number;
  pad?: number | 'same';
  dilation?: number;
  group?: number;
  bias?: boolean;
  name?: string;
}

/**
 * Builds a graph layer by layer. Activations are NCHW (or [N, features] after flatten); each helper
 * returns the output tensor name and records its shape, so later helpers know their input channels.
 */
export class OnnxGraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorSpec[] = [];
  readonly inputs: ValueInfoSpec[] = [];
  readonly outputs: ValueInfoSpec[] = [];
  readonly valueInfo: ValueInfoSpec[] = [];
  /** Shapes the helpers know (number dims only; symbolic dims kept as strings). */
  readonly shapes = new Map<string, DimSpec[]>();
  private counter = 0;

  constructor(
    readonly name = 'graph',
    /** Seed for weight values; weights are zeros when `zeroWeights` is set (fast, for big models). */
    readonly opts: { zeroWeights?: boolean; seed?: number } = {},
  ) {}

  private uid(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  shapeOf(t: string): DimSpec[] {
    const s = this.shapes.get(t);
    if (!s) throw new Error(`OnnxGraphBuilder: shape of ${t} is not known`);
    return s;
  }

  input(name: string, shape: DimSpec[], elemType: OnnxDtypeName = 'FLOAT'): string {
    this.inputs.push({ name, elemType, shape });
    this.shapes.set(name, shape);
    return name;
  }

  output(name: string, elemType: OnnxDtypeName = 'FLOAT', shape?: DimSpec[] | null): void {
    this.outputs.push({ name, elemType, shape: shape === undefined ? this.shapes.get(name) ?? null : shape });
  }

  weight(name: string, dims: number[], values?: number[]): string {
    this.initializers.push(floatTensor(name, dims, { zeros: this.opts.zeroWeights && !values, seed: (this.opts.seed ?? 7) + this.initializers.length, values }));
    this.shapes.set(name, dims);
    return name;
  }

  constInt64(name: string, values: number[]): string {
    this.initializers.push(int64Tensor(name, [values.length], values));
    this.shapes.set(name, [values.length]);
    return name;
  }

  node(opType: string, inputs: string[], outputs: string[] | number = 1, attrs: AttrSpec[] = [], name?: string, domain?: string): string[] {
    const nodeName = name ?? this.uid(opType);
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => (outputs === 1 ? `${nodeName}_out` : `${nodeName}_out${i}`)) : outputs;
    this.nodes.push({ opType, inputs, outputs: outs, name: nodeName, attrs, domain });
    return outs;
  }

  conv(x: string, outChannels: number, o: ConvOptions): string {
    const [n, c, h, w] = this.shapeOf(x);
    const [kh, kw] = typeof o.kernel === 'number' ? [o.kernel, o.kernel] : o.kernel;
    const group = o.group ?? 1;
    const stride = o.stride ?? 1;
    const dil = o.dilation ?? 1;
    const name = o.name ?? this.uid('conv');
    const cin = c as number;
    const wName = this.weight(`${name}.weight`, [outChannels, cin / group, kh, kw]);
    const ins = [x, wName];
    if (o.bias !== false) ins.push(this.weight(`${name}.bias`, [outChannels]));
    let pads: [number, number, number, number];
    if (o.pad === 'same') {
      const ph = Math.max(0, (Math.ceil((h as number) / stride) - 1) * stride + (kh - 1) * dil + 1 - (h as number));
      const pw = Math.max(0, (Math.ceil((w as number) / stride) - 1) * stride + (kw - 1) * dil + 1 - (w as number));
      pads = [Math.floor(ph / 2), Math.floor(pw / 2), ph - Math.floor(ph / 2), pw - Math.floor(pw / 2)];
    } else {
      const p = o.pad ?? 0;
      pads = [p, p, p, p];
    }
    const attrs = [attr.ints('kernel_shape', [kh, kw]), attr.ints('strides', [stride, stride]), attr.ints('pads', pads), attr.ints('dilations', [dil, dil])];
    if (group !== 1) attrs.push(attr.int('group', group));
    const [y] = this.node('Conv', ins, [`${name}_out`], attrs, name);
    const oh = typeof h === 'number' ? Math.floor((h + pads[0] + pads[2] - dil * (kh - 1) - 1) / stride) + 1 : h;
    const ow = typeof w === 'number' ? Math.floor((w + pads[1] + pads[3] - dil * (kw - 1) - 1) / stride) + 1 : w;
    this.shapes.set(y, [n, outChannels, oh, ow]);
    return y;
  }

  depthwiseConv(x: string, o: Omit<ConvOptions, 'group'>): string {
    const c = this.shapeOf(x)[1] as number;
    return this.conv(x, c, { ...o, group: c });
  }

  gemm(x: string, outFeatures: number, opts: { bias?: boolean; name?: string } = {}): string {
    const [n, k] = this.shapeOf(x);
    const name = opts.name ?? this.uid('gemm');
    const wName = this.weight(`${name}.weight`, [outFeatures, k as number]);
    const ins = [x, wName];
    if (opts.bias !== false) ins.push(this.weight(`${name}.bias`, [outFeatures]));
    const [y] = this.node('Gemm', ins, [`${name}_out`], [attr.int('transB', 1)], name);
    this.shapes.set(y, [n, outFeatures]);
    return y;
  }

  /** MatMul with a constant [K, N] weight (or another activation when `b` names one). */
  matmul(x: string, outFeaturesOrB: number | string, opts: { name?: string } = {}): string {
    const xs = this.shapeOf(x);
    const name = opts.name ?? this.uid('matmul');
    let b: string;
    let ncols: DimSpec;
    if (typeof outFeaturesOrB === 'number') {
      b = this.weight(`${name}.weight`, [xs[xs.length - 1] as number, outFeaturesOrB]);
      ncols = outFeaturesOrB;
    } else {
      b = outFeaturesOrB;
      const bs = this.shapeOf(b);
      ncols = bs[bs.length - 1];
    }
    const [y] = this.node('MatMul', [x, b], [`${name}_out`], [], name);
    this.shapes.set(y, [...xs.slice(0, -1), ncols]);
    return y;
  }

  private unary(op: string, x: string, attrs: AttrSpec[] = []): string {
    const [y] = this.node(op, [x], 1, attrs);
    this.shapes.set(y, this.shapeOf(x));
    return y;
  }

  relu(x: string): string {
    return this.unary('Relu', x);
  }

  softmax(x: string, axis = -1): string {
    return this.unary('Softmax', x, [attr.int('axis', axis)]);
  }

  /** Elementwise Add of two same-shaped tensors (or a broadcastable constant). */
  add(a: string, b: string): string {
    const [y] = this.node('Add', [a, b], 1);
    this.shapes.set(y, this.shapeOf(a));
    return y;
  }

  private pool(op: 'MaxPool' | 'AveragePool', x: string, kernel: number, stride = kernel, pad = 0): string {
    const [n, c, h, w] = this.shapeOf(x);
    const [y] = this.node(op, [x], 1, [attr.ints('kernel_shape', [kernel, kernel]), attr.ints('strides', [stride, stride]), attr.ints('pads', [pad, pad, pad, pad])]);
    const o = (d: DimSpec) => (typeof d === 'number' ? Math.floor((d + 2 * pad - kernel) / stride) + 1 : d);
    this.shapes.set(y, [n, c, o(h), o(w)]);
    return y;
  }

  maxPool(x: string, kernel: number, stride?: number, pad?: number): string {
    return this.pool('MaxPool', x, kernel, stride, pad);
  }

  avgPool(x: string, kernel: number, stride?: number, pad?: number): string {
    return this.pool('AveragePool', x, kernel, stride, pad);
  }

  globalAvgPool(x: string): string {
    const [n, c] = this.shapeOf(x);
    const [y] = this.node('GlobalAveragePool', [x], 1);
    this.shapes.set(y, [n, c, 1, 1]);
    return y;
  }

  flatten(x: string, axis = 1): string {
    const s = this.shapeOf(x);
    const [y] = this.node('Flatten', [x], 1, [attr.int('axis', axis)]);
    const prod = (ds: DimSpec[]) => (ds.length === 1 ? ds[0] : ds.reduce<DimSpec>((a, d) => (typeof a === 'number' && typeof d === 'number' ? a * d : null), 1));
    this.shapes.set(y, [prod(s.slice(0, axis)), prod(s.slice(axis))]);
    return y;
  }

  /** Reshape to a constant target shape (0 copies the input dim, -1 is inferred). */
  reshape(x: string, target: number[]): string {
    const s = this.shapeOf(x);
    const shapeName = this.constInt64(this.uid('shape'), target);
    const [y] = this.node('Reshape', [x, shapeName], 1);
    const out: DimSpec[] = target.map((d, i) => (d === 0 ? s[i] : d));
    // -1: input elements over the other output dims; dims copied by 0 cancel out (even when symbolic).
    const rest = s.filter((_, i) => target[i] !== 0);
    const total = rest.every((d) => typeof d === 'number') ? product(rest as number[]) : null;
    const known = target.filter((d) => d !== 0 && d !== -1).reduce((a, b) => a * b, 1);
    this.shapes.set(y, out.map((d) => (d === -1 ? (total === null ? null : total / known) : d)));
    return y;
  }

  concat(xs: string[], axis = 1): string {
    const shapes = xs.map((x) => this.shapeOf(x));
    const [y] = this.node('Concat', xs, 1, [attr.int('axis', axis)]);
    const out = [...shapes[0]];
    const a = axis < 0 ? out.length + axis : axis;
    out[a] = shapes.reduce<DimSpec>((acc, s) => (typeof acc === 'number' && typeof s[a] === 'number' ? acc + (s[a] as number) : null), 0);
    this.shapes.set(y, out);
    return y;
  }

  /** The GraphSpec; `withValueInfo` adds value_info for every intermediate the helpers know. */
  graph(opts: { withValueInfo?: boolean } = {}): GraphSpec {
    const valueInfo = [...this.valueInfo];
    if (opts.withValueInfo) {
      const skip = new Set([...this.inputs.map((i) => i.name), ...this.outputs.map((o) => o.name), ...this.initializers.map((t) => t.name)]);
      for (const n of this.nodes) for (const o of n.outputs) if (!skip.has(o) && this.shapes.has(o)) valueInfo.push({ name: o, elemType: 'FLOAT', shape: this.shapes.get(o) });
    }
    return { name: this.name, nodes: this.nodes, inputs: this.inputs, outputs: this.outputs, initializers: this.initializers, valueInfo };
  }

  model(opts: { opset?: number; irVersion?: number; producerName?: string; withValueInfo?: boolean } = {}): ModelSpec {
    return {
      irVersion: opts.irVersion ?? 8,
      opsetImports: [{ domain: '', version: opts.opset ?? 13 }],
      producerName: opts.producerName ?? 'edgeplan-modelgen',
      graph: this.graph({ withValueInfo: opts.withValueInfo }),
    };
  }
}
