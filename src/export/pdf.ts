/**
 * PDF writer (pdfkit): the report on A4 with the DejaVu Sans fonts embedded (no standard-14 font is used, so
 * pdfkit never reads its AFM files), document metadata, bookmarks and a linked contents page, vector charts
 * (latency per device with low–high range bars and the budget line; memory against the device limit), tables
 * whose header row repeats when they break across pages, and "Page X of Y" footers. Loaded only when a PDF is
 * exported; pdfkit stays outside the bundle (scripts/build.mjs) because it reads data files at run time.
 */
import PDFDocument from 'pdfkit';
import type { PlanDocument } from '../planner/plan';
import { fontPath, findFontDir } from './fonts';
import { fmtNum } from './format';
import { buildReport, headerText, pagedRows, splitByGroup, type Block, type Cell, type Fact, type Report, type TableBlock, type Tone } from './report';

type Doc = PDFKit.PDFDocument;

const PAGE = { width: 595.28, height: 841.89 };
const M = { top: 62, bottom: 60, left: 50, right: 50 };
const CONTENT_W = PAGE.width - M.left - M.right;
const BOTTOM = PAGE.height - M.bottom;

const ACCENT = '#1F4E79';
const ACCENT2 = '#2E75B6';
const TEXT = '#222222';
const MUTED = '#666666';
const GRID = '#D9D9D9';
const TONE_TEXT: Record<Tone, string> = { good: '#1E7B34', bad: '#C00000', warn: '#9C5700' };
const TONE_FILL: Record<Tone, string> = { good: '#E2F0D9', bad: '#F8D7DA', warn: '#FFF2CC' };
const TONE_BAR: Record<Tone, string> = { good: '#4F9A56', bad: '#C0504D', warn: '#F79646' };

interface Ctx {
  doc: Doc;
  report: Report;
  /** Section title, destination name and the page index it starts on (for the contents page). */
  toc: { title: string; dest: string; page: number }[];
}

const pageIndex = (doc: Doc): number => doc.bufferedPageRange().start + doc.bufferedPageRange().count - 1;

function ensureSpace(ctx: Ctx, h: number): void {
  if (ctx.doc.y + h > BOTTOM) ctx.doc.addPage();
}

/**
 * The regular face is the document's default font, cached by pdfkit under its file path; selecting it by a
 * registered alias would make pdfkit re-read and re-parse the font file on every call (it does not cache the alias
 * when the font equals one it already has), so 'Body' maps to that path.
 */
const bodyFontPath = new WeakMap<Doc, string>();

function face(doc: Doc, name: 'Body' | 'Bold' | 'Mono'): string {
  return name === 'Body' ? (bodyFontPath.get(doc) ?? name) : name;
}

function setFont(doc: Doc, name: 'Body' | 'Bold' | 'Mono', size: number, color = TEXT): void {
  doc.font(face(doc, name)).fontSize(size).fillColor(color);
}

// ---------------------------------------------------------------------------------------------------------------
// Text blocks

function heading1(ctx: Ctx, title: string, id: string): void {
  const { doc } = ctx;
  doc.addPage();
  const dest = `section-${id}`;
  doc.addNamedDestination(dest);
  ctx.toc.push({ title, dest, page: pageIndex(doc) });
  doc.outline.addItem(title);
  setFont(doc, 'Bold', 18, ACCENT);
  doc.text(title, M.left, M.top, { width: CONTENT_W });
  const y = doc.y + 2;
  doc.moveTo(M.left, y).lineTo(M.left + CONTENT_W, y).lineWidth(1).strokeColor(ACCENT).stroke();
  doc.y = y + 10;
}

function heading2(ctx: Ctx, text: string): void {
  const { doc } = ctx;
  ensureSpace(ctx, 60);
  doc.y += 6;
  setFont(doc, 'Bold', 12.5, ACCENT2);
  doc.text(text, M.left, doc.y, { width: CONTENT_W });
  doc.y += 4;
}

function paragraph(ctx: Ctx, text: string, style?: 'lead' | 'note'): void {
  const { doc } = ctx;
  if (style === 'lead') setFont(doc, 'Body', 11.5, '#333333');
  else if (style === 'note') setFont(doc, 'Body', 8.5, MUTED);
  else setFont(doc, 'Body', 10, TEXT);
  // A paragraph that introduces what follows ("Blockers:") stays on the page of its first line.
  const leadsIn = text.trimEnd().endsWith(':');
  ensureSpace(ctx, Math.min(doc.heightOfString(text, { width: CONTENT_W, lineGap: 2 }), 40) + (leadsIn ? 46 : 0));
  doc.text(text, M.left, doc.y, { width: CONTENT_W, lineGap: 2 });
  doc.y += 6;
}

