/**
 * JSON.parse for JSON that comes from a model file (safetensors headers, Keras configs, Core ML package
 * manifests), with checks JSON.parse cannot make:
 * - object keys longer than 16,383 characters: V8 hashes such strings by their length alone, so JSON.parse
 *   compares every long key with every other (4,000 keys of 17,000 characters take 25 s, 8,000 take minutes).
 *   More than MAX_LONG_KEYS of them is a hostile file, refused before parsing.
 * - duplicate keys in the top-level object, which JSON.parse resolves silently (the last one wins): returned,
 *   so the reader can refuse or warn.
 * - nesting deeper than MAX_DEPTH: JSON.parse with a reviver recurses once per level and overflows the stack
 *   (reported as "Maximum call stack size exceeded", not as what it is); no model file's JSON nests that deep.
 * One linear scan of the text, then JSON.parse (optionally into objects without a prototype, so keys such as
 * "__proto__" or "constructor" are plain data).
 */
import { shortName } from './names';

/** Longest key V8 hashes by content (String::kMaxHashCalcLength). */
const HASHED_KEY_CHARS = 16_383;
/** Keys longer than that which one document may hold (their pairwise comparisons stay cheap). */
const MAX_LONG_KEYS = 64;
/** Deepest nesting of objects and arrays accepted (Keras configs of nested models stay far below it). */
const MAX_DEPTH = 1000;

export interface ParsedJson {
  value: unknown;
  /** Keys that appear more than once in the top-level object (each listed once). */
  duplicateKeys: string[];
}

const prototypeFree = (_k: string, v: unknown): unknown => (v && typeof v === 'object' && !Array.isArray(v) ? Object.assign(Object.create(null), v) : v);

/** Parses `text`; `fail` is called (and must throw) with a one-line reason for invalid or hostile JSON. */
export function parseFileJson(text: string, fail: (reason: string) => never, options: { prototypeFree?: boolean } = {}): ParsedJson {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  let depth = 0;
  let longKeys = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > MAX_DEPTH) fail(`the JSON nests deeper than ${MAX_DEPTH} levels: hostile, refused`);
    }
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
    else if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (end < 0) break; // unterminated: JSON.parse reports it
      let j = end + 1;
      while (j < text.length && isSpace(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === 0x3a /* : */) {
        const raw = end - i - 1;
        if (raw > HASHED_KEY_CHARS && ++longKeys > MAX_LONG_KEYS) {
          fail(`the JSON has more than ${MAX_LONG_KEYS} keys longer than ${HASHED_KEY_CHARS} characters: hostile, refused`);
        }
        if (depth === 1) {
          const key = decodeKey(text.slice(i, end + 1));
          const id = shortName(key);
          if (seen.has(id)) duplicates.add(key);
          else seen.add(id);
        }
      }
      i = end;
    }
  }
  let value: unknown;
  try {
    value = options.prototypeFree ? JSON.parse(text, prototypeFree) : JSON.parse(text);
  } catch (e) {
    fail(`not valid JSON: ${(e as Error).message}`);
  }
  return { value, duplicateKeys: [...duplicates] };
}

/** Index of the quote that closes the string opened at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let j = start;
  for (;;) {
    j = text.indexOf('"', j + 1);
    if (j < 0) return -1;
    let backslashes = 0;
    for (let k = j - 1; k > start && text.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function decodeKey(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return literal;
  }
}
