/**
 * Every Core ML and Keras file in ../shared/models (fixtures, unlabelled, unlabelled-v2) analysed through
 * analyzeFile, with MACs worked out by hand from each file's layers (read with protoc / h5py while writing
 * this test) or, where a number cannot be known, the reason it says: the CreateML pipeline's Vision feature
 * extractor ships with the OS (a lower bound), the subclassed Keras 3 model keeps its computation in Python.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import { SKIP_NO_SHARED, fixture, sharedDir, unlabelled } from '../support/shared';

const v2 = (p: string): string => path.join(sharedDir, 'models', 'unlabelled-v2', p);

async function analyse(file: string) {
  const r = await analyzeFile(file);
  return { m: r.model, w: r.warnings };
}

test('MNIST.mlmodel: two convolutions and two inner products, 6,094,208 MACs', { skip: SKIP_NO_SHARED }, async () => {
  const { m } = await analyse(fixture('MNIST.mlmodel'));
  assert.equal(m.macs, 26 * 26 * 32 * 9 + 24 * 24 * 32 * 32 * 9 + 4608 * 128 + 128 * 10);
  assert.deepEqual(m.layers.find((l) => l.name === 'flatten_1')!.outputShapes, [[1, 4608, 1, 1]]);
  assert.ok(m.peakActivationBytes! > 26 * 26 * 32 * 4, 'the first two feature maps are live together');
});

test('TinyDrawingEmbedding.mlmodel: "same" convolutions on 28×28, 1,992,960 MACs', { skip: SKIP_NO_SHARED }, async () => {
  const { m } = await analyse(unlabelled('TinyDrawingEmbedding.mlmodel'));
  assert.equal(m.macs, 28 * 28 * 16 * 9 + 14 * 14 * 32 * 16 * 9 + 7 * 7 * 64 * 32 * 9 + 576 * 128);
});

test('model_hourglass.mlmodel: 844 layers costed, the last one writes the declared [14, 48, 48] output', { skip: SKIP_NO_SHARED }, async () => {
  const { m, w } = await analyse(v2('coreml/model_hourglass.mlmodel'));
  assert.equal(m.layers.length, 844);
  assert.ok(m.macs !== null && m.macs > 1e8 && m.macs < 1e9, `MACs ${m.macs} (${w.join(' | ')})`);
  const out = m.layers.find((l) => l.name === 'hourglass_out_3:0' || l.outputShapes.length && m.outputs[0].name === 'hourglass_out_3__0' && l === m.layers[m.layers.length - 1]);
  assert.deepEqual(m.layers[m.layers.length - 1].outputShapes, [[1, 14, 48, 48]], out?.name);
  assert.ok(m.peakActivationBytes !== null);
  assert.equal(m.layers.filter((l) => l.opClass === 'depthwise-conv').length > 10, true, 'depthwise convolutions (nGroups = channels) are recognised');
});

test('ImageClassifier_CreateML.mlmodel: a pipeline whose Vision feature print ships with the OS — MACs are a lower bound', { skip: SKIP_NO_SHARED }, async () => {
  const { m } = await analyse(v2('coreml/ImageClassifier_CreateML.mlmodel'));
  assert.equal(m.metadata.pipeline, 'model0 (visionFeaturePrint) → model1 (glmClassifier)');
  assert.equal(m.macs, 2048 * 10, 'the GLM classifier: 10 classes × 2048 features');
  assert.match(m.macsLowerBoundReason!, /visionFeaturePrint .* ships with the operating system/);
});

test('DTLN_AEC_128_Part1.mlpackage: weights from weight.bin, LSTM time loops costed, 492,672 MACs', { skip: SKIP_NO_SHARED }, async () => {
  const pkg = v2('coreml/DTLN_AEC_128_Part1.mlpackage');
  const { m, w } = await analyse(pkg);
  assert.equal(m.format, 'coreml');
  assert.equal(m.file, path.resolve(pkg));
  const spec = path.join(pkg, 'Data', 'com.apple.CoreML');
  assert.equal(m.bytes, fs.statSync(path.join(spec, 'model.mlmodel')).size + fs.statSync(path.join(spec, 'weights', 'weight.bin')).size);
  // SOURCES.csv: 12 FLOAT32 blob constants, 494,981 elements; plus six scalar FLOAT32 constants in the spec (add / log epsilons)
  assert.equal(m.weightDtypes.FLOAT32, (494_981 + 6) * 4);
  // LSTM 1: 4·128·(514+128), LSTM 2: 4·128·(128+128), dense mask 128·257
  assert.equal(m.macs, 4 * 128 * 642 + 4 * 128 * 256 + 128 * 257, w.join(' | '));
  assert.equal(m.opHistogram.while_loop, 2);
  assert.ok(m.subgraphCosts.length >= 4);
  assert.ok(m.peakActivationBytes !== null && m.peakActivationBytes > 0);
  assert.deepEqual({ ...m.dynamicShapes.bindings }, { 'lpb_magnitude.dim0': 1, 'mic_magnitude.dim0': 1, 'states_in.dim0': 1 });
});

test('masking_lstm_sequential.keras (Keras 3): LSTM(1) on [2, 3, 2] — no MACs, its recurrent flops', { skip: SKIP_NO_SHARED }, async () => {
  const { m } = await analyse(v2('keras/masking_lstm_sequential.keras'));
  assert.equal(m.macs, 0);
  // LSTM: 3 steps × batch 2 × (4 gates·1 unit·(2 inputs + 1 recurrent)·2 + 4·1·4) = 6 × 40; masking 2·3·2.
  assert.equal(m.flops, 3 * 2 * (4 * 1 * 3 * 2 + 4 * 1 * 4) + 2 * 3 * 2, 'the LSTM and the masking');
  assert.deepEqual(m.layers.map((l) => [l.name, l.outputShapes[0]]), [['masking', [2, 3, 2]], ['lstm', [2, 1]]]);
});

test('pre_pr22362_nested_container.keras: a subclassed model — MACs unknown, saying why', { skip: SKIP_NO_SHARED }, async () => {
  const { m } = await analyse(v2('keras/pre_pr22362_nested_container.keras'));
  assert.equal(m.params, 58);
  assert.equal(m.macs, null);
  assert.match(m.macsUnknownReason!, /subclassed Keras model \(legacy_nested_container>NestedDenseModel\)/);
});
