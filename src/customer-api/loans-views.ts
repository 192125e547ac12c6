/**
 * What the customer app sees of lending (schemas and JSON shaping for loans-http.ts): the
 * offer, the decision with its reasons, the loan with its schedule and repayments. The
 * bank's internals (the scorecard's attributes, the ledger's receivable accounts, the risk
 * verdict's rules) stay with the bank's own API (/v1/loan-applications, /v1/loans).
 */
import { Type } from '@sinclair/typebox';
import type { LoanProduct } from '../lending/products.js';
import type { Schedule } from '../lending/schedule.js';
import { ScheduleView, scheduleJson } from '../lending/schemas.js';
import type { LoanDetail, OfferPreview } from '../lending/service.js';
import type { ApplicationRecord, OperationRecord } from '../lending/store.js';

const Minor = Type.String({ pattern: '^-?[0-9]+$', description: 'Integer minor units as a decimal string' });
const DateString = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A business date, YYYY-MM-DD (UTC)' });
const Timestamp = Type.String({ format: 'date-time' });

export const MyLoanProduct = Type.Object({
  id: Type.String(),
  name: Type.String(),
  currency: Type.String(),
  amount_min_minor: Minor,
  amount_max_minor: Minor,
  term_min_months: Type.Integer(),
  term_max_months: Type.Integer(),
  annual_rate_percent: { ...Type.String(), description: 'The best (band A) rate; the decision may add a margin' },
  repayment_method: Type.String({ description: 'annuity | equal_principal | interest_only' }),
  origination_fee: Type.Object({ fixed_minor: Minor, bps: Type.Integer() }),
  early_repayment_allowed: Type.Boolean(),
});

export const LoanOffer = Type.Object({
  product: MyLoanProduct,
  amount_minor: Minor,
  term_months: Type.Integer(),
  fits: Type.Boolean({ description: 'The amount and term are within the product (else schedule is null)' }),
  monthly_payment_minor: Type.Union([Minor, Type.Null()], { description: 'The first instalment (principal + interest)' }),
  schedule: Type.Union([ScheduleView, Type.Null()], { description: 'Indicative: at the best rate, starting today; the decision sets the rate' }),
});

export function productJson(p: LoanProduct) {
  return {
    id: p.id,
    name: p.name,
    currency: p.currency,
    amount_min_minor: p.amount_min_minor.toString(),
    amount_max_minor: p.amount_max_minor.toString(),
    term_min_months: p.term_min_periods,
    term_max_months: p.term_max_periods,
    annual_rate_percent: p.annual_rate_percent,
    repayment_method: p.repayment_method,
    origination_fee: { fixed_minor: p.origination_fee.fixed_minor.toString(), bps: p.origination_fee.bps },
    early_repayment_allowed: p.early_repayment.allowed,
  };
}

export function offerJson(p: LoanProduct, amount: bigint, term: number, schedule: Schedule | null) {
  return {
    product: productJson(p),
    amount_minor: amount.toString(),
    term_months: term,
    fits: schedule !== null,
    monthly_payment_minor: schedule?.instalments[0]?.payment_minor.toString() ?? null,
    schedule: schedule ? scheduleJson(schedule) : null,
  };
}

const Reason = Type.Object({ code: Type.String(), kind: Type.String({ description: 'eligibility | credit | offer | risk' }), detail: Type.String() });

export const MyApplication = Type.Object({
  id: Type.String(),
  status: Type.String({ description: 'approved | declined | referred (the bank decides) | accepted | expired' }),
  product_id: Type.String(),
  account_id: Type.String({ description: 'Paid out to and collected from' }),
  amount_minor: Minor,
  term_months: Type.Integer(),
  purpose: Type.Union([Type.String(), Type.Null()]),
  reasons: Type.Array(Reason, { description: 'Why it was declined or referred (empty when approved)' }),
  offer: Type.Union([
    Type.Object({
      amount_minor: Minor,
      term_months: Type.Integer(),
      annual_rate_percent: Type.String(),
      reduced_from_minor: Type.Union([Minor, Type.Null()], { description: 'The amount asked, when the offer is lower' }),
      monthly_payment_minor: Minor,
      total_interest_minor: Minor,
      origination_fee_minor: Minor,
      total_repayable_minor: { ...Minor, description: 'Principal, interest and fees over the schedule' },
      expires_at: Type.Union([Timestamp, Type.Null()]),
      schedule: ScheduleView,
    }),
    Type.Null(),
  ]),
  loan_id: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
});

