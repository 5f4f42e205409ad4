/**
 * Reproducible calibration of the estimator against published latencies.
 *
 *   node dist/scripts/calibration/calibrate.js [--csv ../shared/calibration/latency.csv] [--devices id,id]
 *                                  [--out-json src/planner/catalog/calibration.json] [--out-md docs/CALIBRATION.md]
 *                                  [--energy-csv ../shared/calibration/energy.csv]
 *
 * 1. Maps each row of latency.csv to a catalog device, a reference network (test/support/modelgen/reference-archs.ts)
 *    or an LLM decode, a precision and a runtime; rows that cannot be mapped honestly are listed with the reason.
 * 2. Builds every needed network as a real ONNX file and analyzes it with analyzeFile (the same path users take).
 * 3. Takes each point's split from the frozen split file (scripts/calibration/heldout-split.json, written by
 *    scripts/calibration/freeze-split.ts before the change it judges; the rule is blind to outcomes). Rows added after the last
 *    freeze are listed as excluded, not judged.
 * 4. Fits per device (or per shared-silicon group, SHARED_SILICON), on the training points only: a compute-efficiency
 *    scale, a per-op overhead scale (with >= 4 points, bounded to OVERHEAD_SCALE_BOUNDS of the prior per-op cost),
 *    a fixed per-inference pipeline time per end-to-end source (PIPELINE_SOURCES, >= 3 points; added only when
 *    reproducing that source's points, never to user estimates), the memory-bandwidth scale (LLM decode points; Edge TPU
 *    parameter streaming), shrunk runtime / precision factors (>= 2 points) and the range (rangeBand: the 85th
 *    percentile of |leave-one-out residual|, the device's own residuals mixed with every device's pooled; a device
 *    resting on one publication never narrower than the pool's band). Unit types are fitted one after another, types
 *    with a hosted device (a USB accelerator) last, so a hosted device's CPU layers use its host's fit from this run:
 *    nothing depends on the calibration.json the run overwrites.
 *    A fitted factor that lands on a grid bound or clamp is printed as a WARNING and listed in the report.
 * 5. Reports median / 90th percentile |ln(estimate / measured)|, share within 1.5x, and range coverage on the
 *    held-out points; writes the factors (calibration.json, read by the estimator) and docs/CALIBRATION.md.
 * 6. Maps energy.csv (measured MCU energy per inference and board power, a USB accelerator's own supply power) to
 *    catalog devices and reference networks the same way and lists the points with the report; nothing is fitted to them.
 * Modules: load-points.ts (rows to points), group-fit.ts (the per-device fit), cross-validation.ts (by point, by
 * source, single-source simulation), unmeasured-runtimes.ts (runtime factor transfer and its check), fit.ts (mapping,
 * range rules, summaries), report.ts (docs/CALIBRATION.md); this file runs them in order and writes the outputs.
 * Deterministic: no randomness, grid search in a fixed order, numbers rounded to 4 significant digits; a second run
 * reproduces the first.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import type { ModelProfile } from '../../src/analyzers/profile-types';
import { writeReferenceModel } from '../../test/support/modelgen/reference-archs';
import { cpuThreadsFor, estimateDeviceWith, outsideTrainingSpan } from '../../src/planner/estimate';
import { publicationOf, SPLIT_RULE } from './split';
import { loadPoints } from './load-points';
import { loadCatalog, type DeviceCalibration, type TrainingSpan } from '../../src/planner/catalog';
import { splitPoints, summarize, round4, calibrationGroups, rangeBand, runtimeBands, type TaggedResidual, type RuntimeBand, singleSourceSimulation, type SingleSourceSim, uncalibratedHalf, rangeRuleCheck, UNCALIBRATED_RUNTIME_MIN_POINTS, rms, RANGE_COVERAGE, PRIOR_WEIGHT, trainingSpanOf, transferRuntimeFactor, type RuntimeFit, type TransferredRuntimeFactor, type CalPoint, type PointResult, type ErrorSummary, type CalibrationEntry } from './fit';
import { CLASS_GRID, CLASS_MIN_POINTS, CLASS_PENALTY, fitDeviceGroup, type ClassScales, type GroupFit } from './group-fit';
import { TRANSFER_RUNTIME_FACTORS, transferUnmeasuredResiduals, unmeasuredRuntimeCheck, type UnmeasuredRefit } from './unmeasured-runtimes';
import { markdown, type CalibrationDoc } from './report';
import { crossValidate, pubOf } from './cross-validation';
import { sizeScalingPairs, type ScalingPoint } from './size-scaling';
/** How many of the largest by-source errors the report lists. */
const BY_SOURCE_LARGEST = 15;

