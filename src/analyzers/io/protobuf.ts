/**
 * Protocol Buffers wire-format reader that walks messages lazily over a byte source (a FileSource, or an
 * in-memory Buffer through BufferSource). It never decodes a length-delimited field unless asked:
 * each field comes back with its absolute offset and length, so callers skip huge `bytes` fields (ONNX
 * raw_data, Core ML weights) without reading them.
 *
 * Everything is bounded: a length that runs past its enclosing message or the file, a malformed varint,
 * a group wire type or nesting deeper than the limit throws a ModelFileError; every loop advances by at
 * least one byte inside a finite range.
 */
import { LIMITS, ModelFileError } from '../errors';
import { NameBudget } from '../names';

export { type ByteSource, BufferSource } from './byte-source';
import type { ByteSource } from './byte-source';

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

/** One field occurrence inside a message. */
export interface ProtoField {
  field: number;
  wire: WireType;
  /** Absolute offset of the field's payload (after tag, and after the length prefix for wire type 2). */
  offset: number;
  /** Payload length in bytes: the declared length for wire type 2, 8 / 4 for fixed, varint byte count for varints. */
  length: number;
  /** Varint payload as a signed 64-bit value (exact up to 2^53; int64 negatives like -1 come back negative). */
  varint: number;
}

/** A byte range holding one message, and how deep it is nested (for the depth bound). */
export interface MessageRange {
  start: number;
  end: number;
  depth: number;
}

const WINDOW = 64 * 1024;
/** Nesting bound for messages walked through ProtoReader.message (ONNX graphs nest ~8 levels per subgraph). */
export const MAX_MESSAGE_DEPTH = LIMITS.maxSubgraphDepth * 10;

export class ProtoReader {
  private win: Buffer = Buffer.alloc(0);
  private winStart = 0;
  /** Fields visited so far; bounded so a hostile file cannot keep us busy forever. */
  private visited = 0;
  private readonly maxFields: number;
  /** Offset after the varint `varint()` decoded last (no tuple per varint on the hot path). */
  private varintEnd = 0;
  /** Every string decoded counts against this file's budget; names are shortened when absurdly long. */
  readonly names: NameBudget;

  constructor(
    readonly src: ByteSource,
    opts: { maxFields?: number } = {},
  ) {
    this.maxFields = opts.maxFields ?? 200_000_000;
    this.names = new NameBudget(src.file);
  }

  get file(): string {
    return this.src.file;
  }

  /** The whole source as the top-level message. */
  root(): MessageRange {
    return { start: 0, end: this.src.size, depth: 0 };
  }

  fail(reason: string): never {
    throw new ModelFileError(this.src.file, reason);
  }

  /** The sub-message held by a length-delimited field. */
  message(f: ProtoField, what = 'message', parent?: MessageRange): MessageRange {
    if (f.wire !== WireType.LengthDelimited) this.fail(`${what} (field ${f.field}) has wire type ${f.wire}, expected a length-delimited message: corrupted`);
    const depth = (parent?.depth ?? 0) + 1;
    if (depth > MAX_MESSAGE_DEPTH) this.fail(`${what} nested deeper than ${MAX_MESSAGE_DEPTH} levels: refusing`);
    return { start: f.offset, end: f.offset + f.length, depth };
  }

  /** Iterates the fields of a message range in file order. */
  *fields(m: MessageRange, what = 'message'): Generator<ProtoField> {
    this.checkRange(m, what);
    for (let pos = m.start; pos < m.end; ) {
      const f: ProtoField = { field: 0, wire: WireType.Varint, offset: 0, length: 0, varint: 0 };
      pos = this.nextField(pos, m.end, what, f);
      yield f;
    }
  }

  /**
   * Calls `visit` for each field of a message range in file order, with one field object reused for every
   * call (copy it to keep it): the allocation-free walk for hot paths (a million ONNX nodes).
   */
  each(m: MessageRange, what: string, visit: (f: ProtoField) => void): void {
    this.checkRange(m, what);
    const f: ProtoField = { field: 0, wire: WireType.Varint, offset: 0, length: 0, varint: 0 };
    for (let pos = m.start; pos < m.end; ) {
      pos = this.nextField(pos, m.end, what, f);
      visit(f);
    }
  }

  private checkRange(m: MessageRange, what: string): void {
    if (m.end > this.src.size || m.start < 0 || m.start > m.end) this.fail(`${what} at offset ${m.start} runs past the end of the file`);
  }

