/**
 * The host's door onto the core: every core module is loaded on first use (dynamic import), so activation
 * loads none of them — not the analyzers, not the exporters, never onnxruntime-node.
 * Analysis results are cached per file (path + size + mtime + bindings).
 */
import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import type { AnalysisResult, AnalyzeOptions } from '../analyzers/profile-types';
import type { Budgets, ComputePrecision, DeviceEstimate, RecommendationResult } from '../planner/types';
import { boundedLayers, type DeviceChoice, type DeviceResult, type RuntimeChoices } from '../protocol';
import type { PlanVerification } from '../planner/plan/verification';
import type { DeploymentPlan } from '../planner/plan';
import type { DeviceCorrection } from '../planner/estimate/measurements';
import { log } from './log';

type Core = typeof import('../core');
let core: Core | undefined;
/**
 * dist/core.js, required on first use: a separate bundle, so activation parses only the host code.
 * The path is computed, so esbuild leaves the require alone.
 */
export function loadCore(): Promise<Core> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  core ??= require(path.join(__dirname, 'core.js')) as Core;
  return Promise.resolve(core);
}

interface CacheEntry {
  key: string;
  result: AnalysisResult;
}
const cache = new Map<string, CacheEntry>();
const MAX_CACHE = 32;

function cacheKey(file: string, bindings: Record<string, number> | undefined): string {
  const st = fs.statSync(file);
  return `${st.isDirectory() ? folderStamp(file) : `${st.size}:${st.mtimeMs}`}:${JSON.stringify(bindings ?? {})}`;
}

/** Sizes and times of the files in a (package) folder, links not followed, bounded: what changes when any of them does. */
function folderStamp(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > 6 || parts.length > 200) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else {
        const s = fs.lstatSync(p);
        parts.push(`${path.relative(dir, p)}=${s.size}@${s.mtimeMs}`);
      }
    }
  };
  walk(dir, 0);
  return parts.sort().join('|');
}

/** analyzeFile with a small cache; a changed file (size or mtime) is read again. */
export async function analyze(file: string, opts: AnalyzeOptions = {}): Promise<AnalysisResult> {
  let key: string | undefined;
  try {
    key = cacheKey(file, opts.bindings);
    const hit = cache.get(file);
    if (hit && hit.key === key) {
      log.debug(`analysis cache hit: ${file}`);
      return hit.result;
    }
  } catch {
    // stat failed: let analyzeFile report the problem in its own words
  }
  const { analyzeFile } = await loadCore();
  const started = Date.now();
  const result = await analyzeFile(file, opts);
  log.info(`analyzed ${file} (${result.model.format}, ${result.model.layers.length} layers) in ${Date.now() - started} ms`);
  if (key) {
    cache.delete(file);
    cache.set(file, { key, result });
    while (cache.size > MAX_CACHE) cache.delete(cache.keys().next().value as string);
  }
  return result;
}

export function forget(file: string): void {
  cache.delete(file);
}

/** The catalog devices as choices for the webviews. */
export async function deviceChoices(): Promise<DeviceChoice[]> {
  const { loadCatalog, loadCalibration, deviceChoicesOf } = await loadCore();
  return deviceChoicesOf(loadCatalog().devices, loadCalibration());
}

/**
 * A view's runtime choices after the user picks `runtime` for `deviceId`: kept only when it is one of the device's
 * catalog runtimes and not its default (null or the default removes the choice); anything else is ignored, logged.
 */
export function withRuntimeChoice(choices: RuntimeChoices, devices: readonly DeviceChoice[], deviceId: string, runtime: string | null): RuntimeChoices {
  const offered = devices.find((d) => d.id === deviceId)?.runtimes ?? [];
  const others = Object.fromEntries(Object.entries(choices).filter(([id]) => id !== deviceId));
  if (runtime === null || offered.find((r) => r.id === runtime)?.default) return others;
  if (offered.some((r) => r.id === runtime)) return { ...others, [deviceId]: runtime };
  log.warn(`"${runtime}" is not a runtime of ${deviceId}; ignored`);
  return choices;
}

/** The configured default devices that exist in the catalog (unknown ids are logged and dropped). */
export function knownDevices(wanted: readonly string[], devices: readonly DeviceChoice[]): string[] {
  const ids = new Set(devices.map((d) => d.id));
  const out: string[] = [];
  for (const id of wanted) {
    if (ids.has(id)) {
      if (!out.includes(id)) out.push(id);
    } else log.warn(`device "${id}" is not in the catalog; ignored`);
  }
  return out;
}

