/**
 * The unsigned twin of a static INT8 file (int8-twin.ts), which verify runs for the int8 model's accuracy and fidelity:
 * - it is the same model integer for integer: every int8 tensor moved to uint8 by +128 with its zero point, and with
 *   onnxruntime's int8 kernel fusion off (QuantizeLinear / DequantizeLinear computed as written) its outputs equal the
 *   int8 file's bit for bit, with int8 and with uint8 activations, and at opset 11 (com.microsoft Q/DQ);
 * - with fusion on (onnxruntime's uint8 x uint8 kernels, which accumulate exactly in int32) it stays close to the
 *   file's QuantizeLinear / DequantizeLinear arithmetic: on the sample CNN, a MatMul stack and an opset-11 CNN, and on a real detector from
 *   ../shared its fidelity to the float model is within 1 dB of the file's;
 * - a layer kept in float between quantized ones is one onnxruntime quantizes at its default optimisation
 *   (WeightBiasQuantization): named for the report; verify's twin session, without that optimiser, keeps it float
 *   (on a real detector, where onnxruntime's default output differs);
 * - where a tensor cannot move (an int8 initializer read by another op, a DequantizeLinear without a zero point) there
 *   is no twin, and verify falls back to the file with fusion off.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { encodeModel } from '../support/modelgen/onnx-builder';
import { DT, editNode, makeNode, readOnnxModel } from '../../src/measure/verify/onnx-file';
import { compressModel } from '../../src/measure/verify/compress';
import { unsignedTwin } from '../../src/measure/verify/int8-twin';
import { layersOrtQuantizes, WEIGHT_BIAS_QUANTIZATION } from '../../src/measure/verify/ort-float-layers';
import { seededRandom } from '../../src/measure/verify/data/dataset';
import { sharedDir, tempDir, SKIP_NO_SHARED, repoRoot } from '../support/shared';
import { matmulStack, constantWeightOpset11, tensorFacts, ort } from '../support/verify-models';

const dir = tempDir('verify-int8-twin');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function int8File(file: string, activationType: 'int8' | 'uint8', keepFloat: string[] = []): Promise<Buffer> {
  const bytes = fs.readFileSync(file);
  return compressModel(bytes, file, 'int8-ptq', { ...(await tensorFacts(bytes, file)), keepFloat: new Set(keepFloat), activationType, form: 'deployed' }).bytes;
}

const detector = path.join(sharedDir, 'models', 'fixtures', 'face_detection_front_128x128_barracuda.onnx');

/** 'fused': onnxruntime's default; 'fused, float layers kept': without its WeightBiasQuantization (as verify runs the twin). */
type Level = 'fused' | 'fused, float layers kept' | 'as written';
const open = (model: Buffer | string, level: Level) =>
  ort.InferenceSession.create(model as string, {
    intraOpNumThreads: 1,
    extra: {
      session: level === 'as written' ? { disable_quant_qdq: '1' } : {},
      ...(level === 'fused, float layers kept' ? { optimization: { disable_specified_optimizers: WEIGHT_BIAS_QUANTIZATION } } : {}),
    },
  });

/** Every output of every session on the same seeded random inputs (static shapes), as float arrays per run. */
async function outputs(sessions: Awaited<ReturnType<typeof open>>[], runs: number): Promise<Float32Array[][]> {
  const rnd = seededRandom(11);
  const out: Float32Array[][] = sessions.map(() => []);
  for (let k = 0; k < runs; k++) {
    const feeds = Object.fromEntries(
      sessions[0].inputMetadata.map((m) => {
        const dims = (m.isTensor ? m.shape : []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
        return [m.name, new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rnd()), dims)];
      }),
    );
    for (const [i, s] of sessions.entries()) {
      const r = await s.run(feeds);
      for (const n of s.outputNames) out[i].push(r[n].data as Float32Array);
    }
  }
  return out;
}

