/**
 * Shape inference and op costs on generated models. Shapes are checked against python3-onnx's own shape
 * inference (an independent implementation); MACs against values computed by hand from the README
 * conventions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { attr, floatTensor, int64Tensor, writeModel, type ModelSpec, type NodeSpec, type TensorSpec, type ValueInfoSpec } from '../support/modelgen/onnx-builder';
import { readOnnx } from '../../src/analyzers/onnx/reader';
import { inferOnnxShapes } from '../../src/analyzers/shapes';
import { onnxNodeCost } from '../../src/analyzers/cost/onnx';
import { FileSource } from '../../src/analyzers/io/file-source';
import { allSubgraphs, type ModelGraph } from '../../src/analyzers/graph';
import { getValues } from '../../src/analyzers/onnx/values';
import { tempDir } from '../support/shared';

const PY = '/usr/bin/python3';
const hasPythonOnnx = (() => {
  try {
    execFileSync(PY, ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const dir = tempDir('onnx-shapes');
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

function save(name: string, m: ModelSpec): string {
  const file = path.join(dir, name);
  writeModel(m, file);
  return file;
}

function analyse(file: string, bindings: Record<string, number> = {}): { g: ModelGraph; warnings: string[] } {
  const src = new FileSource(file);
  try {
    const g = readOnnx(src, {});
    return { g, warnings: inferOnnxShapes(g, bindings) };
  } finally {
    src.close();
  }
}

const shapeOf = (g: ModelGraph, name: string) => g.main.tensors.get(name)?.shape ?? null;
const costs = (g: ModelGraph) => Object.fromEntries(g.main.nodes.map((n) => [n.name, onnxNodeCost(n, g.main, g)]));

function model(nodes: NodeSpec[], inputs: ValueInfoSpec[], outputs: string[], initializers: TensorSpec[], opset = 17): ModelSpec {
  return {
    opsetImports: [{ domain: '', version: opset }],
    graph: {
      name: 'zoo',
      nodes,
      inputs,
      // "name" or "name:ELEMTYPE"
      outputs: outputs.map((o) => ({ name: o.split(':')[0], elemType: (o.split(':')[1] ?? 'FLOAT') as ValueInfoSpec['elemType'] })),
      initializers,
    },
  };
}

const n = (name: string, opType: string, inputs: string[], outputs: string[] | string, attrs: NodeSpec['attrs'] = []): NodeSpec => ({
  name,
  opType,
  inputs,
  outputs: typeof outputs === 'string' ? [outputs] : outputs,
  attrs,
});

/** A model touching most ops shape inference knows, opset 17, static shapes. */
function zoo(): ModelSpec {
  const inits: TensorSpec[] = [
    floatTensor('w1', [8, 3, 3, 3]), floatTensor('b1', [8]),
    floatTensor('w2', [8, 8, 3, 3]),
    floatTensor('wdw', [8, 1, 3, 3]),
    floatTensor('wct', [8, 4, 3, 3]),
    floatTensor('bn_s', [4]), floatTensor('bn_b', [4]), floatTensor('bn_m', [4]), floatTensor('bn_v', [4], { values: [1] }),
    int64Tensor('idx0', [], [0]), int64Tensor('ax0', [1], [0]), int64Tensor('minus1', [1], [-1]),
    floatTensor('wg', [10, 64]), floatTensor('bg', [10]),
    floatTensor('wm', [10, 7]), floatTensor('wz', [3, 10, 4]),
    int64Tensor('split', [2], [1, 2]),
    int64Tensor('sl_s', [1], [1]), int64Tensor('sl_e', [1], [-1]), int64Tensor('sl_a', [1], [1]), int64Tensor('sl_st', [1], [2]),
    int64Tensor('ax2', [1], [2]),
    int64Tensor('pads', [8], [0, 0, 1, 2, 0, 0, 1, 2]),
    floatTensor('scales', [4], { values: [1, 1, 2, 2] }),
    floatTensor('lw', [1, 16, 6]), floatTensor('lr', [1, 16, 4]),
    floatTensor('ln_s', [4]), floatTensor('ln_b', [4]),
    int64Tensor('reps', [3], [1, 2, 1]),
    int64Tensor('gidx', [2], [0, 2]),
    int64Tensor('cs', [2], [2, 3]),
  ];
  const nodes: NodeSpec[] = [
    n('conv1', 'Conv', ['x', 'w1', 'b1'], 'c1', [attr.ints('pads', [1, 1, 1, 1]), attr.ints('strides', [2, 2])]),
    n('conv_same', 'Conv', ['c1', 'w2'], 'c2', [attr.string('auto_pad', 'SAME_UPPER'), attr.ints('strides', [2, 2])]),
    n('dw', 'Conv', ['c2', 'wdw'], 'c3', [attr.int('group', 8), attr.ints('dilations', [2, 2]), attr.ints('pads', [2, 2, 2, 2])]),
    n('ct', 'ConvTranspose', ['c3', 'wct'], 'c4', [attr.ints('strides', [2, 2]), attr.ints('pads', [1, 1, 1, 1]), attr.ints('output_padding', [1, 1])]),
    n('mp', 'MaxPool', ['c4'], 'p1', [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [2, 2]), attr.int('ceil_mode', 1)]),
    n('ap', 'AveragePool', ['p1'], 'p2', [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]),
    n('gap', 'GlobalAveragePool', ['p2'], 'p3'),
    n('bn', 'BatchNormalization', ['p2', 'bn_s', 'bn_b', 'bn_m', 'bn_v'], 'bn_out'),
    n('relu', 'Relu', ['bn_out'], 'r1'),
    n('shape', 'Shape', ['r1'], 'shp'),
    n('gather0', 'Gather', ['shp', 'idx0'], 'g0'),
    n('unsq', 'Unsqueeze', ['g0', 'ax0'], 'u0'),
    n('cat_shape', 'Concat', ['u0', 'minus1'], 'target', [attr.int('axis', 0)]),
    n('reshape', 'Reshape', ['r1', 'target'], 'rs'),
    n('gemm', 'Gemm', ['rs', 'wg', 'bg'], 'gm', [attr.int('transB', 1)]),
    n('mm', 'MatMul', ['y', 'wm'], 'mm1'),
    n('mm2', 'MatMul', ['y', 'wz'], 'mm2'),
    n('softmax', 'Softmax', ['mm2'], 'sm', [attr.int('axis', -1)]),
    n('tr', 'Transpose', ['mm2'], 'tr', [attr.ints('perm', [0, 2, 1, 3])]),
    n('split', 'Split', ['tr', 'split'], ['sp0', 'sp1'], [attr.int('axis', 2)]),
    n('slice', 'Slice', ['tr', 'sl_s', 'sl_e', 'sl_a', 'sl_st'], 'sl'),
    n('squeeze', 'Squeeze', ['sp0', 'ax2'], 'sq'),
    n('pad', 'Pad', ['p2', 'pads'], 'pd'),
    n('resize', 'Resize', ['p2', '', 'scales'], 'rsz'),
    n('d2s', 'DepthToSpace', ['c4'], 'd2s', [attr.int('blocksize', 2)]),
    n('s2d', 'SpaceToDepth', ['x'], 's2d', [attr.int('blocksize', 2)]),
    n('flatten', 'Flatten', ['p2'], 'fl', [attr.int('axis', 2)]),
    n('lstm', 'LSTM', ['seq', 'lw', 'lr'], ['ly', 'lyh', 'lyc'], [attr.int('hidden_size', 4)]),
    n('ln', 'LayerNormalization', ['mm2', 'ln_s', 'ln_b'], 'ln', [attr.int('axis', -1)]),
    n('rmean', 'ReduceMean', ['mm2'], 'rm', [attr.ints('axes', [1]), attr.int('keepdims', 0)]),
    n('cos', 'ConstantOfShape', ['cs'], 'cos'),
    n('tile', 'Tile', ['sq', 'reps'], 'tl'),
    n('gather1', 'Gather', ['mm2', 'gidx'], 'gt', [attr.int('axis', 1)]),
    n('add', 'Add', ['mm2', 'ln_b'], 'ad'),
    n('cast', 'Cast', ['shp'], 'shp_f', [attr.int('to', 1)]),
    n('eq', 'Equal', ['sq', 'sq'], 'eqb'),
    n('where', 'Where', ['eqb', 'sq', 'ln_b'], 'wh'),
  ];
  const outs = ['c1', 'gap_out', 'gm', 'mm1', 'sm', 'sp1', 'sl', 'pd', 'rsz', 'd2s', 's2d', 'fl', 'ly', 'lyh', 'ln', 'rm', 'cos', 'tl', 'gt', 'ad', 'shp_f', 'wh', 'p3'];
  return model(
    nodes,
    [
      { name: 'x', elemType: 'FLOAT', shape: [1, 3, 32, 32] },
      { name: 'y', elemType: 'FLOAT', shape: [2, 1, 5, 10] },
      { name: 'seq', elemType: 'FLOAT', shape: [5, 1, 6] },
    ],
    outs.filter((o) => nodes.some((nd) => nd.outputs.includes(o))),
    inits,
  );
}

