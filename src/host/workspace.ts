/** Where a file is relative to the open workspace, and the checks commands make before touching it. */
import * as vscode from 'vscode';
import * as path from 'path';
import { MODEL_EXTENSIONS, MODEL_FOLDER_EXTENSIONS, MODEL_KINDS } from '../model-files';

export const MODEL_GLOB = `**/*.{${MODEL_EXTENSIONS.map((e) => e.slice(1)).join(',')}}`;

/** A model file, or a Core ML .mlpackage folder (a URI the Explorer gives for a folder). */
export function isModelFile(uri: vscode.Uri): boolean {
  const ext = path.extname(uri.path.replace(/\/+$/, '')).toLowerCase();
  return MODEL_EXTENSIONS.includes(ext) || MODEL_FOLDER_EXTENSIONS.includes(ext);
}

/** True for a Core ML package folder. */
export function isPackage(uri: vscode.Uri): boolean {
  return path.extname(uri.path.replace(/\/+$/, '')).toLowerCase() === '.mlpackage';
}

/**
 * The models in the workspace: model files, and .mlpackage folders found by their Manifest.json (findFiles
 * lists files only). Files inside a package (its model.mlmodel) are the package's, not models of their own.
 */
export async function findModels(exclude: string, max: number): Promise<vscode.Uri[]> {
  const [files, manifests] = await Promise.all([vscode.workspace.findFiles(MODEL_GLOB, exclude, max), vscode.workspace.findFiles('**/*.mlpackage/Manifest.json', exclude, max)]);
  const packages = manifests.map((m) => vscode.Uri.file(path.dirname(m.fsPath)));
  const inPackage = (u: vscode.Uri): boolean => packages.some((p) => u.fsPath.startsWith(p.fsPath + path.sep));
  return [...files.filter((u) => !inPackage(u)), ...packages].slice(0, max);
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

/** Where `edgeplan measure` keeps the user's runs, relative to the folder it is run from (the CLI's default store). */
export const MEASUREMENTS_STORE = path.join('.edgeplan', 'measurements.json');

/** A workspace folder's measurements store: what the CLI reads when run from that folder. */
export function measurementsStore(folder: vscode.WorkspaceFolder): string {
  return path.join(folder.uri.fsPath, MEASUREMENTS_STORE);
}

/** The measurements store of the workspace folder holding `uri`, or undefined outside the workspace. */
export function measurementsStoreFor(uri: vscode.Uri): string | undefined {
  const f = inWorkspace(uri);
  return f ? measurementsStore(f.folder) : undefined;
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
    throw new OutsideWorkspaceError(`${path.basename(uri.fsPath)} is not a model (${MODEL_KINDS}).`);
  }
  return wf;
}
