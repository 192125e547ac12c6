/**
 * The SDK against the real server (startTestApp, PGlite or PostgreSQL): client credentials
 * with private_key_jwt and client_secret_basic, the consent flow (PAR, PKCE, the consent
 * page, the callback's state and iss checks, the code exchange), the resource API through
 * the typed methods, pagination, refresh with rotation, DPoP-bound tokens, typed errors,
 * Idempotency-Key replays, and retries of the server's own 503.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../../test/helpers/app.js';
import { approveOnConsentPage, registerTestApp, type TestPartner } from '../../test/helpers/openbanking.js';
import { fundedCustomer, postedBalance, type FundedCustomer } from '../../test/helpers/openbanking-data.js';
import { mustTransfer, transfer } from '../../test/helpers/ledger.js';
import { mustSaveProduct, smeProduct, strongBusiness } from '../../test/helpers/lending.js';
import type { Clock } from '../../src/server/clock.js';
import {
  CapillaryApiError,
  CapillaryClient,
  DpopSigner,
  collect,
  type CapillaryClientOptions,
  type ConsentRequest,
  type LoanApplicationRequest,
  type TokenSet,
} from '../src/index.js';

let t: TestApp<Clock>;
let partner: TestPartner;
let alice: FundedCustomer;
let merchant: FundedCustomer;

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

function sdkFor(p: TestPartner, over: Partial<CapillaryClientOptions> = {}): CapillaryClient {
  return new CapillaryClient({
    baseUrl: t.base,
    clientId: p.client_id,
    auth: p.auth === 'private_key_jwt' ? { method: 'private_key_jwt', privateKey: p.private_key!, kid: p.kid! } : { method: 'client_secret_basic', clientSecret: p.client_secret! },
    redirectUri: p.redirect_uri,
    ...over,
  });
}

/** The whole consent flow through the SDK, with the customer's browser driven over HTTP. */
async function consentFlow(bank: CapillaryClient, p: TestPartner, request: ConsentRequest, customer: FundedCustomer, account_ids = [customer.account_ids[0]!]): Promise<TokenSet> {
  const consent = await bank.consents.create(request);
  expect(consent.status).toBe('awaiting_authorisation');
  const auth = await bank.oauth.authorize({ consent_id: consent.id });
  expect(auth.url.startsWith(`${t.base}/oauth/authorize?`)).toBe(true);
  expect(new URL(auth.url).searchParams.get('request_uri')).toBe(auth.request_uri);
  const redirect = await approveOnConsentPage(t, p, auth.request_uri, { customer: { ...customer }, account_ids });
  const tokens = await bank.oauth.callback(redirect.href, auth);
  expect(tokens.consent_id).toBe(consent.id);
  expect(tokens.refresh_token).toBeTruthy();
  return tokens;
}

const paymentConsent = (limit: string): ConsentRequest => ({
  kind: 'payment_initiation',
  permissions: ['payments:create'],
  expires_at: inAnHour(),
  payment: { currency: 'USD', amount_limit_minor: limit, creditor_account_id: merchant.account_ids[0]! },
});

beforeAll(async () => {
  t = await startTestApp();
  partner = await registerTestApp(t, { name: 'SDK Shop' });
  merchant = await fundedCustomer(t, { funds: [0n] });
});

// A new payer per test: the consent page allows a customer 10 sign-ins at once, then one a minute.
beforeEach(async () => {
  alice = await fundedCustomer(t, { funds: [100_000n] });
});

afterAll(async () => {
  await t?.close();
});

