/**
 * SQL for webhook deliveries and their attempts. Partner apps (`partner_apps`, owned by the
 * open-banking registry) are only read here, for the URL and secrets to send with.
 */
import type { Queryable } from '../db/port.js';
import type { DeliveryStatus } from './webhooks.js';
import { IS_PAYMENT_TRANSFER } from '../openbanking/payments.js';

export interface AppTarget {
  client_id: string;
  webhook_url: string | null;
  webhook_secret: string | null;
  /** The secret the last rotation replaced, and until when it still signs (see signingSecrets). */
  webhook_secret_previous: string | null;
  webhook_secret_previous_until: Date | null;
  status: string;
}

export interface NewDelivery {
  id: string;
  event_id: string;
  client_id: string;
  topic: string;
  url: string;
  payload_json: string;
  created_at: Date;
  give_up_at: Date;
}

export interface Delivery {
  id: string;
  event_id: string;
  client_id: string;
  topic: string;
  url: string;
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  give_up_at: Date;
}

export interface Attempt {
  attempt: number;
  at: Date;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
  duration_ms: number;
}

/** A delivery taken for one attempt: its number, and the app's current URL and secrets. */
export interface ClaimedDelivery extends Delivery {
  attempt: number;
  app: AppTarget | null;
}

const DELIVERY_COLUMNS = `d.id, d.event_id, d.client_id, d.topic, d.url, d.payload, d.status, d.attempts, d.next_attempt_at,
  d.last_status_code, d.last_error, d.created_at, d.delivered_at, d.give_up_at`;
const APP_JOIN = `LEFT JOIN partner_apps a ON a.id = d.client_id`;
const APP_COLUMNS = `a.id AS app_id, a.webhook_url AS app_webhook_url, a.webhook_secret AS app_webhook_secret,
  a.webhook_secret_previous AS app_webhook_secret_previous, a.webhook_secret_previous_until AS app_webhook_secret_previous_until, a.status AS app_status`;

const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as Date));

function toDelivery(r: Record<string, unknown>): Delivery {
  return {
    id: r.id as string,
    event_id: r.event_id as string,
    client_id: r.client_id as string,
    topic: r.topic as string,
    url: r.url as string,
    payload: r.payload,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    next_attempt_at: dateOrNull(r.next_attempt_at),
    last_status_code: r.last_status_code === null ? null : Number(r.last_status_code),
    last_error: (r.last_error as string | null) ?? null,
    created_at: new Date(r.created_at as Date),
    delivered_at: dateOrNull(r.delivered_at),
    give_up_at: new Date(r.give_up_at as Date),
  };
}

function toClaimed(r: Record<string, unknown>): ClaimedDelivery {
  const d = toDelivery(r);
  const app: AppTarget | null =
    r.app_id === null || r.app_id === undefined
      ? null
      : {
          client_id: r.app_id as string,
          webhook_url: (r.app_webhook_url as string | null) ?? null,
          webhook_secret: (r.app_webhook_secret as string | null) ?? null,
          webhook_secret_previous: (r.app_webhook_secret_previous as string | null) ?? null,
          webhook_secret_previous_until: dateOrNull(r.app_webhook_secret_previous_until),
          status: r.app_status as string,
        };
  return { ...d, attempt: d.attempts, app };
}

/** The apps among `client_ids`, with where their webhooks go. */
export async function appTargets(db: Queryable, client_ids: readonly string[]): Promise<Map<string, AppTarget>> {
  if (client_ids.length === 0) return new Map();
  const { rows } = await db.query<AppTarget>(
    `SELECT id AS client_id, webhook_url, webhook_secret, webhook_secret_previous, webhook_secret_previous_until, status
     FROM partner_apps WHERE id = ANY($1::text[])`,
    [client_ids],
  );
  return new Map(rows.map((r) => [r.client_id, { ...r, webhook_secret_previous_until: dateOrNull(r.webhook_secret_previous_until) }]));
}

