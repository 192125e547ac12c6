import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkLimit, fullBucket, isFullAt, MILLI, msToFill, refill, takeAll, viewOf, type BucketLimit, type BucketState } from './rate-limit.js';

const T0 = Date.UTC(2026, 0, 1);
const L: BucketLimit = { capacity: 10, refill_per_s: 5 };

describe('token bucket', () => {
  it('starts full and takes the cost', () => {
    const r = takeAll([{ limit: L, state: undefined, cost: 1 }], T0);
    expect(r.allowed).toBe(true);
    expect(r.states[0]).toEqual({ millitokens: 9 * MILLI, updated_ms: T0 });
    expect(viewOf(L, r.states[0]!, 1)).toEqual({ limit: 10, remaining: 9, reset_s: 1, retry_after_s: 0 });
  });

  it('allows a burst of exactly the capacity, then refuses, spending nothing', () => {
    let state: BucketState | undefined;
    for (let i = 0; i < 10; i++) {
      const r = takeAll([{ limit: L, state, cost: 1 }], T0);
      expect(r.allowed, `request ${i}`).toBe(true);
      state = r.states[0];
    }
    const refused = takeAll([{ limit: L, state, cost: 1 }], T0);
    expect(refused).toMatchObject({ allowed: false, denied_index: 0 });
    expect(refused.states[0]!.millitokens).toBe(0);
    // 5 tokens a second: one token in 200 ms, so Retry-After rounds up to 1 s; full in 2 s.
    expect(viewOf(L, refused.states[0]!, 1)).toEqual({ limit: 10, remaining: 0, reset_s: 2, retry_after_s: 1 });
  });

  it('refills by whole milliseconds in integers: 5 tokens/s is one token per 200 ms', () => {
    const empty: BucketState = { millitokens: 0, updated_ms: T0 };
    expect(refill(L, empty, T0 + 199).millitokens).toBe(995);
    expect(takeAll([{ limit: L, state: empty, cost: 1 }], T0 + 199).allowed).toBe(false);
    expect(takeAll([{ limit: L, state: empty, cost: 1 }], T0 + 200).allowed).toBe(true);
    expect(refill(L, empty, T0 + 60_000)).toEqual({ millitokens: 10 * MILLI, updated_ms: T0 + 60_000 });
  });

  it('a clock that goes back adds nothing and does not move the bucket back', () => {
    const s: BucketState = { millitokens: 3000, updated_ms: T0 };
    expect(refill(L, s, T0 - 5000)).toEqual(s);
  });

  it('takes from every bucket or from none', () => {
    const big: BucketLimit = { capacity: 100, refill_per_s: 1 };
    const small: BucketLimit = { capacity: 1, refill_per_s: 1 };
    const emptySmall: BucketState = { millitokens: 0, updated_ms: T0 };
    const r = takeAll(
      [
        { limit: big, state: undefined, cost: 1 },
        { limit: small, state: emptySmall, cost: 1 },
      ],
      T0,
    );
    expect(r).toMatchObject({ allowed: false, denied_index: 1 });
    expect(r.states[0]!.millitokens).toBe(100 * MILLI); // the client bucket was not charged
  });

  it('says when a bucket is full again and how long filling takes', () => {
    expect(msToFill(L)).toBe(2000);
    expect(msToFill({ capacity: 1, refill_per_s: 3 })).toBe(334);
    expect(isFullAt(L, { millitokens: 0, updated_ms: T0 }, T0 + 1999)).toBe(false);
    expect(isFullAt(L, { millitokens: 0, updated_ms: T0 }, T0 + 2000)).toBe(true);
  });

  it('refuses limits that are not positive integers within bounds', () => {
    expect(() => checkLimit({ capacity: 0, refill_per_s: 1 })).toThrow(/capacity/);
    expect(() => checkLimit({ capacity: 1, refill_per_s: 0.5 })).toThrow(/refill_per_s/);
    expect(() => checkLimit({ capacity: 2e9, refill_per_s: 1 })).toThrow(/capacity/);
    expect(() => checkLimit(L)).not.toThrow();
  });
});

describe('token bucket properties', () => {
  const limitArb = fc.record({ capacity: fc.integer({ min: 1, max: 1_000_000_000 }), refill_per_s: fc.integer({ min: 1, max: 1_000_000_000 }) });
  const stepsArb = fc.array(fc.record({ dt_ms: fc.integer({ min: -5_000, max: 100_000 }), cost: fc.integer({ min: 1, max: 50 }) }), { maxLength: 60 });

  it('tokens never exceed capacity, never go negative, and stay integers', () => {
    fc.assert(
      fc.property(limitArb, stepsArb, (limit, steps) => {
        let now = T0;
        let state: BucketState = fullBucket(limit, now);
        for (const step of steps) {
          now += step.dt_ms;
          const cost = Math.min(step.cost, limit.capacity);
          const r = takeAll([{ limit, state, cost }], now);
          state = r.states[0]!;
          expect(Number.isSafeInteger(state.millitokens)).toBe(true);
          expect(state.millitokens).toBeGreaterThanOrEqual(0);
          expect(state.millitokens).toBeLessThanOrEqual(limit.capacity * MILLI);
          const view = viewOf(limit, state, cost);
          expect(view.remaining).toBeGreaterThanOrEqual(0);
          expect(view.remaining).toBeLessThanOrEqual(limit.capacity);
          if (!r.allowed) expect(view.retry_after_s).toBeGreaterThanOrEqual(1);
        }
      }),
    );
  });

  it('refill is monotonic: later never holds fewer tokens, and refilling in steps equals refilling at once', () => {
    fc.assert(
      fc.property(
        limitArb,
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (limit, fraction, a, b) => {
          const start: BucketState = { millitokens: Math.floor((limit.capacity * MILLI * fraction) / 1000), updated_ms: T0 };
          const early = refill(limit, start, T0 + a);
          const late = refill(limit, start, T0 + a + b);
          expect(late.millitokens).toBeGreaterThanOrEqual(early.millitokens);
          expect(early.millitokens).toBeGreaterThanOrEqual(start.millitokens);
          expect(refill(limit, early, T0 + a + b)).toEqual(late);
        },
      ),
    );
  });

  it('over any span, no more is allowed than the capacity plus what the span refills', () => {
    fc.assert(
      fc.property(
        fc.record({ capacity: fc.integer({ min: 1, max: 50 }), refill_per_s: fc.integer({ min: 1, max: 200 }) }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }),
        (limit, gaps) => {
          let now = T0;
          let state: BucketState | undefined;
          let allowed = 0;
          for (const gap of gaps) {
            now += gap;
            const r = takeAll([{ limit, state, cost: 1 }], now);
            state = r.states[0];
            if (r.allowed) allowed++;
          }
          expect(allowed).toBeLessThanOrEqual(limit.capacity + Math.floor(((now - T0) * limit.refill_per_s) / 1000));
        },
      ),
    );
  });
});
