/**
 * DeploymentPlan: the one plan model. The planner form edits it, `.edgeplan/<name>.plan.json` stores it,
 * the CLI builds it, and every exporter renders a PlanDocument (the plan plus the computed results).
 * No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import type { Budgets, DeviceEstimate, RecommendationResult, Technique } from '../types';
import { validateVerification, type PlanVerification } from './verification';
import { PlanValidationError, isObj, list, number, text, type Obj } from './validation';
import { MAX_CPU_THREADS } from '../threads';

export type { PlanVerification } from './verification';

export const PLAN_SCHEMA_VERSION = 1;

export interface RolloutStage {
  name: string;
  /** Share of the fleet, 0-100. */
  percent: number;
  /** How long the stage runs before the next, in days. */
  durationDays: number;
  /** What must hold to move on (e.g. "crash rate < 0.1 %, p95 latency within budget"). */
  exitCriteria: string;
}

export interface Risk {
  description: string;
  likelihood: 'low' | 'medium' | 'high';
  impact: 'low' | 'medium' | 'high';
  mitigation: string;
}

export interface DeploymentPlan {
  schemaVersion: number;
  project: {
    name: string;
    owner: string;
    /** Plan version, e.g. "1.0". */
    version: string;
    /** ISO date (YYYY-MM-DD) the plan was last edited. */
    date: string;
    useCase: string;
  };
  /**
   * The model file, relative to the workspace (or as given on the CLI), and the values its symbolic input
   * dimensions were bound to for the figures (absent when the model has none).
   */
  model: { file: string; name: string; bindings?: Record<string, number> };
  /** Target device IDs from the catalog; the first is the primary target. */
  targets: string[];
  budgets: Budgets;
  /** Notes on data and retraining constraints beyond the two budget flags. */
  dataConstraints: string;
  compression: {
    /** The chosen pipeline, from the recommender, editable by the user. */
    techniques: Technique[];
    notes: string;
  };
  /** cpuThreads: the threads the runtime's CPU kernels use (absent: every core); estimates on an application CPU take it. */
  runtime: { name: string; notes: string; cpuThreads?: number };
  rollout: {
    stages: RolloutStage[];
    signing: string;
    rollback: string;
    abTest: string;
  };
  privacy: {
    onDeviceOnly: boolean;
    federatedLearning: boolean;
    differentialPrivacy: boolean;
    notes: string;
  };
  fairness: {
    /** User groups the calibration set and the audit must cover. */
    groups: string[];
    metric: string;
    /** Largest accepted accuracy gap between groups after compression, in points. */
    maxGapPoints: number | null;
    notes: string;
  };
  monitoring: { metrics: string[]; drift: string; notes: string };
  offloading: {
    enabled: boolean;
    /** Below this confidence (0-1) the request is sent to the fallback. */
    confidenceThreshold: number | null;
    fallback: string;
    notes: string;
  };
  risks: Risk[];
  openQuestions: string[];
  /** Compression steps measured on the user's data and this machine (edgeplan verify), newest per technique. */
  verification?: PlanVerification[];
}

/** What the exporters render: the plan plus the figures computed for it. */
export interface PlanDocument {
  plan: DeploymentPlan;
  profile: ModelProfile;
  estimates: DeviceEstimate[];
  recommendation: RecommendationResult | null;
  /** Every catalog figure the estimates used, with its source, for the "Assumptions and sources" section. */
  sources: { device: string; figure: string; value: string; source: string; quote: string }[];
  warnings: string[];
  generatedAt: string;
  toolVersion: string;
}

const today = (): string => new Date().toISOString().slice(0, 10);

