import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseCsv, mapRow, type CalPoint, type LatencyRow } from '../../scripts/calibration/fit';
import { loadCatalog } from '../../src/planner/catalog';
import { REFERENCE_ARCHS } from '../support/modelgen/reference-archs';
import { sharedDir, SKIP_NO_SHARED } from '../support/shared';

/** How published latency rows map to a catalog device, a reference network, a compute precision and a runtime. */
const runtimesOf = (id: string) => loadCatalog().byId(id)?.runtimes.map((r) => r.id) ?? [];
const row = (r: Partial<LatencyRow>): LatencyRow => ({ model: '', variant: '-', input: '', precision: 'int8', runtime: '', device: '', latency_ms: '1', model_size_mb: '', source: 'https://example.org', ...r }) as LatencyRow;
const map = (r: Partial<LatencyRow>) => mapRow(row(r), 2, runtimesOf);
const point = (r: Partial<LatencyRow>): CalPoint => {
  const m = map(r);
  assert.ok('device' in m, `${JSON.stringify(r)}: ${'reason' in m ? m.reason : ''}`);
  return m;
};

test('NetsPresso models keep their 3-class heads; the same names elsewhere are the 1000-class networks', () => {
  const ns = point({ model: 'MobileNetV3-Small', variant: 'NetsPresso Trainer MobileNetV3-small, 3-class head', input: '224x224', precision: 'fp16 TFLite model (CPU compute precision not stated)', runtime: 'TFLite (NetsPresso Benchmarker; threads not stated); model compute only', device: 'Raspberry Pi 5 (Cortex-A76)' });
  assert.deepEqual([ns.device, ns.arch, ns.runtime], ['rpi5', 'mobilenet_v3_small_224_3cls', 'xnnpack']);
  assert.equal(ns.precision, 'fp32', 'an fp16 TFLite model computes in fp32 on the CPU by default');
  assert.match(ns.note ?? '', /dequantize the weights values to float32/);
  assert.equal(point({ model: 'ResNet-34', variant: 'NetsPresso Trainer ResNet34, 3-class head', input: '224x224', runtime: 'TFLite (NetsPresso Benchmarker)', device: 'Raspberry Pi 5' }).arch, 'resnet34_224_3cls');
  assert.equal(point({ model: 'MobileNetV3-Small', variant: 'mobilenet_v3_small (torchvision IMAGENET1K_V1)', input: '224x224', precision: 'fp16 (AI Hub "float")', runtime: 'TFLite + QNN delegate (AI Hub, QAIRT 2.37)', device: 'Snapdragon 8 Gen 2 (Samsung Galaxy S23) Hexagon NPU' }).arch, 'mobilenet_v3_small_224');
});

test('ExecuTorch rows map to their own runtime, not LiteRT\'s XNNPACK (docs/calibration-candidates/2026-12-04-executorch-runtime.md)', () => {
  const arm = 'https://developer.arm.com/ai/models/hugging-face/Arm/googlenet-int8-xnnpack-executorch-raspberrypi5';
  assert.equal(point({ model: 'GoogLeNet', variant: 'torchvision', input: '224x224', precision: 'int8 (static PTQ, per-channel weights)', runtime: 'ExecuTorch + XNNPACK', device: 'Raspberry Pi 5 (Cortex-A76)', source: arm }).runtime, 'executorch');
  assert.equal(point({ model: 'ResNet-50', variant: 'microsoft/resnet-50', input: '224x224', runtime: 'ExecuTorch (.pte) + XNNPACK', device: 'Raspberry Pi 5 (Cortex-A76)', source: arm }).runtime, 'executorch');
  assert.equal(point({ model: 'YOLO11n', variant: 'detect (COCO-pretrained)', input: '640x640', precision: 'fp32', runtime: 'TF Lite (CPU)', device: 'Raspberry Pi 5 (Cortex-A76)' }).runtime, 'xnnpack');
  assert.ok(runtimesOf('rpi5').includes('executorch'));
  assert.equal(loadCatalog().byId('rpi5')!.runtimes.find((r) => r.default)?.id, 'xnnpack', 'LiteRT + XNNPACK stays the Pi 5\'s default');
});

