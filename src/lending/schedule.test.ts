/**
 * Worked schedule examples. The annuity figures are cross-checked against a plain float
 * loop written here (floats only in this test, as an independent method, never on the
 * money path): every amount must agree within one minor unit. The equal-principal and
 * interest-only examples are computed by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import { businessDate as d } from './dates.js';
import type { LoanProduct } from './products.js';
import { annuityPayment, buildSchedule, dailyInterest, type Schedule, type ScheduleRequest } from './schedule.js';
import { rational } from './rational.js';
import { testProduct } from '../../test/helpers/lending-product.js';

const product = testProduct;
const REVOLVING = { repayment_method: 'revolving', day_count: 'actual/365', minimum_payment: { bps: 500, floor_minor: 0n } } as const;

function schedule(request: Omit<ScheduleRequest, 'product'> & { product?: LoanProduct }): Schedule {
  const result = buildSchedule({ product: product(), ...request });
  if (!result.ok) throw new Error(result.detail);
  return result.schedule;
}

/** The textbook annuity in floats, rounding each figure to a whole minor unit as it goes. */
function floatAnnuity(principal: number, periodicRate: number, n: number): { payment: number; interest: number[]; lastPayment: number } {
  const payment = Math.round((principal * periodicRate) / (1 - Math.pow(1 + periodicRate, -n)));
  const interest: number[] = [];
  let balance = principal;
  let lastPayment = 0;
  for (let k = 0; k < n; k++) {
    const i = Math.round(balance * periodicRate);
    interest.push(i);
    const p = k === n - 1 ? balance : payment - i;
    balance -= p;
    lastPayment = p + i;
  }
  return { payment, interest, lastPayment };
}

