/**
 * Hostile ONNX input: every mutation (truncation at many points, byte flips, zero bytes, absurd dims,
 * lengths past the end, deep nesting, cycles) must give a graph or a ModelFileError — never another
 * exception, a hang or a huge allocation. Also a ~200 MB model: reading it touches a few blocks only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { attr, encodeModel, floatTensor, writeModel, type GraphSpec, type ModelSpec } from '../support/modelgen/onnx-builder';
import { readOnnx } from '../../src/analyzers/onnx/reader';
import { inferOnnxShapes } from '../../src/analyzers/shapes';
import { onnxNodeCost } from '../../src/analyzers/cost/onnx';
import { BufferSource } from '../../src/analyzers/io/protobuf';
import { FileSource } from '../../src/analyzers/io/file-source';
import { ModelFileError } from '../../src/analyzers/errors';
import { allSubgraphs } from '../../src/analyzers/graph';
import { fixture, hasShared, tempDir, unlabelled } from '../support/shared';
import { seededRandom } from '../../src/seeded-random';

/** Read + infer + cost; returns 'graph' or 'error' (ModelFileError); anything else throws. */
function attempt(buf: Buffer, what: string): 'graph' | 'error' {
  try {
    const g = readOnnx(new BufferSource(what, buf), {});
    inferOnnxShapes(g, { batch: 1, '?': 1 });
    for (const sg of allSubgraphs(g)) for (const n of sg.nodes) onnxNodeCost(n, sg, g);
    return 'graph';
  } catch (e) {
    if (e instanceof ModelFileError) {
      assert.ok(!e.message.includes('\n'), `${what}: multi-line error ${e.message}`);
      return 'error';
    }
    throw new Error(`${what}: ${(e as Error)?.stack ?? e}`);
  }
}

const rng = seededRandom;

function nestedModel(): Buffer {
  const cst = (name: string) => ({ opType: 'Constant', inputs: [], outputs: [name], attrs: [attr.tensor('value', floatTensor(`${name}_t`, [2, 2]))] });
  const branch = (tag: string): GraphSpec => ({
    name: tag,
    nodes: [cst(`k${tag}`), { opType: 'MatMul', inputs: ['x', `k${tag}`], outputs: [`y${tag}`] }],
    inputs: [],
    outputs: [{ name: `y${tag}`, elemType: 'FLOAT', shape: [2, 2] }],
  });
  return encodeModel({
    opsetImports: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      nodes: [
        { opType: 'Shape', inputs: ['x'], outputs: ['s'] },
        { opType: 'Reshape', inputs: ['x', 's'], outputs: ['r'] },
        { opType: 'If', inputs: ['c'], outputs: ['y'], attrs: [attr.graph('then_branch', branch('a')), attr.graph('else_branch', branch('b'))] },
        { opType: 'Conv', inputs: ['img', 'w'], outputs: ['z'], attrs: [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])] },
      ],
      inputs: [
        { name: 'x', elemType: 'FLOAT', shape: ['batch', 2] },
        { name: 'c', elemType: 'BOOL', shape: [] },
        { name: 'img', elemType: 'FLOAT', shape: [1, 2, 8, 8] },
      ],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: [2, 2] }, { name: 'z', elemType: 'FLOAT' }],
      initializers: [floatTensor('w', [4, 2, 3, 3])],
    },
  });
}

function corpus(): [string, Buffer][] {
  const out: [string, Buffer][] = [['generated-nested.onnx', nestedModel()]];
  if (hasShared) {
    for (const f of ['light_squeezenet.onnx', 'onnx_node_test_qlinearconv.onnx', 'pytorch_super_resolution.onnx', 'silero_vad.onnx', 'test_bert_tokenizer.onnx', 'face_detection_front_128x128_barracuda.onnx', 'silero_vad_half.onnx']) {
      out.push([f, fs.readFileSync(fixture(f))]);
    }
    out.push(['FastestDet.onnx', fs.readFileSync(unlabelled('FastestDet.onnx'))]);
  }
  return out;
}

test('every corpus file reads cleanly before mutation', () => {
  for (const [name, buf] of corpus()) assert.equal(attempt(buf, name), 'graph', name);
});

