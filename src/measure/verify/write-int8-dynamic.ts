/**
 * Dynamic INT8, as onnxruntime.quantization.quantize_dynamic writes it: weights stored as int8 (symmetric,
 * per tensor, zero point 0), activations quantized at run time to uint8 by DynamicQuantizeLinear, then
 *   MatMul → MatMulInteger(x_q, W_q, x_zp, W_zp) → Cast(float) → Mul(x_scale · W_scale)
 *   Conv   → ConvInteger(...)                 → Cast(float) → Mul(x_scale · W_scale) [→ Add(bias)]
 * which onnxruntime fuses into DynamicQuantizeMatMul / ConvInteger kernels. quantize_dynamic leaves Gemm in
 * float; here a Gemm with a constant weight (transA = 0, alpha = 1) becomes the MatMulInteger form plus its bias,
 * so MLP classifiers (Gemm-only) are quantized too.
 *
 * The `reference` form holds the same quantized weights and run-time quantization, but computes in float
 * (DequantizeLinear → MatMul / Conv): the exact result of the integer arithmetic, which the measurement compares
 * against, because onnxruntime's u8 x s8 kernels on x86 CPUs without VNNI can saturate (see run.ts).
 */
import { attrInt, DT, floatTensor, getAttr, makeNode, makeTensor, type OnnxNode } from './onnx-file';
import { constantTensor, layerName } from './graph-facts';
import { GraphRewrite } from './rewrite';
import { floatValues } from './tensor-values';
import { quantizeSymmetricInt8 } from './quant-math';
import { isDefaultDomain, WEIGHT_OPS, type LayerMap, type WriterInput, type WriterOutput } from './compress-types';

const CONV_ATTRS = new Set(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);

