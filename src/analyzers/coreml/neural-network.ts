/**
 * Core ML neuralNetwork layers (NeuralNetwork.proto) → graph nodes: each layer becomes a node whose op is the
 * layer type's field name ("convolution", "innerProduct", ...), whose inputs are its input blobs followed by
 * its weights (constant tensors, see nn-weights.ts) and whose attrs hold the parameters its shape and cost
 * need (kernel, stride, padding, channels, axes ...). Branch and loop layers own their nested networks as
 * subgraphs. Blob shapes are filled later by nn-shapes.ts.
 */
import type { AttrValue, GraphNode, Subgraph } from '../graph';
import { type MessageRange, type ProtoField, WireType } from '../io/protobuf';
import { activation, addNode, addTensor, captureOuterInputs, type CoremlCtx, newSubgraph } from './context';
import { readWeightParams } from './nn-weights';

/** NeuralNetworkLayer.layer oneof field numbers. */
export const LAYER_TYPES: Record<number, string> = {
  100: 'convolution', 120: 'pooling', 130: 'activation', 140: 'innerProduct', 150: 'embedding', 160: 'batchnorm', 165: 'mvn', 170: 'l2normalize',
  175: 'softmax', 180: 'lrn', 190: 'crop', 200: 'padding', 210: 'upsample', 211: 'resizeBilinear', 212: 'cropResize', 220: 'unary', 230: 'add',
  231: 'multiply', 240: 'average', 245: 'scale', 250: 'bias', 260: 'max', 261: 'min', 270: 'dot', 280: 'reduce', 290: 'loadConstant', 300: 'reshape',
  301: 'flatten', 310: 'permute', 320: 'concat', 330: 'split', 340: 'sequenceRepeat', 345: 'reorganizeData', 350: 'slice', 400: 'simpleRecurrent',
  410: 'gru', 420: 'uniDirectionalLSTM', 430: 'biDirectionalLSTM', 500: 'custom', 600: 'copy', 605: 'branch', 615: 'loop', 620: 'loopBreak',
  625: 'loopContinue', 635: 'rangeStatic', 640: 'rangeDynamic', 660: 'clip', 665: 'ceil', 670: 'floor', 680: 'sign', 685: 'round', 700: 'exp2',
  710: 'sin', 715: 'cos', 720: 'tan', 730: 'asin', 735: 'acos', 740: 'atan', 750: 'sinh', 755: 'cosh', 760: 'tanh', 770: 'asinh', 775: 'acosh',
  780: 'atanh', 790: 'erf', 795: 'gelu', 815: 'equal', 820: 'notEqual', 825: 'lessThan', 827: 'lessEqual', 830: 'greaterThan', 832: 'greaterEqual',
  840: 'logicalOr', 845: 'logicalXor', 850: 'logicalNot', 855: 'logicalAnd', 865: 'modBroadcastable', 870: 'minBroadcastable', 875: 'maxBroadcastable',
  880: 'addBroadcastable', 885: 'powBroadcastable', 890: 'divideBroadcastable', 895: 'floorDivBroadcastable', 900: 'multiplyBroadcastable',
  905: 'subtractBroadcastable', 920: 'tile', 925: 'stack', 930: 'gather', 935: 'scatter', 940: 'gatherND', 945: 'scatterND', 950: 'softmaxND',
  952: 'gatherAlongAxis', 954: 'scatterAlongAxis', 960: 'reverse', 965: 'reverseSeq', 975: 'splitND', 980: 'concatND', 985: 'transpose',
  995: 'sliceStatic', 1000: 'sliceDynamic', 1005: 'slidingWindows', 1015: 'topK', 1020: 'argMin', 1025: 'argMax', 1040: 'embeddingND',
  1045: 'batchedMatmul', 1065: 'getShape', 1070: 'loadConstantND', 1080: 'fillLike', 1085: 'fillStatic', 1090: 'fillDynamic', 1100: 'broadcastToLike',
  1105: 'broadcastToStatic', 1110: 'broadcastToDynamic', 1120: 'squeeze', 1125: 'expandDims', 1130: 'flattenTo2D', 1135: 'reshapeLike',
  1140: 'reshapeStatic', 1145: 'reshapeDynamic', 1150: 'rankPreservingReshape', 1155: 'constantPad', 1170: 'randomNormalLike', 1175: 'randomNormalStatic',
  1180: 'randomNormalDynamic', 1190: 'randomUniformLike', 1195: 'randomUniformStatic', 1200: 'randomUniformDynamic', 1210: 'randomBernoulliLike',
  1215: 'randomBernoulliStatic', 1220: 'randomBernoulliDynamic', 1230: 'categoricalDistribution', 1250: 'reduceL1', 1255: 'reduceL2', 1260: 'reduceMax',
  1265: 'reduceMin', 1270: 'reduceSum', 1275: 'reduceProd', 1280: 'reduceMean', 1285: 'reduceLogSum', 1290: 'reduceSumSquare', 1295: 'reduceLogSumExp',
  1313: 'whereNonZero', 1315: 'matrixBandPart', 1320: 'lowerTriangular', 1325: 'upperTriangular', 1330: 'whereBroadcastable', 1350: 'layerNormalization',
  1400: 'NonMaximumSuppression', 1450: 'oneHot', 1455: 'cumSum', 1460: 'clampedReLU', 1461: 'argSort', 1465: 'pooling3d', 1466: 'globalPooling3d',
  1470: 'sliceBySize', 1471: 'convolution3d',
};

