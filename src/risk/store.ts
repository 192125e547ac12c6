/**
 * SQL for the risk engine. Nothing else reads or writes its tables. Decisions are written
 * in batches (one INSERT per batch, arrays through unnest), cases and the audit trail one
 * change at a time.
 */
import type { Queryable } from '../db/port.js';
import type { RuleSetBody } from './core.js';
import { contextFrom, layoutOf, valuesJson, type ContextLayout } from './context-layout.js';
import type { Context, Outcome, RiskEvent, Value } from './types.js';

type Row = Record<string, unknown>;

// ------------------------------------------------------------------ events as JSON

/** The stored form of an event: amounts as strings, times as ISO text. */
export function eventToJson(event: RiskEvent): Record<string, unknown> {
  return { ...event, amount: event.amount?.toString(), occurred_at: event.occurred_at.toISOString() };
}

export function eventFromJson(json: Record<string, unknown>): RiskEvent {
  return {
    ...(json as unknown as RiskEvent),
    amount: typeof json.amount === 'string' ? BigInt(json.amount) : undefined,
    occurred_at: new Date(json.occurred_at as string),
  };
}

// ------------------------------------------------------------------ rule sets

export interface RuleSetVersion {
  id: string;
  version: number;
  status: 'draft' | 'published';
  body: RuleSetBody;
  comment: string;
  created_by: string;
  created_at: Date;
  published_by: string | null;
  published_at: Date | null;
}

const ruleSetFromRow = (r: Row): RuleSetVersion => ({
  id: r.id as string,
  version: r.version as number,
  status: r.status as RuleSetVersion['status'],
  body: r.body as RuleSetBody,
  comment: r.comment as string,
  created_by: r.created_by as string,
  created_at: r.created_at as Date,
  published_by: (r.published_by as string | null) ?? null,
  published_at: (r.published_at as Date | null) ?? null,
});

/** Saves a new draft version (the next number for this id). */
export async function insertRuleSetDraft(tx: Queryable, id: string, body: RuleSetBody, comment: string, actor: string, now: Date): Promise<RuleSetVersion> {
  const { rows } = await tx.query(
    `INSERT INTO risk_rule_sets (id, version, status, body, comment, created_by, created_at)
     SELECT $1, COALESCE(MAX(version), 0) + 1, 'draft', $2::jsonb, $3, $4, $5 FROM risk_rule_sets WHERE id = $1
     RETURNING *`,
    [id, JSON.stringify(body), comment, actor, now.toISOString()],
  );
  return ruleSetFromRow(rows[0]!);
}

export async function getRuleSet(db: Queryable, id: string, version: number): Promise<RuleSetVersion | undefined> {
  const { rows } = await db.query(`SELECT * FROM risk_rule_sets WHERE id = $1 AND version = $2`, [id, version]);
  return rows[0] ? ruleSetFromRow(rows[0]) : undefined;
}

export async function listRuleSetVersions(db: Queryable, id: string): Promise<RuleSetVersion[]> {
  const { rows } = await db.query(`SELECT * FROM risk_rule_sets WHERE id = $1 ORDER BY version DESC`, [id]);
  return rows.map(ruleSetFromRow);
}

export async function listRuleSets(db: Queryable): Promise<{ id: string; latest_version: number; published_version: number | null }[]> {
  const { rows } = await db.query<{ id: string; latest: number; published: number | null }>(
    `SELECT id, MAX(version) AS latest, MAX(version) FILTER (WHERE status = 'published') AS published FROM risk_rule_sets GROUP BY id ORDER BY id`,
  );
  return rows.map((r) => ({ id: r.id, latest_version: Number(r.latest), published_version: r.published === null ? null : Number(r.published) }));
}

export async function markPublished(tx: Queryable, id: string, version: number, actor: string, now: Date): Promise<void> {
  await tx.query(`UPDATE risk_rule_sets SET status = 'published', published_by = $3, published_at = $4 WHERE id = $1 AND version = $2`, [
    id,
    version,
    actor,
    now.toISOString(),
  ]);
}

