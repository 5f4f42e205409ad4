/**
 * A safetensors file for tests: the header for the given tensors and a data section that is a sparse hole (the
 * analyzers never read weights to count them, so a 600 M-parameter file costs nothing on disk).
 */
import * as fs from 'fs';

export type TensorList = [name: string, shape: number[]][];

/** Writes the file; returns the parameter count. */
export function writeSafetensors(file: string, tensors: TensorList, dtype: 'F32' | 'F16' = 'F16'): number {
  const bytes = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = {};
  let off = 0;
  let params = 0;
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype, shape, data_offsets: [off, off + bytes * n] };
    off += bytes * n;
    params += n;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json]));
  fs.truncateSync(file, 8 + json.length + off);
  return params;
}

/** HF ViT naming: patch embedding, `layers` encoder blocks of width d, classifier head — weights, not a language model. */
export function vitTensors(layers: number, d: number): TensorList {
  const t: TensorList = [['vit.embeddings.patch_embeddings.projection.weight', [d, 3, 16, 16]], ['vit.embeddings.position_embeddings', [1, 197, d]]];
  for (let i = 0; i < layers; i++) {
    const p = `vit.encoder.layer.${i}`;
    for (const n of ['query', 'key', 'value']) t.push([`${p}.attention.attention.${n}.weight`, [d, d]]);
    t.push([`${p}.attention.output.dense.weight`, [d, d]], [`${p}.intermediate.dense.weight`, [4 * d, d]], [`${p}.output.dense.weight`, [d, 4 * d]]);
  }
  t.push(['classifier.weight', [1000, d]]);
  return t;
}
