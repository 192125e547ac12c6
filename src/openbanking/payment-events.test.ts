import { describe, expect, it } from 'vitest';
import type { Queryable } from '../db/port.js';
import type { OutboxRow } from '../events/event-builders.js';
import { paymentEventsFromLedger } from './payment-events.js';

const transferCreated = (seq: number): OutboxRow => ({
  seq: BigInt(seq),
  event_id: `00000000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
  topic: 'ledger.transfer.created',
  entity_id: `10000000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
  client_id: null,
  payload: null,
  created_at: new Date(Date.UTC(2026, 10, 30)),
});

/** Records each query and answers it with no rows (no transfer is a payment's). */
function recordingDb(): { db: Queryable; queries: { sql: string; params: unknown[] }[] } {
  const queries: { sql: string; params: unknown[] }[] = [];
  const db = { query: async (sql: string, params: unknown[] = []) => (queries.push({ sql, params }), { rows: [] }) } as unknown as Queryable;
  return { db, queries };
}

describe('paymentEventsFromLedger within a reader’s scope', () => {
  it('reads the transfers of every app for a reader that keeps every event', async () => {
    const { db, queries } = recordingDb();
    await paymentEventsFromLedger(db, [transferCreated(1), transferCreated(2)]);
    expect(queries).toHaveLength(1);
    expect(queries[0]!.params).toEqual([[transferCreated(1).entity_id, transferCreated(2).entity_id]]);
    expect(queries[0]!.sql).not.toContain("metadata->>'client_id' = ANY");
  });

  it('reads only the transfers of the apps the reader keeps', async () => {
    const { db, queries } = recordingDb();
    await paymentEventsFromLedger(db, [transferCreated(1)], { client_ids: new Set(['app_a', 'app_b']) });
    expect(queries).toHaveLength(1);
    expect(queries[0]!.sql).toContain("t.metadata->>'client_id' = ANY($2::text[])");
    expect(queries[0]!.params).toEqual([[transferCreated(1).entity_id], ['app_a', 'app_b']]);
  });

  it('reads nothing for a reader that keeps no app’s events (paymentsCompletedBy skips the query)', async () => {
    const { db, queries } = recordingDb();
    expect(await paymentEventsFromLedger(db, [transferCreated(1)], { client_ids: new Set() })).toEqual([]);
    expect(queries).toEqual([]);
  });
});
