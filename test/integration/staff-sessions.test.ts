/**
 * Staff sign-in, sessions and member administration: the token works as a Bearer, sign-out
 * and expiry end it, wrong passwords / unknown emails / disabled members look the same, 5
 * failures per email within 15 minutes lock sign-in for that email, and admins manage
 * members (a role change ends the member's sessions). Time is a ManualClock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client, expectProblem } from '../helpers/http.js';
import { STAFF_PASSWORD, staffMember } from '../helpers/staff.js';

let t: TestApp<ManualClock>;
let anon: Client;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 5, 1, 8, 0, 0)) });
  anon = new Client(t.base);
});
afterAll(async () => {
  await t?.close();
});

describe('sign-in and sessions', () => {
  it('returns an ss_ token, the member and the role scopes; email is case-insensitive', async () => {
    const m = await staffMember(t, 'viewer');
    const res = await anon.post('/v1/staff/sign-in', { email: `  ${m.email.toUpperCase()} `, password: STAFF_PASSWORD });
    expect(res.status, res.text).toBe(200);
    expect(res.body.token).toMatch(/^ss_[A-Za-z0-9_-]{43}$/);
    expect(res.body.staff).toEqual({ id: m.id, email: m.email, display_name: 'Test viewer', role: 'viewer' });
    expect(res.body.expires_at).toBe(new Date(t.clock.now().getTime() + 8 * 3600_000).toISOString());
    expect((await new Client(t.base, res.body.token).get('/v1/staff/me')).body.staff).toEqual({ id: m.id, email: m.email, role: 'viewer' });
  });

  it('wrong password, unknown email and disabled member all answer 401 unauthorized alike', async () => {
    const m = await staffMember(t, 'viewer');
    const admin = await staffMember(t, 'admin');
    const wrong = await anon.post('/v1/staff/sign-in', { email: m.email, password: 'not the password' });
    const unknown = await anon.post('/v1/staff/sign-in', { email: 'nobody@bank.test', password: STAFF_PASSWORD });
    expectProblem(wrong, 401, 'unauthorized');
    expectProblem(unknown, 401, 'unauthorized');
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expect((await admin.client.request('PATCH', `/v1/staff/members/${m.id}`, { json: { status: 'disabled' } })).status).toBe(200);
    const disabled = await anon.post('/v1/staff/sign-in', { email: m.email, password: STAFF_PASSWORD });
    expectProblem(disabled, 401, 'unauthorized');
    expect(disabled.body.detail).toBe(unknown.body.detail);
    // The disabled member's existing session ended too.
    expectProblem(await m.client.get('/v1/staff/me'), 401, 'unauthorized');
  });

  it('sign-out ends the session at once; other sessions of the member keep working', async () => {
    const m = await staffMember(t, 'operator');
    const second = await anon.post('/v1/staff/sign-in', { email: m.email, password: STAFF_PASSWORD });
    const res = await m.client.post('/v1/staff/sign-out');
    expect(res.status, res.text).toBe(204);
    expectProblem(await m.client.get('/v1/staff/me'), 401, 'unauthorized');
    expect((await new Client(t.base, second.body.token).get('/v1/staff/me')).status).toBe(200);
  });

  it('a session expires after 8 hours', async () => {
    const m = await staffMember(t, 'viewer');
    t.clock.advance(8 * 3600_000 - 10_000);
    expect((await m.client.get('/v1/staff/me')).status).toBe(200);
    t.clock.advance(20_000);
    expectProblem(await m.client.get('/v1/staff/me'), 401, 'unauthorized');
  });

  it('malformed and forged ss_ tokens are 401; an API key on /v1/staff/me is 403 staff_token_required', async () => {
    expectProblem(await anon.get('/v1/staff/me', { token: 'ss_short' }), 401, 'unauthorized');
    expectProblem(await anon.get('/v1/staff/me', { token: `ss_${'A'.repeat(43)}` }), 401, 'unauthorized');
    expectProblem(await t.admin.get('/v1/staff/me'), 403, 'staff_token_required');
  });

  it('5 failed sign-ins for an email within 15 minutes → 429 rate_limited even with the right password; other emails unaffected; lifts after the window', async () => {
    const m = await staffMember(t, 'viewer');
    const other = await staffMember(t, 'viewer');
    for (let i = 0; i < 5; i++) expectProblem(await anon.post('/v1/staff/sign-in', { email: m.email, password: `wrong-${i}` }), 401, 'unauthorized');
    const limited = await anon.post('/v1/staff/sign-in', { email: m.email, password: STAFF_PASSWORD });
    expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await anon.post('/v1/staff/sign-in', { email: other.email, password: STAFF_PASSWORD })).status).toBe(200);
    t.clock.advance(15 * 60_000 + 1000);
    expect((await anon.post('/v1/staff/sign-in', { email: m.email, password: STAFF_PASSWORD })).status).toBe(200);
  });

  it('bad sign-in bodies are 400 with the field named', async () => {
    expectProblem(await anon.post('/v1/staff/sign-in', { email: 'a@b.c' }), 400, 'invalid_request', 'body.password');
    expectProblem(await anon.post('/v1/staff/sign-in', { email: 'a@b.c', password: 'x', extra: 1 }), 400, 'invalid_request');
  });
});

describe('member administration (scope admin)', () => {
  it('adds a member with a generated one-time password that signs in; a taken email is 409', async () => {
    const admin = await staffMember(t, 'admin');
    const res = await admin.client.post('/v1/staff/members', { email: 'New.Analyst@Bank.test', display_name: 'New Analyst', role: 'risk_analyst' });
    expect(res.status, res.text).toBe(201);
    expect(res.body.member).toMatchObject({ email: 'new.analyst@bank.test', role: 'risk_analyst', status: 'active' });
    expect(res.body.password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const signedIn = await anon.post('/v1/staff/sign-in', { email: 'new.analyst@bank.test', password: res.body.password });
    expect(signedIn.status).toBe(200);
    expectProblem(await admin.client.post('/v1/staff/members', { email: 'new.analyst@bank.test', display_name: 'Again', role: 'viewer' }), 409, 'staff_email_taken', 'body.email');
    expectProblem(await admin.client.post('/v1/staff/members', { email: 'not-an-email', display_name: 'X', role: 'viewer' }), 400, 'invalid_request', 'body.email');
    expectProblem(await admin.client.post('/v1/staff/members', { email: 'x@bank.test', display_name: 'X', role: 'superuser' }), 400, 'invalid_request', 'body.role');
    // The password is never listed.
    const listed = await admin.client.get('/v1/staff/members?limit=200');
    expect(listed.text).not.toContain('password');
    expect(listed.body.data.map((m: any) => m.email)).toContain('new.analyst@bank.test');
  });

  it('a role change takes effect at once (the old session ends); an admin cannot change themselves; unknown id is 404', async () => {
    const admin = await staffMember(t, 'admin');
    const m = await staffMember(t, 'viewer');
    expectProblem(await m.client.post('/v1/accounts', { id: '0193a000-0000-7000-8000-0000000000aa', currency: 'CNY', code: 1 }), 403, 'insufficient_scope');
    const changed = await admin.client.request('PATCH', `/v1/staff/members/${m.id}`, { json: { role: 'operator' } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.role).toBe('operator');
    expectProblem(await m.client.get('/v1/staff/me'), 401, 'unauthorized');
    const again = await staffMember(t, 'viewer', `changed-${m.email}`);
    expect(again.id).not.toBe(m.id);
    const signedIn = new Client(t.base, (await anon.post('/v1/staff/sign-in', { email: m.email, password: STAFF_PASSWORD })).body.token);
    expect((await signedIn.get('/v1/staff/me')).body.staff.role).toBe('operator');
    expectProblem(await admin.client.request('PATCH', `/v1/staff/members/${admin.id}`, { json: { role: 'viewer' } }), 409, 'staff_self_change');
    expectProblem(await admin.client.request('PATCH', '/v1/staff/members/0193a000-0000-7000-8000-0000000000ab', { json: { role: 'viewer' } }), 404, 'staff_not_found');
    expectProblem(await admin.client.request('PATCH', `/v1/staff/members/${m.id}`, { json: {} }), 400, 'invalid_request');
  });

  it('lists members by email with a cursor', async () => {
    const admin = await staffMember(t, 'admin');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await admin.client.get(`/v1/staff/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, page.text).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((m: any) => m.email));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(admin.email);
  });
});
