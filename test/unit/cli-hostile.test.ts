/**
 * Hostile and broken model files through the whole product: the real CLI (`edgeplan analyze`, a child process
 * with a 20 s limit and its peak RSS measured) and analyzeFile in process, for every format.
 *
 * Each file must give exit 1 with one clear line "edgeplan: <file>: <what is wrong>" (analyzeFile: a one-line
 * ModelFileError naming the file), or, where the issue asks for it, a result that carries a warning
 * (a wrong extension, a pickle naming system functions, external data outside the model's folder) —
 * never a stack trace, never a hang, never more than 500 MB of memory.
 *
 * Files: zero-byte, truncated real models at several points, random bytes, a model under another format's
 * extension, a folder, zip bombs, a malicious pickle, ONNX external data "../../etc/passwd", an ONNX tensor
 * of 2^40 elements, a GGUF claiming 2^60 tensors, a safetensors header length past the end. The base models
 * are generated here (ONNX, TFLite, safetensors, GGUF, PyTorch) and, where ../shared is present, real files of
 * all seven formats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { analyzeFile, ModelFileError } from '../../src/analyzers';
import { encodeModel } from '../support/modelgen/onnx-builder';
import { TfliteModelBuilder } from '../support/modelgen/tflite-builder';
import { hasShared, scratchFiles, sharedDir } from '../support/shared';
import { makeZip, Pickle, torchZip } from '../support/torch-files';
import { runCli, parseJsonOut, assertBadInput, assertBoundedMemory, describeRun, sampleModel, type CliRun } from '../support/run-cli';

// EDGEPLAN_KEEP_HOSTILE=1 keeps the generated files for a look.
const { dir, put } = scratchFiles('cli-hostile');

// ------------------------------------------------------------------ small writers (independent of the readers)

/** safetensors: u64 header length, JSON header, data. */
function safetensorsBytes(header: unknown, data: Buffer, lengthOverride?: bigint): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

/** GGUF v3: header, one string KV, tensor infos, data aligned to 32 bytes. */
function ggufBytes(tensors: { name: string; dims: number[] }[], opts: { tensorCount?: bigint } = {}): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const u64 = (v: bigint | number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    parts.push(b);
  };
  const str = (s: string) => {
    u64(Buffer.byteLength(s));
    parts.push(Buffer.from(s, 'utf8'));
  };
  parts.push(Buffer.from('GGUF'));
  u32(3);
  u64(opts.tensorCount ?? BigInt(tensors.length));
  u64(1);
  str('general.architecture');
  u32(8); // string
  str('hostile-test');
  let offset = 0;
  for (const t of tensors) {
    str(t.name);
    u32(t.dims.length);
    for (const d of t.dims) u64(d);
    u32(0); // F32
    u64(offset);
    offset += Math.ceil((t.dims.reduce((a, b) => a * b, 1) * 4) / 32) * 32;
  }
  const head = Buffer.concat(parts);
  const pad = Buffer.alloc((32 - (head.length % 32)) % 32);
  return Buffer.concat([head, pad, Buffer.alloc(offset)]);
}

/** Raw deflate of `mib` MiB of zeros, built from independent full-flush blocks (fast; ~1 KB per MiB). */
function deflatedZeros(mib: number): Buffer {
  const block = zlib.deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  return Buffer.concat([...Array(mib).fill(block), zlib.deflateRawSync(Buffer.alloc(0))]);
}


/** Deterministic bytes (xorshift32). */
function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

// ------------------------------------------------------------------ base models, one or more per format

interface Base {
  format: 'onnx' | 'tflite' | 'safetensors' | 'gguf' | 'pytorch' | 'keras' | 'coreml';
  file: string;
  /** A real third-party file (truncation points are fewer to keep the run short). */
  real: boolean;
}

