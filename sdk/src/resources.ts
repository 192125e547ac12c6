/**
 * The open-banking resource API, one group per resource, typed from the generated OpenAPI
 * types. Which token a call carries follows the route: the app's own (client credentials)
 * for consents and risk checks, the customer's (a consent's session) for accounts,
 * transactions, payments, funds confirmations, envelopes and loan applications.
 */
import { uuidv7 } from './ids.js';
import { paginate, pages, type IterateOptions, type Page } from './pagination.js';
import type { JsonBody, Query, Route, Success, WithOptional } from './types.js';

/** Per-call options. */
export interface CallOptions {
  /** The Idempotency-Key of a POST (default: a new UUID, the same on every retry of this call). */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export type TokenKind = 'client' | 'customer' | 'either';

export interface RouteInput {
  path?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

/** What the groups call: CapillaryClient.request. */
export interface Caller {
  request<R extends Route>(route: R, input: RouteInput, options: CallOptions & { token: TokenKind }): Promise<Success<R>>;
}

// ---- the types partners see, named --------------------------------------------------------

export type Consent = Success<'GET /open-banking/v1/consents/{id}'>;
export type ConsentsPage = Success<'GET /open-banking/v1/consents'>;
export type ConsentRequest = JsonBody<'POST /open-banking/v1/consents'>;
export type Account = Success<'GET /open-banking/v1/accounts/{id}'>;
export type Balances = Success<'GET /open-banking/v1/accounts/{id}/balances'>;
export type TransactionsPage = Success<'GET /open-banking/v1/accounts/{id}/transactions'>;
export type Transaction = TransactionsPage['data'][number];
export type TransactionQuery = Omit<Query<'GET /open-banking/v1/accounts/{id}/transactions'>, 'cursor'> & { cursor?: string };
export type Payment = Success<'GET /open-banking/v1/payments/{id}'>;
export type PaymentsPage = Success<'GET /open-banking/v1/payments'>;
export type PaymentRequest = WithOptional<JsonBody<'POST /open-banking/v1/payments'>, 'id'>;
export type FundsConfirmationRequest = JsonBody<'POST /open-banking/v1/funds-confirmations'>;
export type FundsConfirmation = Success<'POST /open-banking/v1/funds-confirmations'>;
export type Envelope = Success<'POST /open-banking/v1/envelopes'>;
export type EnvelopeRequest = WithOptional<JsonBody<'POST /open-banking/v1/envelopes'>, 'id'>;
export type GrabRequest = JsonBody<'POST /open-banking/v1/envelopes/{id}/grabs'>;
export type Grab = Success<'POST /open-banking/v1/envelopes/{id}/grabs'>;
export type LoanApplicationRequest = WithOptional<JsonBody<'POST /open-banking/v1/loan-applications'>, 'id'>;
export type LoanApplication = Success<'POST /open-banking/v1/loan-applications'>;
export type RiskCheckRequest = WithOptional<JsonBody<'POST /open-banking/v1/risk-checks'>, 'id'>;
export type RiskCheck = Success<'POST /open-banking/v1/risk-checks'>;

const withId = <T extends { id?: string }>(body: T): T & { id: string } => ({ ...body, id: body.id ?? uuidv7() });

// ---- groups --------------------------------------------------------------------------------

/** Consents, as the app asks for and manages them (client token). */
export class Consents {
  constructor(private readonly c: Caller) {}

  /** Asks for a consent; the customer then authorises it on the consent page (oauth.authorize). */
  create(body: ConsentRequest, options: CallOptions = {}): Promise<Consent> {
    return this.c.request('POST /open-banking/v1/consents', { body }, { ...options, token: 'client' });
  }

  get(id: string, options: CallOptions = {}): Promise<Consent> {
    return this.c.request('GET /open-banking/v1/consents/{id}', { path: { id } }, { ...options, token: 'client' });
  }

  /** One page of the app's consents, newest first. */
  list(query: { limit?: number; cursor?: string } = {}, options: CallOptions = {}): Promise<ConsentsPage> {
    return this.c.request('GET /open-banking/v1/consents', { query: { ...query } }, { ...options, token: 'client' });
  }

  /** Every consent of the app: `for await (const consent of client.consents.iterate())`. */
  iterate(options: IterateOptions & CallOptions = {}): AsyncGenerator<Consent, void, undefined> {
    const { pageSize, max, cursor, ...call } = options;
    return paginate((next) => this.list({ ...(pageSize ? { limit: pageSize } : {}), ...(next ? { cursor: next } : {}) }, call), {
      ...(max !== undefined ? { max } : {}),
      ...(cursor ? { cursor } : {}),
    });
  }

  /** Revokes the consent as the partner: its tokens stop working at once. */
  revoke(id: string, options: CallOptions = {}): Promise<Consent> {
    return this.c.request('DELETE /open-banking/v1/consents/{id}', { path: { id } }, { ...options, token: 'client' });
  }
}

/** Accounts the customer shared under the consent. */
export class Accounts {
  constructor(private readonly c: Caller) {}

  async list(options: CallOptions = {}): Promise<Account[]> {
    return (await this.c.request('GET /open-banking/v1/accounts', {}, { ...options, token: 'customer' })).data;
  }

  get(accountId: string, options: CallOptions = {}): Promise<Account> {
    return this.c.request('GET /open-banking/v1/accounts/{id}', { path: { id: accountId } }, { ...options, token: 'customer' });
  }

  balances(accountId: string, options: CallOptions = {}): Promise<Balances> {
    return this.c.request('GET /open-banking/v1/accounts/{id}/balances', { path: { id: accountId } }, { ...options, token: 'customer' });
  }
}

/** Balances of a shared account (the same call as accounts.balances). */
export class BalancesApi {
  constructor(private readonly c: Caller) {}

