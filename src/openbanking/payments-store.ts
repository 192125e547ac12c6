/**
 * SQL for `ob_payments`, and the consent's running total (amount_used_minor) that payments
 * reserve against. The reservation is one guarded UPDATE, so concurrent payments under one
 * consent can never together pass its limit (the table's CHECK constraint says so too).
 */
import type { Queryable } from '../db/port.js';
import { appendEvent, outboxInsert, type OutboxEvent } from '../events/outbox.js';
import { runParts, type StatementPart } from '../db/statement-part.js';
import { accountLockClause, lockedFromRow } from '../ledger/store.js';
import type { AccountState } from '../ledger/types.js';
import { decodeCursor, encodeCursor } from '../server/cursor.js';
import { forgetConsent } from './consents-store.js';
import type { ConsentTotals, CreditorFacts } from './payment-plan.js';
import { COMPLETED_PAYMENT_OF_TRANSFER, COMPLETING_PAYMENT_TRANSFER, IS_PAYMENT_TRANSFER, OB_PAYMENT_TRANSFER_CODE, PAYMENT_ID_OF_TRANSFER, paymentEvent, paymentTransferId, type Payment, type PaymentStatus } from './payments.js';

const PAYMENT_COLUMNS = `id::text AS id, consent_id::text AS consent_id, client_id, customer_id, debtor_account_id::text AS debtor_account_id,
  creditor_account_id::text AS creditor_account_id, amount_minor, currency, reference, status, reason_code,
  transfer_id::text AS transfer_id, created_at, updated_at`;

/** ob_payments' columns and their types, in the table's order. */
const PAYMENT_ROW_COLUMNS: readonly (readonly [keyof Payment, string])[] = [
  ['id', 'uuid'], ['consent_id', 'uuid'], ['client_id', 'text'], ['customer_id', 'text'], ['debtor_account_id', 'uuid'], ['creditor_account_id', 'uuid'],
  ['amount_minor', 'int8'], ['currency', 'text'], ['reference', 'text'], ['status', 'text'], ['reason_code', 'text'], ['transfer_id', 'uuid'],
  ['created_at', 'timestamptz'], ['updated_at', 'timestamptz'],
];
/** The same names as a select or insert list. */
const PAYMENT_NAMES = PAYMENT_ROW_COLUMNS.map(([name]) => name).join(', ');

/**
 * A payment has a row in ob_payments unless it completed with its transfer (nearly every
 * payment): the ledger's transfer then records all of it (COMPLETED_PAYMENT_OF_TRANSFER), and
 * the ledger writer's serial path writes one row fewer per payment. A row, where there is one,
 * is the payment's record; `NO_PAYMENT_ROW` keeps a transfer from telling a payment that has one.
 */
const NO_PAYMENT_ROW = `NOT EXISTS (SELECT 1 FROM ob_payments r WHERE r.id = ${PAYMENT_ID_OF_TRANSFER})`;

type Row = Omit<Payment, 'created_at' | 'updated_at'> & { created_at: Date | string; updated_at: Date | string };
const toPayment = (r: Row): Payment => ({ ...r, created_at: new Date(r.created_at), updated_at: new Date(r.updated_at) });

/**
 * Adds `amount_minor` to the consent's used total if the consent is authorised, unexpired
 * and the total stays within the limit. False: nothing changed (the caller finds out why).
 */
export async function reserveOnConsent(tx: Queryable, consent_id: string, amount_minor: bigint, now: Date): Promise<boolean> {
  forgetConsent(consent_id);
  const { rows } = await tx.query(
    `UPDATE consents SET amount_used_minor = amount_used_minor + $2
      WHERE id = $1 AND status = 'authorised' AND expires_at > $3
        AND amount_limit_minor IS NOT NULL AND amount_used_minor + $2 <= amount_limit_minor
      RETURNING amount_used_minor`,
    [consent_id, amount_minor, now],
  );
  return rows.length === 1;
}