function generatedBases(): Base[] {
  const tfl = new TfliteModelBuilder();
  const sg = tfl.subgraph();
  const x = sg.input('image', [1, 16, 16, 3]);
  sg.output(sg.softmax(sg.fullyConnected(sg.mean(sg.conv2d(x, { filters: 8, kernel: [3, 3] }), [1, 2], false), 10)));
  const st = safetensorsBytes(
    { __metadata__: { format: 'pt' }, 'fc.weight': { dtype: 'F32', shape: [16, 32], data_offsets: [0, 2048] }, 'fc.bias': { dtype: 'F32', shape: [16], data_offsets: [2048, 2112] } },
    Buffer.alloc(2112, 7),
  );
  const pkl = new Pickle().proto(2).emptyDict().mark().str('fc.weight').tensor('FloatStorage', '0', 512, [16, 32]).str('fc.bias').tensor('FloatStorage', '1', 16, [16]).setitems().stop().bytes();
  return [
    { format: 'onnx', file: put('gen/tiny-cnn.onnx', fs.readFileSync(sampleModel)), real: false },
    { format: 'tflite', file: put('gen/tiny.tflite', tfl.build()), real: false },
    { format: 'safetensors', file: put('gen/fc.safetensors', st), real: false },
    { format: 'gguf', file: put('gen/fc.gguf', ggufBytes([{ name: 'fc.weight', dims: [32, 16] }, { name: 'fc.bias', dims: [16] }])), real: false },
    { format: 'pytorch', file: put('gen/fc.pt', torchZip('fc', pkl, { 0: 2048, 1: 64 }, [], 1)), real: false },
  ];
}

function realBases(): Base[] {
  if (!hasShared) return [];
  const f = (name: string) => path.join(sharedDir, 'models', 'fixtures', name);
  const list: Base[] = [
    { format: 'onnx', file: f('light_squeezenet.onnx'), real: true },
    { format: 'tflite', file: f('hello_world_int8.tflite'), real: true },
    { format: 'safetensors', file: f('silero_vad_16k.safetensors'), real: true },
    { format: 'gguf', file: f('mnist-fc-f32.gguf'), real: true },
    { format: 'pytorch', file: f('candle_test_with_key.pt'), real: true },
    { format: 'keras', file: f('str_ww_ref_model.h5'), real: true },
    { format: 'coreml', file: f('MNIST.mlmodel'), real: true },
  ];
  return list.filter((b) => fs.existsSync(b.file));
}

const bases = [...generatedBases(), ...realBases()];
const EXT: Record<Base['format'], string> = { onnx: '.onnx', tflite: '.tflite', safetensors: '.safetensors', gguf: '.gguf', pytorch: '.pt', keras: '.h5', coreml: '.mlmodel' };
const ALL_FORMATS = Object.keys(EXT) as Base['format'][];

// ------------------------------------------------------------------ the checks

/** The CLI's answer and analyzeFile's, for one file. */
interface Outcome {
  file: string;
  cli: CliRun;
  /** analyzeFile: the error it threw, or its warnings when it returned a result (not run after a CLI hang). */
  inProcess: { error?: Error; warnings?: string[]; format?: string; skipped?: boolean };
}

/** Runs the CLI on the file, then analyzeFile in process; never rejects (the checks below assert). */
async function probe(file: string): Promise<Outcome> {
  const cli = await runCli(['analyze', file, '--json'], { timeoutMs: 20_000 });
  if (cli.timedOut) return { file, cli, inProcess: { skipped: true } };
  let inProcess: Outcome['inProcess'];
  try {
    const r = await analyzeFile(file);
    inProcess = { warnings: r.warnings, format: r.model.format };
  } catch (e) {
    inProcess = { error: e as Error };
  }
  return { file, cli, inProcess };
}

/** No hang, bounded memory. */
function assertContained(o: Outcome): void {
  assert.equal(o.cli.timedOut, false, `HANG (killed after 20 s): ${describeRun(o.cli)}`);
  assertBoundedMemory(o.cli);
}

/** Exit 1 with one line naming the file (and matching `re`); analyzeFile throws a one-line ModelFileError. */
function assertRefused(o: Outcome, re?: RegExp): void {
  assertContained(o);
  const base = path.basename(o.file);
  const line = assertBadInput(o.cli, re);
  assert.ok(line.includes(base), `the message must name the file ${base}: ${line}`);
  const e = o.inProcess.error;
  assert.ok(e, `analyzeFile(${base}) returned a result for a file the CLI refused (warnings: ${JSON.stringify(o.inProcess.warnings)})`);
  assert.ok(e instanceof ModelFileError, `analyzeFile(${base}) threw ${e.constructor.name}: ${e.message}`);
  assert.ok(!e.message.includes('\n'), `analyzeFile(${base}): multi-line message`);
  assert.ok(e.message.includes(base), `analyzeFile(${base}): message must name the file: ${e.message}`);
  if (re) assert.match(e.message, re);
}

