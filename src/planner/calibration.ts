/**
 * Calibration of the estimator against published latencies (/work/shared/calibration/latency.csv):
 * which rows map to which catalog device and reference network, the fixed train / held-out split,
 * the per-device fit and the error metrics. Pure functions; scripts/calibrate.ts does the file work.
 * No `vscode` import.
 */
import type { ComputePrecision } from './types';
import type { DeviceCalibration } from './catalog';

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
  { id: 'ultralytics-benchmark', source: /ultralytics\/ultralytics docs\/en\/guides\/(raspberry-pi|nvidia-jetson)\.md/, measures: 'Ultralytics Python model.benchmark() pipeline (ms/image)' },
  { id: 'opencv-zoo', source: /opencv\/opencv_zoo/, measures: 'OpenCV model zoo benchmark, including pre- and post-processing' },
  { id: 'arm-harness', source: /huggingface\.co\/Arm\/|developer\.arm\.com\/ai\/models\/hugging-face\/Arm\//, measures: 'end-to-end p50 of the Arm evaluation harness' },
];

export function pipelineOf(source: string): string | undefined {
  return PIPELINE_SOURCES.find((s) => s.source.test(source))?.id;
}

/** A fitted fixed per-inference pipeline time: added when reproducing that source's points, never to user estimates. */
export interface PipelineOverhead {
  ms: number;
  /** Training points of this pipeline on the device (group). */
  points: number;
  /** Runtime ids those points used. */
  runtimes: string[];
  measures: string;
}

/** calibration.json's per-device entry: the catalog's DeviceCalibration plus the fitted pipeline overheads. */
export type CalibrationEntry = DeviceCalibration & { pipelineOverheadMs?: Record<string, PipelineOverhead> };

/** Bounds of the per-op overhead scale: 0.25x .. 4x of the prior per-op dispatch cost (physically plausible). */
export const OVERHEAD_SCALE_BOUNDS = { low: 0.25, high: 2 } as const;

// ---------------------------------------------------------------------------------------------
// Row -> catalog device, reference network, precision, runtime

const DEVICE_RULES: [RegExp, string | null, string?][] = [
  [/^Coral Dev Board/, 'coral-devboard'],
  [/^Coral USB Accelerator \(USB 3\.0\) on desktop host/, 'coral-usb', 'host is a desktop PC, not the catalog\'s Raspberry Pi 5 (only fallback ops and USB handling differ)'],
  [/^Coral USB Accelerator \(USB3; host not stated/, 'coral-usb', 'host not stated'],
  [/^Coral USB Accelerator on Raspberry Pi 5/, 'coral-usb'],
  [/^Coral USB Accelerator on Raspberry Pi 4/, null, 'Coral USB on a Raspberry Pi 4 host: the catalog\'s coral-usb assumes a Raspberry Pi 5 host'],
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

/** [model regex, variant regex, input regex, arch key or an LLM (params, bits per weight) spec]. */
type ArchRule = [RegExp, RegExp | null, RegExp | null, string | { params: number; bits: number; name: string }];
const ARCH_RULES: ArchRule[] = [
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
  [/ExecuTorch|TF Lite|TensorFlow Lite \(CPU\)/, 'xnnpack'],
  [/llama\.cpp/, 'llama.cpp'],
  [/X-CUBE-AI/, 'x-cube-ai'],
  [/Plumerai/, 'plumerai'],
  [/microTVM/, 'microtvm'],
  [/TensorFlow Lite for Microcontrollers/, 'tflm'],
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
  const precision = precisionOf(r.precision);
  if (!precision) return no(`precision not stated in the source ("${r.precision}")`);
  let arch: string | null = null;
  let llm: CalPoint['llm'] = null;
  for (const [m, v, i, target] of ARCH_RULES) {
    const mm = m.exec(r.model);
    if (!mm || (v && !v.test(r.variant)) || (i && !i.test(r.input))) continue;
    if (typeof target === 'string') arch = target.replace('$1', mm[1] ?? '');
    else {
      const size = Number(r.model_size_mb);
      llm = Number.isFinite(size) && size > 0
        ? { weightBytes: size * 1e6, basis: `${target.name}: ${size} MB model file (source)` }
        : { weightBytes: (target.params * target.bits) / 8, basis: `${target.name}: ${target.params / 1e9}B parameters x ${target.bits} bits (model size not in the source)` };
    }
    break;
  }
  if (!arch && !llm) return no('network not in the reference set (src/modelgen/reference-archs.ts)');
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
  return { key, row: index, device, arch, llm, precision, runtime, measuredMs: measured, label, source: r.source.slice(0, 160), ...(pipeline ? { pipeline } : {}), note: rule[2] };
}

// ---------------------------------------------------------------------------------------------
// Split, fit, metrics

/** The frozen split (calibration-split.ts): each point carries the split its row was frozen with. */
export function splitPoints(points: CalPoint[]): { train: CalPoint[]; heldOut: CalPoint[] } {
  const missing = points.find((p) => !p.split);
  if (missing) throw new Error(`${missing.label}: not in the frozen split (run node dist/scripts/freeze-split.js and commit it first)`);
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

/** Prior spread of ln(measured / estimate) for a calibrated roofline: x1.4 (research: "+/-30-50 %"). */
export const PRIOR_LOG_SPREAD = Math.log(1.4);
/** Weight of that prior, in points. */
export const PRIOR_WEIGHT = 2;

const T95 = [6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.74, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697];
/** One-sided 95th percentile of Student's t with `df` degrees of freedom. */
export function tQuantile95(df: number): number {
  if (df < 1) return T95[0];
  return df <= 30 ? T95[Math.round(df) - 1] : 1.645 + (1.697 - 1.645) * (30 / df);
}

/**
 * The range rule, fixed before looking at held-out points: a 90 % prediction interval for a log-normal
 * error. The spread s pools the n training residuals (leave-one-out where n >= 2) with the prior spread
 * (weight PRIOR_WEIGHT points): s^2 = (sum r^2 + w * s0^2) / (n + w); the interval is
 * exp(+/- t95(n + w - 1) * s * sqrt(1 + 1/n)); at least x0.8 .. x1.25, at most x0.25 .. x4.
 * Few points give a wide range (the t quantile and the prior dominate), many points a range set by the data.
 */
export function predictionBand(residuals: number[]): { low: number; high: number; spread: number; z: number } {
  const n = residuals.length;
  const ss = residuals.reduce((a, r) => a + r * r, 0);
  const spread = Math.sqrt((ss + PRIOR_WEIGHT * PRIOR_LOG_SPREAD ** 2) / (n + PRIOR_WEIGHT));
  const z = tQuantile95(n + PRIOR_WEIGHT - 1) * Math.sqrt(1 + 1 / Math.max(1, n));
  const half = z * spread;
  return { low: Math.max(0.25, Math.min(0.8, Math.exp(-half))), high: Math.min(4, Math.max(1.25, Math.exp(half))), spread, z };
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