function bulletList(ctx: Ctx, items: string[]): void {
  const { doc } = ctx;
  setFont(doc, 'Body', 10, TEXT);
  for (const item of items) {
    const h = doc.heightOfString(item, { width: CONTENT_W - 16, lineGap: 1.5 });
    ensureSpace(ctx, Math.min(h, 40));
    const y = doc.y;
    doc.text('•', M.left + 4, y, { width: 10, lineBreak: false });
    doc.text(item, M.left + 16, y, { width: CONTENT_W - 16, lineGap: 1.5 });
    doc.y += 3;
  }
  doc.y += 4;
}

function codeBlock(ctx: Ctx, title: string, code: string): void {
  const { doc } = ctx;
  ensureSpace(ctx, 40);
  setFont(doc, 'Bold', 8.5, MUTED);
  doc.text(title, M.left, doc.y, { width: CONTENT_W });
  doc.y += 2;
  const pad = 6;
  const width = CONTENT_W - 2 * pad;
  setFont(doc, 'Mono', 8);
  for (const line of code.split('\n')) {
    const text = line.length ? line : ' ';
    const h = doc.heightOfString(text, { width, lineGap: 1 });
    ensureSpace(ctx, h + 2);
    const y = doc.y;
    doc.rect(M.left, y, CONTENT_W, h + 2).fill('#F3F3F3');
    doc.rect(M.left, y, 2.5, h + 2).fill('#8EA9DB');
    setFont(doc, 'Mono', 8, TEXT);
    doc.text(text, M.left + pad, y + 1, { width, lineGap: 1 });
    doc.y = y + h + 2;
  }
  doc.y += 8;
}

// ---------------------------------------------------------------------------------------------------------------
// Tables

interface TableStyle {
  size: number;
  headerFill: string;
  headerColor: string;
  pad: number;
  zebra: boolean;
  boldFirst?: boolean;
}

function colWidths(weights: number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0) || 1;
  return weights.map((w) => (w / total) * CONTENT_W);
}

function rowHeight(doc: Doc, cells: { text: string; bold?: boolean }[], widths: number[], st: TableStyle): number {
  let h = 0;
  cells.forEach((c, i) => {
    doc.font(face(doc, c.bold ? 'Bold' : 'Body')).fontSize(st.size);
    h = Math.max(h, doc.heightOfString(c.text || ' ', { width: widths[i] - 2 * st.pad }));
  });
  return h + 2 * st.pad;
}

function drawRow(
  doc: Doc,
  y: number,
  cells: { text: string; bold?: boolean; color?: string; fill?: string; right?: boolean }[],
  widths: number[],
  h: number,
  st: TableStyle,
): void {
  let x = M.left;
  cells.forEach((c, i) => {
    if (c.fill) doc.rect(x, y, widths[i], h).fill(c.fill);
    doc.rect(x, y, widths[i], h).lineWidth(0.5).strokeColor('#BFBFBF').stroke();
    doc
      .font(face(doc, c.bold ? 'Bold' : 'Body'))
      .fontSize(st.size)
      .fillColor(c.color ?? TEXT)
      .text(c.text, x + st.pad, y + st.pad, { width: widths[i] - 2 * st.pad, height: h - 2 * st.pad + 1, align: c.right ? 'right' : 'left', ellipsis: true });
    x += widths[i];
  });
}

/**
 * A row too tall for a page as the part that fits in `maxH` and the rest (cells already done continue empty).
 * Each cell keeps the longest start that fits, ending at a space or break opportunity where there is one.
 */
function splitRow<C extends { text: string; bold?: boolean }>(doc: Doc, cells: C[], widths: number[], st: TableStyle, maxH: number): [C[], C[] | null] {
  const inner = maxH - 2 * st.pad;
  const heads: C[] = [];
  const tails: C[] = [];
  cells.forEach((c, i) => {
    doc.font(face(doc, c.bold ? 'Bold' : 'Body')).fontSize(st.size);
    const width = widths[i] - 2 * st.pad;
    const fits = (n: number): boolean => doc.heightOfString(c.text.slice(0, n) || ' ', { width }) <= inner;
    let n = c.text.length;
    if (!fits(n)) {
      let lo = 1;
      let hi = n - 1;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fits(mid)) lo = mid;
        else hi = mid - 1;
      }
      const brk = Math.max(c.text.lastIndexOf(' ', lo), c.text.lastIndexOf('\u200B', lo));
      n = brk > lo / 2 ? brk + 1 : lo;
    }
    heads.push({ ...c, text: c.text.slice(0, n) });
    tails.push({ ...c, text: c.text.slice(n).replace(/^[\s\u200B]+/, '') });
  });
  return [heads, tails.some((t) => t.text) ? tails : null];
}

