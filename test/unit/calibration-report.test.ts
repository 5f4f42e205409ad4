import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import calibration from '../../src/planner/catalog/calibration.json';
import { summarize, parseCsv, mapRow, mapEnergyRow, energyRowLatency, predictionBand, rangeBand, singleSourceSimulation, uncalibratedHalf, rangeRuleCheck, runtimeBands, RUNTIME_RANGE_MIN_POINTS, type EnergyPoint, type EnergyRow, type PointResult, type CalPoint } from '../../scripts/calibration/fit';
import { lookupSplit, ruleSplit, SPLIT_RULE, type FrozenSplit } from '../../scripts/calibration/split';
import { dominantScale } from '../../scripts/calibration/group-fit';
import { defaultRuntime, loadCatalog } from '../../src/planner/catalog';
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
  // energy.csv's performance-mode latencies are points too, on the side their energy row was frozen on.
  const energyCsv = parseCsv(fs.readFileSync(path.join(sharedDir, 'calibration', 'energy.csv'), 'utf8'));
  const energyRows = energyCsv as unknown as EnergyRow[];
  const energyFound = lookupSplit(energyCsv, JSON.parse(fs.readFileSync(path.join(repoRoot, 'scripts', 'calibration', 'energy-split.json'), 'utf8')) as FrozenSplit);
  let fromEnergy = 0;
  energyRows.forEach((r, i) => {
    const row = energyRowLatency(r);
    const m = row ? mapRow(row, i + 2, (id) => cat.byId(id)?.runtimes.map((x) => x.id) ?? []) : null;
    if (!m || !('device' in m) || !energyFound[i]) return;
    fromEnergy++;
    assert.ok(doc.points.some((p) => p.key === m.key), `${m.key}: an energy row's latency is a calibration point`);
    if (energyFound[i]!.split === 'held-out') heldKeys.add(m.key);
  });
  assert.ok(fromEnergy > 0, 'energy.csv rows carry latencies');
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
    // The fitted factors reproduce; the ranges (the device's and its runtimes') depend on the spread pooled over every
    // device, so a run on a subset of devices cannot reproduce them, and they are not re-derived here (only a full run
    // would; the tests above re-summarise the committed points, they do not refit). Which runtimes have a range of
    // their own, on how many points, does not depend on the pool.
    const factorsOf = (e: Record<string, unknown>) => Object.fromEntries(Object.entries(e).filter(([k]) => !['range', 'rangeBasis', 'runtimeRanges', 'note', 'heldOutMedianAbsLogError', 'heldOutPoints'].includes(k)));
    const runtimeRangePoints = (e: Record<string, unknown>) => Object.fromEntries(Object.entries((e.runtimeRanges ?? {}) as Record<string, { points: number; sources: number }>).map(([k, v]) => [k, [v.points, v.sources]]));
    for (const id of ids) {
      const committed = (doc.devices as Record<string, Record<string, unknown>>)[id];
      assert.deepEqual(factorsOf(outs[0].devices[id]), factorsOf(committed), `${id} reproduces the committed factors`);
      assert.deepEqual(runtimeRangePoints(outs[0].devices[id]), runtimeRangePoints(committed), `${id}: the same runtimes have a range of their own`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('calibrate.js --held-out omit (a registered candidate\'s run): the same training fit, and no held-out point is read or reported', { skip: SKIP_NO_SHARED || (!fs.existsSync(path.join(repoRoot, 'dist', 'scripts', 'calibration', 'calibrate.js')) && 'dist/scripts/calibration/calibrate.js not built') }, () => {
  const dir = tempDir('calib-omit');
  try {
    const run = (extra: string[]) => {
      const out = path.join(dir, `cal${extra.length}.json`);
      const md = path.join(dir, `cal${extra.length}.md`);
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'scripts', 'calibration', 'calibrate.js'), '--devices', 'stm32f7,stm32u5', '--out-json', out, '--out-md', md, ...extra], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      return { doc: JSON.parse(fs.readFileSync(out, 'utf8')), md: fs.readFileSync(md, 'utf8'), log: r.stderr };
    };
    const read = run([]);
    const omit = run(['--held-out', 'omit']);
    assert.ok(read.doc.summary.heldOut.points > 0, 'the subset has held-out points to leave out');
    assert.equal(omit.doc.summary.heldOut.points, 0);
    assert.ok(omit.doc.points.every((p: { split: string }) => p.split === 'train'));
    assert.match(omit.md, /\| \*\*all held-out\*\* \| \d+ \| 0 \| n\/a \|/);
    assert.match(omit.log, /held-out: 0 points/);
    const factorsOf = (e: Record<string, unknown>) => Object.fromEntries(Object.entries(e).filter(([k]) => !['note', 'heldOutMedianAbsLogError', 'heldOutPoints'].includes(k)));
    for (const id of ['stm32f7', 'stm32u5']) assert.deepEqual(factorsOf(omit.doc.devices[id]), factorsOf(read.doc.devices[id]), `${id}: the same fit and range`);
    assert.deepEqual(omit.doc.crossValidation, read.doc.crossValidation, 'the same training cross-validation');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('calibrate.js refuses an unknown flag, a flag without its value and an unknown device before doing any work', { skip: !fs.existsSync(path.join(repoRoot, 'dist', 'scripts', 'calibration', 'calibrate.js')) && 'dist/scripts/calibration/calibrate.js not built' }, () => {
  const dir = tempDir('calib-args');
  try {
    const out = path.join(dir, 'cal.json');
    for (const [args, says] of [[['--bogus', 'x'], /unknown argument "--bogus"/], [['--devices'], /--devices needs a value/], [['--devices', 'no-such-board'], /no-such-board not in the catalog/], [['--held-out', 'maybe'], /--held-out must be read or omit, got "maybe"/]] as const) {
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'scripts', 'calibration', 'calibrate.js'), ...args, '--out-json', out, '--out-md', '-'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, says);
      assert.match(r.stderr, /^usage: node dist\/scripts\/calibration\/calibrate\.js/m);
      assert.ok(!fs.existsSync(out), `${args.join(' ')} wrote nothing`);
    }
    const help = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'scripts', 'calibration', 'calibrate.js'), '--help'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(help.status, 0);
    assert.match(help.stderr, /^usage: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the range rule (v4): a device without points gets the widest range; every range says its basis and sources', () => {
  const full = calibration as unknown as { devices: Record<string, { trainingPoints: number; range: { low: number; high: number }; sources?: string[]; rangeBasis?: string }>; uncalibratedRange: { low: number; high: number } };
  const entries = Object.entries(full.devices);
  for (const [a, ea] of entries) {
    assert.ok(full.uncalibratedRange.high / full.uncalibratedRange.low >= ea.range.high / ea.range.low - 1e-6, `uncalibrated is narrower than ${a}`);
    assert.ok(Math.abs(Math.log(ea.range.high) + Math.log(ea.range.low)) < 1e-3, `${a}: the range is symmetric in ln`);
    assert.ok(ea.sources && ea.sources.length > 0, `${a} names its sources`);
    assert.match(ea.rangeBasis ?? '', /^85th percentile of (\|error\| over its \d+ residual\(s\) cross-validated by point|the \|error\| pooled over every calibrated device)/, a);
  }
  const uncal = loadCatalog().devices.find((d) => !full.devices[d.id]);
  if (uncal) {
    const e = estimateDevice(sampleProfile(), uncal.id);
    assert.ok(Math.abs(e.latencyMs.high / e.latencyMs.low - full.uncalibratedRange.high / full.uncalibratedRange.low) < 1e-6, `${uncal.id} uses the uncalibrated range`);
  }
  const [id, cal] = entries[0];
  const e = estimateDevice(sampleProfile(), id);
  assert.deepEqual(e.calibration!.sources, cal.sources);
  assert.ok(e.assumptions.some((a) => a.includes(`from ${cal.sources!.length} source`) && cal.sources!.every((s) => a.includes(s))), 'the estimate names what it is calibrated on');
  // And how it did on publications the fit had not seen (cross-validation by source), as calibration.json reports it.
  const cv = (full as unknown as { crossValidation: Record<string, { sources: number; bySource: { points: number; medianAbsLogError: number | null; coverage: number | null } }> }).crossValidation;
  let checked = 0;
  for (const [dev, c] of Object.entries(cv)) {
    const text = estimateDevice(sampleProfile(), dev).assumptions.join(' ');
    if (c.sources > 1 && c.bySource.points > 0) {
      checked++;
      // The default runtime's own points against its own range where it has one (rule v6), else the device's.
      const runtime = defaultRuntime(loadCatalog().byId(dev)!);
      const own = (full.devices[dev] as unknown as { runtimeRanges?: Record<string, { bySource?: { points: number; medianAbsLogError: number | null; coverage: number | null } }> }).runtimeRanges?.[runtime]?.bySource;
      const b = own && own.points > 0 ? own : c.bySource;
      const words = `each of its ${c.sources} sources left out in turn, ${b.points} ${own && own.points > 0 ? `${runtime} ` : ''}points) the median error was x${Math.exp(b.medianAbsLogError!).toFixed(2)} and this range covered ${Math.round(b.coverage! * 100)} % of those points`;
      assert.ok(text.includes(words), `${dev}: ${words}`);
    } else {
      assert.match(text, /Not checked on a publication the fit has not seen: all its points come from one source/, dev);
      // What a single-source range met elsewhere (the single-source simulation), as calibration.json reports it.
      const sim = (full as unknown as { singleSourceCheck: { points: number; v5: { coverage: number } } }).singleSourceCheck;
      assert.ok(text.includes(`a range built from one publication covered ${Math.round(sim.v5.coverage * 100)} % of another publication's points (${sim.points} points, single-source simulation)`), dev);
    }
  }
  assert.ok(checked >= 5, `devices with a by-source check: ${checked}`);
});

test('predictionBand (rule v4): the 85th percentile of |r|, own residuals weighing 1 each and the pool 4 points together; monotone in the number of points', () => {
  const pooled = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0].map((v, i) => (i % 2 ? -v : v));
  // No point of its own: the pool's weights 0.4 each reach 0.85 x 4 = 3.4 at the 9th value.
  assert.equal(predictionBand([], pooled).half, 0.9);
  // Three small residuals (weight 3) and the pool (4): 0.85 x 7 = 5.95 is reached at the 8th pooled value.
  assert.equal(predictionBand([0.05, -0.05, 0.05], pooled).half, 0.8);
  const few = predictionBand([0.1], pooled);
  const many = predictionBand(new Array(20).fill(0.1), pooled);
  assert.ok(few.high > many.high, 'one small residual does not give a narrow range');
  assert.ok(Math.abs(Math.log(few.high) + Math.log(few.low)) < 1e-9, 'symmetric in ln');
  assert.equal(predictionBand([5], []).half, Math.log(10), 'clamped to x10');
  // With residuals smaller than the pool's, fewer points never give a narrower range (few points cannot claim a
  // precision they have not shown). Larger residuals move the range toward the device's own wider one.
  for (const r of [0.05, 0.2, 0.4]) {
    let previous = Infinity;
    for (const n of [1, 2, 3, 5, 8, 13, 21]) {
      const band = predictionBand(new Array(n).fill(r), pooled);
      assert.ok(band.high <= previous + 1e-12, `residual ${r}: ${n} points give x${band.high}, fewer gave x${previous}`);
      previous = band.high;
    }
  }
  assert.ok(predictionBand(new Array(8).fill(1.5), pooled).half > predictionBand([], pooled).half, 'a noisy device keeps its wider range');
  // Uncalibrated priors get the widest range: at least every calibrated device's, at least the pooled band.
  assert.equal(uncalibratedHalf([0.3, 2], pooled), 2, 'a calibrated range wider than the pooled band raises it');
  assert.equal(uncalibratedHalf([0.3, 0.6], pooled), 0.9, 'else the pooled band');
});

test('rangeRuleCheck: each residual against the range the rule gives without it; coverage next to width', () => {
  // Worked by hand: r = 0.1 and 0.2 (device A) are each inside x e^+/-0.3 (the 85th percentile of the other A
  // residual, weight 1, and the pool of the remaining two, weight 4); r = 0.3 (device B, alone) is outside e^+/-0.2.
  const tag = (r: number, runtime = 'rt', publication = 'p') => ({ r, runtime, publication });
  const c = rangeRuleCheck([{ residuals: [tag(0.1), tag(-0.2, 'rt', 'q')], sources: 2 }, { residuals: [tag(0.3)], sources: 1 }]);
  assert.equal(c.points, 3);
  assert.ok(Math.abs(c.coverage - 2 / 3) < 1e-12);
  assert.ok(Math.abs(c.medianWidth - Math.exp(0.6)) < 1e-9);
  // Rule v8: A's two points share a runtime, so each is judged by that runtime's range from the other (one point,
  // one publication: floored at the pool's band, 0.3 here as well); B's lone point by its device's range.
  assert.equal(c.runtimeRanges.points, 3, 'every runtime with a point has a range of its own');
  assert.equal(c.fewPointRuntimes.points, 2, 'the points judged by a runtime range resting on 1 to 4 others');
  assert.deepEqual(c.byGroup.map((g) => [g.points, g.coverage]), [[2, 1], [1, 0]]);
});

test('runtimeBands and rangeRuleCheck (rules v6, v8): every runtime with a point on a device gets its own range, shrunk toward the pool; one runtime\'s contradictions widen its own range, not another\'s', () => {
  const pooled = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0].map((v, i) => (i % 2 ? -v : v));
  const tag = (r: number, runtime: string, publication: string) => ({ r, runtime, publication });
  // Six tight XNNPACK residuals from two publications, two contradictory OpenVINO ones, one NCNN one.
  const own = [0.05, -0.05, 0.1, -0.1, 0.05, 0.1].map((r, i) => tag(r, 'xnnpack', i % 2 ? 'a' : 'b')).concat([tag(1.5, 'openvino', 'c'), tag(-1.4, 'openvino', 'c'), tag(0.2, 'ncnn', 'd')]);
  assert.equal(RUNTIME_RANGE_MIN_POINTS, 1);
  const bands = runtimeBands(own, pooled);
  assert.deepEqual(Object.keys(bands), ['ncnn', 'openvino', 'xnnpack']);
  assert.deepEqual([bands.xnnpack.points, bands.xnnpack.sources, bands.openvino.points, bands.ncnn.points], [6, 2, 2, 1]);
  // Rule v5 on the six XNNPACK residuals alone (two publications: no floor).
  assert.equal(bands.xnnpack.half, rangeBand([0.05, -0.05, 0.1, -0.1, 0.05, 0.1], pooled, 2).half);
  const device = rangeBand(own.map((x) => x.r), pooled, 4).half;
  assert.ok(bands.xnnpack.half < device, `xnnpack x${Math.exp(2 * bands.xnnpack.half)} narrower than the device's x${Math.exp(2 * device)}`);
  // OpenVINO's two residuals (weight 1 each) and the pool (0.4 each): 0.85 x 6 = 5.1 is reached at 1.5, its own.
  assert.equal(bands.openvino.half, 1.5);
  assert.ok(bands.openvino.half > device, 'its contradiction is its own range\'s, wider than the device\'s');
  // One point near the pool's middle: the pool's band (one publication, floored there).
  assert.equal(bands.ncnn.half, predictionBand([], pooled).half);
  // From one publication: floored at the pool's band, as rule v5 floors a single-publication device.
  const single = runtimeBands(own.map((x) => ({ ...x, publication: 'a' })), pooled);
  assert.equal(single.xnnpack.half, predictionBand([], pooled).half);
  // The nested check applies the rule as estimates do: a point left out is judged by its runtime's range from that
  // runtime's other points where there are any (XNNPACK 5 others, OpenVINO 1 other), else by its device's range
  // (NCNN: its only point).
  const check = rangeRuleCheck([{ residuals: own, sources: 4 }, { residuals: pooled.map((r, i) => tag(r, `runtime-${i}`, 'z')), sources: 1 }]);
  assert.equal(check.points, own.length + pooled.length);
  assert.equal(check.fewPointRuntimes.points, 2, 'the two OpenVINO points, each with one other');
  assert.equal(check.fewPointRuntimes.coverage, 0.5, '-1.4 lies inside the range 1.5 gives, 1.5 outside the one -1.4 gives');
  assert.equal(check.byGroup[0].points, own.length);
});

