/**
 * The int8 writers on models below ai.onnx opset 11 (opset-upgrade.ts): the opset is raised to 11 with Clip, Pad,
 * Slice, TopK, BatchNormalization (spatial) and Scatter rewritten node for node; the raised model computes exactly
 * what the original does in onnxruntime; the int8 files load at onnxruntime's full optimisation (where a QDQ file
 * left at opset 9 fails: the Round and QLinearMatMul its optimiser inserts do not exist there); operators whose
 * meaning cannot be carried over are refused with the reason and the conversion command. A real opset-9 model from
 * ../shared (light_squeezenet) is verified end to end when it is there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { attr, encodeModel, OnnxGraphBuilder } from '../support/modelgen/onnx-builder';
import { readOnnxModel, writeOnnxModel } from '../../src/measure/verify/onnx-file';
import { upgradeToOpset11 } from '../../src/measure/verify/opset-upgrade';
import { compressModel, computedTensors, withOutputs } from '../../src/measure/verify/compress';
import { ModelFileError } from '../../src/analyzers/errors';
import { seededRandom } from '../../src/measure/verify/data/dataset';
import { ort } from '../support/verify-models';
import { runCli, parseJsonOut } from '../support/run-cli';
import { sharedDir, SKIP_NO_SHARED, tempDir } from '../support/shared';

/** Opset 9: Conv → Clip(0, 6 as attributes) → Pad(attributes, value 0.5) → Slice(attributes) → Conv → Relu → Flatten → Gemm → TopK(k attribute). */
function opset9Net(): Buffer {
  const b = new OnnxGraphBuilder('old', { seed: 5 });
  b.input('x', [1, 3, 8, 8]);
  const c1 = b.conv('x', 8, { kernel: 3, pad: 1, name: 'c1' });
  const [clip] = b.node('Clip', [c1], ['clip_out'], [attr.float('min', 0), attr.float('max', 6)], 'relu6');
  const [pad] = b.node('Pad', [clip], ['pad_out'], [attr.ints('pads', [0, 0, 1, 1, 0, 0, 1, 1]), attr.float('value', 0.5)], 'pad');
  const [slice] = b.node('Slice', [pad], ['slice_out'], [attr.ints('starts', [1, 1]), attr.ints('ends', [9, 9]), attr.ints('axes', [2, 3])], 'slice');
  b.shapes.set(clip, [1, 8, 8, 8]);
  b.shapes.set(pad, [1, 8, 10, 10]);
  b.shapes.set(slice, [1, 8, 8, 8]);
  const h = b.relu(b.conv(slice, 8, { kernel: 1, name: 'c2' }));
  const logits = b.gemm(b.flatten(h), 10, { name: 'fc' });
  const [values] = b.node('TopK', [logits], ['top_values', 'top_indices'], [attr.int('k', 3), attr.int('axis', 1)], 'topk');
  b.output(logits);
  b.output(values, 'FLOAT', [1, 3]);
  return encodeModel(b.model({ opset: 9, irVersion: 4 }));
}

const dtypesOf = async (bytes: Buffer): Promise<Map<string, string>> => {
  const s = await ort.InferenceSession.create(withOutputs(bytes, 'm.onnx', computedTensors(bytes, 'm.onnx')), { graphOptimizationLevel: 'disabled' });
  const d = new Map<string, string>([...s.inputMetadata, ...s.outputMetadata].map((m) => [m.name, (m as { type: string }).type]));
  await s.release();
  return d;
};

test('opset 9 → 11: Clip, Pad, Slice and TopK move their attributes to inputs under the same node names, and the model computes exactly the same', async () => {
  const bytes = opset9Net();
  const model = readOnnxModel(bytes, 'old.onnx');
  const names = model.graph.nodes.map((n) => n.name);
  const note = upgradeToOpset11(model, await dtypesOf(bytes));
  assert.match(note!, /raised from 9 to 11.*1 Clip, 1 Pad, 1 Slice, 1 TopK/);
  assert.deepEqual(model.graph.nodes.map((n) => n.name), names, 'one node for one node, same names');
  const raised = writeOnnxModel(model);
  assert.equal(readOnnxModel(raised, 'x').opsets.find((o) => o.domain === '')?.version, 11);
  const a = await ort.InferenceSession.create(bytes);
  const b = await ort.InferenceSession.create(raised, { graphOptimizationLevel: 'all' });
  const rnd = seededRandom(9);
  for (let k = 0; k < 3; k++) {
    const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 192 }, () => rnd() * 4 - 2), [1, 3, 8, 8]) };
    const [x, y] = [await a.run(feeds), await b.run(feeds)];
    for (const n of a.outputNames) assert.deepEqual([...(y[n].data as Float32Array)], [...(x[n].data as Float32Array)], n);
  }
  assert.equal(upgradeToOpset11(readOnnxModel(raised, 'x'), new Map()), null, 'nothing to do at 11');
});

