/**
 * One list of model extensions (src/model-files.ts): the Explorer menus in package.json offer exactly those
 * files and the .mlpackage folders, and the message that names the kinds of model names every one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { MODEL_EXTENSIONS, MODEL_FOLDER_EXTENSIONS, MODEL_KINDS } from '../../src/model-files';

test('package.json menus and the "which models" message follow the one list of model extensions', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
  const whens: string[] = Object.values(pkg.contributes.menus as Record<string, { when?: string }[]>).flat().map((m) => m.when ?? '').filter((w) => w.includes('resourceExtname'));
  assert.ok(whens.length >= 2, 'the Explorer context menu entries');
  for (const w of whens) {
    const files = /resourceExtname =~ \/\^\\\.\(([^)]+)\)\$\/i/.exec(w);
    assert.ok(files, w);
    assert.deepEqual(files[1].split('|').map((e) => `.${e}`), MODEL_EXTENSIONS, w);
    for (const f of MODEL_FOLDER_EXTENSIONS) assert.ok(w.includes(`explorerResourceIsFolder && resourceExtname == ${f}`), w);
  }
  for (const e of [...MODEL_EXTENSIONS, ...MODEL_FOLDER_EXTENSIONS]) assert.ok(MODEL_KINDS.includes(e), e);
});
