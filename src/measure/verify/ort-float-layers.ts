/**
 * Float layers of a QDQ file that onnxruntime quantizes anyway. Its WeightBiasQuantization optimiser (1.20 and later,
 * on at the default optimisation whenever QDQ handling is) takes a Conv / ConvTranspose / Gemm with a float32 weight
 * initializer that reads a per-tensor DequantizeLinear and writes, through nothing but single-consumer Relu / Clip, a
 * QuantizeLinear, and quantizes it when the session loads — weight to int8 per tensor (symmetric), bias to int32 — so
 * that it fuses into an int8 kernel. A layer static INT8 keeps in float between quantized neighbours (keep-float, or
 * a layer it could not quantize) is such a layer: in onnxruntime it runs in int8 unless that optimiser is left out
 * (onnxruntime/core/optimizer/qdq_transformer/weight_bias_quantization.cc).
 */
import { DT, type OnnxModel } from './onnx-file';
import { constantTensor, graphFacts, layerName } from './graph-facts';
import { isDefaultDomain } from './compress-types';

export const WEIGHT_BIAS_QUANTIZATION = 'WeightBiasQuantization';

/** The layers (analyzer names) onnxruntime's WeightBiasQuantization would quantize. */
export function layersOrtQuantizes(model: OnnxModel): string[] {
  const facts = graphFacts(model);
  const nodes = model.graph.nodes;
  const producer = (x: string) => (facts.producer.has(x) ? nodes[facts.producer.get(x)!] : undefined);
  const consumers = (x: string) => (facts.consumers.get(x) ?? []).filter((u) => u.slot >= 0).map((u) => nodes[u.node]);
  /** The output reaches a QuantizeLinear through single-consumer Relu / Clip only. */
  const leadsToQuantize = (x: string): boolean => {
    for (let depth = 0; depth < nodes.length; depth++) {
      const next = consumers(x);
      if (next.length !== 1 || (!isDefaultDomain(next[0].domain) && next[0].domain !== 'com.microsoft')) return false;
      if (next[0].opType === 'QuantizeLinear') return true;
      if ((next[0].opType !== 'Relu' && next[0].opType !== 'Clip') || next[0].outputs.length !== 1) return false;
      x = next[0].outputs[0];
    }
    return false;
  };
  const out: string[] = [];
  nodes.forEach((n, i) => {
    if (!isDefaultDomain(n.domain) || !['Conv', 'ConvTranspose', 'Gemm'].includes(n.opType) || n.outputs.length !== 1) return;
    const dq = producer(n.inputs[0]);
    if (!dq || dq.opType !== 'DequantizeLinear') return;
    const scale = dq.inputs[1] ? constantTensor(model, facts, dq.inputs[1]) : undefined;
    if (!scale || scale.dims.reduce((a, b) => a * b, 1) !== 1) return;
    const weight = constantTensor(model, facts, n.inputs[1]);
    if (!weight || weight.dataType !== DT.FLOAT) return;
    if (n.inputs[2] && !constantTensor(model, facts, n.inputs[2])) return;
    if (leadsToQuantize(n.outputs[0])) out.push(layerName(n, i));
  });
  return out;
}

/** What the report says about those layers (`names`: at least one). */
export function ortQuantizesNote(names: string[]): string {
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
  return (
    `onnxruntime quantizes ${names.length} layer(s) this file keeps in float (${shown}) when it loads the file at its default optimisation: its ${WEIGHT_BIAS_QUANTIZATION} optimiser` +
    ' turns a float Conv / ConvTranspose / Gemm between DequantizeLinear and QuantizeLinear into int8 (weight per tensor). The latency above is timed that way; the accuracy and fidelity keep them in float,' +
    ` as the file says. To run them in float in onnxruntime, set the session config entry "optimization.disable_specified_optimizers" to "${WEIGHT_BIAS_QUANTIZATION}"`
  );
}
