/**
 * The user's own on-device measurements: parsed from a number they type or from a benchmark log
 * (TFLite `benchmark_model`, TensorRT `trtexec`, onnxruntime `onnxruntime_perf_test`), stored in a
 * workspace file, and turned into a per-device correction factor for the estimator. No `vscode` import.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureDir, MAX_JSON_FILE_BYTES, readRegularFile } from '../../fs-util';
import type { Range } from '../types';
import { explainNote } from './explain';
import { isThreadCount } from '../threads';

export interface Measurement {
  device: string;
  /** Model file name the measurement was taken with. */
  model: string;
  measuredMs: number;
  /** The estimator's typical latency for the same model and device when the measurement was imported. */
  estimatedMs: number;
  precision: string;
  /** Where the number came from: "typed", "tflite benchmark_model", "trtexec", "onnxruntime_perf_test". */
  source: string;
  date: string;
  /** CPU threads the run used, when known (the estimate it was compared with used the same count). */
  cpuThreads?: number;
  /** Runtime id the run used, when given (the estimate it was compared with used the same runtime); absent: the device's default. */
  runtime?: string;
}

export interface MeasurementStore {
  schemaVersion: 1;
  measurements: Measurement[];
}

export class MeasurementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeasurementError';
  }
}

export interface ParsedLog {
  latencyMs: number;
  source: string;
  /** The line the figure was read from. */
  line: string;
  /** CPU threads the benchmark ran with, when the log states a positive count (benchmark_model's parameter echo). */
  threads?: number;
}

/**
 * Reads the steady-state latency from a benchmark log. Recognises:
 *  - TFLite benchmark_model: "Inference timings in us: Init: 1234, First inference: 5678, Warmup (avg): 910, Inference (avg): 1112.5"
 *  - trtexec: "GPU Compute Time: min = 1.2 ms, max = 1.5 ms, mean = 1.3 ms, median = 1.29 ms, ..." (median preferred),
 *    or "Latency: min = ..., mean = ..., median = ..." (host latency)
 *  - onnxruntime_perf_test: "Average inference time cost: 12.3 ms"
 */
export function parseBenchmarkLog(text: string): ParsedLog {
  const lines = text.split(/\r?\n/);
  for (const line of lines) {
    const m = /Inference timings in us:.*?Inference \(avg\):\s*([0-9.eE+]+)/.exec(line);
    if (m) {
      const threads = tfliteThreads(lines);
      return { latencyMs: positive(Number(m[1]) / 1000, line), source: 'tflite benchmark_model', line: line.trim(), ...(threads ? { threads } : {}) };
    }
  }
  for (const label of ['GPU Compute Time', 'Latency']) {
    for (const line of lines) {
      if (!line.includes(`${label}:`)) continue;
      const median = /median\s*=\s*([0-9.eE+]+)\s*ms/.exec(line) ?? /mean\s*=\s*([0-9.eE+]+)\s*ms/.exec(line);
      if (median) return { latencyMs: positive(Number(median[1]), line), source: `trtexec (${label})`, line: line.trim() };
    }
  }
  for (const line of lines) {
    const m = /Average inference time cost(?: total)?:\s*([0-9.eE+]+)\s*ms/.exec(line);
    if (m) return { latencyMs: positive(Number(m[1]), line), source: 'onnxruntime_perf_test', line: line.trim() };
  }
  throw new MeasurementError('no latency found in the log: expected TFLite benchmark_model ("Inference timings in us: ... Inference (avg): N"), trtexec ("GPU Compute Time: ... median = N ms") or onnxruntime_perf_test ("Average inference time cost: N ms") output');
}

