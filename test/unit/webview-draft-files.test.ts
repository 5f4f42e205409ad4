import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Debouncer, planFileFor, planSlug, writeFileAtomic } from '../../src/host/plan-files';
import { createDefaultPlan, serializePlan, validatePlan } from '../../src/planner/plan';
import { tempDir } from '../support/shared';

test('draft files: slugs are file-name safe, readable and stable', () => {
  assert.equal(planSlug('models/MobileNet v2.onnx'), 'models-mobilenet-v2');
  assert.equal(planSlug('a\\b\\c.tflite'), 'a-b-c');
  assert.equal(planSlug('Modèle été.onnx'), 'modele-ete');
  assert.equal(planSlug('../../etc/passwd.onnx'), 'etc-passwd');
  assert.equal(planSlug('.onnx'), 'model');
  assert.equal(planSlug('日本語.onnx'), 'model');
  assert.ok(planSlug('x'.repeat(500) + '.onnx').length <= 100);
  assert.equal(planFileFor('models/net.onnx'), '.edgeplan/models-net.plan.json');
  assert.notEqual(planFileFor('a/net.onnx'), planFileFor('b/net.onnx'));
});

test('draft files: atomic write creates folders, replaces content, leaves no temp file, and round-trips a plan', () => {
  const dir = tempDir('draft');
  try {
    const file = path.join(dir, '.edgeplan', 'm.plan.json');
    const plan = createDefaultPlan('m.onnx', 'm.onnx', ['rpi5'], { latencyMs: 20 });
    writeFileAtomic(file, serializePlan(plan));
    writeFileAtomic(file, serializePlan({ ...plan, project: { ...plan.project, owner: 'Grace' } }));
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['m.plan.json']);
    const back = validatePlan(JSON.parse(fs.readFileSync(file, 'utf8')));
    assert.equal(back.project.owner, 'Grace');
    assert.equal(back.budgets.latencyMs, 20);
    assert.ok(fs.readFileSync(file, 'utf8').endsWith('}\n'));
    // A write into a path that cannot be a folder fails and leaves nothing behind.
    fs.writeFileSync(path.join(dir, 'blocker'), 'x');
    assert.throws(() => writeFileAtomic(path.join(dir, 'blocker', 'x.json'), '{}'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('draft files: the debouncer runs once after the last call, flush runs a pending call now, cancel drops it', async () => {
  let runs = 0;
  const d = new Debouncer(30, () => runs++);
  d.schedule();
  d.schedule();
  d.schedule();
  assert.equal(runs, 0);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(runs, 1);
  d.schedule();
  assert.equal(d.isPending, true);
  d.flush();
  assert.equal(runs, 2);
  d.flush();
  assert.equal(runs, 2, 'nothing pending: flush does nothing');
  d.schedule();
  d.cancel();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(runs, 2);
});
