/**
 * Benchmark helper (run by bench.ts in a fresh process): the cost of the deployed-graph pass inside `edgeplan
 * estimate`. Builds a 1,000-node exported-style ONNX model (Conv -> BatchNormalization -> Relu -> Identity blocks),
 * analyses it, then estimates it on every catalog device with the pass (the profile carries its dataflow) and
 * without it (the dataflow stripped, so each file node is costed as it is). Prints one JSON line.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeFile } from '../src/analyzers';
import type { ModelProfile } from '../src/analyzers/profile-types';
import { estimateDevice } from '../src/planner/estimate';
import { loadCatalog } from '../src/planner/catalog';
import { OnnxGraphBuilder, writeModel } from '../test/support/modelgen/onnx-builder';
import { torchExportStyle } from '../test/support/export-style';

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeplan-bench-est-'));
  try {
    const g = new OnnxGraphBuilder('chain', { zeroWeights: true });
    let x = g.input('x', [1, 16, 32, 32]);
    for (let i = 0; i < 250; i++) x = g.relu(g.add(g.conv(x, 16, { kernel: 3, pad: 'same' }), x));
    g.output(x);
    const file = path.join(dir, 'chain.onnx');
    writeModel(torchExportStyle(g.model({ opset: 17 })), file);
    const t0 = performance.now();
    const { model } = await analyzeFile(file);
    const analyzeMs = performance.now() - t0;
    const ids = loadCatalog().devices.map((d) => d.id);
    const strip = (m: ModelProfile): ModelProfile => ({ ...m, layers: m.layers.map(({ inputs: _i, outputs: _o, constantInputs: _c, ...l }) => l) });
    const time = (make: () => ModelProfile): number => {
      let best = Infinity;
      for (let r = 0; r < 5; r++) {
        const p = make(); // a fresh profile object: no deployed graph cached from an earlier round
        const s = performance.now();
        for (const id of ids) estimateDevice(p, id);
        best = Math.min(best, performance.now() - s);
      }
      return best;
    };
    const withPass = time(() => ({ ...model }));
    const withoutPass = time(() => strip(model));
    console.log(JSON.stringify({ nodes: model.layers.length, devices: ids.length, analyzeMs, withPassMs: withPass, withoutPassMs: withoutPass }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
