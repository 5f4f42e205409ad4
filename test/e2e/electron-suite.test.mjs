// The @vscode/test-electron suite (test/electron/suite) cannot download VS Code here, so it also runs inside
// code-server's extension host, through the probe extension, in a fresh window.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openSession } from './lib/session.mjs';
import { pickModel } from './lib/model-fixture.mjs';
import { probe } from './lib/scenario.mjs';

describe('extension-host suite (test/electron/suite) inside code-server', { timeout: 120_000 }, () => {
  let s;
  before(async () => {
    s = await openSession({ name: 'electron-suite', theme: 'light', model: pickModel() });
  });
  after(async () => {
    await s?.close();
  });

  it('every extension-host test passes', async () => {
    const { results } = await probe(s, 'Edge Planner E2E: Run Extension-Host Suite', 'suite-report.json', 90_000);
    assert.ok(results.length >= 5, `only ${results.length} tests ran`);
    const failed = results.filter((r) => !r.ok);
    for (const r of results) console.log(`    ${r.ok ? 'ok' : 'FAILED'} ${r.name}${r.ok ? '' : `: ${r.error.split('\n')[0]}`}`);
    assert.deepEqual(failed.map((r) => `${r.name}: ${r.error}`), []);
  });
});
