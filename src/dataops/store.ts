/**
 * SQL for the data-operations dashboard and scorecard. Read-only, over other domains'
 * tables (ledger, envelopes, lending, risk, identity, events); every figure is one
 * grouped query over a bounded time range. Days are UTC dates.
 */
import type { Queryable } from '../db/port.js';
import { BOOKKEEPING_CODES, DIGITAL_CHANNELS, NAMED_CHANNELS } from './core.js';

const day = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
/** The channel of transfer `t` (the mapping in core.ts channelOf); `named` is the parameter holding NAMED_CHANNELS. */
const channelSql = (named: string) => `CASE WHEN t.metadata->>'channel' = ANY(${named}::text[]) THEN t.metadata->>'channel'
  WHEN t.code BETWEEN 9100 AND 9199 THEN 'envelopes' WHEN t.code BETWEEN 7200 AND 7299 THEN 'lending' ELSE 'other' END`;
/** A customer's transaction: the first phase of a transfer only, bank bookkeeping left out; `codes` holds BOOKKEEPING_CODES. */
const transactionSql = (codes: string) => `t.pending_id IS NULL AND NOT (t.code = ANY(${codes}::int[]))`;

const big = (v: unknown): bigint => (v === null || v === undefined ? 0n : BigInt(v as bigint | string | number));

export interface Range {
  from: Date;
  to: Date;
  currency: string;
}

export interface ChannelDay {
  date: string;
  channel: string;
  transactions: bigint;
  volume_minor: bigint;
}

/** Transactions (any currency) and volume (in `currency`) per day and channel. */
export async function transactionsByDay(db: Queryable, r: Range): Promise<ChannelDay[]> {
  const { rows } = await db.query(
    `SELECT ${day('t.created_at')} AS date, ${channelSql('$1')} AS channel, count(*) AS n,
            COALESCE(sum(t.amount) FILTER (WHERE t.currency = $5), 0)::bigint AS volume
       FROM transfers t
      WHERE t.created_at >= $3 AND t.created_at < $4 AND ${transactionSql('$2')}
      GROUP BY 1, 2`,
    [[...NAMED_CHANNELS], [...BOOKKEEPING_CODES], r.from.toISOString(), r.to.toISOString(), r.currency],
  );
  return rows.map((x) => ({ date: x.date as string, channel: x.channel as string, transactions: big(x.n), volume_minor: big(x.volume) }));
}

/** The customers who acted, as (date, customer) pairs: a successful sign-in, or a transaction debiting one of their accounts. */
const ACTIVE_SQL = `
  SELECT ${day('s.at')} AS date, s.customer_id FROM customer_sign_ins s
   WHERE s.outcome = 'signed_in' AND s.at >= $2 AND s.at < $3
  UNION
  SELECT ${day('t.created_at')} AS date, ca.customer_id FROM transfers t JOIN customer_accounts ca ON ca.account_id = t.debit_account_id
   WHERE t.created_at >= $2 AND t.created_at < $3 AND ${transactionSql('$1')}`;

export async function activeCustomersByDay(db: Queryable, r: Range): Promise<Map<string, bigint>> {
  const { rows } = await db.query(`SELECT date, count(DISTINCT customer_id) AS n FROM (${ACTIVE_SQL}) a GROUP BY date`, [
    [...BOOKKEEPING_CODES],
    r.from.toISOString(),
    r.to.toISOString(),
  ]);
  return new Map(rows.map((x) => [x.date as string, big(x.n)]));
}

/** Distinct active customers over the whole range (not the sum of the days: a customer active twice counts once). */
export async function activeCustomersInRange(db: Queryable, r: Range): Promise<bigint> {
  const { rows } = await db.query(`SELECT count(DISTINCT customer_id) AS n FROM (${ACTIVE_SQL}) a`, [[...BOOKKEEPING_CODES], r.from.toISOString(), r.to.toISOString()]);
  return big(rows[0]?.n);
}

export interface FunnelDay {
  date: string;
  submitted: bigint;
  approved: bigint;
  accepted: bigint;
  disbursed: bigint;
}

