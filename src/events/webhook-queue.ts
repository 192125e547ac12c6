/**
 * The webhook relay's sink: turns relayed events into `webhook_deliveries` rows, one per
 * (event, partner app), in the transaction that advances the relay's cursor, so a crash
 * either keeps both or neither, and running a batch again adds nothing (unique per pair).
 * Apps without a webhook URL, or disabled, get no delivery.
 */
import type { Queryable } from '../db/port.js';
import type { DeriveScope } from './derived-events.js';
import { uuidv7 } from '../db/uuid.js';
import { buildEnvelopes, type OutboxRow } from './event-builders.js';
import type { RelaySink } from './relay.js';
import { appTargets, appsWithWebhooks, insertDeliveries, paymentClients, type NewDelivery } from './webhook-store.js';
import { DEFAULT_RETRY, LEDGER_TOPICS_FOR_PARTNERS, routeToPartners, type RetryPolicy } from './webhooks.js';
import { payloadJson } from './outbox.js';

export class WebhookQueue implements RelaySink {
  /** Deliveries queued since this object was made (for logs and tests). */
  queued = 0;

  constructor(private readonly retry: RetryPolicy = DEFAULT_RETRY) {}

  /**
   * Derived events (a payment's completed event, told by its transfer) only of the apps that
   * can get a delivery: deliver drops the others anyway, and deriving them costs a read of
   * their transfers on every pass.
   */
  async deriveScope(tx: Queryable): Promise<DeriveScope> {
    return { client_ids: await appsWithWebhooks(tx) };
  }

  async deliver(tx: Queryable, rows: readonly OutboxRow[], now: Date): Promise<void> {
    // Routing needs only the rows' own columns; envelopes are built for the routed rows alone
    // (most ledger rows go to no partner, so their transfers are never read here).
    const ledgerIds = rows.filter((r) => !r.client_id && LEDGER_TOPICS_FOR_PARTNERS.has(r.topic)).map((r) => r.entity_id);
    const payments = await paymentClients(tx, [...new Set(ledgerIds)]);
    const routed = routeToPartners(rows, payments);
    if (routed.length === 0) return;
    const apps = await appTargets(tx, [...new Set(routed.map((r) => r.client_id))]);
    const wanted = routed.filter(({ client_id }) => {
      const app = apps.get(client_id);
      return app !== undefined && app.status === 'active' && app.webhook_url !== null;
    });
    const envelopes = new Map((await buildEnvelopes(tx, [...new Set(wanted.map((w) => w.event))])).map((e) => [e.envelope.id, e.envelope]));
    const give_up_at = new Date(now.getTime() + this.retry.give_up_after_ms);
    const deliveries: NewDelivery[] = wanted.map(({ event, client_id }) => ({
      id: uuidv7(now.getTime()),
      event_id: event.event_id,
      client_id,
      topic: event.topic,
      url: apps.get(client_id)!.webhook_url!,
      payload_json: payloadJson(envelopes.get(event.event_id)),
      created_at: now,
      give_up_at,
    }));
    this.queued += await insertDeliveries(tx, deliveries);
  }
}
