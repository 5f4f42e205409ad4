/**
 * Hostile and broken TFLite files: each must give a graph or a one-line ModelFileError — never another
 * exception, never a hang. Crafted cases (empty, wrong identifier, absurd vector lengths, buffers and custom
 * options past the end, bad indices, self-referencing structure) and a bounded, seeded fuzz over real and
 * generated models (truncations and byte flips).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { FileSource } from '../../src/analyzers/io/file-source';
import { ModelFileError } from '../../src/analyzers/errors';
import { tfliteReader } from '../../src/analyzers/tflite';
import { buildProfile } from '../../src/analyzers/profile';
import type { ModelGraph } from '../../src/analyzers/graph';
import { buildTflite, TfliteModelBuilder, type TfliteModelSpec } from '../support/modelgen/tflite-builder';
import { fixture, hasShared, tempDir } from '../support/shared';
import { seededRandom } from '../../src/seeded-random';

const dir = tempDir('tflite-hostile');
let counter = 0;

type Outcome = { graph: ModelGraph } | { error: ModelFileError };

/** Reads bytes as a TFLite file and, when that works, builds the full profile (shapes + costs). */
function attempt(bytes: Uint8Array): Outcome {
  const file = path.join(dir, `h${counter++ % 8}.tflite`);
  fs.writeFileSync(file, bytes);
  const src = new FileSource(file);
  try {
    const graph = tfliteReader.read(src, {}) as ModelGraph;
    buildProfile(graph, { inferShapes: tfliteReader.inferShapes, cost: tfliteReader.cost });
    return { graph };
  } catch (e) {
    if (e instanceof ModelFileError) return { error: e };
    throw new Error(`non-ModelFileError ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
  } finally {
    src.close();
  }
}

function expectError(bytes: Uint8Array, pattern: RegExp): ModelFileError {
  const r = attempt(bytes);
  assert.ok('error' in r, 'expected a ModelFileError, got a graph');
  assert.match(r.error.message, pattern);
  assert.ok(!r.error.message.includes('\n'), 'one line');
  return r.error;
}

function smallModel(): TfliteModelBuilder {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('x', [1, 7777777 % 100 + 3, 5, 2]);
  const y = sg.conv2d(x, { filters: 4, kernel: [3, 3] });
  sg.output(sg.softmax(sg.reshape(y, [1, 80 * 4 * 5 / 5])));
  return m;
}

function findInt32(bytes: Uint8Array, value: number): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 4 <= bytes.length; i += 4) if (dv.getInt32(i, true) === value) return i;
  return -1;
}

test('zero-byte, tiny and wrong-identifier files', () => {
  expectError(new Uint8Array(0), /too small/);
  expectError(new Uint8Array(7), /too small/);
  const good = smallModel().build();
  const wrong = good.slice();
  wrong.set([0x54, 0x46, 0x4c, 0x32], 4); // "TFL2"
  expectError(wrong, /identifier is "TFL2", not "TFL3"/);
  expectError(smallModel().build({ identifier: 'ABCD' }), /not "TFL3"/);
});

test('absurd vector length (a tensor shape claiming 2^31 entries)', () => {
  const spec: TfliteModelSpec = {
    subgraphs: [{ tensors: [{ name: 'x', shape: [1, 98765, 4] }], inputs: [0], outputs: [0], operators: [] }],
  };
  const bytes = buildTflite(spec);
  const at = findInt32(bytes, 98765);
  assert.ok(at > 8);
  const dv = new DataView(bytes.buffer);
  // The vector's length prefix sits right before its first element (1).
  assert.equal(dv.getUint32(at - 8, true), 3);
  dv.setUint32(at - 8, 0x7fffffff, true);
  expectError(bytes, /claims 2147483647 elements.*past the end of the file/);
  dv.setUint32(at - 8, 100000, true);
  expectError(bytes, /past the end|more than the 64 allowed/);
});

test('buffers and custom options placed past the end of the file', () => {
  const m = smallModel();
  const sg = m.subgraphs[0];
  const far = m.buffers.length;
  m.buffers.push({ offset: 10_000_000, size: 64 });
  const t = sg.tensor({ name: 'far', shape: [16], buffer: far });
  const y = sg.activation([16]);
  sg.op('RELU', [t], [y]);
  expectError(m.build(), /buffers\[\d+\] places 64 bytes at offset 10000000, past the end/);

  const huge = new TfliteModelBuilder();
  const hs = huge.subgraph();
  const x = hs.input('x', [1, 4], 'UINT8');
  const o = hs.activation([1, 4], 'UINT8');
  hs.op('CUSTOM:edgetpu-custom-op', [x], [o], { largeCustomOptions: { offset: 2 ** 40, size: 100 } });
  hs.output(o);
  expectError(huge.build(), /custom options at offset .* past the end/);
});

test('bad indices: tensor, buffer, operator code, subgraph', () => {
  const base = (): TfliteModelSpec => ({
    subgraphs: [{ tensors: [{ name: 'x', shape: [1, 4] }, { name: 'y', shape: [1, 4] }], inputs: [0], outputs: [1], operators: [{ op: 'RELU', inputs: [0], outputs: [1] }] }],
  });
  const s1 = base();
  s1.subgraphs[0].operators[0].inputs = [99];
  expectError(buildTflite(s1), /refers to tensor 99, but subgraphs\[0\] has 2 tensors/);
  const s2 = base();
  s2.subgraphs[0].tensors[0].buffer = 42;
  expectError(buildTflite(s2), /refers to buffer 42, but the model has 1 buffers/);
  const s3 = base();
  s3.subgraphs[0].outputs = [-7];
  expectError(buildTflite(s3), /refers to tensor -7/);
  // A WHILE naming a missing subgraph is a warning, not a failure.
  const s4 = base();
  s4.subgraphs[0].operators.push({ op: 'WHILE', inputs: [1], outputs: [], options: { type: 93, fields: [{ id: 0, kind: 'i32', value: 5 }, { id: 1, kind: 'i32', value: -1 }] } });
  const r = attempt(buildTflite(s4));
  assert.ok('graph' in r);
  assert.equal(r.graph.warnings.filter((w) => /refers to subgraph/.test(w)).length, 2);
  // Operator code index out of range.
  const s5 = base();
  s5.subgraphs[0].operators[0].opcodeIndex = 3;
  expectError(buildTflite(s5), /uses operator code 3, but the model has 1/);
});

test('root offset and vtables outside the file', () => {
  const bytes = smallModel().build();
  const dv = new DataView(bytes.buffer);
  const root = bytes.slice();
  new DataView(root.buffer).setUint32(0, bytes.length + 100, true);
  expectError(root, /outside the file|past the end/);
  const vt = bytes.slice();
  const rootPos = dv.getUint32(0, true);
  new DataView(vt.buffer).setInt32(rootPos, -0x7ffffff0, true); // vtable far beyond the end
  expectError(vt, /vtable/);
});

test('many operators sharing one table with a large inputs vector stay bounded', () => {
  // 30,000 operator slots all pointing at one operator whose inputs vector has 20,000 entries:
  // 6e8 element reads if followed naively. The work budget stops it quickly with a clear error.
  const inputs = new Array<number>(20000).fill(0);
  const spec: TfliteModelSpec = {
    subgraphs: [{ tensors: [{ name: 'x', shape: [1, 4] }, { name: 'y', shape: [1, 4] }], inputs: [0], outputs: [1], operators: [{ op: 'ADD_N' as never, inputs, outputs: [1] }], repeatFirstOperator: 30000 }],
  };
  spec.subgraphs[0].operators[0].op = 106; // ADD_N
  const t0 = Date.now();
  const r = attempt(buildTflite(spec));
  const ms = Date.now() - t0;
  assert.ok('error' in r, 'expected the work budget to stop it');
  assert.match(r.error.message, /far more elements than its size allows|inputs and outputs in all: refusing/);
  assert.ok(ms < 5000, `took ${ms} ms`);
});

const rng = seededRandom;

function fuzz(name: string, original: Uint8Array, seed: number, truncations: number, flips: number): void {
  const rand = rng(seed);
  let graphs = 0;
  let errors = 0;
  const started = Date.now();
  const check = (bytes: Uint8Array, what: string): void => {
    const t0 = Date.now();
    let r: Outcome;
    try {
      r = attempt(bytes);
    } catch (e) {
      assert.fail(`${name} ${what}: ${(e as Error).message}`);
    }
    if ('graph' in r) graphs++;
    else errors++;
    const ms = Date.now() - t0;
    assert.ok(ms < 3000, `${name} ${what} took ${ms} ms`);
  };
  for (let i = 0; i < truncations; i++) {
    const cut = Math.floor((original.length * i) / truncations);
    check(original.subarray(0, cut), `truncated at ${cut}`);
  }
  // The structure (tables, vectors, vtables) sits mostly in the first KBs; weights after.
  const structural = Math.min(original.length, 16 * 1024);
  for (let i = 0; i < flips; i++) {
    const bytes = original.slice();
    const n = 1 + Math.floor(rand() * 8);
    const where: number[] = [];
    for (let k = 0; k < n; k++) {
      const pos = rand() < 0.7 ? 8 + Math.floor(rand() * (structural - 8)) : Math.floor(rand() * bytes.length);
      if (rand() < 0.5) bytes[pos] ^= 1 << Math.floor(rand() * 8);
      else bytes[pos] = [0, 0xff, 0x7f, 0x80][Math.floor(rand() * 4)];
      where.push(pos);
    }
    check(bytes, `mutation ${i} at ${where.join(',')}`);
  }
  assert.ok(errors > 0, `${name}: some mutations must be rejected`);
  assert.ok(Date.now() - started < 120_000);
  if (process.env.TFLITE_FUZZ_STATS) console.log(`${name}: ${graphs} graphs, ${errors} errors`);
}

test('fuzz: generated model with subgraphs, quantization, sparse and appended buffers', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph('main');
  const body = m.subgraph('body');
  const x = sg.input('x', [1, 8, 8, 3], 'INT8', { quant: { scale: [0.1], zeroPoint: [3] }, shapeSignature: [-1, 8, 8, 3] });
  const c = sg.conv2d(x, { filters: 4, kernel: [3, 3], weights: { type: 'INT8', quant: { scale: [1, 2, 3, 4], zeroPoint: [0, 0, 0, 0], axis: 0 } } });
  const d = sg.depthwiseConv2d(c, { kernel: [3, 3] });
  const p = sg.pool('AVERAGE_POOL_2D', d, { filter: [2, 2] });
  const r = sg.reshape(p, [1, 64]);
  const w = sg.activation([1, 64], 'INT8');
  sg.op('WHILE', [r], [w], { options: { type: 93, fields: [{ id: 0, kind: 'i32', value: 1 }, { id: 1, kind: 'i32', value: 1 }] } });
  const far = m.addAppendedBuffer(64 * 4);
  const fw = sg.tensor({ name: 'far', shape: [4, 64], type: 'INT8', buffer: far });
  const out = sg.activation([1, 4], 'INT8');
  sg.op('FULLY_CONNECTED', [w, fw, -1], [out]);
  sg.output(out);
  body.output(body.unary('RELU', body.input('b', [1, 64], 'INT8')));
  fuzz('generated', m.build(), 1234, 120, 600);
});

for (const name of ['hello_world_int8.tflite', 'kws_ref_model.tflite', 'person_detect_vela.tflite', 'mobilenet_v1_0.25_128_quant_edgetpu.tflite', 'selfie_segmentation.tflite']) {
  test(`fuzz: ${name}`, { skip: hasShared ? false : '../shared is absent; real-model fuzz skipped' }, () => {
    const bytes = new Uint8Array(fs.readFileSync(fixture(name)));
    fuzz(name, bytes, name.length * 7919, 40, 250);
  });
}
