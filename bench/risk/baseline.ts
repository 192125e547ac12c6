/**
 * The baseline: the same decisions with every feature read from the database at decision
 * time, the obvious design without in-memory state. Per decision, on a pool of 20
 * connections (the server's default), all at once:
 *   - one SQL aggregate per velocity feature (COUNT / SUM / COUNT(DISTINCT) over
 *     risk_decisions, the entity and the feature's window — the same bucket-aligned window
 *     the engine reads — and its event types): 20 queries;
 *   - one query on risk_lists for the 7 list flags;
 *   - 4 queries for the graph-derived keys that are plain look-ups: customers sharing the
 *     device, customers sharing the IP, whether the device and the payee are new to the
 *     customer.
 * graph.component_size and graph.distance_to_fraud are not computed (null): a connected
 * component or a shortest path in SQL is a recursive query over the whole history per
 * decision, and leaving them out only makes the baseline faster. Then the same compiled
 * rules and model as the engine's live deployment, and the decision stored (one
 * transaction per decision: INSERT risk_decisions, INSERT risk_cases for a review).
 *
 * Indexes the baseline needs, created in the scratch database for its run only (dropped
 * before the HTTP run, so the engine's writes never maintain them): one expression index
 * per entity read from the event JSON, (event->>'<field>', occurred_at). Customers use the
 * schema's (customer_id, occurred_at).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/db/port.js';
import { eventContext, eventFingerprint } from '../../src/risk/core.js';
import { decisionRecord, RiskEngine } from '../../src/risk/engine.js';
import * as store from '../../src/risk/store.js';
import type { Context, Outcome, RiskEvent, ValueType } from '../../src/risk/types.js';
import { VELOCITY_WINDOWS, type VelocityEntity, type VelocityFeature } from '../../src/risk/velocity.js';
import { startCpuMeter } from '../lib/cpu.js';
import { latencySummary } from '../lib/stats.js';
import { closedLoop } from './drive.js';
import type { FeatureCheck, PhaseResult } from './results.js';

const ENTITY_SQL: Record<VelocityEntity, string> = {
  customer: 'customer_id',
  device: "(event->>'device_id')",
  ip: "(event->>'ip')",
  counterparty: "(event->>'counterparty_id')",
  merchant: "(event->>'merchant_id')",
  account: "(event->>'account_id')",
};

const ENTITY_OF: Record<VelocityEntity, (e: RiskEvent) => string | undefined> = {
  customer: (e) => e.customer_id,
  device: (e) => e.device_id,
  ip: (e) => e.ip,
  counterparty: (e) => e.counterparty_id,
  merchant: (e) => e.merchant_id,
  account: (e) => e.account_id,
};

/** The entities the baseline's queries look up by value: the features' entities plus device and IP (graph keys). */
function indexedEntities(features: readonly VelocityFeature[]): VelocityEntity[] {
  const wanted = new Set<VelocityEntity>(['device', 'ip', ...features.map((f) => f.entity)]);
  wanted.delete('customer');
  return [...wanted];
}

export async function createBaselineIndexes(db: Db, features: readonly VelocityFeature[]): Promise<{ seconds: number; names: string[] }> {
  const started = performance.now();
  const names: string[] = [];
  for (const entity of indexedEntities(features)) {
    const name = `bench_risk_${entity}_idx`;
    await db.query(`CREATE INDEX ${name} ON risk_decisions (${ENTITY_SQL[entity]}, occurred_at)`);
    names.push(`${name} (${ENTITY_SQL[entity]}, occurred_at)`);
  }
  await db.query('ANALYZE risk_decisions');
  return { seconds: (performance.now() - started) / 1000, names };
}

export async function dropBaselineIndexes(db: Db, features: readonly VelocityFeature[]): Promise<void> {
  for (const entity of indexedEntities(features)) await db.query(`DROP INDEX IF EXISTS bench_risk_${entity}_idx`);
}

interface FeatureQuery {
  name: string;
  entity: VelocityEntity;
  bucket_ms: number;
  buckets: number;
  types: string[] | undefined;
  sql: string;
}

function featureQuery(f: VelocityFeature): FeatureQuery {
  const value = f.aggregate === 'count' ? 'COUNT(*)' : f.aggregate === 'sum' ? "COALESCE(SUM((event->>'amount')::numeric), 0)::text" : `COUNT(DISTINCT ${ENTITY_SQL[f.of as VelocityEntity]})`;
  const types = f.event_types ? ' AND type = ANY($4::text[])' : '';
  return {
    name: f.name,
    entity: f.entity,
    ...VELOCITY_WINDOWS[f.window],
    types: f.event_types,
    sql: `SELECT ${value} AS v FROM risk_decisions WHERE ${ENTITY_SQL[f.entity]} = $1 AND occurred_at >= $2 AND occurred_at < $3${types}`,
  };
}

