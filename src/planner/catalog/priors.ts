/**
 * estimator-priors.json as typed data: the uncalibrated efficiency factors of the latency model (research
 * defaults the calibration scales per device), per unit type. Validated at load with the data-file checker.
 * No `vscode` import.
 */
import { Check, type Json } from './check';
import type { ComputeUnitSpec, DeviceKind } from './schema';
import { DEVICE_KINDS } from './schema';

export type UnitType = ComputeUnitSpec['type'];
export const UNIT_TYPES: readonly UnitType[] = ['cpu', 'mcu-cpu', 'gpu', 'npu', 'tpu'];

export interface Priors {
  /** Fraction of the unit's peak dense layers reach, per unit type and precision. */
  computeEfficiency: Record<UnitType, Record<string, number>>;
  /** Throughput of a precision relative to the unit's reference rate when the catalog gives no peak for it. */
  precisionRatios: Record<string, Record<string, number>>;
  /** Op classes at full dense efficiency; depthwise and vector (everything else) factors per unit type. */
  opClassFactors: { dense: string[]; depthwise: Record<UnitType, number>; vector: Record<UnitType, number> };
  memoryEfficiency: { value: number };
  perOpOverheadUs: Record<UnitType, number>;
  /** Share of a layer's activation bytes that goes to DRAM (weights always do), per unit type (0 .. 1). */
  activationDramShare: Record<UnitType, number>;
  /** Per-inference cost outside the layers, by unit type or 'usb-accelerator'. */
  fixedOverheadMs: Record<string, number>;
  partitionSyncUs: { value: number };
  runtimeMemoryBytes: Record<DeviceKind, number>;
  mcuCodeFlashBytes: { value: number };
  uncalibratedRange: { low: number; high: number };
}

const PROSE = ['about', 'basis', 'source', 'note'];

/** Validates estimator-priors.json (throws a DataFileError naming the field). */
export function parsePriors(doc: Json): Priors {
  const c: Check = new Check('estimator-priors.json');
  const o = c.obj(doc, '');
  const positive = (x: Json, p: string): number => c.num(x, p, Number.MIN_VALUE);
  const nonNegative = (x: Json, p: string): number => c.num(x, p, 0);
  const value = (key: string, check: (x: Json, p: string) => number): { value: number } => ({ value: check(c.obj(o[key], key).value, `${key}.value`) });
  const perUnit = (key: string, check: (x: Json, p: string) => number): Record<UnitType, number> => c.keyed(o[key], key, UNIT_TYPES, check);
  const classes = c.obj(o.opClassFactors, 'opClassFactors');
  return {
    computeEfficiency: c.keyed(o.computeEfficiency, 'computeEfficiency', UNIT_TYPES, (x, p) => c.record(x, p, (y, q) => c.num(y, q, Number.MIN_VALUE, 1), PROSE)),
    precisionRatios: c.record(o.precisionRatios, 'precisionRatios', (x, p) => c.record(x, p, positive, PROSE), PROSE),
    opClassFactors: {
      dense: c.strList(classes.dense, 'opClassFactors.dense'),
      depthwise: c.keyed(classes.depthwise, 'opClassFactors.depthwise', UNIT_TYPES, (x, p) => c.num(x, p, Number.MIN_VALUE, 1)),
      vector: c.keyed(classes.vector, 'opClassFactors.vector', UNIT_TYPES, (x, p) => c.num(x, p, Number.MIN_VALUE, 1)),
    },
    memoryEfficiency: { value: c.num(c.obj(o.memoryEfficiency, 'memoryEfficiency').value, 'memoryEfficiency.value', Number.MIN_VALUE, 1) },
    perOpOverheadUs: perUnit('perOpOverheadUs', nonNegative),
    activationDramShare: perUnit('activationDramShare', (x, p) => c.num(x, p, 0, 1)),
    fixedOverheadMs: c.record(o.fixedOverheadMs, 'fixedOverheadMs', nonNegative, PROSE),
    partitionSyncUs: value('partitionSyncUs', nonNegative),
    runtimeMemoryBytes: c.keyed(o.runtimeMemoryBytes, 'runtimeMemoryBytes', DEVICE_KINDS, nonNegative),
    mcuCodeFlashBytes: value('mcuCodeFlashBytes', nonNegative),
    uncalibratedRange: c.rangeFactors(o.uncalibratedRange, 'uncalibratedRange'),
  };
}
