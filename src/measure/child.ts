/**
 * Runs one request in the measurement child process (measure-worker.js): onnxruntime-node runs there, so a crash
 * or a hang in native code cannot take the caller down. The child is killed when the time limit passes, when the
 * caller cancels, and when it reports a result or an error; its stderr tail explains an unexpected exit. The child
 * in turn exits when this process goes away (parent-guard.ts), so no run outlives its caller.
 */
import { fork, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export class ChildRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChildRunError';
  }
}

function workerPath(): string {
  const candidates = [path.join(__dirname, 'measure-worker.js'), path.join(__dirname, '..', 'measure-worker.js'), path.join(__dirname, '..', '..', 'measure-worker.js')];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new ChildRunError(`the measurement worker (measure-worker.js) is missing next to ${__dirname}; run the build`);
  return found;
}

/** How long a failed send waits for the worker's exit (or the caller's cancellation) to say why. */
const SEND_FAILED_GRACE_MS = 2000;

export interface ChildRunOptions {
  /** What the run is called in messages ("the benchmark", "verification"). */
  what: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Messages other than result and error (progress). */
  onMessage?: (msg: { type: string } & Record<string, unknown>) => void;
  /** Prefix of the error a worker reports ("model.onnx: onnxruntime could not run the model"). */
  errorPrefix?: string;
}

/**
 * A measurement child started ahead of its request, so that it boots while the caller still checks its input: `run`
 * sends the request (once); `stop` kills a child that will get none.
 */
export interface StartedChild {
  run<T>(request: object, opts: ChildRunOptions): Promise<T>;
  stop(): void;
}

export function startChild(): StartedChild {
  let child: ChildProcess | null = null;
  let startError: Error | null = null;
  try {
    child = fork(workerPath(), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [], serialization: 'advanced' });
  } catch (e) {
    startError = e as Error;
  }
  // Output and errors before the request are kept for it (a child that cannot start reports so when run).
  let stderr = '';
  child?.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 10_000) stderr += d.toString();
  });
  child?.on('error', (e) => (startError ??= new ChildRunError(`the measurement worker failed to start: ${e.message}`)));
  const stop = (): void => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return {
    stop,
    run<T>(request: object, opts: ChildRunOptions): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (!child || startError) {
          stop();
          reject(startError);
          return;
        }
        const c = child;
        child = null;
        let settled = false;
        const finish = (err: Error | null, value?: T): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
          if (err) reject(err);
          else resolve(value as T);
        };
        const timer = setTimeout(() => finish(new ChildRunError(`${opts.what} did not finish within ${Math.round(opts.timeoutMs / 1000)} s and was stopped`)), opts.timeoutMs);
        const onAbort = (): void => {
          const why = opts.signal?.reason;
          finish(new ChildRunError(`${opts.what} was cancelled${typeof why === 'string' ? ` (${why})` : ''}`));
        };
        if (opts.signal?.aborted) return onAbort();
        opts.signal?.addEventListener('abort', onAbort);
        c.on('message', (msg: { type: string; result?: T; message?: string } & Record<string, unknown>) => {
          if (msg?.type === 'result') finish(null, msg.result);
          else if (msg?.type === 'error') finish(new ChildRunError(opts.errorPrefix ? `${opts.errorPrefix}: ${msg.message}` : String(msg.message)));
          else if (msg?.type) opts.onMessage?.(msg);
        });
        c.on('error', (e) => finish(new ChildRunError(`the measurement worker failed to start: ${e.message}`)));
        const exited = (code: number | null, signal: NodeJS.Signals | null): void => {
          if (!settled && opts.signal?.aborted) onAbort();
          else if (!settled) finish(new ChildRunError(`the measurement worker stopped (${signal ?? `exit code ${code}`})${stderr ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}`));
        };
        if (c.exitCode !== null || c.signalCode !== null) return exited(c.exitCode, c.signalCode);
        c.on('exit', exited);
        // A worker that went away before the request reached it (Ctrl-C reaches the whole process group, so it may
        // leave first) gives EPIPE here: its exit (or the caller's cancellation) says what happened, not the pipe.
        c.send(request, (e) => {
          if (!e) return;
          const said = `the measurement worker did not take the request: ${e.message}`;
          setTimeout(() => (opts.signal?.aborted ? onAbort() : finish(new ChildRunError(said))), SEND_FAILED_GRACE_MS).unref();
        });
      });
    },
  };
}

/** Sends `request` to a fresh worker and resolves with the `result` it replies. */
export function runInChild<T>(request: object, opts: ChildRunOptions): Promise<T> {
  return startChild().run<T>(request, opts);
}
