/**
 * Revocation (RFC 7009) and introspection (RFC 7662) over HTTP: a client revokes and
 * inspects only its own tokens, and a revoked token is refused everywhere at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../../test/helpers/app.js';
import { clientAuth, clientToken, consentedCustomer, postForm, registerTestApp, type TestPartner } from '../../test/helpers/openbanking.js';
import { revokeConsent } from './consents-store.js';

let t: TestApp<ManualClock>;
let partner: TestPartner;
let other: TestPartner;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 7, 1, 8)) });
  partner = await registerTestApp(t);
  other = await registerTestApp(t, { auth: 'client_secret_basic' });
});
afterAll(async () => {
  await t?.close();
});

async function call(path: '/oauth/revoke' | '/oauth/introspect' | '/oauth/token', client: TestPartner, fields: Record<string, string>) {
  const auth = await clientAuth(t, client);
  return postForm(t, path, { ...fields, ...auth.fields }, auth.headers);
}
const introspect = async (client: TestPartner, token: string, hint?: string) => {
  const res = await call('/oauth/introspect', client, { token, ...(hint ? { token_type_hint: hint } : {}) });
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return res.body;
};
const refresh = async (client: TestPartner, refresh_token: string) => call('/oauth/token', client, { grant_type: 'refresh_token', refresh_token });

describe('POST /oauth/introspect', () => {
  it("describes the caller's own active tokens, access and refresh", async () => {
    const { customer, consent_id, tokens } = await consentedCustomer(t, partner);
    const access = await introspect(partner, tokens.access_token);
    expect(access).toMatchObject({ active: true, token_type: 'Bearer', scope: 'accounts', client_id: partner.client_id, sub: customer.customer_id, consent_id, iss: t.app.oauth.ctx.issuer() });
    expect(access.exp - access.iat).toBe(300);
    const refreshView = await introspect(partner, tokens.refresh_token, 'refresh_token');
    expect(refreshView).toMatchObject({ active: true, token_type: 'refresh_token', scope: 'accounts', client_id: partner.client_id, sub: customer.customer_id, consent_id });
  });

  it("says only active: false for another client's token, garbage, and tokens under a revoked consent", async () => {
    const { consent_id, tokens } = await consentedCustomer(t, partner);
    expect(await introspect(other, tokens.access_token)).toEqual({ active: false });
    expect(await introspect(other, tokens.refresh_token)).toEqual({ active: false });
    expect(await introspect(partner, 'garbage')).toEqual({ active: false });
    expect((await revokeConsent(t.testDb.db, { id: consent_id, by: 'customer', actor_id: (await introspect(partner, tokens.access_token)).sub, now: t.clock.now() })).ok).toBe(true);
    expect(await introspect(partner, tokens.access_token)).toEqual({ active: false });
    expect(await introspect(partner, tokens.refresh_token)).toEqual({ active: false });
  });

  it('requires client authentication and a token', async () => {
    const res = await postForm(t, '/oauth/introspect', { token: 'x', client_id: partner.client_id });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    const missing = await call('/oauth/introspect', partner, {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
  });
});

describe('POST /oauth/revoke', () => {
  it('revokes an access token at once (introspection and the guard both refuse it)', async () => {
    const token = await clientToken(t, partner);
    expect((await introspect(partner, token)).active).toBe(true);
    const res = await call('/oauth/revoke', partner, { token, token_type_hint: 'access_token' });
    expect(res.status, res.text).toBe(200);
    expect(res.text).toBe('');
    expect(await introspect(partner, token)).toEqual({ active: false });
    const verified = await t.app.oauth.ctx.tokens.verify(token);
    expect(verified).toMatchObject({ ok: false, description: expect.stringMatching(/revoked/) });
  });

  it('revoking a refresh token revokes its family and the access tokens issued with it', async () => {
    const { tokens } = await consentedCustomer(t, partner);
    const rotated = await refresh(partner, tokens.refresh_token);
    expect(rotated.status, rotated.text).toBe(200);
    const res = await call('/oauth/revoke', partner, { token: rotated.body.refresh_token });
    expect(res.status).toBe(200);
    expect(await introspect(partner, rotated.body.refresh_token)).toEqual({ active: false });
    expect(await introspect(partner, rotated.body.access_token)).toEqual({ active: false });
    const again = await refresh(partner, rotated.body.refresh_token);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });

  it("answers 200 for another client's token but does not revoke it; 200 for unknown tokens", async () => {
    const token = await clientToken(t, partner);
    const { tokens } = await consentedCustomer(t, partner);
    expect((await call('/oauth/revoke', other, { token })).status).toBe(200);
    expect((await call('/oauth/revoke', other, { token: tokens.refresh_token })).status).toBe(200);
    expect((await introspect(partner, token)).active).toBe(true);
    expect((await introspect(partner, tokens.refresh_token)).active).toBe(true);
    expect((await call('/oauth/revoke', partner, { token: 'unknown' })).status).toBe(200);
  });

  it('requires client authentication and a token', async () => {
    const res = await postForm(t, '/oauth/revoke', { token: 'x' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    const missing = await call('/oauth/revoke', partner, {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
  });
});
