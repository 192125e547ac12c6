/**
 * Events that are told by another outbox row instead of a row of their own. A domain whose
 * event follows from a row that is written anyway (an open-banking payment completes exactly
 * when the ledger creates its transfer, and the ledger writes `ledger.transfer.created` for
 * it) registers a deriver, and every reader of the outbox (the relays, GET /v1/events) sees
 * the derived event right after its source row: same seq, and an id made from the source's
 * event id and the topic, so a second read, a replay or another node yields the same event
 * (receivers de-duplicate on it). What it saves is the row on the writer's serial path, where
 * every batch waits for every row.
 */
import type { Queryable } from '../db/port.js';
import { derivedUuid } from '../db/uuid.js';
import type { OutboxRow } from './event-builders.js';

/**
 * Which derived events a reader keeps. `client_ids`: only events of these partner apps (a
 * deriver may then leave out, unread, the events of other apps and those of no app); absent,
 * every event. The webhook relay keeps only the events of apps it can deliver to, so events
 * no consumer wants are never read or built (RelaySink.deriveScope).
 */
export interface DeriveScope {
  client_ids?: ReadonlySet<string>;
}

/**
 * Reads what it needs for `rows` (committed outbox rows, in seq order) and returns the events
 * they tell within `scope`, each with `seq` of its source row and an id from derivedEventId.
 * Must not fail on rows it does not know: a deriver's error stops the relays.
 */
export type EventDeriver = (db: Queryable, rows: readonly OutboxRow[], scope?: DeriveScope) => Promise<OutboxRow[]>;

/** The id of the event with `topic` that the row with `source_event_id` tells. */
export function derivedEventId(source_event_id: string, topic: string): string {
  return derivedUuid(`outbox.derived:${source_event_id}:${topic}`);
}

/** `rows` with the events the derivers find in them (within `scope`), each right after its source row. */
export async function withDerivedEvents(db: Queryable, rows: readonly OutboxRow[], derivers: readonly EventDeriver[], scope?: DeriveScope): Promise<OutboxRow[]> {
  if (rows.length === 0 || derivers.length === 0) return [...rows];
  const derived: OutboxRow[] = [];
  for (const derive of derivers) derived.push(...(await derive(db, rows, scope))); // one at a time: `db` may be one transaction's connection
  if (derived.length === 0) return [...rows];
  const bySeq = new Map<bigint, OutboxRow[]>();
  for (const event of derived) bySeq.set(event.seq, [...(bySeq.get(event.seq) ?? []), event]);
  return rows.flatMap((row) => [row, ...(bySeq.get(row.seq) ?? [])]);
}
