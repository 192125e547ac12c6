/**
 * The events domain's background work, assembled: the webhook relay (outbox → deliveries),
 * the NATS relay when NATS_URL is set (outbox → JetStream), the webhook sender, and a purge
 * of old finished deliveries and old relayed outbox rows. `serve` starts them on timers and
 * stops them on close; tests call `relayOnce()`, `sendDue()` and `purgeOnce()` step by step.
 */
import type { EventDeriver } from './derived-events.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import type { EventsConfig } from '../server/config.js';
import { NatsPublisher, type NatsOptions } from './nats.js';
import { Relay, defaultOwner, relayLagFrom, type RelayLag, type RelayObserver, type RelayOptions, type RelayPass } from './relay.js';
import { readLag } from './relay-store.js';
import { WebhookQueue } from './webhook-queue.js';
import { WebhookSender, type SendPass, type SenderOptions } from './webhook-sender.js';
import { purgeDeliveries } from './webhook-store.js';

export const WEBHOOK_CONSUMER = 'webhooks';
export const NATS_CONSUMER = 'nats';

export interface EventsOptions {
  /** This node's name in relay leases. */
  owner?: string;
  relay?: Omit<RelayOptions, 'consumer' | 'owner' | 'observer'>;
  /** Told of each relayed batch (the metrics' relayed-events counter). */
  observer?: RelayObserver;
  /** Events told by other outbox rows (derived-events.ts), for every reader of the outbox. */
  derivers?: readonly EventDeriver[];
  sender?: SenderOptions;
  /** Finished deliveries (and their attempts) are deleted this long after they were queued. */
  delivery_retention_ms?: number;
  /** Outbox rows every relay has passed are deleted this long after they were written (0: kept). */
  outbox_retention_ms?: number;
  /** Rows deleted per statement by the purge. */
  purge_batch_max?: number;
}

export interface WorkerIntervals {
  relay_interval_ms: number;
  send_interval_ms: number;
  purge_interval_ms: number;
}

export const EVENTS_DEFAULTS = {
  delivery_retention_ms: 30 * 24 * 3_600_000,
  outbox_retention_ms: 7 * 24 * 3_600_000,
  purge_batch_max: 10_000,
};

const DAY_MS = 24 * 3_600_000;

/** The events settings from the environment (config.ts) as options for buildApp. */
export function eventsOptionsFrom(config: EventsConfig): EventsOptions {
  return {
    relay: { gap_wait_ms: config.outbox_gap_wait_ms },
    sender: { timeout_ms: config.webhook_timeout_ms, allow_private_networks: config.webhook_allow_private_networks },
    delivery_retention_ms: config.webhook_log_retention_days * DAY_MS,
    outbox_retention_ms: config.outbox_retention_days * DAY_MS,
  };
}

