// The user-level steps of the end-to-end scenario, shared by the built-extension and the VSIX test files.
// Each step drives the real workbench (Explorer menu, Command Palette, webviews, save dialog) and returns what
// it saw; the test files hold the assertions.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { moduleRegions, packagesRun } from './bundle-modules.mjs';
import { waitFor } from './workbench.mjs';

export const ANALYZE_ENTRY = 'Analyze for Edge Deployment';

/** Runs a probe command from the palette and returns the JSON it wrote to <workspace>/.e2e/<file>. */
export async function probe(session, title, file, timeoutMs = 30_000) {
  const out = join(session.dirs.workspace, '.e2e', file);
  rmSync(out, { force: true });
  await session.wb.runCommand(title);
  const text = await waitFor(`the probe to write .e2e/${file}`, () => (existsSync(out) ? readFileSync(out, 'utf8') : null), { timeoutMs });
  const data = JSON.parse(text);
  if (data.error) throw new Error(`probe "${title}" failed: ${data.error}`);
  return data;
}

/**
 * What the extension host has loaded from the extension: the dist/*.js bundles and external packages by the
 * require cache; bundled packages (docx, exceljs, ...) and our src/ modules by V8 call counts of each loaded
 * bundle's module wrappers.
 */
export function loadedModules(report) {
  assert.ok(report.coverage, 'the probe could not start V8 coverage in the extension host');
  const externals = new Set();
  for (const f of report.requireCache) {
    const m = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/][^]*$/.exec(f);
    if (m) externals.add(m[1].replace(/\\/g, '/'));
  }
  const bundles = new Set();
  const bundled = new Set();
  for (const [name, b] of Object.entries(report.bundles)) {
    if (!b.loaded) continue;
    bundles.add(name);
    const text = readFileSync(b.file, 'utf8');
    assert.ok(moduleRegions(text).length > 0 || text.length < 20_000, `${b.file} has no module markers (a minified production build?); the module check needs the development build (node scripts/build.mjs)`);
    for (const p of packagesRun(text, b.functions).ran) bundled.add(p);
  }
  return { externals, bundles, bundled };
}

/** Packages that must not load before the user exports or benchmarks. */
export const EXPORT_AND_RUNTIME = ['onnxruntime-node', 'onnxruntime-common', 'pdfkit', 'fontkit', 'docx', 'exceljs', 'pptxgenjs', 'jszip'];

export function assertNotLoaded(loaded, names, when) {
  const hits = names.filter((n) => loaded.externals.has(n) || loaded.bundled.has(n));
  assert.deepEqual(hits, [], `${when}: loaded ${hits.join(', ')}`);
}

/** Right-click the model in the Explorer, run "Analyze for Edge Deployment", wait for the summary. */
export async function analyzeFromExplorer(session, modelName) {
  const labels = await session.wb.runExplorerContextMenu(modelName, ANALYZE_ENTRY);
  const frame = await analysisFrame(session, 30_000, modelName);
  const params = await waitFor('the Parameters figure in the analysis view', async () => {
    const el = frame.locator('[data-testid="summary-params"]');
    return (await el.count()) ? (await el.first().innerText()).trim() : null;
  }, { timeoutMs: 45_000 });
  return { labels, frame, params };
}

/**
 * The analysis webview's frame; with `modelName`, the one whose title names that model (another analysis panel left
 * open by an earlier step may still be visible for a moment, and its frame is detached once the new one shows).
 */
export async function analysisFrame(session, timeoutMs = 30_000, modelName = null) {
  return session.wb.webviewFrame(
    modelName ? `the analysis webview of ${modelName}` : 'the analysis webview',
    async (f) =>
      f.evaluate(
        (name) => document.body?.dataset.view === 'analysis' && !!document.querySelector('[data-testid="summary-params"], [data-testid="analysis-error"]') && (!name || (document.querySelector('h1.title')?.textContent ?? '').includes(name)),
        modelName,
      ),
    { timeoutMs },
  );
}

/**
 * The planner webview's frame; with `modelName`, the one whose model line (or error) names that model (the planner
 * of another model may be open too, as the analysis panels may).
 */
export async function plannerFrame(session, timeoutMs = 45_000, modelName = null) {
  return session.wb.webviewFrame(
    modelName ? `the planner webview of ${modelName} with its form` : 'the planner webview with its form',
    async (f) =>
      f.evaluate(
        (name) => {
          if (document.body?.dataset.view !== 'planner') return false;
          const shown = document.querySelector('[data-testid="model-file"], [data-testid="planner-error"]');
          return !!shown && !!document.querySelector('[data-testid="plan-form"], [data-testid="planner-error"]') && (!name || (shown.textContent ?? '').includes(name));
        },
        modelName,
      ),
    { timeoutMs },
  );
}

/** "100,472" → 100472; "1.23 M" → 1230000 (with its rounding step); returns { value, step }. */
export function parseCount(text) {
  const m = /^(-?[\d,]+(?:\.\d+)?)\s*([KMGT])?$/.exec(text.trim());
  if (!m) return null;
  const scale = { K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]] ?? 1;
  const digits = m[1].replace(/,/g, '');
  const decimals = digits.includes('.') ? digits.split('.')[1].length : 0;
  return { value: Number(digits) * scale, step: scale * 10 ** -decimals };
}

export async function errorToasts(session) {
  return (await session.wb.errorNotifications()).map((n) => n.text);
}

/** Types into a webview text field the way a user does (focus, select all, type), so input events fire. */
export async function typeInto(frame, testid, text) {
  const el = frame.locator(`[data-testid="${testid}"]`).first();
  await el.waitFor({ timeout: 10_000 });
  await el.click();
  await el.fill('');
  await el.pressSequentially(text, { delay: 5 });
}

export async function fieldValue(frame, testid) {
  return frame.locator(`[data-testid="${testid}"]`).first().inputValue();
}

export function planFiles(workspace) {
  const dir = join(workspace, '.edgeplan');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.plan.json')).map((f) => join(dir, f)) : [];
}

/** The figure cards of the planner: [{ device, latency }]. */
export async function figureCards(frame) {
  return frame.evaluate(() =>
    [...document.querySelectorAll('[data-testid="figure-card"]')].map((c) => ({
      device: c.getAttribute('data-device'),
      latency: c.querySelector('[data-testid="figure-latency"]')?.textContent?.trim() ?? null,
      memory: c.querySelector('[data-testid="figure-memory"]')?.textContent?.trim() ?? null,
    })),
  );
}

/**
 * Clicks "Export <format>" in the planner, answers the save dialog (a quick input in code-server) with `file`,
 * and waits for the file. Returns its size and first bytes.
 */
export async function exportThroughDialog(session, frame, format, file) {
  rmSync(file, { force: true });
  await frame.locator(`[data-testid="export-${format}"]`).click();
  await session.wb.answerQuickInput(file);
  const size = await waitFor(`${file} to be written`, () => (existsSync(file) && statSync(file).size > 0 ? statSync(file).size : 0), { timeoutMs: 60_000 });
  await sleep(200);
  return { size, head: readFileSync(file).subarray(0, 4) };
}
