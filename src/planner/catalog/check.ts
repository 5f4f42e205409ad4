/**
 * The one mechanism that validates the JSON data files the planner ships (devices.json, op-support.json,
 * estimator-priors.json, calibration.json, techniques.json) when they are loaded: typed readers that either
 * return the value with its TypeScript type or throw a DataFileError naming the file and the field path.
 * No casts of whole documents: each loader builds its typed value from what these readers return.
 * No `vscode` import.
 */

/** A data file that does not match its schema. The message names the file and the field. */
export class DataFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFileError';
  }
}

export type Json = unknown;
export type JsonObject = Record<string, Json>;
export const isObj = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Typed readers over one file. `where` is the file (and entry) the messages start with; `fail` throws
 * `<where>: field "<path>" <what>` as the error type the file's loader chose.
 */
export class Check {
  constructor(
    readonly where: string,
    private readonly makeError: (message: string) => Error = (m) => new DataFileError(m),
  ) {}

  fail(path: string, what: string): never {
    throw this.makeError(`${this.where}: field "${path}" ${what}`);
  }

  obj(v: Json, path: string, what = 'must be an object'): JsonObject {
    if (!isObj(v)) this.fail(path, what);
    return v;
  }

  str(o: JsonObject, key: string, path: string): string {
    const v = o[key];
    if (typeof v !== 'string' || !v.trim()) this.fail(`${path}${key}`, 'must be a non-empty string');
    return v;
  }

  optStr(o: JsonObject, key: string, path: string): string | undefined {
    return o[key] === undefined ? undefined : this.str(o, key, path);
  }

  /** A finite number (optionally within [min, max]). */
  num(v: Json, path: string, min = -Infinity, max = Infinity): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.fail(path, `must be a finite number${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` <= ${max}` : ''}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  /** A range as factors of the typical value: { low } in (0, 1], { high } >= 1. */
  rangeFactors(v: Json, path: string): { low: number; high: number } {
    const r = this.obj(v, path);
    return { low: this.num(r.low, `${path}.low`, Number.MIN_VALUE, 1), high: this.num(r.high, `${path}.high`, 1) };
  }

  bool(v: Json, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  oneOf<T extends string>(v: Json, path: string, allowed: readonly T[]): T {
    const hit = allowed.find((a) => a === v);
    if (hit === undefined) this.fail(path, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return hit;
  }

  list<T>(v: Json, path: string, item: (x: Json, path: string) => T, what = 'must be a list'): T[] {
    if (!Array.isArray(v)) this.fail(path, what);
    return v.map((x, i) => item(x, `${path}[${i}]`));
  }

  strList(v: Json, path: string): string[] {
    return this.list(v, path, (x, p) => {
      if (typeof x !== 'string' || !x) this.fail(p, 'must be a non-empty string');
      return x;
    });
  }

  /** Every key of an object mapped through `item`; keys named in `skip` (prose such as "about", "basis") are left out. */
  record<T>(v: Json, path: string, item: (x: Json, path: string) => T, skip: readonly string[] = []): Record<string, T> {
    const o = this.obj(v, path);
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(o)) if (!skip.includes(k)) out[k] = item(x, `${path}.${k}`);
    return out;
  }

  /** An object that must have every key in `keys`, each mapped through `item`. */
  keyed<K extends string, T>(v: Json, path: string, keys: readonly K[], item: (x: Json, path: string) => T): Record<K, T> {
    const o = this.obj(v, path);
    const out: Partial<Record<K, T>> = {};
    for (const k of keys) {
      if (o[k] === undefined) this.fail(`${path}.${k}`, 'is missing');
      out[k] = item(o[k], `${path}.${k}`);
    }
    return out as Record<K, T>;
  }
}