/** Draws a table; when a row does not fit, a new page starts with the header row again. */
function table(ctx: Ctx, t: TableBlock, st: TableStyle): void {
  const { doc } = ctx;
  const widths = colWidths(t.columns.map((c) => c.width ?? 1));
  const header = t.columns.map((c) => ({ text: headerText(c, true), bold: true, color: st.headerColor, fill: st.headerFill, right: !!c.numeric }));
  const headerH = rowHeight(doc, header, widths, st);
  const maxRowH = BOTTOM - M.top - headerH - 20;

  if (t.title) {
    ensureSpace(ctx, 20 + headerH + 30);
    setFont(doc, 'Bold', 10, ACCENT);
    doc.text(t.title, M.left, doc.y, { width: CONTENT_W });
    doc.y += 3;
  } else ensureSpace(ctx, headerH + 30);

  let y = doc.y;
  drawRow(doc, y, header, widths, headerH, st);
  y += headerH;
  t.rows.forEach((row, ri) => {
    const cells = row.map((cell: Cell, i) => ({
      text: cell.text,
      color: cell.tone ? TONE_TEXT[cell.tone] : undefined,
      fill: cell.tone ? TONE_FILL[cell.tone] : st.zebra && ri % 2 ? '#F4F6F9' : undefined,
      right: !!t.columns[i].numeric && cell.value !== undefined,
      bold: st.boldFirst && i === 0,
    }));
    // A row taller than a page goes on in continuation rows on the next pages, so no text is cut.
    for (let part: typeof cells | null = cells; part; ) {
      let rest: typeof cells | null = null;
      if (rowHeight(doc, part, widths, st) > maxRowH) [part, rest] = splitRow(doc, part, widths, st, maxRowH);
      const h = Math.min(rowHeight(doc, part, widths, st), maxRowH);
      if (y + h > BOTTOM) {
        doc.addPage();
        y = M.top;
        drawRow(doc, y, header, widths, headerH, st);
        y += headerH;
      }
      drawRow(doc, y, part, widths, h, st);
      y += h;
      part = rest;
    }
  });
  doc.x = M.left;
  doc.y = y + 10;
}

const DATA_TABLE = (size: number): TableStyle => ({ size, headerFill: ACCENT, headerColor: '#FFFFFF', pad: 3.5, zebra: true });

/** Label / value rows without a header row. */
function facts(ctx: Ctx, list: Fact[]): void {
  const { doc } = ctx;
  const st: TableStyle = { size: 9.5, headerFill: '#FFFFFF', headerColor: '#FFFFFF', pad: 4, zebra: false, boldFirst: true };
  const widths = colWidths([1, 2.5]);
  ensureSpace(ctx, 40);
  let y = doc.y;
  for (const f of list) {
    const cells = [
      { text: f.label, bold: true, fill: '#EAF1F8' },
      { text: f.text, color: f.tone ? TONE_TEXT[f.tone] : undefined, bold: !!f.tone },
    ];
    const h = rowHeight(doc, cells, widths, st);
    if (y + h > BOTTOM) {
      doc.addPage();
      y = M.top;
    }
    drawRow(doc, y, cells, widths, h, st);
    y += h;
  }
  doc.x = M.left;
  doc.y = y + 10;
}

// ---------------------------------------------------------------------------------------------------------------
// Charts (vector)

interface Scale {
  map: (v: number) => number;
  ticks: number[];
  log: boolean;
}

function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

function makeScale(values: number[], x0: number, width: number): Scale {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  const max = pos.length ? Math.max(...pos) : 1;
  const min = pos.length ? Math.min(...pos) : 1;
  if (max / min > 30) {
    const lo = Math.floor(Math.log10(min));
    const hi = Math.ceil(Math.log10(max));
    const span = Math.max(1, hi - lo);
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
    return { log: true, ticks, map: (v) => x0 + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / span) * width };
  }
  const step = niceStep(max * 1.05);
  const top = Math.ceil((max * 1.05) / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { log: false, ticks, map: (v) => x0 + (Math.max(0, v) / top) * width };
}

