/**
 * Early repayment (full payoff and partial prepayment) and restructuring: both rebuild the
 * rest of a schedule with `amortise`, keeping the due dates anchored on the loan's start.
 *
 * A loan's position on a date is its current schedule plus the unpaid remainder of the
 * instalments already due (its arrears). Instalments due after the date are untouched:
 * money beyond the arrears never pays them piecemeal; it prepays principal and rebuilds
 * the schedule.
 *
 * - Payoff on date d = arrears (penalty, fee, interest, principal) + all principal not yet
 *   due + the current period's interest accrued for the days before d (accrual.ts) + fees
 *   on instalments not yet due + the early-repayment fee (bps of the principal not yet
 *   due, rounded half-up). No fee and no rule applies when nothing is prepaid.
 * - Partial prepayment of X principal on d (arrears must be clear): the borrower pays X,
 *   the current period's interest accrued before d, and the fee on X. The rest of the
 *   schedule is rebuilt from d over the same remaining periods (keep the term, lower the
 *   payment): its first period is [d, due date), a broken period on the new balance.
 * - Restructure on d over a new number of periods: all outstanding principal (overdue and
 *   not yet due) is rescheduled from d; overdue interest, fees and penalties and the
 *   interest accrued before d stay due now — capitalising them would charge interest on
 *   interest.
 */
import { accruedBefore } from './accrual.js';
import type { ComponentAmounts, InstalmentDue } from './allocation.js';
import { zeroAmounts } from './allocation.js';
import { addMonths, type BusinessDate } from './dates.js';
import { periodNumberAt, periodsOf } from './periods.js';
import { TERM_PERIODS_MAX, type LoanProduct } from './products.js';
import { bpsOf } from './rates.js';
import { amortise, type Instalment, type Schedule } from './schedule.js';

export interface LoanPosition {
  /** The current schedule (after any earlier rebuilds); its start_date anchors the due dates. */
  schedule: Schedule;
  /** The unpaid remainder of instalments due on or before the date; fully paid ones may be left out. */
  arrears: readonly InstalmentDue[];
}

export interface PayoffQuote {
  date: BusinessDate;
  arrears: ComponentAmounts;
  /** Principal of the instalments not yet due: what the payoff prepays. */
  prepaid_principal_minor: bigint;
  /** Interest of the current period accrued for the days before `date`. */
  accrued_interest_minor: bigint;
  /** Fees on instalments not yet due (the origination fee before instalment 1 falls due). */
  future_fee_minor: bigint;
  early_repayment_fee_minor: bigint;
  total_minor: bigint;
}

export type EarlyRepaymentErrorCode = 'early_repayment_not_allowed' | 'early_repayment_too_soon' | 'date_before_start';
export type PayoffResult = { ok: true; quote: PayoffQuote } | { ok: false; code: EarlyRepaymentErrorCode; detail: string };

export function payoffQuote(product: LoanProduct, position: LoanPosition, date: BusinessDate): PayoffResult {
  const split = splitAt(position, date);
  if (!split.ok) return split;
  const { future, arrears } = split;
  const prepaid = sum(future, 'principal_minor');
  if (prepaid > 0n) {
    const refused = earlyRepaymentRefusal(product, position.schedule, date);
    if (refused) return refused;
  }
  const accrued = accruedBefore(position.schedule, date).amount_minor;
  const futureFees = sum(future, 'fee_minor');
  const fee = bpsOf(prepaid, product.early_repayment.fee_bps); // 0 when nothing is prepaid
  const total = arrears.penalty_minor + arrears.fee_minor + arrears.interest_minor + arrears.principal_minor + prepaid + accrued + futureFees + fee;
  return {
    ok: true,
    quote: { date, arrears, prepaid_principal_minor: prepaid, accrued_interest_minor: accrued, future_fee_minor: futureFees, early_repayment_fee_minor: fee, total_minor: total },
  };
}

export interface PrepaymentSettlement {
  principal_minor: bigint;
  accrued_interest_minor: bigint;
  early_repayment_fee_minor: bigint;
  total_minor: bigint;
}

export type PrepaymentResult =
  | { ok: true; settlement: PrepaymentSettlement; schedule: Schedule }
  | { ok: false; code: EarlyRepaymentErrorCode | 'arrears_outstanding' | 'prepayment_out_of_range'; detail: string };

