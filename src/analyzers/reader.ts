/**
 * What a format reader provides. Each format module exports one FormatReader; index.ts dispatches on the
 * format detected from the bytes (detect.ts).
 */
import type { ModelFormat, ModelGraph } from './graph';
import type { NodeCostFn } from './cost/types';
import type { FileSource } from './io/file-source';

export interface ReaderOptions {
  /** Folder external data must stay inside (default: the model's folder). */
  externalDataRoot?: string;
  /** Progress 0..1; returning true asks the reader to stop (it throws AnalysisCancelled). */
  onProgress?: (fraction: number, message: string) => boolean | void;
}

export interface FormatReader {
  format: ModelFormat;
  /** Parses the file into a ModelGraph. Throws ModelFileError for bad input. Never reads weights to count them. */
  read(src: FileSource, opts: ReaderOptions): Promise<ModelGraph> | ModelGraph;
  /**
   * Fills activation shapes the file leaves out, after binding symbolic dims (bindings has every symbol
   * found in the inputs). Mutates tensor shapes in the graph; returns warnings.
   */
  inferShapes?(graph: ModelGraph, bindings: Record<string, number>): string[];
  /** Per-node cost for this format's ops. */
  cost?: NodeCostFn;
}
