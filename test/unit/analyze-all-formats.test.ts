/**
 * `edgeplan analyze MODEL --json` through the real CLI for every real model file in ../shared/models
 * (fixtures, unlabelled, benchmark-models) and the repository's sample: the JSON has exactly the shape issue 3
 * states, every figure is a number or null (never NaN, never a string), the figures agree with each other
 * (histogram total, per-layer MACs, bytes by dtype), REFERENCE.jsonl agrees line by line, and the text output
 * is a readable summary with the parameter count in it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SKIP_NO_SHARED, hasShared, sharedDir, referenceLines, type ReferenceLine } from '../support/shared';
import { runCli, parseJsonOut, assertOk, describeRun, sampleModel, type CliRun } from '../support/run-cli';

/** What each real file's name says it is (the shared README and MANIFEST name every file's format). */
const FORMAT_BY_EXT: Record<string, string> = {
  '.onnx': 'onnx',
  '.tflite': 'tflite',
  '.safetensors': 'safetensors',
  '.gguf': 'gguf',
  '.pt': 'pytorch',
  '.pth': 'pytorch',
  '.jit': 'pytorch',
  '.keras': 'keras',
  '.h5': 'keras',
  '.mlmodel': 'coreml',
};

function modelFiles(): string[] {
  if (!hasShared) return [];
  const out: string[] = [];
  for (const sub of ['fixtures', 'unlabelled', 'benchmark-models']) {
    const dir = path.join(sharedDir, 'models', sub);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) if (FORMAT_BY_EXT[path.extname(f).toLowerCase()]) out.push(path.join(dir, f));
  }
  return out;
}

const files = modelFiles();
const label = (f: string): string => path.relative(path.join(sharedDir, 'models'), f);

// Start every CLI run now (two at a time, see run-cli.ts); each test awaits its own.
const jsonRuns = new Map<string, Promise<CliRun>>();
const jsonRun = (f: string): Promise<CliRun> => {
  if (!jsonRuns.has(f)) jsonRuns.set(f, runCli(['analyze', f, '--json']));
  return jsonRuns.get(f)!;
};
jsonRun(sampleModel);
files.forEach(jsonRun);

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isNumOrNull = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0);

function assertShapeArray(s: unknown, at: string): void {
  if (s === null) return; // rank unknown
  assert.ok(Array.isArray(s), `${at}: shape must be an array (or null when the rank is unknown), got ${JSON.stringify(s)}`);
  for (const d of s as unknown[]) {
    assert.ok((typeof d === 'number' && Number.isInteger(d) && d >= 0) || (typeof d === 'string' && d.length > 0), `${at}: dim ${JSON.stringify(d)} is neither a number nor a symbol name`);
  }
}

function assertIo(list: unknown, at: string): void {
  assert.ok(Array.isArray(list), `${at} must be an array`);
  (list as any[]).forEach((io, i) => {
    assert.equal(typeof io.name, 'string', `${at}[${i}].name`);
    assert.equal(typeof io.dtype, 'string', `${at}[${i}].dtype`);
    assert.ok(io.dtype.length > 0, `${at}[${i}].dtype empty`);
    assertShapeArray(io.shape, `${at}[${i}] (${io.name})`);
  });
}

