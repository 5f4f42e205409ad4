/**
 * Images as model inputs: PNG (pngjs) and JPEG (jpeg-js), both pure JavaScript, decoded in this process with a
 * size limit checked before decoding; then resized (bilinear, half-pixel centres, stretched to the input size),
 * converted to 1 or 3 channels (grey = ITU-R 601 luma, as PIL's "L"), scaled, normalised by mean / std and laid
 * out as NCHW or NHWC. The defaults come from the input's shape and are stated in the report.
 */
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { DataError } from '../errors';

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** Largest image decoded (pixels). */
const MAX_PIXELS = 40_000_000;

export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface ImagePreprocess {
  layout: 'NCHW' | 'NHWC';
  height: number;
  width: number;
  channels: 1 | 3;
  /** Pixel values (0..255) are divided by this before mean / std. */
  scale: number;
  mean: number[];
  std: number[];
}

export function decodeImage(b: Buffer, file: string): Rgba {
  const isPng = b.length >= 8 && b.readUInt32BE(0) === 0x89504e47;
  const isJpeg = b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  if (isPng) {
    if (b.length < 33 || b.toString('latin1', 12, 16) !== 'IHDR') throw new DataError(file, 'PNG without an IHDR header: corrupted');
    const w = b.readUInt32BE(16);
    const h = b.readUInt32BE(20);
    if (w === 0 || h === 0 || w * h > MAX_PIXELS) throw new DataError(file, `PNG of ${w}x${h} pixels is outside 1..${MAX_PIXELS} pixels`);
    try {
      const png = PNG.sync.read(b);
      return { width: png.width, height: png.height, data: png.data };
    } catch (e) {
      throw new DataError(file, `PNG cannot be decoded (${(e as Error).message}): corrupted`);
    }
  }
  if (isJpeg) {
    try {
      const img = jpeg.decode(b, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      if (!img.width || !img.height) throw new Error('no image data');
      return { width: img.width, height: img.height, data: img.data };
    } catch (e) {
      throw new DataError(file, `JPEG cannot be decoded (${(e as Error).message}): corrupted or unsupported`);
    }
  }
  throw new DataError(file, 'is neither a PNG nor a JPEG (by its first bytes)');
}

/**
 * Preprocessing implied by an input shape: NCHW when dim 1 is 1 or 3, NHWC when the last dim is; pixels / 255,
 * no mean / std. Returns a reason instead when the shape is not an image's.
 */
export function defaultPreprocess(shape: (number | string)[]): ImagePreprocess | string {
  if (shape.length !== 4) return `an image input needs 4 dimensions, this one has ${shape.length}`;
  const [, d1, d2, d3] = shape;
  const nchw = d1 === 1 || d1 === 3;
  const nhwc = !nchw && (d3 === 1 || d3 === 3);
  if (!nchw && !nhwc) return `cannot tell the channel dimension of [${shape.join(', ')}] (1 or 3 channels expected in dim 1 or dim 3)`;
  const [c, h, w] = nchw ? [d1, d2, d3] : [d3, d1, d2];
  if (typeof h !== 'number' || typeof w !== 'number') return `the image size of [${shape.join(', ')}] is symbolic; give --image-size HxW`;
  return { layout: nchw ? 'NCHW' : 'NHWC', height: h, width: w, channels: c as 1 | 3, scale: 255, mean: [0], std: [1] };
}

/** Bilinear sample of channel `ch` at real coordinates (half-pixel centres). */
function sample(img: Rgba, x: number, y: number, ch: number): number {
  const fx = Math.min(Math.max(x, 0), img.width - 1);
  const fy = Math.min(Math.max(y, 0), img.height - 1);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, img.width - 1);
  const y1 = Math.min(y0 + 1, img.height - 1);
  const ax = fx - x0;
  const ay = fy - y0;
  const at = (xx: number, yy: number): number => img.data[(yy * img.width + xx) * 4 + ch];
  return (at(x0, y0) * (1 - ax) + at(x1, y0) * ax) * (1 - ay) + (at(x0, y1) * (1 - ax) + at(x1, y1) * ax) * ay;
}

/** The image as a [1, C, H, W] or [1, H, W, C] float32 tensor. */
export function imageTensor(img: Rgba, p: ImagePreprocess): Float32Array {
  const { height: H, width: W, channels: C } = p;
  const out = new Float32Array(H * W * C);
  const sx = img.width / W;
  const sy = img.height / H;
  const m = (c: number): number => p.mean[p.mean.length === 1 ? 0 : c];
  const s = (c: number): number => p.std[p.std.length === 1 ? 0 : c];
  const same = img.width === W && img.height === H;
  const mean = Array.from({ length: C }, (_, c) => m(c));
  const std = Array.from({ length: C }, (_, c) => s(c));
  const px = new Float64Array(3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (same) {
        const at = (y * img.width + x) * 4;
        px[0] = img.data[at];
        px[1] = img.data[at + 1];
        px[2] = img.data[at + 2];
      } else {
        const rx = (x + 0.5) * sx - 0.5;
        const ry = (y + 0.5) * sy - 0.5;
        for (let c = 0; c < 3; c++) px[c] = sample(img, rx, ry, c);
      }
      if (C === 1) px[0] = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
      for (let c = 0; c < C; c++) out[p.layout === 'NCHW' ? c * H * W + y * W + x : (y * W + x) * C + c] = (px[c] / p.scale - mean[c]) / std[c];
    }
  }
  return out;
}
