/**
 * Core ML (.mlmodel) reader: the protobuf Model message (coremltools mlmodel/format/Model.proto) walked with
 * the lazy wire reader — specification version, description (inputs/outputs with multi-array shape/type or
 * image size/colour space, metadata), and the model: neural network / classifier / regressor layers with the
 * sizes of their weights (WeightParams: float, float16, raw int8 or n-bit quantised bytes), pipelines of such
 * models, and the operation list of an mlProgram. Weight bytes are never read, only their lengths.
 * Layers are listed as declaredLayers; MACs are not computed (hasComputeGraph=false).
 */
import type { ModelGraph, Precision, Shape, TensorInfo } from './graph';
import type { FormatReader } from './reader';
import { LIMITS, ModelFileError } from './errors';
import { ProtoReader, WireType, type MessageRange, type ProtoField } from './io/protobuf';
import { withOneLineErrors, type ByteSource } from './io/zip';

/** Model.Type oneof field numbers. */
const MODEL_TYPES: Record<number, string> = {
  200: 'pipelineClassifier', 201: 'pipelineRegressor', 202: 'pipeline',
  300: 'glmRegressor', 301: 'supportVectorRegressor', 302: 'treeEnsembleRegressor', 303: 'neuralNetworkRegressor', 304: 'bayesianProbitRegressor',
  400: 'glmClassifier', 401: 'supportVectorClassifier', 402: 'treeEnsembleClassifier', 403: 'neuralNetworkClassifier', 404: 'kNearestNeighborsClassifier',
  500: 'neuralNetwork', 501: 'itemSimilarityRecommender', 502: 'mlProgram', 555: 'customModel', 556: 'linkedModel', 560: 'classConfidenceThresholding',
  600: 'oneHotEncoder', 601: 'imputer', 602: 'featureVectorizer', 603: 'dictVectorizer', 604: 'scaler', 606: 'categoricalMapping', 607: 'normalizer',
  609: 'arrayFeatureExtractor', 610: 'nonMaximumSuppression', 900: 'identity',
  2000: 'textClassifier', 2001: 'wordTagger', 2002: 'visionFeaturePrint', 2003: 'soundAnalysisPreprocessing', 2004: 'gazetteer', 2005: 'wordEmbedding',
  2006: 'audioFeaturePrint', 3000: 'serializedModel',
};

