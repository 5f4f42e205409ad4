/**
 * One content-based LLM test (src/planner/estimate/llm.ts) decides for the estimator, the compatibility check
 * and the recommender, from what the file says it is — GGUF architecture metadata, or tensor names that show a
 * decoder language model (token embedding, transformer blocks with attention and MLP, an LM head or a tied
 * embedding) — never from its size. A 600 M-parameter vision transformer stored as safetensors is not a language
 * model (no per-token decode latency, and the estimate says why); a 20 M-parameter Llama-named one is. Every
 * weights-only file in ../shared gets its answer checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import { estimateDevice } from '../../src/planner/estimate';
import { isLlm, languageModelTest } from '../../src/planner/estimate/llm';
import { modelTraits } from '../../src/planner/recommend';
import { commandsFor } from '../../src/planner/recommend/commands';
import { SKIP_NO_SHARED, fixture, sharedDir, tempDir, unlabelled } from '../support/shared';
import { ggufHeader } from '../support/gguf-writer';
import { vitTensors as vit, writeSafetensors, type TensorList } from '../support/safetensors-writer';

/** HF Llama naming (model.embed_tokens, model.layers.N.self_attn.q_proj / mlp.up_proj, lm_head). */
function llama(layers: number, d: number, vocab: number, tied = false): TensorList {
  const t: TensorList = [['model.embed_tokens.weight', [vocab, d]]];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) t.push([`${p}.self_attn.${n}.weight`, [d, d]]);
    for (const n of ['gate_proj', 'up_proj']) t.push([`${p}.mlp.${n}.weight`, [4 * d, d]]);
    t.push([`${p}.mlp.down_proj.weight`, [d, 4 * d]], [`${p}.input_layernorm.weight`, [d]]);
  }
  t.push(['model.norm.weight', [d]]);
  if (!tied) t.push(['lm_head.weight', [vocab, d]]);
  return t;
}

/** GPT-2 naming: transformer.wte, transformer.h.N.attn.c_attn / mlp.c_fc, the head tied to wte. */
function gpt2(layers: number, d: number): TensorList {
  const t: TensorList = [['transformer.wte.weight', [50257, d]], ['transformer.wpe.weight', [1024, d]]];
  for (let i = 0; i < layers; i++) t.push([`transformer.h.${i}.attn.c_attn.weight`, [d, 3 * d]], [`transformer.h.${i}.attn.c_proj.weight`, [d, d]], [`transformer.h.${i}.mlp.c_fc.weight`, [d, 4 * d]], [`transformer.h.${i}.mlp.c_proj.weight`, [4 * d, d]]);
  return t;
}

/** BERT naming: word embeddings and encoder blocks, a masked-LM head that is not a decoder's LM head. */
function bert(layers: number, d: number): TensorList {
  const t: TensorList = [['bert.embeddings.word_embeddings.weight', [30522, d]], ['bert.embeddings.token_type_embeddings.weight', [2, d]]];
  for (let i = 0; i < layers; i++) {
    const p = `bert.encoder.layer.${i}`;
    t.push([`${p}.attention.self.query.weight`, [d, d]], [`${p}.attention.self.key.weight`, [d, d]], [`${p}.intermediate.dense.weight`, [4 * d, d]], [`${p}.output.dense.weight`, [d, 4 * d]]);
  }
  t.push(['cls.predictions.transform.dense.weight', [d, d]]);
  return t;
}

/** A CLIP text encoder: token embedding and attention/MLP blocks, but an encoder with no LM head. */
function clipText(layers: number, d: number): TensorList {
  const t: TensorList = [['text_model.embeddings.token_embedding.weight', [49408, d]]];
  for (let i = 0; i < layers; i++) t.push([`text_model.encoder.layers.${i}.self_attn.q_proj.weight`, [d, d]], [`text_model.encoder.layers.${i}.mlp.fc1.weight`, [4 * d, d]]);
  return t;
}

const DEVICES = ['rpi5', 'jetson-orin-nano', 'snapdragon-8-gen-3'];