const LISTS_SQL = `SELECT list, kind FROM risk_lists
  WHERE ((kind = 'customer' AND value = $1) OR (kind = 'device' AND value = $2) OR (kind = 'ip' AND value = $3)
         OR (kind = 'counterparty' AND value = $4) OR (kind = 'merchant' AND value = $5))
    AND (expires_at IS NULL OR expires_at > $6)`;
const SHARING_SQL = (entity: 'device' | 'ip') => `SELECT COUNT(DISTINCT customer_id) AS v FROM risk_decisions WHERE ${ENTITY_SQL[entity]} = $1 AND customer_id <> $2`;
const KNOWS_DEVICE_SQL = `SELECT EXISTS (SELECT 1 FROM risk_decisions WHERE customer_id = $1 AND ${ENTITY_SQL.device} = $2) AS v`;
const KNOWS_ACCOUNT_SQL = `SELECT EXISTS (SELECT 1 FROM risk_decisions WHERE customer_id = $1 AND (${ENTITY_SQL.account} = $2 OR ${ENTITY_SQL.counterparty} = $2)) AS v`;

/** Queries one decision's baseline context issues (velocity + lists + graph look-ups). */
export const baselineQueries = (features: readonly VelocityFeature[]) => features.length + 5;

/** The decision context, every feature read from the database at `now`. */
export class SqlFeatures {
  private readonly queries: FeatureQuery[];

  constructor(
    private readonly db: Db,
    features: readonly VelocityFeature[],
  ) {
    this.queries = features.map(featureQuery);
  }

  private async scalar(sql: string, params: (string | string[] | null)[]): Promise<unknown> {
    const { rows } = await this.db.query<{ v: unknown }>(sql, params);
    return rows[0]?.v;
  }

  private async velocity(q: FeatureQuery, event: RiskEvent, now_ms: number): Promise<number> {
    const value = ENTITY_OF[q.entity](event);
    if (value === undefined) return 0;
    const hi = Math.floor(now_ms / q.bucket_ms);
    const params: (string | string[])[] = [value, new Date((hi - q.buckets + 1) * q.bucket_ms).toISOString(), new Date((hi + 1) * q.bucket_ms).toISOString()];
    if (q.types) params.push(q.types);
    return Number(await this.scalar(q.sql, params));
  }

  private async lists(event: RiskEvent, now: Date): Promise<Context> {
    const { rows } = await this.db.query<{ list: string; kind: string }>(LISTS_SQL, [
      event.customer_id,
      event.device_id ?? null,
      event.ip ?? null,
      event.counterparty_id ?? null,
      event.merchant_id ?? null,
      now.toISOString(),
    ]);
    const has = (list: string, kind: string) => rows.some((r) => r.list === list && r.kind === kind);
    return {
      'list.customer_denied': has('deny', 'customer'),
      'list.device_denied': has('deny', 'device'),
      'list.ip_denied': has('deny', 'ip'),
      'list.counterparty_denied': has('deny', 'counterparty'),
      'list.merchant_denied': has('deny', 'merchant'),
      'list.customer_allowed': has('allow', 'customer'),
      'list.device_allowed': has('allow', 'device'),
    };
  }

  private async sharing(entity: 'device' | 'ip', event: RiskEvent): Promise<number> {
    const value = ENTITY_OF[entity](event);
    return value === undefined ? 0 : Number(await this.scalar(SHARING_SQL(entity), [value, event.customer_id]));
  }

  private async isNew(sql: string, event: RiskEvent, value: string | undefined): Promise<boolean | null> {
    return value === undefined ? null : !(await this.scalar(sql, [event.customer_id, value]));
  }

  async context(event: RiskEvent, now: Date, attributes?: Record<string, ValueType>): Promise<Context> {
    const now_ms = now.getTime();
    const [velocity, lists, sharingDevice, sharingIp, newDevice, newCounterparty] = await Promise.all([
      Promise.all(this.queries.map((q) => this.velocity(q, event, now_ms))),
      this.lists(event, now),
      this.sharing('device', event),
      this.sharing('ip', event),
      this.isNew(KNOWS_DEVICE_SQL, event, event.device_id),
      this.isNew(KNOWS_ACCOUNT_SQL, event, event.counterparty_id),
    ]);
    const ctx: Context = { ...eventContext(event, attributes), ...lists };
    this.queries.forEach((q, i) => (ctx[`velocity.${q.name}`] = velocity[i]!));
    ctx['graph.component_size'] = null;
    ctx['graph.customers_sharing_device'] = sharingDevice;
    ctx['graph.customers_sharing_ip'] = sharingIp;
    ctx['graph.distance_to_fraud'] = null;
    ctx['customer.new_device'] = newDevice;
    ctx['customer.new_counterparty'] = newCounterparty;
    return ctx;
  }
}

