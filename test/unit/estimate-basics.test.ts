import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateDevice, estimateDeviceWith, EstimateInputError } from '../../src/planner/estimate';
import { applyCpuThreads, cpuUnit } from '../../src/planner/estimate/throughput';
import { loadCatalog, loadCalibration, toBase } from '../../src/planner/catalog';
import type { LayerProfile, ModelProfile } from '../../src/analyzers/profile-types';
import type { Precision } from '../../src/analyzers/graph';

type L = Partial<LayerProfile> & { name: string; op: string };

function layer(l: L): LayerProfile {
  return {
    opClass: 'conv', macs: 0, flops: 0, params: 0, weightBytes: 0, inputBytes: 0, outputShapes: [[1, 64, 28, 28]], activationBytes: 0, precision: 'fp32',
    ...l,
  } as LayerProfile;
}

/** A plain CNN: n conv layers of `macs` each with `params` weights at `p`, then a ReLU per conv. */
function cnn(opts: { n?: number; macs?: number; params?: number; p?: Precision; format?: 'onnx' | 'tflite'; ops?: string[] }): ModelProfile {
  const p = opts.p ?? 'fp32';
  const b = p === 'fp32' ? 4 : p === 'fp16' ? 2 : 1;
  const n = opts.n ?? 10;
  const conv = opts.format === 'tflite' ? 'CONV_2D' : 'Conv';
  const relu = opts.format === 'tflite' ? 'RELU' : 'Relu';
  const layers: LayerProfile[] = [];
  for (let i = 0; i < n; i++) {
    const op = opts.ops?.[i] ?? conv;
    layers.push(layer({ name: `conv${i}`, op, opClass: op === conv ? 'conv' : 'elementwise', macs: op === conv ? opts.macs ?? 50e6 : 0, flops: op === conv ? 0 : 50176, params: op === conv ? opts.params ?? 100_000 : 0, weightBytes: op === conv ? (opts.params ?? 100_000) * b : 0, inputBytes: 50176 * b, activationBytes: 50176 * b, precision: p, weightPrecision: p }));
    layers.push(layer({ name: `relu${i}`, op: relu, opClass: 'activation', macs: 0, flops: 50176, inputBytes: 50176 * b, activationBytes: 50176 * b, precision: p }));
  }
  const params = layers.reduce((s, l) => s + l.params, 0);
  return {
    file: '/tmp/model.onnx', format: opts.format ?? 'onnx', bytes: params * b, params, weightBytes: params * b,
    macs: layers.reduce((s, l) => s + (l.macs ?? 0), 0), flops: layers.reduce((s, l) => s + (l.flops ?? 0), 0),
    peakActivationBytes: 2 * 50176 * b, operatorCount: layers.length, opHistogram: { [conv]: n, [relu]: n },
    inputs: [{ name: 'x', shape: [1, 3, 224, 224], dtype: 'FLOAT' }], outputs: [{ name: 'y', shape: [1, 1000], dtype: 'FLOAT' }],
    weightDtypes: {}, quantization: { state: p === 'int8' ? 'int8-full' : 'float', weightPrecisions: { [p]: params * b }, quantizedOps: 0, perChannel: false, notes: [] },
    dynamicShapes: { symbols: [], bindings: {}, hasDynamic: false }, layers, subgraphCosts: [], compiledSegments: [], hasComputeGraph: true, metadata: {},
  };
}

test('a model with twice the MACs takes longer on every device', () => {
  for (const id of ['rpi5', 'rpi4', 'jetson-orin-nano-super', 'stm32h7', 'snapdragon-8-gen-3', 'apple-m1']) {
    const a = estimateDevice(cnn({ macs: 100e6, p: 'int8' }), id);
    const b = estimateDevice(cnn({ macs: 200e6, p: 'int8' }), id);
    assert.ok(b.latencyMs.typical > a.latencyMs.typical * 1.2, `${id}: ${a.latencyMs.typical} -> ${b.latencyMs.typical}`);
    assert.ok(a.latencyMs.low < a.latencyMs.typical && a.latencyMs.typical < a.latencyMs.high, `${id}: ordered range`);
  }
});