  /** Decodes the field starting at `pos` (before `end`) into `f`; returns the offset after it. */
  private nextField(pos: number, end: number, what: string, f: ProtoField): number {
    if (++this.visited > this.maxFields) this.fail(`more than ${this.maxFields} protobuf fields: refusing`);
    const tagStart = pos;
    const tag = this.varint(pos, end, what);
    pos = this.varintEnd;
    const field = Math.floor(tag / 8);
    const wire = (tag % 8) as WireType;
    if (field <= 0 || field > 536_870_911) this.fail(`${what}: invalid field number ${field} at offset ${tagStart}: corrupted`);
    f.field = field;
    f.wire = wire;
    f.varint = 0;
    switch (wire) {
      case WireType.Varint: {
        f.varint = this.varint(pos, end, what);
        f.offset = pos;
        f.length = this.varintEnd - pos;
        return this.varintEnd;
      }
      case WireType.Fixed64:
        if (pos + 8 > end) this.fail(`${what}: 8-byte field ${field} at offset ${pos} runs past its end: truncated or corrupted`);
        f.offset = pos;
        f.length = 8;
        return pos + 8;
      case WireType.Fixed32:
        if (pos + 4 > end) this.fail(`${what}: 4-byte field ${field} at offset ${pos} runs past its end: truncated or corrupted`);
        f.offset = pos;
        f.length = 4;
        return pos + 4;
      case WireType.LengthDelimited: {
        const len = this.varint(pos, end, what);
        const after = this.varintEnd;
        if (len < 0 || after + len > end) {
          this.fail(`${what}: field ${field} at offset ${tagStart} declares ${len} bytes but only ${end - after} remain: truncated or corrupted`);
        }
        f.offset = after;
        f.length = len;
        return after + len;
      }
      default:
        return this.fail(`${what}: unsupported protobuf wire type ${wire} (field ${field}) at offset ${tagStart}: corrupted`);
    }
  }

  /** Bytes of a length-delimited field (bounded by LIMITS.maxStringBytes unless a larger cap is given). */
  bytes(f: ProtoField, what = 'bytes', cap: number = LIMITS.maxStringBytes): Buffer {
    if (f.wire !== WireType.LengthDelimited) this.fail(`${what} (field ${f.field}) has wire type ${f.wire}, expected bytes: corrupted`);
    if (f.length > cap) this.fail(`${what} is ${f.length} bytes, more than the ${cap}-byte limit`);
    return this.src.read(f.offset, f.length, what);
  }

  string(f: ProtoField, what = 'string'): string {
    if (f.wire !== WireType.LengthDelimited) this.fail(`${what} (field ${f.field}) has wire type ${f.wire}, expected a string: corrupted`);
    if (f.length > LIMITS.maxStringBytes) this.fail(`${what} is ${f.length} bytes, more than the ${LIMITS.maxStringBytes}-byte limit`);
    this.names.spend(f.length, what);
    // Short strings decode from the read window (no copy); long ones are read directly.
    return f.length <= WINDOW ? this.view(f.offset, f.length, what).toString('utf8') : this.src.read(f.offset, f.length, what).toString('utf8');
  }

  /** A name (tensor, node, op, key): a string, shortened when absurdly long (names.ts). */
  name(f: ProtoField, what = 'name'): string {
    return this.names.name(this.string(f, what), what, true);
  }

  /** Value of a scalar integer field (varint). */
  int(f: ProtoField, what = 'integer'): number {
    if (f.wire === WireType.Varint) return f.varint;
    if (f.wire === WireType.Fixed32) return this.view(f.offset, 4, what).readInt32LE(0);
    if (f.wire === WireType.Fixed64) return Number(this.view(f.offset, 8, what).readBigInt64LE(0));
    this.fail(`${what} (field ${f.field}) has wire type ${f.wire}, expected an integer: corrupted`);
  }

  float32(f: ProtoField, what = 'float'): number {
    if (f.wire !== WireType.Fixed32) this.fail(`${what} (field ${f.field}) has wire type ${f.wire}, expected a 32-bit float: corrupted`);
    return this.view(f.offset, 4, what).readFloatLE(0);
  }

  float64(f: ProtoField, what = 'double'): number {
    if (f.wire !== WireType.Fixed64) this.fail(`${what} (field ${f.field}) has wire type ${f.wire}, expected a 64-bit float: corrupted`);
    return this.view(f.offset, 8, what).readDoubleLE(0);
  }

  /**
   * Appends the values of a repeated integer field occurrence to `out`: packed (wire type 2) or one
   * unpacked value. Stops with an error once `out` would exceed `max` values.
   */
  ints(f: ProtoField, out: number[], max: number, what = 'integers'): number[] {
    if (f.wire === WireType.LengthDelimited) {
      let pos = f.offset;
      const end = f.offset + f.length;
      while (pos < end) {
        if (out.length >= max) this.fail(`${what}: more than ${max} values: refusing`);
        out.push(this.varint(pos, end, what));
        pos = this.varintEnd;
      }
      return out;
    }
    if (out.length >= max) this.fail(`${what}: more than ${max} values: refusing`);
    out.push(this.int(f, what));
    return out;
  }

