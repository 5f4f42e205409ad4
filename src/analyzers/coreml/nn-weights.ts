/**
 * WeightParams of a neuralNetwork layer (NeuralNetwork.proto) as a constant tensor: float32 (packed or one by
 * one), float16, int8, or n-bit quantised raw bytes with their linear (scale/bias) or lookup-table (palette)
 * parameters. Only field lengths are read, never the values; the stored bytes of a quantised weight include
 * its scales or its lookup table.
 */
import type { Precision, Shape, TensorInfo } from '../graph';
import { LIMITS } from '../errors';
import { type MessageRange, type ProtoField, WireType } from '../io/protobuf';
import { addTensor, type CoremlCtx } from './context';

/** Reads one WeightParams message into a constant tensor of the main graph; returns its name (null when empty). */
export function readWeightParams(ctx: CoremlCtx, f: ProtoField, parent: MessageRange, name: string, shapeHint: Shape | null): string | null {
  const { pr } = ctx;
  const m = pr.message(f, `weights ${name}`, parent);
  let floatCount = 0;
  let floatOffset: number | undefined;
  let fp16: ProtoField | null = null;
  let raw: ProtoField | null = null;
  let int8: ProtoField | null = null;
  let bits: number | null = null;
  let scheme: 'linear' | 'lut' | null = null;
  let quantBytes = 0;
  let lutEntries = 0;
  for (const x of pr.fields(m, 'weights')) {
    if (x.field === 1) {
      if (x.wire === WireType.LengthDelimited) {
        if (x.length % 4 !== 0) pr.fail(`weights ${name}: packed floats of ${x.length} bytes, not a multiple of 4`);
        floatCount += x.length / 4;
        floatOffset ??= x.offset;
      } else if (x.wire === WireType.Fixed32) floatCount++;
      else pr.fail(`weights ${name}: floatValue with wire type ${x.wire}`);
    } else if (x.field === 2) fp16 = x;
    else if (x.field === 30) raw = x;
    else if (x.field === 31) int8 = x;
    else if (x.field === 40) {
      const qm = pr.message(x, 'quantization', m);
      for (const q of pr.fields(qm, 'quantization')) {
        if (q.field === 1 && q.wire === WireType.Varint) bits = q.varint;
        else if (q.field === 101 || q.field === 102) {
          scheme = q.field === 101 ? 'linear' : 'lut';
          // LinearQuantizationParams { scale = 1; bias = 2 } / LookUpTableQuantizationParams { floatValue = 1 }: floats
          for (const v of pr.fields(pr.message(q, 'quantization parameters', qm), 'quantization parameters')) {
            const n = v.wire === WireType.LengthDelimited ? v.length / 4 : 1;
            quantBytes += n * 4;
            if (scheme === 'lut' && v.field === 1) lutEntries += n;
          }
        }
      }
    }
  }
  ctx.weightMessages++;
  const hinted = (elements: number): Shape => {
    const n = shapeHint ? shapeHint.reduce((a: number, d) => a * (typeof d === 'number' ? d : 1), 1) : -1;
    return shapeHint && n === elements ? shapeHint : [elements];
  };
  const tensor = (dtype: string, precision: Precision, bpe: number, elements: number, storedBytes: number, dataOffset?: number): TensorInfo => {
    if (elements > LIMITS.maxTensorElements) pr.fail(`weights ${name} are absurdly large (${elements} elements)`);
    const t: TensorInfo = { name, shape: hinted(elements), dtype, precision, bitsPerElement: bpe, isConstant: true, elements, storedBytes };
    if (dataOffset !== undefined) t.dataOffset = dataOffset;
    return t;
  };
  let t: TensorInfo | null = null;
  if (floatCount > 0) t = tensor('float32', 'fp32', 32, floatCount, floatCount * 4, floatOffset);
  else if (fp16 && fp16.length > 0) t = tensor('float16', 'fp16', 16, Math.floor(fp16.length / 2), fp16.length, fp16.offset);
  else if (int8 && int8.length > 0) t = tensor('int8', 'int8', 8, int8.length, int8.length + quantBytes, int8.offset);
  else if (raw && raw.length > 0) {
    if (bits !== null && bits >= 1 && bits <= 8) {
      const precision: Precision = bits <= 2 ? 'int2' : bits <= 4 ? 'uint4' : 'uint8';
      const capacity = Math.floor((raw.length * 8) / bits);
      const hint = shapeHint ? shapeHint.reduce((a: number, d) => a * (typeof d === 'number' ? d : 1), 1) : null;
      const elements = hint !== null && hint <= capacity && hint > capacity - 8 / bits ? hint : capacity;
      const kind = scheme === 'lut' ? 'palettized' : 'linear-quantized';
      t = tensor(`${kind} uint${bits}`, precision, bits, elements, raw.length + quantBytes, raw.offset);
      t.quant = { scheme: scheme === 'lut' ? `${bits}-bit lookup table (${lutEntries} float32 entries)` : `${bits}-bit linear` };
    } else {
      t = tensor('bytes', 'uint8', 8, raw.length, raw.length, raw.offset);
      ctx.warnings.push(`weights ${name} are raw bytes without quantization parameters: counted as bytes`);
    }
  }
  if (!t) return null;
  return addTensor(ctx, ctx.g.main, t);
}
