/**
 * An ONNX ModelProto opened for rewriting: the main graph's nodes, initializers, inputs, outputs and value_info
 * decoded far enough to edit them, everything else kept as the bytes it was read as. Serialising writes the
 * fields in field-number order (the order protobuf serialisers write), each untouched element with its original
 * bytes, so a model read and written without edits comes back byte for byte, and an edit changes only what it
 * touches: other nodes, opsets, metadata, subgraphs and external-data references survive as they were.
 *
 * Reading goes through the analyzer's bounded ProtoReader (a hostile file fails with a ModelFileError);
 * writing through ProtoWriter. Nodes, attributes and tensors are treated as immutable once read: an edit
 * replaces the object (new ones carry no original bytes and are encoded from their fields).
 */
import { BufferSource, ProtoReader, WireType, type MessageRange, type ProtoField } from '../../analyzers/io/protobuf';
import { ProtoWriter } from '../../analyzers/io/proto-writer';
import { ModelFileError } from '../../analyzers/errors';

/** TensorProto.DataType codes used by the writers. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT4: 21, INT4: 22 } as const;

/** AttributeProto.AttributeType codes. */
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, GRAPHS: 10 } as const;

/** A field kept as read: re-emitted as tag + (length) + payload. */
export interface RawField {
  field: number;
  wire: WireType;
  payload: Buffer;
}

export interface OnnxTensor {
  name: string;
  dataType: number;
  dims: number[];
  /** The TensorProto bytes: the original ones, or the encoding of a tensor made by makeTensor. */
  payload: Buffer;
  /** data_location = EXTERNAL: the external_data entries (location, offset, length ...). */
  external?: Record<string, string>;
}

export interface OnnxAttr {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: string;
  ints?: number[];
  floats?: number[];
  t?: OnnxTensor;
  /** Holds a subgraph (GRAPH / GRAPHS): such attributes are never re-encoded, only kept. */
  graphs: Buffer[];
  /** The AttributeProto bytes as read; absent for attributes made by an edit. */
  original?: Buffer;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: OnnxAttr[];
  /** doc_string and any field not decoded, kept. */
  extra: RawField[];
  /** The NodeProto bytes as read, and the signature they were read with (an edit changes the signature). */
  original?: { payload: Buffer; signature: string };
}

export interface OnnxValueInfo {
  name: string;
  /** tensor_type.elem_type, or null for non-tensor types and missing types. */
  elemType: number | null;
  payload: Buffer;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
  /** name, doc_string, sparse_initializer, quantization_annotation, metadata ... as read. */
  other: RawField[];
}

export interface OnnxModel {
  file: string;
  /** Top-level fields other than the graph (7) and opset_import (8), as read. */
  fields: RawField[];
  opsets: { domain: string; version: number; original?: Buffer }[];
  graph: OnnxGraph;
}

// ---------------------------------------------------------------------------------------------
// Reading

function rawField(r: ProtoReader, f: ProtoField): RawField {
  return { field: f.field, wire: f.wire, payload: r.src.read(f.offset, f.length, 'field') };
}

function readDims(r: ProtoReader, f: ProtoField, out: number[]): void {
  r.ints(f, out, 64, 'tensor dims');
}

/** A TensorProto: name, type, dims and, for external data, its entries. The data stays in `payload`. */
export function readTensor(r: ProtoReader, m: MessageRange): OnnxTensor {
  const t: OnnxTensor = { name: '', dataType: 0, dims: [], payload: r.src.read(m.start, m.end - m.start, 'tensor') };
  let external = false;
  const entries: Record<string, string> = {};
  for (const f of r.fields(m, 'tensor')) {
    if (f.field === 1) readDims(r, f, t.dims);
    else if (f.field === 2) t.dataType = r.int(f, 'tensor data_type');
    else if (f.field === 8) t.name = r.string(f, 'tensor name');
    else if (f.field === 13) {
      let k = '';
      let v = '';
      for (const e of r.fields(r.message(f, 'external_data', m), 'external_data')) {
        if (e.field === 1) k = r.string(e, 'key');
        else if (e.field === 2) v = r.string(e, 'value');
      }
      if (k) entries[k] = v;
    } else if (f.field === 14) external = r.int(f, 'data_location') === 1;
  }
  for (const d of t.dims) if (!Number.isSafeInteger(d) || d < 0) r.fail(`tensor "${t.name}" has an invalid dimension ${d}: corrupted`);
  if (external) t.external = entries;
  return t;
}

