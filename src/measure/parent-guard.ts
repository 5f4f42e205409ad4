/**
 * A measurement child dies with its parent: when the IPC channel to the process that forked it closes (the parent
 * exited, crashed or was killed), the child runs its clean-ups (a verification removes its private work folder)
 * and exits at once instead of running on as an orphan. Checked on the channel's disconnect event and, in case the
 * event loop was busy when it fired, once a second. SIGINT and SIGTERM sent to the child itself (Ctrl-C in a
 * terminal reaches the whole process group) run the same clean-ups before it exits.
 */
const cleanups: (() => void)[] = [];

/** Something to undo if the parent goes away (best effort; errors are ignored). */
export function onParentLoss(fn: () => void): void {
  cleanups.push(fn);
}

export function exitWithParent(): void {
  if (!process.send) return;
  const leave = (): never => {
    for (const fn of cleanups.splice(0)) {
      try {
        fn();
      } catch {
        /* best effort */
      }
    }
    process.exit(70);
  };
  process.on('disconnect', leave);
  process.on('SIGINT', leave);
  process.on('SIGTERM', leave);
  setInterval(() => {
    if (!process.connected) leave();
  }, 1000).unref();
}
