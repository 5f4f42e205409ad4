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
import { documentModule, exportModule } from './core';
import { log } from './log';
import { planSlug, writeFileAtomic } from './plan-files';

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
  const dir = exportFolder(req.folder);
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
    const { buildPlanDocument } = await documentModule();
    const doc = buildPlanDocument({ analysis: req.analysis, modelFile: req.modelRel, deviceIds: req.plan.targets, budgets: req.plan.budgets, planJson: req.plan });
    const { RENDERERS } = await exportModule();
    const bytes = await RENDERERS[req.format](doc);
    writeFileAtomic(dest, bytes);
    log.info(`exported ${req.format} (${bytes.length} bytes) to ${dest}`);
    return dest;
  });
}

/** After a successful export: offer to open the file or reveal it. */
export async function announceExport(file: string): Promise<void> {
  const choice = await vscode.window.showInformationMessage(`Exported ${path.basename(file)}`, 'Reveal in File Explorer', 'Open');
  if (choice === 'Open') await vscode.env.openExternal(vscode.Uri.file(file));
  else if (choice === 'Reveal in File Explorer') await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file));
}
