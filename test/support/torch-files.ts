/**
 * Writers for PyTorch-style test files: a minimal zip writer (stored or deflated entries, lying sizes, ready-made
 * deflate streams, zip64 records) and a tiny pickle assembler. Used by the reader tests and the hostile-input tests.
 */
import * as zlib from 'zlib';


export interface ZipIn {
  name: string;
  data: Buffer;
  deflate?: boolean;
  /** Lie about the uncompressed size in the headers. */
  declaredSize?: number;
  /** A ready-made raw-deflate stream to store as the body (e.g. a zip bomb); `data` is then what it inflates to, for the CRC. */
  deflated?: Buffer;
}

/** A minimal zip writer (stored or deflated entries; zip64 records on request). */
export function makeZip(entries: ZipIn[], opts: { zip64?: boolean } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = e.deflated ?? (e.deflate ? zlib.deflateRawSync(e.data) : e.data);
    const method = e.deflated || e.deflate ? 8 : 0;
    const usize = e.declaredSize ?? e.data.length;
    const crc = zlib.crc32(e.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(opts.zip64 ? 0xffffffff : body.length, 18);
    lh.writeUInt32LE(opts.zip64 ? 0xffffffff : usize, 22);
    lh.writeUInt16LE(name.length, 26);
    const lextra = opts.zip64 ? z64extra([usize, body.length]) : Buffer.alloc(0);
    lh.writeUInt16LE(lextra.length, 28);
    locals.push(lh, name, lextra, body);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    ch.writeUInt16LE(opts.zip64 ? 45 : 20, 6);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(opts.zip64 ? 0xffffffff : body.length, 20);
    ch.writeUInt32LE(opts.zip64 ? 0xffffffff : usize, 24);
    ch.writeUInt16LE(name.length, 28);
    const cextra = opts.zip64 ? z64extra([usize, body.length, offset]) : Buffer.alloc(0);
    ch.writeUInt16LE(cextra.length, 30);
    ch.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 42);
    centrals.push(ch, name, cextra);
    offset += 30 + name.length + lextra.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(entries.length), 24);
    z.writeBigUInt64LE(BigInt(entries.length), 32);
    z.writeBigUInt64LE(BigInt(cd.length), 40);
    z.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(z, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : entries.length, 8);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : entries.length, 10);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : cd.length, 12);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...locals, cd, ...tail, eocd]);
}

function z64extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(1, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

/** A tiny pickle assembler: each method appends opcodes. */
export class Pickle {
  private parts: Buffer[] = [];
  private op(...bytes: number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  proto(v: number) { return this.op(0x80, v); }
  mark() { return this.op(0x28); }
  stop() { return this.op(0x2e); }
  global(module: string, name: string) {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
    return this;
  }
  stackGlobal(module: string, name: string) { return this.str(module).str(name).op(0x93); }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    if (b.length < 256) this.op(0x8c, b.length);
    else {
      const l = Buffer.alloc(5);
      l[0] = 0x58;
      l.writeUInt32LE(b.length, 1);
      this.parts.push(l);
    }
    this.parts.push(b);
    return this;
  }
  int(n: number) {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    if (n > 0x7fffffff || n < -0x80000000) {
      const b = Buffer.alloc(10);
      b[0] = 0x8a; // LONG1
      b[1] = 8;
      b.writeBigInt64LE(BigInt(n), 2);
      this.parts.push(b);
      return this;
    }
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(n, 1);
    this.parts.push(b);
    return this;
  }
  tuple() { return this.op(0x74); }
  tuple1() { return this.op(0x85); }
  emptyTuple() { return this.op(0x29); }
  emptyDict() { return this.op(0x7d); }
  setitem() { return this.op(0x73); }
  setitems() { return this.op(0x75); }
  reduce() { return this.op(0x52); }
  build() { return this.op(0x62); }
  newobj() { return this.op(0x81); }
  binpersid() { return this.op(0x51); }
  bool(v: boolean) { return this.op(v ? 0x88 : 0x89); }
  put(i: number) { return this.op(0x71, i); }
  get(i: number) { return this.op(0x68, i); }
  memoize() { return this.op(0x94); }
  frame(n: number) {
    const b = Buffer.alloc(9);
    b[0] = 0x95;
    b.writeBigUInt64LE(BigInt(n), 1);
    this.parts.push(b);
    return this;
  }
  /** torch._utils._rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict()) */
  tensor(storageType: string, key: string, numel: number, size: number[], offset = 0, stride?: number[]) {
    const st = stride ?? size.map((_, i) => size.slice(i + 1).reduce((a, b) => a * b, 1));
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', storageType).str(key).str('cpu').int(numel).tuple().binpersid();
    this.int(offset).mark();
    for (const d of size) this.int(d);
    this.tuple().mark();
    for (const s of st) this.int(s);
    this.tuple().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    return this;
  }
  parameter(fn: (p: this) => void) {
    this.global('torch._utils', '_rebuild_parameter').mark();
    fn(this);
    this.bool(true).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    return this;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function torchZip(root: string, pkl: Buffer, storages: Record<string, number>, extra: ZipIn[] = [], fill = 0): Buffer {
  return makeZip([
    { name: `${root}/data.pkl`, data: pkl },
    { name: `${root}/byteorder`, data: Buffer.from('little') },
    ...Object.entries(storages).map(([k, n]) => ({ name: `${root}/data/${k}`, data: Buffer.alloc(n, fill) })),
    { name: `${root}/version`, data: Buffer.from('3\n') },
    ...extra,
  ]);
}

