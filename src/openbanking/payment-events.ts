/**
 * A payment's completed event, told by its transfer (the event rows and their data are built
 * by paymentEvent in payments.ts).
 *
 * A payment that completes with its transfer (the ledger created it and the risk gate did not
 * hold it; nearly every payment) has no outbox row of its own: its event is derived from the
 * ledger's `ledger.transfer.created` row for that transfer (events/derived-events.ts), so the
 * payment batch on the ledger writer's serial path writes one event row per payment, not two.
 * A rejected payment, and one completed after a risk hold, write their event as a row.
 */
import { derivedEventId, type EventDeriver } from '../events/derived-events.js';
import { PAYMENT_COMPLETED, paymentEventPayload, type Payment } from './payments.js';
import { paymentsCompletedBy } from './payments-store.js';

/**
 * The completed events that ledger rows tell: one after each `ledger.transfer.created` row
 * whose transfer completed a payment. A payment written before its transfer (rows from before
 * payments rode the ledger's batch) may still read pending here: its transfer has completed
 * it all the same, so the event says completed, as the row written for it would have.
 */
export const paymentEventsFromLedger: EventDeriver = async (db, rows, scope) => {
  const created = rows.filter((r) => r.topic === 'ledger.transfer.created' && r.payload === null);
  const payments = await paymentsCompletedBy(db, [...new Set(created.map((r) => r.entity_id))], scope?.client_ids);
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