test('A17 Pro Core ML rows map; weights-only int8 computes in fp16 on the Neural Engine, W8A8 in int8', () => {
  const base = { model: 'ResNet-50', input: '224x224 (torchvision)', runtime: 'Core ML mlpackage (compute units ALL)', device: 'iPhone 15 Pro (A17 Pro)' };
  const w8a16 = point({ ...base, variant: 'weight-only', precision: 'int8 weights / fp16 activations (W8A16)' });
  const w8a8 = point({ ...base, variant: 'W8A8', precision: 'int8 (W8A8)' });
  assert.deepEqual([w8a16.device, w8a16.arch, w8a16.runtime, w8a16.precision], ['apple-a17-pro', 'resnet50_224', 'coreml', 'fp16']);
  assert.equal(w8a8.precision, 'int8');
  const vit = point({ model: 'MobileViTv2', variant: '1.0 (cvnets weights)', input: 'not stated in table (cvnets MobileViTv2 default is 256x256)', precision: 'fp16', runtime: 'Core ML mlpackage', device: 'iPhone 15 Pro (A17 Pro)' });
  assert.equal(vit.arch, 'mobilevit_v2_1.0_256');
  assert.match(vit.note ?? '', /256x256, assumed/);
});

test('ESP32-S3 rows map to one core unless the source ran both', () => {
  const one = point({ model: 'MobileNetV2', input: '224x224x3', precision: 'int8 (s8)', runtime: 'ESP-DL (RUNTIME_MODE_SINGLE_CORE); model time only', device: 'ESP32-S3 (Xtensa LX7 dual-core @240 MHz, PSRAM)' });
  const two = point({ model: 'MobileNetV2', input: '224x224x3', precision: 'int8 (s8)', runtime: 'ESP-DL (RUNTIME_MODE_MULTI_CORE); model time only', device: 'ESP32-S3 (Xtensa LX7 dual-core @240 MHz, PSRAM)' });
  assert.deepEqual([one.device, one.arch, one.runtime, two.runtime], ['esp32-s3', 'mobilenet_v2_1.0_224', 'esp-dl', 'esp-dl-dual-core']);
});

test('rows that cannot be reproduced honestly stay excluded with the reason', () => {
  const reason = (r: Partial<LatencyRow>) => {
    const m = map(r);
    assert.ok(!('device' in m), JSON.stringify(r));
    return m.reason;
  };
  assert.match(reason({ model: 'ResNet-8 (MLPerf Tiny IC reference)', runtime: 'Qualcomm AI Stack / eAI SDK 3.18', device: 'Snapdragon 8 Gen 3 Mobile HDK/MTP - Qualcomm Sensing Hub low-power AI subsystem (eNPU v4), NOT the main Hexagon HTP' }), /not the Hexagon NPU/);
  assert.match(reason({ model: 'Inception V3', input: '299x299', runtime: 'Edge TPU (Edge TPU Python API)', device: 'Coral USB Accelerator on Raspberry Pi 3 B+ (USB 2.0 only; host not in catalog)' }), /Raspberry Pi 3 B\+/);
  assert.match(reason({ model: 'SqueezeNet', input: '224x224', runtime: 'Edge TPU (TFLite + libedgetpu, C++ benchmark)', device: 'Coral Dev Board (Edge TPU)' }), /version .* not stated/);
  assert.match(reason({ model: 'Depth Anything', input: 'not stated in card', precision: 'fp16', runtime: 'Core ML', device: 'iPhone 15 Pro Max (A17 Pro)' }), /input size not stated/);
  assert.match(reason({ model: 'YOLOv8n', input: '640x640', precision: 'fp16', runtime: 'trtutils YOLO end2end (preprocessing on TensorRT + inference + postprocessing)', device: 'Jetson Orin Nano 8GB Developer Kit (JetPack 5, i.e. original non-Super clocks; nvpmodel not stated)' }), /pre- and post-processing/);
});

