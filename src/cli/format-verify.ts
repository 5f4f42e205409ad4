/** The readable report of edgeplan verify: what was built, on which data, and what it measured on this machine. */
import * as path from 'path';
import type { VerifyReport } from '../measure/verify';
import { formatBytes, formatMs, formatPercent, formatPoints as points, formatSqnr as sqnr } from '../format-numbers';
import { table } from './format';

const pct = (x: number | null | undefined): string => formatPercent(x, 'n/a');

function dataLine(r: VerifyReport): string {
  const d = r.data;
  const what = d.source === 'synthetic' ? `synthetic inputs (seed ${d.seed}): numeric fidelity only, no accuracy` : `${d.source === 'npy' ? '.npy files' : 'images'}${d.labels ? `, labels from ${d.labels === 'folders' ? 'class folders' : 'samples.csv'}${d.classes ? ` (${d.classes.length} classes)` : ''}` : ', no labels'}`;
  return `Data: ${what}; ${d.calibrationSamples} calibration and ${d.evaluationSamples} evaluation samples, disjoint${d.found !== null ? `, of ${d.found} found${d.sampled ? ' (sampled)' : ''}` : ''}`;
}

export function formatVerify(r: VerifyReport): string {
  const out: string[] = [];
  const c = r.compressed;
  out.push(`${path.basename(r.original.file)} → ${path.basename(c.file)} (${c.technique})`);
  out.push(dataLine(r));
  const p = r.data.preprocess;
  if (p) out.push(`Preprocessing: ${p.layout} ${p.height}x${p.width}, ${p.channels} channel(s), pixels / ${p.scale}, mean ${p.mean.join(',')}, std ${p.std.join(',')}, resized by stretching`);
  out.push('');
  const dtypes = Object.entries(c.weightDtypes).map(([k, v]) => `${k} ${formatBytes(v)}`).join(', ');
  const rows: string[][] = [
    ['File size', formatBytes(r.original.fileBytes), formatBytes(c.fileBytes), `${((c.fileBytes / r.original.fileBytes) * 100).toFixed(0)} % of the original`],
    ['Weight bytes', formatBytes(r.original.weightBytes), formatBytes(c.weightBytes), dtypes],
    ['Latency p50 (this machine, measured)', `${formatMs(r.original.latencyMs.p50)} ms`, `${formatMs(c.latencyMs.p50)} ms`, ''],
    ['Latency p95 (this machine, measured)', `${formatMs(r.original.latencyMs.p95)} ms`, `${formatMs(c.latencyMs.p95)} ms`, ''],
  ];
  if (r.accuracy) {
    const a = r.accuracy;
    rows.push(['Accuracy (measured)', pct(a.original), pct(a.compressed), `drop ${points(a.drop)} points, 95 % interval ${points(a.dropCi95[0])} to ${points(a.dropCi95[1])} (n = ${a.samples})`]);
  }
  if (r.fidelity.top1Agreement !== null) rows.push(['Top-1 / top-5 agreement', '', `${pct(r.fidelity.top1Agreement)} / ${pct(r.fidelity.top5Agreement)}`, `output ${r.fidelity.classifierOutput}`]);
  out.push(table(['', 'original', c.technique, ''], rows, ['l', 'r', 'r', 'l']));
  out.push('');
  out.push('Fidelity per output (compressed vs original, all evaluation samples)');
  out.push(table(['output', 'cosine', 'SQNR', 'max abs error'], r.fidelity.outputs.map((o) => [o.name, o.cosine.toFixed(6), sqnr(o.sqnrDb), o.maxAbsError.toPrecision(3)]), ['l', 'r', 'r', 'r']));
  if (r.groups.length) {
    out.push('');
    out.push('Accuracy per group');
    out.push(table(['group', 'samples', 'original', 'compressed', 'drop (points)', '95 % interval'], r.groups.map((g) => [g.group, String(g.samples), pct(g.original), pct(g.compressed), points(g.drop), `${points(g.dropCi95[0])} to ${points(g.dropCi95[1])}`]), ['l', 'r', 'r', 'r', 'r', 'l']));
    const gg = r.groupGap!;
    out.push(`Worst group: ${gg.worstGroup} (drop ${points(gg.worstDrop)} points). Gap between best and worst group: ${points(gg.gapOriginal)} → ${points(gg.gapCompressed)} points${gg.widened === null ? '' : gg.widened ? ' — widened' : ' — not widened'}.`);
  }
  if (r.sensitiveLayers.length) {
    out.push('');
    out.push('Most sensitive layers (activations compared on the first evaluation samples)');
    out.push(table(['layer', 'op', 'input SQNR', 'output SQNR', 'loss dB'], r.sensitiveLayers.map((l) => [l.name, l.op, sqnr(l.inputSqnrDb), sqnr(l.sqnrDb), l.dropDb.toFixed(1)]), ['l', 'l', 'r', 'r', 'r']));
  }
  if (r.fullyCompressed) {
    const f = r.fullyCompressed;
    out.push('');
    out.push(`Kept in float: ${c.floatLayers.join(', ') || 'none'} (${f.criterion}). Fully compressed, for comparison: ${f.accuracy ? `accuracy ${pct(f.accuracy.compressed)} (drop ${points(f.accuracy.drop)} points)` : f.fidelity.top1Agreement !== null ? `top-1 agreement ${pct(f.fidelity.top1Agreement)}` : `SQNR ${f.fidelity.outputs.map((o) => sqnr(o.sqnrDb)).join(', ')}`}.`);
  } else if (c.floatLayers.length) out.push(`\nLayers left in float: ${c.floatLayers.slice(0, 12).join(', ')}${c.floatLayers.length > 12 ? ` and ${c.floatLayers.length - 12} more` : ''}`);
  if (r.accuracy) out.push(`\nInterval method: ${r.accuracy.method}.`);
  out.push(`Measured on this machine: ${r.measuredOn.cpu}, ${r.measuredOn.cores} cores, ${r.measuredOn.platform}, ${r.measuredOn.runtime}.`);
  if (r.notes.length) out.push(r.notes.map((n) => `  - ${n}`).join('\n'));
  out.push(`\nWrote ${path.relative(process.cwd(), c.file) || c.file}`);
  return out.join('\n');
}
