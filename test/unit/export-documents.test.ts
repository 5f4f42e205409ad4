/**
 * The four exported documents, read back by independent readers: LibreOffice (headless) converts the .docx,
 * .xlsx and .pptx to PDF, poppler's pdftotext / pdffonts / pdfinfo read the PDFs, exceljs reads the workbook's
 * numbers and formulas back, and LibreOffice recalculates the workbook's formulas after a budget change.
 * First pages are rendered to test-artifacts/exports/ for a person to look at.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { spawnSync } from 'child_process';
import ExcelJS from 'exceljs';
import { exportPlan, type ExportResult } from '../../src/export/index';
import { buildReport } from '../../src/export/report';
import { samplePlanDocument, minimalPlanDocument, SPECIAL_TEXT } from '../support/sample-plan';
import { tempDir, artifactDir } from '../support/shared';
import { has, pdfText, soffice, SKIP_LO } from '../support/doc-readers';

const SKIP_POPPLER = has('pdftotext') && has('pdffonts') && has('pdfinfo') ? false : 'poppler-utils is not installed';

const doc = samplePlanDocument();
const report = buildReport(doc);
const pdfkitLoadedAtStart = Object.keys(require.cache).some((k) => k.includes(`${path.sep}pdfkit${path.sep}`));

let work = '';
let results: ExportResult[] = [];
const file = (format: string): string => results.find((r) => r.format === format)!.file;
/** Text of the LibreOffice PDF of each converted input, keyed by its base name. */
const loText: Record<string, string> = {};
let recalcCsv = '';

