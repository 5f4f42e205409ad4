/**
 * safetensors reader: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and [begin, end) byte range in the data section, then the raw data. Only the header is read.
 * The file stores weights, not the computation, so hasComputeGraph is false.
 */
import { parseFileJson } from './json-guard';
import { NameBudget, shortName } from './names';
import { emptyRecord, own } from './safe-record';
import type { ModelGraph, Precision, TensorInfo } from './graph';
import type { FormatReader } from './reader';
import { withOneLineErrors, type ByteSource } from './io/zip';
import { LIMITS, ModelFileError } from './errors';

/** safetensors dtype → normalised precision and bits per element. */
export const SAFETENSORS_DTYPES: Record<string, { precision: Precision; bits: number }> = {
  F64: { precision: 'fp64', bits: 64 },
  F32: { precision: 'fp32', bits: 32 },
  F16: { precision: 'fp16', bits: 16 },
  BF16: { precision: 'bf16', bits: 16 },
  F8_E4M3: { precision: 'fp8', bits: 8 },
  F8_E5M2: { precision: 'fp8', bits: 8 },
  F8_E8M0: { precision: 'fp8', bits: 8 },
  I64: { precision: 'int64', bits: 64 },
  I32: { precision: 'int32', bits: 32 },
  I16: { precision: 'int16', bits: 16 },
  I8: { precision: 'int8', bits: 8 },
  U64: { precision: 'uint64', bits: 64 },
  U32: { precision: 'uint32', bits: 32 },
  U16: { precision: 'uint16', bits: 16 },
  U8: { precision: 'uint8', bits: 8 },
  BOOL: { precision: 'bool', bits: 8 },
  C64: { precision: 'complex64', bits: 64 },
  F4: { precision: 'other', bits: 4 },
  F6_E2M3: { precision: 'other', bits: 6 },
  F6_E3M2: { precision: 'other', bits: 6 },
};

/** Largest safetensors header we parse (the format itself caps it at 100 MB). */
const MAX_HEADER = Math.min(LIMITS.maxHeaderBytes, 100 * 1024 * 1024);

export function readSafetensors(src: ByteSource): ModelGraph {
  return withOneLineErrors(() => readSafetensorsUnsafe(src));
}

