/**
 * SQL for red envelopes and customer groups. Nothing else reads or writes their tables.
 * The envelope row is the authority on shares: grab batches and the refund change it only
 * while holding its row lock inside the ledger writer's transaction.
 */
import type { Queryable } from '../db/port.js';
import type { Envelope, Grab, ShareState } from './core.js';

type Row = Record<string, unknown>;

const ENVELOPE_COLUMNS = `id, sender_customer_id, funding_account_id, holding_account_id, currency, total_amount, share_count,
  mode, greeting, audience_kind, audience_group_id, link_token, remaining_amount, remaining_shares, claimed_amount,
  claimed_count, status, refunded_amount, refund_error, refund_retry_at, luckiest_position, fingerprint, expires_at, created_at,
  updated_at, finished_at`;
const GRAB_COLUMNS = 'envelope_id, customer_id, account_id, amount, transfer_id, position, grabbed_at';

function envelopeFromRow(row: Row): Envelope {
  return {
    id: row.id as string,
    sender_customer_id: row.sender_customer_id as string,
    funding_account_id: row.funding_account_id as string,
    holding_account_id: row.holding_account_id as string,
    currency: row.currency as string,
    total_amount: row.total_amount as bigint,
    share_count: row.share_count as number,
    mode: row.mode as Envelope['mode'],
    greeting: row.greeting as string,
    audience_kind: row.audience_kind as Envelope['audience_kind'],
    audience_group_id: (row.audience_group_id as string | null) ?? null,
    link_token: row.link_token as string,
    remaining_amount: row.remaining_amount as bigint,
    remaining_shares: row.remaining_shares as number,
    claimed_amount: row.claimed_amount as bigint,
    claimed_count: row.claimed_count as number,
    status: row.status as Envelope['status'],
    refunded_amount: row.refunded_amount as bigint,
    refund_error: (row.refund_error as string | null) ?? null,
    refund_retry_at: (row.refund_retry_at as Date | null) ?? null,
    luckiest_position: (row.luckiest_position as number | null) ?? null,
    fingerprint: row.fingerprint as string,
    expires_at: row.expires_at as Date,
    created_at: row.created_at as Date,
    updated_at: row.updated_at as Date,
    finished_at: (row.finished_at as Date | null) ?? null,
  };
}

function grabFromRow(row: Row): Grab {
  return {
    envelope_id: row.envelope_id as string,
    customer_id: row.customer_id as string,
    account_id: row.account_id as string,
    amount: row.amount as bigint,
    transfer_id: row.transfer_id as string,
    position: row.position as number,
    grabbed_at: row.grabbed_at as Date,
  };
}

export async function getEnvelope(db: Queryable, id: string): Promise<Envelope | undefined> {
  const { rows } = await db.query(`SELECT ${ENVELOPE_COLUMNS} FROM envelopes WHERE id = $1`, [id]);
  return rows[0] ? envelopeFromRow(rows[0]) : undefined;
}

/**
 * Locks envelope rows for the rest of the transaction (the writer's), in id order so every
 * process takes them in the same order. Missing ids are simply absent from the map.
 */
