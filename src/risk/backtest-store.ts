/**
 * SQL for backtest jobs (risk_backtest_jobs). Every change of state is conditional on the
 * state it leaves (`WHERE status = …`), so a job interrupted by one process is never
 * finished over by another, and a late write of a stopped job changes nothing.
 */
import type { Queryable } from '../db/port.js';
import type { BacktestReport } from './backtest.js';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'interrupted';
export type JobKind = 'stored' | 'simulated' | 'csv';

export interface JobRow {
  id: string;
  kind: JobKind;
  parameters: Record<string, unknown>;
  status: JobStatus;
  progress_done: number;
  progress_total: number | null;
  result: BacktestReport | null;
  error: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  heartbeat_at: Date;
}

export const ACTIVE: readonly JobStatus[] = ['queued', 'running'];
const COLUMNS = 'id, kind, parameters, status, progress_done, progress_total, result, error, created_by, created_at, started_at, finished_at, heartbeat_at';
/** The list leaves the report out: a page of reports is the detail view's job. */
const LIST_COLUMNS = COLUMNS.replace('result, ', 'NULL::jsonb AS result, ');

const row = (r: Record<string, unknown>): JobRow => r as unknown as JobRow;

export async function insertJob(db: Queryable, job: Pick<JobRow, 'id' | 'kind' | 'parameters' | 'progress_total' | 'created_by' | 'created_at'>): Promise<void> {
  await db.query(
    `INSERT INTO risk_backtest_jobs (id, kind, parameters, status, progress_total, created_by, created_at, heartbeat_at)
     VALUES ($1, $2, $3::jsonb, 'queued', $4, $5, $6, $6)`,
    [job.id, job.kind, JSON.stringify(job.parameters), job.progress_total, job.created_by, job.created_at.toISOString()],
  );
}

export async function getJob(db: Queryable, id: string): Promise<JobRow | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM risk_backtest_jobs WHERE id = $1`, [id]);
  return rows[0] === undefined ? undefined : row(rows[0]);
}

/** Newest first, after the cursor (created_at, id), without reports. */
export async function listJobs(db: Queryable, after: { at: Date; id: string } | undefined, limit: number): Promise<JobRow[]> {
  const { rows } = await db.query(
    `SELECT ${LIST_COLUMNS} FROM risk_backtest_jobs
     WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1::timestamptz, $2::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $3`,
    [after?.at.toISOString() ?? null, after?.id ?? null, limit],
  );
  return rows.map(row);
}

/** queued → running; false when the job is no longer queued (interrupted meanwhile). */
export async function markRunning(db: Queryable, id: string, now: Date): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE risk_backtest_jobs SET status = 'running', started_at = $2, heartbeat_at = $2 WHERE id = $1 AND status = 'queued' RETURNING id`,
    [id, now.toISOString()],
  );
  return rows.length === 1;
}

/** The heartbeat of this process's jobs, with the running one's progress; returns the ids still active. */
export async function heartbeat(db: Queryable, ids: readonly string[], running: { id: string; done: number } | undefined, now: Date): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE risk_backtest_jobs
     SET heartbeat_at = $2, progress_done = CASE WHEN id = $3::uuid THEN $4 ELSE progress_done END
     WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'running') RETURNING id`,
    [ids, now.toISOString(), running?.id ?? null, running?.done ?? 0],
  );
  return new Set(rows.map((r) => r.id));
}

/** running → done (with the report) or failed (with the error). */
export async function finishJob(db: Queryable, id: string, end: { status: 'done'; report: BacktestReport } | { status: 'failed'; error: string; done: number }, now: Date): Promise<void> {
  const done = end.status === 'done' ? end.report.events : end.done;
  await db.query(
    `UPDATE risk_backtest_jobs SET status = $2, result = $3::jsonb, error = $4, progress_done = $5, finished_at = $6, heartbeat_at = $6
     WHERE id = $1 AND status = 'running'`,
    [id, end.status, end.status === 'done' ? JSON.stringify(end.report) : null, end.status === 'failed' ? end.error : null, done, now.toISOString()],
  );
}

export interface InterruptMessages {
  /** For a job that never started. */
  queued: string;
  /** For a running job; the progress it reached is appended. */
  running: string;
}

const INTERRUPT = `UPDATE risk_backtest_jobs
  SET status = 'interrupted', finished_at = $2,
      error = CASE WHEN status = 'queued' THEN $3::text
                   ELSE $4::text || ' (' || progress_done::text || COALESCE(' of ' || progress_total::text, '') || ' events done)' END`;

/** These queued or running jobs → interrupted (this process stops). */
export async function interruptJobs(db: Queryable, ids: readonly string[], message: InterruptMessages, now: Date): Promise<JobRow[]> {
  const { rows } = await db.query(`${INTERRUPT} WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'running') RETURNING ${COLUMNS}`, [
    ids,
    now.toISOString(),
    message.queued,
    message.running,
  ]);
  return rows.map(row);
}

/** Queued or running jobs with no heartbeat since `stale_before` (their process stopped), except `keep` (this process's own) → interrupted. */
export async function interruptStaleJobs(db: Queryable, stale_before: Date, keep: readonly string[], message: InterruptMessages, now: Date): Promise<JobRow[]> {
  const { rows } = await db.query(
    `${INTERRUPT} WHERE status IN ('queued', 'running') AND heartbeat_at < $1 AND NOT (id = ANY($5::uuid[])) RETURNING ${COLUMNS}`,
    [stale_before.toISOString(), now.toISOString(), message.queued, message.running, keep],
  );
  return rows.map(row);
}

/** Keeps the newest `kept` finished jobs (queued and running ones are never removed). */
export async function pruneJobs(db: Queryable, kept: number): Promise<void> {
  await db.query(
    `DELETE FROM risk_backtest_jobs WHERE id IN (
       SELECT id FROM risk_backtest_jobs WHERE status NOT IN ('queued', 'running') ORDER BY created_at DESC, id DESC OFFSET $1)`,
    [kept],
  );
}
