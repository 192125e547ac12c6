/**
 * A revolving line as servicing sees it, and what a drawdown, a repayment or a payoff does
 * to it (docs/lending.md, "Revolving credit lines"). Pure: the line's state in, the changes
 * out; line-servicing.ts writes them with the postings in one transaction.
 *
 * The line's rows are its statements (row number k = statement k; row 1 exists from the
 * opening, holding the origination fee until statement 1 bills it) and, after a payoff, a
 * `settlement` row. A repayment pays the billed rows in the documented order (allocation.ts:
 * penalties, fees, interest, principal, oldest first), then the rest reduces the unbilled
 * drawn balance; more than that is refused. A payoff also settles the interest accrued since
 * the last statement and an origination fee not yet billed, and closes the line.
 */
import { allocateRepayment, type Allocation } from './allocation.js';
import { daysPastDue } from './aging.js';
import { accruesOn, lineDayInterest, maturityOf, minimumPayment, statementDate, statementNumberOn, type LineTerms } from './credit-line.js';
import { addDays, daysBetween, type BusinessDate } from './dates.js';
import { duesOf, patched, patchesFromAllocation, sortRows, unpaid, type AccrualDay, type Components, type InstalmentRow, type LoanChange } from './loan-state.js';
import type { PayoffQuote } from './prepayment.js';
import type { Rational } from './rational.js';

export interface LineState {
  id: string;
  status: 'active' | 'closed' | 'written_off';
  credit_limit: bigint;
  /** What has been drawn in all (the loan row's `principal`). */
  drawn_minor: bigint;
  /** The drawn balance: unbilled_principal + billed principal not yet paid. */
  outstanding_principal: bigint;
  unbilled_principal: bigint;
  /** unbilled_interest + billed interest not yet paid. */
  accrued_interest: bigint;
  unbilled_interest: bigint;
  penalty_due: bigint;
  /** The fraction of a minor unit of interest carried to the next day. */
  carry: Rational;
  last_accrual_date: BusinessDate | null;
  last_statement_date: BusinessDate | null;
  /** null once the last statement (at maturity) is cut. */
  next_statement_date: BusinessDate | null;
  /** Rows that are not superseded. */
  rows: InstalmentRow[];
  next_number: number;
}

export type LineRefusal = { ok: false; code: string; field?: string; detail: string };

// ------------------------------------------------------------------ opening

/**
 * A new line's row fields and its row 1: cycle 1 with nothing billed yet but the origination
 * fee (charged into the fee receivable at opening, billed on statement 1), so the rows always
 * hold what the fee receivable does.
 */
export function openingLine(terms: LineTerms, limit_minor: bigint, draw_minor: bigint, fee_minor: bigint) {
  if (draw_minor < 0n || draw_minor > limit_minor) throw new RangeError(`a drawdown of ${draw_minor} on a limit of ${limit_minor}`);
  const first = statementDate(terms, 1);
  const row: InstalmentRow = {
    number: 1,
    period_number: 1,
    kind: 'scheduled',
    period_start: terms.start_date,
    due_date: first,
    interest_days: daysBetween(terms.start_date, first),
    principal: 0n,
    interest: 0n,
    fee: fee_minor,
    paid_principal: 0n,
    paid_interest: 0n,
    paid_fee: 0n,
    status: 'scheduled',
  };
  const record = {
    credit_limit: limit_minor,
    unbilled_principal: draw_minor,
    unbilled_interest: 0n,
    carry_num: '0',
    carry_den: '1',
    last_statement_date: null,
    next_statement_date: first,
  };
  return { row, record };
}

// ------------------------------------------------------------------ statements and daily interest

