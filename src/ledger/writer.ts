/**
 * The batched single writer. Requests wait in an in-process queue; one loop drains it in
 * batches of up to BATCH_SIZE_MAX transfers, each in one transaction:
 *
 *   lock the touched accounts in id order → read the named transfers → apply the pure
 *   core in order → write with a few `unnest` statements → outbox → commit
 *
 * and then resolves each request with its own results. A hot account costs one row update
 * per batch, not one per transfer. Other domains can join a batch with their own rows
 * (JoinedWork: red-envelope grabs lock their envelope row, decide their transfers, and
 * write their grabs in the same transaction). Several processes on one PostgreSQL stay correct because
 * every batch locks its accounts in the same order and transfer ids are unique.
 */
import type { Db, Queryable } from '../db/port.js';
import type { StatementPart } from '../db/statement-part.js';
import { RETRYABLE_SQLSTATES, sqlState } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { applyTransfers, emptyEffects, expirePendings, type LedgerView } from './core.js';
import { accountsOfTransfers, loadTransfersAndPendings, lockAccounts, persistBatch } from './store.js';
import { BATCH_SIZE_MAX, TransferFlags, type AccountState, type TransferInput, type TransferResult } from './types.js';

/**
 * Work another domain does inside the writer's transaction, around transfers it decides
 * there: lock and read its own rows (`plan`), let the ledger apply the transfers with the
 * rest of the batch, then write its own rows from the results (`settle`). Both run again
 * if the batch is retried, so they must not change anything outside the transaction.
 */
export interface JoinedWork<R> {
  /** Orders the works of one batch, so every process locks the rows their plans lock in the same order (before any account). */
  lock_key: string;
  /** The most transfers `plan` may return (counts against the batch size). */
  transfers_max: number;
  /**
   * The planned transfers' ids were generated just now (UUIDv7), so the writer need not
   * look them up for replays. Should one exist after all, the insert's unique violation
   * makes the batch run again, and `plan` makes new ids.
   */
  new_transfer_ids?: boolean;
  /**
   * `lock_accounts`: the work is alone in its batch, so it may lock the accounts its transfers
   * can touch with its own read (in id order, as the writer would; after any rows its plan locks) and
   * leave them in `locked_accounts`; the writer then locks only any others, and the batch
   * makes a round trip fewer on the serial path. A work that does not is locked for as usual.
   */
  plan(tx: Queryable, now: Date, options?: { lock_accounts: boolean }): Promise<readonly TransferInput[]>;
  /** The accounts the last `plan` locked (with lock_accounts), by id. */
  locked_accounts?: ReadonlyMap<string, AccountState>;
  /** Writes the work's rows from the ledger's results, after the ledger's own writes. One of `settle` and `settleRows`. */
  settle?(tx: Queryable, results: readonly TransferResult[], now: Date): Promise<R>;
  /**
   * Or: decides the outcome and hands back the rows to write, which ride the ledger's own
   * write statement (a round trip fewer on the writer's serial path, where every batch waits).
   */
  settleRows?(results: readonly TransferResult[], now: Date): { outcome: R; rows: StatementPart | undefined };
}

type Request =
  | { kind: 'transfers'; inputs: readonly TransferInput[]; resolve: (r: TransferResult[]) => void; reject: (e: unknown) => void }
  | { kind: 'expire'; ids: readonly string[]; resolve: (expired: string[]) => void; reject: (e: unknown) => void }
  | { kind: 'joined'; work: JoinedWork<unknown>; resolve: (r: unknown) => void; reject: (e: unknown) => void };

export interface WriterObserver {
  batchCommitted(stats: { transfers: number; requests: number; duration_ms: number; attempts: number }): void;
}

export interface WriterOptions {
  batch_size_max?: number;
  /** Transfers allowed to wait; past this, submissions fail fast with `overloaded`. */
  queue_depth_max?: number;
  attempts_max?: number;
  observer?: WriterObserver;
}

export class OverloadedError extends Error {
  readonly code = 'overloaded';
  constructor() {
    super('the ledger write queue is full; retry shortly');
  }
}

export class WriterStoppedError extends Error {
  readonly code = 'unavailable';
  constructor() {
    super('the ledger writer is stopping');
  }
}

/**
 * A pending transfer that a post/void names was committed by another process after this
 * batch looked up its accounts, so they are not locked: run the batch again (it finds them).
 */
class PendingCommittedMeanwhile extends Error {}

