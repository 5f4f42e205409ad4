/**
 * The baseline of the verify benchmark: N inferences of an ONNX model in fp32 with onnxruntime-node, on the .npy
 * samples of a folder (read before timing), after one warm-up run. Timed twice — onnxruntime's default
 * session options, and thread spinning off as verify's sessions run — and the faster is the baseline.
 * Prints one JSON line: { defaultMs, noSpinningMs, runs }.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseNpy } from '../src/measure/verify/data/npy';

type Ort = typeof import('onnxruntime-node');

async function main(): Promise<void> {
  const [model, dir, count] = process.argv.slice(2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort: Ort = require('onnxruntime-node');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.npy')).sort().slice(0, Number(count));
  const inputs = files.map((f) => parseNpy(fs.readFileSync(path.join(dir, f)), f).values as Float32Array);
  const time = async (extra?: Record<string, unknown>): Promise<number> => {
    const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', ...(extra ? { extra } : {}) });
    const feed = (x: Float32Array) => ({ [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, 224, 224]) });
    await s.run(feed(inputs[0]));
    const t0 = process.hrtime.bigint();
    for (const x of inputs) await s.run(feed(x));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    await s.release();
    return ms;
  };
  const defaultMs = await time();
  const noSpinningMs = await time({ session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } });
  console.log(JSON.stringify({ defaultMs, noSpinningMs, runs: inputs.length }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
