/**
 * Core ML graphs from files written here (test/support/coreml-writer.ts, coremltools' field numbers) with
 * MACs, shapes and weight bytes worked out by hand: a neuralNetwork CNN (explicit / same padding, strides,
 * transposed conv, concat, padding, up-sampling, global pooling, fp16 and 4-bit palettized weights), a loop
 * with a fixed trip count, a custom layer (lower bound); an mlProgram package with palettized and linearly
 * quantised constexpr weights, blob constants and a while_loop with a constant trip count; a flexible input
 * bound by --bind; and hostile packages (paths and symlinks leaving the package, blob offsets and sizes past
 * the end, wrong sentinels and types, absurd counts, names past the bound): one line, exit 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile, ModelFileError } from '../../src/analyzers';
import { readCoreml } from '../../src/analyzers/coreml';
import { BufferSource } from '../../src/analyzers/io/byte-source';
import { tempDir } from '../support/shared';
import { runCli, assertBadInput, parseJsonOut, assertOk } from '../support/run-cli';
import { ProtoWriter as Enc } from '../../src/analyzers/io/proto-writer';
import {
  BlobWriter, MODEL, blobValue, description, immediate, layer, milConst, model, network, nn, program, writeMlpackage,
  type MilOp, type Layer,
} from '../support/coreml-writer';

const dir = tempDir('coreml-graph');
const nnFile = (name: string, layers: Layer[], inputs = [{ name: 'x', array: [3, 20, 20] }], outputs = [{ name: 'y', array: [10] }]): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, model(4, description(inputs, outputs), MODEL.neuralNetwork, network(layers)).toBuffer());
  return file;
};

test('neuralNetwork CNN: padding, strides, transposed conv, concat, up-sampling, pooling — 128,160 MACs, fp16 and 4-bit palettized weights', async () => {
  const file = nnFile('cnn.mlmodel', [
    nn.conv('c1', 'x', 'c1o', { out: 8, in: 3, k: [3, 3], pad: [1, 1, 1, 1] }),
    nn.batchnorm('bn', 'c1o', 'bno', 8),
    nn.activation('relu', 'bno', 'r1'),
    nn.pool('pool', 'r1', 'p1', { type: 'max', k: [2, 2] }),
    nn.conv('c2', 'p1', 'c2o', { out: 16, in: 8, k: [3, 3], stride: [2, 2], pad: 'same', weights: { f16: 16 * 8 * 9 } }),
    nn.conv('up', 'c2o', 'upo', { out: 8, in: 16, k: [2, 2], stride: [2, 2], deconv: true }),
    nn.concat('cat', ['p1', 'upo'], 'cat'),
    nn.padding('pad', 'cat', 'pado', [1, 1, 1, 1]),
    nn.upsample('us', 'pado', 'uso', [2, 2]),
    nn.pool('gap', 'uso', 'g', { type: 'avg', global: true }),
    nn.add('sum', ['g', 'g'], 'g2'),
    nn.flatten('flat', 'g2', 'f'),
    nn.innerProduct('fc', 'f', 'logits', 16, 10, { bits: 4, count: 160, lut: true }),
    nn.softmax('prob', 'logits', 'y'),
  ]);
  const { model: m, warnings } = await analyzeFile(file);
  assert.equal(m.macs, 20 * 20 * 8 * 27 + 5 * 5 * 16 * 72 + 5 * 5 * 16 * 8 * 4 + 160, warnings.join(' | '));
  const shapes = Object.fromEntries(m.layers.map((l) => [l.name, l.outputShapes[0]]));
  assert.deepEqual(shapes.c1, [1, 8, 20, 20]);
  assert.deepEqual(shapes.pool, [1, 8, 10, 10]);
  assert.deepEqual(shapes.c2, [1, 16, 5, 5]);
  assert.deepEqual(shapes.up, [1, 8, 10, 10]);
  assert.deepEqual(shapes.cat, [1, 16, 10, 10]);
  assert.deepEqual(shapes.pad, [1, 16, 12, 12]);
  assert.deepEqual(shapes.us, [1, 16, 24, 24]);
  assert.deepEqual(shapes.gap, [1, 16, 1, 1]);
  assert.deepEqual(shapes.fc, [1, 10, 1, 1]);
  assert.equal(m.layers.find((l) => l.name === 'up')!.opClass, 'conv-transpose');
  assert.equal(m.layers.find((l) => l.name === 'bn')!.flops, 2 * 8 * 400);
  // weights by dtype: fp16 conv, 4-bit palette indices + a 16-entry float32 lookup table
  assert.equal(m.weightDtypes.float16, 16 * 8 * 9 * 2);
  assert.equal(m.weightDtypes['palettized uint4'], 80 + 16 * 4);
  assert.equal(m.params, 216 + 8 + 4 * 8 + 1152 + 16 + 512 + 8 + 160 + 10);
  assert.ok(m.peakActivationBytes! >= (16 * 24 * 24 + 16 * 12 * 12) * 4, `peak ${m.peakActivationBytes}`);
});

test('neuralNetwork LSTM: recurrent flops, no MACs; a loop with a fixed count costs its body that many times', async () => {
  const file = nnFile('loop.mlmodel', [
    nn.lstm('lstm', 'x', 'h', 12, 8),
    nn.innerProduct('fc', 'h', 'v', 8, 16),
    nn.loop('repeat', 5, [nn.innerProduct('body_fc', 'v', 'w', 16, 16)]),
    nn.activation('out', 'w', 'y', 'sigmoid'),
  ], [{ name: 'x', array: [12] }], [{ name: 'y', array: [16] }]);
  const { model: m, warnings } = await analyzeFile(file);
  assert.equal(m.macs, 8 * 16 + 5 * 16 * 16, warnings.join(' | '));
  // One step of 4 gates of 8 units over 12 inputs + 8 recurrent: 4·8·(12 + 8)·2 multiply-adds as flops, plus 4·8·4
  // for the gate nonlinearities and the cell update.
  assert.equal(m.layers.find((l) => l.name === 'lstm')!.flops, 4 * 8 * 20 * 2 + 4 * 8 * 4);
  assert.equal(m.layers.find((l) => l.name === 'repeat')!.opClass, 'matmul', 'the loop is costed as its body');
  assert.deepEqual(m.subgraphCosts.map((s) => [s.owner, s.macs, s.runs]), [['repeat.body', 256, 5]], 'the body is costed once, and says it runs 5 times');
});

test('a layer that names no type: read as "unknown", not costed, MACs and FLOPs lower bounds naming it; the rest is read', async () => {
  const file = nnFile('untyped.mlmodel', [nn.flatten('flat', 'x', 'f'), nn.untyped('ghost', 'f', 'g'), nn.innerProduct('fc', 'f', 'y', 1200, 10)], undefined, [{ name: 'y', array: [10] }]);
  const { model: m, warnings } = await analyzeFile(file);
  const ghost = m.layers.find((l) => l.name === 'ghost');
  assert.ok(ghost, m.layers.map((l) => l.name).join(', '));
  assert.equal(ghost.op, 'unknown');
  assert.equal(ghost.macs, 0);
  assert.equal(ghost.params, 0);
  assert.equal(m.macs, 12_000, 'the fully-connected layer is still costed');
  assert.equal(m.opHistogram.unknown, 1);
  assert.equal(m.macsLowerBoundReason, 'Core ML layer "ghost" names no layer type; its arithmetic is not counted');
  assert.ok(warnings.some((w) => /MACs and FLOPs are lower bounds: Core ML layer "ghost" names no layer type/.test(w)), warnings.join(' | '));
});

test('a custom layer makes MACs a lower bound, naming the layer', async () => {
  const file = nnFile('custom.mlmodel', [nn.flatten('flat', 'x', 'f'), nn.innerProduct('fc', 'f', 'y', 1200, 10), nn.custom('magic', 'f', 'z', 'MyMagicLayer')], undefined, [{ name: 'y', array: [10] }]);
  const { model: m } = await analyzeFile(file);
  assert.equal(m.macs, 12_000);
  assert.match(m.macsLowerBoundReason!, /custom layer "magic" \(MyMagicLayer\)/);
});

// ------------------------------------------------------------------ mlProgram packages

/** A program: palettized (4-bit LUT) and int8 affine weights, and a while_loop run 3 times. */
function programPackage(name: string, mutate: { blobs?: (b: BlobWriter) => void; storage?: { version?: number; count?: number }; ops?: (ops: MilOp[], b: BlobWriter) => void } = {}): string {
  const b = new BlobWriter();
  const idx = b.add('UINT8', 32 * 64 / 2);
  const lut = b.add('FLOAT16', 16 * 2);
  const q = b.add('INT8', 16 * 32);
  const w3 = b.add('FLOAT32', 16 * 16 * 4);
  mutate.blobs?.(b);
  const t = (n: string, shape: (number | '?')[], dtype: 'FLOAT32' | 'FLOAT16' | 'INT32' = 'FLOAT32') => [{ name: n, dtype, shape }];
  const ops: MilOp[] = [
    {
      type: 'constexpr_lut_to_dense',
      outputs: t('w1', [32, 64], 'FLOAT16'),
      attributes: { indices: blobValue('UINT8', [1024], idx), lut: blobValue('FLOAT16', [16], lut), shape: immediate({ ints: [32, 64] }) },
    },
    {
      type: 'constexpr_affine_dequantize',
      outputs: t('w2', [16, 32]),
      attributes: { quantized_data: blobValue('INT8', [16, 32], q), zero_point: immediate({ ints: [0] }), scale: immediate({ floats: [0.05] }), axis: immediate({ ints: [0] }) },
    },
    milConst('w3', 'FLOAT32', [16, 16], blobValue('FLOAT32', [16, 16], w3)),
    { type: 'cast', inputs: { x: 'x', dtype: immediate({ strings: ['fp16'] }) }, outputs: t('x16', ['?', 64], 'FLOAT16') },
    { type: 'linear', inputs: { x: 'x16', weight: 'w1' }, outputs: t('h1', ['?', 32], 'FLOAT16') },
    { type: 'cast', inputs: { x: 'h1', dtype: immediate({ strings: ['fp32'] }) }, outputs: t('h1f', ['?', 32]) },
    { type: 'linear', inputs: { x: 'h1f', weight: 'w2' }, outputs: t('h2', ['?', 16]) },
    milConst('zero', 'INT32', [], immediate({ ints: [0] })),
    milConst('three', 'INT32', [], immediate({ ints: [3] })),
    {
      type: 'while_loop',
      inputs: { loop_vars: ['zero', 'h2'] },
      outputs: [...t('i_out', [], 'INT32'), ...t('y', ['?', 16])],
      blocks: [
        { inputs: [...t('i_c', [], 'INT32'), ...t('h_c', ['?', 16])], outputs: ['go'], ops: [{ type: 'less', inputs: { x: 'i_c', y: 'three' }, outputs: [{ name: 'go', dtype: 'BOOL' as const, shape: [] }] }] },
        {
          inputs: [...t('i_b', [], 'INT32'), ...t('h_b', ['?', 16])],
          outputs: ['i_next', 'h_next'],
          ops: [
            milConst('one', 'INT32', [], immediate({ ints: [1] })),
            { type: 'add', inputs: { x: 'i_b', y: 'one' }, outputs: t('i_next', [], 'INT32') },
            { type: 'matmul', inputs: { x: 'h_b', y: 'w3', transpose_x: immediate({ bools: [false] }), transpose_y: immediate({ bools: [false] }) }, outputs: t('h_next', ['?', 16]) },
          ],
        },
      ],
    },
  ];
  mutate.ops?.(ops, b);
  const prog = program([{ name: 'x', dtype: 'FLOAT32', shape: ['?', 64] }], { outputs: ['y'], ops }, 'CoreML6');
  const spec = model(7, description([{ name: 'x', array: [1, 64], ranges: [[1, 8], [64, 64]] }], [{ name: 'y', array: [1, 16] }]), MODEL.mlProgram, prog);
  return writeMlpackage(path.join(dir, name), spec.toBuffer(), b.toBuffer(mutate.storage));
}

