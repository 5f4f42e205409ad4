/**
 * Builders of hostile and huge model files for the second-round hostile suite (test/unit/hostile-round2.test.ts):
 * names that carry terminal controls or JavaScript property names in every format, absurdly long names, huge
 * but valid graphs, pickles that ask for unbounded work. Files are written with the project's ONNX and TFLite
 * builders, the test GGUF and zip/pickle writers, and the small independent writers below (a raw protobuf
 * encoder for million-node ONNX chains, safetensors, a Keras zip, a Core ML spec).
 */
import * as fs from 'fs';
import { encodeModel, type ModelSpec, type NodeSpec } from './modelgen/onnx-builder';
import { buildTflite, type TfliteModelSpec, type TfliteOperatorSpec, type TfliteTensorSpec } from './modelgen/tflite-builder';
import { ggufBytes, type GgufKv } from './gguf-writer';
import { makeZip, Pickle, torchZip } from './torch-files';
import { MODEL, description, model, network, nn, program, type MilOp } from './coreml-writer';

/** Strings that drive a terminal when printed raw: colours, a window title (OSC ... BEL), carriage return, C1 CSI, bidi override. */
export const TERMINAL_PAYLOADS = ['\x1b[31mred\x1b[0m', '\x1b]0;owned\x07', 'ok\rEVIL', '\u009b2J', 'abc\u202edcba', 'bell\x07', 'two\nlines'] as const;

/** Names JavaScript objects inherit or treat specially. */
export const JS_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__'] as const;

/** Any raw control character a terminal acts on (C0 except tab/newline, DEL, C1) or a bidi override. */
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

// ------------------------------------------------------------------ a raw protobuf encoder (fast, for huge files)

function varint(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const ld = (field: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from(varint(field * 8 + 2)), Buffer.from(varint(payload.length)), payload]);
const str = (field: number, s: string): Buffer => ld(field, Buffer.from(s, 'utf8'));
const vint = (field: number, v: number): Buffer => Buffer.from([...varint(field * 8), ...varint(v)]);

/** ValueInfoProto of a FLOAT tensor [1, 16]. */
function floatInfo(name: string): Buffer {
  const dim = (v: number) => ld(1, vint(1, v));
  return Buffer.concat([str(1, name), ld(2, ld(1, Buffer.concat([vint(1, 1), ld(2, Buffer.concat([dim(1), dim(16)]))])))]);
}

/**
 * An ONNX model whose main graph is a chain of `n` Relu nodes over a [1, 16] float tensor, written straight to
 * `file` in pieces (a million nodes take a second or two). Node i is named `${nodePrefix}${i}`.
 */
export function writeOnnxChain(file: string, n: number, opts: { nodePrefix?: string; opType?: string } = {}): void {
  const fd = fs.openSync(file, 'w');
  try {
    const prefix = opts.nodePrefix ?? 'n';
    const op = opts.opType ?? 'Relu';
    const nodes: Buffer[] = [];
    let size = 0;
    for (let i = 0; i < n; i++) {
      const node = ld(1, Buffer.concat([str(1, `t${i}`), str(2, `t${i + 1}`), str(3, `${prefix}${i}`), str(4, op)]));
      nodes.push(node);
      size += node.length;
    }
    const tail = Buffer.concat([str(2, 'chain'), ld(11, floatInfo('t0')), ld(12, floatInfo(`t${n}`))]);
    const graphLen = size + tail.length;
    fs.writeSync(fd, Buffer.concat([vint(1, 8), Buffer.from([...varint(7 * 8 + 2), ...varint(graphLen)])]));
    for (let i = 0; i < nodes.length; i += 10_000) fs.writeSync(fd, Buffer.concat(nodes.slice(i, i + 10_000)));
    fs.writeSync(fd, tail);
    fs.writeSync(fd, ld(8, Buffer.concat([str(1, ''), vint(2, 13)])));
  } finally {
    fs.closeSync(fd);
  }
}

