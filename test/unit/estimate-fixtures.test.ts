import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import { analyzeFile } from '../../src/analyzers';
import { estimateDevice } from '../../src/planner/estimate';
import { loadCatalog } from '../../src/planner/catalog';
import { fixture, sharedDir, SKIP_NO_SHARED } from '../support/shared';
import * as path from 'path';

/** Every real fixture the analyzers read, on every catalog device: a result (never a crash), sane numbers. */
test('real fixtures estimate on every device without crashing', { skip: SKIP_NO_SHARED }, async () => {
  const files = fs.readdirSync(path.join(sharedDir, 'models', 'fixtures'));
  const devices = loadCatalog().devices.map((d) => d.id);
  let estimated = 0;
  for (const f of files) {
    let model;
    try {
      model = (await analyzeFile(fixture(f))).model;
    } catch {
      continue; // format readers are tested elsewhere
    }
    for (const id of devices) {
      const e = estimateDevice(model, id);
      estimated++;
      assert.ok(['full', 'partial', 'none', 'unsupported'].includes(e.compatibility.verdict), `${f} on ${id}`);
      assert.ok(e.memory.weightsBytes >= 0 && e.memory.totalBytes >= e.memory.weightsBytes * (id.startsWith('stm32') || id === 'esp32-s3' ? 0 : 1), `${f} on ${id}: memory`);
      if (e.latencyBasis !== 'unknown') {
        assert.ok(Number.isFinite(e.latencyMs.typical) && e.latencyMs.typical > 0, `${f} on ${id}: latency ${e.latencyMs.typical}`);
        assert.ok(e.latencyMs.low <= e.latencyMs.typical && e.latencyMs.typical <= e.latencyMs.high, `${f} on ${id}: range`);
      }
      assert.doesNotThrow(() => JSON.stringify(e));
    }
  }
  assert.ok(estimated > 100, `${estimated} estimates`);
});

test('real Edge TPU compiled model: runs on the Coral, not on the Pi; the uncompiled int8 model runs on the Edge TPU', { skip: SKIP_NO_SHARED }, async () => {
  const compiled = (await analyzeFile(fixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite'))).model;
  const coral = estimateDevice(compiled, 'coral-usb');
  assert.notEqual(coral.compatibility.verdict, 'unsupported');
  assert.ok(coral.layers.some((l) => l.unit === 'accelerator'));
  assert.equal(estimateDevice(compiled, 'rpi5').compatibility.verdict, 'unsupported');
  const plain = (await analyzeFile(fixture('mobilenet_v1_0.25_128_quant.tflite'))).model;
  const e = estimateDevice(plain, 'coral-usb');
  assert.equal(e.precision, 'int8');
  assert.equal(e.compatibility.verdict, 'full', e.compatibility.summary);
  // The same int8 model on the MCU: 0.47 MB of weights fit 2 MB flash.
  const m = estimateDevice(plain, 'stm32h7');
  assert.equal(m.memory.flash!.fits, true);
  // The float KWS model on the Edge TPU falls back to the host CPU.
  const f = estimateDevice((await analyzeFile(fixture('kws_ref_model_float32.tflite'))).model, 'coral-usb');
  assert.equal(f.compatibility.verdict, 'none');
});
