/**
 * Static INT8 in QDQ form, as onnxruntime.quantization.quantize_static(quant_format=QDQ, per_channel=True) writes it:
 * - weights of Conv / ConvTranspose / Gemm / MatMul: int8, symmetric, one scale per output channel, zero point 0,
 *   read through DequantizeLinear(axis); biases int32 with scale = input scale × weight scale;
 * - activations read by those layers and by Add, Mul, Concat, pooling, Sigmoid, LeakyRelu and the data-movement ops
 *   (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Resize, Split): QuantizeLinear → DequantizeLinear pairs,
 *   per tensor, uint8 or int8 (asymmetric), with the calibrated ranges; every reader reads the DequantizeLinear output;
 * - a Relu or Clip(0, max) that alone follows a quantized layer is folded into the quantization of that layer's output
 *   (its clamp is exactly what QuantizeLinear does with the activation's range), as ORT's QDQ quantizer does;
 * - graph outputs stay float (a final classifier layer then runs as QGemm / MatMulIntegerToFloat with float output).
 * onnxruntime's CPU provider fuses DequantizeLinear → op → QuantizeLinear into QLinearConv, QGemm, QLinearAdd ...;
 * XNNPACK and QNN take the same QDQ graph (QNN wants uint8 activations, XNNPACK int8 with per-channel weights).
 * Models below ai.onnx opset 13 (no per-channel DequantizeLinear) use com.microsoft's Q/DQ ops, so the default
 * opset stays as it was (raised to 11 first when below: opset-upgrade.ts).
 */
import { attrInt, DT, ensureOpset, floatTensor, getAttr, makeNode, makeTensor, opsetOf } from './onnx-file';
import { constantTensor, layerName } from './graph-facts';
import { GraphRewrite } from './rewrite';
import { floatValues, int64Values } from './tensor-values';
import { activationParams, quantizeBias, quantizeSymmetricInt8, type QType, type ScaleZp } from './quant-math';
import { isDefaultDomain, WEIGHT_OPS, type LayerMap, type WriterInput, type WriterOutput } from './compress-types';

/** Activation-only ops and the inputs of theirs that carry data. */
const ACTIVATION_OPS: Record<string, 'all' | number[]> = {
  Add: 'all', Mul: 'all', Concat: 'all', MaxPool: [0], AveragePool: [0], GlobalAveragePool: [0], Sigmoid: [0], LeakyRelu: [0],
  Reshape: [0], Flatten: [0], Transpose: [0], Squeeze: [0], Unsqueeze: [0], Resize: [0], Split: [0],
};

/** Float32 activations (not constants), and tensors read from inside subgraphs. */
function tensorKinds({ model, facts, dtypes }: Pick<WriterInput, 'model' | 'facts' | 'dtypes'>): { isActivation: (x: string) => boolean; readBySubgraph: (x: string) => boolean } {
  return {
    isActivation: (x) => !!x && dtypes.get(x) === 'float32' && !constantTensor(model, facts, x),
    readBySubgraph: (x) => (facts.consumers.get(x) ?? []).some((u) => u.slot === -1),
  };
}

export interface QdqPlan {
  /** Indices of the nodes to quantize. */
  quantized: Set<number>;
  /** Weight layer index → its weight's name and output-channel axis. */
  weightOf: Map<number, { name: string; axis: number }>;
  /** Relu / Clip node index → the tensor it reads and the tensor it writes (folded away). */
  folded: Map<number, { from: string; to: string }>;
  foldedInto: Map<string, string>;
  /** The activations that get QuantizeLinear → DequantizeLinear (the tensors calibration needs ranges of). */
  toQuantize: Set<string>;
  floatLayers: string[];
  notes: string[];
}

/**
 * What static INT8 will quantize (steps 1-3 of the writer). Without `ranges` it assumes every tensor will have one,
 * which is how calibration learns which tensors it must measure.
 */
