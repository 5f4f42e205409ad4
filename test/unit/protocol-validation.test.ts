import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { parseFromWebview, parseToWebview, type ToWebview } from '../../src/protocol';
import { analyzeFile } from '../../src/analyzers';
import { createDefaultPlan } from '../../src/planner/plan';

const sample = path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx');

test('protocol: well-formed webview messages are accepted', () => {
  const good: unknown[] = [
    { type: 'ready' },
    { type: 'showLog' },
    { type: 'log', level: 'warn', message: 'x' },
    { type: 'analysis/selectDevices', deviceIds: ['rpi5', 'coral-usb'] },
    { type: 'analysis/openPlanner' },
    { type: 'analysis/benchmark' },
    { type: 'analysis/cancelBenchmark' },
    { type: 'analysis/reopenAsText' },
    { type: 'analysis/retry' },
    { type: 'comparison/openModel', file: 'models/a.onnx' },
    { type: 'analysis/setThreads', cpuThreads: 1 },
    { type: 'analysis/setThreads', cpuThreads: 1024 },
    { type: 'analysis/setThreads', cpuThreads: null },
    { type: 'comparison/setThreads', cpuThreads: 8 },
    { type: 'analysis/setRuntime', deviceId: 'rpi5', runtime: 'ncnn' },
    { type: 'analysis/setRuntime', deviceId: 'rpi5', runtime: null },
    { type: 'comparison/setRuntime', deviceId: 'rpi5', runtime: 'openvino' },
    { type: 'comparison/selectDevices', deviceIds: [] },
    { type: 'planner/edit', seq: 3, plan: { project: {} } },
    { type: 'planner/export', format: 'pptx' },
  ];
  for (const m of good) {
    const r = parseFromWebview(m);
    assert.equal(r.ok, true, `${JSON.stringify(m)}: ${r.ok ? '' : r.error}`);
  }
});

test('protocol: malformed webview messages are rejected with a reason naming the problem', () => {
  const bad: [unknown, RegExp][] = [
    [null, /not an object/],
    ['ready', /not an object/],
    [[{ type: 'ready' }], /not an object/],
    [{}, /no "type"/],
    [{ type: 42 }, /no "type"/],
    [{ type: 'deleteEverything' }, /unknown message type "deleteEverything"/],
    [{ type: 'toString' }, /unknown message type/],
    [{ type: '__proto__' }, /unknown message type/],
    [{ type: 'log', level: 'fatal', message: 'x' }, /"level" must be one of/],
    [{ type: 'log', level: 'info', message: 'x'.repeat(5000) }, /"message" is too long/],
    [{ type: 'analysis/selectDevices', deviceIds: 'rpi5' }, /"deviceIds" must be a list/],
    [{ type: 'analysis/selectDevices', deviceIds: ['rpi5', 7] }, /deviceIds\[1\]/],
    [{ type: 'analysis/selectDevices', deviceIds: ['../../etc'] }, /not a device id/],
    [{ type: 'analysis/selectDevices', deviceIds: Array(201).fill('rpi5') }, /too many entries/],
    [{ type: 'analysis/setThreads', cpuThreads: 0 }, /"cpuThreads" must be a whole number from 1 to 1024, or null/],
    [{ type: 'analysis/setThreads', cpuThreads: 2.5 }, /"cpuThreads" must be a whole number/],
    [{ type: 'analysis/setThreads', cpuThreads: 1025 }, /"cpuThreads" must be a whole number/],
    [{ type: 'analysis/setThreads', cpuThreads: '4' }, /"cpuThreads" must be a whole number/],
    [{ type: 'analysis/setThreads' }, /"cpuThreads" must be a whole number/],
    [{ type: 'comparison/setThreads', cpuThreads: -1 }, /"cpuThreads" must be a whole number/],
    [{ type: 'analysis/setRuntime', deviceId: 'rpi5' }, /"runtime" must be a runtime id or null/],
    [{ type: 'analysis/setRuntime', deviceId: 'rpi5', runtime: 'a b' }, /"runtime" must be a runtime id or null/],
    [{ type: 'analysis/setRuntime', deviceId: '../x', runtime: 'ncnn' }, /"deviceId" is not a device id/],
    [{ type: 'planner/edit', seq: 1, plan: 'x' }, /"plan" must be an object/],
    [{ type: 'planner/edit', seq: 1, plan: [] }, /"plan" must be an object/],
    [{ type: 'planner/edit', seq: -1, plan: {} }, /whole number/],
    [{ type: 'planner/edit', seq: 1.5, plan: {} }, /whole number/],
    [{ type: 'planner/edit', seq: Infinity, plan: {} }, /finite number/],
    [{ type: 'planner/export', format: 'html' }, /"format" must be one of docx, xlsx, pdf, pptx/],
    [{ type: 'comparison/openModel' }, /"file" must be text/],
  ];
  for (const [m, re] of bad) {
    const r = parseFromWebview(m);
    assert.equal(r.ok, false, `${JSON.stringify(m)?.slice(0, 80)} should be rejected`);
    if (!r.ok) assert.match(r.error, re);
  }
});

