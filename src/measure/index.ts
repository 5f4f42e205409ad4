/**
 * Measures an ONNX model on this machine: onnxruntime-node in a child process (cancellable,
 * time-bounded), warm-up, N runs, mean/p50/p95/p99 per batch size. Inputs are generated from the
 * model's input shapes and dtypes as the analyzer reads them.
 */
import { fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeFile } from '../analyzers';
import type { BenchmarkOptions, BenchmarkResult, WorkerReply, WorkerRequest } from './types';

export type { BenchmarkOptions, BenchmarkResult, BatchResult } from './types';

export class BenchmarkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchmarkError';
  }
}

function workerPath(): string {
  const candidates = [path.join(__dirname, 'measure-worker.js'), path.join(__dirname, '..', 'measure-worker.js'), path.join(__dirname, '..', '..', 'measure-worker.js')];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new BenchmarkError(`the benchmark worker (measure-worker.js) is missing next to ${__dirname}; run the build`);
  return found;
}

export async function benchmarkModel(file: string, opts: BenchmarkOptions, onProgress?: (message: string) => void): Promise<BenchmarkResult> {
  const analysis = await analyzeFile(file, { bindings: opts.bindings });
  const m = analysis.model;
  if (m.format !== 'onnx') throw new BenchmarkError(`${path.basename(file)}: only ONNX models can be run here (this is ${m.format.toUpperCase()}); onnxruntime-node runs ONNX`);
  // External data that the analyzer refused or could not find must not reach the runtime either.
  const externalProblems = analysis.warnings.filter((w) => w.startsWith('external data: '));
  if (externalProblems.length) {
    throw new BenchmarkError(`${path.basename(file)}: not run, because its ${externalProblems[0]}`.replace(/; sizes come from the model file, the data was not checked$/, ''));
  }
  const customDomains = Object.keys(m.opset ?? {}).filter((d) => d !== 'ai.onnx' && d !== 'ai.onnx.ml' && d !== 'com.microsoft');
  const warnings = [...analysis.warnings];
  if (customDomains.length) warnings.push(`the model uses custom op domains (${customDomains.join(', ')}); onnxruntime may not have kernels for them`);

  const request: WorkerRequest = {
    type: 'run',
    file: path.resolve(file),
    inputs: m.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape })),
    runs: opts.runs,
    warmup: opts.warmup,
    batchSizes: opts.batchSizes,
    bindings: opts.bindings ?? {},
    threads: opts.threads,
  };

  const reply = await new Promise<Extract<WorkerReply, { type: 'result' }>['result']>((resolve, reject) => {
    const child = fork(workerPath(), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [], serialization: 'advanced' });
    let stderr = '';
    let settled = false;
    const finish = (err: Error | null, value?: Extract<WorkerReply, { type: 'result' }>['result']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null) child.kill('SIGKILL');
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new BenchmarkError(`the benchmark did not finish within ${Math.round(opts.timeoutMs / 1000)} s and was stopped`)), opts.timeoutMs);
    const onAbort = (): void => finish(new BenchmarkError('the benchmark was cancelled'));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort);
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 10_000) stderr += d.toString();
    });
    child.on('message', (msg: WorkerReply) => {
      if (msg?.type === 'progress') onProgress?.(`batch ${msg.batch}: ${msg.done}/${msg.total} runs`);
      else if (msg?.type === 'result') finish(null, msg.result);
      else if (msg?.type === 'error') finish(new BenchmarkError(`${path.basename(file)}: onnxruntime could not run the model: ${msg.message}`));
    });
    child.on('error', (e) => finish(new BenchmarkError(`the benchmark worker failed to start: ${e.message}`)));
    child.on('exit', (code, signal) => {
      if (!settled) finish(new BenchmarkError(`the benchmark worker stopped (${signal ?? `exit code ${code}`})${stderr ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}`));
    });
    child.send(request);
  });

  const cpus = os.cpus();
  return {
    file: path.resolve(file),
    ...reply,
    warnings: [...warnings, ...reply.warnings],
    machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, platform: `${os.platform()}-${os.arch()}` },
  };
}