/** Gives back a reservation of a payment that did not happen (whatever the consent's status now). */
export async function releaseOnConsent(tx: Queryable, consent_id: string, amount_minor: bigint): Promise<void> {
  forgetConsent(consent_id);
  const { rows } = await tx.query(
    'UPDATE consents SET amount_used_minor = amount_used_minor - $2 WHERE id = $1 AND amount_used_minor >= $2 RETURNING id',
    [consent_id, amount_minor],
  );
  if (rows.length !== 1) throw new Error(`releasing ${amount_minor} on consent ${consent_id} would make its used total negative`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The payment: its row, or else the transfer it completed with (found by its derived id). */
export async function getPayment(db: Queryable, id: string): Promise<Payment | undefined> {
  if (!UUID.test(id)) return undefined;
  const payment_id = id.toLowerCase();
  const { rows } = await db.query<Row>(
    `SELECT ${PAYMENT_NAMES} FROM (
       SELECT 0 AS source, ${PAYMENT_COLUMNS} FROM ob_payments WHERE id = $1
       UNION ALL
       SELECT 1, ${COMPLETED_PAYMENT_OF_TRANSFER} FROM transfers t
        WHERE t.id = $2 AND ${COMPLETING_PAYMENT_TRANSFER} AND t.metadata->>'payment_id' = $1::text
     ) p ORDER BY source LIMIT 1`,
    [payment_id, paymentTransferId(payment_id)],
  );
  return rows[0] ? toPayment(rows[0]) : undefined;
}

/**
 * Moves a pending payment to completed or rejected, once: the status change, the release of a
 * rejected payment's reservation and the outbox event commit together. Returns the payment
 * as it now is (unchanged if another caller settled it first).
 */
export async function finishPayment(
  tx: Queryable,
  input: {
    id: string;
    status: Exclude<PaymentStatus, 'pending'>;
    reason_code: string | null;
    now: Date;
    /** The payment's transfer was created unheld: its ledger row tells the completed event (payment-events.ts), so none is written. */
    told_by_transfer?: boolean;
  },
): Promise<Payment> {
  const { rows } = await tx.query<Row>(
    `UPDATE ob_payments SET status = $2, reason_code = $3, updated_at = $4 WHERE id = $1 AND status = 'pending'
     RETURNING ${PAYMENT_COLUMNS}`,
    [input.id, input.status, input.reason_code, input.now],
  );
  if (!rows[0]) return (await getPayment(tx, input.id))!;
  const payment = toPayment(rows[0]);
  if (payment.status === 'rejected') await releaseOnConsent(tx, payment.consent_id, payment.amount_minor);
  if (!(payment.status === 'completed' && input.told_by_transfer)) await appendEvent(tx, paymentEvent(payment, input.now));
  return payment;
}

/** Marks a held payment (its transfer is pending risk review) without finishing it. */
export async function markHeld(tx: Queryable, id: string, now: Date): Promise<void> {
  await tx.query(`UPDATE ob_payments SET reason_code = 'risk_review', updated_at = $2 WHERE id = $1 AND status = 'pending'`, [id, now]);
}

/** Removes a pending payment whose transfer was never queued, and gives back its reservation. */
export async function withdrawPayment(tx: Queryable, id: string): Promise<boolean> {
  const { rows } = await tx.query<{ consent_id: string; amount_minor: bigint }>(
    `DELETE FROM ob_payments WHERE id = $1 AND status = 'pending' RETURNING consent_id::text AS consent_id, amount_minor`,
    [id],
  );
  if (!rows[0]) return false;
  await releaseOnConsent(tx, rows[0].consent_id, rows[0].amount_minor);
  return true;
}

export const PAYMENT_PAGE_MAX = 200;
const PAYMENT_CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f-]{36})$/;

/**
 * A consent's payments, newest first, keyset-paginated by (created_at, id): its rows, and the
 * transfers of those completed with their transfer (through the index of migration 0019;
 * held payments' transfers are left out by NO_PAYMENT_ROW, as a held payment always has its
 * row, and posts and voids by pending_id). The conditions are the ones PostgreSQL estimates
 * well: with more, it took them for nearly nothing and sorted every payment of the consent.
 */
