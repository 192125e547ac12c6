import { describe, expect, it } from 'vitest';
import type { Queryable } from '../db/port.js';
import type { OutboxRow } from './event-builders.js';
import { derivedEventId, withDerivedEvents, type EventDeriver } from './derived-events.js';

const row = (seq: number, topic: string): OutboxRow => ({
  seq: BigInt(seq),
  event_id: `00000000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
  topic,
  entity_id: `10000000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
  client_id: null,
  payload: null,
  created_at: new Date(Date.UTC(2026, 10, 30)),
});
const noDb = {} as Queryable;

/** Tells one `a.b.told` event for each `a.b.source` row, like a domain's deriver. */
const tells: EventDeriver = async (_db, rows) =>
  rows.filter((r) => r.topic === 'a.b.source').map((r) => ({ ...r, event_id: derivedEventId(r.event_id, 'a.b.told'), topic: 'a.b.told', client_id: 'app' }));

describe('withDerivedEvents', () => {
  it('puts each derived event right after its source row, with the source’s seq', async () => {
    const rows = [row(1, 'a.b.source'), row(2, 'a.b.other'), row(3, 'a.b.source')];
    const out = await withDerivedEvents(noDb, rows, [tells]);
    expect(out.map((e) => [e.seq, e.topic])).toEqual([
      [1n, 'a.b.source'],
      [1n, 'a.b.told'],
      [2n, 'a.b.other'],
      [3n, 'a.b.source'],
      [3n, 'a.b.told'],
    ]);
  });

  it('gives a derived event the same id on every read, distinct per source and topic', async () => {
    const rows = [row(1, 'a.b.source')];
    const [once, again] = [await withDerivedEvents(noDb, rows, [tells]), await withDerivedEvents(noDb, rows, [tells])];
    expect(once[1]!.event_id).toBe(again[1]!.event_id);
    expect(once[1]!.event_id).not.toBe(rows[0]!.event_id);
    expect(derivedEventId(rows[0]!.event_id, 'a.b.told')).not.toBe(derivedEventId(rows[0]!.event_id, 'a.b.other'));
    expect(derivedEventId(row(2, 'x.y.z').event_id, 'a.b.told')).not.toBe(once[1]!.event_id);
    expect(once[1]!.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('returns the rows as they are with no derivers or nothing derived', async () => {
    const rows = [row(1, 'a.b.other')];
    expect(await withDerivedEvents(noDb, rows, [])).toEqual(rows);
    expect(await withDerivedEvents(noDb, rows, [tells])).toEqual(rows);
  });
});
