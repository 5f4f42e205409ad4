/**
 * The getting-started walkthrough's sample model: the planner's own small CNN (samples/tiny-cnn.onnx, shipped
 * in the extension as dist/samples/), copied into the first workspace folder as edgeplan-sample/tiny-cnn.onnx so
 * every workspace-only feature works on it. Never overwrites a file the user has there.
 */
import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import { OutsideWorkspaceError } from './workspace';
import { ensureDir } from '../fs-util';

export const SAMPLE_NAME = 'tiny-cnn.onnx';

/** The sample in the workspace (copied there on first use). */
export function workspaceSample(extensionUri: vscode.Uri): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== 'file') throw new OutsideWorkspaceError('Open a folder first: the walkthrough copies its sample model into the workspace.');
  const target = path.join(folder.uri.fsPath, 'edgeplan-sample', SAMPLE_NAME);
  if (!fs.existsSync(target)) {
    const source = path.join(extensionUri.fsPath, 'dist', 'samples', SAMPLE_NAME);
    ensureDir(path.dirname(target));
    fs.copyFileSync(source, target, fs.constants.COPYFILE_EXCL);
  }
  return vscode.Uri.file(target);
}
