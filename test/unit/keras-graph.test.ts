/**
 * Keras configs rebuilt as graphs: models written here (h5py for the HDF5 parts) with MACs, FLOPs and shapes
 * computed by hand — a functional CNN with padding, strided / separable / transposed convolutions, a residual
 * Add, up-sampling, concatenation, pooling and dense layers on 3-D input, saved both as a Keras 2 .h5 and a
 * Keras 3 .keras; a Keras 2 Sequential sequence model (Embedding, causal Conv1D, LSTM, GRU); Bidirectional and
 * TimeDistributed wrappers with a nested functional model; a Lambda layer making MACs a lower bound; and
 * hostile configs (a layer cycle, 2^40-element shapes, an undefined layer, names totalling more than the
 * bound) refused with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { analyzeFile, ModelFileError } from '../../src/analyzers';
import { tempDir } from '../support/shared';
import { SKIP_NO_H5PY, kerasConfig, weightElements, writeKerasH5, writeKerasZip, type KModel } from '../support/keras-writer';
import { makeZip } from '../support/torch-files';
import { assertBadInput, assertBoundedMemory, runCli } from '../support/run-cli';
import * as fs from 'fs';

const dir = tempDir('keras-graph');

const CNN: KModel = {
  name: 'cnn',
  kind: 'Functional',
  inputs: ['image'],
  outputs: ['head'],
  layers: [
    { cls: 'InputLayer', name: 'image', config: { batch_input_shape: [null, 32, 32, 3], batch_shape: [null, 32, 32, 3] } },
    { cls: 'ZeroPadding2D', name: 'pad', inputs: ['image'], config: { padding: [[1, 1], [1, 1]] } },
    { cls: 'Conv2D', name: 'stem', inputs: ['pad'], config: { filters: 16, kernel_size: [3, 3], strides: [2, 2], padding: 'valid' }, weights: [['kernel', [3, 3, 3, 16]], ['bias', [16]]] },
    { cls: 'BatchNormalization', name: 'bn', inputs: ['stem'], config: {}, weights: [['gamma', [16]], ['beta', [16]], ['moving_mean', [16]], ['moving_variance', [16]]] },
    { cls: 'ReLU', name: 'relu', inputs: ['bn'] },
    { cls: 'SeparableConv2D', name: 'sep', inputs: ['relu'], config: { filters: 32, kernel_size: 3, padding: 'same', depth_multiplier: 1 }, weights: [['depthwise_kernel', [3, 3, 16, 1]], ['pointwise_kernel', [1, 1, 16, 32]], ['bias', [32]]] },
    { cls: 'MaxPooling2D', name: 'pool', inputs: ['sep'], config: { pool_size: [2, 2], padding: 'valid' } },
    { cls: 'Conv2D', name: 'branch', inputs: ['pool'], config: { filters: 32, kernel_size: 3, padding: 'same', activation: 'relu' }, weights: [['kernel', [3, 3, 32, 32]], ['bias', [32]]] },
    { cls: 'Add', name: 'add', inputs: ['branch', 'pool'] },
    { cls: 'Conv2DTranspose', name: 'up_conv', inputs: ['add'], config: { filters: 8, kernel_size: 2, strides: 2, padding: 'valid' }, weights: [['kernel', [2, 2, 8, 32]], ['bias', [8]]] },
    { cls: 'UpSampling2D', name: 'up', inputs: ['add'], config: { size: [2, 2] } },
    { cls: 'Concatenate', name: 'cat', inputs: ['up_conv', 'up'], config: { axis: -1 } },
    { cls: 'AveragePooling2D', name: 'avg', inputs: ['cat'], config: { pool_size: 4 } },
    { cls: 'Flatten', name: 'flat', inputs: ['avg'] },
    { cls: 'Dense', name: 'fc', inputs: ['flat'], config: { units: 10 }, weights: [['kernel', [640, 10]], ['bias', [10]]] },
    { cls: 'Reshape', name: 'reshape', inputs: ['fc'], config: { target_shape: [2, -1] } },
    { cls: 'Dense', name: 'head', inputs: ['reshape'], config: { units: 3, activation: 'softmax' }, weights: [['kernel', [5, 3]], ['bias', [3]]] },
  ],
};

// stem 16·16·16 × 3·9; separable: depthwise 16·16·16 × 9 + pointwise 16·16·32 × 16; branch 8·8·32 × 32·9;
// transposed conv: input 8·8·32 × 8 × 2·2; fc 10 × 640; head 2·3 × 5
const CNN_MACS = 16 * 16 * 16 * 27 + 16 * 16 * 16 * 9 + 16 * 16 * 32 * 16 + 8 * 8 * 32 * 288 + 8 * 8 * 32 * 8 * 4 + 10 * 640 + 6 * 5;
const CNN_SHAPES: Record<string, number[]> = {
  pad: [1, 34, 34, 3], stem: [1, 16, 16, 16], sep: [1, 16, 16, 32], pool: [1, 8, 8, 32], add: [1, 8, 8, 32], up_conv: [1, 16, 16, 8], up: [1, 16, 16, 32],
  cat: [1, 16, 16, 40], avg: [1, 4, 4, 40], flat: [1, 640], fc: [1, 10], reshape: [1, 2, 5], head: [1, 2, 3],
};

for (const kind of ['h5', 'keras'] as const) {
  test(`functional CNN as ${kind === 'h5' ? 'a Keras 2 .h5' : 'a Keras 3 .keras'}: ${CNN_MACS} MACs, shapes and weights per layer`, { skip: SKIP_NO_H5PY }, async () => {
    const file = kind === 'h5' ? writeKerasH5(path.join(dir, 'cnn.h5'), CNN) : writeKerasZip(path.join(dir, 'cnn.keras'), CNN);
    const { model: m, warnings } = await analyzeFile(file);
    assert.equal(m.hasComputeGraph, true);
    assert.equal(m.macs, CNN_MACS, warnings.join(' | '));
    assert.equal(m.params, weightElements(CNN));
    const byName = new Map(m.layers.map((l) => [l.name, l]));
    for (const [name, shape] of Object.entries(CNN_SHAPES)) assert.deepEqual(byName.get(name)?.outputShapes, [shape], name);
    assert.equal(byName.get('sep')!.params, 3 * 3 * 16 + 16 * 32 + 32, 'a layer reads its own weights');
    assert.equal(byName.get('bn')!.flops, 2 * 16 * 16 * 16);
    assert.equal(byName.get('branch')!.flops, 2 * 8 * 8 * 32, 'bias + fused relu');
    assert.equal(byName.get('head')!.flops, 6 + 5 * 6, 'bias + fused softmax');
    assert.equal(byName.get('up_conv')!.opClass, 'conv-transpose');
    assert.deepEqual(m.inputs, [{ name: 'image', shape: ['batch', 32, 32, 3], dtype: 'float32' }]);
    assert.deepEqual(m.outputs.map((o) => o.name), ['head']);
    // liveness: the residual keeps `pool` alive across the branch; the peak is where two 16x16 maps meet
    assert.ok(m.peakActivationBytes! >= (16 * 16 * 8 + 16 * 16 * 32 + 16 * 16 * 40) * 4, `peak ${m.peakActivationBytes}`);
    assert.deepEqual({ ...m.dynamicShapes.bindings }, { batch: 1 });
  });
}

test('binding the batch scales every figure that depends on it', { skip: SKIP_NO_H5PY }, async () => {
  const file = path.join(dir, 'cnn.h5');
  if (!fs.existsSync(file)) writeKerasH5(file, CNN);
  const { model: m } = await analyzeFile(file, { bindings: { batch: 4 } });
  assert.equal(m.macs, 4 * CNN_MACS);
  assert.deepEqual(m.layers.find((l) => l.name === 'head')!.outputShapes, [[4, 2, 3]]);
});

const SEQ: KModel = {
  name: 'seq',
  kind: 'Sequential',
  layers: [
    { cls: 'Embedding', name: 'embed', config: { input_dim: 100, output_dim: 8, batch_input_shape: [null, 20], dtype: 'float32' }, weights: [['embeddings', [100, 8]]] },
    { cls: 'Conv1D', name: 'conv1d', config: { filters: 16, kernel_size: [3], padding: 'causal' }, weights: [['kernel', [3, 8, 16]], ['bias', [16]]] },
    { cls: 'LSTM', name: 'lstm', config: { units: 12, return_sequences: true }, weights: [['lstm_cell/kernel', [16, 48]], ['lstm_cell/recurrent_kernel', [12, 48]], ['lstm_cell/bias', [48]]] },
    { cls: 'GRU', name: 'gru', config: { units: 6 }, weights: [['gru_cell/kernel', [12, 18]], ['gru_cell/recurrent_kernel', [6, 18]], ['gru_cell/bias', [2, 18]]] },
    { cls: 'Dense', name: 'out', config: { units: 4 }, weights: [['kernel', [6, 4]], ['bias', [4]]] },
  ],
};

test('Keras 2 Sequential sequence model: embedding, causal Conv1D, LSTM, GRU, Dense', { skip: SKIP_NO_H5PY }, async () => {
  const { model: m, warnings } = await analyzeFile(writeKerasH5(path.join(dir, 'seq.h5'), SEQ));
  assert.equal(m.macs, 20 * 16 * 8 * 3 + 6 * 4, warnings.join(' | '));
  // recurrent layers carry flops, not MACs (as TFLite's fused sequence LSTM)
  assert.equal(m.flops, 20 * (4 * 12 * 28 * 2 + 4 * 12 * 4) + 20 * (3 * 6 * 18 * 2 + 3 * 6 * 4) + 324);
  const shapes = Object.fromEntries(m.layers.map((l) => [l.name, l.outputShapes[0]]));
  assert.deepEqual(shapes, { embed: [1, 20, 8], conv1d: [1, 20, 16], lstm: [1, 20, 12], gru: [1, 6], out: [1, 4] });
  assert.equal(m.inputs[0].name, 'embed_input');
  assert.equal(m.params, weightElements(SEQ));
  assert.equal(m.layers.find((l) => l.name === 'lstm')!.opClass, 'recurrent');
});

test('Bidirectional and TimeDistributed wrappers, and a nested functional model flattened into its layers', { skip: SKIP_NO_H5PY }, async () => {
  const head: KModel = {
    name: 'head',
    kind: 'Functional',
    inputs: ['head_in'],
    outputs: ['dense_h'],
    layers: [
      { cls: 'InputLayer', name: 'head_in', config: { batch_input_shape: [null, 5] } },
      { cls: 'Dense', name: 'dense_h', inputs: ['head_in'], config: { units: 2 } },
    ],
  };
  const outer: KModel = {
    name: 'outer',
    kind: 'Functional',
    inputs: ['seq'],
    outputs: ['head'],
    layers: [
      { cls: 'InputLayer', name: 'seq', config: { batch_input_shape: [null, 10, 8] } },
      {
        cls: 'Bidirectional',
        name: 'bi',
        inputs: ['seq'],
        config: { merge_mode: 'concat', layer: { class_name: 'LSTM', config: { name: 'lstm', units: 4, return_sequences: true } } },
        weights: [['forward_lstm/lstm_cell/kernel', [8, 16]], ['backward_lstm/lstm_cell/kernel', [8, 16]]],
      },
      { cls: 'TimeDistributed', name: 'td', inputs: ['bi'], config: { layer: { class_name: 'Dense', config: { name: 'd', units: 5 } } }, weights: [['kernel', [8, 5]], ['bias', [5]]] },
      { cls: 'GlobalAveragePooling1D', name: 'gap', inputs: ['td'] },
      { cls: 'Functional', name: 'head', inputs: ['gap'], config: kerasConfig(head, 2).config as Record<string, unknown>, weights: [['dense_h/kernel', [5, 2]], ['dense_h/bias', [2]]] },
    ],
  };
  const { model: m, warnings } = await analyzeFile(writeKerasH5(path.join(dir, 'nested.h5'), outer));
  assert.equal(m.macs, 10 * 5 * 8 + 2 * 5, warnings.join(' | '));
  const names = m.layers.map((l) => l.name);
  assert.ok(names.includes('head/dense_h'), names.join(', '));
  assert.ok(!names.includes('head/head_in'), 'the inner input layer is joined to the outer tensor, not a layer');
  assert.deepEqual(m.layers.find((l) => l.name === 'bi')!.outputShapes, [[1, 10, 8]]);
  // 10 steps × 2 directions × (4 gates·4 units·(8 inputs + 4 recurrent)·2 + 4·4·4)
  assert.equal(m.layers.find((l) => l.name === 'bi')!.flops, 10 * 2 * (4 * 4 * 12 * 2 + 4 * 4 * 4));
  assert.equal(m.layers.find((l) => l.name === 'head/dense_h')!.params, 12, 'nested weights are matched by their path');
  assert.deepEqual(m.outputs.map((o) => o.name), ['head/dense_h']);
});

test('a Lambda layer makes MACs a lower bound, saying which layer and why; an elementwise TFOpLambda is costed', { skip: SKIP_NO_H5PY }, async () => {
  const lam: KModel = {
    name: 'lam',
    kind: 'Sequential',
    layers: [
      { cls: 'Dense', name: 'd1', config: { units: 4, batch_input_shape: [null, 8] }, weights: [['kernel', [8, 4]], ['bias', [4]]] },
      { cls: 'TFOpLambda', name: 'tf.math.multiply', config: { function: 'math.multiply' } },
      { cls: 'Lambda', name: 'lambda', config: { function: ['4wEAAAAA', null, null], function_type: 'lambda' } },
      { cls: 'Dense', name: 'd2', config: { units: 2 }, weights: [['kernel', [4, 2]], ['bias', [2]]] },
    ],
  };
  const { model: m, warnings } = await analyzeFile(writeKerasH5(path.join(dir, 'lambda.h5'), lam));
  assert.equal(m.macs, 32, 'the known part');
  assert.match(m.macsLowerBoundReason ?? '', /Lambda layer "lambda" runs Python code/);
  assert.ok(warnings.some((w) => /lower bound/.test(w)), warnings.join(' | '));
  assert.ok(m.layers.find((l) => l.name === 'd2')!.lowerBound, 'the dense after it could not be shaped');
  const mul = m.layers.find((l) => l.name === 'tf.math.multiply')!;
  assert.deepEqual([mul.outputShapes[0], mul.flops, mul.lowerBound], [[1, 4], 4, undefined], 'an elementwise TFOpLambda is shaped and costed');
});

// ------------------------------------------------------------------ hostile configs

/** analyzeFile throws one ModelFileError line naming the file; `edgeplan analyze` exits 1 with one line. */
async function refused(file: string, re: RegExp): Promise<void> {
  await assert.rejects(analyzeFile(file), (e: unknown) => {
    assert.ok(e instanceof ModelFileError, String(e));
    assert.ok(!e.message.includes('\n'));
    assert.ok(e.message.includes(path.basename(file)), e.message);
    assert.match(e.message, re);
    return true;
  });
  const run = await runCli(['analyze', file]);
  assertBoundedMemory(run);
  assert.ok(assertBadInput(run, re).includes(path.basename(file)));
}

