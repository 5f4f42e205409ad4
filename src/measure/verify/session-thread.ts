/**
 * A second thread for onnxruntime sessions inside the measurement child. onnxruntime-node's `run` computes on the
 * thread that calls it, so one thread runs one model at a time; verify needs two models on every sample (the
 * original and the compressed one), and on a 2-core machine running them at the same time, one intra-op thread each,
 * beats running them one after the other with two threads each (small ops do not split well across threads).
 *
 * The thread is a worker_threads Worker running the measurement child's own bundle (measure-worker.js; `serve`
 * below is its entry there). Models go to it as a path or as bytes, tensors cross as typed arrays (copied, except
 * samples in shared memory: shared-input.ts), and a
 * session there is used through the same `VerifySession` interface as a session on the main thread, so the caller
 * chooses where a session lives and nothing else changes. The thread dies with the child process (cancel, time
 * limit) and is terminated when verify ends.
 */
import { Worker, isMainThread, parentPort, receiveMessageOnPort, workerData } from 'worker_threads';
import type * as OrtModule from 'onnxruntime-node';
import { OwnedInputs, isShared } from './shared-input';
import { isNpySample, loadSample, type ModelInput, type SampleRef } from './data/dataset';

type Ort = typeof OrtModule;

/** A tensor as verify reads it: an onnxruntime Tensor on the main thread, a plain copy from the session thread. */
export interface TensorValue {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

export type TensorValues = Record<string, TensorValue>;

/** What verify needs of a session, wherever it lives. */
export interface VerifySession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly OrtModule.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly OrtModule.InferenceSession.ValueMetadata[];
  run(feeds: Record<string, TensorValue>, fetches?: string[]): Promise<TensorValues>;
  /**
   * Session thread only: a run done when the thread has nothing else to do (after every `run` sent before and
   * meanwhile); null when dropped (SessionThread.dropIdle) before it started.
   */
  runWhenIdle?(feeds: Record<string, TensorValue>): Promise<TensorValues | null>;
  /**
   * Session thread only: as runWhenIdle, on a .npy sample the thread reads itself (into memory of its own, reused), so
   * this thread neither reads it nor hands it over; null also when the sample cannot be read there (whoever runs it
   * next reads it and reports why).
   */
  runNpyWhenIdle?(sample: NpySample): Promise<TensorValues | null>;
  release(): Promise<void>;
}

/** Feeds onnxruntime accepts: inputs in shared memory copied into `owned` (shared-input.ts), the others as they are. */
export function runnableFeeds(ort: Ort, feeds: Record<string, TensorValue>, owned: OwnedInputs): OrtModule.InferenceSession.FeedsType {
  return Object.fromEntries(
    Object.entries(feeds).map(([k, t]) => [k, t instanceof ort.Tensor && !isShared(t.data) ? t : new ort.Tensor(t.type as 'float32', owned.own(k, t.data) as Float32Array, t.dims)]),
  );
}

/**
 * A session on the calling thread. Its own input buffer (shared inputs copied out, shared-input.ts) is reused only
 * when none of its runs is under way: onnxruntime-node starts a run after `run` returns, so a second run sent before
 * the first ended gets a buffer of its own.
 */
export function localSession(ort: Ort, s: OrtModule.InferenceSession): VerifySession {
  const owned = new OwnedInputs();
  let running = 0;
  const run = async (feeds: Record<string, TensorValue>, fetches?: string[]): Promise<TensorValues> => {
    const f = runnableFeeds(ort, feeds, running ? new OwnedInputs() : owned);
    running++;
    try {
      return await (fetches ? s.run(f, fetches) : s.run(f));
    } finally {
      running--;
    }
  };
  return { inputNames: s.inputNames, outputNames: s.outputNames, inputMetadata: s.inputMetadata, outputMetadata: s.outputMetadata, run, release: () => s.release() };
}

const ROLE = 'edgeplan-verify-sessions';

/** A .npy sample as the session thread reads it (dataset.ts loadSample). */
export interface NpySample {
  ref: SampleRef;
  inputs: ModelInput[];
  dataDir: string;
}

