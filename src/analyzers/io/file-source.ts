/**
 * Random access to a model file without loading it: readers ask for byte ranges; weights are never read
 * just to be counted. Every read is bounds-checked against the file size and fails with a ModelFileError.
 * A small block cache makes many small reads (protobuf tags, FlatBuffers tables) cheap: a read inside one
 * cached block is a view of that block, not a copy (as BufferSource's reads are views), so callers treat
 * the bytes they get as read-only.
 */
import * as fs from 'fs';
import { ModelFileError } from '../errors';
import type { ByteSource } from './byte-source';

const BLOCK = 64 * 1024;
const MAX_CACHED_BLOCKS = 64; // 4 MiB

export class FileSource implements ByteSource {
  readonly size: number;
  private readonly fd: number;
  private readonly cache = new Map<number, Buffer>();
  /** Bytes actually read from disk, for the benchmark's "reads only what it needs" figure. */
  bytesRead = 0;
  private closed = false;

  constructor(readonly file: string) {
    // Opened without blocking and checked on the descriptor: a FIFO or device swapped in for the file is refused.
    this.fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(this.fd);
    if (!st.isFile()) {
      fs.closeSync(this.fd);
      throw new ModelFileError(file, 'not a regular file');
    }
    this.size = st.size;
  }

  /** Throws a ModelFileError naming the file unless [offset, offset+length) lies inside it. */
  check(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new ModelFileError(this.file, `${what} at offset ${offset} with length ${length} lies outside the file (${this.size} bytes): truncated or corrupted`);
    }
  }

  /** The bytes [offset, offset+length): a view of a cached block when they lie in one, else a fresh buffer. Read-only. */
  read(offset: number, length: number, what = 'data'): Buffer {
    this.check(offset, length, what);
    if (length === 0) return Buffer.alloc(0);
    const first = Math.floor(offset / BLOCK);
    const last = Math.floor((offset + length - 1) / BLOCK);
    if (first === last) {
      const start = offset - first * BLOCK;
      return this.block(first).subarray(start, start + length);
    }
    if (last - first >= 4) return this.readDirect(offset, length);
    const out = Buffer.allocUnsafe(length);
    let written = 0;
    for (let b = first; b <= last; b++) {
      const block = this.block(b);
      const start = b === first ? offset - b * BLOCK : 0;
      const end = Math.min(block.length, offset + length - b * BLOCK);
      block.copy(out, written, start, end);
      written += end - start;
    }
    return out;
  }

  private readDirect(offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, out, done, length - done, offset + done);
      if (n <= 0) throw new ModelFileError(this.file, `unexpected end of file at offset ${offset + done}`);
      done += n;
    }
    this.bytesRead += length;
    return out;
  }

  private block(index: number): Buffer {
    let b = this.cache.get(index);
    if (b) {
      this.cache.delete(index);
      this.cache.set(index, b);
      return b;
    }
    const start = index * BLOCK;
    b = this.readDirect(start, Math.min(BLOCK, this.size - start));
    this.cache.set(index, b);
    if (this.cache.size > MAX_CACHED_BLOCKS) this.cache.delete(this.cache.keys().next().value as number);
    return b;
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      fs.closeSync(this.fd);
    }
  }
}

/** Opens a FileSource, runs fn, always closes it. */
export async function withFileSource<T>(file: string, fn: (src: FileSource) => Promise<T> | T): Promise<T> {
  const src = new FileSource(file);
  try {
    return await fn(src);
  } finally {
    src.close();
  }
}
