/**
 * Core ML mlProgram (MIL.proto) → graph: the main function's block becomes the main graph (or, in a pipeline,
 * part of it), every operation a node whose op is the MIL operation type ("conv", "linear", "const" ...).
 * Inputs are kept in file order with their parameter names (attrs.inputParams); small constant parameters
 * (strides, axes, pad_type, shapes) are resolved into attrs by name. Nested blocks (while_loop, cond) are
 * subgraphs. Weights:
 *  - `const` values: immediate bytes in the spec, or a blob in the weights file named by offset — checked
 *    against the blob header (sentinel, data type, size, bounds) with the op's declared tensor type;
 *  - `constexpr_*` ops (compressed weights): the dense tensor they produce, stored as the bytes of their
 *    parameters (palette indices + lookup table, quantised data + scales, sparse mask + values).
 * A while_loop whose trip count is fixed by constants (counter from a constant, `less` than a constant,
 * incremented by 1) records it as attrs.staticTrips; its body's cost then counts that many times.
 */
import { type AttrValue, type GraphNode, type Precision, type Shape, type Subgraph, type TensorInfo, elementCount } from '../graph';
import { LIMITS } from '../errors';
import { type MessageRange, type ProtoField, WireType } from '../io/protobuf';
import { addNode, addTensor, captureOuterInputs, type CoremlCtx, newSubgraph } from './context';
import { milInput } from './mil-node';
import { type MilType, type MilValue, readValue, readValueType } from './mil-types';
import { recordOf } from '../safe-record';

const MAX_BLOCK_DEPTH = 64;

/** Small constant values by var name, per program: numbers (ints, floats, bools) or strings. */
type ConstValues = Map<string, number[] | string[]>;

interface ProgramState {
  consts: ConstValues;
  weightsProblem: string | null;
  weightsWarned: boolean;
  ops: number;
}

/** Reads an mlProgram into `sg` (the main graph, or a pipeline's); other functions become subgraphs. */
export function readProgram(ctx: CoremlCtx, m: MessageRange, sg: Subgraph, prefix: string, defaultFunction: string | null): void {
  const { pr } = ctx;
  const functions: { name: string; range: MessageRange }[] = [];
  for (const f of pr.fields(m, 'mlProgram')) {
    if (f.field === 1 && f.wire === WireType.Varint) ctx.extra[`${prefix}programVersion`] = f.varint;
    if (f.field !== 2) continue;
    const entry = pr.message(f, 'function entry', m);
    let fname = '';
    let fn: MessageRange | null = null;
    for (const e of pr.fields(entry, 'function entry')) {
      if (e.field === 1) fname = ctx.names.take(pr.string(e, 'function name'), 'function names');
      else if (e.field === 2) fn = pr.message(e, 'function', entry);
    }
    if (fn) functions.push({ name: fname, range: fn });
  }
  if (!functions.length) {
    ctx.warnings.push(`${prefix}mlProgram has no functions`);
    return;
  }
  const main = functions.find((f) => f.name === (defaultFunction || 'main')) ?? functions[0];
  const state: ProgramState = { consts: new Map(), weightsProblem: null, weightsWarned: false, ops: 0 };
  readFunction(ctx, state, main.range, main.name, sg, prefix, true);
  for (const f of functions) {
    if (f === main) continue;
    const other = newSubgraph(ctx, sg, `${prefix}function ${f.name}`);
    readFunction(ctx, state, f.range, f.name, other, prefix, false);
  }
  if (functions.length > 1) ctx.extra[`${prefix}functions`] = functions.map((f) => f.name).join(', ');
}

