/**
 * ONNX reader on generated models: external data (present, missing, escaping the folder), nested If/Loop
 * bodies with Constant-node weights, symbolic dims, sparse initializers, quantisation parameters, custom
 * domains, IR 3 style inputs, metadata; and on the real fixtures against python3-onnx facts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { attr, floatTensor, int64Tensor, writeModel, type GraphSpec, type ModelSpec, type TensorSpec } from '../support/modelgen/onnx-builder';
import { readOnnx } from '../../src/analyzers/onnx/reader';
import { FileSource, withFileSource } from '../../src/analyzers/io/file-source';
import { allSubgraphs, type ModelGraph } from '../../src/analyzers/graph';
import { getValues } from '../../src/analyzers/onnx/values';
import { fixture, hasShared, SKIP_NO_SHARED, sharedDir, tempDir } from '../support/shared';
import { AnalysisCancelled } from '../../src/analyzers/profile-types';

function read(file: string, opts = {}): ModelGraph {
  const src = new FileSource(file);
  try {
    return readOnnx(src, opts);
  } finally {
    src.close();
  }
}

function constants(g: ModelGraph): { params: number; bytes: number } {
  let params = 0;
  let bytes = 0;
  for (const sg of allSubgraphs(g)) for (const t of sg.tensors.values()) if (t.isConstant) {
    params += t.elements ?? 0;
    bytes += t.storedBytes ?? 0;
  }
  return { params, bytes };
}

function matmulModel(w: TensorSpec): ModelSpec {
  return {
    graph: {
      name: 'g',
      nodes: [{ opType: 'MatMul', inputs: ['x', w.name!], outputs: ['y'] }],
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: [2, 3] }],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: [2, 4] }],
      initializers: [w],
    },
  };
}

test('external data present: location/offset/length kept, resolved inside the model folder, bytes never read', () => {
  const dir = tempDir('onnx-ext');
  fs.writeFileSync(path.join(dir, 'w.bin'), Buffer.alloc(1000));
  const file = path.join(dir, 'm.onnx');
  writeModel(matmulModel({ name: 'w', dataType: 'FLOAT', dims: [3, 4], external: { location: 'w.bin', offset: 128, length: 48 } }), file);
  const g = read(file);
  const w = g.main.tensors.get('w')!;
  assert.equal(w.isConstant, true);
  assert.equal(w.elements, 12);
  assert.equal(w.storedBytes, 48);
  assert.equal(w.dataOffset, undefined);
  assert.deepEqual({ ...w.external }, { location: 'w.bin', offset: 128, length: 48, resolvedPath: path.join(dir, 'w.bin') });
  assert.deepEqual(g.warnings, []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('external data missing: a warning and external.problem, the analysis goes on', () => {
  const dir = tempDir('onnx-ext');
  const file = path.join(dir, 'm.onnx');
  writeModel(matmulModel({ name: 'w', dataType: 'FLOAT', dims: [3, 4], external: { location: 'gone.bin' } }), file);
  const g = read(file);
  const w = g.main.tensors.get('w')!;
  assert.equal(w.storedBytes, 48); // elements x 4 bytes when no length is stated
  assert.match(w.external!.problem!, /gone\.bin.*missing/);
  assert.equal(g.warnings.length, 1);
  assert.match(g.warnings[0], /external data: file "gone.bin" is missing \(1 tensor, 48 bytes\)/);
  assert.equal(g.main.nodes.length, 1);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('external data escaping the folder ("../", absolute, symlink out) is refused, never resolved', () => {
  const outer = tempDir('onnx-ext');
  const dir = path.join(outer, 'model');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(outer, 'secret.bin'), Buffer.alloc(64));
  fs.symlinkSync(path.join(outer, 'secret.bin'), path.join(dir, 'link.bin'));
  for (const [location, pattern] of [
    ['../secret.bin', /leaves the allowed folder/],
    ['sub/../../secret.bin', /leaves the allowed folder/],
    [path.join(outer, 'secret.bin'), /absolute path/],
    ['link.bin', /link that leaves the allowed folder/],
  ] as const) {
    const file = path.join(dir, 'm.onnx');
    writeModel(matmulModel({ name: 'w', dataType: 'FLOAT', dims: [3, 4], external: { location, length: 48 } }), file);
    const g = read(file);
    const ext = g.main.tensors.get('w')!.external!;
    assert.match(ext.problem ?? '', pattern, location);
    assert.equal(ext.resolvedPath, undefined, location);
    assert.equal(g.warnings.length, 1);
  }
  // An explicit externalDataRoot that contains the parent folder allows "../".
  const file = path.join(dir, 'm.onnx');
  writeModel(matmulModel({ name: 'w', dataType: 'FLOAT', dims: [3, 4], external: { location: '../secret.bin', length: 48 } }), file);
  const g = read(file, { externalDataRoot: outer });
  assert.equal(g.main.tensors.get('w')!.external!.problem, undefined);
  fs.rmSync(outer, { recursive: true, force: true });
});

/** If (then: Constant weight + MatMul; else: nested If whose bodies hold more Constants) inside a Loop body. */
function nestedModel(): ModelSpec {
  const constW = (name: string, dims: number[]) => ({ opType: 'Constant', inputs: [], outputs: [name], attrs: [attr.tensor('value', floatTensor(`${name}_t`, dims))] });
  const inner = (tag: string, dims: number[]): GraphSpec => ({
    name: `inner_${tag}`,
    nodes: [constW(`k_${tag}`, dims), { opType: 'Mul', inputs: ['acc_in', `k_${tag}`], outputs: [`y_${tag}`] }],
    inputs: [],
    outputs: [{ name: `y_${tag}`, elemType: 'FLOAT', shape: [1, 8] }],
  });
  const thenB: GraphSpec = {
    name: 'then_b',
    nodes: [constW('w_then', [8, 8]), { opType: 'MatMul', inputs: ['acc_in', 'w_then'], outputs: ['y_then'] }],
    inputs: [],
    outputs: [{ name: 'y_then', elemType: 'FLOAT', shape: [1, 8] }],
  };
  const elseB: GraphSpec = {
    name: 'else_b',
    nodes: [
      { opType: 'Constant', inputs: [], outputs: ['c2'], attrs: [attr.ints('value_ints', [1, 2, 3])] },
      { opType: 'Constant', inputs: [], outputs: ['c3'], attrs: [attr.float('value_float', 0.5)] },
      { opType: 'If', inputs: ['cond_in'], outputs: ['y_else'], attrs: [attr.graph('then_branch', inner('a', [1, 8])), attr.graph('else_branch', inner('b', [8]))], name: 'inner_if' },
    ],
    inputs: [],
    outputs: [{ name: 'y_else', elemType: 'FLOAT', shape: [1, 8] }],
  };
  const body: GraphSpec = {
    name: 'body',
    nodes: [
      { opType: 'If', inputs: ['cond_in'], outputs: ['acc_out'], attrs: [attr.graph('then_branch', thenB), attr.graph('else_branch', elseB)], name: 'body_if' },
      { opType: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'] },
    ],
    inputs: [
      { name: 'i', elemType: 'INT64', shape: [] },
      { name: 'cond_in', elemType: 'BOOL', shape: [] },
      { name: 'acc_in', elemType: 'FLOAT', shape: [1, 8] },
    ],
    outputs: [
      { name: 'cond_out', elemType: 'BOOL', shape: [] },
      { name: 'acc_out', elemType: 'FLOAT', shape: [1, 8] },
    ],
  };
  return {
    opsetImports: [{ domain: '', version: 16 }],
    graph: {
      name: 'main',
      nodes: [{ opType: 'Loop', inputs: ['n', 'c', 'x'], outputs: ['y'], attrs: [attr.graph('body', body)], name: 'loop' }],
      inputs: [
        { name: 'x', elemType: 'FLOAT', shape: [1, 8] },
        { name: 'c', elemType: 'BOOL', shape: [] },
      ],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: [1, 8] }],
      initializers: [int64Tensor('n', [], [4])],
    },
  };
}

