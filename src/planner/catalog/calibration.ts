/**
 * calibration.json as typed data: the per-device factors scripts/calibration/calibrate.ts fitted on published
 * measurements (compute, memory and overhead scales, runtime and precision factors, the range, the fitted
 * pipeline times of end-to-end sources). Runtime data the estimator reads; validated at load with the data-file
 * checker. The report parts of the file (points, summary) are kept as they are. No `vscode` import.
 */
import { Check, type Json, type JsonObject } from './check';

export interface PipelineOverhead {
  ms: number;
  /** Training points of this pipeline on the device (group). */
  points: number;
  /** Runtime ids those points used. */
  runtimes: string[];
  measures: string;
}

export interface MeasuredPower {
  typicalW: number;
  lowW: number;
  highW: number;
  points: number;
  sources: string[];
  measures: string;
}

/** A runtime factor transferred from other devices of the unit type (factor relative to the device's fitted average). */
export interface TransferredRuntimeFactor {
  factor: number;
  /** The runtime's published points on the contributing devices. */
  points: number;
  /** The contributing devices (groups) and the runtimes measured on both that anchor the ratio. */
  from: { device: string; anchors: string[] }[];
}

export interface DeviceCalibration {
  /** Multiplier on the prior effective throughput of the unit that runs most layers (fitted). */
  computeScale: number;
  /** Fitted multiplier on the memory (bandwidth) efficiency, from bandwidth-bound points (LLM decode) or Edge TPU streaming. */
  memoryScale: number;
  /** Fitted multiplier on the per-op dispatch overhead (the fixed per-inference overhead stays at its prior). */
  overheadScale: number;
  /**
   * With fewer than OVERHEAD_FIT_MIN_POINTS training points, the one scale fitted (the other stays 1): 'overhead' when
   * per-op dispatch is most of those points' prior time, else 'compute'. Absent with more points (both fitted).
   */
  fewPointsScale?: 'compute' | 'overhead';
  /** Extra factor per runtime id (measured runtime vs the device's fitted mix), fitted where >= 2 points. */
  runtimeFactors: Record<string, number>;
  /** Extra factor per compute precision (e.g. TensorRT runs fp32 on TF32 tensor cores), fitted where >= 2 points. */
  precisionFactors?: Partial<Record<string, number>>;
  /** Range multipliers around the typical value: low = typical * low, high = typical * high. */
  range: { low: number; high: number };
  /** Ranges of runtimes with enough training points on the device to have their own (rule v6); other runtimes use `range`. */
  runtimeRanges?: Record<string, RuntimeRange>;
  /**
   * Runtimes without training points on the device whose factor is carried over from devices of the same unit type
   * where they were measured next to a runtime this device also has (docs/calibration-candidates/2026-12-05-unmeasured-runtime.md).
   */
  transferredRuntimeFactors?: Record<string, TransferredRuntimeFactor>;
  /** What each fitted runtime factor rests on: its training points on the device (group) and their publications. */
  runtimeEvidence?: Record<string, { points: number; sources: string[] }>;
  trainingPoints: number;
  heldOutPoints: number;
  /** Held-out median |ln(estimate / measured)|; null without held-out points. */
  heldOutMedianAbsLogError: number | null;
  note: string;
  /** Fixed per-inference time of end-to-end sources on this device (never added to user estimates; stated). */
  pipelineOverheadMs?: Record<string, PipelineOverhead>;
  /** The publications (repositories, sites) the training points come from. */
  sources?: string[];
  /** Multipliers on the prior efficiency of depthwise and vector (elementwise, pooling, data movement) ops on the device's main unit, fitted per unit type. */
  classScales?: { depthwise: number; vector: number };
  /** Board power while inferring, measured (MLPerf Tiny energy mode) on the training energy points; replaces the catalog figure. */
  power?: MeasuredPower;
  /** How the range was obtained (interval, residuals, cross-validation basis). */
  rangeBasis?: string;
  /** Cross-validation by source (calibration.json crossValidation): each publication left out, the rest refitted. */
  bySource?: BySourceCheck;
  /** The range rule checked on the device's (group's) own training points, each left out (calibration.json rangeRuleCheck.byGroup). */
  nestedCheck?: NestedRangeCheck;
  /** The sizes of the networks its training points ran: a model outside them extrapolates the fitted scales. */
  trainingSpan?: TrainingSpan;
  /** One network published at two input sizes on this device (same publication, runtime and precision): how the measurements and the estimates grew. */
  sizeScaling?: SizeScalingPair[];
}

