/**
 * One analysis view of one model file, in any webview (the analysis panel or the read-only model editor):
 * runs the analysis with progress, estimates the selected devices, answers the view's messages, runs the
 * benchmark and "Verify on this machine" (verify.ts), and re-analyzes when the file changes on disk.
 */
import * as vscode from 'vscode';
import * as path from 'path';
import type { AnalysisResult } from '../analyzers/profile-types';
import { bindingsProblems, parseFromWebview, type AnalysisViewModel, type BenchmarkAvailability, type DeviceChoice, type FromWebview, type RuntimeChoices, type ToWebview } from '../protocol';
import { analyze, deviceChoices, estimateAll, forget, knownDevices, loadCore, measurementsFrom, withRuntimeChoice } from './core';
import { log, errorText, showError } from './log';
import { displayPath, inWorkspace, isPackage, measurementsStoreFor } from './workspace';
import { watchMeasurements } from './measurements-watch';
import { runBenchmark } from './benchmark';
import { bindingsFor, onDidChangeBindings, setBindings } from './bindings-store';
import { verifyAvailability, VerifyRunner } from './verify';

export interface AnalysisViewOptions {
  /** Where analysis progress shows: a cancellable notification (explicit command) or the status bar (editor). */
  progress: 'notification' | 'window';
  /** Offered when the file cannot be read as a model ("Reopen With Text Editor"). */
  reopenAsText?: () => void;
  /** Initial device selection; defaults to the edgePlanner.defaultDevices setting. */
  devices?: string[];
  /** Symbolic dimension sizes to start with (a restored panel's state); defaults to the ones kept for this model. */
  bindings?: Record<string, number>;
}

export function configuredDevices(): string[] {
  return vscode.workspace.getConfiguration('edgePlanner').get<string[]>('defaultDevices', []) ?? [];
}

export function benchmarkAvailability(uri: vscode.Uri, format: string | undefined): BenchmarkAvailability {
  if (format !== 'onnx') {
    return { available: false, reason: `Benchmarking runs ONNX models with onnxruntime-node; this is ${format ? `a ${format} model` : 'not an ONNX model'}.` };
  }
  if (uri.scheme !== 'file') return { available: false, reason: 'Benchmarking needs a file on the local file system.' };
  if (!vscode.workspace.isTrusted) {
    return { available: false, reason: 'Disabled in Restricted Mode: benchmarking loads and runs the model with onnxruntime-node. Trust this workspace to enable it.' };
  }
  return { available: true };
}

