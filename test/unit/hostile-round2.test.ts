/**
 * Hostile and huge inputs, second round (issue 15), through the real CLI: every run must end with exit 0 and a
 * correct analysis, or exit 1 and one line naming the file — within 30 s (of CPU time) and 1.5 GB of peak memory,
 * with no raw control character on the terminal and nothing of its process group left running.
 *
 * Kinds: valid GGUF vocabularies of every size (reads straddle the reader's window); pickles asking for unbounded
 * work (20 M dicts, thousands of 17,000-character keys, a million repeated globals); 40,000 Ethos-U ops; names of
 * 16 MB and thousands of 17,000-character names in ONNX, TFLite, GGUF, safetensors; a 1,000,000-node ONNX chain
 * and a 1,000,000-op TFLite; `plan --export` on a 150,000-node model; terminal controls (ESC, OSC, BEL, CR, C1,
 * bidi) and JavaScript-shaped names (`__proto__`, `constructor`, `toString` ...) in the names of all seven formats
 * and in the file name; ONNX raw_data of the wrong length, duplicate safetensors names, a symlink loop; FIFOs and
 * devices given as --plan, --measurements, measure --log/--store and as the default measurements store; a PDF of
 * a plan holding a 20,000-character word; SIGTERM, SIGINT and SIGKILL of the CLI during `benchmark`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { BufferSource } from '../../src/analyzers/io/byte-source';
import { readGguf } from '../../src/analyzers/gguf';
import { analyzeFile } from '../../src/analyzers';
import { createDefaultPlan, serializePlan } from '../../src/planner/plan';
import { OnnxGraphBuilder, writeModel } from '../support/modelgen/onnx-builder';
import { runCli, describeRun, assertBadInput, processGroupMembers, sampleModel, type CliRun, type RunOptions } from '../support/run-cli';
import { scratchFiles } from '../support/shared';
import * as H from '../support/hostile-files';
import { terminalSafe } from '../../src/cli/terminal';

const { dir, put } = scratchFiles('hostile-round2');

/**
 * The 30 s are held as CPU time of the CLI (its work, which the machine's load does not change); wall
 * time only guards against a hang, with room for a machine shared by several test runs.
 */
const LIMIT_CPU_MS = 30_000;
const HANG_MS = 120_000;
const LIMIT_RSS = 1.5 * 2 ** 30;

/** Runs the CLI in its own process group with the bounds. */
function run(args: string[], opts: RunOptions = {}): Promise<CliRun> {
  return runCli(args, { timeoutMs: HANG_MS, ownGroup: true, ...opts });
}

/** The bounds every run holds: bounded work and memory, nothing left running, no raw control characters. */
function assertBounded(r: CliRun): void {
  assert.equal(r.timedOut, false, `still running after ${HANG_MS / 1000} s: ${describeRun(r)}`);
  assert.ok(r.cpuMs !== null && r.cpuMs < LIMIT_CPU_MS, `over ${LIMIT_CPU_MS / 1000} s of CPU: ${describeRun(r)}`);
  assert.ok(r.maxRssBytes !== null && r.maxRssBytes < LIMIT_RSS, `peak RSS ${((r.maxRssBytes ?? NaN) / 2 ** 20).toFixed(0)} MiB: ${describeRun(r)}`);
  assert.deepEqual(r.leftovers, [], `processes left behind: ${describeRun(r)}`);
  assert.doesNotMatch(r.stdout, H.RAW_CONTROL, `raw control character on stdout: ${describeRun(r)}`);
  assert.doesNotMatch(r.stderr, H.RAW_CONTROL, `raw control character on stderr: ${describeRun(r)}`);
}

/** Exit 0 within the bounds; with --json, the parsed output. */
function assertOk(r: CliRun): any {
  assertBounded(r);
  assert.equal(r.code, 0, describeRun(r));
  assert.doesNotMatch(r.stdout + r.stderr, /internal error|\bNaN\b|is not iterable|\[object Object\]|\[native code\]/, describeRun(r));
  return r.args.includes('--json') ? JSON.parse(r.stdout) : r.stdout;
}

/** Exit 1 with one line that names `file` (its base name), within the bounds. */
function assertRefused(r: CliRun, file: string, message?: RegExp): string {
  assertBounded(r);
  const line = assertBadInput(r, message);
  const shown = terminalSafe(path.basename(file)); // as the terminal shows it: controls escaped
  assert.ok(line.includes(shown), `the error line must name ${shown}: ${line}`);
  return line;
}

