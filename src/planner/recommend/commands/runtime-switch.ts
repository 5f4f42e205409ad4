/**
 * Switching runtimes on the same device: the conversion the new runtime needs when it cannot read the model's format
 * (ONNX for ONNX Runtime, TensorRT, NCNN and OpenVINO; .tflite for LiteRT; a .pte from PyTorch for ExecuTorch), then
 * the commands that load and time the model in it.
 * No `vscode` import.
 */
import type { CommandBlock } from '../../types';
import { names, type CommandContext } from './common';
import { torchExample } from './pytorch';
import { tfliteFloat, tfliteOutput } from './tflite';
import { exportedOnnx, onnxExport } from './to-onnx';

/** The conversion (where the new runtime needs one) and the commands that run the model in it. */
export function runtimeSwitchCommands(ctx: CommandContext): CommandBlock[] {
  const conversion = conversionFor(ctx);
  const runCtx = conversion ? { ...ctx, profile: { ...ctx.profile, file: conversion.file } } : ctx;
  return [
    ...(conversion ? [conversion.block] : []),
    {
      toolchain: ctx.runtime ?? 'runtime',
      language: 'bash',
      code: runtimeSwitchCode(runCtx),
      notes: [conversion ? `The ${conversion.what} file, a different runtime: re-measure on the device before committing.` : 'The same model file, a different runtime: re-measure on the device before committing.'],
    },
  ];
}

/**
 * What the new runtime needs first, if the model's format is not one it reads: ONNX Runtime, TensorRT and NCNN's
 * converter read ONNX, OpenVINO ONNX or TFLite (an export to ONNX otherwise); LiteRT reads .tflite (a float conversion).
 */
function conversionFor(ctx: CommandContext): { block: CommandBlock; file: string; what: string } | null {
  const rt = (ctx.runtime ?? '').toLowerCase();
  const fmt = ctx.profile.format;
  const readsOnnx = /onnx|tensorrt|ncnn/.test(rt) ? fmt !== 'onnx' : rt.includes('openvino') && fmt !== 'onnx' && fmt !== 'tflite';
  if (readsOnnx) {
    const block = onnxExport(ctx, ctx.runtime ?? rt);
    return block && { block, file: exportedOnnx(ctx.profile).file, what: 'exported ONNX' };
  }
  if (/tflite|litert/.test(rt) && !rt.includes('edgetpu') && fmt !== 'tflite' && fmt !== 'gguf') {
    return { block: tfliteFloat(ctx), file: tfliteOutput(ctx.profile, 'float'), what: 'converted .tflite' };
  }
  return null;
}

function runtimeSwitchCode(ctx: CommandContext): string {
  const { file } = names(ctx.profile);
  const rt = (ctx.runtime ?? '').toLowerCase();
  if (rt.includes('onnx')) return `pip install onnxruntime\npython -c "import onnxruntime as ort; s = ort.InferenceSession('${file}'); print(s.get_providers())"`;
  if (rt.includes('ncnn')) return `# pip install pnnx ; pnnx converts TorchScript/ONNX to ncnn\npnnx ${file}`;
  if (rt.includes('openvino')) return `pip install openvino\novc ${file}`;
  if (rt.includes('tensorrt')) return `/usr/src/tensorrt/bin/trtexec --onnx=${file} --fp16 --saveEngine=model.engine`;
  if (rt.includes('llama')) return `llama-cli -m ${file} -p "hello" -n 32`;
  if (rt.includes('executorch')) return executorchExport(ctx);
  if (rt.includes('edgetpu')) {
    const max = rt.includes('max');
    return `# the Edge TPU runtime at its ${max ? 'maximum' : 'standard'} clock (the two packages replace each other)\nsudo apt-get install libedgetpu1-${max ? 'max' : 'std'}${max ? '\n# at maximum clock the USB Accelerator runs hot: Coral\'s installer warns it may get hot enough to cause burns' : ''}`;
  }
  if (rt.includes('tflite') || rt.includes('litert')) return `pip install ai-edge-litert\npython -c "from ai_edge_litert.interpreter import Interpreter; i = Interpreter('${file}'); i.allocate_tensors()"`;
  return `# switch the application to ${ctx.runtime ?? 'the recommended runtime'} and benchmark ${file} on the device`;
}

/** ExecuTorch runs a .pte program exported from the PyTorch module (torch.export, lowered to the XNNPACK delegate). */
function executorchExport(ctx: CommandContext): string {
  const { file, stem } = names(ctx.profile);
  const from = ctx.profile.format === 'pytorch' ? '' : ` (${file} is ${ctx.profile.format}: start from the PyTorch module it came from)`;
  return `# pip install executorch ; ExecuTorch runs a .pte program exported from the PyTorch module${from}
python - <<'EOF'
import torch
from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
from executorch.exir import to_edge_transform_and_lower

model = ...  # the PyTorch nn.Module of ${file}
exported = torch.export.export(model.eval(), ${torchExample(ctx.profile)})
program = to_edge_transform_and_lower(exported, partitioner=[XnnpackPartitioner()]).to_executorch()
open("${stem}_xnnpack.pte", "wb").write(program.buffer)
EOF
# on the device: the XNNPACK executor runner built from the ExecuTorch sources
./xnn_executor_runner --model_path=${stem}_xnnpack.pte`;
}
