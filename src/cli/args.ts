/** A small, strict argument parser for edgeplan: unknown flags are usage errors (exit 2). */
import { emptyRecord } from '../analyzers/safe-record';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A well-formed value outside what the option accepts (a negative budget): bad input, exit 1. */
export class BadValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadValueError';
  }
}

export interface FlagSpec {
  /** Takes a value (--device rpi5) or is a switch (--json). */
  value: boolean;
  /** May repeat; values are collected (and comma lists split). */
  repeat?: boolean;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
      positionals.push(a);
      continue;
    }
    let name = a.slice(2);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    let values = flags.get(name) ?? [];
    if (s.value) {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      const parts = s.repeat ? v.split(',').map((x) => x.trim()).filter(Boolean) : [v];
      if (!s.repeat && values.length) throw new UsageError(`--${name} given twice`);
      values = values.concat(parts);
    } else {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      values = ['true'];
    }
    flags.set(name, values);
  }
  return { positionals, flags };
}

export function flag(p: ParsedArgs, name: string): boolean {
  return p.flags.has(name);
}

export function value(p: ParsedArgs, name: string): string | undefined {
  return p.flags.get(name)?.[0];
}

export function values(p: ParsedArgs, name: string): string[] {
  return p.flags.get(name) ?? [];
}

/** A positive finite number from a flag, or undefined; a bad number is a usage error. */
export function numberFlag(p: ParsedArgs, name: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const v = value(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  if (opts.integer && !Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, got "${v}"`);
  if (opts.min !== undefined && n < opts.min) throw new BadValueError(`--${name} must be at least ${opts.min}, got ${v}`);
  if (opts.max !== undefined && n > opts.max) throw new BadValueError(`--${name} must be at most ${opts.max}, got ${v}`);
  return n;
}

/** "batch=1,sequence=128" (repeatable) → { batch: 1, sequence: 128 }. */
export function bindingsFlag(p: ParsedArgs, name = 'bind'): Record<string, number> {
  const out = emptyRecord<number>(); // dimension names come from model files: "__proto__" is a name like any other
  for (const item of values(p, name)) {
    const m = /^([^=]+)=(\d+)$/.exec(item);
    if (!m) throw new UsageError(`--${name} takes NAME=NUMBER, got "${item}"`);
    const n = Number(m[2]);
    if (n < 1 || n > 1_000_000) throw new UsageError(`--${name} ${m[1]} must be between 1 and 1000000`);
    out[m[1]] = n;
  }
  return out;
}
