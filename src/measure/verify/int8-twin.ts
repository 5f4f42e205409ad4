/**
 * The unsigned twin of a static INT8 model in QDQ form: every int8 tensor of its QuantizeLinear / DequantizeLinear
 * pairs (weights, zero points, and so the activations between a QuantizeLinear and its DequantizeLinear) moved to
 * uint8 by adding 128, zero points with them. DequantizeLinear then gives the same floats ((q + 128) - (z + 128) = q - z)
 * and QuantizeLinear the same levels shifted by 128 (its clamp moves with them): the same model, integer for integer.
 *
 * Why: onnxruntime fuses DequantizeLinear → op → QuantizeLinear into int8 kernels. On x86 CPUs without VNNI its
 * uint8 x int8 kernels multiply with VPMADDUBSW, whose 16-bit pair sums saturate, so the file as onnxruntime runs it
 * there may compute something other than the model (onnxruntime's quantization docs; reduce_range or U8U8 avoid it).
 * Its uint8 x uint8 kernels widen both operands to 16 bits and accumulate exactly in int32, as int8 kernels on ARM, on
 * VNNI and on NPUs do. The twin therefore computes the model's integer arithmetic (exact int32 accumulation, one
 * requantisation per fused op) at the speed of int8 kernels, where the QDQ file with fusion off (QuantizeLinear and
 * DequantizeLinear computed in float between float ops) takes about twice the time of the float model.
 */
import { BufferSource, ProtoReader } from '../../analyzers/io/protobuf';
import { DT, makeTensor, retypeValueInfo, writeOnnxModel, type OnnxModel, type OnnxTensor } from './onnx-file';
import { isDefaultDomain } from './compress-types';

/** QuantizeLinear / DequantizeLinear of ai.onnx or com.microsoft (models below opset 13 use the latter). */
const isQdq = (op: string, domain: string): 'Q' | 'DQ' | null =>
  isDefaultDomain(domain) || domain === 'com.microsoft' ? (op === 'QuantizeLinear' ? 'Q' : op === 'DequantizeLinear' ? 'DQ' : null) : null;

/** An int8 initializer's values (raw_data or int32_data), or null when they are not stored inline. */
function int8Values(t: OnnxTensor): Int8Array | null {
  if (t.external) return null;
  const n = t.dims.reduce((a, b) => a * b, 1);
  const r = new ProtoReader(new BufferSource('tensor', t.payload));
  const typed: number[] = [];
  for (const f of r.fields(r.root(), 'tensor')) {
    if (f.field === 9) {
      const raw = r.bytes(f, 'raw_data', Number.MAX_SAFE_INTEGER);
      return raw.length === n ? new Int8Array(raw.buffer, raw.byteOffset, raw.length) : null;
    }
    if (f.field === 5) r.ints(f, typed, n, 'int32_data');
  }
  return typed.length === n ? Int8Array.from(typed) : null;
}

/**
 * The twin's bytes, or null when an int8 tensor cannot move: read by an op other than QuantizeLinear /
 * DequantizeLinear (or not as their data or zero point), a graph input or output, a model with subgraphs, a
 * DequantizeLinear whose input and zero point would not move together, data stored outside the file. `model` (the
 * int8 file as read) is rewritten in place only when there is a twin.
 */
export function unsignedTwin(model: OnnxModel): Buffer | null {
  const g = model.graph;
  const int8 = new Map<string, number>();
  g.initializers.forEach((t, i) => t.dataType === DT.INT8 && int8.set(t.name, i));
  // Subgraphs could read any tensor; graph inputs and outputs keep their types.
  if (!int8.size || g.nodes.some((n) => n.attrs.some((a) => a.graphs.length))) return null;
  const moves = (zp: string | undefined): boolean => !!zp && int8.has(zp);
  const movedOutputs = new Set(g.nodes.filter((n) => isQdq(n.opType, n.domain) === 'Q' && moves(n.inputs[2])).map((n) => n.outputs[0]));
  const isInt8 = (x: string): boolean => int8.has(x) || movedOutputs.has(x);
  for (const n of g.nodes) {
    const kind = isQdq(n.opType, n.domain);
    for (const [slot, x] of n.inputs.entries()) {
      if (!isInt8(x)) continue;
      const allowed = slot === 2 ? kind !== null && int8.has(x) : slot === 0 && kind === 'DQ';
      if (!allowed) return null;
    }
    // A DequantizeLinear's input moves with its zero point.
    if (kind === 'DQ' && moves(n.inputs[2]) !== isInt8(n.inputs[0])) return null;
  }
  if ([...g.inputs, ...g.outputs].some((v) => isInt8(v.name))) return null;
  const values = [...int8].map(([name, i]) => ({ name, i, v: int8Values(g.initializers[i]) }));
  if (values.some((x) => !x.v)) return null;
  for (const { name, i, v } of values) {
    const u = Buffer.alloc(v!.length);
    for (let k = 0; k < v!.length; k++) u[k] = v![k] + 128;
    g.initializers[i] = makeTensor(name, DT.UINT8, g.initializers[i].dims, u);
  }
  g.valueInfo = g.valueInfo.map((v) => (movedOutputs.has(v.name) && v.elemType === DT.INT8 ? retypeValueInfo(v, { elemType: DT.UINT8 }) : v));
  return writeOnnxModel(model);
}
