import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import type { ModelProfile } from '../../src/analyzers/profile-types';
import { REFERENCE_ARCHS } from '../support/modelgen/reference-archs';
import { writeModel, OnnxGraphBuilder, attr } from '../support/modelgen/onnx-builder';
import { canonicalOp } from '../../src/planner/estimate/compatibility';
import { deployGraph, accountsForEveryNode, type DeployedGraph } from '../../src/planner/estimate/deployed-graph';
import { loadDeploymentRules, parseDeploymentRules } from '../../src/planner/catalog/deployment-rules';
import rulesJson from '../../src/planner/catalog/deployment-rules.json';
import { torchExportStyle } from '../support/export-style';
import { estimateDevice } from '../../src/planner/estimate';
import { loadCatalog } from '../../src/planner/catalog';
import { tempDir, sharedDir, SKIP_NO_SHARED } from '../support/shared';

const TOOLCHAINS = Object.keys(loadDeploymentRules().toolchains);
const deploy = (m: ModelProfile, toolchain: string) => deployGraph(m, { toolchain, canonical: (l) => canonicalOp(l, m.format) });
const histogram = (g: DeployedGraph) => {
  const h: Record<string, number> = {};
  for (const l of g.layers) h[`${l.canonical}/${l.precision}`] = (h[`${l.canonical}/${l.precision}`] ?? 0) + 1;
  return h;
};

async function cleanAndExported(key: string): Promise<{ clean: ModelProfile; exported: ModelProfile }> {
  const dir = tempDir('deployed');
  try {
    const spec = REFERENCE_ARCHS[key].build().model({ opset: 17 });
    writeModel(spec, path.join(dir, 'clean.onnx'));
    writeModel(torchExportStyle(spec), path.join(dir, 'exported.onnx'));
    return { clean: (await analyzeFile(path.join(dir, 'clean.onnx'))).model, exported: (await analyzeFile(path.join(dir, 'exported.onnx'))).model };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a network written cleanly and written as torch.onnx.export leaves it deploys to the same layers on every toolchain', async () => {
  for (const key of ['resnet18_224', 'mobilenet_v2_1.0_224', 'mobilenet_v3_large_224', 'yolov8n_320', 'vit_b16_224']) {
    const { clean, exported } = await cleanAndExported(key);
    assert.ok(exported.layers.length > clean.layers.length, `${key}: the exported file has the extra nodes`);
    assert.ok(exported.opHistogram.BatchNormalization > 0, `${key}: BatchNormalization after the convolutions`);
    const shapeChains = (exported.opHistogram.Shape ?? 0) > 0;
    for (const tc of TOOLCHAINS.filter((t) => loadDeploymentRules().toolchains[t].fixedShapes)) {
      const a = deploy(clean, tc);
      const b = deploy(exported, tc);
      assert.deepEqual(histogram(b), histogram(a), `${key} on ${tc}`);
      assert.deepEqual(accountsForEveryNode(a, clean.layers), [], `${key} clean on ${tc}`);
      assert.deepEqual(accountsForEveryNode(b, exported.layers), [], `${key} exported on ${tc}`);
      assert.ok(!b.layers.some((l) => l.canonical === 'SHAPE' || l.op === 'BatchNormalization' || l.op === 'Identity'), `${key} on ${tc}: shape arithmetic, BN and Identity are gone`);
      const macs = (g: DeployedGraph) => g.layers.reduce((s, l) => s + (l.macs ?? 0), 0);
      assert.equal(macs(b), macs(a), `${key} on ${tc}: same MACs`);
      assert.deepEqual(b.assumedBindings, shapeChains ? { batch_size: 1 } : {}, `${key} on ${tc}: the binding the folding relied on is stated`);
    }
    // ONNX Runtime keeps dynamic shapes: the shape arithmetic runs (and says why), the rest deploys alike.
    const ort = deploy(exported, 'onnxruntime');
    if (shapeChains) assert.ok(ort.unfolded.length > 0 && ort.unfolded.every((u) => /batch_size are dynamic/.test(u.reason)), `${key}: ${JSON.stringify(ort.unfolded.slice(0, 3))}`);
    assert.equal(ort.layers.filter((l) => (l.macs ?? 0) > 0).length, deploy(clean, 'onnxruntime').layers.filter((l) => (l.macs ?? 0) > 0).length, key);
  }
});

