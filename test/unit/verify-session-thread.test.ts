/**
 * verify's session thread (src/measure/verify/session-thread.ts), started from the real measurement-child bundle
 * (dist/measure-worker.js) with real onnxruntime-node: a model run there gives exactly the outputs of the same model
 * run on this thread with the same options; onnxruntime's own error comes back as a rejected run (not a crash or a
 * hang); runs sent together come back in order; a closed thread refuses work with a clear message;
 * idle runs (the original's early evaluation runs) wait for every other run and can be dropped. And a whole
 * verification on two threads reports exactly what the same verification reports one model at a time (the mode
 * verify falls back to for models over 512 MiB or on one core): same figures, same sensitive layers, same file —
 * also for a model whose weights are in an external data file (derived models are written next to a link to it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { verifyModel } from '../../src/measure/verify';
import { localSession, SessionThread, type TensorValue } from '../../src/measure/verify/session-thread';
import { repoRoot, tempDir } from '../support/shared';
import { ort, writeExternalModel } from '../support/verify-models';
import { OnnxGraphBuilder, writeModel } from '../support/modelgen/onnx-builder';
import { encodeNpy } from '../../src/measure/verify/data/npy';

const script = path.join(repoRoot, 'dist', 'measure-worker.js');
const model = path.join(repoRoot, 'samples', 'tiny-cnn.onnx');
const options = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1 } as const;

/** A MatMul chain of about 17 GFLOP (sixteen [512 x 1024] x [1024 x 1024] products sharing one zero weight): several hundred ms on one thread. */
let heavyFile: string | null = null;
function heavyModel(): string {
  if (heavyFile) return heavyFile;
  const b = new OnnxGraphBuilder('heavy', { zeroWeights: true });
  let h = b.input('x', [512, 1024]);
  const w = b.weight('w', [1024, 1024]);
  for (let i = 0; i < 16; i++) h = b.matmul(h, w, { name: `mm${i}` });
  b.output(h);
  heavyFile = path.join(tempDir('session-thread-heavy'), 'heavy.onnx');
  writeModel(b.model({ opset: 13 }), heavyFile);
  return heavyFile;
}
const heavyFeeds = (): Record<string, TensorValue> => ({ x: new ort.Tensor('float32', new Float32Array(512 * 1024).fill(0.5), [512, 1024]) });

function feedsFor(inputs: readonly { name: string; shape: readonly (number | string)[] }[], seed: number): Record<string, TensorValue> {
  return Object.fromEntries(
    inputs.map((m) => {
      const dims = m.shape.map((d) => (typeof d === 'number' ? d : 1));
      const n = dims.reduce((a, b) => a * b, 1);
      return [m.name, new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * (1 + seed) + (i % 7) * seed), dims)];
    }),
  );
}

/** The sample model opened on this thread and on `thread`, with its inputs' names and shapes. */
async function openBoth(thread: SessionThread) {
  const here = localSession(ort, await ort.InferenceSession.create(model, options));
  const there = await thread.open(model, options);
  const inputs = here.inputMetadata.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : [] }));
  return { here, there, inputs };
}

test('a session on the session thread computes exactly what the same session computes here', async () => {
  const thread = new SessionThread(script);
  try {
    const { here, there, inputs } = await openBoth(thread);
    assert.deepEqual(there.inputNames, here.inputNames);
    assert.deepEqual(there.outputNames, here.outputNames);
    // Three runs sent at once come back in order, each equal to the run here on the same input.
    const feeds = [0, 1, 2].map((k) => feedsFor(inputs, k));
    const remote = await Promise.all(feeds.map((f) => there.run(f)));
    for (let k = 0; k < feeds.length; k++) {
      const local = await here.run(feeds[k]);
      for (const name of here.outputNames) {
        assert.equal(remote[k][name].type, local[name].type);
        assert.deepEqual([...remote[k][name].dims], [...local[name].dims]);
        assert.deepEqual(Array.from(remote[k][name].data as Float32Array), Array.from(local[name].data as Float32Array), `output ${name} of run ${k}`);
      }
    }
    assert.notDeepEqual(Array.from(remote[0][here.outputNames[0]].data as Float32Array), Array.from(remote[1][here.outputNames[0]].data as Float32Array));
    await here.release();
    await there.release();
  } finally {
    await thread.close();
  }
});

