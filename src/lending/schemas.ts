/**
 * TypeBox schemas for lending's HTTP surface (validation and the OpenAPI document) and the
 * translation between JSON and the service's types. The schemas check shapes; the rules
 * (a product's ranges, the decision) are the core's, so clients get its precise codes.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AmountString, Uuid } from '../ledger/schemas.js';
import { CUSTOMER_ID_PATTERN } from '../envelopes/core.js';
import { LendingTransferCodes } from './accounts.js';
import { BUSINESS_PURPOSES } from './credit-model.js';
import { DAY_COUNTS } from './daycount.js';
import { FREQUENCIES, PRODUCT_ID_PATTERN, REPAYMENT_METHODS, TERM_PERIODS_MAX, type LoanProduct } from './products.js';
import type { Schedule } from './schedule.js';
import type { LineExample } from './credit-line.js';
import type { PayoffQuote } from './prepayment.js';
import type { InstalmentRow } from './loan-state.js';
import { jsonSafe } from './servicing.js';
import type { ApplicationInput, LoanDetail, OfferPreview, StatementLine } from './service.js';
import type { ApplicationRecord, OperationRecord, ProductRecord } from './store.js';

const Timestamp = Type.String({ format: 'date-time' });
const DateString = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A business date, YYYY-MM-DD (UTC)' });
const MinorUnits = Type.String({ pattern: '^-?[0-9]+$', description: 'Integer minor units as a decimal string' });
/** Zero allowed: revenue, debt and fees may be nothing. */
const MinorOrZero = Type.String({ pattern: '^(0|[1-9][0-9]{0,18})$', description: 'Non-negative integer minor units as a decimal string' });
const Percent = Type.String({ maxLength: 12, description: 'Percent a year as a decimal string with up to 6 decimals, e.g. "12" or "4.35"' });
const literals = <T extends string>(values: readonly T[], description?: string) => Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {});

export const ProductId = Type.String({ pattern: PRODUCT_ID_PATTERN, description: 'Product id: 1–64 of letters, digits and . _ : - (starting with a letter or digit)' });
export const CustomerId = Type.String({ pattern: CUSTOMER_ID_PATTERN, description: "The bank's customer id" });
export const INDUSTRY_PATTERN = '^[a-z][a-z0-9_]{0,63}$';

// ------------------------------------------------------------------ products

