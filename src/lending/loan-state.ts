/**
 * A loan's stored schedule (loan_instalments rows) as the pure core sees it, and what a
 * servicing operation changes in those rows. Pure: rows in, changes out; the store writes
 * them and the postings (postings.ts) move the money, in one transaction.
 *
 * Rows (docs/lending.md, "Servicing"): `number` is a line number; `period_number` the
 * period counted from the start date. A rebuilt schedule marks the rows it replaces
 * `superseded` and appends its own; an early repayment or a restructure also appends a
 * `settlement` row for what it settled on its date (the period [period start, date): the
 * principal prepaid, the interest accrued so far, the early-repayment fee). The rows that are
 * not superseded therefore always sum to the loan's principal, and their periods never
 * overlap, so the accrual (COB's and the catch-up's) finds one period per day.
 */
import { accrualForDate, accruedBefore, instalmentAt } from './accrual.js';
import { allocateRepayment, type Allocation, type InstalmentDue } from './allocation.js';
import { addDays, daysBetween, type BusinessDate } from './dates.js';
import { dayCountDays } from './daycount.js';
import { periodNumberAt } from './periods.js';
import { payoffQuote, prepayPartial, restructure, type PayoffQuote } from './prepayment.js';
import type { LoanProduct } from './products.js';
import { bpsOf } from './rates.js';
import { totalsOf, type Instalment, type Schedule } from './schedule.js';

export type InstalmentStatus = 'scheduled' | 'due' | 'overdue' | 'paid' | 'superseded';

export interface InstalmentRow {
  number: number;
  period_number: number;
  kind: 'scheduled' | 'settlement';
  period_start: BusinessDate;
  due_date: BusinessDate;
  interest_days: number;
  principal: bigint;
  interest: bigint;
  fee: bigint;
  paid_principal: bigint;
  paid_interest: bigint;
  paid_fee: bigint;
  status: InstalmentStatus;
}

/** What servicing reads of a loan, under its row lock. */
export interface LoanState {
  id: string;
  status: 'active' | 'closed' | 'written_off';
  start_date: BusinessDate;
  outstanding_principal: bigint;
  accrued_interest: bigint;
  penalty_due: bigint;
  /** The last business date whose interest is accrued (COB's marker, also moved by the catch-up). */
  last_accrual_date: BusinessDate | null;
  /** Rows that are not superseded, in schedule order. */
  rows: InstalmentRow[];
  /** The next free line number (over every row, superseded ones too). */
  next_number: number;
}

export const sortRows = (rows: readonly InstalmentRow[]): InstalmentRow[] =>
  [...rows].sort((a, b) => (a.due_date !== b.due_date ? (a.due_date < b.due_date ? -1 : 1) : a.period_start !== b.period_start ? (a.period_start < b.period_start ? -1 : 1) : a.number - b.number));

/** New rows for a (re)built schedule, numbered from `first_number`. */
export function rowsFromSchedule(schedule: Schedule, first_number: number): InstalmentRow[] {
  return schedule.instalments.map((i, k) => ({
    number: first_number + k,
    period_number: i.number,
    kind: 'scheduled',
    period_start: i.period_start,
    due_date: i.due_date,
    interest_days: i.interest_days,
    principal: i.principal_minor,
    interest: i.interest_minor,
    fee: i.fee_minor,
    paid_principal: 0n,
    paid_interest: 0n,
    paid_fee: 0n,
    // A zero instalment (a tiny annuity retired early) asks for nothing.
    status: i.principal_minor + i.interest_minor + i.fee_minor === 0n ? 'paid' : 'scheduled',
  }));
}

/** The core's view of the rows: a Schedule whose instalment numbers are the period numbers. */
export function scheduleOf(product: LoanProduct, start_date: BusinessDate, rows: readonly InstalmentRow[]): Schedule {
  if (product.repayment_method === 'revolving') throw new Error('a revolving line has no schedule');
  let balance = rows.reduce((s, r) => s + r.principal, 0n);
  const instalments: Instalment[] = sortRows(rows).map((r) => {
    balance -= r.principal;
    return {
      number: r.period_number,
      period_start: r.period_start,
      period_end: r.due_date,
      days: daysBetween(r.period_start, r.due_date),
      interest_days: r.interest_days,
      due_date: r.due_date,
      principal_minor: r.principal,
      interest_minor: r.interest,
      fee_minor: r.fee,
      payment_minor: r.principal + r.interest,
      balance_after_minor: balance,
    };
  });
  return {
    method: product.repayment_method,
    frequency: product.frequency,
    day_count: product.day_count,
    annual_rate: product.annual_rate,
    start_date,
    principal_minor: instalments.reduce((s, i) => s + i.principal_minor, 0n),
    level_payment_minor: null,
    instalments,
    totals: totalsOf(instalments),
  };
}

