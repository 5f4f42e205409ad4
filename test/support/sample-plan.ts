/**
 * A realistic PlanDocument built by hand for the exporter tests: a MobileNetV2-like ONNX model with 200 layers,
 * three devices (one that does not fit, one with CPU-fallback ops), a three-step pipeline with commands, risks,
 * rollout stages, long text that must wrap, and user text that needs escaping (<, &, ", emoji, RTL).
 * The lead may later replace it with a document from the real pipeline; the tests only rely on the types.
 */
import type { LayerProfile, ModelProfile } from '../../src/analyzers/profile-types';
import { createDefaultPlan, type PlanDocument } from '../../src/planner/plan';
import type { DeviceEstimate, LayerEstimate, Range } from '../../src/planner/types';

/** User text with characters every format must escape or encode, and text in a right-to-left script. */
export const SPECIAL_TEXT = 'Wake-word <gate> & "night mode" 🚀 — مرحبا بالعالم';
export const LONG_TEXT =
  'The calibration set must cover every acoustic environment the product ships into — kitchens with extractor fans, cars at ' +
  'motorway speed, children speaking at a distance of three metres, and rooms with strong reverberation — because INT8 ' +
  'post-training quantization picks its activation ranges from exactly these samples, and a range that is too narrow clips ' +
  'the loud inputs while one that is too wide wastes resolution on the quiet ones. '.repeat(2) +
  'Unbroken-identifier-that-is-very-long: https://github.com/example-org/example-repository/blob/0123456789abcdef0123456789abcdef01234567/docs/quantization/calibration-dataset-guidelines.md';

const r = (low: number, typical: number, high: number): Range => ({ low, typical, high });

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const LAYER_PATTERN = ['Conv', 'BatchNormalization', 'Clip', 'Conv', 'Clip', 'Conv', 'Add', 'Conv'] as const;

function makeLayers(count: number): LayerProfile[] {
  const rand = rng(7);
  const layers: LayerProfile[] = [];
  for (let i = 0; i < count; i++) {
    const op = i === count - 2 ? 'GlobalAveragePool' : i === count - 1 ? 'Gemm' : LAYER_PATTERN[i % LAYER_PATTERN.length];
    const isConv = op === 'Conv' || op === 'Gemm';
    const params = op === 'Gemm' ? 1_281_000 : isConv ? Math.round(2_000 + rand() * 60_000) : op === 'BatchNormalization' ? 256 : 0;
    const macs = op === 'Gemm' ? 1_280_000 : isConv ? Math.round(500_000 + rand() * 6_000_000) : 0;
    const act = Math.round(50_000 + rand() * 1_500_000);
    const block = Math.floor(i / LAYER_PATTERN.length);
    layers.push({
      name: `/features.${block}/conv/${op === 'Conv' ? 'Conv' : op}_${i}`,
      op,
      opClass: op === 'Gemm' ? 'matmul' : op === 'Conv' ? (i % 8 === 3 ? 'depthwise-conv' : 'conv') : op === 'Clip' ? 'activation' : op === 'Add' ? 'elementwise' : op === 'BatchNormalization' ? 'normalization' : 'pool',
      macs,
      flops: isConv ? 0 : Math.round(act / 4),
      params,
      weightBytes: params * 4,
      inputBytes: act,
      outputShapes: [[1, 32 + (block % 10) * 32, 112 >> Math.min(4, block >> 2), 112 >> Math.min(4, block >> 2)]],
      activationBytes: act,
      precision: 'fp32',
      ...(params ? { weightPrecision: 'fp32' as const } : {}),
    });
  }
  return layers;
}

function histogram(layers: LayerProfile[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const l of layers) h[l.op] = (h[l.op] ?? 0) + 1;
  return h;
}

