/**
 * NATS JetStream publishing: when NATS_URL is set, a relay (consumer `nats`) publishes every
 * outbox event to subject `capillary.<topic>` in one stream per domain (CAPILLARY_LEDGER
 * holds `capillary.ledger.>`, and so on). Each message carries `Nats-Msg-Id` = the event id,
 * so JetStream drops a republish (after a crash between the acknowledgement and the cursor's
 * commit) within the stream's duplicate window. The relay's cursor advances only after every
 * publish of its batch was acknowledged.
 */
import { connect, headers, nanos, type JetStreamClient, type JetStreamManager, type NatsConnection, type StreamConfig } from 'nats';
import type { Queryable } from '../db/port.js';
import { buildEnvelopes, type OutboxRow } from './event-builders.js';
import { payloadJson } from './outbox.js';
import type { RelaySink } from './relay.js';

export const EVENT_DOMAINS = ['ledger', 'openbanking', 'envelopes', 'risk', 'lending'] as const;

export interface NatsOptions {
  url: string;
  /** Stream names are `<stream_prefix>_<DOMAIN>`. */
  stream_prefix?: string;
  /** Subjects are `<subject_prefix>.<topic>`. */
  subject_prefix?: string;
  /** How long JetStream remembers message ids to drop a republished event. */
  duplicate_window_ms?: number;
  /** How long to wait for each publish's acknowledgement. */
  publish_timeout_ms?: number;
  /** Streams keep messages this long (0: no age limit). */
  max_age_ms?: number;
  connect_timeout_ms?: number;
}

export const NATS_DEFAULTS = {
  stream_prefix: 'CAPILLARY',
  subject_prefix: 'capillary',
  duplicate_window_ms: 10 * 60_000,
  publish_timeout_ms: 5_000,
  max_age_ms: 7 * 24 * 3_600_000,
  connect_timeout_ms: 5_000,
};

export const domainOf = (topic: string): string => topic.slice(0, topic.indexOf('.'));

export class NatsPublisher implements RelaySink {
  private readonly o: typeof NATS_DEFAULTS & { url: string };
  private readonly ensured = new Set<string>();
  published = 0;
  duplicates = 0;

  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    options: typeof NATS_DEFAULTS & { url: string },
  ) {
    this.o = options;
  }

  /** Connects and creates (or updates) the stream of every known domain. */
  static async connect(options: NatsOptions): Promise<NatsPublisher> {
    const o = { ...NATS_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof NATS_DEFAULTS & { url: string };
    if (!/^[A-Z][A-Z0-9_]*$/.test(o.stream_prefix)) throw new Error(`stream prefix must be upper-case letters, digits, _: ${o.stream_prefix}`);
    if (!/^[a-z][a-z0-9_]*$/.test(o.subject_prefix)) throw new Error(`subject prefix must be lower-case letters, digits, _: ${o.subject_prefix}`);
    const nc = await connect({ servers: o.url.split(','), name: 'capillary-relay', timeout: o.connect_timeout_ms, maxReconnectAttempts: -1 });
    try {
      const publisher = new NatsPublisher(nc, nc.jetstream(), await nc.jetstreamManager(), o);
      for (const domain of EVENT_DOMAINS) await publisher.ensureStream(domain);
      return publisher;
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  streamName(domain: string): string {
    return `${this.o.stream_prefix}_${domain.toUpperCase()}`;
  }

  subjectOf(topic: string): string {
    return `${this.o.subject_prefix}.${topic}`;
  }

  /** Creates the domain's stream, or brings an existing one's settings up to date. */
  async ensureStream(domain: string): Promise<void> {
    if (this.ensured.has(domain)) return;
    const config: Partial<StreamConfig> & { name: string } = {
      name: this.streamName(domain),
      subjects: [`${this.o.subject_prefix}.${domain}.>`],
      duplicate_window: nanos(this.o.duplicate_window_ms),
      max_age: nanos(this.o.max_age_ms),
    };
    try {
      await this.jsm.streams.info(config.name);
      await this.jsm.streams.update(config.name, config);
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
      await this.jsm.streams.add(config);
    }
    this.ensured.add(domain);
  }

  async deliver(tx: Queryable, rows: readonly OutboxRow[]): Promise<void> {
    const events = await buildEnvelopes(tx, rows);
    for (const domain of new Set(events.map((e) => domainOf(e.envelope.topic)))) await this.ensureStream(domain);
    // Published back to back on one connection (so in order), acknowledged together.
    const acks = await Promise.all(
      events.map((e) => {
        const h = headers();
        h.set('Capillary-Event-Topic', e.envelope.topic);
        return this.js.publish(this.subjectOf(e.envelope.topic), new TextEncoder().encode(payloadJson(e.envelope)), {
          msgID: e.envelope.id,
          headers: h,
          timeout: this.o.publish_timeout_ms,
          expect: { streamName: this.streamName(domainOf(e.envelope.topic)) },
        });
      }),
    );
    for (const ack of acks) {
      if (ack.duplicate) this.duplicates++;
      else this.published++;
    }
  }

  /** Deletes this publisher's streams (tests use a unique prefix and clean up). */
  async deleteStreams(): Promise<void> {
    for (const domain of this.ensured) await this.jsm.streams.delete(this.streamName(domain)).catch(() => false);
    this.ensured.clear();
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}

function isStreamNotFound(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: string };
  return e?.api_error?.err_code === 10059 || /stream not found/i.test(e?.message ?? '');
}
