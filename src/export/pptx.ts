/**
 * PowerPoint (.pptx) writer (pptxgenjs): a short deck — title, executive summary, model at a glance, device
 * comparison as a native bar chart, the compression pipeline, what verify measured on the user's data and this
 * machine next to the predictions (a slide per technique measured), the rollout timeline, risks, and assumptions and
 * sources. Slides carry the headline figures; the speaker notes carry each section's full text, so nothing the other
 * formats say is lost. Sections that are empty get no slide. Loaded only when a .pptx is exported.
 */
import PptxGenJS from 'pptxgenjs';
import type { PlanDocument } from '../planner/plan';
import { BYTES_PER_MB, clip, fmtNum, isKnown, TECHNIQUE_LABELS, fmtSpan } from './format';
import { explainDeployed } from '../planner/estimate/explain';
import { blocksToPlainText, buildReport, splitByGroup, type Block, type Fact, type Report, type Section, type TableBlock, type Tone } from './report';

type Slide = PptxGenJS.Slide;
type Cell = PptxGenJS.TableCell;

const W = 13.333;
const ACCENT = '1F4E79';
const ACCENT2 = '2E75B6';
const GREY = '7F7F7F';
const FONT = 'Calibri';
const TONE_TEXT: Record<Tone, string> = { good: '1E7B34', bad: 'C00000', warn: '9C5700' };
const TONE_FILL: Record<Tone, string> = { good: 'E2F0D9', bad: 'F8D7DA', warn: 'FFF2CC' };
const MASTER = 'EDGEPLAN';

const section = (r: Report, id: Section['id']): Section | undefined => r.sections.find((s) => s.id === id);
const tableOf = (s: Section | undefined, id: string): TableBlock | undefined => s?.blocks.find((b): b is TableBlock => b.kind === 'table' && b.id === id);
const factsOf = (s: Section | undefined): Fact[] => (s?.blocks.find((b) => b.kind === 'facts') as { facts: Fact[] } | undefined)?.facts ?? [];

function notes(slide: Slide, ...parts: (string | Block[] | undefined)[]): void {
  const text = parts
    .map((p) => (p === undefined ? '' : typeof p === 'string' ? p : blocksToPlainText(p)))
    .filter((p) => p.trim())
    .join('\n\n');
  if (text) slide.addNotes(text);
}

function titled(pptx: PptxGenJS, title: string): Slide {
  const slide = pptx.addSlide({ masterName: MASTER });
  slide.addText(title, { x: 0.5, y: 0.3, w: W - 1, h: 0.75, fontFace: FONT, fontSize: 28, bold: true, color: ACCENT, valign: 'middle', margin: 0 });
  return slide;
}

const hdr = (text: string): Cell => ({ text, options: { bold: true, color: 'FFFFFF', fill: { color: ACCENT } } });
const cell = (text: string, tone?: Tone, o: { bold?: boolean; align?: 'left' | 'right' } = {}): Cell => ({
  text,
  options: { color: tone ? TONE_TEXT[tone] : '262626', fill: tone ? { color: TONE_FILL[tone] } : undefined, bold: o.bold, align: o.align },
});

function titleSlide(pptx: PptxGenJS, r: Report): void {
  const slide = pptx.addSlide({ masterName: MASTER });
  const m = r.meta;
  slide.addShape(pptx.ShapeType.rect, { x: 0, y: 0, w: 0.35, h: 7.5, fill: { color: ACCENT }, line: { color: ACCENT } });
  slide.addText(m.subtitle.toUpperCase(), { x: 0.9, y: 1.6, w: 11.5, h: 0.5, fontFace: FONT, fontSize: 16, bold: true, color: GREY, charSpacing: 2 });
  slide.addText(clip(m.title, 90), { x: 0.9, y: 2.1, w: 11.5, h: 1.4, fontFace: FONT, fontSize: 44, bold: true, color: ACCENT, valign: 'top', fit: 'shrink' });
  slide.addText(`Model: ${m.modelName}`, { x: 0.9, y: 3.7, w: 11.5, h: 0.5, fontFace: FONT, fontSize: 20, color: '404040' });
  const line = [m.author !== 'Edge Deployment Planner' ? `Owner: ${m.author}` : '', m.date ? `Date: ${m.date}` : '', m.planVersion ? `Plan version ${m.planVersion}` : '']
    .filter(Boolean)
    .join('   ·   ');
  slide.addText(line, { x: 0.9, y: 4.3, w: 11.5, h: 0.45, fontFace: FONT, fontSize: 16, color: GREY });
  notes(slide, r.titleFacts.map((f) => `${f.label}: ${f.text}`).join('\n'));
}

