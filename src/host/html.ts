/**
 * The HTML shell of every webview: a strict Content-Security-Policy with a fresh random nonce,
 * our stylesheet and one script bundle from dist/webview. No remote resources, no inline styles.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'crypto';

export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

/** Webview options: scripts on, resources only from dist/webview and media. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, opts: { script: string; title: string; kind: string }): string {
  const nonce = newNonce();
  const asset = (name: string): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(asset('webview.css'))}">
<title>${escapeAttr(opts.title)}</title>
</head>
<body data-view="${escapeAttr(opts.kind)}">
<main id="app" aria-live="polite"><p class="status">Loading…</p></main>
<script nonce="${nonce}" src="${escapeAttr(asset(opts.script))}"></script>
</body>
</html>`;
}
