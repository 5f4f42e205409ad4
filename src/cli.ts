/**
 * edgeplan — the command-line front door onto the same core the VS Code extension uses.
 * Exit codes: 0 ok, 1 bad input (one clear line on stderr), 2 usage.
 */
import * as path from 'path';
import * as fs from 'fs';
import { parseArgs, flag, value, values, numberFlag, bindingsFlag, UsageError, BadValueError, type FlagSpec } from './cli/args';
import { formatAnalysis, formatEstimates, formatDevices, formatRecommendation, formatBenchmark } from './cli/format';
import { formatVerify } from './cli/format-verify';
import { analyzeFile } from './analyzers';
import { ModelFileError } from './analyzers/errors';
import { defaultRuntime, loadCalibration, loadCatalog } from './planner/catalog';
import { estimateDevice, EstimateInputError, hasApplicationCpu } from './planner/estimate';
import type { Budgets, ComputePrecision } from './planner/types';
import { MAX_CPU_THREADS } from './planner/threads';
import { createDefaultPlan, type DeploymentPlan, PlanValidationError, serializePlan, validatePlan } from './planner/plan';
import { VERIFIED_TECHNIQUES, verificationFromReport, withVerification } from './planner/plan/verification';
import { buildPlanDocument } from './planner/plan/document';
import { VERSION } from './version';
import { writeFileAtomic } from './export/atomic-write';
import { clip, terminalSafe } from './cli/terminal';
import { describeFsError, ensureDir, MAX_JSON_FILE_BYTES, readRegularFile } from './fs-util';
import { addMeasurement, correctionFor, corrections as correctionsOf, parseBenchmarkLog, readStore, type DeviceCorrection } from './planner/estimate/measurements';

const HELP = `edgeplan ${VERSION} — plan a model's deployment to edge devices, offline.

Usage:
  edgeplan analyze MODEL [--bind NAME=N ...] [--json]
      Read a model (ONNX, TFLite, safetensors, GGUF, PyTorch .pt/.pth, Keras .keras/.h5, Core ML .mlmodel)
      and print parameters, weight bytes by dtype, MACs, peak activation memory, I/O, quantization,
      dynamic shapes, operator histogram and per-layer costs.
  edgeplan estimate MODEL --device ID[,ID...] [--precision int8|fp16|fp32] [--runtime ID] [--threads N] [--memory-mb N]
                    [--layers N] [--json]
      Estimate latency (low/typical/high), memory, power, energy and operator compatibility per device.
      --layers N lists each device's N slowest layers of the graph it runs, with the file nodes fused or
      folded into each (--json always carries every layer and its "from" nodes). --threads N: the threads your
      runtime's CPU kernels use (default every core; TF Lite's Python Interpreter without num_threads uses 1).
      --runtime ID: the runtime you deploy with (one every device offers; "edgeplan devices" lists them; default
      each device's own), with its fitted speed and, where it has published points on the device, its own range.
  edgeplan devices [--json]
      List the hardware catalog, every figure with its public source.
  edgeplan plan MODEL --device ID[,ID...] [--latency-ms N] [--memory-mb N] [--power-w N] [--energy-mj N]
                [--accuracy-drop N] [--runtime ID] [--threads N] [--no-retraining] [--no-calibration-data]
                [--plan FILE.plan.json]
                [--export docx,xlsx,pdf,pptx --out DIR [--force]] [--json]
      Recommend a compression pipeline that meets the budgets on the first device, with commands,
      and write the deployment plan as Word, Excel, PDF and PowerPoint. --runtime ID: the runtime you deploy
      with on the first device (kept as the plan's runtime.name; other targets use it where they offer it).
  edgeplan benchmark MODEL.onnx [--runs N] [--warmup N] [--batch N[,N...]] [--timeout-s N] [--json]
      Run an ONNX model on this machine with onnxruntime-node (in a child process) and report
      mean/p50/p95/p99 latency.
  edgeplan verify MODEL.onnx --technique fp16|int8-dynamic|int8-ptq|int4-weight-only [--data DIR] [--samples N]
                [--calibration-samples N] [--keep-float N|auto] [--out DIR] [--force] [--plan FILE] [--json]
      Build the compressed model as a file beside the original (MODEL.<technique>.onnx; --out DIR elsewhere),
      run both on the same inputs in a child process and report fidelity per output, top-1/top-5 agreement,
      accuracy and its drop with a 95 % interval (labels), per-group accuracy (groups), the most sensitive
      layers, and size and latency on this machine. --keep-float keeps the N (or enough, auto) most sensitive
      layers in float and re-measures. Data (--data DIR): .npy files (one sample each; DIR/<input>/ for several
      inputs) or .png/.jpg images; labels from DIR/<class>/ folders or DIR/samples.csv (file,label,group).
      Without data: synthetic inputs, numeric fidelity only. --plan FILE records the measurement in a plan file;
      edgeplan plan --plan FILE then shows it next to the predictions (and re-ranks a pipeline whose measured
      accuracy drop breaks --accuracy-drop), in its output and in every export.
      More: --calibration minmax|percentile|entropy, --activations int8|uint8, --block-size N (int4),
      --image-size HxW, --layout nchw|nhwc, --scale N, --mean a,b,c, --std a,b,c, --seed N, --timeout-s N.
  edgeplan measure MODEL --device ID (--latency-ms N | --log FILE) [--precision P] [--runtime ID] [--threads N]
                   [--store FILE] [--json]
      Record your own on-device measurement (a number, or a TFLite benchmark_model, trtexec or
      onnxruntime_perf_test log). estimate and plan then correct that device's figures by the
      measured / estimated ratio, the estimate taken at the run's runtime (--runtime, default the device's) and
      CPU threads (--threads, or the benchmark_model log's "Num threads").

Common options:
  --bind NAME=N     bind a symbolic input dimension (default: every symbol is bound to 1, with a warning)
  --measurements F  your measurements file (default: .edgeplan/measurements.json when it exists)
  --json            print one JSON object instead of tables
  -h, --help        this help;  --version  the version

Exit codes: 0 ok, 1 bad input (a one-line error on stderr), 2 usage error.`;

