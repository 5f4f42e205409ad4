/**
 * The device chart as data, then as SVG: latency per device (typical with its low–high range) on a linear or
 * logarithmic axis, and memory needed against each device's limit. Colours come from the theme through CSS
 * classes (media/webview.css uses --vscode-charts-* variables), never from inline styles.
 */
import type { DeviceResult } from '../../src/protocol';
import { formatBytes, formatMs } from '../../src/format-numbers';
import { s } from './dom';

export interface Scale {
  kind: 'linear' | 'log';
  min: number;
  max: number;
  ticks: number[];
  /** Maps a value to 0..1 along the axis (clamped). */
  at(v: number): number;
}

/** A linear axis from 0, or a log axis (decades) when the values span more than 30x. */
export function latencyScale(values: readonly number[]): Scale {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length === 0) return linear(1);
  const lo = Math.min(...pos);
  const hi = Math.max(...pos);
  if (hi / lo <= 30) return linear(hi);
  const min = 10 ** Math.floor(Math.log10(lo));
  const max = 10 ** Math.ceil(Math.log10(hi));
  const ticks: number[] = [];
  for (let t = min; t <= max * 1.0001; t *= 10) ticks.push(t);
  const lmin = Math.log10(min);
  const span = Math.log10(max) - lmin || 1;
  return { kind: 'log', min, max, ticks, at: (v) => clamp01((Math.log10(Math.max(v, min)) - lmin) / span) };
}

function linear(hi: number): Scale {
  const step = niceStep(hi / 4);
  const max = Math.ceil(hi / step) * step || 1;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { kind: 'linear', min: 0, max, ticks, at: (v) => clamp01(v / max) };
}

function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

const pct = (ratio: number | null): string => (ratio === null ? '?' : ratio < 0.01 ? '<1 %' : `${Math.round(ratio * 100)} %`);

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

export interface ChartRow {
  device: string;
  name: string;
  latency: { low: number; typical: number; high: number } | null;
  memory: { total: number; limit: number | null; ratio: number | null; fits: boolean | null } | null;
  error?: string;
}

export function chartRows(results: readonly DeviceResult[]): ChartRow[] {
  return results.map((r) => {
    const e = r.estimate;
    if (!e) return { device: r.device, name: r.device, latency: null, memory: null, error: r.error ?? 'no estimate' };
    const limit = e.memory.limitBytes;
    return {
      device: r.device,
      name: e.deviceName,
      latency: { ...e.latencyMs },
      memory: { total: e.memory.totalBytes, limit, ratio: limit && limit > 0 ? e.memory.totalBytes / limit : null, fits: e.memory.fits },
    };
  });
}

const W = 760;
const LABEL_W = 200;
const VALUE_W = 200;
const ROW_H = 26;
const PLOT_W = W - LABEL_W - VALUE_W;

const short = (name: string): string => (name.length > 26 ? `${name.slice(0, 25)}…` : name);

