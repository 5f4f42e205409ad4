import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog, buildCatalog, CatalogError, toBase, loadOpSupport } from '../../src/planner/catalog';
import devicesJson from '../../src/planner/catalog/devices.json';
import type { SourcedNumber } from '../../src/planner/types';

const REQUIRED = ['rpi5', 'rpi4', 'jetson-orin-nano', 'jetson-orin-nano-super', 'coral-usb', 'coral-devboard', 'apple-a17-pro', 'apple-m1', 'snapdragon-8-gen-3', 'snapdragon-8-gen-2', 'stm32h7', 'stm32f7', 'stm32l4', 'stm32u5', 'esp32-s3'];

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** Every {value, unit, ...} object anywhere in a value, with its path. */
function numbersIn(v: unknown, path: string, out: { path: string; n: Record<string, unknown> }[] = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => numbersIn(x, `${path}[${i}]`, out));
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('value' in o && 'unit' in o) out.push({ path, n: o });
    else for (const [k, x] of Object.entries(o)) numbersIn(x, `${path}.${k}`, out);
  }
  return out;
}

test('catalog: every required device id is present and loads', () => {
  const cat = loadCatalog();
  for (const id of REQUIRED) assert.ok(cat.byId(id), `missing device ${id}`);
  assert.equal(cat.byId('no-such-device'), undefined);
  assert.equal(loadCatalog(), cat, 'cached');
});

test('catalog: every number carries a source and a quote; derived figures show their arithmetic', () => {
  const nums = numbersIn(loadCatalog().devices, 'devices');
  assert.ok(nums.length > 80, `expected many sourced numbers, found ${nums.length}`);
  for (const { path, n } of nums) {
    const ref = n.ref as Record<string, unknown> | undefined;
    assert.ok(ref && typeof ref.source === 'string' && ref.source.length > 5, `${path}: no source`);
    assert.ok(typeof ref.quote === 'string' && ref.quote.length > 3, `${path}: no quote`);
    if (ref.confidence === 'D') assert.ok(typeof ref.note === 'string' && /\d/.test(ref.note), `${path}: derived without arithmetic`);
  }
});

test('catalog: known facts read back in base units', () => {
  const cat = loadCatalog();
  const coral = cat.byId('coral-usb')!;
  assert.equal(toBase(coral.accelerator!.peak.int8, 'throughput'), 4e12);
  assert.equal(toBase(coral.accelerator!.onChipParamCache, 'bytes'), 8e6);
  assert.deepEqual(Object.keys(coral.accelerator!.precisions), ['int8']);
  assert.equal(coral.host?.deviceId, 'rpi5');
  assert.equal(toBase(cat.byId('jetson-orin-nano-super')!.memory.bandwidth, 'bandwidth'), 102e9);
  assert.equal(toBase(cat.byId('jetson-orin-nano')!.memory.bandwidth, 'bandwidth'), 68e9);
  assert.equal(toBase(cat.byId('stm32f7')!.memory.ram, 'bytes'), 320 * 1024);
  assert.equal(toBase(cat.byId('stm32f7')!.memory.flash, 'bytes'), 1024 * 1024);
  assert.equal(toBase(cat.byId('stm32l4')!.cpu!.clock, 'frequency'), 120e6);
  assert.equal(toBase(cat.byId('stm32h7')!.power.typical, 'power'), 0.1223);
  // Unknowns stay null rather than invented.
  assert.equal(cat.byId('snapdragon-8-gen-2')!.accelerator!.peak.int8, null);
  assert.equal(cat.byId('apple-a17-pro')!.memory.bandwidth, null);
  for (const d of cat.devices) assert.ok(d.kind.length && d.name.length && d.id.length);
  // JSON-serialisable as the CLI prints it.
  const round = JSON.parse(JSON.stringify({ devices: cat.devices }));
  assert.equal(round.devices.length, cat.devices.length);
});

test('catalog: op lists exist for every unit and name real ops', () => {
  const ops = loadOpSupport();
  for (const d of loadCatalog().devices) {
    for (const u of [d.cpu, d.accelerator]) if (u) assert.ok(ops.targets[u.opSupport], `${d.id}: op list ${u.opSupport}`);
  }
  assert.ok(ops.targets.edgetpu.ops!.includes('CONV_2D'));
  assert.ok(!ops.targets.edgetpu.ops!.includes('EXP'), 'EXP is not an Edge TPU op');
  assert.equal(ops.onnxToCanonical.Conv, 'CONV_2D');
});

