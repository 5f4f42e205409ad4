/**
 * edgeplan verify end to end through the real CLI (a child process) with real onnxruntime-node:
 * - a digits classifier trained here (test/support/digits.ts), verified with its held-out digits as .npy files and
 *   samples.csv (labels and a light / heavy ink group): static INT8 loses at most 2 points; the reported accuracy,
 *   agreement and per-group figures equal an independent recomputation from the two files on the evaluation samples
 *   the report lists (onnxruntime in this process; for dynamic INT8 numpy in Debian's python3 emulating the file's
 *   integer arithmetic); the int8 file's weights are int8, about a quarter of the bytes;
 * - fp16, dynamic INT8, INT4 weight-only and keep-float on the same model; the sample CNN on synthetic inputs
 *   (fidelity only, no accuracy) and on PNG images in class folders;
 * - bad input: one line, exit 1, no output file, no work folder left, the worker process gone.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawn, execFileSync } from 'child_process';
import { PNG } from 'pngjs';
import { encodeModel, OnnxGraphBuilder } from '../support/modelgen/onnx-builder';
import { writeReferenceModel } from '../support/modelgen/reference-archs';
import { parseNpy, encodeNpy } from '../../src/measure/verify/data/npy';
import { readOnnxModel } from '../../src/measure/verify/onnx-file';
import { analyzeFile } from '../../src/analyzers';
import { estimateDevice } from '../../src/planner/estimate';
import { sideBySide } from '../../src/measure/verify/side-by-side';
import { runCli, parseJsonOut, assertBadInput, assertOk, cliBin, sampleModel, describeRun } from '../support/run-cli';
import { tempDir, repoRoot, sharedDir, SKIP_NO_SHARED } from '../support/shared';
import { SKIP_NO_DIGITS, loadDigits, trainMlp, accuracy, writeMlpOnnx, writeDigitsFolder } from '../support/digits';
import { hasPythonOnnx, ort } from '../support/verify-models';

const dir = tempDir('verify-cli');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const mlp = path.join(dir, 'digits', 'mlp.onnx');
const data = path.join(dir, 'digits', 'data');
const LONG = { timeoutMs: 180_000 };

before(() => {
  if (SKIP_NO_DIGITS) return;
  const d = loadDigits();
  const rows = d.y.map((_, i) => i);
  const train = rows.filter((i) => i % 3 !== 0);
  const held = rows.filter((i) => i % 3 === 0);
  const m = trainMlp(d, train);
  assert.ok(accuracy(m, d, held) > 0.9, 'the digits MLP trains to > 90 % held-out accuracy');
  fs.mkdirSync(path.dirname(mlp), { recursive: true });
  writeMlpOnnx(m, mlp);
  writeDigitsFolder(d, held, data);
});

/** Logits of a model for each listed sample, with onnxruntime in this process. */
async function logits(file: string, ids: string[], level: 'all' | 'basic' = 'all'): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(file, { graphOptimizationLevel: level });
  const out: Float32Array[] = [];
  for (const id of ids) {
    const x = Float32Array.from(parseNpy(fs.readFileSync(path.join(data, id)), id).values);
    out.push((await s.run({ pixels: new ort.Tensor('float32', x, [1, 64]) })).logits.data as Float32Array);
  }
  await s.release();
  return out;
}

const argmax = (v: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
};

function labels(): Map<string, { label: number; group: string }> {
  const rows = fs.readFileSync(path.join(data, 'samples.csv'), 'utf8').trim().split('\n').slice(1);
  return new Map(rows.map((r) => r.split(',')).map(([f, l, g]) => [f, { label: Number(l), group: g }]));
}

/** Checks the report's accuracy, agreement and groups against predictions recomputed from the files. */
function assertRecomputed(r: any, original: number[], compressed: number[]): void {
  const ids: string[] = r.data.evaluationFiles;
  const truth = labels();
  const acc = (p: number[], only?: string): number => {
    const idx = ids.map((_, i) => i).filter((i) => !only || truth.get(ids[i])!.group === only);
    return idx.filter((i) => p[i] === truth.get(ids[i])!.label).length / idx.length;
  };
  assert.equal(r.accuracy.original, acc(original));
  assert.equal(r.accuracy.compressed, acc(compressed));
  assert.equal(r.fidelity.top1Agreement, original.filter((p, i) => p === compressed[i]).length / ids.length);
  for (const g of r.groups) {
    assert.equal(g.original, acc(original, g.group), g.group);
    assert.equal(g.compressed, acc(compressed, g.group), g.group);
    assert.equal(g.samples, ids.filter((id) => truth.get(id)!.group === g.group).length);
  }
}

