/**
 * Arrears: days past due, DPD buckets, the five-category loan classification and its
 * provisions.
 *
 * - DPD counts from the oldest unpaid due date: 0 on the due date, 1 the day after.
 *   Grace days do not change DPD, buckets or classification (those follow the contract's
 *   due date, as regulators count it); they only decide when an instalment is *overdue*,
 *   i.e. when penalty interest and collections start (dpd > grace_days).
 * - Classification from DPD alone (a floor: a credit officer may classify worse on other
 *   evidence, which is outside this module): normal 0, special mention 1–90,
 *   substandard 91–180, doubtful 181–360, loss over 360.
 * - Provision rates follow the PBOC guideline on loan-loss reserves (银发〔2002〕98号): 1% general
 *   reserve on normal loans, 2% special mention, 25% substandard, 50% doubtful, 100%
 *   loss; provision = outstanding principal × rate, rounded half-up.
 */
import { daysBetween, type BusinessDate } from './dates.js';
import { bpsOf } from './rates.js';

/** Days past due on `as_of` for the oldest unpaid due date (null: nothing unpaid is due). */
export function daysPastDue(oldest_unpaid_due_date: BusinessDate | null, as_of: BusinessDate): number {
  if (oldest_unpaid_due_date === null) return 0;
  return Math.max(0, daysBetween(oldest_unpaid_due_date, as_of));
}

/** The oldest due date among dues that still have something unpaid and are due by `as_of`. */
export function oldestUnpaidDueDate(
  dues: readonly { due_date: BusinessDate; penalty_minor: bigint; fee_minor: bigint; interest_minor: bigint; principal_minor: bigint }[],
  as_of: BusinessDate,
): BusinessDate | null {
  let oldest: BusinessDate | null = null;
  for (const due of dues) {
    const unpaid = due.penalty_minor + due.fee_minor + due.interest_minor + due.principal_minor > 0n;
    if (unpaid && due.due_date <= as_of && (oldest === null || due.due_date < oldest)) oldest = due.due_date;
  }
  return oldest;
}

/** Whether an instalment this many days past due is overdue (beyond grace). */
export function isOverdue(days_past_due: number, grace_days: number): boolean {
  return days_past_due > grace_days;
}

export const DPD_BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export type DpdBucket = (typeof DPD_BUCKETS)[number];

export function dpdBucket(days_past_due: number): DpdBucket {
  checkDpd(days_past_due);
  if (days_past_due === 0) return 'current';
  if (days_past_due <= 30) return '1-30';
  if (days_past_due <= 60) return '31-60';
  if (days_past_due <= 90) return '61-90';
  return '90+';
}

export const LOAN_CATEGORIES = ['normal', 'special_mention', 'substandard', 'doubtful', 'loss'] as const;
export type LoanCategory = (typeof LOAN_CATEGORIES)[number];

export function classifyByDpd(days_past_due: number): LoanCategory {
  checkDpd(days_past_due);
  if (days_past_due === 0) return 'normal';
  if (days_past_due <= 90) return 'special_mention';
  if (days_past_due <= 180) return 'substandard';
  if (days_past_due <= 360) return 'doubtful';
  return 'loss';
}

export const PROVISION_RATE_BPS: Readonly<Record<LoanCategory, number>> = Object.freeze({
  normal: 100,
  special_mention: 200,
  substandard: 2_500,
  doubtful: 5_000,
  loss: 10_000,
});

/** The provision for a loan of `category`: outstanding principal × rate, rounded half-up. */
export function provisionFor(category: LoanCategory, outstanding_principal_minor: bigint): bigint {
  if (outstanding_principal_minor < 0n) throw new RangeError(`outstanding principal is never negative, got ${outstanding_principal_minor}`);
  return bpsOf(outstanding_principal_minor, PROVISION_RATE_BPS[category]);
}

function checkDpd(days_past_due: number): void {
  if (!Number.isInteger(days_past_due) || days_past_due < 0) throw new RangeError(`days past due is a non-negative integer, got ${days_past_due}`);
}
