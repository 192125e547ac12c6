/**
 * Lending routes: /v1/loan-products, /v1/loan-applications, /v1/loans. Translates HTTP ↔
 * the Lending service; the rules live in the core (products.ts, decision.ts, loan-state.ts).
 *
 * Scopes (least privilege): `lending:read` reads everything; `lending:apply` applies and
 * accepts offers (a channel onboarding borrowers); `lending:repay` repays and pays off (a
 * collections or customer channel); `lending:admin` manages products, reviews referred
 * applications, restructures and writes off.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ProblemError } from '../server/problem.js';
import { describeCode } from '../server/batch.js';
import { PageCursor, PageLimit, decodeCursor, encodeCursor } from '../server/cursor.js';
import { Problem, Uuid } from '../ledger/schemas.js';
import { parseBusinessDate } from './dates.js';
import type { Lending } from './service.js';
import type { Refusal } from './servicing.js';
import type { ApplicationRecord, ApplicationStatus, LoanStatus, PageAfter } from './store.js';
import {
  AcceptBody,
  ApplicationCreate,
  DrawdownBody,
  ApplicationView,
  CustomerId,
  LoanScheduleView,
  LoanView,
  OperationView,
  PayoffBody,
  ProductDetail,
  ProductId,
  ProductSave,
  ProductView,
  QuoteView,
  RepaymentBody,
  RestructureBody,
  ReviewBody,
  StatementView,
  WriteOffBody,
  RecoveryBody,
  applicationJson,
  loanJson,
  loanScheduleJson,
  operationJson,
  page,
  productViewJson,
  quoteJson,
  statementJson,
  toApplicationInput,
  toProductBody,
} from './schemas.js';

export const LENDING_LIST_LIMIT_MAX = 500;

const errorResponses = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 503: Problem };
const Limit = PageLimit(LENDING_LIST_LIMIT_MAX);
const Cursor = PageCursor;
const IdParams = Type.Object({ id: Uuid });
const ProductParams = Type.Object({ id: ProductId });

const TIME_ID_CURSOR = /^([0-9]{1,15})\|([0-9a-f-]{36})$/;
const PRODUCT_CURSOR = /^([A-Za-z0-9][A-Za-z0-9._:-]{0,63})$/;

function pageAfter(cursor: string | undefined): PageAfter | undefined {
  const parts = decodeCursor(cursor, TIME_ID_CURSOR);
  return parts ? { at: new Date(Number(parts[0])), id: parts[1]! } : undefined;
}
const cursorAfter = (at: Date, id: string): string => encodeCursor(String(at.getTime()), id);

/** `inBody`: the refusal's field is one of the request body's (else it names the stored application's, e.g. its account_id). */
function fail(refusal: Refusal, inBody = true): never {
  const field = refusal.field === undefined ? undefined : !inBody || refusal.field.startsWith('body') ? refusal.field : `body.${refusal.field}`;
  throw new ProblemError(refusal.code, refusal.detail || describeCode(refusal.code, field), { field });
}

const actorOf = (req: FastifyRequest): string => (req.apiKey ? `${req.apiKey.name} (${req.apiKey.id})` : 'unknown');