/**
 * The loan funnel by the day applications were submitted (a cohort: each later stage
 * counts those same applications). Approved: an offer was made (approved, accepted, or an
 * offer that expired). Disbursed: a loan was opened and paid out from it.
 */
export async function loanFunnelByDay(db: Queryable, r: Range): Promise<FunnelDay[]> {
  const { rows } = await db.query(
    `SELECT ${day('a.created_at')} AS date, count(*) AS submitted,
            count(*) FILTER (WHERE a.status IN ('approved', 'accepted') OR (a.status = 'expired' AND a.offer_amount IS NOT NULL)) AS approved,
            count(*) FILTER (WHERE a.status = 'accepted') AS accepted,
            count(l.id) AS disbursed
       FROM loan_applications a LEFT JOIN loans l ON l.application_id = a.id
      WHERE a.created_at >= $1 AND a.created_at < $2
      GROUP BY 1`,
    [r.from.toISOString(), r.to.toISOString()],
  );
  return rows.map((x) => ({ date: x.date as string, submitted: big(x.submitted), approved: big(x.approved), accepted: big(x.accepted), disbursed: big(x.disbursed) }));
}

export interface EnvelopeDay {
  date: string;
  created: bigint;
  amount_minor: bigint;
  grabs: bigint;
  grabbed_minor: bigint;
}

/** Envelopes sent (count, total in `currency`) by their creation day, and grabs (count, amount) by the grab's day. */
export async function envelopesByDay(db: Queryable, r: Range): Promise<EnvelopeDay[]> {
  const params = [r.from.toISOString(), r.to.toISOString(), r.currency];
  const created = await db.query(
    `SELECT ${day('e.created_at')} AS date, count(*) AS n, COALESCE(sum(e.total_amount) FILTER (WHERE e.currency = $3), 0)::bigint AS amount
       FROM envelopes e WHERE e.created_at >= $1 AND e.created_at < $2 GROUP BY 1`,
    params,
  );
  const grabbed = await db.query(
    `SELECT ${day('g.grabbed_at')} AS date, count(*) AS n, COALESCE(sum(g.amount) FILTER (WHERE e.currency = $3), 0)::bigint AS amount
       FROM envelope_grabs g JOIN envelopes e ON e.id = g.envelope_id WHERE g.grabbed_at >= $1 AND g.grabbed_at < $2 GROUP BY 1`,
    params,
  );
  const days = new Map<string, EnvelopeDay>();
  const at = (date: string) => days.get(date) ?? days.set(date, { date, created: 0n, amount_minor: 0n, grabs: 0n, grabbed_minor: 0n }).get(date)!;
  for (const x of created.rows) Object.assign(at(x.date as string), { created: big(x.n), amount_minor: big(x.amount) });
  for (const x of grabbed.rows) Object.assign(at(x.date as string), { grabs: big(x.n), grabbed_minor: big(x.amount) });
  return [...days.values()];
}

/** Held transfers (in `currency`) whose review case was rejected as fraud, by the day the transfer was made. */
export async function fraudByDay(db: Queryable, r: Range): Promise<Map<string, bigint>> {
  const { rows } = await db.query(
    `SELECT ${day('t.created_at')} AS date, COALESCE(sum(t.amount), 0)::bigint AS amount
       FROM risk_cases c JOIN transfers t ON t.id = c.transfer_id
      WHERE c.status = 'rejected' AND t.currency = $3 AND t.created_at >= $1 AND t.created_at < $2
      GROUP BY 1`,
    [r.from.toISOString(), r.to.toISOString(), r.currency],
  );
  return new Map(rows.map((x) => [x.date as string, big(x.amount)]));
}

/** What the scorecard needs beyond the dashboard's totals, each over [from, to) unless it says "now". */
export interface ScorecardInputs {
  sign_ins: bigint;
  sign_ins_succeeded: bigint;
  sign_ins_stepped_up: bigint;
  digital_transactions: bigint;
  envelope_shares: bigint;
  envelope_shares_claimed: bigint;
  open_cases_now: bigint;
  risk_decisions: bigint;
  risk_decisions_stopped: bigint;
  outstanding_principal_now: bigint;
  npl_principal_now: bigint;
  webhooks_delivered: bigint;
  webhooks_failed: bigint;
  webhooks_pending_now: bigint;
  loan_decision_median_ms: bigint | null;
  loan_applications: bigint;
  loan_applications_automated: bigint;
  case_resolution_median_s: bigint | null;
  rule_sets_published: bigint;
}