type Request =
  | { id: number; op: 'open'; source: string | Uint8Array; options: OrtModule.InferenceSession.SessionOptions }
  | { id: number; op: 'run'; session: number; feeds: Record<string, TensorValue>; fetches?: string[]; idle?: boolean }
  | { id: number; op: 'run-npy'; session: number; sample: NpySample; idle: true }
  | { id: number; op: 'drop-idle' }
  | { id: number; op: 'release'; session: number };

interface Opened {
  session: number;
  inputNames: string[];
  outputNames: string[];
  inputMetadata: OrtModule.InferenceSession.ValueMetadata[];
  outputMetadata: OrtModule.InferenceSession.ValueMetadata[];
}

/** A request before it is numbered. */
type Unnumbered = Request extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

type Reply = { id: number; ok: true; value: Opened | TensorValues | null } | { id: number; ok: false; message: string };

const plain = (t: TensorValue): TensorValue => ({ type: t.type, dims: [...t.dims], data: t.data });
/** The distinct ArrayBuffers behind output tensors (string tensors have none). */
function outputBuffers(values: TensorValues): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of Object.values(values)) {
    const b = (t.data as ArrayBufferView).buffer;
    if (b instanceof ArrayBuffer) buffers.add(b);
  }
  return [...buffers];
}
const plainFeeds = (feeds: Record<string, TensorValue>): Record<string, TensorValue> => Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, plain(t)]));

