/** Messages between the benchmark and the HTTP server it runs as a child process (IPC, advanced serialisation). */
import type { LedgerTotals } from './ledger-state.js';

export type ToServer =
  | { type: 'reset'; accounts: string[] }
  | { type: 'totals' }
  | { type: 'stop' };

export type FromServer =
  | { type: 'ready'; url: string; token: string }
  | { type: 'reset-done' }
  | { type: 'totals'; totals: LedgerTotals }
  | { type: 'stopped' }
  | { type: 'error'; message: string };