/** The active partner apps with a webhook URL: the only ones deliveries are queued for. */
export async function appsWithWebhooks(db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM partner_apps WHERE status = 'active' AND webhook_url IS NOT NULL`);
  return new Set(rows.map((r) => r.id));
}

/** For transfers that are open-banking payments: the partner app that initiated each. */
export async function paymentClients(db: Queryable, transfer_ids: readonly string[]): Promise<Map<string, string>> {
  if (transfer_ids.length === 0) return new Map();
  const { rows } = await db.query<{ transfer_id: string; client_id: string }>(
    `SELECT t.id::text AS transfer_id, t.metadata->>'client_id' AS client_id FROM transfers t WHERE t.id = ANY($1::uuid[]) AND ${IS_PAYMENT_TRANSFER}`,
    [transfer_ids],
  );
  return new Map(rows.map((r) => [r.transfer_id, r.client_id]));
}

/** Queues deliveries, due at once; one per (event, client) whatever how often it is called. */
export async function insertDeliveries(db: Queryable, deliveries: readonly NewDelivery[]): Promise<number> {
  if (deliveries.length === 0) return 0;
  const { rows } = await db.query(
    `INSERT INTO webhook_deliveries (id, event_id, client_id, topic, url, payload, status, attempts, next_attempt_at, created_at, give_up_at)
     SELECT u.id, u.event_id, u.client_id, u.topic, u.url, u.payload, 'pending', 0, u.created_at, u.created_at, u.give_up_at
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[], $8::timestamptz[])
       AS u(id, event_id, client_id, topic, url, payload, created_at, give_up_at)
     ON CONFLICT (event_id, client_id) DO NOTHING
     RETURNING id`,
    [
      deliveries.map((d) => d.id),
      deliveries.map((d) => d.event_id),
      deliveries.map((d) => d.client_id),
      deliveries.map((d) => d.topic),
      deliveries.map((d) => d.url),
      deliveries.map((d) => d.payload_json),
      deliveries.map((d) => d.created_at.toISOString()),
      deliveries.map((d) => d.give_up_at.toISOString()),
    ],
  );
  return rows.length;
}

/**
 * Takes up to `limit` due deliveries for one attempt each. Skipping rows another node has
 * locked and pushing `next_attempt_at` to `claim_until` means no two senders attempt the same
 * delivery at once; a sender that dies mid-attempt leaves it due again at `claim_until`.
 */
export async function claimDue(db: Queryable, now: Date, claim_until: Date, limit: number): Promise<ClaimedDelivery[]> {
  const { rows } = await db.query(
    `WITH due AS (
       SELECT id FROM webhook_deliveries
       WHERE status = 'pending' AND next_attempt_at <= $1
       ORDER BY next_attempt_at LIMIT $3
       FOR UPDATE SKIP LOCKED),
     claimed AS (
       UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $2
       FROM due WHERE d.id = due.id
       RETURNING d.*)
     SELECT ${DELIVERY_COLUMNS}, ${APP_COLUMNS} FROM claimed d ${APP_JOIN} ORDER BY d.next_attempt_at, d.id`,
    [now.toISOString(), claim_until.toISOString(), limit],
  );
  return rows.map(toClaimed);
}

/** Takes one delivery, whatever its status, for an attempt now (manual replay). */
export async function claimOne(db: Queryable, id: string): Promise<ClaimedDelivery | undefined> {
  const { rows } = await db.query(
    `WITH claimed AS (UPDATE webhook_deliveries d SET attempts = d.attempts + 1 WHERE d.id = $1 RETURNING d.*)
     SELECT ${DELIVERY_COLUMNS}, ${APP_COLUMNS} FROM claimed d ${APP_JOIN}`,
    [id],
  );
  return rows[0] ? toClaimed(rows[0]) : undefined;
}

export interface AttemptRecord extends Attempt {
  delivery_id: string;
  url: string;
}

/**
 * Logs an attempt and applies its outcome. `next` says what the delivery becomes:
 * `delivered`, `failed`, `pending` with a new due time, or `unchanged` (a replay that failed
 * leaves the delivery as it was). A scheduled attempt only changes a delivery still
 * `pending`: a replay that delivered it meanwhile wins.
 */
export async function recordAttempt(
  db: Queryable,
  a: AttemptRecord,
  next: { status: 'delivered' } | { status: 'failed' } | { status: 'pending'; next_attempt_at: Date } | { status: 'unchanged' },
  only_if_pending: boolean,
): Promise<void> {
  await db.query(
    `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, response_excerpt, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [a.delivery_id, a.attempt, a.at.toISOString(), a.status_code, a.error, a.response_excerpt, a.duration_ms],
  );
  const status = next.status === 'unchanged' ? null : next.status;
  const next_at = next.status === 'pending' ? next.next_attempt_at.toISOString() : null;
  await db.query(
    `UPDATE webhook_deliveries SET
       url = $2, last_status_code = $3, last_error = $4,
       status = coalesce($5, status),
       next_attempt_at = CASE WHEN $5::text IS NULL THEN next_attempt_at ELSE $6::timestamptz END,
       delivered_at = CASE WHEN $5 = 'delivered' THEN $7::timestamptz ELSE delivered_at END
     WHERE id = $1 AND (NOT $8 OR status = 'pending')`,
    [a.delivery_id, a.url, a.status_code, a.error, status, next_at, a.at.toISOString(), only_if_pending],
  );
}

