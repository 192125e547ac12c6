/**
 * CapillaryClient: a partner app's handle on the bank.
 *
 *   const bank = new CapillaryClient({ baseUrl, clientId, auth: { method: 'private_key_jwt', privateKey, kid } });
 *   const consent = await bank.consents.create({ kind: 'payment_initiation', … });     // the app's own token
 *   const { url, ...pending } = await bank.oauth.authorize({ consent_id: consent.id, redirect_uri });
 *   // … the customer approves at `url`; the bank redirects to redirect_uri …
 *   const customer = bank.withCustomer(await bank.oauth.callback(callbackUrl, pending));
 *   await customer.payments.create({ creditor_account_id, amount_minor: '1250', currency: 'USD' });
 *
 * Every POST carries an Idempotency-Key (the same on each retry of the call); network
 * errors, 429 and 503 are retried with backoff (retry.ts); failures throw typed errors
 * (errors.ts).
 */
import { ClientAuthenticator, type ClientAuthConfig } from './client-auth.js';
import type { DpopSigner } from './dpop.js';
import { CapillaryError, errorFromResponse } from './errors.js';
import { uuidv4 } from './ids.js';
import { CustomerSession, OAuthClient, type TokenSet } from './oauth.js';
import {
  Accounts,
  BalancesApi,
  Consents,
  Envelopes,
  FundsConfirmations,
  LoanApplications,
  Payments,
  RiskChecks,
  Transactions,
  type CallOptions,
  type Caller,
  type RouteInput,
  type TokenKind,
} from './resources.js';
import { parseRetryAfter, type RetryPolicy } from './retry.js';
import { Transport, type RetryInfo } from './transport.js';
import type { Route, Success } from './types.js';

export interface CapillaryClientOptions {
  /** The bank's API and authorization server, e.g. https://bank.example (the OAuth issuer). */
  baseUrl: string;
  /** The app's client_id, from the bank's operator. */
  clientId: string;
  /** How the app authenticates to the authorization server. */
  auth: ClientAuthConfig;
  /** Sender-constrained tokens (DPoP): the app's DPoP key (DpopSigner.generate() / DpopSigner.from(…)). */
  dpop?: DpopSigner;
  /** Default redirect URI for oauth.authorize (one registered for the app). */
  redirectUri?: string;
  /** The expected issuer, when it differs from baseUrl. */
  issuer?: string;
  /** Scopes of the app's client-credentials token (default: every scope the app is allowed). */
  clientScopes?: string[];
  /** Retry policy (defaults in retry.ts: 3 retries, 200 ms base, 5 s cap, Retry-After up to 30 s). */
  retry?: Partial<RetryPolicy>;
  /** Deadline of one attempt (default 30 s). */
  timeoutMs?: number;
  onRetry?: (info: RetryInfo) => void;
  userAgent?: string;
  /** Replacements for tests: fetch, the backoff's random source and sleep, the clock, the key maker. */
  fetch?: typeof fetch;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  idempotencyKey?: () => string;
}

export interface CustomerOptions {
  /** Told the new tokens after every refresh (rotation): persist them, the old refresh token is dead. */
  onTokens?: (tokens: TokenSet) => void | Promise<void>;
}

interface Shared {
  transport: Transport;
  oauth: OAuthClient;
  dpop: DpopSigner | undefined;
  idempotencyKey: () => string;
}

export class CapillaryClient implements Caller {
  readonly oauth: OAuthClient;
  readonly consents: Consents;
  readonly accounts: Accounts;
  readonly balances: BalancesApi;
  readonly transactions: Transactions;
  readonly payments: Payments;
  readonly fundsConfirmations: FundsConfirmations;
  readonly envelopes: Envelopes;
  readonly loanApplications: LoanApplications;
  readonly riskChecks: RiskChecks;
  /** The customer's session when this client was made by withCustomer. */
  readonly customer: CustomerSession | undefined;
  private readonly shared: Shared;

