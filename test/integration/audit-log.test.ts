/**
 * The audit log: every non-GET request by a staff token (or by an API key, off the machine money path) is recorded with
 * actor, role, route pattern, target ids and status (never bodies or secrets); GETs are
 * not; sign-ins are recorded, failed ones too; the list is newest first, cursor-paginated
 * and admin-only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { STAFF_PASSWORD, staffMember, type SignedIn } from '../helpers/staff.js';

let t: TestApp;
let admin: SignedIn;

beforeAll(async () => {
  t = await startTestApp();
  admin = await staffMember(t, 'admin');
});
afterAll(async () => {
  await t?.close();
});

const entriesOf = async (actor_id: string) => (await admin.client.get(`/v1/audit-log?actor_id=${actor_id}&limit=200`)).body.data as any[];

describe('audit log', () => {
  it('records a staff write with actor, role, route pattern, target id and status; not a GET', async () => {
    const op = await staffMember(t, 'operator');
    const id = uuid7();
    expect((await op.client.post('/v1/accounts', { id, currency: 'CNY', code: 2001 })).status).toBe(201);
    const frozen = await op.client.post(`/v1/accounts/${id}/freeze`, undefined, { headers: { 'x-request-id': 'freeze-req-1' } });
    expect(frozen.status).toBe(200);
    expect((await op.client.get(`/v1/accounts/${id}`)).status).toBe(200);
    expectProblem(await op.client.post(`/v1/accounts/${id}/close`), 403, 'insufficient_scope');

    const entries = await entriesOf(op.id);
    const http = entries.filter((e) => e.action === 'http');
    expect(http.map((e) => `${e.method} ${e.route} ${e.status_code}`)).toEqual([
      'POST /v1/accounts/:id/close 403',
      'POST /v1/accounts/:id/freeze 200',
      'POST /v1/accounts 201',
    ]);
    expect(http[1]).toMatchObject({
      actor_kind: 'staff',
      actor_id: op.id,
      actor_email: op.email,
      role: 'operator',
      target_ids: { id },
      request_id: 'freeze-req-1',
    });
    expect(entries.some((e) => e.method === 'GET')).toBe(false);
    // The sign-in that made the session is there too.
    expect(entries.filter((e) => e.action === 'staff.sign_in').map((e) => e.status_code)).toEqual([200]);
  });

  it('records API-key administrative writes as api_key actors, but not their calls on the money path', async () => {
    const id = uuid7();
    expect((await t.api.post('/v1/accounts', { id, currency: 'CNY', code: 2001 })).status).toBe(201);
    expect((await t.admin.post(`/v1/accounts/${id}/freeze`)).status).toBe(200);
    const all = (await admin.client.get('/v1/audit-log?limit=200')).body.data as any[];
    const entry = all.find((e) => e.route === '/v1/accounts/:id/freeze' && e.actor_kind === 'api_key' && e.target_ids.id === id);
    expect(entry).toMatchObject({ actor_kind: 'api_key', actor_email: null, role: null, method: 'POST', status_code: 200 });
    expect(entry.actor_id).toMatch(/^[0-9a-f-]{36}$/);
    // Opening an account is ledger:write, the machine money path: the ledger is its record.
    expect(all.some((e) => e.route === '/v1/accounts' && e.actor_kind === 'api_key')).toBe(false);
  });

  it('records failed sign-ins (unknown email too) and never stores passwords, tokens or bodies', async () => {
    const m = await staffMember(t, 'viewer');
    const anon = new Client(t.base);
    expectProblem(await anon.post('/v1/staff/sign-in', { email: m.email, password: 'hunter2-wrong-password' }), 401, 'unauthorized');
    expectProblem(await anon.post('/v1/staff/sign-in', { email: 'ghost@bank.test', password: 'ghost-password-123' }), 401, 'unauthorized');
    // A write whose body holds a secret: the member-creation password.
    const created = await admin.client.post('/v1/staff/members', { email: `audited-${uuid7()}@bank.test`, display_name: 'Audited', role: 'viewer', password: 'secret-in-the-body-123' });
    expect(created.status).toBe(201);

    const signIns = (await entriesOf(m.id)).filter((e) => e.action === 'staff.sign_in');
    expect(signIns.map((e) => e.status_code)).toEqual([401, 200]);
    expect(signIns[0]).toMatchObject({ actor_email: m.email, role: 'viewer', route: '/v1/staff/sign-in', method: 'POST' });
    const all = await admin.client.get('/v1/audit-log?limit=200');
    expect(all.body.data.find((e: any) => e.actor_email === 'ghost@bank.test')).toMatchObject({ actor_id: null, status_code: 401, action: 'staff.sign_in' });
    for (const secret of ['hunter2-wrong-password', 'ghost-password-123', 'secret-in-the-body-123', STAFF_PASSWORD, m.token, admin.token, t.keys.rw]) {
      expect(all.text).not.toContain(secret);
    }
    const { rows } = await t.testDb.db.query('SELECT row_to_json(a)::text AS j FROM audit_log a');
    const dump = rows.map((r: any) => r.j).join('\n');
    for (const secret of ['hunter2-wrong-password', 'secret-in-the-body-123', STAFF_PASSWORD, m.token]) expect(dump).not.toContain(secret);
  });

  it('is newest first and cursor-paginated without gaps or repeats', async () => {
    const op = await staffMember(t, 'operator');
    for (let i = 0; i < 5; i++) expect((await op.client.post('/v1/accounts', { id: uuid7(), currency: 'CNY', code: 2001 })).status).toBe(201);
    const whole = await entriesOf(op.id);
    expect(whole).toHaveLength(6); // 5 writes + the sign-in
    const paged: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await admin.client.get(`/v1/audit-log?actor_id=${op.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, page.text).toBe(200);
      paged.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(paged).toEqual(whole);
    expect(whole.map((e) => e.at)).toEqual([...whole.map((e) => e.at)].sort().reverse());
    expectProblem(await admin.client.get('/v1/audit-log?cursor=bm9wZQ'), 400, 'invalid_cursor');
  });

  it('is admin-only: other roles and non-admin API keys are 403, no token is 401', async () => {
    for (const role of ['viewer', 'operator', 'risk_analyst', 'credit_officer'] as const) {
      expectProblem(await (await staffMember(t, role)).client.get('/v1/audit-log'), 403, 'insufficient_scope');
    }
    expectProblem(await t.api.get('/v1/audit-log'), 403, 'insufficient_scope');
    expectProblem(await new Client(t.base).get('/v1/audit-log'), 401, 'unauthorized');
    expect((await t.admin.get('/v1/audit-log')).status).toBe(200);
  });
});
