/**
 * The contributed commands. Each one checks its input (a model file inside the workspace), shows what went
 * wrong in a notification with "Show Log", and delegates to a panel or the export flow.
 */
import * as vscode from 'vscode';
import * as path from 'path';
import { EXPORT_FORMATS, type ExportFormat } from '../protocol';
import { showAnalysis } from './analysis-panel';
import { showComparison } from './comparison';
import { analyze } from './core';
import { errorText, log, showError } from './log';
import { activePlanner, openPlanner } from './planner-panel';
import { checkPlan } from './plan-errors';
import { PLAN_DIR } from './plan-files';
import { MAX_JSON_FILE_BYTES, readRegularFile } from '../fs-util';
import { initBindingsStore } from './bindings-store';
import { announceExport, exportPlanFile, FORMAT_LABELS } from './export';
import { MODEL_KINDS } from '../model-files';
import { OutsideWorkspaceError, displayPath, findModels, inWorkspace, isModelFile, requireWorkspaceModel } from './workspace';
import { workspaceSample } from './sample';

const EXCLUDE = '**/{node_modules,.git,.tmp,dist,out}/**';
const MAX_WORKSPACE_MODELS = 500;

/** The model the user means when a command comes from the palette: the active editor's file, else a pick. */
async function modelFromContext(placeHolder: string): Promise<vscode.Uri | undefined> {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const active = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  if (active && isModelFile(active)) return active;
  const found = await findModels(EXCLUDE, MAX_WORKSPACE_MODELS);
  if (found.length === 0) {
    void vscode.window.showInformationMessage(`No models (${MODEL_KINDS}) in this workspace.`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: path.basename(uri.fsPath), description: displayPath(uri), uri })).sort((a, b) => a.description.localeCompare(b.description)),
    { placeHolder, matchOnDescription: true },
  );
  return pick?.uri;
}

/** Runs a command body; expected refusals become warnings, anything else an error with "Show Log". */
async function guarded(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof Error && e.name === 'AnalysisCancelled') {
      log.info(`${name}: cancelled`);
      return;
    }
    if (e instanceof OutsideWorkspaceError) {
      log.warn(`${name}: ${e.message}`);
      void vscode.window.showWarningMessage(e.message);
      return;
    }
    log.error(`${name} failed`, e);
    void showError(`${name} failed: ${errorText(e)}`);
  }
}

export function registerCommands(context: vscode.ExtensionContext): void {
  initBindingsStore(context.workspaceState);
  const extensionUri = context.extensionUri;
  const register = (id: string, fn: (...args: unknown[]) => Promise<void>): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, (...args: unknown[]) => fn(...args)));
  };

  register('edgePlanner.analyze', (arg, args) =>
    guarded('Analyze for Edge Deployment', async () => {
      const many = Array.isArray(args) ? args.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
      if (many.length > 1) {
        const models = many.filter(isModelFile);
        const outside = models.filter((u) => !inWorkspace(u));
        if (outside.length) throw new OutsideWorkspaceError(`${outside.map((u) => u.fsPath).join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside the open workspace folders; only workspace models can be analyzed.`);
        if (models.length === 0) throw new OutsideWorkspaceError('None of the selected files is a model file.');
        await showComparison(extensionUri, models, `Compare ${models.length} models`);
        return;
      }
      const uri = arg instanceof vscode.Uri ? arg : await modelFromContext('Choose a model to analyze');
      if (!uri) return;
      requireWorkspaceModel(uri);
      await showAnalysis(extensionUri, uri);
    }),
  );

  register('edgePlanner.analyzeWorkspace', () =>
    guarded('Analyze All Models in Workspace', async () => {
      if (!vscode.workspace.workspaceFolders?.length) throw new OutsideWorkspaceError('Open a folder first: there is no workspace to search for models.');
      const found = (await findModels(EXCLUDE, MAX_WORKSPACE_MODELS)).filter((u) => inWorkspace(u));
      if (found.length === 0) {
        void vscode.window.showInformationMessage(`No models (${MODEL_KINDS}) in this workspace.`);
        return;
      }
      found.sort((a, b) => displayPath(a).localeCompare(displayPath(b)));
      if (found.length === MAX_WORKSPACE_MODELS) log.warn(`more than ${MAX_WORKSPACE_MODELS} model files; comparing the first ${MAX_WORKSPACE_MODELS}`);
      await showComparison(extensionUri, found, `All models (${found.length})`);
    }),
  );

  register('edgePlanner.openPlanner', (arg) =>
    guarded('Open Edge Deployment Planner', async () => {
      const uri = arg instanceof vscode.Uri ? arg : await modelFromContext('Choose the model to plan a deployment for');
      if (!uri) return;
      await openPlanner(extensionUri, uri);
    }),
  );

  register('edgePlanner.exportPlan', () => guarded('Export Deployment Plan', () => exportFromPalette()));

  // The getting-started walkthrough: analyze → plan → verify → export on the sample model.
  register('edgePlanner.sampleAnalyze', () => guarded('Analyze the Sample Model', () => showAnalysis(extensionUri, workspaceSample(extensionUri))));
  register('edgePlanner.samplePlan', () => guarded('Plan the Sample Model', () => openPlanner(extensionUri, workspaceSample(extensionUri))));
  register('edgePlanner.sampleVerify', () =>
    guarded('Verify the Sample Model', async () => {
      const uri = workspaceSample(extensionUri);
      await openPlanner(extensionUri, uri);
      await activePlanner()?.startVerify('int8-ptq', 'synthetic');
    }),
  );

  register('edgePlanner.showLog', async () => log.show());
}

