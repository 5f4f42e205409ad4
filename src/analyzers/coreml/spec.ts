/**
 * The Core ML Model message (Model.proto): specification version, description, and the model it holds —
 * a neural network (neural-network.ts), an mlProgram (mil-program.ts), a pipeline of models (each sub-model
 * in order, connected by feature names), or another model type (a GLM, a tree ensemble, an OS-provided feature
 * extractor ...), which becomes one node between its input and output features so the pipeline stays a graph.
 */
import type { GraphNode, Subgraph } from '../graph';
import { type MessageRange, type ProtoField, WireType } from '../io/protobuf';
import { activation, addNode, addTensor, type CoremlCtx } from './context';
import { readDescription } from './features';
import { readNeuralNetwork } from './neural-network';
import { readProgram } from './mil-program';

/** Model.Type oneof field numbers. */
export const MODEL_TYPES: Record<number, string> = {
  200: 'pipelineClassifier', 201: 'pipelineRegressor', 202: 'pipeline',
  300: 'glmRegressor', 301: 'supportVectorRegressor', 302: 'treeEnsembleRegressor', 303: 'neuralNetworkRegressor', 304: 'bayesianProbitRegressor',
  400: 'glmClassifier', 401: 'supportVectorClassifier', 402: 'treeEnsembleClassifier', 403: 'neuralNetworkClassifier', 404: 'kNearestNeighborsClassifier',
  500: 'neuralNetwork', 501: 'itemSimilarityRecommender', 502: 'mlProgram', 555: 'customModel', 556: 'linkedModel', 560: 'classConfidenceThresholding',
  600: 'oneHotEncoder', 601: 'imputer', 602: 'featureVectorizer', 603: 'dictVectorizer', 604: 'scaler', 606: 'categoricalMapping', 607: 'normalizer',
  609: 'arrayFeatureExtractor', 610: 'nonMaximumSuppression', 900: 'identity',
  2000: 'textClassifier', 2001: 'wordTagger', 2002: 'visionFeaturePrint', 2003: 'soundAnalysisPreprocessing', 2004: 'gazetteer', 2005: 'wordEmbedding',
  2006: 'audioFeaturePrint', 3000: 'serializedModel',
};

export const NETWORK_TYPES = new Set([303, 403, 500]);
const MAX_NESTING = 16;

/** Reads a Model message: its description (features) and its model into `sg`. */
export function readModel(ctx: CoremlCtx, m: MessageRange, sg: Subgraph, prefix: string, depth: number): { sawVersion: boolean; sawModel: boolean } {
  const { pr } = ctx;
  const top = depth === 0;
  let sawVersion = false;
  let modelField: ProtoField | null = null;
  let description: MessageRange | null = null;
  let defaultFunction: string | null = null;
  for (const f of pr.fields(m, 'Core ML Model')) {
    if (f.field === 1 && f.wire === WireType.Varint) {
      if (top) {
        ctx.g.metadata.formatVersion = f.varint;
        ctx.extra.specificationVersion = f.varint;
      } else ctx.extra[`${prefix}specificationVersion`] = f.varint;
      sawVersion = true;
    } else if (f.field === 2) description = pr.message(f, 'model description', m);
    else if (f.field === 10 && f.wire === WireType.Varint && top) ctx.extra.isUpdatable = f.varint !== 0;
    else if (f.field >= 200) modelField = f;
  }
  let features: ReturnType<typeof readDescription> = { inputs: [], outputs: [] };
  if (description) {
    features = readDescription(ctx, description, top);
    for (const f of pr.fields(description, 'model description')) if (f.field === 21) defaultFunction = pr.string(f, 'default function name');
    // A sub-model's features are tensors of the pipeline graph (the top level's were added by readDescription).
    for (const feat of [...features.inputs, ...features.outputs]) if (!ctx.g.main.tensors.has(feat.t.name)) addTensor(ctx, ctx.g.main, feat.t);
  }
  if (!modelField) return { sawVersion, sawModel: false };
  const type = MODEL_TYPES[modelField.field] ?? `model type ${modelField.field}`;
  ctx.extra[top ? 'modelType' : `${prefix}modelType`] = type;
  if (depth > MAX_NESTING) pr.fail(`Core ML pipelines nest deeper than ${MAX_NESTING} levels`);
  const mm = pr.message(modelField, type, m);
  if (NETWORK_TYPES.has(modelField.field)) {
    readNeuralNetwork(ctx, mm, sg, { prefix, depth }, modelField.field === 403);
  } else if (modelField.field === 502) {
    readProgram(ctx, mm, sg, prefix, defaultFunction);
  } else if (modelField.field >= 200 && modelField.field <= 202) {
    readPipeline(ctx, modelField.field, mm, sg, prefix, depth);
  } else {
    opaqueModelNode(ctx, modelField.field, type, mm, sg, prefix, features);
  }
  return { sawVersion, sawModel: true };
}

