/**
 * Runtimes without published points on a device (docs/calibration-candidates/2026-12-05-unmeasured-runtime.md): the
 * factor transferred from devices of the same unit type (rule A, scripts/calibration/fit.ts transferRuntimeFactor),
 * used by the estimator and stated in its assumptions, and the coverage note such estimates carry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateDevice, estimateDeviceWith } from '../../src/planner/estimate';
import { loadCatalog } from '../../src/planner/catalog';
import { parseCalibration } from '../../src/planner/catalog/calibration';
import { transferRuntimeFactor, type RuntimeFit } from '../../scripts/calibration/fit';
import type { ModelProfile } from '../../src/analyzers/profile-types';
import calibrationJson from '../../src/planner/catalog/calibration.json';
import { referenceProfile } from '../support/reference-profile';

const fit = (factor: number, points: number, ...sources: string[]): RuntimeFit => ({ factor, points, sources });

/** The MLPerf Tiny KWS reference network, built and analyzed once for the estimator tests below. */
let dsCnn: Promise<ModelProfile> | null = null;
const dsCnnProfile = (): Promise<ModelProfile> => (dsCnn ??= referenceProfile('ds_cnn_kws'));

test('a transferred factor is the runtime\'s ratio to a shared anchor on another device, times the anchor here, shrunk toward 1', () => {
  // On the other device TFLM runs at 0.4 and X-CUBE-AI at 1.6 of that device's average: TFLM is 4x slower than
  // X-CUBE-AI there. Here X-CUBE-AI is 1.0: TFLM would be 0.25, shrunk by 3 / (3 + 1) in ln.
  const t = transferRuntimeFactor('tflm', { 'x-cube-ai': fit(1, 5, 'a') }, [{ device: 'l4', runtimes: { tflm: fit(0.4, 3, 'b'), 'x-cube-ai': fit(1.6, 5, 'c') } }]);
  assert.ok(t);
  assert.ok(Math.abs(t.factor - Math.exp(0.75 * Math.log(0.25))) < 1e-4, String(t.factor));
  assert.equal(t.points, 3);
  assert.deepEqual(t.from, [{ device: 'l4', anchors: ['x-cube-ai'] }]);
  // The other device's compute scale cancels: scaling all its factors leaves the transfer unchanged.
  const scaled = transferRuntimeFactor('tflm', { 'x-cube-ai': fit(1, 5, 'a') }, [{ device: 'l4', runtimes: { tflm: fit(0.8, 3, 'b'), 'x-cube-ai': fit(3.2, 5, 'c') } }]);
  assert.equal(scaled!.factor, t.factor);
  // The anchor's factor here carries over: a faster anchor here gives a faster transferred runtime.
  const faster = transferRuntimeFactor('tflm', { 'x-cube-ai': fit(2, 5, 'a') }, [{ device: 'l4', runtimes: { tflm: fit(0.4, 3, 'b'), 'x-cube-ai': fit(1.6, 5, 'c') } }]);
  assert.ok(Math.abs(faster!.factor - Math.exp(0.75 * Math.log(0.5))) < 1e-4);
});

test('a transfer needs a contributor: the runtime measured next to an anchor this device has, outside the publication left out', () => {
  const here = { plumerai: fit(1.1, 2, 'v1.1') };
  // No anchor in common.
  assert.equal(transferRuntimeFactor('tflm', here, [{ device: 'l4', runtimes: { tflm: fit(0.4, 3, 'v0.5'), 'x-cube-ai': fit(1.7, 5, 'v1.2') } }]), null);
  // The runtime itself not measured elsewhere.
  assert.equal(transferRuntimeFactor('microtvm', here, [{ device: 'h7', runtimes: { plumerai: fit(0.95, 2, 'v1.1') } }]), null);
  const others = [{ device: 'h7', runtimes: { 'bosch-hale': fit(0.75, 2, 'v1.2'), plumerai: fit(0.95, 2, 'v1.1') } }];
  assert.ok(transferRuntimeFactor('bosch-hale', here, others));
  // Cross-validation by source: a pair resting on the left-out publication does not contribute.
  assert.equal(transferRuntimeFactor('bosch-hale', here, others, 'v1.2'), null);
  assert.equal(transferRuntimeFactor('bosch-hale', here, others, 'v1.1'), null);
  assert.ok(transferRuntimeFactor('bosch-hale', here, others, 'v9'));
  // Clamped like fitted factors.
  const extreme = transferRuntimeFactor('slow', { a: fit(1, 1, 'x') }, [{ device: 'd', runtimes: { slow: fit(1e-6, 1000, 'y'), a: fit(1, 5, 'z') } }]);
  assert.equal(extreme!.factor, 0.1);
});

