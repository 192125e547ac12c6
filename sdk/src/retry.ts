/**
 * When to retry, and how long to wait: pure functions of the attempt's outcome, the attempt
 * number, the policy and a random source (tests pass their own), so every decision can be
 * unit-tested without a clock or a network.
 *
 * Retried: network errors (no answer: the connection failed, was reset or timed out) and a
 * gateway's 502/504 when the request is safe to send again (GET/DELETE, or a POST carrying its
 * Idempotency-Key); 429 rate_limited and 503 unavailable always (the server did nothing); 409
 * idempotency_request_in_progress (the first attempt is still running). Never: any other 4xx
 * (the request is wrong and stays wrong), 500 (a server bug), 2xx/3xx.
 * The wait: the server's Retry-After when it sent one (up to `retry_after_max_ms`; a longer
 * one is not waited out but thrown to the caller), otherwise exponential backoff with jitter:
 * a random delay between half and all of min(max_delay_ms, base_delay_ms × 2^(attempt−1)).
 */

export interface RetryPolicy {
  /** Retries after the first attempt (0: never retry). */
  retries_max: number;
  base_delay_ms: number;
  max_delay_ms: number;
  /** The longest Retry-After the SDK waits out; a longer one is returned to the caller as the error. */
  retry_after_max_ms: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  retries_max: 3,
  base_delay_ms: 200,
  max_delay_ms: 5_000,
  retry_after_max_ms: 30_000,
};

export type AttemptOutcome =
  | { kind: 'network'; error: unknown }
  | { kind: 'response'; status: number; code?: string | undefined; retry_after?: string | null | undefined };

export type RetryDecision = { retry: false; reason: string } | { retry: true; delay_ms: number; reason: string };

/** Statuses that say "not processed, try again later". */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Seconds from a Retry-After header (delta-seconds or an HTTP-date), or undefined. */
export function parseRetryAfter(value: string | null | undefined, now_ms: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now_ms) / 1000));
}

/** Exponential backoff with jitter for retry number `attempt` (1 = the first retry). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.max_delay_ms, policy.base_delay_ms * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/**
 * Decides after attempt number `attempt` (1 = the first request) whether to send again.
 * `resendable`: the request may be sent twice without doing twice what it asks (safe method,
 * or an Idempotency-Key, or an OAuth grant that may be repeated).
 */
export function retryDecision(
  outcome: AttemptOutcome,
  attempt: number,
  policy: RetryPolicy,
  options: { resendable: boolean; random: () => number; now_ms: number },
): RetryDecision {
  if (attempt > policy.retries_max) return { retry: false, reason: `gave up after ${attempt} attempts` };
  if (outcome.kind === 'network') {
    if (!options.resendable) return { retry: false, reason: 'network error on a request that must not be sent twice' };
    return { retry: true, delay_ms: backoffDelay(attempt, policy, options.random), reason: 'network error' };
  }
  const { status } = outcome;
  const in_progress = status === 409 && outcome.code === 'idempotency_request_in_progress';
  if (!RETRYABLE_STATUSES.has(status) && !in_progress) return { retry: false, reason: `status ${status} is not retried` };
  // 429 and 503 are the server refusing before doing anything; a gateway's 502/504 may come after the work was done.
  if ((status === 502 || status === 504) && !options.resendable) return { retry: false, reason: `status ${status} on a request that must not be sent twice` };
  const after_s = parseRetryAfter(outcome.retry_after, options.now_ms);
  if (after_s !== undefined) {
    const wait_ms = after_s * 1000;
    if (wait_ms > policy.retry_after_max_ms) return { retry: false, reason: `Retry-After ${after_s} s is longer than retry_after_max_ms` };
    return { retry: true, delay_ms: wait_ms, reason: `status ${status}, Retry-After ${after_s} s` };
  }
  return { retry: true, delay_ms: backoffDelay(attempt, policy, options.random), reason: `status ${status}` };
}
