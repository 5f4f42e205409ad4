/**
 * Measures an ONNX model on this machine: onnxruntime-node in a child process (child.ts: cancellable,
 * time-bounded), warm-up, N runs, mean/p50/p95/p99 per batch size. Inputs are generated from the
 * model's input shapes and dtypes as the analyzer reads them.
 */
import * as os from 'os';
import * as path from 'path';
import { analyzeFile } from '../analyzers';
import type { BenchmarkOptions, BenchmarkResult, WorkerReply, WorkerRequest } from './types';
import { mayHaveHalfTransposes, nchwcNote, optimizersToAvoid } from './ort-workarounds';
import { runInChild } from './child';

export type { BenchmarkOptions, BenchmarkResult, BatchResult } from './types';

export class BenchmarkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchmarkError';
  }
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

  const withoutOptimizers = optimizersToAvoid(mayHaveHalfTransposes(m));
  if (withoutOptimizers.length) warnings.push(nchwcNote('the model'));
  const request: WorkerRequest = {
    type: 'run',
    ...(withoutOptimizers.length ? { withoutOptimizers } : {}),
    file: path.resolve(file),
    inputs: m.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape })),
    runs: opts.runs,
    warmup: opts.warmup,
    batchSizes: opts.batchSizes,
    bindings: opts.bindings ?? {},
    threads: opts.threads,
    deadlineMs: opts.timeoutMs + 5000,
  };

  const reply = await runInChild<Extract<WorkerReply, { type: 'result' }>['result']>(request, {
    what: 'the benchmark',
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    errorPrefix: `${path.basename(file)}: onnxruntime could not run the model`,
    onMessage: (msg) => {
      if (msg.type === 'progress') onProgress?.(`batch ${msg.batch}: ${msg.done}/${msg.total} runs`);
    },
  });

  const cpus = os.cpus();
  return {
    file: path.resolve(file),
    ...reply,
    warnings: [...warnings, ...reply.warnings],
    machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, platform: `${os.platform()}-${os.arch()}` },
  };
}
