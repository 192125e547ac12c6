/**
 * SQL for COB's own table, cob_runs: one row per business date with its steps' progress,
 * the process that owns it (a lease, renewed by every chunk) and how it ended. A chunk's
 * progress is written inside the chunk's own transaction, so the row never claims more
 * than what committed.
 */
import type { Queryable } from '../db/port.js';
import { emptySteps, type CobStatus, type CobStep, type StepProgress, type StepsProgress } from './cob-core.js';
import type { BusinessDate } from './dates.js';

export interface CobRun {
  business_date: BusinessDate;
  status: CobStatus;
  steps: StepsProgress;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
  owner: string | null;
  heartbeat_at: Date | null;
}

const COLUMNS = `business_date::text AS business_date, status, steps, error, started_at, finished_at, owner, heartbeat_at`;

type Row = Record<string, unknown>;

function runFromRow(row: Row): CobRun {
  return {
    business_date: row.business_date as BusinessDate,
    status: row.status as CobStatus,
    steps: { ...emptySteps(), ...(row.steps as Partial<StepsProgress>) },
    error: (row.error as string | null) ?? null,
    started_at: row.started_at as Date,
    finished_at: (row.finished_at as Date | null) ?? null,
    owner: (row.owner as string | null) ?? null,
    heartbeat_at: (row.heartbeat_at as Date | null) ?? null,
  };
}

/** The last date whose COB succeeded, and whether any date before it is still open (a bug if so). */
export async function lastClosedDate(db: Queryable): Promise<BusinessDate | null> {
  const { rows } = await db.query<{ d: string | null }>(`SELECT max(business_date)::text AS d FROM cob_runs WHERE status = 'succeeded'`);
  return (rows[0]?.d as BusinessDate | null) ?? null;
}

export type Claim = { ok: true; run: CobRun } | { ok: false; run: CobRun };

/**
 * Takes a date for `owner`: creates its row, or takes over one that is not finished and
 * whose owner's lease has lapsed (or that `owner` already holds, or whose run failed). A
 * succeeded date is returned as it is (ok: false, status succeeded); a date another live
 * process holds is returned with ok: false.
 */
export async function claimDate(db: Queryable, date: BusinessDate, owner: string, lease_ms: number, now: Date): Promise<Claim> {
  const { rows } = await db.query(
    `INSERT INTO cob_runs (business_date, status, steps, started_at, owner, heartbeat_at)
     VALUES ($1::date, 'running', $2::jsonb, $3, $4, now())
     ON CONFLICT (business_date) DO UPDATE SET status = 'running', owner = excluded.owner, heartbeat_at = now(), error = NULL
       WHERE cob_runs.status <> 'succeeded'
         AND (cob_runs.owner IS NULL OR cob_runs.owner = excluded.owner OR cob_runs.status = 'failed'
              OR cob_runs.heartbeat_at < now() - make_interval(secs => $5::double precision / 1000))
     RETURNING ${COLUMNS}`,
    [date, JSON.stringify(emptySteps()), now, owner, lease_ms],
  );
  if (rows[0]) return { ok: true, run: runFromRow(rows[0]) };
  const existing = await getRun(db, date);
  if (!existing) throw new Error(`cob_runs row for ${date} neither inserted nor found`);
  return { ok: false, run: existing };
}

export class LostLeaseError extends Error {
  readonly code = 'cob_run_in_progress';
  constructor(date: BusinessDate) {
    super(`another process took over COB for ${date}; this run stops`);
  }
}

/**
 * Adds a chunk's work to a step's progress and renews the lease, in the chunk's
 * transaction. Throws (rolling the chunk back) if `owner` no longer holds the date.
 */
export async function recordChunk(tx: Queryable, date: BusinessDate, owner: string, step: CobStep, loans: number, transfers: number, seconds: number): Promise<void> {
  const { rows } = await tx.query(
    `UPDATE cob_runs SET heartbeat_at = now(), steps = jsonb_set(steps, ARRAY[$3::text], (steps -> $3::text) || jsonb_build_object(
        'status', 'running',
        'done', COALESCE((steps -> $3::text ->> 'done')::bigint, 0) + $4::bigint,
        'chunks', COALESCE((steps -> $3::text ->> 'chunks')::bigint, 0) + 1,
        'transfers', COALESCE((steps -> $3::text ->> 'transfers')::bigint, 0) + $5::bigint,
        'seconds', $6::double precision))
     WHERE business_date = $1::date AND owner = $2 AND status = 'running'
     RETURNING 1`,
    [date, owner, step, loans, transfers, seconds],
  );
  if (rows.length === 0) throw new LostLeaseError(date);
}

/** Sets fields of one step (status, total, seconds) outside a chunk. */
export async function updateStep(db: Queryable, date: BusinessDate, owner: string, step: CobStep, fields: Partial<StepProgress>): Promise<void> {
  const { rows } = await db.query(
    `UPDATE cob_runs SET heartbeat_at = now(), steps = jsonb_set(steps, ARRAY[$3::text], (steps -> $3::text) || $4::jsonb)
     WHERE business_date = $1::date AND owner = $2 AND status = 'running' RETURNING 1`,
    [date, owner, step, JSON.stringify(fields)],
  );
  if (rows.length === 0) throw new LostLeaseError(date);
}

export async function finishRun(db: Queryable, date: BusinessDate, owner: string, status: 'succeeded' | 'failed', error: string | null, now: Date): Promise<void> {
  await db.query(
    `UPDATE cob_runs SET status = $3, error = $4, finished_at = $5, owner = NULL, heartbeat_at = now()
     WHERE business_date = $1::date AND owner = $2`,
    [date, owner, status, error, now],
  );
}

/** Lets a date go without finishing it: another process (or a restart) resumes it at once. */
export async function releaseDate(db: Queryable, date: BusinessDate, owner: string): Promise<void> {
  await db.query(`UPDATE cob_runs SET owner = NULL WHERE business_date = $1::date AND owner = $2`, [date, owner]);
}

export async function getRun(db: Queryable, date: BusinessDate): Promise<CobRun | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM cob_runs WHERE business_date = $1::date`, [date]);
  return rows[0] ? runFromRow(rows[0]) : undefined;
}

/** Newest first, dates before `before` (a cursor). */
export async function listRuns(db: Queryable, before: BusinessDate | null, limit: number): Promise<CobRun[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM cob_runs WHERE ($1::date IS NULL OR business_date < $1::date) ORDER BY business_date DESC LIMIT $2`,
    [before, limit],
  );
  return rows.map(runFromRow);
}

/** The earliest start date among active loans: where a first-ever run begins by default. */
export async function earliestActiveStart(db: Queryable): Promise<BusinessDate | null> {
  const { rows } = await db.query<{ d: string | null }>(`SELECT min(start_date)::text AS d FROM loans WHERE status = 'active'`);
  return (rows[0]?.d as BusinessDate | null) ?? null;
}

/** The currencies of the loans COB may post for (their bank accounts must exist). */
export async function loanCurrencies(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ currency: string }>(
    // A loose index scan: one probe per currency instead of reading every loan.
    `WITH RECURSIVE c AS (
       (SELECT currency FROM loans ORDER BY currency LIMIT 1)
       UNION ALL
       SELECT (SELECT l.currency FROM loans l WHERE l.currency > c.currency ORDER BY l.currency LIMIT 1) FROM c WHERE c.currency IS NOT NULL)
     SELECT currency FROM c WHERE currency IS NOT NULL`,
  );
  return rows.map((r) => r.currency);
}
