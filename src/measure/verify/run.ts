/**
 * Verification inside the measurement child: loads the original model in onnxruntime-node, reads the data
 * (or makes synthetic inputs), runs a copy that exposes every intermediate tensor over the calibration samples
 * (element types, and ranges for static INT8), writes the compressed model, runs both models on the same
 * evaluation samples (fidelity per output, agreement, accuracy and groups, latency on this machine), compares
 * the layers' activations on a subset (sensitivity), optionally re-measures with the most sensitive layers kept
 * in float, and writes the chosen model to the work folder. Everything the caller reports comes from here.
 * Models run on two threads at once (this one and session-thread.ts's), one intra-op thread each, except the runs
 * that are timed: those run alone, with onnxruntime's default threads.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as OrtModule from 'onnxruntime-node';
import { halfToFloat } from '../../analyzers/onnx/tensor';
import { formatSqnr } from '../../format-numbers';
import { ensureDir, linkOrCopy } from '../../fs-util';
import { percentile } from '../types';
import { nchwcNote, optimizersToAvoid, withoutOptimizersExtra } from '../ort-workarounds';
import { readOnnxModel } from './onnx-file';
import { graphFacts } from './graph-facts';
import { planQdq } from './write-int8-qdq';
import { compressModel, computedTensors, withOutputs, withRangeOutputs } from './compress';
import { unsignedTwin } from './int8-twin';
import { layersOrtQuantizes, ortQuantizesNote, WEIGHT_BIAS_QUANTIZATION } from './ort-float-layers';
import { TensorRange, calibratedRange } from './calibrate';
import { accuracyOf, classCount, Fidelity, groupsOf, sqnrAtLeast, sqnrOrder, topK, type PairedOutcome } from './metrics';
import { notComparedNote, pairKey, pairsOf, rankLayers, type LayerSensitivity } from './sensitivity';
import { isNpySample, loadSample, seededRandom, splitDataset, syntheticSample, type DatasetSplit, type InputTensor, type ModelInput, type SampleRef } from './data/dataset';
import { OwnedInputs, SharedBufferPool } from './shared-input';
import { DataError, VerifyError } from './errors';
import type { WriterOutput } from './compress-types';
import type { Latency, VariantMeasure, VerifyMessage, VerifyRequest, VerifyRunResult } from './protocol';
import { runInOrder, type Job, type Side } from './in-order';
import { localSession, runnableFeeds, SessionThread, type TensorValue, type TensorValues, type VerifySession } from './session-thread';

type Ort = typeof OrtModule;
type Session = VerifySession;
type Feeds = Record<string, TensorValue>;
/**
 * A sample's input tensors; `done` hands back the pooled buffers they are read into (once no run reads them);
 * `reread`: read again on each use (into reused memory), so never cached.
 */
type Loaded = { tensors: InputTensor[]; done: () => void; reread: boolean };

const CACHE_BYTES = 512 * 1024 * 1024;
/** Evaluation runs of the original the session thread may do early, while idle (at most, and their inputs' bytes). */
const EARLY_RUNS = 96;
const EARLY_BYTES = 64 * 1024 * 1024;
/** INT8 and FP16: samples also run as onnxruntime runs the file here, for latency and its deviation from the exact arithmetic. */
const LATENCY_SAMPLES = 30;

/** A tensor's values as numbers (fp16 decoded, int64 as Number). */
function numbers(t: TensorValue): ArrayLike<number> {
  const d = t.data as unknown;
  if (t.type === 'float16') return Float32Array.from(d as Uint16Array, halfToFloat);
  if (t.type === 'int64' || t.type === 'uint64') return Float64Array.from(d as BigInt64Array, (v) => Number(v));
  if (t.type === 'string') return [];
  return d as ArrayLike<number>;
}

function latency(times: number[]): Latency {
  const kept = times.length > 4 ? times.slice(2) : times;
  const s = [...kept].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), runs: s.length };
}

/**
 * Where a session runs: 'timing' on this thread with onnxruntime's default threads (latency is timed there, one
 * model at a time); 'here' and 'thread' with one intra-op thread each, on this thread and on the session thread, so
 * that two models compute at once (the original and the compressed model on every evaluation sample).
 */
type Place = 'timing' | 'here' | 'thread';

/** One model opened on both threads (or, without a second thread, one session in both roles). */
interface Pair {
  here: Session;
  there: Session;
  release(): Promise<void>;
}

/** How a session computes (Sessions.open); 'metadata': not run, opened only for the types and shapes onnxruntime infers. */
type Mode = 'exact-int8' | 'exact-fp16' | 'fast' | 'metadata';

/** Sessions for the original and the models derived from it (from memory, or from files next to the external data). */
class Sessions {
  private count = 0;
  constructor(
    private readonly ort: Ort,
    private readonly req: VerifyRequest,
    private readonly externalLocations: string[],
    private readonly thread: SessionThread,
    /** False: no second thread (a large model, or one core); every session is a 'timing' one. */
    readonly twoThreads: boolean,
  ) {
    for (const loc of externalLocations) {
      const from = path.resolve(path.dirname(req.model), loc);
      const to = path.resolve(req.workDir, loc);
      if (fs.existsSync(to)) continue;
      ensureDir(path.dirname(to));
      linkOrCopy(from, to);
    }
  }