export async function scorecardInputs(db: Queryable, r: Range): Promise<ScorecardInputs> {
  const p = [r.from.toISOString(), r.to.toISOString()];
  const one = async (sql: string, params: unknown[] = p) => (await db.query(sql, params as never)).rows[0] ?? {};
  const signIns = await one(
    `SELECT count(*) AS n, count(*) FILTER (WHERE outcome = 'signed_in') AS ok, count(*) FILTER (WHERE outcome = 'step_up') AS step_up
       FROM customer_sign_ins WHERE at >= $1 AND at < $2`,
  );
  const digital = await one(
    `SELECT count(*) AS n FROM transfers t WHERE t.created_at >= $3 AND t.created_at < $4 AND ${transactionSql('$2')} AND (${channelSql('$1')}) = ANY($5::text[])`,
    [[...NAMED_CHANNELS], [...BOOKKEEPING_CODES], ...p, [...DIGITAL_CHANNELS]],
  );
  const shares = await one(`SELECT COALESCE(sum(share_count), 0)::bigint AS n, COALESCE(sum(claimed_count), 0)::bigint AS claimed FROM envelopes WHERE created_at >= $1 AND created_at < $2`);
  const cases = await one(`SELECT count(*) AS n FROM risk_cases WHERE status = 'open'`, []);
  const decisions = await one(`SELECT count(*) AS n, count(*) FILTER (WHERE outcome IN ('review', 'block')) AS stopped FROM risk_decisions WHERE occurred_at >= $1 AND occurred_at < $2`);
  const book = await one(
    `SELECT COALESCE(sum(outstanding_principal), 0)::bigint AS total,
            COALESCE(sum(outstanding_principal) FILTER (WHERE category IN ('substandard', 'doubtful', 'loss')), 0)::bigint AS npl
       FROM loans WHERE status = 'active'`,
    [],
  );
  const hooks = await one(
    `SELECT count(*) FILTER (WHERE status = 'delivered' AND created_at >= $1 AND created_at < $2) AS delivered,
            count(*) FILTER (WHERE status = 'failed' AND created_at >= $1 AND created_at < $2) AS failed,
            count(*) FILTER (WHERE status = 'pending') AS pending
       FROM webhook_deliveries`,
  );
  const loans = await one(
    `SELECT count(*) AS n, count(*) FILTER (WHERE status <> 'referred' AND decision->'review' IS NULL) AS automated,
            round(percentile_cont(0.5) WITHIN GROUP (ORDER BY decision_ms))::bigint AS median_ms
       FROM loan_applications WHERE created_at >= $1 AND created_at < $2`,
  );
  const resolved = await one(
    `SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at)))::bigint AS median_s
       FROM risk_cases WHERE status IN ('approved', 'rejected') AND updated_at >= $1 AND updated_at < $2`,
  );
  const rules = await one(`SELECT count(*) AS n FROM risk_rule_sets WHERE published_at >= $1 AND published_at < $2`);
  const maybe = (v: unknown) => (v === null || v === undefined ? null : big(v));
  return {
    sign_ins: big(signIns.n),
    sign_ins_succeeded: big(signIns.ok),
    sign_ins_stepped_up: big(signIns.step_up),
    digital_transactions: big(digital.n),
    envelope_shares: big(shares.n),
    envelope_shares_claimed: big(shares.claimed),
    open_cases_now: big(cases.n),
    risk_decisions: big(decisions.n),
    risk_decisions_stopped: big(decisions.stopped),
    outstanding_principal_now: big(book.total),
    npl_principal_now: big(book.npl),
    webhooks_delivered: big(hooks.delivered),
    webhooks_failed: big(hooks.failed),
    webhooks_pending_now: big(hooks.pending),
    loan_decision_median_ms: maybe(loans.median_ms),
    loan_applications: big(loans.n),
    loan_applications_automated: big(loans.automated),
    case_resolution_median_s: maybe(resolved.median_s),
    rule_sets_published: big(rules.n),
  };
}
