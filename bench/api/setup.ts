/**
 * The server and everything the workloads need, set up through HTTP only (never the
 * database): the admin key from `capillary keys create` (the CLI, as an operator makes the
 * first key), then `capillary serve` with rate limits set high, a plain API key, a bank, a
 * funded customer account and a merchant account (ledger routes), the customer and the
 * merchant (operator API), a live partner app (client_secret_basic), and an account-access
 * consent and a payment consent authorised by the customer through the real flow; for
 * "pay-many", more customers, each with a funded account and a payment consent authorised the
 * same way.
 */
import { randomBytes } from 'node:crypto';
import { uuidv7 } from '../../src/db/uuid.js';
import { CapillaryServer, createApiKey, type ServerStorage } from '../lib/capillary-server.js';
import { get, json } from './http.js';
import { askConsent, authorise, clientCredentials, refresh, type Partner, type Tokens } from './oauth.js';
import type { Fixture, Payer } from './workloads.js';

export const CURRENCY = 'USD';
/** What the customer's account is funded with: far more than any run can pay out (at most 9 minor units a request). */
export const FUNDING_MINOR = 1_000_000_000_000n;
/** The payment consent's limit: large enough never to be reached, so the limit check runs but never refuses. */
export const CONSENT_LIMIT_MINOR = 1_000_000_000_000n;
const ACCOUNT_CODES = { bank: 100, customer: 200, merchant: 300 } as const;
const FUNDING_TRANSFER_CODE = 1;
export const REDIRECT_URI = 'https://shop.example/callback';

/**
 * Rate limits high enough that the load is never throttled, set through the server's own
 * settings (src/server/config.ts): the buckets still exist and every request takes a token
 * from them (RateLimit-* headers on every answer), on both paths.
 */
export const RATE_LIMIT_PER_S = 1_000_000;
export const RATE_LIMIT_ENV: Record<string, string> = {
  RATE_LIMIT_CLIENT_PER_S: String(RATE_LIMIT_PER_S),
  RATE_LIMIT_CUSTOMER_PER_S: String(RATE_LIMIT_PER_S),
  RATE_LIMIT_KEY_PER_S: String(RATE_LIMIT_PER_S),
};

interface AccountJson {
  debits_posted: string;
  credits_posted: string;
  debits_pending: string;
  credits_pending: string;
}

export interface Balances {
  /** The payers' balances together. */
  payers: bigint;
  merchant: bigint;
}

/** A paying customer as the set-up made them, with their current tokens. */
interface PayerState {
  customer_id: string;
  account: string;
  consent_id: string;
  tokens: Tokens;
}

/** Authorisations through the consent page at once (each signs a customer in: a scrypt check). */
const AUTHORISE_IN_FLIGHT = 4;

async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

export class ApiSystem {
  private read: Tokens;
  readonly fixture: Fixture;

  private constructor(
    readonly server: CapillaryServer,
    private readonly admin_key: string,
    private readonly partner: Partner,
    readonly ids: { customer_id: string; customer_account: string; merchant_account: string; read_consent: string },
    plain_key: string,
    read: Tokens,
    private readonly one: PayerState,
    private readonly many: PayerState[],
  ) {
    this.read = read;
    const view = (p: PayerState): Payer => ({ customer_id: p.customer_id, account: p.account, consent_id: p.consent_id, token: () => p.tokens.access_token });
    this.fixture = {
      currency: CURRENCY,
      merchant_account: ids.merchant_account,
      plain_key,
      reader: { account: ids.customer_account, token: () => this.read.access_token },
      one: [view(one)],
      many: many.map(view),
    };
  }

  get url(): string {
    return this.server.url;
  }