function readFunction(ctx: CoremlCtx, state: ProgramState, fn: MessageRange, fname: string, sg: Subgraph, prefix: string, isMain: boolean): void {
  const { pr } = ctx;
  let opset = '';
  const blocks = new Map<string, MessageRange>();
  const inputs: ProtoField[] = [];
  for (const x of pr.fields(fn, 'function')) {
    if (x.field === 1) inputs.push(x);
    else if (x.field === 2) opset = pr.string(x, 'opset');
    else if (x.field === 3) {
      const be = pr.message(x, 'block specialization', fn);
      let key = '';
      let block: MessageRange | null = null;
      for (const y of pr.fields(be, 'block specialization')) {
        if (y.field === 1) key = pr.string(y, 'opset name');
        else if (y.field === 2) block = pr.message(y, 'block', be);
      }
      if (block) blocks.set(key, block);
    }
  }
  ctx.extra[`${prefix}opset.${fname}`] = opset;
  for (const x of inputs) {
    const { name, type } = readNamedValueType(ctx, pr.message(x, 'function input', fn));
    if (!sg.tensors.has(name)) addTensor(ctx, sg, tensorOf(name, type));
    if (!isMain || !ctx.g.main.inputs.includes(name)) sg.inputs.push(name);
    recordDeclaredInput(ctx, name, type);
  }
  const block = blocks.get(opset) ?? blocks.values().next().value;
  if (!block) return;
  if (blocks.size > 1) ctx.warnings.push(`${prefix}function ${fname} has ${blocks.size} block specializations (${[...blocks.keys()].join(', ')}); the ${opset || 'first'} one is analysed`);
  readBlockOps(ctx, state, block, sg, `${prefix}${fname}/`, 0);
}

/** The MIL type a function input declares (unknown dimensions where the description has flexible ones). */
function recordDeclaredInput(ctx: CoremlCtx, name: string, type: MilType): void {
  if (type.kind !== 'tensor' || !type.shape) return;
  const t = ctx.g.main.tensors.get(name);
  if (!t?.shape || t.shape.length !== type.shape.length) return;
  const symbols = (ctx.g.implicitSymbols ??= {});
  type.shape.forEach((d, i) => {
    const stated = t.shape![i];
    if (d === '?' && typeof stated === 'number' && symbols[`${name}.dim${i}`] === undefined) symbols[`${name}.dim${i}`] = stated;
  });
}

function readNamedValueType(ctx: CoremlCtx, m: MessageRange): { name: string; type: MilType } {
  const { pr } = ctx;
  let name = '';
  let type: MilType = { kind: 'other', what: 'no type' };
  for (const f of pr.fields(m, 'named value type')) {
    if (f.field === 1) name = ctx.names.take(pr.string(f, 'value name'), 'value names');
    else if (f.field === 2) type = readValueType(pr, pr.message(f, 'value type', m));
  }
  return { name, type };
}

/** An activation tensor from a declared MIL type: tensors keep dtype and shape; lists become [length, ...element]. */
function tensorOf(name: string, type: MilType): TensorInfo {
  if (type.kind === 'tensor') {
    return { name, shape: type.shape ? [...type.shape] : null, dtype: type.dtype.name, precision: type.dtype.precision, bitsPerElement: type.dtype.bits, isConstant: false };
  }
  if (type.kind === 'list' && type.elem?.kind === 'tensor') {
    const e = type.elem;
    return {
      name,
      shape: e.shape ? [type.length ?? '?', ...e.shape] : null,
      dtype: `LIST<${e.dtype.name}>`,
      precision: e.dtype.precision,
      bitsPerElement: e.dtype.bits,
      isConstant: false,
    };
  }
  return { name, shape: null, dtype: type.kind === 'other' ? type.what.toUpperCase() : 'LIST', precision: 'other', bitsPerElement: null, isConstant: false };
}

function readBlockOps(ctx: CoremlCtx, state: ProgramState, b: MessageRange, sg: Subgraph, path: string, depth: number): void {
  const { pr } = ctx;
  if (depth > MAX_BLOCK_DEPTH) pr.fail(`mlProgram blocks nest deeper than ${MAX_BLOCK_DEPTH} levels`);
  for (const f of pr.fields(b, 'mlProgram block')) {
    if (f.field === 1 && depth > 0) {
      const { name, type } = readNamedValueType(ctx, pr.message(f, 'block input', b));
      if (!sg.tensors.has(name)) addTensor(ctx, sg, tensorOf(name, type));
      sg.inputs.push(name);
    } else if (f.field === 2) {
      // A nested block's outputs are its results; a function's are the model outputs the description lists.
      const out = ctx.names.take(pr.string(f, 'block output'), 'value names');
      if (depth > 0) sg.outputs.push(out);
    }
    else if (f.field === 3) readOperation(ctx, state, pr.message(f, 'mlProgram operation', b), sg, path, depth);
  }
}

