/**
 * TFLite op costs on generated models: every MAC op against hand-computed counts (the conventions in
 * src/analyzers/cost/tflite.ts), the flops of the other op families, opClass, and unknown shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { FileSource } from '../../src/analyzers/io/file-source';
import { tfliteReader } from '../../src/analyzers/tflite';
import { tfliteCost } from '../../src/analyzers/cost/tflite';
import { buildProfile } from '../../src/analyzers/profile';
import type { ModelGraph } from '../../src/analyzers/graph';
import { TfliteModelBuilder } from '../support/modelgen/tflite-builder';
import { tempDir } from '../support/shared';

const dir = tempDir('tflite-cost');
let counter = 0;

function read(m: TfliteModelBuilder): ModelGraph {
  const file = path.join(dir, `m${counter++}.tflite`);
  fs.writeFileSync(file, m.build());
  const src = new FileSource(file);
  try {
    return tfliteReader.read(src, {}) as ModelGraph;
  } finally {
    src.close();
  }
}

/** Cost of every main-graph node, keyed by op (numbered when repeated). */
function costs(g: ModelGraph) {
  const seen: Record<string, number> = {};
  const out: Record<string, ReturnType<typeof tfliteCost>> = {};
  for (const n of g.main.nodes) {
    const k = seen[n.op] === undefined ? n.op : `${n.op}#${seen[n.op]}`;
    seen[n.op] = (seen[n.op] ?? 0) + 1;
    out[k] = tfliteCost(n, g.main, g);
  }
  return out;
}

test('MAC ops: conv (plain, grouped, strided, dilated), depthwise, conv3d, fully connected, batch matmul, transpose conv', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('x', [1, 8, 8, 4]);
  sg.conv2d(x, { filters: 6, kernel: [3, 3] }); // out 1x8x8x6 = 384; × 4 × 9
  sg.conv2d(x, { filters: 6, kernel: [3, 3], groups: 2 }); // filter I = 2: 384 × 2 × 9
  sg.conv2d(x, { filters: 5, kernel: [3, 3], stride: [2, 2], padding: 'VALID' }); // out 1x3x3x5 = 45; × 4 × 9
  sg.conv2d(x, { filters: 2, kernel: [3, 3], dilation: [2, 2], padding: 'VALID' }); // out 1x4x4x2 = 32; × 4 × 9
  sg.depthwiseConv2d(x, { kernel: [3, 3], stride: [2, 2] }); // out 1x4x4x4 = 64; × 9
  sg.depthwiseConv2d(x, { kernel: [5, 5], multiplier: 2 }); // out 1x8x8x8 = 512; × 25
  const v = sg.input('v', [1, 4, 6, 6, 2]);
  sg.conv3d(v, { filters: 3, kernel: [2, 3, 3] }); // out 1x3x4x4x3 = 144; × 2 × 18
  const f = sg.input('f', [2, 10]);
  sg.fullyConnected(f, 5); // out 2x5 = 10; × 10
  const f3 = sg.input('f3', [1, 3, 10]);
  sg.fullyConnected(f3, 5, { keepNumDims: true }); // out 1x3x5 = 15; × 10
  const a = sg.input('a', [2, 3, 4]);
  const b = sg.input('b', [2, 4, 5]);
  sg.batchMatMul(a, b); // out 2x3x5 = 30; × 4
  const at = sg.input('at', [2, 4, 3]);
  sg.batchMatMul(at, b, { adjX: true }); // out 2x3x5 = 30; K = 4
  const t = sg.input('t', [1, 4, 4, 3]);
  sg.transposeConv(t, { filters: 2, kernel: [3, 3], stride: [2, 2] }); // input 48 × 2 × 9
  const g = read(m);
  const c = costs(g);
  // Ops the builder gives a bias add 1 flop per output element.
  const biasFlops: Record<string, number> = {
    CONV_2D: 384, 'CONV_2D#1': 384, 'CONV_2D#2': 45, 'CONV_2D#3': 32, DEPTHWISE_CONV_2D: 64, 'DEPTHWISE_CONV_2D#1': 512,
    FULLY_CONNECTED: 10, 'FULLY_CONNECTED#1': 15,
  };
  const expected: Record<string, number> = {
    CONV_2D: 384 * 4 * 9,
    'CONV_2D#1': 384 * 2 * 9,
    'CONV_2D#2': 45 * 4 * 9,
    'CONV_2D#3': 32 * 4 * 9,
    DEPTHWISE_CONV_2D: 64 * 9,
    'DEPTHWISE_CONV_2D#1': 512 * 25,
    CONV_3D: 144 * 2 * 18,
    FULLY_CONNECTED: 100,
    'FULLY_CONNECTED#1': 150,
    BATCH_MATMUL: 120,
    'BATCH_MATMUL#1': 120,
    TRANSPOSE_CONV: 48 * 2 * 9,
  };
  for (const [k, macs] of Object.entries(expected)) {
    assert.equal(c[k]?.macs, macs, `${k} macs`);
    assert.equal(c[k]?.flops, biasFlops[k] ?? 0, `${k} flops`);
  }
  assert.equal(c.CONV_2D.opClass, 'conv');
  assert.equal(c.DEPTHWISE_CONV_2D.opClass, 'depthwise-conv');
  assert.equal(c.FULLY_CONNECTED.opClass, 'matmul');
  assert.equal(c.TRANSPOSE_CONV.opClass, 'conv-transpose');
  const total = Object.values(expected).reduce((s, v) => s + v, 0);
  assert.equal(buildProfile(g, { cost: tfliteReader.cost }).profile.macs, total);
});

