/**
 * Rate limits through HTTP: per API key on /v1 routes, per client and per customer on
 * open-banking routes (a test-only route that sets req.partner as the token guard would),
 * RateLimit-* headers, 429 problem+json with Retry-After (the security test: a refused
 * transfer moves nothing), limits switched off, and buckets shared by two app instances
 * through the local Redis (127.0.0.1:6379), with a per-test key prefix deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ManualClock } from '../../src/server/clock.js';
import { createKey } from '../../src/auth/store.js';
import { RedisRateLimitStore } from '../../src/server/rate-limit-redis.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { account, bal, balances, createAccounts, transfer } from '../helpers/ledger.js';
import { partnerFromTestHeaders, startPlatformApp, type PlatformApp } from '../helpers/platform.js';

const REDIS_URL = process.env.CAPILLARY_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

const clock = new ManualClock(Date.UTC(2026, 3, 1));
let t: PlatformApp;

const limits = {
  key: { capacity: 3, refill_per_s: 1 },
  client: { capacity: 5, refill_per_s: 1 },
  customer: { capacity: 2, refill_per_s: 1 },
};

beforeAll(async () => {
  t = await startPlatformApp({
    clock,
    rate_limits: { settings: limits },
    routes(app) {
      app.get('/test/partner/accounts', { config: { public: true }, onRequest: partnerFromTestHeaders }, async () => ({ ok: true }));
      app.post('/test/partner/pay', { config: { public: true }, onRequest: partnerFromTestHeaders }, async () => ({ ok: true }));
    },
  });
});
afterAll(async () => {
  await t?.close();
});

const headersOf = (res: { headers: Headers }) => ({
  limit: res.headers.get('ratelimit-limit'),
  remaining: res.headers.get('ratelimit-remaining'),
  reset: res.headers.get('ratelimit-reset'),
  policy: res.headers.get('ratelimit-policy'),
});

/** A client holding a new rw API key, so each test starts with a full bucket. */
async function freshKeyClient(): Promise<Client> {
  const created = await createKey(t.db, `rl-${uuid7()}`, ['ledger:read', 'ledger:write'], clock.now());
  return t.api.as(created.token);
}

describe('per API key', () => {
  it('security: past the limit a transfer is a 429 rate_limited with Retry-After, and nothing moves', async () => {
    const setup = await freshKeyClient();
    const [a, b] = await createAccounts(setup, [account(), account()]);
    const api = await freshKeyClient();

    const seen = [];
    for (let i = 0; i < 3; i++) {
      const res = await api.post('/v1/transfers', transfer(a, b, 10));
      expect(res.status, res.text).toBe(201);
      seen.push(headersOf(res));
    }
    expect(seen.map((h) => h.remaining)).toEqual(['2', '1', '0']);
    expect(seen[0]).toEqual({ limit: '3', remaining: '2', reset: '1', policy: '3;w=3' });

    const refusedBody = transfer(a, b, 999);
    const refused = await api.post('/v1/transfers', refusedBody);
    expectProblem(refused, 429, 'rate_limited');
    expect(refused.body.limit).toBe('key');
    expect(refused.body.detail).toMatch(/API key/);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(headersOf(refused)).toMatchObject({ limit: '3', remaining: '0', reset: '3' });

    // Nothing moved: read with another key (this one is out of tokens).
    const reader = await freshKeyClient();
    expect(await balances(reader, a)).toMatchObject(bal(30, 0));
    expectProblem(await reader.get(`/v1/transfers/${refusedBody.id}`), 404, 'transfer_not_found');

    // One second later one token is back.
    clock.advance(1000);
    expect((await api.post('/v1/transfers', refusedBody)).status).toBe(201);
    expectProblem(await api.post('/v1/transfers', transfer(a, b, 1)), 429, 'rate_limited');
  });

  it('puts the headers on error responses too, and none on public routes', async () => {
    const api = await freshKeyClient();
    const missing = await api.get(`/v1/accounts/${uuid7()}`);
    expectProblem(missing, 404, 'account_not_found');
    expect(headersOf(missing)).toMatchObject({ limit: '3', remaining: '2' });
    const health = await api.get('/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('ratelimit-limit')).toBeNull();
  });

  it('a rate-limited POST keeps no Idempotency-Key record: the same key runs once tokens are back', async () => {
    const setup = await freshKeyClient();
    const [a, b] = await createAccounts(setup, [account(), account()]);
    const api = await freshKeyClient();
    for (let i = 0; i < 3; i++) await api.get(`/v1/accounts/${a}`);
    const body = transfer(a, b, 42);
    const key = `rl-${uuid7()}`;
    expectProblem(await api.post('/v1/transfers', body, { headers: { 'idempotency-key': key } }), 429, 'rate_limited');
    expect((await t.db.query('SELECT 1 FROM idempotency_records WHERE key = $1', [key])).rows).toEqual([]);
    clock.advance(1000);
    const res = await api.post('/v1/transfers', body, { headers: { 'idempotency-key': key } });
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotency-replayed')).toBeNull();
  });
});

describe('per client and per customer (open-banking routes)', () => {
  const as = (client: string, customer?: string) => ({ headers: { 'x-test-client': client, ...(customer ? { 'x-test-customer': customer } : {}) } });
  const anon = () => t.api.as(null);

  it("limits each customer of an app, then the app as a whole, naming the limit that refused", async () => {
    const shop = `shop-${uuid7()}`;
    const statuses = async (n: number, who: ReturnType<typeof as>) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await anon().get('/test/partner/accounts', who)).status);
      return out;
    };
    expect(await statuses(2, as(shop, 'alice'))).toEqual([200, 200]);
    const aliceRefused = await anon().get('/test/partner/accounts', as(shop, 'alice'));
    expectProblem(aliceRefused, 429, 'rate_limited');
    expect(aliceRefused.body.limit).toBe('customer');
    expect(headersOf(aliceRefused)).toMatchObject({ limit: '2', remaining: '0', policy: '5;w=5, 2;w=2' });

    // Bob's bucket is his own; the app's bucket has 3 of 5 left.
    const bob = await anon().get('/test/partner/accounts', as(shop, 'bob'));
    expect(bob.status).toBe(200);
    expect(headersOf(bob)).toMatchObject({ limit: '2', remaining: '1' }); // the bucket closest to empty
    expect(await statuses(2, as(shop))).toEqual([200, 200]); // the app's own (client-credentials) calls
    const appRefused = await anon().post('/test/partner/pay', {}, as(shop, 'carol'));
    expectProblem(appRefused, 429, 'rate_limited');
    expect(appRefused.body.limit).toBe('client');
    expect(headersOf(appRefused)).toMatchObject({ limit: '5', remaining: '0' });

    // Another app is not affected, and the same customer through another app has a bucket of its own.
    expect(await statuses(2, as(`other-${uuid7()}`, 'alice'))).toEqual([200, 200]);
  });

  it('a refused request takes from no bucket', async () => {
    const shop = `shop-${uuid7()}`;
    for (let i = 0; i < 2; i++) await anon().get('/test/partner/accounts', as(shop, 'dave'));
    for (let i = 0; i < 5; i++) expectProblem(await anon().get('/test/partner/accounts', as(shop, 'dave')), 429, 'rate_limited');
    // Five refusals for dave spent none of the app's tokens: 3 of 5 are left.
    const res = await anon().get('/test/partner/accounts', as(shop));
    expect(headersOf(res)).toMatchObject({ limit: '5', remaining: '2' });
  });
});

