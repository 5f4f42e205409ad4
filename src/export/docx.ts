/**
 * Word (.docx) writer: the report as a Word document with Title / Heading 1 / Heading 2 styles (navigable, with a
 * table of contents field filled in from the headings), real tables whose header rows repeat on each page, native
 * Word charts (latency with low–high error bars and the budget line, memory against the device limit) and
 * "Page X of Y" in the footer. Loaded only when a .docx is exported.
 */
import {
  AlignmentType,
  BorderStyle,
  Document,
  Footer,
  Header,
  HeadingLevel,
  LevelFormat,
  LineRuleType,
  Packer,
  PageNumber,
  Paragraph,
  ShadingType,
  Table,
  TableCell,
  TableLayoutType,
  TableOfContents,
  TableRow,
  TextRun,
  WidthType,
  type FileChild,
} from 'docx';
import { ChartRun } from 'docx/charts';
import type { PlanDocument } from '../planner/plan';
import { fmtNum } from './format';
import { buildReport, headerText, pagedRows, splitByGroup, type Block, type Cell, type Fact, type Report, type TableBlock, type Tone } from './report';

const FONT = 'Calibri';
const MONO = 'DejaVu Sans Mono';
const ACCENT = '1F4E79';
/** A4 with 2 cm margins: the text width in twips. */
const PAGE_W = 11906;
const MARGIN = 1134;
const CONTENT_W = PAGE_W - 2 * MARGIN;

const TONE_TEXT: Record<Tone, string> = { good: '1E7B34', bad: 'C00000', warn: '9C5700' };
const TONE_FILL: Record<Tone, string> = { good: 'E2F0D9', bad: 'F8D7DA', warn: 'FFF2CC' };

const cellBorders = {
  top: { style: BorderStyle.SINGLE, size: 4, color: 'BFBFBF' },
  bottom: { style: BorderStyle.SINGLE, size: 4, color: 'BFBFBF' },
  left: { style: BorderStyle.SINGLE, size: 4, color: 'BFBFBF' },
  right: { style: BorderStyle.SINGLE, size: 4, color: 'BFBFBF' },
};

function run(text: string, o: { bold?: boolean; size?: number; color?: string; font?: string; italics?: boolean } = {}): TextRun {
  return new TextRun({ text, bold: o.bold, size: o.size, color: o.color, font: o.font, italics: o.italics });
}

/** A paragraph whose newlines become line breaks. */
function textParagraph(text: string, o: { bold?: boolean; size?: number; color?: string; italics?: boolean; align?: (typeof AlignmentType)[keyof typeof AlignmentType]; spacingAfter?: number } = {}): Paragraph {
  const lines = text.split('\n');
  return new Paragraph({
    alignment: o.align,
    spacing: { after: o.spacingAfter ?? 120 },
    // A paragraph that introduces what follows ("Blockers:") stays on the page of the next one.
    keepNext: text.trimEnd().endsWith(':') || undefined,
    children: lines.map((line, i) => new TextRun({ text: line, break: i > 0 ? 1 : undefined, bold: o.bold, size: o.size, color: o.color, italics: o.italics })),
  });
}

function widths(weights: number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0) || 1;
  const w = weights.map((x) => Math.floor((x / total) * CONTENT_W));
  w[w.length - 1] += CONTENT_W - w.reduce((s, x) => s + x, 0);
  return w;
}

function cellParagraph(cell: Cell, o: { bold?: boolean; size: number; align?: 'right' | 'left'; color?: string }): Paragraph {
  const lines = cell.text.split('\n');
  return new Paragraph({
    alignment: o.align === 'right' ? AlignmentType.RIGHT : AlignmentType.LEFT,
    spacing: { before: 0, after: 0 },
    children: lines.map(
      (line, i) =>
        new TextRun({ text: line, break: i > 0 ? 1 : undefined, bold: o.bold, size: o.size, color: o.color ?? (cell.tone ? TONE_TEXT[cell.tone] : undefined) }),
    ),
  });
}

const tableBorders = {
  ...cellBorders,
  insideHorizontal: { style: BorderStyle.SINGLE, size: 4, color: 'BFBFBF' },
  insideVertical: { style: BorderStyle.SINGLE, size: 4, color: 'BFBFBF' },
};

