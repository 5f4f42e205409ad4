/**
 * The comparison view: several models (an Explorer multi-selection, or every model in the workspace) against
 * every selected device, in one table. Each model is analyzed once; changing the devices only re-estimates.
 */
import * as vscode from 'vscode';
import type { AnalysisResult } from '../analyzers/profile-types';
import { parseFromWebview, type ComparisonModel, type ComparisonViewModel, type DeviceChoice, type RuntimeChoices, type ToWebview } from '../protocol';
import { analyze, deviceChoices, estimateAll, knownDevices, measurementsFrom, withRuntimeChoice } from './core';
import { configuredDevices } from './analysis-view';
import { webviewHtml, webviewOptions } from './html';
import { errorText, log } from './log';
import { displayPath, measurementsStoreFor } from './workspace';
import { watchMeasurements } from './measurements-watch';

export const COMPARISON_VIEW_TYPE = 'edgePlanner.comparison';

interface Entry {
  uri: vscode.Uri;
  result?: AnalysisResult;
  error?: string;
}

export async function showComparison(extensionUri: vscode.Uri, uris: vscode.Uri[], title: string): Promise<void> {
  const panel = vscode.window.createWebviewPanel(COMPARISON_VIEW_TYPE, title, vscode.ViewColumn.Active, webviewOptions(extensionUri));
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
  panel.webview.html = webviewHtml(panel.webview, extensionUri, { script: 'comparison.js', title, kind: 'comparison' });

  let ready = false;
  let state: ToWebview | undefined;
  let disposed = false;
  const entries: Entry[] = uris.map((uri) => ({ uri }));
  let devices: DeviceChoice[] = [];
  let selected = configuredDevices();
  let cpuThreads: number | null = null;
  let runtimes: RuntimeChoices = {};
  const cancel = new vscode.CancellationTokenSource();

  const post = (msg: ToWebview): void => {
    state = msg;
    if (ready && !disposed) void panel.webview.postMessage(msg);
  };

  const view = async (): Promise<ComparisonViewModel> => {
    const models: ComparisonModel[] = [];
    for (const e of entries) {
      if (!e.result) {
        models.push({ file: displayPath(e.uri), error: e.error ?? 'not analyzed', results: [] });
        continue;
      }
      const m = e.result.model;
      models.push({
        file: displayPath(e.uri),
        format: m.format,
        params: m.params,
        macs: m.macs,
        weightBytes: m.weightBytes,
        results: await estimateAll(e.result, selected, { withLayers: false, cpuThreads: cpuThreads ?? undefined, runtimes, measurements: await measurementsFrom(measurementsStoreFor(e.uri)) }),
      });
    }
    return { title, models, devices, selectedDevices: selected, cpuThreads, runtimes };
  };

  // A run recorded with `edgeplan measure` in a compared model's folder changes the figures: estimate again.
  const folders = [...new Set(uris.map((u) => vscode.workspace.getWorkspaceFolder(u)).filter((f): f is vscode.WorkspaceFolder => !!f))];
  const reestimate = (): void => {
    if (!disposed && state?.type === 'comparison/result') void view().then((v) => post({ type: 'comparison/result', view: v }), (e) => log.error('comparison view: re-estimate after a measurement failed', e));
  };
  const storeWatchers = folders.map((f) => watchMeasurements(f, reestimate));

  panel.onDidDispose(() => {
    disposed = true;
    cancel.cancel();
    cancel.dispose();
    for (const w of storeWatchers) w.dispose();
  });
  panel.webview.onDidReceiveMessage(async (raw) => {
    const parsed = parseFromWebview(raw);
    if (!parsed.ok) {
      log.warn(`comparison view: ignored a malformed message (${parsed.error})`);
      return;
    }
    const msg = parsed.message;
    try {
      switch (msg.type) {
        case 'ready':
          ready = true;
          if (state) void panel.webview.postMessage(state);
          return;
        case 'log':
          log[msg.level](`webview: ${msg.message}`);
          return;
        case 'showLog':
          log.show();
          return;
        case 'comparison/selectDevices':
          selected = knownDevices(msg.deviceIds, devices);
          post({ type: 'comparison/result', view: await view() });
          return;
        case 'comparison/setThreads':
          cpuThreads = msg.cpuThreads;
          post({ type: 'comparison/result', view: await view() });
          return;
        case 'comparison/setRuntime':
          runtimes = withRuntimeChoice(runtimes, devices, msg.deviceId, msg.runtime);
          post({ type: 'comparison/result', view: await view() });
          return;
        case 'comparison/openModel': {
          const entry = entries.find((e) => displayPath(e.uri) === msg.file);
          if (entry) await vscode.commands.executeCommand('edgePlanner.analyze', entry.uri);
          else log.warn(`comparison view: asked to open "${msg.file}", which is not in this comparison`);
          return;
        }
        default:
          log.warn(`comparison view: message "${msg.type}" does not belong to this view; ignored`);
      }
    } catch (e) {
      log.error(`comparison view: ${msg.type} failed`, e);
    }
  });

  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => cancel.cancel());
      devices = await deviceChoices();
      selected = knownDevices(selected, devices);
      for (let i = 0; i < entries.length; i++) {
        if (cancel.token.isCancellationRequested || disposed) break;
        const e = entries[i];
        const name = displayPath(e.uri);
        progress.report({ increment: 100 / entries.length, message: `${i + 1}/${entries.length} ${name}` });
        post({ type: 'comparison/progress', done: i, total: entries.length, message: `Analyzing ${name}` });
        try {
          e.result = await analyze(e.uri.fsPath, { onProgress: () => cancel.token.isCancellationRequested || disposed });
        } catch (err) {
          e.error = errorText(err);
          log.warn(`comparison: ${name}: ${e.error}`);
        }
      }
      for (const e of entries) if (!e.result && !e.error) e.error = 'Analysis cancelled.';
      if (!disposed) post({ type: 'comparison/result', view: await view() });
    },
  );
}