/** An ONNX model with `count` nodes whose names are `bytes` long each (a few of them make a hostile total). */
export function writeOnnxLongNodeNames(file: string, count: number, bytes: number): void {
  const fd = fs.openSync(file, 'w');
  try {
    const name = Buffer.alloc(bytes, 0x61);
    const nodes: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      name.write(String(i).padStart(6, '0'), bytes - 6, 'latin1');
      nodes.push(ld(1, Buffer.concat([str(1, `t${i}`), str(2, `t${i + 1}`), ld(3, name), str(4, 'Relu')])));
    }
    const tail = Buffer.concat([str(2, 'long-names'), ld(11, floatInfo('t0')), ld(12, floatInfo(`t${count}`))]);
    const graphLen = nodes.reduce((s, b) => s + b.length, 0) + tail.length;
    fs.writeSync(fd, Buffer.concat([vint(1, 8), Buffer.from([...varint(7 * 8 + 2), ...varint(graphLen)])]));
    for (const b of nodes) fs.writeSync(fd, b);
    fs.writeSync(fd, tail);
    fs.writeSync(fd, ld(8, Buffer.concat([str(1, ''), vint(2, 13)])));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * An ONNX model whose names are the given strings: each becomes a node name, an output tensor name and a
 * dim_param of the input; `ops` become op types (custom domain "x.y" for the odd ones) of a chain.
 */
export function onnxNamedModel(names: readonly string[], ops: readonly string[]): Buffer {
  const dims = names.map((n) => n || '?');
  const nodes: NodeSpec[] = [];
  let prev = 'input';
  ops.forEach((op, i) => {
    const out = `${names[i % names.length]}#out${i}`;
    nodes.push({ opType: op, inputs: [prev], outputs: [out], name: `${names[(i + 1) % names.length]}#node${i}`, ...(i % 2 ? { domain: op } : {}) });
    prev = out;
  });
  nodes.push({ opType: 'Relu', inputs: [prev], outputs: ['out'], name: 'last' });
  const spec: ModelSpec = {
    opsetImports: [{ domain: '', version: 13 }, ...ops.filter((_, i) => i % 2).map((op) => ({ domain: op, version: 1 }))],
    producerName: names[0],
    metadataProps: Object.fromEntries(names.map((n, i) => [n || `k${i}`, names[(i + 1) % names.length]])),
    graph: {
      name: names[names.length - 1],
      nodes,
      inputs: [{ name: 'input', elemType: 'FLOAT', shape: [...dims, 3] }],
      outputs: [{ name: 'out', elemType: 'FLOAT', shape: null }],
      initializers: [{ name: names[0] || 'w', dataType: 'FLOAT', dims: [2, 2], floatData: [1, 2, 3, 4] }],
    },
  };
  return encodeModel(spec);
}

/** y = x + w over [4, 4] FLOAT, with `w` as given. */
function onnxAddInitializer(w: NonNullable<ModelSpec['graph']['initializers']>[number]): Buffer {
  return encodeModel({
    graph: {
      name: 'g',
      nodes: [{ opType: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: [4, 4] }],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: [4, 4] }],
      initializers: [w],
    },
  });
}

/** An ONNX initializer whose raw_data has `rawBytes` bytes for dims [4, 4] FLOAT (64 needed). */
export function onnxRawDataMismatch(rawBytes: number): Buffer {
  return onnxAddInitializer({ name: 'w', dataType: 'FLOAT', dims: [4, 4], raw: Buffer.alloc(rawBytes) });
}

/** An ONNX initializer stored in an external file named `location` (which need not exist). */
export function onnxExternalData(location: string, length = 64): Buffer {
  return onnxAddInitializer({ name: 'w', dataType: 'FLOAT', dims: [4, 4], external: { location, offset: 0, length } });
}

