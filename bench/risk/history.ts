/** Runs the history loader (bench/risk/history-loader.ts) in a child process and waits for its summary. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EXIT_WITH_PARENT } from '../lib/capillary-server.js';
import type { FromLoader, HistorySummary, LoadRequest } from './history-loader.js';
import type { SimulationPlan } from './simulation.js';

const LOADER_SCRIPT = fileURLToPath(new URL('./history-loader.js', import.meta.url));
/** Rows per INSERT … SELECT FROM unnest(…) of store.insertDecisions. */
export const HISTORY_BATCH = 5_000;

export interface HistoryLoad {
  /** The loader's process id, for its CPU time. */
  pid: number | undefined;
  done: Promise<HistorySummary>;
  /** Ends the loader if it still runs (cleanup on failure or Ctrl-C). */
  kill(): void;
}

export function startHistoryLoad(database_url: string, plan: SimulationPlan, train_every: number, onProgress: (generated: number, stored: number) => void): HistoryLoad {
  const child: ChildProcess = fork(LOADER_SCRIPT, [], { serialization: 'advanced', execArgv: ['--import', EXIT_WITH_PARENT], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  const done = new Promise<HistorySummary>((resolve, reject) => {
    let settled = false;
    child.on('message', (message: FromLoader) => {
      if (message.type === 'progress') return onProgress(message.generated, message.stored);
      settled = true;
      if (message.type === 'done') resolve(message.summary);
      else reject(new Error(`the history loader failed: ${message.message}`));
    });
    child.on('exit', (code, signal) => {
      exited = true;
      if (!settled) reject(new Error(`the history loader exited (code ${code}, signal ${signal}) before it finished`));
    });
  });
  const request: LoadRequest = { type: 'load', database_url, plan, batch_size: HISTORY_BATCH, train_every };
  child.send(request);
  return {
    pid: child.pid,
    done,
    kill: () => {
      if (!exited && child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
