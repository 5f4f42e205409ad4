import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bindingsProblems, bindingValueError, MAX_BINDINGS, parseFromWebview, parseToWebview, type AnalysisViewModel, type PlannerInit } from '../../src/protocol';
import { analyzeFile } from '../../src/analyzers';
import { createDefaultPlan } from '../../src/planner/plan';
import { OnnxGraphBuilder, writeModel } from '../support/modelgen/onnx-builder';

const bind = (bindings: unknown): unknown => ({ type: 'analysis/bind', bindings });

test('analysis/bind: whole sizes from 1 to 1,000,000 are accepted', () => {
  for (const b of [{}, { batch: 1 }, { batch: 1_000_000, sequence: 128 }, { 'unk__12': 7, 'height width': 3 }]) {
    const r = parseFromWebview(bind(b));
    assert.equal(r.ok, true, `${JSON.stringify(b)}: ${r.ok ? '' : r.error}`);
  }
});

test('analysis/bind: negative, zero, fractional, too large, non-numeric, non-object and too many keys are rejected', () => {
  const tooMany = Object.fromEntries(Array.from({ length: MAX_BINDINGS + 1 }, (_, i) => [`d${i}`, 1]));
  const bad: [unknown, RegExp][] = [
    [{ batch: -4 }, /batch.*from 1 to 1,000,000/],
    [{ batch: 0 }, /from 1 to/],
    [{ batch: 2.5 }, /whole number/],
    [{ batch: 1_000_001 }, /from 1 to/],
    [{ batch: Number.NaN }, /Enter a number/],
    [{ batch: Infinity }, /Enter a number/],
    [{ batch: '4' }, /Enter a number/],
    [{ batch: null }, /Enter a number/],
    [[4], /must be an object/],
    ['batch=4', /must be an object/],
    [null, /must be an object/],
    [undefined, /must be an object/],
    [tooMany, new RegExp(`At most ${MAX_BINDINGS}`)],
    [{ '': 1 }, /Not a dimension name/],
    [{ ['x'.repeat(201)]: 1 }, /Not a dimension name/],
    [JSON.parse('{"__proto__": 1}'), /Not a dimension name/],
    [{ constructor: 1 }, /Not a dimension name/],
  ];
  for (const [b, why] of bad) {
    const r = parseFromWebview(bind(b));
    assert.equal(r.ok, false, `${JSON.stringify(b)} should be rejected`);
    if (!r.ok) {
      assert.match(r.error, /^analysis\/bind: /);
      assert.match(r.error, why, `${JSON.stringify(b)}: ${r.error}`);
    }
  }
  // Exactly the limit is fine.
  assert.equal(parseFromWebview(bind(Object.fromEntries(Array.from({ length: MAX_BINDINGS }, (_, i) => [`d${i}`, 1])))).ok, true);
});

test('bindingsProblems: a symbol the model does not have is named; each bad value gets its own message', () => {
  const symbols = ['batch', 'sequence'];
  assert.deepEqual(bindingsProblems({ batch: 2, sequence: 64 }, symbols), []);
  assert.deepEqual(bindingsProblems({ batch: 2, seq: 64 }, symbols), [{ symbol: 'seq', message: 'The model has no dimension named "seq".' }]);
  const problems = bindingsProblems({ batch: -1, sequence: 1.5 }, symbols);
  assert.deepEqual(problems.map((p) => p.symbol), ['batch', 'sequence']);
  assert.match(problems[0].message, /from 1 to 1,000,000/);
  assert.match(problems[1].message, /whole number/);
  // Without the symbol list only the form is checked.
  assert.deepEqual(bindingsProblems({ seq: 64 }), []);
  assert.equal(bindingValueError(1), undefined);
  assert.equal(bindingValueError(1_000_000), undefined);
  assert.notEqual(bindingValueError(1_000_001), undefined);
});

