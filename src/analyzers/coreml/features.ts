/**
 * Core ML ModelDescription (Model.proto, FeatureTypes.proto): inputs and outputs with their types (multi-array
 * shape and data type, image size and colour space, scalars, dictionaries, sequences), flexible shapes, and the
 * metadata (description, author, license, version, user-defined entries).
 *
 * A flexible input dimension (shape range or enumerated shapes) becomes the symbol "<input>.dim<i>", bound by
 * default to the size the description states (like TFLite's dim<i>); `--bind` changes it.
 */
import type { ModelGraph, Precision, Shape, TensorInfo } from '../graph';
import { LIMITS } from '../errors';
import { type MessageRange, type ProtoField, WireType } from '../io/protobuf';
import { addTensor, type CoremlCtx } from './context';

export const ARRAY_TYPES: Record<number, { name: string; precision: Precision; bits: number }> = {
  65568: { name: 'FLOAT32', precision: 'fp32', bits: 32 },
  65600: { name: 'DOUBLE', precision: 'fp64', bits: 64 },
  65552: { name: 'FLOAT16', precision: 'fp16', bits: 16 },
  131104: { name: 'INT32', precision: 'int32', bits: 32 },
  131080: { name: 'INT8', precision: 'int8', bits: 8 },
};
const COLOR_SPACES: Record<number, string> = { 10: 'GRAYSCALE', 20: 'RGB', 30: 'BGR', 40: 'GRAYSCALE_FLOAT16' };

/** A feature read from the description: its tensor, whether it is an array/image, and its flexible dimensions. */
interface Feature {
  t: TensorInfo;
  isTensor: boolean;
  flexible: number[];
}

/** Reads a ModelDescription into the main graph's inputs/outputs (top level) and returns the features by role. */
export function readDescription(ctx: CoremlCtx, m: MessageRange, top: boolean): { inputs: Feature[]; outputs: Feature[] } {
  const { pr, g } = ctx;
  const inputs: Feature[] = [];
  const outputs: Feature[] = [];
  for (const f of pr.fields(m, 'model description')) {
    if (f.field === 1 || f.field === 10) {
      const feat = readFeature(ctx, pr.message(f, 'feature description', m));
      if (feat) (f.field === 1 ? inputs : outputs).push(feat);
    } else if (!top) {
      continue;
    } else if (f.field === 11) ctx.extra.predictedFeatureName = ctx.names.take(pr.string(f, 'predicted feature name'));
    else if (f.field === 12) ctx.extra.predictedProbabilitiesName = ctx.names.take(pr.string(f, 'predicted probabilities name'));
    else if (f.field === 100) readMetadata(ctx, g, pr.message(f, 'metadata', m));
  }
  if (top) {
    for (const [list, names, key] of [[inputs, g.main.inputs, 'inputs'], [outputs, g.main.outputs, 'outputs']] as const) {
      const described: string[] = [];
      for (const feat of list) {
        if (g.main.tensors.has(feat.t.name)) continue;
        names.push(addTensor(ctx, g.main, feat.t));
        if (!feat.isTensor) ctx.nonTensorFeatures.add(feat.t.name);
        described.push(`${feat.t.name}: ${feat.t.dtype}${feat.t.shape ? `[${feat.t.shape.join(', ')}]` : ''}`);
        if (list === inputs) flexibleSymbols(ctx, feat);
      }
      if (described.length) ctx.extra[key] = described.join('; ');
    }
  }
  return { inputs, outputs };
}

function flexibleSymbols(ctx: CoremlCtx, feat: Feature): void {
  if (!feat.flexible.length || !feat.t.shape) return;
  const symbols = (ctx.g.implicitSymbols ??= {});
  for (const i of feat.flexible) {
    const d = feat.t.shape[i];
    if (typeof d === 'number') symbols[`${feat.t.name}.dim${i}`] = d;
  }
}

