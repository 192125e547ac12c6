/**
 * The errors the SDK throws. Every failure the server answers becomes one of two typed errors:
 *  - CapillaryApiError: an RFC 9457 problem+json answer of the API (stable `code`, `detail`,
 *    the offending `field`), e.g. 422 consent_limit_exceeded, 403 consent_revoked, 429 rate_limited.
 *  - CapillaryOAuthError: an RFC 6749 error of the authorization server
 *    (`{"error":"invalid_grant","error_description":"…"}`), or of the authorization response
 *    the customer's browser brought back (access_denied, a state or issuer mismatch).
 * CapillaryNetworkError: no answer at all (connection refused, reset, timed out) after the retries.
 */
import type { Routes } from './generated/openapi.js';

/** The problem+json body, as the server's schema defines it. */
export type Problem = Routes['GET /open-banking/v1/accounts']['responses'][401]['content']['application/json'];

export class CapillaryError extends Error {
  override name = 'CapillaryError';
}

export class CapillaryApiError extends CapillaryError {
  override name = 'CapillaryApiError';
  /** The HTTP status. */
  readonly status: number;
  /** The stable machine code (docs/errors.md): consent_revoked, rate_limited, … */
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  /** The offending field (`body.amount_minor`), when the server named one. */
  readonly field: string | undefined;
  /** Every field problem, for validation errors. */
  readonly errors: { field: string; message: string }[];
  /** The server's request id: quote it when asking the bank about a failure. */
  readonly request_id: string | undefined;
  /** Seconds the server asked to wait (Retry-After), when it sent one. */
  readonly retry_after_s: number | undefined;
  readonly method: string;
  readonly path: string;
  /** The parsed body as received. */
  readonly body: unknown;

  constructor(input: { status: number; problem: Partial<Problem>; method: string; path: string; retry_after_s?: number | undefined; body?: unknown }) {
    const p = input.problem;
    const code = typeof p.code === 'string' ? p.code : `http_${input.status}`;
    const detail = typeof p.detail === 'string' ? p.detail : (p.title ?? `HTTP ${input.status}`);
    super(`${input.method} ${input.path}: ${input.status} ${code}: ${detail}`);
    this.status = input.status;
    this.code = code;
    this.title = typeof p.title === 'string' ? p.title : '';
    this.detail = detail;
    this.field = typeof p.field === 'string' ? p.field : undefined;
    this.errors = Array.isArray(p.errors) ? p.errors : [];
    this.request_id = typeof p.request_id === 'string' ? p.request_id : undefined;
    this.retry_after_s = input.retry_after_s;
    this.method = input.method;
    this.path = input.path;
    this.body = input.body ?? p;
  }
}

/**
 * An OAuth error: from the token, PAR, revocation or introspection endpoint (status is the
 * HTTP status), or from the authorization response (status 0: nothing was requested; `error`
 * is the server's, e.g. access_denied, or the SDK's own: state_mismatch, issuer_mismatch,
 * missing_code, missing_issuer).
 */
export class CapillaryOAuthError extends CapillaryError {
  override name = 'CapillaryOAuthError';
  readonly status: number;
  readonly error: string;
  readonly error_description: string | undefined;
  /** The endpoint that answered ('' for an authorization response). */
  readonly endpoint: string;

  constructor(input: { status: number; error: string; error_description?: string | undefined; endpoint: string }) {
    super(`${input.endpoint ? `${input.endpoint}: ` : 'authorization response: '}${input.error}${input.error_description ? `: ${input.error_description}` : ''}`);
    this.status = input.status;
    this.error = input.error;
    this.error_description = input.error_description;
    this.endpoint = input.endpoint;
  }
}

/** The server never answered (after every retry): the cause is the last network error. */
export class CapillaryNetworkError extends CapillaryError {
  override name = 'CapillaryNetworkError';
  readonly method: string;
  readonly path: string;
  readonly attempts: number;

  constructor(input: { method: string; path: string; attempts: number; cause: unknown }) {
    const reason = input.cause instanceof Error ? input.cause.message : String(input.cause);
    super(`${input.method} ${input.path}: no answer after ${input.attempts} attempt(s): ${reason}`, { cause: input.cause });
    this.method = input.method;
    this.path = input.path;
    this.attempts = input.attempts;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The typed error for a non-2xx answer: problem+json (or any JSON with a `code`) is a
 * CapillaryApiError; `{"error": …}` is a CapillaryOAuthError; anything else a
 * CapillaryApiError with code `http_<status>`.
 */
export function errorFromResponse(input: {
  status: number;
  content_type: string;
  body: unknown;
  method: string;
  path: string;
  retry_after_s?: number | undefined;
}): CapillaryApiError | CapillaryOAuthError {
  const { body } = input;
  if (isObject(body)) {
    if (typeof body.code === 'string' || /problem\+json/i.test(input.content_type)) {
      return new CapillaryApiError({ status: input.status, problem: body as Partial<Problem>, method: input.method, path: input.path, retry_after_s: input.retry_after_s, body });
    }
    if (typeof body.error === 'string') {
      return new CapillaryOAuthError({
        status: input.status,
        error: body.error,
        error_description: typeof body.error_description === 'string' ? body.error_description : undefined,
        endpoint: input.path,
      });
    }
  }
  const text = typeof body === 'string' && body.length > 0 ? body.slice(0, 200) : `HTTP ${input.status}`;
  return new CapillaryApiError({ status: input.status, problem: { detail: text }, method: input.method, path: input.path, retry_after_s: input.retry_after_s, body });
}
