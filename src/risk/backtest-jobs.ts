/**
 * Backtest jobs that outlive the process: each job is a row of risk_backtest_jobs (what was
 * asked, status, progress, the report or the error), and every read is from the table, so
 * any process of a cluster answers for any job.
 *
 * A process runs one job at a time (they would share its one event loop with the
 * decisions, so running two at once finishes neither sooner) and keeps up to
 * `queued_max` more waiting, in memory. While it has jobs it writes their heartbeat, and
 * the running one's progress, every `heartbeat_ms` (not per event).
 *
 * Jobs are not resumed after a restart; they read `interrupted` with a message saying so:
 *   - a graceful stop marks this process's jobs at once;
 *   - on PGlite (one process per database) a start marks every queued or running job;
 *   - otherwise (PostgreSQL, several processes) a job whose heartbeat is older than
 *     `lease_ms` is marked by the next process that reads it or starts.
 * Re-running on start was rejected: a job that took its process down (memory) would take
 * it down again at every start, and an uploaded CSV (up to 16 MiB) is not stored.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import type { BacktestReport } from './backtest.js';
import * as jobStore from './backtest-store.js';

export interface BacktestJobsOptions {
  /** Jobs waiting behind the running one, per process. */
  queued_max?: number;
  heartbeat_ms?: number;
  /** A queued or running job with no heartbeat for this long was left by a process that stopped. */
  lease_ms?: number;
  /** Finished jobs kept in the table (the newest). */
  kept?: number;
}

export const QUEUED_MAX_DEFAULT = 8;
export const HEARTBEAT_MS_DEFAULT = 1_000;
export const LEASE_MS_DEFAULT = 60_000;
export const JOBS_KEPT = 1_000;

export interface BacktestSpec {
  kind: jobStore.JobKind;
  parameters: Record<string, unknown>;
  total: number | null;
  created_by: string;
  /** Runs the backtest; `onProgress` throws once the job is to stop. */
  run(onProgress: (done: number) => void): Promise<BacktestReport>;
}

interface Entry {
  id: string;
  spec: BacktestSpec;
  done: number;
  /** Set when the job must stop (interrupted elsewhere, or this process stops). */
  aborted: boolean;
}

class JobAborted extends Error {}

const STOPPED = {
  queued: 'interrupted: the server stopped before this job started; jobs are not resumed, start it again',
  running: 'interrupted: the server stopped while this job ran; jobs are not resumed, start it again',
};
const LOST = {
  queued: 'interrupted: the process holding this job stopped before it started (no heartbeat); start it again',
  running: 'interrupted: the process running this job stopped (no heartbeat); start it again',
};

