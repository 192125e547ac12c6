/**
 * What every part of the authorization server shares: the database, the clock, the issuer
 * URL, the signing keys, the access-token service, the DPoP replay cache and a short cache
 * of partner apps; plus the form-body and RFC 6749 error helpers of its endpoints.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import type { RateLimitStore } from '../server/rate-limit-memory.js';
import type { PartnerApp } from './apps.js';
import { findApp } from './apps-store.js';
import type { Customer } from './customers.js';
import { signInCustomer } from './customers-store.js';
import { DpopReplayCache } from './oauth-dpop.js';
import { SigningKeys } from './oauth-keys.js';
import { AccessTokens } from './oauth-tokens.js';

/** Password sign-ins per customer id: this many at once… */
export const SIGN_IN_BURST = 10;
/** …then one per this many seconds. */
export const SIGN_IN_INTERVAL_S = 60;

export const PATHS = {
  authorize: '/oauth/authorize',
  authorize_login: '/oauth/authorize/login',
  authorize_decision: '/oauth/authorize/decision',
  par: '/oauth/par',
  token: '/oauth/token',
  revoke: '/oauth/revoke',
  introspect: '/oauth/introspect',
  jwks: '/oauth/jwks',
  consents: '/oauth/consents',
} as const;

/** A partner app as the authorization server reads it. */
export type OAuthApp = PartnerApp;

export class OAuthContext {
  readonly keys: SigningKeys;
  readonly tokens: AccessTokens;
  readonly dpop_replay = new DpopReplayCache();
  private readonly app_cache = new Map<string, { app: OAuthApp | undefined; until_ms: number }>();
  private readonly swept_at = new Map<string, number>();

  constructor(
    readonly db: Db,
    readonly clock: Clock,
    /** The issuer URL without a trailing slash (config PUBLIC_URL). */
    readonly issuer: () => string,
    /** How long the token guard trusts a partner app's status without reading it again. */
    private readonly app_cache_ttl_ms = 5_000,
    /** Where sign-in attempts are counted (the app's rate-limit store); none: not throttled. */
    private readonly limiter?: RateLimitStore,
  ) {
    this.keys = new SigningKeys(db, clock);
    this.tokens = new AccessTokens(db, clock, this.keys, issuer);
  }

  url(path: string): string {
    return `${this.issuer()}${path}`;
  }

  now(): Date {
    return this.clock.now();
  }

  /** The app, read fresh (token endpoint, consent page). */
  findApp(client_id: string): Promise<OAuthApp | undefined> {
    return findApp(this.db, client_id);
  }

  /** The app, cached for `app_cache_ttl_ms` (the access-token guard's hot path). */
  async cachedApp(client_id: string): Promise<OAuthApp | undefined> {
    const now_ms = this.clock.now().getTime();
    const hit = this.app_cache.get(client_id);
    if (hit && hit.until_ms > now_ms) return hit.app;
    const app = await this.findApp(client_id);
    if (this.app_cache.size >= 10_000) this.app_cache.clear();
    this.app_cache.set(client_id, { app, until_ms: now_ms + this.app_cache_ttl_ms });
    return app;
  }

  /**
   * Counts one password sign-in attempt for a customer id (consent page and consents page
   * alike): SIGN_IN_BURST attempts at once, then one per SIGN_IN_INTERVAL_S. Guessing one
   * customer's password is slowed to a crawl; the customer can still sign in after waiting.
   */
  async allowSignIn(customer_id: string): Promise<{ allowed: true } | { allowed: false; retry_after_s: number }> {
    if (!this.limiter) return { allowed: true };
    const limit = { capacity: SIGN_IN_BURST * SIGN_IN_INTERVAL_S, refill_per_s: 1 };
    const result = await this.limiter.take([{ key: `signin:${customer_id}`, limit, cost: SIGN_IN_INTERVAL_S }]);
    if (result.allowed) return { allowed: true };
    const missing_mt = SIGN_IN_INTERVAL_S * 1000 - (result.states[0]?.millitokens ?? 0);
    return { allowed: false, retry_after_s: Math.max(1, Math.ceil(missing_mt / 1000)) };
  }

