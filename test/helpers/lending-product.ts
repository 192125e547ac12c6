/** The loan product the lending core's unit tests start from: 12% annuity, monthly, 30/360, no fees; patch what a test varies. */
import { validateProduct, type LoanProduct, type ProductInput } from '../../src/lending/products.js';

export function testProduct(patch: Partial<ProductInput> = {}): LoanProduct {
  const result = validateProduct({
    id: 'test',
    version: 1,
    name: 'test product',
    currency: 'CNY',
    amount_min_minor: 1n,
    amount_max_minor: 10n ** 12n,
    term_min_periods: 1,
    term_max_periods: 360,
    annual_rate_percent: '12',
    day_count: '30/360',
    repayment_method: 'annuity',
    frequency: 'monthly',
    origination_fee: { fixed_minor: 0n, bps: 0 },
    grace_days: 0,
    penalty_annual_rate_percent: '18',
    early_repayment: { allowed: true, fee_bps: 0, min_months: 0 },
    ...patch,
  });
  if (!result.ok) throw new Error(result.detail);
  return result.product;
}