test('non-MAC ops: macs 0, flops by family, opClass', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('x', [1, 8, 8, 6]);
  sg.pool('AVERAGE_POOL_2D', x, { filter: [2, 2] }); // out 96 × 4
  sg.pool('MAX_POOL_2D', x, { filter: [3, 3], stride: [1, 1], padding: 'SAME' }); // out 384 × 9
  sg.binary('ADD', x, x); // 384
  sg.binary('MUL', x, sg.input('s', [6])); // broadcast: 384
  sg.unary('RELU', x); // 384
  sg.unary('LOGISTIC', x); // 384
  sg.unary('DEQUANTIZE', sg.input('q', [10], 'INT8'), 'FLOAT32'); // 2 × 10
  sg.mean(x, [1, 2], true); // input 384
  const l = sg.input('l', [2, 10]);
  sg.softmax(l); // 5 × 20
  sg.reshape(x, [1, 384]); // 0
  sg.concat([x, x], 3); // 0
  const g = read(m);
  const c = costs(g);
  const expect: [string, number, string][] = [
    ['AVERAGE_POOL_2D', 96 * 4, 'pool'],
    ['MAX_POOL_2D', 384 * 9, 'pool'],
    ['ADD', 384, 'elementwise'],
    ['MUL', 384, 'elementwise'],
    ['RELU', 384, 'activation'],
    ['LOGISTIC', 384, 'activation'],
    ['DEQUANTIZE', 20, 'quantize'],
    ['MEAN', 384, 'reduce'],
    ['SOFTMAX', 100, 'softmax'],
    ['RESHAPE', 0, 'data-movement'],
    ['CONCATENATION', 0, 'data-movement'],
  ];
  for (const [op, flops, cls] of expect) {
    assert.equal(c[op]?.macs, 0, `${op} macs`);
    assert.equal(c[op]?.flops, flops, `${op} flops`);
    assert.equal(c[op]?.opClass, cls, `${op} class`);
  }
  const p = buildProfile(g, { cost: tfliteReader.cost }).profile;
  assert.equal(p.macs, 0);
  assert.equal(p.flops, expect.reduce((s, [, f]) => s + f, 0));
});

