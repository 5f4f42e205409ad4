/**
 * ONNX ModelProto → ModelGraph, walking the protobuf lazily (field numbers from onnx.proto).
 *
 * - Main graph and every If/Loop/Scan body (GRAPH / GRAPHS attributes) to any depth up to
 *   LIMITS.maxSubgraphDepth, each a Subgraph with parentId/owner.
 * - Initializers, sparse initializers and Constant-node tensors are constants (elements, storedBytes,
 *   dataOffset); their bytes are skipped, except small ones (shape vectors, axes, quant scales).
 * - External data is resolved and stat()ed, never read; a missing or refused file becomes
 *   ExternalDataRef.problem plus one warning per file, and reading goes on.
 */
import * as path from 'path';
import { LIMITS, ModelFileError } from '../errors';
import type { AttrValue, GraphNode, ModelGraph, Shape, Subgraph, TensorInfo } from '../graph';
import type { ReaderOptions } from '../reader';
import { AnalysisCancelled } from '../profile-types';
import { ProtoReader, type ByteSource, type MessageRange, type ProtoField } from '../io/protobuf';
import { onnxDtype, UNKNOWN_DTYPE } from './dtypes';
import { resolveExternal } from './external';
import { decodeValues, parseSparseTensor, parseStringEntries, parseTensor, type ParsedTensor, type TensorDataRef } from './tensor';
import { MAX_FOLDED_ELEMENTS, setValues } from './values';
import { attachQuantParams } from './quant';
import { Interner } from '../names';
import { emptyRecord } from '../safe-record';

const MAX_ATTR_VALUES = 1_000_000;
const MAX_ATTR_STRING = 1024;
const MAX_RANK = 64;

interface ReadContext {
  r: ProtoReader;
  g: ModelGraph;
  opts: ReaderOptions;
  dataRefs: Map<TensorInfo, TensorDataRef>;
  nodeCount: number;
  /** Node inputs and outputs so far (all subgraphs), against LIMITS.maxNodeRefs. */
  nodeRefs: number;
  tensorCount: number;
  /** External files with problems: location → { problem, tensors, bytes }. */
  externalProblems: Map<string, { problem: string; tensors: number; bytes: number }>;
  lastProgress: number;
  /** One string per distinct op type and domain. */
  ops: Interner;
}

function unknownTensor(name: string): TensorInfo {
  return { name, shape: null, dtype: UNKNOWN_DTYPE.name, precision: UNKNOWN_DTYPE.precision, bitsPerElement: null, isConstant: false };
}

/** ValueInfoProto → TensorInfo (non-tensor types keep their kind as dtype, shape null). */
function parseValueInfo(ctx: ReadContext, m: MessageRange): TensorInfo {
  const { r } = ctx;
  let name = '';
  let t = unknownTensor('');
  for (const f of r.fields(m, 'value_info')) {
    if (f.field === 1) name = r.name(f, 'value_info name');
    else if (f.field === 2) t = parseTypeProto(ctx, r.message(f, 'type', m));
  }
  t.name = name;
  return t;
}

function parseTypeProto(ctx: ReadContext, m: MessageRange): TensorInfo {
  const { r } = ctx;
  const t = unknownTensor('');
  for (const f of r.fields(m, 'type')) {
    if (f.field === 1 || f.field === 8) {
      // tensor_type / sparse_tensor_type: elem_type 1, shape 2
      for (const tf of r.fields(r.message(f, 'tensor type', m), 'tensor type')) {
        if (tf.field === 1) {
          const dt = onnxDtype(r.int(tf, 'elem_type'));
          t.dtype = dt.name;
          t.precision = dt.precision;
          t.bitsPerElement = dt.bits;
        } else if (tf.field === 2) t.shape = parseShape(ctx, r.message(tf, 'shape', m));
      }
    } else if (f.field === 4) t.dtype = 'SEQUENCE';
    else if (f.field === 5) t.dtype = 'MAP';
    else if (f.field === 9) t.dtype = 'OPTIONAL';
  }
  return t;
}

function parseShape(ctx: ReadContext, m: MessageRange): Shape {
  const { r } = ctx;
  const shape: Shape = [];
  for (const f of r.fields(m, 'shape')) {
    if (f.field !== 1) continue;
    if (shape.length >= MAX_RANK) r.fail(`tensor shape has more than ${MAX_RANK} dimensions: corrupted`);
    let d: number | string = '?';
    for (const df of r.fields(r.message(f, 'dim', m), 'dim')) {
      if (df.field === 1) {
        const v = r.int(df, 'dim_value');
        d = v >= 0 ? v : '?';
      } else if (df.field === 2) {
        const s = r.name(df, 'dim_param');
        d = s.length ? s.slice(0, 256) : '?';
      }
    }
    shape.push(d);
  }
  return shape;
}

