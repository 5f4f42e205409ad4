/**
 * NumPy .npy files (format versions 1.0, 2.0, 3.0), one sample per file. The header is a Python dict literal;
 * it is matched field by field with strict patterns, never evaluated. Only plain little-endian numeric dtypes
 * in C order are accepted (object arrays would need unpickling: refused), and the data length must be exactly
 * what the shape and dtype declare.
 */
import { halfToFloat } from '../../../analyzers/onnx/tensor';
import { DataError } from '../errors';

export type NpyDtype = 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /**
   * The values: a typed array of the file's type (Float32Array for float32 ...), float16 as Float32Array, 64-bit
   * integers as Float64Array (beyond 2^53 they lose precision; inputs that large are not data).
   */
  values: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;
}

const DESCR: Record<string, { dtype: NpyDtype; bytes: number }> = {
  f4: { dtype: 'float32', bytes: 4 }, f8: { dtype: 'float64', bytes: 8 }, f2: { dtype: 'float16', bytes: 2 },
  i1: { dtype: 'int8', bytes: 1 }, u1: { dtype: 'uint8', bytes: 1 }, i2: { dtype: 'int16', bytes: 2 }, u2: { dtype: 'uint16', bytes: 2 },
  i4: { dtype: 'int32', bytes: 4 }, u4: { dtype: 'uint32', bytes: 4 }, i8: { dtype: 'int64', bytes: 8 }, u8: { dtype: 'uint64', bytes: 8 },
  b1: { dtype: 'bool', bytes: 1 },
};

/** One sample's size limit (elements). */
export const MAX_NPY_ELEMENTS = 64 * 1024 * 1024;

export function parseNpy(b: Buffer, file: string): NpyArray {
  const fail = (why: string): never => {
    throw new DataError(file, why);
  };
  if (b.length < 10 || b.readUInt8(0) !== 0x93 || b.toString('latin1', 1, 6) !== 'NUMPY') fail('not a .npy file (no \\x93NUMPY magic)');
  const major = b.readUInt8(6);
  if (major < 1 || major > 3) fail(`.npy format version ${major} is not supported`);
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.length >= 12 ? b.readUInt32LE(8) : fail('truncated header');
  const start = major === 1 ? 10 : 12;
  if (headerLen > 65536 || start + headerLen > b.length) fail(`header of ${headerLen} bytes runs past the file (${b.length} bytes): truncated or corrupted`);
  const header = b.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen).trim();
  if (!/^\{.*\}$/s.test(header)) fail('header is not a dict: corrupted');
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1] ?? fail('header has no descr');
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1] ?? fail('header has no fortran_order');
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? fail('header has no shape');
  if (fortran === 'True') fail('Fortran-ordered arrays are not supported; save with np.ascontiguousarray');
  const m = /^([<>|=])([a-zA-Z]\d+)$/.exec(descr);
  if (!m || m[2] === 'O' || !DESCR[m[2]]) fail(`dtype "${descr}" is not supported (plain numeric types only; object arrays are never unpickled)`);
  if (m![1] === '>' && DESCR[m![2]].bytes > 1) fail(`big-endian dtype "${descr}" is not supported`);
  const { dtype, bytes } = DESCR[m![2]];
  const parts = shapeText.split(',').map((s) => s.trim()).filter(Boolean);
  const shape = parts.map((p) => (/^\d+L?$/.test(p) ? Number(p.replace('L', '')) : fail(`shape "(${shapeText})" is not a tuple of whole numbers`)));
  const count = shape.reduce((a, d) => a * d, 1);
  if (!Number.isSafeInteger(count) || count > MAX_NPY_ELEMENTS) fail(`shape (${shape.join(', ')}) has more than ${MAX_NPY_ELEMENTS} elements`);
  const dataStart = start + headerLen;
  if (b.length - dataStart !== count * bytes) fail(`holds ${b.length - dataStart} data bytes, its header declares ${count * bytes} (${dtype} ${JSON.stringify(shape)}): truncated or corrupted`);
  // The data viewed as the file's type (little-endian, as this machine): in place when it is aligned for that type
  // (numpy pads the header to a multiple of 64 bytes, and a file read whole starts its own buffer), else an aligned copy.
  // A view shares `b`'s memory: callers pass a buffer they do not reuse.
  const at = b.byteOffset + dataStart;
  let buffer: ArrayBufferLike = b.buffer;
  let offset = at;
  if (at % bytes !== 0) {
    buffer = new ArrayBuffer(count * bytes);
    new Uint8Array(buffer).set(b.subarray(dataStart, dataStart + count * bytes));
    offset = 0;
  }
  let values: NpyArray['values'];
  switch (dtype) {
    case 'float32': values = new Float32Array(buffer, offset, count); break;
    case 'float64': values = new Float64Array(buffer, offset, count); break;
    case 'float16': values = Float32Array.from(new Uint16Array(buffer, offset, count), halfToFloat); break;
    case 'int8': values = new Int8Array(buffer, offset, count); break;
    case 'uint8': case 'bool': values = new Uint8Array(buffer, offset, count); break;
    case 'int16': values = new Int16Array(buffer, offset, count); break;
    case 'uint16': values = new Uint16Array(buffer, offset, count); break;
    case 'int32': values = new Int32Array(buffer, offset, count); break;
    case 'uint32': values = new Uint32Array(buffer, offset, count); break;
    case 'int64': values = Float64Array.from(new BigInt64Array(buffer, offset, count), Number); break;
    case 'uint64': values = Float64Array.from(new BigUint64Array(buffer, offset, count), Number); break;
  }
  return { dtype, shape, values };
}

/** A .npy file for `values` (float32 or int64), as numpy.save writes it (format 1.0, header padded to 64 bytes). */
export function encodeNpy(values: ArrayLike<number>, shape: number[], dtype: 'float32' | 'int64' = 'float32'): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype === 'float32' ? '<f4' : '<i8'}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.writeUInt8(0x93, 0);
  head.write('NUMPY', 1, 'latin1');
  head.writeUInt8(1, 6);
  head.writeUInt8(0, 7);
  head.writeUInt16LE(header.length, 8);
  const w = dtype === 'float32' ? 4 : 8;
  const data = Buffer.alloc(values.length * w);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'float32') data.writeFloatLE(values[i], i * 4);
    else data.writeBigInt64LE(BigInt(Math.round(values[i])), i * 8);
  }
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}
