/**
 * What a model does, read from its graph — never from its file name: a detector (non-maximum suppression in the
 * graph; outputs that share an anchor dimension, boxes beside scores; or one output that concatenates detection
 * heads into candidates of 4 box coordinates + scores, such as YOLO's 85 = 4 + 1 + 80), a segmentation model (an
 * image input and an output with the same spatial size: a per-pixel map), a classifier (a vector of class scores
 * after a softmax / sigmoid / argmax / fully-connected head), or unknown — with the reason in words. A pure
 * function of the profile; the recommender's model family (traits.ts) follows it. Ops are compared in the
 * canonical vocabulary (canonicalOp: TFLite names), so a Keras Dense, a Core ML innerProduct, an ONNX Gemm and a
 * TFLite FULLY_CONNECTED are the same head. No `vscode` import.
 */
import type { LayerProfile, ModelProfile } from '../../analyzers/profile-types';
import type { Shape } from '../../analyzers/graph';
import { canonicalOp, isIgnored } from '../estimate/compatibility';

export type ModelTask = 'classifier' | 'detector' | 'segmentation' | 'unknown';

export interface TaskVerdict {
  task: ModelTask;
  reason: string;
}

const NMS = /NonMaxSuppression|NON_MAX_SUPPRESSION|Detection_PostProcess/i;
/** Canonical ops that move or re-type data without changing what it means: looked through when finding a head (as are the ops converters remove). */
const PASS_THROUGH = new Set(['RESHAPE', 'SQUEEZE', 'EXPAND_DIMS', 'QUANTIZE', 'DEQUANTIZE', 'TRANSPOSE', 'CAST']);
/** Canonical ops that end a classifier: class scores (softmax, sigmoid, arg-max), a fully-connected layer, a global mean. */
const CLASS_HEAD = new Set(['SOFTMAX', 'LOG_SOFTMAX', 'ARG_MAX', 'LOGISTIC', 'FULLY_CONNECTED', 'MEAN', 'BATCH_MATMUL']);
const CONCAT = 'CONCATENATION';

const fmt = (s: number[]): string => `[${s.join(', ')}]`;

/** A shape with its symbols bound as the figures bind them (null when a dim stays unknown; [] for a scalar). */
function numeric(shape: Shape | null, bindings: Record<string, number>): number[] | null {
  if (!shape) return null;
  const out: number[] = [];
  for (const d of shape) {
    const n = typeof d === 'number' ? d : bindings[d];
    if (typeof n !== 'number' || !(n > 0)) return null;
    out.push(n);
  }
  return out;
}

/** Height and width of an image-like input (NCHW or NHWC with 1-4 channels, both sides at least 16). */
function imageSize(p: ModelProfile): { h: number; w: number } | null {
  for (const i of p.inputs) {
    const s = numeric(i.shape, p.dynamicShapes.bindings);
    if (!s || s.length !== 4) continue;
    if (s[1] <= 4 && s[2] >= 16 && s[3] >= 16) return { h: s[2], w: s[3] };
    if (s[3] <= 4 && s[1] >= 16 && s[2] >= 16) return { h: s[1], w: s[2] };
  }
  return null;
}

/** The op that computes an output, looking through reshapes, transposes and (de)quantization. */
function headOf(p: ModelProfile, output: string): LayerProfile | null {
  const producer = new Map<string, LayerProfile>();
  for (const l of p.layers) for (const o of l.outputs ?? []) if (o) producer.set(o, l);
  // A Core ML dictionary output (class scores by label) is written as "<name>#blob".
  let l: LayerProfile | undefined = producer.size ? producer.get(output) ?? producer.get(`${output}#blob`) : p.layers[p.layers.length - 1];
  const passThrough = (x: LayerProfile): boolean => isIgnored(x) || PASS_THROUGH.has(canonicalOp(x, p.format));
  for (let guard = 0; l && passThrough(l) && guard < 64; guard++) {
    const consts = new Set(l.constantInputs ?? []);
    const data = (l.inputs ?? []).find((t, k) => t && !consts.has(k));
    l = data ? producer.get(data) : undefined;
  }
  return l ?? null;
}

/** Outputs of rank 3 with a long candidate axis: [batch, anchors, values] (or values before anchors). */
interface Candidates {
  name: string;
  shape: number[];
  anchors: number;
  values: number;
}

function candidateOutputs(outs: { name: string; shape: number[] | null }[]): Candidates[] {
  const out: Candidates[] = [];
  for (const o of outs) {
    if (!o.shape || o.shape.length !== 3 || o.shape[0] !== 1) continue;
    const [, a, b] = o.shape;
    if (Math.max(a, b) < 16) continue;
    out.push({ name: o.name, shape: o.shape, anchors: a >= b ? a : b, values: a >= b ? b : a });
  }
  return out;
}

