/**
 * The SME credit score: how an application is mapped onto the attributes of the Statlog
 * German Credit data, and the scorecard trained on those attributes with the risk
 * engine's trainer (src/risk/scorecard.ts). Pure: the caller passes the application's
 * facts (and reads the ledger for them); nothing here reads a clock or a database.
 *
 * The mapping (docs/lending.md, "Credit score") keeps only what an SME application can
 * honestly say about the data set's attributes:
 *
 * | German attribute         | from the application                                               |
 * |--------------------------|--------------------------------------------------------------------|
 * | `duration` (months)      | the term in months (quarterly × 3, weekly × 7/30, rounded up)       |
 * | `credit_amount` (DM)     | the amount × a fixed nominal scale per currency (DM_PER_MAJOR_UNIT) |
 * | `employment`             | months trading: <12 `<1`, <48 `1<=X<4`, <84 `4<=X<7`, else `>=7`     |
 * | `checking_status`        | the customer's account in this bank: balance in DM, or missing     |
 * | `existing_credits`       | active loans in this bank + 1                                      |
 * | `purpose`                | the loan purpose (PURPOSE_ATTRIBUTE)                               |
 * | `age`                    | the owner's age, if given                                          |
 * | `installment_commitment` | instalment ÷ monthly revenue: <2.5% 1, <5% 2, <10% 3, else 4        |
 *
 * The other twelve attributes (savings, property, housing, job, credit history, …) have no
 * SME analogue here and are left out of training. Unknown facts (a new customer's account,
 * a missing owner age, a currency without a scale) fall in the scorecard's `missing` bin,
 * which the training data never fills, so they score neutral: neither rewarded nor punished.
 * A real bank retrains on its own book (same attribute names, `PUT /v1/risk/models/credit_sme`).
 */
import { parseCsv, typedRecords } from '../risk/csv.js';
import type { Label } from '../risk/metrics.js';
import { trainScorecard, type Scorecard, type ScorecardRow, type ScoreReason } from '../risk/scorecard.js';
import { GERMAN_CREDIT_SME_CSV } from './credit-data.js';
import type { Frequency } from './products.js';

/** The risk model id the scorecard is stored under (risk_models): versioned and visible in the risk API. */
export const CREDIT_MODEL_ID = 'credit_sme';

export const CREDIT_ATTRIBUTES = ['duration', 'credit_amount', 'employment', 'checking_status', 'existing_credits', 'purpose', 'age', 'installment_commitment'] as const;
export type CreditAttribute = (typeof CREDIT_ATTRIBUTES)[number];
export type CreditRow = Record<CreditAttribute, string | number | null>;

export const BUSINESS_PURPOSES = ['working_capital', 'inventory', 'equipment', 'vehicle', 'premises', 'renovation', 'training', 'other'] as const;
export type BusinessPurpose = (typeof BUSINESS_PURPOSES)[number];

/** The data set's `purpose` for each business purpose (absent: `business`, what an SME loan is by default). */
export const PURPOSE_ATTRIBUTE: Readonly<Record<BusinessPurpose, string>> = {
  working_capital: 'business',
  inventory: 'business',
  premises: 'business',
  equipment: 'furniture/equipment',
  vehicle: 'new car',
  renovation: 'repairs',
  training: 'retraining',
  other: 'other',
};

/**
 * Deutsche Mark (of the 1970s data) per major unit of a currency: a fixed scale that puts a
 * typical SME ticket inside the data set's range of 250..18,424 DM (100,000 CNY → 3,000 DM,
 * a little above the data's median of 2,320), the other currencies at their rough value
 * against CNY. It is not an exchange rate and is never updated; a currency missing here
 * scores `credit_amount` and `checking_status` as missing (neutral).
 */
export const DM_PER_MAJOR_UNIT: Readonly<Record<string, number>> = {
  CNY: 0.03,
  HKD: 0.0276,
  USD: 0.216,
  EUR: 0.234,
  GBP: 0.273,
  SGD: 0.16,
  JPY: 0.00144,
};

/** What the mapping needs to know about one application, already gathered by the caller. */
export interface CreditFacts {
  term_periods: number;
  frequency: Frequency;
  amount_minor: bigint;
  currency: string;
  currency_scale: number;
  months_trading: number;
  /** The customer's account in this bank; null when it has no movement in the last 90 days (a new customer). */
  account: { balance_minor: bigint } | null;
  active_loans: number;
  purpose: BusinessPurpose | undefined;
  owner_age: number | undefined;
  /** The scheduled payment of the first instalment (principal + interest) of the loan applied for. */
  payment_minor: bigint;
  annual_revenue_minor: bigint;
}

export function termMonths(term_periods: number, frequency: Frequency): number {
  if (frequency === 'quarterly') return term_periods * 3;
  if (frequency === 'weekly') return Math.ceil((term_periods * 7) / 30);
  return term_periods;
}

