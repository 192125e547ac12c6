/**
 * Baseline: red envelopes the straightforward way, one database transaction per grab
 * holding the envelope's row lock from the first statement to COMMIT:
 *
 *   BEGIN
 *   SELECT … FROM naive_envelopes WHERE id = $1 FOR UPDATE      -- every grab waits here
 *   SELECT … FROM naive_grabs WHERE envelope_id = $1 AND customer_id = $2   -- grabbed before?
 *   draw the share (double mean, the same pure drawShare/settleGrabs as Capillary's core)
 *   UPDATE naive_envelopes …; INSERT INTO naive_grabs …
 *   SELECT … FROM naive_accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE
 *   UPDATE naive_accounts (holding) …; UPDATE naive_accounts (recipient) …
 *   INSERT INTO naive_transfers …
 *   COMMIT
 *
 * Its tables are bench-only copies of Capillary's own (`CREATE TABLE … (LIKE … INCLUDING
 * ALL)`: same columns, checks and indexes, no foreign keys), so both write the same rows.
 */
import { uuidv7 } from '../../src/db/uuid.js';
import type { Db, Queryable } from '../../src/db/port.js';
import { drawShare, envelopeFingerprint, LedgerCodes, settleGrabs, type EnvelopeMode, type EnvelopeStatus, type Grab, type RandomSource } from '../../src/envelopes/core.js';
import { transferFingerprint } from '../../src/ledger/core.js';
import { AccountFlags, type AccountId, type TransferId } from '../../src/ledger/types.js';

export const NAIVE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS naive_accounts (LIKE accounts INCLUDING ALL);
  CREATE TABLE IF NOT EXISTS naive_transfers (LIKE transfers INCLUDING ALL);
  CREATE TABLE IF NOT EXISTS naive_envelopes (LIKE envelopes INCLUDING ALL);
  CREATE TABLE IF NOT EXISTS naive_grabs (LIKE envelope_grabs INCLUDING ALL);
`;

export interface GrabAsk {
  customer_id: string;
  account_id: string;
  link_token?: string | undefined;
}

/** The naive server's grabs have the same shape as the product's. */
export type NaiveGrab = Grab;

export type NaiveOutcome =
  | { ok: true; grab: NaiveGrab; replayed: boolean }
  | { ok: false; code: 'envelope_not_found' | 'not_in_audience' | 'envelope_empty' | 'envelope_expired' | 'already_grabbed' | 'account_not_found' | 'currency_mismatch' };

/** Thrown inside the transaction to roll it back with an answer for the client. */
class Refused extends Error {
  constructor(readonly code: Extract<NaiveOutcome, { ok: false }>['code']) {
    super(code);
  }
}

interface EnvelopeRow {
  holding_account_id: string;
  currency: string;
  mode: EnvelopeMode;
  link_token: string;
  status: EnvelopeStatus;
  expires_at: Date;
  remaining_amount: bigint;
  remaining_shares: number;
  claimed_amount: bigint;
  claimed_count: number;
}

export async function naiveGrab(db: Db, envelopeId: string, ask: GrabAsk, random: RandomSource): Promise<NaiveOutcome> {
  try {
    return await db.transaction((tx) => grabInTransaction(tx, envelopeId, ask, random));
  } catch (err) {
    if (err instanceof Refused) return { ok: false, code: err.code };
    throw err;
  }
}

async function grabInTransaction(tx: Queryable, envelopeId: string, ask: GrabAsk, random: RandomSource): Promise<NaiveOutcome> {
  const envelope = (
    await tx.query<EnvelopeRow>(
      `SELECT holding_account_id, currency, mode, link_token, status, expires_at, remaining_amount, remaining_shares, claimed_amount, claimed_count
       FROM naive_envelopes WHERE id = $1 FOR UPDATE`,
      [envelopeId],
    )
  ).rows[0];
  if (!envelope) return { ok: false, code: 'envelope_not_found' };
  if (ask.link_token !== envelope.link_token) return { ok: false, code: 'not_in_audience' };
  const earlier = (
    await tx.query<NaiveGrab>(
      `SELECT envelope_id, customer_id, account_id, amount, transfer_id, position, grabbed_at FROM naive_grabs WHERE envelope_id = $1 AND customer_id = $2`,
      [envelopeId, ask.customer_id],
    )
  ).rows[0];
  if (earlier) return earlier.account_id === ask.account_id ? { ok: true, grab: earlier, replayed: true } : { ok: false, code: 'already_grabbed' };
  const now = new Date();
  if (envelope.status === 'empty' || envelope.remaining_shares === 0) return { ok: false, code: 'envelope_empty' };
  if (envelope.status !== 'open' || now.getTime() >= envelope.expires_at.getTime()) return { ok: false, code: 'envelope_expired' };

  const amount = drawShare(envelope.remaining_amount, envelope.remaining_shares, envelope.mode, random);
  const state = settleGrabs(envelope, [amount], now);
  const at = now.toISOString();
  await tx.query(
    `UPDATE naive_envelopes SET remaining_amount = $2, remaining_shares = $3, claimed_amount = $4, claimed_count = $5,
       status = $6, finished_at = $7, updated_at = $8 WHERE id = $1`,
    [envelopeId, state.remaining_amount, state.remaining_shares, state.claimed_amount, state.claimed_count, state.status, state.finished_at?.toISOString() ?? null, at],
  );
  const grab: NaiveGrab = {
    envelope_id: envelopeId,
    customer_id: ask.customer_id,
    account_id: ask.account_id,
    amount,
    transfer_id: uuidv7(now.getTime()),
    position: state.claimed_count,
    grabbed_at: now,
  };
  await tx.query(
    `INSERT INTO naive_grabs (envelope_id, customer_id, account_id, amount, transfer_id, position, grabbed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [envelopeId, grab.customer_id, grab.account_id, amount, grab.transfer_id, grab.position, at],
  );

  const holding = envelope.holding_account_id;
  const recipient = ask.account_id;
  const accounts = (
    await tx.query<{ id: string; currency: string; status: string }>(
      'SELECT id, currency, status FROM naive_accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE',
      holding < recipient ? [holding, recipient] : [recipient, holding],
    )
  ).rows;
  const account = accounts.find((a) => a.id === recipient);
  if (!account || account.status !== 'open') throw new Refused('account_not_found');
  if (account.currency !== envelope.currency) throw new Refused('currency_mismatch');
  await tx.query('UPDATE naive_accounts SET debits_posted = debits_posted + $2, updated_at = $3 WHERE id = $1', [holding, amount, at]);
  await tx.query('UPDATE naive_accounts SET credits_posted = credits_posted + $2, updated_at = $3 WHERE id = $1', [recipient, amount, at]);
  await insertTransfer(tx, { id: grab.transfer_id, debit: holding, credit: recipient, amount, currency: envelope.currency, code: LedgerCodes.grab_transfer, at });
  return { ok: true, grab, replayed: false };
}

