#!/usr/bin/env node
// The @vscode/test-electron suite: downloads VS Code 1.100.3 (once, into .vscode-test/), starts it with this
// repository as the extension under development and runs test/electron/suite/index.js in its extension host.
// Where VS Code cannot be downloaded (no internet) or shown (no display, no xvfb-run) it prints one
// "skipped: ..." line and exits 0; the same suite still runs inside code-server during test/e2e/run.mjs.
//
//   node test/electron/run.mjs
//   EDGEPLAN_VSCODE_EXECUTABLE=/path/to/code   use an installed VS Code instead of downloading one
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const VSCODE_VERSION = '1.100.3';
const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const cachePath = join(repoRoot, '.vscode-test');

function skip(reason) {
  console.log(`skipped: @vscode/test-electron suite — ${reason}`);
  console.log('0 passed, 0 failed (skipped)');
  process.exit(0);
}

function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// 1. VS Code itself: a given executable, a complete earlier download, or the download server must answer quickly.
const executable = process.env.EDGEPLAN_VSCODE_EXECUTABLE;
const platformDir = { linux: 'linux-x64', darwin: 'darwin', win32: 'win32-x64-archive' }[process.platform] ?? process.platform;
const cached = existsSync(join(cachePath, `vscode-${platformDir}-${VSCODE_VERSION}`, 'is-complete'));
if (executable && !existsSync(executable)) skip(`EDGEPLAN_VSCODE_EXECUTABLE=${executable} does not exist`);
if (!executable && !cached) {
  try {
    const res = await fetch('https://update.code.visualstudio.com/api/releases/stable', { signal: AbortSignal.timeout(5000) });
    if (!res.ok) skip(`update.code.visualstudio.com answered HTTP ${res.status}; VS Code ${VSCODE_VERSION} cannot be downloaded`);
  } catch (e) {
    skip(`cannot download VS Code ${VSCODE_VERSION} (update.code.visualstudio.com unreachable: ${e.cause?.code ?? e.name ?? e.message}); the same extension-host suite runs in code-server during the e2e tests`);
  }
}

// 2. A display (Electron needs one): re-run under xvfb-run when there is none.
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  if (process.env.EDGEPLAN_UNDER_XVFB) skip('xvfb-run started but no DISPLAY is set');
  if (!hasCommand('xvfb-run')) skip('no display and no xvfb-run (apt-get install xvfb) to start VS Code');
  const r = spawnSync('xvfb-run', ['-a', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, EDGEPLAN_UNDER_XVFB: '1' } });
  process.exit(r.status ?? 1);
}

// 3. The extension must be built.
if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) {
  console.error('test:electron: dist/extension.js is missing; run node scripts/build.mjs first');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// 4. A workspace with a model: the third-party fixture beside the repository when present, else the project's sample.
const sharedModel = join(repoRoot, '..', 'shared', 'models', 'fixtures', 'face_detection_front_128x128_barracuda.onnx');
const sampleModel = join(repoRoot, 'samples', 'tiny-cnn.onnx');
const model = [sharedModel, sampleModel].find((f) => existsSync(f));
if (!model) skip(`no model for the test workspace (${sharedModel} or ${sampleModel})`);
const root = mkdtempSync(join(tmpdir(), 'edgeplan-electron-'));
const workspace = join(root, 'workspace');
mkdirSync(workspace);
copyFileSync(model, join(workspace, model.split('/').pop()));
const results = join(root, 'results.json');

const { runTests } = await import('@vscode/test-electron');
let code = 1;
try {
  code = await runTests({
    version: VSCODE_VERSION,
    cachePath,
    timeout: 60_000,
    ...(executable ? { vscodeExecutablePath: executable } : {}),
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(repoRoot, 'test', 'electron', 'suite', 'index.js'),
    extensionTestsEnv: { EDGEPLAN_SUITE_RESULTS: results },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-telemetry', '--user-data-dir', join(root, 'user-data')],
  });
} catch (e) {
  console.error(`test:electron: ${e.message}`);
}
let passed = 0;
let failed = 0;
if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  passed = r.filter((t) => t.ok).length;
  failed = r.length - passed;
} else failed = 1;
rmSync(root, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(code === 0 && failed === 0 ? 0 : 1);
