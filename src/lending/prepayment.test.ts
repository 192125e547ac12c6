/**
 * Payoff, partial prepayment and restructuring on the worked annuity (100,000.00 at 12%,
 * 12 months from 2024-01-15, 30/360; payment 8,884.88). Its first instalments, by hand:
 *   1: interest 1,000.00, principal 7,884.88, balance 92,115.12
 *   2: interest   921.15, principal 7,963.73, balance 84,151.39
 *   3: interest   841.51, principal 8,043.37, balance 76,108.02
 *   4: interest   761.08 (period 2024-04-15 → 2024-05-15, 30 days)
 */
import { describe, expect, it } from 'vitest';
import type { InstalmentDue } from './allocation.js';
import { businessDate as d } from './dates.js';
import { payoffQuote, prepayPartial, restructure, type LoanPosition } from './prepayment.js';
import type { LoanProduct, ProductInput } from './products.js';
import { annuityPayment, buildSchedule, type Schedule } from './schedule.js';
import { rational } from './rational.js';
import { testProduct } from '../../test/helpers/lending-product.js';

/** Early repayment costs 1% of the prepaid principal here. */
const product = (patch: Partial<ProductInput> = {}): LoanProduct => testProduct({ early_repayment: { allowed: true, fee_bps: 100, min_months: 0 }, ...patch });

function worked(p: LoanProduct = product()): Schedule {
  const result = buildSchedule({ product: p, principal_minor: 10_000_000n, term_periods: 12, start_date: d('2024-01-15') });
  if (!result.ok) throw new Error(result.detail);
  return result.schedule;
}

const position = (schedule: Schedule, arrears: InstalmentDue[] = []): LoanPosition => ({ schedule, arrears });

describe('payoffQuote', () => {
  it('adds principal not yet due, interest accrued before the date and the early-repayment fee', () => {
    const result = payoffQuote(product(), position(worked()), d('2024-01-17'));
    expect(result).toEqual({
      ok: true,
      quote: {
        date: '2024-01-17',
        arrears: { penalty_minor: 0n, fee_minor: 0n, interest_minor: 0n, principal_minor: 0n },
        prepaid_principal_minor: 10_000_000n,
        accrued_interest_minor: 6_452n, // 2 of 31 days of 1,000.00
        future_fee_minor: 0n,
        early_repayment_fee_minor: 100_000n, // 1% of 100,000.00
        total_minor: 10_106_452n,
      },
    });
  });

  it('includes arrears and an origination fee not yet due', () => {
    const p = product({ origination_fee: { fixed_minor: 2_000n, bps: 0 } });
    const s = worked(p);
    const early = payoffQuote(p, position(s), d('2024-01-15'));
    expect(early).toMatchObject({ ok: true, quote: { future_fee_minor: 2_000n, accrued_interest_minor: 0n, total_minor: 10_000_000n + 2_000n + 100_000n } });
    // Instalment 1 unpaid (fee included) on 2024-02-20: its dues are arrears, not prepaid.
    const arrears: InstalmentDue[] = [{ instalment_number: 1, due_date: d('2024-02-15'), penalty_minor: 300n, fee_minor: 2_000n, interest_minor: 100_000n, principal_minor: 788_488n }];
    const late = payoffQuote(p, position(s, arrears), d('2024-02-20'));
    if (!late.ok) throw new Error(late.detail);
    expect(late.quote.future_fee_minor).toBe(0n);
    expect(late.quote.prepaid_principal_minor).toBe(9_211_512n);
    expect(late.quote.accrued_interest_minor).toBe(15_882n); // 5 of 29 days of 921.15: 15,881.9…
    expect(late.quote.early_repayment_fee_minor).toBe(92_115n); // 1% of 92,115.12
    expect(late.quote.total_minor).toBe(300n + 2_000n + 100_000n + 788_488n + 9_211_512n + 15_882n + 92_115n);
  });

  it('charges no fee and applies no rule once everything has fallen due', () => {
    const p = product({ early_repayment: { allowed: false, fee_bps: 100, min_months: 0 } });
    const arrears: InstalmentDue[] = [{ instalment_number: 12, due_date: d('2025-01-15'), penalty_minor: 0n, fee_minor: 0n, interest_minor: 8_797n, principal_minor: 879_688n }];
    expect(payoffQuote(p, position(worked(p), arrears), d('2025-02-01'))).toMatchObject({ ok: true, quote: { prepaid_principal_minor: 0n, early_repayment_fee_minor: 0n, total_minor: 888_485n } });
  });

  it('refuses when the product forbids it, too soon, or before the loan starts', () => {
    const forbidden = product({ early_repayment: { allowed: false, fee_bps: 0, min_months: 0 } });
    expect(payoffQuote(forbidden, position(worked(forbidden)), d('2024-06-01'))).toMatchObject({ ok: false, code: 'early_repayment_not_allowed' });
    const locked = product({ early_repayment: { allowed: true, fee_bps: 0, min_months: 6 } });
    expect(payoffQuote(locked, position(worked(locked)), d('2024-07-14'))).toMatchObject({ ok: false, code: 'early_repayment_too_soon', detail: expect.stringContaining('2024-07-15') });
    expect(payoffQuote(locked, position(worked(locked)), d('2024-07-15')).ok).toBe(true);
    expect(payoffQuote(product(), position(worked()), d('2024-01-14'))).toMatchObject({ ok: false, code: 'date_before_start' });
  });
});

