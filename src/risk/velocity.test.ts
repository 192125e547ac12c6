import { describe, expect, it } from 'vitest';
import type { RiskEvent } from './types.js';
import { VELOCITY_WINDOWS, VelocityStore, validateVelocityFeatures, type VelocityFeature, type VelocityWindow } from './velocity.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 10:00:32.500 UTC: inside a 5 s, 1 min, 30 min and 1 day bucket, on none of their edges. */
const T = Date.UTC(2026, 0, 15, 10, 0, 32, 500);

let seq = 0;
function ev(at: number, fields: Partial<RiskEvent> = {}): RiskEvent {
  return { id: `e${++seq}`, type: 'payment', customer_id: 'c1', occurred_at: new Date(at), ...fields };
}

const at = (ms: number): Date => new Date(ms);

describe('validateVelocityFeatures', () => {
  const good: VelocityFeature = { name: 'customer_count_1h', entity: 'customer', aggregate: 'count', window: '1h' };

  it('accepts well-formed definitions of every aggregate', () => {
    expect(
      validateVelocityFeatures([
        good,
        { name: 'customer_amount_24h', entity: 'customer', aggregate: 'sum', of: 'amount', window: '24h', event_types: ['payment'] },
        { name: 'device_customers_30d', entity: 'device', aggregate: 'distinct', of: 'customer', window: '30d' },
        { name: 'ip_binds_1m', entity: 'ip', aggregate: 'count', window: '1m', event_types: ['custom.card_bind', 'login'] },
      ]),
    ).toEqual({ ok: true });
  });

  const cases: [string, unknown[], number, string][] = [
    ['a name with capitals', [{ ...good, name: 'Customer_count' }], 0, 'name'],
    ['a name starting with a digit', [{ ...good, name: '1h_count' }], 0, 'name'],
    ['a name of 65 characters', [{ ...good, name: 'a'.repeat(65) }], 0, 'name'],
    ['a duplicate name', [good, { ...good, window: '24h' }], 1, 'name'],
    ['an unknown entity', [{ ...good, entity: 'email' }], 0, 'entity'],
    ['an unknown aggregate', [{ ...good, aggregate: 'avg' }], 0, 'aggregate'],
    ['an unknown window', [{ ...good, window: '2h' }], 0, 'window'],
    ['count with of', [{ ...good, of: 'amount' }], 0, 'of'],
    ['sum without of', [{ ...good, aggregate: 'sum' }], 0, 'of'],
    ['sum of an entity', [{ ...good, aggregate: 'sum', of: 'device' }], 0, 'of'],
    ['distinct without of', [{ ...good, aggregate: 'distinct' }], 0, 'of'],
    ['distinct of amount', [{ ...good, aggregate: 'distinct', of: 'amount' }], 0, 'of'],
    ['distinct of its own entity', [{ ...good, aggregate: 'distinct', of: 'customer' }], 0, 'of'],
    ['empty event_types', [{ ...good, event_types: [] }], 0, 'event_types'],
    ['an unknown event type', [{ ...good, event_types: ['payment', 'refund'] }], 0, 'event_types[1]'],
    ['a repeated event type', [{ ...good, event_types: ['login', 'login'] }], 0, 'event_types[1]'],
    ['an unknown field', [{ ...good, windw: '1h' }], 0, 'windw'],
    ['a non-object', [good, null], 1, ''],
  ];
  it.each(cases)('rejects %s', (_label, defs, index, field) => {
    const result = validateVelocityFeatures(defs as VelocityFeature[]);
    expect(result).toMatchObject({ ok: false, index, field });
    if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
  });

  it('rejects more than 256 features', () => {
    const defs = Array.from({ length: 257 }, (_, i): VelocityFeature => ({ ...good, name: `f${i}` }));
    expect(validateVelocityFeatures(defs)).toMatchObject({ ok: false, index: -1, field: 'features' });
    expect(validateVelocityFeatures(defs.slice(0, 256))).toEqual({ ok: true });
  });

  it('makes the store constructor throw on invalid definitions and options', () => {
    expect(() => new VelocityStore([good, good])).toThrow(/duplicate/);
    expect(() => new VelocityStore([good], { entities_max: 0 })).toThrow(RangeError);
    expect(() => new VelocityStore([good], { distinct_max: 1.5 })).toThrow(RangeError);
    expect(() => new VelocityStore([good], { future_tolerance_ms: -1 })).toThrow(RangeError);
  });
});

