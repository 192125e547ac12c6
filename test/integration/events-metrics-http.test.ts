/** GET /metrics through HTTP shows the outbox relay's lag, backlog and relayed count per consumer (events-metrics.test.ts covers the figures in detail). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { appendEvent } from '../../src/events/outbox.js';
import { uuidv7 } from '../../src/db/uuid.js';
let h: TestApp<ManualClock>;
beforeAll(async () => { h = await startTestApp({ clock: new ManualClock() }); });
afterAll(async () => { await h?.close(); });
const scrape = async () => (await fetch(`${h.base}/metrics`, { headers: { authorization: `Bearer ${h.keys.metrics}` } })).text();
it('GET /metrics shows the relay metrics', async () => {
  const start = (await h.testDb.db.query<{ s: bigint }>('SELECT coalesce(max(seq),0)::int8 AS s FROM outbox')).rows[0]!.s;
  await h.testDb.db.query(`INSERT INTO outbox_cursors (consumer, last_seq, updated_at) VALUES ('webhooks', $1, now()) ON CONFLICT (consumer) DO UPDATE SET last_seq = $1`, [start]);
  await appendEvent(h.testDb.db, { topic: 'openbanking.consent.revoked', entity_id: uuidv7(), payload: {}, created_at: h.clock.now() });
  h.clock.advance(4000);
  const before = await scrape();
  expect(before).toContain('capillary_outbox_relay_lag_seconds{consumer="webhooks"} 4');
  expect(before).toContain('capillary_outbox_backlog_events{consumer="webhooks"} 1');
  await h.app.events.relayOnce();
  const after = await scrape();
  expect(after).toContain('capillary_outbox_relay_lag_seconds{consumer="webhooks"} 0');
  expect(after).toContain('capillary_outbox_backlog_events{consumer="webhooks"} 0');
  expect(after).toContain('capillary_outbox_relayed_events_total{consumer="webhooks"} 1');
});
