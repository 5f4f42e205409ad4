/**
 * The expected effect of one pipeline step, from the technique table (techniques.json) adjusted for the model
 * and the device: accuracy drop (scaled by the model's sensitivity), speed-up (capped by the share of work the
 * step converts), size factor and engineering effort. Returns ranges and the adjustments made.
 * No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import type { Effort, Range } from '../types';
import type { StepSpec } from './candidate';
import { TECHNIQUES, type DeviceClass } from './technique-table';
import { findRewriteRule, studentFactors } from './transform';
import type { ModelTraits } from './traits';

export const scaleRange = (r: Range, f: number): Range => ({ low: r.low * f, typical: r.typical * f, high: r.high * f });
export const addRange = (a: Range, b: Range): Range => ({ low: a.low + b.low, typical: a.typical + b.typical, high: a.high + b.high });
export const ZERO: Range = { low: 0, typical: 0, high: 0 };
export const ONE: Range = { low: 1, typical: 1, high: 1 };

/** Why a step's accuracy range differs from the table's: explain.ts words these. */
export type AccuracyAdjustment =
  | { kind: 'depthwise-heavy'; factor: number }
  | { kind: 'transformer'; factor: number }
  | { kind: 'small-model-int4' }
  | { kind: 'distillation-ratio'; ratio: number };

function sensitivity(tech: string, t: ModelTraits): { factor: number; why: AccuracyAdjustment[] } {
  let factor = 1;
  const why: AccuracyAdjustment[] = [];
  const dw = TECHNIQUES.sensitivity['depthwise-heavy'][tech];
  const tr = TECHNIQUES.sensitivity.transformer[tech];
  if (t.depthwiseHeavy && typeof dw === 'number' && dw > factor) {
    factor = dw;
    why.push({ kind: 'depthwise-heavy', factor: dw });
  }
  if (t.transformer && !t.llm && typeof tr === 'number' && tr > factor) {
    factor = tr;
    why.push({ kind: 'transformer', factor: tr });
  }
  return { factor, why };
}

export function stepAccuracy(s: StepSpec, p: ModelProfile, t: ModelTraits): { range: Range; notes: AccuracyAdjustment[] } {
  const e = TECHNIQUES.entries[s.technique];
  switch (s.technique) {
    case 'int8-ptq': {
      const key = s.perChannel === false ? 'int8-ptq-per-tensor' : 'int8-ptq';
      const base = s.perChannel === false ? TECHNIQUES.perTensorAccuracyDrop : e.accuracyDropPoints;
      const sens = sensitivity(key, t);
      return { range: scaleRange(base, sens.factor), notes: sens.why };
    }
    case 'int4-weight-only': {
      const small = !t.llm && p.params < 1e9;
      const base = small ? TECHNIQUES.smallModelInt4AccuracyDrop : e.accuracyDropPoints;
      const sens = sensitivity('int4-weight-only', t);
      return { range: scaleRange(base, sens.factor), notes: small ? [{ kind: 'small-model-int4' }, ...sens.why] : sens.why };
    }
    case 'structured-pruning': {
      const base = TECHNIQUES.pruning.accuracy[String(s.fraction ?? 0.3)] ?? e.accuracyDropPoints;
      const sens = sensitivity('structured-pruning', t);
      return { range: scaleRange(base, sens.factor), notes: sens.why };
    }
    case 'distillation': {
      const f = s.student ? studentFactors(p, s.student) : null;
      const ratio = f ? 1 / f.macs : 2;
      const row = TECHNIQUES.distillationByRatio.find((r) => ratio <= r.maxRatio) ?? TECHNIQUES.distillationByRatio[TECHNIQUES.distillationByRatio.length - 1];
      return { range: row.range, notes: [{ kind: 'distillation-ratio', ratio }] };
    }
    case 'op-rewrite':
      return { range: needsFineTune(s) ? e.accuracyDropPoints : ZERO, notes: [] };
    default: {
      const sens = sensitivity(s.technique, t);
      return { range: scaleRange(e.accuracyDropPoints, sens.factor), notes: sens.why };
    }
  }
}

/** An op rewrite that is not mathematically equivalent (or has no known rule) needs a fine-tune. */
function needsFineTune(s: StepSpec): boolean {
  return (s.ops ?? []).some((op) => {
    const r = findRewriteRule(op);
    return !r || !r.equivalent;
  });
}

export function stepEffort(s: StepSpec): Effort {
  if (s.technique === 'op-rewrite') return needsFineTune(s) ? 'retraining' : 'no-retraining';
  return TECHNIQUES.entries[s.technique].effort;
}

/** Table speed-up for the device class, capped by the share of work the step converts (ops left in float). */
export function stepSpeedup(s: StepSpec, cls: DeviceClass, t: ModelTraits): Range | undefined {
  const e = TECHNIQUES.entries[s.technique];
  if (s.technique === 'structured-pruning') return TECHNIQUES.pruning.speedup[String(s.fraction ?? 0.3)];
  if (s.technique === 'distillation' || s.technique === 'op-rewrite' || s.technique === 'change-runtime' || s.technique === 'change-device' || s.technique === 'none') return undefined;
  const r = e.speedup[cls];
  // null: the class cannot run it; undefined: no data. Either way no speed-up is claimed.
  if (r === null || r === undefined) return ONE;
  const share = s.technique === 'int8-dynamic' ? t.int8DynamicShare : s.technique === 'int8-ptq' || s.technique === 'int8-qat' ? t.int8StaticShare : 1;
  if (share >= 0.999 || cls === 'edgetpu') return r;
  const amdahl = (x: number): number => 1 / (1 - share + share / x);
  return { low: amdahl(r.low), typical: amdahl(r.typical), high: amdahl(r.high) };
}

export function stepSize(s: StepSpec, before: ModelProfile, after: ModelProfile): Range | undefined {
  const e = TECHNIQUES.entries[s.technique];
  const actual = before.weightBytes > 0 ? after.weightBytes / before.weightBytes : 1;
  if (s.technique === 'structured-pruning') return TECHNIQUES.pruning.size[String(s.fraction ?? 0.3)];
  if (s.technique === 'distillation' || s.technique === 'low-rank' || s.technique === 'op-rewrite') return { low: actual, typical: actual, high: actual };
  if (!e.sizeFactor) return undefined;
  // Weights already narrower than the table assumes (a partly quantized model): the measured factor wins.
  if (actual > e.sizeFactor.high * 1.05) return { low: Math.min(actual, e.sizeFactor.low), typical: actual, high: Math.max(actual, e.sizeFactor.high) };
  return e.sizeFactor;
}