test('from tensor names, not size: a 600 M-parameter ViT is not an LLM, a 20 M-parameter Llama is (and tied GPT-2 heads count)', async () => {
  const dir = tempDir('llm');
  try {
    const cases: { name: string; tensors: TensorList; llm: boolean; why: RegExp }[] = [
      { name: 'vit-600m', tensors: vit(40, 1120), llm: false, why: /no token embedding/ },
      { name: 'vit-150m', tensors: vit(20, 768), llm: false, why: /no token embedding/ },
      { name: 'llama-20m', tensors: llama(4, 256, 32000), llm: true, why: /token embedding \(model\.embed_tokens\.weight\), 4 transformer blocks with attention and MLP, and an LM head \(lm_head\.weight\)/ },
      { name: 'llama-tied', tensors: llama(2, 128, 32000, true), llm: true, why: /tied to the token embedding/ },
      { name: 'gpt2-small', tensors: gpt2(12, 768), llm: true, why: /transformer\.wte\.weight.*12 transformer blocks/ },
      { name: 'bert-base', tensors: bert(12, 768), llm: false, why: /encoder/ },
      { name: 'clip-text', tensors: clipText(12, 512), llm: false, why: /encoder/ },
    ];
    for (const c of cases) {
      const file = path.join(dir, `${c.name}.safetensors`);
      const written = writeSafetensors(file, c.tensors);
      const { model } = await analyzeFile(file);
      assert.equal(model.params, written, c.name);
      const verdict = languageModelTest(model);
      assert.equal(verdict.llm, c.llm, `${c.name}: ${verdict.reason}`);
      assert.match(verdict.reason, c.why, c.name);
      assert.equal(isLlm(model), c.llm, c.name);
      assert.equal(modelTraits(model).llm, c.llm, `${c.name}: the recommender uses the same test`);
      for (const device of DEVICES) {
        const e = estimateDevice(model, device);
        if (c.llm) {
          assert.equal(e.latencyBasis, 'per-token', `${c.name} on ${device}`);
          assert.ok(e.latencyMs.typical > 0, `${c.name} on ${device}`);
        } else {
          assert.equal(e.latencyBasis, 'unknown', `${c.name} on ${device}`);
          assert.ok(Number.isNaN(e.latencyMs.typical), `${c.name} on ${device}`);
          assert.equal(e.compatibility.verdict, 'unsupported', `${c.name} on ${device}`);
          const why = e.assumptions.find((a) => a.startsWith('Latency is not estimated'));
          assert.ok(why, `${c.name} on ${device}: says why`);
          assert.match(why!, /no compute graph/, c.name);
          assert.ok(why!.includes(verdict.reason), `${c.name}: the estimate gives the test's reason: ${why}`);
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GGUF: the architecture metadata decides when there are no tensors; a non-causal encoder and a non-transformer are not LLMs', async () => {
  const dir = tempDir('llm-gguf');
  try {
    const STR = 8;
    const U32 = 4;
    const BOOL = 7;
    const write = (name: string, kvs: [string, number, unknown][]): string => {
      const file = path.join(dir, `${name}.gguf`);
      fs.writeFileSync(file, ggufHeader(kvs, []).head);
      return file;
    };
    const qwen = write('qwen-vocab', [['general.architecture', STR, 'qwen2'], ['qwen2.block_count', U32, 24], ['qwen2.attention.head_count', U32, 14], ['qwen2.embedding_length', U32, 896], ['tokenizer.ggml.model', STR, 'gpt2']]);
    const nomic = write('nomic-vocab', [['general.architecture', STR, 'nomic-bert'], ['nomic-bert.block_count', U32, 12], ['nomic-bert.attention.head_count', U32, 12], ['nomic-bert.attention.causal', BOOL, false], ['tokenizer.ggml.model', STR, 'bert']]);
    const mlp = write('mlp', [['general.architecture', STR, 'mnist-fc']]);
    const q = (await analyzeFile(qwen)).model;
    assert.equal(languageModelTest(q).llm, true, languageModelTest(q).reason);
    assert.match(languageModelTest(q).reason, /qwen2.*24 blocks/);
    const n = (await analyzeFile(nomic)).model;
    assert.equal(languageModelTest(n).llm, false);
    assert.match(languageModelTest(n).reason, /non-causal|encoder/);
    const m = (await analyzeFile(mlp)).model;
    assert.equal(languageModelTest(m).llm, false);
    assert.match(languageModelTest(m).reason, /mnist-fc/);
    // A vocabulary-only LLM file: an LLM, but with no weights there is no per-token time, and it says so.
    const e = estimateDevice(q, 'rpi5');
    assert.equal(e.latencyBasis, 'unknown');
    assert.ok(e.assumptions.some((a) => /holds no weights/.test(a)), e.assumptions.join('\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every weights-only file in ../shared gets the right answer', { skip: SKIP_NO_SHARED }, async () => {
  const v2 = (p: string): string => path.join(sharedDir, 'models', 'unlabelled-v2', p);
  const expected: [file: string, llm: boolean][] = [
    [fixture('silero_vad_16k.safetensors'), false],
    [unlabelled('mel_filters.safetensors'), false],
    [v2('safetensors/lora_analog_svd_rank4.safetensors'), false],
    [fixture('mnist-fc-f32.gguf'), false],
    [fixture('ggml-vocab-llama-spm.gguf'), true],
    [unlabelled('ggml-vocab-bert-bge.gguf'), false],
    [v2('gguf/llama-2-tiny-random.gguf'), true],
    [fixture('candle_test_with_key.pt'), false],
    [v2('pytorch/taef2_decoder.pth'), false],
    [v2('pytorch/yolov5n.pt'), false],
    [fixture('silero_vad.jit'), false],
    [unlabelled('silero_number_detector_2021.jit'), false],
  ];
  for (const [file, llm] of expected) {
    const { model } = await analyzeFile(file);
    const v = languageModelTest(model);
    assert.equal(v.llm, llm, `${path.basename(file)}: ${v.reason}`);
    const e = estimateDevice(model, 'rpi5');
    if (!model.hasComputeGraph && !llm) {
      assert.equal(e.latencyBasis, 'unknown', path.basename(file));
      assert.ok(e.assumptions.some((a) => a.startsWith('Latency is not estimated')), path.basename(file));
    }
  }
  // The one real LLM with weights gets a per-token time; the vocabulary-only one has no weights to read.
  const tiny = (await analyzeFile(v2('gguf/llama-2-tiny-random.gguf'))).model;
  assert.equal(estimateDevice(tiny, 'rpi5').latencyBasis, 'per-token');
  const vocab = (await analyzeFile(fixture('ggml-vocab-llama-spm.gguf'))).model;
  assert.equal(estimateDevice(vocab, 'rpi5').latencyBasis, 'unknown');
});

test('Core ML commands for an LLM convert its Hugging Face source with token ids in and logits out, never a torch.rand image', async () => {
  const dir = tempDir('llm-coreml');
  try {
    const file = path.join(dir, 'llama-20m.safetensors');
    writeSafetensors(file, llama(4, 256, 32000));
    const { model } = await analyzeFile(file);
    assert.ok(isLlm(model));
    const blocks = commandsFor('int4-weight-only', { profile: model, deviceClass: 'ane', deviceId: 'apple-a17-pro', deviceName: 'A17 Pro' });
    assert.equal(blocks.length, 1);
    const [b] = blocks;
    assert.equal(b.toolchain, 'coremltools');
    assert.match(b.code, /checkpoint folder that holds llama-20m\.safetensors \(with its config\.json\)[^\n]*\nhf = AutoModelForCausalLM\.from_pretrained\(/);
    assert.match(b.code, /torch\.jit\.trace\(Logits\(hf\), torch\.zeros\(\(1, 64\), dtype=torch\.int32\)\)/);
    assert.match(b.code, /ct\.TensorType\(name="input_ids", shape=\(1, ct\.RangeDim\(1, 2048\)\), dtype=np\.int32\)/);
    assert.match(b.code, /dtype="int4", granularity="per_block"/);
    assert.doesNotMatch(b.code, /torch\.rand/);
    assert.ok(b.notes?.some((n) => /KV cache[\s\S]*ct\.StateType/.test(n)), JSON.stringify(b.notes));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
