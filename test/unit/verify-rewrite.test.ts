/**
 * The ONNX rewriters behind edgeplan verify, on models built here and on the real ONNX files in ../shared:
 * - read + write without edits gives back every file byte for byte;
 * - each technique's file loads and runs in onnxruntime-node, stays close to the original in its exact
 *   arithmetic (a QDQ file without int8 kernel fusion; dynamic INT8's float twin — this x86 CPU's u8 x s8 kernels
 *   saturate, see run.ts), has the expected weight types (int8 about a quarter of the float bytes; fp16 half;
 *   int4 packed), and Debian's python3-onnx reads it and its checker accepts it;
 * - what a technique does not touch survives byte for byte: other nodes, opset imports, metadata, doc string,
 *   If subgraphs, external-data references;
 * - edges: Constant-node weights, opset 11 (com.microsoft Q/DQ, default opset unchanged), a tensor read inside
 *   If branches (fp16 keeps it float32), keep-float layers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { encodeModel } from '../support/modelgen/onnx-builder';
import { readOnnxModel, writeOnnxModel, encodeNode } from '../../src/measure/verify/onnx-file';
import { compressModel } from '../../src/measure/verify/compress';
import { TECHNIQUES, type Technique } from '../../src/measure/verify/compress-types';
import { analyzeFile } from '../../src/analyzers';
import { hasShared, sharedDir, tempDir, SKIP_NO_SHARED, repoRoot } from '../support/shared';
import { matmulStack, ifModel, constantWeightOpset11, writeExternalModel, tensorFacts, outputSqnr, pythonView, hasPythonOnnx, ort } from '../support/verify-models';

const dir = tempDir('verify-rewrite');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const sample = path.join(repoRoot, 'samples', 'tiny-cnn.onnx');

function sharedOnnx(): string[] {
  if (!hasShared) return [];
  const roots = ['fixtures', 'unlabelled', path.join('unlabelled-v2', 'onnx')].map((r) => path.join(sharedDir, 'models', r));
  return roots.flatMap((r) => (fs.existsSync(r) ? fs.readdirSync(r).filter((f) => f.endsWith('.onnx')).map((f) => path.join(r, f)) : []));
}

test('read and write without edits: every ONNX file comes back byte for byte', () => {
  const files = [sample, ...sharedOnnx()];
  const built = [matmulStack(), ifModel(), constantWeightOpset11()].map((spec, i) => {
    const f = path.join(dir, `built-${i}.onnx`);
    fs.writeFileSync(f, encodeModel(spec));
    return f;
  });
  for (const f of [...files, ...built]) {
    const bytes = fs.readFileSync(f);
    assert.ok(writeOnnxModel(readOnnxModel(bytes, f)).equals(bytes), path.basename(f));
  }
  if (hasShared) assert.ok(files.length >= 8, `expected the ONNX files of ../shared, found ${files.length - 1}`);
});

/**
 * Writes the technique's file, and for int8-dynamic also its float-arithmetic twin (`exact`): onnxruntime's
 * u8 x s8 kernels on this x86 CPU saturate, so numeric closeness is judged on the exact arithmetic.
 */
async function compressFile(file: string, technique: Technique, keepFloat: string[] = []): Promise<{ out: string; exact: string; result: ReturnType<typeof compressModel> }> {
  const bytes = fs.readFileSync(file);
  const facts = await tensorFacts(bytes, file);
  const write = (form: 'deployed' | 'reference', suffix: string): { out: string; result: ReturnType<typeof compressModel> } => {
    const result = compressModel(bytes, file, technique, { ...facts, keepFloat: new Set(keepFloat), activationType: 'int8', blockSize: 32, form });
    const out = path.join(path.dirname(file), `${path.basename(file, '.onnx')}.${technique}${suffix}.onnx`);
    fs.writeFileSync(out, result.bytes);
    return { out, result };
  };
  const deployed = write('deployed', '');
  return { ...deployed, exact: technique === 'int8-dynamic' ? write('reference', '.exact').out : deployed.out };
}

const weightBytes = async (f: string): Promise<Record<string, number>> => (await analyzeFile(f)).model.weightDtypes;

test('each technique on the sample CNN and a MatMul stack: loads, runs close to the original, expected weight types', async () => {
  const mm = path.join(dir, 'matmul.onnx');
  fs.writeFileSync(mm, encodeModel(matmulStack()));
  const cnn = path.join(dir, 'tiny-cnn.onnx');
  fs.copyFileSync(sample, cnn);
  for (const file of [cnn, mm]) {
    const floatBytes = (await weightBytes(file)).FLOAT;
    for (const technique of TECHNIQUES) {
      if (technique === 'int4-weight-only' && file === cnn) continue; // convolutions: nothing to do (tested below)
      const { out, exact, result } = await compressFile(file, technique);
      await outputSqnr(file, out); // the file itself loads and runs
      const sqnr = await outputSqnr(file, exact, 3, technique === 'int8-ptq' ? 'basic' : 'all');
      const types = await weightBytes(out);
      const label = `${path.basename(file)} ${technique}: SQNR ${sqnr.toFixed(1)} dB, ${JSON.stringify(types)}`;
      assert.ok(result.layers.length > 0, label);
      if (technique === 'fp16') {
        assert.ok(sqnr > 50, label);
        assert.equal(types.FLOAT16, floatBytes / 2, label);
        assert.equal(types.FLOAT, undefined, label);
      } else if (technique === 'int4-weight-only') {
        assert.ok(sqnr > 15, label);
        // 4 bits a weight plus 4-bit zero points (blocks padded to the block size along K).
        assert.ok(types.UINT8 < floatBytes / 6, label);
      } else {
        assert.ok(sqnr > 25, label);
        // int8 weights: a quarter of the float bytes (plus one zero-point byte per channel / tensor).
        assert.ok(types.INT8 > 0.2 * floatBytes && types.INT8 < 0.27 * floatBytes, label);
      }
    }
  }
});

