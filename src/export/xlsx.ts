/**
 * Excel (.xlsx) writer (exceljs): one sheet per section, and the big tables (devices, sources, per-layer costs) on
 * sheets of their own with a frozen header row and an auto-filter. Numbers are stored as numbers, in the unit the
 * header names. The Devices sheet has the latency and memory budgets as input cells: the margins and verdicts are
 * formulas, so a reviewer who changes a budget sees every device re-checked. Conditional formatting colours the
 * verdicts and draws data bars. Loaded only when an .xlsx is exported.
 */
import ExcelJS from 'exceljs';
import type { PlanDocument } from '../planner/plan';
import { BYTES_PER_MB } from './format';
import { buildReport, headerText, LATENCY_VERDICT_WORDS as W, type Block, type Cell, type Column, type Report, type TableBlock, type Tone } from './report';
import { rangeVerdict } from '../planner/budget-range';

type Sheet = ExcelJS.Worksheet;

const ACCENT = 'FF1F4E79';
const TONE_FONT: Record<Tone, string> = { good: 'FF1E7B34', bad: 'FFC00000', warn: 'FF9C5700' };
const TONE_FILL: Record<Tone, string> = { good: 'FFE2F0D9', bad: 'FFF8D7DA', warn: 'FFFFF2CC' };
const WIDE = 8; // columns A..H are merged for prose

/** Every font names its face: a font without a name falls back to the application's default serif face. */
const f = (o: Partial<ExcelJS.Font>): Partial<ExcelJS.Font> => ({ name: 'Calibri', family: 2, size: 11, ...o });
const fill = (argb: string): ExcelJS.Fill => ({ type: 'pattern', pattern: 'solid', fgColor: { argb } });