/** Prepays `principal_minor` on `date` and rebuilds the rest of the schedule (same periods, lower payment). */
export function prepayPartial(product: LoanProduct, position: LoanPosition, date: BusinessDate, principal_minor: bigint): PrepaymentResult {
  const split = splitAt(position, date);
  if (!split.ok) return split;
  const { future, arrears } = split;
  if (arrears.penalty_minor + arrears.fee_minor + arrears.interest_minor + arrears.principal_minor > 0n) {
    return { ok: false, code: 'arrears_outstanding', detail: 'repay the arrears first (allocateRepayment); a prepayment only reduces principal not yet due' };
  }
  const outstanding = sum(future, 'principal_minor');
  if (principal_minor < 1n || principal_minor >= outstanding) {
    const detail = outstanding < 2n ? `only ${outstanding} minor units of principal are not yet due: that is a payoff (payoffQuote)` : `a partial prepayment is 1..${outstanding - 1n} minor units; repaying all ${outstanding} is a payoff (payoffQuote)`;
    return { ok: false, code: 'prepayment_out_of_range', detail };
  }
  const refused = earlyRepaymentRefusal(product, position.schedule, date);
  if (refused) return refused;
  const accrued = accruedBefore(position.schedule, date).amount_minor;
  const fee = bpsOf(principal_minor, product.early_repayment.fee_bps);
  const schedule = rebuild(position.schedule, future[0]!.number, future[future.length - 1]!.number, date, outstanding - principal_minor, sum(future, 'fee_minor'));
  return {
    ok: true,
    settlement: { principal_minor, accrued_interest_minor: accrued, early_repayment_fee_minor: fee, total_minor: principal_minor + accrued + fee },
    schedule,
  };
}

export interface Restructuring {
  schedule: Schedule;
  /** Overdue interest, fees and penalties plus the interest accrued before the date: due now, not rescheduled. */
  due_now: ComponentAmounts;
  /** Overdue principal moved into the new schedule (the store clears it from the arrears). */
  rescheduled_arrears_principal_minor: bigint;
}

export type RestructureResult = { ok: true; restructuring: Restructuring } | { ok: false; code: 'term_out_of_range' | 'nothing_outstanding' | 'date_before_start'; detail: string };

/**
 * Reschedules all outstanding principal from `date` over `new_term_periods` periods,
 * numbered on from the period `date` falls in (due dates stay anchored on the start date).
 * Restructuring is an exception process, so the product's term range does not bind it.
 */
export function restructure(position: LoanPosition, new_term_periods: number, date: BusinessDate): RestructureResult {
  if (!Number.isInteger(new_term_periods) || new_term_periods < 1 || new_term_periods > TERM_PERIODS_MAX) {
    return { ok: false, code: 'term_out_of_range', detail: `a new term is 1..${TERM_PERIODS_MAX} periods` };
  }
  const split = splitAt(position, date);
  if (!split.ok) return { ok: false, code: 'date_before_start', detail: split.detail };
  const { future, arrears } = split;
  const outstanding = sum(future, 'principal_minor') + arrears.principal_minor;
  if (outstanding === 0n) return { ok: false, code: 'nothing_outstanding', detail: 'no principal is outstanding' };
  const { schedule: current } = position;
  const first = periodNumberAt(current.start_date, current.frequency, date);
  const schedule = rebuild(current, first, first + new_term_periods - 1, date, outstanding, sum(future, 'fee_minor'));
  const due_now = { ...arrears, principal_minor: 0n };
  due_now.interest_minor += accruedBefore(current, date).amount_minor;
  return { ok: true, restructuring: { schedule, due_now, rescheduled_arrears_principal_minor: arrears.principal_minor } };
}

/** The instalments not yet due on `date`, and the arrears totals (checked to be due by then). */
function splitAt(position: LoanPosition, date: BusinessDate): { ok: true; future: Instalment[]; arrears: ComponentAmounts } | { ok: false; code: 'date_before_start'; detail: string } {
  const { schedule } = position;
  const firstStart = schedule.instalments[0]?.period_start ?? schedule.start_date;
  if (date < firstStart) return { ok: false, code: 'date_before_start', detail: `${date} is before the schedule starts (${firstStart})` };
  const arrears = zeroAmounts();
  for (const due of position.arrears) {
    if (due.due_date > date) throw new RangeError(`instalment ${due.instalment_number} is listed as arrears but falls due after ${date}`);
    arrears.penalty_minor += due.penalty_minor;
    arrears.fee_minor += due.fee_minor;
    arrears.interest_minor += due.interest_minor;
    arrears.principal_minor += due.principal_minor;
  }
  return { ok: true, future: schedule.instalments.filter((instalment) => instalment.period_end > date), arrears };
}

function earlyRepaymentRefusal(product: LoanProduct, schedule: Schedule, date: BusinessDate): { ok: false; code: EarlyRepaymentErrorCode; detail: string } | undefined {
  const rule = product.early_repayment;
  if (!rule.allowed) return { ok: false, code: 'early_repayment_not_allowed', detail: `product ${product.id} v${product.version} does not allow early repayment` };
  const earliest = addMonths(schedule.start_date, rule.min_months);
  if (date < earliest) return { ok: false, code: 'early_repayment_too_soon', detail: `early repayment is allowed from ${earliest}` };
  return undefined;
}

function rebuild(current: Schedule, first: number, last: number, date: BusinessDate, principal_minor: bigint, first_fee_minor: bigint): Schedule {
  return amortise({
    method: current.method,
    frequency: current.frequency,
    day_count: current.day_count,
    annual_rate: current.annual_rate,
    start_date: current.start_date,
    principal_minor,
    periods: periodsOf(current.start_date, current.frequency, current.day_count, first, last, date),
    first_fee_minor,
  });
}

function sum(instalments: readonly Instalment[], key: 'principal_minor' | 'fee_minor'): bigint {
  return instalments.reduce((total, instalment) => total + instalment[key], 0n);
}