/**
 * A network one publication measured on the device at two input sizes with the same runtime and precision, and how
 * the estimate (the device's final fit) grew between them: a check on how the estimator scales with input size,
 * reported, never fitted. Either point may be held out (`split`).
 */
export interface SizeScalingPair {
  /** The reference network family (reference-archs key without its input size, e.g. yolov8n). */
  network: string;
  publication: string;
  runtime: string;
  precision: string;
  from: SizeScalingEnd;
  to: SizeScalingEnd;
  /** to.measuredMs / from.measuredMs. */
  measuredRatio: number;
  /** to.estimateMs / from.estimateMs. */
  estimateRatio: number;
}

/**
 * A pair whose measured growth and estimated growth differ by more than this factor either way is quoted in the
 * device's estimates (the "within 1.5x" the calibration summaries count).
 */
export const SIZE_SCALING_OFF = 1.5;

/** How far apart (abs ln) the measured and the estimated growth between the pair's sizes are. */
export const sizeScalingGap = (s: Pick<SizeScalingPair, 'measuredRatio' | 'estimateRatio'>): number => Math.abs(Math.log(s.measuredRatio / s.estimateRatio));

/** Whether the estimate grew more than SIZE_SCALING_OFF apart from the measurements between the pair's sizes. */
export const sizeScalingOff = (s: Pick<SizeScalingPair, 'measuredRatio' | 'estimateRatio'>): boolean => sizeScalingGap(s) > Math.log(SIZE_SCALING_OFF);

export interface SizeScalingEnd {
  /** Input size (the reference key's suffix: pixels per side for images). */
  input: number;
  split: 'train' | 'held-out';
  measuredMs: number;
  estimateMs: number;
}

/**
 * The smallest and largest networks a device's (group's) training points ran. Outside this span an estimate rests on
 * fitted scales extrapolated beyond anything measured: below it per-op dispatch and fixed costs weigh more, above it
 * compute and memory traffic; the range rests on the points inside, so the estimate says so and quotes how the
 * calibration's checks covered such estimates (SpanCheck).
 */
export interface TrainingSpan {
  /** Graph networks, by MACs as analyzeFile counts them for the rebuilt network. */
  graph?: { points: number; minMacs: number; maxMacs: number; smallest: string; largest: string };
  /** LLM decode points, by the weight bytes read per token. */
  decode?: { points: number; minWeightBytes: number; maxWeightBytes: number };
}

/** Share of a device's training points inside the range the rule gives without each of them, and the median width of those ranges. */
export interface NestedRangeCheck {
  points: number;
  coverage: number;
  medianWidth: number;
}

/** The coverage the range rule aims at (scripts/calibration/fit.ts RANGE_COVERAGE, the 85th percentile of |error|; a test keeps the two equal). */
export const RANGE_NOMINAL_COVERAGE = 0.85;

/**
 * Training points (graph networks) a device needs before its per-op overhead scale is fitted
 * (scripts/calibration/calibrate.ts); with fewer, the compute scale alone carries the published times.
 */
export const OVERHEAD_FIT_MIN_POINTS = 4;

/** The range of one runtime on a device, from that runtime's own cross-validated residuals. */
export interface RuntimeRange {
  low: number;
  high: number;
  /** Training points of that runtime on the device. */
  points: number;
  /** Publications those points come from. */
  sources: number;
  /** How the range was obtained. */
  basis: string;
  /** That runtime's training points predicted with their whole publication left out, against this range. */
  bySource?: { points: number; medianAbsLogError: number | null; coverage: number | null };
}

/** How the fit did on publications it had not seen: what a user meets on a setup from a new source. */
export interface BySourceCheck {
  /** Publications the device's training points come from. */
  sources: number;
  /** Training points predicted with their whole publication left out (0 with one source: nothing to refit on). */
  points: number;
  /** Median |ln(estimate / measured)| of those points; null without points. */
  medianAbsLogError: number | null;
  /** Share of those points inside the device's range (its runtime's, with `runtime`); null without points. */
  coverage: number | null;
  /** Set when the figures are those of one runtime's points against that runtime's own range (rule v6). */
  runtime?: string;
  /**
   * A device resting on one publication cannot be checked so; the single-source simulation on the other devices
   * (calibration.json singleSourceCheck: each fitted on one of its publications, its other publications' points
   * against that range under the rule in use) says how often such a range covered a new publication's points.
   */
  singleSourceSimulation?: { coverage: number; points: number };
}

/**
 * How ranges covered estimates outside their device's training span in the calibration's own checks
 * (calibration.json summary.heldOutBySpan and rangeRuleCheck.outsideSpan): an extrapolated estimate quotes it.
 */