function readAttr(r: ProtoReader, m: MessageRange): OnnxAttr {
  const a: OnnxAttr = { name: '', type: 0, graphs: [], original: r.src.read(m.start, m.end - m.start, 'attribute') };
  for (const f of r.fields(m, 'attribute')) {
    switch (f.field) {
      case 1: a.name = r.string(f, 'attribute name'); break;
      case 2: a.f = r.float32(f, 'attribute f'); break;
      case 3: a.i = r.int(f, 'attribute i'); break;
      case 4: a.s = r.string(f, 'attribute s'); break;
      case 5: a.t = readTensor(r, r.message(f, 'attribute tensor', m)); break;
      case 6: case 11: a.graphs.push(r.src.read(f.offset, f.length, 'subgraph')); break;
      case 7: r.floats(f, (a.floats ??= []), 1_000_000, 'attribute floats'); break;
      case 8: r.ints(f, (a.ints ??= []), 1_000_000, 'attribute ints'); break;
      case 20: a.type = r.int(f, 'attribute type'); break;
      default: break;
    }
  }
  return a;
}

function signature(n: OnnxNode): string {
  return JSON.stringify([n.name, n.opType, n.domain, n.inputs, n.outputs, n.attrs.map((a) => (a.original ? `=${a.name}` : `+${a.name}`)), n.extra.length]);
}

function readNode(r: ProtoReader, m: MessageRange): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attrs: [], extra: [] };
  for (const f of r.fields(m, 'node')) {
    switch (f.field) {
      case 1: n.inputs.push(r.string(f, 'node input')); break;
      case 2: n.outputs.push(r.string(f, 'node output')); break;
      case 3: n.name = r.string(f, 'node name'); break;
      case 4: n.opType = r.string(f, 'op_type'); break;
      case 5: n.attrs.push(readAttr(r, r.message(f, 'attribute', m))); break;
      case 7: n.domain = r.string(f, 'node domain'); break;
      default: n.extra.push(rawField(r, f));
    }
  }
  if (!n.opType) r.fail('a node has no op_type: corrupted');
  n.original = { payload: r.src.read(m.start, m.end - m.start, 'node'), signature: signature(n) };
  return n;
}

function readValueInfo(r: ProtoReader, m: MessageRange): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: null, payload: r.src.read(m.start, m.end - m.start, 'value_info') };
  for (const f of r.fields(m, 'value_info')) {
    if (f.field === 1) v.name = r.string(f, 'value_info name');
    else if (f.field === 2) {
      for (const tf of r.fields(r.message(f, 'type', m), 'type')) {
        if (tf.field !== 1) continue;
        for (const ef of r.fields(r.message(tf, 'tensor type', m), 'tensor type')) if (ef.field === 1) v.elemType = r.int(ef, 'elem_type');
      }
    }
  }
  return v;
}

/** Opens ModelProto bytes for rewriting. Throws ModelFileError on malformed input. */
export function readOnnxModel(bytes: Buffer, file: string): OnnxModel {
  const r = new ProtoReader(new BufferSource(file, bytes));
  const root = r.root();
  const model: OnnxModel = {
    file,
    fields: [],
    opsets: [],
    graph: { nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [], other: [] },
  };
  let graphs = 0;
  for (const f of r.fields(root, 'model')) {
    if (f.field === 7) {
      graphs++;
      readGraphInto(r, r.message(f, 'graph', root), model.graph);
    } else if (f.field === 8) {
      let domain = '';
      let version = 0;
      for (const of of r.fields(r.message(f, 'opset_import', root), 'opset_import')) {
        if (of.field === 1) domain = r.string(of, 'opset domain');
        else if (of.field === 2) version = r.int(of, 'opset version');
      }
      model.opsets.push({ domain, version, original: r.src.read(f.offset, f.length, 'opset_import') });
    } else model.fields.push(rawField(r, f));
  }
  if (graphs !== 1) throw new ModelFileError(file, graphs === 0 ? 'no graph in the file: not an ONNX model, or corrupted' : 'more than one graph field: corrupted');
  return model;
}

