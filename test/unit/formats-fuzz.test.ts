/**
 * Bounded fuzz of the safetensors, GGUF, PyTorch, Keras and Core ML readers: each real fixture is truncated at
 * seeded random points and has seeded random bytes flipped (biased towards headers, directories and the end of
 * the file where the structure lives). Every result must be a graph or a ModelFileError — never another
 * exception and never a hang (each read is timed). Deterministic: the PRNG is seeded per file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import { BufferSource } from '../../src/analyzers/io/zip';
import { readSafetensors } from '../../src/analyzers/safetensors';
import { readGguf } from '../../src/analyzers/gguf';
import { readPytorch } from '../../src/analyzers/pytorch';
import { readKeras } from '../../src/analyzers/keras';
import { readCoreml } from '../../src/analyzers/coreml';
import { ModelFileError } from '../../src/analyzers/errors';
import type { ModelGraph } from '../../src/analyzers/graph';
import { SKIP_NO_SHARED, fixture } from '../support/shared';

const CASES: [string, (s: BufferSource) => ModelGraph][] = [
  ['silero_vad_16k.safetensors', readSafetensors],
  ['mnist-fc-f32.gguf', readGguf],
  ['ggml-vocab-llama-spm.gguf', readGguf],
  ['candle_test_with_key.pt', readPytorch],
  ['silero_vad.jit', readPytorch],
  ['pretrainedResnet.h5', readKeras],
  ['str_ww_ref_model.h5', readKeras],
  ['MNIST.mlmodel', readCoreml],
];

/** EDGEPLAN_FUZZ_ITERATIONS / EDGEPLAN_FUZZ_SEED widen a local run; the suite uses the bounded defaults. */
const ITERATIONS = Number(process.env.EDGEPLAN_FUZZ_ITERATIONS ?? 150);
const SEED = Number(process.env.EDGEPLAN_FUZZ_SEED ?? 7);
const MAX_MS_PER_READ = 5000;

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** A position where structure is likely: the first 8 KiB, the last 8 KiB, or anywhere. */
function position(rand: () => number, size: number): number {
  const r = rand();
  if (r < 0.45) return Math.floor(rand() * Math.min(size, 8192));
  if (r < 0.8) return Math.max(0, size - 1 - Math.floor(rand() * Math.min(size, 8192)));
  return Math.floor(rand() * size);
}

for (const [name, read] of CASES) {
  test(`fuzz ${name}: ${ITERATIONS} truncations and byte flips give a graph or a ModelFileError`, { skip: SKIP_NO_SHARED, timeout: 180_000 }, () => {
    const original = fs.readFileSync(fixture(name));
    const rand = prng([...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, SEED));
    let graphs = 0;
    let errors = 0;
    // the unmutated file reads
    read(new BufferSource(name, original));
    for (let i = 0; i < ITERATIONS; i++) {
      let bytes: Buffer;
      let what: string;
      if (i % 3 === 0) {
        const n = position(rand, original.length);
        bytes = original.subarray(0, n);
        what = `truncated to ${n} bytes`;
      } else {
        bytes = Buffer.from(original);
        const flips = 1 + Math.floor(rand() * 8);
        const at: number[] = [];
        for (let k = 0; k < flips; k++) {
          const p = position(rand, bytes.length);
          bytes[p] = Math.floor(rand() * 256);
          at.push(p);
        }
        what = `bytes changed at ${at.join(', ')}`;
      }
      const t0 = Date.now();
      try {
        const g = read(new BufferSource(name, bytes));
        assert.ok(g.main && g.main.tensors instanceof Map, `${name} ${what}: not a graph`);
        for (const t of g.main.tensors.values()) {
          if (t.storedBytes !== undefined) assert.ok(Number.isFinite(t.storedBytes) && t.storedBytes >= 0, `${name} ${what}: storedBytes ${t.storedBytes}`);
          if (t.elements !== undefined) assert.ok(Number.isFinite(t.elements) && t.elements >= 0, `${name} ${what}: elements ${t.elements}`);
        }
        graphs++;
      } catch (e) {
        if (!(e instanceof ModelFileError)) {
          assert.fail(`${name} ${what}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
        }
        assert.ok(!e.message.includes('\n'), `${name} ${what}: multi-line message`);
        errors++;
      }
      const ms = Date.now() - t0;
      assert.ok(ms < MAX_MS_PER_READ, `${name} ${what}: took ${ms} ms`);
    }
    assert.equal(graphs + errors, ITERATIONS);
  });
}