interface Binding {
  param: string;
  name?: string;
  value?: MilValue;
  at?: MessageRange;
}

function readOperation(ctx: CoremlCtx, state: ProgramState, om: MessageRange, sg: Subgraph, path: string, depth: number): void {
  const { pr } = ctx;
  if (++state.ops > LIMITS.maxNodes) pr.fail(`more than ${LIMITS.maxNodes} mlProgram operations`);
  let type = '';
  const bindings: Binding[] = [];
  const outputs: { name: string; type: MilType }[] = [];
  const blocks: MessageRange[] = [];
  const attributes = new Map<string, MilValue>();
  for (const x of pr.fields(om, 'mlProgram operation')) {
    if (x.field === 1) type = ctx.names.take(pr.string(x, 'operation type'), 'operation names');
    else if (x.field === 2) readInputEntry(ctx, pr.message(x, 'operation input', om), bindings);
    else if (x.field === 3) outputs.push(readNamedValueType(ctx, pr.message(x, 'operation output', om)));
    else if (x.field === 4) blocks.push(pr.message(x, 'nested block', om));
    else if (x.field === 5) {
      const am = pr.message(x, 'operation attribute', om);
      let key = '';
      let value: MilValue | null = null;
      for (const y of pr.fields(am, 'operation attribute')) {
        if (y.field === 1) key = pr.string(y, 'attribute name');
        else if (y.field === 2) value = readValue(pr, pr.message(y, 'attribute value', am));
      }
      if (key && value) attributes.set(key, value);
    }
  }
  const opName = attributes.get('name')?.strings?.[0];
  const name = ctx.names.take(`${path}${opName || outputs[0]?.name || `op_${state.ops}`}`, 'operation names');
  // attrs are keyed by the file's parameter names: no prototype, so a parameter called "__proto__" is plain data.
  const node: GraphNode = { name, op: type || 'unknown', domain: 'mlProgram', inputs: [], outputs: [], attrs: Object.create(null) };
  for (const o of outputs) {
    const described = sg.tensors.get(o.name);
    if (!described) addTensor(ctx, sg, tensorOf(o.name, o.type));
    else if (!described.shape && o.type.kind === 'tensor' && o.type.shape) described.shape = [...o.type.shape];
    node.outputs.push(o.name);
  }
  if (type === 'const') readConst(ctx, state, node, sg, attributes.get('val'), outputs[0]);
  else if (type.startsWith('constexpr_')) readConstexpr(ctx, state, node, sg, bindings, attributes, outputs[0]);
  else bindInputs(ctx, state, node, sg, bindings);
  ctx.layers.push({ name, op: node.op, params: null });
  if (blocks.length) {
    node.subgraphIds = [];
    const roles = type === 'while_loop' ? ['cond', 'body'] : type === 'cond' ? ['then', 'else'] : blocks.map((_, i) => `block${i}`);
    blocks.forEach((bm, i) => {
      const body = newSubgraph(ctx, sg, `${name}.${roles[i] ?? `block${i}`}`);
      node.subgraphIds!.push(body.id);
      readBlockOps(ctx, state, bm, body, `${name}/${roles[i] ?? `block${i}`}/`, depth + 1);
    });
    if (type === 'while_loop') staticTripCount(ctx, state, node, bindings);
    captureOuterInputs(ctx, node);
  }
  addNode(ctx, sg, node);
}

/** map<string, Argument> entry: key = 1, value = Argument { repeated Binding arguments = 1 }; Binding { name = 1 | value = 2 }. */
function readInputEntry(ctx: CoremlCtx, entry: MessageRange, out: Binding[]): void {
  const { pr } = ctx;
  let param = '';
  const args: ProtoField[] = [];
  for (const e of pr.fields(entry, 'operation input')) {
    if (e.field === 1) param = pr.string(e, 'input parameter name');
    else if (e.field === 2) args.push(e);
  }
  for (const a of args) {
    const am = pr.message(a, 'argument', entry);
    for (const b of pr.fields(am, 'argument')) {
      if (b.field !== 1) continue;
      const bm = pr.message(b, 'binding', am);
      for (const x of pr.fields(bm, 'binding')) {
        if (out.length > 1_000_000) pr.fail('an operation with more than a million inputs');
        if (x.field === 1) out.push({ param, name: ctx.names.take(pr.string(x, 'argument name'), 'value names') });
        else if (x.field === 2) {
          const at = pr.message(x, 'argument value', bm);
          out.push({ param, value: readValue(pr, at), at });
        }
      }
    }
  }
}

