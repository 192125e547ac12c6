/**
 * Prepayment and restructuring keep principal exact: for any loan and any date in its
 * term, a partial prepayment of X leaves a rebuilt schedule whose principal is exactly
 * the outstanding principal less X (also after a second prepayment on the rebuilt
 * schedule), balances end at 0, due dates stay anchored on the start, fees not yet due
 * are carried over, and a payoff quote is the sum of its parts. A restructure reschedules
 * exactly the overdue plus not-yet-due principal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accruedBefore } from './accrual.js';
import type { InstalmentDue } from './allocation.js';
import { businessDate, fromDayNumber, toDayNumber, type BusinessDate } from './dates.js';
import { DAY_COUNTS, interestForDays } from './daycount.js';
import { dueDate } from './periods.js';
import { payoffQuote, prepayPartial, restructure } from './prepayment.js';
import { FREQUENCIES, validateProduct, type LoanProduct } from './products.js';
import { buildSchedule, type Schedule } from './schedule.js';

const FC_SEED = Number(process.env.LENDING_FC_SEED ?? 20260208);
const DAY_2000 = toDayNumber(businessDate('2000-01-01'));

interface Loan {
  product: LoanProduct;
  schedule: Schedule;
}

const loanArbitrary: fc.Arbitrary<Loan> = fc
  .record({
    method: fc.constantFrom('annuity' as const, 'equal_principal' as const, 'interest_only' as const),
    frequency: fc.constantFrom(...FREQUENCIES),
    day_count: fc.constantFrom(...DAY_COUNTS),
    rate_micro: fc.integer({ min: 0, max: 36_000_000 }),
    fee_fixed: fc.bigInt({ min: 0n, max: 10_000n }),
    early_fee_bps: fc.integer({ min: 0, max: 300 }),
    principal: fc.bigInt({ min: 2n, max: 10n ** 11n }),
    term: fc.integer({ min: 1, max: 60 }),
    start: fc.integer({ min: DAY_2000, max: DAY_2000 + 36_500 }),
  })
  .map((draw) => {
    const result = validateProduct({
      id: 'prop',
      version: 1,
      name: 'property product',
      currency: 'CNY',
      amount_min_minor: 1n,
      amount_max_minor: 10n ** 15n,
      term_min_periods: 1,
      term_max_periods: 600,
      annual_rate_percent: `${Math.floor(draw.rate_micro / 1_000_000)}.${String(draw.rate_micro % 1_000_000).padStart(6, '0')}`,
      day_count: draw.day_count,
      repayment_method: draw.method,
      frequency: draw.frequency,
      origination_fee: { fixed_minor: draw.fee_fixed, bps: 0 },
      grace_days: 0,
      penalty_annual_rate_percent: '18',
      early_repayment: { allowed: true, fee_bps: draw.early_fee_bps, min_months: 0 },
    });
    if (!result.ok) throw new Error(result.detail);
    const built = buildSchedule({ product: result.product, principal_minor: draw.principal, term_periods: draw.term, start_date: fromDayNumber(draw.start) });
    if (!built.ok) throw new Error(built.detail);
    return { product: result.product, schedule: built.schedule };
  });

/** A date from the start to (just past) the last due date, as a fraction of the term. */
function dateIn(schedule: Schedule, fraction: number, extraDays = 0): BusinessDate {
  const first = toDayNumber(schedule.instalments[0]!.period_start);
  const last = toDayNumber(schedule.instalments.at(-1)!.period_end);
  return fromDayNumber(first + Math.floor(fraction * (last - first + extraDays)));
}

const future = (schedule: Schedule, date: BusinessDate) => schedule.instalments.filter((i) => i.period_end > date);
const sum = (values: bigint[]): bigint => values.reduce((a, b) => a + b, 0n);

/** Checks a rebuilt schedule; returns problems rather than asserting one by one. */
function rebuiltProblems(rebuilt: Schedule, anchor: BusinessDate, from: BusinessDate, principal: bigint, firstNumber: number): string[] {
  const wrong: string[] = [];
  const check = (ok: boolean, what: string): void => void (ok || wrong.push(what));
  check(rebuilt.start_date === anchor, 'anchor kept');
  check(rebuilt.totals.principal_minor === principal, `principal ${rebuilt.totals.principal_minor} ≠ ${principal}`);
  check(rebuilt.instalments[0]!.period_start === from, 'first period starts on the date');
  let balance = principal;
  rebuilt.instalments.forEach((instalment, i) => {
    check(instalment.number === firstNumber + i, `numbering at ${i}`);
    check(instalment.period_end === dueDate(anchor, rebuilt.frequency, instalment.number), `due date ${instalment.number} anchored`);
    check(instalment.interest_minor === interestForDays(balance, rebuilt.annual_rate, rebuilt.day_count, instalment.interest_days), `interest ${instalment.number}`);
    check(instalment.interest_days >= 0 && instalment.interest_days <= (rebuilt.day_count === '30/360' ? 90 : instalment.days), `interest days ${instalment.number}`);
    balance -= instalment.principal_minor;
    check(instalment.principal_minor >= 0n && balance >= 0n && instalment.balance_after_minor === balance, `balance ${instalment.number}`);
  });
  check(balance === 0n, 'ends at 0');
  return wrong;
}

