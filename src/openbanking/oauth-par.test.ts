/**
 * Pushed authorization requests (RFC 9126) and what they refuse before a customer sees a
 * page: unregistered redirect URIs, PKCE other than S256, foreign or settled consents,
 * scopes beyond the consent, DPoP key mismatches. Each is a clear RFC 6749 error, and no
 * request_uri is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../../test/helpers/app.js';
import { dpopKey, makeConsent, pkce, postForm, pushAuthorizationRequest, registerTestApp, type TestPartner } from '../../test/helpers/openbanking.js';
import { revokeConsent } from './consents-store.js';
import { findPushedRequest, PAR_LIFETIME_S, REQUEST_URI_PREFIX } from './oauth-par.js';

let t: TestApp<ManualClock>;
let partner: TestPartner;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 5, 1, 8)) });
  partner = await registerTestApp(t, { redirect_uris: ['https://shop.example/callback', 'https://shop.example/cb?tenant=7'] });
});
afterAll(async () => {
  await t?.close();
});

async function base(over: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    response_type: 'code',
    redirect_uri: partner.redirect_uri,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    consent_id: await makeConsent(t, partner),
    state: 'xyz',
    ...over,
  };
}

async function storedRequests(): Promise<number> {
  const { rows } = await t.testDb.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM oauth_par_requests');
  return Number(rows[0]!.n);
}

async function expectRefused(params: Record<string, string>, error: string, pattern?: RegExp, client = partner): Promise<void> {
  const before = await storedRequests();
  const res = await pushAuthorizationRequest(t, client, params);
  expect(res.status, res.text).toBe(400);
  expect(res.body.error, res.text).toBe(error);
  if (pattern) expect(res.body.error_description).toMatch(pattern);
  expect(await storedRequests()).toBe(before);
}

describe('POST /oauth/par', () => {
  it('stores the request and answers 201 with a request_uri and expires_in', async () => {
    const params = await base();
    const res = await pushAuthorizationRequest(t, partner, params);
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.expires_in).toBe(PAR_LIFETIME_S);
    expect(res.body.request_uri.startsWith(REQUEST_URI_PREFIX)).toBe(true);
    const stored = await findPushedRequest(t.app.oauth.ctx, res.body.request_uri);
    expect(stored?.params).toMatchObject({ client_id: partner.client_id, redirect_uri: partner.redirect_uri, scope: ['accounts'], state: 'xyz', consent_id: params.consent_id, dpop_jkt: null });
  });

  it('accepts every registered redirect URI exactly, query included', async () => {
    const res = await pushAuthorizationRequest(t, partner, await base({ redirect_uri: 'https://shop.example/cb?tenant=7' }));
    expect(res.status, res.text).toBe(201);
  });

  it('refuses a redirect URI that is not registered, compared exactly', async () => {
    for (const uri of ['https://evil.example/callback', 'https://shop.example/callback/', 'https://SHOP.example/callback', 'https://shop.example/callback?x=1', 'https://shop.example/cb?tenant=8']) {
      await expectRefused(await base({ redirect_uri: uri }), 'invalid_request', /not registered/);
    }
    await expectRefused(await base({ redirect_uri: '' }), 'invalid_request', /redirect_uri is required/);
  });

  it('requires PKCE with S256: plain is refused, as are a missing or malformed challenge', async () => {
    const verifier = pkce().verifier;
    await expectRefused(await base({ code_challenge_method: 'plain', code_challenge: verifier }), 'invalid_request', /plain/);
    await expectRefused(await base({ code_challenge_method: '' }), 'invalid_request', /S256 is required/);
    await expectRefused(await base({ code_challenge: '' }), 'invalid_request', /code_challenge is required/);
    await expectRefused(await base({ code_challenge: 'abc' }), 'invalid_request', /43-character/);
  });

  it('refuses another response_type, request objects, and request_uri', async () => {
    await expectRefused(await base({ response_type: 'token' }), 'unsupported_response_type');
    await expectRefused(await base({ request: 'eyJ.x.y' }), 'request_not_supported');
    await expectRefused(await base({ request_uri: `${REQUEST_URI_PREFIX}x` }), 'invalid_request');
  });

  it("refuses another client's consent, a revoked consent, and an unknown one", async () => {
    const other = await registerTestApp(t);
    const foreign = await makeConsent(t, other);
    await expectRefused(await base({ consent_id: foreign }), 'invalid_request', /no consent of this client/);
    const revoked = await makeConsent(t, partner);
    expect((await revokeConsent(t.testDb.db, { id: revoked, by: 'partner', actor_id: partner.client_id, now: t.clock.now() })).ok).toBe(true);
    await expectRefused(await base({ consent_id: revoked }), 'invalid_request', /revoked/);
    await expectRefused(await base({ consent_id: '00000000-0000-4000-8000-000000000000' }), 'invalid_request');
  });

  it('refuses a scope beyond the consent (invalid_scope)', async () => {
    await expectRefused(await base({ scope: 'accounts payments' }), 'invalid_scope', /payments/);
  });

  it('binds the code to a DPoP key (header or dpop_jkt) and refuses the two disagreeing', async () => {
    const key = await dpopKey();
    const res = await pushAuthorizationRequest(t, partner, await base(), key);
    expect(res.status, res.text).toBe(201);
    expect((await findPushedRequest(t.app.oauth.ctx, res.body.request_uri))?.params.dpop_jkt).toBe(key.jkt);

    const byParam = await pushAuthorizationRequest(t, partner, await base({ dpop_jkt: key.jkt }));
    expect((await findPushedRequest(t.app.oauth.ctx, byParam.body.request_uri))?.params.dpop_jkt).toBe(key.jkt);

    const other = await dpopKey();
    const before = await storedRequests();
    const mismatch = await pushAuthorizationRequest(t, partner, await base({ dpop_jkt: other.jkt }), key);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error).toBe('invalid_dpop_proof');
    expect(await storedRequests()).toBe(before);
  });

  it('requires client authentication (401 invalid_client)', async () => {
    const res = await postForm(t, '/oauth/par', { client_id: partner.client_id, ...(await base()) });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });
});
