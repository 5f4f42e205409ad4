/**
 * TFLite (FlatBuffers, schema v3 "TFL3") → ModelGraph, read in place.
 *
 * Conventions (see also ./index.ts):
 * - Every subgraph becomes a Subgraph with id "sg<i>"; subgraph 0 is the main graph. WHILE / IF / CALL_ONCE /
 *   CALL (and StableHLO bodies) list the subgraphs they run in `subgraphIds`; each body's parentId is the
 *   first subgraph found calling it (breadth-first from main). Links that would form a cycle are dropped.
 * - Tensors are keyed by name; empty or duplicate names get a "#<index>" suffix so keys stay unique.
 *   An optional operator input (-1) is the empty string.
 * - A tensor is constant when its buffer (index > 0) has data — inline `data`, or the >2 GB form
 *   (offset/size after the flatbuffer) — or when it names an external buffer. `elements` is the product of
 *   its shape; `storedBytes` is the buffer's length (so sparse tensors count what is stored). Buffers
 *   referenced by several tensors carry sharedBufferId = buffer index, so totals count each buffer once.
 *   Buffer contents are never read, except tiny int32/int64 constants (≤ 16 values) kept for shape inference.
 * - Node names are the first output tensor's name (unique in the subgraph), else "<OP>#<index>".
 * - Compiled networks: CUSTOM:edgetpu-custom-op (payload = custom_options), CUSTOM:ethos-u (payload = its
 *   constant UINT8 inputs) are reported in compiledSegments and on the node.
 */
import { elementCount, type AttrValue, type CompiledSegment, type GraphNode, type ModelGraph, type Shape, type Subgraph, type TensorInfo } from '../graph';
import { LIMITS, ModelFileError } from '../errors';
import type { FileSource } from '../io/file-source';
import type { ReaderOptions } from '../reader';
import { AnalysisCancelled } from '../profile-types';
import { FlatBufferFile, type Table, type VectorRef } from './flatbuffers-reader';
import { BUILTIN_CUSTOM, F, QUANT_DETAILS_NAMES, builtinOperatorName, tensorType } from './schema';
import { BUILTIN_OPTIONS, BUILTIN_OPTIONS_2, SUBGRAPH_ATTRS, readOptions } from './options';
import { tfliteSideInfo } from './side-info';

const MAX_RANK = 64;
const MAX_OP_IO = 1_000_000;
const MAX_SUBGRAPHS = 100_000;
const MAX_OPCODES = 100_000;
const MAX_QUANT_PARAMS = 1_000_000;
const SMALL_CONST_VALUES = 16;
const SUBGRAPH_ATTR_LIST = Object.entries(SUBGRAPH_ATTRS);
const NO_ATTRS: Record<string, AttrValue> = Object.freeze({});