const LSTM_WEIGHTS: Record<number, string> = {
  1: 'inputGateWeightMatrix', 2: 'forgetGateWeightMatrix', 3: 'blockInputWeightMatrix', 4: 'outputGateWeightMatrix',
  20: 'inputGateRecursionMatrix', 21: 'forgetGateRecursionMatrix', 22: 'blockInputRecursionMatrix', 23: 'outputGateRecursionMatrix',
  40: 'inputGateBiasVector', 41: 'forgetGateBiasVector', 42: 'blockInputBiasVector', 43: 'outputGateBiasVector',
  60: 'inputGatePeepholeVector', 61: 'forgetGatePeepholeVector', 62: 'outputGatePeepholeVector',
};

/** Which fields of a layer's params message are WeightParams (or, for LSTMs, LSTMWeightParams = 'lstm'). */
const WEIGHT_FIELDS: Record<number, Record<number, string>> = {
  100: { 90: 'weights', 91: 'bias' },
  140: { 20: 'weights', 21: 'bias' },
  150: { 20: 'weights', 21: 'bias' },
  160: { 15: 'gamma', 16: 'beta', 17: 'mean', 18: 'variance' },
  245: { 2: 'scale', 5: 'bias' },
  250: { 2: 'bias' },
  290: { 2: 'data' },
  400: { 30: 'weightMatrix', 31: 'recursionMatrix', 32: 'biasVector' },
  410: {
    30: 'updateGateWeightMatrix', 31: 'resetGateWeightMatrix', 32: 'outputGateWeightMatrix', 50: 'updateGateRecursionMatrix',
    51: 'resetGateRecursionMatrix', 52: 'outputGateRecursionMatrix', 70: 'updateGateBiasVector', 71: 'resetGateBiasVector', 72: 'outputGateBiasVector',
  },
  420: { 20: 'lstm' },
  430: { 20: 'lstm' },
  500: { 20: 'weights' },
  1040: { 20: 'weights', 21: 'bias' },
  1045: { 8: 'weights', 9: 'bias' },
  1070: { 2: 'data' },
  1350: { 3: 'gamma', 4: 'beta' },
  1471: { 60: 'weights', 61: 'bias' },
};

