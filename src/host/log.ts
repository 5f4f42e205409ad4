/**
 * The extension's LogOutputChannel, filtered by the edgePlanner.logLevel setting
 * (VS Code's own "Set Log Level" still applies on top of it).
 */
import * as vscode from 'vscode';

type Level = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Level[] = ['error', 'warn', 'info', 'debug'];

let channel: vscode.LogOutputChannel | undefined;
let level: Level = 'info';

function readLevel(): Level {
  const v = vscode.workspace.getConfiguration('edgePlanner').get<string>('logLevel', 'info');
  return (ORDER as string[]).includes(v) ? (v as Level) : 'info';
}

export function initLog(context: vscode.ExtensionContext): vscode.LogOutputChannel {
  channel = vscode.window.createOutputChannel('Edge Deployment Planner', { log: true });
  level = readLevel();
  context.subscriptions.push(
    channel,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('edgePlanner.logLevel')) level = readLevel();
    }),
  );
  return channel;
}

const enabled = (l: Level): boolean => ORDER.indexOf(l) <= ORDER.indexOf(level);

export const log = {
  error(message: string, err?: unknown): void {
    if (!channel || !enabled('error')) return;
    const detail = err instanceof Error ? (err.stack ?? err.message) : err !== undefined ? String(err) : '';
    channel.error(detail ? `${message}\n${detail}` : message);
  },
  warn(message: string): void {
    if (channel && enabled('warn')) channel.warn(message);
  },
  info(message: string): void {
    if (channel && enabled('info')) channel.info(message);
  },
  debug(message: string): void {
    if (channel && enabled('debug')) channel.debug(message);
  },
  show(): void {
    channel?.show(true);
  },
};

/** Shows an error notification with a "Show Log" action (and any extra actions); resolves to the chosen action. */
export async function showError(message: string, ...actions: string[]): Promise<string | undefined> {
  const choice = await vscode.window.showErrorMessage(message, ...actions, 'Show Log');
  if (choice === 'Show Log') log.show();
  return choice;
}

/** One line for a notification from any thrown value. */
export function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