/** Exit 0 with a JSON result whose warnings include one matching `re`; analyzeFile agrees. */
function assertWarned(o: Outcome, re: RegExp): any {
  assertContained(o);
  const out = parseJsonOut(o.cli);
  assert.ok(out.warnings.some((w: string) => re.test(w)), `expected a warning matching ${re}; got ${JSON.stringify(out.warnings)}`);
  assert.ok(!o.inProcess.error, `analyzeFile threw where the CLI gave a result: ${o.inProcess.error?.message}`);
  assert.ok(o.inProcess.warnings!.some((w) => re.test(w)), `analyzeFile: no warning matching ${re}`);
  return out;
}

/** Either refused (exit 1, one line matching `re`) or analysed with a warning matching `re`. */
function assertRefusedOrWarned(o: Outcome, re: RegExp): 'refused' | 'warned' {
  if (o.cli.code === 1) {
    assertRefused(o, re);
    return 'refused';
  }
  assertWarned(o, re);
  return 'warned';
}

const REFUSAL = /truncat|past the end|end of (the )?file|beyond|out of range|incomplete|corrupt|not a recognised|cannot|missing|invalid|exceeds|outside|short/i;

// ------------------------------------------------------------------ tests

test('the hostile set covers every format (generated bases always; all seven with ../shared)', () => {
  const have = new Set(bases.map((b) => b.format));
  for (const f of ['onnx', 'tflite', 'safetensors', 'gguf', 'pytorch'] as const) assert.ok(have.has(f), `no ${f} base`);
  if (hasShared) assert.deepEqual([...have].sort(), [...ALL_FORMATS].sort());
});

// Every probe starts now (the CLI queue runs two at a time); each test awaits its own.

const plainCases = ALL_FORMATS.map((fmt, i) => {
  const ext = EXT[fmt];
  const folder = path.join(dir, `folder${ext}`);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'inside.bin'), 'x');
  return {
    ext,
    empty: probe(put(`empty${ext}`, Buffer.alloc(0))),
    random: probe(put(`random${ext}`, randomBytes(4096, 1000 + i))),
    folder: probe(folder),
  };
});

for (const c of plainCases) {
  test(`${c.ext}: a zero-byte file, random bytes and a folder each give exit 1 and one clear line`, async () => {
    assertRefused(await c.empty, /empty|0 bytes|zero/i);
    assertRefused(await c.random, /not a recognised|not a valid|corrupt|unsupported|cannot|invalid|truncated|past the end/i);
    assertRefused(await c.folder, /folder|directory|not a regular file/i);
  });
}

// A licence file: protobuf has no magic number and its spaces and letters are valid field tags, so it once read as a
// corrupted ONNX model ("ir_version (field 1) has wire type 2").
const licence = probe(put('LICENSE', Buffer.from('\n                                 Apache License\n                           Version 2.0, January 2004\n                        http://www.apache.org/licenses/\n')));
test('a text file (a licence) is refused as text, not as a corrupted model', async () => {
  assertRefused(await licence, /a text file/);
});

const truncations = bases.map((b) => {
  const bytes = fs.readFileSync(b.file);
  // Cutting a file to 16 bytes / 10 % / half must be noticed; a cut late in the file may only drop bytes
  // nothing points to (alignment padding, unreferenced data) and may then read as a valid (smaller) model.
  const cuts: [number, boolean][] = b.real ? [[16, true], [0.5, true], [0.9, false]] : [[0.1, true], [0.5, true], [0.9, false], [bytes.length - 1, false]];
  return {
    b,
    size: bytes.length,
    runs: cuts.map(([c, strict]) => {
      const at = c < 1 ? Math.floor(bytes.length * c) : c;
      return { at, strict, outcome: probe(put(`cut/${b.real ? 'real' : 'gen'}-${at}-${path.basename(b.file)}`, bytes.subarray(0, at))) };
    }),
  };
});