export async function lockEnvelopes(tx: Queryable, ids: readonly string[]): Promise<Map<string, Envelope>> {
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query(`SELECT ${ENVELOPE_COLUMNS} FROM envelopes WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [[...ids]]);
  return new Map(rows.map((row) => [row.id as string, envelopeFromRow(row)]));
}

export async function insertEnvelope(tx: Queryable, envelope: Envelope, audience: readonly string[]): Promise<void> {
  const e = envelope;
  await tx.query(
    `INSERT INTO envelopes (${ENVELOPE_COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)`,
    [
      e.id, e.sender_customer_id, e.funding_account_id, e.holding_account_id, e.currency, e.total_amount, e.share_count,
      e.mode, e.greeting, e.audience_kind, e.audience_group_id, e.link_token, e.remaining_amount, e.remaining_shares,
      e.claimed_amount, e.claimed_count, e.status, e.refunded_amount, e.refund_error, e.refund_retry_at?.toISOString() ?? null,
      e.luckiest_position, e.fingerprint,
      e.expires_at.toISOString(), e.created_at.toISOString(), e.updated_at.toISOString(), e.finished_at?.toISOString() ?? null,
    ],
  );
  if (audience.length > 0) {
    await tx.query(
      `INSERT INTO envelope_audience (envelope_id, customer_id) SELECT $1, c FROM unnest($2::text[]) AS c ON CONFLICT DO NOTHING`,
      [e.id, [...audience]],
    );
  }
}

/** Grabs already committed by these (envelope, customer) pairs, keyed `envelope_id customer_id`. */
export async function grabsOf(tx: Queryable, pairs: readonly { envelope_id: string; customer_id: string }[]): Promise<Map<string, Grab>> {
  if (pairs.length === 0) return new Map();
  const { rows } = await tx.query(
    `SELECT ${GRAB_COLUMNS.split(', ').map((c) => `g.${c}`).join(', ')}
     FROM unnest($1::uuid[], $2::text[]) AS u(envelope_id, customer_id)
     JOIN envelope_grabs g ON g.envelope_id = u.envelope_id AND g.customer_id = u.customer_id`,
    [pairs.map((p) => p.envelope_id), pairs.map((p) => p.customer_id)],
  );
  return new Map(rows.map((row) => [grabKey(row.envelope_id as string, row.customer_id as string), grabFromRow(row)]));
}

export const grabKey = (envelopeId: string, customerId: string): string => `${envelopeId} ${customerId}`;

export interface ShareUpdate extends ShareState {
  id: string;
  finished_at: Date | null;
}

/**
 * Writes a batch's paid grabs and the new share state of every envelope they came from,
 * in one statement. Envelopes that finished get their luckiest grab in a second statement
 * (it must see the grabs just written).
 */
export async function saveGrabs(tx: Queryable, grabs: readonly Grab[], updates: readonly ShareUpdate[], now: Date): Promise<void> {
  if (updates.length === 0) return;
  await tx.query(
    `WITH paid AS (
       INSERT INTO envelope_grabs (${GRAB_COLUMNS})
       SELECT g.envelope_id, g.customer_id, g.account_id, g.amount, g.transfer_id, g.position, $13
       FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::int8[], $5::uuid[], $6::int4[])
         AS g(envelope_id, customer_id, account_id, amount, transfer_id, position)
     )
     UPDATE envelopes e SET remaining_amount = u.remaining_amount, remaining_shares = u.remaining_shares,
       claimed_amount = u.claimed_amount, claimed_count = u.claimed_count, status = u.status,
       finished_at = u.finished_at, updated_at = $13
     FROM unnest($7::uuid[], $8::int8[], $9::int4[], $10::int8[], $11::int4[], $12::text[], $14::timestamptz[])
       AS u(id, remaining_amount, remaining_shares, claimed_amount, claimed_count, status, finished_at)
     WHERE e.id = u.id`,
    [
      grabs.map((g) => g.envelope_id),
      grabs.map((g) => g.customer_id),
      grabs.map((g) => g.account_id),
      grabs.map((g) => g.amount),
      grabs.map((g) => g.transfer_id),
      grabs.map((g) => g.position),
      updates.map((u) => u.id),
      updates.map((u) => u.remaining_amount),
      updates.map((u) => u.remaining_shares),
      updates.map((u) => u.claimed_amount),
      updates.map((u) => u.claimed_count),
      updates.map((u) => u.status),
      now.toISOString(),
      updates.map((u) => u.finished_at?.toISOString() ?? null),
    ],
  );
  const finished = updates.filter((u) => u.status !== 'open').map((u) => u.id);
  if (finished.length > 0) await setLuckiest(tx, finished);
}

/** The largest share of each envelope, the earliest on a tie. */
async function setLuckiest(tx: Queryable, ids: readonly string[]): Promise<void> {
  await tx.query(
    `UPDATE envelopes e SET luckiest_position = (
       SELECT g.position FROM envelope_grabs g WHERE g.envelope_id = e.id ORDER BY g.amount DESC, g.position ASC LIMIT 1)
     WHERE e.id = ANY($1::uuid[])`,
    [[...ids]],
  );
}

/** Marks envelopes refunded (their remainder has just been posted back) and finishes them. */
export async function markRefunded(tx: Queryable, refunds: readonly { id: string; amount: bigint }[], now: Date): Promise<void> {
  if (refunds.length === 0) return;
  await tx.query(
    `UPDATE envelopes e SET refunded_amount = e.refunded_amount + u.amount, remaining_amount = 0, remaining_shares = 0,
       status = 'expired', refund_error = NULL, refund_retry_at = NULL, finished_at = $3, updated_at = $3
     FROM unnest($1::uuid[], $2::int8[]) AS u(id, amount) WHERE e.id = u.id`,
    [refunds.map((r) => r.id), refunds.map((r) => r.amount), now.toISOString()],
  );
  await setLuckiest(tx, refunds.map((r) => r.id));
}

/** Refused refunds: remember why, and let the sweep try other envelopes first until `retryAt`. */
export async function setRefundErrors(tx: Queryable, refusals: readonly { id: string; code: string }[], retryAt: Date, now: Date): Promise<void> {
  if (refusals.length === 0) return;
  await tx.query(
    `UPDATE envelopes e SET refund_error = u.code, refund_retry_at = $3, updated_at = $4
     FROM unnest($1::uuid[], $2::text[]) AS u(id, code) WHERE e.id = u.id`,
    [refusals.map((r) => r.id), refusals.map((r) => r.code), retryAt.toISOString(), now.toISOString()],
  );
}

/** Open envelopes whose expiry has passed (and whose last refused refund is not too recent), oldest first. */
export async function dueEnvelopeIds(db: Queryable, now: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM envelopes WHERE status = 'open' AND expires_at <= $1 AND (refund_retry_at IS NULL OR refund_retry_at <= $1)
     ORDER BY expires_at LIMIT $2`,
    [now.toISOString(), limit],
  );
  return rows.map((r) => r.id);
}