const kerasZip = (name: string, config: unknown): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, makeZip([{ name: 'config.json', data: Buffer.from(typeof config === 'string' ? config : JSON.stringify(config)), deflate: true }, { name: 'metadata.json', data: Buffer.from('{}') }]));
  return file;
};

test('a Keras config whose layers form a cycle is refused with one line', async () => {
  const cyc: KModel = {
    name: 'cyc',
    kind: 'Functional',
    inputs: ['x'],
    outputs: ['b'],
    layers: [
      { cls: 'InputLayer', name: 'x', config: { batch_shape: [null, 4] } },
      { cls: 'Add', name: 'a', inputs: ['x', 'b'] },
      { cls: 'Dense', name: 'b', inputs: ['a'], config: { units: 4 } },
    ],
  };
  await refused(kerasZip('cycle.keras', kerasConfig(cyc, 3)), /cycle/);
});

test('2^40-element input shapes and layer sizes are refused with one line', async () => {
  const big = (shape: unknown[], units: number): KModel => ({
    name: 'big',
    kind: 'Sequential',
    layers: [
      { cls: 'InputLayer', name: 'x', config: { batch_shape: shape } },
      { cls: 'Dense', name: 'd', config: { units } },
    ],
  });
  await refused(kerasZip('big-input.keras', kerasConfig(big([null, 2 ** 20, 2 ** 20], 1), 3)), /absurd/);
  await refused(kerasZip('big-dense.keras', kerasConfig(big([null, 1024], 2 ** 40), 3)), /absurd/);
  await refused(kerasZip('huge-dim.keras', kerasConfig(big([null, 2 ** 40], 1), 3)), /absurd/);
});

