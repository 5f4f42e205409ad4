/**
 * PyTorch commands: torch.ao quantization (dynamic, static PTQ, QAT) with an example input of the model's shape.
 * No `vscode` import.
 */
import type { ModelProfile } from '../../../analyzers/profile-types';
import type { CommandBlock, Technique } from '../../types';
import type { DeviceClass } from '../technique-table';
import { inputSpecs, pyShape, names, type CommandContext } from './common';

function torchBackend(cls: DeviceClass): string {
  return cls === 'cpu' || cls === 'cpu-fp16' || cls === 'htp' || cls === 'ane' ? 'qnnpack' : 'x86';
}

export function torchExample(p: ModelProfile): string {
  const specs = inputSpecs(p);
  return specs.length === 1 ? `(torch.rand${pyShape(specs[0].shape)},)` : `(${specs.map((s) => `torch.rand${pyShape(s.shape)}`).join(', ')})`;
}

export function torchQuant(step: Technique, ctx: CommandContext): CommandBlock {
  const p = ctx.profile;
  const { stem } = names(p);
  const backend = torchBackend(ctx.deviceClass);
  if (step === 'int8-dynamic') {
    return {
      toolchain: 'PyTorch (torch.ao dynamic quantization)',
      language: 'python',
      code: `import torch
from torch.ao.quantization import quantize_dynamic

model = ...  # your float nn.Module, eval mode
torch.backends.quantized.engine = "${backend}"   # qnnpack on Arm, x86/fbgemm on x86 servers
qmodel = quantize_dynamic(model.eval(), {torch.nn.Linear, torch.nn.LSTM, torch.nn.GRU}, dtype=torch.qint8)
torch.save(qmodel.state_dict(), "${stem}_int8_dynamic.pt")
`,
    };
  }
  const qat = step === 'int8-qat';
  return {
    toolchain: qat ? 'PyTorch (torch.ao quantization-aware training, FX)' : 'PyTorch (torch.ao static PTQ, FX)',
    language: 'python',
    code: `import torch
from torch.ao.quantization import ${qat ? 'get_default_qat_qconfig_mapping' : 'get_default_qconfig_mapping'}
from torch.ao.quantization.quantize_fx import ${qat ? 'prepare_qat_fx' : 'prepare_fx'}, convert_fx

torch.backends.quantized.engine = "${backend}"   # qnnpack for Arm targets, x86 (fbgemm) for x86 hosts
model = ...  # your float nn.Module
example_inputs = ${torchExample(p)}
qconfig_mapping = ${qat ? `get_default_qat_qconfig_mapping("${backend}")` : `get_default_qconfig_mapping("${backend}")`}
${qat ? `prepared = prepare_qat_fx(model.train(), qconfig_mapping, example_inputs)
# fine-tune a few epochs at ~1/10 of the original learning rate with fake quantization in the loop
for epoch in range(3):
    for x, y in train_loader:
        loss = criterion(prepared(x), y)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
quantized = convert_fx(prepared.eval())` : `prepared = prepare_fx(model.eval(), qconfig_mapping, example_inputs)
with torch.no_grad():
    for x in calibration_loader:          # ~300 representative samples covering every user group
        prepared(x)
quantized = convert_fx(prepared)`}
torch.save(quantized.state_dict(), "${stem}_int8.pt")
`,
    notes: ['For deployment outside PyTorch export the float model with QDQ (ONNX) or convert with the target\'s own tool; the qconfig backend must match the target\'s kernels.'],
  };
}
