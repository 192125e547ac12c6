import { describe, expect, it } from 'vitest';
import { accruedBefore } from './accrual.js';
import { addDays, businessDate, daysBetween, type BusinessDate } from './dates.js';
import {
  accrualCatchUp,
  duesOf,
  planRepayment,
  planRestructure,
  prepaidPrincipalFor,
  quotePayoff,
  rowsFromSchedule,
  scheduleOf,
  scheduledPrincipal,
  servicingDate,
  sortRows,
  type ChangeResult,
  type LoanState,
} from './loan-state.js';
import { SME_WORKING_CAPITAL } from './demo-product.js';
import { validateProduct, type LoanProduct } from './products.js';
import { bpsOf } from './rates.js';
import { buildSchedule } from './schedule.js';

const d = businessDate;

function product(over: Record<string, unknown> = {}): LoanProduct {
  const checked = validateProduct({
    ...SME_WORKING_CAPITAL,
    id: 'sme',
    version: 1,
    name: 'SME',
    amount_min_minor: '100000',
    term_min_periods: 1,
    ...over,
  } as never);
  if (!checked.ok) throw new Error(checked.detail);
  return checked.product;
}

const P = product();
const START = d('2024-01-15');

/** The worked example: 100,000.00 at 12%, 12 months, from 2024-01-15; accrued through `accrued_through`. */
function loan(p: LoanProduct = P, principal = 10_000_000n, term = 12): LoanState {
  const built = buildSchedule({ product: p, principal_minor: principal, term_periods: term, start_date: START });
  if (!built.ok) throw new Error(built.detail);
  const rows = rowsFromSchedule(built.schedule, 1);
  return { id: 'L', status: 'active', start_date: START, outstanding_principal: principal, accrued_interest: 0n, penalty_due: 0n, last_accrual_date: null, rows, next_number: rows.length + 1 };
}

/** Accrues through the day before `date` (what COB or the catch-up would have posted). */
function accrued(state: LoanState, p: LoanProduct, date: BusinessDate): LoanState {
  const up = accrualCatchUp(scheduleOf(p, state.start_date, state.rows), state.start_date, state.last_accrual_date, date);
  return { ...state, accrued_interest: state.accrued_interest + up.days.reduce((s, x) => s + x.amount_minor, 0n), last_accrual_date: up.through };
}

/** Applies a planned change the way the store does. */
function apply(state: LoanState, result: ChangeResult): LoanState {
  if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
  const { change } = result;
  const patches = new Map(change.patches.map((p) => [p.number, p]));
  const gone = new Set(change.supersede);
  const rows = sortRows([...state.rows.filter((r) => !gone.has(r.number)).map((r) => ({ ...r, ...patches.get(r.number) })), ...change.new_rows]);
  return {
    ...state,
    status: change.closes ? 'closed' : state.status,
    outstanding_principal: state.outstanding_principal - change.collected.principal,
    accrued_interest: state.accrued_interest - change.collected.interest,
    penalty_due: state.penalty_due - change.collected.penalty,
    rows,
    next_number: state.next_number + change.new_rows.length,
  };
}

const unpaidPrincipal = (s: LoanState) => s.rows.reduce((t, r) => t + r.principal - r.paid_principal, 0n);

describe('rows and the core schedule', () => {
  it('round-trips: the rows of a new loan are the core schedule', () => {
    const built = buildSchedule({ product: P, principal_minor: 10_000_000n, term_periods: 12, start_date: START });
    if (!built.ok) throw new Error();
    const s = scheduleOf(P, START, rowsFromSchedule(built.schedule, 1));
    expect(s.instalments).toEqual(built.schedule.instalments);
    expect(s.totals).toEqual(built.schedule.totals);
  });

  it('catches up accrual day by day, summing to the period interest on its due date, and only once', () => {
    const s = loan();
    const up = accrualCatchUp(scheduleOf(P, START, s.rows), START, null, d('2024-02-15'));
    expect(up.days).toHaveLength(31);
    expect(up.through).toBe('2024-02-14');
    expect(up.days.reduce((t, x) => t + x.amount_minor, 0n)).toBe(100_000n);
    const again = accrualCatchUp(scheduleOf(P, START, s.rows), START, d('2024-02-14'), d('2024-02-15'));
    expect(again.days).toEqual([]);
    // Half-way: what is accrued is exactly what a payoff that day settles.
    const mid = accrualCatchUp(scheduleOf(P, START, s.rows), START, null, d('2024-01-20'));
    expect(mid.days.reduce((t, x) => t + x.amount_minor, 0n)).toBe(accruedBefore(scheduleOf(P, START, s.rows), d('2024-01-20')).amount_minor);
  });

  it('works on the day after the last accrued date when COB ran ahead of the clock', () => {
    expect(servicingDate(d('2024-02-15'), null)).toBe('2024-02-15');
    expect(servicingDate(d('2024-02-15'), d('2024-02-14'))).toBe('2024-02-15');
    expect(servicingDate(d('2024-02-15'), d('2024-02-20'))).toBe('2024-02-21');
  });

  it("puts the loan's penalty on the oldest unpaid due row", () => {
    const s = { ...loan(), penalty_due: 1234n };
    const dues = duesOf(s, d('2024-03-20'));
    expect(dues.map((x) => [x.instalment_number, x.penalty_minor])).toEqual([[1, 1234n], [2, 0n]]);
  });
});

