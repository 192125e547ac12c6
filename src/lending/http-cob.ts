/**
 * Close-of-business and portfolio routes:
 *
 *   POST /v1/cob/runs                      start closing dates through through_date (202, runs in the background)
 *   GET  /v1/cob/runs                      recent business dates, newest first (cursor-paginated)
 *   GET  /v1/cob/runs/{date}               one date's progress: steps with done/total/seconds
 *   GET  /v1/lending/portfolio             outstanding by product × category, NPL ratio, provisions held vs required
 *   GET  /v1/lending/portfolio/aging       arrears by DPD bucket: loans and amounts
 *   GET  /v1/lending/portfolio/vintage     by disbursement month: loans, principal, ever 30+/90+ DPD, by months on book
 *
 * `lending:admin` starts runs; `lending:read` reads. Money is a decimal string of minor
 * units, ratios a decimal string of a fraction ("0.012345").
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import type { Ledger } from '../ledger/service.js';
import { Problem } from '../ledger/schemas.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import { DPD_BUCKETS, LOAN_CATEGORIES } from './aging.js';
import { Cob } from './cob.js';
import { COB_STEPS, COB_STEP_TITLES, type StepsProgress } from './cob-core.js';
import type { CobRun } from './cob-store.js';
import { lastClosedDate } from './cob-store.js';
import { addMonths, parseBusinessDate, type BusinessDate } from './dates.js';
import { monthsOnBook, shapeAging, summarisePortfolio, vintageRatios, type VintageFigures } from './portfolio.js';
import * as portfolio from './portfolio-store.js';

const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
const DateString = Type.String({ pattern: DATE_PATTERN, description: 'A business date, YYYY-MM-DD' });
const Money = Type.String({ pattern: '^-?[0-9]+$', description: 'Minor units, as a decimal string' });
const Ratio = Type.Union([Type.String(), Type.Null()], { description: 'A fraction as a decimal string ("0.012345"); null when the denominator is zero' });
const errorResponses = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 503: Problem };
export const COB_RUNS_LIMIT_MAX = 366;
export const VINTAGE_MONTHS_MAX = 240;

const CobRunCreate = Type.Object(
  {
    through_date: DateString,
    from_date: Type.Optional(Type.String({ pattern: DATE_PATTERN, description: "First run ever only: the first date to close (default: the earliest active loan's start date)" })),
  },
  { additionalProperties: false },
);

const StepView = Type.Object({
  step: Type.String(),
  title: Type.String(),
  status: Type.String({ description: 'pending | running | done' }),
  done: Type.Integer({ description: 'Loans done (committed)' }),
  total: Type.Integer({ description: 'Loans in the step\'s scope when it started' }),
  seconds: Type.Number(),
  loans_per_second: Type.Union([Type.Number(), Type.Null()]),
  chunks: Type.Integer(),
  transfers: Type.Integer(),
});
const CobRunView = Type.Object({
  business_date: DateString,
  status: Type.String({ description: 'running | succeeded | failed' }),
  steps: Type.Array(StepView),
  error: Type.Union([Type.String(), Type.Null()]),
  started_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
  heartbeat_at: Type.Union([Type.String(), Type.Null()]),
});
const CobStarted = Type.Object({
  through_date: DateString,
  dates: Type.Array(DateString, { description: 'The business dates this run closes, in order (empty: all closed already)' }),
  status_urls: Type.Array(Type.String()),
});

function stepsJson(steps: StepsProgress) {
  return COB_STEPS.map((step) => {
    const s = steps[step];
    return { step, title: COB_STEP_TITLES[step], status: s.status, done: s.done, total: s.total, seconds: round3(s.seconds), loans_per_second: s.seconds > 0 ? Math.round(s.done / s.seconds) : null, chunks: s.chunks, transfers: s.transfers };
  });
}

function runJson(run: CobRun): Static<typeof CobRunView> {
  return {
    business_date: run.business_date,
    status: run.status,
    steps: stepsJson(run.steps),
    error: run.error,
    started_at: run.started_at.toISOString(),
    finished_at: run.finished_at?.toISOString() ?? null,
    heartbeat_at: run.heartbeat_at?.toISOString() ?? null,
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function dateParam(value: string, field: string): BusinessDate {
  const parsed = parseBusinessDate(value);
  if (!parsed.ok) throw new ProblemError('invalid_request', parsed.detail, { field });
  return parsed.date;
}

const today = (clock: Clock): BusinessDate => clock.now().toISOString().slice(0, 10) as BusinessDate;

const CategoryView = Type.Object({ category: Type.String(), loans: Type.Integer(), outstanding_principal: Money, provision_required: Money, provision_held: Money });
const PortfolioView = Type.Object({
  as_of: Type.Union([DateString, Type.Null()], { description: 'The last business date COB closed' }),
  currencies: Type.Array(
    Type.Object({
      currency: Type.String(),
      loans: Type.Integer(),
      outstanding_principal: Money,
      npl_outstanding_principal: Money,
      npl_ratio: Ratio,
      provisions_required: Money,
      provisions_held: Money,
      provisions_gap: Money,
      coverage_ratio: Ratio,
      by_category: Type.Array(CategoryView),
      by_product: Type.Array(
        Type.Object({
          product_id: Type.String(),
          loans: Type.Integer(),
          outstanding_principal: Money,
          npl_outstanding_principal: Money,
          npl_ratio: Ratio,
          by_category: Type.Array(Type.Object({ category: Type.String(), loans: Type.Integer(), outstanding_principal: Money, provision_required: Money })),
        }),
      ),
    }),
  ),
});
const AgingView = Type.Object({
  as_of: Type.Union([DateString, Type.Null()]),
  currencies: Type.Array(
    Type.Object({
      currency: Type.String(),
      buckets: Type.Array(
        Type.Object({
          bucket: Type.String({ description: DPD_BUCKETS.join(' | ') }),
          loans: Type.Integer(),
          outstanding_principal: Money,
          overdue_principal: Money,
          overdue_interest: Money,
          overdue_fee: Money,
          penalty: Money,
          share_of_outstanding: Ratio,
        }),
      ),
    }),
  ),
});
const VintageFiguresView = {
  loans: Type.Integer(),
  principal: Money,
  outstanding: Money,
  ever30_loans: Type.Integer(),
  ever30_principal: Money,
  ever90_loans: Type.Integer(),
  ever90_principal: Money,
  dpd30_outstanding: Money,
  dpd90_outstanding: Money,
  ever30_ratio: Ratio,
  ever90_ratio: Ratio,
  ever30_loans_ratio: Ratio,
  ever90_loans_ratio: Ratio,
  dpd30_ratio: Ratio,
  dpd90_ratio: Ratio,
};
const VintageView = Type.Object({
  as_of: Type.Union([DateString, Type.Null()]),
  vintages: Type.Array(
    Type.Object({
      currency: Type.String(),
      vintage_month: Type.String({ description: 'YYYY-MM' }),
      months_on_book: Type.Union([Type.Integer(), Type.Null()]),
      ...VintageFiguresView,
      curve: Type.Array(Type.Object({ business_date: DateString, months_on_book: Type.Integer(), ...VintageFiguresView }), { description: 'Month-end points COB recorded, oldest first' }),
    }),
  ),
});

function figuresJson(f: VintageFigures) {
  return {
    loans: f.loans,
    principal: String(f.principal),
    outstanding: String(f.outstanding),
    ever30_loans: f.ever30_loans,
    ever30_principal: String(f.ever30_principal),
    ever90_loans: f.ever90_loans,
    ever90_principal: String(f.ever90_principal),
    dpd30_outstanding: String(f.dpd30_outstanding),
    dpd90_outstanding: String(f.dpd90_outstanding),
    ...vintageRatios(f),
  };
}

/** bigint → decimal string, all the way down: what the JSON of a money figure is. */
type Stringified<T> = T extends bigint ? string : T extends string ? string : T extends readonly (infer U)[] ? Stringified<U>[] : T extends object ? { [K in keyof T]: Stringified<T[K]> } : T;
const stringifyMoney = <T>(value: T): Stringified<T> => JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Stringified<T>;

