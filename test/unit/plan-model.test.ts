import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDefaultPlan, serializePlan, validatePlan, PlanValidationError } from '../../src/planner/plan';

test('a default plan survives serialize → validate unchanged', () => {
  const plan = createDefaultPlan('models/a.onnx', 'a.onnx', ['rpi5', 'coral-usb'], { latencyMs: 20 });
  plan.risks.push({ description: 'x <script>', likelihood: 'low', impact: 'high', mitigation: 'y' });
  const again = validatePlan(JSON.parse(serializePlan(plan)));
  assert.deepEqual(again, plan);
  assert.ok(serializePlan(plan).endsWith('\n'));
});

test('validation names the bad field', () => {
  const plan = createDefaultPlan('a.onnx', 'a.onnx', ['rpi5']) as unknown as Record<string, unknown>;
  assert.throws(() => validatePlan({ ...plan, budgets: { latencyMs: -3 } }), (e: unknown) => e instanceof PlanValidationError && e.field === 'budgets.latencyMs');
  assert.throws(() => validatePlan({ ...plan, compression: { techniques: ['magic'] } }), /compression.techniques\[0\]/);
  assert.throws(() => validatePlan({ ...plan, risks: [{ likelihood: 'sometimes' }] }), /risks\[0\].likelihood/);
  assert.throws(() => validatePlan({ ...plan, schemaVersion: 99 }), /schemaVersion/);
  assert.throws(() => validatePlan('nope'), /JSON object/);
  assert.throws(() => validatePlan({ ...plan, project: { name: 'x'.repeat(30_000) } }), /^PlanValidationError: project\.name: must be text of at most 20000 characters$/);
});
