/**
 * Copy-ready toolchain commands for a pipeline step, chosen from the model's format and the target's
 * device class, using the model's real file name, input names and shapes. This module picks the toolchain and
 * the step's commands; one module per toolchain writes them (onnxruntime.ts, tflite.ts, tensorrt.ts, coreml.ts,
 * qnn.ts, pytorch.ts, llama-cpp.ts), training.ts the training-side code, rewrite.ts the graph surgery.
 * No `vscode` import.
 */
import type { ModelProfile } from '../../../analyzers/profile-types';
import type { CommandBlock, Technique } from '../../types';
import type { DeviceClass } from '../technique-table';
import { inputSpecs, names, pyShape, type Toolchain, type CommandContext } from './common';
import { isLlm } from '../../estimate/llm';
import { ortStatic, ortDynamic, ortFp16, ortInt4 } from './onnxruntime';
import { tfliteInt8, tfliteDynamic, tfliteFp16, tfliteFloat, edgetpuCompile, tfliteMicro } from './tflite';
import { trtexec } from './tensorrt';
import { coremlFor } from './coreml';
import { qnnQdq } from './qnn';
import { torchQuant } from './pytorch';
import { tfQat, pruning, sparsity24, distillation, lowRank } from './training';
import { llamaCpp } from './llama-cpp';
import { opRewriteCommands } from './rewrite';
import { READS_ONNX, exportedOnnx, onnxExport } from './to-onnx';

export type { CommandContext, Toolchain } from './common';
export { inputSpecs } from './common';

export function toolchainFor(p: ModelProfile, cls: DeviceClass): Toolchain {
  if (isLlm(p)) return cls === 'ane' ? 'coremltools' : 'llama.cpp';
  switch (cls) {
    case 'edgetpu':
      return 'tflite-edgetpu';
    case 'mcu':
      return 'tflite-micro';
    case 'ane':
      return 'coremltools';
    case 'htp':
      return p.format === 'tflite' || p.format === 'keras' ? 'tflite' : 'onnxruntime-qnn';
    case 'gpu-tensorrt':
      return 'tensorrt';
    default:
      if (p.format === 'onnx') return 'onnxruntime';
      if (p.format === 'tflite' || p.format === 'keras') return 'tflite';
      if (p.format === 'pytorch' || p.format === 'safetensors') return 'pytorch';
      // A Core ML file runs only on Apple devices: elsewhere its source model goes through ONNX (to-onnx.ts).
      return 'onnxruntime';
  }
}

/**
 * Commands for one step. Steps that change training (QAT, pruning, distillation, low-rank, sparsity) give the
 * training-side code and then the target's conversion commands for the result.
 */
export function commandsFor(step: Technique, ctx: CommandContext): CommandBlock[] {
  const tc = toolchainFor(ctx.profile, ctx.deviceClass);
  const tfTraining = ctx.profile.format === 'keras' || ctx.profile.format === 'tflite';
  switch (step) {
    case 'none':
      return [];
    case 'op-rewrite':
      return opRewriteCommands(ctx);
    case 'change-runtime': {
      // ONNX Runtime, TensorRT and NCNN's converter read ONNX, OpenVINO's ONNX or TFLite: another format is exported first.
      const rt = (ctx.runtime ?? '').toLowerCase();
      const fmt = ctx.profile.format;
      const readsOnnx = /onnx|tensorrt|ncnn/.test(rt) ? fmt !== 'onnx' : rt.includes('openvino') ? fmt !== 'onnx' && fmt !== 'tflite' : false;
      // LiteRT reads .tflite: another format is converted (the TensorFlow Lite converter, through onnx2tf from ONNX).
      const toTflite = /tflite|litert/.test(rt) && !rt.includes('edgetpu') && fmt !== 'tflite' && fmt !== 'gguf' ? tfliteFloat(ctx) : null;
      const exp = readsOnnx ? onnxExport(ctx, ctx.runtime ?? rt) : toTflite;
      const runCtx = readsOnnx && exp ? { ...ctx, profile: exportedOnnx(ctx.profile) } : toTflite ? { ...ctx, profile: { ...ctx.profile, file: `${names(ctx.profile).stem}_float.tflite` } } : ctx;
      return [
        ...(exp ? [exp] : []),
        {
          toolchain: ctx.runtime ?? 'runtime',
          language: 'bash',
          code: runtimeSwitchCode(runCtx),
          notes: [exp ? `The ${readsOnnx ? 'exported ONNX' : 'converted .tflite'} file, a different runtime: re-measure on the device before committing.` : 'The same model file, a different runtime: re-measure on the device before committing.'],
        },
      ];
    }
    case 'change-device':
      return [
        {
          toolchain: 'edgeplan',
          language: 'bash',
          code: `edgeplan estimate ${names(ctx.profile).file} --device ${ctx.newDevice?.id ?? ctx.deviceId}`,
          notes: [`Target ${ctx.newDevice?.name ?? ctx.deviceName} instead; the remaining steps are for that device.`],
        },
      ];
    case 'structured-pruning':
      return [pruning(ctx)];
    case 'sparsity':
      return [sparsity24(ctx), trtexec(ctx, 'sparse')];
    case 'distillation':
      return [distillation(ctx)];
    case 'low-rank':
      return [lowRank(ctx)];
    default:
      break;
  }
  // Precision steps, per toolchain.
  if (tc === 'llama.cpp') return [llamaCpp(step, ctx)];
  if (tc === 'coremltools') return coremlFor(step, ctx);
  // An ONNX toolchain given a model in another format: the export first, then its commands on the exported file.
  const exp = READS_ONNX.has(tc) && ctx.profile.format !== 'onnx' ? onnxExport(ctx, TOOLCHAIN_NAME[tc] ?? tc) : null;
  const onnxCtx = exp ? { ...ctx, profile: exportedOnnx(ctx.profile) } : ctx;
  const withExport = (blocks: CommandBlock[]): CommandBlock[] => (exp && blocks.length ? [exp, ...blocks] : blocks);
  if (step === 'int8-qat') {
    const train = tfTraining ? tfQat(ctx) : torchQuant('int8-qat', ctx);
    const deploy = withExport(precisionFor('int8-ptq', tc, onnxCtx)).map((b) => ({ ...b, notes: [...(b.notes ?? []), 'After QAT: convert the fine-tuned model exactly as for PTQ; the calibration pass only refreshes the activation ranges the training learned.'] }));
    return [train, ...deploy];
  }
  return withExport(precisionFor(step, tc, onnxCtx));
}

