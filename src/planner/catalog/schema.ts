/**
 * The hardware catalog's data model and its validator. Every number is a SourcedNumber (value, unit and a
 * public source with a quote); a figure the sources do not give is null, never invented.
 * No `vscode` import.
 */
import type { ComputePrecision, SourceRef, SourcedNumber } from '../types';
import { Check, DataFileError, isObj, type Json, type JsonObject } from './check';

export type DeviceKind = 'sbc-cpu' | 'gpu-soc' | 'usb-accelerator' | 'npu-phone' | 'npu-laptop' | 'mcu';
export const DEVICE_KINDS: DeviceKind[] = ['sbc-cpu', 'gpu-soc', 'usb-accelerator', 'npu-phone', 'npu-laptop', 'mcu'];

/** How a unit executes a precision: natively, emulated in a wider type (size win only), or weights only (compute in fp16/fp32). */
export type PrecisionSupport = 'native' | 'emulated' | 'weight-only';
export const PRECISIONS: ComputePrecision[] = ['int8', 'fp16', 'fp32', 'int4', 'int16'];

export interface PeakThroughput {
  /** Integer ops per second (1 MAC = 2 ops). */
  int8: SourcedNumber | null;
  fp16: SourcedNumber | null;
  fp32: SourcedNumber | null;
}

/** A processor that runs layers: a CPU (the device's own, or an MCU core) or an accelerator. */
export interface ComputeUnitSpec {
  name: string;
  type: 'cpu' | 'mcu-cpu' | 'gpu' | 'npu' | 'tpu';
  cores: SourcedNumber | null;
  /** How many of those cores the peak figures count, when not all (a phone CPU's peaks count its performance cores). */
  peakCores?: SourcedNumber;
  clock: SourcedNumber | null;
  peak: PeakThroughput;
  precisions: Partial<Record<ComputePrecision, PrecisionSupport>>;
  /** Key into op-support.json. */
  opSupport: string;
}

export interface AcceleratorSpec extends ComputeUnitSpec {
  /** Host link for a plug-in accelerator (USB 3 for the Coral USB Accelerator). */
  link: { name: string; bandwidth: SourcedNumber | null } | null;
  /** On-chip parameter cache (Edge TPU: about 8 MB). */
  onChipParamCache: SourcedNumber | null;
  /** Rate at which parameters beyond the cache are streamed from the host each inference. */
  paramStreamBandwidth: SourcedNumber | null;
  /** single-prefix: one accelerated partition, everything after the first unsupported op on the CPU (Edge TPU). */
  partitioning: 'single-prefix' | 'multi';
}

export interface DeviceSpec {
  id: string;
  name: string;
  kind: DeviceKind;
  summary: string;
  /** The device's own CPU; null when the CPU is the host's (see `host`). */
  cpu: ComputeUnitSpec | null;
  accelerator: AcceleratorSpec | null;
  /** A plug-in accelerator's host: its CPU runs fallback ops, its RAM holds the model, its power adds up. */
  host: { deviceId: string; note: string } | null;
  memory: {
    ram: SourcedNumber | null;
    bandwidth: SourcedNumber | null;
    /** MCU flash for weights and code. */
    flash: SourcedNumber | null;
    onChipSram: SourcedNumber | null;
  };
  power: {
    idle: SourcedNumber | null;
    typical: SourcedNumber | null;
    max: SourcedNumber | null;
    /** Power while inferring as published (papers, reviews, vendors), with its spread; used where no energy run calibrates the device. */
    inferring?: PublishedInferencePower;
  };
  runtimes: { id: string; name: string; default?: boolean }[];
  /** Precisions a user can target on this device (anything else is an input error). */
  precisions: ComputePrecision[];
  constraints: { text: string; source: string }[];
}

/**
 * A device's power while it infers, as published: low / typical / high, each with its own source, and what the
 * figures cover (whole phone or SoC, which engine, which workload). The spread between the sources is the range.
 */
export interface PublishedInferencePower {
  low: SourcedNumber;
  typical: SourcedNumber;
  high: SourcedNumber;
  /** What is measured, on what, and how far it is from this device's own Neural Engine / NPU running a network. */
  scope: string;
}

export interface Catalog {
  devices: DeviceSpec[];
  byId(id: string): DeviceSpec | undefined;
}