function readSafetensorsUnsafe(src: ByteSource): ModelGraph {
  const fail: (reason: string) => never = (reason) => {
    throw new ModelFileError(src.file, reason);
  };
  if (src.size < 8) fail(`too short for a safetensors file (${src.size} bytes; the header length alone takes 8)`);
  const n64 = src.read(0, 8, 'safetensors header length').readBigUInt64LE(0);
  if (n64 > BigInt(MAX_HEADER)) fail(`safetensors header length ${n64} is larger than the ${MAX_HEADER}-byte limit: corrupted or not safetensors`);
  const n = Number(n64);
  if (8 + n > src.size) fail(`safetensors header length ${n} runs past the end of the file (${src.size} bytes): truncated`);
  const text = src.read(8, n, 'safetensors header').toString('utf8');
  const parsed = parseFileJson(text, (reason) => fail(`safetensors header: ${reason}`));
  const header = parsed.value;
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('safetensors header is not a JSON object');
  // JSON.parse keeps the last of two equal keys: two tensors with one name would silently become one.
  if (parsed.duplicateKeys.length) fail(`tensor name "${shortName(parsed.duplicateKeys[0])}" appears more than once in the header (${parsed.duplicateKeys.length} duplicated name${parsed.duplicateKeys.length > 1 ? 's' : ''}): corrupted`);
  const names = new NameBudget(src.file);
  const dataStart = 8 + n;
  const dataLen = src.size - dataStart;
  const warnings: string[] = [];
  const tensors = new Map<string, TensorInfo>();
  const extra = emptyRecord<string | number | boolean>();
  const ranges: { name: string; begin: number; end: number }[] = [];
  const dtypeCounts = emptyRecord<number>();

  for (const [rawName, value] of Object.entries(header as Record<string, unknown>)) {
    const name = names.name(rawName, 'tensor name');
    if (rawName === '__metadata__') {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        let k = 0;
        for (const [mk, mv] of Object.entries(value as Record<string, unknown>)) {
          if (k++ >= 64) break;
          if (typeof mv === 'string') extra[`metadata.${mk}`] = mv.length > 200 ? `${mv.slice(0, 200)}…` : mv;
        }
      }
      continue;
    }
    if (tensors.size >= LIMITS.maxTensors) fail(`more than ${LIMITS.maxTensors} tensors`);
    if (!value || typeof value !== 'object') fail(`tensor "${name}" has no description object`);
    const t = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t.dtype !== 'string') fail(`tensor "${name}" has no dtype`);
    const dtype = t.dtype;
    if (!Array.isArray(t.shape)) fail(`tensor "${name}" has no shape list`);
    const shape = t.shape as unknown[];
    if (shape.length > 64) fail(`tensor "${name}" has rank ${shape.length}: absurd`);
    let elements = 1;
    for (const d of shape) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) fail(`tensor "${name}" has an invalid dimension ${JSON.stringify(d)} in shape ${JSON.stringify(shape)}`);
      elements *= d as number;
      if (elements > LIMITS.maxTensorElements) fail(`tensor "${name}" has an absurd shape ${JSON.stringify(shape)} (more than ${LIMITS.maxTensorElements} elements)`);
    }
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`);
    if (end > dataLen) fail(`tensor "${name}" data [${begin}, ${end}) runs past the end of the data section (${dataLen} bytes): truncated`);
    const known = own(SAFETENSORS_DTYPES, dtype);
    let bits: number | null;
    let precision: Precision;
    if (known) {
      bits = known.bits;
      precision = known.precision;
      const expected = Math.ceil((elements * bits) / 8);
      if (end - begin !== expected) {
        fail(`tensor "${name}" (${dtype} ${JSON.stringify(shape)}) should take ${expected} bytes but its data_offsets span ${end - begin}`);
      }
    } else {
      precision = 'other';
      bits = elements > 0 ? ((end - begin) * 8) / elements : null;
      warnings.push(`tensor "${name}" has dtype "${dtype}" unknown to this reader; its size is taken from data_offsets`);
    }
    dtypeCounts[dtype] = (dtypeCounts[dtype] ?? 0) + 1;
    ranges.push({ name, begin, end });
    tensors.set(name, {
      name,
      shape: shape as number[],
      dtype,
      precision,
      bitsPerElement: bits,
      isConstant: true,
      elements,
      storedBytes: end - begin,
      dataOffset: dataStart + begin,
    });
  }

  // Tensors must not share bytes: sort by start and compare neighbours.
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let last: { name: string; begin: number; end: number } | null = null;
  for (const cur of ranges) {
    if (cur.end === cur.begin) continue;
    if (last && cur.begin < last.end) {
      fail(`tensors "${last.name}" [${last.begin}, ${last.end}) and "${cur.name}" [${cur.begin}, ${cur.end}) overlap`);
    }
    if (!last || cur.end > last.end) last = cur;
  }
  const covered = ranges.reduce((s, r) => s + (r.end - r.begin), 0);
  if (covered < dataLen) warnings.push(`${dataLen - covered} bytes of the data section belong to no tensor`);

  const shortened = names.note();
  if (shortened) warnings.push(shortened);
  warnings.unshift('safetensors stores weights, not the computation: MACs, activations and layer structure cannot be known from this file');
  extra.tensorCount = tensors.size;
  extra.headerBytes = n;
  extra.dtypes = Object.entries(dtypeCounts)
    .map(([k, v]) => `${k}:${v}`)
    .join(', ');

  return {
    format: 'safetensors',
    file: src.file,
    bytes: src.size,
    main: { id: 'main', name: 'main', nodes: [], tensors, inputs: [], outputs: [] },
    subgraphs: [],
    metadata: { extra },
    compiledSegments: [],
    hasComputeGraph: false,
    warnings,
  };
}

export const safetensorsReader: FormatReader = {
  format: 'safetensors',
  read: (src) => readSafetensors(src),
};
