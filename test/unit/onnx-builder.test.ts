/**
 * The ONNX builder writes files that an independent reader (Debian's python3-onnx: onnx.load + the full
 * checker) accepts, with the nodes, shapes and tensors we asked for; and the protobuf reader walks them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { attr, encodeModel, floatTensor, int64Tensor, OnnxGraphBuilder, writeModel, type GraphSpec, type ModelSpec } from '../support/modelgen/onnx-builder';
import { BufferSource, ProtoReader, WireType } from '../../src/analyzers/io/protobuf';
import { ModelFileError } from '../../src/analyzers/errors';
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
const SKIP_PY = hasPythonOnnx ? false : 'python3-onnx is not installed (/usr/bin/python3 -c "import onnx" failed)';

/** Runs the onnx checker and returns facts read by python3-onnx. */
function pythonFacts(file: string): any {
  const script = `
import onnx, json, sys
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
def dims(vi):
    t = vi.type.tensor_type
    if not t.HasField('shape'): return None
    return [d.dim_value if d.HasField('dim_value') else (d.dim_param if d.HasField('dim_param') else '?') for d in t.shape.dim]
def graph_ops(g, acc):
    for n in g.node:
        k = (n.domain + ':' if n.domain not in ('', 'ai.onnx') else '') + n.op_type
        acc[k] = acc.get(k, 0) + 1
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH: graph_ops(a.g, acc)
            if a.type == onnx.AttributeProto.GRAPHS:
                for s in a.graphs: graph_ops(s, acc)
    return acc
g = m.graph
print(json.dumps({
  'ir': m.ir_version,
  'opset': {o.domain: o.version for o in m.opset_import},
  'inputs': [[i.name, i.type.tensor_type.elem_type, dims(i)] for i in g.input],
  'outputs': [[o.name, o.type.tensor_type.elem_type, dims(o)] for o in g.output],
  'ops': graph_ops(g, {}),
  'init': {t.name: [list(t.dims), int(numpy_helper.to_array(t).size) if t.data_location != 1 else -1] for t in g.initializer},
}))
`;
  return JSON.parse(execFileSync(PY, ['-c', script, file], { encoding: 'utf8' }));
}

function tinyCnn(): ModelSpec {
  const b = new OnnxGraphBuilder('tiny_cnn');
  const x = b.input('image', ['batch', 3, 32, 32]);
  let y = b.relu(b.conv(x, 8, { kernel: 3, pad: 1 }));
  y = b.relu(b.depthwiseConv(y, { kernel: 3, stride: 2, pad: 1 }));
  y = b.maxPool(y, 2);
  const branch = b.conv(y, 8, { kernel: 1, bias: false });
  y = b.concat([y, b.add(branch, y)], 1);
  y = b.globalAvgPool(y);
  y = b.flatten(y);
  y = b.gemm(y, 10);
  y = b.matmul(y, 4);
  y = b.reshape(y, [0, -1]);
  const out = b.softmax(y);
  b.output(out);
  return b.model({ opset: 13 });
}

test('builder layer helpers: python3-onnx checker accepts the model and reads back the same graph', { skip: SKIP_PY }, () => {
  const dir = tempDir('onnx-builder');
  const file = path.join(dir, 'tiny.onnx');
  writeModel(tinyCnn(), file);
  const f = pythonFacts(file);
  assert.equal(f.ir, 8);
  assert.deepEqual(f.opset, { '': 13 });
  assert.deepEqual(f.inputs, [['image', 1, ['batch', 3, 32, 32]]]);
  assert.equal(f.outputs.length, 1);
  assert.deepEqual(f.outputs[0][2], ['batch', 4]);
  assert.deepEqual(f.ops, { Conv: 3, Relu: 2, MaxPool: 1, Add: 1, Concat: 1, GlobalAveragePool: 1, Flatten: 1, Gemm: 1, MatMul: 1, Reshape: 1, Softmax: 1 });
  // First conv weight: 8 x 3 x 3 x 3 = 216 elements; depthwise: 8 x 1 x 3 x 3.
  const inits = Object.entries(f.init) as [string, [number[], number]][];
  const convW = inits.filter(([n]) => n.endsWith('.weight')).map(([, v]) => v[0]);
  assert.deepEqual(convW[0], [8, 3, 3, 3]);
  assert.deepEqual(convW[1], [8, 1, 3, 3]);
  fs.rmSync(dir, { recursive: true, force: true });
});

