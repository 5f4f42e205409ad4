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
      devices: [{ id: 'rpi5', name: 'Raspberry Pi 5', kind: 'sbc-cpu' }],
      selectedDevices: ['rpi5'],
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