const verify = (args: string[]) => runCli(['verify', ...args, '--json'], LONG);

test('digits MLP, static INT8: ≤ 2 points lost; accuracy, agreement and groups equal a recomputation from the two files', { skip: SKIP_NO_DIGITS }, async () => {
  const out = path.join(dir, 'ptq');
  const r = parseJsonOut(await verify([mlp, '--technique', 'int8-ptq', '--data', data, '--out', out, '--samples', '300', '--calibration-samples', '100']));
  // The JSON shape.
  for (const k of ['original', 'compressed', 'data', 'fidelity', 'accuracy', 'groups', 'sensitiveLayers']) assert.ok(k in r, k);
  for (const k of ['file', 'weightBytes', 'latencyMs']) assert.ok(k in r.original, `original.${k}`);
  for (const k of ['file', 'technique', 'weightBytes', 'latencyMs', 'floatLayers']) assert.ok(k in r.compressed, `compressed.${k}`);
  assert.deepEqual(Object.keys(r.compressed.latencyMs), ['p50', 'p95']);
  assert.deepEqual(Object.keys(r.fidelity.outputs[0]), ['name', 'cosine', 'sqnrDb', 'maxAbsError']);
  assert.equal(r.measuredOn.label, 'this machine');
  assert.equal(r.data.source, 'npy');
  assert.equal(r.data.calibrationSamples, 100);
  assert.equal(r.data.evaluationSamples, 300);
  assert.equal(new Set([...r.data.calibrationFiles, ...r.data.evaluationFiles]).size, 400, 'calibration and evaluation samples are disjoint');
  assert.ok(r.accuracy.drop <= 0.02, `drop ${r.accuracy.drop}`);
  assert.ok(r.accuracy.dropCi95[0] <= r.accuracy.drop && r.accuracy.drop <= r.accuracy.dropCi95[1]);
  assert.match(r.accuracy.method, /Newcombe/);
  assert.deepEqual(r.groups.map((g: any) => g.group), ['heavy', 'light']);
  assert.equal(typeof r.groupGap.widened, 'boolean');
  assert.deepEqual(r.sensitiveLayers.map((l: any) => l.name).sort(), ['fc1', 'fc2']);

  // The int8 file: int8 weights, a quarter of the float bytes (+ one zero-point byte per channel).
  const file = r.compressed.file;
  assert.equal(file, path.join(out, 'mlp.int8-ptq.onnx'));
  assert.equal(r.compressed.weightDtypes.INT8, (64 * 32 + 32 * 10) + 32 + 10 + 2);
  assert.ok(r.compressed.weightDtypes.INT8 < r.original.weightBytes / 4 + 64);

  // Independent recomputation: onnxruntime in this process on the listed samples; the QDQ file as written (int8 fusion
  // off: QuantizeLinear / DequantizeLinear in float), not the unsigned twin verify runs (int8-twin.ts).
  const ids = r.data.evaluationFiles;
  const orig = (await logits(mlp, ids)).map(argmax);
  const comp = (await logits(file, ids, 'basic')).map(argmax);
  assertRecomputed(r, orig, comp);
  // And the file as onnxruntime runs it here (fused int8 kernels) loads and classifies the same digits nearly alike.
  const fused = (await logits(file, ids)).map(argmax);
  assert.ok(fused.filter((p, i) => p === comp[i]).length / ids.length > 0.9);
});

