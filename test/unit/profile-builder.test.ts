/**
 * The format-neutral profile builder on hand-built graphs whose answers are known by hand:
 * weight counting (shared buffers once), histogram over subgraphs, execution order, liveness peak,
 * symbol binding, MACs null with a reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GraphNode, ModelGraph, Subgraph, TensorInfo } from '../../src/analyzers/graph';
import { buildProfile } from '../../src/analyzers/profile';
import type { NodeCostFn } from '../../src/analyzers/cost/types';

const f32 = (name: string, shape: (number | string)[] | null, constant = false): TensorInfo => ({
  name,
  shape,
  dtype: 'FLOAT',
  precision: 'fp32',
  bitsPerElement: 32,
  isConstant: constant,
  ...(constant && shape ? { elements: shape.reduce<number>((a, d) => a * (d as number), 1), storedBytes: 4 * shape.reduce<number>((a, d) => a * (d as number), 1) } : {}),
});

function graph(nodes: GraphNode[], tensors: TensorInfo[], inputs: string[], outputs: string[], extra: Partial<ModelGraph> = {}): ModelGraph {
  const main: Subgraph = { id: 'main', name: 'main', nodes, tensors: new Map(tensors.map((t) => [t.name, t])), inputs, outputs };
  return { format: 'onnx', file: '/x.onnx', bytes: 1, main, subgraphs: [], metadata: {}, compiledSegments: [], hasComputeGraph: true, warnings: [], ...extra };
}

const node = (name: string, op: string, inputs: string[], outputs: string[]): GraphNode => ({ name, op, inputs, outputs, attrs: {} });

// A cost function for the tests: MatMul costs out elements x K from shapes, everything else 0.
const cost: NodeCostFn = (n, sg) => {
  if (n.op !== 'MatMul') return { macs: 0, flops: 0, opClass: 'elementwise' };
  const a = sg.tensors.get(n.inputs[0])?.shape;
  const y = sg.tensors.get(n.outputs[0])?.shape;
  if (!a || !y || a.some((d) => typeof d !== 'number') || y.some((d) => typeof d !== 'number')) return { macs: null, flops: null, opClass: 'matmul', reason: 'input shape unknown' };
  const out = (y as number[]).reduce((p, d) => p * d, 1);
  return { macs: out * (a[a.length - 1] as number), flops: 0, opClass: 'matmul' };
};

test('liveness peak: a tensor is freed after its last consumer; graph outputs stay live', () => {
  // x[1,100] -> A -> a[1,200] -> B -> b[1,50] -> C(a? no) ; and a skip: D(b, a) -> y
  const g = graph(
    [node('A', 'Relu', ['x'], ['a']), node('B', 'Relu', ['a'], ['b']), node('D', 'Add', ['b', 'a'], ['y'])],
    [f32('x', [1, 100]), f32('a', [1, 200]), f32('b', [1, 50]), f32('y', [1, 50])],
    ['x'],
    ['y'],
  );
  const { profile } = buildProfile(g, { cost });
  // Step A: x(400) + a(800) = 1200 -> x freed. Step B: a(800) + b(200) = 1000. Step D: a + b + y(200) = 1200.
  assert.equal(profile.peakActivationBytes, 1200);
  assert.equal(profile.executionOrder, 'file-order');
});

test('nodes out of file order are run in a topological order', () => {
  const g = graph(
    [node('second', 'Relu', ['a'], ['y']), node('first', 'Relu', ['x'], ['a'])],
    [f32('x', [1, 4]), f32('a', [1, 4]), f32('y', [1, 4])],
    ['x'],
    ['y'],
  );
  const { profile } = buildProfile(g, { cost });
  assert.deepEqual(profile.layers.map((l) => l.name), ['first', 'second']);
  assert.equal(profile.executionOrder, 'topological');
});

test('a cyclic graph is reported, not looped on', () => {
  const g = graph(
    [node('A', 'Relu', ['b'], ['a']), node('B', 'Relu', ['a'], ['b'])],
    [f32('a', [1]), f32('b', [1])],
    [],
    ['a'],
  );
  const { profile, warnings } = buildProfile(g, { cost });
  assert.equal(profile.layers.length, 2);
  assert.ok(warnings.some((w) => /cycle/.test(w)), warnings.join('\n'));
});

test('weights: params and bytes by dtype; a shared buffer counts once', () => {
  const w1: TensorInfo = { ...f32('w1', [10, 10], true), sharedBufferId: 3 };
  const w2: TensorInfo = { ...f32('w2', [10, 10], true), sharedBufferId: 3 };
  const b: TensorInfo = { name: 'b', shape: [10], dtype: 'INT8', precision: 'int8', bitsPerElement: 8, isConstant: true, elements: 10, storedBytes: 10 };
  const g = graph(
    [node('M1', 'MatMul', ['x', 'w1'], ['h']), node('M2', 'MatMul', ['h', 'w2'], ['y']), node('A', 'Add', ['y', 'b'], ['z'])],
    [f32('x', [1, 10]), f32('h', [1, 10]), f32('y', [1, 10]), f32('z', [1, 10]), w1, w2, b],
    ['x'],
    ['z'],
  );
  const { profile } = buildProfile(g, { cost });
  assert.equal(profile.params, 110);
  assert.equal(profile.weightBytes, 410);
  assert.deepEqual({ ...profile.weightDtypes }, { FLOAT: 400, INT8: 10 });
  assert.equal(profile.macs, 200);
  assert.equal(profile.layers[0].params, 100);
  assert.equal(profile.layers[0].weightPrecision, 'fp32');
});

test('symbolic input dims are bound to 1 by default with a warning, or to the user binding', () => {
  const mk = (): ModelGraph =>
    graph([node('M', 'MatMul', ['x', 'w'], ['y'])], [f32('x', ['batch', 8]), f32('w', [8, 4], true), f32('y', ['batch', 4])], ['x'], ['y']);
  const seen: Record<string, number>[] = [];
  const infer = (g: ModelGraph, bindings: Record<string, number>): string[] => {
    seen.push(bindings);
    for (const t of g.main.tensors.values()) if (t.shape) t.shape = t.shape.map((d) => (typeof d === 'string' ? bindings[d] ?? d : d));
    return [];
  };
  const a = buildProfile(mk(), { cost, inferShapes: infer });
  assert.deepEqual(a.profile.inputs[0].shape, ['batch', 8], 'inputs keep their symbolic names');
  assert.equal(a.profile.macs, 32);
  assert.ok(a.warnings.some((w) => /"batch" bound to 1/.test(w)));
  const b = buildProfile(mk(), { cost, inferShapes: infer, bindings: { batch: 4 } });
  assert.equal(b.profile.macs, 128);
  assert.deepEqual({ ...b.profile.dynamicShapes, bindings: { ...b.profile.dynamicShapes.bindings } }, { symbols: ['batch'], bindings: { batch: 4 }, hasDynamic: true });
});

test('an unknown shape makes macs null with the reason, never a silent 0', () => {
  const g = graph([node('M', 'MatMul', ['x', 'w'], ['y'])], [f32('x', null), f32('w', [8, 4], true), f32('y', null)], ['x'], ['y']);
  const { profile } = buildProfile(g, { cost });
  assert.equal(profile.macs, null);
  assert.match(profile.macsUnknownReason ?? '', /MatMul "M": input shape unknown/);
  assert.equal(profile.peakActivationBytes, null);
});

test('histogram and operator count include subgraph nodes; subgraph bodies are costed apart', () => {
  const body: Subgraph = { id: 'sg1', name: 'then', nodes: [node('inner', 'MatMul', ['p', 'q'], ['r'])], tensors: new Map([f32('p', [2, 3]), f32('q', [3, 5], true), f32('r', [2, 5])].map((t) => [t.name, t])), inputs: [], outputs: ['r'], parentId: 'main', owner: 'If_0.then_branch' };
  const g = graph([{ ...node('If_0', 'If', ['c'], ['o']), subgraphIds: ['sg1'] }], [f32('c', [1]), f32('o', [2, 5])], ['c'], ['o'], { subgraphs: [body] });
  const { profile } = buildProfile(g, { cost });
  assert.deepEqual({ ...profile.opHistogram }, { If: 1, MatMul: 1 });
  assert.equal(profile.operatorCount, 2);
  assert.equal(profile.params, 15, 'weights inside subgraphs count');
  assert.equal(profile.macs, 0, 'main-graph MACs exclude bodies');
  assert.deepEqual(profile.subgraphCosts, [{ id: 'sg1', owner: 'If_0.then_branch', nodes: 1, macs: 30, flops: 0 }]);
});

test('a format without a compute graph has macs null and says why', () => {
  const g = graph([], [f32('w', [4, 4], true)], [], [], { format: 'safetensors', hasComputeGraph: false });
  const { profile } = buildProfile(g, { cost });
  assert.equal(profile.macs, null);
  assert.match(profile.macsUnknownReason ?? '', /stores weights, not the computation/);
  assert.equal(profile.params, 16);
});
