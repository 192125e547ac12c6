/**
 * The close of business (COB): `run({ through_date })` closes every business date from the
 * day after the last closed one through `through_date`, in order. Each date runs the steps
 * of cob-core.ts (statement → accrue → mark due → collect → age → provision); each step walks the book
 * in chunks of loans by id, one transaction per chunk (set-based SQL over the chunk, its
 * transfers applied by the ledger writer in the same transaction). Progress is in
 * cob_runs; per-loan markers make a resumed date skip the loans already done, so a crash
 * anywhere is repaired by running again, without posting anything twice.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/port.js';
import type { Ledger } from '../ledger/service.js';
import { BATCH_SIZE_MAX, type AccountId } from '../ledger/types.js';
import type { Clock } from '../server/clock.js';
import { LOAN_CATEGORIES } from './aging.js';
import { bankAccount, bankAccountCode, type BankAccountKind } from './accounts.js';
import { accrueStep } from './cob-accrue.js';
import { ageStep } from './cob-age.js';
import { FIRST_CURSOR, type StepContext, type StepRunner } from './cob-chunk.js';
import { collectStep } from './cob-collect.js';
import { COB_STEPS, datesToRun, type CobStep, type DatePlan, type StepsProgress } from './cob-core.js';
import { markDueStep } from './cob-mark-due.js';
import { provisionStep } from './cob-provision.js';
import { statementStep } from './cob-statement.js';
import * as store from './cob-store.js';
import { minDate, type BusinessDate } from './dates.js';

export const CHUNK_LOANS_DEFAULT = 8_000;
export const LEASE_MS_DEFAULT = 120_000;

export interface CobProgressEvent {
  date: BusinessDate;
  step: CobStep;
  done: number;
  total: number;
  seconds: number;
  transfers: number;
}

export interface CobOptions {
  /** Loans per chunk (≤ the writer's batch size; the collection step takes a quarter, 4 transfers each). */
  chunk_loans?: number;
  /** Another process may take over a date whose owner showed no progress for this long. */
  lease_ms?: number;
  /** Called after every committed chunk. */
  on_progress?: (event: CobProgressEvent) => void;
  /**
   * Tests: stop dead after this many chunks have committed in one `run`, as a process
   * killed between two chunks would (the date stays `running`, its lease held).
   */
  crash_after_chunks?: number;
}

export class CobCrash extends Error {
  constructor(chunks: number) {
    super(`injected crash after ${chunks} chunks`);
  }
}

/** The process is stopping: the run stops between two chunks and lets the date go (a restart resumes it). */
export class CobStopped extends Error {
  constructor() {
    super('COB stopped between two chunks because the process is stopping');
  }
}

export interface CobRequest {
  through_date: BusinessDate;
  /** Only for the first run ever (no date closed yet); default: the earliest active loan's start date. */
  from_date?: BusinessDate | undefined;
}

export type CobResult =
  | { ok: true; dates: BusinessDate[]; closed: BusinessDate[] }
  | { ok: false; code: 'cob_run_in_progress'; date: BusinessDate; detail: string }
  | Extract<DatePlan, { ok: false }>;

const BANK_KINDS: readonly BankAccountKind[] = [
  'interest_income',
  'penalty_income',
  'fee_income',
  'provision_expense',
  'write_off_expense',
  ...LOAN_CATEGORIES.map((c) => `allowance_${c}` as const),
];

export class Cob {
  private readonly chunkLoans: number;
  private readonly leaseMs: number;
  private active: Promise<CobResult> | undefined;
  private stopping = false;

  constructor(private readonly db: Db, private readonly ledger: Ledger, private readonly clock: Clock, private readonly options: CobOptions = {}) {
    this.chunkLoans = Math.min(options.chunk_loans ?? CHUNK_LOANS_DEFAULT, BATCH_SIZE_MAX);
    if (!Number.isInteger(this.chunkLoans) || this.chunkLoans < 1) throw new RangeError(`chunk_loans must be a positive integer, got ${options.chunk_loans}`);
    this.leaseMs = options.lease_ms ?? LEASE_MS_DEFAULT;
  }

  /** Whether a run started by this process is still going. */
  get running(): boolean {
    return this.active !== undefined;
  }

  /** The dates a run through `through_date` would close. */
  async plan(request: CobRequest): Promise<DatePlan> {
    const last = await store.lastClosedDate(this.db);
    if (last) return datesToRun(request.through_date, last, null);
    const from = request.from_date ?? minDate((await store.earliestActiveStart(this.db)) ?? request.through_date, request.through_date);
    return datesToRun(request.through_date, null, from);
  }

  /**
   * Starts a run in the background (the HTTP route): returns its plan at once; progress is
   * in cob_runs. One run at a time per process.
   */
  async start(request: CobRequest): Promise<DatePlan | { ok: false; code: 'cob_already_running'; detail: string }> {
    if (this.active) return { ok: false, code: 'cob_already_running', detail: 'a COB run started by this server is still going; follow it with GET /v1/cob/runs/{date}' };
    const plan = await this.plan(request);
    if (!plan.ok || plan.dates.length === 0) return plan;
    if (this.active) return { ok: false, code: 'cob_already_running', detail: 'a COB run started by this server is still going; follow it with GET /v1/cob/runs/{date}' };
    void this.run(request).catch(() => {}); // the failure is recorded in cob_runs
    return plan;
  }

