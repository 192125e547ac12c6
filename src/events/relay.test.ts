import { describe, expect, it } from 'vitest';
import { relayLagFrom, splitGap, walkRows } from './relay.js';
import type { OutboxRow } from './event-builders.js';

const row = (seq: number): OutboxRow => ({ seq: BigInt(seq), event_id: `e${seq}`, topic: 'openbanking.consent.revoked', entity_id: 'x', client_id: null, payload: {}, created_at: new Date(0) });
const t0 = new Date(Date.UTC(2026, 0, 1));
const later = (ms: number) => new Date(t0.getTime() + ms);

describe('walkRows (gaps in outbox.seq)', () => {
  it('takes an unbroken run', () => {
    const w = walkRows([row(1), row(2), row(3)], { last_seq: 0n, gap_seq: null, gap_seen_at: null }, t0, 2000);
    expect(w.taken.map((r) => r.seq)).toEqual([1n, 2n, 3n]);
    expect(w.cursor.last_seq).toBe(3n);
    expect(w.skipped).toEqual([]);
  });

  it('stops at a missing seq and remembers when it first saw it missing', () => {
    const w = walkRows([row(1), row(3), row(4)], { last_seq: 0n, gap_seq: null, gap_seen_at: null }, t0, 2000);
    expect(w.taken.map((r) => r.seq)).toEqual([1n]);
    expect(w.cursor).toEqual({ last_seq: 1n, gap_seq: 2n, gap_seen_at: t0 });
  });

  it('keeps waiting within gap_wait_ms, keeping the first sighting time', () => {
    const w = walkRows([row(3)], { last_seq: 1n, gap_seq: 2n, gap_seen_at: t0 }, later(1999), 2000);
    expect(w.taken).toEqual([]);
    expect(w.cursor).toEqual({ last_seq: 1n, gap_seq: 2n, gap_seen_at: t0 });
  });

  it('steps over a gap still missing after gap_wait_ms and reports the range', () => {
    const w = walkRows([row(5), row(6), row(8)], { last_seq: 1n, gap_seq: 2n, gap_seen_at: t0 }, later(2000), 2000);
    expect(w.skipped).toEqual([{ from_seq: 2n, to_seq: 4n }]);
    expect(w.taken.map((r) => r.seq)).toEqual([5n, 6n]);
    // The next gap (7) gets its own wait.
    expect(w.cursor).toEqual({ last_seq: 6n, gap_seq: 7n, gap_seen_at: later(2000) });
  });

  it('does not wait with gap_wait_ms = 0', () => {
    const w = walkRows([row(2), row(4)], { last_seq: 0n, gap_seq: null, gap_seen_at: null }, t0, 0);
    expect(w.skipped).toEqual([{ from_seq: 1n, to_seq: 1n }, { from_seq: 3n, to_seq: 3n }]);
    expect(w.cursor.last_seq).toBe(4n);
  });
});

describe('splitGap', () => {
  const e = t0;
  it('removes the seqs that turned up', () => {
    expect(splitGap({ from_seq: 2n, to_seq: 9n, expires_at: e }, [5n, 2n])).toEqual([
      { from_seq: 3n, to_seq: 4n, expires_at: e },
      { from_seq: 6n, to_seq: 9n, expires_at: e },
    ]);
    expect(splitGap({ from_seq: 2n, to_seq: 2n, expires_at: e }, [2n])).toEqual([]);
  });
});

describe('relayLagFrom (the lag gauges)', () => {
  const lag = (row: Partial<Parameters<typeof relayLagFrom>[0]>, now = later(10_000)) =>
    relayLagFrom({ consumer: 'c', last_seq: 10n, max_seq: 10n, next_at: null, late: 0n, late_at: null, ...row }, now);

  it('is zero when caught up, and when the cursor is past the last row (a purged or fresh outbox)', () => {
    expect(lag({})).toEqual({ consumer: 'c', lag_seconds: 0, backlog_events: 0 });
    expect(lag({ max_seq: null })).toMatchObject({ lag_seconds: 0, backlog_events: 0 });
    expect(lag({ last_seq: 12n })).toMatchObject({ backlog_events: 0 });
  });

  it('counts seqs after the cursor plus late rows, and takes the older of the next row and the late ones', () => {
    expect(lag({ max_seq: 14n, next_at: later(4000) })).toEqual({ consumer: 'c', lag_seconds: 6, backlog_events: 4 });
    expect(lag({ max_seq: 14n, next_at: later(4000), late: 2n, late_at: later(1000) })).toMatchObject({ lag_seconds: 9, backlog_events: 6 });
    expect(lag({ late: 1n, late_at: later(7500) })).toMatchObject({ lag_seconds: 2.5, backlog_events: 1 });
  });

  it('never goes below zero when a writer stamped a time ahead of this clock', () => {
    expect(lag({ max_seq: 11n, next_at: later(20_000) })).toMatchObject({ lag_seconds: 0, backlog_events: 1 });
  });
});
