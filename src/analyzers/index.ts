/**
 * analyzeFile: model file → AnalysisResult (profile + warnings). Detects the format from the bytes,
 * runs that format's reader (lazily loaded), binds symbolic dimensions, infers shapes and costs layers.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ModelFormat, ModelGraph } from './graph';
import type { FormatReader } from './reader';
import { AnalysisCancelled, type AnalysisResult, type AnalyzeOptions } from './profile-types';
import { ModelFileError } from './errors';
import { FileSource } from './io/file-source';
import { detectFormat } from './detect';
import { buildProfile } from './profile';
import { limitGraphNames } from './names';
import { describeFsError } from '../fs-util';

export { ModelFileError } from './errors';
export { AnalysisCancelled } from './profile-types';
export type { AnalysisResult, AnalyzeOptions, ModelProfile, LayerProfile } from './profile-types';

async function readerFor(format: ModelFormat): Promise<FormatReader> {
  switch (format) {
    case 'onnx':
      return (await import('./onnx')).onnxReader;
    case 'tflite':
      return (await import('./tflite')).tfliteReader;
    case 'safetensors':
      return (await import('./safetensors')).safetensorsReader;
    case 'gguf':
      return (await import('./gguf')).ggufReader;
    case 'pytorch':
      return (await import('./pytorch')).pytorchReader;
    case 'keras':
      return (await import('./keras')).kerasReader;
    case 'coreml':
      return (await import('./coreml')).coremlReader;
  }
}

export async function analyzeFile(file: string, opts: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const abs = path.resolve(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    throw new ModelFileError(abs, describeFsError(e));
  }
  const cancelled = (fraction: number, message: string): void => {
    if (opts.onProgress && opts.onProgress(fraction, message) === true) throw new AnalysisCancelled();
  };
  if (st.isDirectory()) {
    if (!/\.mlpackage$/i.test(abs)) throw new ModelFileError(abs, 'a folder, not a model file (only Core ML .mlpackage folders are models)');
    return analyzeMlpackage(abs, opts, cancelled);
  }
  if (!st.isFile()) throw new ModelFileError(abs, 'not a regular file');

  let src: FileSource;
  try {
    src = new FileSource(abs);
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(abs, `cannot open the file: ${describeFsError(e)}`);
  }
  try {
    cancelled(0, 'Detecting the format');
    const detection = detectFormat(src);
    const reader = await readerFor(detection.format);
    cancelled(0.05, `Reading ${detection.format.toUpperCase()}`);
    const graph = await reader.read(src, {
      externalDataRoot: opts.externalDataRoot,
      onProgress: (f, m) => opts.onProgress?.(0.05 + f * 0.75, m),
    });
    if (detection.extensionMismatch) graph.warnings.unshift(detection.extensionMismatch);
    return profileOf(graph, reader, opts, cancelled);
  } catch (e) {
    throw asModelFileError(abs, e);
  } finally {
    src.close();
  }
}

/** A Core ML package folder: Manifest.json → the root specification → its weights (nothing outside the folder). */
async function analyzeMlpackage(abs: string, opts: AnalyzeOptions, cancelled: (f: number, m: string) => void): Promise<AnalysisResult> {
  try {
    cancelled(0, 'Reading the Core ML package');
    const coreml = await import('./coreml');
    const graph = coreml.readCoremlPackage(abs);
    return profileOf(graph, coreml.coremlReader, opts, cancelled);
  } catch (e) {
    throw asModelFileError(abs, e);
  }
}

function profileOf(graph: ModelGraph, reader: FormatReader, opts: AnalyzeOptions, cancelled: (f: number, m: string) => void): AnalysisResult {
  const shortened = limitGraphNames(graph);
  if (shortened && !graph.warnings.includes(shortened)) graph.warnings.push(shortened);
  cancelled(0.8, 'Inferring shapes and costs');
  const { profile, warnings } = buildProfile(graph, {
    bindings: opts.bindings,
    inferShapes: reader.inferShapes?.bind(reader),
    cost: reader.cost,
  });
  cancelled(1, 'Done');
  return { model: profile, warnings };
}

function asModelFileError(abs: string, e: unknown): Error {
  if (e instanceof ModelFileError || e instanceof AnalysisCancelled) return e;
  if (e instanceof RangeError) return new ModelFileError(abs, `corrupted or hostile content (${e.message})`);
  if ((e as NodeJS.ErrnoException).code) return new ModelFileError(abs, `cannot be read (${(e as NodeJS.ErrnoException).code})`);
  return new ModelFileError(abs, `could not be read: ${(e as Error).message}`);
}
