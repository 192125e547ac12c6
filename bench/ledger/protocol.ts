/** Messages between the benchmark and the HTTP server it runs as a child process (IPC, advanced serialisation). */
import type { BaseFromServer, BaseToServer } from '../lib/server-process.js';
import type { LedgerTotals } from './ledger-state.js';

export type ToServer = BaseToServer | { type: 'reset'; accounts: string[] } | { type: 'totals' };

export type FromServer = BaseFromServer | { type: 'reset-done' } | { type: 'totals'; totals: LedgerTotals };
