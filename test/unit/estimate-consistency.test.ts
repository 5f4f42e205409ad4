/** Cross-device consistency of the estimator on a real model (the sample the README plans for). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import { estimateDevice } from '../../src/planner/estimate';
import { repoRoot } from '../support/shared';

const sample = path.join(repoRoot, 'samples', 'tiny-cnn.onnx');

test('an fp32 model on the Coral USB runs on its Pi 5 host: no faster than on the Pi 5 itself', async () => {
  const { model } = await analyzeFile(sample);
  const coral = estimateDevice(model, 'coral-usb');
  const pi = estimateDevice(model, 'rpi5');
  assert.equal(coral.compatibility.verdict, 'none');
  assert.ok(coral.layers.every((l) => l.unit === 'cpu'));
  assert.ok(coral.latencyMs.typical >= pi.latencyMs.typical, `coral ${coral.latencyMs.typical} ms vs rpi5 ${pi.latencyMs.typical} ms`);
});

test('the same model quantized to int8 runs on the Edge TPU and is faster there than all-CPU fp32', async () => {
  const { model } = await analyzeFile(sample);
  const fp32 = estimateDevice(model, 'coral-usb');
  const int8Profile = { ...model, layers: model.layers.map((l) => ({ ...l, precision: 'int8' as const, weightPrecision: 'int8' as const, weightBytes: l.params })) };
  const int8 = estimateDevice(int8Profile, 'coral-usb', { precision: 'int8' });
  assert.notEqual(int8.compatibility.verdict, 'none');
  assert.ok(int8.layers.some((l) => l.unit === 'accelerator'));
  assert.ok(int8.latencyMs.typical < fp32.latencyMs.typical, `int8 ${int8.latencyMs.typical} vs fp32 ${fp32.latencyMs.typical}`);
});

test('every range is ordered low <= typical <= high on every catalog device that gives one', async () => {
  const { model } = await analyzeFile(sample);
  const { loadCatalog } = await import('../../src/planner/catalog');
  for (const d of loadCatalog().devices) {
    const e = estimateDevice(model, d.id, d.precisions.includes('fp32') ? {} : { precision: 'int8' });
    if (!Number.isFinite(e.latencyMs.typical)) continue;
    assert.ok(e.latencyMs.low <= e.latencyMs.typical && e.latencyMs.typical <= e.latencyMs.high, `${d.id}: ${JSON.stringify(e.latencyMs)}`);
    if (e.energyMj) assert.ok(e.energyMj.low <= e.energyMj.typical && e.energyMj.typical <= e.energyMj.high, `${d.id} energy`);
  }
});

test('a microcontroller without a published peak is estimated from its clock, not from an application CPU', async () => {
  const { model } = await analyzeFile(sample);
  const esp = estimateDevice(model, 'esp32-s3', { precision: 'int8' });
  const h7 = estimateDevice(model, 'stm32h7', { precision: 'int8' });
  const pi = estimateDevice(model, 'rpi5', { precision: 'int8' });
  // 2x LX7 @ 240 MHz (one core used) vs Cortex-M7 @ 280 MHz with a 2 MAC/cycle peak: not faster.
  assert.ok(esp.latencyMs.typical >= h7.latencyMs.typical, `esp32-s3 ${esp.latencyMs.typical} ms vs stm32h7 ${h7.latencyMs.typical} ms`);
  assert.ok(esp.latencyMs.typical > 10 * pi.latencyMs.typical, 'an MCU is far slower than a Pi 5');
  assert.ok(esp.assumptions.some((a) => /MAC\/cycle/.test(a)) || esp.layers.length > 0);
});

test('a CPU that borrows the peak of another CPU says its latency is a lower bound', async () => {
  const { model } = await analyzeFile(sample);
  const board = estimateDevice(model, 'coral-devboard');
  assert.equal(board.compatibility.verdict, 'none', 'fp32 does not run on the Edge TPU');
  assert.equal(board.latencyBasis, 'lower-bound');
  assert.ok(board.assumptions.some((a) => /stands in/.test(a)));
});

test('power without a measured load figure is not interpolated towards a power-supply rating', async () => {
  const { model } = await analyzeFile(sample);
  const pi5 = estimateDevice(model, 'rpi5', { precision: 'int8' });
  const pi4 = estimateDevice(model, 'rpi4', { precision: 'int8' });
  // Pi 5: idle 4.08 W and a 25 W supply rating; typical comes from the Pi 4's measured load/idle ratio (5.4 / 3.06).
  assert.ok(pi5.powerW && Math.abs(pi5.powerW.typical - 4.08 * (5.4 / 3.06)) < 1e-6, JSON.stringify(pi5.powerW));
  assert.ok(pi5.powerW!.typical < 25 / 2, 'not the midpoint of idle and the supply rating');
  assert.ok(pi5.assumptions.some((a) => /load\/idle ratio measured on Raspberry Pi 4/.test(a)));
  assert.equal(pi4.powerW?.typical, 5.4);
});

/** A path on someone's machine: an absolute or parent-relative path, a home folder, or a data file name. */
const MACHINE_PATH = /(?:^|[\s(])(?:\/(?:work|home|tmp|root|Users|var)\/|\.\.\/|~\/)|\b[\w-]+\.csv\b/;

test('no estimate text names a path on the developer\'s machine (calibration notes name the published sources)', async () => {
  const { model } = await analyzeFile(sample);
  const { loadCatalog } = await import('../../src/planner/catalog');
  for (const d of loadCatalog().devices) {
    const e = estimateDevice(model, d.id, d.precisions.includes('fp32') ? {} : { precision: 'int8' });
    const texts = [...e.assumptions, e.calibration?.note ?? '', e.compatibility.summary, ...e.compatibility.blockers, ...e.compatibility.fallback.map((f) => f.reason)];
    for (const t of texts) assert.doesNotMatch(t, MACHINE_PATH, `${d.id}: ${t}`);
    assert.ok(e.calibration?.note, `${d.id}: a calibration note`);
  }
});