function registerConstant(ctx: ReadContext, sg: Subgraph, p: ParsedTensor): TensorInfo {
  const t = p.info;
  if (p.externalEntries) {
    t.external = resolveExternal(p.externalEntries, ctx.g.file, ctx.opts.externalDataRoot);
    if (t.external.problem) {
      const key = `${t.external.location}\u0000${t.external.problem}`;
      const e = ctx.externalProblems.get(key) ?? { problem: t.external.problem, tensors: 0, bytes: 0 };
      e.tensors++;
      e.bytes += t.storedBytes ?? 0;
      ctx.externalProblems.set(key, e);
    }
  } else {
    const v = decodeValues(ctx.r, p.data, MAX_FOLDED_ELEMENTS);
    if (v) setValues(t, v);
  }
  ctx.dataRefs.set(t, p.data);
  if (++ctx.tensorCount > LIMITS.maxTensors) ctx.r.fail(`more than ${LIMITS.maxTensors} tensors: refusing`);
  sg.tensors.set(t.name, t);
  return t;
}

function progress(ctx: ReadContext, at: number): void {
  if (!ctx.opts.onProgress || ctx.nodeCount - ctx.lastProgress < 500) return;
  ctx.lastProgress = ctx.nodeCount;
  if (ctx.opts.onProgress(Math.min(0.99, at / Math.max(1, ctx.r.src.size)), 'Reading ONNX graph') === true) throw new AnalysisCancelled();
}

function parseGraph(ctx: ReadContext, m: MessageRange, id: string, depth: number, parentId?: string, owner?: string): Subgraph {
  const { r } = ctx;
  if (depth > LIMITS.maxSubgraphDepth) r.fail(`subgraphs nested deeper than ${LIMITS.maxSubgraphDepth} levels: refusing`);
  const sg: Subgraph = { id, name: '', nodes: [], tensors: new Map(), inputs: [], outputs: [], parentId, owner };
  if (parentId !== undefined) ctx.g.subgraphs.push(sg);
  const nodeFields: ProtoField[] = [];
  const initFields: ProtoField[] = [];
  const sparseFields: ProtoField[] = [];
  const inputFields: ProtoField[] = [];
  const outputFields: ProtoField[] = [];
  const valueInfoFields: ProtoField[] = [];
  for (const f of r.fields(m, 'graph')) {
    switch (f.field) {
      case 1: nodeFields.push(f); break;
      case 2: sg.name = r.name(f, 'graph name'); break;
      case 5: initFields.push(f); break;
      case 11: inputFields.push(f); break;
      case 12: outputFields.push(f); break;
      case 13: valueInfoFields.push(f); break;
      case 15: sparseFields.push(f); break;
      default: break;
    }
  }
  if (ctx.nodeCount + nodeFields.length > LIMITS.maxNodes) r.fail(`more than ${LIMITS.maxNodes} nodes: refusing`);

  const inputs = inputFields.map((f) => parseValueInfo(ctx, r.message(f, 'graph input', m)));
  for (const t of inputs) sg.tensors.set(t.name, t);
  const initNames = new Set<string>();
  initFields.forEach((f, i) => {
    const p = parseTensor(r, r.message(f, 'initializer', m), `${id}.initializer_${i}`);
    const declared = sg.tensors.get(p.info.name);
    if (declared && declared.dtype === UNKNOWN_DTYPE.name) declared.dtype = p.info.dtype;
    registerConstant(ctx, sg, p);
    initNames.add(p.info.name);
  });
  sparseFields.forEach((f, i) => {
    const p = parseSparseTensor(r, r.message(f, 'sparse initializer', m), `${id}.sparse_initializer_${i}`);
    registerConstant(ctx, sg, p);
    initNames.add(p.info.name);
  });
  // Graph inputs that are initializers (IR < 4 lists every weight as an input) are not model inputs.
  sg.inputs = inputs.map((t) => t.name).filter((n) => !initNames.has(n));
  const outputs = outputFields.map((f) => parseValueInfo(ctx, r.message(f, 'graph output', m)));
  for (const vi of valueInfoFields.map((f) => parseValueInfo(ctx, r.message(f, 'value_info', m)))) {
    if (!sg.tensors.has(vi.name)) sg.tensors.set(vi.name, vi);
  }
  for (const t of outputs) {
    const existing = sg.tensors.get(t.name);
    if (!existing) sg.tensors.set(t.name, t);
    else if (!existing.isConstant && existing.shape === null) sg.tensors.set(t.name, { ...existing, ...t });
  }
  sg.outputs = outputs.map((t) => t.name);

  nodeFields.forEach((f, i) => {
    ctx.nodeCount++;
    progress(ctx, f.offset);
    sg.nodes.push(parseNode(ctx, sg, r.message(f, 'node', m), i, depth));
  });
  return sg;
}