describe('switched off', () => {
  it('a limit set to null (RATE_LIMIT_KEY_PER_S=0) adds no headers and never refuses', async () => {
    const off = await startPlatformApp({ clock, rate_limits: { settings: { key: null } } });
    try {
      for (let i = 0; i < 20; i++) {
        const res = await off.api.get(`/v1/accounts/${uuid7()}`);
        expect(res.status).toBe(404);
        expect(res.headers.get('ratelimit-limit')).toBeNull();
      }
    } finally {
      await off.close();
    }
  });
});

describe('shared through Redis', () => {
  const prefixes: string[] = [];
  afterEach(async () => {
    const admin = new Redis(REDIS_URL);
    try {
      for (const prefix of prefixes.splice(0)) {
        const keys = await admin.keys(`${prefix}*`);
        if (keys.length > 0) await admin.del(...keys);
      }
    } finally {
      admin.disconnect();
    }
  });

  const redisStore = (prefix: string, url = REDIS_URL) =>
    new RedisRateLimitStore({ url, key_prefix: prefix, now_ms: () => clock.now().getTime(), log: { error: () => {}, info: () => {} } });

  it('two app instances on one Redis share one limit', async () => {
    const prefix = `capillary:test:${randomUUID()}:`;
    prefixes.push(prefix);
    const stores = [redisStore(prefix), redisStore(prefix)];
    await Promise.all(stores.map((s) => s.ready()));
    const settings = { key: { capacity: 4, refill_per_s: 1 } };
    const one = await startPlatformApp({ clock, rate_limits: { settings, store: stores[0] } });
    const two = await startPlatformApp({ clock, rate_limits: { settings, store: stores[1] }, shared: { db: one.db, keys: one.keys } });
    try {
      const statuses: number[] = [];
      for (const node of [one, two, one, two, one, two]) statuses.push((await node.api.get(`/v1/accounts/${uuid7()}`)).status);
      expect(statuses).toEqual([404, 404, 404, 404, 429, 429]);
      const last = await two.api.get(`/v1/accounts/${uuid7()}`);
      expect(last.headers.get('ratelimit-remaining')).toBe('0');
      expect(stores.every((s) => s.fallback_takes === 0)).toBe(true);
    } finally {
      await two.close();
      await one.close();
      for (const s of stores) await s.close();
    }
  });

  it('when Redis is unreachable the API stays up, limited per node by in-process buckets', async () => {
    const store = redisStore(`capillary:test:${randomUUID()}:`, 'redis://127.0.0.1:1');
    const node = await startPlatformApp({ clock, rate_limits: { settings: { key: { capacity: 2, refill_per_s: 1 } }, store } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await node.api.get(`/v1/accounts/${uuid7()}`)).status);
      expect(statuses).toEqual([404, 404, 429]);
      expect(store.fallback_takes).toBe(3);
    } finally {
      await node.close();
      await store.close();
    }
  });
});
