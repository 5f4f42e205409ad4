/**
 * Real model files for the recommender tests, written by the project's own generators into a temp folder
 * and read back through analyzeFile: a MobileNetV1-1.0-224 (published: 4.2 M params, 569 M MACs), the same
 * network with one LeakyRelu (an op the Edge TPU cannot map), a small CNN, and a Llama-2-7B-shaped GGUF
 * (header + tensor table, data region a sparse file so nothing is written).
 */
import * as fs from 'fs';
import * as path from 'path';
import { OnnxGraphBuilder, writeModel, attr } from './modelgen/onnx-builder';
import { analyzeFile } from '../../src/analyzers';
import type { ModelProfile } from '../../src/analyzers/profile-types';
import { tempDir } from './shared';
import { ggufHeader } from './gguf-writer';

let dir: string | null = null;
const workDir = (): string => (dir ??= tempDir('recommend'));

export function cleanupRecommendModels(): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = null;
}

/** MobileNetV1 1.0 at 224x224 (Howard et al. 2017 layout); `leakyAt` puts a LeakyRelu after that pointwise block. */
export function mobilenetV1Onnx(name: string, opts: { leakyAt?: number; dynamicBatch?: boolean } = {}): string {
  const g = new OnnxGraphBuilder('mobilenet_v1', { zeroWeights: true });
  let x = g.input('input', [opts.dynamicBatch ? 'N' : 1, 3, 224, 224]);
  x = g.relu(g.conv(x, 32, { kernel: 3, stride: 2, pad: 1, name: 'stem' }));
  const cfg: [number, number][] = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  cfg.forEach(([c, s], i) => {
    x = g.relu(g.depthwiseConv(x, { kernel: 3, stride: s, pad: 1, name: `dw${i}` }));
    const y = g.conv(x, c, { kernel: 1, name: `pw${i}` });
    if (opts.leakyAt === i) {
      [x] = g.node('LeakyRelu', [y], [`leaky${i}_out`], [attr.float('alpha', 0.1)], `leaky${i}`);
      g.shapes.set(x, g.shapeOf(y));
    } else {
      x = g.relu(y);
    }
  });
  x = g.flatten(g.globalAvgPool(x));
  x = g.gemm(x, 1000, { name: 'fc' });
  g.output(x);
  const file = path.join(workDir(), name);
  writeModel(g.model({ opset: 13 }), file);
  return file;
}

/** A small MobileNet-style CNN (96x96 RGB → 10 classes), like samples/tiny-cnn.onnx. */
export function tinyCnnOnnx(name: string): string {
  const g = new OnnxGraphBuilder('tiny_cnn', { seed: 3 });
  let x = g.input('image', [1, 3, 96, 96]);
  x = g.relu(g.conv(x, 16, { kernel: 3, stride: 2, pad: 1, name: 'stem' }));
  for (const [i, [c, s]] of ([[32, 1], [64, 2], [128, 2]] as [number, number][]).entries()) {
    x = g.relu(g.depthwiseConv(x, { kernel: 3, stride: s, pad: 1, name: `b${i}.dw` }));
    x = g.relu(g.conv(x, c, { kernel: 1, name: `b${i}.pw` }));
  }
  x = g.flatten(g.globalAvgPool(x));
  x = g.gemm(x, 10, { name: 'classifier' });
  g.output(x);
  const file = path.join(workDir(), name);
  writeModel(g.model({ opset: 13 }), file);
  return file;
}

/** A two-layer MLP with a 1024x1024 Linear (for low-rank factorisation). */
export function mlpOnnx(name: string): string {
  const g = new OnnxGraphBuilder('mlp', { zeroWeights: true });
  let x = g.input('features', [1, 1024]);
  x = g.relu(g.gemm(x, 1024, { name: 'fc1' }));
  x = g.gemm(x, 10, { name: 'fc2' });
  g.output(x);
  const file = path.join(workDir(), name);
  writeModel(g.model({ opset: 13 }), file);
  return file;
}

/** GGUF v3 header with a Llama-2-7B tensor table (F16 weights, F32 norms); the data region is a sparse extension. */
export function llama7bGguf(name: string): string {
  const d = 4096;
  const ff = 11008;
  const layers = 32;
  const vocab = 32000;
  const tensors: { name: string; dims: number[]; type: number; bytes: number }[] = [];
  const add = (n: string, dims: number[], type: 0 | 1) => tensors.push({ name: n, dims, type, bytes: dims.reduce((a, b) => a * b, 1) * (type === 0 ? 4 : 2) });
  add('token_embd.weight', [d, vocab], 1);
  for (let i = 0; i < layers; i++) {
    add(`blk.${i}.attn_norm.weight`, [d], 0);
    for (const t of ['attn_q', 'attn_k', 'attn_v', 'attn_output']) add(`blk.${i}.${t}.weight`, [d, d], 1);
    add(`blk.${i}.ffn_norm.weight`, [d], 0);
    add(`blk.${i}.ffn_gate.weight`, [d, ff], 1);
    add(`blk.${i}.ffn_up.weight`, [d, ff], 1);
    add(`blk.${i}.ffn_down.weight`, [ff, d], 1);
  }
  add('output_norm.weight', [d], 0);
  add('output.weight', [d, vocab], 1);

  const { head, dataBytes } = ggufHeader(
    [
      ['general.architecture', 8, 'llama'],
      ['general.name', 8, 'llama-2-7b-shaped test file'],
      ['llama.block_count', 4, layers],
      ['llama.context_length', 4, 4096],
      ['llama.embedding_length', 4, d],
    ],
    tensors,
  );
  const file = path.join(workDir(), name);
  fs.writeFileSync(file, head);
  fs.truncateSync(file, head.length + dataBytes); // sparse: the weights are never read
  return file;
}

export async function profileOf(file: string): Promise<ModelProfile> {
  return (await analyzeFile(file)).model;
}
