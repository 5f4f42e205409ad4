/**
 * The calibration copy of a model (compress.ts withRangeOutputs), run in onnxruntime-node against the same model
 * with every tensor exposed: each tensor's maximum is the maximum of its values, and its minimum the minimum —
 * except for tensors that cannot be negative (Relu outputs, Clip from 0), which report only their maximum (taken by
 * GlobalMaxPool at rank 4), and whose quantization range is the same either way, because a range always includes 0.
 * A Clip whose lower bound is negative is not one of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxGraphBuilder, encodeModel } from '../support/modelgen/onnx-builder';
import { computedTensors, nonNegativeTensors, withOutputs, withRangeOutputs } from '../../src/measure/verify/compress';
import { readOnnxModel } from '../../src/measure/verify/onnx-file';
import { activationParams } from '../../src/measure/verify/quant-math';
import { seededRandom } from '../../src/measure/verify/data/dataset';
import { ort } from '../support/verify-models';

/** Conv → Relu → Conv → Clip(0, 6) → Conv → Clip(-1, 1) → Flatten → Gemm → Relu (rank 2). */
function clippedNet(): Buffer {
  const b = new OnnxGraphBuilder('clipped', { seed: 11 });
  b.input('x', [1, 3, 8, 8]);
  let h = b.relu(b.conv('x', 8, { kernel: 3, pad: 1, name: 'c1' }));
  const [six] = b.node('Clip', [b.conv(h, 8, { kernel: 3, pad: 1, name: 'c2' }), b.weight('zero', [], [0]), b.weight('six', [], [6])], ['relu6_out'], [], 'relu6');
  b.shapes.set(six, [1, 8, 8, 8]);
  const [signed] = b.node('Clip', [b.conv(six, 8, { kernel: 1, name: 'c3' }), b.weight('minus_one', [], [-1]), b.weight('one', [], [1])], ['signed_clip_out'], [], 'signed_clip');
  b.shapes.set(signed, [1, 8, 8, 8]);
  h = b.relu(b.gemm(b.flatten(signed), 10, { name: 'fc' }));
  b.output(h);
  return encodeModel(b.model({ opset: 13 }));
}

test('calibration copy: maxima and minima equal the tensors\' own; non-negative tensors report only a maximum, with the same quantization range', async () => {
  const bytes = clippedNet();
  const file = 'clipped.onnx';
  const names = computedTensors(bytes, file);
  const all = await ort.InferenceSession.create(withOutputs(bytes, file, names));
  const first = await all.run({ x: new ort.Tensor('float32', new Float32Array(3 * 64).fill(0.5), [1, 3, 8, 8]) });
  const floats = names.filter((n) => first[n].type === 'float32');
  const ranks = new Map(floats.map((n) => [n, first[n].dims.length]));
  const augmented = withRangeOutputs(bytes, file, floats, ranks);
  const ranged = await ort.InferenceSession.create(augmented.bytes);

  const nonNegative = nonNegativeTensors(readOnnxModel(bytes, file));
  const reluOuts = readOnnxModel(bytes, file).graph.nodes.filter((n) => n.opType === 'Relu').map((n) => n.outputs[0]);
  assert.deepEqual([...nonNegative].sort(), [...reluOuts, 'relu6_out'].sort(), 'Relu outputs and Clip(0, 6) are non-negative; Clip(-1, 1) is not');
  const pooled = readOnnxModel(augmented.bytes, file).graph.nodes.filter((n) => n.opType === 'GlobalMaxPool').map((n) => n.inputs[0]);
  assert.deepEqual(pooled.sort(), floats.filter((n) => nonNegative.has(n) && ranks.get(n) === 4).sort(), 'GlobalMaxPool only for non-negative rank-4 tensors');
  assert.ok(floats.some((n) => nonNegative.has(n) && ranks.get(n) === 2), 'a rank-2 non-negative tensor (the last Relu) is covered too');

  const rnd = seededRandom(5);
  for (let k = 0; k < 4; k++) {
    const x = Float32Array.from({ length: 3 * 64 }, () => (rnd() - 0.5) * 4);
    const feeds = { x: new ort.Tensor('float32', x, [1, 3, 8, 8]) };
    const full = await all.run(feeds);
    const got = await ranged.run(feeds);
    for (const n of floats) {
      const v = full[n].data as Float32Array;
      const min = v.reduce((a, b) => Math.min(a, b), Infinity);
      const max = v.reduce((a, b) => Math.max(a, b), -Infinity);
      const [lo, hi] = augmented.outputs.get(n)!;
      assert.equal((got[hi].data as Float32Array)[0], max, `${n}: maximum`);
      if (nonNegative.has(n)) {
        assert.equal(lo, null, `${n}: no minimum output`);
        assert.ok(min >= 0, `${n} is non-negative`);
        assert.deepEqual(activationParams(0, max, 'int8'), activationParams(min, max, 'int8'), `${n}: the same int8 range with 0 for its minimum`);
      } else {
        assert.ok(lo, `${n}: a minimum output`);
        assert.equal((got[lo].data as Float32Array)[0], min, `${n}: minimum`);
      }
    }
  }
  assert.ok(floats.some((n) => !nonNegative.has(n) && (first[n].data as Float32Array).some((v) => v < 0)), 'some tensor is signed');
  await all.release();
  await ranged.release();
});
