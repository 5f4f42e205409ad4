/**
 * Calibration of the estimator against published latencies (/work/shared/calibration/latency.csv):
 * which rows map to which catalog device and reference network, the fixed train / held-out split,
 * the per-device fit and the error metrics. Pure functions; scripts/calibration/calibrate.ts does the file work.
 * No `vscode` import.
 */
import type { ComputePrecision } from '../../src/planner/types';
import type { DeviceCalibration, PipelineOverhead, TrainingSpan } from '../../src/planner/catalog';

export interface LatencyRow {
  model: string;
  variant: string;
  input: string;
  precision: string;
  runtime: string;
  device: string;
  latency_ms: string;
  model_size_mb: string;
  source: string;
  [k: string]: string;
}

/** A published measurement the calibration can reproduce. */
export interface CalPoint {
  key: string;
  row: number;
  device: string;
  /** Reference architecture key (REFERENCE_ARCHS) or an LLM decode spec. */
  arch: string | null;
  llm: { weightBytes: number; basis: string } | null;
  precision: ComputePrecision;
  runtime: string;
  measuredMs: number;
  label: string;
  source: string;
  /** Id of the end-to-end pipeline the source's number includes around inference (PIPELINE_SOURCES), if any. */
  pipeline?: string;
  note?: string;
  /** Threads the source's harness ran its CPU kernels on, when the row or the source says so (cpuThreadsOf). */
  cpuThreads?: number;
  /** From the frozen split (scripts/calibration/heldout-split.json); see calibration-split.ts. */
  split?: 'train' | 'held-out';
  publication?: string;
}

export interface Excluded {
  row: number;
  label: string;
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// CSV

export function parseCsv(text: string): LatencyRow[] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])) as LatencyRow);
}

// ---------------------------------------------------------------------------------------------
// Sources whose latency includes work around inference (/work/shared/calibration/NOTES.md)

/**
 * Sources whose published latency is an end-to-end pipeline figure, not model execution alone. The calibration
 * fits one fixed per-inference time per (device, pipeline) on their training points and adds it only when it
 * reproduces those points; user estimates are pure inference and state the fitted figure so a user of that
 * pipeline can add it. Sources not listed measure execution only (coral.ai C++ benchmark, Ultralytics' Coral
 * guide, trtexec GPU compute, AI Hub profile jobs, MLPerf Tiny, llama-bench) or time a bare Python invoke
 * (aallan: the pycoral runtime factor covers it).
 */