const repo = path.resolve(__dirname, '..', '..', '..');
const USAGE = 'usage: node dist/scripts/calibration/calibrate.js [--csv FILE] [--devices id,id] [--out-json FILE] [--out-md FILE|-] [--split FILE] [--energy-csv FILE] [--energy-split FILE] [--held-out read|omit]';
const OPTIONS = ['csv', 'devices', 'out-json', 'out-md', 'split', 'energy-csv', 'energy-split', 'held-out'] as const;
/** The command line as --name value pairs; anything else (an unknown flag, a missing value, --help) stops before any work. */
function parseOptions(argv: string[]): Partial<Record<(typeof OPTIONS)[number], string>> {
  const stop = (msg: string, code: number): never => {
    process.stderr.write(`${msg ? `calibrate: ${msg}\n` : ''}${USAGE}\n`);
    process.exit(code);
  };
  const out: Partial<Record<(typeof OPTIONS)[number], string>> = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--help' || argv[i] === '-h') stop('', 0);
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    if (!(OPTIONS as readonly string[]).includes(name)) stop(`unknown argument "${argv[i]}"`, 2);
    if (argv[i + 1] === undefined || argv[i + 1].startsWith('--')) stop(`${argv[i]} needs a value`, 2);
    out[name as (typeof OPTIONS)[number]] = argv[i + 1];
  }
  return out;
}
const options = parseOptions(process.argv.slice(2));
const arg = (name: (typeof OPTIONS)[number], def: string): string => options[name] ?? def;
const csvPath = path.resolve(arg('csv', path.join(repo, '..', 'shared', 'calibration', 'latency.csv')));
const outJson = path.resolve(arg('out-json', path.join(repo, 'src', 'planner', 'catalog', 'calibration.json')));
const outMd = arg('out-md', path.join(repo, 'docs', 'CALIBRATION.md'));
const splitPath = path.resolve(arg('split', path.join(repo, 'scripts', 'calibration', 'heldout-split.json')));
const onlyDevices = arg('devices', '').split(',').filter(Boolean);
const energyCsvPath = path.resolve(arg('energy-csv', path.join(path.dirname(csvPath), 'energy.csv')));
const energySplitPath = path.resolve(arg('energy-split', path.join(repo, 'scripts', 'calibration', 'energy-split.json')));
/**
 * --held-out omit: a candidate run (docs/calibration-candidates/) leaves the held-out points out before anything is
 * estimated, so its outputs show the training split's cross-validation and no held-out figure. The fit never uses
 * held-out points either way; this keeps them unread until a change is adopted.
 */
const heldOutMode = arg('held-out', 'read');
if (heldOutMode !== 'read' && heldOutMode !== 'omit') {
  process.stderr.write(`calibrate: --held-out must be read or omit, got "${heldOutMode}"\n${USAGE}\n`);
  process.exit(2);
}

function llmProfile(p: CalPoint): ModelProfile {
  const bytes = p.llm!.weightBytes;
  const wp = p.precision === 'int4' ? 'int4' : 'int8';
  return {
    file: `${p.label}.gguf`, format: 'gguf', bytes, params: bytes / (wp === 'int4' ? 0.5 : 1), weightBytes: bytes, macs: null, flops: null, peakActivationBytes: null,
    operatorCount: 0, opHistogram: {}, inputs: [], outputs: [], weightDtypes: {},
    quantization: { state: 'block-quantized', weightPrecisions: { [wp]: bytes }, quantizedOps: 0, perChannel: false, notes: [] },
    dynamicShapes: { symbols: [], bindings: {}, hasDynamic: false }, layers: [], subgraphCosts: [], compiledSegments: [], hasComputeGraph: false,
    // The one LLM test (estimate/llm.ts) reads a tensor-less GGUF's transformer metadata; the decode estimate itself
    // uses only the weight bytes, so the block and head counts are nominal (a Llama-style decoder).
    metadata: { 'general.architecture': 'llama', 'llama.block_count': 32, 'llama.attention.head_count': 32 },
  };
}