  constructor(options: CapillaryClientOptions);
  /** @internal withCustomer's: the same transport and token cache, with a customer session. */
  constructor(options: { shared: Shared; customer: CustomerSession });
  constructor(options: CapillaryClientOptions | { shared: Shared; customer: CustomerSession }) {
    if ('shared' in options) {
      this.shared = options.shared;
      this.customer = options.customer;
    } else {
      if (!options.baseUrl) throw new CapillaryError('baseUrl is required');
      if (!options.clientId) throw new CapillaryError('clientId is required');
      const transport = new Transport({
        baseUrl: options.baseUrl,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.random ? { random: options.random } : {}),
        ...(options.sleep ? { sleep: options.sleep } : {}),
        ...(options.now ? { now: options.now } : {}),
        ...(options.userAgent ? { userAgent: options.userAgent } : {}),
        ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      });
      const oauth = new OAuthClient({
        transport,
        clientId: options.clientId,
        auth: new ClientAuthenticator(options.clientId, options.auth),
        dpop: options.dpop,
        issuer: options.issuer,
        redirectUri: options.redirectUri,
        clientScopes: options.clientScopes,
      });
      this.shared = { transport, oauth, dpop: options.dpop, idempotencyKey: options.idempotencyKey ?? uuidv4 };
      this.customer = undefined;
    }
    this.oauth = this.shared.oauth;
    this.consents = new Consents(this);
    this.accounts = new Accounts(this);
    this.balances = new BalancesApi(this);
    this.transactions = new Transactions(this);
    this.payments = new Payments(this);
    this.fundsConfirmations = new FundsConfirmations(this);
    this.envelopes = new Envelopes(this);
    this.loanApplications = new LoanApplications(this);
    this.riskChecks = new RiskChecks(this);
  }

  /**
   * A client acting for a customer under their consent: customer routes carry the customer's
   * token (refreshed with rotation when it nears expiry), app routes the app's own.
   */
  withCustomer(tokens: TokenSet | CustomerSession, options: CustomerOptions = {}): CapillaryClient {
    const session = tokens instanceof CustomerSession ? tokens : new CustomerSession(this.shared.oauth, tokens, options.onTokens);
    return new CapillaryClient({ shared: this.shared, customer: session });
  }

  /** Any open-banking route, typed by its "<METHOD> <path>" name (the groups use this). */
  async request<R extends Route>(route: R, input: RouteInput, options: CallOptions & { token: TokenKind }): Promise<Success<R>> {
    const space = route.indexOf(' ');
    const method = route.slice(0, space);
    const template = route.slice(space + 1);
    const path = template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      const value = input.path?.[name];
      if (value === undefined || value === '') throw new CapillaryError(`${route}: path parameter ${name} is missing`);
      return encodeURIComponent(value);
    });
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(input.query ?? {})) if (value !== undefined) query.append(name, String(value));
    const full = query.size > 0 ? `${path}?${query.toString()}` : path;

    const headers: Record<string, string> = {};
    if (input.body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST') headers['idempotency-key'] = options.idempotencyKey ?? this.shared.idempotencyKey();

    const useCustomer = options.token === 'customer' || (options.token === 'either' && this.customer !== undefined);
    if (options.token === 'customer' && !this.customer) {
      throw new CapillaryError(`${route} needs a customer's token: use client.withCustomer(tokens) after the consent flow`);
    }
    const tokenOf = (): Promise<TokenSet> => (useCustomer ? this.customer!.token(this.shared.transport.now()) : this.shared.oauth.clientToken());

    const res = await this.shared.transport.send({
      method,
      path: full,
      headers,
      ...(input.body !== undefined ? { body: JSON.stringify(input.body) } : {}),
      // GET and DELETE are safe to repeat; a POST carries its Idempotency-Key.
      resendable: true,
      nonceSlot: 'rs',
      ...(options.signal ? { signal: options.signal } : {}),
      authorize: async (ctx): Promise<{ headers: Record<string, string> }> => {
        const token = await tokenOf();
        if (token.token_type === 'DPoP') {
          if (!this.shared.dpop) throw new CapillaryError('the server issued a DPoP-bound token but the client has no DPoP key');
          const proof = await this.shared.dpop.proof({ method: ctx.method, url: ctx.url, accessToken: token.access_token, nonce: ctx.nonce, now_s: Math.floor(this.shared.transport.now() / 1000) });
          return { headers: { authorization: `DPoP ${token.access_token}`, dpop: proof } };
        }
        return { headers: { authorization: `Bearer ${token.access_token}` } };
      },
      onInvalidToken: async () => {
        if (!useCustomer) {
          this.shared.oauth.invalidateClientToken();
          return true;
        }
        if (!this.customer!.tokens.refresh_token) return false;
        await this.customer!.refresh();
        return true;
      },
    });
    if (res.status >= 200 && res.status < 300) return res.body as Success<R>;
    throw errorFromResponse({
      status: res.status,
      content_type: res.headers.get('content-type') ?? '',
      body: res.body,
      method,
      path,
      retry_after_s: parseRetryAfter(res.headers.get('retry-after'), this.shared.transport.now()),
    });
  }
}
