/**
 * The events workers as `serve` runs them (real timers, real clock): an event appended to the
 * outbox reaches a partner's webhook and NATS JetStream without anyone stepping the workers,
 * and stopping the server stops the workers and gives up their leases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect } from 'nats';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { loadConfig } from '../../src/server/config.js';
import { serve, type Running } from '../../src/server/serve.js';
import { appendEvent } from '../../src/events/outbox.js';
import { verifyWebhook } from '../../src/events/webhook-signature.js';
import { uuidv7 } from '../../src/db/uuid.js';

const NATS_URL = process.env.CAPILLARY_TEST_NATS_URL || 'nats://127.0.0.1:4222';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeout_ms = 10_000): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('events workers under serve', () => {
  const run = randomBytes(4).toString('hex');
  const streamPrefix = `CAPSERVE_${run.toUpperCase()}`;
  let t: TestDb;
  let running: Running | undefined;
  const bodies: { body: string; signature: string }[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['capillary-signature']) });
      res.end('ok');
    });
  });

  beforeAll(async () => {
    t = await openTestDb();
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await t.db.query(
      `INSERT INTO partner_apps (id, name, mode, redirect_uris, allowed_scopes, token_endpoint_auth_method, webhook_url, webhook_secret, created_at, updated_at)
       VALUES ('shop', 'Shop', 'sandbox', '{}', '{}', 'client_secret_basic', $1, 's3cret', now(), now())`,
      [hook],
    );
  });

  afterAll(async () => {
    await running?.stop().catch(() => {});
    receiver.close();
    const nc = await connect({ servers: NATS_URL });
    const jsm = await nc.jetstreamManager();
    for await (const s of jsm.streams.list()) if (s.config.name.startsWith(streamPrefix)) await jsm.streams.delete(s.config.name);
    await nc.close();
    await t?.close().catch(() => {});
  });

  it('delivers to the webhook and to JetStream on their own, and stops cleanly', async () => {
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      NATS_URL,
      NATS_STREAM_PREFIX: streamPrefix,
      NATS_SUBJECT_PREFIX: `capserve_${run}`,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      EVENTS_RELAY_INTERVAL_MS: '20',
      WEBHOOK_SEND_INTERVAL_MS: '20',
      OUTBOX_GAP_WAIT_MS: '100',
    });
    running = await serve(config, t.db);
    const event_id = await appendEvent(t.db, { topic: 'openbanking.payment.completed', entity_id: uuidv7(), client_id: 'shop', payload: { amount: 1n } });

    const got = await until('the webhook', async () => bodies.find((b) => JSON.parse(b.body).id === event_id));
    expect(verifyWebhook('s3cret', got.body, got.signature).ok).toBe(true);

    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await nc.jetstreamManager();
      await until('the JetStream message', async () => ((await jsm.streams.info(`${streamPrefix}_OPENBANKING`)).state.messages === 1 ? true : undefined));
      const stored = await jsm.streams.getMessage(`${streamPrefix}_OPENBANKING`, { seq: 1 });
      expect(stored.header.get('Nats-Msg-Id')).toBe(event_id);
      expect(stored.subject).toBe(`capserve_${run}.openbanking.payment.completed`);
    } finally {
      await nc.close();
    }

    await running.stop();
    running = undefined;
    // serve closed the database; reopen a view of the leases through a fresh handle only on postgres.
    if (t.url) {
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: t.url });
      await client.connect();
      const { rows } = await client.query('SELECT consumer, lease_owner FROM outbox_cursors ORDER BY consumer');
      await client.end();
      expect(rows).toEqual([
        { consumer: 'nats', lease_owner: null },
        { consumer: 'webhooks', lease_owner: null },
      ]);
    }
  });

  it('refuses bad event settings at start', () => {
    expect(() => loadConfig({ NATS_URL: 'http://nats:4222' })).toThrow(/NATS_URL/);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'maybe' })).toThrow(/WEBHOOK_ALLOW_PRIVATE_NETWORKS/);
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '60000' })).toThrow(/WEBHOOK_TIMEOUT_MS/);
    expect(() => loadConfig({ NATS_STREAM_PREFIX: 'lower' })).toThrow(/NATS_STREAM_PREFIX/);
    const defaults = loadConfig({}).events;
    expect(defaults).toMatchObject({ nats_url: undefined, webhook_allow_private_networks: false, webhook_timeout_ms: 10_000, outbox_gap_wait_ms: 2000 });
  });
});