describe('prepayment properties', () => {
  it('a payoff quote is the sum of its parts', () => {
    fc.assert(
      fc.property(loanArbitrary, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), ({ product, schedule }, at) => {
        const date = dateIn(schedule, at);
        const result = payoffQuote(product, { schedule, arrears: [] }, date);
        if (!result.ok) throw new Error(result.detail);
        const q = result.quote;
        const ahead = future(schedule, date);
        expect(q.prepaid_principal_minor).toBe(sum(ahead.map((i) => i.principal_minor)));
        expect(q.future_fee_minor).toBe(sum(ahead.map((i) => i.fee_minor)));
        expect(q.accrued_interest_minor).toBe(accruedBefore(schedule, date).amount_minor);
        expect(q.total_minor).toBe(q.prepaid_principal_minor + q.accrued_interest_minor + q.future_fee_minor + q.early_repayment_fee_minor);
      }),
      { seed: FC_SEED, numRuns: 200 },
    );
  });

  it('partial prepayments (one, then another on the rebuilt schedule) keep principal exact', () => {
    fc.assert(
      fc.property(
        loanArbitrary,
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        ({ product, schedule }, at1, at2, seed1, seed2) => {
          const date1 = dateIn(schedule, at1);
          const outstanding1 = sum(future(schedule, date1).map((i) => i.principal_minor));
          fc.pre(outstanding1 >= 2n);
          const x1 = 1n + (seed1 % (outstanding1 - 1n));
          const first = prepayPartial(product, { schedule, arrears: [] }, date1, x1);
          if (!first.ok) throw new Error(first.detail);
          expect(first.settlement.accrued_interest_minor).toBe(accruedBefore(schedule, date1).amount_minor);
          expect(first.settlement.total_minor).toBe(x1 + first.settlement.accrued_interest_minor + first.settlement.early_repayment_fee_minor);
          expect(first.schedule.instalments.length).toBe(future(schedule, date1).length); // the term is kept
          expect(first.schedule.totals.fee_minor).toBe(sum(future(schedule, date1).map((i) => i.fee_minor)));
          expect(rebuiltProblems(first.schedule, schedule.start_date, date1, outstanding1 - x1, future(schedule, date1)[0]!.number)).toEqual([]);

          // A second prepayment inside the rebuilt schedule, with the instalments before it paid.
          const rebuilt = first.schedule;
          const date2 = dateIn(rebuilt, at2);
          const outstanding2 = sum(future(rebuilt, date2).map((i) => i.principal_minor));
          fc.pre(outstanding2 >= 2n);
          const x2 = 1n + (seed2 % (outstanding2 - 1n));
          const second = prepayPartial(product, { schedule: rebuilt, arrears: [] }, date2, x2);
          if (!second.ok) throw new Error(second.detail);
          expect(rebuiltProblems(second.schedule, schedule.start_date, date2, outstanding2 - x2, future(rebuilt, date2)[0]!.number)).toEqual([]);
        },
      ),
      { seed: FC_SEED + 1, numRuns: 200 },
    );
  });

  it('a restructure reschedules exactly the overdue and not-yet-due principal', () => {
    fc.assert(
      fc.property(
        loanArbitrary,
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 }),
        ({ schedule }, at, term, unpaidShares) => {
          const date = dateIn(schedule, at, 200); // may fall after maturity
          const arrears: InstalmentDue[] = schedule.instalments
            .filter((i) => i.due_date <= date)
            .map((i, k) => {
              const share = unpaidShares[k] ?? 0;
              const part = (v: bigint): bigint => (v * BigInt(Math.floor(share * 1000))) / 1000n;
              return { instalment_number: i.number, due_date: i.due_date, penalty_minor: part(100n), fee_minor: part(i.fee_minor), interest_minor: part(i.interest_minor), principal_minor: part(i.principal_minor) };
            });
          const overduePrincipal = sum(arrears.map((a) => a.principal_minor));
          const outstanding = sum(future(schedule, date).map((i) => i.principal_minor)) + overduePrincipal;
          const result = restructure({ schedule, arrears }, term, date);
          if (outstanding === 0n) {
            expect(result).toMatchObject({ ok: false, code: 'nothing_outstanding' });
            return;
          }
          if (!result.ok) throw new Error(result.detail);
          const { restructuring } = result;
          expect(restructuring.rescheduled_arrears_principal_minor).toBe(overduePrincipal);
          expect(restructuring.schedule.instalments).toHaveLength(term);
          expect(restructuring.due_now.principal_minor).toBe(0n);
          expect(restructuring.due_now.interest_minor).toBe(sum(arrears.map((a) => a.interest_minor)) + accruedBefore(schedule, date).amount_minor);
          const firstNumber = restructuring.schedule.instalments[0]!.number;
          expect(dueDate(schedule.start_date, schedule.frequency, firstNumber - 1) <= date).toBe(true);
          expect(dueDate(schedule.start_date, schedule.frequency, firstNumber) > date).toBe(true);
          expect(rebuiltProblems(restructuring.schedule, schedule.start_date, date, outstanding, firstNumber)).toEqual([]);
        },
      ),
      { seed: FC_SEED + 2, numRuns: 200 },
    );
  });
});
