/**
 * Copy-ready toolchain commands for a pipeline step, chosen from the model's format and the target's
 * device class, using the model's real file name, input names and shapes. This module picks the toolchain and
 * the step's commands; one module per toolchain writes them (onnxruntime.ts, tflite.ts, tensorrt.ts, coreml.ts,
 * qnn.ts, pytorch.ts, llama-cpp.ts), training.ts the training-side code, rewrite.ts the graph surgery, to-onnx.ts the
 * export an ONNX toolchain needs from another format, runtime-switch.ts a change of runtime.
 * No `vscode` import.
 */
import type { ModelProfile } from '../../../analyzers/profile-types';
import type { CommandBlock, Technique } from '../../types';
import type { DeviceClass } from '../technique-table';
import { names, type Toolchain, type CommandContext } from './common';
import { isLlm } from '../../estimate/llm';
import { ortStatic, ortDynamic, ortFp16, ortInt4 } from './onnxruntime';
import { tfliteInt8, tfliteDynamic, tfliteFp16, edgetpuCompile, tfliteMicro, tfliteOutput, type TfliteOutput } from './tflite';
import { trtexec } from './tensorrt';
import { coremlFor } from './coreml';
import { qnnQdq, qnnTfliteDelegate } from './qnn';
import { torchQuant } from './pytorch';
import { tfQat, pruning, sparsity24, distillation, lowRank } from './training';
import { llamaCpp } from './llama-cpp';
import { opRewriteCommands } from './rewrite';
import { READS_ONNX, exportedOnnx, onnxExport } from './to-onnx';
import { runtimeSwitchCommands } from './runtime-switch';

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
    case 'change-runtime':
      return runtimeSwitchCommands(ctx);
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
    case 'tflite': {
      // On the Hexagon NPU the converted .tflite runs through the QNN TFLite delegate.
      const onPhone = (block: CommandBlock, kind: TfliteOutput): CommandBlock[] => (ctx.deviceClass === 'htp' ? [block, qnnTfliteDelegate(ctx, tfliteOutput(ctx.profile, kind))] : [block]);
      if (step === 'int8-ptq' || step === 'int8-qat') return onPhone(tfliteInt8(ctx, { int16Activations: false }), 'int8');
      if (step === 'int8-dynamic') return onPhone(tfliteDynamic(ctx), 'dynamic');
      if (step === 'fp16') return onPhone(tfliteFp16(ctx), 'fp16');
      return [];
    }
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
  if (tc === 'tflite' && ctx.deviceClass === 'htp') return [tfliteInt8(ctx, { int16Activations: true }), qnnTfliteDelegate(ctx, tfliteOutput(ctx.profile, '16x8'))];
  if (tc === 'tflite' || tc === 'tflite-micro') return [tfliteInt8(ctx, { int16Activations: true })];
  return [];
}
