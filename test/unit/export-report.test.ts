/**
 * The report view-model every exporter renders, the number formatting, file names and the atomic writer.
 * Fast: no document library, no LibreOffice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { buildReport, splitByGroup, blocksToPlainText, type TableBlock } from '../../src/export/report';
import { cleanText, fmtNum, fmtRange, fmtBytes, slugify, clip } from '../../src/export/format';
import { writeFileAtomic, ExportExistsError } from '../../src/export/atomic-write';
import { exportFileName, exportPlan } from '../../src/export/index';
import { findFontDir, fontPath, FontNotFoundError } from '../../src/export/fonts';
import { samplePlanDocument, minimalPlanDocument, SPECIAL_TEXT } from '../support/sample-plan';
import { tempDir } from '../support/shared';

const tableById = (blocks: { kind: string }[], id: string): TableBlock | undefined => blocks.find((b): b is TableBlock => b.kind === 'table' && (b as TableBlock).id === id);

test('number formatting: about three significant digits, no exponent, trailing zeros dropped', () => {
  assert.equal(fmtNum(13.8), '13.8');
  assert.equal(fmtNum(9.4), '9.4');
  assert.equal(fmtNum(20), '20');
  assert.equal(fmtNum(1480), '1,480');
  assert.equal(fmtNum(0.00123456), '0.00123');
  assert.equal(fmtNum(-885), '-885');
  assert.equal(fmtNum(0), '0');
  assert.equal(fmtRange({ low: 9.4, typical: 13.8, high: 19.6 }, 'ms'), '13.8 ms (9.4–19.6 ms)');
  assert.equal(fmtBytes(36_900_000), '35.2 MiB');
  assert.equal(fmtBytes(864_000), '844 KiB');
  assert.equal(fmtBytes(8 * 1024 ** 3), '8 GiB');
});

test('slug and clip', () => {
  assert.equal(slugify('Smart speaker wake-word'), 'smart-speaker-wake-word');
  assert.equal(slugify('Café <Déploiement> & "test" 🚀'), 'cafe-deploiement-test');
  assert.equal(slugify('مرحبا'), '');
  assert.equal(slugify('x'.repeat(200)).length, 80);
  assert.equal(clip('short', 10), 'short');
  const c = clip('one two three four five six', 12);
  assert.ok(c.length <= 12 && c.endsWith('…'), c);
});

test('cleanText keeps <, &, quotes, emoji and RTL text but drops XML-invalid control characters', () => {
  assert.equal(cleanText(SPECIAL_TEXT), SPECIAL_TEXT);
  assert.equal(cleanText('a\u0000b\u0007c\u001Fd\r\ne'), 'abcd\ne');
  assert.equal(cleanText('lone \uD800 surrogate'), 'lone \uFFFD surrogate');
});

test('report of the sample plan: every section, in order, with the headline from the recommendation', () => {
  const doc = samplePlanDocument();
  const r = buildReport(doc);
  assert.deepEqual(
    r.sections.map((s) => s.id),
    ['summary', 'model', 'devices', 'pipeline', 'rollout', 'risks', 'sources', 'layers'],
  );
  const rec = doc.recommendation!.recommendations[0];
  assert.equal(r.headline.device, 'rpi5');
  assert.deepEqual(r.headline.techniques, ['op-rewrite', 'int8-ptq', 'structured-pruning']);
  assert.equal(r.headline.latencyText, fmtRange(rec.predicted.latencyMs, 'ms'));
  assert.equal(r.headline.meetsAll, true);
  assert.ok(r.headline.sentence.includes(r.headline.latencyText));
  // Title page facts carry project, owner, date, model and plan version.
  const labels = r.titleFacts.map((f) => f.label);
  for (const l of ['Project', 'Owner', 'Date', 'Model', 'Plan version']) assert.ok(labels.includes(l), l);
  assert.equal(r.meta.author, 'Dana Okafor');
});

test('a latency budget inside the predicted range is "not decided" in the headline and the budget table, not "meets"', () => {
  const doc = samplePlanDocument();
  const rec = doc.recommendation!.recommendations[0];
  const summaryOf = (d: typeof doc) => {
    const r = buildReport(d);
    const budgets = tableById(r.sections.find((s) => s.id === 'summary')!.blocks, 'budget-check')!;
    return { h: r.headline, latencyRow: budgets.rows.find((row) => row[0].text === 'Latency')! };
  };
  // The sample's range (9.4–19.6 ms) is under its 20 ms budget: decided.
  const decided = summaryOf(doc);
  assert.equal(decided.h.latencyUndecided, false);
  assert.match(decided.h.sentence, /This meets every budget\./);
  assert.equal(decided.latencyRow[4].text, 'yes');
  // The same typical figure with a range reaching past the budget: met on the typical figure only.
  rec.predicted.latencyMs = { low: 9.4, typical: 13.8, high: 26 };
  const straddles = summaryOf(doc);
  assert.equal(straddles.h.meetsAll, true, 'the recommender judged the typical figure');
  assert.equal(straddles.h.latencyUndecided, true);
  assert.match(straddles.h.sentence, /meets every budget on its typical figures, but the 20 ms latency budget lies inside the predicted range: only a measurement on the device decides it/);
  assert.doesNotMatch(straddles.h.sentence, /This meets every budget\./);
  assert.equal(straddles.latencyRow[4].text, 'not decided (typical meets)');
  assert.equal(straddles.latencyRow[4].tone, 'warn');
  // The summary's and the pipeline section's facts say the same.
  const r = buildReport(doc);
  for (const id of ['summary', 'pipeline']) {
    const facts = r.sections.find((s) => s.id === id)!.blocks.flatMap((b) => (b.kind === 'facts' ? b.facts : []));
    const meets = facts.find((f) => f.label === 'Meets every budget')!;
    assert.match(meets.text, /^on the typical figures; the latency budget lies inside the predicted range/, id);
    assert.equal(meets.tone, 'warn', id);
  }
});

test('device table: one row per estimate, raw numbers in the column unit, verdicts against the budget', () => {
  const doc = samplePlanDocument();
  const r = buildReport(doc);
  const t = tableById(r.sections.find((s) => s.id === 'devices')!.blocks, 'device-comparison')!;
  const col = (key: string): number => t.columns.findIndex((c) => c.key === key);
  assert.equal(t.rows.length, doc.estimates.length);
  doc.estimates.forEach((e, i) => {
    const row = t.rows[i];
    assert.equal(row[col('device')].text, e.deviceName);
    assert.equal(row[col('latTyp')].value, e.latencyMs.typical);
    assert.equal(row[col('memTotal')].value, e.memory.totalBytes / 2 ** 20);
    assert.equal(row[col('latMargin')].value, 20 - e.latencyMs.typical);
  });
  // Budget 20 ms: the Pi's range holds it (typical 21.7 misses it, high 33.5): not decided, as the planner says; the
  // Coral's 9.8 high meets it; the MCU's whole range misses it.
  const pi = doc.estimates[0].latencyMs;
  assert.ok(pi.low <= 20 && pi.typical > 20 && pi.high > 20, `the Pi's range ${pi.low}–${pi.high}`);
  assert.deepEqual(t.rows.map((r2) => r2[col('latVerdict')].text), ['not decided (typical misses)', 'yes', 'no']);
  assert.deepEqual(t.rows.map((r2) => r2[col('latVerdict')].tone), ['warn', 'good', 'bad']);
  // The MCU does not fit its memory.
  assert.deepEqual(t.rows.map((r2) => r2[col('memFits')].text), ['yes', 'yes', 'no']);
  // Paged formats split the wide table into two groups, each starting with the device name, without the catalog ID.
  const parts = splitByGroup(t);
  assert.equal(parts.length, 2);
  for (const p of parts) {
    assert.equal(p.columns[0].key, 'device');
    assert.ok(!p.columns.some((c) => c.key === 'id'));
    assert.equal(p.rows[0].length, p.columns.length);
  }
  // Each part says which half of the table it is (one heading twice would read as a repeated table).
  assert.deepEqual(parts.map((p) => p.title), ['Per-device estimates: latency, energy and power', 'Per-device estimates: memory and compatibility']);
});

test('fallback ops, 3-step pipeline with commands, rollout start days, risks, sources and 200 layers are in the report', () => {
  const doc = samplePlanDocument();
  const r = buildReport(doc);
  const devices = r.sections.find((s) => s.id === 'devices')!;
  const fb = tableById(devices.blocks, 'fallback-ops')!;
  assert.deepEqual(fb.rows.map((x) => x[1].text), ['GlobalAveragePool', 'Gemm']);
  const pipeline = r.sections.find((s) => s.id === 'pipeline')!;
  assert.equal(pipeline.blocks.filter((b) => b.kind === 'code').length, 3);
  assert.equal(tableById(pipeline.blocks, 'pipeline-steps')!.rows.length, 3);
  assert.deepEqual(r.rollout.map((s) => s.startDay), [0, 3, 10]);
  assert.equal(r.risks.length, 3);
  assert.equal(tableById(r.sections.find((s) => s.id === 'sources')!.blocks, 'sources')!.rows.length, doc.sources.length);
  const layers = tableById(r.sections.find((s) => s.id === 'layers')!.blocks, 'layers')!;
  assert.equal(layers.rows.length, 200);
  assert.equal(layers.rows[0][3].value, doc.profile.layers[0].macs! / 1e6);
  // Speaker-notes text of the pipeline section has the commands.
  assert.ok(blocksToPlainText(pipeline.blocks).includes('quantize_static('));
});

test('empty optional sections and parts are omitted, not printed blank', () => {
  const r = buildReport(minimalPlanDocument());
  const ids = r.sections.map((s) => s.id);
  assert.ok(!ids.includes('risks'), 'no risks or open questions: no section');
  assert.ok(!ids.includes('pipeline'), 'no recommendation or chosen pipeline: no section');
  assert.ok(!ids.includes('layers'), 'no layers: no appendix');
  const all = JSON.stringify(r.sections);
  for (const absent of ['Fairness audit', 'Offloading', 'Warnings', 'Catalog figures and their sources', 'Owner', 'Release safety', 'Monitoring']) {
    assert.ok(!all.includes(`"${absent}"`), `${absent} should be omitted`);
  }
  for (const s of r.sections) {
    assert.ok(s.blocks.length > 0, s.id);
    for (const b of s.blocks) {
      if (b.kind === 'facts') for (const f of b.facts) assert.ok(f.text.trim(), `${s.id}: empty fact ${f.label}`);
      if (b.kind === 'bullets') assert.ok(b.items.length && b.items.every((i) => i.trim()), s.id);
    }
  }
  assert.ok(!r.titleFacts.some((f) => f.label === 'Owner'));
  assert.equal(r.headline.meetsAll, null);
  assert.equal(r.headline.afterPipeline, false);
});

test('a model whose MACs are a lower bound says so; a body run a fixed number of times says how often', () => {
  const doc = samplePlanDocument();
  doc.profile.macsLowerBoundReason = 'Lambda layer "lambda" runs Python code';
  doc.profile.subgraphCosts = [{ id: 'sg2', owner: 'loop.body', nodes: 4, macs: 256, flops: 0, runs: 5 }];
  const text = blocksToPlainText(buildReport(doc).sections.find((x) => x.id === 'model')!.blocks);
  assert.match(text, /MACs per inference: at least [^\n]* — a lower bound: Lambda layer "lambda" runs Python code/);
  assert.match(text, /sg2 \(in loop\.body\): 4 nodes, 256 MACs per run, runs 5×/);
  assert.doesNotMatch(text, /NaN|undefined/);
});

test('atomic write: no clobbering without force, old bytes untouched, no temp files left', () => {
  const dir = tempDir('atomic');
  const file = path.join(dir, 'plan.docx');
  writeFileAtomic(file, Buffer.from('first'));
  assert.throws(() => writeFileAtomic(file, Buffer.from('second')), (e: unknown) => e instanceof ExportExistsError && e.file === file && /already exists.*--force/.test(e.message));
  assert.equal(fs.readFileSync(file, 'utf8'), 'first');
  writeFileAtomic(file, Buffer.from('third'), { force: true });
  assert.equal(fs.readFileSync(file, 'utf8'), 'third');
  assert.deepEqual(fs.readdirSync(dir), ['plan.docx']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('exportPlan refuses before writing anything when one target exists, and names the file', async () => {
  const dir = tempDir('exists');
  const doc = samplePlanDocument();
  assert.equal(exportFileName(doc, 'pdf'), 'smart-speaker-wake-word.pdf');
  const existing = path.join(dir, exportFileName(doc, 'xlsx'));
  fs.writeFileSync(existing, 'keep me');
  await assert.rejects(exportPlan(doc, ['docx', 'xlsx'], dir, {}), (e: unknown) => e instanceof ExportExistsError && e.message.includes(existing));
  assert.equal(fs.readFileSync(existing, 'utf8'), 'keep me');
  assert.deepEqual(fs.readdirSync(dir), [path.basename(existing)], 'the docx was not written either');
  await assert.rejects(exportPlan(doc, ['rtf' as 'pdf'], dir, {}), /unknown export format "rtf"/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('fonts resolve from the bundle folder upwards, with a clear error elsewhere', () => {
  const dir = findFontDir();
  assert.ok(fs.statSync(fontPath('regular', dir)).size > 500_000);
  assert.ok(fs.existsSync(fontPath('bold', dir)));
  assert.ok(fs.existsSync(path.join(dir, 'LICENSE-DejaVu.txt')));
  assert.throws(() => findFontDir('/'), FontNotFoundError);
});
