/**
 * What the console needs beyond the roles: customer search for operators (GET
 * /v1/customers?q=) and the demo staff seed (one member per role, idempotent, the
 * shared password signs each in with its role).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem } from '../helpers/http.js';
import { demoStaffEmail, seedDemoStaff } from '../../src/staff/demo.js';
import { ROLES } from '../../src/staff/roles.js';
import { staffMember } from '../helpers/staff.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('customer search (GET /v1/customers?q=)', () => {
  it('finds by exact id, by a part of the name in any case, or by a part of the phone; % is literal', async () => {
    const op = (await staffMember(t, 'operator')).client;
    for (const [id, name] of [['cust-ada', 'Ada Lovelace'], ['cust-alan', 'Alan Turing'], ['cust-grace', 'Grace 100% Hopper']]) {
      expect((await op.post('/v1/customers', { id, display_name: name, mode: 'live' })).status).toBe(201);
    }
    await t.testDb.db.query("UPDATE customers SET phone = '+8613911112222' WHERE id = 'cust-alan'");
    const ids = async (q: string) => ((await op.get(`/v1/customers?q=${encodeURIComponent(q)}`)).body.data as any[]).map((c) => c.id);
    expect(await ids('cust-ada')).toEqual(['cust-ada']);
    expect(await ids('LOVE')).toEqual(['cust-ada']);
    expect(await ids('a')).toEqual(['cust-ada', 'cust-alan', 'cust-grace']);
    expect(await ids('1111222')).toEqual(['cust-alan']);
    expect(await ids('%')).toEqual(['cust-grace']);
    expect(await ids('nobody')).toEqual([]);
    const paged = await op.get('/v1/customers?q=a&limit=2');
    expect(paged.body.data).toHaveLength(2);
    expect((await op.get(`/v1/customers?q=a&cursor=${paged.body.next_cursor}`)).body.data.map((c: any) => c.id)).toEqual(['cust-grace']);
    expectProblem(await op.get(`/v1/customers?q=${'x'.repeat(101)}`), 400, 'invalid_request', 'querystring.q');
    expectProblem(await (await staffMember(t, 'viewer')).client.get('/v1/customers?q=a'), 403, 'insufficient_scope');
  });
});

describe('demo staff seed', () => {
  it('adds one member per role once, with one password that signs each in with its role', async () => {
    const first = await seedDemoStaff(t.testDb.db, t.clock.now());
    expect(first!.emails).toEqual(ROLES.map(demoStaffEmail));
    expect(await seedDemoStaff(t.testDb.db, t.clock.now())).toBeUndefined();
    for (const role of ROLES) {
      const res = await new Client(t.base).post('/v1/staff/sign-in', { email: demoStaffEmail(role), password: first!.password });
      expect(res.status, res.text).toBe(200);
      expect(res.body.staff.role).toBe(role);
    }
  });
});
