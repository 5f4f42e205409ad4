/**
 * The technique effect table (techniques.json) as typed data, validated once at load.
 * Code reads effect ranges, sources, students and op-rewrite rules from here, never hard-codes them.
 * No `vscode` import.
 */
import type { Effort, Range, SourceRef, Technique } from '../types';
import raw from './techniques.json';
import { DataFileError, isObj, type JsonObject } from '../catalog/check';

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

/** techniques.json does not match its schema: the message names the file and the field. */
export class TechniqueTableError extends DataFileError {
  constructor(message: string) {
    super(`techniques.json: ${message}`);
    this.name = 'TechniqueTableError';
  }
}

type Obj = JsonObject;
const TECHNIQUE_IDS: readonly Technique[] = ['none', 'fp16', 'int8-dynamic', 'int8-ptq', 'int8-qat', 'int4-weight-only', 'structured-pruning', 'sparsity', 'distillation', 'low-rank', 'op-rewrite', 'change-runtime', 'change-device'];
const STUDENT_FAMILIES: readonly StudentFamily[] = ['cnn-classifier', 'detector', 'transformer-encoder', 'llm', 'generic'];

/** The object at `where`, or a TechniqueTableError naming it. */
function objAt(v: unknown, where: string): Obj {
  if (!isObj(v)) throw new TechniqueTableError(`${where} must be an object`);
  return v;
}

/** A list of objects at `where` (absent = empty). */
function objList(v: unknown, where: string): Obj[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new TechniqueTableError(`${where} must be a list`);
  return v.map((x, i) => objAt(x, `${where}[${i}]`));
}

/** A sensitivity table: multipliers by technique, plus its source and note. */
function sensitivityTable(v: unknown, where: string): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, x] of Object.entries(objAt(v, where))) {
    if (typeof x !== 'number' && typeof x !== 'string') throw new TechniqueTableError(`${where}.${k} must be a number (or the source / note text)`);
    out[k] = x;
  }
  return out;
}

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
    const effort = EFFORTS.find((e) => e === t.effort);
    if (!effort) throw new TechniqueTableError(`techniques.${id}.effort is not an effort level`);
    const srcs = Array.isArray(t.sources) ? t.sources.map(String) : [];
    if (!srcs.length) throw new TechniqueTableError(`techniques.${id} cites no source`);
    for (const s of srcs) if (!sources[s]) throw new TechniqueTableError(`techniques.${id} cites unknown source ${s}`);
    const speedup: Partial<Record<DeviceClass, Range | null>> = {};
    if (isObj(t.speedup)) {
      for (const [cls, r] of Object.entries(t.speedup)) {
        const known = DEVICE_CLASSES.find((d) => d === cls);
        if (!known) throw new TechniqueTableError(`techniques.${id}.speedup.${cls} is not a device class`);
        speedup[known] = r === null ? null : range(r, `techniques.${id}.speedup.${cls}`);
      }
    }
    const technique = TECHNIQUE_IDS.find((x) => x === id);
    if (!technique) throw new TechniqueTableError(`techniques.${id} is not a technique (${TECHNIQUE_IDS.join(', ')})`);
    entries[id] = {
      id: technique,
      title: String(t.title ?? id),
      effort,
      sizeFactor: t.sizeFactor !== undefined ? range(t.sizeFactor, `techniques.${id}.sizeFactor`) : undefined,
      speedup,
      accuracyDropPoints: t.accuracyDropPoints !== undefined ? range(t.accuracyDropPoints, `techniques.${id}.accuracyDropPoints`) : { low: 0, typical: 0, high: 0 },
      sources: srcs,
      notes: typeof t.notes === 'string' ? t.notes : undefined,
    };
  }
  for (const need of TECHNIQUE_IDS.filter((x) => x !== 'none')) {
    if (!entries[need]) throw new TechniqueTableError(`techniques.${need} is missing`);
  }
  // QAT runs exactly as fast as static INT8.
  const qat = objAt(techs['int8-qat'], 'techniques.int8-qat');
  if (qat.speedupSameAs === 'int8-ptq') entries['int8-qat'].speedup = { ...entries['int8-ptq'].speedup };

  const ptq = objAt(techs['int8-ptq'], 'techniques.int8-ptq');
  const int4 = objAt(techs['int4-weight-only'], 'techniques.int4-weight-only');
  const prune = objAt(techs['structured-pruning'], 'techniques.structured-pruning');
  const fractions = Array.isArray(prune.fractions) ? prune.fractions.map((f, i) => {
    if (typeof f !== 'number' || !(f > 0 && f < 1)) throw new TechniqueTableError(`techniques.structured-pruning.fractions[${i}] must be a fraction between 0 and 1`);
    return f;
  }) : [];
  if (!fractions.length) throw new TechniqueTableError('techniques.structured-pruning.fractions is empty');
  const perFraction = (key: string): Record<string, Range> => {
    const o = prune[key];
    if (!isObj(o)) throw new TechniqueTableError(`techniques.structured-pruning.${key} must be an object`);
    const out: Record<string, Range> = {};
    for (const f of fractions) out[String(f)] = range(o[String(f)], `techniques.structured-pruning.${key}.${f}`);
    return out;
  };
  const distil = objAt(techs.distillation, 'techniques.distillation');
  const byRatio = objList(distil.accuracyDropByRatio, 'techniques.distillation.accuracyDropByRatio');
  if (!byRatio.length) throw new TechniqueTableError('techniques.distillation.accuracyDropByRatio is empty');
  const lowRank = objAt(techs['low-rank'], 'techniques.low-rank');
  const sparsity = objAt(techs.sparsity, 'techniques.sparsity');

  const sens = data.sensitivity;
  if (!isObj(sens) || !isObj(sens['depthwise-heavy']) || !isObj(sens.transformer)) throw new TechniqueTableError('sensitivity needs depthwise-heavy and transformer');

  const studentsRaw = objList(data.students, 'students');
  const students: Student[] = studentsRaw.map((s, i) => {
    const family = STUDENT_FAMILIES.find((f) => f === s.family);
    if (typeof s.name !== 'string' || !family) throw new TechniqueTableError(`students[${i}] needs name and family (${STUDENT_FAMILIES.join(', ')})`);
    if (typeof s.source !== 'string' || !sources[s.source]) throw new TechniqueTableError(`students[${i}] cites unknown source`);
    const num = (k: string): number | undefined => {
      const v = s[k];
      return typeof v === 'number' ? v : undefined;
    };
    return {
      family,
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

  const rewritesRaw = objList(data.opRewrites, 'opRewrites');
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
    sensitivity: { 'depthwise-heavy': sensitivityTable(sens['depthwise-heavy'], 'sensitivity.depthwise-heavy'), transformer: sensitivityTable(sens.transformer, 'sensitivity.transformer') },
    students,
    opRewrites,
    lowRank: { rankFraction: Number(lowRank.rankFraction ?? 0.25), minLayerParams: Number(lowRank.minLayerParams ?? 262144) },
    sparsityAcceleratedOn: (Array.isArray(sparsity.acceleratedOn) ? sparsity.acceleratedOn : []).map((c, i) => {
      const cls = DEVICE_CLASSES.find((d) => d === c);
      if (!cls) throw new TechniqueTableError(`techniques.sparsity.acceleratedOn[${i}] is not a device class`);
      return cls;
    }),
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