const sizeOf = (r: Request): number =>
  r.kind === 'transfers' ? r.inputs.length : r.kind === 'expire' ? r.ids.length : Math.max(1, r.work.transfers_max);

export class LedgerWriter {
  private queue: Request[] = [];
  private queued = 0;
  private running = false;
  private stopping = false;
  private idle: Promise<void> = Promise.resolve();
  /** The most transfers one batch carries. */
  readonly batchSizeMax: number;
  private readonly queueDepthMax: number;
  private readonly attemptsMax: number;

  constructor(private readonly db: Db, private readonly clock: Clock, private readonly options: WriterOptions = {}) {
    this.batchSizeMax = options.batch_size_max ?? BATCH_SIZE_MAX;
    this.queueDepthMax = options.queue_depth_max ?? 250_000;
    this.attemptsMax = options.attempts_max ?? 8;
  }

  get queueDepth(): number {
    return this.queued;
  }

  /** Results in the order of `inputs`. A request is never split across batches (linked chains stay whole). */
  submit(inputs: readonly TransferInput[]): Promise<TransferResult[]> {
    if (inputs.length === 0) return Promise.resolve([]);
    if (inputs.length > this.batchSizeMax) throw new RangeError(`at most ${this.batchSizeMax} transfers per request`);
    return new Promise((resolve, reject) => this.enqueue({ kind: 'transfers', inputs, resolve, reject }));
  }

