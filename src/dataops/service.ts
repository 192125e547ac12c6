/** Reads the dashboard's and scorecard's rows (store.ts) and shapes them (core.ts, scorecard.ts). */
import type { Queryable } from '../db/port.js';
import { dayRange, shapeDashboard } from './core.js';
import { buildScorecard, SCORECARD_DAYS } from './scorecard.js';
import { activeCustomersByDay, activeCustomersInRange, envelopesByDay, fraudByDay, loanFunnelByDay, scorecardInputs, transactionsByDay } from './store.js';

export interface DataOpsOptions {
  /** DAILY_RUNNING_COST_MINOR: what running the bank's platform costs a day, in minor units of the report currency; 0 = not configured. */
  daily_running_cost_minor: bigint;
}

export async function dashboard(db: Queryable, options: DataOpsOptions, q: { now: Date; days: number; currency: string }) {
  const range = dayRange(q.now, q.days);
  const r = { from: range.from, to: range.to, currency: q.currency };
  const rows = {
    channels: await transactionsByDay(db, r),
    active: await activeCustomersByDay(db, r),
    active_total: await activeCustomersInRange(db, r),
    funnel: await loanFunnelByDay(db, r),
    envelopes: await envelopesByDay(db, r),
    fraud: await fraudByDay(db, r),
  };
  const shaped = shapeDashboard(range, rows, options.daily_running_cost_minor);
  return {
    days: q.days,
    from: range.dates[0]!,
    to: range.dates[range.dates.length - 1]!,
    currency: q.currency,
    daily_running_cost_minor: options.daily_running_cost_minor > 0n ? options.daily_running_cost_minor.toString() : null,
    ...shaped,
  };
}

export async function scorecard(db: Queryable, options: DataOpsOptions, q: { now: Date; currency: string }) {
  const board = await dashboard(db, options, { now: q.now, days: SCORECARD_DAYS, currency: q.currency });
  const inputs = await scorecardInputs(db, { from: new Date(`${board.from}T00:00:00Z`), to: new Date(Date.parse(`${board.to}T00:00:00Z`) + 86_400_000), currency: q.currency });
  return { computed_at: q.now.toISOString(), days: SCORECARD_DAYS, from: board.from, to: board.to, currency: q.currency, sections: buildScorecard(inputs, board.totals, q.currency) };
}
