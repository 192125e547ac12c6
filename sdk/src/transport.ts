/**
 * One HTTP exchange with retries: sends a request (fetch), reads the answer, and sends it
 * again when retry.ts says so, waiting as it says. Headers other than authentication are
 * fixed for the whole exchange, so an Idempotency-Key is the same on every attempt; the
 * authentication headers are made again for each attempt (a DPoP proof is single use).
 * Two answers get one immediate resend that is not counted as a retry: a DPoP nonce the
 * server asks for (RFC 9449 §8, §9), and a 401 invalid_token when the caller can get a new
 * access token (the old one expired in flight).
 */
import { CapillaryError, CapillaryNetworkError } from './errors.js';
import { DEFAULT_RETRY, retryDecision, type RetryPolicy } from './retry.js';

export interface TransportOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  /** Deadline of one attempt (default 30 s); a timed-out attempt counts as a network error. */
  timeoutMs?: number;
  /** [0, 1) for the backoff jitter; tests pass their own. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  userAgent?: string;
  /** Told about every retry before its wait (logging, metrics). */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  method: string;
  path: string;
  /** The attempt that failed (1 = the first). */
  attempt: number;
  delay_ms: number;
  reason: string;
}

/** Which server a DPoP nonce belongs to: the authorization server or the resource server. */
export type NonceSlot = 'as' | 'rs';

export interface AuthContext {
  method: string;
  /** The absolute URL of the request, without query (a DPoP proof's htu). */
  url: string;
  /** The DPoP nonce the server last gave for this slot. */
  nonce: string | undefined;
}

export interface SendInput {
  method: string;
  /** Path and query, e.g. `/open-banking/v1/accounts?limit=10`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Authentication for one attempt: headers (Authorization, DPoP) and, for OAuth endpoints
   * whose client assertion is single use, the body (which then replaces `body`).
   */
  authorize?: (ctx: AuthContext) => Promise<{ headers?: Record<string, string>; body?: string }>;
  /** Called once on a 401 invalid_token: true when a fresh token was obtained and the request should be sent again. */
  onInvalidToken?: () => Promise<boolean>;
  /** Safe to send twice (GET, DELETE, a POST with an Idempotency-Key, a repeatable OAuth grant). */
  resendable: boolean;
  nonceSlot?: NonceSlot;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON for JSON answers, the text otherwise, undefined when empty. */
  body: unknown;
  /** Attempts made (1 = no retry). */
  attempts: number;
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Transport {
  readonly baseUrl: string;
  readonly retry: RetryPolicy;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  private readonly userAgent: string;
  private readonly onRetry: ((info: RetryInfo) => void) | undefined;
  private readonly nonces = new Map<NonceSlot, string>();

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
    this.userAgent = options.userAgent ?? 'capillary-sdk-js/0.1';
    this.onRetry = options.onRetry;
  }

  url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
  }

  nonce(slot: NonceSlot): string | undefined {
    return this.nonces.get(slot);
  }

  async send(input: SendInput): Promise<RawResponse> {
    const url = this.url(input.path);
    const htu = url.split('?')[0]!.split('#')[0]!;
    const slot = input.nonceSlot ?? 'rs';
    let attempt = 0;
    let nonceResent = false;
    let tokenResent = false;
    for (;;) {
      attempt++;
      if (input.signal?.aborted) throw input.signal.reason ?? new CapillaryError('aborted');
      let res: Response;
      let body: unknown;
      const auth = input.authorize ? await input.authorize({ method: input.method, url: htu, nonce: this.nonces.get(slot) }) : {};
      const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'user-agent': this.userAgent, ...input.headers, ...auth.headers };
      try {
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
        res = await this.fetchFn(url, { method: input.method, headers, body: auth.body ?? input.body, signal, redirect: 'manual' });
        body = await readBody(res);
      } catch (err) {
        if (input.signal?.aborted) throw input.signal.reason ?? err;
        const decision = retryDecision({ kind: 'network', error: err }, attempt, this.retry, { resendable: input.resendable, random: this.random, now_ms: this.now() });
        if (!decision.retry) throw new CapillaryNetworkError({ method: input.method, path: input.path, attempts: attempt, cause: err });
        this.onRetry?.({ method: input.method, path: input.path, attempt, delay_ms: decision.delay_ms, reason: decision.reason });
        await this.sleep(decision.delay_ms);
        continue;
      }

      const nonce = res.headers.get('dpop-nonce');
      const nonceChanged = nonce !== null && nonce !== this.nonces.get(slot);
      if (nonce !== null) this.nonces.set(slot, nonce);
      if (!nonceResent && nonceChanged && asksForNonce(res, body)) {
        nonceResent = true;
        attempt--; // the server asked for a nonce: not a failure
        continue;
      }
      if (!tokenResent && res.status === 401 && input.onInvalidToken && isInvalidToken(res, body) && (await input.onInvalidToken())) {
        tokenResent = true;
        attempt--;
        continue;
      }
      const code = typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string' ? (body as { code: string }).code : undefined;
      if (res.status >= 400) {
        const decision = retryDecision(
          { kind: 'response', status: res.status, code, retry_after: res.headers.get('retry-after') },
          attempt,
          this.retry,
          { resendable: input.resendable, random: this.random, now_ms: this.now() },
        );
        if (decision.retry) {
          this.onRetry?.({ method: input.method, path: input.path, attempt, delay_ms: decision.delay_ms, reason: decision.reason });
          await this.sleep(decision.delay_ms);
          continue;
        }
      }
      return { status: res.status, headers: res.headers, body, attempts: attempt };
    }
  }
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text.length === 0) return undefined;
  if (/json/i.test(res.headers.get('content-type') ?? '')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** RFC 9449: the AS answers 400 {"error":"use_dpop_nonce"}, the RS 401 with WWW-Authenticate error="use_dpop_nonce". */
function asksForNonce(res: Response, body: unknown): boolean {
  if (res.status === 400 && typeof body === 'object' && body !== null && (body as { error?: unknown }).error === 'use_dpop_nonce') return true;
  return res.status === 401 && /error="use_dpop_nonce"/.test(res.headers.get('www-authenticate') ?? '');
}

function isInvalidToken(res: Response, body: unknown): boolean {
  if (typeof body === 'object' && body !== null && (body as { code?: unknown }).code === 'invalid_token') return true;
  return /error="invalid_token"/.test(res.headers.get('www-authenticate') ?? '');
}
