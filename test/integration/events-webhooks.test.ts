/**
 * Webhooks end to end against a real local HTTP receiver (node:http on port 0): an event
 * appended to the outbox is relayed into a delivery, POSTed signed, retried with backoff
 * (the ManualClock moves time), given up after 72 h, replayed by an operator; the delivery
 * log through the API; signing with two secrets for a day after a webhook secret rotation;
 * what the HTTP client refuses (private addresses, redirects, slowness).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp, type App } from '../../src/server/app.js';
import { ManualClock } from '../../src/server/clock.js';
import { createKey } from '../../src/auth/store.js';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { Client, expectProblem } from '../helpers/http.js';
import { appendEvent } from '../../src/events/outbox.js';
import { signatureOf, verifyWebhook } from '../../src/events/webhook-signature.js';
import { WEBHOOK_SECRET_OVERLAP_MS } from '../../src/openbanking/apps.js';
import { postWebhook } from '../../src/events/webhook-sender.js';
import { uuidv7 } from '../../src/db/uuid.js';
import { OB_PAYMENT_TRANSFER_CODE } from '../../src/openbanking/payments.js';
import { TransferFlags, type AccountId, type TransferId } from '../../src/ledger/types.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A partner's webhook endpoint: records each request and answers with the next status queued (200 when none). */
class Receiver {
  received: Received[] = [];
  statuses: number[] = [];
  hang = false;
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (this.hang) return; // never answers
      const status = this.statuses.shift() ?? 200;
      if (status >= 300 && status < 400) res.setHeader('location', `${this.url}/elsewhere`);
      res.statusCode = status;
      res.end(status >= 500 ? 'receiver error: database unavailable '.repeat(40) : 'ok');
    });
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const SECRET = 'whsec_shop_0123456789abcdef';
const ROTATING_SECRET = 'whsec_rotating_0123456789abcdef';

