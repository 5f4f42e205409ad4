// Tests that run inside VS Code's extension host, next to the extension.
// Under @vscode/test-electron (test/electron/run.mjs) VS Code calls run(); it throws when a test fails.
// test/e2e runs the same runSuite() inside code-server's extension host through its probe extension, so the
// suite is exercised on machines that cannot download VS Code too.
// Plain CommonJS with node:assert: nothing to install in the extension host.
const vscode = require('vscode');
const assert = require('assert/strict');
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const EXTENSION_ID = 'edge-planner.edge-deployment-planner';
const MODEL_EXT = /\.(onnx|tflite|safetensors|gguf|pt|pth|keras|h5|mlmodel)$/i;
/** Packages the extension keeps external and must load only on first use (export, benchmark). */
const LAZY_EXTERNALS = ['onnxruntime-node', 'onnxruntime-common', 'pdfkit', 'fontkit'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

function extension() {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this VS Code`);
  return ext;
}

/** The lazily loaded external packages present in the extension host's require cache, loaded from the extension. */
function loadedLazyExternals(ext) {
  const roots = [ext.extensionPath, fs.realpathSync(ext.extensionPath)];
  const modules = path.join(ext.extensionPath, 'node_modules');
  if (fs.existsSync(modules)) roots.push(fs.realpathSync(modules)); // a linked node_modules: require() records real paths
  roots.forEach((r, i) => (roots[i] = r + path.sep));
  const loaded = new Set();
  for (const key of Object.keys(require.cache)) {
    if (!roots.some((r) => key.startsWith(r))) continue;
    for (const pkg of LAZY_EXTERNALS) if (key.includes(`${path.sep}node_modules${path.sep}${pkg}${path.sep}`)) loaded.add(pkg);
  }
  return [...loaded];
}

function workspaceModel() {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  assert.ok(folder, 'VS Code was started without a workspace folder');
  const name = fs.readdirSync(folder.uri.fsPath).find((f) => MODEL_EXT.test(f));
  assert.ok(name, `no model file in the workspace ${folder.uri.fsPath}`);
  return { uri: vscode.Uri.joinPath(folder.uri, name), name, file: path.join(folder.uri.fsPath, name) };
}

function webviewTabs() {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('the extension activates in this VS Code and registers its commands', async () => {
  const ext = extension();
  assert.equal(ext.packageJSON.engines.vscode.startsWith('^1.100'), true, `engines.vscode is ${ext.packageJSON.engines.vscode}`);
  assert.equal(loadedLazyExternals(ext).length, 0, 'a lazily loaded package was loaded before activation');
  await ext.activate();
  assert.equal(ext.isActive, true);
  const commands = await vscode.commands.getCommands(true);
  for (const c of ext.packageJSON.contributes.commands.map((c) => c.command)) assert.ok(commands.includes(c), `command ${c} is contributed but not registered`);
});

test('activation loads neither onnxruntime-node nor pdfkit', async () => {
  assert.deepEqual(loadedLazyExternals(extension()), []);
});

test('"Analyze for Edge Deployment" on a workspace model opens its analysis panel', async () => {
  const model = workspaceModel();
  const before = webviewTabs().length;
  await vscode.commands.executeCommand('edgePlanner.analyze', model.uri);
  const tab = await waitFor(`an "Analysis: ${model.name}" tab`, () => webviewTabs().find((t) => t.label === `Analysis: ${model.name}`));
  assert.ok(tab.input.viewType.endsWith('edgePlanner.analysis'), `unexpected view type ${tab.input.viewType}`);
  assert.ok(webviewTabs().length > before);
});

test('analysing a model still loads neither onnxruntime-node nor pdfkit', async () => {
  assert.deepEqual(loadedLazyExternals(extension()), []);
});

test('onnxruntime-node and pdfkit load from the extension folder and work', async () => {
  const ext = extension();
  const req = createRequire(path.join(ext.extensionPath, 'dist', 'extension.js'));
  const model = workspaceModel();
  const ort = req('onnxruntime-node');
  if (model.name.endsWith('.onnx')) {
    const session = await ort.InferenceSession.create(model.file);
    assert.ok(session.inputNames.length > 0, 'the ONNX session has no inputs');
  }
  const PDFDocument = req('pdfkit');
  const pdf = await new Promise((resolve, reject) => {
    const doc = new PDFDocument();
    const chunks = [];
    doc.on('data', (c) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.font('Helvetica').text('suite');
    doc.end();
  });
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
});

/** Runs every test in order; resolves to [{ name, ok, error? , ms }]. Never throws. */
async function runSuite(log = (s) => console.log(s)) {
  const results = [];
  for (const t of tests) {
    const started = Date.now();
    try {
      await t.fn();
      results.push({ name: t.name, ok: true, ms: Date.now() - started });
      log(`  ✔ ${t.name} (${Date.now() - started} ms)`);
    } catch (e) {
      results.push({ name: t.name, ok: false, error: String((e && e.stack) || e), ms: Date.now() - started });
      log(`  ✖ ${t.name}\n    ${String((e && e.message) || e).replace(/\n/g, '\n    ')}`);
    }
  }
  return results;
}

/** Entry point for @vscode/test-electron. */
async function run() {
  const results = await runSuite();
  const failed = results.filter((r) => !r.ok).length;
  if (process.env.EDGEPLAN_SUITE_RESULTS) fs.writeFileSync(process.env.EDGEPLAN_SUITE_RESULTS, JSON.stringify(results, null, 1));
  console.log(`${results.length - failed} passed, ${failed} failed`);
  if (failed) throw new Error(`${failed} of ${results.length} extension-host tests failed`);
}

module.exports = { run, runSuite, tests };
