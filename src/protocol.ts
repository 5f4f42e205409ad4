/**
 * The one message protocol between the extension host and its webviews (analysis view, comparison view,
 * planner). One union of messages each way, and runtime validation used on both sides: a message that does
 * not match is logged and ignored, never acted on.
 *
 * This file is bundled into the webviews too: no `vscode`, no Node imports; besides types it imports only the
 * dependency-free layer ranking (planner/estimate/layer-times.ts).
 */
import type { AnalysisResult } from './analyzers/profile-types';
import type { DeviceEstimate, RecommendationResult } from './planner/types';
import type { DeploymentPlan } from './planner/plan';
import { slowestLayers } from './planner/estimate/layer-times';
import type { SideBySideRow } from './measure/verify/side-by-side';
import { validateVerification, VERIFIED_TECHNIQUES, type PlanVerification, type VerifiedTechnique } from './planner/plan/verification';
import { isThreadCount, MAX_CPU_THREADS } from './planner/threads';

// ---------------------------------------------------------------------------------------------
// Payload types

/** A catalog device the user can pick. */
export interface DeviceChoice {
  id: string;
  name: string;
  /** Short class shown next to the name ("SBC", "NPU", "MCU", "phone" ...), may be empty. */
  kind: string;
  /** The runtimes the catalog lists for the device (the CLI's --runtime), its default marked. */
  runtimes?: RuntimeChoice[];
}

/** A runtime of a device, with what its estimated speed rests on there (calibration.json; `edgeplan devices` shows the same). */
export interface RuntimeChoice {
  id: string;
  name: string;
  default: boolean;
  /** Its published points on the device (0: none, so no fitted speed of its own). */
  publishedPoints?: number;
  /** Without points here, its speed is carried over from a device of its kind where it was measured. */
  carriedOver?: boolean;
}

/** Runtime chosen per device id where it is not the device's default (the CLI's --runtime). */
export type RuntimeChoices = Record<string, string>;

/** The estimate for one device, or why there is none. */
export interface DeviceResult {
  device: string;
  /** Its `layers` are the slowest MAX_LAYER_ROWS when the device runs more: then this is how many it runs. */
  estimate?: DeviceEstimate & { layersTotal?: number };
  error?: string;
}

/** Most per-layer estimates one device's result carries to a webview (the slowest ones; the CLI's --json has all). */
export const MAX_LAYER_ROWS = 10_000;
/** Most file nodes one deployed layer names in a message. */
export const MAX_FROM_NODES = 1_000;

/**
 * A webview gets at most MAX_LAYER_ROWS per-layer estimates per device: the slowest, in the order the device runs
 * them, with how many it runs in all (a graph of a million nodes would otherwise be one message of that size).
 */
export function boundedLayers(est: DeviceEstimate): NonNullable<DeviceResult['estimate']> {
  if (est.layers.length <= MAX_LAYER_ROWS) return est;
  const keep = new Set(slowestLayers(est.layers, MAX_LAYER_ROWS).map((l) => l.index));
  return { ...est, layers: est.layers.filter((_, i) => keep.has(i)), layersTotal: est.layers.length };
}