test('mlProgram package: palettized and int8 weights by blob, a while_loop run 3 times — 3,328 MACs', async () => {
  const pkg = programPackage('prog.mlpackage');
  const { model: m, warnings } = await analyzeFile(pkg);
  assert.equal(m.macs, 32 * 64 + 16 * 32 + 3 * 16 * 16, warnings.join(' | '));
  // palette: 1024 index bytes + 16 fp16 entries + the shape constant; int8: 512 bytes + zero point, scale, axis
  assert.equal(m.weightDtypes['palettized uint4'], 1024 + 32 + 8, JSON.stringify(m.weightDtypes));
  assert.equal(m.weightDtypes['linear-quantized int8'], 512 + 4 + 4 + 4);
  assert.equal(m.weightDtypes.FLOAT32, 16 * 16 * 4);
  assert.equal(m.quantization.weightPrecisions.uint4, 1064);
  const loop = m.layers.find((l) => l.op === 'while_loop')!;
  assert.equal(loop.macs, 768);
  assert.equal(loop.params, 256 + 2, 'the loop reads the weight its body uses, and its counter start and bound');
  assert.ok(m.peakActivationBytes! > 0);
  assert.deepEqual({ ...m.dynamicShapes.bindings }, { 'x.dim0': 1 });
  const bound = await analyzeFile(pkg, { bindings: { 'x.dim0': 4 } });
  assert.equal(bound.model.macs, 4 * m.macs!);
});

