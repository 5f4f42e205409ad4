// Starts code-server 4.100.3 (VS Code 1.100.3 in the browser, with the real Node extension host) on a free
// port of 127.0.0.1, in its own process group so stop() ends it and every child it started.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const repoRoot = new URL('../../..', import.meta.url).pathname.replace(/\/$/, '');
/** The extension folder under test: the repository, or another built copy (EDGEPLAN_E2E_EXTENSION_DIR). */
export const extensionSourceDir = process.env.EDGEPLAN_E2E_EXTENSION_DIR || repoRoot;
export const codeServerBin = join(repoRoot, '.tmp', 'code-server', 'node_modules', '.bin', 'code-server');

/** A port the OS reports free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** User settings for a quiet, deterministic workbench in the given colour theme. */
export function writeUserSettings(userDataDir, theme) {
  const dir = join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  const settings = {
    'workbench.colorTheme': theme,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'files.simpleDialog.enable': true,
    'window.restoreWindows': 'none',
    'editor.minimap.enabled': false,
    'git.enabled': false,
    'chat.disableAIFeatures': true,
    'files.exclude': { '**/.e2e': true }, // the probe's reports, kept out of the screenshots
  };
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}

/**
 * Starts code-server; resolves when it answers HTTP. Its output goes to logFile.
 * @returns {{ url: string, port: number, stop: () => Promise<void>, proc: import('node:child_process').ChildProcess }}
 */
export async function startCodeServer({ userDataDir, extensionsDir, folder, logFile, timeoutMs = 30_000 }) {
  if (!existsSync(codeServerBin)) throw new Error(`code-server is not installed at ${codeServerBin}; run: bash scripts/ensure-test-deps.sh`);
  const port = await freePort();
  const args = [
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    folder,
  ];
  const log = createWriteStream(logFile, { flags: 'a' });
  const proc = spawn(codeServerBin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VSCODE_CLI: undefined } });
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  let exited = null;
  proc.on('exit', (code, signal) => (exited = { code, signal }));
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {}
    for (let i = 0; i < 30 && !exited; i++) await sleep(100);
    if (!exited) {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {}
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`code-server exited early (${JSON.stringify(exited)}); see ${logFile}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within ${timeoutMs} ms; see ${logFile}`);
    }
    await sleep(250);
  }
  return { url, port, stop, proc };
}
