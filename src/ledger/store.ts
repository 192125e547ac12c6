/**
 * SQL for the ledger. Nothing else reads or writes its tables. Bulk statements pass
 * arrays through `unnest` so a batch of 8,189 transfers is a handful of statements,
 * never one bind parameter per value.
 */
import type { Queryable, SqlParam } from '../db/port.js';
import { withClauses, type StatementPart } from '../db/statement-part.js';
import type { BatchEffects, LedgerView } from './core.js';
import type {
  Account,
  AccountId,
  AccountState,
  Balances,
  PendingRecord,
  PendingState,
  Transfer,
  TransferId,
} from './types.js';

type Row = Record<string, unknown>;

const ACCOUNT_COLUMNS =
  'id, currency, code, flags, metadata, status, debits_pending, debits_posted, credits_pending, credits_posted, created_at, updated_at';
const LOCK_COLUMNS = ['id', 'currency', 'code', 'flags', 'status', 'debits_pending', 'debits_posted', 'credits_pending', 'credits_posted'];

/**
 * Lookups by a list of ids. For a few ids, joining `unnest($1)` makes the planner probe the
 * primary key per id, where `id = ANY($1)` often chose a sequential scan (measured on
 * PostgreSQL: a 64-transfer batch went from 15 ms to 8.5 ms). For thousands of ids the
 * join was the slower one (measured on PGlite: 58–73 ms against 33–35 ms for 8,189 ids),
 * so large lists keep `= ANY`. Two texts, two prepared statements, two plans.
 */
const FEW_IDS_MAX = 512;
const byIds = (ids: readonly string[], sql: { few: string; many: string }): string => (ids.length <= FEW_IDS_MAX ? sql.few : sql.many);
const TRANSFER_COLUMNS =
  'seq, id, debit_account_id, credit_account_id, amount, currency, pending_id, code, flags, timeout_seconds, expires_at, metadata, fingerprint, created_at';

export function accountFromRow(row: Row): Account {
  return {
    id: row.id as AccountId,
    currency: row.currency as string,
    code: row.code as number,
    flags: row.flags as number,
    metadata: (row.metadata as Record<string, unknown> | null) ?? null,
    status: row.status as Account['status'],
    debits_pending: row.debits_pending as bigint,
    debits_posted: row.debits_posted as bigint,
    credits_pending: row.credits_pending as bigint,
    credits_posted: row.credits_posted as bigint,
    created_at: row.created_at as Date,
    updated_at: row.updated_at as Date,
  };
}

export function transferFromRow(row: Row): Transfer {
  return {
    seq: row.seq as bigint,
    id: row.id as TransferId,
    debit_account_id: row.debit_account_id as AccountId,
    credit_account_id: row.credit_account_id as AccountId,
    amount: row.amount as bigint,
    currency: row.currency as string,
    pending_id: (row.pending_id as TransferId | null) ?? null,
    code: row.code as number,
    flags: row.flags as number,
    timeout_seconds: (row.timeout_seconds as number | null) ?? null,
    expires_at: (row.expires_at as Date | null) ?? null,
    metadata: (row.metadata as Record<string, unknown> | null) ?? null,
    fingerprint: row.fingerprint as string,
    created_at: row.created_at as Date,
  };
}

const jsonOrNull = (value: Record<string, unknown> | null | undefined): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

// ---------------------------------------------------------------- accounts

/** Inserts the accounts that do not exist yet; returns the ids this call created. */
export async function insertAccounts(db: Queryable, accounts: readonly Account[]): Promise<Set<string>> {
  if (accounts.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO accounts (id, currency, code, flags, metadata, status, created_at, updated_at)
     SELECT u.id, u.currency, u.code, u.flags, u.metadata::jsonb, 'open', u.created_at, u.created_at
     FROM unnest($1::uuid[], $2::text[], $3::int4[], $4::int4[], $5::text[], $6::timestamptz[])
       AS u(id, currency, code, flags, metadata, created_at)
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [
      accounts.map((a) => a.id),
      accounts.map((a) => a.currency),
      accounts.map((a) => a.code),
      accounts.map((a) => a.flags),
      accounts.map((a) => jsonOrNull(a.metadata)),
      accounts.map((a) => a.created_at.toISOString()),
    ],
  );
  return new Set(rows.map((r) => r.id));
}