test('precision changes respond: int8 is faster and smaller than fp32 on the Pi 5', () => {
  const m = cnn({ macs: 200e6, p: 'fp32' });
  const f = estimateDevice(m, 'rpi5');
  const q = estimateDevice(m, 'rpi5', { precision: 'int8' });
  assert.equal(f.precision, 'fp32');
  assert.equal(q.precision, 'int8');
  assert.ok(q.latencyMs.typical < f.latencyMs.typical);
  assert.equal(f.memory.weightsBytes, 10 * 100_000 * 4);
  assert.equal(q.memory.weightsBytes, 10 * 100_000 * 1);
});

test('Edge TPU: int8 weights within the 8 MB cache are cached; beyond it they stream every inference', () => {
  const small = estimateDevice(cnn({ n: 10, params: 400_000, p: 'int8', format: 'tflite' }), 'coral-usb'); // 4 MB
  const big = estimateDevice(cnn({ n: 10, params: 2_000_000, p: 'int8', format: 'tflite' }), 'coral-usb'); // 20 MB
  assert.equal(small.compatibility.verdict, 'full');
  assert.equal(small.memory.onChipCache!.streamedBytes, 0);
  assert.equal(small.memory.onChipCache!.cachedBytes, 4e6);
  assert.equal(big.memory.onChipCache!.streamedBytes, 12e6);
  assert.ok(big.layers.some((l) => l.bottleneck === 'memory'), 'streamed layers are memory-bound');
  // 12 MB streamed every inference at the catalog's stream rate (times the calibrated memory scale, never faster
  // than the USB link) costs that much more than the cached model.
  const coral = loadCatalog().byId('coral-usb')!;
  const rate = Math.min(toBase(coral.accelerator!.paramStreamBandwidth, 'bandwidth')! * (loadCalibration().devices['coral-usb']?.memoryScale ?? 1), toBase(coral.accelerator!.link!.bandwidth, 'bandwidth')!);
  const cal = loadCalibration().devices['coral-usb'];
  const streamMs = (12e6 / rate) * 1000 / (cal?.runtimeFactors['libedgetpu-std'] ?? 1); // the runtime factor divides the whole graph time
  assert.ok(streamMs > 5, `${streamMs} ms`);
  assert.ok(big.latencyMs.typical > small.latencyMs.typical + 0.75 * streamMs, `${small.latencyMs.typical} vs ${big.latencyMs.typical} (stream ${streamMs} ms)`);
  assert.ok(small.assumptions.some((a) => /fit the ~/.test(a)));
  assert.ok(big.assumptions.some((a) => /streamed from the host/.test(a)));
});

test('Edge TPU: an FP32 model falls back entirely to the host CPU (verdict none)', () => {
  const e = estimateDevice(cnn({ p: 'fp32', format: 'tflite' }), 'coral-usb');
  assert.equal(e.compatibility.verdict, 'none');
  assert.match(e.compatibility.summary, /Nothing runs on the Edge TPU/);
  assert.match(e.compatibility.summary, /fall back to the 4x Arm Cortex-A76/);
  assert.ok(e.layers.every((l) => l.unit === 'cpu'));
  assert.ok(e.compatibility.fallback.some((f) => /int8/.test(f.reason)));
  assert.throws(() => estimateDevice(cnn({ p: 'fp32' }), 'coral-usb', { precision: 'fp32' }), (err: Error) => err instanceof EstimateInputError && /coral-usb cannot run fp32/.test(err.message));
});

test('a USB accelerator\'s host CPU layers run with the host\'s calibration: the committed one, or the one estimateDeviceWith is given', () => {
  const model = cnn({ p: 'fp32', format: 'tflite' }); // every layer falls back to the Pi 5 host
  const own = loadCalibration().devices['coral-usb'] ?? null;
  const committedHost = loadCalibration().devices.rpi5;
  assert.ok(committedHost, 'the Pi 5 is calibrated');
  const viaCatalog = estimateDeviceWith(model, 'coral-usb', {}, own).latencyMs.typical;
  assert.equal(estimateDeviceWith(model, 'coral-usb', {}, own, committedHost).latencyMs.typical, viaCatalog, 'the committed host factors, given or read, give one figure');
  assert.equal(estimateDevice(model, 'coral-usb').latencyMs.typical, viaCatalog);
  // A host fit twice as fast (compute) and with half the per-op cost makes the CPU-only estimate faster; the
  // uncalibrated host (null) is the prior.
  const faster = estimateDeviceWith(model, 'coral-usb', {}, own, { ...committedHost, computeScale: committedHost.computeScale * 2, overheadScale: committedHost.overheadScale / 2 }).latencyMs.typical;
  assert.ok(faster < viaCatalog, `${faster} < ${viaCatalog}`);
  const prior = estimateDeviceWith(model, 'coral-usb', {}, own, null).latencyMs.typical;
  assert.notEqual(prior, viaCatalog);
  // A device with its own CPU (no host) ignores the argument.
  const jetson = loadCalibration().devices['jetson-orin-nano'] ?? null;
  assert.equal(estimateDeviceWith(model, 'jetson-orin-nano', {}, jetson, null).latencyMs.typical, estimateDeviceWith(model, 'jetson-orin-nano', {}, jetson).latencyMs.typical);
});