/** ONNX with `count` tensors named by `bytes`-character strings that differ only at their end. */
export function onnxLongTensorNames(count: number, bytes: number): Buffer {
  const base = 'p'.repeat(bytes - 8);
  const nodes: NodeSpec[] = [];
  let prev = 'x';
  for (let i = 0; i < count; i++) {
    const out = `${base}${String(i).padStart(8, '0')}`;
    nodes.push({ opType: 'Relu', inputs: [prev], outputs: [out] });
    prev = out;
  }
  return encodeModel({ graph: { name: 'g', nodes, inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1, 4] }], outputs: [{ name: prev, elemType: 'FLOAT', shape: [1, 4] }] } });
}

// ------------------------------------------------------------------ TFLite

/** A TFLite chain of `n` RELU ops over [1, 16] float tensors named `${tensorPrefix}${i}`. */
export function tfliteChain(n: number, tensorPrefix = 't'): Uint8Array {
  const tensors: TfliteTensorSpec[] = Array.from({ length: n + 1 }, (_, i) => ({ name: `${tensorPrefix}${i}`, shape: [1, 16], type: 'FLOAT32' as const }));
  const operators: TfliteOperatorSpec[] = Array.from({ length: n }, (_, i) => ({ op: 'RELU', inputs: [i], outputs: [i + 1] }));
  return buildTflite({ subgraphs: [{ tensors, operators, inputs: [0], outputs: [n] }] });
}

/** TFLite whose tensor names, custom op codes and subgraph name are the given strings. */
export function tfliteNamedModel(names: readonly string[], customOps: readonly string[]): Uint8Array {
  const tensors: TfliteTensorSpec[] = [{ name: names[0], shape: [1, 8], type: 'FLOAT32' }];
  const operators: TfliteOperatorSpec[] = [];
  const ops = [...customOps.map((c) => `CUSTOM:${c}`), 'RELU'];
  ops.forEach((op, i) => {
    tensors.push({ name: names[(i + 1) % names.length] + (i + 1 >= names.length ? `#${i}` : ''), shape: [1, 8], type: 'FLOAT32' });
    operators.push({ op, inputs: [i], outputs: [i + 1] });
  });
  const spec: TfliteModelSpec = { description: names[1], subgraphs: [{ name: names[2], tensors, operators, inputs: [0], outputs: [tensors.length - 1] }] };
  return buildTflite(spec);
}

/** `n` Ethos-U custom ops, each reading its own constant UINT8 tensor (the reader used to rebuild a name map per op). */
export function tfliteManyEthosU(n: number): Uint8Array {
  const tensors: TfliteTensorSpec[] = [{ name: 'in', shape: [1, 8], type: 'INT8' }];
  const operators: TfliteOperatorSpec[] = [];
  const buffers: NonNullable<TfliteModelSpec['buffers']> = [{}];
  let prev = 0;
  for (let i = 0; i < n; i++) {
    buffers.push({ data: new Uint8Array(4) });
    tensors.push({ name: `cmd${i}`, shape: [4], type: 'UINT8', buffer: i + 1 });
    tensors.push({ name: `x${i + 1}`, shape: [1, 8], type: 'INT8' });
    operators.push({ op: 'CUSTOM:ethos-u', inputs: [prev, tensors.length - 2], outputs: [tensors.length - 1] });
    prev = tensors.length - 1;
  }
  return buildTflite({ subgraphs: [{ tensors, operators, inputs: [0], outputs: [prev] }], buffers });
}

/** TFLite with `count` tensors named by `bytes`-character strings that differ only at their end. */
export function tfliteLongTensorNames(count: number, bytes: number): Uint8Array {
  const base = 'q'.repeat(bytes - 8);
  return tfliteChain(count - 1, base);
}

// ------------------------------------------------------------------ safetensors, GGUF