function readMetadata(ctx: CoremlCtx, g: ModelGraph, meta: MessageRange): void {
  const { pr } = ctx;
  let user = 0;
  for (const x of pr.fields(meta, 'metadata')) {
    if (x.field === 1) g.metadata.description = pr.string(x, 'short description');
    else if (x.field === 2) {
      const v = pr.string(x, 'version string');
      if (v) ctx.extra.versionString = v;
    } else if (x.field === 3) {
      ctx.extra.author = pr.string(x, 'author');
      g.metadata.producer = String(ctx.extra.author);
    } else if (x.field === 4) ctx.extra.license = pr.string(x, 'license');
    else if (x.field === 100 && user++ < 32) {
      let k = '';
      let v = '';
      for (const e of pr.fields(pr.message(x, 'user-defined entry', meta), 'user-defined entry')) {
        if (e.field === 1) k = pr.string(e, 'key');
        else if (e.field === 2) v = pr.string(e, 'value');
      }
      if (k) ctx.extra[`userDefined.${k.slice(0, 200)}`] = v.length > 200 ? `${v.slice(0, 200)}…` : v;
    }
  }
}

function readFeature(ctx: CoremlCtx, m: MessageRange): Feature | null {
  const { pr } = ctx;
  let name = '';
  let type: ProtoField | null = null;
  for (const f of pr.fields(m, 'feature description')) {
    if (f.field === 1) name = ctx.names.take(pr.string(f, 'feature name'));
    else if (f.field === 3) type = f;
  }
  const t: TensorInfo = { name: name || 'unnamed', shape: null, dtype: 'unknown', precision: 'other', bitsPerElement: null, isConstant: false };
  const feat: Feature = { t, isTensor: false, flexible: [] };
  if (!type) return feat;
  const tm = pr.message(type, 'feature type', m);
  for (const f of pr.fields(tm, 'feature type')) {
    switch (f.field) {
      case 1:
        Object.assign(t, { dtype: 'INT64', precision: 'int64', bitsPerElement: 64, shape: [] });
        break;
      case 2:
        Object.assign(t, { dtype: 'DOUBLE', precision: 'fp64', bitsPerElement: 64, shape: [] });
        break;
      case 3:
        Object.assign(t, { dtype: 'STRING', precision: 'string', bitsPerElement: null, shape: [] });
        break;
      case 4:
        readImage(ctx, pr.message(f, 'image type', tm), feat);
        break;
      case 5:
        readMultiArray(ctx, pr.message(f, 'multi-array type', tm), feat);
        break;
      case 6: {
        let key = '?';
        for (const x of pr.fields(pr.message(f, 'dictionary type', tm), 'dictionary type')) {
          if (x.field === 1) key = 'int64';
          else if (x.field === 2) key = 'string';
        }
        Object.assign(t, { dtype: `DICTIONARY<${key}>`, precision: 'other', bitsPerElement: null, shape: null });
        break;
      }
      case 7:
        Object.assign(t, { dtype: 'SEQUENCE', precision: 'other', bitsPerElement: null, shape: null });
        break;
      case 8: {
        // State { ArrayFeatureType arrayType = 1 }: a stateful buffer (KV cache) shaped like a multi-array.
        const sm = pr.message(f, 'state type', tm);
        for (const x of pr.fields(sm, 'state type')) if (x.field === 1) readMultiArray(ctx, pr.message(x, 'state array type', sm), feat);
        t.dtype = `STATE ${t.dtype}`;
        break;
      }
    }
  }
  return feat;
}

