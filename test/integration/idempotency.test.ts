/**
 * Idempotency-Key through HTTP: replay of the stored response, 422 on reuse with another
 * request (the security test: a transfer repeated with another amount moves nothing), 409
 * while the first request runs, take-over of a crashed request, no replay of 5xx, scope
 * per caller, expiry and purge. Test-only routes count how often their handler ran.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/server/clock.js';
import { IN_PROGRESS_TAKEOVER_MS, RECORD_TTL_MS, bodyHash } from '../../src/server/idempotency.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { account, bal, balances, createAccounts, transfer } from '../helpers/ledger.js';
import { partnerFromTestHeaders, startPlatformApp, type PlatformApp } from '../helpers/platform.js';

const clock = new ManualClock(Date.UTC(2026, 3, 1));
let t: PlatformApp;
let api: Client;
const runs = { counted: 0, flaky: 0, partner: 0, oauth: 0, slow: 0 };
let releaseSlow: () => void = () => {};
let slowGate: Promise<void> = Promise.resolve();

beforeAll(async () => {
  t = await startPlatformApp({
    clock,
    routes(app) {
      app.post('/test/counted', async (req, reply) => {
        runs.counted++;
        reply.code(201).header('location', `/test/counted/${runs.counted}`).header('x-other', 'not kept');
        return { run: runs.counted, body: req.body ?? null };
      });
      app.post('/test/flaky', async () => {
        runs.flaky++;
        if (runs.flaky === 1) throw new Error('boom: the first call fails');
        return { run: runs.flaky };
      });
      app.post('/test/slow', async () => {
        runs.slow++;
        await slowGate;
        return { run: runs.slow };
      });
      app.post('/test/partner/pay', { config: { public: true }, onRequest: partnerFromTestHeaders }, async () => ({ run: ++runs.partner }));
      app.post('/oauth/test-token', { config: { public: true }, onRequest: partnerFromTestHeaders }, async () => ({ run: ++runs.oauth }));
    },
  });
  api = t.api;
});
afterAll(async () => {
  await t?.close();
});
beforeEach(() => {
  for (const k of Object.keys(runs) as (keyof typeof runs)[]) runs[k] = 0;
});

const withKey = (key: string, extra: Record<string, string> = {}) => ({ headers: { 'idempotency-key': key, ...extra } });
const records = async (key: string) =>
  (await t.db.query<{ principal: string; state: string; status_code: number | null }>('SELECT principal, state, status_code FROM idempotency_records WHERE key = $1', [key])).rows;

describe('Idempotency-Key on POST /v1/transfers', () => {
  it('replays the stored response for the same key and body, and moves the money once', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    const body = transfer(a, b, 100);
    const key = `pay-${uuid7()}`;
    const first = await api.post('/v1/transfers', body, withKey(key));
    expect(first.status, first.text).toBe(201);
    expect(first.headers.get('idempotency-replayed')).toBeNull();

    // Same body with keys in another order: the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await api.post('/v1/transfers', reordered, withKey(key));
    // 201 from the store: the ledger itself would have said 200 for a known transfer id.
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(again.text).toBe(first.text);
    expect(await balances(api, a)).toMatchObject(bal(100, 0));
    expect(await records(key)).toEqual([expect.objectContaining({ state: 'done', status_code: 201 })]);
  });

  it('security: the key reused with another amount is a 422 idempotency_key_reused, and nothing moves', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    const key = `pay-${uuid7()}`;
    const original = transfer(a, b, 100);
    expect((await api.post('/v1/transfers', original, withKey(key))).status).toBe(201);

    const other = transfer(a, b, 5000); // a new transfer id and another amount under the same key
    const reused = await api.post('/v1/transfers', other, withKey(key));
    expectProblem(reused, 422, 'idempotency_key_reused');
    expect(reused.body.detail).toMatch(/different body/);

    expect(await balances(api, a)).toMatchObject(bal(100, 0));
    expect(await balances(api, b)).toMatchObject(bal(0, 100));
    expectProblem(await api.get(`/v1/transfers/${other.id}`), 404, 'transfer_not_found');
    // The key still answers the first request with its stored response.
    const replay = await api.post('/v1/transfers', original, withKey(key));
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect(await balances(api, a)).toMatchObject(bal(100, 0));
  });

  it('the key used on another path is a 422, and the handler does not run', async () => {
    const key = `k-${uuid7()}`;
    expect((await api.post('/test/counted', { x: 1 }, withKey(key))).status).toBe(201);
    const other = account();
    expectProblem(await api.post('/v1/accounts', other, withKey(key)), 422, 'idempotency_key_reused');
    expectProblem(await api.get(`/v1/accounts/${other.id}`), 404, 'account_not_found');
    expectProblem(await api.post('/test/counted?dry_run=1', { x: 1 }, withKey(key)), 422, 'idempotency_key_reused');
    expect(runs.counted).toBe(1);
  });

  it('refuses a malformed key with 400 invalid_idempotency_key and creates nothing', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    for (const bad of ['x'.repeat(256), 'clé-ünïcode']) {
      const body = transfer(a, b, 7);
      const res = await api.post('/v1/transfers', body, { headers: { 'idempotency-key': bad } });
      expectProblem(res, 400, 'invalid_idempotency_key');
      expectProblem(await api.get(`/v1/transfers/${body.id}`), 404, 'transfer_not_found');
    }
    expect(await balances(api, a)).toMatchObject(bal(0, 0));
  });

  it('writes no record when the header is absent', async () => {
    const before = Number((await t.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM idempotency_records')).rows[0]!.n);
    expect((await api.post('/test/counted', { y: 1 })).status).toBe(201);
    expect((await api.post('/test/counted', { y: 1 })).status).toBe(201);
    expect(runs.counted).toBe(2);
    const after = Number((await t.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM idempotency_records')).rows[0]!.n);
    expect(after).toBe(before);
  });
});

describe('replays and their limits', () => {
  it('runs the handler once and replays status, content-type and location (not other headers)', async () => {
    const key = `k-${uuid7()}`;
    const first = await api.post('/test/counted', { order: 42 }, withKey(key));
    const second = await api.post('/test/counted', { order: 42 }, withKey(key));
    expect(runs.counted).toBe(1);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('location')).toBe('/test/counted/1');
    expect(first.headers.get('x-other')).toBe('not kept');
    expect(second.headers.get('x-other')).toBeNull();
    expect(second.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
  });

  it('scopes keys to the caller: another API key may use the same key for its own request', async () => {
    const key = `shared-${uuid7()}`;
    await api.post('/test/counted', { a: 1 }, withKey(key));
    const otherCaller = api.as(t.keys.admin);
    const res = await otherCaller.post('/test/counted', { b: 2 }, withKey(key));
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotency-replayed')).toBeNull();
    expect(runs.counted).toBe(2);
    expect((await records(key)).map((r) => r.principal.split(':')[0])).toEqual(['key', 'key']);
  });

  it('scopes an open-banking request to its client, and skips /oauth/*', async () => {
    const key = `ob-${uuid7()}`;
    const partner = (client: string) => withKey(key, { 'x-test-client': client, 'x-test-customer': 'cust-1' });
    const anon = api.as(null);
    expect((await anon.post('/test/partner/pay', { amount: '10' }, partner('shop-a'))).body).toEqual({ run: 1 });
    const replay = await anon.post('/test/partner/pay', { amount: '10' }, partner('shop-a'));
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect((await anon.post('/test/partner/pay', { amount: '10' }, partner('shop-b'))).body).toEqual({ run: 2 });
    expect((await records(key)).map((r) => r.principal).sort()).toEqual(['client:shop-a', 'client:shop-b']);

    const oauthKey = `oauth-${uuid7()}`;
    await anon.post('/oauth/test-token', { grant: 'x' }, withKey(oauthKey, { 'x-test-client': 'shop-a' }));
    await anon.post('/oauth/test-token', { grant: 'x' }, withKey(oauthKey, { 'x-test-client': 'shop-a' }));
    expect(runs.oauth).toBe(2);
    expect(await records(oauthKey)).toEqual([]);
  });

  it('does not keep a 5xx: the key is released and a retry runs again', async () => {
    const key = `k-${uuid7()}`;
    expectProblem(await api.post('/test/flaky', {}, withKey(key)), 500, 'internal_error');
    expect(await records(key)).toEqual([]);
    const retry = await api.post('/test/flaky', {}, withKey(key));
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ run: 2 });
    const replay = await api.post('/test/flaky', {}, withKey(key));
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect(runs.flaky).toBe(2);
  });

  it('when the record cannot be written, answers 503 unavailable and does nothing', async () => {
    const spy = vi.spyOn(t.app.idempotency, 'begin').mockRejectedValueOnce(new Error('connection refused'));
    try {
      const res = await api.post('/test/counted', { z: 1 }, withKey(`down-${uuid7()}`));
      expectProblem(res, 503, 'unavailable');
      expect(res.headers.get('retry-after')).toBe('1');
      expect(runs.counted).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps a 4xx from the handler and replays it', async () => {
    const [a, b] = await createAccounts(api, [account({ flags: { debits_must_not_exceed_credits: true } }), account()]);
    const key = `k-${uuid7()}`;
    const body = transfer(a, b, 100);
    const refused = await api.post('/v1/transfers', body, withKey(key));
    expectProblem(refused, 422, 'exceeds_credits');
    const again = await api.post('/v1/transfers', body, withKey(key));
    expectProblem(again, 422, 'exceeds_credits');
    expect(again.headers.get('idempotency-replayed')).toBe('true');
  });

  it('a schema error is not kept: the corrected request may reuse the key', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    const key = `k-${uuid7()}`;
    expectProblem(await api.post('/v1/transfers', { ...transfer(a, b, 5), amount: 5 }, withKey(key)), 400, 'invalid_request');
    expect((await api.post('/v1/transfers', transfer(a, b, 5), withKey(key))).status).toBe(201);
  });
});

describe('concurrent and crashed requests', () => {
  it('a repeat while the first runs is a 409 with Retry-After; afterwards it is a replay', async () => {
    slowGate = new Promise((resolve) => (releaseSlow = resolve));
    const key = `slow-${uuid7()}`;
    const first = api.post('/test/slow', { n: 1 }, withKey(key));
    for (let i = 0; i < 100 && runs.slow === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(runs.slow).toBe(1);
    const during = await api.post('/test/slow', { n: 1 }, withKey(key));
    expectProblem(during, 409, 'idempotency_request_in_progress');
    expect(during.headers.get('retry-after')).toBe('1');
    releaseSlow();
    expect((await first).status).toBe(200);
    const after = await api.post('/test/slow', { n: 1 }, withKey(key));
    expect(after.headers.get('idempotency-replayed')).toBe('true');
    expect(runs.slow).toBe(1);
  });

  it('of many identical requests sent at once, exactly one runs', async () => {
    const key = `burst-${uuid7()}`;
    const answers = await Promise.all(Array.from({ length: 12 }, () => api.post('/test/counted', { same: true }, withKey(key))));
    expect(runs.counted).toBe(1);
    for (const res of answers) expect([201, 409]).toContain(res.status);
    expect(answers.filter((r) => r.status === 201 && r.headers.get('idempotency-replayed') === null)).toHaveLength(1);
  });

  it('two app instances on one database: of the same request sent to both at once, exactly one runs', async () => {
    let ran = 0;
    const route = (app: import('fastify').FastifyInstance) =>
      app.post('/test/two-nodes', async () => {
        ran++;
        await new Promise((r) => setTimeout(r, 50));
        return { ran };
      });
    const one = await startPlatformApp({ clock, shared: { db: t.db, keys: t.keys }, routes: route });
    const two = await startPlatformApp({ clock, shared: { db: t.db, keys: t.keys }, routes: route });
    try {
      const key = `nodes-${uuid7()}`;
      const answers = await Promise.all([one, two, one, two, one, two].map((node) => node.api.post('/test/two-nodes', { x: 1 }, withKey(key))));
      expect(ran).toBe(1);
      expect(answers.filter((r) => r.status === 200 && r.headers.get('idempotency-replayed') === null)).toHaveLength(1);
      for (const res of answers) expect([200, 409]).toContain(res.status);
    } finally {
      await two.close();
      await one.close();
    }
  });

  it('a request that crashed mid-way blocks its key for 60 s, then a retry takes over', async () => {
    const key = `crash-${uuid7()}`;
    const principal = (await (async () => {
      await api.post('/test/counted', { probe: 1 }, withKey(`probe-${key}`));
      return (await records(`probe-${key}`))[0]!.principal;
    })());
    // What a process that died inside the handler leaves behind.
    const started = await t.app.idempotency.begin(principal, key, { method: 'POST', path: '/test/counted', body_hash: bodyHash({ c: 1 }) }, clock.now());
    expect(started.kind).toBe('started');
    expectProblem(await api.post('/test/counted', { c: 1 }, withKey(key)), 409, 'idempotency_request_in_progress');
    clock.advance(IN_PROGRESS_TAKEOVER_MS);
    const retry = await api.post('/test/counted', { c: 1 }, withKey(key));
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotency-replayed')).toBeNull();
    // The crashed request can no longer store its answer over the retry's.
    if (started.kind === 'started') {
      expect(await t.app.idempotency.complete(principal, key, started.owner, { status_code: 500, headers: {}, body: 'late' })).toBe(false);
    }
    expect((await api.post('/test/counted', { c: 1 }, withKey(key))).body).toEqual(retry.body);
  });
});

describe('expiry', () => {
  it('forgets a key after 24 h, and the sweep purges expired records in bounded batches', async () => {
    const key = `old-${uuid7()}`;
    await api.post('/test/counted', { v: 1 }, withKey(key));
    clock.advance(RECORD_TTL_MS);
    const fresh = await api.post('/test/counted', { v: 2 }, withKey(key)); // another body: allowed after 24 h
    expect(fresh.status).toBe(201);
    expect(fresh.body.body).toEqual({ v: 2 });

    for (let i = 0; i < 3; i++) await api.post('/test/counted', { i }, withKey(`purge-${i}-${key}`));
    clock.advance(RECORD_TTL_MS + 1);
    const expired = Number((await t.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM idempotency_records WHERE expires_at <= $1', [clock.now()])).rows[0]!.n);
    expect(expired).toBeGreaterThanOrEqual(4);
    expect(await t.app.idempotency.purgeExpired(clock.now(), 2)).toBe(2);
    let purged = 2;
    for (let n = -1; n !== 0; purged += n) n = await t.app.idempotency.purgeExpired(clock.now(), 2);
    expect(purged).toBe(expired);
    expect(await records(key)).toEqual([]);
  });
});
