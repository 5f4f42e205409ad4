/**
 * The technique effect table (techniques.json) as typed data, validated once at load.
 * Code reads effect ranges, sources, students and op-rewrite rules from here, never hard-codes them.
 * No `vscode` import.
 */
import type { Effort, Range, SourceRef, Technique } from '../types';
import raw from './techniques.json';

export type DeviceClass = 'cpu-fp16' | 'cpu' | 'gpu-tensorrt' | 'edgetpu' | 'ane' | 'htp' | 'mcu';
export const DEVICE_CLASSES: readonly DeviceClass[] = ['cpu-fp16', 'cpu', 'gpu-tensorrt', 'edgetpu', 'ane', 'htp', 'mcu'];

export type StudentFamily = 'cnn-classifier' | 'detector' | 'transformer-encoder' | 'llm' | 'generic';

export interface Student {
  family: StudentFamily;
  name: string;
  macs?: number;
  params?: number;
  resolution?: number;
  macsFactor?: number;
  paramsFactor?: number;
  activationFactor?: number;
  source: string;
}

export interface OpRewriteRule {
  match: string;
  re: RegExp;
  advice: string;
  replacement?: { onnx: string; tflite: string };
  moveToHost?: boolean;
  remove?: boolean;
  /** True when the rewrite is mathematically equivalent (no fine-tune needed). */
  equivalent: boolean;
}

export interface TechniqueEntry {
  id: Technique;
  title: string;
  effort: Effort;
  sizeFactor?: Range;
  /** Speed-up per device class; null = the class cannot run it. Missing class = no data (treated as 1). */
  speedup: Partial<Record<DeviceClass, Range | null>>;
  accuracyDropPoints: Range;
  sources: string[];
  notes?: string;
}

export interface TechniqueTable {
  sources: Record<string, SourceRef>;
  entries: Record<string, TechniqueEntry>;
  perTensorAccuracyDrop: Range;
  smallModelInt4AccuracyDrop: Range;
  pruning: { fractions: number[]; size: Record<string, Range>; speedup: Record<string, Range>; accuracy: Record<string, Range> };
  distillationByRatio: { maxRatio: number; range: Range; source: string }[];
  sensitivity: Record<'depthwise-heavy' | 'transformer', Record<string, number | string>>;
  students: Student[];
  opRewrites: OpRewriteRule[];
  lowRank: { rankFraction: number; minLayerParams: number };
  sparsityAcceleratedOn: DeviceClass[];
  int4Bits: number;
}

