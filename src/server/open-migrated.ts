/**
 * The configured database, opened and migrated: where the server and every CLI command
 * start. Kept apart from serve.ts so that a CLI command loads without the HTTP stack
 * (fastify and every route cost about a second of start-up per command).
 */
import { openDb } from '../db/open.js';
import { migrate } from '../db/migrate.js';
import type { Db } from '../db/port.js';
import type { Config } from './config.js';

export async function openAndMigrate(config: Config): Promise<Db> {
  const db = await openDb({ database_url: config.database_url, data_dir: config.data_dir, pool_size_max: config.db_pool_size_max });
  await migrate(db);
  return db;
}
