/**
 * Training-side commands for steps that change the network: QAT with the TF Model Optimization Toolkit, structured pruning,
 * 2:4 sparsity, knowledge distillation into a named student and low-rank factorisation.
 * No `vscode` import.
 */
import type { CommandBlock } from '../../types';
import type { Student } from '../technique-table';
import { names, type CommandContext } from './common';
import { torchExample } from './pytorch';

export function tfQat(ctx: CommandContext): CommandBlock {
  const { file, stem } = names(ctx.profile);
  return {
    toolchain: 'TensorFlow Model Optimization (QAT)',
    language: 'python',
    code: `import tensorflow as tf
import tensorflow_model_optimization as tfmot

model = tf.keras.models.load_model("${ctx.profile.format === 'keras' ? file : `${stem}_saved_model`}")
qat_model = tfmot.quantization.keras.quantize_model(model)
qat_model.compile(optimizer=tf.keras.optimizers.Adam(1e-5), loss=model.loss, metrics=["accuracy"])
qat_model.fit(train_ds, validation_data=val_ds, epochs=3)

converter = tf.lite.TFLiteConverter.from_keras_model(qat_model)
converter.optimizations = [tf.lite.Optimize.DEFAULT]
converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
converter.inference_input_type = tf.int8
converter.inference_output_type = tf.int8
open("${stem}_int8.tflite", "wb").write(converter.convert())
`,
    notes: ['Same input quantization warning as for PTQ: the app must apply the input scale/zero point.'],
  };
}

export function pruning(ctx: CommandContext): CommandBlock {
  const f = ctx.fraction ?? 0.3;
  const { stem } = names(ctx.profile);
  return {
    toolchain: 'PyTorch + Torch-Pruning (structured filter pruning)',
    language: 'python',
    code: `import torch
import torch_pruning as tp   # pip install torch-pruning

model = ...  # your float nn.Module
example_inputs = ${torchExample(ctx.profile)}
head = ...   # the final classifier / detection head module(s): keep their outputs
pruner = tp.pruner.MagnitudePruner(
    model, example_inputs,
    importance=tp.importance.MagnitudeImportance(p=2),
    pruning_ratio=${f},          # remove ${Math.round(f * 100)} % of the channels of every prunable layer
    ignored_layers=[head],
)
pruner.step()                    # physically removes filters: dense runtimes get faster
# fine-tune to recover accuracy (typically 10-30 % of the original schedule), then re-export
torch.onnx.export(model.eval(), example_inputs, "${stem}_pruned${Math.round(f * 100)}.onnx", opset_version=17)
`,
    notes: [
      'torch.nn.utils.prune only masks weights (no speed-up); Torch-Pruning rewrites the layer shapes and their dependants.',
      ...(ctx.profile.format === 'keras' || ctx.profile.format === 'tflite'
        ? [`${names(ctx.profile).file} comes from TensorFlow, where no maintained tool removes filters (tfmot's prune_low_magnitude only zeroes weights: dense kernels run no faster). Either prune a PyTorch version of the network as above, or build the Keras model again with ${Math.round(f * 100)} % fewer filters per layer, initialise each layer from the filters with the largest L1 norm, and fine-tune.`]
        : []),
    ],
  };
}

export function sparsity24(ctx: CommandContext): CommandBlock {
  const { stem } = names(ctx.profile);
  return {
    toolchain: 'PyTorch + NVIDIA ModelOpt (2:4 sparsity)',
    language: 'python',
    code: `import torch
import modelopt.torch.sparsity as mts   # pip install nvidia-modelopt

model = ...  # your float nn.Module
model = mts.sparsify(model, mode="sparsegpt", config={"data_loader": calibration_loader, "collect_func": lambda b: b[0]})
# fine-tune with the 2:4 masks fixed to recover accuracy, then
torch.onnx.export(model.eval(), ${torchExample(ctx.profile)}, "${stem}_sparse24.onnx", opset_version=17)
`,
    notes: ['Only Ampere-class sparse tensor cores (Jetson Orin) run 2:4 weights faster; elsewhere this only helps compression.'],
  };
}

