/**
 * The rules of a revolving credit line (docs/lending.md, "Revolving credit lines"). Pure:
 * dates, balances and carries are arguments.
 *
 * - Cycles: statement k is cut on start + k periods (anchored on the start like due dates,
 *   periods.ts `dueDate`), for k = 1..term; cycle k is [statement k−1, statement k) (cycle 1
 *   starts on the start date). The last statement date is the line's maturity.
 * - Interest: each day d in [start, maturity) earns the unbilled drawn balance at the end of
 *   d × annual rate / 365, floor-and-carry (accrual.ts `carryWhole`): whole minor units are
 *   posted, the fraction is carried to the next day, so over any run of days posted + carry
 *   is the exact sum. Billed principal no longer earns interest: it is due, and once past
 *   grace it earns penalty interest instead, as a term loan's principal fallen due does.
 * - A statement is cut at the start of its date: it bills the cycle's interest (what accrued
 *   on the days before the date; the date itself belongs to the next cycle) and, as
 *   principal, the minimum payment of the unbilled balance — all of it on the last
 *   statement. The origination fee is billed on statement 1.
 */
import { carryWhole, type CarriedAccrual } from './accrual.js';
import { addDays, daysBetween, type BusinessDate } from './dates.js';
import { interestExact } from './daycount.js';
import { dueDate } from './periods.js';
import type { Frequency, LoanProduct, MinimumPaymentRule } from './products.js';
import { ZERO, type Rational } from './rational.js';
import { originationFee } from './schedule.js';

/** What the line's servicing and its close of business read from its terms. */
export interface LineTerms {
  start_date: BusinessDate;
  frequency: Frequency;
  /** The tenor: the number of statements; the last one is cut on the maturity date. */
  term_periods: number;
  annual_rate: Rational;
  minimum_payment: MinimumPaymentRule;
}

/** The date statement k (k ≥ 1) is cut; k = 0 is the start date. */
export function statementDate(terms: Pick<LineTerms, 'start_date' | 'frequency'>, k: number): BusinessDate {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`a statement number is a non-negative integer, got ${k}`);
  return dueDate(terms.start_date, terms.frequency, k);
}

export const maturityOf = (terms: Pick<LineTerms, 'start_date' | 'frequency' | 'term_periods'>): BusinessDate => statementDate(terms, terms.term_periods);

/** The number k of the statement cut on `date`, or undefined if no statement falls on it. */
export function statementNumberOn(terms: Pick<LineTerms, 'start_date' | 'frequency' | 'term_periods'>, date: BusinessDate): number | undefined {
  if (date <= terms.start_date) return undefined;
  const perPeriod = terms.frequency === 'weekly' ? 7 : terms.frequency === 'quarterly' ? 89 : 28;
  // Statement dates are increasing in k: estimate, then step.
  let k = Math.max(1, Math.floor(daysBetween(terms.start_date, date) / perPeriod) - 1);
  while (k > 1 && statementDate(terms, k) > date) k--;
  while (statementDate(terms, k) < date) k++;
  return statementDate(terms, k) === date && k <= terms.term_periods ? k : undefined;
}

/**
 * The principal a statement bills: min(balance, max(floor, ⌈balance × bps / 10,000⌉)) of the
 * unbilled drawn balance — rounded up, so a balance always gets repaid — and on the last
 * statement (maturity) the whole balance.
 */
export function minimumPayment(unbilled_principal_minor: bigint, rule: MinimumPaymentRule, last: boolean): bigint {
  if (unbilled_principal_minor < 0n) throw new RangeError(`a negative balance: ${unbilled_principal_minor}`);
  if (last) return unbilled_principal_minor;
  const share = (unbilled_principal_minor * BigInt(rule.bps) + 9_999n) / 10_000n;
  const wanted = share > rule.floor_minor ? share : rule.floor_minor;
  return wanted < unbilled_principal_minor ? wanted : unbilled_principal_minor;
}

/** One day's interest on the unbilled drawn balance: balance × annual rate / 365, floor-and-carry. */
export function lineDayInterest(unbilled_principal_minor: bigint, annual_rate: Rational, carry: Rational = ZERO): CarriedAccrual {
  return carryWhole(interestExact(unbilled_principal_minor, annual_rate, 'actual/365', 1), carry);
}

/** Whether day `date` earns interest: [start, maturity). */
export const accruesOn = (terms: Pick<LineTerms, 'start_date' | 'frequency' | 'term_periods'>, date: BusinessDate): boolean =>
  date >= terms.start_date && date < maturityOf(terms);

/** The line's terms from its product (the offer's rate) and tenor. */
export function lineTerms(product: LoanProduct, start_date: BusinessDate, term_periods: number): LineTerms {
  if (product.repayment_method !== 'revolving' || product.minimum_payment === null) throw new Error(`product ${product.id} is not a revolving line`);
  return { start_date, frequency: product.frequency, term_periods, annual_rate: product.annual_rate, minimum_payment: product.minimum_payment };
}

/** What an offer of a line shows instead of a schedule: its terms and the first cycle if the whole limit were drawn on day one. */
export interface LineExample {
  credit_limit_minor: bigint;
  term_periods: number;
  start_date: BusinessDate;
  maturity_date: BusinessDate;
  first_statement_date: BusinessDate;
  /** Days of cycle 1. */
  cycle_days: number;
  /** Cycle 1's interest on the whole limit (the days' floor-and-carry sum). */
  cycle_interest_minor: bigint;
  /** Statement 1's principal on the whole limit. */
  minimum_payment_minor: bigint;
  /** The origination fee (of the limit), billed on statement 1. */
  fee_minor: bigint;
  minimum_payment: MinimumPaymentRule;
  /** cycle_interest + minimum_payment: statement 1's payment, the fee beside it (as a schedule's payment). */
  payment_minor: bigint;
}

export function lineExample(product: LoanProduct, limit_minor: bigint, term_periods: number, start_date: BusinessDate): LineExample {
  const terms = lineTerms(product, start_date, term_periods);
  const first = statementDate(terms, 1);
  let carry = ZERO;
  let interest = 0n;
  for (let d = start_date; d < first; d = addDays(d, 1)) {
    const day = lineDayInterest(limit_minor, terms.annual_rate, carry);
    interest += day.amount_minor;
    carry = day.carry;
  }
  const principal = minimumPayment(limit_minor, terms.minimum_payment, term_periods === 1);
  return {
    credit_limit_minor: limit_minor,
    term_periods,
    start_date,
    maturity_date: maturityOf(terms),
    first_statement_date: first,
    cycle_days: daysBetween(start_date, first),
    cycle_interest_minor: interest,
    minimum_payment_minor: principal,
    fee_minor: originationFee(product, limit_minor),
    minimum_payment: terms.minimum_payment,
    payment_minor: interest + principal,
  };
}