export async function listPayments(
  db: Queryable,
  input: { consent_id: string; limit: number; cursor?: string | undefined },
): Promise<{ items: Payment[]; next_cursor: string | null }> {
  const limit = Math.min(Math.max(1, input.limit), PAYMENT_PAGE_MAX);
  const after = decodeCursor(input.cursor, PAYMENT_CURSOR);
  const { rows } = await db.query<Row>(
    `SELECT ${PAYMENT_NAMES} FROM (
       (SELECT ${PAYMENT_COLUMNS} FROM ob_payments
         WHERE consent_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
         ORDER BY created_at DESC, id DESC LIMIT $4)
       UNION ALL
       (SELECT ${COMPLETED_PAYMENT_OF_TRANSFER} FROM transfers t
         WHERE t.code = ${OB_PAYMENT_TRANSFER_CODE} AND t.metadata->>'consent_id' = $1::text AND t.pending_id IS NULL AND ${NO_PAYMENT_ROW}
           AND ($2::timestamptz IS NULL OR (t.created_at, t.metadata->>'payment_id' COLLATE "C") < ($2::timestamptz, $3::text COLLATE "C"))
         ORDER BY t.created_at DESC, t.metadata->>'payment_id' COLLATE "C" DESC LIMIT $4)
     ) p ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $4`,
    [input.consent_id, after ? new Date(after[0]!) : null, after ? after[1]! : null, limit + 1],
  );
  const items = rows.slice(0, limit).map(toPayment);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last ? encodeCursor(last.created_at.toISOString(), last.id) : null };
}

