/**
 * The automatic credit decision on a loan application: eligibility rules, the risk
 * engine's verdict, the credit score and its band, the limit and price of the band, and
 * the offer with its schedule. Pure: every fact (product, account, ledger history, active
 * loans, the risk verdict, the scorecard) is an argument, so the same facts always give
 * the same decision, and the tests exercise every rule without a database.
 *
 * Order (docs/lending.md, "The decision"):
 *   1. eligibility rules on the application and the account — every failing rule is a
 *      decline reason (all of them are reported, not only the first);
 *   2. the credit score of the application (credit-model.ts) → band A–E; E is below the
 *      cutoff and declines, with the attributes that lost the most points as reasons;
 *   3. the band's limit (a share of annual revenue, less what the customer already owes
 *      this bank, at most the product's maximum) caps the amount; the band's margin is
 *      added to the product's rate; the offer's first instalment must be affordable (a
 *      revolving line: its first statement with the whole limit drawn — `firstPayment`);
 *   4. the risk engine: `block` declines (`risk_blocked`); `review` (or `step_up`) refers an
 *      application that would otherwise be approved to an analyst.
 */
import type { AccountStatus } from '../ledger/types.js';
import type { Outcome } from '../risk/types.js';
import { scoreRow, type Scorecard, type ScoreReason } from '../risk/scorecard.js';
import { creditAttributes, explainScoreReason, scoreReasonCode, type BusinessPurpose, type CreditRow } from './credit-model.js';
import type { BusinessDate } from './dates.js';
import type { LoanProduct } from './products.js';
import { parseAnnualRatePercent, RATE_DECIMALS_MAX } from './rates.js';
import { buildSchedule } from './schedule.js';
import { lineExample } from './credit-line.js';

export const BANDS = ['A', 'B', 'C', 'D', 'E'] as const;
export type Band = (typeof BANDS)[number];

export interface BandPolicy {
  band: Exclude<Band, 'E'>;
  /** Lowest score (points) of the band. */
  min_score: number;
  /** Percentage points added to the product's annual rate, a decimal string. */
  margin_percent: string;
  /** The band's limit on the customer's total loans with this bank: this share of annual revenue (basis points). */
  limit_revenue_bps: number;
}

export interface LendingPolicy {
  version: number;
  min_months_trading: number;
  /** Existing debt (elsewhere) at most this share of annual revenue. */
  max_existing_debt_to_revenue_bps: number;
  owner_age_min: number;
  owner_age_max: number;
  /** Active loans with this bank a customer may already have when applying. */
  active_loans_max: number;
  /** The offer's first instalment at most this share of monthly revenue. */
  max_payment_to_monthly_revenue_bps: number;
  excluded_industries: readonly string[];
  /** Best first; a score below the last band's minimum is band E (declined). */
  bands: readonly BandPolicy[];
  offer_valid_days: number;
}

/**
 * The policy in force (version 1). The cutoffs were set on the built-in scorecard's scores
 * of its own training data (German credit, 30% bad): A ≥ 545 holds 28% of it (6% bad),
 * B 17% (16%), C 17% (28%), D 16% (43%), and E < 490 the worst 23% (62% bad), declined
 * (credit-model.test.ts prints these). A bank sets its own from its own book.
 */
export const LENDING_POLICY: LendingPolicy = {
  version: 1,
  min_months_trading: 6,
  max_existing_debt_to_revenue_bps: 8_000,
  owner_age_min: 18,
  owner_age_max: 75,
  active_loans_max: 2,
  max_payment_to_monthly_revenue_bps: 3_000,
  excluded_industries: ['gambling', 'weapons', 'adult_entertainment', 'cryptocurrency'],
  bands: [
    { band: 'A', min_score: 545, margin_percent: '0', limit_revenue_bps: 5_000 },
    { band: 'B', min_score: 525, margin_percent: '2', limit_revenue_bps: 4_000 },
    { band: 'C', min_score: 505, margin_percent: '4', limit_revenue_bps: 3_000 },
    { band: 'D', min_score: 490, margin_percent: '7', limit_revenue_bps: 2_000 },
  ],
  offer_valid_days: 7,
};