export function distillation(ctx: CommandContext): CommandBlock {
  const s = ctx.student;
  const { stem } = names(ctx.profile);
  const fam = s?.family ?? 'generic';
  const studentLine =
    fam === 'cnn-classifier'
      ? /Small/.test(s?.name ?? '')
        ? 'student = torchvision.models.mobilenet_v3_small(weights="IMAGENET1K_V1")\nstudent.classifier[-1] = torch.nn.Linear(student.classifier[-1].in_features, NUM_CLASSES)'
        : 'student = torchvision.models.mobilenet_v3_large(weights="IMAGENET1K_V2")\nstudent.classifier[-1] = torch.nn.Linear(student.classifier[-1].in_features, NUM_CLASSES)'
      : fam === 'transformer-encoder'
        ? /Tiny/.test(s?.name ?? '')
          ? 'from transformers import AutoModelForSequenceClassification\nstudent = AutoModelForSequenceClassification.from_pretrained("huawei-noah/TinyBERT_General_4L_312D", num_labels=NUM_CLASSES)'
          : 'from transformers import AutoModelForSequenceClassification\nstudent = AutoModelForSequenceClassification.from_pretrained("distilbert-base-uncased", num_labels=NUM_CLASSES)'
        : fam === 'detector'
          ? `# Detector: start from the pretrained student and train it on your data (optionally with the teacher's pseudo-labels)\n# from ultralytics import YOLO; YOLO("${/11s/.test(s?.name ?? '') ? 'yolo11s' : 'yolo11n'}.pt").train(data="your_data.yaml", epochs=100, imgsz=640)\nstudent = ...`
          : fam === 'llm'
            ? `student = ...  # ${s?.name ?? 'a smaller model of the same family'}, loaded with transformers AutoModelForCausalLM`
            : 'student = ...  # same architecture with every layer width halved';
  return {
    toolchain: 'PyTorch (knowledge distillation)',
    language: 'python',
    code: `import torch
import torch.nn.functional as F
${fam === 'cnn-classifier' ? 'import torchvision\n' : ''}
teacher = ...  # the current model (${names(ctx.profile).file}), frozen
teacher.eval()
${studentLine}
T, alpha = 4.0, 0.7   # softmax temperature and soft-target weight (Hinton et al. 2015)
optimizer = torch.optim.AdamW(student.parameters(), lr=3e-4)

for epoch in range(EPOCHS):
    for x, y in train_loader:
        with torch.no_grad():
            t_logits = teacher(x)
        s_logits = student(x)
        soft = F.kl_div(F.log_softmax(s_logits / T, dim=-1), F.softmax(t_logits / T, dim=-1), reduction="batchmean") * T * T
        loss = alpha * soft + (1 - alpha) * F.cross_entropy(s_logits, y)
        optimizer.zero_grad(); loss.backward(); optimizer.step()

${fam === 'llm' || fam === 'transformer-encoder' ? `student.save_pretrained("${stem}_student")   # then convert for the target (llama.cpp convert_hf_to_gguf.py / optimum-cli export onnx)` : `torch.onnx.export(student.eval(), ${torchExample(ctx.profile)}, "${stem}_student.onnx", opset_version=17)`}
`,
    notes: [`Student: ${s?.name ?? 'a smaller network'}. Needs the training data and a full training run; validate per user group before replacing the teacher.`],
  };
}

export function lowRank(ctx: CommandContext): CommandBlock {
  const { stem } = names(ctx.profile);
  return {
    toolchain: 'PyTorch (SVD low-rank factorisation)',
    language: 'python',
    code: `import torch

def factorize_linear(layer: torch.nn.Linear, rank: int) -> torch.nn.Sequential:
    U, S, Vh = torch.linalg.svd(layer.weight.data, full_matrices=False)
    first = torch.nn.Linear(layer.in_features, rank, bias=False)
    second = torch.nn.Linear(rank, layer.out_features, bias=layer.bias is not None)
    first.weight.data = (torch.diag(S[:rank].sqrt()) @ Vh[:rank]).contiguous()
    second.weight.data = (U[:, :rank] @ torch.diag(S[:rank].sqrt())).contiguous()
    if layer.bias is not None:
        second.bias.data = layer.bias.data.clone()
    return torch.nn.Sequential(first, second)

model = ...  # your float nn.Module
for name, module in list(model.named_modules()):
    for child_name, child in list(module.named_children()):
        if isinstance(child, torch.nn.Linear) and child.in_features * child.out_features >= 262144:
            rank = min(child.in_features, child.out_features) // 4
            setattr(module, child_name, factorize_linear(child, rank))
# fine-tune briefly to recover accuracy, then export
torch.onnx.export(model.eval(), ${torchExample(ctx.profile)}, "${stem}_lowrank.onnx", opset_version=17)
`,
  };
}

// ---------------------------------------------------------------------------------------------
// llama.cpp (GGUF)