test('rangeRuleCheck reports the extrapolated points (outside the span of their device\'s other points) apart, judged by the same rule', () => {
  const tag = (r: number, outside = false) => ({ r, runtime: 'rt', publication: outside ? 'p' : 'q', outside });
  // Eight tight residuals and four large extrapolated ones on one device, and a second device for the pool.
  const own = [0.05, -0.05, 0.1, -0.1, 0.05, -0.1, 0.1, -0.05].map((r) => tag(r)).concat([1.2, -1.0, 1.4, -1.1].map((r) => tag(r, true)));
  const other = [0.1, -0.1, 0.2, -0.2].map((r) => tag(r));
  const check = rangeRuleCheck([{ residuals: own, sources: 2 }, { residuals: other, sources: 2 }]);
  assert.equal(check.outsideSpan.points, 4);
  const plain = rangeRuleCheck([{ residuals: own.map((x) => ({ ...x, outside: false })), sources: 2 }, { residuals: other, sources: 2 }]);
  assert.equal(plain.outsideSpan.points, 0);
  assert.deepEqual([check.points, check.coverage, check.medianWidth], [plain.points, plain.coverage, plain.medianWidth], 'the flag reports, it does not change the rule');
  assert.ok(check.outsideSpan.coverage < check.coverage, 'here the large extrapolated residuals are the ones outside');
});

