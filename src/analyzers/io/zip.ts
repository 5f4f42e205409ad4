/**
 * A safe, read-only zip reader: the central directory (zip64 too) tells every entry's name and sizes, so
 * weight entries (PyTorch data/0, data/1 ...) are never read to be counted. Small entries (pickles, JSON
 * configs) are read on request; inflating is capped by the declared size, by LIMITS.maxInflatedBytes and by a
 * compression-ratio limit, so a zip bomb is refused instead of filling memory.
 */
import * as zlib from 'zlib';
import { LIMITS, ModelFileError } from '../errors';
import { shortName } from '../names';

export { type ByteSource, BufferSource, SliceSource } from './byte-source';
import { type ByteSource, BufferSource, SliceSource } from './byte-source';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate; others are refused when read. */
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

/** Most entries we accept in one archive. */
export const MAX_ZIP_ENTRIES = 200_000;
/** Largest inflated/compressed ratio accepted for an entry bigger than 1 MiB (deflate's real maximum is ~1032). */
export const MAX_COMPRESSION_RATIO = 1100;

/** True when the bytes start like a zip archive (a local file header, or an empty archive's end record). */
export function looksLikeZip(head: Buffer): boolean {
  return head.length >= 4 && (head.readUInt32LE(0) === SIG_LOCAL || head.readUInt32LE(0) === SIG_EOCD);
}

export class ZipArchive {
  /** Entries by name; long names are keyed by their short unique form (names.ts: V8 hashes long strings by length). */
  private readonly byName = new Map<string, ZipEntry>();

  private constructor(
    readonly src: ByteSource,
    readonly entries: ZipEntry[],
  ) {
    for (const e of entries) {
      const key = shortName(e.name);
      if (!this.byName.has(key)) this.byName.set(key, e);
    }
  }

  get file(): string {
    return this.src.file;
  }

  private fail(reason: string): never {
    throw new ModelFileError(this.src.file, reason);
  }