function parseNode(ctx: ReadContext, sg: Subgraph, m: MessageRange, index: number, depth: number): GraphNode {
  const { r } = ctx;
  const inputs: string[] = [];
  const outputs: string[] = [];
  let name = '';
  let opType = '';
  let domain = '';
  const attrFields: ProtoField[] = [];
  r.each(m, 'node', (f) => {
    switch (f.field) {
      case 1:
        if (inputs.length >= 100_000) r.fail('node has more than 100000 inputs: refusing');
        inputs.push(r.name(f, 'node input'));
        break;
      case 2:
        if (outputs.length >= 100_000) r.fail('node has more than 100000 outputs: refusing');
        outputs.push(r.name(f, 'node output'));
        break;
      case 3: name = r.name(f, 'node name'); break;
      case 4: opType = r.name(f, 'op_type'); break;
      case 5: attrFields.push({ ...f }); break;
      case 7: domain = r.name(f, 'node domain'); break;
      default: break;
    }
  });
  if (!opType) r.fail(`node ${index} of graph "${sg.name || sg.id}" has no op_type: corrupted`);
  ctx.nodeRefs += inputs.length + outputs.length;
  if (ctx.nodeRefs > LIMITS.maxNodeRefs) r.fail(`nodes have more than ${LIMITS.maxNodeRefs} inputs and outputs in all: refusing`);
  const custom = domain !== '' && domain !== 'ai.onnx';
  // Arrays filled by push keep spare capacity (17 slots for one input): copies sized exactly keep a
  // million-node graph hundreds of MB smaller. Op types repeat, so one string serves every node.
  const node: GraphNode = {
    name: name || `${opType}_${index}`,
    op: ctx.ops.intern(custom ? `${domain}:${opType}` : opType),
    inputs: inputs.slice(),
    outputs: outputs.slice(),
    // Attribute names come from the file: a record without prototype; nodes without attributes share one.
    attrs: attrFields.length ? emptyRecord<AttrValue>() : NO_ATTRS,
  };
  if (domain) node.domain = ctx.ops.intern(domain);
  for (const f of attrFields) parseAttribute(ctx, sg, node, r.message(f, 'attribute', m), depth);

  if (!custom && opType === 'Constant') addConstantNodeTensor(ctx, sg, node);
  for (const o of outputs) if (o && !sg.tensors.has(o)) sg.tensors.set(o, unknownTensor(o));
  return node;
}

const NO_ATTRS: Record<string, AttrValue> = Object.freeze(emptyRecord<AttrValue>());

/** Attribute payloads kept for Constant nodes until the output tensor is made. */
const CONSTANT_PAYLOAD = new WeakMap<GraphNode, { attr: string; tensor?: ParsedTensor; count?: number; dtypeCode?: number; values?: number[]; stringBytes?: number }>();

