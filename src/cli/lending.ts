/**
 * `capillary loan-products …` and `capillary loans …`: products, applications, accepting an
 * offer, and servicing, through the same service as the HTTP API (docs/lending.md, "CLI").
 * Every command prints the API's JSON view; a refusal prints its code and exits 2.
 */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { systemClock } from '../server/clock.js';
import { describeCode } from '../server/batch.js';
import { Risk } from '../risk/service.js';
import { Lending } from '../lending/service.js';
import type { Refusal } from '../lending/servicing.js';
import { parseBusinessDate } from '../lending/dates.js';
import { BUSINESS_PURPOSES } from '../lending/credit-model.js';
import type { ApplicationStatus, LoanStatus } from '../lending/store.js';
import {
  AcceptBody,
  ApplicationCreate,
  DrawdownBody,
  ProductSave,
  RepaymentBody,
  RestructureBody,
  WriteOffBody,
  RecoveryBody,
  applicationJson,
  loanJson,
  loanScheduleJson,
  operationJson,
  productViewJson,
  quoteJson,
  statementJson,
  toApplicationInput,
  toProductBody,
} from '../lending/schemas.js';
import { UsageError, checked, parseJsonOption, print, uuidArg, withLedger } from './common.js';

const withLending = <T>(fn: (lending: Lending) => Promise<T>): Promise<T> =>
  withLedger(async (ledger, db) => {
    const risk = new Risk(db, systemClock, ledger);
    try {
      return await fn(new Lending(db, ledger, risk, systemClock));
    } finally {
      await risk.stop(); // the risk decisions of `loans apply` are written before the database closes
    }
  });

function integerOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?[0-9]+$/.test(value)) throw new UsageError(`--${name} must be an integer, got "${value}"`);
  return Number(value);
}

