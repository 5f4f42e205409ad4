import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPlan, fieldPath, removeAt } from '../../src/host/plan-errors';
import { createDefaultPlan, validatePlan } from '../../src/planner/plan';

test('plan errors: field names from validatePlan map back to paths', () => {
  assert.deepEqual(fieldPath('rollout.stages[0].percent'), ['rollout', 'stages', 0, 'percent']);
  assert.deepEqual(fieldPath('plan.targets'), ['targets']);
  assert.deepEqual(fieldPath('plan.targets[2]'), ['targets', 2]);
  assert.deepEqual(fieldPath('budgets.latencyMs'), ['budgets', 'latencyMs']);
  assert.deepEqual(fieldPath('risks[1].likelihood'), ['risks', 1, 'likelihood']);
});

test('plan errors: removeAt deletes keys and list items, and reports when there is nothing to remove', () => {
  const o = { a: { b: 1, c: [1, 2, 3] } };
  assert.equal(removeAt(o, ['a', 'b']), true);
  assert.equal(removeAt(o, ['a', 'c', 1]), true);
  assert.deepEqual(o, { a: { c: [1, 3] } });
  assert.equal(removeAt(o, ['a', 'zz']), false);
  assert.equal(removeAt(o, ['a', 'c', 9]), false);
  assert.equal(removeAt(o, []), false);
});

test('plan errors: every bad field is reported, not just the first, and the cleaned plan keeps the good values', () => {
  const raw = JSON.parse(JSON.stringify(createDefaultPlan('models/net.onnx', 'net.onnx', ['rpi5', 'coral-usb'])));
  raw.project.owner = 'Ada';
  raw.budgets.latencyMs = 'fast';
  raw.budgets.memoryMb = 64;
  raw.rollout.stages[0].percent = 150;
  raw.risks = [{ description: 'thermal throttling', likelihood: 'extreme', impact: 'high', mitigation: 'fan' }];
  raw.offloading.confidenceThreshold = 2;
  const { plan, errors } = checkPlan(raw, new Set(['rpi5', 'coral-usb']));
  const fields = errors.map((e) => e.field).sort();
  assert.deepEqual(fields, ['budgets.latencyMs', 'offloading.confidenceThreshold', 'risks[0].likelihood', 'rollout.stages[0].percent']);
  assert.match(errors.find((e) => e.field === 'budgets.latencyMs')!.message, /must be a number/);
  assert.match(errors.find((e) => e.field === 'rollout.stages[0].percent')!.message, /^must be a number from 0 to 100$/);
  // Good values survive; the cleaned plan is valid as it stands.
  assert.equal(plan.project.owner, 'Ada');
  assert.equal(plan.budgets.memoryMb, 64);
  assert.equal(plan.budgets.latencyMs, undefined);
  assert.deepEqual(plan.targets, ['rpi5', 'coral-usb']);
  assert.equal(plan.risks[0].likelihood, 'medium', 'the bad likelihood is dropped and validatePlan defaults it');
  assert.equal(plan.risks[0].description, 'thermal throttling');
  assert.deepEqual(validatePlan(JSON.parse(JSON.stringify(plan))), plan);
});

test('plan errors: form rules — a name, at least one known target, a stage reaching 100 %', () => {
  const raw = JSON.parse(JSON.stringify(createDefaultPlan('m.onnx', 'm.onnx', ['rpi5'])));
  raw.project.name = '   ';
  raw.targets = ['rpi5', 'toaster-9000'];
  raw.rollout.stages = [{ name: 'Canary', percent: 5, durationDays: 1, exitCriteria: '' }];
  const { errors } = checkPlan(raw, new Set(['rpi5']));
  assert.deepEqual(
    errors.map((e) => e.field),
    ['project.name', 'plan.targets[1]', 'rollout.stages'],
  );
  assert.match(errors[1].message, /"toaster-9000" is not a device in the catalog/);
  const none = checkPlan({ ...raw, targets: [] }, new Set(['rpi5']));
  assert.ok(none.errors.some((e) => e.field === 'plan.targets' && /at least one/.test(e.message)));
});

test('plan errors: hostile shapes never throw and end in a valid plan', () => {
  const inputs: unknown[] = [null, 42, 'x', [], { project: 'nope' }, { rollout: { stages: 'x' } }, { risks: [1, 2] }, { schemaVersion: 99 }, { targets: [{}] }, { compression: { techniques: ['magic'] } }];
  for (const raw of inputs) {
    const { plan, errors } = checkPlan(raw);
    assert.doesNotThrow(() => validatePlan(plan));
    assert.ok(Array.isArray(errors));
  }
  const r = checkPlan({ compression: { techniques: ['fp16', 'magic', 'int8-ptq'] } });
  assert.deepEqual(r.plan.compression.techniques, ['fp16', 'int8-ptq']);
  assert.equal(r.errors[0].field, 'compression.techniques[1]');
});

test('plan errors: a missing required field takes only the part that holds it, not the whole plan', () => {
  const raw = JSON.parse(JSON.stringify(createDefaultPlan('models/net.onnx', 'net.onnx', ['rpi5'])));
  raw.project.owner = 'Ada';
  raw.risks = [{ description: 'thermal throttling', likelihood: 'low', impact: 'high', mitigation: 'fan' }];
  // A measured step written before SQNR had words: null could mean identical or no signal, so it is refused.
  const measured = {
    technique: 'int8-ptq',
    date: '2026-12-03',
    compressedFile: 'net.int8-ptq.onnx',
    data: { source: 'npy', calibrationSamples: 100, evaluationSamples: 200, labelled: false },
    weightBytes: { original: 4000, compressed: 1100 },
    fileBytes: { original: 4200, compressed: 1400 },
    latencyMs: { original: { p50: 1.2, p95: 1.5 }, compressed: { p50: 0.8, p95: 1.0 } },
    machine: 'a test machine',
    outputs: [
      { name: 'logits', cosine: 0.999, sqnrDb: null, maxAbsError: 0.2 },
      { name: 'embedding', cosine: 0.99, sqnrDb: 28.5, maxAbsError: 0.3 },
    ],
    top1Agreement: 0.99,
    accuracy: null,
    groups: [],
    groupGap: null,
    sensitiveLayers: [{ name: 'fc1', sqnrDb: 30, dropDb: 12 }],
    floatLayers: [],
    notes: [],
  };
  raw.verification = [measured];
  const { plan, errors } = checkPlan(raw, new Set(['rpi5']));
  const sqnrErrors = errors.filter((e) => e.field === 'verification[0].outputs[0].sqnrDb');
  assert.equal(sqnrErrors.length, 1, `said once: ${JSON.stringify(errors)}`);
  assert.match(sqnrErrors[0].message, /"identical" or "no signal"/);
  assert.equal(plan.project.owner, 'Ada', 'the rest of the plan is kept');
  assert.equal(plan.risks[0].description, 'thermal throttling');
  assert.deepEqual(plan.targets, ['rpi5']);
  assert.equal(plan.verification?.length, 1, 'the measured step is kept');
  assert.deepEqual(plan.verification![0].outputs.map((o) => [o.name, o.sqnrDb]), [['embedding', 28.5]], 'only the output with the ambiguous SQNR is dropped');
});
