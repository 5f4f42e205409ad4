import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deployedRows, dominantLayers, filterRows, layerRows, sortRows } from '../../webview/lib/layers';
import { chartRows, latencyScale } from '../../webview/lib/chart';
import { fieldName, getAt, matchField, parseLines, parseNumberInput, setAt, type FieldPath } from '../../webview/lib/plan-path';
import { createDefaultPlan, validatePlan, PlanValidationError } from '../../src/planner/plan';
import type { LayerProfile } from '../../src/analyzers/profile-types';
import type { LayerEstimate } from '../../src/planner/types';

const layer = (name: string, op: string, macs: number | null, params = 0): LayerProfile => ({
  name,
  op,
  opClass: 'other' as LayerProfile['opClass'],
  macs,
  flops: 0,
  params,
  weightBytes: params * 4,
  inputBytes: 0,
  outputShapes: [[1, 8]],
  activationBytes: 32,
  precision: 'fp32',
});
const est = (name: string, ms: number): LayerEstimate => ({ name, op: 'x', unit: 'accelerator', ms, bottleneck: 'compute' });

test('layers: dominant set is the fewest largest layers covering half the time', () => {
  // total 100: 40 + 30 reaches 70 >= 50 after two layers; 40 alone is < 50.
  const d = dominantLayers([est('a', 10), est('b', 40), est('c', 30), est('d', 20)]);
  assert.deepEqual([...d].sort(), ['b', 'c']);
  assert.deepEqual([...dominantLayers([est('a', 60), est('b', 40)])], ['a']);
  assert.equal(dominantLayers([est('a', 0), est('b', 0)]).size, 0);
  assert.equal(dominantLayers(Array.from({ length: 100 }, (_, i) => est(`l${i}`, 1))).size, 20, 'capped at 20');
});

test('layers: rows join per-layer time by name (repeated names add up), sort puts unknowns last, filter matches op exactly with op:', () => {
  const layers = [layer('conv1', 'Conv', 1000, 10), layer('relu1', 'Relu', 0), layer('fc', 'Gemm', null, 5), layer('conv2', 'Conv', 4000, 20)];
  const rows = layerRows(layers, [est('conv1', 1), est('conv2', 2), est('conv2', 1), est('fc', 1)]);
  assert.equal(rows.find((r) => r.name === 'conv2')!.ms, 3);
  assert.equal(rows.find((r) => r.name === 'conv2')!.share, 0.6); // 3 of 5 ms
  assert.equal(rows.find((r) => r.name === 'relu1')!.ms, null);
  assert.deepEqual(sortRows(rows, 'macs', 'desc').map((r) => r.name), ['conv2', 'conv1', 'relu1', 'fc']);
  assert.deepEqual(sortRows(rows, 'macs', 'asc').map((r) => r.name), ['relu1', 'conv1', 'conv2', 'fc']);
  assert.deepEqual(sortRows(rows, 'name', 'asc').map((r) => r.name), ['conv1', 'conv2', 'fc', 'relu1']);
  assert.deepEqual(filterRows(rows, 'op:conv', false).map((r) => r.name), ['conv1', 'conv2']);
  assert.deepEqual(filterRows(rows, 'RE', false).map((r) => r.name), ['relu1']);
  assert.deepEqual(filterRows(rows, '', true).map((r) => r.name), ['conv2']);
  assert.equal(layerRows(layers, null).every((r) => r.ms === null && !r.dominant), true);
});

test('layers as they run on a device: run order, shares, file nodes; filter by a file node; the file view says fused into / folded away', () => {
  const run = [
    { ...est('conv1', 3), from: ['conv1', 'bn1', 'relu1'] },
    { ...est('pool', 1), unit: 'cpu' as const, from: ['pool'] },
    { ...est('fc', 6), from: ['fc', 'add_bias'] },
  ];
  const rows = deployedRows(run);
  assert.deepEqual(rows.map((r) => [r.index, r.name, r.share]), [[0, 'conv1', 0.3], [1, 'pool', 0.1], [2, 'fc', 0.6]]);
  assert.deepEqual(rows[0].from, ['conv1', 'bn1', 'relu1']);
  assert.deepEqual(rows.filter((r) => r.dominant).map((r) => r.name), ['fc']);
  assert.deepEqual(filterRows(rows, 'relu', false).map((r) => r.name), ['conv1'], 'a fused file node finds its layer');
  assert.deepEqual(sortRows(rows, 'ms', 'desc').map((r) => r.name), ['fc', 'conv1', 'pool']);
  assert.deepEqual(sortRows(rows, 'unit', 'asc').map((r) => r.name), ['conv1', 'fc', 'pool']);
  // An estimate without "from" lists (an older saved one): each layer stands for itself.
  assert.deepEqual(deployedRows([est('a', 1)])[0].from, ['a']);

  const file = [layer('shape', 'Shape', 0), layer('conv1', 'Conv', 1000, 10), layer('bn1', 'BatchNormalization', 0), layer('relu1', 'Relu', 0), layer('pool', 'MaxPool', 0), layer('fc', 'Gemm', 100, 5), layer('add_bias', 'Add', 0)];
  const f = layerRows(file, run);
  const by = (n: string) => f.find((r) => r.name === n)!;
  assert.equal(by('conv1').ms, 3);
  assert.equal(by('bn1').fusedInto, 'conv1');
  assert.equal(by('relu1').fusedInto, 'conv1');
  assert.equal(by('add_bias').fusedInto, 'fc');
  assert.equal(by('shape').folded, true, 'in no deployed layer: folded away');
  assert.equal(by('conv1').folded, false);
  // Without "from" lists nothing is claimed to be folded.
  assert.equal(layerRows(file, [est('conv1', 1)]).some((r) => r.folded), false);
});

