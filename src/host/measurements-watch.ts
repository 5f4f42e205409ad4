/**
 * Watches a workspace folder's measurements store (`.edgeplan/measurements.json`, what `edgeplan measure` writes when
 * run from the folder) so the views re-estimate when a run is recorded, changed or removed. The first run creates the
 * `.edgeplan` folder and the file within milliseconds: a recursive watcher can miss a file created in a folder it has
 * only just seen, so the folder's creation counts too, and the call is debounced until the writes have settled.
 */
import * as vscode from 'vscode';
import * as path from 'path';
import { MEASUREMENTS_STORE } from './workspace';

const SETTLE_MS = 250;

export function watchMeasurements(folder: vscode.WorkspaceFolder, onChange: () => void): vscode.Disposable {
  const dir = path.dirname(MEASUREMENTS_STORE).split(path.sep).join('/');
  const file = MEASUREMENTS_STORE.split(path.sep).join('/');
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, `{${dir},${file}}`));
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, SETTLE_MS);
  };
  const subs = [watcher.onDidCreate(fire), watcher.onDidChange(fire), watcher.onDidDelete(fire)];
  return new vscode.Disposable(() => {
    if (timer) clearTimeout(timer);
    for (const s of subs) s.dispose();
    watcher.dispose();
  });
}
