/** What every scenario reports, and the sizes each run uses. */
import type { Anatomy } from './anatomy.js';
import type { CpuShares } from '../lib/cpu.js';
import type { WriterBatches } from '../lib/metrics.js';
import type { EngineName } from './options.js';

export type ScenarioKey =
  | 'wp_uniform'
  | 'wp_hot'
  | 'wp_uniform_pending'
  | 'wp_hot_pending'
  | 'wp_uniform_limits'
  | 'naive_uniform'
  | 'naive_hot'
  | 'raw'
  | 'http_batch'
  | 'http_single';

export interface ScenarioResult {
  key: ScenarioKey;
  engine: EngineName;
  label: string;
  /** Transfers measured (warm-up excluded). */
  transfers: number;
  seconds: number;
  transfers_per_s: number;
  latency?: { p50_ms: number; p99_ms: number; per: string };
  /** How the scenario ran: clients, batch fill, retries. */
  detail: string;
  cpu?: CpuShares;
  anatomy?: Anatomy;
  /** HTTP scenarios: connections kept busy by autocannon. */
  connections?: number;
  /** The writer's batches during the measurement (HTTP scenarios, from the server's metrics). */
  writer?: WriterBatches;
}

export type { WriterBatches };

export interface Sizes {
  accounts: number;
  write_path: number;
  naive: number;
  raw: number;
  http_batch: number;
  http_single_requests: number;
  /** Transfers per HTTP batch request. */
  http_batch_size: number;
  http_batch_connections: number;
  http_single_connections: number;
  /** Upper bound on one HTTP measurement; the run fails if it is hit. */
  http_time_max_ms: number;
}

export const NAIVE_CLIENTS = 16;
/** In-process requests: 19 of 431 fill one batch of exactly 8,189 (BATCH_SIZE_MAX). */
export const REQUEST_TRANSFERS = 431;
/**
 * Two batches' worth in flight: while one commits, the next waits full in the queue, and the
 * writer takes it the moment the first commits (before its clients can submit again).
 */
export const IN_FLIGHT_REQUESTS = 38;

export function sizesFor(engine: EngineName, quick: boolean, transfers: number | undefined): Sizes {
  if (quick) {
    return {
      accounts: 200,
      write_path: 2_000,
      naive: 300,
      raw: 2_000,
      http_batch: 4_000,
      http_single_requests: 500,
      http_batch_size: 500,
      http_batch_connections: 4,
      http_single_connections: 64,
      http_time_max_ms: 20_000,
    };
  }
  const n = transfers ?? (engine === 'postgres' ? 200_000 : 100_000);
  const http_batch_size = 4_094; // two requests fill a batch of 8,189
  return {
    accounts: 10_000,
    write_path: n,
    naive: Math.max(1_000, Math.round(n / 20)),
    raw: n,
    http_batch: Math.max(http_batch_size * 8, Math.ceil(n / http_batch_size) * http_batch_size),
    http_single_requests: Math.max(2_000, Math.round(n / 10)),
    http_batch_size,
    http_batch_connections: 4,
    http_single_connections: 64,
    http_time_max_ms: 300_000,
  };
}