export function sampleProfile(layerCount = 200): ModelProfile {
  const layers = makeLayers(layerCount);
  const params = layers.reduce((s, l) => s + l.params, 0);
  const macs = layers.reduce((s, l) => s + (l.macs ?? 0), 0);
  return {
    file: 'models/mobilenet_v2-kws.onnx',
    format: 'onnx',
    bytes: params * 4 + 48_213,
    params,
    weightBytes: params * 4,
    macs,
    flops: layers.reduce((s, l) => s + (l.flops ?? 0), 0),
    peakActivationBytes: 4_816_896,
    ...(layers.length > 3 ? { peakActivationAt: layers[3].name } : {}),
    executionOrder: 'file-order',
    operatorCount: layers.length,
    opHistogram: histogram(layers),
    inputs: [{ name: 'input', shape: ['batch', 3, 224, 224], dtype: 'FLOAT' }],
    outputs: [{ name: 'logits', shape: ['batch', 1000], dtype: 'FLOAT' }],
    weightDtypes: { FLOAT: params * 4 - 4096, INT64: 4096 },
    quantization: { state: 'float', weightPrecisions: { fp32: params * 4 }, quantizedOps: 0, perChannel: false, notes: ['No quantization: every weight is FLOAT.'] },
    dynamicShapes: { symbols: ['batch'], bindings: { batch: 1 }, hasDynamic: true },
    layers,
    subgraphCosts: [],
    compiledSegments: [],
    hasComputeGraph: true,
    irVersion: 7,
    opset: { '': 12 },
    metadata: { producer_name: 'pytorch' },
  };
}

function layerEstimates(profile: ModelProfile, totalMs: number, cpuOps: Set<string> = new Set()): LayerEstimate[] {
  const weight = (l: LayerProfile): number => (l.macs ?? 0) + (l.activationBytes ?? 0) / 10 + 1000;
  const total = profile.layers.reduce((s, l) => s + weight(l), 0);
  return profile.layers.map((l) => ({
    name: l.name,
    op: l.op,
    unit: cpuOps.has(l.op) ? 'cpu' : 'accelerator',
    ms: (weight(l) / total) * totalMs,
    bottleneck: (l.macs ?? 0) > 0 ? 'compute' : 'memory',
  }));
}

export function sampleEstimates(profile: ModelProfile): DeviceEstimate[] {
  const rpi: DeviceEstimate = {
    device: 'rpi5',
    deviceName: 'Raspberry Pi 5',
    precision: 'fp32',
    runtime: 'ONNX Runtime 1.20 (CPU, 4 threads)',
    latencyMs: r(14.2, 21.7, 33.5),
    bottleneck: 'compute',
    layers: layerEstimates(profile, 21.7),
    memory: {
      weightsBytes: profile.weightBytes,
      activationBytes: 4_816_896,
      runtimeOverheadBytes: 30_000_000,
      totalBytes: profile.weightBytes + 4_816_896 + 30_000_000,
      limitBytes: 8_000_000_000,
      fits: true,
      marginBytes: 8_000_000_000 - (profile.weightBytes + 4_816_896 + 30_000_000),
    },
    powerW: r(4.1, 5.4, 7.2),
    energyMj: r(58.2, 117, 241),
    inferencesPerWh: 30_700,
    compatibility: { verdict: 'full', summary: 'Every operator runs on the CPU execution provider.', accelerated: Object.keys(profile.opHistogram), fallback: [], blockers: [] },
    assumptions: [
      'Four Cortex-A76 cores at 2.4 GHz, NEON FP32; efficiency 18–35 % of peak fitted on published MobileNet points.',
      'The symbolic dimension "batch" is bound to 1.',
      'Active cooling: no thermal throttling within a 10 s burst.',
    ],
    calibration: { points: 6, sources: ['github.com/ultralytics/ultralytics', 'huggingface.co/arm'], medianAbsLogError: 0.21, note: 'Fitted on published MobileNetV1/V2 and ResNet-50 latencies for the Pi 5' },
  };
  const coral: DeviceEstimate = {
    device: 'coral-usb',
    deviceName: 'Coral USB Accelerator',
    precision: 'int8',
    runtime: 'TFLite + libedgetpu (std clock) on a Raspberry Pi 5 host',
    latencyMs: r(3.1, 4.6, 9.8),
    bottleneck: 'transfer',
    layers: layerEstimates(profile, 4.6, new Set(['GlobalAveragePool', 'Gemm'])),
    memory: {
      weightsBytes: Math.round(profile.weightBytes / 4),
      activationBytes: 1_204_224,
      runtimeOverheadBytes: 2_000_000,
      totalBytes: Math.round(profile.weightBytes / 4) + 1_204_224 + 2_000_000,
      limitBytes: 8_000_000,
      fits: true,
      marginBytes: 8_000_000 - (Math.round(profile.weightBytes / 4) + 1_204_224 + 2_000_000),
      onChipCache: { capacityBytes: 8_000_000, cachedBytes: Math.round(profile.weightBytes / 4), streamedBytes: 0 },
    },
    powerW: r(1.2, 2.0, 2.4),
    energyMj: r(3.7, 9.2, 23.5),
    inferencesPerWh: 391_000,
    compatibility: {
      verdict: 'partial',
      summary: 'The Edge TPU runs the convolutions; the pooling and the classifier run on the host CPU after the first unsupported op.',
      accelerated: ['Conv', 'Clip', 'Add', 'BatchNormalization'],
      fallback: [
        { op: 'GlobalAveragePool', nodes: [profile.layers[profile.layers.length - 2].name], count: 1, reason: 'Not supported by edgetpu_compiler 16 for this input size; everything after it runs on the CPU.' },
        { op: 'Gemm', nodes: [profile.layers[profile.layers.length - 1].name], count: 1, reason: 'Follows an unsupported op, so it stays on the CPU (one Edge TPU partition only).' },
      ],
      blockers: ['Needs full INT8 quantization (uint8/int8 TFLite) before edgetpu_compiler accepts it.'],
    },
    assumptions: ['USB 3.0 link; parameters fit in the ≈8 MB on-chip SRAM, so nothing is streamed per inference.', 'Host pre/post-processing not included.'],
  };
  const stm: DeviceEstimate = {
    device: 'stm32h747',
    deviceName: 'STM32H747 (Cortex-M7)',
    precision: 'int8',
    runtime: 'TensorFlow Lite Micro with CMSIS-NN',
    latencyMs: r(610, 905, 1480),
    bottleneck: 'compute',
    layers: layerEstimates(profile, 905),
    memory: {
      weightsBytes: Math.round(profile.weightBytes / 4),
      activationBytes: 1_204_224,
      runtimeOverheadBytes: 60_000,
      totalBytes: 1_264_224,
      limitBytes: 864_000,
      fits: false,
      marginBytes: 864_000 - 1_264_224,
      flash: { neededBytes: Math.round(profile.weightBytes / 4) + 150_000, limitBytes: 2_000_000, fits: false },
    },
    powerW: r(0.25, 0.32, 0.4),
    energyMj: r(152, 290, 592),
    compatibility: { verdict: 'partial', summary: 'All ops have CMSIS-NN kernels, but the model does not fit SRAM or flash.', accelerated: ['Conv', 'Add'], fallback: [], blockers: ['Activation arena 1.26 MB exceeds ≈864 KB usable SRAM.', 'Weights exceed 2 MB flash.'] },
    assumptions: ['480 MHz Cortex-M7, CMSIS-NN INT8 kernels at 40–60 % of 0.96 GMAC/s peak.'],
  };
  return [rpi, coral, stm];
}