test('digits MLP, dynamic INT8: the report equals numpy emulating the file\'s integer arithmetic', { skip: SKIP_NO_DIGITS || (hasPythonOnnx ? false : 'python3-onnx is absent') }, async () => {
  const r = parseJsonOut(await verify([mlp, '--technique', 'int8-dynamic', '--data', data, '--out', path.join(dir, 'dyn')]));
  const ids: string[] = r.data.evaluationFiles;
  const py = `
import sys, json, numpy as np, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1]); t = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
def dql(x):
    lo = np.float32(min(0.0, float(x.min()))); hi = np.float32(max(0.0, float(x.max())))
    s = np.float32((hi - lo) / np.float32(255)); zp = np.clip(np.round(-lo / s), 0, 255)
    q = np.clip(np.round(x / s) + zp, 0, 255)
    return (q - zp).astype(np.float32), s
def layer(x, name):
    q, s = dql(x)
    w = t[name + '.weight_quantized'].astype(np.float32)
    return (q @ w) * (s * t[name + '.weight_scale']) + t[name + '.bias']
out = []
for f in sys.argv[3:]:
    x = np.load(sys.argv[2] + '/' + f).astype(np.float32).reshape(1, 64)
    out.append(int(np.argmax(layer(np.maximum(layer(x, 'fc1'), 0), 'fc2'))))
print(json.dumps(out))`;
  const comp = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, r.compressed.file, data, ...ids]).toString()) as number[];
  const orig = (await logits(mlp, ids)).map(argmax);
  assertRecomputed(r, orig, comp);
  assert.equal(r.compressed.weightDtypes.INT8, 64 * 32 + 32 * 10 + 2);
});

test('digits MLP, fp16 and INT4 weight-only: the report equals a recomputation; keep-float 1 keeps the most sensitive layer and re-measures', { skip: SKIP_NO_DIGITS }, async () => {
  for (const technique of ['fp16', 'int4-weight-only']) {
    const r = parseJsonOut(await verify([mlp, '--technique', technique, '--data', data, '--out', path.join(dir, technique), '--samples', '150']));
    const ids = r.data.evaluationFiles;
    assert.equal(r.data.calibrationSamples, 0, 'no calibration for weight-only techniques');
    // fp16: float16 arithmetic, which onnxruntime computes on this CPU at basic optimisation (see verify-rewrite).
    assertRecomputed(r, (await logits(mlp, ids)).map(argmax), (await logits(r.compressed.file, ids, technique === 'fp16' ? 'basic' : 'all')).map(argmax));
    if (technique === 'fp16') assert.deepEqual(Object.keys(r.compressed.weightDtypes), ['FLOAT16']);
    else assert.ok(r.compressed.weightDtypes.UINT8 > 0 && r.compressed.weightBytes < r.original.weightBytes / 5);
  }
  const r = parseJsonOut(await verify([mlp, '--technique', 'int8-ptq', '--data', data, '--out', path.join(dir, 'keep'), '--keep-float', '1']));
  assert.deepEqual(r.compressed.floatLayers, [r.sensitiveLayers[0].name]);
  assert.ok(r.fullyCompressed && r.fullyCompressed.accuracy, 'the fully compressed variant is reported next to it');
  assert.match(r.fullyCompressed.criterion, /1 most sensitive layer/);
  const ids = r.data.evaluationFiles;
  assertRecomputed(r, (await logits(mlp, ids)).map(argmax), (await logits(r.compressed.file, ids, 'basic')).map(argmax));
});

test('digits MLP: percentile and entropy calibration run end to end; keep-float auto keeps nothing when the drop is already within 1 point', { skip: SKIP_NO_DIGITS }, async () => {
  for (const calibration of ['percentile', 'entropy']) {
    const r = parseJsonOut(await verify([mlp, '--technique', 'int8-ptq', '--data', data, '--out', path.join(dir, calibration), '--calibration', calibration, '--samples', '100', '--calibration-samples', '50']));
    assert.ok(r.accuracy.drop <= 0.02, `${calibration}: drop ${r.accuracy.drop}`);
  }
  const r = parseJsonOut(await verify([mlp, '--technique', 'int8-ptq', '--data', data, '--out', path.join(dir, 'auto'), '--keep-float', 'auto']));
  if (r.fullyCompressed === null) {
    assert.ok(r.accuracy.drop <= 0.01);
    assert.ok(r.notes.some((n: string) => /keep-float auto: the fully compressed model already meets "accuracy drop <= 1\.00 points"/.test(n)), JSON.stringify(r.notes));
  } else assert.match(r.fullyCompressed.criterion, /accuracy drop <= 1\.00 points/);
});

