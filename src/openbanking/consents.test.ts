import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  checkAccess,
  checkAuthorisation,
  checkPaymentTerms,
  checkRevocation,
  effectiveStatus,
  scopesForConsent,
  validateConsentRequest,
  type Consent,
} from './consents.js';
import { PARTNER_SCOPES } from './principal.js';

const NOW = new Date('2025-03-01T12:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);
const ALL = { allowed_scopes: [...PARTNER_SCOPES] };

function consent(over: Partial<Consent> = {}): Consent {
  return {
    id: '0195a000-0000-7000-8000-000000000001',
    client_id: 'app_1',
    kind: 'account_access',
    status: 'authorised',
    permissions: ['accounts:read', 'balances:read'],
    customer_id: 'cust-1',
    account_ids: ['0195a000-0000-7000-8000-0000000000a1'],
    currency: null,
    amount_limit_minor: null,
    amount_used_minor: 0n,
    per_payment_max_minor: null,
    creditor_account_id: null,
    expires_at: later(DAY_MS),
    created_at: NOW,
    authorised_at: NOW,
    revoked_at: null,
    revoked_by: null,
    ...over,
  };
}

const payment = (over: Partial<Consent> = {}) =>
  consent({ kind: 'payment_initiation', permissions: ['payments:create'], currency: 'USD', amount_limit_minor: 10_000n, ...over });

describe('validateConsentRequest', () => {
  it('accepts an account-access request within the rules', () => {
    const r = validateConsentRequest({ kind: 'account_access', permissions: ['accounts:read', 'accounts:read'], expires_at: later(90 * DAY_MS) }, ALL, ALL.allowed_scopes, NOW);
    expect(r).toMatchObject({ ok: true, value: { kind: 'account_access', permissions: ['accounts:read'], amount_limit_minor: null } });
  });

  it('needs the scope of the kind in both the app and the token', () => {
    const app = { allowed_scopes: ['accounts' as const] };
    expect(validateConsentRequest({ kind: 'payment_initiation', permissions: ['payments:create'], expires_at: later(DAY_MS), payment: { currency: 'USD', amount_limit_minor: 1n } }, app, ['accounts'], NOW)).toMatchObject({
      ok: false,
      code: 'insufficient_scope',
    });
    expect(validateConsentRequest({ kind: 'account_access', permissions: ['accounts:read'], expires_at: later(DAY_MS) }, ALL, ['payments'], NOW)).toMatchObject({ ok: false, code: 'insufficient_scope' });
  });

  it('needs the extra scope of loans:apply and envelopes permissions', () => {
    const app = { allowed_scopes: ['accounts' as const] };
    expect(validateConsentRequest({ kind: 'account_access', permissions: ['loans:apply'], expires_at: later(DAY_MS) }, app, ['accounts'], NOW)).toMatchObject({ ok: false, code: 'insufficient_scope' });
  });

  it('refuses permissions of another kind', () => {
    const r = validateConsentRequest({ kind: 'funds_confirmation', permissions: ['accounts:read'], expires_at: later(DAY_MS) }, ALL, ALL.allowed_scopes, NOW);
    expect(r).toMatchObject({ ok: false, code: 'consent_permissions_invalid', field: 'permissions' });
  });

  it('bounds the expiry: 10 minutes to 180 days, 30 days for payments', () => {
    const ask = (kind: 'account_access' | 'payment_initiation', ms: number) =>
      validateConsentRequest(
        { kind, permissions: [kind === 'account_access' ? 'accounts:read' : 'payments:create'], expires_at: later(ms), payment: kind === 'payment_initiation' ? { currency: 'USD', amount_limit_minor: 5n } : undefined },
        ALL,
        ALL.allowed_scopes,
        NOW,
      );
    expect(ask('account_access', 5 * 60_000)).toMatchObject({ ok: false, code: 'consent_expiry_out_of_range' });
    expect(ask('account_access', 180 * DAY_MS).ok).toBe(true);
    expect(ask('account_access', 180 * DAY_MS + 1)).toMatchObject({ ok: false, code: 'consent_expiry_out_of_range' });
    expect(ask('payment_initiation', 30 * DAY_MS).ok).toBe(true);
    expect(ask('payment_initiation', 30 * DAY_MS + 1)).toMatchObject({ ok: false, code: 'consent_expiry_out_of_range' });
    expect(ask('account_access', -DAY_MS)).toMatchObject({ ok: false, code: 'consent_expiry_out_of_range' });
  });

  it('payment terms: required for payments, refused elsewhere, per-payment max within the limit', () => {
    const base = { permissions: ['payments:create'], expires_at: later(DAY_MS) };
    expect(validateConsentRequest({ kind: 'payment_initiation', ...base }, ALL, ALL.allowed_scopes, NOW)).toMatchObject({ ok: false, code: 'consent_payment_terms_invalid' });
    expect(validateConsentRequest({ kind: 'account_access', permissions: ['accounts:read'], expires_at: later(DAY_MS), payment: { currency: 'USD', amount_limit_minor: 1n } }, ALL, ALL.allowed_scopes, NOW)).toMatchObject({
      ok: false,
      code: 'consent_payment_terms_invalid',
    });
    expect(validateConsentRequest({ kind: 'payment_initiation', ...base, payment: { currency: 'USD', amount_limit_minor: 100n, per_payment_max_minor: 101n } }, ALL, ALL.allowed_scopes, NOW)).toMatchObject({
      ok: false,
      code: 'consent_payment_terms_invalid',
      field: 'payment.per_payment_max_minor',
    });
  });
});

describe('effectiveStatus', () => {
  it('reads an authorised or awaiting consent past expires_at as expired, others as stored', () => {
    expect(effectiveStatus(consent(), NOW)).toBe('authorised');
    expect(effectiveStatus(consent({ expires_at: NOW }), NOW)).toBe('expired');
    expect(effectiveStatus(consent({ status: 'awaiting_authorisation', expires_at: NOW }), NOW)).toBe('expired');
    expect(effectiveStatus(consent({ status: 'revoked', expires_at: NOW }), NOW)).toBe('revoked');
  });
});

describe('checkAuthorisation', () => {
  const owned = [
    { account_id: '0195a000-0000-7000-8000-0000000000a1', currency: 'USD', status: 'open' },
    { account_id: '0195a000-0000-7000-8000-0000000000a2', currency: 'EUR', status: 'open' },
    { account_id: '0195a000-0000-7000-8000-0000000000a3', currency: 'USD', status: 'closed' },
  ];
  const input = (over: Partial<Parameters<typeof checkAuthorisation>[1]> = {}) => ({
    client_id: 'app_1',
    customer_mode: 'sandbox' as const,
    customer_status: 'active',
    app_mode: 'sandbox' as const,
    account_ids: [owned[0]!.account_id],
    owned,
    ...over,
  });
  const awaiting = (over: Partial<Consent> = {}) => consent({ status: 'awaiting_authorisation', customer_id: null, account_ids: [], authorised_at: null, ...over });

  it('accepts the customer’s own accounts', () => {
    expect(checkAuthorisation(awaiting(), input({ account_ids: [owned[0]!.account_id, owned[1]!.account_id.toUpperCase()] }), NOW)).toEqual({
      ok: true,
      account_ids: [owned[0]!.account_id, owned[1]!.account_id],
    });
  });

  it('refuses another app, a non-awaiting or expired consent, a disabled customer, another mode', () => {
    expect(checkAuthorisation(awaiting(), input({ client_id: 'app_2' }), NOW)).toMatchObject({ code: 'consent_not_found' });
    expect(checkAuthorisation(consent(), input(), NOW)).toMatchObject({ code: 'consent_not_awaiting_authorisation' });
    expect(checkAuthorisation(awaiting({ expires_at: NOW }), input(), NOW)).toMatchObject({ code: 'consent_expired' });
    expect(checkAuthorisation(awaiting(), input({ customer_status: 'disabled' }), NOW)).toMatchObject({ code: 'customer_disabled' });
    expect(checkAuthorisation(awaiting(), input({ customer_mode: 'live' }), NOW)).toMatchObject({ code: 'consent_mode_mismatch' });
  });

  it('refuses accounts that are not the customer’s, closed ones, and none', () => {
    expect(checkAuthorisation(awaiting(), input({ account_ids: ['0195a000-0000-7000-8000-0000000000ff'] }), NOW)).toMatchObject({ code: 'consent_account_not_owned' });
    expect(checkAuthorisation(awaiting(), input({ account_ids: [owned[2]!.account_id] }), NOW)).toMatchObject({ code: 'consent_accounts_invalid' });
    expect(checkAuthorisation(awaiting(), input({ account_ids: [] }), NOW)).toMatchObject({ code: 'consent_accounts_invalid' });
  });

  it('a payment consent needs exactly one debtor account in its currency', () => {
    const pay = awaiting({ kind: 'payment_initiation', currency: 'USD', amount_limit_minor: 100n });
    expect(checkAuthorisation(pay, input(), NOW).ok).toBe(true);
    expect(checkAuthorisation(pay, input({ account_ids: [owned[1]!.account_id] }), NOW)).toMatchObject({ code: 'consent_accounts_invalid' });
    expect(checkAuthorisation(pay, input({ account_ids: [owned[0]!.account_id, owned[1]!.account_id] }), NOW)).toMatchObject({ code: 'consent_accounts_invalid' });
  });
});

describe('checkRevocation', () => {
  it('revokes authorised and awaiting consents, is idempotent on revoked, refuses rejected and expired', () => {
    expect(checkRevocation(consent(), NOW)).toEqual({ ok: true, already: false });
    expect(checkRevocation(consent({ status: 'awaiting_authorisation' }), NOW)).toEqual({ ok: true, already: false });
    expect(checkRevocation(consent({ status: 'revoked' }), NOW)).toEqual({ ok: true, already: true });
    expect(checkRevocation(consent({ status: 'rejected' }), NOW)).toMatchObject({ ok: false, code: 'consent_not_revocable' });
    expect(checkRevocation(consent({ expires_at: NOW }), NOW)).toMatchObject({ ok: false, code: 'consent_not_revocable' });
  });
});

describe('checkAccess', () => {
  const who = { client_id: 'app_1', customer_id: 'cust-1' };
  const need = { kinds: ['account_access'] as const, permission: 'balances:read' as const, account_id: '0195a000-0000-7000-8000-0000000000A1' };

  it('passes an authorised consent with the permission and the account', () => {
    expect(checkAccess(consent(), who, need, NOW)).toEqual({ ok: true });
  });

  it('names each reason to refuse', () => {
    expect(checkAccess(undefined, who, need, NOW)).toMatchObject({ code: 'consent_invalid' });
    expect(checkAccess(consent(), { ...who, client_id: 'app_2' }, need, NOW)).toMatchObject({ code: 'consent_invalid' });
    expect(checkAccess(consent(), { ...who, customer_id: 'cust-2' }, need, NOW)).toMatchObject({ code: 'consent_invalid' });
    expect(checkAccess(consent({ status: 'revoked' }), who, need, NOW)).toMatchObject({ code: 'consent_revoked' });
    expect(checkAccess(consent({ expires_at: NOW }), who, need, NOW)).toMatchObject({ code: 'consent_expired' });
    expect(checkAccess(consent({ status: 'awaiting_authorisation' }), who, need, NOW)).toMatchObject({ code: 'consent_not_authorised' });
    expect(checkAccess(consent({ kind: 'funds_confirmation' }), who, need, NOW)).toMatchObject({ code: 'consent_kind_mismatch' });
    expect(checkAccess(consent({ permissions: ['accounts:read'] }), who, need, NOW)).toMatchObject({ code: 'consent_permission_missing' });
    expect(checkAccess(consent(), who, { ...need, account_id: '0195a000-0000-7000-8000-0000000000a9' }, NOW)).toMatchObject({ code: 'consent_account_not_included' });
  });
});

describe('checkPaymentTerms', () => {
  const creditor = '0195a000-0000-7000-8000-0000000000c1';
  it('checks currency, creditor, per-payment maximum and the remaining limit', () => {
    expect(checkPaymentTerms(payment(), { amount_minor: 10_000n, currency: 'USD', creditor_account_id: creditor })).toEqual({ ok: true });
    expect(checkPaymentTerms(payment(), { amount_minor: 1n, currency: 'EUR', creditor_account_id: creditor })).toMatchObject({ code: 'payment_currency_mismatch' });
    expect(checkPaymentTerms(payment({ creditor_account_id: '0195a000-0000-7000-8000-0000000000c2' }), { amount_minor: 1n, currency: 'USD', creditor_account_id: creditor })).toMatchObject({
      code: 'payment_creditor_not_allowed',
    });
    expect(checkPaymentTerms(payment({ per_payment_max_minor: 500n }), { amount_minor: 501n, currency: 'USD', creditor_account_id: creditor })).toMatchObject({ code: 'payment_amount_above_consent' });
    expect(checkPaymentTerms(payment({ amount_used_minor: 9_000n }), { amount_minor: 1_001n, currency: 'USD', creditor_account_id: creditor })).toMatchObject({ code: 'consent_limit_exceeded' });
    expect(checkPaymentTerms(payment({ amount_used_minor: 9_000n }), { amount_minor: 1_000n, currency: 'USD', creditor_account_id: creditor })).toEqual({ ok: true });
  });
});

describe('scopesForConsent', () => {
  it('gives the kind’s scope and the scopes of extra permissions', () => {
    expect(scopesForConsent({ kind: 'account_access', permissions: ['accounts:read'] })).toEqual(['accounts']);
    expect(scopesForConsent({ kind: 'account_access', permissions: ['accounts:read', 'loans:apply', 'envelopes:grab'] }).sort()).toEqual(['accounts', 'envelopes', 'loans']);
    expect(scopesForConsent({ kind: 'payment_initiation', permissions: ['payments:create', 'envelopes:create'] }).sort()).toEqual(['envelopes', 'payments']);
  });
});