test('a layer called on a layer the config does not define is refused', async () => {
  const bad: KModel = {
    name: 'bad',
    kind: 'Functional',
    inputs: ['x'],
    outputs: ['d'],
    layers: [
      { cls: 'InputLayer', name: 'x', config: { batch_shape: [null, 4] } },
      { cls: 'Dense', name: 'd', inputs: ['ghost'], config: { units: 4 } },
    ],
  };
  await refused(kerasZip('ghost.keras', kerasConfig(bad, 2)), /"ghost", which the config does not define/);
});

test('a 16 MiB model name copied into every layer name is refused (total name bytes are bounded)', async () => {
  const long = 'n'.repeat(16 * 2 ** 20);
  const layers = [0, 1, 2].map((i) => ({ class_name: 'Dense', config: { name: `${long}${i}`, units: 1, batch_input_shape: [null, 1] } }));
  const text = JSON.stringify({ class_name: 'Sequential', config: { name: long, layers } });
  await refused(kerasZip('names.keras', text), /names add up to more than 32 MiB/);
});

test('a subclassed Keras model (no layer list) has no compute graph and says why', async () => {
  const file = kerasZip('sub.keras', { module: null, class_name: 'MyModel', config: { name: 'my_model', units: 3 }, registered_name: 'custom>MyModel', build_config: { input_shape: [2, 4] } });
  const { model: m } = await analyzeFile(file);
  assert.equal(m.hasComputeGraph, false);
  assert.equal(m.macs, null);
  assert.match(m.macsUnknownReason!, /subclassed Keras model \(custom>MyModel\): its computation is Python code/);
});
