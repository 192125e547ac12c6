/**
 * The outbox relay: reads outbox rows after its cursor in seq order, in bounded batches,
 * hands them to a sink (webhook deliveries, NATS JetStream) and advances the cursor in the
 * same transaction. One relay per consumer name works at a time across all nodes: the
 * cursor row carries a lease (`lease_owner`, `lease_until`) taken with a conditional UPDATE;
 * a node whose lease has lapsed is replaced by the next one that asks. No advisory locks and
 * no LISTEN/NOTIFY (DESIGN.md): plain row updates, which distributed SQL databases have too.
 *
 * Gaps. `outbox.seq` is an identity column: a transaction takes its seq when it inserts and
 * may commit after another that took a higher one later. A relay that saw seq 11 committed
 * and moved its cursor past 10 while 10's transaction was still open would never send 10.
 * So the relay only moves through an unbroken run of seqs. At a missing seq it stops and
 * notes the seq and the time it first saw it missing (in the cursor row, so another node
 * taking over keeps the same wait); if the seq is still missing `gap_wait_ms` later it steps
 * over it and records the range in `outbox_gaps`. A seq that never appears belongs to a
 * rolled-back transaction (or one the sequence lost in a crash); one that appears late is
 * found by each later pass, which looks the recorded ranges up again, relays what turned up
 * (out of seq order, but never lost) and keeps looking until `gap_retention_ms`. Only a
 * transaction open longer than that could still be missed. This relies on identity values
 * being handed out in order with no cache (PostgreSQL's default, CACHE 1); a database that
 * hands out sparse ids (CockroachDB's unique_rowid) would make every step a gap: there
 * another scheme (e.g. a commit-time stamp) is needed, as docs/scaling.md says.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import type { OutboxRow } from './event-builders.js';
import { withDerivedEvents, type DeriveScope, type EventDeriver } from './derived-events.js';
import {
  claimLease,
  dropExpiredGaps,
  ensureCursor,
  readAfter,
  readLateRows,
  releaseLease,
  replaceGaps,
  saveCursor,
  type CursorState,
  type GapRange,
  type LagRow,
} from './relay-store.js';

export interface RelaySink {
  /**
   * Delivers a batch of outbox rows (in seq order, late gap rows first) inside the
   * transaction that then advances the cursor; `buildEnvelopes` (event-builders.ts) turns the
   * rows a sink keeps into events. Queue rows with `tx`; for an external system, publish and
   * await its acknowledgements before returning. Throwing rolls the batch back: it is
   * retried later.
   */
  deliver(tx: Queryable, rows: readonly OutboxRow[], now: Date): Promise<void>;
  /**
   * Which derived events this sink keeps, read in the pass's transaction before the events
   * are derived (derived-events.ts); without it, every one.
   */
  deriveScope?(tx: Queryable): Promise<DeriveScope>;
}

/** Told after each committed pass that handed rows on (the metrics' relayed-events counter). */
export interface RelayObserver {
  relayed(consumer: string, events: number): void;
}

export interface RelayOptions {
  consumer: string;
  /** This node's name in the lease; unique per process by default. */
  owner?: string;
  observer?: RelayObserver;
  /** Events told by other rows (derived-events.ts): delivered right after their source rows. */
  derivers?: readonly EventDeriver[];
  batch_max?: number;
  lease_ms?: number;
  gap_wait_ms?: number;
  gap_retention_ms?: number;
  gap_ranges_max?: number;
}

export const RELAY_DEFAULTS = {
  batch_max: 1000,
  lease_ms: 30_000,
  gap_wait_ms: 2_000,
  gap_retention_ms: 3_600_000,
  gap_ranges_max: 10_000,
};

export interface RelayPass {
  /** False when another node holds the lease: this pass did nothing. */
  leased: boolean;
  relayed: number;
  /** Of those, rows that filled an earlier gap. */
  late: number;
  /** Seq ranges stepped over in this pass. */
  skipped: GapRange[];
  cursor: bigint;
  /** A full batch was read: call again without waiting. */
  more: boolean;
}

export const defaultOwner = (): string => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

export interface Walk {
  taken: OutboxRow[];
  cursor: CursorState;
  skipped: { from_seq: bigint; to_seq: bigint }[];
}

/**
 * The pure part of a pass: which of the rows after the cursor (in seq order) may be relayed
 * now, where the cursor ends, and which missing seqs are stepped over (see the file comment).
 */
export function walkRows(rows: readonly OutboxRow[], cursor: CursorState, now: Date, gap_wait_ms: number): Walk {
  let expected = cursor.last_seq + 1n;
  let gap_seq = cursor.gap_seq;
  let gap_seen_at = cursor.gap_seen_at;
  const taken: OutboxRow[] = [];
  const skipped: { from_seq: bigint; to_seq: bigint }[] = [];
  for (const row of rows) {
    if (row.seq < expected) throw new Error(`outbox rows out of order: ${row.seq} after cursor ${expected - 1n}`);
    if (row.seq > expected) {
      const waited = gap_seq === expected && gap_seen_at !== null ? now.getTime() - gap_seen_at.getTime() : -1;
      const stepOver = gap_wait_ms <= 0 || waited >= gap_wait_ms;
      if (!stepOver) {
        if (gap_seq !== expected) {
          gap_seq = expected;
          gap_seen_at = now;
        }
        break;
      }
      skipped.push({ from_seq: expected, to_seq: row.seq - 1n });
    }
    taken.push(row);
    expected = row.seq + 1n;
  }
  return { taken, skipped, cursor: { last_seq: expected - 1n, gap_seq, gap_seen_at } };
}

