/**
 * safetensors and GGUF readers: real files against independently read facts (shared/models/facts), the
 * unlabelled files (parse, sane totals), and files written here for what the fixtures miss (several dtypes,
 * Q4_K/Q8_0/Q6_K blocks, every GGUF value type) plus hostile variants.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { FileSource } from '../../src/analyzers/io/file-source';
import { BufferSource } from '../../src/analyzers/io/zip';
import { readSafetensors, safetensorsReader } from '../../src/analyzers/safetensors';
import { readGguf, ggufReader } from '../../src/analyzers/gguf';
import { ModelFileError } from '../../src/analyzers/errors';
import { buildProfile } from '../../src/analyzers/profile';
import type { ModelGraph } from '../../src/analyzers/graph';
import { SKIP_NO_SHARED, fixture, sharedDir, unlabelled } from '../support/shared';
import { ggufBytes } from '../support/gguf-writer';

const facts = (name: string): any => JSON.parse(fs.readFileSync(path.join(sharedDir, 'models', 'facts', `${name}.json`), 'utf8'));

function readFile(file: string, read: (s: FileSource) => ModelGraph): ModelGraph {
  const src = new FileSource(file);
  try {
    return read(src);
  } finally {
    src.close();
  }
}

function totals(g: ModelGraph): { elements: number; bytes: number } {
  let elements = 0;
  let bytes = 0;
  for (const t of g.main.tensors.values()) {
    if (!t.isConstant) continue;
    elements += t.elements ?? 0;
    bytes += t.storedBytes ?? 0;
  }
  return { elements, bytes };
}

function throwsModelError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return true;
  });
}

// ------------------------------------------------------------------ safetensors

function safetensorsBytes(header: unknown, data: Buffer, lengthOverride?: bigint): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

test('safetensors fixture: 15 F32 tensors, names, shapes and totals match the independent facts', { skip: SKIP_NO_SHARED }, () => {
  const f = facts('silero_vad_16k.safetensors');
  const g = readFile(fixture('silero_vad_16k.safetensors'), (s) => readSafetensors(s));
  assert.equal(g.format, 'safetensors');
  assert.equal(g.hasComputeGraph, false);
  assert.equal(g.main.tensors.size, f.tensor_count);
  const t = totals(g);
  assert.equal(t.elements, f.param_count);
  assert.equal(t.bytes, f.tensor_bytes);
  for (const ft of f.tensors) {
    const mine = g.main.tensors.get(ft.name);
    assert.ok(mine, ft.name);
    assert.deepEqual(mine.shape, ft.shape);
    assert.equal(mine.dtype, ft.dtype);
    assert.equal(mine.precision, 'fp32');
    assert.equal(mine.bitsPerElement, 32);
  }
  assert.equal(g.metadata.extra?.headerBytes, f.header_bytes);
  // data offsets lie after the header, inside the file
  for (const tt of g.main.tensors.values()) assert.ok(tt.dataOffset! >= 8 + f.header_bytes && tt.dataOffset! + tt.storedBytes! <= f.file_bytes);
  assert.ok(g.warnings.some((w) => /weights, not the computation/.test(w)));
  // through the profile builder: params and bytes, MACs unknown
  const { profile } = buildProfile(g, {});
  assert.equal(profile.params, f.param_count);
  assert.equal(profile.macs, null);
});

test('safetensors unlabelled mel_filters: parses with sane totals', { skip: SKIP_NO_SHARED }, () => {
  const file = unlabelled('mel_filters.safetensors');
  const g = readFile(file, (s) => safetensorsReader.read(s, {}) as ModelGraph);
  const t = totals(g);
  assert.ok(g.main.tensors.size >= 1);
  assert.ok(t.bytes > 0 && t.bytes <= fs.statSync(file).size);
});

test('safetensors with several dtypes and __metadata__: bits, precision and bytes per dtype', () => {
  const shapes: [string, string, number[], number][] = [
    ['a.f16', 'F16', [2, 3], 2],
    ['b.bf16', 'BF16', [4], 2],
    ['c.i8', 'I8', [5, 1], 1],
    ['d.f64', 'F64', [2], 8],
    ['e.u8', 'U8', [3], 1],
    ['f.bool', 'BOOL', [2], 1],
    ['g.f8', 'F8_E4M3', [4], 1],
    ['h.empty', 'F32', [0, 7], 4],
  ];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', note: 'made in a test' } };
  let off = 0;
  for (const [name, dtype, shape, size] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1) * size;
    header[name] = { dtype, shape, data_offsets: [off, off + n] };
    off += n;
  }
  const g = readSafetensors(new BufferSource('multi.safetensors', safetensorsBytes(header, Buffer.alloc(off))));
  assert.equal(g.main.tensors.size, shapes.length);
  const byName = (n: string) => g.main.tensors.get(n)!;
  assert.equal(byName('a.f16').precision, 'fp16');
  assert.equal(byName('a.f16').storedBytes, 12);
  assert.equal(byName('b.bf16').precision, 'bf16');
  assert.equal(byName('c.i8').precision, 'int8');
  assert.equal(byName('c.i8').bitsPerElement, 8);
  assert.equal(byName('d.f64').storedBytes, 16);
  assert.equal(byName('f.bool').precision, 'bool');
  assert.equal(byName('g.f8').precision, 'fp8');
  assert.equal(byName('h.empty').elements, 0);
  assert.equal(g.metadata.extra?.['metadata.format'], 'pt');
  assert.match(String(g.metadata.extra?.dtypes), /F16:1/);
  assert.equal(byName('a.f16').dataOffset, 8 + (safetensorsBytes(header, Buffer.alloc(0)).length - 8));
});

test('safetensors hostile variants give one-line ModelFileErrors', () => {
  const ok = { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
  const mk = (h: unknown, data = Buffer.alloc(16), len?: bigint) => new BufferSource('bad.safetensors', safetensorsBytes(h, data, len));
  throwsModelError(() => readSafetensors(mk(ok, Buffer.alloc(16), 1n << 40n)), /header length .* larger than/);
  throwsModelError(() => readSafetensors(mk(ok, Buffer.alloc(16), 5000n)), /runs past the end of the file/);
  throwsModelError(() => readSafetensors(mk({ w: { dtype: 'F32', shape: [-1, 4], data_offsets: [0, 16] } })), /invalid dimension -1/);
  throwsModelError(() => readSafetensors(mk({ w: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 16] } })), /absurd shape/);
  throwsModelError(() => readSafetensors(mk({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 64] } })), /runs past the end of the data/);
  throwsModelError(() => readSafetensors(mk({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } })), /should take 16 bytes/);
  throwsModelError(
    () => readSafetensors(mk({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } })),
    /overlap/,
  );
  throwsModelError(() => readSafetensors(mk({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [8, 4] } })), /end before they begin/);
  throwsModelError(() => readSafetensors(new BufferSource('bad.safetensors', Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a":')]))), /not valid JSON/);
  throwsModelError(() => readSafetensors(new BufferSource('bad.safetensors', Buffer.alloc(4))), /too short/);
  // unknown dtype: read, with a warning, size from the offsets
  const g = readSafetensors(mk({ w: { dtype: 'F12', shape: [4], data_offsets: [0, 16] } }));
  assert.equal(g.main.tensors.get('w')!.precision, 'other');
  assert.ok(g.warnings.some((w) => /unknown to this reader/.test(w)));
});

// ------------------------------------------------------------------ GGUF

test('GGUF mnist-fc-f32: 4 F32 tensors, dims, data offset and totals match the facts', { skip: SKIP_NO_SHARED }, () => {
  const f = facts('mnist-fc-f32.gguf');
  const g = readFile(fixture('mnist-fc-f32.gguf'), (s) => readGguf(s));
  assert.equal(g.format, 'gguf');
  assert.equal(g.hasComputeGraph, false);
  assert.equal(g.main.tensors.size, f.tensor_count);
  for (const ft of f.tensors) {
    const t = g.main.tensors.get(ft.name)!;
    assert.deepEqual(t.shape, ft.dims);
    assert.equal(t.dtype, ft.type);
  }
  const t = totals(g);
  assert.equal(t.elements, f.param_count);
  assert.equal(t.bytes, f.tensor_bytes);
  assert.equal(g.metadata.formatVersion, f.gguf_version);
  assert.equal(g.metadata.extra?.['general.architecture'], f.architecture);
  assert.equal(g.metadata.extra?.dataOffset, f.data_offset);
  assert.equal(g.metadata.extra?.kvCount, f.kv_count);
  assert.equal(g.main.tensors.get('fc1.weight')!.dataOffset, f.data_offset);
});

test('GGUF vocab-only llama file ends before the aligned data offset: no error, zero tensors, KV facts', { skip: SKIP_NO_SHARED }, () => {
  const f = facts('ggml-vocab-llama-spm.gguf');
  const g = readFile(fixture('ggml-vocab-llama-spm.gguf'), (s) => readGguf(s));
  assert.equal(g.main.tensors.size, 0);
  assert.ok(f.data_offset > f.file_bytes, 'the trap is real');
  const x = g.metadata.extra!;
  assert.equal(x.dataOffset, f.data_offset);
  assert.equal(x.kvCount, f.kv_count);
  assert.equal(x['general.architecture'], 'llama');
  assert.equal(x['general.name'], f.name);
  assert.equal(x['llama.context_length'], f.kv['llama.context_length']);
  assert.equal(x.contextLength, 4096);
  assert.equal(x.vocabSize, f.kv['tokenizer.ggml.tokens'].len);
  assert.equal(x['tokenizer.ggml.add_bos_token'], true);
  assert.ok(g.warnings.some((w) => /no tensors/.test(w)));
});

test('GGUF unlabelled bert-bge vocab: parses with sane totals', { skip: SKIP_NO_SHARED }, () => {
  const g = readFile(unlabelled('ggml-vocab-bert-bge.gguf'), (s) => ggufReader.read(s, {}) as ModelGraph);
  assert.equal(g.metadata.extra?.['general.architecture'], 'bert');
  assert.ok(Number(g.metadata.extra?.vocabSize) > 1000);
  assert.equal(totals(g).bytes, 0);
});


test('GGUF written here: Q4_K, Q8_0, Q6_K, Q4_0, F16 blocks give their real bits per element; every KV type', () => {
  const tensors = [
    { name: 'blk.0.attn_q.weight', dims: [512, 64], type: 12, bytes: (512 * 64 / 256) * 144 }, // Q4_K
    { name: 'blk.0.ffn_up.weight', dims: [256, 8], type: 8, bytes: (256 * 8 / 32) * 34 }, // Q8_0
    { name: 'output.weight', dims: [256, 4], type: 14, bytes: (256 * 4 / 256) * 210 }, // Q6_K
    { name: 'tok.weight', dims: [64, 2], type: 2, bytes: (64 * 2 / 32) * 18 }, // Q4_0
    { name: 'norm.weight', dims: [64], type: 1, bytes: 128 }, // F16
  ];
  const kvs: [string, number, unknown][] = [
    ['general.architecture', 8, 'tinyllama'],
    ['general.alignment', 4, 64],
    ['tinyllama.context_length', 4, 2048],
    ['tinyllama.block_count', 5, 1],
    ['u8', 0, 7], ['i8', 1, -7], ['u16', 2, 700], ['i16', 3, -700], ['f32', 6, 0.5], ['b', 7, true],
    ['u64', 10, 123456789], ['i64', 11, -5], ['f64', 12, 2.25],
    ['tokenizer.ggml.tokens', 9, [8, ['<s>', '</s>', 'a', 'b', 'c']]],
    ['tokenizer.ggml.scores', 9, [6, [0, 1, 2, 3, 4]]],
  ];
  const buf = ggufBytes(kvs, tensors, { alignment: 64 });
  const g = readGguf(new BufferSource('tiny.gguf', buf));
  const t = (n: string) => g.main.tensors.get(n)!;
  assert.equal(t('blk.0.attn_q.weight').dtype, 'Q4_K');
  assert.equal(t('blk.0.attn_q.weight').bitsPerElement, 4.5);
  assert.equal(t('blk.0.attn_q.weight').precision, 'int4');
  assert.equal(t('blk.0.attn_q.weight').storedBytes, 18432);
  assert.equal(t('blk.0.ffn_up.weight').bitsPerElement, 8.5);
  assert.equal(t('blk.0.ffn_up.weight').precision, 'int8');
  assert.equal(t('output.weight').bitsPerElement, 6.5625);
  assert.equal(t('tok.weight').bitsPerElement, 4.5);
  assert.equal(t('norm.weight').precision, 'fp16');
  assert.match(t('blk.0.attn_q.weight').quant!.scheme!, /Q4_K/);
  const x = g.metadata.extra!;
  assert.equal(x.alignment, 64);
  assert.equal(Number(x.dataOffset) % 64, 0);
  assert.equal(t('blk.0.attn_q.weight').dataOffset, x.dataOffset);
  assert.equal(x.contextLength, 2048);
  assert.equal(x.vocabSize, 5);
  assert.equal(x.i8, -7);
  assert.equal(x.i16, -700);
  assert.equal(x.f32, 0.5);
  assert.equal(x.b, true);
  assert.equal(x.u64, 123456789);
  assert.equal(x.i64, -5);
  assert.equal(x.f64, 2.25);
  assert.equal(x['tokenizer.ggml.scores'], 'array of 5 float32');
  // the profile sees block quantization
  const { profile } = buildProfile(g, {});
  assert.equal(profile.params, 512 * 64 + 256 * 8 + 256 * 4 + 64 * 2 + 64);
  assert.equal(profile.quantization.state, 'block-quantized');
});

test('GGUF hostile variants give one-line ModelFileErrors', () => {
  const one = [{ name: 'w', dims: [256, 2], type: 12, bytes: 288 }];
  throwsModelError(() => readGguf(new BufferSource('t.gguf', ggufBytes([], one, { truncateData: 100 }))), /runs past the end of the file/);
  throwsModelError(() => readGguf(new BufferSource('t.gguf', ggufBytes([], [{ name: 'w', dims: [100, 2], type: 12, bytes: 288 }]))), /not a multiple of its block size 256/);
  throwsModelError(() => readGguf(new BufferSource('t.gguf', ggufBytes([], [{ name: 'w', dims: [4], type: 77, bytes: 16 }]))), /ggml type 77/);
  throwsModelError(() => readGguf(new BufferSource('t.gguf', ggufBytes([], [{ name: 'w', dims: [1 << 30, 1 << 30], type: 0, bytes: 16 }]))), /absurd shape/);
  throwsModelError(() => readGguf(new BufferSource('t.gguf', ggufBytes([['k', 99, 0]], []))), /value type 99/);
  throwsModelError(() => readGguf(new BufferSource('t.gguf', ggufBytes([], [], { version: 9 }))), /unsupported GGUF version 9/);
  throwsModelError(() => readGguf(new BufferSource('t.gguf', ggufBytes([['general.alignment', 4, 48]], one))), /power of two/);
  // absurd counts
  const absurd = ggufBytes([], []);
  absurd.writeBigUInt64LE(1n << 40n, 8);
  throwsModelError(() => readGguf(new BufferSource('t.gguf', absurd)), /claims \d+ tensors/);
  // a string length past the end
  const longStr = ggufBytes([['general.name', 8, 'abc']], []);
  longStr.writeBigUInt64LE(1000n, 24 + 8 + 'general.name'.length + 4);
  throwsModelError(() => readGguf(new BufferSource('t.gguf', longStr)), /truncated|past the end/);
  // every truncation of a small valid file is a ModelFileError or a graph, never another exception
  const good = ggufBytes([['general.architecture', 8, 'x'], ['a', 9, [8, ['p', 'q']]]], one);
  for (let n = 0; n < good.length; n++) {
    try {
      readGguf(new BufferSource('t.gguf', good.subarray(0, n)));
    } catch (e) {
      assert.ok(e instanceof ModelFileError, `truncation at ${n}: ${(e as Error).message}`);
    }
  }
});