function axis(doc: Doc, scale: Scale, top: number, bottom: number, unit: string): void {
  setFont(doc, 'Body', 7, MUTED);
  for (const t of scale.ticks) {
    const x = scale.map(t);
    doc.moveTo(x, top).lineTo(x, bottom).lineWidth(0.4).strokeColor(GRID).stroke();
    doc.text(fmtNum(t), x - 25, bottom + 3, { width: 50, align: 'center', lineBreak: false });
  }
  doc.text(`${unit}${scale.log ? ' (log scale)' : ''}`, scale.map(scale.ticks[scale.ticks.length - 1]) - 120, bottom + 13, { width: 120, align: 'right', lineBreak: false });
}

/** A device name left of its bar: at most two lines, cut with an ellipsis, centred on the bar. */
function chartLabel(doc: Doc, text: string, centreY: number, width: number): void {
  setFont(doc, 'Body', 7.5, TEXT);
  const lineH = doc.currentLineHeight(true);
  const lines = Math.min(2, Math.max(1, Math.round(doc.heightOfString(text, { width }) / lineH)));
  doc.text(text, M.left, centreY - (lines * lineH) / 2, { width, height: lines * lineH, align: 'right', ellipsis: true });
}

// Horizontal bar charts: a label column, the plot, and a value column.
const CHART_LABEL_W = 130;
const CHART_VALUE_W = 112;

/**
 * Reserves room for a chart of `rows` rows, draws its title, and returns the plot's geometry; `labelRoom` points
 * between the title and the plot hold a label drawn above the plot (the latency budget's).
 */
function chartFrame(ctx: Ctx, title: string, rows: number, rowH: number, labelRoom = 0): { plotTop: number; plotBottom: number; x0: number; plotW: number } {
  const { doc } = ctx;
  ensureSpace(ctx, 28 + labelRoom + rows * rowH + 34 + 10);
  const top = doc.y;
  setFont(doc, 'Bold', 10, ACCENT);
  doc.text(title, M.left, top, { width: CONTENT_W });
  const plotTop = Math.max(top + 20, doc.y + 4) + labelRoom;
  return { plotTop, plotBottom: plotTop + rows * rowH, x0: M.left + CHART_LABEL_W, plotW: CONTENT_W - CHART_LABEL_W - CHART_VALUE_W };
}

/** The axis line, and the cursor moved below the chart. */
function closeChart(ctx: Ctx, x0: number, plotTop: number, plotBottom: number): void {
  const { doc } = ctx;
  doc.moveTo(x0, plotTop).lineTo(x0, plotBottom).lineWidth(0.8).strokeColor('#808080').stroke();
  doc.x = M.left;
  doc.y = plotBottom + 34;
}

function latencyChart(ctx: Ctx): void {
  const { doc, report } = ctx;
  const bars = report.charts.latency;
  if (!bars.length) return;
  const budget = report.charts.latencyBudgetMs;
  const rowH = 26;
  const { plotTop, plotBottom, x0, plotW } = chartFrame(ctx, 'Latency per device: typical (bar) and low–high range (whisker)', bars.length, rowH, budget !== null ? 12 : 0);
  const scale = makeScale([...bars.flatMap((b) => [b.range.low, b.range.high]), ...(budget !== null ? [budget] : [])], x0, plotW);
  axis(doc, scale, plotTop, plotBottom, 'ms');
  bars.forEach((b, i) => {
    const cy = plotTop + i * rowH + rowH / 2;
    chartLabel(doc, b.deviceName, cy, CHART_LABEL_W - 8);
    const xt = scale.map(b.range.typical);
    doc.rect(x0, cy - 7, Math.max(1, xt - x0), 14).fill(b.tone ? TONE_BAR[b.tone] : '#4472C4');
    const xl = scale.map(b.range.low);
    const xh = scale.map(b.range.high);
    doc.moveTo(xl, cy).lineTo(xh, cy).lineWidth(1.2).strokeColor('#333333').stroke();
    doc.moveTo(xl, cy - 5).lineTo(xl, cy + 5).stroke();
    doc.moveTo(xh, cy - 5).lineTo(xh, cy + 5).stroke();
    setFont(doc, 'Body', 8, TEXT);
    doc.text(`${fmtNum(b.range.typical)} ms (${fmtNum(b.range.low)}–${fmtNum(b.range.high)})`, x0 + plotW + 6, cy - 5, { width: CHART_VALUE_W - 6, lineBreak: false });
  });
  if (budget !== null) {
    const xb = scale.map(budget);
    doc.moveTo(xb, plotTop - 4).lineTo(xb, plotBottom).lineWidth(1.2).dash(3, { space: 2 }).strokeColor('#C00000').stroke().undash();
    setFont(doc, 'Bold', 7.5, '#C00000');
    doc.text(`budget ${fmtNum(budget)} ms`, xb - 40, plotTop - 12, { width: 80, align: 'center', lineBreak: false });
  }
  closeChart(ctx, x0, plotTop, plotBottom);
}

