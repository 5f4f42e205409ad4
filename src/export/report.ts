/**
 * The report view-model: a PlanDocument turned into titled sections of format-neutral blocks (paragraphs, lists,
 * facts, tables, code, charts). The Word, Excel, PDF and PowerPoint writers all render this one model, so they
 * carry the same content; each decides only how it looks in its own format.
 *
 * Rules: every string is cleaned (no control characters); empty optional parts are left out, never written as
 * blanks; table cells carry the formatted text and, for numbers, the raw value in the column's unit (Excel stores
 * those as numbers). No `vscode` import, no document library import: this module is cheap to load.
 */
import { latencyMetOnTypicalOnly, rangeVerdict, type RangeVerdict } from '../planner/budget-range';
import type { PlanDocument } from '../planner/plan';
import { explainDeployed } from '../planner/estimate/explain';
import { latencyOriginKind } from '../planner/latency-origin';
import type { Budgets, DeviceEstimate, Range, Recommendation, Technique } from '../planner/types';
import {
  BYTES_PER_KB,
  BYTES_PER_MB,
  EFFORT_LABELS,
  TECHNIQUE_LABELS,
  cleanText,
  fmtBytes,
  fmtCount,
  fmtInt,
  fmtNum,
  fmtRange,
  isKnown,
  fmtSpan,
  techniqueLabel,
  yesNo,
} from './format';
import { formatPercent as pct, formatPoints as points, formatSqnr } from '../format-numbers';

export type Tone = 'good' | 'bad' | 'warn';

export interface Cell {
  text: string;
  /** The raw value in the column's unit, for spreadsheets; absent for text cells. */
  value?: number | null;
  tone?: Tone;
}

/** Spreadsheet formulas a column can stand for; other writers print the cell's precomputed text. */
export type ColumnFormula = 'latencyMargin' | 'latencyVerdict' | 'memoryFitsDevice' | 'memoryBudgetMargin' | 'stageStartDay';

export interface Column {
  key: string;
  header: string;
  /** Shorter header for the narrow columns of paged formats (Word, PDF); spreadsheets use `header`. */
  short?: string;
  /** Unit for the header, "ms", "MiB" ...: Excel headers read "Latency typical (ms)". */
  unit?: string;
  numeric?: boolean;
  /** Relative width for paged formats. */
  width?: number;
  /** Excel number format for the raw values. */
  numFmt?: string;
  /** Columns of one group are printed together when a paged format splits a wide table. */
  group?: string;
  formula?: ColumnFormula;
  /** Long free text: wrap in spreadsheets. */
  wrap?: boolean;
  /** Only spreadsheets show it (identifiers a reviewer filters on); paged formats leave it out. */
  spreadsheetOnly?: boolean;
}

export interface TableBlock {
  kind: 'table';
  id: string;
  title?: string;
  columns: Column[];
  rows: Cell[][];
  /** Spreadsheets give this table a sheet of its own, with a frozen header row and an auto-filter. */
  sheet?: string;
  /** Paged formats (Word, PDF) print at most this many rows, saying how many more the workbook has. */
  pagedLimit?: number;
  /** Titles of the parts a paged format prints one column group at a time (splitByGroup); `title` otherwise. */
  groupTitles?: Record<string, string>;
}

/** Rows a paged format prints, and the note about the rest when the table is longer than its paged limit. */
export function pagedRows(t: TableBlock): { rows: Cell[][]; note: string | null } {
  if (t.pagedLimit === undefined || t.rows.length <= t.pagedLimit) return { rows: t.rows, note: null };
  return {
    rows: t.rows.slice(0, t.pagedLimit),
    note: `The first ${fmtInt(t.pagedLimit)} of ${fmtInt(t.rows.length)} rows are shown; the Excel workbook has all of them.`,
  };
}

/** Largest number of per-layer rows printed in Word and PDF (large language models have tens of thousands). */
export const PAGED_LAYER_ROWS = 1500;

export interface Fact {
  label: string;
  text: string;
  /** Raw number for spreadsheets (in `unit`). */
  value?: number;
  unit?: string;
  tone?: Tone;
}

export type Block =
  | { kind: 'paragraph'; text: string; style?: 'lead' | 'note' }
  | { kind: 'bullets'; items: string[] }
  | { kind: 'facts'; facts: Fact[] }
  | TableBlock
  | { kind: 'code'; title: string; language: string; code: string }
  | { kind: 'subheading'; text: string }
  | { kind: 'chart'; chart: 'latency' | 'memory' };

export type SectionId = 'summary' | 'model' | 'devices' | 'pipeline' | 'measured' | 'rollout' | 'risks' | 'sources' | 'layers';

export interface Section {
  id: SectionId;
  title: string;
  /** Short name for a spreadsheet tab (≤ 31 characters). */
  sheetName: string;
  blocks: Block[];
}

export interface LatencyBar {
  device: string;
  deviceName: string;
  range: Range;
  /** Verdict against the latency budget: good = high ≤ budget, warn = typical ≤ budget < high, bad = typical > budget. */
  tone?: Tone;
}

export interface MemoryBar {
  device: string;
  deviceName: string;
  totalMb: number;
  limitMb: number | null;
  fits: boolean | null;
}

export interface Headline {
  /** Device the headline figures are for (the recommended one, else the primary target). */
  device: string;
  deviceName: string;
  /** Technique identifiers of the recommended (or chosen) pipeline, in order. */
  techniques: Technique[];
  pipelineText: string;
  /** Whether the recommended pipeline meets every budget; null when nothing was checked. */
  meetsAll: boolean | null;
  /** Met on the typical latency, but the budget lies inside the predicted range: the estimate does not decide it. */
  latencyUndecided: boolean;
  misses: string[];
  latencyMs: Range | null;
  /** Formatted like "12.3 ms (9.80–15.1 ms)"; the same string appears in every document. */
  latencyText: string;
  memoryBytes: number | null;
  memoryText: string;
  energyMj: Range | null;
  energyText: string;
  accuracyText: string;
  /** True when the figures are the recommender's prediction after the pipeline, false when the plain estimate. */
  afterPipeline: boolean;
  sentence: string;
}

export interface Report {
  meta: {
    title: string;
    subtitle: string;
    author: string;
    subject: string;
    keywords: string[];
    projectName: string;
    modelName: string;
    modelFile: string;
    date: string;
    planVersion: string;
    generatedAt: string;
    toolVersion: string;
  };
  /** Facts of the title page, in order. */
  titleFacts: Fact[];
  headline: Headline;
  budgets: Budgets;
  sections: Section[];
  charts: { latency: LatencyBar[]; memory: MemoryBar[]; latencyBudgetMs: number | null; memoryBudgetMb: number | null };
  /** Devices in the order of the plan, with the estimate (for spreadsheets and decks). */
  devices: DeviceEstimate[];
  rollout: { name: string; percent: number; durationDays: number; startDay: number; exitCriteria: string }[];
  risks: { description: string; likelihood: string; impact: string; mitigation: string }[];
  openQuestions: string[];
}

const c = cleanText;
const present = (s: string | null | undefined): s is string => typeof s === 'string' && s.trim().length > 0;
const txt = (text: string, tone?: Tone): Cell => (tone ? { text: c(text), tone } : { text: c(text) });
const num = (value: number | null | undefined, text?: string, tone?: Tone): Cell => {
  if (value === null || value === undefined || !Number.isFinite(value)) return { text: '—', value: null };
  const cell: Cell = { text: text ?? fmtNum(value), value };
  if (tone) cell.tone = tone;
  return cell;
};

function facts(list: (Fact | null | undefined | false)[]): Block | null {
  const kept = list
    .filter((f): f is Fact => !!f && present(f.text))
    // A figure that is not a number (an estimate that cannot be made) is written as its text, never as NaN.
    .map((f) => ({ ...f, label: c(f.label), text: c(f.text), ...(f.value !== undefined && !Number.isFinite(f.value) ? { value: undefined, unit: undefined } : {}) }));
  return kept.length ? { kind: 'facts', facts: kept } : null;
}

function bullets(items: (string | null | undefined)[]): Block | null {
  const kept = items.filter(present).map(c);
  return kept.length ? { kind: 'bullets', items: kept } : null;
}

function para(text: string | null | undefined, style?: 'lead' | 'note'): Block | null {
  if (!present(text)) return null;
  return style ? { kind: 'paragraph', text: c(text), style } : { kind: 'paragraph', text: c(text) };
}

function sub(text: string): Block {
  return { kind: 'subheading', text: c(text) };
}

