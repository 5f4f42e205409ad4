// One esbuild script for every bundle: extension host, CLI, webviews, measure worker, tests, benchmarks.
// Each bundle builds on its own, so one broken entry does not stop the others; the exit code reports any failure.
import * as esbuild from 'esbuild';
import { readdirSync, existsSync, mkdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const root = new URL('..', import.meta.url).pathname;
const r = (...p) => join(root, ...p);

// Packages that must stay outside the bundle: the VS Code API, the native onnxruntime binding,
// and libraries that load their own data files at run time (pdfkit's font metrics).
const external = ['vscode', 'onnxruntime-node', 'pdfkit', 'playwright-core', '@vscode/test-electron', 'esbuild'];

const node = { platform: 'node', target: 'node20', format: 'cjs', bundle: true, sourcemap: !production, minify: production, external, logLevel: 'warning', legalComments: 'none' };
const browser = { platform: 'browser', target: 'es2022', format: 'iife', bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };

const listTs = (dir) => (existsSync(r(dir)) ? readdirSync(r(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => join(dir, f)) : []);
/** listTs of a folder and of its subfolders (scripts/calibration/...), each file its own bundle at the same relative path. */
const listTsDeep = (dir) => (existsSync(r(dir)) ? [...listTs(dir), ...readdirSync(r(dir), { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => listTsDeep(join(dir, e.name)))] : []);

const builds = [];
const add = (name, options) => builds.push({ name, options });

if (existsSync(r('src/extension.ts'))) add('extension', { ...node, entryPoints: [r('src/extension.ts')], outfile: r('dist/extension.js') });
if (existsSync(r('src/core.ts'))) add('core', { ...node, entryPoints: [r('src/core.ts')], outfile: r('dist/core.js') });
// The CLI's exporters (docx, exceljs, pptxgenjs: three quarters of its code) are their own bundle, dist/export.js,
// which cli.js requires only when a command exports; every other command starts without parsing them.
const exportersApart = {
  name: 'exporters-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/export$/ }, (a) => (a.importer === r('src/cli.ts') ? { path: './export.js', external: true } : undefined));
  },
};
if (existsSync(r('src/cli.ts'))) add('cli', { ...node, entryPoints: [r('src/cli.ts')], outfile: r('dist/cli.js'), plugins: [exportersApart] });
if (existsSync(r('src/export/index.ts'))) add('export', { ...node, entryPoints: [r('src/export/index.ts')], outfile: r('dist/export.js') });
if (existsSync(r('src/measure/worker.ts'))) add('measure-worker', { ...node, entryPoints: [r('src/measure/worker.ts')], outfile: r('dist/measure-worker.js') });
for (const f of listTs('webview')) {
  const base = f.slice('webview/'.length, -3);
  add(`webview:${base}`, { ...browser, entryPoints: [r(f)], outfile: r(`dist/webview/${base}.js`) });
}
if (!production) {
  // One bundle per file, so a test or script that does not compile does not stop the others.
  for (const dir of ['test/unit', 'bench', 'scripts']) {
    for (const f of listTsDeep(dir)) add(f, { ...node, entryPoints: [r(f)], outfile: r(`dist/${f.slice(0, -3)}.js`) });
  }
}

const results = await Promise.allSettled(builds.map((b) => esbuild.build(b.options)));
let failed = 0;
results.forEach((res, i) => {
  if (res.status === 'rejected') {
    failed++;
    console.error(`build ${builds[i].name} failed: ${res.reason?.message ?? res.reason}`);
  }
});
// Webview assets that ship as files (codicons-free: only our CSS and the elements bundle).
mkdirSync(r('dist/webview'), { recursive: true });
if (existsSync(r('media/webview.css'))) cpSync(r('media/webview.css'), r('dist/webview/webview.css'));
// The getting-started walkthrough's sample model ships in the extension (src/host/sample.ts copies it into the workspace).
mkdirSync(r('dist/samples'), { recursive: true });
cpSync(r('samples/tiny-cnn.onnx'), r('dist/samples/tiny-cnn.onnx'));
if (failed) process.exit(1);
