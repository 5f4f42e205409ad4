/**
 * Where the embedded PDF fonts live: media/fonts/ at the extension / repository root. The bundles run from dist/
 * (dist/cli.js, dist/extension.js), the tests from dist/test/unit/, the packaged VSIX from <extension>/dist/, so
 * the folder is looked up from this file's folder upwards. No `vscode` import.
 */
import * as fs from 'fs';
import * as path from 'path';

export const FONT_FILES = {
  regular: 'DejaVuSans.ttf',
  bold: 'DejaVuSans-Bold.ttf',
  mono: 'DejaVuSansMono.ttf',
} as const;

export type FontRole = keyof typeof FONT_FILES;

export class FontNotFoundError extends Error {
  constructor(searched: string[]) {
    super(`The PDF font ${FONT_FILES.regular} was not found; looked in: ${searched.join(', ')}`);
    this.name = 'FontNotFoundError';
  }
}

let cached: string | undefined;

/** The media/fonts folder; `start` defaults to this module's folder. Throws FontNotFoundError. */
export function findFontDir(start: string = __dirname): string {
  if (cached && start === __dirname) return cached;
  const searched: string[] = [];
  let dir = path.resolve(start);
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'media', 'fonts');
    searched.push(candidate);
    if (fs.existsSync(path.join(candidate, FONT_FILES.regular))) {
      if (start === __dirname) cached = candidate;
      return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new FontNotFoundError(searched);
}

export function fontPath(role: FontRole, fontDir: string = findFontDir()): string {
  return path.join(fontDir, FONT_FILES[role]);
}
