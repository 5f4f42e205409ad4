/**
 * The TFLite FormatReader: FlatBuffers read in place (read-model.ts), shape binding/filling (shapes.ts),
 * per-op costs (../cost/tflite.ts).
 */
import type { FormatReader } from '../reader';
import { tfliteCost } from '../cost/tflite';
import { readTfliteModel } from './read-model';
import { inferTfliteShapes } from './shapes';

export const tfliteReader: FormatReader = {
  format: 'tflite',
  read: (src, opts) => readTfliteModel(src, opts),
  inferShapes: (graph, bindings) => inferTfliteShapes(graph, bindings),
  cost: tfliteCost,
};

export { readTfliteModel } from './read-model';
export { inferTfliteShapes, DYNAMIC_DIM_PREFIX } from './shapes';
