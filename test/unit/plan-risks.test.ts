/**
 * The plan's risks and documents report a fallback or partition only for ops that remain in the graph each
 * device's toolchain runs, with the reason. FastestDet (a real PyTorch export in ../shared): on the Coral USB its
 * Gathers are channel-shuffle data gathers the TFLite converter keeps (a real fallback, named with its reason and
 * the partition it ends); on the A17 Pro Core ML lowers them to slices, so nothing of it is a risk there. The four
 * exported documents, read back by independent readers, carry the deployed-graph sentence of each device.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { analyzeFile } from '../../src/analyzers';
import { buildPlanDocument } from '../../src/planner/plan/document';
import { fallbackRisk } from '../../src/planner/plan/risks';
import { explainDeployed } from '../../src/planner/estimate/explain';
import { exportPlan } from '../../src/export';
import type { DeviceEstimate } from '../../src/planner/types';
import { SKIP_NO_SHARED, tempDir, unlabelled } from '../support/shared';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const SKIP_READERS = SKIP_NO_SHARED || (has('soffice') && has('pdftotext') ? false : 'LibreOffice (soffice) or poppler-utils is not installed; document read-back skipped');

async function fastestDetPlan() {
  const analysis = await analyzeFile(unlabelled('FastestDet.onnx'));
  return buildPlanDocument({ analysis, modelFile: 'FastestDet.onnx', deviceIds: ['coral-usb', 'apple-a17-pro', 'rpi5'], budgets: {}, precision: 'int8' });
}

test('FastestDet at int8: the Coral risk names the Gathers that remain with their reason and the partition; the A17 Pro, which lowers them to slices, has none', { skip: SKIP_NO_SHARED }, async () => {
  const doc = await fastestDetPlan();
  const [coral, a17] = doc.estimates;
  // The A17 Pro runs the Gathers as slices: no fallback, and its deployed graph says so.
  assert.equal(a17.compatibility.fallback.length, 0, JSON.stringify(a17.compatibility.fallback));
  assert.equal(a17.deployedGraph?.steps['lowered-to-slice'], 26);
  assert.equal(fallbackRisk(a17), null);
  // The Coral keeps them (data gathers, not shape arithmetic: the shape chains were folded).
  const gather = coral.compatibility.fallback.find((f) => f.op === 'Gather');
  assert.ok(gather && gather.count === 26 && gather.cause === 'op-unsupported', JSON.stringify(gather));
  assert.ok(!coral.compatibility.fallback.some((f) => /^(Shape|Unsqueeze|Cast|ConstantOfShape)$/.test(f.op)), 'no shape arithmetic falls back');
  // The fallback risks (a model outside a device's calibrated sizes is another risk, tested below).
  const risks = doc.plan.risks.map((r) => r.description).filter((r) => !/extrapolated on/.test(r));
  const coralRisks = risks.filter((r) => r.includes(coral.deviceName));
  assert.equal(coralRisks.length, 1, risks.join('\n'));
  assert.match(coralRisks[0], /GATHER is not supported by Edge TPU \(Gather ×26\)/);
  assert.match(coralRisks[0], /in the graph TFLite converter \+ edgetpu_compiler runs \(\d+ file nodes → \d+ layers after folding and fusion\)/);
  assert.match(coralRisks[0], /ends the accelerator's partition, so \d+ later op\(s\) run on the CPU as well/);
  assert.ok(!risks.some((r) => r.includes(a17.deviceName)), `no risk for the A17 Pro: ${risks.join('\n')}`);
  assert.ok(!risks.some((r) => /Shape|Unsqueeze/.test(r)), 'no risk names shape arithmetic');
  // The mitigation names only ops the accelerator cannot map, not the ones pushed to the CPU by the partition.
  const coralRisk = doc.plan.risks.find((r) => r.description.includes(coral.deviceName) && !/extrapolated on/.test(r.description))!;
  assert.match(coralRisk.mitigation, /Gather/);
  assert.doesNotMatch(coralRisk.mitigation, /\bConv\b/);
});

test('a precision gap is a risk that quantization removes; an accelerator that runs everything is no risk', () => {
  const base = (fallback: DeviceEstimate['compatibility']['fallback']): DeviceEstimate =>
    ({ deviceName: 'Edge TPU board', compatibility: { verdict: fallback.length ? 'none' : 'full', summary: '', accelerated: [], fallback, blockers: [] } }) as unknown as DeviceEstimate;
  const fp32 = fallbackRisk(base([{ op: 'Conv', nodes: ['c'], count: 12, reason: 'computes in fp32: the Edge TPU runs fully int8-quantised ops only', cause: 'edgetpu-not-int8' }]))!;
  assert.match(fp32.description, /12 op\(s\) in the graph run on the CPU: computes in fp32/);
  assert.match(fp32.mitigation, /^Quantize the model/);
  assert.doesNotMatch(fp32.mitigation, /rewrite/);
  assert.equal(fallbackRisk(base([])), null);
});

test('all four documents carry the graph each device runs, read back by independent readers', { skip: SKIP_READERS, timeout: 300_000 }, async () => {
  const doc = await fastestDetPlan();
  const dir = tempDir('plan-risks');
  try {
    const results = await exportPlan(doc, ['docx', 'xlsx', 'pdf', 'pptx'], path.join(dir, 'out'), {});
    const inDir = path.join(dir, 'in');
    fs.mkdirSync(inDir);
    for (const r of results) if (r.format !== 'pdf') fs.copyFileSync(r.file, path.join(inDir, `plan-${r.format}.${r.format}`));
    const profile = path.join(os.tmpdir(), `edgeplan-lo-risks-${process.pid}-${Date.now()}`);
    try {
      const lo = spawnSync('soffice', [`-env:UserInstallation=file://${profile}`, '--headless', '--norestore', '--convert-to', 'pdf', '--outdir', path.join(dir, 'pdf'), ...fs.readdirSync(inDir).map((f) => path.join(inDir, f))], { encoding: 'utf8', timeout: 240_000 });
      assert.equal(lo.status, 0, lo.stderr || lo.stdout);
    } finally {
      fs.rmSync(profile, { recursive: true, force: true });
    }
    const text = (pdf: string): string => {
      const r = spawnSync('pdftotext', ['-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.replace(/[\u200B-\u200F\u202A-\u202E]/g, '').replace(/\s+/g, ' ');
    };
    const docs: Record<string, string> = {
      pdf: text(results.find((r) => r.format === 'pdf')!.file),
      docx: text(path.join(dir, 'pdf', 'plan-docx.pdf')),
      xlsx: text(path.join(dir, 'pdf', 'plan-xlsx.pdf')),
      pptx: text(path.join(dir, 'pdf', 'plan-pptx.pdf')),
    };
    for (const e of doc.estimates) {
      // The sentence's opening (toolchain and node counts) — long sentences wrap differently in each format.
      const sentence = explainDeployed(e.deployedGraph!);
      const head = sentence.slice(0, sentence.indexOf(' layer') + ' layer'.length);
      assert.match(head, /^Estimated on the graph .+ runs: \d+ file nodes → \d+ layer$/);
      for (const [format, t] of Object.entries(docs)) assert.ok(t.includes(head), `${format} lacks "${head}" for ${e.device}`);
    }
    for (const [format, t] of Object.entries(docs)) {
      if (format === 'pptx') continue; // the slides show the risks table clipped; the notes carry it whole
      assert.ok(t.includes('GATHER is not supported by Edge TPU'), `${format}: the Coral fallback with its reason`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a latency budget inside the recommended pipeline\'s predicted range is a risk the plan names: the estimate does not decide it, a measurement does', async () => {
  const { undecidedLatencyRisk } = await import('../../src/planner/plan/risks');
  const sample = path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx');
  const analysis = await analyzeFile(sample);
  const base = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['rpi5'], budgets: {} });
  const r = base.estimates[0].latencyMs;
  assert.ok(r.low < r.typical && r.typical < r.high);
  // A budget between the typical figure and the high end: met on the typical figure only.
  const between = (r.typical + r.high) / 2;
  const doc = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['rpi5'], budgets: { latencyMs: between } });
  const top = doc.recommendation!.recommendations[0];
  assert.ok(top.predicted.latencyMs.low <= between && between < top.predicted.latencyMs.high, JSON.stringify(top.predicted.latencyMs));
  const risk = doc.plan.risks.find((k) => /does not decide the .* ms latency budget/.test(k.description));
  assert.ok(risk, doc.plan.risks.map((k) => k.description).join('\n'));
  assert.match(risk.description, /Raspberry Pi 5/);
  assert.match(risk.description, top.predicted.latencyMs.typical <= between ? /met on the typical figure, not over the whole range/ : /missed on the typical figure/);
  assert.match(risk.mitigation, /edgeplan measure tiny-cnn\.onnx --device rpi5/);
  assert.equal(risk.impact, 'high');
  // A budget above the whole range, or below it, is decided by the estimate: no such risk.
  const above = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['rpi5'], budgets: { latencyMs: r.high * 10 } });
  assert.ok(!above.plan.risks.some((k) => /does not decide/.test(k.description)));
  assert.equal(undecidedLatencyRisk(top, top.predicted.latencyMs.low / 2, 'm.onnx'), null, 'below the low end: missed whatever the truth in the range');
  assert.equal(undecidedLatencyRisk(top, undefined, 'm.onnx'), null);
  const missed = undecidedLatencyRisk(top, (top.predicted.latencyMs.low + top.predicted.latencyMs.typical) / 2, 'm.onnx');
  assert.ok(missed && missed.likelihood === 'high' && /missed on the typical figure, but the range reaches below it/.test(missed.description));
});

test('once the model as it is was measured on the target, the plan uses the measurement: the baseline and an unchanged pipeline carry it, and the budget is decided', async () => {
  const { addMeasurement, readStore, corrections } = await import('../../src/planner/estimate/measurements');
  const sample = path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx');
  const analysis = await analyzeFile(sample);
  const base = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['rpi5'], budgets: {} });
  const e = base.estimates[0];
  const budget = e.latencyMs.typical * 1.2;
  const before = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['rpi5'], budgets: { latencyMs: budget } });
  assert.ok(before.plan.risks.some((k) => /does not decide/.test(k.description)), 'estimated only: the budget lies inside the range');
  const store = path.join(tempDir('measured-plan'), 'm.json');
  const measuredMs = e.latencyMs.typical * 1.1;
  addMeasurement(store, { device: 'rpi5', model: 'tiny-cnn.onnx', measuredMs, estimatedMs: e.latencyMs.typical, precision: e.precision, source: 'typed', date: '2026-12-04' });
  const after = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['rpi5'], budgets: { latencyMs: budget }, corrections: corrections(readStore(store)) });
  const m = after.estimates[0];
  assert.deepEqual([m.latencyMs.low, m.latencyMs.typical, m.latencyMs.high].map((v) => +v.toFixed(9)), [measuredMs, measuredMs, measuredMs].map((v) => +v.toFixed(9)));
  assert.ok(m.assumptions.some((a) => a.startsWith('Latency measured, not estimated')), m.assumptions.join('\n'));
  const none = after.recommendation!.recommendations.find((r) => r.steps.every((s) => s.technique === 'none'));
  assert.ok(none, 'the model as it is meets the budget');
  assert.ok(Math.abs(none.predicted.latencyMs.high - measuredMs) < 1e-9, 'the unchanged pipeline carries the measurement');
  assert.deepEqual(none.predicted.latencyMeasured, { runs: 1 }, 'labelled as measured, not predicted');
  assert.match(none.summary, /ms \(measured on the device by you\)/);
  assert.deepEqual(m.latencyMeasured, { runs: 1 });
  assert.equal(base.estimates[0].latencyMeasured, undefined);
  // The exported report says which latency is measured: the device card and the recommended pipeline's facts.
  const { buildReport, blocksToPlainText } = await import('../../src/export/report');
  const text = (id: string, d: typeof after) => blocksToPlainText(buildReport(d).sections.find((x) => x.id === id)!.blocks);
  assert.match(text('devices', after), /Latency \(measured by you\)/);
  assert.doesNotMatch(text('devices', before), /measured by you/);
  assert.deepEqual(after.recommendation!.recommendations[0].predicted.latencyMeasured, { runs: 1 }, "the model as it is is the recommendation");
  assert.match(text("pipeline", after), /Measured latency \(your runs\)/);
  assert.match(buildReport(after).headline.sentence, /measured latency \(your own runs of this model on the device\)/);
  assert.ok(!after.plan.risks.some((k) => /does not decide/.test(k.description)), after.plan.risks.map((k) => k.description).join('\n'));
  // A compressed variant is not the measured file: it stays an estimate (corrected by the ratio), with a range.
  const compressed = after.recommendation!.recommendations.flatMap((r) => (r.steps.some((s) => s.technique !== 'none' && s.technique !== 'change-runtime') ? [r] : []));
  for (const r of compressed) assert.ok(r.predicted.latencyMs.low < r.predicted.latencyMs.high && !r.predicted.latencyMeasured, r.summary);
});

test('rangeVerdict: within (the whole range meets the budget), over (the whole range above it), else undecided on the typical figure\'s side', async () => {
  const { rangeVerdict } = await import('../../src/planner/budget-range');
  const r = { low: 2, typical: 4, high: 8 };
  assert.equal(rangeVerdict(r, 8), 'within');
  assert.equal(rangeVerdict(r, 100), 'within');
  assert.equal(rangeVerdict(r, 5), 'undecided-met');
  assert.equal(rangeVerdict(r, 4), 'undecided-met');
  assert.equal(rangeVerdict(r, 3), 'undecided-missed');
  assert.equal(rangeVerdict(r, 2), 'undecided-missed');
  assert.equal(rangeVerdict(r, 1.9), 'over');
  assert.equal(rangeVerdict({ low: 3, typical: 3, high: 3 }, 3), 'within', 'a measured figure is decided');
});

test('latencyMetOnTypicalOnly: a pipeline judged to meet every budget whose range straddles the latency budget', async () => {
  const { latencyMetOnTypicalOnly } = await import('../../src/planner/budget-range');
  const rec = (meetsAll: boolean, latencyMs = { low: 2, typical: 4, high: 8 }, latencyMeasured?: object) => ({ meetsAll, predicted: { latencyMs, latencyMeasured } });
  assert.equal(latencyMetOnTypicalOnly(rec(true), 5), true, 'met on the typical figure, the range reaches past it');
  assert.equal(latencyMetOnTypicalOnly(rec(true), 8), false, 'the whole range meets it');
  assert.equal(latencyMetOnTypicalOnly(rec(false), 5), false, 'a pipeline that misses a budget says what it misses');
  assert.equal(latencyMetOnTypicalOnly(rec(true), undefined), false, 'no latency budget');
  assert.equal(latencyMetOnTypicalOnly(rec(true, undefined, { runs: 3 }), 5), false, 'a measured latency is judged as it is');
  assert.equal(latencyMetOnTypicalOnly(rec(true, { low: NaN, typical: 4, high: NaN }), 5), false, 'no range, nothing to straddle');
});

test('a model outside the sizes a device is calibrated on gives one risk naming each such device, with its sentence and a measure command', async () => {
  const { extrapolationRisk } = await import('../../src/planner/plan/risks');
  const sample = path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx');
  const analysis = await analyzeFile(sample);
  const doc = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['rpi5', 'jetson-orin-nano', 'esp32-s3'], budgets: {} });
  const outside = doc.estimates.filter((e) => e.calibration?.outsideSpan);
  assert.ok(outside.length >= 2, `tiny-cnn (${analysis.model.macs} MACs) is below the networks the Pi 5 and the Jetson are calibrated on`);
  for (const e of outside) assert.ok(e.assumptions.includes(e.calibration!.outsideSpan!.sentence), 'the sentence is one of its assumptions');
  const risks = doc.plan.risks.filter((k) => /extrapolated on/.test(k.description));
  assert.equal(risks.length, 1, 'one risk for all such devices');
  for (const e of outside) {
    assert.ok(risks[0].description.includes(e.deviceName) && risks[0].description.includes(e.calibration!.outsideSpan!.sentence));
    assert.ok(risks[0].mitigation.includes(`edgeplan measure tiny-cnn.onnx --device ${e.device}`));
  }
  // The documents label such a latency as an extrapolated estimate.
  const { buildReport, blocksToPlainText } = await import('../../src/export/report');
  const text = buildReport(doc).sections.map((s) => blocksToPlainText(s.blocks)).join('\n');
  assert.equal(text.split('Latency (extrapolated estimate):').length - 1, outside.length, text);
  const inside = doc.estimates.filter((e) => !e.calibration?.outsideSpan);
  assert.equal(extrapolationRisk(inside, 'm.onnx'), null, 'no device outside its span: no risk');
  const measured = outside.map((e, i) => (i === 0 ? { ...e, latencyMeasured: { runs: 3 } } : { ...e, latencyCorrected: { runs: 1, factor: 1.2 } }));
  assert.equal(extrapolationRisk(measured, 'm.onnx'), null, 'a figure measured or corrected by the user\'s runs is not extrapolated any more');
});
