// One end-to-end session: a temporary workspace holding a model, a user-data folder with the chosen theme,
// an extensions folder with the extension under test (built tree or .vsix) and the test probe, code-server,
// Chromium and the workbench page. close() ends Chromium and code-server (its whole process group) and is
// also run if the test process is interrupted.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extensionSourceDir, repoRoot, startCodeServer, writeUserSettings } from './code-server.mjs';
import { installBuiltExtension, installVsix } from './install-extension.mjs';
import { launchBrowser, Workbench } from './workbench.mjs';

export const THEMES = { light: 'Default Light Modern', dark: 'Default Dark Modern' };
export const artifactDir = join(repoRoot, 'test-artifacts', 'e2e');

const live = new Set();
const closeAllSync = () => {
  for (const s of live) s.killNow();
};
process.once('exit', closeAllSync);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    closeAllSync();
    process.exit(130);
  });
}

/**
 * @param {{ name: string, theme: 'light'|'dark', model: { file: string, name: string }, extraModels?: { file: string, name: string }[], vsix?: string, probe?: boolean }} opts
 */
export async function openSession({ name, theme, model, extraModels = [], vsix, probe = true }) {
  mkdirSync(artifactDir, { recursive: true });
  const root = mkdtempSync(join(tmpdir(), `edgeplan-e2e-${name}-`));
  const dirs = { root, userData: join(root, 'user-data'), extensions: join(root, 'extensions'), workspace: join(root, 'workspace') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  // a Core ML .mlpackage is a folder: copied whole
  for (const m of [model, ...extraModels]) {
    if (statSync(m.file).isDirectory()) cpSync(m.file, join(dirs.workspace, m.name), { recursive: true });
    else copyFileSync(m.file, join(dirs.workspace, m.name));
  }
  writeUserSettings(dirs.userData, THEMES[theme]);
  // the probe first: code-server's --install-extension writes extensions.json, and then only listed folders load;
  // with the probe already in the folder it is picked up when that file is first created
  if (probe) {
    const probeDir = join(dirs.extensions, 'edge-planner-tests.e2e-probe-0.0.1');
    cpSync(join(repoRoot, 'test', 'e2e', 'probe'), probeDir, { recursive: true });
    // the @vscode/test-electron suite goes inside the probe, so `require('vscode')` in it resolves to the probe's API
    cpSync(join(repoRoot, 'test', 'electron', 'suite'), join(probeDir, 'electron-suite'), { recursive: true });
  }
  const installed = vsix ? installVsix(vsix, dirs.extensions, dirs.userData, extensionSourceDir) : installBuiltExtension(extensionSourceDir, dirs.extensions);

  const logFile = join(artifactDir, `${name}-code-server.log`);
  rmSync(logFile, { force: true });
  const session = { name, theme, dirs, installed, logFile, cs: null, browser: null, wb: null };
  session.killNow = () => {
    if (session.cs) {
      try {
        process.kill(-session.cs.proc.pid, 'SIGKILL');
      } catch {}
    }
    if (session.browser) {
      try {
        session.browser.process?.()?.kill('SIGKILL');
      } catch {}
    }
  };
  session.close = async () => {
    live.delete(session);
    if (session.wb) writeFileSync(join(artifactDir, `${name}-console.log`), session.wb.consoleErrors.join('\n') + '\n');
    if (session.browser) await Promise.race([session.browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    if (session.cs) await session.cs.stop();
    session.killNow();
    if (!process.env.EDGEPLAN_E2E_KEEP) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
  live.add(session);
  try {
    session.cs = await startCodeServer({ userDataDir: dirs.userData, extensionsDir: dirs.extensions, folder: dirs.workspace, logFile });
    session.browser = await launchBrowser();
    session.wb = await Workbench.open(session.browser, session.cs.url, dirs.workspace);
  } catch (e) {
    await session.close();
    throw e;
  }
  return session;
}