test('rangeBand (rule v5): a device resting on one publication is never narrower than the pooled band; two or more sources keep rule v4', () => {
  const pooled = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0].map((v, i) => (i % 2 ? -v : v));
  const tight = new Array(12).fill(0.05);
  // Twelve residuals of 0.05 (weight 12) and the pool (0.4 each): 0.85 x 16 = 13.6 is reached at the 4th pooled value.
  assert.equal(rangeBand(tight, pooled, 2).half, predictionBand(tight, pooled).half);
  assert.equal(rangeBand(tight, pooled, 2).half, 0.4);
  // The same residuals from one publication: floored at the band of the pool alone (0.9, as in the test above).
  const single = rangeBand(tight, pooled, 1);
  assert.equal(single.half, 0.9);
  assert.ok(Math.abs(single.high - Math.exp(0.9)) < 1e-12 && Math.abs(single.low - Math.exp(-0.9)) < 1e-12);
  // A single-source device whose own residuals are wider keeps its own wider range.
  const noisy = new Array(12).fill(1.5);
  assert.equal(rangeBand(noisy, pooled, 1).half, 1.5);
  // Fewer sources never give a narrower range, for any residuals.
  for (const r of [0.01, 0.3, 0.9, 2]) {
    const own = new Array(6).fill(r);
    assert.ok(rangeBand(own, pooled, 1).half >= rangeBand(own, pooled, 2).half, `residual ${r}`);
  }
});

