/**
 * Writes Core ML models for the tests, field by field from coremltools' mlmodel/format protos (Model.proto,
 * FeatureTypes.proto, NeuralNetwork.proto, MIL.proto) with the project's protobuf writer, and the MIL blob
 * storage (weight.bin) and .mlpackage folder layout (Manifest.json, Data/com.apple.CoreML/...). Independent of
 * the reader: it knows the formats, not the analyzer.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ProtoWriter as Enc } from '../../src/analyzers/io/proto-writer';

// ------------------------------------------------------------------ features (FeatureTypes.proto)

export const ARRAY_FLOAT32 = 65568;
export const ARRAY_FLOAT16 = 65552;

export type Feature =
  | { name: string; array: number[]; dataType?: number; ranges?: [number, number][] }
  | { name: string; image: [width: number, height: number]; colorSpace?: 'GRAYSCALE' | 'RGB' | 'BGR' }
  | { name: string; dictionary: 'int64' | 'string' }
  | { name: string; scalar: 'int64' | 'double' | 'string' };

const COLOR: Record<string, number> = { GRAYSCALE: 10, RGB: 20, BGR: 30 };

function featureType(f: Feature): Enc {
  const t = new Enc();
  if ('array' in f) {
    const a = new Enc().packedVarints(1, f.array).varint(2, f.dataType ?? ARRAY_FLOAT32);
    if (f.ranges) {
      const r = new Enc();
      for (const [lo, hi] of f.ranges) r.message(1, new Enc().varint(1, lo).varint(2, hi));
      a.message(31, r);
    }
    t.message(5, a);
  } else if ('image' in f) {
    t.message(4, new Enc().varint(1, f.image[0]).varint(2, f.image[1]).varint(3, COLOR[f.colorSpace ?? 'RGB']));
  } else if ('dictionary' in f) {
    t.message(6, new Enc().message(f.dictionary === 'int64' ? 1 : 2, new Enc()));
  } else {
    t.message(f.scalar === 'int64' ? 1 : f.scalar === 'double' ? 2 : 3, new Enc());
  }
  return t;
}

export function description(inputs: Feature[], outputs: Feature[], extra: (d: Enc) => void = () => undefined): Enc {
  const d = new Enc();
  for (const f of inputs) d.message(1, new Enc().string(1, f.name).message(3, featureType(f)));
  for (const f of outputs) d.message(10, new Enc().string(1, f.name).message(3, featureType(f)));
  extra(d);
  return d;
}

/** A Model message: version, description and one model type (field number → its message). */
export function model(version: number, desc: Enc, type: number, body: Enc): Enc {
  return new Enc().varint(1, version).message(2, desc).message(type, body);
}

export const MODEL = { pipeline: 202, glmClassifier: 400, neuralNetworkClassifier: 403, neuralNetwork: 500, mlProgram: 502, visionFeaturePrint: 2002 } as const;

// ------------------------------------------------------------------ neuralNetwork layers (NeuralNetwork.proto)

/** WeightParams: float32 (packed), float16, n-bit linear or lookup-table quantised. */
export type Weights = { f32: number } | { f16: number } | { bits: number; count: number; lut?: boolean; channels?: number };

export function weightParams(w: Weights): Enc {
  if ('f32' in w) return new Enc().bytes(1, { zeros: w.f32 * 4 });
  if ('f16' in w) return new Enc().bytes(2, { zeros: w.f16 * 2 });
  const q = new Enc().varint(1, w.bits);
  if (w.lut) q.message(102, new Enc().packedFloats(1, Array(2 ** w.bits).fill(0.5)));
  else q.message(101, new Enc().packedFloats(1, Array(w.channels ?? 1).fill(0.1)).packedFloats(2, Array(w.channels ?? 1).fill(0)));
  return new Enc().bytes(30, { zeros: Math.ceil((w.count * w.bits) / 8) }).message(40, q);
}