function subgraphModel(): ModelSpec {
  const constNode = (name: string, dims: number[]) => ({ opType: 'Constant', inputs: [], outputs: [name], attrs: [attr.tensor('value', floatTensor(`${name}_t`, dims))] });
  const thenBranch: GraphSpec = {
    name: 'then_body',
    nodes: [constNode('w_then', [4, 4]), { opType: 'MatMul', inputs: ['x', 'w_then'], outputs: ['y_then'] }],
    inputs: [],
    outputs: [{ name: 'y_then', elemType: 'FLOAT', shape: [1, 4] }],
  };
  const elseBranch: GraphSpec = {
    name: 'else_body',
    nodes: [
      { opType: 'Constant', inputs: [], outputs: ['k'], attrs: [attr.floats('value_floats', [1, 2, 3, 4])] },
      { opType: 'Mul', inputs: ['x', 'k'], outputs: ['y_else'] },
    ],
    inputs: [],
    outputs: [{ name: 'y_else', elemType: 'FLOAT', shape: [1, 4] }],
  };
  const loopBody: GraphSpec = {
    name: 'loop_body',
    nodes: [
      { opType: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'] },
      constNode('w_loop', [4, 4]),
      { opType: 'MatMul', inputs: ['acc_in', 'w_loop'], outputs: ['acc_out'] },
    ],
    inputs: [
      { name: 'iter', elemType: 'INT64', shape: [] },
      { name: 'cond_in', elemType: 'BOOL', shape: [] },
      { name: 'acc_in', elemType: 'FLOAT', shape: [1, 4] },
    ],
    outputs: [
      { name: 'cond_out', elemType: 'BOOL', shape: [] },
      { name: 'acc_out', elemType: 'FLOAT', shape: [1, 4] },
    ],
  };
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 16 }, { domain: 'com.example', version: 1 }],
    producerName: 'test',
    graph: {
      name: 'main',
      nodes: [
        { opType: 'If', inputs: ['flag'], outputs: ['y'], attrs: [attr.graph('then_branch', thenBranch), attr.graph('else_branch', elseBranch)], name: 'if0' },
        { opType: 'Loop', inputs: ['trip', '', 'y'], outputs: ['z'], attrs: [attr.graph('body', loopBody)], name: 'loop0' },
        { opType: 'Scale', domain: 'com.example', inputs: ['z'], outputs: ['out'], attrs: [attr.float('alpha', 0.5), attr.string('mode', 'fast'), attr.strings('tags', ['a', 'b']), attr.ints('ks', [1, -1])], name: 'custom0' },
      ],
      inputs: [
        { name: 'x', elemType: 'FLOAT', shape: [1, 4] },
        { name: 'flag', elemType: 'BOOL', shape: [] },
      ],
      outputs: [{ name: 'out', elemType: 'FLOAT', shape: [1, null] }],
      initializers: [int64Tensor('trip', [], [3])],
      sparseInitializers: [
        { values: floatTensor('sp', [2], { values: [1, 2] }), indices: int64Tensor('sp_idx', [2], [0, 5]), dims: [3, 4] },
      ],
    },
  };
}