function readGraphInto(r: ProtoReader, m: MessageRange, g: OnnxGraph): void {
  for (const f of r.fields(m, 'graph')) {
    switch (f.field) {
      case 1: g.nodes.push(readNode(r, r.message(f, 'node', m))); break;
      case 5: g.initializers.push(readTensor(r, r.message(f, 'initializer', m))); break;
      case 11: g.inputs.push(readValueInfo(r, r.message(f, 'graph input', m))); break;
      case 12: g.outputs.push(readValueInfo(r, r.message(f, 'graph output', m))); break;
      case 13: g.valueInfo.push(readValueInfo(r, r.message(f, 'value_info', m))); break;
      default: g.other.push(rawField(r, f));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Making new elements

export function makeTensor(name: string, dataType: number, dims: number[], raw: Buffer): OnnxTensor {
  const w = new ProtoWriter();
  for (const d of dims) w.varint(1, d);
  w.varint(2, dataType);
  w.string(8, name);
  w.bytes(9, raw);
  return { name, dataType, dims: [...dims], payload: w.toBuffer() };
}

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  const b = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) b.writeFloatLE(values[i], i * 4);
  return makeTensor(name, DT.FLOAT, dims, b);
}

export const attrInt = (name: string, i: number): OnnxAttr => ({ name, type: ATTR.INT, i, graphs: [] });
export const attrInts = (name: string, ints: number[]): OnnxAttr => ({ name, type: ATTR.INTS, ints, graphs: [] });
export const attrFloat = (name: string, f: number): OnnxAttr => ({ name, type: ATTR.FLOAT, f, graphs: [] });
export const attrTensor = (name: string, t: OnnxTensor): OnnxAttr => ({ name, type: ATTR.TENSOR, t, graphs: [] });

export function makeNode(opType: string, inputs: string[], outputs: string[], name: string, attrs: OnnxAttr[] = [], domain = ''): OnnxNode {
  return { name, opType, domain, inputs, outputs, attrs, extra: [] };
}

/** A copy of `n` with changes: the copy is encoded from its fields (attributes read from the file keep their bytes). */
export function editNode(n: OnnxNode, change: Partial<Pick<OnnxNode, 'name' | 'opType' | 'domain' | 'inputs' | 'outputs' | 'attrs'>>): OnnxNode {
  const copy: OnnxNode = { ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: [...n.attrs], ...change };
  delete copy.original;
  return copy;
}

export function getAttr(n: OnnxNode, name: string): OnnxAttr | undefined {
  return n.attrs.find((a) => a.name === name);
}

/** A value_info with only a name: onnxruntime infers the type (used to expose intermediate tensors as outputs). */
export function nameOnlyValueInfo(name: string): OnnxValueInfo {
  return { name, elemType: null, payload: new ProtoWriter().string(1, name).toBuffer() };
}

/** A copy of a value_info with another name and/or elem_type, its shape and doc_string kept. */
export function retypeValueInfo(v: OnnxValueInfo, change: { name?: string; elemType?: number }): OnnxValueInfo {
  const reader = new ProtoReader(new BufferSource(v.name || 'value_info', v.payload));
  const root = reader.root();
  const w = new ProtoWriter();
  for (const f of reader.fields(root, 'value_info')) {
    if (f.field === 1) w.string(1, change.name ?? v.name);
    else if (f.field === 2 && change.elemType !== undefined) {
      const type = new ProtoWriter();
      for (const tf of reader.fields(reader.message(f, 'type', root), 'type')) {
        if (tf.field !== 1) {
          type.raw(encodeRaw(rawField(reader, tf)));
          continue;
        }
        const tensorType = new ProtoWriter();
        for (const ef of reader.fields(reader.message(tf, 'tensor type', root), 'tensor type')) {
          if (ef.field === 1) tensorType.varint(1, change.elemType);
          else tensorType.raw(encodeRaw(rawField(reader, ef)));
        }
        type.message(1, tensorType);
      }
      w.message(2, type);
    } else w.raw(encodeRaw(rawField(reader, f)));
  }
  return { name: change.name ?? v.name, elemType: change.elemType ?? v.elemType, payload: w.toBuffer() };
}

// ---------------------------------------------------------------------------------------------
// Writing

function encodeRaw(f: RawField): Buffer {
  const tag = ProtoWriter.varint(f.field * 8 + f.wire);
  if (f.wire === WireType.LengthDelimited) return Buffer.concat([tag, ProtoWriter.varint(f.payload.length), f.payload]);
  return Buffer.concat([tag, f.payload]);
}

function encodeAttr(a: OnnxAttr): ProtoWriter {
  if (a.original) return new ProtoWriter().raw(a.original);
  if (a.graphs.length) throw new Error(`internal: attribute ${a.name} holds a subgraph and cannot be re-encoded`);
  const w = new ProtoWriter().string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f);
  if (a.i !== undefined) w.varint(3, a.i);
  if (a.s !== undefined) w.string(4, a.s);
  if (a.t) w.bytes(5, a.t.payload);
  for (const v of a.floats ?? []) w.float(7, v);
  for (const v of a.ints ?? []) w.varint(8, v);
  w.varint(20, a.type);
  return w;
}

