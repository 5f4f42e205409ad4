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

test('runtime.cpuThreads: a whole number from 1 to 1024, or absent; the plan document applies it to devices with an application CPU only', async () => {
  const plan = createDefaultPlan('a.onnx', 'a.onnx', ['rpi5']) as unknown as Record<string, unknown>;
  assert.equal(validatePlan({ ...plan, runtime: { name: 'tflite', notes: '', cpuThreads: 2 } }).runtime.cpuThreads, 2);
  assert.equal(validatePlan({ ...plan, runtime: { name: 'tflite', notes: '', cpuThreads: null } }).runtime.cpuThreads, undefined, 'the form\'s empty field');
  assert.equal('cpuThreads' in validatePlan(plan).runtime, false);
  for (const bad of [0, 1.5, 5000, 'four']) {
    assert.throws(() => validatePlan({ ...plan, runtime: { name: '', notes: '', cpuThreads: bad } }), (e: unknown) => e instanceof PlanValidationError && e.field === 'runtime.cpuThreads', String(bad));
  }

  const { buildPlanDocument } = await import('../../src/planner/plan/document');
  const { analyzeFile } = await import('../../src/analyzers');
  const path = await import('path');
  const sample = path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx');
  const analysis = await analyzeFile(sample);
  const targets = ['rpi5', 'stm32h7'];
  const all = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: targets, budgets: {} });
  const one = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: targets, budgets: {}, cpuThreads: 1 });
  assert.equal(one.plan.runtime.cpuThreads, 1);
  assert.ok(one.estimates[0].latencyMs.typical > all.estimates[0].latencyMs.typical, 'the Pi 5 at one thread is slower');
  assert.ok(one.estimates[0].assumptions.some((a) => /uses 1 thread/.test(a)));
  assert.equal(one.estimates[1].latencyMs.typical, all.estimates[1].latencyMs.typical, 'a microcontroller target is unaffected, not an error');
  // The recommendation re-estimates its pipelines at the same thread count.
  const top = (d: typeof all) => d.recommendation!.recommendations[0];
  assert.deepEqual(top(one).steps.map((x) => x.technique), top(all).steps.map((x) => x.technique));
  assert.ok(top(one).predicted.latencyMs.typical > top(all).predicted.latencyMs.typical, `${top(one).predicted.latencyMs.typical} vs ${top(all).predicted.latencyMs.typical}`);
  // A plan file's count is used unless --threads overrides it.
  const fromFile = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: targets, budgets: {}, planJson: { ...JSON.parse(JSON.stringify(one.plan)), runtime: { name: '', notes: '', cpuThreads: 2 } } });
  assert.equal(fromFile.plan.runtime.cpuThreads, 2);
  assert.equal(buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: targets, budgets: {}, planJson: fromFile.plan, cpuThreads: 4 }).plan.runtime.cpuThreads, 4);
});