function colLetter(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/** Sheet names: at most 31 characters, none of []:*?/\ , unique in the workbook. */
function sheetName(wb: ExcelJS.Workbook, wanted: string): string {
  const base = wanted.replace(/[[\]:*?/\\]/g, ' ').trim().slice(0, 31) || 'Sheet';
  let name = base;
  for (let i = 2; wb.getWorksheet(name); i++) name = `${base.slice(0, 28)} ${i}`;
  return name;
}

function proseRow(ws: Sheet, row: number, text: string, o: { bold?: boolean; size?: number; color?: string; italic?: boolean; font?: string } = {}): number {
  ws.mergeCells(row, 1, row, WIDE);
  const cell = ws.getCell(row, 1);
  cell.value = text;
  cell.font = f({ bold: o.bold, size: o.size ?? 10, color: o.color ? { argb: o.color } : undefined, italic: o.italic, ...(o.font ? { name: o.font } : {}) });
  cell.alignment = { wrapText: true, vertical: 'top' };
  const lines = text.split('\n').reduce((n, l) => n + Math.max(1, Math.ceil(l.length / 120)), 0);
  ws.getRow(row).height = Math.max(15, lines * 13.5);
  return row + 1;
}

interface FormulaContext {
  /** Column letter by column key, for the row being written. */
  col: Record<string, string>;
  row: number;
  firstDataRow: number;
  report: Report;
  deviceIndex: number;
}

/** The formula a column stands for, with its result as computed here; null to keep the static value. */
function formulaFor(col: Column, f: FormulaContext): { formula: string; result: number | string } | null {
  const r = f.row;
  const at = (key: string): string => `${f.col[key]}${r}`;
  const lat = f.report.budgets.latencyMs;
  const mem = f.report.budgets.memoryMb;
  const est = f.report.devices[f.deviceIndex];
  switch (col.formula) {
    case 'latencyMargin':
      if (!est || !Number.isFinite(est.latencyMs.typical)) return null; // no estimate: the cell keeps its text
      return { formula: `IF(ISNUMBER(Budget_latency_ms),Budget_latency_ms-${at('latTyp')},"")`, result: lat !== undefined ? lat - est.latencyMs.typical : '' };
    case 'latencyVerdict':
      if (!est || !Number.isFinite(est.latencyMs.typical)) return null;
      return {
        // rangeVerdict as a formula, so the verdict follows an edited budget.
        formula: `IF(ISNUMBER(Budget_latency_ms),IF(${at('latHigh')}<=Budget_latency_ms,"${W.within}",IF(${at('latLow')}>Budget_latency_ms,"${W.over}",IF(${at('latTyp')}<=Budget_latency_ms,"${W['undecided-met']}","${W['undecided-missed']}"))),"no budget")`,
        result: lat === undefined ? 'no budget' : W[rangeVerdict(est.latencyMs, lat)],
      };
    case 'memoryFitsDevice': {
      if (!est) return null;
      const m = est.memory;
      // Only where the estimator's own verdict is "total within the limit": otherwise keep its verdict as it is.
      const simple = m.limitBytes === null ? m.fits === null : m.fits === m.totalBytes <= m.limitBytes;
      if (!simple) return null;
      return { formula: `IF(ISNUMBER(${at('memLimit')}),IF(${at('memTotal')}<=${at('memLimit')},"yes","no"),"unknown")`, result: m.fits === null ? 'unknown' : m.fits ? 'yes' : 'no' };
    }
    case 'memoryBudgetMargin':
      if (!est) return null;
      return { formula: `IF(ISNUMBER(Budget_memory_MiB),Budget_memory_MiB-${at('memTotal')},"")`, result: mem !== undefined ? mem - est.memory.totalBytes / BYTES_PER_MB : '' };
    case 'stageStartDay': {
      const stage = f.report.rollout[r - f.firstDataRow];
      if (!stage || r === f.firstDataRow) return null;
      return { formula: `${f.col.start}${r - 1}+${f.col.days}${r - 1}`, result: stage.startDay };
    }
    default:
      return null;
  }
}

/** Writes a table at `startRow` (header row there); returns the next free row. */
function writeTable(ws: Sheet, t: TableBlock, startRow: number, report: Report, o: { filter?: boolean; staticTones?: boolean } = {}): number {
  const col: Record<string, string> = {};
  t.columns.forEach((c, i) => (col[c.key] = colLetter(i + 1)));
  const header = ws.getRow(startRow);
  t.columns.forEach((c, i) => {
    const cell = header.getCell(i + 1);
    cell.value = headerText(c);
    cell.font = f({ bold: true, color: { argb: 'FFFFFFFF' } });
    cell.fill = fill(ACCENT);
    cell.alignment = { wrapText: true, vertical: 'middle', horizontal: c.numeric ? 'right' : 'left' };
  });
  header.height = 30;
  const firstDataRow = startRow + 1;
  t.rows.forEach((cells, ri) => {
    const r = firstDataRow + ri;
    const row = ws.getRow(r);
    cells.forEach((c: Cell, i) => {
      const column = t.columns[i];
      const cell = row.getCell(i + 1);
      const formula = column.formula ? formulaFor(column, { col, row: r, firstDataRow, report, deviceIndex: ri }) : null;
      if (formula) cell.value = { formula: formula.formula, result: formula.result } as ExcelJS.CellFormulaValue;
      else if (column.numeric && c.value !== undefined) cell.value = c.value;
      else cell.value = c.text;
      if (column.numeric && column.numFmt) cell.numFmt = column.numFmt;
      // text a cell's width away from a right-aligned number before it
      cell.alignment = { wrapText: !!column.wrap, vertical: 'top', ...(column.numeric && c.value !== undefined ? {} : { indent: 1 }) };
      if (c.tone && !formula && o.staticTones !== false) {
        cell.font = f({ color: { argb: TONE_FONT[c.tone] } });
        cell.fill = fill(TONE_FILL[c.tone]);
      }
    });
  });
  const lastRow = firstDataRow + Math.max(0, t.rows.length - 1);
  if (o.filter && t.rows.length) ws.autoFilter = { from: { row: startRow, column: 1 }, to: { row: lastRow, column: t.columns.length } };
  addVerdictFormatting(ws, t, firstDataRow, lastRow);
  return lastRow + 2;
}

/** Colours yes / no / not decided cells by rule (so they follow formula results) and draws data bars on key figures. */
function addVerdictFormatting(ws: Sheet, t: TableBlock, first: number, last: number): void {
  if (!t.rows.length) return;
  t.columns.forEach((c, i) => {
    const L = colLetter(i + 1);
    const ref = `${L}${first}:${L}${last}`;
    if (c.formula === 'latencyVerdict' || c.formula === 'memoryFitsDevice') {
      const rule = (formula: string, tone: Tone, priority: number): ExcelJS.ConditionalFormattingRule => ({
        type: 'expression',
        priority,
        formulae: [formula],
        style: { font: { color: { argb: TONE_FONT[tone] } }, fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: TONE_FILL[tone] } } },
      });
      ws.addConditionalFormatting({ ref, rules: [rule(`${L}${first}="yes"`, 'good', 1), rule(`${L}${first}="no"`, 'bad', 2), rule(`LEFT(${L}${first},11)="not decided"`, 'warn', 3)] });
    }
    if (c.formula === 'latencyMargin' || c.formula === 'memoryBudgetMargin') {
      ws.addConditionalFormatting({
        ref,
        rules: [
          { type: 'cellIs', priority: 4, operator: 'lessThan', formulae: ['0'], style: { font: { color: { argb: TONE_FONT.bad } }, fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: TONE_FILL.bad } } } },
          { type: 'expression', priority: 5, formulae: [`AND(ISNUMBER(${L}${first}),${L}${first}>=0)`], style: { font: { color: { argb: TONE_FONT.good } } } },
        ],
      });
    }
    if (['latTyp', 'memTotal', 'ms', 'macs'].includes(c.key) && c.numeric) {
      ws.addConditionalFormatting({
        ref,
        rules: [{ type: 'dataBar', priority: 6, minLength: 0, maxLength: 100, gradient: false, cfvo: [{ type: 'min' }, { type: 'max' }], color: { argb: 'FF638EC6' } } as unknown as ExcelJS.ConditionalFormattingRule],
      });
    }
  });
}