  /**
   * The compressed model's exact arithmetic, where onnxruntime's full optimisation on this CPU would compute
   * something else:
   * - 'exact-int8': QDQ fusion off (every other optimisation on), so QuantizeLinear / DequantizeLinear run as written
   *   instead of int8 kernels that may saturate here (static INT8 runs its unsigned twin instead, in 'fast', where one
   *   can be made: int8-twin.ts; its layer comparison, and dynamic INT8's float twin, run this way);
   * - 'exact-fp16': basic optimisation only, so the Casts onnxruntime inserts around ops without a float16 kernel stay
   *   and every tensor between ops is rounded to float16 (at full optimisation it removes them and computes in
   *   float32 throughout);
   * - 'fast': everything on — the file as onnxruntime runs it here, which is what is timed.
   */
  async open(source: string | Buffer, what: string, place: Place, mode: Mode = 'fast', withoutOptimizers: string[] = []): Promise<Session> {
    const target = this.loadable(source);
    try {
      // Thread spinning off: a pool spinning after its run slows the next session's run (3x on 2 cores). Every
      // session, original and compressed alike, is timed this way.
      const spinning = { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } };
      const options: OrtModule.InferenceSession.SessionOptions = {
        executionProviders: ['cpu'],
        graphOptimizationLevel: mode === 'metadata' ? 'disabled' : mode === 'exact-fp16' ? 'basic' : 'all',
        ...(place === 'timing' || !this.twoThreads ? {} : { intraOpNumThreads: 1 }),
        extra: { session: mode === 'exact-int8' ? { ...spinning, disable_quant_qdq: '1' } : spinning, ...withoutOptimizersExtra([...new Set([...(this.req.withoutOptimizers ?? []), ...withoutOptimizers])]) },
      };
      if (place === 'thread' && this.twoThreads) return await this.thread.open(target, options);
      return localSession(this.ort, await this.ort.InferenceSession.create(target as string, options));
    } catch (e) {
      throw new VerifyError(`onnxruntime cannot load ${what}: ${String((e as Error).message).split('\n')[0]}`);
    }
  }

  /** Model bytes as onnxruntime can load them: a file in the work folder when the model reads external data. */
  private loadable(source: string | Buffer): string | Buffer {
    if (!Buffer.isBuffer(source) || !this.externalLocations.length) return source;
    const file = path.join(this.req.workDir, `derived-${this.count++}.onnx`);
    fs.writeFileSync(file, source);
    return file;
  }

  /** A model on both threads; without a second thread, one session that plays both parts. */
  async pair(bytes: string | Buffer, what: string, mode: Mode = 'fast', withoutOptimizers: string[] = []): Promise<Pair> {
    const source = this.loadable(bytes);
    if (!this.twoThreads) {
      const one = await this.open(source, what, 'timing', mode, withoutOptimizers);
      return { here: one, there: one, release: () => one.release() };
    }
    // This thread does not wait for the session thread's copy: the session thread may still be loading onnxruntime
    // or opening another model, and runs on this side can start meanwhile (runInOrder gives the session thread its
    // first run at once; that run waits for the copy to open).
    const there = this.open(source, what, 'thread', mode, withoutOptimizers);
    there.catch(() => undefined);
    let here: Session;
    try {
      here = await this.open(source, what, 'here', mode, withoutOptimizers);
    } catch (e) {
      await there.then((s) => s.release()).catch(() => undefined);
      throw e;
    }
    return pairWith(here, whenOpen(there, here));
  }
}

function pairWith(here: Session, there: Session): Pair {
  return { here, there, release: async () => void (await Promise.all([here.release(), there.release()])) };
}

/**
 * A session still opening on the session thread, usable at once: its runs wait for it to open (and fail as the
 * opening failed). Names and metadata are those of `same`, the same model opened on this thread.
 */
function whenOpen(opening: Promise<Session>, same: Session): Session {
  return {
    inputNames: same.inputNames,
    outputNames: same.outputNames,
    inputMetadata: same.inputMetadata,
    outputMetadata: same.outputMetadata,
    run: async (feeds, fetches) => (await opening).run(feeds, fetches),
    runWhenIdle: async (feeds) => (await opening).runWhenIdle!(feeds),
    runNpyWhenIdle: async (sample) => (await opening).runNpyWhenIdle!(sample),
    release: async () => {
      const s = await opening.catch(() => null);
      await s?.release();
    },
  };
}

/** Size of a file in bytes; 0 when it cannot be read (a missing external data file fails later, by name). */
function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * `script`: the measurement child's bundle, started again as the session thread (session-thread.ts); the thread is
 * terminated when verification ends, however it ends.
 */
export async function runVerify(req: VerifyRequest, send: (m: VerifyMessage) => void, script: string): Promise<VerifyRunResult> {
  const thread = new SessionThread(script);
  try {
    return await verifyWith(thread, req, send);
  } finally {
    await thread.close();
  }
}