/** What a row still asks for (principal, interest and fee). */
export const unpaid = (r: InstalmentRow) => r.principal - r.paid_principal + (r.interest - r.paid_interest) + (r.fee - r.paid_fee);

/**
 * What is due on `date`: the unpaid remainder of every row due by then (by line number),
 * with the loan's penalty (charged by COB per loan, not per row) on the oldest unpaid one:
 * allocation pays every penalty before any fee, so where it sits changes nothing else.
 */
export function duesOf(state: Pick<LoanState, 'rows' | 'penalty_due'>, date: BusinessDate): InstalmentDue[] {
  const due = sortRows(state.rows).filter((r) => r.due_date <= date && r.status !== 'paid' && unpaid(r) > 0n);
  const dues = due.map((r) => ({
    instalment_number: r.number,
    due_date: r.due_date,
    penalty_minor: 0n,
    fee_minor: r.fee - r.paid_fee,
    interest_minor: r.interest - r.paid_interest,
    principal_minor: r.principal - r.paid_principal,
  }));
  if (state.penalty_due > 0n) {
    if (dues.length > 0) dues[0]!.penalty_minor = state.penalty_due;
    else {
      const last = sortRows(state.rows).filter((r) => r.due_date <= date).pop();
      if (last) dues.push({ instalment_number: last.number, due_date: last.due_date, penalty_minor: state.penalty_due, fee_minor: 0n, interest_minor: 0n, principal_minor: 0n });
    }
  }
  return dues;
}

// ------------------------------------------------------------------ accrual catch-up

export interface AccrualDay {
  date: BusinessDate;
  amount_minor: bigint;
}

/** The business date servicing works on: today, or the day after the last accrued date if COB ran ahead of the clock. */
export function servicingDate(today: BusinessDate, last_accrual_date: BusinessDate | null): BusinessDate {
  if (last_accrual_date && last_accrual_date >= today) return addDays(last_accrual_date, 1);
  return today;
}

/**
 * The scheduled interest of the days COB has not accrued yet, up to the day before `date`:
 * each day's amount by the rule COB uses (accrual.ts), so the receivable holds exactly
 * what a payment on `date` settles. Days with nothing to accrue are left out.
 */
export function accrualCatchUp(schedule: Pick<Schedule, 'instalments'>, start_date: BusinessDate, last_accrual_date: BusinessDate | null, date: BusinessDate): { days: AccrualDay[]; through: BusinessDate | null } {
  const from = last_accrual_date ? addDays(last_accrual_date, 1) : start_date;
  const through = addDays(date, -1);
  const days: AccrualDay[] = [];
  if (from > through) return { days, through: last_accrual_date };
  for (let d = from; d <= through; d = addDays(d, 1)) {
    const { amount_minor } = accrualForDate(schedule, d);
    if (amount_minor > 0n) days.push({ date: d, amount_minor });
  }
  return { days, through };
}

// ------------------------------------------------------------------ changes

export interface Components {
  penalty: bigint;
  fee: bigint;
  interest: bigint;
  principal: bigint;
}

export const zero = (): Components => ({ penalty: 0n, fee: 0n, interest: 0n, principal: 0n });

export interface RowPatch {
  number: number;
  paid_principal: bigint;
  paid_interest: bigint;
  paid_fee: bigint;
  principal: bigint;
  status: InstalmentStatus;
}

/** A servicing operation's effect on the rows and the loan (money: postings.ts). */
export interface LoanChange {
  /** Credited to each receivable from the customer's account. */
  collected: Components;
  /** An early-repayment fee charged (fee receivable ← fee income) and collected at once. */
  early_repayment_fee: bigint;
  /** Principal paid before it was due (part of collected.principal). */
  prepaid_principal: bigint;
  patches: RowPatch[];
  supersede: number[];
  new_rows: InstalmentRow[];
  closes: boolean;
  /** The maturity after a rebuild (the last row's due date). */
  maturity_date: BusinessDate | null;
}