  /**
   * The admin key first (PGlite lets one process open its folder), then the server, then the
   * set-up through HTTP: the main customer (an account-access and a payment consent) and
   * `crowd` more customers, each with a funded account and a payment consent of their own.
   */
  static async start(storage: ServerStorage, crowd: number, onServer: (server: CapillaryServer) => void, progress: (line: string) => void): Promise<ApiSystem> {
    const admin = await createApiKey(storage, 'bench-api-admin', ['admin']);
    const server = await CapillaryServer.start(storage, { ...RATE_LIMIT_ENV }, { on_spawn: onServer });
    const base = server.url;
    progress(`serving on ${base} (pid ${server.pid}); setting up through HTTP`);

    const { token: plain_key } = await json<{ token: string }>(base, admin, 'POST', '/v1/api-keys', 201, { name: 'bench-api-plain', scopes: ['ledger:read', 'ledger:write'] });

    const bank = uuidv7();
    const merchant_account = uuidv7();
    const payer_accounts = Array.from({ length: 1 + crowd }, () => uuidv7());
    const accounts = await json<{ results: Array<{ ok: boolean }> }>(base, admin, 'POST', '/v1/accounts', 200, [
      { id: bank, currency: CURRENCY, code: ACCOUNT_CODES.bank },
      { id: merchant_account, currency: CURRENCY, code: ACCOUNT_CODES.merchant },
      ...payer_accounts.map((id) => ({ id, currency: CURRENCY, code: ACCOUNT_CODES.customer, flags: { debits_must_not_exceed_credits: true } })),
    ]);
    if (!accounts.results.every((r) => r.ok)) throw new Error(`POST /v1/accounts: ${JSON.stringify(accounts.results.find((r) => !r.ok))}`);
    const funded = await json<{ results: Array<{ ok: boolean }> }>(
      base,
      admin,
      'POST',
      '/v1/transfers',
      200,
      payer_accounts.map((id) => ({ id: uuidv7(), debit_account_id: bank, credit_account_id: id, amount: FUNDING_MINOR.toString(), code: FUNDING_TRANSFER_CODE })),
    );
    if (!funded.results.every((r) => r.ok)) throw new Error(`POST /v1/transfers (funding): ${JSON.stringify(funded.results.find((r) => !r.ok))}`);

    const suffix = randomBytes(4).toString('hex');
    const logins = payer_accounts.map((account, i) => ({
      customer_id: i === 0 ? `bench-customer-${suffix}` : `bench-crowd-${suffix}-${i}`,
      password: randomBytes(18).toString('base64url'),
      account,
    }));
    const merchant_id = `bench-merchant-${suffix}`;
    for (const [i, c] of logins.entries()) {
      await json(base, admin, 'POST', '/v1/customers', 201, { id: c.customer_id, display_name: i === 0 ? 'Bench Customer' : `Bench Shopper ${i}`, mode: 'live', password: c.password });
      await json(base, admin, 'POST', `/v1/customers/${c.customer_id}/accounts`, 201, { account_id: c.account, nickname: 'Current account' });
    }
    await json(base, admin, 'POST', '/v1/customers', 201, { id: merchant_id, display_name: 'Bench Shop', mode: 'live' });
    await json(base, admin, 'POST', `/v1/customers/${merchant_id}/accounts`, 201, { account_id: merchant_account, nickname: 'Shop takings' });

    const app = await json<{ client_id: string; client_secret?: string }>(base, admin, 'POST', '/v1/partner-apps', 201, {
      name: 'Bench Shop checkout',
      mode: 'live',
      redirect_uris: [REDIRECT_URI],
      allowed_scopes: ['accounts', 'payments'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    if (!app.client_secret) throw new Error('POST /v1/partner-apps returned no client_secret for a client_secret_basic app');
    const partner: Partner = { client_id: app.client_id, client_secret: app.client_secret, redirect_uri: REDIRECT_URI };

    const client_token = await clientCredentials(base, partner, 'accounts payments');
    const expires_at = new Date(Date.now() + 86_400_000).toISOString();
    const paymentConsent = () =>
      askConsent(base, client_token, {
        kind: 'payment_initiation',
        permissions: ['payments:create'],
        expires_at,
        payment: { currency: CURRENCY, amount_limit_minor: CONSENT_LIMIT_MINOR.toString(), creditor_account_id: merchant_account },
      });
    const main = logins[0]!;
    const read_consent = await askConsent(base, client_token, { kind: 'account_access', permissions: ['accounts:read', 'balances:read'], expires_at });
    progress(
      `partner app ${partner.client_id}; the customer's consents: account access and a payment consent (limit ${CONSENT_LIMIT_MINOR}), ` +
        `and ${crowd} more customers with a payment consent each; authorising each: PAR → consent page (sign in, approve) → code → tokens`,
    );
    const read = await authorise(base, partner, read_consent, main, [main.account]);
    const payers = await inBatches(logins, AUTHORISE_IN_FLIGHT, async (c): Promise<PayerState> => {
      const consent_id = await paymentConsent();
      return { customer_id: c.customer_id, account: c.account, consent_id, tokens: await authorise(base, partner, consent_id, c, [c.account]) };
    });

    return new ApiSystem(
      server,
      admin,
      partner,
      { customer_id: main.customer_id, customer_account: main.account, merchant_account, read_consent },
      plain_key,
      read,
      payers[0]!,
      payers.slice(1),
    );
  }

  /** New access tokens for every consent (they live 300 s): called before every run. */
  async refreshTokens(): Promise<void> {
    this.read = await refresh(this.url, this.partner, this.read);
    await inBatches([this.one, ...this.many], 8, async (p) => {
      p.tokens = await refresh(this.url, this.partner, p.tokens);
    });
  }

  /** Posted balance of an account; no pending amounts may be left on it. */
  async balance(account_id: string): Promise<bigint> {
    const a = await json<AccountJson>(this.url, this.admin_key, 'GET', `/v1/accounts/${account_id}`, 200);
    if (a.debits_pending !== '0' || a.credits_pending !== '0') throw new Error(`account ${account_id} has pending amounts: ${JSON.stringify(a)}`);
    return BigInt(a.credits_posted) - BigInt(a.debits_posted);
  }

  /** The payers' balances together, and the merchant's. */
  async balances(payers: readonly Payer[]): Promise<Balances> {
    const [merchant, ...each] = await inBatches([this.ids.merchant_account, ...payers.map((p) => p.account)], 16, (id) => this.balance(id));
    return { payers: each.reduce((a, b) => a + b, 0n), merchant: merchant! };
  }

  /** Whether the ledger transfer exists (200) or not (404). */
  async transferExists(transfer_id: string): Promise<boolean> {
    const answer = await get(this.url, this.admin_key, `/v1/transfers/${transfer_id}`);
    if (answer.status === 200) return true;
    if (answer.status === 404) return false;
    throw new Error(`GET /v1/transfers/${transfer_id} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  }

  /** The payers' payment consents' amounts used so far, together, as staff see them. */
  async consentsUsed(payers: readonly Payer[]): Promise<bigint> {
    const used = await inBatches(payers, 16, async (p) => {
      const consent = await json<{ payment?: { amount_used_minor: string } }>(this.url, this.admin_key, 'GET', `/v1/consents/${p.consent_id}`, 200);
      if (!consent.payment) throw new Error(`GET /v1/consents/${p.consent_id} shows no payment terms`);
      return BigInt(consent.payment.amount_used_minor);
    });
    return used.reduce((a, b) => a + b, 0n);
  }

  async invariants(): Promise<{ ok: boolean; detail: string }> {
    const report = await json<{ ok: boolean; accounts_over_limit: unknown[]; accounts_not_matching_transfers: unknown[] }>(this.url, this.admin_key, 'GET', '/v1/ledger/invariants', 200);
    return {
      ok: report.ok === true,
      detail: `GET /v1/ledger/invariants: ok ${report.ok}, ${report.accounts_over_limit.length} accounts over limit, ${report.accounts_not_matching_transfers.length} not matching their transfers`,
    };
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
