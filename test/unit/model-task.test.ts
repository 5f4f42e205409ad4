/**
 * What a model does — classifier, detector, segmentation or unknown — read from its graph (outputs, head ops,
 * NMS), never from its file name (src/planner/recommend/model-task.ts), on real third-party models; the
 * recommender's model family (distillation students) follows it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import type { ModelProfile } from '../../src/analyzers/profile-types';
import { modelTask } from '../../src/planner/recommend/model-task';
import { modelTraits } from '../../src/planner/recommend';
import { SKIP_NO_SHARED, benchmarkModel, fixture, sharedDir, unlabelled } from '../support/shared';

const v2 = (p: string): string => path.join(sharedDir, 'models', 'unlabelled-v2', p);

const EXPECTED: [file: string, task: ReturnType<typeof modelTask>['task'], why: RegExp][] = [
  [unlabelled('FastestDet.onnx'), 'detector', /85 = 4 box coordinates \+ 1 objectness \+ 80 classes|boxes/],
  [v2('onnx/yolox_nano.onnx'), 'detector', /3549/],
  [fixture('face_detection_front_128x128_barracuda.onnx'), 'detector', /share/],
  [unlabelled('face_detection_back_256x256_barracuda.onnx'), 'detector', /share/],
  [fixture('face_detection_short_range.tflite'), 'detector', /896/],
  [unlabelled('face_detection_full_range_sparse.tflite'), 'detector', /2304/],
  [v2('onnx/RetinaFace_int_qdq.onnx'), 'detector', /4200/],
  [v2('tflite/coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite'), 'detector', /non-maximum suppression/],
  [fixture('mobilenet_v1_0.25_128_quant.tflite'), 'classifier', /1001 classes.*SOFTMAX/],
  [v2('tflite/mobilenet_v2_quantized_1x3x224x224.tflite'), 'classifier', /1000 classes.*FULLY_CONNECTED/],
  [fixture('light_squeezenet.onnx'), 'classifier', /1000 classes.*Softmax/],
  [fixture('person_detect.tflite'), 'classifier', /2 classes/],
  // The same head in every format's own op names (canonicalOp): Keras Dense, Core ML innerProduct / softmax.
  [unlabelled('vww_96.h5'), 'classifier', /2 classes after a Dense head/],
  [unlabelled('vww_96_int8.tflite'), 'classifier', /2 classes/],
  [fixture('MNIST.mlmodel'), 'classifier', /10 classes after a (softmax|innerProduct)/],
  [fixture('kws_ref_model.tflite'), 'classifier', /12 classes/],
  [unlabelled('micro_speech_quantized.tflite'), 'classifier', /4 classes/],
  [v2('tflite/yamnet_audio_classifier_with_metadata.tflite'), 'classifier', /521 classes.*LOGISTIC/],
  [fixture('selfie_segmentation.tflite'), 'segmentation', /256×256/],
  [v2('tflite/hair_segmentation.tflite'), 'segmentation', /512×512/],
  [fixture('hello_world_float.tflite'), 'unknown', /one value/],
  [fixture('hello_world_int8.tflite'), 'unknown', /one value/],
  [benchmarkModel('ad01_int8.tflite'), 'unknown', /same size as its input/],
  [fixture('pytorch_super_resolution.onnx'), 'unknown', /./],
];

test('real models: the task comes from the graph (outputs, head, NMS), with the reason', { skip: SKIP_NO_SHARED }, async () => {
  for (const [file, task, why] of EXPECTED) {
    const { model } = await analyzeFile(file);
    const t = modelTask(model);
    assert.equal(t.task, task, `${path.basename(file)}: ${t.reason}`);
    assert.match(t.reason, why, path.basename(file));
  }
});

test('the file name plays no part: a detector named like a classifier and a classifier named like a detector', { skip: SKIP_NO_SHARED }, async () => {
  const renamed = (m: ModelProfile, name: string): ModelProfile => ({ ...m, file: path.join(path.dirname(m.file), name) });
  const det = (await analyzeFile(unlabelled('FastestDet.onnx'))).model;
  const cls = (await analyzeFile(fixture('mobilenet_v1_0.25_128_quant.tflite'))).model;
  for (const name of ['mobilenet_classifier.onnx', 'model.onnx', 'resnet50.onnx']) assert.equal(modelTask(renamed(det, name)).task, 'detector', name);
  for (const name of ['yolo_detect.tflite', 'ssd_retina_det.tflite', 'model.tflite']) assert.equal(modelTask(renamed(cls, name)).task, 'classifier', name);
  // person_detect.tflite answers "is there a person": a two-class classifier, whatever its name says.
  const person = (await analyzeFile(fixture('person_detect.tflite'))).model;
  assert.equal(modelTraits(person).family, 'cnn-classifier');
  assert.equal(modelTraits(renamed(det, 'mobilenet.onnx')).family, 'detector');
  assert.equal(modelTraits(renamed(cls, 'yolov8n.tflite')).family, 'cnn-classifier');
  const hello = (await analyzeFile(fixture('hello_world_float.tflite'))).model;
  assert.equal(modelTraits(renamed(hello, 'detector.tflite')).family, 'generic', 'unknown stays unknown rather than guessed');
});

test('a profile without a graph is unknown', () => {
  const p = { hasComputeGraph: false, layers: [], inputs: [], outputs: [], opHistogram: {} } as unknown as ModelProfile;
  assert.deepEqual(modelTask(p).task, 'unknown');
});
