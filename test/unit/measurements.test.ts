import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseBenchmarkLog, addMeasurement, readStore, corrections, correctionFor, MeasurementError } from '../../src/planner/estimate/measurements';
import { tempDir } from '../support/shared';
import { latencyOriginText, latencyOriginTitle } from '../../src/planner/latency-origin';

test('TFLite benchmark_model log: the steady-state average in microseconds', () => {
  const log = [
    'STARTING!',
    'Loaded model mobilenet_v1_1.0_224.tflite',
    'The input model file size (MB): 16.9008',
    'Inference timings in us: Init: 23951, First inference: 123456, Warmup (avg): 98765.4, Inference (avg): 87654.3',
  ].join('\n');
  const r = parseBenchmarkLog(log);
  assert.equal(r.source, 'tflite benchmark_model');
  assert.equal(r.latencyMs, 87.6543);
});

test('trtexec log: GPU compute median preferred over host latency', () => {
  const log = [
    '[11/25/2026-10:00:00] [I] Latency: min = 3.1 ms, max = 4.2 ms, mean = 3.3 ms, median = 3.25 ms, percentile(90%) = 3.5 ms',
    '[11/25/2026-10:00:00] [I] GPU Compute Time: min = 2.01 ms, max = 2.9 ms, mean = 2.2 ms, median = 2.15 ms, percentile(90%) = 2.4 ms',
  ].join('\n');
  const r = parseBenchmarkLog(log);
  assert.equal(r.latencyMs, 2.15);
  assert.match(r.source, /GPU Compute Time/);
});

test('onnxruntime_perf_test and junk', () => {
  assert.equal(parseBenchmarkLog('Session creation time cost: 0.1 s\nAverage inference time cost: 12.5 ms\n').latencyMs, 12.5);
  assert.throws(() => parseBenchmarkLog('hello'), MeasurementError);
  assert.throws(() => parseBenchmarkLog('Average inference time cost: 0 ms'), /not a usable number/);
});

test('store round trip and per-device geometric-mean factor', () => {
  const file = path.join(tempDir('meas'), '.edgeplan', 'measurements.json');
  const base = { model: 'm.onnx', precision: 'int8', source: 'typed', date: '2026-11-25' };
  addMeasurement(file, { ...base, device: 'rpi5', measuredMs: 20, estimatedMs: 10 });
  addMeasurement(file, { ...base, device: 'rpi5', measuredMs: 40, estimatedMs: 10 });
  addMeasurement(file, { ...base, device: 'coral-usb', measuredMs: 5, estimatedMs: 10 });
  const c = corrections(readStore(file));
  assert.ok(Math.abs(c.get('rpi5')!.factor - Math.sqrt(2 * 4)) < 1e-9);
  assert.equal(c.get('rpi5')!.points, 2);
  assert.ok(Math.abs(c.get('coral-usb')!.factor - 0.5) < 1e-12);
  fs.writeFileSync(file, '{"not":"a store"}');
  assert.throws(() => readStore(file), /not a measurements file/);
});

