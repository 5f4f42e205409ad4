/**
 * Core ML commands: coremltools conversion and its FP16, W8A8, weight-only INT8/INT4 and palettization steps.
 * No `vscode` import.
 */
import type { CommandBlock, Technique } from '../../types';
import { inputSpecs, pyShape, names, safeName, type CommandContext } from './common';
import { isLlm } from '../../estimate/llm';

/**
 * The coremltools conversion with the model's inputs at fixed shapes (ct.TensorType), from the source coremltools reads,
 * then `extra` (the optimisation step). `as` names the block and the saved package where a caller needs its own.
 */
export function coremlConvert(ctx: CommandContext, extra: string, notes: string[], as: { toolchain: string; stem: string } | null = null): CommandBlock {
  const p = ctx.profile;
  const { file, stem } = names(p);
  const specs = inputSpecs(p);
  const inputs = `[${specs.map((s) => `ct.TensorType(name=${JSON.stringify(s.name)}, shape=${pyShape(s.shape)})`).join(', ')}]`;
  const convert = (model: string): string => `mlmodel = ct.convert(
    ${model},
    inputs=${inputs},
    convert_to="mlprogram",
    compute_precision=ct.precision.FLOAT16,
    minimum_deployment_target=ct.target.iOS17,
)`;
  const source = isLlm(p)
    ? `import numpy as np
import torch
from transformers import AutoModelForCausalLM

${p.format === 'safetensors' || p.format === 'pytorch' ? `# the Hugging Face checkpoint folder that holds ${file} (with its config.json): coremltools converts the PyTorch model built from it` : `# the Hugging Face checkpoint ${file} was made from: coremltools reads PyTorch, not ${p.format === 'gguf' ? 'GGUF' : `a ${p.format} file`}`}
hf = AutoModelForCausalLM.from_pretrained("...", torch_dtype=torch.float16).eval()

class Logits(torch.nn.Module):   # tokens in, next-token logits out (no KV cache: see the note)
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids):
        return self.m(input_ids, use_cache=False).logits

traced = torch.jit.trace(Logits(hf), torch.zeros((1, 64), dtype=torch.int32))
mlmodel = ct.convert(
    traced,
    inputs=[ct.TensorType(name="input_ids", shape=(1, ct.RangeDim(1, 2048)), dtype=np.int32)],
    outputs=[ct.TensorType(name="logits")],
    convert_to="mlprogram",
    compute_precision=ct.precision.FLOAT16,
    minimum_deployment_target=ct.target.iOS17,
)`
    : p.format === 'coreml'
      ? `mlmodel = ct.models.MLModel("${file}")   # optimisation APIs need an ML Program (.mlpackage); re-convert a neuralnetwork .mlmodel from its source`
      : p.format === 'keras'
        ? `import tensorflow as tf
model = tf.keras.models.load_model("${file}")   # coremltools converts tf.keras models directly
${convert('model')}`
        : p.format === 'tflite'
          ? `model = "${stem}_saved_model"   # the TensorFlow SavedModel ${file} was converted from: coremltools reads TensorFlow and PyTorch, not TFLite
${convert('model')}`
          : `import torch
model = ...  # the PyTorch source of ${file}: coremltools converts from PyTorch or TensorFlow, not from ${p.format === 'onnx' ? 'ONNX' : `a ${p.format} file`}
model.eval()
example = ${specs.length === 1 ? `torch.rand${pyShape(specs[0].shape)}` : `(${specs.map((s) => `torch.rand${pyShape(s.shape)}`).join(', ')})`}
traced = torch.jit.trace(model, example)
${convert('traced')}`;
  return {
    toolchain: as?.toolchain ?? 'coremltools',
    language: 'python',
    code: `import coremltools as ct
import coremltools.optimize.coreml as cto

${source}
${extra}
mlmodel.save("${as?.stem ?? (p.format === 'coreml' ? `${stem}_optimized` : stem)}.mlpackage")
`,
    notes: [
      isLlm(p)
        ? 'A language model decodes one token at a time: without a KV cache every token re-reads the whole prompt. Core ML keeps the cache as model state from iOS 18 (ct.StateType, minimum_deployment_target=ct.target.iOS18); check the compute-unit report in Xcode Performance for layers left on the GPU or CPU.'
        : 'Static input shapes and batch 1 keep the model on the Neural Engine; check the compute-unit report in Xcode Performance.',
      ...notes,
    ],
  };
}

export function coremlFor(step: Technique, ctx: CommandContext): CommandBlock[] {
  const ane17 = /a17|m4/i.test(ctx.deviceId + ' ' + ctx.deviceName);
  const specs = inputSpecs(ctx.profile);
  switch (step) {
    case 'fp16':
      return [coremlConvert(ctx, '# FP16 is the Neural Engine\'s native precision: compute_precision=FLOAT16 above is the whole step', [])];
    case 'int8-ptq':
    case 'int8-qat':
      return [
        coremlConvert(
          ctx,
          `# W8A8: int8 activations (calibrated) + int8 weights; faster than FP16 only on A17 Pro / M4 Neural Engines
samples = [${`{${specs.map((s) => `${JSON.stringify(s.name)}: np.load("calibration/${safeName(s.name)}/%05d.npy" % k)`).join(', ')}}`} for k in range(300)]
act_config = cto.OptimizationConfig(global_config=cto.experimental.OpActivationLinearQuantizerConfig(mode="linear_symmetric"))
mlmodel = cto.experimental.linear_quantize_activations(mlmodel, act_config, samples)
w_config = cto.OptimizationConfig(global_config=cto.OpLinearQuantizerConfig(mode="linear_symmetric", dtype="int8"))
mlmodel = cto.linear_quantize_weights(mlmodel, w_config)`.replace(/^samples/m, 'import numpy as np\nsamples'),
          [ane17 ? 'A17 Pro / M4: W8A8 runs int8-int8 compute (ResNet-50 1.38 → 0.77 ms in Apple\'s table).' : 'On Neural Engines older than A17 Pro / M4, int8 weights are decompressed to FP16: a size win, not a speed win.'],
        ),
      ];
    case 'int8-dynamic':
      return [
        coremlConvert(ctx, `config = cto.OptimizationConfig(global_config=cto.OpLinearQuantizerConfig(mode="linear_symmetric", dtype="int8"))\nmlmodel = cto.linear_quantize_weights(mlmodel, config)`, ['Weight-only int8: 2x smaller than FP16, compute stays FP16.']),
      ];
    case 'int4-weight-only':
      return [
        coremlConvert(
          ctx,
          `# 4-bit weights, per-block scales (iOS 18 / macOS 15 targets); or palettize: cto.OpPalettizerConfig(mode="kmeans", nbits=4)
config = cto.OptimizationConfig(global_config=cto.OpLinearQuantizerConfig(mode="linear_symmetric", dtype="int4", granularity="per_block", block_size=32))
mlmodel = cto.linear_quantize_weights(mlmodel, config)`,
          ['Set minimum_deployment_target=ct.target.iOS18 for per-block int4. Weights are decompressed to FP16 for compute: a size and bandwidth win.'],
        ),
      ];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Qualcomm QNN (ONNX Runtime QNN EP) and AI Hub