export function writeInt8Dynamic(inp: WriterInput): WriterOutput {
  const { model, facts, dtypes, keepFloat } = inp;
  const reference = inp.form === 'reference';
  const nodes = model.graph.nodes;
  const rw = new GraphRewrite(model, facts);
  const notes: string[] = [];
  const layers: LayerMap[] = [];
  const floatLayers: string[] = [];
  const dynamicQ = new Map<string, { q: string; scale: string; zp: string }>();
  let gemms = 0;

  const quantizeActivation = (x: string): { q: string; scale: string; zp: string } => {
    let d = dynamicQ.get(x);
    if (!d) {
      d = { q: rw.names.make(`${x}_quantized`), scale: rw.names.make(`${x}_scale`), zp: rw.names.make(`${x}_zero_point`) };
      rw.insertAfterProducer(x, [makeNode('DynamicQuantizeLinear', [x], [d.q, d.scale, d.zp], rw.names.make(`${x}_QuantizeLinear`))]);
      dynamicQ.set(x, d);
    }
    return d;
  };

  /** A Conv's bias or a Gemm's C (times beta), added in float after the product; undefined without one. */
  const biasOf = (n: OnnxNode, base: string, replacement: OnnxNode[]): string | undefined => {
    const biasName = n.opType === 'MatMul' ? undefined : n.inputs[2];
    if (!biasName) return undefined;
    const beta = n.opType === 'Gemm' ? getAttr(n, 'beta')?.f ?? 1 : 1;
    const b = constantTensor(model, facts, biasName);
    if (n.opType === 'Conv' && b) {
      // [C] → [1, C, 1, ...]: the weight's rank is the activations' rank.
      const rank = constantTensor(model, facts, n.inputs[1])!.dims.length;
      rw.dropIfUnused(biasName);
      return rw.addInitializer(floatTensor(rw.names.make(`${biasName}_reshaped`), [1, b.dims[0], ...Array(rank - 2).fill(1)], floatValues(b, model.file)));
    }
    if (beta === 1) return biasName;
    if (b) {
      rw.dropIfUnused(biasName);
      return rw.addInitializer(floatTensor(rw.names.make(`${biasName}_beta`), b.dims, floatValues(b, model.file).map((v) => v * beta)));
    }
    const scaled = rw.names.make(`${biasName}_beta`);
    const betaT = rw.addInitializer(floatTensor(rw.names.make(`${base}_beta`), [], [beta]));
    replacement.push(makeNode('Mul', [biasName, betaT], [scaled], rw.names.make(`${base}_beta_mul`)));
    return scaled;
  };
  const dequantized = new Map<string, string>();
  const dequantizedActivation = (x: string, a: { q: string; scale: string; zp: string }): string => {
    let d = dequantized.get(x);
    if (!d) {
      d = rw.names.make(`${x}_dequantized`);
      rw.insertAfterProducer(x, [makeNode('DequantizeLinear', [a.q, a.scale, a.zp], [d], rw.names.make(`${x}_DequantizeLinear`))]);
      dequantized.set(x, d);
    }
    return d;
  };

  nodes.forEach((n, i) => {
    const name = layerName(n, i);
    if (!WEIGHT_OPS.has(n.opType) || !isDefaultDomain(n.domain)) return;
    const x = n.inputs[0];
    const wName = n.inputs[1];
    const w = wName ? constantTensor(model, facts, wName) : undefined;
    if (!w || w.dataType !== DT.FLOAT) return; // not a weight layer (activation x activation MatMul)
    const transA = getAttr(n, 'transA')?.i ?? 0;
    const alpha = getAttr(n, 'alpha')?.f ?? 1;
    const unsupported =
      keepFloat.has(name) ? 'kept in float by request'
      : n.opType === 'ConvTranspose' ? 'ConvTranspose has no integer form'
      : dtypes.get(x) !== 'float32' ? 'its input is not float32'
      : n.opType === 'Gemm' && (transA !== 0 || alpha !== 1 || w.dims.length !== 2) ? 'Gemm with transA or alpha'
      : null;
    if (unsupported) {
      floatLayers.push(name);
      if (!keepFloat.has(name)) notes.push(`${name} (${n.opType}) stays float: ${unsupported}`);
      return;
    }

    // Weight: int8 symmetric per tensor; a Gemm weight is stored as MatMul's [K, N].
    let values = floatValues(w, model.file);
    let dims = w.dims;
    if (n.opType === 'Gemm' && (getAttr(n, 'transB')?.i ?? 0) === 1) {
      const [N, K] = w.dims;
      const t = new Float32Array(values.length);
      for (let r = 0; r < N; r++) for (let c = 0; c < K; c++) t[c * N + r] = values[r * K + c];
      values = t;
      dims = [K, N];
    }
    const { q, scales } = quantizeSymmetricInt8(values, dims, -1);
    const wq = rw.addInitializer(makeTensor(rw.names.make(`${wName}_quantized`), DT.INT8, dims, Buffer.from(q.buffer, q.byteOffset, q.byteLength)));
    const wScale = rw.addInitializer(floatTensor(rw.names.make(`${wName}_scale`), [], scales));
    const wZp = rw.addInitializer(makeTensor(rw.names.make(`${wName}_zero_point`), DT.INT8, [], Buffer.alloc(1)));
    rw.dropIfUnused(wName);

    const a = quantizeActivation(x);
    const out = n.outputs[0];
    const base = n.name || `${n.opType}_${i}`;
    const replacement: OnnxNode[] = [];
    const bias = biasOf(n, base, replacement);
    const product = bias ? rw.names.make(`${out}_scaled`) : out;
    if (reference) {
      // The same quantized values in float arithmetic: what exact integer kernels compute.
      const wDq = rw.names.make(`${wName}_dequantized`);
      rw.insertAtStart([makeNode('DequantizeLinear', [wq, wScale, wZp], [wDq], rw.names.make(`${wName}_DequantizeLinear`))]);
      if (n.opType === 'Conv') replacement.push(makeNode('Conv', [dequantizedActivation(x, a), wDq], [product], rw.names.make(`${base}_reference`), n.attrs.filter((at) => CONV_ATTRS.has(at.name))));
      else replacement.push(makeNode('MatMul', [dequantizedActivation(x, a), wDq], [product], rw.names.make(`${base}_reference`)));
    } else {
      const integer = rw.names.make(`${out}_output_quantized`);
      const asFloat = rw.names.make(`${integer}_cast_output`);
      const scale = rw.names.make(`${base}_scales_mul:0`);
      if (n.opType === 'Conv') {
        replacement.push(makeNode('ConvInteger', [a.q, wq, a.zp, wZp], [integer], rw.names.make(`${base}_quant`), n.attrs.filter((at) => CONV_ATTRS.has(at.name))));
      } else replacement.push(makeNode('MatMulInteger', [a.q, wq, a.zp, wZp], [integer], rw.names.make(`${base}_quant`)));
      replacement.push(makeNode('Cast', [integer], [asFloat], rw.names.make(`${integer}_cast`), [attrInt('to', DT.FLOAT)]));
      replacement.push(makeNode('Mul', [a.scale, wScale], [scale], rw.names.make(`${base}_scales_mul`)));
      replacement.push(makeNode('Mul', [asFloat, scale], [product], rw.names.make(`${base}_output_scale_mul`)));
    }
    if (bias) replacement.push(makeNode('Add', [product, bias], [out], rw.names.make(`${base}_bias_add`)));
    rw.replaceNode(i, replacement);
    if (n.opType === 'Gemm') gemms++;
    layers.push({ name, op: n.opType, inputs: [{ original: x, compressed: x }], output: { original: out, compressed: out }, weights: { dtype: 'INT8', bytes: q.length } });
  });
  if (gemms) notes.push(`${gemms} Gemm layer(s) rewritten as MatMulInteger + bias (quantize_dynamic leaves Gemm in float)`);
  rw.apply();
  return { layers, floatLayers, notes };
}

