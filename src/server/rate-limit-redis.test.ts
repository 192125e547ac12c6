/**
 * The Redis store against the local Redis (127.0.0.1:6379). Each test uses its own key
 * prefix and deletes its keys afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisRateLimitStore, TAKE_SCRIPT_SHA } from './rate-limit-redis.js';
import { takeAll, type BucketState } from './rate-limit.js';

const REDIS_URL = process.env.CAPILLARY_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

interface Logged {
  level: 'error' | 'info';
  msg: string;
}

const opened: RedisRateLimitStore[] = [];
const prefixes: string[] = [];

function newPrefix(): string {
  const prefix = `capillary:test:${randomUUID()}:`;
  prefixes.push(prefix);
  return prefix;
}

async function openStore(prefix: string, url = REDIS_URL, logs: Logged[] = []): Promise<RedisRateLimitStore> {
  const store = new RedisRateLimitStore({
    url,
    key_prefix: prefix,
    now_ms: () => Date.now(),
    retry_after_failure_ms: 60_000,
    log: { error: (_o, msg) => logs.push({ level: 'error', msg }), info: (_o, msg) => logs.push({ level: 'info', msg }) },
  });
  opened.push(store);
  return store;
}

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
  for (const store of opened.splice(0)) await store.close();
});

describe('Redis rate-limit store', () => {
  it('two stores (two nodes) on one Redis share one bucket', async () => {
    const prefix = newPrefix();
    const a = await openStore(prefix);
    const b = await openStore(prefix);
    await Promise.all([a.ready(), b.ready()]);
    const req = [{ key: 'client:shop', limit: { capacity: 4, refill_per_s: 1 }, cost: 1 }];
    const results = [];
    for (const store of [a, b, a, b, a, b]) results.push((await store.take(req)).allowed);
    expect(results).toEqual([true, true, true, true, false, false]);
    expect(a.fallback_takes + b.fallback_takes).toBe(0);
  });

  it('takes from every bucket of a request or from none, atomically', async () => {
    const prefix = newPrefix();
    const store = await openStore(prefix);
    await store.ready();
    const client = { key: 'client:c', limit: { capacity: 100, refill_per_s: 1 }, cost: 1 };
    const customer = { key: 'customer:c:u', limit: { capacity: 1, refill_per_s: 1 }, cost: 1 };
    expect((await store.take([client, customer])).allowed).toBe(true);
    const refused = await store.take([client, customer]);
    expect(refused).toMatchObject({ allowed: false, denied_index: 1 });
    // The client bucket paid for the first request only.
    expect(Math.floor(refused.states[0]!.millitokens / 1000)).toBe(99);
  });

  it('computes what the pure token bucket computes, with the time Redis reads', async () => {
    const prefix = newPrefix();
    const store = await openStore(prefix);
    await store.ready();
    const limits = [
      { capacity: 3, refill_per_s: 7 },
      { capacity: 5, refill_per_s: 2 },
    ];
    let prev: (BucketState | undefined)[] = [undefined, undefined];
    let refusals = 0;
    for (let i = 0; i < 60; i++) {
      const requests = limits.map((limit, j) => ({ key: `b${j}`, limit, cost: 1 + ((i + j) % 2) }));
      const got = await store.take(requests);
      const now = got.states[0]!.updated_ms;
      const expected = takeAll(
        requests.map((r, j) => ({ limit: r.limit, state: prev[j], cost: r.cost })),
        now,
      );
      expect(got, `take ${i}`).toEqual(expected);
      if (!got.allowed) refusals++;
      prev = got.states;
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 30));
    }
    expect(refusals).toBeGreaterThan(0); // the sequence did reach the limits
  });

  it('lets Redis expire a bucket once it would be full again', async () => {
    const prefix = newPrefix();
    const store = await openStore(prefix);
    await store.ready();
    await store.take([{ key: 'key:k', limit: { capacity: 10, refill_per_s: 5 }, cost: 4 }]);
    const ttl = await store.redis.pttl(`${prefix}key:k`);
    // 4 tokens at 5/s refill in 800 ms; the key lives that long plus one second.
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(1800);
  });

  it('loads the script again after Redis forgot it (NOSCRIPT)', async () => {
    const prefix = newPrefix();
    const store = await openStore(prefix);
    await store.ready();
    const req = [{ key: 'key:k', limit: { capacity: 2, refill_per_s: 1 }, cost: 1 }];
    await store.take(req);
    await store.redis.script('FLUSH');
    expect(await store.redis.script('EXISTS', TAKE_SCRIPT_SHA)).toEqual([0]);
    expect((await store.take(req)).allowed).toBe(true);
    expect((await store.take(req)).allowed).toBe(false);
    expect(store.fallback_takes).toBe(0);
  });

  it('when Redis does not answer, limits with in-process buckets and logs an error', async () => {
    const logs: Logged[] = [];
    // Nothing listens on port 1: every connection attempt is refused.
    const store = await openStore(newPrefix(), 'redis://127.0.0.1:1', logs);
    await expect(store.ready(300)).rejects.toThrow(/not ready/);
    const req = [{ key: 'key:k', limit: { capacity: 2, refill_per_s: 1 }, cost: 1 }];
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await store.take(req)).allowed);
    expect(answers).toEqual([true, true, false]); // still limited, per node
    expect(store.fallback_takes).toBe(3);
    expect(logs.some((l) => l.level === 'error' && /Redis does not answer/.test(l.msg))).toBe(true);
  });
});
