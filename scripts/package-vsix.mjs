// npm run package: the production build, then `vsce package --target linux-x64` into dist-vsix/, then
// scripts/check-vsix.mjs on the result.
// vsce runs in a staging folder (.tmp/vsix-stage: the manifest, docs, media, a copy of the fresh production dist/
// and node_modules as hard links), so a development build written to dist/ while vsce works (tests, watchers,
// other people in the same checkout) cannot end up in the package. .vscodeignore decides what goes in.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const stage = join(root, '.tmp', 'vsix-stage');
const out = join(root, 'dist-vsix');
const BUNDLES = ['extension.js', 'core.js', 'measure-worker.js'];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`package: ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

const isProduction = (file) => existsSync(file) && !/\/\/# sourceMappingURL=/.test(readFileSync(file, 'utf8').slice(-300));

// 1. Production build, copied into the stage straight away; again if a development build overwrote it meanwhile.
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'dist'), { recursive: true });
for (let attempt = 1; ; attempt++) {
  run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--production'], { cwd: root });
  for (const b of BUNDLES) cpSync(join(root, 'dist', b), join(stage, 'dist', b));
  cpSync(join(root, 'dist', 'webview'), join(stage, 'dist', 'webview'), { recursive: true });
  const webview = readdirSync(join(stage, 'dist', 'webview')).filter((f) => f.endsWith('.js')).map((f) => join(stage, 'dist', 'webview', f));
  if ([...BUNDLES.map((b) => join(stage, 'dist', b)), ...webview].every(isProduction)) break;
  if (attempt === 3) {
    console.error('package: dist/ keeps being replaced by a development build while packaging; stop the other build and retry');
    process.exit(1);
  }
  console.log('package: a development build replaced dist/ during the copy; building again');
  rmSync(join(stage, 'dist'), { recursive: true, force: true });
  mkdirSync(join(stage, 'dist'), { recursive: true });
}

// 2. The rest of the extension folder (.vscodeignore picks from it).
for (const f of ['package.json', '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE']) {
  if (existsSync(join(root, f))) cpSync(join(root, f), join(stage, f));
}
cpSync(join(root, 'media'), join(stage, 'media'), { recursive: true });
// vsce asks npm for the production dependency tree, so node_modules must be a real folder: hard links cost nothing.
if (spawnSync('cp', ['-al', join(root, 'node_modules'), join(stage, 'node_modules')]).status !== 0) {
  cpSync(join(root, 'node_modules'), join(stage, 'node_modules'), { recursive: true });
}

cpSync(join(root, 'docs'), join(stage, 'docs'), { recursive: true, filter: (f) => !/\.(tmp|log)$/.test(f) });

// 3. Package and check. vsce rewrites README's relative links to the repository's GitHub/GitLab URL; for any other
// repository host it cannot, so the links stay relative and the files they name ship in the VSIX (.vscodeignore
// keeps docs/*.md and docs/screenshots/*.png), which is where VS Code's extension page resolves them.
mkdirSync(out, { recursive: true });
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const repoUrl = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url ?? '';
const rewriteFlags = /github\.com|gitlab\.com/.test(repoUrl) ? [] : ['--no-rewrite-relative-links'];
run(join(root, 'node_modules', '.bin', 'vsce'), ['package', '--target', 'linux-x64', ...rewriteFlags, '--out', `${out}/`], { cwd: stage });
rmSync(stage, { recursive: true, force: true });
run(process.execPath, [join(root, 'scripts', 'check-vsix.mjs'), join(out, `${manifest.name}-linux-x64-${manifest.version}.vsix`)]);