/** Grabs in the order they happened, after `afterPosition`. */
export async function listGrabs(db: Queryable, envelopeId: string, afterPosition: number, limit: number): Promise<Grab[]> {
  const { rows } = await db.query(
    `SELECT ${GRAB_COLUMNS} FROM envelope_grabs WHERE envelope_id = $1 AND position > $2 ORDER BY position LIMIT $3`,
    [envelopeId, afterPosition, limit],
  );
  return rows.map(grabFromRow);
}

/** Every grab of one envelope (at most SHARES_MAX rows). */
export async function allGrabs(db: Queryable, envelopeId: string): Promise<Grab[]> {
  const { rows } = await db.query(`SELECT ${GRAB_COLUMNS} FROM envelope_grabs WHERE envelope_id = $1 ORDER BY position`, [envelopeId]);
  return rows.map(grabFromRow);
}

export async function audienceOf(db: Queryable, envelopeId: string): Promise<string[]> {
  const { rows } = await db.query<{ customer_id: string }>(`SELECT customer_id FROM envelope_audience WHERE envelope_id = $1`, [envelopeId]);
  return rows.map((r) => r.customer_id);
}

export interface PageAfter {
  at: Date;
  id: string;
}

/** Envelopes a customer sent, newest first. */
export async function listSent(db: Queryable, customerId: string, after: PageAfter | undefined, limit: number): Promise<Envelope[]> {
  const { rows } = await db.query(
    `SELECT ${ENVELOPE_COLUMNS} FROM envelopes
     WHERE sender_customer_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $4`,
    [customerId, after?.at.toISOString() ?? null, after?.id ?? null, limit],
  );
  return rows.map(envelopeFromRow);
}

/** Envelopes a customer grabbed from, newest grab first, with the grab. */
export async function listReceived(
  db: Queryable,
  customerId: string,
  after: PageAfter | undefined,
  limit: number,
): Promise<{ envelope: Envelope; grab: Grab }[]> {
  const { rows } = await db.query(
    `SELECT ${GRAB_COLUMNS.split(', ').map((c) => `g.${c} AS g_${c}`).join(', ')}, ${ENVELOPE_COLUMNS.split(',').map((c) => `e.${c.trim()}`).join(', ')}
     FROM envelope_grabs g JOIN envelopes e ON e.id = g.envelope_id
     WHERE g.customer_id = $1 AND ($2::timestamptz IS NULL OR (g.grabbed_at, g.envelope_id) < ($2::timestamptz, $3::uuid))
     ORDER BY g.grabbed_at DESC, g.envelope_id DESC LIMIT $4`,
    [customerId, after?.at.toISOString() ?? null, after?.id ?? null, limit],
  );
  return rows.map((row) => ({
    envelope: envelopeFromRow(row),
    grab: grabFromRow(Object.fromEntries(Object.entries(row).filter(([k]) => k.startsWith('g_')).map(([k, v]) => [k.slice(2), v]))),
  }));
}

// ------------------------------------------------------------------ customer groups

export interface CustomerGroup {
  id: string;
  name: string;
  member_customer_ids: string[];
  created_at: Date;
  updated_at: Date;
}

/** Creates the group or replaces its name and members. */
export async function saveGroup(tx: Queryable, id: string, name: string, members: readonly string[], now: Date): Promise<void> {
  await tx.query(
    `INSERT INTO customer_groups (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = EXCLUDED.updated_at`,
    [id, name, now.toISOString()],
  );
  await tx.query(`DELETE FROM customer_group_members WHERE group_id = $1`, [id]);
  await tx.query(
    `INSERT INTO customer_group_members (group_id, customer_id) SELECT $1, c FROM unnest($2::text[]) AS c ON CONFLICT DO NOTHING`,
    [id, [...members]],
  );
}

export async function getGroup(db: Queryable, id: string): Promise<CustomerGroup | undefined> {
  const { rows } = await db.query(`SELECT id, name, created_at, updated_at FROM customer_groups WHERE id = $1`, [id]);
  const row = rows[0];
  if (!row) return undefined;
  const members = await db.query<{ customer_id: string }>(
    `SELECT customer_id FROM customer_group_members WHERE group_id = $1 ORDER BY customer_id`,
    [id],
  );
  return {
    id: row.id as string,
    name: row.name as string,
    member_customer_ids: members.rows.map((m) => m.customer_id),
    created_at: row.created_at as Date,
    updated_at: row.updated_at as Date,
  };
}