export async function getAccounts(db: Queryable, ids: readonly string[]): Promise<Map<string, Account>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id as string, accountFromRow(r)]));
}

export async function getAccount(db: Queryable, id: string): Promise<Account | undefined> {
  return (await getAccounts(db, [id])).get(id);
}

/**
 * Locks the rows in id order (the order every writer uses, so writers never deadlock) and
 * returns what the core needs of them. Only those columns: the lock is on the write path,
 * and reading metadata and timestamps too made it markedly slower.
 */
export async function lockAccounts(db: Queryable, ids: readonly string[]): Promise<Map<string, AccountState>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query(byIds(ids, {
    few: `SELECT ${LOCK_COLUMNS.map((c) => `a.${c}`).join(', ')} FROM unnest($1::uuid[]) AS q(id) JOIN accounts a ON a.id = q.id ORDER BY a.id FOR UPDATE OF a`,
    many: `SELECT ${LOCK_COLUMNS.join(', ')} FROM accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
  }), [ids]);
  return new Map(rows.map((r) => [r.id as string, lockedFromRow(r)]));
}

/**
 * The same lock as lockAccounts, carried by another statement: a joined work's read locks the
 * batch's accounts in its own round trip (one fewer on the writer's serial path). A WITH
 * clause's query over the ids in `ids_param`, locking in id order. Its rows have
 * lockAccounts' columns (id, currency, code, flags, status and the four int8 figures) and
 * are read back by lockedFromRow.
 */
export function accountLockClause(ids_param: string): string {
  return `SELECT ${LOCK_COLUMNS.join(', ')} FROM accounts WHERE id = ANY(${ids_param}::uuid[]) ORDER BY id FOR UPDATE`;
}

/** A row of lockAccounts' (or accountLockClause's) columns, as the core takes it. */
export function lockedFromRow(row: Row): AccountState {
  return {
    id: row.id as AccountId,
    currency: row.currency as string,
    code: row.code as number,
    flags: row.flags as number,
    status: row.status as AccountState['status'],
    debits_pending: row.debits_pending as bigint,
    debits_posted: row.debits_posted as bigint,
    credits_pending: row.credits_pending as bigint,
    credits_posted: row.credits_posted as bigint,
  };
}

export async function setAccountStatus(db: Queryable, id: string, status: Account['status'], now: Date): Promise<void> {
  await db.query('UPDATE accounts SET status = $2, updated_at = $3 WHERE id = $1', [id, status, now.toISOString()]);
}

// ---------------------------------------------------------------- the batch

/** Accounts of the pending transfers that post/void requests reference. Transfers never change, so no lock is needed. */
export async function accountsOfTransfers(db: Queryable, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ debit_account_id: string; credit_account_id: string }>(
    byIds(ids, {
      few: 'SELECT t.debit_account_id, t.credit_account_id FROM unnest($1::uuid[]) AS q(id) JOIN transfers t ON t.id = q.id',
      many: 'SELECT debit_account_id, credit_account_id FROM transfers WHERE id = ANY($1::uuid[])',
    }),
    [ids],
  );
  return rows.flatMap((r) => [r.debit_account_id, r.credit_account_id]);
}

/**
 * Reads, after the accounts are locked, the transfers the batch names and the state of
 * the pending ones among them.
 */
export async function loadTransfersAndPendings(
  db: Queryable,
  ids: readonly string[],
): Promise<Pick<LedgerView, 'transfers' | 'pendings'>> {
  const transfers = new Map<string, Transfer>();
  const pendings = new Map<string, PendingRecord>();
  if (ids.length === 0) return { transfers, pendings };
  const columns = `t.seq, t.id, t.debit_account_id, t.credit_account_id, t.amount, t.currency, t.pending_id, t.code, t.flags,
            t.timeout_seconds, t.expires_at, t.metadata, t.fingerprint, t.created_at,
            p.state AS pending_state, p.resolved_by, p.resolved_at`;
  const { rows } = await db.query(
    byIds(ids, {
      few: `SELECT ${columns} FROM unnest($1::uuid[]) AS q(id) JOIN transfers t ON t.id = q.id LEFT JOIN pending_transfers p ON p.id = t.id`,
      many: `SELECT ${columns} FROM transfers t LEFT JOIN pending_transfers p ON p.id = t.id WHERE t.id = ANY($1::uuid[])`,
    }),
    [ids],
  );
  for (const row of rows) {
    const transfer = transferFromRow(row);
    transfers.set(transfer.id, transfer);
    if (row.pending_state) {
      pendings.set(transfer.id, {
        transfer,
        state: row.pending_state as PendingState,
        expires_at: transfer.expires_at,
        resolved_by: (row.resolved_by as TransferId | null) ?? null,
        resolved_at: (row.resolved_at as Date | null) ?? null,
      });
    }
  }
  return { transfers, pendings };
}

/** The transfers INSERT of the write path; $1..$12 are column arrays, $13 the commit time. */
const TRANSFERS_INSERT = `INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, pending_id, code, flags,
                            timeout_seconds, expires_at, metadata, fingerprint, created_at)
     SELECT u.id, u.debit, u.credit, u.amount, u.currency, u.pending_id, u.code, u.flags,
            u.timeout_seconds, u.expires_at, u.metadata::jsonb, u.fingerprint, $13
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int8[], $5::text[], $6::uuid[], $7::int4[], $8::int4[],
                 $9::int4[], $10::timestamptz[], $11::text[], $12::text[])
       WITH ORDINALITY AS u(id, debit, credit, amount, currency, pending_id, code, flags, timeout_seconds, expires_at,
                            metadata, fingerprint, ord)
     ORDER BY u.ord`;

const transferParams = (created: readonly Transfer[], now: Date) => [
  created.map((t) => t.id),
  created.map((t) => t.debit_account_id),
  created.map((t) => t.credit_account_id),
  created.map((t) => t.amount),
  created.map((t) => t.currency),
  created.map((t) => t.pending_id),
  created.map((t) => t.code),
  created.map((t) => t.flags),
  created.map((t) => t.timeout_seconds),
  created.map((t) => t.expires_at?.toISOString() ?? null),
  created.map((t) => jsonOrNull(t.metadata)),
  created.map((t) => t.fingerprint),
  now.toISOString(),
];

/** Appends transfers with the write path's own INSERT alone (the benchmark's raw ceiling). */
export async function insertTransfers(db: Queryable, created: readonly Transfer[], now: Date): Promise<void> {
  if (created.length === 0) return;
  await db.query(TRANSFERS_INSERT, transferParams(created, now));
}

/**
 * Writes everything a batch produced: a few bulk statements whatever the batch size. The
 * joined works' rows (`parts`) ride the first statement.
 */
export async function persistBatch(
  db: Queryable,
  effects: BatchEffects,
  accounts: Map<string, AccountState>,
  now: Date,
  parts: readonly StatementPart[] = [],
): Promise<void> {
  const touched = [...effects.touched_accounts].map((id) => accounts.get(id)!);
  const pendings = [...effects.pending_changes.values()];
  const expired = pendings.filter((p) => p.state === 'expired');
  const events = [
    ...effects.created.map((t) => ['ledger.transfer.created', t.id] as const),
    ...expired.map((p) => ['ledger.pending.expired', p.transfer.id] as const),
  ];
  // The three writes every batch makes, and the joined works' rows, as one statement: one round trip, not several.
  if (effects.created.length > 0 || touched.length > 0 || events.length > 0 || parts.length > 0) {
    const params: SqlParam[] = [
      ...transferParams(effects.created, now),
      touched.map((a) => a.id),
      touched.map((a) => a.debits_pending),
      touched.map((a) => a.debits_posted),
      touched.map((a) => a.credits_pending),
      touched.map((a) => a.credits_posted),
      events.map((e) => e[0]),
      events.map((e) => e[1]),
    ];
    const joined = withClauses(parts, params, 'joined');
    await db.query(
      `WITH inserted AS (${TRANSFERS_INSERT}),
       balances AS (
         UPDATE accounts a
         SET debits_pending = u.dp, debits_posted = u.dpo, credits_pending = u.cp, credits_posted = u.cpo, updated_at = $13
         FROM unnest($14::uuid[], $15::int8[], $16::int8[], $17::int8[], $18::int8[]) AS u(id, dp, dpo, cp, cpo)
         WHERE a.id = u.id),
       events AS (
         INSERT INTO outbox (topic, entity_id, created_at)
         SELECT u.topic, u.entity_id, $13 FROM unnest($19::text[], $20::uuid[]) WITH ORDINALITY AS u(topic, entity_id, ord) ORDER BY u.ord)${joined.map((j) => `,\n       ${j}`).join('')}
       SELECT 1`,
      params,
    );
  }

  if (pendings.length > 0) {
    await db.query(
      `INSERT INTO pending_transfers (id, state, expires_at, resolved_by, resolved_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::uuid[], $5::timestamptz[])
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, resolved_by = excluded.resolved_by, resolved_at = excluded.resolved_at`,
      [
        pendings.map((p) => p.transfer.id),
        pendings.map((p) => p.state),
        pendings.map((p) => p.expires_at?.toISOString() ?? null),
        pendings.map((p) => p.resolved_by),
        pendings.map((p) => p.resolved_at?.toISOString() ?? null),
      ],
    );
  }

  const history = effects.history;
  if (history.length > 0) {
    await db.query(
      `INSERT INTO account_history (account_id, transfer_id, created_at, debits_pending, debits_posted, credits_pending, credits_posted)
       SELECT u.account_id, u.transfer_id, $3, u.dp, u.dpo, u.cp, u.cpo
       FROM unnest($1::uuid[], $2::uuid[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])
         WITH ORDINALITY AS u(account_id, transfer_id, dp, dpo, cp, cpo, ord)
       ORDER BY u.ord`,
      [
        history.map((h) => h.account_id),
        history.map((h) => h.transfer_id),
        now.toISOString(),
        history.map((h) => h.debits_pending),
        history.map((h) => h.debits_posted),
        history.map((h) => h.credits_pending),
        history.map((h) => h.credits_posted),
      ],
    );
  }
}

/** Ids of pending transfers whose timeout has passed, oldest first. */
export async function duePendingIds(db: Queryable, now: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM pending_transfers WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
    [now.toISOString(), limit],
  );
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------- reads

export async function getTransfer(db: Queryable, id: string): Promise<(Transfer & { pending_state: PendingState | null }) | undefined> {
  const { rows } = await db.query(
    `SELECT t.seq, t.id, t.debit_account_id, t.credit_account_id, t.amount, t.currency, t.pending_id, t.code, t.flags,
            t.timeout_seconds, t.expires_at, t.metadata, t.fingerprint, t.created_at, p.state AS pending_state
     FROM transfers t LEFT JOIN pending_transfers p ON p.id = t.id WHERE t.id = $1`,
    [id],
  );
  const row = rows[0];
  return row ? { ...transferFromRow(row), pending_state: (row.pending_state as PendingState | null) ?? null } : undefined;
}

export interface TransferListQuery {
  account_id: string;
  limit: number;
  /** Exclusive upper bound on `seq` (newest first). */
  before_seq?: bigint | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  code?: number | undefined;
}

/** An account's transfers, newest first. Two index scans (debit side, credit side) merged. */
export async function listAccountTransfers(db: Queryable, q: TransferListQuery): Promise<Transfer[]> {
  const filters = `($2::int8 IS NULL OR seq < $2) AND ($3::timestamptz IS NULL OR created_at >= $3)
    AND ($4::timestamptz IS NULL OR created_at < $4) AND ($5::int4 IS NULL OR code = $5)`;
  const { rows } = await db.query(
    `SELECT ${TRANSFER_COLUMNS} FROM (
       (SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE debit_account_id = $1 AND ${filters} ORDER BY seq DESC LIMIT $6)
       UNION ALL
       (SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE credit_account_id = $1 AND ${filters} ORDER BY seq DESC LIMIT $6)
     ) both_sides ORDER BY seq DESC LIMIT $6`,
    [q.account_id, q.before_seq ?? null, q.from?.toISOString() ?? null, q.to?.toISOString() ?? null, q.code ?? null, q.limit],
  );
  return rows.map(transferFromRow);
}

/** Balances of a `history` account as they stood at `at` (after every change at or before it). */
export async function balancesAt(db: Queryable, accountId: string, at: Date): Promise<Balances> {
  const { rows } = await db.query<Balances>(
    `SELECT debits_pending, debits_posted, credits_pending, credits_posted FROM account_history
     WHERE account_id = $1 AND created_at <= $2 ORDER BY created_at DESC, seq DESC LIMIT 1`,
    [accountId, at.toISOString()],
  );
  return rows[0] ?? { debits_pending: 0n, debits_posted: 0n, credits_pending: 0n, credits_posted: 0n };
}

/** Posted movement: regular transfers and posts of pending ones (a reservation or a void moves nothing). */
const POSTED_MOVEMENT = `(flags & 10) = 0`; // TransferFlags.pending (2) | TransferFlags.void_pending (8)

export async function postedTotalsBefore(db: Queryable, accountId: string, before: Date): Promise<{ debits: bigint; credits: bigint }> {
  const { rows } = await db.query<{ debits: bigint; credits: bigint }>(
    `SELECT
       COALESCE((SELECT sum(amount) FROM transfers WHERE debit_account_id = $1 AND created_at < $2 AND ${POSTED_MOVEMENT}), 0)::int8 AS debits,
       COALESCE((SELECT sum(amount) FROM transfers WHERE credit_account_id = $1 AND created_at < $2 AND ${POSTED_MOVEMENT}), 0)::int8 AS credits`,
    [accountId, before.toISOString()],
  );
  return rows[0]!;
}

export const STATEMENT_LINES_MAX = 10_000;

/** Posted lines of an account in [from, to), oldest first; at most `limit` lines. */
export async function postedLines(db: Queryable, accountId: string, from: Date, to: Date, limit: number): Promise<Transfer[]> {
  const { rows } = await db.query(
    `SELECT ${TRANSFER_COLUMNS} FROM transfers
     WHERE (debit_account_id = $1 OR credit_account_id = $1) AND created_at >= $2 AND created_at < $3 AND ${POSTED_MOVEMENT}
     ORDER BY seq LIMIT $4`,
    [accountId, from.toISOString(), to.toISOString(), limit],
  );
  return rows.map(transferFromRow);
}

export interface InvariantReport {
  ok: boolean;
  currencies: Array<{
    currency: string;
    debits_posted: bigint;
    credits_posted: bigint;
    debits_pending: bigint;
    credits_pending: bigint;
  }>;
  accounts_over_limit: string[];
  accounts_not_matching_transfers: string[];
}

/**
 * The ledger's invariants, checked from the stored data: per currency, debits equal
 * credits (posted and pending); no account beyond its limit flags; every account's posted
 * balances equal the sum of its posted transfers (balances are derived state, kept in step).
 */
export async function checkInvariants(db: Queryable): Promise<InvariantReport> {
  // Each balance fits in int8 but a currency's total over all accounts need not: sum as numeric, read as text.
  const totals = await db.query<Record<'currency' | 'debits_posted' | 'credits_posted' | 'debits_pending' | 'credits_pending', string>>(
    `SELECT currency, sum(debits_posted)::text AS debits_posted, sum(credits_posted)::text AS credits_posted,
            sum(debits_pending)::text AS debits_pending, sum(credits_pending)::text AS credits_pending
     FROM accounts GROUP BY currency ORDER BY currency`,
  );
  const overLimit = await db.query<{ id: string }>(
    `SELECT id FROM accounts
     WHERE ((flags & 1) <> 0 AND debits_pending + debits_posted > credits_posted)
        OR ((flags & 2) <> 0 AND credits_pending + credits_posted > debits_posted)
     LIMIT 100`,
  );
  const mismatched = await db.query<{ id: string }>(
    `WITH movement AS (
       SELECT debit_account_id AS id, amount AS debits, 0::int8 AS credits FROM transfers WHERE ${POSTED_MOVEMENT}
       UNION ALL
       SELECT credit_account_id, 0::int8, amount FROM transfers WHERE ${POSTED_MOVEMENT}
     ), sums AS (SELECT id, sum(debits)::int8 AS debits, sum(credits)::int8 AS credits FROM movement GROUP BY id)
     SELECT a.id FROM accounts a LEFT JOIN sums s ON s.id = a.id
     WHERE a.debits_posted <> COALESCE(s.debits, 0) OR a.credits_posted <> COALESCE(s.credits, 0)
     LIMIT 100`,
  );
  const currencies = totals.rows.map((r) => ({
    currency: r.currency,
    debits_posted: BigInt(r.debits_posted),
    credits_posted: BigInt(r.credits_posted),
    debits_pending: BigInt(r.debits_pending),
    credits_pending: BigInt(r.credits_pending),
  }));
  const balanced = currencies.every((c) => c.debits_posted === c.credits_posted && c.debits_pending === c.credits_pending);
  return {
    ok: balanced && overLimit.rows.length === 0 && mismatched.rows.length === 0,
    currencies,
    accounts_over_limit: overLimit.rows.map((r) => r.id),
    accounts_not_matching_transfers: mismatched.rows.map((r) => r.id),
  };
}

export interface RecentMovement {
  credits: bigint;
  debits: bigint;
  transfers: number;
  /** More than `limit` transfers on a side may fall in the window: the sums cover the latest `limit`. */
  capped: boolean;
}

/**
 * An account's posted movement since `since` (turnover, for lending's decision), read from
 * at most its latest `limit` transfers on each side: a bounded index scan however long the
 * account's history, since transfers carry no index on time.
 */
export async function recentMovement(db: Queryable, accountId: string, since: Date, limit: number): Promise<RecentMovement> {
  const { rows } = await db.query<{ credits: bigint; debits: bigint; transfers: number; capped: boolean }>(
    `WITH c AS (SELECT amount, created_at, flags FROM transfers WHERE credit_account_id = $1 ORDER BY seq DESC LIMIT $3),
          d AS (SELECT amount, created_at, flags FROM transfers WHERE debit_account_id = $1 ORDER BY seq DESC LIMIT $3)
     SELECT COALESCE((SELECT sum(amount) FROM c WHERE created_at >= $2 AND ${POSTED_MOVEMENT}), 0)::int8 AS credits,
            COALESCE((SELECT sum(amount) FROM d WHERE created_at >= $2 AND ${POSTED_MOVEMENT}), 0)::int8 AS debits,
            ((SELECT count(*) FROM c WHERE created_at >= $2 AND ${POSTED_MOVEMENT}) + (SELECT count(*) FROM d WHERE created_at >= $2 AND ${POSTED_MOVEMENT}))::int AS transfers,
            (((SELECT count(*) FROM c) = $3 AND (SELECT min(created_at) FROM c) >= $2)
              OR ((SELECT count(*) FROM d) = $3 AND (SELECT min(created_at) FROM d) >= $2)) AS capped`,
    [accountId, since.toISOString(), limit],
  );
  const row = rows[0]!;
  return { credits: row.credits, debits: row.debits, transfers: row.transfers, capped: row.capped === true };
}
