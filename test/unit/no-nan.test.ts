/**
 * No output ever shows NaN: two models with no computable latency — a weights-only safetensors file that is not a
 * language model, and an ONNX graph whose shapes are computed at run time (MACs unknown) — estimated and planned on
 * every catalog device through the real CLI. The CLI's text says "unknown" with the reason, its JSON prints null,
 * and the four exported documents, read back by independent readers (pdftotext for the PDF; LibreOffice converts the
 * .docx, .xlsx and .pptx to PDF for pdftotext), show no NaN either.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { spawnSync } from 'child_process';
import { loadCatalog } from '../../src/planner/catalog';
import { analyzeFile } from '../../src/analyzers';
import { estimateDevice } from '../../src/planner/estimate';
import { createDefaultPlan } from '../../src/planner/plan';
import { buildPlanDocument } from '../../src/planner/plan/document';
import { buildReport, blocksToPlainText } from '../../src/export/report';
import { floatTensor, writeModel } from '../support/modelgen/onnx-builder';
import { assertOk, describeRun, parseJsonOut, runCli } from '../support/run-cli';
import { tempDir } from '../support/shared';
import { vitTensors, writeSafetensors } from '../support/safetensors-writer';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const SKIP_READERS = has('soffice') && has('pdftotext') ? false : 'LibreOffice (soffice) or poppler-utils is not installed; document read-back skipped';
const NAN = /\bNaN\b/;

let dir = '';
const models: Record<'weights' | 'runtime', string> = { weights: '', runtime: '' };
const devices = loadCatalog().devices.map((d) => d.id);

/** A graph whose Reshape target is computed at run time (NonZero → Shape): every shape after it is unknown. */
function writeRuntimeShapes(file: string): void {
  writeModel(
    {
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        name: 'runtime-shapes',
        nodes: [
          { name: 'nz', opType: 'NonZero', inputs: ['x'], outputs: ['idx'] },
          { name: 'shape', opType: 'Shape', inputs: ['idx'], outputs: ['shp'] },
          { name: 'reshape', opType: 'Reshape', inputs: ['x', 'shp'], outputs: ['r'] },
          { name: 'mm', opType: 'MatMul', inputs: ['r', 'w'], outputs: ['y'] },
          { name: 'relu', opType: 'Relu', inputs: ['y'], outputs: ['out'] },
        ],
        inputs: [{ name: 'x', elemType: 'FLOAT', shape: [4, 4] }],
        outputs: [{ name: 'out', elemType: 'FLOAT' }],
        initializers: [floatTensor('w', [4, 3])],
      },
    },
    file,
  );
}