/** benchmark_model echoes its parameters: "Num threads: [4]" (older) or "#threads used for CPU inference: [4]"; -1 means its default. */
function tfliteThreads(lines: string[]): number | undefined {
  for (const line of lines) {
    const m = /(?:Num threads|#threads used for CPU inference):\s*\[(-?\d+)\]/.exec(line);
    if (m) return isThreadCount(Number(m[1])) ? Number(m[1]) : undefined;
  }
  return undefined;
}

function positive(ms: number, line: string): number {
  if (!Number.isFinite(ms) || ms <= 0 || ms > 3_600_000) throw new MeasurementError(`the latency in "${line.trim().slice(0, 120)}" is not a usable number`);
  return ms;
}

export function readStore(file: string): MeasurementStore {
  // Only a regular file of bounded size: a store that is a FIFO or a symlink to /dev/zero is refused.
  const bytes = readRegularFile(file, { maxBytes: MAX_JSON_FILE_BYTES, what: 'measurements file', missingOk: true });
  if (bytes === null) return { schemaVersion: 1, measurements: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new MeasurementError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const r = raw as Partial<MeasurementStore>;
  if (!r || r.schemaVersion !== 1 || !Array.isArray(r.measurements)) throw new MeasurementError(`${file}: not a measurements file (schemaVersion 1 with a measurements list)`);
  const ok = r.measurements.filter(
    (m): m is Measurement =>
      !!m && typeof m.device === 'string' && typeof m.model === 'string' && typeof m.measuredMs === 'number' && m.measuredMs > 0 && typeof m.estimatedMs === 'number' && m.estimatedMs > 0,
  );
  return {
    schemaVersion: 1,
    measurements: ok.map(({ cpuThreads, runtime, ...m }) => ({
      ...m,
      precision: String(m.precision ?? ''),
      source: String(m.source ?? ''),
      date: String(m.date ?? ''),
      ...(isThreadCount(cpuThreads) ? { cpuThreads } : {}),
      ...(typeof runtime === 'string' && runtime ? { runtime } : {}),
    })),
  };
}

/** Adds a measurement and writes the store atomically (temp file, then rename). */
export function addMeasurement(file: string, m: Measurement): MeasurementStore {
  const store = readStore(file);
  store.measurements.push(m);
  ensureDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(store, null, 2) + '\n');
  fs.renameSync(tmp, file);
  return store;
}

/** A correction factor and what it rests on. */
export interface CorrectionFactor {
  /** Multiply the estimate by this (geometric mean of measured / estimated). */
  factor: number;
  points: number;
  /** Spread of the log ratios, to keep the range honest: the range keeps at least this relative width. */
  spread: number;
}

/** One stored measurement as a correction uses it. */
export interface MeasuredRun {
  /** Runtime it was taken with (null: not given, the device's default). */
  runtime: string | null;
  /** ln(measured / estimated). */
  log: number;
  model: string;
  precision: string;
  measuredMs: number;
  cpuThreads?: number;
}

export interface DeviceCorrection extends CorrectionFactor {
  device: string;
  runs: MeasuredRun[];
}

function factorOf(logs: number[]): CorrectionFactor {
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const spread = logs.length > 1 ? Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1)) : 0;
  return { factor: Math.exp(mean), points: logs.length, spread };
}

/** Per-device correction factors from the store (geometric mean of measured/estimated over every runtime), with each run kept for per-runtime corrections. */
export function corrections(store: MeasurementStore): Map<string, DeviceCorrection> {
  const byDevice = new Map<string, DeviceCorrection['runs']>();
  for (const m of store.measurements) {
    const list = byDevice.get(m.device) ?? [];
    list.push({ runtime: m.runtime ?? null, log: Math.log(m.measuredMs / m.estimatedMs), model: m.model, precision: m.precision, measuredMs: m.measuredMs, ...(m.cpuThreads !== undefined ? { cpuThreads: m.cpuThreads } : {}) });
    byDevice.set(m.device, list);
  }
  const out = new Map<string, DeviceCorrection>();
  for (const [device, runs] of byDevice) out.set(device, { device, ...factorOf(runs.map((r) => r.log)), runs });
  return out;
}

/**
 * The correction for an estimate with `runtime` on the device: from the measurements taken with that runtime (a run
 * without a runtime was taken with the device's default, `defaultRuntime`) where there are any — a runtime's fitted
 * speed can be off by itself, and a ratio measured with another runtime carries that runtime's error; else from every
 * measurement of the device, applied as the model's own offset, and saying with which runtimes they were taken.
 */
export function correctionFor(c: DeviceCorrection, runtime: string, defaultRuntime: string): CorrectionFactor & { runtime: string; otherRuntimes: string[] | null } {
  const runtimeOf = (r: DeviceCorrection['runs'][number]) => r.runtime ?? defaultRuntime;
  const same = c.runs.filter((r) => runtimeOf(r) === runtime);
  if (same.length) return { ...factorOf(same.map((r) => r.log)), runtime, otherRuntimes: null };
  return { ...factorOf(c.runs.map((r) => r.log)), runtime, otherRuntimes: [...new Set(c.runs.map(runtimeOf))].sort() };
}

