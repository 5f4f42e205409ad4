/**
 * The original and the compressed model side by side, per weight layer: weight type, parameters, weight bytes,
 * the measured sensitivity (SQNR the layer loses), and the estimated time on the primary target for each. The
 * compressed layer is the node of the same name, or the one a writer named after it (`<name>_quant` for dynamic
 * INT8, `<name>_Q4` for INT4); its weights come from the writer (a QDQ layer reads them through DequantizeLinear).
 * No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import type { DeviceEstimate } from '../../planner/types';
import type { LayerSensitivity } from './sensitivity';

export interface LayerSide {
  dtype: string;
  params: number;
  weightBytes: number;
  /** Estimated ms on the primary target (predicted), null without an estimate. */
  ms: number | null;
}

export interface SideBySideRow {
  layer: string;
  op: string;
  original: LayerSide;
  compressed: LayerSide | null;
  /** SQNR the layer loses in the compressed model (dB, measured), null when not compared. */
  sensitivityDb: number | null;
}

/** Most rows returned (large models have thousands of layers; the heaviest come first). */
export const MAX_SIDE_BY_SIDE_ROWS = 300;

export function sideBySide(original: ModelProfile, compressed: ModelProfile, measured: LayerSensitivity[], estOriginal?: DeviceEstimate, estCompressed?: DeviceEstimate): SideBySideRow[] {
  const msOf = (est: DeviceEstimate | undefined): Map<string, number> => new Map((est?.layers ?? []).map((l) => [l.name, l.ms]));
  const msOriginal = msOf(estOriginal);
  const msCompressed = msOf(estCompressed);
  const byName = new Map(compressed.layers.map((l) => [l.name, l]));
  const sensitivity = new Map(measured.map((l) => [l.name, l]));
  return original.layers
    .filter((l) => l.params > 0)
    .sort((a, b) => b.weightBytes - a.weightBytes)
    .slice(0, MAX_SIDE_BY_SIDE_ROWS)
    .map((l) => {
      const twinName = [l.name, `${l.name}_quant`, `${l.name}_Q4`].find((n) => byName.has(n));
      const twin = twinName ? byName.get(twinName)! : undefined;
      const m = sensitivity.get(l.name);
      const compressedSide: LayerSide | null = twin
        ? {
            dtype: m?.weights?.dtype ?? (twin.weightPrecision ?? twin.precision).toUpperCase(),
            params: m?.weights ? l.params : twin.params,
            weightBytes: m?.weights?.bytes ?? twin.weightBytes,
            ms: msCompressed.get(twin.name) ?? null,
          }
        : null;
      return {
        layer: l.name,
        op: l.op,
        original: { dtype: (l.weightPrecision ?? l.precision).toUpperCase(), params: l.params, weightBytes: l.weightBytes, ms: msOriginal.get(l.name) ?? null },
        compressed: compressedSide,
        sensitivityDb: m ? m.dropDb : null,
      };
    });
}