function memoryChart(ctx: Ctx): void {
  const { doc, report } = ctx;
  const bars = report.charts.memory;
  if (!bars.length) return;
  const rowH = 30;
  const { plotTop, plotBottom, x0, plotW } = chartFrame(ctx, 'Memory needed (bar) against the device limit (grey)', bars.length, rowH);
  const scale = makeScale(bars.flatMap((b) => [b.totalMb, b.limitMb ?? 0]), x0, plotW);
  axis(doc, scale, plotTop, plotBottom, 'MiB');
  bars.forEach((b, i) => {
    const y = plotTop + i * rowH;
    chartLabel(doc, b.deviceName, y + rowH / 2, CHART_LABEL_W - 8);
    const color = b.fits === false ? TONE_BAR.bad : b.fits === true ? '#4472C4' : '#8FAADC';
    doc.rect(x0, y + 5, Math.max(1, scale.map(b.totalMb) - x0), 10).fill(color);
    if (b.limitMb !== null) doc.rect(x0, y + 16, Math.max(1, scale.map(b.limitMb) - x0), 8).fill('#A5A5A5');
    setFont(doc, 'Body', 8, b.fits === false ? TONE_TEXT.bad : TEXT);
    const label = `${fmtNum(b.totalMb)} of ${b.limitMb !== null ? fmtNum(b.limitMb) : '?'} MiB${b.fits === false ? ' — does not fit' : ''}`;
    doc.text(label, x0 + plotW + 6, y + rowH / 2 - 5, { width: CHART_VALUE_W - 6, lineBreak: false });
  });
  closeChart(ctx, x0, plotTop, plotBottom);
}

// ---------------------------------------------------------------------------------------------------------------

function block(ctx: Ctx, b: Block, tableSize: number): void {
  switch (b.kind) {
    case 'paragraph':
      return paragraph(ctx, b.text, b.style);
    case 'bullets':
      return bulletList(ctx, b.items);
    case 'facts':
      return facts(ctx, b.facts);
    case 'table': {
      const { rows, note } = pagedRows(b);
      for (const part of splitByGroup({ ...b, rows })) table(ctx, part, DATA_TABLE(tableSize));
      if (note) paragraph(ctx, note, 'note');
      return;
    }
    case 'code':
      return codeBlock(ctx, b.title, b.code);
    case 'subheading':
      return heading2(ctx, b.text);
    case 'chart':
      return b.chart === 'latency' ? latencyChart(ctx) : memoryChart(ctx);
  }
}

function titlePage(ctx: Ctx): void {
  const { doc, report } = ctx;
  const m = report.meta;
  doc.y = 190;
  setFont(doc, 'Bold', 11, '#7F7F7F');
  doc.text(m.subtitle.toUpperCase(), M.left, doc.y, { width: CONTENT_W, characterSpacing: 1 });
  doc.y += 6;
  setFont(doc, 'Bold', 28, ACCENT);
  doc.text(m.title, M.left, doc.y, { width: CONTENT_W });
  doc.y += 14;
  setFont(doc, 'Body', 12, '#404040');
  doc.text(report.headline.sentence, M.left, doc.y, { width: CONTENT_W, lineGap: 3 });
  doc.y += 28;
  facts(ctx, report.titleFacts);
}