/** PipelineClassifier/Regressor { Pipeline pipeline = 1 }; Pipeline { repeated Model models = 1; repeated string names = 2 }. */
function readPipeline(ctx: CoremlCtx, field: number, m: MessageRange, sg: Subgraph, prefix: string, depth: number): void {
  const { pr } = ctx;
  let pipe = m;
  if (field !== 202) {
    const inner = [...pr.fields(m, 'pipeline')].find((x) => x.field === 1);
    if (!inner) return;
    pipe = pr.message(inner, 'pipeline', m);
  }
  const models: ProtoField[] = [];
  const names: string[] = [];
  for (const x of pr.fields(pipe, 'pipeline')) {
    if (x.field === 1) models.push(x);
    else if (x.field === 2) names.push(ctx.names.take(pr.string(x, 'pipeline model name'), 'model names'));
  }
  ctx.extra[`${prefix}pipelineModels`] = models.length;
  const listed: string[] = [];
  models.forEach((mf, i) => {
    const p = `${prefix}${names[i] ?? `model${i}`}/`;
    readModel(ctx, pr.message(mf, 'pipeline model', pipe), sg, p, depth + 1);
    listed.push(`${names[i] ?? `model${i}`} (${ctx.extra[`${p}modelType`] ?? 'empty'})`);
  });
  ctx.extra[`${prefix}pipeline`] = listed.join(' → ');
}

/**
 * A model that is not a network: one node from its input to its output features. GLMs are costed (their
 * weights are counted here); OS-provided feature extractors (Vision, sound, text) carry no network in the file.
 */
function opaqueModelNode(ctx: CoremlCtx, field: number, type: string, m: MessageRange, sg: Subgraph, prefix: string, features: { inputs: { t: { name: string } }[]; outputs: { t: { name: string }; isTensor: boolean }[] }): void {
  const name = ctx.names.take(`${prefix}${type}`, 'layer names');
  const node: GraphNode = {
    name,
    op: type,
    domain: 'coremlModel',
    inputs: features.inputs.map((f) => f.t.name),
    outputs: features.outputs.filter((f) => f.isTensor).map((f) => f.t.name),
    attrs: {},
  };
  let params = 0;
  if (field === 300 || field === 400) params = readGlmWeights(ctx, m, node, name);
  else if (field >= 2000 && field < 3000) ctx.warnings.push(`${name}: a ${type} model runs a network that ships with the operating system, not in this file; its cost is not known`);
  else if (field !== 900) ctx.warnings.push(`${name}: a ${type} model is not a neural network; its arithmetic is not costed`);
  for (const o of node.outputs) if (!sg.tensors.has(o) && !ctx.g.main.tensors.has(o)) addTensor(ctx, sg, activation(o));
  ctx.layers.push({ name, op: type, params });
  addNode(ctx, sg, node);
}

/** GLMClassifier/GLMRegressor { repeated DoubleArray weights = 1 { repeated double value = 1 }; repeated double offset = 2 }. */
function readGlmWeights(ctx: CoremlCtx, m: MessageRange, node: GraphNode, name: string): number {
  const { pr } = ctx;
  let rows = 0;
  let elements = 0;
  let offsets = 0;
  for (const f of pr.fields(m, 'GLM')) {
    if (f.field === 1) {
      rows++;
      for (const x of pr.fields(pr.message(f, 'GLM weights', m), 'GLM weights')) if (x.field === 1) elements += pr.countValues(x, 8, 'GLM weights');
    } else if (f.field === 2) offsets += pr.countValues(f, 8, 'GLM offsets');
  }
  const add = (what: string, n: number, shape: number[]): void => {
    if (n <= 0) return;
    node.inputs.push(addTensor(ctx, ctx.g.main, { name: `${name}.${what}`, shape, dtype: 'DOUBLE', precision: 'fp64', bitsPerElement: 64, isConstant: true, elements: n, storedBytes: n * 8 }));
  };
  add('weights', elements, rows > 0 && elements % rows === 0 ? [rows, elements / rows] : [elements]);
  add('offset', offsets, [offsets]);
  node.attrs.glmRows = rows;
  return elements + offsets;
}
