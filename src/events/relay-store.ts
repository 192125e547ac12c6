/** SQL for the relays: `outbox_cursors` (cursor, lease, the gap being waited at) and `outbox_gaps`. */
import type { Queryable } from '../db/port.js';
import { OUTBOX_COLUMNS, toOutboxRow, type OutboxRow } from './event-builders.js';

export interface CursorState {
  last_seq: bigint;
  gap_seq: bigint | null;
  gap_seen_at: Date | null;
}

export interface GapRange {
  from_seq: bigint;
  to_seq: bigint;
  /** When the relay stops looking for rows in it. */
  expires_at: Date;
}

/** Creates the consumer's cursor at seq 0 (the outbox's beginning) if it has none. */
export async function ensureCursor(db: Queryable, consumer: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO outbox_cursors (consumer, last_seq, updated_at) VALUES ($1, 0, $2) ON CONFLICT (consumer) DO NOTHING`,
    [consumer, now.toISOString()],
  );
}

/**
 * Takes or renews the consumer's lease; undefined when another owner holds an unexpired
 * one. Inside a transaction the row stays locked until commit, so even two owners whose
 * clocks disagree about the lease cannot advance the same cursor at once.
 */
export async function claimLease(db: Queryable, consumer: string, owner: string, now: Date, until: Date): Promise<CursorState | undefined> {
  const { rows } = await db.query<{ last_seq: bigint; gap_seq: bigint | null; gap_seen_at: Date | null }>(
    `UPDATE outbox_cursors SET lease_owner = $2, lease_until = $4
     WHERE consumer = $1 AND (lease_owner = $2 OR lease_until IS NULL OR lease_until < $3)
     RETURNING last_seq, gap_seq, gap_seen_at`,
    [consumer, owner, now.toISOString(), until.toISOString()],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    last_seq: BigInt(row.last_seq),
    gap_seq: row.gap_seq === null ? null : BigInt(row.gap_seq),
    gap_seen_at: row.gap_seen_at === null ? null : new Date(row.gap_seen_at),
  };
}

/** Gives the lease up (on a clean stop), so another node takes over at once. */
export async function releaseLease(db: Queryable, consumer: string, owner: string): Promise<void> {
  await db.query(`UPDATE outbox_cursors SET lease_owner = NULL, lease_until = NULL WHERE consumer = $1 AND lease_owner = $2`, [consumer, owner]);
}

export async function saveCursor(db: Queryable, consumer: string, state: CursorState, now: Date): Promise<void> {
  await db.query(
    `UPDATE outbox_cursors SET last_seq = $2, gap_seq = $3, gap_seen_at = $4, updated_at = $5 WHERE consumer = $1`,
    [consumer, state.last_seq, state.gap_seq, state.gap_seen_at?.toISOString() ?? null, now.toISOString()],
  );
}

export async function readAfter(db: Queryable, after_seq: bigint, limit: number): Promise<OutboxRow[]> {
  const { rows } = await db.query(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2`, [after_seq, limit]);
  return rows.map(toOutboxRow);
}

/** Forgets gaps kept past their time: a transaction open that long is taken to have rolled back. */
export async function dropExpiredGaps(db: Queryable, consumer: string, now: Date): Promise<void> {
  await db.query(`DELETE FROM outbox_gaps WHERE consumer = $1 AND expires_at < $2`, [consumer, now.toISOString()]);
}

/** Rows that have appeared inside skipped gaps, oldest first, each with the gap it filled. */
export async function readLateRows(db: Queryable, consumer: string, limit: number): Promise<{ row: OutboxRow; gap: GapRange }[]> {
  const { rows } = await db.query(
    // LATERAL, so the plan starts from the (few) gaps and reads each range by the primary key:
    // as a plain join the planner walked the whole outbox's index, one pass per relay tick.
    `SELECT o.seq, o.event_id, o.topic, o.entity_id, o.client_id, o.payload, o.created_at, g.from_seq AS gap_from, g.to_seq AS gap_to, g.expires_at AS gap_expires_at
     FROM outbox_gaps g
     CROSS JOIN LATERAL (SELECT * FROM outbox WHERE seq BETWEEN g.from_seq AND g.to_seq ORDER BY seq LIMIT $2) o
     WHERE g.consumer = $1 ORDER BY o.seq LIMIT $2`,
    [consumer, limit],
  );
  return rows.map((r) => ({ row: toOutboxRow(r), gap: { from_seq: BigInt(r.gap_from as bigint), to_seq: BigInt(r.gap_to as bigint), expires_at: new Date(r.gap_expires_at as Date) },
  }));
}