  /** Reads the end record and the central directory. Throws ModelFileError when they are missing or inconsistent. */
  static open(src: ByteSource): ZipArchive {
    const fail: (reason: string) => never = (reason) => {
      throw new ModelFileError(src.file, reason);
    };
    if (src.size < 22) fail(`zip archive too short (${src.size} bytes) to hold an end-of-central-directory record`);
    // The end record is in the last 22 + 65535 bytes (its comment is at most 65535 bytes).
    const tailLen = Math.min(src.size, 22 + 65535);
    const tailStart = src.size - tailLen;
    const tail = src.read(tailStart, tailLen, 'zip end record');
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === SIG_EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) fail('not a complete zip archive: end-of-central-directory record not found (truncated?)');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      // zip64: a locator sits just before the end record and points at the zip64 end record.
      const locPos = tailStart + eocd - 20;
      if (locPos < 0) fail('zip64 archive without its zip64 end-record locator');
      const loc = src.read(locPos, 20, 'zip64 locator');
      if (loc.readUInt32LE(0) !== SIG_ZIP64_LOCATOR) fail('zip64 archive without its zip64 end-record locator');
      const z64Pos = readU64(loc, 8, src.file, 'zip64 end record offset');
      const z64 = src.read(z64Pos, 56, 'zip64 end record');
      if (z64.readUInt32LE(0) !== SIG_ZIP64_EOCD) fail(`zip64 end record signature missing at offset ${z64Pos}`);
      count = readU64(z64, 32, src.file, 'zip64 entry count');
      cdSize = readU64(z64, 40, src.file, 'zip64 central directory size');
      cdOffset = readU64(z64, 48, src.file, 'zip64 central directory offset');
    }
    if (count > MAX_ZIP_ENTRIES) fail(`zip archive claims ${count} entries (limit ${MAX_ZIP_ENTRIES})`);
    if (cdSize > LIMITS.maxHeaderBytes) fail(`zip central directory of ${cdSize} bytes is larger than the ${LIMITS.maxHeaderBytes}-byte limit`);
    if (cdOffset + cdSize > src.size) fail(`zip central directory (offset ${cdOffset}, ${cdSize} bytes) lies outside the file (${src.size} bytes): truncated`);
    const cd = src.read(cdOffset, cdSize, 'zip central directory');
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) fail(`zip central directory entry ${i} is damaged (offset ${cdOffset + p})`);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > cd.length) fail(`zip central directory entry ${i} runs past the directory's end`);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      // zip64 extended information: the 64-bit values appear in this order, only for fields saturated above.
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = cd.readUInt16LE(x);
        const len = cd.readUInt16LE(x + 2);
        if (x + 4 + len > xEnd) break;
        if (id === 0x0001) {
          let q = x + 4;
          const take = (what: string): number => {
            if (q + 8 > x + 4 + len) fail(`zip64 extra field of entry "${name}" is too short for its ${what}`);
            const v = readU64(cd, q, src.file, what);
            q += 8;
            return v;
          };
          if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
          if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
        }
        x += 4 + len;
      }
      if (localHeaderOffset + 30 > src.size) fail(`zip entry "${name}" starts at offset ${localHeaderOffset}, past the end of the file (${src.size} bytes)`);
      if (compressedSize > src.size) fail(`zip entry "${name}" claims ${compressedSize} compressed bytes in a ${src.size}-byte file`);
      if (method === 0 && compressedSize !== uncompressedSize) fail(`stored zip entry "${name}" has different compressed (${compressedSize}) and uncompressed (${uncompressedSize}) sizes`);
      entries.push({ name, method, flags, compressedSize, uncompressedSize, localHeaderOffset });
      p = end;
    }
    return new ZipArchive(src, entries);
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(shortName(name));
  }

  /** Absolute offset where the entry's (compressed) bytes start, from its local header. */
  dataOffset(e: ZipEntry): number {
    const h = this.src.read(e.localHeaderOffset, 30, `local header of "${e.name}"`);
    if (h.readUInt32LE(0) !== SIG_LOCAL) this.fail(`local header of zip entry "${e.name}" is missing at offset ${e.localHeaderOffset}`);
    const start = e.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (start + e.compressedSize > this.src.size) {
      this.fail(`zip entry "${e.name}" (${e.compressedSize} bytes at offset ${start}) runs past the end of the file (${this.src.size} bytes): truncated`);
    }
    return start;
  }

  private checkReadable(e: ZipEntry, maxBytes: number): void {
    if (e.flags & 1) this.fail(`zip entry "${e.name}" is encrypted`);
    if (e.method !== 0 && e.method !== 8) this.fail(`zip entry "${e.name}" uses compression method ${e.method} (only stored and deflate are supported)`);
    if (e.uncompressedSize > maxBytes) this.fail(`zip entry "${e.name}" would inflate to ${e.uncompressedSize} bytes (limit ${maxBytes}): refused`);
    if (e.method === 8 && e.uncompressedSize > 1024 * 1024 && e.uncompressedSize > e.compressedSize * MAX_COMPRESSION_RATIO) {
      this.fail(`zip entry "${e.name}" has an implausible compression ratio (${e.compressedSize} → ${e.uncompressedSize} bytes): zip bomb refused`);
    }
  }

  /** The entry's bytes, inflated when needed; never more than maxBytes (default LIMITS.maxInflatedBytes). */
  read(e: ZipEntry, maxBytes: number = LIMITS.maxInflatedBytes): Buffer {
    this.checkReadable(e, maxBytes);
    const start = this.dataOffset(e);
    const raw = this.src.read(start, e.compressedSize, `zip entry "${e.name}"`);
    if (e.method === 0) return raw;
    let out: Buffer;
    try {
      // maxOutputLength caps the work even if the declared size lies; +1 so an over-long stream is detected.
      out = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.uncompressedSize + 1) });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        this.fail(`zip entry "${e.name}" inflates to more than its declared ${e.uncompressedSize} bytes: refused`);
      }
      this.fail(`zip entry "${e.name}" cannot be inflated: ${(err as Error).message}`);
    }
    if (out.length !== e.uncompressedSize) {
      this.fail(`zip entry "${e.name}" inflates to ${out.length} bytes, not the declared ${e.uncompressedSize}: corrupted`);
    }
    return out;
  }

  /**
   * A ByteSource over the entry: in place for a stored entry (nothing is read now), inflated into memory
   * (within the limits) for a deflated one.
   */
  open(e: ZipEntry, maxBytes: number = LIMITS.maxInflatedBytes): ByteSource {
    const label = `${this.src.file}!${e.name}`;
    if (e.method === 0) {
      this.checkReadable(e, Number.MAX_SAFE_INTEGER);
      return new SliceSource(label, this.src, this.dataOffset(e), e.compressedSize);
    }
    return new BufferSource(label, this.read(e, maxBytes));
  }
}

function readU64(b: Buffer, off: number, file: string, what: string): number {
  const v = b.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelFileError(file, `${what} ${v} is absurd: corrupted zip`);
  return Number(v);
}

/** File-supplied text made safe for a one-line message: control characters replaced, length capped. */
export function oneLine(text: string, max = 400): string {
  // eslint-disable-next-line no-control-regex
  const s = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, '�');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Runs a reader and keeps its ModelFileError messages on one line whatever names the file supplied
 * (tensor names, keys and layer names end up in messages).
 */
export function withOneLineErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ModelFileError) {
      const r = oneLine(e.reason);
      if (r !== e.reason) throw new ModelFileError(e.file, r);
    }
    throw e;
  }
}
