/**
 * Copy-ready toolchain commands for a pipeline step, chosen from the model's format and the target's
 * device class, using the model's real file name, input names and shapes.
 * No `vscode` import.
 */
import * as path from 'path';
import type { ModelProfile } from '../../../analyzers/profile-types';
import type { CommandBlock, Technique } from '../../types';
import type { DeviceClass, OpRewriteRule, Student } from '../technique-table';

export type Toolchain = 'onnxruntime' | 'onnxruntime-qnn' | 'tensorrt' | 'tflite' | 'tflite-edgetpu' | 'tflite-micro' | 'coremltools' | 'pytorch' | 'llama.cpp';

export interface CommandContext {
  profile: ModelProfile;
  deviceClass: DeviceClass;
  deviceId: string;
  deviceName: string;
  perChannel?: boolean;
  fraction?: number;
  student?: Student;
  rewrites?: { op: string; rule: OpRewriteRule | null; layers: number }[];
  /** Runtime to switch to (change-runtime). */
  runtime?: string;
  /** For change-device: the new device's id and name. */
  newDevice?: { id: string; name: string };
}

interface InputSpec {
  name: string;
  shape: number[];
  dtype: string;
}

/** Inputs with every symbolic dimension bound (the profile's bindings, else 1). */
export function inputSpecs(p: ModelProfile): InputSpec[] {
  const specs = p.inputs.map((i) => ({
    name: i.name || 'input',
    shape: (i.shape ?? [1]).map((d) => (typeof d === 'number' ? (d > 0 ? d : 1) : p.dynamicShapes.bindings[d] ?? 1)),
    dtype: i.dtype,
  }));
  return specs.length ? specs : [{ name: 'input', shape: [1], dtype: 'FLOAT' }];
}

const pyShape = (s: number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;
const npDtype = (dtype: string): string => {
  const d = dtype.toUpperCase();
  if (d.includes('INT64')) return 'np.int64';
  if (d.includes('INT32')) return 'np.int32';
  if (d === 'UINT8') return 'np.uint8';
  if (d === 'INT8') return 'np.int8';
  if (d.includes('16') && d.includes('FLOAT')) return 'np.float16';
  return 'np.float32';
};

function names(p: ModelProfile): { file: string; stem: string; dir: string } {
  const file = path.basename(p.file || 'model');
  const ext = path.extname(file);
  return { file, stem: ext ? file.slice(0, -ext.length) : file, dir: path.dirname(p.file || '.') };
}

/** Is this profile a large language model (GGUF, or a decoder with >= 500 M params and no costed graph)? */
export function isLlm(p: ModelProfile): boolean {
  if (p.format === 'gguf') return true;
  return !p.hasComputeGraph && p.params >= 5e8;
}

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
      if (p.format === 'coreml') return 'coremltools';
      return 'onnxruntime';
  }
}

/** Python that yields calibration samples for every input, shaped like the model's inputs. */
function calibrationReaderPy(specs: InputSpec[], style: 'ort' | 'tflite' | 'dict'): string {
  const loads = specs
    .map((s, i) => `        x${i} = np.load(f"calibration/${safeName(s.name)}/{k:05d}.npy").astype(${npDtype(s.dtype)}).reshape(${pyShape(s.shape)})`)
    .join('\n');
  const dict = `{${specs.map((s, i) => `${JSON.stringify(s.name)}: x${i}`).join(', ')}}`;
  const header = `import numpy as np

# ~300-500 real, preprocessed samples that cover every user group and condition (see the operational plan).
# One .npy per sample and input, preprocessed exactly as in production.
N_SAMPLES = 300
`;
  if (style === 'ort') {
    return `${header}
from onnxruntime.quantization import CalibrationDataReader

class Calibration(CalibrationDataReader):
    def __init__(self):
        self.k = 0

    def get_next(self):
        if self.k >= N_SAMPLES:
            return None
        k = self.k
${loads.replace(/^ {8}/gm, '        ')}
        self.k += 1
        return ${dict}
`;
  }
  if (style === 'tflite') {
    return `${header}
def representative_dataset():
    for k in range(N_SAMPLES):
${loads}
        yield [${specs.map((_, i) => `x${i}`).join(', ')}]
`;
  }
  return `${header}
def calibration_samples():
    for k in range(N_SAMPLES):
${loads}
        yield ${dict}
`;
}

