/**
 * Daily accrual that reconciles exactly with the schedule, and penalty interest that
 * neither loses nor invents a minor unit over any number of days.
 *
 * Scheduled interest: for a period with interest I over D calendar days, the interest
 * accrued through day k (k = 1 is the period's start date) is round-half-up(I·k/D). A
 * day's accrual is the difference between consecutive days, so it is never negative and
 * the D days sum to exactly I: the ledger's accrued-interest account holds exactly the
 * schedule's interest on every due date, with no true-up posting.
 *
 * Penalty interest: each overdue day's exact penalty (overdue principal × penalty rate /
 * basis) plus the fraction carried from the day before is split into whole minor units,
 * posted now, and a fraction in [0, 1) carried to the next day. Over any run of days the
 * posted amounts plus the final carry equal the exact sum. The carry is part of the loan's
 * state (store it with the loan).
 */
import { daysBetween, type BusinessDate } from './dates.js';
import { interestExact } from './daycount.js';
import type { LoanProduct } from './products.js';
import { add, divRoundHalfUp, splitWhole, ZERO, type Rational } from './rational.js';
import type { Instalment, Schedule } from './schedule.js';

type Accruing = Pick<Instalment, 'number' | 'period_start' | 'period_end' | 'days' | 'interest_minor'>;

/** Interest of `instalment` accrued through day k of its period (k clamped to 0..D). */
export function accruedThrough(instalment: Pick<Instalment, 'days' | 'interest_minor'>, k: number): bigint {
  if (!Number.isInteger(k)) throw new RangeError(`day index must be an integer, got ${k}`);
  const day = Math.min(Math.max(k, 0), instalment.days);
  return divRoundHalfUp(instalment.interest_minor * BigInt(day), BigInt(instalment.days));
}

/** The instalment whose period [period_start, period_end) holds `date`, if any. */
export function instalmentAt<T extends Accruing>(instalments: readonly T[], date: BusinessDate): T | undefined {
  let low = 0;
  let high = instalments.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const candidate = instalments[mid]!;
    if (date < candidate.period_start) high = mid - 1;
    else if (date >= candidate.period_end) low = mid + 1;
    else return candidate;
  }
  return undefined;
}

export interface DailyAccrual {
  /** null when `date` is outside every period (before the start or on/after the last due date). */
  instalment_number: number | null;
  amount_minor: bigint;
}

/** The scheduled interest to accrue for the day `date` (the close-of-business posting). */
export function accrualForDate(schedule: Pick<Schedule, 'instalments'>, date: BusinessDate): DailyAccrual {
  const instalment = instalmentAt(schedule.instalments, date);
  if (!instalment) return { instalment_number: null, amount_minor: 0n };
  const k = daysBetween(instalment.period_start, date) + 1;
  return { instalment_number: instalment.number, amount_minor: accruedThrough(instalment, k) - accruedThrough(instalment, k - 1) };
}

/**
 * Interest accrued in the period holding `date` for the days before it: what the
 * accrual postings have recognised when `date` opens. A payoff or prepayment on `date`
 * settles exactly this much of the current period's interest.
 */
export function accruedBefore(schedule: Pick<Schedule, 'instalments'>, date: BusinessDate): DailyAccrual {
  const instalment = instalmentAt(schedule.instalments, date);
  if (!instalment) return { instalment_number: null, amount_minor: 0n };
  return { instalment_number: instalment.number, amount_minor: accruedThrough(instalment, daysBetween(instalment.period_start, date)) };
}

export interface CarriedAccrual {
  /** Whole minor units to post today. */
  amount_minor: bigint;
  /** The fraction of a minor unit, in [0, 1), to pass to the next day. */
  carry: Rational;
}

/** Posts the whole units of `exact + carry` and carries the rest (floor-and-carry). */
export function carryWhole(exact: Rational, carry: Rational = ZERO): CarriedAccrual {
  if (exact.num < 0n || carry.num < 0n || carry.num >= carry.den) throw new RangeError('an accrual and its carry are non-negative and the carry is under one unit');
  const { whole_minor, fraction } = splitWhole(add(exact, carry));
  return { amount_minor: whole_minor, carry: fraction };
}

/**
 * One overdue day's penalty interest on `overdue_principal_minor`: penalty annual rate /
 * basis (360 or 365 by the product's day count) for one calendar day, floor-and-carry.
 * Which days are penalised is the caller's (see aging.ts `isOverdue`): a day in grace
 * carries none.
 */
export function penaltyForDay(overdue_principal_minor: bigint, product: Pick<LoanProduct, 'penalty_annual_rate' | 'day_count'>, carry: Rational = ZERO): CarriedAccrual {
  return carryWhole(interestExact(overdue_principal_minor, product.penalty_annual_rate, product.day_count, 1), carry);
}