/** Context keys the baseline computes the way the engine does (everything but the two graph searches). */
export const comparableKey = (key: string): boolean => key !== 'graph.component_size' && key !== 'graph.distance_to_fraud';

export interface Slot {
  rule_set: { id: string; version: number; attributes?: Record<string, ValueType> | undefined };
  deployed: Parameters<typeof RiskEngine.verdict>[0];
}

export class BaselineDecider {
  readonly features: SqlFeatures;

  constructor(
    private readonly db: Db,
    private readonly slot: Slot,
    features: readonly VelocityFeature[],
  ) {
    this.features = new SqlFeatures(db, features);
  }

  async decide(fresh: RiskEvent): Promise<Outcome> {
    const now = new Date();
    const event = { ...fresh, occurred_at: now };
    const ctx = await this.features.context(event, now, this.slot.rule_set.attributes);
    const verdict = await RiskEngine.verdict(this.slot.deployed, ctx);
    const decision: store.StoredDecision = decisionRecord(event, eventFingerprint(event), ctx, verdict, this.slot.rule_set, null, now);
    const cases: store.RiskCase[] =
      verdict.outcome === 'review' ? [{ id: randomUUID(), decision_id: event.id, status: 'open', assignee: null, transfer_id: null, created_at: now, updated_at: now }] : [];
    // The engine's own statement: the decision and the case it opens in one round trip.
    const stored = await store.insertDecisions(this.db, [decision], cases, 'bench-baseline');
    if (!stored.has(event.id)) throw new Error(`baseline: event ${event.id} was already stored (bug in the benchmark's event stream)`);
    return verdict.outcome;
  }
}

export async function runBaseline(
  decider: BaselineDecider,
  events: readonly RiskEvent[],
  options: { in_flight: number; seconds: number; pg_database: string; queries: number },
): Promise<{ result: PhaseResult; unused: RiskEvent[] }> {
  const cpu = startCpuMeter({ postgres_database: options.pg_database });
  const run = await closedLoop(events, options.in_flight, options.seconds, (event) => decider.decide(event));
  const cpuShares = cpu();
  return {
    result: {
      key: 'baseline',
      label: `baseline · one SQL query per feature · ${options.in_flight} in flight`,
      decisions: run.decisions,
      seconds: run.seconds,
      per_s: run.decisions / run.seconds,
      ...latencySummary(run.latencies_ms),
      outcomes: run.outcomes,
      cpu: cpuShares,
      how: `closed loop of ${options.in_flight} in this process; ${options.queries} feature queries per decision at once on a pool of 20, then one transaction storing it`,
    },
    unused: run.unused,
  };
}

/**
 * The engine's context and the baseline's for the same events at the same instant (before
 * either has seen them), key by key, except the two graph searches the baseline skips;
 * and whether the decisions (same rules, same model) come out the same.
 */
export async function compareFeatures(engine: RiskEngine, sql: SqlFeatures, slot: Slot, events: readonly RiskEvent[]): Promise<FeatureCheck> {
  let mismatched_events = 0;
  let same_outcome = 0;
  let keys = 0;
  const examples: string[] = [];
  for (const e of events) {
    const now = new Date();
    const event = { ...e, occurred_at: now };
    const mine = engine.context(event, now, slot.rule_set.attributes);
    const theirs = await sql.context(event, now, slot.rule_set.attributes);
    const differing = Object.keys(mine).filter((k) => comparableKey(k) && mine[k] !== theirs[k]);
    keys = Object.keys(mine).filter(comparableKey).length;
    if (differing.length > 0) {
      mismatched_events++;
      for (const k of differing) if (examples.length < 5) examples.push(`${e.id} ${k}: engine ${String(mine[k])}, SQL ${String(theirs[k])}`);
    }
    if ((await RiskEngine.verdict(slot.deployed, mine)).outcome === (await RiskEngine.verdict(slot.deployed, theirs)).outcome) same_outcome++;
  }
  return { events: events.length, keys, mismatched_events, examples, same_outcome };
}
