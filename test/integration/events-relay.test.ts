/**
 * The outbox relay against the database: order, bounded batches, idempotence (a batch run
 * twice queues nothing twice), the lease between nodes, ledger rows read from transfers,
 * and gaps in outbox.seq (a rolled-back seq stepped over after the wait; a late row found
 * afterwards; on PostgreSQL, a transaction committing after a higher seq).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { ManualClock } from '../../src/server/clock.js';
import { appendEvent } from '../../src/events/outbox.js';
import { Relay, type RelaySink } from '../../src/events/relay.js';
import { gapsOf } from '../../src/events/relay-store.js';
import { buildEnvelopes, type OutboxRow, type RelayedEvent } from '../../src/events/event-builders.js';
import { WebhookQueue } from '../../src/events/webhook-queue.js';
import { derivedEventId, type DeriveScope, type EventDeriver } from '../../src/events/derived-events.js';
import type { Queryable } from '../../src/db/port.js';
import { uuidv7 } from '../../src/db/uuid.js';
import { Ledger } from '../../src/ledger/service.js';

class Recorder implements RelaySink {
  events: RelayedEvent[] = [];
  failNext = false;
  async deliver(tx: Queryable, rows: readonly OutboxRow[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('sink down');
    }
    this.events.push(...(await buildEnvelopes(tx, rows)));
  }
  topics(): string[] {
    return this.events.map((e) => e.envelope.topic);
  }
}

const entity = () => uuidv7();
let consumerN = 0;
const freshConsumer = () => `test-${++consumerN}`;

describe('outbox relay', () => {
  let t: TestDb;
  let clock: ManualClock;

  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    clock = new ManualClock();
  });

  const lastSeq = async () => (await t.db.query<{ s: bigint }>('SELECT coalesce(max(seq), 0)::int8 AS s FROM outbox')).rows[0]!.s;
  /** A consumer whose cursor is at the identity's current value: each test sees only its own rows. */
  const startAtCurrent = async (consumer: string) => {
    await t.db.query(
      `INSERT INTO outbox_cursors (consumer, last_seq, updated_at) VALUES ($1, nextval(pg_get_serial_sequence('outbox', 'seq')), now())`,
      [consumer],
    );
  };

  it('relays in seq order, in bounded batches, once', async () => {
    const consumer = freshConsumer();
    await startAtCurrent(consumer);
    const sink = new Recorder();
    const relay = new Relay(t.db, clock, sink, { consumer, batch_max: 2 });
    for (const verb of ['authorised', 'revoked', 'expired']) {
      await appendEvent(t.db, { topic: `openbanking.consent.${verb}`, entity_id: entity(), payload: { verb, amount: 5n } });
    }
    const first = await relay.relayOnce();
    expect(first).toMatchObject({ leased: true, relayed: 2, more: true });
    const second = await relay.relayOnce();
    expect(second).toMatchObject({ leased: true, relayed: 1, more: false });
    expect(await relay.relayOnce()).toMatchObject({ relayed: 0 });
    expect(sink.topics()).toEqual(['openbanking.consent.authorised', 'openbanking.consent.revoked', 'openbanking.consent.expired']);
    expect(sink.events[0]!.envelope.data).toEqual({ verb: 'authorised', amount: '5' });
    expect(sink.events.map((e) => e.seq)).toEqual([...sink.events.map((e) => e.seq)].sort((a, b) => Number(a - b)));
  });

  it('leaves the cursor where it was when the sink fails, and relays the batch on the next pass', async () => {
    const consumer = freshConsumer();
    await startAtCurrent(consumer);
    const sink = new Recorder();
    const relay = new Relay(t.db, clock, sink, { consumer });
    await appendEvent(t.db, { topic: 'openbanking.payment.completed', entity_id: entity(), payload: {} });
    sink.failNext = true;
    await expect(relay.relayOnce()).rejects.toThrow('sink down');
    expect(sink.events).toHaveLength(0);
    expect((await relay.relayOnce()).relayed).toBe(1);
  });

  it('hands the sink’s derive scope to the derivers, read in the pass; a sink without one gets every derived event', async () => {
    const scopes: (ReadonlySet<string> | undefined | 'none')[] = [];
    const deriver: EventDeriver = async (_db, rows, scope) => {
      scopes.push(scope ? scope.client_ids : 'none');
      return rows.map((r) => ({ ...r, event_id: derivedEventId(r.event_id, 'test.derived.told'), topic: 'test.derived.told', client_id: 'app_kept' }));
    };
    class Scoped extends Recorder {
      async deriveScope(): Promise<DeriveScope> {
        return { client_ids: new Set(['app_kept']) };
      }
    }
    const [scoped, plain] = [new Scoped(), new Recorder()];
    for (const sink of [scoped, plain]) {
      const consumer = freshConsumer();
      await startAtCurrent(consumer);
      await appendEvent(t.db, { topic: 'test.derived.source', entity_id: entity(), payload: {} });
      await new Relay(t.db, clock, sink, { consumer, derivers: [deriver] }).relayOnce();
    }
    expect(scopes).toEqual([new Set(['app_kept']), 'none']);
    expect(scoped.topics()).toEqual(['test.derived.source', 'test.derived.told']);
    expect(plain.topics()).toEqual(['test.derived.source', 'test.derived.told']);
  });

  it('one relay per consumer: a second node waits for the lease to lapse, or takes it at once when released', async () => {
    const consumer = freshConsumer();
    await startAtCurrent(consumer);
    const a = new Relay(t.db, clock, new Recorder(), { consumer, owner: 'node-a', lease_ms: 30_000 });
    const bSink = new Recorder();
    const b = new Relay(t.db, clock, bSink, { consumer, owner: 'node-b', lease_ms: 30_000 });
    expect((await a.relayOnce()).leased).toBe(true);
    await appendEvent(t.db, { topic: 'openbanking.payment.completed', entity_id: entity(), payload: {} });
    expect(await b.relayOnce()).toMatchObject({ leased: false, relayed: 0 });
    clock.advance(30_001);
    expect(await b.relayOnce()).toMatchObject({ leased: true, relayed: 1 });
    expect((await a.relayOnce()).leased).toBe(false);
    await b.release();
    expect((await a.relayOnce()).leased).toBe(true);
  });

  it('queues one webhook delivery per (event, app), however often a batch is relayed', async () => {
    const consumer = freshConsumer();
    await startAtCurrent(consumer);
    const now = clock.now().toISOString();
    await t.db.query(
      `INSERT INTO partner_apps (id, name, mode, redirect_uris, allowed_scopes, token_endpoint_auth_method, webhook_url, webhook_secret, created_at, updated_at)
       VALUES ('relay-app', 'Relay app', 'sandbox', '{}', '{}', 'client_secret_basic', 'https://partner.example/hooks', 'secret', $1, $1),
              ('relay-nohook', 'No hook', 'sandbox', '{}', '{}', 'client_secret_basic', NULL, NULL, $1, $1)
       ON CONFLICT (id) DO NOTHING`,
      [now],
    );
    const queue = new WebhookQueue();
    const relay = new Relay(t.db, clock, queue, { consumer });
    const ids = [
      await appendEvent(t.db, { topic: 'openbanking.payment.completed', entity_id: entity(), client_id: 'relay-app', payload: { amount: 1n } }),
      await appendEvent(t.db, { topic: 'openbanking.consent.revoked', entity_id: entity(), client_id: 'relay-app', payload: {} }),
      await appendEvent(t.db, { topic: 'openbanking.consent.revoked', entity_id: entity(), client_id: 'relay-nohook', payload: {} }),
      await appendEvent(t.db, { topic: 'openbanking.consent.revoked', entity_id: entity(), payload: {} }),
    ];
    await relay.relayOnce();
    // A crash after the deliveries were written but before... cannot happen (same transaction);
    // the harder case: the cursor is set back (a restore, an operator) and the batch runs again.
    await t.db.query(`UPDATE outbox_cursors SET last_seq = last_seq - 4 WHERE consumer = $1`, [consumer]);
    await relay.relayOnce();
    const { rows } = await t.db.query<{ event_id: string; client_id: string; n: bigint }>(
      `SELECT event_id, client_id, count(*)::int8 AS n FROM webhook_deliveries WHERE event_id = ANY($1::uuid[]) GROUP BY 1, 2 ORDER BY 1`,
      [ids],
    );
    // Sorted like the query: two UUIDv7 made in the same millisecond need not sort in the order they were made.
    const expected = [
      [ids[0]!, 'relay-app', 1n],
      [ids[1]!, 'relay-app', 1n],
    ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
    expect(rows.map((r) => [r.event_id, r.client_id, r.n])).toEqual(expected);
    expect(queue.queued).toBe(2);
  });

  it('gives ledger rows their transfer as data, read from transfers', async () => {
    const consumer = freshConsumer();
    await startAtCurrent(consumer);
    const ledger = new Ledger(t.db, clock);
    try {
      const [a, b] = [uuidv7(), uuidv7()];
      const accounts = await ledger.createAccounts([a, b].map((id) => ({ id, currency: 'USD', code: 1, flags: 0 })) as never);
      expect(accounts.map((r) => r.ok)).toEqual([true, true]);
      const transfer_id = uuidv7();
      const [r] = await ledger.submitTransfers([{ id: transfer_id, debit_account_id: a, credit_account_id: b, amount: 1050n, code: 1, flags: 0 }] as never);
      expect(r!.ok, (r as { code?: string }).code).toBe(true);
      const sink = new Recorder();
      await new Relay(t.db, clock, sink, { consumer }).relayOnce();
      const created = sink.events.filter((e) => e.envelope.topic === 'ledger.transfer.created');
      expect(created).toHaveLength(1);
      expect(created[0]!.envelope.data).toMatchObject({ id: transfer_id, debit_account_id: a, credit_account_id: b, amount: '1050', currency: 'USD' });
      expect(created[0]!.envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await ledger.stop();
    }
  });

  it('waits at a missing seq, steps over it after gap_wait_ms, and still relays a row that turns up in it later', async () => {
    const consumer = freshConsumer();
    await startAtCurrent(consumer);
    const sink = new Recorder();
    const relay = new Relay(t.db, clock, sink, { consumer, gap_wait_ms: 2000, gap_retention_ms: 3_600_000 });
    await appendEvent(t.db, { topic: 'openbanking.consent.authorised', entity_id: entity(), payload: { n: 1 } });
    // A transaction that takes a seq and rolls back leaves a hole.
    await t.db
      .transaction(async (tx) => {
        await appendEvent(tx, { topic: 'openbanking.consent.authorised', entity_id: entity(), payload: { n: 'rolled back' } });
        throw new Error('rollback');
      })
      .catch(() => {});
    await appendEvent(t.db, { topic: 'openbanking.consent.authorised', entity_id: entity(), payload: { n: 3 } });
    const top = await lastSeq();
    const hole = top - 1n;

    expect(await relay.relayOnce()).toMatchObject({ relayed: 1, cursor: hole - 1n });
    clock.advance(1999);
    expect(await relay.relayOnce()).toMatchObject({ relayed: 0, cursor: hole - 1n });
    clock.advance(1);
    const stepped = await relay.relayOnce();
    expect(stepped).toMatchObject({ relayed: 1, cursor: top });
    expect(stepped.skipped.map((g) => [g.from_seq, g.to_seq])).toEqual([[hole, hole]]);
    expect((await gapsOf(t.db, consumer)).map((g) => g.from_seq)).toEqual([hole]);

    // A transaction holding that seq commits late (simulated by writing the seq directly).
    await t.db.query(
      `INSERT INTO outbox (seq, topic, entity_id, payload, created_at) OVERRIDING SYSTEM VALUE
       VALUES ($1, 'openbanking.consent.authorised', $2, '{"n":2}', now())`,
      [hole, entity()],
    );
    expect(await relay.relayOnce()).toMatchObject({ relayed: 1, late: 1 });
    expect(sink.events.map((e) => (e.envelope.data as { n: number }).n)).toEqual([1, 3, 2]);
    expect(await gapsOf(t.db, consumer)).toEqual([]);
    expect((await relay.relayOnce()).relayed).toBe(0);
  });

  it('forgets a gap after gap_retention_ms', async () => {
    const consumer = freshConsumer();
    await startAtCurrent(consumer);
    const relay = new Relay(t.db, clock, new Recorder(), { consumer, gap_wait_ms: 0, gap_retention_ms: 60_000 });
    await t.db.transaction(async (tx) => appendEvent(tx, { topic: 'openbanking.consent.revoked', entity_id: entity(), payload: {} }).then(() => { throw new Error('x'); })).catch(() => {});
    await appendEvent(t.db, { topic: 'openbanking.consent.revoked', entity_id: entity(), payload: {} });
    await relay.relayOnce();
    expect(await gapsOf(t.db, consumer)).toHaveLength(1);
    clock.advance(60_001);
    await relay.relayOnce();
    expect(await gapsOf(t.db, consumer)).toEqual([]);
  });

  it.runIf(process.env.CAPILLARY_TEST_ENGINE === 'postgres')('PostgreSQL: does not pass a seq whose transaction commits after a higher one', async () => {
    const consumer = freshConsumer();
    await startAtCurrent(consumer);
    const sink = new Recorder();
    const relay = new Relay(t.db, clock, sink, { consumer, gap_wait_ms: 2000 });
    const slow = new pg.Client({ connectionString: t.url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO outbox (topic, entity_id, payload, created_at) VALUES ('openbanking.consent.authorised', $1, '{"who":"slow"}', now())`, [entity()]);
      await appendEvent(t.db, { topic: 'openbanking.consent.authorised', entity_id: entity(), payload: { who: 'fast' } });
      expect((await relay.relayOnce()).relayed).toBe(0);
      clock.advance(1000);
      expect((await relay.relayOnce()).relayed).toBe(0);
      await slow.query('COMMIT');
      expect((await relay.relayOnce()).relayed).toBe(2);
      expect(sink.events.map((e) => (e.envelope.data as { who: string }).who)).toEqual(['slow', 'fast']);
    } finally {
      await slow.end();
    }
  });
});