describe('webhooks', () => {
  let t: TestDb;
  let app: App;
  let clock: ManualClock;
  let receiver: Receiver;
  let operator: Client;
  let ledgerOnly: Client;

  beforeAll(async () => {
    clock = new ManualClock();
    t = await openTestDb();
    receiver = new Receiver();
    await receiver.start();
    app = await buildApp({
      db: t.db,
      clock,
      log_level: process.env.CAPILLARY_TEST_LOG_LEVEL || 'silent',
      // The receiver is on 127.0.0.1, which production refuses; random 0.5 = no jitter.
      events: { sender: { allow_private_networks: true, random: () => 0.5, timeout_ms: 2000, claim_ms: 60_000 } },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    operator = new Client(base, (await createKey(t.db, 'ob-admin', ['openbanking:admin'], clock.now())).token);
    ledgerOnly = new Client(base, (await createKey(t.db, 'ledger', ['ledger:read'], clock.now())).token);
    await t.db.query(
      `INSERT INTO partner_apps (id, name, mode, redirect_uris, allowed_scopes, token_endpoint_auth_method, webhook_url, webhook_secret, status, created_at, updated_at)
       VALUES ('shop', 'Shop', 'sandbox', '{}', '{}', 'client_secret_basic', $1, $2, 'active', $3, $3),
              ('gone', 'Gone', 'sandbox', '{}', '{}', 'client_secret_basic', $1, $2, 'disabled', $3, $3),
              ('rotating', 'Rotating', 'sandbox', '{}', '{}', 'client_secret_basic', $1, $4, 'active', $3, $3)`,
      [`${receiver.url}/hooks`, SECRET, clock.now().toISOString(), ROTATING_SECRET],
    );
  });

  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
    await t?.close();
  });

  beforeEach(() => {
    receiver.received = [];
    receiver.statuses = [];
    receiver.hang = false;
  });

  const emit = async (client_id: string, payload: unknown = { amount: 1050n, currency: 'EUR' }) => {
    clock.advance(1000); // distinct created_at: lists are newest first
    const event_id = await appendEvent(t.db, { topic: 'openbanking.payment.completed', entity_id: uuidv7(), client_id, payload, created_at: clock.now() });
    await app.events.webhookRelay.drain();
    const { rows } = await t.db.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE event_id = $1', [event_id]);
    return { event_id, delivery_id: rows[0]?.id };
  };
  const delivery = async (id: string) => (await operator.get(`/v1/webhook-deliveries/${id}`)).body;

  it('delivers a signed event; a 500 is retried after 30 s and then delivered', async () => {
    const { event_id, delivery_id } = await emit('shop');
    expect(delivery_id).toBeDefined();
    const t0 = clock.now();

    receiver.statuses = [500];
    expect(await app.events.sendDue()).toEqual({ attempted: 1, delivered: 0, retrying: 1, failed: 0 });
    let d = await delivery(delivery_id!);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500, next_attempt_at: new Date(t0.getTime() + 30_000).toISOString() });

    // Not due yet: nothing is sent.
    clock.advance(29_999);
    expect((await app.events.sendDue()).attempted).toBe(0);
    clock.advance(1);
    expect(await app.events.sendDue()).toEqual({ attempted: 1, delivered: 1, retrying: 0, failed: 0 });

    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received as [Received, Received];
    expect(first.path).toBe('/hooks');
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['capillary-event-id']).toBe(event_id);
    expect(first.headers['capillary-event-topic']).toBe('openbanking.payment.completed');
    expect(second.body).toBe(first.body);
    const body = JSON.parse(first.body);
    expect(body).toEqual({ id: event_id, topic: 'openbanking.payment.completed', created_at: t0.toISOString(), data: { amount: '1050', currency: 'EUR' } });
    // Each attempt is signed at its own time; the receiver's check passes, and fails with another secret.
    expect(verifyWebhook(SECRET, first.body, first.headers['capillary-signature'] as string, { now: t0 })).toEqual({ ok: true, t: t0.getTime() / 1000 });
    expect(verifyWebhook(SECRET, second.body, second.headers['capillary-signature'] as string, { now: clock.now() })).toEqual({ ok: true, t: clock.now().getTime() / 1000 });
    expect(verifyWebhook('wrong', second.body, second.headers['capillary-signature'] as string, { now: clock.now() }).ok).toBe(false);

    d = await delivery(delivery_id!);
    expect(d).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 200, last_error: null, next_attempt_at: null, delivered_at: clock.now().toISOString() });
    expect(d.attempt_log.map((a: { attempt: number; status_code: number }) => [a.attempt, a.status_code])).toEqual([[1, 500], [2, 200]]);
    expect(d.attempt_log[0].error).toBe('HTTP 500');
    expect(d.attempt_log[0].response_excerpt.length).toBeLessThanOrEqual(512);
    expect(d.attempt_log[0].response_excerpt).toMatch(/^receiver error/);
    expect(d.event).toEqual(body);

    // Delivered means done: no more attempts.
    clock.advance(3_600_000);
    expect((await app.events.sendDue()).attempted).toBe(0);
  });

  it('relaying the same events again sends nothing twice', async () => {
    const { delivery_id } = await emit('shop');
    await app.events.sendDue();
    await t.db.query(`UPDATE outbox_cursors SET last_seq = 0 WHERE consumer = 'webhooks'`);
    await app.events.webhookRelay.drain();
    clock.advance(1000);
    expect((await app.events.sendDue()).attempted).toBe(0);
    expect(receiver.received).toHaveLength(1);
    expect((await delivery(delivery_id!)).attempts).toBe(1);
  });

  it('retries with growing waits for 72 h, then gives up; a replay can still deliver it', async () => {
    const { delivery_id } = await emit('shop');
    const queued = clock.now();
    receiver.statuses = Array(200).fill(503);
    const waits: number[] = [];
    for (let i = 0; i < 200; i++) {
      const pass = await app.events.sendDue();
      expect(pass.attempted).toBe(1);
      const d = await delivery(delivery_id!);
      if (d.status === 'failed') break;
      const wait = new Date(d.next_attempt_at).getTime() - clock.now().getTime();
      waits.push(wait / 1000);
      clock.advance(wait);
    }
    const d = await delivery(delivery_id!);
    expect(d.status).toBe('failed');
    expect(d.attempts).toBe(79);
    expect(waits.slice(0, 9)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    expect(Math.max(...waits)).toBe(3600);
    expect(d.give_up_at).toBe(new Date(queued.getTime() + 72 * 3_600_000).toISOString());
    expect(d.attempt_log.at(-1).at).toBe(d.give_up_at);
    expect(receiver.received).toHaveLength(79);

    // Given up: the sender leaves it alone.
    clock.advance(3_600_000);
    expect((await app.events.sendDue()).attempted).toBe(0);

    // An operator replays it once the partner is fixed: one attempt now, delivered.
    receiver.statuses = [];
    const replay = await operator.post(`/v1/webhook-deliveries/${delivery_id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body.attempt).toMatchObject({ attempt: 80, status_code: 200, error: null });
    expect(replay.body.delivery).toMatchObject({ status: 'delivered', attempts: 80 });
    expect(receiver.received).toHaveLength(80);
  });

  it('a failed replay logs the attempt and leaves the delivery as it was', async () => {
    const { delivery_id } = await emit('shop');
    await app.events.sendDue();
    const before = await delivery(delivery_id!);
    expect(before.status).toBe('delivered');
    receiver.statuses = [500];
    const replay = await operator.post(`/v1/webhook-deliveries/${delivery_id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body.attempt).toMatchObject({ attempt: 2, status_code: 500, error: 'HTTP 500' });
    expect(replay.body.delivery).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 500 });
    expect(receiver.received.map((r) => r.headers['capillary-event-id'])).toEqual([before.event_id, before.event_id]);
  });

  it('lists deliveries newest first, filtered and paginated; refuses other scopes and unknown ids', async () => {
    const a = await emit('shop');
    const b = await emit('shop');
    const page1 = await operator.get('/v1/webhook-deliveries?client_id=shop&limit=1');
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((d: { id: string }) => d.id)).toEqual([b.delivery_id]);
    const page2 = await operator.get(`/v1/webhook-deliveries?client_id=shop&limit=1&cursor=${page1.body.next_cursor}`);
    expect(page2.body.data.map((d: { id: string }) => d.id)).toEqual([a.delivery_id]);
    const pending = await operator.get('/v1/webhook-deliveries?status=pending&limit=100');
    expect(pending.body.data.every((d: { status: string }) => d.status === 'pending')).toBe(true);
    expect(pending.body.data.map((d: { id: string }) => d.id)).toEqual(expect.arrayContaining([a.delivery_id, b.delivery_id]));
    const byEvent = await operator.get(`/v1/webhook-deliveries?event_id=${a.event_id}`);
    expect(byEvent.body.data.map((d: { id: string }) => d.id)).toEqual([a.delivery_id]);

    expectProblem(await operator.get('/v1/webhook-deliveries?status=lost'), 400, 'invalid_request');
    expectProblem(await operator.get('/v1/webhook-deliveries?cursor=bm9wZQ'), 400, 'invalid_cursor');
    expectProblem(await ledgerOnly.get('/v1/webhook-deliveries'), 403, 'insufficient_scope');
    expectProblem(await ledgerOnly.post(`/v1/webhook-deliveries/${a.delivery_id}/replay`), 403, 'insufficient_scope');
    expectProblem(await operator.get(`/v1/webhook-deliveries/${uuidv7()}`), 404, 'webhook_delivery_not_found');
    expectProblem(await operator.post(`/v1/webhook-deliveries/${uuidv7()}/replay`), 404, 'webhook_delivery_not_found');
    expect(receiver.received).toHaveLength(0);
    await app.events.sendDue(); // leave nothing pending for the next test
  });

  it('queues nothing for a disabled app; a delivery whose app was disabled since fails without a request, and cannot be replayed', async () => {
    expect((await emit('gone')).delivery_id).toBeUndefined();
    const { delivery_id } = await emit('shop');
    await t.db.query(`UPDATE partner_apps SET status = 'disabled' WHERE id = 'shop'`);
    try {
      expect(await app.events.sendDue()).toMatchObject({ attempted: 1, failed: 1 });
      expect(await delivery(delivery_id!)).toMatchObject({ status: 'failed', last_error: 'partner app disabled' });
      expectProblem(await operator.post(`/v1/webhook-deliveries/${delivery_id}/replay`), 409, 'webhook_not_configured');
      expect(receiver.received).toHaveLength(0);
    } finally {
      await t.db.query(`UPDATE partner_apps SET status = 'active' WHERE id = 'shop'`);
    }
  });

  describe('webhook secret rotation', () => {
    beforeEach(async () => {
      await t.db.query(
        `UPDATE partner_apps SET webhook_url = $1, webhook_secret = $2, webhook_secret_previous = NULL, webhook_secret_previous_until = NULL WHERE id = 'rotating'`,
        [`${receiver.url}/hooks`, ROTATING_SECRET],
      );
    });

    const rotate = async () => {
      const res = await operator.post('/v1/partner-apps/rotating/secret', { kind: 'webhook_secret' });
      expect(res.status, res.text).toBe(200);
      return { secret: res.body.webhook_secret as string, expires_at: res.body.webhook_secret_previous_expires_at as string | null, text: res.text };
    };
    /** One event for the rotating app, delivered now: what the receiver got. */
    const deliverOne = async () => {
      receiver.received = [];
      await emit('rotating');
      expect(await app.events.sendDue()).toMatchObject({ attempted: 1, delivered: 1 });
      const r = receiver.received[0]!;
      const now = clock.now();
      return { body: r.body, header: r.headers['capillary-signature'] as string, now, t: Math.floor(now.getTime() / 1000) };
    };
    const verifies = (secret: string, d: { body: string; header: string; now: Date }) => verifyWebhook(secret, d.body, d.header, { now: d.now }).ok;

    it('signs with the new secret and the old one (new first) until 24 h after the rotation, then with the new one only', async () => {
      const before = await deliverOne();
      expect(before.header).toBe(`t=${before.t},v1=${signatureOf(ROTATING_SECRET, before.body, before.t)}`);

      const rotated = await rotate();
      const until = clock.now().getTime() + WEBHOOK_SECRET_OVERLAP_MS;
      expect(rotated.expires_at).toBe(new Date(until).toISOString());
      expect(rotated.text).not.toContain(ROTATING_SECRET);

      const during = await deliverOne();
      expect(during.header).toBe(`t=${during.t},v1=${signatureOf(rotated.secret, during.body, during.t)},v1=${signatureOf(ROTATING_SECRET, during.body, during.t)}`);
      expect(verifies(ROTATING_SECRET, during)).toBe(true); // a receiver that has not deployed the new secret yet
      expect(verifies(rotated.secret, during)).toBe(true);
      expect(verifies('whsec_other', during)).toBe(false);

      clock.set(new Date(until - 2000)); // deliverOne moves the clock 1 s: sent 1 s before the window ends
      const last = await deliverOne();
      expect(last.now.getTime()).toBeLessThan(until);
      expect(verifies(ROTATING_SECRET, last)).toBe(true);
      expect(verifies(rotated.secret, last)).toBe(true);

      const after = await deliverOne(); // at the end of the window: the old secret no longer signs
      expect(after.now.getTime()).toBe(until);
      expect(after.header).toBe(`t=${after.t},v1=${signatureOf(rotated.secret, after.body, after.t)}`);
      expect(verifyWebhook(ROTATING_SECRET, after.body, after.header, { now: after.now })).toEqual({ ok: false, reason: 'signature_mismatch' });
      expect(verifies(rotated.secret, after)).toBe(true);
    });

    it('a second rotation within the window keeps two secrets: the newest and the one it replaced', async () => {
      const first = await rotate();
      clock.advance(3_600_000);
      const second = await rotate();
      expect(second.expires_at).toBe(new Date(clock.now().getTime() + WEBHOOK_SECRET_OVERLAP_MS).toISOString());
      expect(second.text).not.toContain(first.secret);
      const d = await deliverOne();
      expect(d.header).toBe(`t=${d.t},v1=${signatureOf(second.secret, d.body, d.t)},v1=${signatureOf(first.secret, d.body, d.t)}`);
      expect(verifies(second.secret, d)).toBe(true);
      expect(verifies(first.secret, d)).toBe(true);
      expect(verifies(ROTATING_SECRET, d)).toBe(false);
    });

    it('removing the webhook drops the previous secret too: a webhook set again signs with its new secret only', async () => {
      const rotated = await rotate();
      const removed = await operator.request('PATCH', '/v1/partner-apps/rotating', { json: { webhook_url: null } });
      expect(removed.status, removed.text).toBe(200);
      expect(removed.body).toMatchObject({ webhook_url: null, has_webhook_secret: false, webhook_secret_previous_expires_at: null });
      const { rows } = await t.db.query('SELECT webhook_secret, webhook_secret_previous, webhook_secret_previous_until FROM partner_apps WHERE id = $1', ['rotating']);
      expect(rows[0]).toEqual({ webhook_secret: null, webhook_secret_previous: null, webhook_secret_previous_until: null });

      const again = await operator.request('PATCH', '/v1/partner-apps/rotating', { json: { webhook_url: `${receiver.url}/hooks` } });
      expect(again.body.webhook_secret).toMatch(/^whsec_/);
      const d = await deliverOne();
      expect(d.header).toBe(`t=${d.t},v1=${signatureOf(again.body.webhook_secret, d.body, d.t)}`);
      expect(verifies(rotated.secret, d)).toBe(false);
      expect(verifies(ROTATING_SECRET, d)).toBe(false);
    });
  });

  it('sends a ledger expiry of an open-banking payment to the paying app, but not the transfer creation', async () => {
    const now = clock.now().toISOString();
    const before = (await t.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM webhook_deliveries')).rows[0]!.n;
    const consent = uuidv7();
    const payment = uuidv7();
    const transfer = uuidv7();
    await t.db.query(`INSERT INTO customers (id, display_name, mode, created_at) VALUES ('cust-1', 'Ada', 'sandbox', $1) ON CONFLICT DO NOTHING`, [now]);
    await t.db.query(
      `INSERT INTO consents (id, client_id, kind, status, permissions, customer_id, expires_at, created_at)
       VALUES ($1, 'shop', 'payment_initiation', 'authorised', '{}', 'cust-1', $2, $2)`,
      [consent, now],
    );
    // The payment's transfer, held pending (as the risk gate holds one), names its payment as every payment's transfer does.
    const [debtor, creditor] = [uuidv7() as AccountId, uuidv7() as AccountId];
    await app.ledger.createAccounts([debtor, creditor].map((id) => ({ id, currency: 'EUR', code: 1, flags: 0 })));
    const [held] = await app.ledger.submitTransfers([
      { id: transfer as TransferId, debit_account_id: debtor, credit_account_id: creditor, amount: 100n, code: OB_PAYMENT_TRANSFER_CODE, flags: TransferFlags.pending, timeout_seconds: 60, metadata: { payment_id: payment, consent_id: consent, client_id: 'shop', customer_id: 'cust-1' } },
    ]);
    expect(held!.ok).toBe(true);
    await t.db.query(
      `INSERT INTO ob_payments (id, consent_id, client_id, customer_id, debtor_account_id, creditor_account_id, amount_minor, currency, status, transfer_id, created_at, updated_at)
       VALUES ($1, $2, 'shop', 'cust-1', $3, $4, 100, 'EUR', 'pending', $5, $6, $6)`,
      [payment, consent, debtor, creditor, transfer, now],
    );
    await app.events.webhookRelay.drain(); // the ledger's own row for the transfer's creation: not for the partner
    clock.advance(1000);
    await t.db.query(`INSERT INTO outbox (topic, entity_id, created_at) VALUES ('ledger.transfer.created', $1, $2), ('ledger.pending.expired', $1, $2)`, [transfer, now]);
    await app.events.webhookRelay.drain();
    const { rows } = await t.db.query<{ topic: string; client_id: string }>('SELECT topic, client_id FROM webhook_deliveries ORDER BY created_at DESC, id DESC LIMIT 5');
    const after = (await t.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM webhook_deliveries')).rows[0]!.n;
    expect(after - before).toBe(1n);
    expect(rows[0]).toEqual({ topic: 'ledger.pending.expired', client_id: 'shop' });
    await app.events.sendDue();
    expect(receiver.received.map((r) => r.headers['capillary-event-topic'])).toEqual(['ledger.pending.expired']);
  });

  it('GET /v1/events pages through the outbox as envelopes (admin scope)', async () => {
    const admin = operator.as((await createKey(t.db, 'admin', ['admin'], clock.now())).token);
    const head = await admin.get('/v1/events?after_seq=0&limit=500');
    expect(head.status).toBe(200);
    let after = head.body.next_after_seq as string;
    const id1 = await appendEvent(t.db, { topic: 'openbanking.consent.revoked', entity_id: uuidv7(), payload: { by: 'customer' }, created_at: clock.now() });
    const id2 = await appendEvent(t.db, { topic: 'openbanking.consent.revoked', entity_id: uuidv7(), payload: { by: 'partner' }, created_at: clock.now() });
    const page = await admin.get(`/v1/events?after_seq=${after}&limit=1`);
    expect(page.body.data).toEqual([{ seq: String(BigInt(after) + 1n), id: id1, topic: 'openbanking.consent.revoked', created_at: expect.any(String), data: { by: 'customer' } }]);
    after = page.body.next_after_seq;
    const next = await admin.get(`/v1/events?after_seq=${after}`);
    expect(next.body.data.map((e: { id: string }) => e.id)).toEqual([id2]);
    expect((await admin.get(`/v1/events?after_seq=${next.body.next_after_seq}`)).body).toEqual({ data: [], next_after_seq: next.body.next_after_seq });
    expectProblem(await operator.get('/v1/events'), 403, 'insufficient_scope');
    expectProblem(await admin.get('/v1/events?after_seq=-1'), 400, 'invalid_request');
    await app.events.webhookRelay.drain();
  });

  it('purges finished deliveries after 30 days and outbox rows every relay has passed after 7', async () => {
    const { delivery_id: pendingId } = await emit('shop');
    receiver.statuses = [500];
    await app.events.sendDue(); // stays pending (retrying)
    const count = async (sql: string) => (await t.db.query<{ n: bigint }>(sql)).rows[0]!.n;
    const finished = await count(`SELECT count(*)::int8 AS n FROM webhook_deliveries WHERE status <> 'pending'`);
    expect(finished).toBeGreaterThan(0n);
    expect(await count('SELECT count(*)::int8 AS n FROM webhook_attempts')).toBeGreaterThan(0n);

    clock.advance(8 * 24 * 3_600_000);
    const afterWeek = await app.events.purgeOnce();
    expect(afterWeek.deliveries).toBe(0);
    expect(afterWeek.outbox).toBeGreaterThan(0);
    expect(await count('SELECT count(*)::int8 AS n FROM outbox')).toBe(0n);

    clock.advance(23 * 24 * 3_600_000);
    expect((await app.events.purgeOnce()).deliveries).toBe(Number(finished));
    expect(await count(`SELECT count(*)::int8 AS n FROM webhook_deliveries WHERE status <> 'pending'`)).toBe(0n);
    // A pending delivery is never purged, and keeps its attempts.
    expect((await delivery(pendingId!)).attempt_log).toHaveLength(1);
  });
});