/** Replaces the gap ranges `removed` by `added` (a late row splits its range in two). */
export async function replaceGaps(
  db: Queryable,
  consumer: string,
  removed: readonly GapRange[],
  added: readonly GapRange[],
  now: Date,
  ranges_max: number,
): Promise<void> {
  if (removed.length > 0) {
    await db.query(`DELETE FROM outbox_gaps WHERE consumer = $1 AND from_seq = ANY($2::int8[])`, [consumer, removed.map((g) => g.from_seq)]);
  }
  if (added.length > 0) {
    await db.query(
      `INSERT INTO outbox_gaps (consumer, from_seq, to_seq, skipped_at, expires_at)
       SELECT $1, u.f, u.t, $4, u.e FROM unnest($2::int8[], $3::int8[], $5::timestamptz[]) AS u(f, t, e)`,
      [consumer, added.map((g) => g.from_seq), added.map((g) => g.to_seq), now.toISOString(), added.map((g) => g.expires_at.toISOString())],
    );
    // Bounded: past `ranges_max`, the oldest ranges are forgotten.
    await db.query(
      `DELETE FROM outbox_gaps WHERE consumer = $1 AND from_seq < (
         SELECT from_seq FROM outbox_gaps WHERE consumer = $1 ORDER BY from_seq DESC OFFSET $2 LIMIT 1)`,
      [consumer, ranges_max - 1],
    );
  }
}

export async function gapsOf(db: Queryable, consumer: string): Promise<GapRange[]> {
  const { rows } = await db.query<{ from_seq: bigint; to_seq: bigint; expires_at: Date }>(
    `SELECT from_seq, to_seq, expires_at FROM outbox_gaps WHERE consumer = $1 ORDER BY from_seq`,
    [consumer],
  );
  return rows.map((r) => ({ from_seq: BigInt(r.from_seq), to_seq: BigInt(r.to_seq), expires_at: new Date(r.expires_at) }));
}

/** What the lag metrics need of one consumer; relay.ts `relayLagFrom` turns it into the gauges. */
export interface LagRow {
  consumer: string;
  last_seq: bigint;
  /** The outbox's highest seq (null: the outbox is empty). */
  max_seq: bigint | null;
  /** created_at of the first row after the cursor (null: none). */
  next_at: Date | null;
  /** Rows that turned up in the consumer's recorded gaps and are not yet relayed (at most `late_max`). */
  late: bigint;
  /** The oldest created_at among those (null: none). */
  late_at: Date | null;
}

/**
 * One statement for every consumer: the cursors in `outbox_cursors` plus `own` (the consumers
 * this node runs, at seq 0 until their relay first runs). Index lookups only: max(seq) and the
 * first row after each cursor from the primary key, and each recorded gap's range read by the
 * primary key (the shape of readLateRows, which the relay itself runs every pass); the gap
 * rows are capped at `late_max` per consumer. Never a scan of the outbox.
 */
export async function readLag(db: Queryable, own: readonly string[], late_max = 10_000, consumers_max = 100): Promise<LagRow[]> {
  const { rows } = await db.query<{ consumer: string; last_seq: bigint; max_seq: bigint | null; next_at: Date | null; late: bigint; late_at: Date | null }>(
    `WITH c AS (
       SELECT consumer, last_seq FROM outbox_cursors
       UNION ALL
       SELECT u.consumer, 0::int8 FROM unnest($1::text[]) AS u(consumer)
       WHERE NOT EXISTS (SELECT 1 FROM outbox_cursors k WHERE k.consumer = u.consumer)
     )
     SELECT c.consumer, c.last_seq,
       (SELECT max(seq) FROM outbox) AS max_seq,
       (SELECT created_at FROM outbox WHERE seq > c.last_seq ORDER BY seq LIMIT 1) AS next_at,
       l.late, l.late_at
     FROM c CROSS JOIN LATERAL (
       SELECT count(*)::int8 AS late, min(x.created_at) AS late_at FROM (
         SELECT o.created_at FROM outbox_gaps g
         CROSS JOIN LATERAL (SELECT created_at FROM outbox WHERE seq BETWEEN g.from_seq AND g.to_seq ORDER BY seq LIMIT $2) o
         WHERE g.consumer = c.consumer LIMIT $2) x
     ) l
     ORDER BY c.consumer LIMIT $3`,
    [own, late_max, consumers_max],
  );
  return rows.map((r) => ({
    consumer: r.consumer,
    last_seq: BigInt(r.last_seq),
    max_seq: r.max_seq === null ? null : BigInt(r.max_seq),
    next_at: r.next_at === null ? null : new Date(r.next_at),
    late: BigInt(r.late),
    late_at: r.late_at === null ? null : new Date(r.late_at),
  }));
}