export type ChangeResult =
  | { ok: true; kind: 'repayment' | 'payoff' | 'restructure'; change: LoanChange; allocation?: Allocation; quote?: PayoffQuote }
  | { ok: false; code: string; detail: string; field?: string };

export function patchesFromAllocation(rows: readonly InstalmentRow[], allocation: Allocation): RowPatch[] {
  const byNumber = new Map(rows.map((r) => [r.number, r]));
  return allocation.applied
    .filter((a) => a.fee_minor + a.interest_minor + a.principal_minor > 0n)
    .map((a) => {
      const r = byNumber.get(a.instalment_number)!;
      const patch = {
        number: r.number,
        paid_principal: r.paid_principal + a.principal_minor,
        paid_interest: r.paid_interest + a.interest_minor,
        paid_fee: r.paid_fee + a.fee_minor,
        principal: r.principal,
      };
      const paid = patch.paid_principal === r.principal && patch.paid_interest === r.interest && patch.paid_fee === r.fee;
      return { ...patch, status: paid ? 'paid' : r.status === 'scheduled' ? 'due' : r.status };
    });
}

/** Rows after the patches (for "is anything left?"). */
export function patched(rows: readonly InstalmentRow[], patches: readonly RowPatch[], supersede: readonly number[]): InstalmentRow[] {
  const byNumber = new Map(patches.map((p) => [p.number, p]));
  const gone = new Set(supersede);
  return rows.filter((r) => !gone.has(r.number)).map((r) => ({ ...r, ...byNumber.get(r.number) }));
}

/** The period holding `date` among the rows not yet due on it (its start is where a settlement row begins). */
function currentPeriod(rows: readonly InstalmentRow[], date: BusinessDate): { period_start: BusinessDate; period_number: number } | null {
  const row = sortRows(rows).find((r) => r.period_start <= date && r.due_date > date);
  return row ? { period_start: row.period_start, period_number: row.period_number } : null;
}

function settlementRow(
  product: LoanProduct,
  start_date: BusinessDate,
  rows: readonly InstalmentRow[],
  number: number,
  date: BusinessDate,
  amounts: { principal: bigint; interest: bigint; fee: bigint },
  paid: boolean,
): InstalmentRow {
  const current = currentPeriod(rows, date) ?? { period_start: date, period_number: periodNumberAt(start_date, product.frequency, date) };
  return {
    number,
    period_number: current.period_number,
    kind: 'settlement',
    period_start: current.period_start,
    due_date: date,
    interest_days: Math.max(0, dayCountDays(product.day_count, current.period_start, date)),
    principal: amounts.principal,
    interest: amounts.interest,
    fee: amounts.fee,
    paid_principal: paid ? amounts.principal : 0n,
    paid_interest: paid ? amounts.interest : 0n,
    paid_fee: paid ? amounts.fee : 0n,
    status: paid || amounts.principal + amounts.interest + amounts.fee === 0n ? 'paid' : 'due',
  };
}

const futureRows = (rows: readonly InstalmentRow[], date: BusinessDate) => rows.filter((r) => r.due_date > date);

/**
 * A repayment of `amount_minor` on `date`, in the documented order: what is due (allocation.ts),
 * then the rest as an early repayment — the exact payoff amount closes the loan, less
 * prepays principal and rebuilds the schedule (same periods, lower payment), more is refused.
 */