/** Renders the two charts into one SVG with a title and description for screen readers. */
export function renderChart(results: readonly DeviceResult[]): SVGElement {
  const rows = chartRows(results);
  const scale = latencyScale(rows.flatMap((r) => (r.latency ? [r.latency.low, r.latency.high, r.latency.typical] : [])));
  const memMax = Math.max(1.25, ...rows.map((r) => (r.memory?.ratio ?? 0) * 1.05));
  const latTop = 40;
  const memTop = latTop + rows.length * ROW_H + 56;
  const height = memTop + rows.length * ROW_H + 24;
  const svg = s('svg', { viewBox: `0 0 ${W} ${height}`, width: '100%', role: 'img', 'aria-labelledby': 'chart-title chart-desc', class: 'chart', 'data-testid': 'chart' });
  svg.appendChild(s('title', { id: 'chart-title' }, 'Latency and memory per device'));
  svg.appendChild(
    s('desc', { id: 'chart-desc' }, rows.map((r) => `${r.name}: ${r.latency ? `latency ${formatMs(r.latency.low)} to ${formatMs(r.latency.high)} ms, typical ${formatMs(r.latency.typical)} ms` : r.error}; ${r.memory ? `memory ${formatBytes(r.memory.total)}${r.memory.limit ? ` of ${formatBytes(r.memory.limit)}` : ''}` : ''}`).join('. ')),
  );

  // Latency
  svg.appendChild(s('text', { x: 0, y: 16, class: 'chart-heading' }, `Latency per inference (ms${scale.kind === 'log' ? ', log scale' : ''}) — bar: typical, whisker: low–high`));
  for (const t of scale.ticks) {
    const x = LABEL_W + scale.at(t) * PLOT_W;
    svg.appendChild(s('line', { x1: x, x2: x, y1: latTop - 6, y2: latTop + rows.length * ROW_H, class: 'chart-grid' }));
    svg.appendChild(s('text', { x, y: latTop - 10, class: 'chart-tick', 'text-anchor': 'middle' }, formatMs(t)));
  }
  rows.forEach((r, i) => {
    const y = latTop + i * ROW_H;
    svg.appendChild(s('text', { x: LABEL_W - 8, y: y + 17, class: 'chart-label', 'text-anchor': 'end' }, short(r.name)));
    if (!r.latency) {
      svg.appendChild(s('text', { x: LABEL_W + 4, y: y + 17, class: 'chart-value' }, 'no estimate'));
      return;
    }
    const x0 = LABEL_W;
    const xt = LABEL_W + scale.at(r.latency.typical) * PLOT_W;
    const xl = LABEL_W + scale.at(r.latency.low) * PLOT_W;
    const xh = LABEL_W + scale.at(r.latency.high) * PLOT_W;
    svg.appendChild(s('rect', { x: x0, y: y + 6, width: Math.max(1, xt - x0), height: 14, class: 'chart-bar-latency' }));
    svg.appendChild(s('line', { x1: xl, x2: xh, y1: y + 13, y2: y + 13, class: 'chart-whisker' }));
    svg.appendChild(s('line', { x1: xl, x2: xl, y1: y + 7, y2: y + 19, class: 'chart-whisker' }));
    svg.appendChild(s('line', { x1: xh, x2: xh, y1: y + 7, y2: y + 19, class: 'chart-whisker' }));
    svg.appendChild(s('text', { x: W - VALUE_W + 8, y: y + 17, class: 'chart-value' }, `${formatMs(r.latency.typical)} (${formatMs(r.latency.low)}–${formatMs(r.latency.high)})`));
  });

  // Memory
  svg.appendChild(s('text', { x: 0, y: memTop - 22, class: 'chart-heading' }, 'Memory needed against the device limit (line = 100 %)'));
  const limitX = LABEL_W + (1 / memMax) * PLOT_W;
  svg.appendChild(s('line', { x1: limitX, x2: limitX, y1: memTop - 6, y2: memTop + rows.length * ROW_H, class: 'chart-limit' }));
  rows.forEach((r, i) => {
    const y = memTop + i * ROW_H;
    svg.appendChild(s('text', { x: LABEL_W - 8, y: y + 17, class: 'chart-label', 'text-anchor': 'end' }, short(r.name)));
    if (!r.memory) return;
    const ratio = r.memory.ratio;
    const width = ratio === null ? 0 : Math.max(1, Math.min(ratio / memMax, 1) * PLOT_W);
    const cls = r.memory.fits === false ? 'chart-bar-over' : 'chart-bar-memory';
    if (ratio !== null) svg.appendChild(s('rect', { x: LABEL_W, y: y + 6, width, height: 14, class: cls }));
    const label = r.memory.limit ? `${formatBytes(r.memory.total)} / ${formatBytes(r.memory.limit)} (${pct(ratio)})` : `${formatBytes(r.memory.total)} (limit unknown)`;
    svg.appendChild(s('text', { x: W - VALUE_W + 8, y: y + 17, class: r.memory.fits === false ? 'chart-value chart-value-bad' : 'chart-value' }, label));
  });
  return svg;
}