const COMMON: Record<string, FlagSpec> = { json: { value: false }, bind: { value: true, repeat: true }, help: { value: false } };

const SPECS: Record<string, Record<string, FlagSpec>> = {
  analyze: { ...COMMON },
  estimate: { ...COMMON, device: { value: true, repeat: true }, precision: { value: true }, runtime: { value: true }, threads: { value: true }, 'memory-mb': { value: true }, measurements: { value: true }, layers: { value: true } },
  devices: { json: { value: false }, help: { value: false } },
  plan: {
    ...COMMON,
    device: { value: true, repeat: true },
    precision: { value: true },
    'latency-ms': { value: true },
    'memory-mb': { value: true },
    'power-w': { value: true },
    'energy-mj': { value: true },
    'accuracy-drop': { value: true },
    runtime: { value: true },
    threads: { value: true },
    'no-retraining': { value: false },
    'no-calibration-data': { value: false },
    plan: { value: true },
    measurements: { value: true },
    export: { value: true, repeat: true },
    out: { value: true },
    force: { value: false },
  },
  measure: {
    ...COMMON,
    device: { value: true, repeat: true },
    precision: { value: true },
    'latency-ms': { value: true },
    log: { value: true },
    runtime: { value: true },
    threads: { value: true },
    store: { value: true },
  },
  verify: {
    ...COMMON,
    technique: { value: true },
    data: { value: true },
    samples: { value: true },
    'calibration-samples': { value: true },
    'keep-float': { value: true },
    out: { value: true },
    force: { value: false },
    calibration: { value: true },
    activations: { value: true },
    'block-size': { value: true },
    'image-size': { value: true },
    layout: { value: true },
    scale: { value: true },
    mean: { value: true },
    std: { value: true },
    seed: { value: true },
    'timeout-s': { value: true },
    plan: { value: true },
  },
  benchmark: {
    ...COMMON,
    runs: { value: true },
    warmup: { value: true },
    batch: { value: true, repeat: true },
    'timeout-s': { value: true },
  },
};

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : s + '\n'),
};

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function main(argv: string[], rawIo: Io = defaultIo): Promise<number> {
  // Everything printed passes through terminalSafe: names from model files never drive the terminal.
  const io: Io = { out: (s) => rawIo.out(terminalSafe(s)), err: (s) => rawIo.err(terminalSafe(s)) };
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    io.out(HELP);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    io.out(VERSION);
    return 0;
  }
  const spec = SPECS[command];
  if (!spec) {
    io.err(`edgeplan: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  try {
    const args = parseArgs(rest.map((a) => (a === '-h' ? '--help' : a)), spec);
    if (flag(args, 'help')) {
      io.out(HELP);
      return 0;
    }
    switch (command) {
      case 'analyze':
        return await cmdAnalyze(args, io);
      case 'estimate':
        return await cmdEstimate(args, io);
      case 'devices':
        return cmdDevices(args, io);
      case 'plan':
        return await cmdPlan(args, io);
      case 'benchmark':
        return await cmdBenchmark(args, io);
      case 'measure':
        return await cmdMeasure(args, io);
      case 'verify':
        return await cmdVerify(args, io);
    }
    return 2;
  } catch (e) {
    return reportError(e, io);
  }
}

function reportError(e: unknown, io: Io): number {
  if (e instanceof UsageError) {
    io.err(`edgeplan: ${e.message}\nRun "edgeplan --help" for usage.`);
    return 2;
  }
  if (
    e instanceof ModelFileError ||
    e instanceof EstimateInputError ||
    e instanceof PlanValidationError ||
    e instanceof InputError ||
    (e instanceof Error && USER_ERRORS.has(e.name))
  ) {
    io.err(`edgeplan: ${oneLine(e.message)}`);
    return 1;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM', 'EEXIST', 'ENOSPC', 'EROFS', 'ELOOP', 'ENAMETOOLONG'].includes(err.code)) {
    io.err(`edgeplan: ${oneLine(err.message)}`);
    return 1;
  }
  io.err(`edgeplan: internal error: ${oneLine(err?.message ?? String(e))}`);
  if (process.env.EDGEPLAN_DEBUG && err?.stack) io.err(err.stack);
  return 1;
}

/** Errors of lazily loaded modules that describe bad input, matched by name so the modules stay lazy. */
const USER_ERRORS = new Set(['FileInputError', 'BadValueError', 'BenchmarkError', 'ChildRunError', 'VerifyError', 'DataError', 'ExportExistsError', 'AnalysisCancelled', 'CatalogError', 'MeasurementError', 'RecommendInputError']);

/** A bad input that is not a model-file problem (missing file, bad plan file). */
export class InputError extends Error {}

/** An error message as one line of at most 600 characters (a message may quote a long name from a file). */
const oneLine = (s: string): string => clip(s.replace(/\s*[\r\n]\s*/g, ' ').trim(), 600);

const MAX_LOG_BYTES = 64 * 1024 * 1024;

function modelArg(args: { positionals: string[] }): string {
  if (args.positionals.length === 0) throw new UsageError('missing MODEL argument');
  if (args.positionals.length > 1) throw new UsageError(`expected one MODEL, got ${args.positionals.length}: ${args.positionals.join(' ')}`);
  const file = path.resolve(args.positionals[0]);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new InputError(`${args.positionals[0]}: ${describeFsError(e)}`);
  }
  // A Core ML package is a folder (Manifest.json + Data/); every other model is one file.
  if (st.isDirectory() && /\.mlpackage$/i.test(file.replace(/[\\/]+$/, ''))) return file;
  if (!st.isFile()) throw new InputError(`${args.positionals[0]}: not a regular file`);
  return file;
}

const PRECISIONS: ComputePrecision[] = ['int8', 'fp16', 'fp32'];

function precisionArg(args: Parameters<typeof value>[0]): ComputePrecision | undefined {
  const p = value(args, 'precision');
  if (p === undefined) return undefined;
  if (!(PRECISIONS as string[]).includes(p)) throw new UsageError(`--precision must be one of ${PRECISIONS.join(', ')}, got "${p}"`);
  return p as ComputePrecision;
}

/** --threads N: the threads the runtime's CPU kernels use. */
function threadsArg(args: ReturnType<typeof parseArgs>): number | undefined {
  return numberFlag(args, 'threads', { min: 1, max: MAX_CPU_THREADS, integer: true });
}

/** --runtime ID: a runtime every chosen device offers (catalog runtimes), else undefined (each device's default). */
function runtimeArg(args: ReturnType<typeof parseArgs>, deviceIds: string[]): string | undefined {
  const runtime = value(args, 'runtime');
  if (runtime === undefined) return undefined;
  for (const id of deviceIds) {
    const offered = loadCatalog().byId(id)!.runtimes.map((r) => r.id);
    if (!offered.includes(runtime)) throw new InputError(`--runtime ${runtime} is not a runtime of ${id}; its runtimes: ${offered.join(', ')}`);
  }
  return runtime;
}

function devicesArg(args: Parameters<typeof values>[0], required: boolean): string[] {
  const ids = [...new Set(values(args, 'device'))];
  if (required && ids.length === 0) throw new UsageError('--device ID is required (see "edgeplan devices")');
  const catalog = loadCatalog();
  for (const id of ids) {
    if (!catalog.byId(id)) throw new InputError(`unknown device "${id}"; known devices: ${catalog.devices.map((d) => d.id).join(', ')}`);
  }
  return ids;
}

async function cmdAnalyze(args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  const file = modelArg(args);
  const result = await analyzeFile(file, { bindings: bindingsFlag(args) });
  io.out(flag(args, 'json') ? JSON.stringify(result, null, 2) : formatAnalysis(result));
  return 0;
}

async function cmdEstimate(args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  const file = modelArg(args);
  const deviceIds = devicesArg(args, true);
  const precision = precisionArg(args);
  const memoryMb = numberFlag(args, 'memory-mb', { min: 0.001, max: 10_000_000 });
  const layers = numberFlag(args, 'layers', { min: 1, max: 1000, integer: true });
  const cpuThreads = threadsArg(args);
  const runtime = runtimeArg(args, deviceIds);
  const analysis = await analyzeFile(file, { bindings: bindingsFlag(args) });
  const budgets: Budgets = memoryMb !== undefined ? { memoryMb } : {};
  const corrections = correctionsArg(args);
  const estimates = deviceIds.map((id) => estimateDevice(analysis.model, id, { precision, runtime, budgets, corrections, cpuThreads, measuredModel: analysis.model.file }));
  if (flag(args, 'json')) io.out(JSON.stringify({ model: { file: analysis.model.file, format: analysis.model.format }, estimates, warnings: analysis.warnings }, null, 2));
  else io.out(formatEstimates(analysis, estimates, { layers }));
  return 0;
}

function cmdDevices(args: ReturnType<typeof parseArgs>, io: Io): number {
  if (args.positionals.length) throw new UsageError(`devices takes no arguments, got: ${args.positionals.join(' ')}`);
  const catalog = loadCatalog();
  io.out(flag(args, 'json') ? JSON.stringify({ devices: catalog.devices, calibration: calibrationSummary(catalog.devices.map((d) => d.id)) }, null, 2) : formatDevices(catalog.devices, loadCalibration()));
  return 0;
}

/** What each device's estimates are calibrated on (calibration.json), for `devices --json`. */
function calibrationSummary(ids: string[]): Record<string, unknown> {
  const file = loadCalibration();
  return {
    about: 'What each device\'s estimates are fitted on: published measurements (trainingPoints, sources), the range around a typical estimate, each runtime\'s own points on the device (runtimeEvidence) and the speeds carried over from devices of the same kind for runtimes without points (transferredRuntimeFactors). Method and every point: docs/CALIBRATION.md.',
    devices: Object.fromEntries(ids.map((id) => {
      const c = file.devices[id];
      if (!c) return [id, { calibrated: false, range: file.uncalibratedRange ?? null }];
      return [id, { calibrated: true, trainingPoints: c.trainingPoints, sources: c.sources ?? [], range: c.range, runtimeFactors: c.runtimeFactors, runtimeRanges: c.runtimeRanges ?? {}, runtimeEvidence: c.runtimeEvidence ?? {}, transferredRuntimeFactors: c.transferredRuntimeFactors ?? {} }];
    })),
  };
}

function budgetsArg(args: ReturnType<typeof parseArgs>): Budgets {
  const b: Budgets = {
    retraining: !flag(args, 'no-retraining'),
    calibrationData: !flag(args, 'no-calibration-data'),
  };
  const lat = numberFlag(args, 'latency-ms', { min: 0.001, max: 3_600_000 });
  if (lat !== undefined) b.latencyMs = lat;
  const mem = numberFlag(args, 'memory-mb', { min: 0.001, max: 10_000_000 });
  if (mem !== undefined) b.memoryMb = mem;
  const pw = numberFlag(args, 'power-w', { min: 0.0001, max: 10_000 });
  if (pw !== undefined) b.powerW = pw;
  const en = numberFlag(args, 'energy-mj', { min: 0.0001, max: 1e9 });
  if (en !== undefined) b.energyMj = en;
  const acc = numberFlag(args, 'accuracy-drop', { min: 0, max: 100 });
  if (acc !== undefined) b.accuracyDrop = acc;
  return b;
}

const EXPORT_FORMATS = ['docx', 'xlsx', 'pdf', 'pptx'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

async function cmdPlan(args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  const file = modelArg(args);
  const deviceIds = devicesArg(args, true);
  const budgets = budgetsArg(args);
  const precision = precisionArg(args);
  const planThreads = threadsArg(args);
  // The runtime is the primary target's; other targets use it where they offer it (planRuntimeFor).
  const planRuntime = runtimeArg(args, deviceIds.slice(0, 1));
  const formats = values(args, 'export');
  for (const f of formats) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--export takes ${EXPORT_FORMATS.join(',')}, got "${f}"`);
  }
  const outDir = value(args, 'out');
  if (formats.length && !outDir) throw new UsageError('--export needs --out DIR');
  if (outDir && !formats.length) throw new UsageError('--out needs --export FORMATS');

  let planJson: unknown;
  const planFile = value(args, 'plan');
  if (planFile) {
    const bytes = readRegularFile(planFile, { maxBytes: MAX_JSON_FILE_BYTES, what: 'plan file' });
    try {
      planJson = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new InputError(`${planFile}: the plan file is not valid JSON (${(e as Error).message})`);
    }
  }

  // Bindings saved in the plan file apply unless --bind says otherwise. Validation errors name the file.
  let planBindings: Record<string, number>;
  try {
    planBindings = validatePlanBindings(planJson);
  } catch (e) {
    if (e instanceof PlanValidationError && planFile) throw new InputError(`${planFile}: ${e.message}`);
    throw e;
  }
  const analysis = await analyzeFile(file, { bindings: { ...planBindings, ...bindingsFlag(args) } });
  const doc = buildPlanDocument({
    analysis,
    modelFile: path.relative(process.cwd(), file) || path.basename(file),
    deviceIds,
    budgets,
    precision,
    planJson,
    corrections: correctionsArg(args),
    cpuThreads: planThreads,
    runtime: planRuntime,
  });

  const written: string[] = [];
  if (formats.length && outDir) {
    const { exportPlan } = await import('./export');
    const results = await exportPlan(doc, formats as ExportFormat[], path.resolve(outDir), { force: flag(args, 'force') });
    written.push(...results.map((r) => r.file));
  }

  if (flag(args, 'json')) {
    const rec = doc.recommendation;
    io.out(
      JSON.stringify(
        {
          model: { file: doc.profile.file, format: doc.profile.format, params: doc.profile.params, macs: doc.profile.macs },
          device: rec?.device,
          budgets: rec?.budgets ?? budgets,
          verdict: rec?.verdict,
          recommendations: rec?.recommendations ?? [],
          alternatives: rec?.alternatives ?? [],
          operations: rec?.operations ?? [],
          estimates: doc.estimates,
          exports: written,
          warnings: doc.warnings,
        },
        null,
        2,
      ),
    );
  } else {
    io.out(formatRecommendation(doc));
    if (written.length) io.out(`\nWrote:\n${written.map((w) => `  ${path.relative(process.cwd(), w) || w}`).join('\n')}`);
  }
  return 0;
}

