/**
 * Core ML packages (.mlpackage folders, coremltools' default since Core ML 5): Manifest.json names the root
 * model specification among its items (paths under Data/); an mlProgram refers to its weights as
 * "@model_path/weights/weight.bin", relative to the specification's folder. Nothing outside the package is
 * ever opened: every path is resolved with realpath (symlinks included) and must stay inside the package
 * (for a bare .mlmodel: inside the model's folder).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ModelFileError } from '../errors';
import { parseFileJson } from '../json-guard';
import { shortName } from '../names';
import { FileSource } from '../io/file-source';
import { BlobStorage } from './blob-storage';
import type { WeightFileResolver } from './context';

const MAX_MANIFEST_BYTES = 1024 * 1024;
const MAX_ITEMS = 1000;

export interface PackageLayout {
  /** The package folder (as given, absolute). */
  dir: string;
  /** Its real path: every file must resolve inside it. */
  root: string;
  /** The root model specification (a real path inside root). */
  spec: string;
  /** The item paths Manifest.json lists (relative to Data/). */
  items: { name: string; path: string }[];
}

export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path of `p`, which must exist and stay inside `root`; `what` names it in errors. */
function realInside(pkg: string, root: string, p: string, what: string): string {
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    throw new ModelFileError(pkg, `${what} (${path.relative(root, p) || p}) does not exist in the package`);
  }
  if (!isInside(root, real)) throw new ModelFileError(pkg, `${what} resolves to ${real}, outside the package: refused`);
  return real;
}

/** Reads Manifest.json and finds the root model specification. */
export function openPackage(dir: string): PackageLayout {
  const abs = path.resolve(dir);
  const root = fs.realpathSync(abs);
  const manifestPath = realInside(abs, root, path.join(root, 'Manifest.json'), 'Manifest.json');
  const st = fs.statSync(manifestPath);
  if (!st.isFile()) throw new ModelFileError(abs, 'Manifest.json is not a file');
  if (st.size > MAX_MANIFEST_BYTES) throw new ModelFileError(abs, `Manifest.json is ${st.size} bytes, more than a package manifest can be`);
  const fail: (reason: string) => never = (reason) => {
    throw new ModelFileError(abs, `Manifest.json: ${reason}`);
  };
  // json-guard: hostile keys and nesting refused before parsing, objects without a prototype ("__proto__" is data).
  const parsed = parseFileJson(fs.readFileSync(manifestPath, 'utf8'), fail, { prototypeFree: true });
  if (parsed.duplicateKeys.length) fail(`the key "${shortName(parsed.duplicateKeys[0])}" appears more than once in the top-level object: corrupted`);
  const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
  const m = obj(parsed.value);
  if (!m) fail('not a JSON object');
  const entries = obj(m.itemInfoEntries);
  if (!entries) fail(m.itemInfoEntries === undefined ? 'no itemInfoEntries' : 'itemInfoEntries is not an object');
  const ids = Object.keys(entries);
  if (ids.length > MAX_ITEMS) throw new ModelFileError(abs, `Manifest.json lists ${ids.length} items: refusing`);
  const items: PackageLayout['items'] = [];
  let spec: string | null = null;
  const rootId = typeof m.rootModelIdentifier === 'string' ? m.rootModelIdentifier : null;
  for (const id of ids) {
    const e = obj(entries[id]);
    const p = typeof e?.path === 'string' ? e.path : null;
    if (!p && id === rootId) fail(`the root model item ${JSON.stringify(shortName(id))} has no path (a string)`);
    if (!p) continue;
    const name = typeof e?.name === 'string' ? e.name : path.basename(p);
    if (path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) throw new ModelFileError(abs, `Manifest.json item "${name}" has path ${JSON.stringify(p)}, which leaves the package: refused`);
    items.push({ name, path: p });
    const resolved = path.join(root, 'Data', p);
    // Every listed item that exists must resolve inside the package (a symlinked weights folder included).
    if (fs.lstatSync(resolved, { throwIfNoEntry: false })) realInside(abs, root, resolved, `item "${name}"`);
    if (id === rootId) spec = resolved;
  }
  if (!rootId) throw new ModelFileError(abs, 'Manifest.json names no rootModelIdentifier');
  if (!spec) throw new ModelFileError(abs, `Manifest.json's root model ${rootId} is not among its items`);
  const real = realInside(abs, root, spec, 'the root model specification');
  if (!fs.statSync(real).isFile()) throw new ModelFileError(abs, 'the root model specification is not a file');
  return { dir: abs, root, spec: real, items };
}

/**
 * Resolves "@model_path/..." blob file names against the specification's folder, inside `root` only; opens each
 * weights file once. `opened` collects the sources so the caller closes them.
 */
export function weightFileResolver(specFile: string, root: string, opened: FileSource[]): WeightFileResolver {
  const cache = new Map<string, ReturnType<WeightFileResolver>>();
  const base = path.dirname(specFile);
  return (fileName: string) => {
    const hit = cache.get(fileName);
    if (hit) return hit;
    let result: ReturnType<WeightFileResolver>;
    const rel = fileName.startsWith('@model_path/') ? fileName.slice('@model_path/'.length) : null;
    if (rel === null || path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) {
      throw new ModelFileError(specFile, `weights file name ${JSON.stringify(fileName)} leaves the model's folder: refused`);
    }
    const p = path.join(base, rel);
    if (!fs.lstatSync(p, { throwIfNoEntry: false })) {
      result = { problem: `${rel} is missing next to ${path.basename(specFile)}` };
    } else {
      let real: string;
      try {
        real = fs.realpathSync(p);
      } catch {
        throw new ModelFileError(specFile, `weights file ${rel} is a dangling link`);
      }
      if (!isInside(root, real)) throw new ModelFileError(specFile, `weights file ${rel} resolves to ${real}, outside the ${root.endsWith('.mlpackage') ? 'package' : "model's folder"}: refused`);
      if (!fs.statSync(real).isFile()) throw new ModelFileError(specFile, `weights file ${rel} is not a regular file`);
      const src = new FileSource(real);
      opened.push(src);
      result = { storage: new BlobStorage(src) };
    }
    cache.set(fileName, result);
    return result;
  };
}
