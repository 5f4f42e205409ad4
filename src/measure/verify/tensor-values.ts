/**
 * The values of a float tensor read for rewriting (weights to quantize or to convert to fp16): raw_data,
 * float_data / double_data / int32_data (fp16), or external data. External locations are resolved with the
 * analyzer's rules (relative to the model's folder, never leaving it) and read with a bounded length.
 */
import * as fs from 'fs';
import { BufferSource, ProtoReader, WireType } from '../../analyzers/io/protobuf';
import { resolveExternal } from '../../analyzers/onnx/external';
import { halfToFloat } from '../../analyzers/onnx/tensor';
import { ModelFileError } from '../../analyzers/errors';
import { DT, type OnnxTensor } from './onnx-file';

/** Largest tensor the writers materialise (elements); beyond it they leave the tensor as it is. */
export const MAX_REWRITE_ELEMENTS = 2 ** 30;

export function elementCount(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** True for the element types `floatValues` can read. */
export function isReadableFloat(t: OnnxTensor): boolean {
  return t.dataType === DT.FLOAT || t.dataType === DT.FLOAT16 || t.dataType === DT.DOUBLE;
}

function readExternal(t: OnnxTensor, modelFile: string, bytes: number): Buffer {
  const ref = resolveExternal(t.external ?? {}, modelFile, undefined);
  if (ref.problem || !ref.resolvedPath) throw new ModelFileError(modelFile, `tensor "${t.name}": external data ${ref.problem ?? 'cannot be resolved'}`);
  if (ref.length !== null && ref.length !== bytes) throw new ModelFileError(modelFile, `tensor "${t.name}": external data length ${ref.length} is not the ${bytes} bytes its shape needs`);
  const fd = fs.openSync(ref.resolvedPath, 'r');
  try {
    const b = Buffer.alloc(bytes);
    let got = 0;
    while (got < bytes) {
      const n = fs.readSync(fd, b, got, bytes - got, ref.offset + got);
      if (n <= 0) break;
      got += n;
    }
    if (got !== bytes) throw new ModelFileError(modelFile, `tensor "${t.name}": external data file ends after ${got} of ${bytes} bytes`);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

/** Little-endian bytes → float32 values (an aligned copy viewed as the stored type; this machine is little-endian). */
function fromBytes(dataType: number, b: Buffer, n: number, out: Float32Array): void {
  const width = dataType === DT.FLOAT ? 4 : dataType === DT.FLOAT16 ? 2 : 8;
  const aligned = new ArrayBuffer(n * width);
  new Uint8Array(aligned).set(b.subarray(0, n * width));
  if (dataType === DT.FLOAT) out.set(new Float32Array(aligned));
  else if (dataType === DT.FLOAT16) {
    const h = new Uint16Array(aligned);
    for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i]);
  } else out.set(new Float64Array(aligned));
}

/** The tensor's values as float32 (FLOAT, FLOAT16 or DOUBLE tensors). Throws ModelFileError when they cannot be read. */
export function floatValues(t: OnnxTensor, modelFile: string): Float32Array {
  if (!isReadableFloat(t)) throw new ModelFileError(modelFile, `tensor "${t.name}" has data type ${t.dataType}, not a float type`);
  const n = elementCount(t.dims);
  if (n > MAX_REWRITE_ELEMENTS) throw new ModelFileError(modelFile, `tensor "${t.name}" has ${n} elements, more than the ${MAX_REWRITE_ELEMENTS} this tool rewrites`);
  const width = t.dataType === DT.FLOAT ? 4 : t.dataType === DT.FLOAT16 ? 2 : 8;
  const out = new Float32Array(n);
  if (t.external) {
    fromBytes(t.dataType, readExternal(t, modelFile, n * width), n, out);
    return out;
  }
  const r = new ProtoReader(new BufferSource(modelFile, t.payload));
  const typed: number[] = [];
  let raw: Buffer | undefined;
  for (const f of r.fields(r.root(), 'tensor')) {
    if (f.field === 9) raw = r.bytes(f, 'raw_data', Number.MAX_SAFE_INTEGER);
    else if (f.field === 4 && t.dataType === DT.FLOAT) r.floats(f, typed, n, 'float_data');
    else if (f.field === 10 && t.dataType === DT.DOUBLE) r.doubles(f, typed, n, 'double_data');
    else if (f.field === 5 && t.dataType === DT.FLOAT16) r.ints(f, typed, n, 'int32_data');
  }
  if (raw) {
    if (raw.length !== n * width) throw new ModelFileError(modelFile, `tensor "${t.name}": raw_data has ${raw.length} bytes, its shape needs ${n * width}`);
    fromBytes(t.dataType, raw, n, out);
    return out;
  }
  if (typed.length !== n) throw new ModelFileError(modelFile, `tensor "${t.name}" stores ${typed.length} values, its shape needs ${n}`);
  for (let i = 0; i < n; i++) out[i] = t.dataType === DT.FLOAT16 ? halfToFloat(typed[i]) : typed[i];
  return out;
}

/** Int64 values of a small tensor (shapes, axes), or undefined when they are not stored inline. */
export function int64Values(t: OnnxTensor, max = 64): number[] | undefined {
  if (t.external || (t.dataType !== DT.INT64 && t.dataType !== DT.INT32)) return undefined;
  const n = elementCount(t.dims);
  if (n > max) return undefined;
  const r = new ProtoReader(new BufferSource('tensor', t.payload));
  const out: number[] = [];
  for (const f of r.fields(r.root(), 'tensor')) {
    if (f.field === 9 && f.wire === WireType.LengthDelimited) {
      const b = r.bytes(f, 'raw_data');
      const w = t.dataType === DT.INT64 ? 8 : 4;
      if (b.length !== n * w) return undefined;
      for (let i = 0; i < n; i++) out.push(w === 8 ? Number(b.readBigInt64LE(i * w)) : b.readInt32LE(i * w));
      return out;
    }
    if ((f.field === 7 && t.dataType === DT.INT64) || (f.field === 5 && t.dataType === DT.INT32)) r.ints(f, out, n, 'int data');
  }
  return out.length === n ? out : undefined;
}
