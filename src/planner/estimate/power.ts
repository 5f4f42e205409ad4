/**
 * Power while inferring, energy per inference and battery life: measured energy runs (calibration.json) first,
 * then power published for inference (catalog power.inferring), then the catalog's idle / typical / max figures
 * (a plug-in accelerator adds to its idling host). Unknown figures stay unknown; every fallback is a
 * structured note. No `vscode` import.
 */
import { loadCatalog, toBase, type DeviceSpec, type MeasuredPower, type PublishedInferencePower } from '../catalog';
import type { Range } from '../types';
import { nodeCounts, type LayerPlacement } from './compatibility';
import type { ModelProfile } from '../../analyzers/profile-types';
import type { EstimateNote } from './reasons';

const watts = (n: DeviceSpec['power']['idle']): number | null => toBase(n, 'power');

/** Load power from idle × the load/idle ratio of a catalog device of the same kind that has both figures. */
function loadFromSibling(device: DeviceSpec, idle: number): { watts: number; ratio: number; from: string } | null {
  for (const d of loadCatalog().devices) {
    if (d.id === device.id || d.kind !== device.kind) continue;
    const i = watts(d.power.idle);
    const t = watts(d.power.typical);
    if (i && t && t > i) return { watts: idle * (t / i), ratio: t / i, from: d.name };
  }
  return null;
}

/** Plug-in accelerator: the host idles while the accelerator works, and computes what falls back. */
function plugInPower(device: DeviceSpec, host: DeviceSpec, profile: ModelProfile, placement: LayerPlacement[], notes: EstimateNote[]): Range | null {
  const hIdle = watts(host.power.idle);
  const hTyp = watts(host.power.typical);
  const hMax = watts(host.power.max);
  const accMax = watts(device.power.max) ?? 0;
  if (hIdle === null) return null;
  const nodes = nodeCounts(profile, placement, (p) => p.unit === 'cpu');
  const cpuShare = nodes.active ? nodes.matching / nodes.active : 0;
  const hostLoad = hTyp ?? loadFromSibling(host, hIdle)?.watts ?? hMax ?? hIdle;
  const typical = hIdle + accMax * (1 - cpuShare) + (hostLoad - hIdle) * cpuShare;
  notes.push({ kind: 'plug-in-power', hostName: host.name, hostIdleW: hIdle, acceleratorMaxW: accMax, cpuShare });
  return { low: hIdle, typical, high: Math.max(typical, hostLoad + accMax) };
}

/**
 * A device's own power. Without a measured load figure the idle figure is scaled by the load/idle ratio
 * measured on a device of the same kind (Pi 5 from Pi 4), never interpolated towards a power-supply rating.
 */
function ownPower(device: DeviceSpec, notes: EstimateNote[]): Range | null {
  const idle = watts(device.power.idle);
  const typ = watts(device.power.typical);
  const max = watts(device.power.max);
  if (idle === null && typ === null && max === null) return null;
  const sibling = typ === null && idle !== null ? loadFromSibling(device, idle) : null;
  const typical = typ ?? sibling?.watts ?? idle ?? max!;
  if (typ === null && idle === null && device.accelerator) notes.push({ kind: 'accelerator-power-only', deviceName: device.name });
  else if (typ === null) {
    notes.push(sibling ? { kind: 'load-power-from-sibling', deviceName: device.name, ratio: sibling.ratio, from: sibling.from, hasMax: max !== null } : { kind: 'load-power-unknown', deviceName: device.name, hasIdle: idle !== null });
  }
  return { low: Math.min(idle ?? typical, typical), typical, high: Math.max(max ?? typical, typical) };
}

/** A device's power while inferring as measured on published runs (calibration.json), preferred over catalog ratings. */
function measuredPower(device: DeviceSpec, m: MeasuredPower, notes: EstimateNote[]): Range {
  notes.push({ kind: 'measured-power', deviceName: device.name, points: m.points, sources: m.sources, measures: m.measures, lowW: m.lowW, highW: m.highW });
  return { low: m.lowW, typical: m.typicalW, high: m.highW };
}

/** A device's power while inferring as published (catalog power.inferring), when no energy run calibrates it. */
function publishedPower(device: DeviceSpec, p: PublishedInferencePower, notes: EstimateNote[]): Range {
  const [low, typical, high] = [p.low, p.typical, p.high].map((n) => watts(n)!);
  const sources = [...new Set([p.low, p.typical, p.high].map((n) => n.ref.source))];
  notes.push({ kind: 'published-power', deviceName: device.name, lowW: low, typicalW: typical, highW: high, scope: p.scope, sources });
  return { low, typical, high };
}

export function powerRange(device: DeviceSpec, host: DeviceSpec | null, profile: ModelProfile, placement: LayerPlacement[], notes: EstimateNote[], measured?: MeasuredPower): Range | null {
  if (host) return plugInPower(device, host, profile, placement, notes);
  if (measured) return measuredPower(device, measured, notes);
  return device.power.inferring ? publishedPower(device, device.power.inferring, notes) : ownPower(device, notes);
}

/** Energy per inference = power x time, at each end of the ranges (mJ, as power W x latency ms). */
export function energyRange(powerW: Range | null, latency: Range): Range | null {
  return powerW && Number.isFinite(latency.typical) ? { low: powerW.low * latency.low, typical: powerW.typical * latency.typical, high: powerW.high * latency.high } : null;
}

export function batteryLife(battery: { capacityWh: number; inferencesPerHour: number }, energyMj: Range | null, latency: Range, idleOwner: DeviceSpec, notes: EstimateNote[]): number | null {
  if (!energyMj || !Number.isFinite(latency.typical)) return null;
  const busyS = (battery.inferencesPerHour * latency.typical) / 1000;
  const idleW = watts(idleOwner.power.idle);
  const activeJ = (battery.inferencesPerHour * energyMj.typical) / 1000;
  let perHourJ: number;
  if (busyS >= 3600) {
    perHourJ = activeJ * (3600 / busyS);
    notes.push({ kind: 'battery-never-idles', inferencesPerHour: battery.inferencesPerHour, busyS });
  } else {
    perHourJ = activeJ + (idleW ?? 0) * (3600 - busyS);
    if (idleW === null) notes.push({ kind: 'battery-idle-unknown' });
  }
  return perHourJ > 0 ? (battery.capacityWh * 3600) / perHourJ : null;
}