describe('VelocityStore aggregates', () => {
  it('counts per entity kind, keeping kinds apart even when ids are equal', () => {
    const kinds = ['customer', 'device', 'ip', 'counterparty', 'merchant', 'account'] as const;
    const store = new VelocityStore(kinds.map((entity) => ({ name: `${entity}_count_1h`, entity, aggregate: 'count', window: '1h' })));
    const shared = { device_id: 'x', ip: 'x', counterparty_id: 'x', merchant_id: 'x', account_id: 'x' };
    store.observe(ev(T - 1000, { customer_id: 'x', ...shared }));
    store.observe(ev(T - 2000, { customer_id: 'x', device_id: 'x' }));
    store.observe(ev(T - 3000, { customer_id: 'y', ip: 'x', merchant_id: 'm2' }));
    expect(store.features(ev(T, { customer_id: 'x', ...shared }), at(T))).toEqual({
      customer_count_1h: 2,
      device_count_1h: 2,
      ip_count_1h: 2,
      counterparty_count_1h: 1,
      merchant_count_1h: 1,
      account_count_1h: 1,
    });
    // An event without the entity reads 0, and reading does not record the event.
    expect(store.features(ev(T, { customer_id: 'x' }), at(T))).toMatchObject({ customer_count_1h: 2, device_count_1h: 0, ip_count_1h: 0 });
    expect(store.features(ev(T, { customer_id: 'x' }), at(T)).customer_count_1h).toBe(2);
    // One entity per kind and value: customer x, y; device x; ip x; counterparty x; merchant x, m2; account x.
    expect(store.entityCount).toBe(8);
  });

  it('counts only the listed event types', () => {
    const store = new VelocityStore([
      { name: 'logins_1h', entity: 'customer', aggregate: 'count', window: '1h', event_types: ['login'] },
      { name: 'binds_or_payments_1h', entity: 'customer', aggregate: 'count', window: '1h', event_types: ['custom.card_bind', 'payment'] },
      { name: 'all_1h', entity: 'customer', aggregate: 'count', window: '1h' },
    ]);
    store.observe(ev(T - 1, { type: 'login' }));
    store.observe(ev(T - 2, { type: 'login' }));
    store.observe(ev(T - 3, { type: 'custom.card_bind' }));
    store.observe(ev(T - 4, { type: 'payment' }));
    store.observe(ev(T - 5, { type: 'beneficiary_added' }));
    // The type of the event asked about does not matter: the features describe the past.
    expect(store.features(ev(T, { type: 'beneficiary_added' }), at(T))).toEqual({ logins_1h: 2, binds_or_payments_1h: 2, all_1h: 5 });
  });

  it('sums amounts exactly in bigint and skips events without an amount', () => {
    const store = new VelocityStore([{ name: 'amount_24h', entity: 'customer', aggregate: 'sum', of: 'amount', window: '24h' }]);
    const big = 2n ** 53n + 1n; // not representable as a double
    store.observe(ev(T - HOUR, { amount: big }));
    store.observe(ev(T - 2 * HOUR, { amount: -2n }));
    store.observe(ev(T - 3 * HOUR));
    // Adding as doubles would give 2^53 - 2: Number(2^53 + 1) rounds to 2^53.
    expect(store.features(ev(T), at(T)).amount_24h).toBe(Number.MAX_SAFE_INTEGER);
    store.observe(ev(T - 3 * HOUR, { amount: 10n ** 20n }));
    expect(store.features(ev(T), at(T)).amount_24h).toBe(Number(10n ** 20n + big - 2n));
  });

  it('sums large amounts exactly across buckets and many events', () => {
    const store = new VelocityStore([{ name: 'amount_30d', entity: 'customer', aggregate: 'sum', of: 'amount', window: '30d' }]);
    let expected = 0n;
    for (let i = 0; i < 600; i++) {
      const amount = 123_456_789_012n + BigInt(i) * 7n;
      expected += amount;
      store.observe(ev(T - (i % 29) * DAY - i, { amount }));
    }
    expect(expected).toBeLessThan(2n ** 53n);
    expect(store.features(ev(T), at(T)).amount_30d).toBe(Number(expected));
  });

  it('counts distinct values as the union of the window buckets', () => {
    const store = new VelocityStore([
      { name: 'devices_1h', entity: 'customer', aggregate: 'distinct', of: 'device', window: '1h' },
      { name: 'customers_1h', entity: 'device', aggregate: 'distinct', of: 'customer', window: '1h' },
    ]);
    store.observe(ev(T - 10 * MIN, { device_id: 'd1' }));
    store.observe(ev(T - 10 * MIN, { device_id: 'd1' }));
    store.observe(ev(T - 5 * MIN, { device_id: 'd1' })); // d1 again in another bucket: still one
    store.observe(ev(T - 1 * MIN, { device_id: 'd2' }));
    store.observe(ev(T - 2 * MIN)); // no device: not part of the distinct
    store.observe(ev(T - 3 * MIN, { customer_id: 'c2', device_id: 'd1' }));
    expect(store.features(ev(T, { device_id: 'd1' }), at(T))).toEqual({ devices_1h: 2, customers_1h: 2 });
    expect(store.features(ev(T, { customer_id: 'c2', device_id: 'd2' }), at(T))).toEqual({ devices_1h: 1, customers_1h: 1 });
    // A single bucket is read directly; a window with nothing reads 0.
    expect(store.features(ev(T, { device_id: 'd2' }), at(T)).customers_1h).toBe(1);
    expect(store.features(ev(T, { device_id: 'd9' }), at(T)).customers_1h).toBe(0);
  });

  it('saturates a distinct bucket at distinct_max and keeps the union across buckets', () => {
    const store = new VelocityStore([{ name: 'merchants_1h', entity: 'customer', aggregate: 'distinct', of: 'merchant', window: '1h' }], {
      distinct_max: 3,
    });
    for (const m of ['m1', 'm2', 'm3', 'm4', 'm5', 'm1']) store.observe(ev(T - 10 * MIN, { merchant_id: m }));
    expect(store.features(ev(T), at(T)).merchants_1h).toBe(3); // saturated: a lower bound, ≥ distinct_max
    // Another bucket adds its own up to 3 values; m4 and m5 now count, m1 does not count twice.
    for (const m of ['m4', 'm5', 'm1', 'm6']) store.observe(ev(T - 5 * MIN, { merchant_id: m }));
    expect(store.features(ev(T), at(T)).merchants_1h).toBe(5);
  });

  it('keeps one value per bucket with distinct_max 1', () => {
    const store = new VelocityStore([{ name: 'merchants_1h', entity: 'customer', aggregate: 'distinct', of: 'merchant', window: '1h' }], {
      distinct_max: 1,
    });
    for (const m of ['m1', 'm2', 'm1']) store.observe(ev(T - 10 * MIN, { merchant_id: m }));
    expect(store.features(ev(T), at(T)).merchants_1h).toBe(1);
    store.observe(ev(T - 5 * MIN, { merchant_id: 'm2' }));
    expect(store.features(ev(T), at(T)).merchants_1h).toBe(2);
  });
});