export interface Layer {
  name: string;
  inputs: string[];
  outputs: string[];
  /** The layer oneof field number and its params message (0: no type at all, as a damaged or future file). */
  type: number;
  params: Enc;
}

export function layer(l: Layer): Enc {
  const m = new Enc().string(1, l.name);
  for (const i of l.inputs) m.string(2, i);
  for (const o of l.outputs) m.string(3, o);
  return l.type === 0 ? m : m.message(l.type, l.params);
}

type Pad = 'same' | 'valid' | [top: number, bottom: number, left: number, right: number];

function border(p: [number, number, number, number]): Enc {
  return new Enc().message(10, new Enc().varint(1, p[0]).varint(2, p[1])).message(10, new Enc().varint(1, p[2]).varint(2, p[3]));
}

function padding(e: Enc, validField: number, p: Pad): void {
  if (p === 'same') e.message(validField + 1, new Enc());
  else e.message(validField, new Enc().message(1, border(p === 'valid' ? [0, 0, 0, 0] : p)));
}

export const nn = {
  conv(name: string, x: string, y: string, o: { out: number; in: number; k: [number, number]; stride?: [number, number]; groups?: number; pad?: Pad; bias?: boolean; weights?: Weights; deconv?: boolean }): Layer {
    const groups = o.groups ?? 1;
    const kc = o.deconv ? o.in : o.in / groups;
    const count = o.out * kc * o.k[0] * o.k[1];
    const p = new Enc().varint(1, o.out).varint(2, kc).varint(10, groups).packedVarints(20, o.k).packedVarints(30, o.stride ?? [1, 1]);
    padding(p, 50, o.pad ?? 'valid');
    if (o.deconv) p.varint(60, 1);
    if (o.bias !== false) p.varint(70, 1);
    p.message(90, weightParams(o.weights ?? { f32: count }));
    if (o.bias !== false) p.message(91, weightParams({ f32: o.out }));
    return { name, inputs: [x], outputs: [y], type: 100, params: p };
  },
  pool(name: string, x: string, y: string, o: { type?: 'max' | 'avg'; k?: [number, number]; stride?: [number, number]; pad?: Pad; global?: boolean }): Layer {
    const p = new Enc().varint(1, o.type === 'avg' ? 1 : 0).packedVarints(10, o.k ?? [2, 2]).packedVarints(20, o.stride ?? o.k ?? [2, 2]);
    padding(p, 30, o.pad ?? 'valid');
    if (o.global) p.varint(60, 1);
    return { name, inputs: [x], outputs: [y], type: 120, params: p };
  },
  activation(name: string, x: string, y: string, kind: 'ReLU' | 'sigmoid' | 'tanh' = 'ReLU'): Layer {
    const field = { ReLU: 10, tanh: 30, sigmoid: 40 }[kind];
    return { name, inputs: [x], outputs: [y], type: 130, params: new Enc().message(field, new Enc()) };
  },
  innerProduct(name: string, x: string, y: string, inC: number, outC: number, weights: Weights = { f32: inC * outC }): Layer {
    const p = new Enc().varint(1, inC).varint(2, outC).varint(10, 1).message(20, weightParams(weights)).message(21, weightParams({ f32: outC }));
    return { name, inputs: [x], outputs: [y], type: 140, params: p };
  },
  batchnorm(name: string, x: string, y: string, channels: number): Layer {
    const p = new Enc().varint(1, channels);
    for (const f of [15, 16, 17, 18]) p.message(f, weightParams({ f32: channels }));
    return { name, inputs: [x], outputs: [y], type: 160, params: p };
  },
  add(name: string, xs: string[], y: string): Layer {
    return { name, inputs: xs, outputs: [y], type: 230, params: new Enc() };
  },
  concat(name: string, xs: string[], y: string): Layer {
    return { name, inputs: xs, outputs: [y], type: 320, params: new Enc() };
  },
  flatten(name: string, x: string, y: string): Layer {
    return { name, inputs: [x], outputs: [y], type: 301, params: new Enc() };
  },
  softmax(name: string, x: string, y: string): Layer {
    return { name, inputs: [x], outputs: [y], type: 175, params: new Enc() };
  },
  upsample(name: string, x: string, y: string, f: [number, number], bilinear = false): Layer {
    return { name, inputs: [x], outputs: [y], type: 210, params: new Enc().packedVarints(1, f).varint(5, bilinear ? 1 : 0) };
  },
  padding(name: string, x: string, y: string, p: [number, number, number, number]): Layer {
    return { name, inputs: [x], outputs: [y], type: 200, params: new Enc().message(1, new Enc()).message(10, border(p)) };
  },
  lstm(name: string, x: string, y: string, input: number, hidden: number, sequenceOutput = false): Layer {
    const w = new Enc();
    for (const f of [1, 2, 3, 4]) w.message(f, weightParams({ f32: hidden * input }));
    for (const f of [20, 21, 22, 23]) w.message(f, weightParams({ f32: hidden * hidden }));
    for (const f of [40, 41, 42, 43]) w.message(f, weightParams({ f32: hidden }));
    const p = new Enc().varint(1, input).varint(2, hidden).message(15, new Enc().varint(10, sequenceOutput ? 1 : 0).varint(20, 1)).message(20, w);
    return { name, inputs: [x], outputs: [y], type: 420, params: p };
  },
  custom(name: string, x: string, y: string, className: string): Layer {
    return { name, inputs: [x], outputs: [y], type: 500, params: new Enc().string(10, className) };
  },
  /** A layer that names no type (no field of the layer oneof). */
  untyped(name: string, x: string, y: string): Layer {
    return { name, inputs: [x], outputs: [y], type: 0, params: new Enc() };
  },
  /** A loop running `times` iterations of a body network (no condition). */
  loop(name: string, times: number, body: Layer[]): Layer {
    return { name, inputs: [], outputs: [], type: 615, params: new Enc().varint(1, times).message(4, network(body)) };
  },
};