for (const tr of truncations) {
  test(`truncated ${tr.b.real ? 'real' : 'generated'} ${path.basename(tr.b.file)} (${tr.runs.map((r) => r.at).join(', ')} of ${tr.size} bytes): exit 1 with one line`, async (t) => {
    for (const run of tr.runs) {
      const o = await run.outcome;
      const label = `${path.basename(tr.b.file)} cut at ${run.at}/${tr.size}`;
      if (run.strict || o.cli.code !== 0) {
        try {
          assertRefused(o, REFUSAL);
        } catch (e) {
          (e as Error).message = `${label}: ${(e as Error).message}`;
          throw e;
        }
      } else {
        assertContained(o);
        const out = parseJsonOut(o.cli);
        assert.equal(out.model.bytes, run.at, label);
        assert.ok(!o.inProcess.error, `${label}: CLI gave a result but analyzeFile threw ${o.inProcess.error?.message}`);
        t.diagnostic(`${label} reads as a valid model (the cut only dropped trailing bytes)`);
      }
    }
  });
}

const renamed = bases.map((b) => {
  const wrongExt = b.format === 'onnx' ? '.tflite' : '.onnx';
  const file = put(`renamed/${b.real ? 'real' : 'gen'}-${path.basename(b.file)}${wrongExt}`, fs.readFileSync(b.file));
  return { b, wrongExt, outcome: probe(file) };
});

for (const rn of renamed) {
  test(`${rn.b.real ? 'real' : 'generated'} ${path.basename(rn.b.file)} named ${rn.wrongExt}: analysed as ${rn.b.format} with a warning naming the mismatch`, async () => {
    const o = await rn.outcome;
    assertContained(o);
    const out = parseJsonOut(o.cli);
    assert.equal(out.model.format, rn.b.format, `${path.basename(o.file)} is ${rn.b.format} whatever its name`);
    const named = new RegExp(`\\${rn.wrongExt}\\b.*${rn.b.format}|${rn.b.format}.*\\${rn.wrongExt}\\b`, 'i');
    assert.ok(out.warnings.some((w: string) => named.test(w)), `${path.basename(o.file)}: no warning naming ${rn.wrongExt} and ${rn.b.format}: ${JSON.stringify(out.warnings)}`);
    assert.equal(o.inProcess.format, rn.b.format);
    assert.ok(o.inProcess.warnings!.some((w) => named.test(w)));
  });
}

test('zip bombs (PyTorch and Keras archives, honest and lying sizes) are refused without inflating them', async () => {
  const gib = deflatedZeros(1024); // 1 GiB of zeros in about 1 MB
  const quarterGib = deflatedZeros(300);
  const files = [
    // honest central directory: data.pkl says it inflates to 1 GiB
    put('bomb/honest.pt', makeZip([{ name: 'bomb/data.pkl', data: Buffer.alloc(0), deflated: gib, declaredSize: 2 ** 30 }, { name: 'bomb/version', data: Buffer.from('3\n') }])),
    // lying directory: declares 1000 bytes, inflates to 1 GiB
    put('bomb/lying.pt', makeZip([{ name: 'bomb/data.pkl', data: Buffer.alloc(0), deflated: gib, declaredSize: 1000 }, { name: 'bomb/version', data: Buffer.from('3\n') }])),
    // Keras v3 archive whose config.json inflates to 300 MiB (declared) / claims 2000 bytes (lying)
    put('bomb/honest.keras', makeZip([{ name: 'config.json', data: Buffer.alloc(0), deflated: quarterGib, declaredSize: 300 * 2 ** 20 }, { name: 'metadata.json', data: Buffer.from('{}') }])),
    put('bomb/lying.keras', makeZip([{ name: 'config.json', data: Buffer.alloc(0), deflated: quarterGib, declaredSize: 2000 }, { name: 'metadata.json', data: Buffer.from('{}') }])),
  ];
  const outcomes = await Promise.all(files.map(probe));
  for (const o of outcomes) {
    assertRefused(o, /bomb|inflat|ratio|refused|too large|exceeds|limit|declared|corrupt|not valid|invalid|cannot/i);
    assert.ok(o.cli.ms < 15_000, `${path.basename(o.file)} took ${o.cli.ms} ms`);
  }
});

