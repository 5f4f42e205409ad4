/**
 * One small CNN written in every format the analyzers read, for the tests that hold the formats to the same
 * MACs (unit tests, and the end-to-end test's .mlpackage): 3×3 conv 3→8 + ReLU, 3×3/2 depthwise, 1×1 conv
 * 8→16, global average pool, dense 16→10 on a 16×16×3 input.
 */
import * as fs from 'fs';
import * as path from 'path';
import { OnnxGraphBuilder, writeModel } from './modelgen/onnx-builder';
import { TfliteModelBuilder } from './modelgen/tflite-builder';
import type { KModel } from './keras-writer';
import { ARRAY_FLOAT32, BlobWriter, MODEL, blobValue, description, immediate, milConst, model, network, nn, program, writeMlpackage, type MilOp } from './coreml-writer';

// conv 16·16·8 × 3·9, depthwise 8·8·8 × 9, pointwise 8·8·16 × 8, dense 16 × 10
export const TINY_CNN_MACS = 16 * 16 * 8 * 3 * 9 + 8 * 8 * 8 * 9 + 8 * 8 * 16 * 8 + 16 * 10;

export function tinyOnnx(dir: string): string {
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

export function tinyTflite(dir: string): string {
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

export function tinyCoremlNn(dir: string): string {
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

export function tinyMlpackage(dir: string, name = 'tiny.mlpackage'): string {
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
  return writeMlpackage(path.join(dir, name), spec.toBuffer(), blobs.toBuffer());
}