export function planQdq(inp: Omit<WriterInput, 'ranges'> & { ranges?: Map<string, [number, number]> }): QdqPlan {
  const { model, facts, dtypes, keepFloat } = inp;
  const hasRange = (t: string): boolean => !inp.ranges || inp.ranges.has(t);
  const nodes = model.graph.nodes;
  const notes: string[] = [];
  const floatLayers: string[] = [];
  const { isActivation, readBySubgraph } = tensorKinds(inp);

  // 1. The nodes to quantize, and the weight of each weight layer.
  const quantized = new Set<number>();
  const weightOf = new Map<number, { name: string; axis: number }>();
  nodes.forEach((n, i) => {
    if (!isDefaultDomain(n.domain)) return;
    const name = layerName(n, i);
    if (WEIGHT_OPS.has(n.opType)) {
      const w = constantTensor(model, facts, n.inputs[1]);
      const why = weightProblem(n.opType, w?.dataType, w?.dims, getAttr(n, 'group')?.i ?? 1, dtypes.get(n.inputs[0]));
      if (w && keepFloat.has(name)) return void floatLayers.push(name);
      if (w && why) {
        floatLayers.push(name);
        notes.push(`${name} (${n.opType}) stays float: ${why}`);
        return;
      }
      if (!w && (keepFloat.has(name) || !isActivation(n.inputs[0]) || !isActivation(n.inputs[1]))) return;
      quantized.add(i);
      if (w) weightOf.set(i, { name: n.inputs[1], axis: weightAxis(n.opType, w.dims.length, getAttr(n, 'transB')?.i ?? 0) });
    } else if (ACTIVATION_OPS[n.opType] && !keepFloat.has(name) && n.outputs.some(isActivation)) quantized.add(i);
  });

  // 2. Relu / Clip(0, max) alone after a quantized layer: folded into the quantization of that layer's output.
  const folded = new Map<number, { from: string; to: string }>();
  const foldedInto = new Map<string, string>();
  nodes.forEach((n, i) => {
    if (!isDefaultDomain(n.domain) || (n.opType !== 'Relu' && n.opType !== 'Clip') || quantized.has(i)) return;
    const c = n.inputs[0];
    const r = n.outputs[0];
    const p = facts.producer.get(c);
    const uses = facts.consumers.get(c) ?? [];
    if (p === undefined || !quantized.has(p) || nodes[p].opType === 'Concat' || uses.length !== 1 || facts.graphOutputs.has(c) || facts.graphOutputs.has(r) || readBySubgraph(r)) return;
    if (n.opType === 'Clip' && clipMin(model, facts, n) !== 0) return;
    if (!hasRange(r) || !isActivation(r)) return;
    folded.set(i, { from: c, to: r });
    foldedInto.set(c, r);
  });

  // 3. The activations to quantize: data inputs and outputs of quantized nodes (a folded output under its Relu's name).
  const toQuantize = new Set<string>();
  for (const i of quantized) {
    const n = nodes[i];
    const data = WEIGHT_OPS.has(n.opType) ? (weightOf.has(i) ? [0] : [0, 1]) : ACTIVATION_OPS[n.opType];
    n.inputs.forEach((x, slot) => {
      if ((data === 'all' || data.includes(slot)) && isActivation(x)) toQuantize.add(x);
    });
    for (const o of n.outputs) {
      if (!isActivation(o)) continue;
      const t = foldedInto.get(o) ?? o;
      const readers = (facts.consumers.get(t) ?? []).filter((u) => u.slot >= 0);
      if (facts.graphOutputs.has(t) && !readers.some((u) => quantized.has(u.node))) continue;
      toQuantize.add(t);
    }
  }
  return { quantized, weightOf, folded, foldedInto, toQuantize, floatLayers, notes };
}