describe('the webhook HTTP client', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
  });
  const opts = { timeout_ms: 500, excerpt_bytes: 512, allow_private_networks: false };

  it('refuses private and loopback addresses, by literal or by name, before connecting', async () => {
    const port = new URL(receiver.url).port;
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://[::1]:${port}/`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/']) {
      const result = await postWebhook(url, '{}', {}, opts);
      expect(result.status_code, url).toBeNull();
      expect(result.error, url).toMatch(/private or reserved address/);
    }
    expect(receiver.received).toHaveLength(0);
  });

  it('refuses URLs that are not http(s) or carry credentials', async () => {
    expect((await postWebhook('file:///etc/passwd', '{}', {}, opts)).error).toMatch(/only http and https/);
    expect((await postWebhook('http://u:p@partner.example/', '{}', {}, opts)).error).toMatch(/credentials/);
  });

  it('does not follow redirects and gives up on a receiver that does not answer in time', async () => {
    const allow = { ...opts, allow_private_networks: true };
    receiver.statuses = [302];
    const redirected = await postWebhook(`${receiver.url}/hooks`, '{}', {}, allow);
    expect(redirected).toMatchObject({ status_code: 302, error: 'redirect (302) not followed' });
    expect(receiver.received).toHaveLength(1);
    receiver.hang = true;
    const started = Date.now();
    const slow = await postWebhook(`${receiver.url}/hooks`, '{}', {}, allow);
    expect(slow).toEqual({ status_code: null, error: 'no answer within 500 ms', excerpt: null });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
