import { describe, expect, it } from 'vitest';
import { trainCreditScorecard } from './credit-model.js';
import { businessDate } from './dates.js';
import { addPercent, bandOf, decide, LENDING_POLICY, pricedProduct, type DecisionInput } from './decision.js';
import { SME_WORKING_CAPITAL } from './demo-product.js';
import { validateProduct, type LoanProduct } from './products.js';

const CARD = trainCreditScorecard();

function product(over: Record<string, unknown> = {}): LoanProduct {
  const checked = validateProduct({
    ...SME_WORKING_CAPITAL,
    id: 'sme',
    version: 1,
    ...over,
  } as never);
  if (!checked.ok) throw new Error(checked.detail);
  return checked.product;
}

/** A strong application: band A (see credit-model.test.ts for the attributes). */
function input(over: Partial<DecisionInput> = {}, business: Partial<DecisionInput['business']> = {}): DecisionInput {
  return {
    customer_id: 'c1',
    amount_minor: 10_000_000n,
    term_periods: 12,
    business: { industry: 'restaurants', months_trading: 96, annual_revenue_minor: 600_000_000n, existing_debt_minor: 0n, owner_age: 45, purpose: 'equipment', ...business },
    product: product(),
    account: { currency: 'CNY', status: 'open', owner_customer_id: null, balance_minor: 5_000_000n },
    turnover: { credits_minor: 5_000_000n, debits_minor: 0n, transfers: 1, capped: false },
    active_loans: { count: 0, outstanding_minor: 0n },
    risk: { decision_id: 'r1', outcome: 'allow', rules: [] },
    card: CARD,
    model: { id: 'credit_sme', version: 1 },
    start_date: businessDate('2024-01-15'),
    ...over,
  };
}

const codes = (d: ReturnType<typeof decide>) => d.reasons.map((r) => r.code);

