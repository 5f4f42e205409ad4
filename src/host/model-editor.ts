/**
 * The read-only model editor: opening a model file shows the same analysis view as the panel. The document is
 * trivial (just the URI); the view re-analyzes when the file changes on disk. "Reopen With Text Editor" opens
 * VS Code's default editor.
 */
import * as vscode from 'vscode';
import * as path from 'path';
import { AnalysisController } from './analysis-view';
import { webviewHtml, webviewOptions } from './html';

export const MODEL_EDITOR_VIEW_TYPE = 'edgePlanner.modelViewer';

class ModelDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {
    // nothing held: the analysis cache is keyed by path and re-validated by mtime
  }
}

export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  constructor(private readonly extensionUri: vscode.Uri) {}

  static register(extensionUri: vscode.Uri): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(MODEL_EDITOR_VIEW_TYPE, new ModelEditorProvider(extensionUri), {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    });
  }

  openCustomDocument(uri: vscode.Uri): ModelDocument {
    return new ModelDocument(uri);
  }

  resolveCustomEditor(document: ModelDocument, panel: vscode.WebviewPanel): void {
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, { script: 'analysis.js', title: path.basename(document.uri.fsPath), kind: 'editor' });
    const controller = new AnalysisController(panel.webview, document.uri, {
      progress: 'window',
      reopenAsText: () => void vscode.commands.executeCommand('vscode.openWith', document.uri, 'default', panel.viewColumn),
    });
    panel.onDidDispose(() => controller.dispose());
    void controller.run('window');
  }
}
