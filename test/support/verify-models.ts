/**
 * Models the verify tests build, each for an edge of the rewriters: a MatMul stack (int4, dynamic), a graph whose
 * If branches read a main-graph tensor (fp16 must keep it float32), Conv weights held by Constant nodes, an opset-11
 * Conv net (QDQ through com.microsoft), a model with metadata and an external-data weight; plus the facts a writer
 * needs from a real onnxruntime run (element types and ranges of every tensor), and python3-onnx's view of a file.
 */
import * as fs from 'fs';
import { execFileSync } from 'child_process';
import { OnnxGraphBuilder, encodeModel, floatTensor, attr, type ModelSpec } from './modelgen/onnx-builder';
import { computedTensors, withOutputs } from '../../src/measure/verify/compress';
import { TensorRange, calibratedRange } from '../../src/measure/verify/calibrate';
import { seededRandom } from '../../src/measure/verify/data/dataset';

type Ort = typeof import('onnxruntime-node');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const ort: Ort = require('onnxruntime-node');

export function matmulStack(): ModelSpec {
  const b = new OnnxGraphBuilder('mlp_seq', { seed: 3 });
  b.input('x', [1, 8, 64]);
  let h = b.matmul('x', 48, { name: 'proj1' });
  h = b.relu(b.add(h, b.weight('proj1.bias', [48])));
  h = b.matmul(h, 16, { name: 'proj2' });
  b.output(h);
  return { ...b.model({ opset: 13 }), metadataProps: { author: 'verify-tests', license: 'MIT' }, docString: 'a MatMul stack' };
}

/** Conv → (If: then Relu(conv) / else Sigmoid(conv)) with the condition a graph input. */
export function ifModel(): ModelSpec {
  const b = new OnnxGraphBuilder('if_graph', { seed: 5 });
  b.input('x', [1, 3, 8, 8]);
  b.input('cond', [], 'BOOL');
  const c = b.conv('x', 4, { kernel: 3, pad: 1, name: 'conv' });
  const branch = (op: string) => ({
    name: `${op}_branch`,
    nodes: [{ opType: op, inputs: [c], outputs: [`${op}_out`], name: `${op}_node` }],
    inputs: [],
    outputs: [{ name: `${op}_out`, elemType: 'FLOAT' as const, shape: [1, 4, 8, 8] }],
  });
  b.node('If', ['cond'], ['y'], [attr.graph('then_branch', branch('Relu')), attr.graph('else_branch', branch('Sigmoid'))], 'if');
  b.shapes.set('y', [1, 4, 8, 8]);
  const z = b.conv('y', 2, { kernel: 1, name: 'head' });
  b.output(z);
  return b.model({ opset: 13 });
}

/** A Conv whose weight is a Constant node, at opset 11 (below per-channel DequantizeLinear). */
export function constantWeightOpset11(): ModelSpec {
  const b = new OnnxGraphBuilder('const_w', { seed: 9 });
  b.input('x', [1, 3, 16, 16]);
  const w = floatTensor('cw', [8, 3, 3, 3], { seed: 2 });
  b.node('Constant', [], ['cw'], [attr.tensor('value', w)], 'cw_const');
  b.initializers.push(floatTensor('cb', [8], { seed: 4 }));
  b.node('Conv', ['x', 'cw', 'cb'], ['c'], [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])], 'conv_const');
  b.shapes.set('c', [1, 8, 16, 16]);
  const r = b.relu('c');
  const p = b.globalAvgPool(r);
  const f = b.flatten(p);
  const g = b.gemm(f, 5, { name: 'fc' });
  b.output(g);
  return b.model({ opset: 11 });
}

/** The MatMul stack with proj2's weight in an external file next to the model (data.bin). */
export function writeExternalModel(file: string, dataFile: string): void {
  const spec = matmulStack();
  const init = spec.graph.initializers!;
  const i = init.findIndex((t) => t.name === 'proj2.weight');
  const raw = init[i].raw as Buffer;
  fs.writeFileSync(dataFile, raw);
  init[i] = { name: 'proj2.weight', dataType: 'FLOAT', dims: init[i].dims, external: { location: require('path').basename(dataFile), offset: 0, length: raw.length } };
  fs.writeFileSync(file, encodeModel(spec));
}

