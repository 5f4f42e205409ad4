/**
 * Operator rewrite commands: what to replace or remove so a target maps every op, how to check the op list again, and
 * the re-export with static input shapes — each in the model's own toolchain (ONNX, Core ML Tools, the TFLite converter).
 * No `vscode` import.
 */
import type { CommandBlock } from '../../types';
import { inputSpecs, names, pyShape, type CommandContext } from './common';
import { coremlConvert } from './coreml';

/** How to list the ops of the rewritten model, in its own toolchain. */
function opListCheck(ctx: CommandContext, stem: string): string {
  const p = ctx.profile;
  if (ctx.deviceClass === 'edgetpu') return 'edgetpu_compiler -s shows "Mapped to Edge TPU" per op';
  if (p.format === 'coreml' || ctx.deviceClass === 'ane') {
    return `python -c "import coremltools as ct; s = ct.utils.load_spec('${stem}_rewritten.mlpackage'); b = next(iter(s.mlProgram.functions['main'].block_specializations.values())) if s.WhichOneof('Type') == 'mlProgram' else None; print(sorted({o.type for o in b.operations}) if b else sorted({l.WhichOneof('layer') for l in s.neuralNetwork.layers}))"`;
  }
  if (p.format === 'keras' || p.format === 'tflite') return `python -c "import tensorflow as tf; tf.lite.experimental.Analyzer.analyze(model_path='${stem}_rewritten.tflite')"`;
  return `python -c "import onnx; m = onnx.load('${stem}_rewritten.onnx'); print(sorted({n.op_type for n in m.graph.node}))"`;
}

/** Fixing the input shapes, in the model's own toolchain (for a Neural Engine target, in coremltools). */
function staticShapes(ctx: CommandContext, file: string, stem: string): CommandBlock {
  const p = ctx.profile;
  const specs = inputSpecs(p);
  const notes = ['Accelerators compile for one shape: export with the shapes you will run (batch 1 for interactive use).'];
  // A Neural Engine target is reached through coremltools whatever the source format: the shapes are fixed where it converts.
  if (ctx.deviceClass === 'ane' && p.format !== 'coreml') {
    return coremlConvert(ctx, '# the Neural Engine runs one fixed shape: the inputs above give it', notes, { toolchain: 'Core ML Tools (static shapes)', stem: `${stem}_static` });
  }
  if (p.format === 'onnx') {
    const dims = p.dynamicShapes.symbols.map((s) => `--dim_param ${s} --dim_value ${p.dynamicShapes.bindings[s] ?? 1}`).join(' ');
    return {
      toolchain: 'ONNX Runtime tools (static shapes)',
      language: 'bash',
      code: `python -m onnxruntime.tools.make_dynamic_shape_fixed ${dims || `--input_name ${specs[0].name} --input_shape ${specs[0].shape.join(',')}`} ${file} ${stem}.static.onnx\npip install onnxsim && onnxsim ${stem}.static.onnx ${stem}.static.onnx   # fold shape arithmetic into constants`,
      notes,
    };
  }
  if (p.format === 'coreml') {
    return {
      toolchain: 'Core ML Tools (static shapes)',
      language: 'python',
      code: `import coremltools as ct\n\n# convert the source model again with fixed input shapes (the estimate assumes the Neural Engine runs one fixed shape)\nsource_model = ...  # the TensorFlow or traced PyTorch model this Core ML file was converted from (a Core ML file cannot be re-converted)\nmlmodel = ct.convert(source_model, inputs=[${specs.map((s) => `ct.TensorType(name=${JSON.stringify(s.name)}, shape=${pyShape(s.shape)})`).join(', ')}], minimum_deployment_target=ct.target.iOS17)\nmlmodel.save("${stem}_static.mlpackage")`,
      notes,
    };
  }
  if (p.format === 'keras') {
    return {
      toolchain: 'TensorFlow Lite converter (static shapes)',
      language: 'python',
      code: `import tensorflow as tf\n\nmodel = tf.keras.models.load_model("${file}")\nfn = tf.function(model).get_concrete_function(${specs.map((s) => `tf.TensorSpec(${pyShape(s.shape)}, tf.float32)`).join(', ')})\nconverter = tf.lite.TFLiteConverter.from_concrete_functions([fn], model)\nopen("${stem}_static.tflite", "wb").write(converter.convert())`,
      notes,
    };
  }
  return { toolchain: 'Static shapes', language: 'bash', code: `# export again with fixed input shapes: ${specs.map((s) => `${s.name} ${s.shape.join('x')}`).join(', ')}`, notes };
}

export function opRewriteCommands(ctx: CommandContext): CommandBlock[] {
  const p = ctx.profile;
  const { file, stem } = names(p);
  const blocks: CommandBlock[] = [];
  const rewrites = ctx.rewrites ?? [];
  if (rewrites.length) {
    blocks.push({
      toolchain: 'Model source (rewrite before export)',
      language: 'python',
      code: rewrites.map((r) => `# ${r.op} (${r.layers} node${r.layers === 1 ? '' : 's'}): ${r.rule?.advice ?? 'replace it with ops the target supports, or move it out of the graph'}`).join('\n') +
        `\n# then re-export and check the op list again:\n# ${opListCheck(ctx, stem)}`,
    });
  }
  if (p.dynamicShapes.hasDynamic) blocks.push(staticShapes(ctx, file, stem));
  return blocks;
}
