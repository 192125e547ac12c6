import client from 'prom-client';
import type { WriterObserver } from '../ledger/writer.js';
import type { EnvelopeObserver } from '../envelopes/service.js';
import type { RelayLag, RelayObserver } from '../events/relay.js';

/** One registry per app instance, so tests can build several apps in one process. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpDuration = new client.Histogram({
    name: 'capillary_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const batchSize = new client.Histogram({
    name: 'capillary_ledger_batch_transfers',
    help: 'Transfers (and expiries) per write-path batch',
    buckets: [1, 4, 16, 64, 256, 1024, 4096, 8189],
    registers: [registry],
  });
  const batchDuration = new client.Histogram({
    name: 'capillary_ledger_batch_duration_seconds',
    help: 'Time to commit one write-path batch, including retries',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const batchRetries = new client.Counter({
    name: 'capillary_ledger_batch_retries_total',
    help: 'Batches run again after a conflict with another process',
    registers: [registry],
  });
  const queueDepth = new client.Gauge({
    name: 'capillary_ledger_queue_depth',
    help: 'Transfers waiting for the writer',
    registers: [registry],
  });
  const writerObserver: WriterObserver = {
    batchCommitted({ transfers, duration_ms, attempts }) {
      batchSize.observe(transfers);
      batchDuration.observe(duration_ms / 1000);
      if (attempts > 1) batchRetries.inc(attempts - 1);
    },
  };
  const envelopeGrabs = new client.Counter({
    name: 'capillary_envelope_grabs_total',
    help: 'Red-envelope grab answers by outcome: granted, replayed, or the error code',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const envelopeLanes = new client.Gauge({
    name: 'capillary_envelope_lanes',
    help: 'Red envelopes with an in-memory grab lane in this process',
    registers: [registry],
  });
  const envelopeObserver: EnvelopeObserver = {
    grabAnswered(outcome) {
      envelopeGrabs.labels(outcome).inc();
    },
  };
  const relayedEvents = new client.Counter({
    name: 'capillary_outbox_relayed_events_total',
    help: 'Outbox events handed on by this process, by consumer (webhooks, nats)',
    labelNames: ['consumer'] as const,
    registers: [registry],
  });
  const relayObserver: RelayObserver = {
    relayed(consumer, events) {
      relayedEvents.labels(consumer).inc(events);
    },
  };
  const relayGauges = watchRelayGauges(registry);
  return {
    registry,
    httpDuration,
    queueDepth,
    envelopeLanes,
    writerObserver,
    envelopeObserver,
    relayObserver,
    /** Where the relay gauges read from at each scrape (Events.relayLag). */
    watchRelays: relayGauges.watch,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Relay lag and backlog per consumer, read from the database when scraped rather than on
 * each relay tick: a scrape (every 15-60 s) is rarer than a relay pass (every 250 ms), every
 * node answers (only the lease holder runs passes), and a relay that has stopped still shows
 * its lag growing instead of its last value. Both gauges share one read per scrape: the
 * registry asks every metric at once, so the second collect finds the first's read in flight.
 * A read that fails (the database does not answer) leaves the gauges empty for that scrape
 * rather than failing the whole of /metrics.
 */
function watchRelayGauges(registry: client.Registry) {
  let read: (() => Promise<readonly RelayLag[]>) | undefined;
  let inFlight: Promise<readonly RelayLag[] | undefined> | undefined;
  const current = (): Promise<readonly RelayLag[] | undefined> => {
    if (!read) return Promise.resolve(undefined);
    inFlight ??= read()
      .catch(() => undefined)
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  const gauge = (name: string, help: string, value: (lag: RelayLag) => number) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['consumer'] as const,
      registers: [registry],
      async collect() {
        const lags = await current();
        this.reset(); // a consumer whose cursor is gone drops out
        for (const lag of lags ?? []) this.labels(lag.consumer).set(value(lag));
      },
    });
  gauge(
    'capillary_outbox_relay_lag_seconds',
    'Age of the oldest outbox event the consumer has not relayed yet (0 when caught up)',
    (l) => l.lag_seconds,
  );
  gauge(
    'capillary_outbox_backlog_events',
    'Outbox events after the consumer\'s cursor, plus late ones in its gaps: an upper bound (skipped seqs count)',
    (l) => l.backlog_events,
  );
  return {
    watch(source: () => Promise<readonly RelayLag[]>): void {
      read = source;
    },
  };
}
