/**
 * Writing an exported document safely: never over an existing file unless asked (ExportExistsError), and always
 * atomically — the bytes go to a temporary file in the same folder, which then replaces the target in one rename,
 * so a reader never sees half a document and a failed export leaves the old file as it was. No `vscode` import.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';

/** The target file exists and `force` was not given. The CLI maps it to exit code 1. */
export class ExportExistsError extends Error {
  constructor(readonly file: string) {
    super(`${file} already exists; use --force to overwrite it`);
    this.name = 'ExportExistsError';
  }
}

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes `data` to `file` atomically. Without `force`, fails with ExportExistsError when `file` exists, also when
 * it appears between the check and the write (hard-link publish fails on an existing name).
 */
export function writeFileAtomic(file: string, data: Buffer, opts: { force?: boolean } = {}): void {
  if (!opts.force && fs.existsSync(file)) throw new ExportExistsError(file);
  const tmp = tempName(file);
  fs.writeFileSync(tmp, data, { flag: 'wx' });
  try {
    if (opts.force) {
      fs.renameSync(tmp, file);
      return;
    }
    try {
      // link() refuses an existing name: no window in which another writer's file could be replaced.
      fs.linkSync(tmp, file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new ExportExistsError(file);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw e;
      // File systems without hard links: check again and rename.
      if (fs.existsSync(file)) throw new ExportExistsError(file);
      fs.renameSync(tmp, file);
      return;
    }
    fs.unlinkSync(tmp);
  } finally {
    if (fs.existsSync(tmp)) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* best effort */
      }
    }
  }
}
