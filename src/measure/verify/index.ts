/**
 * edgeplan verify: build the compressed model (fp16, dynamic INT8, static INT8 QDQ, INT4 weight-only) as a real
 * file beside the original, run both on the same inputs in the measurement child, and report what was lost —
 * fidelity per output, agreement, accuracy and per-group accuracy with labels, the most sensitive layers,
 * optionally a mixed-precision variant — with size and latency on this machine.
 *
 * Files: the child works in a private folder inside the output folder; the result is published with one atomic
 * link / rename (never over an existing file without `force`), and the private folder is removed whatever
 * happens (time limit, cancel, error), so nothing half-written is left. ONNX only: other formats are refused
 * with the reason and where the commands for them are.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeFile } from '../../analyzers';
import { writeFileAtomic } from '../../export/atomic-write';
import { startChild, type StartedChild } from '../child';
import { ensureDir, linkOrCopy } from '../../fs-util';
import { readOnnxModel } from './onnx-file';
import { modelTask } from '../../planner/recommend/model-task';
import { mayHaveHalfTransposes, optimizersToAvoid } from '../ort-workarounds';
import { CI_METHOD } from './metrics';
import { VerifyError } from './errors';
import { DEFAULT_BLOCK_SIZE } from './write-int4';
import type { CalibrationMethod } from './calibrate';
import type { Technique } from './compress-types';
import type { ImagePreprocess } from './data/images';
import type { QType } from './quant-math';
import type { LayerSensitivity } from './sensitivity';
import { TWO_THREADS_MAX_BYTES, type OutputFidelity, type VerifyMessage, type VerifyRequest, type VerifyRunResult } from './protocol';

export { TECHNIQUES, type Technique } from './compress-types';
export { VerifyError, DataError } from './errors';

export interface VerifyOptions {
  technique: Technique;
  dataDir?: string;
  /** Evaluation samples (default 200 with data, 50 synthetic). */
  samples?: number;
  /** Calibration samples for int8-ptq (default 100 with data, 32 synthetic). */
  calibrationSamples?: number;
  keepFloat?: number | 'auto';
  /** Default: the model's folder. */
  outDir?: string;
  force?: boolean;
  calibration?: CalibrationMethod;
  /** int8-ptq activations (default int8: uint8 with int8 weights saturates on x86 CPUs without VNNI). */
  activationType?: QType;
  blockSize?: number;
  bindings?: Record<string, number>;
  preprocess?: Partial<ImagePreprocess>;
  seed?: number;
  sensitivitySamples?: number;
  /** Largest model (file and external data, bytes) run on two threads at once (default 512 MiB; 0: one at a time). */
  twoThreadsMaxBytes?: number;
  /** keep-float auto with labels: the largest accuracy drop accepted (fraction, default 0.01). */
  accuracyBudget?: number;
  /** Default VERIFY_TIME_LIMIT_MS. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** How long the measurement child may run: the default of the CLI's --timeout-s and the VS Code command's limit. */
export const VERIFY_TIME_LIMIT_MS = 600_000;

export interface LatencyMs {
  p50: number;
  p95: number;
}

export interface GroupRow {
  group: string;
  samples: number;
  original: number;
  compressed: number;
  drop: number;
  dropCi95: [number, number];
}

/** One measured variant, as reported (the fully compressed one when layers were kept in float). */
export interface VariantReport {
  floatLayers: string[];
  fidelity: { outputs: OutputFidelity[]; top1Agreement: number | null; top5Agreement: number | null };
  accuracy: VerifyReport['accuracy'];
}

export interface VerifyReport {
  original: { file: string; weightBytes: number; fileBytes: number; latencyMs: LatencyMs };
  compressed: {
    file: string;
    technique: Technique;
    weightBytes: number;
    fileBytes: number;
    weightDtypes: Record<string, number>;
    latencyMs: LatencyMs;
    floatLayers: string[];
  };
  data: VerifyRunResult['data'];
  fidelity: { outputs: OutputFidelity[]; top1Agreement: number | null; top5Agreement: number | null; classifierOutput: string | null };
  accuracy: { samples: number; original: number; compressed: number; drop: number; dropCi95: [number, number]; method: string } | null;
  groups: GroupRow[];
  groupGap: { worstGroup: string; worstDrop: number; gapOriginal: number; gapCompressed: number; widened: boolean | null } | null;
  /** The ten layers that lose the most (most first). */
  sensitiveLayers: LayerSensitivity[];
  /** Every changed layer, ranked the same way, with its compressed weights (for a per-layer side-by-side). */
  layers: LayerSensitivity[];
  /** When layers were kept in float: how the fully compressed variant measured first, and the rule that chose them. */
  fullyCompressed: (VariantReport & { criterion: string }) | null;
  measuredOn: { label: 'this machine'; cpu: string; cores: number; platform: string; runtime: string };
  notes: string[];
}

