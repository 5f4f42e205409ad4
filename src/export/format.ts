/**
 * Text and number formatting shared by the four exporters, so every document writes the same figure the same way.
 * Locale-independent on purpose: a plan reads the same on every machine. No `vscode` import.
 */
import type { Effort, Range, Technique } from '../planner/types';

/**
 * Memory in every document is in binary units, as the estimator and the CLI count it and as budgets are given:
 * 1 MiB = 2^20 bytes, 1 KiB = 2^10 bytes (stated in the assumptions section).
 */
export const BYTES_PER_MB = 1024 * 1024;
export const BYTES_PER_KB = 1024;

/**
 * Removes what cannot appear in an XML 1.0 document or a PDF string: C0 control characters other than tab and
 * newline, U+FFFE/U+FFFF and unpaired surrogates. Everything else (<, &, ", emoji, RTL scripts) is kept: each
 * writer escapes it in its own way.
 */
export function cleanText(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** A number with about three significant digits: 1,234 · 123 · 12.3 · 1.23 · 0.123 · 0.00123. */
export function fmtNum(x: number): string {
  if (Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  const sign = x < 0 ? '-' : '';
  let s: string;
  if (a >= 100) s = group(Math.round(a).toString());
  else if (a >= 10) s = a.toFixed(1);
  else if (a >= 1) s = a.toFixed(2);
  else {
    // three significant digits without exponent notation
    const decimals = Math.min(12, 2 - Math.floor(Math.log10(a)));
    s = a.toFixed(decimals);
  }
  // 9.40 → 9.4, 20.0 → 20: trailing zeros add no information
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return sign + s;
}

/** An integer with thousands separators. */
export const fmtInt = (n: number): string => (Number.isFinite(n) ? (n < 0 ? '-' : '') + group(Math.round(Math.abs(n)).toString()) : fmtNum(n));

export const fmtMs = (ms: number): string => `${fmtNum(ms)} ms`;

/** Whether every figure of a range is a number (the estimator's "no figure" is NaN). */
export const isKnown = (r: Range | null | undefined): r is Range => !!r && Number.isFinite(r.low) && Number.isFinite(r.typical) && Number.isFinite(r.high);

/** "12.3 ms (9.80–15.1 ms)": the typical value first, then the low–high range; "unknown" when it is not a number. */
export function fmtRange(r: Range, unit: string): string {
  if (!isKnown(r)) return 'unknown';
  return `${fmtNum(r.typical)} ${unit} (${fmtNum(r.low)}–${fmtNum(r.high)} ${unit})`;
}

/** "0.25–0.30×" style, for factors and accuracy drops. */
export function fmtSpan(r: Range, unit: string): string {
  if (r.low === r.high) return `${fmtNum(r.low)}${unit}`;
  return `${fmtNum(r.low)}–${fmtNum(r.high)}${unit} (typical ${fmtNum(r.typical)}${unit})`;
}

/** Bytes in B / KiB / MiB / GiB (binary units). */
export function fmtBytes(b: number): string {
  const a = Math.abs(b);
  if (a >= 1024 ** 3) return `${fmtNum(b / 1024 ** 3)} GiB`;
  if (a >= 1024 ** 2) return `${fmtNum(b / 1024 ** 2)} MiB`;
  if (a >= 1024) return `${fmtNum(b / 1024)} KiB`;
  return `${fmtInt(b)} B`;
}

/** Counts with an SI multiplier: 3.50 M, 301 M, 1.20 G. */
export function fmtCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e12) return `${fmtNum(n / 1e12)} T`;
  if (a >= 1e9) return `${fmtNum(n / 1e9)} G`;
  if (a >= 1e6) return `${fmtNum(n / 1e6)} M`;
  if (a >= 1e4) return `${fmtNum(n / 1e3)} k`;
  return fmtInt(n);
}

export const fmtPercent = (fraction: number): string => `${fmtNum(fraction * 100)} %`;

export const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export const TECHNIQUE_LABELS: Record<Technique, string> = {
  none: 'No compression',
  fp16: 'FP16 conversion',
  'int8-dynamic': 'INT8 dynamic-range quantization',
  'int8-ptq': 'INT8 post-training quantization',
  'int8-qat': 'INT8 quantization-aware training',
  'int4-weight-only': 'INT4 weight-only quantization',
  'structured-pruning': 'Structured pruning',
  sparsity: 'Unstructured sparsity',
  distillation: 'Knowledge distillation',
  'low-rank': 'Low-rank factorization',
  'op-rewrite': 'Operator rewrite',
  'change-runtime': 'Change runtime',
  'change-device': 'Change device',
};

/** "INT8 post-training quantization (int8-ptq)": the words and the identifier the CLI and plan file use. */
export const techniqueLabel = (t: Technique): string => `${TECHNIQUE_LABELS[t] ?? t} (${t})`;

export const EFFORT_LABELS: Record<Effort, string> = {
  none: 'none',
  'no-retraining': 'no retraining',
  'calibration-data': 'needs calibration data',
  retraining: 'needs retraining',
  'architecture-change': 'architecture change',
};

/** File-name slug: lower-case ASCII letters, digits and dashes, at most 80 characters. */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
  return s;
}

/** Shortens text to at most n characters, ending with an ellipsis when cut. */
export function clip(s: string, n: number): string {
  if (s.length <= n) return s;
  const cut = s.slice(0, Math.max(0, n - 1));
  const sp = cut.lastIndexOf(' ');
  return (sp > n * 0.6 ? cut.slice(0, sp) : cut).replace(/[\s,;:.]+$/, '') + '…';
}