function kpiTile(slide: Slide, x: number, y: number, label: string, value: string, detail: string, tone?: Tone): void {
  slide.addShape('rect', { x, y, w: 2.55, h: 1.45, fill: { color: tone ? TONE_FILL[tone] : 'EAF1F8' }, line: { color: 'D0DCEA' } });
  slide.addText(label.toUpperCase(), { x: x + 0.12, y: y + 0.08, w: 2.3, h: 0.3, fontFace: FONT, fontSize: 10, bold: true, color: GREY, margin: 0 });
  slide.addText(clip(value, 28), { x: x + 0.12, y: y + 0.4, w: 2.3, h: 0.55, fontFace: FONT, fontSize: 20, bold: true, color: tone ? TONE_TEXT[tone] : ACCENT, margin: 0, fit: 'shrink' });
  if (detail) slide.addText(clip(detail, 40), { x: x + 0.12, y: y + 0.98, w: 2.3, h: 0.35, fontFace: FONT, fontSize: 10, color: '404040', margin: 0 });
}

function summarySlide(pptx: PptxGenJS, r: Report): void {
  const s = section(r, 'summary');
  const h = r.headline;
  const slide = titled(pptx, 'Executive summary');
  slide.addText(clip(h.sentence, 420), { x: 0.5, y: 1.3, w: 6.9, h: 2.6, fontFace: FONT, fontSize: 17, color: '262626', valign: 'top', fit: 'shrink' });
  const lat = h.latencyMs;
  kpiTile(slide, 7.7, 1.3, 'Device', h.deviceName || '—', h.device);
  kpiTile(slide, 10.35, 1.3, h.afterPipeline ? 'Latency (after pipeline)' : 'Latency', lat ? `${fmtNum(lat.typical)} ms` : 'unknown', lat ? `range ${fmtNum(lat.low)}–${fmtNum(lat.high)} ms` : '');
  kpiTile(slide, 7.7, 2.9, 'Memory', h.memoryText, '');
  kpiTile(slide, 10.35, 2.9, 'Energy / inference', h.energyMj ? `${fmtNum(h.energyMj.typical)} mJ` : '—', h.energyMj ? `range ${fmtNum(h.energyMj.low)}–${fmtNum(h.energyMj.high)} mJ` : '');
  slide.addText(`Pipeline: ${h.pipelineText}`, { x: 0.5, y: 4.05, w: 12.3, h: 0.6, fontFace: FONT, fontSize: 14, color: ACCENT2, bold: true, fit: 'shrink' });
  if (h.meetsAll !== null) {
    const tone: Tone = h.latencyUndecided ? 'warn' : h.meetsAll ? 'good' : 'bad';
    const words = h.latencyUndecided ? 'Meets every budget on typical figures; the latency budget lies inside the range: measure on the device' : h.meetsAll ? 'Meets every budget' : `Misses: ${clip(h.misses.join('; '), 160)}`;
    slide.addText(words, {
      x: 0.5,
      y: 4.75,
      w: 12.3,
      h: 0.5,
      fontFace: FONT,
      fontSize: 15,
      bold: true,
      color: TONE_TEXT[tone],
      fill: { color: TONE_FILL[tone] },
      margin: 6,
    });
  }
  const budgetTable = tableOf(s, 'budget-check');
  if (budgetTable) {
    const bt = splitByGroup(budgetTable)[0];
    const rows: Cell[][] = [bt.columns.map((c) => hdr(c.header)), ...bt.rows.slice(0, 5).map((row) => row.map((c, i) => cell(c.text, c.tone, { align: i === 1 ? 'right' : 'left' })))];
    slide.addTable(rows, { x: 0.5, y: 5.4, w: 12.3, colW: [2.6, 2.2, 5.8, 1.7], fontFace: FONT, fontSize: 11, border: { type: 'solid', pt: 0.5, color: 'BFBFBF' }, rowH: 0.3 });
  }
  notes(slide, s?.blocks);
}