/** What to do with a model that is not ONNX. */
function notOnnx(file: string, format: string): VerifyError {
  return new VerifyError(
    `${path.basename(file)}: verify builds and runs ONNX models only (onnxruntime-node); this is ${format.toUpperCase()}, whose compression needs its own toolchain ` +
      `(TFLite converter, coremltools, llama.cpp ...): "edgeplan plan ${path.basename(file)} --device ID" prints the commands for it`,
  );
}

export async function verifyModel(file: string, opts: VerifyOptions, onProgress?: (message: string, fraction: number) => void): Promise<VerifyReport> {
  // The measurement child starts now and boots while the model is analysed and the options checked; it gets its
  // request only when they pass, and is stopped (having done nothing) when they do not.
  const child = startChild();
  try {
    return await verifyWith(child, file, opts, onProgress);
  } finally {
    child.stop();
  }
}

async function verifyWith(child: StartedChild, file: string, opts: VerifyOptions, onProgress?: (message: string, fraction: number) => void): Promise<VerifyReport> {
  const model = path.resolve(file);
  const analysis = await analyzeFile(model, { bindings: opts.bindings });
  if (analysis.model.format !== 'onnx') throw notOnnx(model, analysis.model.format);
  const externalProblem = analysis.warnings.find((w) => w.startsWith('external data: '));
  if (externalProblem) throw new VerifyError(`${path.basename(model)}: not run, because its ${externalProblem.replace(/; sizes come from the model file, the data was not checked$/, '')}`);
  if (opts.dataDir && !(fs.existsSync(opts.dataDir) && fs.statSync(opts.dataDir).isDirectory())) throw new VerifyError(`${opts.dataDir}: no such data folder`);

  const outDir = path.resolve(opts.outDir ?? path.dirname(model));
  ensureDir(outDir);
  const stem = path.basename(model).replace(/\.onnx$/i, '');
  const outFile = path.join(outDir, `${stem}.${opts.technique}.onnx`);
  if (!opts.force && fs.existsSync(outFile)) throw new VerifyError(`${outFile} already exists; use --force to overwrite it`);
  const external = [...new Set(readOnnxModel(fs.readFileSync(model), model).graph.initializers.map((t) => t.external?.location).filter((l): l is string => !!l))];

  const synthetic = !opts.dataDir;
  const task = modelTask(analysis.model);
  const withoutOptimizers = optimizersToAvoid(mayHaveHalfTransposes(analysis.model));
  const request: VerifyRequest = {
    type: 'verify',
    model,
    technique: opts.technique,
    // Named here, created by the worker once it has the request and has arranged to remove it should this process
    // die (parent-guard.ts): a folder made here before the request reached the worker would outlive a kill between
    // the two. This process removes it when the run ends, however it ends.
    workDir: path.join(outDir, `.edgeplan-verify-${crypto.randomBytes(8).toString('hex')}`),
    outName: path.basename(outFile),
    dataDir: opts.dataDir ? path.resolve(opts.dataDir) : undefined,
    evaluationSamples: opts.samples ?? (synthetic ? 50 : 200),
    calibrationSamples: opts.calibrationSamples ?? (synthetic ? 32 : 100),
    keepFloat: opts.keepFloat ?? 0,
    calibration: opts.calibration ?? 'minmax',
    activationType: opts.activationType ?? 'int8',
    blockSize: opts.blockSize ?? DEFAULT_BLOCK_SIZE,
    bindings: opts.bindings ?? {},
    preprocess: opts.preprocess,
    seed: opts.seed ?? 1,
    sensitivitySamples: opts.sensitivitySamples ?? 4,
    accuracyBudget: opts.accuracyBudget ?? 0.01,
    twoThreadsMaxBytes: opts.twoThreadsMaxBytes ?? TWO_THREADS_MAX_BYTES,
    ...(task.task === 'detector' || task.task === 'segmentation' ? { notClassifier: `the model is a ${task.task === 'detector' ? 'detector' : 'segmentation model'} (${task.reason})` } : {}),
    ...(withoutOptimizers.length ? { withoutOptimizers } : {}),
  };
  let result: VerifyRunResult;
  try {
    result = await child.run<VerifyRunResult>(request, {
      what: 'verification',
      timeoutMs: opts.timeoutMs ?? VERIFY_TIME_LIMIT_MS,
      signal: opts.signal,
      onMessage: (msg) => {
        const m = msg as Extract<VerifyMessage, { type: 'progress' }>;
        if (m.type === 'progress') onProgress?.(`${m.phase}${m.total > 1 ? ` ${m.done}/${m.total}` : ''}`, m.total ? m.done / m.total : 0);
      },
    });
    // External data the compressed model still reads goes next to it first, then the model appears in one step.
    if (outDir !== path.dirname(model)) for (const loc of external) placeExternal(path.resolve(path.dirname(model), loc), path.resolve(outDir, loc), !!opts.force);
    writeFileAtomic(outFile, fs.readFileSync(path.join(request.workDir, request.outName)), { force: opts.force });
  } finally {
    fs.rmSync(request.workDir, { recursive: true, force: true });
  }

  const after = await analyzeFile(outFile, { bindings: opts.bindings });
  // The analyzer re-reads the written file: the technique's weight type must be there.
  const expected = { fp16: 'FLOAT16', 'int8-dynamic': 'INT8', 'int8-ptq': 'INT8', 'int4-weight-only': 'UINT8' }[opts.technique];
  const dtypeNote = after.model.weightDtypes[expected] ? [] : [`the analyzer finds no ${expected} weights in ${path.basename(outFile)}: nothing was compressed`];
  const chosen = result.mixed ?? result.full;
  const cpus = os.cpus();
  const accuracy = chosen.accuracy ? { ...chosen.accuracy, method: CI_METHOD } : null;
  const g = chosen.groups;
  return {
    original: { file: model, weightBytes: analysis.model.weightBytes, fileBytes: fs.statSync(model).size, latencyMs: ms(result.original.latencyMs) },
    compressed: {
      file: outFile,
      technique: opts.technique,
      weightBytes: after.model.weightBytes,
      fileBytes: fs.statSync(outFile).size,
      weightDtypes: after.model.weightDtypes,
      latencyMs: ms(chosen.latencyMs),
      floatLayers: chosen.floatLayers,
    },
    data: result.data,
    fidelity: { outputs: chosen.outputs, top1Agreement: chosen.top1Agreement, top5Agreement: chosen.top5Agreement, classifierOutput: result.classifierOutput?.name ?? null },
    accuracy,
    groups: g.groups.map((x) => ({ group: x.group, samples: x.samples, original: x.original, compressed: x.compressed, drop: x.drop, dropCi95: x.dropCi95 })),
    groupGap: g.worstGroup !== null ? { worstGroup: g.worstGroup, worstDrop: g.worstDrop!, gapOriginal: g.gapOriginal!, gapCompressed: g.gapCompressed!, widened: g.gapWidened } : null,
    sensitiveLayers: result.sensitiveLayers.slice(0, 10).map(({ weights: _w, ...l }) => l),
    layers: result.sensitiveLayers,
    fullyCompressed: result.mixed
      ? {
          criterion: result.mixed.criterion,
          floatLayers: result.full.floatLayers,
          fidelity: { outputs: result.full.outputs, top1Agreement: result.full.top1Agreement, top5Agreement: result.full.top5Agreement },
          accuracy: result.full.accuracy ? { ...result.full.accuracy, method: CI_METHOD } : null,
        }
      : null,
    measuredOn: { label: 'this machine', cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, platform: `${os.platform()}-${os.arch()}`, runtime: `onnxruntime-node ${result.runtimeVersion}, CPU execution provider` },
    notes: [...dtypeNote, ...result.data.notes, ...result.notes, ...after.warnings.filter((w) => !analysis.warnings.includes(w)).map((w) => `analyzer: ${w}`)],
  };
}

const ms = (l: { p50: number; p95: number }): LatencyMs => ({ p50: l.p50, p95: l.p95 });

/** An external data file the compressed model still reads, placed next to it (hard link, else copy). */
function placeExternal(from: string, to: string, force: boolean): void {
  if (fs.existsSync(to)) {
    if (fs.statSync(to).ino === fs.statSync(from).ino) return;
    if (!force) throw new VerifyError(`${to} already exists (the compressed model's external data goes there); use --force to overwrite it`);
    fs.rmSync(to);
  }
  ensureDir(path.dirname(to));
  linkOrCopy(from, to);
}
