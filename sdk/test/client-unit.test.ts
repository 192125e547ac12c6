/**
 * The client's HTTP behaviour against a scripted bank (fake-bank.ts): Idempotency-Keys and
 * their reuse across retries, what is retried and what is not, typed errors from
 * problem+json and OAuth answers, token renewal, DPoP nonces, pagination.
 */
import { describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { CapillaryApiError, CapillaryNetworkError, CapillaryOAuthError, DpopSigner, collect, paginate, type TokenSet } from '../src/index.js';
import { BASE, FakeBank, problem } from './fake-bank.js';

const ACCOUNT = '0193b000-0000-7000-8000-00000000a001';
const payment = (id: string) => ({
  id,
  consent_id: 'c1',
  status: 'completed',
  reason_code: null,
  debtor_account_id: ACCOUNT,
  creditor_account_id: ACCOUNT,
  amount_minor: '1250',
  currency: 'USD',
  reference: null,
  transfer_id: 't1',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
});
const customerTokens = (over: Partial<TokenSet> = {}): TokenSet => ({
  access_token: 'customer-at-1',
  token_type: 'Bearer',
  expires_at: Date.now() + 300_000,
  scope: 'payments',
  refresh_token: 'rt-1',
  consent_id: 'c1',
  ...over,
});

describe('Idempotency-Key', () => {
  it('every POST carries one, and its retries carry the same one', async () => {
    const bank = new FakeBank();
    bank.on('POST /open-banking/v1/payments', [{ network: 'ECONNRESET' }, problem(503, 'unavailable'), problem(429, 'rate_limited', 'slow down'), { status: 201, json: payment('p1') }]);
    const customer = bank.client().withCustomer(customerTokens());
    const paid = await customer.payments.create({ creditor_account_id: ACCOUNT, amount_minor: '1250', currency: 'USD' });
    expect(paid.status).toBe('completed');
    const sent = bank.to('POST /open-banking/v1/payments');
    expect(sent).toHaveLength(4);
    const keys = sent.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    // The body (with its generated payment id) is the same on every attempt too.
    expect(new Set(sent.map((r) => r.body)).size).toBe(1);
    expect(JSON.parse(sent[0]!.body!).id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    // Two calls: two keys.
    bank.on('POST /open-banking/v1/payments', { status: 201, json: payment('p2') });
    await customer.payments.create({ creditor_account_id: ACCOUNT, amount_minor: '1250', currency: 'USD' });
    expect(bank.to('POST /open-banking/v1/payments')[4]!.headers['idempotency-key']).not.toBe(keys[0]);
  });

  it('a key given by the caller is the one sent; GETs carry none', async () => {
    const bank = new FakeBank();
    bank.on('POST /open-banking/v1/payments', { status: 201, json: payment('p1') });
    bank.on('GET /open-banking/v1/payments/p1', { status: 200, json: payment('p1') });
    const customer = bank.client().withCustomer(customerTokens());
    await customer.payments.create({ id: 'p1', creditor_account_id: ACCOUNT, amount_minor: '1', currency: 'USD' }, { idempotencyKey: 'order-42' });
    await customer.payments.get('p1');
    expect(bank.to('POST /open-banking/v1/payments')[0]!.headers['idempotency-key']).toBe('order-42');
    expect(bank.to('GET /open-banking/v1/payments/p1')[0]!.headers['idempotency-key']).toBeUndefined();
  });
});

describe('retries', () => {
  it('waits what Retry-After says, else backs off', async () => {
    const bank = new FakeBank();
    bank.on('GET /open-banking/v1/accounts', [problem(429, 'rate_limited'), { ...problem(429, 'rate_limited'), headers: { 'retry-after': '2' } }, { status: 200, json: { data: [] } }]);
    const retries: number[] = [];
    const customer = bank.client({ onRetry: (i) => retries.push(i.attempt) }).withCustomer(customerTokens());
    expect(await customer.accounts.list()).toEqual([]);
    expect(bank.sleeps).toEqual([150, 2000]);
    expect(retries).toEqual([1, 2]);
  });

  it('gives up after the policy\'s retries and throws the last answer', async () => {
    const bank = new FakeBank();
    bank.on('GET /open-banking/v1/accounts', [problem(503, 'unavailable'), problem(503, 'unavailable'), problem(503, 'unavailable')]);
    const customer = bank.client({ retry: { retries_max: 2 } }).withCustomer(customerTokens());
    const err = await customer.accounts.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapillaryApiError);
    expect(err).toMatchObject({ status: 503, code: 'unavailable' });
    expect(bank.to('GET /open-banking/v1/accounts')).toHaveLength(3);
  });

  it('never retries another 4xx', async () => {
    const bank = new FakeBank();
    bank.on('POST /open-banking/v1/payments', [problem(422, 'consent_limit_exceeded', 'over the limit', { field: 'body.amount_minor' }), { status: 201, json: payment('p') }]);
    const customer = bank.client().withCustomer(customerTokens());
    const err = await customer.payments.create({ creditor_account_id: ACCOUNT, amount_minor: '999999', currency: 'USD' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapillaryApiError);
    expect(err).toMatchObject({ status: 422, code: 'consent_limit_exceeded', detail: 'over the limit', field: 'body.amount_minor' });
    expect(bank.to('POST /open-banking/v1/payments')).toHaveLength(1);
    expect(bank.sleeps).toEqual([]);
  });

  it('a network error on every attempt is a CapillaryNetworkError naming the attempts', async () => {
    const bank = new FakeBank();
    bank.on('GET /open-banking/v1/accounts', [{ network: 'ECONNREFUSED' }, { network: 'ECONNREFUSED' }, { network: 'ECONNREFUSED' }, { network: 'ECONNREFUSED' }]);
    const customer = bank.client().withCustomer(customerTokens());
    const err = await customer.accounts.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapillaryNetworkError);
    expect(err).toMatchObject({ attempts: 4 });
    expect(bank.sleeps).toEqual([150, 300, 600]);
  });

  it('never sends an authorization code or a refresh token twice after a network error', async () => {
    const bank = new FakeBank();
    bank.on('POST /oauth/token', { network: 'ECONNRESET' });
    const client = bank.client();
    await expect(client.oauth.exchangeCode({ code: 'c', code_verifier: 'v'.repeat(43), redirect_uri: 'https://shop.test/cb' })).rejects.toBeInstanceOf(CapillaryNetworkError);
    expect(bank.to('POST /oauth/token')).toHaveLength(1);
    bank.on('POST /oauth/token', { network: 'ECONNRESET' });
    await expect(client.oauth.refresh('rt')).rejects.toBeInstanceOf(CapillaryNetworkError);
    expect(bank.to('POST /oauth/token')).toHaveLength(2);
    // Client credentials may be asked again.
    bank.on('POST /oauth/token', { network: 'ECONNRESET' });
    expect((await client.oauth.clientCredentials()).access_token).toMatch(/^token-/);
    expect(bank.to('POST /oauth/token')).toHaveLength(4);
  });
});

describe('errors', () => {
  it('problem+json becomes CapillaryApiError with status, code, detail, field, request id and Retry-After', async () => {
    const bank = new FakeBank();
    bank.on('POST /open-banking/v1/consents', {
      ...problem(400, 'invalid_request', 'body.expires_at: must be a date-time', { field: 'body.expires_at', errors: [{ field: 'body.expires_at', message: 'must be a date-time' }], request_id: 'req-1' }),
      headers: { 'retry-after': '5' },
    });
    const err = (await bank
      .client()
      .consents.create({ kind: 'account_access', permissions: ['accounts:read'], expires_at: 'tomorrow' })
      .catch((e: unknown) => e)) as CapillaryApiError;
    expect(err).toBeInstanceOf(CapillaryApiError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request', field: 'body.expires_at', request_id: 'req-1', retry_after_s: 5, method: 'POST', path: '/open-banking/v1/consents' });
    expect(err.errors).toEqual([{ field: 'body.expires_at', message: 'must be a date-time' }]);
    expect(err.message).toContain('invalid_request');
  });

  it('an answer that is not JSON is still a typed error', async () => {
    const bank = new FakeBank();
    bank.on('GET /open-banking/v1/accounts', { status: 418, text: 'teapot', headers: { 'content-type': 'text/plain' } });
    const err = await bank.client().withCustomer(customerTokens()).accounts.list().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CapillaryApiError', status: 418, code: 'http_418', detail: 'teapot' });
  });

  it('the token endpoint\'s RFC 6749 error becomes CapillaryOAuthError', async () => {
    const bank = new FakeBank();
    bank.on('POST /oauth/token', { status: 400, json: { error: 'invalid_grant', error_description: 'the refresh token was already used' } });
    const err = await bank.client().oauth.refresh('old').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapillaryOAuthError);
    expect(err).toMatchObject({ status: 400, error: 'invalid_grant', error_description: 'the refresh token was already used', endpoint: '/oauth/token' });
  });
});

describe('tokens', () => {
  it('the client token is fetched once, reused, and fetched again after a 401 invalid_token', async () => {
    const bank = new FakeBank();
    bank.on('GET /open-banking/v1/consents/c1', [{ status: 200, json: { id: 'c1' } }, { status: 200, json: { id: 'c1' } }, { ...problem(401, 'invalid_token'), headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }, { status: 200, json: { id: 'c1' } }]);
    const client = bank.client();
    await client.consents.get('c1');
    await client.consents.get('c1');
    expect(bank.tokensIssued).toBe(1);
    await client.consents.get('c1');
    expect(bank.tokensIssued).toBe(2);
    expect(bank.to('GET /open-banking/v1/consents/c1').map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
    // client_secret_basic on the token endpoint.
    expect(bank.to('POST /oauth/token')[0]!.headers.authorization).toBe(`Basic ${Buffer.from('shop:secret').toString('base64')}`);
  });

  it("a customer's expiring token is refreshed once for concurrent calls, and the rotated refresh token is kept", async () => {
    const bank = new FakeBank();
    bank.on('POST /oauth/token', { status: 200, json: { access_token: 'customer-at-2', token_type: 'Bearer', expires_in: 300, scope: 'accounts', refresh_token: 'rt-2', consent_id: 'c1' } });
    bank.on('GET /open-banking/v1/accounts', [{ status: 200, json: { data: [] } }, { status: 200, json: { data: [] } }]);
    const stored: TokenSet[] = [];
    const customer = bank.client().withCustomer(customerTokens({ expires_at: Date.now() + 1000 }), { onTokens: (t) => void stored.push(t) });
    await Promise.all([customer.accounts.list(), customer.accounts.list()]);
    const refreshes = bank.to('POST /oauth/token');
    expect(refreshes).toHaveLength(1);
    expect(new URLSearchParams(refreshes[0]!.body).get('refresh_token')).toBe('rt-1');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ access_token: 'customer-at-2', refresh_token: 'rt-2', consent_id: 'c1' });
    expect(customer.customer!.tokens.refresh_token).toBe('rt-2');
    expect(bank.to('GET /open-banking/v1/accounts').map((r) => r.headers.authorization)).toEqual(['Bearer customer-at-2', 'Bearer customer-at-2']);
  });

  it('a customer route without a customer session is refused before any request', async () => {
    const bank = new FakeBank();
    await expect(bank.client().accounts.list()).rejects.toThrow(/withCustomer/);
    expect(bank.requests).toHaveLength(0);
  });
});

