/**
 * npm run bench — speed and memory, printed as tables (benchmarks, not timed tests):
 *  1. analysis time and peak RSS for the real fixtures (../shared), generated 100 MB / 1 GB ONNX models and
 *     million-node ONNX / TFLite chains, next to Debian's python3-onnx `onnx.load` +
 *     `shape_inference.infer_shapes` on the ONNX files;
 *  2. the four exports of a typical plan, of a 150,000-node graph and of a plan holding a 20,000-character word;
 *  3. what the deployed-graph pass adds to an estimate of a 1,000-node exported model on every catalog device;
 *  4. edgeplan verify, static INT8 PTQ of MobileNetV2-224 (the reference architecture) with 100 calibration and
 *     200 evaluation samples, against the time of those 300 inferences in fp32 (target: within 3x).
 * Every measurement runs in a fresh process. Generated models and samples are cached in .tmp/bench-models.
 * `npm run bench -- verify` prints only table 4.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { OnnxGraphBuilder, writeModel } from '../test/support/modelgen/onnx-builder';
import { writeReferenceModel } from '../test/support/modelgen/reference-archs';
import { seededRandom } from '../src/measure/verify/data/dataset';
import { encodeNpy } from '../src/measure/verify/data/npy';
import { floatTensor, readOnnxModel, writeOnnxModel } from '../src/measure/verify/onnx-file';
import { tfliteChain, writeOnnxChain } from '../test/support/hostile-files';

const root = path.resolve(__dirname, '..', '..');
const shared = path.resolve(root, '..', 'shared', 'models');
const cache = path.join(root, '.tmp', 'bench-models');

interface Row {
  model: string;
  size: string;
  oursMs: string;
  oursRss: string;
  pyMs: string;
  pyRss: string;
  speedup: string;
}

/** A model whose weights total about `targetBytes`: a stack of large Gemm layers with zero weights. */
function generated(targetBytes: number, name: string): string {
  const file = path.join(cache, name);
  if (fs.existsSync(file) && Math.abs(fs.statSync(file).size - targetBytes) < targetBytes * 0.1) return file;
  fs.mkdirSync(cache, { recursive: true });
  const g = new OnnxGraphBuilder(name, { zeroWeights: true });
  const width = 4096;
  const layers = Math.max(1, Math.round(targetBytes / (width * width * 4)));
  let x = g.input('x', ['batch', width]);
  for (let i = 0; i < layers; i++) x = g.relu(g.gemm(x, width, { name: `fc${i}` }));
  g.output(x);
  writeModel(g.model({ opset: 13 }), file);
  return file;
}

/** A generated model kept in the cache folder. */
function cached(name: string, write: (file: string) => void): string {
  const file = path.join(cache, name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(cache, { recursive: true });
    write(file);
  }
  return file;
}

function ours(file: string): { ms: number; maxRssKb: number } | { error: string } {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'analyze-one.js'), file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

const PY = `
import sys, time, resource
t0 = time.perf_counter()
import onnx
from onnx import shape_inference
t1 = time.perf_counter()
m = onnx.load(sys.argv[1])
m = shape_inference.infer_shapes(m)
t2 = time.perf_counter()
print((t2 - t1) * 1000, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
`;