/** Pending payments not touched since `before`, oldest first, for the settling sweep. */
export async function stalePendingPayments(db: Queryable, before: Date, limit: number): Promise<Payment[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${PAYMENT_COLUMNS} FROM ob_payments WHERE status = 'pending' AND updated_at < $1 ORDER BY updated_at LIMIT $2`,
    [before, limit],
  );
  return rows.map(toPayment);
}

/**
 * The payments whose transfers are among `transfer_ids` and were created unheld (the risk
 * gate's hold sets TransferFlags.pending), by transfer id: the payments those transfers
 * completed, as the transfers record them (a payment's row, where it has one, says the same
 * of what its completed event tells). Only a payment's own transfer counts: the code is
 * reserved to this layer (IS_PAYMENT_TRANSFER). With `client_ids`, only those apps' payments.
 */
export async function paymentsCompletedBy(db: Queryable, transfer_ids: readonly string[], client_ids?: ReadonlySet<string>): Promise<Map<string, Payment>> {
  if (transfer_ids.length === 0 || client_ids?.size === 0) return new Map();
  const { rows } = await db.query<Row>(
    `SELECT ${COMPLETED_PAYMENT_OF_TRANSFER} FROM transfers t WHERE t.id = ANY($1::uuid[]) AND ${COMPLETING_PAYMENT_TRANSFER}${client_ids ? ` AND t.metadata->>'client_id' = ANY($2::text[])` : ''}`,
    client_ids ? [transfer_ids, [...client_ids]] : [transfer_ids],
  );
  return new Map(rows.map((r) => [r.transfer_id, toPayment(r)]));
}

// ---- Set-based statements for a group of payments carried by one ledger-writer batch (payment-group.ts).

export interface GroupFacts {
  /** Which of the group's payment ids are stored already (a row, or the payment's transfer). */
  existing: Set<string>;
  /** The consents' status and totals (their rows locked, in id order, when asked for: see readGroupFacts). */
  consents: Map<string, ConsentTotals>;
  /** Currency and mode (its customer's, `live` when linked to none) of each creditor account that exists. */
  creditors: Map<string, CreditorFacts>;
  /** The accounts locked for the ledger, when asked for (those that exist). */
  accounts?: Map<string, AccountState>;
}

/**
 * The group's read returns one row per fact, told apart by `kind`, all in one shape (text
 * columns, the accounts' int4 code and flags, four int8 figures). Rows, not a JSON document:
 * the driver reads int8 as bigint and nothing is built and parsed again, on the writer's
 * serial path.
 */
const FACT = { account: 0, consent: 1, existing: 2, creditor: 3 } as const;
interface FactRow {
  kind: (typeof FACT)[keyof typeof FACT];
  id: string;
  currency: string | null;
  code: number | null;
  flags: number | null;
  status: string | null;
  n1: bigint | null;
  n2: bigint | null;
  n3: bigint | null;
  n4: bigint | null;
}
/** A SELECT list of that shape: `id`, and the given columns (typed NULLs for the rest). */
function factColumns(kind: number, c: { id: string; currency?: string; code?: string; flags?: string; status?: string; n?: readonly string[] }): string {
  const n = [0, 1, 2, 3].map((i) => `${c.n?.[i] ?? 'NULL'}::int8 AS n${i + 1}`);
  return `${kind} AS kind, ${c.id} AS id, ${c.currency ?? 'NULL'}::text AS currency, ${c.code ?? 'NULL'}::int4 AS code, ${c.flags ?? 'NULL'}::int4 AS flags, ${c.status ?? 'NULL'}::text AS status, ${n.join(', ')}`;
}

/**
 * Everything a group's plan reads, in one round trip. With `account_ids`, the same statement
 * also locks those accounts for the ledger (accountLockClause) and returns them. The consents
 * are read without a lock (the write checks they still allow the plan: consentTotalsUpdate)
 * unless `lock_consents`; then they are locked in id order, after the accounts when those are
 * locked here too: the order of an unlocked read's write, accounts then consents.
 */
export async function readGroupFacts(
  tx: Queryable,
  input: {
    /** The payments' ids, and their (derived) transfer ids, in the same order. */
    payment_ids: string[];
    transfer_ids: string[];
    consent_ids: string[];
    creditor_ids: string[];
    account_ids?: string[];
    lock_consents?: boolean;
  },
): Promise<GroupFacts> {
  const lockAccounts = input.account_ids !== undefined;
  const consentLock = input.lock_consents ? `${lockAccounts ? ' AND (SELECT count(*) FROM locked_accounts) >= 0' : ''} ORDER BY id FOR UPDATE` : '';
  const { rows } = await tx.query<FactRow>(
    `WITH ${lockAccounts ? `locked_accounts AS (${accountLockClause('$5')}), ` : ''}consent_rows AS (
       SELECT id, status, expires_at, amount_limit_minor, amount_used_minor FROM consents WHERE id = ANY($2::uuid[])${consentLock}
     )
     ${lockAccounts ? `SELECT ${factColumns(FACT.account, { id: 'id::text', currency: 'currency', code: 'code', flags: 'flags', status: 'status', n: ['debits_pending', 'debits_posted', 'credits_pending', 'credits_posted'] })} FROM locked_accounts UNION ALL` : ''}
     SELECT ${factColumns(FACT.consent, { id: 'id::text', status: 'status', n: ['amount_limit_minor', 'amount_used_minor', '(extract(epoch FROM expires_at) * 1000)'] })} FROM consent_rows
     UNION ALL SELECT ${factColumns(FACT.existing, { id: 'id::text' })} FROM ob_payments WHERE id = ANY($1::uuid[])
     UNION ALL SELECT ${factColumns(FACT.existing, { id: "t.metadata->>'payment_id'" })} FROM transfers t WHERE t.id = ANY($4::uuid[]) AND ${IS_PAYMENT_TRANSFER}
     UNION ALL SELECT ${factColumns(FACT.creditor, { id: 'a.id::text', currency: 'a.currency', status: "coalesce(c.mode, 'live')" })}
       FROM accounts a LEFT JOIN customer_accounts ca ON ca.account_id = a.id LEFT JOIN customers c ON c.id = ca.customer_id
      WHERE a.id = ANY($3::uuid[])`,
    [input.payment_ids, input.consent_ids, input.creditor_ids, input.transfer_ids, ...(input.account_ids ? [input.account_ids] : [])],
  );
  const facts: GroupFacts = { existing: new Set(), consents: new Map(), creditors: new Map(), ...(lockAccounts ? { accounts: new Map() } : {}) };
  for (const r of rows) {
    switch (r.kind) {
      case FACT.account:
        facts.accounts!.set(
          r.id,
          lockedFromRow({ id: r.id, currency: r.currency, code: r.code, flags: r.flags, status: r.status, debits_pending: r.n1, debits_posted: r.n2, credits_pending: r.n3, credits_posted: r.n4 }),
        );
        break;
      case FACT.consent:
        facts.consents.set(r.id, { id: r.id, status: r.status as ConsentTotals['status'], expires_at: new Date(Number(r.n3)), amount_limit_minor: r.n1, amount_used_minor: r.n2! });
        break;
      case FACT.existing:
        facts.existing.add(r.id);
        break;
      case FACT.creditor:
        facts.creditors.set(r.id, { currency: r.currency!, mode: r.status as CreditorFacts['mode'] });
        break;
    }
  }
  return facts;
}

/**
 * The consents' new used totals, the payments as they are (finished, or held for risk
 * review) and their outbox events, as statements that ride the ledger writer's write
 * (payment-group.ts). The access cache is not told: a caller that lowers a total (a
 * release) forgets the consent itself.
 */
export function paymentRows(input: {
  /**
   * Each consent's new used total, the total it was planned from (as read), and whether the
   * write needs exactly that total (a member was refused for the limit: ConsentTotalsWrite).
   */
  used_totals: ReadonlyMap<string, ConsentTotalsWrite>;
  payments: readonly Payment[];
  events?: readonly OutboxEvent[];
}): StatementPart | undefined {
  const { used_totals, payments, events = [] } = input;
  const parts = [consentTotalsUpdate(used_totals), paymentsInsert(payments), events.length > 0 ? outboxInsert(events) : undefined].filter(
    (part): part is StatementPart => part !== undefined,
  );
  if (parts.length === 0) return undefined;
  return {
    statements: (first) => {
      let next = first;
      return parts.flatMap((part) => {
        const statements = part.statements(next);
        next += part.params.length;
        return statements;
      });
    },
    params: parts.flatMap((part) => part.params),
  };
}

/** The same rows in a statement of their own. */
export async function recordPayments(tx: Queryable, input: Parameters<typeof paymentRows>[0]): Promise<void> {
  const rows = paymentRows(input);
  if (rows) await runParts(tx, [rows]);
}

/** What a payment group writes to one consent: the total it read, the total it planned, and whether it needs the one it read. */
export interface ConsentTotalsWrite {
  read: bigint;
  used: bigint;
  /** A member was refused for the limit, a refusal only the total read justifies. */
  exact: boolean;
}

/**
 * Adds to each consent's used total what the group reserved on it (`used - read`), provided
 * the consent is still authorised and the reservation is still allowed: the total is the
 * one the plan read, or (unless `exact`) the reservation still fits the limit on top of the
 * total as it now is. Every payment plan accepted was one that fits, so acceptances hold
 * whatever was added meanwhile (another node's payment batch, a red envelope's reservation)
 * as long as the sum does; a limit refusal holds only for the total read. The check runs on the row as the
 * update locks it (a row another transaction changed is re-read first), so it holds until
 * the commit; a consent that no longer allows the plan fails the statement as a serialization
 * failure (consent_changed_since_read, migration 0018), which the ledger writer retries on
 * fresh rows. A plan that locked its consents as it read them passes the check trivially.
 */
function consentTotalsUpdate(used_totals: ReadonlyMap<string, ConsentTotalsWrite>): StatementPart | undefined {
  if (used_totals.size === 0) return undefined;
  // In id order, the order every writer of several consents takes their row locks in.
  const ids = [...used_totals.keys()].sort();
  const writes = ids.map((id) => used_totals.get(id)!);
  return {
    statements: (first) => [
      `UPDATE consents c
          SET amount_used_minor = CASE
                WHEN c.status = 'authorised' AND (c.amount_used_minor = u.read
                  OR (NOT u.exact AND c.amount_used_minor + (u.used - u.read) <= c.amount_limit_minor))
                THEN c.amount_used_minor + (u.used - u.read)
                ELSE consent_changed_since_read(c.id) END
         FROM unnest($${first}::uuid[], $${first + 1}::int8[], $${first + 2}::int8[], $${first + 3}::bool[]) AS u(id, read, used, exact) WHERE c.id = u.id`,
    ],
    params: [ids, writes.map((w) => w.read.toString()), writes.map((w) => w.used.toString()), writes.map((w) => w.exact)],
  };
}

function paymentsInsert(payments: readonly Payment[]): StatementPart | undefined {
  if (payments.length === 0) return undefined;
  // One JSON parameter, not a column array each: the driver escapes no array elements and the
  // database parses one document, on the writer's serial path (amounts as text: exact).
  // Fields named one by one: a spread copy of the payment made JSON.stringify several times slower.
  const rows = payments.map((p) => ({
    id: p.id,
    consent_id: p.consent_id,
    client_id: p.client_id,
    customer_id: p.customer_id,
    debtor_account_id: p.debtor_account_id,
    creditor_account_id: p.creditor_account_id,
    amount_minor: p.amount_minor.toString(),
    currency: p.currency,
    reference: p.reference,
    status: p.status,
    reason_code: p.reason_code,
    transfer_id: p.transfer_id,
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
  }));
  return {
    statements: (first) => [
      `INSERT INTO ob_payments (${PAYMENT_NAMES})
       SELECT * FROM jsonb_to_recordset($${first}::jsonb) AS r(${PAYMENT_ROW_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})`,
    ],
    params: [JSON.stringify(rows)],
  };
}