test('singleSourceSimulation: the other publications\' points against the range one publication gives, rule v4 and v5 side by side', () => {
  // Device A: fitted on publication p alone, p's residuals 0.05 (twice), its other publication's points 0.3 and -1.
  // Device B's residuals form the pool A's simulated range mixes with: [0.2, 0.4, 0.6, 0.8] (weight 4 together).
  const c = singleSourceSimulation([
    { sims: [{ publication: 'p', byPoint: [0.05, -0.05], otherSources: [0.3, -1] }], own: [0.05, 0.1, 0.2] },
    { sims: [], own: [0.2, -0.4, 0.6, -0.8] },
  ]);
  assert.equal(c.pairs, 1);
  assert.equal(c.points, 2);
  // v4: weights 1, 1 (0.05) then 1 each for 0.2 .. 0.8; 0.85 x 6 = 5.1 is reached at 0.8: 0.3 inside, 1 outside.
  assert.equal(c.v4.coverage, 0.5);
  assert.ok(Math.abs(c.v4.medianWidth - Math.exp(1.6)) < 1e-9);
  // v5: the pool alone gives 0.8 too (0.85 x 4 = 3.4 reached at the 4th value), so here v5 = v4.
  assert.equal(c.v5.coverage, 0.5);
  // A pair whose own residuals are tight: v4 narrows to them, v5 keeps the pool's band.
  const t = singleSourceSimulation([
    { sims: [{ publication: 'p', byPoint: new Array(20).fill(0.01), otherSources: [0.5] }], own: [] },
    { sims: [], own: [0.2, -0.4, 0.6, -0.8] },
  ]);
  assert.equal(t.v4.coverage, 0);
  assert.equal(t.v5.coverage, 1);
  assert.ok(t.v5.medianWidth > t.v4.medianWidth);
  // No multi-source device: nothing to simulate, reported as such.
  const none = singleSourceSimulation([{ sims: [], own: [0.1] }]);
  assert.equal(none.pairs, 0);
  assert.ok(Number.isNaN(none.v4.coverage));
});

