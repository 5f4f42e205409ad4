/**
 * The CLI's verdict per recommended pipeline: "meets every budget" only when the predicted latency range is under the
 * budget; met on the typical figure with the budget inside the range says that the estimate does not decide it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import { buildPlanDocument } from '../../src/planner/plan/document';
import { formatRecommendation } from '../../src/cli/format';
import { rangeVerdict } from '../../src/planner/budget-range';

const sample = path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx');

test('plan: a latency budget inside a pipeline\'s predicted range is "not decided", one above the range is met', async () => {
  const analysis = await analyzeFile(sample);
  const lines = (latencyMs: number) => {
    const doc = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['coral-usb'], budgets: { latencyMs, memoryMb: 64, accuracyDrop: 2 } });
    const recs = doc.recommendation!.recommendations;
    const text = formatRecommendation(doc).split('\n').filter((l) => /^\d+\. /.test(l));
    assert.equal(text.length, recs.length);
    return recs.map((r, i) => ({ verdict: rangeVerdict(r.predicted.latencyMs, latencyMs), meetsAll: r.meetsAll, line: text[i] }));
  };
  // Halfway between the top pipeline's typical and high latency: met on the typical figure, not over the range.
  const probe = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['coral-usb'], budgets: { latencyMs: 1000, memoryMb: 64, accuracyDrop: 2 } });
  const top = probe.recommendation!.recommendations[0].predicted.latencyMs;
  const inside = lines((top.typical + top.high) / 2);
  assert.ok(inside.some((x) => x.verdict === 'undecided-met' && x.meetsAll), JSON.stringify(inside));
  for (const x of inside) {
    if (x.meetsAll && x.verdict === 'undecided-met') assert.match(x.line, /meets every budget on typical figures \(the latency budget lies inside the range: not decided\)$/);
    if (x.meetsAll && x.verdict === 'within') assert.match(x.line, /meets every budget$/);
  }
  // A budget above every range: plainly met.
  for (const x of lines(top.high * 100)) if (x.meetsAll) assert.match(x.line, /meets every budget$/, x.line);
  // The recommender's own words (verdict and each pipeline's summary, shown by every surface) say the same.
  const budget = (top.typical + top.high) / 2;
  const doc = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['coral-usb'], budgets: { latencyMs: budget, memoryMb: 64, accuracyDrop: 2 } });
  const rec = doc.recommendation!;
  assert.match(rec.verdict, new RegExp(`whose predicted latency range reaches past the ${+budget.toPrecision(3)} ms budget \\(not decided by the estimate`));
  const straddling = rec.recommendations.filter((r) => r.meetsAll && rangeVerdict(r.predicted.latencyMs, budget) === 'undecided-met');
  assert.ok(straddling.length > 0);
  for (const r of straddling) assert.match(r.summary, /meets every budget on its typical figures \(the .* ms latency budget lies inside the predicted range: not decided/);
  // The CLI prints the plan's risks too, among them the undecided budget with its measure command.
  const printed = formatRecommendation(doc);
  assert.match(printed, /\nRisks\n/);
  assert.match(printed, /\[likelihood medium, impact high\] The estimate does not decide the .* ms latency budget on Google Coral USB Accelerator/);
  assert.match(printed, /Mitigation: Measure the model on Google Coral USB Accelerator .*edgeplan measure tiny-cnn\.onnx --device coral-usb/);
  const wide = buildPlanDocument({ analysis, modelFile: 'tiny-cnn.onnx', deviceIds: ['coral-usb'], budgets: { latencyMs: top.high * 100, memoryMb: 64, accuracyDrop: 2 } }).recommendation!;
  assert.doesNotMatch(wide.verdict, /not decided/);
});
