/**
 * The arithmetic of the compressed formats, following ONNX Runtime's quantization tools:
 * - scale / zero point from a real range (the range always contains 0; symmetric ranges are centred on 0;
 *   int8 symmetric uses -127..127 so +x and -x quantize alike), rounding half to even as QuantizeLinear does;
 * - per-channel symmetric int8 weights, int32 biases with scale = input scale x weight scale;
 * - 4-bit block quantization along K for MatMulNBits (asymmetric: per-block scale and 4-bit zero point,
 *   two values per byte, low nibble first);
 * - float32 → float16 with round-to-nearest-even, finite values clamped to ±65504 and tiny non-zero values
 *   kept non-zero (as onnxconverter-common's float16 conversion does).
 */

export type QType = 'uint8' | 'int8';

export const QRANGE: Record<QType, { min: number; max: number }> = { uint8: { min: 0, max: 255 }, int8: { min: -128, max: 127 } };

/** Round half to even (ONNX QuantizeLinear rounding). */
export function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

export interface ScaleZp {
  scale: number;
  zeroPoint: number;
}

/** Scale and zero point for the real range [rmin, rmax] mapped onto [qmin, qmax]. */
export function scaleZp(rmin: number, rmax: number, qmin: number, qmax: number, symmetric: boolean): ScaleZp {
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  if (symmetric) {
    const a = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -a;
    hi = a;
  }
  const scale = (hi - lo) / (qmax - qmin);
  if (!(scale > 0) || !Number.isFinite(scale)) return { scale: 1, zeroPoint: symmetric ? rint((qmin + qmax) / 2) : qmin };
  // Math.fround: the scale is stored as float32; the zero point is derived from the stored value.
  const s = Math.fround(scale);
  const zeroPoint = symmetric ? rint((qmin + qmax) / 2) : clamp(rint(qmin - lo / s), qmin, qmax);
  return { scale: s, zeroPoint };
}

/** Activation parameters (asymmetric, per tensor). */
export function activationParams(rmin: number, rmax: number, type: QType): ScaleZp {
  return scaleZp(rmin, rmax, QRANGE[type].min, QRANGE[type].max, false);
}

export interface ChannelQuant {
  q: Int8Array;
  /** One scale per channel along the axis (one value for per-tensor). */
  scales: Float32Array;
}

/**
 * Symmetric int8 quantization (-127..127, zero point 0) with one scale per index of `axis`
 * (axis = -1: one scale for the whole tensor).
 */
export function quantizeSymmetricInt8(values: Float32Array, dims: number[], axis: number): ChannelQuant {
  const channels = axis < 0 ? 1 : dims[axis];
  const inner = axis < 0 ? values.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  // Element i belongs to channel floor(i / inner) % channels: walk the tensor in runs of `inner` elements.
  const runs = values.length / inner;
  const absmax = new Float32Array(channels);
  for (let r = 0; r < runs; r++) {
    const c = r % channels;
    let m = absmax[c];
    for (let i = r * inner, end = i + inner; i < end; i++) {
      const a = values[i] < 0 ? -values[i] : values[i];
      if (a > m) m = a;
    }
    absmax[c] = m;
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = scaleZp(-absmax[c], absmax[c], -127, 127, true).scale;
  const q = new Int8Array(values.length);
  // rint inlined (this runs once per weight: about twice as fast on large layers): Math.round takes a half up, so
  // an odd result of a half goes back down to the even neighbour.
  for (let start = 0, c = 0; start < values.length; start += inner, c = c + 1 === channels ? 0 : c + 1) {
    const s = scales[c];
    for (let i = start, end = start + inner; i < end; i++) {
      const x = values[i] / s;
      let v = Math.round(x);
      if (v - x === 0.5 && v % 2 !== 0) v -= 1;
      q[i] = v < -127 ? -127 : v > 127 ? 127 : v;
    }
  }
  return { q, scales };
}

/** Bias as int32 with scale = inputScale x weightScale[c] and zero point 0 (what QLinearConv / QGemm expect). */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { q: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(bias.length);
  const q = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const s = Math.fround(inputScale * weightScales[weightScales.length === 1 ? 0 : c]);
    scales[c] = s > 0 ? s : 1;
    q[c] = s > 0 ? clamp(rint(bias[c] / s), -2147483648, 2147483647) : 0;
  }
  return { q, scales };
}

export interface Block4 {
  /** [N, blocks, blockSize / 2] bytes, two 4-bit values per byte, low nibble first. */
  packed: Uint8Array;
  /** [N, blocks] float32. */
  scales: Float32Array;
  /** [N, ceil(blocks / 2)] bytes of 4-bit zero points, low nibble first. */
  zeroPoints: Uint8Array;
  blocks: number;
}

/**
 * 4-bit asymmetric block quantization of a weight given as `at(n, k)` for N output columns and K inputs,
 * blocks of `blockSize` along K (the last block padded with zeros), as MatMulNBits stores it.
 */
export function quantizeBlocks4(at: (n: number, k: number) => number, N: number, K: number, blockSize: number): Block4 {
  const blocks = Math.ceil(K / blockSize);
  const blob = blockSize / 2;
  const zpBytes = Math.ceil(blocks / 2);
  const packed = new Uint8Array(N * blocks * blob);
  const scales = new Float32Array(N * blocks);
  const zeroPoints = new Uint8Array(N * zpBytes);
  const vals = new Float32Array(blockSize);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      let lo = 0;
      let hi = 0;
      for (let j = 0; j < blockSize; j++) {
        const k = b * blockSize + j;
        const v = k < K ? at(n, k) : 0;
        vals[j] = v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const { scale, zeroPoint } = scaleZp(lo, hi, 0, 15, false);
      const s = hi > lo ? scale : 0;
      scales[n * blocks + b] = s;
      const zp = hi > lo ? zeroPoint : 0;
      zeroPoints[n * zpBytes + (b >> 1)] |= zp << ((b & 1) * 4);
      const base = (n * blocks + b) * blob;
      for (let j = 0; j < blockSize; j++) {
        const q = s > 0 ? clamp(rint(vals[j] / s) + zp, 0, 15) : zp;
        packed[base + (j >> 1)] |= q << ((j & 1) * 4);
      }
    }
  }
  return { packed, scales, zeroPoints, blocks };
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Float16 bits of a number, rounding to nearest even. */
export function floatToHalfBits(v: number): number {
  F32[0] = v;
  const x = U32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

export const FP16_MAX = 65504;
export const FP16_MIN_POSITIVE = 5.96e-8;

/** float32 values → float16 bytes; finite values beyond ±65504 clamp to it, tiny non-zero values stay non-zero. */
export function toFloat16Bytes(values: Float32Array): { bytes: Buffer; clamped: number } {
  const b = Buffer.alloc(values.length * 2);
  let clamped = 0;
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (Number.isFinite(v)) {
      if (v > FP16_MAX) (v = FP16_MAX), clamped++;
      else if (v < -FP16_MAX) (v = -FP16_MAX), clamped++;
      else if (v > 0 && v < FP16_MIN_POSITIVE) v = FP16_MIN_POSITIVE;
      else if (v < 0 && v > -FP16_MIN_POSITIVE) v = -FP16_MIN_POSITIVE;
    }
    b.writeUInt16LE(floatToHalfBits(v), i * 2);
  }
  return { bytes: b, clamped };
}
