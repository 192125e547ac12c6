/** The two day-count conventions and the one interest formula built on them. */
import { describe, expect, it } from 'vitest';
import { addDays, businessDate as d } from './dates.js';
import { dayCountDays, interestExact, interestForDays, yearBasisDays, yearFraction } from './daycount.js';
import { annualRate } from './rates.js';
import { rational } from './rational.js';

describe('30E/360', () => {
  it('counts every month as 30 days, a 31st as the 30th, February unadjusted', () => {
    expect(dayCountDays('30/360', d('2024-01-15'), d('2024-02-15'))).toBe(30);
    expect(dayCountDays('30/360', d('2024-01-31'), d('2024-02-29'))).toBe(29);
    expect(dayCountDays('30/360', d('2024-01-30'), d('2024-01-31'))).toBe(0);
    expect(dayCountDays('30/360', d('2024-01-31'), d('2024-02-01'))).toBe(1);
    expect(dayCountDays('30/360', d('2023-02-28'), d('2023-03-01'))).toBe(3);
    expect(dayCountDays('30/360', d('2024-03-31'), d('2024-04-30'))).toBe(30);
    expect(dayCountDays('30/360', d('2024-01-01'), d('2025-01-01'))).toBe(360);
    expect(dayCountDays('30/360', d('2024-05-10'), d('2024-05-01'))).toBe(-9);
    expect(yearBasisDays('30/360')).toBe(360n);
  });

  it('gives every calendar month exactly 30 days when summed day by day', () => {
    for (const month of ['2023-02', '2024-02', '2024-01', '2024-04', '2024-12']) {
      let total = 0;
      for (let day = d(`${month}-01`); day.startsWith(month); day = addDays(day, 1)) total += dayCountDays('30/360', day, addDays(day, 1));
      expect(total, month).toBe(30);
    }
  });
});

describe('actual/365 (fixed)', () => {
  it('counts calendar days over 365, leap years too', () => {
    expect(dayCountDays('actual/365', d('2024-01-31'), d('2024-02-29'))).toBe(29);
    expect(dayCountDays('actual/365', d('2024-01-01'), d('2025-01-01'))).toBe(366);
    expect(yearBasisDays('actual/365')).toBe(365n);
    expect(yearFraction('actual/365', 366)).toEqual(rational(366n, 365n));
  });
});

describe('interest over a span', () => {
  it('is balance × rate × days / basis, exact, then rounded half-up once', () => {
    // 1,000,000.00 at 3.65% for 31 days on actual/365: exactly 3,100.00.
    expect(interestForDays(100_000_000n, annualRate('3.65'), 'actual/365', 31)).toBe(310_000n);
    // 12,345 minor at 7% for 30/360 days: 12345 × 0.07 / 12 = 72.0125 → 72.
    expect(interestExact(12_345n, annualRate('7'), '30/360', 30)).toEqual(rational(86_415n, 1_200n));
    expect(interestForDays(12_345n, annualRate('7'), '30/360', 30)).toBe(72n);
    // A tie rounds up: 50 minor at 12% for 30/360 days is 0.5 → 1.
    expect(interestForDays(50n, annualRate('12'), '30/360', 30)).toBe(1n);
    expect(interestForDays(49n, annualRate('12'), '30/360', 30)).toBe(0n);
    expect(() => interestExact(-1n, annualRate('12'), '30/360', 30)).toThrow(RangeError);
  });
});
