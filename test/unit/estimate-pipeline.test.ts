/**
 * End-to-end pipeline overhead is modelled apart from per-op dispatch: the calibration fits a fixed
 * per-inference time for sources that time a whole pipeline (NOTES.md: Ultralytics model.benchmark(), OpenCV zoo,
 * Arm harness), adds it only when reproducing those points, and user estimates stay pure inference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import { estimateDevice } from '../../src/planner/estimate';
import { OVERHEAD_SCALE_BOUNDS, pipelineOf, type CalibrationEntry, type PointResult } from '../../scripts/calibration/fit';
import calibration from '../../src/planner/catalog/calibration.json';
import { writeReferenceModel } from '../support/modelgen/reference-archs';
import { fixture, hasShared, tempDir } from '../support/shared';

const doc = calibration as unknown as { devices: Record<string, CalibrationEntry>; points: PointResult[] };
const helloWorld = fixture('hello_world_int8.tflite');
const SKIP_HELLO = hasShared && fs.existsSync(helloWorld) ? false : `${helloWorld} is absent; skipped`;

test('a 3-op, 288-MAC model is not slower on a 2.4 GHz Raspberry Pi 5 than on a 280 MHz Cortex-M7', { skip: SKIP_HELLO }, async () => {
  const { model } = await analyzeFile(helloWorld);
  assert.equal(model.layers.filter((l) => l.opClass !== 'activation' && l.opClass !== 'quantize').length <= 4, true, 'a tiny model');
  const pi = estimateDevice(model, 'rpi5');
  const m7 = estimateDevice(model, 'stm32h7');
  assert.ok(pi.latencyMs.typical <= m7.latencyMs.typical, `rpi5 ${pi.latencyMs.typical} ms vs stm32h7 ${m7.latencyMs.typical} ms`);
});

test('committed calibration: every per-op overhead scale is inside the plausible bound', () => {
  for (const [id, c] of Object.entries(doc.devices)) {
    assert.ok(c.overheadScale >= OVERHEAD_SCALE_BOUNDS.low - 1e-9 && c.overheadScale <= OVERHEAD_SCALE_BOUNDS.high + 1e-9, `${id}: ${c.overheadScale}`);
  }
});

test('pipeline sources are the ones NOTES.md says include work around inference', () => {
  assert.equal(pipelineOf('github.com/ultralytics/ultralytics docs/en/guides/raspberry-pi.md @01007503'), 'ultralytics-benchmark');
  assert.equal(pipelineOf('github.com/ultralytics/ultralytics docs/en/guides/nvidia-jetson.md @01007503'), 'ultralytics-benchmark');
  // The YOLOv8-era revision of the Pi guide spells its source as a blob URL; NOTES.md: same model.benchmark() pipeline.
  assert.equal(pipelineOf('https://github.com/ultralytics/ultralytics/blob/main/docs/en/guides/raspberry-pi.md — YOLOv8-era revision'), 'ultralytics-benchmark');
  assert.equal(pipelineOf('https://github.com/ultralytics/ultralytics/blob/0d567ff3f16b19006aba84e36f7d8a1322a23c73/docs/en/guides/coral-edge-tpu-on-raspberry-pi.md'), undefined);
  assert.equal(pipelineOf('github.com/opencv/opencv_zoo benchmark/README.md @966be4cb'), 'opencv-zoo');
  assert.equal(pipelineOf('https://huggingface.co/Arm/resnet-50-int8-xnnpack-executorch'), 'arm-harness');
  assert.equal(pipelineOf('https://developer.arm.com/ai/models/hugging-face/Arm/googlenet-int8-xnnpack-executorch-ras'), 'arm-harness');
  // Inference only: Ultralytics' Coral guide (pre/post excluded), coral.ai C++ benchmark, trtexec GPU compute, AI Hub, MLPerf Tiny.
  assert.equal(pipelineOf('github.com/ultralytics/ultralytics docs/en/guides/coral-edge-tpu-on-raspberry-pi.md @0d567'), undefined);
  assert.equal(pipelineOf("https://coral.ai/docs/edgetpu/benchmarks/ (Table 1 'Time per inference, in milliseconds'"), undefined);
  assert.equal(pipelineOf('github.com/hokwangchoi/jetson-orin-nano-benchmarks vision-benchmarks/assets/results/yolov8'), undefined);
  assert.equal(pipelineOf('github.com/quic/ai-hub-models qai_hub_models/models/resnet50/perf.yaml @660512ac'), undefined);
  assert.equal(pipelineOf('github.com/mlcommons/tiny_results_v1.1 @c32ef94d closed/ST'), undefined);
});

test('a pipeline point is reproduced as pure inference + the fitted pipeline time; user estimates exclude it', async () => {
  const cal = doc.devices['jetson-orin-nano'];
  const pipe = cal.pipelineOverheadMs?.['opencv-zoo'];
  assert.ok(pipe && pipe.ms > 0, 'jetson-orin-nano has a fitted OpenCV zoo pipeline time');
  const point = doc.points.find((p) => p.device === 'jetson-orin-nano' && p.key.startsWith('jetson-orin-nano|mobilenet_v1_1.0_224|fp16|opencv-dnn|'));
  assert.ok(point, 'the OpenCV zoo MobileNet v1 fp16 point');
  const dir = tempDir('pipeline');
  try {
    const file = path.join(dir, 'mnv1.onnx');
    writeReferenceModel('mobilenet_v1_1.0_224', file);
    const { model } = await analyzeFile(file);
    const e = estimateDevice(model, 'jetson-orin-nano', { precision: 'fp16', runtime: 'opencv-dnn' });
    // The committed point = the user's estimate + the pipeline time (4-significant-digit rounding).
    assert.ok(Math.abs(e.latencyMs.typical + pipe.ms - point.estimateMs.typical) <= 0.01 * point.estimateMs.typical, `${e.latencyMs.typical} + ${pipe.ms} vs ${point.estimateMs.typical}`);
    assert.ok(e.latencyMs.typical < point.estimateMs.typical, 'the user estimate leaves the pipeline out');
    const said = e.assumptions.find((a) => a.includes('pipeline overhead') && a.includes('excluded'));
    assert.ok(said, 'the assumptions say pipeline overhead is excluded');
    assert.ok(said.includes(`${+pipe.ms.toFixed(2)} ms per inference`), `states the fitted figure: ${said}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a device without a fitted pipeline still says pipeline overhead is excluded, without a figure', { skip: SKIP_HELLO }, async () => {
  const { model } = await analyzeFile(helloWorld);
  assert.equal(doc.devices.stm32h7.pipelineOverheadMs, undefined);
  const e = estimateDevice(model, 'stm32h7');
  const said = e.assumptions.find((a) => a.includes('pipeline overhead') && a.includes('excluded'));
  assert.ok(said && !/ms per inference/.test(said), String(said));
});