export interface Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class BacktestJobs {
  private readonly queued_max: number;
  private readonly heartbeat_ms: number;
  private readonly lease_ms: number;
  private readonly kept: number;
  private readonly waiting: Entry[] = [];
  private running: Entry | undefined;
  /** Submissions between their queue check and their insert. */
  private reserved = 0;
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  private stopping = false;
  /** The run in progress (settles after its final write). */
  private settled: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    options: BacktestJobsOptions = {},
  ) {
    this.queued_max = options.queued_max ?? QUEUED_MAX_DEFAULT;
    this.heartbeat_ms = options.heartbeat_ms ?? HEARTBEAT_MS_DEFAULT;
    this.lease_ms = options.lease_ms ?? LEASE_MS_DEFAULT;
    this.kept = options.kept ?? JOBS_KEPT;
  }

  /** At start: marks the jobs a previous process left (all of them on PGlite, the stale ones otherwise). */
  async recover(): Promise<jobStore.JobRow[]> {
    const now = this.clock.now();
    const before = this.db.engine === 'pglite' ? new Date(now.getTime() + 1) : new Date(now.getTime() - this.lease_ms);
    const changed = await jobStore.interruptStaleJobs(this.db, before, this.own(), LOST, now);
    if (changed.length > 0) this.log.info({ backtests: changed.map((j) => j.id) }, 'backtests left by a stopped process marked interrupted');
    return changed;
  }

  /** Stores the job as queued and starts it if nothing runs (it is then `running` when this returns). */
  async submit(spec: BacktestSpec): Promise<{ ok: true; job: jobStore.JobRow } | { ok: false; code: 'backtest_queue_full' | 'unavailable' }> {
    if (this.stopping) return { ok: false, code: 'unavailable' };
    // Slots are taken before the insert, so submissions at the same moment cannot overfill the queue.
    if ((this.running ? 1 : 0) + this.waiting.length + this.reserved >= 1 + this.queued_max) return { ok: false, code: 'backtest_queue_full' };
    const entry: Entry = { id: randomUUID(), spec, done: 0, aborted: false };
    this.reserved++;
    try {
      await jobStore.insertJob(this.db, { id: entry.id, kind: spec.kind, parameters: spec.parameters, progress_total: spec.total, created_by: spec.created_by, created_at: this.clock.now() });
    } finally {
      this.reserved--;
    }
    if (this.stopping) return { ok: false, code: 'unavailable' }; // the row stays queued and is swept as interrupted
    this.waiting.push(entry);
    this.ensureTimer();
    await this.pump();
    const job = (await jobStore.getJob(this.db, entry.id))!;
    await jobStore.pruneJobs(this.db, this.kept);
    return { ok: true, job };
  }

  /** The job as stored; one left by a stopped process reads (and is marked) interrupted. */
  async get(id: string): Promise<jobStore.JobRow | undefined> {
    const job = await jobStore.getJob(this.db, id);
    if (!job || !this.isStale(job)) return job;
    await this.sweep();
    return jobStore.getJob(this.db, id);
  }

  /** Newest first, without reports. */
  async list(after: { at: Date; id: string } | undefined, limit: number): Promise<jobStore.JobRow[]> {
    const page = await jobStore.listJobs(this.db, after, limit);
    if (!page.some((j) => this.isStale(j))) return page;
    await this.sweep();
    return jobStore.listJobs(this.db, after, limit);
  }

  /** Marks this process's jobs interrupted and stops the running one (at its next progress report). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    const ids = this.own();
    for (const entry of [...this.waiting, ...(this.running ? [this.running] : [])]) entry.aborted = true;
    this.waiting.length = 0;
    if (ids.length > 0) {
      await jobStore.interruptJobs(this.db, ids, STOPPED, this.clock.now());
      this.log.info({ backtests: ids }, 'backtests interrupted by the stop');
    }
    await this.settled;
  }

  private own(): string[] {
    return [...this.waiting.map((e) => e.id), ...(this.running ? [this.running.id] : [])];
  }

  private isStale(job: jobStore.JobRow): boolean {
    if (!jobStore.ACTIVE.includes(job.status) || this.own().includes(job.id)) return false;
    return new Date(job.heartbeat_at).getTime() < this.clock.now().getTime() - this.lease_ms;
  }

  private async sweep(): Promise<void> {
    const now = this.clock.now();
    const changed = await jobStore.interruptStaleJobs(this.db, new Date(now.getTime() - this.lease_ms), this.own(), LOST, now);
    if (changed.length > 0) this.log.info({ backtests: changed.map((j) => j.id) }, 'backtests with no heartbeat marked interrupted');
  }

  /** Starts the next waiting job if none runs. */
  private async pump(): Promise<void> {
    while (!this.running && !this.stopping) {
      const next = this.waiting.shift();
      if (!next) return;
      this.running = next;
      if (!(await jobStore.markRunning(this.db, next.id, this.clock.now()))) {
        this.running = undefined; // interrupted while it waited
        continue;
      }
      this.settled = this.execute(next);
    }
  }

  private async execute(entry: Entry): Promise<void> {
    const onProgress = (done: number): void => {
      entry.done = done;
      if (entry.aborted) throw new JobAborted();
    };
    try {
      const report = await entry.spec.run(onProgress);
      if (!entry.aborted) await jobStore.finishJob(this.db, entry.id, { status: 'done', report }, this.clock.now());
    } catch (err) {
      if (!entry.aborted) {
        const error = err instanceof Error ? err.message : String(err);
        await jobStore.finishJob(this.db, entry.id, { status: 'failed', error, done: entry.done }, this.clock.now()).catch((e: unknown) => this.log.error({ err: e }, 'backtest failure not stored'));
        this.log.error({ err, backtest: entry.id }, 'backtest failed');
      }
    } finally {
      this.running = undefined;
      if (!this.stopping) void this.pump().catch((err: unknown) => this.log.error({ err }, 'backtest queue stalled'));
    }
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.heartbeat_ms);
    this.timer.unref();
  }

  /** Heartbeat and progress; a job no longer active in the table (interrupted elsewhere) is stopped. */
  private async beat(): Promise<void> {
    if (this.beating || this.stopping) return;
    const ids = this.own();
    if (ids.length === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    this.beating = true;
    try {
      const running = this.running;
      const active = await jobStore.heartbeat(this.db, ids, running && { id: running.id, done: running.done }, this.clock.now());
      if (running && !active.has(running.id)) running.aborted = true;
      // Only the jobs this beat asked about: one submitted meanwhile is not in `active` yet.
      const gone = new Set(ids.filter((id) => !active.has(id)));
      for (let i = this.waiting.length - 1; i >= 0; i--) if (gone.has(this.waiting[i]!.id)) this.waiting.splice(i, 1);
    } catch (err) {
      if (!this.stopping) this.log.error({ err }, 'backtest heartbeat failed');
    } finally {
      this.beating = false;
    }
  }
}