test('Coral USB on a Pi 4 maps to the Pi 4-hosted catalog device; Jetson rows without a power mode before JetPack 6.1 to the 15 W mode, saying so', () => {
  const c = point({ model: 'YOLOv8s', input: '512x512', runtime: 'Edge TPU (tflite-runtime + libedgetpu1-std, standard clock)', device: 'Coral USB Accelerator on Raspberry Pi 4B 2GB' });
  assert.deepEqual([c.device, c.arch, c.runtime], ['coral-usb-rpi4', 'yolov8s_512', 'libedgetpu-std']);
  assert.equal(loadCatalog().byId('coral-usb-rpi4')!.host!.deviceId, 'rpi4');
  const j = point({ model: 'ResNet-18', variant: 'NetsPresso Trainer ResNet18, 3-class head', input: '224x224', precision: 'fp16', runtime: 'TensorRT (JetPack 6.0) via NetsPresso Launcher', device: 'Jetson Orin Nano (JetPack 6.0, i.e. pre-Super clocks; power mode not stated)' });
  assert.deepEqual([j.device, j.arch, j.runtime], ['jetson-orin-nano', 'resnet18_224_3cls', 'tensorrt']);
  assert.match(j.note ?? '', /15 W mode .*assumed/);
});

test('latency.csv: every row that maps names a reference network that exists, and the rows added 2026-12-03 map where buildable', { skip: SKIP_NO_SHARED }, () => {
  const rows = parseCsv(fs.readFileSync(path.join(sharedDir, 'calibration', 'latency.csv'), 'utf8'));
  const mapped = rows.map((r, i) => mapRow(r, i + 2, runtimesOf));
  const points = mapped.filter((m): m is CalPoint => 'device' in m);
  for (const p of points) assert.ok(p.llm || (p.arch && REFERENCE_ARCHS[p.arch]), `${p.label}: ${p.arch}`);
  for (const p of points) assert.ok(runtimesOf(p.device).includes(p.runtime), `${p.label}: ${p.runtime} on ${p.device}`);
  const on = (id: string) => points.filter((p) => p.device === id).length;
  assert.ok(points.length >= 150, `${points.length} rows map`);
  assert.ok(on('apple-a17-pro') >= 8 && on('esp32-s3') >= 3 && on('coral-usb-rpi4') >= 5, 'A17 Pro, ESP32-S3 and Pi 4-hosted Coral rows map');
  const excluded = mapped.filter((m) => !('device' in m));
  assert.ok(excluded.every((m) => 'reason' in m && m.reason.length > 10));
  assert.ok(!excluded.some((m) => 'reason' in m && /not in the reference set/.test(m.reason)), 'no buildable network left unmapped');
});

test('CPU threads a row ran on: a number the source states, and Ultralytics\' TF Lite runs (one thread); nothing else is guessed', () => {
  const ul = 'github.com/ultralytics/ultralytics docs/en/guides/raspberry-pi.md @01007503ffb223506d5b4b76d69e1e7145f49693';
  const tfl = point({ model: 'YOLO11n', variant: 'detect (COCO-pretrained)', input: '640x640', precision: 'fp32', runtime: 'TF Lite (CPU)', device: 'Raspberry Pi 5 (Cortex-A76)', source: ul });
  assert.equal(tfl.cpuThreads, 1);
  assert.match(tfl.note ?? '', /without num_threads/);
  const coral = point({ model: 'YOLOv8n', variant: 'detect, full-integer quant _edgetpu.tflite', input: '320x320', runtime: 'Edge TPU (tflite-runtime + libedgetpu1-std, standard clock)', device: 'Coral USB Accelerator on Raspberry Pi 4B 2GB', source: ul });
  assert.equal(coral.cpuThreads, 1, 'the host-CPU part of an Ultralytics Edge TPU run');
  assert.equal(point({ model: 'YOLO11n', variant: 'detect (COCO-pretrained)', input: '640x640', precision: 'fp32', runtime: 'ONNX (CPU)', device: 'Raspberry Pi 5 (Cortex-A76)', source: ul }).cpuThreads, undefined, 'ONNX Runtime uses its own default');
  assert.equal(point({ model: 'YOLO11n', variant: 'detect (COCO-pretrained)', input: '640x640', precision: 'fp32', runtime: 'TF Lite (CPU)', device: 'Raspberry Pi 5 (Cortex-A76)', source: 'https://example.org' }).cpuThreads, undefined);
  for (const [threads, n] of [['4', 4], ['1 core', 1], ['2 cores', 2], ['not stated', undefined], ['', undefined]] as const) {
    assert.equal(point({ model: 'YOLO11n', variant: 'detect (COCO-pretrained)', input: '640x640', precision: 'fp32', runtime: 'ONNX (CPU)', device: 'Raspberry Pi 5 (Cortex-A76)', threads } as Partial<LatencyRow>).cpuThreads, n, threads);
  }
});