export function registerCobRoutes(root: FastifyInstance, db: Db, ledger: Ledger, clock: Clock): Cob {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const cob = new Cob(db, ledger, clock);
  root.addHook('onClose', () => cob.stop());
  const tags = ['close of business'];

  app.post(
    '/v1/cob/runs',
    {
      config: { scope: 'lending:admin' },
      schema: {
        tags,
        summary: 'Close business dates through through_date (catching up missed ones)',
        description:
          'Closes every business date from the day after the last closed one through `through_date`, in order: accrue interest, mark instalments due, ' +
          'collect from customer accounts, age arrears (penalties, DPD, classification), post provisions. Runs in the background: follow each date at ' +
          '`GET /v1/cob/runs/{date}`. A closed date is never run again; a crashed one is resumed.',
        body: CobRunCreate,
        response: { 202: CobStarted, ...errorResponses },
      },
    },
    async (req, reply) => {
      const through = dateParam(req.body.through_date, 'body.through_date');
      const from = req.body.from_date === undefined ? undefined : dateParam(req.body.from_date, 'body.from_date');
      if (through > today(clock)) throw new ProblemError('cob_date_in_future', `${through} has not ended yet (today is ${today(clock)} UTC)`, { field: 'body.through_date' });
      const started = await cob.start({ through_date: through, from_date: from });
      if (!started.ok) throw new ProblemError(started.code, started.detail, { field: started.code === 'cob_already_running' ? undefined : 'body.through_date' });
      return reply.status(202).send({ through_date: through, dates: started.dates, status_urls: started.dates.map((date) => `/v1/cob/runs/${date}`) });
    },
  );

  app.get(
    '/v1/cob/runs',
    {
      config: { scope: 'lending:read' },
      schema: {
        tags,
        summary: 'Business dates COB has started, newest first',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: COB_RUNS_LIMIT_MAX, default: 30 })), cursor: Type.Optional(DateString) }),
        response: { 200: Type.Object({ data: Type.Array(CobRunView), next_cursor: Type.Union([DateString, Type.Null()]) }), ...errorResponses },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 30;
      const before = req.query.cursor === undefined ? null : dateParam(req.query.cursor, 'query.cursor');
      const runs = await cob.listRuns(before, limit + 1);
      const data = runs.slice(0, limit).map(runJson);
      return { data, next_cursor: runs.length > limit ? data[data.length - 1]!.business_date : null };
    },
  );

  app.get(
    '/v1/cob/runs/:date',
    {
      config: { scope: 'lending:read' },
      schema: { tags, summary: "One business date's COB: status and each step's progress", params: Type.Object({ date: DateString }), response: { 200: CobRunView, ...errorResponses } },
    },
    async (req) => {
      const date = dateParam(req.params.date, 'params.date');
      const run = await cob.getRun(date);
      if (!run) throw new ProblemError('cob_run_not_found', `COB has not started ${date}`);
      return runJson(run);
    },
  );

  const portfolioTags = ['portfolio'];
  app.get(
    '/v1/lending/portfolio',
    {
      config: { scope: 'lending:read' },
      schema: {
        tags: portfolioTags,
        summary: 'Outstanding principal by product and category, NPL ratio, provisions held vs required',
        description: `Active loans. Categories: ${LOAN_CATEGORIES.join(', ')}; NPL = substandard + doubtful + loss. Required provisions are each loan's outstanding × its category's rate, rounded, summed; held is the allowance after the last COB.`,
        response: { 200: PortfolioView, ...errorResponses },
      },
    },
    async () => {
      const [as_of, cells, held] = [await lastClosedDate(db), await portfolio.categoryCells(db), await portfolio.allowancesHeld(db)];
      return stringifyMoney({ as_of, currencies: summarisePortfolio(cells, held) });
    },
  );

  app.get(
    '/v1/lending/portfolio/aging',
    {
      config: { scope: 'lending:read' },
      schema: { tags: portfolioTags, summary: 'Arrears ageing: loans and amounts per days-past-due bucket', response: { 200: AgingView, ...errorResponses } },
    },
    async () => stringifyMoney({ as_of: await lastClosedDate(db), currencies: shapeAging(await portfolio.agingCells(db)) }),
  );

  app.get(
    '/v1/lending/portfolio/vintage',
    {
      config: { scope: 'lending:read' },
      schema: {
        tags: portfolioTags,
        summary: 'Vintages: loans by disbursement month, the share ever 30+ / 90+ days past due, by months on book',
        querystring: Type.Object({
          months: Type.Optional(Type.Integer({ minimum: 1, maximum: VINTAGE_MONTHS_MAX, default: 24, description: 'Vintages of the last this many months (to the last closed date)' })),
          currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
          product_id: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: { 200: VintageView, ...errorResponses },
      },
    },
    async (req) => {
      const as_of = await lastClosedDate(db);
      const anchor = as_of ?? today(clock);
      const from_month = `${addMonths(anchor, -((req.query.months ?? 24) - 1)).slice(0, 7)}-01`;
      const filter = { from_month, currency: req.query.currency, product_id: req.query.product_id };
      const [rows, points] = [await portfolio.vintageRows(db, filter), await portfolio.vintagePoints(db, filter)];
      return {
        as_of,
        vintages: rows.map((row) => ({
          currency: row.currency,
          vintage_month: row.vintage_month.slice(0, 7),
          months_on_book: as_of ? monthsOnBook(row.vintage_month, as_of) : null,
          ...figuresJson(row),
          curve: points
            .filter((p) => p.currency === row.currency && p.vintage_month === row.vintage_month)
            .map((p) => ({ business_date: p.business_date, months_on_book: p.months_on_book, ...figuresJson(p) })),
        })),
      };
    },
  );

  return cob;
}