test('chart: linear axis from zero for similar values, decade log axis for wide spreads', () => {
  const lin = latencyScale([3, 7, 12]);
  assert.equal(lin.kind, 'linear');
  assert.equal(lin.min, 0);
  assert.ok(lin.max >= 12 && lin.max <= 20, `max ${lin.max}`);
  assert.equal(lin.at(0), 0);
  assert.equal(lin.at(lin.max), 1);
  const log = latencyScale([0.5, 2000]);
  assert.equal(log.kind, 'log');
  assert.equal(log.min, 0.1);
  assert.equal(log.max, 10000);
  assert.deepEqual(log.ticks.map((t) => Number(t.toPrecision(3))), [0.1, 1, 10, 100, 1000, 10000]);
  assert.ok(Math.abs(log.at(10) - 0.4) < 1e-9);
  assert.equal(latencyScale([]).kind, 'linear');
});

test('chart: rows carry memory ratio against the device limit, and errors for devices without an estimate', () => {
  const rows = chartRows([
    { device: 'x', error: 'unknown device' },
    {
      device: 'rpi5',
      estimate: {
        device: 'rpi5',
        deviceName: 'Raspberry Pi 5',
        precision: 'fp32',
        runtime: 'tflite',
        latencyMs: { low: 1, typical: 2, high: 4 },
        bottleneck: 'compute',
        layers: [],
        memory: { weightsBytes: 0, activationBytes: 0, runtimeOverheadBytes: 0, totalBytes: 500, limitBytes: 1000, fits: true, marginBytes: 500 },
        powerW: null,
        energyMj: null,
        compatibility: { verdict: 'full', summary: '', accelerated: [], fallback: [], blockers: [] },
        assumptions: [],
      },
    },
  ]);
  assert.equal(rows[0].error, 'unknown device');
  assert.equal(rows[1].memory!.ratio, 0.5);
  assert.deepEqual(rows[1].latency, { low: 1, typical: 2, high: 4 });
});

test('plan paths: the form names each field exactly as validatePlan names it in its errors', () => {
  const cases: [FieldPath, unknown][] = [
    [['budgets', 'latencyMs'], 'abc'],
    [['project', 'name'], 5],
    [['targets'], 'rpi5'],
    [['dataConstraints'], 7],
    [['rollout', 'stages', 0, 'percent'], 500],
    [['risks', 0, 'impact'], 'huge'],
    [['fairness', 'maxGapPoints'], 'x'],
    [['offloading', 'confidenceThreshold'], 3],
    [['openQuestions'], 'one'],
    [['monitoring', 'metrics'], [1]],
  ];
  for (const [path, bad] of cases) {
    const plan = JSON.parse(JSON.stringify(createDefaultPlan('m.onnx', 'm', ['rpi5']))) as Record<string, unknown>;
    plan.risks = [{ description: 'd', likelihood: 'low', impact: 'low', mitigation: 'm' }];
    setAt(plan, path, bad);
    assert.deepEqual(getAt(plan, path), bad);
    let field = '';
    try {
      validatePlan(plan);
    } catch (e) {
      assert.ok(e instanceof PlanValidationError);
      field = e.field;
    }
    const name = fieldName(path);
    // validatePlan may name an item inside a list field ("monitoring.metrics[0]"); the form places it on the list.
    assert.equal(matchField(field, new Set([name])), name, `${path.join('.')}: validatePlan says "${field}", the form says "${name}"`);
  }
});

test('plan paths: number and list inputs', () => {
  assert.equal(parseNumberInput('', false), undefined);
  assert.equal(parseNumberInput('  ', true), null);
  assert.equal(parseNumberInput('12.5', false), 12.5);
  assert.equal(parseNumberInput('0,5', false), 0.5);
  assert.equal(parseNumberInput('12ms', false), '12ms');
  assert.deepEqual(parseLines(' a \n\n b\n'), ['a', 'b']);
  const o: Record<string, unknown> = {};
  setAt(o, ['rollout', 'stages', 0, 'name'], 'Canary');
  assert.deepEqual(o, { rollout: { stages: [{ name: 'Canary' }] } });
  setAt(o, ['rollout', 'stages', 0, 'name'], undefined);
  assert.deepEqual(o, { rollout: { stages: [{}] } });
  assert.equal(matchField('plan.targets[3]', new Set(['plan.targets'])), 'plan.targets');
  assert.equal(matchField('budgets', new Set(['budgets.latencyMs'])), undefined);
});
