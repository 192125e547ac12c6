/** Daily accrual of scheduled interest on the worked example, and penalty interest with its carry. */
import { describe, expect, it } from 'vitest';
import { accrualForDate, accruedBefore, accruedThrough, carryWhole, penaltyForDay } from './accrual.js';
import { addDays, businessDate as d } from './dates.js';
import { annualRate } from './rates.js';
import { rational, ZERO } from './rational.js';
import { buildSchedule, type Schedule } from './schedule.js';
import { testProduct } from '../../test/helpers/lending-product.js';

const product = testProduct;

/** The worked annuity: 100,000.00 at 12%, 12 months from 2024-01-15; period 1 is 31 days with 1,000.00 interest. */
function worked(): Schedule {
  const result = buildSchedule({ product: product(), principal_minor: 10_000_000n, term_periods: 12, start_date: d('2024-01-15') });
  if (!result.ok) throw new Error(result.detail);
  return result.schedule;
}

describe('scheduled interest accrual', () => {
  it('accrues round-half-up(I·k/D) through day k, so the days of a period sum to its interest', () => {
    const s = worked();
    const first = s.instalments[0]!;
    expect(accruedThrough(first, 1)).toBe(3_226n); // 100,000 / 31 = 3,225.8…
    expect(accruedThrough(first, 2)).toBe(6_452n); // 6,451.6…
    expect(accruedThrough(first, 31)).toBe(100_000n);
    expect(accruedThrough(first, 99)).toBe(100_000n);
    expect(accruedThrough(first, -1)).toBe(0n);
    const days: bigint[] = [];
    for (let day = first.period_start; day < first.period_end; day = addDays(day, 1)) {
      const accrual = accrualForDate(s, day);
      expect(accrual.instalment_number).toBe(1);
      days.push(accrual.amount_minor);
    }
    expect(days).toHaveLength(31);
    expect(days.slice(0, 3)).toEqual([3_226n, 3_226n, 3_225n]);
    expect(days.reduce((a, b) => a + b, 0n)).toBe(100_000n);
  });

  it('starts the next period on the due date and accrues nothing outside the schedule', () => {
    const s = worked();
    expect(accrualForDate(s, d('2024-02-15')).instalment_number).toBe(2);
    expect(accrualForDate(s, d('2024-02-14')).instalment_number).toBe(1);
    expect(accrualForDate(s, d('2024-01-14'))).toEqual({ instalment_number: null, amount_minor: 0n });
    expect(accrualForDate(s, d('2025-01-15'))).toEqual({ instalment_number: null, amount_minor: 0n });
    expect(accrualForDate(s, d('2025-01-14')).instalment_number).toBe(12);
  });

  it('reports what was accrued before a date (what a payoff that day settles)', () => {
    const s = worked();
    expect(accruedBefore(s, d('2024-01-15'))).toEqual({ instalment_number: 1, amount_minor: 0n });
    expect(accruedBefore(s, d('2024-01-17'))).toEqual({ instalment_number: 1, amount_minor: 6_452n });
    expect(accruedBefore(s, d('2024-02-15'))).toEqual({ instalment_number: 2, amount_minor: 0n });
  });
});

describe('penalty interest', () => {
  it('charges penalty rate / basis a day on overdue principal', () => {
    // 10,000.00 overdue at 18% on a 360-day year: exactly 5.00 a day.
    expect(penaltyForDay(1_000_000n, product())).toEqual({ amount_minor: 500n, carry: ZERO });
    // On actual/365: 1,000,000 × 0.18 / 365 = 180,000/365 = 493 + 55/365, carrying 55/365 = 11/73.
    expect(penaltyForDay(1_000_000n, product({ day_count: 'actual/365' }))).toEqual({ amount_minor: 493n, carry: rational(11n, 73n) });
  });

  it('carries fractions so that no minor unit is lost or invented', () => {
    // 1,000 minor at 18% / 360 is half a unit a day: 0, 1, 0, 1, …
    const p = product();
    let carry = ZERO;
    const posted: bigint[] = [];
    for (let day = 0; day < 6; day++) {
      const step = penaltyForDay(1_000n, p, carry);
      posted.push(step.amount_minor);
      carry = step.carry;
    }
    expect(posted).toEqual([0n, 1n, 0n, 1n, 0n, 1n]);
    expect(carry).toEqual(ZERO);
    // Rounding each day half-up instead would have invented 3 units: 1 every day.
  });

  it('is zero on zero principal and refuses a bad carry', () => {
    expect(penaltyForDay(0n, product(), rational(1n, 3n))).toEqual({ amount_minor: 0n, carry: rational(1n, 3n) });
    expect(() => carryWhole(rational(1n), rational(1n))).toThrow(RangeError);
    expect(() => carryWhole(rational(-1n), ZERO)).toThrow(RangeError);
    expect(carryWhole(annualRate('12'), rational(22n, 25n))).toEqual({ amount_minor: 1n, carry: ZERO });
  });
});