export interface BusinessFacts {
  industry: string;
  months_trading: number;
  annual_revenue_minor: bigint;
  existing_debt_minor: bigint;
  owner_age?: number | undefined;
  purpose?: BusinessPurpose | undefined;
}

export interface AccountFacts {
  currency: string;
  status: AccountStatus;
  /** `metadata.customer_id` of the account, when the bank records it there. */
  owner_customer_id: string | null;
  balance_minor: bigint;
}

/** The account's movement over the last 90 days (ledger); `capped` when more transfers than were read. */
export interface Turnover {
  credits_minor: bigint;
  debits_minor: bigint;
  transfers: number;
  capped: boolean;
}

export interface RiskVerdict {
  decision_id: string;
  outcome: Outcome;
  rules: { id: string; reason: string }[];
}

export interface DecisionInput {
  customer_id: string;
  amount_minor: bigint;
  term_periods: number;
  business: BusinessFacts;
  product: LoanProduct;
  account: AccountFacts;
  turnover: Turnover;
  active_loans: { count: number; outstanding_minor: bigint };
  risk: RiskVerdict;
  card: Scorecard;
  model: { id: string; version: number };
  /** The business date the schedule preview starts on (the loan starts on the accept date). */
  start_date: BusinessDate;
  policy?: LendingPolicy;
}

export type ReasonKind = 'eligibility' | 'credit' | 'offer' | 'risk';

export interface Reason {
  code: string;
  kind: ReasonKind;
  detail: string;
  /** For credit reasons: the scorecard attribute. */
  attribute?: string;
}

export interface CreditScore {
  model_id: string;
  model_version: number;
  points: number;
  probability_bad: number;
  band: Band;
  attributes: CreditRow;
  reasons: ScoreReason[];
}

export interface Offer {
  amount_minor: bigint;
  term_periods: number;
  band: Exclude<Band, 'E'>;
  annual_rate_percent: string;
  /** What the band allows in all, less what the customer already owes this bank. */
  limit_minor: bigint;
  /** Set when the amount was lowered to the limit. */
  reduced_from_minor: bigint | null;
}

export type DecisionStatus = 'approved' | 'declined' | 'referred';

export interface Decision {
  status: DecisionStatus;
  policy_version: number;
  reasons: Reason[];
  /** Every eligibility rule with its outcome (passed rules too), for the explanation. */
  eligibility: { rule: string; passed: boolean; detail: string }[];
  risk: RiskVerdict;
  score: CreditScore | null;
  offer: Offer | null;
  turnover: Turnover;
}

const bps = (value: bigint, basis_points: number): bigint => (value * BigInt(basis_points)) / 10_000n;

export function decide(input: DecisionInput): Decision {
  const policy = input.policy ?? LENDING_POLICY;
  const { product } = input;
  const eligibility = eligibilityRules(input, policy);
  const reasons: Reason[] = eligibility.filter((r) => !r.passed).map((r) => ({ code: r.rule, kind: 'eligibility', detail: r.detail }));
  const base = {
    policy_version: policy.version,
    eligibility,
    risk: input.risk,
    turnover: input.turnover,
  };
  if (input.risk.outcome === 'block') {
    reasons.push({ code: 'risk_blocked', kind: 'risk', detail: `the risk engine blocked the application (${input.risk.rules.map((r) => r.id).join(', ') || 'no rule named'})` });
  }
  // Amount and term outside the product make no schedule to score; the rules above said so.
  const inRange = eligibility.every((r) => r.passed || (r.rule !== 'amount_out_of_range' && r.rule !== 'term_out_of_range'));
  if (!inRange) return { ...base, status: 'declined', reasons, score: null, offer: null };

  const score = creditScore(input, firstPayment(product, input.amount_minor, input.term_periods, input.start_date), policy);
  if (score.band === 'E') {
    const cutoff = policy.bands[policy.bands.length - 1]!.min_score;
    reasons.push({ code: 'credit_score_below_cutoff', kind: 'credit', detail: `score ${score.points.toFixed(0)} is below the cutoff ${cutoff}` });
    for (const r of score.reasons) reasons.push({ code: scoreReasonCode(r.attribute, r.bin), kind: 'credit', detail: explainScoreReason(r), attribute: r.attribute });
  }
  if (reasons.length > 0 || score.band === 'E') return { ...base, status: 'declined', reasons, score, offer: null };

  const offered = offerFor(input, score.band, policy);
  if (!offered.ok) return { ...base, status: 'declined', reasons: [...reasons, offered.reason], score, offer: null };
  const { offer, payment_minor: payment } = offered;
  const monthly = input.business.annual_revenue_minor / 12n;
  if (payment * 10_000n > monthly * BigInt(policy.max_payment_to_monthly_revenue_bps)) {
    const detail = `the first instalment ${payment} is more than ${policy.max_payment_to_monthly_revenue_bps / 100}% of monthly revenue ${monthly}`;
    return { ...base, status: 'declined', reasons: [{ code: 'repayment_capacity_exceeded', kind: 'offer', detail }], score, offer: null };
  }
  if (input.risk.outcome === 'review' || input.risk.outcome === 'step_up') {
    const named = input.risk.rules.map((r) => `${r.id}: ${r.reason}`).join('; ');
    return { ...base, status: 'referred', reasons: [{ code: 'risk_review', kind: 'risk', detail: `the risk engine asks for a review${named ? ` (${named})` : ''}` }], score, offer };
  }
  return { ...base, status: 'approved', reasons: [], score, offer };
}

