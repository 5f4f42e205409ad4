/**
 * Model bytes in, compressed model bytes out: one entry point over the four writers, plus the "tapped" copies of a
 * model that calibration and per-layer comparison read: intermediate tensors as extra graph outputs, or only their
 * minimum and maximum (ReduceMin / ReduceMax inside the graph, as onnxruntime's MinMax calibrator does, so a run
 * copies two numbers per tensor instead of the tensor; only the maximum of a tensor that cannot be negative).
 */
import { ModelFileError } from '../../analyzers/errors';
import { attrInt, makeNode, nameOnlyValueInfo, readOnnxModel, writeOnnxModel, type OnnxModel } from './onnx-file';
import { graphFacts, Names } from './graph-facts';
import { writeFp16 } from './write-fp16';
import { writeInt8Dynamic } from './write-int8-dynamic';
import { clipMin, writeInt8Qdq } from './write-int8-qdq';
import { writeInt4 } from './write-int4';
import { upgradeToOpset11 } from './opset-upgrade';
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
  const upgraded = technique === 'int8-ptq' || technique === 'int8-dynamic' ? upgradeToOpset11(model, opts.dtypes) : null;
  const result = WRITERS[technique]({ ...opts, model, facts: graphFacts(model) });
  // The raised opset is worth a note only in a file that is written: one that changes nothing is refused anyway.
  const out = upgraded && result.layers.length ? { ...result, notes: [upgraded, ...result.notes] } : result;
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

/**
 * The tensors that cannot be negative: outputs of Relu, and of Clip with a constant lower bound of 0 or more.
 * A quantization range always includes 0 (quant-math scaleZp), so of these only the maximum matters.
 */
export function nonNegativeTensors(model: OnnxModel): Set<string> {
  const facts = graphFacts(model);
  const out = new Set<string>();
  for (const n of model.graph.nodes) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
    if (n.opType === 'Relu' || (n.opType === 'Clip' && (clipMin(model, facts, n) ?? -1) >= 0)) out.add(n.outputs[0]);
  }
  return out;
}

/**
 * A copy of the model that also outputs the minimum and maximum of each of `names` (their ranks as run): tensor →
 * [min output, max output]. A tensor that cannot be negative gets only its maximum (min output null: its minimum
 * counts as 0), taken by GlobalMaxPool then ReduceMax when it has rank 4 — GlobalMaxPool runs in onnxruntime's
 * blocked (NCHWc) layout, where ReduceMin / ReduceMax first copy the tensor back to NCHW.
 */
export function withRangeOutputs(bytes: Buffer, file: string, names: string[], ranks: Map<string, number>): { bytes: Buffer; outputs: Map<string, [string | null, string]> } {
  const model = readOnnxModel(bytes, file);
  const nonNegative = nonNegativeTensors(model);
  const unique = new Names(graphFacts(model).names);
  const outputs = new Map<string, [string | null, string]>();
  const reduce = (op: 'ReduceMin' | 'ReduceMax', from: string, to: string, n: string): void => {
    model.graph.nodes.push(makeNode(op, [from], [to], unique.make(`${n}_${op}`), [attrInt('keepdims', 0)]));
  };
  for (const n of names) {
    const lo = nonNegative.has(n) ? null : unique.make(`${n}_calibration_min`);
    const hi = unique.make(`${n}_calibration_max`);
    if (lo) reduce('ReduceMin', n, lo, n);
    if (!lo && ranks.get(n) === 4) {
      const pooled = unique.make(`${n}_calibration_channel_max`);
      model.graph.nodes.push(makeNode('GlobalMaxPool', [n], [pooled], unique.make(`${n}_GlobalMaxPool`)));
      reduce('ReduceMax', pooled, hi, n);
    } else reduce('ReduceMax', n, hi, n);
    if (lo) model.graph.outputs.push(nameOnlyValueInfo(lo));
    model.graph.outputs.push(nameOnlyValueInfo(hi));
    outputs.set(n, [lo, hi]);
  }
  return { bytes: writeOnnxModel(model), outputs };
}