async function cmdBenchmark(args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  const file = modelArg(args);
  const runs = numberFlag(args, 'runs', { min: 1, max: 100_000, integer: true }) ?? 20;
  const warmup = numberFlag(args, 'warmup', { min: 0, max: 10_000, integer: true }) ?? 3;
  const timeoutS = numberFlag(args, 'timeout-s', { min: 1, max: 3600 }) ?? 120;
  const batches = values(args, 'batch').map((b) => {
    const n = Number(b);
    if (!Number.isInteger(n) || n < 1 || n > 4096) throw new UsageError(`--batch takes whole numbers from 1 to 4096, got "${b}"`);
    return n;
  });
  const { benchmarkModel } = await import('./measure');
  const result = await benchmarkModel(file, { runs, warmup, batchSizes: batches.length ? batches : [1], timeoutMs: timeoutS * 1000, bindings: bindingsFlag(args) });
  io.out(flag(args, 'json') ? JSON.stringify(result, null, 2) : formatBenchmark(result));
  return 0;
}

/** "1,2,3" → [1, 2, 3] for --mean / --std. */
function numberList(args: ReturnType<typeof parseArgs>, name: string): number[] | undefined {
  const v = value(args, name);
  if (v === undefined) return undefined;
  const list = v.split(',').map((x) => Number(x.trim()));
  if (!list.length || list.some((x) => !Number.isFinite(x)) || (list.length !== 1 && list.length !== 3)) throw new UsageError(`--${name} takes one number or three comma-separated numbers, got "${v}"`);
  if (name === 'std' && list.some((x) => x <= 0)) throw new BadValueError(`--std must be positive, got ${v}`);
  return list;
}

