/**
 * Data-operations routes (scope `metrics:read`, which every staff role holds): the daily
 * dashboard and the scorecard. docs/console.md defines every figure.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { MinorUnits, Timestamp, errorResponses } from '../openbanking/http-common.js';
import { CHANNELS, DASHBOARD_DAYS_DEFAULT, DASHBOARD_DAYS_MAX } from './core.js';
import { dashboard, scorecard, type DataOpsOptions } from './service.js';

const tags = ['dataops'];
const config = { scope: 'metrics:read' as const };
const Count = Type.Integer({ minimum: 0 });
const Bps = Type.Union([Type.String({ pattern: '^[0-9]+$' }), Type.Null()], { description: 'basis points (1/100 of a percent) as a string; null when the denominator is 0' });
const Currency = Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', default: 'CNY', description: 'ISO 4217 code: volume, envelope amounts and fraud loss are in this currency (counts are not)' }));
const Day = Type.Object({
  active_customers: Count,
  transactions: Count,
  volume_minor: MinorUnits,
  by_channel: Type.Array(Type.Object({ channel: Type.Union(CHANNELS.map((c) => Type.Literal(c))), transactions: Count, volume_minor: MinorUnits })),
  loan_funnel: Type.Object({ submitted: Count, approved: Count, accepted: Count, disbursed: Count }),
  envelopes: Type.Object({ created: Count, amount_minor: MinorUnits, grabs: Count, grabbed_minor: MinorUnits }),
  fraud_loss_minor: MinorUnits,
  fraud_loss_rate_bps: Bps,
  cost_per_transaction_minor: Type.Union([MinorUnits, Type.Null()]),
});
const Dashboard = Type.Object({
  days: Type.Integer(),
  from: Type.String({ format: 'date' }),
  to: Type.String({ format: 'date' }),
  currency: Type.String(),
  daily_running_cost_minor: Type.Union([MinorUnits, Type.Null()]),
  series: Type.Array(Type.Intersect([Type.Object({ date: Type.String({ format: 'date' }) }), Day])),
  totals: Day,
});
const Figure = Type.Object({
  key: Type.String(),
  label: Type.String(),
  value: Type.Union([Type.String(), Type.Null()]),
  unit: Type.Union(['count', 'minor_units', 'bps', 'ms', 'seconds'].map((u) => Type.Literal(u))),
  definition: Type.String(),
});
const Scorecard = Type.Object({
  computed_at: Timestamp,
  days: Type.Integer(),
  from: Type.String({ format: 'date' }),
  to: Type.String({ format: 'date' }),
  currency: Type.String(),
  sections: Type.Array(Type.Object({ key: Type.String(), label: Type.String(), figures: Type.Array(Figure) })),
});

export function registerDataOpsRoutes(root: FastifyInstance, db: Db, clock: Clock, options: DataOpsOptions): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/v1/dataops/dashboard',
    {
      config,
      schema: {
        tags,
        summary: 'Daily data-operations figures for the last `days` UTC days, and their totals',
        querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: DASHBOARD_DAYS_MAX, default: DASHBOARD_DAYS_DEFAULT })), currency: Currency }),
        response: { 200: Dashboard, ...errorResponses },
      },
    },
    async (req) => dashboard(db, options, { now: clock.now(), days: req.query.days ?? DASHBOARD_DAYS_DEFAULT, currency: req.query.currency ?? 'CNY' }),
  );

  app.get(
    '/v1/dataops/scorecard',
    {
      config,
      schema: {
        tags,
        summary: 'The digital-transformation scorecard: five sections of live figures, each with its definition',
        querystring: Type.Object({ currency: Currency }),
        response: { 200: Scorecard, ...errorResponses },
      },
    },
    async (req) => scorecard(db, options, { now: clock.now(), currency: req.query.currency ?? 'CNY' }),
  );
}
