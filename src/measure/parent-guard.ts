/**
 * A measurement child dies with its parent: when the IPC channel to the process that forked it closes (the parent
 * exited, crashed or was killed), the child exits at once instead of running on as an orphan. Checked on the
 * channel's disconnect event and, in case the event loop was busy when it fired, once a second.
 */
export function exitWithParent(): void {
  if (!process.send) return;
  const leave = (): never => process.exit(70);
  process.on('disconnect', leave);
  setInterval(() => {
    if (!process.connected) leave();
  }, 1000).unref();
}
