/**
 * One content-based LLM test (src/planner/estimate/llm.ts) decides for the estimator, the compatibility check
 * and the recommender: a 150 M-parameter vision transformer stored as safetensors is not a language model, so
 * it gets no per-token decode latency (estimate-basics.test.ts holds the GGUF LLM that does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import { estimateDevice } from '../../src/planner/estimate';
import { isLlm } from '../../src/planner/estimate/llm';
import { modelTraits } from '../../src/planner/recommend';

/** A ViT-like safetensors file (patch embedding, `layers` encoder blocks, head) whose data section is a sparse hole. */
function writeVitSafetensors(file: string, layers: number): number {
  const d = 768;
  const tensors: [string, number[]][] = [
    ['vit.embeddings.patch_embeddings.projection.weight', [d, 3, 16, 16]],
    ['vit.embeddings.position_embeddings', [1, 197, d]],
  ];
  for (let i = 0; i < layers; i++) {
    const p = `vit.encoder.layer.${i}`;
    for (const n of ['query', 'key', 'value']) tensors.push([`${p}.attention.attention.${n}.weight`, [d, d]], [`${p}.attention.attention.${n}.bias`, [d]]);
    tensors.push([`${p}.attention.output.dense.weight`, [d, d]], [`${p}.intermediate.dense.weight`, [4 * d, d]], [`${p}.output.dense.weight`, [d, 4 * d]]);
  }
  tensors.push(['classifier.weight', [1000, d]]);
  const header: Record<string, unknown> = {};
  let off = 0;
  let params = 0;
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [off, off + 4 * n] };
    off += 4 * n;
    params += n;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json]));
  fs.truncateSync(file, 8 + json.length + off);
  return params;
}

test('a 150 M-parameter ViT-like safetensors file is not an LLM: no per-token latency, on any device', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeplan-llm-'));
  try {
    const file = path.join(dir, 'vit-like.safetensors');
    const written = writeVitSafetensors(file, 20);
    const { model } = await analyzeFile(file);
    assert.equal(model.params, written);
    assert.ok(model.params > 1.4e8 && model.params < 1.6e8, String(model.params));
    assert.equal(model.hasComputeGraph, false);
    assert.equal(isLlm(model), false);
    assert.equal(modelTraits(model).llm, false, 'the recommender uses the same test');
    for (const device of ['rpi5', 'jetson-orin-nano', 'snapdragon-8-gen-3']) {
      const e = estimateDevice(model, device);
      assert.notEqual(e.latencyBasis, 'per-token', device);
      assert.equal(e.latencyBasis, 'unknown', device);
      assert.ok(Number.isNaN(e.latencyMs.typical), device);
      assert.equal(e.compatibility.verdict, 'unsupported', device);
      assert.ok(e.assumptions.some((a) => /^Latency is not estimated: .*no compute graph/.test(a)), device);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