test('fusions follow the toolchain: TFLite fuses ReLU into the convolution, not SiLU; TensorRT also fuses the residual add', async () => {
  const { clean } = await cleanAndExported('resnet18_224');
  const tfl = deploy(clean, 'tflite');
  const trt = deploy(clean, 'tensorrt');
  const conv = tfl.layers.find((l) => l.canonical === 'CONV_2D')!;
  assert.equal(conv.from.length, 2, 'conv + relu');
  assert.ok(tfl.accounted.some((a) => a.step === 'activation-fused' && a.into === conv.name));
  assert.ok(!tfl.accounted.some((a) => a.step === 'residual-add-fused'), 'TFLite keeps residual adds');
  assert.ok(trt.accounted.some((a) => a.step === 'residual-add-fused'), 'TensorRT fuses residual adds');
  assert.ok(trt.layers.length < tfl.layers.length);
  // The fused layer carries the activation's work and writes the activation's output.
  const relu = clean.layers.find((l) => l.name === conv.from[1])!;
  const file = clean.layers.find((l) => l.name === conv.from[0])!;
  assert.equal(conv.flops, (file.flops ?? 0) + (relu.flops ?? 0));
  assert.equal(conv.activationBytes, relu.activationBytes);
  const { clean: yolo } = await cleanAndExported('yolov8n_320');
  assert.ok(!deploy(yolo, 'tflite').accounted.some((a) => a.step === 'activation-fused' && /Sigmoid/.test(a.op)), 'no TFLite fusion of the SiLU sigmoid');
});

