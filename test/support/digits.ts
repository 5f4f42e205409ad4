/**
 * A real classifier for the verify tests: the UCI handwritten digits (1,797 8x8 images, Debian python3-sklearn's
 * copy), a 64-32-10 MLP trained here with a fixed seed (Adam, softmax cross-entropy), exported as ONNX
 * (Gemm → Relu → Gemm, logits out), and the held-out digits written as one .npy per sample with samples.csv
 * (file, label, group: "light" / "heavy" by total ink against the median, a deterministic subgroup).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { OnnxGraphBuilder, writeModel } from './modelgen/onnx-builder';
import { encodeNpy } from '../../src/measure/verify/data/npy';
import { seededRandom } from '../../src/measure/verify/data/dataset';

export const DIGITS_CSV = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';
export const SKIP_NO_DIGITS = fs.existsSync(DIGITS_CSV) ? false : `${DIGITS_CSV} is absent (Debian package python3-sklearn); digits tests skipped`;

export interface Digits {
  x: Float32Array[];
  y: number[];
}

/** Pixels 0..16 scaled to 0..1. */
export function loadDigits(): Digits {
  const rows = zlib.gunzipSync(fs.readFileSync(DIGITS_CSV)).toString('utf8').trim().split('\n');
  const x: Float32Array[] = [];
  const y: number[] = [];
  for (const r of rows) {
    const v = r.split(',').map(Number);
    x.push(Float32Array.from(v.slice(0, 64), (p) => p / 16));
    y.push(v[64]);
  }
  return { x, y };
}

export interface Mlp {
  w1: Float32Array; // [H, 64]
  b1: Float32Array;
  w2: Float32Array; // [10, H]
  b2: Float32Array;
  hidden: number;
}

function forward(m: Mlp, x: Float32Array): { h: Float32Array; p: Float32Array } {
  const H = m.hidden;
  const h = new Float32Array(H);
  for (let j = 0; j < H; j++) {
    let s = m.b1[j];
    for (let i = 0; i < 64; i++) s += m.w1[j * 64 + i] * x[i];
    h[j] = s > 0 ? s : 0;
  }
  const z = new Float32Array(10);
  for (let k = 0; k < 10; k++) {
    let s = m.b2[k];
    for (let j = 0; j < H; j++) s += m.w2[k * H + j] * h[j];
    z[k] = s;
  }
  const mx = Math.max(...z);
  let sum = 0;
  for (let k = 0; k < 10; k++) sum += (z[k] = Math.exp(z[k] - mx));
  for (let k = 0; k < 10; k++) z[k] /= sum;
  return { h, p: z };
}

export function accuracy(m: Mlp, d: Digits, idx: number[]): number {
  let ok = 0;
  for (const i of idx) {
    const p = forward(m, d.x[i]).p;
    if (p.indexOf(Math.max(...p)) === d.y[i]) ok++;
  }
  return ok / idx.length;
}

/** Trains the MLP with Adam on the given rows (fixed seed: the same weights every time). */
export function trainMlp(d: Digits, idx: number[], opts: { hidden?: number; epochs?: number; seed?: number } = {}): Mlp {
  const H = opts.hidden ?? 32;
  const rnd = seededRandom(opts.seed ?? 7);
  const init = (n: number, fanIn: number): Float32Array => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * Math.sqrt(6 / fanIn));
  const m: Mlp = { w1: init(H * 64, 64), b1: new Float32Array(H), w2: init(10 * H, H), b2: new Float32Array(10), hidden: H };
  const params = [m.w1, m.b1, m.w2, m.b2];
  const mom = params.map((p) => new Float32Array(p.length));
  const vel = params.map((p) => new Float32Array(p.length));
  const lr = 0.01;
  let t = 0;
  const order = [...idx];
  for (let epoch = 0; epoch < (opts.epochs ?? 30); epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < order.length; start += 32) {
      const grads = params.map((p) => new Float32Array(p.length));
      const batch = order.slice(start, start + 32);
      for (const n of batch) {
        const x = d.x[n];
        const { h, p } = forward(m, x);
        const dz = Float32Array.from(p, (v, k) => (v - (k === d.y[n] ? 1 : 0)) / batch.length);
        const dh = new Float32Array(H);
        for (let k = 0; k < 10; k++) {
          grads[3][k] += dz[k];
          for (let j = 0; j < H; j++) {
            grads[2][k * H + j] += dz[k] * h[j];
            dh[j] += dz[k] * m.w2[k * H + j];
          }
        }
        for (let j = 0; j < H; j++) {
          if (h[j] <= 0) continue;
          grads[1][j] += dh[j];
          for (let i = 0; i < 64; i++) grads[0][j * 64 + i] += dh[j] * x[i];
        }
      }
      t++;
      params.forEach((p, q) => {
        for (let i = 0; i < p.length; i++) {
          mom[q][i] = 0.9 * mom[q][i] + 0.1 * grads[q][i];
          vel[q][i] = 0.999 * vel[q][i] + 0.001 * grads[q][i] ** 2;
          p[i] -= (lr * (mom[q][i] / (1 - 0.9 ** t))) / (Math.sqrt(vel[q][i] / (1 - 0.999 ** t)) + 1e-8);
        }
      });
    }
  }
  return m;
}

/** The MLP as ONNX: input "pixels" [1, 64], output "logits" [1, 10]. */
export function writeMlpOnnx(m: Mlp, file: string): void {
  const b = new OnnxGraphBuilder('digits_mlp');
  b.input('pixels', [1, 64]);
  b.initializers.push(
    { name: 'fc1.weight', dataType: 'FLOAT', dims: [m.hidden, 64], raw: Buffer.from(m.w1.buffer.slice(0)) },
    { name: 'fc1.bias', dataType: 'FLOAT', dims: [m.hidden], raw: Buffer.from(m.b1.buffer.slice(0)) },
    { name: 'fc2.weight', dataType: 'FLOAT', dims: [10, m.hidden], raw: Buffer.from(m.w2.buffer.slice(0)) },
    { name: 'fc2.bias', dataType: 'FLOAT', dims: [10], raw: Buffer.from(m.b2.buffer.slice(0)) },
  );
  const transB = [{ name: 'transB', type: 'int' as const, value: 1 }];
  b.node('Gemm', ['pixels', 'fc1.weight', 'fc1.bias'], ['fc1'], transB, 'fc1');
  b.node('Relu', ['fc1'], ['relu1'], [], 'relu1');
  b.node('Gemm', ['relu1', 'fc2.weight', 'fc2.bias'], ['logits'], transB, 'fc2');
  b.shapes.set('logits', [1, 10]);
  b.output('logits');
  writeModel(b.model({ opset: 13 }), file);
}

/** Total ink of a digit, the basis of the "light" / "heavy" groups. */
const ink = (x: Float32Array): number => x.reduce((a, v) => a + v, 0);

/** Writes rows `idx` as DIR/dNNNN.npy ([64] float32) and DIR/samples.csv (file,label,group). */
export function writeDigitsFolder(d: Digits, idx: number[], dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const inks = idx.map((i) => ink(d.x[i])).sort((a, b) => a - b);
  const median = inks[Math.floor(inks.length / 2)];
  const lines = ['file,label,group'];
  for (const i of idx) {
    const name = `d${String(i).padStart(4, '0')}.npy`;
    fs.writeFileSync(path.join(dir, name), encodeNpy(d.x[i], [64]));
    lines.push(`${name},${d.y[i]},${ink(d.x[i]) >= median ? 'heavy' : 'light'}`);
  }
  fs.writeFileSync(path.join(dir, 'samples.csv'), lines.join('\n') + '\n');
}