export function samplePlanDocument(): PlanDocument {
  const profile = sampleProfile(200);
  const estimates = sampleEstimates(profile);
  const plan = createDefaultPlan('models/mobilenet_v2-kws.onnx', 'mobilenet_v2-kws', ['rpi5', 'coral-usb', 'stm32h747'], {
    latencyMs: 20,
    memoryMb: 64,
    accuracyDrop: 1,
  });
  plan.project = { name: 'Smart speaker wake-word', owner: 'Dana Okafor', version: '1.2', date: '2026-11-03', useCase: SPECIAL_TEXT };
  plan.compression = { techniques: ['op-rewrite', 'int8-ptq', 'structured-pruning'], notes: LONG_TEXT };
  plan.runtime = { name: 'ONNX Runtime 1.20', notes: 'XNNPACK execution provider; 4 threads.' };
  plan.dataConstraints = 'Recordings may not leave the EU; 2,000 labelled clips available for calibration.';
  plan.fairness = { groups: ['children', 'adults', 'older adults', 'non-native speakers'], metric: 'False-reject rate per group', maxGapPoints: 2, notes: '' };
  plan.monitoring.drift = 'Weekly comparison of the on-device confidence histogram against the launch baseline (PSI > 0.2 alerts).';
  plan.offloading = { enabled: true, confidenceThreshold: 0.6, fallback: 'Cloud ASR endpoint (opt-in users only)', notes: '' };
  plan.privacy.notes = 'Audio never leaves the device unless the user opts in to cloud fallback.';
  plan.risks = [
    { description: `INT8 calibration set misses far-field speech: ${LONG_TEXT.slice(0, 120)}`, likelihood: 'medium', impact: 'high', mitigation: 'Record 300 far-field clips per room type before calibration; re-audit per group.' },
    { description: 'Thermal throttling of the Pi 5 in a closed enclosure raises p95 latency above budget.', likelihood: 'high', impact: 'medium', mitigation: 'Add a heat sink; measure p95 after 30 min soak; keep 20 % latency headroom.' },
    { description: `User-named profiles contain ${SPECIAL_TEXT}`, likelihood: 'low', impact: 'low', mitigation: 'Escape every user string in exports & logs.' },
  ];
  plan.openQuestions = ['Is the Coral USB still procurable in volume (project unmaintained since 2021)?', 'Which accuracy metric does product sign off on: FRR at 1 FA/h, or top-1?'];

  const lat = r(9.4, 13.8, 19.6);
  return {
    plan,
    profile,
    estimates,
    recommendation: {
      device: 'rpi5',
      budgets: plan.budgets,
      recommendations: [
        {
          device: 'rpi5',
          steps: [
            {
              technique: 'op-rewrite',
              title: 'Fold BatchNormalization into Conv',
              why: 'Removes 25 normalization nodes that cost memory traffic without changing the math.',
              expected: { speedup: r(1.03, 1.06, 1.1), accuracyDropPoints: r(0, 0, 0) },
              source: 'onnxruntime graph optimizations docs (constant folding, Conv+BN fusion)',
              commands: [{ toolchain: 'onnxruntime', language: 'python', code: 'import onnxruntime as ort\nso = ort.SessionOptions()\nso.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED\nso.optimized_model_filepath = "mobilenet_v2-kws.opt.onnx"\nort.InferenceSession("mobilenet_v2-kws.onnx", so)' }],
              effort: 'no-retraining',
            },
            {
              technique: 'int8-ptq',
              title: 'Static INT8 quantization with QDQ',
              why: 'The Pi 5 CPU has dot-product instructions (sdot); INT8 convolutions run about twice as fast as FP32 and weights shrink 4×.',
              expected: { sizeFactor: r(0.25, 0.26, 0.28), speedup: r(1.4, 1.9, 2.4), accuracyDropPoints: r(0.2, 0.5, 1.2) },
              source: 'https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html',
              commands: [
                {
                  toolchain: 'onnxruntime.quantization',
                  language: 'python',
                  code: 'from onnxruntime.quantization import quantize_static, QuantFormat, QuantType\nquantize_static("mobilenet_v2-kws.opt.onnx", "mobilenet_v2-kws.int8.onnx", CalibrationReader("calib/"),\n                quant_format=QuantFormat.QDQ, per_channel=True, weight_type=QuantType.QInt8)',
                  notes: ['Use at least 300 calibration clips covering every group in the fairness audit.'],
                },
              ],
              effort: 'calibration-data',
            },
            {
              technique: 'structured-pruning',
              title: 'Prune 30 % of channels, fine-tune 5 epochs',
              why: 'Leaves headroom under the 20 ms budget for the p95 under thermal load.',
              expected: { sizeFactor: r(0.65, 0.7, 0.75), speedup: r(1.15, 1.3, 1.45), accuracyDropPoints: r(0.1, 0.4, 1) },
              source: 'Torch-Pruning (github.com/VainF/Torch-Pruning) MobileNetV2 results',
              commands: [{ toolchain: 'torch-pruning', language: 'bash', code: 'python prune.py --model mobilenet_v2 --ratio 0.3 --finetune-epochs 5 --out mobilenet_v2-kws-pruned.pt' }],
              effort: 'retraining',
            },
          ],
          predicted: { latencyMs: lat, memoryBytes: 36_900_000, energyMj: r(38.5, 74.5, 141), accuracyDrop: r(0.3, 0.9, 2.2) },
          meetsBudgets: { latency: true, memory: true, accuracy: true },
          meetsAll: true,
          runs: true,
          effort: 'retraining',
          missed: [],
          misses: [],
          summaryBasis: { what: 'Fold BatchNormalization into Conv → Static INT8 quantization with QDQ → Prune 30 % of channels, fine-tune 5 epochs', deviceName: 'Raspberry Pi 5', estimated: true, notes: '' },
          summary: 'Fold BatchNorm, quantize to INT8 with per-channel QDQ, then prune 30 % of channels: 13.8 ms typical on the Pi 5, within the 20 ms budget even at the high estimate.',
        },
        {
          device: 'rpi5',
          steps: [{ technique: 'int8-ptq', title: 'INT8 only', why: 'Cheapest option.', expected: { speedup: r(1.4, 1.9, 2.4) }, source: 'onnxruntime docs', commands: [], effort: 'calibration-data' }],
          predicted: { latencyMs: r(7.5, 11.4, 23.9), memoryBytes: 38_000_000, energyMj: null, accuracyDrop: r(0.2, 0.5, 1.2) },
          meetsBudgets: { latency: false, memory: true, accuracy: true },
          meetsAll: false,
          runs: true,
          effort: 'calibration-data',
          missed: [{ kind: 'latency', ms: 23.9, budgetMs: 20 }],
          misses: ['latency: high estimate 23.9 ms exceeds the 20 ms budget by 3.9 ms'],
          summaryBasis: { what: 'INT8 only', deviceName: 'Raspberry Pi 5', estimated: true, notes: '' },
          summary: 'INT8 alone.',
        },
      ],
      alternatives: [{ device: 'jetson-orin-nano', deviceName: 'Jetson Orin Nano 8GB', predicted: { latencyMs: r(1.1, 1.9, 3.4), memoryBytes: 120_000_000, energyMj: r(9, 14, 30), accuracyDrop: r(0, 0.1, 0.3) }, meetsBudgets: { latency: true, memory: false }, pipeline: ['fp16'] }],
      verdict: 'A pipeline meets every budget on Raspberry Pi 5.',
      operations: ['Calibrate with data covering all four fairness groups.', 'Re-run the fairness audit after quantization and pruning.', 'Roll out in stages with automatic rollback on p95 latency.'],
    },
    sources: [
      { device: 'Raspberry Pi 5', figure: 'CPU', value: '4× Cortex-A76 @ 2.4 GHz', source: 'https://docs.zephyrproject.org/4.0.0/boards/raspberrypi/rpi_5/doc/index.html', quote: 'Broadcom BCM2712 2.4GHz quad-core 64-bit Arm Cortex-A76 CPU' },
      { device: 'Raspberry Pi 5', figure: 'Memory', value: '4 / 8 GB LPDDR4X-4267', source: 'https://docs.zephyrproject.org/4.0.0/boards/raspberrypi/rpi_5/doc/index.html', quote: 'LPDDR4X-4267 SDRAM (4GB and 8GB SKUs available at launch)' },
      { device: 'Coral USB Accelerator', figure: 'INT8 peak', value: '4 TOPS', source: 'https://coral.ai/docs/accelerator/datasheet/', quote: 'Google Edge TPU ML accelerator: 4 TOPS total peak performance (int8)' },
      { device: 'Coral USB Accelerator', figure: 'On-chip SRAM', value: '≈8 MB', source: 'https://coral.ai/docs/edgetpu/pipeline/', quote: 'the Edge TPU has roughly 8 MB of SRAM that can cache the model parameters' },
      { device: 'STM32H747 (Cortex-M7)', figure: 'SRAM / flash', value: '1 MB / 2 MB', source: 'https://www.st.com/en/microcontrollers-microprocessors/stm32h747-757.html', quote: 'up to 2 Mbytes of Flash memory and 1 Mbyte of RAM' },
    ],
    warnings: ['Input dimension "batch" was bound to 1.'],
    generatedAt: '2026-11-03T10:15:00.000Z',
    toolVersion: '0.1.0',
  };
}

/** A plan with everything optional left empty: no recommendation, risks, sources, fairness, offloading or layers. */
export function minimalPlanDocument(): PlanDocument {
  const profile = sampleProfile(0);
  profile.layers = [];
  profile.opHistogram = {};
  profile.operatorCount = 0;
  profile.macs = null;
  profile.macsUnknownReason = 'no compute graph';
  profile.hasComputeGraph = false;
  profile.quantization.notes = [];
  const est = sampleEstimates(sampleProfile(8))[0];
  est.layers = [];
  const plan = createDefaultPlan('m.onnx', 'tiny-model', ['rpi5']);
  plan.project.name = 'Minimal plan';
  plan.project.date = '2026-11-03';
  plan.rollout.stages = [];
  plan.monitoring = { metrics: [], drift: '', notes: '' };
  plan.rollout.signing = '';
  plan.rollout.rollback = '';
  plan.rollout.abTest = '';
  return {
    plan,
    profile,
    estimates: [est],
    recommendation: null,
    sources: [],
    warnings: [],
    generatedAt: '2026-11-03T10:15:00.000Z',
    toolVersion: '0.1.0',
  };
}