export interface BenchmarkRow {
  batch: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface BenchmarkView {
  rows: BenchmarkRow[];
  /** Plain lines: runtime, runs, warm-up, the machine. */
  notes: string[];
}

/** Whether the benchmark button works here, and why not. */
export interface BenchmarkAvailability {
  available: boolean;
  reason?: string;
}

/** What "Verify on this machine" measured, for the analysis view and the planner. */
export interface VerifyView {
  verification: PlanVerification;
  /** Per weight layer: original and compressed, with the measured sensitivity and the estimated ms on the primary target. */
  layers: SideBySideRow[];
  /** The device the per-layer ms are estimated for (its name), null when none. */
  primaryDevice: string | null;
  notes: string[];
}

export interface AnalysisViewModel {
  /** Path shown to the user (workspace-relative when inside the workspace). */
  file: string;
  /** The file's URI as a string: the webview keeps it in its state so the panel can be restored after a reload. */
  resource: string;
  result: AnalysisResult;
  devices: DeviceChoice[];
  selectedDevices: string[];
  /** The CPU threads the estimates assume (the runtime's CPU kernels); null = every core. */
  cpuThreads: number | null;
  /** The runtime each card is estimated for where the user chose one; other devices use their default. */
  runtimes: RuntimeChoices;
  results: DeviceResult[];
  benchmark: BenchmarkAvailability;
  /** Whether "Verify on this machine" works here, and why not. */
  verify?: BenchmarkAvailability;
  /** Whether the planner can be opened for this model (it needs a workspace folder), and why not. */
  planner: { available: boolean; reason?: string };
}

export interface ComparisonModel {
  file: string;
  format?: string;
  params?: number;
  macs?: number | null;
  weightBytes?: number;
  error?: string;
  /** Estimates without per-layer data. */
  results: DeviceResult[];
}

export interface ComparisonViewModel {
  title: string;
  models: ComparisonModel[];
  devices: DeviceChoice[];
  selectedDevices: string[];
  /** The CPU threads the estimates assume; null = every core. */
  cpuThreads: number | null;
  /** The runtime each device column is estimated for where the user chose one; other devices use their default. */
  runtimes: RuntimeChoices;
}

export interface TechniqueChoice {
  id: string;
  label: string;
}

export interface FieldError {
  /** Dotted field path as validatePlan names it ("budgets.latencyMs", "rollout.stages[0].percent"). */
  field: string;
  message: string;
}

export interface PlannerFigures {
  /** The edit sequence number the figures were computed for. */
  seq: number;
  results: DeviceResult[];
  recommendation: RecommendationResult | null;
  error?: string;
}

export interface PlannerModelSummary {
  file: string;
  format: string;
  params: number;
  macs: number | null;
  weightBytes: number;
  peakActivationBytes: number | null;
}

export interface PlannerInit {
  /** The workspace-relative plan file, `.edgeplan/<slug>.plan.json`. */
  planFile: string;
  /** The model file's URI as a string: kept in the webview state so the panel can be restored after a reload. */
  resource: string;
  plan: DeploymentPlan;
  devices: DeviceChoice[];
  techniques: TechniqueChoice[];
  model: PlannerModelSummary | null;
  figures: PlannerFigures | null;
  errors: FieldError[];
  /** Set when the plan came from a saved file or a restored draft. */
  restoredFrom?: 'file' | 'draft';
  /**
   * The symbolic dimension sizes the figures use (the model's dynamicShapes.bindings; the ones chosen in the
   * analysis view). Not part of the plan file: DeploymentPlan has no field for them.
   */
  bindings?: Record<string, number>;
  /** Whether "Verify on this machine" works here, and why not. */
  verify?: BenchmarkAvailability;
}

// ---------------------------------------------------------------------------------------------
// Symbolic dimension bindings

/** A binding is a whole number in this range, as the CLI's `--bind NAME=N`. */
export const MIN_BINDING = 1;
export const MAX_BINDING = 1_000_000;
/** Most symbols one bindings message may name. */
export const MAX_BINDINGS = 32;
/** Longest symbol name accepted. */
export const MAX_SYMBOL_LENGTH = 200;

export interface BindingError {
  /** The symbol the message is about ('' when it concerns the whole set). */
  symbol: string;
  message: string;
}

const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Why `v` is not an acceptable size for a symbolic dimension, or undefined when it is. */
export function bindingValueError(v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'Enter a number.';
  if (!Number.isInteger(v)) return 'Enter a whole number.';
  if (v < MIN_BINDING || v > MAX_BINDING) return `Enter a size from ${MIN_BINDING} to ${MAX_BINDING.toLocaleString('en-US')}.`;
  return undefined;
}

/**
 * Every problem with a bindings object: not an object, too many keys, a bad name, a value that is not a whole
 * number in range, and — when `symbols` is given — a name the model does not have. Empty when it is fine.
 */
export function bindingsProblems(bindings: unknown, symbols?: readonly string[]): BindingError[] {
  if (!isObj(bindings)) return [{ symbol: '', message: 'Bindings must be an object of NAME: size.' }];
  const keys = Object.keys(bindings);
  if (keys.length > MAX_BINDINGS) return [{ symbol: '', message: `At most ${MAX_BINDINGS} dimensions can be bound at once.` }];
  const out: BindingError[] = [];
  for (const k of keys) {
    if (k.length === 0 || k.length > MAX_SYMBOL_LENGTH || RESERVED_KEYS.has(k)) {
      out.push({ symbol: k.slice(0, 60), message: 'Not a dimension name.' });
      continue;
    }
    if (symbols && !symbols.includes(k)) {
      out.push({ symbol: k, message: `The model has no dimension named "${k.slice(0, 60)}".` });
      continue;
    }
    const err = bindingValueError(bindings[k]);
    if (err) out.push({ symbol: k, message: err });
  }
  return out;
}

export const EXPORT_FORMATS = ['docx', 'xlsx', 'pdf', 'pptx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

// ---------------------------------------------------------------------------------------------
// Host → webview

export type ToWebview =
  | { type: 'analysis/loading'; file: string; message: string; fraction?: number }
  | { type: 'analysis/result'; view: AnalysisViewModel }
  | { type: 'analysis/error'; file: string; message: string; canReopenAsText: boolean }
  | { type: 'analysis/estimates'; selectedDevices: string[]; cpuThreads: number | null; runtimes: RuntimeChoices; results: DeviceResult[] }
  /** The host refused an `analysis/bind` (the webview shows each message next to its field). */
  | { type: 'analysis/bindError'; errors: BindingError[] }
  | { type: 'benchmark/state'; state: 'running' | 'done' | 'error' | 'cancelled'; message?: string; result?: BenchmarkView }
  | { type: 'verify/state'; state: 'running' | 'done' | 'error' | 'cancelled'; message?: string; fraction?: number; result?: VerifyView }
  | { type: 'comparison/progress'; done: number; total: number; message: string }
  | { type: 'comparison/result'; view: ComparisonViewModel }
  | { type: 'planner/loading'; message: string }
  | { type: 'planner/init'; init: PlannerInit }
  | { type: 'planner/figures'; figures: PlannerFigures }
  | { type: 'planner/validation'; seq: number; errors: FieldError[] }
  | { type: 'planner/saved'; file: string; at: string }
  | { type: 'planner/saveError'; message: string }
  | { type: 'planner/exportState'; format: ExportFormat; state: 'running' | 'done' | 'error' | 'cancelled'; message?: string; file?: string }
  | { type: 'planner/error'; message: string };

// ---------------------------------------------------------------------------------------------
// Webview → host

export type FromWebview =
  | { type: 'ready' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'showLog' }
  | { type: 'analysis/selectDevices'; deviceIds: string[] }
  /** Estimate with this many CPU threads (the CLI's `--threads N`); null = every core. */
  | { type: 'analysis/setThreads'; cpuThreads: number | null }
  /** The runtime a device's card is estimated for; null = the device's default. */
  | { type: 'analysis/setRuntime'; deviceId: string; runtime: string | null }
  | { type: 'analysis/openPlanner' }
  | { type: 'analysis/benchmark' }
  | { type: 'analysis/cancelBenchmark' }
  /** Build the compressed model and measure it on this machine (analysis view and planner). */
  | { type: 'verify/start'; technique: VerifiedTechnique; data: 'synthetic' | 'folder' }
  | { type: 'verify/cancel' }
  | { type: 'analysis/reopenAsText' }
  | { type: 'analysis/retry' }
  /** Re-run the analysis with these symbolic dimension sizes (the CLI's `--bind NAME=N`). */
  | { type: 'analysis/bind'; bindings: Record<string, number> }
  | { type: 'comparison/openModel'; file: string }
  | { type: 'comparison/selectDevices'; deviceIds: string[] }
  | { type: 'comparison/setThreads'; cpuThreads: number | null }
  /** The runtime a device column is estimated for; null = the device's default. */
  | { type: 'comparison/setRuntime'; deviceId: string; runtime: string | null }
  | { type: 'planner/edit'; seq: number; plan: unknown }
  | { type: 'planner/export'; format: ExportFormat };

// ---------------------------------------------------------------------------------------------
// Runtime validation

export type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

/** Largest string a webview may send in any field (plans are validated again by validatePlan). */
export const MAX_MESSAGE_TEXT = 20_000;
/** Largest list a webview may send (device ids). */
export const MAX_MESSAGE_LIST = 200;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Invalid extends Error {}

function need(cond: boolean, what: string): void {
  if (!cond) throw new Invalid(what);
}

function text(o: Obj, key: string, optional = false, max = MAX_MESSAGE_TEXT): void {
  const v = o[key];
  if (optional && v === undefined) return;
  need(typeof v === 'string', `"${key}" must be text`);
  need((v as string).length <= max, `"${key}" is too long`);
}

function number(o: Obj, key: string, optional = false): void {
  const v = o[key];
  if (optional && v === undefined) return;
  need(typeof v === 'number' && Number.isFinite(v), `"${key}" must be a finite number`);
}

/** A CPU thread count (1 .. MAX_CPU_THREADS) or null for every core. */
function threadCount(o: Obj, key: string): void {
  const v = o[key];
  need(v === null || isThreadCount(v), `"${key}" must be a whole number from 1 to ${MAX_CPU_THREADS}, or null for every core`);
}

function bool(o: Obj, key: string): void {
  need(typeof o[key] === 'boolean', `"${key}" must be true or false`);
}

function object(o: Obj, key: string, optional = false): Obj | undefined {
  const v = o[key];
  if (optional && (v === undefined || v === null)) return undefined;
  need(isObj(v), `"${key}" must be an object`);
  return v as Obj;
}

function list(o: Obj, key: string, max = Infinity): unknown[] {
  const v = o[key];
  need(Array.isArray(v), `"${key}" must be a list`);
  need((v as unknown[]).length <= max, `"${key}" has too many entries`);
  return v as unknown[];
}

function textList(o: Obj, key: string, max = MAX_MESSAGE_LIST): void {
  const l = list(o, key, max);
  l.forEach((x, i) => need(typeof x === 'string' && x.length <= 200, `"${key}[${i}]" must be a short text`));
}

function oneOf<T extends string>(o: Obj, key: string, values: readonly T[]): void {
  need(typeof o[key] === 'string' && (values as readonly string[]).includes(o[key] as string), `"${key}" must be one of ${values.join(', ')}`);
}

function deviceChoices(o: Obj, key: string): void {
  list(o, key).forEach((d, i) => {
    need(isObj(d), `"${key}[${i}]" must be an object`);
    text(d as Obj, 'id');
    text(d as Obj, 'name');
    text(d as Obj, 'kind');
    if ((d as Obj).runtimes === undefined) return;
    list(d as Obj, 'runtimes').forEach((r, j) => {
      need(isObj(r), `"${key}[${i}].runtimes[${j}]" must be an object`);
      need(RUNTIME_ID.test(String((r as Obj).id)), `"${key}[${i}].runtimes[${j}].id" is not a runtime id`);
      text(r as Obj, 'name');
      bool(r as Obj, 'default');
      number(r as Obj, 'publishedPoints', true);
      if ((r as Obj).carriedOver !== undefined) bool(r as Obj, 'carriedOver');
    });
  });
}

const RUNTIME_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** A view's runtime choice for one device: its id and a runtime id, or null for the device's default. */
function runtimeChoice(m: Obj): void {
  need(typeof m.deviceId === 'string' && DEVICE_ID.test(m.deviceId), '"deviceId" is not a device id');
  need(m.runtime === null || (typeof m.runtime === 'string' && RUNTIME_ID.test(m.runtime)), '"runtime" must be a runtime id or null for the device\'s default');
}

/** A device id → runtime id map (the runtimes chosen in a view). */
function runtimeChoices(o: Obj, key: string): void {
  const v = object(o, key) as Obj;
  const entries = Object.entries(v);
  need(entries.length <= 1000, `"${key}" has too many entries`);
  for (const [device, runtime] of entries) {
    need(DEVICE_ID.test(device), `"${key}" has a key that is not a device id`);
    need(typeof runtime === 'string' && RUNTIME_ID.test(runtime), `"${key}.${device}" is not a runtime id`);
  }
}

function range(o: Obj, key: string): void {
  const r = object(o, key) as Obj;
  number(r, 'low');
  number(r, 'typical');
  number(r, 'high');
}

const UNITS = ['accelerator', 'cpu'] as const;

/** A layer the device runs: its name, op, unit, time and (optional) the file nodes it stands for. */
function layerEstimate(l: unknown, i: number): void {
  need(isObj(l), `"layers[${i}]" must be an object`);
  const o = l as Obj;
  text(o, 'name');
  text(o, 'op');
  oneOf(o, 'unit', UNITS);
  number(o, 'ms');
  if (o.from !== undefined) list(o, 'from', MAX_FROM_NODES).forEach((n, k) => need(typeof n === 'string' && n.length <= MAX_MESSAGE_TEXT, `"layers[${i}].from[${k}]" must be text`));
}

/** What the device's toolchain did to the file's graph (DeployedSummary). */
function deployedSummary(d: Obj): void {
  text(d, 'toolchain');
  text(d, 'toolchainName');
  number(d, 'fileNodes');
  number(d, 'layers');
  const steps = object(d, 'steps') as Obj;
  for (const k of Object.keys(steps)) number(steps, k);
  list(d, 'unfolded', 100).forEach((u, i) => {
    need(isObj(u), `"unfolded[${i}]" must be an object`);
    for (const k of ['node', 'op', 'reason']) text(u as Obj, k);
  });
  const bound = object(d, 'assumedBindings') as Obj;
  for (const k of Object.keys(bound)) number(bound, k);
}

function deviceEstimate(e: Obj): void {
  text(e, 'device');
  text(e, 'deviceName');
  text(e, 'runtime');
  range(e, 'latencyMs');
  list(e, 'layers', MAX_LAYER_ROWS).forEach(layerEstimate);
  number(e, 'layersTotal', true);
  const deployed = object(e, 'deployedGraph', true);
  if (deployed) deployedSummary(deployed);
  const memory = object(e, 'memory') as Obj;
  number(memory, 'totalBytes');
  const compat = object(e, 'compatibility') as Obj;
  oneOf(compat, 'verdict', ['full', 'partial', 'none', 'unsupported']);
  text(compat, 'summary');
  need(Array.isArray(compat.fallback), '"compatibility.fallback" must be a list');
  need(Array.isArray(e.assumptions), '"assumptions" must be a list');
}

function deviceResults(o: Obj, key: string): void {
  list(o, key).forEach((r, i) => {
    need(isObj(r), `"${key}[${i}]" must be an object`);
    const res = r as Obj;
    text(res, 'device');
    text(res, 'error', true);
    const est = object(res, 'estimate', true);
    if (est) deviceEstimate(est);
    need(est !== undefined || typeof res.error === 'string', `"${key}[${i}]" needs an estimate or an error`);
  });
}

function analysisResult(o: Obj, key: string): void {
  const r = object(o, key) as Obj;
  const model = object(r, 'model') as Obj;
  text(model, 'file');
  text(model, 'format');
  number(model, 'bytes');
  number(model, 'params');
  number(model, 'weightBytes');
  need(Array.isArray(model.layers), '"model.layers" must be a list');
  need(Array.isArray(model.inputs) && Array.isArray(model.outputs), '"model.inputs/outputs" must be lists');
  object(model, 'quantization');
  object(model, 'dynamicShapes');
  object(model, 'weightDtypes');
  textListLoose(r, 'warnings');
}

function textListLoose(o: Obj, key: string): void {
  list(o, key).forEach((x, i) => need(typeof x === 'string', `"${key}[${i}]" must be text`));
}

function availability(o: Obj, key: string): void {
  const a = object(o, key) as Obj;
  bool(a, 'available');
  text(a, 'reason', true);
}

function fieldErrors(o: Obj, key: string): void {
  list(o, key).forEach((e, i) => {
    need(isObj(e), `"${key}[${i}]" must be an object`);
    text(e as Obj, 'field');
    text(e as Obj, 'message');
  });
}

function figures(f: Obj): void {
  number(f, 'seq');
  deviceResults(f, 'results');
  const rec = f.recommendation;
  if (rec !== null) {
    need(isObj(rec), '"recommendation" must be an object or null');
    const r = rec as Obj;
    text(r, 'device');
    text(r, 'verdict');
    need(Array.isArray(r.recommendations), '"recommendation.recommendations" must be a list');
    need(Array.isArray(r.alternatives), '"recommendation.alternatives" must be a list');
  }
  text(f, 'error', true);
}

function planShape(p: Obj): void {
  need(isObj(p.project), '"plan.project" must be an object');
  need(isObj(p.model), '"plan.model" must be an object');
  need(Array.isArray(p.targets), '"plan.targets" must be a list');
  need(isObj(p.budgets), '"plan.budgets" must be an object');
  need(isObj(p.compression), '"plan.compression" must be an object');
  need(isObj(p.rollout), '"plan.rollout" must be an object');
}

function verifyView(v: Obj): void {
  validateVerification(v.verification, 'verification');
  list(v, 'layers', 1000).forEach((row, i) => {
    need(isObj(row), `"layers[${i}]" must be an object`);
    const r = row as Obj;
    text(r, 'layer');
    text(r, 'op');
    const side = (k: string, optional: boolean): void => {
      const x = object(r, k, optional);
      if (!x) return;
      text(x, 'dtype', false, 100);
      number(x, 'params');
      number(x, 'weightBytes');
      need(x.ms === null || (typeof x.ms === 'number' && Number.isFinite(x.ms)), `"layers[${i}].${k}.ms" must be a number or null`);
    };
    side('original', false);
    side('compressed', true);
    need(r.sensitivityDb === null || (typeof r.sensitivityDb === 'number' && Number.isFinite(r.sensitivityDb)), `"layers[${i}].sensitivityDb" must be a number or null`);
  });
  need(v.primaryDevice === null || typeof v.primaryDevice === 'string', '"primaryDevice" must be text or null');
  textListLoose(v, 'notes');
}

const TO_WEBVIEW: Record<ToWebview['type'], (m: Obj) => void> = {
  'analysis/loading': (m) => {
    text(m, 'file');
    text(m, 'message');
    number(m, 'fraction', true);
  },
  'analysis/result': (m) => {
    const v = object(m, 'view') as Obj;
    text(v, 'file');
    text(v, 'resource', false, 8192);
    analysisResult(v, 'result');
    deviceChoices(v, 'devices');
    textList(v, 'selectedDevices');
    threadCount(v, 'cpuThreads');
    runtimeChoices(v, 'runtimes');
    deviceResults(v, 'results');
    availability(v, 'benchmark');
    if (v.verify !== undefined) availability(v, 'verify');
    availability(v, 'planner');
  },
  'analysis/error': (m) => {
    text(m, 'file');
    text(m, 'message');
    bool(m, 'canReopenAsText');
  },
  'analysis/estimates': (m) => {
    textList(m, 'selectedDevices');
    threadCount(m, 'cpuThreads');
    runtimeChoices(m, 'runtimes');
    deviceResults(m, 'results');
  },
  'analysis/bindError': (m) => {
    const l = list(m, 'errors', MAX_BINDINGS + 1);
    need(l.length > 0, '"errors" must not be empty');
    l.forEach((e, i) => {
      need(isObj(e), `"errors[${i}]" must be an object`);
      text(e as Obj, 'symbol', false, MAX_SYMBOL_LENGTH);
      text(e as Obj, 'message', false, 1000);
    });
  },
  'benchmark/state': (m) => {
    oneOf(m, 'state', ['running', 'done', 'error', 'cancelled']);
    text(m, 'message', true);
    const r = object(m, 'result', true);
    if (r) {
      list(r, 'rows').forEach((row, i) => {
        need(isObj(row), `"rows[${i}]" must be an object`);
        for (const k of ['batch', 'meanMs', 'p50Ms', 'p95Ms', 'p99Ms']) number(row as Obj, k);
      });
      textListLoose(r, 'notes');
    }
  },
  'verify/state': (m) => {
    oneOf(m, 'state', ['running', 'done', 'error', 'cancelled']);
    text(m, 'message', true);
    number(m, 'fraction', true);
    const r = object(m, 'result', true);
    if (r) verifyView(r);
  },
  'comparison/progress': (m) => {
    number(m, 'done');
    number(m, 'total');
    text(m, 'message');
  },
  'comparison/result': (m) => {
    const v = object(m, 'view') as Obj;
    text(v, 'title');
    deviceChoices(v, 'devices');
    textList(v, 'selectedDevices');
    threadCount(v, 'cpuThreads');
    runtimeChoices(v, 'runtimes');
    list(v, 'models').forEach((x, i) => {
      need(isObj(x), `"models[${i}]" must be an object`);
      const mm = x as Obj;
      text(mm, 'file');
      text(mm, 'format', true);
      number(mm, 'params', true);
      text(mm, 'error', true);
      deviceResults(mm, 'results');
    });
  },
  'planner/loading': (m) => text(m, 'message'),
  'planner/init': (m) => {
    const init = object(m, 'init') as Obj;
    text(init, 'planFile');
    text(init, 'resource', false, 8192);
    planShape(object(init, 'plan') as Obj);
    deviceChoices(init, 'devices');
    list(init, 'techniques').forEach((t, i) => {
      need(isObj(t), `"techniques[${i}]" must be an object`);
      text(t as Obj, 'id');
      text(t as Obj, 'label');
    });
    const model = object(init, 'model', true);
    if (model) {
      text(model, 'file');
      text(model, 'format');
      number(model, 'params');
    }
    const f = object(init, 'figures', true);
    if (f) figures(f);
    fieldErrors(init, 'errors');
    if (init.restoredFrom !== undefined) oneOf(init, 'restoredFrom', ['file', 'draft']);
    if (init.bindings !== undefined) validBindings(init.bindings, 'bindings');
    if (init.verify !== undefined) availability(init, 'verify');
  },
  'planner/figures': (m) => figures(object(m, 'figures') as Obj),
  'planner/validation': (m) => {
    number(m, 'seq');
    fieldErrors(m, 'errors');
  },
  'planner/saved': (m) => {
    text(m, 'file');
    text(m, 'at');
  },
  'planner/saveError': (m) => text(m, 'message'),
  'planner/exportState': (m) => {
    oneOf(m, 'format', EXPORT_FORMATS);
    oneOf(m, 'state', ['running', 'done', 'error', 'cancelled']);
    text(m, 'message', true);
    text(m, 'file', true);
  },
  'planner/error': (m) => text(m, 'message'),
};

const DEVICE_ID = /^[A-Za-z0-9._-]{1,100}$/;

function validBindings(v: unknown, key: string): void {
  const problems = bindingsProblems(v);
  need(problems.length === 0, problems.length ? `"${key}${problems[0].symbol ? `.${problems[0].symbol}` : ''}": ${problems[0].message}` : '');
}

const FROM_WEBVIEW: Record<FromWebview['type'], (m: Obj) => void> = {
  ready: () => undefined,
  log: (m) => {
    oneOf(m, 'level', ['info', 'warn', 'error']);
    text(m, 'message', false, 4000);
  },
  showLog: () => undefined,
  'analysis/selectDevices': (m) => {
    textList(m, 'deviceIds');
    (m.deviceIds as string[]).forEach((d, i) => need(DEVICE_ID.test(d), `"deviceIds[${i}]" is not a device id`));
  },
  'analysis/setThreads': (m) => threadCount(m, 'cpuThreads'),
  'analysis/setRuntime': runtimeChoice,
  'comparison/setRuntime': runtimeChoice,
  'comparison/setThreads': (m) => threadCount(m, 'cpuThreads'),
  'analysis/openPlanner': () => undefined,
  'analysis/benchmark': () => undefined,
  'analysis/cancelBenchmark': () => undefined,
  'verify/start': (m) => {
    oneOf(m, 'technique', VERIFIED_TECHNIQUES);
    oneOf(m, 'data', ['synthetic', 'folder']);
  },
  'verify/cancel': () => undefined,
  'analysis/reopenAsText': () => undefined,
  'analysis/retry': () => undefined,
  'analysis/bind': (m) => validBindings(m.bindings, 'bindings'),
  'comparison/openModel': (m) => text(m, 'file', false, 4096),
  'comparison/selectDevices': (m) => {
    textList(m, 'deviceIds');
    (m.deviceIds as string[]).forEach((d, i) => need(DEVICE_ID.test(d), `"deviceIds[${i}]" is not a device id`));
  },
  'planner/edit': (m) => {
    number(m, 'seq');
    need(Number.isInteger(m.seq) && (m.seq as number) >= 0, '"seq" must be a whole number');
    need(isObj(m.plan), '"plan" must be an object');
  },
  'planner/export': (m) => oneOf(m, 'format', EXPORT_FORMATS),
};

function parseWith<T>(raw: unknown, table: Record<string, (m: Obj) => void>): Parsed<T> {
  if (!isObj(raw)) return { ok: false, error: 'message is not an object' };
  const type = raw.type;
  if (typeof type !== 'string') return { ok: false, error: 'message has no "type"' };
  if (!Object.prototype.hasOwnProperty.call(table, type)) return { ok: false, error: `unknown message type "${type.slice(0, 60)}"` };
  try {
    table[type](raw);
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: `${type}: ${e.message}` };
    return { ok: false, error: `${type}: ${(e as Error).message}` };
  }
  return { ok: true, message: raw as unknown as T };
}

/** Validates a message the host received from a webview. */
export function parseFromWebview(raw: unknown): Parsed<FromWebview> {
  return parseWith<FromWebview>(raw, FROM_WEBVIEW);
}

/** Validates a message a webview received from the host. */
export function parseToWebview(raw: unknown): Parsed<ToWebview> {
  return parseWith<ToWebview>(raw, TO_WEBVIEW);
}