function sqnrDb(ref: Float32Array[], got: Float32Array[]): number {
  let s = 0;
  let e = 0;
  ref.forEach((x, k) => x.forEach((v, i) => ((s += v * v), (e += (v - got[k][i]) ** 2))));
  return e === 0 ? Infinity : 10 * Math.log10(s / e);
}

test('the twin is the same model: int8 tensors +128 as uint8, and outputs bit for bit equal with fusion off', async () => {
  const mm = path.join(dir, 'matmul.onnx');
  fs.writeFileSync(mm, encodeModel(matmulStack()));
  // Opset 11: QuantizeLinear / DequantizeLinear from com.microsoft.
  const old = path.join(dir, 'opset11.onnx');
  fs.writeFileSync(old, encodeModel(constantWeightOpset11()));
  const cnn = path.join(repoRoot, 'samples', 'tiny-cnn.onnx');
  for (const file of [cnn, mm, old]) {
    for (const activationType of ['int8', 'uint8'] as const) {
      const what = `${path.basename(file)}, ${activationType} activations`;
      const int8 = await int8File(file, activationType);
      const twin = unsignedTwin(readOnnxModel(int8, file));
      assert.ok(twin, what);
      const before = readOnnxModel(int8, file).graph;
      const after = readOnnxModel(twin, file).graph;
      if (file === old) assert.ok(before.nodes.some((n) => n.domain === 'com.microsoft' && n.opType === 'DequantizeLinear'), `${what}: com.microsoft Q/DQ`);
      assert.equal(after.initializers.filter((t) => t.dataType === DT.INT8).length, 0, `${what}: no int8 tensor left`);
      const moved = before.initializers.filter((t) => t.dataType === DT.INT8);
      assert.ok(moved.length >= 2, what);
      for (const t of moved) {
        const u = after.initializers.find((x) => x.name === t.name)!;
        assert.equal(u.dataType, DT.UINT8, t.name);
        assert.deepEqual(u.dims, t.dims, t.name);
        // The stored values are the last dims-product bytes of each payload (raw_data, written last).
        const n = t.dims.reduce((a, b) => a * b, 1);
        const q = new Int8Array(t.payload.subarray(t.payload.length - n));
        const v = u.payload.subarray(u.payload.length - n);
        for (let i = 0; i < n; i++) assert.equal(v[i], q[i] + 128, `${t.name}[${i}]`);
      }
      assert.deepEqual(after.nodes.map((n) => [n.opType, n.inputs, n.outputs]), before.nodes.map((n) => [n.opType, n.inputs, n.outputs]), `${what}: same graph`);
      const [a, b] = await outputs([await open(int8, 'as written'), await open(twin, 'as written')], 4);
      a.forEach((x, k) => assert.deepEqual(b[k], x, `${what}: run ${k} bit for bit`));
      // With fusion: onnxruntime's uint8 x uint8 kernels, close to the arithmetic as written.
      const [c, d] = await outputs([await open(int8, 'as written'), await open(twin, 'fused')], 4);
      const db = sqnrDb(c, d);
      assert.ok(db > 35, `${what}: fused twin against the file as written at ${db.toFixed(1)} dB`);
    }
  }
});

test('a real detector from ../shared: the fused twin is as faithful to the float model as the int8 file as written', { skip: SKIP_NO_SHARED || (fs.existsSync(detector) ? false : `${detector} is absent`) }, async () => {
  const file = detector;
  const int8 = await int8File(file, 'uint8');
  const twin = unsignedTwin(readOnnxModel(int8, file));
  assert.ok(twin);
  const [f, q, t] = await outputs([await open(file, 'fused'), await open(int8, 'as written'), await open(twin, 'fused')], 6);
  const written = sqnrDb(f, q);
  const fused = sqnrDb(f, t);
  assert.ok(written > 10 && Math.abs(fused - written) < 1, `fidelity: file as written ${written.toFixed(1)} dB, twin ${fused.toFixed(1)} dB`);
});