test('shape inference agrees with python3-onnx shape inference on every tensor of a many-op model', { skip: hasPythonOnnx ? false : 'python3-onnx missing' }, () => {
  const file = save('zoo.onnx', zoo());
  const py = execFileSync(
    PY,
    ['-c', `
import onnx, json, sys
m = onnx.shape_inference.infer_shapes(onnx.load(sys.argv[1]), strict_mode=True, data_prop=True)
out = {}
for vi in list(m.graph.value_info) + list(m.graph.output):
    t = vi.type.tensor_type
    out[vi.name] = [[d.dim_value if d.HasField('dim_value') else '?' for d in t.shape.dim] if t.HasField('shape') else None, onnx.TensorProto.DataType.Name(t.elem_type)]
print(json.dumps(out))`, file],
    { encoding: 'utf8' },
  );
  const expected = JSON.parse(py) as Record<string, [(number | string)[], string]>;
  const { g, warnings } = analyse(file);
  assert.deepEqual(warnings, []);
  const names = Object.keys(expected);
  assert.ok(names.length >= 40, `python inferred ${names.length} tensors`);
  for (const name of names) {
    const t = g.main.tensors.get(name)!;
    assert.deepEqual([t.shape, t.dtype], expected[name], name);
  }
  // Folded values along Shape → Gather → Unsqueeze → Concat.
  assert.deepEqual(getValues(g.main.tensors.get('target')), [1, -1]);
});

