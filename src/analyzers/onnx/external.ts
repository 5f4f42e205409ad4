/**
 * ONNX external data: resolve `location` against the model's folder, refuse paths that leave the allowed
 * root (absolute paths, "..", symlinks pointing outside), and check the file is there and long enough.
 * Only stat() is used: external weights are never read.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ExternalDataRef } from '../graph';

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function resolveExternal(entries: Record<string, string>, modelFile: string, root: string | undefined): ExternalDataRef {
  const location = entries.location ?? '';
  const offset = entries.offset !== undefined ? Number(entries.offset) : 0;
  const lengthRaw = entries.length !== undefined ? Number(entries.length) : null;
  const ref: ExternalDataRef = {
    location,
    offset: Number.isSafeInteger(offset) && offset >= 0 ? offset : 0,
    length: lengthRaw !== null && Number.isSafeInteger(lengthRaw) && lengthRaw >= 0 ? lengthRaw : null,
  };
  if (!location) return { ...ref, problem: 'external data without a location' };
  if (!Number.isSafeInteger(offset) || offset < 0) return { ...ref, problem: `invalid offset "${entries.offset}"` };
  if (lengthRaw !== null && ref.length === null) return { ...ref, problem: `invalid length "${entries.length}"` };
  if (path.isAbsolute(location) || path.win32.isAbsolute(location) || location.includes('\0')) {
    return { ...ref, problem: `absolute path "${location}" refused (external data must be relative to the model's folder)` };
  }
  const modelDir = path.dirname(path.resolve(modelFile));
  const allowedRoot = path.resolve(root ?? modelDir);
  const resolved = path.resolve(modelDir, location);
  if (!inside(allowedRoot, resolved)) return { ...ref, problem: `path "${location}" leaves the allowed folder ${allowedRoot}: refused` };
  let st: fs.Stats;
  try {
    st = fs.statSync(resolved);
  } catch {
    return { ...ref, resolvedPath: resolved, problem: `file "${location}" is missing` };
  }
  try {
    const real = fs.realpathSync(resolved);
    const realRoot = fs.realpathSync(allowedRoot);
    if (!inside(realRoot, real)) return { ...ref, problem: `path "${location}" is a link that leaves the allowed folder: refused` };
  } catch {
    return { ...ref, resolvedPath: resolved, problem: `file "${location}" cannot be resolved` };
  }
  if (!st.isFile()) return { ...ref, resolvedPath: resolved, problem: `"${location}" is not a file` };
  const end = ref.offset + (ref.length ?? 0);
  if (end > st.size) return { ...ref, resolvedPath: resolved, problem: `file "${location}" has ${st.size} bytes, fewer than offset ${ref.offset} + length ${ref.length ?? 0}` };
  return { ...ref, resolvedPath: resolved };
}
