import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { appendEvent, appendEvents, payloadJson } from '../../src/events/outbox.js';

describe('outbox', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => {
    await t.close();
  });

  it('appends an event inside the caller transaction with money as strings', async () => {
    const entity = '0190a0b0-0000-7000-8000-000000000001';
    const id = await t.db.transaction((tx) =>
      appendEvent(tx, { topic: 'openbanking.payment.completed', entity_id: entity, client_id: 'app_1', payload: { amount_minor: 1050n, big: 2n ** 70n } }),
    );
    const { rows } = await t.db.query<{ event_id: string; topic: string; client_id: string; payload: Record<string, unknown> }>(
      'SELECT event_id, topic, client_id, payload FROM outbox WHERE event_id = $1',
      [id],
    );
    expect(rows).toEqual([{ event_id: id, topic: 'openbanking.payment.completed', client_id: 'app_1', payload: { amount_minor: '1050', big: '1180591620717411303424' } }]);
  });

  it('rolls back with the transaction', async () => {
    const before = await t.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM outbox');
    await expect(
      t.db.transaction(async (tx) => {
        await appendEvent(tx, { topic: 'openbanking.consent.revoked', entity_id: '0190a0b0-0000-7000-8000-000000000002', payload: {} });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const after = await t.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM outbox');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('appends many in order and gives ledger-style rows an event id from the column default', async () => {
    const at = new Date(Date.UTC(2026, 0, 2));
    const ids = await appendEvents(t.db, [
      { topic: 'openbanking.consent.authorised', entity_id: '0190a0b0-0000-7000-8000-000000000003', payload: { n: 1 }, created_at: at },
      { topic: 'openbanking.consent.revoked', entity_id: '0190a0b0-0000-7000-8000-000000000003', payload: { n: 2 }, created_at: at },
    ]);
    await t.db.query(`INSERT INTO outbox (topic, entity_id, created_at) VALUES ('ledger.transfer.created', '0190a0b0-0000-7000-8000-000000000004', now())`);
    const { rows } = await t.db.query<{ event_id: string; topic: string }>('SELECT event_id, topic FROM outbox ORDER BY seq DESC LIMIT 3');
    expect(rows.map((r) => r.topic)).toEqual(['ledger.transfer.created', 'openbanking.consent.revoked', 'openbanking.consent.authorised']);
    expect(rows[2]!.event_id).toBe(ids[0]);
    expect(rows[1]!.event_id).toBe(ids[1]);
    expect(rows[0]!.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
  });

  it('refuses a topic that is not <domain>.<entity>.<verb>', async () => {
    await expect(appendEvent(t.db, { topic: 'Payment', entity_id: '0190a0b0-0000-7000-8000-000000000005', payload: {} })).rejects.toThrow(/topic/);
  });

  it('writes bigint as strings', () => {
    expect(payloadJson({ a: 1n, b: [2n] })).toBe('{"a":"1","b":["2"]}');
  });
});
