/**
 * Input-size scaling (calibration.json sizeScaling): where one publication measured a network at two input sizes on a
 * device, the calibration reports how the measurement and the estimate grew, and an estimate on a device whose pair
 * grew more than SIZE_SCALING_OFF apart quotes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateDevice, sizeScalingNote } from '../../src/planner/estimate';
import { explainNote } from '../../src/planner/estimate/explain';
import { parseCalibration, SIZE_SCALING_OFF, sizeScalingGap, sizeScalingOff, type DeviceCalibration } from '../../src/planner/catalog/calibration';
import { familyAndInput, sizeScalingPairs, type ScalingPoint } from '../../scripts/calibration/size-scaling';
import calibrationJson from '../../src/planner/catalog/calibration.json';
import { sampleProfile } from '../support/sample-plan';

const doc = JSON.parse(JSON.stringify(calibrationJson));
const calibration = parseCalibration(doc);

const pt = (arch: string, measuredMs: number, estimateMs: number, over: Partial<ScalingPoint> = {}): ScalingPoint =>
  ({ arch, publication: 'pub', runtime: 'rt', precision: 'int8', split: 'train', measuredMs, estimateMs, ...over });

test('familyAndInput reads the network family and the input size from a reference key; a key without a size has none', () => {
  assert.deepEqual(familyAndInput('yolov8n_512'), { network: 'yolov8n', input: 512 });
  assert.deepEqual(familyAndInput('mobilenet_v1_0.25_128'), { network: 'mobilenet_v1_0.25', input: 128 });
  assert.equal(familyAndInput('ds_cnn'), null);
  assert.equal(familyAndInput('net_0'), null);
});

test('sizeScalingPairs pairs consecutive sizes of one network, publication, runtime and precision, smaller first', () => {
  const pairs = sizeScalingPairs([
    pt('yolov8n_640', 80, 40),
    pt('yolov8n_320', 20, 10),
    pt('yolov8n_512', 50, 20, { split: 'held-out' }),
    pt('yolov8n_320', 99, 99), // the same size again: the first point counts
    pt('yolov8n_512', 50, 20, { runtime: 'other' }), // another runtime: no partner at another size
    pt('yolov8n_320', 20, 10, { publication: 'elsewhere' }), // another publication: no partner
    pt('yolov8s_512', 50, 20), // another network: no partner
    pt('ds_cnn', 10, 10), // no input size in the key
  ]);
  assert.equal(pairs.length, 2);
  assert.deepEqual(pairs[0], {
    network: 'yolov8n', publication: 'pub', runtime: 'rt', precision: 'int8',
    from: { input: 320, split: 'train', measuredMs: 20, estimateMs: 10 },
    to: { input: 512, split: 'held-out', measuredMs: 50, estimateMs: 20 },
    measuredRatio: 2.5, estimateRatio: 2,
  });
  assert.deepEqual([pairs[1].from.input, pairs[1].to.input, pairs[1].measuredRatio, pairs[1].estimateRatio], [512, 640, 1.6, 2]);
});

test('a pair is off when measured and estimated growth differ by more than SIZE_SCALING_OFF either way', () => {
  assert.equal(SIZE_SCALING_OFF, 1.5);
  assert.equal(sizeScalingOff({ measuredRatio: 2.41, estimateRatio: 1.18 }), true);
  assert.equal(sizeScalingOff({ measuredRatio: 1, estimateRatio: 1.6 }), true);
  assert.equal(sizeScalingOff({ measuredRatio: 2.28, estimateRatio: 2.45 }), false);
  assert.equal(sizeScalingOff({ measuredRatio: 1.45, estimateRatio: 1 }), false);
});

test('every pair in calibration.json matches its device\'s points: measured and estimated ms and the growth between them', () => {
  let pairs = 0;
  for (const [id, cal] of Object.entries(calibration.devices)) {
    for (const s of cal.sizeScaling ?? []) {
      pairs++;
      assert.ok(s.from.input < s.to.input, `${id} ${s.network}: smaller size first`);
      assert.ok(Math.abs(s.measuredRatio - s.to.measuredMs / s.from.measuredMs) < 1e-3, `${id} ${s.network}: measured growth`);
      assert.ok(Math.abs(s.estimateRatio - s.to.estimateMs / s.from.estimateMs) < 1e-3, `${id} ${s.network}: estimated growth`);
      for (const end of [s.from, s.to]) {
        const p = (doc.points as { device: string; split: string; runtime: string; measuredMs: number; estimateMs: { typical: number } }[])
          .find((q) => q.device === id && q.split === end.split && q.runtime === s.runtime && q.measuredMs === end.measuredMs);
        assert.ok(p, `${id} ${s.network} ${end.input}: a ${end.split} point measured ${end.measuredMs} ms`);
        assert.equal(p.estimateMs.typical, end.estimateMs, `${id} ${s.network} ${end.input}: the point's estimate`);
      }
    }
  }
  assert.ok(pairs >= 1, 'the published data hold at least one network at two sizes');
});

test('the calibration file rejects a malformed pair with the field named', () => {
  const bad = JSON.parse(JSON.stringify(calibrationJson));
  const id = Object.keys(bad.devices)[0];
  bad.devices[id].sizeScaling = [{ network: 'n', publication: 'p', runtime: 'r', precision: 'int8', from: { input: 320, split: 'later', measuredMs: 1, estimateMs: 1 }, to: { input: 512, split: 'train', measuredMs: 2, estimateMs: 2 }, measuredRatio: 2, estimateRatio: 2 }];
  assert.throws(() => parseCalibration(bad), /sizeScaling\[0\]\.from\.split/);
  bad.devices[id].sizeScaling = [{ network: 'n' }];
  assert.throws(() => parseCalibration(bad), /sizeScaling\[0\]/);
});

test('an estimate on a device with an off pair quotes it (worst first, at most two); without one it says nothing', () => {
  const base = { computeScale: 1, overheadScale: 1, memoryScale: 1, runtimeFactors: {}, range: { low: 0.5, high: 2 }, trainingPoints: 3, heldOutPoints: 1, heldOutMedianAbsLogError: null, note: '' } satisfies DeviceCalibration;
  const pair = (network: string, m: number, e: number) => ({ network, publication: 'pub', runtime: 'rt', precision: 'int8', from: { input: 320, split: 'train' as const, measuredMs: 10, estimateMs: 10 }, to: { input: 512, split: 'held-out' as const, measuredMs: 10 * m, estimateMs: 10 * e }, measuredRatio: m, estimateRatio: e });
  assert.equal(sizeScalingNote(base, 'dev'), null);
  assert.equal(sizeScalingNote({ ...base, sizeScaling: [pair('ok', 2.28, 2.45)] }, 'dev'), null);
  const n = sizeScalingNote({ ...base, sizeScaling: [pair('small', 2, 1.3), pair('ok', 2, 2), pair('big', 2.41, 1.18), pair('slow', 1, 2.5)] }, 'dev');
  assert.ok(n);
  assert.deepEqual(n.pairs.map((p) => p.network), ['slow', 'big']);
  const s = explainNote(n);
  assert.match(s, /^Input size: on dev, slow \(pub, rt, int8\) took x1\.00 as long at 512 as at 320 \(measured; 320 in the training split, 512 held out\) where this estimator gives x2\.50, so it was x2\.5 too slow at the larger size relative to the smaller; big /);
  assert.match(s, /so it was x2\.0 too fast at the larger size/);
});

test('an estimate quotes its device\'s off pair and no other device\'s: the Coral USB\'s YOLOv8n 320 -> 512 is quoted, the Coral USB on a Pi 4\'s is not', () => {
  const model = sampleProfile(40);
  const said = (id: string) => estimateDevice(model, id).assumptions.find((a) => a.startsWith('Input size:'));
  for (const [id, c] of Object.entries(calibration.devices)) {
    const off = (c.sizeScaling ?? []).filter(sizeScalingOff);
    const s = said(id);
    if (off.length) assert.ok(s?.startsWith(`Input size: on ${id}, ${[...off].sort((a, b) => sizeScalingGap(b) - sizeScalingGap(a))[0].network} (`), `${id}: ${s}`);
    else assert.equal(s, undefined, `${id} has no off pair`);
  }
  // The published data of 2026-12: the same network, publication and chip, two fits that scale differently.
  assert.ok(said('coral-usb')?.includes('yolov8n (github.com/ultralytics/ultralytics, libedgetpu-std, int8) took x2.41 as long at 512 as at 320'), said('coral-usb'));
  assert.equal(said('coral-usb-rpi4'), undefined);
});