// ------------------------------------------------------------------ deployments and audit

export interface Deployment {
  slot: 'live' | 'shadow';
  rule_set_id: string | null;
  rule_set_version: number | null;
  model_id: string | null;
  model_version: number | null;
  updated_by: string;
  updated_at: Date;
}

export async function getDeployments(db: Queryable): Promise<Map<'live' | 'shadow', Deployment>> {
  const { rows } = await db.query(`SELECT * FROM risk_deployments`);
  return new Map(rows.map((r) => [r.slot as 'live' | 'shadow', r as unknown as Deployment]));
}

export async function saveDeployment(tx: Queryable, d: Deployment): Promise<void> {
  await tx.query(
    `INSERT INTO risk_deployments (slot, rule_set_id, rule_set_version, model_id, model_version, updated_by, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (slot) DO UPDATE SET rule_set_id = EXCLUDED.rule_set_id, rule_set_version = EXCLUDED.rule_set_version,
       model_id = EXCLUDED.model_id, model_version = EXCLUDED.model_version, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
    [d.slot, d.rule_set_id, d.rule_set_version, d.model_id, d.model_version, d.updated_by, d.updated_at.toISOString()],
  );
}

export async function audit(tx: Queryable, actor: string, action: string, subject: string, details: unknown, now: Date): Promise<void> {
  await tx.query(`INSERT INTO risk_audit (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5::jsonb)`, [
    now.toISOString(),
    actor,
    action,
    subject,
    JSON.stringify(details ?? null),
  ]);
}

export async function auditOf(db: Queryable, subject: string, limit: number): Promise<{ at: Date; actor: string; action: string; details: unknown }[]> {
  const { rows } = await db.query(`SELECT at, actor, action, details FROM risk_audit WHERE subject = $1 ORDER BY seq DESC LIMIT $2`, [subject, limit]);
  return rows.map((r) => ({ at: r.at as Date, actor: r.actor as string, action: r.action as string, details: r.details }));
}

// ------------------------------------------------------------------ lists

export type ListName = 'allow' | 'deny';
export type ListKind = 'customer' | 'device' | 'ip' | 'counterparty' | 'merchant';

export interface ListEntry {
  list: ListName;
  kind: ListKind;
  value: string;
  reason: string;
  expires_at: Date | null;
  created_by: string;
  created_at: Date;
}

export async function saveListEntry(tx: Queryable, e: ListEntry): Promise<void> {
  await tx.query(
    `INSERT INTO risk_lists (list, kind, value, reason, expires_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (list, kind, value) DO UPDATE SET reason = EXCLUDED.reason, expires_at = EXCLUDED.expires_at,
       created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at`,
    [e.list, e.kind, e.value, e.reason, e.expires_at?.toISOString() ?? null, e.created_by, e.created_at.toISOString()],
  );
}

export async function deleteListEntry(tx: Queryable, list: ListName, kind: ListKind, value: string): Promise<boolean> {
  const { rows } = await tx.query(`DELETE FROM risk_lists WHERE list = $1 AND kind = $2 AND value = $3 RETURNING value`, [list, kind, value]);
  return rows.length > 0;
}

/** Entries not yet expired at `now`. */
export async function activeListEntries(db: Queryable, now: Date): Promise<ListEntry[]> {
  const { rows } = await db.query(`SELECT * FROM risk_lists WHERE expires_at IS NULL OR expires_at > $1 ORDER BY list, kind, value`, [now.toISOString()]);
  return rows as unknown as ListEntry[];
}

// ------------------------------------------------------------------ models

export interface ModelVersion {
  id: string;
  version: number;
  kind: 'scorecard' | 'xgboost' | 'onnx';
  body: unknown;
  metrics: unknown;
  created_by: string;
  created_at: Date;
}

export async function insertModel(tx: Queryable, id: string, kind: ModelVersion['kind'], body: unknown, metrics: unknown, actor: string, now: Date): Promise<ModelVersion> {
  const { rows } = await tx.query(
    `INSERT INTO risk_models (id, version, kind, body, metrics, created_by, created_at)
     SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3::jsonb, $4::jsonb, $5, $6 FROM risk_models WHERE id = $1
     RETURNING *`,
    [id, kind, JSON.stringify(body), JSON.stringify(metrics ?? null), actor, now.toISOString()],
  );
  return rows[0] as unknown as ModelVersion;
}

export async function getModel(db: Queryable, id: string, version: number): Promise<ModelVersion | undefined> {
  const { rows } = await db.query(`SELECT * FROM risk_models WHERE id = $1 AND version = $2`, [id, version]);
  return rows[0] as unknown as ModelVersion | undefined;
}

export async function listModels(db: Queryable): Promise<Omit<ModelVersion, 'body'>[]> {
  const { rows } = await db.query(`SELECT id, version, kind, metrics, created_by, created_at FROM risk_models ORDER BY id, version DESC`);
  return rows as unknown as Omit<ModelVersion, 'body'>[];
}

// ------------------------------------------------------------------ decisions

export interface StoredDecision {
  id: string;
  type: string;
  customer_id: string;
  occurred_at: Date;
  event: RiskEvent;
  fingerprint: string;
  outcome: Outcome;
  score: number | null;
  reasons: unknown;
  context: Context;
  rule_set_id: string | null;
  rule_set_version: number | null;
  shadow: unknown;
  decided_at: Date;
}

/** The columns of a decision with its context back in full (stored compactly since 0006, in full before). */
const DECISION_COLUMNS = `d.id, d.type, d.customer_id, d.occurred_at, d.event, d.fingerprint, d.outcome, d.score, d.reasons, d.context,
  d.context_values, l.keys AS context_keys, d.rule_set_id, d.rule_set_version, d.shadow, d.decided_at`;
const DECISION_FROM = `risk_decisions d LEFT JOIN risk_context_layouts l ON l.id = d.context_layout`;

function decisionFromRow(r: Row): StoredDecision {
  const event = eventFromJson(r.event as Record<string, unknown>);
  const context =
    r.context !== null ? (r.context as Context) : contextFrom(event, r.context_keys as string[], r.context_values as Value[]);
  return {
    id: r.id as string,
    type: r.type as string,
    customer_id: r.customer_id as string,
    occurred_at: r.occurred_at as Date,
    event,
    fingerprint: r.fingerprint as string,
    outcome: r.outcome as Outcome,
    score: r.score as number | null,
    reasons: r.reasons,
    context,
    rule_set_id: r.rule_set_id as string | null,
    rule_set_version: r.rule_set_version as number | null,
    shadow: r.shadow,
    decided_at: r.decided_at as Date,
  };
}

/**
 * Stores a batch of decisions, the context layouts they use and the review cases they open,
 * in one statement (so one round trip and atomic without a transaction). An id already
 * stored is skipped (its first decision stands, and no case is opened for it); returns the
 * ids stored now.
 */
export async function insertDecisions(
  db: Queryable,
  decisions: readonly StoredDecision[],
  cases: readonly RiskCase[] = [],
  caseActor = 'risk-engine',
): Promise<Set<string>> {
  if (decisions.length === 0) return new Set();
  const used = new Map<string, ContextLayout>();
  const layoutIds: string[] = new Array(decisions.length);
  const values: string[] = new Array(decisions.length);
  decisions.forEach((d, i) => {
    const layout = layoutOf(d.context);
    used.set(layout.id, layout);
    layoutIds[i] = layout.id;
    values[i] = valuesJson(d.context, layout);
  });
  const { rows } = await db.query<{ id: string }>(
    `WITH layouts AS (
       INSERT INTO risk_context_layouts (id, keys)
       SELECT l.id, l.keys::jsonb FROM unnest($15::text[], $16::text[]) AS l(id, keys)
       ON CONFLICT (id) DO NOTHING),
     stored AS (
       INSERT INTO risk_decisions (id, type, customer_id, occurred_at, event, fingerprint, outcome, score, reasons,
                                   context_layout, context_values, rule_set_id, rule_set_version, shadow, decided_at)
       SELECT u.id, u.type, u.customer_id, u.occurred_at, u.event::jsonb, u.fingerprint, u.outcome, u.score, u.reasons::jsonb,
              u.layout, u.context_values::json, u.rule_set_id, u.rule_set_version, u.shadow::jsonb, u.decided_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::float8[],
                   $9::text[], $10::text[], $11::text[], $12::text[], $13::int4[], $14::text[], $17::timestamptz[])
         AS u(id, type, customer_id, occurred_at, event, fingerprint, outcome, score, reasons, layout, context_values,
              rule_set_id, rule_set_version, shadow, decided_at)
       ON CONFLICT (id) DO NOTHING
       RETURNING id),
     opened AS (
       INSERT INTO risk_cases (id, decision_id, status, assignee, transfer_id, created_at, updated_at)
       SELECT c.id, c.decision_id, 'open', NULL, c.transfer_id, c.at, c.at
       FROM unnest($18::uuid[], $19::uuid[], $20::uuid[], $21::timestamptz[]) AS c(id, decision_id, transfer_id, at)
       WHERE c.decision_id IN (SELECT id FROM stored)
       ON CONFLICT (decision_id) DO NOTHING
       RETURNING id, created_at),
     audit AS (
       INSERT INTO risk_case_events (case_id, at, actor, action) SELECT id, created_at, $22, 'opened' FROM opened)
     SELECT id FROM stored`,
    [
      decisions.map((d) => d.id),
      decisions.map((d) => d.type),
      decisions.map((d) => d.customer_id),
      decisions.map((d) => d.occurred_at.toISOString()),
      decisions.map((d) => JSON.stringify(eventToJson(d.event))),
      decisions.map((d) => d.fingerprint),
      decisions.map((d) => d.outcome),
      decisions.map((d) => d.score),
      decisions.map((d) => JSON.stringify(d.reasons)),
      layoutIds,
      values,
      decisions.map((d) => d.rule_set_id),
      decisions.map((d) => d.rule_set_version),
      decisions.map((d) => (d.shadow === null || d.shadow === undefined ? null : JSON.stringify(d.shadow))),
      [...used.keys()],
      [...used.values()].map((l) => JSON.stringify(l.keys)),
      decisions.map((d) => d.decided_at.toISOString()),
      cases.map((c) => c.id),
      cases.map((c) => c.decision_id),
      cases.map((c) => c.transfer_id),
      cases.map((c) => c.created_at.toISOString()),
      caseActor,
    ],
  );
  return new Set(rows.map((r) => r.id));
}

export async function getDecision(db: Queryable, id: string): Promise<StoredDecision | undefined> {
  const { rows } = await db.query(`SELECT ${DECISION_COLUMNS} FROM ${DECISION_FROM} WHERE d.id = $1`, [id]);
  return rows[0] ? decisionFromRow(rows[0]) : undefined;
}

/** Stored events in time order from `from`, a page at a time (for rebuilding features and for backtests). */
export async function eventsPage(
  db: Queryable,
  from: Date,
  to: Date | undefined,
  after: { at: Date; id: string } | undefined,
  limit: number,
): Promise<{ event: RiskEvent; id: string; occurred_at: Date }[]> {
  const { rows } = await db.query(
    `SELECT id, occurred_at, event FROM risk_decisions
     WHERE occurred_at >= $1 AND ($2::timestamptz IS NULL OR occurred_at < $2) AND ($3::timestamptz IS NULL OR (occurred_at, id) > ($3::timestamptz, $4::uuid))
     ORDER BY occurred_at, id LIMIT $5`,
    [from.toISOString(), to?.toISOString() ?? null, after?.at.toISOString() ?? null, after?.id ?? null, limit],
  );
  return rows.map((r) => ({ id: r.id as string, occurred_at: r.occurred_at as Date, event: eventFromJson(r.event as Record<string, unknown>) }));
}

export async function countEvents(db: Queryable, from: Date, to: Date): Promise<number> {
  const { rows } = await db.query<{ n: bigint }>(`SELECT COUNT(*) AS n FROM risk_decisions WHERE occurred_at >= $1 AND occurred_at < $2`, [
    from.toISOString(),
    to.toISOString(),
  ]);
  return Number(rows[0]!.n);
}

// ------------------------------------------------------------------ cases

export type CaseStatus = 'open' | 'approved' | 'rejected';

export interface RiskCase {
  id: string;
  decision_id: string;
  status: CaseStatus;
  assignee: string | null;
  transfer_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface CaseEvent {
  at: Date;
  actor: string;
  action: 'opened' | 'assigned' | 'commented' | 'approved' | 'rejected';
  comment: string | null;
}

export async function insertCases(tx: Queryable, cases: readonly RiskCase[], actor: string): Promise<void> {
  if (cases.length === 0) return;
  await tx.query(
    `WITH opened AS (
       INSERT INTO risk_cases (id, decision_id, status, assignee, transfer_id, created_at, updated_at)
       SELECT u.id, u.decision_id, 'open', NULL, u.transfer_id, u.at, u.at
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[]) AS u(id, decision_id, transfer_id, at)
       ON CONFLICT (decision_id) DO NOTHING
       RETURNING id, created_at)
     INSERT INTO risk_case_events (case_id, at, actor, action) SELECT id, created_at, $5, 'opened' FROM opened`,
    [cases.map((c) => c.id), cases.map((c) => c.decision_id), cases.map((c) => c.transfer_id), cases.map((c) => c.created_at.toISOString()), actor],
  );
}

export async function lockCase(tx: Queryable, id: string): Promise<RiskCase | undefined> {
  const { rows } = await tx.query(`SELECT * FROM risk_cases WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] as unknown as RiskCase | undefined;
}