async function verifyWith(thread: SessionThread, req: VerifyRequest, send: (m: VerifyMessage) => void): Promise<VerifyRunResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort: Ort = require('onnxruntime-node');
  const progress = (phase: string, done: number, total: number): void => send({ type: 'progress', phase, done, total });
  const notes: string[] = [];
  const file = req.model;
  const bytes = fs.readFileSync(file);
  const parsed = readOnnxModel(bytes, file);
  const external = [...new Set(parsed.graph.initializers.map((t) => t.external?.location).filter((l): l is string => !!l))];
  const modelBytes = bytes.length + external.reduce((a, loc) => a + fileSize(path.resolve(path.dirname(file), loc)), 0);
  const sessions = new Sessions(ort, req, external, thread, os.availableParallelism() >= 2 && modelBytes <= req.twoThreadsMaxBytes);
  if (req.withoutOptimizers?.length) notes.push(nchwcNote('the original and every model made from it'));
  // The session thread starts now, and opens the original, while this thread opens it for timing.
  if (sessions.twoThreads) thread.start();
  const originalThere = sessions.twoThreads ? sessions.open(file, path.basename(file), 'thread') : null;
  originalThere?.catch(() => undefined);
  if (modelBytes > req.twoThreadsMaxBytes) notes.push(`the model with its external data is ${(modelBytes / 1048576).toFixed(1)} MiB, over the ${(req.twoThreadsMaxBytes / 1048576).toFixed(0)} MiB run on two threads at once (each thread would hold its own copy): models ran one at a time`);
  const original = await sessions.open(file, path.basename(file), 'timing');
  const inputs: ModelInput[] = original.inputMetadata.map((m) => {
    if (!m.isTensor) throw new VerifyError(`input "${m.name}" is not a tensor; verify feeds tensors only`);
    return { name: m.name, type: m.type, shape: [...m.shape] };
  });

  // Data: the user's samples, split into calibration and evaluation, or synthetic inputs.
  const calibrationWanted = req.technique === 'int8-ptq' ? req.calibrationSamples : 0;
  let split: DatasetSplit | null = null;
  let calibrationRefs: (SampleRef | number)[];
  let evaluationRefs: (SampleRef | number)[];
  if (req.dataDir) {
    split = splitDataset(req.dataDir, inputs, { calibration: calibrationWanted, evaluation: req.evaluationSamples, seed: req.seed, preprocess: req.preprocess });
    calibrationRefs = split.calibration;
    evaluationRefs = split.evaluation;
  } else {
    calibrationRefs = Array.from({ length: calibrationWanted }, (_, i) => i);
    evaluationRefs = Array.from({ length: req.evaluationSamples }, (_, i) => calibrationWanted + i);
  }
  const dataDir = req.dataDir ? path.resolve(req.dataDir) : '';
  const toFeeds = (tensors: InputTensor[]): Feeds => Object.fromEntries(tensors.map((t) => [t.name, new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims)]));
  // Samples as they are used: .npy samples are read again each time, into shared buffers reused once the runs given
  // them have ended (shared-input.ts: cheaper than keeping new memory per sample, and they cross to the session thread
  // without a copy); decoded images and synthetic samples are kept (CACHE_BYTES) and made once.
  const pool = new SharedBufferPool();
  const load = (ref: SampleRef | number): Loaded => {
    if (typeof ref === 'number') return { tensors: syntheticSample(inputs, req.bindings, seededRandom(req.seed * 1_000_003 + ref)), done: () => undefined, reread: false };
    if (!isNpySample(ref)) return { tensors: loadSample(ref, inputs, dataDir, split?.preprocess), done: () => undefined, reread: false };
    const taken: ArrayBufferLike[] = [];
    const tensors = loadSample(ref, inputs, dataDir, split?.preprocess, (size) => {
      const b = pool.take(size);
      taken.push(b.buffer);
      return b;
    });
    return { tensors, done: () => taken.splice(0).forEach((b) => pool.give(b)), reread: true };
  };
  const cache = new Map<number, InputTensor[]>();
  let cached = 0;
  /** Evaluation sample i as feeds; `done` once every run given them has ended. */
  const evalSample = (i: number): { feeds: Feeds; done: () => void } => {
    const ref = evaluationRefs[i];
    const hit = cache.get(i);
    if (hit) return { feeds: toFeeds(hit), done: () => undefined };
    const { tensors, done, reread } = load(ref);
    if (!reread) {
      const size = tensors.reduce((a, x) => a + x.data.byteLength, 0);
      if (cached + size <= CACHE_BYTES) {
        cache.set(i, tensors);
        cached += size;
      }
    }
    return { feeds: toFeeds(tensors), done };
  };
  /** Runs `f` on evaluation sample i's feeds and hands the sample back when it has ended, however it ends. */
  const withSample = async <T>(i: number, f: (feeds: Feeds) => Promise<T>): Promise<T> => {
    const { feeds, done } = evalSample(i);
    try {
      return await f(feeds);
    } finally {
      done();
    }
  };
  const runFailed = (what: string, ref: SampleRef | number, e: unknown): VerifyError => {
    const sample = typeof ref === 'number' ? `synthetic sample ${ref}` : ref.id;
    return new VerifyError(`onnxruntime could not run ${what} on ${sample}: ${String((e as Error).message).split('\n')[0]}${typeof ref === 'number' && Object.keys(req.bindings).length === 0 ? ' (symbolic dimensions were bound to 1; give --bind NAME=N or --data)' : ''}`);
  };
  const run = async (s: Session, feeds: Feeds, what: string, ref: SampleRef | number, fetches?: string[]): Promise<TensorValues> => {
    try {
      return await (fetches ? s.run(feeds, fetches) : s.run(feeds));
    } catch (e) {
      // A session that failed to open on the session thread (whenOpen) fails its first run with the reason.
      if (e instanceof VerifyError) throw e;
      throw runFailed(what, ref, e);
    }
  };

  // The original's outputs on the evaluation samples, kept for the evaluation of every variant while they fit.
  const outputNames = original.outputNames;
  const originalOutputs = new Map<number, Map<string, ArrayLike<number>>>();
  let originalOutputBytes = 0;
  let classifier: { name: string; classes: number } | null = null;
  /** The original's outputs on sample i, kept for later variants while they fit in the cache. */
  const originalValues = (i: number, out: TensorValues): Map<string, ArrayLike<number>> => {
    const values = new Map(outputNames.map((n) => [n, numbers(out[n])]));
    if (i === 0 && !classifier && !req.notClassifier) {
      const first = outputNames.find((n) => out[n].type.startsWith('float') && classCount(out[n].dims as number[]) !== null);
      if (first) classifier = { name: first, classes: classCount(out[first].dims as number[])! };
    }
    const size = [...values.values()].reduce((a, v) => a + v.length * 8, 0);
    if (originalOutputBytes + size <= CACHE_BYTES) {
      originalOutputs.set(i, values);
      originalOutputBytes += size;
    }
    return values;
  };
  // The session thread is idle while this thread prepares calibration and writes the compressed model: it runs the
  // original on the first evaluation samples then (they do not depend on calibration), each run only when nothing
  // else waits there. The evaluation drops those not started by then and runs them as usual. A .npy sample is read
  // by the session thread itself (this thread is busy then, and nothing has to be held or handed over for it).
  const early = new Map<number, Promise<Map<string, ArrayLike<number>> | null>>();
  const earlyDone = new Set<number>();
  void originalThere?.then((there) => {
    try {
      for (let i = 0, size = 0; i < Math.min(EARLY_RUNS, evaluationRefs.length) && size <= EARLY_BYTES; i++) {
        const ref = evaluationRefs[i];
        let sent: Promise<TensorValues | null>;
        let done = (): void => undefined;
        if (typeof ref !== 'number' && isNpySample(ref) && there.runNpyWhenIdle) sent = there.runNpyWhenIdle({ ref, inputs, dataDir });
        else {
          const sample = evalSample(i);
          size += Object.values(sample.feeds).reduce((a, t) => a + (t.data as ArrayBufferView).byteLength, 0);
          done = sample.done;
          sent = there.runWhenIdle!(sample.feeds);
        }
        const p = sent.then(
          (out) => out && originalValues(i, out),
          (e: unknown) => Promise.reject(runFailed('the original model', ref, e)),
        );
        p.catch(() => undefined).finally(() => {
          done();
          earlyDone.add(i);
        });
        early.set(i, p);
      }
    } catch {
      // A sample that cannot be read: the evaluation reports it in its turn.
    }
  }, () => undefined);

  // Element types of every tensor: the original with all its tensors exposed as outputs, as onnxruntime types them
  // on loading. For static INT8, the ranges of the activations it will quantize over the calibration samples: for
  // min/max calibration, samples run a copy that computes only their minimum and maximum (withRangeOutputs) — every
  // sample when the tensors' shapes are static, else every sample after the first, which reads the tensors whole (as
  // every sample does for histograms). Each of those samples runs on whichever thread (this one or the session
  // thread) is free next, and they are observed in sample order, so the ranges are those of running them one by one.
  const tensors = computedTensors(bytes, file);
  const computed = new Set(tensors);
  const dtypes = new Map(inputs.map((i) => [i.name, i.type]));
  const ranges = new Map<string, TensorRange>();
  const histograms = req.calibration !== 'minmax';
  const observe = (name: string, values: ArrayLike<number>): void => {
    let r = ranges.get(name);
    if (!r) ranges.set(name, (r = new TensorRange(histograms)));
    r.add(values);
  };
  const exposed = withOutputs(bytes, file, tensors);
  const exposedWhat = 'the original with its intermediate tensors exposed';
  const total = calibrationRefs.length;
  // Without calibration, and for min / max calibration over several samples, the types and shapes onnxruntime infers
  // on loading are all that is needed (an unoptimised session, never run): when every tensor to calibrate has a static
  // shape, all samples run the copy that computes only their minimum and maximum. Otherwise (and for histograms) the
  // first sample reads them whole.
  const rangesOnly = total > 1 && !histograms;
  let tap = await sessions.open(exposed, exposedWhat, 'here', total > 0 && !rangesOnly ? 'fast' : 'metadata');
  const shapes = new Map<string, readonly (number | string)[]>();
  for (const m of tap.outputMetadata) {
    if (!m.isTensor) continue;
    dtypes.set(m.name, m.type);
    if (m.shape) shapes.set(m.name, m.shape);
  }
  const model = readOnnxModel(bytes, file);
  const needed = calibrationRefs.length ? planQdq({ model, facts: graphFacts(model), dtypes, keepFloat: new Set() }).toQuantize : new Set<string>();
  const fetched = tap.outputNames.filter((n) => needed.has(n));
  let reduced: Map<string, [string | null, string]> | null = null;
  const observeSample = (sample: InputTensor[], out: TensorValues | null): void => {
    for (const t of sample) if (t.type === 'float32') observe(t.name, t.data as Float32Array);
    if (!out) return;
    // A tensor that cannot be negative reports only its maximum; 0 stands for its minimum (ranges include 0).
    if (reduced) for (const [name, [lo, hi]] of reduced) observe(name, [lo ? (out[lo].data as Float32Array)[0] : 0, (out[hi].data as Float32Array)[0]]);
    else for (const name of fetched) if (out[name].type === 'float32') observe(name, out[name].data as Float32Array);
  };
  /** The float tensors to calibrate with their ranks, when every one has a static shape with elements. */
  const staticFloats = (): Map<string, number> | null => {
    const ranks = new Map<string, number>();
    for (const n of fetched) {
      if (!computed.has(n) || dtypes.get(n) !== 'float32') continue;
      const shape = shapes.get(n);
      if (!shape || !shape.every((d) => typeof d === 'number' && d > 0)) return null;
      ranks.set(n, shape.length);
    }
    return ranks.size ? ranks : null;
  };
  let taps: Pair | null = null;
  let first: Loaded | null = null;
  const staticRanks = rangesOnly ? staticFloats() : null;
  if (staticRanks) {
    await tap.release();
    const augmented = withRangeOutputs(bytes, file, [...staticRanks.keys()], staticRanks);
    reduced = augmented.outputs;
    taps = await sessions.pair(augmented.bytes, 'the original with min / max of its tensors');
  } else if (total > 0) {
    if (rangesOnly) {
      // A dynamic shape: the first sample runs the original with its tensors exposed, at full optimisation.
      await tap.release();
      tap = await sessions.open(exposed, exposedWhat, 'here');
    }
    first = load(calibrationRefs[0]);
    const out = fetched.length ? await run(tap, toFeeds(first.tensors), 'the original model', calibrationRefs[0], fetched) : null;
    observeSample(first.tensors, out);
    first.done();
    progress('calibrating', 1, total);
    if (out && total > 1) {
      const floats = fetched.filter((n) => computed.has(n) && out[n].type === 'float32' && out[n].dims.reduce((a, b) => a * b, 1) > 0);
      if (!histograms && floats.length) {
        await tap.release();
        const augmented = withRangeOutputs(bytes, file, floats, new Map(floats.map((n) => [n, out[n].dims.length])));
        reduced = augmented.outputs;
        const what = 'the original with min / max of its tensors';
        taps = await sessions.pair(augmented.bytes, what);
      } else if (sessions.twoThreads) {
        const there = await sessions.open(exposed, exposedWhat, 'thread');
        taps = pairWith(tap, there);
      } else taps = { here: tap, there: tap, release: () => tap.release() };
    }
  }
  if (!taps && !staticRanks) await tap.release();
  const fetch = reduced ? undefined : fetched;
  // The other samples (all of them when the first did not run above) on both threads, observed in sample order.
  const done = first ? 1 : 0;
  // A sample's buffers go back once it is observed (its inputs' ranges are read then).
  const calibrationJobs = calibrationRefs.slice(done).map((ref) => async (side: Side) => {
    const sample = load(ref);
    try {
      return { sample, out: taps ? await run(taps[side], toFeeds(sample.tensors), 'the original model', ref, fetch) : null };
    } catch (e) {
      sample.done();
      throw e;
    }
  });
  await runInOrder(calibrationJobs, taps !== null && sessions.twoThreads, (k, { sample, out }) => {
    observeSample(sample.tensors, out);
    sample.done();
    progress('calibrating', k + done + 1, total);
  });
  await taps?.release();

  const compress = (keepFloat: Set<string>, form: 'deployed' | 'reference' = 'deployed'): WriterOutput & { bytes: Buffer } =>
    compressModel(bytes, file, req.technique, {
      form,
      dtypes,
      keepFloat,
      ranges: new Map([...ranges].map(([k, r]) => [k, calibratedRange(r, req.calibration)])),
      activationType: req.activationType,
      blockSize: req.blockSize,
    });
  progress('writing the compressed model', 0, 1);
  const full = compress(new Set());
  notes.push(...full.notes);
  if (full.layers.length === 0) throw new VerifyError(`${req.technique} changes nothing in this model (${full.notes.join('; ') || 'no layer it applies to'})`);

  // Evaluation: both models on the same samples, each run on whichever thread (this one or the session thread) is free
  // next, one intra-op thread each; each thread has both models.
  const originals: Pair = originalThere ? pairWith(await sessions.open(file, path.basename(file), 'here'), await originalThere) : { here: original, there: original, release: async () => undefined };
  const originalTimes: number[] = [];
  const classOf = new Map<number, number[]>();

  /**
   * Runs a compressed variant against the original on every evaluation sample. `exact` (on both threads)
   * computes the compressed model's own arithmetic; `timed` is the file as onnxruntime runs it here, with its
   * default threads and nothing else running, timed on the first LATENCY_SAMPLES samples (the original too, the
   * first time, alternating with it) and, where `compareKernels`, compared with the exact outputs.
   */
  const measure = async (exact: Pair, timed: Session, phase: string, compareKernels: boolean): Promise<VariantMeasure> => {
    const fidelity = new Map(outputNames.map((n) => [n, new Fidelity()]));
    const kernel = new Map(outputNames.map((n) => [n, new Fidelity()]));
    const times: number[] = [];
    const outcomes: PairedOutcome[] = [];
    const exactOutputs = new Map<number, TensorValues>();
    let top1 = 0;
    let top5 = 0;
    const compressedWhat = `the ${req.technique} model`;
    // Every sample: the original (unless an earlier variant ran it) then the compressed model, on both threads,
    // observed in sample order.
    // Early runs of the original not started yet are dropped and run again on whichever thread is free; the one under
    // way takes its place.
    type Outputs = Map<string, ArrayLike<number>> | TensorValues;
    if (early.size) await thread.dropIdle();
    const runOriginal = async (i: number, side: Side): Promise<Map<string, ArrayLike<number>>> => originalValues(i, await withSample(i, (feeds) => run(originals[side], feeds, 'the original model', evaluationRefs[i])));
    const jobs: Job<Outputs>[] = evaluationRefs.flatMap((ref, i): Job<Outputs>[] => {
      const underway = earlyDone.has(i) ? undefined : early.get(i);
      return [
        originalOutputs.has(i) ? Promise.resolve(originalOutputs.get(i)!) : underway ? (side: Side) => underway.then((v) => v ?? runOriginal(i, side)) : (side: Side) => runOriginal(i, side),
        (side: Side) => withSample(i, (feeds) => run(exact[side], feeds, compressedWhat, ref)),
      ];
    });
    early.clear();
    let orig = new Map<string, ArrayLike<number>>();
    await runInOrder(jobs, sessions.twoThreads, (job, outputs) => {
      const i = job >> 1;
      if (job % 2 === 0) {
        orig = outputs as Map<string, ArrayLike<number>>;
        return;
      }
      const comp = outputs as TensorValues;
      const ref = evaluationRefs[i];
      if (compareKernels && i < LATENCY_SAMPLES) exactOutputs.set(i, comp);
      for (const n of outputNames) fidelity.get(n)!.add(orig.get(n)!, numbers(comp[n]));
      if (classifier) {
        const c = classifier as { name: string; classes: number };
        let o = classOf.get(i);
        if (!o) classOf.set(i, (o = topK(orig.get(c.name)!, 5)));
        const k = topK(numbers(comp[c.name]), 5);
        if (k[0] === o[0]) top1++;
        if (k.includes(o[0])) top5++;
        if (typeof ref !== 'number' && ref.label !== undefined) {
          if (ref.label >= c.classes) throw new DataError(ref.id, `label ${ref.label}${split?.classes ? ` ("${split.classes[ref.label]}")` : ''} is not a class of the model: its output "${c.name}" has ${c.classes} classes`);
          outcomes.push({ originalCorrect: o[0] === ref.label, compressedCorrect: k[0] === ref.label, group: ref.group });
        }
      }
      progress(phase, i + 1, evaluationRefs.length);
    });
    const timeOriginal = originalTimes.length === 0;
    const timedCount = Math.min(LATENCY_SAMPLES, evaluationRefs.length);
    const timingInputs = new OwnedInputs();
    for (let i = 0; i < timedCount; i++) {
      const ref = evaluationRefs[i];
      const sample = evalSample(i);
      // Out of shared memory before the clock starts: the copy a run makes of a shared input is not the model's time.
      const feeds: Feeds = runnableFeeds(ort, sample.feeds, timingInputs);
      sample.done();
      const clock = async (s: Session, what: string, into: number[]): Promise<TensorValues> => {
        const t0 = process.hrtime.bigint();
        const out = await run(s, feeds, what, ref);
        into.push(Number(process.hrtime.bigint() - t0) / 1e6);
        return out;
      };
      // Alternate which model runs first, so neither always runs on a warmer cache.
      if (timeOriginal && i % 2 === 0) await clock(original, 'the original model', originalTimes);
      const fast = await clock(timed, `the ${req.technique} model as onnxruntime runs it here`, times);
      if (timeOriginal && i % 2 === 1) await clock(original, 'the original model', originalTimes);
      if (compareKernels) for (const n of outputNames) kernel.get(n)!.add(numbers(exactOutputs.get(i)![n]), numbers(fast[n]));
      progress(`${phase}: timing on this machine`, i + 1, timedCount);
    }
    const n = evaluationRefs.length;
    const labelled = outcomes.length > 0;
    if (split?.labels && !classifier) throw new VerifyError(`the data has labels, but no output of the model is classifier-like (${req.notClassifier ?? `one dimension of 2 or more classes: outputs ${outputNames.join(', ')}`})`);
    const kernelLoss = compareKernels ? outputNames.map((name) => ({ name, sqnrDb: kernel.get(name)!.sqnrDb })).filter((k): k is VariantMeasure['kernelDeviation'][number] => k.sqnrDb !== 'identical') : [];
    return {
      outputs: outputNames.map((name) => {
        const f = fidelity.get(name)!;
        return { name, cosine: f.cosine, sqnrDb: f.sqnrDb, maxAbsError: f.maxAbsError };
      }),
      top1Agreement: classifier ? top1 / n : null,
      top5Agreement: classifier ? top5 / n : null,
      accuracy: labelled ? accuracyOf(outcomes) : null,
      groups: groupsOf(labelled ? outcomes : []),
      latencyMs: latency(times),
      kernelDeviation: kernelLoss,
    };
  };
  // Accuracy from the compressed model's exact arithmetic, which correct int8 hardware computes — static INT8: its
  // unsigned twin (int8-twin.ts: the same integers, in onnxruntime's exactly accumulating uint8 x uint8 kernels) or,
  // where no twin can be made, the QDQ file without int8 kernel fusion (QuantizeLinear / DequantizeLinear in float);
  // dynamic INT8: its float-arithmetic twin; FP16: float16 between every op — latency from the file as onnxruntime
  // runs it on this machine.
  const exactMode = req.technique === 'fp16' ? 'exact-fp16' : req.technique === 'int4-weight-only' ? 'fast' : 'exact-int8';
  const compareKernels = exactMode !== 'fast';
  let twinNoted = false;
  /** Static INT8 variants: the float layers onnxruntime would quantize anyway (ort-float-layers.ts), for the note. */
  const ortQuantized = new Map<WriterOutput, string[]>();
  /**
   * The unsigned twin of a static INT8 file, or null (then the file runs with fusion off): a twin that cannot be made
   * is no failure. Reads the file once for the twin and for the layers onnxruntime would quantize.
   */
  const twinOf = (deployed: WriterOutput & { bytes: Buffer }): Buffer | null => {
    try {
      const model = readOnnxModel(deployed.bytes, file);
      ortQuantized.set(deployed, layersOrtQuantizes(model));
      return unsignedTwin(model);
    } catch {
      return null;
    }
  };
  const exactOf = (deployed: WriterOutput & { bytes: Buffer }, keep: Set<string>): { bytes: Buffer; mode: Mode; what: string; without?: string[] } => {
    if (req.technique === 'int8-dynamic') return { bytes: compress(keep, 'reference').bytes, mode: exactMode, what: ' (float-arithmetic twin)' };
    const twin = req.technique === 'int8-ptq' ? twinOf(deployed) : null;
    if (twin && !twinNoted) {
      twinNoted = true;
      notes.push(
        'accuracy and fidelity of the int8 model: its integer arithmetic, run here by onnxruntime\'s uint8 x uint8 kernels (int32 accumulation, no saturation) on an unsigned twin of the file' +
          ' (every int8 tensor + 128 as uint8, zero points with them: the same integers). Recomputing the file with its QuantizeLinear / DequantizeLinear in float (onnxruntime at basic optimisation)' +
          ' gives the same figures up to samples where a requantisation rounds the other way',
      );
    }
    // The twin's float layers stay float: onnxruntime would quantize those between DequantizeLinear and QuantizeLinear.
    return twin ? { bytes: twin, mode: 'fast', what: ' (unsigned twin)', without: [WEIGHT_BIAS_QUANTIZATION] } : { bytes: deployed.bytes, mode: exactMode, what: '' };
  };
  let nchwcNoted = false;
  const openVariant = async (deployed: WriterOutput & { bytes: Buffer }, keep: Set<string>, what: string): Promise<{ exact: Pair; timed: Session; release: () => Promise<void> }> => {
    const x = exactOf(deployed, keep);
    const without = optimizersToAvoid(!!deployed.halfTransposes);
    if (without.length && !req.withoutOptimizers?.length && !nchwcNoted) {
      nchwcNoted = true;
      notes.push(nchwcNote(`the ${req.technique} file (${deployed.halfTransposes} float16 Transposes; a valid float16 model) as onnxruntime runs it here`));
    }
    const [exact, timed] = await Promise.all([sessions.pair(x.bytes, `${what}${x.what}`, x.mode, x.without), sessions.open(deployed.bytes, `${what} (as onnxruntime runs it here)`, 'timing', 'fast', without)]);
    return { exact, timed, release: async () => void (await Promise.all([exact.release(), timed.release()])) };
  };
  // The layers compared one by one: exposing a tensor as an output keeps onnxruntime from fusing the nodes around it,
  // so static INT8's layers are compared with QuantizeLinear / DequantizeLinear computed in float throughout.
  const fullExact = req.technique === 'int8-dynamic' ? compress(new Set(), 'reference').bytes : full.bytes;
  const fullSessions = await openVariant(full, new Set(), `the ${req.technique} model`);
  const fullMeasure = await measure(fullSessions.exact, fullSessions.timed, 'evaluating', compareKernels);
  await fullSessions.release();
  kernelNote(req.technique, fullMeasure, notes);
  if (req.notClassifier) notes.push(`no top-1 / top-5 agreement: ${req.notClassifier}, so no output is read as class scores; the fidelity of each output above is the measure`);

  // Sensitivity: the changed layers' activations in both models, on the first evaluation samples.
  const sensitivityCount = Math.min(req.sensitivitySamples, evaluationRefs.length);
  let sensitiveLayers: LayerSensitivity[] = [];
  if (sensitivityCount > 0) {
    const pairs = pairsOf(full.layers);
    const computedCompressed = new Set(computedTensors(fullExact, file));
    const [a, b] = await Promise.all([
      sessions.open(withOutputs(bytes, file, pairs.map((p) => p.original).filter((n) => computed.has(n))), 'the original with layer outputs exposed', 'here'),
      sessions.open(withOutputs(fullExact, file, pairs.map((p) => p.compressed).filter((n) => computedCompressed.has(n))), 'the compressed model with layer outputs exposed', 'thread', exactMode),
    ]);
    const fid = new Map(pairs.map((p) => [pairKey(p), new Fidelity()]));
    // The compressed model (on the session thread) runs the next sample while this thread compares the last one.
    const compressedRun = (i: number): { feeds: Feeds; done: () => void; outputs: Promise<TensorValues> } => {
      const { feeds, done } = evalSample(i);
      const outputs = run(b, feeds, `the ${req.technique} model`, evaluationRefs[i]);
      outputs.catch(() => undefined);
      return { feeds, done, outputs };
    };
    let next = compressedRun(0);
    for (let i = 0; i < sensitivityCount; i++) {
      const { feeds, done, outputs } = next;
      const oa = await run(a, feeds, 'the original model', evaluationRefs[i]);
      const ob = await outputs;
      if (i + 1 < sensitivityCount) next = compressedRun(i + 1);
      for (const p of pairs) {
        const x = oa[p.original] ?? feeds[p.original];
        const y = ob[p.compressed] ?? feeds[p.compressed];
        if (x && y) fid.get(pairKey(p))!.add(numbers(x), numbers(y));
      }
      done();
      progress('comparing layers', i + 1, sensitivityCount);
    }
    await Promise.all([a.release(), b.release()]);
    const ranking = rankLayers(full.layers, fid);
    sensitiveLayers = ranking.layers;
    const unranked = notComparedNote(ranking.notCompared);
    if (unranked) notes.push(unranked);
  }

  // Mixed precision: the most sensitive layers kept in float, re-measured.
  let mixed: VerifyRunResult['mixed'] = null;
  let chosen = full;
  if (req.keepFloat !== 0 && sensitiveLayers.length) {
    const accept = (m: VariantMeasure): boolean =>
      m.accuracy ? m.accuracy.drop <= req.accuracyBudget : m.top1Agreement !== null ? m.top1Agreement >= 0.99 : m.outputs.every((o) => sqnrAtLeast(o.sqnrDb, 30));
    const criterion = fullMeasure.accuracy
      ? `accuracy drop <= ${(req.accuracyBudget * 100).toFixed(2)} points`
      : fullMeasure.top1Agreement !== null ? 'top-1 agreement >= 99 %' : 'every output SQNR >= 30 dB';
    const counts = req.keepFloat === 'auto' ? autoCounts(sensitiveLayers.length) : [Math.min(req.keepFloat, sensitiveLayers.length)];
    if (req.keepFloat === 'auto' && accept(fullMeasure)) notes.push(`keep-float auto: the fully compressed model already meets "${criterion}"; no layer kept in float`);
    else {
      for (const k of counts) {
        const keep = new Set(sensitiveLayers.slice(0, k).map((l) => l.name));
        const variant = compress(keep);
        const v = await openVariant(variant, keep, `the ${req.technique} model with ${k} layer(s) in float`);
        const m = await measure(v.exact, v.timed, `mixed precision: ${k} layer(s) in float`, compareKernels);
        await v.release();
        mixed = { ...m, floatLayers: variant.floatLayers, criterion: req.keepFloat === 'auto' ? criterion : `the ${k} most sensitive layer(s), as asked` };
        chosen = variant;
        if (req.keepFloat !== 'auto' || accept(m)) break;
      }
      if (req.keepFloat === 'auto' && mixed && !accept(mixed)) notes.push(`keep-float auto: even ${mixed.floatLayers.length} float layer(s) miss "${criterion}"; the last variant tried is written`);
    }
  }

  await Promise.all([original.release(), originals.release()]);
  const quantizedAnyway = ortQuantized.get(chosen) ?? [];
  if (quantizedAnyway.length) notes.push(ortQuantizesNote(quantizedAnyway));
  fs.writeFileSync(path.join(req.workDir, req.outName), chosen.bytes);
  // Which files calibrated and which evaluated (synthetic samples are reproducible from the seed instead).
  const refNames = (refs: (SampleRef | number)[]): string[] => refs.flatMap((r) => (typeof r === 'number' ? [] : [r.id]));
  return {
    runtimeVersion: ort.env.versions?.node ?? 'unknown',
    data: {
      source: split ? split.source : 'synthetic',
      calibrationSamples: calibrationRefs.length,
      evaluationSamples: evaluationRefs.length,
      found: split ? split.found : null,
      sampled: split?.sampled ?? false,
      labels: split?.labels ?? null,
      classes: split?.classes,
      preprocess: split?.preprocess,
      calibrationFiles: refNames(calibrationRefs),
      evaluationFiles: refNames(evaluationRefs),
      seed: req.seed,
      notes: split?.notes ?? [],
    },
    classifierOutput: classifier,
    original: { latencyMs: latency(originalTimes) },
    full: { ...fullMeasure, floatLayers: full.floatLayers },
    mixed,
    sensitiveLayers,
    sensitivitySamples: sensitivityCount,
    notes,
  };
}

