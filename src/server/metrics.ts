import client from 'prom-client';
import type { WriterObserver } from '../ledger/writer.js';
import type { EnvelopeObserver } from '../envelopes/service.js';

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
  return { registry, httpDuration, queueDepth, envelopeLanes, writerObserver, envelopeObserver };
}

export type Metrics = ReturnType<typeof createMetrics>;