/** A broken hardware catalog (devices.json, or the op lists it names): the message names the device and field. */
export class CatalogError extends DataFileError {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

// ---------------------------------------------------------------------------------------------
// Units: every field has a dimension; values are converted to base units (ops/s, bytes, B/s, W, Hz).

const UNIT_FACTORS: Record<string, Record<string, number>> = {
  throughput: { TOPS: 1e12, TFLOPS: 1e12, GOPS: 1e9, GFLOPS: 1e9 },
  bytes: { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 },
  bandwidth: { 'GB/s': 1e9, 'MB/s': 1e6 },
  power: { W: 1, mW: 1e-3 },
  frequency: { GHz: 1e9, MHz: 1e6 },
  count: { cores: 1 },
};

/** A sourced number in base units (ops/s, bytes, bytes/s, W, Hz); null stays null. */
export function toBase(n: SourcedNumber | null | undefined, dimension: keyof typeof UNIT_FACTORS): number | null {
  if (!n) return null;
  const f = UNIT_FACTORS[dimension][n.unit];
  if (f === undefined) throw new CatalogError(`unit "${n.unit}" is not a ${dimension} unit`);
  return n.value * f;
}

// ---------------------------------------------------------------------------------------------
// Validation: throws a CatalogError naming the device and the field path. Every entry is rebuilt from the
// checked parts (extra keys such as notes are kept in place, so `edgeplan devices --json` prints the file's data).

type Dimension = keyof typeof UNIT_FACTORS;

/** The device checks on top of the shared data-file checker. */
class DeviceCheck extends Check {
  constructor(where: string) {
    super(`devices.json (hardware catalog): ${where}`, (m) => new CatalogError(m));
  }
  sourced(v: Json, path: string, dimension: Dimension, nullable = true): SourcedNumber | null {
    if (v === null || v === undefined) {
      if (!nullable) this.fail(path, 'is required (a sourced number)');
      if (v === undefined) this.fail(path, 'is missing (use null when the sources do not give it)');
      return null;
    }
    if (!isObj(v)) this.fail(path, 'must be {value, unit, ref: {source, quote}} or null');
    if (typeof v.value !== 'number' || !Number.isFinite(v.value) || v.value <= 0) this.fail(`${path}.value`, `must be a positive finite number, got ${JSON.stringify(v.value)}`);
    if (typeof v.unit !== 'string' || UNIT_FACTORS[dimension][v.unit] === undefined) {
      this.fail(`${path}.unit`, `must be one of ${Object.keys(UNIT_FACTORS[dimension]).join(', ')} (a ${dimension}), got ${JSON.stringify(v.unit)}`);
    }
    const ref = v.ref;
    if (!isObj(ref)) this.fail(`${path}.ref`, 'is missing: every number needs a source');
    const checked: SourceRef = { ...ref, source: this.str(ref, 'source', `${path}.ref.`), quote: this.str(ref, 'quote', `${path}.ref.`) };
    if (ref.confidence !== undefined) {
      if (ref.confidence !== 'V' && ref.confidence !== 'D') this.fail(`${path}.ref.confidence`, 'must be "V" (read in the source) or "D" (derived)');
      checked.confidence = ref.confidence;
    }
    if (ref.confidence === 'D' && (typeof ref.note !== 'string' || !ref.note.trim())) this.fail(`${path}.ref.note`, 'must show the arithmetic of a derived ("D") figure');
    if (typeof ref.note === 'string') checked.note = ref.note;
    return { ...v, value: v.value, unit: v.unit, ref: checked };
  }
  /** power.inferring: three sourced powers in order (low <= typical <= high) and what they cover. */
  inferring(v: Json): PublishedInferencePower {
    const path = 'power.inferring';
    if (!isObj(v)) this.fail(path, 'must be {low, typical, high, scope}');
    const [low, typical, high] = (['low', 'typical', 'high'] as const).map((k) => this.sourced(v[k], `${path}.${k}`, 'power', false)!);
    const w = (n: SourcedNumber): number => n.value * UNIT_FACTORS.power[n.unit];
    if (!(w(low) <= w(typical) && w(typical) <= w(high))) this.fail(path, `must have low <= typical <= high, got ${w(low)} / ${w(typical)} / ${w(high)} W`);
    return { ...v, low, typical, high, scope: this.str(v, 'scope', `${path}.`) };
  }
  unit(u: Json, path: string): ComputeUnitSpec {
    if (!isObj(u)) this.fail(path, 'must be an object');
    const types = ['cpu', 'mcu-cpu'] as const;
    const type = types.find((t) => t === u.type) ?? this.fail(`${path}.type`, `must be one of ${types.join(', ')}`);
    return { ...u, ...this.unitParts(u, path), type };
  }
  accelerator(u: Json, path: string): AcceleratorSpec {
    if (!isObj(u)) this.fail(path, 'must be an object');
    const types = ['gpu', 'npu', 'tpu'] as const;
    const type = types.find((t) => t === u.type) ?? this.fail(`${path}.type`, `must be one of ${types.join(', ')}`);
    const parts = this.unitParts(u, path);
    let link: AcceleratorSpec['link'] = null;
    if (u.link !== null) {
      if (!isObj(u.link)) this.fail(`${path}.link`, 'must be {name, bandwidth} or null');
      link = { ...u.link, name: this.str(u.link, 'name', `${path}.link.`), bandwidth: this.sourced(u.link.bandwidth, `${path}.link.bandwidth`, 'bandwidth') };
    }
    const onChipParamCache = this.sourced(u.onChipParamCache, `${path}.onChipParamCache`, 'bytes');
    const paramStreamBandwidth = this.sourced(u.paramStreamBandwidth, `${path}.paramStreamBandwidth`, 'bandwidth');
    const partitioning = u.partitioning === 'single-prefix' || u.partitioning === 'multi' ? u.partitioning : this.fail(`${path}.partitioning`, 'must be single-prefix or multi');
    return { ...u, ...parts, type, link, onChipParamCache, paramStreamBandwidth, partitioning };
  }
  private unitParts(u: JsonObject, path: string): Omit<ComputeUnitSpec, 'type'> {
    const name = this.str(u, 'name', `${path}.`);
    const cores = this.sourced(u.cores, `${path}.cores`, 'count');
    const clock = this.sourced(u.clock, `${path}.clock`, 'frequency');
    if (!isObj(u.peak)) this.fail(`${path}.peak`, 'must be {int8, fp16, fp32}');
    const peak: PeakThroughput = {
      int8: this.sourced(u.peak.int8, `${path}.peak.int8`, 'throughput'),
      fp16: this.sourced(u.peak.fp16, `${path}.peak.fp16`, 'throughput'),
      fp32: this.sourced(u.peak.fp32, `${path}.peak.fp32`, 'throughput'),
    };
    if (!isObj(u.precisions) || Object.keys(u.precisions).length === 0) this.fail(`${path}.precisions`, 'must map at least one precision to native/emulated/weight-only');
    const precisions: Partial<Record<ComputePrecision, PrecisionSupport>> = {};
    for (const [p, s] of Object.entries(u.precisions)) {
      const precision = PRECISIONS.find((x) => x === p) ?? this.fail(`${path}.precisions.${p}`, `is not a precision (${PRECISIONS.join(', ')})`);
      precisions[precision] = SUPPORT.find((x) => x === s) ?? this.fail(`${path}.precisions.${p}`, 'must be native, emulated or weight-only');
    }
    const opSupport = this.str(u, 'opSupport', `${path}.`);
    const peakCores = u.peakCores === undefined ? undefined : this.sourced(u.peakCores, `${path}.peakCores`, 'count');
    if (peakCores) {
      const n = toBase(peakCores, 'count')!;
      const all = cores ? toBase(cores, 'count') : null;
      if (!Number.isInteger(n) || all === null || n > all) this.fail(`${path}.peakCores.value`, 'must be a whole number of cores from 1 to the unit\'s cores');
    }
    return { name, cores, clock, peak: { ...u.peak, ...peak }, precisions, opSupport, ...(peakCores ? { peakCores } : {}) };
  }
}

const SUPPORT: readonly PrecisionSupport[] = ['native', 'emulated', 'weight-only'];

/** Validates one device entry (throws CatalogError naming the device and field). */
export function validateDevice(d: Json, index: number, opSupportKeys: Set<string>): DeviceSpec {
  const label = isObj(d) && typeof d.id === 'string' ? `device "${d.id}"` : `device #${index}`;
  const c: DeviceCheck = new DeviceCheck(label);
  if (!isObj(d)) c.fail('', 'must be an object');
  const id = c.str(d, 'id', '');
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(id)) c.fail('id', 'must be lower-case letters, digits, dots and dashes');
  const name = c.str(d, 'name', '');
  const summary = c.str(d, 'summary', '');
  const kind = DEVICE_KINDS.find((k) => k === d.kind) ?? c.fail('kind', `must be one of ${DEVICE_KINDS.join(', ')}, got ${JSON.stringify(d.kind)}`);
  const cpu = d.cpu === null ? null : c.unit(d.cpu, 'cpu');
  const accelerator = d.accelerator === null ? null : c.accelerator(d.accelerator, 'accelerator');
  let host: DeviceSpec['host'] = null;
  if (d.host !== null) {
    if (!isObj(d.host)) c.fail('host', 'must be {deviceId, note} or null');
    host = { ...d.host, deviceId: c.str(d.host, 'deviceId', 'host.'), note: c.str(d.host, 'note', 'host.') };
  }
  if (cpu === null && host === null) c.fail('cpu', 'is null but no host device is named: fallback ops would have nowhere to run');
  if (cpu && !opSupportKeys.has(cpu.opSupport)) c.fail('cpu.opSupport', `names op list "${cpu.opSupport}", which op-support.json does not define`);
  if (accelerator && !opSupportKeys.has(accelerator.opSupport)) c.fail('accelerator.opSupport', `names op list "${accelerator.opSupport}", which op-support.json does not define`);
  if (!isObj(d.memory)) c.fail('memory', 'must be an object');
  const memory: DeviceSpec['memory'] = {
    ...d.memory,
    ram: c.sourced(d.memory.ram, 'memory.ram', 'bytes'),
    bandwidth: c.sourced(d.memory.bandwidth, 'memory.bandwidth', 'bandwidth'),
    flash: c.sourced(d.memory.flash, 'memory.flash', 'bytes'),
    onChipSram: c.sourced(d.memory.onChipSram, 'memory.onChipSram', 'bytes'),
  };
  if (!isObj(d.power)) c.fail('power', 'must be an object');
  const power: DeviceSpec['power'] = { ...d.power, idle: c.sourced(d.power.idle, 'power.idle', 'power'), typical: c.sourced(d.power.typical, 'power.typical', 'power'), max: c.sourced(d.power.max, 'power.max', 'power') };
  if (d.power.inferring !== undefined) power.inferring = c.inferring(d.power.inferring);
  if (!Array.isArray(d.runtimes) || d.runtimes.length === 0) c.fail('runtimes', 'must list at least one runtime');
  const runtimes: DeviceSpec['runtimes'] = d.runtimes.map((r, i) => {
    if (!isObj(r)) c.fail(`runtimes[${i}]`, 'must be {id, name}');
    const rt: DeviceSpec['runtimes'][number] = { ...r, id: c.str(r, 'id', `runtimes[${i}].`), name: c.str(r, 'name', `runtimes[${i}].`) };
    if (r.default === true) rt.default = true;
    return rt;
  });
  if (runtimes.filter((r) => r.default === true).length !== 1) c.fail('runtimes', 'must mark exactly one runtime as default');
  const precisions = Array.isArray(d.precisions) ? d.precisions.map((p) => PRECISIONS.find((x) => x === p)) : [];
  if (!precisions.length || precisions.some((p) => p === undefined)) c.fail('precisions', `must be a non-empty list of ${PRECISIONS.join(', ')}`);
  const constraints = c.list(d.constraints, 'constraints', (k, p) => {
    if (!isObj(k)) c.fail(p, 'must be {text, source}');
    return { ...k, text: c.str(k, 'text', `${p}.`), source: c.str(k, 'source', `${p}.`) };
  });
  return { ...d, id, name, kind, summary, cpu, accelerator, host, memory, power, runtimes, precisions: precisions.filter((p): p is ComputePrecision => p !== undefined), constraints };
}

/** Validates the whole catalog document: unique ids, hosts that exist and have a CPU. */
export function validateCatalog(doc: Json, opSupportKeys: Set<string>): DeviceSpec[] {
  if (!isObj(doc) || !Array.isArray(doc.devices)) throw new CatalogError('devices.json (hardware catalog): the document must be {schemaVersion, devices: [...]}');
  const devices = doc.devices.map((d, i) => validateDevice(d, i, opSupportKeys));
  const ids = new Set<string>();
  for (const d of devices) {
    if (ids.has(d.id)) throw new CatalogError(`devices.json (hardware catalog): device id "${d.id}" appears twice`);
    ids.add(d.id);
  }
  for (const d of devices) {
    if (d.host) {
      const h = devices.find((x) => x.id === d.host!.deviceId);
      if (!h) throw new CatalogError(`devices.json (hardware catalog): device "${d.id}": field "host.deviceId" names "${d.host.deviceId}", which is not in the catalog`);
      if (!h.cpu) throw new CatalogError(`devices.json (hardware catalog): device "${d.id}": host "${h.id}" has no CPU of its own`);
    }
  }
  return devices;
}