export async function getDelivery(db: Queryable, id: string): Promise<Delivery | undefined> {
  const { rows } = await db.query(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.id = $1`, [id]);
  return rows[0] ? toDelivery(rows[0]) : undefined;
}

export async function attemptsOf(db: Queryable, delivery_id: string, limit: number): Promise<Attempt[]> {
  const { rows } = await db.query(
    `SELECT attempt, at, status_code, error, response_excerpt, duration_ms FROM webhook_attempts
     WHERE delivery_id = $1 ORDER BY attempt LIMIT $2`,
    [delivery_id, limit],
  );
  return rows.map((r) => ({
    attempt: Number(r.attempt),
    at: new Date(r.at as Date),
    status_code: r.status_code === null ? null : Number(r.status_code),
    error: (r.error as string | null) ?? null,
    response_excerpt: (r.response_excerpt as string | null) ?? null,
    duration_ms: Number(r.duration_ms),
  }));
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listDeliveries(
  db: Queryable,
  filter: { client_id?: string; status?: DeliveryStatus; event_id?: string; before?: { created_at: Date; id: string } },
  limit: number,
): Promise<Delivery[]> {
  const { rows } = await db.query(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d
     WHERE ($1::text IS NULL OR d.client_id = $1)
       AND ($2::text IS NULL OR d.status = $2)
       AND ($3::uuid IS NULL OR d.event_id = $3)
       AND ($4::timestamptz IS NULL OR (d.created_at, d.id) < ($4::timestamptz, $5::uuid))
     ORDER BY d.created_at DESC, d.id DESC LIMIT $6`,
    [
      filter.client_id ?? null,
      filter.status ?? null,
      filter.event_id ?? null,
      filter.before?.created_at.toISOString() ?? null,
      filter.before?.id ?? null,
      limit,
    ],
  );
  return rows.map(toDelivery);
}

/** Deletes up to `limit` finished deliveries (and their attempts) created before `before`. */
export async function purgeDeliveries(db: Queryable, before: Date, limit: number): Promise<number> {
  const { rows } = await db.query(
    `WITH gone AS (
       SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2),
     attempts AS (DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM gone))
     DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM gone) RETURNING id`,
    [before.toISOString(), limit],
  );
  return rows.length;
}
