/**
 * The Edge Deployment Planner: a single-page form over DeploymentPlan for one model. Pre-filled from the analysis
 * and the recommendation; every edit is validated (errors go next to their fields), saved as a draft to
 * `.edgeplan/<slug>.plan.json` (atomic, debounced) and, when devices or budgets change, the estimates and the
 * recommendation are computed again (debounced). The webview also keeps the draft in its own state, and a
 * WebviewPanelSerializer restores the panel after a window reload.
 */
import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import type { AnalysisResult } from '../analyzers/profile-types';
import { serializePlan, type DeploymentPlan } from '../planner/plan';
import {
  parseFromWebview,
  type DeviceChoice,
  type ExportFormat,
  type FieldError,
  type FromWebview,
  type PlannerFigures,
  type PlannerInit,
  type TechniqueChoice,
  type ToWebview,
} from '../protocol';
import { analyze, deviceChoices, estimateAll, knownDevices, loadCore, measurementsFrom, planRuntimes, recommendFor } from './core';
import { configuredDevices } from './analysis-view';
import { webviewHtml, webviewOptions } from './html';
import { errorText, log, showError } from './log';
import { checkPlan } from './plan-errors';
import { Debouncer, planFileFor, writeFileAtomic } from './plan-files';
import { isRegularFile, MAX_JSON_FILE_BYTES, readRegularFile } from '../fs-util';
import { measurementsStore, requireWorkspaceModel, type WorkspaceFile } from './workspace';
import { announceExport, exportPlanFile, FORMAT_LABELS } from './export';
import { watchMeasurements } from './measurements-watch';
import { bindingsFor, onDidChangeBindings, restoredBindings, setBindings } from './bindings-store';
import { verifyAvailability, VerifyRunner } from './verify';

export const PLANNER_VIEW_TYPE = 'edgePlanner.planner';

const TECHNIQUES: TechniqueChoice[] = [
  { id: 'none', label: 'No compression' },
  { id: 'fp16', label: 'FP16 conversion' },
  { id: 'int8-dynamic', label: 'INT8 dynamic-range quantization' },
  { id: 'int8-ptq', label: 'INT8 post-training quantization' },
  { id: 'int8-qat', label: 'INT8 quantization-aware training' },
  { id: 'int4-weight-only', label: 'INT4 weight-only quantization' },
  { id: 'structured-pruning', label: 'Structured pruning' },
  { id: 'sparsity', label: 'Unstructured sparsity' },
  { id: 'distillation', label: 'Knowledge distillation' },
  { id: 'low-rank', label: 'Low-rank factorization' },
  { id: 'op-rewrite', label: 'Operator rewrite' },
  { id: 'change-runtime', label: 'Change runtime' },
  { id: 'change-device', label: 'Change device' },
];

/** What the webview keeps in its state (vscode.setState) and the serializer gets back after a reload. */
export interface PlannerWebviewState {
  resource: string;
  plan?: unknown;
  /** The symbolic dimension sizes the figures used (not in the plan file: DeploymentPlan has no field for them). */
  bindings?: unknown;
}

const open = new Map<string, PlannerController>();

/** Flushes every pending draft write (on deactivate). */
export function flushAllPlanners(): void {
  for (const c of open.values()) c.flush();
}

/** The planner that is focused, or the only one open (for the "Export Deployment Plan…" command). */
export function activePlanner(): PlannerController | undefined {
  for (const c of open.values()) if (c.isActive) return c;
  return open.size === 1 ? [...open.values()][0] : undefined;
}

/** What the shown figures depend on: targets, budgets, the CPU thread count and the runtime (a change re-estimates). */
const figuresKeyOf = (plan: DeploymentPlan): string => JSON.stringify({ t: plan.targets, b: plan.budgets, c: plan.runtime.cpuThreads, r: plan.runtime.name.trim() });

/** Opens the planner for a model, or reveals the one already open. */
export async function openPlanner(extensionUri: vscode.Uri, modelUri: vscode.Uri): Promise<void> {
  const wf = requireWorkspaceModel(modelUri);
  const key = planPathFor(wf);
  const existing = open.get(key);
  if (existing) {
    existing.reveal();
    return;
  }
  const panel = vscode.window.createWebviewPanel(PLANNER_VIEW_TYPE, plannerTitle(wf), vscode.ViewColumn.Active, webviewOptions(extensionUri));
  const controller = new PlannerController(extensionUri, panel, wf, undefined);
  await controller.start('notification');
}

