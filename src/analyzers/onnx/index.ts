/** The ONNX FormatReader: read (reader.ts), inferShapes (../shapes.ts), cost (../cost/onnx.ts). */
import type { FormatReader } from '../reader';
import { readOnnx } from './reader';
import { inferOnnxShapes } from '../shapes';
import { onnxNodeCost } from '../cost/onnx';

export const onnxReader: FormatReader = {
  format: 'onnx',
  read: (src, opts) => readOnnx(src, opts),
  inferShapes: (graph, bindings) => inferOnnxShapes(graph, bindings),
  cost: onnxNodeCost,
};

export { readOnnx } from './reader';
export { lookupTensor, getValues } from './values';
