/**
 * Every JSON data file the planner ships is validated at load by the same checker (src/planner/catalog/check.ts):
 * a corrupted copy of each gives one clear error naming the file and the field, and the shipped files load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCatalog, CatalogError, DataFileError, loadCalibration, loadOpSupport, loadPriors, parseCalibration, parseOpSupport, parsePriors } from '../../src/planner/catalog';
import { parseTechniqueTable, TechniqueTableError } from '../../src/planner/recommend/technique-table';
import devicesJson from '../../src/planner/catalog/devices.json';
import opSupportJson from '../../src/planner/catalog/op-support.json';
import priorsJson from '../../src/planner/catalog/estimator-priors.json';
import calibrationJson from '../../src/planner/catalog/calibration.json';
import techniquesJson from '../../src/planner/recommend/techniques.json';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;
const clone = (x: unknown): Doc => JSON.parse(JSON.stringify(x)) as Doc;

function throwsNaming(fn: () => unknown, file: RegExp, field: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataFileError, `a DataFileError, got ${String(e)}`);
    assert.match(e.message, file);
    assert.match(e.message, field);
    return true;
  });
}

test('the shipped data files load through the checker', () => {
  assert.ok(Object.keys(loadOpSupport().targets).includes('edgetpu'));
  assert.equal(loadPriors().perOpOverheadUs.gpu, 20);
  assert.equal(loadPriors().opClassFactors.depthwise['mcu-cpu'], 0.7);
  assert.ok(loadCalibration().devices.rpi5.computeScale > 0);
  assert.ok(Object.keys(loadCalibration().devices.rpi5.pipelineOverheadMs ?? {}).length > 0);
});

test('devices.json: a corrupted copy names the file, the device and the field', () => {
  const bad = clone(devicesJson);
  bad.devices.find((d: Doc) => d.id === 'rpi4').memory.bandwidth.value = 'fast';
  throwsNaming(() => buildCatalog(bad), /^devices\.json/, /device "rpi4": field "memory\.bandwidth\.value" must be a positive finite number/);
  assert.throws(() => buildCatalog(bad), CatalogError);
});

test('op-support.json: a corrupted copy names the file and the field', () => {
  const mode = clone(opSupportJson);
  mode.targets.edgetpu.mode = 'sometimes';
  throwsNaming(() => parseOpSupport(mode), /^op-support\.json/, /field "targets\.edgetpu\.mode" must be one of all, allowlist, denylist/);
  const ops = clone(opSupportJson);
  ops.targets.tflm.ops = 'CONV_2D';
  throwsNaming(() => parseOpSupport(ops), /^op-support\.json/, /field "targets\.tflm\.ops" must be a list/);
  const map = clone(opSupportJson);
  map.onnxToCanonical.Conv = 7;
  throwsNaming(() => parseOpSupport(map), /^op-support\.json/, /field "onnxToCanonical\.Conv"/);
  // Through the catalog, which names its op lists from the devices.
  throwsNaming(() => buildCatalog(devicesJson, mode), /^op-support\.json/, /targets\.edgetpu\.mode/);
});

test('estimator-priors.json: a corrupted copy names the file and the field', () => {
  const overhead = clone(priorsJson);
  overhead.perOpOverheadUs.gpu = -3;
  throwsNaming(() => parsePriors(overhead), /^estimator-priors\.json/, /field "perOpOverheadUs\.gpu" must be a finite number >= 0, got -3/);
  const missing = clone(priorsJson);
  delete missing.opClassFactors.vector.tpu;
  throwsNaming(() => parsePriors(missing), /^estimator-priors\.json/, /field "opClassFactors\.vector\.tpu" is missing/);
  const eff = clone(priorsJson);
  eff.computeEfficiency.cpu.fp32 = 1.5;
  throwsNaming(() => parsePriors(eff), /^estimator-priors\.json/, /field "computeEfficiency\.cpu\.fp32" must be a finite number .*<= 1/);
  const share = clone(priorsJson);
  share.activationDramShare.npu = 1.5;
  throwsNaming(() => parsePriors(share), /^estimator-priors\.json/, /field "activationDramShare\.npu" must be a finite number .*<= 1/);
  const range = clone(priorsJson);
  range.uncalibratedRange = { high: 20 };
  throwsNaming(() => parsePriors(range), /^estimator-priors\.json/, /field "uncalibratedRange\.low" must be a finite number/);
});

test('calibration.json: a corrupted copy names the file and the field', () => {
  const scale = clone(calibrationJson);
  scale.devices.rpi5.computeScale = null;
  throwsNaming(() => parseCalibration(scale), /^calibration\.json/, /field "devices\.rpi5\.computeScale"/);
  const range = clone(calibrationJson);
  range.devices['coral-usb'].range = { low: 2, high: 4 };
  throwsNaming(() => parseCalibration(range), /^calibration\.json/, /field "devices\.coral-usb\.range\.low" must be a finite number/);
  const uncalibrated = clone(calibrationJson);
  uncalibrated.uncalibratedRange = { low: 0.1, high: 0.5 };
  throwsNaming(() => parseCalibration(uncalibrated), /^calibration\.json/, /field "uncalibratedRange\.high" must be a finite number >= 1, got 0\.5/);
  const pipeline = clone(calibrationJson);
  pipeline.devices.rpi5.pipelineOverheadMs['arm-harness'].runtimes = 'executorch';
  throwsNaming(() => parseCalibration(pipeline), /^calibration\.json/, /field "devices\.rpi5\.pipelineOverheadMs\.arm-harness\.runtimes" must be a list/);
  const runtimeRange = clone(calibrationJson);
  runtimeRange.devices.rpi5.runtimeRanges.executorch.high = 0.5;
  throwsNaming(() => parseCalibration(runtimeRange), /^calibration\.json/, /field "devices\.rpi5\.runtimeRanges\.executorch\.high" must be a finite number >= 1, got 0\.5/);
  const evidence = clone(calibrationJson);
  evidence.devices.rpi5.runtimeEvidence.executorch.sources = 'huggingface.co/arm';
  throwsNaming(() => parseCalibration(evidence), /^calibration\.json/, /field "devices\.rpi5\.runtimeEvidence\.executorch\.sources" must be a list/);
  const noPoints = clone(calibrationJson);
  noPoints.devices.rpi5.runtimeEvidence.executorch.points = 0;
  throwsNaming(() => parseCalibration(noPoints), /^calibration\.json/, /field "devices\.rpi5\.runtimeEvidence\.executorch\.points"/);
  const runtimeBySource = clone(calibrationJson);
  runtimeBySource.devices.rpi5.runtimeRanges.executorch.bySource.coverage = 2;
  throwsNaming(() => parseCalibration(runtimeBySource), /^calibration\.json/, /field "devices\.rpi5\.runtimeRanges\.executorch\.bySource\.coverage"/);
  const single = clone(calibrationJson);
  single.singleSourceCheck.v5.coverage = 1.5;
  throwsNaming(() => parseCalibration(single), /^calibration\.json/, /field "singleSourceCheck\.v5\.coverage"/);
  // Parsed, the simulation's coverage reaches the single-source devices' by-source check, and only theirs.
  const parsed = parseCalibration(clone(calibrationJson));
  const withSim = Object.entries(parsed.devices).filter(([, d]) => d.bySource?.singleSourceSimulation);
  assert.ok(withSim.length > 0);
  for (const [id, d] of withSim) assert.ok(d.bySource!.sources <= 1, id);
  assert.equal(withSim[0][1].bySource!.singleSourceSimulation!.coverage, calibrationJson.singleSourceCheck.v5.coverage);
});

test('techniques.json: a corrupted copy names the file and the field', () => {
  const bad = clone(techniquesJson);
  bad.techniques['int8-ptq'].effort = 'a weekend';
  throwsNaming(() => parseTechniqueTable(bad), /^techniques\.json/, /techniques\.int8-ptq\.effort is not an effort level/);
  const student = clone(techniquesJson);
  student.students[0].family = 'robot';
  throwsNaming(() => parseTechniqueTable(student), /^techniques\.json/, /students\[0\] needs name and family/);
  assert.throws(() => parseTechniqueTable(student), TechniqueTableError);
});