test('a PyTorch zip whose pickle calls os.system is refused (exit 1), never run', async () => {
  const marker = path.join(os.tmpdir(), `edgeplan-hostile-pwned-${process.pid}`);
  fs.rmSync(marker, { force: true });
  const evil = new Pickle().proto(2).global('os', 'system').str(`touch ${marker}`).tuple1().reduce().stop().bytes();
  const mixed = new Pickle().proto(2).emptyDict().mark().str('w').tensor('FloatStorage', '0', 4, [4]).str('x').global('os', 'system').str(`touch ${marker}`).tuple1().reduce().setitems().stop().bytes();
  const files = [put('evil/evil.pt', torchZip('evil', evil, {}, [], 1)), put('evil/mixed.pth', torchZip('mixed', mixed, { 0: 16 }, [], 1))];
  for (const o of await Promise.all(files.map(probe))) {
    assertRefusedOrWarned(o, /os\.system/);
    assert.equal(o.cli.code, 1, `a pickle naming os.system must be refused: ${o.cli.stderr}`);
    assert.match(o.cli.stderr, /nothing was executed/);
  }
  assert.equal(fs.existsSync(marker), false, 'the pickle was executed');
});

test('ONNX external data at "../../etc/passwd" is refused (the rest of the analysis may go on), the file is not read', async () => {
  const model = encodeModel({
    graph: {
      name: 'escape',
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: [1, 4] }],
      initializers: [{ name: 'w', dataType: 'FLOAT', dims: [4, 4], external: { location: '../../etc/passwd', offset: 0, length: 64 } }],
      nodes: [{ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'], name: 'mm' }],
    },
  });
  // "../../etc/passwd" from models/deep/ stays in the temp folder; the deep variant really reaches /etc/passwd
  const files = [put('models/deep/escape.onnx', model), put('models/deep/escape-root.onnx', encodeModel({
    graph: {
      name: 'escape',
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: [1, 4] }],
      initializers: [{ name: 'w', dataType: 'FLOAT', dims: [4, 4], external: { location: '../../../../../../../../../../etc/passwd', offset: 0, length: 64 } }],
      nodes: [{ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'], name: 'mm' }],
    },
  }))];
  for (const o of await Promise.all(files.map(probe))) {
    const how = assertRefusedOrWarned(o, /etc\/passwd|outside|escapes|leaves|\.\./i);
    assert.doesNotMatch(o.cli.stdout + o.cli.stderr, /root:.*:0:0:/, 'the contents of /etc/passwd leaked');
    if (how === 'warned') {
      const out = parseJsonOut(o.cli);
      assert.match(out.warnings.find((w: string) => /etc\/passwd/.test(w)) ?? '', /refused|not read|outside|leaves/i, 'the warning says the path was refused');
      assert.deepEqual(out.model.opHistogram, { MatMul: 1 }, 'the rest of the analysis still ran');
      assert.equal(out.model.macs, 16, 'MatMul [1,4]x[4,4] = 16 MACs');
    }
  }
  // and the benchmark never hands such a model to a runtime that would read the file
  const bench = await runCli(['benchmark', files[1], '--runs', '1', '--warmup', '0'], { timeoutMs: 30_000 });
  assertBadInput(bench, /escape-root\.onnx/);
  assert.doesNotMatch(bench.stdout + bench.stderr, /root:.*:0:0:/);
});