test('nested Loop/If bodies: every subgraph with parent links, Constant-node weights at any depth counted', () => {
  const dir = tempDir('onnx-nested');
  const file = path.join(dir, 'nested.onnx');
  writeModel(nestedModel(), file);
  const g = read(file);
  assert.deepEqual(g.subgraphs.map((s) => [s.id, s.parentId, s.owner]), [
    ['main/loop.body', 'main', 'loop.body'],
    ['main/loop.body/body_if.then_branch', 'main/loop.body', 'body_if.then_branch'],
    ['main/loop.body/body_if.else_branch', 'main/loop.body', 'body_if.else_branch'],
    ['main/loop.body/body_if.else_branch/inner_if.then_branch', 'main/loop.body/body_if.else_branch', 'inner_if.then_branch'],
    ['main/loop.body/body_if.else_branch/inner_if.else_branch', 'main/loop.body/body_if.else_branch', 'inner_if.else_branch'],
  ]);
  assert.deepEqual(g.main.nodes[0].subgraphIds, ['main/loop.body']);
  assert.equal(g.main.nodes[0].attrs.body, 'main/loop.body');
  // n (1) + w_then (64) + value_ints (3) + value_float (1) + k_a (8) + k_b (8)
  assert.deepEqual(constants(g), { params: 1 + 64 + 3 + 1 + 8 + 8, bytes: 8 + 256 + 24 + 4 + 32 + 32 });
  const elseB = g.subgraphs[2];
  assert.deepEqual(getValues(elseB.tensors.get('c2')), [1, 2, 3]);
  assert.equal(elseB.tensors.get('c2')!.dtype, 'INT64');
  assert.deepEqual(elseB.tensors.get('c3')!.shape, []);
  assert.equal(allSubgraphs(g).reduce((n, s) => n + s.nodes.length, 0), 1 + 2 + 2 + 3 + 2 + 2);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('symbolic and unnamed dims, non-tensor types, IR 3 inputs that are initializers, metadata and custom domains', () => {
  const dir = tempDir('onnx-sym');
  const file = path.join(dir, 'sym.onnx');
  writeModel(
    {
      irVersion: 3,
      opsetImports: [{ domain: '', version: 9 }, { domain: 'com.acme', version: 2 }],
      producerName: 'unit',
      producerVersion: '1.2',
      metadataProps: { author: 'me' },
      graph: {
        name: 'sym',
        nodes: [
          { opType: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['h'], attrs: [attr.int('transB', 1)] },
          { opType: 'Fancy', domain: 'com.acme', inputs: ['h'], outputs: ['y'] },
        ],
        inputs: [
          { name: 'x', elemType: 'FLOAT', shape: ['batch', null] },
          { name: 'w', elemType: 'FLOAT', shape: [4, 6] },
          { name: 'b', elemType: 'FLOAT', shape: [4] },
          { name: 'rankless', elemType: 'FLOAT16' },
        ],
        outputs: [{ name: 'y', elemType: 'FLOAT', shape: ['batch', 4] }],
        initializers: [floatTensor('w', [4, 6]), { name: 'b', dataType: 'FLOAT', dims: [4], floatData: [1, 2, 3, 4] }],
        valueInfo: [{ name: 'h', elemType: 'FLOAT', shape: ['batch', 4] }],
      },
    },
    file,
  );
  const g = read(file);
  assert.deepEqual(g.main.inputs, ['x', 'rankless']);
  assert.deepEqual(g.main.tensors.get('x')!.shape, ['batch', '?']);
  assert.equal(g.main.tensors.get('rankless')!.shape, null);
  assert.equal(g.main.tensors.get('rankless')!.precision, 'fp16');
  assert.deepEqual(g.main.tensors.get('h')!.shape, ['batch', 4]);
  assert.deepEqual(getValues(g.main.tensors.get('b')), [1, 2, 3, 4]);
  assert.equal(g.main.tensors.get('b')!.storedBytes, 16);
  assert.equal(g.main.tensors.get('w')!.dataOffset! > 0, true);
  assert.deepEqual(g.main.nodes.map((n) => n.op), ['Gemm', 'com.acme:Fancy']);
  assert.equal(g.main.nodes[1].domain, 'com.acme');
  assert.deepEqual({ ...g.metadata.opset }, { 'ai.onnx': 9, 'com.acme': 2 });
  assert.equal(g.metadata.irVersion, 3);
  assert.equal(g.metadata.producer, 'unit 1.2');
  assert.equal(g.metadata.extra?.['meta.author'], 'me');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sparse initializer: dense element count, stored bytes = values + indices', () => {
  const dir = tempDir('onnx-sparse');
  const file = path.join(dir, 'sparse.onnx');
  writeModel(
    {
      graph: {
        name: 's',
        nodes: [{ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
        inputs: [{ name: 'x', elemType: 'FLOAT', shape: [2, 10] }],
        outputs: [{ name: 'y', elemType: 'FLOAT', shape: [2, 10] }],
        sparseInitializers: [{ values: floatTensor('w', [3], { values: [1, 2, 3] }), indices: int64Tensor('w_idx', [3], [0, 11, 99]), dims: [10, 10] }],
      },
    },
    file,
  );
  const w = read(file).main.tensors.get('w')!;
  assert.equal(w.elements, 100);
  assert.equal(w.storedBytes, 3 * 4 + 3 * 8);
  assert.deepEqual(w.shape, [10, 10]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('quantised graph: QDQ per-channel and QLinearConv scales / zero points recorded on the quantised tensors', () => {
  const dir = tempDir('onnx-quant');
  const file = path.join(dir, 'q.onnx');
  const u8 = (name: string, dims: number[], vals: number[]): TensorSpec => ({ name, dataType: 'UINT8', dims, raw: Buffer.from(vals) });
  const i8 = (name: string, dims: number[], vals: number[]): TensorSpec => ({ name, dataType: 'INT8', dims, raw: Buffer.from(Int8Array.from(vals).buffer) });
  writeModel(
    {
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        name: 'q',
        nodes: [
          { opType: 'QuantizeLinear', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
          { opType: 'DequantizeLinear', inputs: ['xq', 'xs', 'xz'], outputs: ['xd'] },
          { opType: 'DequantizeLinear', inputs: ['wq', 'ws', 'wz'], outputs: ['wd'], attrs: [attr.int('axis', 0)] },
          { opType: 'Conv', inputs: ['xd', 'wd'], outputs: ['y'], attrs: [attr.ints('kernel_shape', [1, 1])] },
          { opType: 'QLinearConv', inputs: ['xq', 'xs', 'xz', 'wq2', 'ws', 'wz2', 'ys', 'yz'], outputs: ['yq'] },
        ],
        inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1, 2, 4, 4] }],
        outputs: [
          { name: 'y', elemType: 'FLOAT', shape: [1, 3, 4, 4] },
          { name: 'yq', elemType: 'UINT8', shape: [1, 3, 4, 4] },
        ],
        initializers: [
          floatTensor('xs', [], { values: [0.5] }),
          u8('xz', [], [128]),
          i8('wq', [3, 2, 1, 1], [1, 2, 3, 4, 5, 6]),
          floatTensor('ws', [3], { values: [0.25, 0.5, 1] }),
          i8('wz', [3], [0, 0, 0]),
          u8('wq2', [3, 2, 1, 1], [1, 2, 3, 4, 5, 6]),
          u8('wz2', [3], [1, 2, 3]),
          floatTensor('ys', [], { values: [2] }),
          u8('yz', [], [10]),
        ],
      },
    },
    file,
  );
  const g = read(file);
  const t = (n: string) => g.main.tensors.get(n)!;
  assert.deepEqual(t('xq').quant, { scale: [0.5], zeroPoint: [128] });
  assert.deepEqual(t('wq').quant, { scale: [0.25, 0.5, 1], zeroPoint: [0, 0, 0], axis: 0 });
  assert.deepEqual(t('wq2').quant, { scale: [0.25, 0.5, 1], zeroPoint: [1, 2, 3], axis: 0 });
  assert.deepEqual(t('yq').quant, { scale: [2], zeroPoint: [10] });
  assert.equal(t('wq').precision, 'int8');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the reader reads only what it needs: a model with 4 MB of raw weights reads a few blocks', async () => {
  const dir = tempDir('onnx-lazy');
  const file = path.join(dir, 'big.onnx');
  writeModel(matmulModel({ name: 'w', dataType: 'FLOAT', dims: [1024, 1024], raw: { zeros: 4 * 1024 * 1024 } }), file);
  await withFileSource(file, (src) => {
    const g = readOnnx(src, {});
    assert.equal(g.main.tensors.get('w')!.elements, 1024 * 1024);
    assert.ok(src.bytesRead < 300 * 1024, `read ${src.bytesRead} bytes of ${src.size}`);
  });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('progress is reported while reading a large graph, and returning true cancels', () => {
  const dir = tempDir('onnx-progress');
  const file = path.join(dir, 'chain.onnx');
  const nodes = Array.from({ length: 3000 }, (_, i) => ({ opType: 'Relu', inputs: [i ? `t${i - 1}` : 'x'], outputs: [`t${i}`] }));
  writeModel({ graph: { name: 'chain', nodes, inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1, 4] }], outputs: [{ name: 't2999', elemType: 'FLOAT' }] } }, file);
  const seen: number[] = [];
  const g = read(file, { onProgress: (f: number) => void seen.push(f) });
  assert.equal(g.main.nodes.length, 3000);
  assert.ok(seen.length >= 4 && seen.every((f, i) => f > 0 && f < 1 && (i === 0 || f >= seen[i - 1])), JSON.stringify(seen));
  assert.throws(() => read(file, { onProgress: () => true }), AnalysisCancelled);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** python3-onnx facts for the real fixtures (facts/*.json, read by Debian's python3-onnx 1.12). */
test('real fixtures: histogram, constants (main + subgraphs), inputs/outputs and metadata equal python3-onnx facts', { skip: SKIP_NO_SHARED }, () => {
  const factsDir = path.join(sharedDir, 'models', 'facts');
  const files = fs.readdirSync(factsDir).filter((f) => f.endsWith('.onnx.json'));
  assert.ok(files.length >= 7);
  for (const f of files) {
    const facts = JSON.parse(fs.readFileSync(path.join(factsDir, f), 'utf8'));
    const g = read(fixture(f.replace(/\.json$/, '')));
    const hist: Record<string, number> = {};
    for (const n of g.main.nodes) {
      const k = n.op.replace(/^([^:]+):/, '$1::');
      hist[k] = (hist[k] ?? 0) + 1;
    }
    assert.deepEqual(hist, facts.op_histogram, f);
    const subHist: Record<string, number> = {};
    for (const sg of g.subgraphs) for (const n of sg.nodes) subHist[n.op] = (subHist[n.op] ?? 0) + 1;
    assert.deepEqual(subHist, facts.subgraph_op_histogram, f);
    assert.equal(g.subgraphs.length, facts.subgraph_count, f);
    let initP = 0, initB = 0, constN = 0, constP = 0, constB = 0, subConstN = 0, subConstP = 0, subConstB = 0;
    for (const sg of allSubgraphs(g)) {
      const constOuts = new Set(sg.nodes.filter((n) => n.op === 'Constant').map((n) => n.outputs[0]));
      for (const t of sg.tensors.values()) {
        if (!t.isConstant) continue;
        if (constOuts.has(t.name)) {
          if (sg === g.main) { constN++; constP += t.elements!; constB += t.storedBytes!; }
          else { subConstN++; subConstP += t.elements!; subConstB += t.storedBytes!; }
        } else if (sg === g.main) { initP += t.elements!; initB += t.storedBytes!; }
      }
    }
    assert.deepEqual([initP, initB], [facts.param_count, facts.initializer_bytes], `${f} initializers`);
    assert.deepEqual([constN, constP, constB], [facts.constant_nodes, facts.constant_node_elems, facts.constant_node_bytes], `${f} Constant nodes`);
    assert.deepEqual([subConstN, subConstP, subConstB], [facts.subgraph_constant_nodes, facts.subgraph_constant_node_elems, facts.subgraph_constant_node_bytes], `${f} subgraph Constant nodes`);
    const io = (names: string[]) => names.map((n) => ({ name: n, dtype: g.main.tensors.get(n)!.dtype, shape: g.main.tensors.get(n)!.shape }));
    assert.deepEqual(io(g.main.inputs), facts.inputs, f);
    assert.deepEqual(io(g.main.outputs), facts.outputs, f);
    assert.equal(g.metadata.irVersion, facts.ir_version, f);
    assert.deepEqual({ ...g.metadata.opset }, facts.opset_import, f);
    assert.equal(g.metadata.producer ?? '', facts.producer, f);
  }
});

test('hasShared sanity: the shared folder is where the support module says', { skip: SKIP_NO_SHARED }, () => {
  assert.ok(hasShared && fs.existsSync(fixture('silero_vad.onnx')));
});