/** safetensors bytes from a header given as JSON text (so keys may repeat) and the data section. */
export function safetensorsFromText(headerJson: string, data: Buffer): Buffer {
  const json = Buffer.from(headerJson, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

/** safetensors whose tensor names, dtypes and (with `metadata`) metadata keys are the given strings (one F32 [2] tensor each, 8 bytes). */
export function safetensorsNamed(names: readonly string[], dtypes: readonly string[], metadata = true): Buffer {
  const entries: string[] = [];
  let off = 0;
  names.forEach((n) => {
    entries.push(`${JSON.stringify(n)}:{"dtype":"F32","shape":[2],"data_offsets":[${off},${off + 8}]}`);
    off += 8;
  });
  dtypes.forEach((d, i) => {
    entries.push(`${JSON.stringify(`odd_dtype_${i}`)}:{"dtype":${JSON.stringify(d)},"shape":[2],"data_offsets":[${off},${off + 8}]}`);
    off += 8;
  });
  if (metadata) entries.push(`"__metadata__":{${names.map((n, i) => `${JSON.stringify(n)}:${JSON.stringify(names[(i + 1) % names.length])}`).join(',')}}`);
  return safetensorsFromText(`{${entries.join(',')}}`, Buffer.alloc(off));
}

/** GGUF whose keys, string values and tensor names are the given strings. */
export function ggufNamed(names: readonly string[]): Buffer {
  const kvs: GgufKv[] = [['general.architecture', 8, 'llama'], ['general.name', 8, names[0]]];
  names.forEach((n, i) => kvs.push([n, 8, names[(i + 1) % names.length]]));
  return ggufBytes(kvs, names.map((n) => ({ name: n, dims: [4], type: 0, bytes: 16 })));
}

/** A GGUF vocabulary of `n` tokens (lengths vary so reads straddle every window boundary), with a key and a tensor after it. */
export function ggufVocab(n: number, seed = 1): { bytes: Buffer; tokens: string[] } {
  const tokens: string[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    tokens.push(`▁tok${i}_${'abcdefghij'.slice(0, x % 11)}${x % 7 === 0 ? 'ü' : ''}`);
  }
  const kvs: GgufKv[] = [
    ['general.architecture', 8, 'llama'],
    ['tokenizer.ggml.tokens', 9, [8, tokens]],
    ['tokenizer.ggml.scores', 9, [6, tokens.map((_, i) => -i / 2)]],
    ['tokenizer.ggml.token_type', 9, [5, tokens.map((_, i) => i % 3)]],
    ['general.name', 8, `vocab-${n}`],
    ['llama.context_length', 4, 4096],
  ];
  return { bytes: ggufBytes(kvs, [{ name: 'token_embd.weight', dims: [64, 8], type: 0, bytes: 64 * 8 * 4 }]), tokens };
}

// ------------------------------------------------------------------ PyTorch pickles

/** A torch.save state_dict whose keys are the given strings, plus one tensor with an unknown storage type per `storageTypes`. */
export function torchNamed(keys: readonly string[], storageTypes: readonly string[]): Buffer {
  const p = new Pickle().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  const storages: Record<string, number> = {};
  keys.forEach((k, i) => {
    p.str(k).tensor('FloatStorage', String(i), 4, [4]);
    storages[String(i)] = 16;
  });
  storageTypes.forEach((t, j) => {
    const key = String(keys.length + j);
    p.str(`odd_storage_${j}`).tensor(t, key, 4, [4]);
    storages[key] = 16;
  });
  p.setitems().stop();
  return torchZip('archive', p.bytes(), storages);
}

/** A pickle that creates `count` empty dicts, appending each to one list (a few bytes per dict). */
export function torchManyDicts(count: number): Buffer {
  const unit = Buffer.from([0x7d, 0x61]); // EMPTY_DICT, APPEND
  const body = Buffer.alloc(unit.length * count);
  for (let i = 0; i < count; i++) unit.copy(body, i * unit.length);
  const pkl = Buffer.concat([Buffer.from([0x80, 0x02, 0x5d]), body, Buffer.from([0x2e])]);
  return makeZip([{ name: 'archive/data.pkl', data: pkl, deflate: true }, { name: 'archive/version', data: Buffer.from('3\n') }]);
}

/** A pickle dict with `count` keys of `chars` characters that share all but their last 8 characters. */
export function torchLongKeys(count: number, chars: number): Buffer {
  const p = new Pickle().proto(2).emptyDict().mark();
  const base = 'k'.repeat(chars - 8);
  for (let i = 0; i < count; i++) p.str(`${base}${String(i).padStart(8, '0')}`).int(i);
  p.setitems().stop();
  return torchZip('archive', p.bytes(), {});
}

/** A torch.save zip with `count` extra entries whose names have `chars` characters and differ only at their end. */
export function torchLongEntryNames(count: number, chars: number): Buffer {
  const p = new Pickle().proto(2).emptyDict().stop();
  const base = 'e'.repeat(chars - 8);
  return torchZip('archive', p.bytes(), {}, Array.from({ length: count }, (_, i) => ({ name: `${base}${String(i).padStart(8, '0')}`, data: Buffer.alloc(0) })));
}

/** A pickle that names the same unknown global `count` times (each pushed, then popped). */
export function torchRepeatedGlobals(count: number): Buffer {
  const one = Buffer.from('cmypackage.sub\nSomeClass\n0', 'latin1'); // GLOBAL, POP
  const body = Buffer.alloc(one.length * count);
  for (let i = 0; i < count; i++) one.copy(body, i * one.length);
  const pkl = Buffer.concat([Buffer.from([0x80, 0x02]), body, Buffer.from([0x7d, 0x2e])]);
  return makeZip([{ name: 'archive/data.pkl', data: pkl, deflate: true }, { name: 'archive/version', data: Buffer.from('3\n') }]);
}

// ------------------------------------------------------------------ Keras and Core ML

/** A Keras v3 .keras zip (config.json only) whose model name, layer names, class names and dtypes are the given strings. */
export function kerasNamed(names: readonly string[]): Buffer {
  const layers = names.map((n, i) => ({ class_name: JS_NAMES[i % JS_NAMES.length], config: { name: n, dtype: JS_NAMES[(i + 2) % JS_NAMES.length], units: 4 } }));
  const config = { class_name: 'Sequential', config: { name: names[0], layers } };
  return makeZip([
    { name: 'metadata.json', data: Buffer.from(JSON.stringify({ keras_version: names[1], date_saved: names[2] })) },
    { name: 'config.json', data: Buffer.from(JSON.stringify(config)) },
  ]);
}

type Field = [number, 'v', number] | [number, 'b', Buffer | string] | [number, 'm', Field[]];
function enc(fields: Field[]): Buffer {
  return Buffer.concat(
    fields.map(([num, kind, val]) => {
      if (kind === 'v') return vint(num, val as number);
      const body = kind === 'm' ? enc(val as Field[]) : typeof val === 'string' ? Buffer.from(val, 'utf8') : (val as Buffer);
      return ld(num, body);
    }),
  );
}

/** A Core ML neural network whose feature names, layer names and user metadata keys are the given strings. */
export function coremlNamed(names: readonly string[]): Buffer {
  const multiArray = (name: string): Field => [1, 'm', [[1, 'b', name], [3, 'm', [[5, 'm', [[1, 'b', Buffer.from([1, 8])], [2, 'v', 65568]]]]]]];
  const layers: Field[] = names.map((n, i): Field => [1, 'm', [[1, 'b', n], [2, 'b', i ? names[i - 1] : 'x'], [3, 'b', `${n}#out`], [130, 'm', []]]]);
  return enc([
    [1, 'v', 4],
    [2, 'm', [multiArray('x'), [10, 'm', [[1, 'b', `${names[names.length - 1]}#out`]]], [100, 'm', [[1, 'b', names[0]], [3, 'b', names[1]], ...names.map((n): Field => [100, 'm', [[1, 'b', n], [2, 'b', n]]])]]]],
    [500, 'm', layers],
  ]);
}

/**
 * A Keras Sequential of known shapes — Dense, then one layer of each given class (with the class name also as
 * its activation, padding and data format, and a JavaScript-shaped dtype), then Dense and an Activation whose
 * function is named "constructor" — so every layer is shaped up to the odd ones and costed where it can be.
 */
export function kerasClassChain(classes: readonly string[]): Buffer {
  const layers: object[] = [
    { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 8], dtype: 'float32' } },
    { class_name: 'Dense', config: { name: 'd0', units: 8 } },
    ...classes.map((c, i) => ({ class_name: c, config: { name: `L${i}`, units: 8, dtype: classes[(i + 1) % classes.length], activation: c, padding: c, data_format: c } })),
    { class_name: 'Dense', config: { name: 'dlast', units: 4, activation: '__proto__' } },
    { class_name: 'Activation', config: { name: 'act', activation: 'constructor' } },
  ];
  const config = { class_name: 'Sequential', config: { name: 'm', layers } };
  return makeZip([
    { name: 'metadata.json', data: Buffer.from(JSON.stringify({ keras_version: '3.0.0' })) },
    { name: 'config.json', data: Buffer.from(JSON.stringify(config)) },
  ]);
}

