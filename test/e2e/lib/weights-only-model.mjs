// A weights-only model with no computable latency, for the "no NaN anywhere" check of the planner: a small
// vision-transformer-like safetensors file (patch embedding and attention blocks, no token embedding: not a
// language model) written by the tests' own writer (test/support/safetensors-writer.ts, bundled on the fly with
// esbuild) into a temporary folder. Never copies anything into the repository.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './code-server.mjs';

/** { file, name, source, cleanup() } */
export function weightsOnlyModel() {
  const dir = mkdtempSync(join(tmpdir(), 'edgeplan-e2e-weights-'));
  const file = join(dir, 'vit-weights.safetensors');
  const require = createRequire(import.meta.url);
  const script = `
    import { vitTensors, writeSafetensors } from './test/support/safetensors-writer';
    writeSafetensors(${JSON.stringify(file)}, vitTensors(4, 64), 'F32');
  `;
  const out = require('esbuild').buildSync({ stdin: { contents: script, resolveDir: repoRoot, loader: 'ts' }, bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'silent' });
  const js = join(dir, 'make.cjs');
  writeFileSync(js, out.outputFiles[0].text);
  require(js);
  if (!existsSync(file)) throw new Error(`the safetensors writer did not write ${file}`);
  return { file, name: 'vit-weights.safetensors', source: 'written by test/support/safetensors-writer.ts', cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
