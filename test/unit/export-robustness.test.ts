/**
 * Exports of unusual plans: no devices, non-finite figures, thousands of layers, a project name with nothing to
 * slug. Every format must still render (a valid zip or PDF), and the paged formats must bound the layer table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { renderDocx, renderXlsx, renderPdf, renderPptx, exportFileName, exportPlan } from '../../src/export/index';
import { buildReport, PAGED_LAYER_ROWS } from '../../src/export/report';
import { samplePlanDocument, sampleProfile, minimalPlanDocument } from '../support/sample-plan';
import { tempDir } from '../support/shared';

const isZip = (b: Buffer): boolean => b.subarray(0, 2).toString() === 'PK' && b.length > 1000;
const isPdf = (b: Buffer): boolean => b.subarray(0, 5).toString() === '%PDF-' && b.subarray(-6).toString().includes('%%EOF');

async function renderAll(doc: ReturnType<typeof samplePlanDocument>): Promise<Record<string, Buffer>> {
  return { docx: await renderDocx(doc), xlsx: await renderXlsx(doc), pdf: await renderPdf(doc), pptx: await renderPptx(doc) };
}

test('a plan without any device estimate renders in every format, without device charts', async () => {
  const doc = minimalPlanDocument();
  doc.estimates = [];
  const r = buildReport(doc);
  assert.ok(!r.sections.some((s) => s.id === 'devices'));
  assert.equal(r.charts.latency.length, 0);
  const out = await renderAll(doc);
  for (const f of ['docx', 'xlsx', 'pptx']) assert.ok(isZip(out[f]), f);
  assert.ok(isPdf(out.pdf));
});

test('non-finite estimates are printed as symbols and left out of charts instead of breaking them', async () => {
  const doc = samplePlanDocument();
  doc.estimates[2].latencyMs = { low: Number.NaN, typical: Number.POSITIVE_INFINITY, high: Number.POSITIVE_INFINITY };
  doc.estimates[2].energyMj = null;
  doc.estimates[2].powerW = null;
  const r = buildReport(doc);
  assert.deepEqual(r.charts.latency.map((b) => b.device), ['rpi5', 'coral-usb']);
  const out = await renderAll(doc);
  for (const f of ['docx', 'xlsx', 'pptx']) assert.ok(isZip(out[f]), f);
  assert.ok(isPdf(out.pdf));
});

test('thousands of layers: the workbook has all, Word and PDF print a bounded table and say so', async () => {
  const doc = samplePlanDocument();
  const big = sampleProfile(PAGED_LAYER_ROWS + 500);
  doc.profile = big;
  const r = buildReport(doc);
  const layers = r.sections.find((s) => s.id === 'layers')!.blocks.find((b) => b.kind === 'table');
  assert.ok(layers && layers.kind === 'table' && layers.rows.length === PAGED_LAYER_ROWS + 500);
  const pdf = await renderPdf(doc);
  const dir = tempDir('robust');
  const pdfFile = path.join(dir, 'big.pdf');
  fs.writeFileSync(pdfFile, pdf);
  if (spawnSync('sh', ['-c', 'command -v pdftotext']).status === 0) {
    const text = spawnSync('pdftotext', [pdfFile, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    assert.ok(text.includes(`The first 1,500 of 2,000 rows are shown; the Excel workbook has all of them.`));
    assert.ok(!text.includes(`/Gemm_${PAGED_LAYER_ROWS + 499}`), 'the last layer is not printed');
  }
  const xlsx = await renderXlsx(doc);
  assert.ok(isZip(xlsx));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a project name with nothing to slug falls back to the model name, then to "deployment-plan"', async () => {
  const doc = minimalPlanDocument();
  doc.plan.project.name = '🚀 ✨';
  assert.equal(exportFileName(doc, 'pdf'), 'tiny-model.pdf');
  doc.plan.model.name = 'مرحبا';
  assert.equal(exportFileName(doc, 'pdf'), 'deployment-plan.pdf');
  const dir = tempDir('slug');
  const res = await exportPlan(doc, ['pptx', 'pptx'], path.join(dir, 'new', 'folder'), {});
  assert.equal(res.length, 1, 'a format asked twice is written once');
  assert.equal(path.basename(res[0].file), 'deployment-plan.pptx');
  fs.rmSync(dir, { recursive: true, force: true });
});
