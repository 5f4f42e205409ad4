import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { startChild } from '../../src/measure/child';

/** Worker processes this test process started (its direct children). */
function children(): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=']).toString().trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  return rows.filter(([, pp]) => pp === process.pid).map(([p]) => p);
}

async function startedWorker(): Promise<{ started: ReturnType<typeof startChild>; pid: number }> {
  const before = new Set(children());
  const started = startChild();
  for (let t = 0; t < 100; t++) {
    const pid = children().find((p) => !before.has(p));
    if (pid) return { started, pid };
    await new Promise((r) => setTimeout(r, 50));
  }
  started.stop();
  throw new Error('the worker did not appear');
}

// Ctrl-C reaches the whole process group, so the worker may be gone before the request is written to it. The
// request then fails on the pipe (EPIPE); what the caller hears is the worker's exit or its own cancellation.
test('a worker killed as the request goes out: the run says the worker stopped, or was cancelled, never a pipe error', async () => {
  for (let i = 0; i < 12; i++) {
    const { started, pid } = await startedWorker();
    const cancel = i % 2 === 1 ? new AbortController() : null;
    process.kill(pid, 'SIGKILL');
    if (cancel) cancel.abort('SIGINT');
    const run = started.run({ type: 'no-such-request' }, { what: 'verification', timeoutMs: 20_000, signal: cancel?.signal });
    const error = await run.then(
      () => assert.fail('a killed worker cannot answer'),
      (e: Error) => e,
    );
    if (cancel) assert.equal(error.message, 'verification was cancelled (SIGINT)', `run ${i}`);
    else assert.match(error.message, /^the measurement worker stopped \(SIGKILL\)/, `run ${i}`);
  }
});

test('a worker that exits (its SIGINT handler) before the request: the run gives its exit code', async () => {
  const { started, pid } = await startedWorker();
  // Its parent guard's SIGINT handler is installed once the worker's script has loaded (about 0.2 s here; Node's own
  // SIGINT disposition says nothing about it, so the test gives it ample time).
  await new Promise((r) => setTimeout(r, 1500));
  process.kill(pid, 'SIGINT');
  for (let t = 0; t < 50 && children().includes(pid); t++) await new Promise((r) => setTimeout(r, 100));
  const error = await started.run({ type: 'no-such-request' }, { what: 'verification', timeoutMs: 20_000 }).then(
    () => assert.fail('an exited worker cannot answer'),
    (e: Error) => e,
  );
  assert.match(error.message, /^the measurement worker stopped \(exit code 70\)/);
});
