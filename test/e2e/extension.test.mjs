// The built extension (dist/ + package.json + media/) in a real VS Code 1.100.3 (code-server), once in the
// light and once in the dark theme: Explorer menu → analysis view → planner (draft survives a reload) →
// device choice updates the figures → "Verify on this machine" measures the INT8 model → export writes four
// documents, the PDF with the measured table. Screenshots go to test-artifacts/e2e/.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { artifactDir, openSession } from './lib/session.mjs';
import { cliAnalyze, cliEstimate, cliJson, pickModel } from './lib/model-fixture.mjs';
import {
  ANALYZE_ENTRY,
  EXPORT_AND_RUNTIME,
  analysisFrame,
  analyzeFromExplorer,
  assertNotLoaded,
  errorToasts,
  exportThroughDialog,
  fieldValue,
  figureCards,
  loadedModules,
  parseCount,
  planFiles,
  plannerFrame,
  probe,
  typeInto,
} from './lib/scenario.mjs';
import { waitFor } from './lib/workbench.mjs';

const model = pickModel();
const cli = cliAnalyze(model.file);

const THEMES_TO_RUN = (process.env.EDGEPLAN_E2E_THEMES ?? 'light,dark').split(',').filter((t) => t === 'light' || t === 'dark');

for (const theme of THEMES_TO_RUN) {
  describe(`built extension in VS Code 1.100.3, ${theme} theme (${model.name}, ${model.source})`, { timeout: 240_000 }, () => {
    let s;
    let analysis;
    let planner;
    let step = 0;
    const projectName = `E2E ${theme} rollout`;

    before(async () => {
      s = await openSession({ name: `built-${theme}`, theme, model });
    });
    afterEach(async (t) => {
      // node 20 has no per-test status here; a screenshot after every step is cheap and shows where a failure happened
      const slug = String(t?.name ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 40).replace(/-+$/, '');
      if (s?.wb) await s.wb.screenshot(join(artifactDir, `step-${theme}-${String(++step).padStart(2, '0')}-${slug}.png`)).catch(() => {});
    });
    after(async () => {
      await s?.close();
    });

    it('activating the extension loads no analyzer, exporter or onnxruntime-node', async () => {
      const report = await probe(s, 'Edge Planner E2E: Activate Extension and Write Module Report', 'activation-report.json');
      assert.equal(report.wasActive, false, 'the extension was already active before the test activated it');
      assert.equal(report.isActive, true);
      const loaded = loadedModules(report);
      assertNotLoaded(loaded, EXPORT_AND_RUNTIME, 'activation');
      assert.ok(loaded.bundles.has('extension.js'), 'dist/extension.js is not in the require cache after activation');
      // the host bundle may hold small shared modules (the plan model, number formatting); never the analyzers,
      // exporters or the benchmark
      const core = [...loaded.bundled].filter((p) => /^src\/(analyzers|export|measure)\//.test(p));
      assert.deepEqual(core, [], `activation ran core modules: ${core.join(', ')}`);
      assert.ok(!loaded.bundles.has('core.js'), 'activation loaded dist/core.js');
    });

    it(`right-click the model → "${ANALYZE_ENTRY}" shows its parameter count, without an error`, async () => {
      analysis = await analyzeFromExplorer(s, model.name);
      assert.ok(analysis.labels.includes(ANALYZE_ENTRY));
      const shown = parseCount(analysis.params);
      assert.ok(shown, `the view shows "${analysis.params}" for Parameters`);
      const expected = cli.model.params;
      assert.ok(Math.abs(shown.value - expected) <= shown.step / 2, `view shows ${analysis.params}, edgeplan analyze --json says ${expected}`);
      if (model.referenceParams !== null) assert.equal(expected, model.referenceParams, 'edgeplan disagrees with the third-party reference figure');
      assert.deepEqual(await errorToasts(s), []);
      await s.wb.waitForToastsToClose();
      await s.wb.screenshot(join(artifactDir, `analysis-${theme}.png`));
    });

    it('analysing loads the analyzers but still no exporter or onnxruntime-node', async () => {
      const loaded = loadedModules(await probe(s, 'Edge Planner E2E: Write Module Report', 'module-report.json'));
      assertNotLoaded(loaded, EXPORT_AND_RUNTIME, 'after the analysis');
      const renderers = [...loaded.bundled].filter((p) => /^src\/export\/(docx|xlsx|pdf|pptx)\.ts$/.test(p));
      assert.deepEqual(renderers, [], `the analysis ran export renderers: ${renderers.join(', ')}`);
      assert.ok([...loaded.bundled].some((p) => p.startsWith('src/analyzers/')), 'the module check saw no analyzer run (it would not notice loads)');
    });

    it('CPU threads in the analysis view re-estimate the Raspberry Pi 5 card as edgeplan estimate --threads does; a bad count is refused next to the field', async () => {
      const frame = await analysisFrame(s, 30_000, model.name);
      const rpi5 = frame.locator('[data-testid="device-card"][data-device="rpi5"] [data-testid="card-latency"]');
      const msOf = async () => {
        if (!(await rpi5.count())) return null;
        const m = /^([\d.]+) ms/.exec(await rpi5.first().innerText());
        return m ? Number(m[1]) : null;
      };
      const allCores = await waitFor('the rpi5 card (a default device)', msOf, { timeoutMs: 30_000 });
      const expectedAll = cliEstimate(model.file, 'rpi5').latencyMs.typical;
      assert.ok(Math.abs(allCores - expectedAll) <= 0.006 * expectedAll, `every core: card ${allCores} ms, edgeplan estimate ${expectedAll} ms`);
      await typeInto(frame, 'cpu-threads', '0');
      await frame.locator('[data-testid="cpu-threads"]').press('Enter');
      await waitFor('the refusal of 0 threads', async () => /whole number from 1 to 1024/.test(await frame.locator('[data-testid="cpu-threads-error"]').innerText()), { timeoutMs: 10_000 });
      assert.equal(await msOf(), allCores, 'a refused count changes nothing');
      await typeInto(frame, 'cpu-threads', '1');
      await frame.locator('[data-testid="cpu-threads"]').press('Enter');
      const expected = cliEstimate(model.file, 'rpi5', 1).latencyMs.typical;
      const oneThread = await waitFor('the rpi5 card at one thread', async () => {
        const ms = await msOf();
        return ms !== null && Math.abs(ms - expected) <= 0.006 * expected ? ms : null;
      }, { timeoutMs: 30_000 });
      assert.ok(oneThread > allCores, `one thread of four (${oneThread} ms) is slower than every core (${allCores} ms)`);
      assert.equal(await fieldValue(frame, 'cpu-threads'), '1', 'the field keeps the count after the view re-renders');
      assert.equal(await frame.locator('[data-testid="cpu-threads-error"]').innerText(), '');
      await typeInto(frame, 'cpu-threads', '');
      await frame.locator('[data-testid="cpu-threads"]').press('Enter');
      await waitFor('the rpi5 card back at every core', async () => (await msOf()) === allCores, { timeoutMs: 30_000 });
    });

    it('a card\'s runtime re-estimates that device as edgeplan estimate --runtime does, with the runtime\'s own range where it has one', async () => {
      const frame = await analysisFrame(s, 30_000, model.name);
      const card = frame.locator('[data-testid="device-card"][data-device="rpi5"]');
      const latencyOf = async () => {
        if (!(await card.count())) return null;
        const m = /^([\d.]+) ms \(([\d.]+)–([\d.]+)\)/.exec(await card.locator('[data-testid="card-latency"]').innerText());
        return m ? { typical: Number(m[1]), low: Number(m[2]), high: Number(m[3]) } : null;
      };
      const select = card.locator('[data-testid="card-runtime"]');
      await waitFor('the rpi5 card\'s runtime field', async () => (await select.count()) === 1, { timeoutMs: 30_000 });
      assert.equal(await select.inputValue(), 'xnnpack', 'the Pi 5 card starts on its default runtime');
      // Each runtime says what its speed rests on there, as edgeplan devices does: its published points on the Pi 5.
      const evidence = cliJson(['devices', '--json']).calibration.devices.rpi5.runtimeEvidence;
      const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent, title: o.title })));
      for (const o of options) {
        const n = evidence[o.value]?.points;
        if (n) assert.ok(o.text.endsWith(` · ${n} published point${n === 1 ? '' : 's'}`) && o.title.includes(`${n} published measurement`), JSON.stringify(o));
        else assert.ok(/ · (no published point|speed from a similar device)$/.test(o.text), JSON.stringify(o));
      }
      const byDefault = await latencyOf();
      await select.selectOption('ncnn');
      const expected = cliEstimate(model.file, 'rpi5', undefined, 'ncnn');
      const ncnn = await waitFor('the rpi5 card on NCNN', async () => {
        const l = await latencyOf();
        return l && Math.abs(l.typical - expected.latencyMs.typical) <= 0.006 * expected.latencyMs.typical ? l : null;
      }, { timeoutMs: 30_000 });
      assert.notEqual(ncnn.typical, byDefault.typical, 'NCNN\'s fitted speed differs from XNNPACK\'s');
      // The ranges are the CLI's: each runtime with published Pi 5 points has its own (rules v6, v8): NCNN (one point,
      // mostly the pool's band), LiteRT's XNNPACK (four), ExecuTorch (five, the Arm harness).
      const xnnpack = cliEstimate(model.file, 'rpi5');
      const near = (a, b) => Math.abs(a - b) <= 0.006 * b;
      assert.ok(near(ncnn.high, expected.latencyMs.high) && near(ncnn.low, expected.latencyMs.low), `NCNN range ${ncnn.low}–${ncnn.high} vs ${expected.latencyMs.low}–${expected.latencyMs.high}`);
      assert.ok(near(byDefault.high, xnnpack.latencyMs.high) && near(byDefault.low, xnnpack.latencyMs.low), `XNNPACK range ${byDefault.low}–${byDefault.high} vs ${xnnpack.latencyMs.low}–${xnnpack.latencyMs.high}`);
      assert.equal(await card.locator('[data-testid="card-runtime"]').inputValue(), 'ncnn', 'the field keeps the runtime after the card re-renders');
      assert.match(await card.innerText(), /^ncnn · /m, 'the card names the runtime it is estimated for');
      await select.selectOption('executorch');
      const et = cliEstimate(model.file, 'rpi5', undefined, 'executorch');
      const executorch = await waitFor('the rpi5 card on ExecuTorch', async () => {
        const l = await latencyOf();
        return l && near(l.typical, et.latencyMs.typical) ? l : null;
      }, { timeoutMs: 30_000 });
      assert.ok(near(executorch.high, et.latencyMs.high) && near(executorch.low, et.latencyMs.low), `ExecuTorch range ${executorch.low}–${executorch.high} vs ${et.latencyMs.low}–${et.latencyMs.high}`);
      const width = (l) => l.high / l.low;
      assert.ok(Math.abs(Math.log(width(expected.latencyMs) / width(et.latencyMs))) > Math.log(1.1), 'ExecuTorch\'s own range differs from NCNN\'s');
      // Back to the default: the same figures as before.
      await card.locator('[data-testid="card-runtime"]').selectOption('xnnpack');
      await waitFor('the rpi5 card back on XNNPACK', async () => (await latencyOf())?.typical === byDefault.typical, { timeoutMs: 30_000 });
    });

    it('the analysis view\'s card shows a run recorded with edgeplan measure in the workspace folder, labelled measured, and goes back to its estimate when the store is removed', async () => {
      const frame = await analysisFrame(s, 30_000, model.name);
      const latency = frame.locator('[data-testid="device-card"][data-device="rpi5"] [data-testid="card-latency"]');
      const textOf = async () => ((await latency.count()) ? (await latency.first().innerText()).trim() : null);
      const before = await waitFor('the rpi5 card', textOf, { timeoutMs: 30_000 });
      // A model outside the sizes the Pi 5 is calibrated on (tiny-cnn's 10 M MACs are below all of them) is an
      // extrapolated estimate, as edgeplan estimate says.
      const outside = cliJson(['estimate', join(s.dirs.workspace, model.name), '--device', 'rpi5']).estimates[0].calibration?.outsideSpan;
      assert.match(before, outside ? /\bextrapolated estimate$/ : /\d ms \(.*\) estimate$/, before);
      const store = join(s.dirs.workspace, '.edgeplan', 'measurements.json');
      cliJson(['measure', join(s.dirs.workspace, model.name), '--device', 'rpi5', '--latency-ms', '3.125', '--store', store]);
      const shown = await waitFor('the rpi5 card showing the run', async () => {
        const t = await textOf();
        return t && /measured \(1 run\)$/.test(t) ? t : null;
      }, { timeoutMs: 30_000 });
      assert.match(shown, /^3\.1\d* ms/, shown);
      rmSync(store);
      await waitFor('the rpi5 card back to its estimate', async () => (await textOf()) === before, { timeoutMs: 30_000 });
    });

    it('the planner opens from the analysis view; typed fields are saved as .edgeplan/*.plan.json', async () => {
      const frame = await analysisFrame(s, 30_000, model.name);
      await frame.locator('[data-testid="open-planner"]').click();
      planner = await plannerFrame(s, 45_000, model.name);
      assert.equal(await planner.locator('[data-testid="planner-error"]').count(), 0, 'the planner shows an error');
      await typeInto(planner, 'field-project.name', projectName);
      await typeInto(planner, 'field-project.owner', 'Edge team');
      await typeInto(planner, 'field-budgets.latencyMs', '25');
      await waitFor('"Draft saved" in the planner', async () => /Draft saved/.test(await planner.locator('[data-testid="save-status"]').innerText()), { timeoutMs: 15_000 });
      // "Draft saved" may still show from the save of an earlier field; the last field's save follows it.
      await waitFor('the latency budget in the saved draft', async () => {
        const found = planFiles(s.dirs.workspace);
        try { return found.length === 1 && JSON.parse(readFileSync(found[0], 'utf8')).budgets?.latencyMs === 25; } catch { return false; }
      }, { timeoutMs: 15_000 });
      const files = planFiles(s.dirs.workspace);
      assert.equal(files.length, 1, `expected one plan file, found ${files.length}`);
      const saved = JSON.parse(readFileSync(files[0], 'utf8'));
      assert.equal(saved.project.name, projectName);
      assert.equal(saved.project.owner, 'Edge team');
      assert.equal(saved.budgets.latencyMs, 25);
    });

    it('after a window reload the planner comes back with the draft', async () => {
      await s.wb.reloadWindow();
      planner = await plannerFrame(s, 60_000, model.name);
      await waitFor('the project name field', async () => (await planner.locator('[data-testid="field-project.name"]').count()) > 0, { timeoutMs: 15_000 });
      assert.equal(await fieldValue(planner, 'field-project.name'), projectName);
      assert.equal(await fieldValue(planner, 'field-project.owner'), 'Edge team');
      assert.equal(await fieldValue(planner, 'field-budgets.latencyMs'), '25');
      assert.equal(planFiles(s.dirs.workspace).length, 1);
    });

    it('choosing another target device updates the figures', async () => {
      const before = await waitFor('figure cards', async () => {
        const c = await figureCards(planner);
        return c.length ? c : null;
      }, { timeoutMs: 30_000 });
      const unchecked = await planner.evaluate(() => [...document.querySelectorAll('input[data-testid^="target-"]')].filter((b) => !b.checked).map((b) => b.getAttribute('data-testid').slice('target-'.length)));
      assert.ok(unchecked.length > 0, 'every catalog device is already a target');
      const device = unchecked[0];
      await planner.locator(`[data-testid="target-${device}"]`).check();
      const after = await waitFor(`a figure card for ${device}`, async () => {
        const c = await figureCards(planner);
        return c.some((x) => x.device === device && x.latency) ? c : null;
      }, { timeoutMs: 30_000 });
      assert.equal(after.length, before.length + 1);
      // the new card shows what `edgeplan estimate --device` computes for the same file
      const shown = /^([\d.]+) ms/.exec(after.find((x) => x.device === device).latency);
      assert.ok(shown, `latency text: ${after.find((x) => x.device === device).latency}`);
      const expected = cliEstimate(model.file, device).latencyMs.typical;
      assert.ok(Math.abs(Number(shown[1]) - expected) <= 0.006 * expected, `${device}: card shows ${shown[1]} ms, edgeplan estimate says ${expected} ms`);
      // Each card marks the 25 ms budget against its range, as edgeplan estimate gives it: within (the whole range),
      // over (the whole range above), or not decided (25 ms inside the range), naming the typical figure's side.
      for (const c of after.filter((x) => x.latency)) {
        const r = cliEstimate(model.file, c.device).latencyMs;
        const want = r.high <= 25 ? /within budget$/ : r.low > 25 ? /over budget$/ : r.typical <= 25 ? /not decided \(met on the typical figure\)$/ : /not decided \(missed on the typical figure\)$/;
        assert.match(c.latency, want, `${c.device}: "${c.latency}" for ${r.low}–${r.typical}–${r.high} ms against 25 ms`);
      }
      await waitFor('the plan file to list the new target', () => JSON.parse(readFileSync(planFiles(s.dirs.workspace)[0], 'utf8')).targets.includes(device), { timeoutMs: 10_000 });
      await s.wb.waitForToastsToClose();
      await s.wb.screenshot(join(artifactDir, `planner-${theme}.png`));
    });

    it('CPU threads in the planner re-estimate a Raspberry Pi 5 target at that many cores, as edgeplan estimate --threads does', async () => {
      if (!(await planner.locator('[data-testid="target-rpi5"]').isChecked())) await planner.locator('[data-testid="target-rpi5"]').check();
      const allCores = await waitFor('an rpi5 figure card', async () => (await figureCards(planner)).find((x) => x.device === 'rpi5' && x.latency) ?? null, { timeoutMs: 30_000 });
      await typeInto(planner, 'field-runtime.cpuThreads', '1');
      const expected = cliEstimate(model.file, 'rpi5', 1).latencyMs.typical;
      const oneThread = await waitFor('the rpi5 card at one thread', async () => {
        const card = (await figureCards(planner)).find((x) => x.device === 'rpi5' && x.latency);
        const ms = card && /^([\d.]+) ms/.exec(card.latency);
        return ms && Math.abs(Number(ms[1]) - expected) <= 0.006 * expected ? card : null;
      }, { timeoutMs: 30_000 });
      assert.notEqual(oneThread.latency, allCores.latency, 'one thread of four is slower than every core');
      await waitFor('the plan file to keep the thread count', () => JSON.parse(readFileSync(planFiles(s.dirs.workspace)[0], 'utf8')).runtime?.cpuThreads === 1, { timeoutMs: 10_000 });
      await typeInto(planner, 'field-runtime.cpuThreads', '');
      await waitFor('the rpi5 card back at every core', async () => (await figureCards(planner)).some((x) => x.device === 'rpi5' && x.latency === allCores.latency), { timeoutMs: 30_000 });
    });

    it('a catalog runtime id in the planner\'s Runtime field re-estimates a target that offers it, as edgeplan estimate --runtime does; other text keeps the default', async () => {
      const before = await waitFor('an rpi5 figure card', async () => (await figureCards(planner)).find((x) => x.device === 'rpi5' && x.latency) ?? null, { timeoutMs: 30_000 });
      const suggestions = await planner.locator('[data-testid="suggestions-runtime.name"] option').evaluateAll((os) => os.map((o) => o.getAttribute('value')));
      assert.ok(suggestions.includes('ncnn') && suggestions.includes('xnnpack'), `the Pi 5's runtimes are suggested: ${suggestions.join(', ')}`);
      await typeInto(planner, 'field-runtime.name', 'ncnn');
      const expected = cliEstimate(model.file, 'rpi5', undefined, 'ncnn').latencyMs.typical;
      await waitFor('the rpi5 card on NCNN', async () => {
        const card = (await figureCards(planner)).find((x) => x.device === 'rpi5' && x.latency);
        const ms = card && /^([\d.]+) ms/.exec(card.latency);
        return ms && Math.abs(Number(ms[1]) - expected) <= 0.006 * expected ? card : null;
      }, { timeoutMs: 30_000 });
      await waitFor('the plan file to keep the runtime', () => JSON.parse(readFileSync(planFiles(s.dirs.workspace)[0], 'utf8')).runtime?.name === 'ncnn', { timeoutMs: 10_000 });
      await typeInto(planner, 'field-runtime.name', 'TF Lite 2.16 with XNNPACK');
      await waitFor('the rpi5 card back on its default runtime', async () => (await figureCards(planner)).some((x) => x.device === 'rpi5' && x.latency === before.latency), { timeoutMs: 30_000 });
    });

    it('a run recorded with edgeplan measure in the workspace folder replaces the planner\'s figure for that configuration, labelled measured, as edgeplan estimate says', async () => {
      const before = await waitFor('an rpi5 figure card', async () => (await figureCards(planner)).find((x) => x.device === 'rpi5' && x.latency) ?? null, { timeoutMs: 30_000 });
      assert.match(before.latency, /\bestimate\b/, `an estimate says it is one: ${before.latency}`);
      const store = join(s.dirs.workspace, '.edgeplan', 'measurements.json');
      const wsModel = join(s.dirs.workspace, model.name);
      // What a user does in the terminal beside the editor: the CLI's store in the workspace folder.
      cliJson(['measure', wsModel, '--device', 'rpi5', '--latency-ms', '7.25', '--store', store]);
      const measured = cliJson(['estimate', wsModel, '--device', 'rpi5', '--measurements', store]).estimates[0];
      assert.equal(measured.latencyMeasured?.runs, 1, 'edgeplan estimate takes the run for this configuration');
      const card = await waitFor('the rpi5 card showing the run', async () => {
        const c = (await figureCards(planner)).find((x) => x.device === 'rpi5' && x.latency);
        return c && /measured \(1 run\)/.test(c.latency) ? c : null;
      }, { timeoutMs: 30_000 });
      const shown = Number(/^([\d.]+) ms/.exec(card.latency)?.[1]);
      assert.ok(Math.abs(shown - measured.latencyMs.typical) <= 0.006 * measured.latencyMs.typical, `card ${card.latency}, edgeplan estimate ${measured.latencyMs.typical} ms`);
      // The other targets have no run of theirs: still estimates, labelled so.
      for (const c of (await figureCards(planner)).filter((x) => x.device !== 'rpi5' && x.latency)) assert.match(c.latency, /\bestimate\b/, `${c.device}: ${c.latency}`);
      rmSync(store);
      await waitFor('the rpi5 card back to its estimate', async () => (await figureCards(planner)).some((x) => x.device === 'rpi5' && x.latency === before.latency), { timeoutMs: 30_000 });
    });

    it('"Verify on this machine" in the planner builds the INT8 model, shows the measured table and the side-by-side, and the plan keeps the measurement', async () => {
      await planner.locator('[data-testid="verify-technique"]').selectOption('int8-ptq');
      await planner.locator('[data-testid="verify-data-synthetic"]').check();
      await planner.locator('[data-testid="verify-start"]').click();
      await waitFor('the measured table in the planner', async () => (await planner.locator('[data-testid="measured-table"][data-technique="int8-ptq"]').count()) > 0, { timeoutMs: 180_000 });
      const text = await planner.locator('[data-testid="measured-table"]').first().innerText();
      assert.match(text, /Latency p50 \/ p95, this machine \(measured\)/);
      assert.match(text, /SQNR \(measured\)/);
      assert.ok((await planner.locator('[data-testid="side-by-side"] tbody tr').count()) > 0, 'the per-layer side-by-side has rows');
      // Wide tables scroll inside the form column: none runs under the estimates beside it.
      const aside = await planner.locator('aside.figures').boundingBox();
      for (const sel of ['[data-testid="measured-table"] .table-scroll', '[data-testid="side-by-side"] .table-scroll']) {
        const box = await planner.locator(sel).first().boundingBox();
        assert.ok(box && aside, `${sel} and the estimates are laid out`);
        if (aside.x > box.x + 100) assert.ok(box.x + box.width <= aside.x + 1, `${sel} ends at x=${box.x + box.width}, under the estimates starting at x=${aside.x}`);
      }
      const compressed = join(s.dirs.workspace, model.name.replace(/\.onnx$/i, '.int8-ptq.onnx'));
      assert.ok(existsSync(compressed), `${compressed} was written`);
      await waitFor('the plan file to keep the measurement', () => (JSON.parse(readFileSync(planFiles(s.dirs.workspace)[0], 'utf8')).verification ?? []).some((v) => v.technique === 'int8-ptq'), { timeoutMs: 15_000 });
      await s.wb.waitForToastsToClose();
      await s.wb.screenshot(join(artifactDir, `planner-verify-${theme}.png`));
    });

    it('export writes Word, Excel, PDF and PowerPoint files through the save dialog', async () => {
      const magic = { docx: 'PK', xlsx: 'PK', pptx: 'PK', pdf: '%PDF' };
      for (const format of ['docx', 'xlsx', 'pdf', 'pptx']) {
        const file = join(s.dirs.workspace, `e2e-plan-${theme}.${format}`);
        const { size, head } = await exportThroughDialog(s, planner, format, file);
        assert.ok(size > 1000, `${format}: only ${size} bytes`);
        assert.ok(head.toString('latin1').startsWith(magic[format]), `${format} starts with ${JSON.stringify(head.toString('latin1'))}`);
      }
      for (const format of ['docx', 'xlsx', 'pdf', 'pptx']) assert.ok(existsSync(join(s.dirs.workspace, `e2e-plan-${theme}.${format}`)));
      // The PDF carries the measured table of the verification above, read back by pdftotext.
      const pdfText = execFileSync('pdftotext', ['-layout', join(s.dirs.workspace, `e2e-plan-${theme}.pdf`), '-']).toString();
      assert.match(pdfText, /Measured on your data and this machine/);
      assert.match(pdfText, /predicted and measured/);
      assert.deepEqual(await errorToasts(s), []);
    });

    it('the webviews logged no script error or Content-Security-Policy violation', () => {
      // workbench noise of code-server itself (missing vsda, web shutdown notes) is not ours; webview frames are
      // served from .../webview/browser/pre/, our scripts from dist/webview/; uncaught errors in any frame are pageerrors
      const ours = s.wb.consoleErrors.filter((e) => /^pageerror|webview\/browser\/pre\/|dist\/webview\/|vscode-resource|vscode-cdn|Content.Security.Policy|Refused to (load|execute|apply)/i.test(e));
      assert.deepEqual(ours, []);
    });

    it('exporting did load the export libraries (the module check can see them)', async () => {
      const loaded = loadedModules(await probe(s, 'Edge Planner E2E: Write Module Report', 'module-report.json'));
      for (const p of ['docx', 'exceljs', 'pptxgenjs']) assert.ok(loaded.bundled.has(p), `${p} did not run during export`);
      assert.ok(loaded.externals.has('pdfkit'), 'pdfkit is not in the require cache after a PDF export');
    });
  });
}