const TOOLCHAIN_NAME: Partial<Record<Toolchain, string>> = { onnxruntime: 'ONNX Runtime', 'onnxruntime-qnn': 'ONNX Runtime (QNN execution provider)', tensorrt: 'TensorRT' };

function precisionFor(step: Technique, tc: Toolchain, ctx: CommandContext): CommandBlock[] {
  switch (tc) {
    case 'tflite-edgetpu':
      return step === 'int8-ptq' || step === 'int8-qat' ? [tfliteInt8(ctx), edgetpuCompile(ctx)] : [];
    case 'tflite-micro':
      return step === 'int8-ptq' || step === 'int8-qat' ? [tfliteInt8(ctx), tfliteMicro(ctx)] : [];
    case 'tflite':
      if (step === 'int8-ptq' || step === 'int8-qat') return [tfliteInt8(ctx, { int16Activations: false })];
      if (step === 'int8-dynamic') return [tfliteDynamic(ctx)];
      if (step === 'fp16') return [tfliteFp16(ctx)];
      return [];
    case 'tensorrt':
      if (step === 'fp16') return [trtexec(ctx, 'fp16')];
      if (step === 'int8-ptq' || step === 'int8-qat') return [...ortStatic(ctx, true), trtexec(ctx, 'int8')];
      if (step === 'int4-weight-only') return [...ortInt4(ctx)];
      return [];
    case 'onnxruntime-qnn':
      if (step === 'int8-ptq' || step === 'int8-qat') return qnnQdq(ctx, false);
      if (step === 'fp16') return [...ortFp16(ctx)];
      return [];
    case 'pytorch':
      if (step === 'int8-ptq' || step === 'int8-dynamic' || step === 'int8-qat') return [torchQuant(step, ctx)];
      if (step === 'fp16') return [{ toolchain: 'PyTorch', language: 'python', code: `model = model.half().eval()   # or export to ONNX and convert with onnxconverter-common\n`, notes: ['Arm CPUs with FP16 arithmetic run half precision natively through XNNPACK/ExecuTorch.'] }];
      return [];
    case 'onnxruntime':
    default:
      if (step === 'int8-ptq' || step === 'int8-qat') return ortStatic(ctx, false);
      if (step === 'int8-dynamic') return ortDynamic(ctx);
      if (step === 'fp16') return ortFp16(ctx);
      if (step === 'int4-weight-only') return ortInt4(ctx);
      return [];
  }
}

/** The A16W8 variant for sensitive models on the HTP / TFLite 16x8 (used when int8 accuracy is at risk). */
export function int16ActivationCommands(ctx: CommandContext): CommandBlock[] {
  const tc = toolchainFor(ctx.profile, ctx.deviceClass);
  if (tc === 'onnxruntime-qnn') return qnnQdq(ctx, true).slice(0, 1);
  if (tc === 'tflite' || tc === 'tflite-micro') return [tfliteInt8(ctx, { int16Activations: true })];
  return [];
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
  const specs = inputSpecs(ctx.profile);
  const example = `(${specs.map((sp) => `torch.rand${pyShape(sp.shape)}`).join(', ')},)`;
  const from = ctx.profile.format === 'pytorch' ? '' : ` (${file} is ${ctx.profile.format}: start from the PyTorch module it came from)`;
  return `# pip install executorch ; ExecuTorch runs a .pte program exported from the PyTorch module${from}
python - <<'EOF'
import torch
from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
from executorch.exir import to_edge_transform_and_lower

model = ...  # the PyTorch nn.Module of ${file}
exported = torch.export.export(model.eval(), ${example})
program = to_edge_transform_and_lower(exported, partitioner=[XnnpackPartitioner()]).to_executorch()
open("${stem}_xnnpack.pte", "wb").write(program.buffer)
EOF
# on the device: the XNNPACK executor runner built from the ExecuTorch sources
./xnn_executor_runner --model_path=${stem}_xnnpack.pte`;
}