test('MACs per README conventions, computed by hand, and op classes', () => {
  const { g } = analyse(save('zoo-cost.onnx', zoo()));
  const c = costs(g);
  // Conv: output elements x (Cin / group) x kernel area.
  assert.equal(c.conv1.macs, 1 * 8 * 16 * 16 * 3 * 9);
  assert.equal(c.conv_same.macs, 8 * 8 * 8 * 8 * 9);
  assert.equal(c.dw.macs, 8 * 8 * 8 * 1 * 9);
  assert.equal(c.dw.opClass, 'depthwise-conv');
  assert.equal(c.conv1.opClass, 'conv');
  assert.equal(c.conv1.flops, 8 * 16 * 16); // bias add
  // ConvTranspose: input elements x (Cout / group) x kernel area.
  assert.equal(c.ct.macs, 8 * 8 * 8 * 4 * 9);
  assert.equal(c.ct.opClass, 'conv-transpose');
  // Gemm / MatMul: output elements x K.
  assert.equal(c.gemm.macs, 10 * 64);
  assert.equal(c.mm.macs, 2 * 1 * 5 * 7 * 10);
  assert.equal(c.mm2.macs, 2 * 3 * 5 * 4 * 10);
  assert.equal(c.gemm.opClass, 'matmul');
  // Everything else: 0 MACs, work in flops.
  for (const name of ['mp', 'ap', 'gap', 'bn', 'relu', 'softmax', 'lstm', 'ln', 'rmean', 'add', 'resize', 'reshape', 'tr']) assert.equal(c[name].macs, 0, name);
  assert.equal(c.mp.flops, 4 * 8 * 8 * 9);
  assert.equal(c.ap.flops, 4 * 4 * 4 * 4);
  assert.equal(c.gap.flops, 4 * 4 * 4);
  assert.equal(c.relu.flops, 64);
  assert.equal(c.softmax.flops, 120 * 5);
  assert.equal(c.lstm.flops, 5 * 1 * 1 * (4 * 4 * (6 + 4) * 2 + 4 * 4 * 4));
  assert.deepEqual([c.mp.opClass, c.bn.opClass, c.relu.opClass, c.softmax.opClass, c.lstm.opClass, c.add.opClass, c.rmean.opClass, c.reshape.opClass, c.resize.opClass],
    ['pool', 'normalization', 'activation', 'softmax', 'recurrent', 'elementwise', 'reduce', 'data-movement', 'resize']);
  const total = g.main.nodes.reduce((a, nd) => a + (onnxNodeCost(nd, g.main, g).macs ?? NaN), 0);
  assert.equal(total, 55296 + 36864 + 4608 + 18432 + 640 + 700 + 1200);
});

