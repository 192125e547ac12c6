/**
 * Staff roles enforced by the API: a staff token carries its role's scopes through the
 * same scope check as an API key. A matrix of roles × representative routes: allowed
 * means the scope check passed (the route answered something other than 401/403),
 * denied means 403 insufficient_scope and nothing ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { expectProblem, uuid7, type Client } from '../helpers/http.js';
import { ROLES, type Role } from '../../src/staff/roles.js';
import { staffMember } from '../helpers/staff.js';

let t: TestApp;
const as = {} as Record<Role, Client>;

beforeAll(async () => {
  t = await startTestApp();
  for (const role of ROLES) as[role] = (await staffMember(t, role)).client;
});
afterAll(async () => {
  await t?.close();
});

type Probe = { name: string; allowed: Role[]; call: (c: Client) => Promise<{ status: number; text: string; body: any }> };

const accountId = uuid7();
const PROBES: Probe[] = [
  { name: 'ledger read: GET /v1/accounts/:id', allowed: [...ROLES], call: (c) => c.get(`/v1/accounts/${uuid7()}`) },
  { name: 'ledger write: POST /v1/accounts', allowed: ['operator', 'admin'], call: (c) => c.post('/v1/accounts', { id: uuid7(), currency: 'CNY', code: 2001 }) },
  { name: 'freeze: POST /v1/accounts/:id/freeze', allowed: ['operator', 'admin'], call: (c) => c.post(`/v1/accounts/${accountId}/freeze`) },
  { name: 'close: POST /v1/accounts/:id/close', allowed: ['admin'], call: (c) => c.post(`/v1/accounts/${uuid7()}/close`) },
  { name: 'risk case decide: POST /v1/risk/cases/:id/approve', allowed: ['risk_analyst', 'admin'], call: (c) => c.post(`/v1/risk/cases/${uuid7()}/approve`, {}) },
  { name: 'risk read: GET /v1/risk/transfer-policies', allowed: [...ROLES], call: (c) => c.get('/v1/risk/transfer-policies') },
  { name: 'risk case queue: GET /v1/risk/cases', allowed: ['risk_analyst', 'admin'], call: (c) => c.get('/v1/risk/cases') },
  { name: 'lending admin: POST /v1/loan-applications/:id/review', allowed: ['credit_officer', 'admin'], call: (c) => c.post(`/v1/loan-applications/${uuid7()}/review`, { outcome: 'approve' }) },
  { name: 'openbanking admin: GET /v1/customers', allowed: ['operator', 'admin'], call: (c) => c.get('/v1/customers') },
  { name: 'audit log read: GET /v1/audit-log', allowed: ['admin'], call: (c) => c.get('/v1/audit-log') },
  { name: 'staff admin: GET /v1/staff/members', allowed: ['admin'], call: (c) => c.get('/v1/staff/members') },
  { name: 'API keys: GET /v1/api-keys', allowed: ['admin'], call: (c) => c.get('/v1/api-keys') },
  { name: 'dashboard: GET /v1/dataops/dashboard', allowed: [...ROLES], call: (c) => c.get('/v1/dataops/dashboard?days=1') },
];

describe('role × route matrix', () => {
  beforeAll(async () => {
    // An account for the freeze probe, made by an operator.
    expect((await as.operator.post('/v1/accounts', { id: accountId, currency: 'CNY', code: 2001 })).status).toBe(201);
  });

  for (const probe of PROBES) {
    it(probe.name, async () => {
      for (const role of ROLES) {
        const res = await probe.call(as[role]);
        if (probe.allowed.includes(role)) {
          expect([401, 403], `${role} should pass: ${res.text}`).not.toContain(res.status);
        } else {
          expectProblem(res as never, 403, 'insufficient_scope');
        }
      }
    });
  }

  it('an operator can freeze and unfreeze, and the account is really frozen in between', async () => {
    const frozen = await as.operator.post(`/v1/accounts/${accountId}/freeze`);
    expect(frozen.body.status).toBe('frozen');
    const unfrozen = await as.operator.post(`/v1/accounts/${accountId}/unfreeze`);
    expect(unfrozen.status, unfrozen.text).toBe(200);
    expect(unfrozen.body.status).toBe('open');
    expectProblem(await as.viewer.post(`/v1/accounts/${accountId}/unfreeze`), 403, 'insufficient_scope');
  });

  it('the scopes a role holds are what sign-in and /v1/staff/me report', async () => {
    const me = await as.risk_analyst.get('/v1/staff/me');
    expect(me.status, me.text).toBe(200);
    expect(me.body.staff.role).toBe('risk_analyst');
    expect(me.body.scopes).toEqual(expect.arrayContaining(['risk:cases', 'risk:admin', 'ledger:read']));
    expect(me.body.scopes).not.toContain('ledger:write');
    expect((await as.viewer.get('/v1/staff/me')).body.scopes.every((s: string) => s.endsWith(':read'))).toBe(true);
  });
});