/** Printing (and PDF conversion): landscape A4, as wide as one page, header rows repeated. */
function pageSetup(ws: Sheet, repeatRows?: number): void {
  ws.pageSetup = { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.5, header: 0.3, footer: 0.3 } };
  if (repeatRows) ws.pageSetup.printTitlesRow = `${repeatRows}:${repeatRows}`;
  ws.headerFooter = { oddFooter: '&L&A&RPage &P of &N' };
}

function setWidths(ws: Sheet, widths: number[]): void {
  widths.forEach((w, i) => (ws.getColumn(i + 1).width = w));
}

function tableWidths(t: TableBlock): number[] {
  return t.columns.map((c, i) => {
    // headers wrap, so their longest word counts, not their whole length
    const headerWord = Math.max(...headerText(c).split(/\s+/).map((w) => w.length));
    const longest = Math.max(headerWord, headerText(c).length / 2, ...t.rows.slice(0, 300).map((r) => (r[i]?.text ?? '').length));
    return Math.min(c.wrap ? 60 : 45, Math.max(8, Math.ceil(longest) + 2));
  });
}

function writeBlocks(ws: Sheet, blocks: Block[], report: Report, row: number): number {
  let r = row;
  for (const b of blocks) {
    switch (b.kind) {
      case 'paragraph':
        r = proseRow(ws, r, b.text, b.style === 'note' ? { italic: true, color: 'FF595959', size: 9 } : b.style === 'lead' ? { size: 11 } : {}) + (b.style === 'note' ? 0 : 1);
        break;
      case 'subheading':
        r = proseRow(ws, r + 1, b.text, { bold: true, size: 12, color: ACCENT });
        break;
      case 'bullets':
        for (const item of b.items) r = proseRow(ws, r, `• ${item}`);
        r++;
        break;
      case 'facts':
        for (const fact of b.facts) {
          const label = ws.getCell(r, 1);
          label.value = fact.value !== undefined && fact.unit ? `${fact.label} (${fact.unit})` : fact.label;
          label.font = f({ bold: true });
          label.alignment = { vertical: 'top', wrapText: true };
          const value = ws.getCell(r, 2);
          if (fact.value !== undefined) {
            value.value = fact.value;
            value.alignment = { horizontal: 'left', vertical: 'top' };
            ws.mergeCells(r, 3, r, WIDE);
            const detail = ws.getCell(r, 3);
            detail.value = fact.text;
            detail.font = f({ color: { argb: 'FF595959' } });
            detail.alignment = { wrapText: true, vertical: 'top', indent: 1 };
          } else {
            ws.mergeCells(r, 2, r, WIDE);
            value.value = fact.text;
            value.alignment = { wrapText: true, vertical: 'top' };
          }
          if (fact.tone) value.font = f({ bold: true, color: { argb: TONE_FONT[fact.tone] } });
          const lines = Math.max(1, Math.ceil(fact.text.length / 100), fact.label.length > 34 ? 2 : 1);
          if (lines > 1) ws.getRow(r).height = lines * 13.5;
          r++;
        }
        r++;
        break;
      case 'table':
        if (b.title) r = proseRow(ws, r, b.title, { bold: true, color: ACCENT });
        r = writeTable(ws, b, r, report);
        break;
      case 'code': {
        r = proseRow(ws, r, b.title, { bold: true, size: 9, color: 'FF595959' });
        ws.mergeCells(r, 1, r, WIDE);
        const cell = ws.getCell(r, 1);
        cell.value = b.code;
        cell.font = f({ name: 'Consolas', size: 9 });
        cell.fill = fill('FFF3F3F3');
        cell.alignment = { wrapText: true, vertical: 'top' };
        ws.getRow(r).height = Math.max(15, b.code.split('\n').length * 12.5);
        r += 2;
        break;
      }
      case 'chart':
        // exceljs writes no charts: the Devices sheet has the same figures with data bars.
        break;
    }
  }
  return r;
}

function titleRows(ws: Sheet, title: string, subtitle?: string): number {
  const t = ws.getCell(1, 1);
  t.value = title;
  t.font = f({ bold: true, size: 15, color: { argb: ACCENT } });
  ws.getRow(1).height = 22;
  if (subtitle) {
    const s = ws.getCell(2, 1);
    s.value = subtitle;
    s.font = f({ italic: true, size: 9, color: { argb: 'FF595959' } });
    return 4;
  }
  return 3;
}

