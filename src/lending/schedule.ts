/**
 * Repayment schedules for the scheduled methods, and one day's interest for revolving
 * lines. Rules (docs/lending.md, "Schedules, accrual and rounding"):
 *
 * - Interest of every period is `round-half-up(balance × annual rate × interest_days /
 *   basis)` on the balance at the period's start (periods.ts says what interest_days is:
 *   30 per month on 30/360, calendar days on actual/365). Rounded once per period.
 * - annuity: the level payment A = round-half-up(P·r / (1 − (1+r)^−n)), computed exactly
 *   in rationals, r the nominal periodic rate (annual/12, annual/4; weekly 7/360 or 7/365
 *   of it). Principal = A − interest. The last instalment takes the whole remaining
 *   balance, so principal sums exactly to P and the last payment may differ from A; on
 *   30/360 by less than Σ_{j<n} (1+r)^j minor units (each period's two roundings are each
 *   under half a unit, and an error compounds at r afterwards). Two guards keep balances
 *   in [0, P]: principal is never below 0 (an actual/365 month whose interest exceeds A is
 *   paid as interest only) and never above the balance (a tiny loan whose rounded payment
 *   retires it early has zero payments after that).
 * - equal_principal: principal floor(P/n) each, the last takes P − (n−1)·floor(P/n).
 * - interest_only: interest each period; all principal in the last (a bullet).
 * - A zero rate works in every method: the annuity payment is round-half-up(P/n).
 * - The origination fee (products.ts) is a due on instalment 1, outside `payment_minor`.
 */
import { addDays, type BusinessDate } from './dates.js';
import { dayCountDays, interestExact, interestForDays, type DayCount } from './daycount.js';
import { periodicRate, periodsOf, type Period } from './periods.js';
import type { Frequency, LoanProduct, ScheduledMethod } from './products.js';
import { bpsOf } from './rates.js';
import { divRoundHalfUp, type Rational } from './rational.js';

export interface Instalment extends Period {
  /** = period_end: the date the instalment falls due. */
  due_date: BusinessDate;
  principal_minor: bigint;
  interest_minor: bigint;
  /** Fees due with this instalment (the origination fee on instalment 1). Not in payment_minor. */
  fee_minor: bigint;
  /** principal_minor + interest_minor. */
  payment_minor: bigint;
  balance_after_minor: bigint;
}

export interface ScheduleTotals {
  principal_minor: bigint;
  interest_minor: bigint;
  fee_minor: bigint;
  payment_minor: bigint;
}

export interface Schedule {
  method: ScheduledMethod;
  frequency: Frequency;
  day_count: DayCount;
  annual_rate: Rational;
  /** The anchor of every due date: the loan's start (disbursement) date, kept through rebuilds. */
  start_date: BusinessDate;
  /** The principal these instalments amortise (the loan, or the balance a rebuild started from). */
  principal_minor: bigint;
  /** The annuity's level payment; null for the other methods. */
  level_payment_minor: bigint | null;
  /** In due-date order; a rebuilt schedule starts at the first instalment it replaced. */
  instalments: Instalment[];
  totals: ScheduleTotals;
}

export interface ScheduleRequest {
  product: LoanProduct;
  principal_minor: bigint;
  term_periods: number;
  start_date: BusinessDate;
}

export const SCHEDULE_ERROR_CODES = ['principal_out_of_range', 'term_out_of_range', 'schedule_not_applicable'] as const;
export type ScheduleErrorCode = (typeof SCHEDULE_ERROR_CODES)[number];
export type ScheduleResult = { ok: true; schedule: Schedule } | { ok: false; field: string; code: ScheduleErrorCode; detail: string };

/** The schedule of a new loan, checked against the product's ranges. */
export function buildSchedule(request: ScheduleRequest): ScheduleResult {
  const { product, principal_minor, term_periods, start_date } = request;
  const method = product.repayment_method;
  if (method === 'revolving') {
    return { ok: false, field: 'product.repayment_method', code: 'schedule_not_applicable', detail: 'a revolving line has no amortising schedule; it accrues daily (dailyInterest)' };
  }
  if (principal_minor < product.amount_min_minor || principal_minor > product.amount_max_minor) {
    return { ok: false, field: 'principal_minor', code: 'principal_out_of_range', detail: `principal must be ${product.amount_min_minor}..${product.amount_max_minor} minor units` };
  }
  if (!Number.isInteger(term_periods) || term_periods < product.term_min_periods || term_periods > product.term_max_periods) {
    return { ok: false, field: 'term_periods', code: 'term_out_of_range', detail: `term must be ${product.term_min_periods}..${product.term_max_periods} periods` };
  }
  const periods = periodsOf(start_date, product.frequency, product.day_count, 1, term_periods);
  const schedule = amortise({
    method,
    frequency: product.frequency,
    day_count: product.day_count,
    annual_rate: product.annual_rate,
    start_date,
    principal_minor,
    periods,
    first_fee_minor: originationFee(product, principal_minor),
  });
  return { ok: true, schedule };
}

