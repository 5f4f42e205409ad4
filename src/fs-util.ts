/** Small file-system helpers shared by the core modules that write files. No `vscode` import. */
import * as fs from 'fs';
import * as path from 'path';

/**
 * Creates a folder and its missing parents one level at a time. (Node 20's recursive mkdirSync can spin
 * forever on some paths, e.g. under /proc; this fails with the first real error instead.)
 */
export function ensureDir(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let cur = abs;
  for (let i = 0; i < 256; i++) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`${cur} exists and is not a folder`), { code: 'ENOTDIR' });
      break;
    }
    missing.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
