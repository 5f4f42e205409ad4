/**
 * Generates samples/tiny-cnn.onnx, the sample model the README's first command plans for: a small
 * MobileNet-style image classifier (96x96 RGB → 10 classes) with depthwise-separable blocks, written by the
 * project's own ONNX builder with deterministic pseudo-random weights. License-clean: nothing third-party.
 *
 *   node dist/scripts/make-sample.js [out.onnx]
 */
import * as path from 'path';
import { OnnxGraphBuilder, writeModel } from '../test/support/modelgen/onnx-builder';

export function buildTinyCnn(): ReturnType<OnnxGraphBuilder['model']> {
  const g = new OnnxGraphBuilder('tiny_cnn', { seed: 2026 });
  let x = g.input('image', [1, 3, 96, 96]);
  x = g.relu(g.conv(x, 16, { kernel: 3, stride: 2, pad: 1, name: 'stem' }));
  const blocks: [number, number][] = [
    [32, 1],
    [64, 2],
    [64, 1],
    [128, 2],
    [128, 1],
  ];
  blocks.forEach(([out, stride], i) => {
    x = g.relu(g.depthwiseConv(x, { kernel: 3, stride, pad: 1, name: `block${i}.dw` }));
    x = g.relu(g.conv(x, out, { kernel: 1, name: `block${i}.pw` }));
  });
  x = g.globalAvgPool(x);
  x = g.flatten(x);
  x = g.gemm(x, 10, { name: 'classifier' });
  const [probs] = g.node('Softmax', [x], ['probabilities'], [{ name: 'axis', type: 'int', value: 1 }], 'softmax');
  g.shapes.set(probs, [1, 10]);
  g.output(probs);
  return g.model({ opset: 13, producerName: 'edge-deployment-planner sample generator' });
}

if (require.main === module) {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', 'samples', 'tiny-cnn.onnx'));
  const bytes = writeModel(buildTinyCnn(), out);
  console.log(`wrote ${out} (${bytes} bytes)`);
}
