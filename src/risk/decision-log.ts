/**
 * Decisions are stored with their inputs before the caller hears the outcome, in batches:
 * everything decided in one turn of the event loop is one statement (the decisions, their
 * context layouts and the review cases they open), so storing costs one round trip per
 * burst, not a transaction per decision.
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

export class DecisionLog {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(private readonly db: Db) {}

  /** Resolves after the commit: true if stored now, false if a decision with this id already was. */
  append(decision: store.StoredDecision, openCase: store.RiskCase | undefined): Promise<boolean> {
    if (this.queue.length >= DECISION_QUEUE_MAX) return Promise.reject(new OverloadedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ decision, openCase, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, DECISION_BATCH_MAX);
        try {
          const cases = batch.flatMap((p) => (p.openCase ? [p.openCase] : []));
          const stored = await store.insertDecisions(this.db, batch.map((p) => p.decision), cases, 'risk-engine');
          for (const p of batch) p.resolve(stored.has(p.decision.id));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  async drain(): Promise<void> {
    while (this.flushing || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
  }
}