/** The same feeds with their data copied into SharedArrayBuffers, as verify reads .npy samples. */
function sharedCopy(feeds: Record<string, TensorValue>): Record<string, TensorValue> {
  return Object.fromEntries(
    Object.entries(feeds).map(([k, t]) => {
      const src = t.data as Float32Array;
      const data = new Float32Array(new SharedArrayBuffer(src.byteLength));
      data.set(src);
      return [k, new ort.Tensor('float32', data, t.dims)];
    }),
  );
}

test('samples in shared memory run on both threads (onnxruntime-node refuses them as they are) and give the same outputs as unshared ones', async () => {
  const thread = new SessionThread(script);
  try {
    const { here, there, inputs } = await openBoth(thread);
    const plainFeeds = [0, 1, 2].map((k) => feedsFor(inputs, k));
    const shared = plainFeeds.map(sharedCopy);
    assert.ok(Object.values(shared[0]).every((t) => (t.data as Float32Array).buffer instanceof SharedArrayBuffer));
    const raw = await ort.InferenceSession.create(model, options);
    await assert.rejects(raw.run(shared[0] as Record<string, InstanceType<typeof ort.Tensor>>), 'onnxruntime-node accepts shared memory now: shared-input.ts can go');
    await raw.release();
    // Runs one after the other reuse each thread's own input buffer: every run still sees its own sample.
    const remote = await Promise.all(shared.map((f) => there.run(f)));
    for (let k = 0; k < shared.length; k++) {
      const expected = await here.run(plainFeeds[k]);
      const local = await here.run(shared[k]);
      for (const name of here.outputNames) {
        assert.deepEqual(Array.from(local[name].data as Float32Array), Array.from(expected[name].data as Float32Array), `here, run ${k}, output ${name}`);
        assert.deepEqual(Array.from(remote[k][name].data as Float32Array), Array.from(expected[name].data as Float32Array), `session thread, run ${k}, output ${name}`);
      }
    }
    // Runs of one session sent before the previous ended (onnxruntime-node starts a run after run() returns) each
    // keep their own input.
    const overlapping = await Promise.all(shared.map((f) => here.run(f)));
    for (let k = 0; k < shared.length; k++) {
      const expected = await here.run(plainFeeds[k]);
      for (const name of here.outputNames) assert.deepEqual(Array.from(overlapping[k][name].data as Float32Array), Array.from(expected[name].data as Float32Array), `overlapping run ${k}, output ${name}`);
    }
    for (let k = 0; k < shared.length; k++) for (const [name, t] of Object.entries(shared[k])) assert.deepEqual(Array.from(t.data as Float32Array), Array.from(plainFeeds[k][name].data as Float32Array), 'the shared sample is unchanged');
    await here.release();
    await there.release();
  } finally {
    await thread.close();
  }
});

