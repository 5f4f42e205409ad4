/**
 * What validating untrusted plan JSON (a plan file, a webview message) shares: the error that names the field, the
 * object test, and the one set of field readers (text, number, list, ...) with their messages. The plan (index.ts)
 * and its measurements (verification.ts) both use them and throw PlanValidationError. No `vscode` import.
 */

export class PlanValidationError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'PlanValidationError';
  }
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function fail(field: string, why: string): never {
  throw new PlanValidationError(field, why);
}

export function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) fail(field, 'must be an object');
  return v;
}

/** Text of at most `max` characters. */
export function text(v: unknown, field: string, max = 2000): string {
  if (typeof v !== 'string' || v.length > max) fail(field, `must be text of at most ${max} characters`);
  return v;
}

/** A finite number within [min, max]. */
export function number(v: unknown, field: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(field, `must be a number${Number.isFinite(min) ? ` from ${min}` : ''}${Number.isFinite(max) ? ` to ${max}` : ''}`);
  return v;
}

export function orNull<T>(v: unknown, read: (x: unknown) => T): T | null {
  return v === null || v === undefined ? null : read(v);
}

/** A list of at most `max` entries, each read by `read` (its field is `field[i]`); absent is empty. */
export function list<T>(v: unknown, field: string, max: number, read: (x: unknown, f: string) => T): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length > max) fail(field, `must be a list of at most ${max} entries`);
  return v.map((x, i) => read(x, `${field}[${i}]`));
}