/** Integer (varint, packed or not) parameters kept as attrs, by layer field number → params field → attr name. */
const INT_PARAMS: Record<number, Record<number, string>> = {
  100: { 1: 'outputChannels', 2: 'kernelChannels', 10: 'nGroups', 20: 'kernelSize', 30: 'stride', 40: 'dilationFactor', 60: 'isDeconvolution', 70: 'hasBias', 100: 'outputShape' },
  120: { 1: 'type', 10: 'kernelSize', 20: 'stride', 60: 'globalPooling' },
  140: { 1: 'inputChannels', 2: 'outputChannels', 10: 'hasBias' },
  150: { 1: 'inputDim', 2: 'outputChannels', 10: 'hasBias' },
  160: { 1: 'channels', 6: 'instanceNormalization' },
  210: { 1: 'scalingFactor', 5: 'mode' },
  211: { 1: 'targetSize' },
  220: { 1: 'type' },
  280: { 1: 'mode', 3: 'axis' },
  290: { 1: 'shape' },
  300: { 1: 'targetShape' },
  301: { 1: 'mode' },
  310: { 1: 'axis' },
  320: { 100: 'sequenceConcat' },
  330: { 1: 'nOutputs' },
  340: { 1: 'nRepetitions' },
  345: { 1: 'mode', 2: 'blockSize' },
  350: { 1: 'startIndex', 2: 'endIndex', 3: 'stride', 4: 'axis' },
  190: { 5: 'offset' },
  400: { 1: 'inputVectorSize', 2: 'outputVectorSize', 15: 'sequenceOutput' },
  410: { 1: 'inputVectorSize', 2: 'outputVectorSize', 15: 'sequenceOutput' },
  420: { 1: 'inputVectorSize', 2: 'outputVectorSize' },
  430: { 1: 'inputVectorSize', 2: 'outputVectorSize' },
  615: { 1: 'maxLoopIterations' },
  920: { 1: 'reps' },
  925: { 1: 'axis' },
  930: { 1: 'axis' },
  950: { 1: 'axis' },
  975: { 1: 'axis', 2: 'numSplits', 3: 'splitSizes' },
  980: { 1: 'axis' },
  985: { 1: 'axes' },
  995: { 1: 'beginIds', 2: 'beginMasks', 3: 'endIds', 4: 'endMasks', 5: 'strides', 6: 'squeezeMasks' },
  1020: { 1: 'axis', 2: 'removeDim' },
  1025: { 1: 'axis', 2: 'removeDim' },
  1040: { 1: 'vocabSize', 2: 'embeddingSize' },
  1045: { 1: 'transposeA', 2: 'transposeB', 5: 'weightMatrixFirstDimension', 6: 'weightMatrixSecondDimension', 7: 'hasBias' },
  1070: { 1: 'shape' },
  1085: { 2: 'targetShape' },
  1105: { 1: 'targetShape' },
  1120: { 1: 'axes', 2: 'squeezeAll' },
  1125: { 1: 'axes' },
  1130: { 1: 'axis' },
  1140: { 1: 'targetShape' },
  1150: { 1: 'targetShape' },
  1155: { 2: 'padAmounts', 3: 'padToGivenOutputSizeMode' },
  1350: { 1: 'normalizedShape' },
  1471: { 1: 'outputChannels', 2: 'inputChannels', 10: 'nGroups', 20: 'kernelDepth', 21: 'kernelHeight', 22: 'kernelWidth', 31: 'strideDepth', 32: 'strideHeight', 33: 'strideWidth', 70: 'paddingType', 86: 'isDeconvolution' },
};
for (const f of [1250, 1255, 1260, 1265, 1270, 1275, 1280, 1285, 1290, 1295]) INT_PARAMS[f] = { 1: 'axes', 2: 'keepDims', 3: 'reduceAll' };

/** ActivationParams oneof → the non-linearity's name. */
const ACTIVATIONS: Record<number, string> = {
  5: 'linear', 10: 'ReLU', 15: 'leakyReLU', 20: 'thresholdedReLU', 25: 'PReLU', 30: 'tanh', 31: 'scaledTanh', 40: 'sigmoid', 41: 'sigmoidHard',
  50: 'ELU', 60: 'softsign', 70: 'softplus', 71: 'parametricSoftplus',
};

const MAX_NESTING = 16;
const MAX_PARAM_VALUES = 64;

/** Shape mapping of a network's inputs (NeuralNetworkMultiArrayShapeMapping): rank-5 (the default) or exact. */
export interface NetworkOptions {
  prefix: string;
  depth: number;
  exactArrays: boolean;
}