test('builder subgraphs, custom domain, sparse initializer and attribute kinds pass the python3-onnx checker', { skip: SKIP_PY }, () => {
  const dir = tempDir('onnx-builder');
  const file = path.join(dir, 'sub.onnx');
  fs.writeFileSync(file, encodeModel(subgraphModel()));
  const f = pythonFacts(file);
  assert.deepEqual(f.opset, { '': 16, 'com.example': 1 });
  assert.deepEqual(f.ops, { If: 1, Loop: 1, 'com.example:Scale': 1, Constant: 3, MatMul: 2, Mul: 1, Identity: 1 });
  assert.deepEqual(f.outputs, [['out', 1, [1, '?']]]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('builder external data: python3-onnx resolves location/offset/length', { skip: SKIP_PY }, () => {
  const dir = tempDir('onnx-builder');
  const file = path.join(dir, 'ext.onnx');
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(64 + 4 * 12));
  writeModel(
    {
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        name: 'ext',
        nodes: [{ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
        inputs: [{ name: 'x', elemType: 'FLOAT', shape: [2, 3] }],
        outputs: [{ name: 'y', elemType: 'FLOAT', shape: [2, 4] }],
        initializers: [{ name: 'w', dataType: 'FLOAT', dims: [3, 4], external: { location: 'weights.bin', offset: 64, length: 48 } }],
      },
    },
    file,
  );
  const script = `
import onnx, sys
m = onnx.load(sys.argv[1], load_external_data=False)
onnx.checker.check_model(sys.argv[1])
t = m.graph.initializer[0]
print(t.data_location, {e.key: e.value for e in t.external_data}, len(onnx.load(sys.argv[1]).graph.initializer[0].raw_data))`;
  const out = execFileSync(PY, ['-c', script, file], { encoding: 'utf8' }).trim();
  // onnx.load with external data resolves it into raw_data: 12 floats = 48 bytes.
  assert.match(out, /^1 .*'location': 'weights.bin', 'offset': '64', 'length': '48'/);
  assert.match(out, / 48$/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('protobuf reader walks the builder output: top-level fields, nested messages, skipped raw_data', () => {
  const buf = encodeModel(tinyCnn());
  const r = new ProtoReader(new BufferSource('tiny.onnx', buf));
  const top = [...r.fields(r.root())];
  assert.deepEqual(top.map((f) => f.field), [1, 2, 7, 8]);
  assert.equal(top[0].varint, 8);
  assert.equal(r.string(top[1]), 'edgeplan-modelgen');
  const graph = r.message(top[2]);
  let nodes = 0;
  let rawBytes = 0;
  for (const f of r.fields(graph)) {
    if (f.field === 1) nodes++;
    if (f.field === 5) for (const tf of r.fields(r.message(f, 'tensor', graph))) if (tf.field === 9) rawBytes += tf.length;
  }
  assert.equal(nodes, 14);
  // Weights: conv 8*3*3*3+8, dw 8*9+8, conv1x1 8*8, gemm 10*16+10, matmul 10*4 floats; reshape shape 2 int64.
  assert.equal(rawBytes, (216 + 8 + 72 + 8 + 64 + 160 + 10 + 40) * 4 + 2 * 8);
});

test('protobuf reader: varints incl. negative int64, packed and unpacked repeated fields', () => {
  // field 1 varint -1 (10 bytes), field 2 packed [1, 300, 2^40], field 3 unpacked 7, field 4 float 1.5
  const parts = [
    Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    Buffer.from([0x12, 0x09, 0x01, 0xac, 0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]),
    Buffer.from([0x18, 0x07]),
    Buffer.from([0x25, 0, 0, 0xc0, 0x3f]),
  ];
  const r = new ProtoReader(new BufferSource('<buffer>', Buffer.concat(parts)));
  const fs_ = [...r.fields(r.root())];
  assert.equal(fs_[0].varint, -1);
  assert.deepEqual(r.ints(fs_[1], [], 10), [1, 300, 2 ** 40]);
  assert.equal(r.countValues(fs_[1], 'varint'), 3);
  assert.deepEqual(r.ints(fs_[2], [], 10), [7]);
  assert.equal(fs_[3].wire, WireType.Fixed32);
  assert.equal(r.float32(fs_[3]), 1.5);
});

test('protobuf reader: lengths past the end, bad wire types, overlong varints and deep nesting are ModelFileErrors', () => {
  const walk = (b: Buffer) => {
    const r = new ProtoReader(new BufferSource('bad.bin', b));
    const visit = (m: ReturnType<typeof r.root>): void => {
      for (const f of r.fields(m)) if (f.wire === WireType.LengthDelimited && f.length > 0) visit(r.message(f, 'm', m));
    };
    visit(r.root());
  };
  assert.throws(() => walk(Buffer.from([0x0a, 0x7f, 0x00])), ModelFileError); // length 127, 1 byte left
  assert.throws(() => walk(Buffer.from([0x0b, 0x00])), ModelFileError); // group wire type
  assert.throws(() => walk(Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), ModelFileError);
  assert.throws(() => walk(Buffer.from([0x08])), ModelFileError); // truncated varint
  assert.throws(() => walk(Buffer.from([0x00, 0x00])), ModelFileError); // field number 0
  // 2000 nested length-delimited messages: refused by the depth bound, not a stack overflow.
  let nested = Buffer.alloc(0);
  for (let i = 0; i < 2000; i++) {
    const len: number[] = [];
    let l = nested.length;
    do {
      len.push((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
      l >>>= 7;
    } while (l);
    nested = Buffer.concat([Buffer.from([0x0a, ...len]), nested]);
  }
  assert.throws(() => walk(nested), (e: unknown) => e instanceof ModelFileError && /nested deeper/.test(e.message));
});