test('truncation at many points: a graph or a ModelFileError, nothing else', { timeout: 120_000 }, () => {
  let errors = 0;
  for (const [name, buf] of corpus()) {
    const points = new Set<number>([0, 1, 2, 5, 10, 17, 64, 100, 255, 1000, 4096]);
    for (let i = 1; i < 24; i++) points.add(Math.floor((buf.length * i) / 24));
    points.add(buf.length - 1);
    for (const p of points) {
      if (p >= buf.length) continue;
      if (attempt(buf.subarray(0, p), `${name} truncated at ${p}`) === 'error') errors++;
    }
  }
  assert.ok(errors > 0, 'truncations produced no errors at all: the reader accepts anything');
});

test('byte flips (bounded fuzz, seeded): a graph or a ModelFileError, nothing else', { timeout: 300_000 }, () => {
  const rand = rng(20261125);
  let errors = 0;
  let graphs = 0;
  for (const [name, buf] of corpus()) {
    const mutations = buf.length < 100_000 ? 300 : 60;
    for (let m = 0; m < mutations; m++) {
      const copy = Buffer.from(buf);
      const flips = 1 + Math.floor(rand() * 4);
      const where: number[] = [];
      for (let k = 0; k < flips; k++) {
        // Structure lives mostly near the start and between weights: bias towards the first 8 KiB.
        const pos = rand() < 0.6 ? Math.floor(rand() * Math.min(copy.length, 8192)) : Math.floor(rand() * copy.length);
        copy[pos] = rand() < 0.5 ? copy[pos] ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
        where.push(pos);
      }
      if (attempt(copy, `${name} mutated at ${where.join(',')}`) === 'error') errors++;
      else graphs++;
    }
  }
  assert.ok(errors > 0 && graphs > 0, `errors ${errors}, graphs ${graphs}`);
});

test('zero-byte, garbage and non-ONNX inputs are ModelFileErrors with one-line reasons', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /empty/],
    ['zeros', Buffer.alloc(100), /field number 0|corrupted/],
    ['text', Buffer.from('hello world, this is not a model'), /./],
    ['no graph', Buffer.from([0x08, 0x07]), /no graph/],
    ['length past end', Buffer.from([0x08, 0x07, 0x3a, 0xff, 0xff, 0x03, 0x00]), /declares 65535 bytes but only 1 remain/],
  ];
  for (const [what, buf, re] of cases) {
    assert.throws(() => readOnnx(new BufferSource(what, buf), {}), (e: unknown) => e instanceof ModelFileError && re.test(e.message), what);
  }
});

test('absurd dims: a 2^40-element initializer is refused; absurd activation dims never allocate', () => {
  const big: ModelSpec = {
    graph: {
      name: 'g',
      nodes: [{ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1, 1 << 20] }],
      outputs: [{ name: 'y', elemType: 'FLOAT' }],
      initializers: [{ name: 'w', dataType: 'FLOAT', dims: [1 << 20, 1 << 20], raw: Buffer.alloc(0) }],
    },
  };
  assert.throws(() => readOnnx(new BufferSource('big.onnx', encodeModel(big)), {}), (e: unknown) => e instanceof ModelFileError && /more than the limit/.test(e.message));
  // Activations with absurd dims and a ConstantOfShape asking for 2^60 elements: shapes only, no allocation.
  const huge: ModelSpec = {
    opsetImports: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      nodes: [
        { opType: 'ConstantOfShape', inputs: ['s'], outputs: ['c'] },
        { opType: 'Relu', inputs: ['x'], outputs: ['r'] },
        { opType: 'MatMul', inputs: ['r', 'r'], outputs: ['m'] },
      ],
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: [2 ** 30, 2 ** 30] }],
      outputs: [{ name: 'm', elemType: 'FLOAT' }, { name: 'c', elemType: 'FLOAT' }],
      initializers: [{ name: 's', dataType: 'INT64', dims: [3], int64Data: [2 ** 20, 2 ** 20, 2 ** 20] }],
    },
  };
  const g = readOnnx(new BufferSource('huge.onnx', encodeModel(huge)), {});
  const warnings = inferOnnxShapes(g, {});
  assert.deepEqual(g.main.tensors.get('c')!.shape, [2 ** 20, 2 ** 20, 2 ** 20]);
  assert.deepEqual(g.main.tensors.get('m')!.shape, [2 ** 30, 2 ** 30]);
  assert.deepEqual(warnings, []);
  assert.equal(onnxNodeCost(g.main.nodes[2], g.main, g).macs, 2 ** 90);
});

