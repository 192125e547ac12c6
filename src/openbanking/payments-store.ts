/**
 * SQL for `ob_payments`, and the consent's running total (amount_used_minor) that payments
 * reserve against. The reservation is one guarded UPDATE, so concurrent payments under one
 * consent can never together pass its limit (the table's CHECK constraint says so too).
 */
import type { Queryable } from '../db/port.js';
import { appendEvent } from '../events/outbox.js';
import { forgetConsent } from './consents-store.js';
import type { Payment, PaymentStatus } from './payments.js';

const PAYMENT_COLUMNS = `id::text AS id, consent_id::text AS consent_id, client_id, customer_id, debtor_account_id::text AS debtor_account_id,
  creditor_account_id::text AS creditor_account_id, amount_minor, currency, reference, status, reason_code,
  transfer_id::text AS transfer_id, created_at, updated_at`;

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

/** Inserts a pending payment; undefined if the id exists (a concurrent request with the same id). */
export async function insertPayment(tx: Queryable, p: Omit<Payment, 'status' | 'reason_code' | 'updated_at'>): Promise<Payment | undefined> {
  const { rows } = await tx.query<Row>(
    `INSERT INTO ob_payments (id, consent_id, client_id, customer_id, debtor_account_id, creditor_account_id, amount_minor,
                              currency, reference, status, reason_code, transfer_id, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', NULL, $10, $11, $11)
     ON CONFLICT (id) DO NOTHING
     RETURNING ${PAYMENT_COLUMNS}`,
    [p.id, p.consent_id, p.client_id, p.customer_id, p.debtor_account_id, p.creditor_account_id, p.amount_minor, p.currency, p.reference, p.transfer_id, p.created_at],
  );
  return rows[0] ? toPayment(rows[0]) : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getPayment(db: Queryable, id: string): Promise<Payment | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await db.query<Row>(`SELECT ${PAYMENT_COLUMNS} FROM ob_payments WHERE id = $1`, [id.toLowerCase()]);
  return rows[0] ? toPayment(rows[0]) : undefined;
}

/**
 * Moves a pending payment to completed or rejected, once: the status change, the release of a
 * rejected payment's reservation and the outbox event commit together. Returns the payment
 * as it now is (unchanged if another caller settled it first).
 */
export async function finishPayment(
  tx: Queryable,
  input: { id: string; status: Exclude<PaymentStatus, 'pending'>; reason_code: string | null; now: Date },
): Promise<Payment> {
  const { rows } = await tx.query<Row>(
    `UPDATE ob_payments SET status = $2, reason_code = $3, updated_at = $4 WHERE id = $1 AND status = 'pending'
     RETURNING ${PAYMENT_COLUMNS}`,
    [input.id, input.status, input.reason_code, input.now],
  );
  if (!rows[0]) return (await getPayment(tx, input.id))!;
  const payment = toPayment(rows[0]);
  if (payment.status === 'rejected') await releaseOnConsent(tx, payment.consent_id, payment.amount_minor);
  await appendEvent(tx, {
    topic: payment.status === 'completed' ? 'openbanking.payment.completed' : 'openbanking.payment.rejected',
    entity_id: payment.id,
    client_id: payment.client_id,
    payload: paymentEventPayload(payment),
    created_at: input.now,
  });
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

/** Pending payments not touched since `before`, oldest first, for the settling sweep. */
export async function stalePendingPayments(db: Queryable, before: Date, limit: number): Promise<Payment[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${PAYMENT_COLUMNS} FROM ob_payments WHERE status = 'pending' AND updated_at < $1 ORDER BY updated_at LIMIT $2`,
    [before, limit],
  );
  return rows.map(toPayment);
}

export function paymentEventPayload(p: Payment): Record<string, unknown> {
  return {
    payment_id: p.id,
    consent_id: p.consent_id,
    status: p.status,
    amount_minor: p.amount_minor.toString(),
    currency: p.currency,
    creditor_account_id: p.creditor_account_id,
    reference: p.reference,
    ...(p.reason_code ? { reason_code: p.reason_code } : {}),
  };
}