export class Events {
  readonly owner: string;
  readonly derivers: readonly EventDeriver[];
  readonly webhookRelay: Relay;
  readonly queue: WebhookQueue;
  readonly sender: WebhookSender;
  nats?: NatsPublisher;
  natsRelay?: Relay;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly options: EventsOptions = {},
    private readonly log?: FastifyBaseLogger,
  ) {
    this.owner = options.owner ?? defaultOwner();
    this.queue = new WebhookQueue(options.sender?.retry);
    this.derivers = options.derivers ?? [];
    this.webhookRelay = new Relay(db, clock, this.queue, { ...options.relay, observer: options.observer, derivers: this.derivers, consumer: WEBHOOK_CONSUMER, owner: this.owner });
    this.sender = new WebhookSender(db, clock, options.sender);
  }

  /** Connects to NATS JetStream (creating or updating the streams) and adds its relay. */
  async connectNats(options: NatsOptions): Promise<NatsPublisher> {
    if (this.nats) return this.nats;
    this.nats = await NatsPublisher.connect(options);
    this.natsRelay = new Relay(this.db, this.clock, this.nats, { ...this.options.relay, observer: this.options.observer, derivers: this.derivers, consumer: NATS_CONSUMER, owner: this.owner });
    return this.nats;
  }

  /** One pass of each relay (webhooks, then NATS when connected). */
  async relayOnce(): Promise<{ webhooks: RelayPass; nats?: RelayPass }> {
    const webhooks = await this.webhookRelay.relayOnce();
    const nats = this.natsRelay ? await this.natsRelay.relayOnce() : undefined;
    return { webhooks, ...(nats ? { nats } : {}) };
  }

  /**
   * Each consumer's lag and backlog, read from the database (so every node reports them, and
   * they keep growing when no relay runs at all): the consumers with a cursor, and this node's
   * own relays before their first pass. One statement of index lookups (relay-store.ts readLag).
   */
  async relayLag(): Promise<RelayLag[]> {
    const own = [this.webhookRelay.consumer, ...(this.natsRelay ? [this.natsRelay.consumer] : [])];
    const rows = await readLag(this.db, own);
    const now = this.clock.now();
    return rows.map((row) => relayLagFrom(row, now));
  }

  sendDue(): Promise<SendPass> {
    return this.sender.sendDue();
  }

  /** Deletes old finished deliveries, and outbox rows every relay passed long ago. */
  async purgeOnce(): Promise<{ deliveries: number; outbox: number }> {
    const o = { ...EVENTS_DEFAULTS, ...this.options };
    const now = this.clock.now().getTime();
    const deliveries = await purgeDeliveries(this.db, new Date(now - o.delivery_retention_ms), o.purge_batch_max);
    let outbox = 0;
    if (o.outbox_retention_ms > 0) {
      // Below every consumer's cursor and older than the gap look-ups keep looking; a consumer
      // that stopped (NATS switched off) holds the purge back, which errs on the side of keeping.
      const { rows } = await this.db.query(
        `WITH doomed AS (
           SELECT seq FROM outbox
           WHERE seq <= (SELECT coalesce(min(last_seq), 0) FROM outbox_cursors) AND created_at < $1
           ORDER BY seq LIMIT $2)
         DELETE FROM outbox WHERE seq IN (SELECT seq FROM doomed) RETURNING seq`,
        [new Date(now - o.outbox_retention_ms).toISOString(), o.purge_batch_max],
      );
      outbox = rows.length;
    }
    return { deliveries, outbox };
  }

  /** Starts the timers. Each job runs again `interval` after its previous pass ended (no overlap). */
  start(intervals: WorkerIntervals): void {
    const loop = (name: string, interval_ms: number, job: () => Promise<{ more?: boolean } | unknown>) => {
      const tick = () => {
        if (this.stopping) return;
        const run = job()
          .then((result) => (result as { more?: boolean })?.more === true)
          .catch((err: unknown) => {
            this.log?.error({ err, job: name }, 'events worker pass failed; retried at the next interval');
            return false;
          });
        this.inFlight.add(run);
        void run.then((more) => {
          this.inFlight.delete(run);
          if (this.stopping) return;
          schedule(more ? 0 : interval_ms);
        });
      };
      const schedule = (ms: number) => {
        const timer = setTimeout(tick, ms);
        timer.unref();
        this.timers.set(name, timer);
      };
      schedule(interval_ms);
    };
    loop('relay', intervals.relay_interval_ms, async () => {
      const pass = await this.relayOnce();
      return { more: pass.webhooks.more || pass.nats?.more === true };
    });
    loop('send', intervals.send_interval_ms, async () => {
      const pass = await this.sendDue();
      if (pass.failed > 0) this.log?.warn({ failed: pass.failed }, 'webhook deliveries given up');
      return { more: pass.attempted >= (this.options.sender?.batch_max ?? 100) };
    });
    loop('purge', intervals.purge_interval_ms, () => this.purgeOnce());
  }

  /** Stops the timers, waits for passes in flight, gives up the leases, closes NATS. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers.values()) clearTimeout(t);
    await Promise.allSettled([...this.inFlight]);
    await this.webhookRelay.release().catch(() => {});
    await this.natsRelay?.release().catch(() => {});
    await this.nats?.close();
  }
}