export function network(layers: Layer[], exactArrays = false): Enc {
  const n = new Enc();
  for (const l of layers) n.message(1, layer(l));
  if (exactArrays) n.varint(5, 1);
  return n;
}

// ------------------------------------------------------------------ MIL programs (MIL.proto)

export const MIL_TYPES = { BOOL: 1, STRING: 2, FLOAT16: 10, FLOAT32: 11, INT8: 21, INT32: 23, UINT8: 31, UINT4: 35, UINT2: 36 } as const;
export type MilDtype = keyof typeof MIL_TYPES;
export type MilShape = (number | '?')[];

export function tensorType(dtype: MilDtype, shape: MilShape): Enc {
  const t = new Enc().varint(1, MIL_TYPES[dtype]).varint(2, shape.length);
  for (const d of shape) t.message(3, d === '?' ? new Enc().message(2, new Enc()) : new Enc().message(1, new Enc().varint(1, d)));
  return new Enc().message(1, t);
}

function listType(dtype: MilDtype, elem: MilShape, length: number | '?'): Enc {
  const len = length === '?' ? new Enc().message(2, new Enc()) : new Enc().message(1, new Enc().varint(1, length));
  return new Enc().message(2, new Enc().message(1, tensorType(dtype, elem)).message(2, len));
}

