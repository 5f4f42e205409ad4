/**
 * The same network gives the same MACs in every format. A small CNN (3×3 conv 3→8 + ReLU, 3×3/2 depthwise,
 * 1×1 conv 8→16, global average pool, dense 16→10) is written here as ONNX and TFLite (the project's builders),
 * Keras 2 .h5 and Keras 3 .keras (h5py), a Core ML neuralNetwork .mlmodel and a Core ML mlProgram .mlpackage
 * (coremltools' proto field numbers, blob weights) and analysed by analyzeFile: 68,256 MACs each, computed
 * here by hand. Then the real pairs in ../shared/models: the MLPerf Tiny Keras models against their TFLite
 * conversions, and the DTLN-aec Core ML package against its TFLite original (same network, SOURCES.csv).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import { OnnxGraphBuilder, writeModel } from '../support/modelgen/onnx-builder';
import { TfliteModelBuilder } from '../support/modelgen/tflite-builder';
import { SKIP_NO_SHARED, benchmarkModel, fixture, sharedDir, tempDir, unlabelled } from '../support/shared';
import { SKIP_NO_H5PY, writeKerasH5, writeKerasZip, type KModel } from '../support/keras-writer';
import { ARRAY_FLOAT32, BlobWriter, MODEL, blobValue, description, immediate, milConst, model, network, nn, program, writeMlpackage, type MilOp } from '../support/coreml-writer';

// conv 16·16·8 × 3·9, depthwise 8·8·8 × 9, pointwise 8·8·16 × 8, dense 16 × 10
const EXPECTED = 16 * 16 * 8 * 3 * 9 + 8 * 8 * 8 * 9 + 8 * 8 * 16 * 8 + 16 * 10;
const dir = tempDir('cross-macs');

function onnxFile(): string {
  const b = new OnnxGraphBuilder();
  const x = b.input('x', [1, 3, 16, 16]);
  const c1 = b.relu(b.conv(x, 8, { kernel: 3, pad: 'same' }));
  const dw = b.depthwiseConv(c1, { kernel: 3, stride: 2, pad: 'same' });
  const pw = b.conv(dw, 16, { kernel: 1 });
  const y = b.gemm(b.flatten(b.globalAvgPool(pw)), 10);
  b.output(y);
  const file = path.join(dir, 'tiny.onnx');
  writeModel(b.model(), file);
  return file;
}

function tfliteFile(): string {
  const tfl = new TfliteModelBuilder();
  const sg = tfl.subgraph();
  const x = sg.input('x', [1, 16, 16, 3]);
  const c1 = sg.conv2d(x, { filters: 8, kernel: [3, 3], padding: 'SAME' });
  const dw = sg.depthwiseConv2d(c1, { kernel: [3, 3], stride: [2, 2], padding: 'SAME' });
  const pw = sg.conv2d(dw, { filters: 16, kernel: [1, 1] });
  sg.output(sg.fullyConnected(sg.mean(pw, [1, 2], false), 10));
  const file = path.join(dir, 'tiny.tflite');
  fs.writeFileSync(file, tfl.build());
  return file;
}

export const TINY_KERAS: KModel = {
  name: 'tiny',
  kind: 'Functional',
  inputs: ['x'],
  outputs: ['dense'],
  layers: [
    { cls: 'InputLayer', name: 'x', config: { batch_input_shape: [null, 16, 16, 3], batch_shape: [null, 16, 16, 3] } },
    { cls: 'Conv2D', name: 'conv', inputs: ['x'], config: { filters: 8, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', use_bias: true }, weights: [['kernel', [3, 3, 3, 8]], ['bias', [8]]] },
    { cls: 'DepthwiseConv2D', name: 'dw', inputs: ['conv'], config: { kernel_size: [3, 3], strides: [2, 2], padding: 'same', depth_multiplier: 1, use_bias: true }, weights: [['depthwise_kernel', [3, 3, 8, 1]], ['bias', [8]]] },
    { cls: 'Conv2D', name: 'pw', inputs: ['dw'], config: { filters: 16, kernel_size: [1, 1], padding: 'valid', use_bias: true }, weights: [['kernel', [1, 1, 8, 16]], ['bias', [16]]] },
    { cls: 'GlobalAveragePooling2D', name: 'gap', inputs: ['pw'], config: {} },
    { cls: 'Dense', name: 'dense', inputs: ['gap'], config: { units: 10, activation: 'softmax' }, weights: [['kernel', [16, 10]], ['bias', [10]]] },
  ],
};

function coremlNnFile(): string {
  const layers = [
    nn.conv('conv', 'x', 'c1', { out: 8, in: 3, k: [3, 3], pad: 'same' }),
    nn.activation('relu', 'c1', 'r1'),
    nn.conv('dw', 'r1', 'd1', { out: 8, in: 8, groups: 8, k: [3, 3], stride: [2, 2], pad: 'same' }),
    nn.conv('pw', 'd1', 'p1', { out: 16, in: 8, k: [1, 1] }),
    nn.pool('gap', 'p1', 'g1', { type: 'avg', global: true }),
    nn.innerProduct('dense', 'g1', 'logits', 16, 10),
    nn.softmax('prob', 'logits', 'y'),
  ];
  const spec = model(4, description([{ name: 'x', array: [3, 16, 16] }], [{ name: 'y', array: [10] }]), MODEL.neuralNetwork, network(layers));
  const file = path.join(dir, 'tiny.mlmodel');
  fs.writeFileSync(file, spec.toBuffer());
  return file;
}

function coremlProgramPackage(): string {
  const blobs = new BlobWriter();
  const w = (name: string, shape: number[]): MilOp => milConst(name, 'FLOAT32', shape, blobValue('FLOAT32', shape, blobs.add('FLOAT32', shape.reduce((a, b) => a * b, 1) * 4)));
  const ints = (name: string, v: number[]): MilOp => milConst(name, 'INT32', v.length === 1 ? [] : [v.length], immediate({ ints: v }));
  const str = (name: string, s: string): MilOp => milConst(name, 'STRING', [], immediate({ strings: [s] }));
  const t = (name: string, shape: number[]) => [{ name, dtype: 'FLOAT32' as const, shape }];
  const ops: MilOp[] = [
    w('w1', [8, 3, 3, 3]), w('b1', [8]), w('w2', [8, 1, 3, 3]), w('b2', [8]), w('w3', [16, 8, 1, 1]), w('b3', [16]), w('w4', [10, 16]), w('b4', [10]),
    ints('s1', [1, 1]), ints('s2', [2, 2]), ints('pad0', [0, 0, 0, 0]), ints('dil', [1, 1]), ints('g1', [1]), ints('g8', [8]), str('same', 'same'), str('valid', 'valid'),
    ints('axes', [2, 3]), milConst('keep', 'BOOL', [], immediate({ bools: [false] })),
    { type: 'conv', inputs: { x: 'x', weight: 'w1', bias: 'b1', strides: 's1', pad_type: 'same', pad: 'pad0', dilations: 'dil', groups: 'g1' }, outputs: t('c1', [1, 8, 16, 16]) },
    { type: 'relu', inputs: { x: 'c1' }, outputs: t('r1', [1, 8, 16, 16]) },
    { type: 'conv', inputs: { x: 'r1', weight: 'w2', bias: 'b2', strides: 's2', pad_type: 'same', pad: 'pad0', dilations: 'dil', groups: 'g8' }, outputs: t('d1', [1, 8, 8, 8]) },
    { type: 'conv', inputs: { x: 'd1', weight: 'w3', bias: 'b3', strides: 's1', pad_type: 'valid', pad: 'pad0', dilations: 'dil', groups: 'g1' }, outputs: t('p1', [1, 16, 8, 8]) },
    { type: 'reduce_mean', inputs: { x: 'p1', axes: 'axes', keep_dims: 'keep' }, outputs: t('g', [1, 16]) },
    { type: 'linear', inputs: { x: 'g', weight: 'w4', bias: 'b4' }, outputs: t('logits', [1, 10]) },
    { type: 'softmax', inputs: { x: 'logits', axis: immediate({ ints: [-1] }) }, outputs: t('y', [1, 10]) },
  ];
  const prog = program([{ name: 'x', dtype: 'FLOAT32', shape: [1, 3, 16, 16] }], { outputs: ['y'], ops });
  const spec = model(7, description([{ name: 'x', array: [1, 3, 16, 16], dataType: ARRAY_FLOAT32 }], [{ name: 'y', array: [1, 10] }]), MODEL.mlProgram, prog);
  return writeMlpackage(path.join(dir, 'tiny.mlpackage'), spec.toBuffer(), blobs.toBuffer());
}

test(`one CNN in ONNX, TFLite, Keras .h5 and .keras, Core ML .mlmodel and .mlpackage: ${EXPECTED} MACs in each`, { skip: SKIP_NO_H5PY }, async () => {
  const files = [onnxFile(), tfliteFile(), writeKerasH5(path.join(dir, 'tiny.h5'), TINY_KERAS), writeKerasZip(path.join(dir, 'tiny.keras'), TINY_KERAS), coremlNnFile(), coremlProgramPackage()];
  for (const f of files) {
    const { model: m } = await analyzeFile(f);
    assert.equal(m.macs, EXPECTED, `${path.basename(f)} (${m.format}): ${m.macs} MACs${m.macsUnknownReason ? ` — ${m.macsUnknownReason}` : ''}`);
    assert.ok(m.peakActivationBytes !== null && m.peakActivationBytes > 0, `${path.basename(f)}: peak activations known`);
    assert.equal(m.macsLowerBoundReason, undefined, path.basename(f));
    // the weights: 3·3·3·8+8 + 3·3·8+8 + 8·16+16 + 16·10+10 = 618 float32 values in every format (some also store small int constants)
    const float32 = Object.entries(m.weightDtypes).filter(([d]) => /^float(32)?$/i.test(d)).reduce((a, [, b]) => a + b, 0);
    assert.equal(float32, 618 * 4, `${path.basename(f)}: float32 weight bytes ${JSON.stringify(m.weightDtypes)}`);
  }
});

// ------------------------------------------------------------------ real pairs in ../shared/models

async function macsOf(file: string): Promise<number | null> {
  return (await analyzeFile(file)).model.macs;
}

const v2 = (p: string): string => path.join(sharedDir, 'models', 'unlabelled-v2', p);

const PAIRS: [string, string, string][] = [
  ['MLPerf Tiny ResNet-8', fixture('pretrainedResnet.h5'), benchmarkModel('pretrainedResnet_quant.tflite')],
  ['MLPerf Tiny visual wake words (unlabelled)', unlabelled('vww_96.h5'), unlabelled('vww_96_int8.tflite')],
  ['MLPerf Tiny visual wake words (benchmark-models)', unlabelled('vww_96.h5'), benchmarkModel('vww_96_int8.tflite')],
  ['DTLN-aec stage 1 (Core ML package ↔ TFLite)', v2('coreml/DTLN_AEC_128_Part1.mlpackage'), v2('tflite/dtln_aec_128_1.tflite')],
];

for (const [what, a, b] of PAIRS) {
  test(`${what}: ${path.basename(a)} and ${path.basename(b)} give the same MACs`, { skip: SKIP_NO_SHARED }, async (t) => {
    if (!fs.existsSync(a) || !fs.existsSync(b)) return t.skip(`${!fs.existsSync(a) ? a : b} is absent`);
    const [ma, mb] = [await macsOf(a), await macsOf(b)];
    assert.ok(ma !== null && ma > 0, `${path.basename(a)}: MACs ${ma}`);
    assert.equal(ma, mb);
  });
}

test('the streaming wake-word Keras model has no TFLite conversion in ../shared; its MACs follow from its layers', { skip: SKIP_NO_SHARED }, async () => {
  // input [30, 1, 40]; (dw k×1 valid, 1×1 conv to 128 / 128 / 128 / 32) four times; dense 32 → 3
  const dws: [number, number][] = [[3, 40], [5, 128], [10, 128], [15, 128]];
  const pw = [128, 128, 128, 32];
  let steps = 30;
  let macs = 0;
  dws.forEach(([k, c], i) => {
    steps = steps - k + 1;
    macs += steps * c * k + steps * pw[i] * c;
  });
  macs += 32 * 3;
  assert.equal(await macsOf(fixture('str_ww_ref_model.h5')), macs);
});