describe('VelocityStore windows', () => {
  const windows = Object.keys(VELOCITY_WINDOWS) as VelocityWindow[];

  it.each(windows)('the %s window is the current bucket plus the N-1 full buckets before it', (window) => {
    const { bucket_ms, buckets } = VELOCITY_WINDOWS[window];
    const store = new VelocityStore([{ name: 'n', entity: 'customer', aggregate: 'count', window }], { future_tolerance_ms: 2 * DAY });
    const nowBucket = Math.floor(T / bucket_ms);
    const oldestStart = (nowBucket - buckets + 1) * bucket_ms;
    const nextStart = (nowBucket + 1) * bucket_ms;
    const times = [oldestStart - 1, oldestStart, T - buckets * bucket_ms, T, nextStart - 1, nextStart];
    for (const t of times) store.observe(ev(t), at(T));
    // oldestStart, T and nextStart - 1 are in; oldestStart - 1 and exactly one window before now are out
    // (they are in the bucket before the oldest); nextStart is later than now's bucket.
    expect(T - buckets * bucket_ms).toBeLessThan(oldestStart);
    expect(store.features(ev(T), at(T)).n).toBe(3);
    // At the start of the next bucket the window slides by exactly one bucket.
    expect(store.features(ev(T), at(nextStart)).n).toBe(3); // T, nextStart - 1, nextStart
    // Reading at a now before the clock: what had left the window at the clock is gone (oldestStart).
    expect(store.features(ev(T), at(nextStart - 1)).n).toBe(2); // T, nextStart - 1
    expect(store.features(ev(T), at(nextStart + (buckets - 1) * bucket_ms)).n).toBe(1); // only nextStart left
    expect(store.features(ev(T), at(nextStart + buckets * bucket_ms)).n).toBe(0);
  });

  it('reads "the last 1 h" at 10:00:30 as 09:01:00.000 up to the end of 10:00', () => {
    const now = Date.UTC(2026, 0, 15, 10, 0, 30);
    const store = new VelocityStore([{ name: 'n', entity: 'customer', aggregate: 'count', window: '1h' }]);
    store.observe(ev(Date.UTC(2026, 0, 15, 9, 0, 59, 999)), at(now));
    store.observe(ev(Date.UTC(2026, 0, 15, 9, 1, 0, 0)), at(now));
    store.observe(ev(Date.UTC(2026, 0, 15, 10, 0, 59, 999)), at(now));
    expect(store.features(ev(now), at(now)).n).toBe(2);
  });

  it('day buckets run from UTC midnight', () => {
    const store = new VelocityStore([{ name: 'n', entity: 'customer', aggregate: 'count', window: '30d' }]);
    const midnight = Date.UTC(2026, 0, 15);
    const now = midnight + 29 * DAY + 1; // the 30 days are Jan 15 .. Feb 13
    store.observe(ev(midnight - 1), at(now));
    store.observe(ev(midnight), at(now));
    expect(store.features(ev(now), at(now)).n).toBe(1);
  });

  it('accepts events out of order within the window', () => {
    const store = new VelocityStore([
      { name: 'n_1m', entity: 'customer', aggregate: 'count', window: '1m' },
      { name: 'n_1h', entity: 'customer', aggregate: 'count', window: '1h' },
    ]);
    store.features(ev(T), at(T));
    for (const lag of [1_000, 50 * MIN, 30_000, 10 * MIN, 59 * MIN, 2_000, 40_000]) store.observe(ev(T - lag));
    expect(store.features(ev(T), at(T))).toEqual({ n_1m: 4, n_1h: 7 });
  });

  it('ignores events older than the window relative to the clock, creating no entity for them', () => {
    const store = new VelocityStore([
      { name: 'n_1h', entity: 'customer', aggregate: 'count', window: '1h' },
      { name: 'n_30d', entity: 'customer', aggregate: 'count', window: '30d' },
    ]);
    store.features(ev(T), at(T)); // sets the clock
    store.observe(ev(T - 31 * DAY, { customer_id: 'old' }));
    expect(store.entityCount).toBe(0);
    store.observe(ev(T - 2 * HOUR, { customer_id: 'mid' })); // too old for 1h, fine for 30d
    expect(store.stats()).toEqual({ entities: 1, buckets: 1 });
    expect(store.features(ev(T, { customer_id: 'mid' }), at(T))).toEqual({ n_1h: 0, n_30d: 1 });
  });

  it('ignores events too far after the clock, so a forged date cannot blind an entity', () => {
    const store = new VelocityStore([{ name: 'n_1m', entity: 'customer', aggregate: 'count', window: '1m' }]);
    store.observe(ev(T - 1000), at(T));
    store.observe(ev(T + 5 * MIN + 1), at(T)); // beyond the 5 min tolerance: ignored
    store.observe(ev(T + 365 * DAY)); // against the clock set by the previous call: ignored
    store.observe(ev(T + 4 * MIN), at(T)); // within tolerance: kept for when now gets there
    store.observe(ev(T - 2000));
    expect(store.features(ev(T), at(T)).n_1m).toBe(2);
    expect(store.features(ev(T), at(T + 4 * MIN)).n_1m).toBe(1);
  });

  it('without a clock keeps the buckets up to the newest one seen, like a ring', () => {
    const store = new VelocityStore([{ name: 'n_1m', entity: 'customer', aggregate: 'count', window: '1m' }]);
    store.observe(ev(T - 2 * MIN));
    store.observe(ev(T - 30_000));
    store.observe(ev(T)); // the T - 2 min bucket falls out of the 12 held
    expect(store.stats().buckets).toBe(2);
    expect(store.features(ev(T), at(T)).n_1m).toBe(2);
  });

  it('rejects invalid dates loudly', () => {
    const store = new VelocityStore([{ name: 'n', entity: 'customer', aggregate: 'count', window: '1m' }]);
    expect(() => store.observe(ev(Number.NaN))).toThrow(RangeError);
    expect(() => store.features(ev(T), new Date('not a date'))).toThrow(RangeError);
  });
});

