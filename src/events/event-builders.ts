/**
 * Event envelopes: what a webhook body, a NATS message and GET /v1/events carry for one
 * outbox row — `{ id, topic, created_at, data }`. Rows written with a payload carry it as
 * `data`; the ledger's own rows (topic and entity id only, written on its hot path) get
 * their data from the transfers table, read for a whole batch in one query.
 */
import type { Queryable } from '../db/port.js';
import { transferFromRow } from '../ledger/store.js';
import { transferJson } from '../ledger/schemas.js';

export interface OutboxRow {
  seq: bigint;
  event_id: string;
  topic: string;
  entity_id: string;
  client_id: string | null;
  payload: unknown;
  created_at: Date;
}

export interface EventEnvelope {
  /** The event id: receivers de-duplicate on it (delivery is at least once). */
  id: string;
  topic: string;
  created_at: string;
  data: unknown;
}

/** A relayed event: the envelope plus what routing needs. */
export interface RelayedEvent {
  seq: bigint;
  envelope: EventEnvelope;
  entity_id: string;
  client_id: string | null;
}

export const OUTBOX_COLUMNS = 'seq, event_id, topic, entity_id, client_id, payload, created_at';

/** Ledger topics whose data is the transfer named by entity_id. */
export const LEDGER_TRANSFER_TOPICS = new Set(['ledger.transfer.created', 'ledger.pending.expired']);

export function toOutboxRow(row: Record<string, unknown>): OutboxRow {
  return {
    seq: BigInt(row.seq as bigint),
    event_id: row.event_id as string,
    topic: row.topic as string,
    entity_id: row.entity_id as string,
    client_id: (row.client_id as string | null) ?? null,
    payload: row.payload ?? null,
    created_at: new Date(row.created_at as Date),
  };
}

/** The data of a ledger row: the transfer as GET /v1/transfers/{id} shows it (an expiry says so). */
function ledgerData(topic: string, transfer: Record<string, unknown> | undefined): unknown {
  if (!transfer) return null; // cannot happen (transfers are append-only), but never stall the relay on it
  const json = transferJson(transferFromRow(transfer));
  return topic === 'ledger.pending.expired' ? { ...json, pending_state: 'expired' } : json;
}

/** Envelopes for rows in the order given; one query for all the ledger rows among them. */
export async function buildEnvelopes(db: Queryable, rows: readonly OutboxRow[]): Promise<RelayedEvent[]> {
  const transferIds = [...new Set(rows.filter((r) => r.payload === null && LEDGER_TRANSFER_TOPICS.has(r.topic)).map((r) => r.entity_id))];
  const transfers = new Map<string, Record<string, unknown>>();
  if (transferIds.length > 0) {
    const { rows: found } = await db.query(
      `SELECT seq, id, debit_account_id, credit_account_id, amount, currency, pending_id, code, flags, timeout_seconds,
              expires_at, metadata, fingerprint, created_at
       FROM transfers WHERE id = ANY($1::uuid[])`,
      [transferIds],
    );
    for (const t of found) transfers.set(t.id as string, t);
  }
  return rows.map((row) => ({
    seq: row.seq,
    entity_id: row.entity_id,
    client_id: row.client_id,
    envelope: {
      id: row.event_id,
      topic: row.topic,
      created_at: row.created_at.toISOString(),
      data: row.payload === null && LEDGER_TRANSFER_TOPICS.has(row.topic) ? ledgerData(row.topic, transfers.get(row.entity_id)) : row.payload,
    },
  }));
}
