/**
 * The export that gives an ONNX toolchain (ONNX Runtime, its QNN execution provider, TensorRT) the file it reads, for a
 * model saved in another format: tf2onnx for a TFLite or Keras file, torch.onnx.export from the PyTorch module, and for
 * a Core ML file the export of the source model it was converted from (nothing converts Core ML back to ONNX reliably).
 * No `vscode` import.
 */
import * as path from 'path';
import type { ModelProfile } from '../../../analyzers/profile-types';
import type { CommandBlock } from '../../types';
import { inputSpecs, names, pyShape, type CommandContext } from './common';
import { torchExample } from './pytorch';

/** The toolchains whose commands read an ONNX file. */
export const READS_ONNX = new Set(['onnxruntime', 'onnxruntime-qnn', 'tensorrt']);

/** The ONNX file the export writes: the model's stem with .onnx, beside it. */
export function exportedOnnx(p: ModelProfile): ModelProfile {
  const { stem } = names(p);
  return { ...p, file: path.join(path.dirname(p.file || '.'), `${stem}.onnx`) };
}

const torchExport = (ctx: CommandContext, stem: string, source: string): string =>
  `import torch\n\n${source}\nmodel.eval()\ntorch.onnx.export(model, ${torchExample(ctx.profile)}, "${stem}.onnx", opset_version=17, input_names=[${inputSpecs(ctx.profile).map((s) => JSON.stringify(s.name)).join(', ')}])`;

/** The export block, or null when the model is already ONNX (or has no ONNX route, as a GGUF LLM). */
export function onnxExport(ctx: CommandContext, consumer: string): CommandBlock | null {
  const p = ctx.profile;
  const { file, stem } = names(p);
  const specs = inputSpecs(p);
  const why = `${consumer} reads ONNX: export ${file} to ${stem}.onnx first; the commands below read that file.`;
  switch (p.format) {
    case 'tflite':
      return {
        toolchain: 'tf2onnx (TFLite → ONNX)',
        language: 'bash',
        code: `pip install tf2onnx\npython -m tf2onnx.convert --tflite ${file} --output ${stem}.onnx --opset 17`,
        notes: [why, 'tf2onnx keeps the TFLite graph\'s NHWC layout and may rename the inputs: use the input names and shapes it prints in the commands below.', 'Quantize the float model: a .tflite that is already int8 exports as QDQ and is not quantized again.'],
      };
    case 'keras':
      return {
        toolchain: 'tf2onnx (Keras → ONNX)',
        language: 'python',
        code: `import tensorflow as tf\nimport tf2onnx   # pip install tf2onnx\n\nmodel = tf.keras.models.load_model("${file}")\nspec = [${specs.map((s) => `tf.TensorSpec(${pyShape(s.shape)}, tf.float32, name=${JSON.stringify(s.name)})`).join(', ')}]\ntf2onnx.convert.from_keras(model, input_signature=spec, opset=17, output_path="${stem}.onnx")`,
        notes: [why, 'The ONNX graph keeps the Keras model\'s NHWC layout.'],
      };
    case 'pytorch':
    case 'safetensors':
      return {
        toolchain: 'PyTorch (torch.onnx.export)',
        language: 'python',
        code: torchExport(
          ctx,
          stem,
          p.format === 'safetensors'
            ? `from safetensors.torch import load_file\n\nmodel = ...  # the nn.Module these weights belong to (the file holds weights only)\nmodel.load_state_dict(load_file("${file}"))`
            : `model = ...  # the nn.Module of ${file}: build it from its code and load the weights (torch.load(..., weights_only=True) for a state_dict)`,
        ),
        notes: [why, 'Export with the input shapes you will run (batch 1 for interactive use).'],
      };
    case 'coreml':
      return {
        toolchain: 'PyTorch (torch.onnx.export)',
        language: 'python',
        code: `# ${file} is Core ML, which runs only on Apple devices; no tool converts it back to ONNX reliably.\n# Export the PyTorch model it was converted from (for a TensorFlow source: tf2onnx.convert.from_keras).\n${torchExport(ctx, stem, 'model = ...  # the PyTorch source of this Core ML model')}`,
        notes: [why],
      };
    default:
      return null;
  }
}