function readImage(ctx: CoremlCtx, im: MessageRange, feat: Feature): void {
  const { pr } = ctx;
  const t = feat.t;
  let w = 0;
  let h = 0;
  let cs = 0;
  let flexible = false;
  for (const x of pr.fields(im, 'image type')) {
    if (x.field === 1 && x.wire === WireType.Varint) w = x.varint;
    else if (x.field === 2 && x.wire === WireType.Varint) h = x.varint;
    else if (x.field === 3 && x.wire === WireType.Varint) cs = x.varint;
    else if (x.field === 21 || x.field === 31) flexible = true;
  }
  if (!Number.isSafeInteger(w) || !Number.isSafeInteger(h) || w < 0 || h < 0 || w > 1 << 20 || h > 1 << 20) pr.fail(`image input "${t.name}" of ${w}x${h} pixels: absurd`);
  const space = COLOR_SPACES[cs] ?? `COLORSPACE_${cs}`;
  const channels = space === 'RGB' || space === 'BGR' ? 3 : 1;
  Object.assign(t, {
    dtype: `IMAGE ${space}`,
    precision: space === 'GRAYSCALE_FLOAT16' ? 'fp16' : 'uint8',
    bitsPerElement: space === 'GRAYSCALE_FLOAT16' ? 16 : 8,
    shape: [1, channels, h, w],
  });
  feat.isTensor = true;
  if (flexible) feat.flexible = [2, 3];
  ctx.extra[`input.${t.name}.image`] = `${w}x${h} ${space}${flexible ? ' (flexible size)' : ''}`;
}

function readMultiArray(ctx: CoremlCtx, am: MessageRange, feat: Feature): void {
  const { pr } = ctx;
  const t = feat.t;
  const shape: number[] = [];
  let dt = 0;
  let ranges: [number, number][] = [];
  let enumerated: number[][] = [];
  for (const x of pr.fields(am, 'multi-array type')) {
    if (x.field === 1) pr.ints(x, shape, 64, 'multi-array shape');
    else if (x.field === 2 && x.wire === WireType.Varint) dt = x.varint;
    else if (x.field === 31) ranges = readShapeRange(ctx, pr.message(x, 'shape range', am));
    else if (x.field === 21) enumerated = readEnumeratedShapes(ctx, pr.message(x, 'enumerated shapes', am));
  }
  for (const d of shape) if (!Number.isSafeInteger(d) || d < 0) pr.fail(`multi-array "${t.name}" has dimension ${d}`);
  const elements = shape.reduce((a, d) => a * d, 1);
  if (elements > LIMITS.maxTensorElements) pr.fail(`multi-array "${t.name}" declares ${elements} elements (shape [${shape.join(', ')}]): absurd`);
  const at = ARRAY_TYPES[dt];
  Object.assign(t, { dtype: at?.name ?? `ARRAY_TYPE_${dt}`, precision: at?.precision ?? 'other', bitsPerElement: at?.bits ?? null, shape: shape.length ? shape : null });
  feat.isTensor = true;
  feat.flexible = shape.map((_, i) => i).filter((i) => (ranges[i] && ranges[i][0] !== ranges[i][1]) || enumerated.some((s) => s[i] !== shape[i]));
}

function readShapeRange(ctx: CoremlCtx, m: MessageRange): [number, number][] {
  const { pr } = ctx;
  const out: [number, number][] = [];
  for (const x of pr.fields(m, 'shape range')) {
    if (x.field !== 1) continue;
    if (out.length >= 64) pr.fail('a shape range with more than 64 dimensions');
    let lo = 0;
    let hi = 0;
    for (const y of pr.fields(pr.message(x, 'size range', m), 'size range')) {
      if (y.field === 1 && y.wire === WireType.Varint) lo = y.varint;
      else if (y.field === 2 && y.wire === WireType.Varint) hi = y.varint;
    }
    out.push([lo, hi]);
  }
  return out;
}

function readEnumeratedShapes(ctx: CoremlCtx, m: MessageRange): number[][] {
  const { pr } = ctx;
  const out: number[][] = [];
  for (const x of pr.fields(m, 'enumerated shapes')) {
    if (x.field !== 1) continue;
    if (out.length >= 1024) pr.fail('more than 1024 enumerated shapes');
    const s: number[] = [];
    const sm = pr.message(x, 'enumerated shape', m);
    for (const y of pr.fields(sm, 'enumerated shape')) if (y.field === 1) pr.ints(y, s, 64, 'enumerated shape');
    out.push(s);
  }
  return out;
}

/** The feature's shape as the network sees it, or null. */
export function featureShape(t: TensorInfo): Shape | null {
  return t.shape ? [...t.shape] : null;
}