describe('VelocityStore memory bounds', () => {
  const defs: VelocityFeature[] = [
    { name: 'customer_count_1h', entity: 'customer', aggregate: 'count', window: '1h' },
    { name: 'customer_amount_24h', entity: 'customer', aggregate: 'sum', of: 'amount', window: '24h' },
  ];

  it('evicts the least recently observed entity past entities_max', () => {
    const store = new VelocityStore(defs, { entities_max: 2 });
    store.observe(ev(T - 3000, { customer_id: 'a', amount: 1n }), at(T));
    store.observe(ev(T - 2000, { customer_id: 'b', amount: 2n }));
    store.observe(ev(T - 1000, { customer_id: 'a', amount: 3n })); // a is now more recent than b
    expect(store.stats()).toEqual({ entities: 2, buckets: 4 });
    store.observe(ev(T - 500, { customer_id: 'c', amount: 4n })); // evicts b
    expect(store.entityCount).toBe(2);
    expect(store.stats().buckets).toBe(4);
    expect(store.features(ev(T, { customer_id: 'b' }), at(T))).toEqual({ customer_count_1h: 0, customer_amount_24h: 0 });
    expect(store.features(ev(T, { customer_id: 'a' }), at(T))).toEqual({ customer_count_1h: 2, customer_amount_24h: 4 });
    // Reading does not refresh: a is now the least recently observed and goes next.
    store.observe(ev(T - 100, { customer_id: 'd' }));
    expect(store.features(ev(T, { customer_id: 'a' }), at(T)).customer_count_1h).toBe(0);
    expect(store.features(ev(T, { customer_id: 'c' }), at(T)).customer_count_1h).toBe(1);
  });

  it('keeps at most N + tolerance buckets per list however many events arrive', () => {
    const store = new VelocityStore([{ name: 'n_1m', entity: 'customer', aggregate: 'count', window: '1m' }], { future_tolerance_ms: 10_000 });
    for (let t = T - HOUR; t <= T; t += 1000) store.observe(ev(t), at(t));
    // 12 buckets up to now's plus at most ⌈10 s / 5 s⌉ + 1 ahead; here none ahead.
    expect(store.stats().buckets).toBe(12);
    expect(store.features(ev(T), at(T)).n_1m).toBe(Math.floor((T % 5000) / 1000) + 1 + 55);
  });

  it('handles 100,000 observations over 10,000 entities with bounded state', () => {
    const store = new VelocityStore(
      [
        { name: 'customer_count_1h', entity: 'customer', aggregate: 'count', window: '1h' },
        { name: 'customer_amount_24h', entity: 'customer', aggregate: 'sum', of: 'amount', window: '24h' },
        { name: 'customer_devices_30d', entity: 'customer', aggregate: 'distinct', of: 'device', window: '30d' },
        { name: 'device_customers_1m', entity: 'device', aggregate: 'distinct', of: 'customer', window: '1m' },
      ],
      { entities_max: 15_000 },
    );
    const start = T - 10 * MIN;
    for (let i = 0; i < 100_000; i++) {
      const customer = i % 10_000;
      store.observe(ev(start + Math.floor(i / 30), { customer_id: `c${customer}`, device_id: `d${customer % 5000}`, amount: BigInt(i) }), at(start + Math.floor(i / 30)));
    }
    expect(store.entityCount).toBe(15_000); // 10,000 customers + 5,000 devices
    // Customer 7 was observed at i = 7, 10007, …, 90007: 10 events, amounts 7 + 10000·k.
    expect(store.features(ev(T, { customer_id: 'c7', device_id: 'd7' }), at(T))).toEqual({
      customer_count_1h: 10,
      customer_amount_24h: 10 * 7 + 10_000 * 45,
      customer_devices_30d: 1,
      device_customers_1m: 0,
    });
  });
});

