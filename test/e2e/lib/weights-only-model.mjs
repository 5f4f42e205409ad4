// A weights-only model with no computable latency, for the "no NaN anywhere" check of the planner: a small
// vision-transformer-like safetensors file (patch embedding and attention blocks, no token embedding: not a
// language model) written into a temporary folder. Never copies anything into the repository.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** { file, name, source, cleanup() } */
export function weightsOnlyModel() {
  const dir = mkdtempSync(join(tmpdir(), 'edgeplan-e2e-weights-'));
  const d = 64;
  const header = {};
  let off = 0;
  const add = (name, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [off, off + 4 * n] };
    off += 4 * n;
  };
  add('vit.embeddings.patch_embeddings.projection.weight', [d, 3, 16, 16]);
  for (let i = 0; i < 4; i++) for (const n of ['query', 'key', 'value', 'output']) add(`vit.encoder.layer.${i}.attention.${n}.weight`, [d, d]);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const file = join(dir, 'vit-weights.safetensors');
  writeFileSync(file, Buffer.concat([len, json, Buffer.alloc(off)]));
  return { file, name: 'vit-weights.safetensors', source: 'written by test/e2e/lib/weights-only-model.mjs', cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
