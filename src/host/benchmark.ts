/**
 * "Benchmark on this machine": runs the ONNX model with onnxruntime-node through src/measure (which runs it in a
 * child process), with a cancellable progress notification. Only ever called in a trusted workspace.
 */
import * as vscode from 'vscode';
import * as path from 'path';
import type { BenchmarkResult } from '../measure/types';
import type { BenchmarkView } from '../protocol';
import { loadCore } from './core';
import { log } from './log';

/** The rows and notes the view shows for a benchmark result. */
export function toBenchmarkView(r: BenchmarkResult): BenchmarkView {
  return {
    rows: r.results.map((b) => ({ batch: b.batch, meanMs: b.meanMs, p50Ms: b.p50Ms, p95Ms: b.p95Ms, p99Ms: b.p99Ms })),
    notes: [
      `onnxruntime-node ${r.runtimeVersion}, ${r.executionProvider} execution provider, ${r.threads > 0 ? `${r.threads} thread(s)` : "default thread count"}`,
      `${r.results[0]?.runs ?? 0} timed runs after ${r.warmup} warm-up run(s), generated inputs`,
      `This machine: ${r.machine.cpu} (${r.machine.cores} cores, ${r.machine.platform})`,
      ...r.warnings,
    ],
  };
}

/** Runs the benchmark; resolves to the view, or undefined when cancelled. */
export async function runBenchmark(file: string, abort: AbortController, bindings: Record<string, number>): Promise<BenchmarkView | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Benchmarking ${path.basename(file)} on this machine`, cancellable: true },
    async (progress, token) => {
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        const { benchmarkModel } = await loadCore();
        log.info(`benchmark ${file} (onnxruntime-node, child process)`);
        const started = Date.now();
        const result = await benchmarkModel(
          file,
          { runs: 20, warmup: 3, batchSizes: [1], timeoutMs: 120_000, bindings, signal: abort.signal },
          (message) => progress.report({ message }),
        );
        if (abort.signal.aborted) return undefined;
        log.info(`benchmark ${file} done in ${Date.now() - started} ms`);
        return toBenchmarkView(result);
      } catch (e) {
        if (abort.signal.aborted) return undefined;
        throw e;
      } finally {
        sub.dispose();
      }
    },
  );
}