/** The ranges left of `gap` once the rows at `seqs` (inside it) have turned up. */
export function splitGap(gap: GapRange, seqs: readonly bigint[]): GapRange[] {
  const out: GapRange[] = [];
  let from = gap.from_seq;
  for (const seq of [...seqs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (seq > from) out.push({ from_seq: from, to_seq: seq - 1n, expires_at: gap.expires_at });
    from = seq + 1n;
  }
  if (from <= gap.to_seq) out.push({ from_seq: from, to_seq: gap.to_seq, expires_at: gap.expires_at });
  return out;
}

/** One consumer's lag, as the metrics show it. */
export interface RelayLag {
  consumer: string;
  /** Age of the oldest event not yet relayed (0 when caught up). */
  lag_seconds: number;
  /** Events not yet relayed: an upper bound (see relayLagFrom). */
  backlog_events: number;
}

/**
 * The gauges from readLag's answer. Counted: every row after the cursor, and rows that turned
 * up late in a gap the relay is still looking at. Not counted: rows in gaps the relay has
 * given up on (past gap_retention_ms; they will never be relayed). The backlog is
 * `max(seq) - last_seq` plus the late rows: seqs that were never used (rolled-back
 * transactions) above the cursor are counted too, so it is an upper bound, exact when no
 * seq was skipped; an exact count would read every row. The lag is taken from the first row
 * after the cursor in seq order (seq follows insert order, so that is the oldest unless
 * writers' clocks disagree) and the oldest late row.
 */
export function relayLagFrom(row: LagRow, now: Date): RelayLag {
  const after = row.max_seq !== null && row.max_seq > row.last_seq ? row.max_seq - row.last_seq : 0n;
  const times = [row.next_at, row.late_at].flatMap((d) => (d ? [d.getTime()] : []));
  return {
    consumer: row.consumer,
    lag_seconds: times.length === 0 ? 0 : Math.max(0, now.getTime() - Math.min(...times)) / 1000,
    backlog_events: Number(after + row.late),
  };
}

export class Relay {
  readonly consumer: string;
  readonly owner: string;
  private readonly o: typeof RELAY_DEFAULTS;
  private readonly observer?: RelayObserver;
  private readonly derivers: readonly EventDeriver[];
  private ensured = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly sink: RelaySink,
    options: RelayOptions,
  ) {
    this.consumer = options.consumer;
    this.owner = options.owner ?? defaultOwner();
    this.observer = options.observer;
    this.derivers = options.derivers ?? [];
    this.o = { ...RELAY_DEFAULTS, ...stripUndefined(options) };
    if (!Number.isInteger(this.o.batch_max) || this.o.batch_max < 1 || this.o.batch_max > 10_000) throw new Error('batch_max must be 1..10000');
  }

  /** One batch: lease, read, deliver, advance. */
  async relayOnce(): Promise<RelayPass> {
    const pass = await this.pass();
    // After the commit: a pass that rolled back handed nothing on.
    if (pass.relayed > 0) this.observer?.relayed(this.consumer, pass.relayed);
    return pass;
  }

  private async pass(): Promise<RelayPass> {
    const now = this.clock.now();
    if (!this.ensured) {
      await ensureCursor(this.db, this.consumer, now);
      this.ensured = true;
    }
    return this.db.transaction(async (tx) => {
      const cursor = await claimLease(tx, this.consumer, this.owner, now, new Date(now.getTime() + this.o.lease_ms));
      if (!cursor) return { leased: false, relayed: 0, late: 0, skipped: [], cursor: -1n, more: false };

      await dropExpiredGaps(tx, this.consumer, now);
      const late = await readLateRows(tx, this.consumer, this.o.batch_max);
      const fresh = await readAfter(tx, cursor.last_seq, Math.max(1, this.o.batch_max - late.length));
      const walk = walkRows(fresh, cursor, now, this.o.gap_wait_ms);

      const rows = [...late.map((l) => l.row), ...walk.taken];
      if (rows.length > 0) {
        const scope = this.derivers.length > 0 ? await this.sink.deriveScope?.(tx) : undefined;
        await this.sink.deliver(tx, await withDerivedEvents(tx, rows, this.derivers, scope), now);
      }

      // Gap bookkeeping: ranges late rows fell into are split; stepped-over ranges are added.
      const byGap = new Map<bigint, { gap: GapRange; seqs: bigint[] }>();
      for (const { row, gap } of late) {
        const entry = byGap.get(gap.from_seq) ?? { gap, seqs: [] };
        entry.seqs.push(row.seq);
        byGap.set(gap.from_seq, entry);
      }
      const removed = [...byGap.values()].map((e) => e.gap);
      const expires_at = new Date(now.getTime() + this.o.gap_retention_ms);
      const added = [
        ...[...byGap.values()].flatMap((e) => splitGap(e.gap, e.seqs)),
        ...walk.skipped.map((s) => ({ ...s, expires_at })),
      ];
      await replaceGaps(tx, this.consumer, removed, added, now, this.o.gap_ranges_max);
      await saveCursor(tx, this.consumer, walk.cursor, now);
      return {
        leased: true,
        relayed: rows.length,
        late: late.length,
        skipped: walk.skipped.map((s) => ({ ...s, expires_at })),
        cursor: walk.cursor.last_seq,
        more: late.length + fresh.length >= this.o.batch_max && walk.taken.length === fresh.length,
      };
    });
  }

  /** Relays until nothing is left that may go now (bounded by `passes_max`). */
  async drain(passes_max = 1000): Promise<number> {
    let total = 0;
    for (let i = 0; i < passes_max; i++) {
      const pass = await this.relayOnce();
      total += pass.relayed;
      if (!pass.more) break;
    }
    return total;
  }

  async release(): Promise<void> {
    if (!this.ensured) return; // never ran: holds no lease
    await releaseLease(this.db, this.consumer, this.owner);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