export function registerLendingRoutes(root: FastifyInstance, lending: Lending): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['lending'];

  const loanView = async (id: string) => {
    const detail = await lending.getLoan(id);
    if (!detail) throw new ProblemError('loan_not_found', `no loan ${id}`);
    return detail;
  };

  // ---------------------------------------------------------------- products

  app.put(
    '/v1/loan-products/:id',
    {
      config: { scope: 'lending:admin' },
      schema: {
        tags,
        summary: 'Save a loan product as a new version',
        description:
          'Every save is a new version (loans keep the version they were written under). Sending the same body as the latest active version saves nothing and returns it (200). ' +
          'The rules (ranges, rates, currency) are checked by the core: invalid_loan_product names the field.',
        params: ProductParams,
        body: ProductSave,
        response: { 200: ProductView, 201: ProductView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const saved = await lending.saveProduct(req.params.id, toProductBody(req.body), actorOf(req));
      if (!saved.ok) fail(saved);
      if (saved.created) req.log.info({ product_id: req.params.id, version: saved.view.record.version, by: req.apiKey?.id }, 'loan product saved');
      return reply.status(saved.created ? 201 : 200).send(productViewJson(saved.view.record, saved.view.product));
    },
  );

  app.get(
    '/v1/loan-products',
    {
      config: { scope: 'lending:read' },
      schema: { tags, summary: 'Loan products (the latest version of each), by id', querystring: Type.Object({ limit: Limit, cursor: Cursor }), response: { 200: page(ProductView), ...errorResponses } },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const after = decodeCursor(req.query.cursor, PRODUCT_CURSOR)?.[0];
      const rows = await lending.listProducts(after, limit + 1);
      const shown = rows.slice(0, limit);
      return { data: shown.map((v) => productViewJson(v.record, v.product)), next_cursor: rows.length > limit ? encodeCursor(shown[shown.length - 1]!.record.id) : null };
    },
  );

  app.get(
    '/v1/loan-products/:id',
    { config: { scope: 'lending:read' }, schema: { tags, summary: 'A loan product: the latest version and the list of versions', params: ProductParams, response: { 200: ProductDetail, ...errorResponses } } },
    async (req) => {
      const found = await lending.getProduct(req.params.id);
      if (!found) throw new ProblemError('loan_product_not_found', `no loan product ${req.params.id}`);
      return {
        ...productViewJson(found.latest.record, found.latest.product),
        versions: found.versions.map((v) => ({ version: v.version, status: v.status, created_by: v.created_by, created_at: v.created_at.toISOString() })),
      };
    },
  );

  app.get(
    '/v1/loan-products/:id/versions/:version',
    {
      config: { scope: 'lending:read' },
      schema: { tags, summary: 'One version of a loan product', params: Type.Object({ id: ProductId, version: Type.Integer({ minimum: 1 }) }), response: { 200: ProductView, ...errorResponses } },
    },
    async (req) => {
      const found = await lending.getProduct(req.params.id);
      const record = found?.versions.find((v) => v.version === req.params.version);
      if (!record) throw new ProblemError('loan_product_not_found', `no loan product ${req.params.id} v${req.params.version}`);
      return productViewJson(record, lending.productOf(record));
    },
  );

  app.post(
    '/v1/loan-products/:id/retire',
    {
      config: { scope: 'lending:admin' },
      schema: { tags, summary: 'Retire a product: no new applications (loans keep their terms; saving it again makes a new active version)', params: ProductParams, response: { 200: ProductView, ...errorResponses } },
    },
    async (req) => {
      const retired = await lending.retireProduct(req.params.id);
      if (!retired.ok) fail(retired);
      req.log.info({ product_id: req.params.id, by: req.apiKey?.id }, 'loan product retired');
      return productViewJson(retired.view.record, retired.view.product);
    },
  );

  // ---------------------------------------------------------------- applications

  const applicationView = async (id: string, known?: ApplicationRecord) => {
    const application = known ?? (await lending.getApplication(id));
    if (!application) throw new ProblemError('loan_application_not_found', `no loan application ${id}`);
    const start = (application.decision as { start_date?: string }).start_date;
    const preview = await lending.offerPreview(application, start ? (start as never) : undefined);
    const loan = application.status === 'accepted' ? await lending.loanIdOfApplication(application.id) : null;
    return applicationJson(application, preview, loan);
  };

  app.post(
    '/v1/loan-applications',
    {
      config: { scope: 'lending:apply' },
      schema: {
        tags,
        summary: 'Apply for a loan: decided at once',
        description:
          'Runs the eligibility rules, the risk engine (a loan_application event), the credit score and the band\'s limit and price, and answers approved (with the offer and its schedule), ' +
          'declined (with reason codes) or referred (an analyst decides). 201 for a new application (whatever its decision); the same id and body again is 200 with the first decision; ' +
          'the same id with another body is exists_with_different_fields.',
        body: ApplicationCreate,
        response: { 200: ApplicationView, 201: ApplicationView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const result = await lending.apply(toApplicationInput(req.body));
      if (!result.ok) fail(result);
      if (!result.replayed) req.log.info({ application_id: result.application.id, status: result.application.status, decision_ms: result.application.decision_ms }, 'loan application decided');
      return reply.status(result.replayed ? 200 : 201).send(await applicationView(result.application.id, result.application));
    },
  );

  app.get(
    '/v1/loan-applications/:id',
    { config: { scope: 'lending:read' }, schema: { tags, summary: 'An application, its decision and its offer', params: IdParams, response: { 200: ApplicationView, ...errorResponses } } },
    async (req) => applicationView(req.params.id.toLowerCase()),
  );

  app.get(
    '/v1/loan-applications',
    {
      config: { scope: 'lending:read' },
      schema: {
        tags,
        summary: 'Applications, newest first',
        querystring: Type.Object({
          customer_id: Type.Optional(CustomerId),
          status: Type.Optional(Type.Union(['approved', 'declined', 'referred', 'accepted', 'expired'].map((s) => Type.Literal(s)))),
          limit: Limit,
          cursor: Cursor,
        }),
        response: { 200: page(ApplicationView), ...errorResponses },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await lending.listApplications({ customer_id: req.query.customer_id, status: req.query.status as ApplicationStatus | undefined }, pageAfter(req.query.cursor), limit + 1);
      const shown = rows.slice(0, limit);
      const data = [];
      for (const a of shown) data.push(await applicationView(a.id, a));
      const last = shown[shown.length - 1];
      return { data, next_cursor: rows.length > limit && last ? cursorAfter(last.created_at, last.id) : null };
    },
  );

  app.post(
    '/v1/loan-applications/:id/accept',
    {
      config: { scope: 'lending:apply' },
      schema: {
        tags,
        summary: 'Accept the offer: the loan is opened and paid out',
        description:
          "Opens the loan's ledger accounts and posts one linked chain: the disbursement to the customer's account and the origination fee (if any) into the fee receivable; the loan and its schedule " +
          'are written in the same transaction. Optionally a lower amount or shorter term within the offer. Accepting again returns the same loan (200). ' +
          'A revolving line is opened with nothing drawn, or with `draw` drawn at once in the same chain; `amount` is then its limit.',
        params: IdParams,
        body: Type.Optional(AcceptBody),
        response: { 200: LoanView, 201: LoanView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body ?? {};
      const opened = await lending.accept(req.params.id.toLowerCase(), {
        amount_minor: body.amount === undefined ? undefined : BigInt(body.amount),
        term_periods: body.term,
        draw_minor: body.draw === undefined ? undefined : BigInt(body.draw),
      });
      if (!opened.ok) fail(opened, opened.field === 'amount' || opened.field === 'term' || opened.field === 'draw');
      if (!opened.replayed) req.log.info({ loan_id: opened.loan.id, principal: opened.loan.principal.toString() }, 'loan opened');
      return reply.status(opened.replayed ? 200 : 201).send(loanJson(await loanView(opened.loan.id)));
    },
  );

  app.post(
    '/v1/loan-applications/:id/review',
    {
      config: { scope: 'lending:admin' },
      schema: {
        tags,
        summary: "An analyst's decision on a referred application",
        description: 'approve: the offer stands and is valid for 7 days from now; decline: the application is declined. Only a referred application can be reviewed.',
        params: IdParams,
        body: ReviewBody,
        response: { 200: ApplicationView, ...errorResponses },
      },
    },
    async (req) => {
      const reviewed = await lending.review(req.params.id.toLowerCase(), req.body.outcome, req.body.comment ?? '', actorOf(req));
      if (!reviewed.ok) fail(reviewed);
      req.log.info({ application_id: req.params.id, outcome: req.body.outcome, by: req.apiKey?.id }, 'loan application reviewed');
      return applicationView(reviewed.application.id);
    },
  );

  // ---------------------------------------------------------------- loans

  app.get(
    '/v1/loans',
    {
      config: { scope: 'lending:read' },
      schema: {
        tags,
        summary: 'Loans, newest first',
        querystring: Type.Object({ customer_id: Type.Optional(CustomerId), status: Type.Optional(Type.Union(['active', 'closed', 'written_off'].map((s) => Type.Literal(s)))), limit: Limit, cursor: Cursor }),
        response: { 200: page(LoanView), ...errorResponses },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await lending.listLoans({ customer_id: req.query.customer_id, status: req.query.status as LoanStatus | undefined }, pageAfter(req.query.cursor), limit + 1);
      const shown = rows.slice(0, limit);
      const data = (await lending.details(shown)).map(loanJson);
      const last = shown[shown.length - 1];
      return { data, next_cursor: rows.length > limit && last ? cursorAfter(last.created_at, last.id) : null };
    },
  );

  app.get(
    '/v1/loans/:id',
    {
      config: { scope: 'lending:read' },
      schema: { tags, summary: 'A loan: terms, balances from the loan and from the ledger (which agree), status', params: IdParams, response: { 200: LoanView, ...errorResponses } },
    },
    async (req) => loanJson(await loanView(req.params.id.toLowerCase())),
  );

  app.get(
    '/v1/loans/:id/schedule',
    {
      config: { scope: 'lending:read' },
      schema: {
        tags,
        summary: 'The schedule, with what has been paid on each line',
        params: IdParams,
        querystring: Type.Object({ include_superseded: Type.Optional(Type.Boolean({ default: false, description: 'Also the lines a rebuild replaced' })) }),
        response: { 200: LoanScheduleView, ...errorResponses },
      },
    },
    async (req) => {
      const detail = await loanView(req.params.id.toLowerCase());
      return loanScheduleJson(detail.loan.id, detail.rows, req.query.include_superseded ?? false);
    },
  );

  app.get(
    '/v1/loans/:id/statement',
    {
      config: { scope: 'lending:read' },
      schema: { tags, summary: "The loan's postings, from the ledger: every transfer on its four accounts, oldest first", params: IdParams, response: { 200: StatementView, ...errorResponses } },
    },
    async (req) => {
      const detail = await loanView(req.params.id.toLowerCase());
      const { lines, truncated } = await lending.statement(detail.loan);
      return statementJson(detail.loan.id, detail.loan.currency, lines, truncated);
    },
  );

  app.get(
    '/v1/loans/:id/operations',
    {
      config: { scope: 'lending:read' },
      schema: { tags, summary: 'Repayments, payoffs, restructurings and write-offs of the loan, oldest first', params: IdParams, response: { 200: Type.Object({ data: Type.Array(Type.Omit(OperationView, ['loan'])) }), ...errorResponses } },
    },
    async (req) => {
      const detail = await loanView(req.params.id.toLowerCase());
      const operations = await lending.operationsOf(detail.loan.id);
      return {
        data: operations.map((o) => {
          const { loan: _loan, ...rest } = operationJson(o, detail);
          return rest;
        }),
      };
    },
  );

  app.get(
    '/v1/loans/:id/payoff-quote',
    {
      config: { scope: 'lending:read' },
      schema: {
        tags,
        summary: 'What repaying everything on a date would take',
        description: 'A read: nothing changes (so it is a GET). date defaults to today (UTC) and may be up to 366 days ahead; instalments falling due before then are counted as unpaid, and penalties COB may charge meanwhile are not included.',
        params: IdParams,
        querystring: Type.Object({ date: Type.Optional(Type.String({ maxLength: 10 })) }),
        response: { 200: QuoteView, ...errorResponses },
      },
    },
    async (req) => {
      const detail = await loanView(req.params.id.toLowerCase());
      let date;
      if (req.query.date !== undefined) {
        const parsed = parseBusinessDate(req.query.date);
        if (!parsed.ok) throw new ProblemError('invalid_request', parsed.detail, { errors: [{ field: 'querystring.date', message: parsed.detail }] });
        date = parsed.date;
      }
      const quoted = await lending.payoffQuote(detail.loan, date);
      if (!quoted.ok) throw new ProblemError(quoted.code, quoted.detail, { field: quoted.field ? `querystring.${quoted.field}` : undefined });
      return quoteJson(detail.loan.id, quoted.date, quoted.quote.quote);
    },
  );

  const operationRoute = (
    path: string,
    scope: 'lending:repay' | 'lending:admin' | 'lending:apply',
    summary: string,
    description: string,
    body: typeof RepaymentBody | typeof PayoffBody | typeof RestructureBody | typeof WriteOffBody | typeof DrawdownBody,
    toRequest: (body: Record<string, unknown>) => Parameters<Lending['operate']>[2],
  ) =>
    app.post(
      `/v1/loans/:id/${path}`,
      { config: { scope }, schema: { tags, summary, description, params: IdParams, body, response: { 200: OperationView, 201: OperationView, ...errorResponses } } },
      async (req, reply) => {
        const b = req.body as Record<string, unknown> & { id: string };
        const done = await lending.operate(req.params.id.toLowerCase(), b.id.toLowerCase(), toRequest(b));
        if (!done.ok) fail(done);
        if (!done.replayed) req.log.info({ loan_id: done.operation.loan_id, operation_id: done.operation.id, kind: done.operation.kind, amount: done.operation.amount.toString() }, 'loan operation');
        return reply.status(done.replayed ? 200 : 201).send(operationJson(done.operation, await loanView(done.operation.loan_id)));
      },
    );

  operationRoute(
    'repayments',
    'lending:repay',
    "Repay from the customer's account",
    'Applied in the documented order across what is due (penalties, then fees, then interest, then principal; oldest first); the rest, if the product allows it, prepays principal and the schedule ' +
      'is rebuilt (same periods, lower payment); exactly the payoff amount closes the loan; more than that is refused (repayment_exceeds_payoff). 201; the same id and body again is 200.',
    RepaymentBody,
    (b) => ({ kind: 'repayment', amount_minor: BigInt(b.amount as string) }),
  );
  operationRoute(
    'drawdowns',
    'lending:apply',
    "Draw on a revolving credit line into the customer's account",
    'Moves amount from the line (its principal receivable) to the customer\'s account, in the same transaction as the line\'s new balance; first catches up the interest and statements COB has not done yet. ' +
      'Refused: not_a_credit_line, credit_line_closed (not active, or on or after maturity), credit_line_in_arrears (a statement past due), credit_limit_exceeded (detail: the available amount). 201; the same id and body again is 200.',
    DrawdownBody,
    (b) => ({ kind: 'drawdown', amount_minor: BigInt(b.amount as string) }),
  );
  operationRoute(
    'payoff',
    'lending:repay',
    'Repay everything today (full early repayment)',
    'Takes the payoff amount (GET …/payoff-quote) from the customer\'s account and closes the loan. Send the quoted amount to be refused (payoff_amount_changed) if it changed meanwhile.',
    PayoffBody,
    (b) => ({ kind: 'payoff', amount_minor: b.amount === undefined ? undefined : BigInt(b.amount as string) }),
  );
  operationRoute(
    'restructure',
    'lending:admin',
    'Restructure over a new term',
    'All unpaid principal (overdue and not yet due) is rescheduled from today over the new number of periods; overdue interest, fees, penalties and this period\'s interest so far stay due now. No money moves.',
    RestructureBody,
    (b) => ({ kind: 'restructure', term_periods: b.term as number }),
  );
  operationRoute(
    'write-off',
    'lending:admin',
    'Write the loan off',
    "Clears the loan's receivables: principal against its category's allowance (up to the provision held for it), the rest and the unpaid interest, penalties and fees to write-off expense. The loan becomes written_off.",
    WriteOffBody,
    (b) => ({ kind: 'write_off', reason: b.reason as string }),
  );

  app.post(
    '/v1/loans/:id/recoveries',
    {
      config: { scope: 'lending:admin' },
      schema: {
        tags,
        summary: 'Record money recovered on a written-off loan',
        description:
          "Debits the paying account (the customer's unless from_account_id names another) and credits the bank's recovery income; the loan stays written_off and its `recovered` grows. " +
          'At most what the write-off cleared, in all (recovery_exceeds_written_off); only for written-off loans (loan_not_written_off). 201; the same id and body again is 200.',
        params: IdParams,
        body: RecoveryBody,
        response: { 200: OperationView, 201: OperationView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const done = await lending.recover(req.params.id.toLowerCase(), req.body.id.toLowerCase(), BigInt(req.body.amount), req.body.from_account_id?.toLowerCase());
      if (!done.ok) fail(done);
      if (!done.replayed) req.log.info({ loan_id: done.operation.loan_id, operation_id: done.operation.id, kind: 'recovery', amount: done.operation.amount.toString() }, 'loan operation');
      return reply.status(done.replayed ? 200 : 201).send(operationJson(done.operation, await loanView(done.operation.loan_id)));
    },
  );
}