export interface SpanCheck {
  heldOutOutside: { points: number; coverage: number };
  heldOutInside: { points: number; coverage: number };
  /** Training points that, left out, lay outside the span of their device's other points. */
  trainingOutside: { points: number; coverage: number };
}

/**
 * How the device ranges covered estimates for a runtime the device had no published point of, in the calibration's
 * cross-validation (calibration.json unmeasuredRuntimeCheck.deviceRange): such an estimate quotes it.
 */
export interface UnmeasuredRuntimeCheck {
  points: number;
  coverage: number;
}

export interface CalibrationFile {
  generatedBy: string;
  devices: Record<string, DeviceCalibration>;
  spanCheck?: SpanCheck;
  unmeasuredRuntimeCheck?: UnmeasuredRuntimeCheck;
  /** The range of a device without published points: the widest of all (the fit writes it). */
  uncalibratedRange?: { low: number; high: number };
  [key: string]: unknown;
}

function pipelineOverhead(c: Check, v: Json, path: string): PipelineOverhead {
  const o = c.obj(v, path);
  return { ms: c.num(o.ms, `${path}.ms`, 0), points: c.num(o.points, `${path}.points`, 0), runtimes: c.strList(o.runtimes, `${path}.runtimes`), measures: c.str(o, 'measures', `${path}.`) };
}

function deviceCalibration(c: Check, v: Json, path: string): DeviceCalibration {
  const o = c.obj(v, path);
  const positive = (x: Json, p: string): number => c.num(x, p, Number.MIN_VALUE);
  const d: DeviceCalibration = {
    computeScale: positive(o.computeScale, `${path}.computeScale`),
    memoryScale: positive(o.memoryScale, `${path}.memoryScale`),
    overheadScale: positive(o.overheadScale, `${path}.overheadScale`),
    runtimeFactors: c.record(o.runtimeFactors, `${path}.runtimeFactors`, positive),
    range: c.rangeFactors(o.range, `${path}.range`),
    trainingPoints: c.num(o.trainingPoints, `${path}.trainingPoints`, 0),
    heldOutPoints: c.num(o.heldOutPoints, `${path}.heldOutPoints`, 0),
    heldOutMedianAbsLogError: o.heldOutMedianAbsLogError === null ? null : c.num(o.heldOutMedianAbsLogError, `${path}.heldOutMedianAbsLogError`, 0),
    note: c.str(o, 'note', `${path}.`),
  };
  if (o.precisionFactors !== undefined) d.precisionFactors = c.record(o.precisionFactors, `${path}.precisionFactors`, positive);
  if (o.fewPointsScale !== undefined) {
    if (o.fewPointsScale !== 'compute' && o.fewPointsScale !== 'overhead') c.fail(`${path}.fewPointsScale`, 'must be "compute" or "overhead"');
    d.fewPointsScale = o.fewPointsScale as 'compute' | 'overhead';
  }
  if (o.sources !== undefined) d.sources = c.strList(o.sources, `${path}.sources`);
  if (o.classScales !== undefined) {
    const k = c.obj(o.classScales, `${path}.classScales`);
    d.classScales = { depthwise: positive(k.depthwise, `${path}.classScales.depthwise`), vector: positive(k.vector, `${path}.classScales.vector`) };
  }
  if (o.power !== undefined) {
    const w = c.obj(o.power, `${path}.power`);
    d.power = { typicalW: positive(w.typicalW, `${path}.power.typicalW`), lowW: positive(w.lowW, `${path}.power.lowW`), highW: positive(w.highW, `${path}.power.highW`), points: c.num(w.points, `${path}.power.points`, 1), sources: c.strList(w.sources, `${path}.power.sources`), measures: c.str(w, 'measures', `${path}.power.`) };
  }
  if (o.runtimeRanges !== undefined) {
    d.runtimeRanges = c.record(o.runtimeRanges, `${path}.runtimeRanges`, (x, p) => {
      const r = c.obj(x, p);
      const out: RuntimeRange = { ...c.rangeFactors(r, p), points: c.num(r.points, `${p}.points`, 1), sources: c.num(r.sources, `${p}.sources`, 1), basis: c.str(r, 'basis', `${p}.`) };
      if (r.bySource !== undefined) out.bySource = bySourceFigures(c, r.bySource, `${p}.bySource`);
      return out;
    });
  }
  if (o.runtimeEvidence !== undefined) {
    d.runtimeEvidence = c.record(o.runtimeEvidence, `${path}.runtimeEvidence`, (x, p) => {
      const r = c.obj(x, p);
      return { points: c.num(r.points, `${p}.points`, 1), sources: c.strList(r.sources, `${p}.sources`) };
    });
  }
  if (o.transferredRuntimeFactors !== undefined) {
    d.transferredRuntimeFactors = c.record(o.transferredRuntimeFactors, `${path}.transferredRuntimeFactors`, (x, p) => {
      const t = c.obj(x, p);
      if (!Array.isArray(t.from) || !t.from.length) c.fail(`${p}.from`, 'must list the contributing devices');
      return {
        factor: positive(t.factor, `${p}.factor`),
        points: c.num(t.points, `${p}.points`, 1),
        from: (t.from as Json[]).map((f, i) => { const o2 = c.obj(f, `${p}.from[${i}]`); return { device: c.str(o2, 'device', `${p}.from[${i}].`), anchors: c.strList(o2.anchors, `${p}.from[${i}].anchors`) }; }),
      };
    });
  }
  if (o.rangeBasis !== undefined) d.rangeBasis = c.str(o, 'rangeBasis', `${path}.`);
  if (o.trainingSpan !== undefined) d.trainingSpan = trainingSpan(c, o.trainingSpan, `${path}.trainingSpan`);
  if (o.pipelineOverheadMs !== undefined) d.pipelineOverheadMs = c.record(o.pipelineOverheadMs, `${path}.pipelineOverheadMs`, (x, p) => pipelineOverhead(c, x, p));
  if (o.sizeScaling !== undefined) d.sizeScaling = c.list(o.sizeScaling, `${path}.sizeScaling`, (x, p) => sizeScalingPair(c, x, p));
  return d;
}