test('edgeplan analyze X.mlpackage --json: the package, its size and its figures', async () => {
  const pkg = path.join(dir, 'prog.mlpackage');
  if (!fs.existsSync(pkg)) programPackage('prog.mlpackage');
  const run = await runCli(['analyze', pkg, '--json']);
  assertOk(run);
  const out = parseJsonOut(run);
  assert.equal(out.model.format, 'coreml');
  assert.equal(out.model.macs, 3328);
  assert.equal(out.model.metadata.container, '.mlpackage');
  const text = await runCli(['analyze', pkg]);
  assertOk(text);
  assert.match(text.stdout, /prog\.mlpackage — COREML/);
});

test('an mlProgram whose weights file is missing: weights from the declared types, with a warning', async () => {
  const pkg = programPackage('noweights.mlpackage');
  fs.rmSync(path.join(pkg, 'Data', 'com.apple.CoreML', 'weights'), { recursive: true });
  const { model: m, warnings } = await analyzeFile(pkg);
  assert.equal(m.macs, 3328);
  assert.ok(warnings.some((w) => /weight\.bin.*not available.*declared types/.test(w)), warnings.join(' | '));
  assert.equal(m.weightDtypes.FLOAT32, 16 * 16 * 4);
});

// ------------------------------------------------------------------ hostile packages

