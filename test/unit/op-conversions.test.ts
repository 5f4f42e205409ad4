/**
 * op-support.json's `conversions` (Keras layers and Core ML operations → the op their toolchain produces): every
 * target name is a TFLite builtin (the schema's BuiltinOperator list, an independent list) or a name the target
 * lists themselves use; every Keras layer class the analyzer shapes and costs, and every Core ML MAC operation,
 * has a conversion; and a malformed entry is refused naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { loadOpSupport } from '../../src/planner/catalog';
import { parseOpSupport } from '../../src/planner/catalog/op-support';
import { BUILTIN_OPERATOR_NAMES } from '../../src/analyzers/tflite/schema';
import { CONV, DEPTHWISE, GLOBAL_POOLS, MERGES, POOLS, RNN_GATES, SEPARABLE, TRANSPOSED } from '../../src/analyzers/keras/layer-classes';
import { repoRoot } from '../support/shared';

const ops = loadOpSupport();

test('every conversion target is a TFLite builtin or a name the target lists use (FLEX: the select-TF-ops delegate)', () => {
  const known = new Set<string>([...BUILTIN_OPERATOR_NAMES, ...Object.values(ops.targets).flatMap((t) => t.ops ?? []), 'FLEX']);
  for (const [format, conv] of Object.entries(ops.conversions)) {
    assert.ok(conv.source.length > 10 && conv.description.length > 10, `${format}: a source and a description`);
    for (const [from, to] of Object.entries(conv.ops)) assert.ok(known.has(to), `${format} ${from} → ${to}: not a TFLite op name`);
  }
});

test('every Keras layer class the analyzer costs (1-D and 2-D) has a conversion', () => {
  const keras = ops.conversions.keras.ops;
  const classes = [...CONV, ...DEPTHWISE, ...SEPARABLE, ...TRANSPOSED, ...POOLS, ...GLOBAL_POOLS, ...MERGES, ...Object.keys(RNN_GATES), 'Dense', 'Activation', 'Flatten', 'Reshape', 'Concatenate', 'ZeroPadding2D', 'UpSampling2D', 'Embedding', 'Softmax', 'ReLU'];
  const missing = classes.filter((c) => !/3D/.test(c) && keras[c] === undefined);
  assert.deepEqual(missing, []);
  assert.equal(keras['Activation:softmax'], 'SOFTMAX');
  assert.equal(keras['Activation:sigmoid'], 'LOGISTIC');
  // BatchNormalization and Dropout are folded by the converter: listed as ignored, not converted
  for (const folded of ['BatchNormalization', 'Dropout', 'InputLayer']) assert.ok(ops.ignored.includes(folded), folded);
});

test('Core ML MAC operations and the loop / gather / recurrent ops the Neural Engine refuses have conversions', () => {
  const coreml = ops.conversions.coreml.ops;
  for (const op of ['convolution', 'innerProduct', 'batchedMatmul', 'conv', 'conv_transpose', 'linear', 'matmul']) assert.ok(coreml[op], op);
  const ane = new Set(ops.targets.ane.ops);
  for (const op of ['while_loop', 'cond', 'gather', 'lstm', 'gru', 'loop', 'uniDirectionalLSTM', 'custom']) assert.ok(ane.has(coreml[op]), `${op} → ${coreml[op]} is on the Neural Engine's deny list`);
  assert.ok(ops.ignored.includes('const'), 'MIL constants are not operations at run time');
});

test('a malformed conversion entry is refused naming the field', () => {
  const doc = JSON.parse(fs.readFileSync(path.join(repoRoot, 'src', 'planner', 'catalog', 'op-support.json'), 'utf8'));
  doc.conversions.keras.ops.Conv2D = 42;
  assert.throws(() => parseOpSupport(doc), /conversions\.keras\.ops\.Conv2D/);
  delete doc.conversions.coreml.source;
  doc.conversions.keras.ops.Conv2D = 'CONV_2D';
  assert.throws(() => parseOpSupport(doc), /conversions\.coreml\.source/);
});
