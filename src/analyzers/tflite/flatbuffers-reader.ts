/**
 * Reads FlatBuffers tables, vectors and strings in place from a FileSource.
 *
 * Nothing is loaded as a whole: each scalar comes from a small read window, vectors are described by
 * (start, length) and only read element by element when the caller asks. Every offset is checked
 * against the file size, vtables are validated, and a work budget bounds the total number of elements
 * a hostile file can make us visit (many tables may point at the same huge vector).
 * Any inconsistency throws a one-line ModelFileError.
 */
import { ModelFileError } from '../errors';
import { NameBudget } from '../names';
import type { FileSource } from '../io/file-source';

const WINDOW = 64 * 1024;
const WINDOWS = 4;

/**
 * Vector elements and table visits one parse may make, per byte of file, before we call the file hostile.
 * A well-formed file visits each element once (every element occupies at least one byte), so this only
 * trips when many tables share one huge vector or table; it keeps a crafted 100 KB file from costing minutes.
 */
const WORK_PER_BYTE = 16;
const WORK_BASE = 1_000_000;

export class FlatBufferFile {
  /** A few recent read windows (views of the file's cached blocks): tables, vectors and strings of one op lie in different regions. */
  private readonly wins: { start: number; buf: Buffer }[] = [];
  private work = 0;

  private readonly workBudget: number;
  /** Every string decoded counts against this file's budget; names are shortened when absurdly long. */
  readonly names: NameBudget;

  constructor(readonly src: FileSource) {
    this.workBudget = WORK_BASE + WORK_PER_BYTE * src.size;
    this.names = new NameBudget(src.file);
  }

  get size(): number {
    return this.src.size;
  }

  fail(reason: string): never {
    throw new ModelFileError(this.src.file, reason);
  }

  /** Counts `n` units of work; throws when a file makes us do absurdly much. */
  spend(n: number, what: string): void {
    this.work += n;
    if (this.work > this.workBudget) {
      this.fail(`${what}: the file's structure references far more elements than its size allows (hostile or corrupted)`);
    }
  }

  /** Returns a buffer and index such that buf[idx .. idx+length) are the file's bytes at offset. */
  private view(offset: number, length: number, what: string): [Buffer, number] {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.src.size) {
      this.fail(`${what} at offset ${offset} (+${length}) lies outside the file (${this.src.size} bytes): truncated or corrupted`);
    }
    for (const w of this.wins) {
      if (offset >= w.start && offset + length <= w.start + w.buf.length) return [w.buf, offset - w.start];
    }
    if (length > WINDOW / 2) return [this.src.read(offset, length, what), 0];
    const start = Math.floor(offset / WINDOW) * WINDOW;
    const end = Math.min(this.src.size, Math.max(start + WINDOW, offset + length));
    const buf = this.src.read(start, end - start, what);
    this.wins.unshift({ start, buf });
    if (this.wins.length > WINDOWS) this.wins.pop();
    return [buf, offset - start];
  }

  u8(off: number, what = 'byte'): number {
    const [b, i] = this.view(off, 1, what);
    return b.readUInt8(i);
  }
  i8(off: number, what = 'byte'): number {
    const [b, i] = this.view(off, 1, what);
    return b.readInt8(i);
  }
  u16(off: number, what = 'uint16'): number {
    const [b, i] = this.view(off, 2, what);
    return b.readUInt16LE(i);
  }
  i16(off: number, what = 'int16'): number {
    const [b, i] = this.view(off, 2, what);
    return b.readInt16LE(i);
  }
  u32(off: number, what = 'uint32'): number {
    const [b, i] = this.view(off, 4, what);
    return b.readUInt32LE(i);
  }
  i32(off: number, what = 'int32'): number {
    const [b, i] = this.view(off, 4, what);
    return b.readInt32LE(i);
  }
  f32(off: number, what = 'float32'): number {
    const [b, i] = this.view(off, 4, what);
    return b.readFloatLE(i);
  }
  /** A 64-bit integer as a JS number (values beyond 2^53 lose precision; callers check ranges). */
  i64(off: number, what = 'int64'): number {
    const [b, i] = this.view(off, 8, what);
    return Number(b.readBigInt64LE(i));
  }
  u64(off: number, what = 'uint64'): number {
    const [b, i] = this.view(off, 8, what);
    return Number(b.readBigUInt64LE(i));
  }
  bytes(off: number, length: number, what = 'bytes'): Buffer {
    const [b, i] = this.view(off, length, what);
    return b.subarray(i, i + length);
  }

  /** The root table: uoffset at byte 0. */
  root(what: string): Table {
    return this.table(this.u32(0, `${what} root offset`), what);
  }

  /** The table that starts at `pos`, with its vtable validated. */
  table(pos: number, what: string): Table {
    this.spend(1, what);
    const vtable = pos - this.i32(pos, `${what} vtable offset`);
    if (vtable < 0 || vtable + 4 > this.size) this.fail(`${what}: vtable at ${vtable} lies outside the file (${this.size} bytes)`);
    const vtableSize = this.u16(vtable, `${what} vtable size`);
    const tableSize = this.u16(vtable + 2, `${what} table size`);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > this.size) {
      this.fail(`${what}: vtable at ${vtable} has an invalid size ${vtableSize}`);
    }
    if (tableSize < 4 || pos + tableSize > this.size) {
      this.fail(`${what}: table at ${pos} with size ${tableSize} runs past the end of the file`);
    }
    return new Table(this, pos, vtable, (vtableSize - 4) / 2, tableSize, what);
  }
}

