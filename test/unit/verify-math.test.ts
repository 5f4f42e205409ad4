/**
 * The arithmetic behind edgeplan verify, checked against independent references: float16 conversion against
 * numpy (Debian's python3-numpy), scale / zero point against ONNX Runtime's documented formulas, quantize →
 * dequantize error bounds, the one-pass histogram against a direct one, percentile and entropy calibration on
 * known distributions, the Wilson interval against Newcombe's published example, and the paired interval
 * against a seeded bootstrap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { floatToHalfBits, toFloat16Bytes, scaleZp, activationParams, quantizeSymmetricInt8, quantizeBias, quantizeBlocks4, rint } from '../../src/measure/verify/quant-math';
import { SymmetricHistogram, TensorRange, calibratedRange, entropyThreshold } from '../../src/measure/verify/calibrate';
import { Fidelity, topK, classCount, wilson, newcombePaired, accuracyOf, groupsOf, sqnrAtLeast, type PairedOutcome } from '../../src/measure/verify/metrics';
import { rankLayers, pairKey, notComparedNote } from '../../src/measure/verify/sensitivity';
import { formatSqnr } from '../../src/format-numbers';
import { seededRandom } from '../../src/measure/verify/data/dataset';
import { pythonHas } from '../support/verify-models';
import { halfToFloat } from '../../src/analyzers/onnx/tensor';

const hasNumpy = pythonHas('numpy');

test('float32 → float16 bits equal numpy.float16 for normal, subnormal, tie and overflow values', { skip: hasNumpy ? false : 'python3-numpy is absent' }, () => {
  const rnd = seededRandom(3);
  const values = [0, -0, 1, -1, 65504, 65519, 65520, 1e-8, 5.96e-8, 2.98e-8, 6.1e-5, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -2.5, Math.PI, Infinity, -Infinity];
  for (let i = 0; i < 300; i++) values.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 12 - 8));
  const f32 = Float32Array.from(values);
  const py = execFileSync('/usr/bin/python3', ['-c', 'import sys, numpy as np; a = np.frombuffer(sys.stdin.buffer.read(), dtype="<f4"); sys.stdout.write(",".join(str(int(v)) for v in a.astype(np.float16).view(np.uint16)))'], { input: Buffer.from(f32.buffer) }).toString();
  const expected = py.split(',').map(Number);
  f32.forEach((v, i) => assert.equal(floatToHalfBits(v), expected[i], `value ${v}`));
});

test('float16 conversion of weights clamps beyond ±65504 and keeps tiny values non-zero, as onnxconverter-common does', () => {
  const { bytes, clamped } = toFloat16Bytes(Float32Array.from([1e6, -1e6, 1e-12, -1e-12, 0, 0.5]));
  const back = Array.from({ length: 6 }, (_, i) => halfToFloat(bytes.readUInt16LE(i * 2)));
  assert.equal(clamped, 2);
  assert.deepEqual(back.slice(0, 2), [65504, -65504]);
  assert.ok(back[2] > 0 && back[3] < 0, 'tiny values keep their sign');
  assert.deepEqual(back.slice(4), [0, 0.5]);
});

test('scale and zero point follow onnxruntime: range includes 0, asymmetric uint8 / int8, symmetric int8 on -127..127', () => {
  assert.deepEqual(activationParams(0, 2.55, 'uint8'), { scale: Math.fround(0.01), zeroPoint: 0 });
  const s = activationParams(-1, 1, 'int8');
  assert.equal(s.scale, Math.fround(2 / 255));
  assert.equal(s.zeroPoint, rint(-128 + 1 / s.scale));
  // A positive-only range still maps 0 exactly (range extended to 0).
  const p = activationParams(0.5, 2, 'uint8');
  assert.equal(p.zeroPoint, 0);
  assert.equal(p.scale, Math.fround(2 / 255));
  const sym = scaleZp(-0.3, 0.6, -127, 127, true);
  assert.deepEqual(sym, { scale: Math.fround(1.2 / 254), zeroPoint: 0 });
  assert.deepEqual(scaleZp(0, 0, 0, 255, false), { scale: 1, zeroPoint: 0 });
  assert.equal(rint(2.5), 2);
  assert.equal(rint(3.5), 4);
  assert.equal(rint(-2.5), -2);
  assert.equal(rint(-1.5), -2);
});

test('per-channel symmetric int8 weights: one scale per output channel, error at most half a step', () => {
  const rnd = seededRandom(11);
  const dims = [4, 3, 2, 2];
  const w = Float32Array.from({ length: 48 }, (_, i) => (rnd() - 0.5) * (Math.floor(i / 12) + 1));
  const { q, scales } = quantizeSymmetricInt8(w, dims, 0);
  assert.equal(scales.length, 4);
  for (let i = 0; i < 48; i++) {
    const c = Math.floor(i / 12);
    assert.ok(Math.abs(q[i]) <= 127);
    assert.ok(Math.abs(q[i] * scales[c] - w[i]) <= scales[c] / 2 + 1e-7, `element ${i}`);
  }
  // Axis 1 of a [K, N] MatMul weight: channels are columns.
  const m = quantizeSymmetricInt8(Float32Array.from([1, 10, -2, 20, 4, -40]), [3, 2], 1);
  assert.deepEqual(Array.from(m.scales), [Math.fround(4 / 127), Math.fround(40 / 127)]);
  const b = quantizeBias(Float32Array.from([0.5, -1]), 0.1, m.scales);
  assert.equal(b.q[0], Math.round(0.5 / Math.fround(0.1 * m.scales[0])));
});

test('4-bit blocks (MatMulNBits layout): packed low nibble first, every value within half a step after dequantizing', () => {
  const rnd = seededRandom(5);
  const N = 3;
  const K = 40; // not a multiple of the block: the last block is padded
  const w = Float32Array.from({ length: K * N }, () => rnd() * 2 - 0.7);
  const at = (n: number, k: number): number => w[k * N + n];
  const q = quantizeBlocks4(at, N, K, 16);
  assert.equal(q.blocks, 3);
  assert.equal(q.packed.length, N * 3 * 8);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / 16);
      const j = k % 16;
      const byte = q.packed[(n * 3 + b) * 8 + (j >> 1)];
      const v = j & 1 ? byte >> 4 : byte & 15;
      const zpByte = q.zeroPoints[n * 2 + (b >> 1)];
      const zp = b & 1 ? zpByte >> 4 : zpByte & 15;
      const s = q.scales[n * 3 + b];
      assert.ok(Math.abs((v - zp) * s - at(n, k)) <= s / 2 + 1e-6, `n ${n} k ${k}`);
    }
  }
});

test('the one-pass histogram (range doubling) counts exactly like a histogram over the final range', () => {
  const rnd = seededRandom(9);
  const h = new SymmetricHistogram();
  const all: number[] = [];
  for (let batch = 0; batch < 6; batch++) {
    const scale = 2 ** batch;
    const vals = Array.from({ length: 500 }, () => (rnd() - 0.5) * scale);
    all.push(...vals);
    h.add(vals, Math.max(...vals.map(Math.abs)));
  }
  const R = h.range;
  const direct = new Float64Array(2048);
  for (const v of all) direct[Math.min(2047, Math.floor(((v + R) * 2048) / (2 * R)))]++;
  // Bins of the final width: the merged histogram agrees with the direct one on coarser bins (64 bins each).
  for (let i = 0; i < 2048; i += 64) {
    const a = h.counts.slice(i, i + 64).reduce((x, y) => x + y, 0);
    const b = direct.slice(i, i + 64).reduce((x, y) => x + y, 0);
    assert.ok(Math.abs(a - b) <= 2, `bins ${i}..${i + 63}: ${a} vs ${b}`);
  }
  assert.equal(h.counts.reduce((x, y) => x + y, 0), all.length);
});

test('percentile calibration cuts outliers that minmax keeps; entropy picks a threshold inside the range', () => {
  const rnd = seededRandom(21);
  const t = new TensorRange(true);
  const values = Array.from({ length: 100_000 }, () => {
    const u = Math.max(rnd(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  });
  values.push(50, -40);
  t.add(values);
  assert.deepEqual(calibratedRange(t, 'minmax'), [-40, 50]);
  const [lo, hi] = calibratedRange(t, 'percentile', 99.9);
  assert.ok(lo > -5 && lo < -2.5 && hi > 2.5 && hi < 5, `percentile range [${lo}, ${hi}]`);
  const [elo, ehi] = calibratedRange(t, 'entropy');
  assert.ok(ehi < 50 && ehi > 1 && elo > -40 && elo < -1, `entropy range [${elo}, ${ehi}]`);
  // A uniform |x| histogram needs no clipping: the threshold is the whole range.
  assert.equal(entropyThreshold(new Float64Array(1024).fill(10), 0.01), 1024 * 0.01);
});

test('fidelity: cosine, SQNR and max error over all samples; identical outputs report "identical"', () => {
  const f = new Fidelity();
  f.add([1, 2, 3], [1, 2, 3.1]);
  f.add([4], [4]);
  const so = 1 + 4 + 9 + 16;
  assert.ok(Math.abs((f.sqnrDb as number) - 10 * Math.log10(so / 0.01)) < 1e-6);
  assert.ok(Math.abs(f.maxAbsError - 0.1) < 1e-12);
  const same = new Fidelity();
  same.add([1, 2], [1, 2]);
  assert.equal(same.sqnrDb, 'identical');
  assert.equal(same.cosine, 1);
  assert.deepEqual(topK([0.1, 0.5, 0.5, 0.2, 0.9], 3), [4, 1, 2]);
  assert.equal(classCount([1, 10]), 10);
  assert.equal(classCount([1, 1000, 1, 1]), 1000);
  assert.equal(classCount([1, 8, 10]), null);
  assert.equal(classCount([1, 1]), null);
});

test('fidelity: NaN and infinities are skipped (and counted unless both sides agree) whichever pass meets them; the unchecked pass sums as the checked one', () => {
  const a = new Fidelity();
  a.add(new Float32Array([1, NaN, 3, Infinity, 5]), new Float32Array([1.5, NaN, 2, 7, -Infinity]));
  const b = new Fidelity();
  b.add([1], [1.5]);
  b.add([3], [2]);
  assert.equal(a.nonFinite, 2, 'Infinity vs 7 and 5 vs -Infinity differ; NaN vs NaN agree');
  assert.equal(a.sqnrDb, b.sqnrDb);
  assert.equal(a.cosine, b.cosine);
  assert.equal(a.maxAbsError, 1);
  assert.equal(a.count, 5);
  // Finite values whose squares overflow a double go through the checked pass too, and count as before.
  const big = new Fidelity();
  big.add(new Float64Array([1e200, 1]), new Float64Array([1e200, 2]));
  assert.equal(big.nonFinite, 0);
  assert.equal(big.count, 2);
  assert.equal(big.maxAbsError, 1);
  // The fast pass over ordinary data: the same sums as element by element.
  const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
  const y = Float32Array.from(x, (v, i) => v + (i % 7) * 1e-3);
  const fast = new Fidelity();
  fast.add(x, y);
  let so = 0;
  let se = 0;
  for (let i = 0; i < 1000; i++) {
    so += x[i] * x[i];
    se += (x[i] - y[i]) ** 2;
  }
  assert.ok(Math.abs((fast.sqnrDb as number) - 10 * Math.log10(so / se)) < 1e-9);
  assert.equal(fast.nonFinite, 0);
});

test('Wilson interval matches Newcombe (1998) example 81/263: 0.2553 to 0.3662', () => {
  const [lo, hi] = wilson(81, 263);
  assert.equal(lo.toFixed(4), '0.2553');
  assert.equal(hi.toFixed(4), '0.3662');
});

test('paired accuracy-drop interval: contains the estimate, antisymmetric, narrows with n, and agrees with a seeded bootstrap', () => {
  const [lo, hi] = newcombePaired(80, 6, 2, 12);
  assert.ok(lo < 0.04 && 0.04 < hi);
  const [nlo, nhi] = newcombePaired(80, 2, 6, 12);
  assert.ok(Math.abs(nlo + hi) < 1e-12 && Math.abs(nhi + lo) < 1e-12);
  const [blo, bhi] = newcombePaired(800, 60, 20, 120);
  assert.ok(bhi - blo < hi - lo);
  // Bootstrap of the same paired outcomes (fixed seed, 4000 resamples): percentile interval within 0.02.
  const outcomes: PairedOutcome[] = [
    ...Array(80).fill({ originalCorrect: true, compressedCorrect: true }),
    ...Array(6).fill({ originalCorrect: true, compressedCorrect: false }),
    ...Array(2).fill({ originalCorrect: false, compressedCorrect: true }),
    ...Array(12).fill({ originalCorrect: false, compressedCorrect: false }),
  ];
  const rnd = seededRandom(17);
  const drops: number[] = [];
  for (let r = 0; r < 4000; r++) {
    let d = 0;
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[Math.floor(rnd() * outcomes.length)];
      d += Number(o.originalCorrect) - Number(o.compressedCorrect);
    }
    drops.push(d / outcomes.length);
  }
  drops.sort((a, b) => a - b);
  assert.ok(Math.abs(drops[Math.floor(0.025 * 4000)] - lo) < 0.02, `bootstrap low ${drops[100]} vs ${lo}`);
  assert.ok(Math.abs(drops[Math.floor(0.975 * 4000)] - hi) < 0.02, `bootstrap high ${drops[3900]} vs ${hi}`);
  const a = accuracyOf(outcomes);
  assert.equal(a.original, 0.86);
  assert.equal(a.compressed, 0.82);
  assert.ok(Math.abs(a.drop - 0.04) < 1e-12);
});

test('groups: per-group accuracy, the worst group, and whether the gap between groups widened', () => {
  const o = (g: string, oc: boolean, cc: boolean): PairedOutcome => ({ originalCorrect: oc, compressedCorrect: cc, group: g });
  const r = groupsOf([o('a', true, true), o('a', true, true), o('b', true, false), o('b', true, true), o('b', false, false)]);
  assert.deepEqual(r.groups.map((g) => [g.group, g.samples, g.original, g.compressed]), [['a', 2, 1, 1], ['b', 3, 2 / 3, 1 / 3]]);
  assert.equal(r.worstGroup, 'b');
  assert.ok(Math.abs(r.gapOriginal! - 1 / 3) < 1e-12 && Math.abs(r.gapCompressed! - 2 / 3) < 1e-12);
  assert.equal(r.gapWidened, true);
  assert.equal(groupsOf([{ originalCorrect: true, compressedCorrect: true }]).worstGroup, null);
});

test('SQNR of an all-zero original output: "no signal", which survives JSON, reads as no signal and fails the 30 dB keep-float check', () => {
  const zero = new Fidelity();
  zero.add([0, 0, 0], [0, 0.01, 0]);
  // Before: −Infinity, which JSON writes as null — the same as "identical" did.
  const back = JSON.parse(JSON.stringify({ sqnrDb: zero.sqnrDb })).sqnrDb;
  assert.equal(back, 'no signal');
  assert.equal(sqnrAtLeast(back, 30), false);
  assert.equal(formatSqnr(back), 'no signal');
  const same = new Fidelity();
  same.add([0, 0], [0, 0]);
  const identical = JSON.parse(JSON.stringify({ sqnrDb: same.sqnrDb })).sqnrDb;
  assert.equal(identical, 'identical');
  assert.equal(sqnrAtLeast(identical, 30), true);
  assert.equal(sqnrAtLeast(29.9, 30), false);
  assert.equal(formatSqnr(31.46), '31.5 dB');
  // A layer whose input is intact and whose output has no signal loses the most, by a finite (JSON-safe) amount.
  const input = { original: 'x', compressed: 'x' };
  const fid = new Map([[pairKey(input), new Fidelity()], [pairKey({ original: 'a', compressed: 'a' }), zero], [pairKey({ original: 'b', compressed: 'b' }), (() => { const g = new Fidelity(); g.add([1, 2], [1, 2.01]); return g; })()]]);
  fid.get(pairKey(input))!.add([1], [1]);
  const ranked = rankLayers([{ name: 'A', op: 'Conv', inputs: [input], output: { original: 'a', compressed: 'a' } }, { name: 'B', op: 'Conv', inputs: [input], output: { original: 'b', compressed: 'b' } }], fid).layers;
  assert.deepEqual(ranked.map((l) => [l.name, l.sqnrDb === 'no signal' ? l.sqnrDb : typeof l.sqnrDb, l.inputSqnrDb, l.dropDb === 300]), [['A', 'no signal', 'identical', true], ['B', 'number', 'identical', false]]);
  assert.ok(ranked.every((l) => Number.isFinite(l.dropDb)));
});

test('a layer whose tensors were never compared is left out of the sensitivity ranking with a note, never read as identical', () => {
  const pair = (n: string) => ({ original: n, compressed: n });
  const filled = (o: number[], c: number[]): Fidelity => {
    const f = new Fidelity();
    f.add(o, c);
    return f;
  };
  // x: compared and intact; a: damaged; b: a Fidelity that never got values (not computed on one side);
  // c: values on one side only (an empty tensor on the other); d: no Fidelity at all.
  const fid = new Map([
    [pairKey(pair('x')), filled([1, 2], [1, 2])],
    [pairKey(pair('a')), filled([1, 2], [1, 2.5])],
    [pairKey(pair('b')), new Fidelity()],
    [pairKey(pair('c')), filled([1, 2], [])],
  ]);
  const layers = [
    { name: 'A', op: 'Conv', inputs: [pair('x')], output: pair('a') },
    { name: 'B', op: 'Conv', inputs: [pair('x')], output: pair('b') },
    { name: 'C', op: 'MatMul', inputs: [pair('x')], output: pair('c') },
    { name: 'D', op: 'Conv', inputs: [pair('b')], output: pair('a') },
    { name: 'E', op: 'Gemm', inputs: [pair('x')], output: pair('d') },
  ];
  const { layers: ranked, notCompared } = rankLayers(layers, fid);
  assert.deepEqual(ranked.map((l) => l.name), ['A'], 'only the layer whose tensors were all compared is ranked');
  assert.equal(typeof ranked[0].sqnrDb, 'number');
  assert.deepEqual(notCompared, ['B', 'C', 'D', 'E']);
  assert.equal(notComparedNote(notCompared), '4 changed layer(s) not compared (a tensor they read or write was not computed in one of the models), so left out of the sensitivity ranking: "B", "C", "D", "E"');
  assert.match(notComparedNote(['1', '2', '3', '4', '5', '6', '7'])!, /"5" and 2 more$/);
  assert.equal(notComparedNote([]), null);
});