/** The issue-3 shape, with the figures' internal consistency. */
function assertAnalysisJson(out: any, file: string, format: string): void {
  const at = path.basename(file);
  assert.deepEqual(Object.keys(out).sort(), ['model', 'warnings'], `${at}: top-level keys`);
  const m = out.model;
  for (const k of ['file', 'format', 'bytes', 'params', 'weightBytes', 'macs', 'flops', 'peakActivationBytes', 'operatorCount', 'opHistogram', 'inputs', 'outputs', 'weightDtypes', 'quantization', 'dynamicShapes', 'layers']) {
    assert.ok(k in m, `${at}: model.${k} missing`);
  }
  assert.equal(path.basename(m.file), path.basename(file), `${at}: model.file`);
  assert.equal(m.format, format, `${at}: format`);
  assert.equal(m.bytes, fs.statSync(file).size, `${at}: bytes is the file size`);
  assert.ok(isCount(m.params), `${at}: params ${JSON.stringify(m.params)}`);
  assert.ok(isCount(m.weightBytes), `${at}: weightBytes ${JSON.stringify(m.weightBytes)}`);
  assert.ok(m.weightBytes <= m.bytes, `${at}: weightBytes ${m.weightBytes} > file size ${m.bytes}`);
  for (const k of ['macs', 'flops', 'peakActivationBytes']) assert.ok(isNumOrNull(m[k]), `${at}: ${k} ${JSON.stringify(m[k])}`);
  if (m.macs === null) assert.ok(typeof m.macsUnknownReason === 'string' && m.macsUnknownReason.length > 5, `${at}: MACs null without a reason (never silent)`);
  // histogram
  assert.ok(m.opHistogram && typeof m.opHistogram === 'object' && !Array.isArray(m.opHistogram), `${at}: opHistogram`);
  for (const [op, n] of Object.entries(m.opHistogram)) assert.ok(isCount(n) && (n as number) > 0, `${at}: opHistogram.${op} = ${n}`);
  const total = Object.values(m.opHistogram as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.ok(isCount(m.operatorCount), `${at}: operatorCount`);
  assert.equal(m.operatorCount, total, `${at}: operatorCount is the histogram's total`);
  // I/O
  assertIo(m.inputs, `${at}: inputs`);
  assertIo(m.outputs, `${at}: outputs`);
  // bytes by dtype add up to the weight bytes
  assert.ok(m.weightDtypes && typeof m.weightDtypes === 'object', `${at}: weightDtypes`);
  for (const [d, b] of Object.entries(m.weightDtypes)) assert.ok(isCount(b), `${at}: weightDtypes.${d} = ${b}`);
  const byDtype = Object.values(m.weightDtypes as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.equal(byDtype, m.weightBytes, `${at}: weightDtypes add up to weightBytes`);
  // summaries
  assert.ok(m.quantization && typeof m.quantization.state === 'string', `${at}: quantization.state`);
  assert.ok(m.dynamicShapes && Array.isArray(m.dynamicShapes.symbols) && typeof m.dynamicShapes.hasDynamic === 'boolean', `${at}: dynamicShapes`);
  for (const [s, v] of Object.entries(m.dynamicShapes.bindings ?? {})) assert.ok(isCount(v) && (v as number) >= 1, `${at}: binding ${s}=${v}`);
  // layers
  assert.ok(Array.isArray(m.layers), `${at}: layers[]`);
  m.layers.forEach((l: any, i: number) => {
    const la = `${at}: layers[${i}] (${l.name})`;
    assert.equal(typeof l.name, 'string', `${la}.name`);
    assert.equal(typeof l.op, 'string', `${la}.op`);
    assert.ok(l.op in m.opHistogram, `${la}: op "${l.op}" is not in the histogram`);
    assert.ok(isNumOrNull(l.macs), `${la}.macs ${JSON.stringify(l.macs)}`);
    assert.ok(isCount(l.params), `${la}.params ${JSON.stringify(l.params)}`);
    assert.ok(Array.isArray(l.outputShapes), `${la}.outputShapes`);
    l.outputShapes.forEach((s: unknown, j: number) => assertShapeArray(s, `${la}.outputShapes[${j}]`));
    assert.ok(isNumOrNull(l.activationBytes), `${la}.activationBytes ${JSON.stringify(l.activationBytes)}`);
  });
  assert.ok(m.layers.length <= m.operatorCount, `${at}: ${m.layers.length} layers > ${m.operatorCount} operators`);
  if (m.macs !== null && m.layers.length) {
    assert.equal(m.layers.reduce((s: number, l: any) => s + (l.macs ?? 0), 0), m.macs, `${at}: per-layer MACs add up to model MACs`);
  }
  // warnings: one line each
  assert.ok(Array.isArray(out.warnings), `${at}: warnings[]`);
  for (const w of out.warnings) {
    assert.equal(typeof w, 'string');
    assert.ok(!w.includes('\n'), `${at}: multi-line warning ${JSON.stringify(w)}`);
  }
}

// ------------------------------------------------------------------ the sample (no ../shared needed)

test('analyze samples/tiny-cnn.onnx --json: exact figures computed from its architecture', async () => {
  const out = parseJsonOut(await jsonRun(sampleModel));
  assertAnalysisJson(out, sampleModel, 'onnx');
  const m = out.model;
  // 3x3/2 stem to 16 at 48x48; blocks (dw 3x3 + pw 1x1): 16→32 @48, 32→64 /2 @24, 64→64 @24, 64→128 /2 @12, 128→128 @12; Gemm 128→10
  let params = 16 * 3 * 9 + 16;
  let macs = 16 * 48 * 48 * 3 * 9;
  let c = 16;
  for (const [out_, hw] of [[32, 48], [64, 24], [64, 24], [128, 12], [128, 12]]) {
    params += c * 9 + c + c * out_ + out_;
    macs += c * hw * hw * 9 + out_ * hw * hw * c;
    c = out_;
  }
  params += 128 * 10 + 10;
  macs += 128 * 10;
  assert.equal(m.params, params);
  assert.equal(m.weightBytes, params * 4);
  assert.deepEqual(m.weightDtypes, { FLOAT: params * 4 });
  assert.equal(m.macs, macs);
  assert.deepEqual(m.opHistogram, { Conv: 11, Relu: 11, GlobalAveragePool: 1, Flatten: 1, Gemm: 1, Softmax: 1 });
  assert.equal(m.operatorCount, 26);
  assert.deepEqual(m.inputs.map((i: any) => [i.name, i.dtype, i.shape]), [['image', 'FLOAT', [1, 3, 96, 96]]]);
  assert.deepEqual(m.outputs.map((i: any) => [i.name, i.dtype, i.shape]), [['probabilities', 'FLOAT', [1, 10]]]);
  assert.equal(m.dynamicShapes.hasDynamic, false);
  assert.equal(m.quantization.state, 'float');
  assert.equal(m.layers.length, 26);
  // the largest activation pair: a 16x48x48 fp32 tensor and the next one of the same size are live together
  assert.ok(m.peakActivationBytes >= 2 * 16 * 48 * 48 * 4, `peak ${m.peakActivationBytes}`);
  assert.deepEqual(out.warnings, []);
});

// ------------------------------------------------------------------ every real file

test('../shared/models holds model files of all seven formats', { skip: SKIP_NO_SHARED }, () => {
  const formats = new Set(files.map((f) => FORMAT_BY_EXT[path.extname(f).toLowerCase()]));
  assert.deepEqual([...formats].sort(), ['coreml', 'gguf', 'keras', 'onnx', 'pytorch', 'safetensors', 'tflite']);
  assert.ok(files.length >= 35, `${files.length} model files`);
});

if (!hasShared) test('analyze --json on every real model file', { skip: SKIP_NO_SHARED }, () => {});

for (const f of files) {
  test(`analyze --json ${label(f)}: issue 3 shape, numbers or null, consistent figures`, async () => {
    const r = await jsonRun(f);
    assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
    assertAnalysisJson(parseJsonOut(r), f, FORMAT_BY_EXT[path.extname(f).toLowerCase()]);
  });
}

// ------------------------------------------------------------------ REFERENCE.jsonl through the CLI

const ioView = (list: any[], withName: boolean): unknown[] => list.map((i) => (withName ? { name: i.name, dtype: i.dtype, shape: i.shape } : { dtype: i.dtype, shape: i.shape }));

for (const ref of referenceLines()) {
  test(`REFERENCE.jsonl ${ref.file}: the CLI's figures agree exactly`, async () => {
    const file = path.join(sharedDir, 'models', 'fixtures', ref.file);
    const m = parseJsonOut(await jsonRun(file)).model;
    const want = (r: ReferenceLine) => ({
      format: r.format,
      bytes: r.bytes,
      params: r.params,
      weightBytes: r.weightBytes,
      macs: r.macs,
      operatorCount: r.operatorCount,
      opHistogram: r.opHistogram,
      inputs: ioView(r.inputs, r.inputs.every((i) => i.name !== undefined)),
      outputs: ioView(r.outputs, r.outputs.every((i) => i.name !== undefined)),
    });
    assert.deepEqual(
      {
        format: m.format,
        bytes: m.bytes,
        params: m.params,
        weightBytes: m.weightBytes,
        macs: m.macs,
        operatorCount: m.operatorCount,
        opHistogram: m.opHistogram,
        inputs: ioView(m.inputs, ref.inputs.every((i) => i.name !== undefined)),
        outputs: ioView(m.outputs, ref.outputs.every((i) => i.name !== undefined)),
      },
      want(ref),
      ref.file,
    );
  });
}

// ------------------------------------------------------------------ text output

/** "36,426" → 36426; "1.23 M" → 1.23e6 (the table's count format). */
function parseCount(s: string): number {
  const m = /^([\d,.]+)\s*([KMGT])?$/.exec(s.trim());
  assert.ok(m, `not a count: "${s}"`);
  const scale = { K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as 'K'] ?? 1;
  return Number(m[1].replace(/,/g, '')) * scale;
}

test('analyze without --json: a readable summary table with the parameter count, one file per format', async () => {
  const picks = [sampleModel];
  for (const fmt of new Set(Object.values(FORMAT_BY_EXT))) {
    const f = files.find((x) => FORMAT_BY_EXT[path.extname(x).toLowerCase()] === fmt && !x.includes('vocab'));
    if (f) picks.push(f);
  }
  const [texts, jsons] = await Promise.all([Promise.all(picks.map((f) => runCli(['analyze', f]))), Promise.all(picks.map(jsonRun))]);
  picks.forEach((f, i) => {
    const t = texts[i];
    assertOk(t);
    const m = parseJsonOut(jsons[i]).model;
    assert.ok(!t.stdout.trimStart().startsWith('{'), `${path.basename(f)}: text output must not be JSON`);
    assert.ok(t.stdout.includes(path.basename(f)), `${path.basename(f)}: the summary names the file`);
    const line = t.stdout.split('\n').find((l) => /^\s*Param(eter)?s\b/i.test(l));
    assert.ok(line, `${path.basename(f)}: no "Parameters" row:\n${t.stdout.slice(0, 800)}`);
    const shown = parseCount(line.replace(/^\s*Param(eter)?s\s*:?\s*/i, ''));
    const tolerance = m.params >= 1e6 ? 0.006 * m.params : 0;
    assert.ok(Math.abs(shown - m.params) <= tolerance, `${path.basename(f)}: table shows ${shown}, JSON says ${m.params}`);
    // a table: some line is a rule of dashes, and lines are not absurdly long
    assert.match(t.stdout, /^-{3,}(\s+-{3,})*\s*$/m, `${path.basename(f)}: no table rule`);
    assert.doesNotMatch(t.stdout, /\bNaN\b|\bundefined\b|\[object Object\]/, describeRun(t));
  });
});