/** Appends a subheading with its blocks, only when at least one block has content. */
function group(into: Block[], heading: string, blocks: (Block | null)[]): void {
  const kept = blocks.filter((b): b is Block => b !== null);
  if (kept.length) into.push(sub(heading), ...kept);
}

const mb = (bytes: number): number => bytes / BYTES_PER_MB;

/**
 * good: even the high figure meets the budget; bad: even the low one misses it; warn: the budget lies inside the range,
 * which the estimate does not decide (rangeVerdict, the planner's "not decided").
 */
function latencyTone(r: Range, budget: number | undefined): Tone | undefined {
  if (budget === undefined || !isKnown(r)) return undefined;
  const v = rangeVerdict(r, budget);
  return v === 'within' ? 'good' : v === 'over' ? 'bad' : 'warn';
}

/** The words of a latency verdict, the same in every export and in the spreadsheet's formula (xlsx.ts). */
export const LATENCY_VERDICT_WORDS: Record<RangeVerdict, string> = {
  within: 'yes',
  over: 'no',
  'undecided-met': 'not decided (typical meets)',
  'undecided-missed': 'not decided (typical misses)',
};

function latencyVerdictText(r: Range, budget: number | undefined): string {
  if (budget === undefined) return 'no budget';
  if (!isKnown(r)) return 'unknown';
  return LATENCY_VERDICT_WORDS[rangeVerdict(r, budget)];
}

const VERDICT_TEXT: Record<DeviceEstimate['compatibility']['verdict'], string> = {
  full: 'full',
  partial: 'partial (CPU fallback)',
  none: 'none (not accelerated)',
  unsupported: 'unsupported',
};

const verdictTone = (v: DeviceEstimate['compatibility']['verdict']): Tone => (v === 'full' ? 'good' : v === 'partial' ? 'warn' : 'bad');


function deviceName(doc: PlanDocument, id: string): string {
  return doc.estimates.find((e) => e.device === id)?.deviceName ?? doc.recommendation?.alternatives.find((a) => a.device === id)?.deviceName ?? id;
}

// ---------------------------------------------------------------------------------------------------------------

/** "Meets every budget": yes, no with the misses, or yes on the typical figures when the range does not decide the latency budget. */
function meetsEveryBudgetFact(meetsAll: boolean, latencyUndecided: boolean, misses: string): Fact {
  if (meetsAll && latencyUndecided) return { label: 'Meets every budget', text: 'on the typical figures; the latency budget lies inside the predicted range (not decided: measure on the device)', tone: 'warn' };
  return { label: 'Meets every budget', text: meetsAll ? 'yes' : `no — ${misses}`, tone: meetsAll ? 'good' : 'bad' };
}

function buildHeadline(doc: PlanDocument, budgets: Budgets): Headline {
  const rec: Recommendation | undefined = doc.recommendation?.recommendations[0];
  const primaryId = rec?.device ?? doc.recommendation?.device ?? doc.plan.targets[0] ?? doc.estimates[0]?.device ?? '';
  const est = doc.estimates.find((e) => e.device === primaryId) ?? doc.estimates[0];
  const device = primaryId || est?.device || '';
  const name = deviceName(doc, device);
  const techniques: Technique[] = rec ? rec.steps.map((s) => s.technique) : [...doc.plan.compression.techniques];
  const noCompression = techniques.every((t) => t === 'none');
  const pipelineText = noCompression ? 'no compression' : techniques.filter((t) => t !== 'none').map((t) => techniqueLabel(t)).join(' → ');

  const latency = rec ? rec.predicted.latencyMs : est ? est.latencyMs : null;
  const latencyMs = isKnown(latency) ? latency : null;
  const memoryBytes = rec ? rec.predicted.memoryBytes : est ? est.memory.totalBytes : null;
  const energyMj = rec ? rec.predicted.energyMj : est ? est.energyMj : null;
  const why = est?.latencyUnknownReason ?? null;
  const latencyText = latencyMs ? fmtRange(latencyMs, 'ms') : latency ? `unknown${why ? ` (${why})` : ''}` : 'not estimated';
  const memoryText = memoryBytes !== null ? fmtBytes(memoryBytes) : 'not estimated';
  const energyText = energyMj ? fmtRange(energyMj, 'mJ') : 'not estimated';
  const accuracyText = rec ? `${fmtSpan(rec.predicted.accuracyDrop, ' points')}` : '';
  const meetsAll = rec ? rec.meetsAll : null;
  const misses = rec ? rec.misses.map(c) : [];

  const undecided = !!rec && latencyMetOnTypicalOnly(rec, budgets.latencyMs);
  let sentence: string;
  if (!device) sentence = 'No target device was selected, so there are no estimates.';
  else {
    const what = !rec ? `Estimates for ${name} (no recommendation was computed)` : noCompression ? `Deploy on ${name} without compression` : `Deploy on ${name} with ${pipelineText}`;
    const budgetWords = meetsAll === null
      ? ''
      : undecided
        ? ` This meets every budget on its typical figures, but the ${fmtNum(budgets.latencyMs!)} ms latency budget lies inside the predicted range: only a measurement on the device decides it.`
        : meetsAll
          ? ' This meets every budget.'
          : ` This misses ${misses.length ? misses.join('; ') : 'at least one budget'}.`;
    sentence = `${what}: ${rec?.predicted.latencyMeasured ? 'measured latency (your own runs of this model on the device)' : 'predicted latency'} ${latencyText}, memory ${memoryText}, energy per inference ${energyText}.${budgetWords}`;
  }
  return {
    device,
    deviceName: c(name),
    techniques,
    pipelineText,
    meetsAll,
    latencyUndecided: undecided,
    misses,
    latencyMs,
    latencyText,
    memoryBytes,
    memoryText,
    energyMj,
    energyText,
    accuracyText,
    afterPipeline: !!rec && !noCompression,
    sentence: c(sentence),
  };
}

function budgetTable(doc: PlanDocument, h: Headline, budgets: Budgets): TableBlock | null {
  const rec = doc.recommendation?.recommendations[0];
  const check = rec?.meetsBudgets ?? {};
  const rows: Cell[][] = [];
  const verdict = (ok: boolean | undefined): Cell => (ok === undefined ? txt('not checked') : txt(yesNo(ok), ok ? 'good' : 'bad'));
  if (budgets.latencyMs !== undefined) {
    // The predicted range against the budget, in the device table's words (a typical figure under a budget that the
    // range straddles is "not decided", not "yes"); a measured latency is judged as it is.
    const measured = !!rec?.predicted.latencyMeasured;
    const latencyVerdict = h.latencyMs && !measured ? txt(latencyVerdictText(h.latencyMs, budgets.latencyMs), latencyTone(h.latencyMs, budgets.latencyMs)) : verdict(check.latency);
    rows.push([txt('Latency'), num(budgets.latencyMs, `≤ ${fmtNum(budgets.latencyMs)} ms`), txt('ms'), txt(h.latencyText), latencyVerdict]);
  }
  if (budgets.memoryMb !== undefined) {
    rows.push([txt('Memory'), num(budgets.memoryMb, `≤ ${fmtNum(budgets.memoryMb)} MiB`), txt('MiB'), txt(h.memoryText), verdict(check.memory)]);
  }
  if (budgets.powerW !== undefined) {
    const est = doc.estimates.find((e) => e.device === h.device);
    rows.push([txt('Power'), num(budgets.powerW, `≤ ${fmtNum(budgets.powerW)} W`), txt('W'), txt(est?.powerW ? fmtRange(est.powerW, 'W') : 'not estimated'), verdict(check.power)]);
  }
  if (budgets.energyMj !== undefined) {
    rows.push([txt('Energy per inference'), num(budgets.energyMj, `≤ ${fmtNum(budgets.energyMj)} mJ`), txt('mJ'), txt(h.energyText), verdict(check.energy)]);
  }
  if (budgets.accuracyDrop !== undefined) {
    rows.push([txt('Accuracy drop'), num(budgets.accuracyDrop, `≤ ${fmtNum(budgets.accuracyDrop)} points`), txt('points'), txt(h.accuracyText || 'not estimated'), verdict(check.accuracy)]);
  }
  if (!rows.length) return null;
  return {
    kind: 'table',
    id: 'budget-check',
    title: 'Budgets',
    columns: [
      { key: 'budget', header: 'Budget', width: 2 },
      { key: 'limit', header: 'Limit', numeric: true, width: 1.5 },
      { key: 'unit', header: 'Unit', width: 1, spreadsheetOnly: true },
      { key: 'predicted', header: 'Predicted', width: 3 },
      { key: 'meets', header: 'Meets', width: 1 },
    ],
    rows,
  };
}

