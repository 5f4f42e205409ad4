/**
 * The analysis panel (command "Analyze for Edge Deployment"): one panel per model file, revealed when the
 * same file is analyzed again, restored after a window reload by a WebviewPanelSerializer.
 */
import * as vscode from 'vscode';
import * as path from 'path';
import { AnalysisController } from './analysis-view';
import { webviewHtml, webviewOptions } from './html';
import { log } from './log';
import { inWorkspace } from './workspace';
import { restoredBindings } from './bindings-store';

export const ANALYSIS_VIEW_TYPE = 'edgePlanner.analysis';

const panels = new Map<string, { panel: vscode.WebviewPanel; controller: AnalysisController }>();

function attach(extensionUri: vscode.Uri, panel: vscode.WebviewPanel, uri: vscode.Uri, bindings?: Record<string, number>): AnalysisController {
  panel.webview.options = webviewOptions(extensionUri);
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
  panel.webview.html = webviewHtml(panel.webview, extensionUri, { script: 'analysis.js', title: `Analysis: ${path.basename(uri.fsPath)}`, kind: 'analysis' });
  const controller = new AnalysisController(panel.webview, uri, { progress: 'notification', bindings });
  const key = uri.toString();
  panels.set(key, { panel, controller });
  panel.onDidDispose(() => {
    controller.dispose();
    if (panels.get(key)?.panel === panel) panels.delete(key);
  });
  return controller;
}

/** Opens (or reveals) the analysis panel for a model; resolves when the analysis has finished. */
export async function showAnalysis(extensionUri: vscode.Uri, uri: vscode.Uri): Promise<void> {
  const existing = panels.get(uri.toString());
  if (existing) {
    existing.panel.reveal();
    return existing.controller.run('notification');
  }
  const panel = vscode.window.createWebviewPanel(ANALYSIS_VIEW_TYPE, `Analysis: ${path.basename(uri.fsPath)}`, vscode.ViewColumn.Active, webviewOptions(extensionUri));
  const controller = attach(extensionUri, panel, uri);
  return controller.run('notification');
}

/** Restores analysis panels after a window reload from the webview's saved state ({ resource }). */
export function registerAnalysisSerializer(extensionUri: vscode.Uri): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(ANALYSIS_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
      const resource = typeof state === 'object' && state !== null ? (state as Record<string, unknown>).resource : undefined;
      let uri: vscode.Uri | undefined;
      try {
        uri = typeof resource === 'string' ? vscode.Uri.parse(resource, true) : undefined;
      } catch {
        uri = undefined;
      }
      if (!uri || !inWorkspace(uri)) {
        log.info('analysis panel not restored: no model file in its saved state, or the file is outside the workspace');
        panel.dispose();
        return;
      }
      // The sizes the user applied before the reload, kept in the webview's state.
      const bindings = restoredBindings((state as Record<string, unknown>).bindings);
      const controller = attach(extensionUri, panel, uri, bindings);
      void controller.run('window');
    },
  });
}