/** Reads a NeuralNetwork / NeuralNetworkClassifier / NeuralNetworkRegressor message into `sg`. */
export function readNeuralNetwork(ctx: CoremlCtx, m: MessageRange, sg: Subgraph, opts: Omit<NetworkOptions, 'exactArrays'>, classifier: boolean): void {
  const { pr } = ctx;
  const pre: string[] = [];
  const layers: ProtoField[] = [];
  let exactArrays = false;
  for (const f of pr.fields(m, 'neural network')) {
    if (f.field === 1) layers.push(f);
    else if (f.field === 5 && f.wire === WireType.Varint) exactArrays = f.varint === 1;
    else if (f.field === 2) {
      for (const p of pr.fields(pr.message(f, 'preprocessing', m), 'preprocessing')) {
        if (p.field === 10) pre.push('scaler');
        else if (p.field === 11) pre.push('meanImage');
      }
    } else if (classifier && (f.field === 100 || f.field === 101)) {
      let n = 0;
      const labels = pr.message(f, 'class labels', m);
      for (const x of pr.fields(labels, 'class labels')) {
        if (x.field !== 1) continue;
        n += f.field === 101 && x.wire === WireType.LengthDelimited ? pr.countValues(x, 'varint', 'class labels') : 1;
      }
      ctx.extra[`${opts.prefix}classLabels`] = `${n} ${f.field === 100 ? 'string' : 'int64'} labels`;
    }
  }
  if (pre.length) ctx.extra[`${opts.prefix}preprocessing`] = pre.join(', ');
  if (exactArrays) ctx.extra[`${opts.prefix}arrayInputShapeMapping`] = 'EXACT_ARRAY_MAPPING';
  for (const f of layers) readLayer(ctx, pr.message(f, 'layer', m), sg, { ...opts, exactArrays });
}

/** The blob a layer reads or writes: a description feature that is not a tensor (a dictionary, a label) is written as "<name>#blob". */
export function blobName(ctx: CoremlCtx, name: string): string {
  return ctx.nonTensorFeatures.has(name) ? `${name}#blob` : name;
}

function readLayer(ctx: CoremlCtx, m: MessageRange, sg: Subgraph, opts: NetworkOptions): void {
  const { pr } = ctx;
  let name = '';
  let params: ProtoField | null = null;
  const inputs: string[] = [];
  const outputs: string[] = [];
  const outputTensors: number[][] = [];
  for (const f of pr.fields(m, 'layer')) {
    if (f.field === 1) name = ctx.names.take(pr.string(f, 'layer name'), 'layer names');
    else if (f.field === 2) inputs.push(blobName(ctx, ctx.names.take(pr.string(f, 'layer input'), 'blob names')));
    else if (f.field === 3) outputs.push(blobName(ctx, ctx.names.take(pr.string(f, 'layer output'), 'blob names')));
    else if (f.field === 5) outputTensors.push(readTensorDims(ctx, pr.message(f, 'output tensor', m)));
    else if (f.field >= 100) params = f;
    if (inputs.length + outputs.length > 100_000) pr.fail(`layer "${name}" has more than 100000 inputs and outputs`);
  }
  if (!name) name = `layer_${ctx.layers.length}`;
  const full = ctx.names.take(`${opts.prefix}${name}`, 'layer names');
  const op = params ? LAYER_TYPES[params.field] ?? `layer type ${params.field}` : 'unknown';
  const node: GraphNode = { name: full, op, domain: 'neuralNetwork', inputs: [...inputs], outputs, attrs: {} };
  if (opts.exactArrays) node.attrs.exactArrays = true;
  if (outputTensors.length && outputTensors.every((d) => d.length)) node.attrs.declaredOutputShapes = outputTensors.map((d) => d.join('x'));
  const declared = { name: full, op, params: 0 };
  ctx.layers.push(declared);
  if (params) {
    const pm = pr.message(params, `${op} parameters`, m);
    readParams(ctx, params.field, pm, node);
    readLayerWeights(ctx, params.field, pm, node, full);
    for (const i of node.inputs) {
      const t = ctx.g.main.tensors.get(i);
      if (t?.isConstant) declared.params += t.elements ?? 0;
    }
    if (params.field === 605 || params.field === 615) {
      readControlFlow(ctx, params.field, pm, node, sg, opts);
      captureOuterInputs(ctx, node);
    }
  }
  registerOutputs(ctx, sg, outputs);
  addNode(ctx, sg, node);
}

function registerOutputs(ctx: CoremlCtx, sg: Subgraph, outputs: string[]): void {
  for (const o of outputs) if (!sg.tensors.has(o)) addTensor(ctx, sg, activation(o));
}

function readTensorDims(ctx: CoremlCtx, m: MessageRange): number[] {
  const dims: number[] = [];
  for (const f of ctx.pr.fields(m, 'tensor')) if (f.field === 2) ctx.pr.ints(f, dims, 16, 'tensor dimensions');
  return dims.every((d) => Number.isSafeInteger(d) && d >= 0) ? dims : [];
}