/** A complete plan with sensible defaults for the given model and targets. */
export function createDefaultPlan(modelFile: string, modelName: string, targets: string[], budgets: Budgets = {}): DeploymentPlan {
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    project: { name: `${modelName} edge deployment`, owner: '', version: '1.0', date: today(), useCase: '' },
    model: { file: modelFile, name: modelName },
    targets: [...targets],
    budgets: { retraining: true, calibrationData: true, ...budgets },
    dataConstraints: '',
    compression: { techniques: [], notes: '' },
    runtime: { name: '', notes: '' },
    rollout: {
      stages: [
        { name: 'Canary', percent: 1, durationDays: 3, exitCriteria: 'No crash or latency regression; on-device accuracy within the budget on the A/B holdout.' },
        { name: 'Early', percent: 10, durationDays: 7, exitCriteria: 'Monitoring metrics stable; fairness gap within the limit.' },
        { name: 'General availability', percent: 100, durationDays: 0, exitCriteria: 'Rollback plan tested.' },
      ],
      signing: 'Model artifacts signed at build time; the device verifies the signature before loading.',
      rollback: 'Keep the previous model on the device; roll back automatically when crash rate or p95 latency exceeds the stage criteria.',
      abTest: 'On-device A/B against the current model on a held-out share of the fleet.',
    },
    privacy: { onDeviceOnly: true, federatedLearning: false, differentialPrivacy: false, notes: '' },
    fairness: { groups: [], metric: 'Accuracy per group', maxGapPoints: null, notes: '' },
    monitoring: { metrics: ['p95 latency', 'memory', 'crash rate', 'confidence distribution'], drift: '', notes: '' },
    offloading: { enabled: false, confidenceThreshold: null, fallback: '', notes: '' },
    risks: [],
    openQuestions: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Validation of a plan read from disk or from the webview: never trust its shape.

export { PlanValidationError } from './validation';

const MAX_TEXT = 20_000;
const MAX_LIST = 200;

/** o[key] as text (fallback when absent); the field readers and their messages are validation.ts's. */
function str(o: Obj, key: string, field: string, fallback = ''): string {
  const v = o[key];
  return v === undefined || v === null ? fallback : text(v, `${field}.${key}`, MAX_TEXT);
}

function bool(o: Obj, key: string, field: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new PlanValidationError(`${field}.${key}`, 'must be true or false');
  return v;
}

/** o[key] as a number within [min, max]; absent or an empty form field is undefined. */
function num(o: Obj, key: string, field: string, min: number, max: number): number | undefined {
  const v = o[key];
  return v === undefined || v === null || v === '' ? undefined : number(v, `${field}.${key}`, min, max);
}

function strList(o: Obj, key: string, field: string): string[] {
  return list(o[key], `${field}.${key}`, MAX_LIST, (x, f) => text(x, f, MAX_TEXT));
}

function sub(o: Obj, key: string): Obj {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new PlanValidationError(key, 'must be an object');
  return v;
}

const TECHNIQUES: readonly Technique[] = [
  'none', 'fp16', 'int8-dynamic', 'int8-ptq', 'int8-qat', 'int4-weight-only', 'structured-pruning',
  'sparsity', 'distillation', 'low-rank', 'op-rewrite', 'change-runtime', 'change-device',
];
const LEVELS = ['low', 'medium', 'high'] as const;

/** Budgets from untrusted input; throws PlanValidationError naming the field. */
export function validateBudgets(raw: unknown, field = 'budgets'): Budgets {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) throw new PlanValidationError(field, 'must be an object');
  const b: Budgets = {};
  const lat = num(raw, 'latencyMs', field, 0.001, 3_600_000);
  if (lat !== undefined) b.latencyMs = lat;
  const mem = num(raw, 'memoryMb', field, 0.001, 10_000_000);
  if (mem !== undefined) b.memoryMb = mem;
  const pw = num(raw, 'powerW', field, 0.0001, 10_000);
  if (pw !== undefined) b.powerW = pw;
  const en = num(raw, 'energyMj', field, 0.0001, 1e9);
  if (en !== undefined) b.energyMj = en;
  const acc = num(raw, 'accuracyDrop', field, 0, 100);
  if (acc !== undefined) b.accuracyDrop = acc;
  b.retraining = bool(raw, 'retraining', field, true);
  b.calibrationData = bool(raw, 'calibrationData', field, true);
  return b;
}

/** runtime.cpuThreads: a whole number of threads from 1 to MAX_CPU_THREADS, or absent (every core). */
function threadsOf(runtime: Obj): { cpuThreads?: number } {
  const n = num(runtime, 'cpuThreads', 'runtime', 1, MAX_CPU_THREADS);
  if (n === undefined) return {};
  if (!Number.isInteger(n)) throw new PlanValidationError('runtime.cpuThreads', 'must be a whole number of threads');
  return { cpuThreads: n };
}

