/**
 * A compression step measured by `edgeplan verify` (or "Verify on this machine"), as the plan keeps it: the figures
 * measured on the user's data and on this machine, small enough to live in `.edgeplan/<name>.plan.json`, validated
 * when read back (plan files and webview messages are untrusted). No `vscode` import; the verify report is only a
 * type here.
 */
import type { VerifyReport } from '../../measure/verify';
import type { Sqnr } from '../../measure/verify/metrics';
import { fail, list, number, obj, orNull, text } from './validation';

export const VERIFIED_TECHNIQUES = ['fp16', 'int8-dynamic', 'int8-ptq', 'int4-weight-only'] as const;
export type VerifiedTechnique = (typeof VERIFIED_TECHNIQUES)[number];

export interface PlanVerification {
  technique: VerifiedTechnique;
  /** ISO date (YYYY-MM-DD) of the measurement. */
  date: string;
  /** The compressed model, as the plan records paths (workspace-relative in VS Code). */
  compressedFile: string;
  data: { source: 'npy' | 'images' | 'synthetic'; calibrationSamples: number; evaluationSamples: number; labelled: boolean };
  weightBytes: { original: number; compressed: number };
  fileBytes: { original: number; compressed: number };
  /** Measured on this machine (not the target device). */
  latencyMs: { original: { p50: number; p95: number }; compressed: { p50: number; p95: number } };
  /** "AMD EPYC, 2 cores, linux-x64, onnxruntime-node 1.30.0, CPU execution provider". */
  machine: string;
  /** SQNR in dB, or the words "identical" / "no signal" (see Sqnr; never null or ±Infinity). */
  outputs: { name: string; cosine: number; sqnrDb: Sqnr; maxAbsError: number }[];
  top1Agreement: number | null;
  /** Fractions 0-1; drop = original - compressed. */
  accuracy: { original: number; compressed: number; drop: number; dropCi95: [number, number]; samples: number } | null;
  groups: { group: string; samples: number; original: number; compressed: number; drop: number }[];
  groupGap: { worstGroup: string; worstDrop: number; gapOriginal: number; gapCompressed: number; widened: boolean | null } | null;
  /** The layers that lose the most, most first. */
  sensitiveLayers: { name: string; sqnrDb: Sqnr; dropDb: number }[];
  floatLayers: string[];
  /** The measurement's notes: what the technique changed, which arithmetic ran, what onnxruntime does to the file. */
  notes: string[];
}

/** Notes a plan keeps per measurement, and their length (a plan file stays small; the CLI report has them whole). */
const MAX_NOTES = 20;
const MAX_NOTE_CHARS = 2000;

const today = (): string => new Date().toISOString().slice(0, 10);

/** The plan's record of a verify report; `compressedFile` as the plan should show the path. */
export function verificationFromReport(r: VerifyReport, compressedFile: string): PlanVerification {
  return {
    technique: r.compressed.technique,
    date: today(),
    compressedFile,
    data: { source: r.data.source, calibrationSamples: r.data.calibrationSamples, evaluationSamples: r.data.evaluationSamples, labelled: r.accuracy !== null },
    weightBytes: { original: r.original.weightBytes, compressed: r.compressed.weightBytes },
    fileBytes: { original: r.original.fileBytes, compressed: r.compressed.fileBytes },
    latencyMs: { original: { ...r.original.latencyMs }, compressed: { ...r.compressed.latencyMs } },
    machine: `${r.measuredOn.cpu}, ${r.measuredOn.cores} cores, ${r.measuredOn.platform}, ${r.measuredOn.runtime}`,
    outputs: r.fidelity.outputs.map((o) => ({ ...o })),
    top1Agreement: r.fidelity.top1Agreement,
    accuracy: r.accuracy ? { original: r.accuracy.original, compressed: r.accuracy.compressed, drop: r.accuracy.drop, dropCi95: [...r.accuracy.dropCi95], samples: r.accuracy.samples } : null,
    groups: r.groups.map((g) => ({ group: g.group, samples: g.samples, original: g.original, compressed: g.compressed, drop: g.drop })),
    groupGap: r.groupGap ? { ...r.groupGap } : null,
    sensitiveLayers: r.sensitiveLayers.slice(0, 5).map((l) => ({ name: l.name, sqnrDb: l.sqnrDb, dropDb: l.dropDb })),
    floatLayers: [...r.compressed.floatLayers],
    notes: r.notes.slice(0, MAX_NOTES).map((n) => (n.length > MAX_NOTE_CHARS ? `${n.slice(0, MAX_NOTE_CHARS - 1)}…` : n)),
  };
}

/** Replaces the plan's measurement of the same technique (the newest counts). */
export function withVerification(list: PlanVerification[], v: PlanVerification): PlanVerification[] {
  return [...list.filter((x) => x.technique !== v.technique), v];
}

// ---------------------------------------------------------------------------------------------
// Validation of a measurement read from a plan file or a webview message.

/** A number of dB or one of the SQNR words; null (how JSON writes ±Infinity) is refused: it could be either end. */
function sqnr(v: unknown, field: string): Sqnr {
  if (v === 'identical' || v === 'no signal') return v;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, 'must be a number of dB, "identical" or "no signal"');
  return v;
}

