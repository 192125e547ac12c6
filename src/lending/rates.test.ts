/** Rate parsing and the exact-rational helpers every amount in lending is rounded with. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { annualRate, bpsOf, divRoundHalfUp, parseAnnualRatePercent, roundHalfUp } from './rates.js';
import { add, compare, div, floor, mul, rational, splitWhole, sub } from './rational.js';

describe('parseAnnualRatePercent', () => {
  it('parses percent strings to exact fractions per year', () => {
    expect(annualRate('12')).toEqual({ num: 3n, den: 25n });
    expect(annualRate('4.35')).toEqual({ num: 87n, den: 2000n });
    expect(annualRate('18.25')).toEqual({ num: 73n, den: 400n });
    expect(annualRate('0')).toEqual({ num: 0n, den: 1n });
    expect(annualRate('0.000001')).toEqual({ num: 1n, den: 100_000_000n });
    expect(annualRate('100')).toEqual({ num: 1n, den: 1n });
    expect(annualRate('12.000000')).toEqual(annualRate('12'));
  });

  it('refuses anything but a plain decimal percent, with a reason', () => {
    for (const bad of ['', ' 12', '12 ', '+12', '-1', '1e1', '12.', '.5', '012', '4,35', '12%', '0.0000001', 'NaN', 'Infinity', '1000']) {
      const parsed = parseAnnualRatePercent(bad);
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) expect(parsed.code).toBe('invalid_format');
    }
    expect(parseAnnualRatePercent(12)).toMatchObject({ ok: false, code: 'invalid_format' });
    expect(parseAnnualRatePercent('100.000001')).toMatchObject({ ok: false, code: 'out_of_range' });
    expect(parseAnnualRatePercent('150')).toMatchObject({ ok: false, code: 'out_of_range' });
    expect(() => annualRate('abc')).toThrow(RangeError);
  });

  it('round-trips every valid spelling exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), (micro) => {
        const text = `${Math.floor(micro / 1_000_000)}.${String(micro % 1_000_000).padStart(6, '0')}`;
        const rate = annualRate(text);
        expect(rate.num * 100_000_000n).toBe(BigInt(micro) * rate.den);
      }),
      { seed: 20260203, numRuns: 500 },
    );
  });
});

describe('rounding half-up', () => {
  it('rounds a half up and anything less down', () => {
    expect(divRoundHalfUp(5n, 2n)).toBe(3n);
    expect(divRoundHalfUp(15n, 10n)).toBe(2n);
    expect(divRoundHalfUp(14n, 10n)).toBe(1n);
    expect(divRoundHalfUp(149_999n, 100_000n)).toBe(1n);
    expect(divRoundHalfUp(0n, 7n)).toBe(0n);
    expect(roundHalfUp(rational(1n, 2n))).toBe(1n);
    expect(roundHalfUp(rational(49n, 100n))).toBe(0n);
  });

  it('refuses negative amounts and divisors (a bug in lending)', () => {
    expect(() => divRoundHalfUp(-1n, 2n)).toThrow(RangeError);
    expect(() => divRoundHalfUp(1n, 0n)).toThrow(RangeError);
    expect(() => roundHalfUp(rational(-1n, 3n))).toThrow(RangeError);
  });

  it('is the nearest integer, ties up', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (n, d) => {
        const q = divRoundHalfUp(n, d);
        // |n/d − q| ≤ 1/2, and exactly 1/2 only from below: 2n − 2qd ∈ [−d, d).
        expect(2n * n - 2n * q * d).toBeGreaterThanOrEqual(-d);
        expect(2n * n - 2n * q * d).toBeLessThan(d);
      }),
      { seed: 20260204, numRuns: 500 },
    );
  });

  it('takes basis points of an amount', () => {
    expect(bpsOf(10_000_000n, 150)).toBe(150_000n);
    expect(bpsOf(333n, 150)).toBe(5n); // 4.995 → 5
    expect(bpsOf(1n, 5_000)).toBe(1n); // 0.5 → 1
    expect(() => bpsOf(1n, -1)).toThrow(RangeError);
  });
});

describe('rationals', () => {
  it('keep lowest terms with a positive denominator', () => {
    expect(rational(6n, -4n)).toEqual({ num: -3n, den: 2n });
    expect(rational(0n, 5n)).toEqual({ num: 0n, den: 1n });
    expect(add(rational(1n, 6n), rational(1n, 3n))).toEqual({ num: 1n, den: 2n });
    expect(sub(rational(1n, 6n), rational(1n, 3n))).toEqual({ num: -1n, den: 6n });
    expect(mul(rational(2n, 3n), rational(9n, 4n))).toEqual({ num: 3n, den: 2n });
    expect(div(rational(2n, 3n), rational(4n, 9n))).toEqual({ num: 3n, den: 2n });
    expect(compare(rational(1n, 3n), rational(2n, 6n))).toBe(0);
    expect(floor(rational(-7n, 2n))).toBe(-4n);
    expect(floor(rational(7n, 2n))).toBe(3n);
    expect(splitWhole(rational(7n, 3n))).toEqual({ whole_minor: 2n, fraction: { num: 1n, den: 3n } });
    expect(() => rational(1n, 0n)).toThrow(RangeError);
  });
});