  /** Like ints, for repeated float (fixed32) fields, packed or not. */
  floats(f: ProtoField, out: number[], max: number, what = 'floats'): number[] {
    if (f.wire === WireType.LengthDelimited) {
      if (f.length % 4 !== 0) this.fail(`${what}: packed float field of ${f.length} bytes is not a multiple of 4: corrupted`);
      const n = f.length / 4;
      if (out.length + n > max) this.fail(`${what}: more than ${max} values: refusing`);
      const b = this.src.read(f.offset, f.length, what);
      for (let i = 0; i < n; i++) out.push(b.readFloatLE(i * 4));
      return out;
    }
    if (out.length >= max) this.fail(`${what}: more than ${max} values: refusing`);
    out.push(this.float32(f, what));
    return out;
  }

  /** Like floats, for repeated double (fixed64) fields. */
  doubles(f: ProtoField, out: number[], max: number, what = 'doubles'): number[] {
    if (f.wire === WireType.LengthDelimited) {
      if (f.length % 8 !== 0) this.fail(`${what}: packed double field of ${f.length} bytes is not a multiple of 8: corrupted`);
      const n = f.length / 8;
      if (out.length + n > max) this.fail(`${what}: more than ${max} values: refusing`);
      const b = this.src.read(f.offset, f.length, what);
      for (let i = 0; i < n; i++) out.push(b.readDoubleLE(i * 8));
      return out;
    }
    if (out.length >= max) this.fail(`${what}: more than ${max} values: refusing`);
    out.push(this.float64(f, what));
    return out;
  }

  /** Number of values in a repeated numeric field occurrence, without decoding floats (varints are scanned). */
  countValues(f: ProtoField, elementBytes: 4 | 8 | 'varint', what = 'values'): number {
    if (f.wire !== WireType.LengthDelimited) return 1;
    if (elementBytes !== 'varint') return Math.floor(f.length / elementBytes);
    // Varint count = bytes without the continuation bit; scan in windows (bounded by f.length).
    let n = 0;
    const end = f.offset + f.length;
    for (let pos = f.offset; pos < end; ) {
      const take = Math.min(WINDOW, end - pos);
      const b = this.src.read(pos, take, what);
      for (let i = 0; i < take; i++) if ((b[i] & 0x80) === 0) n++;
      pos += take;
    }
    return n;
  }

  /** Decodes one varint at an absolute offset; returns [value, offset after]. */
  varintAt(pos: number, end: number, what: string): [number, number] {
    const v = this.varint(pos, end, what);
    return [v, this.varintEnd];
  }

  /** Decodes one varint at an absolute offset (signed 64-bit, exact up to 2^53); sets varintEnd. */
  private varint(pos: number, end: number, what: string): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) this.fail(`${what}: varint at offset ${pos} runs past its end: truncated or corrupted`);
      const b = this.byteAt(pos++);
      if (i < 4) lo |= (b & 0x7f) << shift;
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x70) >>> 4;
      } else hi |= (b & 0x7f) << (3 + (i - 5) * 7);
      shift += 7;
      if ((b & 0x80) === 0) {
        this.varintEnd = pos;
        lo >>>= 0;
        if (hi & 0x80000000) {
          // Negative int64 (two's complement).
          const nlo = ~lo >>> 0;
          const nhi = ~hi >>> 0;
          return -(nhi * 4294967296 + nlo + 1);
        }
        return (hi >>> 0) * 4294967296 + lo;
      }
    }
    return this.fail(`${what}: varint at offset ${pos - 10} is longer than 10 bytes: corrupted`);
  }

  private byteAt(pos: number): number {
    if (pos < this.winStart || pos >= this.winStart + this.win.length) this.load(pos, 1);
    return this.win[pos - this.winStart];
  }

  private view(offset: number, length: number, what: string): Buffer {
    if (offset < this.winStart || offset + length > this.winStart + this.win.length) this.load(offset, length, what);
    return this.win.subarray(offset - this.winStart, offset - this.winStart + length);
  }

  private load(pos: number, need: number, what = 'protobuf data'): void {
    if (pos + need > this.src.size) this.fail(`${what} at offset ${pos} runs past the end of the file (${this.src.size} bytes): truncated`);
    // Windows are aligned to 64 KiB so they coincide with FileSource's cache blocks (one block per touch).
    const start = need <= WINDOW ? pos - (pos % WINDOW) : pos;
    const len = Math.min(Math.max(WINDOW, pos - start + need), this.src.size - start);
    this.win = this.src.read(start, len, what);
    this.winStart = start;
  }
}