test('int8-ptq and int8-dynamic files of an opset-9 model load at onnxruntime\'s full optimisation and say the opset was raised', async () => {
  const bytes = opset9Net();
  const dtypes = await dtypesOf(bytes);
  const ranges = new Map(computedTensors(bytes, 'old.onnx').concat('x').map((n) => [n, [-3, 6] as [number, number]]));
  for (const technique of ['int8-ptq', 'int8-dynamic'] as const) {
    for (const form of technique === 'int8-dynamic' ? (['deployed', 'reference'] as const) : (['deployed'] as const)) {
      const out = compressModel(bytes, 'old.onnx', technique, { form, dtypes, keepFloat: new Set(), ranges, activationType: 'int8', blockSize: 32 });
      assert.match(out.notes[0], /ai\.onnx opset was raised from 9 to 11/, technique);
      const s = await ort.InferenceSession.create(out.bytes, { graphOptimizationLevel: 'all' });
      const r = await s.run({ x: new ort.Tensor('float32', new Float32Array(192).fill(0.25), [1, 3, 8, 8]) });
      assert.ok([...(r[s.outputNames[0]].data as Float32Array)].every(Number.isFinite), `${technique} ${form} runs`);
    }
  }
});

test('operators that cannot be carried over to opset 11 node for node are refused with the reason and the conversion command', async () => {
  const refused = (build: (b: OnnxGraphBuilder) => void, why: RegExp): void => {
    const b = new OnnxGraphBuilder('refused', { seed: 2 });
    b.input('x', [1, 2, 4, 4]);
    build(b);
    const model = readOnnxModel(encodeModel(b.model({ opset: 9 })), 'refused.onnx');
    assert.throws(() => upgradeToOpset11(model, new Map()), (e: Error) => e instanceof ModelFileError && why.test(e.message) && /convert_version/.test(e.message) && /opset is 9/.test(e.message), String(why));
  };
  refused((b) => {
    const [y] = b.node('Upsample', ['x', b.weight('scales', [4], [1, 1, 2, 2])], ['up'], [attr.string('mode', 'nearest')], 'up');
    b.output(y, 'FLOAT', [1, 2, 8, 8]);
  }, /Upsample "up" was replaced by Resize/);
  refused((b) => {
    const [y] = b.node('BatchNormalization', ['x', b.weight('s', [2], [1, 1]), b.weight('bias', [2], [0, 0]), b.weight('m', [2], [0, 0]), b.weight('v', [2], [1, 1])], ['bn'], [attr.int('spatial', 0)], 'bn');
    b.output(y, 'FLOAT', [1, 2, 4, 4]);
  }, /spatial = 0/);
  refused((b) => {
    const [y, mask] = b.node('Dropout', ['x'], ['d', 'mask'], [], 'drop');
    b.output(y, 'FLOAT', [1, 2, 4, 4]);
    b.output(mask, 'FLOAT', [1, 2, 4, 4]);
  }, /Dropout "drop" uses its mask output/);
  refused((b) => {
    const [y] = b.node('ImageScaler', ['x'], ['scaled'], [attr.float('scale', 0.5)], 'scaler');
    b.output(y, 'FLOAT', [1, 2, 4, 4]);
  }, /ImageScaler "scaler" is an experimental operator that opset 10 removed/);
  // BatchNormalization with spatial = 1 (its default) is carried over without the attribute.
  const b = new OnnxGraphBuilder('bn', { seed: 2 });
  b.input('x', [1, 2, 4, 4]);
  const [y] = b.node('BatchNormalization', ['x', b.weight('s', [2], [1, 2]), b.weight('bias', [2], [0, 1]), b.weight('m', [2], [0, 0]), b.weight('v', [2], [1, 1])], ['bn'], [attr.int('spatial', 1)], 'bn');
  b.output(y, 'FLOAT', [1, 2, 4, 4]);
  const model = readOnnxModel(encodeModel(b.model({ opset: 7, irVersion: 3 })), 'bn.onnx');
  assert.match(upgradeToOpset11(model, new Map())!, /raised from 7 to 11.*1 BatchNormalization/);
  assert.equal(model.graph.nodes[0].attrs.some((a) => a.name === 'spatial'), false);
});

test('light_squeezenet (a real opset-9 model from ../shared): static INT8 verifies end to end and its file loads at full optimisation', { skip: SKIP_NO_SHARED }, async () => {
  const file = path.join(sharedDir, 'models', 'fixtures', 'light_squeezenet.onnx');
  const dir = tempDir('verify-opset');
  try {
    const r = parseJsonOut(await runCli(['verify', file, '--technique', 'int8-ptq', '--out', dir, '--samples', '6', '--calibration-samples', '4', '--json'], { timeoutMs: 180_000 }));
    assert.ok(r.notes.some((n: string) => /opset was raised from 9 to 11/.test(n)), r.notes.join('\n'));
    assert.ok(r.compressed.weightDtypes.INT8 > 0);
    const s = await ort.InferenceSession.create(r.compressed.file, { graphOptimizationLevel: 'all' });
    assert.ok(s.outputNames.length > 0);
    await s.release();
    assert.ok(fs.existsSync(r.compressed.file));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
