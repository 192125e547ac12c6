/**
 * Day-count conventions: how many days of interest a span of dates carries, and over how
 * many days a year's rate is spread.
 *
 * - `'30/360'` is the European 30E/360 (ISDA 2006 §4.16(g), "Eurobond basis"): a 31st
 *   counts as the 30th, February is not adjusted. Chosen over US 30/360 because its rule is
 *   symmetric and has no February special case, so it is easy to state and to check. A year
 *   is 360 days; every calendar month totals 30 days of interest.
 * - `'actual/365'` (fixed): calendar days over 365, in leap years too.
 *
 * Interest over a span is `balance × annual rate × days / basis`, an exact rational,
 * rounded half-up to minor units once per period (never per day).
 */
import { daysBetween, dateParts, type BusinessDate } from './dates.js';
import { divRoundHalfUp, rational, type Rational } from './rational.js';

export const DAY_COUNTS = ['30/360', 'actual/365'] as const;
export type DayCount = (typeof DAY_COUNTS)[number];

export function isDayCount(value: unknown): value is DayCount {
  return typeof value === 'string' && (DAY_COUNTS as readonly string[]).includes(value);
}

/** Days in the convention's year: the denominator of every daily rate. */
export function yearBasisDays(convention: DayCount): 360n | 365n {
  return convention === '30/360' ? 360n : 365n;
}

/** Days of interest in [from, to) under the convention (negative if `to` is before `from`). */
export function dayCountDays(convention: DayCount, from: BusinessDate, to: BusinessDate): number {
  if (convention === 'actual/365') return daysBetween(from, to);
  const a = dateParts(from);
  const b = dateParts(to);
  return 360 * (b.year - a.year) + 30 * (b.month - a.month) + (Math.min(b.day, 30) - Math.min(a.day, 30));
}

/** The exact year fraction of `interest_days` days. */
export function yearFraction(convention: DayCount, interest_days: number): Rational {
  return rational(BigInt(interest_days), yearBasisDays(convention));
}

/** balance × annual rate × interest_days / basis, exact (minor units as a rational). */
export function interestExact(balance_minor: bigint, annual_rate: Rational, convention: DayCount, interest_days: number): Rational {
  if (balance_minor < 0n) throw new RangeError(`interest on a negative balance: ${balance_minor}`);
  if (!Number.isInteger(interest_days) || interest_days < 0) throw new RangeError(`interest days must be a non-negative integer, got ${interest_days}`);
  return rational(balance_minor * annual_rate.num * BigInt(interest_days), annual_rate.den * yearBasisDays(convention));
}

/** One period's interest in minor units: `interestExact` rounded half-up, once. */
export function interestForDays(balance_minor: bigint, annual_rate: Rational, convention: DayCount, interest_days: number): bigint {
  if (balance_minor < 0n) throw new RangeError(`interest on a negative balance: ${balance_minor}`);
  if (!Number.isInteger(interest_days) || interest_days < 0) throw new RangeError(`interest days must be a non-negative integer, got ${interest_days}`);
  // The same value as roundHalfUp(interestExact(…)), without reducing the fraction first.
  return divRoundHalfUp(balance_minor * annual_rate.num * BigInt(interest_days), annual_rate.den * yearBasisDays(convention));
}
