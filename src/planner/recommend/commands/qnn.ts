/**
 * Qualcomm Hexagon NPU commands: QDQ models for ONNX Runtime's QNN execution provider (A8W8 or A16W8) and the AI Hub route.
 * No `vscode` import.
 */
import type { CommandBlock } from '../../types';
import { inputSpecs, pyShape, names, calibrationReaderPy, type CommandContext } from './common';

/** The phone AI Hub profiles a Snapdragon target on (its device family name there). */
function aiHubDevice(ctx: CommandContext): string {
  return ({ 'snapdragon-8-gen-3': 'Samsung Galaxy S24 (Family)', 'snapdragon-8-gen-2': 'Samsung Galaxy S23 (Family)' } as Record<string, string>)[ctx.deviceId] ?? ctx.deviceName;
}

/**
 * A .tflite on the Hexagon NPU through the QNN TFLite delegate (Qualcomm AI Engine Direct SDK), timed on the phone with
 * TensorFlow Lite's benchmark_model over adb.
 */
export function qnnTfliteDelegate(ctx: CommandContext, tflite: string): CommandBlock {
  return {
    toolchain: 'QNN TFLite delegate (on the phone, adb)',
    language: 'bash',
    code: `# from the Qualcomm AI Engine Direct (QNN) SDK: the delegate, the HTP libraries for this SoC, and TFLite's benchmark_model for Android arm64
adb push ${tflite} benchmark_model libQnnTFLiteDelegate.so libQnnHtp.so libQnnHtpV*Stub.so libQnnHtpV*Skel.so libQnnSystem.so /data/local/tmp/
adb shell "cd /data/local/tmp && LD_LIBRARY_PATH=. ADSP_LIBRARY_PATH=. ./benchmark_model --graph=${tflite} --external_delegate_path=libQnnTFLiteDelegate.so --external_delegate_options='backend_type:htp' --num_runs=100"`,
    notes: [`Use the HTP stub and skel libraries of ${ctx.deviceName}'s Hexagon version from the SDK. Ops the delegate cannot map stay on the CPU: the delegate's log lists them.`],
  };
}

export function qnnQdq(ctx: CommandContext, a16: boolean): CommandBlock[] {
  const { file, stem } = names(ctx.profile);
  const specs = inputSpecs(ctx.profile);
  return [
    {
      toolchain: 'ONNX Runtime QNN EP (QDQ for the HTP)',
      language: 'python',
      code: `${calibrationReaderPy(specs, 'ort')}
from onnxruntime.quantization import QuantType, quantize
from onnxruntime.quantization.execution_providers.qnn import get_qnn_qdq_config, qnn_preprocess_model

model_changed = qnn_preprocess_model("${file}", "${stem}.qnn-pre.onnx")
model_to_quantize = "${stem}.qnn-pre.onnx" if model_changed else "${file}"
qnn_config = get_qnn_qdq_config(
    model_to_quantize,
    Calibration(),
    activation_type=QuantType.${a16 ? 'QUInt16' : 'QUInt8'},
    weight_type=QuantType.QUInt8,
)
quantize(model_to_quantize, "${stem}.qnn.qdq.onnx", qnn_config)

# On the device (or a Snapdragon dev kit):
import onnxruntime as ort
session = ort.InferenceSession("${stem}.qnn.qdq.onnx", providers=["QNNExecutionProvider"],
                               provider_options=[{"backend_path": "libQnnHtp.so"}])
`,
      notes: [
        a16 ? '16-bit activations with 8-bit weights (A16W8) recover accuracy for sensitive models and run natively on the HTP.' : 'A8W8 is the fastest HTP mode; switch activation_type to QUInt16 if accuracy drops.',
        'Quantize with the x64 onnxruntime-qnn package; run with the ARM64 one. Ops the HTP does not support run on the CPU — check the EP log.',
      ],
    },
    {
      toolchain: `Qualcomm AI Hub (alternative: compile and profile on a real ${aiHubDevice(ctx).replace(/ \(Family\)$/, '')})`,
      language: 'python',
      code: `import qai_hub as hub

compile_job = hub.submit_compile_job(
    model="${stem}.qnn.qdq.onnx",
    device=hub.Device("${aiHubDevice(ctx)}"),
    input_specs={${specs.map((s) => `${JSON.stringify(s.name)}: ${pyShape(s.shape)}`).join(', ')}},
    options="--target_runtime qnn_context_binary",
)
profile_job = hub.submit_profile_job(model=compile_job.get_target_model(), device=hub.Device("${aiHubDevice(ctx)}"))
`,
      notes: ['AI Hub needs an account and uploads the model: use it only where that is allowed.'],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// PyTorch: quantization, pruning, distillation, low-rank (the training-side steps for every format)
