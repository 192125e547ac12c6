/**
 * Runs the server: open the database, apply migrations, listen, sweep expired pending
 * transfers and expired red envelopes in the background, and shut down cleanly on SIGINT/SIGTERM (the writer
 * finishes the batches it has accepted before the database closes).
 */
import type { Db } from '../db/port.js';
import { buildApp, type App } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { eventsOptionsFrom } from '../events/workers.js';

export interface Running {
  app: App;
  db: Db;
  url: string;
  stop(): Promise<void>;
}

/** One pass of every background sweep: expire due pending transfers, refund expired envelopes, purge expired Idempotency-Key records. */
export async function sweepOnce(app: App, clock: Clock = systemClock): Promise<void> {
  const expired = await app.ledger.expireDuePendings();
  if (expired > 0) app.log.info({ expired }, 'pending transfers expired');
  const refunds = await app.envelopes.refundExpired();
  if (refunds.refunded > 0) app.log.info({ refunded: refunds.refunded }, 'expired envelopes refunded');
  if (refunds.failed > 0) app.log.warn({ failed: refunds.failed }, 'envelope refunds refused by the ledger; retried next sweep');
  // One bounded batch per sweep: 1,000 a second is far more than expire each day in ordinary use.
  const purged = await app.idempotency.purgeExpired(clock.now());
  if (purged > 0) app.log.debug({ purged }, 'expired Idempotency-Key records purged');
}

export function startSweeps(app: App, interval_ms: number, clock: Clock = systemClock): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepOnce(app, clock)
      .catch((err) => app.log.error({ err }, 'background sweep failed'))
      .finally(() => (running = false));
  }, interval_ms);
  timer.unref();
  return () => clearInterval(timer);
}

export async function serve(config: Config, db: Db, clock: Clock = systemClock): Promise<Running> {
  const app = await buildApp({ db, clock, log_level: config.log_level, rate_limits: { settings: config.rate_limits, redis_url: config.redis_url }, public_url: config.public_url, events: eventsOptionsFrom(config.events), identity: config.identity, daily_running_cost_minor: config.daily_running_cost_minor });
  const address = await app.listen({ port: config.port, host: config.host });
  // Events: NATS first (its streams are created or updated now; an unreachable NATS_URL stops the start), then the workers.
  const ev = config.events;
  if (ev.nats_url) {
    try {
      await app.events.connectNats({ url: ev.nats_url, stream_prefix: ev.nats_stream_prefix, subject_prefix: ev.nats_subject_prefix });
    } catch (err) {
      await app.close();
      throw err;
    }
  }
  app.events.start({ relay_interval_ms: ev.relay_interval_ms, send_interval_ms: ev.send_interval_ms, purge_interval_ms: ev.purge_interval_ms });
  const stopSweep = startSweeps(app, config.expiry_sweep_interval_ms, clock);
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