interface TransferRow {
  id: string;
  debit: string;
  credit: string;
  amount: bigint;
  currency: string;
  code: number;
  at: string;
}

async function insertTransfer(tx: Queryable, t: TransferRow): Promise<void> {
  const print = transferFingerprint({
    id: t.id as TransferId,
    debit_account_id: t.debit as AccountId,
    credit_account_id: t.credit as AccountId,
    amount: t.amount,
    code: t.code,
    flags: 0,
  });
  await tx.query(
    `INSERT INTO naive_transfers (id, debit_account_id, credit_account_id, amount, currency, pending_id, code, flags,
                                  timeout_seconds, expires_at, metadata, fingerprint, created_at)
     VALUES ($1, $2, $3, $4, $5, NULL, $6, 0, NULL, NULL, NULL, $7, $8)`,
    [t.id, t.debit, t.credit, t.amount, t.currency, t.code, print, t.at],
  );
}

// ------------------------------------------------------------------ setup and checks (not timed)

export async function createNaiveSchema(db: Db): Promise<void> {
  await db.exec(NAIVE_SCHEMA);
}

/** Accounts with no limit flags (recipients, the bank) or, with `limited`, debits capped by credits (senders). */
export async function createNaiveAccounts(db: Db, ids: readonly string[], currency: string, code: number, limited: boolean): Promise<void> {
  const at = new Date().toISOString();
  await db.query(
    `INSERT INTO naive_accounts (id, currency, code, flags, status, created_at, updated_at)
     SELECT u.id, $2, $3, $4, 'open', $5, $5 FROM unnest($1::uuid[]) AS u(id)`,
    [[...ids], currency, code, limited ? AccountFlags.debits_must_not_exceed_credits : 0, at],
  );
}

/** One posted transfer between two naive accounts (funding, not timed). */
export async function naiveTransfer(db: Db, debit: string, credit: string, amount: bigint, currency: string, code: number): Promise<void> {
  await db.transaction(async (tx) => {
    const at = new Date().toISOString();
    await tx.query('SELECT id FROM naive_accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE', debit < credit ? [debit, credit] : [credit, debit]);
    await tx.query('UPDATE naive_accounts SET debits_posted = debits_posted + $2, updated_at = $3 WHERE id = $1', [debit, amount, at]);
    await tx.query('UPDATE naive_accounts SET credits_posted = credits_posted + $2, updated_at = $3 WHERE id = $1', [credit, amount, at]);
    await insertTransfer(tx, { id: uuidv7(), debit, credit, amount, currency, code, at });
  });
}

