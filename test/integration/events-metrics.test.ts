/**
 * Relay-lag metrics: per consumer, the age of the oldest event not yet relayed, the backlog,
 * and the count of events handed on, as the /metrics text shows them (the registry that
 * GET /metrics serves, fed by Events as buildApp wires it), on the test clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { ManualClock } from '../../src/server/clock.js';
import { createMetrics, type Metrics } from '../../src/server/metrics.js';
import { Events } from '../../src/events/workers.js';
import { appendEvent } from '../../src/events/outbox.js';
import { uuidv7 } from '../../src/db/uuid.js';

const LAG = 'capillary_outbox_relay_lag_seconds';
const BACKLOG = 'capillary_outbox_backlog_events';
const RELAYED = 'capillary_outbox_relayed_events_total';

/** The sample of `name` for `consumer` in Prometheus text; undefined when absent. */
function sample(text: string, name: string, consumer: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{consumer="${consumer}"} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('relay-lag metrics', () => {
  let t: TestDb;
  let clock: ManualClock;
  let metrics: Metrics;
  let events: Events;
  const scrape = async (consumer = 'webhooks') => {
    const text = await metrics.registry.metrics();
    return { text, lag: sample(text, LAG, consumer), backlog: sample(text, BACKLOG, consumer), relayed: sample(text, RELAYED, consumer) ?? 0 };
  };
  const append = (created_at: Date) =>
    appendEvent(t.db, { topic: 'openbanking.consent.revoked', entity_id: uuidv7(), payload: {}, created_at });

  beforeAll(async () => {
    t = await openTestDb();
    // The counts below assume the migrations leave the outbox empty.
    expect((await t.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM outbox')).rows[0]!.n).toBe(0n);
    clock = new ManualClock();
    metrics = createMetrics();
    // As buildApp wires them.
    events = new Events(t.db, clock, { observer: metrics.relayObserver, relay: { gap_wait_ms: 0 } });
    metrics.watchRelays(() => events.relayLag());
  });
  afterAll(async () => {
    await events?.stop();
    await t?.close();
  });

  it('shows the backlog and the age of the oldest waiting event, then zero once relayed, and counts what was relayed', async () => {
    const t0 = clock.now();
    await append(t0);
    await append(new Date(t0.getTime() + 1000));
    await append(new Date(t0.getTime() + 2000));
    clock.advance(5000);

    const before = await scrape();
    expect(before.backlog).toBe(3);
    expect(before.lag).toBe(5); // the oldest (t0), not the newest (2 s later)
    expect(before.relayed).toBe(0);

    expect((await events.relayOnce()).webhooks.relayed).toBe(3);
    const after = await scrape();
    expect(after).toMatchObject({ lag: 0, backlog: 0, relayed: before.relayed + 3 });
    for (const name of [LAG, BACKLOG, RELAYED]) expect(after.text).toMatch(new RegExp(`^${name}\\{consumer="webhooks"\\} `, 'm'));
  });

  it('counts skipped seqs in the backlog (an upper bound) and a row that turns up late in a gap', async () => {
    const base = (await scrape()).relayed;
    // A rolled-back transaction leaves a hole after the cursor.
    await t.db
      .transaction(async (tx) => {
        await appendEvent(tx, { topic: 'openbanking.consent.revoked', entity_id: uuidv7(), payload: {} });
        throw new Error('rollback');
      })
      .catch(() => {});
    await append(clock.now());
    const { rows } = await t.db.query<{ s: bigint }>('SELECT max(seq)::int8 AS s FROM outbox');
    const hole = rows[0]!.s - 1n;
    expect((await scrape()).backlog).toBe(2); // one row waits; the hole counts too

    expect((await events.relayOnce()).webhooks).toMatchObject({ relayed: 1, skipped: [{ from_seq: hole, to_seq: hole }] });
    expect(await scrape()).toMatchObject({ lag: 0, backlog: 0 });

    // The hole's transaction commits late, written 10 s ago by its writer's clock.
    await t.db.query(
      `INSERT INTO outbox (seq, topic, entity_id, payload, created_at) OVERRIDING SYSTEM VALUE
       VALUES ($1, 'openbanking.consent.revoked', $2, '{}', $3)`,
      [hole, uuidv7(), new Date(clock.now().getTime() - 10_000).toISOString()],
    );
    expect(await scrape()).toMatchObject({ lag: 10, backlog: 1 });
    expect((await events.relayOnce()).webhooks).toMatchObject({ relayed: 1, late: 1 });
    expect(await scrape()).toMatchObject({ lag: 0, backlog: 0, relayed: base + 2 });
  });

  it('reports a consumer no relay runs for, its lag growing with time', async () => {
    const { rows } = await t.db.query<{ s: bigint; at: Date }>('SELECT seq AS s, created_at AS at FROM outbox ORDER BY seq LIMIT 1');
    await t.db.query(`INSERT INTO outbox_cursors (consumer, last_seq, updated_at) VALUES ('stalled', $1, now())`, [rows[0]!.s - 1n]);
    const age_s = (clock.now().getTime() - new Date(rows[0]!.at).getTime()) / 1000;
    const first = await scrape('stalled');
    expect(first.lag).toBe(age_s);
    expect(first.backlog).toBeGreaterThanOrEqual(5);
    clock.advance(60_000);
    expect((await scrape('stalled')).lag).toBe(age_s + 60);
    expect((await scrape('webhooks')).lag).toBe(0);
  });
});

describe('relay gauges in the registry', () => {
  it('read once per scrape for both gauges, and leave them empty (not a failed scrape) when the read fails', async () => {
    const metrics = createMetrics();
    let reads = 0;
    let fail = false;
    metrics.watchRelays(async () => {
      reads++;
      if (fail) throw new Error('database down');
      return [{ consumer: 'nats', lag_seconds: 2.5, backlog_events: 7 }];
    });
    const text = await metrics.registry.metrics();
    expect(reads).toBe(1);
    expect(sample(text, LAG, 'nats')).toBe(2.5);
    expect(sample(text, BACKLOG, 'nats')).toBe(7);

    fail = true;
    const failed = await metrics.registry.metrics();
    expect(reads).toBe(2);
    expect(sample(failed, LAG, 'nats')).toBeUndefined();
    expect(failed).toContain('capillary_ledger_queue_depth');
  });
});
