/**
 * Addressing plan fields from the form: a path like ["rollout", "stages", 0, "percent"], the field name
 * validatePlan uses for it ("rollout.stages[0].percent"; top-level keys as "plan.targets"), reading and
 * writing values, and parsing number inputs. No DOM.
 */
export type FieldPath = (string | number)[];

/** The field name as validatePlan and the host name it in errors. */
export function fieldName(path: FieldPath): string {
  if (path.length === 1) return `plan.${path[0]}`;
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

export function getAt(obj: unknown, path: FieldPath): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** Sets a value, creating objects on the way; `undefined` removes the key. */
export function setAt(obj: Record<string, unknown>, path: FieldPath, value: unknown): void {
  let cur: Record<string | number, unknown> = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]];
    if (typeof next !== 'object' || next === null) cur[path[i]] = typeof path[i + 1] === 'number' ? [] : {};
    cur = cur[path[i]] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/**
 * A number input's text as the plan stores it: empty → undefined (or null for nullable fields), a number →
 * that number, anything else → the text itself, so validation reports "must be a number" next to the field.
 */
export function parseNumberInput(text: string, nullable: boolean): number | string | null | undefined {
  const t = text.trim();
  if (t === '') return nullable ? null : undefined;
  const n = Number(t.replace(',', '.'));
  return Number.isFinite(n) ? n : text;
}

/** A list edited as one item per line. */
export function parseLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** Which error belongs to which field element: the exact name, else the nearest enclosing field that exists. */
export function matchField(errorField: string, known: ReadonlySet<string>): string | undefined {
  let f = errorField;
  for (;;) {
    if (known.has(f)) return f;
    const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
    if (cut <= 0) return undefined;
    f = f.slice(0, cut);
  }
}
