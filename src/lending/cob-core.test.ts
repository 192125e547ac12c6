/** The pure part of COB: which dates a run closes, what it reads from a loan's terms, one loan's ageing. */
import { describe, expect, it } from 'vitest';
import { ageLoan, carryFromText, cobTerms, datesToRun, CATCH_UP_DATES_MAX, productTermsJson } from './cob-core.js';
import { businessDate } from './dates.js';
import { validateProduct } from './products.js';
import { penaltyForDay } from './accrual.js';
import { ZERO } from './rational.js';

const d = businessDate;

describe('datesToRun', () => {
  it('continues from the day after the last closed date, whatever from_date says', () => {
    expect(datesToRun(d('2026-03-03'), d('2026-02-27'), d('2026-01-01'))).toEqual({ ok: true, dates: ['2026-02-28', '2026-03-01', '2026-03-02', '2026-03-03'] });
    expect(datesToRun(d('2026-02-27'), d('2026-02-27'), null)).toEqual({ ok: true, dates: [] });
    expect(datesToRun(d('2026-02-01'), d('2026-02-27'), null)).toEqual({ ok: true, dates: [] });
  });
  it('starts a first run at from_date (or the through date alone)', () => {
    expect(datesToRun(d('2026-01-03'), null, d('2026-01-01'))).toEqual({ ok: true, dates: ['2026-01-01', '2026-01-02', '2026-01-03'] });
    expect(datesToRun(d('2026-01-03'), null, null)).toEqual({ ok: true, dates: ['2026-01-03'] });
    expect(datesToRun(d('2026-01-03'), null, d('2026-01-04'))).toMatchObject({ ok: false, code: 'cob_from_date_after_through' });
  });
  it('refuses more than a year and a day of catch-up in one run', () => {
    expect(datesToRun(d('2027-01-01'), d('2025-12-31'), null)).toMatchObject({ ok: true });
    expect((datesToRun(d('2027-01-01'), d('2025-12-31'), null) as { dates: string[] }).dates).toHaveLength(CATCH_UP_DATES_MAX);
    expect(datesToRun(d('2027-01-02'), d('2025-12-31'), null)).toMatchObject({ ok: false, code: 'cob_catch_up_too_long' });
  });
});

describe('cobTerms', () => {
  const product = validateProduct({
    id: 'p', version: 1, name: 'p', currency: 'CNY', amount_min_minor: '1', amount_max_minor: '100', term_min_periods: 1, term_max_periods: 2,
    annual_rate_percent: '12', day_count: 'actual/365', repayment_method: 'annuity', frequency: 'monthly', origination_fee: { fixed_minor: '0', bps: 0 },
    grace_days: 3, penalty_annual_rate_percent: '18.25', early_repayment: { allowed: true, fee_bps: 0, min_months: 0 },
  });
  it('reads the product fields as written into the loan', () => {
    if (!product.ok) throw new Error(product.detail);
    const json = productTermsJson(product.product);
    expect(cobTerms('x', String(json.grace_days), json.day_count, json.penalty_annual_rate_percent)).toEqual({ grace_days: 3, day_count: 'actual/365', penalty_annual_rate: { num: 73n, den: 400n } });
  });
  it('stops on terms COB cannot age by, naming the loan', () => {
    expect(() => cobTerms('loan-1', null, 'actual/365', '18')).toThrow(/loan-1: terms.grace_days/);
    expect(() => cobTerms('loan-2', '91', 'actual/365', '18')).toThrow(/grace_days/);
    expect(() => cobTerms('loan-3', '0', 'actual/360', '18')).toThrow(/day_count/);
    expect(() => cobTerms('loan-4', '0', '30/360', '-1')).toThrow(/penalty_annual_rate_percent/);
  });
});

describe('ageLoan', () => {
  const terms = cobTerms('x', '3', '30/360', '18');
  it('counts DPD from the oldest unpaid due date and classifies by it; penalties carry the fraction', () => {
    const input = { loan_id: 'x', terms, oldest_unpaid_due_date: d('2026-01-10'), overdue_principal_minor: 12_345n, carry: ZERO, max_days_past_due: 0 };
    const day1 = ageLoan(input, d('2026-01-11'));
    const exact = penaltyForDay(12_345n, { penalty_annual_rate: terms.penalty_annual_rate, day_count: '30/360' });
    expect(day1).toEqual({ days_past_due: 1, max_days_past_due: 1, category: 'special_mention', penalty_minor: exact.amount_minor, carry: exact.carry });
    expect(ageLoan({ ...input, max_days_past_due: 200 }, d('2026-04-20'))).toMatchObject({ days_past_due: 100, max_days_past_due: 200, category: 'substandard' });
    expect(ageLoan({ ...input, oldest_unpaid_due_date: null, overdue_principal_minor: 0n }, d('2026-04-20'))).toMatchObject({ days_past_due: 0, category: 'normal', penalty_minor: 0n });
  });
  it('over many days posts exactly the sum of the exact daily penalties, less the carry', () => {
    let carry = ZERO;
    let posted = 0n;
    for (let day = 0; day < 400; day++) {
      const out = ageLoan({ loan_id: 'x', terms, oldest_unpaid_due_date: d('2026-01-10'), overdue_principal_minor: 777n, carry, max_days_past_due: 0 }, d('2026-01-11'));
      posted += out.penalty_minor;
      carry = out.carry;
    }
    // 400 days × 777 × 0.18 / 360 = 155.4
    expect(posted).toBe(155n);
    expect(carry).toEqual({ num: 2n, den: 5n });
  });
  it('reads a stored carry in any terms, refusing one outside [0, 1)', () => {
    expect(carryFromText('6', '20')).toEqual({ num: 6n, den: 20n });
    expect(() => carryFromText('20', '20')).toThrow(RangeError);
    expect(() => carryFromText('1', '0')).toThrow(RangeError);
  });
});