describe('annuity', () => {
  it('100,000.00 at 12% monthly over 12 months on 30/360 pays 8,884.88 a month', () => {
    const s = schedule({ principal_minor: 10_000_000n, term_periods: 12, start_date: d('2024-01-15') });
    expect(s.level_payment_minor).toBe(888_488n);
    expect(s.instalments.slice(0, 11).every((i) => i.payment_minor === 888_488n)).toBe(true);
    expect(s.instalments[0]).toMatchObject({
      number: 1,
      period_start: '2024-01-15',
      period_end: '2024-02-15',
      due_date: '2024-02-15',
      days: 31,
      interest_days: 30,
      interest_minor: 100_000n, // 1% of 100,000.00
      principal_minor: 788_488n,
      balance_after_minor: 9_211_512n,
    });
    const last = s.instalments[11]!;
    expect(last).toMatchObject({ number: 12, period_end: '2025-01-15', interest_minor: 8_797n, principal_minor: 879_688n, payment_minor: 888_485n, balance_after_minor: 0n });
    expect(s.totals).toEqual({ principal_minor: 10_000_000n, interest_minor: 661_853n, fee_minor: 0n, payment_minor: 10_661_853n });

    const reference = floatAnnuity(10_000_000, 0.01, 12);
    expect(reference.payment).toBe(888_488);
    s.instalments.forEach((instalment, k) => expect(Math.abs(Number(instalment.interest_minor) - reference.interest[k]!)).toBeLessThanOrEqual(1));
    expect(Math.abs(Number(last.payment_minor) - reference.lastPayment)).toBeLessThanOrEqual(1);
  });

  it('5,000,000.00 at 8% quarterly over 20 quarters agrees with the float method', () => {
    const s = schedule({ product: product({ frequency: 'quarterly', annual_rate_percent: '8' }), principal_minor: 500_000_000n, term_periods: 20, start_date: d('2024-03-31') });
    const reference = floatAnnuity(500_000_000, 0.02, 20);
    expect(s.level_payment_minor).toBe(30_578_359n); // 305,783.5906… rounded
    expect(s.instalments[19]).toMatchObject({ interest_minor: 599_576n, payment_minor: 30_578_359n });
    expect(s.totals.interest_minor).toBe(111_567_180n);
    expect(Math.abs(Number(s.level_payment_minor) - reference.payment)).toBeLessThanOrEqual(1);
    s.instalments.forEach((instalment, k) => expect(Math.abs(Number(instalment.interest_minor) - reference.interest[k]!)).toBeLessThanOrEqual(1));
    expect(s.instalments.map((i) => i.period_end).slice(0, 4)).toEqual(['2024-06-30', '2024-09-30', '2024-12-31', '2025-03-31']);
    expect(s.instalments[0]!.interest_days).toBe(90);
    expect(s.totals.principal_minor).toBe(500_000_000n);
    expect(s.instalments[19]!.balance_after_minor).toBe(0n);
  });

  it('computes a 30-year level payment exactly', () => {
    // 500,000.00 over 30 years at 4.35%: exactly 2,489.0589…, so 2,489.06.
    const payment = annuityPayment(50_000_000n, rational(435n, 120_000n), 360);
    expect(payment).toBe(248_906n);
    const float = (50_000_000 * (0.0435 / 12)) / (1 - Math.pow(1 + 0.0435 / 12, -360));
    expect(Math.abs(Number(payment) - float)).toBeLessThanOrEqual(0.5 + 1e-6);
  });

  it('keeps the anchor day: a loan started on Jan 31 falls due at each month end', () => {
    const s = schedule({ principal_minor: 1_200_000n, term_periods: 4, start_date: d('2024-01-31') });
    expect(s.instalments.map((i) => [i.period_start, i.period_end, i.days, i.interest_days])).toEqual([
      ['2024-01-31', '2024-02-29', 29, 30],
      ['2024-02-29', '2024-03-31', 31, 30],
      ['2024-03-31', '2024-04-30', 30, 30],
      ['2024-04-30', '2024-05-31', 31, 30],
    ]);
  });

  it('charges actual days on actual/365 and lets the last instalment absorb the difference', () => {
    const s = schedule({ product: product({ day_count: 'actual/365' }), principal_minor: 10_000_000n, term_periods: 12, start_date: d('2024-01-15') });
    expect(s.level_payment_minor).toBe(888_488n); // the payment still uses annual/12
    // Period 1 has 31 days: 10,000,000 × 0.12 × 31/365 = 101,917.8… → 101,918.
    expect(s.instalments[0]).toMatchObject({ days: 31, interest_days: 31, interest_minor: 101_918n, principal_minor: 888_488n - 101_918n });
    expect(s.totals.principal_minor).toBe(10_000_000n);
    expect(s.instalments.slice(0, 11).every((i) => i.payment_minor === 888_488n)).toBe(true);
  });

  it('splits a zero-rate loan evenly, the remainder in the last payment', () => {
    const s = schedule({ product: product({ annual_rate_percent: '0' }), principal_minor: 1_000n, term_periods: 3, start_date: d('2024-01-01') });
    expect(s.instalments.map((i) => [i.principal_minor, i.interest_minor, i.payment_minor])).toEqual([
      [333n, 0n, 333n],
      [333n, 0n, 333n],
      [334n, 0n, 334n],
    ]);
  });

  it('retires a tiny loan early rather than letting a balance go negative', () => {
    // round(3/5) = 1 a period would overpay 3 minor units over 5 periods.
    const s = schedule({ product: product({ annual_rate_percent: '0' }), principal_minor: 3n, term_periods: 5, start_date: d('2024-01-01') });
    expect(s.instalments.map((i) => i.principal_minor)).toEqual([1n, 1n, 1n, 0n, 0n]);
    expect(s.instalments.every((i) => i.balance_after_minor >= 0n)).toBe(true);
  });
});

describe('equal principal', () => {
  it('120,000.00 at 6% monthly over 12 months: 10,000.00 principal and interest falling by 50.00', () => {
    // Interest k = (13 − k) × 10,000.00 × 0.5% = 600.00, 550.00, …, 50.00; total 0.5% × 10,000.00 × 78 = 3,900.00.
    const s = schedule({ product: product({ repayment_method: 'equal_principal', annual_rate_percent: '6' }), principal_minor: 12_000_000n, term_periods: 12, start_date: d('2024-01-10') });
    expect(s.level_payment_minor).toBeNull();
    expect(s.instalments.map((i) => i.principal_minor)).toEqual(Array(12).fill(1_000_000n));
    expect(s.instalments.map((i) => i.interest_minor)).toEqual(Array.from({ length: 12 }, (_, k) => BigInt((12 - k) * 5_000)));
    expect(s.instalments[0]!.payment_minor).toBe(1_060_000n);
    expect(s.totals.interest_minor).toBe(390_000n);
  });

  it('gives the remainder of an uneven split to the last instalment', () => {
    const s = schedule({ product: product({ repayment_method: 'equal_principal' }), principal_minor: 1_000_001n, term_periods: 3, start_date: d('2024-01-10') });
    expect(s.instalments.map((i) => i.principal_minor)).toEqual([333_333n, 333_333n, 333_335n]);
  });
});