export interface NaiveEnvelopeInput {
  id: string;
  sender_customer_id: string;
  funding_account_id: string;
  holding_account_id: string;
  total_amount: bigint;
  share_count: number;
  link_token: string;
  currency: string;
}

/** A random-mode, link-audience envelope funded from the sender's account, as Capillary creates one. */
export async function createNaiveEnvelope(db: Db, e: NaiveEnvelopeInput): Promise<void> {
  await createNaiveAccounts(db, [e.holding_account_id], e.currency, LedgerCodes.holding_account, true);
  await naiveTransfer(db, e.funding_account_id, e.holding_account_id, e.total_amount, e.currency, LedgerCodes.fund_transfer);
  const now = new Date();
  const fingerprint = envelopeFingerprint({
    id: e.id,
    sender_customer_id: e.sender_customer_id,
    funding_account_id: e.funding_account_id,
    total_amount: e.total_amount,
    share_count: e.share_count,
    mode: 'random',
    greeting: '',
    expires_in_seconds: 24 * 3600,
    audience: { kind: 'link' },
  });
  await db.query(
    `INSERT INTO naive_envelopes (id, sender_customer_id, funding_account_id, holding_account_id, currency, total_amount, share_count,
       mode, greeting, audience_kind, audience_group_id, link_token, remaining_amount, remaining_shares, claimed_amount, claimed_count,
       status, refunded_amount, refund_error, fingerprint, expires_at, created_at, updated_at, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'random', '', 'link', NULL, $8, $6, $7, 0, 0, 'open', 0, NULL, $9, $10, $11, $11, NULL)`,
    [e.id, e.sender_customer_id, e.funding_account_id, e.holding_account_id, e.currency, e.total_amount, e.share_count, e.link_token, fingerprint,
     new Date(now.getTime() + 24 * 3600 * 1000).toISOString(), now.toISOString()],
  );
}

export interface NaiveEnvelopeState {
  status: string;
  total_amount: bigint;
  claimed_count: number;
  claimed_amount: bigint;
  remaining_amount: bigint;
  remaining_shares: number;
  refunded_amount: bigint;
  holding_balance: bigint;
}

export async function naiveEnvelopeState(db: Db, id: string): Promise<NaiveEnvelopeState | undefined> {
  const row = (
    await db.query<Omit<NaiveEnvelopeState, 'holding_balance'> & { credits_posted: bigint; debits_posted: bigint }>(
      `SELECT e.status, e.total_amount, e.claimed_count, e.claimed_amount, e.remaining_amount, e.remaining_shares, e.refunded_amount,
              a.credits_posted, a.debits_posted
       FROM naive_envelopes e JOIN naive_accounts a ON a.id = e.holding_account_id WHERE e.id = $1`,
      [id],
    )
  ).rows[0];
  if (!row) return undefined;
  const { credits_posted, debits_posted, ...state } = row;
  return { ...state, holding_balance: credits_posted - debits_posted };
}

/** The naive ledger's books: debits equal credits, and every balance equals the sum of its transfers. */
export async function naiveInvariants(db: Db): Promise<{ ok: boolean; detail: string }> {
  const totals = (
    await db.query<{ d: bigint | null; c: bigint | null; t: bigint | null }>(
      `SELECT (SELECT sum(debits_posted)::int8 FROM naive_accounts) AS d, (SELECT sum(credits_posted)::int8 FROM naive_accounts) AS c,
              (SELECT sum(amount)::int8 FROM naive_transfers) AS t`,
    )
  ).rows[0]!;
  const mismatched = (
    await db.query<{ n: bigint }>(
      `SELECT count(*)::int8 AS n FROM naive_accounts a
       LEFT JOIN (SELECT debit_account_id AS id, sum(amount)::int8 AS s FROM naive_transfers GROUP BY 1) d ON d.id = a.id
       LEFT JOIN (SELECT credit_account_id AS id, sum(amount)::int8 AS s FROM naive_transfers GROUP BY 1) c ON c.id = a.id
       WHERE a.debits_posted <> coalesce(d.s, 0) OR a.credits_posted <> coalesce(c.s, 0)`,
    )
  ).rows[0]!.n;
  const d = totals.d ?? 0n;
  const c = totals.c ?? 0n;
  const t = totals.t ?? 0n;
  const ok = d === c && d === t && mismatched === 0n;
  return { ok, detail: `debits ${d}, credits ${c}, transfers ${t}, accounts not matching their transfers ${mismatched}` };
}