/** Exit 0, or exit 1 naming the file. */
function assertOkOrRefused(r: CliRun, file: string): void {
  if (r.code === 0) assertOk(r);
  else assertRefused(r, file);
}

// ------------------------------------------------------------------ GGUF windows

test('valid GGUF vocabularies of any size read exactly (reads straddle the 1 MiB window at every offset)', async () => {
  for (const [n, seed] of [[1, 1], [3000, 2], [30_000, 3], [80_000, 4], [80_001, 5], [150_000, 6]] as const) {
    const { bytes, tokens } = H.ggufVocab(n, seed);
    const g = readGguf(new BufferSource(`vocab-${n}.gguf`, bytes));
    const extra = g.metadata.extra!;
    assert.equal(extra.vocabSize, n);
    assert.equal(extra['general.name'], `vocab-${n}`, 'a key after the vocabulary is read from the right bytes');
    assert.equal(extra.contextLength, 4096);
    assert.equal(extra['tokenizer.ggml.tokens'], `array of ${n} string`);
    const t = g.main.tensors.get('token_embd.weight')!;
    assert.deepEqual(t.shape, [64, 8]);
    assert.equal(t.dtype, 'F32');
    assert.equal(t.dataOffset! + t.storedBytes!, bytes.length, 'the data section is located exactly');
    assert.ok(tokens.length === n);
  }
  // Through the file reader (its own read windows) and the CLI.
  const file = put('vocab-80k.gguf', H.ggufVocab(80_000, 7).bytes);
  const a = await analyzeFile(file);
  assert.equal(a.model.metadata.vocabSize, 80_000);
  assert.equal(a.model.params, 512);
  const out = assertOk(await run(['analyze', file, '--json']));
  assert.equal(out.model.metadata['general.name'], 'vocab-80000');
});

// ------------------------------------------------------------------ unbounded work

test('pickles that ask for unbounded work: 20 M dicts refused, long keys and repeated globals read in bounded time', async () => {
  const dicts = put('dicts.pt', H.torchManyDicts(20_000_000));
  assertRefused(await run(['analyze', dicts]), dicts, /objects|zip bomb|compression ratio/);
  const keys = put('long-keys.pt', H.torchLongKeys(3000, 17_000));
  assertOkOrRefused(await run(['analyze', keys, '--json']), keys);
  const globals = put('globals.pt', H.torchRepeatedGlobals(1_000_000));
  const out = assertOk(await run(['analyze', globals, '--json']));
  assert.ok(out.warnings.some((w: string) => w.includes('mypackage.sub.SomeClass')), 'the unknown global is named once');
});

test('40,000 Ethos-U ops are read in bounded time', async () => {
  const file = put('ethos.tflite', H.tfliteManyEthosU(40_000));
  const out = assertOk(await run(['analyze', file, '--json']));
  assert.equal(out.model.compiledSegments.length, 40_000);
  assert.equal(out.model.compiledSegments[0].payloadBytes, 4);
});

test('names: 16 MB node names hit the per-file name budget; thousands of 17,000-character names are shortened, not hashed for minutes', async () => {
  const huge = path.join(dir, 'huge-names.onnx');
  H.writeOnnxLongNodeNames(huge, 10, 16 * 1024 * 1024 - 64);
  assertRefused(await run(['analyze', huge, '--json']), huge, /names and strings add up to more than/);

  const cases: [string, Uint8Array][] = [
    ['long-names.onnx', H.onnxLongTensorNames(2500, 17_000)],
    ['long-names.tflite', H.tfliteLongTensorNames(3000, 17_000)],
    ['long-keys.gguf', H.ggufNamed(Array.from({ length: 2000 }, (_, i) => `${'g'.repeat(16_992)}${String(i).padStart(8, '0')}`))],
  ];
  for (const [name, bytes] of cases) {
    const file = put(name, bytes);
    const out = assertOk(await run(['analyze', file, '--json']));
    assert.ok(out.warnings.some((w: string) => /longer than 4096 characters and shown shortened/.test(w)), `${name}: says names were shortened`);
    const text = assertOk(await run(['analyze', file]));
    assert.ok(text.split('\n').every((l: string) => l.length <= 1100), `${name}: no text line is longer than a clipped warning`);
  }
  const zip = put('long-entry-names.pt', H.torchLongEntryNames(3000, 17_000));
  assertOk(await run(['analyze', zip, '--json']));
  const st = put('long-keys.safetensors', H.safetensorsNamed(Array.from({ length: 3000 }, (_, i) => `${'s'.repeat(16_992)}${String(i).padStart(8, '0')}`), [], false));
  assertRefused(await run(['analyze', st]), st, /keys longer than 16383 characters/);
});

