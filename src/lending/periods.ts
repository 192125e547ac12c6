/**
 * The calendar of a scheduled loan: due dates, the periods between them, and how many days
 * of interest each period carries.
 *
 * - Due date k is `start + k periods`, always computed from the start date (the anchor):
 *   monthly `addMonths(start, k)`, quarterly `addMonths(start, 3k)` (end-of-month clamped
 *   on the anchor's day), weekly `addDays(start, 7k)`.
 * - Period k is [due k−1, due k): interest accrues from its start up to, not including, its
 *   due date; the due date is the first day of the next period.
 * - Interest days of a whole period: on 30/360 every month is 30 days (30, 90, or 7 for a
 *   week), whatever the calendar says, so a monthly period's interest is exactly
 *   balance × annual/12. On actual/365 they are the calendar days.
 * - A broken period (a schedule rebuilt mid-period, starting on the rebuild date) carries
 *   the convention's days from that date to its due date, never more than a whole period.
 */
import { addDays, addMonths, daysBetween, type BusinessDate } from './dates.js';
import { dayCountDays, yearBasisDays, type DayCount } from './daycount.js';
import type { Frequency } from './products.js';
import { rational, type Rational } from './rational.js';

export interface Period {
  /** 1-based, counted from the anchor: period k ends on due date k. */
  number: number;
  period_start: BusinessDate;
  /** The due date. */
  period_end: BusinessDate;
  /** Calendar days in [period_start, period_end): what daily accrual spreads interest over. */
  days: number;
  /** Days of interest under the day count (see the header). */
  interest_days: number;
}

/** Due date k (k ≥ 0; k = 0 is the anchor itself). */
export function dueDate(anchor: BusinessDate, frequency: Frequency, k: number): BusinessDate {
  if (frequency === 'weekly') return addDays(anchor, 7 * k);
  return addMonths(anchor, (frequency === 'quarterly' ? 3 : 1) * k);
}

/** Interest days of a whole period on 30/360. */
function wholePeriodDays30(frequency: Frequency): number {
  return frequency === 'weekly' ? 7 : frequency === 'quarterly' ? 90 : 30;
}

/**
 * Periods `first`..`last` of a loan anchored on `anchor`. With `from` (a rebuild date
 * inside period `first`), the first period starts there instead and is a broken period.
 */
export function periodsOf(anchor: BusinessDate, frequency: Frequency, day_count: DayCount, first: number, last: number, from?: BusinessDate): Period[] {
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last < first) throw new RangeError(`bad period range ${first}..${last}`);
  const periods: Period[] = [];
  let scheduledStart = dueDate(anchor, frequency, first - 1);
  for (let k = first; k <= last; k++) {
    const period_end = dueDate(anchor, frequency, k);
    const broken = k === first && from !== undefined && from !== scheduledStart;
    const period_start = broken ? from : scheduledStart;
    if (!(period_start >= scheduledStart && period_start < period_end)) throw new RangeError(`${period_start} is not inside period ${k} [${scheduledStart}, ${period_end})`);
    const days = daysBetween(period_start, period_end);
    const whole = day_count === '30/360' ? wholePeriodDays30(frequency) : days;
    const interest_days = broken ? Math.min(dayCountDays(day_count, period_start, period_end), whole) : whole;
    periods.push({ number: k, period_start, period_end, days, interest_days: Math.max(interest_days, 0) });
    scheduledStart = period_end;
  }
  return periods;
}

/** The smallest k ≥ 1 whose due date is after `date`: the period `date` falls in (or the next one). */
export function periodNumberAt(anchor: BusinessDate, frequency: Frequency, date: BusinessDate): number {
  if (date < anchor) return 1;
  // Estimate from the day distance, then step: due dates are monotone in k.
  const perPeriod = frequency === 'weekly' ? 7 : frequency === 'quarterly' ? 89 : 28;
  let k = Math.max(1, Math.floor(daysBetween(anchor, date) / perPeriod) - 1);
  while (k > 1 && dueDate(anchor, frequency, k - 1) > date) k--;
  while (dueDate(anchor, frequency, k) <= date) k++;
  return k;
}

/**
 * The nominal periodic rate used for the level annuity payment: annual/12 monthly,
 * annual/4 quarterly; weekly annual × 7/360 or × 7/365 by the day count, so a week's rate
 * is exactly a week's interest under either convention.
 */
export function periodicRate(annual_rate: Rational, frequency: Frequency, day_count: DayCount): Rational {
  if (frequency === 'weekly') return rational(annual_rate.num * 7n, annual_rate.den * yearBasisDays(day_count));
  return rational(annual_rate.num, annual_rate.den * (frequency === 'quarterly' ? 4n : 12n));
}