/**
 * A data table. Borders and cell margins are set once on the table, not per cell: the per-layer table has
 * thousands of cells, and per-cell properties made the document several times slower to build.
 */
function dataTable(t: TableBlock, size: number): Table {
  const colW = widths(t.columns.map((c) => c.width ?? 1));
  const zebra = t.rows.length <= 60;
  const header = new TableRow({
    tableHeader: true,
    cantSplit: true,
    children: t.columns.map(
      (col, i) =>
        new TableCell({
          width: { size: colW[i], type: WidthType.DXA },
          shading: { type: ShadingType.CLEAR, color: 'auto', fill: ACCENT },
          children: [cellParagraph({ text: headerText(col, true) }, { bold: true, size, color: 'FFFFFF', align: col.numeric ? 'right' : 'left' })],
        }),
    ),
  });
  const rows = t.rows.map(
    (r, ri) =>
      new TableRow({
        cantSplit: zebra ? true : undefined,
        children: r.map(
          (cell, i) =>
            new TableCell({
              // the table's grid gives the widths; per-cell widths only on small tables
              width: zebra ? { size: colW[i], type: WidthType.DXA } : undefined,
              shading: cell.tone ? { type: ShadingType.CLEAR, color: 'auto', fill: TONE_FILL[cell.tone] } : zebra && ri % 2 ? { type: ShadingType.CLEAR, color: 'auto', fill: 'F2F2F2' } : undefined,
              children: [cellParagraph(cell, { size, align: t.columns[i].numeric && cell.value !== undefined ? 'right' : 'left' })],
            }),
        ),
      }),
  );
  return new Table({
    layout: TableLayoutType.FIXED,
    width: { size: CONTENT_W, type: WidthType.DXA },
    columnWidths: colW,
    borders: tableBorders,
    margins: { top: 30, bottom: 30, left: 60, right: 60 },
    rows: [header, ...rows],
  });
}

function factsTable(facts: Fact[]): Table {
  const colW = widths([1, 2.4]);
  return new Table({
    layout: TableLayoutType.FIXED,
    width: { size: CONTENT_W, type: WidthType.DXA },
    columnWidths: colW,
    rows: facts.map(
      (f) =>
        new TableRow({
          cantSplit: true,
          children: [
            new TableCell({
              width: { size: colW[0], type: WidthType.DXA },
              shading: { type: ShadingType.CLEAR, color: 'auto', fill: 'EAF1F8' },
              borders: cellBorders,
              margins: { top: 40, bottom: 40, left: 80, right: 80 },
              children: [cellParagraph({ text: f.label }, { bold: true, size: 19 })],
            }),
            new TableCell({
              width: { size: colW[1], type: WidthType.DXA },
              borders: cellBorders,
              margins: { top: 40, bottom: 40, left: 80, right: 80 },
              children: [cellParagraph({ text: f.text, tone: f.tone }, { size: 19, bold: !!f.tone })],
            }),
          ],
        }),
    ),
  });
}

function codeBlock(title: string, code: string): FileChild[] {
  const lines = code.split('\n');
  return [
    new Paragraph({ spacing: { before: 120, after: 40 }, children: [run(title, { bold: true, size: 18, color: '595959' })] }),
    new Paragraph({
      spacing: { after: 160 },
      shading: { type: ShadingType.CLEAR, color: 'auto', fill: 'F3F3F3' },
      border: { left: { style: BorderStyle.SINGLE, size: 12, color: '8EA9DB', space: 4 } },
      children: lines.map((line, i) => new TextRun({ text: line, font: MONO, size: 17, break: i > 0 ? 1 : undefined })),
    }),
  ];
}