function modelSlide(pptx: PptxGenJS, r: Report): void {
  const s = section(r, 'model');
  if (!s) return;
  const slide = titled(pptx, `Model at a glance: ${clip(r.meta.modelName, 50)}`);
  const facts = factsOf(s).slice(0, 10);
  if (facts.length) {
    slide.addTable(
      facts.map((f) => [cell(f.label, undefined, { bold: true }), cell(clip(f.text, 70), f.tone)]),
      { x: 0.5, y: 1.3, w: 6.2, colW: [2.0, 4.2], fontFace: FONT, fontSize: 11, border: { type: 'solid', pt: 0.5, color: 'BFBFBF' }, fill: { color: 'FFFFFF' } },
    );
  }
  const top = tableOf(s, 'top-layers');
  if (top) {
    const cols = top.columns.slice(1, 5);
    const rows: Cell[][] = [cols.map((c) => hdr(c.unit ? `${c.short ?? c.header} (${c.unit})` : c.short ?? c.header)), ...top.rows.slice(0, 8).map((row) => row.slice(1, 5).map((c, i) => cell(i === 0 ? clip(c.text, 34) : c.text, c.tone, { align: i >= 2 ? 'right' : 'left' })))];
    slide.addText((top.title ?? 'Top layers').replace(/^Top \d+/, `Top ${Math.min(8, top.rows.length)}`), { x: 7.0, y: 1.3, w: 5.8, h: 0.35, fontFace: FONT, fontSize: 13, bold: true, color: ACCENT2, margin: 0 });
    slide.addTable(rows, { x: 7.0, y: 1.7, w: 5.8, colW: [2.6, 1.2, 1.0, 1.0], fontFace: FONT, fontSize: 10, border: { type: 'solid', pt: 0.5, color: 'BFBFBF' } });
  }
  notes(slide, s.blocks);
}