/** A Core ML mlProgram: a chain of [1, 64] operations of the given types (each also naming its second input), then relu. */
export function coremlProgramTyped(types: readonly string[]): Buffer {
  const ops: MilOp[] = [];
  let prev = 'x';
  types.forEach((type, i) => {
    ops.push({ type, inputs: { x: prev, [type]: prev }, outputs: [{ name: `o${i}`, dtype: 'FLOAT32', shape: [1, 64] }] });
    prev = `o${i}`;
  });
  ops.push({ type: 'relu', inputs: { x: prev }, outputs: [{ name: 'y', dtype: 'FLOAT32', shape: [1, 64] }] });
  const prog = program([{ name: 'x', dtype: 'FLOAT32', shape: [1, 64] }], { outputs: ['y'], ops }, 'CoreML7');
  return model(7, description([{ name: 'x', array: [1, 64] }], [{ name: 'y', array: [1, 64] }]), MODEL.mlProgram, prog).toBuffer();
}

/** A functional Keras model whose Dense layer is called on a layer named `ghost`, which the config does not define. */
export function kerasGhostInput(ghost: string): Buffer {
  const layers = [
    { class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_input_shape: [null, 4] }, inbound_nodes: [] },
    { class_name: 'Dense', name: 'd', config: { name: 'd', units: 4 }, inbound_nodes: [[[ghost, 0, 0, {}]]] },
  ];
  const config = { class_name: 'Functional', config: { name: 'm', layers, input_layers: [['x', 0, 0]], output_layers: [['d', 0, 0]] } };
  return makeZip([
    { name: 'metadata.json', data: Buffer.from(JSON.stringify({ keras_version: '2.15.0' })) },
    { name: 'config.json', data: Buffer.from(JSON.stringify(config)) },
  ]);
}

/** A Keras Sequential of `n` ReLU layers over a [batch, 16] input. */
export function kerasReluChain(n: number): Buffer {
  const layers: object[] = [{ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 16], dtype: 'float32' } }];
  for (let i = 0; i < n; i++) layers.push({ class_name: 'ReLU', config: { name: `r${i}` } });
  return makeZip([
    { name: 'metadata.json', data: Buffer.from(JSON.stringify({ keras_version: '3.0.0' })) },
    { name: 'config.json', data: Buffer.from(JSON.stringify({ class_name: 'Sequential', config: { name: 'chain', layers } })) },
  ]);
}

/** A Core ML neural network of `n` activation layers over a [16] input, each feeding the next. */
export function coremlActivationChain(n: number): Buffer {
  const layers = Array.from({ length: n }, (_, i) => nn.activation(`a${i}`, i ? `t${i - 1}` : 'x', i === n - 1 ? 'y' : `t${i}`));
  return model(4, description([{ name: 'x', array: [16] }], [{ name: 'y', array: [16] }]), MODEL.neuralNetwork, network(layers)).toBuffer();
}