test('an idle run on a .npy sample the session thread reads itself computes what the sample gives here; an unreadable sample comes back null', async () => {
  const thread = new SessionThread(script);
  const dir = tempDir('session-thread-npy');
  try {
    const { here, there, inputs } = await openBoth(thread);
    const modelInputs = here.inputMetadata.map((m) => ({ name: m.name, type: m.isTensor ? m.type : 'float32', shape: [...(m.isTensor ? m.shape : [])] }));
    const samples = [0, 1, 2].map((k) => {
      const feeds = feedsFor(inputs, k);
      const files = Object.entries(feeds).map(([name, t]) => {
        const file = path.join(dir, `${k}-${name}.npy`);
        fs.writeFileSync(file, encodeNpy(t.data as Float32Array, [...t.dims]));
        return file;
      });
      return { feeds, ref: { id: `${k}.npy`, files } };
    });
    // Sent together, so the thread reads them one after the other into the same buffer.
    const remote = await Promise.all(samples.map((x) => there.runNpyWhenIdle!({ ref: x.ref, inputs: modelInputs, dataDir: dir })));
    for (let k = 0; k < samples.length; k++) {
      const local = await here.run(samples[k].feeds);
      for (const name of here.outputNames) assert.deepEqual(Array.from(remote[k]![name].data as Float32Array), Array.from(local[name].data as Float32Array), `sample ${k}, output ${name}`);
    }
    const missing = await there.runNpyWhenIdle!({ ref: { id: 'gone.npy', files: modelInputs.map(() => path.join(dir, 'gone.npy')) }, inputs: modelInputs, dataDir: dir });
    assert.equal(missing, null, 'an unreadable sample is left to the evaluation, which reports it');
    assert.ok(Object.keys(await there.run(samples[0].feeds)).length > 0, 'the thread goes on');
    await here.release();
    await there.release();
  } finally {
    await thread.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("onnxruntime's error on the session thread is a rejected run with its message, and the thread goes on", async () => {
  const thread = new SessionThread(script);
  try {
    const there = await thread.open(model, options);
    const name = there.inputNames[0];
    await assert.rejects(there.run({ [name]: new ort.Tensor('float32', new Float32Array(5), [5]) }), (e: Error) => /input|rank|dimension|shape/i.test(e.message));
    await assert.rejects(thread.open(path.join(repoRoot, 'package.json'), options), (e: Error) => e.message.length > 0);
    const inputs = there.inputMetadata.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : [] }));
    const out = await there.run(feedsFor(inputs, 3));
    assert.ok(Object.keys(out).length > 0, 'a later run still works');
  } finally {
    await thread.close();
  }
  await assert.rejects(thread.open(model, options), /closed/);
});

test('idle runs on the session thread give way to runs sent after them, compute the same, and can be dropped', async () => {
  const thread = new SessionThread(script);
  try {
    const { here, there, inputs } = await openBoth(thread);
    const finished: string[] = [];
    const feeds = [0, 1, 2, 3, 9].map((k) => feedsFor(inputs, k));
    // A long run (about 17 GFLOP on one thread) keeps the thread busy while the runs below are sent: the
    // thread is still in it when they arrive however the machine schedules this one (a session opening, used before,
    // could end before they were sent on a loaded machine).
    const heavy = await thread.open(heavyModel(), options);
    const hold = heavy.run(heavyFeeds());
    const idle = [0, 1, 2, 3].map((k) => there.runWhenIdle!(feeds[k]).then((r) => (finished.push(`idle ${k}`), r)));
    const urgent = there.run(feeds[4]).then((r) => (finished.push('run'), r));
    const results = await Promise.all(idle);
    await urgent;
    await hold;
    // The idle runs keep their order; the run sent after them overtakes every idle run not yet started. They were all
    // sent during the long run, so none has started before the run; 'run' comes first (second at most, should the
    // long run end before the messages were sent).
    assert.deepEqual(finished.filter((f) => f !== 'run'), ['idle 0', 'idle 1', 'idle 2', 'idle 3']);
    assert.ok(finished.indexOf('run') <= 1, `the run waited behind idle runs not yet started: ${finished.join(', ')}`);
    for (let k = 0; k < 4; k++) {
      const local = await here.run(feedsFor(inputs, k));
      for (const name of here.outputNames) assert.deepEqual(Array.from(results[k]![name].data as Float32Array), Array.from(local[name].data as Float32Array), `idle run ${k}, output ${name}`);
    }
    // Dropped (sent during a long run): the idle runs not started yet resolve null; the thread goes on.
    const moreFeeds = [4, 5, 6, 7, 8].map((k) => feedsFor(inputs, k));
    const hold2 = heavy.run(heavyFeeds());
    const more = moreFeeds.map((f) => there.runWhenIdle!(f));
    await thread.dropIdle();
    // Any idle run the thread started before the drop arrived finishes (never interrupted); the rest resolve null.
    const outcomes = await Promise.all(more);
    const started = outcomes.filter((o) => o !== null).length;
    assert.ok(started <= 1, `${started} idle runs ran although dropped while the thread was busy with a long run`);
    assert.deepEqual(outcomes.slice(started), new Array(5 - started).fill(null), 'only a prefix can have started');
    await hold2;
    await heavy.release();
    assert.ok(Object.keys(await there.run(feedsFor(inputs, 3))).length > 0, 'a later run still works');
    await here.release();
  } finally {
    await thread.close();
  }
});

