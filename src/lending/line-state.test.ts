/**
 * A revolving line as servicing sees it: the statement cut at the start of its date, the
 * catch-up of days and statements (in COB's order), drawdown refusals, repayments in the
 * documented order then against the unbilled balance, the payoff, and closing.
 */
import { describe, expect, it } from 'vitest';
import { lineTerms, type LineTerms } from './credit-line.js';
import { businessDate as d } from './dates.js';
import { checkDrawdown, cutStatement, lineCatchUp, lineDaysPastDue, lineRowsMismatch, openingLine, planLineRepayment, quoteLinePayoff, type LineState } from './line-state.js';
import { ZERO } from './rational.js';
import { testProduct } from '../../test/helpers/lending-product.js';

/** 18.25% a year on actual/365: 10,000.00 drawn earns 5.00 a day. Minimum payment 5%, at least 100.00. */
const PRODUCT = testProduct({ repayment_method: 'revolving', day_count: 'actual/365', annual_rate_percent: '18.25', minimum_payment: { bps: 500, floor_minor: 10_000n } });

function opened(draw: bigint, term = 12, fee = 2_000n, start = '2024-01-15'): { state: LineState; terms: LineTerms } {
  const terms = lineTerms(PRODUCT, d(start), term);
  const { row, record } = openingLine(terms, 5_000_000n, draw, fee);
  return {
    terms,
    state: {
      id: 'line',
      status: 'active',
      credit_limit: record.credit_limit,
      drawn_minor: draw,
      outstanding_principal: draw,
      unbilled_principal: draw,
      accrued_interest: 0n,
      unbilled_interest: 0n,
      penalty_due: 0n,
      carry: ZERO,
      last_accrual_date: null,
      last_statement_date: null,
      next_statement_date: record.next_statement_date,
      rows: [row],
      next_number: 2,
    },
  };
}

describe('the statement', () => {
  it('is cut at the start of its date: the cycle’s interest, the minimum payment and (statement 1) the fee', () => {
    const { state, terms } = opened(1_000_000n);
    const cut = cutStatement({ ...state, unbilled_interest: 15_500n, accrued_interest: 15_500n }, terms);
    expect(cut.row).toMatchObject({ number: 1, period_start: '2024-01-15', due_date: '2024-02-15', interest_days: 31, principal: 50_000n, interest: 15_500n, fee: 2_000n, status: 'scheduled' });
    expect(cut.state).toMatchObject({ unbilled_principal: 950_000n, unbilled_interest: 0n, outstanding_principal: 1_000_000n, last_statement_date: '2024-02-15', next_statement_date: '2024-03-15' });
    expect(cut.state.rows).toHaveLength(1);
    expect(lineRowsMismatch(cut.state.rows, cut.state)).toBeNull();
  });

  it('the last one (maturity) bills the whole balance and ends the statements; one that asks for nothing is paid at once', () => {
    const { state, terms } = opened(1_000_000n, 1, 0n);
    const cut = cutStatement(state, terms);
    expect(cut.row).toMatchObject({ principal: 1_000_000n, status: 'scheduled' });
    expect(cut.state).toMatchObject({ unbilled_principal: 0n, next_statement_date: null });
    const idle = cutStatement(opened(0n, 3, 0n).state, opened(0n, 3, 0n).terms);
    expect(idle.row).toMatchObject({ principal: 0n, interest: 0n, fee: 0n, status: 'paid' });
  });
});

describe('lineCatchUp', () => {
  it('accrues each day before the date and cuts each statement date at its start, in COB’s order', () => {
    const { state, terms } = opened(1_000_000n);
    const caught = lineCatchUp(state, terms, d('2024-02-16'));
    // 2024-01-15 .. 02-14 on 10,000.00 (31 × 500), the cut on 02-15, then 02-15 on 9,500.00.
    expect(caught.accruals).toHaveLength(32);
    expect(caught.accruals.at(-1)).toEqual({ date: '2024-02-15', amount_minor: 475n });
    expect(caught.statements).toEqual([expect.objectContaining({ number: 1, interest: 15_500n, principal: 50_000n, fee: 2_000n })]);
    expect(caught.state).toMatchObject({ accrued_interest: 15_975n, unbilled_interest: 475n, unbilled_principal: 950_000n, last_accrual_date: '2024-02-15', next_statement_date: '2024-03-15' });
    // Catching up again from there does nothing; catching up to a statement date cuts it (the date's own interest is not accrued).
    expect(lineCatchUp(caught.state, terms, d('2024-02-16'))).toMatchObject({ accruals: [], statements: [] });
    const onDate = lineCatchUp(caught.state, terms, d('2024-03-15'));
    expect(onDate.state.last_accrual_date).toBe('2024-03-14');
    expect(onDate.statements).toEqual([expect.objectContaining({ number: 2, period_start: '2024-02-15', interest: 475n * 29n, principal: 47_500n })]);
  });

  it('stops accruing at maturity and cuts the last statement there', () => {
    const { state, terms } = opened(1_000_000n, 2, 0n);
    const caught = lineCatchUp(state, terms, d('2024-04-30'));
    expect(caught.statements.map((r) => r.due_date)).toEqual(['2024-02-15', '2024-03-15']);
    expect(caught.accruals.at(-1)!.date).toBe('2024-03-14');
    expect(caught.state).toMatchObject({ unbilled_principal: 0n, unbilled_interest: 0n, next_statement_date: null, last_accrual_date: '2024-04-29' });
    expect(caught.statements[1]!.principal).toBe(950_000n);
  });
});