export const PIPELINE_SOURCES: readonly { id: string; source: RegExp; measures: string }[] = [
  { id: 'ultralytics-benchmark', source: /ultralytics\/ultralytics(?:\/blob\/[^/\s]+)?[/ ]docs\/en\/guides\/(raspberry-pi|nvidia-jetson)\.md/, measures: 'Ultralytics Python model.benchmark() pipeline (ms/image)' },
  { id: 'opencv-zoo', source: /opencv\/opencv_zoo/, measures: 'OpenCV model zoo benchmark, including pre- and post-processing' },
  { id: 'arm-harness', source: /huggingface\.co\/Arm\/|developer\.arm\.com\/ai\/models\/hugging-face\/Arm\//, measures: 'end-to-end p50 of the Arm evaluation harness' },
];

export function pipelineOf(source: string): string | undefined {
  return PIPELINE_SOURCES.find((s) => s.source.test(source))?.id;
}

/**
 * calibration.json's per-device entry as the fit writes it: the catalog's DeviceCalibration, whose optional
 * pipelineOverheadMs holds the fitted fixed per-inference pipeline times (PipelineOverhead).
 */
export type CalibrationEntry = DeviceCalibration;
export type { PipelineOverhead };

/** Bounds of the per-op overhead scale: 0.25x .. 8x of the prior per-op dispatch cost (docs/calibration-candidates/2026-12-04-overhead-bound.md; was 0.25x .. 2x, where seven devices sat on the top). */
export const OVERHEAD_SCALE_BOUNDS = { low: 0.25, high: 8 } as const;

// ---------------------------------------------------------------------------------------------
// Row -> catalog device, reference network, precision, runtime

const DEVICE_RULES: [RegExp, string | null, string?][] = [
  // Rows added 2026-12-03 (their rules come first: some would otherwise match a broader rule below).
  [/Sensing Hub|eNPU/, null, 'Qualcomm Sensing Hub low-power AI block (eNPU) of a Snapdragon 8 Gen 3 HDK, not the Hexagon NPU the catalog models'],
  [/^Coral USB Accelerator on Raspberry Pi 3 B\+/, null, 'Coral USB on a Raspberry Pi 3 B+ host (USB 2.0 only): the host is not a catalog device'],
  [/^Coral USB Accelerator on Raspberry Pi 4/, 'coral-usb-rpi4'],
  [/^Jetson Orin Nano .*JetPack (5|6\.0)\b.*(power mode|nvpmodel) not stated/, 'jetson-orin-nano', 'nvpmodel not stated: JetPack 5 / 6.0 predate the Super modes, so the module ran in its 15 W mode (the highest, assumed) or in 7 W'],
  [/^ESP32-S3/, 'esp32-s3'],
  [/^STM32U585/, 'stm32u5', 'STM32U585 (B-U585I-IOT02A kit): the STM32U575 with hardware crypto added, same Cortex-M33 at 160 MHz and memories'],
  [/^Coral Dev Board/, 'coral-devboard'],
  [/^Coral USB Accelerator \(USB 3\.0\) on desktop host/, 'coral-usb', 'host is a desktop PC, not the catalog\'s Raspberry Pi 5 (only fallback ops and USB handling differ)'],
  [/^Coral USB Accelerator \(USB3; host not stated/, 'coral-usb', 'host not stated'],
  [/^Coral USB Accelerator on Raspberry Pi 5/, 'coral-usb'],
  [/^Coral Edge TPU \(host per coral/, null, 'Coral form factor / host not captured in the source'],
  [/JetPack 7\.2; power mode not stated/, null, 'Jetson Orin Nano power mode not stated (neither catalog state can be assumed)'],
  [/Jetson Orin Nano 8GB \(original clocks\)/, 'jetson-orin-nano'],
  [/Jetson Orin Nano 8GB \(MAXN_SUPER\)|Jetson Orin Nano Super/, 'jetson-orin-nano-super'],
  [/^Raspberry Pi 5/, 'rpi5'],
  [/^Raspberry Pi 4/, 'rpi4'],
  [/STM32F746/, 'stm32f7'],
  [/STM32H7A3/, 'stm32h7'],
  [/STM32L4R5/, 'stm32l4'],
  [/STM32U575/, 'stm32u5'],
  [/Snapdragon 8 Gen 3/, 'snapdragon-8-gen-3'],
  [/Snapdragon 8 Gen 2/, 'snapdragon-8-gen-2'],
  [/A17 Pro/, 'apple-a17-pro'],
];

/** [model regex, variant regex, input regex, arch key or an LLM (params, bits per weight) spec, note on an assumption]. */
type ArchRule = [RegExp, RegExp | null, RegExp | null, string | { params: number; bits: number; name: string }, string?];
const ARCH_RULES: ArchRule[] = [
  // Rows added 2026-12-03. NetsPresso Trainer models carry 3-class heads, so they come before the 1000-class rules.
  [/^MobileNetV3-Small$/, /NetsPresso/, /224/, 'mobilenet_v3_small_224_3cls'],
  [/^MobileNetV3-Large$/, /NetsPresso/, /224/, 'mobilenet_v3_large_224_3cls'],
  [/^ResNet-(18|34|50)$/, /NetsPresso/, /224/, 'resnet$1_224_3cls'],
  [/^MobileNetV3-Small$/, null, /224/, 'mobilenet_v3_small_224'],
  [/^ResNet-34$/, null, /224/, 'resnet34_224'],
  [/^MobileNetV2$/, null, /^224/, 'mobilenet_v2_1.0_224'],
  [/^MobileNet v1$/, /^0\.25 128/, /^128/, 'mobilenet_v1_0.25_128'],
  [/^ShuffleNetV2$/, /^x0\.5/, /^224/, 'shufflenet_v2_x0.5_224'],
  [/^EfficientNet-EdgeTpu$/, /^S$/, /^224/, 'efficientnet_edgetpu_s_224'],
  [/^EfficientNet-EdgeTpu$/, /^M$/, /^240/, 'efficientnet_edgetpu_m_240'],
  [/^Inception[- ]v3$/i, null, /^299/, 'inception_v3_299'],
  [/^Inception[- ]v3$/i, null, /^224/, 'inception_v3_224'],
  [/^Inception v4$/, null, /^299/, 'inception_v4_299'],
  [/^YOLOv8s$/, null, /^640/, 'yolov8s_640'],
  [/^YOLOv8s$/, null, /^512/, 'yolov8s_512'],
  [/^YOLO11n$/, null, /^320/, 'yolo11n_320'],
  [/^YOLOX$/, /YOLOX-S/, /^640/, 'yolox_s_640'],
  [/^Midas-V2$/, /MiDaS_small/, /^256/, 'midas_v21_small_256'],
  [/^DeepLabV3-Plus-MobileNet$/, null, /^513/, 'deeplabv3plus_mobilenet_513'],
  [/^MobileViTv2$/, /^1\.0/, /default is 256x256/, 'mobilevit_v2_1.0_256', 'input size not stated in the source table: ml-cvnets\' MobileViTv2 ImageNet default, 256x256, assumed'],
  [/^DETR-ResNet-50$/, null, /^800/, 'detr_resnet50_800'],
  [/^SSD MobileNet v1$/, /^ssd-mobilenet-v1-edgetpu/, /^300/, 'ssd_mobilenet_v1_1.0_300'],
  [/^MobileNetV1 0\.25x/, null, /96x96/, 'mobilenet_v1_0.25_96_vww'],
  [/^MobileNet v1$/, /^(1\.0|image_classification_mobilenetv1)/, /224/, 'mobilenet_v1_1.0_224'],
  [/^MobileNet[- ]v2$/, null, /224/, 'mobilenet_v2_1.0_224'],
  [/^MobileNet-v3-Large$/, null, /224/, 'mobilenet_v3_large_224'],
  [/^ResNet-50$/, /^V1$/, /^299/, 'resnet50_299'],
  [/^(ResNet-50|ResNet50|PP-ResNet50)$/, null, /^224/, 'resnet50_224'],
  [/^Wide ResNet-50$/, null, /^224/, 'wide_resnet50_2_224'],
  [/^ResNet-8/, null, null, 'resnet8_cifar'],
  [/^SqueezeNet$/, /^1\.0$/, /224/, 'squeezenet1.0_224'],
  [/^SqueezeNet-1\.1$/, null, /224/, 'squeezenet1.1_224'],
  [/^(Inception v1|GoogLeNet)$/, null, /224/, 'googlenet_224'],
  [/^EfficientNet-B0$/, null, /224/, 'efficientnet_b0_224'],
  [/^DS-CNN/, null, null, 'ds_cnn_kws'],
  [/^FC AutoEncoder/, null, null, 'fc_autoencoder_ad'],
  [/^SSD MobileNet v2$/, null, /^224/, 'ssd_mobilenet_v2_224'],
  [/^SSD MobileNet v2$/, null, /^300/, 'ssd_mobilenet_v2_300'],
  [/^SSD MobileNet v1$/, /^MobileNet v1 SSD$/, /^224/, 'ssd_mobilenet_v1_1.0_224'],
  [/^SSD MobileNet v1$/, /^0\.75 depth/, /^300/, 'ssd_mobilenet_v1_0.75_300'],
  [/^YOLOv8n$/, null, /^320/, 'yolov8n_320'],
  [/^YOLOv8n$/, null, /^512/, 'yolov8n_512'],
  [/^YOLOv8n$/, null, /^640/, 'yolov8n_640'],
  [/^YOLOv8-Detection$/, /YOLOv8-N/, /^640/, 'yolov8n_640'],
  [/^YOLO11([nsmlx])$/, null, /^640/, 'yolo11$1_640'],
  [/^YOLOv11-Detection$/, /YOLO11-N/, /^640/, 'yolo11n_640'],
  [/^VIT$/, null, /^224/, 'vit_b16_224'],
  [/^HfWhisperEncoder$/, /whisper_tiny/, null, 'whisper_tiny_encoder'],
  [/^SmolLM2-1\.7B-Instruct$/, null, null, { params: 1.71e9, bits: 8.5, name: 'SmolLM2-1.7B' }],
  [/^Phi-3\.5-mini-instruct$/, null, null, { params: 3.82e9, bits: 8.5, name: 'Phi-3.5-mini' }],
  [/^Qwen2\.5-3B$/, null, null, { params: 3.09e9, bits: 8.5, name: 'Qwen2.5-3B' }],
  [/^Llama 3\.2 3B$/, null, null, { params: 3.21e9, bits: 4.5, name: 'Llama 3.2 3B' }],
  [/^Llama-v2-7B-Chat$/, null, null, { params: 6.74e9, bits: 4.5, name: 'Llama 2 7B' }],
];

const RUNTIME_RULES: [RegExp, string][] = [
  // Rows added 2026-12-03.
  [/^Core ML/, 'coreml'],
  [/^ESP-DL \(RUNTIME_MODE_MULTI_CORE\)/, 'esp-dl-dual-core'],
  [/^ESP-DL/, 'esp-dl'],
  [/^Bosch Hardware-Aware Lowering Engine/, 'bosch-hale'],
  [/^TFLite v2\.2\.0 \(ruy\)/, 'tflite-ruy'],
  [/^TFLite \(NetsPresso Benchmarker/, 'xnnpack'],
  [/EdgeTPU delegate/, 'libedgetpu-std'],
  [/libedgetpu1-max/, 'libedgetpu-max'],
  [/Python benchmark_edgetpu/, 'pycoral'],
  [/Edge TPU/, 'libedgetpu-std'],
  [/TensorRT Edge-LLM|MLC/, 'llm'],
  [/TensorRT/, 'tensorrt'],
  [/OpenCV DNN/, 'opencv-dnn'],
  [/^PyTorch/, 'pytorch'],
  [/^ONNX Runtime \+ QNN EP/, 'onnxruntime-qnn'],
  [/QNN delegate/, 'tflite-qnn'],
  [/QNN DLC|QNN context binary/, 'qnn'],
  [/Genie/, 'genie'],
  [/^ONNX/, 'onnxruntime'],
  [/NCNN/, 'ncnn'],
  [/OpenVINO/, 'openvino'],
  [/ExecuTorch/, 'executorch'],
  [/TF Lite|TensorFlow Lite \(CPU\)/, 'xnnpack'],
  [/llama\.cpp/, 'llama.cpp'],
  [/X-CUBE-AI/, 'x-cube-ai'],
  [/Plumerai/, 'plumerai'],
  [/microTVM/, 'microtvm'],
  [/TensorFlow Lite for Microcontrollers/, 'tflm'],
];

/** Rows whose network or timing cannot be reproduced honestly, with the reason (rows added 2026-12-03). */
const UNMAPPABLE: [(r: LatencyRow) => boolean, string][] = [
  [(r) => /end2end/.test(r.runtime), 'timing includes YOLO pre- and post-processing on the device (trtutils end2end), one point of that pipeline: its fixed time cannot be fitted'],
  [(r) => r.model === 'SqueezeNet' && r.variant === '-', 'SqueezeNet version (1.0 or 1.1, 2.2x apart in MACs) not stated in the source'],
  [(r) => /^(YOLOv5s|Depth Anything)$/.test(r.model) && /not stated/.test(r.input), 'input size not stated in the source (the network\'s cost grows with the square of its side)'],
  [(r) => /^Stable Diffusion/.test(r.model), 'end-to-end text-to-image pipeline (text encoder, 20 denoising steps, VAE decoder), not one network'],
  [(r) => r.model === 'SmolLM2', 'model size not stated in the source (SmolLM2 comes in 135M, 360M and 1.7B parameters)'],
];

/**
 * Precisions whose compute type differs from the stored one, with the source that says so (rows added 2026-12-03).
 * Checked before precisionOf; the note travels with the point.
 */
const COMPUTE_PRECISION_RULES: [RegExp, ComputePrecision, string][] = [
  [/\(W8A16\)/, 'fp16', 'weights-only int8 (W8A16): computed in fp16 on the Neural Engine (coremltools opt-quantization-perf: weights are decompressed to fp16; only W8A8 computes in int8)'],
  [/^fp16 TFLite model/, 'fp32', 'fp16 TFLite model on the CPU: computed in fp32 (LiteRT post-training quantization docs, float16 section: "By default, a float16 quantized model will dequantize the weights values to float32 when run on the CPU"); the source does not state the compute precision'],
];

function precisionOf(p: string): ComputePrecision | null {
  const s = p.trim().toLowerCase();
  if (s.includes('?') || s.startsWith('not stated')) return null;
  if (/^int4|w4a16/.test(s)) return 'int4';
  if (/^q8_0/.test(s)) return 'int8';
  if (/^int8/.test(s)) return 'int8';
  if (/^fp16/.test(s)) return 'fp16';
  if (/^fp32/.test(s)) return 'fp32';
  return null;
}

/** Maps one CSV row to a calibration point, or says why it is not used. `runtimes` = the device's runtime ids. */
export function mapRow(r: LatencyRow, index: number, runtimesOf: (device: string) => string[]): CalPoint | Excluded {
  const label = `${r.model} ${r.variant && r.variant !== '-' ? `(${r.variant.slice(0, 40)}) ` : ''}${r.input.split(' ')[0]} ${r.precision.split(' ')[0]} / ${r.runtime.split('(')[0].trim()} / ${r.device}`;
  const no = (reason: string): Excluded => ({ row: index, label, reason });
  const rule = DEVICE_RULES.find(([re]) => re.test(r.device));
  if (!rule) return no('device is not in the catalog');
  if (!rule[1]) return no(rule[2]!);
  const device = rule[1];
  const measured = Number(r.latency_ms);
  if (!Number.isFinite(measured) || measured <= 0) return no('no latency value');
  const computeRule = COMPUTE_PRECISION_RULES.find(([re]) => re.test(r.precision));
  const precision = computeRule?.[1] ?? precisionOf(r.precision);
  if (!precision) return no(`precision not stated in the source ("${r.precision}")`);
  const unmappable = UNMAPPABLE.find(([test]) => test(r));
  if (unmappable) return no(unmappable[1]);
  let arch: string | null = null;
  let llm: CalPoint['llm'] = null;
  let archNote: string | undefined;
  for (const [m, v, i, target, assumption] of ARCH_RULES) {
    const mm = m.exec(r.model);
    if (!mm || (v && !v.test(r.variant)) || (i && !i.test(r.input))) continue;
    archNote = assumption;
    if (typeof target === 'string') arch = target.replace('$1', mm[1] ?? '');
    else {
      const size = Number(r.model_size_mb);
      llm = Number.isFinite(size) && size > 0
        ? { weightBytes: size * 1e6, basis: `${target.name}: ${size} MB model file (source)` }
        : { weightBytes: (target.params * target.bits) / 8, basis: `${target.name}: ${target.params / 1e9}B parameters x ${target.bits} bits (model size not in the source)` };
    }
    break;
  }
  if (!arch && !llm) return no('network not in the reference set (test/support/modelgen/reference-archs.ts)');
  const rt = RUNTIME_RULES.find(([re]) => re.test(r.runtime));
  if (!rt) return no(`runtime "${r.runtime}" not mapped`);
  let runtime = rt[1];
  const known = runtimesOf(device);
  if (runtime === 'libedgetpu-max' && !known.includes(runtime)) runtime = 'libedgetpu-std';
  if (runtime === 'pycoral' && !known.includes(runtime)) runtime = 'libedgetpu-std';
  if (runtime === 'onnxruntime' && !known.includes(runtime) && known.includes('onnxruntime-trt')) runtime = 'onnxruntime-trt';
  if (!known.includes(runtime)) return no(`runtime ${runtime} is not one of ${device}'s catalog runtimes`);
  const key = `${device}|${arch ?? 'llm'}|${precision}|${runtime}|${r.model}|${r.variant}`;
  const pipeline = pipelineOf(r.source);
  const threads = cpuThreadsOf(r);
  const note = [rule[2], archNote, computeRule?.[2], threads?.why].filter(Boolean).join('; ') || undefined;
  return { key, row: index, device, arch, llm, precision, runtime, measuredMs: measured, label, source: r.source.slice(0, 160), ...(pipeline ? { pipeline } : {}), ...(threads ? { cpuThreads: threads.threads } : {}), note };
}

/**
 * The threads a row's harness ran its CPU kernels on, where the row or its source says so: a number in the CSV's
 * threads column ("4", "1 core", "2 cores"), or Ultralytics' TF Lite runs (CPU, and the host-CPU part of its Edge TPU
 * runs). Ultralytics' AutoBackend loads TF Lite models with Interpreter(model_path=w) (the Edge TPU one with
 * experimental_delegates) and no num_threads (ultralytics/nn/autobackend.py, 8.2 / 8.3), and TF Lite then uses one
 * thread: tensorflow/lite/tflite_with_xnnpack.cc "opts.num_threads = num_threads > 1 ? num_threads : 0" (no thread
 * pool) and tensorflow/lite/kernels/cpu_backend_context.cc "kDefaultNumThreadpoolThreads = 1".
 * docs/calibration-candidates/2026-12-04-cpu-threads.md.
 */
export function cpuThreadsOf(r: LatencyRow): { threads: number; why: string } | null {
  const stated = /^(\d+)(?:\s*cores?)?$/.exec((r.threads ?? '').trim());
  if (stated && Number(stated[1]) >= 1) return { threads: Number(stated[1]), why: `CPU threads ${Number(stated[1])} (stated by the source)` };
  if (/github\.com\/ultralytics\/ultralytics/.test(r.source) && /^(TF Lite|Edge TPU)/.test(r.runtime)) {
    return { threads: 1, why: 'CPU threads 1: Ultralytics AutoBackend creates the TF Lite Interpreter without num_threads, and TF Lite then runs one thread' };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Measured energy and power (/work/shared/calibration/energy.csv, added 2026-12-03): mapped, not fitted

/** A row of energy.csv (header: model,input,precision,runtime,device,latency_ms,power_w,energy_mj,what_is_measured,source,quote). */
export interface EnergyRow {
  model: string;
  input: string;
  precision: string;
  runtime: string;
  device: string;
  latency_ms: string;
  power_w: string;
  energy_mj: string;
  what_is_measured: string;
  source: string;
  [k: string]: string;
}

/** A published power / energy measurement the estimator's power model can be checked against. */
export interface EnergyPoint {
  row: number;
  label: string;
  device: string;
  /** 'device': the board's supply while it infers (MLPerf Tiny energy mode); 'accelerator': a plug-in accelerator's own supply. */
  scope: 'device' | 'accelerator';
  /** Reference network (REFERENCE_ARCHS); null when one power figure covers a set of networks. */
  arch: string | null;
  precision: ComputePrecision;
  runtime: string;
  powerW: number;
  /** Measured energy per inference; null when the source gives power only. */
  energyMj: number | null;
  /** Latency of the source's performance-mode run (not the energy run), when given. */
  latencyMs: number | null;
  measures: string;
  source: string;
  note?: string;
  /** From the frozen energy split (scripts/calibration/energy-split.json). */
  split?: 'train' | 'held-out';
}

/**
 * Energy rows whose device the latency rules exclude but whose power figure is the accelerator's own: the Coral USB
 * stick's supply was measured at its USB port, so the host (a Pi 3 B+) is not in the figure, only its USB 2.0 link.
 */
const ACCELERATOR_POWER_RULES: [RegExp, string, string][] = [
  [/^Coral USB Accelerator on /, 'coral-usb', 'the stick\'s own USB supply (host not included); measured behind a USB 2.0 host, which keeps the Edge TPU waiting on the link, so a USB 3 host may draw more'],
];

/**
 * The latency an energy.csv row carries (MLPerf Tiny: the same submission's performance-mode run) as a latency.csv
 * row, so that it calibrates latency like any other published latency; null without one. Its variant says where it
 * came from, which also keeps its point key apart from latency.csv's rows of the same network, device and runtime.
 */
export function energyRowLatency(r: EnergyRow): LatencyRow | null {
  if (!r.latency_ms) return null;
  return { ...r, variant: 'MLPerf Tiny performance mode, from energy.csv', model_size_mb: '' };
}

/** Maps one energy.csv row to an energy point, or says why it is not used. Devices, networks and runtimes map as in mapRow. */
export function mapEnergyRow(r: EnergyRow, index: number, runtimesOf: (device: string) => string[]): EnergyPoint | Excluded {
  const asLatency: LatencyRow = { ...r, variant: '-', model_size_mb: '', latency_ms: r.latency_ms || r.energy_mj || r.power_w };
  const m = mapRow(asLatency, index, runtimesOf);
  const label = 'label' in m ? m.label : `${r.model} / ${r.device}`;
  const powerW = Number(r.power_w);
  if (!Number.isFinite(powerW) || powerW <= 0) return { row: index, label, reason: 'no power value' };
  const energy = r.energy_mj ? Number(r.energy_mj) : null;
  const latency = r.latency_ms ? Number(r.latency_ms) : null;
  const measures = r.what_is_measured;
  if ('device' in m) {
    if (energy === null || !Number.isFinite(energy) || energy <= 0) return { row: index, label, reason: 'no energy per inference for a network the estimator can reproduce' };
    return { row: index, label, device: m.device, scope: 'device', arch: m.arch, precision: m.precision, runtime: m.runtime, powerW, energyMj: energy, latencyMs: latency, measures, source: r.source.slice(0, 160), ...(m.note ? { note: m.note } : {}) };
  }
  const acc = ACCELERATOR_POWER_RULES.find(([re]) => re.test(r.device));
  if (!acc) return { row: index, label, reason: /Geekbench|no ML model/i.test(`${r.model} ${r.runtime}`) ? 'not an inference: whole-board power under a CPU benchmark, from a meter the source calls somewhat broken' : m.reason };
  const rt = RUNTIME_RULES.find(([re]) => re.test(r.runtime));
  const precision = precisionOf(r.precision);
  if (!rt || !runtimesOf(acc[1]).includes(rt[1]) || !precision) return { row: index, label, reason: `runtime or precision of "${r.runtime}" / "${r.precision}" not mapped` };
  return { row: index, label, device: acc[1], scope: 'accelerator', arch: null, precision, runtime: rt[1], powerW, energyMj: energy, latencyMs: latency, measures, source: r.source.slice(0, 160), note: acc[2] };
}

// ---------------------------------------------------------------------------------------------
// Split, fit, metrics

/** The frozen split (calibration-split.ts): each point carries the split its row was frozen with. */
export function splitPoints(points: CalPoint[]): { train: CalPoint[]; heldOut: CalPoint[] } {
  const missing = points.find((p) => !p.split);
  if (missing) throw new Error(`${missing.label}: not in the frozen split (run node dist/scripts/calibration/freeze-split.js and commit it first)`);
  const order = (a: CalPoint, b: CalPoint) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : a.row - b.row);
  const sorted = [...points].sort(order);
  return { train: sorted.filter((p) => p.split === 'train'), heldOut: sorted.filter((p) => p.split === 'held-out') };
}

export const logSpace = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (n === 1 ? 0 : i / (n - 1)));

export function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export interface PointResult {
  key: string;
  device: string;
  label: string;
  split: 'train' | 'held-out';
  runtime: string;
  precision: ComputePrecision;
  measuredMs: number;
  estimateMs: { low: number; typical: number; high: number };
  absLogError: number;
  inRange: boolean;
  /** Set when the point's network is larger ('above') or smaller ('below') than every network its device's training points ran, or of a kind none of them is ('none': an LLM decode on a device calibrated on networks only). */
  outsideSpan?: 'above' | 'below' | 'none';
}

export interface ErrorSummary {
  points: number;
  medianAbsLogError: number | null;
  p90AbsLogError: number | null;
  /** Share of points whose typical estimate is within 1.5x of the measurement. */
  within1_5x: number | null;
  /** Share of points inside [low, high]. */
  coverage: number | null;
  /** Median of high / low. */
  medianRangeWidth: number | null;
}

export function summarize(results: PointResult[]): ErrorSummary {
  if (!results.length) return { points: 0, medianAbsLogError: null, p90AbsLogError: null, within1_5x: null, coverage: null, medianRangeWidth: null };
  const e = results.map((r) => r.absLogError);
  return {
    points: results.length,
    medianAbsLogError: round4(quantile(e, 0.5)),
    p90AbsLogError: round4(quantile(e, 0.9)),
    within1_5x: round4(results.filter((r) => r.absLogError <= Math.log(1.5)).length / results.length),
    coverage: round4(results.filter((r) => r.inRange).length / results.length),
    medianRangeWidth: round4(quantile(results.map((r) => r.estimateMs.high / r.estimateMs.low), 0.5)),
  };
}

/** Rounds to 4 significant digits so the committed numbers do not carry floating-point noise. */
export function round4(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(4));
}

// ---------------------------------------------------------------------------------------------
// Shared factors and the range rule

/**
 * Catalog devices that are the same silicon in different power modes: they share one set of fitted factors
 * (fitted on the union of their training points), and the catalog's per-mode peaks (GPU clock) and memory
 * bandwidth carry the difference. Jetson Orin Nano 8 GB at 15 W (GPU 625 MHz, 68 GB/s) and in the Super
 * mode (GPU 1020 MHz, 102 GB/s) are one module (NOTES.md: "the same silicon, just permitted more power").
 */
export const SHARED_SILICON: readonly (readonly string[])[] = [['jetson-orin-nano', 'jetson-orin-nano-super']];

/** Devices grouped for fitting: each shared-silicon group present, every other device alone; sorted. */
export function calibrationGroups(devices: string[]): string[][] {
  const groups: string[][] = [];
  const seen = new Set<string>();
  for (const id of [...devices].sort()) {
    if (seen.has(id)) continue;
    const shared = SHARED_SILICON.find((g) => g.includes(id));
    const g = shared ? shared.filter((d) => devices.includes(d)) : [id];
    g.forEach((d) => seen.add(d));
    groups.push(g);
  }
  return groups;
}

/**
 * Nominal coverage of the range (rule v4): the 85th percentile of |cross-validated residual|. The issue's target is
 * >= 80 % of unseen points inside; 85 % was fixed, before comparing rules, as the margin the training split's nested
 * cross-validation must show (rangeRuleCheck).
 */
export const RANGE_COVERAGE = 0.85;
/** Weight, in points, of the residuals pooled over every device in a device's own range (shrinkage toward the pool). */
export const PRIOR_WEIGHT = 4;

/**
 * The sizes of the networks a device's training points ran (calibration.json devices.<id>.trainingSpan): graph points
 * by the MACs analyzeFile counts for their rebuilt network, LLM decode points by the weight bytes read per token.
 * Networks without a MAC count are left out; a kind without points is absent.
 */
export function trainingSpanOf(points: Pick<CalPoint, 'arch' | 'llm'>[], macsOf: Record<string, { macs: number | null }>): TrainingSpan {
  const span: TrainingSpan = {};
  const graph = points.flatMap((p) => (p.arch && macsOf[p.arch]?.macs ? [{ arch: p.arch, macs: macsOf[p.arch].macs as number }] : []));
  if (graph.length) {
    const byMacs = [...graph].sort((a, b) => a.macs - b.macs || a.arch.localeCompare(b.arch));
    const lo = byMacs[0];
    const hi = byMacs[byMacs.length - 1];
    span.graph = { points: graph.length, minMacs: lo.macs, maxMacs: hi.macs, smallest: lo.arch, largest: hi.arch };
  }
  const decode = points.flatMap((p) => (p.llm ? [p.llm.weightBytes] : []));
  if (decode.length) span.decode = { points: decode.length, minWeightBytes: Math.min(...decode), maxWeightBytes: Math.max(...decode) };
  return span;
}

/** Root mean square of log residuals: the spread of ln(measured / estimate). */
export function rms(residuals: number[]): number {
  return residuals.length ? Math.sqrt(residuals.reduce((a, r) => a + r * r, 0) / residuals.length) : NaN;
}

/**
 * The range rule v4: the RANGE_COVERAGE quantile of |r| (r = ln(measured / estimate), each training point predicted
 * by a fit without it) over the device's own residuals, each weighing 1, and every device's residuals pooled, weighing
 * PRIOR_WEIGHT points together; the range is exp(+/- that quantile), clamped to x0.1 .. x10. An empirical quantile,
 * not a normal spread: v3's root-mean-square spread grew with the heaviest residuals, so its nominal 80 % interval
 * covered 88 % of the training points left out and was x7.2 wide; this one covers 87 % at x4.5 (rangeRuleCheck).
 * Few points give mostly the pooled quantile; with residuals smaller than the pool's, fewer points never give a
 * narrower range (the pool's weight in the mix grows as n drops).
 */
export function predictionBand(residuals: number[], pooled: number[]): { low: number; high: number; half: number } {
  const values = [...residuals.map((r) => ({ v: Math.abs(r), w: 1 })), ...pooled.map((r) => ({ v: Math.abs(r), w: PRIOR_WEIGHT / pooled.length }))].sort((a, b) => a.v - b.v);
  const total = values.reduce((a, x) => a + x.w, 0);
  let acc = 0;
  let half = values.length ? values[values.length - 1].v : Math.log(10);
  for (const x of values) {
    acc += x.w;
    if (acc >= RANGE_COVERAGE * total - 1e-12) {
      half = x.v;
      break;
    }
  }
  half = Math.min(Math.log(10), half);
  return { low: Math.exp(-half), high: Math.exp(half), half };
}

/** Rule v4's half-width, never below the pool's own band (what a device with no residual of its own gets). */
function singleSourceHalf(residuals: number[], pooled: number[]): number {
  return Math.max(predictionBand(residuals, pooled).half, predictionBand([], pooled).half);
}

/**
 * The range of a device, rule v5 (docs/calibration-candidates/2026-12-04-single-source-floor.md): rule v4
 * (predictionBand); a device whose training points all come from one publication has residuals of that harness only,
 * in which no source's offset can show, so its range is never narrower than the pooled band.
 */
export function rangeBand(residuals: number[], pooled: number[], sources: number): { low: number; high: number; half: number } {
  if (sources >= 2) return predictionBand(residuals, pooled);
  const half = singleSourceHalf(residuals, pooled);
  return { low: Math.exp(-half), high: Math.exp(half), half };
}

/**
 * Training points of one runtime on a device (group) before estimates with that runtime get a range of their own. Rule
 * v6 asked for 5 (more than PRIOR_WEIGHT, so the runtime's own residuals outweigh the pool); rule v8
 * (docs/calibration-candidates/2026-12-04-every-runtime-range.md) gives every runtime with a training point its own
 * range, shrunk toward the pool as a device's is under v4; a runtime without one keeps the device's range, whose
 * residuals include the errors of runtimes the fit had not seen.
 */
export const RUNTIME_RANGE_MIN_POINTS = 1;
/** Runtime ranges resting on at least this many points bound the uncalibrated band from below (v6's threshold): one resting on fewer is mostly the pool's band or one contradicted residual, not a measure of how far an uncalibrated device can be off. */
export const UNCALIBRATED_RUNTIME_MIN_POINTS = 5;

/** A cross-validated residual r = ln(measured / estimate) with the runtime and publication of its point. */
export interface TaggedResidual {
  r: number;
  runtime: string;
  publication: string;
  /** By point: the left-out point lies outside the span of the device group's other training points (it was extrapolated). */
  outside?: boolean;
}

/** A range of a runtime on a device: its half-width and what it rests on. */
export interface RuntimeBand {
  half: number;
  points: number;
  sources: number;
}

const publicationsOf = (rs: TaggedResidual[]): number => new Set(rs.map((x) => x.publication)).size;

/**
 * Rules v6 and v8 (docs/calibration-candidates/2026-12-04-runtime-range.md, 2026-12-04-every-runtime-range.md): a
 * runtime with at least RUNTIME_RANGE_MIN_POINTS residuals on the device (5 under v6, 1 under v8) gets the range rule
 * v5 gives those residuals (mixed with the pool, floored at the pool's band when they come from one publication); one
 * runtime's contradictions (the Pi 5's two OpenVINO points, 8.7x apart on near-identical networks) then widen its own
 * range, not another's. Runtimes without a training point use the device's range (v5 over all of its residuals).
 */
export function runtimeBands(own: TaggedResidual[], pooled: number[]): Record<string, RuntimeBand> {
  const out: Record<string, RuntimeBand> = {};
  for (const runtime of [...new Set(own.map((x) => x.runtime))].sort()) {
    const mine = own.filter((x) => x.runtime === runtime);
    if (mine.length < RUNTIME_RANGE_MIN_POINTS) continue;
    const sources = publicationsOf(mine);
    out[runtime] = { half: rangeBand(mine.map((x) => x.r), pooled, sources).half, points: mine.length, sources };
  }
  return out;
}

/**
 * The range of uncalibrated priors: the widest of all — at least every calibrated device's half-width (in ln) and
 * at least the band the pooled residuals give a device with no point of its own. A noisy device keeps its wider range
 * without widening the others (rule v2 raised every device to the widest of those with more points: x16.9
 * everywhere, a range that decides nothing).
 */
export function uncalibratedHalf(calibratedHalves: number[], pooled: number[]): number {
  return Math.max(predictionBand([], pooled).half, ...calibratedHalves);
}

/** Coverage and median width (high / low) of a set of ranges judged against residuals. */
export interface CoverageWidth {
  points: number;
  coverage: number;
  medianWidth: number;
}

/**
 * Nested cross-validation of the range rule on the training split, applied as estimates apply it: each device's
 * residual r_i against the range the rule gives without it — the range of its runtime from that runtime's other
 * residuals where they are at least RUNTIME_RANGE_MIN_POINTS (rules v6, v8), else the device's from its other
 * residuals — the pool without it. Coverage and the median width of those ranges (high / low), reported side by side: a
 * range that covers by being wide decides nothing; `runtimeRanges` is the same over the points of runtimes that have a
 * range of their own, `fewPointRuntimes` over the points judged by a runtime range resting on fewer than
 * UNCALIBRATED_RUNTIME_MIN_POINTS others (the points rule v8 changes), `byGroup` per device group.
 */
export function rangeRuleCheck(groups: { residuals: TaggedResidual[]; sources: number }[]): CoverageWidth & { runtimeRanges: CoverageWidth; fewPointRuntimes: CoverageWidth; byGroup: CoverageWidth[]; outsideSpan: CoverageWidth } {
  const all: { inside: boolean; width: number; ownRuntime: boolean; fewPoints: boolean; group: number; outside: boolean }[] = [];
  groups.forEach(({ residuals: own, sources }, g) =>
    own.forEach((x, i) => {
      const others = own.filter((_, j) => j !== i);
      const pool = groups.flatMap((rs, h) => (h === g ? others : rs.residuals).map((y) => y.r));
      const sameRuntime = others.filter((y) => y.runtime === x.runtime);
      const { half } = sameRuntime.length >= RUNTIME_RANGE_MIN_POINTS
        ? rangeBand(sameRuntime.map((y) => y.r), pool, publicationsOf(sameRuntime))
        : rangeBand(others.map((y) => y.r), pool, sources);
      const ownRuntime = own.filter((y) => y.runtime === x.runtime).length >= RUNTIME_RANGE_MIN_POINTS;
      const fewPoints = sameRuntime.length >= RUNTIME_RANGE_MIN_POINTS && sameRuntime.length < UNCALIBRATED_RUNTIME_MIN_POINTS;
      all.push({ inside: Math.abs(x.r) <= half + 1e-12, width: Math.exp(2 * half), ownRuntime, fewPoints, group: g, outside: !!x.outside });
    }),
  );
  const of = (xs: typeof all): CoverageWidth => ({ points: xs.length, coverage: xs.filter((x) => x.inside).length / Math.max(1, xs.length), medianWidth: xs.length ? quantile(xs.map((x) => x.width), 0.5) : NaN });
  return {
    ...of(all),
    runtimeRanges: of(all.filter((x) => x.ownRuntime)),
    fewPointRuntimes: of(all.filter((x) => x.fewPoints)),
    byGroup: groups.map((_, g) => of(all.filter((x) => x.group === g))),
    // The points that, left out, lie outside the span of their device's other points: extrapolated (a report).
    outsideSpan: of(all.filter((x) => x.outside)),
  };
}

/** One (device, publication) pair of the single-source simulation: the device fitted on that publication alone. */
export interface SingleSourceSim {
  publication: string;
  /** That publication's points, each predicted by a fit on its other points (the residuals a single-source device has). */
  byPoint: number[];
  /** The device's points from its other publications, predicted by the fit on this publication alone. */
  otherSources: number[];
}

export interface SingleSourceCheck {
  pairs: number;
  points: number;
  v4: { coverage: number; medianWidth: number };
  v5: { coverage: number; medianWidth: number };
}

/**
 * How a range built from one publication's residuals covers a device's points from its other publications: the
 * situation of a device calibrated on a single source meeting a new one. Each simulated pair's range is rule v4 (its
 * by-point residuals mixed with the pool of every other device's residuals) and rule v5 (the same, never narrower
 * than that pool's own band); coverage and median width (high / low) over the other publications' points.
 */
export function singleSourceSimulation(groups: { sims: SingleSourceSim[]; own: number[] }[]): SingleSourceCheck {
  const inside = { v4: 0, v5: 0 };
  const widths: { v4: number[]; v5: number[] } = { v4: [], v5: [] };
  let pairs = 0;
  groups.forEach(({ sims }, g) => {
    const pool = groups.flatMap((h, k) => (k === g ? [] : h.own));
    for (const sim of sims) {
      if (!sim.otherSources.length) continue;
      pairs++;
      const h4 = predictionBand(sim.byPoint, pool).half;
      const h5 = singleSourceHalf(sim.byPoint, pool);
      for (const r of sim.otherSources) {
        if (Math.abs(r) <= h4 + 1e-12) inside.v4++;
        if (Math.abs(r) <= h5 + 1e-12) inside.v5++;
        widths.v4.push(Math.exp(2 * h4));
        widths.v5.push(Math.exp(2 * h5));
      }
    }
  });
  const points = widths.v4.length;
  const of = (k: 'v4' | 'v5') => ({ coverage: points ? inside[k] / points : NaN, medianWidth: points ? quantile(widths[k], 0.5) : NaN });
  return { pairs, points, v4: of('v4'), v5: of('v5') };
}

/**
 * Physical order between runtimes of one device: [faster, slower] means the first cannot be fitted slower
 * than the second. libedgetpu-max runs the same Edge TPU at its maximum clock, libedgetpu-std at a reduced
 * one (coral.ai; Ultralytics measured 16.7 vs 22.2 ms for YOLOv8n on a Pi 5).
 */
export const RUNTIME_ORDER: readonly [string, string][] = [['libedgetpu-max', 'libedgetpu-std']];

/** Raises a runtime factor that the fit put below its slower sibling to that sibling's factor. */
export function enforceRuntimeOrder(factors: Record<string, number>): void {
  for (const [fast, slow] of RUNTIME_ORDER) {
    if (factors[fast] !== undefined && factors[slow] !== undefined && factors[fast] < factors[slow]) factors[fast] = factors[slow];
  }
}

/** A runtime's fitted factor on a device (group), with the training points and publications it rests on. */
export interface RuntimeFit {
  factor: number;
  points: number;
  sources: string[];
}

/** A factor for a runtime without training points on a device, carried over from devices of its unit type. */
export interface TransferredRuntimeFactor {
  factor: number;
  /** The runtime's training points on the contributing devices (what the shrinkage toward 1 counts). */
  points: number;
  /** Each contributing device (group) and the runtimes measured on both that served as anchors. */
  from: { device: string; anchors: string[] }[];
}

/**
 * Runtime factor transfer (docs/calibration-candidates/2026-12-05-unmeasured-runtime.md, candidate A): a runtime R
 * without training points on a device (`target`: its runtimes with training points) takes, from every other device of
 * the same unit type where R was measured next to an anchor A that the target also has, ln f(R, D) minus the mean
 * over anchors of ln f(A, D) - ln f(A, target): the ratio f(R, D) / f(A, D) cancels D's compute scale, so it carries
 * only the two runtimes' relative speed on that kind of unit. The devices' values are averaged and shrunk toward the
 * prior 1 by n / (n + 1), n = R's training points on them. A pair whose training points include `excludePublication`
 * is skipped (cross-validation by source leaves that publication out everywhere). Null without a contributor.
 */
export function transferRuntimeFactor(runtime: string, target: Record<string, RuntimeFit>, others: { device: string; runtimes: Record<string, RuntimeFit> }[], excludePublication?: string): TransferredRuntimeFactor | null {
  const usable = (f: RuntimeFit | undefined): f is RuntimeFit => !!f && !(excludePublication !== undefined && f.sources.includes(excludePublication));
  const logs: number[] = [];
  const from: TransferredRuntimeFactor['from'] = [];
  let points = 0;
  for (const o of others) {
    const r = o.runtimes[runtime];
    if (!usable(r)) continue;
    const anchors = Object.keys(target).filter((a) => a !== runtime && usable(o.runtimes[a])).sort();
    if (!anchors.length) continue;
    const offset = anchors.reduce((s, a) => s + Math.log(o.runtimes[a].factor) - Math.log(target[a].factor), 0) / anchors.length;
    logs.push(Math.log(r.factor) - offset);
    points += r.points;
    from.push({ device: o.device, anchors });
  }
  if (!logs.length) return null;
  const ln = (logs.reduce((s, x) => s + x, 0) / logs.length) * (points / (points + 1));
  return { factor: round4(Math.min(10, Math.max(0.1, Math.exp(ln)))), points, from };
}

/**
 * Half-width (ln) of the band for a runtime without published points on a device (candidate B of the same file, not
 * adopted; the calibration reports how it would have covered): the
 * RANGE_COVERAGE quantile of |r| over the "unmeasured runtime" residuals (each training point predicted by a refit in
 * which its runtime had no other point on its device), never narrower than the device's own band, clamped to x10.
 */
export function unmeasuredRuntimeHalf(residuals: number[], deviceHalf: number): number {
  const q = residuals.length ? quantile(residuals.map(Math.abs), RANGE_COVERAGE) : 0;
  return Math.min(Math.log(10), Math.max(deviceHalf, q));
}
