/**
 * TensorFlow Lite converter commands: full-integer INT8 (optionally 16x8 activations), dynamic range, FP16, from a
 * SavedModel or Keras file (ONNX through onnx2tf), plus the Edge TPU compiler and TFLite Micro deployment.
 * No `vscode` import.
 */
import type { ModelProfile } from '../../../analyzers/profile-types';
import type { CommandBlock } from '../../types';
import { inputSpecs, names, calibrationReaderPy, type CommandContext, type InputSpec } from './common';
import { hasApplicationCpu } from '../../estimate/inputs';

/**
 * Where the model's CPU layers run on an application CPU: TF Lite's Python Interpreter without num_threads runs them
 * on one thread (tensorflow/lite/tflite_with_xnnpack.cc, kernels/cpu_backend_context.cc), which the estimates do not
 * assume unless told (--threads / the planner's CPU threads).
 */
function threadsNote(ctx: CommandContext, what: string): string[] {
  if (!hasApplicationCpu(ctx.deviceId)) return [];
  return [`Run it with the CPU threads you mean: tf.lite.Interpreter(model_path=..., num_threads=4) (tflite_runtime the same). Without num_threads TF Lite runs ${what} on one thread — up to ~4x slower on a 4-core board; the estimates assume every core unless you give --threads (CLI) or CPU threads (planner).`];
}

function tfSourceLines(p: ModelProfile): { code: string; notes: string[] } {
  const { file, stem } = names(p);
  if (p.format === 'keras') {
    return { code: `model = tf.keras.models.load_model("${file}")\nconverter = tf.lite.TFLiteConverter.from_keras_model(model)`, notes: [] };
  }
  if (p.format === 'onnx') {
    return {
      code: `# ONNX → TensorFlow SavedModel first (shell): pip install onnx2tf && onnx2tf -i ${file} -o ${stem}_saved_model\nconverter = tf.lite.TFLiteConverter.from_saved_model("${stem}_saved_model")`,
      notes: ['onnx2tf converts NCHW ONNX graphs to NHWC TensorFlow; check the input layout it reports and feed calibration data in that layout.'],
    };
  }
  if (p.format === 'pytorch' || p.format === 'safetensors') {
    return {
      code: `# PyTorch → ONNX → TensorFlow SavedModel first: torch.onnx.export(...) then onnx2tf -i ${stem}.onnx -o ${stem}_saved_model\nconverter = tf.lite.TFLiteConverter.from_saved_model("${stem}_saved_model")`,
      notes: ['Alternatively convert with ai-edge-torch straight from the PyTorch module.'],
    };
  }
  if (p.format === 'tflite') {
    return {
      code: `# ${file} is already a .tflite: quantization happens at conversion, so start from the SavedModel / Keras model it was made from.\nconverter = tf.lite.TFLiteConverter.from_saved_model("${stem}_saved_model")`,
      notes: ['A .tflite file cannot be re-quantized by the converter; you need the original TensorFlow model.'],
    };
  }
  if (p.format === 'coreml') {
    return {
      code: `# ${file} is Core ML, which runs only on Apple devices and converts to nothing else: start from the TensorFlow model it was made from\n# (a PyTorch source: torch.onnx.export(...) then onnx2tf -i ${stem}.onnx -o ${stem}_saved_model)\nconverter = tf.lite.TFLiteConverter.from_saved_model("${stem}_saved_model")`,
      notes: ['A Core ML file cannot be converted to TensorFlow Lite; you need its TensorFlow or PyTorch source.'],
    };
  }
  return { code: `converter = tf.lite.TFLiteConverter.from_saved_model("${stem}_saved_model")`, notes: [] };
}

/** onnx2tf turns NCHW image inputs into NHWC: the TensorFlow side must be fed in that layout. */
function tfSpecs(p: ModelProfile): { specs: InputSpec[]; transposed: boolean } {
  const specs = inputSpecs(p);
  if (p.format !== 'onnx' && p.format !== 'pytorch' && p.format !== 'safetensors') return { specs, transposed: false };
  let transposed = false;
  const out = specs.map((s) => {
    if (s.shape.length === 4 && s.shape[1] <= 4 && s.shape[3] > 4) {
      transposed = true;
      return { ...s, shape: [s.shape[0], s.shape[2], s.shape[3], s.shape[1]] };
    }
    return s;
  });
  return { specs: out, transposed };
}

