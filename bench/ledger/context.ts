import type { Db } from '../../src/db/port.js';
import type { EngineName } from './options.js';
import type { Sizes } from './scenario.js';

/** What a scenario needs to run on one engine. */
export interface EngineContext {
  engine: EngineName;
  /** The benchmark's own connection (a pool of 20 on PostgreSQL, the one PGlite instance). */
  db: Db;
  /** PostgreSQL only: the bench database, for the extra pools and the HTTP server process. */
  pg_url: string | undefined;
  /** PostgreSQL only: its name, to tell our backends' CPU from other databases'. */
  pg_database: string | undefined;
  sizes: Sizes;
  quick: boolean;
  /** Seed of the traffic; each scenario derives its own from it. */
  seed: number;
}