function sizeScalingEnd(c: Check, v: Json, path: string): SizeScalingEnd {
  const o = c.obj(v, path);
  return { input: c.num(o.input, `${path}.input`, 1), split: c.oneOf(o.split, `${path}.split`, ['train', 'held-out'] as const), measuredMs: c.num(o.measuredMs, `${path}.measuredMs`, 0), estimateMs: c.num(o.estimateMs, `${path}.estimateMs`, 0) };
}

function sizeScalingPair(c: Check, v: Json, path: string): SizeScalingPair {
  const o = c.obj(v, path);
  return {
    network: c.str(o, 'network', `${path}.`), publication: c.str(o, 'publication', `${path}.`), runtime: c.str(o, 'runtime', `${path}.`), precision: c.str(o, 'precision', `${path}.`),
    from: sizeScalingEnd(c, o.from, `${path}.from`), to: sizeScalingEnd(c, o.to, `${path}.to`),
    measuredRatio: c.num(o.measuredRatio, `${path}.measuredRatio`, 0), estimateRatio: c.num(o.estimateRatio, `${path}.estimateRatio`, 0),
  };
}

function trainingSpan(c: Check, v: Json, path: string): TrainingSpan {
  const o = c.obj(v, path);
  const out: TrainingSpan = {};
  if (o.graph !== undefined) {
    const g = c.obj(o.graph, `${path}.graph`);
    out.graph = { points: c.num(g.points, `${path}.graph.points`, 1), minMacs: c.num(g.minMacs, `${path}.graph.minMacs`, 0), maxMacs: c.num(g.maxMacs, `${path}.graph.maxMacs`, 0), smallest: c.str(g, 'smallest', `${path}.graph.`), largest: c.str(g, 'largest', `${path}.graph.`) };
    if (out.graph.minMacs > out.graph.maxMacs) c.fail(`${path}.graph`, 'minMacs exceeds maxMacs');
  }
  if (o.decode !== undefined) {
    const d = c.obj(o.decode, `${path}.decode`);
    out.decode = { points: c.num(d.points, `${path}.decode.points`, 1), minWeightBytes: c.num(d.minWeightBytes, `${path}.decode.minWeightBytes`, 0), maxWeightBytes: c.num(d.maxWeightBytes, `${path}.decode.maxWeightBytes`, 0) };
    if (out.decode.minWeightBytes > out.decode.maxWeightBytes) c.fail(`${path}.decode`, 'minWeightBytes exceeds maxWeightBytes');
  }
  return out;
}

/** The figures of a by-source check: points, median |ln error| and coverage (null without points). */
function bySourceFigures(c: Check, v: Json, path: string): { points: number; medianAbsLogError: number | null; coverage: number | null } {
  const b = c.obj(v, path);
  const orNull = (x: Json, p: string, max = Infinity): number | null => (x === null ? null : c.num(x, p, 0, max));
  return { points: c.num(b.points, `${path}.points`, 0), medianAbsLogError: orNull(b.medianAbsLogError, `${path}.medianAbsLogError`), coverage: orNull(b.coverage, `${path}.coverage`, 1) };
}

