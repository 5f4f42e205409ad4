// Puts the extension into a code-server extensions folder, the two ways a user gets it:
// the built working tree (dist/ + package.json + media/, node_modules linked), or a packaged .vsix.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { codeServerBin } from './code-server.mjs';

export function manifest(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

export const extensionId = (m) => `${m.publisher}.${m.name}`;

/**
 * Installs the built extension from `sourceDir` (default: the repository) by copying what the VSIX would
 * hold into <extensionsDir>/<publisher>.<name>-<version>; node_modules is a symbolic link (it is large).
 */
export function installBuiltExtension(sourceDir, extensionsDir) {
  const m = manifest(sourceDir);
  if (!existsSync(join(sourceDir, m.main ?? 'dist/extension.js').replace(/(\.js)?$/, '.js'))) {
    throw new Error(`${sourceDir}: ${m.main} is missing; build first (node scripts/build.mjs)`);
  }
  const target = join(extensionsDir, `${extensionId(m)}-${m.version}`);
  mkdirSync(target, { recursive: true });
  for (const entry of ['package.json', 'dist', 'media', 'README.md', 'CHANGELOG.md', 'LICENSE', 'package.nls.json']) {
    if (existsSync(join(sourceDir, entry))) cpSync(join(sourceDir, entry), join(target, entry), { recursive: true });
  }
  if (existsSync(join(sourceDir, 'node_modules'))) symlinkSync(join(sourceDir, 'node_modules'), join(target, 'node_modules'), 'dir');
  return { id: extensionId(m), version: m.version, dir: target };
}

/** Installs a .vsix of the extension in `sourceDir` with code-server's own CLI, as a user would; returns its folder. */
export function installVsix(vsixFile, extensionsDir, userDataDir, sourceDir) {
  const m = manifest(sourceDir);
  const out = execFileSync(codeServerBin, ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsixFile], {
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const dirs = readdirSync(extensionsDir).filter((d) => d.startsWith(`${extensionId(m)}-${m.version}`));
  if (dirs.length !== 1) throw new Error(`expected ${extensionId(m)}-${m.version}* in ${extensionsDir}, found: ${readdirSync(extensionsDir).join(', ') || 'nothing'}\n${out}`);
  return { id: extensionId(m), version: m.version, dir: join(extensionsDir, dirs[0]), output: out.trim() };
}