function summarySection(doc: PlanDocument, h: Headline, budgets: Budgets): Section {
  const rec = doc.recommendation;
  const blocks: Block[] = [];
  blocks.push({ kind: 'paragraph', text: h.sentence, style: 'lead' });
  const f = facts([
    { label: 'Recommended device', text: h.device ? `${h.deviceName} (${h.device})` : '' },
    { label: 'Pipeline', text: h.pipelineText },
    h.meetsAll !== null && meetsEveryBudgetFact(h.meetsAll, h.latencyUndecided, h.misses.join('; ') || 'see the budget table'),
    h.latencyMs && { label: h.afterPipeline ? 'Latency after the pipeline' : 'Latency', text: h.latencyText, value: h.latencyMs.typical, unit: 'ms' },
    h.memoryBytes !== null && { label: h.afterPipeline ? 'Memory after the pipeline' : 'Memory', text: h.memoryText, value: mb(h.memoryBytes), unit: 'MiB' },
    h.energyMj && { label: 'Energy per inference', text: h.energyText, value: h.energyMj.typical, unit: 'mJ' },
    present(h.accuracyText) && { label: 'Expected accuracy drop', text: h.accuracyText },
    rec && { label: 'Verdict', text: rec.verdict },
    { label: 'Use case', text: doc.plan.project.useCase },
  ]);
  if (f) blocks.push(f);
  const bt = budgetTable(doc, h, budgets);
  if (bt) blocks.push(bt);
  group(blocks, 'Warnings', [bullets(doc.warnings)]);
  return { id: 'summary', title: 'Executive summary', sheetName: 'Summary', blocks };
}

function shapeText(shape: (number | string)[] | null): string {
  return shape ? `[${shape.join(', ')}]` : 'unknown';
}