export function tfliteInt8(ctx: CommandContext, opts: { int16Activations?: boolean } = {}): CommandBlock {
  const p = ctx.profile;
  const { specs, transposed } = tfSpecs(p);
  const src = tfSourceLines(p);
  const ops = opts.int16Activations ? 'tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8' : 'tf.lite.OpsSet.TFLITE_BUILTINS_INT8';
  const io = opts.int16Activations ? '' : `converter.inference_input_type = tf.int8    # tf.uint8 for older Edge TPU / Coral pipelines
converter.inference_output_type = tf.int8
`;
  return {
    toolchain: 'TensorFlow Lite converter (full-integer PTQ)',
    language: 'python',
    code: `import tensorflow as tf
${calibrationReaderPy(specs, 'tflite')}
${src.code}
converter.optimizations = [tf.lite.Optimize.DEFAULT]
converter.representative_dataset = representative_dataset
converter.target_spec.supported_ops = [${ops}]
${io}tflite_model = converter.convert()
open("${tfliteOutput(ctx.profile, opts.int16Activations ? '16x8' : 'int8')}", "wb").write(tflite_model)

# Check: every tensor integer, and the input quantization the app must apply
interpreter = tf.lite.Interpreter(model_content=tflite_model)
for d in interpreter.get_input_details():
    print(d["name"], d["dtype"], d["shape"], "scale, zero_point =", d["quantization"])
`,
    notes: [
      ...src.notes,
      ...(transposed ? ['The calibration samples are fed NHWC (the layout onnx2tf produces): store them as N×H×W×C or transpose with np.transpose(x, (0, 2, 3, 1)).'] : []),
      ...(opts.int16Activations
        ? ['16-bit activations with 8-bit weights (16x8) keep sensitive models accurate; fast on Hexagon HTP, slow on the TFLite reference CPU kernels.']
        : [
            'WARNING: with int8 input/output the application must quantize its input itself: q = round(x / scale) + zero_point, using the scale and zero point printed above (and dequantize the output the same way). Feeding float-normalised values directly gives silently wrong results.',
            'TFLITE_BUILTINS_INT8 makes conversion fail on any op that has no integer kernel — that is what an integer-only accelerator needs.',
          ]),
      ...threadsNote(ctx, 'its CPU kernels'),
    ],
  };
}

/** The file a conversion below writes: <stem>_<kind>.tflite beside the model. */
export type TfliteOutput = 'int8' | '16x8' | 'dynamic' | 'fp16' | 'float';
export const tfliteOutput = (p: ModelProfile, kind: TfliteOutput): string => `${names(p).stem}_${kind}.tflite`;

/** A converter run from the model's source with the given settings lines, written to tfliteOutput(suffix). */
function tfliteConvert(ctx: CommandContext, kind: string, settings: string, suffix: TfliteOutput, notes: string[] = []): CommandBlock {
  const src = tfSourceLines(ctx.profile);
  return {
    toolchain: `TensorFlow Lite converter (${kind})`,
    language: 'python',
    code: `import tensorflow as tf
${src.code}
${settings}
open("${tfliteOutput(ctx.profile, suffix)}", "wb").write(converter.convert())
`,
    notes: [...src.notes, ...notes, ...threadsNote(ctx, 'its CPU kernels')],
  };
}

/** A float .tflite of a model in another format, for a switch to LiteRT (no quantization: the precision steps do that). */
export function tfliteFloat(ctx: CommandContext): CommandBlock {
  return tfliteConvert(ctx, 'float', '# float32 as the source model; the precision steps of the plan quantize it', 'float');
}

export function tfliteDynamic(ctx: CommandContext): CommandBlock {
  return tfliteConvert(ctx, 'dynamic range', 'converter.optimizations = [tf.lite.Optimize.DEFAULT]   # no representative dataset: weights int8, activations float', 'dynamic');
}

