/**
 * The catalog and the runtime data beside it, each JSON file validated once at load by the data-file checker
 * (check.ts) and cached: devices.json (schema.ts; a broken entry throws a CatalogError naming the device and
 * field), op-support.json (op-support.ts), estimator-priors.json (priors.ts) and the committed calibration
 * output (calibration.ts). No `vscode` import.
 */
import devicesJson from './devices.json';
import opSupportJson from './op-support.json';
import priorsJson from './estimator-priors.json';
import calibrationJson from './calibration.json';
import { validateCatalog, CatalogError, type Catalog, type DeviceSpec } from './schema';
import { parseOpSupport, type OpSupport } from './op-support';
import { parsePriors, type Priors } from './priors';
import { parseCalibration, type CalibrationFile } from './calibration';

export type { Catalog, DeviceSpec, ComputeUnitSpec, AcceleratorSpec, DeviceKind, PrecisionSupport, PublishedInferencePower } from './schema';
export { CatalogError, toBase, validateCatalog, validateDevice } from './schema';
export type { OpSupport, OpTarget } from './op-support';
export type { Priors, UnitType } from './priors';
export type { CalibrationFile, DeviceCalibration, BySourceCheck, RuntimeRange, PipelineOverhead, MeasuredPower, TrainingSpan, TransferredRuntimeFactor, UnmeasuredRuntimeCheck, SizeScalingPair, SizeScalingEnd } from './calibration';
export { DataFileError } from './check';
export { parseOpSupport, parsePriors, parseCalibration };

/** Builds a Catalog from raw JSON documents (exported for tests that feed a broken catalog). */
export function buildCatalog(devicesDoc: unknown, opSupportDoc: unknown = opSupportJson): Catalog {
  const ops = parseOpSupport(opSupportDoc, (m) => new CatalogError(m));
  const devices = validateCatalog(devicesDoc, new Set(Object.keys(ops.targets)));
  const index = new Map(devices.map((d) => [d.id, d]));
  return { devices, byId: (id: string) => index.get(id) };
}

/** One validated, cached value per data file. */
function once<T>(parse: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= parse());
}

/** The catalog, validated once and cached. */
export const loadCatalog = once(() => buildCatalog(devicesJson));
export const loadOpSupport = once(() => parseOpSupport(opSupportJson, (m) => new CatalogError(m)));
export const loadPriors = once((): Priors => parsePriors(priorsJson));
export const loadCalibration = once((): CalibrationFile => parseCalibration(calibrationJson));

export function defaultRuntime(d: DeviceSpec): string {
  return (d.runtimes.find((r) => r.default) ?? d.runtimes[0]).id;
}