function parseAttribute(ctx: ReadContext, sg: Subgraph, node: GraphNode, m: MessageRange, depth: number): void {
  const { r } = ctx;
  let name = '';
  let type = 0;
  let f32: number | undefined;
  let i64: number | undefined;
  let s: ProtoField | undefined;
  let t: ProtoField | undefined;
  let sparse: ProtoField | undefined;
  const graphs: ProtoField[] = [];
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: ProtoField[] = [];
  for (const f of r.fields(m, 'attribute')) {
    switch (f.field) {
      case 1: name = r.name(f, 'attribute name'); break;
      case 2: f32 = r.float32(f, 'attribute f'); break;
      case 3: i64 = r.int(f, 'attribute i'); break;
      case 4: s = f; break;
      case 5: t = f; break;
      case 6: graphs.push(f); break;
      case 7: r.floats(f, floats, MAX_ATTR_VALUES, 'attribute floats'); break;
      case 8: r.ints(f, ints, MAX_ATTR_VALUES, 'attribute ints'); break;
      case 9:
        if (strings.length >= MAX_ATTR_VALUES) r.fail('attribute strings: too many values');
        strings.push(f);
        break;
      case 11: graphs.push(f); break;
      case 20: type = r.int(f, 'attribute type'); break;
      case 22: sparse = f; break;
      default: break;
    }
  }
  // Old files may omit `type`: infer it from the field present.
  if (!type) type = t ? 4 : graphs.length ? (graphs.length > 1 ? 10 : 5) : s ? 3 : f32 !== undefined ? 1 : i64 !== undefined ? 2 : floats.length ? 6 : ints.length ? 7 : strings.length ? 8 : sparse ? 11 : 0;
  const str = (f: ProtoField) => (f.length > MAX_ATTR_STRING ? `<${f.length} bytes>` : r.string(f, 'attribute string'));
  const isConstant = node.op === 'Constant';
  let value: AttrValue = null;
  switch (type) {
    case 1: value = f32 ?? 0; break;
    case 2: value = i64 ?? 0; break;
    case 3: value = s ? str(s) : ''; break;
    case 4:
      if (t) {
        const p = parseTensor(r, r.message(t, 'attribute tensor', m), `${node.name}.${name}`);
        const small = decodeValues(r, p.data, MAX_FOLDED_ELEMENTS);
        if (small) setValues(p.info, small);
        value = p.info;
        if (isConstant) CONSTANT_PAYLOAD.set(node, { attr: name, tensor: p });
      }
      break;
    case 11:
      if (sparse) {
        const p = parseSparseTensor(r, r.message(sparse, 'attribute sparse tensor', m), `${node.name}.${name}`);
        value = p.info;
        if (isConstant) CONSTANT_PAYLOAD.set(node, { attr: name, tensor: p });
      }
      break;
    case 5:
    case 10: {
      const ids: string[] = [];
      graphs.forEach((gf, i) => {
        const owner = `${node.name}.${name}${type === 10 ? `[${i}]` : ''}`;
        const sub = parseGraph(ctx, r.message(gf, 'subgraph', m), `${sg.id}/${owner}`, depth + 1, sg.id, owner);
        ids.push(sub.id);
      });
      node.subgraphIds = [...(node.subgraphIds ?? []), ...ids];
      value = type === 5 ? ids[0] ?? null : ids;
      break;
    }
    case 6: value = floats; break;
    case 7: value = ints; break;
    case 8: value = strings.map(str); break;
    default: value = null;
  }
  node.attrs[name] = value;
  if (isConstant) {
    if (name === 'value_float' && f32 !== undefined) CONSTANT_PAYLOAD.set(node, { attr: name, count: 1, dtypeCode: 1, values: [f32] });
    else if (name === 'value_int' && i64 !== undefined) CONSTANT_PAYLOAD.set(node, { attr: name, count: 1, dtypeCode: 7, values: [i64] });
    else if (name === 'value_floats') CONSTANT_PAYLOAD.set(node, { attr: name, count: floats.length, dtypeCode: 1, values: floats });
    else if (name === 'value_ints') CONSTANT_PAYLOAD.set(node, { attr: name, count: ints.length, dtypeCode: 7, values: ints });
    else if (name === 'value_string') CONSTANT_PAYLOAD.set(node, { attr: name, count: 1, dtypeCode: 8, stringBytes: s?.length ?? 0 });
    else if (name === 'value_strings') CONSTANT_PAYLOAD.set(node, { attr: name, count: strings.length, dtypeCode: 8, stringBytes: strings.reduce((a, f) => a + f.length, 0) });
  }
}

/** The output of a Constant node is a constant tensor: counted with the weights. */
function addConstantNodeTensor(ctx: ReadContext, sg: Subgraph, node: GraphNode): void {
  const out = node.outputs[0];
  const payload = CONSTANT_PAYLOAD.get(node);
  if (!out) return;
  if (!payload) {
    ctx.g.warnings.push(`Constant node "${node.name}" has no value attribute; its output is treated as unknown`);
    return;
  }
  if (payload.tensor) {
    payload.tensor.info.name = out;
    registerConstant(ctx, sg, payload.tensor);
    return;
  }
  const dt = onnxDtype(payload.dtypeCode ?? 0);
  const count = payload.count ?? 0;
  const scalar = payload.attr === 'value_float' || payload.attr === 'value_int' || payload.attr === 'value_string';
  const t: TensorInfo = {
    name: out,
    shape: scalar ? [] : [count],
    dtype: dt.name,
    precision: dt.precision,
    bitsPerElement: dt.bits,
    isConstant: true,
    elements: count,
    storedBytes: dt.bits === null ? payload.stringBytes ?? 0 : Math.ceil((count * dt.bits) / 8),
  };
  if (payload.values && payload.values.length <= MAX_FOLDED_ELEMENTS) setValues(t, payload.values);
  if (payload.values) ctx.dataRefs.set(t, { dtypeCode: payload.dtypeCode ?? 0, elements: count, typed: new Map(), external: false });
  if (payload.values) QUANT_VALUES.set(t, payload.values);
  sg.tensors.set(out, t);
}