/** Binds an op's inputs: names in order (attrs.inputParams says which parameter each is); small constants into attrs. */
function bindInputs(ctx: CoremlCtx, state: ProgramState, node: GraphNode, sg: Subgraph, bindings: Binding[]): void {
  const params: string[] = [];
  const perParam = new Map<string, number>();
  for (const b of bindings) perParam.set(b.param, (perParam.get(b.param) ?? 0) + 1);
  for (const b of bindings) {
    let small: number[] | string[] | undefined;
    if (b.name !== undefined) {
      node.inputs.push(b.name);
      params.push(b.param);
      small = state.consts.get(b.name);
    } else if (b.value) {
      small = b.value.numbers ?? b.value.strings;
      if (!small || b.value.blob || b.value.immediateBytes) {
        const t = constTensor(ctx, state, `${node.name}.${b.param}`, b.value, b.value.type);
        if (t) {
          node.inputs.push(addTensor(ctx, sg, t));
          params.push(b.param);
        }
      }
    }
    if (small && perParam.get(b.param) === 1) node.attrs[b.param] = small as AttrValue;
  }
  node.attrs.inputParams = params;
}

function readConst(ctx: CoremlCtx, state: ProgramState, node: GraphNode, sg: Subgraph, val: MilValue | undefined, out: { name: string; type: MilType } | undefined): void {
  if (!out || !val) return;
  const small = val.numbers ?? val.strings;
  if (small && !val.blob && !val.immediateBytes) state.consts.set(out.name, small);
  const t = constTensor(ctx, state, out.name, val, out.type.kind === 'tensor' ? out.type : val.type);
  if (t) {
    t.name = out.name;
    sg.tensors.set(out.name, t);
  }
}

/** A constant tensor from a Value: its elements from the declared type, its bytes from the blob header or the spec. */
function constTensor(ctx: CoremlCtx, state: ProgramState, name: string, v: MilValue, declared: MilType | null): TensorInfo | null {
  const type = declared?.kind === 'tensor' ? declared : v.type?.kind === 'tensor' ? v.type : null;
  if (!type) return null;
  const elements = elementCount(type.shape);
  if (type.dtype.precision === 'string') {
    return { name, shape: type.shape, dtype: type.dtype.name, precision: 'string', bitsPerElement: null, isConstant: true, elements: 0, storedBytes: 0 };
  }
  if (elements === null) ctx.pr.fail(`constant "${name}" has no fixed shape`);
  if (elements > LIMITS.maxTensorElements) ctx.pr.fail(`constant "${name}" declares ${elements} elements: absurd`);
  const t: TensorInfo = { name, shape: type.shape, dtype: type.dtype.name, precision: type.dtype.precision, bitsPerElement: type.dtype.bits, isConstant: true, elements };
  if (v.blob) {
    const storage = blobStorage(ctx, state, v.blob.fileName);
    if (storage) {
      const blob = storage.blob(v.blob.offset);
      if (blob.dtype !== type.dtype.name) ctx.pr.fail(`constant "${name}" is declared ${type.dtype.name} but its blob at offset ${v.blob.offset} holds ${blob.dtype}`);
      if (blob.elements !== elements && !(blob.bits < 8 && elements <= blob.elements && elements > blob.elements - 8 / blob.bits)) {
        ctx.pr.fail(`constant "${name}" declares ${elements} elements but its blob at offset ${v.blob.offset} holds ${blob.elements}`);
      }
      t.storedBytes = blob.sizeInBytes;
      t.sharedBufferId = sharedId(ctx, v.blob.fileName, v.blob.offset);
      t.external = { location: v.blob.fileName, offset: blob.dataOffset, length: blob.sizeInBytes };
    } else {
      t.storedBytes = Math.ceil((elements * (type.dtype.bits ?? 8)) / 8);
    }
  } else if (v.immediateBytes) {
    t.storedBytes = v.immediateBytes.length;
    t.dataOffset = v.immediateBytes.offset;
  } else {
    t.storedBytes = Math.ceil((elements * (type.dtype.bits ?? 8)) / 8);
  }
  return t;
}

