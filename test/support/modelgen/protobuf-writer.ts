/**
 * Protocol Buffers wire-format writer for the model generators (ONNX models, and the Core ML specifications
 * the tests write): a message is a list of chunks, where `{ zeros }` stands for a run of zero bytes so large
 * weights cost no memory until the file is written.
 */
type Chunk = Buffer | { zeros: number };

export class Enc {
  readonly chunks: Chunk[] = [];
  size = 0;

  private push(c: Chunk): void {
    this.chunks.push(c);
    this.size += Buffer.isBuffer(c) ? c.length : c.zeros;
  }
  private static varintBytes(v: number | bigint): Buffer {
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
  private tag(field: number, wire: number): void {
    this.push(Enc.varintBytes(field * 8 + wire));
  }
  varint(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.push(Enc.varintBytes(v));
    return this;
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
    return this;
  }
  bytes(field: number, b: Buffer | Uint8Array | { zeros: number }): this {
    this.tag(field, 2);
    const isBytes = b instanceof Uint8Array;
    const len = isBytes ? b.length : b.zeros;
    this.push(Enc.varintBytes(len));
    if (len > 0) this.push(isBytes ? (Buffer.isBuffer(b) ? b : Buffer.from(b)) : b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }
  message(field: number, m: Enc): this {
    this.tag(field, 2);
    this.push(Enc.varintBytes(m.size));
    for (const c of m.chunks) this.push(c);
    return this;
  }
  packedVarints(field: number, vs: (number | bigint)[]): this {
    if (!vs.length) return this;
    return this.bytes(field, Buffer.concat(vs.map((v) => Enc.varintBytes(v))));
  }
  packedFloats(field: number, vs: number[]): this {
    if (!vs.length) return this;
    const b = Buffer.alloc(vs.length * 4);
    vs.forEach((v, i) => b.writeFloatLE(v, i * 4));
    return this.bytes(field, b);
  }
  packedDoubles(field: number, vs: number[]): this {
    if (!vs.length) return this;
    const b = Buffer.alloc(vs.length * 8);
    vs.forEach((v, i) => b.writeDoubleLE(v, i * 8));
    return this.bytes(field, b);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.alloc(c.zeros))));
  }
}
