import { PGlite, types } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import type { Db, Queryable, SqlParam } from './port.js';

/**
 * Embedded PostgreSQL (WebAssembly). `dataDir` undefined means in memory (tests).
 * File mode runs with fsync off: it survives a killed process, not a power loss.
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // One options object: PGlite ignores a second argument when dataDir is undefined (memory mode).
  const db = new PGlite({
    dataDir,
    parsers: { [types.INT8]: (v: string) => BigInt(v) },
  });
  await db.waitReady;
  const wrap = (q: { query: PGlite['query']; exec: PGlite['exec'] }): Queryable => ({
    async query<Row>(sql: string, params: readonly SqlParam[] = []) {
      const result = await q.query<Row>(sql, params as unknown[]);
      return { rows: result.rows };
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  const plain = wrap(db);
  return {
    engine: 'pglite',
    query: plain.query,
    exec: plain.exec,
    // TransactionOptions.generic_plans does not apply: PGlite keeps no prepared statements, so it plans every statement anyway.
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}