export function tfliteFp16(ctx: CommandContext): CommandBlock {
  return tfliteConvert(ctx, 'float16', 'converter.optimizations = [tf.lite.Optimize.DEFAULT]\nconverter.target_spec.supported_types = [tf.float16]', 'fp16', [
    'XNNPACK runs FP16 natively on ARMv8.2 cores with FP16 arithmetic (Raspberry Pi 5); elsewhere the weights are dequantised to FP32.',
  ]);
}

export function edgetpuCompile(ctx: CommandContext): CommandBlock {
  const { stem } = names(ctx.profile);
  return {
    toolchain: 'Edge TPU compiler',
    language: 'bash',
    code: `# Debian/Ubuntu x86-64 host with the Coral apt repository: sudo apt-get install edgetpu-compiler
edgetpu_compiler -s -o edgetpu/ ${tfliteOutput(ctx.profile, 'int8')}
# -s prints every op and whether it is "Mapped to Edge TPU"; the output is edgetpu/${stem}_int8_edgetpu.tflite
python3 -c "from pycoral.utils.edgetpu import make_interpreter; i = make_interpreter('edgetpu/${stem}_int8_edgetpu.tflite'); i.allocate_tensors(); print('loaded on', i)"`,
    notes: [
      'The Edge TPU runs only fully 8-bit quantized TFLite models with static shapes; the first op it cannot map sends that op and everything after it to the CPU.',
      'Parameters beyond the ~8 MB on-chip cache are streamed from the host every inference (see "Off-chip memory used for streaming uncached model parameters" in the log).',
      ...threadsNote(ctx, 'the ops left on the host CPU'),
    ],
  };
}

/**
 * The STM32 series ST Edge AI Core's `--target` accepts ("Supported STM32 series",
 * https://stedgeai-dc.st.com/assets/embedded-docs/stm32_command_line_interface.html; without one it assumes stm32h7).
 */
const ST_EDGE_AI_SERIES = new Set(['stm32f0', 'stm32f3', 'stm32f4', 'stm32f7', 'stm32g0', 'stm32g4', 'stm32c0', 'stm32h5', 'stm32h7', 'stm32l0', 'stm32l4', 'stm32l5', 'stm32n6', 'stm32u3', 'stm32u5', 'stm32v8', 'stm32wb']);

/** The board's own series from its part number ("STM32F746NG …" → stm32f7), when ST Edge AI Core takes it. */
export function stEdgeAiTarget(deviceId: string, deviceName: string): string | null {
  const m = /\bstm32([a-z]\d)/i.exec(deviceName) ?? /^stm32([a-z]\d)/i.exec(deviceId);
  const series = m ? `stm32${m[1].toLowerCase()}` : null;
  return series && ST_EDGE_AI_SERIES.has(series) ? series : null;
}

export function tfliteMicro(ctx: CommandContext): CommandBlock {
  const { stem } = names(ctx.profile);
  const id = ctx.deviceId.toLowerCase();
  const stm = /stm32/.test(id);
  const esp = /esp32/.test(id);
  const lines = [`# TFLite Micro: embed the model as a C array (kernels: CMSIS-NN on Cortex-M, esp-nn on ESP32)`, `xxd -i ${stem}_int8.tflite > ${stem}_int8_model_data.cc`];
  if (stm) {
    const target = stEdgeAiTarget(ctx.deviceId, ctx.deviceName);
    const flag = target ? ` --target ${target}` : ' --target stm32<series>';
    lines.push(`# ST Edge AI Core: flash/RAM report and C code for the board${target ? '' : " (set --target to the board's series: stm32f4, stm32h7 ...)"}`, `stedgeai analyze -m ${stem}_int8.tflite${flag}`, `stedgeai generate -m ${stem}_int8.tflite${flag}`);
  }
  if (esp) lines.push('# ESP-DL alternative: quantize with esp-ppq to .espdl for the PIE SIMD kernels');
  return {
    toolchain: stm ? 'TFLite Micro / ST Edge AI Core' : 'TFLite Micro',
    language: 'bash',
    code: lines.join('\n'),
    notes: ['Size the tensor arena from the interpreter report (arena_used_bytes) on the first run and keep a margin.'],
  };
}

// ---------------------------------------------------------------------------------------------
// TensorRT