test('TensorRT runs a convolution\'s SiLU (Sigmoid and Mul of its output) in the convolution kernel; ONNX Runtime as one elementwise op; TFLite as two layers', async () => {
  const { clean, exported } = await cleanAndExported('yolov8n_320');
  // A SiLU: a Sigmoid whose output a Mul multiplies with the Sigmoid's own input (the decode's class Sigmoid is not one).
  const silus = (m: typeof clean) => m.layers.filter((l) => l.op === 'Sigmoid' && m.layers.some((x) => x.op === 'Mul' && x.inputs!.includes(l.outputs![0]) && x.inputs!.includes(l.inputs![0])));
  const sigmoids = silus(clean).length;
  assert.ok(sigmoids > 50, `${sigmoids} SiLUs`);
  assert.equal(clean.layers.filter((l) => l.op === 'Sigmoid').length, sigmoids + 1, 'and the class Sigmoid of the box decode');
  for (const m of [clean, exported]) {
    assert.equal(silus(m).length, sigmoids);
    // The decode's own Sigmoid (class scores) and Muls (centre x 0.5, box x strides) are not SiLUs.
    const decodeMuls = m.layers.filter((l) => l.op === 'Mul').length - sigmoids;
    assert.equal(decodeMuls, 2);
    const trt = deploy(m, 'tensorrt');
    assert.equal(trt.layers.filter((l) => l.canonical === 'LOGISTIC').length, 1, 'only the class Sigmoid runs on its own');
    assert.equal(trt.layers.filter((l) => l.canonical === 'MUL').length, decodeMuls, 'only the decode\'s Muls run on their own');
    assert.equal(trt.accounted.filter((a) => a.rule === 'fuse-silu').length, 2 * sigmoids, 'each SiLU: its Sigmoid and its Mul');
    assert.deepEqual(accountsForEveryNode(trt, m.layers), []);
    // The fused layer does the SiLU's arithmetic and writes the Mul's output.
    const host = trt.layers.find((l) => l.from.some((n) => m.layers.find((x) => x.name === n)?.op === 'Sigmoid'))!;
    // A BatchNormalization folded into the convolution's weights does no work of its own.
    const parts = host.from.map((n) => m.layers.find((x) => x.name === n)!).filter((p) => p.op !== 'BatchNormalization');
    assert.deepEqual(parts.map((p) => p.op), ['Conv', 'Sigmoid', 'Mul']);
    assert.equal(host.activationBytes, parts[parts.length - 1].activationBytes);
    assert.equal(host.flops, parts.reduce((a, p) => a + (p.flops ?? 0), 0));
    for (const tc of ['tflite', 'onnxruntime']) assert.equal(deploy(m, tc).layers.filter((l) => l.canonical === 'LOGISTIC').length, sigmoids + 1, tc);
    // ONNX Runtime (and the runtimes that share its entry) runs each SiLU as one elementwise op; TFLite as two.
    const ort = deploy(m, 'onnxruntime');
    assert.equal(ort.layers.filter((l) => l.canonical === 'MUL').length, decodeMuls, 'no Mul of a SiLU on its own');
    assert.equal(ort.accounted.filter((a) => a.rule === 'merge-silu').length, sigmoids);
    assert.deepEqual(accountsForEveryNode(ort, m.layers), []);
    const silu = ort.layers.find((l) => l.canonical === 'LOGISTIC' && l.from.length === 2)!;
    const [sig, mul] = silu.from.map((n) => m.layers.find((x) => x.name === n)!);
    assert.deepEqual([sig.op, mul.op], ['Sigmoid', 'Mul']);
    assert.equal(silu.activationBytes, mul.activationBytes);
    assert.equal(deploy(m, 'tflite').layers.filter((l) => l.canonical === 'MUL').length, sigmoids + decodeMuls, 'TFLite: LOGISTIC and MUL');
  }
  // Not a SiLU: the convolution's output has a third reader, or the Sigmoid's output another one; both stay layers.
  const dir = tempDir('silu');
  try {
    const b = new OnnxGraphBuilder();
    const op = (type: string, ins: string[]): string => {
      const [y] = b.node(type, ins, 1);
      b.shapes.set(y, [1, 8, 16, 16]);
      return y;
    };
    const x = b.input('x', [1, 8, 16, 16]);
    const c1 = b.conv(x, 8, { kernel: 3, pad: 1 });
    const s1 = op('Sigmoid', [c1]);
    const third = b.add(c1, op('Mul', [c1, s1]));
    const c2 = b.conv(third, 8, { kernel: 1 });
    const s2 = op('Sigmoid', [c2]);
    const m3 = op('Mul', [s2, op('Mul', [c2, s2])]);
    const c3 = b.conv(m3, 8, { kernel: 1 });
    b.output(op('Mul', [op('Sigmoid', [c3]), c3]));
    writeModel(b.model({ opset: 17 }), path.join(dir, 'm.onnx'));
    const m = (await analyzeFile(path.join(dir, 'm.onnx'))).model;
    const trt = deploy(m, 'tensorrt');
    assert.deepEqual(trt.accounted.filter((a) => a.rule === 'fuse-silu').map((a) => a.op), ['Sigmoid', 'Mul'], 'only the last SiLU (its Mul reads the Sigmoid first) is fused');
    assert.equal(trt.layers.filter((l) => l.canonical === 'LOGISTIC').length, 2);
    assert.deepEqual(accountsForEveryNode(trt, m.layers), []);
    // As one elementwise op, a SiLU needs only its Sigmoid's output to have no other reader: the first and the last.
    const ort = deploy(m, 'onnxruntime');
    assert.equal(ort.accounted.filter((a) => a.rule === 'merge-silu').length, 2);
    assert.equal(ort.layers.filter((l) => l.canonical === 'MUL').length, 2, 'the two Muls of the shared Sigmoid stay');
    assert.deepEqual(accountsForEveryNode(ort, m.layers), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('TensorRT writes a concatenation\'s inputs in place and reads a contiguous split as a view; other toolchains run both', async () => {
  const { clean, exported } = await cleanAndExported('yolov8n_320');
  const concats = clean.layers.filter((l) => l.op === 'Concat').length;
  const splits = clean.layers.filter((l) => l.op === 'Split').length;
  assert.ok(concats > 15 && splits > 8, `${concats} Concat, ${splits} Split`);
  for (const m of [clean, exported]) {
    const trt = deploy(m, 'tensorrt');
    // Every Split (C2f chunks, the decode's box / class and lt / rb splits) is along the channels of a batch-1 tensor.
    assert.equal(trt.layers.filter((l) => l.canonical === 'SPLIT').length, 0);
    assert.equal(trt.accounted.filter((a) => a.step === 'slice-elided').length, splits);
    // Only the concatenation that writes the graph output runs (its output is the engine's output binding).
    const left = trt.layers.filter((l) => l.canonical === 'CONCATENATION');
    assert.equal(left.length, 1);
    assert.ok(m.outputs.some((o) => left[0].outputs!.includes(o.name)));
    assert.equal(trt.accounted.filter((a) => a.step === 'concat-elided').length, concats - 1);
    assert.deepEqual(accountsForEveryNode(trt, m.layers), []);
    // Nothing fuses into a view: the decode's class Sigmoid reads a split output and stays a layer.
    assert.equal(trt.layers.filter((l) => l.canonical === 'LOGISTIC').length, 1);
    for (const tc of ['tflite', 'onnxruntime', 'qnn', 'coreml']) {
      const g = deploy(m, tc);
      assert.equal(g.layers.filter((l) => l.canonical === 'CONCATENATION').length, concats, tc);
      assert.equal(g.layers.filter((l) => l.canonical === 'SPLIT').length, splits, tc);
    }
  }
  // Not elided: a concatenation with a graph input or the same tensor twice, and a split along a non-leading axis.
  const dir = tempDir('elide');
  try {
    const b = new OnnxGraphBuilder();
    const x = b.input('x', [1, 8, 16, 16]);
    const c1 = b.conv(x, 8, { kernel: 3, pad: 1 });
    const withInput = b.concat([x, c1]);
    const twice = b.concat([c1, c1]);
    const [h1, h2] = b.node('Split', [withInput, b.constInt64('rows', [8, 8])], 2, [attr.int('axis', 2)]);
    b.shapes.set(h1, [1, 16, 8, 16]);
    b.shapes.set(h2, [1, 16, 8, 16]);
    const [c1a, c1b] = b.node('Split', [c1, b.constInt64('chans', [4, 4])], 2, [attr.int('axis', 1)]);
    b.shapes.set(c1a, [1, 4, 16, 16]);
    b.shapes.set(c1b, [1, 4, 16, 16]);
    const fine = b.concat([c1b, b.conv(c1a, 4, { kernel: 1 })]);
    b.output(b.concat([b.add(h1, h2), twice, b.conv(fine, 16, { kernel: 1 })], 1));
    writeModel(b.model({ opset: 17 }), path.join(dir, 'm.onnx'));
    const m = (await analyzeFile(path.join(dir, 'm.onnx'))).model;
    const trt = deploy(m, 'tensorrt');
    assert.deepEqual(trt.accounted.filter((a) => a.step === 'slice-elided').map((a) => a.node), [m.layers.find((l) => l.outputs!.includes(c1a))!.name], 'only the channel split');
    assert.deepEqual(trt.accounted.filter((a) => a.step === 'concat-elided').map((a) => a.node), [m.layers.find((l) => l.outputs!.includes(fine))!.name], 'only the concatenation of a view and a layer output');
    assert.deepEqual(accountsForEveryNode(trt, m.layers), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('ExecuTorch\'s int8 quantizer leaves SiLU (its Sigmoid and Mul) float between a dequantize and a quantize; convolutions, ReLU networks and other toolchains stay int8', async () => {
  const { clean } = await cleanAndExported('yolov8n_320');
  const et = deploy(clean, 'executorch');
  const writer = new Map(et.layers.flatMap((l) => (l.outputs ?? []).map((o) => [o, l] as const)));
  const sigmoids = et.layers.filter((l) => l.canonical === 'LOGISTIC');
  assert.ok(sigmoids.length > 50 && sigmoids.every((l) => l.int8Float), 'every Sigmoid stays float');
  assert.ok(!et.layers.some((l) => l.canonical === 'CONV_2D' && l.int8Float), 'convolutions are quantized');
  // A SiLU: the convolution's int8 output is dequantized into the Sigmoid; the Mul (x * Sigmoid(x)) is float too,
  // reads the Sigmoid's fp32 output and dequantizes x, and is quantized for the int8 convolution that reads it.
  const sig = sigmoids.find((l) => writer.get(l.inputs![0])?.canonical === 'CONV_2D')!;
  const x = sig.inputs![0];
  const elems = (l: typeof sig) => (l.outputShapes[0] as number[]).reduce((a, b) => a * b, 1);
  assert.deepEqual(sig.int8Float, { dequantizeElements: elems(writer.get(x)!), quantizeElements: 0, converts: 1 });
  const mul = et.layers.find((l) => l.canonical === 'MUL' && l.inputs!.includes(sig.outputs![0]) && l.inputs!.includes(x))!;
  assert.ok(mul.int8Float, 'the SiLU\'s Mul stays float with its Sigmoid');
  assert.equal(mul.int8Float!.dequantizeElements, elems(writer.get(x)!));
  // A SiLU's Mul that an int8 layer reads (a convolution) is quantized on the way out.
  const siluMuls = et.layers.filter((l) => l.canonical === 'MUL' && l.int8Float && l.int8Float.dequantizeElements > 0);
  const readBy = (l: typeof sig) => et.layers.filter((r) => r.inputs!.includes(l.outputs![0]));
  const intoConv = siluMuls.find((l) => readBy(l).some((r) => r.canonical === 'CONV_2D'))!;
  assert.ok(intoConv, 'a SiLU feeding a convolution');
  assert.equal(intoConv.int8Float!.quantizeElements, elems(intoConv));
  assert.equal(intoConv.int8Float!.converts, 2);
  // The decode's Muls by constants are quantized (mul is annotated); its Sub and Softmax are not.
  const constMuls = et.layers.filter((l) => l.canonical === 'MUL' && l.inputs!.filter((t) => writer.has(t)).length === 1);
  assert.ok(constMuls.length >= 2 && constMuls.every((l) => !l.int8Float), 'Muls by a constant stay int8');
  assert.ok(et.layers.some((l) => l.canonical === 'SUB' && l.int8Float) && et.layers.some((l) => l.canonical === 'SOFTMAX' && l.int8Float));
  // A ReLU network quantizes end to end; no other toolchain marks anything.
  const { clean: resnet } = await cleanAndExported('resnet18_224');
  assert.equal(deploy(resnet, 'executorch').layers.filter((l) => l.int8Float).length, 0);
  for (const tc of TOOLCHAINS.filter((t) => t !== 'executorch')) assert.equal(deploy(clean, tc).layers.filter((l) => l.int8Float).length, 0, tc);
  // At int8 those layers compute in fp32 and the estimate says so; at fp32 nothing is said.
  const int8 = estimateDevice(clean, 'rpi5', { precision: 'int8', runtime: 'executorch' });
  const float = et.layers.filter((l) => l.int8Float);
  assert.equal(int8.deployedGraph?.int8Float?.layers, float.length);
  // The ops it names are this model's, most frequent first.
  assert.deepEqual(int8.deployedGraph?.int8Float?.ops.slice(0, 2).map((o) => o.op).sort(), ['Mul', 'Sigmoid']);
  assert.equal(int8.deployedGraph?.int8Float?.ops.reduce((a, o) => a + o.layers, 0), float.length);
  assert.ok(int8.assumptions.some((a) => new RegExp(`At int8, ${float.length} layers stay in fp32 because this toolchain's int8 quantizer does not quantize their ops \\((Sigmoid|Mul) ×\\d+`).test(a)), int8.assumptions.join('\n'));
  const fp32 = estimateDevice(clean, 'rpi5', { precision: 'fp32', runtime: 'executorch' });
  assert.equal(fp32.deployedGraph?.int8Float, undefined);
  assert.ok(!fp32.assumptions.some((a) => /stay in fp32/.test(a)));
  // The same int8 model on LiteRT (whose int8 kernels cover Sigmoid and Mul) is estimated faster than on ExecuTorch.
  const litert = estimateDevice(clean, 'rpi5', { precision: 'int8', runtime: 'xnnpack' });
  assert.ok(int8.latencyMs.typical / litert.latencyMs.typical > 1.3, `${int8.latencyMs.typical} vs ${litert.latencyMs.typical}`);
});

test('a profile without dataflow (saved by an older version) deploys as it is', async () => {
  const { clean } = await cleanAndExported('resnet18_224');
  const old = { ...clean, layers: clean.layers.map(({ inputs: _i, outputs: _o, constantInputs: _c, ...rest }) => rest) };
  const g = deploy(old, 'tflite');
  assert.equal(g.hasDataflow, false);
  assert.equal(g.layers.length, clean.layers.length);
});

test('deployment-rules.json is validated at load: a broken copy names the field', () => {
  const doc = JSON.parse(JSON.stringify(rulesJson));
  doc.toolchains.tflite.fusions[0].producers = 'CONV_2D';
  assert.throws(() => parseDeploymentRules(doc), /deployment-rules\.json: field "toolchains\.tflite\.fusions\[0\]\.producers" must be a list/);
  const doc2 = JSON.parse(JSON.stringify(rulesJson));
  doc2.runtimes.xnnpack = 'nope';
  assert.throws(() => parseDeploymentRules(doc2), /field "runtimes\.xnnpack" must name a toolchain, got "nope"/);
  const doc3 = JSON.parse(JSON.stringify(rulesJson));
  doc3.common[0].url = 'file:///etc/passwd';
  assert.throws(() => parseDeploymentRules(doc3), /field "common\[0\]\.url" must be a public https address/);
});

test('real exported models: no shape arithmetic survives on fixed-shape toolchains; a QDQ file runs at int8', { skip: SKIP_NO_SHARED }, async () => {
  const models = path.join(sharedDir, 'models');
  for (const f of ['unlabelled/FastestDet.onnx', 'unlabelled-v2/onnx/yolox_nano.onnx', 'unlabelled-v2/onnx/RetinaFace_int_qdq.onnx', 'unlabelled-v2/onnx/scx_pardus_dynamo/model.onnx', 'unlabelled-v2/onnx/magika_standard_v3_3.onnx', 'unlabelled/silero_vad_v3_2021.onnx']) {
    const m = (await analyzeFile(path.join(models, f))).model;
    for (const tc of ['tflite', 'edgetpu', 'coreml', 'qnn']) {
      const g = deploy(m, tc);
      assert.deepEqual(accountsForEveryNode(g, m.layers), [], `${f} on ${tc}`);
      const left = g.layers.filter((l) => ['SHAPE', 'FILL', 'RANGE'].includes(l.canonical) || ['Identity', 'Dropout', 'Constant'].includes(l.op));
      assert.deepEqual(left.map((l) => `${l.name} (${l.op})`), [], `${f} on ${tc}: ${g.unfolded.map((u) => u.reason).join('; ')}`);
    }
  }
  const qdq = (await analyzeFile(path.join(models, 'unlabelled-v2/onnx/RetinaFace_int_qdq.onnx'))).model;
  const g = deploy(qdq, 'edgetpu');
  assert.ok(!g.layers.some((l) => /QuantizeLinear|DequantizeLinear/.test(l.op)), 'Q/DQ absorbed');
  const compute = g.layers.filter((l) => (l.macs ?? 0) > 0);
  assert.ok(compute.length > 40);
  assert.deepEqual(compute.filter((l) => l.precision !== 'int8' || l.weightPrecision !== 'int8').map((l) => l.name), [], 'every conv runs int8 with int8 weights');
});

test('the same network clean and as exported gets the same verdict and a typical latency within 5 % on every catalog device, at its own precision and at int8', async () => {
  const devices = loadCatalog().devices;
  for (const key of ['resnet18_224', 'mobilenet_v2_1.0_224', 'mobilenet_v3_large_224', 'yolov8n_320', 'vit_b16_224']) {
    const { clean, exported } = await cleanAndExported(key);
    for (const d of devices) {
      for (const precision of [undefined, 'int8'] as const) {
        if (precision && !d.precisions.includes(precision)) continue;
        const opts = precision ? { precision } : {};
        let a, b;
        try {
          a = estimateDevice(clean, d.id, opts);
          b = estimateDevice(exported, d.id, opts);
        } catch (e) {
          assert.fail(`${key} on ${d.id} ${precision ?? 'own'}: ${(e as Error).message}`);
        }
        const what = `${key} on ${d.id} at ${precision ?? 'its own precision'}`;
        assert.equal(b.compatibility.verdict, a.compatibility.verdict, what);
        if (Number.isFinite(a.latencyMs.typical)) {
          const ratio = b.latencyMs.typical / a.latencyMs.typical;
          assert.ok(Math.abs(ratio - 1) <= 0.05, `${what}: ${a.latencyMs.typical.toFixed(3)} vs ${b.latencyMs.typical.toFixed(3)} ms`);
        } else assert.ok(!Number.isFinite(b.latencyMs.typical), what);
      }
    }
  }
});

// Exported graphs compute weights from weights (silero_vad v3's LSTM gates): a weight that reaches a layer along two
// folded paths is stored once. Summing per path doubled it at every level of such a chain: 2^60 times its size here.
test('a weight reaching a layer along many folded paths counts once: params and bytes stay the model\'s own', async () => {
  const b = new OnnxGraphBuilder('diamonds');
  b.input('x', [1, 16]);
  let w = b.weight('w', [16, 16]);
  for (let i = 0; i < 60; i++) {
    const t = b.node('Transpose', [w], 1, [attr.ints('perm', [1, 0])], `t${i}`)[0];
    w = b.node('Add', [w, t], 1, [], `a${i}`)[0];
    b.shapes.set(t, [16, 16]);
    b.shapes.set(w, [16, 16]);
  }
  b.output(b.matmul('x', w, { name: 'mm' }));
  const dir = tempDir('diamonds');
  try {
    writeModel(b.model(), path.join(dir, 'm.onnx'));
    const { model } = await analyzeFile(path.join(dir, 'm.onnx'));
    for (const tc of TOOLCHAINS) {
      const g = deploy(model, tc);
      const mm = g.layers.find((l) => l.from.includes('mm'));
      assert.ok(mm, `${tc}: the MatMul runs`);
      assert.equal(mm.params, 256, `${tc}: the MatMul carries the one 16x16 weight`);
      assert.equal(mm.weightBytes, 1024, `${tc}: 256 float weights`);
    }
    const est = estimateDevice(model, 'rpi5', {});
    assert.ok(est.latencyMs && est.latencyMs.high < 1, `a 16x16 MatMul estimates under a millisecond on a Pi 5, got ${JSON.stringify(est.latencyMs)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('real models from ../shared: no deployed layer on any toolchain carries more weights than its file stores', { skip: SKIP_NO_SHARED }, async () => {
  const root = path.join(sharedDir, 'models');
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(onnx|tflite)$/.test(e.name)) files.push(p);
    }
  };
  walk(root);
  assert.ok(files.length >= 30, `found ${files.length} ONNX / TFLite files`);
  let graphs = 0;
  for (const f of files) {
    const m = (await analyzeFile(f)).model;
    if (!m.hasComputeGraph) continue;
    for (const tc of TOOLCHAINS) {
      const g = deploy(m, tc);
      graphs++;
      const over = g.layers.filter((l) => l.params > m.params || l.weightBytes > m.weightBytes);
      assert.deepEqual(over.map((l) => `${l.name}: ${l.params} params, ${l.weightBytes} bytes`), [], `${path.relative(root, f)} on ${tc}: the file stores ${m.params} params, ${m.weightBytes} bytes`);
    }
  }
  assert.ok(graphs > 200, `${graphs} deployed graphs checked`);
});
