/**
 * The MIL blob storage file (an .mlpackage's weights/weight.bin; coremltools MILBlob StorageFormat.hpp):
 * a 64-byte storage header (blob count, version 2), then per blob a 64-byte metadata record (sentinel
 * 0xDEADBEEF, data type, size in bytes, absolute data offset, padding bits) followed by the data, each
 * 64-byte aligned. A const op names a blob by the offset of its metadata record. Only headers are read,
 * never the data; every offset and size is checked against the file.
 */
import { ModelFileError } from '../errors';
import type { ByteSource } from '../io/byte-source';

export const BLOB_SENTINEL = 0xdeadbeef;
export const BLOB_STORAGE_VERSION = 2;

/** BlobDataType (MILBlob/Blob/BlobDataType.hpp) → the MIL DataType name it stores, and its bits. */
export const BLOB_DATA_TYPES: Record<number, { name: string; bits: number }> = {
  1: { name: 'FLOAT16', bits: 16 },
  2: { name: 'FLOAT32', bits: 32 },
  3: { name: 'UINT8', bits: 8 },
  4: { name: 'INT8', bits: 8 },
  5: { name: 'BFLOAT16', bits: 16 },
  6: { name: 'INT16', bits: 16 },
  7: { name: 'UINT16', bits: 16 },
  8: { name: 'INT4', bits: 4 },
  9: { name: 'UINT1', bits: 1 },
  10: { name: 'UINT2', bits: 2 },
  11: { name: 'UINT4', bits: 4 },
  12: { name: 'UINT3', bits: 3 },
  13: { name: 'UINT6', bits: 6 },
  14: { name: 'INT32', bits: 32 },
  15: { name: 'UINT32', bits: 32 },
  16: { name: 'FLOAT8E4M3FN', bits: 8 },
  17: { name: 'FLOAT8E5M2', bits: 8 },
};

export interface BlobInfo {
  /** The MIL DataType name the blob stores ("FLOAT16"). */
  dtype: string;
  bits: number;
  sizeInBytes: number;
  dataOffset: number;
  /** Elements the blob holds: (size × 8 − padding bits) / bits. */
  elements: number;
}

export class BlobStorage {
  readonly count: number;
  private readonly cache = new Map<number, BlobInfo>();

  constructor(readonly src: ByteSource) {
    if (src.size < 64) throw new ModelFileError(src.file, `the weights file is ${src.size} bytes, shorter than its 64-byte storage header`);
    const h = src.read(0, 64, 'blob storage header');
    this.count = h.readUInt32LE(0);
    const version = h.readUInt32LE(4);
    if (version !== BLOB_STORAGE_VERSION) {
      throw new ModelFileError(src.file, `blob storage version ${version}; only version ${BLOB_STORAGE_VERSION} (iOS 15 and later) is known`);
    }
    // Each blob takes at least 128 bytes (metadata + aligned data): a larger count cannot be true.
    if (this.count > Math.floor((src.size - 64) / 64)) {
      throw new ModelFileError(src.file, `the storage header claims ${this.count} blobs, more than ${src.size} bytes can hold: corrupted`);
    }
  }

  /** The blob whose metadata record starts at `offset`; checks sentinel, type and bounds. */
  blob(offset: number): BlobInfo {
    const hit = this.cache.get(offset);
    if (hit) return hit;
    const file = this.src.file;
    if (!Number.isSafeInteger(offset) || offset < 64 || offset + 64 > this.src.size) {
      throw new ModelFileError(file, `a weight refers to blob offset ${offset}, outside the weights file (${this.src.size} bytes)`);
    }
    const m = this.src.read(offset, 64, 'blob metadata');
    const sentinel = m.readUInt32LE(0);
    if (sentinel !== BLOB_SENTINEL) {
      throw new ModelFileError(file, `no blob at offset ${offset} (metadata sentinel 0x${sentinel.toString(16)}, expected 0xdeadbeef): corrupted or a wrong offset`);
    }
    const code = m.readUInt32LE(4);
    const type = BLOB_DATA_TYPES[code];
    if (!type) throw new ModelFileError(file, `the blob at offset ${offset} has unknown data type ${code}`);
    const size = Number(m.readBigUInt64LE(8));
    const dataOffset = Number(m.readBigUInt64LE(16));
    const padding = Number(m.readBigUInt64LE(24));
    if (!Number.isSafeInteger(size) || !Number.isSafeInteger(dataOffset) || dataOffset < offset + 64 || dataOffset + size > this.src.size) {
      throw new ModelFileError(file, `the blob at offset ${offset} declares ${size} bytes at offset ${dataOffset}, outside the weights file (${this.src.size} bytes)`);
    }
    // Before iOS 18 the padding field was left uninitialised for whole-byte types: it only counts for sub-byte types.
    const pad = type.bits < 8 && Number.isSafeInteger(padding) && padding < 8 ? padding : 0;
    const info: BlobInfo = { dtype: type.name, bits: type.bits, sizeInBytes: size, dataOffset, elements: Math.floor((size * 8 - pad) / type.bits) };
    this.cache.set(offset, info);
    return info;
  }
}
