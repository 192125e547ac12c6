/**
 * The access-token guard on routes with `config.partner`: token checks (signature, expiry,
 * issuer, audience, revocation, app status), DPoP binding, token kind and scope. The test
 * app gets two probe routes before it listens.
 */
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../server/app.js';
import { ManualClock } from '../server/clock.js';
import { createKeys } from '../../test/helpers/app.js';
import { openTestDb, type TestDb } from '../../test/helpers/db.js';
import { Client, expectProblem } from '../../test/helpers/http.js';
import type { TestApp } from '../../test/helpers/app.js';
import { clientToken, customerToken, dpopKey, dpopProof, makeConsent, registerTestApp, type TestPartner } from '../../test/helpers/openbanking.js';
import { patchPartnerApp } from './apps-admin.js';
import type { PartnerScope } from './principal.js';

let t: TestApp<ManualClock>;
let testDb: TestDb;
let partner: TestPartner;
let consent_id: string;
const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));

beforeAll(async () => {
  testDb = await openTestDb();
  const app: App = await buildApp({ db: testDb.db, clock, log_level: 'silent' });
  const echo = async (req: import('fastify').FastifyRequest) => req.partner;
  app.get('/probe/customer', { config: { partner: { scope: 'accounts', token: 'customer' } } }, echo);
  app.post('/probe/client', { config: { partner: { scope: 'payments', token: 'client' } } }, echo);
  app.get('/probe/either', { config: { partner: { scope: 'accounts', token: 'either' } } }, echo);
  const anyOf = ['loans', 'payments'] as unknown as PartnerScope; // a route may accept any one of several scopes
  app.get('/probe/any', { config: { partner: { scope: anyOf, token: 'either' } } }, echo);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const keys = await createKeys(testDb.db, clock.now());
  t = { app, testDb, clock, base, keys, api: new Client(base, keys.rw), admin: new Client(base, keys.admin), close: async () => {} };
  partner = await registerTestApp(t, { scopes: ['accounts', 'payments'] });
  consent_id = await makeConsent(t, partner);
});

afterAll(async () => {
  await t?.app.close();
  await testDb?.close();
});

const get = (path: string, authorization?: string, headers: Record<string, string> = {}) =>
  new Client(t.base).get(path, { token: null, headers: { ...(authorization ? { authorization } : {}), ...headers } });