function modelSection(doc: PlanDocument): Section {
  const p = doc.profile;
  const blocks: Block[] = [];
  const q = p.quantization;
  const f = facts([
    { label: 'File', text: doc.plan.model.file || p.file },
    { label: 'Format', text: p.format.toUpperCase() + (p.irVersion !== undefined ? ` (IR ${p.irVersion})` : '') },
    p.opset && Object.keys(p.opset).length > 0 && { label: 'Opset', text: Object.entries(p.opset).map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ') },
    { label: 'File size', text: fmtBytes(p.bytes), value: mb(p.bytes), unit: 'MiB' },
    { label: 'Parameters', text: `${fmtCount(p.params)} (${fmtInt(p.params)})`, value: p.params, unit: 'count' },
    { label: 'Weights', text: fmtBytes(p.weightBytes), value: mb(p.weightBytes), unit: 'MiB' },
    p.macs !== null
      ? { label: 'MACs per inference', text: `${p.macsLowerBoundReason ? 'at least ' : ''}${fmtCount(p.macs)} (${fmtInt(p.macs)})${p.macsLowerBoundReason ? ` — a lower bound: ${p.macsLowerBoundReason}` : ''}`, value: p.macs, unit: 'count' }
      : { label: 'MACs per inference', text: `unknown${p.macsUnknownReason ? ` — ${p.macsUnknownReason}` : ''}` },
    p.flops !== null && { label: 'Other FLOPs', text: fmtCount(p.flops), value: p.flops, unit: 'count' },
    p.peakActivationBytes !== null && {
      label: 'Peak activations',
      text: fmtBytes(p.peakActivationBytes) + (p.peakActivationAt ? ` at ${p.peakActivationAt}` : '') + (p.executionOrder ? ` (${p.executionOrder} order)` : ''),
      value: mb(p.peakActivationBytes),
      unit: 'MiB',
    },
    { label: 'Operators', text: `${fmtInt(p.operatorCount)} nodes, ${Object.keys(p.opHistogram).length} operator types`, value: p.operatorCount, unit: 'count' },
    { label: 'Quantization', text: q.state + (q.perChannel ? ', per-channel' : '') + (q.quantizedOps ? `, ${fmtInt(q.quantizedOps)} quantized ops` : '') },
    p.dynamicShapes.hasDynamic && {
      label: 'Dynamic dimensions',
      text: p.dynamicShapes.symbols.map((s) => `${s} = ${p.dynamicShapes.bindings[s] ?? 1}`).join(', ') || 'unknown dimensions',
    },
  ]);
  if (f) blocks.push(f);

  const dtypeEntries = Object.entries(p.weightDtypes).filter(([, b]) => b > 0).sort((a, b) => b[1] - a[1]);
  if (dtypeEntries.length) {
    const total = dtypeEntries.reduce((s, [, b]) => s + b, 0) || 1;
    blocks.push({
      kind: 'table',
      id: 'weights-by-dtype',
      title: 'Weights by data type',
      columns: [
        { key: 'dtype', header: 'Data type', width: 2 },
        { key: 'mb', header: 'Weights', unit: 'MiB', numeric: true, numFmt: '0.000', width: 2 },
        { key: 'share', header: 'Share', unit: '%', numeric: true, numFmt: '0.0', width: 1 },
      ],
      rows: dtypeEntries.map(([d, b]) => [txt(d), num(mb(b), fmtBytes(b)), num((b / total) * 100, `${fmtNum((b / total) * 100)} %`)]),
    });
  }

  const io = [...p.inputs.map((i) => ({ kind: 'input', ...i })), ...p.outputs.map((o) => ({ kind: 'output', ...o }))];
  if (io.length) {
    blocks.push({
      kind: 'table',
      id: 'io',
      title: 'Inputs and outputs',
      columns: [
        { key: 'kind', header: 'Kind', width: 1 },
        { key: 'name', header: 'Name', width: 3 },
        { key: 'shape', header: 'Shape', width: 2.5 },
        { key: 'dtype', header: 'Data type', width: 1.5 },
      ],
      rows: io.map((x) => [
        txt(x.kind),
        txt(x.name),
        txt(shapeText(x.shape)),
        txt(x.dtype + (x.quant ? ` (scale ${x.quant.scale.map(fmtNum).join(',')}, zero point ${x.quant.zeroPoint.join(',')})` : '')),
      ]),
    });
  }

  const top = topLayers(doc, 10);
  if (top) blocks.push(top);

  const ops = Object.entries(p.opHistogram).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (ops.length) {
    blocks.push({
      kind: 'table',
      id: 'op-histogram',
      title: 'Operator histogram',
      columns: [
        { key: 'op', header: 'Operator', width: 3 },
        { key: 'count', header: 'Nodes', unit: 'count', numeric: true, numFmt: '0', width: 1 },
      ],
      rows: ops.slice(0, 25).map(([op, n]) => [txt(op), num(n, fmtInt(n))]),
    });
    if (ops.length > 25) blocks.push({ kind: 'paragraph', text: `${ops.length - 25} more operator types are listed in the per-layer table.`, style: 'note' });
  }
  group(blocks, 'Quantization notes', [bullets(q.notes)]);
  if (p.subgraphCosts.length) {
    group(blocks, 'Control-flow bodies', [
      para('Bodies marked "runs N×" run a number of times the file fixes and are counted in the MACs above; the others run a data-dependent number of times and are not.', 'note'),
      bullets(p.subgraphCosts.map((s) => `${s.id} (in ${s.owner}): ${fmtInt(s.nodes)} nodes, ${s.macs !== null ? fmtCount(s.macs) + ' MACs' : 'MACs unknown'} per run${s.runs !== undefined ? `, runs ${fmtInt(s.runs)}×` : ''}`)),
    ]);
  }
  return { id: 'model', title: 'Model profile', sheetName: 'Model', blocks };
}

function primaryEstimate(doc: PlanDocument): DeviceEstimate | undefined {
  const id = doc.plan.targets[0];
  return doc.estimates.find((e) => e.device === id) ?? doc.estimates[0];
}

function layerTimes(est: DeviceEstimate | undefined): Map<string, { ms: number; unit: string; bottleneck: string }> {
  const m = new Map<string, { ms: number; unit: string; bottleneck: string }>();
  for (const l of est?.layers ?? []) m.set(l.name, { ms: l.ms, unit: l.unit, bottleneck: l.bottleneck });
  return m;
}

function topLayers(doc: PlanDocument, n: number): TableBlock | null {
  const p = doc.profile;
  if (!p.layers.length) return null;
  const byMacs = p.layers.some((l) => (l.macs ?? 0) > 0);
  const key = (l: (typeof p.layers)[number]): number => (byMacs ? l.macs ?? 0 : l.weightBytes);
  const total = p.layers.reduce((s, l) => s + key(l), 0) || 1;
  const sorted = p.layers
    .map((l, i) => ({ l, i }))
    .sort((a, b) => key(b.l) - key(a.l) || a.i - b.i)
    .slice(0, n);
  const est = primaryEstimate(doc);
  const times = layerTimes(est);
  const columns: Column[] = [
    { key: 'index', header: '#', numeric: true, numFmt: '0', width: 0.6 },
    { key: 'name', header: 'Layer', width: 4 },
    { key: 'op', header: 'Operator', width: 2 },
    byMacs
      ? { key: 'macs', header: 'MACs', unit: 'M', numeric: true, numFmt: '#,##0.00', width: 1.5 }
      : { key: 'weights', header: 'Weights', unit: 'KiB', numeric: true, numFmt: '#,##0.0', width: 1.5 },
    { key: 'share', header: byMacs ? 'Share of MACs' : 'Share of weights', unit: '%', numeric: true, numFmt: '0.0', width: 1.3 },
  ];
  if (est) columns.push({ key: 'ms', header: `Time on ${est.deviceName}`, short: 'Time', unit: 'ms', numeric: true, numFmt: '0.000', width: 1.2 });
  return {
    kind: 'table',
    id: 'top-layers',
    title: `Top ${sorted.length} layers by ${byMacs ? 'MACs' : 'weight size'}`,
    columns,
    rows: sorted.map(({ l, i }) => {
      const row: Cell[] = [
        num(i + 1, String(i + 1)),
        txt(l.name),
        txt(l.op),
        byMacs ? num((l.macs ?? 0) / 1e6, fmtNum((l.macs ?? 0) / 1e6)) : num(l.weightBytes / BYTES_PER_KB),
        num((key(l) / total) * 100, `${fmtNum((key(l) / total) * 100)} %`),
      ];
      if (est) {
        const t = times.get(l.name);
        row.push(t ? num(t.ms) : txt('—'));
      }
      return row;
    }),
  };
}

function deviceTable(doc: PlanDocument, budgets: Budgets): TableBlock {
  const rows = doc.estimates.map((e) => {
    const m = e.memory;
    const limitMb = m.limitBytes !== null ? mb(m.limitBytes) : null;
    const budgetMarginMb = budgets.memoryMb !== undefined ? budgets.memoryMb - mb(m.totalBytes) : null;
    const fallbackText = e.compatibility.fallback.length ? e.compatibility.fallback.map((f) => `${f.op} ×${f.count}`).join(', ') : 'none';
    return [
      txt(e.deviceName),
      txt(e.device),
      txt(e.precision),
      num(e.latencyMs.low),
      num(e.latencyMs.typical, undefined, latencyTone(e.latencyMs, budgets.latencyMs)),
      num(e.latencyMs.high),
      budgets.latencyMs !== undefined ? num(budgets.latencyMs - e.latencyMs.typical) : txt('no budget'),
      txt(latencyVerdictText(e.latencyMs, budgets.latencyMs), latencyTone(e.latencyMs, budgets.latencyMs)),
      e.energyMj ? num(e.energyMj.typical, `${fmtNum(e.energyMj.typical)} (${fmtNum(e.energyMj.low)}–${fmtNum(e.energyMj.high)})`) : num(null),
      e.powerW ? num(e.powerW.typical) : num(null),
      txt(e.bottleneck),
      num(mb(m.totalBytes)),
      limitMb !== null ? num(limitMb) : txt('unknown'),
      txt(m.fits === null ? 'unknown' : yesNo(m.fits), m.fits === null ? undefined : m.fits ? 'good' : 'bad'),
      budgetMarginMb !== null ? num(budgetMarginMb, undefined, budgetMarginMb >= 0 ? 'good' : 'bad') : txt('no budget'),
      txt(VERDICT_TEXT[e.compatibility.verdict], verdictTone(e.compatibility.verdict)),
      txt(fallbackText),
    ];
  });
  return {
    kind: 'table',
    id: 'device-comparison',
    title: 'Per-device estimates',
    groupTitles: { perf: 'Per-device estimates: latency, energy and power', mem: 'Per-device estimates: memory and compatibility' },
    sheet: 'Devices',
    columns: [
      { key: 'device', header: 'Device', width: 2.6 },
      { key: 'id', header: 'Catalog ID', width: 1.6, spreadsheetOnly: true },
      { key: 'precision', header: 'Precision', short: 'Prec.', width: 0.8, group: 'perf' },
      { key: 'latLow', header: 'Latency low', short: 'Low', unit: 'ms', numeric: true, numFmt: '0.00', width: 1, group: 'perf' },
      { key: 'latTyp', header: 'Latency typical', short: 'Typical', unit: 'ms', numeric: true, numFmt: '0.00', width: 1.1, group: 'perf' },
      { key: 'latHigh', header: 'Latency high', short: 'High', unit: 'ms', numeric: true, numFmt: '0.00', width: 1, group: 'perf' },
      { key: 'latMargin', header: 'Latency budget margin (typical)', short: 'Margin', unit: 'ms', numeric: true, numFmt: '0.00', width: 1.1, group: 'perf', formula: 'latencyMargin' },
      { key: 'latVerdict', header: 'Meets latency budget', short: 'Meets budget', width: 1.1, group: 'perf', formula: 'latencyVerdict' },
      { key: 'energy', header: 'Energy per inference', short: 'Energy', unit: 'mJ', numeric: true, numFmt: '0.00', width: 1.5, group: 'perf' },
      { key: 'power', header: 'Power', unit: 'W', numeric: true, numFmt: '0.00', width: 0.9, group: 'perf' },
      { key: 'bottleneck', header: 'Bottleneck', width: 1.45, group: 'mem' },
      { key: 'memTotal', header: 'Memory needed', short: 'Memory', unit: 'MiB', numeric: true, numFmt: '0.00', width: 1.1, group: 'mem' },
      { key: 'memLimit', header: 'Device memory limit', short: 'Limit', unit: 'MiB', numeric: true, numFmt: '#,##0.00', width: 1.1, group: 'mem' },
      { key: 'memFits', header: 'Fits device memory', short: 'Fits', width: 0.8, group: 'mem', formula: 'memoryFitsDevice' },
      { key: 'memBudget', header: 'Memory budget margin', short: 'Budget margin', unit: 'MiB', numeric: true, numFmt: '0.00', width: 1.2, group: 'mem', formula: 'memoryBudgetMargin' },
      { key: 'verdict', header: 'Compatibility', width: 1.8, group: 'mem' },
      { key: 'fallback', header: 'Fallback ops', width: 1.9, group: 'mem', wrap: true },
    ],
    rows,
  };
}

/** A device's latency row, labelled by what the figure is (the precedence the views use, src/planner/latency-origin.ts). */
const LATENCY_LABEL: Record<ReturnType<typeof latencyOriginKind>, string> = {
  measured: 'Latency (measured by you)',
  corrected: 'Latency (estimate corrected by your runs)',
  extrapolated: 'Latency (extrapolated estimate)',
  estimate: 'Latency',
};

function devicesSection(doc: PlanDocument, budgets: Budgets): Section | null {
  if (!doc.estimates.length) return null;
  const blocks: Block[] = [];
  blocks.push({
    kind: 'paragraph',
    text: c(
      `Latency, memory and energy of ${doc.plan.model.name || 'the model'} on each selected device, as estimated before compression at the precision shown. ` +
        'Each figure is a range (low–high) around a typical value.' +
        (budgets.latencyMs !== undefined ? ` The latency budget is ${fmtNum(budgets.latencyMs)} ms: "yes" means even the high estimate meets it, "no" that even the low one misses it, "not decided" that the budget lies inside the range (the typical figure meets or misses it, the estimate does not decide; a measurement on the device does).` : ''),
    ),
  });
  blocks.push({ kind: 'chart', chart: 'latency' });
  blocks.push(deviceTable(doc, budgets));
  if (doc.estimates.some((e) => e.memory.limitBytes !== null || e.memory.totalBytes > 0)) blocks.push({ kind: 'chart', chart: 'memory' });

  const fallbackRows: Cell[][] = [];
  for (const e of doc.estimates) {
    for (const f of e.compatibility.fallback) {
      fallbackRows.push([txt(e.deviceName), txt(f.op), num(f.count, fmtInt(f.count)), txt(f.nodes.join(', ') + (f.count > f.nodes.length ? ', …' : '')), txt(f.reason)]);
    }
  }
  if (fallbackRows.length) {
    blocks.push({
      kind: 'table',
      id: 'fallback-ops',
      title: 'Operators that fall back to the CPU (in the graph each toolchain runs, after folding and fusion)',
      columns: [
        { key: 'device', header: 'Device', width: 2 },
        { key: 'op', header: 'Operator', width: 1.5 },
        { key: 'count', header: 'Nodes', numeric: true, numFmt: '0', width: 0.8 },
        { key: 'nodes', header: 'Examples', width: 3, wrap: true },
        { key: 'reason', header: 'Reason', width: 3.5, wrap: true },
      ],
      rows: fallbackRows,
    });
  }

  for (const e of doc.estimates) {
    const comp = e.compatibility;
    group(blocks, `${e.deviceName}`, [
      facts([
        { label: 'Runtime', text: e.runtime },
        { label: LATENCY_LABEL[latencyOriginKind(e)], text: isKnown(e.latencyMs) ? fmtRange(e.latencyMs, 'ms') : `unknown — ${e.latencyUnknownReason ?? 'the estimator has no figure for this model on this device'}`, value: e.latencyMs.typical, unit: 'ms' },
        {
          label: 'Memory',
          text: `${fmtBytes(e.memory.totalBytes)} (weights ${fmtBytes(e.memory.weightsBytes)}, activations ${fmtBytes(e.memory.activationBytes)}, runtime ${fmtBytes(e.memory.runtimeOverheadBytes)})` +
            (e.memory.limitBytes !== null ? ` of ${fmtBytes(e.memory.limitBytes)}` : ''),
          tone: e.memory.fits === false ? 'bad' : undefined,
        },
        e.memory.flash && {
          label: 'Flash',
          text: `${fmtBytes(e.memory.flash.neededBytes)} needed` + (e.memory.flash.limitBytes !== null ? ` of ${fmtBytes(e.memory.flash.limitBytes)}` : '') + (e.memory.flash.fits === false ? ' — does not fit' : ''),
          tone: e.memory.flash.fits === false ? 'bad' : undefined,
        },
        e.memory.onChipCache && {
          label: 'On-chip parameter cache',
          text: `${fmtBytes(e.memory.onChipCache.cachedBytes)} cached of ${fmtBytes(e.memory.onChipCache.capacityBytes)}; ${fmtBytes(e.memory.onChipCache.streamedBytes)} streamed from the host per inference`,
        },
        e.powerW && { label: 'Power', text: fmtRange(e.powerW, 'W') },
        e.energyMj && { label: 'Energy per inference', text: fmtRange(e.energyMj, 'mJ') },
        typeof e.inferencesPerWh === 'number' && { label: 'Inferences per Wh', text: fmtInt(e.inferencesPerWh) },
        typeof e.batteryLifeHours === 'number' && { label: 'Battery life', text: `${fmtNum(e.batteryLifeHours)} h` },
        { label: 'Compatibility', text: `${VERDICT_TEXT[comp.verdict]} — ${comp.summary}`, tone: verdictTone(comp.verdict) },
        e.deployedGraph && { label: 'Graph it runs', text: explainDeployed(e.deployedGraph) },
      ]),
      comp.blockers.length ? para('Blockers:', 'note') : null,
      bullets(comp.blockers),
    ]);
  }

  const alts = doc.recommendation?.alternatives ?? [];
  if (alts.length) {
    blocks.push({
      kind: 'table',
      id: 'alternatives',
      title: 'Alternative devices from the catalog',
      columns: [
        { key: 'device', header: 'Device', width: 2.5 },
        { key: 'pipeline', header: 'Pipeline', width: 2.5 },
        { key: 'lat', header: 'Latency typical', unit: 'ms', numeric: true, numFmt: '0.00', width: 1.2 },
        { key: 'mem', header: 'Memory', unit: 'MiB', numeric: true, numFmt: '0.00', width: 1 },
        { key: 'meets', header: 'Meets budgets', width: 1.2 },
      ],
      rows: alts.map((a) => {
        const ok = Object.values(a.meetsBudgets).every((v) => v !== false);
        return [
          txt(a.deviceName),
          txt(a.pipeline.map((t) => TECHNIQUE_LABELS[t] ?? t).join(' → ') || 'none'),
          num(a.predicted.latencyMs.typical, fmtRange(a.predicted.latencyMs, 'ms')),
          num(mb(a.predicted.memoryBytes), fmtBytes(a.predicted.memoryBytes)),
          txt(yesNo(ok), ok ? 'good' : 'bad'),
        ];
      }),
    });
  }
  return { id: 'devices', title: 'Device comparison', sheetName: 'Device notes', blocks };
}

function pipelineSection(doc: PlanDocument, h: Headline): Section | null {
  const recs = doc.recommendation?.recommendations ?? [];
  const rec = recs[0];
  const plan = doc.plan;
  const blocks: Block[] = [];
  if (rec) {
    const lead = para(rec.summary, 'lead');
    if (lead) blocks.push(lead);
    const f = facts([
      { label: 'Device', text: `${h.deviceName} (${rec.device})` },
      { label: 'Overall effort', text: EFFORT_LABELS[rec.effort] ?? rec.effort },
      { label: rec.predicted.latencyMeasured ? 'Measured latency (your runs)' : 'Predicted latency', text: fmtRange(rec.predicted.latencyMs, 'ms'), value: rec.predicted.latencyMs.typical, unit: 'ms' },
      { label: 'Predicted memory', text: fmtBytes(rec.predicted.memoryBytes), value: mb(rec.predicted.memoryBytes), unit: 'MiB' },
      rec.predicted.energyMj && { label: 'Predicted energy', text: fmtRange(rec.predicted.energyMj, 'mJ'), value: rec.predicted.energyMj.typical, unit: 'mJ' },
      { label: 'Predicted accuracy drop', text: fmtSpan(rec.predicted.accuracyDrop, ' points') },
      meetsEveryBudgetFact(rec.meetsAll, h.latencyUndecided, rec.misses.join('; ')),
    ]);
    if (f) blocks.push(f);
    if (rec.steps.length) {
      blocks.push({
        kind: 'table',
        id: 'pipeline-steps',
        title: 'Steps',
        columns: [
          { key: 'step', header: 'Step', numeric: true, numFmt: '0', width: 0.6 },
          { key: 'technique', header: 'Technique', width: 2.6 },
          { key: 'size', header: 'Size factor', unit: '×', numeric: true, numFmt: '0.00', width: 1.5 },
          { key: 'speedup', header: 'Speed-up', unit: '×', numeric: true, numFmt: '0.00', width: 1.5 },
          { key: 'acc', header: 'Accuracy drop (predicted)', short: 'Acc. drop (pred.)', unit: 'points', numeric: true, numFmt: '0.00', width: 1.5 },
          ...(rec.steps.some((s) => s.measured) ? [{ key: 'measured', header: 'Accuracy drop (measured)', short: 'Acc. drop (meas.)', unit: 'points', numeric: true, numFmt: '0.00', width: 1.5 }] : []),
          { key: 'effort', header: 'Effort', width: 1.4 },
        ],
        rows: rec.steps.map((s, i) => [
          num(i + 1, String(i + 1)),
          txt(techniqueLabel(s.technique)),
          s.expected.sizeFactor ? num(s.expected.sizeFactor.typical, fmtSpan(s.expected.sizeFactor, '×')) : txt('—'),
          s.expected.speedup ? num(s.expected.speedup.typical, fmtSpan(s.expected.speedup, '×')) : txt('—'),
          s.expected.accuracyDropPoints ? num(s.expected.accuracyDropPoints.typical, fmtSpan(s.expected.accuracyDropPoints, '')) : txt('—'),
          ...(rec.steps.some((x) => x.measured) ? [s.measured?.accuracyDropPoints != null ? num(s.measured.accuracyDropPoints, s.measured.accuracyDropPoints.toFixed(2)) : txt(s.measured ? 'no labels' : '—')] : []),
          txt(EFFORT_LABELS[s.effort] ?? s.effort),
        ]),
      });
    }
    rec.steps.forEach((s, i) => {
      const stepBlocks: (Block | null)[] = [
        para(s.why),
        facts([
          s.expected.sizeFactor && { label: 'Expected size factor', text: fmtSpan(s.expected.sizeFactor, '×') },
          s.expected.speedup && { label: 'Expected speed-up', text: fmtSpan(s.expected.speedup, '×') },
          s.expected.accuracyDropPoints && { label: 'Expected accuracy drop', text: fmtSpan(s.expected.accuracyDropPoints, ' points') },
          { label: 'Effort', text: EFFORT_LABELS[s.effort] ?? s.effort },
          { label: 'Source', text: s.source },
        ]),
      ];
      for (const cmd of s.commands) {
        if (!present(cmd.code)) continue;
        stepBlocks.push({ kind: 'code', title: c(`${cmd.toolchain} (${cmd.language})`), language: cmd.language, code: c(cmd.code) });
        stepBlocks.push(bullets(cmd.notes ?? []));
      }
      group(blocks, `Step ${i + 1}: ${techniqueLabel(s.technique)}${present(s.title) && s.title !== TECHNIQUE_LABELS[s.technique] ? ` — ${s.title}` : ''}`, stepBlocks);
    });
    if (recs.length > 1) {
      blocks.push({
        kind: 'table',
        id: 'other-pipelines',
        title: 'Other pipelines considered',
        columns: [
          { key: 'device', header: 'Device', width: 2 },
          { key: 'pipeline', header: 'Pipeline', width: 3 },
          { key: 'lat', header: 'Latency typical', unit: 'ms', numeric: true, numFmt: '0.00', width: 1.3 },
          { key: 'meets', header: 'Meets all', width: 1 },
          { key: 'misses', header: 'Misses', width: 3, wrap: true },
        ],
        rows: recs.slice(1).map((r) => [
          txt(deviceName(doc, r.device)),
          txt(r.steps.map((s) => TECHNIQUE_LABELS[s.technique] ?? s.technique).join(' → ') || 'none'),
          num(r.predicted.latencyMs.typical, fmtRange(r.predicted.latencyMs, 'ms')),
          txt(yesNo(r.meetsAll), r.meetsAll ? 'good' : 'bad'),
          txt(r.misses.join('; ') || '—'),
        ]),
      });
    }
  }
  const chosen = plan.compression.techniques;
  const recommended = rec?.steps.map((s) => s.technique) ?? [];
  const differs = chosen.length > 0 && chosen.join(',') !== recommended.join(',');
  group(blocks, 'Plan decisions', [
    facts([
      differs && { label: 'Pipeline chosen in the plan', text: chosen.map(techniqueLabel).join(' → '), tone: 'warn' },
      !rec && chosen.length > 0 && { label: 'Pipeline chosen in the plan', text: chosen.map(techniqueLabel).join(' → ') },
      { label: 'Runtime', text: plan.runtime.name },
      plan.runtime.cpuThreads !== undefined && { label: 'CPU threads', text: `${plan.runtime.cpuThreads} (the estimates' CPU layers compute at that many of the cores the CPU's peak counts)` },
      { label: 'Runtime notes', text: plan.runtime.notes },
      { label: 'Compression notes', text: plan.compression.notes },
      { label: 'Data constraints', text: plan.dataConstraints },
      { label: 'Retraining possible', text: plan.budgets.retraining === false ? 'no' : '' },
      { label: 'Calibration data available', text: plan.budgets.calibrationData === false ? 'no' : '' },
    ]),
  ]);
  if (!blocks.length) return null;
  return { id: 'pipeline', title: 'Compression pipeline', sheetName: 'Pipeline', blocks };
}


/**
 * "Measured on your data and this machine": what edgeplan verify measured for each step, next to what the planner
 * predicted for it. Every row says which figure is which; latency was measured on this machine, not the target.
 */
function measuredSection(doc: PlanDocument): Section | null {
  const list = doc.plan.verification ?? [];
  if (!list.length) return null;
  const recs = doc.recommendation?.recommendations ?? [];
  const blocks: Block[] = [];
  blocks.push(para('Figures marked measured come from running the original and the compressed model on the same inputs (edgeplan verify); figures marked predicted come from the planner (published results scaled by the model\'s traits, and the estimator for the target device). Latency was measured on this machine, not on the target.', 'lead')!);
  for (const v of list) {
    const rec = recs.find((r) => r.steps.some((s) => s.technique === v.technique));
    const step = rec?.steps.find((s) => s.technique === v.technique);
    const exp = step?.expected;
    const on = v.data.source === 'synthetic' ? `synthetic inputs (${v.data.evaluationSamples})` : `${v.data.evaluationSamples} samples of your data (${v.data.source})`;
    const rows: Cell[][] = [];
    // Spreadsheets get each number to 4 significant digits (the rows differ in unit and magnitude).
    const sig = (c: Cell): Cell => (typeof c.value === 'number' ? { ...c, value: Number(c.value.toPrecision(4)) } : c);
    const row = (figure: string, predicted: Cell, measured: Cell, basis: string): void => void rows.push([txt(figure), sig(predicted), sig(measured), txt(basis)]);
    const a = v.accuracy;
    row(
      'Accuracy drop (points)',
      exp?.accuracyDropPoints ? num(exp.accuracyDropPoints.typical, `predicted ${fmtSpan(exp.accuracyDropPoints, '')}`) : txt('—'),
      a ? num(a.drop * 100, `measured ${points(a.drop)} (95 % interval ${points(a.dropCi95[0])} to ${points(a.dropCi95[1])})`, doc.plan.budgets.accuracyDrop !== undefined ? (a.drop * 100 <= doc.plan.budgets.accuracyDrop ? 'good' : 'bad') : undefined) : txt('not measured (no labels)'),
      a ? `measured on ${a.samples} labelled samples; interval: Newcombe, paired` : `measured on ${on}: fidelity only`,
    );
    if (a) row('Accuracy original → compressed', txt('—'), txt(`measured ${pct(a.original)} → ${pct(a.compressed)}`), `measured on ${a.samples} labelled samples`);
    if (v.top1Agreement !== null) row('Top-1 agreement with the original (%)', txt('—'), num(v.top1Agreement * 100, `measured ${pct(v.top1Agreement)}`), `measured on ${on}`);
    const predictedBytes = exp?.sizeFactor ? { low: v.weightBytes.original * exp.sizeFactor.low, typical: v.weightBytes.original * exp.sizeFactor.typical, high: v.weightBytes.original * exp.sizeFactor.high } : null;
    row(
      'Weight bytes (MiB)',
      predictedBytes ? num(mb(predictedBytes.typical), `predicted ${fmtBytes(predictedBytes.low)}–${fmtBytes(predictedBytes.high)}`) : txt('—'),
      num(mb(v.weightBytes.compressed), `measured ${fmtBytes(v.weightBytes.compressed)} (original ${fmtBytes(v.weightBytes.original)})`),
      'measured: the file verify wrote, read back by the analyzer',
    );
    row(
      'Latency p50 (ms)',
      rec ? num(rec.predicted.latencyMs.typical, `predicted ${fmtRange(rec.predicted.latencyMs, 'ms')} on ${deviceName(doc, rec.device)} (whole pipeline)`) : txt('—'),
      num(v.latencyMs.compressed.p50, `measured ${fmtNum(v.latencyMs.original.p50)} → ${fmtNum(v.latencyMs.compressed.p50)} ms on this machine`),
      `measured on this machine: ${v.machine}`,
    );
    // An SQNR in words (identical, no signal) is text: a spreadsheet cell must not read it as a number or a blank.
    for (const o of v.outputs) {
      const measured = `measured ${formatSqnr(o.sqnrDb)} (cosine ${o.cosine.toFixed(4)})`;
      row(`Output "${o.name}" SQNR (dB)`, txt('—'), typeof o.sqnrDb === 'number' ? num(o.sqnrDb, measured) : txt(measured), `measured on ${on}`);
    }
    if (v.groupGap) row('Worst group / gap between groups', txt('—'), txt(`measured ${v.groupGap.worstGroup}: drop ${points(v.groupGap.worstDrop)} points; gap ${points(v.groupGap.gapOriginal)} → ${points(v.groupGap.gapCompressed)} points${v.groupGap.widened ? ' (widened)' : ''}`, v.groupGap.widened ? 'warn' : undefined), 'measured per group on your labelled data');
    group(blocks, `${techniqueLabel(v.technique)}: measured ${v.date} on ${on}`, [
      {
        kind: 'table',
        id: `measured-${v.technique}`,
        title: `${techniqueLabel(v.technique)}: predicted and measured`,
        sheet: `Measured ${v.technique}`.slice(0, 31),
        columns: [
          { key: 'figure', header: 'Figure', width: 2.2 },
          // Rows differ in unit and magnitude (the figure names it): spreadsheets show each number as it is.
          { key: 'predicted', header: 'Predicted', numeric: true, numFmt: 'General', width: 2.4, wrap: true },
          { key: 'measured', header: 'Measured', numeric: true, numFmt: 'General', width: 2.8, wrap: true },
          { key: 'basis', header: 'Basis', width: 2.6, wrap: true },
        ],
        rows,
      },
      v.groups.length
        ? {
            kind: 'table',
            id: `measured-groups-${v.technique}`,
            title: 'Measured accuracy per group',
            columns: [
              { key: 'group', header: 'Group', width: 2 },
              { key: 'samples', header: 'Samples', numeric: true, numFmt: '0', width: 1 },
              { key: 'original', header: 'Original', unit: '%', numeric: true, numFmt: '0.0', width: 1.2 },
              { key: 'compressed', header: 'Compressed', unit: '%', numeric: true, numFmt: '0.0', width: 1.2 },
              { key: 'drop', header: 'Drop', unit: 'points', numeric: true, numFmt: '0.00', width: 1.2 },
            ],
            rows: v.groups.map((g) => [txt(g.group), num(g.samples, String(g.samples)), num(g.original * 100, pct(g.original)), num(g.compressed * 100, pct(g.compressed)), num(g.drop * 100, points(g.drop))]),
          }
        : null,
      bullets([
        v.sensitiveLayers.length ? `Most sensitive layers (measured SQNR lost): ${v.sensitiveLayers.map((l) => `${l.name} ${l.dropDb.toFixed(1)} dB`).join(', ')}` : null,
        v.floatLayers.length ? `Layers kept in float: ${v.floatLayers.slice(0, 20).join(', ')}${v.floatLayers.length > 20 ? ` and ${v.floatLayers.length - 20} more` : ''}` : null,
        `Compressed file: ${v.compressedFile} (${fmtBytes(v.fileBytes.compressed)} on disk, original ${fmtBytes(v.fileBytes.original)})`,
        ...v.notes.map((n) => `Measurement note: ${n}`),
      ]),
    ]);
  }
  return { id: 'measured', title: 'Measured on your data and this machine', sheetName: 'Measured', blocks };
}

function rolloutSection(doc: PlanDocument, stages: Report['rollout']): Section | null {
  const p = doc.plan;
  const blocks: Block[] = [];
  if (stages.length) {
    blocks.push({
      kind: 'table',
      id: 'rollout-stages',
      title: 'Over-the-air rollout stages',
      columns: [
        { key: 'stage', header: 'Stage', width: 1.8 },
        { key: 'percent', header: 'Fleet share', unit: '%', numeric: true, numFmt: '0.##', width: 1 },
        { key: 'days', header: 'Duration', unit: 'days', numeric: true, numFmt: '0', width: 1 },
        { key: 'start', header: 'Starts on day', numeric: true, numFmt: '0', width: 1, formula: 'stageStartDay' },
        { key: 'exit', header: 'Exit criteria', width: 5, wrap: true },
      ],
      rows: stages.map((s) => [txt(s.name), num(s.percent, `${fmtNum(s.percent)} %`), num(s.durationDays, fmtInt(s.durationDays)), num(s.startDay, fmtInt(s.startDay)), txt(s.exitCriteria)]),
    });
  }
  group(blocks, 'Release safety', [
    facts([
      { label: 'Signing', text: p.rollout.signing },
      { label: 'Rollback', text: p.rollout.rollback },
      { label: 'A/B test', text: p.rollout.abTest },
    ]),
  ]);
  group(blocks, 'Monitoring', [
    bullets(p.monitoring.metrics),
    facts([
      { label: 'Drift detection', text: p.monitoring.drift },
      { label: 'Notes', text: p.monitoring.notes },
    ]),
  ]);
  const fairnessHas = p.fairness.groups.length > 0 || p.fairness.maxGapPoints !== null || present(p.fairness.notes);
  if (fairnessHas) {
    group(blocks, 'Fairness audit', [
      facts([
        { label: 'Groups', text: p.fairness.groups.join(', ') },
        { label: 'Metric', text: p.fairness.metric },
        p.fairness.maxGapPoints !== null && { label: 'Largest accepted gap', text: `${fmtNum(p.fairness.maxGapPoints)} points`, value: p.fairness.maxGapPoints, unit: 'points' },
        { label: 'Notes', text: p.fairness.notes },
      ]),
    ]);
  }
  group(blocks, 'Privacy', [
    facts([
      { label: 'Data stays on the device', text: yesNo(p.privacy.onDeviceOnly) },
      { label: 'Federated learning', text: yesNo(p.privacy.federatedLearning) },
      { label: 'Differential privacy', text: yesNo(p.privacy.differentialPrivacy) },
      { label: 'Notes', text: p.privacy.notes },
    ]),
  ]);
  const off = p.offloading;
  if (off.enabled || present(off.fallback) || present(off.notes)) {
    group(blocks, 'Offloading', [
      facts([
        { label: 'Offloading', text: off.enabled ? 'enabled' : 'disabled' },
        off.confidenceThreshold !== null && { label: 'Confidence threshold', text: fmtNum(off.confidenceThreshold), value: off.confidenceThreshold, unit: '0-1' },
        { label: 'Fallback', text: off.fallback },
        { label: 'Notes', text: off.notes },
      ]),
    ]);
  }
  group(blocks, 'Operations the recommender insists on', [bullets(doc.recommendation?.operations ?? [])]);
  if (!blocks.length) return null;
  return { id: 'rollout', title: 'Rollout and operations', sheetName: 'Rollout', blocks };
}

function risksSection(doc: PlanDocument): Section | null {
  const blocks: Block[] = [];
  const risks = doc.plan.risks.filter((r) => present(r.description) || present(r.mitigation));
  if (risks.length) {
    const tone = (l: string): Tone => (l === 'high' ? 'bad' : l === 'medium' ? 'warn' : 'good');
    blocks.push({
      kind: 'table',
      id: 'risks',
      title: 'Risks',
      columns: [
        { key: 'risk', header: 'Risk', width: 4, wrap: true },
        { key: 'likelihood', header: 'Likelihood', width: 1.1 },
        { key: 'impact', header: 'Impact', width: 1 },
        { key: 'mitigation', header: 'Mitigation', width: 4, wrap: true },
      ],
      rows: risks.map((r) => [txt(r.description), txt(r.likelihood, tone(r.likelihood)), txt(r.impact, tone(r.impact)), txt(r.mitigation)]),
    });
  }
  group(blocks, 'Open questions', [bullets(doc.plan.openQuestions)]);
  if (!blocks.length) return null;
  return { id: 'risks', title: 'Risks and open questions', sheetName: 'Risks', blocks };
}

function sourcesSection(doc: PlanDocument): Section {
  const blocks: Block[] = [];
  blocks.push({
    kind: 'paragraph',
    text:
      'Every figure is an estimate with a range (low–high) around a typical value, from the device catalog and the model file; ' +
      'memory is in binary units (1 MiB = 2^20 bytes, 1 KiB = 2^10 bytes). The estimates assume the conditions listed per device; measure on the device before committing.',
  });
  if (doc.sources.length) {
    blocks.push({
      kind: 'table',
      id: 'sources',
      title: 'Catalog figures and their sources',
      sheet: 'Sources',
      columns: [
        { key: 'device', header: 'Device', width: 1.6 },
        { key: 'figure', header: 'Figure', width: 1.6 },
        { key: 'value', header: 'Value', width: 1.3 },
        { key: 'source', header: 'Source', width: 3, wrap: true },
        { key: 'quote', header: 'Quote', width: 3.5, wrap: true },
      ],
      rows: doc.sources.map((s) => [txt(s.device), txt(s.figure), txt(s.value), txt(s.source), txt(s.quote)]),
    });
  }
  for (const e of doc.estimates) {
    group(blocks, `Assumptions for ${e.deviceName}`, [
      bullets(e.assumptions),
      e.calibration
        ? para(
            `Calibration: ${e.calibration.note}` +
              ` (${fmtInt(e.calibration.points)} published points` +
              (e.calibration.medianAbsLogError !== null ? `, median |log error| ${fmtNum(e.calibration.medianAbsLogError)}` : '') +
              ').',
            'note',
          )
        : null,
    ]);
  }
  const steps = doc.recommendation?.recommendations[0]?.steps ?? [];
  group(blocks, 'Sources of the compression effects', [bullets(steps.map((s) => `${TECHNIQUE_LABELS[s.technique] ?? s.technique}: ${s.source}`))]);
  blocks.push({ kind: 'paragraph', text: c(`Generated ${doc.generatedAt} by Edge Deployment Planner ${doc.toolVersion}.`), style: 'note' });
  return { id: 'sources', title: 'Assumptions and sources', sheetName: 'Assumptions', blocks };
}

function layersSection(doc: PlanDocument): Section | null {
  const p = doc.profile;
  if (!p.layers.length) return null;
  const est = primaryEstimate(doc);
  const times = layerTimes(est);
  const columns: Column[] = [
    { key: 'index', header: '#', numeric: true, numFmt: '0', width: 0.6 },
    { key: 'name', header: 'Layer', width: 3 },
    { key: 'op', header: 'Operator', short: 'Op', width: 2 },
    { key: 'macs', header: 'MACs', unit: 'M', numeric: true, numFmt: '#,##0.000', width: 1 },
    { key: 'params', header: 'Parameters', short: 'Params', unit: 'count', numeric: true, numFmt: '#,##0', width: 1.2 },
    { key: 'weights', header: 'Weights', unit: 'KiB', numeric: true, numFmt: '#,##0.0', width: 1.1 },
    { key: 'act', header: 'Activations', short: 'Act.', unit: 'KiB', numeric: true, numFmt: '#,##0.0', width: 1 },
    { key: 'precision', header: 'Precision', short: 'Prec.', width: 0.8 },
  ];
  if (est) {
    columns.push({ key: 'ms', header: `Time on ${est.deviceName}`, short: 'Time', unit: 'ms', numeric: true, numFmt: '0.0000', width: 1.4 });
    columns.push({ key: 'unit', header: 'Runs on', width: 1.3 });
  }
  const rows = p.layers.map((l, i) => {
    const row: Cell[] = [
      num(i + 1, String(i + 1)),
      txt(l.name),
      txt(l.op),
      l.macs !== null ? num(l.macs / 1e6, fmtNum(l.macs / 1e6)) : num(null),
      num(l.params, fmtInt(l.params)),
      num(l.weightBytes / BYTES_PER_KB),
      l.activationBytes !== null ? num(l.activationBytes / BYTES_PER_KB) : num(null),
      txt(l.precision),
    ];
    if (est) {
      const t = times.get(l.name);
      row.push(t ? num(t.ms) : num(null), txt(t ? t.unit : '—', t?.unit === 'cpu' && est.compatibility.verdict !== 'full' ? 'warn' : undefined));
    }
    return row;
  });
  return {
    id: 'layers',
    title: 'Appendix: per-layer costs',
    sheetName: 'Layers',
    blocks: [
      para(`All ${fmtInt(p.layers.length)} layers of the main graph in execution order${est ? `, with the estimated time of each on ${est.deviceName}` : ''}.`, 'note') as Block,
      { kind: 'table', id: 'layers', columns, rows, sheet: 'Layers', pagedLimit: PAGED_LAYER_ROWS },
    ],
  };
}

/** Builds the report every exporter renders. Pure: same document in, same report out. */
export function buildReport(doc: PlanDocument): Report {
  const plan = doc.plan;
  const budgets: Budgets = doc.recommendation?.budgets ?? plan.budgets;
  const h = buildHeadline(doc, budgets);
  const modelName = c(plan.model.name || doc.profile.file.split(/[\\/]/).pop() || 'model');
  const projectName = c(plan.project.name || `${modelName} edge deployment`);

  let day = 0;
  const rollout = plan.rollout.stages.map((s) => {
    const r = { name: c(s.name), percent: s.percent, durationDays: s.durationDays, startDay: day, exitCriteria: c(s.exitCriteria) };
    day += s.durationDays;
    return r;
  });

  const sections = [
    summarySection(doc, h, budgets),
    modelSection(doc),
    devicesSection(doc, budgets),
    pipelineSection(doc, h),
    measuredSection(doc),
    rolloutSection(doc, rollout),
    risksSection(doc),
    sourcesSection(doc),
    layersSection(doc),
  ].filter((s): s is Section => s !== null && s.blocks.length > 0);

  const titleFacts = (facts([
    { label: 'Project', text: projectName },
    { label: 'Owner', text: plan.project.owner },
    { label: 'Date', text: plan.project.date },
    { label: 'Model', text: `${modelName}${plan.model.file ? ` (${plan.model.file})` : ''}` },
    { label: 'Plan version', text: plan.project.version },
    { label: 'Targets', text: doc.estimates.length ? doc.estimates.map((e) => e.deviceName).join(', ') : plan.targets.join(', ') },
    { label: 'Generated', text: `${doc.generatedAt} · Edge Deployment Planner ${doc.toolVersion}` },
  ]) as { kind: 'facts'; facts: Fact[] } | null)?.facts ?? [];

  return {
    meta: {
      title: projectName,
      subtitle: 'Edge deployment plan',
      author: c(plan.project.owner) || 'Edge Deployment Planner',
      subject: c(`Deployment plan for ${modelName} on ${doc.estimates.map((e) => e.deviceName).join(', ') || plan.targets.join(', ') || 'edge devices'}`),
      keywords: [...new Set(['edge deployment', modelName, doc.profile.format, ...doc.estimates.map((e) => e.deviceName), ...h.techniques])].map(c),
      projectName,
      modelName,
      modelFile: c(plan.model.file),
      date: c(plan.project.date),
      planVersion: c(plan.project.version),
      generatedAt: c(doc.generatedAt),
      toolVersion: c(doc.toolVersion),
    },
    titleFacts,
    headline: h,
    budgets,
    sections,
    charts: {
      // Charts show only finite, positive figures (a device the model cannot run on may have none).
      latency: doc.estimates
        .filter((e) => [e.latencyMs.low, e.latencyMs.typical, e.latencyMs.high].every((v) => Number.isFinite(v) && v >= 0))
        .map((e) => ({ device: e.device, deviceName: c(e.deviceName), range: e.latencyMs, tone: latencyTone(e.latencyMs, budgets.latencyMs) })),
      memory: doc.estimates.filter((e) => Number.isFinite(e.memory.totalBytes) && e.memory.totalBytes >= 0).map((e) => ({
        device: e.device,
        deviceName: c(e.deviceName),
        totalMb: mb(e.memory.totalBytes),
        limitMb: e.memory.limitBytes !== null && Number.isFinite(e.memory.limitBytes) ? mb(e.memory.limitBytes) : null,
        fits: e.memory.fits,
      })),
      latencyBudgetMs: budgets.latencyMs ?? null,
      memoryBudgetMb: budgets.memoryMb ?? null,
    },
    devices: doc.estimates,
    rollout,
    risks: plan.risks.filter((r) => present(r.description)).map((r) => ({ description: c(r.description), likelihood: r.likelihood, impact: r.impact, mitigation: c(r.mitigation) })),
    openQuestions: plan.openQuestions.filter(present).map(c),
  };
}

/** Splits a wide table into the column groups paged formats print one after another (the first column repeats). */
export function splitByGroup(table: TableBlock): TableBlock[] {
  const keep = table.columns.map((col, i) => (col.spreadsheetOnly ? -1 : i)).filter((i) => i >= 0);
  const t: TableBlock = keep.length === table.columns.length ? table : { ...table, columns: keep.map((i) => table.columns[i]), rows: table.rows.map((r) => keep.map((i) => r[i])) };
  const groups = [...new Set(t.columns.map((col) => col.group).filter((g): g is string => !!g))];
  if (groups.length < 2) return [t];
  const keyIdx = t.columns.findIndex((col) => !col.group);
  return groups.map((g) => {
    const idx = t.columns.map((col, i) => (col.group === g || i === keyIdx ? i : -1)).filter((i) => i >= 0);
    return { ...t, id: `${t.id}-${g}`, title: t.groupTitles?.[g] ?? t.title, columns: idx.map((i) => t.columns[i]), rows: t.rows.map((r) => idx.map((i) => r[i])) };
  });
}

/** "Latency typical (ms)". */
export const headerText = (col: Column, paged = false): string => {
  const h = paged && col.short ? col.short : col.header;
  return col.unit ? `${h} (${col.unit})` : h;
};

/** Blocks as plain text (speaker notes, alt text): facts as "label: text", table rows as "header: value; ...". */
export function blocksToPlainText(blocks: Block[], opts: { maxTableRows?: number } = {}): string {
  const out: string[] = [];
  const maxRows = opts.maxTableRows ?? 50;
  for (const b of blocks) {
    switch (b.kind) {
      case 'paragraph':
        out.push(b.text);
        break;
      case 'subheading':
        out.push('', b.text.toUpperCase());
        break;
      case 'bullets':
        out.push(...b.items.map((i) => `• ${i}`));
        break;
      case 'facts':
        out.push(...b.facts.map((f) => `${f.label}: ${f.text}`));
        break;
      case 'table': {
        if (b.title) out.push('', `${b.title}:`);
        for (const r of b.rows.slice(0, maxRows)) out.push('• ' + r.map((cell, i) => `${headerText(b.columns[i])}: ${cell.text}`).join('; '));
        if (b.rows.length > maxRows) out.push(`… ${b.rows.length - maxRows} more rows in the Word, PDF and Excel versions.`);
        break;
      }
      case 'code':
        out.push(`${b.title}:`, b.code);
        break;
      case 'chart':
        break;
    }
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}