function devicesSlide(pptx: PptxGenJS, r: Report): void {
  const s = section(r, 'devices');
  const bars = r.charts.latency;
  if (!s || !bars.length) return;
  const budget = r.charts.latencyBudgetMs;
  const slide = titled(pptx, 'Device comparison');
  const highs = bars.map((b) => b.range.high);
  const lows = bars.map((b) => b.range.low).filter((v) => v > 0);
  const log = lows.length > 0 && Math.max(...highs) / Math.min(...lows) > 30;
  // A horizontal bar chart draws its first category at the bottom: reversed, the first device is on top.
  const rev = [...bars].reverse();
  const labels = rev.map((b) => clip(b.deviceName, 24));
  slide.addChart(
    pptx.ChartType.bar,
    [
      { name: 'Low (ms)', labels, values: rev.map((b) => b.range.low) },
      { name: 'Typical (ms)', labels, values: rev.map((b) => b.range.typical) },
      { name: 'High (ms)', labels, values: rev.map((b) => b.range.high) },
    ],
    {
      x: 0.4,
      y: 1.2,
      w: 7.4,
      h: 5.6,
      barDir: 'bar',
      barGrouping: 'clustered',
      chartColors: ['9DC3E6', ACCENT2, ACCENT],
      showTitle: true,
      title: `Latency per device${budget !== null ? ` (budget ${fmtNum(budget)} ms)` : ''}`,
      titleFontSize: 14,
      titleColor: '404040',
      showLegend: true,
      legendPos: 'b',
      legendFontSize: 11,
      showValue: true,
      dataLabelFormatCode: '#,##0.0',
      dataLabelFontSize: 9,
      catAxisLabelFontSize: 11,
      valAxisLabelFontSize: 10,
      showValAxisTitle: true,
      valAxisTitle: log ? 'ms (log scale)' : 'ms',
      valAxisTitleFontSize: 11,
      ...(log ? { valAxisLogScaleBase: 10 } : { valAxisMinVal: 0 }),
    },
  );
  const rows: Cell[][] = [
    [hdr('Device'), hdr('Latency (ms)'), hdr('Memory (MiB)'), hdr('Fits'), hdr('Ops')],
    ...r.devices.map((e) => {
      const lb = bars.find((b) => b.device === e.device);
      const fitsTone: Tone | undefined = e.memory.fits === null ? undefined : e.memory.fits ? 'good' : 'bad';
      const compTone: Tone = e.compatibility.verdict === 'full' ? 'good' : e.compatibility.verdict === 'partial' ? 'warn' : 'bad';
      return [
        cell(clip(e.deviceName, 30), undefined, { bold: true }),
        cell(isKnown(e.latencyMs) ? `${fmtNum(e.latencyMs.typical)}\n(${fmtNum(e.latencyMs.low)}–${fmtNum(e.latencyMs.high)})` : 'unknown', lb?.tone, { align: 'right' }),
        cell(`${fmtNum(e.memory.totalBytes / BYTES_PER_MB)}${e.memory.limitBytes !== null ? ` / ${fmtNum(e.memory.limitBytes / BYTES_PER_MB)}` : ''}`, fitsTone, { align: 'right' }),
        cell(e.memory.fits === null ? '?' : e.memory.fits ? 'yes' : 'no', fitsTone),
        cell(e.compatibility.verdict, compTone),
      ];
    }),
  ];
  slide.addTable(rows, { x: 8.0, y: 1.3, w: 4.95, colW: [1.55, 1.1, 1.0, 0.55, 0.75], fontFace: FONT, fontSize: 10, border: { type: 'solid', pt: 0.5, color: 'BFBFBF' }, valign: 'middle' });
  slide.addText('Memory: needed / device limit. Ops: operator compatibility on the accelerator (partial = some ops fall back to the CPU).', {
    x: 8.0,
    y: 6.3,
    w: 4.95,
    h: 0.6,
    fontFace: FONT,
    fontSize: 9,
    color: GREY,
    italic: true,
  });
  notes(slide, s.blocks);
}