// ------------------------------------------------------------------ huge valid graphs

test('a 1,000,000-node ONNX chain and a 1,000,000-op TFLite: exact totals, summarised layers, bounded output', async () => {
  const onnx = path.join(dir, 'chain-1m.onnx');
  H.writeOnnxChain(onnx, 1_000_000);
  const tflite = put('chain-1m.tflite', H.tfliteChain(1_000_000));
  const [a, b] = await Promise.all([run(['analyze', onnx, '--json']), run(['analyze', tflite, '--json'])]);
  for (const [r, op] of [[a, 'Relu'], [b, 'RELU']] as const) {
    const out = assertOk(r);
    const m = out.model;
    assert.equal(m.operatorCount, 1_000_000);
    assert.equal(m.opHistogram[op], 1_000_000);
    assert.equal(m.flops, 16_000_000, 'every node costed');
    assert.ok(m.layers.length <= 10_000, `${m.layers.length} layer rows`);
    assert.equal(m.layers.reduce((s: number, l: { count?: number }) => s + (l.count ?? 1), 0), 1_000_000, 'rows stand for every node');
    assert.ok(out.warnings.some((w: string) => /1,000,000 layers, more than the 10,000 listed one by one/.test(w)), 'says the layers were summarised');
    assert.ok(r.stdout.length < 20 * 2 ** 20, `JSON of ${(r.stdout.length / 2 ** 20).toFixed(0)} MiB`);
  }
});

test('Keras and Core ML graphs of 200,000 layers: summarised layers, the declared layers listed up to 10,000 with their count', async () => {
  const n = 200_000;
  const keras = put('chain-200k.keras', H.kerasReluChain(n));
  const coreml = put('chain-200k.mlmodel', H.coremlActivationChain(n));
  const [k, c] = await Promise.all([run(['analyze', keras, '--json']), run(['analyze', coreml, '--json'])]);
  for (const [r, declared] of [[k, n + 1], [c, n]] as const) {
    const out = assertOk(r);
    const m = out.model;
    assert.equal(m.operatorCount, n);
    assert.ok(m.layers.length <= 10_000, `${m.layers.length} layer rows`);
    assert.equal(m.layers.reduce((s: number, l: { count?: number }) => s + (l.count ?? 1), 0), n, 'rows stand for every layer');
    assert.equal(m.declaredLayers.length, 10_000);
    assert.equal(m.declaredLayerCount, declared);
    assert.ok(out.warnings.some((w: string) => w.includes(`declares ${declared.toLocaleString('en-US')} layers; the first 10,000 are listed`)));
    assert.ok(r.stdout.length < 5 * 2 ** 20, `JSON of ${(r.stdout.length / 2 ** 20).toFixed(1)} MiB`);
  }
  assert.equal(JSON.parse(c.stdout).model.flops, 16 * n, 'every activation costed');
});

test('plan --export on a 150,000-node model stays bounded and the documents keep a bounded layer table', async () => {
  const file = path.join(dir, 'chain-150k.onnx');
  H.writeOnnxChain(file, 150_000);
  const out = path.join(dir, 'exports-150k');
  const r = await run(['plan', file, '--device', 'rpi5,coral-usb', '--export', 'docx,xlsx,pdf,pptx', '--out', out, '--json']);
  const plan = assertOk(r);
  assert.equal(plan.exports.length, 4);
  for (const f of plan.exports as string[]) assert.ok(fs.statSync(f).size < 10 * 2 ** 20, `${path.basename(f)} is ${fs.statSync(f).size} bytes`);
  const rpi = plan.estimates.find((e: { device: string }) => e.device === 'rpi5');
  assert.ok(rpi.layers.length <= 10_000);
});

// ------------------------------------------------------------------ terminal injection and JavaScript-shaped names

const NAMES = [...H.TERMINAL_PAYLOADS, ...H.JS_NAMES];