/** The origination fee of a loan: fixed + bps of the principal (rounded half-up). */
export function originationFee(product: LoanProduct, principal_minor: bigint): bigint {
  return product.origination_fee.fixed_minor + bpsOf(principal_minor, product.origination_fee.bps);
}

export interface AmortisationRequest {
  method: ScheduledMethod;
  frequency: Frequency;
  day_count: DayCount;
  annual_rate: Rational;
  start_date: BusinessDate;
  principal_minor: bigint;
  /** Consecutive periods from periodsOf; the first may be broken. */
  periods: readonly Period[];
  /** Fees due with the first of these instalments. */
  first_fee_minor: bigint;
}

/**
 * Instalments for `principal_minor` over `periods`, with no product range checks: new
 * loans come through buildSchedule; prepayment and restructuring rebuild with this.
 */
export function amortise(request: AmortisationRequest): Schedule {
  const { method, periods, principal_minor: principal, annual_rate, day_count } = request;
  const n = periods.length;
  if (n < 1) throw new RangeError('a schedule needs at least one period');
  if (principal < 1n) throw new RangeError(`a schedule amortises a positive principal, got ${principal}`);
  if (request.first_fee_minor < 0n) throw new RangeError('fees are never negative');
  const level = method === 'annuity' ? annuityPayment(principal, periodicRate(annual_rate, request.frequency, day_count), n) : null;
  const equalShare = principal / BigInt(n);
  const instalments: Instalment[] = [];
  let balance = principal;
  periods.forEach((period, i) => {
    const last = i === n - 1;
    const interest = interestForDays(balance, annual_rate, day_count, period.interest_days);
    let principalPart: bigint;
    if (last) principalPart = balance;
    else if (method === 'annuity') principalPart = clamp(level! - interest, 0n, balance);
    else if (method === 'equal_principal') principalPart = equalShare;
    else principalPart = 0n;
    balance -= principalPart;
    instalments.push({
      ...period,
      due_date: period.period_end,
      principal_minor: principalPart,
      interest_minor: interest,
      fee_minor: i === 0 ? request.first_fee_minor : 0n,
      payment_minor: principalPart + interest,
      balance_after_minor: balance,
    });
  });
  return {
    method,
    frequency: request.frequency,
    day_count,
    annual_rate,
    start_date: request.start_date,
    principal_minor: principal,
    level_payment_minor: level,
    instalments,
    totals: totalsOf(instalments),
  };
}

/**
 * The level payment round-half-up(P·r / (1 − (1+r)^−n)), exactly. With r = a/b:
 * P·a·(a+b)^n / (b·((a+b)^n − b^n)). A zero rate gives round-half-up(P/n).
 */
export function annuityPayment(principal_minor: bigint, periodic_rate: Rational, n: number): bigint {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`an annuity needs n ≥ 1 periods, got ${n}`);
  if (periodic_rate.num < 0n) throw new RangeError('a negative rate');
  const count = BigInt(n);
  if (periodic_rate.num === 0n) return divRoundHalfUp(principal_minor, count);
  const { num: a, den: b } = periodic_rate;
  const grown = (a + b) ** count;
  return divRoundHalfUp(principal_minor * a * grown, b * (grown - b ** count));
}

export function totalsOf(instalments: readonly Instalment[]): ScheduleTotals {
  const totals: ScheduleTotals = { principal_minor: 0n, interest_minor: 0n, fee_minor: 0n, payment_minor: 0n };
  for (const instalment of instalments) {
    totals.principal_minor += instalment.principal_minor;
    totals.interest_minor += instalment.interest_minor;
    totals.fee_minor += instalment.fee_minor;
    totals.payment_minor += instalment.payment_minor;
  }
  return totals;
}

/**
 * One day's interest on a revolving balance, exact and unrounded: the daily-accrual path
 * sums these and rounds (or carries, see accrual.ts `carryWhole`). The day is
 * [date, date + 1) under the product's day count. On 30E/360 the 30th of a 31-day month
 * carries no interest and the last day of February carries the rest of its 30-day month
 * (3 days in a common year), so each calendar month's days sum to exactly balance × annual/12.
 */
export function dailyInterest(balance_minor: bigint, product: Pick<LoanProduct, 'annual_rate' | 'day_count'>, date: BusinessDate): Rational {
  const days = dayCountDays(product.day_count, date, addDays(date, 1));
  return interestExact(balance_minor, product.annual_rate, product.day_count, days);
}

const clamp = (value: bigint, low: bigint, high: bigint): bigint => (value < low ? low : value > high ? high : value);