/** Cuts the statement due on `next_statement_date` (at the start of that day): the cycle's interest and the minimum payment become row k. */
export function cutStatement(state: LineState, terms: LineTerms): { state: LineState; row: InstalmentRow } {
  const date = state.next_statement_date;
  if (date === null) throw new Error(`line ${state.id}: every statement is already cut`);
  const k = statementNumberOn(terms, date);
  if (k === undefined) throw new Error(`line ${state.id}: ${date} is not one of its statement dates`);
  const last = k === terms.term_periods;
  const principal = minimumPayment(state.unbilled_principal, terms.minimum_payment, last);
  const existing = state.rows.find((r) => r.number === k);
  const period_start = k === 1 ? terms.start_date : statementDate(terms, k - 1);
  const row: InstalmentRow = {
    number: k,
    period_number: k,
    kind: 'scheduled',
    period_start,
    due_date: date,
    interest_days: daysBetween(period_start, date),
    principal,
    interest: state.unbilled_interest,
    fee: existing?.fee ?? 0n,
    paid_principal: 0n,
    paid_interest: 0n,
    paid_fee: existing?.paid_fee ?? 0n,
    status: 'scheduled',
  };
  // A statement that asks for nothing is paid at once (COB's statement step does the same).
  if (unpaid(row) === 0n) row.status = 'paid';
  return {
    row,
    state: {
      ...state,
      unbilled_principal: state.unbilled_principal - principal,
      unbilled_interest: 0n,
      last_statement_date: date,
      next_statement_date: last ? null : statementDate(terms, k + 1),
      rows: sortRows([...state.rows.filter((r) => r.number !== k), row]),
      next_number: Math.max(state.next_number, k + 1),
    },
  };
}

export interface LineCatchUp {
  state: LineState;
  /** Each day's interest not yet accrued, before `date` (days with nothing left out). */
  accruals: AccrualDay[];
  /** Statements cut on or before `date`, as rows to write (row 1 replaces the opening's). */
  statements: InstalmentRow[];
}

/**
 * What the close of business has not done yet for the line, up to `date` (the servicing
 * date): every day before `date` accrues its interest, and every statement date up to and
 * including `date` is cut at the start of its day — by the same rules and in the same order
 * as COB's statement and accrual steps, so COB then finds them done.
 */
export function lineCatchUp(state: LineState, terms: LineTerms, date: BusinessDate): LineCatchUp {
  let s = state;
  const accruals: AccrualDay[] = [];
  const statements: InstalmentRow[] = [];
  const cutDue = (day: BusinessDate) => {
    if (s.next_statement_date === null || s.next_statement_date > day) return;
    if (s.next_statement_date < day) throw new Error(`line ${s.id}: its statement of ${s.next_statement_date} was never cut`);
    const cut = cutStatement(s, terms);
    s = cut.state;
    statements.push(cut.row);
  };
  const from = s.last_accrual_date ? addDays(s.last_accrual_date, 1) : terms.start_date;
  for (let day = from; day < date; day = addDays(day, 1)) {
    cutDue(day);
    if (!accruesOn(terms, day)) continue;
    const accrued = lineDayInterest(s.unbilled_principal, terms.annual_rate, s.carry);
    s = { ...s, accrued_interest: s.accrued_interest + accrued.amount_minor, unbilled_interest: s.unbilled_interest + accrued.amount_minor, carry: accrued.carry };
    if (accrued.amount_minor > 0n) accruals.push({ date: day, amount_minor: accrued.amount_minor });
  }
  if (from < date) s = { ...s, last_accrual_date: addDays(date, -1) };
  cutDue(date);
  return { state: s, accruals, statements };
}

/** Days past due on `date` by the rows (what COB's ageing will say): from the oldest billed row with something unpaid. */
export function lineDaysPastDue(state: Pick<LineState, 'rows'>, date: BusinessDate): number {
  const oldest = sortRows(state.rows).find((r) => r.due_date <= date && r.status !== 'paid' && unpaid(r) > 0n);
  return daysPastDue(oldest?.due_date ?? null, date);
}

