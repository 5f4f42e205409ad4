/** A GGUF v3 writer for tests (little-endian, 32-byte alignment unless given). */

export type GgufKv = [key: string, type: number, value: unknown];
export interface GgufTensor {
  name: string;
  dims: number[];
  type: number;
  bytes: number;
}

/** The header and tensor table, padded to the data offset, and how many data bytes the tensors need. */
export function ggufHeader(kvs: GgufKv[], tensors: GgufTensor[], opts: { alignment?: number; version?: number } = {}): { head: Buffer; dataBytes: number } {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const u64 = (v: number | bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    parts.push(b);
  };
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    u64(b.length);
    parts.push(b);
  };
  const scalar = (type: number, v: unknown) => {
    const b = Buffer.alloc(8);
    switch (type) {
      case 0: b.writeUInt8(v as number); parts.push(b.subarray(0, 1)); break;
      case 1: b.writeInt8(v as number); parts.push(b.subarray(0, 1)); break;
      case 2: b.writeUInt16LE(v as number); parts.push(b.subarray(0, 2)); break;
      case 3: b.writeInt16LE(v as number); parts.push(b.subarray(0, 2)); break;
      case 4: b.writeUInt32LE(v as number); parts.push(b.subarray(0, 4)); break;
      case 5: b.writeInt32LE(v as number); parts.push(b.subarray(0, 4)); break;
      case 6: b.writeFloatLE(v as number); parts.push(b.subarray(0, 4)); break;
      case 7: b.writeUInt8(v ? 1 : 0); parts.push(b.subarray(0, 1)); break;
      case 8: str(v as string); break;
      case 10: b.writeBigUInt64LE(BigInt(v as number)); parts.push(b); break;
      case 11: b.writeBigInt64LE(BigInt(v as number)); parts.push(b); break;
      case 12: b.writeDoubleLE(v as number); parts.push(b); break;
    }
  };
  parts.push(Buffer.from('GGUF'));
  u32(opts.version ?? 3);
  u64(tensors.length);
  u64(kvs.length);
  for (const [k, type, v] of kvs) {
    str(k);
    u32(type);
    if (type === 9) {
      const [itemType, items] = v as [number, unknown[]];
      u32(itemType);
      u64(items.length);
      for (const it of items) scalar(itemType, it);
    } else scalar(type, v);
  }
  const alignment = opts.alignment ?? 32;
  let off = 0;
  for (const t of tensors) {
    str(t.name);
    u32(t.dims.length);
    for (const d of t.dims) u64(d);
    u32(t.type);
    u64(off);
    off += Math.ceil(t.bytes / alignment) * alignment;
  }
  let head = Buffer.concat(parts);
  const dataStart = Math.ceil(head.length / alignment) * alignment;
  head = Buffer.concat([head, Buffer.alloc(dataStart - head.length)]);
  return { head, dataBytes: off };
}

/** A whole GGUF file in memory with zero-filled data; `truncateData` cuts that many bytes off the end. */
export function ggufBytes(kvs: GgufKv[], tensors: GgufTensor[], opts: { alignment?: number; truncateData?: number; version?: number } = {}): Buffer {
  const { head, dataBytes } = ggufHeader(kvs, tensors, opts);
  return Buffer.concat([head, Buffer.alloc(Math.max(0, dataBytes - (opts.truncateData ?? 0)))]);
}