function eligibilityRules(input: DecisionInput, policy: LendingPolicy): Decision['eligibility'] {
  const { business, product, account } = input;
  const rule = (name: string, passed: boolean, detail: string) => ({ rule: name, passed, detail });
  const revenue = business.annual_revenue_minor;
  const rules = [
    rule('amount_out_of_range', input.amount_minor >= product.amount_min_minor && input.amount_minor <= product.amount_max_minor,
      `the product lends ${product.amount_min_minor}..${product.amount_max_minor} minor units; asked ${input.amount_minor}`),
    rule('term_out_of_range', input.term_periods >= product.term_min_periods && input.term_periods <= product.term_max_periods,
      `the product's term is ${product.term_min_periods}..${product.term_max_periods} periods (${product.frequency}); asked ${input.term_periods}`),
    rule('currency_mismatch', account.currency === product.currency, `the account is in ${account.currency}, the product lends ${product.currency}`),
    rule('account_not_open', account.status === 'open', `the account is ${account.status}`),
    rule('account_not_owned', account.owner_customer_id === null || account.owner_customer_id === input.customer_id,
      account.owner_customer_id === null ? 'the account names no owner (metadata.customer_id)' : `the account belongs to customer ${account.owner_customer_id}`),
    rule('trading_history_too_short', business.months_trading >= policy.min_months_trading,
      `${business.months_trading} months trading; at least ${policy.min_months_trading} needed`),
    rule('no_revenue', revenue > 0n, 'annual revenue must be above zero'),
    rule('debt_to_revenue_too_high', revenue > 0n && business.existing_debt_minor * 10_000n <= revenue * BigInt(policy.max_existing_debt_to_revenue_bps),
      `existing debt ${business.existing_debt_minor} against annual revenue ${revenue}: at most ${policy.max_existing_debt_to_revenue_bps / 100}%`),
    rule('owner_age_out_of_range', business.owner_age === undefined || (business.owner_age >= policy.owner_age_min && business.owner_age <= policy.owner_age_max),
      `the owner is ${business.owner_age}; ${policy.owner_age_min}..${policy.owner_age_max} accepted`),
    rule('too_many_active_loans', input.active_loans.count <= policy.active_loans_max,
      `${input.active_loans.count} active loans with this bank; at most ${policy.active_loans_max} before a new one`),
    rule('industry_excluded', !policy.excluded_industries.includes(business.industry.toLowerCase()), `the bank does not lend to the ${business.industry} industry`),
  ];
  // Passed rules explain themselves by name; their detail is what was checked.
  return rules;
}

/**
 * The first payment the borrower would make: a loan's first instalment (principal and
 * interest), or a revolving line's first statement with the whole limit drawn on day one
 * (credit-line.ts `lineExample`). What the score's repayment-to-revenue attribute and the
 * affordability rule read.
 */
