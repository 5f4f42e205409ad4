/**
 * The symbolic dimension sizes the user chose for each model (in the analysis view), keyed by the model's URI.
 * The analysis view and the planner read them from here, so the plan's figures use the sizes the user set.
 * Kept in the workspace state when the extension gave us one (they survive a window reload), else in memory.
 * The plan file does not store them: DeploymentPlan has no field for bindings.
 */
import * as vscode from 'vscode';
import { bindingsProblems } from '../protocol';
import { log } from './log';

const KEY = 'edgePlanner.bindings';
const MAX_MODELS = 200;

let memento: vscode.Memento | undefined;
const memory = new Map<string, Record<string, number>>();
const changed = new vscode.EventEmitter<string>();

/** Called once on activation with the extension's workspaceState. */
export function initBindingsStore(state: vscode.Memento): void {
  memento = state;
  const saved = state.get<unknown>(KEY);
  if (typeof saved !== 'object' || saved === null) return;
  for (const [uri, b] of Object.entries(saved as Record<string, unknown>)) {
    if (bindingsProblems(b).length === 0) memory.set(uri, { ...(b as Record<string, number>) });
  }
}

/** Fires with the model URI (as a string) whose bindings changed. */
export const onDidChangeBindings = changed.event;

/** The sizes chosen for this model, or undefined (the analyzers' defaults). */
export function bindingsFor(uri: vscode.Uri): Record<string, number> | undefined {
  const b = memory.get(uri.toString());
  return b ? { ...b } : undefined;
}

/** Remembers the sizes for this model (an empty object forgets them) and tells the open views. */
export function setBindings(uri: vscode.Uri, bindings: Record<string, number>): void {
  const key = uri.toString();
  const before = JSON.stringify(memory.get(key) ?? {});
  if (Object.keys(bindings).length) memory.set(key, { ...bindings });
  else memory.delete(key);
  while (memory.size > MAX_MODELS) memory.delete(memory.keys().next().value as string);
  if (JSON.stringify(memory.get(key) ?? {}) === before) return;
  if (memento) void Promise.resolve(memento.update(KEY, Object.fromEntries(memory))).catch((e: unknown) => log.warn(`could not keep the bindings: ${(e as Error).message}`));
  changed.fire(key);
}

/** Bindings from a restored webview state, if they are well-formed. */
export function restoredBindings(raw: unknown): Record<string, number> | undefined {
  if (raw === undefined || raw === null) return undefined;
  const problems = bindingsProblems(raw);
  if (problems.length) {
    log.warn(`ignored the saved dimension sizes: ${problems[0].message}`);
    return undefined;
  }
  return { ...(raw as Record<string, number>) };
}