function feedsFor(session: import('onnxruntime-node').InferenceSession, rnd: () => number): Record<string, import('onnxruntime-node').Tensor> {
  const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
  for (const m of session.inputMetadata) {
    if (!m.isTensor) continue;
    const dims = m.shape.map((d) => (typeof d === 'number' ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    if (m.type === 'bool') feeds[m.name] = new ort.Tensor('bool', Uint8Array.from({ length: n }, () => 1), dims);
    else feeds[m.name] = new ort.Tensor('float32', Float32Array.from({ length: n }, () => rnd() * 2 - 1), dims);
  }
  return feeds;
}

/** Element types and min/max ranges of every tensor, from onnxruntime runs of the model with all tensors exposed. */
export async function tensorFacts(bytes: Buffer, file: string, samples = 4): Promise<{ dtypes: Map<string, string>; ranges: Map<string, [number, number]> }> {
  // A file next to the model, so external data resolves.
  const tapFile = `${file}.tap.onnx`;
  fs.writeFileSync(tapFile, withOutputs(bytes, file, computedTensors(bytes, file)));
  const s = await ort.InferenceSession.create(tapFile);
  fs.rmSync(tapFile);
  const dtypes = new Map<string, string>();
  const ranges = new Map<string, TensorRange>();
  const rnd = seededRandom(1);
  for (let k = 0; k < samples; k++) {
    const feeds = feedsFor(s, rnd);
    const out = await s.run(feeds);
    for (const [name, t] of Object.entries({ ...feeds, ...out })) {
      dtypes.set(name, t.type);
      if (t.type !== 'float32') continue;
      if (!ranges.has(name)) ranges.set(name, new TensorRange(false));
      ranges.get(name)!.add(t.data as Float32Array);
    }
  }
  await s.release();
  return { dtypes, ranges: new Map([...ranges].map(([k, r]) => [k, calibratedRange(r, 'minmax')])) };
}

/**
 * Runs both models on the same random inputs; the SQNR (dB) of the first output. `level` 'basic' runs the second
 * model without onnxruntime's int8 kernel fusion (a QDQ file's exact arithmetic).
 */
export async function outputSqnr(a: Buffer | string, b: Buffer | string, runs = 3, level: 'basic' | 'all' = 'all'): Promise<number> {
  const sa = await ort.InferenceSession.create(a as string);
  const sb = await ort.InferenceSession.create(b as string, { graphOptimizationLevel: level });
  const rnd = seededRandom(2);
  let so = 0;
  let se = 0;
  for (let k = 0; k < runs; k++) {
    const feeds = feedsFor(sa, rnd);
    const name = sa.outputNames[0];
    const x = (await sa.run(feeds))[name].data as Float32Array;
    const y = (await sb.run(feeds))[name].data as Float32Array;
    x.forEach((v, i) => {
      so += v * v;
      se += (v - y[i]) ** 2;
    });
  }
  return se === 0 ? Infinity : 10 * Math.log10(so / se);
}

/** Whether Debian's python3 can import a module (onnx, numpy). */
export function pythonHas(module: string): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const hasPythonOnnx = pythonHas('onnx');

export interface PythonView {
  checked: string;
  initializers: Record<string, { type: number; dims: number[]; external: boolean }>;
  opsets: Record<string, number>;
  metadata: Record<string, string>;
  nodes: { name: string; op: string; domain: string }[];
}

/** How Debian's python3-onnx reads a file (and whether onnx.checker accepts it). */
export function pythonView(file: string, fullCheck = false): PythonView {
  const code = `
import json, sys, onnx
m = onnx.load(sys.argv[1], load_external_data=False)
try:
    onnx.checker.check_model(m, full_check=${fullCheck ? 'True' : 'False'})
    checked = 'ok'
except Exception as e:
    checked = str(e).split('\\n')[0]
print(json.dumps({
  'checked': checked,
  'initializers': {t.name: {'type': t.data_type, 'dims': list(t.dims), 'external': t.data_location == 1} for t in m.graph.initializer},
  'opsets': {o.domain: o.version for o in m.opset_import},
  'metadata': {p.key: p.value for p in m.metadata_props},
  'nodes': [{'name': n.name, 'op': n.op_type, 'domain': n.domain} for n in m.graph.node],
}))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code, file]).toString()) as PythonView;
}