  /**
   * A password sign-in from a page's form (the consent page and the consents page): the
   * per-customer throttle first, then the password. The failure carries the status and the
   * message the page shows, and `retry_after_s` for a throttled attempt.
   */
  async signIn(
    customer_id_field: string | undefined,
    password_field: string | undefined,
  ): Promise<{ ok: true; customer: Customer } | { ok: false; status: 401 | 429; message: string; customer_id: string; retry_after_s?: number }> {
    const customer_id = (customer_id_field ?? '').trim();
    const password = password_field ?? '';
    if (customer_id) {
      const throttle = await this.allowSignIn(customer_id);
      if (!throttle.allowed) {
        const message = `Too many sign-in attempts for this customer id. Try again in ${throttle.retry_after_s} seconds.`;
        return { ok: false, status: 429, message, customer_id, retry_after_s: throttle.retry_after_s };
      }
    }
    const customer = customer_id && password ? await signInCustomer(this.db, customer_id, password) : undefined;
    if (!customer) return { ok: false, status: 401, message: 'Wrong customer id or password.', customer_id };
    return { ok: true, customer };
  }

  /** Runs a housekeeping statement at most once a minute per process (expired rows). */
  async sweep(name: string, fn: () => Promise<unknown>): Promise<void> {
    const now_ms = this.clock.now().getTime();
    if (now_ms - (this.swept_at.get(name) ?? -Infinity) < 60_000) return;
    this.swept_at.set(name, now_ms);
    await fn();
  }

  /** Drops a cached app (after its status changed in this process). */
  forgetApp(client_id: string): void {
    this.app_cache.delete(client_id);
  }
}

/** A form body (application/x-www-form-urlencoded): every name with all its values. */
export type FormParams = Record<string, string[]>;

export const FORM_BYTES_MAX = 64 * 1024;

export function parseForm(body: string): FormParams {
  const out: FormParams = Object.create(null) as FormParams;
  for (const [name, value] of new URLSearchParams(body)) (out[name] ??= []).push(value);
  return out;
}

/** The parsed form of an OAuth endpoint's request; anything else is an invalid_request. */
export function formBody(req: FastifyRequest): FormParams {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const body = req.body;
  if (type !== 'application/x-www-form-urlencoded' || typeof body !== 'object' || body === null) {
    throw new OAuthError(400, 'invalid_request', 'send the parameters as application/x-www-form-urlencoded');
  }
  return body as FormParams;
}

export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

/**
 * One parameter's value: undefined when absent or empty (RFC 6749 §3.1: parameters sent
 * without a value are treated as omitted); more than one value is an invalid_request.
 */
export function single(params: FormParams, name: string): string | undefined {
  const values = params[name];
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) throw new OAuthError(400, 'invalid_request', `${name} is sent more than once`);
  return values[0] === '' ? undefined : values[0];
}

export function required(params: FormParams, name: string): string {
  const value = single(params, name);
  if (value === undefined) throw new OAuthError(400, 'invalid_request', `${name} is required`);
  return value;
}

/** Sends an RFC 6749 §5.2 error body; never cached. */
export function sendOAuthError(reply: FastifyReply, err: OAuthError): FastifyReply {
  for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
  return reply
    .status(err.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json')
    .send({ error: err.error, error_description: err.description });
}

/** Runs an OAuth endpoint's handler, turning OAuthError into the RFC 6749 error form. */
export function oauthEndpoint<T>(fn: () => Promise<T>, reply: FastifyReply): Promise<T | FastifyReply> {
  return fn().catch((err: unknown) => {
    if (err instanceof OAuthError) return sendOAuthError(reply, err);
    throw err;
  });
}

export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

export const splitScope = (scope: string | undefined): string[] => (scope ? scope.split(' ').filter((s) => s.length > 0) : []);
