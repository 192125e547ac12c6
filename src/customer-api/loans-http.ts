/**
 * Loans in the customer app (docs/app-api.md, "Loans"): the offer with an indicative
 * schedule, applying (decided at once by the lending service), accepting an approved offer
 * (paid out into the customer's own account), the loans with their schedules, and repaying.
 * The customer is the signed-in one; another customer's applications and loans answer 404,
 * exactly like missing ones. The rules are the lending domain's: this file only translates.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Ledger } from '../ledger/service.js';
import { Problem } from '../ledger/schemas.js';
import { BUSINESS_PURPOSES } from '../lending/credit-model.js';
import { INDUSTRY_PATTERN } from '../lending/schemas.js';
import { buildSchedule } from '../lending/schedule.js';
import type { LoanProduct } from '../lending/products.js';
import { businessDateOf, type Lending } from '../lending/service.js';
import type { ApplicationRecord, LoanRecord } from '../lending/store.js';
import type { Refusal } from '../lending/servicing.js';
import { listCustomerAccounts } from '../openbanking/customers-store.js';
import { PageCursor, PageLimit, decodeCursor, encodeCursor } from '../server/cursor.js';
import { ProblemError } from '../server/problem.js';
import { ownedAccount } from './ownership.js';
import { LoanOffer, MyApplication, MyLoan, MyLoanDetail, applicationJson, loanDetailJson, loanJson, offerJson } from './loans-views.js';

const me = { customer: true } as const;
const tags = ['customer app'];
const Uuid = Type.String({ format: 'uuid' });
const Amount = Type.String({ pattern: '^[1-9][0-9]{0,17}$', description: 'Integer minor units, > 0' });
const Money = Type.String({ pattern: '^(0|[1-9][0-9]{0,17})$', description: 'Integer minor units, ≥ 0' });
const Months = Type.Integer({ minimum: 1, maximum: 600 });
const IdParams = Type.Object({ id: Uuid });
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 503: Problem };
export const MY_LOANS_PAGE_MAX = 50;
/** Products the app reads to make its offers (the catalogue is small; more than this are not offered). */
export const OFFER_PRODUCTS_MAX = 100;
const PAGE_CURSOR = /^([0-9]{1,15})\|([0-9a-f-]{36})$/;

/** The products a customer may apply for in the app: active, monthly, with a schedule (revolving lines are the bank's channels'). */
const inApp = (p: LoanProduct): boolean => p.repayment_method !== 'revolving' && p.frequency === 'monthly';

function fail(refusal: Refusal, fields: Record<string, string> = {}): never {
  const field = refusal.field === undefined ? undefined : `body.${fields[refusal.field] ?? refusal.field}`;
  throw new ProblemError(refusal.code, refusal.detail, { field });
}

