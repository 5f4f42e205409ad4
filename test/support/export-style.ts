/**
 * Rewrites a cleanly built ONNX model the way `torch.onnx.export` (with a dynamic batch axis) leaves it, without
 * changing what it computes: the batch dimension becomes the symbol "batch_size"; every Conv with a bias becomes a
 * Conv without bias followed by BatchNormalization (scale 1, mean 0, var 1, bias = the conv's bias); every
 * Flatten and every constant Reshape target gets the batch size from a Shape -> Gather -> Unsqueeze -> Concat
 * chain; every Add of two activations is followed by an Identity. Used by the deployed-graph tests: both files
 * must get the same compatibility verdict and latency on every device.
 */
import type { ModelSpec, NodeSpec, TensorSpec, ValueInfoSpec } from './modelgen/onnx-builder';
import { attr, floatTensor, int64Tensor } from './modelgen/onnx-builder';

export function torchExportStyle(clean: ModelSpec): ModelSpec {
  const g = clean.graph;
  const inits = new Map((g.initializers ?? []).map((t) => [t.name!, t]));
  const newInits: TensorSpec[] = [...(g.initializers ?? [])];
  const nodes: NodeSpec[] = [];
  let k = 0;
  const uid = (p: string) => `${p}_${k++}`;
  const constI64 = (values: number[], scalar = false): string => {
    const name = uid('Constant_output');
    newInits.push(scalar ? { ...int64Tensor(name, [], values) } : int64Tensor(name, [values.length], values));
    return name;
  };
  /** Shape(x) -> Gather(0) -> Unsqueeze(axes=[0]): the batch size as a 1-element tensor. */
  const batchOf = (x: string): string => {
    const [shape] = [uid('Shape_output')];
    nodes.push({ opType: 'Shape', inputs: [x], outputs: [shape], name: uid('Shape') });
    const gathered = uid('Gather_output');
    nodes.push({ opType: 'Gather', inputs: [shape, constI64([0], true)], outputs: [gathered], name: uid('Gather'), attrs: [attr.int('axis', 0)] });
    const unsq = uid('Unsqueeze_output');
    nodes.push({ opType: 'Unsqueeze', inputs: [gathered, constI64([0])], outputs: [unsq], name: uid('Unsqueeze') });
    return unsq;
  };
  const concatTarget = (x: string, rest: number[]): string => {
    const out = uid('Concat_output');
    nodes.push({ opType: 'Concat', inputs: [batchOf(x), constI64(rest)], outputs: [out], name: uid('Concat'), attrs: [attr.int('axis', 0)] });
    return out;
  };
  const isInit = (t: string) => inits.has(t);

  for (const n of g.nodes) {
    if (n.opType === 'Conv' && n.inputs.length === 3 && isInit(n.inputs[2])) {
      const bias = inits.get(n.inputs[2])!;
      const c = bias.dims[0];
      const pre = uid('conv_nobias_out');
      nodes.push({ ...n, inputs: n.inputs.slice(0, 2), outputs: [pre] });
      const scale = uid('bn.weight');
      const mean = uid('bn.running_mean');
      const varName = uid('bn.running_var');
      newInits.push(floatTensor(scale, [c], { values: new Array(c).fill(1) }), floatTensor(mean, [c], { values: new Array(c).fill(0) }), floatTensor(varName, [c], { values: new Array(c).fill(1) }));
      nodes.push({ opType: 'BatchNormalization', inputs: [pre, scale, n.inputs[2], mean, varName], outputs: n.outputs, name: uid('BatchNormalization'), attrs: [attr.float('epsilon', 0)] });
      continue;
    }
    if (n.opType === 'Flatten') {
      nodes.push({ opType: 'Reshape', inputs: [n.inputs[0], concatTarget(n.inputs[0], [-1])], outputs: n.outputs, name: uid('Reshape') });
      continue;
    }
    if (n.opType === 'Reshape' && isInit(n.inputs[1])) {
      const t = inits.get(n.inputs[1])!;
      const target = (t.int64Data ?? []).map(Number);
      if (target.length >= 2) {
        nodes.push({ opType: 'Reshape', inputs: [n.inputs[0], concatTarget(n.inputs[0], target.slice(1))], outputs: n.outputs, name: uid('Reshape') });
        continue;
      }
    }
    if (n.opType === 'Add' && n.inputs.every((t) => !isInit(t))) {
      const pre = uid('add_out');
      nodes.push({ ...n, outputs: [pre] });
      nodes.push({ opType: 'Identity', inputs: [pre], outputs: n.outputs, name: uid('Identity') });
      continue;
    }
    nodes.push(n);
  }
  const batchSymbol = (v: ValueInfoSpec): ValueInfoSpec => (v.shape && v.shape.length ? { ...v, shape: ['batch_size', ...v.shape.slice(1)] } : v);
  return {
    ...clean,
    producerName: 'pytorch',
    graph: { ...g, nodes, initializers: newInits, inputs: g.inputs.map(batchSymbol), outputs: g.outputs.map(batchSymbol), valueInfo: [] },
  };
}
