/**
 * The two baselines measured in the same run as the write path:
 *  (a) naive: one transaction per transfer that locks both account rows in id order,
 *      updates their balances and inserts the transfer row, from 16 concurrent clients;
 *  (b) raw ceiling: the same transfer rows bulk-inserted with the write path's own
 *      `unnest` statement, 8,189 rows per statement, with no ledger logic at all.
 */
import { openPostgres } from '../../src/db/postgres.js';
import type { Db, Queryable } from '../../src/db/port.js';
import { transferFingerprint } from '../../src/ledger/core.js';
import { Ledger } from '../../src/ledger/service.js';
import { systemClock } from '../../src/server/clock.js';
import { BATCH_SIZE_MAX, type Transfer, type TransferInput } from '../../src/ledger/types.js';
import { insertTransfers } from '../../src/ledger/store.js';
import { startCpuMeter } from '../lib/cpu.js';
import { latencySummary, seededRandom } from '../lib/stats.js';
import type { EngineContext } from './context.js';
import { checkTotals, createAccounts, emptyLedger, ledgerTotals, settle } from './ledger-state.js';
import { NAIVE_CLIENTS, type ScenarioResult } from './scenario.js';
import { chunk, CURRENCY, newAccountIds, transferStream, type Traffic } from './workload.js';
import { hash } from './write-path.js';

// ---------------------------------------------------------------- (a) naive

/** One transfer, the way a straightforward ledger does it: lock, update, insert, commit. */
async function naiveTransfer(db: Db, input: TransferInput): Promise<void> {
  const debit = input.debit_account_id!;
  const credit = input.credit_account_id!;
  const print = transferFingerprint(input);
  await db.transaction(async (tx: Queryable) => {
    const { rows } = await tx.query<{ id: string; currency: string; status: string }>(
      'SELECT id, currency, status FROM accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE',
      debit < credit ? [debit, credit] : [credit, debit],
    );
    if (rows.length !== 2 || rows.some((r) => r.currency !== CURRENCY || r.status !== 'open')) {
      throw new Error(`naive transfer ${input.id}: accounts missing or unusable`);
    }
    const now = new Date().toISOString();
    await tx.query('UPDATE accounts SET debits_posted = debits_posted + $2, updated_at = $3 WHERE id = $1', [debit, input.amount!, now]);
    await tx.query('UPDATE accounts SET credits_posted = credits_posted + $2, updated_at = $3 WHERE id = $1', [credit, input.amount!, now]);
    await tx.query(
      `INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, pending_id, code, flags,
                              timeout_seconds, expires_at, metadata, fingerprint, created_at)
       VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, NULL, NULL, NULL, $8, $9)`,
      [input.id, debit, credit, input.amount!, CURRENCY, input.code!, input.flags, print, now],
    );
  });
}

