/**
 * The pure part of the close of business (COB): which dates a run covers, the steps of a
 * day, what a loan's terms say to COB, and the per-loan decisions of the ageing step. No
 * I/O: the steps (cob-accrue.ts … cob-provision.ts) run these over a chunk of loans.
 */
import { addDays, daysBetween, type BusinessDate } from './dates.js';
import { classifyByDpd, daysPastDue, type LoanCategory } from './aging.js';
import { isDayCount, type DayCount } from './daycount.js';
import { penaltyForDay } from './accrual.js';
import { GRACE_DAYS_MAX, type LoanProduct } from './products.js';
import { parseAnnualRatePercent, type Rational } from './rates.js';

/**
 * The steps of one business date, in the order they run. The revolving lines' statements
 * come first: a statement is cut at the start of its date (the date's own interest belongs
 * to the next cycle), so the accrual of the date runs on the balance after the cut, and the
 * statement is marked due and collected the same day.
 */
export const COB_STEPS = ['statement', 'accrue', 'mark_due', 'collect', 'age', 'provision'] as const;
export type CobStep = (typeof COB_STEPS)[number];

export const COB_STEP_TITLES: Readonly<Record<CobStep, string>> = {
  statement: 'cut the statements of revolving lines',
  accrue: 'accrue scheduled interest',
  mark_due: 'mark instalments due',
  collect: 'collect from customer accounts',
  age: 'penalties, arrears, days past due, classification',
  provision: 'provisions per category',
};

export type CobStatus = 'running' | 'succeeded' | 'failed';

export interface StepProgress {
  status: 'pending' | 'running' | 'done';
  /** Loans this step has finished for the date (committed). */
  done: number;
  /** Loans in the step's scope when it started (provision: 1, the portfolio). */
  total: number;
  /** Wall time spent in the step, over every attempt. */
  seconds: number;
  chunks: number;
  transfers: number;
}

export type StepsProgress = Record<CobStep, StepProgress>;

export function emptySteps(): StepsProgress {
  const steps = {} as StepsProgress;
  for (const step of COB_STEPS) steps[step] = { status: 'pending', done: 0, total: 0, seconds: 0, chunks: 0, transfers: 0 };
  return steps;
}

/** One COB request covers at most this many business dates (a year and a day of catch-up). */
export const CATCH_UP_DATES_MAX = 366;

export type DatePlan =
  | { ok: true; dates: BusinessDate[] }
  | { ok: false; code: 'cob_catch_up_too_long' | 'cob_from_date_after_through'; detail: string };

/**
 * The business dates a run through `through` covers, oldest first. COB never leaves a gap:
 * with a date closed before, it continues from the day after the last closed one (so
 * `from` matters only for the very first run); already-closed dates are not repeated.
 */
export function datesToRun(through: BusinessDate, lastClosed: BusinessDate | null, from: BusinessDate | null): DatePlan {
  const first = lastClosed ? addDays(lastClosed, 1) : from ?? through;
  if (!lastClosed && from && from > through) return { ok: false, code: 'cob_from_date_after_through', detail: `from_date ${from} is after through_date ${through}` };
  if (first > through) return { ok: true, dates: [] };
  const count = daysBetween(first, through) + 1;
  if (count > CATCH_UP_DATES_MAX) {
    return { ok: false, code: 'cob_catch_up_too_long', detail: `${first}..${through} is ${count} business dates; one run covers at most ${CATCH_UP_DATES_MAX}: run it in parts` };
  }
  return { ok: true, dates: Array.from({ length: count }, (_, i) => addDays(first, i)) };
}

/** What COB reads from a loan's `terms` (the product's fields, as written into the loan). */
export interface CobTerms {
  grace_days: number;
  day_count: DayCount;
  penalty_annual_rate: Rational;
}

const termsCache = new Map<string, CobTerms>();

/**
 * `terms.grace_days`, `terms.day_count` and `terms.penalty_annual_rate_percent` (the names
 * of LoanProduct's fields). A loan without them cannot be aged: that is a bug upstream, and
 * COB stops on it rather than charge no penalty.
 */
export function cobTerms(loan_id: string, grace_days: unknown, day_count: unknown, penalty_percent: unknown): CobTerms {
  const key = `${grace_days}|${day_count}|${penalty_percent}`;
  const cached = termsCache.get(key);
  if (cached) return cached;
  const grace = typeof grace_days === 'string' ? Number(grace_days) : grace_days;
  if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > GRACE_DAYS_MAX) throw new Error(`loan ${loan_id}: terms.grace_days is not 0..${GRACE_DAYS_MAX} (${String(grace_days)})`);
  if (!isDayCount(day_count)) throw new Error(`loan ${loan_id}: terms.day_count is not a day count (${String(day_count)})`);
  const rate = parseAnnualRatePercent(penalty_percent);
  if (!rate.ok) throw new Error(`loan ${loan_id}: terms.penalty_annual_rate_percent: ${rate.detail}`);
  const terms: CobTerms = { grace_days: grace, day_count, penalty_annual_rate: rate.rate };
  if (termsCache.size < 10_000) termsCache.set(key, terms);
  return terms;
}

/** What the ageing step knows of one loan, read under its row lock. */
export interface AgeingInput {
  loan_id: string;
  terms: CobTerms;
  /** The oldest due date with something unpaid (null: nothing unpaid has fallen due). */
  oldest_unpaid_due_date: BusinessDate | null;
  /** Unpaid principal of the instalments past their grace days on the date. */
  overdue_principal_minor: bigint;
  carry: Rational;
  max_days_past_due: number;
}

export interface AgeingDecision {
  days_past_due: number;
  max_days_past_due: number;
  category: LoanCategory;
  /** Penalty interest to post for the date (whole minor units). */
  penalty_minor: bigint;
  carry: Rational;
}

/**
 * One loan's arrears on `date`: days past due from the oldest unpaid due date, the
 * category from DPD, and the day's penalty interest on overdue principal (floor-and-carry,
 * accrual.ts), so penalties neither lose nor invent a minor unit however many days run.
 */
export function ageLoan(input: AgeingInput, date: BusinessDate): AgeingDecision {
  const days_past_due = daysPastDue(input.oldest_unpaid_due_date, date);
  const penalty = penaltyForDay(input.overdue_principal_minor, { penalty_annual_rate: input.terms.penalty_annual_rate, day_count: input.terms.day_count }, input.carry);
  return {
    days_past_due,
    max_days_past_due: Math.max(input.max_days_past_due, days_past_due),
    category: classifyByDpd(days_past_due),
    penalty_minor: penalty.amount_minor,
    carry: penalty.carry,
  };
}

/** A carry stored as two numerics (any positive denominator; not necessarily lowest terms). */
export function carryFromText(num: string, den: string): Rational {
  const n = BigInt(num);
  const d = BigInt(den);
  if (d <= 0n || n < 0n || n >= d) throw new RangeError(`a penalty carry is in [0, 1), got ${num}/${den}`);
  return { num: n, den: d };
}

/**
 * A product as JSON for `loans.terms` (money as decimal strings, rates as the percent
 * strings the product stated): the shape cobTerms reads its fields from.
 */
export function productTermsJson(product: LoanProduct): Record<string, unknown> {
  return JSON.parse(JSON.stringify(product, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))) as Record<string, unknown>;
}
