/** validateProduct: a good product in every option, and one refusal per rule with its field and code. */
import { describe, expect, it } from 'vitest';
import { LOAN_AMOUNT_MAX_MINOR, TERM_PERIODS_MAX, validateProduct, type ProductInput, type ProductResult } from './products.js';

const GOOD: ProductInput = {
  id: 'sme-term-12',
  version: 1,
  name: 'SME term loan',
  currency: 'CNY',
  amount_min_minor: '100000',
  amount_max_minor: 500_000_000n,
  term_min_periods: 3,
  term_max_periods: 36,
  annual_rate_percent: '4.35',
  day_count: '30/360',
  repayment_method: 'annuity',
  frequency: 'monthly',
  origination_fee: { fixed_minor: '0', bps: 50 },
  grace_days: 3,
  penalty_annual_rate_percent: '6.525',
  early_repayment: { allowed: true, fee_bps: 100, min_months: 6 },
};
const input = (patch: Partial<Record<keyof ProductInput, unknown>>): ProductInput => ({ ...GOOD, ...patch }) as ProductInput;
/** What makes GOOD a revolving line. */
const LINE = {
  repayment_method: 'revolving',
  day_count: 'actual/365',
  early_repayment: { allowed: true, fee_bps: 0, min_months: 0 },
  minimum_payment: { bps: 500, floor_minor: '10000' },
};

function refusal(result: ProductResult): { field: string; code: string; detail: string } {
  if (result.ok) throw new Error('expected the product to be refused');
  return result;
}

describe('validateProduct', () => {
  it('accepts a good product and normalises money and rates', () => {
    const result = validateProduct(GOOD);
    if (!result.ok) throw new Error(result.detail);
    expect(result.product).toMatchObject({
      amount_min_minor: 100_000n,
      amount_max_minor: 500_000_000n,
      currency_scale: 2,
      annual_rate: { num: 87n, den: 2000n },
      penalty_annual_rate: { num: 261n, den: 4000n },
      origination_fee: { fixed_minor: 0n, bps: 50 },
      annual_rate_percent: '4.35',
    });
  });

  it('accepts every method, frequency and day count (a revolving line on actual/365, with its minimum payment)', () => {
    for (const repayment_method of ['annuity', 'equal_principal', 'interest_only']) {
      for (const frequency of ['monthly', 'quarterly', 'weekly']) {
        for (const day_count of ['30/360', 'actual/365']) {
          expect(validateProduct(input({ repayment_method, frequency, day_count }))).toMatchObject({ ok: true, product: { minimum_payment: null } });
        }
      }
    }
    for (const frequency of ['monthly', 'quarterly', 'weekly']) {
      expect(validateProduct(input({ ...LINE, frequency }))).toMatchObject({ ok: true, product: { repayment_method: 'revolving', minimum_payment: { bps: 500, floor_minor: 10_000n } } });
    }
    expect(validateProduct(input({ currency: 'JPY' }))).toMatchObject({ ok: true, product: { currency_scale: 0 } });
  });

  const refusals: [string, Partial<Record<keyof ProductInput, unknown>>, string, string][] = [
    ['id shape', { id: '-x' }, 'id', 'invalid_format'],
    ['id type', { id: 7 }, 'id', 'invalid_type'],
    ['version', { version: 0 }, 'version', 'out_of_range'],
    ['version type', { version: 1.5 }, 'version', 'invalid_type'],
    ['blank name', { name: '  ' }, 'name', 'out_of_range'],
    ['long name', { name: 'x'.repeat(101) }, 'name', 'out_of_range'],
    ['lower-case currency', { currency: 'cny' }, 'currency', 'invalid_format'],
    ['unknown currency', { currency: 'XYZ' }, 'currency', 'unknown_currency'],
    ['zero minimum', { amount_min_minor: '0' }, 'amount_min_minor', 'out_of_range'],
    ['float amount', { amount_min_minor: 100.5 }, 'amount_min_minor', 'invalid_format'],
    ['decimal string amount', { amount_min_minor: '100.50' }, 'amount_min_minor', 'invalid_format'],
    ['huge maximum', { amount_max_minor: LOAN_AMOUNT_MAX_MINOR + 1n }, 'amount_max_minor', 'out_of_range'],
    ['inverted amounts', { amount_min_minor: '600000000' }, 'amount_max_minor', 'range_inverted'],
    ['term too long', { term_max_periods: TERM_PERIODS_MAX + 1 }, 'term_max_periods', 'out_of_range'],
    ['inverted terms', { term_min_periods: 40 }, 'term_max_periods', 'range_inverted'],
    ['bad rate', { annual_rate_percent: '4.35%' }, 'annual_rate_percent', 'invalid_format'],
    ['rate as number', { annual_rate_percent: 4.35 }, 'annual_rate_percent', 'invalid_format'],
    ['rate too high', { annual_rate_percent: '101' }, 'annual_rate_percent', 'out_of_range'],
    ['day count', { day_count: 'actual/360' }, 'day_count', 'unknown_option'],
    ['method', { repayment_method: 'balloon' }, 'repayment_method', 'unknown_option'],
    ['frequency', { frequency: 'daily' }, 'frequency', 'unknown_option'],
    ['fee missing', { origination_fee: null }, 'origination_fee', 'invalid_type'],
    ['negative fee', { origination_fee: { fixed_minor: '-1', bps: 0 } }, 'origination_fee.fixed_minor', 'invalid_format'],
    ['fee bps', { origination_fee: { fixed_minor: 0n, bps: 10_001 } }, 'origination_fee.bps', 'out_of_range'],
    ['grace', { grace_days: 91 }, 'grace_days', 'out_of_range'],
    ['penalty rate', { penalty_annual_rate_percent: '-1' }, 'penalty_annual_rate_percent', 'invalid_format'],
    ['early allowed', { early_repayment: { allowed: 'yes', fee_bps: 0, min_months: 0 } }, 'early_repayment.allowed', 'invalid_type'],
    ['early fee', { early_repayment: { allowed: true, fee_bps: -1, min_months: 0 } }, 'early_repayment.fee_bps', 'out_of_range'],
    ['early months', { early_repayment: { allowed: true, fee_bps: 0, min_months: 601 } }, 'early_repayment.min_months', 'out_of_range'],
    ['a minimum payment on a scheduled loan', { minimum_payment: { bps: 500, floor_minor: '0' } }, 'minimum_payment', 'incompatible_option'],
    ['a line on 30/360', { ...LINE, day_count: '30/360' }, 'day_count', 'incompatible_option'],
    ['a line without a minimum payment', { ...LINE, minimum_payment: undefined }, 'minimum_payment', 'invalid_type'],
    ['a line with an early-repayment fee', { ...LINE, early_repayment: { allowed: true, fee_bps: 100, min_months: 0 } }, 'early_repayment', 'incompatible_option'],
    ['a line that forbids early repayment', { ...LINE, early_repayment: { allowed: false, fee_bps: 0, min_months: 0 } }, 'early_repayment', 'incompatible_option'],
    ['a line minimum payment bps', { ...LINE, minimum_payment: { bps: 10_001, floor_minor: '0' } }, 'minimum_payment.bps', 'out_of_range'],
    ['a line minimum payment floor', { ...LINE, minimum_payment: { bps: 100, floor_minor: '-5' } }, 'minimum_payment.floor_minor', 'invalid_format'],
  ];
  for (const [name, patch, field, code] of refusals) {
    it(`refuses ${name}`, () => {
      const failure = refusal(validateProduct(input(patch)));
      expect(failure).toMatchObject({ field, code });
      expect(failure.detail.length).toBeGreaterThan(0);
    });
  }
});
