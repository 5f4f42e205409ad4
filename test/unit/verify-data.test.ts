/**
 * Data for edgeplan verify: .npy files written by numpy (Debian's python3-numpy) read back value for value,
 * our .npy writer read by numpy, broken .npy files refused with their name; PNG / JPEG decoding (pngjs, jpeg-js)
 * and preprocessing against known pixels and sklearn's sample photo; the folder layouts (flat, ImageFolder,
 * samples.csv, one folder per input), disjoint seeded splits, sampling of large folders.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { PNG } from 'pngjs';
import { parseNpy, encodeNpy } from '../../src/measure/verify/data/npy';
import { decodeImage, imageTensor, defaultPreprocess } from '../../src/measure/verify/data/images';
import { splitDataset, loadSample, type ModelInput } from '../../src/measure/verify/data/dataset';
import { SharedBufferPool } from '../../src/measure/verify/shared-input';
import { DataError, VerifyError } from '../../src/measure/verify/errors';
import { tempDir } from '../support/shared';
import { pythonHas } from '../support/verify-models';

const dir = tempDir('verify-data');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const hasNumpy = pythonHas('numpy');
const put = (rel: string, bytes: Uint8Array | string): string => {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, bytes);
  return p;
};

test('.npy written by numpy (dtypes, format 1.0 and 2.0) reads back value for value', { skip: hasNumpy ? false : 'python3-numpy is absent' }, () => {
  const out = path.join(dir, 'numpy');
  fs.mkdirSync(out, { recursive: true });
  execFileSync('/usr/bin/python3', [
    '-c',
    `
import numpy as np, sys
d = sys.argv[1]
a = (np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 7) / 3
np.save(d + '/f32.npy', a.astype(np.float32)); np.save(d + '/f64.npy', a)
np.save(d + '/f16.npy', a.astype(np.float16)); np.save(d + '/i64.npy', np.arange(-5, 7, dtype=np.int64).reshape(3, 4))
np.save(d + '/u8.npy', np.arange(250, 256, dtype=np.uint8)); np.save(d + '/b.npy', np.array([True, False, True]))
np.save(d + '/scalar.npy', np.float32(2.5))
with open(d + '/v2.npy', 'wb') as f: np.lib.format.write_array(f, a.astype(np.float32), version=(2, 0))
`,
    out,
  ]);
  const read = (n: string) => parseNpy(fs.readFileSync(path.join(out, n)), n);
  const expected = Array.from({ length: 24 }, (_, i) => (i - 7) / 3);
  for (const n of ['f32.npy', 'v2.npy']) {
    const a = read(n);
    assert.deepEqual(a.shape, [2, 3, 4]);
    a.values.forEach((v, i) => assert.equal(v, Math.fround(expected[i])));
  }
  assert.deepEqual(Array.from(read('f64.npy').values), expected);
  read('f16.npy').values.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 2e-3));
  assert.deepEqual(Array.from(read('i64.npy').values), Array.from({ length: 12 }, (_, i) => i - 5));
  assert.deepEqual(Array.from(read('u8.npy').values), [250, 251, 252, 253, 254, 255]);
  assert.deepEqual(Array.from(read('b.npy').values), [1, 0, 1]);
  assert.deepEqual(read('scalar.npy').shape, []);
  // Our writer, read by numpy.
  fs.writeFileSync(path.join(out, 'ours.npy'), encodeNpy([1.5, -2, 3], [1, 3]));
  const py = execFileSync('/usr/bin/python3', ['-c', 'import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, a.tolist())', path.join(out, 'ours.npy')]).toString().trim();
  assert.equal(py, 'float32 (1, 3) [[1.5, -2.0, 3.0]]');
});

test('.npy data is read in place when aligned for its type and copied when not; the values are the same either way', () => {
  const good = encodeNpy([1.5, -2, 3, 4.25], [4]);
  const aligned = parseNpy(good, 'aligned.npy');
  assert.deepEqual([...aligned.values], [1.5, -2, 3, 4.25]);
  assert.equal(aligned.values.buffer, good.buffer, 'a view of the file bytes');
  // The same file one byte into a larger buffer: the data is no longer 4-byte aligned.
  const shifted = Buffer.alloc(good.length + 1);
  good.copy(shifted, 1);
  const copied = parseNpy(shifted.subarray(1), 'shifted.npy');
  assert.deepEqual([...copied.values], [1.5, -2, 3, 4.25]);
  assert.notEqual(copied.values.buffer, shifted.buffer, 'an aligned copy');
  assert.equal(copied.values.byteOffset % 4, 0);
});

test('broken or unsupported .npy files are refused with their name and the reason', () => {
  const good = encodeNpy([1, 2, 3, 4], [4]);
  const cases: [string, Buffer, RegExp][] = [
    ['truncated.npy', good.subarray(0, good.length - 3), /holds 13 data bytes, its header declares 16/],
    ['magic.npy', Buffer.from('not numpy at all'), /not a \.npy file/],
    ['header.npy', Buffer.concat([good.subarray(0, 8), Buffer.from([0xff, 0xff]), good.subarray(10)]), /runs past the file/],
    ['object.npy', Buffer.from(good.toString('latin1').replace("'<f4'", "'|O8'"), 'latin1'), /not supported.*never unpickled/],
    ['bigendian.npy', Buffer.from(good.toString('latin1').replace("'<f4'", "'>f4'"), 'latin1'), /big-endian/],
    ['fortran.npy', Buffer.from(good.toString('latin1').replace("False", "True "), 'latin1'), /Fortran/],
    ['huge.npy', Buffer.from(good.toString('latin1').replace("(4,), ", "(99999999999,)"), 'latin1'), /more than \d+ elements/],
  ];
  for (const [name, bytes, why] of cases) {
    assert.throws(() => parseNpy(bytes, name), (e: Error) => e instanceof DataError && e.message.startsWith(`${name}: `) && why.test(e.message), name);
  }
});

test('PNG pixels become the expected tensor (NCHW, NHWC, grey), and bilinear resizing keeps a flat image flat', () => {
  const png = new PNG({ width: 4, height: 2 });
  for (let i = 0; i < 8; i++) png.data.set([i * 10, 100 + i, 255 - i * 20, 255], i * 4);
  const file = put('img/px.png', PNG.sync.write(png));
  const img = decodeImage(fs.readFileSync(file), 'px.png');
  assert.deepEqual([img.width, img.height], [4, 2]);
  const nchw = imageTensor(img, { layout: 'NCHW', height: 2, width: 4, channels: 3, scale: 255, mean: [0], std: [1] });
  const nhwc = imageTensor(img, { layout: 'NHWC', height: 2, width: 4, channels: 3, scale: 1, mean: [0], std: [1] });
  for (let i = 0; i < 8; i++) {
    assert.ok(Math.abs(nchw[i] - (i * 10) / 255) < 1e-6 && Math.abs(nchw[8 + i] - (100 + i) / 255) < 1e-6 && Math.abs(nchw[16 + i] - (255 - i * 20) / 255) < 1e-6);
    assert.deepEqual(Array.from(nhwc.slice(i * 3, i * 3 + 3)), [i * 10, 100 + i, 255 - i * 20]);
  }
  const grey = imageTensor(img, { layout: 'NCHW', height: 2, width: 4, channels: 1, scale: 1, mean: [10], std: [2] });
  assert.ok(Math.abs(grey[0] - (0.299 * 0 + 0.587 * 100 + 0.114 * 255 - 10) / 2) < 1e-4);
  const flat = new PNG({ width: 7, height: 5 });
  flat.data.fill(77);
  const big = imageTensor(decodeImage(PNG.sync.write(flat), 'flat.png'), { layout: 'NCHW', height: 13, width: 3, channels: 3, scale: 1, mean: [0], std: [1] });
  assert.ok(big.every((v) => Math.abs(v - 77) < 1e-4));
  assert.deepEqual(defaultPreprocess([1, 3, 224, 224]), { layout: 'NCHW', height: 224, width: 224, channels: 3, scale: 255, mean: [0], std: [1] });
  assert.equal((defaultPreprocess(['N', 96, 96, 1]) as { layout: string }).layout, 'NHWC');
  assert.match(defaultPreprocess([1, 64]) as string, /4 dimensions/);
  assert.match(defaultPreprocess([1, 3, 'h', 'w']) as string, /--image-size/);
});

test("sklearn's sample JPEG decodes (jpeg-js); corrupt and oversized images are refused by name", () => {
  const china = '/usr/lib/python3/dist-packages/sklearn/datasets/images/china.jpg';
  if (fs.existsSync(china)) {
    const img = decodeImage(fs.readFileSync(china), 'china.jpg');
    assert.deepEqual([img.width, img.height], [640, 427]);
    assert.equal(img.data.length, 640 * 427 * 4);
  }
  const png = PNG.sync.write(new PNG({ width: 2, height: 2 }));
  const bomb = Buffer.from(png);
  bomb.writeUInt32BE(100_000, 16);
  bomb.writeUInt32BE(100_000, 20);
  const jpeg = fs.existsSync(china) ? fs.readFileSync(china).subarray(0, 2000) : Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
  for (const [name, bytes, why] of [
    ['bomb.png', bomb, /100000x100000 pixels/],
    ['cut.png', png.subarray(0, 40), /cannot be decoded/],
    ['cut.jpg', jpeg, /cannot be decoded/],
    ['text.png', Buffer.from('hello'), /neither a PNG nor a JPEG/],
  ] as [string, Buffer, RegExp][]) {
    assert.throws(() => decodeImage(bytes, name), (e: Error) => e instanceof DataError && e.message.startsWith(name) && why.test(e.message), name);
  }
});

const vec: ModelInput = { name: 'x', type: 'float32', shape: [1, 4] };

test('layouts: flat, ImageFolder (sorted classes), samples.csv (names → sorted indices, groups), one folder per input', () => {
  const flat = path.join(dir, 'flat');
  for (let i = 0; i < 10; i++) put(`flat/s${i}.npy`, encodeNpy([i, i, i, i], [4]));
  const s = splitDataset(flat, [vec], { calibration: 3, evaluation: 5, seed: 1 });
  assert.equal(s.labels, null);
  assert.equal(s.calibration.length + s.evaluation.length, 8);
  assert.equal(new Set([...s.calibration, ...s.evaluation].map((r) => r.id)).size, 8, 'calibration and evaluation are disjoint');
  assert.ok(s.sampled && s.notes.some((n) => /sampled 8 of 10/.test(n)));
  assert.deepEqual(splitDataset(flat, [vec], { calibration: 3, evaluation: 5, seed: 1 }).evaluation.map((r) => r.id), s.evaluation.map((r) => r.id), 'the same seed gives the same split');
  const t = loadSample(s.evaluation[0], [vec], flat);
  assert.deepEqual(t[0].dims, [1, 4], 'a batch dimension of 1 is added');
  const i = Number(s.evaluation[0].id.replace(/\D/g, ''));
  assert.deepEqual(Array.from(t[0].data as Float32Array), [i, i, i, i]);
  // Read into a pool's shared buffer (verify's evaluation samples): the tensor is a view of it, and a buffer given back
  // is the one the next sample of that size is read into.
  const pool = new SharedBufferPool();
  const taken: ArrayBufferLike[] = [];
  const alloc = (size: number) => {
    const b = pool.take(size);
    taken.push(b.buffer);
    return b;
  };
  const shared = loadSample(s.evaluation[0], [vec], flat, undefined, alloc);
  assert.ok(shared[0].data.buffer instanceof SharedArrayBuffer && shared[0].data.buffer === taken[0], 'a float32 .npy sample is a view of the pooled shared buffer');
  assert.deepEqual(Array.from(shared[0].data as Float32Array), [i, i, i, i]);
  pool.give(taken[0]);
  const again = loadSample(s.evaluation[1], [vec], flat, undefined, alloc);
  const j = Number(s.evaluation[1].id.replace(/\D/g, ''));
  assert.equal(taken[1], taken[0], 'the given-back buffer is reused');
  assert.deepEqual(Array.from(again[0].data as Float32Array), [j, j, j, j]);
  assert.notEqual(t[0].data.buffer, taken[0], 'without a pool, a sample has memory of its own');

  for (const c of ['zebra', 'ant', 'cat']) for (let i = 0; i < 2; i++) put(`folders/${c}/${i}.npy`, encodeNpy([1, 2, 3, 4], [1, 4]));
  const f = splitDataset(path.join(dir, 'folders'), [vec], { calibration: 0, evaluation: 6, seed: 1 });
  assert.equal(f.labels, 'folders');
  assert.deepEqual(f.classes, ['ant', 'cat', 'zebra']);
  assert.deepEqual(f.evaluation.map((r) => `${r.id}:${r.label}`).sort(), ['ant/0.npy:0', 'ant/1.npy:0', 'cat/0.npy:1', 'cat/1.npy:1', 'zebra/0.npy:2', 'zebra/1.npy:2']);

  put('csv/a.npy', encodeNpy([1, 2, 3, 4], [4]));
  put('csv/b.npy', encodeNpy([1, 2, 3, 4], [4]));
  put('csv/c.npy', encodeNpy([1, 2, 3, 4], [4]));
  put('csv/samples.csv', 'file,label,group\na.npy,dog,"north, east"\nb.npy,cat,south\nc.npy,dog,south\n');
  const m = splitDataset(path.join(dir, 'csv'), [vec], { calibration: 0, evaluation: 3, seed: 1 });
  assert.deepEqual(m.classes, ['cat', 'dog']);
  assert.deepEqual(m.evaluation.map((r) => [r.id, r.label, r.group]).sort(), [['a.npy', 1, 'north, east'], ['b.npy', 0, 'south'], ['c.npy', 1, 'south']]);

  const two: ModelInput[] = [{ name: 'ids', type: 'int64', shape: [1, 3] }, { name: 'mask/0', type: 'float32', shape: [1, 3] }];
  for (const n of ['p.npy', 'q.npy']) {
    put(`multi/ids/${n}`, encodeNpy([1, 2, 3], [1, 3], 'int64'));
    put(`multi/mask_0/${n}`, encodeNpy([1, 1, 0], [1, 3]));
  }
  const mi = splitDataset(path.join(dir, 'multi'), two, { calibration: 1, evaluation: 1, seed: 1 });
  const tensors = loadSample(mi.evaluation[0], two, path.join(dir, 'multi'));
  assert.equal(tensors[0].data.constructor, BigInt64Array);
  assert.deepEqual(Array.from(tensors[1].data as Float32Array), [1, 1, 0]);
});

test('bad data is refused with the file and the reason', () => {
  put('bad/wrong-shape.npy', encodeNpy([1, 2, 3], [3]));
  const ref = { id: 'wrong-shape.npy', files: [path.join(dir, 'bad/wrong-shape.npy')] };
  assert.throws(() => loadSample(ref, [vec], path.join(dir, 'bad')), /wrong-shape\.npy: has shape \[3\], the model's input "x" takes \[1, 4\]/);
  put('bad/frac.npy', encodeNpy([1.5, 2, 3, 4], [1, 4]));
  assert.throws(() => loadSample({ id: 'frac.npy', files: [path.join(dir, 'bad/frac.npy')] }, [{ ...vec, type: 'int64' }], path.join(dir, 'bad')), /frac\.npy: value 1\.5 .* does not fit input "x" of type int64/);
  put('mixed/a.npy', encodeNpy([1, 2, 3, 4], [4]));
  put('mixed/b.png', PNG.sync.write(new PNG({ width: 1, height: 1 })));
  assert.throws(() => splitDataset(path.join(dir, 'mixed'), [vec], { calibration: 0, evaluation: 2, seed: 1 }), (e: Error) => e instanceof VerifyError && /mixes \.npy files and images/.test(e.message));
  put('escape/samples.csv', 'file\n../flat/s1.npy\n');
  assert.throws(() => splitDataset(path.join(dir, 'escape'), [vec], { calibration: 0, evaluation: 1, seed: 1 }), /outside the data folder/);
  put('one/only.npy', encodeNpy([1, 2, 3, 4], [4]));
  assert.throws(() => splitDataset(path.join(dir, 'one'), [vec], { calibration: 5, evaluation: 5, seed: 1 }), /too few to calibrate and evaluate/);
  assert.throws(() => splitDataset(path.join(dir, 'nope'), [vec], { calibration: 0, evaluation: 1, seed: 1 }), /no such data folder/);
});

test('a FIFO or a device in the data is refused by name, never read (no hang)', { timeout: 20_000 }, () => {
  const d = path.join(dir, 'fifo');
  put('fifo/a.npy', encodeNpy([1, 2, 3, 4], [4]));
  execFileSync('mkfifo', [path.join(d, 'pipe.npy')]);
  fs.symlinkSync('/dev/zero', path.join(d, 'zero.npy'));
  put('fifo/samples.csv', 'file\na.npy\npipe.npy\nzero.npy\n');
  const s = splitDataset(d, [vec], { calibration: 0, evaluation: 3, seed: 1 });
  const byId = new Map(s.evaluation.map((r) => [r.id, r]));
  assert.equal(loadSample(byId.get('a.npy')!, [vec], d)[0].data.length, 4);
  assert.throws(() => loadSample(byId.get('pipe.npy')!, [vec], d), (e: Error) => e instanceof DataError && /^pipe\.npy: .*FIFO.*refused/.test(e.message));
  assert.throws(() => loadSample(byId.get('zero.npy')!, [vec], d), (e: Error) => e instanceof DataError && /^zero\.npy: .*character device.*refused/.test(e.message));
  // samples.csv itself as a FIFO.
  const d2 = path.join(dir, 'fifo-manifest');
  put('fifo-manifest/a.npy', encodeNpy([1, 2, 3, 4], [4]));
  execFileSync('mkfifo', [path.join(d2, 'samples.csv')]);
  assert.throws(() => splitDataset(d2, [vec], { calibration: 0, evaluation: 1, seed: 1 }), (e: Error) => e instanceof DataError && /^samples\.csv: .*FIFO.*refused/.test(e.message));
});
