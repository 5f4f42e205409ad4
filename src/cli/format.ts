/** Plain-text tables for edgeplan's human output. Numbers formatted once, here, for the CLI. */
import * as path from 'path';
import type { AnalysisResult } from '../analyzers/profile-types';
import { nodeCount } from '../analyzers/layer-summary';
import type { DeviceEstimate } from '../planner/types';
import type { PlanDocument } from '../planner/plan';
import type { CalibrationFile, DeviceSpec } from '../planner/catalog';
import type { BenchmarkResult } from '../measure';
import { fromText, slowestLayers } from '../planner/estimate/layer-times';
import { latencyMetOnTypicalOnly } from '../planner/budget-range';
import { formatBytes, formatCount, formatMs, formatPercent, formatShape, formatRange, withUnit } from '../format-numbers';
import { cellSafe, clip } from './terminal';

/** Rows of a long list printed as text (the JSON output has all of them). */
const MAX_TEXT_ROWS = 50;

export function table(headers: string[], rows: string[][], align: ('l' | 'r')[] = []): string {
  rows = rows.map((r) => r.map((c) => cellSafe(c ?? ''))); // a cell is one line, whatever a file put in it
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => ((align[i] ?? 'l') === 'r' ? (c ?? '').padStart(widths[i]) : (c ?? '').padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function kv(pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${clip(cellSafe(v), 1000)}`).join('\n');
}

export function formatAnalysis(result: AnalysisResult, maxLayers = 25): string {
  const m = result.model;
  const out: string[] = [];
  out.push(`${path.basename(m.file)} — ${m.format.toUpperCase()}, ${formatBytes(m.bytes)}`);
  out.push('');
  out.push(
    kv([
      ['Parameters', formatCount(m.params)],
      ['Weight bytes', `${formatBytes(m.weightBytes)} (${Object.entries(m.weightDtypes).map(([d, b]) => `${d} ${formatBytes(b)}`).join(', ') || 'none'})`],
      ['MACs', m.macs === null ? `unknown — ${m.macsUnknownReason ?? 'a shape is unknown'}` : m.macsLowerBoundReason ? `≥ ${formatCount(m.macs)} — a lower bound: ${m.macsLowerBoundReason}` : formatCount(m.macs)],
      ['Other FLOPs', m.flops === null ? 'unknown' : `${m.macsLowerBoundReason ? '≥ ' : ''}${formatCount(m.flops)}`],
      ['Peak activations', m.peakActivationBytes === null ? 'unknown' : `${formatBytes(m.peakActivationBytes)}${m.peakActivationAt ? ` (at ${m.peakActivationAt}, ${m.executionOrder === 'topological' ? 'topological order' : 'file order'})` : ''}`],
      ['Operators', `${m.operatorCount} nodes, ${Object.keys(m.opHistogram).length} op types`],
      ['Quantization', `${m.quantization.state}${m.quantization.notes.length ? ` — ${m.quantization.notes.join('; ')}` : ''}`],
      ['Dynamic shapes', m.dynamicShapes.hasDynamic ? `yes: ${Object.entries(m.dynamicShapes.bindings).map(([k, v]) => `${k}=${v}`).join(', ')}` : 'no'],
      ...(m.irVersion !== undefined ? [['IR version', String(m.irVersion)] as [string, string]] : []),
      ...(m.opset ? [['Opsets', Object.entries(m.opset).map(([d, v]) => `${d} ${v}`).join(', ')] as [string, string]] : []),
      ...m.compiledSegments.slice(0, 5).map((c) => ['Compiled segment', `${c.kind} (${c.op}), payload ${formatBytes(c.payloadBytes)}`] as [string, string]),
      ...(m.compiledSegments.length > 5 ? [['Compiled segment', `… ${m.compiledSegments.length - 5} more (all in --json)`] as [string, string]] : []),
    ]),
  );
  out.push('');
  const io = (list: typeof m.inputs, title: string): void => {
    out.push(`${title}${more(list.length)}`);
    out.push(table(['name', 'dtype', 'shape'], list.slice(0, MAX_TEXT_ROWS).map((i) => [clip(i.name) || '(unnamed)', clip(i.dtype), clip(formatShape(i.shape))])));
  };
  io(m.inputs, 'Inputs');
  out.push('');
  io(m.outputs, 'Outputs');
  out.push('');
  const ops = Object.entries(m.opHistogram).sort((a, b) => b[1] - a[1]);
  out.push(`Operator histogram${more(ops.length)}`);
  out.push(table(['op', 'count'], ops.slice(0, MAX_TEXT_ROWS).map(([op, n]) => [clip(op), String(n)]), ['l', 'r']));
  if (m.layers.length) {
    out.push('');
    const top = [...m.layers].sort((a, b) => (b.macs ?? 0) - (a.macs ?? 0) || (b.flops ?? 0) - (a.flops ?? 0)).slice(0, maxLayers);
    const nodes = nodeCount(m.layers);
    out.push(`Top ${top.length} of ${m.layers.length} ${nodes === m.layers.length ? 'layers' : `rows (summarising ${nodes} layers)`} by MACs`);
    out.push(
      table(
        ['layer', 'op', 'MACs', 'params', 'output', 'activation'],
        top.map((l) => [clip(l.name), clip(l.op), l.macs === null ? '?' : formatCount(l.macs), formatCount(l.params), clip(l.outputShapes.map(formatShape).join(' ')), l.activationBytes === null ? '?' : formatBytes(l.activationBytes)]),
        ['l', 'l', 'r', 'r', 'l', 'r'],
      ),
    );
  } else if (m.declaredLayers?.length) {
    out.push('');
    out.push(`Declared layers (${(m.declaredLayerCount ?? m.declaredLayers.length).toLocaleString('en-US')})`);
    out.push(table(['layer', 'type', 'params'], m.declaredLayers.slice(0, 60).map((l) => [clip(l.name), clip(l.op), l.params === null ? '?' : formatCount(l.params)]), ['l', 'l', 'r']));
  }
  if (result.warnings.length) out.push(warningList(result.warnings));
  return out.join('\n');
}

/** "yes", or what does not fit and by how much: RAM, or on an MCU the flash that holds the weights. */
function fitsText(m: DeviceEstimate['memory']): string {
  if (m.fits === null) return '?';
  if (m.fits) return 'yes';
  if (m.flash && m.flash.fits === false && m.flash.limitBytes !== null) return `NO (flash ${formatBytes(m.flash.neededBytes - m.flash.limitBytes)} over)`;
  return `NO (${formatBytes(-(m.marginBytes ?? 0))} over)`;
}

/** The `n` slowest layers of the graph the device runs, each with the file nodes it stands for (--layers N). */
function slowestLayersText(e: DeviceEstimate, n: number): string {
  const d = e.deployedGraph;
  if (!e.layers.length) return `${e.device}: no per-layer estimate${Number.isFinite(e.latencyMs.typical) ? '' : ' (latency is not estimated; see its assumptions)'}`;
  const top = slowestLayers(e.layers, n);
  const head = `Top ${top.length} of ${e.layers.length} layers on ${e.device} by time${d ? `, as ${d.toolchainName} runs them (from ${d.fileNodes} file nodes)` : ''}`;
  const rows = top.map((l) => [clip(l.name), clip(l.op), l.unit === 'cpu' ? 'CPU' : 'accelerator', formatMs(l.ms), l.share === null ? '?' : `${(l.share * 100).toFixed(1)}%`, clip(fromText(l.fromNodes), 200)]);
  return `${head}\n${table(['layer', 'op', 'runs on', 'ms', 'share', 'file nodes (fused or folded into it)'], rows, ['l', 'l', 'l', 'r', 'r', 'l'])}`;
}

/** " (the first 50 of N; all in --json)" when a list is longer than the text output shows. */
function more(n: number): string {
  return n > MAX_TEXT_ROWS ? ` (the first ${MAX_TEXT_ROWS} of ${n}; all in --json)` : '';
}

/** The Warnings block (empty when there are none); each warning one line of at most 1000 characters. */
function warningList(warnings: string[]): string {
  if (!warnings.length) return '';
  return `\nWarnings\n${warnings.map((w) => `  - ${clip(cellSafe(w), 1000)}`).join('\n')}`;
}

export function formatEstimates(analysis: AnalysisResult, estimates: DeviceEstimate[], opts: { layers?: number } = {}): string {
  const out: string[] = [];
  const m = analysis.model;
  out.push(`${path.basename(m.file)} — ${formatCount(m.params)} params, ${m.macs === null ? 'MACs unknown' : `${formatCount(m.macs)} MACs`}`);
  out.push('');
  out.push(
    table(
      ['device', 'precision', 'runtime', 'latency ms (low–typ–high)', 'bottleneck', 'memory', 'fits', 'energy mJ', 'compatibility'],
      estimates.map((e) => [
        e.device,
        e.precision,
        e.runtime,
        formatRange(e.latencyMs, formatMs),
        Number.isFinite(e.latencyMs.typical) ? e.bottleneck : '-',
        `${formatBytes(e.memory.totalBytes)} / ${e.memory.limitBytes === null ? '?' : formatBytes(e.memory.limitBytes)}`,
        fitsText(e.memory),
        e.energyMj ? formatRange(e.energyMj, (x) => x.toPrecision(3)) : '?',
        e.compatibility.verdict,
      ]),
      ['l', 'l', 'l', 'r', 'l', 'r', 'l', 'r', 'l'],
    ),
  );
  for (const e of estimates) {
    if (e.compatibility.fallback.length || e.compatibility.blockers.length) {
      out.push('');
      out.push(`${e.device}: ${e.compatibility.summary}`);
      for (const b of e.compatibility.blockers) out.push(`  ! ${b}`);
      for (const f of e.compatibility.fallback.slice(0, 12)) out.push(`  - ${f.op} x${f.count}: ${f.reason}`);
    }
  }
  if (opts.layers) {
    for (const e of estimates) {
      out.push('');
      out.push(slowestLayersText(e, opts.layers));
    }
  }
  // Assumptions per device; the ones every device shares are listed once.
  const shared = estimates.length > 1 ? estimates[0].assumptions.filter((a) => estimates.every((e) => e.assumptions.includes(a))) : [];
  if (shared.length) {
    out.push('');
    out.push('Assumptions (all devices)');
    out.push(shared.map((n) => `  - ${n}`).join('\n'));
  }
  for (const e of estimates) {
    const own = e.assumptions.filter((a) => !shared.includes(a));
    if (!own.length) continue;
    out.push('');
    out.push(`Assumptions for ${e.device}`);
    out.push(own.map((n) => `  - ${n}`).join('\n'));
  }
  if (analysis.warnings.length) out.push(warningList(analysis.warnings));
  return out.join('\n');
}

/**
 * The catalog with what each device's estimates are calibrated on: its published points and sources, its range, and
 * per runtime its own points on the device or a speed carried over from a device of its kind.
 */
export function formatDevices(devices: DeviceSpec[], calibration: CalibrationFile): string {
  const uncal = calibration.uncalibratedRange;
  const calibratedOn = (id: string): string => {
    const c = calibration.devices[id];
    if (!c) return `none (priors)${uncal ? `, x${uncal.low.toFixed(2)}–x${uncal.high.toFixed(2)}` : ''}`;
    const sources = c.sources?.length ?? 0;
    return `${c.trainingPoints} pt${c.trainingPoints === 1 ? '' : 's'} / ${sources} src, x${c.range.low.toFixed(2)}–x${c.range.high.toFixed(2)}`;
  };
  const runtime = (id: string, r: DeviceSpec['runtimes'][number]): string => {
    const c = calibration.devices[id];
    const points = c?.runtimeEvidence?.[r.id]?.points;
    const mark = points ? `(${points})` : c?.transferredRuntimeFactors?.[r.id] ? '~' : '';
    return `${r.id}${r.default ? '*' : ''}${mark}`;
  };
  return table(
    ['id', 'name', 'kind', 'calibrated on (range)', 'runtimes'],
    devices.map((d) => [d.id, d.name, d.kind, calibratedOn(d.id), d.runtimes.map((r) => runtime(d.id, r)).join(' ')]),
  ) + '\n\n' +
    'calibrated on: the published measurements the device\'s estimates are fitted on, their sources, and the device\'s range\n' +
    '  (docs/CALIBRATION.md; uncalibrated devices keep the priors and the widest range).\n' +
    'runtimes: * the default (estimate --runtime ID for another); (n) its own published points on the device, which give it a\n' +
    '  fitted speed and a range of its own; ~ no point here, its speed carried over from a device of its kind where it was\n' +
    '  measured; neither: estimated at the device average.\n' +
    'Every figure carries its public source: edgeplan devices --json';
}

export function formatRecommendation(doc: PlanDocument): string {
  const out: string[] = [];
  const rec = doc.recommendation;
  const m = doc.profile;
  out.push(`Plan: ${doc.plan.project.name} — ${path.basename(m.file)} (${m.format.toUpperCase()}, ${formatCount(m.params)} params)`);
  out.push('');
  out.push(formatEstimatesShort(doc.estimates));
  if (rec) {
    out.push('');
    out.push(`Target ${rec.device}: ${rec.verdict}`);
    rec.recommendations.forEach((r, i) => {
      out.push('');
      const verdict = latencyMetOnTypicalOnly(r, rec.budgets.latencyMs) ? 'meets every budget on typical figures (the latency budget lies inside the range: not decided)' : r.meetsAll ? 'meets every budget' : `misses: ${r.misses.join('; ')}`;
      out.push(`${i + 1}. ${r.steps.length ? r.steps.map((s) => s.technique).join(' → ') : 'no compression'}  [effort: ${r.effort}]  ${verdict}`);
      out.push(`   ${r.predicted.latencyMeasured ? `measured latency (your ${r.predicted.latencyMeasured.runs} run${r.predicted.latencyMeasured.runs === 1 ? '' : 's'})` : 'predicted latency'} ${withUnit(formatRange(r.predicted.latencyMs, formatMs), 'ms')}, memory ${formatBytes(r.predicted.memoryBytes)}, accuracy drop ${formatRange(r.predicted.accuracyDrop, (x) => x.toFixed(1))} points${r.predicted.energyMj ? `, energy ${withUnit(formatRange(r.predicted.energyMj, (x) => x.toPrecision(3)), 'mJ')}` : ''}`);
      for (const s of r.steps.filter((x) => x.measured)) {
        const m = s.measured!;
        out.push(`   measured ${s.technique} (${m.date}, ${m.evaluationSamples} ${m.dataSource === 'synthetic' ? 'synthetic samples' : 'samples of your data'}): ${m.accuracyDropPoints !== null ? `accuracy drop ${m.accuracyDropPoints.toFixed(2)} points (95 % interval ${m.accuracyDropCi95Points![0].toFixed(2)} to ${m.accuracyDropCi95Points![1].toFixed(2)})` : 'no labels, fidelity only'}${m.top1Agreement !== null ? `, top-1 agreement ${formatPercent(m.top1Agreement)}` : ''}, weights x${m.sizeFactor.toFixed(2)}`);
      }
      if (i === 0) {
        for (const s of r.steps) {
          out.push(`   - ${s.title}: ${s.why}`);
          out.push(`     source: ${s.source}`);
          for (const c of s.commands) {
            out.push(`     [${c.toolchain}]`);
            out.push(c.code.split('\n').map((l) => `       ${l}`).join('\n'));
          }
        }
      }
    });
    if (rec.alternatives.length) {
      out.push('');
      out.push('Other devices');
      out.push(
        table(
          ['device', 'pipeline', 'latency ms', 'memory', 'meets budgets'],
          rec.alternatives.map((a) => [a.device, a.pipeline.join(' → ') || 'none', formatRange(a.predicted.latencyMs, formatMs), formatBytes(a.predicted.memoryBytes), Object.values(a.meetsBudgets).every(Boolean) ? 'yes' : 'no']),
          ['l', 'l', 'r', 'r', 'l'],
        ),
      );
    }
    if (rec.operations.length) {
      out.push('');
      out.push('Operations');
      out.push(rec.operations.map((o) => `  - ${o}`).join('\n'));
    }
  }
  // The plan's risks (the documents' "Risks" table): what the estimate does not decide, extrapolations, fallbacks.
  const risks = doc.plan.risks.filter((r) => r.description.trim());
  if (risks.length) {
    out.push('');
    out.push('Risks');
    out.push(risks.map((r) => `  - [likelihood ${r.likelihood}, impact ${r.impact}] ${r.description}${r.mitigation.trim() ? `\n    Mitigation: ${r.mitigation}` : ''}`).join('\n'));
  }
  if (doc.warnings.length) out.push(warningList(doc.warnings));
  return out.join('\n');
}

function formatEstimatesShort(estimates: DeviceEstimate[]): string {
  return table(
    ['device', 'precision', 'runtime', 'latency ms (low–typ–high)', 'memory', 'fits', 'compatibility'],
    estimates.map((e) => [
      e.device,
      e.precision,
      e.runtime,
      formatRange(e.latencyMs, formatMs),
      formatBytes(e.memory.totalBytes),
      e.memory.fits === null ? '?' : e.memory.fits ? 'yes' : 'no',
      e.compatibility.verdict,
    ]),
    ['l', 'l', 'l', 'r', 'r', 'l', 'l'],
  );
}

export function formatBenchmark(r: BenchmarkResult): string {
  const out: string[] = [];
  out.push(`${path.basename(r.file)} on this machine — onnxruntime-node ${r.runtimeVersion}, ${r.executionProvider}, ${r.threads ? `${r.threads} threads` : 'default thread count'}`);
  out.push(
    table(
      ['batch', 'runs', 'mean ms', 'p50 ms', 'p95 ms', 'p99 ms', 'min ms', 'max ms'],
      r.results.map((b) => [String(b.batch), String(b.runs), formatMs(b.meanMs), formatMs(b.p50Ms), formatMs(b.p95Ms), formatMs(b.p99Ms), formatMs(b.minMs), formatMs(b.maxMs)]),
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  if (r.warnings.length) out.push(r.warnings.map((w) => `  - ${w}`).join('\n'));
  return out.join('\n');
}

