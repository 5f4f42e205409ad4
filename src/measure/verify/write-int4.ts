/**
 * INT4 weight-only for MatMul / Gemm-heavy models, in the form onnxruntime's MatMulNBits quantizer
 * (matmul_nbits_quantizer) writes: each MatMul with a constant [K, N] weight becomes com.microsoft MatMulNBits
 * (bits = 4, block_size along K, asymmetric per-block scale and 4-bit zero point, two values per byte); a Gemm
 * with a constant weight (transA = 0, alpha = 1) becomes MatMulNBits with its bias (times beta) as the bias input.
 * Activations stay float. The ai.onnx opset is not changed (DequantizeLinear with int4 blocks would need opset 21,
 * which changes the meaning of other nodes); only the com.microsoft domain is imported.
 * Convolutions and weights with K < 16 stay float (listed as float layers).
 */
import { attrInt, DT, ensureOpset, floatTensor, getAttr, makeNode, makeTensor } from './onnx-file';
import { constantTensor, layerName } from './graph-facts';
import { GraphRewrite } from './rewrite';
import { floatValues } from './tensor-values';
import { quantizeBlocks4 } from './quant-math';
import { isDefaultDomain, WEIGHT_OPS, type LayerMap, type WriterInput, type WriterOutput } from './compress-types';

export const DEFAULT_BLOCK_SIZE = 32;

export function writeInt4(inp: WriterInput): WriterOutput {
  const { model, facts, dtypes, keepFloat } = inp;
  const blockSize = inp.blockSize ?? DEFAULT_BLOCK_SIZE;
  const nodes = model.graph.nodes;
  const rw = new GraphRewrite(model, facts);
  const notes: string[] = [];
  const layers: LayerMap[] = [];
  const floatLayers: string[] = [];
  const why = new Map<string, number>();

  nodes.forEach((n, i) => {
    if (!WEIGHT_OPS.has(n.opType) || !isDefaultDomain(n.domain)) return;
    const name = layerName(n, i);
    const w = constantTensor(model, facts, n.inputs[1]);
    if (!w) return;
    const transB = getAttr(n, 'transB')?.i ?? 0;
    const K = w.dims.length === 2 ? (n.opType === 'Gemm' && transB ? w.dims[1] : w.dims[0]) : 0;
    const problem =
      keepFloat.has(name) ? 'kept in float by request'
      : n.opType === 'Conv' || n.opType === 'ConvTranspose' ? 'convolutions are not weight-only quantized'
      : w.dataType !== DT.FLOAT ? 'weight not float32'
      : w.dims.length !== 2 ? 'weight not 2-D'
      : dtypes.get(n.inputs[0]) !== 'float32' ? 'input not float32'
      : K < 16 ? 'K < 16'
      : n.opType === 'Gemm' && ((getAttr(n, 'transA')?.i ?? 0) !== 0 || (getAttr(n, 'alpha')?.f ?? 1) !== 1) ? 'Gemm with transA or alpha'
      : null;
    if (problem) {
      floatLayers.push(name);
      why.set(problem, (why.get(problem) ?? 0) + 1);
      return;
    }
    const values = floatValues(w, model.file);
    const [d0, d1] = w.dims;
    // at(n, k): MatMul B is [K, N]; Gemm with transB stores [N, K].
    const N = n.opType === 'Gemm' && transB ? d0 : d1;
    const at = n.opType === 'Gemm' && transB ? (c: number, k: number) => values[c * K + k] : (c: number, k: number) => values[k * N + c];
    const q = quantizeBlocks4(at, N, K, blockSize);
    const base = n.inputs[1];
    const qb = rw.addInitializer(makeTensor(rw.names.make(`${base}_Q4`), DT.UINT8, [N, q.blocks, blockSize / 2], Buffer.from(q.packed.buffer)));
    const sc = rw.addInitializer(floatTensor(rw.names.make(`${base}_scales`), [N * q.blocks], q.scales));
    const zp = rw.addInitializer(makeTensor(rw.names.make(`${base}_zero_points`), DT.UINT8, [q.zeroPoints.length], Buffer.from(q.zeroPoints.buffer)));
    rw.dropIfUnused(base);
    const inputs = [n.inputs[0], qb, sc, zp];
    if (n.opType === 'Gemm' && n.inputs[2]) {
      const beta = getAttr(n, 'beta')?.f ?? 1;
      const c = constantTensor(model, facts, n.inputs[2]);
      if (c && c.dataType === DT.FLOAT && c.dims.length === 1 && c.dims[0] === N) {
        const bias = beta === 1 ? n.inputs[2] : rw.addInitializer(floatTensor(rw.names.make(`${n.inputs[2]}_beta`), [N], floatValues(c, model.file).map((v) => v * beta)));
        if (beta !== 1) rw.dropIfUnused(n.inputs[2]);
        inputs.push('', bias);
      } else {
        // A bias MatMulNBits cannot take (broadcast shape, activation): added after, in float.
        const mm = rw.names.make(`${n.outputs[0]}_matmul`);
        const betaName = beta === 1 ? undefined : rw.addInitializer(floatTensor(rw.names.make(`${name}_beta`), [], [beta]));
        const scaled = betaName ? rw.names.make(`${n.inputs[2]}_beta`) : n.inputs[2];
        rw.replaceNode(i, [
          makeNode('MatMulNBits', inputs, [mm], rw.names.make(`${name}_Q4`), quantAttrs(K, N, blockSize), 'com.microsoft'),
          ...(betaName ? [makeNode('Mul', [n.inputs[2], betaName], [scaled], rw.names.make(`${name}_beta_mul`))] : []),
          makeNode('Add', [mm, scaled], [n.outputs[0]], rw.names.make(`${name}_bias_add`)),
        ]);
        layers.push({ name, op: n.opType, inputs: [{ original: n.inputs[0], compressed: n.inputs[0] }], output: { original: n.outputs[0], compressed: n.outputs[0] }, weights: { dtype: 'INT4 (MatMulNBits)', bytes: q.packed.length } });
        return;
      }
    }
    rw.replaceNode(i, [makeNode('MatMulNBits', inputs, [n.outputs[0]], rw.names.make(`${name}_Q4`), quantAttrs(K, N, blockSize), 'com.microsoft')]);
    layers.push({ name, op: n.opType, inputs: [{ original: n.inputs[0], compressed: n.inputs[0] }], output: { original: n.outputs[0], compressed: n.outputs[0] }, weights: { dtype: 'INT4 (MatMulNBits)', bytes: q.packed.length } });
  });
  if (layers.length) {
    ensureOpset(model, 'com.microsoft', 1);
    notes.push(`${layers.length} MatMul/Gemm weight(s) as 4-bit blocks of ${blockSize} along K (com.microsoft MatMulNBits, asymmetric with zero points)`);
  }
  for (const [problem, count] of why) notes.push(`${count} layer(s) stay float: ${problem}`);
  rw.apply();
  return { layers, floatLayers, notes };
}

function quantAttrs(K: number, N: number, blockSize: number) {
  return [attrInt('K', K), attrInt('N', N), attrInt('bits', 4), attrInt('block_size', blockSize)];
}
