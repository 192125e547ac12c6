/**
 * Payments a partner initiates under a payment_initiation consent, the pure part: the
 * record, the ledger transfer it moves money with (its id derived from the payment's, so a
 * payment left pending by a crash is settled by looking its transfer up or submitting the
 * same transfer again), and how a transfer's state settles a payment.
 */
import { derivedUuid } from '../db/uuid.js';
import type { PendingState, TransferInput, AccountId, TransferId } from '../ledger/types.js';
import type { OutboxEvent } from '../events/outbox.js';

/** Transfer code of open-banking payments: a bank may put a risk transfer policy on it. */
export const OB_PAYMENT_TRANSFER_CODE = 7001;

/**
 * SQL joining a transfer `t` to the payment `p` it made, through the payment id in the
 * transfer's metadata (every payment's transfer names it) and confirmed by p.transfer_id =
 * t.id, so a transfer that merely names a payment joins nothing. It reaches ob_payments by
 * its primary key: the table keeps no index on transfer_id, which every payment would pay
 * for on the ledger writer's serial path.
 */
export const PAYMENT_OF_TRANSFER = `ob_payments p ON p.id = CASE
    WHEN t.code = ${OB_PAYMENT_TRANSFER_CODE} AND t.metadata->>'payment_id' ~ '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN (t.metadata->>'payment_id')::uuid
  END AND p.transfer_id = t.id`;

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
