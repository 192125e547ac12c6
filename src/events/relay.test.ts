import { describe, expect, it } from 'vitest';
import { splitGap, walkRows } from './relay.js';
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
