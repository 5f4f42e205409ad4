/**
 * Keras layer classes grouped by what they compute (the names Keras 2 and 3 save, aliases included), shared by
 * the shape rules (shapes.ts) and the cost rules (../cost/keras.ts).
 */
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
export const RNN_GATES: Readonly<Record<string, number>> = { LSTM: 4, CuDNNLSTM: 4, GRU: 3, CuDNNGRU: 3, SimpleRNN: 1 };
