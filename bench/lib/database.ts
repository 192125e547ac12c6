/**
 * The databases the benchmarks run on: a fresh PostgreSQL database per run (dropped at the
 * end, even on failure), embedded PGlite in memory, or a temporary PGlite data folder.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { openPostgres } from '../../src/db/postgres.js';
import { openPglite } from '../../src/db/pglite.js';
import { migrate } from '../../src/db/migrate.js';
import type { Db } from '../../src/db/port.js';
import { createScratchDatabase, type ScratchDatabase } from '../../src/db/scratch.js';

/** The server the benchmark measures: trust auth, user postgres. Overridable for other machines. */
export const PG_ADMIN_URL = process.env.CAPILLARY_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type PgBenchDatabase = ScratchDatabase;

/** Creates capillary_bench_<random> and returns how to reach and drop it. */
export const createPgDatabase = (): Promise<PgBenchDatabase> => createScratchDatabase(PG_ADMIN_URL, 'capillary_bench');

export async function openEngine(engine: 'pglite' | 'postgres', url: string | undefined, pool_size_max = 20): Promise<Db> {
  const db = engine === 'postgres' ? openPostgres({ connectionString: url!, pool_size_max }) : await openPglite(undefined);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

export async function serverVersion(db: Db): Promise<string> {
  const { rows } = await db.query<{ version: string }>('SELECT version() AS version');
  return rows[0]?.version ?? 'unknown';
}

/** Settings that decide write throughput, to print beside the figures. */
export async function pgSettings(db: Db): Promise<Record<string, string>> {
  const names = ['shared_buffers', 'synchronous_commit', 'fsync', 'wal_level', 'max_wal_size', 'full_page_writes'];
  const { rows } = await db.query<{ name: string; setting: string }>(
    'SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name',
    [names],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}

export function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve(name);
    const root = main.slice(0, main.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
    return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

/** A fresh folder under the system temp dir (a PGlite DATA_DIR), removed with everything in it. */
export async function createTempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `${prefix}-`));
  let removed: Promise<void> | undefined;
  return { path, remove: () => (removed ??= rm(path, { recursive: true, force: true })) };
}