function bySourceCheck(c: Check, v: Json, path: string): BySourceCheck {
  const o = c.obj(v, path);
  return { sources: c.num(o.sources, `${path}.sources`, 0), ...bySourceFigures(c, o.bySource, `${path}.bySource`) };
}

/** Validates calibration.json (throws a DataFileError naming the field); report sections are kept as they are. */
export function parseCalibration(doc: Json): CalibrationFile {
  const c: Check = new Check('calibration.json');
  const o: JsonObject = c.obj(doc, '');
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (k !== 'generatedBy' && k !== 'devices' && k !== 'uncalibratedRange') rest[k] = v;
  const file: CalibrationFile = { ...rest, generatedBy: c.str(o, 'generatedBy', ''), devices: c.record(o.devices, 'devices', (x, p) => deviceCalibration(c, x, p)) };
  if (o.crossValidation !== undefined) {
    const cv = c.obj(o.crossValidation, 'crossValidation');
    for (const [id, d] of Object.entries(file.devices)) if (cv[id] !== undefined) d.bySource = bySourceCheck(c, cv[id], `crossValidation.${id}`);
  }
  if (o.singleSourceCheck !== undefined) {
    const ss = c.obj(o.singleSourceCheck, 'singleSourceCheck');
    const v5 = c.obj(ss.v5, 'singleSourceCheck.v5');
    const points = c.num(ss.points, 'singleSourceCheck.points', 0);
    if (points > 0) {
      const sim = { coverage: c.num(v5.coverage, 'singleSourceCheck.v5.coverage', 0, 1), points };
      for (const d of Object.values(file.devices)) if (d.bySource && d.bySource.sources <= 1) d.bySource.singleSourceSimulation = sim;
    }
  }
  if (o.rangeRuleCheck !== undefined) {
    const rc = c.obj(o.rangeRuleCheck, 'rangeRuleCheck');
    if (rc.byGroup !== undefined) {
      if (!Array.isArray(rc.byGroup)) c.fail('rangeRuleCheck.byGroup', 'must be a list');
      rc.byGroup.forEach((g, i) => {
        const path = `rangeRuleCheck.byGroup[${i}]`;
        const e = c.obj(g, path);
        const check = { points: c.num(e.points, `${path}.points`, 0), coverage: c.num(e.coverage, `${path}.coverage`, 0, 1), medianWidth: c.num(e.medianWidth, `${path}.medianWidth`, 1) };
        for (const id of c.str(e, 'group', `${path}.`).split('+')) if (file.devices[id]) file.devices[id].nestedCheck = check;
      });
    }
  }
  if (o.uncalibratedRange !== undefined) file.uncalibratedRange = c.rangeFactors(o.uncalibratedRange, 'uncalibratedRange');
  if (o.unmeasuredRuntimeCheck !== undefined) {
    const u = c.obj(o.unmeasuredRuntimeCheck, 'unmeasuredRuntimeCheck');
    const points = c.num(u.points, 'unmeasuredRuntimeCheck.points', 0);
    const d = c.obj(u.deviceRange, 'unmeasuredRuntimeCheck.deviceRange');
    if (points) file.unmeasuredRuntimeCheck = { points, coverage: c.num(d.coverage, 'unmeasuredRuntimeCheck.deviceRange.coverage', 0, 1) };
  }
  const summary = o.summary !== undefined ? c.obj(o.summary, 'summary') : {};
  const rangeCheck = o.rangeRuleCheck !== undefined ? c.obj(o.rangeRuleCheck, 'rangeRuleCheck') : {};
  if (summary.heldOutBySpan !== undefined && rangeCheck.outsideSpan !== undefined) {
    const share = (v: Json, path: string, key: string): { points: number; coverage: number } => {
      const x = c.obj(v, path);
      const points = c.num(x.points, `${path}.points`, 0);
      return { points, coverage: points ? c.num(x[key], `${path}.${key}`, 0, 1) : 0 };
    };
    const by = c.obj(summary.heldOutBySpan, 'summary.heldOutBySpan');
    file.spanCheck = {
      heldOutOutside: share(by.outside, 'summary.heldOutBySpan.outside', 'coverage'),
      heldOutInside: share(by.inside, 'summary.heldOutBySpan.inside', 'coverage'),
      trainingOutside: share(rangeCheck.outsideSpan, 'rangeRuleCheck.outsideSpan', 'coverage'),
    };
  }
  return file;
}