function python(file: string): { ms: number; maxRssKb: number } | null {
  const r = spawnSync('/usr/bin/python3', ['-c', PY, file], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return null;
  const [ms, rss] = r.stdout.trim().split(/\s+/).map(Number);
  return { ms, maxRssKb: rss };
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MiB`;
const size = (b: number): string => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

function printTable(headers: string[], rows: string[][]): void {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]): string => '| ' + c.map((x, i) => x.padEnd(w[i])).join(' | ') + ' |';
  console.log(line(headers));
  console.log('|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  // `npm run bench -- verify`: only the verify table.
  if (process.argv[2] === 'verify') return verifyBench();
  const hasPython = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
  const files: string[] = [];
  if (fs.existsSync(path.join(shared, 'fixtures'))) {
    for (const f of fs.readdirSync(path.join(shared, 'fixtures')).sort()) files.push(path.join(shared, 'fixtures', f));
  } else console.log(`(../shared/models is absent: fixtures skipped)`);
  files.push(samplePath());
  files.push(generated(100 * 1024 * 1024, 'generated-100MB.onnx'));
  files.push(generated(1024 * 1024 * 1024, 'generated-1GB.onnx'));
  // Huge graphs: a million nodes (the per-file limit), where the per-node cost of reading and profiling shows.
  files.push(cached('chain-1M-nodes.onnx', (f) => writeOnnxChain(f, 1_000_000)));
  files.push(cached('chain-1M-ops.tflite', (f) => fs.writeFileSync(f, tfliteChain(1_000_000))));

  const rows: Row[] = [];
  for (const f of files) {
    const r = ours(f);
    const isOnnx = f.endsWith('.onnx');
    const p = isOnnx && hasPython ? python(f) : null;
    if ('error' in r) {
      rows.push({ model: path.basename(f), size: size(fs.statSync(f).size), oursMs: 'error', oursRss: r.error.slice(0, 40), pyMs: '', pyRss: '', speedup: '' });
      continue;
    }
    rows.push({
      model: path.basename(f),
      size: size(fs.statSync(f).size),
      oursMs: r.ms.toFixed(1),
      oursRss: mb(r.maxRssKb),
      pyMs: p ? p.ms.toFixed(1) : isOnnx ? 'n/a' : '-',
      pyRss: p ? mb(p.maxRssKb) : isOnnx ? 'n/a' : '-',
      speedup: p ? `${(p.ms / r.ms).toFixed(1)}x` : '-',
    });
  }
  console.log('\nModel analysis: edgeplan analyzeFile vs python3-onnx onnx.load + infer_shapes (fresh process each; peak RSS of the whole process)\n');
  printTable(
    ['model', 'file size', 'edgeplan ms', 'edgeplan peak RSS', 'python3-onnx ms', 'python3-onnx peak RSS', 'speed-up'],
    rows.map((r) => [r.model, r.size, r.oursMs, r.oursRss, r.pyMs, r.pyRss, r.speedup]),
  );

  // Exports: the sample plan; a 150,000-node graph (a summarised layer table); a plan holding a 20,000-character word.
  const exportBench = path.join(__dirname, 'export-one.js');
  const chain150k = cached('chain-150k-nodes.onnx', (f) => writeOnnxChain(f, 150_000));
  const cases: [string, string[]][] = [
    ['sample plan (tiny-cnn)', [samplePath()]],
    ['150,000-node ONNX chain', [chain150k, '--runs', '2']],
    ['a 20,000-character word', [samplePath(), '--long-word', '--runs', '2']],
  ];
  console.log('\nExports (plan built by the real pipeline, one fresh process per plan): first render includes loading the library\n');
  const exportRows: string[][] = [];
  for (const [label, args] of cases) {
    const out = execFileSync(process.execPath, [exportBench, ...args], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop() as string) as { timings: { format: string; firstMs: number; bestMs: number; bytes: number }[]; totalFirstMs: number; totalBestMs: number; planMs: number; maxRssKb: number };
    for (const t of r.timings) exportRows.push([label, t.format, t.firstMs.toFixed(0), t.bestMs.toFixed(0), size(t.bytes), '', '']);
    exportRows.push([label, 'all four', r.totalFirstMs.toFixed(0), r.totalBestMs.toFixed(0), '', r.planMs.toFixed(0), mb(r.maxRssKb)]);
  }
  printTable(['plan', 'export', 'first ms', 'best later ms', 'size', 'analysis + plan ms', 'peak RSS'], exportRows);

  console.log('\nDeployed-graph pass: estimating a 1,000-node exported model (Conv/BatchNorm/Relu/Add/Identity) on every catalog device, best of 5\n');
  const est = JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'estimate-one.js')], { encoding: 'utf8' }).trim().split('\n').pop() as string) as { nodes: number; devices: number; analyzeMs: number; withPassMs: number; withoutPassMs: number };
  const whole = (ms: number) => est.analyzeMs + ms;
  printTable(
    ['file nodes', 'devices', 'analysis ms', 'estimates without the pass ms', 'estimates with the pass ms', 'added to analysis + estimates'],
    [[String(est.nodes), String(est.devices), est.analyzeMs.toFixed(1), est.withoutPassMs.toFixed(1), est.withPassMs.toFixed(1), `${(((whole(est.withPassMs) - whole(est.withoutPassMs)) / whole(est.withoutPassMs)) * 100).toFixed(1)} %`]],
  );
  verifyBench();
}

/**
 * MobileNetV2-224 with He-scaled random weights (the reference builder's small uniform weights let activations die
 * out, which no trained network does), cached; and 300 distinct inputs as .npy files in a temporary folder.
 */
function verifyInputs(): { model: string; samples: string } {
  const model = path.join(cache, 'mobilenet_v2_1.0_224-he.onnx');
  if (!fs.existsSync(model)) {
    fs.mkdirSync(cache, { recursive: true });
    const plain = path.join(cache, 'mobilenet_v2_1.0_224.onnx');
    writeReferenceModel('mobilenet_v2_1.0_224', plain);
    const m = readOnnxModel(fs.readFileSync(plain), plain);
    const rnd = seededRandom(3);
    m.graph.initializers = m.graph.initializers.map((t) => {
      if (t.dataType !== 1 || t.dims.length < 2) return t.dims.length === 1 ? floatTensor(t.name, t.dims, new Float32Array(t.dims[0])) : t;
      const fanIn = t.dims.slice(1).reduce((a, b) => a * b, 1);
      const bound = Math.sqrt(6 / fanIn);
      return floatTensor(t.name, t.dims, Float32Array.from({ length: t.dims.reduce((a, b) => a * b, 1) }, () => (rnd() * 2 - 1) * bound));
    });
    fs.writeFileSync(model, writeOnnxModel(m));
    fs.rmSync(plain);
  }
  const samples = fs.mkdtempSync(path.join(cache, 'verify-samples-'));
  const rnd = seededRandom(1);
  for (let i = 0; i < 300; i++) {
    const x = Float32Array.from({ length: 3 * 224 * 224 }, (_, k) => 0.5 * Math.sin((k % 224) * 0.05 + i) + 0.5 * rnd());
    fs.writeFileSync(path.join(samples, `${String(i).padStart(3, '0')}.npy`), encodeNpy(x, [1, 3, 224, 224]));
  }
  return { model, samples };
}

function verifyBench(): void {
  const { model, samples } = verifyInputs();
  // The fp32 baseline runs before and after verify (the machine is shared; its load changes): their mean is the yardstick.
  const baseline = (): { defaultMs: number; noSpinningMs: number; runs: number } =>
    JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'fp32-runs.js'), model, samples, '300'], { encoding: 'utf8' }).trim().split('\n').pop() as string);
  const before = baseline();
  const out = path.join(cache, 'verify-out');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'edgeplan'), 'verify', model, '--technique', 'int8-ptq', '--data', samples, '--calibration-samples', '100', '--samples', '200', '--out', out, '--force', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const verifyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = baseline();
  fs.rmSync(samples, { recursive: true, force: true });
  const best = (b: typeof before): number => Math.min(b.defaultMs, b.noSpinningMs);
  const fp32 = (best(before) + best(after)) / 2;
  if (r.status !== 0) throw new Error(`edgeplan verify failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout);
  console.log('\nedgeplan verify, static INT8 PTQ of MobileNetV2-224 (He-scaled random weights), 100 calibration + 200 evaluation samples (.npy), fresh process, whole CLI run\n');
  printTable(
    ['what', 'ms', 'per image ms'],
    [
      [`fp32: 300 inferences, the faster of onnxruntime's defaults and thread spinning off, mean of before (${best(before).toFixed(0)}) and after (${best(after).toFixed(0)})`, fp32.toFixed(0), (fp32 / 300).toFixed(1)],
      ['edgeplan verify --technique int8-ptq (calibrate, write, evaluate both, compare layers, time)', verifyMs.toFixed(0), (verifyMs / 300).toFixed(1)],
      [`ratio (target: within 3x)`, `${(verifyMs / fp32).toFixed(2)}x`, verifyMs <= 3 * fp32 ? 'within' : 'OVER'],
    ],
  );
  console.log(`(this machine: int8 p50 ${report.compressed.latencyMs.p50.toFixed(1)} ms vs fp32 p50 ${report.original.latencyMs.p50.toFixed(1)} ms as verify measured them)`);
}

function samplePath(): string {
  return path.join(root, 'samples', 'tiny-cnn.onnx');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