function refused(refusal: Refusal, optionOf: Record<string, string> = {}): never {
  const option = refusal.field ? optionOf[refusal.field.replace(/^body\./, '').split(/[.[]/)[0]!] : undefined;
  throw new UsageError(`${refusal.code}${option ? ` (${option})` : refusal.field ? ` (${refusal.field})` : ''}: ${refusal.detail || describeCode(refusal.code)}`);
}

const PRODUCT_OPTIONS: Record<string, string> = {
  name: '--name',
  currency: '--currency',
  amount_min_minor: '--amount-min',
  amount_max_minor: '--amount-max',
  term_min_periods: '--term-min',
  term_max_periods: '--term-max',
  annual_rate_percent: '--rate',
  day_count: '--day-count',
  repayment_method: '--method',
  frequency: '--frequency',
  origination_fee: '--fee-fixed/--fee-bps',
  grace_days: '--grace-days',
  penalty_annual_rate_percent: '--penalty-rate',
  early_repayment: '--early-repayment/--early-fee-bps/--early-min-months',
  minimum_payment: '--min-payment-bps/--min-payment-floor',
};

const APPLY_OPTIONS: Record<string, string> = {
  id: '--id',
  customer_id: '--customer',
  account_id: '--account',
  product_id: '--product',
  amount: '--amount',
  term: '--term',
  business: '--industry/--months-trading/--revenue/--debt/--owner-age/--purpose',
};

export function registerLendingCommands(program: Command): void {
  const products = program.command('loan-products').description('loan products (versioned)');

  products
    .command('save <id>')
    .description('save a loan product as a new version (the same fields as the latest version save nothing)')
    .option('--body <json>', 'the whole product as JSON (the PUT /v1/loan-products/{id} body); the options below are ignored')
    .option('--name <name>', 'display name')
    .option('--currency <code>', 'ISO 4217 code', 'CNY')
    .option('--amount-min <minor>', 'smallest loan, minor units')
    .option('--amount-max <minor>', 'largest loan, minor units')
    .option('--term-min <periods>', 'shortest term in periods')
    .option('--term-max <periods>', 'longest term in periods')
    .option('--rate <percent>', 'nominal annual rate of band A, e.g. 12 or 4.35')
    .option('--day-count <convention>', '30/360 or actual/365', '30/360')
    .option('--method <method>', 'annuity, equal_principal, interest_only or revolving (a credit line)', 'annuity')
    .option('--frequency <frequency>', 'monthly, quarterly or weekly', 'monthly')
    .option('--fee-fixed <minor>', 'origination fee, fixed part', '0')
    .option('--fee-bps <bps>', 'origination fee, basis points of the principal', '0')
    .option('--grace-days <days>', 'days after a due date before an instalment is overdue', '3')
    .option('--penalty-rate <percent>', 'penalty interest on overdue principal', '18')
    .option('--early-repayment <allowed>', 'allowed or forbidden', 'allowed')
    .option('--early-fee-bps <bps>', 'early-repayment fee, bps of the principal prepaid', '0')
    .option('--early-min-months <months>', 'early repayment allowed from start + this many months', '0')
    .option('--min-payment-bps <bps>', 'revolving lines: each statement bills this many bps of the unbilled balance as principal')
    .option('--min-payment-floor <minor>', 'revolving lines: and at least this much', '0')
    .action((id: string, opts: Record<string, string | undefined>) =>
      withLending(async (lending) => {
        let body: Record<string, unknown>;
        if (opts.body !== undefined) body = parseJsonOption(opts.body, 'body')!;
        else {
          if (opts.earlyRepayment !== 'allowed' && opts.earlyRepayment !== 'forbidden') throw new UsageError('--early-repayment must be allowed or forbidden');
          body = {
            name: opts.name,
            currency: opts.currency,
            amount_min_minor: opts.amountMin,
            amount_max_minor: opts.amountMax,
            term_min_periods: integerOption(opts.termMin, 'term-min'),
            term_max_periods: integerOption(opts.termMax, 'term-max'),
            annual_rate_percent: opts.rate,
            day_count: opts.dayCount,
            repayment_method: opts.method,
            frequency: opts.frequency,
            origination_fee: { fixed_minor: opts.feeFixed, bps: integerOption(opts.feeBps, 'fee-bps') },
            grace_days: integerOption(opts.graceDays, 'grace-days'),
            penalty_annual_rate_percent: opts.penaltyRate,
            early_repayment: { allowed: opts.earlyRepayment === 'allowed', fee_bps: integerOption(opts.earlyFeeBps, 'early-fee-bps'), min_months: integerOption(opts.earlyMinMonths, 'early-min-months') },
            ...(opts.minPaymentBps !== undefined ? { minimum_payment: { bps: integerOption(opts.minPaymentBps, 'min-payment-bps'), floor_minor: opts.minPaymentFloor } } : {}),
          };
        }
        checked(ProductSave, body, opts.body !== undefined ? {} : PRODUCT_OPTIONS);
        const saved = await lending.saveProduct(id, toProductBody(body as ProductSave), 'cli');
        if (!saved.ok) refused(saved, opts.body !== undefined ? {} : PRODUCT_OPTIONS);
        print({ created: saved.created, product: productViewJson(saved.view.record, saved.view.product) });
      }),
    );

  products
    .command('list')
    .description('loan products (the latest version of each)')
    .action(() => withLending(async (lending) => print((await lending.listProducts(undefined, 500)).map((v) => productViewJson(v.record, v.product)))));

  products
    .command('show <id>')
    .description('a loan product: the latest version and the list of versions')
    .action((id: string) =>
      withLending(async (lending) => {
        const found = await lending.getProduct(id);
        if (!found) throw new UsageError(`loan_product_not_found: ${id}`);
        print({ ...productViewJson(found.latest.record, found.latest.product), versions: found.versions.map((v) => ({ version: v.version, status: v.status, created_by: v.created_by, created_at: v.created_at })) });
      }),
    );

  products
    .command('retire <id>')
    .description('retire a product: no new applications (loans keep their terms)')
    .action((id: string) =>
      withLending(async (lending) => {
        const retired = await lending.retireProduct(id);
        if (!retired.ok) refused(retired);
        print(productViewJson(retired.view.record, retired.view.product));
      }),
    );

  const loans = program.command('loans').description('loan applications and loans');

  loans
    .command('apply')
    .description('apply for a loan: decided at once (approved with an offer, declined with reasons, or referred)')
    .option('--id <uuid>', 'application id (default: a new UUID); repeat it to retry safely')
    .requiredOption('--customer <id>', "the bank's customer id")
    .requiredOption('--account <uuid>', "the customer's account (paid out to, collected from)")
    .requiredOption('--product <id>', 'loan product id')
    .requiredOption('--amount <minor>', 'requested amount, minor units')
    .requiredOption('--term <periods>', "requested term in the product's periods")
    .requiredOption('--industry <code>', 'industry code, e.g. restaurants')
    .requiredOption('--months-trading <months>', 'months the business has traded')
    .requiredOption('--revenue <minor>', 'annual revenue, minor units')
    .option('--debt <minor>', 'debt owed elsewhere, minor units', '0')
    .option('--owner-age <years>', "the owner's age")
    .option('--purpose <purpose>', `one of ${BUSINESS_PURPOSES.join(', ')}`)
    .action((opts: Record<string, string | undefined>) =>
      withLending(async (lending) => {
        const body = {
          id: opts.id ?? randomUUID(),
          customer_id: opts.customer,
          account_id: opts.account,
          product_id: opts.product,
          amount: opts.amount,
          term: integerOption(opts.term, 'term'),
          business: {
            industry: opts.industry,
            months_trading: integerOption(opts.monthsTrading, 'months-trading'),
            annual_revenue: opts.revenue,
            existing_debt: opts.debt,
            ...(opts.ownerAge !== undefined ? { owner_age: integerOption(opts.ownerAge, 'owner-age') } : {}),
            ...(opts.purpose !== undefined ? { purpose: opts.purpose } : {}),
          },
        };
        checked(ApplicationCreate, body, APPLY_OPTIONS);
        // A fresh process: load the risk engine's features and the credit model first, so decision_ms is the decision's.
        await Promise.all([lending.start(), lending.riskReady()]);
        const result = await lending.apply(toApplicationInput(body as ApplicationCreate));
        if (!result.ok) refused(result, APPLY_OPTIONS);
        const a = result.application;
        print({ replayed: result.replayed, application: applicationJson(a, await lending.offerPreview(a, (a.decision as { start_date?: string }).start_date as never), null) });
      }),
    );

  loans
    .command('application <id>')
    .description('an application, its decision and its offer')
    .action((id: string) =>
      withLending(async (lending) => {
        const a = await lending.getApplication(uuidArg(id, 'application'));
        if (!a) throw new UsageError(`loan_application_not_found: ${id}`);
        print(applicationJson(a, await lending.offerPreview(a, (a.decision as { start_date?: string }).start_date as never), await lending.loanIdOfApplication(a.id)));
      }),
    );

  loans
    .command('applications')
    .description('applications, newest first')
    .option('--customer <id>', "only this customer's")
    .option('--status <status>', 'approved, declined, referred, accepted or expired')
    .option('--limit <n>', 'at most this many (1..500)', '50')
    .action((opts: { customer?: string; status?: string; limit: string }) =>
      withLending(async (lending) => {
        const limit = integerOption(opts.limit, 'limit')!;
        if (limit < 1 || limit > 500) throw new UsageError('--limit must be 1..500');
        const rows = await lending.listApplications({ customer_id: opts.customer, status: opts.status as ApplicationStatus | undefined }, undefined, limit);
        print(rows.map((a) => ({ id: a.id, customer_id: a.customer_id, status: a.status, amount: a.requested_amount, offer_amount: a.offer_amount, created_at: a.created_at })));
      }),
    );

  loans
    .command('accept <application>')
    .description('accept an offer: the loan is opened in the ledger and paid out (a revolving line: opened, with --draw drawn at once)')
    .option('--amount <minor>', 'a lower amount within the offer (a line: its limit)')
    .option('--term <periods>', 'a shorter term within the offer')
    .option('--draw <minor>', 'revolving lines: draw this much at once')
    .action((applicationId: string, opts: { amount?: string; term?: string; draw?: string }) =>
      withLending(async (lending) => {
        const body = {
          ...(opts.amount !== undefined ? { amount: opts.amount } : {}),
          ...(opts.term !== undefined ? { term: integerOption(opts.term, 'term') } : {}),
          ...(opts.draw !== undefined ? { draw: opts.draw } : {}),
        };
        const options = { amount: '--amount', term: '--term', draw: '--draw' };
        checked(AcceptBody, body, options);
        const opened = await lending.accept(uuidArg(applicationId, 'application'), {
          amount_minor: opts.amount === undefined ? undefined : BigInt(opts.amount),
          term_periods: body.term as number | undefined,
          draw_minor: opts.draw === undefined ? undefined : BigInt(opts.draw),
        });
        if (!opened.ok) refused(opened, options);
        print({ replayed: opened.replayed, loan: loanJson((await lending.getLoan(opened.loan.id))!) });
      }),
    );

  const loanDetail = async (lending: Lending, id: string) => {
    const detail = await lending.getLoan(uuidArg(id, 'loan'));
    if (!detail) throw new UsageError(`loan_not_found: ${id}`);
    return detail;
  };

  loans
    .command('show <loan>')
    .description('a loan: terms, balances from the loan and from the ledger, status')
    .action((id: string) => withLending(async (lending) => print(loanJson(await loanDetail(lending, id)))));

  loans
    .command('list')
    .description('loans, newest first')
    .option('--customer <id>', "only this customer's")
    .option('--status <status>', 'active, closed or written_off')
    .option('--limit <n>', 'at most this many (1..500)', '50')
    .action((opts: { customer?: string; status?: string; limit: string }) =>
      withLending(async (lending) => {
        const limit = integerOption(opts.limit, 'limit')!;
        if (limit < 1 || limit > 500) throw new UsageError('--limit must be 1..500');
        const rows = await lending.listLoans({ customer_id: opts.customer, status: opts.status as LoanStatus | undefined }, undefined, limit);
        const out = [];
        for (const l of rows) out.push(loanJson((await lending.getLoan(l.id))!));
        print(out);
      }),
    );

  loans
    .command('schedule <loan>')
    .description('the schedule, with what has been paid on each line')
    .option('--all', 'also the lines a rebuild replaced (superseded)')
    .action((id: string, opts: { all?: boolean }) =>
      withLending(async (lending) => {
        const detail = await loanDetail(lending, id);
        print(loanScheduleJson(detail.loan.id, detail.rows, opts.all === true));
      }),
    );

  loans
    .command('statement <loan>')
    .description("the loan's postings from the ledger, oldest first")
    .action((id: string) =>
      withLending(async (lending) => {
        const detail = await loanDetail(lending, id);
        const { lines, truncated } = await lending.statement(detail.loan);
        print(statementJson(detail.loan.id, detail.loan.currency, lines, truncated));
      }),
    );

  loans
    .command('quote <loan>')
    .description('what repaying everything on a date would take (default today)')
    .option('--date <YYYY-MM-DD>', 'the payoff date')
    .action((id: string, opts: { date?: string }) =>
      withLending(async (lending) => {
        const detail = await loanDetail(lending, id);
        let date;
        if (opts.date !== undefined) {
          const parsed = parseBusinessDate(opts.date);
          if (!parsed.ok) throw new UsageError(`--date: ${parsed.detail}`);
          date = parsed.date;
        }
        const quoted = await lending.payoffQuote(detail.loan, date);
        if (!quoted.ok) refused(quoted, { date: '--date' });
        print(quoteJson(detail.loan.id, quoted.date, quoted.quote.quote));
      }),
    );

  const operate = async (lending: Lending, loanId: string, body: Record<string, unknown>, request: Parameters<Lending['operate']>[2], optionOf: Record<string, string>) => {
    const done = await lending.operate(uuidArg(loanId, 'loan'), (body.id as string).toLowerCase(), request);
    if (!done.ok) refused(done, optionOf);
    print({ replayed: done.replayed, operation: operationJson(done.operation, (await lending.getLoan(done.operation.loan_id))!) });
  };

  loans
    .command('repay <loan>')
    .description("repay from the customer's account: what is due first, the rest prepays principal (or, exactly the payoff, closes the loan)")
    .requiredOption('--amount <minor>', 'amount, minor units')
    .option('--id <uuid>', 'operation id (default: a new UUID); repeat it to retry safely')
    .action((loanId: string, opts: { amount: string; id?: string }) =>
      withLending(async (lending) => {
        const body = { id: opts.id ?? randomUUID(), amount: opts.amount };
        checked(RepaymentBody, body, { id: '--id', amount: '--amount' });
        await operate(lending, loanId, body, { kind: 'repayment', amount_minor: BigInt(opts.amount) }, { id: '--id', amount: '--amount' });
      }),
    );

  loans
    .command('draw <loan>')
    .description("draw on a revolving credit line into the customer's account")
    .requiredOption('--amount <minor>', 'amount, minor units (at most the available credit)')
    .option('--id <uuid>', 'operation id (default: a new UUID); repeat it to retry safely')
    .action((loanId: string, opts: { amount: string; id?: string }) =>
      withLending(async (lending) => {
        const body = { id: opts.id ?? randomUUID(), amount: opts.amount };
        checked(DrawdownBody, body, { id: '--id', amount: '--amount' });
        await operate(lending, loanId, body, { kind: 'drawdown', amount_minor: BigInt(opts.amount) }, { id: '--id', amount: '--amount' });
      }),
    );

  loans
    .command('payoff <loan>')
    .description('repay everything today (the payoff quote) and close the loan')
    .option('--amount <minor>', 'the quoted amount: refused if the payoff is now different')
    .option('--id <uuid>', 'operation id (default: a new UUID)')
    .action((loanId: string, opts: { amount?: string; id?: string }) =>
      withLending(async (lending) => {
        const body = { id: opts.id ?? randomUUID(), ...(opts.amount !== undefined ? { amount: opts.amount } : {}) };
        checked(RepaymentBody, { amount: '1', ...body }, { id: '--id', amount: '--amount' });
        await operate(lending, loanId, body, { kind: 'payoff', amount_minor: opts.amount === undefined ? undefined : BigInt(opts.amount) }, { id: '--id', amount: '--amount' });
      }),
    );

  loans
    .command('restructure <loan>')
    .description('reschedule all unpaid principal from today over a new number of periods')
    .requiredOption('--term <periods>', 'the new number of periods')
    .option('--id <uuid>', 'operation id (default: a new UUID)')
    .action((loanId: string, opts: { term: string; id?: string }) =>
      withLending(async (lending) => {
        const body = { id: opts.id ?? randomUUID(), term: integerOption(opts.term, 'term') };
        checked(RestructureBody, body, { id: '--id', term: '--term' });
        await operate(lending, loanId, body, { kind: 'restructure', term_periods: body.term! }, { id: '--id', term: '--term' });
      }),
    );

  loans
    .command('write-off <loan>')
    .description("write the loan off: its receivables against the allowance and write-off expense")
    .requiredOption('--reason <text>', 'why')
    .option('--id <uuid>', 'operation id (default: a new UUID)')
    .action((loanId: string, opts: { reason: string; id?: string }) =>
      withLending(async (lending) => {
        const body = { id: opts.id ?? randomUUID(), reason: opts.reason };
        checked(WriteOffBody, body, { id: '--id', reason: '--reason' });
        await operate(lending, loanId, body, { kind: 'write_off', reason: opts.reason }, { id: '--id', reason: '--reason' });
      }),
    );

  loans
    .command('recover <loan>')
    .description("record money recovered on a written-off loan (to the bank's recovery income); the loan stays written off")
    .requiredOption('--amount <minor>', 'amount, minor units (at most what the write-off cleared, less earlier recoveries)')
    .option('--from <account>', "the account the money comes from (default: the customer's account)")
    .option('--id <uuid>', 'operation id (default: a new UUID); repeat it to retry safely')
    .action((loanId: string, opts: { amount: string; from?: string; id?: string }) =>
      withLending(async (lending) => {
        const optionOf = { id: '--id', amount: '--amount', from_account_id: '--from' };
        const body = { id: opts.id ?? randomUUID(), amount: opts.amount, ...(opts.from !== undefined ? { from_account_id: opts.from } : {}) };
        checked(RecoveryBody, body, optionOf);
        const done = await lending.recover(uuidArg(loanId, 'loan'), body.id.toLowerCase(), BigInt(opts.amount), opts.from?.toLowerCase());
        if (!done.ok) refused(done, optionOf);
        print({ replayed: done.replayed, operation: operationJson(done.operation, (await lending.getLoan(done.operation.loan_id))!) });
      }),
    );
}