function namedFiles(): Record<string, string> {
  return {
    onnx: put('named.onnx', H.onnxNamedModel(NAMES, [...H.JS_NAMES, ...H.TERMINAL_PAYLOADS])),
    tflite: put('named.tflite', H.tfliteNamedModel(NAMES, [...H.JS_NAMES, ...H.TERMINAL_PAYLOADS])),
    safetensors: put('named.safetensors', H.safetensorsNamed(NAMES, ['toString', '__proto__', 'constructor', 'valueOf', '\x1b[31mF32'])),
    gguf: put('named.gguf', H.ggufNamed(NAMES)),
    pytorch: put('named.pt', H.torchNamed(NAMES, ['constructor', 'toString', '__proto__', '\x1b]0;x\x07Storage'])),
    keras: put('named.keras', H.kerasNamed(NAMES)),
    coreml: put('named.mlmodel', H.coremlNamed(NAMES)),
    filename: put('\x1b[31mevil\x07\u009b\r.onnx', H.onnxNamedModel(['a'], ['Relu'])),
  };
}

test('terminal controls in the names of every format and in file names never reach the terminal; JSON keeps them exactly', async () => {
  const files = namedFiles();
  const broken = put('\x1b]0;title\x07cut\u202e.onnx', H.onnxNamedModel(NAMES, ['Relu']).subarray(0, 40));
  for (const [kind, file] of Object.entries(files)) {
    const json = assertOk(await run(['analyze', file, '--json']));
    assert.equal(json.model.file, file, `${kind}: the file name is exact in JSON`);
    const text = assertOk(await run(['analyze', file]));
    if (['onnx', 'tflite', 'keras', 'coreml', 'filename'].includes(kind)) assert.ok(text.includes('\\u001b'), `${kind}: ESC is shown as a visible escape`);
    assertOk(await run(['estimate', file, '--device', 'rpi5,coral-usb']));
  }
  const onnx = assertOk(await run(['analyze', files.onnx, '--json']));
  for (const p of H.TERMINAL_PAYLOADS) assert.ok(onnx.model.dynamicShapes.symbols.includes(p), `dim_param ${JSON.stringify(p)} kept exactly`);
  const gguf = assertOk(await run(['analyze', files.gguf, '--json']));
  assert.equal(gguf.model.metadata['general.name'], NAMES[0]);
  assertRefused(await run(['analyze', broken]), broken);

  // Names inside warnings and error lines: an external-data location, a Keras layer input.
  const ext = put('external.onnx', H.onnxExternalData('\x1b]0;pwn\x07evil\r\nx\u009b.bin'));
  for (const args of [['analyze', ext], ['estimate', ext, '--device', 'rpi5'], ['plan', ext, '--device', 'rpi5']]) {
    const text = assertOk(await run(args));
    assert.match(text, /external data: file "\\u001b\]0;pwn\\u0007evil\\u000d\\u000ax\\u009b\.bin" is missing/, `${args[0]}: the location is shown escaped`);
  }
  const outside = put('outside.onnx', H.onnxExternalData('../\x1b[2Jup.bin'));
  assert.match(assertOk(await run(['analyze', outside])), /path "\.\.\/\\u001b\[2Jup\.bin" leaves the allowed folder/);
  const ghost = put('ghost.keras', H.kerasGhostInput('\x1b]0;pwn\x07gh\r\nost\u009b'));
  assertRefused(await run(['analyze', ghost]), ghost, /which the config does not define/);
});

