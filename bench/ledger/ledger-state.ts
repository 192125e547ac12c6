/**
 * Setting up and checking the ledger between scenarios: empty tables, fresh accounts
 * created through Ledger.createAccounts, and a cheap check that the books balance and
 * every transfer was written.
 */
import type { Db } from '../../src/db/port.js';
import type { Ledger } from '../../src/ledger/service.js';
import type { AccountId } from '../../src/ledger/types.js';
import { ACCOUNT_CODE, CURRENCY } from './workload.js';

const ACCOUNTS_PER_CALL = 5_000;

/** Empties the ledger tables; api_keys (the HTTP server's key) stay. */
export async function emptyLedger(db: Db): Promise<void> {
  await db.query('TRUNCATE accounts, transfers, pending_transfers, account_history, outbox RESTART IDENTITY');
}

export async function createAccounts(ledger: Ledger, ids: readonly AccountId[], flags: number): Promise<void> {
  for (let i = 0; i < ids.length; i += ACCOUNTS_PER_CALL) {
    const slice = ids.slice(i, i + ACCOUNTS_PER_CALL);
    const results = await ledger.createAccounts(slice.map((id) => ({ id, currency: CURRENCY, code: ACCOUNT_CODE, flags })));
    const failed = results.find((r) => !r.ok || r.replayed);
    if (failed) throw new Error(`account creation failed: ${JSON.stringify(failed)}`);
  }
}

/** After the accounts exist: fresh statistics, and on PostgreSQL a checkpoint so no scenario pays for the last one's dirty pages. */
export async function settle(db: Db): Promise<void> {
  await db.query('ANALYZE accounts');
  if (db.engine === 'postgres') await db.query('CHECKPOINT');
}

export interface LedgerTotals {
  transfers: number;
  debits_posted: bigint;
  credits_posted: bigint;
  debits_pending: bigint;
  credits_pending: bigint;
}

export async function ledgerTotals(db: Db): Promise<LedgerTotals> {
  const sums = await db.query<{ dpo: bigint | null; cpo: bigint | null; dp: bigint | null; cp: bigint | null }>(
    `SELECT sum(debits_posted)::int8 AS dpo, sum(credits_posted)::int8 AS cpo,
            sum(debits_pending)::int8 AS dp, sum(credits_pending)::int8 AS cp FROM accounts`,
  );
  const count = await db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM transfers');
  const row = sums.rows[0]!;
  return {
    transfers: Number(count.rows[0]!.n),
    debits_posted: row.dpo ?? 0n,
    credits_posted: row.cpo ?? 0n,
    debits_pending: row.dp ?? 0n,
    credits_pending: row.cp ?? 0n,
  };
}

export interface Expected {
  transfers: number;
  /** When known: what posted debits (= credits) must total; pending must total pending_minor. */
  posted_minor?: bigint;
  pending_minor?: bigint;
}

/** Throws, naming every difference, unless the books balance and hold what was sent. */
export function checkTotals(what: string, totals: LedgerTotals, expected: Expected): void {
  const problems: string[] = [];
  if (totals.debits_posted !== totals.credits_posted) problems.push(`posted debits ${totals.debits_posted} ≠ posted credits ${totals.credits_posted}`);
  if (totals.debits_pending !== totals.credits_pending) problems.push(`pending debits ${totals.debits_pending} ≠ pending credits ${totals.credits_pending}`);
  if (totals.transfers !== expected.transfers) problems.push(`transfers table holds ${totals.transfers} rows, expected ${expected.transfers}`);
  if (expected.posted_minor !== undefined && totals.debits_posted !== expected.posted_minor) {
    problems.push(`posted total ${totals.debits_posted}, expected ${expected.posted_minor}`);
  }
  if (expected.pending_minor !== undefined && totals.debits_pending !== expected.pending_minor) {
    problems.push(`pending total ${totals.debits_pending}, expected ${expected.pending_minor}`);
  }
  if (problems.length > 0) throw new Error(`verification failed after ${what}: ${problems.join('; ')}`);
}