test('calibration.json (rule v5): no device resting on one publication has a range narrower than a device with no residual of its own; the single-source check is reported', () => {
  const devices = calibration.devices as Record<string, { trainingPoints: number; sources?: string[]; range: { low: number; high: number } }>;
  const width = (r: { low: number; high: number }) => r.high / r.low;
  const poolOnly = Object.entries(devices).filter(([, d]) => d.trainingPoints === 1);
  assert.ok(poolOnly.length > 0, 'a device fitted on one point (it takes the pool\'s band)');
  const poolWidth = Math.min(...poolOnly.map(([, d]) => width(d.range)));
  const single = Object.entries(devices).filter(([, d]) => d.trainingPoints >= 2 && d.sources?.length === 1);
  assert.ok(single.length >= 2, `single-publication devices: ${single.map(([id]) => id).join(', ')}`);
  for (const [id, d] of single) assert.ok(width(d.range) >= poolWidth * (1 - 1e-3), `${id}: x${width(d.range).toFixed(2)} is narrower than the pooled band x${poolWidth.toFixed(2)}`);
  const check = (calibration as unknown as { singleSourceCheck: { pairs: number; points: number; v4: { coverage: number }; v5: { coverage: number } } }).singleSourceCheck;
  assert.ok(check.pairs > 0 && check.points > 0);
  assert.ok(check.v5.coverage >= check.v4.coverage);
});