  /** Closes the dates through `through_date`; resolves when the last one is closed. */
  run(request: CobRequest): Promise<CobResult> {
    if (this.active) return Promise.reject(new Error('a COB run is already going in this process'));
    if (this.stopping) return Promise.reject(new CobStopped());
    const running = this.runDates(request).finally(() => {
      this.active = undefined;
    });
    this.active = running;
    return running;
  }

  /** Stops a run of this process between two chunks (the date stays resumable) and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.active?.catch(() => {});
  }

  getRun(date: BusinessDate) {
    return store.getRun(this.db, date);
  }

  listRuns(before: BusinessDate | null, limit: number) {
    return store.listRuns(this.db, before, limit);
  }

  private async runDates(request: CobRequest): Promise<CobResult> {
    const plan = await this.plan(request);
    if (!plan.ok) return plan;
    const owner = randomUUID();
    const closed: BusinessDate[] = [];
    const crash = { chunks: 0 };
    for (const date of plan.dates) {
      const claim = await store.claimDate(this.db, date, owner, this.leaseMs, this.clock.now());
      if (!claim.ok) {
        if (claim.run.status === 'succeeded') continue;
        return { ok: false, code: 'cob_run_in_progress', date, detail: `COB for ${date} is held by another process (last progress ${claim.run.heartbeat_at?.toISOString() ?? 'unknown'})` };
      }
      try {
        await this.ensureBankAccounts();
        await this.runDate(date, owner, claim.run.steps, crash);
        await store.finishRun(this.db, date, owner, 'succeeded', null, this.clock.now());
        closed.push(date);
      } catch (err) {
        if (err instanceof CobStopped) await store.releaseDate(this.db, date, owner).catch(() => {});
        else if (!(err instanceof CobCrash) && !(err instanceof store.LostLeaseError)) {
          await store.finishRun(this.db, date, owner, 'failed', err instanceof Error ? err.message : String(err), this.clock.now()).catch(() => {});
        }
        throw err;
      }
    }
    return { ok: true, dates: plan.dates, closed };
  }

  private async runDate(date: BusinessDate, owner: string, steps: StepsProgress, crash: { chunks: number }): Promise<void> {
    for (const step of COB_STEPS) {
      if (steps[step].status === 'done') continue;
      const started = performance.now();
      const prior = steps[step].seconds;
      const ctx: StepContext = {
        db: this.db,
        writer: this.ledger.writer,
        date,
        owner,
        chunk_loans: this.chunkLoans,
        seconds: () => prior + (performance.now() - started) / 1000,
        now: () => this.clock.now(),
      };
      const runner = this.runner(step, ctx);
      let { done, total, transfers } = steps[step];
      if (steps[step].status === 'pending') {
        total = await runner.count(this.db);
        await store.updateStep(this.db, date, owner, step, { status: 'running', total });
      }
      for (let cursor: string | null = FIRST_CURSOR; cursor !== null; ) {
        if (this.stopping) throw new CobStopped();
        const chunk = await runner.chunk(cursor);
        cursor = chunk.cursor;
        if (cursor === null) break;
        done += chunk.loans;
        transfers += chunk.transfers;
        this.options.on_progress?.({ date, step, done, total, seconds: ctx.seconds(), transfers });
        if (this.options.crash_after_chunks !== undefined && ++crash.chunks >= this.options.crash_after_chunks) throw new CobCrash(crash.chunks);
      }
      if (step !== 'provision') await store.updateStep(this.db, date, owner, step, { status: 'done', seconds: ctx.seconds() });
    }
  }

  private runner(step: CobStep, ctx: StepContext): StepRunner {
    switch (step) {
      case 'statement':
        return statementStep(ctx);
      case 'accrue':
        return accrueStep(ctx);
      case 'mark_due':
        return markDueStep(ctx);
      case 'collect':
        return collectStep(ctx);
      case 'age':
        return ageStep(ctx);
      case 'provision':
        return provisionStep(ctx);
    }
  }

  /** Opens the bank's lending accounts in every currency lent in (idempotent; every run does it first). */
  async ensureBankAccounts(): Promise<void> {
    const currencies = await store.loanCurrencies(this.db);
    const inputs = currencies.flatMap((currency) =>
      BANK_KINDS.map((kind) => ({ id: bankAccount(kind, currency) as AccountId, currency, code: bankAccountCode(kind), flags: 0 })),
    );
    if (inputs.length === 0) return;
    const results = await this.ledger.createAccounts(inputs);
    const refused = results.find((r) => !r.ok);
    if (refused && !refused.ok) throw new Error(`COB: a bank lending account could not be opened (${refused.code})`);
  }
}
