/**
 * Preloaded (`node --import`) into a server a benchmark starts with fork(): when the
 * benchmark goes away — finished, crashed or killed — the IPC channel closes and the
 * server stops the way it does on SIGTERM, so no server outlives its benchmark.
 */
if (process.connected) {
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
