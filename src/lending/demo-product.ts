/**
 * The SME working-capital product of the demo data, as a client sends it: 12% annuity,
 * monthly, 30/360, 3–36 months, 10,000.00..500,000.00 CNY (the worked example's terms). The
 * seed saves it; tests start from it and patch what they vary.
 */
export const SME_WORKING_CAPITAL = {
  name: 'SME working capital',
  currency: 'CNY',
  amount_min_minor: '1000000',
  amount_max_minor: '50000000',
  term_min_periods: 3,
  term_max_periods: 36,
  annual_rate_percent: '12',
  day_count: '30/360',
  repayment_method: 'annuity',
  frequency: 'monthly',
  origination_fee: { fixed_minor: '0', bps: 0 },
  grace_days: 3,
  penalty_annual_rate_percent: '18',
  early_repayment: { allowed: true, fee_bps: 0, min_months: 0 },
} as const;