for (const [what, external] of [['the sample model', false], ['a model with external data', true]] as const) test(`verify on two threads and one model at a time: the same figures and the same file (${what})`, async () => {
  const dir = tempDir('verify-threads');
  try {
    let file = model;
    if (external) {
      file = path.join(dir, 'ext.onnx');
      writeExternalModel(file, path.join(dir, 'data.bin'));
    }
    const common = { technique: 'int8-ptq' as const, samples: 24, calibrationSamples: 9, sensitivitySamples: 3, keepFloat: 1 };
    const two = await verifyModel(file, { ...common, outDir: path.join(dir, 'two') });
    const one = await verifyModel(file, { ...common, outDir: path.join(dir, 'one'), twoThreadsMaxBytes: 0 });
    const figures = (r: typeof two): unknown => ({ fidelity: r.fidelity, accuracy: r.accuracy, sensitive: r.sensitiveLayers, full: r.fullyCompressed?.fidelity, layers: r.layers, floatLayers: r.compressed.floatLayers });
    assert.deepEqual(figures(one), figures(two));
    assert.ok(one.notes.some((n) => /over the 0 MiB run on two threads at once .*: models ran one at a time/.test(n)), one.notes.join('\n'));
    assert.ok(!two.notes.some((n) => /models ran one at a time/.test(n)));
    assert.ok(two.sensitiveLayers.length > 0 && two.fidelity.outputs.length > 0, 'there is something to compare');
    assert.deepEqual(fs.readFileSync(one.compressed.file), fs.readFileSync(two.compressed.file));
    assert.ok(await ort.InferenceSession.create(two.compressed.file), 'the written file loads');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('verify on .npy samples (read into reused shared buffers, handed to the session thread without a copy): two threads and one model at a time give the same figures, and the figures follow the samples', async () => {
  const dir = tempDir('verify-threads-npy');
  try {
    const probe = await ort.InferenceSession.create(model);
    const meta = probe.inputMetadata[0];
    const dims = (meta.isTensor ? meta.shape : []).map((d) => (typeof d === 'number' ? d : 1));
    await probe.release();
    const n = dims.reduce((a, b) => a * b, 1);
    // Three classes of folders, every sample distinct: a buffer handed back too early would feed one sample's values to
    // another's run, and the figures would differ between the two modes (or between the data sets below).
    const write = (root: string, shift: number) => {
      for (let k = 0; k < 36; k++) {
        const cls = ['a', 'b', 'c'][k % 3];
        fs.mkdirSync(path.join(root, cls), { recursive: true });
        const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.013 * (k + 1) + shift) + ((i * (k + 3)) % 11) / 11);
        fs.writeFileSync(path.join(root, cls, `${String(k).padStart(2, '0')}.npy`), encodeNpy(x, dims));
      }
    };
    write(path.join(dir, 'data'), 0);
    write(path.join(dir, 'other'), 1);
    const common = { technique: 'int8-ptq' as const, samples: 24, calibrationSamples: 9, sensitivitySamples: 3, keepFloat: 1 };
    const two = await verifyModel(model, { ...common, dataDir: path.join(dir, 'data'), outDir: path.join(dir, 'two') });
    const one = await verifyModel(model, { ...common, dataDir: path.join(dir, 'data'), outDir: path.join(dir, 'one'), twoThreadsMaxBytes: 0 });
    const other = await verifyModel(model, { ...common, dataDir: path.join(dir, 'other'), outDir: path.join(dir, 'other-out') });
    const figures = (r: typeof two): unknown => ({ fidelity: r.fidelity, accuracy: r.accuracy, groups: r.groups, sensitive: r.sensitiveLayers, full: r.fullyCompressed?.fidelity, layers: r.layers });
    assert.equal(two.data.source, one.data.source);
    assert.ok(two.accuracy !== null, 'the folders label the samples');
    assert.deepEqual(figures(one), figures(two));
    assert.notDeepEqual(figures(other), figures(two), 'other samples give other figures');
    assert.deepEqual(fs.readFileSync(one.compressed.file), fs.readFileSync(two.compressed.file));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

