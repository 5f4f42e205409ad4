/**
 * llama.cpp commands for language models: GGUF conversion and k-quant quantization.
 * No `vscode` import.
 */
import type { CommandBlock, Technique } from '../../types';
import { names, type CommandContext } from './common';

export function llamaCpp(step: Technique, ctx: CommandContext): CommandBlock {
  const { file, stem } = names(ctx.profile);
  const fromGguf = ctx.profile.format === 'gguf';
  const type = step === 'int4-weight-only' ? 'Q4_K_M' : step === 'fp16' ? 'F16' : 'Q8_0';
  const base = stem.replace(/[-_.](f16|f32|bf16)$/i, '');
  const lines = fromGguf
    ? [`llama-quantize ${file} ${base}-${type}.gguf ${type}`]
    : [`python convert_hf_to_gguf.py ${names(ctx.profile).dir} --outtype f16 --outfile ${base}-F16.gguf`, `llama-quantize ${base}-F16.gguf ${base}-${type}.gguf ${type}`];
  lines.push(`llama-bench -m ${base}-${type}.gguf -p 512 -n 128   # tokens/s on the target`);
  return {
    toolchain: 'llama.cpp',
    language: 'bash',
    code: lines.join('\n'),
    notes: [type === 'Q4_K_M' ? 'Q4_K_M ≈ 4.8 bits/weight; decoding is memory-bound, so tokens/s rise about in proportion to the smaller weights.' : `${type} keeps quality close to the original.`, 'Quantizing an already quantized GGUF loses quality: start from the F16/BF16 file when you have it.'],
  };
}

// ---------------------------------------------------------------------------------------------
// Op rewrite and runtime/device changes