describe('decide', () => {
  it('approves a strong application in band A at the product rate, with every rule passed', () => {
    const d = decide(input());
    expect(d.status).toBe('approved');
    expect(d.reasons).toEqual([]);
    expect(d.eligibility.every((r) => r.passed)).toBe(true);
    expect(d.score).toMatchObject({ band: 'A', model_id: 'credit_sme', model_version: 1 });
    expect(d.score!.points).toBeGreaterThanOrEqual(545);
    expect(d.offer).toMatchObject({ amount_minor: 10_000_000n, term_periods: 12, band: 'A', annual_rate_percent: '12', limit_minor: 50_000_000n, reduced_from_minor: null });
  });

  it('declines on every failing eligibility rule at once, each with its reason code', () => {
    const d = decide(input({ active_loans: { count: 3, outstanding_minor: 1_000_000n }, account: { currency: 'CNY', status: 'frozen', owner_customer_id: 'someone-else', balance_minor: 0n } }, { months_trading: 3, existing_debt_minor: 500_000_000n, owner_age: 80, industry: 'Gambling' }));
    expect(d.status).toBe('declined');
    expect(codes(d).sort()).toEqual(['account_not_open', 'account_not_owned', 'debt_to_revenue_too_high', 'industry_excluded', 'owner_age_out_of_range', 'too_many_active_loans', 'trading_history_too_short']);
    expect(d.offer).toBeNull();
    expect(d.reasons.every((r) => r.kind === 'eligibility' && r.detail.length > 0)).toBe(true);
  });

  it('declines amounts and terms outside the product without scoring, and a currency the product does not lend', () => {
    const d = decide(input({ amount_minor: 999_999n, term_periods: 48, account: { currency: 'USD', status: 'open', owner_customer_id: null, balance_minor: 0n } }));
    expect(codes(d).sort()).toEqual(['amount_out_of_range', 'currency_mismatch', 'term_out_of_range']);
    expect(d.score).toBeNull();
  });

  it('declines below the cutoff (band E) with the scorecard attributes that cost the most points as reasons', () => {
    const weak = decide(
      input(
        { amount_minor: 50_000_000n, term_periods: 36, turnover: { credits_minor: 0n, debits_minor: 0n, transfers: 0, capped: false } },
        { months_trading: 6, annual_revenue_minor: 100_000_000n, existing_debt_minor: 0n, owner_age: 21, purpose: 'working_capital' },
      ),
    );
    expect(weak.status).toBe('declined');
    expect(weak.score!.band).toBe('E');
    expect(weak.score!.attributes.checking_status).toBeNull(); // no account history: neutral
    expect(codes(weak)[0]).toBe('credit_score_below_cutoff');
    expect(codes(weak)).toEqual(expect.arrayContaining(['long_term', 'no_account_history', 'short_trading_history']));
    expect(weak.reasons.filter((r) => r.kind === 'credit' && r.attribute).length).toBeGreaterThanOrEqual(3);
  });

  it('prices by band: the band margin is added to the product rate, and the limit is a share of revenue less what is already lent', () => {
    // A weaker applicant: band C or D.
    const d = decide(input({ term_periods: 24 }, { months_trading: 30, owner_age: 28, purpose: 'vehicle' }));
    expect(d.status).toBe('approved');
    const band = d.offer!.band;
    expect(['B', 'C', 'D']).toContain(band);
    const margin = LENDING_POLICY.bands.find((b) => b.band === band)!.margin_percent;
    expect(d.offer!.annual_rate_percent).toBe(addPercent('12', margin));
    // Revenue 600,000.00, band share → the limit; 1,000,000 already lent is taken off.
    const lent = decide(input({ active_loans: { count: 1, outstanding_minor: 1_000_000n } }));
    expect(lent.offer!.limit_minor).toBe(50_000_000n - 1_000_000n);
  });

  it('lowers the amount to the limit (an offer, not a decline), and declines when the limit is below the product minimum', () => {
    // Revenue 300,000.00 a year: the band's share of it is below the 200,000.00 asked.
    const d = decide(input({ amount_minor: 20_000_000n, term_periods: 36 }, { annual_revenue_minor: 30_000_000n }));
    if (d.status !== 'approved') throw new Error(JSON.stringify(d.reasons));
    expect(d.offer).toMatchObject({ amount_minor: d.offer!.limit_minor, reduced_from_minor: 20_000_000n });
    expect(d.offer!.limit_minor).toBeLessThan(20_000_000n);
    const none = decide(input({ active_loans: { count: 1, outstanding_minor: 49_500_000n } }));
    expect(codes(none)).toEqual(['exposure_limit_exceeded']);
  });

  it('declines an offer whose first instalment exceeds 30% of monthly revenue', () => {
    const d = decide(input({ amount_minor: 10_000_000n, term_periods: 3 }, { annual_revenue_minor: 100_000_000n }));
    expect(codes(d)).toEqual(['repayment_capacity_exceeded']);
  });

  it('follows the risk engine: block declines (risk_blocked), review and step_up refer an application that would be approved', () => {
    const blocked = decide(input({ risk: { decision_id: 'r', outcome: 'block', rules: [{ id: 'denied_customer', reason: 'deny list' }] } }));
    expect(blocked.status).toBe('declined');
    expect(codes(blocked)).toEqual(['risk_blocked']);
    expect(blocked.reasons[0]!.detail).toContain('denied_customer');
    for (const outcome of ['review', 'step_up'] as const) {
      const referred = decide(input({ risk: { decision_id: 'r', outcome, rules: [{ id: 'x', reason: 'why' }] } }));
      expect(referred.status).toBe('referred');
      expect(codes(referred)).toEqual(['risk_review']);
      expect(referred.offer).not.toBeNull();
    }
    // A declined application stays declined whatever the risk engine says.
    const both = decide(input({ risk: { decision_id: 'r', outcome: 'review', rules: [] } }, { months_trading: 1 }));
    expect(both.status).toBe('declined');
  });

  it('is a pure function: the same facts give the same decision', () => {
    expect(decide(input())).toEqual(decide(input()));
  });
});

describe('pricing helpers', () => {
  it('adds percent strings exactly', () => {
    expect(addPercent('12', '0')).toBe('12');
    expect(addPercent('12', '2.5')).toBe('14.5');
    expect(addPercent('4.35', '0.65')).toBe('5');
    expect(addPercent('0.000001', '0.000002')).toBe('0.000003');
  });

  it('prices a product at the offer rate, refusing a rate above 100%', () => {
    expect(pricedProduct(product(), '14.5')!.annual_rate).toEqual({ num: 29n, den: 200n });
    expect(pricedProduct(product(), '100.5')).toBeUndefined();
  });

  it('bands by score: A from 545, E below 490', () => {
    expect([600, 545, 544.9, 525, 505, 490, 489.9].map((s) => bandOf(s))).toEqual(['A', 'A', 'B', 'B', 'C', 'D', 'E']);
  });
});