  /** Expires the given pending transfers if they are still pending and due. */
  expire(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => this.enqueue({ kind: 'expire', ids: ids.slice(0, this.batchSizeMax), resolve, reject }));
  }

  /** Runs `work` inside one of the writer's batches; resolves with what `settle` returned, after the commit. */
  join<R>(work: JoinedWork<R>): Promise<R> {
    if (work.transfers_max > this.batchSizeMax) throw new RangeError(`at most ${this.batchSizeMax} transfers per joined work`);
    if (!work.settle === !work.settleRows) throw new TypeError(`joined work ${work.lock_key} must have exactly one of settle and settleRows`);
    return new Promise<R>((resolve, reject) =>
      this.enqueue({ kind: 'joined', work: work as JoinedWork<unknown>, resolve: resolve as (r: unknown) => void, reject }),
    );
  }

  /** Stops taking requests and waits for the ones queued to commit. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.idle;
  }

  private enqueue(request: Request): void {
    if (this.stopping) return request.reject(new WriterStoppedError());
    if (this.queued + sizeOf(request) > this.queueDepthMax) return request.reject(new OverloadedError());
    this.queue.push(request);
    this.queued += sizeOf(request);
    if (!this.running) {
      this.running = true;
      // setImmediate lets every request that arrives in this turn of the event loop join the first batch.
      this.idle = new Promise((done) => setImmediate(() => void this.drain().finally(done)));
    }
  }

  /**
   * Whole requests, in arrival order, up to the batch size. Two joined works with the same
   * lock key never share a batch: inside one transaction the row lock does not separate
   * them, so the second would plan on what the first is about to change.
   */
  private takeBatch(): Request[] {
    const batch: Request[] = [];
    const lockKeys = new Set<string>();
    let size = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && size + sizeOf(next) > this.batchSizeMax) break;
      if (next.kind === 'joined') {
        if (lockKeys.has(next.work.lock_key)) break;
        lockKeys.add(next.work.lock_key);
      }
      batch.push(this.queue.shift()!);
      size += sizeOf(next);
    }
    this.queued -= size;
    return batch;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        const started = performance.now();
        try {
          const { outcomes, transfers, attempts } = await this.commitWithRetry(batch);
          this.options.observer?.batchCommitted({
            transfers,
            requests: batch.length,
            duration_ms: performance.now() - started,
            attempts,
          });
          batch.forEach((request, i) => (request.resolve as (v: unknown) => void)(outcomes[i]));
        } catch (err) {
          for (const request of batch) request.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async commitWithRetry(batch: Request[]): Promise<{ outcomes: unknown[]; transfers: number; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        // Generic plans: the batch's statements have one shape whatever the ids, and re-planning
        // them per batch (PostgreSQL's choice for the longest ones) slowed the serial path.
        const { outcomes, transfers } = await this.db.transaction((tx) => this.applyBatch(tx, batch), { generic_plans: true });
        return { outcomes, transfers, attempts: attempt };
      } catch (err) {
        // Another process committed a transfer with one of our ids (23505), or the database
        // chose us as a deadlock/serialisation victim: run the whole batch again on fresh state.
        const state = sqlState(err);
        const retryable = err instanceof PendingCommittedMeanwhile || (state !== undefined && RETRYABLE_SQLSTATES.has(state));
        if (!retryable || attempt >= this.attemptsMax) throw err;
      }
    }
  }

  /** The outcome of each request, and how many transfers (and expiries) the batch carried. */
  private async applyBatch(tx: Queryable, batch: Request[]): Promise<{ outcomes: unknown[]; transfers: number }> {
    const now = this.clock.now();
    // A joined work alone in its batch locks the accounts with its own read (see JoinedWork.plan).
    const alone = batch.length === 1 && batch[0]!.kind === 'joined' ? batch[0]!.work : undefined;
    const planned = await this.planJoined(tx, batch, now, alone !== undefined);
    const transferIds = new Set<string>();
    const pendingIds = new Set<string>();
    const accountIds = new Set<string>();
    batch.forEach((request, i) => {
      if (request.kind === 'expire') {
        request.ids.forEach((id) => pendingIds.add(id));
        return;
      }
      const lookUp = request.kind === 'transfers' || !request.work.new_transfer_ids;
      for (const input of request.kind === 'transfers' ? request.inputs : planned[i]!) {
        if (lookUp) transferIds.add(input.id);
        if (input.debit_account_id) accountIds.add(input.debit_account_id);
        if (input.credit_account_id) accountIds.add(input.credit_account_id);
        if (input.pending_id && input.flags & (TransferFlags.post_pending | TransferFlags.void_pending)) pendingIds.add(input.pending_id);
      }
    });
    for (const id of await accountsOfTransfers(tx, [...pendingIds])) accountIds.add(id);

    // Any account the work did not foresee is locked after its own: out of id order, which at
    // worst makes a deadlock with another process that the database breaks and the batch retries.
    const accounts = new Map(alone?.locked_accounts);
    const unlocked = [...accountIds].filter((id) => !accounts.has(id)).sort();
    for (const [id, account] of await lockAccounts(tx, unlocked)) accounts.set(id, account);
    const named = await loadTransfersAndPendings(tx, [...new Set([...transferIds, ...pendingIds])]);
    for (const id of pendingIds) {
      const held = named.pendings.get(id)?.transfer;
      if (held && !(accounts.has(held.debit_account_id) && accounts.has(held.credit_account_id))) throw new PendingCommittedMeanwhile(id);
    }
    const view: LedgerView = { accounts, ...named };
    const effects = emptyEffects();
    const results = batch.map((request, i) =>
      request.kind === 'expire' ? expirePendings(view, request.ids, now, effects) : applyTransfers(view, request.kind === 'transfers' ? request.inputs : planned[i]!, now, effects),
    );
    const outcomes: unknown[] = results.slice();
    const parts: StatementPart[] = [];
    batch.forEach((request, i) => {
      if (request.kind !== 'joined' || !request.work.settleRows) return;
      const { outcome, rows } = request.work.settleRows(results[i] as TransferResult[], now);
      outcomes[i] = outcome;
      if (rows) parts.push(rows);
    });
    await persistBatch(tx, effects, accounts, now, parts);
    for (const [i, request] of batch.entries()) {
      if (request.kind === 'joined' && request.work.settle) outcomes[i] = await request.work.settle(tx, results[i] as TransferResult[], now);
    }
    const transfers = batch.reduce((n, request, i) => n + (request.kind === 'transfers' ? request.inputs.length : request.kind === 'expire' ? request.ids.length : planned[i]!.length), 0);
    return { outcomes, transfers };
  }

  /** Plans the joined works in lock-key order; returns their transfers by batch index. */
  private async planJoined(tx: Queryable, batch: Request[], now: Date, lock_accounts: boolean): Promise<(readonly TransferInput[] | undefined)[]> {
    const planned: (readonly TransferInput[] | undefined)[] = new Array(batch.length);
    const joined = batch.flatMap((request, i) => (request.kind === 'joined' ? [{ work: request.work, i }] : []));
    joined.sort((a, b) => (a.work.lock_key < b.work.lock_key ? -1 : a.work.lock_key > b.work.lock_key ? 1 : 0));
    for (const { work, i } of joined) {
      const inputs = await work.plan(tx, now, { lock_accounts });
      if (inputs.length > work.transfers_max) throw new Error(`joined work ${work.lock_key} planned ${inputs.length} transfers, more than its ${work.transfers_max}`);
      planned[i] = inputs;
    }
    return planned;
  }
}
