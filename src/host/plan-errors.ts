/**
 * Every field error of a plan edited in the webview, not just the first: validatePlan stops at the first
 * bad field, so the bad field (or, for a missing required field, the smallest part that holds it) is removed from a
 * copy and validation runs again, until the plan validates.
 * The result is the cleaned plan (safe to save) and the list of errors (shown next to their fields).
 * No `vscode` import.
 */
import { validatePlan, PlanValidationError, type DeploymentPlan } from '../planner/plan';
import type { FieldError } from '../protocol';

const MAX_ROUNDS = 100;

/** "rollout.stages[0].percent" → ["rollout", "stages", 0, "percent"]; the "plan." prefix means the root. */
export function fieldPath(field: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const piece of field.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(piece);
    if (!m) return [];
    if (m[1]) parts.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  if (parts[0] === 'plan') parts.shift();
  return parts;
}

/** Removes the value at `path` from `obj` (in place). Returns whether something was removed. */
export function removeAt(obj: unknown, path: (string | number)[]): boolean {
  if (path.length === 0) return false;
  let cur: unknown = obj;
  for (let i = 0; i < path.length - 1; i++) {
    if (typeof cur !== 'object' || cur === null) return false;
    cur = (cur as Record<string | number, unknown>)[path[i]];
  }
  if (typeof cur !== 'object' || cur === null) return false;
  const last = path[path.length - 1];
  if (Array.isArray(cur) && typeof last === 'number') {
    if (last >= cur.length) return false;
    cur.splice(last, 1);
    return true;
  }
  const rec = cur as Record<string | number, unknown>;
  if (!(last in rec)) return false;
  delete rec[last];
  return true;
}

export interface PlanCheck {
  plan: DeploymentPlan;
  errors: FieldError[];
}

/**
 * Validates untrusted plan JSON and collects every field error. `knownDevices` (catalog ids) adds the rules the
 * form needs beyond the file format: at least one target, every target in the catalog, a project name.
 */
export function checkPlan(raw: unknown, knownDevices?: ReadonlySet<string>): PlanCheck {
  const errors: FieldError[] = [];
  let work: unknown;
  try {
    work = JSON.parse(JSON.stringify(raw ?? {}));
  } catch {
    work = {};
  }
  let plan: DeploymentPlan | undefined;
  for (let round = 0; round < MAX_ROUNDS && !plan; round++) {
    try {
      plan = validatePlan(work);
    } catch (e) {
      if (!(e instanceof PlanValidationError)) throw e;
      const message = e.message.slice(e.field.length + 2) || e.message;
      // The same field failing again (its bad value removed, the field now missing) is one error, said once.
      const last = errors[errors.length - 1];
      if (!last || last.field !== e.field || last.message !== message) errors.push({ field: e.field, message });
      // A bad value is removed; a required value that is missing (already removed, or never there) takes the
      // smallest enclosing part with it (the list item or section), never the whole plan while any part remains.
      const path = fieldPath(e.field);
      while (path.length > 0 && !removeAt(work, path)) path.pop();
      if (path.length === 0) work = {};
    }
  }
  if (!plan) plan = validatePlan({});
  if (!plan.project.name.trim()) errors.push({ field: 'project.name', message: 'is required' });
  if (plan.targets.length === 0) errors.push({ field: 'plan.targets', message: 'choose at least one target device' });
  if (knownDevices) {
    plan.targets.forEach((t, i) => {
      if (!knownDevices.has(t)) errors.push({ field: `plan.targets[${i}]`, message: `"${t}" is not a device in the catalog` });
    });
  }
  const total = plan.rollout.stages.reduce((m, s) => Math.max(m, s.percent), 0);
  if (plan.rollout.stages.length > 0 && total < 100) {
    errors.push({ field: 'rollout.stages', message: 'no stage reaches 100 % of the fleet' });
  }
  return { plan, errors };
}