/**
 * The invariant of a line's rows (docs/lending.md): the billed principal and interest its
 * rows leave unpaid, plus what is not billed yet, are the line's balance and interest.
 * Returns what disagrees, or null.
 */
export function lineRowsMismatch(all: readonly InstalmentRow[], s: Pick<LineState, 'outstanding_principal' | 'unbilled_principal' | 'accrued_interest' | 'unbilled_interest'>): string | null {
  const rows = all.filter((r) => r.status !== 'superseded');
  const principal = rows.reduce((t, r) => t + r.principal - r.paid_principal, 0n);
  const interest = rows.reduce((t, r) => t + r.interest - r.paid_interest, 0n);
  if (principal + s.unbilled_principal === s.outstanding_principal && interest + s.unbilled_interest === s.accrued_interest) return null;
  return `the rows leave ${principal} principal and ${interest} interest unpaid and ${s.unbilled_principal} and ${s.unbilled_interest} are unbilled; the line owes ${s.outstanding_principal} and ${s.accrued_interest}`;
}

// ------------------------------------------------------------------ drawdowns

/** Whether `amount_minor` may be drawn on `date` (the line caught up to it). */
export function checkDrawdown(state: LineState, terms: LineTerms, amount_minor: bigint, date: BusinessDate): { ok: true } | LineRefusal {
  if (amount_minor < 1n) return { ok: false, code: 'invalid_request', field: 'amount', detail: 'a drawdown is at least 1 minor unit' };
  if (state.status !== 'active') return { ok: false, code: 'credit_line_closed', detail: `the line is ${state.status}` };
  const maturity = maturityOf(terms);
  if (date >= maturity) return { ok: false, code: 'credit_line_closed', detail: `the line matured on ${maturity}: nothing more can be drawn` };
  const dpd = lineDaysPastDue(state, date);
  if (dpd > 0) return { ok: false, code: 'credit_line_in_arrears', detail: `a statement is ${dpd} days past due: pay it before drawing again` };
  const available = state.credit_limit - state.outstanding_principal;
  if (amount_minor > available) return { ok: false, code: 'credit_limit_exceeded', field: 'amount', detail: `${available} of the ${state.credit_limit} limit is available` };
  return { ok: true };
}

// ------------------------------------------------------------------ repayments and payoff

/** The payoff on `date` (the line caught up to it): billed dues + the interest accrued since the last statement + a fee not yet billed + the unbilled balance. */
export function quoteLinePayoff(state: LineState, date: BusinessDate): PayoffQuote {
  const arrears = { penalty_minor: 0n, fee_minor: 0n, interest_minor: 0n, principal_minor: 0n };
  for (const due of duesOf(state, date)) {
    arrears.penalty_minor += due.penalty_minor;
    arrears.fee_minor += due.fee_minor;
    arrears.interest_minor += due.interest_minor;
    arrears.principal_minor += due.principal_minor;
  }
  const future_fee_minor = state.rows.filter((r) => r.due_date > date).reduce((s, r) => s + r.fee - r.paid_fee, 0n);
  const rest = state.unbilled_principal + state.unbilled_interest + future_fee_minor;
  return {
    date,
    arrears,
    prepaid_principal_minor: state.unbilled_principal,
    accrued_interest_minor: state.unbilled_interest,
    future_fee_minor,
    early_repayment_fee_minor: 0n,
    total_minor: arrears.penalty_minor + arrears.fee_minor + arrears.interest_minor + arrears.principal_minor + rest,
  };
}

export interface LineChange extends LoanChange {
  /** Of collected.principal, what reduced the unbilled balance. */
  unbilled_principal_paid: bigint;
  /** Of collected.interest, what settled interest not yet billed (a payoff). */
  unbilled_interest_paid: bigint;
}

export type LineChangeResult = { ok: true; kind: 'repayment' | 'payoff'; change: LineChange; allocation: Allocation; quote?: PayoffQuote } | LineRefusal;

