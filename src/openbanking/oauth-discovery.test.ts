/**
 * Discovery (RFC 8414) and the JWKS: the metadata names every endpoint and what this server
 * supports, and the published keys verify the access tokens it issues, across a restart.
 */
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { ManualClock, startTestApp, type TestApp } from '../../test/helpers/app.js';
import { Client } from '../../test/helpers/http.js';
import { clientToken, registerTestApp } from '../../test/helpers/openbanking.js';

let t: TestApp<ManualClock>;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 8, 1, 8)) });
});
afterAll(async () => {
  await t?.close();
});

describe('discovery', () => {
  it('serves the same metadata at both well-known addresses, without an API key', async () => {
    const anonymous = new Client(t.base);
    const a = await anonymous.get('/.well-known/oauth-authorization-server');
    const b = await anonymous.get('/.well-known/openid-configuration');
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    const issuer = t.app.oauth.ctx.issuer();
    expect(issuer).toBe(t.base);
    expect(a.body).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      pushed_authorization_request_endpoint: `${issuer}/oauth/par`,
      require_pushed_authorization_requests: true,
      jwks_uri: `${issuer}/oauth/jwks`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(a.body.dpop_signing_alg_values_supported).toContain('ES256');
    expect(a.body.scopes_supported).toEqual(['accounts', 'payments', 'funds_confirmation', 'envelopes', 'loans', 'risk']);
  });

  it('the OpenAPI document lists the OAuth endpoints without the API-key requirement, and the oauth2 scheme', async () => {
    const spec = (await new Client(t.base).get('/docs/json')).body;
    expect(spec.components.securitySchemes.oauth2.flows.authorizationCode).toMatchObject({ authorizationUrl: '/oauth/authorize', tokenUrl: '/oauth/token' });
    for (const path of ['/oauth/token', '/oauth/par', '/oauth/revoke', '/oauth/introspect']) {
      expect(spec.paths[path].post.security, path).toEqual([]);
      expect(Object.keys(spec.paths[path].post.requestBody.content), path).toContain('application/x-www-form-urlencoded');
    }
    expect(spec.paths['/.well-known/openid-configuration'].get.security).toEqual([]);
  });

  it('publishes public keys only, and they verify an issued access token', async () => {
    const jwks = await new Client(t.base).get('/oauth/jwks');
    expect(jwks.status).toBe(200);
    expect(jwks.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
    expect(jwks.body.keys.length).toBeGreaterThan(0);
    for (const key of jwks.body.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key.d).toBeUndefined();
    }
    const partner = await registerTestApp(t);
    const token = await clientToken(t, partner);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks.body), { issuer: t.base, audience: t.base, currentDate: t.clock.now() });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ client_id: partner.client_id, sub: partner.client_id });
  });

  it('keeps its signing key across a restart: a token from before still verifies on a new app on the same database', async () => {
    const partner = await registerTestApp(t);
    const token = await clientToken(t, partner);
    const second = await buildApp({ db: t.testDb.db, clock: t.clock, log_level: 'silent', public_url: t.base });
    try {
      await second.listen({ port: 0, host: '127.0.0.1' });
      expect((second.server.address() as AddressInfo).port).not.toBe(new URL(t.base).port);
      const verified = await second.oauth.ctx.tokens.verify(token);
      expect(verified.ok).toBe(true);
      expect((await second.oauth.ctx.keys.current()).kid).toBe((await t.app.oauth.ctx.keys.current()).kid);
    } finally {
      await second.close();
    }
  });

  it('PUBLIC_URL is the issuer: an http(s) origin, defaulting to http://localhost:<PORT>', () => {
    expect(loadConfig({}).public_url).toBe('http://localhost:8080');
    expect(loadConfig({ PORT: '9000' }).public_url).toBe('http://localhost:9000');
    expect(loadConfig({ PORT: '0' }).public_url).toBeUndefined(); // the listening address, known once it listens
    expect(loadConfig({ PUBLIC_URL: 'https://API.bank.example/' }).public_url).toBe('https://api.bank.example');
    for (const bad of ['ftp://bank.example', 'https://bank.example/api', 'https://bank.example?x=1', 'not a url', 'https://u:p@bank.example']) {
      expect(() => loadConfig({ PUBLIC_URL: bad }), bad).toThrow(/PUBLIC_URL/);
    }
  });
});