function latencyChart(report: Report): Paragraph | null {
  const bars = report.charts.latency;
  if (!bars.length) return null;
  const budget = report.charts.latencyBudgetMs;
  const toneColor = (t?: Tone): string => (t === 'bad' ? 'C0504D' : t === 'warn' ? 'F79646' : t === 'good' ? '4F9A56' : '4472C4');
  return new Paragraph({
    alignment: AlignmentType.CENTER,
    spacing: { before: 120, after: 120 },
    children: [
      new ChartRun({
        type: 'column',
        title: 'Latency per device (typical, bars show low–high)',
        categories: bars.map((b) => b.deviceName),
        series: [
          {
            name: 'Typical latency (ms)',
            values: bars.map((b) => b.range.typical),
            colors: bars.map((b) => toneColor(b.tone)),
            errorBars: { type: 'custom', plus: bars.map((b) => b.range.high - b.range.typical), minus: bars.map((b) => b.range.typical - b.range.low) },
            dataLabels: { value: true, numberFormat: '0.0', position: 'insideBase' },
          },
          ...(budget !== null ? [{ name: `Latency budget (${fmtNum(budget)} ms)`, values: bars.map(() => budget), type: 'line' as const, color: 'C00000', markers: false }] : []),
        ],
        valueAxis: spread(bars.map((b) => b.range.high)) > 30 ? { title: 'ms (log scale)', logarithmicBase: 10 } : { title: 'ms', minimum: 0 },
        legend: { position: 'bottom' },
        transformation: { width: 600, height: 280 },
        altText: { name: 'Latency chart', description: bars.map((b) => `${b.deviceName}: ${fmtNum(b.range.typical)} ms (${fmtNum(b.range.low)} to ${fmtNum(b.range.high)} ms)`).join('; ') },
      }),
    ],
  });
}

/** Ratio of the largest to the smallest positive value: when large, a log axis keeps every bar readable. */
function spread(values: number[]): number {
  const pos = values.filter((v) => v > 0);
  if (!pos.length) return 1;
  return Math.max(...pos) / Math.min(...pos);
}

function memoryChart(report: Report): Paragraph | null {
  const bars = report.charts.memory;
  if (!bars.length) return null;
  const all = bars.flatMap((b) => [b.totalMb, b.limitMb ?? 0]);
  return new Paragraph({
    alignment: AlignmentType.CENTER,
    spacing: { before: 120, after: 120 },
    children: [
      new ChartRun({
        type: 'column',
        title: 'Memory needed vs device limit',
        categories: bars.map((b) => b.deviceName),
        series: [
          { name: 'Memory needed (MiB)', values: bars.map((b) => b.totalMb), colors: bars.map((b) => (b.fits === false ? 'C0504D' : '4472C4')), dataLabels: { value: true, numberFormat: '0.0' } },
          { name: 'Device limit (MiB)', values: bars.map((b) => b.limitMb), color: 'A5A5A5', dataLabels: { value: true, numberFormat: '#,##0' } },
        ],
        valueAxis: spread(all) > 30 ? { title: 'MiB (log scale)', logarithmicBase: 10 } : { title: 'MiB', minimum: 0 },
        legend: { position: 'bottom' },
        transformation: { width: 600, height: 260 },
        altText: {
          name: 'Memory chart',
          description: bars.map((b) => `${b.deviceName}: ${fmtNum(b.totalMb)} MiB needed, limit ${b.limitMb !== null ? fmtNum(b.limitMb) + ' MiB' : 'unknown'}`).join('; '),
        },
      }),
    ],
  });
}

function renderBlock(block: Block, report: Report, tableSize: number): FileChild[] {
  switch (block.kind) {
    case 'paragraph':
      return [
        block.style === 'lead'
          ? textParagraph(block.text, { size: 24, color: '262626' })
          : block.style === 'note'
            ? textParagraph(block.text, { size: 18, italics: true, color: '595959' })
            : textParagraph(block.text),
      ];
    case 'bullets':
      return block.items.map((item) => new Paragraph({ numbering: { reference: 'bullets', level: 0 }, spacing: { after: 60 }, children: [run(item)] }));
    case 'facts':
      return [factsTable(block.facts), spacer()];
    case 'table': {
      const out: FileChild[] = [];
      const { rows, note } = pagedRows(block);
      for (const part of splitByGroup({ ...block, rows })) {
        if (part.title) out.push(new Paragraph({ spacing: { before: 160, after: 60 }, keepNext: true, children: [run(part.title, { bold: true, size: 20, color: ACCENT })] }));
        out.push(dataTable(part, tableSize), spacer());
      }
      if (note) out.push(textParagraph(note, { size: 18, italics: true, color: '595959' }));
      return out;
    }
    case 'code':
      return codeBlock(block.title, block.code);
    case 'subheading':
      return [new Paragraph({ heading: HeadingLevel.HEADING_2, keepNext: true, children: [run(block.text)] })];
    case 'chart': {
      const p = block.chart === 'latency' ? latencyChart(report) : memoryChart(report);
      return p ? [p] : [];
    }
  }
}

