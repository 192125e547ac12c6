/**
 * Client authentication at the token endpoint (the same code serves PAR, revocation and
 * introspection): private_key_jwt (RFC 7523) and client_secret_basic. Each refusal is
 * 401 invalid_client and issues nothing.
 */
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../../test/helpers/app.js';
import { clientAssertion, postForm, registerTestApp, type TestPartner } from '../../test/helpers/openbanking.js';
import { patchPartnerApp } from './apps-admin.js';
import { CLIENT_ASSERTION_TYPE } from './oauth-client-auth.js';

let t: TestApp<ManualClock>;
let jwtApp: TestPartner;
let basicApp: TestPartner;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 4, 1, 8)) });
  jwtApp = await registerTestApp(t, { auth: 'private_key_jwt' });
  basicApp = await registerTestApp(t, { auth: 'client_secret_basic' });
});
afterAll(async () => {
  await t?.close();
});

const withAssertion = (assertion: string, extra: Record<string, string> = {}) =>
  postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, ...extra });

const basic = (client_id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(client_id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function expectInvalidClient(res: { status: number; body: any; text: string }, pattern?: RegExp): void {
  expect(res.status, res.text).toBe(401);
  expect(res.body.error).toBe('invalid_client');
  if (pattern) expect(res.body.error_description).toMatch(pattern);
}

async function usedJtis(): Promise<number> {
  const { rows } = await t.testDb.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM oauth_used_jtis');
  return Number(rows[0]!.n);
}

describe('private_key_jwt (RFC 7523)', () => {
  it('accepts an assertion signed by the registered key, with aud = the issuer or the token endpoint', async () => {
    const ok = await withAssertion(await clientAssertion(t, jwtApp));
    expect(ok.status, ok.text).toBe(200);
    const tokenEndpoint = await withAssertion(await clientAssertion(t, jwtApp, { aud: `${t.app.oauth.ctx.issuer()}/oauth/token` }), { client_id: jwtApp.client_id });
    expect(tokenEndpoint.status, tokenEndpoint.text).toBe(200);
  });

  it('refuses an assertion signed with a key that is not registered (a wrong key), even with the registered kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const before = await usedJtis();
    const res = await withAssertion(await clientAssertion(t, jwtApp, { key: privateKey }));
    expectInvalidClient(res, /does not verify/);
    expect(await usedJtis()).toBe(before); // a forged assertion does not even burn its jti
  });

  it('refuses a replayed assertion (jti used once)', async () => {
    const assertion = await clientAssertion(t, jwtApp);
    expect((await withAssertion(assertion)).status).toBe(200);
    expectInvalidClient(await withAssertion(assertion), /already used/);
  });

  it('refuses an expired assertion and one whose exp is more than 5 minutes ahead', async () => {
    const assertion = await clientAssertion(t, jwtApp, { exp_in_s: 30 });
    t.clock.advance(36_000); // past exp and the 5 s skew allowance
    expectInvalidClient(await withAssertion(assertion), /expired/);
    expectInvalidClient(await withAssertion(await clientAssertion(t, jwtApp, { exp_in_s: 3600 })), /at most 300 s/);
  });

  it('refuses a wrong audience, an audience list, iss ≠ sub, and a client_id that differs', async () => {
    expectInvalidClient(await withAssertion(await clientAssertion(t, jwtApp, { aud: 'https://other-bank.example' })), /aud/);
    const issuer = t.app.oauth.ctx.issuer();
    expectInvalidClient(await withAssertion(await clientAssertion(t, jwtApp, { aud: [issuer, 'https://other-bank.example'] })), /one value/);
    expectInvalidClient(await withAssertion(await clientAssertion(t, jwtApp, { sub: 'someone-else' })), /iss and sub/);
    expectInvalidClient(await withAssertion(await clientAssertion(t, jwtApp), { client_id: basicApp.client_id }));
  });

  it('refuses an assertion without jti, with the wrong assertion type, or for an unknown client', async () => {
    const now_s = Math.floor(t.clock.now().getTime() / 1000);
    const noJti = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: jwtApp.kid! })
      .setIssuer(jwtApp.client_id)
      .setSubject(jwtApp.client_id)
      .setAudience(t.app.oauth.ctx.issuer())
      .setExpirationTime(now_s + 60)
      .sign(jwtApp.private_key!);
    expectInvalidClient(await withAssertion(noJti));
    const wrongType = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_assertion_type: 'urn:x', client_assertion: await clientAssertion(t, jwtApp) });
    expectInvalidClient(wrongType, /client_assertion_type/);
    expectInvalidClient(await withAssertion(await clientAssertion(t, jwtApp, { iss: 'app_unknown', sub: 'app_unknown' })), /failed/);
  });

  it('refuses a client_secret_basic app presenting an assertion (method registered is enforced), and a disabled app', async () => {
    expectInvalidClient(await withAssertion(await clientAssertion(t, { ...jwtApp, client_id: basicApp.client_id })));
    const gone = await registerTestApp(t);
    expect((await patchPartnerApp(t.testDb.db, gone.client_id, { status: 'disabled' }, t.clock.now())).ok).toBe(true);
    expectInvalidClient(await withAssertion(await clientAssertion(t, gone)), /disabled/);
  });
});

describe('client_secret_basic', () => {
  it('accepts the secret, refuses a wrong one with WWW-Authenticate: Basic', async () => {
    const ok = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(basicApp.client_id, basicApp.client_secret!) });
    expect(ok.status, ok.text).toBe(200);
    const wrong = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(basicApp.client_id, `${basicApp.client_secret!}x`) });
    expectInvalidClient(wrong, /failed/);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const malformed = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: 'Basic !!!' });
    expectInvalidClient(malformed);
  });

  it('refuses a private_key_jwt app using a secret, client_secret_post, no authentication, and two methods at once', async () => {
    expectInvalidClient(await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(jwtApp.client_id, 'anything') }));
    const post = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: basicApp.client_id, client_secret: basicApp.client_secret! });
    expectInvalidClient(post, /client_secret_post/);
    expectInvalidClient(await postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: basicApp.client_id }), /required/);
    const both = await postForm(
      t,
      '/oauth/token',
      { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await clientAssertion(t, jwtApp) },
      { authorization: basic(basicApp.client_id, basicApp.client_secret!) },
    );
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('invalid_request');
  });

  it('the client_id in the body must be the authenticated one', async () => {
    const res = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: jwtApp.client_id }, { authorization: basic(basicApp.client_id, basicApp.client_secret!) });
    expectInvalidClient(res);
  });
});