describe('DPoP', () => {
  it('sends a fresh proof per attempt, with ath, and the nonce the server asks for', async () => {
    const bank = new FakeBank();
    const dpop = await DpopSigner.generate();
    bank.on('POST /oauth/token', [
      { status: 400, json: { error: 'use_dpop_nonce', error_description: 'nonce required' }, headers: { 'dpop-nonce': 'as-nonce-1' } },
      { status: 200, json: { access_token: 'bound-at', token_type: 'DPoP', expires_in: 300, scope: 'risk' } },
    ]);
    bank.on('POST /open-banking/v1/risk-checks', [
      { ...problem(401, 'invalid_dpop_proof'), headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'rs-nonce-1' } },
      { status: 201, json: { id: 'e1', decision_id: 'd1', outcome: 'allow', replayed: false, decided_at: '2026-01-01T00:00:00.000Z' } },
    ]);
    const client = bank.client({ dpop });
    const check = await client.riskChecks.create({ id: '0193b000-0000-7000-8000-0000000000e1', type: 'checkout', customer_id: 'u1' });
    expect(check.outcome).toBe('allow');

    const tokenCalls = bank.to('POST /oauth/token');
    expect(tokenCalls).toHaveLength(2);
    expect(decodeJwt(tokenCalls[0]!.headers.dpop!).nonce).toBeUndefined();
    expect(decodeJwt(tokenCalls[1]!.headers.dpop!)).toMatchObject({ htm: 'POST', htu: `${BASE}/oauth/token`, nonce: 'as-nonce-1' });

    const calls = bank.to('POST /open-banking/v1/risk-checks');
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.headers.authorization)).toEqual(['DPoP bound-at', 'DPoP bound-at']);
    const [first, second] = calls.map((c) => decodeJwt(c.headers.dpop!));
    expect(first!.jti).not.toBe(second!.jti);
    expect(second).toMatchObject({ htm: 'POST', htu: `${BASE}/open-banking/v1/risk-checks`, nonce: 'rs-nonce-1' });
    expect(typeof second!.ath).toBe('string');
    expect(decodeProtectedHeader(calls[1]!.headers.dpop!)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: dpop.publicJwk });
    // The same Idempotency-Key on the nonce resend.
    expect(calls[0]!.headers['idempotency-key']).toBe(calls[1]!.headers['idempotency-key']);
  });
});

