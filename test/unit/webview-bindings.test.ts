import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingRows, bindingsChanged, collectBindings, parseBindingText } from '../../webview/lib/bindings';
import { parseFromWebview } from '../../src/protocol';

test('binding field: digits from 1 to 1,000,000 are sizes; anything else gets a message for the field', () => {
  assert.deepEqual(parseBindingText('4'), { ok: true, value: 4 });
  assert.deepEqual(parseBindingText(' 128 '), { ok: true, value: 128 });
  assert.deepEqual(parseBindingText('1000000'), { ok: true, value: 1_000_000 });
  const cases: [string, RegExp][] = [
    ['', /from 1 to 1,000,000/],
    ['   ', /from 1 to 1,000,000/],
    ['0', /from 1 to 1,000,000/],
    ['1000001', /from 1 to 1,000,000/],
    ['-3', /positive/],
    ['2.5', /whole number/],
    ['1e3', /whole number/],
    ['0x10', /whole number/],
    ['+4', /whole number/],
    ['four', /whole number/],
    ['9'.repeat(400), /from 1 to 1,000,000/],
  ];
  for (const [text, why] of cases) {
    const r = parseBindingText(text);
    assert.equal(r.ok, false, `"${text.slice(0, 20)}" should be refused`);
    if (!r.ok) assert.match(r.error, why, `"${text.slice(0, 20)}": ${r.error}`);
  }
});

test('binding form: rows follow the symbols with their current sizes; collect sends only well-formed bindings', () => {
  const rows = bindingRows({ symbols: ['batch', 'dim1'], bindings: { batch: 1, dim1: 224 }, hasDynamic: true });
  assert.deepEqual(rows, [
    { symbol: 'batch', value: 1 },
    { symbol: 'dim1', value: 224 },
  ]);
  const good = collectBindings([
    { symbol: 'batch', text: '8' },
    { symbol: 'dim1', text: '160' },
  ]);
  assert.deepEqual(good, { ok: true, bindings: { batch: 8, dim1: 160 } });
  // What the form sends is exactly what the host accepts.
  assert.equal(good.ok && parseFromWebview({ type: 'analysis/bind', bindings: good.bindings }).ok, true);

  const bad = collectBindings([
    { symbol: 'batch', text: '-1' },
    { symbol: 'dim1', text: '160' },
    { symbol: 'seq', text: '0.5' },
  ]);
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.deepEqual(bad.errors.map((e) => e.symbol), ['batch', 'seq']);
});

test('binding form: Apply only re-runs when a size differs from the shown figures', () => {
  assert.equal(bindingsChanged({ batch: 1 }, { batch: 1 }), false);
  assert.equal(bindingsChanged({ batch: 1 }, { batch: 2 }), true);
  assert.equal(bindingsChanged({ batch: 1 }, { batch: 1, seq: 1 }), true);
  assert.equal(bindingsChanged({ batch: 1, seq: 4 }, { batch: 1 }), true);
});