/** The empty paragraphs that space a table from what follows; a section's trailing one is dropped (trimSpacers). */
const spacers = new WeakSet<FileChild>();
function spacer(): Paragraph {
  const p = new Paragraph({ spacing: { after: 120 }, children: [] });
  spacers.add(p);
  return p;
}
/**
 * A section's blocks without the spacer after its last table: a table that fills its page exactly would push that
 * empty paragraph onto a page of its own before the next section's page break (a blank page).
 */
function trimSpacers(children: FileChild[]): FileChild[] {
  let end = children.length;
  while (end > 0 && spacers.has(children[end - 1])) end--;
  return children.slice(0, end);
}

export function buildDocxDocument(report: Report): Document {
  const m = report.meta;
  const title: FileChild[] = [
    new Paragraph({ spacing: { before: 2400, after: 120 }, children: [run(m.subtitle.toUpperCase(), { size: 22, color: '7F7F7F', bold: true })] }),
    new Paragraph({ heading: HeadingLevel.TITLE, spacing: { after: 240 }, children: [run(m.title)] }),
    new Paragraph({ spacing: { after: 480 }, children: [run(report.headline.sentence, { size: 24, color: '404040' })] }),
    factsTable(report.titleFacts),
    new Paragraph({ pageBreakBefore: true, children: [run('Contents', { bold: true, size: 28, color: ACCENT })] }),
    new TableOfContents('Contents', { hyperlink: true, headingStyleRange: '1-1' }),
  ];
  const body: FileChild[] = [];
  for (const s of report.sections) {
    body.push(new Paragraph({ heading: HeadingLevel.HEADING_1, pageBreakBefore: true, children: [run(s.title)] }));
    const size = s.id === 'layers' ? 15 : 17;
    body.push(...trimSpacers(s.blocks.flatMap((b) => renderBlock(b, report, size))));
  }

  return new Document({
    creator: m.author,
    title: m.title,
    subject: m.subject,
    keywords: m.keywords.join(', '),
    description: report.headline.sentence,
    lastModifiedBy: 'Edge Deployment Planner',
    styles: {
      default: {
        document: { run: { font: FONT, size: 21 }, paragraph: { spacing: { after: 120, line: 264, lineRule: LineRuleType.AUTO } } },
        title: { run: { font: FONT, size: 52, bold: true, color: ACCENT } },
        heading1: { run: { font: FONT, size: 34, bold: true, color: ACCENT }, paragraph: { spacing: { before: 120, after: 200 } } },
        heading2: { run: { font: FONT, size: 26, bold: true, color: '2E75B6' }, paragraph: { spacing: { before: 280, after: 100 } } },
      },
    },
    numbering: {
      config: [{ reference: 'bullets', levels: [{ level: 0, format: LevelFormat.BULLET, text: '•', alignment: AlignmentType.LEFT, style: { paragraph: { indent: { left: 360, hanging: 240 } } } }] }],
    },
    sections: [
      {
        properties: { page: { size: { width: PAGE_W, height: 16838 }, margin: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN, header: 567, footer: 567 } } },
        headers: { default: new Header({ children: [new Paragraph({ alignment: AlignmentType.RIGHT, children: [run(`${m.title} — ${m.subtitle}`, { size: 16, color: '7F7F7F' })] })] }) },
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.CENTER,
                children: [new TextRun({ size: 16, color: '7F7F7F', children: ['Page ', PageNumber.CURRENT, ' of ', PageNumber.TOTAL_PAGES] })],
              }),
            ],
          }),
        },
        children: [...title, ...body],
      },
    ],
  });
}

/** The plan as a .docx file's bytes. */
export async function renderDocx(doc: PlanDocument): Promise<Buffer> {
  return Packer.toBuffer(buildDocxDocument(buildReport(doc)));
}