test('catalog: a broken entry gives a clear error naming the device and field', () => {
  const missingRef = clone(devicesJson) as { devices: Record<string, any>[] };
  delete (missingRef.devices[0].memory.ram as Record<string, unknown>).ref;
  assert.throws(() => buildCatalog(missingRef), (e: Error) => e instanceof CatalogError && /device "rpi5"/.test(e.message) && /memory\.ram\.ref/.test(e.message) && /source/.test(e.message));

  const badUnit = clone(devicesJson) as { devices: Record<string, any>[] };
  badUnit.devices.find((d) => d.id === 'coral-usb')!.accelerator.peak.int8.unit = 'furlongs';
  assert.throws(() => buildCatalog(badUnit), /device "coral-usb": field "accelerator\.peak\.int8\.unit" must be one of TOPS/);

  const negative = clone(devicesJson) as { devices: Record<string, any>[] };
  negative.devices.find((d) => d.id === 'stm32l4')!.memory.flash.value = -2;
  assert.throws(() => buildCatalog(negative), /device "stm32l4": field "memory\.flash\.value" must be a positive finite number/);

  const missingField = clone(devicesJson) as { devices: Record<string, any>[] };
  delete (missingField.devices.find((d) => d.id === 'apple-m1')!.power as Record<string, unknown>).idle;
  assert.throws(() => buildCatalog(missingField), /device "apple-m1": field "power\.idle" is missing \(use null/);

  const dup = clone(devicesJson) as { devices: Record<string, any>[] };
  dup.devices.push(clone(dup.devices[0]));
  assert.throws(() => buildCatalog(dup), /device id "rpi5" appears twice/);

  const badHost = clone(devicesJson) as { devices: Record<string, any>[] };
  badHost.devices.find((d) => d.id === 'coral-usb')!.host.deviceId = 'pi-zero';
  assert.throws(() => buildCatalog(badHost), /host\.deviceId" names "pi-zero"/);

  for (const [bad, message] of [[0, /cpu\.peakCores\.value" must be a positive finite number/], [2.5, /cpu\.peakCores\.value" must be a whole number of cores from 1 to the unit's cores/], [9, /cpu\.peakCores\.value" must be a whole number of cores/]] as const) {
    const peakCores = clone(devicesJson) as { devices: Record<string, any>[] };
    peakCores.devices.find((d) => d.id === 'apple-m1')!.cpu.peakCores.value = bad;
    assert.throws(() => buildCatalog(peakCores), message, String(bad));
  }
  const bareCores = clone(devicesJson) as { devices: Record<string, any>[] };
  bareCores.devices.find((d) => d.id === 'apple-m1')!.cpu.peakCores = 4;
  assert.throws(() => buildCatalog(bareCores), /device "apple-m1": field "cpu\.peakCores"/, 'a bare number without its source');

  const disordered = clone(devicesJson) as { devices: Record<string, any>[] };
  disordered.devices.find((d) => d.id === 'snapdragon-8-gen-3')!.power.inferring.low.value = 9;
  assert.throws(() => buildCatalog(disordered), /snapdragon-8-gen-3": field "power\.inferring" must have low <= typical <= high/);
  const noScope = clone(devicesJson) as { devices: Record<string, any>[] };
  delete noScope.devices.find((d) => d.id === 'apple-a17-pro')!.power.inferring.scope;
  assert.throws(() => buildCatalog(noScope), /apple-a17-pro": field "power\.inferring\.scope"/);
  const unsourced = clone(devicesJson) as { devices: Record<string, any>[] };
  delete unsourced.devices.find((d) => d.id === 'apple-a17-pro')!.power.inferring.high.ref;
  assert.throws(() => buildCatalog(unsourced), /apple-a17-pro": field "power\.inferring\.high\.ref" is missing/);

  const noQuote = clone(devicesJson) as { devices: Record<string, any>[] };
  noQuote.devices.find((d) => d.id === 'jetson-orin-nano')!.accelerator.peak.fp16.ref.quote = '';
  assert.throws(() => buildCatalog(noQuote), /jetson-orin-nano": field "accelerator\.peak\.fp16\.ref\.quote" must be a non-empty string/);
});
