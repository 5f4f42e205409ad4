/**
 * Timing of the four exporters on one plan, for `npm run bench`. The first run of each format includes loading
 * its library (the cost a user pays on the first export of a session); the best of the later runs is the steady
 * cost. No files are written. No `vscode` import.
 */
import type { PlanDocument } from '../planner/plan';
import { EXPORT_FORMATS, RENDERERS, type ExportFormat } from './index';

export interface ExportTiming {
  format: ExportFormat;
  /** First render in this process, including loading the library. */
  firstMs: number;
  /** Fastest of the following runs (equals firstMs when runs = 1). */
  bestMs: number;
  bytes: number;
}

export interface ExportBench {
  timings: ExportTiming[];
  /** Sum of the first renders: all four formats exported once from a cold start. */
  totalFirstMs: number;
  /** Sum of the best renders. */
  totalBestMs: number;
}

export async function benchExports(doc: PlanDocument, opts: { runs?: number; formats?: readonly ExportFormat[] } = {}): Promise<ExportBench> {
  const runs = Math.max(1, Math.min(50, Math.floor(opts.runs ?? 3)));
  const timings: ExportTiming[] = [];
  for (const format of opts.formats ?? EXPORT_FORMATS) {
    let firstMs = 0;
    let bestMs = Infinity;
    let bytes = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const data = await RENDERERS[format](doc);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      bytes = data.length;
      if (i === 0) firstMs = ms;
      if (runs === 1 || i > 0) bestMs = Math.min(bestMs, ms);
    }
    timings.push({ format, firstMs, bestMs, bytes });
  }
  return {
    timings,
    totalFirstMs: timings.reduce((s, t) => s + t.firstMs, 0),
    totalBestMs: timings.reduce((s, t) => s + t.bestMs, 0),
  };
}
