/**
 * Builds the PlanDocument every front door shows and every exporter renders: the user's plan (from a
 * plan file or defaults) plus the estimates and the recommendation computed for it. No `vscode` import.
 */
import * as path from 'path';
import type { AnalysisResult } from '../../analyzers/profile-types';
import { loadCatalog } from '../catalog';
import { cpuThreadsFor, estimateDevice } from '../estimate';
import { recommend } from '../recommend';
import { applyMeasured } from '../recommend/measured';
import { createDefaultPlan, validatePlan, type DeploymentPlan, type PlanDocument } from '.';
import { derivedRisks } from './risks';
import type { Budgets, ComputePrecision, DeviceEstimate, RecommendationResult } from '../types';
import { VERSION } from '../../version';
import type { DeviceCorrection } from '../estimate/measurements';

export interface PlanInputs {
  analysis: AnalysisResult;
  /** Model path as the plan should record it (workspace-relative in VS Code, as given on the CLI). */
  modelFile: string;
  /** Target devices; the first is the primary target. When empty, the plan's own targets are used. */
  deviceIds: string[];
  /** Budgets given now (CLI flags, form); they override the plan file's. */
  budgets?: Budgets;
  precision?: ComputePrecision;
  /** A saved plan (.plan.json) to start from; validated here. */
  planJson?: unknown;
  /** The user's own measurements per device (edgeplan measure), applied to every estimate. */
  corrections?: ReadonlyMap<string, DeviceCorrection>;
  /** CPU threads given now (CLI --threads); overrides the plan file's runtime.cpuThreads. */
  cpuThreads?: number;
  /** The runtime given now (CLI --runtime, a catalog runtime id); overrides the plan file's runtime.name. */
  runtime?: string;
}

/**
 * The runtime a target is estimated for: the plan's runtime.name where it is one of that target's catalog runtime
 * ids (e.g. "ncnn" on the Pi 5), else the target's default (runtime.name is then free text, e.g. "TF Lite 2.16").
 */
export function planRuntimeFor(plan: DeploymentPlan, deviceId: string): string | undefined {
  const name = plan.runtime.name.trim();
  return name && loadCatalog().byId(deviceId)?.runtimes.some((r) => r.id === name) ? name : undefined;
}

export function buildPlanDocument(inputs: PlanInputs): PlanDocument {
  const profile = inputs.analysis.model;
  const modelName = path.basename(inputs.modelFile);
  const base: DeploymentPlan = inputs.planJson !== undefined ? validatePlan(inputs.planJson) : createDefaultPlan(inputs.modelFile, modelName, inputs.deviceIds);
  const plan: DeploymentPlan = {
    ...base,
    model: {
      file: inputs.modelFile,
      name: base.model.name || modelName,
      ...(profile.dynamicShapes.symbols.length ? { bindings: { ...profile.dynamicShapes.bindings } } : {}),
    },
    targets: inputs.deviceIds.length ? [...inputs.deviceIds] : base.targets,
    budgets: { ...base.budgets, ...definedOnly(inputs.budgets ?? {}) },
    runtime: { ...base.runtime, ...(inputs.cpuThreads !== undefined ? { cpuThreads: inputs.cpuThreads } : {}), ...(inputs.runtime !== undefined ? { name: inputs.runtime } : {}) },
  };
  if (!plan.project.name) plan.project.name = `${modelName} edge deployment`;
  if (plan.targets.length === 0) throw new Error('the plan names no target device');

  const corrections = inputs.corrections;
  const cpuThreads = plan.runtime.cpuThreads;
  const estimates: DeviceEstimate[] = plan.targets.map((id) => estimateDevice(profile, id, { precision: inputs.precision, runtime: planRuntimeFor(plan, id), budgets: plan.budgets, corrections, measuredModel: profile.file, ...cpuThreadsFor(id, cpuThreads) }));
  // Steps measured on the user's data (edgeplan verify) are marked, and may re-rank the pipelines.
  const recommendation: RecommendationResult = applyMeasured(recommend(profile, plan.targets[0], plan.budgets, { precision: inputs.precision, corrections, measuredModel: profile.file, cpuThreads, runtime: planRuntimeFor(plan, plan.targets[0]), preferredDevices: plan.targets.slice(1) }), plan.verification);

  const top = recommendation.recommendations[0];
  if (plan.compression.techniques.length === 0 && top) {
    plan.compression.techniques = top.steps.length ? top.steps.map((s) => s.technique) : ['none'];
  }
  if (!plan.runtime.name) plan.runtime.name = estimates[0]?.runtime ?? '';
  if (plan.risks.length === 0) plan.risks = derivedRisks(estimates, recommendation, plan);
  if (plan.openQuestions.length === 0) plan.openQuestions = derivedQuestions(inputs.analysis, estimates);

  return {
    plan,
    profile,
    estimates,
    recommendation,
    sources: catalogSources(plan.targets),
    warnings: [...inputs.analysis.warnings],
    generatedAt: new Date().toISOString(),
    toolVersion: VERSION,
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function derivedQuestions(analysis: AnalysisResult, estimates: DeviceEstimate[]): string[] {
  const q: string[] = [];
  const dyn = analysis.model.dynamicShapes;
  if (dyn.hasDynamic) q.push(`Which values will the symbolic dimensions take in production (${dyn.symbols.join(', ')})? The figures assume ${Object.entries(dyn.bindings).map(([k, v]) => `${k}=${v}`).join(', ')}.`);
  if (estimates.some((e) => e.memory.limitBytes === null)) q.push('Some device memory limits are unknown in the catalog; confirm the RAM available to the model on the target.');
  return q;
}

/**
 * Every sourced number of the target devices' catalog entries, flattened for the "Assumptions and
 * sources" section. Walks the entries generically: any object with value, unit and ref {source, quote}.
 */
function catalogSources(deviceIds: string[]): PlanDocument['sources'] {
  const catalog = loadCatalog();
  const out: PlanDocument['sources'] = [];
  for (const id of deviceIds) {
    const spec = catalog.byId(id);
    if (!spec) continue;
    walk(spec, [], (figure, value, source, quote) => out.push({ device: id, figure, value, source, quote }));
  }
  return out;
}

/** Catalog keys as a reviewer reads them in the sources table ("onChipParamCache" would break mid-word in a narrow column). */
const FIGURE_WORDS: Record<string, string> = {
  cpu: 'CPU',
  ram: 'RAM',
  onChipParamCache: 'on-chip parameter cache',
  paramStreamBandwidth: 'parameter streaming bandwidth',
  onChipSram: 'on-chip SRAM',
  peakCores: 'cores in the peak',
};
const figureWords = (key: string): string => FIGURE_WORDS[key] ?? key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

function walk(node: unknown, trail: string[], emit: (figure: string, value: string, source: string, quote: string) => void, depth = 0): void {
  if (depth > 8 || node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  const ref = o.ref as { source?: unknown; quote?: unknown } | undefined;
  if ('value' in o && ref && typeof ref === 'object' && typeof ref.source === 'string') {
    emit(trail.join(' › '), `${String(o.value)}${typeof o.unit === 'string' ? ` ${o.unit}` : ''}`, ref.source, typeof ref.quote === 'string' ? ref.quote : '');
    return;
  }
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...trail, String(i)], emit, depth + 1));
  else for (const [k, v] of Object.entries(o)) walk(v, [...trail, figureWords(k)], emit, depth + 1);
}
