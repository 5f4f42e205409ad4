// The project's own number formatter (src/format-numbers.ts, the one the webviews use), bundled on the fly
// with esbuild, so a test can say how the view writes a figure the CLI computed.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from './code-server.mjs';

const require = createRequire(import.meta.url);
let cached;

export function formatNumbers() {
  if (cached) return cached;
  const esbuild = require('esbuild');
  const out = esbuild.buildSync({ entryPoints: [join(repoRoot, 'src', 'format-numbers.ts')], bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'silent' });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, require);
  cached = mod.exports;
  return cached;
}
