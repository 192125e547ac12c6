/**
 * The token endpoint over HTTP: client credentials, the authorization-code flow with PKCE,
 * refresh-token rotation and reuse detection, consent-bound refresh tokens, DPoP-bound
 * tokens. Every refusal is an RFC 6749 error body and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../../test/helpers/app.js';
import { Client, expectProblem } from '../../test/helpers/http.js';
import {
  approveOnConsentPage,
  clientAuth,
  consentedCustomer,
  dpopKey,
  dpopProof,
  exchangeCode,
  makeConsent,
  makeCustomer,
  pkce,
  postForm,
  pushAuthorizationRequest,
  registerTestApp,
  type DpopKey,
  type TestPartner,
} from '../../test/helpers/openbanking.js';
import { getConsent, revokeConsent } from './consents-store.js';

let t: TestApp<ManualClock>;
let partner: TestPartner;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 3, 1, 8)) });
  partner = await registerTestApp(t, { name: 'Corner Shop' });
});
afterAll(async () => {
  await t?.close();
});

/** Calls a route that needs a customer's accounts-scope token (the introspection endpoint's view of it). */
async function introspect(client: TestPartner, token: string): Promise<any> {
  const auth = await clientAuth(t, client);
  const res = await postForm(t, '/oauth/introspect', { token, ...auth.fields }, auth.headers);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function refresh(client: TestPartner, refresh_token: string, extra: Record<string, string> = {}, dpop?: DpopKey) {
  const auth = await clientAuth(t, client);
  const headers = { ...auth.headers };
  if (dpop) headers.dpop = await dpopProof(t, dpop, 'POST', '/oauth/token');
  return postForm(t, '/oauth/token', { grant_type: 'refresh_token', refresh_token, ...extra, ...auth.fields }, headers);
}

function expectOAuthError(res: { status: number; body: any; headers: Headers; text: string }, status: number, error: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.body.error, res.text).toBe(error);
  expect(typeof res.body.error_description).toBe('string');
  expect(res.headers.get('cache-control')).toBe('no-store');
}

/** A pushed request, approved on the consent page: the code and its PKCE verifier. */
async function codeFor(client: TestPartner, options: { dpop?: DpopKey; consent_kind?: 'account_access' | 'payment_initiation' } = {}) {
  const customer = await makeCustomer(t);
  const consent_id = await makeConsent(t, client, { kind: options.consent_kind ?? 'account_access' });
  const challenge = pkce();
  const par = await pushAuthorizationRequest(
    t,
    client,
    { response_type: 'code', redirect_uri: client.redirect_uri, code_challenge: challenge.challenge, code_challenge_method: 'S256', consent_id, state: 's1' },
    options.dpop,
  );
  expect(par.status, par.text).toBe(201);
  const redirect = await approveOnConsentPage(t, client, par.body.request_uri, { customer });
  return { code: redirect.searchParams.get('code')!, verifier: challenge.verifier, consent_id, customer, redirect };
}

describe('client_credentials', () => {
  it('issues a 300 s Bearer token with the allowed scopes, or a narrower scope on request', async () => {
    const auth = await clientAuth(t, partner);
    const res = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', ...auth.fields }, auth.headers);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: partner.app.allowed_scopes.join(' ') });
    expect(res.body.refresh_token).toBeUndefined();

    const auth2 = await clientAuth(t, partner);
    const narrow = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', scope: 'payments', ...auth2.fields }, auth2.headers);
    expect(narrow.body.scope).toBe('payments');
    expect((await introspect(partner, narrow.body.access_token)).scope).toBe('payments');
  });

  it('refuses a scope the app is not allowed (invalid_scope), an unknown grant type, and no grant type', async () => {
    const limited = await registerTestApp(t, { scopes: ['accounts'] });
    let auth = await clientAuth(t, limited);
    expectOAuthError(await postForm(t, '/oauth/token', { grant_type: 'client_credentials', scope: 'payments', ...auth.fields }, auth.headers), 400, 'invalid_scope');
    auth = await clientAuth(t, limited);
    expectOAuthError(await postForm(t, '/oauth/token', { grant_type: 'password', ...auth.fields }, auth.headers), 400, 'unsupported_grant_type');
    auth = await clientAuth(t, limited);
    expectOAuthError(await postForm(t, '/oauth/token', { ...auth.fields }, auth.headers), 400, 'invalid_request');
  });

  it('refuses JSON bodies and duplicated parameters (invalid_request)', async () => {
    const auth = await clientAuth(t, partner);
    const json = await new Client(t.base).post('/oauth/token', { grant_type: 'client_credentials', ...auth.fields }, { token: null });
    expectOAuthError(json, 400, 'invalid_request');
    const auth2 = await clientAuth(t, partner);
    expectOAuthError(
      await postForm(t, '/oauth/token', { grant_type: ['client_credentials', 'client_credentials'], ...auth2.fields }, auth2.headers),
      400,
      'invalid_request',
    );
  });
});