export const ProductSave = Type.Object(
  {
    name: Type.String({ maxLength: 400, description: '1–100 characters' }),
    currency: Type.String({ maxLength: 3, description: 'ISO 4217 code' }),
    amount_min_minor: Type.String({ maxLength: 20, description: 'Smallest loan, minor units as a decimal string' }),
    amount_max_minor: Type.String({ maxLength: 20, description: 'Largest loan, minor units as a decimal string (at most 10^15)' }),
    term_min_periods: Type.Integer({ description: `Shortest term in periods (1..${TERM_PERIODS_MAX})` }),
    term_max_periods: Type.Integer({ description: `Longest term in periods (1..${TERM_PERIODS_MAX})` }),
    annual_rate_percent: { ...Percent, description: 'The nominal annual rate of band A; the other bands add their margin (docs/lending.md)' },
    day_count: literals(DAY_COUNTS),
    repayment_method: literals(REPAYMENT_METHODS, 'annuity, equal_principal, interest_only, or revolving (a credit line: the amounts are its limit, the term its tenor, the frequency its statement cycle)'),
    frequency: literals(FREQUENCIES),
    origination_fee: Type.Optional(
      Type.Object(
        { fixed_minor: Type.String({ maxLength: 20 }), bps: Type.Integer({ description: '0..10000 basis points of the principal' }) },
        { additionalProperties: false, description: 'Charged with instalment 1 (not deducted from the disbursement). Default none.' },
      ),
    ),
    grace_days: Type.Integer({ description: '0..90 days after a due date before an instalment is overdue' }),
    penalty_annual_rate_percent: { ...Percent, description: 'Penalty interest on overdue principal' },
    early_repayment: Type.Optional(
      Type.Object(
        { allowed: Type.Boolean(), fee_bps: Type.Integer({ description: '0..10000 bps of the principal prepaid' }), min_months: Type.Integer({ description: 'allowed from start + this many months' }) },
        { additionalProperties: false, description: 'Default: allowed at any time without a fee' },
      ),
    ),
    minimum_payment: Type.Optional(
      Type.Object(
        {
          bps: Type.Integer({ description: '0..10000 basis points of the unbilled drawn balance, rounded up' }),
          floor_minor: Type.String({ maxLength: 20, description: 'At least this much (never more than the balance), minor units' }),
        },
        { additionalProperties: false, description: 'Revolving lines only (required for them): the principal each statement bills; the last statement bills the whole balance' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ProductSave = Static<typeof ProductSave>;

export function toProductBody(body: ProductSave) {
  return {
    ...body,
    origination_fee: body.origination_fee ?? { fixed_minor: '0', bps: 0 },
    early_repayment: body.early_repayment ?? { allowed: true, fee_bps: 0, min_months: 0 },
  };
}

const ProductFields = {
  id: Type.String(),
  version: Type.Integer(),
  status: Type.String({ description: 'active | retired (no new applications)' }),
  name: Type.String(),
  currency: Type.String(),
  amount_min_minor: MinorUnits,
  amount_max_minor: MinorUnits,
  term_min_periods: Type.Integer(),
  term_max_periods: Type.Integer(),
  annual_rate_percent: Type.String(),
  day_count: Type.String(),
  repayment_method: Type.String(),
  frequency: Type.String(),
  origination_fee: Type.Object({ fixed_minor: MinorUnits, bps: Type.Integer() }),
  grace_days: Type.Integer(),
  penalty_annual_rate_percent: Type.String(),
  early_repayment: Type.Object({ allowed: Type.Boolean(), fee_bps: Type.Integer(), min_months: Type.Integer() }),
  minimum_payment: Type.Union([Type.Object({ bps: Type.Integer(), floor_minor: MinorUnits }), Type.Null()], { description: 'Revolving lines: the principal each statement bills' }),
  created_by: Type.String(),
  created_at: Timestamp,
};
export const ProductView = Type.Object(ProductFields);
export const ProductVersionSummary = Type.Object({ version: Type.Integer(), status: Type.String(), created_by: Type.String(), created_at: Timestamp });
export const ProductDetail = Type.Object({ ...ProductFields, versions: Type.Array(ProductVersionSummary, { description: 'Newest first (up to 100)' }) });

export function productViewJson(record: ProductRecord, product: LoanProduct) {
  return {
    id: product.id,
    version: product.version,
    status: record.status,
    name: product.name,
    currency: product.currency,
    amount_min_minor: product.amount_min_minor.toString(),
    amount_max_minor: product.amount_max_minor.toString(),
    term_min_periods: product.term_min_periods,
    term_max_periods: product.term_max_periods,
    annual_rate_percent: product.annual_rate_percent,
    day_count: product.day_count,
    repayment_method: product.repayment_method,
    frequency: product.frequency,
    origination_fee: { fixed_minor: product.origination_fee.fixed_minor.toString(), bps: product.origination_fee.bps },
    grace_days: product.grace_days,
    penalty_annual_rate_percent: product.penalty_annual_rate_percent,
    early_repayment: product.early_repayment,
    minimum_payment: product.minimum_payment ? { bps: product.minimum_payment.bps, floor_minor: product.minimum_payment.floor_minor.toString() } : null,
    created_by: record.created_by,
    created_at: record.created_at.toISOString(),
  };
}

// ------------------------------------------------------------------ applications

export const Business = Type.Object(
  {
    industry: Type.String({ pattern: INDUSTRY_PATTERN, description: 'Industry code: lower-case letters, digits and _ (e.g. "restaurants", "retail")' }),
    months_trading: Type.Integer({ minimum: 0, maximum: 1200, description: 'Months the business has traded' }),
    annual_revenue: { ...MinorOrZero, description: 'Annual revenue, minor units of the product currency' },
    existing_debt: { ...MinorOrZero, description: 'Debt owed elsewhere, minor units' },
    owner_age: Type.Optional(Type.Integer({ minimum: 16, maximum: 120, description: "The owner's age in years" })),
    purpose: Type.Optional(literals(BUSINESS_PURPOSES, 'What the loan is for (default working_capital)')),
    employees: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

export const ApplicationCreate = Type.Object(
  {
    id: Uuid,
    customer_id: CustomerId,
    account_id: { ...Uuid, description: "The customer's account: paid out to and collected from (same currency as the product)" },
    product_id: ProductId,
    amount: { ...AmountString, description: 'Requested amount, minor units' },
    term: Type.Integer({ minimum: 1, maximum: TERM_PERIODS_MAX, description: "Requested term in the product's periods" }),
    business: Business,
    device_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'For the risk engine (velocity, graph)' })),
    ip: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'Default "lending"' })),
  },
  { additionalProperties: false },
);
export type ApplicationCreate = Static<typeof ApplicationCreate>;

export function toApplicationInput(body: ApplicationCreate): ApplicationInput {
  const b = body.business;
  return {
    id: body.id.toLowerCase(),
    customer_id: body.customer_id,
    account_id: body.account_id.toLowerCase(),
    product_id: body.product_id,
    amount_minor: BigInt(body.amount),
    term_periods: body.term,
    business: {
      industry: b.industry,
      months_trading: b.months_trading,
      annual_revenue_minor: BigInt(b.annual_revenue),
      existing_debt_minor: BigInt(b.existing_debt),
      owner_age: b.owner_age,
      purpose: b.purpose,
      employees: b.employees,
    },
    device_id: body.device_id,
    ip: body.ip,
    channel: body.channel,
  };
}

export const AcceptBody = Type.Object(
  {
    amount: Type.Optional({ ...AmountString, description: 'At most the offer (default: the offer)' }),
    term: Type.Optional(Type.Integer({ minimum: 1, maximum: TERM_PERIODS_MAX, description: "At most the offer's term (default: the offer's)" })),
    draw: Type.Optional({ ...MinorOrZero, description: "Revolving lines only: drawn at once into the customer's account, in the opening chain (default 0, at most the limit)" }),
  },
  { additionalProperties: false },
);
export type AcceptBody = Static<typeof AcceptBody>;

export const ReviewBody = Type.Object(
  { outcome: literals(['approve', 'decline'] as const), comment: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);

const InstalmentPreview = Type.Object({
  number: Type.Integer(),
  period_start: DateString,
  due_date: DateString,
  interest_days: Type.Integer(),
  principal: MinorUnits,
  interest: MinorUnits,
  fee: MinorUnits,
  payment: { ...MinorUnits, description: 'principal + interest (the fee is due beside it)' },
  balance_after: MinorUnits,
});

export const ScheduleView = Type.Object({
  method: Type.String(),
  frequency: Type.String(),
  day_count: Type.String(),
  start_date: DateString,
  principal: MinorUnits,
  level_payment: Type.Union([MinorUnits, Type.Null()], { description: 'The annuity payment; null for other methods' }),
  instalments: Type.Array(InstalmentPreview),
  totals: Type.Object({ principal: MinorUnits, interest: MinorUnits, fee: MinorUnits, payment: MinorUnits }),
});

export function scheduleJson(s: Schedule) {
  return {
    method: s.method,
    frequency: s.frequency,
    day_count: s.day_count,
    start_date: s.start_date,
    principal: s.principal_minor.toString(),
    level_payment: s.level_payment_minor?.toString() ?? null,
    instalments: s.instalments.map((i) => ({
      number: i.number,
      period_start: i.period_start,
      due_date: i.due_date,
      interest_days: i.interest_days,
      principal: i.principal_minor.toString(),
      interest: i.interest_minor.toString(),
      fee: i.fee_minor.toString(),
      payment: i.payment_minor.toString(),
      balance_after: i.balance_after_minor.toString(),
    })),
    totals: {
      principal: s.totals.principal_minor.toString(),
      interest: s.totals.interest_minor.toString(),
      fee: s.totals.fee_minor.toString(),
      payment: s.totals.payment_minor.toString(),
    },
  };
}

const LineOfferView = Type.Object({
  credit_limit: MinorUnits,
  tenor: Type.Integer({ description: 'Statements until maturity (the term, in the frequency\'s periods)' }),
  maturity_date: DateString,
  first_statement_date: DateString,
  minimum_payment: Type.Object({ bps: Type.Integer(), floor_minor: MinorUnits }),
  example: Type.Object(
    {
      drawn: { ...MinorUnits, description: 'The whole limit, drawn on the start date' },
      cycle_days: Type.Integer(),
      cycle_interest: { ...MinorUnits, description: "Cycle 1's interest on it (daily, floor-and-carry, actual/365)" },
      minimum_payment: { ...MinorUnits, description: "Statement 1's principal" },
      fee: { ...MinorUnits, description: 'The origination fee, billed on statement 1' },
      payment: { ...MinorUnits, description: 'cycle_interest + minimum_payment (the fee beside it)' },
    },
    { description: 'What statement 1 would bill if the whole limit were drawn at once' },
  ),
});

function lineOfferJson(e: LineExample) {
  return {
    credit_limit: e.credit_limit_minor.toString(),
    tenor: e.term_periods,
    maturity_date: e.maturity_date,
    first_statement_date: e.first_statement_date,
    minimum_payment: { bps: e.minimum_payment.bps, floor_minor: e.minimum_payment.floor_minor.toString() },
    example: {
      drawn: e.credit_limit_minor.toString(),
      cycle_days: e.cycle_days,
      cycle_interest: e.cycle_interest_minor.toString(),
      minimum_payment: e.minimum_payment_minor.toString(),
      fee: e.fee_minor.toString(),
      payment: e.payment_minor.toString(),
    },
  };
}

const Reason = Type.Object({
  code: Type.String(),
  kind: Type.String({ description: 'eligibility | credit | offer | risk' }),
  detail: Type.String(),
  attribute: Type.Optional(Type.String()),
});

export const ApplicationView = Type.Object({
  id: Type.String(),
  customer_id: Type.String(),
  account_id: Type.String(),
  product: Type.Object({ id: Type.String(), version: Type.Integer() }),
  amount: MinorUnits,
  term: Type.Integer(),
  business: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String({ description: 'approved | declined | referred | accepted | expired' }),
  reasons: Type.Array(Reason, { description: 'Why it was declined or referred (empty when approved)' }),
  decision: Type.Record(Type.String(), Type.Unknown(), { description: 'Every eligibility rule, the risk verdict, the credit score with its attributes and reasons, turnover' }),
  offer: Type.Union([
    Type.Object({
      amount: MinorUnits,
      term: Type.Integer(),
      annual_rate_percent: Type.String(),
      band: Type.String(),
      limit: { ...MinorUnits, description: "What the band still allows this customer" },
      reduced_from: Type.Union([MinorUnits, Type.Null()], { description: 'The amount asked, when the offer is lower' }),
      origination_fee: MinorUnits,
      expires_at: Type.Union([Timestamp, Type.Null()]),
      schedule: Type.Union([ScheduleView, Type.Null()], { description: 'The repayment schedule; null for a revolving line (see credit_line)' }),
      credit_line: Type.Union([LineOfferView, Type.Null()], { description: 'A revolving line: its terms and an example cycle instead of a schedule' }),
    }),
    Type.Null(),
  ]),
  loan_id: Type.Union([Type.String(), Type.Null()], { description: 'The loan opened by accepting the offer' }),
  decision_ms: Type.Number({ description: 'Time from receiving the application to its decision, in milliseconds' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export function applicationJson(a: ApplicationRecord, preview: OfferPreview | null, loan_id: string | null) {
  const decision = a.decision as { reasons?: unknown[]; offer?: { band?: string; limit_minor?: string; reduced_from_minor?: string | null } | null };
  return {
    id: a.id,
    customer_id: a.customer_id,
    account_id: a.account_id,
    product: { id: a.product_id, version: a.product_version },
    amount: a.requested_amount.toString(),
    term: a.requested_term,
    business: a.business,
    status: a.status,
    reasons: (decision.reasons ?? []) as Static<typeof Reason>[],
    decision: a.decision,
    offer:
      a.offer_amount !== null && preview
        ? {
            amount: a.offer_amount.toString(),
            term: a.offer_term!,
            annual_rate_percent: a.offer_rate_percent!,
            band: decision.offer?.band ?? '',
            limit: decision.offer?.limit_minor ?? a.offer_amount.toString(),
            reduced_from: decision.offer?.reduced_from_minor ?? null,
            origination_fee: (preview.schedule ? preview.schedule.totals.fee_minor : preview.line.fee_minor).toString(),
            expires_at: a.offer_expires_at?.toISOString() ?? null,
            schedule: preview.schedule ? scheduleJson(preview.schedule) : null,
            credit_line: preview.line ? lineOfferJson(preview.line) : null,
          }
        : null,
    loan_id,
    decision_ms: Math.round(a.decision_ms * 1000) / 1000,
    created_at: a.created_at.toISOString(),
    updated_at: a.updated_at.toISOString(),
  };
}

// ------------------------------------------------------------------ loans

const Balances = Type.Object({ principal: MinorUnits, interest: MinorUnits, penalty: MinorUnits, fee: MinorUnits });

const LineView = Type.Object({
  credit_limit: MinorUnits,
  drawn: { ...MinorUnits, description: 'The drawn balance: what is owed of the principal (billed and not)' },
  available: { ...MinorUnits, description: 'credit_limit − drawn: what may be drawn now (if the line is active, not matured and not in arrears)' },
  unbilled_principal: { ...MinorUnits, description: 'The drawn balance not billed yet (interest accrues on it)' },
  unbilled_interest: { ...MinorUnits, description: 'Interest accrued since the last statement' },
  last_statement_date: Type.Union([DateString, Type.Null()]),
  next_statement_date: Type.Union([DateString, Type.Null()], { description: 'null after the last statement (at maturity)' }),
  minimum_payment: Type.Object({ bps: Type.Integer(), floor_minor: MinorUnits }),
});

export const LoanView = Type.Object({
  id: Type.String(),
  application_id: Type.Union([Type.String(), Type.Null()]),
  customer_id: Type.String(),
  account_id: Type.String(),
  currency: Type.String(),
  product: Type.Object({ id: Type.String(), version: Type.Integer() }),
  principal: MinorUnits,
  term: Type.Integer(),
  band: Type.Union([Type.String(), Type.Null()]),
  annual_rate_percent: Type.String(),
  repayment_method: Type.String(),
  frequency: Type.String(),
  day_count: Type.String(),
  start_date: DateString,
  maturity_date: DateString,
  status: Type.String({ description: 'active | closed | written_off' }),
  days_past_due: Type.Integer(),
  category: Type.String(),
  accounts: Type.Object({ principal: Type.String(), interest: Type.String(), penalty: Type.String(), fee: Type.String() }, { description: "The loan's ledger accounts (receivables)" }),
  balances: { ...Balances, description: 'From the loan row and its schedule: outstanding principal, accrued unpaid interest, penalty due, unpaid fees' },
  ledger: { ...Balances, description: 'The debit balances of the four ledger accounts' },
  reconciled: Type.Boolean({ description: 'balances and ledger agree (they always should)' }),
  next_due: Type.Union([Type.Object({ due_date: DateString, amount: MinorUnits }), Type.Null()], { description: 'The oldest unpaid instalment' }),
  credit_line: Type.Union([LineView, Type.Null()], { description: 'A revolving line (principal is then what was drawn in all); null for a term loan' }),
  recovered: { ...MinorUnits, description: 'Money recovered after a write-off (POST …/recoveries); 0 otherwise' },
  last_cob_date: Type.Union([DateString, Type.Null()]),
  last_accrual_date: Type.Union([DateString, Type.Null()]),
  closed_at: Type.Union([Timestamp, Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
});

function lineJson(d: LoanDetail) {
  const { loan } = d;
  if (!loan.line) return null;
  const rule = d.product.minimum_payment;
  return {
    credit_limit: loan.line.credit_limit.toString(),
    drawn: loan.outstanding_principal.toString(),
    available: (loan.line.credit_limit - loan.outstanding_principal).toString(),
    unbilled_principal: loan.line.unbilled_principal.toString(),
    unbilled_interest: loan.line.unbilled_interest.toString(),
    last_statement_date: loan.line.last_statement_date,
    next_statement_date: loan.line.next_statement_date,
    minimum_payment: { bps: rule?.bps ?? 0, floor_minor: (rule?.floor_minor ?? 0n).toString() },
  };
}

const balancesJson = (b: { principal: bigint; interest: bigint; penalty: bigint; fee: bigint }) => ({
  principal: b.principal.toString(),
  interest: b.interest.toString(),
  penalty: b.penalty.toString(),
  fee: b.fee.toString(),
});

export function loanJson(d: LoanDetail) {
  const { loan } = d;
  const unpaid = d.rows
    .filter((r) => r.status !== 'superseded' && r.status !== 'paid')
    .sort((a, b) => (a.due_date < b.due_date ? -1 : a.due_date > b.due_date ? 1 : a.number - b.number))
    .find((r) => r.principal + r.interest + r.fee > r.paid_principal + r.paid_interest + r.paid_fee);
  return {
    id: loan.id,
    application_id: loan.application_id,
    customer_id: loan.customer_id,
    account_id: loan.account_id,
    currency: loan.currency,
    product: { id: loan.product_id, version: loan.product_version },
    principal: loan.principal.toString(),
    term: d.term_periods,
    band: d.band,
    annual_rate_percent: d.product.annual_rate_percent,
    repayment_method: d.product.repayment_method,
    frequency: d.product.frequency,
    day_count: d.product.day_count,
    start_date: loan.start_date,
    maturity_date: loan.maturity_date,
    status: loan.status,
    days_past_due: loan.days_past_due,
    category: loan.category,
    accounts: { principal: loan.principal_account_id, interest: loan.interest_account_id, penalty: loan.penalty_account_id, fee: loan.fee_account_id },
    balances: balancesJson(d.book),
    ledger: balancesJson(d.ledger),
    reconciled: d.reconciled,
    next_due:
      loan.status === 'active' && unpaid
        ? { due_date: unpaid.due_date, amount: (unpaid.principal + unpaid.interest + unpaid.fee - unpaid.paid_principal - unpaid.paid_interest - unpaid.paid_fee).toString() }
        : null,
    credit_line: lineJson(d),
    recovered: loan.recovered.toString(),
    last_cob_date: loan.last_cob_date,
    last_accrual_date: loan.last_accrual_date,
    closed_at: loan.closed_at?.toISOString() ?? null,
    created_at: loan.created_at.toISOString(),
    updated_at: loan.updated_at.toISOString(),
  };
}

const InstalmentLine = Type.Object({
  number: Type.Integer({ description: 'Line number' }),
  period_number: Type.Integer({ description: 'Period counted from the start date' }),
  kind: Type.String({ description: 'scheduled | settlement (what an early repayment or a restructure settled on its date)' }),
  period_start: DateString,
  due_date: DateString,
  interest_days: Type.Integer(),
  principal: MinorUnits,
  interest: MinorUnits,
  fee: MinorUnits,
  paid_principal: MinorUnits,
  paid_interest: MinorUnits,
  paid_fee: MinorUnits,
  status: Type.String({ description: 'scheduled | due | overdue | paid | superseded' }),
});

export const LoanScheduleView = Type.Object({
  loan_id: Type.String(),
  instalments: Type.Array(InstalmentLine),
  totals: Type.Object(
    { principal: MinorUnits, interest: MinorUnits, fee: MinorUnits, paid_principal: MinorUnits, paid_interest: MinorUnits, paid_fee: MinorUnits },
    { description: 'Over the lines that are not superseded: principal always sums to the loan' },
  ),
});

export function loanScheduleJson(loanId: string, rows: readonly InstalmentRow[], includeSuperseded: boolean) {
  const live = rows.filter((r) => r.status !== 'superseded');
  const sum = (key: 'principal' | 'interest' | 'fee' | 'paid_principal' | 'paid_interest' | 'paid_fee') => live.reduce((s, r) => s + r[key], 0n).toString();
  const shown = (includeSuperseded ? [...rows] : live).sort((a, b) => (a.due_date < b.due_date ? -1 : a.due_date > b.due_date ? 1 : a.period_start < b.period_start ? -1 : a.period_start > b.period_start ? 1 : a.number - b.number));
  return {
    loan_id: loanId,
    instalments: shown.map((r) => ({
      number: r.number,
      period_number: r.period_number,
      kind: r.kind,
      period_start: r.period_start,
      due_date: r.due_date,
      interest_days: r.interest_days,
      principal: r.principal.toString(),
      interest: r.interest.toString(),
      fee: r.fee.toString(),
      paid_principal: r.paid_principal.toString(),
      paid_interest: r.paid_interest.toString(),
      paid_fee: r.paid_fee.toString(),
      status: r.status,
    })),
    totals: { principal: sum('principal'), interest: sum('interest'), fee: sum('fee'), paid_principal: sum('paid_principal'), paid_interest: sum('paid_interest'), paid_fee: sum('paid_fee') },
  };
}

const EVENT_OF_CODE = new Map<number, string>(Object.entries(LendingTransferCodes).map(([name, code]) => [code, name]));

export const StatementView = Type.Object({
  loan_id: Type.String(),
  currency: Type.String(),
  lines: Type.Array(
    Type.Object({
      transfer_id: Type.String(),
      at: Timestamp,
      code: Type.Integer(),
      event: Type.String({ description: 'The transfer code by name (disbursement, interest_accrual, repayment_principal, …)' }),
      account: Type.String({ description: 'principal | interest | penalty | fee' }),
      side: Type.String({ description: 'debit (the receivable grows) | credit' }),
      amount: MinorUnits,
      balance_after: { ...MinorUnits, description: "The account's debit balance after the line" },
    }),
  ),
  balances: Balances,
  drawdowns: Type.Array(Type.Object({ transfer_id: Type.String(), at: Timestamp, amount: MinorUnits }), { description: "A revolving line's drawdowns (its lines with event drawdown); empty for a term loan" }),
  truncated: Type.Boolean({ description: 'More than 10,000 lines on an account: the oldest 10,000 are shown' }),
});

export function statementJson(loanId: string, currency: string, lines: readonly StatementLine[], truncated: boolean) {
  const balances = { principal: 0n, interest: 0n, penalty: 0n, fee: 0n };
  for (const line of lines) balances[line.account] = line.balance_after;
  return {
    loan_id: loanId,
    currency,
    lines: lines.map((l) => ({
      transfer_id: l.transfer.id,
      at: l.transfer.created_at.toISOString(),
      code: l.transfer.code,
      event: EVENT_OF_CODE.get(l.transfer.code) ?? String(l.transfer.code),
      account: l.account,
      side: l.side,
      amount: l.transfer.amount.toString(),
      balance_after: l.balance_after.toString(),
    })),
    balances: balancesJson(balances),
    drawdowns: lines
      .filter((l) => l.transfer.code === LendingTransferCodes.drawdown)
      .map((l) => ({ transfer_id: l.transfer.id, at: l.transfer.created_at.toISOString(), amount: l.transfer.amount.toString() })),
    truncated,
  };
}

export const RepaymentBody = Type.Object(
  { id: { ...Uuid, description: 'The operation id, chosen by the client: repeating it is a safe retry' }, amount: { ...AmountString, description: 'Taken from the loan account holder’s account' } },
  { additionalProperties: false },
);
export const PayoffBody = Type.Object(
  { id: Uuid, amount: Type.Optional({ ...AmountString, description: 'The quoted payoff amount: refused (payoff_amount_changed) if the payoff is now different' }) },
  { additionalProperties: false },
);
export const DrawdownBody = Type.Object(
  {
    id: { ...Uuid, description: 'The operation id, chosen by the client: repeating it is a safe retry' },
    amount: { ...AmountString, description: "Drawn into the customer's account; at most the available credit" },
  },
  { additionalProperties: false },
);
export const RestructureBody = Type.Object(
  { id: Uuid, term: Type.Integer({ minimum: 1, maximum: TERM_PERIODS_MAX, description: 'The new number of periods, from today' }) },
  { additionalProperties: false },
);
export const WriteOffBody = Type.Object({ id: Uuid, reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });
export const RecoveryBody = Type.Object(
  {
    id: { ...Uuid, description: 'The operation id, chosen by the client: repeating it is a safe retry' },
    amount: { ...AmountString, description: 'Recovered; at most what the write-off cleared less what was recovered before' },
    from_account_id: Type.Optional({ ...Uuid, description: "The account the money comes from (a collections or collateral-proceeds account); default the customer's account" }),
  },
  { additionalProperties: false },
);

const Components = Type.Object({ penalty: MinorUnits, fee: MinorUnits, interest: MinorUnits, principal: MinorUnits });

export const OperationView = Type.Object({
  id: Type.String(),
  loan_id: Type.String(),
  kind: Type.String({ description: 'repayment | payoff | restructure | write_off | drawdown | recovery' }),
  business_date: DateString,
  amount: { ...MinorUnits, description: "Taken from the customer's account (a drawdown: paid into it)" },
  paid: { ...Components, description: 'Credited to each receivable, in allocation order' },
  prepaid_principal: { ...MinorUnits, description: 'The part of paid.principal that was not yet due' },
  early_repayment_fee: MinorUnits,
  details: Type.Record(Type.String(), Type.Unknown(), { description: 'closed, schedule_rebuilt, maturity_date, the interest catch-up, transfer ids, the allocation or payoff quote, what was written off' }),
  created_at: Timestamp,
  loan: LoanView,
});

export function operationJson(o: OperationRecord, loan: LoanDetail) {
  return {
    id: o.id,
    loan_id: o.loan_id,
    kind: o.kind,
    business_date: o.business_date,
    amount: o.amount.toString(),
    paid: { penalty: o.paid_penalty.toString(), fee: o.paid_fee.toString(), interest: o.paid_interest.toString(), principal: o.paid_principal.toString() },
    prepaid_principal: o.prepaid_principal.toString(),
    early_repayment_fee: o.early_repayment_fee.toString(),
    details: o.result,
    created_at: o.created_at.toISOString(),
    loan: loanJson(loan),
  };
}

export const QuoteView = Type.Object({
  loan_id: Type.String(),
  date: DateString,
  arrears: Components,
  prepaid_principal: MinorUnits,
  accrued_interest: { ...MinorUnits, description: "This period's interest for the days before the date" },
  future_fee: MinorUnits,
  early_repayment_fee: MinorUnits,
  total: MinorUnits,
});

export function quoteJson(loanId: string, date: string, q: PayoffQuote) {
  return {
    loan_id: loanId,
    date,
    arrears: { penalty: q.arrears.penalty_minor.toString(), fee: q.arrears.fee_minor.toString(), interest: q.arrears.interest_minor.toString(), principal: q.arrears.principal_minor.toString() },
    prepaid_principal: q.prepaid_principal_minor.toString(),
    accrued_interest: q.accrued_interest_minor.toString(),
    future_fee: q.future_fee_minor.toString(),
    early_repayment_fee: q.early_repayment_fee_minor.toString(),
    total: q.total_minor.toString(),
  };
}

export const page = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });

export { jsonSafe };