test('Edge TPU: everything after the first unsupported op runs on the host CPU', () => {
  const ops = ['CONV_2D', 'CONV_2D', 'EXP', 'CONV_2D', 'CONV_2D'];
  const e = estimateDevice(cnn({ n: 5, p: 'int8', format: 'tflite', ops }), 'coral-usb');
  assert.equal(e.compatibility.verdict, 'partial');
  const units = e.layers.map((l) => `${l.name}:${l.unit}`);
  assert.deepEqual(units.slice(0, 4), ['conv0:accelerator', 'relu0:accelerator', 'conv1:accelerator', 'relu1:accelerator']);
  assert.ok(e.layers.slice(4).every((l) => l.unit === 'cpu'), units.join(' '));
  assert.ok(e.assumptions.some((a) => /partition boundar/.test(a)));
  // Hexagon (multi-partition) only moves the one op.
  const h = estimateDevice(cnn({ n: 5, p: 'int8', format: 'tflite', ops: ['CONV_2D', 'CONV_2D', 'WHILE', 'CONV_2D', 'CONV_2D'] }), 'snapdragon-8-gen-3');
  assert.equal(h.layers.filter((l) => l.unit === 'cpu').length, 1);
});

test('MCU: a 100 MB model does not fit the flash, and the margin says by how much', () => {
  const m = cnn({ n: 10, params: 10_000_000, p: 'int8' }); // 100 MB of int8 weights
  const e = estimateDevice(m, 'stm32h7');
  assert.equal(e.memory.fits, false);
  assert.equal(e.memory.flash!.fits, false);
  const limit = 2 * 1024 * 1024;
  assert.equal(e.memory.flash!.limitBytes, limit);
  const overBy = e.memory.flash!.neededBytes - limit;
  assert.ok(overBy > 97e6 && overBy < 99e6, `over by ${overBy}`);
  // A 50 KB model fits.
  const tiny = estimateDevice(cnn({ n: 5, params: 10_000, macs: 1e6, p: 'int8' }), 'stm32h7');
  assert.equal(tiny.memory.fits, true);
  assert.ok(tiny.memory.marginBytes! > 0);
});

test('unknown device, unsupported precision, bad budgets and runtimes are input errors', () => {
  const m = cnn({});
  assert.throws(() => estimateDevice(m, 'rpi9'), (e: Error) => e instanceof EstimateInputError && /unknown device "rpi9"/.test(e.message) && /rpi5/.test(e.message));
  assert.throws(() => estimateDevice(m, 'stm32l4', { precision: 'fp16' }), EstimateInputError);
  assert.throws(() => estimateDevice(m, 'rpi5', { budgets: { memoryMb: -5 } }), /memoryMb must be a positive number/);
  assert.throws(() => estimateDevice(m, 'rpi5', { budgets: { latencyMs: 1e12 } }), /absurd/);
  assert.throws(() => estimateDevice(m, 'rpi5', { budgets: { accuracyDrop: 400 } }), EstimateInputError);
  assert.throws(() => estimateDevice(m, 'rpi5', { runtime: 'tensorrt' }), /no runtime "tensorrt"/);
  assert.throws(() => estimateDevice(m, 'rpi5', { battery: { capacityWh: 0, inferencesPerHour: 10 } }), EstimateInputError);
});