  get(accountId: string, options: CallOptions = {}): Promise<Balances> {
    return this.c.request('GET /open-banking/v1/accounts/{id}/balances', { path: { id: accountId } }, { ...options, token: 'customer' });
  }
}

/** Transactions of a shared account, newest first. */
export class Transactions {
  constructor(private readonly c: Caller) {}

  /** One page. */
  list(accountId: string, query: TransactionQuery = {}, options: CallOptions = {}): Promise<TransactionsPage> {
    return this.c.request('GET /open-banking/v1/accounts/{id}/transactions', { path: { id: accountId }, query: { ...query } }, { ...options, token: 'customer' });
  }

  /** Every page, fetched as it is consumed. */
  pages(accountId: string, query: Omit<TransactionQuery, 'cursor'> = {}, options: CallOptions & { cursor?: string } = {}): AsyncGenerator<Page<Transaction>, void, undefined> {
    return pages((cursor) => this.list(accountId, { ...query, ...(cursor ? { cursor } : {}) }, options), options.cursor);
  }

  /** Every transaction: `for await (const tx of client.transactions.iterate(accountId))`. */
  iterate(accountId: string, options: IterateOptions & Omit<TransactionQuery, 'cursor' | 'limit'> & CallOptions = {}): AsyncGenerator<Transaction, void, undefined> {
    const { pageSize, max, cursor, idempotencyKey, signal, ...filters } = options;
    const call: CallOptions = { ...(idempotencyKey ? { idempotencyKey } : {}), ...(signal ? { signal } : {}) };
    return paginate(
      (next) => this.list(accountId, { ...filters, ...(pageSize ? { limit: pageSize } : {}), ...(next ? { cursor: next } : {}) }, call),
      { ...(max !== undefined ? { max } : {}), ...(cursor ? { cursor } : {}) },
    );
  }
}

/** Payments from the consent's debtor account (payment_initiation consent). */
export class Payments {
  constructor(private readonly c: Caller) {}

  /**
   * Pays. `id` (default: a new UUID v7) makes the payment idempotent on its own: the same id
   * and body again answers the payment as it is. Status completed (201) or pending (202, held
   * for risk review: GET it later or wait for the webhook); a refusal throws CapillaryApiError.
   */
  create(body: PaymentRequest, options: CallOptions = {}): Promise<Payment> {
    return this.c.request('POST /open-banking/v1/payments', { body: withId(body) }, { ...options, token: 'customer' });
  }

  /** A payment's status (with the customer's token when the client has one, else the app's). */
  get(paymentId: string, options: CallOptions = {}): Promise<Payment> {
    return this.c.request('GET /open-banking/v1/payments/{id}', { path: { id: paymentId } }, { ...options, token: 'either' });
  }

  /** One page of the payments under one of the app's consents, newest first. */
  list(query: { consent_id: string; limit?: number; cursor?: string }, options: CallOptions = {}): Promise<PaymentsPage> {
    return this.c.request('GET /open-banking/v1/payments', { query: { ...query } }, { ...options, token: 'either' });
  }

  /** Every payment under the consent: `for await (const p of client.payments.iterate(consentId))`. */
  iterate(consentId: string, options: IterateOptions & CallOptions = {}): AsyncGenerator<Payment, void, undefined> {
    const { pageSize, max, cursor, ...call } = options;
    return paginate(
      (next) => this.list({ consent_id: consentId, ...(pageSize ? { limit: pageSize } : {}), ...(next ? { cursor: next } : {}) }, call),
      { ...(max !== undefined ? { max } : {}), ...(cursor ? { cursor } : {}) },
    );
  }
}

/** Is this amount available now? (funds_confirmation consent) */
export class FundsConfirmations {
  constructor(private readonly c: Caller) {}

  create(body: FundsConfirmationRequest, options: CallOptions = {}): Promise<FundsConfirmation> {
    return this.c.request('POST /open-banking/v1/funds-confirmations', { body }, { ...options, token: 'customer' });
  }
}

/** Red envelopes for the consenting customer. */
export class Envelopes {
  constructor(private readonly c: Caller) {}

  /** Sends one from the consent's debtor account (payment_initiation consent with envelopes:create). */
  create(body: EnvelopeRequest, options: CallOptions = {}): Promise<Envelope> {
    return this.c.request('POST /open-banking/v1/envelopes', { body: withId(body) }, { ...options, token: 'customer' });
  }

  /** Grabs a share into one of the customer's shared accounts (envelopes:grab). */
  grab(envelopeId: string, body: GrabRequest, options: CallOptions = {}): Promise<Grab> {
    return this.c.request('POST /open-banking/v1/envelopes/{id}/grabs', { path: { id: envelopeId }, body }, { ...options, token: 'customer' });
  }
}

/** Loan applications for the consenting customer (loans:apply), decided at once. */
export class LoanApplications {
  constructor(private readonly c: Caller) {}

  create(body: LoanApplicationRequest, options: CallOptions = {}): Promise<LoanApplication> {
    return this.c.request('POST /open-banking/v1/loan-applications', { body: withId(body) }, { ...options, token: 'customer' });
  }
}

/** The bank's risk decision on the app's own event (client token, scope risk). */
export class RiskChecks {
  constructor(private readonly c: Caller) {}

  create(body: RiskCheckRequest, options: CallOptions = {}): Promise<RiskCheck> {
    return this.c.request('POST /open-banking/v1/risk-checks', { body: withId(body) }, { ...options, token: 'client' });
  }
}
