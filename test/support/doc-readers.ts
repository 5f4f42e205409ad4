/**
 * The independent readers export tests reopen documents with: poppler's pdftotext, and LibreOffice (headless),
 * which converts .docx, .xlsx and .pptx to PDF. Tests skip, saying so, where a reader is not installed.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';

export const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
export const SKIP_LO = has('soffice') && has('pdftotext') ? false : 'LibreOffice (soffice) or poppler-utils is not installed; document read-back tests skipped';

/** pdftotext with whitespace collapsed: table cells and wrapped lines become single spaces. */
export function pdfText(pdf: string, o: { raw?: boolean } = {}): string {
  const r = spawnSync('pdftotext', ['-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `pdftotext ${pdf}: ${r.stderr}`);
  return o.raw ? r.stdout : r.stdout.replace(/[\u200E\u200F\u202A-\u202E]/g, '').replace(/\s+/g, ' ');
}

/** Runs headless LibreOffice with its own user profile `profile` (so parallel runs do not share one). */
export function soffice(args: string[], profile: string): void {
  const r = spawnSync('soffice', [`-env:UserInstallation=file://${profile}`, '--headless', '--norestore', ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `soffice failed: ${r.stderr || r.stdout}`);
}

/**
 * LibreOffice converts each file to PDF in a throwaway profile; returns the PDFs in the order of `files`. Inputs
 * are copied under names of their own first (LibreOffice names its output after the input's base name, so
 * report.docx and report.pptx would both become report.pdf).
 */
export function libreOfficeToPdf(files: string[], outDir: string): string[] {
  const inDir = path.join(outDir, 'lo-in');
  fs.mkdirSync(inDir, { recursive: true });
  const named = files.map((f) => {
    const ext = path.extname(f);
    const copy = path.join(inDir, `${path.basename(f, ext)}-${ext.slice(1)}${ext}`);
    fs.copyFileSync(f, copy);
    return copy;
  });
  const profile = path.join(os.tmpdir(), `edgeplan-lo-${process.pid}-${Date.now()}`);
  try {
    soffice(['--convert-to', 'pdf', '--outdir', outDir, ...named], profile);
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(inDir, { recursive: true, force: true });
  }
  return named.map((f) => path.join(outDir, `${path.basename(f, path.extname(f))}.pdf`));
}