/** How far the file as onnxruntime runs it here is from the model's exact arithmetic, when it matters. */
function kernelNote(technique: VerifyRequest['technique'], m: VariantMeasure, notes: string[]): void {
  const worst = m.kernelDeviation.reduce<VariantMeasure['kernelDeviation'][number] | null>((w, k) => (!w || sqnrOrder(k.sqnrDb) < sqnrOrder(w.sqnrDb) ? k : w), null);
  const exact = worst ? m.outputs.find((o) => o.name === worst.name)?.sqnrDb ?? 'identical' : 'identical';
  if (!worst || (exact !== 'identical' && sqnrOrder(worst.sqnrDb) > sqnrOrder(exact) + 10)) return;
  const against = `${formatSqnr(worst.sqnrDb)} SQNR`;
  if (technique === 'fp16') {
    notes.push(
      `onnxruntime on this CPU computes the float16 ops in float32 (it has float16 kernels for few ops here and, at full optimisation, drops the Casts it inserts), so the file as timed is not float16 arithmetic:` +
        ` output "${worst.name}" at ${against} against it. Accuracy and fidelity above are float16 arithmetic (every tensor between ops in float16), as a float16 GPU or NPU computes`,
    );
    return;
  }
  notes.push(
    `this machine's onnxruntime int8 kernels (as timed) differ from the model's exact integer arithmetic: output "${worst.name}" at ${against} against it` +
      ` (onnxruntime's quantization docs: on x86 CPUs with AVX2 / AVX-512 but no VNNI its u8 x s8 kernels use VPMADDUBSW, whose 16-bit sums can saturate;` +
      ` reduce_range or U8U8 avoid it). Accuracy and fidelity above are the model's integer arithmetic without that saturation, as int8 kernels on ARM, NPUs and VNNI CPUs compute it`,
  );
}

/** keep-float auto tries 1, 2, 4 ... layers, up to a quarter of the changed layers (at least 1). */
function autoCounts(layers: number): number[] {
  const max = Math.max(1, Math.ceil(layers / 4));
  const out: number[] = [];
  for (let k = 1; k < max; k *= 2) out.push(k);
  out.push(max);
  return [...new Set(out)];
}