describe('pagination', () => {
  it('iterates every transaction across pages, following next_cursor', async () => {
    const bank = new FakeBank();
    const tx = (n: number) => ({ transaction_id: `t${n}`, booked_at: '2026-01-01T00:00:00.000Z', direction: 'credit', amount_minor: String(n), currency: 'USD', status: 'booked', pending_id: null, counterparty_account_id: ACCOUNT, reference: null });
    bank.on('GET /open-banking/v1/accounts/a1/transactions', [
      { status: 200, json: { data: [tx(1), tx(2)], next_cursor: 'cur-2' } },
      { status: 200, json: { data: [tx(3), tx(4)], next_cursor: 'cur-4' } },
      { status: 200, json: { data: [tx(5)], next_cursor: null } },
    ]);
    const customer = bank.client().withCustomer(customerTokens());
    const ids: string[] = [];
    for await (const t of customer.transactions.iterate('a1', { pageSize: 2 })) ids.push(t.transaction_id);
    expect(ids).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(bank.to('GET /open-banking/v1/accounts/a1/transactions').map((r) => r.path)).toEqual([
      '/open-banking/v1/accounts/a1/transactions?limit=2',
      '/open-banking/v1/accounts/a1/transactions?limit=2&cursor=cur-2',
      '/open-banking/v1/accounts/a1/transactions?limit=2&cursor=cur-4',
    ]);
  });

  it('stops at max without fetching further pages, and refuses a cursor loop', async () => {
    let calls = 0;
    const fetchPage = async (cursor: string | undefined) => {
      calls++;
      return { data: [cursor ?? 'start', 'x'], next_cursor: 'same' };
    };
    expect(await collect(paginate(fetchPage, { max: 3 }))).toEqual(['start', 'x', 'same']);
    expect(calls).toBe(2);
    await expect(collect(paginate(fetchPage))).rejects.toThrow(/pagination loop/);
  });
});