test('the estimator uses a device\'s transferred factor for a runtime without points there and says where it comes from', async () => {
  const calibration = parseCalibration(JSON.parse(JSON.stringify(calibrationJson)));
  const withTransfer = Object.entries(calibration.devices).filter(([, d]) => Object.keys(d.transferredRuntimeFactors ?? {}).length);
  assert.ok(withTransfer.length > 0, 'calibration.json transfers at least one runtime factor');
  const model = await dsCnnProfile();
  let checked = 0;
  for (const [id, cal] of withTransfer) {
    const device = loadCatalog().byId(id)!;
    for (const [runtime, t] of Object.entries(cal.transferredRuntimeFactors!)) {
      if (!device.runtimes.some((r) => r.id === runtime)) continue;
      assert.equal(cal.runtimeEvidence?.[runtime], undefined, `${id} ${runtime}: a transferred runtime has no points on the device`);
      assert.equal(cal.runtimeFactors[runtime], undefined, `${id} ${runtime}: and no fitted factor`);
      const e = estimateDevice(model, id, { runtime });
      if (!Number.isFinite(e.latencyMs.typical)) continue;
      const { transferredRuntimeFactors: _, ...without } = cal;
      const base = estimateDeviceWith(model, id, { runtime }, without);
      // The runtime factor divides the whole graph time.
      assert.ok(Math.abs(base.latencyMs.typical / e.latencyMs.typical - t.factor) / t.factor < 1e-6, `${id} ${runtime}: x${base.latencyMs.typical / e.latencyMs.typical} vs factor ${t.factor}`);
      const said = e.assumptions.find((a) => a.startsWith('Efficiency calibrated on'));
      assert.ok(said?.includes(`runtime ${runtime} has no published point on ${id}: its speed, ${t.factor.toFixed(2)}x the fitted device average, is carried over from ${t.from[0].device}`), String(said));
      checked++;
    }
  }
  assert.ok(checked > 0, 'at least one transferred runtime is estimated');
});

test('an estimate with a runtime its device has no point of quotes how device ranges covered such cases; a measured runtime does not', async () => {
  const calibration = parseCalibration(JSON.parse(JSON.stringify(calibrationJson)));
  const check = calibration.unmeasuredRuntimeCheck;
  assert.ok(check && check.points > 0, 'calibration.json reports the unmeasured-runtime check');
  const model = await dsCnnProfile();
  let unmeasured = 0;
  let measured = 0;
  for (const [id, cal] of Object.entries(calibration.devices)) {
    const device = loadCatalog().byId(id);
    if (!device || !cal.runtimeEvidence) continue;
    for (const { id: runtime } of device.runtimes) {
      const e = estimateDevice(model, id, { runtime });
      if (!Number.isFinite(e.latencyMs.typical)) continue;
      const said = e.assumptions.find((a) => a.startsWith('Efficiency calibrated on')) ?? '';
      const quoted = said.includes(`training points predicted without any point of their runtime on their device fell inside their device's range ${Math.round(check.coverage * 100)} % of the time`);
      if (cal.runtimeEvidence[runtime]) {
        assert.ok(!quoted && !said.includes('has no published point on'), `${id} ${runtime}: measured, ${said}`);
        measured++;
      } else {
        assert.ok(quoted, `${id} ${runtime}: ${said}`);
        assert.ok(said.includes(`runtime ${runtime} has no published point on ${id}`), said);
        if (!cal.transferredRuntimeFactors?.[runtime]) assert.ok(said.includes('its speed is taken as the fitted device average'), said);
        unmeasured++;
      }
    }
  }
  assert.ok(unmeasured > 0 && measured > 0, `${unmeasured} unmeasured and ${measured} measured runtimes checked`);
});