test('protocol: host messages built from a real analysis pass the webview-side validation', { skip: !require('fs').existsSync(sample) && 'samples/tiny-cnn.onnx is absent' }, async () => {
  const result = await analyzeFile(sample);
  const msg: ToWebview = {
    type: 'analysis/result',
    view: {
      file: 'samples/tiny-cnn.onnx',
      resource: 'file:///w/samples/tiny-cnn.onnx',
      result,
      devices: [{ id: 'rpi5', name: 'Raspberry Pi 5', kind: 'sbc-cpu', runtimes: [{ id: 'xnnpack', name: 'TF Lite + XNNPACK', default: true }, { id: 'ncnn', name: 'NCNN', default: false }] }],
      selectedDevices: ['rpi5'],
      cpuThreads: 2,
      runtimes: { rpi5: 'ncnn' },
      results: [{ device: 'rpi5', error: 'not estimated in this test' }],
      benchmark: { available: false, reason: 'untrusted' },
      planner: { available: true },
    },
  };
  // Through JSON, as postMessage would carry it.
  const r = parseToWebview(JSON.parse(JSON.stringify(msg)));
  assert.equal(r.ok, true, r.ok ? '' : r.error);

  const broken = JSON.parse(JSON.stringify(msg));
  broken.view.result.model.params = '12';
  const r2 = parseToWebview(broken);
  assert.equal(r2.ok, false);
  if (!r2.ok) assert.match(r2.error, /"params" must be a finite number/);

  const threads = JSON.parse(JSON.stringify(msg));
  threads.view.cpuThreads = 0;
  const r3 = parseToWebview(threads);
  assert.equal(r3.ok, false);
  if (!r3.ok) assert.match(r3.error, /"cpuThreads" must be a whole number/);
  const estimates = parseToWebview({ type: 'analysis/estimates', selectedDevices: ['rpi5'], cpuThreads: null, runtimes: {}, results: [{ device: 'rpi5', error: 'x' }] });
  assert.equal(estimates.ok, true, estimates.ok ? '' : estimates.error);
  const badRuntime = JSON.parse(JSON.stringify(msg));
  badRuntime.view.runtimes = { rpi5: 'nc nn' };
  const r4 = parseToWebview(badRuntime);
  assert.equal(r4.ok, false);
  if (!r4.ok) assert.match(r4.error, /"runtimes\.rpi5" is not a runtime id/);
  const comparison = { type: 'comparison/result', view: { title: 'Compare', models: [], devices: msg.view.devices, selectedDevices: ['rpi5'], cpuThreads: null, runtimes: { rpi5: 'ncnn' } } };
  assert.equal(parseToWebview(comparison).ok, true);
  assert.equal(parseToWebview({ ...comparison, view: { ...comparison.view, runtimes: undefined } }).ok, false, 'the comparison says which runtimes it estimated for');
  const badChoice = JSON.parse(JSON.stringify(msg));
  badChoice.view.devices[0].runtimes[0].default = 'yes';
  assert.equal(parseToWebview(badChoice).ok, false);
});

