/** The server's own write-path counters, read from its Prometheus metrics outside the timed part. */
import { fmtInt, fmtMs } from './stats.js';

export interface WriterCounters {
  batches: number;
  transfers: number;
  seconds: number;
}

/** The writer's batches during a measurement: how many, how full, how long. */
export interface WriterBatches {
  batches: number;
  mean_transfers: number;
  mean_ms: number;
}

export async function writerCounters(server: { url: string; token: string }): Promise<WriterCounters> {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const text = await response.text();
  const value = (name: string): number => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`/metrics has no ${name}`);
    return Number(match[1]);
  };
  return {
    batches: value('capillary_ledger_batch_transfers_count'),
    transfers: value('capillary_ledger_batch_transfers_sum'),
    seconds: value('capillary_ledger_batch_duration_seconds_sum'),
  };
}

export function writerBatches(before: WriterCounters, after: WriterCounters): WriterBatches {
  const batches = after.batches - before.batches;
  return {
    batches,
    mean_transfers: (after.transfers - before.transfers) / Math.max(1, batches),
    mean_ms: ((after.seconds - before.seconds) * 1000) / Math.max(1, batches),
  };
}

export const batchesText = (w: WriterBatches, unit = 'transfers'): string =>
  `writer: ${fmtInt(w.batches)} batches, mean ${fmtInt(w.mean_transfers)} ${unit}, ${fmtMs(w.mean_ms)} ms each`;