export async function getCase(db: Queryable, id: string): Promise<RiskCase | undefined> {
  const { rows } = await db.query(`SELECT * FROM risk_cases WHERE id = $1`, [id]);
  return rows[0] as unknown as RiskCase | undefined;
}

export async function caseByDecision(db: Queryable, decisionId: string): Promise<RiskCase | undefined> {
  const { rows } = await db.query(`SELECT * FROM risk_cases WHERE decision_id = $1`, [decisionId]);
  return rows[0] as unknown as RiskCase | undefined;
}

export async function updateCase(tx: Queryable, id: string, changes: { status?: CaseStatus; assignee?: string | null }, now: Date): Promise<void> {
  await tx.query(
    `UPDATE risk_cases SET status = COALESCE($2, status), assignee = CASE WHEN $3::boolean THEN $4 ELSE assignee END, updated_at = $5 WHERE id = $1`,
    [id, changes.status ?? null, changes.assignee !== undefined, changes.assignee ?? null, now.toISOString()],
  );
}

export async function addCaseEvent(tx: Queryable, caseId: string, e: CaseEvent): Promise<void> {
  await tx.query(`INSERT INTO risk_case_events (case_id, at, actor, action, comment) VALUES ($1, $2, $3, $4, $5)`, [
    caseId,
    e.at.toISOString(),
    e.actor,
    e.action,
    e.comment,
  ]);
}

