/** Where a file is relative to the open workspace, and the checks commands make before touching it. */
import * as vscode from 'vscode';
import * as path from 'path';

export const MODEL_EXTENSIONS = ['.onnx', '.tflite', '.safetensors', '.gguf', '.pt', '.pth', '.keras', '.h5', '.mlmodel'];
export const MODEL_GLOB = `**/*.{${MODEL_EXTENSIONS.map((e) => e.slice(1)).join(',')}}`;

export function isModelFile(uri: vscode.Uri): boolean {
  return MODEL_EXTENSIONS.includes(path.extname(uri.path).toLowerCase());
}

export interface WorkspaceFile {
  uri: vscode.Uri;
  folder: vscode.WorkspaceFolder;
  /** Path relative to the folder, forward slashes. */
  rel: string;
}

/** The workspace folder that really contains `uri` (no `..` escape), or undefined. */
export function inWorkspace(uri: vscode.Uri): WorkspaceFile | undefined {
  if (uri.scheme !== 'file') return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder || folder.uri.scheme !== 'file') return undefined;
  const rel = path.relative(folder.uri.fsPath, uri.fsPath);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return { uri, folder, rel: rel.split(path.sep).join('/') };
}

/** The path to show for a file: workspace-relative when inside, else the full path. */
export function displayPath(uri: vscode.Uri): string {
  return inWorkspace(uri)?.rel ?? (uri.scheme === 'file' ? uri.fsPath : uri.toString());
}

export class OutsideWorkspaceError extends Error {}

/** Refuses files outside the open workspace folders with a message that says what to do. */
export function requireWorkspaceModel(uri: vscode.Uri): WorkspaceFile {
  if (uri.scheme !== 'file') {
    throw new OutsideWorkspaceError(`${uri.toString()} is not on the local file system; Edge Deployment Planner reads local files only.`);
  }
  if (!vscode.workspace.workspaceFolders?.length) {
    throw new OutsideWorkspaceError(`Open a folder first: ${path.basename(uri.fsPath)} can only be analyzed inside an open workspace folder.`);
  }
  const wf = inWorkspace(uri);
  if (!wf) {
    throw new OutsideWorkspaceError(`${uri.fsPath} is outside the open workspace folders; open its folder (File › Open Folder) to analyze it.`);
  }
  if (!isModelFile(uri)) {
    throw new OutsideWorkspaceError(`${path.basename(uri.fsPath)} is not a model file (${MODEL_EXTENSIONS.join(' ')}).`);
  }
  return wf;
}
