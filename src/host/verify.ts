/**
 * "Verify on this machine" (analysis view and planner): builds the compressed model beside the original with
 * src/measure/verify (the measurement child process), with a cancellable progress notification, on the user's data
 * folder or on synthetic inputs, and turns the report into the view the webviews show: the measured figures (as
 * the plan keeps them) and the per-layer side-by-side of original and compressed with the estimated ms on the
 * primary target. Only ever runs in a trusted workspace.
 */
import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import type { AnalysisResult } from '../analyzers/profile-types';
import type { BenchmarkAvailability, ToWebview, VerifyView } from '../protocol';
import type { VerifiedTechnique } from '../planner/plan/verification';
import { analyze, loadCore } from './core';
import { errorText, log, showError } from './log';
import { displayPath } from './workspace';

export function verifyAvailability(uri: vscode.Uri, format: string | undefined): BenchmarkAvailability {
  if (format !== 'onnx') {
    return { available: false, reason: `Verification builds and runs ONNX models; this is ${format ? `a ${format} model` : 'not an ONNX model'}. "edgeplan plan" gives the toolchain commands for it.` };
  }
  if (uri.scheme !== 'file') return { available: false, reason: 'Verification needs a file on the local file system.' };
  if (!vscode.workspace.isTrusted) {
    return { available: false, reason: 'Disabled in Restricted Mode: verification writes a compressed model and runs both models with onnxruntime-node. Trust this workspace to enable it.' };
  }
  return { available: true };
}

export interface VerifyRequest {
  uri: vscode.Uri;
  analysis: AnalysisResult;
  technique: VerifiedTechnique;
  data: 'synthetic' | 'folder';
  /** The primary target device, for the per-layer estimates. */
  primaryDevice?: string;
}

/** Runs one verification at a time per view; `post` receives the verify/state messages. */
export class VerifyRunner {
  private abort: AbortController | undefined;

  constructor(private readonly post: (msg: ToWebview) => void) {}

  get running(): boolean {
    return this.abort !== undefined;
  }

  cancel(): void {
    this.abort?.abort();
  }

  /** The measured view, or undefined when cancelled, refused or failed (the view has been told why). */
  async run(req: VerifyRequest): Promise<VerifyView | undefined> {
    const availability = verifyAvailability(req.uri, req.analysis.model.format);
    if (!availability.available) {
      this.post({ type: 'verify/state', state: 'error', message: availability.reason });
      return undefined;
    }
    if (this.abort) return undefined;
    const file = req.uri.fsPath;
    let dataDir: string | undefined;
    if (req.data === 'folder') {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use this data folder', title: 'Samples for verification (.npy files or images; class folders or samples.csv for labels)' });
      if (!picked?.length) {
        this.post({ type: 'verify/state', state: 'cancelled', message: 'No data folder chosen.' });
        return undefined;
      }
      dataDir = picked[0].fsPath;
    }
    const outFile = path.join(path.dirname(file), `${path.basename(file).replace(/\.onnx$/i, '')}.${req.technique}.onnx`);
    if (fs.existsSync(outFile)) {
      const replace = await vscode.window.showWarningMessage(`${path.basename(outFile)} already exists. Replace it with a new ${req.technique} model?`, { modal: true }, 'Replace');
      if (replace !== 'Replace') {
        this.post({ type: 'verify/state', state: 'cancelled', message: `Kept the existing ${path.basename(outFile)}.` });
        return undefined;
      }
    }
    const abort = new AbortController();
    this.abort = abort;
    this.post({ type: 'verify/state', state: 'running', message: `Building the ${req.technique} model and measuring it…`, fraction: 0 });
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Verifying ${req.technique} of ${path.basename(file)} on this machine`, cancellable: true },
        async (progress, token) => {
          const sub = token.onCancellationRequested(() => abort.abort());
          try {
            const { verifyModel } = await loadCore();
            log.info(`verify ${file} (${req.technique}, ${dataDir ? `data ${dataDir}` : 'synthetic inputs'})`);
            const bindings = req.analysis.model.dynamicShapes.bindings;
            const report = await verifyModel(file, { technique: req.technique, dataDir, force: true, signal: abort.signal, bindings }, (message, fraction) => {
              progress.report({ message });
              this.post({ type: 'verify/state', state: 'running', message, fraction });
            });
            const view = await this.toView(req, report);
            this.post({ type: 'verify/state', state: 'done', result: view, message: `Measured on this machine; wrote ${displayPath(vscode.Uri.file(report.compressed.file))}` });
            return view;
          } finally {
            sub.dispose();
          }
        },
      );
    } catch (e) {
      if (abort.signal.aborted) {
        this.post({ type: 'verify/state', state: 'cancelled', message: 'Verification cancelled; nothing was written.' });
        return undefined;
      }
      const message = errorText(e);
      log.error(`verify of ${file} failed`, e);
      this.post({ type: 'verify/state', state: 'error', message });
      void showError(`Verification failed: ${message}`);
      return undefined;
    } finally {
      this.abort = undefined;
    }
  }

  private async toView(req: VerifyRequest, report: import('../measure/verify').VerifyReport): Promise<VerifyView> {
    const core = await loadCore();
    const compressed = await analyze(report.compressed.file, { bindings: req.analysis.model.dynamicShapes.bindings });
    const device = req.primaryDevice && core.loadCatalog().byId(req.primaryDevice) ? req.primaryDevice : undefined;
    const estimate = (a: AnalysisResult) => {
      try {
        return device ? core.estimateDevice(a.model, device, {}) : undefined;
      } catch (e) {
        log.warn(`per-layer estimate on ${device} failed: ${errorText(e)}`);
        return undefined;
      }
    };
    return {
      verification: core.verificationFromReport(report, displayPath(vscode.Uri.file(report.compressed.file))),
      layers: core.sideBySide(req.analysis.model, compressed.model, report.layers, estimate(req.analysis), estimate(compressed)),
      primaryDevice: device ? core.loadCatalog().byId(device)!.name : null,
      notes: report.notes,
    };
  }
}
