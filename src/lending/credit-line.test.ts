/** The pure rules of a revolving line: statement dates, the minimum payment, daily interest with its carry, the offer's example. */
import { describe, expect, it } from 'vitest';
import { lineDayInterest, lineExample, lineTerms, maturityOf, minimumPayment, statementDate, statementNumberOn, accruesOn } from './credit-line.js';
import { addDays, businessDate as d } from './dates.js';
import { add, rational, ZERO, type Rational } from './rational.js';
import { testProduct } from '../../test/helpers/lending-product.js';

/** 18.25% on actual/365 is 0.05% a day: 10,000.00 earns exactly 5.00 a day. */
const line = (patch: Parameters<typeof testProduct>[0] = {}) =>
  testProduct({ repayment_method: 'revolving', day_count: 'actual/365', annual_rate_percent: '18.25', minimum_payment: { bps: 500, floor_minor: 10_000n }, ...patch });

describe('statement dates', () => {
  it('are start + k periods, anchored on the start (month ends clamp, never drift)', () => {
    const terms = lineTerms(line(), d('2024-01-31'), 4);
    expect([1, 2, 3, 4].map((k) => statementDate(terms, k))).toEqual(['2024-02-29', '2024-03-31', '2024-04-30', '2024-05-31']);
    expect(maturityOf(terms)).toBe('2024-05-31');
    expect(statementNumberOn(terms, d('2024-03-31'))).toBe(2);
    expect(statementNumberOn(terms, d('2024-03-30'))).toBeUndefined();
    expect(statementNumberOn(terms, d('2024-01-31'))).toBeUndefined(); // the start is no statement
    expect(statementNumberOn(terms, d('2024-06-30'))).toBeUndefined(); // after maturity
    const weekly = lineTerms(line({ frequency: 'weekly' }), d('2024-01-01'), 3);
    expect([1, 2, 3].map((k) => statementDate(weekly, k))).toEqual(['2024-01-08', '2024-01-15', '2024-01-22']);
    expect(statementNumberOn(weekly, d('2024-01-22'))).toBe(3);
    const quarterly = lineTerms(line({ frequency: 'quarterly' }), d('2023-11-30'), 2);
    expect([1, 2].map((k) => statementDate(quarterly, k))).toEqual(['2024-02-29', '2024-05-30']);
  });

  it('finds every statement number of a long monthly line, and no other date', () => {
    const terms = lineTerms(line(), d('2023-08-31'), 40);
    const found: number[] = [];
    for (let day = terms.start_date; day <= addDays(maturityOf(terms), 40); day = addDays(day, 1)) {
      const k = statementNumberOn(terms, day);
      if (k !== undefined) {
        expect(statementDate(terms, k)).toBe(day);
        found.push(k);
      }
    }
    expect(found).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('a day earns interest from the start up to, not including, maturity', () => {
    const terms = lineTerms(line(), d('2024-01-15'), 2);
    expect(accruesOn(terms, d('2024-01-14'))).toBe(false);
    expect(accruesOn(terms, d('2024-01-15'))).toBe(true);
    expect(accruesOn(terms, d('2024-03-14'))).toBe(true);
    expect(accruesOn(terms, d('2024-03-15'))).toBe(false);
  });
});

describe('minimumPayment', () => {
  const rule = { bps: 500, floor_minor: 10_000n };
  it('is bps of the unbilled balance rounded up, at least the floor, never more than the balance', () => {
    expect(minimumPayment(1_000_000n, rule, false)).toBe(50_000n);
    expect(minimumPayment(1_000_001n, rule, false)).toBe(50_001n); // 50,000.05 rounds up
    expect(minimumPayment(100_000n, rule, false)).toBe(10_000n); // 5,000 < the floor
    expect(minimumPayment(5_000n, rule, false)).toBe(5_000n); // the floor is more than the balance
    expect(minimumPayment(0n, rule, false)).toBe(0n);
    expect(minimumPayment(1n, { bps: 1, floor_minor: 0n }, false)).toBe(1n); // a tiny balance still gets repaid
    expect(minimumPayment(1_000_000n, { bps: 0, floor_minor: 0n }, false)).toBe(0n); // an interest-only line
  });
  it('is the whole balance on the last statement', () => {
    expect(minimumPayment(1_234_567n, rule, true)).toBe(1_234_567n);
    expect(minimumPayment(0n, rule, true)).toBe(0n);
  });
});

describe('lineDayInterest', () => {
  it('is balance × rate / 365, floor-and-carry', () => {
    const rate = line().annual_rate;
    expect(lineDayInterest(1_000_000n, rate)).toEqual({ amount_minor: 500n, carry: ZERO });
    // 10.00 at 18.25% is half a minor unit a day: 0, 1, 0, 1 …
    let carry: Rational = ZERO;
    const posted = Array.from({ length: 6 }, () => {
      const day = lineDayInterest(1_000n, rate, carry);
      carry = day.carry;
      return day.amount_minor;
    });
    expect(posted).toEqual([0n, 1n, 0n, 1n, 0n, 1n]);
    expect(carry).toEqual(ZERO);
  });

  it('loses and invents nothing over a year of days at an awkward rate', () => {
    const rate = line({ annual_rate_percent: '7.123457' }).annual_rate;
    let carry: Rational = ZERO;
    let posted = 0n;
    let exact: Rational = ZERO;
    for (let i = 0; i < 366; i++) {
      const balance = 1_000_000n + BigInt(i) * 7_919n;
      const day = lineDayInterest(balance, rate, carry);
      posted += day.amount_minor;
      carry = day.carry;
      exact = add(exact, rational(balance * rate.num, rate.den * 365n));
    }
    expect(add(rational(posted), carry)).toEqual(exact);
    expect(carry.num < carry.den).toBe(true);
  });
});

describe('lineExample (the offer of a line)', () => {
  it('bills the whole limit drawn on day one: the cycle’s interest and the minimum payment, the fee beside it', () => {
    const example = lineExample(line({ origination_fee: { fixed_minor: 1_000n, bps: 50 } }), 1_000_000n, 12, d('2024-01-15'));
    expect(example).toMatchObject({
      first_statement_date: '2024-02-15',
      maturity_date: '2025-01-15',
      cycle_days: 31,
      cycle_interest_minor: 15_500n, // 31 days × 500
      minimum_payment_minor: 50_000n,
      fee_minor: 6_000n, // 1,000 + 0.5% of the limit
      payment_minor: 65_500n,
    });
    // A one-period line bills everything on its only statement.
    expect(lineExample(line(), 1_000_000n, 1, d('2024-01-15')).minimum_payment_minor).toBe(1_000_000n);
  });
});
