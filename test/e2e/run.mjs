#!/usr/bin/env node
// End-to-end tests in a real VS Code: code-server 4.100.3 (VS Code 1.100.3 and its Node extension host),
// driven through Debian's Chromium with playwright-core. Runs test/e2e/*.test.mjs with node's test runner
// (spec output) and ends with a plain "N passed, N failed" line.
//
//   node test/e2e/run.mjs                 the built extension (dist/ + package.json), light and dark theme
//   node test/e2e/run.mjs --vsix [FILE]   also install the packaged VSIX (default: the newest dist-vsix/*.vsix)
//   node test/e2e/run.mjs --update-screenshots   after a fully passing run, copy the analysis and planner
//                                         screenshots (light, dark) to docs/screenshots/ for the README
//   EDGEPLAN_E2E_THEMES=light              only the light theme (default: light,dark; empty: neither)
//   EDGEPLAN_E2E_NO_SHARED=1              use samples/tiny-cnn.onnx as if ../shared were absent
//   EDGEPLAN_E2E_KEEP=1                   keep the temporary workspaces and user-data folders
//   EDGEPLAN_E2E_EXTENSION_DIR=DIR        test another built copy of the extension (package.json + dist/)
//
// Needs: code-server under .tmp/code-server and /usr/bin/chromium (bash scripts/ensure-test-deps.sh installs both).
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { codeServerBin, extensionSourceDir, repoRoot } from './lib/code-server.mjs';
import { CHROMIUM } from './lib/workbench.mjs';

const args = process.argv.slice(2);
const started = Date.now();

function fail(message) {
  console.error(`e2e: ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

if (!existsSync(codeServerBin)) fail(`code-server is not installed (${codeServerBin}); run: bash scripts/ensure-test-deps.sh`);
if (!CHROMIUM) fail('Chromium is not installed (/usr/bin/chromium); run: bash scripts/ensure-test-deps.sh');
// The development build (source maps, module markers the module-load checks read); `npm run package` leaves a
// production build in dist/, so rebuild when that is what is there.
const devBuilt = (f) => existsSync(f) && /\/\/# sourceMappingURL=/.test(readFileSync(f, 'utf8').slice(-300));
if (extensionSourceDir === repoRoot && !(devBuilt(join(repoRoot, 'dist', 'extension.js')) && devBuilt(join(repoRoot, 'dist', 'core.js')) && existsSync(join(repoRoot, 'dist', 'cli.js')))) {
  console.log('e2e: dist/ is missing or a production build; building (node scripts/build.mjs)');
  try {
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { stdio: 'inherit', timeout: 180_000 });
  } catch {
    // other bundles may fail; what matters is whether the ones this test needs exist
  }
  if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) fail('dist/extension.js could not be built');
}

const vsixIndex = args.indexOf('--vsix');
if (vsixIndex >= 0) {
  let file = args[vsixIndex + 1] && !args[vsixIndex + 1].startsWith('--') ? args[vsixIndex + 1] : null;
  if (!file) {
    const dir = join(repoRoot, 'dist-vsix');
    const found = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.vsix')).map((f) => join(dir, f)) : [];
    found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    file = found[0];
    if (!file) fail('--vsix: no dist-vsix/*.vsix; run: npm run package');
  }
  process.env.EDGEPLAN_E2E_VSIX = file;
}

const files = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.test.mjs'))
  .sort()
  .map((f) => new URL(f, import.meta.url).pathname);

let passed = 0;
let failed = 0;
let skipped = 0;
const stream = run({ files, concurrency: 1, timeout: 600_000 });
stream.on('test:pass', (e) => {
  if (e.details?.type === 'suite') return;
  if (e.skip || e.todo) skipped++;
  else passed++;
});
stream.on('test:fail', (e) => {
  if (e.details?.type === 'suite' && e.details?.error?.failureType !== 'hookFailed') return;
  failed++;
});
stream.compose(spec).pipe(process.stdout);
stream.on('end', () => {
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  // let the reporter flush before the summary line
  setTimeout(() => {
    console.log(`\ne2e finished in ${secs} s${skipped ? `, ${skipped} skipped` : ''}`);
    if (args.includes('--update-screenshots') && failed === 0 && passed > 0) {
      const from = join(repoRoot, 'test-artifacts', 'e2e');
      const to = join(repoRoot, 'docs', 'screenshots');
      mkdirSync(to, { recursive: true });
      for (const name of ['analysis-light.png', 'analysis-dark.png', 'planner-light.png', 'planner-dark.png']) {
        // only screenshots this run took (a themes filter or an earlier run may have left older ones)
        if (existsSync(join(from, name)) && statSync(join(from, name)).mtimeMs >= started) copyFileSync(join(from, name), join(to, name));
      }
      console.log(`screenshots copied to ${to}`);
    }
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
  }, 100);
});