function pipelineSlide(pptx: PptxGenJS, r: Report, doc: PlanDocument): void {
  const s = section(r, 'pipeline');
  if (!s) return;
  const rec = doc.recommendation?.recommendations[0];
  const steps = rec?.steps ?? [];
  const slide = titled(pptx, 'Compression pipeline');
  if (steps.length) {
    const n = Math.min(steps.length, 5);
    const gap = 0.45;
    const w = (W - 1 - gap * (n - 1)) / n;
    steps.slice(0, n).forEach((st, i) => {
      const x = 0.5 + i * (w + gap);
      slide.addShape(pptx.ShapeType.roundRect, { x, y: 1.4, w, h: 2.9, fill: { color: 'EAF1F8' }, line: { color: ACCENT2, width: 1 }, rectRadius: 0.08 });
      const effect = [
        st.expected.speedup ? `Speed-up ${fmtSpan(st.expected.speedup, '×')}` : '',
        st.expected.sizeFactor ? `Size ${fmtSpan(st.expected.sizeFactor, '×')}` : '',
        st.expected.accuracyDropPoints ? `Accuracy drop ${fmtSpan(st.expected.accuracyDropPoints, ' points')} (predicted)` : '',
        st.measured ? (st.measured.accuracyDropPoints !== null ? `Accuracy drop ${st.measured.accuracyDropPoints.toFixed(2)} points (measured)` : 'Measured: fidelity only (no labels)') : '',
      ].filter(Boolean);
      slide.addText(
        [
          { text: `${i + 1}. ${TECHNIQUE_LABELS[st.technique] ?? st.technique}`, options: { bold: true, fontSize: 15, color: ACCENT, breakLine: true } },
          { text: `(${st.technique})`, options: { fontSize: 11, color: GREY, breakLine: true } },
          { text: clip(st.why, 150), options: { fontSize: 11, color: '262626', breakLine: true } },
          ...effect.map((e) => ({ text: e, options: { fontSize: 10, color: ACCENT2, bullet: true, breakLine: true } })),
        ],
        { x: x + 0.1, y: 1.5, w: w - 0.2, h: 2.7, fontFace: FONT, valign: 'top', fit: 'shrink' },
      );
      if (i < n - 1) slide.addShape(pptx.ShapeType.rightArrow, { x: x + w + 0.07, y: 2.65, w: gap - 0.14, h: 0.4, fill: { color: ACCENT2 }, line: { color: ACCENT2 } });
    });
    if (steps.length > n) slide.addText(`+ ${steps.length - n} more steps (see notes)`, { x: 0.5, y: 4.35, w: 6, h: 0.3, fontFace: FONT, fontSize: 10, color: GREY });
  }
  if (rec) {
    const undecided = r.headline.latencyUndecided;
    const tone: Tone = undecided ? 'warn' : rec.meetsAll ? 'good' : 'bad';
    slide.addText(
      [
        { text: 'Predicted on the device: ', options: { bold: true } },
        { text: `latency ${r.headline.latencyText}, memory ${r.headline.memoryText}, accuracy drop ${fmtSpan(rec.predicted.accuracyDrop, ' points')}. ` },
        { text: undecided ? 'Meets every budget on typical figures; the range does not decide the latency budget.' : rec.meetsAll ? 'Meets every budget.' : `Misses: ${clip(rec.misses.join('; '), 140)}`, options: { bold: true, color: TONE_TEXT[tone] } },
      ],
      { x: 0.5, y: 4.8, w: 12.3, h: 0.9, fontFace: FONT, fontSize: 14, color: '262626', fill: { color: 'F5F5F5' }, margin: 8, fit: 'shrink' },
    );
    slide.addText('Commands for each step are in the speaker notes and in the Word / PDF versions.', { x: 0.5, y: 5.85, w: 12.3, h: 0.35, fontFace: FONT, fontSize: 10, italic: true, color: GREY });
  } else {
    slide.addText(blocksToPlainText(s.blocks).slice(0, 900), { x: 0.5, y: 1.3, w: 12.3, h: 5.2, fontFace: FONT, fontSize: 14, valign: 'top', fit: 'shrink' });
  }
  notes(slide, s.blocks);
}

/**
 * One slide per technique verify measured: the report's predicted-and-measured table (every figure labelled by
 * the report itself), the basis of each figure in the notes with the rest of the section.
 */
function measuredSlides(pptx: PptxGenJS, r: Report): void {
  const s = section(r, 'measured');
  if (!s) return;
  const tables = s.blocks.filter((b): b is TableBlock => b.kind === 'table' && b.id.startsWith('measured-') && !b.id.startsWith('measured-groups-'));
  for (const t of tables) {
    const slide = titled(pptx, `Predicted and measured: ${t.id.slice('measured-'.length)}`);
    slide.addText('Measured on your data and this machine, next to the planner\'s predictions. Latency was measured on this machine, not on the target.', {
      x: 0.5,
      y: 1.1,
      w: 12.3,
      h: 0.4,
      fontFace: FONT,
      fontSize: 12,
      italic: true,
      color: GREY,
      margin: 0,
    });
    const rows: Cell[][] = [
      t.columns.slice(0, 3).map((c) => hdr(c.header)),
      ...t.rows.slice(0, 9).map((row) => row.slice(0, 3).map((c, i) => cell(clip(c.text, i === 0 ? 50 : 110), c.tone, { bold: i === 0 }))),
    ];
    slide.addTable(rows, { x: 0.5, y: 1.6, w: 12.3, colW: [3.1, 4.4, 4.8], fontFace: FONT, fontSize: 11, border: { type: 'solid', pt: 0.5, color: 'BFBFBF' }, valign: 'top' });
    notes(slide, s.blocks);
  }
}

