/**
 * Small file-system helpers shared by the core modules, the CLI and the VS Code layer. No `vscode` import.
 * - readRegularFile: the one way to read a file the user names (a plan, a measurements store, a benchmark log):
 *   only regular files, never more than a size cap, every error one line naming the file. A FIFO, /dev/zero,
 *   /dev/urandom or a symlink to them would otherwise hang or fill memory.
 * - describeFsError: "no such file", "a symlink loop", "permission denied" … for one-line messages.
 * - ensureDir: creates missing folders one level at a time.
 */
import * as fs from 'fs';
import * as path from 'path';

/** A file the user named cannot be used (missing, not a regular file, too large, unreadable); message names it. */
export class FileInputError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'FileInputError';
  }
}

/** What a failed stat/open means, in words ("no such file", "a symlink loop" …). */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'ELOOP':
      return 'a symlink loop (too many levels of symbolic links)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'EISDIR':
      return 'a folder, not a file';
    default:
      return `cannot be read (${code ?? (e as Error)?.message ?? String(e)})`;
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** True when `file` (after symlinks) is a regular file. */
export function isRegularFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Size cap for the small JSON files a user names or a workspace holds (plans, measurement stores). */
export const MAX_JSON_FILE_BYTES = 16 * 1024 * 1024;

export interface ReadRegularOptions {
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** What the file is, for messages ("plan file", "benchmark log"). */
  what: string;
  /**
   * Where the bytes go: a buffer of exactly `size` bytes from the caller (verify reads samples into reused shared
   * memory: shared-input.ts); the result is a view of it. Default: a new buffer.
   */
  alloc?: (size: number) => Buffer;
}

/**
 * The bytes of a regular file of at most `maxBytes`; null when it does not exist and `missingOk`.
 * Opened without blocking and checked on the open descriptor, so a FIFO or device (also behind a symlink, also
 * swapped in after a check) is refused, never read. Throws FileInputError naming the file.
 */
export function readRegularFile(file: string, opts: ReadRegularOptions & { missingOk: true }): Buffer | null;
export function readRegularFile(file: string, opts: ReadRegularOptions & { missingOk?: false }): Buffer;
export function readRegularFile(file: string, opts: ReadRegularOptions & { missingOk?: boolean }): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if (opts.missingOk && (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new FileInputError(file, `${opts.what}: ${describeFsError(e)}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new FileInputError(file, `${opts.what}: ${kindOf(st)}, not a regular file; refused`);
    if (st.size > opts.maxBytes) throw new FileInputError(file, `${opts.what} of ${st.size} bytes is larger than the ${opts.maxBytes}-byte limit; refused`);
    // Read at most maxBytes + 1: a file that grows while we read is caught too.
    const size = Math.min(opts.maxBytes + 1, Math.max(st.size, 0) + 1);
    const buf = opts.alloc ? opts.alloc(size) : Buffer.allocUnsafe(size);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, n);
      if (got <= 0) break;
      n += got;
      if (n === buf.length) break;
    }
    if (n > st.size) throw new FileInputError(file, `${opts.what} grew while it was read; refused`);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof FileInputError) throw e;
    throw new FileInputError(file, `${opts.what}: ${describeFsError(e)}`);
  } finally {
    fs.closeSync(fd);
  }
}

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

/** `to` becomes the same file as `from`: a hard link where the file system allows one, else a copy. */
export function linkOrCopy(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}
