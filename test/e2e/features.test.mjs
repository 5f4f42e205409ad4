// Analysis features in the real VS Code 1.100.3 (code-server), once (the first theme of EDGEPLAN_E2E_THEMES):
// - the "Dynamic dimensions" form: a model with a symbolic input dimension, the symbol set to 2 and applied,
//   shows the MACs `edgeplan analyze --bind SYMBOL=2` computes (twice the batch-1 figure); 0 is refused next to
//   the field without analysing again;
// - multi-select comparison: two models selected in the Explorer → "Analyze for Edge Deployment" → the
//   comparison table lists both, with a cell per selected device;
// - a Core ML .mlpackage folder (written by the tests' Core ML writer): right-click the folder → "Analyze for
//   Edge Deployment" → the analysis shows the MACs and parameters `edgeplan analyze` gives for the package;
// - the Layers table switched from "As in the file" to "As it runs on <device>": the layers the device's toolchain
//   runs, with the summary of what it folded and fused, and a layer that names the file nodes fused into it
//   (a Conv with its Relu), as `edgeplan estimate --json` says; back in the file view, the Relu says where it went;
// - the planner of a weights-only file, which has no latency anywhere: its page shows "unknown" with the reason,
//   never NaN;
// - the getting-started walkthrough: it lists analyze → plan → verify → export; its "Analyze the Sample Model"
//   button copies the sample into the workspace and analyses it; verify cancelled in the analysis view writes
//   nothing; its verify command opens the planner on the sample and shows the measured table.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { artifactDir, openSession } from './lib/session.mjs';
import { cliAnalyze, cliEstimate, cliJson, pickModel } from './lib/model-fixture.mjs';
import { weightsOnlyModel } from './lib/weights-only-model.mjs';
import { pickSymbolicModel } from './lib/symbolic-model.mjs';
import { makeMlpackage } from './lib/mlpackage-model.mjs';
import { formatNumbers } from './lib/format-count.mjs';
import { ANALYZE_ENTRY, analysisFrame, analyzeFromExplorer, errorToasts, parseCount, plannerFrame, typeInto } from './lib/scenario.mjs';
import { waitFor } from './lib/workbench.mjs';

const theme = (process.env.EDGEPLAN_E2E_THEMES ?? 'light,dark').split(',').find((t) => t === 'light' || t === 'dark');
const model = pickModel();
const symbolic = await pickSymbolicModel();
const mlpackage = makeMlpackage();
const weights = weightsOnlyModel();