export function firstPayment(product: LoanProduct, amount_minor: bigint, term_periods: number, start_date: BusinessDate): bigint {
  if (product.repayment_method === 'revolving') return lineExample(product, amount_minor, term_periods, start_date).payment_minor;
  const built = buildSchedule({ product, principal_minor: amount_minor, term_periods, start_date });
  if (!built.ok) throw new Error(`a schedule within the product's ranges failed: ${built.detail}`);
  return built.schedule.instalments[0]!.payment_minor;
}

function creditScore(input: DecisionInput, payment_minor: bigint, policy: LendingPolicy): CreditScore {
  const { product } = input;
  const attributes = creditAttributes({
    term_periods: input.term_periods,
    frequency: product.frequency,
    amount_minor: input.amount_minor,
    currency: product.currency,
    currency_scale: product.currency_scale,
    months_trading: input.business.months_trading,
    account: input.turnover.transfers > 0 ? { balance_minor: input.account.balance_minor } : null,
    active_loans: input.active_loans.count,
    purpose: input.business.purpose,
    owner_age: input.business.owner_age,
    payment_minor,
    annual_revenue_minor: input.business.annual_revenue_minor,
  });
  const scored = scoreRow(input.card, attributes);
  return {
    model_id: input.model.id,
    model_version: input.model.version,
    points: scored.score,
    probability_bad: scored.probability_bad,
    band: bandOf(scored.score, policy),
    attributes,
    reasons: scored.reasons,
  };
}

export function bandOf(points: number, policy: LendingPolicy = LENDING_POLICY): Band {
  return policy.bands.find((b) => points >= b.min_score)?.band ?? 'E';
}

type OfferResult = { ok: true; offer: Offer; payment_minor: bigint } | { ok: false; reason: Reason };

function offerFor(input: DecisionInput, band: Exclude<Band, 'E'>, policy: LendingPolicy): OfferResult {
  const { product } = input;
  const bandPolicy = policy.bands.find((b) => b.band === band)!;
  const bandLimit = bps(input.business.annual_revenue_minor, bandPolicy.limit_revenue_bps);
  const capped = bandLimit < product.amount_max_minor ? bandLimit : product.amount_max_minor;
  const limit = capped > input.active_loans.outstanding_minor ? capped - input.active_loans.outstanding_minor : 0n;
  if (limit < product.amount_min_minor) {
    const detail = `band ${band} allows ${capped} in all (${bandPolicy.limit_revenue_bps / 100}% of annual revenue, at most the product's maximum); ${input.active_loans.outstanding_minor} is already lent, leaving ${limit}, below the product's minimum ${product.amount_min_minor}`;
    return { ok: false, reason: { code: 'exposure_limit_exceeded', kind: 'offer', detail } };
  }
  const amount = input.amount_minor < limit ? input.amount_minor : limit;
  const rate = addPercent(product.annual_rate_percent, bandPolicy.margin_percent);
  const priced = pricedProduct(product, rate);
  if (!priced) return { ok: false, reason: { code: 'rate_above_maximum', kind: 'offer', detail: `the band's rate ${rate}% is above the 100% limit` } };
  return {
    ok: true,
    offer: { amount_minor: amount, term_periods: input.term_periods, band, annual_rate_percent: rate, limit_minor: limit, reduced_from_minor: amount < input.amount_minor ? input.amount_minor : null },
    payment_minor: firstPayment(priced, amount, input.term_periods, input.start_date),
  };
}

/** The product with the offer's rate: what the loan is written under and its schedule built from. */
export function pricedProduct(product: LoanProduct, annual_rate_percent: string): LoanProduct | undefined {
  const parsed = parseAnnualRatePercent(annual_rate_percent);
  if (!parsed.ok) return undefined;
  return { ...product, annual_rate_percent, annual_rate: parsed.rate };
}

const MICRO = 10n ** BigInt(RATE_DECIMALS_MAX);

function micros(percent: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(percent);
  if (!match) throw new RangeError(`"${percent}" is not a percent`);
  return BigInt(match[1]!) * MICRO + BigInt((match[2] ?? '').padEnd(RATE_DECIMALS_MAX, '0'));
}

/** "12" + "2.5" = "14.5", exactly (both have at most 6 decimals, so the sum does too). */
export function addPercent(a: string, b: string): string {
  const sum = micros(a) + micros(b);
  const whole = sum / MICRO;
  const fraction = (sum % MICRO).toString().padStart(RATE_DECIMALS_MAX, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}
