/**
 * The transactional outbox: a domain appends its events with the same transaction handle
 * that writes its state, so an event exists exactly when the change it describes committed.
 * Relays (relay.ts) read the rows afterwards and deliver them (webhooks, NATS JetStream).
 */
import type { Queryable } from '../db/port.js';
import { runParts, type StatementPart } from '../db/statement-part.js';
import { uuidv7 } from '../db/uuid.js';

export interface OutboxEvent {
  /** `<domain>.<entity>.<verb>`, e.g. `openbanking.payment.completed`. */
  topic: string;
  /** The id of the thing the event is about (a UUID: the outbox column is uuid). */
  entity_id: string;
  /** Set when the event is meant for one partner app: it becomes a webhook to that app. */
  client_id?: string;
  /** The event's data; bigint values (money) are written as decimal strings. */
  payload: unknown;
  /** When it happened (the caller's clock); the database's transaction time if absent. */
  created_at?: Date;
}

export const EVENTS_PER_APPEND_MAX = 10_000;
const TOPIC_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}$/;

/** JSON text of a payload with every bigint as a decimal string (money never becomes a float). */
export function payloadJson(payload: unknown): string {
  return JSON.stringify(payload ?? null, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

function check(event: OutboxEvent): void {
  if (!TOPIC_PATTERN.test(event.topic)) throw new Error(`outbox topic must look like <domain>.<entity>.<verb>: ${event.topic}`);
}

/** Appends one event inside the caller's transaction; returns its event id. */
export async function appendEvent(db: Queryable, event: OutboxEvent): Promise<string> {
  const [id] = await appendEvents(db, [event]);
  return id!;
}

/** Appends events in the order given with one statement; returns their event ids in that order. */
export async function appendEvents(db: Queryable, events: readonly OutboxEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const insert = outboxInsert(events);
  await runParts(db, [insert]);
  return insert.ids;
}

/**
 * The INSERT that appends `events`, for a caller that writes its own rows and its events in
 * one statement (as a data-modifying WITH query); `ids` are the events' ids, in order.
 */
export function outboxInsert(events: readonly OutboxEvent[]): StatementPart & { ids: string[] } {
  if (events.length > EVENTS_PER_APPEND_MAX) throw new Error(`at most ${EVENTS_PER_APPEND_MAX} events per append (got ${events.length})`);
  events.forEach(check);
  // Ids made here (not by the column default, which serves the ledger's rows) so the
  // answer does not depend on the order RETURNING happens to list rows in.
  const ids = events.map((e) => uuidv7(e.created_at?.getTime()));
  return {
    statements: (first) => {
      const $ = (i: number) => `$${first + i}`;
      return [`INSERT INTO outbox (event_id, topic, entity_id, client_id, payload, created_at)
     SELECT u.event_id, u.topic, u.entity_id, u.client_id, u.payload, coalesce(u.created_at, now())
     FROM unnest(${$(0)}::uuid[], ${$(1)}::text[], ${$(2)}::uuid[], ${$(3)}::text[], ${$(4)}::jsonb[], ${$(5)}::timestamptz[]) WITH ORDINALITY
       AS u(event_id, topic, entity_id, client_id, payload, created_at, ord)
     ORDER BY u.ord`];
    },
    params: [
      ids,
      events.map((e) => e.topic),
      events.map((e) => e.entity_id),
      events.map((e) => e.client_id ?? null),
      events.map((e) => payloadJson(e.payload)),
      events.map((e) => e.created_at?.toISOString() ?? null),
    ],
    ids,
  };
}
