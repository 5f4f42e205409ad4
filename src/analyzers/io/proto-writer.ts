/**
 * Protocol Buffers wire-format writer: the counterpart of ProtoReader (protobuf.ts). A message is a list of
 * byte chunks; nested messages are appended without copying their chunks, and already-encoded fields (a
 * field kept byte for byte from a file being rewritten) go in as they are through `raw`. A run of zero bytes
 * can stand for a large payload (`{ zeros: n }`): a caller that writes the chunks out streams it instead of
 * holding it in memory (the test writers of ONNX and Core ML models use it so; the ONNX builder writes 1 GB models).
 *
 * Only what ONNX and Core ML need: varints (int32/int64/enums/bools, negatives as 10-byte two's complement),
 * 32-bit floats, length-delimited bytes/strings/messages, and packed repeated scalars (varints, floats, doubles).
 */

export type Chunk = Buffer | { zeros: number };

export class ProtoWriter {
  /** The encoded bytes in order (read them to stream the message out). */
  readonly chunks: Chunk[] = [];
  /** Bytes written so far. */
  size = 0;

  /** A varint as bytes (64-bit two's complement for negatives, as protobuf encodes int64). */
  static varint(v: number | bigint): Buffer {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      out.push(b);
    } while (x !== 0n);
    return Buffer.from(out);
  }

  private push(c: Chunk): void {
    const n = Buffer.isBuffer(c) ? c.length : c.zeros;
    if (n === 0) return;
    this.chunks.push(c);
    this.size += n;
  }

  private tag(field: number, wire: number): void {
    this.push(ProtoWriter.varint(field * 8 + wire));
  }

  /** Appends bytes that are already a complete encoded field (tag included). */
  raw(b: Buffer): this {
    this.push(b);
    return this;
  }

  varint(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.push(ProtoWriter.varint(v));
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
    return this;
  }

  bytes(field: number, b: Uint8Array | { zeros: number }): this {
    this.tag(field, 2);
    if (!(b instanceof Uint8Array)) {
      this.push(ProtoWriter.varint(b.zeros));
      this.push(b);
      return this;
    }
    this.push(ProtoWriter.varint(b.length));
    this.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  message(field: number, m: ProtoWriter): this {
    this.tag(field, 2);
    this.push(ProtoWriter.varint(m.size));
    for (const c of m.chunks) this.push(c);
    return this;
  }

  packedVarints(field: number, vs: readonly (number | bigint)[]): this {
    if (!vs.length) return this;
    return this.bytes(field, Buffer.concat(vs.map((v) => ProtoWriter.varint(v))));
  }

  packedFloats(field: number, vs: readonly number[] | Float32Array): this {
    if (!vs.length) return this;
    const b = Buffer.alloc(vs.length * 4);
    for (let i = 0; i < vs.length; i++) b.writeFloatLE(vs[i], i * 4);
    return this.bytes(field, b);
  }

  packedDoubles(field: number, vs: readonly number[]): this {
    if (!vs.length) return this;
    const b = Buffer.alloc(vs.length * 8);
    vs.forEach((v, i) => b.writeDoubleLE(v, i * 8));
    return this.bytes(field, b);
  }

  /** The whole message in memory (zero runs materialised). */
  toBuffer(): Buffer {
    return Buffer.concat(
      this.chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.alloc(c.zeros))),
      this.size,
    );
  }
}
