/**
 * Mini-programs: the operator sets one on a partner app; the customer lists live ones, gets an
 * OAuth code for the partner through getAuthCode (exchanged at /oauth/token with PKCE), and pays
 * the registered merchant account through requestPayment; the files are served with the
 * sandboxing CSP. docs/mini-programs.md.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/http.js';
import { clientAuth, postForm, registerTestApp, type TestPartner } from '../helpers/openbanking.js';
import { fund, signUpCustomer, type SignedUp } from '../helpers/webauthn.js';
import type { AccountId } from '../../src/ledger/types.js';

let t: TestApp;
let shop: TestPartner;
let other: TestPartner;
let alice: SignedUp;
let bob: SignedUp;
let aliceAccount: string;
let bobAccount: string;
const merchant = randomUUID();

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const miniProgram = (over: Record<string, unknown> = {}) => ({
  slug: 'shop',
  name: 'Tea & Things',
  icon: 'icon.svg',
  entry_path: 'index.html',
  bridge_scopes: ['auth_code', 'payment'],
  merchant_account_id: merchant,
  ...over,
});
const balance = async (c: SignedUp) => (await c.me.get('/v1/me/accounts')).body.items[0].balance_minor as string;

beforeAll(async () => {
  t = await startTestApp();
  shop = await registerTestApp(t, { name: 'Tea & Things Ltd', mode: 'live', auth: 'client_secret_basic', scopes: ['accounts', 'payments', 'funds_confirmation'] });
  other = await registerTestApp(t, { name: 'Other', mode: 'live', auth: 'client_secret_basic', scopes: ['payments'] });
  await t.app.ledger.createAccounts([{ id: merchant as AccountId, currency: 'CNY', code: 2002, flags: 0, metadata: { name: 'Tea & Things merchant account' } }]);
  alice = await signUpCustomer(t.base, 'Alice', '+8613700000001');
  bob = await signUpCustomer(t.base, 'Bob', '+8613700000002');
  aliceAccount = (await alice.me.get('/v1/me/accounts')).body.items[0].id;
  bobAccount = (await bob.me.get('/v1/me/accounts')).body.items[0].id;
  await fund(t.app, aliceAccount, 50_000n);
});
afterAll(async () => t?.close());

describe('registry (operator)', () => {
  it('sets, replaces and reads a mini-program; refuses bad input and a taken slug', async () => {
    const set = await t.admin.put(`/v1/partner-apps/${shop.client_id}/mini-program`, miniProgram());
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ client_id: shop.client_id, slug: 'shop', entry_url: '/mini-programs/shop/index.html', bridge_scopes: ['auth_code', 'payment'], status: 'live' });
    expect((await t.admin.get(`/v1/partner-apps/${shop.client_id}/mini-program`)).body.name).toBe('Tea & Things');

    expectProblem(await t.admin.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram()), 409, 'mini_program_slug_taken', 'body.slug');
    expectProblem(await t.admin.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram({ slug: 'other', merchant_account_id: null })), 400, 'invalid_mini_program', 'body.merchant_account_id');
    expectProblem(await t.admin.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram({ slug: 'other', merchant_account_id: randomUUID() })), 400, 'invalid_mini_program', 'body.merchant_account_id');
    expectProblem(await t.admin.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram({ slug: 'other', entry_path: '../app/index.html' })), 400, 'invalid_mini_program', 'body.entry_path');
    expectProblem(await t.admin.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram({ slug: 'other', connect_origins: ['http://evil.example'] })), 400, 'invalid_mini_program', 'body.connect_origins[0]');
    expectProblem(await t.admin.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram({ slug: 'other', bridge_scopes: ['session'] })), 400, 'invalid_request');
    expectProblem(await t.admin.put('/v1/partner-apps/app_nope/mini-program', miniProgram({ slug: 'nope' })), 404, 'partner_app_not_found');
    expectProblem(await t.admin.get(`/v1/partner-apps/${other.client_id}/mini-program`), 404, 'mini_program_not_found');
    // An API key without openbanking:admin cannot set one; a customer session is not an API key.
    expect((await t.api.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram({ slug: 'other' }))).status).toBe(403);
    expect((await alice.me.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram({ slug: 'other' }))).status).toBe(401);
  });
});

describe('customer routes', () => {
  it('lists live mini-programs only, and needs a session', async () => {
    const list = await alice.me.get('/v1/me/mini-programs');
    expect(list.status, list.text).toBe(200);
    expect(list.body.items).toEqual([
      { client_id: shop.client_id, slug: 'shop', name: 'Tea & Things', partner_name: 'Tea & Things Ltd', icon_url: '/mini-programs/shop/icon.svg', entry_url: '/mini-programs/shop/index.html', bridge_scopes: ['auth_code', 'payment'] },
    ]);
    expectProblem(await alice.me.get('/v1/me/mini-programs', { token: null }), 401, 'unauthorized');
    // A sandbox app's mini-program is not shown to a live customer.
    const sandbox = await registerTestApp(t, { name: 'Sandboxed', mode: 'sandbox', auth: 'client_secret_basic' });
    expect((await t.admin.put(`/v1/partner-apps/${sandbox.client_id}/mini-program`, miniProgram({ slug: 'sandboxed' }))).status).toBe(200);
    expect((await alice.me.get('/v1/me/mini-programs')).body.items.map((m: { slug: string }) => m.slug)).toEqual(['shop']);
    expectProblem(await alice.me.post(`/v1/me/mini-programs/${sandbox.client_id}/payments`, { id: randomUUID(), from_account_id: aliceAccount, amount_minor: '1', currency: 'CNY', reference: 'x' }), 404, 'mini_program_not_found');
  });

  it('pays the registered merchant account, idempotently, and only from my own account', async () => {
    const body = { id: randomUUID(), from_account_id: aliceAccount, amount_minor: '12800', currency: 'CNY', reference: 'TT-ORDER-1' };
    const paid = await alice.me.post(`/v1/me/mini-programs/${shop.client_id}/payments`, body);
    expect(paid.status, paid.text).toBe(201);
    expect(paid.body).toMatchObject({ id: body.id, status: 'completed', amount_minor: '12800', currency: 'CNY', reference: 'TT-ORDER-1', payee_name: 'Tea & Things merchant account' });
    expect(await balance(alice)).toBe('37200');
    expect((await t.app.ledger.getAccount(merchant))!.credits_posted).toBe(12_800n);
    // The dashboards count it under the mini-program channel, not the app's own transfers.
    expect((await t.app.ledger.getTransfer(body.id))!.metadata).toMatchObject({ channel: 'mini_program' });
    const again = await alice.me.post(`/v1/me/mini-programs/${shop.client_id}/payments`, body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(paid.body);
    expectProblem(await alice.me.post(`/v1/me/mini-programs/${shop.client_id}/payments`, { ...body, reference: 'TT-ORDER-2' }), 409, 'exists_with_different_fields', 'id');
    expectProblem(await alice.me.post(`/v1/me/mini-programs/${shop.client_id}/payments`, { ...body, amount_minor: '1' }), 409, 'exists_with_different_fields', 'id');
    expect(await balance(alice)).toBe('37200');

    const history = await alice.me.get(`/v1/me/accounts/${aliceAccount}/transactions?limit=1`);
    expect(history.body.items[0]).toMatchObject({ transfer_id: body.id, direction: 'out', amount_minor: '12800', note: 'Tea & Things: TT-ORDER-1' });

    expectProblem(await bob.me.post(`/v1/me/mini-programs/${shop.client_id}/payments`, { ...body, id: randomUUID() }), 404, 'account_not_found', 'from_account_id');
    expectProblem(await bob.me.post(`/v1/me/mini-programs/${shop.client_id}/payments`, { ...body, id: randomUUID(), from_account_id: bobAccount }), 422, 'insufficient_funds', 'amount_minor');
    expectProblem(await alice.me.post(`/v1/me/mini-programs/${shop.client_id}/payments`, { ...body, id: randomUUID(), reference: '' }), 400, 'invalid_request');
    expectProblem(await alice.me.post(`/v1/me/mini-programs/${shop.client_id}/payments`, { ...body, id: randomUUID(), to: { account_id: bobAccount } }), 400, 'invalid_request');
    expect(await balance(alice)).toBe('37200');
    expect(await balance(bob)).toBe('0');
  });

  it('refuses a bridge action the mini-program is not registered for', async () => {
    expect((await t.admin.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram({ slug: 'other', bridge_scopes: [] }))).status).toBe(200);
    const { challenge } = pkce();
    expectProblem(await alice.me.post(`/v1/me/mini-programs/${other.client_id}/payments`, { id: randomUUID(), from_account_id: aliceAccount, amount_minor: '100', currency: 'CNY', reference: 'x' }), 403, 'bridge_scope_not_granted');
    expectProblem(await alice.me.post(`/v1/me/mini-programs/${other.client_id}/auth-code`, { scope: 'accounts', account_ids: [aliceAccount], code_challenge: challenge, code_challenge_method: 'S256' }), 403, 'bridge_scope_not_granted');
    // Hidden: not listed, and its bridge is closed.
    expect((await t.admin.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram({ slug: 'other', status: 'hidden' }))).status).toBe(200);
    expectProblem(await alice.me.post(`/v1/me/mini-programs/${other.client_id}/payments`, { id: randomUUID(), from_account_id: aliceAccount, amount_minor: '100', currency: 'CNY', reference: 'x' }), 404, 'mini_program_not_found');
    expect(await balance(alice)).toBe('37200');
  });

  it('getAuthCode: authorises a consent and returns a code the partner exchanges with PKCE, once', async () => {
    const { verifier, challenge } = pkce();
    const res = await alice.me.post(`/v1/me/mini-programs/${shop.client_id}/auth-code`, { scope: 'accounts', account_ids: [aliceAccount], code_challenge: challenge, code_challenge_method: 'S256' });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ redirect_uri: shop.redirect_uri, scope: 'accounts', expires_in: 60, code: expect.any(String), consent_id: expect.any(String) });

    const auth = await clientAuth(t, shop);
    const wrong = await postForm(t, '/oauth/token', { grant_type: 'authorization_code', code: res.body.code, code_verifier: pkce().verifier, redirect_uri: shop.redirect_uri, ...auth.fields }, auth.headers);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');

    const { verifier: v2, challenge: c2 } = pkce();
    const fresh = await alice.me.post(`/v1/me/mini-programs/${shop.client_id}/auth-code`, { scope: 'accounts', account_ids: [aliceAccount], code_challenge: c2, code_challenge_method: 'S256' });
    const token = await postForm(t, '/oauth/token', { grant_type: 'authorization_code', code: fresh.body.code, code_verifier: v2, redirect_uri: shop.redirect_uri, ...auth.fields }, auth.headers);
    expect(token.status, token.text).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', scope: 'accounts', consent_id: fresh.body.consent_id });
    const accounts = await t.api.get('/open-banking/v1/accounts', { token: token.body.access_token });
    expect(accounts.status, accounts.text).toBe(200);
    expect(JSON.stringify(accounts.body)).toContain(aliceAccount);
    const replay = await postForm(t, '/oauth/token', { grant_type: 'authorization_code', code: fresh.body.code, code_verifier: v2, redirect_uri: shop.redirect_uri, ...auth.fields }, auth.headers);
    expect(replay.status).toBe(400);
    void verifier;
  });

  it('getAuthCode: only my accounts, a registered redirect URI, a scope the app holds, S256', async () => {
    const { challenge } = pkce();
    const base = { scope: 'accounts', account_ids: [aliceAccount], code_challenge: challenge, code_challenge_method: 'S256' };
    const path = `/v1/me/mini-programs/${shop.client_id}/auth-code`;
    expectProblem(await bob.me.post(path, base), 422, 'consent_account_not_owned', 'body.account_ids');
    expectProblem(await alice.me.post(path, { ...base, redirect_uri: 'https://evil.example/cb' }), 400, 'invalid_request', 'body.redirect_uri');
    expectProblem(await alice.me.post(path, { ...base, code_challenge_method: 'plain' }), 400, 'invalid_request');
    expectProblem(await alice.me.post(path, { ...base, code_challenge: 'short' }), 400, 'invalid_request');
    expectProblem(await alice.me.post(path, { ...base, scope: 'payments' }), 400, 'invalid_request');
    const noScope = await registerTestApp(t, { name: 'Payments only', mode: 'live', auth: 'client_secret_basic', scopes: ['payments'] });
    expect((await t.admin.put(`/v1/partner-apps/${noScope.client_id}/mini-program`, miniProgram({ slug: 'payments-only', bridge_scopes: ['auth_code'], merchant_account_id: null }))).status).toBe(200);
    expectProblem(await alice.me.post(`/v1/me/mini-programs/${noScope.client_id}/auth-code`, base), 403, 'insufficient_scope', 'body.scope');
  });
});

describe('serving', () => {
  it('serves a mini-program with the sandboxing CSP, and nothing outside its folder', async () => {
    const page = await t.api.get('/mini-programs/shop/index.html', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain('sandbox allow-scripts allow-forms');
    expect(csp).not.toContain('allow-same-origin');
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect((await t.api.get('/mini-programs/shop/', { token: null })).status).toBe(200);
    expect((await t.api.get('/mini-programs/sdk/bridge.js', { token: null })).headers.get('content-type')).toContain('javascript');
    expect((await t.api.get('/mini-programs/shop/missing.js', { token: null })).status).toBe(404);
    expect((await t.api.get('/mini-programs/shop/..%2F..%2Fpackage.json', { token: null })).status).toBe(404);
    expect((await t.api.get('/mini-programs/shop/../../package.json', { token: null })).status).toBe(404);
    expect((await t.api.get('/mini-programs/Shop/index.html', { token: null })).status).toBe(404);
    // Registered connect origins reach the CSP.
    expect((await t.admin.put(`/v1/partner-apps/${other.client_id}/mini-program`, miniProgram({ slug: 'utility-bills', connect_origins: ['https://api.bills.example'] }))).status).toBe(200);
    const bills = await t.api.get('/mini-programs/utility-bills/index.html', { token: null });
    expect(bills.headers.get('content-security-policy')).toContain('connect-src https://api.bills.example');
  });
});
