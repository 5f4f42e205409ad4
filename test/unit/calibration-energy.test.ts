import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseCsv, mapEnergyRow, mapRow, energyRowLatency, type EnergyRow, type EnergyPoint, type CalPoint } from '../../scripts/calibration/fit';
import { loadCatalog } from '../../src/planner/catalog';
import { REFERENCE_ARCHS } from '../support/modelgen/reference-archs';
import { sharedDir, SKIP_NO_SHARED } from '../support/shared';

/**
 * energy.csv (measured energy per inference and power, MLPerf Tiny energy mode and a Coral USB supply measurement)
 * maps to catalog devices, reference networks and runtimes the way latency.csv does; nothing is fitted here.
 */
const runtimesOf = (id: string) => loadCatalog().byId(id)?.runtimes.map((r) => r.id) ?? [];
const HEADER = 'model,input,precision,runtime,device,latency_ms,power_w,energy_mj,what_is_measured,source,quote';
const mapText = (text: string) => (parseCsv(text) as unknown as EnergyRow[]).map((r, i) => mapEnergyRow(r, i + 2, runtimesOf));

test('an MLPerf Tiny energy row maps to its device, network and runtime with its power and energy', () => {
  const [p] = mapText(`${HEADER}\n"DS-CNN (MLPerf Tiny KWS reference)",Speech Commands MFCC 49x10,int8,X-CUBE-AI v9.0 (ST),"STM32U575ZI (Cortex-M33 @160 MHz, NUCLEO-U575ZI-Q)",29.056,0.022714,0.6562,energy mode,https://example.org/u575,q\n`);
  assert.ok('device' in p, JSON.stringify(p));
  const e = p as EnergyPoint;
  assert.deepEqual([e.device, e.arch, e.runtime, e.precision, e.scope, e.powerW, e.energyMj, e.latencyMs], ['stm32u5', 'ds_cnn_kws', 'x-cube-ai', 'int8', 'device', 0.022714, 0.6562, 29.056]);
});

test('an energy row\'s performance-mode latency is a latency point of its own: same device, network and runtime, its key apart from latency.csv\'s', () => {
  const line = `"DS-CNN (MLPerf Tiny KWS reference)",Speech Commands MFCC 49x10,int8,X-CUBE-AI v9.0 (ST),"STM32U575ZI (Cortex-M33 @160 MHz, NUCLEO-U575ZI-Q)",29.056,0.022714,0.6562,energy mode,https://example.org/u575,q`;
  const [row] = parseCsv(`${HEADER}\n${line}\n`) as unknown as EnergyRow[];
  const p = mapRow(energyRowLatency(row)!, 2, runtimesOf) as CalPoint;
  assert.ok('device' in p, JSON.stringify(p));
  assert.deepEqual([p.device, p.arch, p.runtime, p.precision, p.measuredMs], ['stm32u5', 'ds_cnn_kws', 'x-cube-ai', 'int8', 29.056]);
  const sameNetwork = mapRow({ ...row, variant: 'MLPerf Tiny v1.1 closed, kws', model_size_mb: '' }, 3, runtimesOf) as CalPoint;
  assert.notEqual(p.key, sameNetwork.key);
  const [noLatency] = parseCsv(`${HEADER}\n${line.replace(',29.056,', ',,')}\n`) as unknown as EnergyRow[];
  assert.equal(energyRowLatency(noLatency), null);
});

test('energy rows without a power figure, or of a device the catalog lacks, are excluded with the reason', () => {
  const [noPower, unknown] = mapText(`${HEADER}\nResNet-8 (MLPerf Tiny IC reference),CIFAR-10,int8,X-CUBE-AI v9.0,STM32H7A3ZI,40,,5.1,energy mode,s,q\nResNet-8 (MLPerf Tiny IC reference),CIFAR-10,int8,X-CUBE-AI v9.0,Some Other Board,40,0.1,5.1,energy mode,s,q\n`);
  assert.ok(!('device' in noPower) && /no power value/.test(noPower.reason));
  assert.ok(!('device' in unknown) && /not in the catalog/.test(unknown.reason));
});

test('energy.csv: every STM32 row maps (X-CUBE-AI 9.0, four MLPerf Tiny networks) and the Coral USB supply power maps to the accelerator', { skip: SKIP_NO_SHARED }, () => {
  const text = fs.readFileSync(path.join(sharedDir, 'calibration', 'energy.csv'), 'utf8');
  const mapped = mapText(text);
  const points = mapped.filter((m): m is EnergyPoint => 'device' in m);
  const mcu = points.filter((p) => p.scope === 'device');
  const stm32Rows = parseCsv(text).filter((r) => /^STM32/.test(r.device)).length;
  assert.ok(stm32Rows > 0);
  assert.equal(mcu.length, stm32Rows, JSON.stringify(mapped.filter((m) => !('device' in m))));
  assert.deepEqual([...new Set(mcu.map((p) => p.device))].sort(), ['stm32h7', 'stm32l4', 'stm32u5']);
  assert.deepEqual([...new Set(mcu.map((p) => p.arch))].sort(), ['ds_cnn_kws', 'fc_autoencoder_ad', 'mobilenet_v1_0.25_96_vww', 'resnet8_cifar']);
  for (const p of mcu) {
    assert.equal(p.runtime, 'x-cube-ai', p.label);
    assert.ok(p.arch && REFERENCE_ARCHS[p.arch], p.label);
    // Units check: energy per inference (mJ) ~ board power (W) x latency (ms) of the separate performance run.
    const ratio = p.energyMj! / (p.powerW * p.latencyMs!);
    assert.ok(ratio > 0.9 && ratio < 1.1, `${p.label}: ${p.energyMj} mJ vs ${p.powerW} W x ${p.latencyMs} ms`);
  }
  const coral = points.filter((p) => p.scope === 'accelerator');
  assert.equal(coral.length, 1);
  assert.deepEqual([coral[0].device, coral[0].arch, coral[0].energyMj], ['coral-usb', null, null]);
  assert.ok(coral[0].powerW > 0.5 && coral[0].powerW < 0.6 && /USB 2\.0/.test(coral[0].note ?? ''));
  const rest = mapped.filter((m) => !('device' in m));
  assert.equal(rest.length, 1, 'only the Geekbench board-power row is left out');
  assert.match((rest[0] as { reason: string }).reason, /not an inference/);
});
