// The packaged VSIX (npm run package → dist-vsix/*.vsix), installed with code-server's own
// --install-extension like a user would: it activates, analyzes, loads onnxruntime-node and pdfkit from the
// installed folder (not from this repository) and exports the four documents.
// Runs only when run.mjs is given --vsix (it sets EDGEPLAN_E2E_VSIX).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openSession } from './lib/session.mjs';
import { cliAnalyze, pickModel } from './lib/model-fixture.mjs';
import { analysisFrame, analyzeFromExplorer, errorToasts, exportThroughDialog, parseCount, plannerFrame, probe } from './lib/scenario.mjs';
import { repoRoot } from './lib/code-server.mjs';

const vsix = process.env.EDGEPLAN_E2E_VSIX;

describe(`packaged VSIX installed with code-server --install-extension`, { skip: vsix ? false : 'no --vsix given (npm run package, then node test/e2e/run.mjs --vsix)', timeout: 240_000 }, () => {
  const model = pickModel();
  let s;
  before(async () => {
    console.log(`    VSIX ${vsix} (${(statSync(vsix).size / 1048576).toFixed(1)} MiB)`);
    s = await openSession({ name: 'vsix', theme: 'dark', model, vsix });
  });
  after(async () => {
    await s?.close();
  });

  it('installs into its own folder, not a link to this repository', () => {
    const real = realpathSync(s.installed.dir);
    assert.ok(real.startsWith(realpathSync(s.dirs.extensions)), `${s.installed.dir} resolves to ${real}`);
    assert.ok(!real.startsWith(repoRoot));
  });

  it('the analysis from the Explorer menu shows the parameter count', async () => {
    const { params } = await analyzeFromExplorer(s, model.name);
    const shown = parseCount(params);
    const expected = cliAnalyze(model.file).model.params;
    assert.ok(shown && Math.abs(shown.value - expected) <= shown.step / 2, `view shows ${params}, edgeplan says ${expected}`);
    assert.deepEqual(await errorToasts(s), []);
  });

  it('onnxruntime-node and pdfkit load from the installed extension and work', async () => {
    const r = await probe(s, 'Edge Planner E2E: Load Runtime Modules', 'runtime-report.json', 60_000);
    assert.equal(r.onnxError, undefined, r.onnxError);
    assert.equal(r.pdfError, undefined, r.pdfError);
    assert.ok(r.onnxruntimePath.startsWith(s.installed.dir), `onnxruntime-node resolved to ${r.onnxruntimePath}`);
    assert.ok(r.pdfkitPath.startsWith(s.installed.dir), `pdfkit resolved to ${r.pdfkitPath}`);
    assert.ok(r.onnx.inputs.length > 0);
    assert.equal(r.pdf.header, '%PDF-');
  });

  it('the planner exports all four documents', async () => {
    const frame = await analysisFrame(s, 30_000, model.name);
    await frame.locator('[data-testid="open-planner"]').click();
    const planner = await plannerFrame(s, 45_000, model.name);
    const magic = { docx: 'PK', xlsx: 'PK', pptx: 'PK', pdf: '%PDF' };
    for (const format of ['docx', 'xlsx', 'pdf', 'pptx']) {
      const { size, head } = await exportThroughDialog(s, planner, format, join(s.dirs.workspace, `vsix-plan.${format}`));
      assert.ok(size > 1000, `${format}: only ${size} bytes`);
      assert.ok(head.toString('latin1').startsWith(magic[format]));
    }
    assert.deepEqual(await errorToasts(s), []);
  });
});
