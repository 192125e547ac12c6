/**
 * Payments a partner initiates under a payment_initiation consent, the pure part: the
 * record, the ledger transfer it moves money with (its id derived from the payment's, so a
 * payment left pending by a crash is settled by looking its transfer up or submitting the
 * same transfer again), and how a transfer's state settles a payment.
 */
import { derivedUuid } from '../db/uuid.js';
import type { PendingState, TransferInput, AccountId, TransferId } from '../ledger/types.js';
import type { OutboxEvent } from '../events/outbox.js';
import { OB_PAYMENT_TRANSFER_CODE } from '../ledger/reserved-codes.js';

export { OB_PAYMENT_TRANSFER_CODE };

const UUID_TEXT = "'^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'";

/** SQL: the payment id a transfer `t` names in its metadata, as a uuid (null unless it is one). */
export const PAYMENT_ID_OF_TRANSFER = `CASE WHEN t.metadata->>'payment_id' ~ ${UUID_TEXT} THEN (t.metadata->>'payment_id')::uuid END`;

/**
 * SQL true for a transfer `t` that is a payment's own: the payments' code (reserved: the
 * ledger's API refuses new transfers with it, so only this layer makes them, always with the
 * metadata paymentTransfer gives them), and not a post or void of one.
 */
export const IS_PAYMENT_TRANSFER = `(t.code = ${OB_PAYMENT_TRANSFER_CODE} AND t.pending_id IS NULL AND t.metadata ? 'consent_id')`;

/** SQL true for a payment's transfer `t` that completed its payment when it was made: not held by the risk gate (TransferFlags.pending). */
export const COMPLETING_PAYMENT_TRANSFER = `(${IS_PAYMENT_TRANSFER} AND t.flags & 2 = 0)`;

/**
 * SQL columns of a payment completed with its transfer `t`, as PAYMENT_COLUMNS reads a stored
 * row: such a payment has no row of its own (payment-group.ts); its transfer records all of
 * it, and its time is the transfer's. The fields are read from the metadata as this layer
 * wrote them (lowercase uuids as text), with no further check: the relays read every
 * payment's transfer this way, and a regular-expression check per row had doubled their query.
 */
export const COMPLETED_PAYMENT_OF_TRANSFER = `t.metadata->>'payment_id' AS id, t.metadata->>'consent_id' AS consent_id, t.metadata->>'client_id' AS client_id,
  t.metadata->>'customer_id' AS customer_id, t.debit_account_id::text AS debtor_account_id, t.credit_account_id::text AS creditor_account_id,
  t.amount AS amount_minor, t.currency, t.metadata->>'reference' AS reference, 'completed'::text AS status, NULL::text AS reason_code,
  t.id::text AS transfer_id, t.created_at, t.created_at AS updated_at`;

/** A pending payment untouched for this long is settled by the sweep (or when it is read). */
export const PAYMENT_SETTLE_GRACE_MS = 30_000;
export const REFERENCE_LENGTH_MAX = 140;

export type PaymentStatus = 'pending' | 'completed' | 'rejected';

export interface Payment {
  id: string;
  consent_id: string;
  client_id: string;
  customer_id: string;
  debtor_account_id: string;
  creditor_account_id: string;
  amount_minor: bigint;
  currency: string;
  reference: string | null;
  status: PaymentStatus;
  /** Why a payment was rejected (a ledger or risk code), or `risk_review` while held. */
  reason_code: string | null;
  transfer_id: string;
  created_at: Date;
  updated_at: Date;
}

export function paymentTransferId(payment_id: string): string {
  return derivedUuid(`openbanking.payment:${payment_id.toLowerCase()}`);
}

/**
 * The one ledger transfer of a payment. Everything in it comes from the payment row, so a
 * retry or a recovery submits exactly the same transfer and the ledger's idempotency
 * (same id, same fields) makes it happen at most once.
 */
export function paymentTransfer(p: Pick<Payment, 'id' | 'transfer_id' | 'debtor_account_id' | 'creditor_account_id' | 'amount_minor' | 'currency' | 'customer_id' | 'client_id' | 'consent_id' | 'reference'>): TransferInput {
  return {
    id: p.transfer_id as TransferId,
    debit_account_id: p.debtor_account_id as AccountId,
    credit_account_id: p.creditor_account_id as AccountId,
    amount: p.amount_minor,
    code: OB_PAYMENT_TRANSFER_CODE,
    flags: 0,
    // customer_id, channel and currency are what the risk gate reads for its payment event.
    metadata: {
      customer_id: p.customer_id,
      channel: 'open_banking',
      currency: p.currency,
      client_id: p.client_id,
      consent_id: p.consent_id,
      payment_id: p.id,
      ...(p.reference ? { reference: p.reference } : {}),
    },
  };
}

export type Settlement = { status: 'pending'; reason_code: 'risk_review' } | { status: 'completed' } | { status: 'rejected'; reason_code: string };

/** What a committed transfer means for its payment: a held (pending) transfer waits for the risk analyst. */
export function settlementOfTransfer(t: { flags: number; pending_state: PendingState | null }): Settlement {
  const pending = (t.flags & 2) !== 0; // TransferFlags.pending: the risk gate held it
  if (!pending) return { status: 'completed' };
  switch (t.pending_state) {
    case 'posted':
      return { status: 'completed' };
    case 'voided':
      return { status: 'rejected', reason_code: 'risk_blocked' };
    case 'expired':
      return { status: 'rejected', reason_code: 'risk_review_expired' };
    default:
      return { status: 'pending', reason_code: 'risk_review' };
  }
}

/** What a transfer the ledger has just committed means for its payment: held (pending) or completed. */
export function settlementOfCommitted(t: { flags: number }): Settlement {
  return settlementOfTransfer({ flags: t.flags, pending_state: (t.flags & 2) !== 0 ? 'pending' : null });
}

/** The same payment id again must carry the same request. */
export function samePaymentRequest(
  existing: Payment,
  request: { client_id: string; consent_id: string; creditor_account_id: string; amount_minor: bigint; currency: string; reference: string | null },
): boolean {
  return (
    existing.client_id === request.client_id &&
    existing.consent_id === request.consent_id &&
    existing.creditor_account_id === request.creditor_account_id.toLowerCase() &&
    existing.amount_minor === request.amount_minor &&
    existing.currency === request.currency &&
    existing.reference === request.reference
  );
}

// ---- The payment's webhook events (`openbanking.payment.completed` and `.rejected`).

export const PAYMENT_COMPLETED = 'openbanking.payment.completed';
export const PAYMENT_REJECTED = 'openbanking.payment.rejected';

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

/** The event row of a finished payment (one its transfer does not tell). */
export function paymentEvent(p: Payment, now: Date): OutboxEvent {
  return {
    topic: p.status === 'completed' ? PAYMENT_COMPLETED : PAYMENT_REJECTED,
    entity_id: p.id,
    client_id: p.client_id,
    payload: paymentEventPayload(p),
    created_at: now,
  };
}
