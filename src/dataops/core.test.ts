import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { channelOf, dayRange, perUnit, ratioBps } from './core.js';

describe('dataops core', () => {
  it('covers `days` UTC dates ending today, with an exclusive end at tomorrow', () => {
    const r = dayRange(new Date('2026-03-05T23:59:00Z'), 3);
    expect(r.dates).toEqual(['2026-03-03', '2026-03-04', '2026-03-05']);
    expect(r.from.toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(r.to.toISOString()).toBe('2026-03-06T00:00:00.000Z');
    expect(() => dayRange(new Date(), 0)).toThrow();
    expect(() => dayRange(new Date(), 91)).toThrow();
  });

  it('maps channels: a named one wins, then the code, else other', () => {
    expect(channelOf('app', 9102)).toBe('app');
    expect(channelOf('APP', 1)).toBe('other');
    expect(channelOf(undefined, 9102)).toBe('envelopes');
    expect(channelOf('sms', 7200)).toBe('lending');
    expect(channelOf(null, 1)).toBe('other');
  });

  it('gives basis points rounded down and null on a zero denominator', () => {
    expect(ratioBps(1n, 3n)).toBe('3333');
    expect(ratioBps(5n, 0n)).toBeNull();
    expect(ratioBps(0n, 7n)).toBe('0');
  });

  it('divides cost per unit rounding half up, never beyond one unit off', () => {
    expect(perUnit(10n, 4n)).toBe('3'); // 2.5 → 3
    expect(perUnit(10n, 3n)).toBe('3'); // 3.33 → 3
    expect(perUnit(10n, 0n)).toBeNull();
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (cost, n) => {
        const q = BigInt(perUnit(cost, n)!);
        return q * n * 2n >= cost * 2n - n && q * n * 2n <= cost * 2n + n;
      }),
    );
  });
});