test('keep-float auto on a MatMul stack at INT4 (synthetic, below 30 dB): keeps the most sensitive layer, re-measures, says when it is not enough', async () => {
  const { matmulStack } = await import('../support/verify-models');
  const f = path.join(dir, 'mm.onnx');
  fs.writeFileSync(f, encodeModel(matmulStack()));
  const r = parseJsonOut(await verify([f, '--technique', 'int4-weight-only', '--out', path.join(dir, 'mm-out'), '--keep-float', 'auto', '--samples', '10']));
  assert.ok(r.fullyCompressed, JSON.stringify(r.notes));
  assert.match(r.fullyCompressed.criterion, /every output SQNR >= 30 dB/);
  assert.ok(r.fullyCompressed.fidelity.outputs[0].sqnrDb < 30);
  assert.deepEqual(r.compressed.floatLayers, [r.sensitiveLayers[0].name]);
  assert.ok(r.fidelity.outputs[0].sqnrDb > r.fullyCompressed.fidelity.outputs[0].sqnrDb, 'the mixed variant is closer to the original');
  // Two layers: auto tries at most one (a quarter, rounded up); when that still misses 30 dB the report says so.
  if (r.fidelity.outputs[0].sqnrDb < 30) assert.ok(r.notes.some((n: string) => /even 1 float layer\(s\) miss "every output SQNR >= 30 dB"/.test(n)), JSON.stringify(r.notes));
});

test('a real model from ../shared through the CLI (symbolic batch bound to 1): int8 weights about a quarter, the file runs', { skip: SKIP_NO_SHARED }, async () => {
  const real = path.join(sharedDir, 'models', 'fixtures', 'pytorch_super_resolution.onnx');
  const r = parseJsonOut(await verify([real, '--technique', 'int8-ptq', '--out', path.join(dir, 'real'), '--samples', '6', '--calibration-samples', '4']));
  assert.equal(r.fidelity.top1Agreement, null, 'an image output is not classifier-like');
  assert.ok(r.compressed.weightDtypes.INT8 > 0.24 * r.original.weightBytes && r.compressed.weightDtypes.INT8 < 0.26 * r.original.weightBytes, JSON.stringify(r.compressed.weightDtypes));
  assert.ok(r.fidelity.outputs[0].sqnrDb > 15);
  const s = await ort.InferenceSession.create(r.compressed.file);
  const out = await s.run({ input: new ort.Tensor('float32', new Float32Array(224 * 224).fill(0.5), [1, 1, 224, 224]) });
  assert.deepEqual(out.output.dims, [1, 1, 672, 672]);
});

test('sample CNN on synthetic inputs: numeric fidelity only, never accuracy; the readable table says so', async () => {
  const out = path.join(dir, 'synthetic');
  const r = parseJsonOut(await verify([sampleModel, '--technique', 'int8-ptq', '--out', out, '--samples', '20', '--calibration-samples', '8']));
  assert.equal(r.data.source, 'synthetic');
  assert.equal(r.accuracy, null);
  assert.deepEqual(r.groups, []);
  assert.equal(typeof r.fidelity.top1Agreement, 'number');
  assert.ok(r.fidelity.outputs[0].sqnrDb > 20);
  assert.ok(r.compressed.weightDtypes.INT8 > 0.24 * r.original.weightBytes && r.compressed.weightDtypes.INT8 < 0.26 * r.original.weightBytes);
  const text = await runCli(['verify', sampleModel, '--technique', 'fp16', '--out', out, '--samples', '10'], LONG);
  assertOk(text);
  assert.match(text.stdout, /synthetic inputs .*numeric fidelity only, no accuracy/);
  assert.match(text.stdout, /Latency p50 \(this machine, measured\)/);
  assert.ok(fs.existsSync(path.join(out, 'tiny-cnn.fp16.onnx')));
  assert.deepEqual(fs.readdirSync(out).filter((f) => f.startsWith('.')), [], 'no work folder left');
});