test('JavaScript-shaped names are ordinary names: histogram, bindings, dtypes, metadata, estimates and exports', async () => {
  const files = namedFiles();
  const onnx = assertOk(await run(['analyze', files.onnx, '--json', '--bind', '__proto__=4,constructor=2']));
  const m = onnx.model;
  for (const op of ['__proto__', 'toString', 'valueOf', '__defineGetter__']) assert.equal(m.opHistogram[op], 1, `op ${op}`);
  assert.equal(m.opHistogram['constructor:constructor'], 1);
  assert.equal(m.dynamicShapes.bindings.__proto__, 4, 'a dim_param named __proto__ is bound like any other');
  assert.equal(m.dynamicShapes.bindings.constructor, 2);
  assert.equal(m.dynamicShapes.bindings.toString, 1);
  assert.equal(m.metadata['meta.__proto__'], 'constructor');
  const st = assertOk(await run(['analyze', files.safetensors, '--json']));
  for (const d of ['toString', '__proto__', 'constructor', 'valueOf']) assert.equal(st.model.weightDtypes[d], 8, `dtype ${d}: 8 bytes`);
  assert.equal(st.model.params, 2 * (NAMES.length + 5));
  const pt = assertOk(await run(['analyze', files.pytorch, '--json']));
  assert.equal(pt.model.params, 4 * (NAMES.length + 4));
  assert.ok(pt.warnings.some((w: string) => /storage type constructor, unknown/.test(w)));
  const gg = assertOk(await run(['analyze', files.gguf, '--json']));
  assert.equal(gg.model.metadata.__proto__, 'constructor');
  // Keras classes and Core ML operation types named like Object.prototype members: plain unknown ops, mapped to
  // no target op by inheritance, costed as unknown ('other' / 'custom'), never as a recurrent layer or a normalisation.
  const keras = put('classes.keras', H.kerasClassChain(H.JS_NAMES));
  const coreml = put('op-types.mlmodel', H.coremlProgramTyped(H.JS_NAMES));
  for (const file of [keras, coreml]) {
    const a = assertOk(await run(['analyze', file, '--json']));
    for (const op of H.JS_NAMES) assert.equal(a.model.opHistogram[op], 1, `${path.basename(file)}: op ${op}`);
    for (const l of a.model.layers.filter((x: { op: string }) => (H.JS_NAMES as readonly string[]).includes(x.op))) assert.ok(['other', 'custom'].includes(l.opClass), `${path.basename(file)}: ${l.op} is an unknown op, not ${l.opClass}`);
    const e = assertOk(await run(['estimate', file, '--device', 'rpi5,coral-usb,stm32h7,apple-a17-pro', '--json']));
    for (const d of e.estimates) {
      for (const f of d.compatibility.fallback) assert.ok(typeof f.reason === 'string' && !/native code|object Object/.test(f.reason), `${d.device}: ${f.op}: ${f.reason}`);
    }
    assertOk(await run(['estimate', file, '--device', 'rpi5,coral-usb,stm32h7,apple-a17-pro']));
  }
  const cm = assertOk(await run(['analyze', coreml, '--json']));
  assert.equal(cm.model.layers.find((l: { op: string }) => l.op === 'relu').flops, 64, 'the known op after them is costed');
  for (const [kind, file] of Object.entries(files)) {
    // All four documents where names reach layer tables; the two that hold the most text elsewhere.
    const formats = kind === 'onnx' || kind === 'tflite' ? 'docx,xlsx,pdf,pptx' : 'xlsx,pdf';
    assertOk(await run(['plan', file, '--device', 'rpi5,coral-usb', '--export', formats, '--out', path.join(dir, `exports-${kind}`), '--force']));
  }
});

// ------------------------------------------------------------------ quiet wrong answers

test('quiet wrong answers are said: raw_data of the wrong length, duplicate safetensors names, a symlink loop', async () => {
  const short = put('raw-short.onnx', H.onnxRawDataMismatch(60));
  assertRefused(await run(['analyze', short]), short, /60 bytes of raw_data, but its dims \[4, 4\] of FLOAT need 64/);
  const long = put('raw-long.onnx', H.onnxRawDataMismatch(68));
  assertRefused(await run(['analyze', long]), long, /raw_data/);
  const dup = put('dup.safetensors', H.safetensorsFromText('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', Buffer.alloc(12)));
  assertRefused(await run(['analyze', dup]), dup, /"w" appears more than once/);
  const loopA = path.join(dir, 'loop-a.onnx');
  const loopB = path.join(dir, 'loop-b.onnx');
  fs.symlinkSync(loopB, loopA);
  fs.symlinkSync(loopA, loopB);
  assertRefused(await run(['analyze', loopA]), loopA, /symlink loop/);
  await assert.rejects(analyzeFile(loopA), /symlink loop/);
});

// ------------------------------------------------------------------ special files given as options