export function planRepayment(product: LoanProduct, state: LoanState, amount_minor: bigint, date: BusinessDate): ChangeResult {
  if (amount_minor < 1n) return { ok: false, code: 'invalid_request', field: 'amount', detail: 'a repayment is at least 1 minor unit' };
  const allocation = allocateRepayment(duesOf(state, date), amount_minor, date);
  const collected: Components = {
    penalty: allocation.by_component.penalty_minor,
    fee: allocation.by_component.fee_minor,
    interest: allocation.by_component.interest_minor,
    principal: allocation.by_component.principal_minor,
  };
  const patches = patchesFromAllocation(state.rows, allocation);
  const rest = allocation.unapplied_minor;
  if (rest === 0n) {
    const after = patched(state.rows, patches, []);
    const closes = after.every((r) => r.status === 'paid' || unpaid(r) === 0n) && state.penalty_due === collected.penalty;
    return { ok: true, kind: 'repayment', allocation, change: { collected, early_repayment_fee: 0n, prepaid_principal: 0n, patches, supersede: [], new_rows: [], closes, maturity_date: null } };
  }

  // Everything due is paid; the rest repays early.
  const rows = patched(state.rows, patches, []);
  const future = futureRows(rows, date);
  const schedule = scheduleOf(product, state.start_date, rows);
  const owedNow = allocation.applied_minor;
  if (future.every((r) => r.principal === 0n && r.fee === 0n)) {
    return { ok: false, code: 'repayment_exceeds_payoff', field: 'amount', detail: `only ${owedNow} is owed on ${date}; nothing else is outstanding` };
  }
  const quoted = payoffQuote(product, { schedule, arrears: [] }, date);
  if (!quoted.ok) return { ok: false, code: quoted.code, field: 'amount', detail: `${quoted.detail}; at most ${owedNow} (what is due) can be repaid today` };
  const quote = quoted.quote;
  const supersede = future.map((r) => r.number);
  if (rest > quote.total_minor) {
    return { ok: false, code: 'repayment_exceeds_payoff', field: 'amount', detail: `repaying everything on ${date} takes ${owedNow + quote.total_minor}; ${amount_minor} is more` };
  }
  if (rest === quote.total_minor) {
    const settlement = settlementRow(product, state.start_date, rows, state.next_number, date, {
      principal: quote.prepaid_principal_minor,
      interest: quote.accrued_interest_minor,
      fee: quote.future_fee_minor + quote.early_repayment_fee_minor,
    }, true);
    return {
      ok: true,
      kind: 'payoff',
      allocation,
      quote,
      change: {
        collected: {
          penalty: collected.penalty,
          fee: collected.fee + quote.future_fee_minor + quote.early_repayment_fee_minor,
          interest: collected.interest + quote.accrued_interest_minor,
          principal: collected.principal + quote.prepaid_principal_minor,
        },
        early_repayment_fee: quote.early_repayment_fee_minor,
        prepaid_principal: quote.prepaid_principal_minor,
        patches,
        supersede,
        new_rows: [settlement],
        closes: true,
        maturity_date: date,
      },
    };
  }
  return planPrepayment(product, state, rows, schedule, allocation, collected, patches, rest, date);
}

/** The principal X with X + fee(X) = `available` exactly, if one exists (the fee rounds half-up). */
export function prepaidPrincipalFor(available: bigint, fee_bps: number): bigint | undefined {
  if (available < 1n) return undefined;
  const guess = (available * 10_000n) / (10_000n + BigInt(fee_bps));
  for (const x of [guess - 1n, guess, guess + 1n]) if (x >= 1n && x + bpsOf(x, fee_bps) === available) return x;
  return undefined;
}

function planPrepayment(
  product: LoanProduct,
  state: LoanState,
  rows: InstalmentRow[],
  schedule: Schedule,
  allocation: Allocation,
  collected: Components,
  patches: RowPatch[],
  rest: bigint,
  date: BusinessDate,
): ChangeResult {
  const accrued = accruedBefore(schedule, date).amount_minor;
  const principal = prepaidPrincipalFor(rest - accrued, product.early_repayment.fee_bps);
  if (principal === undefined) {
    const near = [rest - 1n, rest + 1n].filter((r) => prepaidPrincipalFor(r - accrued, product.early_repayment.fee_bps) !== undefined);
    const detail = rest <= accrued
      ? `after what is due, ${rest} does not exceed the ${accrued} of interest accrued this period: a prepayment must also repay principal`
      : `${rest} is not principal plus its ${product.early_repayment.fee_bps} bps early-repayment fee plus the ${accrued} accrued interest exactly${near.length ? `; ${near.map((r) => allocation.applied_minor + r).join(' or ')} would be` : ''}`;
    return { ok: false, code: rest <= accrued ? 'prepayment_out_of_range' : 'prepayment_amount_inexact', field: 'amount', detail };
  }
  const prepaid = prepayPartial(product, { schedule, arrears: [] }, date, principal);
  if (!prepaid.ok) return { ok: false, code: prepaid.code, field: 'amount', detail: prepaid.detail };
  const { settlement } = prepaid;
  if (settlement.total_minor !== rest) throw new Error(`prepayment of ${principal} settles ${settlement.total_minor}, not ${rest}`);
  const settlementLine = settlementRow(product, state.start_date, rows, state.next_number, date, {
    principal,
    interest: settlement.accrued_interest_minor,
    fee: settlement.early_repayment_fee_minor,
  }, true);
  const rebuilt = rowsFromSchedule(prepaid.schedule, state.next_number + 1);
  return {
    ok: true,
    kind: 'repayment',
    allocation,
    change: {
      collected: {
        penalty: collected.penalty,
        fee: collected.fee + settlement.early_repayment_fee_minor,
        interest: collected.interest + settlement.accrued_interest_minor,
        principal: collected.principal + principal,
      },
      early_repayment_fee: settlement.early_repayment_fee_minor,
      prepaid_principal: principal,
      patches,
      supersede: futureRows(rows, date).map((r) => r.number),
      new_rows: [settlementLine, ...rebuilt],
      closes: false,
      maturity_date: rebuilt[rebuilt.length - 1]!.due_date,
    },
  };
}

