/** The retry decisions, pure: what is retried, what never is, and how long the SDK waits. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, backoffDelay, parseRetryAfter, retryDecision, type AttemptOutcome } from '../src/index.js';

const NOW = Date.UTC(2026, 0, 1);
const decide = (outcome: AttemptOutcome, attempt = 1, resendable = true, random = () => 0.5) =>
  retryDecision(outcome, attempt, DEFAULT_RETRY, { resendable, random, now_ms: NOW });

describe('retryDecision', () => {
  it('retries 429 and 503, waiting exactly the Retry-After', () => {
    expect(decide({ kind: 'response', status: 429, code: 'rate_limited', retry_after: '2' })).toEqual({ retry: true, delay_ms: 2000, reason: 'status 429, Retry-After 2 s' });
    expect(decide({ kind: 'response', status: 503, retry_after: '1' })).toMatchObject({ retry: true, delay_ms: 1000 });
    // An HTTP-date Retry-After.
    expect(decide({ kind: 'response', status: 503, retry_after: new Date(NOW + 3000).toUTCString() })).toMatchObject({ retry: true, delay_ms: 3000 });
  });

  it('retries 429 and 503 even when the request must not be sent twice (the server did nothing)', () => {
    expect(decide({ kind: 'response', status: 429, retry_after: '1' }, 1, false)).toMatchObject({ retry: true });
    expect(decide({ kind: 'response', status: 503 }, 1, false)).toMatchObject({ retry: true });
  });

  it('without Retry-After, backs off exponentially with jitter', () => {
    const delays = [1, 2, 3].map((attempt) => (decide({ kind: 'response', status: 503 }, attempt) as { delay_ms: number }).delay_ms);
    // random 0.5 → three quarters of the cap: 200, 400, 800 ms caps.
    expect(delays).toEqual([150, 300, 600]);
  });

  it('never retries another 4xx, nor a 500', () => {
    for (const [status, code] of [
      [400, 'invalid_request'],
      [401, 'invalid_token'],
      [403, 'consent_revoked'],
      [404, 'payment_not_found'],
      [409, 'exists_with_different_fields'],
      [422, 'consent_limit_exceeded'],
      [422, 'idempotency_key_reused'],
      [500, 'internal_error'],
    ] as const) {
      expect(decide({ kind: 'response', status, code, retry_after: '1' }), `${status} ${code}`).toMatchObject({ retry: false });
    }
  });

  it('retries a 409 idempotency_request_in_progress (the first attempt is still running)', () => {
    expect(decide({ kind: 'response', status: 409, code: 'idempotency_request_in_progress', retry_after: '1' })).toMatchObject({ retry: true, delay_ms: 1000 });
  });

  it('retries network errors and gateway 502/504 only when the request may be sent twice', () => {
    expect(decide({ kind: 'network', error: new TypeError('fetch failed') })).toMatchObject({ retry: true, delay_ms: 150 });
    expect(decide({ kind: 'network', error: new TypeError('fetch failed') }, 1, false)).toMatchObject({ retry: false });
    expect(decide({ kind: 'response', status: 502 })).toMatchObject({ retry: true });
    expect(decide({ kind: 'response', status: 504 }, 1, false)).toMatchObject({ retry: false });
  });

  it('gives up after retries_max retries', () => {
    expect(decide({ kind: 'response', status: 503 }, DEFAULT_RETRY.retries_max)).toMatchObject({ retry: true });
    expect(decide({ kind: 'response', status: 503 }, DEFAULT_RETRY.retries_max + 1)).toMatchObject({ retry: false });
  });

  it('does not wait out a Retry-After longer than retry_after_max_ms', () => {
    expect(decide({ kind: 'response', status: 429, retry_after: String(DEFAULT_RETRY.retry_after_max_ms / 1000 + 1) })).toMatchObject({ retry: false });
  });
});

describe('backoffDelay', () => {
  it('stays between half and all of the capped exponential', () => {
    const policy = { ...DEFAULT_RETRY, base_delay_ms: 100, max_delay_ms: 1000 };
    for (let attempt = 1; attempt <= 8; attempt++) {
      const cap = Math.min(1000, 100 * 2 ** (attempt - 1));
      expect(backoffDelay(attempt, policy, () => 0)).toBe(cap / 2);
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBeLessThanOrEqual(cap);
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBeGreaterThan(cap * 0.99);
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7);
    expect(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});