test('protocol: planner init with a default plan passes; a device result without estimate or error fails', () => {
  const plan = createDefaultPlan('m.onnx', 'm.onnx', ['rpi5']);
  const init: ToWebview = {
    type: 'planner/init',
    init: {
      planFile: '.edgeplan/m.plan.json',
      resource: 'file:///w/m.onnx',
      plan,
      devices: [{ id: 'rpi5', name: 'Raspberry Pi 5', kind: '' }],
      techniques: [{ id: 'fp16', label: 'FP16' }],
      model: null,
      figures: { seq: 0, results: [], recommendation: null },
      errors: [{ field: 'project.name', message: 'is required' }],
    },
  };
  assert.equal(parseToWebview(JSON.parse(JSON.stringify(init))).ok, true);
  const r = parseToWebview({ type: 'planner/figures', figures: { seq: 1, results: [{ device: 'rpi5' }], recommendation: null } });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.error, /needs an estimate or an error/);
  const r3 = parseToWebview({ type: 'planner/exportState', format: 'docx', state: 'exploded' });
  assert.equal(r3.ok, false);
  const r4 = parseToWebview({ type: 'planner/saved', file: '.edgeplan/m.plan.json', at: '2026-01-01T00:00:00Z' });
  assert.equal(r4.ok, true);
});

test('protocol: an estimate message carries the deployed layers with their file nodes; a bad layer or deployed summary is refused', { skip: !require('fs').existsSync(sample) && 'samples/tiny-cnn.onnx is absent' }, async () => {
  const { estimateDevice } = await import('../../src/planner/estimate');
  const result = await analyzeFile(sample);
  const est = estimateDevice(result.model, 'rpi5');
  assert.ok(est.deployedGraph && est.layers.some((l) => (l.from?.length ?? 0) > 1), 'the sample runs with fused layers');
  const msg = (e: unknown): unknown => JSON.parse(JSON.stringify({ type: 'analysis/estimates', selectedDevices: ['rpi5'], cpuThreads: null, runtimes: {}, results: [{ device: 'rpi5', estimate: e }] }));
  const ok = parseToWebview(msg(est));
  assert.equal(ok.ok, true, ok.ok ? '' : ok.error);
  const bad: [(e: any) => void, RegExp][] = [
    [(e) => (e.layers[0].unit = 'gpu'), /"unit" must be one of accelerator, cpu/],
    [(e) => (e.layers[0].ms = 'fast'), /"ms" must be a finite number/],
    [(e) => (e.layers[0].from = 'Conv_0'), /"from" must be a list/],
    [(e) => (e.layers[0].from = [42]), /"layers\[0\]\.from\[0\]" must be text/],
    [(e) => (e.deployedGraph.fileNodes = null), /"fileNodes" must be a finite number/],
    [(e) => (e.deployedGraph.steps = { 'activation-fused': 'many' }), /"activation-fused" must be a finite number/],
    [(e) => (e.deployedGraph.unfolded = [{ node: 'x' }]), /"op" must be text/],
  ];
  for (const [breakIt, why] of bad) {
    const e = JSON.parse(JSON.stringify(est));
    breakIt(e);
    const r = parseToWebview(msg(e));
    assert.equal(r.ok, false, String(why));
    if (!r.ok) assert.match(r.error, why);
  }
});

test('protocol: a device that runs more than MAX_LAYER_ROWS layers sends the slowest of them, in run order, and how many it runs', async () => {
  const { boundedLayers, MAX_LAYER_ROWS } = await import('../../src/protocol');
  const n = MAX_LAYER_ROWS + 500;
  const layers = Array.from({ length: n }, (_, i) => ({ name: `l${i}`, op: 'Conv', unit: 'cpu' as const, ms: (i * 7919) % n, bottleneck: 'compute' as const, from: [`l${i}`] }));
  const est = { layers } as unknown as import('../../src/planner/types').DeviceEstimate;
  const b = boundedLayers(est);
  assert.equal(b.layers.length, MAX_LAYER_ROWS);
  assert.equal(b.layersTotal, n);
  const cut = Math.min(...b.layers.map((l) => l.ms));
  assert.ok(layers.filter((l) => l.ms > cut).every((l) => b.layers.includes(l)), 'every slower layer is kept');
  const order = b.layers.map((l) => Number(l.name.slice(1)));
  assert.deepEqual(order, [...order].sort((x, y) => x - y), 'in run order');
  const small = { layers: layers.slice(0, 10) } as unknown as import('../../src/planner/types').DeviceEstimate;
  assert.equal(boundedLayers(small), small, 'a small estimate goes as it is');
});
