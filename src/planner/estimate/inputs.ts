/**
 * What an estimate is asked for, checked before any arithmetic: a catalog device, a precision and runtime it
 * supports, plausible budgets and battery figures. A bad request throws an EstimateInputError that says what
 * is wrong. No `vscode` import.
 */
import type { Budgets, ComputePrecision } from '../types';
import type { DeviceCorrection } from './measurements';
import { loadCatalog, type DeviceSpec } from '../catalog';
import { PRECISIONS } from '../catalog/schema';
import { isThreadCount, MAX_CPU_THREADS } from '../threads';

export class EstimateInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EstimateInputError';
  }
}

export interface EstimateOptions {
  precision?: ComputePrecision;
  runtime?: string;
  budgets?: Budgets;
  battery?: { capacityWh: number; inferencesPerHour: number };
  /** The user's own measurements per device (edgeplan measure): a device found here gets its figures corrected. */
  corrections?: ReadonlyMap<string, DeviceCorrection>;
  /**
   * The model file as it is, when this estimate is for it (never for a transformed variant): runs in `corrections`
   * that measured exactly this file, precision, runtime and thread count replace the estimate's latency, labelled as
   * measured.
   */
  measuredModel?: string;
  /**
   * Threads the runtime's CPU kernels use (e.g. TF Lite's num_threads; its Python Interpreter without it runs one).
   * Default: every core of the application CPU that runs the CPU layers.
   */
  cpuThreads?: number;
}

/** Why a device cannot take a requested precision, in its catalog's terms. */
function precisionGap(device: DeviceSpec): string {
  if (device.accelerator?.opSupport === 'edgetpu') return ' (the Edge TPU executes fully int8-quantised models only)';
  if (device.accelerator?.opSupport === 'ane') return ' (the Neural Engine computes in fp16 or int8; Core ML converts an fp32 model to fp16 — estimate it with --precision fp16)';
  if (device.kind === 'mcu') return ' (no fp16 arithmetic or kernels on this microcontroller)';
  return '';
}

function checkPrecision(device: DeviceSpec, precision: ComputePrecision | undefined): void {
  if (precision === undefined) return;
  if (!PRECISIONS.includes(precision)) throw new EstimateInputError(`precision must be one of ${PRECISIONS.join(', ')}, got "${String(precision)}"`);
  if (!device.precisions.includes(precision)) throw new EstimateInputError(`${device.id} cannot run ${precision}${precisionGap(device)}; it supports ${device.precisions.join(', ')}`);
}

function checkBudgets(b: Budgets): void {
  const positive = (name: string, v: number | undefined, max: number) => {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new EstimateInputError(`budget ${name} must be a positive number, got ${v}`);
    if (v > max) throw new EstimateInputError(`budget ${name} = ${v} is absurd (more than ${max})`);
  };
  positive('latencyMs', b.latencyMs, 3_600_000);
  positive('memoryMb', b.memoryMb, 10_000_000);
  positive('powerW', b.powerW, 100_000);
  positive('energyMj', b.energyMj, 1e12);
  if (b.accuracyDrop !== undefined && (typeof b.accuracyDrop !== 'number' || !Number.isFinite(b.accuracyDrop) || b.accuracyDrop < 0 || b.accuracyDrop > 100)) {
    throw new EstimateInputError(`budget accuracyDrop must be between 0 and 100 percentage points, got ${b.accuracyDrop}`);
  }
}

function checkBattery(battery: EstimateOptions['battery']): void {
  if (!battery) return;
  const { capacityWh, inferencesPerHour } = battery;
  if (!Number.isFinite(capacityWh) || capacityWh <= 0 || capacityWh > 100_000) throw new EstimateInputError(`battery capacityWh must be in (0, 100000], got ${capacityWh}`);
  if (!Number.isFinite(inferencesPerHour) || inferencesPerHour <= 0 || inferencesPerHour > 3.6e9) throw new EstimateInputError(`battery inferencesPerHour must be in (0, 3.6e9], got ${inferencesPerHour}`);
}

/** True when a device's CPU layers run on an application CPU (its own or its host's), whose thread count an estimate takes. */
export function hasApplicationCpu(deviceId: string): boolean {
  const device = loadCatalog().byId(deviceId);
  const owner = device?.cpu ? device : device?.host ? loadCatalog().byId(device.host.deviceId) : undefined;
  return owner?.cpu?.type === 'cpu';
}

/** The thread count as an estimate option for this device: given only where an application CPU runs the CPU layers. */
export function cpuThreadsFor(deviceId: string, threads: number | undefined): { cpuThreads?: number } {
  return threads !== undefined && hasApplicationCpu(deviceId) ? { cpuThreads: threads } : {};
}

/** Threads apply to an application CPU (its catalog peak counts every core); a microcontroller runs its kernels on one. */
function checkThreads(device: DeviceSpec, threads: number | undefined): void {
  if (threads === undefined) return;
  if (!isThreadCount(threads)) throw new EstimateInputError(`cpuThreads must be a whole number from 1 to ${MAX_CPU_THREADS}, got ${threads}`);
  if (!hasApplicationCpu(device.id)) throw new EstimateInputError(`${device.id} has no application CPU whose thread count an estimate can change (its runtime runs on a microcontroller core)`);
}

/** The catalog device the request names, once every part of the request is checked. */
export function checkInputs(deviceId: string, opts: EstimateOptions): DeviceSpec {
  const catalog = loadCatalog();
  if (typeof deviceId !== 'string' || !deviceId) throw new EstimateInputError('device id is required');
  const device = catalog.byId(deviceId);
  if (!device) throw new EstimateInputError(`unknown device "${deviceId}"; known devices: ${catalog.devices.map((d) => d.id).join(', ')}`);
  checkPrecision(device, opts.precision);
  if (opts.runtime !== undefined && !device.runtimes.some((r) => r.id === opts.runtime)) {
    throw new EstimateInputError(`${device.id} has no runtime "${opts.runtime}"; known: ${device.runtimes.map((r) => r.id).join(', ')}`);
  }
  checkBudgets(opts.budgets ?? {});
  checkBattery(opts.battery);
  checkThreads(device, opts.cpuThreads);
  return device;
}