describe('VelocityStore.rebuild', () => {
  it('replaces the state with a replay that reads like live observation', () => {
    const defs: VelocityFeature[] = [
      { name: 'count_1m', entity: 'customer', aggregate: 'count', window: '1m' },
      { name: 'amount_24h', entity: 'customer', aggregate: 'sum', of: 'amount', window: '24h' },
      { name: 'ips_30d', entity: 'customer', aggregate: 'distinct', of: 'ip', window: '30d' },
    ];
    const events = [40 * DAY, 20 * DAY, 3 * HOUR, 70_000, 3000, 1000].map((lag, i) => ev(T - lag, { amount: BigInt(i * 100), ip: `i${i % 3}` }));
    const live = new VelocityStore(defs);
    for (const e of events) live.observe(e, at(e.occurred_at.getTime()));
    const rebuilt = new VelocityStore(defs);
    rebuilt.observe(ev(T - 1000, { customer_id: 'stale', amount: 5n }));
    rebuilt.rebuild(events, at(T));
    expect(rebuilt.features(ev(T), at(T))).toEqual(live.features(ev(T), at(T)));
    expect(rebuilt.features(ev(T), at(T))).toEqual({ count_1m: 2, amount_24h: 200 + 300 + 400 + 500, ips_30d: 3 });
    expect(rebuilt.features(ev(T, { customer_id: 'stale' }), at(T)).count_1m).toBe(0);
    // What is too old for a window is not kept: 1m holds 10:00:25 and 10:00:30; 24h holds 07:00,
    // 09:30 and 10:00; 30d holds 20 days ago and today (the 40-day-old event is dropped).
    expect(rebuilt.stats()).toEqual({ entities: 1, buckets: 2 + 3 + 2 });
  });
});
