/**
 * End to end through analyzeFile: every ONNX line of ../shared/models/REFERENCE.jsonl (figures read by an
 * independent reader) must match exactly; the unlabelled ONNX files are checked against python3-onnx
 * (params, weight bytes, histogram, I/O) and, for the static-shape ones, against MACs computed in
 * Python from onnx's own shape inference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { analyzeFile } from '../../src/analyzers/index';
import { fixture, referenceLines, SKIP_NO_SHARED, unlabelled } from '../support/shared';

const onnxLines = referenceLines().filter((l) => l.format === 'onnx');

test('REFERENCE.jsonl: every ONNX line matches exactly (params, weightBytes, macs, histogram, I/O, IR, opset)', { skip: SKIP_NO_SHARED }, async () => {
  assert.ok(onnxLines.length >= 7, `only ${onnxLines.length} ONNX reference lines`);
  for (const ref of onnxLines) {
    const { model: m } = await analyzeFile(fixture(ref.file));
    const got = {
      bytes: m.bytes,
      params: m.params,
      weightBytes: m.weightBytes,
      macs: m.macs,
      operatorCount: m.operatorCount,
      opHistogram: { ...m.opHistogram },
      inputs: m.inputs,
      outputs: m.outputs,
      irVersion: m.irVersion,
      opset: m.opset && { ...m.opset },
      boundDims: m.dynamicShapes.symbols,
    };
    const want = {
      bytes: ref.bytes,
      params: ref.params,
      weightBytes: ref.weightBytes,
      macs: ref.macs,
      operatorCount: ref.operatorCount,
      opHistogram: ref.opHistogram,
      inputs: ref.inputs,
      outputs: ref.outputs,
      irVersion: ref.irVersion,
      opset: ref.opset,
      boundDims: ref.boundDims ?? [],
    };
    assert.deepEqual(got, want, ref.file);
    if (ref.macs === null) assert.ok(m.macsUnknownReason, `${ref.file}: MACs null without a reason`);
  }
});

test('silero_vad_half: MACs null because the STFT Conv kernel (256) is longer than the 1-sample input padded to 65; known once bound', { skip: SKIP_NO_SHARED }, async () => {
  const one = await analyzeFile(fixture('silero_vad_half.onnx'));
  assert.equal(one.model.macs, null);
  assert.match(one.model.macsUnknownReason!, /Conv "\/stft\/Conv".*kernel \(256, dilation 1\) is longer than its padded input \(length 65\)/);
  // 512 samples (the model's real chunk): padded to 576 → STFT conv 258 x 3 x 256; encoder convs (k=3) on 129→128 ch (3 frames),
  // 128→64 stride 2 (2 frames), 64→64 stride 2 (1 frame), 64→128 (1 frame); decoder 1x1 conv 128→1.
  const bound = await analyzeFile(fixture('silero_vad_half.onnx'), { bindings: { sequence: 512 } });
  const expected = 258 * 3 * 256 + 128 * 3 * 129 * 3 + 64 * 2 * 128 * 3 + 64 * 1 * 64 * 3 + 128 * 1 * 64 * 3 + 1 * 1 * 128;
  assert.equal(bound.model.macs, expected);
  assert.deepEqual({ ...bound.model.dynamicShapes.bindings }, { batch: 1, sequence: 512 });
});

test('silero_vad: weights in Constant nodes of nested If bodies are counted; subgraph bodies costed apart', { skip: SKIP_NO_SHARED }, async () => {
  const { model: m } = await analyzeFile(fixture('silero_vad.onnx'));
  assert.equal(m.params, 545597);
  assert.equal(m.macs, 0);
  assert.equal(m.subgraphCosts.length, 50);
  assert.equal(m.subgraphCosts.reduce((a, s) => a + s.nodes, 0), 684);
});

test('pytorch_super_resolution: binding batch_size scales MACs linearly', { skip: SKIP_NO_SHARED }, async () => {
  const one = await analyzeFile(fixture('pytorch_super_resolution.onnx'));
  const four = await analyzeFile(fixture('pytorch_super_resolution.onnx'), { bindings: { batch_size: 4 } });
  assert.equal(four.model.macs, 4 * one.model.macs!);
  assert.deepEqual(four.model.layers.at(-1)!.outputShapes, [[4, 1, 672, 672]]);
});

/** Independent figures for the unlabelled ONNX files from python3-onnx. */
function pythonFigures(file: string): any {
  const script = `
import onnx, json, sys
from onnx import numpy_helper, shape_inference
m = onnx.load(sys.argv[1])
params = 0; wbytes = 0; hist = {}
def walk(g):
    global params, wbytes
    for t in g.initializer:
        a = numpy_helper.to_array(t); params += a.size; wbytes += a.nbytes
    for n in g.node:
        k = (n.domain + ':' if n.domain not in ('', 'ai.onnx') else '') + n.op_type
        hist[k] = hist.get(k, 0) + 1
        for a in n.attribute:
            if n.op_type == 'Constant' and a.type == onnx.AttributeProto.TENSOR:
                arr = numpy_helper.to_array(a.t); params += arr.size; wbytes += arr.nbytes
            if a.type == onnx.AttributeProto.GRAPH: walk(a.g)
            if a.type == onnx.AttributeProto.GRAPHS:
                for s in a.graphs: walk(s)
walk(m.graph)
inits = {t.name for t in m.graph.initializer}
def io(v):
    t = v.type.tensor_type
    return {'name': v.name, 'dtype': onnx.TensorProto.DataType.Name(t.elem_type),
            'shape': [d.dim_value if d.HasField('dim_value') else (d.dim_param or '?') for d in t.shape.dim]}
# MACs (README conventions) from onnx's own shape inference, for graphs whose shapes it fully resolves.
inf = shape_inference.infer_shapes(m, data_prop=True)
shapes = {}
for v in list(inf.graph.input) + list(inf.graph.value_info) + list(inf.graph.output):
    if v.type.tensor_type.HasField('shape'):
        shapes[v.name] = [d.dim_value if d.HasField('dim_value') else None for d in v.type.tensor_type.shape.dim]
for t in m.graph.initializer: shapes[t.name] = list(t.dims)
def prod(s):
    r = 1
    for d in s: r *= d
    return r
macs = 0
for n in m.graph.node:
    if n.op_type not in ('Conv', 'Gemm', 'MatMul', 'ConvTranspose'): continue
    out = shapes.get(n.output[0]); x = shapes.get(n.input[0]); w = shapes.get(n.input[1])
    if out is None or None in out or not x or None in x or not w or None in w:
        macs = None; break
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
    if n.op_type == 'Conv':
        macs += prod(out) * (x[1] // attrs.get('group', 1)) * prod(w[2:])
    elif n.op_type == 'ConvTranspose':
        macs += prod(x) * w[1] * prod(w[2:])
    elif n.op_type == 'Gemm':
        macs += prod(out) * (x[0] if attrs.get('transA', 0) else x[1])
    else:
        macs += prod(out) * x[-1]
print(json.dumps({'params': int(params), 'weightBytes': int(wbytes), 'opHistogram': hist, 'operatorCount': sum(hist.values()),
  'inputs': [io(v) for v in m.graph.input if v.name not in inits], 'outputs': [io(v) for v in m.graph.output], 'macs': macs,
  'irVersion': m.ir_version, 'opset': {(o.domain or 'ai.onnx'): o.version for o in m.opset_import}}))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' }));
}

test('unlabelled ONNX files agree with python3-onnx (params, weight bytes, histogram, I/O; MACs where onnx resolves every shape)', { skip: SKIP_NO_SHARED }, async () => {
  for (const f of ['FastestDet.onnx', 'face_detection_back_256x256_barracuda.onnx', 'silero_vad_v3_2021.onnx']) {
    const py = pythonFigures(unlabelled(f));
    const { model: m } = await analyzeFile(unlabelled(f));
    assert.deepEqual(
      { params: m.params, weightBytes: m.weightBytes, opHistogram: { ...m.opHistogram }, operatorCount: m.operatorCount, inputs: m.inputs, outputs: m.outputs, irVersion: m.irVersion, opset: { ...m.opset } },
      { params: py.params, weightBytes: py.weightBytes, opHistogram: py.opHistogram, operatorCount: py.operatorCount, inputs: py.inputs, outputs: py.outputs, irVersion: py.irVersion, opset: py.opset },
      f,
    );
    if (py.macs !== null) assert.equal(m.macs, py.macs, `${f} MACs`);
    else assert.ok(f.startsWith('silero'), `${f}: python could not resolve shapes`);
  }
});
