/**
 * Number formatting shared by the CLI, the webviews and the exporters, so a figure reads the same
 * everywhere. Pure functions, no Node or DOM APIs.
 */
import type { Shape } from './analyzers/graph';
import type { Sqnr } from './measure/verify/metrics';

export interface RangeLike {
  low: number;
  typical: number;
  high: number;
}

/** 1234 → "1,234"; 12_345_678 → "12.35 M"; 3.2e9 → "3.20 G". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'unknown' : String(n);
  const a = Math.abs(n);
  if (a >= 1e12) return `${(n / 1e12).toFixed(2)} T`;
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  return Math.round(n).toLocaleString('en-US');
}

/** Bytes in binary units: 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'unknown' : String(n);
  const a = Math.abs(n);
  if (a < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2)} ${units[i]}`;
}

/** Milliseconds with 3 significant digits: 0.01234 → "0.0123", 12.345 → "12.3", 1234.5 → "1,235". */
export function formatMs(ms: number): string {
  // An estimate that cannot be made is NaN inside the estimator; people read "unknown" (the reason is beside it).
  if (!Number.isFinite(ms)) return Number.isNaN(ms) ? 'unknown' : String(ms);
  if (ms >= 1000) return Math.round(ms).toLocaleString('en-US');
  return Number(ms.toPrecision(3)).toString();
}

/** A formatted figure with its unit ("12.3 ms"); an unknown figure is just "unknown". */
export function withUnit(text: string, unit: string): string {
  return text === 'unknown' ? text : `${text} ${unit}`;
}

export function formatRange(r: RangeLike, f: (x: number) => string = formatMs): string {
  if (![r.low, r.typical, r.high].every(Number.isFinite)) return 'unknown';
  return `${f(r.low)}–${f(r.typical)}–${f(r.high)}`;
}

export function formatShape(shape: Shape | null): string {
  return shape ? `[${shape.join(', ')}]` : '[?]';
}

/** Mebibytes as a plain number with 2 decimals (for tables that carry the unit in the header). */
export function toMiB(bytes: number): number {
  return Math.round((bytes / 1048576) * 100) / 100;
}

/** A fraction as a percentage with one decimal: 0.1234 → "12.3 %"; `missing` when there is none. */
export function formatPercent(fraction: number | null | undefined, missing = '—'): string {
  return fraction === null || fraction === undefined ? missing : `${(fraction * 100).toFixed(1)} %`;
}

/** A difference of two fractions in percentage points, two decimals, no unit: 0.0123 → "1.23". */
export function formatPoints(fraction: number): string {
  return (fraction * 100).toFixed(2);
}

/** An SQNR: 31.46 → "31.5 dB"; the words ("identical", "no signal") as they are. */
export function formatSqnr(s: Sqnr): string {
  return typeof s === 'number' ? `${s.toFixed(1)} dB` : s;
}
