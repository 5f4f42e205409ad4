/**
 * ONNX Runtime quantization and conversion commands: static QDQ INT8 (with pre-processing and a calibration reader),
 * dynamic INT8, FP16 and INT4 weight-only.
 * No `vscode` import.
 */
import type { CommandBlock } from '../../types';
import { inputSpecs, names, calibrationReaderPy, type CommandContext } from './common';

function ortPreprocess(file: string, stem: string): CommandBlock {
  return {
    toolchain: 'ONNX Runtime',
    language: 'bash',
    code: `pip install onnxruntime onnx\n# shape inference + graph optimisation before quantization (recommended by ONNX Runtime)\npython -m onnxruntime.quantization.preprocess --input ${file} --output ${stem}.infer.onnx`,
  };
}

export function ortStatic(ctx: CommandContext, forTensorRt: boolean): CommandBlock[] {
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
        ...(forTensorRt
          ? []
          : [
              'Layers kept in float (nodes_to_exclude=[...]) between quantized ones: onnxruntime 1.20+ quantizes a float Conv / ConvTranspose / Gemm between DequantizeLinear and QuantizeLinear when it loads the model (its WeightBiasQuantization optimizer, int8 per tensor); to keep them float, sess_options.add_session_config_entry("optimization.disable_specified_optimizers", "WeightBiasQuantization").',
            ]),
      ],
    },
  ];
}

export function ortDynamic(ctx: CommandContext): CommandBlock[] {
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

export function ortFp16(ctx: CommandContext): CommandBlock[] {
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

export function ortInt4(ctx: CommandContext): CommandBlock[] {
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