/** NeuralNetworkLayer.layer oneof field numbers (NeuralNetwork.proto). */
const LAYER_TYPES: Record<number, string> = {
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

const ARRAY_TYPES: Record<number, { name: string; precision: Precision; bits: number }> = {
  65568: { name: 'FLOAT32', precision: 'fp32', bits: 32 },
  65600: { name: 'DOUBLE', precision: 'fp64', bits: 64 },
  65552: { name: 'FLOAT16', precision: 'fp16', bits: 16 },
  131104: { name: 'INT32', precision: 'int32', bits: 32 },
  131080: { name: 'INT8', precision: 'int8', bits: 8 },
};
const COLOR_SPACES: Record<number, string> = { 10: 'GRAYSCALE', 20: 'RGB', 30: 'BGR', 40: 'GRAYSCALE_FLOAT16' };

const MAX_LAYERS = 1_000_000;
const MAX_NESTING = 16;

interface Ctx {
  pr: ProtoReader;
  tensors: Map<string, TensorInfo>;
  layers: NonNullable<ModelGraph['declaredLayers']>;
  warnings: string[];
  extra: Record<string, string | number | boolean>;
  weightMessages: number;
}

export function readCoreml(src: ByteSource): ModelGraph {
  return withOneLineErrors(() => readCoremlUnsafe(src));
}

function readCoremlUnsafe(src: ByteSource): ModelGraph {
  const pr = new ProtoReader(src);
  const ctx: Ctx = { pr, tensors: new Map(), layers: [], warnings: [], extra: {}, weightMessages: 0 };
  const g: ModelGraph = {
    format: 'coreml',
    file: src.file,
    bytes: src.size,
    main: { id: 'main', name: 'main', nodes: [], tensors: ctx.tensors, inputs: [], outputs: [] },
    subgraphs: [],
    metadata: { extra: ctx.extra, layout: 'NCHW' },
    compiledSegments: [],
    hasComputeGraph: false,
    warnings: ctx.warnings,
  };
  const root = pr.root();
  let sawVersion = false;
  let modelField: ProtoField | null = null;
  for (const f of pr.fields(root, 'Core ML Model')) {
    if (f.field === 1 && f.wire === WireType.Varint) {
      g.metadata.formatVersion = f.varint;
      ctx.extra.specificationVersion = f.varint;
      sawVersion = true;
    } else if (f.field === 2) {
      readDescription(ctx, g, pr.message(f, 'model description', root));
    } else if (f.field === 10 && f.wire === WireType.Varint) {
      ctx.extra.isUpdatable = f.varint !== 0;
    } else if (f.field >= 200) {
      modelField = f;
    }
  }
  if (!sawVersion && !modelField) throw new ModelFileError(src.file, 'not a Core ML model: no specification version and no model');
  if (modelField) {
    readModelType(ctx, modelField, root, '', 0);
  } else {
    ctx.warnings.push('the Core ML specification holds no model');
  }
  if (ctx.layers.length) {
    g.declaredLayers = ctx.layers;
    ctx.extra.layerCount = ctx.layers.length;
  }
  ctx.extra.weightParams = ctx.weightMessages;
  ctx.warnings.unshift('Core ML layers are listed as the file declares them; this reader does not rebuild their computation, so MACs and activation sizes cannot be known from this file');
  return g;
}

function readModelType(ctx: Ctx, f: ProtoField, parent: MessageRange, prefix: string, depth: number): void {
  const { pr } = ctx;
  const type = MODEL_TYPES[f.field] ?? `model type ${f.field}`;
  if (depth === 0) ctx.extra.modelType = type;
  else ctx.extra[`${prefix}modelType`] = type;
  if (depth > MAX_NESTING) pr.fail(`Core ML pipelines nest deeper than ${MAX_NESTING} levels`);
  const m = pr.message(f, type, parent);
  if (f.field === 303 || f.field === 403 || f.field === 500) {
    readNeuralNetwork(ctx, m, prefix, depth, f.field === 403);
  } else if (f.field === 200 || f.field === 201 || f.field === 202) {
    // PipelineClassifier/Regressor { Pipeline pipeline = 1 }; Pipeline { repeated Model models = 1; repeated string names = 2 }
    let pipe = m;
    if (f.field !== 202) {
      const inner = [...pr.fields(m, type)].find((x) => x.field === 1);
      if (!inner) return;
      pipe = pr.message(inner, 'pipeline', m);
    }
    const models: ProtoField[] = [];
    const names: string[] = [];
    for (const x of pr.fields(pipe, 'pipeline')) {
      if (x.field === 1) models.push(x);
      else if (x.field === 2) names.push(pr.string(x, 'pipeline model name'));
    }
    ctx.extra[`${prefix}pipelineModels`] = models.length;
    models.forEach((mf, i) => {
      const sub = pr.message(mf, 'pipeline model', pipe);
      const p = `${prefix}${names[i] ?? `model${i}`}/`;
      for (const x of pr.fields(sub, 'pipeline model')) {
        if (x.field >= 200) readModelType(ctx, x, sub, p, depth + 1);
      }
    });
  } else if (f.field === 502) {
    readProgram(ctx, m, prefix);
  } else {
    ctx.warnings.push(`${prefix}${type}: a Core ML model type whose internals this reader does not list`);
  }
}

function readNeuralNetwork(ctx: Ctx, m: MessageRange, prefix: string, depth: number, classifier: boolean): void {
  const { pr } = ctx;
  const pre: string[] = [];
  for (const f of pr.fields(m, 'neural network')) {
    if (f.field === 1) {
      if (ctx.layers.length >= MAX_LAYERS) pr.fail(`more than ${MAX_LAYERS} layers`);
      readLayer(ctx, pr.message(f, 'layer', m), prefix, depth);
    } else if (f.field === 2) {
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
      ctx.extra[`${prefix}classLabels`] = `${n} ${f.field === 100 ? 'string' : 'int64'} labels`;
    }
  }
  if (pre.length) ctx.extra[`${prefix}preprocessing`] = pre.join(', ');
}

function readLayer(ctx: Ctx, m: MessageRange, prefix: string, depth: number): void {
  const { pr } = ctx;
  let name = '';
  let op = '';
  let params: ProtoField | null = null;
  for (const f of pr.fields(m, 'layer')) {
    if (f.field === 1) name = pr.string(f, 'layer name');
    else if (f.field >= 100) {
      op = LAYER_TYPES[f.field] ?? `layer type ${f.field}`;
      params = f;
    }
  }
  if (!name) name = `layer_${ctx.layers.length}`;
  const full = `${prefix}${name}`;
  let count = 0;
  if (params) {
    const pm = pr.message(params, `${op} parameters`, m);
    const fields = WEIGHT_FIELDS[params.field];
    if (fields) {
      const shapeHints = layerShapeHints(ctx, params.field, pm);
      let customIndex = 0;
      for (const f of pr.fields(pm, `${op} parameters`)) {
        const what = fields[f.field];
        if (!what) continue;
        if (what === 'lstm') {
          const lm = pr.message(f, 'LSTM weights', pm);
          for (const lf of pr.fields(lm, 'LSTM weights')) {
            const lw = LSTM_WEIGHTS[lf.field];
            if (lw) count += readWeights(ctx, lf, lm, `${full}.${lw}`, null);
          }
        } else {
          const wname = params.field === 500 ? `${full}.weights${customIndex++}` : `${full}.${what}`;
          count += readWeights(ctx, f, pm, wname, shapeHints[what] ?? null);
        }
      }
    } else if (params.field === 605 || params.field === 615) {
      // branch { ifBranch = 1; elseBranch = 2 }, loop { conditionNetwork = 3; bodyNetwork = 4 }
      if (depth > MAX_NESTING) pr.fail(`Core ML control flow nests deeper than ${MAX_NESTING} levels`);
      const nets: Record<number, string> = params.field === 605 ? { 1: 'if', 2: 'else' } : { 3: 'condition', 4: 'body' };
      ctx.layers.push({ name: full, op, params: 0 });
      for (const f of pr.fields(pm, op)) {
        if (nets[f.field]) readNeuralNetwork(ctx, pr.message(f, `${op} network`, pm), `${full}/${nets[f.field]}/`, depth + 1, false);
      }
      return;
    }
  }
  ctx.layers.push({ name: full, op: op || 'unknown', params: count });
}

/** Shapes the layer states for its weights (convolution, inner product); other weights stay 1-D. */
function layerShapeHints(ctx: Ctx, type: number, pm: MessageRange): Record<string, Shape> {
  const { pr } = ctx;
  const ints: Record<number, number[]> = {};
  if (type !== 100 && type !== 140) return {};
  for (const f of pr.fields(pm, 'layer parameters')) {
    if (f.wire === WireType.Varint || (f.field === 20 && f.wire === WireType.LengthDelimited && type === 100)) {
      if (!ints[f.field]) ints[f.field] = [];
      pr.ints(f, ints[f.field], 16, 'layer parameter');
    }
  }
  const one = (k: number): number | undefined => ints[k]?.[0];
  if (type === 100) {
    const oc = one(1);
    const kc = one(2);
    const ks = ints[20] ?? [3, 3];
    const isDeconv = one(60) === 1;
    if (oc === undefined || kc === undefined) return {};
    return { weights: isDeconv ? [kc, oc, ...ks] : [oc, kc, ...ks], bias: [oc] };
  }
  const ic = one(1);
  const oc = one(2);
  if (ic === undefined || oc === undefined) return {};
  return { weights: [oc, ic], bias: [oc] };
}

/** One WeightParams message: its element count from the field lengths, as a constant tensor. */
function readWeights(ctx: Ctx, f: ProtoField, parent: MessageRange, name: string, shapeHint: Shape | null): number {
  const { pr } = ctx;
  const m = pr.message(f, `weights ${name}`, parent);
  let floatCount = 0;
  let floatOffset: number | undefined;
  let fp16: ProtoField | null = null;
  let raw: ProtoField | null = null;
  let int8: ProtoField | null = null;
  let bits: number | null = null;
  let lut = false;
  for (const x of pr.fields(m, 'weights')) {
    if (x.field === 1) {
      if (x.wire === WireType.LengthDelimited) {
        if (x.length % 4 !== 0) pr.fail(`weights ${name}: packed floats of ${x.length} bytes, not a multiple of 4`);
        floatCount += x.length / 4;
        floatOffset ??= x.offset;
      } else if (x.wire === WireType.Fixed32) floatCount++;
      else pr.fail(`weights ${name}: floatValue with wire type ${x.wire}`);
    } else if (x.field === 2) fp16 = x;
    else if (x.field === 30) raw = x;
    else if (x.field === 31) int8 = x;
    else if (x.field === 40) {
      for (const q of pr.fields(pr.message(x, 'quantization', m), 'quantization')) {
        if (q.field === 1 && q.wire === WireType.Varint) bits = q.varint;
        else if (q.field === 102) lut = true;
      }
    }
  }
  let t: TensorInfo | null = null;
  const base = (dtype: string, precision: Precision, bpe: number, elements: number, storedBytes: number, dataOffset?: number): TensorInfo => {
    const shape = shapeHint && shapeHint.reduce((a: number, d) => a * (typeof d === 'number' ? d : 1), 1) === elements ? shapeHint : [elements];
    const info: TensorInfo = { name, shape, dtype, precision, bitsPerElement: bpe, isConstant: true, elements, storedBytes };
    if (dataOffset !== undefined) info.dataOffset = dataOffset;
    return info;
  };
  if (floatCount > 0) t = base('float32', 'fp32', 32, floatCount, floatCount * 4, floatOffset);
  else if (fp16 && fp16.length > 0) t = base('float16', 'fp16', 16, Math.floor(fp16.length / 2), fp16.length, fp16.offset);
  else if (int8 && int8.length > 0) t = base('int8', 'int8', 8, int8.length, int8.length, int8.offset);
  else if (raw && raw.length > 0) {
    if (bits !== null && bits >= 1 && bits <= 8) {
      const precision: Precision = bits <= 2 ? 'int2' : bits <= 4 ? 'uint4' : 'uint8';
      t = base(`${lut ? 'lut' : 'linear'}-quantized uint${bits}`, precision, bits, Math.floor((raw.length * 8) / bits), raw.length, raw.offset);
      t.quant = { scheme: lut ? `${bits}-bit lookup table` : `${bits}-bit linear` };
    } else {
      t = base('bytes', 'uint8', 8, raw.length, raw.length, raw.offset);
      ctx.warnings.push(`weights ${name} are raw bytes without quantization parameters: counted as bytes`);
    }
  }
  ctx.weightMessages++;
  if (!t) return 0;
  if (t.elements! > LIMITS.maxTensorElements) pr.fail(`weights ${name} are absurdly large`);
  let key = name;
  for (let k = 2; ctx.tensors.has(key); k++) key = `${name}#${k}`;
  t.name = key;
  ctx.tensors.set(key, t);
  return t.elements!;
}

function readDescription(ctx: Ctx, g: ModelGraph, m: MessageRange): void {
  const { pr } = ctx;
  const ins: string[] = [];
  const outs: string[] = [];
  for (const f of pr.fields(m, 'model description')) {
    if (f.field === 1 || f.field === 10) {
      const t = readFeature(ctx, pr.message(f, 'feature description', m));
      if (!t) continue;
      let key = t.name;
      for (let k = 2; ctx.tensors.has(key); k++) key = `${t.name}#${k}`;
      t.name = key;
      ctx.tensors.set(key, t);
      (f.field === 1 ? g.main.inputs : g.main.outputs).push(key);
      (f.field === 1 ? ins : outs).push(`${key}: ${describeFeature(t)}`);
    } else if (f.field === 11) ctx.extra.predictedFeatureName = pr.string(f, 'predicted feature name');
    else if (f.field === 12) ctx.extra.predictedProbabilitiesName = pr.string(f, 'predicted probabilities name');
    else if (f.field === 100) {
      const meta = pr.message(f, 'metadata', m);
      let user = 0;
      for (const x of pr.fields(meta, 'metadata')) {
        if (x.field === 1) g.metadata.description = pr.string(x, 'short description');
        else if (x.field === 2) {
          const v = pr.string(x, 'version string');
          if (v) ctx.extra.versionString = v;
        } else if (x.field === 3) {
          ctx.extra.author = pr.string(x, 'author');
          g.metadata.producer = String(ctx.extra.author);
        } else if (x.field === 4) ctx.extra.license = pr.string(x, 'license');
        else if (x.field === 100 && user++ < 32) {
          let k = '';
          let v = '';
          for (const e of pr.fields(pr.message(x, 'user-defined entry', meta), 'user-defined entry')) {
            if (e.field === 1) k = pr.string(e, 'key');
            else if (e.field === 2) v = pr.string(e, 'value');
          }
          if (k) ctx.extra[`userDefined.${k}`] = v.length > 200 ? `${v.slice(0, 200)}…` : v;
        }
      }
    }
  }
  if (ins.length) ctx.extra.inputs = ins.join('; ');
  if (outs.length) ctx.extra.outputs = outs.join('; ');
}

function describeFeature(t: TensorInfo): string {
  return `${t.dtype}${t.shape ? `[${t.shape.join(', ')}]` : ''}`;
}

function readFeature(ctx: Ctx, m: MessageRange): TensorInfo | null {
  const { pr } = ctx;
  let name = '';
  let type: ProtoField | null = null;
  for (const f of pr.fields(m, 'feature description')) {
    if (f.field === 1) name = pr.string(f, 'feature name');
    else if (f.field === 3) type = f;
  }
  const t: TensorInfo = { name: name || 'unnamed', shape: null, dtype: 'unknown', precision: 'other', bitsPerElement: null, isConstant: false };
  if (!type) return t;
  const tm = pr.message(type, 'feature type', m);
  for (const f of pr.fields(tm, 'feature type')) {
    switch (f.field) {
      case 1:
        Object.assign(t, { dtype: 'INT64', precision: 'int64', bitsPerElement: 64, shape: [] });
        break;
      case 2:
        Object.assign(t, { dtype: 'DOUBLE', precision: 'fp64', bitsPerElement: 64, shape: [] });
        break;
      case 3:
        Object.assign(t, { dtype: 'STRING', precision: 'string', bitsPerElement: null, shape: [] });
        break;
      case 4: {
        let w = 0;
        let h = 0;
        let cs = 0;
        let flexible = false;
        const im = pr.message(f, 'image type', tm);
        for (const x of pr.fields(im, 'image type')) {
          if (x.field === 1 && x.wire === WireType.Varint) w = x.varint;
          else if (x.field === 2 && x.wire === WireType.Varint) h = x.varint;
          else if (x.field === 3 && x.wire === WireType.Varint) cs = x.varint;
          else if (x.field === 21 || x.field === 31) flexible = true;
        }
        const space = COLOR_SPACES[cs] ?? `COLORSPACE_${cs}`;
        const channels = space === 'RGB' || space === 'BGR' ? 3 : 1;
        Object.assign(t, {
          dtype: `IMAGE ${space}`,
          precision: space === 'GRAYSCALE_FLOAT16' ? 'fp16' : 'uint8',
          bitsPerElement: space === 'GRAYSCALE_FLOAT16' ? 16 : 8,
          shape: [1, channels, h, w],
        });
        ctx.extra[`input.${t.name}.image`] = `${w}x${h} ${space}${flexible ? ' (flexible size)' : ''}`;
        break;
      }
      case 5: {
        const shape: number[] = [];
        let dt = 0;
        let flexible = false;
        const am = pr.message(f, 'multi-array type', tm);
        for (const x of pr.fields(am, 'multi-array type')) {
          if (x.field === 1) pr.ints(x, shape, 64, 'multi-array shape');
          else if (x.field === 2 && x.wire === WireType.Varint) dt = x.varint;
          else if (x.field === 21 || x.field === 31) flexible = true;
        }
        const at = ARRAY_TYPES[dt];
        Object.assign(t, { dtype: at?.name ?? `ARRAY_TYPE_${dt}`, precision: at?.precision ?? 'other', bitsPerElement: at?.bits ?? null, shape });
        if (flexible) ctx.warnings.push(`feature "${t.name}" has a flexible shape; the default shape [${shape.join(', ')}] is used`);
        break;
      }
      case 6: {
        let key = '?';
        for (const x of pr.fields(pr.message(f, 'dictionary type', tm), 'dictionary type')) {
          if (x.field === 1) key = 'int64';
          else if (x.field === 2) key = 'string';
        }
        Object.assign(t, { dtype: `DICTIONARY<${key}>`, precision: 'other', bitsPerElement: null, shape: null });
        break;
      }
      case 7:
        Object.assign(t, { dtype: 'SEQUENCE', precision: 'other', bitsPerElement: null, shape: null });
        break;
      case 8:
        Object.assign(t, { dtype: 'STATE', precision: 'other', bitsPerElement: null, shape: null });
        break;
    }
  }
  return t;
}

/** mlProgram: functions → block specializations → operations; each operation becomes a declared layer. */
function readProgram(ctx: Ctx, m: MessageRange, prefix: string): void {
  const { pr } = ctx;
  let ops = 0;
  const walkBlock = (b: MessageRange, path: string, depth: number): void => {
    if (depth > MAX_NESTING * 4) pr.fail('mlProgram blocks nest too deeply');
    for (const f of pr.fields(b, 'mlProgram block')) {
      if (f.field !== 3) continue;
      const om = pr.message(f, 'mlProgram operation', b);
      let type = '';
      let out = '';
      const nested: ProtoField[] = [];
      for (const x of pr.fields(om, 'mlProgram operation')) {
        if (x.field === 1) type = pr.string(x, 'operation type');
        else if (x.field === 3 && !out) {
          for (const y of pr.fields(pr.message(x, 'operation output', om), 'operation output')) if (y.field === 1) out = pr.string(y, 'output name');
        } else if (x.field === 4) nested.push(x);
      }
      if (++ops > MAX_LAYERS) pr.fail(`more than ${MAX_LAYERS} mlProgram operations`);
      ctx.layers.push({ name: `${path}${out || `op_${ops}`}`, op: type || 'unknown', params: null });
      for (const nb of nested) walkBlock(pr.message(nb, 'nested block', om), `${path}${out || `op_${ops}`}/`, depth + 1);
    }
  };
  for (const f of pr.fields(m, 'mlProgram')) {
    if (f.field === 1 && f.wire === WireType.Varint) ctx.extra[`${prefix}programVersion`] = f.varint;
    if (f.field !== 2) continue;
    // map<string, Function>: entry { key = 1; value = 2 }
    const entry = pr.message(f, 'function entry', m);
    let fname = '';
    let fn: MessageRange | null = null;
    for (const e of pr.fields(entry, 'function entry')) {
      if (e.field === 1) fname = pr.string(e, 'function name');
      else if (e.field === 2) fn = pr.message(e, 'function', entry);
    }
    if (!fn) continue;
    for (const x of pr.fields(fn, 'function')) {
      if (x.field === 2) ctx.extra[`${prefix}opset.${fname}`] = pr.string(x, 'opset');
      if (x.field !== 3) continue;
      const be = pr.message(x, 'block specialization', fn);
      for (const y of pr.fields(be, 'block specialization')) {
        if (y.field === 2) walkBlock(pr.message(y, 'block', be), `${prefix}${fname}/`, 0);
      }
    }
  }
  ctx.warnings.push('mlProgram weights normally live in a separate weights file (an .mlpackage folder): operation parameter counts are not stated here');
}

export const coremlReader: FormatReader = {
  format: 'coreml',
  read: (src) => readCoreml(src),
};
