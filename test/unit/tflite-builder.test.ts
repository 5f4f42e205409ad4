/**
 * TFLite forms the real fixtures do not cover, written with test/support/modelgen/tflite-builder.ts and read back:
 * control-flow subgraphs, per-channel quantization, shared buffers, sparse tensors, the >2 GB buffer form,
 * custom and compiled ops, legacy and extended operator codes, unknown-rank tensors, names, metadata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { FileSource } from '../../src/analyzers/io/file-source';
import { tfliteReader } from '../../src/analyzers/tflite';
import { buildProfile } from '../../src/analyzers/profile';
import type { ModelGraph } from '../../src/analyzers/graph';
import { buildTflite, TfliteModelBuilder, tfliteOptions, type TfliteModelSpec } from '../support/modelgen/tflite-builder';
import { tempDir } from '../support/shared';

const dir = tempDir('tflite-builder');
let counter = 0;

function readBytes(bytes: Uint8Array): ModelGraph {
  const file = path.join(dir, `m${counter++}.tflite`);
  fs.writeFileSync(file, bytes);
  const src = new FileSource(file);
  try {
    return tfliteReader.read(src, {}) as ModelGraph;
  } finally {
    src.close();
  }
}

const profile = (g: ModelGraph) => buildProfile(g, { inferShapes: tfliteReader.inferShapes, cost: tfliteReader.cost });

test('control flow: WHILE / IF / CALL_ONCE bodies become linked subgraphs', () => {
  const m = new TfliteModelBuilder();
  const main = m.subgraph('main');
  const cond = m.subgraph('cond');
  const body = m.subgraph('body');
  const thenB = m.subgraph('then');
  const elseB = m.subgraph('else');
  const init = m.subgraph('init');
  const nested = m.subgraph('nested');

  const x = main.input('x', [1, 4]);
  const flag = main.input('flag', [1], 'BOOL');
  const w = main.activation([1, 4], 'FLOAT32', 'w_out');
  main.op('CALL_ONCE', [], [], { options: tfliteOptions.callOnce(init.index) });
  main.op('WHILE', [x], [w], { options: tfliteOptions.while(cond.index, body.index) });
  const y = main.activation([1, 4], 'FLOAT32', 'if_out');
  main.op('IF', [flag, w], [y], { options: tfliteOptions.if(thenB.index, elseB.index) });
  main.output(y);

  const cx = cond.input('cx', [1, 4]);
  const cy = cond.activation([1], 'BOOL', 'cy');
  cond.op('LESS', [cx, cx], [cy]);
  cond.output(cy);

  const bx = body.input('bx', [1, 4]);
  const bflag = body.input('bflag', [1], 'BOOL');
  const bw = body.fullyConnected(bx, 4);
  const by = body.activation([1, 4], 'FLOAT32', 'by');
  body.op('IF', [bflag, bw], [by], { options: tfliteOptions.if(nested.index, nested.index) });
  // A body that calls main again must not create a cycle.
  body.op('CALL', [by], [], { options: tfliteOptions.call(0) });
  body.output(by);

  for (const sg of [thenB, elseB, nested]) {
    const a = sg.input('a', [1, 4]);
    sg.output(sg.unary('RELU', a));
  }
  init.op('CALL', [], [], { options: tfliteOptions.call(6) });

  const g = readBytes(m.build());
  assert.equal(g.main.id, 'sg0');
  assert.equal(g.subgraphs.length, 6);
  const byName = (n: string) => g.subgraphs.find((s) => s.name === n)!;
  const whileNode = g.main.nodes.find((n) => n.op === 'WHILE')!;
  assert.deepEqual(whileNode.subgraphIds, ['sg1', 'sg2']);
  assert.equal(whileNode.attrs.cond_subgraph_index, 1);
  assert.equal(whileNode.attrs.body_subgraph_index, 2);
  assert.deepEqual(g.main.nodes.find((n) => n.op === 'IF')!.subgraphIds, ['sg3', 'sg4']);
  assert.deepEqual(g.main.nodes.find((n) => n.op === 'CALL_ONCE')!.subgraphIds, ['sg5']);
  assert.equal(byName('cond').parentId, 'sg0');
  assert.equal(byName('body').owner, `${whileNode.name}.body`);
  assert.equal(byName('then').owner?.endsWith('.then'), true);
  // "nested" is run by the init subgraph's CALL and by the body's IF (both branches): one parent, the
  // first found breadth-first (init, listed first in main), and both callers keep their link.
  assert.equal(byName('nested').parentId, 'sg5');
  assert.deepEqual(byName('init').nodes[0].subgraphIds, ['sg6']);
  const bodyIf = byName('body').nodes.find((n) => n.op === 'IF')!;
  assert.deepEqual(bodyIf.subgraphIds, ['sg6']);
  // CALL back into main is dropped with a warning.
  const call = byName('body').nodes.find((n) => n.op === 'CALL')!;
  assert.equal(call.subgraphIds, undefined);
  assert.ok(g.warnings.some((w) => /recursively/.test(w)), g.warnings.join('; '));
  // Histogram counts every subgraph's operators; main MACs only main's.
  const p = profile(g).profile;
  assert.equal(p.opHistogram.RELU, 3);
  assert.equal(p.opHistogram.FULLY_CONNECTED, 1);
  assert.equal(p.macs, 0);
  assert.equal(p.subgraphCosts.find((s) => s.id === 'sg2')?.macs, 16);
});

test('per-tensor and per-channel quantization', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('x', [1, 4, 4, 2], 'INT8', { quant: { scale: [0.5], zeroPoint: [-3] } });
  const y = sg.conv2d(x, { filters: 3, kernel: [1, 1], weights: { type: 'INT8', quant: { scale: [0.1, 0.2, 0.3], zeroPoint: [0, 0, 0], axis: 0 } } });
  sg.output(y);
  const g = readBytes(m.build());
  const xi = g.main.tensors.get('x')!;
  assert.equal(xi.quant?.scale?.[0], 0.5);
  assert.deepEqual(xi.quant?.zeroPoint, [-3]);
  assert.equal(xi.quant?.axis, undefined);
  const filter = g.main.tensors.get(g.main.nodes[0].inputs[1])!;
  assert.deepEqual(filter.quant?.scale?.map((s) => Math.round(s * 10) / 10), [0.1, 0.2, 0.3]);
  assert.equal(filter.quant?.axis, 0);
  assert.equal(filter.precision, 'int8');
  assert.equal(profile(g).profile.quantization.perChannel, true);
});

test('shared buffers are counted once; sharedBufferId is the buffer index', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('x', [1, 8]);
  const shared = m.addBuffer(8 * 8 * 4);
  const a = sg.constant('wa', [8, 8], { buffer: shared });
  const b = sg.constant('wb', [8, 8], { buffer: shared });
  const own = sg.constant('wc', [8, 8]);
  const h1 = sg.activation([1, 8]);
  const h2 = sg.activation([1, 8]);
  const h3 = sg.activation([1, 8]);
  sg.op('FULLY_CONNECTED', [x, a, -1], [h1]);
  sg.op('FULLY_CONNECTED', [h1, b, -1], [h2]);
  sg.op('FULLY_CONNECTED', [h2, own, -1], [h3]);
  sg.output(h3);
  const g = readBytes(m.build());
  assert.equal(g.main.tensors.get('wa')!.sharedBufferId, shared);
  assert.equal(g.main.tensors.get('wb')!.sharedBufferId, shared);
  assert.equal(g.main.tensors.get('wc')!.sharedBufferId, undefined);
  assert.deepEqual(g.main.nodes[0].inputs, ['x', 'wa', ''], 'optional input -1 is the empty string');
  const p = profile(g).profile;
  assert.equal(p.params, 128);
  assert.equal(p.weightBytes, 512);
  assert.equal(p.macs, 3 * 64);
});

test('sparse tensor: stored bytes are the buffer, elements the dense shape', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  // A 4x4 FLOAT32 matrix with 3 non-zeros in CSR form: 12 bytes stored instead of 64.
  const buf = m.addBuffer(12);
  const w = sg.tensor({
    name: 'w_sparse', shape: [4, 4], type: 'FLOAT32', buffer: buf,
    sparsity: { traversalOrder: [0, 1], dimMetadata: [{ format: 'DENSE', denseSize: 4 }, { format: 'SPARSE_CSR', segments: [0, 1, 1, 2, 3], indices: [0, 2, 3] }] },
  });
  const dense = sg.activation([4, 4]);
  sg.op('DENSIFY', [w], [dense]);
  sg.output(dense);
  const g = readBytes(m.build());
  const t = g.main.tensors.get('w_sparse')!;
  assert.equal(t.isConstant, true);
  assert.equal(t.elements, 16);
  assert.equal(t.storedBytes, 12);
  assert.equal(g.metadata.extra?.sparseTensors, 1);
  const p = profile(g).profile;
  assert.equal(p.params, 16);
  assert.equal(p.weightBytes, 12);
});

test('>2 GB buffer form: data after the flatbuffer at offset/size, located without reading it', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('x', [1, 16]);
  const data = new Uint8Array(16 * 4 * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 255;
  const buf = m.addAppendedBuffer(data);
  const wt = sg.tensor({ name: 'w_far', shape: [4, 16], type: 'FLOAT32', buffer: buf });
  const y = sg.activation([1, 4]);
  sg.op('FULLY_CONNECTED', [x, wt, -1], [y]);
  sg.output(y);
  const bytes = m.build();
  const g = readBytes(bytes);
  const t = g.main.tensors.get('w_far')!;
  assert.equal(t.isConstant, true);
  assert.equal(t.storedBytes, data.length);
  assert.ok(t.dataOffset! + data.length <= bytes.length);
  assert.deepEqual(Buffer.from(bytes.subarray(t.dataOffset!, t.dataOffset! + data.length)), Buffer.from(data));
  assert.equal(profile(g).profile.weightBytes, 256);
});

test('custom ops are named CUSTOM:<code>; Edge TPU payload from inline or large custom options; Ethos-U from its buffers', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('x', [1, 8], 'UINT8');
  const a = sg.activation([1, 8], 'UINT8', 'a');
  sg.op('CUSTOM:edgetpu-custom-op', [x], [a], { customOptions: new Uint8Array(1000) });
  const b = sg.activation([1, 8], 'UINT8', 'b');
  sg.op('CUSTOM:edgetpu-custom-op', [a], [b], { appendedCustomOptions: new Uint8Array(3000) });
  const cmd = sg.constant('command_stream', [500], { type: 'UINT8' });
  const flash = sg.constant('flash', [700], { type: 'UINT8' });
  const c = sg.activation([1, 8], 'UINT8', 'c');
  sg.op('CUSTOM:ethos-u', [cmd, flash, b], [c]);
  const boxes = sg.activation([1, 10, 4], 'FLOAT32', 'boxes');
  sg.op('CUSTOM:TFLite_Detection_PostProcess', [c], [boxes]);
  sg.output(boxes);
  const g = readBytes(m.build());
  assert.deepEqual(
    g.compiledSegments.map((s) => [s.kind, s.payloadBytes]),
    [['edgetpu', 1000], ['edgetpu', 3000], ['ethos-u', 1200]],
  );
  assert.equal(g.main.nodes[1].compiledPayloadBytes, 3000);
  assert.equal(g.main.nodes[3].attrs.custom_code, 'TFLite_Detection_PostProcess');
  const p = profile(g).profile;
  assert.deepEqual({ ...p.opHistogram }, { 'CUSTOM:TFLite_Detection_PostProcess': 1, 'CUSTOM:edgetpu-custom-op': 2, 'CUSTOM:ethos-u': 1 });
  assert.equal(p.macs, 0);
  assert.equal(p.flops, null);
  assert.equal(p.params, 1200);
});

test('operator codes: legacy int8 field only, and codes above 127 in builtin_code', () => {
  const mk = (legacy: boolean): ModelGraph => {
    const m = new TfliteModelBuilder();
    const sg = m.subgraph();
    const x = sg.input('x', [1, 2, 6, 6, 2]);
    const y = sg.conv3d(x, { filters: 2, kernel: [1, 3, 3] });
    const z = sg.unary('RELU', y);
    sg.output(z);
    return readBytes(m.build({ legacyOpcodes: legacy }));
  };
  const modern = mk(false);
  assert.deepEqual(modern.main.nodes.map((n) => n.op), ['CONV_3D', 'RELU']);
  // Legacy files cannot express CONV_3D (132): the int8 field saturates at 127.
  const legacy = mk(true);
  assert.deepEqual(legacy.main.nodes.map((n) => n.op), ['PLACEHOLDER_FOR_GREATER_OP_CODES', 'RELU']);
});

test('unknown-rank tensors (has_rank false, empty shape) are filled by inferShapes', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('x', [1, 8, 8, 3], 'FLOAT32', { hasRank: true });
  const c = sg.conv2d(x, { filters: 4, kernel: [3, 3], stride: [2, 2] });
  const r = sg.unary('RELU', c);
  const p = sg.pool('MAX_POOL_2D', r, { filter: [2, 2] });
  const f = sg.reshape(p, [1, 16]);
  const fc = sg.fullyConnected(f, 5);
  const s = sg.softmax(fc);
  sg.output(s);
  const expected = new Map([c, r, p, f, fc, s].map((t) => [sg.tensors[t].name!, [...sg.shape(t)]]));
  for (const t of [c, r, p, f, fc, s]) {
    sg.tensors[t].shape = [];
    sg.tensors[t].hasRank = false;
  }
  const g = readBytes(m.build());
  for (const name of expected.keys()) assert.equal(g.main.tensors.get(name)!.shape, null, `${name} has unknown rank`);
  const before = buildProfile(readBytes(m.build()), { cost: tfliteReader.cost }).profile;
  assert.equal(before.macs, null);
  assert.match(before.macsUnknownReason ?? '', /unknown/);
  const warnings = tfliteReader.inferShapes!(g, {});
  assert.deepEqual(warnings, []);
  for (const [name, shape] of expected) assert.deepEqual(g.main.tensors.get(name)!.shape, shape, name);
  assert.equal(buildProfile(g, { cost: tfliteReader.cost }).profile.macs, 4 * 4 * 4 * 27 + 5 * 16);
});

test('duplicate and empty tensor names get unique keys; nodes are named after their outputs', () => {
  const spec: TfliteModelSpec = {
    subgraphs: [
      {
        tensors: [
          { name: 'x', shape: [1, 4] },
          { name: 'dup', shape: [1, 4] },
          { name: 'dup', shape: [1, 4] },
          { name: '', shape: [1, 4] },
        ],
        inputs: [0],
        outputs: [3],
        operators: [
          { op: 'RELU', inputs: [0], outputs: [1] },
          { op: 'RELU', inputs: [1], outputs: [2] },
          { op: 'TANH', inputs: [2], outputs: [3] },
        ],
      },
    ],
  };
  const g = readBytes(buildTflite(spec));
  assert.deepEqual([...g.main.tensors.keys()], ['x', 'dup#1', 'dup#2', 'tensor#3']);
  assert.deepEqual(g.main.nodes.map((n) => n.inputs[0]), ['x', 'dup#1', 'dup#2']);
  assert.deepEqual(g.main.nodes.map((n) => n.name), ['dup#1', 'dup#2', 'tensor#3']);
  assert.deepEqual(g.main.outputs, ['tensor#3']);
});

test('metadata, signature defs, description and schema version', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph('serving');
  const x = sg.input('x', [1, 3], 'FLOAT32', { shapeSignature: [-1, 3] });
  const y = sg.unary('RELU', x);
  sg.tensors[y].shapeSignature = [-1, 3];
  sg.output(y);
  const ver = m.addBuffer(new TextEncoder().encode('2.3.0\0\0\0'));
  m.metadata.push({ name: 'min_runtime_version', buffer: ver });
  m.description = 'builder test';
  const g = readBytes(m.build({ signatureDefs: [{ key: 'serving_default', subgraph: 0, inputs: [{ name: 'in', tensor: 0 }], outputs: [{ name: 'out', tensor: 1 }] }] }));
  assert.equal(g.metadata.description, 'builder test');
  assert.equal(g.metadata.formatVersion, 3);
  assert.equal(g.metadata.extra?.min_runtime_version, '2.3.0');
  assert.equal(g.metadata.extra?.signatureDefs, 'serving_default');
  assert.match(String(g.metadata.extra?.dynamicInputs), /x \[-1,3\]/);
  // The metadata buffer is not a tensor: no weights.
  assert.equal(profile(g).profile.weightBytes, 0);
  // Binding dim0 resizes every tensor whose signature is -1 there.
  tfliteReader.inferShapes!(g, { dim0: 5 });
  assert.deepEqual(g.main.tensors.get('x')!.shape, [5, 3]);
  assert.deepEqual(g.main.tensors.get(g.main.outputs[0])!.shape, [5, 3]);
});

test('weights are located, never read: an 8 MB model is parsed reading a small fraction of it', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('x', [1, 1024]);
  const h = sg.fullyConnected(x, 1024); // 4 MB of float32 weights
  sg.output(sg.fullyConnected(h, 1024)); // and 4 MB more
  const file = path.join(dir, `big${counter++}.tflite`);
  fs.writeFileSync(file, m.build());
  const src = new FileSource(file);
  try {
    const g = tfliteReader.read(src, {}) as ModelGraph;
    assert.ok(src.size > 8 * 1024 * 1024);
    assert.ok(src.bytesRead < 512 * 1024, `read ${src.bytesRead} of ${src.size} bytes`);
    assert.equal(profile(g).profile.params, 2 * (1024 * 1024 + 1024));
  } finally {
    src.close();
  }
});

test('progress is reported and returning true cancels the read', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  sg.output(sg.unary('RELU', sg.input('x', [1, 4])));
  const file = path.join(dir, `p${counter++}.tflite`);
  fs.writeFileSync(file, m.build());
  const seen: number[] = [];
  const src = new FileSource(file);
  try {
    tfliteReader.read(src, { onProgress: (f) => void seen.push(f) });
    assert.ok(seen.length >= 2 && seen[seen.length - 1] === 1 && seen.every((f) => f >= 0 && f <= 1));
    assert.throws(() => tfliteReader.read(src, { onProgress: () => true }), (e: unknown) => (e as Error).name === 'AnalysisCancelled');
  } finally {
    src.close();
  }
});
