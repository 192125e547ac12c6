import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkJwks, checkNewApp, checkPartnerUrl, checkRedirectUris, checkScopes, clientSecretMatches, newClientSecret } from './apps.js';

const publicJwk = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
const privateJwk = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

describe('redirect URIs and webhook URLs', () => {
  it('accepts https anywhere and http only on loopback hosts', () => {
    expect(checkPartnerUrl('https://shop.example/cb?x=1', 'redirect_uris[0]').ok).toBe(true);
    expect(checkPartnerUrl('http://localhost:3000/cb', 'redirect_uris[0]').ok).toBe(true);
    expect(checkPartnerUrl('http://127.0.0.1/cb', 'redirect_uris[0]').ok).toBe(true);
    expect(checkPartnerUrl('http://shop.example/cb', 'redirect_uris[0]')).toMatchObject({ ok: false, code: 'invalid_redirect_uri', field: 'redirect_uris[0]' });
    expect(checkPartnerUrl('http://shop.example/hook', 'webhook_url')).toMatchObject({ ok: false, code: 'invalid_webhook_url' });
  });

  it('refuses fragments, credentials, relative URLs and other schemes', () => {
    for (const bad of ['https://shop.example/cb#frag', 'https://shop.example/cb#', 'https://u:p@shop.example/cb', '/cb', 'shop.example/cb', 'com.shop.app:/cb', 'javascript:alert(1)', 'ftp://shop.example/']) {
      expect(checkPartnerUrl(bad, 'redirect_uris[0]'), bad).toMatchObject({ ok: false, code: 'invalid_redirect_uri' });
    }
  });

  it('needs 1 to 20 URIs and names the bad one', () => {
    expect(checkRedirectUris([])).toMatchObject({ ok: false, code: 'invalid_redirect_uri' });
    expect(checkRedirectUris(Array.from({ length: 21 }, (_, i) => `https://shop.example/${i}`))).toMatchObject({ ok: false });
    expect(checkRedirectUris(['https://a.example/', 'http://b.example/'])).toMatchObject({ ok: false, field: 'redirect_uris[1]' });
  });
});

describe('scopes', () => {
  it('accepts partner scopes only', () => {
    expect(checkScopes(['accounts', 'payments', 'accounts'])).toEqual({ ok: true, scopes: ['accounts', 'payments'] });
    expect(checkScopes(['ledger:write'])).toMatchObject({ ok: false, code: 'unknown_partner_scope' });
    expect(checkScopes([])).toMatchObject({ ok: false, code: 'unknown_partner_scope' });
  });
});

describe('JWKS', () => {
  it('accepts public EC keys', () => {
    expect(checkJwks({ keys: [{ ...publicJwk(), kid: 'a' }, { ...publicJwk(), kid: 'b' }] }).ok).toBe(true);
  });

  it('refuses private keys, symmetric keys, bad keys, duplicate or missing kids', () => {
    expect(checkJwks({ keys: [privateJwk()] })).toMatchObject({ ok: false, code: 'invalid_jwks', field: 'jwks.keys[0]' });
    expect(checkJwks({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })).toMatchObject({ ok: false, code: 'invalid_jwks' });
    expect(checkJwks({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }] })).toMatchObject({ ok: false, code: 'invalid_jwks' });
    expect(checkJwks({ keys: [{ ...publicJwk(), kid: 'a' }, { ...publicJwk(), kid: 'a' }] })).toMatchObject({ ok: false, code: 'invalid_jwks' });
    expect(checkJwks({ keys: [publicJwk(), publicJwk()] })).toMatchObject({ ok: false, code: 'invalid_jwks' });
    expect(checkJwks({ keys: [{ ...publicJwk(), use: 'enc' }] })).toMatchObject({ ok: false, code: 'invalid_jwks' });
    expect(checkJwks({ keys: [] })).toMatchObject({ ok: false, code: 'invalid_jwks' });
    expect(checkJwks('nope')).toMatchObject({ ok: false, code: 'invalid_jwks' });
  });
});

describe('registration rules', () => {
  const base = { name: 'Shop', mode: 'sandbox' as const, redirect_uris: ['https://shop.example/cb'], allowed_scopes: ['accounts'] };
  it('a private_key_jwt app needs a JWKS; a client_secret_basic app must not send one', () => {
    expect(checkNewApp({ ...base, token_endpoint_auth_method: 'private_key_jwt' })).toMatchObject({ ok: false, code: 'invalid_jwks' });
    expect(checkNewApp({ ...base, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk()] } }).ok).toBe(true);
    expect(checkNewApp({ ...base, token_endpoint_auth_method: 'client_secret_basic', jwks: { keys: [publicJwk()] } })).toMatchObject({ ok: false, code: 'invalid_jwks' });
    expect(checkNewApp({ ...base, token_endpoint_auth_method: 'client_secret_basic' }).ok).toBe(true);
  });
});

describe('client secrets', () => {
  it('matches only the issued secret', () => {
    const { secret, hash } = newClientSecret();
    expect(clientSecretMatches({ client_secret_hash: hash }, secret)).toBe(true);
    expect(clientSecretMatches({ client_secret_hash: hash }, `${secret}x`)).toBe(false);
    expect(clientSecretMatches({ client_secret_hash: null }, secret)).toBe(false);
  });
});