async function driveNaive(db: Db, inputs: readonly TransferInput[], clients: number): Promise<Float64Array> {
  const latencies_ms = new Float64Array(inputs.length);
  let next = 0;
  const client = async () => {
    while (next < inputs.length) {
      const index = next++;
      const started = performance.now();
      await naiveTransfer(db, inputs[index]!);
      latencies_ms[index] = performance.now() - started;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return latencies_ms;
}

export async function runNaive(ctx: EngineContext, traffic: Traffic): Promise<ScenarioResult> {
  const key = traffic === 'uniform' ? 'naive_uniform' : 'naive_hot';
  const label = `baseline (a) naive · ${traffic === 'uniform' ? 'uniform' : '50% hot account'}`;
  const random = seededRandom(ctx.seed ^ hash(key));
  await emptyLedger(ctx.db);
  const accounts = newAccountIds(ctx.sizes.accounts);
  const ledger = new Ledger(ctx.db, systemClock);
  try {
    await createAccounts(ledger, accounts, 0);
  } finally {
    await ledger.stop();
  }
  await settle(ctx.db);

  const warmup = transferStream(Math.max(NAIVE_CLIENTS * 4, Math.round(ctx.sizes.naive / 10)), accounts, traffic, false, random);
  const measured = transferStream(ctx.sizes.naive, accounts, traffic, false, random);
  // PostgreSQL: a pool of 16 connections, one per client. PGlite has one connection, so its
  // transactions take turns however many clients wait.
  const db = ctx.engine === 'postgres' ? openPostgres({ connectionString: ctx.pg_url!, pool_size_max: NAIVE_CLIENTS }) : ctx.db;
  try {
    await driveNaive(db, warmup.inputs, NAIVE_CLIENTS);
    const cpu = startCpuMeter({ postgres_database: ctx.pg_database });
    const started = performance.now();
    const latencies = await driveNaive(db, measured.inputs, NAIVE_CLIENTS);
    const seconds = (performance.now() - started) / 1000;
    const cpuShares = cpu();
    checkTotals(label, await ledgerTotals(ctx.db), {
      transfers: warmup.inputs.length + measured.inputs.length,
      posted_minor: warmup.posted_minor + measured.posted_minor,
      pending_minor: 0n,
    });
    return {
      key,
      engine: ctx.engine,
      label,
      transfers: measured.inputs.length,
      seconds,
      transfers_per_s: measured.inputs.length / seconds,
      latency: { ...latencySummary(latencies), per: 'transfer' },
      detail:
        ctx.engine === 'postgres'
          ? `${NAIVE_CLIENTS} clients, pg pool of ${NAIVE_CLIENTS}; 6 round trips per transfer`
          : `${NAIVE_CLIENTS} clients serialised by PGlite's single connection`,
      cpu: cpuShares,
    };
  } finally {
    if (db !== ctx.db) await db.close();
  }
}

// ---------------------------------------------------------------- (b) raw ceiling

/** A transfer row as the write path would write it for `input` (no ledger logic applied). */
function rawTransfer(input: TransferInput, now: Date): Transfer {
  return {
    id: input.id,
    debit_account_id: input.debit_account_id!,
    credit_account_id: input.credit_account_id!,
    amount: input.amount!,
    currency: CURRENCY,
    pending_id: null,
    code: input.code!,
    flags: input.flags,
    timeout_seconds: null,
    expires_at: null,
    metadata: null,
    fingerprint: transferFingerprint(input),
    created_at: now,
  };
}

/** The write path's own transfers insert (store.insertTransfers): same statement, same parameters. */
const insertRows = (db: Db, rows: readonly Transfer[]) => insertTransfers(db, rows, new Date());

export async function runRaw(ctx: EngineContext): Promise<ScenarioResult> {
  const label = 'baseline (b) raw ceiling · bulk unnest insert';
  const random = seededRandom(ctx.seed ^ hash('raw'));
  await emptyLedger(ctx.db);
  await settle(ctx.db);
  const accounts = newAccountIds(ctx.sizes.accounts);
  const now = new Date();
  const toRows = (inputs: TransferInput[]) => inputs.map((input) => rawTransfer(input, now));
  const warmup = chunk(toRows(transferStream(Math.min(ctx.sizes.raw, 2 * BATCH_SIZE_MAX), accounts, 'uniform', false, random).inputs), BATCH_SIZE_MAX);
  const measured = toRows(transferStream(ctx.sizes.raw, accounts, 'uniform', false, random).inputs);
  const statements = chunk(measured, BATCH_SIZE_MAX);

  for (const rows of warmup) await insertRows(ctx.db, rows);
  const cpu = startCpuMeter({ postgres_database: ctx.pg_database });
  const latencies = new Float64Array(statements.length);
  const started = performance.now();
  for (let i = 0; i < statements.length; i++) {
    const t = performance.now();
    await insertRows(ctx.db, statements[i]!);
    latencies[i] = performance.now() - t;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuShares = cpu();
  const totals = await ledgerTotals(ctx.db);
  const expected = warmup.reduce((n, rows) => n + rows.length, 0) + measured.length;
  if (totals.transfers !== expected) throw new Error(`verification failed after ${label}: ${totals.transfers} rows, expected ${expected}`);
  return {
    key: 'raw',
    engine: ctx.engine,
    label,
    transfers: measured.length,
    seconds,
    transfers_per_s: measured.length / seconds,
    latency: { ...latencySummary(latencies), per: `statement of ${BATCH_SIZE_MAX}` },
    detail: `${statements.length} statements, one per transaction, no ledger logic`,
    cpu: cpuShares,
  };
}