export function registerPlannerSerializer(extensionUri: vscode.Uri): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(PLANNER_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
      const s = (typeof state === 'object' && state !== null ? state : {}) as Partial<PlannerWebviewState>;
      let wf: WorkspaceFile | undefined;
      try {
        wf = typeof s.resource === 'string' ? requireWorkspaceModel(vscode.Uri.parse(s.resource, true)) : undefined;
      } catch (e) {
        log.warn(`planner not restored: ${errorText(e)}`);
      }
      if (!wf || open.has(planPathFor(wf))) {
        panel.dispose();
        return;
      }
      panel.title = plannerTitle(wf);
      const bindings = restoredBindings(s.bindings);
      if (bindings && !bindingsFor(wf.uri)) setBindings(wf.uri, bindings);
      const controller = new PlannerController(extensionUri, panel, wf, s.plan);
      await controller.start('window');
    },
  });
}

const planPathFor = (wf: WorkspaceFile): string => path.join(wf.folder.uri.fsPath, ...planFileFor(wf.rel).split('/'));
const plannerTitle = (wf: WorkspaceFile): string => `Plan: ${path.basename(wf.rel)}`;

export class PlannerController {
  private readonly planPath: string;
  private readonly planRel: string;
  private ready = false;
  private disposed = false;
  private state: ToWebview | undefined;
  private analysis: AnalysisResult | undefined;
  private devices: DeviceChoice[] = [];
  private plan: DeploymentPlan | undefined;
  /** The targets+budgets the shown figures were computed for. */
  private figuresKey = '';
  private lastSeq = 0;
  private figures: PlannerFigures | null = null;
  private errors: FieldError[] = [];
  private readonly saver: Debouncer;
  private readonly estimator: Debouncer;
  private backedUp = false;
  private exporting = false;
  private readonly verifier = new VerifyRunner((m) => this.post(m));
  private verifyState: ToWebview | undefined;
  private settleStarted: (ready: boolean) => void = () => undefined;
  /** Settles when start() is over: true with the analysis and the plan in hand, false when it failed or the panel closed. */
  private readonly started = new Promise<boolean>((resolve) => (this.settleStarted = resolve));

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly panel: vscode.WebviewPanel,
    readonly model: WorkspaceFile,
    private readonly restoredPlan: unknown,
  ) {
    this.planRel = planFileFor(model.rel);
    this.planPath = planPathFor(model);
    open.set(this.planPath, this);
    this.saver = new Debouncer(400, () => this.save());
    this.estimator = new Debouncer(300, () => void this.recompute());
    panel.webview.options = webviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, { script: 'planner.js', title: plannerTitle(model), kind: 'planner' });
    panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw));
    panel.onDidDispose(() => this.dispose());
    this.bindingsListener = onDidChangeBindings((key) => {
      if (key === model.uri.toString() && !this.disposed) void this.rebind();
    });
    // A run recorded with `edgeplan measure` (in a terminal, beside the editor) changes the figures: recompute.
    this.storeWatcher = watchMeasurements(model.folder, () => {
      if (!this.disposed && this.plan) this.estimator.schedule();
    });
  }

  private readonly bindingsListener: vscode.Disposable;
  private readonly storeWatcher: vscode.Disposable;

  get isActive(): boolean {
    return this.panel.active;
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** The current plan and analysis, for the export command. */
  snapshot(): { plan: DeploymentPlan; analysis: AnalysisResult; model: WorkspaceFile } | undefined {
    return this.plan && this.analysis ? { plan: this.plan, analysis: this.analysis, model: this.model } : undefined;
  }

  async start(progress: 'notification' | 'window'): Promise<void> {
    this.post({ type: 'planner/loading', message: `Analyzing ${this.model.rel}…` });
    try {
      await vscode.window.withProgress(
        {
          location: progress === 'notification' ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window,
          title: `Preparing the deployment plan for ${path.basename(this.model.rel)}`,
          cancellable: progress === 'notification',
        },
        async (report, token) => {
          this.analysis = await analyze(this.model.uri.fsPath, {
            bindings: bindingsFor(this.model.uri),
            onProgress: (_f, message) => {
              report.report({ message });
              return token.isCancellationRequested || this.disposed;
            },
          });
          if (this.disposed) return;
          this.devices = await deviceChoices();
          const { plan, from } = await this.initialPlan(this.analysis);
          if (this.disposed) return;
          const check = checkPlan(plan, this.knownIds());
          this.plan = check.plan;
          this.errors = check.errors;
          this.figures = await this.computeFigures(0);
          const writeNow = from !== 'file' || !fs.existsSync(this.planPath);
          const init: PlannerInit = {
            planFile: this.planRel,
            resource: this.model.uri.toString(),
            plan: this.plan,
            devices: this.devices,
            techniques: TECHNIQUES,
            model: this.modelSummary(this.analysis),
            figures: this.figures,
            errors: this.errors,
            restoredFrom: from === 'new' ? undefined : from,
            bindings: this.bindingsOf(this.analysis),
            verify: verifyAvailability(this.model.uri, this.analysis.model.format),
          };
          this.post({ type: 'planner/init', init });
          if (writeNow) this.save();
        },
      );
    } catch (e) {
      if (this.disposed) return;
      const message = errorText(e);
      log.error(`planner for ${this.model.rel} failed to start`, e);
      this.post({ type: 'planner/error', message: `Cannot prepare the plan: ${message}` });
      void showError(`Cannot open the planner for ${path.basename(this.model.rel)}: ${message}`);
    } finally {
      this.settleStarted(!this.disposed && this.plan !== undefined && this.analysis !== undefined);
    }
  }

  private modelSummary(a: AnalysisResult): PlannerInit['model'] {
    return {
      file: this.model.rel,
      format: a.model.format,
      params: a.model.params,
      macs: a.model.macs,
      weightBytes: a.model.weightBytes,
      peakActivationBytes: a.model.peakActivationBytes,
    };
  }

  /** The sizes of the model's symbolic dimensions the figures use; undefined when the model has none. */
  private bindingsOf(a: AnalysisResult): Record<string, number> | undefined {
    const d = a.model.dynamicShapes;
    return d.symbols.length ? Object.fromEntries(d.symbols.map((s) => [s, d.bindings[s] ?? 1])) : undefined;
  }

  /** The analysis view applied new dimension sizes for this model: analyze again, recompute, show the new figures. */
  private async rebind(): Promise<void> {
    if (!this.analysis || this.state?.type !== 'planner/init') return;
    try {
      const analysis = await analyze(this.model.uri.fsPath, { bindings: bindingsFor(this.model.uri) });
      if (this.disposed) return;
      this.analysis = analysis;
      this.figures = await this.computeFigures(this.lastSeq);
      if (this.disposed || this.state?.type !== 'planner/init') return;
      this.post({
        type: 'planner/init',
        init: { ...this.state.init, plan: this.plan ?? this.state.init.plan, model: this.modelSummary(analysis), figures: this.figures, errors: this.errors, bindings: this.bindingsOf(analysis) },
      });
    } catch (e) {
      log.error(`planner ${this.planRel}: analysis with the new dimension sizes failed`, e);
      this.post({ type: 'planner/figures', figures: { seq: this.lastSeq, results: [], recommendation: null, error: `Cannot analyze with the new dimension sizes: ${errorText(e)}` } });
    }
  }

  private knownIds(): Set<string> {
    return new Set(this.devices.map((d) => d.id));
  }

  /** The restored draft, else the saved plan file, else a new plan pre-filled from the analysis and recommendation. */
  private async initialPlan(analysis: AnalysisResult): Promise<{ plan: DeploymentPlan | unknown; from: 'draft' | 'file' | 'new' }> {
    if (this.restoredPlan && typeof this.restoredPlan === 'object') {
      log.info(`planner ${this.planRel}: restored the draft kept by the webview`);
      return { plan: this.restoredPlan, from: 'draft' };
    }
    if (fs.existsSync(this.planPath)) {
      try {
        const raw = JSON.parse(readRegularFile(this.planPath, { maxBytes: MAX_JSON_FILE_BYTES, what: 'plan file' }).toString('utf8')) as unknown;
        log.info(`planner ${this.planRel}: loaded the saved plan`);
        return { plan: raw, from: 'file' };
      } catch (e) {
        this.backup(`cannot be read (${errorText(e)})`);
      }
    }
    const targets = knownDevices(configuredDevices(), this.devices);
    const { buildPlanDocument } = await loadCore();
    const doc = buildPlanDocument({ analysis, modelFile: this.model.rel, deviceIds: targets.length ? targets : this.devices.slice(0, 1).map((d) => d.id), corrections: await measurementsFrom(measurementsStore(this.model.folder)) });
    return { plan: doc.plan, from: 'new' };
  }

  /** Keeps an unreadable plan file beside the new one instead of overwriting it. */
  private backup(why: string): void {
    // Only a regular file is copied (copying a FIFO or a device would hang or never end).
    if (this.backedUp || !isRegularFile(this.planPath)) return;
    this.backedUp = true;
    const bak = `${this.planPath}.bak`;
    try {
      fs.copyFileSync(this.planPath, bak);
      log.warn(`${this.planRel} ${why}; kept a copy as ${path.basename(bak)} and started a new plan`);
      void vscode.window.showWarningMessage(`${this.planRel} ${why}. A copy was kept as ${path.basename(bak)}; the planner starts from a new plan.`);
    } catch (e) {
      log.error(`could not back up ${this.planPath}`, e);
    }
  }

  private async computeFigures(seq: number): Promise<PlannerFigures | null> {
    if (!this.analysis || !this.plan) return null;
    const plan = this.plan;
    this.figuresKey = figuresKeyOf(plan);
    const targets = plan.targets.filter((t) => this.knownIds().has(t));
    if (targets.length === 0) return { seq, results: [], recommendation: null, error: 'Choose at least one target device to see estimates.' };
    try {
      const runtimes = await planRuntimes(plan, targets);
      const measurements = await measurementsFrom(measurementsStore(this.model.folder));
      const results = await estimateAll(this.analysis, targets, { budgets: plan.budgets, withLayers: false, cpuThreads: plan.runtime.cpuThreads, runtimes, measurements });
      let recommendation = null;
      let error: string | undefined;
      try {
        recommendation = await recommendFor(this.analysis, targets[0], plan.budgets, { verification: plan.verification, cpuThreads: plan.runtime.cpuThreads, runtime: runtimes[targets[0]], measurements, preferredDevices: targets.slice(1) });
      } catch (e) {
        error = `No recommendation: ${errorText(e)}`;
        log.warn(`recommendation for ${targets[0]} failed: ${errorText(e)}`);
      }
      return { seq, results, recommendation, error };
    } catch (e) {
      log.error('planner figures failed', e);
      return { seq, results: [], recommendation: null, error: errorText(e) };
    }
  }

  private async recompute(): Promise<void> {
    const seq = this.lastSeq;
    const figures = await this.computeFigures(seq);
    if (figures && !this.disposed) {
      this.figures = figures;
      this.post({ type: 'planner/figures', figures });
    }
  }

  private save(): void {
    if (!this.plan) return;
    try {
      writeFileAtomic(this.planPath, serializePlan(this.plan));
      const at = new Date().toISOString();
      log.debug(`saved ${this.planRel}`);
      if (!this.disposed && this.ready) void this.panel.webview.postMessage({ type: 'planner/saved', file: this.planRel, at } satisfies ToWebview);
    } catch (e) {
      log.error(`could not save ${this.planPath}`, e);
      if (!this.disposed && this.ready) void this.panel.webview.postMessage({ type: 'planner/saveError', message: `Could not save ${this.planRel}: ${errorText(e)}` } satisfies ToWebview);
    }
  }

  /** Writes a pending draft now. */
  flush(): void {
    this.saver.flush();
  }

  private post(msg: ToWebview): void {
    if (msg.type === 'planner/loading' || msg.type === 'planner/init' || msg.type === 'planner/error') this.state = msg;
    if (msg.type === 'verify/state') this.verifyState = msg;
    if (this.ready && !this.disposed) void this.panel.webview.postMessage(msg);
  }

  private onMessage(raw: unknown): void {
    const parsed = parseFromWebview(raw);
    if (!parsed.ok) {
      log.warn(`planner: ignored a malformed message (${parsed.error})`);
      return;
    }
    void this.handle(parsed.message).catch((e) => log.error(`planner: ${parsed.message.type} failed`, e));
  }

  private async handle(msg: FromWebview): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        // A webview that reloads (hidden and shown again) gets the current plan, not the one it started with.
        if (this.state?.type === 'planner/init' && this.plan) {
          this.state = { type: 'planner/init', init: { ...this.state.init, plan: this.plan, figures: this.figures, errors: this.errors } };
        }
        if (this.state) void this.panel.webview.postMessage(this.state);
        if (this.verifyState) void this.panel.webview.postMessage(this.verifyState);
        return;
      case 'log':
        log[msg.level](`planner webview: ${msg.message}`);
        return;
      case 'showLog':
        log.show();
        return;
      case 'planner/edit':
        this.edit(msg.seq, msg.plan);
        return;
      case 'planner/export':
        await this.export(msg.format);
        return;
      case 'verify/start':
        await this.verify(msg.technique, msg.data);
        return;
      case 'verify/cancel':
        this.verifier.cancel();
        return;
      default:
        log.warn(`planner: message "${msg.type}" does not belong to this view; ignored`);
    }
  }

  private edit(seq: number, raw: unknown): void {
    if (!this.analysis) return; // not initialised yet: nothing to edit
    if (seq < this.lastSeq) return; // an older edit arriving late
    this.lastSeq = seq;
    const check = checkPlan(raw, this.knownIds());
    // The model a plan belongs to is fixed by its file name; the form cannot move it to another model.
    check.plan.model.file = this.model.rel;
    // Measurements come from "Verify on this machine", never from the form.
    if (this.plan?.verification) check.plan.verification = this.plan.verification;
    else delete check.plan.verification;
    this.plan = check.plan;
    this.errors = check.errors;
    this.post({ type: 'planner/validation', seq, errors: check.errors });
    this.saver.schedule();
    if (figuresKeyOf(check.plan) !== this.figuresKey) this.estimator.schedule();
  }

  /** The walkthrough's "Verify on this machine" step (the same as the planner's button). */
  async startVerify(technique: Parameters<VerifyRunner['run']>[0]['technique'], data: 'synthetic' | 'folder'): Promise<void> {
    if (await this.started) await this.verify(technique, data);
  }

  /** "Verify on this machine": measure the technique, keep the measurement in the plan, re-rank with it. */
  private async verify(technique: Parameters<VerifyRunner['run']>[0]['technique'], data: 'synthetic' | 'folder'): Promise<void> {
    if (!this.plan || !this.analysis) return;
    const view = await this.verifier.run({ uri: this.model.uri, analysis: this.analysis, technique, data, primaryDevice: this.plan.targets[0] });
    if (!view || this.disposed || !this.plan) return;
    const { withVerification } = await loadCore();
    this.plan = { ...this.plan, verification: withVerification(this.plan.verification ?? [], view.verification) };
    this.save();
    await this.recompute();
  }

  async export(format: ExportFormat): Promise<void> {
    if (!this.plan || !this.analysis) return;
    if (this.exporting) {
      void vscode.window.showInformationMessage('An export is already running.');
      return;
    }
    const blocking = this.errors.filter((e) => e.field === 'plan.targets' || e.field.startsWith('plan.targets['));
    if (blocking.length) {
      this.post({ type: 'planner/exportState', format, state: 'error', message: `Fix the target devices first: ${blocking[0].message}.` });
      return;
    }
    this.exporting = true;
    this.flush();
    this.post({ type: 'planner/exportState', format, state: 'running', message: `Exporting ${FORMAT_LABELS[format].label}…` });
    try {
      const file = await exportPlanFile({ format, plan: this.plan, analysis: this.analysis, folder: this.model.folder, modelRel: this.model.rel });
      if (!file) {
        this.post({ type: 'planner/exportState', format, state: 'cancelled', message: 'Export cancelled.' });
        return;
      }
      this.post({ type: 'planner/exportState', format, state: 'done', file: path.basename(file), message: `Saved ${path.basename(file)}` });
      void announceExport(file);
    } catch (e) {
      const message = errorText(e);
      log.error(`export ${format} failed`, e);
      this.post({ type: 'planner/exportState', format, state: 'error', message });
      void showError(`Export failed: ${message}`);
    } finally {
      this.exporting = false;
    }
  }

  private dispose(): void {
    this.settleStarted(false);
    // Closing mid-edit loses nothing: write the pending draft before forgetting the panel.
    this.saver.flush();
    this.verifier.cancel();
    this.estimator.cancel();
    this.bindingsListener.dispose();
    this.storeWatcher.dispose();
    this.disposed = true;
    if (open.get(this.planPath) === this) open.delete(this.planPath);
  }
}