function rolloutSlide(pptx: PptxGenJS, r: Report): void {
  const s = section(r, 'rollout');
  if (!s) return;
  const slide = titled(pptx, 'Rollout timeline');
  const stages = r.rollout;
  if (stages.length) {
    const total = stages.reduce((t, st) => t + st.durationDays, 0) || 1;
    const minW = 2.4;
    const avail = W - 1 - 0.15 * (stages.length - 1);
    const raw = stages.map((st) => Math.max(minW, (st.durationDays / total) * avail));
    const scale = avail / raw.reduce((a, b) => a + b, 0);
    let x = 0.5;
    slide.addShape(pptx.ShapeType.line, { x: 0.5, y: 3.05, w: W - 1, h: 0, line: { color: GREY, width: 1.5, endArrowType: 'triangle' } });
    stages.forEach((st, i) => {
      const w = raw[i] * scale;
      const shade = ['9DC3E6', '5B9BD5', ACCENT2, ACCENT, '17375E'][Math.min(i, 4)];
      slide.addShape(pptx.ShapeType.rect, { x, y: 1.45, w, h: 1.4, fill: { color: shade }, line: { color: 'FFFFFF', width: 1 } });
      slide.addText(
        [
          { text: clip(st.name, 40), options: { bold: true, fontSize: 15, breakLine: true } },
          { text: `${fmtNum(st.percent)} % of the fleet`, options: { fontSize: 12, breakLine: true } },
          { text: st.durationDays ? `${fmtNum(st.durationDays)} days` : 'open-ended', options: { fontSize: 12 } },
        ],
        { x: x + 0.05, y: 1.5, w: w - 0.1, h: 1.3, fontFace: FONT, color: 'FFFFFF', valign: 'middle', fit: 'shrink' },
      );
      slide.addText(`day ${fmtNum(st.startDay)}`, { x, y: 3.12, w: 1.2, h: 0.3, fontFace: FONT, fontSize: 10, color: GREY, margin: 0 });
      slide.addText(clip(st.exitCriteria, 110), { x, y: 3.45, w: w - 0.05, h: 1.0, fontFace: FONT, fontSize: 10, color: '404040', valign: 'top', fit: 'shrink' });
      x += w + 0.15;
    });
  }
  const safety = s.blocks.filter((b): b is { kind: 'facts'; facts: Fact[] } => b.kind === 'facts').flatMap((b) => b.facts).filter((f) => ['Rollback', 'Signing', 'A/B test', 'Drift detection'].includes(f.label));
  const metrics = (s.blocks.find((b) => b.kind === 'bullets') as { items: string[] } | undefined)?.items ?? [];
  const lines = [...safety.map((f) => `${f.label}: ${clip(f.text, 130)}`), ...(metrics.length ? [`Monitoring: ${clip(metrics.join(', '), 130)}`] : [])];
  if (lines.length) {
    slide.addText(
      lines.map((l) => ({ text: l, options: { bullet: true, breakLine: true } })),
      { x: 0.5, y: stages.length ? 4.6 : 1.4, w: 12.3, h: stages.length ? 2.2 : 5, fontFace: FONT, fontSize: 13, color: '262626', valign: 'top', fit: 'shrink' },
    );
  }
  notes(slide, s.blocks);
}

