/**
 * Token buckets, pure: a bucket holds up to `capacity` tokens, gains `refill_per_s` tokens a
 * second, and each request takes `cost` tokens. Arithmetic is in integers: tokens are kept
 * in thousandths ("millitokens") and time in whole milliseconds, so `refill_per_s` tokens a
 * second is exactly `refill_per_s` millitokens a millisecond. The Redis store's Lua script
 * (rate-limit-redis.ts) does the same sums; keep the two in step.
 */

export const MILLI = 1000;
/** capacity × 1000 and elapsed × rate stay far below 2^53 with these bounds. */
export const CAPACITY_MAX = 1_000_000_000;
export const REFILL_PER_S_MAX = 1_000_000_000;

export interface BucketLimit {
  /** Most tokens the bucket holds: the burst a caller may send at once. */
  capacity: number;
  /** Tokens added per second, evenly (one every 1000 / refill_per_s ms). */
  refill_per_s: number;
}

export type LimitName = 'client' | 'customer' | 'key';

/** A bucket's limit, or null for no limit. */
export interface RateLimitSettings {
  client: BucketLimit | null;
  customer: BucketLimit | null;
  key: BucketLimit | null;
}

/** Defaults (README "Configuration"): the API-key limit is generous so ordinary use and the benchmarks never meet it. */
export const RATE_LIMIT_DEFAULTS: RateLimitSettings = {
  client: { capacity: 1000, refill_per_s: 500 },
  customer: { capacity: 40, refill_per_s: 20 },
  key: { capacity: 100_000, refill_per_s: 50_000 },
};

export interface BucketState {
  millitokens: number;
  /** When `millitokens` was last brought up to date (ms since the epoch). */
  updated_ms: number;
}

export interface BucketView {
  /** RateLimit-Limit: the capacity. */
  limit: number;
  /** RateLimit-Remaining: whole tokens left after this request. */
  remaining: number;
  /** RateLimit-Reset: seconds until the bucket is full again (0 when it is full). */
  reset_s: number;
  /** Seconds until `cost` tokens are there (0 when they are now): Retry-After on a 429. */
  retry_after_s: number;
}

export function checkLimit(limit: BucketLimit): void {
  const { capacity, refill_per_s } = limit;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > CAPACITY_MAX) throw new Error(`bucket capacity must be an integer from 1 to ${CAPACITY_MAX}, got ${capacity}`);
  if (!Number.isInteger(refill_per_s) || refill_per_s < 1 || refill_per_s > REFILL_PER_S_MAX) {
    throw new Error(`bucket refill_per_s must be an integer from 1 to ${REFILL_PER_S_MAX}, got ${refill_per_s}`);
  }
}

export function fullBucket(limit: BucketLimit, now_ms: number): BucketState {
  return { millitokens: limit.capacity * MILLI, updated_ms: now_ms };
}

/** Milliseconds an empty bucket needs to fill: past that, elapsed time adds nothing. */
export function msToFill(limit: BucketLimit, from_millitokens = 0): number {
  const missing = limit.capacity * MILLI - from_millitokens;
  return missing <= 0 ? 0 : Math.ceil(missing / limit.refill_per_s);
}

/**
 * The bucket at `now_ms`. A clock that went backwards adds nothing and does not move
 * `updated_ms` back, so refill is monotonic in time.
 */
export function refill(limit: BucketLimit, state: BucketState, now_ms: number): BucketState {
  const capacity_mt = limit.capacity * MILLI;
  const millitokens = Math.min(Math.max(state.millitokens, 0), capacity_mt);
  if (now_ms <= state.updated_ms) return { millitokens, updated_ms: state.updated_ms };
  const elapsed_ms = Math.min(now_ms - state.updated_ms, msToFill(limit));
  return { millitokens: Math.min(capacity_mt, millitokens + elapsed_ms * limit.refill_per_s), updated_ms: now_ms };
}

export interface BucketTake {
  limit: BucketLimit;
  /** Undefined for a bucket never seen (or evicted when it was full): it starts full. */
  state: BucketState | undefined;
  cost: number;
}

export interface TakeResult {
  allowed: boolean;
  /** The first bucket that had too few tokens, or -1. */
  denied_index: number;
  /** Each bucket after the request: taken from when allowed, only refilled when not. */
  states: BucketState[];
}

/**
 * Takes `cost` from every bucket, or from none: a request limited by several buckets (a
 * client's and its customer's) is allowed only when each has the tokens, and a refused
 * request spends nothing.
 */
export function takeAll(takes: readonly BucketTake[], now_ms: number): TakeResult {
  const refilled = takes.map((t) => refill(t.limit, t.state ?? fullBucket(t.limit, now_ms), now_ms));
  const denied_index = takes.findIndex((t, i) => refilled[i]!.millitokens < t.cost * MILLI);
  if (denied_index >= 0) return { allowed: false, denied_index, states: refilled };
  return { allowed: true, denied_index: -1, states: refilled.map((s, i) => ({ ...s, millitokens: s.millitokens - takes[i]!.cost * MILLI })) };
}

/** What the response headers say about a bucket after a request. */
export function viewOf(limit: BucketLimit, state: BucketState, cost: number): BucketView {
  const missing_for_cost = cost * MILLI - state.millitokens;
  return {
    limit: limit.capacity,
    remaining: Math.floor(state.millitokens / MILLI),
    reset_s: Math.ceil(msToFill(limit, state.millitokens) / 1000),
    retry_after_s: missing_for_cost <= 0 ? 0 : Math.max(1, Math.ceil(Math.ceil(missing_for_cost / limit.refill_per_s) / 1000)),
  };
}

/** A bucket that is full at `now_ms` carries no information and may be forgotten. */
export function isFullAt(limit: BucketLimit, state: BucketState, now_ms: number): boolean {
  return refill(limit, state, now_ms).millitokens >= limit.capacity * MILLI;
}