export const ApplyBody = Type.Object(
  {
    id: { ...Uuid, description: 'Chosen by the app: sending it again is a safe retry' },
    product_id: Type.String({ maxLength: 64 }),
    amount_minor: Amount,
    term_months: Months,
    purpose: Type.Union(BUSINESS_PURPOSES.map((p) => Type.Literal(p))),
    account_id: Type.Optional({ ...Uuid, description: 'One of my accounts in the product currency (default: my first one)' }),
    business: Type.Object(
      {
        industry: Type.String({ pattern: INDUSTRY_PATTERN, description: 'Industry code, e.g. restaurants, retail' }),
        months_trading: Type.Integer({ minimum: 0, maximum: 1200 }),
        annual_revenue_minor: Money,
        existing_debt_minor: Money,
        owner_age: Type.Optional(Type.Integer({ minimum: 16, maximum: 120 })),
        employees: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export function registerCustomerLoanRoutes(root: FastifyInstance, ledger: Ledger, lending: Lending): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  const myApplication = async (customer_id: string, id: string): Promise<ApplicationRecord> => {
    const a = await lending.getApplication(id.toLowerCase());
    if (!a || a.customer_id !== customer_id) throw new ProblemError('loan_application_not_found', `you have no loan application ${id}`);
    return a;
  };
  const myLoan = async (customer_id: string, id: string): Promise<LoanRecord> => {
    const detail = await lending.getLoan(id.toLowerCase());
    if (!detail || detail.loan.customer_id !== customer_id) throw new ProblemError('loan_not_found', `you have no loan ${id}`);
    return detail.loan;
  };
  const applicationView = async (a: ApplicationRecord) => {
    const start = (a.decision as { start_date?: string }).start_date;
    const preview = await lending.offerPreview(a, start ? (start as never) : undefined);
    const loan = a.status === 'accepted' ? await lending.loanIdOfApplication(a.id) : null;
    return applicationJson(a, preview, loan);
  };
  const loanDetail = async (id: string) => {
    const detail = (await lending.getLoan(id))!;
    return loanDetailJson(detail, await lending.operationsOf(id));
  };

  app.get(
    '/v1/me/loan-offers',
    {
      config: me,
      schema: {
        tags,
        summary: 'The loans I may apply for, each with an indicative schedule for the amount and term',
        description:
          "Every active monthly loan product. amount_minor and term_months default to the product's smallest amount and 12 months (within its range). The schedule is at the product's best rate " +
          'starting today: the decision sets the rate (a margin by credit band) and may lower the amount.',
        querystring: Type.Object({ amount_minor: Type.Optional(Amount), term_months: Type.Optional(Months) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(LoanOffer) }), ...errors },
      },
    },
    async (req) => {
      const products = (await lending.listProducts(undefined, OFFER_PRODUCTS_MAX)).filter((v) => v.record.status === 'active' && inApp(v.product));
      const today = businessDateOf(ledger.clock.now());
      return {
        items: products.map(({ product }) => {
          const amount = req.query.amount_minor !== undefined ? BigInt(req.query.amount_minor) : product.amount_min_minor;
          const term = req.query.term_months ?? Math.min(Math.max(12, product.term_min_periods), product.term_max_periods);
          const built = buildSchedule({ product, principal_minor: amount, term_periods: term, start_date: today });
          return offerJson(product, amount, term, built.ok ? built.schedule : null);
        }),
      };
    },
  );

  app.post(
    '/v1/me/loan-applications',
    {
      config: me,
      schema: {
        tags,
        summary: 'Apply for a loan: decided at once (approved with the offer, declined with reasons, or referred to the bank)',
        description:
          "The lending service decides (eligibility, the risk engine, the credit score, the band's limit and price). The money is paid into, and repayments are taken from, " +
          'account_id (one of mine; default my first account). 201 new; the same id and body again is 200 with the first decision; the same id with another body is exists_with_different_fields.',
        body: ApplyBody,
        response: { 200: MyApplication, 201: MyApplication, ...errors },
      },
    },
    async (req, reply) => {
      const customer_id = req.customer!.id;
      const b = req.body;
      const found = await lending.getProduct(b.product_id);
      if (!found || !inApp(found.latest.product)) throw new ProblemError('loan_product_not_found', `no loan product ${b.product_id} in the app`, { field: 'body.product_id' });
      let account_id = b.account_id?.toLowerCase();
      if (account_id) await ownedAccount(ledger, customer_id, account_id, 'account_id');
      else {
        account_id = (await listCustomerAccounts(ledger.db, customer_id))[0]?.account_id;
        if (!account_id) throw new ProblemError('account_not_found', 'you have no account to pay the loan into', { field: 'account_id' });
      }
      const bz = b.business;
      const result = await lending.apply({
        id: b.id.toLowerCase(),
        customer_id,
        account_id,
        product_id: b.product_id,
        amount_minor: BigInt(b.amount_minor),
        term_periods: b.term_months,
        business: {
          industry: bz.industry,
          months_trading: bz.months_trading,
          annual_revenue_minor: BigInt(bz.annual_revenue_minor),
          existing_debt_minor: BigInt(bz.existing_debt_minor),
          owner_age: bz.owner_age,
          purpose: b.purpose,
          employees: bz.employees,
        },
        device_id: req.customer!.device_id ?? undefined,
        channel: 'app',
      });
      if (!result.ok) fail(result, { amount: 'amount_minor', term: 'term_months' });
      if (!result.replayed) req.log.info({ application_id: result.application.id, status: result.application.status }, 'app loan application decided');
      return reply.status(result.replayed ? 200 : 201).send(await applicationView(result.application));
    },
  );

  app.get(
    '/v1/me/loan-applications',
    {
      config: me,
      schema: {
        tags,
        summary: 'My loan applications, newest first',
        querystring: Type.Object({ limit: PageLimit(MY_LOANS_PAGE_MAX), cursor: PageCursor }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(MyApplication), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 20;
      const parts = decodeCursor(req.query.cursor, PAGE_CURSOR);
      const rows = await lending.listApplications({ customer_id: req.customer!.id }, parts ? { at: new Date(Number(parts[0])), id: parts[1]! } : undefined, limit + 1);
      const shown = rows.slice(0, limit);
      const items = [];
      for (const a of shown) items.push(await applicationView(a));
      const last = shown[shown.length - 1];
      return { items, next_cursor: rows.length > limit && last ? encodeCursor(String(last.created_at.getTime()), last.id) : null };
    },
  );

  app.get(
    '/v1/me/loan-applications/:id',
    { config: me, schema: { tags, summary: 'One of my loan applications: its decision and offer', params: IdParams, response: { 200: MyApplication, ...errors } } },
    async (req) => applicationView(await myApplication(req.customer!.id, req.params.id)),
  );

  app.post(
    '/v1/me/loan-applications/:id/accept',
    {
      config: me,
      schema: {
        tags,
        summary: "Accept an approved offer: the loan is opened and paid into the application's account",
        description: 'Optionally a lower amount or a shorter term within the offer. Accepting again returns the same loan (200).',
        params: IdParams,
        body: Type.Optional(Type.Object({ amount_minor: Type.Optional(Amount), term_months: Type.Optional(Months) }, { additionalProperties: false })),
        response: { 200: MyLoanDetail, 201: MyLoanDetail, ...errors },
      },
    },
    async (req, reply) => {
      const a = await myApplication(req.customer!.id, req.params.id);
      const body = req.body ?? {};
      const opened = await lending.accept(a.id, { amount_minor: body.amount_minor === undefined ? undefined : BigInt(body.amount_minor), term_periods: body.term_months });
      if (!opened.ok) fail(opened, { amount: 'amount_minor', term: 'term_months' });
      if (!opened.replayed) req.log.info({ loan_id: opened.loan.id, application_id: a.id }, 'app loan opened');
      return reply.status(opened.replayed ? 200 : 201).send(await loanDetail(opened.loan.id));
    },
  );

  app.get(
    '/v1/me/loans',
    {
      config: me,
      schema: {
        tags,
        summary: 'My loans, newest first',
        querystring: Type.Object({ limit: PageLimit(MY_LOANS_PAGE_MAX), cursor: PageCursor }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(MyLoan), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 20;
      const parts = decodeCursor(req.query.cursor, PAGE_CURSOR);
      const rows = await lending.listLoans({ customer_id: req.customer!.id }, parts ? { at: new Date(Number(parts[0])), id: parts[1]! } : undefined, limit + 1);
      const shown = rows.slice(0, limit);
      const last = shown[shown.length - 1];
      return { items: (await lending.details(shown)).map(loanJson), next_cursor: rows.length > limit && last ? encodeCursor(String(last.created_at.getTime()), last.id) : null };
    },
  );

  app.get(
    '/v1/me/loans/:id',
    { config: me, schema: { tags, summary: 'One of my loans: what is owed, the next payment, the schedule (paid, due, overdue) and the repayments', params: IdParams, response: { 200: MyLoanDetail, ...errors } } },
    async (req) => loanDetail((await myLoan(req.customer!.id, req.params.id)).id),
  );

  app.post(
    '/v1/me/loans/:id/repayments',
    {
      config: me,
      schema: {
        tags,
        summary: 'Repay from my account',
        description:
          'Taken from from_account_id, which must be the account the loan was paid into (repayment_account_mismatch otherwise). Applied to what is due first (penalties, fees, interest, principal; ' +
          'oldest first); the rest prepays principal if the product allows it; more than the payoff is refused (repayment_exceeds_payoff). 201; the same id and body again is 200.',
        params: IdParams,
        body: Type.Object({ id: { ...Uuid, description: 'Chosen by the app: sending it again is a safe retry' }, amount_minor: Amount, from_account_id: Uuid }, { additionalProperties: false }),
        response: { 200: MyLoanDetail, 201: MyLoanDetail, ...errors },
      },
    },
    async (req, reply) => {
      const customer_id = req.customer!.id;
      const loan = await myLoan(customer_id, req.params.id);
      const from = await ownedAccount(ledger, customer_id, req.body.from_account_id, 'from_account_id');
      if (from.id !== loan.account_id) {
        throw new ProblemError('repayment_account_mismatch', `loan ${loan.id} is repaid from account ${loan.account_id}, the account it was paid into`, { field: 'body.from_account_id' });
      }
      const done = await lending.operate(loan.id, req.body.id.toLowerCase(), { kind: 'repayment', amount_minor: BigInt(req.body.amount_minor) });
      if (!done.ok) fail(done, { amount: 'amount_minor', account_id: 'from_account_id' });
      if (done.operation.loan_id !== loan.id) throw new ProblemError('exists_with_different_fields', `operation ${req.body.id} belongs to another loan`, { field: 'body.id' });
      if (!done.replayed) req.log.info({ loan_id: loan.id, operation_id: done.operation.id, amount: done.operation.amount.toString() }, 'app loan repayment');
      return reply.status(done.replayed ? 200 : 201).send(await loanDetail(loan.id));
    },
  );
}
