/**
 * A payment's webhook events: `openbanking.payment.completed` and `.rejected`, data as
 * paymentEventPayload shows it.
 *
 * A payment that completes with its transfer (the ledger created it and the risk gate did not
 * hold it; nearly every payment) has no outbox row of its own: its event is derived from the
 * ledger's `ledger.transfer.created` row for that transfer (events/derived-events.ts), so the
 * payment batch on the ledger writer's serial path writes one event row per payment, not two.
 * A rejected payment, and one completed after a risk hold, write their event as a row.
 */
import type { EventDeriver } from '../events/derived-events.js';
import { derivedEventId } from '../events/derived-events.js';
import type { OutboxEvent } from '../events/outbox.js';
import { TransferFlags } from '../ledger/types.js';
import type { Payment } from './payments.js';
import { paymentsCompletedBy } from './payments-store.js';

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

/**
 * The completed events that ledger rows tell: one after each `ledger.transfer.created` row
 * whose transfer completed a payment. A payment written before its transfer (rows from before
 * payments rode the ledger's batch) may still read pending here: its transfer has completed
 * it all the same, so the event says completed, as the row written for it would have.
 */
export const paymentEventsFromLedger: EventDeriver = async (db, rows) => {
  const created = rows.filter((r) => r.topic === 'ledger.transfer.created' && r.payload === null);
  const payments = await paymentsCompletedBy(db, [...new Set(created.map((r) => r.entity_id))], TransferFlags.pending);
  return created.flatMap((row) => {
    const payment = payments.get(row.entity_id);
    if (!payment) return [];
    const completed: Payment = { ...payment, status: 'completed', reason_code: null };
    return [
      {
        seq: row.seq,
        event_id: derivedEventId(row.event_id, PAYMENT_COMPLETED),
        topic: PAYMENT_COMPLETED,
        entity_id: payment.id,
        client_id: payment.client_id,
        payload: paymentEventPayload(completed),
        created_at: row.created_at,
      },
    ];
  });
};