const fraction = (v: unknown, f: string): number => number(v, f, -1, 1);
const latency = (v: unknown, f: string): { p50: number; p95: number } => {
  const o = obj(v, f);
  return { p50: number(o.p50, `${f}.p50`, 0), p95: number(o.p95, `${f}.p95`, 0) };
};

export function validateVerification(raw: unknown, field = 'verification'): PlanVerification {
  const o = obj(raw, field);
  const technique = text(o.technique, `${field}.technique`, 40);
  if (!(VERIFIED_TECHNIQUES as readonly string[]).includes(technique)) fail(`${field}.technique`, `"${technique}" is not a technique verify builds`);
  const data = obj(o.data, `${field}.data`);
  const source = text(data.source, `${field}.data.source`, 20);
  if (!['npy', 'images', 'synthetic'].includes(source)) fail(`${field}.data.source`, 'must be npy, images or synthetic');
  const wb = obj(o.weightBytes, `${field}.weightBytes`);
  const fb = obj(o.fileBytes, `${field}.fileBytes`);
  const lat = obj(o.latencyMs, `${field}.latencyMs`);
  const acc = o.accuracy;
  const gap = o.groupGap;
  return {
    technique: technique as VerifiedTechnique,
    date: text(o.date, `${field}.date`, 40),
    compressedFile: text(o.compressedFile, `${field}.compressedFile`),
    data: {
      source: source as PlanVerification['data']['source'],
      calibrationSamples: number(data.calibrationSamples, `${field}.data.calibrationSamples`, 0),
      evaluationSamples: number(data.evaluationSamples, `${field}.data.evaluationSamples`, 0),
      labelled: data.labelled === true,
    },
    weightBytes: { original: number(wb.original, `${field}.weightBytes.original`, 0), compressed: number(wb.compressed, `${field}.weightBytes.compressed`, 0) },
    fileBytes: { original: number(fb.original, `${field}.fileBytes.original`, 0), compressed: number(fb.compressed, `${field}.fileBytes.compressed`, 0) },
    latencyMs: { original: latency(lat.original, `${field}.latencyMs.original`), compressed: latency(lat.compressed, `${field}.latencyMs.compressed`) },
    machine: text(o.machine, `${field}.machine`),
    outputs: list(o.outputs, `${field}.outputs`, 64, (x, f) => {
      const y = obj(x, f);
      return { name: text(y.name, `${f}.name`), cosine: number(y.cosine, `${f}.cosine`, -1, 1), sqnrDb: sqnr(y.sqnrDb, `${f}.sqnrDb`), maxAbsError: number(y.maxAbsError, `${f}.maxAbsError`, 0) };
    }),
    top1Agreement: orNull(o.top1Agreement, (v) => number(v, `${field}.top1Agreement`, 0, 1)),
    accuracy: orNull(acc, (v) => {
      const a = obj(v, `${field}.accuracy`);
      const ci = a.dropCi95;
      if (!Array.isArray(ci) || ci.length !== 2) fail(`${field}.accuracy.dropCi95`, 'must be [low, high]');
      return {
        original: number(a.original, `${field}.accuracy.original`, 0, 1),
        compressed: number(a.compressed, `${field}.accuracy.compressed`, 0, 1),
        drop: fraction(a.drop, `${field}.accuracy.drop`),
        dropCi95: [fraction(ci[0], `${field}.accuracy.dropCi95[0]`), fraction(ci[1], `${field}.accuracy.dropCi95[1]`)],
        samples: number(a.samples, `${field}.accuracy.samples`, 0),
      };
    }),
    groups: list(o.groups, `${field}.groups`, 200, (x, f) => {
      const g = obj(x, f);
      return { group: text(g.group, `${f}.group`, 200), samples: number(g.samples, `${f}.samples`, 0), original: number(g.original, `${f}.original`, 0, 1), compressed: number(g.compressed, `${f}.compressed`, 0, 1), drop: fraction(g.drop, `${f}.drop`) };
    }),
    groupGap: orNull(gap, (v) => {
      const g = obj(v, `${field}.groupGap`);
      return {
        worstGroup: text(g.worstGroup, `${field}.groupGap.worstGroup`, 200),
        worstDrop: fraction(g.worstDrop, `${field}.groupGap.worstDrop`),
        gapOriginal: fraction(g.gapOriginal, `${field}.groupGap.gapOriginal`),
        gapCompressed: fraction(g.gapCompressed, `${field}.groupGap.gapCompressed`),
        widened: g.widened === null || g.widened === undefined ? null : g.widened === true,
      };
    }),
    sensitiveLayers: list(o.sensitiveLayers, `${field}.sensitiveLayers`, 50, (x, f) => {
      const l = obj(x, f);
      return { name: text(l.name, `${f}.name`), sqnrDb: sqnr(l.sqnrDb, `${f}.sqnrDb`), dropDb: number(l.dropDb, `${f}.dropDb`) };
    }),
    floatLayers: list(o.floatLayers, `${field}.floatLayers`, 10_000, (x, f) => text(x, f)),
    // Absent in plans saved before measurements kept their notes.
    notes: list(o.notes, `${field}.notes`, MAX_NOTES, (x, f) => text(x, f, MAX_NOTE_CHARS)),
  };
}
