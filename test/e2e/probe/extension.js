// Test-only companion extension (never shipped). It runs in the same extension host process as the extension
// under test, so it sees the same require cache and can profile the same V8 isolate:
//  - on activation (startup, before the extension under test activates) it starts V8 precise coverage;
//  - "Write Module Report" writes <workspace>/.e2e/module-report.json: the require-cache entries inside the
//    extension's folder and, for each dist/*.js bundle, whether it is loaded and its functions' call counts;
//  - "Load Runtime Modules" requires onnxruntime-node and pdfkit from the extension's own folder (as the
//    extension does), opens the workspace's .onnx model in an inference session and writes a one-page PDF;
//  - "Activate Extension and Write Module Report" activates the extension without running any command first;
//  - "Run Extension-Host Suite" runs test/electron/suite (the @vscode/test-electron tests) in this host.
// Each command writes its result as JSON into <workspace>/.e2e/.
const vscode = require('vscode');
const inspector = require('inspector');
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const { pathToFileURL } = require('url');

const EXTENSION_ID = 'edge-planner.edge-deployment-planner';
let session;
/** V8 resets the counters at every takePreciseCoverage and then reports only functions that ran since; keep the sums. */
const coverageTotals = new Map(); // script url -> Map(start offset -> { name, start, end, count })

function post(method, params) {
  return new Promise((resolve, reject) => session.post(method, params || {}, (err, res) => (err ? reject(err) : resolve(res))));
}

function reportDir() {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (!folder) throw new Error('no workspace folder');
  const dir = path.join(folder.uri.fsPath, '.e2e');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function write(name, data) {
  const file = path.join(reportDir(), name);
  fs.writeFileSync(file + '.tmp', JSON.stringify(data, null, 1));
  fs.renameSync(file + '.tmp', file);
}

async function takeCoverage() {
  const { result } = await post('Profiler.takePreciseCoverage');
  for (const script of result) {
    if (!coverageTotals.has(script.url)) coverageTotals.set(script.url, new Map());
    const totals = coverageTotals.get(script.url);
    for (const f of script.functions) {
      const r = f.ranges[0];
      const t = totals.get(r.startOffset);
      if (t) t.count += r.count;
      else totals.set(r.startOffset, { name: f.functionName, start: r.startOffset, end: r.endOffset, count: r.count });
    }
  }
}

/** The extension's bundles (dist/*.js): which are loaded, and the call counts of their functions. */
async function moduleReport() {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed`);
  const root = fs.realpathSync(ext.extensionPath);
  // the built-tree install links node_modules to the repository's, and require() records real paths
  const roots = [ext.extensionPath, root];
  if (fs.existsSync(path.join(root, 'node_modules'))) roots.push(fs.realpathSync(path.join(root, 'node_modules')));
  const inside = (f) => roots.some((r) => f.startsWith(r + path.sep));
  const requireCache = Object.keys(require.cache).filter(inside);
  if (session) await takeCoverage();
  const bundles = {};
  for (const name of fs.readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.js'))) {
    const file = path.join(root, 'dist', name);
    const totals = coverageTotals.get(pathToFileURL(file).href) || coverageTotals.get(pathToFileURL(path.join(ext.extensionPath, 'dist', name)).href);
    bundles[name] = { file, loaded: requireCache.some((f) => fs.realpathSync(f) === file), functions: session ? (totals ? [...totals.values()] : []) : null };
  }
  return { extensionPath: ext.extensionPath, realPath: root, isActive: ext.isActive, requireCache, bundles, coverage: !!session };
}

async function loadRuntime() {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed`);
  const req = createRequire(path.join(ext.extensionPath, 'dist', 'extension.js'));
  const out = { extensionPath: ext.extensionPath };
  try {
    const ort = req('onnxruntime-node');
    out.onnxruntimePath = req.resolve('onnxruntime-node');
    const folder = vscode.workspace.workspaceFolders[0].uri.fsPath;
    const model = fs.readdirSync(folder).find((f) => f.endsWith('.onnx'));
    const session = await ort.InferenceSession.create(path.join(folder, model));
    out.onnx = { model, inputs: session.inputNames, outputs: session.outputNames };
  } catch (e) {
    out.onnxError = String(e && e.stack || e);
  }
  try {
    const PDFDocument = req('pdfkit');
    out.pdfkitPath = req.resolve('pdfkit');
    const bytes = await new Promise((resolve, reject) => {
      const doc = new PDFDocument();
      const chunks = [];
      doc.on('data', (c) => chunks.push(c));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);
      doc.font('Helvetica-Bold').text('Edge Deployment Planner e2e').font('Helvetica').text('pdfkit loads from the installed extension.');
      doc.end();
    });
    out.pdf = { bytes: bytes.length, header: bytes.subarray(0, 5).toString('latin1') };
  } catch (e) {
    out.pdfError = String(e && e.stack || e);
  }
  return out;
}

async function activateAndReport() {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed`);
  const wasActive = ext.isActive;
  await ext.activate();
  return { wasActive, ...(await moduleReport()) };
}

/** Runs test/electron/suite (the @vscode/test-electron suite), copied into ./electron-suite by the session, in this host. */
async function runElectronSuite() {
  const { runSuite } = require('./electron-suite/index.js');
  return { results: await runSuite(() => {}) };
}

exports.activate = async (context) => {
  try {
    session = new inspector.Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  } catch (e) {
    session = undefined;
    console.error('e2e probe: coverage unavailable', e);
  }
  const register = (id, fn, file) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async () => {
        try {
          write(file, await fn());
        } catch (e) {
          write(file, { error: String(e && e.stack || e) });
        }
      }),
    );
  register('edgePlannerE2E.report', moduleReport, 'module-report.json');
  register('edgePlannerE2E.loadRuntime', loadRuntime, 'runtime-report.json');
  register('edgePlannerE2E.activate', activateAndReport, 'activation-report.json');
  register('edgePlannerE2E.runSuite', runElectronSuite, 'suite-report.json');
};

exports.deactivate = () => {
  if (session) session.disconnect();
};