function detectionHeads(p: ModelProfile, outs: { name: string; shape: number[] | null }[]): TaskVerdict | null {
  const cands = candidateOutputs(outs);
  // Several outputs over the same anchors: per-anchor boxes (4 or more values) beside per-anchor scores.
  const byAnchors = new Map<number, Candidates[]>();
  for (const c of cands) byAnchors.set(c.anchors, [...(byAnchors.get(c.anchors) ?? []), c]);
  for (const [anchors, group] of byAnchors) {
    const boxes = group.find((c) => c.values >= 4);
    const scores = group.find((c) => c !== boxes);
    if (group.length >= 2 && boxes && scores) {
      return { task: 'detector', reason: `outputs ${fmt(boxes.shape)} and ${fmt(scores.shape)} share ${anchors} anchors: per-anchor boxes (${boxes.values} values) beside scores (${scores.values})` };
    }
  }
  // One output that concatenates detection heads into candidates of box coordinates + scores.
  for (const c of cands) {
    if (c.anchors < 100 || c.values < 5 || c.values >= c.anchors) continue;
    const head = headOf(p, c.name);
    if (!head || canonicalOp(head, p.format) !== CONCAT) continue;
    const detail = c.values === 85 ? '4 box coordinates + 1 objectness + 80 classes' : c.values === 84 ? '4 box coordinates + 80 classes' : `4 box coordinates + ${c.values - 4} scores`;
    return { task: 'detector', reason: `its output ${fmt(c.shape)} concatenates detection heads (${head.op}): ${c.anchors} candidate boxes of ${c.values} values = ${detail}` };
  }
  return null;
}

function segmentation(img: { h: number; w: number }, outs: { name: string; shape: number[] | null }[]): TaskVerdict | null {
  for (const o of outs) {
    const s = o.shape;
    if (!s || s.length !== 4) continue;
    const same = (s[1] === img.h && s[2] === img.w) || (s[2] === img.h && s[3] === img.w);
    if (same) return { task: 'segmentation', reason: `its output ${fmt(s)} keeps the input's ${img.h}×${img.w} size: a per-pixel map` };
  }
  return null;
}

function classifier(p: ModelProfile, outs: { name: string; shape: number[] | null }[]): TaskVerdict | null {
  const first = outs[0];
  if (!first?.shape) return null;
  const dims = first.shape.filter((d) => d !== 1);
  if (dims.length > 1 || outs.some((o) => !o.shape || o.shape.filter((d) => d !== 1).length > 1)) return null;
  const k = dims[0] ?? 1;
  if (k === 1) return { task: 'unknown', reason: `its output ${fmt(first.shape)} is one value (a regression or a score), not class scores` };
  const inputElements = p.inputs.map((i) => numeric(i.shape, p.dynamicShapes.bindings)?.reduce((a, b) => a * b, 1));
  if (inputElements.includes(k)) return { task: 'unknown', reason: `its output ${fmt(first.shape)} is the same size as its input (a reconstruction, such as an autoencoder), not class scores` };
  const head = headOf(p, first.name);
  if (!head || !CLASS_HEAD.has(canonicalOp(head, p.format))) return null;
  return { task: 'classifier', reason: `its output ${fmt(first.shape)} scores ${k} classes after a ${head.op} head` };
}

/**
 * An output's shape: as the file declares it, or else as the layer that writes it computed it (Keras files declare
 * no output shapes; a Core ML classifier's class scores are a dictionary feature, written as "<name>#blob").
 */
function outputShape(p: ModelProfile, o: ModelProfile['outputs'][number]): number[] | null {
  const declared = numeric(o.shape, p.dynamicShapes.bindings);
  if (declared) return declared;
  for (const l of p.layers) {
    const k = (l.outputs ?? []).findIndex((t) => t === o.name || t === `${o.name}#blob`);
    if (k >= 0) return numeric(l.outputShapes[k] ?? null, p.dynamicShapes.bindings);
  }
  return null;
}

/** The model's task from its graph, with the reason; "unknown" rather than a guess. */
export function modelTask(p: ModelProfile): TaskVerdict {
  if (!p.hasComputeGraph || !p.layers.length) return { task: 'unknown', reason: 'the file has no compute graph to read its outputs and head from' };
  const nms = Object.keys(p.opHistogram).find((op) => NMS.test(op));
  if (nms) return { task: 'detector', reason: `the graph runs non-maximum suppression (${nms})` };
  const outs = p.outputs.map((o) => ({ name: o.name, shape: outputShape(p, o) }));
  const img = imageSize(p);
  const found = (img && detectionHeads(p, outs)) || (img && segmentation(img, outs)) || classifier(p, outs);
  if (found) return found;
  const shapes = outs.map((o) => (o.shape ? fmt(o.shape) : '[?]')).join(', ');
  return { task: 'unknown', reason: `its outputs (${shapes}) show no class scores, detection heads or per-pixel map` };
}