test('a detector (boxes and a [1, anchors, 1] score tensor) gets no top-1 agreement: its anchors are not classes, and the note says why', async () => {
  // An image in, and per anchor (the 16 x 16 positions of a feature map) 4 box values and 1 score out.
  const b = new OnnxGraphBuilder('anchors', { seed: 6 });
  b.input('x', [1, 3, 32, 32]);
  const h = b.relu(b.conv('x', 8, { kernel: 3, pad: 1, stride: 2, name: 'trunk' }));
  const boxes = b.reshape(b.conv(h, 4, { kernel: 1, name: 'boxes' }), [1, 256, 4]);
  const scores = b.reshape(b.conv(h, 1, { kernel: 1, name: 'scores' }), [1, 256, 1]);
  b.output(boxes);
  b.output(scores);
  const file = path.join(dir, 'anchors.onnx');
  fs.writeFileSync(file, encodeModel(b.model({ opset: 13 })));
  const r = parseJsonOut(await verify([file, '--technique', 'int8-ptq', '--out', path.join(dir, 'anchors'), '--samples', '6', '--calibration-samples', '4']));
  assert.equal(r.fidelity.top1Agreement, null);
  assert.equal(r.fidelity.classifierOutput, null);
  assert.equal(r.fidelity.outputs.length, 2);
  assert.ok(r.notes.some((n: string) => /no top-1 \/ top-5 agreement: the model is a detector \(outputs .*share 256 anchors/.test(n)), r.notes.join('\n'));
});

test('min / max calibration: a model with a symbolic batch dimension (first sample read whole) gets the same ranges as the same model with static shapes (every sample reduced in the graph)', async () => {
  const net = (batch: number | string): Buffer => {
    const b = new OnnxGraphBuilder('ranges', { seed: 3 });
    b.input('x', [batch, 3, 8, 8]);
    const h = b.relu(b.conv('x', 8, { kernel: 3, pad: 1, name: 'c1' }));
    const y = b.add(b.conv(h, 8, { kernel: 1, name: 'c2' }), b.conv(h, 8, { kernel: 1, name: 'c3' }));
    b.output(b.gemm(b.flatten(y), 10, { name: 'fc' }));
    return encodeModel(b.model({ opset: 13 }));
  };
  const scales = (file: string): string[] => {
    const m = readOnnxModel(fs.readFileSync(file), file);
    const q = new Set(m.graph.nodes.filter((n) => n.opType === 'QuantizeLinear').flatMap((n) => n.inputs.slice(1)));
    return m.graph.initializers.filter((t) => q.has(t.name)).map((t) => `${t.name}=${t.payload.toString('hex')}`).sort();
  };
  const written: string[][] = [];
  for (const [name, batch] of [['static', 1], ['symbolic', 'N']] as const) {
    const file = path.join(dir, `ranges-${name}.onnx`);
    fs.writeFileSync(file, net(batch));
    const r = parseJsonOut(await verify([file, '--technique', 'int8-ptq', '--out', path.join(dir, `ranges-${name}`), '--samples', '4', '--calibration-samples', '6', ...(name === 'symbolic' ? ['--bind', 'N=1'] : [])]));
    assert.equal(r.data.calibrationSamples, 6);
    written.push(scales(r.compressed.file));
  }
  assert.ok(written[0].length >= 4, `activation scales written: ${written[0].length}`);
  assert.deepEqual(written[1], written[0]);
});

test('the side-by-side of the sample CNN at static INT8: every weight layer, FP32 → INT8 weights, the measured sensitivity, estimated ms on a target', async () => {
  const r = parseJsonOut(await verify([sampleModel, '--technique', 'int8-ptq', '--out', path.join(dir, 'side'), '--samples', '8', '--calibration-samples', '4']));
  const [a, b] = [await analyzeFile(sampleModel), await analyzeFile(r.compressed.file)];
  const rows = sideBySide(a.model, b.model, r.layers, estimateDevice(a.model, 'rpi5', {}), estimateDevice(b.model, 'rpi5', {}));
  const weighted = a.model.layers.filter((l) => l.params > 0);
  assert.deepEqual(rows.map((x) => x.layer).sort(), weighted.map((l) => l.name).sort(), 'a row per weight layer');
  assert.deepEqual(rows.map((x) => x.original.weightBytes), [...rows.map((x) => x.original.weightBytes)].sort((p, q) => q - p), 'heaviest first');
  const reported = new Map<string, { dropDb: number }>(r.layers.map((l: { name: string; dropDb: number }) => [l.name, l]));
  for (const x of rows) {
    assert.equal(x.original.dtype, 'FP32', x.layer);
    assert.equal(x.compressed?.dtype, 'INT8', x.layer);
    assert.equal(x.compressed!.params, x.original.params, x.layer);
    // int8 weights: a quarter of the float32 weight bytes (the original's also hold the bias, which stays int32)
    assert.ok(x.compressed!.weightBytes <= x.original.weightBytes / 4 && x.compressed!.weightBytes >= 0.2 * x.original.weightBytes, `${x.layer}: ${x.original.weightBytes} → ${x.compressed!.weightBytes}`);
    assert.equal(x.sensitivityDb, reported.get(x.layer)?.dropDb ?? null, `${x.layer}: the measured sensitivity`);
    assert.ok(x.original.ms! > 0 && x.compressed!.ms! > 0, `${x.layer}: estimated ms on both sides`);
  }
  assert.ok(rows.some((x) => x.sensitivityDb !== null), 'some layers were measured');
});

test('PNG images in class folders feed the CNN (preprocessing inferred from its input and stated); a class beyond the model is refused', async () => {
  const img = path.join(dir, 'images');
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < 4; i++) {
      const png = new PNG({ width: 40, height: 30 });
      for (let p = 0; p < 40 * 30; p++) png.data.set([(p * 7 + c * 50) % 256, (i * 60) % 256, 128, 255], p * 4);
      fs.mkdirSync(path.join(img, `class${c}`), { recursive: true });
      fs.writeFileSync(path.join(img, `class${c}`, `${i}.png`), PNG.sync.write(png));
    }
  }
  const r = parseJsonOut(await verify([sampleModel, '--technique', 'fp16', '--data', img, '--out', path.join(dir, 'img-out')]));
  assert.equal(r.data.source, 'images');
  assert.equal(r.data.labels, 'folders');
  assert.deepEqual(r.data.preprocess, { layout: 'NCHW', height: 96, width: 96, channels: 3, scale: 255, mean: [0], std: [1] });
  assert.equal(r.accuracy.samples, 12);
  // Eleven class folders for a 10-class model: folder "class9x" sorts last and is label 10.
  for (let c = 3; c < 11; c++) {
    fs.mkdirSync(path.join(img, `class${c === 10 ? '9x' : c}`), { recursive: true });
    fs.copyFileSync(path.join(img, 'class0', '0.png'), path.join(img, `class${c === 10 ? '9x' : c}`, '0.png'));
  }
  assertBadInput(await runCli(['verify', sampleModel, '--technique', 'fp16', '--data', img, '--out', path.join(dir, 'img-out2')], LONG), /class9x\/0\.png: label 10 \("class9x"\) is not a class of the model: its output "probabilities" has 10 classes/);
  assert.ok(!fs.existsSync(path.join(dir, 'img-out2', 'tiny-cnn.fp16.onnx')));
});