type Corrections = ReadonlyMap<string, DeviceCorrection>;
const stores = new Map<string, { key: string; corrections: Corrections | undefined }>();
const reported = new Set<string>();

/**
 * The user's own runs (edgeplan measure) from a workspace folder's store, as the CLI applies them: per-device
 * corrections, and the runs of the very configuration an estimate is for in place of its latency. Read again when the
 * file changes; no store means nothing measured. A store that cannot be read is reported once (the estimates go on
 * uncorrected and say nothing measured), never a failed view.
 */
export async function measurementsFrom(store: string | undefined): Promise<Corrections | undefined> {
  if (!store) return undefined;
  let key: string;
  try {
    const st = fs.statSync(store);
    key = `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  const hit = stores.get(store);
  if (hit && hit.key === key) return hit.corrections;
  const { readMeasurementStore, measurementCorrections } = await loadCore();
  let corrections: Corrections | undefined;
  try {
    const c = measurementCorrections(readMeasurementStore(store));
    corrections = c.size ? c : undefined;
    log.info(`measurements: ${store} has runs for ${c.size} device(s)${c.size ? ` (${[...c.keys()].join(', ')})` : ''}`);
  } catch (e) {
    const message = `Your measurements (${store}) cannot be read: ${(e as Error).message}. Estimates are shown without them.`;
    log.warn(message);
    if (!reported.has(`${store}@${key}`)) {
      reported.add(`${store}@${key}`);
      void vscode.window.showWarningMessage(message);
    }
  }
  stores.set(store, { key, corrections });
  return corrections;
}

/** Estimates per device; a device that fails gets its error instead of an estimate. */
export async function estimateAll(
  result: AnalysisResult,
  deviceIds: readonly string[],
  opts: { budgets?: Budgets; precision?: ComputePrecision; withLayers?: boolean; cpuThreads?: number; runtimes?: Readonly<Record<string, string>>; measurements?: Corrections } = {},
): Promise<DeviceResult[]> {
  const { estimateDevice, cpuThreadsFor } = await loadCore();
  return deviceIds.map((device) => {
    try {
      const est: DeviceEstimate = estimateDevice(result.model, device, { precision: opts.precision, runtime: opts.runtimes?.[device], budgets: opts.budgets ?? {}, corrections: opts.measurements, measuredModel: result.model.file, ...cpuThreadsFor(device, opts.cpuThreads) });
      const l = est.latencyMs;
      if (![l.low, l.typical, l.high, est.memory.totalBytes].every(Number.isFinite)) {
        // No compute graph (weights-only formats) or an unknown shape: there is no honest number to show.
        // The estimate says why when it could not estimate the latency at all.
        const why = est.latencyUnknownReason
          ?? (!result.model.hasComputeGraph
            ? 'the file stores weights but no compute graph'
            : result.model.macs === null
              ? (result.model.macsUnknownReason ?? 'a needed shape is unknown')
              : 'the estimator has no figure for this model on this device');
        log.info(`no finite estimate for ${result.model.file} on ${device}: ${why}`);
        return { device, error: `No latency estimate: ${why}.` };
      }
      return { device, estimate: opts.withLayers === false ? { ...est, layers: [] } : boundedLayers(est) };
    } catch (e) {
      log.warn(`estimate for ${device} failed: ${(e as Error).message}`);
      return { device, error: (e as Error).message };
    }
  });
}

/** The recommendation, with the plan's measured steps marked and re-ranked on them (see recommend/measured.ts). */
export async function recommendFor(
  result: AnalysisResult,
  deviceId: string,
  budgets: Budgets,
  opts: { verification?: PlanVerification[]; cpuThreads?: number; runtime?: string; measurements?: Corrections; preferredDevices?: readonly string[] } = {},
): Promise<RecommendationResult> {
  const { recommend, applyMeasured } = await loadCore();
  return applyMeasured(recommend(result.model, deviceId, budgets, { cpuThreads: opts.cpuThreads, runtime: opts.runtime, corrections: opts.measurements, measuredModel: result.model.file, preferredDevices: opts.preferredDevices }), opts.verification);
}

/** The runtime per target a plan is estimated for (its runtime.name where that is one of the target's runtime ids). */
export async function planRuntimes(plan: DeploymentPlan, targets: readonly string[]): Promise<Record<string, string>> {
  const { planRuntimeFor } = await loadCore();
  return Object.fromEntries(targets.flatMap((t) => {
    const r = planRuntimeFor(plan, t);
    return r ? [[t, r]] : [];
  }));
}
