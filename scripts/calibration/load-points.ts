/**
 * The calibration's points: each row of latency.csv (and the performance-mode latency of each energy.csv row) mapped
 * to a catalog device and a reference network (fit.ts mapRow), with its split from the frozen split files; rows that
 * cannot be mapped honestly, or were added after the last freeze, come back as excluded with the reason.
 */
import * as fs from 'fs';
import { lookupSplit, type FrozenSplit } from './split';
import { parseCsv, mapRow, mapEnergyRow, energyRowLatency, type EnergyRow, type EnergyPoint, type CalPoint, type Excluded } from './fit';

/** Where the published rows and their frozen splits are. */
export interface CalibrationFiles {
  csvPath: string;
  splitPath: string;
  energyCsvPath: string;
  energySplitPath: string;
}

/** The energy rows mapped to devices (`source` is the energy CSV's path as given). */
export type EnergyData = { source: string; points: EnergyPoint[]; excluded: Excluded[] };

/**
 * Latency points (latency.csv, then energy.csv's performance-mode latencies in the split their energy rows were
 * frozen with), the latency rows excluded, and the energy points. `runtimesOf` lists a catalog device's runtime ids.
 */
export function loadPoints(files: CalibrationFiles, runtimesOf: (id: string) => string[]): { points: CalPoint[]; excluded: Excluded[]; energy: EnergyData } {
  const rows = parseCsv(fs.readFileSync(files.csvPath, 'utf8'));
  const frozen = lookupSplit(rows, JSON.parse(fs.readFileSync(files.splitPath, 'utf8')) as FrozenSplit);
  const mapped = rows.map((r, i): CalPoint | Excluded => {
    const m = mapRow(r, i + 2, runtimesOf);
    if (!('device' in m)) return m;
    const f = frozen[i];
    if (!f) return { row: i + 2, label: m.label, reason: 'added after the last freeze of the split (scripts/calibration/freeze-split.ts): not judged yet' };
    return { ...m, split: f.split, publication: f.publication };
  });
  const points = mapped.filter((m): m is CalPoint => 'device' in m);
  const energyRows = fs.existsSync(files.energyCsvPath) ? parseCsv(fs.readFileSync(files.energyCsvPath, 'utf8')) : [];
  const energyFrozen = lookupSplit(energyRows, JSON.parse(fs.readFileSync(files.energySplitPath, 'utf8')) as FrozenSplit);
  const energyMapped = (energyRows as unknown as EnergyRow[]).map((r, i): EnergyPoint | Excluded => {
    const m = mapEnergyRow(r, i + 2, runtimesOf);
    if (!('device' in m)) return m;
    const f = energyFrozen[i];
    return f ? { ...m, split: f.split } : { row: i + 2, label: m.label, reason: 'added after the last freeze of the energy split (scripts/calibration/freeze-split.ts --csv energy.csv): not judged yet' };
  });
  const energy = { source: files.energyCsvPath, points: energyMapped.filter((m): m is EnergyPoint => 'device' in m), excluded: energyMapped.filter((m): m is Excluded => !('device' in m)) };
  // The performance-mode latencies energy.csv's rows carry are latency points too, each in the split its energy row
  // was frozen with (so a held-out energy row's latency judges, never fits).
  const energyLatency = (energyRows as unknown as EnergyRow[]).flatMap((r, i): CalPoint[] => {
    const row = energyRowLatency(r);
    const m = row ? mapRow(row, i + 2, runtimesOf) : null;
    const f = energyFrozen[i];
    return m && 'device' in m && f ? [{ ...m, split: f.split, publication: f.publication }] : [];
  });
  const excluded = mapped.filter((m): m is Excluded => !('device' in m));
  return { points: [...points, ...energyLatency], excluded, energy };
}
