import { describe, expect, it } from 'vitest';
import { checkMiniProgram, checkOrigin, consentForScope, miniProgramCsp } from './core.js';

const base = { slug: 'shop', name: 'Shop', icon: 'icon.svg', entry_path: 'index.html', bridge_scopes: ['payment'], merchant_account_id: '0193a000-0000-7000-8000-000000000004' };

describe('checkMiniProgram', () => {
  it('accepts a plain registration and normalises it', () => {
    const r = checkMiniProgram({ ...base, bridge_scopes: ['payment', 'payment', 'location'], merchant_account_id: base.merchant_account_id.toUpperCase() });
    expect(r).toEqual({ ok: true, value: { slug: 'shop', name: 'Shop', icon: 'icon.svg', entry_path: 'index.html', bridge_scopes: ['payment', 'location'], merchant_account_id: base.merchant_account_id, connect_origins: [], status: 'live' } });
  });

  it.each([
    ['slug', { slug: 'Shop' }],
    ['slug', { slug: '-shop' }],
    ['slug', { slug: 'a'.repeat(41) }],
    ['name', { name: ' ' }],
    ['icon', { icon: '../icon.svg' }],
    ['entry_path', { entry_path: '/index.html' }],
    ['entry_path', { entry_path: 'a/../../b.html' }],
    ['entry_path', { entry_path: 'index.html?x=1' }],
    ['bridge_scopes', { bridge_scopes: ['session'] }],
    ['merchant_account_id', { merchant_account_id: null }],
    ['merchant_account_id', { merchant_account_id: 'acct-1' }],
    ['connect_origins[0]', { connect_origins: ['https://api.example/path'] }],
    ['connect_origins', { connect_origins: ['https://a.example', 'https://b.example', 'https://c.example', 'https://d.example', 'https://e.example', 'https://f.example'] }],
  ])('refuses a bad %s', (field, over) => {
    expect(checkMiniProgram({ ...base, ...over })).toMatchObject({ ok: false, code: 'invalid_mini_program', field });
  });

  it('needs no merchant account without the payment scope', () => {
    expect(checkMiniProgram({ ...base, bridge_scopes: ['auth_code'], merchant_account_id: null }).ok).toBe(true);
  });
});

describe('checkOrigin', () => {
  it('takes https origins and http only for loopback', () => {
    expect(checkOrigin('https://api.shop.example', 'o')).toBe('https://api.shop.example');
    expect(checkOrigin('http://localhost:8080', 'o')).toBe('http://localhost:8080');
    expect(checkOrigin('http://shop.example', 'o')).toMatchObject({ ok: false });
    expect(checkOrigin('https://shop.example/', 'o')).toMatchObject({ ok: false });
  });
});

describe('miniProgramCsp', () => {
  it('sandboxes without same-origin and allows no network unless registered', () => {
    const csp = miniProgramCsp([]);
    expect(csp).toContain('sandbox allow-scripts allow-forms');
    expect(csp).not.toContain('allow-same-origin');
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain("form-action 'none'");
    expect(miniProgramCsp(['https://api.shop.example'])).toContain('connect-src https://api.shop.example;');
  });
});

describe('consentForScope', () => {
  it('maps the two scopes to consents of 90 days', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(consentForScope('accounts', now)).toEqual({ kind: 'account_access', permissions: ['accounts:read', 'balances:read'], expires_at: new Date('2026-04-01T00:00:00Z') });
    expect(consentForScope('funds_confirmation', now).kind).toBe('funds_confirmation');
  });
});
