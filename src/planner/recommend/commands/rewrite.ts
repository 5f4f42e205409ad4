/**
 * Operator rewrite commands: an onnx-graphsurgeon script that replaces or removes the ops a target cannot map, and the
 * re-export with static input shapes.
 * No `vscode` import.
 */
import type { CommandBlock } from '../../types';
import { inputSpecs, names, type CommandContext } from './common';

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
        `\n# then re-export and check the op list again:\n# ${ctx.deviceClass === 'edgetpu' ? 'edgetpu_compiler -s shows "Mapped to Edge TPU" per op' : 'python -c "import onnx; m = onnx.load(\'' + stem + '_rewritten.onnx\'); print(sorted({n.op_type for n in m.graph.node}))"'}`,
    });
  }
  if (p.dynamicShapes.hasDynamic) {
    const specs = inputSpecs(p);
    const dims = p.dynamicShapes.symbols.map((s) => `--dim_param ${s} --dim_value ${p.dynamicShapes.bindings[s] ?? 1}`).join(' ');
    blocks.push({
      toolchain: 'ONNX Runtime tools (static shapes)',
      language: 'bash',
      code: p.format === 'onnx'
        ? `python -m onnxruntime.tools.make_dynamic_shape_fixed ${dims || `--input_name ${specs[0].name} --input_shape ${specs[0].shape.join(',')}`} ${file} ${stem}.static.onnx\npip install onnxsim && onnxsim ${stem}.static.onnx ${stem}.static.onnx   # fold shape arithmetic into constants`
        : `# export again with fixed input shapes: ${specs.map((s) => `${s.name} ${s.shape.join('x')}`).join(', ')}`,
      notes: ['Accelerators compile for one shape: export with the shapes you will run (batch 1 for interactive use).'],
    });
  }
  return blocks;
}