/** An immediate tensor value: ints (INT32), floats (FLOAT32), bools or strings. */
export function immediate(v: { ints: number[]; shape?: number[] } | { floats: number[]; shape?: number[] } | { bools: boolean[] } | { strings: string[] }): Enc {
  let dtype: MilDtype;
  let body: Enc;
  let shape: number[];
  if ('ints' in v) {
    dtype = 'INT32';
    body = new Enc().message(2, new Enc().packedVarints(1, v.ints));
    shape = v.shape ?? (v.ints.length === 1 ? [] : [v.ints.length]);
  } else if ('floats' in v) {
    dtype = 'FLOAT32';
    body = new Enc().message(1, new Enc().packedFloats(1, v.floats));
    shape = v.shape ?? (v.floats.length === 1 ? [] : [v.floats.length]);
  } else if ('bools' in v) {
    dtype = 'BOOL';
    body = new Enc().message(3, new Enc().packedVarints(1, v.bools.map(Number)));
    shape = v.bools.length === 1 ? [] : [v.bools.length];
  } else {
    dtype = 'STRING';
    const s = new Enc();
    for (const x of v.strings) s.string(1, x);
    body = new Enc().message(4, s);
    shape = v.strings.length === 1 ? [] : [v.strings.length];
  }
  return new Enc().message(2, tensorType(dtype, shape)).message(3, new Enc().message(1, body));
}

export function blobValue(dtype: MilDtype, shape: number[], offset: number, fileName = '@model_path/weights/weight.bin'): Enc {
  return new Enc().message(2, tensorType(dtype, shape)).message(5, new Enc().string(1, fileName).varint(2, offset));
}

type Arg = string | string[] | Enc;
export interface MilOp {
  type: string;
  inputs?: Record<string, Arg>;
  outputs: { name: string; dtype: MilDtype; shape: MilShape; list?: number | '?' }[];
  attributes?: Record<string, Enc>;
  blocks?: MilBlock[];
}
export interface MilBlock {
  inputs?: { name: string; dtype: MilDtype; shape: MilShape; list?: number | '?' }[];
  outputs: string[];
  ops: MilOp[];
}

function namedType(o: { name: string; dtype: MilDtype; shape: MilShape; list?: number | '?' }): Enc {
  return new Enc().string(1, o.name).message(2, o.list !== undefined ? listType(o.dtype, o.shape, o.list) : tensorType(o.dtype, o.shape));
}

function operation(op: MilOp): Enc {
  const m = new Enc().string(1, op.type);
  for (const [k, v] of Object.entries(op.inputs ?? {})) {
    const arg = new Enc();
    const names = typeof v === 'string' ? [v] : Array.isArray(v) ? v : null;
    if (names) for (const n of names) arg.message(1, new Enc().string(1, n));
    else arg.message(1, new Enc().message(2, v as Enc));
    m.message(2, new Enc().string(1, k).message(2, arg));
  }
  for (const o of op.outputs) m.message(3, namedType(o));
  for (const b of op.blocks ?? []) m.message(4, block(b));
  const attrs = { name: immediate({ strings: [op.outputs[0]?.name ?? op.type] }), ...(op.attributes ?? {}) };
  for (const [k, v] of Object.entries(attrs)) m.message(5, new Enc().string(1, k).message(2, v));
  return m;
}

function block(b: MilBlock): Enc {
  const m = new Enc();
  for (const i of b.inputs ?? []) m.message(1, namedType(i));
  for (const o of b.outputs) m.string(2, o);
  for (const op of b.ops) m.message(3, operation(op));
  return m;
}

/** A const op: an immediate value or a blob in the weights file. */
export function milConst(name: string, dtype: MilDtype, shape: number[], value: Enc): MilOp {
  return { type: 'const', outputs: [{ name, dtype, shape }], attributes: { val: value } };
}

/** Program { version 1, functions { main: Function { inputs, opset, block_specializations { opset: block } } } }. */
export function program(inputs: { name: string; dtype: MilDtype; shape: MilShape }[], main: MilBlock, opset = 'CoreML7'): Enc {
  const fn = new Enc();
  for (const i of inputs) fn.message(1, namedType(i));
  fn.string(2, opset).message(3, new Enc().string(1, opset).message(2, block(main)));
  return new Enc().varint(1, 1).message(2, new Enc().string(1, 'main').message(2, fn));
}

