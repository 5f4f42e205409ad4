/**
 * Model bytes in, compressed model bytes out: one entry point over the four writers, plus the "tapped" copies of a
 * model that calibration and per-layer comparison read: intermediate tensors as extra graph outputs, or only their
 * minimum and maximum (ReduceMin / ReduceMax inside the graph, as onnxruntime's MinMax calibrator does, so a run
 * copies two numbers per tensor instead of the tensor).
 */
import { ModelFileError } from '../../analyzers/errors';
import { attrInt, makeNode, nameOnlyValueInfo, readOnnxModel, writeOnnxModel } from './onnx-file';
import { graphFacts, Names } from './graph-facts';
import { writeFp16 } from './write-fp16';
import { writeInt8Dynamic } from './write-int8-dynamic';
import { writeInt8Qdq } from './write-int8-qdq';
import { writeInt4 } from './write-int4';
import type { Technique, WriterInput, WriterOutput } from './compress-types';

const WRITERS: Record<Technique, (inp: WriterInput) => WriterOutput> = {
  fp16: writeFp16,
  'int8-dynamic': writeInt8Dynamic,
  'int8-ptq': writeInt8Qdq,
  'int4-weight-only': writeInt4,
};

/** Protobuf messages are limited to 2 GiB; a model above it must keep its weights in external data. */
const MAX_MODEL_BYTES = 2 ** 31 - 1;

export type CompressOptions = Omit<WriterInput, 'model' | 'facts'>;

export function compressModel(bytes: Buffer, file: string, technique: Technique, opts: CompressOptions): WriterOutput & { bytes: Buffer } {
  const model = readOnnxModel(bytes, file);
  const out = WRITERS[technique]({ ...opts, model, facts: graphFacts(model) });
  const written = writeOnnxModel(model);
  if (written.length > MAX_MODEL_BYTES) throw new ModelFileError(file, `the ${technique} model would be ${written.length} bytes, above protobuf's 2 GiB limit for one file (external data output is not supported yet)`);
  return { ...out, bytes: written };
}

/** The main-graph tensors a model computes (node outputs), in graph order. */
export function computedTensors(bytes: Buffer, file: string): string[] {
  const model = readOnnxModel(bytes, file);
  return model.graph.nodes.flatMap((n) => n.outputs.filter(Boolean));
}

/** A copy of the model that also outputs `names` (onnxruntime infers their types). */
export function withOutputs(bytes: Buffer, file: string, names: string[]): Buffer {
  const model = readOnnxModel(bytes, file);
  const have = new Set(model.graph.outputs.map((o) => o.name));
  for (const n of names) {
    if (have.has(n)) continue;
    have.add(n);
    model.graph.outputs.push(nameOnlyValueInfo(n));
  }
  return writeOnnxModel(model);
}

/** A copy of the model that also outputs the minimum and maximum of each of `names`: tensor → [min output, max output]. */
export function withRangeOutputs(bytes: Buffer, file: string, names: string[]): { bytes: Buffer; outputs: Map<string, [string, string]> } {
  const model = readOnnxModel(bytes, file);
  const taken = graphFacts(model).names;
  const unique = new Names(taken);
  const outputs = new Map<string, [string, string]>();
  for (const n of names) {
    const lo = unique.make(`${n}_calibration_min`);
    const hi = unique.make(`${n}_calibration_max`);
    model.graph.nodes.push(makeNode('ReduceMin', [n], [lo], unique.make(`${n}_ReduceMin`), [attrInt('keepdims', 0)]));
    model.graph.nodes.push(makeNode('ReduceMax', [n], [hi], unique.make(`${n}_ReduceMax`), [attrInt('keepdims', 0)]));
    model.graph.outputs.push(nameOnlyValueInfo(lo), nameOnlyValueInfo(hi));
    outputs.set(n, [lo, hi]);
  }
  return { bytes: writeOnnxModel(model), outputs };
}