function hasAny(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

interface OpCode {
  name: string;
  builtin: number;
  custom?: string;
  version: number;
}

interface BufferInfo {
  /** Absolute offset of the data, or null for an empty buffer. */
  offset: number | null;
  length: number;
  /** The >2 GB form: data after the flatbuffer at an absolute offset. */
  outOfLine: boolean;
}

interface RawTensor {
  info: TensorInfo;
  bufferIndex: number;
  shapeSignature: number[] | null;
  hasRank: boolean;
  emptyShape: boolean;
}

export function readTfliteModel(src: FileSource, opts: ReaderOptions = {}): ModelGraph {
  const fb: FlatBufferFile = new FlatBufferFile(src);
  if (src.size < 8) fb.fail(`only ${src.size} bytes: too small to be a TFLite model`);
  const ident = fb.bytes(4, 4, 'file identifier');
  if (ident.toString('latin1') !== 'TFL3') {
    fb.fail(`file identifier is "${printable(ident)}", not "TFL3": not a TFLite FlatBuffer (or a corrupted one)`);
  }
  const progress = (fraction: number, message: string): void => {
    if (opts.onProgress && opts.onProgress(fraction, message) === true) throw new AnalysisCancelled();
  };

  const model = fb.root('Model');
  const warnings: string[] = [];
  const version = model.u32(F.Model.version);
  const description = model.string(F.Model.description, 'Model.description', LIMITS.maxStringBytes);

  // Operator codes.
  const opcodes: OpCode[] = [];
  const opcVec = model.vector(F.Model.operator_codes, 4, 'Model.operator_codes');
  if (opcVec) {
    if (opcVec.length > MAX_OPCODES) fb.fail(`Model.operator_codes has ${opcVec.length} entries, more than the ${MAX_OPCODES} allowed`);
    for (let i = 0; i < opcVec.length; i++) {
      const t = model.tableAt(opcVec, i, `operator_codes[${i}]`);
      const builtin = Math.max(t.i8(F.OperatorCode.deprecated_builtin_code), t.i32(F.OperatorCode.builtin_code));
      const opVersion = t.i32(F.OperatorCode.version, 1);
      if (builtin === BUILTIN_CUSTOM) {
        const custom = t.string(F.OperatorCode.custom_code, `operator_codes[${i}].custom_code`, 4096) ?? '';
        opcodes.push({ name: `CUSTOM:${custom || '?'}`, builtin, custom, version: opVersion });
      } else {
        const name = builtinOperatorName(builtin);
        if (name.startsWith('BUILTIN_')) warnings.push(`operator code ${i} is builtin ${builtin}, which this reader does not know (newer schema?)`);
        opcodes.push({ name, builtin, version: opVersion });
      }
    }
  }

  // Buffers: only their descriptors; data is located, never read.
  const bufVec = model.vector(F.Model.buffers, 4, 'Model.buffers');
  const bufferCount = bufVec?.length ?? 0;
  const bufferCache = new Map<number, BufferInfo>();
  const bufferInfo = (index: number, who: string): BufferInfo => {
    const cached = bufferCache.get(index);
    if (cached) return cached;
    if (!bufVec || index >= bufferCount) fb.fail(`${who} refers to buffer ${index}, but the model has ${bufferCount} buffers`);
    const t = model.tableAt(bufVec, index, `buffers[${index}]`);
    let info: BufferInfo = { offset: null, length: 0, outOfLine: false };
    const data = t.vector(F.Buffer.data, 1, `buffers[${index}].data`);
    if (data && data.length > 0) info = { offset: data.start, length: data.length, outOfLine: false };
    else {
      const offset = t.u64(F.Buffer.offset);
      const size = t.u64(F.Buffer.size);
      if (offset > 1) {
        if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset + size > src.size) {
          fb.fail(`buffers[${index}] places ${size} bytes at offset ${offset}, past the end of the file (${src.size} bytes): truncated or corrupted`);
        }
        info = { offset, length: size, outOfLine: true };
      }
    }
    bufferCache.set(index, info);
    return info;
  };

  // External buffers (tensor data in separate files).
  const externalBuffers = readExternalBuffers(model);

  // Subgraphs.
  const sgVec = model.vector(F.Model.subgraphs, 4, 'Model.subgraphs');
  if (!sgVec || sgVec.length === 0) fb.fail('the model has no subgraphs');
  if (sgVec.length > MAX_SUBGRAPHS) fb.fail(`Model.subgraphs has ${sgVec.length} entries, more than the ${MAX_SUBGRAPHS} allowed`);

  const side = tfliteSideInfo();
  const subgraphs: Subgraph[] = [];
  const rawTensors: RawTensor[][] = [];
  const bufferRefs = new Map<number, number>();
  let usesHasRank = false;
  let sparseTensors = 0;
  const subgraphRefs: { sg: number; node: GraphNode; role: string; target: number }[] = [];
  const compiled: CompiledSegment[] = [];
  let totalTensors = 0;
  let totalOps = 0;
  let totalRefs = 0;

  for (let s = 0; s < sgVec.length; s++) {
    progress((s / sgVec.length) * 0.9, `Reading subgraph ${s + 1} of ${sgVec.length}`);
    const sgt = model.tableAt(sgVec, s, `subgraphs[${s}]`);
    const where = `subgraphs[${s}]`;
    const name = sgt.name(F.SubGraph.name, `${where}.name`, LIMITS.maxStringBytes) ?? '';

    // Tensors.
    const tVec = sgt.vector(F.SubGraph.tensors, 4, `${where}.tensors`);
    const tensorCount = tVec?.length ?? 0;
    totalTensors += tensorCount;
    if (totalTensors > LIMITS.maxTensors) fb.fail(`${where} brings the tensors to ${totalTensors}, more than the ${LIMITS.maxTensors} allowed per file`);
    const raws: RawTensor[] = [];
    const rawNames: string[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const t = sgt.tableAt(tVec as VectorRef, i, `${where}.tensors[${i}]`);
      const raw = readTensor(t, `${where}.tensors[${i}]`);
      if (raw.hasRank) usesHasRank = true;
      if (t.has(F.Tensor.sparsity)) sparseTensors++;
      raws.push(raw);
      rawNames.push(raw.info.name);
      if (raw.bufferIndex > 0) bufferRefs.set(raw.bufferIndex, (bufferRefs.get(raw.bufferIndex) ?? 0) + 1);
    }
    const names = uniqueNames(rawNames);
    raws.forEach((r, i) => (r.info.name = names[i]));
    rawTensors.push(raws);

    const tensorName = (index: number, who: string): string => {
      if (index === -1) return '';
      if (!Number.isInteger(index) || index < 0 || index >= tensorCount) fb.fail(`${who} refers to tensor ${index}, but ${where} has ${tensorCount} tensors`);
      return names[index];
    };
    const ioList = (field: number, label: string): string[] => {
      const v = sgt.i32s(field, `${where}.${label}`, MAX_OP_IO) ?? [];
      return v.map((idx) => tensorName(idx, `${where}.${label}`)).filter((n) => n !== '');
    };
    const inputs = ioList(F.SubGraph.inputs, 'inputs');
    const outputs = ioList(F.SubGraph.outputs, 'outputs');

    // Operators.
    const oVec = sgt.vector(F.SubGraph.operators, 4, `${where}.operators`);
    const opCount = oVec?.length ?? 0;
    totalOps += opCount;
    if (totalOps > LIMITS.maxNodes) fb.fail(`${where} brings the operators to ${totalOps}, more than the ${LIMITS.maxNodes} allowed per file`);
    const nodes: GraphNode[] = [];
    const usedNodeNames = new Set<string>();
    let byName: Map<string, number> | undefined;
    for (let i = 0; i < opCount; i++) {
      if (i % 2000 === 1999) progress(((s + i / opCount) / sgVec.length) * 0.9, `Reading operators of subgraph ${s + 1}`);
      const who = `${where}.operators[${i}]`;
      const ot = sgt.tableAt(oVec as VectorRef, i, who);
      const opcIndex = ot.u32(F.Operator.opcode_index);
      if (opcIndex >= opcodes.length) fb.fail(`${who} uses operator code ${opcIndex}, but the model has ${opcodes.length}`);
      const opc = opcodes[opcIndex];
      const ins = (ot.i32s(F.Operator.inputs, `${who}.inputs`, MAX_OP_IO) ?? []).map((x) => tensorName(x, `${who}.inputs`));
      const outs = (ot.i32s(F.Operator.outputs, `${who}.outputs`, MAX_OP_IO) ?? []).map((x) => tensorName(x, `${who}.outputs`));
      totalRefs += ins.length + outs.length;
      if (totalRefs > LIMITS.maxNodeRefs) fb.fail(`${who}: operators have more than ${LIMITS.maxNodeRefs} inputs and outputs in all: refusing`);
      const attrs: Record<string, AttrValue> = {};
      if (opc.version !== 1) attrs.op_version = opc.version;

      const optType = ot.u8(F.Operator.builtin_options_type);
      if (optType !== 0) {
        const spec = BUILTIN_OPTIONS[optType];
        const table = ot.table(F.Operator.builtin_options, `${who}.builtin_options`);
        if (spec && table) readOptions(spec, table, attrs);
      }
      const optType2 = ot.u8(F.Operator.builtin_options_2_type);
      if (optType2 !== 0) {
        const spec = BUILTIN_OPTIONS_2[optType2];
        const table = ot.table(F.Operator.builtin_options_2, `${who}.builtin_options_2`);
        if (spec && table) readOptions(spec, table, attrs);
      }

      // Custom options: inline vector, or the >2 GB form at an absolute offset.
      let customBytes = 0;
      const co = ot.vector(F.Operator.custom_options, 1, `${who}.custom_options`);
      if (co && co.length > 0) customBytes = co.length;
      else {
        const off = ot.u64(F.Operator.large_custom_options_offset);
        const size = ot.u64(F.Operator.large_custom_options_size);
        if (off > 1) {
          if (!Number.isSafeInteger(off) || !Number.isSafeInteger(size) || off + size > src.size) {
            fb.fail(`${who} places ${size} bytes of custom options at offset ${off}, past the end of the file (${src.size} bytes)`);
          }
          customBytes = size;
        }
      }
      if (opc.custom !== undefined) attrs.custom_code = opc.custom;
      if (customBytes) attrs.custom_options_bytes = customBytes;

      const first = outs.find((o) => o !== '');
      let nodeName = first && !usedNodeNames.has(first) ? first : `${opc.name}#${i}`;
      if (usedNodeNames.has(nodeName)) nodeName = `${opc.name}#${i}@${s}`;
      usedNodeNames.add(nodeName);
      // Most ops of a huge graph have no attributes: they share one empty record.
      const node: GraphNode = { name: nodeName, op: opc.name, inputs: ins, outputs: outs, attrs: hasAny(attrs) ? attrs : NO_ATTRS };
      nodes.push(node);

      for (const [attr, role] of SUBGRAPH_ATTR_LIST) {
        const v = attrs[attr];
        const targets = typeof v === 'number' ? [v] : Array.isArray(v) ? (v as number[]) : [];
        targets.forEach((target, k) => subgraphRefs.push({ sg: s, node, role: targets.length > 1 ? `${role}${k}` : role, target }));
      }
      if (opc.custom !== undefined) {
        const kind = compiledKind(opc.custom);
        if (kind === 'edgetpu') {
          node.compiledPayloadBytes = customBytes;
          compiled.push({ kind, op: opc.name, node: nodeName, payloadBytes: customBytes });
        } else if (kind === 'ethos-u') {
          // Vela keeps the command stream and weights in constant UINT8 input tensors.
          const seen = new Set<number>();
          byName ??= new Map(names.map((n, k) => [n, k] as const)); // once per subgraph, not per op
          let bytes = 0;
          for (const inp of ins) {
            const idx = byName.get(inp);
            const raw = idx !== undefined ? raws[idx] : undefined;
            if (!raw || raw.bufferIndex <= 0 || seen.has(raw.bufferIndex)) continue;
            seen.add(raw.bufferIndex);
            bytes += bufferInfo(raw.bufferIndex, `${who} input`).length;
          }
          node.compiledPayloadBytes = bytes;
          compiled.push({ kind, op: opc.name, node: nodeName, payloadBytes: bytes });
        }
      }
    }

    const tensors = new Map<string, TensorInfo>();
    for (const r of raws) tensors.set(r.info.name, r.info);
    subgraphs.push({ id: `sg${s}`, name: name || (s === 0 ? 'main' : `subgraph ${s}`), nodes, tensors, inputs, outputs });
  }

  // Constants, element counts, shared buffers, dynamic dims.
  progress(0.92, 'Locating constant data');
  const dynamicInputs: string[] = [];
  const implicitSymbols: Record<string, number> = {};
  for (let s = 0; s < rawTensors.length; s++) {
    for (const r of rawTensors[s]) {
      const t = r.info;
      if (r.emptyShape && !r.hasRank && usesHasRank && !(r.bufferIndex > 0)) t.shape = null; // unknown rank, not a scalar
      let stored: number | null = null;
      if (r.bufferIndex > 0) {
        const b = bufferInfo(r.bufferIndex, `tensor "${t.name}"`);
        if (b.offset !== null && b.length > 0) {
          stored = b.length;
          t.dataOffset = b.offset;
        }
      }
      const ext = externalRef(t, externalBuffers);
      if (ext) stored = ext.length ?? 0;
      if (stored !== null) {
        t.isConstant = true;
        t.storedBytes = stored;
        const n = elementCount(t.shape);
        if (n !== null) {
          if (n > LIMITS.maxTensorElements) throw new ModelFileError(src.file, `tensor "${t.name}" claims ${n} elements, more than the ${LIMITS.maxTensorElements} allowed`);
          t.elements = n;
        } else {
          warnings.push(`constant tensor "${t.name}" has no usable shape; its ${stored} bytes count as weights but not as parameters`);
          t.elements = 0;
        }
        if ((bufferRefs.get(r.bufferIndex) ?? 0) > 1) t.sharedBufferId = r.bufferIndex;
        if (t.dataOffset !== undefined && (t.dtype === 'INT32' || t.dtype === 'INT64') && t.elements <= SMALL_CONST_VALUES) {
          side.constValues.set(t, readInts(fb, t.dataOffset, t.elements, t.dtype === 'INT64' ? 8 : 4, stored));
        }
      }
      if (r.shapeSignature && r.shapeSignature.some((d) => d < 0)) {
        side.shapeSignatures.set(t, r.shapeSignature);
        if (s === 0 && subgraphs[0].inputs.includes(t.name)) {
          dynamicInputs.push(`${t.name} [${r.shapeSignature.join(',')}]`);
          r.shapeSignature.forEach((d, i) => {
            const stored = t.shape?.[i];
            if (d < 0 && typeof stored === 'number' && implicitSymbols[`dim${i}`] === undefined) implicitSymbols[`dim${i}`] = stored;
          });
        }
      }
    }
  }
  if (sparseTensors) warnings.push(`${sparseTensors} sparse tensor${sparseTensors > 1 ? 's' : ''}: stored bytes count the compressed values, parameters count the dense shape`);

  // Link subgraph bodies to their callers (breadth-first from main, acyclic).
  linkSubgraphs(subgraphs, subgraphRefs, warnings);

  // Metadata.
  const extra: Record<string, string | number | boolean> = { subgraphs: subgraphs.length, buffers: bufferCount };
  const mdVec = model.vector(F.Model.metadata, 4, 'Model.metadata');
  if (mdVec) {
    const names: string[] = [];
    for (let i = 0; i < Math.min(mdVec.length, 256); i++) {
      const mt = model.tableAt(mdVec, i, `metadata[${i}]`);
      const mname = mt.string(F.Metadata.name, `metadata[${i}].name`, 4096) ?? '';
      names.push(mname);
      if (mname === 'min_runtime_version' || mname === 'vela_version') {
        const b = bufferInfo(mt.u32(F.Metadata.buffer), `metadata "${mname}"`);
        if (b.offset !== null && b.length > 0 && b.length <= 64) {
          const text = fb.bytes(b.offset, b.length, `metadata "${mname}"`).toString('latin1').replace(/\0+$/g, '');
          if (/^[\x20-\x7e]*$/.test(text)) extra[mname] = text;
        }
      }
    }
    if (names.length) extra.metadataEntries = names.join(', ');
  }
  const sigVec = model.vector(F.Model.signature_defs, 4, 'Model.signature_defs');
  if (sigVec && sigVec.length) {
    const keys: string[] = [];
    for (let i = 0; i < Math.min(sigVec.length, 256); i++) {
      const st = model.tableAt(sigVec, i, `signature_defs[${i}]`);
      keys.push(st.string(F.SignatureDef.signature_key, `signature_defs[${i}].signature_key`, 4096) ?? '');
    }
    extra.signatureDefs = keys.join(', ');
  }
  if (dynamicInputs.length) {
    extra.dynamicInputs = `${dynamicInputs.join('; ')} — shapes use the stored sizes; bind dim<i> (e.g. dim0=4) to change a -1 dimension`;
  }
  if (sparseTensors) extra.sparseTensors = sparseTensors;

  const graph: ModelGraph = {
    format: 'tflite',
    file: src.file,
    bytes: src.size,
    main: subgraphs[0],
    subgraphs: subgraphs.slice(1),
    metadata: {
      formatVersion: version,
      ...(description ? { description } : {}),
      layout: 'NHWC',
      extra,
    },
    compiledSegments: compiled,
    hasComputeGraph: true,
    warnings,
    ...(Object.keys(implicitSymbols).length ? { implicitSymbols } : {}),
  };
  const shortened = fb.names.note();
  if (shortened) warnings.push(shortened);
  progress(1, 'TFLite read');
  return graph;

  function readTensor(t: Table, who: string): RawTensor {
    const shapeRaw = t.i32s(F.Tensor.shape, `${who}.shape`, MAX_RANK);
    const typeCode = t.i8(F.Tensor.type);
    const tt = tensorType(typeCode);
    if (tt.name.startsWith('TENSOR_TYPE_')) warnings.push(`${who} has tensor type ${typeCode}, which this reader does not know`);
    const bufferIndex = t.u32(F.Tensor.buffer);
    const name = t.name(F.Tensor.name, `${who}.name`, LIMITS.maxStringBytes) ?? '';
    const sig = t.i32s(F.Tensor.shape_signature, `${who}.shape_signature`, MAX_RANK);
    const shape: Shape = (shapeRaw ?? []).map((d) => (d >= 0 ? d : '?'));
    const info: TensorInfo = { name, shape, dtype: tt.name, precision: tt.precision, bitsPerElement: tt.bits, isConstant: false };
    const q = t.table(F.Tensor.quantization, `${who}.quantization`);
    if (q) {
      const quant = readQuant(q, who);
      if (quant) info.quant = quant;
    }
    const ext = t.u32(F.Tensor.external_buffer);
    if (ext) externalIds.set(info, ext);
    return { info, bufferIndex, shapeSignature: sig, hasRank: t.bool(F.Tensor.has_rank), emptyShape: (shapeRaw ?? []).length === 0 };
  }

  function readQuant(q: Table, who: string): TensorInfo['quant'] | undefined {
    const scale = q.f32s(F.QuantizationParameters.scale, `${who}.quantization.scale`, MAX_QUANT_PARAMS);
    const zp = q.i64s(F.QuantizationParameters.zero_point, `${who}.quantization.zero_point`, MAX_QUANT_PARAMS);
    const detailsType = q.u8(F.QuantizationParameters.details_type);
    const out: NonNullable<TensorInfo['quant']> = {};
    if (scale && scale.length) out.scale = scale;
    if (zp && zp.length) out.zeroPoint = zp;
    if (scale && scale.length > 1) out.axis = q.i32(F.QuantizationParameters.quantized_dimension);
    if (detailsType !== 0) {
      const d = QUANT_DETAILS_NAMES[detailsType] ?? `details type ${detailsType}`;
      let scheme: string = d;
      if (detailsType === 2) {
        const bt = q.table(F.QuantizationParameters.details, `${who}.quantization.details`);
        if (bt) scheme = `BlockwiseQuantization block_size=${bt.i32(2)}`;
      }
      out.scheme = scheme;
    }
    return Object.keys(out).length ? out : undefined;
  }
}

