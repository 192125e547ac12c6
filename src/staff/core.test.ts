import { describe, expect, it } from 'vitest';
import { grants, isScope, SCOPES } from '../auth/core.js';
import { newSessionToken, normaliseEmail, sessionTokenHash, staffPrincipal } from './core.js';
import { ROLE_SCOPES, ROLES } from './roles.js';
import { targetIds } from './audit-hook.js';

describe('staff session tokens', () => {
  it('are ss_ + 256 random bits, stored as a SHA-256; a malformed token has no hash', () => {
    const { token, token_hash } = newSessionToken();
    expect(token).toMatch(/^ss_[A-Za-z0-9_-]{43}$/);
    expect(sessionTokenHash(token)).toBe(token_hash);
    expect(token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(sessionTokenHash(`${token}x`)).toBeUndefined();
    expect(sessionTokenHash("ss_' OR 1=1 --")).toBeUndefined();
    expect(newSessionToken().token).not.toBe(token);
  });

  it('emails are trimmed, lower-cased and shape-checked', () => {
    expect(normaliseEmail('  Ann@Bank.Test ')).toBe('ann@bank.test');
    expect(normaliseEmail('ann@bank')).toBeUndefined();
    expect(normaliseEmail('a b@bank.test')).toBeUndefined();
    expect(normaliseEmail(`${'a'.repeat(250)}@b.cd`)).toBeUndefined();
  });
});

describe('roles', () => {
  it('map to real scopes; viewer only reads; admin is admin alone', () => {
    for (const role of ROLES) for (const s of ROLE_SCOPES[role]) expect(isScope(s), `${role}: ${s}`).toBe(true);
    expect(ROLE_SCOPES.viewer.every((s) => s.endsWith(':read'))).toBe(true);
    expect(SCOPES.filter((s) => s.endsWith(':read')).every((s) => ROLE_SCOPES.viewer.includes(s))).toBe(true);
    expect(ROLE_SCOPES.admin).toEqual(['admin']);
  });

  it('grant what each role is for and nothing of the others', () => {
    const can = (role: (typeof ROLES)[number], scope: (typeof SCOPES)[number]) => grants(ROLE_SCOPES[role], scope);
    expect(can('operator', 'ledger:freeze')).toBe(true);
    expect(can('operator', 'risk:cases')).toBe(false);
    expect(can('risk_analyst', 'risk:cases')).toBe(true);
    expect(can('risk_analyst', 'lending:admin')).toBe(false);
    expect(can('credit_officer', 'lending:admin')).toBe(true);
    expect(can('credit_officer', 'ledger:write')).toBe(false);
    expect(can('viewer', 'ledger:write')).toBe(false);
    for (const s of SCOPES) expect(can('admin', s)).toBe(true);
    for (const role of ROLES.filter((r) => r !== 'admin')) expect(can(role, 'admin')).toBe(false);
  });

  it('a staff principal is ApiKey-shaped with the role scopes and the staff actor', () => {
    const p = staffPrincipal({ id: 'id-1', email: 'a@b.cd', role: 'risk_analyst', created_at: new Date(0) });
    expect(p).toMatchObject({ id: 'id-1', prefix: 'staff', revoked_at: null, staff: { id: 'id-1', email: 'a@b.cd', role: 'risk_analyst' } });
    expect(p.scopes).toEqual([...ROLE_SCOPES.risk_analyst]);
  });
});

describe('audit target ids', () => {
  it('are the path parameters as bounded strings', () => {
    expect(targetIds({ id: 'abc', n: 3 })).toEqual({ id: 'abc', n: '3' });
    expect(targetIds(undefined)).toEqual({});
    expect(targetIds({ id: 'x'.repeat(500) }).id).toHaveLength(200);
  });
});
