/**
 * The devices the webviews offer carry, per runtime, what its estimated speed rests on (calibration.json), and the
 * runtime field says it: published points on the device, a speed from a similar device, or neither.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceChoicesOf } from '../../src/planner/device-choices';
import { loadCalibration, loadCatalog } from '../../src/planner/catalog';
import { parseToWebview } from '../../src/protocol';
import { runtimeBasis, runtimeMark } from '../../webview/lib/runtime-basis';

test('device choices: each runtime of a calibrated device has its published points there or a carried-over speed, as calibration.json says', () => {
  const calibration = loadCalibration();
  const choices = deviceChoicesOf(loadCatalog().devices, calibration);
  let withPoints = 0;
  let carried = 0;
  let neither = 0;
  for (const d of choices) {
    const cal = calibration.devices[d.id];
    for (const r of d.runtimes ?? []) {
      if (!cal) {
        assert.equal(r.publishedPoints, undefined, `${d.id}: an uncalibrated device claims no points`);
        assert.match(runtimeBasis(r), /No published measurement calibrates this device/);
        continue;
      }
      assert.equal(r.publishedPoints, cal.runtimeEvidence?.[r.id]?.points ?? 0, `${d.id} ${r.id}`);
      if (r.publishedPoints! > 0) {
        withPoints++;
        assert.equal(r.carriedOver, false);
        assert.equal(runtimeMark(r), ` · ${r.publishedPoints} published point${r.publishedPoints === 1 ? '' : 's'}`);
      } else if (r.carriedOver) {
        carried++;
        assert.ok(cal.transferredRuntimeFactors?.[r.id], `${d.id} ${r.id}: carried over only where calibration.json transfers it`);
        assert.equal(runtimeMark(r), ' · speed from a similar device');
        assert.match(runtimeBasis(r), /carried over from a device of the same kind/);
      } else {
        neither++;
        assert.equal(runtimeMark(r), ' · no published point');
        assert.match(runtimeBasis(r), /estimated at the device average/);
      }
    }
  }
  assert.ok(withPoints > 0 && carried > 0 && neither > 0, `${withPoints} with points, ${carried} carried over, ${neither} neither`);
});

test('device choices pass the webview protocol check, and a malformed runtime mark is refused', () => {
  const devices = deviceChoicesOf(loadCatalog().devices, loadCalibration());
  const msg = { type: 'comparison/result', view: { title: 'Compare', devices, selectedDevices: ['rpi5'], cpuThreads: null, runtimes: {}, models: [] } };
  const ok = parseToWebview(JSON.parse(JSON.stringify(msg)));
  assert.ok(ok.ok, JSON.stringify(ok));
  for (const [key, value] of [['publishedPoints', 'many'], ['carriedOver', 'yes']] as const) {
    const bad = JSON.parse(JSON.stringify(msg));
    bad.view.devices[0].runtimes[0][key] = value;
    const r = parseToWebview(bad);
    assert.ok(!r.ok && JSON.stringify(r).includes(key), `${key}: ${JSON.stringify(r)}`);
  }
});
