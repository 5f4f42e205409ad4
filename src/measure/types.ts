/** Results of running a model on this machine with onnxruntime-node. */

export interface BatchResult {
  batch: number;
  runs: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  stdMs: number;
}

export interface BenchmarkResult {
  file: string;
  runtimeVersion: string;
  executionProvider: string;
  threads: number;
  warmup: number;
  results: BatchResult[];
  machine: { cpu: string; cores: number; platform: string };
  warnings: string[];
}

export interface BenchmarkOptions {
  runs: number;
  warmup: number;
  batchSizes: number[];
  /** The whole benchmark is killed after this long. */
  timeoutMs: number;
  /** Values for symbolic dimensions other than the batch (default 1). */
  bindings?: Record<string, number>;
  /** Intra-op threads (default: onnxruntime's choice). */
  threads?: number;
  signal?: AbortSignal;
}

/** One input as the worker needs it to generate data. */
export interface WorkerInput {
  name: string;
  dtype: string;
  shape: (number | string)[] | null;
}

export type WorkerRequest = {
  type: 'run';
  file: string;
  inputs: WorkerInput[];
  runs: number;
  warmup: number;
  batchSizes: number[];
  bindings: Record<string, number>;
  threads?: number;
  /** onnxruntime graph optimisers to leave out (ort-workarounds.ts). */
  withoutOptimizers?: string[];
  /** The worker exits on its own this long after it received the request (the parent's limit plus a margin). */
  deadlineMs?: number;
};

export type WorkerReply =
  | { type: 'progress'; batch: number; done: number; total: number }
  | { type: 'result'; result: Omit<BenchmarkResult, 'file' | 'machine' | 'warnings'> & { warnings: string[] } }
  | { type: 'error'; message: string };

/** Percentile by nearest rank on a sorted copy. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(batch: number, times: number[]): BatchResult {
  const s = [...times].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const variance = s.reduce((a, b) => a + (b - mean) ** 2, 0) / s.length;
  return {
    batch,
    runs: s.length,
    meanMs: mean,
    p50Ms: percentile(s, 50),
    p95Ms: percentile(s, 95),
    p99Ms: percentile(s, 99),
    minMs: s[0],
    maxMs: s[s.length - 1],
    stdMs: Math.sqrt(variance),
  };
}