export class AnalysisController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;
  /** The latest view state (loading, result or error) and benchmark state, replayed when the webview (re)loads. */
  private state: ToWebview | undefined;
  private benchmarkState: ToWebview | undefined;
  private verifyState: ToWebview | undefined;
  private readonly verifier = new VerifyRunner((m) => this.post(m));
  private result: AnalysisResult | undefined;
  private devices: DeviceChoice[] = [];
  private selected: string[];
  /** The CPU threads the estimates assume (the user's field; the CLI's --threads); null = every core. */
  private cpuThreads: number | null = null;
  /** The runtime chosen per device on its card (the CLI's --runtime); absent: the device's default. */
  private runtimes: RuntimeChoices = {};
  /** The symbolic dimension sizes the analysis runs with (undefined: the analyzers' defaults). */
  private bindings: Record<string, number> | undefined;
  private generation = 0;
  private benchmarkAbort: AbortController | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly webview: vscode.Webview,
    readonly uri: vscode.Uri,
    private readonly opts: AnalysisViewOptions,
  ) {
    this.selected = opts.devices ?? configuredDevices();
    this.bindings = opts.bindings ?? bindingsFor(uri);
    if (opts.bindings) setBindings(uri, opts.bindings);
    this.disposables.push(
      webview.onDidReceiveMessage((raw) => this.onMessage(raw)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.updateBenchmarkAvailability()),
      // Another view of the same model (panel and editor) applied new sizes: show the same figures.
      onDidChangeBindings((key) => {
        if (key !== uri.toString() || this.disposed) return;
        const next = bindingsFor(uri);
        if (JSON.stringify(next ?? {}) === JSON.stringify(this.bindings ?? {})) return;
        this.bindings = next;
        void this.run('window');
      }),
    );
    if (uri.scheme === 'file') {
      // A Core ML package is a folder: any file in it changing changes the model.
      const pattern = isPackage(uri) ? new vscode.RelativePattern(uri, '**/*') : new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath));
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      watcher.onDidChange(() => this.scheduleRefresh());
      watcher.onDidCreate(() => this.scheduleRefresh());
      watcher.onDidDelete(() => {
        this.post({ type: 'analysis/error', file: displayPath(uri), message: `${path.basename(uri.fsPath)} was deleted.`, canReopenAsText: false });
      });
      this.disposables.push(watcher);
      // A run recorded with `edgeplan measure` in this folder changes the figures: estimate the shown devices again.
      const wf = inWorkspace(uri);
      if (wf) {
        this.disposables.push(watchMeasurements(wf.folder, () => {
          if (!this.disposed && this.result) void this.selectDevices(this.selected);
        }));
      }
    }
  }

  get file(): string {
    return this.uri.fsPath;
  }

  /** Starts (or restarts) the analysis. */
  run(progress: 'notification' | 'window' = this.opts.progress): Promise<void> {
    const gen = ++this.generation;
    const name = path.basename(this.file);
    this.post({ type: 'analysis/loading', file: displayPath(this.uri), message: 'Reading the model…', fraction: 0 });
    return Promise.resolve(
      vscode.window.withProgress(
        {
          location: progress === 'notification' ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window,
          title: `Analyzing ${name}`,
          cancellable: progress === 'notification',
        },
        async (report, token) => {
          let last = 0;
          let lastPost = 0;
          try {
            const result = await analyze(this.file, {
              bindings: this.bindings,
              onProgress: (fraction, message) => {
                const f = Math.max(0, Math.min(1, fraction));
                if (f > last) {
                  report.report({ increment: (f - last) * 100, message });
                  last = f;
                }
                const now = Date.now();
                if (now - lastPost > 100) {
                  lastPost = now;
                  this.post({ type: 'analysis/loading', file: displayPath(this.uri), message, fraction: f });
                }
                return token.isCancellationRequested || gen !== this.generation || this.disposed;
              },
            });
            if (gen !== this.generation || this.disposed) return;
            report.report({ message: 'Estimating devices' });
            this.result = result;
            this.devices = await deviceChoices();
            this.selected = knownDevices(this.selected, this.devices);
            const results = await estimateAll(result, this.selected, { cpuThreads: this.cpuThreads ?? undefined, runtimes: this.runtimes, measurements: await measurementsFrom(measurementsStoreFor(this.uri)) });
            if (gen !== this.generation || this.disposed) return;
            this.post({ type: 'analysis/result', view: this.viewModel(result, results) });
          } catch (e) {
            if (gen !== this.generation || this.disposed) return;
            await this.fail(e);
          }
        },
      ),
    );
  }

  private viewModel(result: AnalysisResult, results: AnalysisViewModel['results']): AnalysisViewModel {
    const planner = inWorkspace(this.uri)
      ? { available: true }
      : { available: false, reason: 'The planner keeps its plan in the workspace (.edgeplan/); open the folder that contains this model to plan it.' };
    return {
      file: displayPath(this.uri),
      resource: this.uri.toString(),
      result,
      devices: this.devices,
      selectedDevices: this.selected,
      cpuThreads: this.cpuThreads,
      runtimes: this.runtimes,
      results,
      benchmark: benchmarkAvailability(this.uri, result.model.format),
      verify: verifyAvailability(this.uri, result.model.format),
      planner,
    };
  }

  private async fail(e: unknown): Promise<void> {
    const { ModelFileError, AnalysisCancelled } = await loadCore();
    const file = displayPath(this.uri);
    if (e instanceof AnalysisCancelled) {
      log.info(`analysis of ${file} cancelled`);
      this.post({ type: 'analysis/error', file, message: 'Analysis cancelled.', canReopenAsText: !!this.opts.reopenAsText });
      return;
    }
    const message = errorText(e);
    if (e instanceof ModelFileError) log.warn(`cannot analyze ${file}: ${message}`);
    else log.error(`analysis of ${file} failed`, e);
    this.post({ type: 'analysis/error', file, message, canReopenAsText: !!this.opts.reopenAsText });
    const actions = this.opts.reopenAsText ? ['Reopen With Text Editor'] : [];
    void showError(message.startsWith(`${path.basename(this.file)}:`) ? `Cannot analyze ${message}` : `Cannot analyze ${path.basename(this.file)}: ${message}`, ...actions).then((choice) => {
      if (choice === 'Reopen With Text Editor') this.opts.reopenAsText?.();
    });
  }

  private post(msg: ToWebview): void {
    if (msg.type === 'benchmark/state') this.benchmarkState = msg;
    else if (msg.type === 'verify/state') this.verifyState = msg;
    else if (msg.type === 'analysis/loading' || msg.type === 'analysis/result' || msg.type === 'analysis/error') {
      this.state = msg;
      if (msg.type !== 'analysis/loading') this.benchmarkState = this.benchmarkState?.type === 'benchmark/state' && this.benchmarkState.state === 'running' ? this.benchmarkState : undefined;
    }
    if (this.ready && !this.disposed) void this.webview.postMessage(msg);
  }

  private onMessage(raw: unknown): void {
    const parsed = parseFromWebview(raw);
    if (!parsed.ok) {
      log.warn(`analysis view: ignored a malformed message (${parsed.error})`);
      return;
    }
    void this.handle(parsed.message).catch((e) => log.error(`analysis view: ${parsed.message.type} failed`, e));
  }

  private async handle(msg: FromWebview): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        if (this.state) void this.webview.postMessage(this.state);
        if (this.benchmarkState) void this.webview.postMessage(this.benchmarkState);
        if (this.verifyState) void this.webview.postMessage(this.verifyState);
        return;
      case 'log':
        log[msg.level](`webview: ${msg.message}`);
        return;
      case 'showLog':
        log.show();
        return;
      case 'analysis/selectDevices':
        await this.selectDevices(msg.deviceIds);
        return;
      case 'analysis/setThreads':
        this.cpuThreads = msg.cpuThreads;
        await this.selectDevices(this.selected);
        return;
      case 'analysis/setRuntime':
        this.runtimes = withRuntimeChoice(this.runtimes, this.devices, msg.deviceId, msg.runtime);
        await this.selectDevices(this.selected);
        return;
      case 'analysis/openPlanner':
        await vscode.commands.executeCommand('edgePlanner.openPlanner', this.uri);
        return;
      case 'analysis/benchmark':
        await this.benchmark();
        return;
      case 'analysis/cancelBenchmark':
        this.benchmarkAbort?.abort();
        return;
      case 'verify/start':
        if (this.result) await this.verifier.run({ uri: this.uri, analysis: this.result, technique: msg.technique, data: msg.data, primaryDevice: this.selected[0] });
        return;
      case 'verify/cancel':
        this.verifier.cancel();
        return;
      case 'analysis/reopenAsText':
        if (this.opts.reopenAsText) this.opts.reopenAsText();
        else await vscode.commands.executeCommand('vscode.openWith', this.uri, 'default');
        return;
      case 'analysis/retry':
        forget(this.file);
        await this.run();
        return;
      case 'analysis/bind':
        await this.bind(msg.bindings);
        return;
      default:
        log.warn(`analysis view: message "${msg.type}" does not belong to this view; ignored`);
    }
  }

  private async selectDevices(ids: string[]): Promise<void> {
    if (!this.result) return;
    this.selected = knownDevices(ids, this.devices);
    const cpuThreads = this.cpuThreads;
    const runtimes = this.runtimes;
    const results = await estimateAll(this.result, this.selected, { cpuThreads: cpuThreads ?? undefined, runtimes, measurements: await measurementsFrom(measurementsStoreFor(this.uri)) });
    if (this.state?.type === 'analysis/result') {
      this.state = { type: 'analysis/result', view: { ...this.state.view, selectedDevices: this.selected, cpuThreads, runtimes, results } };
    }
    if (this.ready) void this.webview.postMessage({ type: 'analysis/estimates', selectedDevices: this.selected, cpuThreads, runtimes, results } satisfies ToWebview);
  }

  /** Re-runs the analysis with the user's symbolic dimension sizes, after checking them against the model's symbols. */
  private async bind(bindings: Record<string, number>): Promise<void> {
    if (!this.result) return;
    const problems = bindingsProblems(bindings, this.result.model.dynamicShapes.symbols);
    if (problems.length) {
      log.warn(`analysis view: refused dimension sizes (${problems.map((p) => `${p.symbol}: ${p.message}`).join('; ')})`);
      if (this.ready && !this.disposed) void this.webview.postMessage({ type: 'analysis/bindError', errors: problems } satisfies ToWebview);
      return;
    }
    this.bindings = { ...bindings };
    setBindings(this.uri, this.bindings);
    log.info(`${displayPath(this.uri)}: analyzing with ${Object.entries(bindings).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    await this.run('window');
  }

  private updateBenchmarkAvailability(): void {
    if (this.state?.type !== 'analysis/result') return;
    const format = this.state.view.result.model.format;
    const view = { ...this.state.view, benchmark: benchmarkAvailability(this.uri, format), verify: verifyAvailability(this.uri, format) };
    this.post({ type: 'analysis/result', view });
  }

  private async benchmark(): Promise<void> {
    const availability = benchmarkAvailability(this.uri, this.result?.model.format);
    if (!availability.available) {
      this.post({ type: 'benchmark/state', state: 'error', message: availability.reason });
      return;
    }
    if (this.benchmarkAbort) return; // already running
    const abort = new AbortController();
    this.benchmarkAbort = abort;
    this.post({ type: 'benchmark/state', state: 'running', message: 'Running the model with onnxruntime-node…' });
    try {
      const view = await runBenchmark(this.file, abort, this.result?.model.dynamicShapes.bindings ?? {});
      this.post(view ? { type: 'benchmark/state', state: 'done', result: view } : { type: 'benchmark/state', state: 'cancelled', message: 'Benchmark cancelled.' });
    } catch (e) {
      const message = errorText(e);
      log.error(`benchmark of ${this.file} failed`, e);
      this.post({ type: 'benchmark/state', state: 'error', message });
      void showError(`Benchmark failed: ${message}`);
    } finally {
      this.benchmarkAbort = undefined;
    }
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (this.disposed) return;
      log.info(`${displayPath(this.uri)} changed on disk; analyzing again`);
      forget(this.file);
      void this.run('window');
    }, 400);
  }

  dispose(): void {
    this.disposed = true;
    this.generation++;
    this.benchmarkAbort?.abort();
    this.verifier.cancel();
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
  }
}