const safeName = (n: string): string => n.replace(/[^A-Za-z0-9_.-]+/g, '_') || 'input';

// ---------------------------------------------------------------------------------------------
// ONNX Runtime

function ortPreprocess(file: string, stem: string): CommandBlock {
  return {
    toolchain: 'ONNX Runtime',
    language: 'bash',
    code: `pip install onnxruntime onnx\n# shape inference + graph optimisation before quantization (recommended by ONNX Runtime)\npython -m onnxruntime.quantization.preprocess --input ${file} --output ${stem}.infer.onnx`,
  };
}

function ortStatic(ctx: CommandContext, forTensorRt: boolean): CommandBlock[] {
  const { file, stem } = names(ctx.profile);
  const specs = inputSpecs(ctx.profile);
  const perChannel = ctx.perChannel !== false;
  const act = forTensorRt ? 'QuantType.QInt8' : 'QuantType.QUInt8';
  return [
    ortPreprocess(file, stem),
    {
      toolchain: 'ONNX Runtime (quantize_static, QDQ)',
      language: 'python',
      code: `${calibrationReaderPy(specs, 'ort')}
from onnxruntime.quantization import quantize_static, QuantFormat, QuantType, CalibrationMethod

quantize_static(
    "${stem}.infer.onnx",
    "${stem}.int8.qdq.onnx",
    calibration_data_reader=Calibration(),
    quant_format=QuantFormat.QDQ,
    per_channel=${perChannel ? 'True' : 'False'},
    activation_type=${act},
    weight_type=QuantType.QInt8,
    calibrate_method=CalibrationMethod.${forTensorRt ? 'Entropy' : 'MinMax'},${forTensorRt ? '\n    extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},' : ''}
)
`,
      notes: [
        perChannel ? 'per_channel=True keeps depthwise and narrow layers accurate.' : 'per-tensor weights: check accuracy carefully on depthwise-heavy models.',
        forTensorRt ? 'TensorRT reads symmetric INT8 QDQ (explicit quantization).' : 'QDQ runs on the CPU EP with int8 kernels and is the format accelerator EPs expect.',
      ],
    },
  ];
}

function ortDynamic(ctx: CommandContext): CommandBlock[] {
  const { file, stem } = names(ctx.profile);
  return [
    ortPreprocess(file, stem),
    {
      toolchain: 'ONNX Runtime (quantize_dynamic)',
      language: 'python',
      code: `from onnxruntime.quantization import quantize_dynamic, QuantType

quantize_dynamic(
    "${stem}.infer.onnx",
    "${stem}.int8-dynamic.onnx",
    weight_type=QuantType.QInt8,
    per_channel=${ctx.perChannel === false ? 'False' : 'True'},
)
`,
      notes: ['No calibration data needed: activations are quantised at run time; only MatMul/Gemm/Conv/Attention/LSTM/Gather weights become int8.'],
    },
  ];
}

function ortFp16(ctx: CommandContext): CommandBlock[] {
  const { file, stem } = names(ctx.profile);
  return [
    {
      toolchain: 'ONNX (onnxconverter-common)',
      language: 'python',
      code: `import onnx
from onnxconverter_common import float16

model = onnx.load("${file}")
model_fp16 = float16.convert_float_to_float16(model, keep_io_types=True)
onnx.save(model_fp16, "${stem}.fp16.onnx")
`,
      notes: ['keep_io_types=True leaves the inputs/outputs in float32 so the application code does not change.'],
    },
  ];
}

