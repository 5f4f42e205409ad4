/**
 * Child process that runs ONNX models with onnxruntime-node for its parent (child.ts), over the IPC channel:
 * - 'run': the benchmark: warm-up, N timed runs per batch size, inputs generated from the model's input shapes
 *   and dtypes;
 * - 'verify': builds a compressed model and measures it against the original (verify/run.ts).
 * Runs in its own process so a crash or a hang in native code cannot take down the caller, and exits when the
 * parent goes away. Started as a worker thread by verify, the same bundle serves onnxruntime sessions instead
 * (verify/session-thread.ts).
 */
import type { WorkerInput, WorkerReply, WorkerRequest } from './types';
import { summarize } from './types';
import * as fs from 'fs';
import { own } from '../analyzers/safe-record';
import { withoutOptimizersExtra } from './ort-workarounds';
import { exitWithParent, onParentLoss } from './parent-guard';
import type { VerifyMessage, VerifyRequest } from './verify/protocol';
import { isSessionThread, serve } from './verify/session-thread';

type Ort = typeof import('onnxruntime-node');

const send = (m: WorkerReply): void => {
  process.send?.(m);
};

const TYPED: Record<string, { type: string; make: (n: number) => unknown }> = {
  FLOAT: { type: 'float32', make: (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5) },
  FLOAT16: { type: 'float16', make: (n) => new Uint16Array(n).fill(0x3800) },
  DOUBLE: { type: 'float64', make: (n) => Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5) },
  INT8: { type: 'int8', make: (n) => Int8Array.from({ length: n }, (_, i) => (i % 7) - 3) },
  UINT8: { type: 'uint8', make: (n) => Uint8Array.from({ length: n }, (_, i) => i % 251) },
  INT16: { type: 'int16', make: (n) => Int16Array.from({ length: n }, (_, i) => i % 7) },
  UINT16: { type: 'uint16', make: (n) => Uint16Array.from({ length: n }, (_, i) => i % 7) },
  INT32: { type: 'int32', make: (n) => Int32Array.from({ length: n }, (_, i) => i % 7) },
  UINT32: { type: 'uint32', make: (n) => Uint32Array.from({ length: n }, (_, i) => i % 7) },
  INT64: { type: 'int64', make: (n) => BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 2)) },
  UINT64: { type: 'uint64', make: (n) => BigUint64Array.from({ length: n }, (_, i) => BigInt(i % 2)) },
  BOOL: { type: 'bool', make: (n) => new Uint8Array(n).fill(1) },
};

const MAX_INPUT_ELEMENTS = 256 * 1024 * 1024;

function shapeFor(input: WorkerInput, batch: number, bindings: Record<string, number>): number[] {
  if (!input.shape) throw new Error(`input "${input.name}" has an unknown rank; cannot generate data for it`);
  return input.shape.map((d, i) => {
    if (typeof d === 'number') {
      if (i === 0 && batch !== 1 && d !== batch) throw new Error(`input "${input.name}" has a fixed batch dimension of ${d}; batch ${batch} cannot be run`);
      return d;
    }
    const bound = own(bindings, d); // dimension names come from the model file
    if (i === 0 && bound === undefined) return batch;
    return bound ?? 1;
  });
}

function makeTensor(ort: Ort, input: WorkerInput, batch: number, bindings: Record<string, number>): InstanceType<Ort['Tensor']> {
  const t = own(TYPED, input.dtype);
  if (!t) throw new Error(`input "${input.name}" has type ${input.dtype}, which the benchmark cannot generate`);
  const dims = shapeFor(input, batch, bindings);
  const n = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n) || n > MAX_INPUT_ELEMENTS) throw new Error(`input "${input.name}" would have ${n} elements; too large to generate`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return new ort.Tensor(t.type as any, t.make(n) as any, dims);
}

async function run(req: WorkerRequest): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort: Ort = require('onnxruntime-node');
  const sessionOptions: import('onnxruntime-node').InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
  if (req.threads) sessionOptions.intraOpNumThreads = req.threads;
  sessionOptions.extra = withoutOptimizersExtra(req.withoutOptimizers ?? []);
  const session = await ort.InferenceSession.create(req.file, sessionOptions);
  const warnings: string[] = [];
  const results = [];
  for (const batch of req.batchSizes) {
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
    try {
      for (const input of req.inputs) feeds[input.name] = makeTensor(ort, input, batch, req.bindings);
    } catch (e) {
      // One batch size the model cannot take (a fixed batch dimension) is skipped, not the whole run.
      if (req.batchSizes.length > 1) {
        warnings.push(`batch ${batch} skipped: ${(e as Error).message}`);
        continue;
      }
      throw e;
    }
    for (let i = 0; i < req.warmup; i++) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < req.runs; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (i % 10 === 9) send({ type: 'progress', batch, done: i + 1, total: req.runs });
    }
    results.push(summarize(batch, times));
  }
  await session.release();
  if (results.length === 0) throw new Error(warnings.join('; '));
  send({
    type: 'result',
    result: {
      runtimeVersion: ort.env.versions?.node ?? 'unknown',
      executionProvider: 'cpu',
      threads: req.threads ?? 0,
      warmup: req.warmup,
      results,
      warnings,
    },
  });
}

/** Sends the last message, then exits once it has been handed to the channel (a large result is not cut off). */
const sendAndExit = (msg: WorkerReply | VerifyMessage, code: number): void => {
  if (!process.send) process.exit(code);
  process.send(msg, () => process.exit(code));
};

const fail = (e: Error): void => sendAndExit({ type: 'error', message: (e?.message ?? String(e)).split('\n')[0] }, 1);

function main(): void {
  exitWithParent();
  process.on('message', onMessage);
}

function onMessage(m: WorkerRequest | VerifyRequest): void {
  if (m?.type === 'verify') {
    // The work folder is made here, after its removal is arranged, so a parent killed at any moment leaves none.
    onParentLoss(() => fs.rmSync(m.workDir, { recursive: true, force: true }));
    try {
      fs.mkdirSync(m.workDir, { recursive: true, mode: 0o700 });
    } catch (e) {
      fail(new Error(`cannot create the work folder ${m.workDir}: ${(e as Error).message}`));
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runVerify } = require('./verify/run') as typeof import('./verify/run');
    const post = (msg: VerifyMessage): void => {
      process.send?.(msg);
    };
    runVerify(m, post, __filename).then((result) => sendAndExit({ type: 'result', result }, 0), fail);
    return;
  }
  if (!m || m.type !== 'run') return;
  if (m.deadlineMs !== undefined) setTimeout(() => process.exit(1), m.deadlineMs).unref();
  run(m).then(
    () => process.exit(0),
    fail,
  );
}

// The same bundle is the verify session thread (verify/session-thread.ts) when started as one.
if (isSessionThread()) serve();
else main();
