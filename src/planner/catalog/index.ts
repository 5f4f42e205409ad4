/**
 * The hardware catalog: devices.json validated once at load (a broken entry throws a CatalogError naming
 * the device and field), plus the op-support lists and the committed calibration output.
 * No `vscode` import.
 */
import devicesJson from './devices.json';
import opSupportJson from './op-support.json';
import calibrationJson from './calibration.json';
import { validateCatalog, CatalogError, type Catalog, type DeviceSpec } from './schema';

export type { Catalog, DeviceSpec, ComputeUnitSpec, AcceleratorSpec, DeviceKind, PrecisionSupport } from './schema';
export { CatalogError, toBase, validateCatalog, validateDevice } from './schema';

export interface OpTarget {
  mode: 'all' | 'allowlist' | 'denylist';
  description: string;
  ops?: string[];
  limitations?: Record<string, string>;
  source: string;
  quote?: string;
}

export interface OpSupport {
  onnxToCanonical: Record<string, string>;
  ignored: string[];
  targets: Record<string, OpTarget>;
}

let cached: Catalog | null = null;

/** Builds a Catalog from raw JSON documents (exported for tests that feed a broken catalog). */
export function buildCatalog(devicesDoc: unknown, opSupportDoc: unknown = opSupportJson): Catalog {
  const ops = opSupportDoc as OpSupport;
  if (!ops || typeof ops !== 'object' || !ops.targets) throw new CatalogError('op-support.json: must have "targets"');
  const devices = validateCatalog(devicesDoc, new Set(Object.keys(ops.targets)));
  const index = new Map(devices.map((d) => [d.id, d]));
  return { devices, byId: (id: string) => index.get(id) };
}

/** The catalog, validated once and cached. */
export function loadCatalog(): Catalog {
  if (!cached) cached = buildCatalog(devicesJson);
  return cached;
}

export function loadOpSupport(): OpSupport {
  return opSupportJson as unknown as OpSupport;
}

// ---------------------------------------------------------------------------------------------
// Calibration output (written by scripts/calibration/calibrate.ts, committed as data).

export interface DeviceCalibration {
  /** Multiplier on the prior effective throughput of the unit that runs most layers (fitted). */
  computeScale: number;
  /** Fitted multiplier on the memory (bandwidth) efficiency, from bandwidth-bound points (LLM decode) or Edge TPU streaming. */
  memoryScale: number;
  /** Fitted multiplier on the per-op dispatch and fixed per-inference overheads. */
  overheadScale: number;
  /** Extra factor per runtime id (measured runtime vs the device's fitted mix), fitted where >= 2 points. */
  runtimeFactors: Record<string, number>;
  /** Extra factor per compute precision (e.g. TensorRT runs fp32 on TF32 tensor cores), fitted where >= 2 points. */
  precisionFactors?: Partial<Record<string, number>>;
  /** Range multipliers around the typical value: low = typical * low, high = typical * high. */
  range: { low: number; high: number };
  trainingPoints: number;
  heldOutPoints: number;
  /** Held-out median |ln(estimate / measured)|; null without held-out points. */
  heldOutMedianAbsLogError: number | null;
  note: string;
}

export interface CalibrationFile {
  generatedBy: string;
  devices: Record<string, DeviceCalibration>;
  [key: string]: unknown;
}

export function loadCalibration(): CalibrationFile {
  return calibrationJson as unknown as CalibrationFile;
}

export function defaultRuntime(d: DeviceSpec): string {
  return (d.runtimes.find((r) => r.default) ?? d.runtimes[0]).id;
}