test('edgeplan measure stores a measurement and estimate/plan then agree with it for the same model', async () => {
  const { main } = await import('../../src/cli');
  const dir = tempDir('meas-cli');
  const store = path.join(dir, 'm.json');
  const sample = path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx');
  const out: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(`ERR ${s}`) };
  assert.equal(await main(['measure', sample, '--device', 'rpi5', '--latency-ms', '7.5', '--store', store, '--json'], io), 0, out.join('\n'));
  const rec = JSON.parse(out.pop() as string);
  assert.equal(rec.measuredMs, 7.5);
  assert.ok(rec.factor > 0 && Math.abs(rec.factor - 7.5 / rec.estimatedMs) < 1e-9);
  assert.equal(await main(['estimate', sample, '--device', 'rpi5', '--measurements', store, '--json'], io), 0);
  const est = JSON.parse(out.pop() as string).estimates[0];
  assert.ok(Math.abs(est.latencyMs.typical - 7.5) < 1e-6, `corrected typical ${est.latencyMs.typical}`);
  // The same file, precision and runtime: the figure is the measurement, labelled as measured, its range the runs'.
  assert.deepEqual([est.latencyMs.low, est.latencyMs.high], [7.5, 7.5]);
  assert.ok(est.assumptions.some((a: string) => a.startsWith('Latency measured, not estimated: your 1 run of tiny-cnn.onnx at fp32 with xnnpack on this device (edgeplan measure): 7.5 ms; the calibrated estimate was')), est.assumptions.join('\n'));
  // At another precision the model is a different configuration: corrected by the ratio, and said so.
  assert.equal(await main(['estimate', sample, '--device', 'rpi5', '--precision', 'int8', '--measurements', store, '--json'], io), 0);
  const int8 = JSON.parse(out.pop() as string).estimates[0];
  assert.ok(int8.latencyMs.low < int8.latencyMs.typical && int8.assumptions.some((a: string) => /^Corrected by your 1 measurement on this device with xnnpack/.test(a)), int8.assumptions.join('\n'));
  // Each says what it is, in the fields the views label it by (src/planner/latency-origin.ts).
  assert.deepEqual([est.latencyMeasured, est.latencyCorrected], [{ runs: 1 }, undefined]);
  assert.equal(int8.latencyMeasured, undefined);
  assert.equal(int8.latencyCorrected.runs, 1);
  assert.ok(Math.abs(int8.latencyCorrected.factor - rec.factor) < 1e-9);
  assert.equal(latencyOriginText(est), 'measured (1 run)');
  assert.equal(latencyOriginText(int8), `estimate corrected by your 1 run (x${rec.factor.toFixed(2)})`);
  assert.equal(latencyOriginText({}), 'estimate');
  const outside = { calibration: { outsideSpan: { sentence: 'Outside the calibrated sizes: this model is 9x smaller.' } } };
  assert.equal(latencyOriginText(outside), 'extrapolated estimate', 'an estimate outside the calibrated sizes says so next to the figure');
  assert.match(latencyOriginTitle(outside), /Outside the calibrated sizes: this model is 9x smaller\.$/);
  assert.equal(latencyOriginText({ ...outside, latencyMeasured: { runs: 2 } }), 'measured (2 runs)', 'a measurement is not extrapolated');
  assert.equal(await main(['measure', sample, '--device', 'rpi5', '--store', store], io), 2, 'needs --latency-ms or --log');
  assert.equal(await main(['estimate', sample, '--device', 'rpi5', '--measurements', path.join(dir, 'missing.json')], io), 1);
});

test('a benchmark_model log\'s thread count is read, and measure compares the run with an estimate at those threads', async () => {
  const timing = 'Inference timings in us: Init: 23951, First inference: 123456, Warmup (avg): 98765.4, Inference (avg): 87654.3';
  assert.equal(parseBenchmarkLog(['STARTING!', 'Num threads: [1]', timing].join('\n')).threads, 1);
  assert.equal(parseBenchmarkLog(['#threads used for CPU inference: [4]', timing].join('\n')).threads, 4);
  assert.equal(parseBenchmarkLog(['Num threads: [-1]', timing].join('\n')).threads, undefined, '-1 is the tool\'s default, not a count');
  assert.equal(parseBenchmarkLog(timing).threads, undefined);

  const { main } = await import('../../src/cli');
  const dir = tempDir('meas-threads');
  const store = path.join(dir, 'm.json');
  const log = path.join(dir, 'bench.log');
  fs.writeFileSync(log, ['Num threads: [1]', timing].join('\n'));
  const sample = path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx');
  const out: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(`ERR ${s}`) };
  assert.equal(await main(['estimate', sample, '--device', 'rpi5', '--threads', '1', '--json'], io), 0);
  const oneThread = JSON.parse(out.pop() as string).estimates[0].latencyMs.typical;
  assert.equal(await main(['measure', sample, '--device', 'rpi5', '--log', log, '--store', store, '--json'], io), 0, out.join('\n'));
  const rec = JSON.parse(out.pop() as string);
  assert.ok(Math.abs(rec.estimatedMs - oneThread) < 1e-9, `compared with the 1-thread estimate ${oneThread}, got ${rec.estimatedMs}`);
  assert.equal(readStore(store).measurements[0].cpuThreads, 1);
  // --threads overrides the log; a microcontroller has no thread count to take.
  assert.equal(await main(['measure', sample, '--device', 'rpi5', '--log', log, '--threads', '4', '--store', store, '--json'], io), 0);
  assert.equal(readStore(store).measurements[1].cpuThreads, 4);
  assert.equal(await main(['measure', sample, '--device', 'stm32h7', '--latency-ms', '100', '--threads', '2', '--store', store], io), 1);
  // A store edited by hand with a nonsense thread count keeps the measurement and drops the count.
  const raw = JSON.parse(fs.readFileSync(store, 'utf8'));
  raw.measurements[0].cpuThreads = 'many';
  fs.writeFileSync(store, JSON.stringify(raw));
  assert.equal(readStore(store).measurements[0].cpuThreads, undefined);
});