// External buffers (schema's ExternalBuffer / ExternalBufferGroup): tensor → {location, offset, length}.
const externalIds = new WeakMap<TensorInfo, number>();

interface ExternalBufferEntry {
  location: string;
  offset: number;
  length: number;
}

function readExternalBuffers(model: Table): Map<number, ExternalBufferEntry> {
  const out = new Map<number, ExternalBufferEntry>();
  const groups: string[] = [];
  const gVec = model.vector(F.Model.external_buffer_groups, 4, 'Model.external_buffer_groups');
  if (gVec) {
    if (gVec.length > MAX_OPCODES) model.fb.fail(`Model.external_buffer_groups has ${gVec.length} entries, more than allowed`);
    for (let i = 0; i < gVec.length; i++) {
      groups.push(model.tableAt(gVec, i, `external_buffer_groups[${i}]`).string(F.ExternalBufferGroup.name, 'external buffer group name', 4096) ?? '');
    }
  }
  const eVec = model.vector(F.Model.external_buffers, 4, 'Model.external_buffers');
  if (eVec) {
    model.fb.spend(eVec.length, 'Model.external_buffers');
    for (let i = 0; i < eVec.length; i++) {
      const e = model.tableAt(eVec, i, `external_buffers[${i}]`);
      out.set(e.u32(F.ExternalBuffer.id), {
        location: groups[e.u32(F.ExternalBuffer.group)] ?? '',
        offset: e.u64(F.ExternalBuffer.offset),
        length: e.u64(F.ExternalBuffer.length),
      });
    }
  }
  return out;
}

