/**
 * Rate-limit stores: where the buckets live. The in-process store (this file) is the
 * default; the Redis store (rate-limit-redis.ts) shares buckets between nodes.
 */
import { checkLimit, isFullAt, takeAll, type BucketLimit, type BucketState, type BucketTake, type TakeResult } from './rate-limit.js';

export interface BucketRequest {
  /** The bucket's name, e.g. `client:<client_id>`; stores add their own prefix. */
  key: string;
  limit: BucketLimit;
  cost: number;
}

export interface RateLimitStore {
  readonly kind: 'memory' | 'redis';
  /** Takes from every bucket or from none (see takeAll). */
  take(buckets: readonly BucketRequest[]): Promise<TakeResult>;
  close(): Promise<void>;
}

export const MEMORY_BUCKETS_MAX_DEFAULT = 100_000;
/** Idle (full again) buckets looked at and dropped per request, oldest first. */
const IDLE_SWEEP_PER_TAKE = 2;

interface Entry {
  limit: BucketLimit;
  state: BucketState;
}

/**
 * Buckets in a Map kept in least-recently-used order (a take moves its buckets to the end).
 * A bucket that has filled up again is the same as no bucket, so each take drops a few idle
 * ones from the front; when the map is still at `buckets_max`, the least recently used
 * bucket is dropped even if not full (that caller gets a fresh, full bucket: a small
 * leniency that keeps memory bounded whatever the callers do).
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly kind = 'memory';
  private readonly buckets = new Map<string, Entry>();

  constructor(
    private readonly now_ms: () => number,
    private readonly buckets_max = MEMORY_BUCKETS_MAX_DEFAULT,
  ) {
    if (!Number.isInteger(buckets_max) || buckets_max < 1) throw new Error(`buckets_max must be a positive integer, got ${buckets_max}`);
  }

  get size(): number {
    return this.buckets.size;
  }

  async take(requests: readonly BucketRequest[]): Promise<TakeResult> {
    return this.takeNow(requests);
  }

  /** Synchronous, so two takes in one process can never interleave. */
  takeNow(requests: readonly BucketRequest[]): TakeResult {
    const now = this.now_ms();
    const takes: BucketTake[] = requests.map((r) => {
      checkLimit(r.limit);
      const entry = this.buckets.get(r.key);
      // A changed limit (configuration reload) starts the bucket afresh.
      const same = entry && entry.limit.capacity === r.limit.capacity && entry.limit.refill_per_s === r.limit.refill_per_s;
      return { limit: r.limit, state: same ? entry.state : undefined, cost: r.cost };
    });
    const result = takeAll(takes, now);
    requests.forEach((r, i) => {
      this.buckets.delete(r.key);
      this.buckets.set(r.key, { limit: r.limit, state: result.states[i]! });
    });
    this.evict(now);
    return result;
  }

  private evict(now: number): void {
    let looked = 0;
    for (const [key, entry] of this.buckets) {
      if (looked++ >= IDLE_SWEEP_PER_TAKE && this.buckets.size <= this.buckets_max) break;
      if (isFullAt(entry.limit, entry.state, now) || this.buckets.size > this.buckets_max) this.buckets.delete(key);
    }
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}
