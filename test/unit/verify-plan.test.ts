/**
 * Measurements in the plan: a verify report becomes the plan's record (validated when read back: broken entries name
 * their field), marks the measured steps of the recommendation and re-ranks on the measured accuracy drop (a pipeline
 * that breaks the budget falls, one the prediction failed but the measurement passes rises), and every export
 * carries the measured table next to the predictions, each figure labelled (checked on the report model, in the
 * four files reopened by LibreOffice and pdftotext, and through the CLI in a PDF read back by pdftotext).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { validatePlan, PlanValidationError, createDefaultPlan } from '../../src/planner/plan';
import { validateVerification, withVerification, type PlanVerification } from '../../src/planner/plan/verification';
import { applyMeasured } from '../../src/planner/recommend/measured';
import { withWords } from '../../src/planner/recommend/explain';
import { derivedRisks } from '../../src/planner/plan/risks';
import { buildPlanDocument } from '../../src/planner/plan/document';
import { buildReport, blocksToPlainText } from '../../src/export/report';
import { analyzeFile } from '../../src/analyzers';
import type { Miss, Recommendation, RecommendationResult } from '../../src/planner/types';
import { runCli, assertOk, sampleModel } from '../support/run-cli';
import { tempDir } from '../support/shared';
import { SKIP_NO_DIGITS, loadDigits, trainMlp, writeMlpOnnx, writeDigitsFolder } from '../support/digits';
import { exportPlan } from '../../src/export/index';
import { SKIP_LO, libreOfficeToPdf, pdfText } from '../support/doc-readers';

const dir = tempDir('verify-plan');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function measurement(technique: PlanVerification['technique'], drop: number | null): PlanVerification {
  return {
    technique,
    date: '2026-12-03',
    compressedFile: `model.${technique}.onnx`,
    data: { source: 'npy', calibrationSamples: 100, evaluationSamples: 200, labelled: drop !== null },
    weightBytes: { original: 4000, compressed: 1100 },
    fileBytes: { original: 4200, compressed: 1400 },
    latencyMs: { original: { p50: 1.2, p95: 1.5 }, compressed: { p50: 0.8, p95: 1.0 } },
    machine: 'a test machine',
    outputs: [{ name: 'logits', cosine: 0.999, sqnrDb: 31.5, maxAbsError: 0.2 }],
    top1Agreement: 0.99,
    accuracy: drop === null ? null : { original: 0.95, compressed: 0.95 - drop, drop, dropCi95: [drop - 0.01, drop + 0.01], samples: 200 },
    groups: drop === null ? [] : [{ group: 'a', samples: 100, original: 0.95, compressed: 0.95 - drop, drop }],
    groupGap: drop === null ? null : { worstGroup: 'a', worstDrop: drop, gapOriginal: 0, gapCompressed: 0.01, widened: true },
    sensitiveLayers: [{ name: 'fc1', sqnrDb: 30, dropDb: 12 }],
    floatLayers: [],
    notes: [],
  };
}

test('a measurement survives the plan file round trip; a broken one is refused naming its field', () => {
  const plan = { ...createDefaultPlan('m.onnx', 'm.onnx', ['rpi5']), verification: [measurement('int8-ptq', 0.01)] };
  const back = validatePlan(JSON.parse(JSON.stringify(plan)));
  assert.deepEqual(back.verification, plan.verification);
  // A plan saved before measurements kept their notes reads back with none; an over-long note is refused by name.
  const old = JSON.parse(JSON.stringify(plan));
  delete old.verification[0].notes;
  assert.deepEqual(validatePlan(old).verification?.[0].notes, []);
  const bad = (mutate: (v: Record<string, unknown>) => void, field: RegExp): void => {
    const v = JSON.parse(JSON.stringify(measurement('fp16', null)));
    mutate(v);
    assert.throws(() => validatePlan({ ...plan, verification: [v] }), (e: Error) => e instanceof PlanValidationError && field.test(e.message), field.source);
  };
  bad((v) => (v.technique = 'int3'), /verification\[0\]\.technique: "int3" is not a technique verify builds/);
  bad((v) => ((v.accuracy as unknown) = { original: 2, dropCi95: [0, 0] }), /verification\[0\]\.accuracy\.original: must be a number from 0 to 1/);
  bad((v) => ((v.latencyMs as { original: { p50: number } }).original.p50 = -1), /verification\[0\]\.latencyMs\.original\.p50/);
  bad((v) => ((v.outputs as unknown[])[0] = 'x'), /verification\[0\]\.outputs\[0\]: must be an object/);
  bad((v) => (v.notes = ['x'.repeat(2001)]), /verification\[0\]\.notes\[0\]: must be text of at most 2000 characters/);
  assert.throws(() => validateVerification({ ...measurement('fp16', null), data: { source: 'web' } }), /data\.source/);
  assert.deepEqual(withVerification([measurement('fp16', null), measurement('int8-ptq', 0.02)], measurement('int8-ptq', 0.03)).map((v) => [v.technique, v.accuracy?.drop]), [['fp16', undefined], ['int8-ptq', 0.03]]);
});

test('SQNR words survive the plan file and read as what they are in the exports; null (JSON of ±Infinity) is refused', async () => {
  const v: PlanVerification = { ...measurement('fp16', null), outputs: [{ name: 'zeros', cosine: 0, sqnrDb: 'no signal', maxAbsError: 0.5 }, { name: 'same', cosine: 1, sqnrDb: 'identical', maxAbsError: 0 }, { name: 'logits', cosine: 0.99, sqnrDb: 24.25, maxAbsError: 0.1 }], sensitiveLayers: [{ name: 'head', sqnrDb: 'no signal', dropDb: 300 }] };
  const plan = { ...createDefaultPlan('samples/tiny-cnn.onnx', 'tiny-cnn.onnx', ['rpi5']), verification: [v] };
  const back = validatePlan(JSON.parse(JSON.stringify(plan)));
  assert.deepEqual(back.verification![0].outputs.map((o) => o.sqnrDb), ['no signal', 'identical', 24.25]);
  assert.equal(back.verification![0].sensitiveLayers[0].sqnrDb, 'no signal');
  const withNull = JSON.parse(JSON.stringify(plan));
  withNull.verification[0].outputs[0].sqnrDb = null;
  assert.throws(() => validatePlan(withNull), /verification\[0\]\.outputs\[0\]\.sqnrDb: must be a number of dB, "identical" or "no signal"/);
  const analysis = await analyzeFile(sampleModel);
  const doc = buildPlanDocument({ analysis, modelFile: 'samples/tiny-cnn.onnx', deviceIds: ['rpi5'], budgets: {}, planJson: back });
  const table = buildReport(doc).sections.find((s) => s.id === 'measured')?.blocks.find((b) => b.kind === 'table' && b.id === 'measured-fp16');
  assert.ok(table && table.kind === 'table');
  const sqnrRow = (name: string) => table.rows.find((r) => r[0].text === `Output "${name}" SQNR (dB)`)![2];
  assert.deepEqual(sqnrRow('zeros'), { text: 'measured no signal (cosine 0.0000)' }, 'text, not a number or a blank');
  assert.deepEqual(sqnrRow('same'), { text: 'measured identical (cosine 1.0000)' });
  assert.deepEqual(sqnrRow('logits'), { text: 'measured 24.3 dB (cosine 0.9900)', value: 24.25 });
});

function pipeline(techniques: Recommendation['steps'][number]['technique'][], drop: number, meetsAll: boolean, extra: { runs?: boolean; missed?: Miss[] } = {}): Recommendation {
  return withWords({
    device: 'rpi5',
    steps: techniques.map((t) => ({ technique: t, title: t, why: '', expected: { accuracyDropPoints: { low: 0, typical: drop, high: drop * 2 } }, source: '', commands: [], effort: 'calibration-data' })),
    predicted: { latencyMs: { low: 1, typical: 2, high: 3 }, memoryBytes: 1e6, energyMj: null, accuracyDrop: { low: 0, typical: drop, high: drop * 2 } },
    meetsBudgets: { latency: true, accuracy: meetsAll },
    meetsAll: meetsAll && extra.runs !== false,
    runs: extra.runs ?? true,
    effort: 'calibration-data',
    missed: [...(extra.missed ?? []), ...(meetsAll ? [] : [{ kind: 'accuracy' as const, points: drop, budgetPoints: 1 }])],
    summaryBasis: { what: techniques.join(' → '), deviceName: 'Raspberry Pi 5', estimated: true, notes: '' },
  });
}

test('measured drops re-rank: over the budget falls behind, within it rises; without labels nothing is judged', () => {
  const rec: RecommendationResult = {
    device: 'rpi5',
    budgets: { accuracyDrop: 1 },
    recommendations: [pipeline(['int8-ptq'], 0.5, true), pipeline(['fp16'], 0.1, true), pipeline(['int4-weight-only'], 1.5, false)],
    alternatives: [],
    verdict: 'int8-ptq fits.',
    operations: [],
  };
  const r = applyMeasured(rec, [measurement('int8-ptq', 0.03), measurement('int4-weight-only', 0.004)]);
  assert.deepEqual(r.recommendations.map((x) => [x.steps[0].technique, x.meetsAll]), [['fp16', true], ['int4-weight-only', true], ['int8-ptq', false]]);
  const fallen = r.recommendations[2];
  assert.equal(fallen.steps[0].measured?.accuracyDropPoints, 3);
  assert.match(fallen.misses.join(), /measured on your data, the accuracy drop is 3\.00 points \(95 % interval 2\.00 to 4\.00, 200 samples\), above the 1 point budget/);
  assert.deepEqual(r.recommendations[1].misses, [], 'the predicted accuracy miss gives way to the measurement');
  assert.match(r.verdict, /Re-ranked by measurement on your data: int8-ptq breaks .*; int4-weight-only meets/);
  const unlabelled = applyMeasured(rec, [measurement('int8-ptq', null)]);
  assert.deepEqual(unlabelled.recommendations.map((x) => x.steps[0].technique), ['int8-ptq', 'fp16', 'int4-weight-only']);
  assert.equal(unlabelled.recommendations[0].steps[0].measured?.accuracyDropPoints, null);
  assert.equal(applyMeasured(rec, undefined), rec);
});

test('a measured pipeline: the summary gives the measured drop, other misses stay (whatever their words), the risks follow its accuracy check', () => {
  // A pipeline that cannot be estimated (its miss worded with "accuracy drop" in the reason) and misses the predicted
  // accuracy: only the not-estimable miss can keep meetsAll false once the measured drop meets the budget.
  const slow = pipeline(['int8-ptq'], 1.5, false, { runs: false, missed: [{ kind: 'not-estimable', deviceName: 'Raspberry Pi 5', error: 'the accuracy drop table has no row for this op' }] });
  const rec: RecommendationResult = { device: 'rpi5', budgets: { accuracyDrop: 1 }, recommendations: [slow], alternatives: [], verdict: '', operations: [] };
  const r = applyMeasured(rec, [measurement('int8-ptq', 0.004)]).recommendations[0];
  assert.deepEqual(r.missed.map((m) => m.kind), ['not-estimable'], 'the predicted accuracy miss goes, the other stays');
  assert.deepEqual(r.misses, ['cannot be estimated on Raspberry Pi 5: the accuracy drop table has no row for this op']);
  assert.equal(r.meetsAll, false, 'still misses: it cannot be estimated');
  assert.equal(r.meetsBudgets.accuracy, true);
  assert.deepEqual([r.measuredAccuracy?.points, r.measuredAccuracy?.ci95?.map((x) => Number(x.toFixed(6))), r.measuredAccuracy?.samples], [0.4, [-0.6, 1.4], 200]);
  assert.doesNotMatch(r.summary, /≈1\.5 points|predicted/, r.summary);
  assert.match(r.summary, /^int8-ptq: estimated 2\.00 ms \(1\.00-3\.00\), 1\.0 MB on Raspberry Pi 5, accuracy drop 0\.40 points \(95 % interval -0\.60 to 1\.40, 200 samples\) as measured on your data; misses: cannot be estimated/, r.summary);
  const over = applyMeasured(rec, [measurement('int8-ptq', 0.03)]).recommendations[0];
  assert.match(over.summary, /accuracy drop 3\.00 points .* as measured on your data; misses: cannot be estimated .*; measured on your data, the accuracy drop is 3\.00 points/, over.summary);

  // The risks read the pipeline's own accuracy decision: a partly measured pipeline (pruning not verified) is
  // judged on its prediction, not on the one step measured; a measured one on its measured drop.
  const plan = createDefaultPlan('m.onnx', 'm.onnx', ['rpi5']);
  plan.budgets = { accuracyDrop: 1 };
  const risky = (rr: RecommendationResult): string[] => derivedRisks([], rr, plan).map((x) => x.description).filter((d) => /accuracy points/.test(d));
  const partly = applyMeasured({ ...rec, recommendations: [pipeline(['structured-pruning', 'int8-ptq'], 1.5, false)] }, [measurement('int8-ptq', 0.004)]);
  assert.equal(partly.recommendations[0].measuredAccuracy, undefined);
  assert.equal(partly.recommendations[0].meetsBudgets.accuracy, false);
  assert.deepEqual(risky(partly), ['The recommended pipeline may cost up to 3.0 accuracy points, above the 1 point budget.']);
  const broken = applyMeasured({ ...rec, recommendations: [pipeline(['int8-ptq'], 0.5, true)] }, [measurement('int8-ptq', 0.02)]);
  assert.deepEqual(risky(broken), ['Measured on your data, the recommended pipeline loses 2.00 accuracy points, above the 1 point budget.']);
  const within = applyMeasured({ ...rec, recommendations: [pipeline(['int8-ptq'], 1.5, false)] }, [measurement('int8-ptq', 0.004)]);
  assert.deepEqual(risky(within), [], 'the prediction missed, the measurement passes');
});

test("a measured pipeline that does not run still meets nothing: judge's runs decides, and the words follow the misses", () => {
  // runs: false is what decides, whatever the misses say (here only the predicted accuracy miss, which the
  // measurement removes): reading the kinds of the misses instead would call this pipeline one that meets all.
  const stuck = pipeline(['int8-ptq'], 1.5, false, { runs: false });
  const rec: RecommendationResult = { device: 'rpi5', budgets: { accuracyDrop: 1 }, recommendations: [stuck, pipeline(['fp16'], 0.1, true)], alternatives: [], verdict: '', operations: [] };
  const out = applyMeasured(rec, [measurement('int8-ptq', 0.004)]);
  const r = out.recommendations.find((x) => x.steps[0].technique === 'int8-ptq')!;
  assert.deepEqual([r.runs, r.meetsBudgets.accuracy, r.meetsAll], [false, true, false]);
  assert.deepEqual(out.recommendations.map((x) => x.steps[0].technique), ['fp16', 'int8-ptq'], 'it does not rise above one that meets all');
  assert.doesNotMatch(out.verdict, /meets the accuracy budget as measured/);
  // misses and summary are re-derived from the new misses: the predicted accuracy miss's words are gone from both.
  assert.deepEqual([r.missed, r.misses], [[], []]);
  assert.doesNotMatch(r.summary, /expected accuracy drop|≈1\.5 points/, r.summary);
  const over = applyMeasured(rec, [measurement('int8-ptq', 0.03)]).recommendations.find((x) => x.steps[0].technique === 'int8-ptq')!;
  assert.equal(over.misses.length, over.missed.length);
  assert.match(over.misses[0], /^measured on your data, the accuracy drop is 3\.00 points/);
  assert.match(over.summary, /misses: measured on your data, the accuracy drop is 3\.00 points/, over.summary);
});

test('the report (all four exports) gets the measured table next to the predictions, every figure labelled', async () => {
  const analysis = await analyzeFile(sampleModel);
  const plan = { ...createDefaultPlan('samples/tiny-cnn.onnx', 'tiny-cnn.onnx', ['coral-usb']), verification: [measurement('int8-ptq', 0.004)] };
  const doc = buildPlanDocument({ analysis, modelFile: 'samples/tiny-cnn.onnx', deviceIds: ['coral-usb'], budgets: { accuracyDrop: 2 }, planJson: plan });
  const report = buildReport(doc);
  const section = report.sections.find((s) => s.id === 'measured');
  assert.ok(section, 'a measured section');
  const text = blocksToPlainText(section.blocks);
  assert.match(text, /Latency was measured on this machine, not on the target/);
  assert.match(text, /measured 0\.40 \(95 % interval -0\.60 to 1\.40\)/);
  assert.match(text, /predicted .* on Google Coral USB Accelerator/);
  assert.match(text, /measured on this machine: a test machine/);
  assert.match(text, /heavy|a\b/);
  const table = section.blocks.find((b) => b.kind === 'table' && b.id === 'measured-int8-ptq');
  assert.ok(table && table.kind === 'table');
  for (const row of table.rows) {
    for (const cell of row.slice(1, 3)) assert.ok(cell.text === '—' || /^(predicted|measured|not measured)/.test(cell.text), `unlabelled figure "${cell.text}"`);
  }
  const steps = report.sections.find((s) => s.id === 'pipeline')?.blocks.find((b) => b.kind === 'table' && b.id === 'pipeline-steps');
  if (steps && steps.kind === 'table' && doc.recommendation?.recommendations[0].steps.some((s) => s.technique === 'int8-ptq')) {
    assert.ok(steps.columns.some((c) => c.header === 'Accuracy drop (measured)'));
  }
});

test('the four files, reopened by LibreOffice and pdftotext, carry the measured table next to the predictions', { skip: SKIP_LO }, async () => {
  const analysis = await analyzeFile(sampleModel);
  const plan = { ...createDefaultPlan('samples/tiny-cnn.onnx', 'tiny-cnn.onnx', ['coral-usb']), verification: [measurement('int8-ptq', 0.004)] };
  const doc = buildPlanDocument({ analysis, modelFile: 'samples/tiny-cnn.onnx', deviceIds: ['coral-usb'], budgets: { accuracyDrop: 2 }, planJson: plan });
  const out = path.join(dir, 'four');
  const files = await exportPlan(doc, ['docx', 'xlsx', 'pdf', 'pptx'], out, {});
  const office = files.filter((f) => f.format !== 'pdf');
  const pdfs = libreOfficeToPdf(office.map((f) => f.file), path.join(dir, 'four-lo'));
  const text = (format: string): string => pdfText(format === 'pdf' ? files.find((x) => x.format === 'pdf')!.file : pdfs[office.findIndex((f) => f.format === format)]);
  // Word, PDF and PowerPoint print each figure with its label (wrapped table cells interleave in the extracted text).
  for (const format of ['docx', 'pdf', 'pptx']) {
    const t = text(format);
    assert.match(t, /Measured on your data and this machine/, format);
    assert.match(t, /predicted and measured/i, format);
    assert.match(t, /measured 0\.40 \(95 % interval/, `${format}: the measured accuracy drop, labelled`);
    assert.match(t, /predicted 0\.3–3 \(typical/, `${format}: the predicted accuracy drop, labelled`);
    assert.match(t, /measured 1\.2 → 0\.8 ms on/, `${format}: latency labelled as this machine's`);
    assert.match(t, /Latency was measured on this machine, not on the target/, format);
  }
  // The workbook labels them by column (Predicted, Measured), each row naming its unit; the numbers are numbers.
  const xlsx = text('xlsx');
  assert.match(xlsx, /Measured on your data and this machine/);
  assert.match(xlsx, /Figure Accuracy drop \(points\) .*Latency p50 \(ms\)/);
  assert.match(xlsx, /Predicted Measured Basis 1\.2 /);
  assert.match(xlsx, /measured on this machine: a test machine/);
  for (const n of ['0.4', '0.8', '31.5']) assert.ok(xlsx.includes(` ${n} `), `the workbook shows ${n}`);
});

test('edgeplan verify --plan records the measurement; edgeplan plan --plan shows it and the PDF carries the measured table', { skip: SKIP_NO_DIGITS }, async () => {
  const d = loadDigits();
  const rows = d.y.map((_, i) => i);
  const model = path.join(dir, 'mlp.onnx');
  writeMlpOnnx(trainMlp(d, rows.filter((i) => i % 3 !== 0), { epochs: 10 }), model);
  writeDigitsFolder(d, rows.filter((i) => i % 3 === 0).slice(0, 200), path.join(dir, 'data'));
  const planFile = path.join(dir, 'p.plan.json');
  assertOk(await runCli(['verify', model, '--technique', 'int8-ptq', '--data', path.join(dir, 'data'), '--out', path.join(dir, 'out'), '--plan', planFile, '--samples', '100', '--calibration-samples', '50'], { timeoutMs: 120_000 }));
  const saved = validatePlan(JSON.parse(fs.readFileSync(planFile, 'utf8')));
  assert.equal(saved.verification?.[0].technique, 'int8-ptq');
  assert.equal(saved.verification?.[0].data.evaluationSamples, 100);
  // The measurement keeps its notes: which arithmetic ran (the unsigned twin, for static INT8).
  assert.ok(saved.verification?.[0].notes.some((n) => /unsigned twin of the file/.test(n)), JSON.stringify(saved.verification?.[0].notes));
  const out = path.join(dir, 'exports');
  const r = await runCli(['plan', model, '--device', 'coral-usb', '--accuracy-drop', '5', '--plan', planFile, '--export', 'pdf', '--out', out, '--force'], { timeoutMs: 120_000 });
  assertOk(r);
  assert.match(r.stdout, /measured int8-ptq \(\d{4}-\d\d-\d\d, 100 samples of your data\): accuracy drop -?\d+\.\d\d points/);
  const pdf = fs.readdirSync(out).find((f) => f.endsWith('.pdf'))!;
  const text = execFileSync('pdftotext', ['-layout', path.join(out, pdf), '-']).toString();
  assert.match(text, /Measured on your data and this machine/);
  assert.match(text, /predicted and measured/);
  assert.match(text, /measured on this machine/);
  assert.match(text.replace(/\s+/g, ' '), /Measurement note: accuracy and fidelity of the int8 model: its integer arithmetic/);
});
