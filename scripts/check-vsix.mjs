// Checks a packaged VSIX (default: the newest dist-vsix/*.vsix) without installing it: the files the extension
// loads are there (production bundles, webviews, icon, the external packages the bundles require, onnxruntime-node's
// Linux x64 binaries, pdfkit's font data), nothing that should stay out is (source maps, tests, the CLI, other
// platforms' binaries, packages already bundled), and it prints the size. Exit code 1 on any problem.
//   node scripts/check-vsix.mjs [file.vsix]
// The zip is read with node:zlib (central directory + inflateRaw), so no unzip tool is needed.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let file = process.argv[2];
if (!file) {
  const dir = join(root, 'dist-vsix');
  const found = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.vsix')).map((f) => join(dir, f)) : [];
  found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  file = found[0];
}
if (!file || !existsSync(file)) {
  console.error('check-vsix: no VSIX given and none in dist-vsix/ (npm run package)');
  process.exit(1);
}

/** name -> { method, compressedSize, size, offset } from the zip's central directory. */
function readZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt central directory');
    const method = buf.readUInt16LE(p + 10);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const offset = buf.readUInt32LE(p + 42);
    entries.set(buf.toString('utf8', p + 46, p + 46 + nameLen), { method, compressedSize, size, offset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function readEntry(buf, e) {
  const nameLen = buf.readUInt16LE(e.offset + 26);
  const extraLen = buf.readUInt16LE(e.offset + 28);
  const start = e.offset + 30 + nameLen + extraLen;
  const data = buf.subarray(start, start + e.compressedSize);
  return e.method === 0 ? data : inflateRawSync(data);
}

const buf = readFileSync(file);
const entries = readZip(buf);
const names = [...entries.keys()];
const text = (name) => readEntry(buf, entries.get(name)).toString('utf8');
const problems = [];
const need = (name) => {
  if (!entries.has(name)) problems.push(`missing ${name}`);
};

const manifest = JSON.parse(text('extension/package.json'));
const bundles = ['extension/dist/extension.js', 'extension/dist/core.js', 'extension/dist/measure-worker.js'];
for (const n of [
  ...bundles,
  'extension/dist/webview/analysis.js',
  'extension/dist/webview/planner.js',
  'extension/dist/webview/comparison.js',
  'extension/dist/webview/webview.css',
  `extension/${manifest.icon}`,
  'extension/LICENSE.txt',
  'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
  'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
  'extension/node_modules/onnxruntime-common/dist/cjs/index.js',
  'extension/node_modules/pdfkit/js/pdfkit.js',
  'extension/node_modules/pdfkit/js/data/Helvetica.afm',
]) {
  need(n);
}
if (!/TargetPlatform="linux-x64"/.test(text('extension.vsixmanifest'))) problems.push('the manifest does not target linux-x64');

for (const n of names) {
  if (n.endsWith('.map')) problems.push(`source map shipped: ${n}`);
  if (/^extension\/dist\/(test|bench|scripts)\//.test(n) || n === 'extension/dist/cli.js' || n === 'extension/dist/export.js') problems.push(`not needed at run time: ${n}`);
  if (/onnxruntime-node\/bin\/napi-v\d+\/(?!linux\/x64\/)/.test(n)) problems.push(`another platform's binary: ${n}`);
  if (/^extension\/node_modules\/(docx|exceljs|pptxgenjs|jszip|playwright-core|esbuild|@vscode)\//.test(n)) problems.push(`bundled or dev-only package shipped: ${n}`);
  if (/^extension\/(src|test|webview|scripts|\.tmp|samples)\//.test(n)) problems.push(`source or test file shipped: ${n}`);
}

// README's relative links and images must resolve inside the VSIX (vsce leaves them relative for non-GitHub repositories).
const readme = names.find((n) => /^extension\/readme\.md$/i.test(n));
if (readme) {
  for (const m of text(readme).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)|<img[^>]+src="([^"]+)"/g)) {
    const link = (m[1] ?? m[2]).split('#')[0];
    if (!link || /^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
    need(`extension/${decodeURI(link).replace(/^\.\//, '')}`);
  }
}

// Every package the bundles require at run time must be in the VSIX (the externals of scripts/build.mjs).
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'vscode']);
const required = new Set();
for (const b of bundles.filter((n) => entries.has(n))) {
  const src = text(b);
  if (/\/\/# sourceMappingURL=/.test(src.slice(-300))) problems.push(`${b} is a development build (it links a source map); was dist/ rebuilt while packaging? run npm run package again`);
  for (const m of src.matchAll(/require\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
    const pkg = m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1].split('/')[0];
    if (!builtins.has(m[1]) && !builtins.has(pkg)) required.add(pkg);
  }
}
for (const pkg of required) need(`extension/node_modules/${pkg}/package.json`);

const mib = (n) => (n / 1048576).toFixed(2);
const unpacked = [...entries.values()].reduce((s, e) => s + e.size, 0);
console.log(`${file}`);
console.log(`  ${mib(buf.length)} MiB (${buf.length} bytes) packed, ${mib(unpacked)} MiB unpacked, ${entries.size} files`);
console.log(`  ${manifest.publisher}.${manifest.name} ${manifest.version}, engines.vscode ${manifest.engines.vscode}, target linux-x64`);
console.log(`  external packages the bundles require: ${[...required].sort().join(', ') || 'none'}`);
if (problems.length) {
  console.error(`check-vsix: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('  ok');