export function encodeNode(n: OnnxNode): Buffer {
  if (n.original && n.original.signature === signature(n)) return n.original.payload;
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attrs) w.message(5, encodeAttr(a));
  for (const f of n.extra.filter((e) => e.field < 7)) w.raw(encodeRaw(f));
  if (n.domain) w.string(7, n.domain);
  for (const f of n.extra.filter((e) => e.field >= 7)) w.raw(encodeRaw(f));
  return w.toBuffer();
}

/**
 * Emits (field, bytes) pairs sorted by field number, keeping the order within a field. Payloads (a model's weights)
 * are appended as chunks, never copied: the one copy is the caller's final toBuffer.
 */
function emitSorted(w: ProtoWriter, items: { field: number; bytes: Buffer | ProtoWriter; wire: WireType }[]): void {
  const sorted = items.map((it, i) => ({ ...it, i })).sort((a, b) => a.field - b.field || a.i - b.i);
  for (const it of sorted) {
    if (it.bytes instanceof ProtoWriter) w.message(it.field, it.bytes);
    else if (it.wire === WireType.LengthDelimited) w.bytes(it.field, it.bytes);
    else w.raw(ProtoWriter.varint(it.field * 8 + it.wire)).raw(it.bytes);
  }
}

function encodeGraph(g: OnnxGraph): ProtoWriter {
  const LD = WireType.LengthDelimited;
  const items: { field: number; bytes: Buffer | ProtoWriter; wire: WireType }[] = [
    ...g.nodes.map((n) => ({ field: 1, bytes: encodeNode(n), wire: LD })),
    ...g.initializers.map((t) => ({ field: 5, bytes: t.payload, wire: LD })),
    ...g.inputs.map((v) => ({ field: 11, bytes: v.payload, wire: LD })),
    ...g.outputs.map((v) => ({ field: 12, bytes: v.payload, wire: LD })),
    ...g.valueInfo.map((v) => ({ field: 13, bytes: v.payload, wire: LD })),
    ...g.other.map((f) => ({ field: f.field, bytes: f.payload, wire: f.wire })),
  ];
  const w = new ProtoWriter();
  emitSorted(w, items);
  return w;
}

export function writeOnnxModel(m: OnnxModel): Buffer {
  const LD = WireType.LengthDelimited;
  const opset = (o: OnnxModel['opsets'][number]): Buffer => o.original ?? new ProtoWriter().string(1, o.domain).varint(2, o.version).toBuffer();
  const items = [
    ...m.fields.map((f) => ({ field: f.field, bytes: f.payload, wire: f.wire })),
    { field: 7, bytes: encodeGraph(m.graph), wire: LD },
    ...m.opsets.map((o) => ({ field: 8, bytes: opset(o), wire: LD })),
  ];
  const w = new ProtoWriter();
  emitSorted(w, items);
  return w.toBuffer();
}

/** The opset version of a domain ('' = ai.onnx), or undefined when not imported. */
export function opsetOf(m: OnnxModel, domain: string): number | undefined {
  const d = domain === 'ai.onnx' ? '' : domain;
  return m.opsets.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d)?.version;
}

/** Imports a domain at `version` when it is not imported yet (existing imports are never changed). */
export function ensureOpset(m: OnnxModel, domain: string, version: number): void {
  if (opsetOf(m, domain) === undefined) m.opsets.push({ domain, version });
}