describe('access-token guard', () => {
  it('sets req.partner for a valid customer token and a valid client token', async () => {
    const token = await customerToken(t, { client: partner, consent_id, customer_id: 'cust-1' });
    const res = await get('/probe/customer', `Bearer ${token}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ client_id: partner.client_id, mode: 'sandbox', customer_id: 'cust-1', consent_id, scopes: ['accounts'] });

    const client = await clientToken(t, partner);
    const res2 = await new Client(t.base).post('/probe/client', undefined, { token: client });
    expect(res2.status, res2.text).toBe(200);
    expect(res2.body).toMatchObject({ client_id: partner.client_id, scopes: ['accounts', 'payments'] });
    expect(res2.body.customer_id).toBeUndefined();
  });

  it('refuses a request without a token with 401 invalid_token and both challenges', async () => {
    const res = await get('/probe/either');
    expectProblem(res, 401, 'invalid_token');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="capillary-open-banking", DPoP algs="/);
  });

  it('refuses API keys, garbage, and tokens signed by another key', async () => {
    expectProblem(await get('/probe/either', `Bearer ${t.keys.admin}`), 401, 'invalid_token');
    expectProblem(await get('/probe/either', 'Bearer not-a-jwt'), 401, 'invalid_token');
    expectProblem(await get('/probe/either', 'Basic abc'), 401, 'invalid_token');
    const { privateKey } = await generateKeyPair('ES256');
    const kid = (await t.app.oauth.ctx.keys.current()).kid;
    const forged = await new SignJWT({ client_id: partner.client_id, scope: 'accounts' })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .setIssuer(t.app.oauth.ctx.issuer())
      .setAudience(t.app.oauth.ctx.issuer())
      .setSubject(partner.client_id)
      .setJti('forged')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const res = await get('/probe/either', `Bearer ${forged}`);
    expectProblem(res, 401, 'invalid_token');
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('refuses a token with another issuer or audience, or without typ at+jwt', async () => {
    const key = await t.app.oauth.ctx.keys.current();
    const sign = (iss: string, aud: string, typ = 'at+jwt') =>
      new SignJWT({ client_id: partner.client_id, scope: 'accounts' })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ })
        .setIssuer(iss)
        .setAudience(aud)
        .setSubject(partner.client_id)
        .setJti(`j-${Math.random()}`)
        .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
        .setExpirationTime(Math.floor(clock.now().getTime() / 1000) + 300)
        .sign(key.private_key);
    const issuer = t.app.oauth.ctx.issuer();
    expect((await get('/probe/either', `Bearer ${await sign(issuer, issuer)}`)).status).toBe(200); // the control
    expectProblem(await get('/probe/either', `Bearer ${await sign('https://evil.example', issuer)}`), 401, 'invalid_token');
    expectProblem(await get('/probe/either', `Bearer ${await sign(issuer, 'https://other.example')}`), 401, 'invalid_token');
    expectProblem(await get('/probe/either', `Bearer ${await sign(issuer, issuer, 'JWT')}`), 401, 'invalid_token');
  });

  it('refuses an expired token (ManualClock past 300 s)', async () => {
    const token = await clientToken(t, partner);
    expect((await get('/probe/either', `Bearer ${token}`)).status).toBe(200);
    clock.advance(299_000);
    expect((await get('/probe/either', `Bearer ${token}`)).status).toBe(200);
    clock.advance(1_000);
    const res = await get('/probe/either', `Bearer ${token}`);
    expectProblem(res, 401, 'invalid_token');
    expect(res.body.detail).toMatch(/expired/);
  });

  it('checks the token kind and the scope: 403 insufficient_scope', async () => {
    const client = await clientToken(t, partner);
    const res = await get('/probe/customer', `Bearer ${client}`);
    expectProblem(res, 403, 'insufficient_scope');
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope", .*scope="accounts"/);

    const customer = await customerToken(t, { client: partner, consent_id, customer_id: 'cust-1', scopes: ['accounts', 'payments'] });
    expectProblem(await new Client(t.base).post('/probe/client', undefined, { token: customer }), 403, 'insufficient_scope');

    const paymentsOnly = await clientToken(t, partner, { scopes: ['payments'] });
    const res2 = await get('/probe/either', `Bearer ${paymentsOnly}`);
    expectProblem(res2, 403, 'insufficient_scope');
    expect(res2.body.detail).toMatch(/accounts scope/);
  });

  it('a route listing several scopes accepts a token with any one of them', async () => {
    expect((await get('/probe/any', `Bearer ${await clientToken(t, partner, { scopes: ['payments'] })}`)).status).toBe(200);
    const res = await get('/probe/any', `Bearer ${await clientToken(t, partner, { scopes: ['accounts'] })}`);
    expectProblem(res, 403, 'insufficient_scope');
    expect(res.body.detail).toMatch(/loans or payments/);
  });

  it('refuses tokens of a disabled app (after the status cache time)', async () => {
    const other = await registerTestApp(t, { scopes: ['accounts'] });
    const token = await clientToken(t, other);
    expect((await get('/probe/either', `Bearer ${token}`)).status).toBe(200);
    const patched = await patchPartnerApp(t.testDb.db, other.client_id, { status: 'disabled' }, clock.now());
    expect(patched.ok).toBe(true);
    clock.advance(5_001);
    const res = await get('/probe/either', `Bearer ${await clientToken(t, other)}`);
    expectProblem(res, 401, 'invalid_token');
    expect(res.body.detail).toMatch(/disabled/);
  });

  it('refuses a revoked token at once', async () => {
    const token = await clientToken(t, partner);
    expect((await get('/probe/either', `Bearer ${token}`)).status).toBe(200);
    const claims = await t.app.oauth.ctx.tokens.verify(token);
    if (!claims.ok) throw new Error('token does not verify');
    await t.app.oauth.ctx.tokens.revoke(t.testDb.db, [{ jti: claims.claims.jti, expires_at: new Date(claims.claims.exp * 1000) }]);
    const res = await get('/probe/either', `Bearer ${token}`);
    expectProblem(res, 401, 'invalid_token');
    expect(res.body.detail).toMatch(/revoked/);
  });
});

describe('DPoP-bound tokens at the guard (RFC 9449)', () => {
  it('accepts a bound token with a fresh proof and refuses every broken proof', async () => {
    const key = await dpopKey();
    const token = await clientToken(t, partner, { dpop: key });
    const path = '/probe/either?x=1';
    const ok = await get(path, `DPoP ${token}`, { dpop: await dpopProof(t, key, 'GET', path, { access_token: token }) });
    expect(ok.status, ok.text).toBe(200);

    const other = await dpopKey();
    const cases: [string, Record<string, string>][] = [
      ['no proof', {}],
      ['wrong method', { dpop: await dpopProof(t, key, 'GET', path, { access_token: token, htm: 'POST' }) }],
      ['wrong url', { dpop: await dpopProof(t, key, 'GET', '/probe/customer', { access_token: token }) }],
      ['no ath', { dpop: await dpopProof(t, key, 'GET', path) }],
      ['wrong ath', { dpop: await dpopProof(t, key, 'GET', path, { ath: 'x' }) }],
      ['too old', { dpop: await dpopProof(t, key, 'GET', path, { access_token: token, iat_offset_s: -121 }) }],
      ['from the future', { dpop: await dpopProof(t, key, 'GET', path, { access_token: token, iat_offset_s: 31 }) }],
      ['wrong typ', { dpop: await dpopProof(t, key, 'GET', path, { access_token: token, typ: 'JWT' }) }],
      ['another key', { dpop: await dpopProof(t, other, 'GET', path, { access_token: token }) }],
      ['signature by another key than its jwk', { dpop: await dpopProof(t, key, 'GET', path, { access_token: token, sign_with: other.private_key }) }],
    ];
    for (const [name, headers] of cases) {
      const res = await get(path, `DPoP ${token}`, headers);
      expect(res.status, `${name}: ${res.text}`).toBe(401);
      expect(res.body.code, name).toBe('invalid_dpop_proof');
      expect(res.headers.get('www-authenticate'), name).toMatch(/^DPoP algs=".*", error="invalid_dpop_proof"/);
    }
  });

  it('refuses a replayed proof, a bound token sent as Bearer, and an unbound token sent as DPoP', async () => {
    const key = await dpopKey();
    const token = await clientToken(t, partner, { dpop: key });
    const proof = await dpopProof(t, key, 'GET', '/probe/either', { access_token: token });
    expect((await get('/probe/either', `DPoP ${token}`, { dpop: proof })).status).toBe(200);
    const replay = await get('/probe/either', `DPoP ${token}`, { dpop: proof });
    expectProblem(replay, 401, 'invalid_dpop_proof');
    expect(replay.body.detail).toMatch(/already used/);

    const asBearer = await get('/probe/either', `Bearer ${token}`, { dpop: await dpopProof(t, key, 'GET', '/probe/either', { access_token: token }) });
    expectProblem(asBearer, 401, 'invalid_token');

    const plain = await clientToken(t, partner);
    expectProblem(await get('/probe/either', `DPoP ${plain}`, { dpop: await dpopProof(t, key, 'GET', '/probe/either', { access_token: plain }) }), 401, 'invalid_token');
  });
});