function externalRef(t: TensorInfo, table: Map<number, ExternalBufferEntry>): { length: number } | null {
  const id = externalIds.get(t);
  if (!id) return null;
  const e = table.get(id);
  if (!e) {
    t.external = { location: '', offset: 0, length: null, problem: `external buffer ${id} is not listed in the model` };
    return { length: 0 };
  }
  t.external = { location: e.location, offset: e.offset, length: e.length, problem: 'TFLite external weight files are not opened; sizes come from the model' };
  return { length: e.length };
}

function compiledKind(custom: string): 'edgetpu' | 'ethos-u' | null {
  if (custom === 'edgetpu-custom-op') return 'edgetpu';
  if (/^ethos-?u$/i.test(custom)) return 'ethos-u';
  return null;
}

function linkSubgraphs(subgraphs: Subgraph[], refs: { sg: number; node: GraphNode; role: string; target: number }[], warnings: string[]): void {
  const depth = new Map<number, number>([[0, 0]]);
  const bySource = new Map<number, typeof refs>();
  for (const r of refs) {
    if (!Number.isInteger(r.target) || r.target < 0 || r.target >= subgraphs.length) {
      warnings.push(`${r.node.op} "${r.node.name}" refers to subgraph ${r.target}, but the model has ${subgraphs.length}`);
      continue;
    }
    const list = bySource.get(r.sg) ?? [];
    list.push(r);
    bySource.set(r.sg, list);
  }
  const queue = [0];
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi];
    const d = depth.get(s) as number;
    for (const r of bySource.get(s) ?? []) {
      const target = subgraphs[r.target];
      if (!depth.has(r.target)) {
        if (d + 1 > LIMITS.maxSubgraphDepth) {
          warnings.push(`subgraph ${r.target} is nested deeper than ${LIMITS.maxSubgraphDepth} levels; not linked`);
          continue;
        }
        depth.set(r.target, d + 1);
        target.parentId = subgraphs[s].id;
        target.owner = `${r.node.name}.${r.role}`;
        queue.push(r.target);
      } else if ((depth.get(r.target) as number) <= d) {
        warnings.push(`${r.node.op} "${r.node.name}" calls subgraph ${r.target} recursively or from a deeper level; that link is not followed`);
        continue;
      }
      const ids = (r.node.subgraphIds ??= []);
      if (!ids.includes(target.id)) ids.push(target.id);
    }
  }
  // Bodies only reached from unreachable subgraphs keep their links to them.
  for (const [s, list] of bySource) {
    if (depth.has(s)) continue;
    for (const r of list) {
      if (r.target === s || r.target === 0) continue;
      const target = subgraphs[r.target];
      if (target.parentId === undefined && !depth.has(r.target)) {
        target.parentId = subgraphs[s].id;
        target.owner = `${r.node.name}.${r.role}`;
      }
    }
  }
}

function uniqueNames(raw: string[]): string[] {
  const count = new Map<string, number>();
  let clashes = 0;
  for (const n of raw) {
    const c = (count.get(n) ?? 0) + 1;
    count.set(n, c);
    if (c > 1 || n === '') clashes++;
  }
  if (clashes === 0) return raw; // the common case: nothing to rename
  const used = new Set<string>(raw.filter((n) => n !== '' && count.get(n) === 1));
  return raw.map((n, i) => {
    if (n !== '' && count.get(n) === 1) return n;
    let candidate = `${n || 'tensor'}#${i}`;
    while (used.has(candidate)) candidate += '#';
    used.add(candidate);
    return candidate;
  });
}

function readInts(fb: FlatBufferFile, offset: number, count: number, width: 4 | 8, stored: number): number[] {
  const n = Math.min(count, Math.floor(stored / width));
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(width === 4 ? fb.i32(offset + 4 * i, 'constant value') : fb.i64(offset + 8 * i, 'constant value'));
  return out;
}

function printable(b: Buffer): string {
  return [...b].map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('');
}