test('runtime.name: a catalog runtime id of a target estimates that target (and the recommendation) with it; free text keeps each target\'s default', async () => {
  const { buildPlanDocument, planRuntimeFor } = await import('../../src/planner/plan/document');
  const { recommend, RecommendInputError } = await import('../../src/planner/recommend');
  const { analyzeFile } = await import('../../src/analyzers');
  const path = await import('path');
  const sample = path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx');
  const analysis = await analyzeFile(sample);
  const targets = ['rpi5', 'rpi4', 'coral-usb'];
  const byDefault = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: targets, budgets: {} });
  assert.equal(byDefault.plan.runtime.name, 'xnnpack', 'a new plan names the primary target\'s default runtime');
  const ncnn = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: targets, budgets: {}, runtime: 'ncnn' });
  assert.equal(ncnn.plan.runtime.name, 'ncnn');
  // The sources table names catalog figures in words, never a camelCase key that breaks mid-word in a narrow column.
  const figures = byDefault.sources.map((s) => s.figure);
  assert.ok(figures.includes('accelerator › on-chip parameter cache') && figures.includes('memory › RAM'), figures.join('; '));
  assert.ok(!figures.some((f) => /[a-z][A-Z]/.test(f)), figures.join('; '));
  assert.deepEqual(ncnn.estimates.map((e) => e.runtime), ['ncnn', 'ncnn', 'libedgetpu-std'], 'the Pis offer NCNN; the Coral USB keeps its default');
  assert.notEqual(ncnn.estimates[0].latencyMs.typical, byDefault.estimates[0].latencyMs.typical);
  assert.equal(ncnn.estimates[2].latencyMs.typical, byDefault.estimates[2].latencyMs.typical);
  // The recommendation's baseline (no compression) is the NCNN estimate, and a runtime change is judged against NCNN.
  const none = ncnn.recommendation!.recommendations.find((r) => r.steps.length === 0 || r.steps.every((s) => s.technique === 'none'));
  assert.ok(none, 'with no budgets the model as it is is recommended');
  assert.equal(none.predicted.latencyMs.typical, ncnn.estimates[0].latencyMs.typical);
  for (const r of ncnn.recommendation!.recommendations) assert.ok(!r.steps.some((s) => s.technique === 'change-runtime' && /to NCNN$/.test(s.title)), 'never "switch" to the runtime in use');
  // Free text in the form: kept as written, every target on its default.
  const text = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: targets, budgets: {}, planJson: { ...JSON.parse(JSON.stringify(byDefault.plan)), runtime: { name: 'TF Lite 2.16 with XNNPACK', notes: '' } } });
  assert.equal(text.plan.runtime.name, 'TF Lite 2.16 with XNNPACK');
  assert.deepEqual(text.estimates.map((e) => e.latencyMs.typical), byDefault.estimates.map((e) => e.latencyMs.typical));
  assert.equal(planRuntimeFor(text.plan, 'rpi5'), undefined);
  assert.equal(planRuntimeFor({ ...text.plan, runtime: { name: ' ncnn ', notes: '' } }, 'rpi5'), 'ncnn');
  assert.throws(() => recommend(analysis.model, 'coral-usb', {}, { runtime: 'ncnn' }), (e: unknown) => e instanceof RecommendInputError && /not a runtime of coral-usb/.test((e as Error).message));
});

test('a runtime change is proposed only for a runtime whose speed rests on published points, and says what it rests on', async () => {
  const { recommend } = await import('../../src/planner/recommend');
  const { analyzeFile } = await import('../../src/analyzers');
  const { loadCalibration, loadCatalog } = await import('../../src/planner/catalog');
  const path = await import('path');
  const analysis = await analyzeFile(path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx'));
  const evidence = loadCalibration().devices.rpi5.runtimeEvidence!;
  assert.deepEqual(evidence.executorch, { points: 5, sources: ['huggingface.co/arm'] }, 'the Arm harness\'s ExecuTorch points');
  assert.ok(loadCatalog().byId('rpi5')!.runtimes.some((r) => !evidence[r.id]), 'the Pi 5 offers a runtime without published points (PyTorch)');
  // A budget the model misses on the default runtime: the search tries every runtime with evidence.
  const result = recommend(analysis.model, 'rpi5', { latencyMs: 0.3 });
  const changes = result.recommendations.flatMap((r) => r.steps.filter((s) => s.technique === 'change-runtime'));
  assert.ok(changes.length > 0, 'some runtime is estimated clearly faster');
  for (const s of changes) {
    const id = Object.keys(evidence).find((rt) => s.title.endsWith(loadCatalog().byId('rpi5')!.runtimes.find((r) => r.id === rt)!.name));
    assert.ok(id, `${s.title}: a runtime with published points`);
    const ev = evidence[id!];
    assert.match(s.why, new RegExp(`rests on ${ev.points} published points? from ${ev.sources.length} publications? \\(${ev.sources.join(', ').replace(/\./g, '\\.')}\\)`));
    if (ev.sources.length === 1) assert.match(s.why, /one harness, so its own offset cannot be told apart from the runtime's speed/);
  }
});
