/**
 * SQL for idempotency_records (migration 0010). The first request inserts an in-progress
 * record with INSERT … ON CONFLICT DO NOTHING, so of several nodes receiving the same key
 * at once exactly one runs the request; every later change is a compare-and-set on the
 * record's owner, so a request whose record was taken over can no longer overwrite it.
 *
 * The two writes every keyed request makes (claim, then store the response) are batched
 * the way the ledger's writer batches transfers: while one statement runs, the requests
 * arriving meanwhile queue, and the next statement carries them all through `unnest`. One
 * request alone is written at once; under load a commit serves many.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/port.js';
import { decide, RECORD_TTL_MS, type Attempt, type Decision, type IdempotencyRecord, type StoredResponse } from './idempotency.js';

interface Row {
  principal: string;
  key: string;
  method: string;
  path: string;
  body_hash: string;
  state: 'in_progress' | 'done';
  status_code: number | null;
  headers: Record<string, string> | string | null;
  body: string | null;
  created_at: Date | string;
  expires_at: Date | string;
  owner: string;
}

const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

function toRecord(row: Row): IdempotencyRecord {
  const headers = typeof row.headers === 'string' ? (JSON.parse(row.headers) as Record<string, string>) : row.headers;
  return {
    principal: row.principal,
    key: row.key,
    method: row.method,
    path: row.path,
    body_hash: row.body_hash,
    state: row.state,
    response: row.state === 'done' && row.status_code !== null ? { status_code: Number(row.status_code), headers: headers ?? {}, body: row.body ?? '' } : undefined,
    created_at: toDate(row.created_at),
    expires_at: toDate(row.expires_at),
    owner: row.owner,
  };
}

/** `started`: this request holds the key and runs; its owner id completes or releases the record. */
export type BeginResult = { kind: 'started'; owner: string } | Exclude<Decision, { kind: 'take_over' }>;

/**
 * Runs queued items through `run` in batches: one batch at a time, each as large as what
 * queued while the previous one ran (at most `items_max` items and `weight_max` weight).
 */
export class Coalescer<In, Out> {
  private queue: { item: In; weight: number; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];
  private draining = false;

  constructor(
    private readonly run: (items: In[]) => Promise<Out[]>,
    private readonly items_max = 1000,
    private readonly weight_max = Number.POSITIVE_INFINITY,
  ) {}

  submit(item: In, weight = 0): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, weight, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      let weight = 0;
      let n = 0;
      // Always at least one item, however heavy.
      while (n < this.queue.length && n < this.items_max && (n === 0 || weight + this.queue[n]!.weight <= this.weight_max)) weight += this.queue[n++]!.weight;
      const batch = this.queue.splice(0, n);
      try {
        const outs = await this.run(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(outs[i]!));
      } catch (err) {
        batch.forEach((b) => b.reject(err));
      }
    }
    this.draining = false;
  }
}

interface Claim {
  principal: string;
  key: string;
  attempt: Attempt;
  created_at: Date;
  expires_at: Date;
  owner: string;
}

interface Completion {
  principal: string;
  key: string;
  owner: string;
  response: StoredResponse;
}

/** Rounds of insert / read / take over before giving up with "in progress" (records vanish only by release or purge). */
const BEGIN_ROUNDS_MAX = 3;
export const PURGE_BATCH_MAX_DEFAULT = 1000;

export const BATCH_ITEMS_MAX = 1000;
/** Response bodies per batched UPDATE, so one statement stays a sensible size. */
export const BATCH_BODY_BYTES_MAX = 8 << 20;

export class IdempotencyStore {
  private readonly claims: Coalescer<Claim, boolean>;
  private readonly completions: Coalescer<Completion, boolean>;

  constructor(private readonly db: Queryable) {
    this.claims = new Coalescer((items) => this.insertClaims(items), BATCH_ITEMS_MAX);
    this.completions = new Coalescer((items) => this.updateCompletions(items), BATCH_ITEMS_MAX, BATCH_BODY_BYTES_MAX);
  }