test('untouched parts survive byte for byte: other nodes, opsets, metadata, doc string', async () => {
  const mm = path.join(dir, 'keep.onnx');
  fs.writeFileSync(mm, encodeModel(matmulStack()));
  const before = readOnnxModel(fs.readFileSync(mm), mm);
  const { out } = await compressFile(mm, 'int4-weight-only');
  const after = readOnnxModel(fs.readFileSync(out), out);
  for (const f of before.fields) assert.ok(after.fields.some((g) => g.field === f.field && g.payload.equals(f.payload)), `model field ${f.field}`);
  for (const o of before.opsets) assert.ok(after.opsets.some((p) => p.original?.equals(o.original!)), `opset ${o.domain}`);
  assert.deepEqual(after.opsets.map((o) => o.domain).sort(), ['', 'com.microsoft']);
  // The Add and Relu nodes were not touched by int4: same bytes.
  for (const n of before.graph.nodes.filter((x) => x.opType !== 'MatMul')) assert.ok(after.graph.nodes.some((m) => encodeNode(m).equals(encodeNode(n))), n.name);
  if (hasPythonOnnx) {
    const py = pythonView(out);
    assert.equal(py.checked, 'ok');
    assert.deepEqual(py.metadata, { author: 'verify-tests', license: 'MIT' });
    assert.equal(py.opsets['com.microsoft'], 1);
    assert.deepEqual(py.nodes.filter((n) => n.op === 'MatMulNBits').map((n) => n.domain), ['com.microsoft', 'com.microsoft']);
  }
});

test('python3-onnx reads every technique and its full checker (shape inference) accepts the standard-domain ones', { skip: hasPythonOnnx ? false : 'python3-onnx is absent' }, async () => {
  const cnn = path.join(dir, 'py-cnn.onnx');
  fs.copyFileSync(sample, cnn);
  for (const technique of ['fp16', 'int8-dynamic', 'int8-ptq'] as const) {
    const { out } = await compressFile(cnn, technique);
    const py = pythonView(out, true);
    assert.equal(py.checked, 'ok', `${technique}: ${py.checked}`);
    const types = new Set(Object.values(py.initializers).map((t) => t.type));
    assert.ok(types.has(technique === 'fp16' ? 10 : 3), `${technique}: initializer types ${[...types]}`);
  }
});

test('fp16: a tensor read inside If branches stays float32 (its producer is not converted); the If subgraphs keep their bytes', async () => {
  const f = path.join(dir, 'if.onnx');
  fs.writeFileSync(f, encodeModel(ifModel()));
  const { out, result } = await compressFile(f, 'fp16');
  assert.ok(result.floatLayers.includes('conv') && result.floatLayers.includes('if'), JSON.stringify(result.floatLayers));
  const before = readOnnxModel(fs.readFileSync(f), f).graph.nodes.find((n) => n.opType === 'If')!;
  const after = readOnnxModel(fs.readFileSync(out), out).graph.nodes.find((n) => n.opType === 'If')!;
  assert.ok(encodeNode(after).equals(encodeNode(before)));
  for (const cond of [1, 0]) {
    const a = await ort.InferenceSession.create(f);
    const b = await ort.InferenceSession.create(out);
    const x = new ort.Tensor('float32', Float32Array.from({ length: 192 }, (_, i) => Math.sin(i)), [1, 3, 8, 8]);
    const c = new ort.Tensor('bool', Uint8Array.from([cond]), []);
    const ya = (await a.run({ x, cond: c }))[a.outputNames[0]].data as Float32Array;
    const yb = (await b.run({ x, cond: c }))[b.outputNames[0]].data as Float32Array;
    ya.forEach((v, i) => assert.ok(Math.abs(v - yb[i]) < 1e-2, `cond ${cond} element ${i}: ${v} vs ${yb[i]}`));
  }
});

