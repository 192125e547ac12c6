/**
 * Accrual reconciles with the schedule: for any loan, the daily accruals of each period
 * are non-negative and sum to exactly that period's interest; accruedBefore agrees with
 * the running sum. Penalty accrual with its carry posts exactly the exact total, less a
 * carry under one unit, over any run of days and overdue balances.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accrualForDate, accruedBefore, penaltyForDay } from './accrual.js';
import { addDays, businessDate, fromDayNumber, toDayNumber } from './dates.js';
import { DAY_COUNTS, interestExact } from './daycount.js';
import { FREQUENCIES, validateProduct } from './products.js';
import { add, compare, fromInteger, ZERO, type Rational } from './rational.js';
import { buildSchedule } from './schedule.js';

const FC_SEED = Number(process.env.LENDING_FC_SEED ?? 20260206);
const DAY_2000 = toDayNumber(businessDate('2000-01-01'));

const productArbitrary = fc
  .record({
    method: fc.constantFrom('annuity' as const, 'equal_principal' as const, 'interest_only' as const),
    frequency: fc.constantFrom(...FREQUENCIES),
    day_count: fc.constantFrom(...DAY_COUNTS),
    rate_micro: fc.integer({ min: 0, max: 40_000_000 }),
    penalty_micro: fc.integer({ min: 0, max: 60_000_000 }),
  })
  .map((draw) => {
    const percent = (micro: number): string => `${Math.floor(micro / 1_000_000)}.${String(micro % 1_000_000).padStart(6, '0')}`;
    const result = validateProduct({
      id: 'prop',
      version: 1,
      name: 'property product',
      currency: 'CNY',
      amount_min_minor: 1n,
      amount_max_minor: 10n ** 15n,
      term_min_periods: 1,
      term_max_periods: 600,
      annual_rate_percent: percent(draw.rate_micro),
      day_count: draw.day_count,
      repayment_method: draw.method,
      frequency: draw.frequency,
      origination_fee: { fixed_minor: 0n, bps: 0 },
      grace_days: 0,
      penalty_annual_rate_percent: percent(draw.penalty_micro),
      early_repayment: { allowed: true, fee_bps: 0, min_months: 0 },
    });
    if (!result.ok) throw new Error(result.detail);
    return result.product;
  });

describe('accrual properties', () => {
  it('daily accruals of every period are ≥ 0 and sum exactly to its scheduled interest', () => {
    fc.assert(
      fc.property(
        productArbitrary,
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: DAY_2000, max: DAY_2000 + 36_500 }),
        (product, principal_minor, term_periods, start) => {
          const result = buildSchedule({ product, principal_minor, term_periods, start_date: fromDayNumber(start) });
          if (!result.ok) throw new Error(result.detail);
          const s = result.schedule;
          const sums = new Map<number, bigint>();
          const wrong: string[] = [];
          let running = 0n;
          let current: number | null = null;
          for (let day = addDays(s.start_date, -2); day <= addDays(s.instalments.at(-1)!.period_end, 2); day = addDays(day, 1)) {
            const accrual = accrualForDate(s, day);
            const before = accruedBefore(s, day);
            if (accrual.instalment_number !== current) running = 0n;
            current = accrual.instalment_number;
            if (accrual.amount_minor < 0n) wrong.push(`${day}: negative accrual`);
            if (before.amount_minor !== running) wrong.push(`${day}: accruedBefore ${before.amount_minor} ≠ running ${running}`);
            running += accrual.amount_minor;
            if (accrual.instalment_number === null) {
              if (accrual.amount_minor !== 0n) wrong.push(`${day}: accrual outside the schedule`);
            } else sums.set(accrual.instalment_number, (sums.get(accrual.instalment_number) ?? 0n) + accrual.amount_minor);
          }
          expect(wrong).toEqual([]);
          expect([...sums.entries()]).toEqual(s.instalments.map((i) => [i.number, i.interest_minor]));
        },
      ),
      { seed: FC_SEED, numRuns: 60 },
    );
  });

  it('penalty accrual posts the exact total to within the carry, which stays in [0, 1)', () => {
    fc.assert(
      fc.property(productArbitrary, fc.array(fc.bigInt({ min: 0n, max: 10n ** 10n }), { minLength: 1, maxLength: 400 }), (product, overdue) => {
        let carry: Rational = ZERO;
        let posted = 0n;
        let exact: Rational = ZERO;
        for (const balance of overdue) {
          const step = penaltyForDay(balance, product, carry);
          expect(step.amount_minor).toBeGreaterThanOrEqual(0n);
          expect(compare(step.carry, ZERO)).toBeGreaterThanOrEqual(0);
          expect(compare(step.carry, fromInteger(1n))).toBe(-1);
          carry = step.carry;
          posted += step.amount_minor;
          exact = add(exact, interestExact(balance, product.penalty_annual_rate, product.day_count, 1));
        }
        expect(add(fromInteger(posted), carry)).toEqual(exact);
      }),
      { seed: FC_SEED + 1, numRuns: 200 },
    );
  });
});
