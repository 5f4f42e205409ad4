// A Core ML .mlpackage folder for the end-to-end test, written by the tests' own Core ML writer
// (test/support/tiny-cnn.ts → coreml-writer.ts, bundled on the fly with esbuild) into a temporary folder:
// an mlProgram with blob weights whose MACs the unit tests check in every format. Never copies anything into
// the repository.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './code-server.mjs';

/** { file, name, macs, cleanup() } */
export function makeMlpackage() {
  const dir = mkdtempSync(join(tmpdir(), 'edgeplan-e2e-mlpackage-'));
  const name = 'tiny-cnn.mlpackage';
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild');
  const script = `
    import { tinyMlpackage, TINY_CNN_MACS } from './test/support/tiny-cnn';
    tinyMlpackage(${JSON.stringify(dir)}, ${JSON.stringify(name)});
    module.exports = TINY_CNN_MACS;
  `;
  const out = esbuild.buildSync({ stdin: { contents: script, resolveDir: repoRoot, loader: 'ts' }, bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'silent' });
  const js = join(dir, 'make.cjs');
  writeFileSync(js, out.outputFiles[0].text);
  const macs = require(js);
  const file = join(dir, name);
  if (!existsSync(join(file, 'Manifest.json'))) throw new Error(`the Core ML writer did not write ${file}`);
  return { file, name, macs, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
