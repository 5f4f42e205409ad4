/**
 * FP16: weights and compute in float16, the model's float32 inputs and outputs kept (a Cast at each boundary),
 * as onnxconverter-common's convert_float_to_float16(keep_io_types=True) does.
 *
 * Which nodes convert: default-domain nodes that read or write float32, except the ops that converter blocks
 * (ML ops, Resize, Range, TopK, NonMaxSuppression ...), ops whose output type is an attribute (Random*, EyeLike),
 * quantization ops, control flow (If / Loop / Scan bodies are not rewritten) and layers kept in float by request.
 * A blocked node keeps float32 and reads / writes through Casts.
 *
 * onnxruntime 1.30's CPU provider runs such a file: for ops without a float16 kernel on this machine (most of
 * them on x86: Conv, Gemm, MatMul, Add ... — LayerNormalization, Concat, Transpose, Clip have one) it inserts the
 * Casts itself and computes those ops in float32; at basic optimisation the casts stay (every tensor between ops
 * is float16: what verify measures), at full optimisation it drops them (float32 throughout: what it times).
 * The file itself is a true float16 model for GPUs and NPUs, so blocking ops for this CPU's sake would be wrong.
 */
import { attrInt, attrTensor, DT, getAttr, makeTensor, type OnnxNode } from './onnx-file';
import { layerName } from './graph-facts';
import { GraphRewrite } from './rewrite';
import { floatValues } from './tensor-values';
import { toFloat16Bytes } from './quant-math';
import { isDefaultDomain, WEIGHT_OPS, type LayerMap, type WriterInput, type WriterOutput } from './compress-types';

/** onnxconverter-common's DEFAULT_OP_BLOCK_LIST, plus ops float16 cannot express or this writer does not enter. */
export const FP16_BLOCKED_OPS = new Set([
  'ArrayFeatureExtractor', 'Binarizer', 'CastMap', 'CategoryMapper', 'DictVectorizer', 'FeatureVectorizer', 'Imputer',
  'LabelEncoder', 'LinearClassifier', 'LinearRegressor', 'Normalizer', 'OneHotEncoder', 'SVMClassifier', 'SVMRegressor',
  'Scaler', 'TreeEnsembleClassifier', 'TreeEnsembleRegressor', 'ZipMap', 'NonMaxSuppression', 'TopK', 'RoiAlign',
  'Resize', 'Range', 'CumSum', 'Min', 'Max', 'Upsample',
  'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'EyeLike', 'Multinomial', 'Bernoulli',
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'ConvInteger',
  'If', 'Loop', 'Scan', 'SequenceConstruct', 'SequenceInsert', 'SequenceAt', 'SequenceEmpty', 'SequenceErase', 'SequenceLength',
  'SplitToSequence', 'ConcatFromSequence', 'Optional', 'OptionalGetElement', 'OptionalHasElement',
]);

/** Layers whose precision matters for accuracy (candidates for keeping in float), besides the weight ops. */
const SENSITIVE_OPS = new Set([...WEIGHT_OPS, 'BatchNormalization', 'LayerNormalization', 'InstanceNormalization', 'Softmax', 'LogSoftmax']);