function oneOf<T extends string>(args: ReturnType<typeof parseArgs>, name: string, allowed: readonly T[]): T | undefined {
  const v = value(args, name);
  if (v !== undefined && !(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T | undefined;
}

async function cmdVerify(args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  const file = modelArg(args);
  const technique = oneOf(args, 'technique', VERIFIED_TECHNIQUES);
  if (!technique) throw new UsageError(`verify needs --technique ${VERIFIED_TECHNIQUES.join('|')}`);
  const keep = value(args, 'keep-float');
  let keepFloat: number | 'auto' | undefined;
  if (keep === 'auto') keepFloat = 'auto';
  else if (keep !== undefined) keepFloat = numberFlag(args, 'keep-float', { min: 0, max: 100_000, integer: true });
  const size = value(args, 'image-size');
  const sizeMatch = size === undefined ? null : /^(\d+)x(\d+)$/i.exec(size);
  if (size !== undefined && !sizeMatch) throw new UsageError(`--image-size takes HxW, e.g. 224x224, got "${size}"`);
  const layout = oneOf(args, 'layout', ['nchw', 'nhwc'] as const);
  const scale = numberFlag(args, 'scale', { min: 1e-9, max: 1e9 });
  const preprocess = {
    ...(sizeMatch ? { height: Number(sizeMatch[1]), width: Number(sizeMatch[2]) } : {}),
    ...(layout ? { layout: layout.toUpperCase() as 'NCHW' | 'NHWC' } : {}),
    ...(scale !== undefined ? { scale } : {}),
    ...(numberList(args, 'mean') ? { mean: numberList(args, 'mean') } : {}),
    ...(numberList(args, 'std') ? { std: numberList(args, 'std') } : {}),
  };
  const blockSize = numberFlag(args, 'block-size', { min: 16, max: 4096, integer: true });
  if (blockSize !== undefined && (blockSize & (blockSize - 1)) !== 0) throw new BadValueError(`--block-size must be a power of two, got ${blockSize}`);
  const timeoutS = numberFlag(args, 'timeout-s', { min: 1, max: 86_400 });
  // The plan the measurement goes into is read (a regular file, valid) before the run, not after minutes of work.
  const planFile = value(args, 'plan');
  const plan = planFile ? planToRecordIn(planFile, file) : undefined;
  const { verifyModel } = await import('./measure/verify');
  // SIGINT / SIGTERM stop the run: the worker is killed and its work folder removed, nothing is written (exit 1).
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => stop.abort(sig);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const report = await verifyModel(
    file,
    {
      technique,
      dataDir: value(args, 'data'),
      samples: numberFlag(args, 'samples', { min: 1, max: 1_000_000, integer: true }),
      calibrationSamples: numberFlag(args, 'calibration-samples', { min: 1, max: 1_000_000, integer: true }),
      keepFloat,
      outDir: value(args, 'out'),
      force: flag(args, 'force'),
      calibration: oneOf(args, 'calibration', ['minmax', 'percentile', 'entropy'] as const),
      activationType: oneOf(args, 'activations', ['int8', 'uint8'] as const),
      blockSize,
      bindings: bindingsFlag(args),
      preprocess: Object.keys(preprocess).length ? preprocess : undefined,
      seed: numberFlag(args, 'seed', { min: 0, max: 2 ** 31, integer: true }),
      // Without --timeout-s, verifyModel's VERIFY_TIME_LIMIT_MS (the same limit VS Code uses).
      timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
      signal: stop.signal,
    },
    flag(args, 'json') ? undefined : (message) => process.stderr.isTTY && process.stderr.write(`\r\x1b[K${message}`),
  ).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  if (!flag(args, 'json') && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  if (planFile && plan) recordInPlan(planFile, plan, report);
  io.out(flag(args, 'json') ? JSON.stringify(report, null, 2) : formatVerify(report));
  if (planFile && !flag(args, 'json')) io.out(`Recorded in ${planFile}: "edgeplan plan ${path.basename(file)} --plan ${planFile}" shows it next to the predictions.`);
  return 0;
}

/** --plan FILE of verify: the plan file as it is (a regular file, validated), or a new plan with defaults when absent. */
function planToRecordIn(planFile: string, model: string): DeploymentPlan {
  if (!fs.existsSync(planFile)) return createDefaultPlan(relativeToCwd(model), path.basename(model), []);
  const bytes = readRegularFile(planFile, { maxBytes: MAX_JSON_FILE_BYTES, what: 'plan file' }); // never a FIFO or a device
  try {
    return validatePlan(JSON.parse(bytes.toString('utf8')));
  } catch (e) {
    if (e instanceof PlanValidationError) throw new InputError(`${planFile}: ${e.message}`);
    throw new InputError(`${planFile}: cannot read the plan file (${(e as Error).message})`);
  }
}

/** The measurement goes into the plan, written atomically to its file. */
function recordInPlan(planFile: string, plan: DeploymentPlan, report: import('./measure/verify').VerifyReport): void {
  plan.verification = withVerification(plan.verification ?? [], verificationFromReport(report, relativeToCwd(report.compressed.file)));
  ensureDir(path.dirname(path.resolve(planFile)));
  writeFileAtomic(path.resolve(planFile), Buffer.from(serializePlan(plan)), { force: true });
}

const relativeToCwd = (p: string): string => path.relative(process.cwd(), p) || path.basename(p);

const DEFAULT_STORE = path.join('.edgeplan', 'measurements.json');

/** Per-device corrections from --measurements FILE, or the default store when it exists. */
function correctionsArg(args: ReturnType<typeof parseArgs>): Map<string, DeviceCorrection> | undefined {
  const given = value(args, 'measurements');
  const file = given ?? DEFAULT_STORE;
  // The default store is optional; a given one must exist. Either must be a regular file (readStore checks).
  if (given) {
    try {
      fs.statSync(given);
    } catch (e) {
      throw new InputError(`${given}: measurements file: ${describeFsError(e)}`);
    }
  }
  const c = correctionsOf(readStore(file));
  return c.size ? c : undefined;
}

async function cmdMeasure(args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  const file = modelArg(args);
  const deviceIds = devicesArg(args, true);
  if (deviceIds.length !== 1) throw new UsageError('measure takes exactly one --device');
  const precision = precisionArg(args);
  const typed = numberFlag(args, 'latency-ms', { min: 0.0001, max: 3_600_000 });
  const logFile = value(args, 'log');
  if ((typed === undefined) === (logFile === undefined)) throw new UsageError('measure needs either --latency-ms N or --log FILE');
  const threadsFlag = threadsArg(args);
  const runtime = runtimeArg(args, deviceIds);
  let cpuThreads = threadsFlag;
  let measuredMs: number;
  let source = 'typed';
  if (logFile !== undefined) {
    const text = readRegularFile(logFile, { maxBytes: MAX_LOG_BYTES, what: 'benchmark log' }).toString('utf8');
    let parsed: ReturnType<typeof parseBenchmarkLog>;
    try {
      parsed = parseBenchmarkLog(text);
    } catch (e) {
      throw new InputError(`${logFile}: ${(e as Error).message}`);
    }
    measuredMs = parsed.latencyMs;
    source = `${parsed.source}: ${parsed.line.slice(0, 160)}`;
    if (threadsFlag === undefined && parsed.threads !== undefined && hasApplicationCpu(deviceIds[0])) cpuThreads = parsed.threads;
  } else measuredMs = typed as number;
  const analysis = await analyzeFile(file, { bindings: bindingsFlag(args) });
  // The uncorrected estimate at the run's runtime and thread count: the factor compares the model, not an earlier
  // correction, a runtime's speed or a thread setting.
  const estimate = estimateDevice(analysis.model, deviceIds[0], { precision, runtime, cpuThreads });
  if (!Number.isFinite(estimate.latencyMs.typical) || estimate.latencyMs.typical <= 0) {
    throw new InputError(`${deviceIds[0]} has no latency estimate for this model to compare with; the measurement was not stored`);
  }
  const store = value(args, 'store') ?? DEFAULT_STORE;
  const saved = addMeasurement(store, {
    device: deviceIds[0],
    model: path.basename(file),
    measuredMs,
    estimatedMs: estimate.latencyMs.typical,
    precision: estimate.precision,
    source,
    date: new Date().toISOString().slice(0, 10),
    ...(runtime !== undefined ? { runtime } : {}),
    ...(cpuThreads !== undefined ? { cpuThreads } : {}),
  });
  const c = correctionFor(correctionsOf(saved).get(deviceIds[0]) as DeviceCorrection, estimate.runtime, defaultRuntime(loadCatalog().byId(deviceIds[0])!));
  const result = { device: deviceIds[0], runtime: estimate.runtime, measuredMs, estimatedMs: estimate.latencyMs.typical, factor: c.factor, points: c.points, store: path.resolve(store) };
  if (flag(args, 'json')) io.out(JSON.stringify(result, null, 2));
  else {
    io.out(`${deviceIds[0]}: measured ${measuredMs.toPrecision(4)} ms, estimated ${estimate.latencyMs.typical.toPrecision(4)} ms (${estimate.precision}, ${estimate.runtime}${cpuThreads !== undefined ? `, ${cpuThreads} CPU thread${cpuThreads === 1 ? '' : 's'}` : ''}).`);
    io.out(`Stored in ${store}. ${deviceIds[0]} estimates with ${estimate.runtime} are now multiplied by ${c.factor.toFixed(3)} (geometric mean over its ${c.points} measurement${c.points > 1 ? 's' : ''} with that runtime); estimates with a runtime you have not measured use every measurement of the device.`);
  }
  return 0;
}

function validatePlanBindings(planJson: unknown): Record<string, number> {
  return planJson === undefined ? {} : validatePlan(planJson).model.bindings ?? {};
}