function inDm(amount_minor: bigint, currency: string, scale: number): number | null {
  const rate = DM_PER_MAJOR_UNIT[currency];
  if (rate === undefined) return null;
  return (Number(amount_minor) / 10 ** scale) * rate;
}

export function employmentBand(months_trading: number): string {
  if (months_trading < 12) return '<1';
  if (months_trading < 48) return '1<=X<4';
  if (months_trading < 84) return '4<=X<7';
  return '>=7';
}

/** The account's balance as the data set's checking-account status (an emptied account is the nearest to overdrawn). */
export function checkingStatus(account: CreditFacts['account'], currency: string, scale: number): string | null {
  if (account === null) return null;
  const dm = inDm(account.balance_minor, currency, scale);
  if (dm === null) return null;
  if (account.balance_minor <= 0n) return '<0';
  return dm < 200 ? '0<=X<200' : '>=200';
}

/** Instalment ÷ monthly revenue in bands 1..4 (4 the heaviest, as in the data, where 4 has the highest bad rate). */
export function instalmentBand(payment_minor: bigint, annual_revenue_minor: bigint): number {
  if (annual_revenue_minor <= 0n) return 4;
  // payment / (revenue / 12) in tenths of a percent, exactly.
  const perMille = (payment_minor * 12n * 1000n) / annual_revenue_minor;
  if (perMille < 25n) return 1;
  if (perMille < 50n) return 2;
  if (perMille < 100n) return 3;
  return 4;
}

/** The application as a row of German-credit attributes (what the scorecard reads). */
export function creditAttributes(facts: CreditFacts): CreditRow {
  const dm = inDm(facts.amount_minor, facts.currency, facts.currency_scale);
  return {
    duration: termMonths(facts.term_periods, facts.frequency),
    credit_amount: dm === null ? null : Math.round(dm),
    employment: employmentBand(facts.months_trading),
    checking_status: checkingStatus(facts.account, facts.currency, facts.currency_scale),
    existing_credits: Math.min(4, facts.active_loans + 1),
    purpose: PURPOSE_ATTRIBUTE[facts.purpose ?? 'working_capital'],
    age: facts.owner_age ?? null,
    installment_commitment: instalmentBand(facts.payment_minor, facts.annual_revenue_minor),
  };
}

/** The reason code a scorecard attribute that lost points is reported as. */
export const SCORE_REASON_CODES: Readonly<Record<CreditAttribute, string>> = {
  duration: 'long_term',
  credit_amount: 'large_amount',
  employment: 'short_trading_history',
  checking_status: 'low_account_balance',
  existing_credits: 'existing_loans',
  purpose: 'loan_purpose',
  age: 'owner_age',
  installment_commitment: 'high_repayment_to_revenue',
};

/** An unknown fact scores neutral, but still below the attribute's best bin: it is reported as unknown, not as bad. */
export const MISSING_REASON_CODES: Readonly<Partial<Record<CreditAttribute, string>>> = {
  checking_status: 'no_account_history',
  age: 'owner_age_not_given',
  credit_amount: 'currency_not_scaled',
};

export function scoreReasonCode(attribute: string, bin?: string): string {
  if (bin === 'missing') return (MISSING_REASON_CODES as Record<string, string>)[attribute] ?? `unknown_${attribute}`;
  return (SCORE_REASON_CODES as Record<string, string>)[attribute] ?? `score_${attribute}`;
}

export function explainScoreReason(reason: ScoreReason): string {
  return `${reason.attribute} ${reason.bin}: ${reason.points.toFixed(1)} points, ${reason.points_lost.toFixed(1)} below the best`;
}

/** The training rows and labels: the embedded German-credit columns (credit-data.ts). */
export function creditTrainingSet(): { rows: ScorecardRow[]; labels: Label[] } {
  const table = parseCsv(GERMAN_CREDIT_SME_CSV);
  if (!table.ok) throw new Error(`credit-data.ts does not parse: ${table.message}`);
  const { records } = typedRecords(table);
  const labels = records.map((r): Label => (r.class === 'bad' ? 1 : 0));
  const rows = records.map((r) => Object.fromEntries(CREDIT_ATTRIBUTES.map((a) => [a, r[a] ?? null])) as ScorecardRow);
  return { rows, labels };
}

/** The built-in card: the trainer's defaults on the mapped attributes. Deterministic (same data, same card). */
export function trainCreditScorecard(): Scorecard {
  const { rows, labels } = creditTrainingSet();
  return trainScorecard(rows, labels);
}

/** What is stored beside the card in risk_models.metrics. */
export const CREDIT_MODEL_METRICS = {
  trained_on: 'Statlog German Credit (UCI, CC BY 4.0), 1,000 applicants, 300 bad',
  attributes: CREDIT_ATTRIBUTES,
  mapping: 'docs/lending.md, "Credit score"',
  cross_validation: '10-fold stratified, seed 42: see src/lending/credit-model.test.ts',
};
