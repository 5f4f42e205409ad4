/** Every cited source in the shipped data is a public reference: no local paths, no unfilled templates. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import devices from '../../src/planner/catalog/devices.json';
import techniques from '../../src/planner/recommend/techniques.json';

function sources(node: unknown, trail: string[] = [], out: { at: string; source: string }[] = []): { at: string; source: string }[] {
  if (Array.isArray(node)) node.forEach((v, i) => sources(v, [...trail, String(i)], out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'source' && typeof v === 'string') out.push({ at: [...trail, k].join('.'), source: v });
      else sources(v, [...trail, k], out);
    }
  }
  return out;
}

for (const [name, data] of [['devices.json', devices], ['techniques.json', techniques]] as const) {
  test(`${name}: every source is a public reference`, () => {
    const all = sources(data);
    assert.ok(all.length > 20, `${name} cites ${all.length} sources`);
    const ids = new Set(Object.keys((data as { sources?: Record<string, unknown> }).sources ?? {}));
    for (const { at, source } of all) {
      if (/^[A-Z][A-Za-z0-9-]{1,30}$/.test(source)) {
        assert.ok(ids.has(source), `${at}: "${source}" is not in the sources table`);
        continue;
      }
      assert.ok(!/(^|\s)\/(work|home|tmp|root)\//.test(source), `${at}: local path in "${source}"`);
      assert.ok(!/<[a-z_-]+>/i.test(source), `${at}: unfilled template in "${source}"`);
      assert.ok(source.trim().length > 10, `${at}: empty source`);
    }
  });
}
