import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import calibration from '../../src/planner/catalog/calibration.json';
import { summarize, parseCsv, mapRow, type PointResult } from '../../scripts/calibration/fit';
import { lookupSplit, ruleSplit, SPLIT_RULE, type FrozenSplit } from '../../scripts/calibration/split';
import { loadCatalog } from '../../src/planner/catalog';
import { estimateDevice } from '../../src/planner/estimate';
import { repoRoot, sharedDir, SKIP_NO_SHARED, tempDir } from '../support/shared';

interface Summary { points: number; medianAbsLogError: number | null; p90AbsLogError: number | null; within1_5x: number | null; coverage: number | null; medianRangeWidth: number | null }
interface Doc {
  devices: Record<string, { computeScale: number; trainingPoints: number; heldOutMedianAbsLogError: number | null }>;
  summary: { heldOut: Summary; train: Summary; perDevice: Record<string, { train: Summary; heldOut: Summary }> };
  points: PointResult[];
}
const doc = calibration as unknown as Doc;

test('committed calibration: the held-out figures are what the points say', () => {
  const points = doc.points;
  assert.ok(points.length >= 60, `${points.length} points`);
  const held = points.filter((p) => p.split === 'held-out');
  assert.deepEqual(summarize(held), doc.summary.heldOut);
  assert.deepEqual(summarize(points.filter((p) => p.split === 'train')), doc.summary.train);
  for (const [id, s] of Object.entries(doc.summary.perDevice)) {
    assert.deepEqual(summarize(held.filter((p) => p.device === id)), s.heldOut, id);
    assert.equal((doc.devices as Record<string, { heldOutMedianAbsLogError: number | null }>)[id].heldOutMedianAbsLogError, s.heldOut.medianAbsLogError, id);
  }
  // Each point's own error and range flag agree with its numbers.
  for (const p of points) {
    assert.ok(Math.abs(p.absLogError - Math.abs(Math.log(p.estimateMs.typical / p.measuredMs))) < 2e-3, p.key);
    assert.equal(p.inRange, p.measuredMs >= p.estimateMs.low && p.measuredMs <= p.estimateMs.high, p.key);
  }
});

test('committed calibration: docs/CALIBRATION.md reports the same held-out numbers', () => {
  const md = fs.readFileSync(path.join(repoRoot, 'docs', 'CALIBRATION.md'), 'utf8');
  const h = doc.summary.heldOut;
  const x = (v: number) => `${Math.exp(v).toFixed(2)}x`;
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  const line = `| **all held-out** | ${doc.summary.train.points} | ${h.points} | ${x(h.medianAbsLogError!)} | ${x(h.p90AbsLogError!)} | ${pct(h.within1_5x!)} | ${pct(h.coverage!)} | ${h.medianRangeWidth!.toFixed(2)}x |`;
  assert.ok(md.includes(line), `CALIBRATION.md lacks: ${line}`);
  for (const [id, s] of Object.entries(doc.summary.perDevice)) {
    if (s.heldOut.medianAbsLogError === null) continue;
    assert.ok(md.includes(`| ${id} | ${s.train.points} | ${s.heldOut.points} | ${x(s.heldOut.medianAbsLogError)} |`), id);
  }
});

test('the estimator uses the committed factors: estimates match the calibration points', () => {
  // Re-estimate one held-out MCU point through the public API (catalog + calibration.json) and compare.
  const p = doc.points.find((q) => q.device === 'stm32l4' && q.split === 'held-out');
  assert.ok(p, 'a held-out stm32l4 point');
  const cal = (doc.devices as Record<string, { computeScale: number }>).stm32l4;
  assert.ok(cal.computeScale > 0);
  const e = estimateDevice(
    { file: 'x', format: 'onnx', bytes: 0, params: 0, weightBytes: 0, macs: 0, flops: 0, peakActivationBytes: 0, operatorCount: 0, opHistogram: {}, inputs: [], outputs: [], weightDtypes: {}, quantization: { state: 'float', weightPrecisions: {}, quantizedOps: 0, perChannel: false, notes: [] }, dynamicShapes: { symbols: [], bindings: {}, hasDynamic: false }, layers: [], subgraphCosts: [], compiledSegments: [], hasComputeGraph: true, metadata: {} },
    'stm32l4',
  );
  assert.equal(e.calibration!.points, (doc.devices as Record<string, { trainingPoints: number }>).stm32l4.trainingPoints);
  assert.equal(e.calibration!.medianAbsLogError, doc.summary.perDevice.stm32l4.heldOut.medianAbsLogError);
});

test('the split is frozen: every published row is in the committed split, assigned by the outcome-blind rule, and the calibration uses it', { skip: SKIP_NO_SHARED }, () => {
  const rows = parseCsv(fs.readFileSync(path.join(sharedDir, 'calibration', 'latency.csv'), 'utf8'));
  const frozen = JSON.parse(fs.readFileSync(path.join(repoRoot, 'scripts', 'calibration', 'heldout-split.json'), 'utf8')) as FrozenSplit;
  assert.equal(frozen.rule, SPLIT_RULE);
  for (const r of frozen.rows) assert.equal(r.split, ruleSplit(r.id), `${r.id} was moved by hand`);
  const found = lookupSplit(rows, frozen);
  const unfrozen = found.map((f, i) => (f ? null : rows[i].model)).filter(Boolean);
  assert.deepEqual(unfrozen, [], 'rows added to latency.csv must be frozen (node dist/scripts/calibration/freeze-split.js) and committed before they judge a change');
  const cat = loadCatalog();
  const heldKeys = new Set<string>();
  rows.forEach((r, i) => {
    const m = mapRow(r, i + 2, (id) => cat.byId(id)?.runtimes.map((x) => x.id) ?? []);
    if ('device' in m && found[i]!.split === 'held-out') heldKeys.add(m.key);
  });
  for (const p of doc.points) assert.equal(p.split === 'held-out', heldKeys.has(p.key), `${p.key}: committed split differs from the frozen one`);
});

test('scripts/calibration/calibrate.ts is deterministic and reproduces the committed MCU factors', { skip: SKIP_NO_SHARED || (!fs.existsSync(path.join(repoRoot, 'dist', 'scripts', 'calibration', 'calibrate.js')) && 'dist/scripts/calibration/calibrate.js not built') }, () => {
  const dir = tempDir('calib');
  try {
    const ids = ['stm32f7', 'stm32h7', 'stm32l4', 'stm32u5'];
    const outs = [1, 2].map((n) => {
      const out = path.join(dir, `cal${n}.json`);
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'scripts', 'calibration', 'calibrate.js'), '--devices', ids.join(','), '--out-json', out, '--out-md', '-'], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(fs.readFileSync(out, 'utf8'));
    });
    assert.deepEqual(outs[0].devices, outs[1].devices, 'two runs give the same factors');
    assert.deepEqual(outs[0].points, outs[1].points);
    for (const id of ids) assert.deepEqual(outs[0].devices[id], (doc.devices as Record<string, unknown>)[id], `${id} reproduces the committed factors`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
