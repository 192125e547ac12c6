import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { MemoryRateLimitStore } from './rate-limit-memory.js';

const limit = { capacity: 2, refill_per_s: 1 };

describe('in-process rate-limit store', () => {
  it('keeps each bucket apart and refills with the clock', async () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore(() => clock.now().getTime());
    const take = (key: string) => store.take([{ key, limit, cost: 1 }]);
    expect((await take('a')).allowed).toBe(true);
    expect((await take('a')).allowed).toBe(true);
    expect((await take('a')).allowed).toBe(false);
    expect((await take('b')).allowed).toBe(true); // another caller's bucket is untouched
    clock.advance(1000);
    expect((await take('a')).allowed).toBe(true);
    expect((await take('a')).allowed).toBe(false);
  });

  it('drops buckets that have filled up again, so idle callers cost no memory', async () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore(() => clock.now().getTime());
    for (let i = 0; i < 50; i++) await store.take([{ key: `idle-${i}`, limit, cost: 1 }]);
    expect(store.size).toBe(50);
    clock.advance(5000); // every bucket is full again
    for (let i = 0; i < 30; i++) await store.take([{ key: 'busy', limit: { capacity: 1000, refill_per_s: 1 }, cost: 1 }]);
    expect(store.size).toBeLessThan(50 - 30); // each take dropped up to two idle ones
  });

  it('never holds more than buckets_max buckets', async () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore(() => clock.now().getTime(), 10);
    for (let i = 0; i < 1000; i++) {
      await store.take([{ key: `k${i}`, limit, cost: 1 }]);
      expect(store.size).toBeLessThanOrEqual(10);
    }
    // The most recent caller keeps its (non-full) bucket.
    expect((await store.take([{ key: 'k999', limit, cost: 1 }])).allowed).toBe(true);
    expect((await store.take([{ key: 'k999', limit, cost: 1 }])).allowed).toBe(false);
  });
});
