/**
 * Where a write-path batch spends its time, measured from outside the product: the Db
 * handed to the Ledger is wrapped so every statement of a batch transaction is timed, as
 * are the transaction's start (BEGIN, taking a connection) and its COMMIT. What is left of
 * the transaction is JavaScript: the pure core applying the batch and the writer's own work.
 * Each part records wall time and this process's CPU time: a statement's CPU is the
 * driver's work (building parameter arrays, parsing rows); the rest of its wall time is
 * PostgreSQL working (or, on a busy machine, waiting for a core).
 */
import type { Db, Queryable, SqlParam } from '../../src/db/port.js';

export interface AnatomyPart {
  label: string;
  /** Mean ms per batch. */
  mean_ms: number;
  /** Mean CPU ms of the benchmark process per batch (for PGlite this includes the database). */
  mean_cpu_ms: number;
}

export interface Anatomy {
  batches: number;
  mean_batch_ms: number;
  parts: AnatomyPart[];
}

/** Names a statement by what it does, from its text. */
export function statementLabel(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  if (/FOR UPDATE/i.test(text)) return 'SELECT … FOR UPDATE (lock accounts)';
  if (/^WITH inserted AS \(INSERT INTO transfers/i.test(text)) return 'INSERT transfers + UPDATE accounts + INSERT outbox (one statement)';
  if (/LEFT JOIN pending_transfers/i.test(text)) return 'SELECT transfers named by the batch';
  if (/^SELECT (t\.)?debit_account_id, (t\.)?credit_account_id FROM/i.test(text)) return 'SELECT accounts of pending transfers';
  const insert = /^INSERT INTO (\w+)/i.exec(text);
  if (insert) return `INSERT ${insert[1]} (unnest)`;
  const update = /^UPDATE (\w+)/i.exec(text);
  if (update) return `UPDATE ${update[1]} (unnest)`;
  return text.slice(0, 48);
}

const BEGIN = 'BEGIN (+ taking a connection)';
const JAVASCRIPT = 'JavaScript: core + writer';
const COMMIT = 'COMMIT';

const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

interface Spent {
  wall_ms: number;
  cpu_ms: number;
}

export class AnatomyRecorder {
  private readonly totals = new Map<string, Spent>();
  private batches = 0;
  private total_ms = 0;
  recording = false;

  private add(label: string, wall_ms: number, cpu_ms: number): void {
    if (!this.recording) return;
    const spent = this.totals.get(label) ?? { wall_ms: 0, cpu_ms: 0 };
    spent.wall_ms += wall_ms;
    spent.cpu_ms += cpu_ms;
    this.totals.set(label, spent);
  }

  /** The Db to give the Ledger. Queries outside transactions pass through untimed. */
  wrap(db: Db): Db {
    const timed = (tx: Queryable, inStatements: Spent): Queryable => ({
      query: async <Row>(sql: string, params?: readonly SqlParam[]) => {
        const wall = performance.now();
        const cpu = cpuMs();
        try {
          return await tx.query<Row>(sql, params);
        } finally {
          const spent = { wall_ms: performance.now() - wall, cpu_ms: cpuMs() - cpu };
          inStatements.wall_ms += spent.wall_ms;
          inStatements.cpu_ms += spent.cpu_ms;
          this.add(statementLabel(sql), spent.wall_ms, spent.cpu_ms);
        }
      },
      exec: (sql: string) => tx.exec(sql),
    });
    return {
      engine: db.engine,
      query: (sql, params) => db.query(sql, params),
      exec: (sql) => db.exec(sql),
      close: () => db.close(),
      transaction: async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
        const start = { wall: performance.now(), cpu: cpuMs() };
        const body = { ...start };
        const bodyEnd = { ...start };
        const inStatements: Spent = { wall_ms: 0, cpu_ms: 0 };
        const result = await db.transaction(async (tx) => {
          body.wall = performance.now();
          body.cpu = cpuMs();
          inStatements.wall_ms = 0; // a retried batch counts its last attempt's statements
          inStatements.cpu_ms = 0;
          const value = await fn(timed(tx, inStatements));
          bodyEnd.wall = performance.now();
          bodyEnd.cpu = cpuMs();
          return value;
        });
        const end = { wall: performance.now(), cpu: cpuMs() };
        if (this.recording) {
          this.batches++;
          this.total_ms += end.wall - start.wall;
          this.add(BEGIN, body.wall - start.wall, body.cpu - start.cpu);
          this.add(JAVASCRIPT, bodyEnd.wall - body.wall - inStatements.wall_ms, bodyEnd.cpu - body.cpu - inStatements.cpu_ms);
          this.add(COMMIT, end.wall - bodyEnd.wall, end.cpu - bodyEnd.cpu);
        }
        return result;
      },
    };
  }

  result(): Anatomy {
    const n = Math.max(1, this.batches);
    const parts = [...this.totals].map(([label, spent]) => ({ label, mean_ms: spent.wall_ms / n, mean_cpu_ms: spent.cpu_ms / n }));
    const order = (label: string) => (label === BEGIN ? 0 : label === COMMIT ? 3 : label === JAVASCRIPT ? 2 : 1);
    parts.sort((a, b) => order(a.label) - order(b.label));
    return { batches: this.batches, mean_batch_ms: this.total_ms / n, parts };
  }
}
