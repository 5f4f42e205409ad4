/**
 * The symbolic-dimension form's logic, without DOM: what a field's text means, and which bindings the form
 * would send. Shared rules (range, names) come from the protocol, so the webview and the host agree.
 */
import { bindingValueError, MAX_BINDING, MIN_BINDING, type BindingError } from '../../src/protocol';
import type { DynamicShapeSummary } from '../../src/analyzers/profile-types';

export type FieldValue = { ok: true; value: number } | { ok: false; error: string };

/** One field's text → a size, or the message to show next to the field. */
export function parseBindingText(text: string): FieldValue {
  const t = text.trim();
  if (t === '') return { ok: false, error: `Enter a size from ${MIN_BINDING} to ${MAX_BINDING.toLocaleString('en-US')}.` };
  // Digits only: "1e3", "0x10", "+4" and "4.0" are not what the CLI's --bind NAME=N accepts either.
  if (!/^\d+$/.test(t)) return { ok: false, error: /^-/.test(t) ? 'Enter a positive size.' : 'Enter a whole number (digits only).' };
  // A long run of digits is out of range (and would round or overflow as a number).
  const value = t.replace(/^0+(?=\d)/, '').length > 7 ? Number.MAX_SAFE_INTEGER : Number(t);
  const err = bindingValueError(value);
  return err ? { ok: false, error: err } : { ok: true, value };
}

/** The form's rows: every symbol with the size the shown figures used. */
export function bindingRows(dyn: DynamicShapeSummary): { symbol: string; value: number }[] {
  return dyn.symbols.map((symbol) => ({ symbol, value: dyn.bindings[symbol] ?? 1 }));
}

/** Reads every field: the bindings to send, or one error per bad field (keyed by symbol). */
export function collectBindings(fields: readonly { symbol: string; text: string }[]): { ok: true; bindings: Record<string, number> } | { ok: false; errors: BindingError[] } {
  const bindings: Record<string, number> = {};
  const errors: BindingError[] = [];
  for (const f of fields) {
    const v = parseBindingText(f.text);
    if (v.ok) bindings[f.symbol] = v.value;
    else errors.push({ symbol: f.symbol, message: v.error });
  }
  return errors.length ? { ok: false, errors } : { ok: true, bindings };
}

/** Whether the form differs from what the figures were computed with. */
export function bindingsChanged(current: Record<string, number>, next: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)]);
  for (const k of keys) if (current[k] !== next[k]) return true;
  return false;
}