describe('the SDK against the server', () => {
  it('gets client-credentials tokens with private_key_jwt and client_secret_basic, and asks for consents', async () => {
    const bank = sdkFor(partner);
    const metadata = await bank.oauth.metadata();
    expect(metadata.issuer).toBe(t.base);
    const consent = await bank.consents.create({ kind: 'account_access', permissions: ['accounts:read'], expires_at: inAnHour() });
    expect(await bank.consents.get(consent.id)).toMatchObject({ id: consent.id, status: 'awaiting_authorisation' });

    const basicApp = await registerTestApp(t, { auth: 'client_secret_basic', scopes: ['accounts'] });
    const basic = sdkFor(basicApp);
    const token = await basic.oauth.clientCredentials();
    expect(token).toMatchObject({ token_type: 'Bearer', scope: 'accounts' });
    expect(await basic.oauth.introspect(token.access_token)).toMatchObject({ active: true, client_id: basicApp.client_id });
    const other = await basic.consents.create({ kind: 'account_access', permissions: ['accounts:read'], expires_at: inAnHour() });
    // Another app's consent reads as absent.
    await expect(bank.consents.get(other.id)).rejects.toMatchObject({ name: 'CapillaryApiError', status: 404, code: 'consent_not_found' });

    // A wrong secret is the authorization server's invalid_client.
    const wrong = sdkFor({ ...basicApp, client_secret: 'not-it' });
    await expect(wrong.oauth.clientCredentials()).rejects.toMatchObject({ name: 'CapillaryOAuthError', status: 401, error: 'invalid_client' });
  });

  it('runs the consent flow and pays: the ledger moves by exactly the amount, over the limit is a typed error', async () => {
    const bank = sdkFor(partner);
    const tokens = await consentFlow(bank, partner, paymentConsent('5000'), alice);
    const customer = bank.withCustomer(tokens);
    const [aliceBefore, shopBefore] = [await postedBalance(t, alice.account_ids[0]!), await postedBalance(t, merchant.account_ids[0]!)];

    const paid = await customer.payments.create({ creditor_account_id: merchant.account_ids[0]!, amount_minor: '1250', currency: 'USD', reference: 'order 1' });
    expect(paid).toMatchObject({ status: 'completed', amount_minor: '1250', debtor_account_id: alice.account_ids[0], consent_id: tokens.consent_id });
    expect(await bank.payments.get(paid.id)).toMatchObject({ id: paid.id, status: 'completed' }); // the app's own token
    expect(await customer.payments.get(paid.id)).toMatchObject({ id: paid.id, status: 'completed' }); // the customer's

    const err = (await customer.payments
      .create({ creditor_account_id: merchant.account_ids[0]!, amount_minor: '4000', currency: 'USD' })
      .catch((e: unknown) => e)) as CapillaryApiError;
    expect(err).toBeInstanceOf(CapillaryApiError);
    expect(err).toMatchObject({ status: 422, code: 'consent_limit_exceeded' });
    expect(err.request_id).toBeTruthy();

    expect(await postedBalance(t, alice.account_ids[0]!)).toBe(aliceBefore - 1250n);
    expect(await postedBalance(t, merchant.account_ids[0]!)).toBe(shopBefore + 1250n);

    // The lists: the consent's payments (only the one made; the refused one was never stored), the app's consents.
    expect((await collect(bank.payments.iterate(tokens.consent_id!, { pageSize: 1 }))).map((p) => p.id)).toEqual([paid.id]);
    const consents = await collect(bank.consents.iterate({ pageSize: 2 }));
    expect(consents.map((c) => c.id)).toContain(tokens.consent_id);
    expect(new Set(consents.map((c) => c.client_id))).toEqual(new Set([partner.client_id]));
  });

  it('replays a POST with the same Idempotency-Key; the same key with another body is idempotency_key_reused', async () => {
    const bank = sdkFor(partner);
    const customer = bank.withCustomer(await consentFlow(bank, partner, paymentConsent('5000'), alice));
    const before = await postedBalance(t, alice.account_ids[0]!);
    const body = { id: randomUUID(), creditor_account_id: merchant.account_ids[0]!, amount_minor: '300', currency: 'USD' };
    const first = await customer.payments.create(body, { idempotencyKey: 'order-77' });
    const again = await customer.payments.create(body, { idempotencyKey: 'order-77' });
    expect(again).toEqual(first);
    const reused = await customer.payments.create({ ...body, id: randomUUID() }, { idempotencyKey: 'order-77' }).catch((e: unknown) => e);
    expect(reused).toMatchObject({ name: 'CapillaryApiError', status: 422, code: 'idempotency_key_reused' });
    expect(await postedBalance(t, alice.account_ids[0]!)).toBe(before - 300n);
  });

  it("retries the server's 503 with its Retry-After and the same Idempotency-Key, then gives up with the typed error", async () => {
    const sent: { key: string | null }[] = [];
    const sleeps: number[] = [];
    const counting: typeof fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.endsWith('/open-banking/v1/payments')) sent.push({ key: new Headers(init?.headers).get('idempotency-key') });
      return fetch(input, init);
    };
    const bank = sdkFor(partner, { fetch: counting, retry: { retries_max: 2 }, sleep: async (ms) => void sleeps.push(ms) });
    const customer = bank.withCustomer(await consentFlow(bank, partner, paymentConsent('5000'), alice));
    const before = await postedBalance(t, alice.account_ids[0]!);
    // Sandbox magic amount 503: the server answers 503 unavailable with Retry-After: 1 and stores nothing.
    const err = await customer.payments.create({ creditor_account_id: merchant.account_ids[0]!, amount_minor: '503', currency: 'USD' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CapillaryApiError', status: 503, code: 'unavailable', retry_after_s: 1 });
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((s) => s.key)).size).toBe(1);
    expect(sleeps).toEqual([1000, 1000]);
    expect(await postedBalance(t, alice.account_ids[0]!)).toBe(before);
  });

  it('reads accounts, balances and every transaction page by page', async () => {
    const bank = sdkFor(partner);
    const bob = await fundedCustomer(t, { funds: [10_000n] });
    for (let i = 0; i < 4; i++) await mustTransfer(t.api, transfer(bob.cash_id, bob.account_ids[0]!, 100 + i));
    const tokens = await consentFlow(
      bank,
      partner,
      { kind: 'account_access', permissions: ['accounts:read', 'balances:read', 'transactions:read'], expires_at: inAnHour() },
      bob,
    );
    const customer = bank.withCustomer(tokens);
    const accounts = await customer.accounts.list();
    expect(accounts.map((a) => a.account_id)).toEqual([bob.account_ids[0]]);
    expect(await customer.accounts.get(bob.account_ids[0]!)).toMatchObject({ currency: 'USD', currency_scale: 2 });
    const balances = await customer.balances.get(bob.account_ids[0]!);
    expect(balances).toMatchObject({ booked_minor: String(10_000 + 100 + 101 + 102 + 103), available_minor: String(10_406) });

    const amounts: string[] = [];
    for await (const tx of customer.transactions.iterate(bob.account_ids[0]!, { pageSize: 2 })) amounts.push(tx.amount_minor);
    expect(amounts).toEqual(['103', '102', '101', '100', '10000']); // newest first, across three pages
    const pages = await collect(customer.transactions.pages(bob.account_ids[0]!, { limit: 2 }));
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(await collect(customer.transactions.iterate(bob.account_ids[0]!, { pageSize: 2, max: 3 }))).toHaveLength(3);

    // An account the customer did not share is refused with the consent's code.
    await expect(customer.balances.get(alice.account_ids[0]!)).rejects.toMatchObject({ status: 403, code: 'consent_account_not_included' });
  });

  it('confirms funds under a funds_confirmation consent', async () => {
    const bank = sdkFor(partner);
    const customer = bank.withCustomer(
      await consentFlow(bank, partner, { kind: 'funds_confirmation', permissions: ['funds:confirm'], expires_at: inAnHour() }, alice),
    );
    expect(await customer.fundsConfirmations.create({ account_id: alice.account_ids[0]!, amount_minor: '100', currency: 'USD' })).toMatchObject({ funds_available: true });
    expect(await customer.fundsConfirmations.create({ account_id: alice.account_ids[0]!, amount_minor: '100000000', currency: 'USD' })).toMatchObject({ funds_available: false });
  });

  it('sends a red envelope and grabs a share under two customers\' consents', async () => {
    const bank = sdkFor(partner);
    const sender = bank.withCustomer(
      await consentFlow(bank, partner, { kind: 'payment_initiation', permissions: ['envelopes:create'], expires_at: inAnHour(), payment: { currency: 'USD', amount_limit_minor: '1000' } }, alice),
    );
    const before = await postedBalance(t, alice.account_ids[0]!);
    const envelope = await sender.envelopes.create({ total_amount: '600', share_count: 2, mode: 'equal', greeting: 'Happy new year' });
    expect(envelope).toMatchObject({ total_amount: '600', share_count: 2, funding_account_id: alice.account_ids[0] });
    expect(await postedBalance(t, alice.account_ids[0]!)).toBe(before - 600n);

    const carol = await fundedCustomer(t, { funds: [0n] });
    const grabber = bank.withCustomer(
      await consentFlow(bank, partner, { kind: 'account_access', permissions: ['accounts:read', 'envelopes:grab'], expires_at: inAnHour() }, carol),
    );
    const grab = await grabber.envelopes.grab(envelope.id, { account_id: carol.account_ids[0]!, link_token: envelope.link_token });
    expect(grab).toMatchObject({ account_id: carol.account_ids[0], amount: '300' });
    expect(await postedBalance(t, carol.account_ids[0]!)).toBe(300n);
  });

  it('applies for a loan for the consenting customer', async () => {
    await mustSaveProduct(t.admin, 'sme-sdk', smeProduct());
    const borrower = await fundedCustomer(t, { currency: 'CNY', funds: [0n] });
    const bank = sdkFor(partner);
    const customer = bank.withCustomer(
      await consentFlow(bank, partner, { kind: 'account_access', permissions: ['accounts:read', 'loans:apply'], expires_at: inAnHour() }, borrower),
    );
    const application = await customer.loanApplications.create({ account_id: borrower.account_ids[0]!, product_id: 'sme-sdk', amount: '5000000', term: 12, business: strongBusiness() as LoanApplicationRequest['business'] });
    expect(application).toMatchObject({ account_id: borrower.account_ids[0], status: 'approved' });
    expect(application.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('asks for a risk decision with the app token', async () => {
    const bank = sdkFor(partner);
    const check = await bank.riskChecks.create({ type: 'payment', customer_id: 'shopper-1', amount: '1250', currency: 'USD' });
    expect(['allow', 'step_up', 'review', 'block']).toContain(check.outcome);
    expect(check.replayed).toBe(false);
  });

  it('checks the callback: a wrong state or issuer is refused before any code exchange; a denial is access_denied', async () => {
    const bank = sdkFor(partner);
    const consent = await bank.consents.create(paymentConsent('100'));
    const auth = await bank.oauth.authorize({ consent_id: consent.id });
    const redirect = await approveOnConsentPage(t, partner, auth.request_uri, { customer: { ...alice } });
    expect(redirect.searchParams.get('iss')).toBe(t.base);

    const wrongState = await bank.oauth.callback(redirect.href, { ...auth, state: 'something-else' }).catch((e: unknown) => e);
    expect(wrongState).toMatchObject({ name: 'CapillaryOAuthError', error: 'state_mismatch', status: 0 });
    const forged = new URL(redirect.href);
    forged.searchParams.set('iss', 'https://evil.example');
    expect(await bank.oauth.callback(forged, auth).catch((e: unknown) => e)).toMatchObject({ error: 'issuer_mismatch' });
    const noIss = new URL(redirect.href);
    noIss.searchParams.delete('iss');
    expect(await bank.oauth.callback(noIss, auth).catch((e: unknown) => e)).toMatchObject({ error: 'missing_issuer' });
    // The code was never sent: it still works once.
    const tokens = await bank.oauth.callback(redirect, auth);
    expect(tokens.consent_id).toBe(consent.id);
    // A replayed code is the server's invalid_grant.
    expect(await bank.oauth.callback(redirect, auth).catch((e: unknown) => e)).toMatchObject({ name: 'CapillaryOAuthError', status: 400, error: 'invalid_grant' });

    const denied = await bank.consents.create(paymentConsent('100'));
    const auth2 = await bank.oauth.authorize({ consent_id: denied.id });
    const back = await approveOnConsentPage(t, partner, auth2.request_uri, { customer: { ...alice }, decision: 'deny' });
    expect(await bank.oauth.callback(back, auth2).catch((e: unknown) => e)).toMatchObject({ name: 'CapillaryOAuthError', error: 'access_denied' });
  });

  it('refreshes with rotation: the new refresh token is stored, the old one is refused', async () => {
    const bank = sdkFor(partner);
    const tokens = await consentFlow(bank, partner, paymentConsent('5000'), alice);
    const stored: TokenSet[] = [];
    // An access token that already counts as expired: the first call refreshes.
    const customer = bank.withCustomer({ ...tokens, expires_at: Date.now() }, { onTokens: (t) => void stored.push(t) });
    const paid = await customer.payments.create({ creditor_account_id: merchant.account_ids[0]!, amount_minor: '10', currency: 'USD' });
    expect(paid.status).toBe('completed');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.refresh_token).not.toBe(tokens.refresh_token);
    expect(stored[0]!.consent_id).toBe(tokens.consent_id);
    expect(customer.customer!.tokens.refresh_token).toBe(stored[0]!.refresh_token);
    await customer.customer!.refresh();
    expect(stored).toHaveLength(2);
    // The first refresh token was rotated away: presenting it again revokes the family.
    await expect(bank.oauth.refresh(tokens.refresh_token!)).rejects.toMatchObject({ name: 'CapillaryOAuthError', error: 'invalid_grant' });
    await expect(customer.customer!.refresh()).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes the grant: its tokens read as inactive and the session cannot refresh', async () => {
    const bank = sdkFor(partner);
    const tokens = await consentFlow(bank, partner, paymentConsent('5000'), alice);
    const customer = bank.withCustomer(tokens);
    expect(await bank.oauth.introspect(tokens.refresh_token!, 'refresh_token')).toMatchObject({ active: true });
    await customer.customer!.revoke();
    expect(await bank.oauth.introspect(tokens.refresh_token!, 'refresh_token')).toEqual({ active: false });
    expect(await bank.oauth.introspect(tokens.access_token)).toEqual({ active: false });
    // The revoked access token is refused (401); the SDK tries the refresh token once, which is refused too.
    const err = await customer.payments.create({ creditor_account_id: merchant.account_ids[0]!, amount_minor: '10', currency: 'USD' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CapillaryOAuthError', error: 'invalid_grant' });
  });

  it('a consent revoked by the partner stops the session with a typed error, and nothing moves', async () => {
    const bank = sdkFor(partner);
    const tokens = await consentFlow(bank, partner, paymentConsent('5000'), alice);
    const customer = bank.withCustomer(tokens);
    expect((await bank.consents.revoke(tokens.consent_id!)).status).toBe('revoked');
    const before = await postedBalance(t, alice.account_ids[0]!);
    const err = await customer.payments.create({ creditor_account_id: merchant.account_ids[0]!, amount_minor: '10', currency: 'USD' }).catch((e: unknown) => e);
    // The access token is still valid, but every call checks its consent first.
    expect(err).toBeInstanceOf(CapillaryApiError);
    expect(err).toMatchObject({ status: 403, code: 'consent_revoked' });
    expect(await postedBalance(t, alice.account_ids[0]!)).toBe(before);
  });

  it('with a DPoP key: the code and every token are bound to it, and calls carry fresh proofs', async () => {
    const dpopApp = await registerTestApp(t, { name: 'DPoP Shop', dpop: true });
    const dpop = await DpopSigner.generate();
    const bank = sdkFor(dpopApp, { dpop });
    const tokens = await consentFlow(bank, dpopApp, paymentConsent('5000'), alice);
    expect(tokens.token_type).toBe('DPoP');
    const customer = bank.withCustomer(tokens);
    const paid = await customer.payments.create({ creditor_account_id: merchant.account_ids[0]!, amount_minor: '20', currency: 'USD' });
    expect(paid.status).toBe('completed');
    expect(await bank.payments.get(paid.id)).toMatchObject({ status: 'completed' }); // a DPoP-bound client token too
    const introspected = await bank.oauth.introspect(tokens.access_token);
    expect(introspected).toMatchObject({ active: true, cnf: { jkt: await dpop.thumbprint() } });

    // The same tokens with another key are refused by the server.
    const thief = sdkFor(dpopApp, { dpop: await DpopSigner.generate() }).withCustomer({ ...tokens, refresh_token: undefined });
    await expect(thief.payments.get(paid.id)).rejects.toMatchObject({ status: 401, code: 'invalid_dpop_proof' });
    // A client without a DPoP key cannot get tokens for this app.
    await expect(sdkFor(dpopApp).oauth.clientCredentials()).rejects.toMatchObject({ error: 'invalid_dpop_proof' });
  });
});