function contentsPage(ctx: Ctx, pageIdx: number): void {
  const { doc } = ctx;
  doc.switchToPage(pageIdx);
  setFont(doc, 'Bold', 18, ACCENT);
  doc.text('Contents', M.left, M.top, { width: CONTENT_W });
  let y = doc.y + 12;
  for (const e of ctx.toc) {
    setFont(doc, 'Body', 11, TEXT);
    doc.text(e.title, M.left, y, { width: CONTENT_W - 40, goTo: e.dest, lineBreak: false });
    doc.text(String(e.page + 1), M.left + CONTENT_W - 40, y, { width: 40, align: 'right', goTo: e.dest, lineBreak: false });
    doc
      .moveTo(M.left, y + 15)
      .lineTo(M.left + CONTENT_W, y + 15)
      .lineWidth(0.3)
      .strokeColor(GRID)
      .stroke();
    y += 22;
  }
}

function headersAndFooters(ctx: Ctx): void {
  const { doc, report } = ctx;
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const saved = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    setFont(doc, 'Body', 8, '#7F7F7F');
    if (i > range.start) doc.text(headerLine(`${report.meta.title} — ${report.meta.subtitle}`), M.left, 30, { width: CONTENT_W, align: 'right', lineBreak: false });
    doc.text(`Page ${i + 1} of ${range.count}`, M.left, PAGE.height - 38, { width: CONTENT_W, align: 'center', lineBreak: false });
    doc.page.margins.bottom = saved;
  }
}

/**
 * Longest run of non-space characters handed to pdfkit. Its line breaker re-measures the rest of a word wider
 * than a line after every line it fills (quadratic: a 20,000-character word took 14 s and 1.1 GB), so longer
 * runs get a zero-width space (a break opportunity, no glyph) every MAX_WORD characters.
 */
const MAX_WORD = 100;
const LONG_WORD = new RegExp(`\\S{${MAX_WORD + 1},}`, 'gu');
const WORD_CHUNK = new RegExp(`\\S{${MAX_WORD}}`, 'gu');

export function breakLongWords(text: string): string {
  return text.replace(LONG_WORD, (w) => w.replace(WORD_CHUNK, '$&\u200B'));
}

/** The report with breakLongWords applied to every rendered text, except code (set in the mono font, which has no zero-width space). */
function withBreakableWords<T>(v: T): T {
  if (typeof v === 'string') return breakLongWords(v) as T;
  if (!v || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => withBreakableWords(x)) as T;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = o.kind === 'code' && k === 'code' ? x : withBreakableWords(x);
  return out as T;
}

/** The running header is one line: a long title is cut (it is printed whole on the title page). */
function headerLine(text: string): string {
  const plain = text.replace(/\u200B/g, '');
  return plain.length > 110 ? `${plain.slice(0, 109)}…` : plain;
}

/** The plan as PDF bytes. `fontDir` overrides where DejaVuSans*.ttf are read from. */
export function renderPdf(planDoc: PlanDocument, opts: { fontDir?: string } = {}): Promise<Buffer> {
  const original = buildReport(planDoc);
  const report = withBreakableWords(original);
  const fontDir = opts.fontDir ?? findFontDir();
  const regular = fontPath('regular', fontDir);
  const m = original.meta; // the document information keeps the texts as they are
  const doc = new PDFDocument({
    size: 'A4',
    margins: M,
    bufferPages: true,
    autoFirstPage: true,
    // The default font would be Helvetica (read from pdfkit's AFM files): start with the embedded TTF instead.
    font: regular,
    displayTitle: true,
    lang: 'en',
    pdfVersion: '1.7',
    info: {
      Title: m.title,
      Author: m.author,
      Subject: m.subject,
      Keywords: m.keywords.join(', '),
      Creator: `Edge Deployment Planner ${m.toolVersion}`,
      Producer: `Edge Deployment Planner ${m.toolVersion} (pdfkit)`,
      CreationDate: Number.isNaN(Date.parse(m.generatedAt)) ? new Date() : new Date(m.generatedAt),
    },
  });
  bodyFontPath.set(doc, regular);
  doc.registerFont('Bold', fontPath('bold', fontDir));
  doc.registerFont('Mono', fontPath('mono', fontDir));

  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const ctx: Ctx = { doc, report, toc: [] };
  try {
    titlePage(ctx);
    doc.addPage();
    const contentsIdx = pageIndex(doc);
    for (const s of report.sections) {
      heading1(ctx, s.title, s.id);
      const size = s.id === 'layers' ? 7 : 8;
      for (const b of s.blocks) block(ctx, b, size);
    }
    contentsPage(ctx, contentsIdx);
    headersAndFooters(ctx);
    doc.end();
  } catch (e) {
    doc.end();
    return Promise.reject(e);
  }
  return done;
}
