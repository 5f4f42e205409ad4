/**
 * Core ML reader: MNIST.mlmodel against independently read facts (protoc + coremltools protos), the unlabelled
 * TinyDrawingEmbedding.mlmodel, and specifications encoded here field by field (multi-array I/O, float16 /
 * int8 / 4-bit quantised / unpacked float weights, LSTM weights, a branch with nested networks, a pipeline,
 * an mlProgram) plus truncated and corrupted variants.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { FileSource } from '../../src/analyzers/io/file-source';
import { BufferSource } from '../../src/analyzers/io/zip';
import { readCoreml, coremlReader } from '../../src/analyzers/coreml';
import { ModelFileError } from '../../src/analyzers/errors';
import { buildProfile } from '../../src/analyzers/profile';
import type { ModelGraph } from '../../src/analyzers/graph';
import { SKIP_NO_SHARED, fixture, sharedDir, unlabelled } from '../support/shared';

const facts = (name: string): any => JSON.parse(fs.readFileSync(path.join(sharedDir, 'models', 'facts', `${name}.json`), 'utf8'));

function readFile(file: string): ModelGraph {
  const src = new FileSource(file);
  try {
    return coremlReader.read(src, {}) as ModelGraph;
  } finally {
    src.close();
  }
}

test('Core ML MNIST.mlmodel: spec version, type, I/O, metadata, layers and weights match the facts', { skip: SKIP_NO_SHARED }, () => {
  const f = facts('MNIST.mlmodel');
  const src = new FileSource(fixture('MNIST.mlmodel'));
  let g: ModelGraph;
  try {
    g = readCoreml(src);
    assert.ok(src.bytesRead < f.weight_bytes / 4, `weights are not read (${src.bytesRead} bytes read)`);
  } finally {
    src.close();
  }
  assert.equal(g.format, 'coreml');
  assert.equal(g.metadata.formatVersion, f.specificationVersion);
  const x = g.metadata.extra!;
  assert.equal(x.modelType, f.model_type);
  assert.equal(x.author, f.metadata.author);
  assert.equal(x.license, f.metadata.license);
  assert.equal(g.metadata.description, f.metadata.shortDescription);
  assert.equal(x.isUpdatable ?? false, f.isUpdatable);
  assert.equal(x.preprocessing, f.preprocessing.join(', '));
  assert.match(String(x.classLabels), /int64/);
  assert.equal(g.declaredLayers!.length, f.layer_count);
  const h: Record<string, number> = {};
  for (const l of g.declaredLayers!) h[l.op] = (h[l.op] ?? 0) + 1;
  assert.deepEqual(h, f.layer_histogram);
  // weights
  let elems = 0;
  let bytes = 0;
  let n = 0;
  for (const t of g.main.tensors.values()) {
    if (!t.isConstant) continue;
    n++;
    elems += t.elements!;
    bytes += t.storedBytes!;
  }
  assert.equal(n, f.weight_params_messages);
  assert.equal(x.weightParams, f.weight_params_messages);
  assert.equal(elems, f.weight_elems);
  assert.equal(bytes, f.weight_bytes);
  assert.equal(g.declaredLayers!.reduce((s, l) => s + (l.params ?? 0), 0), f.weight_elems);
  // inputs / outputs
  const inp = f.inputs[0];
  const image = g.main.tensors.get(g.main.inputs[0])!;
  assert.equal(image.name, inp.name);
  assert.deepEqual(image.shape, [1, 1, inp.height, inp.width]);
  assert.equal(image.dtype, `IMAGE ${inp.colorSpace}`);
  assert.deepEqual(g.main.outputs, f.outputs.map((o: any) => o.name));
  assert.equal(g.main.tensors.get('classLabel')!.dtype, 'INT64');
  assert.match(g.main.tensors.get('prediction')!.dtype, /DICTIONARY<int64>/);
  const { profile } = buildProfile(g, {});
  assert.equal(profile.params, f.weight_elems);
  assert.equal(profile.weightBytes, f.weight_bytes);
});

test('Core ML unlabelled TinyDrawingEmbedding.mlmodel: parses with sane totals', { skip: SKIP_NO_SHARED }, () => {
  const file = unlabelled('TinyDrawingEmbedding.mlmodel');
  const g = readFile(file);
  let bytes = 0;
  for (const t of g.main.tensors.values()) if (t.isConstant) bytes += t.storedBytes!;
  assert.ok(bytes > 0 && bytes < fs.statSync(file).size);
  assert.ok(g.declaredLayers!.length > 3);
  assert.equal(g.main.inputs.length, 1);
  assert.equal(g.main.outputs.length, 1);
});

// ------------------------------------------------------------------ a small protobuf encoder

type Field = [number, 'v', number] | [number, 'b', Buffer | string] | [number, 'f32', number] | [number, 'm', Field[]];

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

function enc(fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    const [num, kind, val] = f;
    if (kind === 'v') parts.push(varint(num * 8), varint(val as number));
    else if (kind === 'f32') {
      const b = Buffer.alloc(4);
      b.writeFloatLE(val as number);
      parts.push(varint(num * 8 + 5), b);
    } else {
      const body = kind === 'm' ? enc(val as Field[]) : typeof val === 'string' ? Buffer.from(val) : (val as Buffer);
      parts.push(varint(num * 8 + 2), varint(body.length), body);
    }
  }
  return Buffer.concat(parts);
}

const floats = (n: number): Buffer => Buffer.alloc(4 * n);
const multiArray = (name: string, shape: number[], dataType: number): Field => [
  1,
  'm',
  [
    [1, 'b', name],
    [3, 'm', [[5, 'm', [[1, 'b', Buffer.concat(shape.map(varint))], [2, 'v', dataType]]]]],
  ],
];

function nnSpec(): Buffer {
  const conv: Field[] = [
    [1, 'b', 'conv'],
    [2, 'b', 'x'],
    [3, 'b', 'c'],
    [100, 'm', [
      [1, 'v', 4], // outputChannels
      [2, 'v', 3], // kernelChannels
      [20, 'b', Buffer.concat([varint(3), varint(3)])], // kernelSize packed
      [70, 'v', 1],
      [90, 'm', [[2, 'b', Buffer.alloc(2 * 4 * 3 * 3 * 3)]]], // float16Value
      [91, 'm', [[1, 'f32', 0.5], [1, 'f32', 0.5], [1, 'f32', 0.5], [1, 'f32', 0.5]]], // unpacked floats
    ]],
  ];
  const fc: Field[] = [
    [1, 'b', 'fc'],
    [100 + 40, 'm', [
      [1, 'v', 108], // inputChannels
      [2, 'v', 10], // outputChannels
      [20, 'm', [[30, 'b', Buffer.alloc(540)], [40, 'm', [[1, 'v', 4], [101, 'm', [[1, 'b', floats(1)], [2, 'b', floats(1)]]]]]]], // 4-bit linear
      [21, 'm', [[31, 'b', Buffer.alloc(10)]]], // int8RawValue
    ]],
  ];
  const lstmW: Field[] = [1, 2, 3, 4].map((k): Field => [k, 'm', [[1, 'b', floats(8 * 10)]]]).concat([[40, 'm', [[1, 'b', floats(8)]]]]);
  const lstm: Field[] = [[1, 'b', 'lstm'], [420, 'm', [[20, 'm', lstmW]]]];
  const inner: Field[] = [[1, 'm', [[1, 'b', 'inner_relu'], [130, 'm', []]]], [1, 'm', [[1, 'b', 'inner_bias'], [250, 'm', [[2, 'm', [[1, 'b', floats(10)]]]]]]]];
  const branch: Field[] = [[1, 'b', 'br'], [605, 'm', [[1, 'm', inner], [2, 'm', [[1, 'm', [[1, 'b', 'else_copy'], [600, 'm', []]]]]]]]];
  const softmax: Field[] = [[1, 'b', 'prob'], [175, 'm', []]];
  const nn: Field[] = [[1, 'm', conv], [1, 'm', fc], [1, 'm', lstm], [1, 'm', branch], [1, 'm', softmax]];
  return enc([
    [1, 'v', 4],
    [2, 'm', [
      multiArray('x', [1, 3, 8, 8], 65552),
      [10, 'm', [[1, 'b', 'prob'], [3, 'm', [[5, 'm', [[1, 'b', Buffer.concat([varint(10)])], [2, 'v', 65568]]]]]]],
      [100, 'm', [[1, 'b', 'a test network'], [3, 'b', 'edgeplan tests'], [4, 'b', 'MIT'], [100, 'm', [[1, 'b', 'com.example.k'], [2, 'b', 'v']]]]],
    ]],
    [500, 'm', nn],
  ]);
}

test('Core ML written here: multi-array I/O, fp16/fp32/4-bit/int8 weights, LSTM, branch with nested networks', () => {
  const g = readCoreml(new BufferSource('net.mlmodel', nnSpec()));
  assert.equal(g.metadata.formatVersion, 4);
  assert.equal(g.metadata.extra!.modelType, 'neuralNetwork');
  assert.equal(g.metadata.extra!['userDefined.com.example.k'], 'v');
  const x = g.main.tensors.get('x')!;
  assert.deepEqual(x.shape, [1, 3, 8, 8]);
  assert.equal(x.dtype, 'FLOAT16');
  assert.equal(x.precision, 'fp16');
  assert.equal(g.main.tensors.get('prob')!.dtype, 'FLOAT32');
  const t = (n: string) => g.main.tensors.get(n)!;
  assert.deepEqual(t('conv.weights').shape, [4, 3, 3, 3]);
  assert.equal(t('conv.weights').dtype, 'float16');
  assert.equal(t('conv.weights').storedBytes, 216);
  assert.equal(t('conv.bias').elements, 4, 'unpacked floats are counted one by one');
  assert.equal(t('fc.weights').elements, 1080);
  assert.equal(t('fc.weights').bitsPerElement, 4);
  assert.deepEqual(t('fc.weights').shape, [10, 108]);
  assert.match(t('fc.weights').quant!.scheme!, /4-bit linear/);
  assert.equal(t('fc.bias').precision, 'int8');
  assert.equal(t('lstm.inputGateWeightMatrix').elements, 80);
  assert.equal(t('lstm.inputGateBiasVector').elements, 8);
  assert.equal(t('br/if/inner_bias.bias').elements, 10);
  assert.deepEqual(
    g.declaredLayers!.map((l) => [l.name, l.op, l.params]),
    [
      ['conv', 'convolution', 108 + 4],
      ['fc', 'innerProduct', 1080 + 10],
      ['lstm', 'uniDirectionalLSTM', 4 * 80 + 8],
      ['br', 'branch', 0],
      ['br/if/inner_relu', 'activation', 0],
      ['br/if/inner_bias', 'bias', 10],
      ['br/else/else_copy', 'copy', 0],
      ['prob', 'softmax', 0],
    ],
  );
});

test('Core ML pipeline of a neural network and an mlProgram: layers are listed with prefixes', () => {
  const nn = [[1, 'm', [[1, 'b', 'dense'], [140, 'm', [[1, 'v', 2], [2, 'v', 2], [20, 'm', [[1, 'b', floats(4)]]]]]]]] as Field[];
  const op = (type: string, out: string): Field => [3, 'm', [[1, 'b', type], [3, 'm', [[1, 'b', out]]]]];
  const block: Field[] = [op('conv', 'c0'), op('relu', 'r0'), op('reduce_mean', 'm0')];
  const program: Field[] = [
    [1, 'v', 1],
    [2, 'm', [[1, 'b', 'main'], [2, 'm', [[2, 'b', 'CoreML5'], [3, 'm', [[1, 'b', 'CoreML5'], [2, 'm', block]]]]]]],
  ];
  const pipeline: Field[] = [
    [1, 'm', [[1, 'v', 4], [500, 'm', nn]]],
    [1, 'm', [[1, 'v', 6], [502, 'm', program]]],
    [2, 'b', 'features'],
    [2, 'b', 'program'],
  ];
  const spec = enc([[1, 'v', 6], [202, 'm', pipeline]]);
  const g = readCoreml(new BufferSource('pipe.mlmodel', spec));
  assert.equal(g.metadata.extra!.modelType, 'pipeline');
  assert.equal(g.metadata.extra!.pipelineModels, 2);
  assert.deepEqual(
    g.declaredLayers!.map((l) => [l.name, l.op]),
    [['features/dense', 'innerProduct'], ['program/main/c0', 'conv'], ['program/main/r0', 'relu'], ['program/main/m0', 'reduce_mean']],
  );
  assert.equal(g.main.tensors.get('features/dense.weights')!.elements, 4);
});

test('Core ML truncated / corrupted / not Core ML give one-line ModelFileErrors', () => {
  const spec = nnSpec();
  const isModelError = (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.ok(!e.message.includes('\n'));
    return true;
  };
  for (const n of [1, 3, 10, 50, 200, spec.length - 1]) {
    try {
      readCoreml(new BufferSource('t.mlmodel', spec.subarray(0, n)));
    } catch (e) {
      isModelError(e);
    }
  }
  assert.throws(() => readCoreml(new BufferSource('t.mlmodel', spec.subarray(0, spec.length - 1))), isModelError);
  // a length prefix larger than the file
  const bad = enc([[1, 'v', 1], [500, 'm', [[1, 'b', Buffer.alloc(10)]]]]);
  bad[bad.length - 11] = 0x7f;
  assert.throws(() => readCoreml(new BufferSource('b.mlmodel', bad)), isModelError);
  // no version and no model
  assert.throws(() => readCoreml(new BufferSource('e.mlmodel', enc([[3, 'v', 1]]))), /not a Core ML model/);
});