test('subgraphs nested deeper than the limit are refused, not a stack overflow', () => {
  let body: GraphSpec = { name: 'leaf', nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y0'] }], inputs: [], outputs: [{ name: 'y0', elemType: 'FLOAT' }] };
  for (let i = 1; i <= 80; i++) {
    body = {
      name: `level${i}`,
      nodes: [{ opType: 'If', inputs: ['c'], outputs: [`y${i}`], attrs: [attr.graph('then_branch', body), attr.graph('else_branch', body)] }],
      inputs: [],
      outputs: [{ name: `y${i}`, elemType: 'FLOAT' }],
    };
    if (i === 12) {
      // Modest depth is fine.
      const ok = readOnnx(new BufferSource('ok.onnx', encodeModel({ graph: { ...body, inputs: [{ name: 'x', elemType: 'FLOAT' }, { name: 'c', elemType: 'BOOL' }] } })), {});
      assert.equal(ok.subgraphs.length, 2 ** 13 - 2);
      break;
    }
  }
  // Deep chain (one body per level, 80 levels).
  let chain: GraphSpec = { name: 'leaf', nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y0'] }], inputs: [], outputs: [{ name: 'y0', elemType: 'FLOAT' }] };
  for (let i = 1; i <= 80; i++) {
    chain = { name: `l${i}`, nodes: [{ opType: 'Loop', inputs: ['', 'c'], outputs: [], attrs: [attr.graph('body', chain)] }], inputs: [], outputs: [] };
  }
  const deep = encodeModel({ graph: { ...chain, inputs: [{ name: 'x', elemType: 'FLOAT' }, { name: 'c', elemType: 'BOOL' }] } });
  assert.throws(() => readOnnx(new BufferSource('deep.onnx', deep), {}), (e: unknown) => e instanceof ModelFileError && /nested deeper than 64/.test(e.message));
});

test('a ~200 MB model (inline raw_data and external data): reading it touches a tiny fraction of the file', { timeout: 120_000 }, () => {
  const dir = tempDir('onnx-large');
  try {
    const layers = 50;
    const dim = 1024; // 50 x 1024 x 1024 floats = 200 MiB
    const nodes = [];
    const inits = [];
    let prev = 'x';
    for (let i = 0; i < layers; i++) {
      nodes.push({ opType: 'MatMul', inputs: [prev, `w${i}`], outputs: [`h${i}`], name: `mm${i}` });
      inits.push({ name: `w${i}`, dataType: 'FLOAT' as const, dims: [dim, dim], raw: { zeros: dim * dim * 4 } });
      prev = `h${i}`;
    }
    const spec: ModelSpec = {
      graph: { name: 'big', nodes, inputs: [{ name: 'x', elemType: 'FLOAT', shape: ['batch', dim] }], outputs: [{ name: prev, elemType: 'FLOAT' }], initializers: inits },
    };
    const inline = path.join(dir, 'inline.onnx');
    const size = writeModel(spec, inline);
    assert.ok(size > 200 * 1024 * 1024);
    const src = new FileSource(inline);
    try {
      const g = readOnnx(src, {});
      inferOnnxShapes(g, { batch: 1 });
      assert.equal(g.main.nodes.length, layers);
      assert.equal([...g.main.tensors.values()].filter((t) => t.isConstant).reduce((a, t) => a + (t.storedBytes ?? 0), 0), layers * dim * dim * 4);
      assert.equal(onnxNodeCost(g.main.nodes[7], g.main, g).macs, dim * dim);
      // One 64 KiB block per weight header at most: under 2% of the file.
      assert.ok(src.bytesRead < 0.02 * src.size, `read ${src.bytesRead} of ${src.size} bytes`);
    } finally {
      src.close();
    }
    // Same weights in one external file (sparse on disk): only the .onnx is read, the .bin is stat()ed.
    const bin = path.join(dir, 'weights.bin');
    const fd = fs.openSync(bin, 'w');
    fs.ftruncateSync(fd, layers * dim * dim * 4);
    fs.closeSync(fd);
    const ext: ModelSpec = {
      graph: {
        ...spec.graph,
        initializers: inits.map((t, i) => ({ name: t.name, dataType: 'FLOAT' as const, dims: t.dims, external: { location: 'weights.bin', offset: i * dim * dim * 4, length: dim * dim * 4 } })),
      },
    };
    const extFile = path.join(dir, 'external.onnx');
    writeModel(ext, extFile);
    const src2 = new FileSource(extFile);
    try {
      const g = readOnnx(src2, {});
      assert.deepEqual(g.warnings, []);
      assert.equal(src2.bytesRead, src2.size);
      assert.ok(src2.size < 64 * 1024);
      assert.equal(g.main.tensors.get('w49')!.external!.offset, 49 * dim * dim * 4);
    } finally {
      src2.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
