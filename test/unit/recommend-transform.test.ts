/**
 * The recommender's building blocks: the technique table (every range cited, validated at load), the
 * profile transforms (exact arithmetic on real analyzed models), and the copy-ready commands.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { applyTechnique, studentFactors, findRewriteRule } from '../../src/planner/recommend/transform';
import { TECHNIQUES, parseTechniqueTable, TechniqueTableError } from '../../src/planner/recommend/technique-table';
import { commandsFor, inputSpecs, toolchainFor } from '../../src/planner/recommend/commands';
import { operationalPlan } from '../../src/planner/recommend/operations';
import { loadCatalog } from '../../src/planner/catalog';
import raw from '../../src/planner/recommend/techniques.json';
import { mobilenetV1Onnx, mlpOnnx, profileOf, cleanupRecommendModels } from '../support/recommend-models';

after(() => cleanupRecommendModels());

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

test('technique table: every technique cites sources that exist, with a quote', () => {
  for (const [id, e] of Object.entries(TECHNIQUES.entries)) {
    assert.ok(e.sources.length > 0, id);
    for (const s of e.sources) {
      const ref = TECHNIQUES.sources[s];
      assert.ok(ref && ref.source && ref.quote.length > 20, `${id} → ${s}`);
    }
    assert.ok(e.accuracyDropPoints.low <= e.accuracyDropPoints.typical && e.accuracyDropPoints.typical <= e.accuracyDropPoints.high, id);
  }
  // The published headline figures the table must carry (TFLite PTQ table, Krishnamoorthi).
  assert.equal(TECHNIQUES.entries['int8-ptq'].sizeFactor!.low, 0.25);
  assert.equal(TECHNIQUES.entries.fp16.sizeFactor!.typical, 0.5);
  assert.match(TECHNIQUES.sources['TFL-PTQ'].quote, /Full integer quantization \| 4x smaller, 3x\+ speedup/);
  assert.match(TECHNIQUES.sources.KRISH.quote, /within 2% of floating point/);
  // Devices that cannot run a technique say so (null), not a fake 1x.
  assert.equal(TECHNIQUES.entries.fp16.speedup.edgetpu, null);
  assert.equal(TECHNIQUES.entries['int8-dynamic'].speedup.edgetpu, null);
  assert.deepEqual(TECHNIQUES.entries['int8-qat'].speedup, TECHNIQUES.entries['int8-ptq'].speedup);
  assert.deepEqual(TECHNIQUES.sparsityAcceleratedOn, ['gpu-tensorrt']);
});

test('technique table: a broken table is rejected with the field named', () => {
  const bad = clone(raw) as { techniques: Record<string, Record<string, unknown>>; sources: Record<string, unknown> };
  bad.techniques.fp16.accuracyDropPoints = { low: 1, typical: 0.5, high: 2 };
  assert.throws(() => parseTechniqueTable(bad), (e: unknown) => e instanceof TechniqueTableError && /fp16\.accuracyDropPoints/.test((e as Error).message));
  const bad2 = clone(raw) as { techniques: Record<string, Record<string, unknown>> };
  bad2.techniques['int8-ptq'].sources = ['NO-SUCH-SOURCE'];
  assert.throws(() => parseTechniqueTable(bad2), /unknown source NO-SUCH-SOURCE/);
  const bad3 = clone(raw) as { techniques: Record<string, unknown> };
  delete bad3.techniques['low-rank'];
  assert.throws(() => parseTechniqueTable(bad3), /low-rank is missing/);
});

test('INT8 PTQ: conv/linear weights to a quarter, activations to a quarter, int8 compute; the input profile is untouched', async () => {
  const p = await profileOf(mobilenetV1Onnx('t-mnv1.onnx'));
  const before = clone(p);
  const { profile: q, changes } = applyTechnique(p, 'int8-ptq');
  assert.deepEqual(clone(p), before, 'applyTechnique must not mutate its input'); // compared as JSON: the profile's records have no prototype
  const pw = p.layers.findIndex((l) => l.name === 'pw3');
  assert.ok(pw >= 0);
  assert.equal(q.layers[pw].weightBytes, Math.round(p.layers[pw].weightBytes / 4));
  assert.equal(q.layers[pw].precision, 'int8');
  assert.equal(q.layers[pw].weightPrecision, 'int8');
  assert.equal(q.layers[pw].activationBytes, p.layers[pw].activationBytes! / 4);
  assert.equal(q.layers[pw].macs, p.layers[pw].macs, 'quantization does not change MACs');
  assert.ok(Math.abs(q.weightBytes / p.weightBytes - 0.25) < 0.01, `${q.weightBytes} / ${p.weightBytes}`);
  assert.ok(q.quantization.state === 'int8-full' || q.quantization.state === 'mixed');
  assert.equal(q.quantization.perChannel, true);
  assert.ok(changes[0].includes('int8'));
  // FP16: exactly half.
  const h = applyTechnique(p, 'fp16').profile;
  assert.equal(h.layers[pw].weightBytes, p.layers[pw].weightBytes / 2);
  assert.equal(h.layers[pw].precision, 'fp16');
  // Dynamic INT8: weights int8, activations stay float-sized.
  const d = applyTechnique(p, 'int8-dynamic').profile;
  assert.equal(d.layers[pw].weightBytes, Math.round(p.layers[pw].weightBytes / 4));
  assert.equal(d.layers[pw].activationBytes, p.layers[pw].activationBytes);
  assert.equal(d.quantization.state, 'int8-weights-only');
  // Quantizing twice does not shrink further.
  const twice = applyTechnique(q, 'int8-ptq').profile;
  assert.equal(twice.weightBytes, q.weightBytes);
});

test('structured pruning 50 %: interior 1x1 convs lose 75 % of MACs, first conv and classifier 50 %, depthwise 50 %', async () => {
  const p = await profileOf(mobilenetV1Onnx('t-mnv1-prune.onnx'));
  const { profile: q } = applyTechnique(p, 'structured-pruning', { fraction: 0.5 });
  const at = (name: string) => p.layers.findIndex((l) => l.name === name);
  const ratio = (name: string) => q.layers[at(name)].macs! / p.layers[at(name)].macs!;
  assert.equal(ratio('stem'), 0.5);
  assert.equal(ratio('pw4'), 0.25);
  assert.equal(ratio('dw4'), 0.5);
  assert.equal(ratio('fc'), 0.5);
  assert.equal(q.layers[at('pw4')].params, Math.round(p.layers[at('pw4')].params * 0.25));
  assert.ok(q.macs! < 0.3 * p.macs!, `${q.macs} vs ${p.macs}`);
  assert.ok(q.peakActivationBytes! < p.peakActivationBytes!);
});

test('low-rank: a 1024x1024 Linear factorised at rank 256 keeps half its weights and MACs', async () => {
  const p = await profileOf(mlpOnnx('t-mlp.onnx'));
  const fc1 = p.layers.findIndex((l) => l.name === 'fc1');
  assert.ok(p.layers[fc1].params >= 1024 * 1024);
  const { profile: q, changes } = applyTechnique(p, 'low-rank');
  const k = 1024;
  const n = 1024;
  const r = 256;
  const f = (r * (k + n)) / (k * n);
  assert.equal(f, 0.5);
  assert.equal(q.layers[fc1].macs, p.layers[fc1].macs! * f);
  assert.equal(p.layers[fc1].params, k * n + n, 'weights + bias');
  assert.equal(q.layers[fc1].params, r * (k + n) + n, 'U (K x r) + V (r x N) + the bias');
  const fc2 = p.layers.findIndex((l) => l.name === 'fc2');
  assert.equal(q.layers[fc2].macs, p.layers[fc2].macs, 'the small 1024x10 head is left alone');
  assert.match(changes[0], /1 Linear\/MatMul layer/);
});

test('distillation: MobileNetV1 → MobileNetV3-Small scales MACs to the student\'s published 56 M', async () => {
  const p = await profileOf(mobilenetV1Onnx('t-mnv1-kd.onnx'));
  const student = TECHNIQUES.students.find((s) => s.name === 'MobileNetV3-Small')!;
  const f = studentFactors(p, student)!;
  assert.ok(Math.abs(f.macs * p.macs! - 56e6) / 56e6 < 1e-9);
  const q = applyTechnique(p, 'distillation', { student }).profile;
  assert.ok(Math.abs(q.macs! - 56e6) / 56e6 < 0.01, `${q.macs}`);
  assert.ok(Math.abs(q.params - 2.5e6) / 2.5e6 < 0.02, `${q.params}`);
});

test('op rewrite: the unsupported op is renamed to its supported replacement; dynamic shapes become static', async () => {
  const p = await profileOf(mobilenetV1Onnx('t-mnv1-leaky.onnx', { leakyAt: 2, dynamicBatch: true }));
  assert.equal(p.dynamicShapes.hasDynamic, true);
  assert.equal(p.opHistogram.LeakyRelu, 1);
  const { profile: q, rewrites } = applyTechnique(p, 'op-rewrite', { ops: ['LeakyRelu'] });
  assert.equal(q.layers.filter((l) => l.op === 'LeakyRelu').length, 0);
  assert.equal(q.opHistogram.LeakyRelu, undefined);
  assert.equal(q.opHistogram.Relu, p.opHistogram.Relu + 1);
  assert.equal(rewrites![0].layers, 1);
  assert.equal(rewrites![0].rule!.equivalent, false);
  assert.equal(q.dynamicShapes.hasDynamic, false);
  assert.deepEqual(q.inputs[0].shape, [1, 3, 224, 224]);
  // Rules match both ONNX and TFLite spellings.
  assert.ok(findRewriteRule('LEAKY_RELU'));
  assert.ok(findRewriteRule('Gelu')!.equivalent);
  assert.ok(findRewriteRule('com.microsoft:Gelu'));
  assert.equal(findRewriteRule('Conv'), null);
});

test('commands: ONNX Runtime static QDQ and TensorRT use the real input name and the bound dynamic shape', async () => {
  const p = await profileOf(mobilenetV1Onnx('t-dyn.onnx', { dynamicBatch: true }));
  assert.deepEqual(inputSpecs(p)[0], { name: 'input', shape: [1, 3, 224, 224], dtype: p.inputs[0].dtype });
  assert.equal(toolchainFor(p, 'cpu-fp16'), 'onnxruntime');
  const ort = commandsFor('int8-ptq', { profile: p, deviceClass: 'cpu-fp16', deviceId: 'rpi5', deviceName: 'Raspberry Pi 5' }).map((c) => c.code).join('\n');
  assert.match(ort, /python -m onnxruntime\.quantization\.preprocess --input t-dyn\.onnx --output t-dyn\.infer\.onnx/);
  assert.match(ort, /quant_format=QuantFormat\.QDQ/);
  assert.match(ort, /per_channel=True/);
  assert.match(ort, /"input": x0/);
  const trt = commandsFor('int8-ptq', { profile: p, deviceClass: 'gpu-tensorrt', deviceId: 'jetson-orin-nano', deviceName: 'Jetson' }).map((c) => c.code).join('\n');
  assert.match(trt, /--shapes=input:1x3x224x224/);
  assert.match(trt, /--int8 --fp16/);
  assert.match(trt, /ActivationSymmetric/);
  const qnn = commandsFor('int8-ptq', { profile: p, deviceClass: 'htp', deviceId: 'snapdragon-8-gen-3', deviceName: 'SD 8 Gen 3' }).map((c) => c.code).join('\n');
  assert.match(qnn, /qnn_preprocess_model\("t-dyn\.onnx", "t-dyn\.qnn-pre\.onnx"\)/);
  assert.match(qnn, /get_qnn_qdq_config/);
  assert.match(qnn, /QNNExecutionProvider/);
  const dyn = commandsFor('int8-dynamic', { profile: p, deviceClass: 'cpu', deviceId: 'rpi4', deviceName: 'Raspberry Pi 4' }).map((c) => c.code).join('\n');
  assert.match(dyn, /quantize_dynamic\(/);
  const mcu = commandsFor('int8-ptq', { profile: p, deviceClass: 'mcu', deviceId: 'stm32h7', deviceName: 'STM32H7' }).map((c) => c.code).join('\n');
  assert.match(mcu, /xxd -i t-dyn_int8\.tflite/);
  assert.match(mcu, /stedgeai analyze -m t-dyn_int8\.tflite --target stm32h7/);
  const rw = commandsFor('op-rewrite', { profile: p, deviceClass: 'edgetpu', deviceId: 'coral-usb', deviceName: 'Coral' }).map((c) => c.code).join('\n');
  assert.match(rw, /make_dynamic_shape_fixed --dim_param N --dim_value 1 t-dyn\.onnx t-dyn\.static\.onnx/);
});

test('ST Edge AI commands name each board\'s own STM32 series as --target (ST Edge AI Core CLI, "Supported STM32 series")', async () => {
  // https://stedgeai-dc.st.com/assets/embedded-docs/stm32_command_line_interface.html lists the series --target takes
  // (stm32f7, stm32h7, stm32l4, stm32u5 ...); without one, stedgeai assumes stm32h7.
  const p = await profileOf(mlpOnnx('t-stm.onnx'));
  const expected: Record<string, string> = { stm32h7: 'stm32h7', stm32f7: 'stm32f7', stm32l4: 'stm32l4', stm32u5: 'stm32u5' };
  const mcus = loadCatalog().devices.filter((d) => /^stm32/.test(d.id));
  assert.deepEqual(mcus.map((d) => d.id).sort(), Object.keys(expected).sort(), 'every STM32 board of the catalog is checked');
  for (const d of mcus) {
    const code = commandsFor('int8-ptq', { profile: p, deviceClass: 'mcu', deviceId: d.id, deviceName: d.name }).map((c) => c.code).join('\n');
    assert.match(code, new RegExp(`stedgeai analyze -m t-stm_int8\\.tflite --target ${expected[d.id]}\\n`), d.id);
    assert.match(code, new RegExp(`stedgeai generate -m t-stm_int8\\.tflite --target ${expected[d.id]}(\\n|$)`), d.id);
  }
  const esp = commandsFor('int8-ptq', { profile: p, deviceClass: 'mcu', deviceId: 'esp32-s3', deviceName: 'ESP32-S3' }).map((c) => c.code).join('\n');
  assert.doesNotMatch(esp, /stedgeai/);
});

test('operational plan: calibration coverage only with static quantization; staged OTA and offloading always', () => {
  const withPtq = operationalPlan({ techniques: ['int8-ptq'], deviceClass: 'edgetpu', deviceName: 'Coral', budgets: { accuracyDrop: 1 }, accuracyDropTypical: 0.8, noFit: false }).join('\n');
  assert.match(withPtq, /Calibration set coverage/);
  assert.match(withPtq, /every user group/);
  assert.match(withPtq, /Fairness re-audit/);
  assert.match(withPtq, /Edge TPU: pin the compiler/);
  const none = operationalPlan({ techniques: ['none'], deviceClass: 'cpu-fp16', deviceName: 'Pi 5', budgets: {}, accuracyDropTypical: 0, noFit: false }).join('\n');
  assert.doesNotMatch(none, /Calibration set coverage/);
  assert.doesNotMatch(none, /Fairness re-audit/);
  assert.match(none, /1 % \(canary\) → 10 % → 100 %/);
  assert.match(none, /signed/);
  assert.match(none, /Confidence-gated offloading/);
});

test('commands: a model in another format is exported to ONNX before an ONNX toolchain reads it, and never fed to it as is', async () => {
  const onnx = await profileOf(mobilenetV1Onnx('t-fmt.onnx'));
  const as = (format: string, file: string) => ({ ...clone(onnx), format, file }) as typeof onnx;
  const code = (technique: Parameters<typeof commandsFor>[0], p: typeof onnx, deviceClass: Parameters<typeof commandsFor>[1]['deviceClass'], runtime?: string) =>
    commandsFor(technique, { profile: p, deviceClass, deviceId: 'd', deviceName: 'D', runtime }).map((c) => `## ${c.toolchain}\n${c.code}`).join('\n');

  // TFLite to TensorRT on a Jetson: tf2onnx, then ONNX Runtime's QDQ and trtexec on the exported file.
  const trt = code('int8-ptq', as('tflite', '/w/face.tflite'), 'gpu-tensorrt');
  assert.match(trt, /^## tf2onnx \(TFLite → ONNX\)\npip install tf2onnx\npython -m tf2onnx\.convert --tflite face\.tflite --output face\.onnx --opset 17/);
  assert.match(trt, /preprocess --input face\.onnx --output face\.infer\.onnx/);
  assert.match(trt, /trtexec --onnx=face\.int8\.qdq\.onnx/);
  assert.doesNotMatch(trt, /--input face\.tflite|--onnx=face\.tflite/);
  assert.match(code('fp16', as('tflite', '/w/face.tflite'), 'gpu-tensorrt'), /tf2onnx[\s\S]*trtexec --onnx=face\.onnx/);

  // Keras on the Hexagon NPU stays in TFLite; Keras on a Jetson goes through tf2onnx.from_keras with the real input.
  assert.doesNotMatch(code('int8-ptq', as('keras', '/w/k.h5'), 'htp'), /tf2onnx/);
  assert.match(code('int8-ptq', as('keras', '/w/k.h5'), 'gpu-tensorrt'), /load_model\("k\.h5"\)[\s\S]*tf\.TensorSpec\(\(1, 3, 224, 224\), tf\.float32, name="input"\)[\s\S]*output_path="k\.onnx"/);

  // A Core ML file runs only on Apple devices: on a Pi its source is exported; coremltools is never the Pi's toolchain.
  const coreml = as('coreml', '/w/hourglass.mlmodel');
  assert.equal(toolchainFor(coreml, 'cpu-fp16'), 'onnxruntime');
  const pi = code('int8-ptq', coreml, 'cpu-fp16');
  assert.match(pi, /^## PyTorch \(torch\.onnx\.export\)\n# hourglass\.mlmodel is Core ML, which runs only on Apple devices[\s\S]*"hourglass\.onnx"/);
  assert.match(pi, /preprocess --input hourglass\.onnx/);
  assert.doesNotMatch(pi, /coremltools|MLModel\("hourglass/);
  assert.match(code('int8-ptq', coreml, 'edgetpu'), /hourglass\.mlmodel is Core ML[\s\S]*from_saved_model\("hourglass_saved_model"\)/);

  // Structured pruning of a TensorFlow model says that the filters must be removed by rebuilding it (tfmot only zeroes them).
  const notes = (p: typeof onnx) => commandsFor('structured-pruning', { profile: p, deviceClass: 'cpu-fp16', deviceId: 'd', deviceName: 'D' }).flatMap((c) => c.notes ?? []).join(' ');
  assert.match(notes(as('keras', '/w/k.h5')), /k\.h5 comes from TensorFlow[\s\S]*prune_low_magnitude only zeroes weights/);
  assert.doesNotMatch(notes(onnx), /comes from TensorFlow/);

  // A .tflite for the Hexagon NPU is timed on the phone through the QNN TFLite delegate; AI Hub profiles the target's own phone.
  const htp = (id: string) => commandsFor('int8-ptq', { profile: as('keras', '/w/k.h5'), deviceClass: 'htp', deviceId: id, deviceName: id }).map((c) => `## ${c.toolchain}\n${c.code}`).join('\n');
  assert.match(htp('snapdragon-8-gen-3'), /## QNN TFLite delegate \(on the phone, adb\)\n#[^\n]*\nadb push k_int8\.tflite [\s\S]*--graph=k_int8\.tflite --external_delegate_path=libQnnTFLiteDelegate\.so --external_delegate_options='backend_type:htp'/);
  const aiHub = (id: string) => commandsFor('int8-ptq', { profile: onnx, deviceClass: 'htp', deviceId: id, deviceName: id }).map((c) => c.code).join('\n');
  assert.match(aiHub('snapdragon-8-gen-2'), /hub\.Device\("Samsung Galaxy S23 \(Family\)"\)/);
  assert.doesNotMatch(aiHub('snapdragon-8-gen-2'), /S24/);
  assert.match(aiHub('snapdragon-8-gen-3'), /hub\.Device\("Samsung Galaxy S24 \(Family\)"\)/);

  // An ONNX model gets no export step; switching runtimes exports where the runtime reads ONNX, and ExecuTorch says it needs PyTorch.
  assert.doesNotMatch(code('int8-ptq', onnx, 'gpu-tensorrt'), /tf2onnx|torch\.onnx\.export/);
  assert.match(code('change-runtime', as('tflite', '/w/face.tflite'), 'cpu-fp16', 'ONNX Runtime'), /tf2onnx[\s\S]*InferenceSession\('face\.onnx'\)/);
  assert.doesNotMatch(code('change-runtime', as('tflite', '/w/face.tflite'), 'cpu-fp16', 'OpenVINO'), /tf2onnx/);
  // LiteRT reads .tflite: an ONNX model is converted (onnx2tf, then the converter) and the interpreter loads the result.
  assert.match(code('change-runtime', onnx, 'cpu-fp16', 'LiteRT (TFLite) + XNNPACK'), /onnx2tf -i t-fmt\.onnx[\s\S]*open\("t-fmt_float\.tflite", "wb"\)[\s\S]*Interpreter\('t-fmt_float\.tflite'\)/);
  const tpu = code('change-runtime', as('tflite', '/w/m_int8_edgetpu.tflite'), 'edgetpu', 'TFLite + libedgetpu (maximum clock, runs hot)');
  assert.match(tpu, /sudo apt-get install libedgetpu1-max/);
  assert.doesNotMatch(tpu, /TFLiteConverter|Interpreter\(/);
  const et = code('change-runtime', onnx, 'cpu-fp16', 'ExecuTorch + XNNPACK delegate');
  assert.match(et, /t-fmt\.onnx is onnx: start from the PyTorch module[\s\S]*torch\.export\.export\(model\.eval\(\), \(torch\.rand\(1, 3, 224, 224\),\)\)[\s\S]*xnn_executor_runner --model_path=t-fmt_xnnpack\.pte/);
});
