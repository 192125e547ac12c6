/**
 * What a benchmark must undo however it ends (success, failure, Ctrl-C): servers, pools,
 * scratch databases, temporary folders. Steps run last first.
 */
export class Cleanup {
  private readonly steps: Array<{ what: string; fn: () => Promise<void> }> = [];

  push(what: string, fn: () => Promise<void>): number {
    return this.steps.push({ what, fn }) - 1;
  }

  /** Runs (and forgets) every step pushed at or after `mark`; a failing step is reported and the rest still run. */
  async runFrom(mark = 0): Promise<void> {
    while (this.steps.length > mark) {
      const step = this.steps.pop()!;
      try {
        await step.fn();
      } catch (err) {
        console.error(`cleanup: ${step.what} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  get size(): number {
    return this.steps.length;
  }
}

export interface SignalGuard {
  /** True once SIGINT or SIGTERM arrived (the run then reports 130, not a failure). */
  readonly interrupted: boolean;
  dispose(): void;
}

/**
 * On SIGINT/SIGTERM: say what is being cleaned up, run every cleanup step, exit 130.
 * Call dispose() when the run is over.
 */
export function cleanUpOnSignals(cleanup: Cleanup, what: string): SignalGuard {
  const guard = { interrupted: false, dispose: () => {} };
  const onSignal = (signal: NodeJS.Signals) => {
    guard.interrupted = true;
    console.error(`\n${signal}: cleaning up (${what})…`);
    void cleanup.runFrom(0).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  guard.dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return guard;
}
