/**
 * TensorRT commands: trtexec engine builds in FP16, INT8 (from a QDQ model) and 2:4 sparse mode, with the input shapes.
 * No `vscode` import.
 */
import type { ModelProfile } from '../../../analyzers/profile-types';
import type { CommandBlock } from '../../types';
import { inputSpecs, names, type CommandContext } from './common';

function trtShapes(p: ModelProfile): string {
  return inputSpecs(p).map((s) => `${s.name}:${s.shape.join('x')}`).join(',');
}

export function trtexec(ctx: CommandContext, mode: 'fp16' | 'int8' | 'sparse'): CommandBlock {
  const { file, stem } = names(ctx.profile);
  const shapes = ctx.profile.dynamicShapes.hasDynamic ? ` --shapes=${trtShapes(ctx.profile)}` : '';
  const onnx = mode === 'int8' ? `${stem}.int8.qdq.onnx` : file;
  const flags = mode === 'fp16' ? '--fp16' : mode === 'int8' ? '--int8 --fp16' : '--fp16 --int8 --sparsity=enable';
  const out = mode === 'fp16' ? `${stem}_fp16.engine` : mode === 'int8' ? `${stem}_int8.engine` : `${stem}_sparse.engine`;
  return {
    toolchain: 'TensorRT (trtexec, on the Jetson itself)',
    language: 'bash',
    code: `/usr/src/tensorrt/bin/trtexec --onnx=${onnx}${shapes} ${flags} --saveEngine=${out}\n/usr/src/tensorrt/bin/trtexec --loadEngine=${out}${shapes} --iterations=200 --avgRuns=50`,
    notes: [
      mode === 'int8' ? 'With a QDQ model TensorRT uses the calibrated scales (explicit quantization); --fp16 lets layers without QDQ run in FP16 instead of FP32.' : 'Build the engine on the target: engines are specific to the GPU and TensorRT version (the build takes minutes; cache it).',
      ...(mode === 'sparse' ? ['--sparsity=enable uses sparse tensor cores only for layers whose weights already follow the 2:4 pattern.'] : []),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Core ML