/** Decodes the integer parameters (and the few nested ones: padding amounts, activation kind, LSTM flags) into attrs. */
function readParams(ctx: CoremlCtx, type: number, pm: MessageRange, node: GraphNode): void {
  const { pr } = ctx;
  const ints = INT_PARAMS[type] ?? {};
  const attrs = node.attrs;
  const push = (key: string, v: number): void => {
    const a = (attrs[key] as number[] | undefined) ?? [];
    if (a.length >= MAX_PARAM_VALUES) pr.fail(`layer "${node.name}": more than ${MAX_PARAM_VALUES} values for ${key}`);
    a.push(v);
    attrs[key] = a;
  };
  for (const f of pr.fields(pm, `${node.op} parameters`)) {
    const key = ints[f.field];
    if (key && (f.wire === WireType.Varint || f.wire === WireType.LengthDelimited)) {
      const vals: number[] = [];
      pr.ints(f, vals, MAX_PARAM_VALUES, `${node.op} ${key}`);
      for (const v of vals) push(key, v);
      continue;
    }
    if (type === 210 && f.field === 7) {
      const vals: number[] = [];
      pr.floats(f, vals, MAX_PARAM_VALUES, 'upsample fractional scaling factor');
      for (const v of vals) push('fractionalScalingFactor', v);
    } else if ((type === 100 && (f.field === 50 || f.field === 51)) || (type === 120 && (f.field === 30 || f.field === 31 || f.field === 32))) {
      const kind = f.field === 50 || f.field === 30 ? 'valid' : f.field === 51 || f.field === 31 ? 'same' : 'includeLastPixel';
      attrs.padding = kind;
      const sub = pr.message(f, 'padding', pm);
      if (kind === 'valid') attrs.pads = readValidPadding(ctx, sub);
      else if (kind === 'includeLastPixel') {
        const amounts: number[] = [];
        for (const x of pr.fields(sub, 'padding')) if (x.field === 10) pr.ints(x, amounts, 4, 'padding amounts');
        attrs.pads = amounts;
      }
    } else if ((type === 200 && f.field === 10) || (type === 190 && f.field === 1)) {
      attrs.borders = readBorderAmounts(ctx, pr.message(f, 'border amounts', pm));
    } else if (type === 130) {
      attrs.activation = ACTIVATIONS[f.field] ?? `activation ${f.field}`;
      if (f.field === 25 || f.field === 71) {
        const am = pr.message(f, 'activation parameters', pm);
        for (const x of pr.fields(am, 'activation parameters')) {
          if (x.field === 1 || x.field === 2) {
            const w = readWeightParams(ctx, x, am, `${node.name}.${x.field === 1 ? 'alpha' : 'beta'}`, null);
            if (w) node.inputs.push(w);
          }
        }
      }
    } else if ((type === 420 || type === 430) && f.field === 15) {
      for (const x of pr.fields(pr.message(f, 'LSTM parameters', pm), 'LSTM parameters')) {
        if (x.field === 10 && x.wire === WireType.Varint) attrs.sequenceOutput = [x.varint];
      }
    } else if (type === 500 && f.field === 10) {
      attrs.className = ctx.names.take(pr.string(f, 'custom layer class name'));
    }
  }
}

function readValidPadding(ctx: CoremlCtx, m: MessageRange): number[] {
  for (const f of ctx.pr.fields(m, 'valid padding')) if (f.field === 1) return readBorderAmounts(ctx, ctx.pr.message(f, 'padding amounts', m));
  return [];
}

/** BorderAmounts → [top, bottom, left, right] (missing edges are 0). */
function readBorderAmounts(ctx: CoremlCtx, m: MessageRange): number[] {
  const { pr } = ctx;
  const out: number[] = [];
  for (const f of pr.fields(m, 'border amounts')) {
    if (f.field !== 10) continue;
    if (out.length >= 8) pr.fail('more than 4 border edges');
    let start = 0;
    let end = 0;
    for (const x of pr.fields(pr.message(f, 'edge sizes', m), 'edge sizes')) {
      if (x.field === 1 && x.wire === WireType.Varint) start = x.varint;
      else if (x.field === 2 && x.wire === WireType.Varint) end = x.varint;
    }
    out.push(start, end);
  }
  while (out.length < 4) out.push(0);
  return out;
}

