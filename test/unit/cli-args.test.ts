import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, values, numberFlag, bindingsFlag, UsageError } from '../../src/cli/args';

const spec = { device: { value: true, repeat: true }, json: { value: false }, 'latency-ms': { value: true }, bind: { value: true, repeat: true } };

test('--device repeats and takes comma lists', () => {
  const p = parseArgs(['m.onnx', '--device', 'rpi5,coral-usb', '--device=jetson-orin-nano', '--json'], spec);
  assert.deepEqual(p.positionals, ['m.onnx']);
  assert.deepEqual(values(p, 'device'), ['rpi5', 'coral-usb', 'jetson-orin-nano']);
  assert.equal(p.flags.has('json'), true);
});

test('unknown flags, missing values and bad numbers are usage errors', () => {
  assert.throws(() => parseArgs(['--nope'], spec), UsageError);
  assert.throws(() => parseArgs(['--device'], spec), /needs a value/);
  assert.throws(() => parseArgs(['--json=1'], spec), /takes no value/);
  assert.throws(() => numberFlag(parseArgs(['--latency-ms', 'fast'], spec), 'latency-ms'), /must be a number/);
  assert.throws(() => numberFlag(parseArgs(['--latency-ms', '-5'], spec), 'latency-ms', { min: 0.001 }), /at least/);
  assert.equal(numberFlag(parseArgs(['--latency-ms', '12.5'], spec), 'latency-ms'), 12.5);
});

test('--bind NAME=N builds bindings and rejects junk', () => {
  assert.deepEqual({ ...bindingsFlag(parseArgs(['--bind', 'batch=1,sequence=128'], spec)) }, { batch: 1, sequence: 128 });
  assert.throws(() => bindingsFlag(parseArgs(['--bind', 'batch'], spec)), /NAME=NUMBER/);
  assert.throws(() => bindingsFlag(parseArgs(['--bind', 'batch=0'], spec)), /between 1/);
});