describe('interest only', () => {
  it('1,000,000.00 at 3.65% on actual/365: interest of 100.00 a day, the principal at the end', () => {
    const s = schedule({
      product: product({ repayment_method: 'interest_only', annual_rate_percent: '3.65', day_count: 'actual/365' }),
      principal_minor: 100_000_000n,
      term_periods: 3,
      start_date: d('2024-01-15'),
    });
    // 31, 29 (leap February) and 31 days × 100.00.
    expect(s.instalments.map((i) => [i.days, i.interest_minor, i.principal_minor])).toEqual([
      [31, 310_000n, 0n],
      [29, 290_000n, 0n],
      [31, 310_000n, 100_000_000n],
    ]);
    expect(s.instalments[2]!.payment_minor).toBe(100_310_000n);
  });

  it('runs weekly in 7-day periods', () => {
    const s = schedule({ product: product({ repayment_method: 'interest_only', frequency: 'weekly', annual_rate_percent: '3.6' }), principal_minor: 1_000_000n, term_periods: 2, start_date: d('2024-02-26') });
    // 1,000,000 × 3.6% × 7/360 = 700.
    expect(s.instalments.map((i) => [i.period_end, i.interest_days, i.interest_minor])).toEqual([
      ['2024-03-04', 7, 700n],
      ['2024-03-11', 7, 700n],
    ]);
  });
});

describe('fees and refusals', () => {
  it('puts the origination fee on instalment 1, outside the payment', () => {
    const s = schedule({ product: product({ origination_fee: { fixed_minor: 5_000n, bps: 100 } }), principal_minor: 10_000_000n, term_periods: 12, start_date: d('2024-01-15') });
    expect(s.instalments[0]!.fee_minor).toBe(105_000n); // 50.00 + 1% of 100,000.00
    expect(s.instalments[0]!.payment_minor).toBe(888_488n);
    expect(s.instalments.slice(1).every((i) => i.fee_minor === 0n)).toBe(true);
    expect(s.totals.fee_minor).toBe(105_000n);
  });

  it('refuses a principal or term outside the product, and revolving lines', () => {
    const p = product({ amount_min_minor: 100n, amount_max_minor: 1_000n, term_min_periods: 3, term_max_periods: 12 });
    expect(buildSchedule({ product: p, principal_minor: 99n, term_periods: 6, start_date: d('2024-01-01') })).toMatchObject({ ok: false, field: 'principal_minor', code: 'principal_out_of_range' });
    expect(buildSchedule({ product: p, principal_minor: 1_001n, term_periods: 6, start_date: d('2024-01-01') })).toMatchObject({ ok: false, code: 'principal_out_of_range' });
    expect(buildSchedule({ product: p, principal_minor: 500n, term_periods: 13, start_date: d('2024-01-01') })).toMatchObject({ ok: false, field: 'term_periods', code: 'term_out_of_range' });
    expect(buildSchedule({ product: p, principal_minor: 500n, term_periods: 2.5, start_date: d('2024-01-01') })).toMatchObject({ ok: false, code: 'term_out_of_range' });
    expect(buildSchedule({ product: product(REVOLVING), principal_minor: 500n, term_periods: 6, start_date: d('2024-01-01') })).toMatchObject({
      ok: false,
      code: 'schedule_not_applicable',
    });
  });
});

describe('dailyInterest (revolving)', () => {
  it('is one day of the day count, exact and unrounded', () => {
    const p = product({ ...REVOLVING, annual_rate_percent: '3.65' });
    expect(dailyInterest(1_000_001n, p, d('2024-02-29'))).toEqual(rational(1_000_001n, 10_000n));
    // The rule of a day on 30E/360 (a line must be actual/365, but the day count's own rule is this).
    const q = { annual_rate: rational(36n, 1_000n), day_count: '30/360' as const };
    expect(dailyInterest(1_000_000n, q, d('2024-01-15'))).toEqual(rational(100n));
    expect(dailyInterest(1_000_000n, q, d('2024-01-30'))).toEqual(rational(0n)); // 30E/360: the 30th of a 31-day month carries none
    expect(dailyInterest(1_000_000n, q, d('2023-02-28'))).toEqual(rational(300n)); // …and Feb 28 of a common year carries 3 days
  });
});