/** The main thread's handle on the session thread, which starts with the first session opened there. */
export class SessionThread {
  private worker: Worker | null = null;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (v: Reply) => void }>();
  private readonly inFlight = new Set<Promise<Reply>>();
  private failure: string | null = null;

  /** `script`: the measurement child's bundle, whose entry serves sessions when started as this thread. */
  constructor(private readonly script: string) {}

  /** Starts the thread now, so that it loads onnxruntime while this thread works (else it starts with the first session opened there). */
  start(): Worker {
    if (this.worker) return this.worker;
    this.worker = new Worker(this.script, { workerData: { role: ROLE } });
    this.worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r);
    });
    const fail = (message: string): void => {
      this.failure = message;
      for (const p of this.pending.values()) p.resolve({ id: -1, ok: false, message });
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(`the session thread failed: ${String(e?.message ?? e).split('\n')[0]}`));
    this.worker.on('exit', (code) => fail(`the session thread stopped (exit code ${code})`));
    return this.worker;
  }

  private call(req: Unnumbered): Promise<Reply> {
    if (this.failure) return Promise.resolve({ id: -1, ok: false, message: this.failure });
    const worker = this.start();
    const id = this.next++;
    const reply = new Promise<Reply>((resolve) => {
      this.pending.set(id, { resolve });
      worker.postMessage({ ...req, id });
    });
    this.inFlight.add(reply);
    void reply.then(() => this.inFlight.delete(reply));
    return reply;
  }

  private async value<T>(req: Unnumbered): Promise<T> {
    const r = await this.call(req);
    if (!r.ok) throw new Error(r.message);
    return r.value as T;
  }

  async open(source: string | Uint8Array, options: OrtModule.InferenceSession.SessionOptions): Promise<VerifySession> {
    const o = await this.value<Opened>({ op: 'open', source, options });
    return {
      inputNames: o.inputNames,
      outputNames: o.outputNames,
      inputMetadata: o.inputMetadata,
      outputMetadata: o.outputMetadata,
      run: (feeds, fetches) => this.value<TensorValues>({ op: 'run', session: o.session, feeds: plainFeeds(feeds), fetches }),
      runWhenIdle: (feeds) => this.value<TensorValues | null>({ op: 'run', session: o.session, feeds: plainFeeds(feeds), idle: true }),
      runNpyWhenIdle: (sample) => this.value<TensorValues | null>({ op: 'run-npy', session: o.session, sample, idle: true }),
      release: async () => {
        await this.value<null>({ op: 'release', session: o.session });
      },
    };
  }

  /** Drops the runs waiting for the thread to be idle (they resolve null); the one under way finishes. */
  async dropIdle(): Promise<void> {
    if (this.worker) await this.value<null>({ op: 'drop-idle' });
  }

  /**
   * Refuses further work, drops the idle runs and lets the requests under way finish (a thread terminated inside
   * onnxruntime can abort the process), then ends the thread.
   */
  async close(): Promise<void> {
    if (this.worker && !this.failure) await this.dropIdle().catch(() => undefined);
    this.failure ??= 'the session thread was closed';
    if (!this.worker) return;
    await Promise.all(this.inFlight);
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** True in the session thread: the bundle's entry calls `serve` instead of its own main. */
export function isSessionThread(): boolean {
  return !isMainThread && (workerData as { role?: string } | null)?.role === ROLE;
}

/** The session thread's loop: opens, runs and releases sessions on request, in order. */
export function serve(): void {
  const port = parentPort;
  if (!port) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort: Ort = require('onnxruntime-node');
  const sessions = new Map<number, OrtModule.InferenceSession>();
  const owned = new OwnedInputs();
  // .npy samples this thread reads itself: into one buffer, reused while files keep their size (one request at a time).
  let readBuffer = Buffer.alloc(0);
  const readInto = (size: number): Buffer => (readBuffer.length === size ? readBuffer : (readBuffer = Buffer.allocUnsafe(size)));
  let count = 0;
  // Replies to runs hand their output buffers over (transfer list) instead of copying them: this thread keeps none.
  const handle = async (m: Request): Promise<Reply | { reply: Reply; transfer: ArrayBuffer[] }> => {
    try {
      if (m.op === 'open') {
        const s = await ort.InferenceSession.create(m.source as string, m.options);
        sessions.set(count, s);
        return { id: m.id, ok: true, value: { session: count++, inputNames: [...s.inputNames], outputNames: [...s.outputNames], inputMetadata: s.inputMetadata.map((x) => ({ ...x })), outputMetadata: s.outputMetadata.map((x) => ({ ...x })) } };
      }
      if (m.op === 'drop-idle') return { id: m.id, ok: true, value: null };
      const s = sessions.get(m.session);
      if (!s) return { id: m.id, ok: false, message: `no session ${m.session} in the session thread` };
      if (m.op === 'release') {
        sessions.delete(m.session);
        await s.release();
        return { id: m.id, ok: true, value: null };
      }
      let feeds: OrtModule.InferenceSession.FeedsType;
      if (m.op === 'run-npy') {
        let tensors;
        try {
          if (!isNpySample(m.sample.ref)) throw new Error('not a .npy sample');
          tensors = loadSample(m.sample.ref, m.sample.inputs, m.sample.dataDir, undefined, readInto);
        } catch {
          return { id: m.id, ok: true, value: null };
        }
        feeds = runnableFeeds(ort, Object.fromEntries(tensors.map((t) => [t.name, t])), owned);
      } else feeds = runnableFeeds(ort, m.feeds, owned);
      const out = await (m.op === 'run' && m.fetches ? s.run(feeds, m.fetches) : s.run(feeds));
      const value = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, plain(t as TensorValue)]));
      return { reply: { id: m.id, ok: true, value }, transfer: outputBuffers(value) };
    } catch (e) {
      return { id: m.id, ok: false, message: String((e as Error)?.message ?? e) };
    }
  };
  // One request at a time, in the order they came (a run never overlaps another on this thread); idle runs only when
  // no other request waits. Before the next request is taken, every message already queued on the port is received
  // (receiveMessageOnPort: the event loop dispatches queued messages one at a time, and a busy loop can leave some
  // undispatched while idle runs finish), so a request sent with or during an idle run goes before the idle runs
  // still waiting.
  const waiting: Request[] = [];
  const idle: Request[] = [];
  let busy = false;
  const accept = (m: Request): void => {
    if (m.op === 'drop-idle') for (const d of idle.splice(0)) port.postMessage({ id: d.id, ok: true, value: null } satisfies Reply);
    ((m.op === 'run' || m.op === 'run-npy') && m.idle ? idle : waiting).push(m);
  };
  const next = async (): Promise<void> => {
    if (busy) return;
    for (let queued = receiveMessageOnPort(port); queued; queued = receiveMessageOnPort(port)) accept(queued.message as Request);
    const m = waiting.shift() ?? idle.shift();
    if (!m) return;
    busy = true;
    const r = await handle(m);
    if (!('reply' in r)) port.postMessage(r);
    else {
      try {
        port.postMessage(r.reply, r.transfer);
      } catch {
        port.postMessage(r.reply); // a buffer that cannot be handed over (not detachable) is copied instead
      }
    }
    busy = false;
    setImmediate(() => void next());
  };
  port.on('message', (m: Request) => {
    accept(m);
    setImmediate(() => void next());
  });
}