export function applicationJson(a: ApplicationRecord, preview: OfferPreview | null, loan_id: string | null) {
  const decision = a.decision as { reasons?: { code: string; kind: string; detail: string }[]; offer?: { reduced_from_minor?: string | null } | null };
  const schedule = preview?.schedule ?? null;
  const purpose = a.business.purpose;
  return {
    id: a.id,
    status: a.status,
    product_id: a.product_id,
    account_id: a.account_id,
    amount_minor: a.requested_amount.toString(),
    term_months: a.requested_term,
    purpose: typeof purpose === 'string' ? purpose : null,
    reasons: (decision.reasons ?? []).map((r) => ({ code: r.code, kind: r.kind, detail: r.detail })),
    offer:
      a.offer_amount !== null && schedule
        ? {
            amount_minor: a.offer_amount.toString(),
            term_months: a.offer_term!,
            annual_rate_percent: a.offer_rate_percent!,
            reduced_from_minor: decision.offer?.reduced_from_minor ?? null,
            monthly_payment_minor: schedule.instalments[0]!.payment_minor.toString(),
            total_interest_minor: schedule.totals.interest_minor.toString(),
            origination_fee_minor: schedule.totals.fee_minor.toString(),
            total_repayable_minor: (schedule.totals.payment_minor + schedule.totals.fee_minor).toString(),
            expires_at: a.offer_expires_at?.toISOString() ?? null,
            schedule: scheduleJson(schedule),
          }
        : null,
    loan_id,
    created_at: a.created_at.toISOString(),
  };
}

const NextPayment = Type.Object({ due_date: DateString, amount_minor: Minor, overdue: Type.Boolean() });

const LoanFields = {
  id: Type.String(),
  application_id: Type.Union([Type.String(), Type.Null()]),
  product_id: Type.String(),
  product_name: Type.String(),
  account_id: Type.String({ description: 'Paid into; repayments are taken from it' }),
  currency: Type.String(),
  principal_minor: Minor,
  term_months: Type.Integer(),
  annual_rate_percent: Type.String(),
  start_date: DateString,
  maturity_date: DateString,
  status: Type.String({ description: 'active | closed | written_off' }),
  days_past_due: Type.Integer(),
  outstanding: Type.Object({ principal_minor: Minor, interest_minor: Minor, penalty_minor: Minor, fee_minor: Minor, total_minor: Minor }),
  next_payment: Type.Union([NextPayment, Type.Null()], { description: 'The oldest instalment not paid in full' }),
  created_at: Timestamp,
};
export const MyLoan = Type.Object(LoanFields);

const Instalment = Type.Object({
  number: Type.Integer(),
  due_date: DateString,
  principal_minor: Minor,
  interest_minor: Minor,
  fee_minor: Minor,
  amount_minor: { ...Minor, description: 'principal + interest + fee' },
  paid_minor: Minor,
  status: Type.String({ description: 'scheduled | due | overdue | paid' }),
});
const Repayment = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'repayment | payoff | restructure | …' }),
  business_date: DateString,
  amount_minor: Minor,
  paid: Type.Object({ principal_minor: Minor, interest_minor: Minor, fee_minor: Minor, penalty_minor: Minor }),
  created_at: Timestamp,
});
export const MyLoanDetail = Type.Object({ ...LoanFields, schedule: Type.Array(Instalment), repayments: Type.Array(Repayment) });

const owed = (r: LoanDetail['rows'][number]) => r.principal + r.interest + r.fee;
const paid = (r: LoanDetail['rows'][number]) => r.paid_principal + r.paid_interest + r.paid_fee;
const liveRows = (d: LoanDetail) =>
  d.rows.filter((r) => r.status !== 'superseded').sort((a, b) => (a.due_date < b.due_date ? -1 : a.due_date > b.due_date ? 1 : a.number - b.number));

export function loanJson(d: LoanDetail) {
  const { loan, book } = d;
  const next = loan.status === 'active' ? liveRows(d).find((r) => owed(r) > paid(r)) : undefined;
  return {
    id: loan.id,
    application_id: loan.application_id,
    product_id: loan.product_id,
    product_name: d.product.name,
    account_id: loan.account_id,
    currency: loan.currency,
    principal_minor: loan.principal.toString(),
    term_months: d.term_periods,
    annual_rate_percent: d.product.annual_rate_percent,
    start_date: loan.start_date,
    maturity_date: loan.maturity_date,
    status: loan.status,
    days_past_due: loan.days_past_due,
    outstanding: {
      principal_minor: book.principal.toString(),
      interest_minor: book.interest.toString(),
      penalty_minor: book.penalty.toString(),
      fee_minor: book.fee.toString(),
      total_minor: (book.principal + book.interest + book.penalty + book.fee).toString(),
    },
    next_payment: next ? { due_date: next.due_date, amount_minor: (owed(next) - paid(next)).toString(), overdue: next.status === 'overdue' } : null,
    created_at: loan.created_at.toISOString(),
  };
}

export function loanDetailJson(d: LoanDetail, operations: readonly OperationRecord[]) {
  return {
    ...loanJson(d),
    schedule: liveRows(d).map((r) => ({
      number: r.number,
      due_date: r.due_date,
      principal_minor: r.principal.toString(),
      interest_minor: r.interest.toString(),
      fee_minor: r.fee.toString(),
      amount_minor: owed(r).toString(),
      paid_minor: paid(r).toString(),
      status: r.status,
    })),
    repayments: operations
      .filter((o) => o.kind !== 'drawdown')
      .map((o) => ({
        id: o.id,
        kind: o.kind,
        business_date: o.business_date,
        amount_minor: o.amount.toString(),
        paid: { principal_minor: o.paid_principal.toString(), interest_minor: o.paid_interest.toString(), fee_minor: o.paid_fee.toString(), penalty_minor: o.paid_penalty.toString() },
        created_at: o.created_at.toISOString(),
      })),
  };
}