test('static INT8 at opset 11 with a Constant-node weight: com.microsoft Q/DQ, default opset unchanged, the Constant removed', async () => {
  const f = path.join(dir, 'opset11.onnx');
  fs.writeFileSync(f, encodeModel(constantWeightOpset11()));
  const { out, result } = await compressFile(f, 'int8-ptq');
  assert.ok((await outputSqnr(f, out, 3, 'basic')) > 25);
  const m = readOnnxModel(fs.readFileSync(out), out);
  assert.equal(m.opsets.find((o) => o.domain === '')?.version, 11);
  assert.ok(m.graph.nodes.every((n) => n.opType !== 'Constant'), 'the weight Constant is gone');
  assert.ok(m.graph.nodes.filter((n) => /QuantizeLinear|DequantizeLinear/.test(n.opType)).every((n) => n.domain === 'com.microsoft'));
  assert.ok(result.notes.some((n) => n.includes('com.microsoft')));
  assert.ok(m.graph.initializers.some((t) => t.name === 'cw_quantized' && t.dataType === 3));
});

test('keep-float: the named layer keeps its float weight, the others are int8', async () => {
  const f = path.join(dir, 'keepfloat.onnx');
  fs.copyFileSync(sample, f);
  const { out, result } = await compressFile(f, 'int8-ptq', ['stem']);
  assert.deepEqual(result.floatLayers, ['stem']);
  const m = readOnnxModel(fs.readFileSync(out), out);
  assert.equal(m.graph.initializers.find((t) => t.name === 'stem.weight')?.dataType, 1);
  assert.ok(!m.graph.initializers.some((t) => t.name === 'stem.weight_quantized'));
  assert.ok(m.graph.initializers.some((t) => t.name === 'block1.dw.weight_quantized'));
});

test('external data: a weight left as it is keeps its external reference; a quantized one moves inline', async () => {
  const sub = path.join(dir, 'ext');
  fs.mkdirSync(sub);
  const f = path.join(sub, 'ext.onnx');
  writeExternalModel(f, path.join(sub, 'data.bin'));
  const fp16 = await compressFile(f, 'int4-weight-only', ['proj2']);
  const m = readOnnxModel(fs.readFileSync(fp16.out), fp16.out);
  const kept = m.graph.initializers.find((t) => t.name === 'proj2.weight')!;
  assert.deepEqual(kept.external, { location: 'data.bin', offset: '0', length: String(64 * 4 * 0 + 48 * 16 * 4) });
  assert.ok(await ort.InferenceSession.create(fp16.out));
  const all = await compressFile(f, 'int8-dynamic');
  const q = readOnnxModel(fs.readFileSync(all.out), all.out);
  assert.ok(!q.graph.initializers.some((t) => t.external), 'quantized weights are stored inline');
  assert.ok((await outputSqnr(f, all.exact)) > 25);
});

test('real ONNX models from ../shared: static INT8 weights are int8 (about a quarter), the files load and run', { skip: SKIP_NO_SHARED }, async () => {
  for (const name of ['pytorch_super_resolution.onnx', 'face_detection_front_128x128_barracuda.onnx']) {
    const f = path.join(dir, name);
    fs.copyFileSync(path.join(sharedDir, 'models', 'fixtures', name), f);
    const { out } = await compressFile(f, 'int8-ptq');
    const before = await weightBytes(f);
    const after = await weightBytes(out);
    assert.ok(after.INT8 > before.FLOAT * 0.24 && after.INT8 < before.FLOAT * 0.26, `${name}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    assert.ok((await outputSqnr(f, out, 3, 'basic')) > 15, name);
    await outputSqnr(f, out); // and with onnxruntime's int8 kernels
    if (hasPythonOnnx) assert.equal(pythonView(out).checked, 'ok', name);
  }
});

test('fp16 on this CPU: onnxruntime 1.30 inserts Casts around ops without a float16 kernel (basic optimisation keeps them), and full optimisation drops them', async () => {
  const f = path.join(dir, 'fp16-profile.onnx');
  fs.copyFileSync(sample, f);
  const { out } = await compressFile(f, 'fp16');
  const inFile = readOnnxModel(fs.readFileSync(out), out).graph.nodes.filter((n) => n.opType === 'Cast').length;
  assert.equal(inFile, 2, 'the file itself has one Cast at the input and one at the output');
  const castsRun = async (level: 'basic' | 'all'): Promise<number> => {
    const prefix = path.join(dir, `fp16-profile-${level}`);
    const s = await ort.InferenceSession.create(out, { graphOptimizationLevel: level, enableProfiling: true, profileFilePrefix: prefix });
    await s.run({ image: new ort.Tensor('float32', new Float32Array(3 * 96 * 96).fill(0.5), [1, 3, 96, 96]) });
    await s.release();
    const profile = fs.readdirSync(dir).find((n) => n.startsWith(`fp16-profile-${level}`) && n.endsWith('.json'))!;
    const events = JSON.parse(fs.readFileSync(path.join(dir, profile), 'utf8')) as { cat: string; name: string; args?: { op_name?: string } }[];
    return events.filter((e) => e.cat === 'Node' && e.args?.op_name === 'Cast' && e.name.endsWith('_kernel_time')).length;
  };
  assert.ok((await castsRun('basic')) > 10, 'basic optimisation: a Cast pair around each Conv, Relu, Gemm ... (float16 between ops)');
  assert.ok((await castsRun('all')) < inFile, 'full optimisation: the casts are gone (float32 throughout)');
});
