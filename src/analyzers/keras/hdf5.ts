/**
 * A small read-only HDF5 reader: enough of the format to list groups, datasets (shape, type, storage size and
 * offset) and attributes, which is what Keras .h5 files and .keras model.weights.h5 need. Dataset values are
 * never read. Supports superblock v0-v3, object headers v1 and v2, old-style groups (symbol table: B-tree v1 +
 * local heap + symbol nodes) and compact new-style groups (link messages). Dense new-style groups (fractal
 * heap) and dense attribute storage are reported as unsupported. Everything is bounded; bad structure gives a
 * ModelFileError naming the file and the problem.
 */
import { LIMITS, ModelFileError } from '../errors';
import type { Precision } from '../graph';
import type { ByteSource } from '../io/zip';

export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface H5Type {
  /** HDF5 class: 0 fixed-point, 1 float, 3 string, 6 compound, 8 enum, 9 variable-length ... */
  cls: number;
  size: number;
  /** numpy-like name: "float32", "int64", "uint8", "bfloat16", "string", "vlen-string", "compound" ... */
  name: string;
  precision: Precision;
  isVlenString: boolean;
}

export interface H5Dataset {
  path: string;
  shape: number[] | null;
  type: H5Type;
  elements: number;
  layout: 'compact' | 'contiguous' | 'chunked' | 'virtual' | 'unknown';
  /** Bytes the data occupies in the file (chunked: summed from the chunk index when it can be read). */
  storedBytes: number | null;
  /** Absolute offset of contiguous/compact data in the file. */
  dataOffset?: number;
  filters: number[];
  /** Why storedBytes is an estimate or unknown. */
  note?: string;
}

export type H5AttrValue = string | number | string[] | number[] | null;

interface Message {
  type: number;
  flags: number;
  data: Buffer;
  /** Absolute offset of data in the file. */
  at: number;
}

const MAX_CHUNKS = 1000;
const MAX_MESSAGES = 100_000;
const MAX_DEPTH = 64;
const MAX_OBJECTS = 1_000_000;
const MAX_BTREE_NODES = 1_000_000;

export class Hdf5File {
  readonly base: number;
  readonly offsetSize: number;
  readonly lengthSize: number;
  readonly superblockVersion: number;
  readonly rootAddress: number;
  readonly warnings: string[] = [];
  private readonly heapCache = new Map<number, Map<number, { at: number; size: number }>>();

  constructor(readonly src: ByteSource) {
    let sb = -1;
    for (let off = 0; off + 8 <= src.size; off = off === 0 ? 512 : off * 2) {
      if (src.read(off, 8, 'HDF5 signature').equals(HDF5_SIGNATURE)) {
        sb = off;
        break;
      }
    }
    if (sb < 0) this.fail('HDF5 signature not found');
    const head = src.read(sb, Math.min(src.size - sb, 128), 'HDF5 superblock');
    if (head.length < 12) this.fail('HDF5 superblock is truncated');
    const version = head[8];
    this.superblockVersion = version;
    if (version === 0 || version === 1) {
      if (head.length < 24) this.fail('HDF5 superblock is truncated');
      this.offsetSize = head[13];
      this.lengthSize = head[14];
      this.checkSizes();
      let p = 24;
      if (version === 1) p += 4;
      const O = this.offsetSize;
      if (head.length < p + 4 * O + 2 * O + 24) this.fail('HDF5 superblock is truncated');
      const baseAddr = this.uint(head, p, O);
      this.base = baseAddr < 0 ? 0 : baseAddr;
      this.checkEndOfFile(this.uint(head, p + 2 * O, O));
      p += 4 * O; // base, free-space, end of file, driver info
      // Root group symbol table entry: link name offset, object header address, ...
      this.rootAddress = this.addr(this.uint(head, p + O, O));
    } else if (version === 2 || version === 3) {
      this.offsetSize = head[9];
      this.lengthSize = head[10];
      this.checkSizes();
      const O = this.offsetSize;
      if (head.length < 12 + 4 * O + 4) this.fail('HDF5 superblock is truncated');
      const baseAddr = this.uint(head, 12, O);
      this.base = baseAddr < 0 ? 0 : baseAddr;
      this.checkEndOfFile(this.uint(head, 12 + 2 * O, O));
      this.rootAddress = this.addr(this.uint(head, 12 + 3 * O, O));
    } else {
      this.fail(`HDF5 superblock version ${version} is not supported`);
    }
    if (this.rootAddress < 0) this.fail('HDF5 root group address is undefined');
  }

