/**
 * The frozen train / held-out split of the published latencies (scripts/calibration/heldout-split.json).
 *
 * Every row of latency.csv has an identity made of what the row *is* (device, network, variant, input, precision,
 * runtime, batch, threads, source) and never of what it measured, and a publication (the repository or site it was
 * read from) so that a whole source can be held out at a time. A row is held out when the FNV-1a hash of its
 * identity is divisible by 3: blind to every outcome, stable when rows are added or re-mapped. The split file is
 * written once by `node dist/scripts/calibration/freeze-split.js` and committed before any change it judges; rows added to the
 * CSV later are not judged until they are frozen (the freeze script only appends, it never moves a frozen row).
 * Pure functions; no `vscode` import.
 */
import type { LatencyRow } from './fit';

export type Split = 'train' | 'held-out';

export interface FrozenRow {
  id: string;
  publication: string;
  split: Split;
  /** When this row was frozen (the commit that froze it says which change it judged first). */
  frozen: string;
}

export interface FrozenSplit {
  rule: string;
  rows: FrozenRow[];
}

export const SPLIT_RULE = 'held-out when fnv1a32(identity) % 3 == 0; identity = device|model|variant|input|precision|runtime|batch|threads|source';

/** What a row is, never what it measured. */
export function rowIdentity(r: LatencyRow): string {
  return [r.device, r.model, r.variant, r.input, r.precision, r.runtime, r.batch ?? '', r.threads ?? '', r.source].join('|');
}

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function ruleSplit(identity: string): Split {
  return fnv1a32(identity) % 3 === 0 ? 'held-out' : 'train';
}

/**
 * The publication a row was read from: a GitHub repository, a Hugging Face organisation (the Arm model cards are
 * one publication wherever they are mirrored), or a site. Whole publications are held out in cross-validation.
 */
export function publicationOf(source: string): string {
  const s = source.trim();
  const url = /(?:https?:\/\/)?((?:github\.com|huggingface\.co|developer\.arm\.com|[a-z0-9.-]+\.[a-z]{2,})\/[^\s)]*)/i.exec(s);
  if (!url) return s.split(/\s+/).slice(0, 2).join(' ').toLowerCase();
  const parts = url[1].replace(/[?#].*$/, '').split('/').filter(Boolean);
  const host = parts[0].toLowerCase();
  if (host === 'github.com') return `github.com/${parts[1] ?? ''}/${parts[2] ?? ''}`.toLowerCase();
  if (host === 'huggingface.co') return parts[1] === 'spaces' ? `huggingface.co/spaces/${parts[2] ?? ''}`.toLowerCase() : `huggingface.co/${parts[1] ?? ''}`.toLowerCase();
  if (host === 'developer.arm.com' && parts.includes('hugging-face')) return `huggingface.co/${parts[parts.indexOf('hugging-face') + 1] ?? ''}`.toLowerCase();
  return `${host}/${parts[1] ?? ''}`.toLowerCase();
}

/** Rows of the CSV with their identity; a repeated identity gets `#2`, `#3` … in file order. */
export function identities(rows: LatencyRow[]): string[] {
  const seen = new Map<string, number>();
  return rows.map((r) => {
    const base = rowIdentity(r);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

/** Appends the rows not yet frozen (by the rule), never moving a frozen one. */
export function freeze(rows: LatencyRow[], existing: FrozenSplit | null, today: string): { split: FrozenSplit; added: number } {
  const byId = new Map((existing?.rows ?? []).map((r) => [r.id, r]));
  const out = [...(existing?.rows ?? [])];
  let added = 0;
  identities(rows).forEach((id, i) => {
    if (byId.has(id)) return;
    const row: FrozenRow = { id, publication: publicationOf(rows[i].source), split: ruleSplit(id), frozen: today };
    byId.set(id, row);
    out.push(row);
    added++;
  });
  return { split: { rule: SPLIT_RULE, rows: out }, added };
}

/** The frozen split of each CSV row, or null where the row was added after the last freeze. */
export function lookupSplit(rows: LatencyRow[], frozen: FrozenSplit): (FrozenRow | null)[] {
  const byId = new Map(frozen.rows.map((r) => [r.id, r]));
  return identities(rows).map((id) => byId.get(id) ?? null);
}