test('analysis/bindError: validated like every host message', () => {
  assert.equal(parseToWebview({ type: 'analysis/bindError', errors: [{ symbol: 'seq', message: 'The model has no dimension named "seq".' }] }).ok, true);
  assert.equal(parseToWebview({ type: 'analysis/bindError', errors: [{ symbol: '', message: 'At most 32 dimensions can be bound at once.' }] }).ok, true);
  for (const bad of [
    { type: 'analysis/bindError', errors: [] },
    { type: 'analysis/bindError', errors: [{ symbol: 'x' }] },
    { type: 'analysis/bindError', errors: [{ symbol: 3, message: 'x' }] },
    { type: 'analysis/bindError', errors: 'no' },
    { type: 'analysis/bindError', errors: Array.from({ length: MAX_BINDINGS + 2 }, () => ({ symbol: 'a', message: 'b' })) },
  ]) {
    assert.equal(parseToWebview(bad).ok, false, JSON.stringify(bad).slice(0, 80));
  }
});

/** One 3x3 convolution, 3 → 8 channels, on a `batch` x 3 x 32 x 32 image. */
function dynamicConvModel(dir: string): string {
  const b = new OnnxGraphBuilder('dyn_conv');
  const x = b.input('image', ['batch', 3, 32, 32]);
  b.output(b.conv(x, 8, { kernel: 3, pad: 1, bias: false }));
  const file = path.join(dir, 'dyn-conv.onnx');
  writeModel(b.model({ opset: 13 }), file);
  return file;
}

test('bindings end to end: the sizes a bind message carries scale the analysis, and the result and planner messages carry them', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeplan-bind-'));
  try {
    const file = dynamicConvModel(dir);
    const one = await analyzeFile(file);
    assert.deepEqual(one.model.dynamicShapes.symbols, ['batch']);
    assert.deepEqual({ ...one.model.dynamicShapes.bindings }, { batch: 1 });
    // 8 output channels x (3 input channels x 3 x 3) x 32 x 32 positions per image.
    const perImage = 8 * 3 * 3 * 3 * 32 * 32;
    assert.equal(one.model.macs, perImage);

    const msg = parseFromWebview(bind({ batch: 4 }));
    assert.ok(msg.ok && msg.message.type === 'analysis/bind');
    const bindings = (msg.message as { bindings: Record<string, number> }).bindings;
    assert.deepEqual(bindingsProblems(bindings, one.model.dynamicShapes.symbols), []);
    assert.notDeepEqual(bindingsProblems({ sequence: 4 }, one.model.dynamicShapes.symbols), []);

    const four = await analyzeFile(file, { bindings });
    assert.deepEqual({ ...four.model.dynamicShapes.bindings }, { batch: 4 });
    assert.equal(four.model.macs, 4 * perImage);
    assert.deepEqual(four.model.inputs[0].shape, ['batch', 3, 32, 32]);

    const view: AnalysisViewModel = {
      file: 'dyn-conv.onnx',
      resource: 'file:///w/dyn-conv.onnx',
      result: four,
      devices: [],
      selectedDevices: [],
      cpuThreads: null,
      runtimes: {},
      results: [],
      benchmark: { available: false, reason: 'x' },
      planner: { available: true },
    };
    assert.equal(parseToWebview(JSON.parse(JSON.stringify({ type: 'analysis/result', view }))).ok, true);

    const init: PlannerInit = {
      planFile: '.edgeplan/dyn-conv.plan.json',
      resource: 'file:///w/dyn-conv.onnx',
      plan: createDefaultPlan('dyn-conv.onnx', 'dyn-conv', ['rpi5']),
      devices: [],
      techniques: [],
      model: null,
      figures: null,
      errors: [],
      bindings: four.model.dynamicShapes.bindings,
    };
    assert.equal(parseToWebview({ type: 'planner/init', init }).ok, true);
    const badInit = parseToWebview({ type: 'planner/init', init: { ...init, bindings: { batch: -4 } } });
    assert.equal(badInit.ok, false);
    if (!badInit.ok) assert.match(badInit.error, /bindings\.batch/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