function risksSlide(pptx: PptxGenJS, r: Report): void {
  const s = section(r, 'risks');
  if (!s) return;
  const slide = titled(pptx, 'Risks and open questions');
  let y = 1.3;
  if (r.risks.length) {
    const level = (l: string): Tone => (l === 'high' ? 'bad' : l === 'medium' ? 'warn' : 'good');
    const rows: Cell[][] = [
      [hdr('Risk'), hdr('Likelihood'), hdr('Impact'), hdr('Mitigation')],
      ...r.risks.slice(0, 6).map((k) => [cell(clip(k.description, 150)), cell(k.likelihood, level(k.likelihood)), cell(k.impact, level(k.impact)), cell(clip(k.mitigation, 150))]),
    ];
    slide.addTable(rows, { x: 0.5, y, w: 12.3, colW: [5.0, 1.2, 1.0, 5.1], fontFace: FONT, fontSize: 11, border: { type: 'solid', pt: 0.5, color: 'BFBFBF' }, valign: 'top' });
    y += 0.45 + Math.min(6, r.risks.length) * 0.62;
  }
  if (r.openQuestions.length && y < 6.2) {
    slide.addText('Open questions', { x: 0.5, y, w: 12.3, h: 0.35, fontFace: FONT, fontSize: 14, bold: true, color: ACCENT2, margin: 0 });
    slide.addText(
      r.openQuestions.slice(0, 5).map((q) => ({ text: clip(q, 160), options: { bullet: true, breakLine: true } })),
      { x: 0.5, y: y + 0.4, w: 12.3, h: Math.max(0.6, 6.9 - y - 0.4), fontFace: FONT, fontSize: 12, color: '262626', valign: 'top', fit: 'shrink' },
    );
  }
  notes(slide, s.blocks);
}

function sourcesSlide(pptx: PptxGenJS, r: Report, doc: PlanDocument): void {
  const s = section(r, 'sources');
  if (!s) return;
  const slide = titled(pptx, 'Assumptions and sources');
  // The graph each device runs (what its toolchain folds and fuses) is an assumption of every figure: one line each.
  const graphs = r.devices.filter((e) => e.deployedGraph).map((e) => clip(`${e.deviceName}: ${explainDeployed(e.deployedGraph!)}`, 300));
  const lines = [
    'Every figure is a range (low–high) around a typical value; memory in MiB (2^20 bytes).',
    ...graphs.slice(0, 6),
    ...(graphs.length > 6 ? [`… ${graphs.length - 6} more devices: the graph each runs is listed in the notes and the other documents.`] : []),
    `${doc.sources.length} catalog figures cited, each with its public source and a quote (full list in the notes and the Excel "Sources" sheet).`,
    ...doc.sources.slice(0, 6).map((x) => clip(`${x.device} — ${x.figure}: ${x.value} (${x.source})`, 150)),
  ];
  slide.addText(
    lines.map((l, i) => ({ text: l, options: { bullet: true, breakLine: true, fontSize: i === 0 ? 14 : 11, color: i === 0 ? '262626' : '404040' } })),
    { x: 0.5, y: 1.3, w: 12.3, h: 5.5, fontFace: FONT, valign: 'top', fit: 'shrink' },
  );
  notes(slide, s.blocks);
}

export function buildDeck(doc: PlanDocument): PptxGenJS {
  const r = buildReport(doc);
  const pptx = new PptxGenJS();
  pptx.layout = 'LAYOUT_WIDE';
  pptx.author = r.meta.author;
  pptx.company = 'Edge Deployment Planner';
  pptx.subject = r.meta.subject;
  pptx.title = r.meta.title;
  pptx.defineSlideMaster({
    title: MASTER,
    background: { color: 'FFFFFF' },
    objects: [
      { line: { x: 0.5, y: 7.0, w: W - 1, h: 0, line: { color: 'D9D9D9', width: 0.75 } } },
      { text: { text: clip(`${r.meta.title} — ${r.meta.subtitle}`, 100), options: { x: 0.5, y: 7.03, w: 9, h: 0.3, fontFace: FONT, fontSize: 10, color: GREY, margin: 0 } } },
    ],
    slideNumber: { x: W - 1.3, y: 7.03, w: 0.8, h: 0.3, fontFace: FONT, fontSize: 10, color: GREY, align: 'right' },
  });
  titleSlide(pptx, r);
  summarySlide(pptx, r);
  modelSlide(pptx, r);
  devicesSlide(pptx, r);
  pipelineSlide(pptx, r, doc);
  measuredSlides(pptx, r);
  rolloutSlide(pptx, r);
  risksSlide(pptx, r);
  sourcesSlide(pptx, r, doc);
  return pptx;
}

/** The plan as .pptx bytes. */
export async function renderPptx(doc: PlanDocument): Promise<Buffer> {
  const out = await buildDeck(doc).write({ outputType: 'nodebuffer' });
  return out as Buffer;
}