describe(`analysis features in VS Code 1.100.3, ${theme ?? 'no'} theme (${symbolic.name}, ${symbolic.source})`, { skip: theme ? false : 'EDGEPLAN_E2E_THEMES names no theme', timeout: 300_000 }, () => {
  let s;
  let step = 0;
  const macsText = async (frame) => (await frame.locator('[data-testid="summary-macs"]').first().innerText()).trim();

  before(async () => {
    s = await openSession({ name: `features-${theme}`, theme, model, extraModels: [symbolic, mlpackage, weights] });
  });
  afterEach(async (t) => {
    const slug = String(t?.name ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 40).replace(/-+$/, '');
    if (s?.wb) await s.wb.screenshot(join(artifactDir, `features-${theme}-${String(++step).padStart(2, '0')}-${slug}.png`)).catch(() => {});
  });
  after(async () => {
    await s?.close();
    symbolic.cleanup();
    mlpackage.cleanup();
    weights.cleanup();
  });

  it(`binding ${symbolic.symbol}=2 in "Dynamic dimensions" shows the MACs of edgeplan analyze --bind ${symbolic.symbol}=2; 0 is refused`, async () => {
    const cli1 = cliAnalyze(symbolic.file);
    const cli2 = cliJson(['analyze', symbolic.file, '--bind', `${symbolic.symbol}=2`]);
    assert.ok(cli1.model.macs > 0, `edgeplan gives ${cli1.model.macs} MACs at ${symbolic.symbol}=1`);
    if (symbolic.referenceMacs !== null) assert.equal(cli1.model.macs, symbolic.referenceMacs, 'edgeplan disagrees with the third-party reference MACs at batch 1');
    // every op of this model scales with the batch
    assert.equal(cli2.model.macs, 2 * cli1.model.macs, `edgeplan --bind ${symbolic.symbol}=2 gives ${cli2.model.macs} MACs, batch 1 gives ${cli1.model.macs}`);
    const { formatCount } = formatNumbers();

    const { frame } = await analyzeFromExplorer(s, symbolic.name);
    const field = frame.locator(`[data-testid="bind-${symbolic.symbol}"]`);
    await field.waitFor({ timeout: 15_000 });
    assert.equal(await field.inputValue(), '1', 'the field starts at the size the figures used');
    const before = await macsText(frame);
    const shown1 = parseCount(before);
    assert.ok(shown1 && Math.abs(shown1.value - cli1.model.macs) <= shown1.step / 2, `batch 1: view shows ${before}, edgeplan says ${cli1.model.macs}`);

    // 0 is out of range: a message next to the field, and no new analysis (the rendered summary stays the same element)
    await frame.evaluate(() => {
      document.querySelector('[data-testid="summary-macs"]').dataset.e2eMarker = 'before-apply';
    });
    await typeInto(frame, `bind-${symbolic.symbol}`, '0');
    await frame.locator('[data-testid="bindings-apply"]').click();
    const message = await waitFor('a message next to the field', async () => (await frame.locator(`[data-testid="bind-error-${symbolic.symbol}"]`).innerText()).trim(), { timeoutMs: 5_000 });
    assert.match(message, /\d/, `message: ${message}`);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.equal(await field.getAttribute('aria-describedby'), await frame.locator(`[data-testid="bind-error-${symbolic.symbol}"]`).getAttribute('id'), 'the message is not tied to the field');
    await sleep(1500);
    assert.equal(await frame.evaluate(() => document.querySelector('[data-testid="summary-macs"]')?.dataset.e2eMarker ?? null), 'before-apply', 'the view re-rendered after an invalid size');
    assert.equal(await macsText(frame), before);
    assert.doesNotMatch(await frame.locator('[data-testid="bindings-status"]').innerText(), /Analyzing again/);

    // 2: analysed again with the binding; MACs double
    await typeInto(frame, `bind-${symbolic.symbol}`, '2');
    await frame.locator('[data-testid="bindings-apply"]').click();
    const expected = formatCount(cli2.model.macs);
    const after = await waitFor(`MACs to read ${expected}`, async () => {
      const f = await analysisFrame(s, 5_000, symbolic.name);
      const t = await macsText(f);
      return t === expected ? t : null;
    }, { timeoutMs: 45_000 });
    assert.notEqual(after, before);
    const f = await analysisFrame(s, 30_000, symbolic.name);
    assert.equal(await f.locator(`[data-testid="bind-${symbolic.symbol}"]`).inputValue(), '2', 'the field shows the size now in use');
    assert.equal(await f.locator(`[data-testid="bind-error-${symbolic.symbol}"]`).innerText(), '');
    assert.deepEqual(await errorToasts(s), []);
  });

  it(`two models selected in the Explorer → "${ANALYZE_ENTRY}" → a comparison with both and a cell per selected device`, async () => {
    const names = [model.name, symbolic.name];
    // The first click opens the file in the model viewer, which takes the focus while it loads; a Ctrl+click made
    // before the Explorer has it back is lost. Select again until both rows are selected, as a user would.
    const bothSelected = async () => {
      for (const n of names) if ((await s.wb.explorerRow(n).first().getAttribute('aria-selected')) !== 'true') return false;
      return true;
    };
    await waitFor('both rows selected', async () => {
      await s.wb.explorerRow(names[0]).first().click();
      await sleep(800);
      await s.wb.explorerRow(names[1]).first().click({ modifiers: ['Control'] });
      await sleep(300);
      return bothSelected();
    }, { timeoutMs: 20_000, intervalMs: 500 });
    await s.wb.runExplorerContextMenu(names[1], ANALYZE_ENTRY);
    try {
      await compareSeen(names);
    } finally {
      // Leave one model selected: a right-click on a row of a multi-selection acts on the whole selection, so the
      // later tests would open a comparison where they mean one model.
      await waitFor('only the first row selected', async () => {
        if ((await s.wb.explorerRow(names[1]).first().getAttribute('aria-selected')) === 'true') await s.wb.explorerRow(names[1]).first().click({ modifiers: ['Control'] });
        await sleep(300);
        return (await s.wb.explorerRow(names[1]).first().getAttribute('aria-selected')) !== 'true';
      }, { timeoutMs: 10_000, intervalMs: 300 });
    }
  });

  async function compareSeen(names) {
    const frame = await s.wb.webviewFrame('the comparison webview with its table', async (f) => f.evaluate(() => document.body?.dataset.view === 'comparison' && !!document.querySelector('[data-testid="comparison-table"]')), { timeoutMs: 60_000 });
    const seen = await waitFor('a device cell in each comparison row', async () => {
      const v = await frame.evaluate(() => ({
        chosen: [...document.querySelectorAll('input[data-testid^="device-option-"]')].filter((b) => b.checked).map((b) => b.value),
        headers: [...document.querySelectorAll('[data-testid="comparison-table"] thead th[data-device]')].map((th) => th.getAttribute('data-device')),
        rows: [...document.querySelectorAll('[data-testid="comparison-row"]')].map((r) => ({
          file: r.getAttribute('data-file'),
          cells: [...r.querySelectorAll('[data-testid="comparison-cell"]')].map((c) => c.getAttribute('data-device')),
          text: r.innerText,
        })),
      }));
      return v.rows.length === 2 && v.rows.every((r) => r.cells.length > 0) ? v : null;
    }, { timeoutMs: 60_000 });
    assert.deepEqual(seen.rows.map((r) => r.file).sort(), [...names].sort());
    assert.ok(seen.chosen.length > 0, 'no device is selected in the comparison');
    assert.deepEqual([...seen.headers].sort(), [...seen.chosen].sort(), 'the table columns are not the selected devices');
    for (const r of seen.rows) assert.deepEqual(r.cells, seen.headers, `${r.file}: cells ${r.cells.join(', ')}, columns ${seen.headers.join(', ')}`);
    // the MACs column agrees with the CLI for both files
    const { formatCount } = formatNumbers();
    for (const r of seen.rows) {
      const file = r.file === model.name ? model.file : symbolic.file;
      assert.ok(r.text.includes(formatCount(cliAnalyze(file).model.macs)), `${r.file}: row "${r.text.replace(/\s+/g, ' ')}" lacks the MACs edgeplan computes`);
    }
    // CPU threads re-estimate every row: the Raspberry Pi 5 cell of the fixture model at one thread is what
    // `edgeplan estimate --threads 1` gives.
    assert.ok(seen.headers.includes('rpi5'), `the Raspberry Pi 5 (a default device) is not a column: ${seen.headers.join(', ')}`);
    const cellMs = async () => {
      const t = await frame.locator(`[data-testid="comparison-row"][data-file="${model.name}"] [data-testid="comparison-cell"][data-device="rpi5"] strong`).first().innerText().catch(() => '');
      const m = /^([\d.]+) ms/.exec(t);
      return m ? Number(m[1]) : null;
    };
    const expected = cliEstimate(model.file, 'rpi5', 1).latencyMs.typical;
    await frame.locator('[data-testid="cpu-threads"]').fill('1');
    await frame.locator('[data-testid="cpu-threads"]').press('Enter');
    await waitFor('the rpi5 cell at one thread', async () => {
      const ms = await cellMs();
      return ms !== null && Math.abs(ms - expected) <= 0.006 * expected;
    }, { timeoutMs: 30_000 });
    // A column's runtime re-estimates every row for that device: NCNN at one thread, as `edgeplan estimate
    // --threads 1 --runtime ncnn` gives.
    const column = frame.locator('[data-testid="column-runtime"][data-device="rpi5"]');
    assert.equal(await column.inputValue(), 'xnnpack', 'the Pi 5 column starts on its default runtime');
    await column.selectOption('ncnn');
    const onNcnn = cliEstimate(model.file, 'rpi5', 1, 'ncnn').latencyMs.typical;
    await waitFor('the rpi5 cell on NCNN at one thread', async () => {
      const ms = await cellMs();
      return ms !== null && Math.abs(ms - onNcnn) <= 0.006 * onNcnn;
    }, { timeoutMs: 30_000 });
    assert.equal(await frame.locator('[data-testid="column-runtime"][data-device="rpi5"]').inputValue(), 'ncnn', 'the column keeps the runtime after the table re-renders');
    // A run of this very configuration (NCNN, one thread) recorded with edgeplan measure in the workspace folder
    // replaces the cell's figure, labelled measured; removing the store brings the estimate back.
    const cell = frame.locator(`[data-testid="comparison-row"][data-file="${model.name}"] [data-testid="comparison-cell"][data-device="rpi5"]`).first();
    assert.match(await cell.innerText(), /\bestimate\b/);
    const store = join(s.dirs.workspace, '.edgeplan', 'measurements.json');
    cliJson(['measure', join(s.dirs.workspace, model.name), '--device', 'rpi5', '--runtime', 'ncnn', '--threads', '1', '--latency-ms', '2.5', '--store', store]);
    await waitFor('the rpi5 cell showing the run', async () => /measured \(1 run\)/.test(await cell.innerText().catch(() => '')) && (await cellMs()) === 2.5, { timeoutMs: 30_000 });
    rmSync(store);
    await waitFor('the rpi5 cell back to its estimate', async () => {
      const ms = await cellMs();
      return ms !== null && Math.abs(ms - onNcnn) <= 0.006 * onNcnn;
    }, { timeoutMs: 30_000 });
    assert.deepEqual(await errorToasts(s), []);
  }

  it(`a Core ML .mlpackage folder → "${ANALYZE_ENTRY}" → the package's MACs and parameters`, async () => {
    const cli = cliAnalyze(mlpackage.file);
    assert.equal(cli.model.macs, mlpackage.macs, 'edgeplan analyze gives the MACs the unit tests check in every format');
    const { formatCount } = formatNumbers();
    const { frame, params, labels } = await analyzeFromExplorer(s, mlpackage.name);
    assert.ok(labels.includes(ANALYZE_ENTRY), `the folder's context menu: ${labels.join(', ')}`);
    assert.equal(params, formatCount(cli.model.params), `the view shows ${params} parameters, edgeplan ${cli.model.params}`);
    assert.equal(await macsText(frame), formatCount(cli.model.macs));
    assert.equal((await frame.locator('[data-testid="summary-format"]').first().innerText()).trim(), 'COREML');
    assert.deepEqual(await errorToasts(s), []);
  });

  it('the Layers table switches to "As it runs on <device>": a deployed layer names the Conv and the Relu fused into it', async () => {
    const device = 'rpi5';
    const cli = cliEstimate(model.file, device);
    // A layer the Pi 5's toolchain runs with a Relu fused into its Conv, by edgeplan's own account.
    const fused = cli.layers.find((l) => l.op === 'Conv' && Array.isArray(l.from) && l.from.length >= 2 && l.from.some((n) => /relu/i.test(n)));
    assert.ok(fused, `edgeplan estimate --device ${device} --json lists no Conv with a fused Relu`);
    const { frame } = await analyzeFromExplorer(s, model.name);
    const view = frame.locator('[data-testid="layer-view"]');
    await view.waitFor({ timeout: 15_000 });
    const options = await view.evaluate((el) => [...el.options].map((o) => ({ value: o.value, text: o.textContent })));
    assert.equal(options[0].text, 'As in the file');
    const option = options.find((o) => o.value === `run:${device}`);
    assert.ok(option && /^As it runs on /.test(option.text), `options: ${JSON.stringify(options)}`);
    await view.selectOption(`run:${device}`);
    const seen = await waitFor('the layers the device runs', async () => {
      const f = await analysisFrame(s, 5_000, model.name);
      const v = await f.evaluate(() => ({
        focused: document.activeElement?.getAttribute('data-testid') ?? null,
        summary: document.querySelector('[data-testid="deployed-summary"]')?.textContent ?? null,
        rows: [...document.querySelectorAll('[data-testid="deployed-row"]')].map((r) => ({ name: r.querySelector('td.name')?.textContent, from: r.querySelector('[data-testid="deployed-from"]')?.textContent })),
      }));
      return v.rows.length ? v : null;
    }, { timeoutMs: 20_000 });
    assert.equal(seen.focused, 'layer-view', 'the focus stays on the view control');
    assert.match(seen.summary, new RegExp(`^Estimated on the graph .+ runs: ${cli.deployedGraph.fileNodes} file nodes → ${cli.deployedGraph.layers} layers`));
    assert.equal(seen.rows.length, Math.min(cli.layers.length, 300));
    const row = seen.rows.find((r) => r.name === fused.name);
    assert.ok(row, `no row for ${fused.name}`);
    for (const n of fused.from) assert.ok(row.from.includes(n), `the row of ${fused.name} does not name ${n}: ${row.from}`);
    await s.wb.screenshot(join(artifactDir, `features-${theme}-deployed-layers.png`));

    // Back to the file's layers: the fused Relu has no time of its own and says which layer it runs in.
    const f = await analysisFrame(s, 30_000, model.name);
    await f.locator('[data-testid="layer-view"]').selectOption('file');
    const relu = fused.from.find((n) => /relu/i.test(n));
    const cell = await waitFor(`the file row of ${relu}`, async () => {
      const g = await analysisFrame(s, 5_000, model.name);
      return g.evaluate((name) => {
        const tr = [...document.querySelectorAll('[data-testid="layer-row"]')].find((r) => r.querySelector('td.name')?.textContent === name);
        return tr ? tr.lastElementChild.textContent : null;
      }, relu);
    }, { timeoutMs: 20_000 });
    assert.equal(cell, `in ${fused.name}`);
    assert.deepEqual(await errorToasts(s), []);
  });

  it('the planner of a weights-only file shows "unknown" with the reason where a figure cannot be made, never NaN', async () => {
    await s.wb.runExplorerContextMenu(weights.name, 'Open Edge Deployment Planner');
    const frame = await plannerFrame(s, 45_000, weights.name);
    const html = await waitFor('the planner figures and recommendation', async () => {
      const t = await frame.evaluate(() => (document.querySelector('[data-testid="recommendation-verdict"]') ? document.body.innerHTML : null));
      return t;
    }, { timeoutMs: 60_000 });
    const text = await frame.evaluate(() => document.body.innerText);
    assert.doesNotMatch(html, /\bNaN\b/, 'NaN in the planner page');
    assert.match(text, /No latency estimate: .*not a language model/, 'each device says why it has no latency');
    assert.match(text, /unknown/);
  });
  it('the getting-started walkthrough lists analyze → plan → verify → export; its buttons analyze the sample and verify it on this machine', async () => {
    const page = s.wb.page;
    await s.wb.runCommand('Welcome: Open Walkthrough...');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('Edge Deployment Planner');
    const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Edge Deployment Planner: analyze, plan, verify, export' }).first();
    await pick.waitFor({ state: 'visible', timeout: 10_000 });
    await pick.click();
    const walkthrough = page.locator('.gettingStartedContainer');
    const titles = await waitFor('the walkthrough\'s four steps', async () => {
      const t = (await walkthrough.locator('.getting-started-step .step-title').allInnerTexts()).map((x) => x.trim()).filter(Boolean);
      return t.length >= 4 ? t : null;
    }, { timeoutMs: 20_000 });
    assert.deepEqual(titles, ['Analyze the sample model', 'Plan its deployment', 'Verify on this machine', 'Export the plan']);
    await walkthrough.locator('.getting-started-step', { hasText: 'Analyze the sample model' }).first().click();
    await walkthrough.locator('a.monaco-button', { hasText: /^Analyze the Sample Model$/ }).first().click();
    const frame = await analysisFrame(s, 45_000, 'tiny-cnn.onnx');
    const sample = join(s.dirs.workspace, 'edgeplan-sample', 'tiny-cnn.onnx');
    assert.ok(existsSync(sample), `${sample} was copied into the workspace`);
    const { formatCount } = formatNumbers();
    const expected = formatCount(cliAnalyze(sample).model.params);
    await waitFor(`the sample's ${expected} parameters`, async () => (await frame.locator('[data-testid="summary-params"]').first().innerText()).trim() === expected, { timeoutMs: 30_000 });

    // "Verify on this machine" in the analysis view, cancelled while it runs: it says so and writes nothing.
    await frame.locator('[data-testid="verify-technique"]').selectOption('fp16');
    await frame.locator('[data-testid="verify-data-synthetic"]').check();
    await frame.locator('[data-testid="verify-start"]').click();
    await frame.locator('[data-testid="verify-cancel"]').click({ timeout: 10_000 });
    await waitFor('the cancelled verification', async () => /Verification cancelled; nothing was written/.test(await frame.locator('[data-testid="verify-status"]').first().innerText()), { timeoutMs: 15_000 });
    assert.ok(!existsSync(join(s.dirs.workspace, 'edgeplan-sample', 'tiny-cnn.fp16.onnx')), 'a cancelled verification wrote no file');
    assert.deepEqual(readdirSync(join(s.dirs.workspace, 'edgeplan-sample')), ['tiny-cnn.onnx'], 'no work folder left');

    // The verify step's button runs this command: the planner opens on the sample and measures static INT8.
    await s.wb.runCommand('Edge Planner: Verify the Sample Model on This Machine');
    const planner = await plannerFrame(s, 45_000, 'tiny-cnn.onnx');
    await waitFor('the measured table in the planner', async () => (await planner.locator('[data-testid="measured-table"][data-technique="int8-ptq"]').count()) > 0, { timeoutMs: 180_000 });
    assert.match(await planner.locator('[data-testid="measured-table"]').first().innerText(), /\(measured\)/);
    assert.ok(existsSync(join(s.dirs.workspace, 'edgeplan-sample', 'tiny-cnn.int8-ptq.onnx')), 'the INT8 sample was written beside it');
    assert.deepEqual(await errorToasts(s), []);
  });
});