test('energy: every held-out MLPerf Tiny energy point is inside its estimated range, the report counts the training ones as they are; the split is frozen', { skip: SKIP_NO_SHARED }, () => {
  const e = (calibration as unknown as { energy: { results: PointResult[]; summary: { train: { coverage: number } } } }).energy;
  for (const r of e.results) assert.equal(r.inRange, r.measuredMs >= r.estimateMs.low && r.measuredMs <= r.estimateMs.high, r.label);
  for (const r of e.results.filter((x) => x.split === 'held-out')) assert.ok(r.inRange, `${r.label}: ${r.measuredMs} mJ outside ${r.estimateMs.low} .. ${r.estimateMs.high}`);
  const train = e.results.filter((x) => x.split === 'train');
  assert.ok(Math.abs(e.summary.train.coverage - train.filter((x) => x.inRange).length / train.length) < 1e-4, 'training coverage reported as it is');
  const rows = parseCsv(fs.readFileSync(path.join(sharedDir, 'calibration', 'energy.csv'), 'utf8'));
  const frozen = JSON.parse(fs.readFileSync(path.join(repoRoot, 'scripts', 'calibration', 'energy-split.json'), 'utf8')) as FrozenSplit;
  // The points checked are every energy.csv row that maps to a device's own supply (a reference network, an energy
  // figure) of a calibrated device and is in the frozen split, each on its frozen side.
  const runtimesOf = (id: string) => loadCatalog().byId(id)?.runtimes.map((r) => r.id) ?? [];
  const splitOf = lookupSplit(rows, frozen);
  const expected = (rows as unknown as EnergyRow[])
    .map((r, i) => ({ m: mapEnergyRow(r, i + 2, runtimesOf), split: splitOf[i]?.split }))
    .filter((x): x is { m: EnergyPoint; split: 'train' | 'held-out' } => 'device' in x.m && x.m.scope === 'device' && !!x.m.arch && !!x.m.energyMj && !!x.split && x.m.device in doc.devices)
    .map((x) => [x.m.label, x.split]);
  assert.ok(expected.length > 0, 'energy.csv has device-supply rows');
  assert.deepEqual(e.results.map((r) => [r.label, r.split]).sort(), expected.sort(), 'the energy points checked are the mapped, frozen rows of energy.csv');
  for (const r of frozen.rows) assert.equal(r.split, ruleSplit(r.id), `${r.id} was moved by hand`);
  assert.deepEqual(lookupSplit(rows, frozen).map((f, i) => (f ? null : rows[i].model)).filter(Boolean), [], 'energy rows must be frozen before they judge a change');
});