/** Weight shapes the layer states (convolution, inner product, embedding, batched matmul); others stay 1-D. */
function weightShape(type: number, attrs: Record<string, AttrValue>, what: string): number[] | null {
  const one = (k: string): number | undefined => (Array.isArray(attrs[k]) ? (attrs[k] as number[])[0] : undefined);
  if (type === 100 && what === 'weights') {
    const oc = one('outputChannels');
    const kc = one('kernelChannels');
    const ks = (attrs.kernelSize as number[] | undefined) ?? [3, 3];
    if (oc === undefined || kc === undefined) return null;
    const groups = one('nGroups') || 1;
    return one('isDeconvolution') ? [kc, Math.floor(oc / groups), ...ks] : [oc, kc, ...ks];
  }
  if ((type === 140 || type === 150) && what === 'weights') {
    const ic = one(type === 140 ? 'inputChannels' : 'inputDim');
    const oc = one('outputChannels');
    return ic === undefined || oc === undefined ? null : [oc, ic];
  }
  if (type === 1045 && what === 'weights') {
    const a = one('weightMatrixFirstDimension');
    const b = one('weightMatrixSecondDimension');
    return a === undefined || b === undefined ? null : [a, b];
  }
  if (type === 1040 && what === 'weights') {
    const v = one('vocabSize');
    const e = one('embeddingSize');
    return v === undefined || e === undefined ? null : [e, v];
  }
  if (what === 'bias') {
    const oc = one('outputChannels');
    return oc === undefined ? null : [oc];
  }
  return null;
}

/** Reads the layer's WeightParams fields into constant tensors and appends them to the node's inputs. */
function readLayerWeights(ctx: CoremlCtx, type: number, pm: MessageRange, node: GraphNode, full: string): void {
  const { pr } = ctx;
  const fields = WEIGHT_FIELDS[type];
  if (!fields) return;
  let customIndex = 0;
  const add = (name: string | null): void => {
    if (name) node.inputs.push(name);
  };
  for (const f of pr.fields(pm, `${node.op} parameters`)) {
    const what = fields[f.field];
    if (!what) continue;
    if (what === 'lstm') {
      const lm = pr.message(f, 'LSTM weights', pm);
      const dir = type === 430 ? `.dir${customIndex++}` : '';
      for (const lf of pr.fields(lm, 'LSTM weights')) {
        const lw = LSTM_WEIGHTS[lf.field];
        if (lw) add(readWeightParams(ctx, lf, lm, `${full}${dir}.${lw}`, null));
      }
    } else {
      const wname = type === 500 ? `${full}.weights${customIndex++}` : `${full}.${what}`;
      add(readWeightParams(ctx, f, pm, wname, weightShape(type, node.attrs, what)));
    }
  }
}

/** branch { ifBranch = 1; elseBranch = 2 }, loop { conditionNetwork = 3; bodyNetwork = 4 }: nested networks as subgraphs. */
function readControlFlow(ctx: CoremlCtx, type: number, pm: MessageRange, node: GraphNode, sg: Subgraph, opts: NetworkOptions): void {
  const { pr } = ctx;
  if (opts.depth > MAX_NESTING) pr.fail(`Core ML control flow nests deeper than ${MAX_NESTING} levels`);
  const nets: Record<number, string> = type === 605 ? { 1: 'if', 2: 'else' } : { 3: 'condition', 4: 'body' };
  node.subgraphIds = [];
  let hasCondition = false;
  for (const f of pr.fields(pm, node.op)) {
    if (type === 615 && f.field === 2 && f.length > 0) hasCondition = true;
    if (!nets[f.field]) continue;
    if (f.field === 3) hasCondition = true;
    const body = newSubgraph(ctx, sg, `${node.name}.${nets[f.field]}`);
    node.subgraphIds.push(body.id);
    if (f.field === 4) node.attrs.bodyId = body.id;
    readNeuralNetwork(ctx, pr.message(f, `${node.op} network`, pm), body, { prefix: `${node.name}/${nets[f.field]}/`, depth: opts.depth + 1 }, false);
  }
  const max = Array.isArray(node.attrs.maxLoopIterations) ? (node.attrs.maxLoopIterations as number[])[0] : 0;
  if (type === 615) {
    const body = ctx.g.subgraphs.find((b) => b.id === node.attrs.bodyId);
    if (!hasCondition && max > 0 && body) {
      node.attrs.staticTrips = max;
      body.runs = max;
    } else node.attrs.tripsUnknown = hasCondition ? 'the loop runs until its condition network says stop' : 'the loop states no iteration count';
  }
}
