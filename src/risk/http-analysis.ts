/**
 * The analysts' long-running tools under /v1/risk: backtests (a rule set and model over
 * stored events, a seeded simulation, or an uploaded CSV of labelled events, run as a job
 * with progress) and training a scorecard from an uploaded CSV (10-fold cross-validation
 * with seed 42 reported with the stored model).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ProblemError } from '../server/problem.js';
import { Uuid } from '../ledger/schemas.js';
import { BacktestJobs, compileForBacktest, runBacktest, type LabelledRiskEvent } from './backtest.js';
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
  const jobs = new BacktestJobs();

  app.post(
    '/v1/risk/backtests',
    {
      config: { scope: 'risk:admin' },
      bodyLimit: UPLOAD_BYTES_MAX + (1 << 20),
      schema: {
        tags,
        summary: 'Start a backtest job: a rule set (and model) over stored events, a seeded simulation, or an uploaded CSV of labelled events',
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
        const loaded = loadModel(stored.id, stored.version, stored.kind, stored.body);
        if (!loaded.ok) throw new ProblemError('invalid_model', loaded.message);
        model = loaded.model;
      }
      const source = body.source;
      let events: AsyncIterable<LabelledRiskEvent> | Iterable<LabelledRiskEvent>;
      let total: number | null = null;
      if (source.kind === 'csv') {
        const list = csvEvents(source.csv);
        events = list;
        total = list.length;
      } else if (source.kind === 'stored') {
        const from = new Date(source.from);
        const to = new Date(source.to);
        total = await store.countEvents(risk.db, from, to);
        events = storedEvents(risk, from, to);
      } else {
        events = (function* () {
          for (const e of simulate({ seed: source.seed, customers: source.customers, merchants: source.merchants ?? 200, days: source.days, start: new Date('2026-01-01T00:00:00Z') })) {
            yield { event: e.event, label: (e.fraud ? 1 : 0) as Label, pattern: e.pattern };
          }
        })();
      }
      const job = jobs.start(total, (onProgress) => runBacktest(compiled.compiled, model, risk.engine.features, events, onProgress, ruleBody.attributes), risk.clock.now());
      req.log.info({ backtest: job.id, actor: actorOf(req) }, 'backtest started');
      return reply.status(202).send(job);
    },
  );

  app.get(
    '/v1/risk/backtests/:id',
    { config: { scope: 'risk:read' }, schema: { tags, summary: 'A backtest job: status, progress (done of total), and the report when done', params: Type.Object({ id: Uuid }) } },
    async (req) => {
      const job = jobs.get(req.params.id.toLowerCase());
      if (!job) throw new ProblemError('backtest_not_found', `no backtest ${req.params.id} in this process (jobs are kept in memory)`);
      return job;
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