  /** One INSERT for many claims; true for each claim that got its key. Sorted so concurrent batches lock keys in one order. */
  private async insertClaims(items: Claim[]): Promise<boolean[]> {
    const sorted = [...items].sort((a, b) => (a.principal < b.principal ? -1 : a.principal > b.principal ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const { rows } = await this.db.query<{ owner: string }>(
      `INSERT INTO idempotency_records (principal, key, method, path, body_hash, state, created_at, expires_at, owner)
       SELECT u.principal, u.key, u.method, u.path, u.body_hash, 'in_progress', u.created_at, u.expires_at, u.owner
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[])
           WITH ORDINALITY AS u(principal, key, method, path, body_hash, created_at, expires_at, owner, n)
        ORDER BY u.n
       ON CONFLICT (principal, key) DO NOTHING
       RETURNING owner`,
      [
        sorted.map((c) => c.principal),
        sorted.map((c) => c.key),
        sorted.map((c) => c.attempt.method),
        sorted.map((c) => c.attempt.path),
        sorted.map((c) => c.attempt.body_hash),
        sorted.map((c) => c.created_at.toISOString()),
        sorted.map((c) => c.expires_at.toISOString()),
        sorted.map((c) => c.owner),
      ],
    );
    const won = new Set(rows.map((r) => r.owner));
    return items.map((c) => won.has(c.owner));
  }

  /** One UPDATE for many responses; true for each record still held by its owner. */
  private async updateCompletions(items: Completion[]): Promise<boolean[]> {
    const { rows } = await this.db.query<{ owner: string }>(
      `UPDATE idempotency_records r
          SET state = 'done', status_code = u.status_code, headers = u.headers::jsonb, body = u.body
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::text[], $6::text[]) AS u(principal, key, owner, status_code, headers, body)
        WHERE r.principal = u.principal AND r.key = u.key AND r.owner = u.owner AND r.state = 'in_progress'
       RETURNING r.owner`,
      [
        items.map((c) => c.principal),
        items.map((c) => c.key),
        items.map((c) => c.owner),
        items.map((c) => c.response.status_code),
        items.map((c) => JSON.stringify(c.response.headers)),
        items.map((c) => c.response.body),
      ],
    );
    const kept = new Set(rows.map((r) => r.owner));
    return items.map((c) => kept.has(c.owner));
  }

  async begin(principal: string, key: string, attempt: Attempt, now: Date): Promise<BeginResult> {
    const expires = new Date(now.getTime() + RECORD_TTL_MS);
    for (let round = 0; round < BEGIN_ROUNDS_MAX; round++) {
      const owner = randomUUID();
      if (await this.claims.submit({ principal, key, attempt, created_at: now, expires_at: expires, owner })) return { kind: 'started', owner };

      const record = await this.read(principal, key);
      if (!record) continue; // released or purged in between: insert again
      const decision = decide(record, attempt, now);
      if (decision.kind !== 'take_over') return decision;
      const taken = await this.db.query(
        `UPDATE idempotency_records
            SET method = $3, path = $4, body_hash = $5, state = 'in_progress', status_code = NULL, headers = NULL, body = NULL,
                created_at = $6, expires_at = $7, owner = $8
          WHERE principal = $1 AND key = $2 AND owner = $9
         RETURNING owner`,
        [principal, key, attempt.method, attempt.path, attempt.body_hash, now, expires, owner, record.owner],
      );
      if (taken.rows.length === 1) return { kind: 'started', owner };
    }
    return { kind: 'in_progress', retry_after_s: 1 };
  }

  async read(principal: string, key: string): Promise<IdempotencyRecord | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT principal, key, method, path, body_hash, state, status_code, headers, body, created_at, expires_at, owner
         FROM idempotency_records WHERE principal = $1 AND key = $2`,
      [principal, key],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** Stores the response for replay; false when the record is no longer this request's (taken over or purged). */
  async complete(principal: string, key: string, owner: string, response: StoredResponse): Promise<boolean> {
    return this.completions.submit({ principal, key, owner, response }, Buffer.byteLength(response.body));
  }

  /** Forgets the key (a 5xx or 429, or a response too large to keep) so a retry runs afresh. */
  async release(principal: string, key: string, owner: string): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_records WHERE principal = $1 AND key = $2 AND owner = $3 AND state = 'in_progress'`, [principal, key, owner]);
  }

  /** Deletes up to `batch_max` expired records, oldest first; returns how many. */
  async purgeExpired(now: Date, batch_max = PURGE_BATCH_MAX_DEFAULT): Promise<number> {
    const { rows } = await this.db.query(
      `DELETE FROM idempotency_records
        WHERE (principal, key) IN (
          SELECT principal, key FROM idempotency_records WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)
       RETURNING 1 AS gone`,
      [now, batch_max],
    );
    return rows.length;
  }
}