test('NonMaxSuppression: 2 flops per score and 10 per IoU test against the kept boxes (the stated max_output_boxes_per_class, else 10)', () => {
  const m = model(
    [
      n('nms_stated', 'NonMaxSuppression', ['boxes', 'scores', 'keep'], 'sel_a'),
      n('nms_default', 'NonMaxSuppression', ['boxes', 'scores'], 'sel_b'),
      n('nms_dynamic', 'NonMaxSuppression', ['boxes_dyn', 'scores'], 'sel_c'),
      n('nms_yolo', 'NonMaxSuppression', ['boxes', 'scores', 'keep', 'iou', 'thr_yolo'], 'sel_d'),
      n('nms_ssd', 'NonMaxSuppression', ['boxes', 'scores', 'keep', 'iou', 'thr_ssd'], 'sel_e'),
    ],
    [
      { name: 'boxes', elemType: 'FLOAT', shape: [1, 8400, 4] },
      { name: 'scores', elemType: 'FLOAT', shape: [1, 80, 8400] },
      { name: 'boxes_dyn', elemType: 'FLOAT', shape: [1, 'anchors', 4] },
    ],
    ['sel_a:INT64', 'sel_b:INT64', 'sel_c:INT64', 'sel_d:INT64', 'sel_e:INT64'],
    [int64Tensor('keep', [1], [100]), floatTensor('iou', [1], { values: [0.45] }), floatTensor('thr_yolo', [1], { values: [0.25] }), floatTensor('thr_ssd', [1], { values: [1e-8] })],
  );
  const src = new FileSource(save('nms.onnx', m));
  let g: ModelGraph;
  try {
    g = readOnnx(src, {});
    inferOnnxShapes(g, {});
  } finally {
    src.close();
  }
  const c = costs(g);
  assert.deepEqual([c.nms_stated.macs, c.nms_stated.flops, c.nms_stated.opClass], [0, 2 * 80 * 8400 + 10 * 8400 * 100, 'reduce']);
  assert.equal(c.nms_default.flops, 2 * 80 * 8400 + 10 * 8400 * 10);
  // Every box a candidate (no threshold, or the TF configs' 1e-8): no variant; a YOLO-style 0.25 threshold: a worst case.
  assert.deepEqual([c.nms_stated.variant, c.nms_ssd.variant, c.nms_yolo.variant], [undefined, undefined, 'score-threshold']);
  // A symbolic box count: unknown, with the reason naming the tensor (never a NaN or a silent 0).
  assert.equal(c.nms_dynamic.flops, null);
  assert.match(c.nms_dynamic.reason ?? '', /shape of boxes "boxes_dyn" is unknown/);
});

test('quantised ops: QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger MACs and dtypes', () => {
  const u8 = (name: string, dims: number[]): TensorSpec => ({ name, dataType: 'UINT8', dims, raw: Buffer.alloc(dims.reduce((a, b) => a * b, 1)) });
  const f = (name: string) => floatTensor(name, [], { values: [0.1] });
  const file = save('quant.onnx', model(
    [
      n('qconv', 'QLinearConv', ['xq', 's', 'z', 'wq', 's', 'z', 's', 'z'], 'yq', [attr.ints('pads', [1, 1, 1, 1])]),
      n('qmm', 'QLinearMatMul', ['aq', 's', 'z', 'bq', 's', 'z', 's', 'z'], 'mq'),
      n('cint', 'ConvInteger', ['xq', 'wq'], 'ci'),
      n('mmint', 'MatMulInteger', ['aq', 'bq'], 'mi'),
      n('dq', 'DequantizeLinear', ['yq', 's', 'z'], 'yf'),
    ],
    [
      { name: 'xq', elemType: 'UINT8', shape: [1, 4, 10, 10] },
      { name: 'aq', elemType: 'UINT8', shape: [3, 16] },
    ],
    ['yf', 'mq:UINT8', 'ci:INT32', 'mi:INT32'],
    [f('s'), u8('z', []), u8('wq', [6, 4, 3, 3]), u8('bq', [16, 5])],
    13,
  ));
  const { g } = analyse(file);
  const c = costs(g);
  assert.deepEqual(shapeOf(g, 'yq'), [1, 6, 10, 10]);
  assert.equal(g.main.tensors.get('yq')!.dtype, 'UINT8');
  assert.equal(c.qconv.macs, 6 * 10 * 10 * 4 * 9);
  assert.deepEqual(shapeOf(g, 'ci'), [1, 6, 8, 8]);
  assert.equal(g.main.tensors.get('ci')!.dtype, 'INT32');
  assert.equal(c.cint.macs, 6 * 8 * 8 * 4 * 9);
  assert.equal(c.qmm.macs, 3 * 5 * 16);
  assert.equal(c.mmint.macs, 3 * 5 * 16);
  assert.equal(g.main.tensors.get('mi')!.dtype, 'INT32');
  assert.equal(g.main.tensors.get('mq')!.dtype, 'UINT8');
  assert.equal(c.dq.opClass, 'quantize');
  assert.equal(c.dq.macs, 0);
  assert.equal(g.main.tensors.get('yf')!.dtype, 'FLOAT');
});

