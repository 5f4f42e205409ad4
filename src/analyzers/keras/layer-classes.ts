/**
 * Keras layer classes grouped by what they compute (the names Keras 2 and 3 save, aliases included), shared by
 * the shape rules (shapes.ts) and the cost rules (../cost/keras.ts).
 */
import { recordOf } from '../safe-record';
const set = (...names: string[]): ReadonlySet<string> => new Set(names);

export const CONV = set('Conv1D', 'Conv2D', 'Conv3D', 'Convolution1D', 'Convolution2D', 'Convolution3D');
export const DEPTHWISE = set('DepthwiseConv1D', 'DepthwiseConv2D');
export const SEPARABLE = set('SeparableConv1D', 'SeparableConv2D', 'SeparableConvolution1D', 'SeparableConvolution2D');
export const TRANSPOSED = set('Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose', 'Convolution2DTranspose', 'Deconvolution2D', 'Deconvolution3D');
export const POOLS = set(
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'MaxPool1D', 'MaxPool2D', 'MaxPool3D', 'AvgPool1D', 'AvgPool2D', 'AvgPool3D',
);
export const GLOBAL_POOLS = set(
  'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalAveragePooling3D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalMaxPooling3D',
  'GlobalAvgPool1D', 'GlobalAvgPool2D', 'GlobalAvgPool3D', 'GlobalMaxPool1D', 'GlobalMaxPool2D', 'GlobalMaxPool3D',
);
export const MERGES = set('Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum');
/** Recurrent layers and their gate counts. */
export const RNN_GATES: Readonly<Record<string, number>> = recordOf({ LSTM: 4, CuDNNLSTM: 4, GRU: 3, CuDNNGRU: 3, SimpleRNN: 1 });

/**
 * TFOpLambda functions (tf.keras wraps TensorFlow ops called on Keras tensors) that are elementwise: their output
 * broadcasts their inputs and costs one flop per element.
 */
export const ELEMENTWISE_TF_OPS = set(
  'math.add', 'math.subtract', 'math.multiply', 'math.divide', 'math.truediv', 'math.maximum', 'math.minimum', 'math.sigmoid', 'math.tanh',
  'math.exp', 'math.log', 'math.sqrt', 'math.rsqrt', 'math.square', 'math.abs', 'math.negative', 'math.pow', 'nn.relu', 'nn.relu6', 'nn.silu',
  'nn.swish', 'nn.gelu', 'nn.sigmoid', 'nn.leaky_relu', 'nn.elu', 'nn.softplus', 'clip_by_value', '__operators__.add', '__operators__.sub',
  '__operators__.mul', '__operators__.truediv', 'identity', 'cast',
);

/** The TensorFlow function a TFOpLambda layer calls ("math.add"), if it states one. */
export function tfOpFunction(config: Record<string, unknown>): string | undefined {
  return typeof config.function === 'string' ? config.function : undefined;
}