async function refused(p: string, re: RegExp): Promise<void> {
  await assert.rejects(analyzeFile(p), (e: unknown) => {
    assert.ok(e instanceof ModelFileError, String(e));
    assert.ok(!e.message.includes('\n'), e.message);
    assert.ok(e.message.includes(path.basename(p)), e.message);
    assert.match(e.message, re);
    return true;
  });
  const run = await runCli(['analyze', p]);
  const line = assertBadInput(run, re);
  assert.ok(line.includes(path.basename(p)), line);
}

const outside = tempDir('coreml-outside');

test('a Manifest.json item path that leaves the package is refused', async () => {
  const pkg = programPackage('escape-path.mlpackage');
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'Manifest.json'), 'utf8'));
  for (const e of Object.values<any>(manifest.itemInfoEntries)) if (e.name === 'weights') e.path = '../../../../etc';
  fs.writeFileSync(path.join(pkg, 'Manifest.json'), JSON.stringify(manifest));
  await refused(pkg, /leaves the package: refused/);
});

test('a hostile Manifest.json (deep nesting, huge, wrong types, a key twice) gets one error line naming the package, never a crash', async () => {
  const SPEC = 'A1B2C3D4-0000-0000-0000-000000000002';
  const withManifest = (name: string, text: string): string => {
    const pkg = programPackage(name);
    fs.writeFileSync(path.join(pkg, 'Manifest.json'), text);
    return pkg;
  };
  const manifest = (over: Record<string, unknown>): string => JSON.stringify({ fileFormatVersion: '1.0.0', itemInfoEntries: { [SPEC]: { name: 'model.mlmodel', path: 'com.apple.CoreML/model.mlmodel' } }, rootModelIdentifier: SPEC, ...over });
  // 200,000 nested arrays inside an otherwise valid manifest (under the 1 MiB cap): refused before parsing.
  const deep = manifest({ extra: 'DEEP' }).replace('"DEEP"', '['.repeat(200_000) + ']'.repeat(200_000));
  await refused(withManifest('deep.mlpackage', deep), /Manifest\.json: the JSON nests deeper than 1000 levels: hostile, refused/);
  await refused(withManifest('huge.mlpackage', manifest({ pad: ' '.repeat(2 * 1024 * 1024) })), /Manifest\.json is \d+ bytes, more than a package manifest can be/);
  await refused(withManifest('array.mlpackage', '[1, 2]'), /Manifest\.json: not a JSON object/);
  await refused(withManifest('entries.mlpackage', manifest({ itemInfoEntries: [SPEC] })), /Manifest\.json: itemInfoEntries is not an object/);
  await refused(withManifest('rootpath.mlpackage', manifest({ itemInfoEntries: { [SPEC]: { name: 'model.mlmodel', path: 42 } } })), /Manifest\.json: the root model item "A1B2C3D4-0000-0000-0000-000000000002" has no path \(a string\)/);
  await refused(withManifest('rootid.mlpackage', manifest({ rootModelIdentifier: 7 })), /Manifest\.json names no rootModelIdentifier/);
  await refused(withManifest('twice.mlpackage', manifest({}).replace(/}$/, ',"rootModelIdentifier":"other"}')), /Manifest\.json: the key "rootModelIdentifier" appears more than once in the top-level object: corrupted/);
  // "__proto__" as an item id is plain data: the package reads as any other.
  const proto = withManifest('proto.mlpackage', manifest({ itemInfoEntries: { ['__proto__']: { name: 'model.mlmodel', path: 'com.apple.CoreML/model.mlmodel' }, w: { name: 'weights', path: 'com.apple.CoreML/weights' } }, rootModelIdentifier: '__proto__' }));
  assert.equal((await analyzeFile(proto)).model.macs, 3328);
});