test('symbolic dims: bindings scale MACs; attribute forms of Squeeze/Unsqueeze/Split (opset 11)', () => {
  const file = save('sym.onnx', model(
    [
      n('conv', 'Conv', ['x', 'w'], 'c', [attr.ints('kernel_shape', [3, 3])]),
      n('unsq', 'Unsqueeze', ['c'], 'u', [attr.ints('axes', [0])]),
      n('sq', 'Squeeze', ['u'], 's', [attr.ints('axes', [0])]),
      n('split', 'Split', ['s'], ['s0', 's1'], [attr.int('axis', 1), attr.ints('split', [2, 6])]),
      n('flat', 'Flatten', ['s1'], 'f'),
      n('mm', 'MatMul', ['f', 'wm'], 'out'),
    ],
    [{ name: 'x', elemType: 'FLOAT', shape: ['batch', 3, 'h', 'h'] }],
    ['out'],
    [floatTensor('w', [8, 3, 3, 3]), floatTensor('wm', [6 * 14 * 14, 5])],
    11,
  ));
  const one = analyse(file, { batch: 1, h: 16 });
  assert.deepEqual(shapeOf(one.g, 's1'), [1, 6, 14, 14]);
  assert.deepEqual(shapeOf(one.g, 'out'), [1, 5]);
  const c1 = costs(one.g);
  assert.equal(c1.conv.macs, 8 * 14 * 14 * 3 * 9);
  assert.equal(c1.mm.macs, 5 * 6 * 14 * 14);
  const four = analyse(file, { batch: 4, h: 16 });
  const c4 = costs(four.g);
  assert.equal(c4.conv.macs, 4 * 8 * 14 * 14 * 3 * 9);
  assert.equal(c4.mm.macs, 4 * 5 * 6 * 14 * 14);
  // Unbound: the spatial dim stays symbolic and MACs are null with a reason, never a silent 0.
  const unbound = analyse(file, { batch: 1 });
  assert.deepEqual(shapeOf(unbound.g, 'c'), [1, 8, '?', '?']);
  const cu = costs(unbound.g);
  assert.equal(cu.conv.macs, null);
  assert.match(cu.conv.reason!, /shape of output "c" is unknown/);
});

test('a shape computed at run time: MACs null with the reason, downstream of the cause', () => {
  const file = save('runtime.onnx', model(
    [
      n('nz', 'NonZero', ['x'], 'idx'),
      n('shape', 'Shape', ['idx'], 'shp'),
      n('reshape', 'Reshape', ['x', 'shp'], 'r'),
      n('mm', 'MatMul', ['r', 'w'], 'y'),
      n('relu', 'Relu', ['y'], 'out'),
    ],
    [{ name: 'x', elemType: 'FLOAT', shape: [4, 4] }],
    ['out'],
    [floatTensor('w', [4, 3])],
    13,
  ));
  const { g } = analyse(file);
  const c = costs(g);
  assert.equal(c.mm.macs, null);
  assert.match(c.mm.reason!, /Reshape "reshape" is computed at run time/);
  assert.equal(c.relu.macs, 0);
  assert.equal(c.relu.flops, null);
  assert.ok(c.relu.reason);
});