/** The Devices sheet: budget inputs on top, then the device table whose margins and verdicts are formulas. */
function devicesSheet(wb: ExcelJS.Workbook, t: TableBlock, report: Report): void {
  const ws = wb.addWorksheet(sheetName(wb, t.sheet ?? 'Devices'), { properties: { tabColor: { argb: ACCENT } } });
  titleRows(ws, 'Device comparison');
  const inputs: [string, number | undefined, string][] = [
    ['Latency budget (ms)', report.budgets.latencyMs, 'Budget_latency_ms'],
    ['Memory budget (MiB)', report.budgets.memoryMb, 'Budget_memory_MiB'],
  ];
  inputs.forEach(([label, value, name], i) => {
    const r = 2 + i;
    const l = ws.getCell(r, 1);
    l.value = label;
    l.font = f({ bold: true });
    const v = ws.getCell(r, 2);
    v.value = value ?? null;
    v.fill = fill('FFFFF2CC');
    v.border = { top: { style: 'thin' }, bottom: { style: 'thin' }, left: { style: 'thin' }, right: { style: 'thin' } };
    v.numFmt = '0.00';
    v.name = name;
  });
  const note = ws.getCell(4, 1);
  note.value = 'Change the yellow budget cells: the margins and "meets" columns recompute. Memory in MiB = 2^20 bytes.';
  note.font = f({ italic: true, size: 9, color: { argb: 'FF595959' } });
  const headerRow = 6;
  writeTable(ws, t, headerRow, report, { filter: true, staticTones: false });
  ws.views = [{ state: 'frozen', xSplit: 1, ySplit: headerRow, topLeftCell: 'B7', activeCell: 'B2' }];
  pageSetup(ws, headerRow);
  const w = tableWidths(t);
  w[0] = Math.max(w[0], 24);
  setWidths(ws, w);
}

function dataSheet(wb: ExcelJS.Workbook, t: TableBlock, report: Report, title: string): void {
  const ws = wb.addWorksheet(sheetName(wb, t.sheet ?? t.id));
  const headerRow = titleRows(ws, title, `${t.rows.length} rows`) - 1;
  writeTable(ws, t, headerRow, report, { filter: true });
  ws.views = [{ state: 'frozen', xSplit: 0, ySplit: headerRow, topLeftCell: `A${headerRow + 1}`, activeCell: `A${headerRow + 1}` }];
  pageSetup(ws, headerRow);
  setWidths(ws, tableWidths(t));
}

export function buildWorkbook(report: Report): ExcelJS.Workbook {
  const m = report.meta;
  const wb = new ExcelJS.Workbook();
  wb.creator = m.author;
  wb.lastModifiedBy = 'Edge Deployment Planner';
  wb.title = m.title;
  wb.subject = m.subject;
  wb.keywords = m.keywords.join(', ');
  wb.description = report.headline.sentence;
  wb.company = '';
  const created = new Date(m.generatedAt);
  wb.created = Number.isNaN(created.getTime()) ? new Date() : created;
  wb.modified = wb.created;
  wb.calcProperties.fullCalcOnLoad = true;

  for (const s of report.sections) {
    const own = s.blocks.filter((b): b is TableBlock => b.kind === 'table' && !!b.sheet);
    const rest = s.blocks.filter((b) => !(b.kind === 'table' && b.sheet) && b.kind !== 'chart');
    const onlyNotes = rest.every((b) => b.kind === 'paragraph' && b.style === 'note');
    // The device table leads its section; other own-sheet tables follow their section's sheet.
    for (const t of own) if (t.id === 'device-comparison') devicesSheet(wb, t, report);
    if (!onlyNotes || s.id === 'summary') {
      const ws = wb.addWorksheet(sheetName(wb, s.sheetName));
      let r = titleRows(ws, s.title, s.id === 'summary' ? `${m.subtitle} · ${m.date} · plan version ${m.planVersion}` : undefined);
      if (s.id === 'summary') {
        r = writeBlocks(ws, [{ kind: 'facts', facts: report.titleFacts }], report, r);
      }
      writeBlocks(ws, rest, report, r);
      setWidths(ws, [34, 20, 20, 18, 18, 18, 18, 18]);
      pageSetup(ws);
    }
    for (const t of own) if (t.id !== 'device-comparison') dataSheet(wb, t, report, s.id === 'layers' ? s.title : t.title ?? s.title);
  }
  return wb;
}

/** The plan as .xlsx bytes. */
export async function renderXlsx(doc: PlanDocument): Promise<Buffer> {
  const wb = buildWorkbook(buildReport(doc));
  const data = await wb.xlsx.writeBuffer();
  return Buffer.from(data as ArrayBuffer);
}