describe('prepayPartial', () => {
  it('on a due date: keeps the 10 remaining periods and lowers the payment', () => {
    const result = prepayPartial(product(), position(worked()), d('2024-03-15'), 3_000_000n);
    if (!result.ok) throw new Error(result.detail);
    expect(result.settlement).toEqual({ principal_minor: 3_000_000n, accrued_interest_minor: 0n, early_repayment_fee_minor: 30_000n, total_minor: 3_030_000n });
    const s = result.schedule;
    expect(s.principal_minor).toBe(5_415_139n); // 84,151.39 − 30,000.00
    expect(s.instalments.map((i) => i.number)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(s.instalments[0]).toMatchObject({ period_start: '2024-03-15', period_end: '2024-04-15', interest_days: 30, interest_minor: 54_151n });
    expect(s.level_payment_minor).toBe(571_742n);
    expect(s.level_payment_minor).toBe(annuityPayment(5_415_139n, rational(1n, 100n), 10));
    expect(s.instalments.at(-1)).toMatchObject({ period_end: '2025-01-15', balance_after_minor: 0n });
    expect(s.start_date).toBe('2024-01-15');
  });

  it('mid-period: settles the interest accrued so far and starts a broken period on the new balance', () => {
    const result = prepayPartial(product(), position(worked()), d('2024-03-25'), 3_000_000n);
    if (!result.ok) throw new Error(result.detail);
    expect(result.settlement.accrued_interest_minor).toBe(27_145n); // 10 of 31 days of 841.51
    expect(result.settlement.total_minor).toBe(3_000_000n + 27_145n + 30_000n);
    // [Mar 25, Apr 15) is 20 days on 30E/360: 54,151.39 × 12% × 20/360 = 361.01.
    expect(result.schedule.instalments[0]).toMatchObject({ number: 3, period_start: '2024-03-25', period_end: '2024-04-15', days: 21, interest_days: 20, interest_minor: 36_101n });
  });

  it('keeps the anchor day through a rebuild', () => {
    const p = product();
    const start = buildSchedule({ product: p, principal_minor: 1_000_000n, term_periods: 6, start_date: d('2024-01-31') });
    if (!start.ok) throw new Error(start.detail);
    const result = prepayPartial(p, position(start.schedule), d('2024-03-10'), 100_000n);
    if (!result.ok) throw new Error(result.detail);
    expect(result.schedule.instalments.map((i) => i.period_end)).toEqual(['2024-03-31', '2024-04-30', '2024-05-31', '2024-06-30', '2024-07-31']);
  });

  it('moves a fee not yet due onto the first rebuilt instalment', () => {
    const p = product({ origination_fee: { fixed_minor: 2_000n, bps: 0 } });
    const result = prepayPartial(p, position(worked(p)), d('2024-01-20'), 1_000n);
    if (!result.ok) throw new Error(result.detail);
    expect(result.schedule.instalments[0]).toMatchObject({ number: 1, fee_minor: 2_000n });
    expect(result.schedule.totals.fee_minor).toBe(2_000n);
  });

  it('refuses with arrears, a payoff-sized amount, or when not allowed', () => {
    const arrears: InstalmentDue[] = [{ instalment_number: 1, due_date: d('2024-02-15'), penalty_minor: 0n, fee_minor: 0n, interest_minor: 1n, principal_minor: 0n }];
    expect(prepayPartial(product(), position(worked(), arrears), d('2024-02-20'), 1_000n)).toMatchObject({ ok: false, code: 'arrears_outstanding' });
    expect(prepayPartial(product(), position(worked()), d('2024-01-20'), 10_000_000n)).toMatchObject({ ok: false, code: 'prepayment_out_of_range' });
    expect(prepayPartial(product(), position(worked()), d('2024-01-20'), 0n)).toMatchObject({ ok: false, code: 'prepayment_out_of_range' });
    const forbidden = product({ early_repayment: { allowed: false, fee_bps: 0, min_months: 0 } });
    expect(prepayPartial(forbidden, position(worked(forbidden)), d('2024-01-20'), 1_000n)).toMatchObject({ ok: false, code: 'early_repayment_not_allowed' });
  });
});

describe('restructure', () => {
  it('reschedules overdue and future principal from the date; overdue interest and penalties stay due now', () => {
    const arrears: InstalmentDue[] = [{ instalment_number: 3, due_date: d('2024-04-15'), penalty_minor: 1_000n, fee_minor: 0n, interest_minor: 84_151n, principal_minor: 804_337n }];
    const result = restructure(position(worked(), arrears), 24, d('2024-05-01'));
    if (!result.ok) throw new Error(result.detail);
    const { schedule, due_now, rescheduled_arrears_principal_minor } = result.restructuring;
    expect(rescheduled_arrears_principal_minor).toBe(804_337n);
    expect(schedule.principal_minor).toBe(8_415_139n); // balance after instalment 2
    // Accrued in period 4 before May 1: 16 of 30 days of 761.08 = 405.90…
    expect(due_now).toEqual({ penalty_minor: 1_000n, fee_minor: 0n, interest_minor: 84_151n + 40_591n, principal_minor: 0n });
    expect(schedule.instalments).toHaveLength(24);
    expect(schedule.instalments[0]).toMatchObject({ number: 4, period_start: '2024-05-01', period_end: '2024-05-15', interest_days: 14, interest_minor: 39_271n });
    expect(schedule.instalments.at(-1)).toMatchObject({ number: 27, period_end: '2026-04-15', balance_after_minor: 0n });
    expect(schedule.level_payment_minor).toBe(396_130n);
    expect(schedule.totals.principal_minor).toBe(8_415_139n);
  });

  it('restructures a loan past its maturity from the period the date falls in', () => {
    const arrears: InstalmentDue[] = [{ instalment_number: 12, due_date: d('2025-01-15'), penalty_minor: 0n, fee_minor: 0n, interest_minor: 8_797n, principal_minor: 879_688n }];
    const result = restructure(position(worked(), arrears), 3, d('2025-03-20'));
    if (!result.ok) throw new Error(result.detail);
    expect(result.restructuring.schedule.instalments.map((i) => [i.number, i.period_start, i.period_end])).toEqual([
      [15, '2025-03-20', '2025-04-15'],
      [16, '2025-04-15', '2025-05-15'],
      [17, '2025-05-15', '2025-06-15'],
    ]);
    expect(result.restructuring.due_now.interest_minor).toBe(8_797n);
  });

  it('refuses a bad term, nothing outstanding, or a date before the start', () => {
    expect(restructure(position(worked()), 0, d('2024-05-01'))).toMatchObject({ ok: false, code: 'term_out_of_range' });
    expect(restructure(position(worked()), 601, d('2024-05-01'))).toMatchObject({ ok: false, code: 'term_out_of_range' });
    expect(restructure(position(worked()), 12, d('2025-02-01'))).toMatchObject({ ok: false, code: 'nothing_outstanding' });
    expect(restructure(position(worked()), 12, d('2023-12-01'))).toMatchObject({ ok: false, code: 'date_before_start' });
  });
});