async function main(): Promise<void> {
  const catalog = loadCatalog();
  const notInCatalog = onlyDevices.filter((id) => !catalog.byId(id));
  if (notInCatalog.length) {
    process.stderr.write(`calibrate: --devices: ${notInCatalog.join(', ')} not in the catalog\n${USAGE}\n`);
    process.exit(2);
  }
  const runtimesOf = (id: string) => catalog.byId(id)?.runtimes.map((x) => x.id) ?? [];
  const loaded = loadPoints({ csvPath, splitPath, energyCsvPath, energySplitPath }, runtimesOf);
  let points = loaded.points;
  const excluded = loaded.excluded;
  const energy = { ...loaded.energy, source: path.relative(repo, energyCsvPath) };
  if (onlyDevices.length) points = points.filter((p) => onlyDevices.includes(p.device));
  if (heldOutMode === 'omit') {
    points = points.filter((p) => p.split !== 'held-out');
    energy.points = energy.points.filter((p) => p.split !== 'held-out');
  }

  // Build and analyze each reference network once.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeplan-calibrate-'));
  const profiles = new Map<string, ModelProfile>();
  const archFacts: Record<string, { macs: number | null; params: number; layers: number }> = {};
  try {
    for (const key of [...new Set(points.map((p) => p.arch).filter((a): a is string => !!a))].sort()) {
      const file = path.join(work, `${key}.onnx`);
      writeReferenceModel(key, file);
      const { model } = await analyzeFile(file);
      fs.unlinkSync(file);
      profiles.set(key, model);
      archFacts[key] = { macs: model.macs, params: model.params, layers: model.layers.length };
      process.stderr.write(`built ${key}: ${(model.macs ?? 0) / 1e6} M MACs, ${model.params} params\n`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const profileOf = (p: CalPoint) => (p.arch ? profiles.get(p.arch)! : llmProfile(p));
  // Whether a point's network lies outside the sizes its device's training points ran (what an estimate says).
  const sideOf = (p: CalPoint, span: TrainingSpan | undefined): 'above' | 'below' | 'none' | null =>
    outsideTrainingSpan(span, p.device, { basis: p.llm ? 'per-token' : 'per-inference' }, p.arch ? archFacts[p.arch]?.macs ?? null : null, p.llm?.weightBytes ?? 0)?.side ?? null;
  const spanFlag = (p: CalPoint, cal: CalibrationEntry): { outsideSpan?: 'above' | 'below' | 'none' } => {
    const side = sideOf(p, cal.trainingSpan);
    return side ? { outsideSpan: side } : {};
  };
  // A point left out of a fit on `rest`: outside the span of those points (extrapolated; the range rule check reports these).
  const outsideOf = (p: CalPoint, rest: CalPoint[]): boolean => sideOf(p, trainingSpanOf(rest, archFacts)) !== null;
  // A device hosted by another (a USB accelerator on a board) runs its CPU layers with the host's factors: those of
  // this run's fit of the host (hosts are fitted first, below), so the output never depends on the committed
  // calibration.json. A host outside this run (--devices) falls back to the committed file, with a warning.
  const sameRun = new Map<string, CalibrationEntry>();
  const hostWarned = new Set<string>();
  const hostCalibrationOf = (id: string): CalibrationEntry | undefined => {
    const host = catalog.byId(id)?.host?.deviceId;
    if (!host) return undefined;
    const fitted = sameRun.get(host);
    if (!fitted && !hostWarned.has(id)) {
      hostWarned.add(id);
      warnings.push(`${id}: its host ${host} is not fitted in this run, so its CPU layers use the committed calibration.json's ${host} factors`);
    }
    return fitted;
  };
  // Pure inference as the estimator gives it to users.
  const inference = (p: CalPoint, cal: DeviceCalibration | null) => {
    const threads = cpuThreadsFor(p.device, p.cpuThreads);
    const latency = estimateDeviceWith(profileOf(p), p.device, p.llm ? { runtime: p.runtime, ...threads } : { precision: p.precision, runtime: p.runtime, ...threads }, cal, hostCalibrationOf(p.device)).latencyMs;
    // A point the estimator gives no latency would make every loss NaN and the grid search keep its start silently.
    if (!latency || !Number.isFinite(latency.typical)) throw new Error(`${p.label} on ${p.device}: the estimator gives no latency`);
    return latency;
  };
  // The grid search's estimate of a point: pure inference under (op-class scales, compute, overhead, memory scale)
  // with no runtime or precision factor. It does not depend on which other points are in the fit, so the full fit,
  // every leave-one-out / leave-one-source-out refit and every op-class candidate share one memo per point: each
  // refit costs arithmetic, not estimator calls, and gives exactly the numbers a fresh call would.
  // Only the current op-class scales are kept: each op-class candidate is fitted once per device, so its grid is never
  // asked for again, and keeping them all would hold millions of numbers.
  const gridMemo = new Map<CalPoint, { classKey: string; typical: Map<string, number> }>();
  const gridTypical = (p: CalPoint, cal0: CalibrationEntry): number => {
    const classKey = `${cal0.classScales?.depthwise} ${cal0.classScales?.vector}`;
    let memo = gridMemo.get(p);
    if (!memo || memo.classKey !== classKey) gridMemo.set(p, (memo = { classKey, typical: new Map() }));
    const k = `${cal0.computeScale} ${cal0.overheadScale} ${cal0.memoryScale}`;
    let v = memo.typical.get(k);
    if (v === undefined) memo.typical.set(k, (v = inference(p, cal0).typical));
    return v;
  };
  // What the point's source measures: inference plus, for an end-to-end pipeline source, its fitted fixed time.
  const estimate = (p: CalPoint, cal: CalibrationEntry | null) => {
    const e = inference(p, cal);
    const extra = (p.pipeline && cal?.pipelineOverheadMs?.[p.pipeline]?.ms) || 0;
    if (!extra) return e;
    const k = (e.typical + extra) / e.typical;
    return { low: e.low * k, typical: e.typical + extra, high: e.high * k };
  };

  const { train, heldOut } = splitPoints(points);
  const devices = [...new Set(points.map((p) => p.device))].sort();
  const calibrations: Record<string, CalibrationEntry> = {};
  const warnings: string[] = [];
  const results: PointResult[] = [];
  const fitLog: Record<string, unknown> = {};
  const groupFits: { group: string[]; tr: CalPoint[]; ho: CalPoint[]; fitted: GroupFit; residuals: TaggedResidual[]; basis: 'by point' | 'in-sample'; byPoint: TaggedResidual[]; bySource: TaggedResidual[]; bySourcePoints: CalPoint[]; pubs: string[]; singleSource: SingleSourceSim[]; unmeasured: UnmeasuredRefit[] }[] = [];

  // Op-class scales of the unit type being fitted (multipliers on the prior depthwise / vector efficiencies).
  let classScales: ClassScales | undefined;
  const fitterFor = (group: string[]) => {
    const id = group[0];
    const inGroup = (p: CalPoint) => group.includes(p.device);
    const tr = train.filter(inGroup);
    const ho = heldOut.filter(inGroup);
    const fit = (tr: CalPoint[]): GroupFit => fitDeviceGroup(id, tr, ho.length, classScales, { estimate, gridTypical });
    return { tr, ho, fit };
  };

  // Op classes behave differently per unit type (depthwise convolutions, elementwise / pooling / data movement
  // against dense convolutions and matmuls): one pair of multipliers on the prior class efficiencies per unit type,
  // searched over CLASS_GRID on the training loss of every device of that type together (pooled, so a device with
  // few points borrows from the others), with a penalty that shrinks them toward the priors.
  const groups = calibrationGroups(devices);
  const unitTypeOf = (id: string): string => { const d = catalog.byId(id)!; return (d.accelerator ?? d.cpu)!.type; };
  const chosenScales = new Map<string, ClassScales>();
  // The multipliers each by-source fold fits with: searched without that publication's points, so the fold that
  // predicts a publication never saw it (docs/calibration-candidates/2026-12-05-class-scales-per-source-fold.md); a
  // by-point fold uses its point's publication's (docs/calibration-candidates/2026-12-05-class-scales-per-point-fold.md).
  const foldScales = new Map<string, Map<string, ClassScales>>();
  const searchClassScales = (type: string): void => {
    const of = groups.filter((g) => unitTypeOf(g[0]) === type).map(fitterFor);
    const pointsWithout = (pub: string | null) => of.reduce((n, f) => n + f.tr.filter((p) => !p.llm && pubOf(p) !== pub).length, 0);
    if (pointsWithout(null) < CLASS_MIN_POINTS) return;
    // One search on all the type's training points (null) and one per publication left out, in one pass: each
    // candidate's estimates are computed once (gridTypical keeps one candidate's), its fits for every search are arithmetic.
    const pubs = [...new Set(of.flatMap((f) => f.tr.map(pubOf)))].sort();
    const searches: (string | null)[] = [null, ...pubs.filter((pub) => pointsWithout(pub) >= CLASS_MIN_POINTS)];
    const best = new Map(searches.map((s) => [s, { scales: { depthwise: 1, vector: 1 } as ClassScales, loss: Infinity }]));
    const consider = (s: string | null, scales: ClassScales): void => {
      const loss = of.reduce((a, f) => {
        const tr = s === null ? f.tr : f.tr.filter((p) => pubOf(p) !== s);
        return tr.length ? a + f.fit(tr).loss : a;
      }, 0) + CLASS_PENALTY * (Math.log(scales.depthwise) ** 2 + Math.log(scales.vector) ** 2);
      if (loss < best.get(s)!.loss - 1e-12) best.set(s, { scales: { ...scales }, loss });
    };
    // Coordinate search: the vector scale at the prior depthwise efficiency, then the depthwise scale at that vector
    // scale (searches that found the same vector scale share the second sweep's candidates).
    for (const v of CLASS_GRID) {
      classScales = { depthwise: 1, vector: v };
      for (const s of searches) consider(s, classScales);
    }
    for (const vector of [...new Set(searches.map((s) => best.get(s)!.scales.vector))]) {
      const mine = searches.filter((s) => best.get(s)!.scales.vector === vector);
      for (const d of CLASS_GRID) {
        classScales = { depthwise: d, vector };
        for (const s of mine) consider(s, classScales);
      }
    }
    const full = best.get(null)!.scales;
    chosenScales.set(type, full);
    // A fold left with too few of the type's points keeps the priors, as a type with too few points does.
    const folds = new Map(pubs.map((pub) => [pub, best.get(pub)?.scales ?? { depthwise: 1, vector: 1 }]));
    foldScales.set(type, folds);
    const differ = [...folds].filter(([, f]) => f.depthwise !== full.depthwise || f.vector !== full.vector);
    process.stderr.write(`op-class scales for ${type}: depthwise x${full.depthwise}, vector x${full.vector}` +
      (differ.length ? `; without ${differ.map(([pub, f]) => `${pub} x${f.depthwise} / x${f.vector}`).join(', ')}` : '; every by-source fold the same') + '\n');
    for (const k of ['depthwise', 'vector'] as const) if (full[k] === CLASS_GRID[0] || full[k] === CLASS_GRID[CLASS_GRID.length - 1]) warnings.push(`${type}: ${k} class scale ${full[k]} at the ${full[k] === CLASS_GRID[0] ? 'bottom' : 'top'} of its grid (${CLASS_GRID[0]} .. ${CLASS_GRID[CLASS_GRID.length - 1]})`);
  };

  const fitGroup = (group: string[]): void => {
    const { tr, ho, fit } = fitterFor(group);
    classScales = chosenScales.get(unitTypeOf(group[0]));
    const fitted = fit(tr);
    for (const b of fitted.bounds) warnings.push(`${group.join('+')}: ${b}`);
    const type = unitTypeOf(group[0]);
    // A by-source fold, and a by-point fold of one of its points, fits with the multipliers searched without the publication.
    const fitWithout = (pub: string, rest: CalPoint[]): GroupFit => {
      const saved = classScales;
      classScales = foldScales.get(type)?.get(pub) ?? saved;
      try {
        return fit(rest);
      } finally {
        classScales = saved;
      }
    };
    const { pubs, byPoint, bySource, bySourcePoints, singleSource, unmeasured } = crossValidate(tr, fit, estimate, outsideOf, fitWithout);
    const tagged = (p: CalPoint, r: number): TaggedResidual => ({ r, runtime: p.runtime, publication: pubOf(p) });
    // The range uses the by-point residuals (a new model on a setup the fit has seen: a calibrated runtime);
    // the by-source figures are reported next to them, for a setup it has not seen.
    const basis: 'by point' | 'in-sample' = byPoint.length ? 'by point' : 'in-sample';
    const residuals = byPoint.length ? byPoint : tr.map((p) => tagged(p, Math.log(p.measuredMs / estimate(p, fitted.cal).typical)));
    groupFits.push({ group, tr, ho, fitted, residuals, basis, byPoint, bySource, bySourcePoints, pubs, singleSource, unmeasured });
    for (const id of group) sameRun.set(id, fitted.cal);
  };

  // Per unit type: its op-class scales, then its devices' fits. Types with a hosted device (a USB accelerator) come
  // last, so their hosts' fits from this run exist when the hosted devices' CPU layers are estimated.
  const hostedType = (type: string) => groups.some((g) => unitTypeOf(g[0]) === type && g.some((id) => !!catalog.byId(id)?.host));
  const types = [...new Set(groups.map((g) => unitTypeOf(g[0])))].sort((a, b) => Number(hostedType(a)) - Number(hostedType(b)) || a.localeCompare(b));
  for (const type of types) {
    searchClassScales(type);
    for (const group of groups.filter((g) => unitTypeOf(g[0]) === type)) fitGroup(group);
  }
  groupFits.sort((a, b) => a.group[0].localeCompare(b.group[0]));

  // Runtimes without training points on a device (docs/calibration-candidates/2026-12-05-unmeasured-runtime.md).
  // A: their factor transferred from devices of the same unit type where they were measured next to a runtime this
  // device also has; applied in every cross-validation refit that lost a runtime's last point on the device, so the
  // residuals below are what such an estimate would have met.
  const runtimeFitsOf = (cal: CalibrationEntry, pts: CalPoint[]): Record<string, RuntimeFit> => {
    const out: Record<string, RuntimeFit> = {};
    for (const rt of [...new Set(pts.filter((p) => !p.llm).map((p) => p.runtime))].sort()) {
      const mine = pts.filter((p) => !p.llm && p.runtime === rt);
      out[rt] = { factor: cal.runtimeFactors[rt] ?? 1, points: mine.length, sources: [...new Set(mine.map(pubOf))].sort() };
    }
    return out;
  };
  const groupKey = (g: (typeof groupFits)[number]) => g.group.join('+');
  const finalRuntimeFits = new Map(groupFits.map((g) => [groupKey(g), runtimeFitsOf(g.fitted.cal, g.tr)]));
  const transferFor = (g: (typeof groupFits)[number], runtime: string, target: Record<string, RuntimeFit>, excludePublication?: string): TransferredRuntimeFactor | null =>
    transferRuntimeFactor(runtime, target, groupFits.filter((o) => o !== g && unitTypeOf(o.group[0]) === unitTypeOf(g.group[0])).map((o) => ({ device: groupKey(o), runtimes: finalRuntimeFits.get(groupKey(o))! })), excludePublication);
  const unmeasuredResiduals = transferUnmeasuredResiduals(
    groupFits,
    (g, refit) => transferFor(g, refit.point.runtime, runtimeFitsOf(refit.cal, refit.rest), refit.publication),
    (refit, factor) => Math.log(refit.point.measuredMs / estimate(refit.point, { ...refit.cal, runtimeFactors: { ...refit.cal.runtimeFactors, [refit.point.runtime]: factor } }).typical),
  );

  // The range rule needs every device's cross-validated residuals: pooled over all of them, each device's own mixed
  // with the pool, floored for a single-publication device (rangeBand); uncalibrated priors get the widest
  // (uncalibratedHalf). A device fitted on one point has no cross-validated residual (its fit reproduces that point):
  // its range comes from the pool alone.
  const ownResiduals = (g: (typeof groupFits)[number]): TaggedResidual[] => (g.basis === 'in-sample' ? [] : g.residuals);
  const values = (rs: TaggedResidual[]): number[] => rs.map((x) => x.r);
  const pooledResiduals = groupFits.flatMap((g) => values(ownResiduals(g)));
  const pooled = rms(pooledResiduals);
  const bands = new Map(groupFits.map((g) => [g.group.join('+'), rangeBand(values(ownResiduals(g)), pooledResiduals, g.pubs.length)]));
  // Rule v6: a runtime with enough residuals on a device gets its own range; the others use the device's.
  const runtimeRangesOf = new Map(groupFits.map((g) => [g.group.join('+'), runtimeBands(ownResiduals(g), pooledResiduals)]));
  const halfFor = (g: (typeof groupFits)[number], runtime: string): number => runtimeRangesOf.get(g.group.join('+'))![runtime]?.half ?? bands.get(g.group.join('+'))!.half;
  // B (registered with A, not adopted: its leave-one-out coverage, 84.6 %, missed the registered 85 %), reported.
  const unmeasuredCheck = unmeasuredRuntimeCheck(unmeasuredResiduals, (g) => bands.get(groupKey(g))!.half);
  const noPoints = uncalibratedHalf([...bands.values()].map((b) => b.half).concat([...runtimeRangesOf.values()].flatMap((rr) => Object.values(rr).filter((b) => b.points >= UNCALIBRATED_RUNTIME_MIN_POINTS).map((b) => b.half))), pooledResiduals);
  const checkedGroups = groupFits.filter((g) => ownResiduals(g).length);
  const rangeCheck = rangeRuleCheck(checkedGroups.map((g) => ({ residuals: ownResiduals(g), sources: g.pubs.length })));
  process.stderr.write(`range rule check overall: ${rangeCheck.points} points, ${(100 * rangeCheck.coverage).toFixed(1)} % inside, median width x${rangeCheck.medianWidth.toFixed(2)}; runtimes with 1-4 other points: ${rangeCheck.fewPointRuntimes.points} points, ${(100 * rangeCheck.fewPointRuntimes.coverage).toFixed(1)} % inside, median width x${rangeCheck.fewPointRuntimes.medianWidth.toFixed(2)}\n`);
  process.stderr.write(`range rule check on extrapolated points (outside the span of their device's other points): ${rangeCheck.outsideSpan.points} points, ${(100 * rangeCheck.outsideSpan.coverage).toFixed(1)} % inside, median width x${rangeCheck.outsideSpan.medianWidth.toFixed(2)}\n`);
  checkedGroups.forEach((g, i) => process.stderr.write(`range rule check ${g.group.join('+')}: ${rangeCheck.byGroup[i].points} points, ${(100 * rangeCheck.byGroup[i].coverage).toFixed(1)} % inside, median width x${rangeCheck.byGroup[i].medianWidth.toFixed(2)}\n`));
  const singleSourceCheck = singleSourceSimulation(groupFits.map((g) => ({ sims: g.singleSource, own: values(ownResiduals(g)) })));
  const uncalibratedRange = { low: round4(Math.exp(-noPoints)), high: round4(Math.exp(noPoints)) };
  const crossValidation: Record<string, { byPoint: ErrorSummary; bySource: ErrorSummary; sources: number }> = {};
  // Cross-validation residuals r = ln(measured / estimate) as results, inside the range of their runtime on the device
  // when |r| <= its half-width.
  const asResults = (rs: TaggedResidual[], g: (typeof groupFits)[number], dev: string): PointResult[] => rs.map(({ r, runtime }) => {
    const half = halfFor(g, runtime);
    return { key: '', device: dev, label: '', split: 'train', runtime, precision: 'fp32', measuredMs: 1, estimateMs: { low: round4(Math.exp(-r - half)), typical: round4(Math.exp(-r)), high: round4(Math.exp(-r + half)) }, absLogError: round4(Math.abs(r)), inRange: Math.abs(r) <= half };
  });
  // Over every training point once (a shared-silicon group counts once).
  const cvOf = (pick: (g: (typeof groupFits)[number]) => TaggedResidual[]) => summarize(groupFits.flatMap((g) => asResults(pick(g), g, g.group[0])));
  const crossValidationAll = { byPoint: cvOf((g) => g.byPoint), bySource: cvOf((g) => g.bySource) };
  // The largest by-source errors (a whole publication left out): which publications and points the fit fails to
  // predict, the case a user meets on a new publication's setup. A report, not a rule.
  const bySourceLargest = groupFits
    .flatMap((g) => g.bySource.map((x, i) => ({ g, x, p: g.bySourcePoints[i] })))
    .sort((a, b) => Math.abs(b.x.r) - Math.abs(a.x.r) || a.p.key.localeCompare(b.p.key))
    .slice(0, BY_SOURCE_LARGEST)
    .map(({ g, x, p }) => ({
      device: groupKey(g),
      label: p.label,
      publication: x.publication,
      runtime: p.runtime,
      measuredMs: p.measuredMs,
      estimateMs: round4(p.measuredMs / Math.exp(x.r)),
      measuredOverEstimate: round4(Math.exp(x.r)),
      inRange: Math.abs(x.r) <= halfFor(g, x.runtime),
    }));

  for (const g of groupFits) {
    const { group, tr, ho, fitted, residuals, basis, byPoint, bySource, pubs } = g;
    const shared = fitted.cal;
    const band = bands.get(group.join('+'))!;
    const half = band.half;
    shared.range = { low: round4(Math.exp(-half)), high: round4(Math.exp(half)) };
    // Runtimes the device lists without a training point: their factor transferred from devices of the unit type (A).
    if (TRANSFER_RUNTIME_FACTORS) {
      const listed = [...new Set(group.flatMap((id) => catalog.byId(id)!.runtimes.map((r) => r.id)))].sort();
      const transferred = listed.filter((rt) => !tr.some((p) => p.runtime === rt)).flatMap((rt) => {
        const t = transferFor(g, rt, finalRuntimeFits.get(groupKey(g))!);
        return t ? [[rt, t] as const] : [];
      });
      if (transferred.length) shared.transferredRuntimeFactors = Object.fromEntries(transferred);
    }
    const ownRanges = Object.entries(runtimeRangesOf.get(group.join('+'))!);
    if (ownRanges.length) {
      shared.runtimeRanges = Object.fromEntries(ownRanges.map(([runtime, b]: [string, RuntimeBand]) => [runtime, {
        low: round4(Math.exp(-b.half)),
        high: round4(Math.exp(b.half)),
        points: b.points,
        sources: b.sources,
        // Its points with their whole publication left out, against this range (what the device's by-source figure
        // says for all of its runtimes together).
        bySource: (({ points, medianAbsLogError, coverage }) => ({ points, medianAbsLogError, coverage }))(summarize(asResults(bySource.filter((x) => x.runtime === runtime), g, group[0]))),
        basis: `${Math.round(RANGE_COVERAGE * 100)}th percentile of |error| over the ${b.points} residual${b.points === 1 ? "" : "s"} of its ${runtime} point${b.points === 1 ? "" : "s"} cross-validated by point (${b.sources} publication${b.sources === 1 ? '' : 's'}), mixed with every device's (weight ${PRIOR_WEIGHT} points)${b.sources < 2 ? '; from a single publication, so never narrower than the pooled band' : ''}; the device's runtimes without a published point get x${round4(Math.exp(-half))} .. x${round4(Math.exp(half))}`,
      }]));
    }
    shared.sources = pubs;
    // What each runtime factor rests on (the recommender states it next to a runtime change).
    shared.runtimeEvidence = Object.fromEntries([...new Set(tr.map((p) => p.runtime))].sort().map((rt) => {
      const mine = tr.filter((p) => p.runtime === rt);
      return [rt, { points: mine.length, sources: [...new Set(mine.map(pubOf))].sort() }];
    }));
    shared.trainingSpan = trainingSpanOf(tr, archFacts);
    shared.rangeBasis = basis === 'in-sample'
      ? `${Math.round(RANGE_COVERAGE * 100)}th percentile of the |error| pooled over every calibrated device (${residuals.length} training point: nothing of its own to cross-validate)`
      : `${Math.round(RANGE_COVERAGE * 100)}th percentile of |error| over its ${residuals.length} residual(s) cross-validated ${basis}, mixed with every device's (weight ${PRIOR_WEIGHT} points)` +
        (pubs.length < 2 ? '; from a single publication, so never narrower than the pooled band' : '');
    for (const dev of group) {
      const cal: CalibrationEntry = JSON.parse(JSON.stringify(shared));
      const devHo = ho.filter((p) => p.device === dev);
      cal.heldOutPoints = devHo.length;
      for (const [split, ps] of [['train', tr.filter((p) => p.device === dev)], ['held-out', devHo]] as const) {
        for (const p of ps) {
          const raw = estimate(p, cal);
          const e = { low: round4(raw.low), typical: round4(raw.typical), high: round4(raw.high) };
          results.push({
            key: p.key, device: dev, label: p.label, split, runtime: p.runtime, precision: p.precision, measuredMs: p.measuredMs,
            estimateMs: e,
            absLogError: round4(Math.abs(Math.log(e.typical / p.measuredMs))),
            inRange: p.measuredMs >= e.low && p.measuredMs <= e.high,
            ...spanFlag(p, cal),
          });
        }
      }
      // Input-size scaling (a report): a network one publication measured at two sizes here, against the final fit.
      const scaling = sizeScalingPairs([...tr.filter((p) => p.device === dev), ...devHo].flatMap((p): ScalingPoint[] => {
        const r = results.find((x) => x.key === p.key && x.device === dev);
        return p.arch && !p.llm && r ? [{ arch: p.arch, publication: pubOf(p), runtime: p.runtime, precision: p.precision, split: r.split, measuredMs: p.measuredMs, estimateMs: r.estimateMs.typical }] : [];
      }));
      if (scaling.length) cal.sizeScaling = scaling;
      const hoSummary = summarize(results.filter((r) => r.device === dev && r.split === 'held-out'));
      cal.heldOutMedianAbsLogError = hoSummary.medianAbsLogError;
      cal.note = `fitted on ${tr.length} published point(s) from ${pubs.length} source(s) (${[...new Set(tr.map((p) => p.arch ?? 'LLM decode'))].join(', ')})` +
        (group.length > 1 ? `, shared by ${group.join(' and ')} (same silicon at different clocks; the catalog peaks and bandwidths carry the difference)` : '') +
        `; held-out ${devHo.length}` +
        (hoSummary.medianAbsLogError !== null ? `, median |ln error| ${hoSummary.medianAbsLogError} (${Math.exp(hoSummary.medianAbsLogError).toFixed(2)}x)` : '');
      calibrations[dev] = cal;
      fitLog[dev] = { trainLoss: round4(fitted.loss), gridSizes: fitted.grid, atBounds: fitted.bounds, group, rangeFrom: basis, rangeHalf: round4(band.half), pooledSpread: round4(pooled) };
      crossValidation[dev] = { byPoint: summarize(asResults(byPoint, g, dev)), bySource: summarize(asResults(bySource, g, dev)), sources: pubs.length };
    }
    process.stderr.write(`fitted ${group.join('+')}: compute x${shared.computeScale} overhead x${shared.overheadScale} memory x${shared.memoryScale} range ${shared.range.low}..${shared.range.high} (${basis}) ${JSON.stringify(shared.runtimeFactors)} ${JSON.stringify(shared.precisionFactors ?? {})} pipeline ${JSON.stringify(Object.fromEntries(Object.entries(shared.pipelineOverheadMs ?? {}).map(([k, v]) => [k, v.ms])))}\n`);
  }
  // Board power while inferring, from the training energy points of a device (MLPerf Tiny energy mode: the board's
  // supply during inference): the estimator uses it instead of the catalog rating; energy = power x latency.
  const energyTrain = energy.points.filter((e) => e.split === 'train' && e.scope === 'device');
  for (const dev of [...new Set(energyTrain.map((e) => e.device))].sort()) {
    if (!calibrations[dev]) continue;
    const ps = energyTrain.filter((e) => e.device === dev);
    const w = ps.map((e) => e.powerW);
    calibrations[dev].power = {
      typicalW: round4(Math.exp(w.reduce((a, v) => a + Math.log(v), 0) / w.length)),
      lowW: round4(Math.min(...w)),
      highW: round4(Math.max(...w)),
      points: ps.length,
      sources: [...new Set(ps.map((e) => publicationOf(e.source)))].sort(),
      measures: 'MLPerf Tiny energy mode, board supply while inferring',
    };
  }
  // The energy check: power x estimated latency against the measured energy per inference, on both splits.
  const energyResults: PointResult[] = [];
  for (const e of energy.points) {
    if (e.scope !== 'device' || !e.arch || !e.energyMj || !profiles.has(e.arch) || !calibrations[e.device]) continue;
    const est = estimateDeviceWith(profiles.get(e.arch)!, e.device, { precision: e.precision, runtime: e.runtime }, calibrations[e.device]).energyMj;
    if (!est) continue;
    const r = { low: round4(est.low), typical: round4(est.typical), high: round4(est.high) };
    energyResults.push({ key: `${e.device}|${e.arch}|energy`, device: e.device, label: e.label, split: e.split ?? 'train', runtime: e.runtime, precision: e.precision, measuredMs: e.energyMj, estimateMs: r, absLogError: round4(Math.abs(Math.log(r.typical / e.energyMj))), inRange: e.energyMj >= r.low && e.energyMj <= r.high });
  }

  if (warnings.length) {
    process.stderr.write(`\n${'!'.repeat(78)}\nWARNING: ${warnings.length} fitted factor(s) landed on a grid bound or clamp; the bound, not the data, sets them:\n${warnings.map((w) => `  - ${w}`).join('\n')}\n${'!'.repeat(78)}\n\n`);
  }

  const perDevice: Record<string, { train: ErrorSummary; heldOut: ErrorSummary }> = {};
  for (const id of devices) {
    perDevice[id] = { train: summarize(results.filter((r) => r.device === id && r.split === 'train')), heldOut: summarize(results.filter((r) => r.device === id && r.split === 'held-out')) };
  }
  const doc: CalibrationDoc = {
    generatedBy: 'scripts/calibration/calibrate.ts (node dist/scripts/calibration/calibrate.js)',
    source: path.relative(repo, csvPath),
    split: `frozen in scripts/calibration/heldout-split.json (${SPLIT_RULE}); rows are frozen before the change they judge and never move; fits use training points only`,
    devices: calibrations,
    summary: {
      heldOut: summarize(results.filter((r) => r.split === 'held-out')),
      train: summarize(results.filter((r) => r.split === 'train')),
      perDevice,
      heldOutBySpan: {
        inside: summarize(results.filter((r) => r.split === 'held-out' && !r.outsideSpan)),
        outside: summarize(results.filter((r) => r.split === 'held-out' && r.outsideSpan)),
      },
    },
    uncalibratedDevices: catalog.devices.map((d) => d.id).filter((id) => !calibrations[id]),
    uncalibratedRange,
    pooledSpread: round4(pooled),
    rangeRuleCheck: {
      points: rangeCheck.points,
      coverage: round4(rangeCheck.coverage),
      medianWidth: round4(rangeCheck.medianWidth),
      runtimeRanges: { points: rangeCheck.runtimeRanges.points, coverage: round4(rangeCheck.runtimeRanges.coverage), medianWidth: round4(rangeCheck.runtimeRanges.medianWidth) },
      fewPointRuntimes: { points: rangeCheck.fewPointRuntimes.points, coverage: round4(rangeCheck.fewPointRuntimes.coverage), medianWidth: round4(rangeCheck.fewPointRuntimes.medianWidth) },
      byGroup: checkedGroups.map((g, i) => ({ group: g.group.join('+'), points: rangeCheck.byGroup[i].points, coverage: round4(rangeCheck.byGroup[i].coverage), medianWidth: round4(rangeCheck.byGroup[i].medianWidth) })),
      outsideSpan: { points: rangeCheck.outsideSpan.points, coverage: round4(rangeCheck.outsideSpan.coverage), medianWidth: round4(rangeCheck.outsideSpan.medianWidth) },
    },
    singleSourceCheck,
    unmeasuredRuntimeCheck: unmeasuredCheck,
    crossValidation,
    crossValidationAll,
    bySourceLargest,
    referenceNetworks: archFacts,
    fit: fitLog,
    warnings,
    points: results,
    excluded,
    energy: { ...energy, results: energyResults, summary: { train: summarize(energyResults.filter((r) => r.split === 'train')), heldOut: summarize(energyResults.filter((r) => r.split === 'held-out')) } },
  };
  fs.mkdirSync(path.dirname(outJson), { recursive: true });
  fs.writeFileSync(outJson, `${JSON.stringify(doc, null, 1)}\n`);
  if (outMd !== '-') {
    fs.mkdirSync(path.dirname(path.resolve(outMd)), { recursive: true });
    fs.writeFileSync(path.resolve(outMd), markdown(doc));
  }
  const h = doc.summary.heldOut;
  process.stderr.write(`held-out: ${h.points} points, median |ln err| ${h.medianAbsLogError}, p90 ${h.p90AbsLogError}, within 1.5x ${h.within1_5x}, coverage ${h.coverage}\n`);
}

main().catch((e) => {
  process.stderr.write(`calibrate: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
