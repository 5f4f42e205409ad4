/**
 * Exporting a deployment plan as Word, Excel, PDF or PowerPoint: ask where (default folder from the
 * edgePlanner.exportFolder setting), ask before replacing a file, render with the export module (loaded only
 * now) into a private temp folder, then move the document into place.
 */
import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import type { AnalysisResult } from '../analyzers/profile-types';
import type { DeploymentPlan } from '../planner/plan';
import type { ExportFormat } from '../protocol';
import { loadCore, measurementsFrom } from './core';
import { measurementsStore } from './workspace';
import { log } from './log';
import { planSlug, writeFileAtomic } from './plan-files';
import { ensureDir } from '../fs-util';

export const FORMAT_LABELS: Record<ExportFormat, { label: string; filter: string }> = {
  docx: { label: 'Word', filter: 'Word document' },
  xlsx: { label: 'Excel', filter: 'Excel workbook' },
  pdf: { label: 'PDF', filter: 'PDF document' },
  pptx: { label: 'PowerPoint', filter: 'PowerPoint presentation' },
};

/** The folder the save dialog starts in: the setting, relative to the workspace folder unless absolute. */
export function exportFolder(folder: vscode.WorkspaceFolder): vscode.Uri {
  const setting = vscode.workspace.getConfiguration('edgePlanner', folder.uri).get<string>('exportFolder', 'edgeplan-exports') || 'edgeplan-exports';
  return path.isAbsolute(setting) ? vscode.Uri.file(setting) : vscode.Uri.joinPath(folder.uri, setting);
}

export interface ExportRequest {
  format: ExportFormat;
  plan: DeploymentPlan;
  analysis: AnalysisResult;
  folder: vscode.WorkspaceFolder;
  /** Model path relative to the workspace folder. */
  modelRel: string;
}

/** Asks where to save and writes the document. Resolves to the written file, or undefined when the user cancelled. */
export async function exportPlanFile(req: ExportRequest): Promise<string | undefined> {
  const { label, filter } = FORMAT_LABELS[req.format];
  let dir = exportFolder(req.folder);
  // The save dialog cannot start in a folder that does not exist: create the configured folder when it lies
  // inside the workspace, else start in the workspace folder.
  if (dir.scheme === 'file' && !fs.existsSync(dir.fsPath)) {
    const rel = path.relative(req.folder.uri.fsPath, dir.fsPath);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
      try {
        ensureDir(dir.fsPath);
      } catch (e) {
        log.warn(`could not create ${dir.fsPath}: ${(e as Error).message}`);
        dir = req.folder.uri;
      }
    } else dir = req.folder.uri;
  }
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(dir, `${planSlug(req.modelRel)}-plan.${req.format}`),
    filters: { [filter]: [req.format] },
    saveLabel: `Export ${label}`,
    title: `Export the deployment plan as ${label}`,
  });
  if (!target) return undefined;
  if (target.scheme !== 'file') throw new Error('Exports are written to the local file system; choose a local folder.');
  let dest = target.fsPath;
  if (path.extname(dest).toLowerCase() !== `.${req.format}`) dest += `.${req.format}`;
  if (fs.existsSync(dest)) {
    const choice = await vscode.window.showWarningMessage(`${path.basename(dest)} already exists. Replace it?`, { modal: true }, 'Replace');
    if (choice !== 'Replace') return undefined;
  }

  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting ${label}…` }, async () => {
    const { buildPlanDocument, exporters } = await loadCore();
    // With the folder's measurements, as `edgeplan plan` run from the folder exports it.
    const corrections = await measurementsFrom(measurementsStore(req.folder));
    const doc = buildPlanDocument({ analysis: req.analysis, modelFile: req.modelRel, deviceIds: req.plan.targets, budgets: req.plan.budgets, planJson: req.plan, corrections });
    const { RENDERERS } = exporters;
    const bytes = await RENDERERS[req.format](doc);
    writeFileAtomic(dest, bytes);
    log.info(`exported ${req.format} (${bytes.length} bytes) to ${dest}`);
    return dest;
  });
}

/** After a successful export: offer to show the file (in the Explorer view when it is in the workspace). */
export async function announceExport(file: string): Promise<void> {
  const uri = vscode.Uri.file(file);
  const inside = !!vscode.workspace.getWorkspaceFolder(uri);
  const action = inside ? 'Show in Explorer' : 'Reveal in File Manager';
  const choice = await vscode.window.showInformationMessage(`Exported ${path.basename(file)}`, action);
  if (choice === action) await vscode.commands.executeCommand(inside ? 'revealInExplorer' : 'revealFileInOS', uri);
}