describe('repayments', () => {
  it('pays an instalment on its due date: interest first, then principal; the row is paid', () => {
    const s = accrued(loan(), P, d('2024-02-15'));
    const planned = planRepayment(P, s, 888_488n, d('2024-02-15'));
    expect(planned.ok && planned.kind).toBe('repayment');
    if (!planned.ok) return;
    expect(planned.change.collected).toEqual({ penalty: 0n, fee: 0n, interest: 100_000n, principal: 788_488n });
    const after = apply(s, planned);
    expect(after.rows[0]!.status).toBe('paid');
    expect(after.accrued_interest).toBe(0n);
    expect(after.outstanding_principal).toBe(9_211_512n);
  });

  it('a short payment clears penalty, then interest, before principal, across the oldest instalments first', () => {
    let s = accrued(loan(), P, d('2024-03-20'));
    s = { ...s, penalty_due: 5_000n };
    const planned = planRepayment(P, s, 200_000n, d('2024-03-20'));
    if (!planned.ok) throw new Error(planned.detail);
    // penalty 5,000, interest 100,000 + 92,115 (both due rows), then 2,885 of principal on row 1.
    expect(planned.change.collected).toEqual({ penalty: 5_000n, fee: 0n, interest: 192_115n, principal: 2_885n });
    const after = apply(s, planned);
    expect(after.rows[0]).toMatchObject({ paid_principal: 2_885n, paid_interest: 100_000n, status: 'due' });
    expect(after.rows[1]).toMatchObject({ paid_principal: 0n, paid_interest: 92_115n, status: 'due' });
  });

  it('the rest after what is due prepays principal: the schedule is rebuilt, principal still sums (the worked 5,717.42)', () => {
    let s = accrued(loan(), P, d('2024-03-15'));
    s = apply(s, planRepayment(P, s, 888_488n, d('2024-02-15')));
    // On 2024-03-15 instalment 2 (888,488) is due; 3,000,000 more prepays 30,000.00.
    const planned = planRepayment(P, s, 888_488n + 3_000_000n, d('2024-03-15'));
    if (!planned.ok) throw new Error(planned.detail);
    expect(planned.kind).toBe('repayment');
    expect(planned.change.prepaid_principal).toBe(3_000_000n);
    const after = apply(s, planned);
    expect(scheduledPrincipal(after.rows)).toBe(10_000_000n);
    expect(unpaidPrincipal(after)).toBe(after.outstanding_principal);
    const future = after.rows.filter((r) => r.due_date > '2024-03-15');
    expect(future).toHaveLength(10);
    expect(future[0]!.principal + future[0]!.interest).toBe(571_742n);
    const settlement = after.rows.find((r) => r.kind === 'settlement')!;
    expect(settlement).toMatchObject({ principal: 3_000_000n, interest: 0n, due_date: '2024-03-15', status: 'paid' });
  });

  it('a mid-period prepayment settles the interest accrued so far and starts a broken period', () => {
    let s = accrued(loan(), P, d('2024-03-25'));
    s = apply(s, planRepayment(P, s, 888_488n * 2n, d('2024-03-15')));
    const accruedNow = accruedBefore(scheduleOf(P, START, s.rows), d('2024-03-25')).amount_minor;
    expect(accruedNow).toBe(27_145n); // 10 of 31 days of instalment 3's interest (docs/lending.md)
    const after = apply(s, planRepayment(P, s, 3_000_000n + accruedNow, d('2024-03-25')));
    const settlement = after.rows.find((r) => r.kind === 'settlement')!;
    expect(settlement).toMatchObject({ period_start: '2024-03-15', due_date: '2024-03-25', principal: 3_000_000n, interest: 27_145n });
    const next = after.rows.find((r) => r.period_start === '2024-03-25')!;
    expect(next.due_date).toBe('2024-04-15');
    expect(scheduledPrincipal(after.rows)).toBe(10_000_000n);
    // Periods never overlap: each day belongs to one row.
    const live = sortRows(after.rows);
    for (let i = 1; i < live.length; i++) expect(live[i]!.period_start >= live[i - 1]!.due_date || live[i - 1]!.period_start === live[i - 1]!.due_date).toBe(true);
  });

  it('the exact payoff amount closes the loan; more is refused; the quote says how much', () => {
    const s = accrued(loan(), P, d('2024-01-17'));
    const quoted = quotePayoff(P, s, d('2024-01-17'));
    if (!quoted.ok) throw new Error(quoted.detail);
    expect(quoted.quote.total_minor).toBe(10_006_452n); // 100,000.00 + 64.52 accrued (2 of 31 days)
    const more = planRepayment(P, s, 10_006_453n, d('2024-01-17'));
    expect(more).toMatchObject({ ok: false, code: 'repayment_exceeds_payoff', field: 'amount' });
    const planned = planRepayment(P, s, 10_006_452n, d('2024-01-17'));
    if (!planned.ok) throw new Error(planned.detail);
    expect(planned.kind).toBe('payoff');
    const after = apply(s, planned);
    expect(after.status).toBe('closed');
    expect(after.outstanding_principal).toBe(0n);
    expect(after.accrued_interest).toBe(0n);
    expect(scheduledPrincipal(after.rows)).toBe(10_000_000n);
    expect(after.rows.every((r) => r.status === 'paid')).toBe(true);
  });

  it('refuses early repayment the product forbids, or before min_months, but takes what is due', () => {
    const locked = product({ early_repayment: { allowed: false, fee_bps: 0, min_months: 0 } });
    const s = accrued(loan(locked), locked, d('2024-02-15'));
    expect(planRepayment(locked, s, 888_489n, d('2024-02-15'))).toMatchObject({ ok: false, code: 'early_repayment_not_allowed' });
    expect(planRepayment(locked, s, 888_488n, d('2024-02-15')).ok).toBe(true);
    const later = product({ early_repayment: { allowed: true, fee_bps: 0, min_months: 3 } });
    const l = accrued(loan(later), later, d('2024-02-15'));
    expect(planRepayment(later, l, 900_000n, d('2024-02-15'))).toMatchObject({ ok: false, code: 'early_repayment_too_soon' });
  });

  it('with an early-repayment fee, the amount must be principal + fee + accrued interest exactly', () => {
    const feeing = product({ early_repayment: { allowed: true, fee_bps: 100, min_months: 0 } });
    const s = accrued(loan(feeing), feeing, d('2024-02-15'));
    const paidDue = apply(s, planRepayment(feeing, s, 888_488n, d('2024-02-15')));
    const ok = planRepayment(feeing, paidDue, 1_010_000n, d('2024-02-15'));
    if (!ok.ok) throw new Error(ok.detail);
    expect(ok.change).toMatchObject({ prepaid_principal: 1_000_000n, early_repayment_fee: 10_000n });
    expect(ok.change.collected.fee).toBe(10_000n);
    // X + round-half-up(X/100) jumps from 1,010,049 (X = 1,000,049) to 1,010,051 (X = 1,000,050): 1,010,050 has no X.
    expect(prepaidPrincipalFor(1_010_050n, 100)).toBeUndefined();
    const inexact = planRepayment(feeing, paidDue, 1_010_050n, d('2024-02-15'));
    expect(inexact).toMatchObject({ ok: false, code: 'prepayment_amount_inexact', field: 'amount' });
  });

  it('finds the prepaid principal for every amount that has one (X + round-half-up(X·bps) is onto most amounts)', () => {
    for (const bps of [0, 1, 50, 100, 250, 10_000]) {
      for (let x = 1n; x < 3_000n; x += 7n) expect(prepaidPrincipalFor(x + bpsOf(x, bps), bps)).toBe(x);
    }
  });
});

