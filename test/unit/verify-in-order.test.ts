/**
 * runInOrder (src/measure/verify/in-order.ts), which shares verify's calibration and evaluation runs between this
 * thread and the session thread: results are handed over in sequence order whatever order they finish in, the
 * slower side takes fewer runs, runs already under way take their place in the sequence, the first failure in
 * sequence order is the one thrown (and nothing is started after it), and one thread runs everything here in order.
 * The runs here are timers of chosen lengths standing in for model runs, so that the finishing order is known.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInOrder, type Job, type Side } from '../../src/measure/verify/in-order';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Jobs that take `ms(k, side)` and record who ran them. */
function timedJobs(n: number, ms: (k: number, side: Side) => number, ran: { k: number; side: Side }[], fail?: number): Job<number>[] {
  return Array.from({ length: n }, (_, k) => async (side: Side) => {
    ran.push({ k, side });
    await sleep(ms(k, side));
    if (k === fail) throw new Error(`run ${k} failed`);
    return k * 10;
  });
}

test('results are used in sequence order although they finish out of order, and both sides run', async () => {
  const ran: { k: number; side: Side }[] = [];
  const used: [number, number][] = [];
  // The session thread's runs are slow on even runs, fast on odd ones: finishing order differs from sequence order.
  await runInOrder(timedJobs(20, (k, side) => (side === 'there' ? (k % 2 ? 1 : 15) : 5), ran), true, (k, r) => used.push([k, r]));
  assert.deepEqual(used, Array.from({ length: 20 }, (_, k) => [k, k * 10]));
  assert.equal(ran.length, 20, 'each run once');
  assert.ok(ran.some((r) => r.side === 'here') && ran.some((r) => r.side === 'there'), JSON.stringify(ran));
});

test('the slower side takes fewer runs', async () => {
  const ran: { k: number; side: Side }[] = [];
  await runInOrder(timedJobs(30, (_k, side) => (side === 'there' ? 2 : 20), ran), true, () => undefined);
  const here = ran.filter((r) => r.side === 'here').length;
  assert.ok(here < 30 - here, `here ran ${here} of 30 at 10x the time a run takes there`);
});

test('a run already under way takes its place in the sequence', async () => {
  const used: number[] = [];
  let resolveLate!: (v: number) => void;
  const late = new Promise<number>((r) => (resolveLate = r));
  const jobs: Job<number>[] = [async () => 0, late, Promise.resolve(2), async () => 3];
  setTimeout(() => resolveLate(1), 30);
  await runInOrder(jobs, true, (_k, r) => used.push(r));
  assert.deepEqual(used, [0, 1, 2, 3]);
});

test('the first failure in sequence order is thrown, after the results before it, and nothing starts after it', async () => {
  const ran: { k: number; side: Side }[] = [];
  const used: number[] = [];
  // Run 3 fails late; run 5 fails early: run 3's failure is the one reported.
  const jobs = Array.from({ length: 40 }, (_, k): Job<number> => async (side: Side) => {
    ran.push({ k, side });
    await sleep(k === 3 ? 30 : 2);
    if (k === 3 || k === 5) throw new Error(`run ${k} failed`);
    return k;
  });
  await assert.rejects(runInOrder(jobs, true, (k) => used.push(k)), /run 3 failed/);
  assert.deepEqual(used, [0, 1, 2]);
  const started = ran.length;
  await sleep(60);
  assert.equal(ran.length, started, 'no run started after the failure was thrown');
  assert.ok(started < 40, `${started} runs started`);
});

test('one thread: every run here, one after the other, in order', async () => {
  const ran: { k: number; side: Side }[] = [];
  let running = 0;
  let most = 0;
  const jobs = Array.from({ length: 8 }, (_, k): Job<number> => async (side: Side) => {
    ran.push({ k, side });
    most = Math.max(most, ++running);
    await sleep(1);
    running--;
    return k;
  });
  const used: number[] = [];
  await runInOrder(jobs, false, (k) => used.push(k));
  assert.deepEqual(used, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(ran, Array.from({ length: 8 }, (_, k) => ({ k, side: 'here' })));
  assert.equal(most, 1);
});