export class TechniqueTableError extends Error {
  constructor(message: string) {
    super(`techniques.json: ${message}`);
    this.name = 'TechniqueTableError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function range(v: unknown, where: string): Range {
  if (!isObj(v)) throw new TechniqueTableError(`${where} must be a {low, typical, high} range`);
  const { low, typical, high } = v;
  if (typeof low !== 'number' || typeof typical !== 'number' || typeof high !== 'number') throw new TechniqueTableError(`${where} must have numeric low/typical/high`);
  if (!(low <= typical && typical <= high)) throw new TechniqueTableError(`${where} must satisfy low <= typical <= high`);
  return { low, typical, high };
}

const EFFORTS: readonly Effort[] = ['none', 'no-retraining', 'calibration-data', 'retraining', 'architecture-change'];

/** Validate the raw JSON into the typed table; throws TechniqueTableError naming the bad field. */
export function parseTechniqueTable(data: unknown): TechniqueTable {
  if (!isObj(data)) throw new TechniqueTableError('must be an object');
  const sourcesRaw = data.sources;
  if (!isObj(sourcesRaw)) throw new TechniqueTableError('sources must be an object');
  const sources: Record<string, SourceRef> = {};
  for (const [id, s] of Object.entries(sourcesRaw)) {
    if (!isObj(s) || typeof s.source !== 'string' || typeof s.quote !== 'string' || !s.source || !s.quote) throw new TechniqueTableError(`sources.${id} needs source and quote`);
    sources[id] = { source: s.source, quote: s.quote, confidence: s.confidence === 'V' || s.confidence === 'D' ? s.confidence : undefined, note: typeof s.note === 'string' ? s.note : undefined };
  }
  const techs = data.techniques;
  if (!isObj(techs)) throw new TechniqueTableError('techniques must be an object');
  const entries: Record<string, TechniqueEntry> = {};
  for (const [id, t] of Object.entries(techs)) {
    if (!isObj(t)) throw new TechniqueTableError(`techniques.${id} must be an object`);
    const effort = t.effort as Effort;
    if (!EFFORTS.includes(effort)) throw new TechniqueTableError(`techniques.${id}.effort is not an effort level`);
    const srcs = Array.isArray(t.sources) ? (t.sources as unknown[]).map(String) : [];
    if (!srcs.length) throw new TechniqueTableError(`techniques.${id} cites no source`);
    for (const s of srcs) if (!sources[s]) throw new TechniqueTableError(`techniques.${id} cites unknown source ${s}`);
    const speedup: Partial<Record<DeviceClass, Range | null>> = {};
    if (isObj(t.speedup)) {
      for (const [cls, r] of Object.entries(t.speedup)) {
        if (!DEVICE_CLASSES.includes(cls as DeviceClass)) throw new TechniqueTableError(`techniques.${id}.speedup.${cls} is not a device class`);
        speedup[cls as DeviceClass] = r === null ? null : range(r, `techniques.${id}.speedup.${cls}`);
      }
    }
    entries[id] = {
      id: id as Technique,
      title: String(t.title ?? id),
      effort,
      sizeFactor: t.sizeFactor !== undefined ? range(t.sizeFactor, `techniques.${id}.sizeFactor`) : undefined,
      speedup,
      accuracyDropPoints: t.accuracyDropPoints !== undefined ? range(t.accuracyDropPoints, `techniques.${id}.accuracyDropPoints`) : { low: 0, typical: 0, high: 0 },
      sources: srcs,
      notes: typeof t.notes === 'string' ? t.notes : undefined,
    };
  }
  for (const need of ['fp16', 'int8-dynamic', 'int8-ptq', 'int8-qat', 'int4-weight-only', 'structured-pruning', 'sparsity', 'distillation', 'low-rank', 'op-rewrite', 'change-runtime', 'change-device']) {
    if (!entries[need]) throw new TechniqueTableError(`techniques.${need} is missing`);
  }
  // QAT runs exactly as fast as static INT8.
  const qat = techs['int8-qat'] as Obj;
  if (qat.speedupSameAs === 'int8-ptq') entries['int8-qat'].speedup = { ...entries['int8-ptq'].speedup };

  const ptq = techs['int8-ptq'] as Obj;
  const int4 = techs['int4-weight-only'] as Obj;
  const prune = techs['structured-pruning'] as Obj;
  const fractions = Array.isArray(prune.fractions) ? (prune.fractions as number[]) : [];
  if (!fractions.length) throw new TechniqueTableError('techniques.structured-pruning.fractions is empty');
  const perFraction = (key: string): Record<string, Range> => {
    const o = prune[key];
    if (!isObj(o)) throw new TechniqueTableError(`techniques.structured-pruning.${key} must be an object`);
    const out: Record<string, Range> = {};
    for (const f of fractions) out[String(f)] = range(o[String(f)], `techniques.structured-pruning.${key}.${f}`);
    return out;
  };
  const distil = techs.distillation as Obj;
  const byRatio = Array.isArray(distil.accuracyDropByRatio) ? (distil.accuracyDropByRatio as Obj[]) : [];
  if (!byRatio.length) throw new TechniqueTableError('techniques.distillation.accuracyDropByRatio is empty');
  const lowRank = techs['low-rank'] as Obj;
  const sparsity = techs.sparsity as Obj;

  const sens = data.sensitivity;
  if (!isObj(sens) || !isObj(sens['depthwise-heavy']) || !isObj(sens.transformer)) throw new TechniqueTableError('sensitivity needs depthwise-heavy and transformer');

  const studentsRaw = Array.isArray(data.students) ? (data.students as Obj[]) : [];
  const students: Student[] = studentsRaw.map((s, i) => {
    if (typeof s.name !== 'string' || typeof s.family !== 'string') throw new TechniqueTableError(`students[${i}] needs name and family`);
    if (typeof s.source !== 'string' || !sources[s.source]) throw new TechniqueTableError(`students[${i}] cites unknown source`);
    const num = (k: string): number | undefined => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
    return {
      family: s.family as StudentFamily,
      name: s.name,
      source: s.source,
      macs: num('macs'),
      params: num('params'),
      resolution: num('resolution'),
      macsFactor: num('macsFactor'),
      paramsFactor: num('paramsFactor'),
      activationFactor: num('activationFactor'),
    };
  });

  const rewritesRaw = Array.isArray(data.opRewrites) ? (data.opRewrites as Obj[]) : [];
  const opRewrites: OpRewriteRule[] = rewritesRaw.map((r, i) => {
    if (typeof r.match !== 'string' || typeof r.advice !== 'string') throw new TechniqueTableError(`opRewrites[${i}] needs match and advice`);
    const rep = isObj(r.replacement) && typeof r.replacement.onnx === 'string' && typeof r.replacement.tflite === 'string' ? { onnx: r.replacement.onnx, tflite: r.replacement.tflite } : undefined;
    return { match: r.match, re: new RegExp(r.match), advice: r.advice, replacement: rep, moveToHost: r.moveToHost === true, remove: r.remove === true, equivalent: r.equivalent === true };
  });

  return {
    sources,
    entries,
    perTensorAccuracyDrop: range(ptq.perTensorAccuracyDropPoints, 'techniques.int8-ptq.perTensorAccuracyDropPoints'),
    smallModelInt4AccuracyDrop: range(int4.smallModelAccuracyDropPoints, 'techniques.int4-weight-only.smallModelAccuracyDropPoints'),
    pruning: { fractions, size: perFraction('sizeFactorPerFraction'), speedup: perFraction('speedupPerFraction'), accuracy: perFraction('accuracyDropPerFraction') },
    distillationByRatio: byRatio.map((b, i) => {
      if (typeof b.maxRatio !== 'number' || typeof b.source !== 'string' || !sources[b.source]) throw new TechniqueTableError(`techniques.distillation.accuracyDropByRatio[${i}] is malformed`);
      return { maxRatio: b.maxRatio, range: range(b.range, `techniques.distillation.accuracyDropByRatio[${i}].range`), source: b.source };
    }),
    sensitivity: { 'depthwise-heavy': sens['depthwise-heavy'] as Record<string, number | string>, transformer: sens.transformer as Record<string, number | string> },
    students,
    opRewrites,
    lowRank: { rankFraction: Number(lowRank.rankFraction ?? 0.25), minLayerParams: Number(lowRank.minLayerParams ?? 262144) },
    sparsityAcceleratedOn: (Array.isArray(sparsity.acceleratedOn) ? sparsity.acceleratedOn : []) as DeviceClass[],
    int4Bits: Number(int4.weightBits ?? 4.125),
  };
}

export const TECHNIQUES: TechniqueTable = parseTechniqueTable(raw);

/** "Title — source; source" citation line for a step. */
export function citation(ids: string[]): string {
  return ids
    .map((id) => TECHNIQUES.sources[id])
    .filter(Boolean)
    .map((s) => `${s.source} ("${s.quote}")`)
    .join('; ');
}