export function writeInt8Qdq(inp: WriterInput): WriterOutput {
  const { model, facts, dtypes, keepFloat } = inp;
  const ranges = inp.ranges ?? new Map<string, [number, number]>();
  const type: QType = inp.activationType ?? 'uint8';
  const nodes = model.graph.nodes;
  const rw = new GraphRewrite(model, facts);
  const plan = planQdq(inp);
  const { quantized, weightOf, folded, foldedInto, toQuantize, floatLayers } = plan;
  const notes = [...plan.notes];
  const domain = (opsetOf(model, '') ?? 1) >= 13 ? '' : 'com.microsoft';
  const { isActivation, readBySubgraph } = tensorKinds(inp);

  const params = new Map<string, ScaleZp>();
  const dq = new Map<string, string>();
  for (const t of toQuantize) {
    const range = ranges.get(t);
    if (!range || readBySubgraph(t)) continue;
    const p = activationParams(range[0], range[1], type);
    params.set(t, p);
    const src = [...folded.values()].find((f) => f.to === t)?.from ?? t;
    const scale = rw.addInitializer(floatTensor(rw.names.make(`${t}_scale`), [], [p.scale]));
    const zp = rw.addInitializer(makeTensor(rw.names.make(`${t}_zero_point`), type === 'uint8' ? DT.UINT8 : DT.INT8, [], Buffer.from([p.zeroPoint & 0xff])));
    const q = rw.names.make(`${t}_QuantizeLinear_Output`);
    const d = rw.names.make(`${t}_DequantizeLinear_Output`);
    rw.insertAfterProducer(src, [
      makeNode('QuantizeLinear', [src, scale, zp], [q], rw.names.make(`${t}_QuantizeLinear`), [], domain),
      makeNode('DequantizeLinear', [q, scale, zp], [d], rw.names.make(`${t}_DequantizeLinear`), [], domain),
    ]);
    dq.set(t, d);
    for (const u of facts.consumers.get(t) ?? []) if (u.slot >= 0) rw.renameInput(u.node, u.slot, d);
  }
  for (const [i, f] of folded) {
    if (dq.has(f.to)) rw.replaceNode(i, []);
    for (const x of nodes[i].inputs.slice(1)) if (dq.has(f.to) && x) rw.dropIfUnused(x);
  }

  // 4. Weights (int8 per channel) and biases (int32), read through DequantizeLinear.
  const weightDq = new Map<string, string>();
  const dequantize = (name: string, qType: number, dims: number[], q: Buffer, scales: Float32Array, axis: number, zpBytes: number): string => {
    const perChannel = scales.length > 1;
    const qn = rw.addInitializer(makeTensor(rw.names.make(`${name}_quantized`), qType, dims, q));
    const sn = rw.addInitializer(floatTensor(rw.names.make(`${name}_scale`), perChannel ? [scales.length] : [], scales));
    const zn = rw.addInitializer(makeTensor(rw.names.make(`${name}_zero_point`), qType, perChannel ? [scales.length] : [], Buffer.alloc(scales.length * zpBytes)));
    const out = rw.names.make(`${name}_DequantizeLinear_Output`);
    rw.insertAtStart([makeNode('DequantizeLinear', [qn, sn, zn], [out], rw.names.make(`${name}_DequantizeLinear`), perChannel ? [attrInt('axis', axis)] : [], domain)]);
    return out;
  };
  const weightScales = new Map<string, Float32Array>();
  const layers: LayerMap[] = [];
  for (const i of [...quantized].sort((a, b) => a - b)) {
    const n = nodes[i];
    const w = weightOf.get(i);
    if (w) {
      const key = `${w.name}|${w.axis}`;
      let out = weightDq.get(key);
      const t = constantTensor(model, facts, w.name)!;
      if (!out) {
        const { q, scales } = quantizeSymmetricInt8(floatValues(t, model.file), t.dims, t.dims.length > 1 ? w.axis : -1);
        out = dequantize(w.name, DT.INT8, t.dims, Buffer.from(q.buffer, q.byteOffset, q.byteLength), scales, w.axis, 1);
        weightDq.set(key, out);
        weightScales.set(key, scales);
        rw.dropIfUnused(w.name);
      }
      rw.renameInput(i, 1, out);
      const bias = biasInput(n, model, facts);
      const x = params.get(n.inputs[0]);
      if (bias && x) {
        const b = floatValues(constantTensor(model, facts, bias)!, model.file);
        const { q, scales } = quantizeBias(b, x.scale, weightScales.get(key)!);
        rw.renameInput(i, 2, dequantize(bias, DT.INT32, [b.length], Buffer.from(q.buffer, q.byteOffset, q.byteLength), scales, 0, 4));
        rw.dropIfUnused(bias);
      }
    }
    if (!WEIGHT_OPS.has(n.opType)) continue;
    const out = foldedInto.get(n.outputs[0]) ?? n.outputs[0];
    const inputs = (w ? [n.inputs[0]] : n.inputs.slice(0, 2)).filter(isActivation);
    const wt = w ? constantTensor(model, facts, w.name) : undefined;
    layers.push({
      name: layerName(n, i),
      op: n.opType,
      inputs: inputs.map((x) => ({ original: x, compressed: dq.get(x) ?? x })),
      output: { original: out, compressed: dq.get(out) ?? out },
      ...(wt ? { weights: { dtype: 'INT8', bytes: wt.dims.reduce((a, d) => a * d, 1) } } : {}),
    });
  }
  if (domain) {
    ensureOpset(model, 'com.microsoft', 1);
    notes.push(`the model's ai.onnx opset is ${opsetOf(model, '') ?? 'missing'} (< 13, no per-channel DequantizeLinear): QuantizeLinear / DequantizeLinear come from the com.microsoft domain`);
  }
  notes.push(`${weightDq.size} weight tensor(s) int8 per channel (symmetric), ${dq.size} activation(s) ${type} per tensor${folded.size ? `, ${[...folded.keys()].filter((i) => dq.has(folded.get(i)!.to)).length} Relu/Clip folded into the quantization range` : ''}`);
  rw.apply();
  return { layers, floatLayers, notes };
}

