/**
 * Runs the server: open the database, apply migrations, listen, sweep expired pending
 * transfers in the background, and shut down cleanly on SIGINT/SIGTERM (the writer
 * finishes the batches it has accepted before the database closes).
 */
import { openDb } from '../db/open.js';
import { migrate } from '../db/migrate.js';
import type { Db } from '../db/port.js';
import { buildApp, type App } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';

export interface Running {
  app: App;
  db: Db;
  url: string;
  stop(): Promise<void>;
}

export async function openAndMigrate(config: Config): Promise<Db> {
  const db = await openDb({ database_url: config.database_url, data_dir: config.data_dir, pool_size_max: config.db_pool_size_max });
  await migrate(db);
  return db;
}

export function startExpirySweep(app: App, interval_ms: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    app.ledger
      .expireDuePendings()
      .then((n) => n > 0 && app.log.info({ expired: n }, 'pending transfers expired'))
      .catch((err) => app.log.error({ err }, 'expiry sweep failed'))
      .finally(() => (running = false));
  }, interval_ms);
  timer.unref();
  return () => clearInterval(timer);
}

export async function serve(config: Config, db: Db, clock: Clock = systemClock): Promise<Running> {
  const app = await buildApp({ db, clock, log_level: config.log_level });
  const address = await app.listen({ port: config.port, host: config.host });
  const stopSweep = startExpirySweep(app, config.expiry_sweep_interval_ms);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopSweep();
      await app.close();
      await db.close();
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      void stop().then(() => process.exit(0));
    });
  }
  return { app, db, url: address, stop };
}