test('estimate, plan and benchmark on hostile files: exit 1, one line naming the file, bounded memory', async () => {
  const bomb = put('other-commands/bomb.pt', makeZip([{ name: 'b/data.pkl', data: Buffer.alloc(0), deflated: deflatedZeros(1024), declaredSize: 2 ** 30 }]));
  const cut = put('other-commands/cut.onnx', fs.readFileSync(sampleModel).subarray(0, 5000));
  const gguf = put('other-commands/many.gguf', ggufBytes([{ name: 'w', dims: [4] }], { tensorCount: 2n ** 60n }));
  const huge = put('other-commands/huge.onnx', encodeModel({
    graph: {
      name: 'huge',
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: null }],
      initializers: [{ name: 'w', dataType: 'FLOAT', dims: [1 << 20, 1 << 20], raw: Buffer.alloc(16) }],
      nodes: [{ opType: 'Add', inputs: ['x', 'w'], outputs: ['y'], name: 'add' }],
    },
  }));
  const cases: [string[], string][] = [
    [['estimate', bomb, '--device', 'rpi5', '--json'], 'bomb.pt'],
    [['plan', bomb, '--device', 'stm32h7', '--latency-ms', '10'], 'bomb.pt'],
    [['estimate', cut, '--device', 'rpi5,coral-usb'], 'cut.onnx'],
    [['plan', cut, '--device', 'rpi5', '--latency-ms', '10', '--json'], 'cut.onnx'],
    [['benchmark', cut, '--runs', '1'], 'cut.onnx'],
    [['estimate', gguf, '--device', 'rpi5'], 'many.gguf'],
    [['plan', huge, '--device', 'rpi5', '--memory-mb', '100'], 'huge.onnx'],
    [['benchmark', huge, '--runs', '1'], 'huge.onnx'],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli(args)));
  runs.forEach((r, i) => {
    assertBadInput(r, new RegExp(cases[i][1].replace('.', '\\.')));
    assertBoundedMemory(r);
    assert.equal(r.stdout, '', `nothing on stdout: ${describeRun(r)}`);
  });
});

test('absurd sizes: a 2^40-element ONNX tensor, a GGUF claiming 2^60 tensors, a safetensors header length past the end', async () => {
  const huge = encodeModel({
    graph: {
      name: 'huge',
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: null }],
      initializers: [{ name: 'w', dataType: 'FLOAT', dims: [1048576, 1048576], raw: Buffer.alloc(16) }],
      nodes: [{ opType: 'Add', inputs: ['x', 'w'], outputs: ['y'], name: 'add' }],
    },
  });
  const hugeDeclared = encodeModel({
    graph: {
      name: 'huge_ext',
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: null }],
      initializers: [{ name: 'w', dataType: 'FLOAT', dims: [1 << 20, 1 << 20] }],
      nodes: [{ opType: 'Add', inputs: ['x', 'w'], outputs: ['y'], name: 'add' }],
    },
  });
  const st = Buffer.from(safetensorsBytes({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, Buffer.alloc(16)));
  const stPast = Buffer.from(st);
  stPast.writeBigUInt64LE(BigInt(st.length + 4096), 0); // header runs 4 KB past the end of the file
  const stHuge = Buffer.from(st);
  stHuge.writeBigUInt64LE(2n ** 62n, 0);
  const cases: [string, Buffer, RegExp][] = [
    ['absurd/huge-tensor.onnx', huge, /2\^40|1099511627776|1\.1e\+?12|elements|absurd|too large|exceeds|size/i],
    ['absurd/huge-declared.onnx', hugeDeclared, /2\^40|1099511627776|1\.1e\+?12|elements|absurd|too large|exceeds|size/i],
    ['absurd/many-tensors.gguf', ggufBytes([{ name: 'w', dims: [4] }], { tensorCount: 2n ** 60n }), /tensor count|tensors|1152921504606846976|2\^60|absurd|exceeds|past the end/i],
    ['absurd/header-past-end.safetensors', stPast, /header|past the end|length|truncat|not a recognised/i],
    ['absurd/header-huge.safetensors', stHuge, /header|past the end|length|truncat|not a recognised/i],
  ];
  const outcomes = await Promise.all(cases.map(([name, bytes]) => probe(put(name, bytes))));
  outcomes.forEach((o, i) => assertRefused(o, cases[i][2]));
});

test('the peak-RSS probe used above reports a plausible figure for a normal analysis', async () => {
  const r = await runCli(['analyze', sampleModel, '--json']);
  assert.ok(r.maxRssBytes !== null && r.maxRssBytes > 20 * 2 ** 20 && r.maxRssBytes < 500 * 2 ** 20, `sample analysis peak RSS ${r.maxRssBytes}`);
});
