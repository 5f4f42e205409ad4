/**
 * PyTorch reader and the safe zip reader: real files against independently read facts (torch.save zip,
 * TorchScript archive), the unlabelled TorchScript file, and archives written here: torch.save state_dicts
 * built from hand-made pickles (protocol 2 and 4), a pickled nn.Module, malicious pickles naming system
 * functions (reported, never run), zip64, zip bombs and inconsistent archives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import * as zlib from 'zlib';
import { FileSource } from '../../src/analyzers/io/file-source';
import { BufferSource, ZipArchive } from '../../src/analyzers/io/zip';
import { readPytorch, pytorchReader } from '../../src/analyzers/pytorch';
import { scanPickle, PDict, PTensor, PickleError } from '../../src/analyzers/pytorch/pickle';
import { ModelFileError } from '../../src/analyzers/errors';
import { buildProfile } from '../../src/analyzers/profile';
import type { ModelGraph } from '../../src/analyzers/graph';
import { SKIP_NO_SHARED, fixture, sharedDir, unlabelled } from '../support/shared';
import { makeZip, Pickle, torchZip, type ZipIn } from '../support/torch-files';

const facts = (name: string): any => JSON.parse(fs.readFileSync(path.join(sharedDir, 'models', 'facts', `${name}.json`), 'utf8'));

function throwsModelError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

// ------------------------------------------------------------------ real files

test('torch.save fixture (candle): nested state_dict key, int64 [2,4], 64 bytes, kind and entry count match the facts', { skip: SKIP_NO_SHARED }, () => {
  const f = facts('candle_test_with_key.pt');
  const src = new FileSource(fixture('candle_test_with_key.pt'));
  let g: ModelGraph;
  try {
    g = pytorchReader.read(src, {}) as ModelGraph;
    assert.ok(src.bytesRead <= src.size);
  } finally {
    src.close();
  }
  assert.equal(g.format, 'pytorch');
  assert.equal(g.hasComputeGraph, false);
  assert.equal(g.main.tensors.size, f.tensors.length);
  for (const ft of f.tensors) {
    const t = g.main.tensors.get(ft.key)!;
    assert.ok(t, ft.key);
    assert.deepEqual(t.shape, ft.shape);
    assert.equal(`torch.${t.dtype}`, ft.dtype);
    assert.equal(t.precision, 'int64');
  }
  const x = g.metadata.extra!;
  assert.equal(x.zipEntries, f.zip_entries);
  assert.equal(x.archiveRoot, f.archive_root);
  assert.equal(x.archiveVersion, f.format_version_record);
  assert.equal(x.storageEntries, f.storage_entries);
  assert.equal(x.storageBytes, f.storage_bytes);
  assert.equal(x.parameterElements, f.param_count);
  assert.match(String(x.kind), /torch\.save/);
  assert.ok(g.warnings.some((w) => /MACs of a bare state_dict cannot be known/.test(w)));
  const { profile } = buildProfile(g, {});
  assert.equal(profile.params, f.param_count);
  assert.equal(profile.weightBytes, f.param_bytes);
});

test('TorchScript fixture (silero_vad.jit): parameters, buffers, storages, module tree and forward schema match the facts', { skip: SKIP_NO_SHARED }, () => {
  const f = facts('silero_vad.jit');
  const src = new FileSource(fixture('silero_vad.jit'));
  let g: ModelGraph;
  try {
    g = readPytorch(src);
    // weights (data/N) are never read: far less than the storage bytes were read from disk
    assert.ok(src.bytesRead < f.storage_bytes / 2, `read ${src.bytesRead} bytes`);
  } finally {
    src.close();
  }
  const x = g.metadata.extra!;
  assert.equal(x.kind, 'TorchScript');
  assert.equal(x.archiveRoot, f.archive_root);
  assert.equal(x.zipEntries, f.zip_entries);
  assert.equal(x.storageEntries, f.storage_entries);
  assert.equal(x.storageBytes, f.storage_bytes);
  assert.equal(x.parameterTensors, f.param_tensors);
  assert.equal(x.parameterElements, f.param_count);
  assert.equal(x.bufferTensors, f.buffer_tensors);
  assert.equal(x.bufferElements, f.buffer_count);
  assert.equal(x.topModuleType, f.top_module_type);
  assert.equal(x.submodules, f.submodules);
  assert.equal(`forward(${String(x.forwardSignature).replace(/^forward\(/, '')}`, x.forwardSignature);
  assert.match(f.forward_schema, /Tensor x, int sr\) -> Tensor/);
  assert.equal(x.forwardSignature, 'forward(x: Tensor, sr: int) -> Tensor');
  // every parameter is float32; the sum of stored tensor bytes equals the storage bytes (each storage used once)
  let bytes = 0;
  for (const t of g.main.tensors.values()) {
    assert.equal(t.dtype, 'float32');
    bytes += t.storedBytes ?? 0;
  }
  assert.equal(bytes, f.storage_bytes);
  assert.equal(f.param_dtypes['torch.float32'], f.param_tensors);
  const lstm = g.main.tensors.get('_model.decoder.rnn.weight_ih')!;
  assert.deepEqual(lstm.shape, [512, 128]);
  assert.ok(g.declaredLayers && g.declaredLayers.some((l) => l.op === 'LSTMCell' && l.params === 4 * 128 * 128 * 2 + 2 * 512));
  assert.ok(g.warnings.some((w) => /never executed/.test(w)));
});

test('TorchScript unlabelled (silero_number_detector_2021.jit): parses with sane totals', { skip: SKIP_NO_SHARED }, () => {
  const file = unlabelled('silero_number_detector_2021.jit');
  const src = new FileSource(file);
  try {
    const g = readPytorch(src);
    const x = g.metadata.extra!;
    assert.equal(x.kind, 'TorchScript');
    assert.ok(Number(x.parameterElements) > 10_000);
    let bytes = 0;
    for (const t of g.main.tensors.values()) bytes += t.storedBytes ?? 0;
    assert.ok(bytes > 0 && bytes <= fs.statSync(file).size);
    assert.ok((g.declaredLayers?.length ?? 0) > 10);
  } finally {
    src.close();
  }
});

// ------------------------------------------------------------------ archives written here

test('torch.save state_dict written here: fp16/bf16/int8 tensors, a parameter, a view with offset, tied weights, dataOffset', () => {
  const p = new Pickle().proto(2).emptyDict().put(0).mark();
  p.str('enc.weight').parameter((q) => q.tensor('HalfStorage', '0', 24, [4, 6]));
  p.str('enc.bias').tensor('BFloat16Storage', '1', 4, [4]);
  p.str('q.weight').tensor('CharStorage', '2', 64, [8, 8]);
  p.str('view').tensor('FloatStorage', '3', 10, [2, 3], 4, [3, 1]);
  p.str('step').tensor('LongStorage', '4', 1, []);
  p.setitems();
  // tied weight: the same memoised tensor object under another key
  const pk = new Pickle().proto(2).emptyDict().put(0).mark().str('a').tensor('FloatStorage', '0', 6, [2, 3]).put(1).str('b').get(1).setitems().stop().bytes();
  const buf = torchZip('archive', p.stop().bytes(), { 0: 48, 1: 8, 2: 64, 3: 40, 4: 8 });
  const g = readPytorch(new BufferSource('sd.pt', buf));
  const t = (n: string) => g.main.tensors.get(n)!;
  assert.equal(g.main.tensors.size, 5);
  assert.equal(t('enc.weight').dtype, 'float16');
  assert.equal(t('enc.weight').precision, 'fp16');
  assert.deepEqual(t('enc.weight').shape, [4, 6]);
  assert.equal(t('enc.weight').storedBytes, 48);
  assert.equal(t('enc.bias').precision, 'bf16');
  assert.equal(t('q.weight').precision, 'int8');
  assert.equal(t('view').elements, 6);
  assert.deepEqual(t('step').shape, []);
  assert.equal(t('step').elements, 1);
  // dataOffset points at the stored entry's bytes (+ storage offset)
  const zip = ZipArchive.open(new BufferSource('sd.pt', buf));
  assert.equal(t('view').dataOffset, zip.dataOffset(zip.get('archive/data/3')!) + 16);
  assert.equal(g.metadata.extra!.parameterElements, 24 + 4 + 64 + 6 + 1);
  // tied weights counted once
  const g2 = readPytorch(new BufferSource('tied.pt', torchZip('t', pk, { 0: 24 })));
  assert.equal(g2.main.tensors.size, 1);
  assert.ok(g2.warnings.some((w) => /counted once/.test(w)));
});

test('pickled nn.Module written here (protocol 4, STACK_GLOBAL, FRAME, MEMOIZE): parameters vs buffers, module tree', () => {
  const p = new Pickle().proto(4).frame(0);
  p.stackGlobal('torch.nn.modules.container', 'Sequential').memoize().emptyTuple().newobj().memoize().emptyDict().memoize().mark();
  p.str('training').bool(true);
  p.str('_parameters').global('collections', 'OrderedDict').emptyTuple().reduce();
  p.str('_buffers').global('collections', 'OrderedDict').emptyTuple().reduce();
  p.str('_modules').global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  // child "0": Linear(3 -> 2)
  p.str('0').stackGlobal('torch.nn.modules.linear', 'Linear').emptyTuple().newobj().emptyDict().mark();
  p.str('_parameters').global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  p.str('weight').parameter((q) => q.tensor('FloatStorage', '0', 6, [2, 3]));
  p.str('bias').parameter((q) => q.tensor('FloatStorage', '1', 2, [2]));
  p.setitems();
  p.str('_buffers').global('collections', 'OrderedDict').emptyTuple().reduce();
  p.str('_modules').global('collections', 'OrderedDict').emptyTuple().reduce();
  p.setitems().build();
  // child "1": BatchNorm1d(2) with running stats as buffers
  p.str('1').stackGlobal('torch.nn.modules.batchnorm', 'BatchNorm1d').emptyTuple().newobj().emptyDict().mark();
  p.str('_parameters').global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  p.str('weight').parameter((q) => q.tensor('FloatStorage', '2', 2, [2]));
  p.setitems();
  p.str('_buffers').global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  p.str('running_mean').tensor('FloatStorage', '3', 2, [2]);
  p.str('num_batches_tracked').tensor('LongStorage', '4', 1, []);
  p.setitems();
  p.str('_modules').global('collections', 'OrderedDict').emptyTuple().reduce();
  p.setitems().build();
  p.setitems(); // into _modules
  p.setitems().build().stop();
  const g = readPytorch(new BufferSource('model.pt', torchZip('model', p.bytes(), { 0: 24, 1: 8, 2: 8, 3: 8, 4: 8 })));
  const x = g.metadata.extra!;
  assert.match(String(x.kind), /pickled nn\.Module/);
  assert.equal(x.parameterTensors, 3);
  assert.equal(x.parameterElements, 10);
  assert.equal(x.bufferTensors, 2);
  assert.equal(x.bufferElements, 3);
  assert.ok(g.main.tensors.has('0.weight'));
  assert.ok(g.main.tensors.has('1.running_mean'));
  assert.deepEqual(
    g.declaredLayers!.map((l) => [l.name, l.op, l.params]),
    [['0', 'Linear', 8], ['1', 'BatchNorm1d', 5]],
  );
});

test('malicious pickles naming os.system / builtins.eval / subprocess are refused, never run', () => {
  const marker = path.join(os.tmpdir(), `edgeplan-pwned-${process.pid}`);
  fs.rmSync(marker, { force: true });
  // 1) the classic: os.system("touch marker") as the whole pickle
  const evil = new Pickle().proto(2).global('os', 'system').str(`touch ${marker}`).tuple1().reduce().stop().bytes();
  throwsModelError(() => readPytorch(new BufferSource('evil.pt', torchZip('evil', evil, {}))), /refused: the pickle names os\.system.*nothing was executed/);
  // 2) hidden inside a real state_dict, via STACK_GLOBAL (protocol 4): builtins.eval and subprocess.Popen
  const p = new Pickle().proto(4).emptyDict().mark();
  p.str('w').tensor('FloatStorage', '0', 4, [4]);
  p.str('x').stackGlobal('builtins', 'eval').str(`__import__('os').system('touch ${marker}')`).tuple1().reduce();
  p.str('y').stackGlobal('subprocess', 'Popen').mark().str('touch').str(marker).tuple().tuple1().reduce();
  p.setitems().stop();
  throwsModelError(() => readPytorch(new BufferSource('evil2.pt', torchZip('evil2', p.bytes(), { 0: 16 }))), /builtins\.eval, subprocess\.Popen/);
  assert.equal(fs.existsSync(marker), false, 'nothing was executed');
  // 3) the scanner itself: a global outside the known set is listed as unknown, not dangerous
  const r = scanPickle(new Pickle().proto(2).global('mypackage.models', 'Net').emptyTuple().reduce().stop().bytes());
  assert.deepEqual(r.dangerous, []);
  assert.deepEqual(r.unknown, ['mypackage.models.Net']);
});

test('pickle scanner: malformed pickles raise PickleError (wrapped as ModelFileError by the reader)', () => {
  assert.throws(() => scanPickle(Buffer.from([0x80, 0x02, 0x7d])), PickleError); // no STOP
  assert.throws(() => scanPickle(Buffer.from([0x80, 0x02, 0x68, 0x05, 0x2e])), /memo slot 5/);
  assert.throws(() => scanPickle(Buffer.from([0x80, 0x02, 0x30, 0x2e])), /empty stack/);
  assert.throws(() => scanPickle(Buffer.from([0x80, 0x02, 0xff, 0x2e])), /unknown opcode 0xff/);
  assert.throws(() => scanPickle(Buffer.from([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f])), /truncated/);
  const v = scanPickle(new Pickle().proto(2).emptyDict().str('k').int(70000).setitem().stop().bytes()).value;
  assert.ok(v instanceof PDict);
  assert.equal(v.get('k'), 70000);
  const bad = torchZip('b', Buffer.from([0x80, 0x02, 0x7d]), {});
  throwsModelError(() => readPytorch(new BufferSource('b.pt', bad)), /data\.pkl: pickle ends without STOP/);
  const t = scanPickle(new Pickle().proto(2).tensor('FloatStorage', '0', 6, [2, 3]).stop().bytes(), () => null).value;
  assert.ok(!(t instanceof PTensor), 'without a storage the rebuild call stays an inert object');
});

test('zip64 archive, zip bombs and inconsistent archives', () => {
  // zip64 records are followed
  const pkl = new Pickle().proto(2).emptyDict().str('w').tensor('FloatStorage', '0', 3, [3]).setitem().stop().bytes();
  const z64 = makeZip(
    [
      { name: 'r/data.pkl', data: pkl },
      { name: 'r/data/0', data: Buffer.alloc(12) },
    ],
    { zip64: true },
  );
  const g = readPytorch(new BufferSource('z64.pt', z64));
  assert.deepEqual(g.main.tensors.get('w')!.shape, [3]);
  // declared inflated size beyond the limit
  throwsModelError(
    () => readPytorch(new BufferSource('bomb.pt', makeZip([{ name: 'r/data.pkl', data: Buffer.alloc(1000), deflate: true, declaredSize: 1_000_000_000 }]))),
    /would inflate to 1000000000 bytes .*refused/,
  );
  // implausible ratio claimed in the directory
  throwsModelError(
    () => readPytorch(new BufferSource('bomb.pt', makeZip([{ name: 'r/data.pkl', data: Buffer.alloc(100), deflate: true, declaredSize: 100_000_000 }]))),
    /compression ratio|zip bomb/,
  );
  // a stream that inflates to far more than declared stops at the declared size
  const big = Buffer.alloc(20 * 1024 * 1024);
  throwsModelError(
    () => readPytorch(new BufferSource('bomb.pt', makeZip([{ name: 'r/data.pkl', data: big, deflate: true, declaredSize: 1000 }]))),
    /inflates to more than its declared 1000 bytes/,
  );
  // a storage missing from the archive, a tensor larger than its storage
  throwsModelError(() => readPytorch(new BufferSource('m.pt', torchZip('m', pkl, {}))), /storage data\/0 used by tensor "w" is missing/);
  throwsModelError(() => readPytorch(new BufferSource('m.pt', torchZip('m', pkl, { 0: 8 }))), /needs 12 bytes but its storage data\/0 holds 8/);
  // not a zip / truncated zip / no data.pkl
  throwsModelError(() => readPytorch(new BufferSource('x.pt', Buffer.from('hello world, this is not a zip archive'))), /end-of-central-directory/);
  const ok = torchZip('m', pkl, { 0: 12 });
  throwsModelError(() => readPytorch(new BufferSource('t.pt', ok.subarray(0, ok.length - 30))), /zip|truncated/);
  throwsModelError(() => readPytorch(new BufferSource('n.pt', makeZip([{ name: 'readme.txt', data: Buffer.from('hi') }]))), /without data\.pkl/);
  // absurd tensor size in the pickle
  const huge = new Pickle().proto(2).emptyDict().str('w').tensor('FloatStorage', '0', 3, [100000, 100000, 100000]).setitem().stop().bytes();
  throwsModelError(() => readPytorch(new BufferSource('h.pt', torchZip('h', huge, { 0: 12 }))), /absurd size/);
});
