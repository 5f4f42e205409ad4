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
import { SKIP_NO_SHARED, benchmarkModel, fixture, sharedDir, tempDir, unlabelled } from '../support/shared';
import { SKIP_NO_H5PY, writeKerasH5, writeKerasZip } from '../support/keras-writer';
import { TINY_CNN_MACS as EXPECTED, TINY_KERAS, tinyCoremlNn, tinyMlpackage, tinyOnnx, tinyTflite } from '../support/tiny-cnn';

const dir = tempDir('cross-macs');

test(`one CNN in ONNX, TFLite, Keras .h5 and .keras, Core ML .mlmodel and .mlpackage: ${EXPECTED} MACs in each`, { skip: SKIP_NO_H5PY }, async () => {
  const files = [tinyOnnx(dir), tinyTflite(dir), writeKerasH5(path.join(dir, 'tiny.h5'), TINY_KERAS), writeKerasZip(path.join(dir, 'tiny.keras'), TINY_KERAS), tinyCoremlNn(dir), tinyMlpackage(dir)];
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