export async function caseEvents(db: Queryable, caseId: string): Promise<CaseEvent[]> {
  const { rows } = await db.query(`SELECT at, actor, action, comment FROM risk_case_events WHERE case_id = $1 ORDER BY seq`, [caseId]);
  return rows as unknown as CaseEvent[];
}

export async function listCases(
  db: Queryable,
  filter: { status?: CaseStatus | undefined; assignee?: string | undefined },
  after: { at: Date; id: string } | undefined,
  limit: number,
): Promise<RiskCase[]> {
  const { rows } = await db.query(
    `SELECT * FROM risk_cases
     WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR assignee = $2)
       AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::uuid))
     ORDER BY created_at, id LIMIT $5`,
    [filter.status ?? null, filter.assignee ?? null, after?.at.toISOString() ?? null, after?.id ?? null, limit],
  );
  return rows as unknown as RiskCase[];
}

// ------------------------------------------------------------------ transfer policies

export interface TransferPolicy {
  code: number;
  enabled: boolean;
  hold_timeout_seconds: number;
  updated_by: string;
  updated_at: Date;
}

export async function saveTransferPolicy(tx: Queryable, p: TransferPolicy): Promise<void> {
  await tx.query(
    `INSERT INTO risk_transfer_policies (code, enabled, hold_timeout_seconds, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (code) DO UPDATE SET enabled = EXCLUDED.enabled, hold_timeout_seconds = EXCLUDED.hold_timeout_seconds,
       updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
    [p.code, p.enabled, p.hold_timeout_seconds, p.updated_by, p.updated_at.toISOString()],
  );
}

export async function listTransferPolicies(db: Queryable): Promise<TransferPolicy[]> {
  const { rows } = await db.query(`SELECT * FROM risk_transfer_policies ORDER BY code`);
  return rows as unknown as TransferPolicy[];
}

/** Closed cases' outcomes for these decisions (labels for backtests over stored events). */
export async function closedCaseOutcomes(db: Queryable, decisionIds: readonly string[]): Promise<Map<string, 'approved' | 'rejected'>> {
  if (decisionIds.length === 0) return new Map();
  const { rows } = await db.query<{ decision_id: string; status: 'approved' | 'rejected' }>(
    `SELECT decision_id, status FROM risk_cases WHERE decision_id = ANY($1::uuid[]) AND status <> 'open'`,
    [[...decisionIds]],
  );
  return new Map(rows.map((r) => [r.decision_id, r.status]));
}

/** Live against shadow outcomes over a period: one row per (live, shadow) pair with its count. */
export async function shadowComparison(db: Queryable, from: Date, to: Date): Promise<{ live: Outcome; shadow: Outcome; decisions: number }[]> {
  const { rows } = await db.query<{ live: Outcome; shadow: Outcome; n: bigint }>(
    `SELECT outcome AS live, shadow->>'outcome' AS shadow, COUNT(*) AS n FROM risk_decisions
     WHERE shadow IS NOT NULL AND occurred_at >= $1 AND occurred_at < $2
     GROUP BY 1, 2 ORDER BY 1, 2`,
    [from.toISOString(), to.toISOString()],
  );
  return rows.map((r) => ({ live: r.live, shadow: r.shadow, decisions: Number(r.n) }));
}

/** Of these transfer ids, the ones an open case holds. */
export async function openHolds(db: Queryable, transferIds: readonly string[]): Promise<Set<string>> {
  if (transferIds.length === 0) return new Set();
  const { rows } = await db.query<{ transfer_id: string }>(
    `SELECT transfer_id FROM risk_cases WHERE transfer_id = ANY($1::uuid[]) AND status = 'open'`,
    [[...transferIds]],
  );
  return new Set(rows.map((r) => r.transfer_id));
}

/** The outcomes already decided for these event ids. */
export async function outcomesOf(db: Queryable, ids: readonly string[]): Promise<Map<string, Outcome>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; outcome: Outcome }>(`SELECT id, outcome FROM risk_decisions WHERE id = ANY($1::uuid[])`, [[...ids]]);
  return new Map(rows.map((r) => [r.id, r.outcome]));
}
