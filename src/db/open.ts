import { join } from 'node:path';
import type { Db } from './port.js';
import { openPostgres } from './postgres.js';
import { openPglite } from './pglite.js';

export interface DbConfig {
  /** postgres://… selects PostgreSQL; otherwise embedded PGlite. */
  database_url?: string | undefined;
  /** PGlite data folder; `memory` keeps it in memory (tests). */
  data_dir: string;
  pool_size_max?: number;
}

export async function openDb(config: DbConfig): Promise<Db> {
  if (config.database_url) {
    return openPostgres({ connectionString: config.database_url, pool_size_max: config.pool_size_max });
  }
  if (config.data_dir === 'memory') return openPglite(undefined);
  return openPglite(join(config.data_dir, 'pglite'));
}