// ------------------------------------------------------------------ blob storage (MILBlob StorageFormat.hpp)

export const BLOB_TYPES = { FLOAT16: 1, FLOAT32: 2, UINT8: 3, INT8: 4, UINT4: 11, UINT2: 10, INT32: 14 } as const;

/** Writes weight.bin: a 64-byte header, then per blob a 64-byte metadata record and its data, 64-byte aligned. */
export class BlobWriter {
  private readonly parts: Buffer[] = [Buffer.alloc(64)];
  private size = 64;
  private count = 0;

  /** Appends a blob of `bytes` bytes (zeros) of a type; returns the offset of its metadata (what a const names). */
  add(type: keyof typeof BLOB_TYPES, bytes: number, opts: { paddingBits?: number; sentinel?: number; declaredSize?: number; dataOffset?: number } = {}): number {
    const at = this.size;
    const meta = Buffer.alloc(64);
    meta.writeUInt32LE(opts.sentinel ?? 0xdeadbeef, 0);
    meta.writeUInt32LE(BLOB_TYPES[type], 4);
    meta.writeBigUInt64LE(BigInt(opts.declaredSize ?? bytes), 8);
    meta.writeBigUInt64LE(BigInt(opts.dataOffset ?? at + 64), 16);
    meta.writeBigUInt64LE(BigInt(opts.paddingBits ?? 0), 24);
    const data = Buffer.alloc(Math.ceil(bytes / 64) * 64);
    this.parts.push(meta, data);
    this.size += 64 + data.length;
    this.count++;
    return at;
  }

  toBuffer(opts: { version?: number; count?: number } = {}): Buffer {
    const out = Buffer.concat(this.parts);
    out.writeUInt32LE(opts.count ?? this.count, 0);
    out.writeUInt32LE(opts.version ?? 2, 4);
    return out;
  }
}

// ------------------------------------------------------------------ .mlpackage folders

export interface PackageOptions {
  /** Manifest item path of the specification (default com.apple.CoreML/model.mlmodel). */
  specPath?: string;
  /** Manifest item path of the weights folder (default com.apple.CoreML/weights). */
  weightsPath?: string;
  /** Leave weights/weight.bin out. */
  noWeights?: boolean;
}

/** Writes an .mlpackage folder: Manifest.json, the specification and (when given) weights/weight.bin. */
export function writeMlpackage(dir: string, spec: Buffer, weights: Buffer | null, o: PackageOptions = {}): string {
  const specPath = o.specPath ?? 'com.apple.CoreML/model.mlmodel';
  const weightsPath = o.weightsPath ?? 'com.apple.CoreML/weights';
  fs.mkdirSync(path.join(dir, 'Data', 'com.apple.CoreML'), { recursive: true });
  const manifest = {
    fileFormatVersion: '1.0.0',
    itemInfoEntries: {
      'A1B2C3D4-0000-0000-0000-000000000001': { author: 'com.apple.CoreML', description: 'CoreML Model Weights', name: 'weights', path: weightsPath },
      'A1B2C3D4-0000-0000-0000-000000000002': { author: 'com.apple.CoreML', description: 'CoreML Model Specification', name: 'model.mlmodel', path: specPath },
    },
    rootModelIdentifier: 'A1B2C3D4-0000-0000-0000-000000000002',
  };
  fs.writeFileSync(path.join(dir, 'Manifest.json'), JSON.stringify(manifest, null, 4));
  const specFile = path.join(dir, 'Data', specPath);
  if (!specPath.includes('..')) {
    fs.mkdirSync(path.dirname(specFile), { recursive: true });
    fs.writeFileSync(specFile, spec);
  }
  if (weights && !o.noWeights) {
    fs.mkdirSync(path.join(dir, 'Data', 'com.apple.CoreML', 'weights'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'Data', 'com.apple.CoreML', 'weights', 'weight.bin'), weights);
  }
  return dir;
}
