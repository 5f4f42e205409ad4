/**
 * Recommender end to end: real model files (the project's ONNX builder, a GGUF header writer, ../shared
 * fixtures) → analyzeFile → recommend() with the real estimator and catalog. Known answers:
 *  - an FP32 MobileNet for the Coral Edge TPU gets full-INT8 PTQ first (the TPU runs nothing else);
 *  - an op the Edge TPU cannot map (LeakyRelu) is named in an op-rewrite step when the budget needs the whole graph on the TPU;
 *  - a 7B LLM for a microcontroller gets "no pipeline fits" and an alternative device that meets the budgets;
 *  - a budget already met gets "no compression needed";
 *  - retraining=false excludes QAT, distillation, pruning, low-rank and sparsity; calibrationData=false excludes static PTQ.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { recommend, RecommendInputError, deviceClassOf, modelTraits } from '../../src/planner/recommend';
import { applyTechnique } from '../../src/planner/recommend/transform';
import { estimateDevice } from '../../src/planner/estimate';
import { loadCatalog } from '../../src/planner/catalog';
import type { Technique, RecommendationResult } from '../../src/planner/types';
import { mobilenetV1Onnx, tinyCnnOnnx, llama7bGguf, profileOf, cleanupRecommendModels } from '../support/recommend-models';
import { fixture, hasShared, SKIP_NO_SHARED } from '../support/shared';

after(() => cleanupRecommendModels());

const RETRAINING_STEPS: Technique[] = ['int8-qat', 'distillation', 'structured-pruning', 'low-rank', 'sparsity'];
const allSteps = (r: RecommendationResult): Technique[] => r.recommendations.flatMap((x) => x.steps.map((s) => s.technique));

test('the builder MobileNetV1 matches its published size (4.2 M params, 569 M MACs)', async () => {
  const p = await profileOf(mobilenetV1Onnx('mnv1-size.onnx'));
  assert.ok(Math.abs(p.params - 4.23e6) / 4.23e6 < 0.01, `params ${p.params}`);
  assert.ok(p.macs !== null && Math.abs(p.macs - 569e6) / 569e6 < 0.01, `macs ${p.macs}`);
  const t = modelTraits(p);
  assert.equal(t.depthwiseHeavy, true);
  assert.equal(t.family, 'cnn-classifier');
  assert.equal(t.float, true);
});

test('FP32 MobileNet for the Coral Edge TPU: full-INT8 PTQ first, with the TFLite converter and edgetpu_compiler', async () => {
  const p = await profileOf(mobilenetV1Onnx('mnv1.onnx'));
  const r = recommend(p, 'coral-usb', { latencyMs: 20, memoryMb: 512, accuracyDrop: 2 });
  const top = r.recommendations[0];
  assert.ok(top, r.verdict);
  assert.equal(top.device, 'coral-usb');
  assert.equal(top.meetsAll, true, top.summary);
  assert.equal(top.steps[0].technique, 'int8-ptq');
  assert.equal(top.effort, 'calibration-data');
  assert.match(r.verdict, /meets? every budget/);
  // The Edge TPU cannot run FP16 or dynamic-range models: never proposed for it.
  for (const t of allSteps(r)) assert.ok(t !== 'fp16' && t !== 'int8-dynamic', `proposed ${t} for the Edge TPU`);
  // The baseline runs nothing on the TPU; the PTQ pipeline is much faster than it.
  const base = estimateDevice(p, 'coral-usb', {});
  assert.equal(base.compatibility.verdict, 'none');
  assert.ok(top.predicted.latencyMs.typical < base.latencyMs.typical / 2, `${top.predicted.latencyMs.typical} vs ${base.latencyMs.typical}`);
  // Expected effect with sources: 4x smaller weights, accuracy adjusted up for a depthwise-heavy model.
  const step = top.steps[0];
  assert.ok(step.expected.sizeFactor && step.expected.sizeFactor.typical <= 0.3);
  assert.ok(step.expected.accuracyDropPoints && step.expected.accuracyDropPoints.typical > 0.8, 'depthwise sensitivity raises the PTQ drop');
  assert.match(step.source, /post_training_quantization|Krishnamoorthi/);
  assert.match(step.why, /Edge TPU/);
  // Copy-ready commands with the model's real file name, input name and shape.
  const code = step.commands.map((c) => c.code).join('\n');
  assert.match(code, /edgetpu_compiler -s -o edgetpu\/ mnv1_int8\.tflite/);
  assert.match(code, /inference_input_type = tf\.int8/);
  assert.match(code, /TFLITE_BUILTINS_INT8/);
  assert.match(code, /onnx2tf -i mnv1\.onnx/);
  assert.match(code, /reshape\(\(1, 224, 224, 3\)\)/, 'NHWC after onnx2tf');
  assert.match(code, /calibration\/input\//);
  const notes = step.commands.flatMap((c) => c.notes ?? []).join('\n');
  assert.match(notes, /scale.*zero_point|zero point/i, 'the int8 input scale/zero-point warning');
  // Operational plan.
  const ops = r.operations.join('\n');
  assert.match(ops, /1 % .*10 % .*100 %/);
  assert.match(ops, /rollback/i);
  assert.match(ops, /Fairness re-audit/);
  assert.match(ops, /Calibration set coverage/);
  assert.match(ops, /Confidence-gated offloading/);
});

test('an op the Edge TPU cannot map (LeakyRelu) is named and rewritten when the budget needs the whole graph on the TPU', async () => {
  const p = await profileOf(mobilenetV1Onnx('mnv1-leaky.onnx', { leakyAt: 5 }));
  // Without the rewrite, INT8 PTQ runs only part of the graph on the TPU.
  const ptq = applyTechnique(p, 'int8-ptq').profile;
  const partial = estimateDevice(ptq, 'coral-usb', { precision: 'int8' });
  assert.equal(partial.compatibility.verdict, 'partial');
  assert.ok(partial.compatibility.fallback.some((f) => f.op === 'LeakyRelu' && /not supported/.test(f.reason)));
  // With it, everything maps.
  const rewritten = applyTechnique(applyTechnique(p, 'op-rewrite', { ops: ['LeakyRelu'] }).profile, 'int8-ptq').profile;
  const full = estimateDevice(rewritten, 'coral-usb', { precision: 'int8' });
  assert.equal(full.compatibility.verdict, 'full');
  assert.ok(full.latencyMs.typical < partial.latencyMs.typical);

  const budget = (partial.latencyMs.typical + full.latencyMs.typical) / 2;
  const r = recommend(p, 'coral-usb', { latencyMs: budget, memoryMb: 512, accuracyDrop: 2 });
  const top = r.recommendations[0];
  assert.equal(top.meetsAll, true, r.verdict);
  const rw = top.steps.find((s) => s.technique === 'op-rewrite');
  assert.ok(rw, `top pipeline ${top.steps.map((s) => s.technique).join('+')} has no op-rewrite`);
  assert.match(rw.title, /LeakyRelu/);
  assert.match(rw.why, /LeakyRelu/);
  assert.match(rw.why, /ReLU/);
  assert.ok(top.steps.some((s) => s.technique === 'int8-ptq' || s.technique === 'int8-qat'));
  // The step order: rewrite before quantization.
  assert.equal(top.steps[0].technique, 'op-rewrite');
});

test('retraining=false: no QAT, distillation, pruning, low-rank, sparsity, nor a rewrite that needs a fine-tune', async () => {
  const p = await profileOf(mobilenetV1Onnx('mnv1-leaky2.onnx', { leakyAt: 5 }));
  for (const device of ['coral-usb', 'rpi5', 'jetson-orin-nano-super']) {
    const r = recommend(p, device, { latencyMs: 20, memoryMb: 2048, accuracyDrop: 2, retraining: false }, { maxPipelines: 10 });
    const steps = allSteps(r);
    for (const t of RETRAINING_STEPS) assert.ok(!steps.includes(t), `${device}: ${t} proposed without retraining`);
    assert.ok(!r.recommendations.some((x) => x.effort === 'retraining' || x.effort === 'architecture-change'), device);
    assert.ok(!r.recommendations.some((x) => x.steps.some((s) => s.technique === 'op-rewrite' && /LeakyRelu/.test(s.title))), `${device}: LeakyRelu→ReLU needs a fine-tune`);
  }
  const coral = recommend(p, 'coral-usb', { latencyMs: 20, memoryMb: 512, accuracyDrop: 2, retraining: false });
  assert.equal(coral.recommendations[0].steps[0].technique, 'int8-ptq');
});

test('calibrationData=false and retraining=false on a Raspberry Pi 5: dynamic INT8 or FP16, never static PTQ', async () => {
  const p = await profileOf(mobilenetV1Onnx('mnv1-nocal.onnx'));
  // A budget the FP32 model misses, so a step is needed.
  const base = estimateDevice(p, 'rpi5', {});
  const latencyMs = base.latencyMs.typical * 0.7;
  const r = recommend(p, 'rpi5', { latencyMs, memoryMb: 2048, accuracyDrop: 5, retraining: false, calibrationData: false }, { maxPipelines: 10 });
  const steps = allSteps(r);
  assert.ok(!steps.includes('int8-ptq'), 'static PTQ needs calibration data');
  for (const t of RETRAINING_STEPS) assert.ok(!steps.includes(t), t);
  const top = r.recommendations[0];
  assert.equal(top.meetsAll, true, r.verdict);
  assert.equal(top.effort, 'no-retraining');
  assert.ok(top.steps.length > 0 && top.steps.every((s) => s.technique === 'fp16' || s.technique === 'int8-dynamic' || s.technique === 'change-runtime'), top.steps.map((s) => s.technique).join('+'));
  // With calibration data, static PTQ becomes a candidate on the same device.
  const withCal = recommend(p, 'rpi5', { latencyMs, memoryMb: 2048, accuracyDrop: 5, retraining: false }, { maxPipelines: 20 });
  assert.ok(allSteps(withCal).includes('int8-ptq'));
});

test('a budget already met: "no compression needed" with a single none step', async () => {
  const p = await profileOf(tinyCnnOnnx('tiny.onnx'));
  const base = estimateDevice(p, 'rpi5', {});
  assert.ok(base.latencyMs.typical < 100, `baseline ${base.latencyMs.typical} ms`);
  const r = recommend(p, 'rpi5', { latencyMs: 100, memoryMb: 1024, accuracyDrop: 1 });
  assert.match(r.verdict, /^no compression needed/);
  const top = r.recommendations[0];
  assert.equal(top.meetsAll, true);
  assert.equal(top.effort, 'none');
  assert.deepEqual(top.steps.map((s) => s.technique), ['none']);
  assert.equal(top.predicted.accuracyDrop.typical, 0);
  assert.equal(r.alternatives.length, 0);
});

test('a 7B LLM for a microcontroller: no pipeline fits, the closest names its misses, and an alternative device meets the budgets', async () => {
  const file = llama7bGguf('llama-2-7b-f16.gguf');
  const p = await profileOf(file);
  assert.ok(p.params > 6.5e9 && p.params < 7e9, `params ${p.params}`);
  const r = recommend(p, 'stm32h7', { latencyMs: 500, memoryMb: 6000, accuracyDrop: 2 });
  assert.match(r.verdict, /^no pipeline fits/);
  // What keeps the closest pipeline from running reads as a clause of its own, the budgets it misses as a list.
  assert.match(r.verdict, /, which does not run on STM32H7A3ZI[^;]*: The gguf file stores weights but no compute graph/);
  assert.match(r.verdict, /; and which misses: flash [\d.]+ MB does not fit the device's/);
  assert.doesNotMatch(r.verdict, /misses (does not run|cannot be estimated|nothing runs|latency cannot)/);
  assert.ok(r.recommendations.length >= 1);
  // The device change that meets every budget ranks first; the closest pipeline on the MCU follows.
  assert.equal(r.recommendations[0].steps[0]?.technique, 'change-device');
  assert.equal(r.recommendations[0].meetsAll, true);
  const closest = r.recommendations.find((x) => x.device === 'stm32h7')!;
  assert.ok(closest, 'the closest pipeline on the requested device is shown');
  assert.equal(closest.meetsAll, false);
  assert.ok(closest.misses.some((m) => /flash|does not run|memory/.test(m)), closest.misses.join(' | '));
  // Alternatives: re-estimated with their own best pipeline; the first one meets every budget and is no MCU.
  assert.ok(r.alternatives.length > 0, 'alternatives listed');
  const best = r.alternatives[0];
  assert.ok(Object.values(best.meetsBudgets).every((v) => v === true), JSON.stringify(best.meetsBudgets));
  const spec = loadCatalog().byId(best.device)!;
  assert.notEqual(spec.kind, 'mcu');
  assert.ok(best.predicted.memoryBytes <= 6000 * 1024 * 1024);
  assert.ok(best.pipeline.includes('int4-weight-only') || best.pipeline.includes('int8-dynamic'), best.pipeline.join('+'));
  assert.match(r.verdict, new RegExp(spec.name.replace(/[()]/g, '.')));
  // A concrete pipeline for that device, led by the device change.
  const moved = r.recommendations.find((x) => x.steps[0]?.technique === 'change-device');
  assert.ok(moved, 'a change-device recommendation');
  assert.equal(moved.device, best.device);
  assert.equal(moved.meetsAll, true);
  assert.match(r.operations.join('\n'), /No pipeline meets every budget/);
});

test('the same 7B LLM on a Raspberry Pi 5: INT4 weight-only with llama.cpp commands on the real file name', async () => {
  const p = await profileOf(llama7bGguf('llama-2-7b-f16.gguf'));
  const r = recommend(p, 'rpi5', { latencyMs: 1000, memoryMb: 6000, accuracyDrop: 2 });
  const top = r.recommendations[0];
  assert.equal(top.meetsAll, true, r.verdict);
  assert.deepEqual(top.steps.map((s) => s.technique), ['int4-weight-only']);
  const code = top.steps[0].commands.map((c) => c.code).join('\n');
  assert.match(code, /llama-quantize llama-2-7b-f16\.gguf llama-2-7b-Q4_K_M\.gguf Q4_K_M/);
  // 13.5 GB of F16 weights do not fit 6000 MB; 4-bit weights do.
  assert.ok(top.predicted.memoryBytes < 6000 * 1024 * 1024);
  assert.match(top.summary, /per generated token/);
});

test('no pipeline fits: the closest pipeline says which budget it misses and by how much', async () => {
  const p = await profileOf(mobilenetV1Onnx('mnv1-mcu.onnx'));
  const r = recommend(p, 'stm32h7', { latencyMs: 5, memoryMb: 1, accuracyDrop: 1 }, { alternatives: 'never' });
  assert.match(r.verdict, /^no pipeline fits/);
  const c = r.recommendations[0];
  assert.equal(c.meetsAll, false);
  const lat = c.misses.find((m) => m.startsWith('latency'));
  assert.ok(lat, c.misses.join(' | '));
  assert.match(lat, /ms vs the 5\.00 ms budget \(\+[\d.]+ ms, [\d.]+× over\)/);
  assert.equal(c.meetsBudgets.latency, false);
  assert.equal(r.alternatives.length, 0);
});

test('device classes come from the catalog entry', () => {
  const c = loadCatalog();
  assert.equal(deviceClassOf(c.byId('coral-usb')!), 'edgetpu');
  assert.equal(deviceClassOf(c.byId('rpi5')!), 'cpu-fp16');
  assert.equal(deviceClassOf(c.byId('rpi4')!), 'cpu');
  assert.equal(deviceClassOf(c.byId('jetson-orin-nano')!), 'gpu-tensorrt');
  assert.equal(deviceClassOf(c.byId('apple-a17-pro')!), 'ane');
  assert.equal(deviceClassOf(c.byId('snapdragon-8-gen-3')!), 'htp');
  assert.equal(deviceClassOf(c.byId('esp32-s3')!), 'mcu');
});

test('FP16 first on a Jetson (TensorRT) when FP32 misses the latency budget; trtexec --fp16 on the real file', async () => {
  const p = await profileOf(mobilenetV1Onnx('mnv1-jetson.onnx'));
  const fp32 = estimateDevice(p, 'jetson-orin-nano', {});
  const fp16 = estimateDevice(applyTechnique(p, 'fp16').profile, 'jetson-orin-nano', { precision: 'fp16' });
  assert.ok(fp16.latencyMs.typical < fp32.latencyMs.typical);
  const r = recommend(p, 'jetson-orin-nano', { latencyMs: (fp32.latencyMs.typical + fp16.latencyMs.typical) / 2, memoryMb: 4096, accuracyDrop: 2 });
  const top = r.recommendations[0];
  assert.equal(top.meetsAll, true, r.verdict);
  assert.deepEqual(top.steps.map((s) => s.technique), ['fp16']);
  const code = top.steps[0].commands.map((c) => c.code).join('\n');
  assert.match(code, /trtexec --onnx=mnv1-jetson\.onnx --fp16 --saveEngine=mnv1-jetson_fp16\.engine/);
});

test('an unknown device is a clear input error', async () => {
  const p = await profileOf(tinyCnnOnnx('tiny2.onnx'));
  assert.throws(() => recommend(p, 'no-such-board', { latencyMs: 10 }), (e: unknown) => e instanceof RecommendInputError && /unknown device "no-such-board"/.test((e as Error).message));
});

test('real third-party model: light_squeezenet.onnx (FP32) for the Coral gets full-INT8 PTQ first', { skip: SKIP_NO_SHARED }, async () => {
  const f = fixture('light_squeezenet.onnx');
  if (!hasShared || !fs.existsSync(f)) return;
  const p = await profileOf(f);
  const r = recommend(p, 'coral-usb', { latencyMs: 50, memoryMb: 512, accuracyDrop: 2 });
  const top = r.recommendations[0];
  // Full INT8 is the step that puts it on the TPU; a rewrite before it may only fold shape arithmetic (no retraining).
  const techniques = top.steps.map((s) => s.technique);
  assert.ok(techniques.includes('int8-ptq'), `${techniques.join('+')}: ${r.verdict}`);
  assert.equal(top.effort, 'calibration-data');
  for (const s of top.steps.filter((x) => x.technique === 'op-rewrite')) assert.equal(s.effort, 'no-retraining', s.title);
  const ptq = top.steps.find((s) => s.technique === 'int8-ptq')!;
  const code = ptq.commands.map((c) => c.code).join('\n');
  assert.match(code, /light_squeezenet/);
  for (const i of p.inputs) assert.ok(code.includes(`calibration/${i.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}/`), `input ${i.name} in the commands`);
});

test('TF Lite commands on a board with an application CPU say to pass num_threads (one thread otherwise); microcontrollers get no such note', async () => {
  const { tfliteInt8, tfliteFp16, edgetpuCompile } = await import('../../src/planner/recommend/commands/tflite');
  const profile = await profileOf(tinyCnnOnnx('threads-note'));
  const ctx = (deviceId: string) => {
    const spec = loadCatalog().byId(deviceId)!;
    return { profile, deviceClass: deviceClassOf(spec), deviceId, deviceName: spec.name };
  };
  const threads = (notes: string[] | undefined) => (notes ?? []).some((n) => /num_threads=4/.test(n) && /one thread/.test(n));
  assert.ok(threads(tfliteInt8(ctx('rpi5')).notes));
  assert.ok(threads(tfliteFp16(ctx('rpi4')).notes));
  assert.ok(threads(edgetpuCompile(ctx('coral-usb')).notes), 'the Coral host runs the ops the Edge TPU cannot');
  assert.ok(!threads(tfliteInt8(ctx('stm32h7')).notes));
});

test('when the chosen device meets nothing, the plan\'s other targets that meet every budget come before other catalog devices', async () => {
  const p = await profileOf(llama7bGguf('llama-2-7b-f16.gguf'));
  const budgets = { latencyMs: 1000, memoryMb: 6000, accuracyDrop: 2 };
  const free = recommend(p, 'stm32h7', budgets);
  assert.equal(free.recommendations[0].steps[0]?.technique, 'change-device');
  const catalogBest = free.recommendations[0].device;
  // A target of the plan that meets the budgets but is not the catalog's best.
  const fits = free.alternatives.filter((a) => Object.values(a.meetsBudgets).every((v) => v === true)).map((a) => a.device);
  const target = fits.find((d) => d !== catalogBest);
  assert.ok(target, `a second device meets the budgets: ${fits.join(', ')}`);
  const withTargets = recommend(p, 'stm32h7', budgets, { preferredDevices: ['coral-usb', target!] });
  assert.equal(withTargets.recommendations[0].steps[0]?.technique, 'change-device');
  assert.equal(withTargets.recommendations[0].device, target);
  assert.equal(withTargets.alternatives[0].device, target);
  const name = loadCatalog().byId(target!)!.name;
  assert.ok(withTargets.verdict.includes(`best among your other targets: ${name}`), withTargets.verdict);
  // A target that cannot meet them (an LLM on the Edge TPU) is never proposed for being a target.
  const none = recommend(p, 'stm32h7', budgets, { preferredDevices: ['coral-usb'] });
  assert.equal(none.recommendations[0].device, catalogBest);
  assert.match(none.verdict, / — best: /);
});
