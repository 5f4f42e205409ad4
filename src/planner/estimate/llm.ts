/**
 * The one test for "this file is a large language model's weights", used by the estimator (per-token decode
 * latency of a weights-only file), the compatibility check (an LLM runtime would execute it) and the recommender
 * (LLM techniques and toolchains). It decides from what the file says it is, never from its size:
 *   - GGUF without tensors (a vocabulary-only file): the architecture metadata — a transformer (block count and
 *     attention heads) that is not a non-causal encoder (`<arch>.attention.causal` false, BERT-family);
 *   - any weights-only file with tensors: their names show a decoder language model — a token embedding
 *     (`model.embed_tokens`, `transformer.wte`, `token_embd` …), transformer blocks with attention and an MLP
 *     (`model.layers.N.self_attn.q_proj` + `mlp.up_proj`, `transformer.h.N.attn` + `mlp`, `blk.N.attn_q` +
 *     `ffn_up` …), and an LM head (`lm_head`, `embed_out`, GGUF `output`) or, for a decoder-only stack, an
 *     embedding tied to the head. An encoder (BERT, CLIP's text tower) without an LM head is not one.
 * A file with a compute graph is estimated per inference from its layers, never per token.
 * The verdict carries its reason in words, which an estimate without latency quotes. No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';

export interface LanguageModelVerdict {
  llm: boolean;
  /** What the decision rests on, in words ("its tensor names show no token embedding …"). */
  reason: string;
}

const TOKEN_EMBEDDING = /(?:^|\.)(?:embed_tokens|wte|word_embeddings|tok_embeddings|token_embd|embed_in|token_embedding|tok_emb|word_emb)(?:\.weight)?$/;
const BLOCK = /(?:^|\.)(?:h|layers|layer|blocks|block|blk)\.(\d+)\.(.*)$/;
const ATTENTION = /attn|attention|q_proj|qkv|query/;
const MLP = /mlp|ffn|feed_forward|fc1|c_fc|up_proj|down_proj|dense_h_to_4h|intermediate/;
const LM_HEAD = /^(?:(?:.*\.)?(?:lm_head|embed_out)|output)\.weight$/;
const ENCODER = /(?:^|\.)encoder\.|token_type_embeddings|(?:^|\.)token_types\./;

/** GGUF architectures that are BERT-family encoders even where the file omits `<arch>.attention.causal`. */
const ENCODER_ARCH = /bert|encoder/;

export function isLlm(p: ModelProfile): boolean {
  return languageModelTest(p).llm;
}

export function languageModelTest(p: ModelProfile): LanguageModelVerdict {
  if (p.hasComputeGraph) return { llm: false, reason: 'the file has a compute graph, so it is estimated per inference from its layers' };
  const names = p.storedTensors?.names ?? [];
  if (p.format === 'gguf') {
    const gguf = ggufMetadataTest(p.metadata, names.length > 0);
    if (gguf) return gguf;
  }
  if (!names.length) return { llm: false, reason: 'the file lists no tensors to tell what model they belong to' };
  return tensorNameTest(names);
}

/** The GGUF metadata's verdict, or null when the tensor names decide. */
function ggufMetadataTest(md: ModelProfile['metadata'], hasTensors: boolean): LanguageModelVerdict | null {
  const arch = md['general.architecture'];
  if (typeof arch !== 'string' || !arch) return hasTensors ? null : { llm: false, reason: 'the GGUF file names no architecture and holds no tensors' };
  if (md[`${arch}.attention.causal`] === false || ENCODER_ARCH.test(arch)) {
    return { llm: false, reason: `the GGUF architecture "${arch}" is a non-causal encoder (an embedding model), not a decoder language model` };
  }
  if (hasTensors) return null;
  const blocks = md[`${arch}.block_count`];
  const heads = md[`${arch}.attention.head_count`];
  if (typeof blocks === 'number' && blocks > 0 && typeof heads === 'number' && heads > 0) {
    return { llm: true, reason: `the GGUF metadata names a transformer language model (architecture "${arch}", ${blocks} blocks, ${heads} attention heads)` };
  }
  return { llm: false, reason: `the GGUF architecture "${arch}" is not a transformer language model (its metadata gives no block count and attention heads)` };
}

function tensorNameTest(names: readonly string[]): LanguageModelVerdict {
  const embedding = names.find((n) => TOKEN_EMBEDDING.test(n));
  if (!embedding) return { llm: false, reason: `its ${names.length} tensor names show no token embedding, such as model.embed_tokens or transformer.wte` };
  const blocks = new Map<string, { attention: boolean; mlp: boolean }>();
  for (const n of names) {
    const m = BLOCK.exec(n);
    if (!m) continue;
    const b = blocks.get(m[1]) ?? { attention: false, mlp: false };
    b.attention ||= ATTENTION.test(m[2]);
    b.mlp ||= MLP.test(m[2]);
    blocks.set(m[1], b);
  }
  const full = [...blocks.values()].filter((b) => b.attention && b.mlp).length;
  if (full === 0) return { llm: false, reason: `its tensor names show a token embedding (${embedding}) but no transformer blocks with attention and MLP` };
  const shown = `a token embedding (${embedding}), ${full} transformer block${full === 1 ? '' : 's'} with attention and MLP`;
  const head = names.find((n) => LM_HEAD.test(n));
  if (head) return { llm: true, reason: `its tensor names show ${shown}, and an LM head (${head})` };
  const encoder = names.find((n) => ENCODER.test(n));
  if (encoder) return { llm: false, reason: `its tensor names show ${shown}, but as an encoder (${encoder}) with no LM head: an encoder or embedding model, not a decoder language model` };
  return { llm: true, reason: `its tensor names show ${shown}, and an LM head tied to the token embedding (no separate head tensor)` };
}
