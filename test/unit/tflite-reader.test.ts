/**
 * The TFLite reader on real third-party files: every REFERENCE.jsonl TFLite line (read by an independent
 * reader) through the reader + TFLite cost + profile builder, the independently read facts/*.tflite.json
 * (operator codes, tensors, quantization of inputs/outputs, buffers, const tensors, metadata, signatures),
 * and the unlabelled / benchmark files (parse, sane totals, published MACs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { FileSource } from '../../src/analyzers/io/file-source';
import { tfliteReader } from '../../src/analyzers/tflite';
import { buildProfile } from '../../src/analyzers/profile';
import { allSubgraphs, type ModelGraph } from '../../src/analyzers/graph';
import { SKIP_NO_SHARED, benchmarkModel, fixture, hasShared, referenceLines, sharedDir, unlabelled } from '../support/shared';

function readGraph(file: string): { graph: ModelGraph; bytesRead: number } {
  const src = new FileSource(file);
  try {
    const graph = tfliteReader.read(src, {}) as ModelGraph;
    return { graph, bytesRead: src.bytesRead };
  } finally {
    src.close();
  }
}

function profileOf(file: string) {
  const { graph } = readGraph(file);
  return buildProfile(graph, { inferShapes: tfliteReader.inferShapes, cost: tfliteReader.cost });
}

const tfliteLines = referenceLines().filter((l) => l.format === 'tflite');

test('REFERENCE.jsonl has the TFLite lines this suite expects', { skip: SKIP_NO_SHARED }, () => {
  assert.equal(tfliteLines.length, 10);
});

for (const ref of tfliteLines) {
  test(`REFERENCE ${ref.file}: params, weightBytes, macs, histogram, operator count, I/O`, { skip: SKIP_NO_SHARED }, () => {
    const file = fixture(ref.file);
    const { profile } = profileOf(file);
    assert.equal(profile.bytes, ref.bytes);
    assert.equal(profile.params, ref.params, 'params');
    assert.equal(profile.weightBytes, ref.weightBytes, 'weightBytes');
    assert.equal(profile.macs, ref.macs, 'macs');
    assert.equal(profile.operatorCount, ref.operatorCount, 'operatorCount');
    assert.deepEqual({ ...profile.opHistogram }, ref.opHistogram, 'opHistogram');
    assert.deepEqual(
      profile.inputs.map((i) => ({ dtype: i.dtype, shape: i.shape })),
      ref.inputs.map((i) => ({ dtype: i.dtype, shape: i.shape })),
      'inputs',
    );
    assert.deepEqual(
      profile.outputs.map((i) => ({ dtype: i.dtype, shape: i.shape })),
      ref.outputs.map((i) => ({ dtype: i.dtype, shape: i.shape })),
      'outputs',
    );
  });
}

interface FactsIO {
  name: string;
  dtype: string;
  shape: number[];
  shape_signature?: number[];
  quant?: { scale: number; zero_point: number };
}
interface Facts {
  file_identifier: string;
  schema_version: number;
  description: string;
  subgraph_count: number;
  operator_codes: string[];
  subgraphs: { name: string | null; tensors: number; operators: number; inputs: FactsIO[]; outputs: FactsIO[]; op_histogram: Record<string, number> }[];
  tensor_count_total: number;
  operator_count_total: number;
  tensor_dtypes: Record<string, number>;
  buffers: number;
  external_buffers: number;
  const_tensors: number;
  const_tensor_elems: number;
  const_tensor_bytes: number;
  metadata: string[];
  signature_defs: string[];
}

const factsDir = path.join(sharedDir, 'models', 'facts');
const factFiles = hasShared ? fs.readdirSync(factsDir).filter((f) => f.endsWith('.tflite.json')) : [];

test('facts/*.tflite.json are present', { skip: SKIP_NO_SHARED }, () => {
  assert.ok(factFiles.length >= 9, `found ${factFiles.length}`);
});

for (const ff of factFiles) {
  const model = ff.replace(/\.json$/, '');
  test(`facts ${model}: tensors, operator codes, quantization, buffers, metadata`, { skip: SKIP_NO_SHARED }, () => {
    const facts = JSON.parse(fs.readFileSync(path.join(factsDir, ff), 'utf8')) as Facts;
    const { graph } = readGraph(fixture(model));
    assert.equal(graph.format, 'tflite');
    assert.equal(graph.metadata.formatVersion, facts.schema_version);
    assert.equal(graph.metadata.description, facts.description);
    const sgs = allSubgraphs(graph);
    assert.equal(sgs.length, facts.subgraph_count);

    // Operator codes in use (as a set: the graph holds operators, not the opcode table).
    const ops = new Set(sgs.flatMap((s) => s.nodes.map((n) => n.op)));
    assert.deepEqual([...ops].sort(), [...facts.operator_codes].sort());

    let tensorTotal = 0;
    let opTotal = 0;
    const dtypes: Record<string, number> = {};
    facts.subgraphs.forEach((fs_, i) => {
      const sg = sgs[i];
      if (fs_.name) assert.equal(sg.name, fs_.name);
      assert.equal(sg.tensors.size, fs_.tensors, 'tensor count');
      assert.equal(sg.nodes.length, fs_.operators, 'operator count');
      const hist: Record<string, number> = {};
      for (const n of sg.nodes) hist[n.op] = (hist[n.op] ?? 0) + 1;
      assert.deepEqual(hist, fs_.op_histogram);
      const checkIO = (names: string[], expected: FactsIO[]): void => {
        assert.equal(names.length, expected.length);
        expected.forEach((e, k) => {
          const t = sg.tensors.get(names[k]);
          assert.ok(t, `tensor ${names[k]}`);
          assert.equal(t.name, e.name);
          assert.equal(t.dtype, e.dtype);
          assert.deepEqual(t.shape, e.shape);
          if (e.quant) {
            assert.equal(t.quant?.scale?.length, 1);
            assert.ok(Math.abs((t.quant?.scale?.[0] ?? 0) - e.quant.scale) <= 1e-7 * Math.abs(e.quant.scale), `scale ${t.quant?.scale?.[0]} vs ${e.quant.scale}`);
            assert.deepEqual(t.quant?.zeroPoint, [e.quant.zero_point]);
          } else {
            assert.equal(t.quant?.scale, undefined);
          }
        });
      };
      checkIO(sg.inputs, fs_.inputs);
      checkIO(sg.outputs, fs_.outputs);
    });
    for (const sg of sgs) {
      tensorTotal += sg.tensors.size;
      opTotal += sg.nodes.length;
      for (const t of sg.tensors.values()) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
    }
    assert.equal(tensorTotal, facts.tensor_count_total);
    assert.equal(opTotal, facts.operator_count_total);
    assert.deepEqual(dtypes, facts.tensor_dtypes);
    assert.equal(graph.metadata.extra?.buffers, facts.buffers);

    const consts = sgs.flatMap((s) => [...s.tensors.values()].filter((t) => t.isConstant));
    assert.equal(consts.length, facts.const_tensors, 'const tensors');
    assert.equal(consts.reduce((a, t) => a + (t.elements ?? 0), 0), facts.const_tensor_elems);
    assert.equal(consts.reduce((a, t) => a + (t.storedBytes ?? 0), 0), facts.const_tensor_bytes);
    for (const t of consts) {
      assert.ok(t.dataOffset !== undefined && t.dataOffset > 0 && t.dataOffset + (t.storedBytes ?? 0) <= graph.bytes, `${t.name} data lies in the file`);
    }
    const md = String(graph.metadata.extra?.metadataEntries ?? '');
    assert.deepEqual(md ? md.split(', ') : [], facts.metadata);
    const sigs = String(graph.metadata.extra?.signatureDefs ?? '');
    assert.deepEqual(sigs ? sigs.split(', ') : [], facts.signature_defs);
  });
}

test('Edge TPU model: the compiled segment carries the custom_options payload (778,324 bytes)', { skip: SKIP_NO_SHARED }, () => {
  const { graph, bytesRead } = readGraph(fixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite'));
  assert.deepEqual(graph.compiledSegments, [{ kind: 'edgetpu', op: 'CUSTOM:edgetpu-custom-op', node: graph.main.nodes[0].name, payloadBytes: 778324 }]);
  assert.equal(graph.main.nodes[0].compiledPayloadBytes, 778324);
  assert.ok(bytesRead < graph.bytes / 2, `read ${bytesRead} of ${graph.bytes} bytes: the payload must not be read`);
});

test('Vela model: the ethos-u segment is its constant UINT8 inputs (268,648 bytes)', { skip: SKIP_NO_SHARED }, () => {
  const { graph } = readGraph(fixture('person_detect_vela.tflite'));
  assert.equal(graph.compiledSegments.length, 1);
  assert.equal(graph.compiledSegments[0].kind, 'ethos-u');
  assert.equal(graph.compiledSegments[0].payloadBytes, 268648);
  assert.equal(graph.metadata.extra?.vela_version, '3.11.0');
});

test('dynamic batch (shape_signature -1) keeps the stored shape and binds as dim0', { skip: SKIP_NO_SHARED }, () => {
  const { graph } = readGraph(fixture('kws_ref_model.tflite'));
  const input = graph.main.tensors.get(graph.main.inputs[0])!;
  assert.deepEqual(input.shape, [1, 49, 10, 1]);
  assert.match(String(graph.metadata.extra?.dynamicInputs), /input_1 \[-1,49,10,1\]/);
  const before = buildProfile(readGraph(fixture('kws_ref_model.tflite')).graph, { cost: tfliteReader.cost }).profile.macs as number;
  tfliteReader.inferShapes!(graph, { dim0: 4 });
  assert.deepEqual(input.shape, [4, 49, 10, 1]);
  const after = buildProfile(graph, { cost: tfliteReader.cost }).profile.macs;
  assert.equal(after, before * 4);
});

test('per-channel quantization of conv filters is read with its axis', { skip: SKIP_NO_SHARED }, () => {
  const { graph } = readGraph(fixture('kws_ref_model.tflite'));
  const conv = graph.main.nodes.find((n) => n.op === 'CONV_2D')!;
  const filter = graph.main.tensors.get(conv.inputs[1])!;
  const oc = filter.shape![0] as number;
  assert.equal(filter.quant?.scale?.length, oc);
  assert.equal(filter.quant?.zeroPoint?.length, oc);
  assert.equal(filter.quant?.axis, 0);
  assert.equal(conv.attrs.padding === 'SAME' || conv.attrs.padding === 'VALID', true);
});

test('sparse model: sparse tensors store fewer bytes than dense and the model parses', { skip: SKIP_NO_SHARED }, () => {
  const { graph } = readGraph(unlabelled('face_detection_full_range_sparse.tflite'));
  assert.ok(Number(graph.metadata.extra?.sparseTensors) > 0);
  const densify = graph.main.nodes.filter((n) => n.op === 'DENSIFY');
  assert.ok(densify.length > 0);
  let fewer = 0;
  for (const n of densify) {
    const t = graph.main.tensors.get(n.inputs[0])!;
    assert.ok(t.isConstant);
    const dense = (t.elements as number) * (t.bitsPerElement as number) / 8;
    if ((t.storedBytes as number) < dense) fewer++;
  }
  assert.equal(fewer, densify.length, 'every DENSIFY input stores fewer bytes than its dense size');
});

const others = hasShared
  ? [
      ...fs.readdirSync(path.join(sharedDir, 'models', 'unlabelled')).filter((f) => f.endsWith('.tflite')).map(unlabelled),
      ...fs.readdirSync(path.join(sharedDir, 'models', 'benchmark-models')).filter((f) => f.endsWith('.tflite')).map(benchmarkModel),
    ]
  : [];

for (const file of others) {
  test(`parses ${path.basename(path.dirname(file))}/${path.basename(file)} with sane totals`, { skip: SKIP_NO_SHARED }, () => {
    const { profile } = profileOf(file);
    assert.ok(profile.operatorCount > 0);
    assert.ok(profile.weightBytes <= profile.bytes, 'weights fit in the file');
    assert.ok(profile.inputs.length > 0 && profile.outputs.length > 0);
    if (profile.compiledSegments.length === 0) {
      assert.ok(profile.params > 0);
      assert.ok(typeof profile.macs === 'number' && profile.macs > 0, `macs ${profile.macs}`);
      assert.ok(typeof profile.peakActivationBytes === 'number' && profile.peakActivationBytes > 0);
    } else {
      assert.equal(profile.macs, 0);
      assert.ok(profile.compiledSegments[0].payloadBytes > 0);
    }
  });
}

// MLPerf Tiny's published MACs for the reference models (benchmark-models/README.md).
const PUBLISHED_MACS: Record<string, number> = {
  'kws_ref_model.tflite': 2656768,
  'vww_96_int8.tflite': 7489664,
  'pretrainedResnet_quant.tflite': 12501632,
  'ad01_int8.tflite': 264192,
};
for (const [name, macs] of Object.entries(PUBLISHED_MACS)) {
  test(`MLPerf Tiny ${name}: MACs match the published ${macs}`, { skip: SKIP_NO_SHARED }, () => {
    assert.equal(profileOf(benchmarkModel(name)).profile.macs, macs);
  });
}