  /** The superblock states where the file ends; a shorter file was cut off. */
  private checkEndOfFile(eofAddress: number): void {
    if (eofAddress < 0) return; // undefined address
    const end = this.base + eofAddress;
    if (end > this.src.size) this.fail(`the file is ${this.src.size} bytes but its superblock says it ends at ${end}: truncated`);
  }

  fail(reason: string): never {
    throw new ModelFileError(this.src.file, `HDF5: ${reason}`);
  }

  private checkSizes(): void {
    if (![2, 4, 8].includes(this.offsetSize) || ![2, 4, 8].includes(this.lengthSize)) {
      this.fail(`superblock declares ${this.offsetSize}-byte offsets and ${this.lengthSize}-byte lengths (expected 2, 4 or 8): corrupted`);
    }
  }

  /** Unsigned little-endian integer of 1-8 bytes; -1 for the "undefined address" (all bits set). */
  uint(b: Buffer, p: number, n: number): number {
    if (p < 0 || p + n > b.length) this.fail(`a ${n}-byte field at ${p} runs past its structure (${b.length} bytes): corrupted`);
    let all = true;
    for (let i = 0; i < n; i++) if (b[p + i] !== 0xff) all = false;
    if (all && n > 1) return -1;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < n; i++) {
      v += b[p + i] * mul;
      mul *= 256;
    }
    if (!Number.isSafeInteger(v)) this.fail(`a ${n}-byte value at ${p} is absurd: corrupted`);
    return v;
  }

  /** File address → absolute offset (the base address applies); -1 stays undefined. */
  addr(a: number): number {
    return a < 0 ? -1 : this.base + a;
  }

  private read(offset: number, length: number, what: string): Buffer {
    if (offset < 0 || offset >= this.src.size) this.fail(`${what} at address ${offset} lies outside the file (${this.src.size} bytes): truncated or corrupted`);
    return this.src.read(offset, length, `HDF5 ${what}`);
  }

  // ---------------------------------------------------------------- object headers

  messages(address: number): Message[] {
    const out: Message[] = [];
    const first = this.read(address, Math.min(16, this.src.size - address), 'object header');
    const chunks: { at: number; len: number; v2: boolean; cont: boolean }[] = [];
    if (first.length >= 4 && first.toString('latin1', 0, 4) === 'OHDR') {
      const hdrLen = Math.min(64, this.src.size - address);
      const h = this.read(address, hdrLen, 'object header');
      if (h[4] !== 2) this.fail(`object header at ${address} has version ${h[4]}`);
      const flags = h[5];
      let p = 6;
      if (flags & 0x20) p += 16;
      if (flags & 0x10) p += 4;
      const sizeBytes = 1 << (flags & 3);
      const size = this.uint(h, p, sizeBytes);
      p += sizeBytes;
      chunks.push({ at: address + p, len: size, v2: true, cont: false });
      (chunks[0] as { trackOrder?: boolean }).trackOrder = (flags & 0x04) !== 0;
    } else {
      const version = first[0];
      if (version !== 1 || first.length < 16) this.fail(`object header at ${address} has an unknown version ${version} (not an HDF5 object)`);
      const size = first.readUInt32LE(8);
      chunks.push({ at: address + 16, len: size, v2: false, cont: false });
    }
    const trackOrder = (chunks[0] as { trackOrder?: boolean }).trackOrder ?? false;
    for (let c = 0; c < chunks.length; c++) {
      if (c >= MAX_CHUNKS) this.fail(`object header at ${address} has more than ${MAX_CHUNKS} continuation blocks`);
      const ch = chunks[c];
      if (ch.len > LIMITS.maxHeaderBytes) this.fail(`object header block of ${ch.len} bytes at ${ch.at} is absurd`);
      let buf = this.read(ch.at, ch.len, 'object header block');
      let base = ch.at;
      if (buf.length < ch.len) this.fail(`object header block at ${ch.at} is truncated`);
      if (ch.v2) {
        if (ch.cont) {
          if (buf.toString('latin1', 0, 4) !== 'OCHK') this.fail(`object header continuation at ${ch.at} has no OCHK signature`);
          buf = buf.subarray(4, buf.length - 4);
          base += 4;
        }
        const hdr = trackOrder ? 6 : 4;
        let p = 0;
        while (p + hdr <= buf.length) {
          const type = buf[p];
          const size = buf.readUInt16LE(p + 1);
          const flags = buf[p + 3];
          p += hdr;
          if (p + size > buf.length) this.fail(`object header message at ${base + p} runs past its block`);
          this.push(out, type, flags, buf.subarray(p, p + size), base + p, chunks, true);
          p += size;
        }
      } else {
        let p = 0;
        while (p + 8 <= buf.length) {
          const type = buf.readUInt16LE(p);
          const size = buf.readUInt16LE(p + 2);
          const flags = buf[p + 4];
          p += 8;
          if (p + size > buf.length) this.fail(`object header message at ${base + p} runs past its block`);
          this.push(out, type, flags, buf.subarray(p, p + size), base + p, chunks, false);
          p += size;
        }
      }
      if (out.length > MAX_MESSAGES) this.fail(`object header at ${address} has more than ${MAX_MESSAGES} messages`);
    }
    return out;
  }

  private push(out: Message[], type: number, flags: number, data: Buffer, at: number, chunks: { at: number; len: number; v2: boolean; cont: boolean }[], v2: boolean): void {
    if (type === 0x10) {
      const a = this.addr(this.uint(data, 0, this.offsetSize));
      const len = this.uint(data, this.offsetSize, this.lengthSize);
      if (a < 0 || len <= 0) return;
      if (chunks.some((c) => c.at === a)) this.fail(`object header continuation at ${a} loops back`);
      chunks.push({ at: a, len, v2, cont: true });
      return;
    }
    out.push({ type, flags, data, at });
  }

  // ---------------------------------------------------------------- messages

  parseType(b: Buffer): H5Type {
    if (b.length < 8) this.fail('datatype message is truncated');
    const cls = b[0] & 0x0f;
    const bits0 = b[1];
    const size = b.readUInt32LE(4);
    const t = (name: string, precision: Precision): H5Type => ({ cls, size, name, precision, isVlenString: false });
    switch (cls) {
      case 0: {
        const signed = (bits0 & 0x08) !== 0;
        const w = size * 8;
        const name = `${signed ? 'int' : 'uint'}${w}`;
        const ok = [8, 16, 32, 64].includes(w);
        return t(name, ok ? (name as Precision) : 'other');
      }
      case 1: {
        if (size === 2) {
          const expSize = b.length >= 16 ? b[13] : 5;
          return expSize === 8 ? t('bfloat16', 'bf16') : t('float16', 'fp16');
        }
        if (size === 4) return t('float32', 'fp32');
        if (size === 8) return t('float64', 'fp64');
        return t(`float${size * 8}`, 'other');
      }
      case 3:
        return t('string', 'string');
      case 4:
        return t(`bitfield${size * 8}`, 'other');
      case 5:
        return t('opaque', 'other');
      case 6:
        return t('compound', 'other');
      case 7:
        return t('reference', 'other');
      case 8: {
        const baseType = b.length > 8 ? this.parseType(b.subarray(8)) : null;
        if (baseType && baseType.size === 1) return t('bool', 'bool');
        return t(`enum(${baseType?.name ?? '?'})`, baseType?.precision ?? 'other');
      }
      case 9: {
        const isString = (bits0 & 0x0f) === 1;
        return { cls, size, name: isString ? 'vlen-string' : 'vlen', precision: isString ? 'string' : 'other', isVlenString: isString };
      }
      case 10:
        return t('array', 'other');
      default:
        return t(`class${cls}`, 'other');
    }
  }

  parseSpace(b: Buffer): number[] | null {
    if (b.length < 4) this.fail('dataspace message is truncated');
    const version = b[0];
    const rank = b[1];
    if (rank > 32) this.fail(`dataspace of rank ${rank} is absurd`);
    let p: number;
    if (version === 1) p = 8;
    else if (version === 2) {
      if (b[3] === 2) return null; // null dataspace
      p = 4;
    } else this.fail(`dataspace message version ${version} is not supported`);
    const dims: number[] = [];
    for (let i = 0; i < rank; i++) {
      const d = this.uint(b, p, this.lengthSize);
      if (d < 0) this.fail('dataspace has an undefined dimension');
      dims.push(d);
      p += this.lengthSize;
    }
    return dims;
  }

  // ---------------------------------------------------------------- objects

  /** Reads what a dataset needs: shape, type, storage. Null when the object is not a dataset. */
  dataset(path: string, msgs: Message[]): H5Dataset | null {
    const space = msgs.find((m) => m.type === 0x01);
    const dtype = msgs.find((m) => m.type === 0x03);
    const layout = msgs.find((m) => m.type === 0x08);
    if (!space || !dtype || !layout) return null;
    const shape = this.parseSpace(space.data);
    const type = (dtype.flags & 0x02) !== 0 ? { cls: -1, size: 0, name: 'shared-type', precision: 'other' as Precision, isVlenString: false } : this.parseType(dtype.data);
    let elements = 1;
    for (const d of shape ?? []) {
      elements *= d;
      if (elements > LIMITS.maxTensorElements) this.fail(`dataset "${path}" has an absurd shape [${shape!.join(', ')}]`);
    }
    if (shape === null) elements = 0;
    const filters: number[] = [];
    const pipeline = msgs.find((m) => m.type === 0x0b);
    if (pipeline) filters.push(...this.parseFilters(pipeline.data));
    const ds: H5Dataset = { path, shape, type, elements, layout: 'unknown', storedBytes: null, filters };
    const b = layout.data;
    const version = b[0];
    const O = this.offsetSize;
    const logical = elements * type.size;
    if (version === 3 || version === 4) {
      const cls = b[1];
      if (cls === 0) {
        ds.layout = 'compact';
        ds.storedBytes = this.uint(b, 2, 2);
        ds.dataOffset = layout.at + 4;
      } else if (cls === 1) {
        ds.layout = 'contiguous';
        const a = this.addr(this.uint(b, 2, O));
        const size = this.uint(b, 2 + O, this.lengthSize);
        ds.storedBytes = size;
        if (a >= 0) {
          ds.dataOffset = a;
          if (a + size > this.src.size) this.fail(`dataset "${path}" data (${size} bytes at ${a}) runs past the end of the file (${this.src.size} bytes): truncated`);
        } else {
          ds.storedBytes = 0;
          ds.note = 'space allocated but never written';
        }
      } else if (cls === 2) {
        ds.layout = 'chunked';
        if (version === 3) {
          const rank = b[2];
          const a = this.addr(this.uint(b, 3, O));
          ds.storedBytes = a < 0 ? 0 : this.chunkBytes(a, rank, path);
        } else {
          const v4 = this.chunkBytesV4(b, shape ?? [], path);
          ds.storedBytes = v4 ?? logical;
          if (v4 === null) ds.note = 'chunked storage with an index this reader does not walk: stored size estimated from the shape';
        }
      } else if (cls === 3) {
        ds.layout = 'virtual';
        ds.storedBytes = 0;
        ds.note = 'virtual dataset: its data lives in other files';
      } else this.fail(`dataset "${path}" has an unknown layout class ${cls}`);
    } else if (version === 1 || version === 2) {
      const rank = b[1];
      const cls = b[2];
      let p = 8;
      if (cls === 0) {
        ds.layout = 'compact';
        p += rank * 4;
        ds.storedBytes = this.uint(b, p, 4);
        ds.dataOffset = layout.at + p + 4;
      } else {
        const a = this.addr(this.uint(b, p, O));
        if (cls === 1) {
          ds.layout = 'contiguous';
          ds.storedBytes = a < 0 ? 0 : logical;
          if (a >= 0) ds.dataOffset = a;
        } else {
          ds.layout = 'chunked';
          ds.storedBytes = a < 0 ? 0 : this.chunkBytes(a, rank, path);
        }
      }
    } else this.fail(`dataset "${path}" has an unsupported layout message version ${version}`);
    if (ds.storedBytes !== null && ds.storedBytes > this.src.size) this.fail(`dataset "${path}" claims ${ds.storedBytes} stored bytes in a ${this.src.size}-byte file`);
    return ds;
  }

  private parseFilters(b: Buffer): number[] {
    const version = b[0];
    const n = b[1];
    const out: number[] = [];
    let p = version === 1 ? 8 : 2;
    for (let i = 0; i < n && p + 2 <= b.length; i++) {
      const id = b.readUInt16LE(p);
      out.push(id);
      if (version === 1 || id >= 256) {
        const nameLen = b.readUInt16LE(p + 2);
        const nValues = b.readUInt16LE(p + 6);
        p += 8 + (version === 1 ? Math.ceil(nameLen / 8) * 8 : nameLen) + nValues * 4;
        if (version === 1 && nValues % 2 === 1) p += 4;
      } else {
        const nValues = b.readUInt16LE(p + 4);
        p += 6 + nValues * 4;
      }
    }
    return out;
  }

  /**
   * Stored size of a layout-v4 chunked dataset: single chunk, implicit index and unpaged fixed arrays are
   * read; other indexes (extensible array, B-tree v2, paged fixed array) return null.
   */
  private chunkBytesV4(b: Buffer, shape: number[], path: string): number | null {
    const O = this.offsetSize;
    const L = this.lengthSize;
    const flags = b[2];
    const rank = b[3];
    const encLen = b[4];
    if (encLen < 1 || encLen > 8 || rank < 1 || rank > 33) this.fail(`dataset "${path}" has a damaged chunked layout`);
    let p = 5;
    const dims: number[] = [];
    for (let i = 0; i < rank; i++) {
      dims.push(this.uint(b, p, encLen));
      p += encLen;
    }
    const chunkBytes = dims.reduce((a, d) => a * d, 1);
    const index = b[p++];
    if (index === 1) {
      // single chunk: [filtered size (L) + filter mask (4)] + address
      if (flags & 0x02) {
        const size = this.uint(b, p, L);
        const a = this.addr(this.uint(b, p + L + 4, O));
        return a < 0 ? 0 : size;
      }
      const a = this.addr(this.uint(b, p, O));
      return a < 0 ? 0 : chunkBytes;
    }
    if (index === 2) {
      // implicit: every chunk allocated, unfiltered
      const a = this.addr(this.uint(b, p, O));
      if (a < 0) return 0;
      let n = 1;
      for (let i = 0; i < rank - 1; i++) n *= Math.ceil((shape[i] ?? 0) / Math.max(1, dims[i]));
      return n * chunkBytes;
    }
    if (index === 3) {
      const pageBits = b[p];
      const hdrAddr = this.addr(this.uint(b, p + 1, O));
      if (hdrAddr < 0) return 0;
      const h = this.read(hdrAddr, 12 + L + O, 'fixed array header');
      if (h.toString('latin1', 0, 4) !== 'FAHD') this.fail(`chunk index of dataset "${path}" has no FAHD signature`);
      const filtered = h[5] === 1;
      const entrySize = h[6];
      const entries = this.uint(h, 8, L);
      const dblock = this.addr(this.uint(h, 8 + L, O));
      if (entries > 2 ** Math.min(pageBits || h[7], 30) || entries > 1_000_000) return null; // paged: not walked
      if (dblock < 0) return 0;
      if (entrySize < O || entrySize > 64) this.fail(`chunk index of dataset "${path}" has entries of ${entrySize} bytes`);
      const body = this.read(dblock + 6 + O, entries * entrySize, 'fixed array data block');
      let total = 0;
      for (let i = 0; i < entries; i++) {
        const q = i * entrySize;
        const a = this.addr(this.uint(body, q, O));
        if (a < 0) continue;
        total += filtered ? this.uint(body, q + O, entrySize - O - 4) : chunkBytes;
      }
      return total;
    }
    return null;
  }

  /** Sums chunk sizes from a version-1 B-tree of raw data chunks (node type 1). */
  private chunkBytes(root: number, rank: number, path: string): number {
    const O = this.offsetSize;
    const keySize = 8 + 8 * rank;
    let total = 0;
    let nodes = 0;
    const seen = new Set<number>();
    const visit = (a: number, depth: number): void => {
      if (depth > MAX_DEPTH || seen.has(a)) this.fail(`chunk index of dataset "${path}" loops or is too deep`);
      seen.add(a);
      if (++nodes > MAX_BTREE_NODES) this.fail(`chunk index of dataset "${path}" is too large`);
      const h = this.read(a, 8 + 2 * O, 'chunk B-tree node');
      if (h.toString('latin1', 0, 4) !== 'TREE' || h[4] !== 1) this.fail(`chunk B-tree node of dataset "${path}" at ${a} is damaged`);
      const level = h[5];
      const used = h.readUInt16LE(6);
      const body = this.read(a + 8 + 2 * O, used * (keySize + O) + keySize, 'chunk B-tree entries');
      for (let i = 0; i < used; i++) {
        const k = i * (keySize + O);
        const child = this.addr(this.uint(body, k + keySize, O));
        if (level === 0) total += body.readUInt32LE(k);
        else if (child >= 0) visit(child, depth + 1);
      }
    };
    visit(root, 0);
    return total;
  }

  /** Attributes stored in the object header (compact storage). Dense attribute storage is reported, not read. */
  attributes(msgs: Message[], where: string): Map<string, H5AttrValue> {
    const out = new Map<string, H5AttrValue>();
    for (const m of msgs) {
      if (m.type === 0x15) {
        const b = m.data;
        const flags = b[1];
        const heap = this.addr(this.uint(b, 2 + (flags & 1 ? 2 : 0), this.offsetSize));
        if (heap >= 0) this.warnings.push(`attributes of ${where} in dense storage (fractal heap) are not read by this reader`);
      }
      if (m.type !== 0x0c) continue;
      try {
        const [name, value] = this.parseAttribute(m.data);
        out.set(name, value);
      } catch (e) {
        if (!(e instanceof ModelFileError)) throw e;
        this.warnings.push(`an attribute of ${where} could not be read: ${e.reason}`);
      }
    }
    return out;
  }

  private parseAttribute(b: Buffer): [string, H5AttrValue] {
    const version = b[0];
    if (version < 1 || version > 3 || b.length < 8) this.fail(`attribute message version ${version} is not supported`);
    const flags = b[1];
    const nameSize = b.readUInt16LE(2);
    const typeSize = b.readUInt16LE(4);
    const spaceSize = b.readUInt16LE(6);
    let p = version === 3 ? 9 : 8;
    const pad = (n: number): number => (version === 1 ? Math.ceil(n / 8) * 8 : n);
    if (p + pad(nameSize) + pad(typeSize) + pad(spaceSize) > b.length) this.fail('attribute message is truncated');
    const name = b.toString('utf8', p, p + nameSize).replace(/\0+$/, '');
    p += pad(nameSize);
    if (flags & 0x03) {
      return [name, null]; // shared datatype or dataspace: not needed for Keras attributes
    }
    const type = this.parseType(b.subarray(p, p + typeSize));
    p += pad(typeSize);
    const shape = this.parseSpace(b.subarray(p, p + spaceSize));
    p += pad(spaceSize);
    const data = b.subarray(p);
    if (shape === null) return [name, null];
    const count = shape.reduce((a, d) => a * d, 1);
    const scalar = shape.length === 0;
    if (count > 1_000_000) return [name, null];
    if (type.cls === 3) {
      const items: string[] = [];
      for (let i = 0; i < count; i++) {
        if ((i + 1) * type.size > data.length) this.fail(`attribute "${name}" data is truncated`);
        items.push(data.toString('utf8', i * type.size, (i + 1) * type.size).replace(/[\0 ]+$/, ''));
      }
      return [name, scalar ? items[0] : items];
    }
    if (type.isVlenString) {
      const step = 4 + this.offsetSize + 4;
      const items: string[] = [];
      for (let i = 0; i < count; i++) {
        const q = i * step;
        if (q + step > data.length) this.fail(`attribute "${name}" data is truncated`);
        const len = data.readUInt32LE(q);
        const coll = this.addr(this.uint(data, q + 4, this.offsetSize));
        const index = data.readUInt32LE(q + 4 + this.offsetSize);
        items.push(len === 0 || coll < 0 ? '' : this.globalHeapString(coll, index, len));
      }
      return [name, scalar ? items[0] : items];
    }
    if (type.cls === 0 || type.cls === 1) {
      const nums: number[] = [];
      for (let i = 0; i < Math.min(count, 4096); i++) {
        const q = i * type.size;
        if (q + type.size > data.length) this.fail(`attribute "${name}" data is truncated`);
        if (type.cls === 1) nums.push(type.size === 8 ? data.readDoubleLE(q) : type.size === 4 ? data.readFloatLE(q) : Number.NaN);
        else {
          const signed = type.name.startsWith('int');
          nums.push(type.size === 1 ? (signed ? data.readInt8(q) : data[q]) : type.size === 2 ? (signed ? data.readInt16LE(q) : data.readUInt16LE(q)) : type.size === 4 ? (signed ? data.readInt32LE(q) : data.readUInt32LE(q)) : Number(signed ? data.readBigInt64LE(q) : data.readBigUInt64LE(q)));
        }
      }
      return [name, scalar ? nums[0] : nums];
    }
    return [name, null];
  }

  private globalHeapString(collection: number, index: number, len: number): string {
    let objs = this.heapCache.get(collection);
    if (!objs) {
      const h = this.read(collection, 8 + this.lengthSize, 'global heap');
      if (h.toString('latin1', 0, 4) !== 'GCOL') this.fail(`global heap collection at ${collection} has no GCOL signature`);
      const size = this.uint(h, 8, this.lengthSize);
      if (size > LIMITS.maxHeaderBytes || collection + size > this.src.size) this.fail(`global heap collection at ${collection} (${size} bytes) runs past the end of the file`);
      const buf = this.read(collection, size, 'global heap');
      objs = new Map();
      let p = 8 + this.lengthSize;
      while (p + 8 + this.lengthSize <= buf.length) {
        const idx = buf.readUInt16LE(p);
        const osize = this.uint(buf, p + 8, this.lengthSize);
        const at = p + 8 + this.lengthSize;
        if (idx === 0) break;
        if (osize < 0 || at + osize > buf.length) this.fail(`global heap object ${idx} at ${collection} runs past its collection`);
        objs.set(idx, { at: collection + at, size: osize });
        p = at + Math.ceil(osize / 8) * 8;
      }
      this.heapCache.set(collection, objs);
    }
    const o = objs.get(index);
    if (!o) this.fail(`global heap object ${index} is missing from the collection at ${collection}`);
    if (len > o.size || len > LIMITS.maxStringBytes) this.fail(`global heap string of ${len} bytes exceeds its object (${o.size} bytes)`);
    return this.read(o.at, len, 'global heap string').toString('utf8');
  }

  /** Children of a group: old-style symbol table or link messages. */
  children(msgs: Message[], where: string): { name: string; address: number }[] {
    const out: { name: string; address: number }[] = [];
    const st = msgs.find((m) => m.type === 0x11);
    if (st) {
      const O = this.offsetSize;
      const btree = this.addr(this.uint(st.data, 0, O));
      const heap = this.addr(this.uint(st.data, O, O));
      const names = this.localHeap(heap, where);
      this.groupBtree(btree, names, out, where);
    }
    for (const m of msgs) {
      if (m.type === 0x02) {
        const b = m.data;
        const flags = b[1];
        const heap = this.addr(this.uint(b, 2 + (flags & 1 ? 8 : 0), this.offsetSize));
        if (heap >= 0) this.warnings.push(`group ${where} uses dense link storage (fractal heap), which this reader does not support: its members are not listed`);
      }
      if (m.type !== 0x06) continue;
      const b = m.data;
      const flags = b[1];
      let p = 2;
      let linkType = 0;
      if (flags & 0x08) linkType = b[p++];
      if (flags & 0x04) p += 8;
      if (flags & 0x10) p++;
      const lenSize = 1 << (flags & 3);
      const nameLen = this.uint(b, p, lenSize);
      p += lenSize;
      if (p + nameLen > b.length) this.fail(`link message in ${where} is truncated`);
      const name = b.toString('utf8', p, p + nameLen);
      p += nameLen;
      if (linkType === 0) out.push({ name, address: this.addr(this.uint(b, p, this.offsetSize)) });
    }
    return out;
  }

  private localHeap(address: number, where: string): Buffer {
    const L = this.lengthSize;
    const O = this.offsetSize;
    const h = this.read(address, 8 + 2 * L + O, 'local heap');
    if (h.toString('latin1', 0, 4) !== 'HEAP') this.fail(`local heap of ${where} at ${address} has no HEAP signature`);
    const size = this.uint(h, 8, L);
    const data = this.addr(this.uint(h, 8 + 2 * L, O));
    if (size > LIMITS.maxHeaderBytes) this.fail(`local heap of ${where} claims ${size} bytes`);
    return this.read(data, size, 'local heap data');
  }

  private groupBtree(root: number, names: Buffer, out: { name: string; address: number }[], where: string): void {
    const O = this.offsetSize;
    const L = this.lengthSize;
    const seen = new Set<number>();
    let nodes = 0;
    const nameAt = (off: number): string => {
      if (off < 0 || off >= names.length) this.fail(`a link name in ${where} points outside its local heap`);
      const end = names.indexOf(0, off);
      return names.toString('utf8', off, end < 0 ? names.length : end);
    };
    const visit = (a: number, depth: number): void => {
      if (a < 0) return;
      if (depth > MAX_DEPTH || seen.has(a)) this.fail(`group B-tree of ${where} loops or is too deep`);
      seen.add(a);
      if (++nodes > MAX_BTREE_NODES) this.fail(`group B-tree of ${where} is too large`);
      const h = this.read(a, 8 + 2 * O, 'group B-tree node');
      if (h.toString('latin1', 0, 4) !== 'TREE') this.fail(`group B-tree node of ${where} at ${a} has no TREE signature`);
      if (h[4] !== 0) this.fail(`group B-tree node of ${where} at ${a} has node type ${h[4]}, expected 0`);
      const level = h[5];
      const used = h.readUInt16LE(6);
      const body = this.read(a + 8 + 2 * O, used * (L + O) + L, 'group B-tree entries');
      for (let i = 0; i < used; i++) {
        const child = this.addr(this.uint(body, i * (L + O) + L, O));
        if (level > 0) visit(child, depth + 1);
        else this.symbolNode(child, nameAt, out, where);
      }
    };
    visit(root, 0);
  }

  private symbolNode(a: number, nameAt: (off: number) => string, out: { name: string; address: number }[], where: string): void {
    const O = this.offsetSize;
    const h = this.read(a, 8, 'symbol table node');
    if (h.toString('latin1', 0, 4) !== 'SNOD') this.fail(`symbol table node of ${where} at ${a} has no SNOD signature`);
    const n = h.readUInt16LE(6);
    const entry = 2 * O + 24;
    const body = this.read(a + 8, n * entry, 'symbol table entries');
    for (let i = 0; i < n; i++) {
      const name = nameAt(this.uint(body, i * entry, O));
      out.push({ name, address: this.addr(this.uint(body, i * entry + O, O)) });
    }
  }

  /**
   * Walks groups from `start`, calling onDataset for every dataset and onGroup for every group
   * (with its attributes). Paths are "a/b/c" relative to the start.
   */
  walk(
    start: number,
    onDataset: (ds: H5Dataset) => void,
    onGroup?: (path: string, attrs: Map<string, H5AttrValue>) => void,
  ): void {
    const seen = new Set<number>();
    let objects = 0;
    const visit = (address: number, path: string, depth: number): void => {
      if (address < 0) return;
      if (seen.has(address)) return; // hard links to one object: list it once
      seen.add(address);
      if (++objects > MAX_OBJECTS) this.fail(`more than ${MAX_OBJECTS} objects`);
      if (depth > MAX_DEPTH) this.fail(`groups nest deeper than ${MAX_DEPTH} levels`);
      const msgs = this.messages(address);
      const ds = this.dataset(path, msgs);
      if (ds) {
        onDataset(ds);
        return;
      }
      const where = path || '/';
      if (onGroup) onGroup(path, this.attributes(msgs, where));
      for (const c of this.children(msgs, where)) visit(c.address, path ? `${path}/${c.name}` : c.name, depth + 1);
    };
    visit(start, '', 0);
  }

  /** Address of a member by path ("model_weights/dense"), or -1. */
  resolve(path: string): number {
    let a = this.rootAddress;
    for (const part of path.split('/').filter(Boolean)) {
      const kids = this.children(this.messages(a), part);
      const k = kids.find((c) => c.name === part);
      if (!k) return -1;
      a = k.address;
    }
    return a;
  }
}
