/**
 * Every TFLite line of REFERENCE.jsonl through the public entry point analyzeFile (detection → TFLite reader →
 * shape binding → costs → profile): the figures must agree exactly with the independent reader's.
 * Also: detection picks TFLite from the bytes, generated models go through the same path, and broken files
 * come back as one-line ModelFileErrors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile, ModelFileError } from '../../src/analyzers/index';
import { TfliteModelBuilder } from '../support/modelgen/tflite-builder';
import { SKIP_NO_SHARED, fixture, referenceLines, tempDir } from '../support/shared';

const lines = referenceLines().filter((l) => l.format === 'tflite');

test('REFERENCE.jsonl lists the ten TFLite fixtures', { skip: SKIP_NO_SHARED }, () => {
  assert.equal(lines.length, 10);
});

for (const ref of lines) {
  test(`analyzeFile ${ref.file} matches REFERENCE.jsonl`, { skip: SKIP_NO_SHARED }, async () => {
    const { model } = await analyzeFile(fixture(ref.file));
    assert.equal(model.format, 'tflite');
    assert.equal(model.bytes, ref.bytes);
    assert.equal(model.params, ref.params, 'params');
    assert.equal(model.weightBytes, ref.weightBytes, 'weightBytes');
    assert.equal(model.macs, ref.macs, 'macs');
    assert.equal(model.operatorCount, ref.operatorCount, 'operatorCount');
    assert.deepEqual({ ...model.opHistogram }, ref.opHistogram, 'opHistogram');
    assert.deepEqual(model.inputs.map((i) => ({ dtype: i.dtype, shape: i.shape })), ref.inputs.map((i) => ({ dtype: i.dtype, shape: i.shape })), 'inputs');
    assert.deepEqual(model.outputs.map((i) => ({ dtype: i.dtype, shape: i.shape })), ref.outputs.map((i) => ({ dtype: i.dtype, shape: i.shape })), 'outputs');
    if (ref.macs) {
      assert.equal(model.layers.reduce((s, l) => s + (l.macs ?? 0), 0), ref.macs, 'per-layer MACs add up');
      assert.ok(model.peakActivationBytes !== null && model.peakActivationBytes > 0);
    }
  });
}

test('analyzeFile: compiled models report their segment and quantization state', { skip: SKIP_NO_SHARED }, async () => {
  const tpu = (await analyzeFile(fixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite'))).model;
  assert.deepEqual(tpu.compiledSegments.map((c) => [c.kind, c.payloadBytes]), [['edgetpu', 778324]]);
  assert.equal(tpu.layers[0].compiledPayloadBytes, 778324);
  assert.equal(tpu.quantization.state, 'compiled');
  const vela = (await analyzeFile(fixture('person_detect_vela.tflite'))).model;
  assert.deepEqual(vela.compiledSegments.map((c) => [c.kind, c.payloadBytes]), [['ethos-u', 268648]]);
});

test('analyzeFile on a generated model, and on broken TFLite bytes', async () => {
  const dir = tempDir('tflite-ref');
  const m = new TfliteModelBuilder();
  const sg = m.subgraph();
  const x = sg.input('image', [1, 16, 16, 3]);
  const c = sg.conv2d(x, { filters: 8, kernel: [3, 3], stride: [2, 2] });
  const d = sg.depthwiseConv2d(sg.unary('RELU6', c), { kernel: [3, 3] });
  const p = sg.mean(d, [1, 2], false);
  sg.output(sg.softmax(sg.fullyConnected(p, 10)));
  const file = path.join(dir, 'tiny.tflite');
  fs.writeFileSync(file, m.build());
  const { model } = await analyzeFile(file);
  assert.equal(model.macs, 8 * 8 * 8 * 27 + 8 * 8 * 8 * 9 + 10 * 8);
  assert.equal(model.params, 8 * 27 + 8 + 8 * 9 + 8 + 2 + 80 + 10);
  assert.deepEqual(model.outputs[0].shape, [1, 10]);

  const bytes = fs.readFileSync(file);
  const cut = path.join(dir, 'cut.tflite');
  fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 3)));
  await assert.rejects(analyzeFile(cut), (e: unknown) => e instanceof ModelFileError && /cut\.tflite: /.test((e as Error).message) && !(e as Error).message.includes('\n'));
});
