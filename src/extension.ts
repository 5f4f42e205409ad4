/**
 * Edge Deployment Planner — the VS Code front door. Wiring only: the log, the commands, the read-only model
 * editor and the panel serializers. Nothing heavy loads here: the analyzers, the planner, the exporters and
 * onnxruntime-node are imported on first use by the command that needs them.
 */
import * as vscode from 'vscode';
import { initLog, log } from './host/log';
import { registerCommands } from './host/commands';
import { ModelEditorProvider } from './host/model-editor';
import { registerAnalysisSerializer } from './host/analysis-panel';
import { flushAllPlanners, registerPlannerSerializer } from './host/planner-panel';

export function activate(context: vscode.ExtensionContext): void {
  initLog(context);
  registerCommands(context);
  context.subscriptions.push(
    ModelEditorProvider.register(context.extensionUri),
    registerAnalysisSerializer(context.extensionUri),
    registerPlannerSerializer(context.extensionUri),
  );
  log.info(`activated (VS Code ${vscode.version}, workspace ${vscode.workspace.isTrusted ? 'trusted' : 'restricted'})`);
}

export function deactivate(): void {
  flushAllPlanners();
}
