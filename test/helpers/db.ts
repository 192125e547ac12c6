/**
 * A fresh database per test file: PGlite in memory, or a new PostgreSQL database
 * `capillary_t_<hex>` on the local server, dropped at teardown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDb } from '../../src/db/open.js';
import { migrate } from '../../src/db/migrate.js';
import type { Db } from '../../src/db/port.js';
import { createScratchDatabase, type ScratchDatabase } from '../../src/db/scratch.js';
import { ENGINE, PG_ADMIN_URL, type Engine } from './env.js';

export type PgDatabase = ScratchDatabase;

/** Creates an empty PostgreSQL database on the local server. */
/** A fresh database, empty or a copy of `template` (a database nobody is connected to). */
export const createPgDatabase = (template?: string): Promise<PgDatabase> => createScratchDatabase(PG_ADMIN_URL, 'capillary_t', template);

/** Runs one query on a database through its own short-lived connection. */
export async function pgQuery<Row = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

export interface TestDb {
  engine: Engine;
  db: Db;
  /** For postgres: the database URL (spawned servers can share it). */
  url?: string;
  close(): Promise<void>;
}

/** Opens a migrated, empty database for the engine under test. */
export async function openTestDb(engine: Engine = ENGINE): Promise<TestDb> {
  if (engine === 'pglite') {
    const db = await openDb({ data_dir: 'memory' });
    await migrate(db);
    return { engine, db, close: () => db.close() };
  }
  const database = await createPgDatabase();
  try {
    const db = await openDb({ database_url: database.url, data_dir: 'unused' });
    await migrate(db);
    return {
      engine,
      db,
      url: database.url,
      async close() {
        await db.close().catch(() => {});
        await database.drop();
      },
    };
  } catch (err) {
    await database.drop();
    throw err;
  }
}

export interface TempDir {
  path: string;
  remove(): void;
}

export function tempDir(prefix = 'capillary-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