function render(pdf: string, name: string, page = 1): string {
  const out = path.join(artifactDir('exports'), name);
  const r = spawnSync('pdftoppm', ['-png', '-r', '50', '-f', String(page), '-l', String(page), '-singlefile', pdf, out], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return `${out}.png`;
}

before(async () => {
  work = tempDir('export-docs');
  results = await exportPlan(doc, ['docx', 'xlsx', 'pdf', 'pptx'], path.join(work, 'out'), {});
  if (SKIP_LO) return;
  // LibreOffice names its output after the input: give each input its own base name.
  const inDir = path.join(work, 'lo-in');
  const outDir = path.join(work, 'lo-out');
  fs.mkdirSync(inDir);
  for (const f of ['docx', 'xlsx', 'pptx']) fs.copyFileSync(file(f), path.join(inDir, `sample-${f}.${f}`));
  const minimal = await exportPlan(minimalPlanDocument(), ['docx'], path.join(work, 'minimal'), {});
  fs.copyFileSync(minimal[0].file, path.join(inDir, 'minimal-docx.docx'));

  // A copy of the workbook with new budgets and no cached formula results, for LibreOffice to recalculate.
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file('xlsx'));
  const ws = wb.getWorksheet('Devices')!;
  ws.getCell('B2').value = 5;
  ws.getCell('B3').value = 10;
  ws.eachRow((row) => row.eachCell((c) => { if (c.formula) c.value = { formula: c.formula } as ExcelJS.CellFormulaValue; }));
  await wb.xlsx.writeFile(path.join(work, 'recalc.xlsx'));

  const profile = path.join(os.tmpdir(), `edgeplan-lo-${process.pid}-${Date.now()}`);
  try {
    const inputs = fs.readdirSync(inDir).map((f) => path.join(inDir, f));
    soffice(['--convert-to', 'pdf', '--outdir', outDir, ...inputs], profile);
    soffice(['--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1', '--outdir', path.join(work, 'csv'), path.join(work, 'recalc.xlsx')], profile);
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
  for (const f of fs.readdirSync(outDir)) loText[f.replace(/\.pdf$/, '')] = pdfText(path.join(outDir, f));
  recalcCsv = fs.readFileSync(path.join(work, 'csv', 'recalc-Devices.csv'), 'utf8');
  for (const f of ['docx', 'xlsx', 'pptx']) render(path.join(outDir, `sample-${f}.pdf`), `sample-${f}-page1`);
  render(path.join(outDir, 'minimal-docx.pdf'), 'minimal-docx-page1');
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('document libraries load only on export: pdfkit was not loaded by importing the exporter', () => {
  assert.equal(pdfkitLoadedAtStart, false);
  assert.ok(Object.keys(require.cache).some((k) => k.includes(`${path.sep}pdfkit${path.sep}`)), 'loaded once a PDF was rendered');
});

test('four files named after the project, sizes reported, no temporary files left', () => {
  assert.deepEqual(results.map((r) => path.basename(r.file)), ['docx', 'xlsx', 'pdf', 'pptx'].map((f) => `smart-speaker-wake-word.${f}`));
  for (const r of results) assert.equal(fs.statSync(r.file).size, r.bytes);
  assert.equal(fs.readdirSync(path.dirname(results[0].file)).length, 4);
  // Zip containers and a PDF, by their magic bytes.
  for (const f of ['docx', 'xlsx', 'pptx']) assert.equal(fs.readFileSync(file(f)).subarray(0, 2).toString(), 'PK');
  assert.equal(fs.readFileSync(file('pdf')).subarray(0, 5).toString(), '%PDF-');
});

test('every format, read back, names the model, every device, the headline latency and the recommended technique', { skip: SKIP_LO }, () => {
  const texts: Record<string, string> = { pdf: pdfText(file('pdf')), docx: loText['sample-docx'], xlsx: loText['sample-xlsx'], pptx: loText['sample-pptx'] };
  const expected = [doc.plan.model.name, ...doc.estimates.map((e) => e.deviceName), report.headline.latencyText, 'int8-ptq', 'INT8 post-training quantization'];
  assert.equal(report.headline.latencyText, '13.8 ms (9.4–19.6 ms)');
  for (const [format, text] of Object.entries(texts)) {
    assert.ok(text && text.length > 500, `${format}: text read back`);
    for (const want of expected) assert.ok(text.includes(want), `${format} is missing "${want}"`);
  }
  // Word and PDF carry every section heading; the spreadsheet and the deck the sections they show.
  for (const format of ['docx', 'pdf']) {
    for (const s of report.sections) assert.ok(texts[format].includes(s.title), `${format}: heading ${s.title}`);
    assert.ok(texts[format].includes('Page 1 of'), `${format}: page numbers`);
  }
  for (const title of ['Executive summary', 'Device comparison', 'Compression pipeline', 'Rollout timeline', 'Risks and open questions']) assert.ok(texts.pptx.includes(title), `pptx: ${title}`);
});

test('user text with <, &, quotes, emoji and RTL script survives every format', { skip: SKIP_LO }, () => {
  const plain = 'Wake-word <gate> & "night mode"';
  for (const [name, text] of Object.entries({ pdf: pdfText(file('pdf')), docx: loText['sample-docx'], xlsx: loText['sample-xlsx'], pptx: loText['sample-pptx'] })) {
    assert.ok(text.includes(plain), `${name}: ${plain}`);
  }
  assert.ok(loText['sample-docx'].includes('مرحبا'), 'docx keeps the Arabic text');
  assert.ok(pdfText(file('pdf')).includes('مرحبا'), 'pdf keeps the Arabic text');
  // Raw XML: escaped once (not twice), and the emoji kept as UTF-8.
  const xml = (f: string, part: string): string => spawnSync('unzip', ['-p', file(f), part], { encoding: 'utf8' }).stdout;
  const docXml = xml('docx', 'word/document.xml');
  assert.match(docXml, /Wake-word &lt;gate&gt; &amp; (&quot;|")night mode(&quot;|") 🚀 — مرحبا بالعالم/, 'docx body');
  assert.ok(!docXml.includes('&amp;lt;'), 'docx not double-escaped');
  const notes = spawnSync('sh', ['-c', `unzip -p '${file('pptx')}' 'ppt/notesSlides/*.xml'`], { encoding: 'utf8' }).stdout;
  assert.ok(notes.includes('&lt;gate&gt; &amp; &quot;night mode&quot; 🚀'), 'pptx speaker notes');
});

test('Word: no empty paragraph before a section\'s page break (a table that fills its page would leave a blank page)', () => {
  const body = spawnSync('unzip', ['-p', file('docx'), 'word/document.xml'], { encoding: 'utf8' }).stdout;
  assert.ok(body.includes('<w:body>'), 'document.xml read');
  // Top-level elements in order: tables collapsed to one marker (they hold paragraphs of their own), then paragraphs.
  const flat = body.replace(/<w:tbl>[\s\S]*?<\/w:tbl>/g, '<TBL/>');
  const elements = flat.match(/<TBL\/>|<w:p[ >][\s\S]*?<\/w:p>/g) ?? [];
  const breaks = elements.map((e, i) => (e.includes('<w:pageBreakBefore/>') ? i : -1)).filter((i) => i > 0);
  assert.ok(breaks.length >= report.sections.length, `${breaks.length} page breaks`);
  const empty = (e: string) => e.startsWith('<w:p') && !/<w:t[ >]|<w:drawing|<w:fldChar|<w:instrText/.test(e);
  const before = breaks.filter((i) => empty(elements[i - 1]));
  assert.deepEqual(before, [], 'empty paragraphs directly before a page break');
  assert.ok(breaks.some((i) => elements[i - 1] === '<TBL/>'), 'some section ends in a table, which this checks');
});

test('the workbook stores numbers as numbers, matching the plan, with frozen headers, filters and formulas', async () => {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file('xlsx'));
  assert.deepEqual(
    wb.worksheets.map((w) => w.name),
    ['Summary', 'Model', 'Devices', 'Device notes', 'Pipeline', 'Rollout', 'Risks', 'Assumptions', 'Sources', 'Layers'],
  );
  const ws = wb.getWorksheet('Devices')!;
  assert.equal(ws.getCell('B2').value, 20, 'latency budget input');
  assert.equal(ws.getCell('B3').value, 64, 'memory budget input');
  const header = ws.getRow(6);
  const col = (name: string): number => {
    let found = 0;
    header.eachCell((c, n) => { if (c.value === name) found = n; });
    assert.ok(found, `column "${name}"`);
    return found;
  };
  doc.estimates.forEach((e, i) => {
    const row = ws.getRow(7 + i);
    assert.equal(row.getCell(col('Device')).value, e.deviceName);
    assert.equal(row.getCell(col('Latency low (ms)')).value, e.latencyMs.low);
    assert.equal(row.getCell(col('Latency typical (ms)')).value, e.latencyMs.typical);
    assert.equal(row.getCell(col('Latency high (ms)')).value, e.latencyMs.high);
    assert.equal(row.getCell(col('Memory needed (MiB)')).value, e.memory.totalBytes / 2 ** 20);
    assert.equal(row.getCell(col('Energy per inference (mJ)')).value, e.energyMj!.typical);
    const margin = row.getCell(col('Latency budget margin (typical) (ms)'));
    assert.match(String(margin.formula), /Budget_latency_ms/);
    assert.ok(Math.abs((margin.result as number) - (20 - e.latencyMs.typical)) < 1e-9);
    assert.match(String(row.getCell(col('Meets latency budget')).formula), /^IF\(/);
    assert.match(String(row.getCell(col('Memory budget margin (MiB)')).formula), /Budget_memory_MiB/);
  });
  assert.equal(ws.views[0].state, 'frozen');
  assert.ok(ws.autoFilter, 'auto-filter on the device table');
  const layers = wb.getWorksheet('Layers')!;
  assert.equal(layers.views[0].state, 'frozen');
  let layerRows = 0;
  layers.eachRow((row, n) => {
    if (n <= 3) return;
    const macs = row.getCell(4).value;
    assert.equal(typeof macs, 'number', `row ${n} MACs is a number`);
    assert.ok(Math.abs((macs as number) - doc.profile.layers[layerRows].macs! / 1e6) < 1e-12);
    layerRows++;
  });
  assert.equal(layerRows, 200);
  // Rollout start days are formulas over the durations.
  const rollout = wb.getWorksheet('Rollout')!;
  let startFormulas = 0;
  rollout.eachRow((row) => row.eachCell((c) => { if (c.formula && /^[A-Z]+\d+\+[A-Z]+\d+$/.test(c.formula)) startFormulas++; }));
  assert.equal(startFormulas, doc.plan.rollout.stages.length - 1);
  // Conditional formatting is present (exceljs reads it back).
  const cf = (ws as unknown as { conditionalFormattings: unknown[] }).conditionalFormattings;
  assert.ok(cf.length >= 3, `conditional formats: ${cf.length}`);
});

test('LibreOffice recalculates the margins and verdicts after the budgets change', { skip: SKIP_LO }, () => {
  const rows = recalcCsv.trim().split('\n');
  const header = rows.findIndex((r) => r.startsWith('Device,'));
  const cols = rows[header].split(',');
  const idx = (name: string): number => cols.indexOf(name);
  doc.estimates.forEach((e, i) => {
    const cells = rows[header + 1 + i].match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, ''));
    assert.equal(cells[0], e.deviceName);
    const margin = Number(cells[idx('Latency budget margin (typical) (ms)')]);
    assert.ok(Math.abs(margin - (5 - e.latencyMs.typical)) < 1e-6, `${e.device}: margin ${margin}`);
    const verdict = cells[idx('Meets latency budget')];
    const expected = e.latencyMs.high <= 5 ? 'yes' : e.latencyMs.low > 5 ? 'no' : e.latencyMs.typical <= 5 ? 'not decided (typical meets)' : 'not decided (typical misses)';
    assert.equal(verdict, expected, e.device);
    const memMargin = Number(cells[idx('Memory budget margin (MiB)')]);
    assert.ok(Math.abs(memMargin - (10 - e.memory.totalBytes / 2 ** 20)) < 1e-6, `${e.device}: memory margin ${memMargin}`);
  });
  // The Coral's typical figure meets the new 5 ms budget but its high one does not: the planner's "not decided".
  assert.ok(recalcCsv.includes('not decided (typical meets)'));
});

test('the PDF embeds its fonts, carries metadata, page numbers and repeats table headers across pages', { skip: SKIP_POPPLER }, () => {
  const pdf = file('pdf');
  const fonts = spawnSync('pdffonts', [pdf], { encoding: 'utf8' }).stdout.trim().split('\n').slice(2);
  assert.ok(fonts.length >= 2, fonts.join('\n'));
  for (const line of fonts) {
    assert.match(line, /DejaVuSans/, line);
    const cols = line.trim().split(/\s+/);
    assert.equal(cols[cols.length - 5], 'yes', `embedded: ${line}`);
  }
  assert.ok(!fonts.some((l) => /Helvetica|Times|Courier/.test(l)), 'no standard-14 font');
  const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' }).stdout;
  assert.match(info, /^Title:\s+Smart speaker wake-word$/m);
  assert.match(info, /^Author:\s+Dana Okafor$/m);
  assert.match(info, /^Subject:\s+Deployment plan for mobilenet_v2-kws on Raspberry Pi 5, Coral USB Accelerator, STM32H747 \(Cortex-M7\)$/m);
  assert.match(info, /^Keywords:.*int8-ptq/m);
  const pages = Number(/^Pages:\s+(\d+)$/m.exec(info)![1]);
  const perPage = pdfText(pdf, { raw: true }).split('\f');
  assert.ok(perPage[0].includes(`Page 1 of ${pages}`));
  assert.ok(perPage[pages - 1].includes(`Page ${pages} of ${pages}`));
  // The 200-row layer table spans several pages, each starting with its header row.
  // (the contents page names the appendix too: look for the page where its table starts)
  const appendix = perPage.findIndex((p) => p.includes('Appendix: per-layer costs') && /\/features\.\d+\/conv\//.test(p));
  assert.ok(appendix > 0, 'appendix page');
  const layerPages = perPage.slice(appendix, pages).filter((p) => /\/features\.\d+\/conv\//.test(p));
  assert.ok(layerPages.length >= 4, `layer pages: ${layerPages.length}`);
  for (const p of layerPages) {
    const flat = p.replace(/\s+/g, ' ');
    assert.ok(flat.includes('# Layer Op MACs (M) Params (count) Weights (KiB)'), `header row repeated: ${flat.slice(0, 200)}`);
  }
  // Long text wraps instead of running off the page: the unbroken URL is there in pieces or whole.
  assert.ok(pdfText(pdf).replace(/ /g, '').includes('calibration-dataset-guidelines.md'));
  render(pdf, 'sample-pdf-page1');
  const devicesPage = perPage.findIndex((p) => p.includes('Device comparison') && p.includes('Latency per device'));
  render(pdf, 'sample-pdf-devices', devicesPage + 1);
});

test('empty optional sections are left out of the document, not printed as blank headings', { skip: SKIP_LO }, () => {
  const text = loText['minimal-docx'];
  assert.ok(text.includes('Executive summary') && text.includes('tiny-model'));
  for (const absent of ['Risks and open questions', 'Compression pipeline', 'Appendix: per-layer costs', 'Fairness audit', 'Offloading', 'Warnings', 'Owner']) {
    assert.ok(!text.includes(absent), `"${absent}" should be omitted`);
  }
});