function sampleProfile() {
  return { file: 'x', format: 'onnx', bytes: 0, params: 1000, weightBytes: 4000, macs: 1e6, flops: 0, peakActivationBytes: 1000, operatorCount: 1, opHistogram: { Conv: 1 }, inputs: [], outputs: [], weightDtypes: {}, quantization: { state: 'float', weightPrecisions: {}, quantizedOps: 0, perChannel: false, notes: [] }, dynamicShapes: { symbols: [], bindings: {}, hasDynamic: false }, layers: [{ name: 'c', op: 'Conv', opClass: 'conv', macs: 1e6, flops: 0, params: 1000, weightBytes: 4000, inputBytes: 1000, outputShapes: [[1, 4, 8, 8]], activationBytes: 1024, precision: 'fp32' }], subgraphCosts: [], compiledSegments: [], hasComputeGraph: true, metadata: {} } as unknown as Parameters<typeof estimateDevice>[0];
}

test('dominantScale: with too few points to separate them, the fit takes the per-op overhead scale when dispatch is most of the points\' prior time, else the compute scale', () => {
  const point = (id: string) => ({ id }) as unknown as CalPoint;
  // Prior time = arithmetic + overheadScale x dispatch, per point.
  const prior = (terms: Record<string, { arithmetic: number; dispatch: number }>) => (p: CalPoint, o: number) => terms[(p as unknown as { id: string }).id].arithmetic + o * terms[(p as unknown as { id: string }).id].dispatch;
  // The Coral Dev Board's one remaining point when coral.ai is left out: 0.059 ms of arithmetic, 0.232 ms of dispatch.
  assert.equal(dominantScale([point('tiny')], prior({ tiny: { arithmetic: 0.059, dispatch: 0.232 } })), 'overhead');
  assert.equal(dominantScale([point('big')], prior({ big: { arithmetic: 6.3, dispatch: 0.5 } })), 'compute');
  // Summed over the points: one large network outweighs two tiny ones.
  assert.equal(dominantScale([point('tiny'), point('tiny2'), point('big')], prior({ tiny: { arithmetic: 0.059, dispatch: 0.232 }, tiny2: { arithmetic: 0.05, dispatch: 0.2 }, big: { arithmetic: 6.3, dispatch: 0.5 } })), 'compute');
  // Exactly half is not "most".
  assert.equal(dominantScale([point('even')], prior({ even: { arithmetic: 1, dispatch: 1 } })), 'compute');
});
