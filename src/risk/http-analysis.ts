/**
 * The analysts' long-running tools under /v1/risk: backtests (a rule set and model over
 * stored events, a seeded simulation, or an uploaded CSV of labelled events, run as a job
 * stored with its progress and report: backtest-jobs.ts) and training a scorecard from an uploaded CSV (10-fold cross-validation
 * with seed 42 reported with the stored model).
 */
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ProblemError } from '../server/problem.js';
import { decodeCursor, encodeCursor } from '../server/cursor.js';
import { Problem, Uuid } from '../ledger/schemas.js';
import { compileForBacktest, runBacktest, type LabelledRiskEvent } from './backtest.js';
import { BacktestJobs } from './backtest-jobs.js';
import type { JobRow } from './backtest-store.js';
import { parseCsv, typedRecords } from './csv.js';
import { loadModel, type LoadedModel } from './models.js';
import { crossValidateScorecard, trainScorecard } from './scorecard.js';
import type { Risk } from './service.js';
import { CUSTOMERS_MAX, DAYS_MAX, simulate } from './simulator.js';
import * as store from './store.js';
import type { Label } from './metrics.js';
import type { RuleSetBody } from './core.js';
import type { RiskEvent } from './types.js';

export const UPLOAD_BYTES_MAX = 16 << 20;
const Name = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' });
const Ref = Type.Object({ id: Name, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

const actorOf = (req: { apiKey?: { name: string; id: string } }): string => (req.apiKey ? `${req.apiKey.name} (${req.apiKey.id})` : 'unknown');

const Count = Type.Integer({ minimum: 0 });
const Ratio = Type.Union([Type.Number(), Type.Null()]);
const BacktestReportView = Type.Object({
  events: Count,
  by_outcome: Type.Object({ allow: Count, step_up: Count, review: Count, block: Count }),
  alerts: Type.Integer({ description: 'review or block' }),
  days: Type.Number(),
  alerts_per_day: Type.Number(),
  labelled: Count,
  true_positives: Count,
  false_positives: Count,
  false_negatives: Count,
  true_negatives: Count,
  catch_rate: Ratio,
  false_positive_rate: Ratio,
  precision: Ratio,
  recall: Ratio,
  auc: Type.Union([Type.Number(), Type.Null()], { description: 'When a model is part of the backtest and both labels occur' }),
  by_pattern: Type.Record(Type.String(), Type.Object({ events: Count, alerted: Count, catch_rate: Ratio })),
  rules: Type.Array(Type.Object({ rule_id: Type.String(), fired: Count, on_fraud: Count }), { description: 'By how often they fired' }),
});
const TimeOrNull = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const BacktestJobView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Union(['queued', 'running', 'done', 'failed', 'interrupted'].map((s) => Type.Literal(s)), {
    description: 'queued (another job runs in this process) → running → done | failed; interrupted when the process running it stopped (jobs are not resumed)',
  }),
  kind: Type.Union(['stored', 'simulated', 'csv'].map((k) => Type.Literal(k)), { description: 'The event source' }),
  parameters: Type.Unknown({ description: 'The request as given: rule_set or rules, model, source (an uploaded CSV by bytes, rows and sha256)' }),
  progress: Type.Object({ done: Count, total: Type.Union([Count, Type.Null()], { description: 'Unknown (null) for a simulation' }) }, { description: 'Events done, stored about once a second' }),
  report: Type.Union([BacktestReportView, Type.Null()], { description: 'When done (not in lists)' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed or was interrupted' }),
  created_by: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  started_at: TimeOrNull,
  finished_at: TimeOrNull,
});
const errorResponses = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem, 503: Problem };
const JOB_CURSOR = /^([0-9]{1,15})\|([0-9a-f-]{36})$/;

const isoOrNull = (d: Date | null): string | null => (d === null ? null : new Date(d).toISOString());
function jobJson(j: JobRow) {
  return {
    id: j.id,
    status: j.status,
    kind: j.kind,
    parameters: j.parameters,
    progress: { done: j.progress_done, total: j.progress_total },
    report: j.result,
    error: j.error,
    created_by: j.created_by,
    created_at: new Date(j.created_at).toISOString(),
    started_at: isoOrNull(j.started_at),
    finished_at: isoOrNull(j.finished_at),
  };
}

/** The CSV columns of an uploaded labelled event history (label: 1 fraud, 0 genuine, empty unknown). */
export const EVENT_CSV_COLUMNS = ['id', 'type', 'customer_id', 'occurred_at', 'amount', 'currency', 'counterparty_id', 'merchant_id', 'device_id', 'ip', 'channel', 'country', 'label', 'pattern'];

function csvEvents(csv: string): LabelledRiskEvent[] {
  const parsed = parseCsv(csv, { max_bytes: UPLOAD_BYTES_MAX });
  if (!parsed.ok) throw new ProblemError('invalid_request', `csv: line ${parsed.line}, column ${parsed.column}: ${parsed.message}`, { field: 'source.csv' });
  const missing = ['id', 'type', 'customer_id', 'occurred_at'].filter((c) => !parsed.header.includes(c));
  if (missing.length) throw new ProblemError('invalid_request', `csv: missing columns ${missing.join(', ')} (known: ${EVENT_CSV_COLUMNS.join(', ')})`, { field: 'source.csv' });
  const col = (name: string) => parsed.header.indexOf(name);
  const events = parsed.rows.map((row, i): LabelledRiskEvent => {
    const get = (name: string) => (col(name) >= 0 && row[col(name)] !== '' ? row[col(name)] : undefined);
    const line = i + 2;
    const occurred_at = new Date(get('occurred_at')!);
    if (Number.isNaN(occurred_at.getTime())) throw new ProblemError('invalid_request', `csv line ${line}: occurred_at is not a timestamp`, { field: 'source.csv' });
    const amount = get('amount');
    if (amount !== undefined && !/^[0-9]{1,18}$/.test(amount)) throw new ProblemError('invalid_request', `csv line ${line}: amount must be integer minor units`, { field: 'source.csv' });
    const label = get('label');
    if (label !== undefined && label !== '0' && label !== '1') throw new ProblemError('invalid_request', `csv line ${line}: label must be 0, 1 or empty`, { field: 'source.csv' });
    const event: RiskEvent = {
      id: get('id')!,
      type: get('type')!,
      customer_id: get('customer_id')!,
      occurred_at,
      amount: amount === undefined ? undefined : BigInt(amount),
      currency: get('currency'),
      counterparty_id: get('counterparty_id'),
      merchant_id: get('merchant_id'),
      device_id: get('device_id'),
      ip: get('ip'),
      channel: get('channel'),
      geo: get('country') ? { country: get('country') } : undefined,
    };
    return { event, label: label === undefined ? undefined : (Number(label) as Label), pattern: get('pattern') ?? null };
  });
  events.sort((a, b) => a.event.occurred_at.getTime() - b.event.occurred_at.getTime());
  return events;
}

/** Stored events in time order, labelled by their case outcome where a case was closed (rejected = fraud). */
async function* storedEvents(risk: Risk, from: Date, to: Date): AsyncGenerator<LabelledRiskEvent> {
  let after: { at: Date; id: string } | undefined;
  for (;;) {
    const page = await store.eventsPage(risk.db, from, to, after, 2000);
    const labels = await store.closedCaseOutcomes(risk.db, page.map((p) => p.id));
    for (const row of page) {
      const status = labels.get(row.id);
      yield { event: row.event, label: status === 'rejected' ? 1 : status === 'approved' ? 0 : undefined };
    }
    if (page.length < 2000) return;
    const last = page[page.length - 1]!;
    after = { at: last.occurred_at, id: last.id };
  }
}

export function registerRiskAnalysisRoutes(root: FastifyInstance, risk: Risk): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['risk'];
  const jobs = new BacktestJobs(risk.db, risk.clock, root.log);
  root.addHook('onReady', async () => {
    await jobs.recover().catch((err: unknown) => root.log.error({ err }, 'could not mark the backtests of a stopped process interrupted'));
  });
  root.addHook('onClose', async () => jobs.stop());

  app.post(
    '/v1/risk/backtests',
    {
      config: { scope: 'risk:admin' },
      bodyLimit: UPLOAD_BYTES_MAX + (1 << 20),
      schema: {
        tags,
        summary:
          'Start a backtest job: a rule set (and model) over stored events, a seeded simulation, or an uploaded CSV of labelled events. One runs at a time per process, up to 8 more wait (queued)',
        body: Type.Object(
          {
            rule_set: Type.Optional(Ref),
            rules: Type.Optional(Type.Object({ rules: Type.Array(Type.Unknown(), { maxItems: 500 }), attributes: Type.Optional(Type.Unknown()) })),
            model: Type.Optional(Ref),
            source: Type.Union([
              Type.Object({ kind: Type.Literal('stored'), from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
              Type.Object(
                {
                  kind: Type.Literal('simulated'),
                  seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
                  customers: Type.Integer({ minimum: 1, maximum: Math.min(CUSTOMERS_MAX, 200_000) }),
                  merchants: Type.Optional(Type.Integer({ minimum: 1, maximum: 9999 })),
                  days: Type.Integer({ minimum: 1, maximum: Math.min(DAYS_MAX, 90) }),
                },
                { additionalProperties: false },
              ),
              Type.Object({ kind: Type.Literal('csv'), csv: Type.String({ maxLength: UPLOAD_BYTES_MAX }) }, { additionalProperties: false }),
            ]),
          },
          { additionalProperties: false },
        ),
        response: { 202: BacktestJobView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body;
      if ((body.rule_set === undefined) === (body.rules === undefined)) {
        throw new ProblemError('invalid_request', 'give exactly one of rule_set (a stored version) and rules (a rule set body)', { field: 'rule_set' });
      }
      let ruleBody: RuleSetBody;
      if (body.rule_set) {
        const found = await store.getRuleSet(risk.db, body.rule_set.id, body.rule_set.version);
        if (!found) throw new ProblemError('rule_set_not_found', `no rule set ${body.rule_set.id} v${body.rule_set.version}`);
        ruleBody = found.body;
      } else ruleBody = body.rules as unknown as RuleSetBody;
      const compiled = compileForBacktest(ruleBody, risk.engine.features);
      if (!compiled.ok) {
        const errors = compiled.issues.map((i) => ({ field: i.rule_index >= 0 ? `rules[${i.rule_index}].${i.field}` : i.field, message: i.message }));
        throw new ProblemError('invalid_rule_set', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
      }
      let model: LoadedModel | undefined;
      if (body.model) {
        const stored = await store.getModel(risk.db, body.model.id, body.model.version);
        if (!stored) throw new ProblemError('model_not_found', 'no such model version');
        const loaded = await loadModel(stored.id, stored.version, stored.kind, stored.body);
        if (!loaded.ok) throw new ProblemError(loaded.code, loaded.message);
        model = loaded.model;
      }
      const source = body.source;
      // The events are made when the job starts (it may wait): a waiting upload holds its text, not its parsed rows.
      let events: () => AsyncIterable<LabelledRiskEvent> | Iterable<LabelledRiskEvent>;
      let total: number | null = null;
      let sourceParameters: Record<string, unknown> = source;
      if (source.kind === 'csv') {
        total = csvEvents(source.csv).length; // refused now if it does not parse
        events = () => csvEvents(source.csv);
        sourceParameters = { kind: 'csv', bytes: Buffer.byteLength(source.csv), rows: total, sha256: createHash('sha256').update(source.csv).digest('hex') };
      } else if (source.kind === 'stored') {
        const from = new Date(source.from);
        const to = new Date(source.to);
        total = await store.countEvents(risk.db, from, to);
        events = () => storedEvents(risk, from, to);
      } else {
        events = function* () {
          for (const e of simulate({ seed: source.seed, customers: source.customers, merchants: source.merchants ?? 200, days: source.days, start: new Date('2026-01-01T00:00:00Z') })) {
            yield { event: e.event, label: (e.fraud ? 1 : 0) as Label, pattern: e.pattern };
          }
        };
      }
      const submitted = await jobs.submit({
        kind: source.kind,
        parameters: { rule_set: body.rule_set ?? null, rules: body.rules ?? null, model: body.model ?? null, source: sourceParameters },
        total,
        created_by: actorOf(req),
        run: (onProgress) => runBacktest(compiled.compiled, model, risk.engine.features, events(), onProgress, ruleBody.attributes),
      });
      if (!submitted.ok) {
        if (submitted.code === 'unavailable') throw new ProblemError('unavailable', 'the server is stopping');
        throw new ProblemError('backtest_queue_full', 'this process runs one backtest and has 8 waiting; retry later', { retry_after_s: 10 });
      }
      req.log.info({ backtest: submitted.job.id, status: submitted.job.status, actor: actorOf(req) }, 'backtest submitted');
      return reply.status(202).send(jobJson(submitted.job));
    },
  );

  app.get(
    '/v1/risk/backtests',
    {
      config: { scope: 'risk:read' },
      schema: {
        tags,
        summary: 'Backtest jobs, newest first, cursor-paginated (without their reports)',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })), cursor: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: Type.Object({ data: Type.Array(BacktestJobView), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 20;
      const parts = decodeCursor(req.query.cursor, JOB_CURSOR);
      const rows = await jobs.list(parts ? { at: new Date(Number(parts[0])), id: parts[1]! } : undefined, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { data: page.map(jobJson), next_cursor: rows.length > limit && last ? encodeCursor(String(new Date(last.created_at).getTime()), last.id) : null };
    },
  );

  app.get(
    '/v1/risk/backtests/:id',
    {
      config: { scope: 'risk:read' },
      schema: {
        tags,
        summary: 'A backtest job: status, progress (done of total), and the report when done',
        params: Type.Object({ id: Uuid }),
        response: { 200: BacktestJobView, ...errorResponses },
      },
    },
    async (req) => {
      const job = await jobs.get(req.params.id.toLowerCase());
      if (!job) throw new ProblemError('backtest_not_found', `no backtest ${req.params.id}`);
      return jobJson(job);
    },
  );

  app.get(
    '/v1/risk/shadow/report',
    {
      config: { scope: 'risk:read' },
      schema: {
        tags,
        summary: 'Live against shadow over a period: how often they agree, and every (live, shadow) outcome pair with its count',
        querystring: Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) }),
      },
    },
    async (req) => {
      const pairs = await store.shadowComparison(risk.db, new Date(req.query.from), new Date(req.query.to));
      const total = pairs.reduce((n, p) => n + p.decisions, 0);
      const agreed = pairs.filter((p) => p.live === p.shadow).reduce((n, p) => n + p.decisions, 0);
      const alerts = (side: 'live' | 'shadow') => pairs.filter((p) => p[side] === 'review' || p[side] === 'block').reduce((n, p) => n + p.decisions, 0);
      return {
        decisions: total,
        agreement: total === 0 ? null : agreed / total,
        live_alerts: alerts('live'),
        shadow_alerts: alerts('shadow'),
        pairs,
      };
    },
  );

  app.post(
    '/v1/risk/models/:id/train',
    {
      config: { scope: 'risk:admin' },
      bodyLimit: UPLOAD_BYTES_MAX + (1 << 20),
      schema: {
        tags,
        summary: 'Train a scorecard (WOE binning, logistic regression, points, reason codes) on an uploaded CSV; stores it as a new version with its 10-fold cross-validation',
        params: Type.Object({ id: Name }),
        body: Type.Object(
          {
            csv: Type.String({ maxLength: UPLOAD_BYTES_MAX }),
            label_column: Type.String({ minLength: 1, maxLength: 64 }),
            bad_value: Type.String({ minLength: 1, maxLength: 64, description: 'The label value meaning bad (e.g. "bad" or "1")' }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const parsed = parseCsv(req.body.csv, { max_bytes: UPLOAD_BYTES_MAX });
      if (!parsed.ok) throw new ProblemError('invalid_request', `csv: line ${parsed.line}, column ${parsed.column}: ${parsed.message}`, { field: 'csv' });
      const labelAt = parsed.header.indexOf(req.body.label_column);
      if (labelAt < 0) throw new ProblemError('invalid_request', `no column ${req.body.label_column} in the CSV header`, { field: 'label_column' });
      const labels = parsed.rows.map((r) => (r[labelAt] === req.body.bad_value ? 1 : 0) as Label);
      const table = { header: parsed.header.filter((_, i) => i !== labelAt), rows: parsed.rows.map((r) => r.filter((_, i) => i !== labelAt)) };
      const { records } = typedRecords(table);
      let card;
      let cv;
      try {
        card = trainScorecard(records, labels);
        cv = crossValidateScorecard(records, labels, { folds: 10, seed: 42, costs: { bad_as_good: 5, good_as_bad: 1 } });
      } catch (err) {
        if (err instanceof RangeError) throw new ProblemError('invalid_request', `cannot train on this data: ${err.message}`, { field: 'csv' });
        throw err;
      }
      const metrics = { rows: records.length, bads: labels.filter((l) => l === 1).length, cv_folds: 10, cv_seed: 42, auc_mean: cv.auc_mean, auc_pooled: cv.auc_pooled };
      const saved = await risk.saveModel(req.params.id, 'scorecard', card, metrics, actorOf(req));
      if (!saved.ok) throw new ProblemError('invalid_model', saved.message);
      const { body: _body, ...model } = saved.model;
      return reply.status(201).send(model);
    },
  );
}