test('FIFOs and devices given as --plan (plan and verify), --measurements, measure --log/--store and as the default store are refused, naming the file', async () => {
  const fifo = path.join(dir, 'pipe.json');
  if (spawnSync('mkfifo', [fifo]).status !== 0) return assert.fail('mkfifo is needed for this test');
  const specials = [fifo, '/dev/zero', '/dev/urandom', '/dev/full'];
  for (const s of specials) {
    assertRefused(await run(['plan', sampleModel, '--device', 'rpi5', '--plan', s]), s, /plan file: .*not a regular file/);
    assertRefused(await run(['estimate', sampleModel, '--device', 'rpi5', '--measurements', s]), s, /measurements file: .*not a regular file/);
    assertRefused(await run(['measure', sampleModel, '--device', 'rpi5', '--log', s]), s, /benchmark log: .*not a regular file/);
    assertRefused(await run(['measure', sampleModel, '--device', 'rpi5', '--latency-ms', '3', '--store', s]), s, /measurements file: .*not a regular file/);
    assertRefused(await run(['verify', sampleModel, '--technique', 'fp16', '--plan', s, '--out', path.join(dir, 'verify-out')]), s, /plan file: .*not a regular file/);
  }
  // A cloned repository whose default store is a symlink to /dev/zero.
  const repo = path.join(dir, 'cloned');
  fs.mkdirSync(path.join(repo, '.edgeplan'), { recursive: true });
  fs.symlinkSync('/dev/zero', path.join(repo, '.edgeplan', 'measurements.json'));
  assertRefused(await run(['estimate', sampleModel, '--device', 'rpi5'], { cwd: repo }), 'measurements.json', /character device, not a regular file/);
  // A plan file that does not validate names the file.
  const badPlan = put('bad.plan.json', JSON.stringify({ schemaVersion: 1, targets: 'rpi5' }));
  assertRefused(await run(['plan', sampleModel, '--device', 'rpi5', '--plan', badPlan]), badPlan);
  assertRefused(await run(['verify', sampleModel, '--technique', 'fp16', '--plan', badPlan, '--out', path.join(dir, 'verify-out')]), badPlan);
});

// ------------------------------------------------------------------ PDF of a plan with a very long word

test('a plan holding a 20,000-character word exports in bounded time and memory', async (t) => {
  const plan = createDefaultPlan('samples/tiny-cnn.onnx', 'tiny-cnn', ['rpi5']);
  const word = 'W'.repeat(20_000);
  plan.project.name = word;
  plan.risks = [{ description: word, likelihood: 'low', impact: 'high', mitigation: `${'x'.repeat(19_000)} done` }];
  const file = put('long-word.plan.json', serializePlan(plan));
  const out = path.join(dir, 'exports-long-word');
  const r = await run(['plan', sampleModel, '--device', 'rpi5', '--plan', file, '--export', 'pdf,docx,xlsx,pptx', '--out', out]);
  assertOk(r);
  const pdf = fs.readdirSync(out).find((f) => f.endsWith('.pdf'))!;
  if (spawnSync('sh', ['-c', 'command -v pdftotext']).status !== 0) return t.skip('pdftotext (poppler-utils) is absent: the PDF was written but not read back');
  const read = spawnSync('pdftotext', [path.join(out, pdf), '-'], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  assert.equal(read.status, 0, `pdftotext reads the PDF: ${read.stderr}`);
  const text = read.stdout;
  assert.ok((text.match(/W/g) ?? []).length >= word.length, 'the word is printed whole, broken across lines');
  assert.ok(text.split('\n').every((l) => l.length < 1000), 'no line of the PDF holds the whole word');
  assert.ok((text.match(/x/g) ?? []).length >= 19_000, 'the 19,000-character mitigation is printed whole: a row taller than a page goes on over the next pages');
  assert.match(text, /x done/, 'the text after it too');
});

// ------------------------------------------------------------------ orphaned benchmark workers

test('killing the CLI during benchmark (SIGTERM, SIGINT, SIGKILL) leaves no worker running', async () => {
  const model = path.join(dir, 'slow.onnx');
  const b = new OnnxGraphBuilder('slow');
  let x = b.input('x', [1, 512]);
  for (let i = 0; i < 40; i++) x = b.matmul(x, 512, { name: `mm${i}` });
  b.output(x);
  writeModel(b.model(), model);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    let cli = 0;
    const done = run(['benchmark', model, '--warmup', '10000', '--runs', '100000', '--timeout-s', '600'], { timeoutMs: 60_000, keepLeftovers: true, onSpawn: (pid) => (cli = pid) });
    const worker = await waitFor(() => processGroupMembers(cli).find((p) => p.includes('measure-worker')), 30_000);
    assert.ok(worker, `${signal}: the worker started`);
    process.kill(cli, signal);
    const r = await done;
    assert.equal(r.timedOut, false, describeRun(r));
    assert.ok(r.signal === signal || r.code === 128 + { SIGTERM: 15, SIGINT: 2, SIGKILL: 9 }[signal], `${signal}: the CLI ended by the signal: ${describeRun(r)}`);
    const gone = await waitFor(() => (processGroupMembers(cli).length === 0 ? true : undefined), 10_000);
    const left = processGroupMembers(cli);
    if (left.length) process.kill(-cli, 'SIGKILL'); // never leave a worker running after the test
    assert.ok(gone, `${signal}: the worker is gone: ${left.join('; ')}`);
  }
});

async function waitFor<T>(probe: () => T | undefined, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}
