/**
 * The one test for "this file is a large language model", used by the estimator (per-token decode latency of a
 * weights-only file), the compatibility check (an LLM runtime would execute it) and the recommender (LLM
 * techniques and toolchains). Content-based: a GGUF file (llama.cpp's format, whose metadata names the
 * architecture), or a weights-only file large enough to be a language model. A smaller weights-only file
 * (a 150 M-parameter vision transformer's safetensors) is not one: it gets no latency rather than a per-token
 * figure that does not apply. No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';

/** Weights-only files from this many parameters on are treated as language models. */
export const LLM_MIN_PARAMS = 5e8;

export function isLlm(p: ModelProfile): boolean {
  if (p.format === 'gguf') return true;
  return !p.hasComputeGraph && p.params >= LLM_MIN_PARAMS;
}