/**
 * A repayment of `amount_minor` on `date` (the line caught up to it): the billed rows first,
 * in the documented order; the rest reduces the unbilled balance (at most all of it). With
 * `payoff`, the amount must be the payoff quote's total: it settles everything and closes
 * the line. A repayment that pays everything after the last statement also closes it.
 */
export function planLineRepayment(state: LineState, terms: LineTerms, amount_minor: bigint, date: BusinessDate, payoff: boolean): LineChangeResult {
  if (amount_minor < 1n && !payoff) return { ok: false, code: 'invalid_request', field: 'amount', detail: 'a repayment is at least 1 minor unit' };
  const allocation = allocateRepayment(duesOf(state, date), amount_minor, date);
  const by = allocation.by_component;
  const collected: Components = { penalty: by.penalty_minor, fee: by.fee_minor, interest: by.interest_minor, principal: by.principal_minor };
  const patches = patchesFromAllocation(state.rows, allocation);
  const rest = allocation.unapplied_minor;
  const quote = quoteLinePayoff(state, date);
  const base = { early_repayment_fee: 0n, patches, supersede: [] as number[], new_rows: [] as InstalmentRow[], maturity_date: null, unbilled_interest_paid: 0n };
  if (payoff) {
    if (amount_minor !== quote.total_minor) throw new Error(`line ${state.id}: a payoff of ${amount_minor}, the quote is ${quote.total_minor}`);
    const future = state.rows.filter((r) => r.due_date > date);
    const settles = quote.prepaid_principal_minor + quote.accrued_interest_minor + quote.future_fee_minor > 0n;
    const period_start = state.last_statement_date ?? terms.start_date;
    const settlement: InstalmentRow[] = settles
      ? [{
          number: state.next_number,
          period_number: (statementNumberOn(terms, period_start) ?? 0) + 1,
          kind: 'settlement',
          period_start,
          due_date: date,
          interest_days: daysBetween(period_start, date),
          principal: quote.prepaid_principal_minor,
          interest: quote.accrued_interest_minor,
          fee: quote.future_fee_minor,
          paid_principal: quote.prepaid_principal_minor,
          paid_interest: quote.accrued_interest_minor,
          paid_fee: quote.future_fee_minor,
          status: 'paid',
        }]
      : [];
    return {
      ok: true,
      kind: 'payoff',
      allocation,
      quote,
      change: {
        ...base,
        collected: {
          penalty: collected.penalty,
          fee: collected.fee + quote.future_fee_minor,
          interest: collected.interest + quote.accrued_interest_minor,
          principal: collected.principal + quote.prepaid_principal_minor,
        },
        prepaid_principal: quote.prepaid_principal_minor,
        supersede: future.map((r) => r.number),
        new_rows: settlement,
        closes: true,
        unbilled_principal_paid: quote.prepaid_principal_minor,
        unbilled_interest_paid: quote.accrued_interest_minor,
      },
    };
  }
  if (rest > state.unbilled_principal) {
    const billed = allocation.applied_minor;
    return {
      ok: false,
      code: 'repayment_exceeds_payoff',
      field: 'amount',
      detail: `${billed} is billed and ${state.unbilled_principal} of the drawn balance is unbilled: a repayment is at most ${billed + state.unbilled_principal}; paying off (everything, with the interest accrued since the last statement) takes ${quote.total_minor}`,
    };
  }
  const after = patched(state.rows, patches, []);
  const everythingPaid = state.next_statement_date === null && rest === state.unbilled_principal && state.unbilled_interest === 0n
    && collected.penalty === state.penalty_due && after.every((r) => r.status === 'paid' || unpaid(r) === 0n);
  return {
    ok: true,
    kind: 'repayment',
    allocation,
    change: { ...base, collected: { ...collected, principal: collected.principal + rest }, prepaid_principal: rest, closes: everythingPaid, unbilled_principal_paid: rest },
  };
}
