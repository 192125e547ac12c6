/**
 * Decisions are stored with their inputs before the caller hears the outcome, in batches:
 * everything decided in one turn of the event loop is one statement (the decisions, their
 * context layouts and the review cases they open), so storing costs one round trip per
 * burst, not a transaction per decision.
 *
 * Up to FLUSHES_MAX batches are stored at once, on separate connections. One at a time,
 * the rate was capped at (decisions in flight) ÷ (commit time): a commit waits for its WAL
 * flush, and the event loop sat idle meanwhile. Several commits in flight share their WAL
 * flushes (PostgreSQL's group commit). Batches are independent: an event id is in one
 * batch only (the engine answers a repeated id as a replay), and a batch's cases go in the
 * statement that stores their decisions.
 */
import type { Db } from '../db/port.js';
import { OverloadedError } from '../ledger/writer.js';
import * as store from './store.js';

interface Pending {
  decision: store.StoredDecision;
  openCase: store.RiskCase | undefined;
  resolve: (fresh: boolean) => void;
  reject: (err: unknown) => void;
}

export const DECISION_BATCH_MAX = 4096;
export const DECISION_QUEUE_MAX = 100_000;
export const FLUSHES_MAX = 4;

export class DecisionLog {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushes = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly db: Db) {}

  /** Resolves after the commit: true if stored now, false if a decision with this id already was. */
  append(decision: store.StoredDecision, openCase: store.RiskCase | undefined): Promise<boolean> {
    if (this.queue.length >= DECISION_QUEUE_MAX) return Promise.reject(new OverloadedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ decision, openCase, resolve, reject });
      this.schedule();
    });
  }

  /** A flush after this turn of the event loop, so everything decided in it shares one batch. */
  private schedule(): void {
    if (this.scheduled || this.flushes >= FLUSHES_MAX || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushes >= FLUSHES_MAX || this.queue.length === 0) return;
    const batch = this.queue.splice(0, DECISION_BATCH_MAX);
    this.flushes++;
    try {
      const cases = batch.flatMap((p) => (p.openCase ? [p.openCase] : []));
      const stored = await store.insertDecisions(this.db, batch.map((p) => p.decision), cases, 'risk-engine');
      for (const p of batch) p.resolve(stored.has(p.decision.id));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.flushes--;
      this.schedule();
      if (this.flushes === 0 && this.queue.length === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  /** Resolves once every decision appended so far is stored (or has failed). */
  drain(): Promise<void> {
    if (this.flushes === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