describe('restructure', () => {
  it('the worked example: instalment 3 unpaid, 24 months from 2024-05-01 → 3,961.30 a month; principal still sums; overdue interest stays due', () => {
    let s = accrued(loan(), P, d('2024-05-01'));
    s = apply(s, planRepayment(P, s, 888_488n * 2n, d('2024-03-15'))); // instalments 1 and 2
    const planned = planRestructure(P, s, 24, d('2024-05-01'));
    if (!planned.ok) throw new Error(planned.detail);
    expect(planned.change.collected).toEqual({ penalty: 0n, fee: 0n, interest: 0n, principal: 0n });
    const after = apply(s, planned);
    const rebuilt = after.rows.filter((r) => r.kind === 'scheduled' && r.due_date > '2024-05-01');
    expect(rebuilt).toHaveLength(24);
    expect(rebuilt.slice(1, 23).every((r) => r.principal + r.interest === 396_130n)).toBe(true);
    expect(rebuilt.reduce((t, r) => t + r.principal, 0n)).toBe(8_415_139n);
    expect(scheduledPrincipal(after.rows)).toBe(10_000_000n);
    expect(unpaidPrincipal(after)).toBe(s.outstanding_principal);
    // Instalment 3's interest is still due (overdue); its principal moved into the new schedule.
    const third = after.rows.find((r) => r.number === 3)!;
    expect(third).toMatchObject({ principal: 0n, paid_interest: 0n, status: 'scheduled' });
    expect(third.interest).toBeGreaterThan(0n);
    // The interest accrued 2024-04-15..04-30 stays due now, on a settlement row.
    const settlement = after.rows.find((r) => r.kind === 'settlement')!;
    expect(settlement).toMatchObject({ period_start: '2024-04-15', due_date: '2024-05-01', principal: 0n, status: 'due' });
    expect(settlement.interest).toBe(accruedBefore(scheduleOf(P, START, s.rows), d('2024-05-01')).amount_minor);
    expect(after.rows.every((r) => daysBetween(r.period_start, r.due_date) >= 0)).toBe(true);
    expect(addDays(settlement.due_date, 0)).toBe(rebuilt[0]!.period_start);
  });
});