/** The configuration an estimate is for, to find runs that measured exactly it. */
export interface EstimatedConfiguration {
  /** The model file as it is (its base name is what edgeplan measure stores). */
  modelFile: string;
  precision: string;
  runtime: string;
  cpuThreads?: number;
}

/** The runs that measured exactly this configuration: the same file name, precision, runtime (none given: the default's) and CPU threads. */
export function runsOf(c: DeviceCorrection, config: EstimatedConfiguration, defaultRuntime: string): MeasuredRun[] {
  const file = path.basename(config.modelFile);
  return c.runs.filter((r) => r.model === file && r.precision === config.precision && (r.runtime ?? defaultRuntime) === config.runtime && r.cpuThreads === config.cpuThreads);
}

/** What a correction reads and writes on an estimate (a DeviceEstimate). */
type Correctable = { runtime: string; precision: string; latencyMs: Range; latencyMeasured?: { runs: number }; latencyCorrected?: { runs: number; factor: number }; energyMj: Range | null; layers: { ms: number }[]; assumptions: string[] };

/**
 * An estimate corrected by the user's own measurements on that device. Where runs measured exactly this configuration
 * (`measured`: the model file as it is, never a transformed variant), its latency is those runs — the geometric mean,
 * their min..max — labelled as measured, and energy is power × that latency. Otherwise (correctionFor its runtime)
 * latency and energy are scaled by the factor; the range keeps at least the measurements' own spread.
 */
export function applyCorrection<E extends Correctable>(estimate: E, c: DeviceCorrection, defaultRuntime: string, measured?: { modelFile: string; cpuThreads?: number }): E {
  const exact = measured ? runsOf(c, { ...measured, precision: estimate.precision, runtime: estimate.runtime }, defaultRuntime) : [];
  if (exact.length) return asMeasured(estimate, exact, path.basename(measured!.modelFile));
  const k = correctionFor(c, estimate.runtime, defaultRuntime);
  const f = k.factor;
  const widen = Math.exp(k.spread);
  const scale = (r: Range): Range => ({ low: Math.min(r.low * f, (r.typical * f) / widen), typical: r.typical * f, high: Math.max(r.high * f, r.typical * f * widen) });
  return {
    ...estimate,
    latencyMs: scale(estimate.latencyMs),
    latencyCorrected: { runs: k.points, factor: f },
    energyMj: estimate.energyMj ? scale(estimate.energyMj) : null,
    layers: estimate.layers.map((l) => ({ ...l, ms: l.ms * f })),
    assumptions: [
      ...estimate.assumptions,
      explainNote({ kind: 'corrected', points: k.points, factor: f, runtime: k.runtime, otherRuntimes: k.otherRuntimes }),
    ],
  };
}

/** An estimate replaced by the runs that measured its configuration: latency from them, energy = power × that latency. */
function asMeasured<E extends Correctable>(estimate: E, runs: MeasuredRun[], model: string): E {
  const ms = runs.map((r) => r.measuredMs);
  const latency: Range = { low: Math.min(...ms), typical: Math.exp(ms.reduce((a, v) => a + Math.log(v), 0) / ms.length), high: Math.max(...ms) };
  const est = estimate.latencyMs;
  const f = latency.typical / est.typical;
  // The estimate's energy range is its power range × its latency range: keep the power, use the measured latency.
  const e = estimate.energyMj;
  const energy = e ? { low: (e.low / est.low) * latency.low, typical: (e.typical / est.typical) * latency.typical, high: (e.high / est.high) * latency.high } : null;
  return {
    ...estimate,
    latencyMs: latency,
    latencyMeasured: { runs: runs.length },
    energyMj: energy,
    layers: estimate.layers.map((l) => ({ ...l, ms: l.ms * f })),
    assumptions: [...estimate.assumptions, explainNote({ kind: 'measured-configuration', runs: runs.length, model, precision: estimate.precision, runtime: estimate.runtime, latency, estimatedMs: est.typical })],
  };
}