/** Description of a vector: where its elements start and how many there are. */
export interface VectorRef {
  start: number;
  length: number;
}

export class Table {
  constructor(
    readonly fb: FlatBufferFile,
    readonly pos: number,
    private readonly vtable: number,
    private readonly fieldCount: number,
    private readonly tableSize: number,
    readonly what: string,
  ) {}

  /** Absolute position of field `id`, or 0 when absent. */
  field(id: number, size: number): number {
    if (id >= this.fieldCount) return 0;
    const rel = this.fb.u16(this.vtable + 4 + 2 * id, `${this.what} vtable entry`);
    if (rel === 0) return 0;
    if (rel + size > this.tableSize) this.fb.fail(`${this.what}: field ${id} at +${rel} lies outside its table (${this.tableSize} bytes)`);
    return this.pos + rel;
  }

  has(id: number): boolean {
    return this.field(id, 1) !== 0;
  }

  u8(id: number, def = 0): number {
    const p = this.field(id, 1);
    return p ? this.fb.u8(p) : def;
  }
  i8(id: number, def = 0): number {
    const p = this.field(id, 1);
    return p ? this.fb.i8(p) : def;
  }
  bool(id: number, def = false): boolean {
    const p = this.field(id, 1);
    return p ? this.fb.u8(p) !== 0 : def;
  }
  i32(id: number, def = 0): number {
    const p = this.field(id, 4);
    return p ? this.fb.i32(p) : def;
  }
  u32(id: number, def = 0): number {
    const p = this.field(id, 4);
    return p ? this.fb.u32(p) : def;
  }
  f32(id: number, def = 0): number {
    const p = this.field(id, 4);
    return p ? this.fb.f32(p) : def;
  }
  u64(id: number, def = 0): number {
    const p = this.field(id, 8);
    return p ? this.fb.u64(p) : def;
  }
  i64(id: number, def = 0): number {
    const p = this.field(id, 8);
    return p ? this.fb.i64(p) : def;
  }

  /** Follows the uoffset stored in field `id`; returns the absolute target or 0 when absent. */
  private target(id: number, what: string): number {
    const p = this.field(id, 4);
    if (!p) return 0;
    const t = p + this.fb.u32(p, what);
    if (t >= this.fb.size) this.fb.fail(`${what} points to offset ${t}, past the end of the file (${this.fb.size} bytes)`);
    return t;
  }

  table(id: number, what: string): Table | null {
    const t = this.target(id, what);
    return t ? this.fb.table(t, what) : null;
  }

  /** A vector of `elemSize`-byte elements, bounds-checked; null when the field is absent. */
  vector(id: number, elemSize: number, what: string): VectorRef | null {
    const t = this.target(id, what);
    if (!t) return null;
    const length = this.fb.u32(t, `${what} length`);
    const start = t + 4;
    if (start + length * elemSize > this.fb.size) {
      this.fb.fail(`${what} claims ${length} elements (${length * elemSize} bytes) at offset ${start}, past the end of the file (${this.fb.size} bytes)`);
    }
    return { start, length };
  }

  string(id: number, what: string, maxBytes: number): string | null {
    const v = this.vector(id, 1, what);
    if (!v) return null;
    if (v.length > maxBytes) this.fb.fail(`${what} is ${v.length} bytes long, more than the ${maxBytes} allowed`);
    this.fb.names.spend(v.length, what);
    return this.fb.bytes(v.start, v.length, what).toString('utf8');
  }

  /** A name (tensor, subgraph): a string, shortened when absurdly long (names.ts). */
  name(id: number, what: string, maxBytes: number): string | null {
    const s = this.string(id, what, maxBytes);
    return s === null ? null : this.fb.names.name(s, what, true);
  }

  /** Reads an int32 vector fully (bounded by `max` elements). */
  i32s(id: number, what: string, max: number): number[] | null {
    const v = this.vector(id, 4, what);
    if (!v) return null;
    if (v.length > max) this.fb.fail(`${what} has ${v.length} entries, more than the ${max} allowed`);
    this.fb.spend(v.length, what);
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.fb.i32(v.start + 4 * i, what);
    return out;
  }

  f32s(id: number, what: string, max: number): number[] | null {
    const v = this.vector(id, 4, what);
    if (!v) return null;
    if (v.length > max) this.fb.fail(`${what} has ${v.length} entries, more than the ${max} allowed`);
    this.fb.spend(v.length, what);
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.fb.f32(v.start + 4 * i, what);
    return out;
  }

  i64s(id: number, what: string, max: number): number[] | null {
    const v = this.vector(id, 8, what);
    if (!v) return null;
    if (v.length > max) this.fb.fail(`${what} has ${v.length} entries, more than the ${max} allowed`);
    this.fb.spend(v.length, what);
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.fb.i64(v.start + 8 * i, what);
    return out;
  }

  /** The i-th table of a vector of tables. */
  tableAt(v: VectorRef, i: number, what: string): Table {
    const slot = v.start + 4 * i;
    const t = slot + this.fb.u32(slot, what);
    if (t >= this.fb.size) this.fb.fail(`${what} points to offset ${t}, past the end of the file (${this.fb.size} bytes)`);
    return this.fb.table(t, what);
  }
}
