/**
 * Exporting a deployment plan as Word, Excel, PDF and PowerPoint. The document libraries (docx, exceljs, pdfkit,
 * pptxgenjs) are loaded on first use only, inside these functions: activating the extension loads none of them.
 * No `vscode` import.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { PlanDocument } from '../planner/plan';
import { ExportExistsError, writeFileAtomic } from './atomic-write';
import { slugify } from './format';
import { ensureDir } from '../fs-util';

export { ExportExistsError } from './atomic-write';

export type ExportFormat = 'docx' | 'xlsx' | 'pdf' | 'pptx';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['docx', 'xlsx', 'pdf', 'pptx'];

export interface ExportResult {
  format: string;
  file: string;
  bytes: number;
}

/** A Word document (.docx) of the plan. */
export async function renderDocx(doc: PlanDocument): Promise<Buffer> {
  return (await import('./docx')).renderDocx(doc);
}

/** An Excel workbook (.xlsx) of the plan. */
export async function renderXlsx(doc: PlanDocument): Promise<Buffer> {
  return (await import('./xlsx')).renderXlsx(doc);
}

/** A PDF of the plan, with the DejaVu fonts embedded. */
export async function renderPdf(doc: PlanDocument): Promise<Buffer> {
  return (await import('./pdf')).renderPdf(doc);
}

/** A PowerPoint deck (.pptx) of the plan. */
export async function renderPptx(doc: PlanDocument): Promise<Buffer> {
  return (await import('./pptx')).renderPptx(doc);
}

export const RENDERERS: Record<ExportFormat, (doc: PlanDocument) => Promise<Buffer>> = {
  docx: renderDocx,
  xlsx: renderXlsx,
  pdf: renderPdf,
  pptx: renderPptx,
};

/** The file name an export gets: "<slug of the project name>.<format>". */
export function exportFileName(doc: PlanDocument, format: ExportFormat): string {
  const base = slugify(doc.plan.project.name) || slugify(doc.plan.model.name) || 'deployment-plan';
  return `${base}.${format}`;
}

/**
 * Renders each format and writes it into `outDir` (created if missing) as "<slug>.<format>". Without `force`,
 * nothing is written when any target exists: ExportExistsError names the first such file.
 */
export async function exportPlan(doc: PlanDocument, formats: ExportFormat[], outDir: string, opts: { force?: boolean } = {}): Promise<ExportResult[]> {
  const unique = [...new Set(formats)];
  for (const f of unique) {
    if (!EXPORT_FORMATS.includes(f)) throw new Error(`unknown export format "${String(f)}"; expected one of ${EXPORT_FORMATS.join(', ')}`);
  }
  const targets = unique.map((format) => ({ format, file: path.join(outDir, exportFileName(doc, format)) }));
  if (!opts.force) {
    const existing = targets.find((t) => fs.existsSync(t.file));
    if (existing) throw new ExportExistsError(existing.file);
  }
  ensureDir(outDir);
  const results: ExportResult[] = [];
  for (const t of targets) {
    const data = await RENDERERS[t.format](doc);
    writeFileAtomic(t.file, data, { force: opts.force });
    results.push({ format: t.format, file: t.file, bytes: data.length });
  }
  return results;
}