before(() => {
  dir = tempDir('no-nan');
  models.weights = path.join(dir, 'vit-weights.safetensors');
  models.runtime = path.join(dir, 'runtime-shapes.onnx');
  writeSafetensors(models.weights, vitTensors(20, 768), 'F32'); // 150 M parameters, not a language model
  writeRuntimeShapes(models.runtime);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function pdfText(pdf: string): string {
  const r = spawnSync('pdftotext', ['-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `pdftotext ${pdf}: ${r.stderr}`);
  return r.stdout;
}

test('edgeplan estimate on every device: text says "unknown" with the reason, JSON prints null, never NaN', async () => {
  for (const [kind, file] of Object.entries(models)) {
    const text = await runCli(['estimate', file, '--device', devices.join(',')], { timeoutMs: 60_000 });
    assertOk(text);
    assert.doesNotMatch(text.stdout, NAN, `${kind}: ${describeRun(text)}`);
    const json = parseJsonOut(await runCli(['estimate', file, '--device', devices.join(','), '--json'], { timeoutMs: 60_000 }));
    assert.equal(json.estimates.length, devices.length);
    if (kind === 'weights') {
      assert.match(text.stdout, /unknown/, 'the latency column reads "unknown"');
      assert.match(text.stdout, /Latency is not estimated: .*not a language model/, 'and says why');
      for (const e of json.estimates) assert.deepEqual(e.latencyMs, { low: null, typical: null, high: null }, e.device);
    }
  }
});

test('edgeplan plan on every device and its four documents, read back: no NaN anywhere', { skip: SKIP_READERS, timeout: 600_000 }, async () => {
  const outs: Record<string, string> = {};
  for (const [kind, file] of Object.entries(models)) {
    const out = path.join(dir, `plan-${kind}`);
    const r = await runCli(['plan', file, '--device', devices.join(','), '--latency-ms', '50', '--export', 'docx,xlsx,pdf,pptx', '--out', out, '--force'], { timeoutMs: 180_000 });
    assertOk(r);
    assert.doesNotMatch(r.stdout, NAN, `${kind}: ${describeRun(r)}`);
    parseJsonOut(await runCli(['plan', file, '--device', devices.join(','), '--json'], { timeoutMs: 180_000 }));
    outs[kind] = out;
  }
  // LibreOffice converts every .docx/.xlsx/.pptx in one run; each input gets its own base name.
  const inDir = path.join(dir, 'lo-in');
  const loOut = path.join(dir, 'lo-out');
  fs.mkdirSync(inDir);
  for (const [kind, out] of Object.entries(outs)) {
    for (const f of fs.readdirSync(out)) if (/\.(docx|xlsx|pptx)$/.test(f)) fs.copyFileSync(path.join(out, f), path.join(inDir, `${kind}-${f.split('.').pop()}.${f.split('.').pop()}`));
  }
  const profile = path.join(os.tmpdir(), `edgeplan-lo-nan-${process.pid}-${Date.now()}`);
  try {
    const inputs = fs.readdirSync(inDir).map((f) => path.join(inDir, f));
    const lo = spawnSync('soffice', [`-env:UserInstallation=file://${profile}`, '--headless', '--norestore', '--convert-to', 'pdf', '--outdir', loOut, ...inputs], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(lo.status, 0, `soffice: ${lo.stderr || lo.stdout}`);
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
  for (const [kind, out] of Object.entries(outs)) {
    const pdf = fs.readdirSync(out).find((f) => f.endsWith('.pdf'))!;
    const texts: [string, string][] = [[`${kind} pdf`, pdfText(path.join(out, pdf))]];
    for (const f of ['docx', 'xlsx', 'pptx']) texts.push([`${kind} ${f}`, pdfText(path.join(loOut, `${kind}-${f}.pdf`))]);
    for (const [what, t] of texts) {
      assert.ok(t.length > 200, `${what}: read back (${t.length} characters)`);
      const at = t.search(NAN);
      assert.equal(at, -1, `${what} shows NaN: …${t.slice(Math.max(0, at - 200), at + 60)}…`);
    }
  }
});

test('an estimate without latency carries the reason as a field; the documents read the field, not a sentence prefix', async () => {
  const analysis = await analyzeFile(models.weights);
  const est = estimateDevice(analysis.model, 'rpi5');
  assert.equal(est.latencyBasis, 'unknown');
  assert.match(est.latencyUnknownReason ?? '', /^the file stores weights but no compute graph .*not a language model/);
  assert.ok(est.assumptions.includes(`Latency is not estimated: ${est.latencyUnknownReason}.`), 'the assumption sentence says the same');
  assert.equal(estimateDevice((await analyzeFile(models.runtime)).model, 'rpi5').latencyUnknownReason, undefined, 'a graph model has none');
  // The report takes the reason from the field: reworded or dropped assumptions do not lose it.
  const doc = buildPlanDocument({ analysis, modelFile: 'vit-weights.safetensors', deviceIds: ['rpi5'], budgets: {}, planJson: createDefaultPlan('vit-weights.safetensors', 'vit-weights.safetensors', ['rpi5']) });
  doc.estimates = doc.estimates.map((e) => ({ ...e, assumptions: [] }));
  const text = buildReport(doc).sections.map((s) => blocksToPlainText(s.blocks)).join('\n');
  assert.ok(text.includes(`unknown — ${est.latencyUnknownReason}`), 'the device table says why');
});
