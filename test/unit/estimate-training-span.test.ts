/**
 * The sizes a device's calibration measured (calibration.json trainingSpan): an estimate of a model larger or smaller
 * than every network the device's training points ran says that it extrapolates the fit, and by how much.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import { estimateDevice, outsideTrainingSpan } from '../../src/planner/estimate';
import { explainNote } from '../../src/planner/estimate/explain';
import { parseCalibration, type TrainingSpan } from '../../src/planner/catalog/calibration';
import { trainingSpanOf } from '../../scripts/calibration/fit';
import calibrationJson from '../../src/planner/catalog/calibration.json';
import { writeReferenceModel } from '../support/modelgen/reference-archs';
import { tempDir } from '../support/shared';

const doc = JSON.parse(JSON.stringify(calibrationJson));
const calibration = parseCalibration(doc);
const networks: Record<string, { macs: number | null }> = doc.referenceNetworks;

test('trainingSpanOf takes the smallest and largest rebuilt network by MACs, and LLM decode points by weight bytes', () => {
  const macs = { a: { macs: 5e6 }, b: { macs: 3e9 }, c: { macs: null }, d: { macs: 4e8 } };
  const span = trainingSpanOf([{ arch: 'd', llm: null }, { arch: 'b', llm: null }, { arch: 'a', llm: null }, { arch: 'c', llm: null }, { arch: null, llm: { weightBytes: 2e9, basis: 'x' } }, { arch: null, llm: { weightBytes: 7e8, basis: 'y' } }], macs);
  assert.deepEqual(span.graph, { points: 3, minMacs: 5e6, maxMacs: 3e9, smallest: 'a', largest: 'b' });
  assert.deepEqual(span.decode, { points: 2, minWeightBytes: 7e8, maxWeightBytes: 2e9 });
  assert.deepEqual(trainingSpanOf([{ arch: 'c', llm: null }], macs), {}, 'a network without a MAC count gives no span');
});

test('every calibrated device states the span of its training networks, and it matches the rebuilt networks\' MACs', () => {
  for (const [id, cal] of Object.entries(calibration.devices)) {
    const g = cal.trainingSpan?.graph;
    assert.ok(g || cal.trainingSpan?.decode, `${id} has a training span`);
    if (!g) continue;
    assert.equal(networks[g.smallest]?.macs, g.minMacs, `${id}: smallest`);
    assert.equal(networks[g.largest]?.macs, g.maxMacs, `${id}: largest`);
    assert.ok(g.points >= 1 && g.points <= cal.trainingPoints, `${id}: ${g.points} of ${cal.trainingPoints} points`);
  }
});

test('an estimate of a model outside the device\'s calibrated sizes says so, with the ratio and the nearest network; inside it says nothing', async () => {
  const dir = tempDir('training-span');
  try {
    const file = path.join(dir, 'mnv2.onnx');
    writeReferenceModel('mobilenet_v2_1.0_224', file);
    const { model } = await analyzeFile(file);
    const macs = model.macs!;
    let above = 0;
    let inside = 0;
    for (const [id, cal] of Object.entries(calibration.devices)) {
      const g = cal.trainingSpan?.graph;
      if (!g) continue;
      const e = estimateDevice(model, id);
      if (!Number.isFinite(e.latencyMs.typical)) continue;
      const said = e.assumptions.find((a) => a.startsWith('Outside the calibrated sizes'));
      if (macs > g.maxMacs) {
        assert.ok(said, `${id}: ${macs} MACs above its largest ${g.maxMacs}`);
        const ratio = macs / g.maxMacs;
        assert.ok(said.includes(`is ${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}x larger than the largest network`), said);
        assert.ok(said.includes(`(${g.largest}, `), said);
        assert.ok(said.includes(`network in the ${g.points} published network measurement`), said);
        assert.ok(said.includes(`ranges held ${Math.round(calibration.spanCheck!.heldOutOutside.coverage * 100)} % of the ${calibration.spanCheck!.heldOutOutside.points} held-out points`), 'the estimate quotes the calibration\'s checks');
        above++;
      } else if (macs >= g.minMacs) {
        assert.equal(said, undefined, `${id}: inside its span, nothing said`);
        inside++;
      } else {
        assert.ok(said?.includes('smaller than the smallest network'), `${id}: ${said}`);
      }
    }
    assert.ok(above > 0, 'a microcontroller calibrated on small networks is asked about a 300 M MAC network');
    assert.ok(inside > 0, 'a device whose training networks include this size');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an extrapolated estimate quotes how the calibration\'s own checks covered estimates outside their device\'s span, held-out and training apart', () => {
  const c = calibration.spanCheck!;
  assert.ok(c, 'calibration.json carries summary.heldOutBySpan and rangeRuleCheck.outsideSpan');
  assert.equal(c.heldOutOutside.points, doc.summary.heldOutBySpan.outside.points);
  assert.equal(c.trainingOutside.points, doc.rangeRuleCheck.outsideSpan.points);
  const graph: TrainingSpan = { graph: { points: 3, minMacs: 2e6, maxMacs: 4e9, smallest: 'a', largest: 'b' } };
  const said = explainNote(outsideTrainingSpan(graph, 'dev', { basis: 'per-inference' }, 8e9, 0, c)!);
  const pc = (x: number) => `${Math.round(x * 100)} %`;
  assert.ok(said.includes(`ranges held ${pc(c.heldOutOutside.coverage)} of the ${c.heldOutOutside.points} held-out points outside their device's span (${pc(c.heldOutInside.coverage)} of the ${c.heldOutInside.points} inside)`), said);
  assert.ok(said.includes(`${pc(c.trainingOutside.coverage)} of the ${c.trainingOutside.points} training points that, left out, lay outside`), said);
  // Without the checks (an older calibration file), the sentence says what the range rests on.
  const bare = explainNote(outsideTrainingSpan(graph, 'dev', { basis: 'per-inference' }, 8e9, 0)!);
  assert.match(bare, /The range rests on points inside that span; expect a larger error than it says\.$/);
});

test('outsideTrainingSpan compares an LLM\'s weight bytes per token with the decode points, and says nothing without a span or a latency', () => {
  const decode: TrainingSpan = { decode: { points: 2, minWeightBytes: 1e9, maxWeightBytes: 4e9 } };
  const big = outsideTrainingSpan(decode, 'dev', { basis: 'per-token' }, null, 8e9);
  assert.deepEqual(big, { kind: 'outside-training-span', deviceId: 'dev', measure: 'weight-bytes', side: 'above', value: 8e9, bound: 4e9, network: null, points: 2, check: null });
  assert.match(explainNote(big!), /is 2\.0x larger than the largest language model in the 2 published LLM decode measurements dev is calibrated on \(3\.73 GiB of weights read per token\)/);
  assert.equal(outsideTrainingSpan(decode, 'dev', { basis: 'per-token' }, null, 2e9), null, 'inside');
  const graphOnDecodeOnly = outsideTrainingSpan(decode, 'dev', { basis: 'per-inference' }, 1e9, 0);
  assert.equal(graphOnDecodeOnly?.side, 'none', 'a network on a device calibrated on LLM decodes only');
  assert.match(explainNote(graphOnDecodeOnly!), /all 2 published measurements dev is calibrated on are LLM decodes; this network's compute \(1 GMACs\) rests on the prior compute efficiency/);
  assert.equal(outsideTrainingSpan(decode, 'dev', { basis: 'unknown' }, null, 8e9), null, 'no latency, no sentence');
  const graph: TrainingSpan = { graph: { points: 3, minMacs: 2e6, maxMacs: 4e9, smallest: 'ds_cnn_kws', largest: 'resnet50_224' } };
  const none = outsideTrainingSpan(graph, 'dev', { basis: 'per-inference' }, 0, 0);
  assert.equal(none?.side, 'below');
  assert.match(explainNote(none!), /this model \(0 MACs\) is smaller than the smallest network in the 3 published network measurements dev is calibrated on \(ds_cnn_kws, 2 MMACs\); per-op dispatch/);
  assert.match(explainNote(outsideTrainingSpan(graph, 'dev', { basis: 'per-inference' }, 1e5, 0)!), /is 20x smaller than the smallest/);
  // An LLM on a device calibrated on networks only: its per-token time rests on the prior memory efficiency.
  const llm = outsideTrainingSpan(graph, 'dev', { basis: 'per-token' }, null, 2 * 1024 ** 3);
  assert.equal(llm?.side, 'none');
  assert.match(explainNote(llm!), /none of the 3 published measurements dev is calibrated on is an LLM decode .*; the per-token time \(2\.00 GiB of weights read per token\) rests on the prior memory efficiency/);
  assert.equal(outsideTrainingSpan(undefined, 'dev', { basis: 'per-token' }, null, 1e9), null, 'no span recorded: nothing said');
});