test('--runtime: estimate uses that runtime\'s fitted speed and range, measure compares the run with an estimate at that runtime; a runtime the device lacks is refused', async () => {
  const { main } = await import('../../src/cli');
  const calibration = (await import('../../src/planner/catalog/calibration.json')).default as unknown as { devices: Record<string, { runtimeFactors: Record<string, number>; range: { high: number }; runtimeRanges?: Record<string, { high: number; points: number }> }> };
  const dir = tempDir('meas-runtime');
  const store = path.join(dir, 'm.json');
  const sample = path.resolve(__dirname, '..', '..', '..', 'samples', 'tiny-cnn.onnx');
  const out: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(`ERR ${s}`) };
  const estimate = async (extra: string[]) => {
    assert.equal(await main(['estimate', sample, '--device', 'rpi5', ...extra, '--json'], io), 0, out.join('\n'));
    return JSON.parse(out.pop() as string).estimates[0];
  };
  const [byDefault, ncnn, xnnpack] = [await estimate([]), await estimate(['--runtime', 'ncnn']), await estimate(['--runtime', 'xnnpack'])];
  const rpi5 = calibration.devices.rpi5;
  assert.equal(byDefault.runtime, 'xnnpack', 'the Pi 5\'s default runtime');
  assert.equal(ncnn.runtime, 'ncnn');
  assert.equal(xnnpack.latencyMs.typical, byDefault.latencyMs.typical);
  // NCNN's fitted factor divides the whole graph time: the typical estimates differ by the two runtimes' factors.
  const expected = rpi5.runtimeFactors.xnnpack / rpi5.runtimeFactors.ncnn;
  assert.ok(Math.abs(ncnn.latencyMs.typical / byDefault.latencyMs.typical - expected) < 1e-6, `${ncnn.latencyMs.typical} / ${byDefault.latencyMs.typical} vs ${expected}`);
  // ExecuTorch (the Arm harness's 5 training points), LiteRT's XNNPACK (4) and NCNN (1) have ranges of their own on
  // the Pi 5 (rules v6, v8); PyTorch, without a published Pi 5 point, takes the device's.
  const executorch = await estimate(['--runtime', 'executorch']);
  assert.equal(executorch.runtime, 'executorch');
  assert.ok(rpi5.runtimeRanges?.executorch, 'calibration.json gives the Pi 5\'s ExecuTorch a range of its own');
  assert.ok(Math.abs(executorch.latencyMs.high / executorch.latencyMs.typical - rpi5.runtimeRanges!.executorch.high) < 1e-9);
  assert.ok(Math.abs(executorch.latencyMs.typical / byDefault.latencyMs.typical - rpi5.runtimeFactors.xnnpack / rpi5.runtimeFactors.executorch) < 1e-6, 'ExecuTorch and LiteRT have factors of their own');
  assert.ok(Math.abs(xnnpack.latencyMs.high / xnnpack.latencyMs.typical - rpi5.runtimeRanges!.xnnpack.high) < 1e-9);
  assert.ok(Math.abs(ncnn.latencyMs.high / ncnn.latencyMs.typical - rpi5.runtimeRanges!.ncnn.high) < 1e-9);
  assert.equal(rpi5.runtimeRanges?.pytorch, undefined);
  const pytorch = await estimate(['--runtime', 'pytorch']);
  assert.ok(Math.abs(pytorch.latencyMs.high / pytorch.latencyMs.typical - rpi5.range.high) < 1e-9, 'a runtime without a published point: the device\'s range');
  // A runtime the device does not offer: refused, naming the device's runtimes.
  assert.equal(await main(['estimate', sample, '--device', 'rpi5,coral-usb', '--runtime', 'ncnn'], io), 1);
  assert.match(out.join('\n'), /--runtime ncnn is not a runtime of coral-usb; its runtimes: libedgetpu-std/);
  // measure --runtime: the ratio is taken against the estimate at that runtime, and the store says which runtime ran.
  assert.equal(await main(['measure', sample, '--device', 'rpi5', '--runtime', 'ncnn', '--latency-ms', '5', '--store', store, '--json'], io), 0, out.join('\n'));
  const rec = JSON.parse(out.pop() as string);
  assert.ok(Math.abs(rec.estimatedMs - ncnn.latencyMs.typical) < 1e-9, `compared with the NCNN estimate ${ncnn.latencyMs.typical}, got ${rec.estimatedMs}`);
  assert.equal(readStore(store).measurements[0].runtime, 'ncnn');
  assert.equal(await main(['estimate', sample, '--device', 'rpi5', '--runtime', 'ncnn', '--measurements', store, '--json'], io), 0);
  assert.ok(Math.abs(JSON.parse(out.pop() as string).estimates[0].latencyMs.typical - 5) < 1e-6, 'the corrected NCNN estimate reproduces the measurement');
  // A second run with the default runtime (no --runtime): each runtime is corrected by its own runs; ExecuTorch, not
  // measured, by both, saying with which runtimes they were taken.
  assert.equal(await main(['measure', sample, '--device', 'rpi5', '--latency-ms', '40', '--store', store, '--json'], io), 0, out.join('\n'));
  const rec2 = JSON.parse(out.pop() as string);
  assert.equal(rec2.runtime, 'xnnpack');
  assert.equal(rec2.points, 1, 'the factor of the runtime just measured rests on its own run');
  const corrected = async (extra: string[]) => {
    assert.equal(await main(['estimate', sample, '--device', 'rpi5', ...extra, '--measurements', store, '--json'], io), 0, out.join('\n'));
    return JSON.parse(out.pop() as string).estimates[0];
  };
  const [cx, cn, ce] = [await corrected([]), await corrected(['--runtime', 'ncnn']), await corrected(['--runtime', 'executorch'])];
  assert.ok(Math.abs(cx.latencyMs.typical - 40) < 1e-6, `LiteRT corrected by its own run: ${cx.latencyMs.typical}`);
  assert.ok(Math.abs(cn.latencyMs.typical - 5) < 1e-6, `NCNN still by its own run: ${cn.latencyMs.typical}`);
  assert.ok(cx.assumptions.some((a: string) => a.startsWith('Latency measured, not estimated: your 1 run of tiny-cnn.onnx')), cx.assumptions.join('\n'));
  assert.deepEqual([cn.latencyMs.low, cn.latencyMs.high], [5, 5], 'NCNN measured on this very file');
  const both = Math.sqrt((5 / ncnn.latencyMs.typical) * (40 / xnnpack.latencyMs.typical));
  assert.ok(Math.abs(ce.latencyMs.typical / executorch.latencyMs.typical - both) < 1e-6, 'an unmeasured runtime takes the geometric mean of every run');
  assert.ok(ce.assumptions.some((a: string) => a.startsWith('Corrected by your 2 measurements on this device, taken with ncnn, xnnpack, none with executorch')), ce.assumptions.join('\n'));
});