describe('drawdowns', () => {
  it('are refused past maturity, with a statement past due, above what is available', () => {
    const { state, terms } = opened(4_000_000n);
    expect(checkDrawdown(state, terms, 1_000_000n, d('2024-01-20'))).toEqual({ ok: true });
    expect(checkDrawdown(state, terms, 1_000_001n, d('2024-01-20'))).toMatchObject({ ok: false, code: 'credit_limit_exceeded', detail: expect.stringContaining('1000000 of the 5000000') });
    expect(checkDrawdown(state, terms, 0n, d('2024-01-20'))).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(checkDrawdown(state, terms, 1n, d('2025-01-15'))).toMatchObject({ ok: false, code: 'credit_line_closed' });
    expect(checkDrawdown({ ...state, status: 'closed' }, terms, 1n, d('2024-01-20'))).toMatchObject({ ok: false, code: 'credit_line_closed' });
    const billed = lineCatchUp(state, terms, d('2024-02-15')).state;
    expect(lineDaysPastDue(billed, d('2024-02-15'))).toBe(0); // due today: not in arrears yet
    expect(checkDrawdown(billed, terms, 1n, d('2024-02-15'))).toEqual({ ok: true });
    const late = lineCatchUp(billed, terms, d('2024-02-17')).state;
    expect(checkDrawdown(late, terms, 1n, d('2024-02-17'))).toMatchObject({ ok: false, code: 'credit_line_in_arrears' });
  });
});

describe('repayments', () => {
  const billed = () => {
    const { state, terms } = opened(1_000_000n);
    return { state: lineCatchUp(state, terms, d('2024-02-16')).state, terms };
  };

  it('pay the billed statement in the documented order, then reduce the unbilled balance', () => {
    const { state, terms } = billed();
    const small = planLineRepayment(state, terms, 10_000n, d('2024-02-16'), false);
    expect(small).toMatchObject({ ok: true, kind: 'repayment', change: { collected: { penalty: 0n, fee: 2_000n, interest: 8_000n, principal: 0n }, unbilled_principal_paid: 0n } });
    const more = planLineRepayment(state, terms, 100_000n, d('2024-02-16'), false);
    if (!more.ok) throw new Error(more.detail);
    expect(more.change.collected).toEqual({ penalty: 0n, fee: 2_000n, interest: 15_500n, principal: 82_500n });
    expect(more.change).toMatchObject({ unbilled_principal_paid: 32_500n, prepaid_principal: 32_500n, closes: false, new_rows: [], supersede: [] });
    expect(more.change.patches).toEqual([expect.objectContaining({ number: 1, status: 'paid' })]);
    // A penalty comes first of all.
    const penalised = planLineRepayment({ ...state, penalty_due: 300n }, terms, 1_000n, d('2024-02-16'), false);
    expect(penalised).toMatchObject({ ok: true, change: { collected: { penalty: 300n, fee: 700n } } });
  });

  it('more than the billed dues and the unbilled balance is refused, naming the payoff', () => {
    const { state, terms } = billed();
    expect(planLineRepayment(state, terms, 67_500n + 950_000n, d('2024-02-16'), false)).toMatchObject({ ok: true });
    expect(planLineRepayment(state, terms, 67_500n + 950_001n, d('2024-02-16'), false)).toMatchObject({ ok: false, code: 'repayment_exceeds_payoff', detail: expect.stringContaining('1017975') });
  });

  it('the payoff settles billed dues, the interest since the statement and the balance, and closes the line', () => {
    const { state, terms } = billed();
    const quote = quoteLinePayoff(state, d('2024-02-16'));
    expect(quote).toMatchObject({ arrears: { fee_minor: 2_000n, interest_minor: 15_500n, principal_minor: 50_000n }, prepaid_principal_minor: 950_000n, accrued_interest_minor: 475n, future_fee_minor: 0n, total_minor: 1_017_975n });
    const paid = planLineRepayment(state, terms, quote.total_minor, d('2024-02-16'), true);
    if (!paid.ok) throw new Error(paid.detail);
    expect(paid.change).toMatchObject({ closes: true, unbilled_principal_paid: 950_000n, unbilled_interest_paid: 475n, collected: { fee: 2_000n, interest: 15_975n, principal: 1_000_000n } });
    expect(paid.change.new_rows).toEqual([expect.objectContaining({ kind: 'settlement', period_start: '2024-02-15', due_date: '2024-02-16', principal: 950_000n, interest: 475n, status: 'paid' })]);
  });

  it('a payoff before statement 1 settles the fee not billed yet (row 1 is superseded by the settlement)', () => {
    const { state, terms } = opened(1_000_000n);
    const caught = lineCatchUp(state, terms, d('2024-01-17')).state;
    const quote = quoteLinePayoff(caught, d('2024-01-17'));
    expect(quote).toMatchObject({ prepaid_principal_minor: 1_000_000n, accrued_interest_minor: 1_000n, future_fee_minor: 2_000n, total_minor: 1_003_000n });
    const paid = planLineRepayment(caught, terms, quote.total_minor, d('2024-01-17'), true);
    expect(paid).toMatchObject({ ok: true, change: { supersede: [1], closes: true, new_rows: [expect.objectContaining({ fee: 2_000n, paid_fee: 2_000n })] } });
  });

  it('after the last statement, paying everything closes the line', () => {
    const { state, terms } = opened(1_000_000n, 1, 0n);
    const caught = lineCatchUp(state, terms, d('2024-02-15')).state;
    const owed = 1_000_000n + 15_500n;
    expect(planLineRepayment(caught, terms, owed - 1n, d('2024-02-15'), false)).toMatchObject({ ok: true, change: { closes: false } });
    expect(planLineRepayment(caught, terms, owed, d('2024-02-15'), false)).toMatchObject({ ok: true, change: { closes: true } });
    expect(planLineRepayment(caught, terms, owed + 1n, d('2024-02-15'), false)).toMatchObject({ ok: false, code: 'repayment_exceeds_payoff' });
  });
});