/** One id per (weights file, blob offset): functions of a multifunction program share their weights. */
function sharedId(ctx: CoremlCtx, file: string, offset: number): number {
  const key = `${file}\u0000${offset}`;
  let id = ctx.blobIds.get(key);
  if (id === undefined) {
    id = ctx.blobIds.size;
    ctx.blobIds.set(key, id);
  }
  return id;
}

function blobStorage(ctx: CoremlCtx, state: ProgramState, fileName: string) {
  const r = ctx.weightFiles(fileName);
  if ('storage' in r) return r.storage;
  if (!state.weightsWarned) {
    state.weightsWarned = true;
    ctx.warnings.push(`the mlProgram's weights live in ${fileName}, which is not available (${r.problem}): weight bytes are computed from the declared types`);
  }
  state.weightsProblem = r.problem;
  return null;
}

/** What a constexpr op's stored parameters are, for the dtype name of the dense weight it produces. */
const CONSTEXPR_KIND: Record<string, string> = recordOf({
  constexpr_lut_to_dense: 'palettized',
  constexpr_affine_dequantize: 'linear-quantized',
  constexpr_blockwise_shift_scale: 'linear-quantized',
  constexpr_sparse_to_dense: 'sparse',
  constexpr_lut_to_sparse: 'palettized sparse',
  constexpr_sparse_blockwise_shift_scale: 'sparse linear-quantized',
  constexpr_cast: 'cast',
});

/** The parameter that holds the stored elements (its dtype names the storage precision). */
const CONSTEXPR_DATA: Record<string, string> = recordOf({
  constexpr_lut_to_dense: 'indices',
  constexpr_affine_dequantize: 'quantized_data',
  constexpr_blockwise_shift_scale: 'data',
  constexpr_sparse_to_dense: 'nonzero_data',
  constexpr_lut_to_sparse: 'indices_nonzero_data',
  constexpr_sparse_blockwise_shift_scale: 'data',
  constexpr_cast: 'source_val',
});

/** constexpr_*: the dense weight it produces, stored as the bytes of its parameters (attributes before iOS 18, inputs after). */
function readConstexpr(ctx: CoremlCtx, state: ProgramState, node: GraphNode, sg: Subgraph, bindings: Binding[], attributes: Map<string, MilValue>, out: { name: string; type: MilType } | undefined): void {
  if (!out || out.type.kind !== 'tensor') return;
  const elements = elementCount(out.type.shape);
  if (elements === null) ctx.pr.fail(`${node.op} "${node.name}" produces a weight without a fixed shape`);
  if (elements > LIMITS.maxTensorElements) ctx.pr.fail(`${node.op} "${node.name}" declares ${elements} elements: absurd`);
  let stored = 0;
  let dataBits: number | null = null;
  let dataPrecision: Precision | null = null;
  const params: [string, MilValue][] = [...attributes].filter(([k]) => k !== 'name');
  for (const b of bindings) {
    if (b.value) params.push([b.param, b.value]);
    else if (b.name !== undefined) {
      // iOS 18: a parameter produced by another constexpr op; its stored bytes fold into this weight.
      node.inputs.push(b.name);
      const up = sg.tensors.get(b.name);
      if (up?.isConstant) {
        stored += up.storedBytes ?? 0;
        if (b.param === CONSTEXPR_DATA[node.op]) {
          dataBits = up.bitsPerElement;
          dataPrecision = up.precision;
        }
        up.elements = 0;
        up.storedBytes = 0;
        up.dtype = `${CONSTEXPR_KIND[node.op] ?? node.op}`;
      }
    }
  }
  let lutShape: Shape | null = null;
  for (const [param, v] of params) {
    const t = constTensor(ctx, state, `${node.name}.${param}`, v, v.type);
    if (!t) continue;
    stored += t.storedBytes ?? 0;
    if (param === CONSTEXPR_DATA[node.op]) {
      dataBits = t.bitsPerElement;
      dataPrecision = t.precision;
    }
    if (param === 'lut') lutShape = t.shape;
  }
  // A palette of 2^n entries means n-bit indices, whatever byte type packs them (iOS 16 stores them as UINT8):
  // the lut is [2^n] (iOS 16) or [..., 2^n, vector size] (iOS 18).
  const entries = lutShape && lutShape.length ? lutShape[lutShape.length === 1 ? 0 : lutShape.length - 2] : null;
  if (node.op.includes('lut') && typeof entries === 'number' && entries >= 2 && entries <= 256 && Number.isInteger(Math.log2(entries))) {
    dataBits = Math.log2(entries);
    dataPrecision = dataBits <= 2 ? 'int2' : dataBits <= 4 ? 'uint4' : 'uint8';
  }
  const kind = CONSTEXPR_KIND[node.op] ?? node.op;
  const storage = dataPrecision ?? out.type.dtype.precision;
  const t: TensorInfo = {
    name: out.name,
    shape: out.type.shape,
    dtype: `${kind} ${dataPrecision ? precisionName(dataPrecision, dataBits) : out.type.dtype.name}`,
    precision: storage,
    bitsPerElement: elements > 0 ? (stored * 8) / elements : dataBits,
    isConstant: true,
    elements,
    storedBytes: stored,
    quant: { scheme: `${node.op}: ${kind} ${out.type.dtype.name} weight` },
  };
  sg.tensors.set(out.name, t);
  node.attrs.inputParams = bindings.filter((b) => b.name !== undefined).map((b) => b.param);
}