test('custom and compiled ops: macs 0, flops unknown with a reason; control flow costs 0 itself', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const body = m.subgraph('body');
  const x = sg.input('x', [1, 8], 'UINT8');
  const a = sg.activation([1, 8], 'UINT8');
  sg.op('CUSTOM:edgetpu-custom-op', [x], [a], { customOptions: new Uint8Array(16) });
  const b = sg.activation([1, 8], 'UINT8');
  sg.op('CUSTOM:MyOp', [a], [b]);
  const w = sg.activation([1, 8], 'UINT8');
  sg.op('WHILE', [b], [w], { options: { type: 93, fields: [{ id: 0, kind: 'i32', value: 1 }, { id: 1, kind: 'i32', value: 1 }] } });
  sg.output(w);
  body.output(body.input('bx', [1, 8], 'UINT8'));
  const g = read(m);
  const [tpu, custom, loop] = g.main.nodes.map((n) => tfliteCost(n, g.main, g));
  assert.deepEqual([tpu.macs, tpu.flops, tpu.opClass], [0, null, 'compiled']);
  assert.match(tpu.reason ?? '', /compiled/);
  assert.deepEqual([custom.macs, custom.flops, custom.opClass], [0, null, 'custom']);
  assert.match(custom.reason ?? '', /MyOp/);
  assert.deepEqual([loop.macs, loop.flops, loop.opClass], [0, 0, 'control-flow']);
});

test('TFLite_Detection_PostProcess: score scan, box decode and greedy NMS counted from its inputs, on the CPU-side custom op', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const boxes = sg.input('boxes', [1, 1917, 4], 'FLOAT32');
  const scores = sg.input('scores', [1, 1917, 91], 'FLOAT32');
  const anchors = sg.constant('anchors', [1917, 4]);
  const outs = [sg.activation([1, 10, 4]), sg.activation([1, 10]), sg.activation([1, 10]), sg.activation([1])];
  sg.op('CUSTOM:TFLite_Detection_PostProcess', [boxes, scores, anchors], outs, { customOptions: new Uint8Array(8) });
  // The same op whose output shape the file leaves unset takes the default of 10 kept boxes; one with unknown inputs says so.
  const unsetOut = [sg.activation([]), sg.activation([]), sg.activation([]), sg.activation([])];
  sg.op('CUSTOM:TFLite_Detection_PostProcess', [boxes, scores, anchors], unsetOut);
  const dyn = sg.activation([], 'FLOAT32', 'unranked');
  sg.tensors[dyn].hasRank = false;
  sg.op('RELU', [boxes], [dyn]);
  const dynOut = [sg.activation([1, 10, 4]), sg.activation([1, 10]), sg.activation([1, 10]), sg.activation([1])];
  sg.op('CUSTOM:TFLite_Detection_PostProcess', [dyn, dyn, anchors], dynOut);
  for (const o of [...outs, ...unsetOut, ...dynOut]) sg.output(o);
  const g = read(m);
  const [known, unset, , unknown] = g.main.nodes.map((n) => tfliteCost(n, g.main, g));
  const expected = 2 * 1917 * 91 + 12 * 1917 + 10 * 1917 * 10;
  assert.deepEqual([known.macs, known.flops, known.opClass], [0, expected, 'custom']);
  assert.equal(unset.flops, expected);
  assert.equal(unknown.flops, null);
  assert.match(unknown.reason ?? '', /box encodings|class scores/);
});

test('a MAC op with an unknown shape has macs null and names the tensor', () => {
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('x', [1, 4, 4, 2], 'FLOAT32', { hasRank: true });
  const y = sg.conv2d(x, { filters: 3, kernel: [1, 1] });
  sg.tensors[y].shape = [];
  sg.tensors[y].hasRank = false;
  sg.output(y);
  const g = read(m);
  const c = tfliteCost(g.main.nodes[0], g.main, g);
  assert.equal(c.macs, null);
  assert.match(c.reason ?? '', new RegExp(`output "${sg.tensors[y].name}"`));
  // After shape inference the conv is costed: 1x4x4x3 × 2.
  tfliteReader.inferShapes!(g, {});
  assert.equal(tfliteCost(g.main.nodes[0], g.main, g).macs, 48 * 2);
});
