/**
 * Range rules v6 and v8 in the estimator: a runtime with a range of its own on a device (calibration.json runtimeRanges) gives
 * estimates with that runtime its range, other runtimes the device's, and the assumptions say which was used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import { estimateDevice } from '../../src/planner/estimate';
import { explainNote } from '../../src/planner/estimate/explain';
import { loadCatalog } from '../../src/planner/catalog';
import { OVERHEAD_FIT_MIN_POINTS, parseCalibration, RANGE_NOMINAL_COVERAGE } from '../../src/planner/catalog/calibration';
import { referenceProfile } from '../support/reference-profile';
import { RANGE_COVERAGE } from '../../scripts/calibration/fit';
import calibrationJson from '../../src/planner/catalog/calibration.json';
import { writeReferenceModel } from '../support/modelgen/reference-archs';
import { tempDir } from '../support/shared';

const calibration = parseCalibration(JSON.parse(JSON.stringify(calibrationJson)));

test('an estimate uses its runtime\'s own range where the calibration has one, the device\'s for any other runtime, and says which', async () => {
  const withOwn = Object.entries(calibration.devices).filter(([, d]) => Object.keys(d.runtimeRanges ?? {}).length);
  assert.ok(withOwn.length > 0, 'calibration.json has at least one runtime with a range of its own');
  const dir = tempDir('runtime-range');
  try {
    const file = path.join(dir, 'mnv2.onnx');
    writeReferenceModel('mobilenet_v2_1.0_224', file);
    const { model } = await analyzeFile(file);
    let compared = 0;
    for (const [id, cal] of withOwn) {
      const device = loadCatalog().byId(id)!;
      for (const [runtime, own] of Object.entries(cal.runtimeRanges!)) {
        // A shared-silicon group's ranges include runtimes only one of its power modes lists in the catalog.
        if (!device.runtimes.some((r) => r.id === runtime)) continue;
        const e = estimateDevice(model, id, { runtime });
        if (!Number.isFinite(e.latencyMs.typical)) continue;
        assert.ok(Math.abs(e.latencyMs.low / e.latencyMs.typical - own.low) < 1e-9, `${id} ${runtime}: low x${e.latencyMs.low / e.latencyMs.typical} vs its own x${own.low}`);
        assert.ok(Math.abs(e.latencyMs.high / e.latencyMs.typical - own.high) < 1e-9, `${id} ${runtime}: high`);
        const said = e.assumptions.find((a) => a.startsWith('Efficiency calibrated on'));
        assert.ok(said?.includes(`range for ${runtime} (its own, from its ${own.points} published point${own.points === 1 ? '' : 's'} on this device)`), String(said));
        assert.ok(said!.includes(own.basis), 'states how the runtime\'s range was obtained');
        // With publications to leave out, the by-source figure quoted is that runtime's points against its own range.
        if ((cal.bySource?.sources ?? 0) >= 2 && own.bySource && own.bySource.points > 0 && own.bySource.coverage !== null) {
          assert.ok(said!.includes(`${own.bySource.points} ${runtime} points) the median error was`), said);
          assert.ok(said!.includes(`this range covered ${Math.round(own.bySource.coverage * 100)} % of those points`), said);
        }
        // Another runtime of the same device, without a range of its own: the device's range.
        const other = device.runtimes.map((r) => r.id).find((r) => !cal.runtimeRanges![r]);
        if (!other) continue;
        const o = estimateDevice(model, id, { runtime: other });
        if (!Number.isFinite(o.latencyMs.typical)) continue;
        assert.ok(Math.abs(o.latencyMs.high / o.latencyMs.typical - cal.range.high) < 1e-9, `${id} ${other}: the device's range`);
        const saidOther = o.assumptions.find((a) => a.startsWith('Efficiency calibrated on'));
        assert.ok(saidOther && !saidOther.includes('its own, from its'), String(saidOther));
        compared++;
      }
    }
    assert.ok(compared > 0, 'at least one device has a runtime with its own range and another without');
    assert.ok(withOwn.some(([, d]) => (d.bySource?.sources ?? 0) >= 2 && Object.values(d.runtimeRanges!).some((r) => (r.bySource?.points ?? 0) > 0)), 'a runtime range carries its own by-source check');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an estimate says how its device\'s ranges covered the device\'s own training points, and says it plainly when below the nominal level', async () => {
  assert.equal(RANGE_NOMINAL_COVERAGE, RANGE_COVERAGE, 'the estimator\'s nominal level is the fit\'s');
  const checked = Object.entries(calibration.devices).filter(([, d]) => d.nestedCheck);
  assert.ok(checked.length >= 10, 'calibration.json checks the rule per device');
  assert.ok(checked.some(([, d]) => d.nestedCheck!.coverage < RANGE_COVERAGE), 'at least one device covers fewer of its points than nominal, and says so');
  for (const [, d] of checked) assert.ok(d.nestedCheck!.points > 0 && d.nestedCheck!.points <= d.trainingPoints + 1);
  const dir = tempDir('nested-check');
  try {
    const file = path.join(dir, 'mnv2.onnx');
    writeReferenceModel('mobilenet_v2_1.0_224', file);
    const { model } = await analyzeFile(file);
    for (const [id, d] of checked) {
      const e = estimateDevice(model, id, {});
      const said = e.assumptions.find((a) => a.startsWith('Efficiency calibrated on'))!;
      const c = d.nestedCheck!;
      const pct = c.coverage < RANGE_COVERAGE && Math.round(c.coverage * 100) >= 85 ? (c.coverage * 100).toFixed(1) : String(Math.round(c.coverage * 100));
      assert.ok(said.includes(`Of the ${c.points} training points its ranges rest on (a shared-silicon group's together), each left out in turn, ${pct} % fell inside the range the rule gave without it (nominal 85 %`), `${id}: ${said}`);
      assert.equal(said.includes('fewer than the rule claims'), c.coverage < RANGE_COVERAGE, id);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a device fitted on fewer points than the per-op overhead fit needs says which of compute and dispatch was fitted and stands in for both; others do not', async () => {
  const model = await referenceProfile('mobilenet_v1_1.0_224');
  let few = 0;
  let many = 0;
  for (const [id, cal] of Object.entries(calibration.devices)) {
    if (!loadCatalog().byId(id)) continue;
    const said = estimateDevice(model, id, { precision: 'int8' }).assumptions.find((a) => a.startsWith('Efficiency calibrated on')) ?? '';
    const says = said.includes('the fit does not separate per-op dispatch from compute');
    // The fit records the one scale it fitted when the device has fewer network points than separate the two (its
    // training points may also count LLM decode points, which fit the memory scale).
    if (cal.fewPointsScale) {
      assert.ok(says, `${id} (${cal.trainingPoints} points): ${said}`);
      assert.ok(cal.trainingPoints >= 1, `${id}: fitted on points`);
      if (cal.fewPointsScale === 'compute') {
        assert.equal(cal.overheadScale, 1, `${id}: no overhead scale fitted`);
        assert.match(said, /the fitted compute rate stands in for both/);
      } else {
        assert.equal(cal.computeScale, 1, `${id}: no compute scale fitted`);
        assert.match(said, /the fitted per-op cost stands in for both/);
      }
      few++;
    } else {
      assert.ok(!says, `${id} (${cal.trainingPoints} points)`);
      assert.ok(cal.trainingPoints >= OVERHEAD_FIT_MIN_POINTS, `${id} (${cal.trainingPoints} points): fewer points than the overhead fit needs, and no scale recorded`);
      many++;
    }
  }
  assert.ok(few > 0 && many > 0, `${few} devices with few points, ${many} with more`);
});

test('a few-point device whose per-op dispatch was fitted says so (no device of today\'s fit has one: this is the by-source refits\' case)', () => {
  const note = { kind: 'calibrated' as const, points: 1, sources: ['softserve'], rangeBasis: null, deviceId: 'coral-devboard', runtime: 'libedgetpu-std', runtimeFactor: 1, precisionFactor: 1, precision: 'int8' as const, range: { low: 0.5, high: 2 }, runtimeRange: null, bySource: null, nestedCheck: null };
  const overhead = explainNote({ ...note, fewPointsScale: 'overhead' });
  assert.match(overhead, /the fitted per-op cost stands in for both and the compute scale stays at its prior/);
  assert.doesNotMatch(overhead, /compute rate stands in/);
  assert.match(explainNote({ ...note, fewPointsScale: 'compute' }), /the fitted compute rate stands in for both/);
  assert.doesNotMatch(explainNote(note), /does not separate per-op dispatch from compute/, 'nothing said without a recorded scale');
});
