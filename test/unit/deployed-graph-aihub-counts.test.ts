/**
 * The deployed graph against first-party layer counts: Qualcomm AI Hub publishes, per model and runtime, how many
 * layers the compiled model runs (quic/ai-hub-models qai_hub_models/models/<model>/perf.yaml, `layer_counts.total`,
 * Samsung Galaxy S24, float precision, v0.46.1). The QNN context binary (qnn_dlc) runs the ONNX graph's ops unfused
 * (ReLU, Clip and Add stay layers); the TFLite model fuses activations into their producers. Their counts include a
 * few input / output layers (layout transposes, reshapes) our rebuilt networks do not have, so ours may be a little
 * lower, never higher, and within 10 %. A toolchain rule that fused what QNN runs apart, or stopped fusing what TFLite
 * fuses, would move a count out of that band.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateDevice } from '../../src/planner/estimate';
import { referenceProfile } from '../support/reference-profile';

/** [reference network, AI Hub model directory, QNN (qnn_dlc) layers, TFLite layers], float, Samsung Galaxy S24. */
const AI_HUB_COUNTS: [string, string, number, number][] = [
  ['mobilenet_v2_1.0_224', 'mobilenet_v2', 104, 71],
  ['resnet50_224', 'resnet50', 127, 79],
  ['squeezenet1.1_224', 'squeezenet1_1', 71, 41],
  ['inception_v3_299', 'inception_v3', 220, 129],
];

for (const [key, hub, qnn, tflite] of AI_HUB_COUNTS) {
  test(`${key}: the deployed graph's layers match AI Hub's ${hub} (QNN ${qnn}, TFLite ${tflite}) within 10 %, never above`, async () => {
    const model = await referenceProfile(key);
    const on = (device: string, runtime: string) => {
      const g = estimateDevice(model, device, { precision: 'fp32', runtime }).deployedGraph;
      assert.ok(g, `${device} / ${runtime}: a deployed graph`);
      return g;
    };
    const q = on('snapdragon-8-gen-3', 'qnn');
    assert.equal(q.toolchain, 'qnn');
    assert.ok(q.layers <= qnn && q.layers >= 0.9 * qnn, `QNN: ${q.layers} layers, AI Hub ${qnn}`);
    const t = on('rpi5', 'xnnpack');
    assert.equal(t.toolchain, 'tflite');
    assert.ok(t.layers <= tflite && t.layers >= 0.9 * tflite, `TFLite: ${t.layers} layers, AI Hub ${tflite}`);
  });
}