describe('authorization_code with PKCE', () => {
  it('runs the whole flow: PAR → consent page → code with state and iss → tokens for the consent', async () => {
    const { customer, consent_id, tokens } = await consentedCustomer(t, partner);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'accounts', consent_id });
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const view = await introspect(partner, tokens.access_token);
    expect(view).toMatchObject({ active: true, sub: customer.customer_id, consent_id, client_id: partner.client_id, token_type: 'Bearer' });
    const consent = await getConsent(t.testDb.db, consent_id, t.clock.now());
    expect(consent).toMatchObject({ status: 'authorised', customer_id: customer.customer_id, account_ids: [customer.account_ids[0]] });
  });

  it('returns iss and state with the code (RFC 9207)', async () => {
    const { redirect } = await codeFor(partner);
    expect(redirect.origin + redirect.pathname).toBe(partner.redirect_uri);
    expect(redirect.searchParams.get('iss')).toBe(t.app.oauth.ctx.issuer());
    expect(redirect.searchParams.get('state')).toBe('s1');
    expect(redirect.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('PKCE mismatch: invalid_grant, and the code still works with the right verifier', async () => {
    const { code, verifier } = await codeFor(partner);
    const wrong = await exchangeCode(t, partner, code, pkce().verifier);
    expectOAuthError(wrong, 400, 'invalid_grant');
    expect(wrong.body.error_description).toMatch(/PKCE/);
    expectOAuthError(await exchangeCode(t, partner, code, 'short'), 400, 'invalid_grant');
    const right = await exchangeCode(t, partner, code, verifier);
    expect(right.status, right.text).toBe(200);
  });

  it('a replayed code is refused and revokes the tokens it issued (access and refresh)', async () => {
    const { code, verifier } = await codeFor(partner);
    const first = await exchangeCode(t, partner, code, verifier);
    expect(first.status).toBe(200);
    expect((await introspect(partner, first.body.access_token)).active).toBe(true);

    const replay = await exchangeCode(t, partner, code, verifier);
    expectOAuthError(replay, 400, 'invalid_grant');
    expect(replay.body.error_description).toMatch(/already used/);
    expect(await introspect(partner, first.body.access_token)).toEqual({ active: false });
    expect(await introspect(partner, first.body.refresh_token)).toEqual({ active: false });
    expectOAuthError(await refresh(partner, first.body.refresh_token), 400, 'invalid_grant');
  });

  it('a code expires after 60 s (ManualClock), and is refused for another client or another redirect_uri', async () => {
    const other = await registerTestApp(t);
    const a = await codeFor(partner);
    expectOAuthError(await exchangeCode(t, other, a.code, a.verifier), 400, 'invalid_grant');
    expectOAuthError(await exchangeCode(t, partner, a.code, a.verifier, { redirect_uri: 'https://shop.example/other' }), 400, 'invalid_grant');
    t.clock.advance(60_000);
    const late = await exchangeCode(t, partner, a.code, a.verifier);
    expectOAuthError(late, 400, 'invalid_grant');
    expect(late.body.error_description).toMatch(/expired/);
  });

  it('an unknown code is invalid_grant', async () => {
    expectOAuthError(await exchangeCode(t, partner, 'x'.repeat(43), pkce().verifier), 400, 'invalid_grant');
  });
});

describe('refresh_token', () => {
  it('rotates: each use returns a new refresh token and a new access token; the old refresh token is spent', async () => {
    const { tokens } = await consentedCustomer(t, partner);
    const r1 = await refresh(partner, tokens.refresh_token);
    expect(r1.status, r1.text).toBe(200);
    expect(r1.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(r1.body.access_token).not.toBe(tokens.access_token);
    expect(r1.body.scope).toBe('accounts');
    const r2 = await refresh(partner, r1.body.refresh_token);
    expect(r2.status, r2.text).toBe(200);
    expect((await introspect(partner, r2.body.access_token)).active).toBe(true);
  });

  it('reuse of a rotated refresh token is refused and revokes the whole family', async () => {
    const { tokens } = await consentedCustomer(t, partner);
    const r1 = await refresh(partner, tokens.refresh_token);
    expect(r1.status).toBe(200);
    const reuse = await refresh(partner, tokens.refresh_token);
    expectOAuthError(reuse, 400, 'invalid_grant');
    expect(reuse.body.error_description).toMatch(/already used/);
    // The legitimate holder's newer tokens are revoked too: an attacker may hold them.
    expectOAuthError(await refresh(partner, r1.body.refresh_token), 400, 'invalid_grant');
    expect(await introspect(partner, r1.body.access_token)).toEqual({ active: false });
    expect(await introspect(partner, tokens.access_token)).toEqual({ active: false });
  });

  it('stops working when the consent is revoked or expires', async () => {
    const a = await consentedCustomer(t, partner);
    const revoked = await revokeConsent(t.testDb.db, { id: a.consent_id, by: 'partner', actor_id: partner.client_id, now: t.clock.now() });
    expect(revoked.ok).toBe(true);
    const res = await refresh(partner, a.tokens.refresh_token);
    expectOAuthError(res, 400, 'invalid_grant');
    expect(res.body.error_description).toMatch(/revoked/);

    const b = await consentedCustomer(t, partner, { expires_in_ms: 3_600_000 });
    t.clock.advance(3_600_000);
    const late = await refresh(partner, b.tokens.refresh_token);
    expectOAuthError(late, 400, 'invalid_grant');
  });

  it('may narrow the scope but not widen it; refuses another client’s refresh token', async () => {
    const rich = await registerTestApp(t, { scopes: ['accounts', 'loans', 'envelopes'] });
    const { tokens } = await consentedCustomer(t, rich, { permissions: ['accounts:read', 'loans:apply'] });
    expect(tokens.scope).toBe('accounts loans');
    expectOAuthError(await refresh(rich, tokens.refresh_token, { scope: 'accounts envelopes' }), 400, 'invalid_scope');
    const narrowed = await refresh(rich, tokens.refresh_token, { scope: 'loans' });
    expect(narrowed.status, narrowed.text).toBe(200);
    expect(narrowed.body.scope).toBe('loans');
    expectOAuthError(await refresh(partner, narrowed.body.refresh_token), 400, 'invalid_grant');
  });
});

describe('DPoP-bound tokens (FAPI 2.0 sender-constrained)', () => {
  it('a client registered with dpop_bound_access_tokens must send a proof; its tokens are bound to the key', async () => {
    const bound = await registerTestApp(t, { dpop: true });
    const auth = await clientAuth(t, bound);
    const plain = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', ...auth.fields }, auth.headers);
    expectOAuthError(plain, 400, 'invalid_dpop_proof');

    const key = await dpopKey();
    const auth2 = await clientAuth(t, bound);
    const res = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', ...auth2.fields }, { ...auth2.headers, dpop: await dpopProof(t, key, 'POST', '/oauth/token') });
    expect(res.status, res.text).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    expect((await introspect(bound, res.body.access_token)).cnf).toEqual({ jkt: key.jkt });
  });

  it('binds the code at PAR and the tokens at the token endpoint; another key is refused (DPoP proof mismatch)', async () => {
    const bound = await registerTestApp(t, { dpop: true });
    const key = await dpopKey();
    const { code, verifier } = await codeFor(bound, { dpop: key });
    const thief = await dpopKey();
    const stolen = await exchangeCode(t, bound, code, verifier, { dpop: thief });
    expectOAuthError(stolen, 400, 'invalid_grant');
    expect(stolen.body.error_description).toMatch(/DPoP/);

    const res = await exchangeCode(t, bound, code, verifier, { dpop: key });
    expect(res.status, res.text).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    // The refresh token is bound too: another key cannot rotate it.
    expectOAuthError(await refresh(bound, res.body.refresh_token, {}, thief), 400, 'invalid_grant');
    const rotated = await refresh(bound, res.body.refresh_token, {}, key);
    expect(rotated.status, rotated.text).toBe(200);
    expect((await introspect(bound, rotated.body.access_token)).cnf).toEqual({ jkt: key.jkt });
  });

  it('refuses a bad proof at the token endpoint (wrong htu, replayed jti)', async () => {
    const key = await dpopKey();
    const auth = await clientAuth(t, partner);
    const wrongUrl = await dpopProof(t, key, 'POST', '/oauth/par');
    expectOAuthError(await postForm(t, '/oauth/token', { grant_type: 'client_credentials', ...auth.fields }, { ...auth.headers, dpop: wrongUrl }), 400, 'invalid_dpop_proof');
    const proof = await dpopProof(t, key, 'POST', '/oauth/token');
    const auth2 = await clientAuth(t, partner);
    expect((await postForm(t, '/oauth/token', { grant_type: 'client_credentials', ...auth2.fields }, { ...auth2.headers, dpop: proof })).status).toBe(200);
    const auth3 = await clientAuth(t, partner);
    expectOAuthError(await postForm(t, '/oauth/token', { grant_type: 'client_credentials', ...auth3.fields }, { ...auth3.headers, dpop: proof }), 400, 'invalid_dpop_proof');
  });
});

describe('the issued tokens elsewhere', () => {
  it('expire after 300 s, and are not API keys: operator routes refuse them (401 unauthorized)', async () => {
    const { tokens } = await consentedCustomer(t, partner);
    expect((await introspect(partner, tokens.access_token)).active).toBe(true);
    expectProblem(await new Client(t.base).get(`/v1/accounts/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`, { token: tokens.access_token }), 401, 'unauthorized');
    t.clock.advance(300_000);
    expect(await introspect(partner, tokens.access_token)).toEqual({ active: false });
  });
});
