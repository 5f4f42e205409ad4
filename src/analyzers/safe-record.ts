/**
 * Records keyed by strings that come from model files (op types, dtypes, dimension names, metadata keys).
 * A plain `{}` inherits from Object.prototype, so a file naming an op "constructor" or a dimension
 * "__proto__" would read an inherited function or set the object's prototype. These records have no
 * prototype, and `own` looks a key up in a constant table only when the table itself defines it.
 */

/** An empty record without a prototype: every key, "__proto__" included, is an ordinary own property. */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A record without a prototype holding the given entries (for constant tables looked up by file strings). */
export function recordOf<T>(entries: Record<string, T>): Record<string, T> {
  return Object.assign(emptyRecord<T>(), entries);
}

/** table[key] when the table itself defines the key (never an inherited Object.prototype member). */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}
