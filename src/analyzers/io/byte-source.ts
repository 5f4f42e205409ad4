/**
 * Random access to bytes, the one interface every reader takes: FileSource (a file on disk, read lazily),
 * BufferSource (bytes already in memory: an inflated zip entry, a test file) and SliceSource (a window of
 * another source: a stored zip entry read in place). Every read is bounds-checked and fails with a
 * ModelFileError naming the file.
 */
import { ModelFileError } from '../errors';

/** Random access to bytes. */
export interface ByteSource {
  readonly file: string;
  readonly size: number;
  read(offset: number, length: number, what?: string): Buffer;
}

/** A ByteSource over a Buffer (an inflated zip entry, a test file). */
export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(readonly file: string, private readonly buf: Buffer) {
    this.size = buf.length;
  }
  read(offset: number, length: number, what = 'data'): Buffer {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new ModelFileError(this.file, `${what} at offset ${offset} with length ${length} lies outside the data (${this.size} bytes): truncated or corrupted`);
    }
    return this.buf.subarray(offset, offset + length);
  }
}

/** A window [base, base+size) of another source (a stored zip entry read in place). */
export class SliceSource implements ByteSource {
  constructor(readonly file: string, private readonly inner: ByteSource, readonly base: number, readonly size: number) {}
  read(offset: number, length: number, what = 'data'): Buffer {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new ModelFileError(this.file, `${what} at offset ${offset} with length ${length} lies outside the entry (${this.size} bytes): truncated or corrupted`);
    }
    return this.inner.read(this.base + offset, length, what);
  }
}
