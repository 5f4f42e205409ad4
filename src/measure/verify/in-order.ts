/**
 * A sequence of model runs on two threads — this one and the session thread — each thread taking the next run when
 * it is free, with the results handed over in sequence order: what is computed from them is what running them one
 * by one gives, while neither thread waits for the other (this thread's own work between runs, reading samples and
 * observing outputs, no longer leaves the session thread idle, and a thread that runs slower takes fewer runs).
 * A run already under way elsewhere (a promise) takes its place in the sequence as it is. Without a second thread
 * the runs go one after the other on this thread. The first failure in sequence order is the one thrown; runs after
 * it are not started.
 */

export type Side = 'here' | 'there';

/** One run: started on the side given, or already under way. */
export type Job<R> = ((side: Side) => Promise<R>) | Promise<R>;

/** Runs the session thread holds at once: one computing and one waiting, so it does not wait for this thread. */
const THERE_AHEAD = 2;

type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export async function runInOrder<R>(jobs: readonly Job<R>[], twoThreads: boolean, use: (k: number, result: R) => void): Promise<void> {
  const settled = new Map<number, Settled<R>>();
  let next = 0;
  let used = 0;
  let thereBusy = 0;
  let stopped = false;
  let wake: (() => void) | null = null;
  const start = (job: Job<R>, side: Side): Promise<R> => (typeof job === 'function' ? (async () => job(side))() : job);
  const track = (k: number, run: Promise<R>): Promise<void> =>
    run.then(
      (value) => void settled.set(k, { ok: true, value }),
      (error: unknown) => void settled.set(k, { ok: false, error }),
    );
  /** Runs under way elsewhere join the sequence where they stand. */
  const skipStarted = (): void => {
    for (; next < jobs.length && typeof jobs[next] !== 'function'; next++) {
      const k = next;
      void track(k, jobs[k] as Promise<R>).then(() => wake?.());
    }
  };
  const fillThere = (): void => {
    skipStarted();
    while (!stopped && twoThreads && thereBusy < THERE_AHEAD && next < jobs.length) {
      const k = next++;
      thereBusy++;
      void track(k, start(jobs[k], 'there')).then(() => {
        thereBusy--;
        fillThere();
        wake?.();
      });
      skipStarted();
    }
  };
  try {
    while (used < jobs.length) {
      fillThere();
      for (let s = settled.get(used); s; s = settled.get(used)) {
        settled.delete(used);
        if (!s.ok) throw s.error;
        use(used++, s.value);
      }
      if (used >= jobs.length) break;
      skipStarted();
      if (next < jobs.length) {
        const k = next++;
        await track(k, start(jobs[k], 'here'));
      } else await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  } finally {
    stopped = true;
  }
}
