// Checks the module-load detector the e2e run relies on (lib/bundle-modules.mjs) on a real esbuild bundle and
// real V8 coverage: a lazily imported module and a lazily imported npm package count as "not run" until they
// are imported, and as "run" afterwards.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { CoverageTotals, packagesRun } from './lib/bundle-modules.mjs';
import { repoRoot } from './lib/code-server.mjs';

describe('module-load detector on an esbuild bundle', () => {
  it('tells lazily imported modules and packages that ran from those that did not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeplan-bundle-modules-'));
    try {
      writeFileSync(join(dir, 'entry.ts'), "import { helper } from './eager';\nexport function activate() { return helper(); }\nexport async function later() { return (await import('./lazy')).lazy(); }\nexport async function lib() { return Object.keys(await import('fflate')).length; }\n");
      writeFileSync(join(dir, 'eager.ts'), 'export function helper() { return 1; }\n');
      writeFileSync(join(dir, 'lazy.ts'), "import { helper } from './eager';\nexport const K = helper() + 1;\nexport function lazy() { return K; }\n");
      const out = join(dir, 'bundle.js');
      await esbuild.build({ entryPoints: [join(dir, 'entry.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', absWorkingDir: dir, nodePaths: [join(repoRoot, 'node_modules')], logLevel: 'error' });
      const bundle = readFileSync(out, 'utf8');

      const session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
      const totals = new CoverageTotals(pathToFileURL(out).href);
      const take = async () => totals.add((await session.post('Profiler.takePreciseCoverage')).result);
      const mod = createRequire(import.meta.url)(out);
      mod.activate();
      let { ran, notRun } = packagesRun(bundle, await take());
      assert.ok(notRun.has('lazy.ts'), `lazy.ts ran before it was imported: ${[...ran]}`);
      assert.ok(notRun.has('fflate'), 'fflate ran before it was imported');
      await mod.later();
      ({ ran, notRun } = packagesRun(bundle, await take()));
      assert.ok(ran.has('lazy.ts'));
      assert.ok(notRun.has('fflate'));
      await mod.lib();
      ({ ran } = packagesRun(bundle, await take()));
      assert.ok(ran.has('fflate'));
      session.disconnect();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