export function writeFp16(inp: WriterInput): WriterOutput {
  const { model, facts, dtypes, keepFloat } = inp;
  const nodes = model.graph.nodes;
  const rw = new GraphRewrite(model, facts);
  const notes: string[] = [];
  const isConstFloat = (name: string): boolean => facts.initializers.get(name)?.dataType === DT.FLOAT;
  const isFloat = (name: string): boolean => !!name && (dtypes.get(name) === 'float32' || isConstFloat(name));

  // Tensors read from inside subgraphs keep float32: their producers do not convert.
  const readBySubgraph = new Set([...facts.consumers].filter(([, uses]) => uses.some((u) => u.slot === -1)).map(([n]) => n));

  const converted = new Set<number>();
  nodes.forEach((n, i) => {
    if (!isDefaultDomain(n.domain) || FP16_BLOCKED_OPS.has(n.opType) || n.attrs.some((a) => a.graphs.length) || keepFloat.has(layerName(n, i))) return;
    if (n.outputs.some((o) => readBySubgraph.has(o))) return;
    if (n.opType === 'Constant') {
      if (getAttr(n, 'value')?.t?.dataType === DT.FLOAT) converted.add(i);
      return;
    }
    if (n.opType === 'Cast' || n.opType === 'ConstantOfShape') {
      if (isFloat(n.outputs[0])) converted.add(i);
      return;
    }
    if ([...n.inputs, ...n.outputs].some(isFloat)) converted.add(i);
  });

  // Attribute changes of converted nodes that produce float from non-float inputs.
  for (const i of converted) {
    const n = nodes[i];
    if (n.opType === 'Cast') rw.setAttrs(i, [attrInt('to', DT.FLOAT16)]);
    else if (n.opType === 'Constant' || n.opType === 'ConstantOfShape') {
      const t = getAttr(n, 'value')?.t;
      const values = t ? floatValues(t, model.file) : new Float32Array(1);
      rw.setAttrs(i, [attrTensor('value', makeTensor(t?.name ?? '', DT.FLOAT16, t?.dims ?? [1], toFloat16Bytes(values).bytes))]);
    }
  }

  let clamped = 0;
  const cast = (from: string, to: string, type: number): OnnxNode => ({
    name: rw.names.make(`${from}_to_${type === DT.FLOAT16 ? 'fp16' : 'fp32'}`), opType: 'Cast', domain: '', inputs: [from], outputs: [to], attrs: [attrInt('to', type)], extra: [],
  });

  // Every float32 tensor: where its fp16 and fp32 versions live, and which reader takes which.
  const floatTensors = new Set<string>();
  for (const n of nodes) for (const x of [...n.inputs, ...n.outputs]) if (isFloat(x)) floatTensors.add(x);
  for (const v of model.graph.inputs) if (isFloat(v.name)) floatTensors.add(v.name);
  const fp16Name = new Map<string, string>();

  for (const t of floatTensors) {
    const uses = facts.consumers.get(t) ?? [];
    const p = facts.producer.get(t);
    const init = facts.initializers.get(t);
    const toFp16 = uses.filter((u) => u.slot >= 0 && converted.has(u.node));
    const toFp32 = uses.filter((u) => !(u.slot >= 0 && converted.has(u.node)));
    if (init && p === undefined) {
      if (!toFp16.length) continue;
      const half = toFloat16Bytes(floatValues(init, model.file));
      clamped += half.clamped;
      if (!toFp32.length && !facts.graphOutputs.has(t)) {
        rw.replaceInitializer(makeTensor(t, DT.FLOAT16, init.dims, half.bytes));
        rw.retype(t, DT.FLOAT16);
        fp16Name.set(t, t);
      } else {
        const name = rw.addInitializer(makeTensor(rw.names.make(`${t}_fp16`), DT.FLOAT16, init.dims, half.bytes));
        for (const u of toFp16) rw.renameInput(u.node, u.slot, name);
        fp16Name.set(t, name);
      }
      continue;
    }
    const producedFp16 = p !== undefined && converted.has(p);
    if (producedFp16) {
      if (facts.graphOutputs.has(t)) {
        // The graph output keeps float32: the producer writes t_fp16, a Cast writes t.
        const half = rw.names.make(`${t}_fp16`);
        rw.renameOutput(p, nodes[p].outputs.indexOf(t), half);
        rw.insertAfterProducer(t, [cast(half, t, DT.FLOAT)]);
        for (const u of toFp16) rw.renameInput(u.node, u.slot, half);
        fp16Name.set(t, half);
      } else {
        rw.retype(t, DT.FLOAT16);
        fp16Name.set(t, t);
        if (toFp32.some((u) => u.slot >= 0)) {
          const full = rw.names.make(`${t}_fp32`);
          rw.insertAfterProducer(t, [cast(t, full, DT.FLOAT)]);
          for (const u of toFp32) if (u.slot >= 0) rw.renameInput(u.node, u.slot, full);
        }
      }
    } else if (toFp16.length) {
      const half = rw.names.make(`${t}_fp16`);
      rw.insertAfterProducer(t, [cast(t, half, DT.FLOAT16)]);
      for (const u of toFp16) rw.renameInput(u.node, u.slot, half);
      fp16Name.set(t, half);
    }
  }
  if (clamped) notes.push(`${clamped} weight value(s) beyond the float16 range were clamped to ±65504`);

  const layers: LayerMap[] = [];
  const floatLayers: string[] = [];
  nodes.forEach((n, i) => {
    const name = layerName(n, i);
    const touchesFloat = [...n.inputs, ...n.outputs].some(isFloat);
    if (!converted.has(i)) {
      if (touchesFloat && n.opType !== 'Constant') floatLayers.push(name);
      return;
    }
    if (!SENSITIVE_OPS.has(n.opType)) return;
    const out = n.outputs.find(isFloat);
    if (!out) return;
    const inputs = n.inputs.filter((x) => isFloat(x) && !facts.initializers.has(x) && !facts.constantNodes.has(x));
    const weightElements = n.inputs.filter((x) => facts.initializers.get(x)?.dataType === DT.FLOAT).reduce((a, x) => a + facts.initializers.get(x)!.dims.reduce((p, d) => p * d, 1), 0);
    layers.push({
      name,
      op: n.opType,
      inputs: inputs.map((x) => ({ original: x, compressed: fp16Name.get(x) ?? x })),
      output: { original: out, compressed: out },
      ...(weightElements ? { weights: { dtype: 'FLOAT16', bytes: weightElements * 2 } } : {}),
    });
  });
  const blocked = [...new Set(floatLayers.map((l) => nodes.find((n, i) => layerName(n, i) === l)?.opType))].filter(Boolean);
  if (floatLayers.length) notes.push(`${floatLayers.length} node(s) stay float32 with Casts around them (${blocked.join(', ')})${keepFloat.size ? `, ${keepFloat.size} of them by request` : ''}`);
  rw.apply();
  const halfTransposes = [...converted].filter((i) => nodes[i].opType === 'Transpose').length;
  return { layers, floatLayers, notes, ...(halfTransposes ? { halfTransposes } : {}) };
}
