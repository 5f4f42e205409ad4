/**
 * Quantisation parameters of ONNX quantised graphs: QuantizeLinear / DequantizeLinear (QDQ), QLinear*
 * operators, ConvInteger / MatMulInteger, DynamicQuantizeLinear and com.microsoft MatMulNBits. Scales and
 * zero points are recorded on the quantised tensors when they are constant scalars or vectors.
 */
import { own } from '../safe-record';
import type { ModelGraph, QuantParams, Subgraph, TensorInfo } from '../graph';
import { allSubgraphs } from '../graph';
import { lookupTensor, MAX_QUANT_ELEMENTS } from './values';

type ValuesOf = (t: TensorInfo, max: number) => number[] | undefined;

/** [quantised tensor slot, scale slot, zero-point slot]; slots are input indices, or 'out:N' for outputs. */
type Triple = [number | `out:${number}`, number | null, number | null, number?];

const RULES: Record<string, Triple[]> = {
  QuantizeLinear: [['out:0', 1, 2]],
  DequantizeLinear: [[0, 1, 2]],
  QLinearConv: [[0, 1, 2], [3, 4, 5, 0], ['out:0', 6, 7]],
  QLinearMatMul: [[0, 1, 2], [3, 4, 5, 1], ['out:0', 6, 7]],
  'com.microsoft:QLinearConv': [[0, 1, 2], [3, 4, 5, 0], ['out:0', 6, 7]],
  'com.microsoft:QLinearAdd': [[0, 1, 2], [3, 4, 5], ['out:0', 6, 7]],
  'com.microsoft:QLinearMul': [[0, 1, 2], [3, 4, 5], ['out:0', 6, 7]],
  'com.microsoft:QLinearSigmoid': [[0, 1, 2], ['out:0', 3, 4]],
  'com.microsoft:QLinearLeakyRelu': [[0, 1, 2], ['out:0', 3, 4]],
  'com.microsoft:QLinearAveragePool': [[0, 1, 2], ['out:0', 3, 4]],
  'com.microsoft:QLinearGlobalAveragePool': [[0, 1, 2], ['out:0', 3, 4]],
  'com.microsoft:QLinearSoftmax': [[0, 1, 2], ['out:0', 3, 4]],
  'com.microsoft:QLinearConcat': [['out:0', 0, 1]],
  'com.microsoft:QuantizeLinear': [['out:0', 1, 2]],
  'com.microsoft:DequantizeLinear': [[0, 1, 2]],
  ConvInteger: [[0, null, 2], [1, null, 3, 0]],
  MatMulInteger: [[0, null, 2], [1, null, 3, 1]],
};

export const QUANTIZED_OPS = new Set([
  ...Object.keys(RULES),
  'DynamicQuantizeLinear',
  'com.microsoft:MatMulNBits',
  'com.microsoft:DynamicQuantizeMatMul',
  'com.microsoft:MatMulIntegerToFloat',
  'com.microsoft:QAttention',
  'com.microsoft:DynamicQuantizeLSTM',
  'com.microsoft:QGemm',
]);

function setQuant(t: TensorInfo | undefined, q: QuantParams): void {
  if (!t || t.quant) return;
  t.quant = q;
}

function quantFor(g: ModelGraph, sg: Subgraph, values: ValuesOf, scaleName: string | undefined, zpName: string | undefined, axis: number | undefined): QuantParams {
  const q: QuantParams = {};
  const scaleT = scaleName ? lookupTensor(g, sg, scaleName) : undefined;
  const zpT = zpName ? lookupTensor(g, sg, zpName) : undefined;
  const scale = scaleT?.isConstant ? values(scaleT, MAX_QUANT_ELEMENTS) : undefined;
  const zp = zpT?.isConstant ? values(zpT, MAX_QUANT_ELEMENTS) : undefined;
  if (scale) q.scale = scale;
  if (zp) q.zeroPoint = zp;
  const n = scale?.length ?? zp?.length ?? 1;
  if (n > 1 && axis !== undefined) q.axis = axis;
  if (scaleName && !scale) q.scheme = 'affine (scale not a constant)';
  if (!scaleName) q.scheme = 'zero-point only (integer op; scale applied outside)';
  return q;
}

export function attachQuantParams(g: ModelGraph, values: ValuesOf): void {
  for (const sg of allSubgraphs(g)) {
    for (const node of sg.nodes) {
      const rules = own(RULES, node.op); // op types come from the file
      const name = (slot: number | `out:${number}`) => (typeof slot === 'number' ? node.inputs[slot] : node.outputs[Number(slot.slice(4))]);
      if (rules) {
        for (const [target, scaleSlot, zpSlot, defaultAxis] of rules) {
          const tName = name(target);
          if (!tName) continue;
          const attrAxis = typeof node.attrs.axis === 'number' ? node.attrs.axis : undefined;
          const axis = /(Quantize|Dequantize)Linear$/.test(node.op) ? attrAxis ?? 1 : defaultAxis;
          const scaleName = scaleSlot === null ? undefined : node.inputs[scaleSlot] || undefined;
          const zpName = zpSlot === null ? undefined : node.inputs[zpSlot] || undefined;
          if (scaleSlot !== null && !scaleName) continue;
          setQuant(lookupTensor(g, sg, tName), quantFor(g, sg, values, scaleName, zpName, axis));
        }
      } else if (node.op === 'DynamicQuantizeLinear') {
        setQuant(lookupTensor(g, sg, node.outputs[0] ?? ''), { scheme: 'dynamic (scale computed at run time)' });
      } else if (node.op === 'com.microsoft:MatMulNBits') {
        const bits = typeof node.attrs.bits === 'number' ? node.attrs.bits : 4;
        const block = typeof node.attrs.block_size === 'number' ? node.attrs.block_size : undefined;
        setQuant(lookupTensor(g, sg, node.inputs[1] ?? ''), { scheme: `MatMulNBits int${bits}${block ? ` block ${block}` : ''}` });
      }
    }
  }
}