/** Values of attribute-defined constants (value_floats ...) for quant params beyond the folding size. */
const QUANT_VALUES = new WeakMap<TensorInfo, number[]>();

function parseModel(ctx: ReadContext): void {
  const { r, g } = ctx;
  const root = r.root();
  let graphField: ProtoField | undefined;
  let producer = '';
  let producerVersion = '';
  let functions = 0;
  const extra = emptyRecord<string | number | boolean>();
  const opset = emptyRecord<number>();
  for (const f of r.fields(root, 'model')) {
    switch (f.field) {
      case 1: g.metadata.irVersion = r.int(f, 'ir_version'); break;
      case 2: producer = r.string(f, 'producer_name'); break;
      case 3: producerVersion = r.string(f, 'producer_version'); break;
      case 4: extra.domain = r.string(f, 'model domain'); break;
      case 5: extra.modelVersion = r.int(f, 'model_version'); break;
      case 6: g.metadata.description = f.length > 4096 ? `<${f.length} bytes>` : r.string(f, 'doc_string'); break;
      case 7: graphField = f; break;
      case 8: {
        let domain = '';
        let version = 0;
        for (const of of r.fields(r.message(f, 'opset_import', root), 'opset_import')) {
          if (of.field === 1) domain = r.name(of, 'opset domain');
          else if (of.field === 2) version = r.int(of, 'opset version');
        }
        opset[domain === '' ? 'ai.onnx' : domain] = version;
        break;
      }
      case 14: {
        const e = emptyRecord<string>();
        parseStringEntries(r, r.message(f, 'metadata_props', root), e);
        for (const [k, v] of Object.entries(e)) if (Object.keys(extra).length < 64) extra[`meta.${k}`] = v.length > 512 ? `${v.slice(0, 512)}…` : v;
        break;
      }
      case 25: functions++; break;
      default: break;
    }
  }
  if (!graphField) throw new ModelFileError(g.file, 'no graph in the file (ModelProto field 7 is missing): not an ONNX model, or corrupted');
  if (g.metadata.irVersion === undefined) g.warnings.push('the file states no ir_version');
  if (producer || producerVersion) g.metadata.producer = [producer, producerVersion].filter(Boolean).join(' ');
  g.metadata.opset = opset;
  if (functions) g.warnings.push(`the model defines ${functions} local function(s); nodes that call them are counted as custom ops, their bodies are not costed`);
  g.main = parseGraph(ctx, r.message(graphField, 'graph', root), 'main', 0);
  if (g.main.name) extra.graphName = g.main.name;
  if (Object.keys(extra).length) g.metadata.extra = extra;
}

/** Reads an ONNX model from a byte source (FileSource or BufferSource). Throws ModelFileError on bad input. */
export function readOnnx(src: ByteSource, opts: ReaderOptions = {}): ModelGraph {
  if (src.size === 0) throw new ModelFileError(src.file, 'the file is empty (0 bytes)');
  const r = new ProtoReader(src);
  const g: ModelGraph = {
    format: 'onnx',
    file: path.resolve(src.file),
    bytes: src.size,
    main: { id: 'main', name: '', nodes: [], tensors: new Map(), inputs: [], outputs: [] },
    subgraphs: [],
    metadata: {},
    compiledSegments: [],
    hasComputeGraph: true,
    warnings: [],
  };
  const ctx: ReadContext = { r, g, opts, dataRefs: new Map(), nodeCount: 0, nodeRefs: 0, tensorCount: 0, externalProblems: new Map(), lastProgress: 0, ops: new Interner() };
  parseModel(ctx);
  for (const e of ctx.externalProblems.values()) {
    g.warnings.push(`external data: ${e.problem} (${e.tensors} tensor${e.tensors === 1 ? '' : 's'}, ${e.bytes} bytes); sizes come from the model file, the data was not checked`);
  }
  const shortened = r.names.note();
  if (shortened) g.warnings.push(shortened);
  attachQuantParams(g, (t, max) => {
    const q = QUANT_VALUES.get(t);
    if (q) return q.length <= max ? q : undefined;
    const d = ctx.dataRefs.get(t);
    return d ? decodeValues(r, d, max) : undefined;
  });
  return g;
}