/** A DeploymentPlan from untrusted JSON (plan file, webview message); throws PlanValidationError. */
export function validatePlan(raw: unknown): DeploymentPlan {
  if (!isObj(raw)) throw new PlanValidationError('plan', 'must be a JSON object');
  const version = raw.schemaVersion;
  if (version !== undefined && version !== PLAN_SCHEMA_VERSION) {
    throw new PlanValidationError('schemaVersion', `is ${String(version)}; this version of the planner reads ${PLAN_SCHEMA_VERSION}`);
  }
  const project = sub(raw, 'project');
  const model = sub(raw, 'model');
  const compression = sub(raw, 'compression');
  const runtime = sub(raw, 'runtime');
  const rollout = sub(raw, 'rollout');
  const privacy = sub(raw, 'privacy');
  const fairness = sub(raw, 'fairness');
  const monitoring = sub(raw, 'monitoring');
  const offloading = sub(raw, 'offloading');

  const techniques = strList(compression, 'techniques', 'compression').map((t, i) => {
    if (!(TECHNIQUES as readonly string[]).includes(t)) throw new PlanValidationError(`compression.techniques[${i}]`, `"${t}" is not a known technique`);
    return t as Technique;
  });

  const stagesRaw = rollout.stages;
  if (stagesRaw !== undefined && !Array.isArray(stagesRaw)) throw new PlanValidationError('rollout.stages', 'must be a list');
  const stages: RolloutStage[] = (Array.isArray(stagesRaw) ? stagesRaw : []).slice(0, MAX_LIST).map((s, i) => {
    if (!isObj(s)) throw new PlanValidationError(`rollout.stages[${i}]`, 'must be an object');
    const f = `rollout.stages[${i}]`;
    return {
      name: str(s, 'name', f),
      percent: num(s, 'percent', f, 0, 100) ?? 0,
      durationDays: num(s, 'durationDays', f, 0, 3650) ?? 0,
      exitCriteria: str(s, 'exitCriteria', f),
    };
  });

  const risksRaw = raw.risks;
  if (risksRaw !== undefined && !Array.isArray(risksRaw)) throw new PlanValidationError('risks', 'must be a list');
  const risks: Risk[] = (Array.isArray(risksRaw) ? risksRaw : []).slice(0, MAX_LIST).map((r, i) => {
    if (!isObj(r)) throw new PlanValidationError(`risks[${i}]`, 'must be an object');
    const f = `risks[${i}]`;
    const level = (k: string): Risk['likelihood'] => {
      const v = r[k] ?? 'medium';
      if (typeof v !== 'string' || !(LEVELS as readonly string[]).includes(v)) throw new PlanValidationError(`${f}.${k}`, 'must be low, medium or high');
      return v as Risk['likelihood'];
    };
    return { description: str(r, 'description', f), likelihood: level('likelihood'), impact: level('impact'), mitigation: str(r, 'mitigation', f) };
  });

  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    project: {
      name: str(project, 'name', 'project'),
      owner: str(project, 'owner', 'project'),
      version: str(project, 'version', 'project', '1.0'),
      date: str(project, 'date', 'project', today()),
      useCase: str(project, 'useCase', 'project'),
    },
    model: { file: str(model, 'file', 'model'), name: str(model, 'name', 'model'), ...bindingsOf(model) },
    targets: strList(raw, 'targets', 'plan'),
    budgets: validateBudgets(raw.budgets),
    dataConstraints: str(raw, 'dataConstraints', 'plan'),
    compression: { techniques, notes: str(compression, 'notes', 'compression') },
    runtime: { name: str(runtime, 'name', 'runtime'), notes: str(runtime, 'notes', 'runtime'), ...threadsOf(runtime) },
    rollout: {
      stages,
      signing: str(rollout, 'signing', 'rollout'),
      rollback: str(rollout, 'rollback', 'rollout'),
      abTest: str(rollout, 'abTest', 'rollout'),
    },
    privacy: {
      onDeviceOnly: bool(privacy, 'onDeviceOnly', 'privacy', true),
      federatedLearning: bool(privacy, 'federatedLearning', 'privacy', false),
      differentialPrivacy: bool(privacy, 'differentialPrivacy', 'privacy', false),
      notes: str(privacy, 'notes', 'privacy'),
    },
    fairness: {
      groups: strList(fairness, 'groups', 'fairness'),
      metric: str(fairness, 'metric', 'fairness'),
      maxGapPoints: num(fairness, 'maxGapPoints', 'fairness', 0, 100) ?? null,
      notes: str(fairness, 'notes', 'fairness'),
    },
    monitoring: {
      metrics: strList(monitoring, 'metrics', 'monitoring'),
      drift: str(monitoring, 'drift', 'monitoring'),
      notes: str(monitoring, 'notes', 'monitoring'),
    },
    offloading: {
      enabled: bool(offloading, 'enabled', 'offloading', false),
      confidenceThreshold: num(offloading, 'confidenceThreshold', 'offloading', 0, 1) ?? null,
      fallback: str(offloading, 'fallback', 'offloading'),
      notes: str(offloading, 'notes', 'offloading'),
    },
    risks,
    openQuestions: strList(raw, 'openQuestions', 'plan'),
    ...verificationsOf(raw.verification),
  };
}

/** verification: the measured steps, each validated (a broken entry names its field). */
function verificationsOf(v: unknown): { verification?: PlanVerification[] } {
  if (v === undefined || v === null) return {};
  if (!Array.isArray(v) || v.length > 8) throw new PlanValidationError('verification', 'must be a list of at most 8 measurements');
  return { verification: v.map((x, i) => validateVerification(x, `verification[${i}]`)) };
}

/** model.bindings: symbol name → whole number 1..1,000,000 (at most 32 symbols). */
function bindingsOf(model: Obj): { bindings?: Record<string, number> } {
  const v = model.bindings;
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new PlanValidationError('model.bindings', 'must be an object of NAME: number');
  const entries = Object.entries(v);
  if (entries.length > 32) throw new PlanValidationError('model.bindings', 'has more than 32 symbols');
  const out: Record<string, number> = {};
  for (const [k, n] of entries) {
    if (!k || k.length > 200 || k === '__proto__' || k === 'constructor' || k === 'prototype') throw new PlanValidationError('model.bindings', `"${k.slice(0, 40)}" is not a dimension name`);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1_000_000) throw new PlanValidationError(`model.bindings.${k}`, 'must be a whole number from 1 to 1000000');
    out[k] = n;
  }
  return entries.length ? { bindings: out } : {};
}

/** Stable, diff-friendly JSON for the plan file (2-space indent, trailing newline). */
export function serializePlan(plan: DeploymentPlan): string {
  return JSON.stringify(plan, null, 2) + '\n';
}