test('correctionFor: a runtime\'s own runs where it has any (a run without a runtime was the default\'s), else every run of the device', () => {
  const file = path.join(tempDir('meas-rt'), 'm.json');
  const base = { model: 'm.onnx', precision: 'int8', source: 'typed', date: '2026-12-04', device: 'rpi5' };
  addMeasurement(file, { ...base, measuredMs: 20, estimatedMs: 10 });
  addMeasurement(file, { ...base, measuredMs: 30, estimatedMs: 10, runtime: 'xnnpack' });
  addMeasurement(file, { ...base, measuredMs: 5, estimatedMs: 10, runtime: 'ncnn' });
  const c = corrections(readStore(file)).get('rpi5')!;
  assert.equal(c.points, 3);
  const x = correctionFor(c, 'xnnpack', 'xnnpack');
  assert.equal(x.points, 2, 'the run without a runtime counts as the default\'s');
  assert.ok(Math.abs(x.factor - Math.sqrt(6)) < 1e-9);
  assert.equal(x.otherRuntimes, null);
  const n = correctionFor(c, 'ncnn', 'xnnpack');
  assert.deepEqual([n.points, n.factor, n.spread], [1, 0.5, 0]);
  const o = correctionFor(c, 'openvino', 'xnnpack');
  assert.equal(o.points, 3);
  assert.ok(Math.abs(o.factor - Math.cbrt(2 * 3 * 0.5)) < 1e-9);
  assert.deepEqual(o.otherRuntimes, ['ncnn', 'xnnpack']);
  assert.ok(o.spread > 0);
});
