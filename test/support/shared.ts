/**
 * Where the read-only third-party models and calibration data live: ../shared beside the repository
 * (the developers' checkout and CI's clone both have it). Tests that need it skip, saying so, where absent.
 */
import * as fs from 'fs';
import * as path from 'path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const hasShared = fs.existsSync(path.join(sharedDir, 'models', 'REFERENCE.jsonl'));
export const SKIP_NO_SHARED = hasShared ? false : `../shared is absent (looked in ${sharedDir}); real-model tests skipped`;

export const fixture = (name: string): string => path.join(sharedDir, 'models', 'fixtures', name);
export const unlabelled = (name: string): string => path.join(sharedDir, 'models', 'unlabelled', name);
export const benchmarkModel = (name: string): string => path.join(sharedDir, 'models', 'benchmark-models', name);

export interface ReferenceLine {
  file: string;
  format: 'onnx' | 'tflite';
  bytes: number;
  params: number;
  weightBytes: number;
  macs: number | null;
  operatorCount: number;
  opHistogram: Record<string, number>;
  inputs: { name?: string; dtype: string; shape: (number | string)[] }[];
  outputs: { name?: string; dtype: string; shape: (number | string)[] }[];
  boundDims?: string[];
  irVersion?: number;
  opset?: Record<string, number>;
}

export function referenceLines(): ReferenceLine[] {
  if (!hasShared) return [];
  return fs
    .readFileSync(path.join(sharedDir, 'models', 'REFERENCE.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ReferenceLine);
}

/** A fresh temporary folder under the OS temp dir, removed by the caller (or left for inspection). */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(require('os').tmpdir(), `edgeplan-${prefix}-`));
}

/**
 * A temporary folder for one test file's generated inputs, removed when its tests end (kept with
 * EDGEPLAN_KEEP_HOSTILE=1 for a look), and `put`, which writes a file into it and returns its path.
 */
export function scratchFiles(prefix: string): { dir: string; put: (name: string, bytes: Uint8Array | string) => string } {
  const dir = tempDir(prefix);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('node:test').after(() => {
    if (!process.env.EDGEPLAN_KEEP_HOSTILE) fs.rmSync(dir, { recursive: true, force: true });
  });
  const put = (name: string, bytes: Uint8Array | string): string => {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, bytes);
    return p;
  };
  return { dir, put };
}

/** Folder for artifacts a person should look at (screenshots, rendered pages): test-artifacts/<name>. */
export function artifactDir(name: string): string {
  const d = path.join(repoRoot, 'test-artifacts', name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}