test('a weights folder that is a symlink out of the package is refused', async () => {
  const pkg = programPackage('escape-link.mlpackage');
  const weights = path.join(pkg, 'Data', 'com.apple.CoreML', 'weights');
  fs.renameSync(weights, path.join(outside, 'weights'));
  fs.symlinkSync(path.join(outside, 'weights'), weights);
  await refused(pkg, /outside the package: refused/);
});

test('a specification that is a symlink out of the package is refused', async () => {
  const pkg = programPackage('escape-spec.mlpackage');
  const spec = path.join(pkg, 'Data', 'com.apple.CoreML', 'model.mlmodel');
  fs.copyFileSync(spec, path.join(outside, 'model.mlmodel'));
  fs.rmSync(spec);
  fs.symlinkSync(path.join(outside, 'model.mlmodel'), spec);
  await refused(pkg, /outside the package: refused/);
});

test('blob offsets and sizes past the end, wrong sentinels and types are refused', async () => {
  await refused(programPackage('offset.mlpackage', { ops: (ops) => ops.push(milConst('far', 'FLOAT32', [4], blobValue('FLOAT32', [4], 10_000_000))) }), /blob offset 10000000, outside the weights file/);
  await refused(programPackage('size.mlpackage', { ops: (ops, b) => ops.push(milConst('huge', 'FLOAT32', [4], blobValue('FLOAT32', [4], b.add('FLOAT32', 16, { declaredSize: 2 ** 40 })))) }), /declares 1099511627776 bytes .* outside the weights file/);
  await refused(programPackage('sentinel.mlpackage', { ops: (ops, b) => ops.push(milConst('bad', 'FLOAT32', [4], blobValue('FLOAT32', [4], b.add('FLOAT32', 16, { sentinel: 0x12345678 })))) }), /no blob at offset \d+ \(metadata sentinel 0x12345678/);
  await refused(programPackage('dtype.mlpackage', { ops: (ops, b) => ops.push(milConst('mixed', 'FLOAT32', [8], blobValue('FLOAT32', [8], b.add('FLOAT16', 16)))) }), /declared FLOAT32 but its blob at offset \d+ holds FLOAT16/);
  await refused(programPackage('count.mlpackage', { ops: (ops, b) => ops.push(milConst('short', 'FLOAT32', [100], blobValue('FLOAT32', [100], b.add('FLOAT32', 16)))) }), /declares 100 elements but its blob at offset \d+ holds 4/);
  await refused(programPackage('header.mlpackage', { storage: { count: 2 ** 31 } }), /claims 2147483648 blobs/);
  await refused(programPackage('version.mlpackage', { storage: { version: 7 } }), /blob storage version 7/);
});

test('a damaged Manifest.json or a missing root model is refused', async () => {
  const pkg = programPackage('manifest.mlpackage');
  fs.writeFileSync(path.join(pkg, 'Manifest.json'), '{ "itemInfoEntries": ');
  await refused(pkg, /Manifest\.json: not valid JSON/);
  const pkg2 = programPackage('rootless.mlpackage');
  const m = JSON.parse(fs.readFileSync(path.join(pkg2, 'Manifest.json'), 'utf8'));
  m.rootModelIdentifier = 'NOPE';
  fs.writeFileSync(path.join(pkg2, 'Manifest.json'), JSON.stringify(m));
  await refused(pkg2, /root model NOPE is not among its items/);
});

test('2^40-element shapes are refused: an input, a layer output, a MIL constant', async () => {
  await refused(nnFile('big-input.mlmodel', [nn.activation('r', 'x', 'y')], [{ name: 'x', array: [1024, 1024, 1024, 1024] }]), /declares 1099511627776 elements .*: absurd/);
  const up = [nn.upsample('u1', 'x', 'a', [2 ** 15, 2 ** 15]), nn.upsample('u2', 'a', 'y', [2 ** 5, 2 ** 5])];
  await refused(nnFile('big-upsample.mlmodel', up, [{ name: 'x', array: [3, 8, 8] }]), /would output .* elements .*: absurd/);
  await refused(programPackage('big-const.mlpackage', { ops: (ops) => ops.push(milConst('huge', 'FLOAT32', [2 ** 20, 2 ** 20], blobValue('FLOAT32', [2 ** 20, 2 ** 20], 64))) }), /declares 1099511627776 elements: absurd/);
});

test('absurd repeated counts in a layer are refused', async () => {
  const conv = nn.conv('c', 'x', 'y', { out: 1, in: 3, k: [3, 3] });
  conv.params.packedVarints(20, Array(100).fill(3));
  await refused(nnFile('counts.mlmodel', [conv]), /more than 64 values/);
});

test('layer names adding up to more than the bound are refused (a long name copied into every layer)', () => {
  const long = 'L'.repeat(12 * 2 ** 20);
  const layers = [0, 1, 2].map((i) => nn.activation(`${long}${i}`, 'x', `y${i}`));
  const spec = model(4, description([{ name: 'x', array: [3] }], []), MODEL.neuralNetwork, network(layers)).toBuffer();
  assert.throws(() => readCoreml(new BufferSource('names.mlmodel', spec)), (e: unknown) => e instanceof ModelFileError && /layer names add up to more than 32 MiB/.test(e.message));
});

test('the layer writer and the reader agree on a raw layer message', () => {
  // a layer with no type is listed as "unknown", not dropped
  const spec = model(4, description([{ name: 'x', array: [3] }], []), MODEL.neuralNetwork, new Enc().message(1, layer({ name: 'empty', inputs: ['x'], outputs: ['y'], type: 130, params: new Enc() }))).toBuffer();
  const g = readCoreml(new BufferSource('one.mlmodel', spec));
  assert.deepEqual(g.main.nodes.map((n) => [n.name, n.op]), [['empty', 'activation']]);
});