/** The payoff quote on `date` with nothing paid before it (penalties COB may still charge are not in it). */
export function quotePayoff(product: LoanProduct, state: LoanState, date: BusinessDate): { ok: true; quote: PayoffQuote; due_minor: bigint } | { ok: false; code: string; detail: string } {
  const dues = duesOf(state, date);
  const schedule = scheduleOf(product, state.start_date, state.rows);
  const quoted = payoffQuote(product, { schedule, arrears: dues.filter((d) => d.due_date <= date) }, date);
  if (!quoted.ok) return quoted;
  const q = quoted.quote;
  return { ok: true, quote: q, due_minor: q.arrears.penalty_minor + q.arrears.fee_minor + q.arrears.interest_minor + q.arrears.principal_minor };
}

/**
 * A restructure on `date` over `term_periods` new periods: every unpaid principal (overdue
 * and not yet due) is rescheduled from the date; overdue interest, fees and penalties and
 * this period's interest accrued so far stay due now (a settlement row holds the latter).
 * No money moves: the receivables are what they were.
 */
export function planRestructure(product: LoanProduct, state: LoanState, term_periods: number, date: BusinessDate): ChangeResult {
  const dues = duesOf(state, date);
  const schedule = scheduleOf(product, state.start_date, state.rows);
  const result = restructure({ schedule, arrears: dues }, term_periods, date);
  if (!result.ok) return { ok: false, code: result.code, field: result.code === 'term_out_of_range' ? 'term' : undefined, detail: result.detail };
  const { restructuring } = result;
  const patches: RowPatch[] = state.rows
    .filter((r) => r.due_date <= date && r.paid_principal < r.principal)
    .map((r) => {
      const paid = r.paid_interest === r.interest && r.paid_fee === r.fee;
      return { number: r.number, paid_principal: r.paid_principal, paid_interest: r.paid_interest, paid_fee: r.paid_fee, principal: r.paid_principal, status: paid ? 'paid' : r.status };
    });
  const moved = patches.reduce((s, p) => s + (state.rows.find((r) => r.number === p.number)!.principal - p.principal), 0n);
  if (moved !== restructuring.rescheduled_arrears_principal_minor) throw new Error(`restructure moved ${moved} of overdue principal, the core ${restructuring.rescheduled_arrears_principal_minor}`);
  const accrued = accruedBefore(schedule, date).amount_minor;
  const newRows: InstalmentRow[] = [];
  let next = state.next_number;
  const current = currentPeriod(state.rows, date);
  if (current && current.period_start < date) newRows.push(settlementRow(product, state.start_date, state.rows, next++, date, { principal: 0n, interest: accrued, fee: 0n }, false));
  const rebuilt = rowsFromSchedule(restructuring.schedule, next);
  newRows.push(...rebuilt);
  return {
    ok: true,
    kind: 'restructure',
    change: {
      collected: zero(),
      early_repayment_fee: 0n,
      prepaid_principal: 0n,
      patches,
      supersede: futureRows(state.rows, date).map((r) => r.number),
      new_rows: newRows,
      closes: false,
      maturity_date: rebuilt[rebuilt.length - 1]!.due_date,
    },
  };
}

/** Σ principal of the rows that are not superseded: always the loan's principal. */
export function scheduledPrincipal(rows: readonly InstalmentRow[]): bigint {
  return rows.filter((r) => r.status !== 'superseded').reduce((s, r) => s + r.principal, 0n);
}

/** Fees charged and not yet collected, by the rows: what the fee receivable must hold. */
export function unpaidFees(rows: readonly InstalmentRow[]): bigint {
  return rows.filter((r) => r.status !== 'superseded').reduce((s, r) => s + r.fee - r.paid_fee, 0n);
}

export { instalmentAt };