async function pickFormat(): Promise<ExportFormat | undefined> {
  const pick = await vscode.window.showQuickPick(
    EXPORT_FORMATS.map((f) => ({ label: FORMAT_LABELS[f].label, description: `.${f}`, format: f })),
    { placeHolder: 'Export the deployment plan as…' },
  );
  return pick?.format;
}

/** "Export Deployment Plan…": the focused planner's plan, else a saved `.edgeplan/*.plan.json` the user picks. */
async function exportFromPalette(): Promise<void> {
  const planner = activePlanner()?.snapshot();
  if (planner) {
    const format = await pickFormat();
    if (!format) return;
    const file = await exportPlanFile({ format, plan: planner.plan, analysis: planner.analysis, folder: planner.model.folder, modelRel: planner.model.rel });
    if (file) void announceExport(file);
    return;
  }
  if (!vscode.workspace.workspaceFolders?.length) throw new OutsideWorkspaceError('Open a folder first: deployment plans are kept in the workspace (.edgeplan/).');
  const plans = await vscode.workspace.findFiles(`${PLAN_DIR}/*.plan.json`, undefined, 200);
  if (plans.length === 0) {
    const choice = await vscode.window.showInformationMessage('There is no deployment plan in this workspace yet. Open the planner for a model first.', 'Open Planner…');
    if (choice) await vscode.commands.executeCommand('edgePlanner.openPlanner');
    return;
  }
  const pick = await vscode.window.showQuickPick(
    plans.map((uri) => ({ label: path.basename(uri.fsPath, '.plan.json'), description: displayPath(uri), uri })),
    { placeHolder: 'Which deployment plan?' },
  );
  if (!pick) return;
  const wf = inWorkspace(pick.uri);
  if (!wf) throw new OutsideWorkspaceError(`${pick.uri.fsPath} is outside the open workspace folders.`);
  let raw: unknown;
  try {
    raw = JSON.parse(readRegularFile(pick.uri.fsPath, { maxBytes: MAX_JSON_FILE_BYTES, what: 'plan file' }).toString('utf8'));
  } catch (e) {
    throw new Error(`${wf.rel} cannot be read: ${errorText(e)}`);
  }
  const { plan, errors } = checkPlan(raw);
  const fatal = errors.find((e) => e.field === 'plan.targets');
  if (fatal) throw new Error(`${wf.rel}: targets ${fatal.message}`);
  if (!plan.model.file) throw new Error(`${wf.rel} does not name its model file (model.file).`);
  const modelUri = vscode.Uri.joinPath(wf.folder.uri, ...plan.model.file.split('/'));
  const model = requireWorkspaceModel(modelUri);
  const format = await pickFormat();
  if (!format) return;
  const analysis = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Analyzing ${model.rel}`, cancellable: true },
    (_p, token) => analyze(modelUri.fsPath, { onProgress: () => token.isCancellationRequested }),
  );
  const file = await exportPlanFile({ format, plan, analysis, folder: model.folder, modelRel: model.rel });
  if (file) void announceExport(file);
}
