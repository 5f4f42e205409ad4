/**
 * What validating untrusted plan JSON (a plan file, a webview message) shares: the error that names the field, and
 * the object test. The plan (index.ts) and its measurements (verification.ts) both throw PlanValidationError.
 * No `vscode` import.
 */

export class PlanValidationError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'PlanValidationError';
  }
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