/** The pids of a process's descendants. */
function descendants(pid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=']).toString().trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const kids = out.filter(([, pp]) => pp === pid).map(([p]) => p);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Runs edgeplan with `args` in a process group of its own, recording the measurement worker it forks; once the
 * worker runs, optionally sends `kill` to edgeplan alone, or (`group`) to the whole group as Ctrl-C in a terminal does.
 */
function runWatched(args: string[], kill?: { signal: NodeJS.Signals; group?: boolean }): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; worker: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliBin, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', () => undefined);
    let worker: number | null = null;
    const poll = setInterval(() => {
      const kids = descendants(child.pid!);
      if (kids.length && worker === null) {
        worker = kids[0];
        if (kill) setTimeout(() => process.kill(kill.group ? -child.pid! : child.pid!, kill.signal), 300);
      }
    }, 50);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stderr, worker });
    });
  });
}

async function gone(pid: number, ms: number): Promise<boolean> {
  for (let t = 0; t < ms; t += 100) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

test('a run past its time limit: one line, exit 1, nothing written, the worker gone; a killed edgeplan takes its worker with it', async () => {
  const big = path.join(dir, 'mobilenet_v2.onnx');
  writeReferenceModel('mobilenet_v2_1.0_224', big);
  const out = path.join(dir, 'timeout');
  const r = await runWatched(['verify', big, '--technique', 'int8-ptq', '--out', out, '--timeout-s', '2']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr.trim(), /^edgeplan: verification did not finish within 2 s and was stopped$/);
  assert.ok(r.worker !== null && (await gone(r.worker, 3000)), 'the worker process is gone');
  assert.deepEqual(fs.readdirSync(out), [], 'no output and no work folder left');

  const k = await runWatched(['verify', big, '--technique', 'int8-ptq', '--out', out, '--samples', '500'], { signal: 'SIGKILL' });
  assert.equal(k.signal, 'SIGKILL', 'edgeplan was killed');
  assert.ok(k.worker !== null && (await gone(k.worker, 5000)), 'the worker exits when its parent dies');
  assert.deepEqual(fs.readdirSync(out), [], 'the worker removed its work folder');
});

test('SIGTERM or SIGINT to edgeplan, or Ctrl-C to its process group: one line, exit 1, the worker gone, nothing written', async () => {
  const big = path.join(dir, 'mobilenet_v2.onnx');
  if (!fs.existsSync(big)) writeReferenceModel('mobilenet_v2_1.0_224', big);
  const cases: { signal: NodeJS.Signals; group?: boolean }[] = [{ signal: 'SIGTERM' }, { signal: 'SIGINT' }, { signal: 'SIGINT', group: true }];
  for (const kill of cases) {
    const what = `${kill.signal}${kill.group ? ' to the process group' : ''}`;
    const out = path.join(dir, `signal-${kill.signal}${kill.group ? '-group' : ''}`);
    const r = await runWatched(['verify', big, '--technique', 'int8-ptq', '--out', out, '--samples', '500'], kill);
    assert.equal(r.code, 1, `${what}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
    if (!kill.group) assert.equal(lines[0], `edgeplan: verification was cancelled (${kill.signal})`);
    else assert.match(lines[0], /^edgeplan: (verification was cancelled \(SIGINT\)|the measurement worker stopped \(exit code 70\))$/);
    assert.ok(r.worker !== null && (await gone(r.worker, 5000)), `${what}: the worker is gone`);
    assert.deepEqual(fs.readdirSync(out), [], `${what}: no output and no work folder left`);
  }
});

test('bad input: one clear line and exit 1 each, no output file', { skip: SKIP_NO_DIGITS }, async () => {
  const bad = path.join(dir, 'bad');
  fs.mkdirSync(bad, { recursive: true });
  const put = (name: string, bytes: Uint8Array | string): string => {
    const p = path.join(bad, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, bytes);
    return p;
  };
  // A model onnxruntime cannot load: an op no runtime knows.
  const b = new OnnxGraphBuilder('custom');
  b.input('x', [1, 4]);
  b.node('Frobnicate', ['x'], ['y'], [], 'frob', 'com.example');
  b.shapes.set('y', [1, 4]);
  b.output('y');
  const custom = put('custom.onnx', encodeModel({ ...b.model(), opsetImports: [{ domain: '', version: 13 }, { domain: 'com.example', version: 1 }] }));
  assertBadInput(await runCli(['verify', custom, '--technique', 'fp16', '--out', bad], LONG), /onnxruntime cannot load custom\.onnx: .*Frobnicate/);

  // Data that does not fit: wrong shape, wrong type, corrupt .npy, corrupt image, a label beyond the classes.
  const cases: [string, () => void, RegExp, string?][] = [
    ['shape', () => put('shape/a.npy', encodeNpy(new Array(32).fill(0), [1, 32])), /a\.npy: has shape \[1, 32\], the model's input "pixels" takes \[1, 64\]/],
    ['corrupt', () => put('corrupt/a.npy', encodeNpy(new Array(64).fill(0), [1, 64]).subarray(0, 200)), /a\.npy: holds 72 data bytes, its header declares 256/],
    ['image', () => put('image/a.png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(' garbage')])), /a\.png: PNG without an IHDR header: corrupted/, sampleModel],
    ['label', () => {
      put('label/a.npy', encodeNpy(new Array(64).fill(0), [1, 64]));
      put('label/b.npy', encodeNpy(new Array(64).fill(0), [1, 64]));
      put('label/samples.csv', 'file,label\na.npy,3\nb.npy,12\n');
    }, /b\.npy: label 12 is not a class of the model: its output "logits" has 10 classes/],
  ];
  for (const [name, make, why, model = mlp] of cases) {
    make();
    const r = await runCli(['verify', model, '--technique', 'int8-dynamic', '--data', path.join(bad, name), '--out', path.join(bad, `out-${name}`)], LONG);
    assertBadInput(r, why);
    assert.deepEqual(fs.readdirSync(path.join(bad, `out-${name}`)), [], `${name}: no work folder left`);
  }
  // An int64 input fed fractions.
  const ib = new OnnxGraphBuilder('ints');
  ib.input('idx', [1, 4], 'INT64');
  ib.node('Cast', ['idx'], ['f'], [{ name: 'to', type: 'int', value: 1 }], 'cast');
  ib.shapes.set('f', [1, 4]);
  ib.output(ib.matmul('f', 3, { name: 'mm' }));
  const ints = put('ints.onnx', encodeModel(ib.model()));
  put('frac/a.npy', encodeNpy([0.5, 1, 2, 3], [1, 4]));
  assertBadInput(await runCli(['verify', ints, '--technique', 'fp16', '--data', path.join(bad, 'frac'), '--out', bad], LONG), /a\.npy: value 0\.5 at index 0 does not fit input "idx" of type int64/);

  // An output that exists is not overwritten without --force.
  const target = path.join(bad, 'mlp.fp16.onnx');
  fs.writeFileSync(target, 'keep me');
  assertBadInput(await runCli(['verify', mlp, '--technique', 'fp16', '--out', bad], LONG), /mlp\.fp16\.onnx already exists; use --force to overwrite it/);
  assert.equal(fs.readFileSync(target, 'utf8'), 'keep me');
  assertOk(await runCli(['verify', mlp, '--technique', 'fp16', '--out', bad, '--force', '--samples', '5'], LONG));
  assert.notEqual(fs.readFileSync(target, 'utf8'), 'keep me');

  // Not ONNX: why not, and where the commands are.
  const real = path.join(repoRoot, '..', 'shared', 'models', 'fixtures', 'hello_world_float.tflite');
  if (fs.existsSync(real)) assertBadInput(await runCli(['verify', real, '--technique', 'int8-ptq'], LONG), /verify builds and runs ONNX models only .*this is TFLITE.*edgeplan plan hello_world_float\.tflite --device ID" prints the commands/);
  assertBadInput(await runCli(['verify', mlp, '--technique', 'int8-ptq', '--data', path.join(bad, 'absent')], LONG), /absent: no such data folder/);
  const usage = await runCli(['verify', mlp, '--technique', 'int3'], LONG);
  assert.equal(usage.code, 2, describeRun(usage));
});

test('a data folder with 100,000 files is sampled, and the report says so', { skip: SKIP_NO_DIGITS }, async () => {
  const many = path.join(dir, 'many');
  fs.mkdirSync(many);
  const bytes = encodeNpy(Float32Array.from({ length: 64 }, (_, i) => (i % 9) / 9), [1, 64]);
  for (let i = 0; i < 100_000; i++) fs.writeFileSync(path.join(many, `s${i}.npy`), bytes);
  const r = parseJsonOut(await verify([mlp, '--technique', 'int8-ptq', '--data', many, '--out', path.join(dir, 'many-out'), '--samples', '50', '--calibration-samples', '20']));
  assert.equal(r.data.found, 100_000);
  assert.equal(r.data.sampled, true);
  assert.ok(r.notes.some((n: string) => n === 'sampled 70 of 100000 samples (seeded shuffle, seed 1)'), JSON.stringify(r.notes));
  fs.rmSync(many, { recursive: true, force: true });
});