function weightProblem(op: string, dataType: number | undefined, dims: number[] | undefined, group: number, inputType: string | undefined): string | null {
  if (dataType === undefined || !dims) return null;
  if (dataType !== DT.FLOAT) return `its weight is not float32 (type ${dataType})`;
  if (inputType !== 'float32') return 'its input is not float32';
  if (op === 'ConvTranspose' && group !== 1) return 'grouped ConvTranspose weights have no per-channel form';
  if (op === 'Gemm' && dims.length !== 2) return 'a Gemm weight that is not 2-D';
  return null;
}

/** The output-channel axis of a weight: Conv [M, C, k..] → 0; ConvTranspose [C, M, k..] → 1; Gemm B [K, N] → 1 (transB: [N, K] → 0); MatMul [.., K, N] → last. */
function weightAxis(op: string, rank: number, transB: number): number {
  if (op === 'Conv') return 0;
  if (op === 'ConvTranspose') return 1;
  if (op === 'Gemm') return transB ? 0 : 1;
  return rank - 1;
}

/** A constant 1-D bias that QLinearConv / QGemm can take as int32 (Gemm: alpha = beta = 1 and C of shape [N]). */
function biasInput(n: { opType: string; inputs: string[]; attrs: { name: string; f?: number }[] }, model: WriterInput['model'], facts: WriterInput['facts']): string | undefined {
  const b = n.inputs[2];
  if (!b) return undefined;
  const t = constantTensor(model, facts, b);
  if (!t || t.dataType !== DT.FLOAT || t.dims.length !== 1) return undefined;
  if (n.opType === 'Gemm' && ((n.attrs.find((a) => a.name === 'alpha')?.f ?? 1) !== 1 || (n.attrs.find((a) => a.name === 'beta')?.f ?? 1) !== 1)) return undefined;
  return n.opType === 'MatMul' ? undefined : b;
}

/** Clip's lower bound: the `min` input (opset 11+) or attribute; undefined when it is not a known constant. */
export function clipMin(model: WriterInput['model'], facts: WriterInput['facts'], n: { inputs: string[]; attrs: { name: string; f?: number }[] }): number | undefined {
  const attr = n.attrs.find((a) => a.name === 'min');
  if (attr) return attr.f;
  if (!n.inputs[1]) return undefined;
  const t = constantTensor(model, facts, n.inputs[1]);
  if (!t || t.dims.reduce((a, b) => a * b, 1) !== 1) return undefined;
  if (t.dataType === DT.FLOAT) return floatValues(t, model.file)[0];
  return int64Values(t)?.[0];
}