function precisionName(p: Precision, bits: number | null): string {
  if (bits !== null && bits < 8 && (p === 'int2' || p === 'uint4' || p === 'uint8')) return `uint${bits}`;
  return p;
}

/**
 * while_loop(loop_vars) { cond block; body block }: a fixed trip count when the cond block's output is
 * `less(x = loop var k, y = constant N)` (or less_equal), loop var k starts at a constant c0 and the body's
 * k-th output is `add(loop var k, 1)`: trips = N − c0 (+1 for less_equal).
 */
function staticTripCount(ctx: CoremlCtx, state: ProgramState, node: GraphNode, bindings: Binding[]): void {
  const [condId, bodyId] = node.subgraphIds ?? [];
  const cond = ctx.g.subgraphs.find((s) => s.id === condId);
  const body = ctx.g.subgraphs.find((s) => s.id === bodyId);
  node.attrs.bodyId = bodyId ?? null;
  const unknown = (why: string): void => {
    node.attrs.tripsUnknown = why;
  };
  if (!cond || !body) return unknown('the loop has no condition and body blocks');
  const loopVars = bindings.filter((b) => b.param === 'loop_vars');
  const test = cond.nodes.find((n) => n.outputs.includes(cond.outputs[0]));
  if (!test || (test.op !== 'less' && test.op !== 'less_equal')) return unknown('its condition is not a comparison of a counter with a constant');
  const param = milInput;
  const counter = param(test, 'x');
  const k = counter === undefined ? -1 : cond.inputs.indexOf(counter);
  const bound = typeof test.attrs.y === 'object' && Array.isArray(test.attrs.y) ? (test.attrs.y as number[]) : null;
  if (k < 0 || !bound || bound.length !== 1 || typeof bound[0] !== 'number') return unknown('its condition is not a comparison of a counter with a constant');
  const init = loopVars[k]?.name !== undefined ? state.consts.get(loopVars[k].name!) : loopVars[k]?.value?.numbers;
  if (!init || init.length !== 1 || typeof init[0] !== 'number') return unknown('its counter does not start from a constant');
  const next = body.nodes.find((n) => n.outputs.includes(body.outputs[k]));
  const step = next && next.op === 'add' ? (param(next, 'x') === body.inputs[k] ? next.attrs.y : param(next, 'y') === body.inputs[k] ? next.attrs.x : null) : null;
  if (!Array.isArray(step) || step.length !== 1 || step[0] !== 1) return unknown('its counter does not step by one');
  const trips = Math.max(0, (bound[0] as number) - (init[0] as number) + (test.op === 'less_equal' ? 1 : 0));
  if (!Number.isSafeInteger(trips) || trips > 1e9) return unknown(`its trip count (${trips}) is absurd`);
  node.attrs.staticTrips = trips;
  body.runs = trips;
  cond.runs = trips + 1;
}