test('a layer kept in float between quantized ones is named as one onnxruntime would quantize; the twin without that optimiser equals the file as written', async () => {
  // (On this small network onnxruntime's per-tensor weights happen not to change the output; the detector below shows the difference.)
  const cnn = path.join(repoRoot, 'samples', 'tiny-cnn.onnx');
  const int8 = await int8File(cnn, 'int8', ['block2.pw']);
  const model = readOnnxModel(int8, cnn);
  // block2.pw reads a DequantizeLinear and its Relu's output is quantized: onnxruntime's WeightBiasQuantization pattern.
  assert.deepEqual(layersOrtQuantizes(model), ['block2.pw']);
  assert.deepEqual(layersOrtQuantizes(readOnnxModel(await int8File(cnn, 'int8'), cnn)), [], 'nothing kept in float, nothing to name');
  const [written, kept] = await outputs([await open(int8, 'as written'), await open(unsignedTwin(readOnnxModel(int8, cnn))!, 'fused, float layers kept')], 4);
  assert.equal(sqnrDb(written, kept), Infinity, 'the float layer kept: the file as written');
});

test('a real detector with every third convolution kept in float: onnxruntime\'s default quantizes them, verify\'s twin session does not', { skip: SKIP_NO_SHARED || (fs.existsSync(detector) ? false : `${detector} is absent`) }, async () => {
  const convs = readOnnxModel(fs.readFileSync(detector), detector).graph.nodes.filter((n) => n.opType === 'Conv').map((n, i) => n.name || `Conv_${i}`);
  const keep = convs.filter((_, i) => i % 3 === 1);
  const int8 = await int8File(detector, 'uint8', keep);
  const named = layersOrtQuantizes(readOnnxModel(int8, detector));
  assert.ok(named.length >= keep.length / 2 && named.every((n) => keep.includes(n)), `named ${named.length} of ${keep.length}`);
  const twin = unsignedTwin(readOnnxModel(int8, detector))!;
  const [written, kept, quantized] = await outputs([await open(int8, 'as written'), await open(twin, 'fused, float layers kept'), await open(twin, 'fused')], 4);
  const keptDb = sqnrDb(written, kept);
  const quantizedDb = sqnrDb(written, quantized);
  assert.ok(keptDb > 20 && quantizedDb < keptDb - 2, `against the file as written: float layers kept ${keptDb.toFixed(1)} dB, onnxruntime's default ${quantizedDb.toFixed(1)} dB`);
});

test('no twin where an int8 tensor cannot move: read by another op, or a DequantizeLinear without a zero point', async () => {
  const cnn = path.join(repoRoot, 'samples', 'tiny-cnn.onnx');
  const int8 = await int8File(cnn, 'uint8');
  const model = readOnnxModel(int8, cnn);
  const weight = model.graph.initializers.find((t) => t.dataType === DT.INT8 && t.dims.length > 1)!;
  // An int8 weight also read by a Cast.
  const read = readOnnxModel(int8, cnn);
  read.graph.nodes.push(makeNode('Cast', [weight.name], ['weight_as_float'], 'cast_weight', [{ name: 'to', type: 2, i: 1, graphs: [] }]));
  assert.equal(unsignedTwin(read), null);
  // A weight's DequantizeLinear without its zero point (int8 data with the uint8 default would change type).
  const noZp = readOnnxModel(int8, cnn);
  noZp.graph.nodes = noZp.graph.nodes.map((n) => (n.opType === 'DequantizeLinear' && n.inputs[0] === weight.name ? editNode(n, { inputs: n.inputs.slice(0, 2) }) : n));
  assert.equal(unsignedTwin(noZp), null);
  // Without a twin the model read is left as it was.
  const int8Count = (m: typeof model): number => m.graph.initializers.filter((t) => t.dataType === DT.INT8).length;
  assert.equal(int8Count(read), int8Count(model));
  assert.equal(int8Count(noZp), int8Count(model));
  // A float model: nothing to move.
  assert.equal(unsignedTwin(readOnnxModel(fs.readFileSync(cnn), cnn)), null);
});