function ortInt4(ctx: CommandContext): CommandBlock[] {
  const { file, stem } = names(ctx.profile);
  return [
    {
      toolchain: 'ONNX Runtime (MatMul 4-bit weight-only)',
      language: 'python',
      code: `import onnx
from onnxruntime.quantization.matmul_4bits_quantizer import MatMul4BitsQuantizer

model = onnx.load("${file}")
quant = MatMul4BitsQuantizer(model, block_size=32, is_symmetric=True)
quant.process()
quant.model.save_model_to_file("${stem}.int4.onnx", True)
`,
      notes: ['Weights of MatMul nodes become 4-bit blocks (MatMulNBits); compute stays float. Newer ONNX Runtime names the class MatMulNBitsQuantizer.'],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// TFLite (LiteRT) converter, Edge TPU, TFLite Micro

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

function tfliteInt8(ctx: CommandContext, opts: { int16Activations?: boolean } = {}): CommandBlock {
  const p = ctx.profile;
  const { stem } = names(p);
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
open("${stem}${opts.int16Activations ? '_16x8' : '_int8'}.tflite", "wb").write(tflite_model)

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
    ],
  };
}

function tfliteDynamic(ctx: CommandContext): CommandBlock {
  const { stem } = names(ctx.profile);
  const src = tfSourceLines(ctx.profile);
  return {
    toolchain: 'TensorFlow Lite converter (dynamic range)',
    language: 'python',
    code: `import tensorflow as tf
${src.code}
converter.optimizations = [tf.lite.Optimize.DEFAULT]   # no representative dataset: weights int8, activations float
open("${stem}_dynamic.tflite", "wb").write(converter.convert())
`,
    notes: src.notes,
  };
}

function tfliteFp16(ctx: CommandContext): CommandBlock {
  const { stem } = names(ctx.profile);
  const src = tfSourceLines(ctx.profile);
  return {
    toolchain: 'TensorFlow Lite converter (float16)',
    language: 'python',
    code: `import tensorflow as tf
${src.code}
converter.optimizations = [tf.lite.Optimize.DEFAULT]
converter.target_spec.supported_types = [tf.float16]
open("${stem}_fp16.tflite", "wb").write(converter.convert())
`,
    notes: [...src.notes, 'XNNPACK runs FP16 natively on ARMv8.2 cores with FP16 arithmetic (Raspberry Pi 5); elsewhere the weights are dequantised to FP32.'],
  };
}

function edgetpuCompile(ctx: CommandContext): CommandBlock {
  const { stem } = names(ctx.profile);
  return {
    toolchain: 'Edge TPU compiler',
    language: 'bash',
    code: `# Debian/Ubuntu x86-64 host with the Coral apt repository: sudo apt-get install edgetpu-compiler
edgetpu_compiler -s -o edgetpu/ ${stem}_int8.tflite
# -s prints every op and whether it is "Mapped to Edge TPU"; the output is edgetpu/${stem}_int8_edgetpu.tflite
python3 -c "from pycoral.utils.edgetpu import make_interpreter; i = make_interpreter('edgetpu/${stem}_int8_edgetpu.tflite'); i.allocate_tensors(); print('loaded on', i)"`,
    notes: [
      'The Edge TPU runs only fully 8-bit quantized TFLite models with static shapes; the first op it cannot map sends that op and everything after it to the CPU.',
      'Parameters beyond the ~8 MB on-chip cache are streamed from the host every inference (see "Off-chip memory used for streaming uncached model parameters" in the log).',
    ],
  };
}

function tfliteMicro(ctx: CommandContext): CommandBlock {
  const { stem } = names(ctx.profile);
  const id = ctx.deviceId.toLowerCase();
  const stm = /stm32/.test(id);
  const esp = /esp32/.test(id);
  const target = stm ? (/h7|f7/.test(id) ? 'stm32h7' : 'stm32f4') : '';
  const lines = [`# TFLite Micro: embed the model as a C array (kernels: CMSIS-NN on Cortex-M, esp-nn on ESP32)`, `xxd -i ${stem}_int8.tflite > ${stem}_int8_model_data.cc`];
  if (stm) lines.push(`# ST Edge AI Core: flash/RAM report and C code for the board`, `stedgeai analyze -m ${stem}_int8.tflite --target ${target}`, `stedgeai generate -m ${stem}_int8.tflite --target ${target}`);
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

function trtShapes(p: ModelProfile): string {
  return inputSpecs(p).map((s) => `${s.name}:${s.shape.join('x')}`).join(',');
}

function trtexec(ctx: CommandContext, mode: 'fp16' | 'int8' | 'sparse'): CommandBlock {
  const { file, stem } = names(ctx.profile);
  const shapes = ctx.profile.dynamicShapes.hasDynamic ? ` --shapes=${trtShapes(ctx.profile)}` : '';
  const onnx = mode === 'int8' ? `${stem}.int8.qdq.onnx` : file;
  const flags = mode === 'fp16' ? '--fp16' : mode === 'int8' ? '--int8 --fp16' : '--fp16 --int8 --sparsity=enable';
  const out = mode === 'fp16' ? `${stem}_fp16.engine` : mode === 'int8' ? `${stem}_int8.engine` : `${stem}_sparse.engine`;
  return {
    toolchain: 'TensorRT (trtexec, on the Jetson itself)',
    language: 'bash',
    code: `/usr/src/tensorrt/bin/trtexec --onnx=${onnx}${shapes} ${flags} --saveEngine=${out}\n/usr/src/tensorrt/bin/trtexec --loadEngine=${out}${shapes} --iterations=200 --avgRuns=50`,
    notes: [
      mode === 'int8' ? 'With a QDQ model TensorRT uses the calibrated scales (explicit quantization); --fp16 lets layers without QDQ run in FP16 instead of FP32.' : 'Build the engine on the target: engines are specific to the GPU and TensorRT version (the build takes minutes; cache it).',
      ...(mode === 'sparse' ? ['--sparsity=enable uses sparse tensor cores only for layers whose weights already follow the 2:4 pattern.'] : []),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Core ML

function coremlConvert(ctx: CommandContext, extra: string, notes: string[]): CommandBlock {
  const p = ctx.profile;
  const { file, stem } = names(p);
  const specs = inputSpecs(p);
  const source =
    p.format === 'coreml'
      ? `mlmodel = ct.models.MLModel("${file}")   # optimisation APIs need an ML Program (.mlpackage); re-convert a neuralnetwork .mlmodel from its source`
      : `import torch
model = ...  # the PyTorch source of ${file}: coremltools converts from PyTorch or TensorFlow, not from ONNX
model.eval()
example = ${specs.length === 1 ? `torch.rand${pyShape(specs[0].shape)}` : `(${specs.map((s) => `torch.rand${pyShape(s.shape)}`).join(', ')})`}
traced = torch.jit.trace(model, example)
mlmodel = ct.convert(
    traced,
    inputs=[${specs.map((s) => `ct.TensorType(name=${JSON.stringify(s.name)}, shape=${pyShape(s.shape)})`).join(', ')}],
    convert_to="mlprogram",
    compute_precision=ct.precision.FLOAT16,
    minimum_deployment_target=ct.target.iOS17,
)`;
  return {
    toolchain: 'coremltools',
    language: 'python',
    code: `import coremltools as ct
import coremltools.optimize.coreml as cto

${source}
${extra}
mlmodel.save("${stem}.mlpackage")
`,
    notes: ['Static input shapes and batch 1 keep the model on the Neural Engine; check the compute-unit report in Xcode Performance.', ...notes],
  };
}

function coremlFor(step: Technique, ctx: CommandContext): CommandBlock[] {
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

function qnnQdq(ctx: CommandContext, a16: boolean): CommandBlock[] {
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
      toolchain: 'Qualcomm AI Hub (alternative: compile and profile on a real Snapdragon 8 Gen 3 phone)',
      language: 'python',
      code: `import qai_hub as hub

compile_job = hub.submit_compile_job(
    model="${stem}.qnn.qdq.onnx",
    device=hub.Device("Samsung Galaxy S24 (Family)"),
    input_specs={${specs.map((s) => `${JSON.stringify(s.name)}: ${pyShape(s.shape)}`).join(', ')}},
    options="--target_runtime qnn_context_binary",
)
profile_job = hub.submit_profile_job(model=compile_job.get_target_model(), device=hub.Device("Samsung Galaxy S24 (Family)"))
`,
      notes: ['AI Hub needs an account and uploads the model: use it only where that is allowed.'],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// PyTorch: quantization, pruning, distillation, low-rank (the training-side steps for every format)

function torchBackend(cls: DeviceClass): string {
  return cls === 'cpu' || cls === 'cpu-fp16' || cls === 'htp' || cls === 'ane' ? 'qnnpack' : 'x86';
}

function torchExample(p: ModelProfile): string {
  const specs = inputSpecs(p);
  return specs.length === 1 ? `(torch.rand${pyShape(specs[0].shape)},)` : `(${specs.map((s) => `torch.rand${pyShape(s.shape)}`).join(', ')})`;
}

function torchQuant(step: Technique, ctx: CommandContext): CommandBlock {
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

function tfQat(ctx: CommandContext): CommandBlock {
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

function pruning(ctx: CommandContext): CommandBlock {
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
    notes: ['torch.nn.utils.prune only masks weights (no speed-up); Torch-Pruning rewrites the layer shapes and their dependants.'],
  };
}

function sparsity24(ctx: CommandContext): CommandBlock {
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

function distillation(ctx: CommandContext): CommandBlock {
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

function lowRank(ctx: CommandContext): CommandBlock {
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

function llamaCpp(step: Technique, ctx: CommandContext): CommandBlock {
  const { file, stem } = names(ctx.profile);
  const fromGguf = ctx.profile.format === 'gguf';
  const type = step === 'int4-weight-only' ? 'Q4_K_M' : step === 'fp16' ? 'F16' : 'Q8_0';
  const base = stem.replace(/[-_.](f16|f32|bf16)$/i, '');
  const lines = fromGguf
    ? [`llama-quantize ${file} ${base}-${type}.gguf ${type}`]
    : [`python convert_hf_to_gguf.py ${names(ctx.profile).dir} --outtype f16 --outfile ${base}-F16.gguf`, `llama-quantize ${base}-F16.gguf ${base}-${type}.gguf ${type}`];
  lines.push(`llama-bench -m ${base}-${type}.gguf -p 512 -n 128   # tokens/s on the target`);
  return {
    toolchain: 'llama.cpp',
    language: 'bash',
    code: lines.join('\n'),
    notes: [type === 'Q4_K_M' ? 'Q4_K_M ≈ 4.8 bits/weight; decoding is memory-bound, so tokens/s rise about in proportion to the smaller weights.' : `${type} keeps quality close to the original.`, 'Quantizing an already quantized GGUF loses quality: start from the F16/BF16 file when you have it.'],
  };
}

// ---------------------------------------------------------------------------------------------
// Op rewrite and runtime/device changes

function opRewriteCommands(ctx: CommandContext): CommandBlock[] {
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
      return [
        {
          toolchain: ctx.runtime ?? 'runtime',
          language: 'bash',
          code: runtimeSwitchCode(ctx),
          notes: ['The same model file, a different runtime: re-measure on the device before committing.'],
        },
      ];
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
  if (step === 'int8-qat') {
    const train = tfTraining ? tfQat(ctx) : torchQuant('int8-qat', ctx);
    const deploy = precisionFor('int8-ptq', tc, ctx).map((b) => ({ ...b, notes: [...(b.notes ?? []), 'After QAT: convert the fine-tuned model exactly as for PTQ; the calibration pass only refreshes the activation ranges the training learned.'] }));
    return [train, ...deploy];
  }
  return precisionFor(step, tc, ctx);
}

function precisionFor(step: Technique, tc: Toolchain, ctx: CommandContext): CommandBlock[] {
  switch (tc) {
    case 'tflite-edgetpu':
      return step === 'int8-ptq' || step === 'int8-qat' ? [tfliteInt8(ctx), edgetpuCompile(ctx)] : [];
    case 'tflite-micro':
      return step === 'int8-ptq' || step === 'int8-qat' ? [tfliteInt8(ctx), tfliteMicro(ctx)] : step === 'int8-dynamic' ? [] : [];
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
  if (rt.includes('tflite') || rt.includes('litert')) return `pip install ai-edge-litert\npython -c "from ai_edge_litert.interpreter import Interpreter; i = Interpreter('${file}'); i.allocate_tensors()"`;
  return `# switch the application to ${ctx.runtime ?? 'the recommended runtime'} and benchmark ${file} on the device`;
}