test('Conv whose kernel is longer than its padded input: null shape, MACs null, the reason names the Conv', () => {
  const file = save('short.onnx', model(
    [n('stft', 'Conv', ['x', 'w'], 'y', [attr.ints('strides', [128])])],
    [{ name: 'x', elemType: 'FLOAT', shape: [1, 1, 'samples'] }],
    ['y'],
    [floatTensor('w', [258, 1, 256])],
    13,
  ));
  const short = analyse(file, { samples: 65 });
  assert.equal(shapeOf(short.g, 'y'), null);
  const c = costs(short.g).stft;
  assert.equal(c.macs, null);
  assert.match(c.reason!, /Conv "stft": its kernel \(256, dilation 1\) is longer than its padded input \(length 65\)/);
  const long = analyse(file, { samples: 576 });
  assert.deepEqual(shapeOf(long.g, 'y'), [1, 258, 3]);
  assert.equal(costs(long.g).stft.macs, 258 * 3 * 256);
});

test('If with a foldable condition takes the branch; Loop carries shapes into its body; bodies are costed', () => {
  const body = {
    name: 'body',
    nodes: [n('bmm', 'MatMul', ['acc', 'wl'], 'acc2'), n('bid', 'Identity', ['cond'], 'cond2')],
    inputs: [
      { name: 'it', elemType: 'INT64' as const, shape: [] },
      { name: 'cond', elemType: 'BOOL' as const, shape: [] },
      { name: 'acc', elemType: 'FLOAT' as const },
    ],
    outputs: [{ name: 'cond2', elemType: 'BOOL' as const }, { name: 'acc2', elemType: 'FLOAT' as const }],
  };
  const thenB = { name: 't', nodes: [n('t_sq', 'Squeeze', ['x', 'ax'], 'ts')], inputs: [], outputs: [{ name: 'ts', elemType: 'FLOAT' as const }] };
  const elseB = { name: 'e', nodes: [n('e_id', 'Identity', ['x'], 'es')], inputs: [], outputs: [{ name: 'es', elemType: 'FLOAT' as const }] };
  const file = save('ctrl.onnx', model(
    [
      n('shape', 'Shape', ['x'], 'shp'),
      n('g', 'Gather', ['shp', 'i0'], 'd0'),
      n('eq', 'Equal', ['d0', 'one'], 'c'),
      n('if', 'If', ['c'], 'xi', [attr.graph('then_branch', thenB), attr.graph('else_branch', elseB)]),
      n('loop', 'Loop', ['trip', '', 'xi'], 'xo', [attr.graph('body', body)]),
    ],
    [{ name: 'x', elemType: 'FLOAT', shape: ['b', 6] }],
    ['xo'],
    [int64Tensor('i0', [], [0]), int64Tensor('one', [], [1]), int64Tensor('ax', [1], [0]), int64Tensor('trip', [], [3]), floatTensor('wl', [6, 6])],
    13,
  ));
  const b1 = analyse(file, { b: 1 });
  assert.deepEqual(shapeOf(b1.g, 'xi'), [6]); // b = 1 → Squeeze branch
  assert.deepEqual(shapeOf(b1.g, 'xo'), [6]);
  const bodySg = b1.g.subgraphs.find((s) => s.id.endsWith('loop.body'))!;
  assert.deepEqual(bodySg.tensors.get('acc2')!.shape, [6]);
  assert.equal(onnxNodeCost(bodySg.nodes[0], bodySg, b1.g).macs, 36);
  assert.equal(costs(b1.g).loop.opClass, 'control-flow');
  const b2 = analyse(file, { b: 2 });
  assert.deepEqual(shapeOf(b2.g, 'xi'), [2, 6]); // b = 2 → Identity branch
});

test('cyclic graph: inference terminates, cycle nodes stay unknown', () => {
  const file = save('cycle.onnx', model(
    [n('a', 'Relu', ['x', 'loopback'], 'p'), n('b', 'Add', ['p', 'x'], 'loopback'), n('c', 'Relu', ['x'], 'out')],
    [{ name: 'x', elemType: 'FLOAT', shape: [2, 2] }],
    ['out'],
    [],
    13,
  ));
  const { g } = analyse(file);
  assert.deepEqual(shapeOf(g, 'out'), [2, 2]);
  for (const sg of allSubgraphs(g)) assert.ok(sg.nodes.length === 3);
});