test('memory budget and battery life', () => {
  const m = cnn({ params: 1_000_000, p: 'fp32' }); // 40 MB weights
  const e = estimateDevice(m, 'rpi5', { budgets: { memoryMb: 50 }, battery: { capacityWh: 10, inferencesPerHour: 3600 } });
  assert.equal(e.memory.budget!.fits, false, 'weights + runtime exceed 50 MB');
  assert.ok(e.memory.budget!.marginBytes < 0);
  assert.ok(e.memory.fits, 'fits 8 GB');
  assert.ok(e.energyMj && e.energyMj.typical > 0);
  assert.ok(e.inferencesPerWh! > 0);
  // 10 Wh at >= 4 W idle lasts at most 2.5 h.
  assert.ok(e.batteryLifeHours! > 0 && e.batteryLifeHours! <= 10 / 4.08 + 1e-9, String(e.batteryLifeHours));
  // Energy = power x time.
  assert.ok(Math.abs(e.energyMj!.typical - e.powerW!.typical * e.latencyMs.typical) < 1e-9);
});

test('phones and the M1: power while inferring as published (low / typical / high, each sourced), energy = that power x the latency range', () => {
  const m = cnn({ params: 2_000_000, p: 'int8' });
  for (const id of ['snapdragon-8-gen-3', 'apple-a17-pro', 'apple-m1']) {
    const device = loadCatalog().byId(id)!;
    const inf = device.power.inferring!;
    const e = estimateDevice(m, id);
    assert.deepEqual(e.powerW, { low: toBase(inf.low, 'power'), typical: toBase(inf.typical, 'power'), high: toBase(inf.high, 'power') }, id);
    assert.ok(e.powerW!.low < e.powerW!.typical && e.powerW!.typical < e.powerW!.high, id);
    assert.ok(Math.abs(e.energyMj!.low - e.powerW!.low * e.latencyMs.low) < 1e-9 && Math.abs(e.energyMj!.high - e.powerW!.high * e.latencyMs.high) < 1e-9, id);
    const said = e.assumptions.find((a) => /from published figures/.test(a)) ?? '';
    assert.match(said, /not a calibrated energy run on /, id);
    assert.ok(said.includes(inf.scope) && said.includes(inf.typical.ref.source.split(' ')[0]), id);
  }
  // The Snapdragon's figures are whole-phone measurements of the NPU at work; the A17 Pro's are bounds (no Neural Engine measurement is published).
  assert.match(loadCatalog().byId('apple-a17-pro')!.power.inferring!.scope, /no published measurement/);
  // The M1's are its Neural Engine's own rail: the energy is what the engine adds, and the scope says so.
  assert.match(loadCatalog().byId('apple-m1')!.power.inferring!.scope, /Neural Engine's own power rail.*not included/);
  // Without a published figure, no power and no energy, and the estimate says why.
  const sd8g2 = estimateDevice(m, 'snapdragon-8-gen-2');
  assert.equal(sd8g2.powerW, null);
  assert.equal(sd8g2.energyMj, null);
  assert.ok(sd8g2.assumptions.some((a) => /Power is not estimated/.test(a)));
});

test('detection post-processing: on the CPU it runs at the rate published timings show (all boxes candidates), and the estimate says so', () => {
  const m = cnn({ n: 4, p: 'int8', format: 'tflite', ops: ['CONV_2D', 'CONV_2D', 'CONV_2D', 'CUSTOM:TFLite_Detection_PostProcess'] });
  for (const id of ['coral-devboard', 'rpi5']) {
    const e = estimateDevice(m, id);
    const pp = e.layers.filter((l) => l.op === 'CUSTOM:TFLite_Detection_PostProcess');
    assert.ok(pp.length === 1 && pp[0].unit === 'cpu', `${id}: ${JSON.stringify(pp)}`);
    // 9.1 ns per counted op measured on the Dev Board's CPU; 4.3 cycles per op at the Pi 5's 2.4 GHz; plus one dispatch.
    const scalarMs = id === 'coral-devboard' ? (50176 * 9.1) / 1e6 : (50176 * 4.3) / 2.4e6;
    assert.ok(pp[0].ms >= scalarMs && pp[0].ms < scalarMs + 0.5, `${id}: ${pp[0].ms} vs ${scalarMs}`);
    const said = e.assumptions.find((a) => a.startsWith('The detection post-processing (TFLite_Detection_PostProcess) runs on the CPU')) ?? '';
    assert.match(said, /scalar code on one core, estimated at [0-9.]+ ms from its arithmetic \(0\.0502 million counted ops\) at the rate published timings of it show/, id);
    assert.match(said, /NobuoTsukamoto\/benchmarks: .* took 5\.2 ms on a Coral Dev Board's CPU and 1\.7 ms on a Raspberry Pi 4 with 10 kept detections, 22\.9 and 6\.8 ms with 100/, id);
  }
  // Behind a score threshold (an ONNX NonMaxSuppression of a YOLO export) the count is a worst case: vector rate, and the published rate stated apart.
  const yolo = cnn({ n: 2, p: 'fp32', ops: ['Conv', 'NonMaxSuppression'] });
  yolo.layers[2] = { ...yolo.layers[2], opClass: 'reduce', variant: 'score-threshold' };
  const y = estimateDevice(yolo, 'rpi5');
  const said = y.assumptions.find((a) => a.startsWith('The detection post-processing (NonMaxSuppression)')) ?? '';
  assert.match(said, /a worst case: a score threshold leaves fewer candidates\) at the unit's vector rate/);
  assert.ok(said.includes(`would take about ${+((50176 * 4.3) / 2.4e6).toPrecision(2)} ms here (derived, not measured on this device), which the latency range does not include`), said);
  // A model without such an op says nothing about it.
  assert.ok(!estimateDevice(cnn({ p: 'int8' }), 'rpi5').assumptions.some((a) => /post-processing \(/.test(a)));
});

test('weights-only LLM file: per-token latency is bandwidth-bound; an unknown non-LLM file says so', () => {
  const llm: ModelProfile = { ...cnn({}), format: 'gguf', hasComputeGraph: false, layers: [], params: 1.7e9, weightBytes: 1.8e9, macs: null, flops: null, peakActivationBytes: null, metadata: { 'general.architecture': 'llama', 'llama.block_count': 24, 'llama.attention.head_count': 16 }, quantization: { state: 'block-quantized', weightPrecisions: { int8: 1.8e9 }, quantizedOps: 0, perChannel: false, notes: [] } };
  const e = estimateDevice(llm, 'rpi5');
  assert.equal(e.latencyBasis, 'per-token');
  // 1.8 GB over at most 17 GB/s cannot be faster than ~106 ms per token.
  assert.ok(e.latencyMs.typical > 1.8e9 / 17.07e9 * 1000, String(e.latencyMs.typical));
  assert.equal(e.bottleneck, 'memory');
  const j = estimateDevice(llm, 'jetson-orin-nano-super');
  assert.ok(j.latencyMs.typical < e.latencyMs.typical, 'more bandwidth, faster decode');
  const vad: ModelProfile = { ...llm, format: 'safetensors', params: 300_000, weightBytes: 1.2e6, metadata: {} };
  const v = estimateDevice(vad, 'rpi5');
  assert.equal(v.latencyBasis, 'unknown');
  assert.ok(Number.isNaN(v.latencyMs.typical));
  assert.ok(v.assumptions.some((a) => /not estimated/.test(a)));
  assert.equal(v.memory.weightsBytes, 1.2e6);
});

test('an Edge TPU compiled model runs on the Coral and nowhere else', () => {
  const base = cnn({ n: 1, p: 'int8', format: 'tflite' });
  const compiled: ModelProfile = {
    ...base,
    layers: [layer({ name: 'edgetpu', op: 'CUSTOM:edgetpu-custom-op', opClass: 'compiled', macs: null, flops: null, precision: 'uint8', compiledPayloadBytes: 500_000 })],
    compiledSegments: [{ kind: 'edgetpu', op: 'CUSTOM:edgetpu-custom-op', node: 'edgetpu', payloadBytes: 500_000 }],
    quantization: { ...base.quantization, state: 'compiled' },
  };
  const c = estimateDevice(compiled, 'coral-usb');
  assert.equal(c.compatibility.verdict, 'full');
  assert.equal(c.layers[0].unit, 'accelerator');
  const r = estimateDevice(compiled, 'rpi5');
  assert.equal(r.compatibility.verdict, 'unsupported');
  assert.equal(r.latencyBasis, 'unknown');
  assert.match(r.compatibility.blockers.join(' '), /compiled for edgetpu/);
});

test('the Edge TPU takes only TensorFlow Lite: a graph in another format is told how to get there, a .tflite is not', () => {
  const how: Record<string, RegExp> = {
    onnx: /^ONNX model: the Edge TPU runs only TensorFlow Lite models — convert \(e\.g\. onnx2tf\)/,
    keras: /^Keras model: .*TensorFlow Lite converter/,
    pytorch: /^PyTorch model: .*ai-edge-torch/,
    coreml: /^Core ML model: .*start from the TensorFlow or PyTorch model it was converted from/,
  };
  for (const [format, re] of Object.entries(how)) {
    const m: ModelProfile = { ...cnn({ n: 2, p: 'int8' }), format: format as ModelProfile['format'] };
    const e = estimateDevice(m, 'coral-usb');
    assert.ok(e.compatibility.blockers.some((b) => re.test(b)), `${format}: ${e.compatibility.blockers.join(' | ')}`);
    assert.ok(!estimateDevice(m, 'rpi5').compatibility.blockers.some((b) => /Edge TPU/.test(b)));
  }
  const tflite = estimateDevice(cnn({ n: 2, p: 'int8', format: 'tflite' }), 'coral-usb');
  assert.ok(!tflite.compatibility.blockers.some((b) => /runs only TensorFlow Lite/.test(b)), tflite.compatibility.blockers.join(' | '));
});

test('activation DRAM traffic: an NPU keeps activations on chip (weights still stream); a CPU pays for them', () => {
  // Same MACs and weights; the second model moves 64x the activation bytes per layer.
  const withActs = (m: ModelProfile, k: number): ModelProfile => ({ ...m, layers: m.layers.map((l) => ({ ...l, inputBytes: (l.inputBytes ?? 0) * k, activationBytes: (l.activationBytes ?? 0) * k })) });
  const small = cnn({ macs: 1e6, params: 10_000, p: 'int8' });
  const big = withActs(small, 64);
  // apple-m1: an uncalibrated NPU whose catalog gives a DRAM bandwidth, so only the prior share (0) decides.
  assert.equal(estimateDevice(big, 'apple-m1').latencyMs.typical, estimateDevice(small, 'apple-m1').latencyMs.typical);
  assert.ok(estimateDevice(big, 'apple-m1').assumptions.some((a) => /activations are assumed to stay in its on-chip memory/.test(a)), 'the estimate says so');
  assert.ok(!estimateDevice(big, 'rpi5').assumptions.some((a) => /on-chip memory/.test(a)));
  const heavy = cnn({ macs: 1e6, params: 4_000_000, p: 'int8' });
  assert.ok(estimateDevice(heavy, 'apple-m1').latencyMs.typical > 2 * estimateDevice(small, 'apple-m1').latencyMs.typical, 'weights still go to DRAM');
  assert.ok(estimateDevice(big, 'rpi5').latencyMs.typical > 2 * estimateDevice(small, 'rpi5').latencyMs.typical, 'a CPU writes and reads its activations in DRAM');
});

test('CPU threads: one thread of the Pi 5\'s four slows compute-bound CPU layers up to 4x, says so, and bad counts are input errors', () => {
  const m = cnn({ n: 10, macs: 400e6, params: 50_000 });
  const all = estimateDevice(m, 'rpi5', { precision: 'fp32' });
  const four = estimateDevice(m, 'rpi5', { precision: 'fp32', cpuThreads: 4 });
  const one = estimateDevice(m, 'rpi5', { precision: 'fp32', cpuThreads: 1 });
  const two = estimateDevice(m, 'rpi5', { precision: 'fp32', cpuThreads: 2 });
  assert.equal(four.latencyMs.typical, all.latencyMs.typical, 'every core is the default');
  const r = one.latencyMs.typical / all.latencyMs.typical;
  assert.ok(r > 2.5 && r <= 4 + 1e-9, `1 of 4 cores: x${r} (compute scales with cores, dispatch does not)`);
  assert.ok(two.latencyMs.typical > all.latencyMs.typical && two.latencyMs.typical < one.latencyMs.typical);
  assert.equal(estimateDevice(m, 'rpi5', { precision: 'fp32', cpuThreads: 64 }).latencyMs.typical, all.latencyMs.typical, 'more threads than cores use every core');
  assert.match(one.assumptions.join('\n'), /1 thread, so its layers compute at 1 of the 4 cores its peak counts/);
  // A memory-bound model (big weights, few MACs) barely moves: threads scale compute only.
  const mem = cnn({ n: 4, macs: 1e6, params: 20_000_000 });
  const ratio = estimateDevice(mem, 'rpi5', { precision: 'fp32', cpuThreads: 1 }).latencyMs.typical / estimateDevice(mem, 'rpi5', { precision: 'fp32' }).latencyMs.typical;
  assert.ok(ratio < 1.1, `memory-bound x${ratio}`);
  // The Coral's host CPU takes the thread count for the ops that fall back to it.
  const fp32OnCoral = estimateDevice(cnn({ n: 4, macs: 200e6 }), 'coral-usb');
  const fp32OnCoral1 = estimateDevice(cnn({ n: 4, macs: 200e6 }), 'coral-usb', { cpuThreads: 1 });
  assert.ok(fp32OnCoral1.latencyMs.typical > 2 * fp32OnCoral.latencyMs.typical, 'an fp32 model runs entirely on the Pi 5 host');
  // A phone CPU's peaks count its performance cores (peakCores): two threads on the A17 Pro use both of them.
  const scaled = (id: string, t: number) => {
    const u = cpuUnit(loadCatalog().byId(id)!, 1);
    const before = u.dense.fp32!;
    const r = applyCpuThreads(u, t)!;
    return { ...r, share: u.dense.fp32! / before };
  };
  assert.deepEqual(scaled('apple-a17-pro', 2), { threads: 2, used: 2, cores: 2, share: 1 });
  assert.deepEqual(scaled('apple-a17-pro', 1), { threads: 1, used: 1, cores: 2, share: 0.5 });
  assert.deepEqual(scaled('snapdragon-8-gen-3', 3), { threads: 3, used: 3, cores: 6, share: 0.5 });
  assert.deepEqual(scaled('rpi5', 2), { threads: 2, used: 2, cores: 4, share: 0.5 });
  for (const bad of [0, -1, 1.5, Number.NaN, 5000]) assert.throws(() => estimateDevice(m, 'rpi5', { cpuThreads: bad }), EstimateInputError, String(bad));
  assert.throws(() => estimateDevice(m, 'stm32h7', { cpuThreads: 2 }), /microcontroller core/);
});

test('on an NPU a precision factor divides the NPU layers\' whole time (docs/calibration-candidates/2026-12-04-npu-precision-whole-time.md); on a GPU it scales the compute rate only', () => {
  const small = cnn({ n: 20, macs: 1e6, params: 1000, p: 'fp16' }); // per-op cost dominates
  const big = cnn({ n: 20, macs: 400e6, p: 'fp16' }); // arithmetic dominates
  const at = (id: string, model: ModelProfile, fp16: number): { ms: number; units: string[] } => {
    const cal = loadCalibration().devices[id]!;
    const e = estimateDeviceWith(model, id, { precision: 'fp16' }, { ...cal, precisionFactors: { ...cal.precisionFactors, fp16 } });
    return { ms: e.latencyMs.typical, units: e.layers.map((l) => l.unit) };
  };
  for (const model of [small, big]) {
    const [one, half] = [at('snapdragon-8-gen-3', model, 1), at('snapdragon-8-gen-3', model, 0.5)];
    assert.ok(one.units.every((u) => u === 'accelerator'), 'every layer runs on the NPU');
    assert.ok(Math.abs(half.ms / one.ms - 2) < 1e-9, `a factor of 0.5 doubles the whole time: ${one.ms} -> ${half.ms}`);
  }
  // On the Jetson's GPU the factor scales the compute rate: a per-op-bound model hardly moves, an arithmetic-bound one does.
  const smallGpu = at('jetson-orin-nano', small, 0.5).ms / at('jetson-orin-nano', small, 1).ms;
  const bigGpu = at('jetson-orin-nano', big, 0.5).ms / at('jetson-orin-nano', big, 1).ms;
  assert.ok(smallGpu < bigGpu && smallGpu < 1.5, `GPU: small x${smallGpu}, big x${bigGpu}`);
});
