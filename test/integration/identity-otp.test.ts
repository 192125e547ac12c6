/** One-time codes (fallback sign-in), sessions (expiry, sign-out) and the cookie's CSRF header. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem } from '../helpers/http.js';
import { fund, newDeviceId, signUpCustomer } from '../helpers/webauthn.js';
import { DEMO_CUSTOMER, seedDemoCustomer } from '../../src/identity/demo-seed.js';
import { CURRENT_ACCOUNT_CODE, CURRENT_ACCOUNT_FLAGS } from '../../src/identity/signup.js';
import type { AccountId } from '../../src/ledger/types.js';

let t: TestApp<ManualClock>;
let anon: Client;
let phones = 0;
const newPhone = () => `+86137${String(++phones).padStart(8, '0')}`;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.now()) });
  anon = t.api.as(null);
});
afterAll(async () => t?.close());

async function codeFor(phone: string, otp_id: string): Promise<string> {
  const inbox = await t.admin.get(`/v1/identity/dev/otp-inbox?phone=${encodeURIComponent(phone)}`);
  return inbox.body.items.find((m: { otp_id: string }) => m.otp_id === otp_id).code;
}

describe('one-time codes', () => {
  it('signs in with a code sent to a known phone', async () => {
    const phone = newPhone();
    const c = await signUpCustomer(t.base, 'Otp User', phone);
    const start = await anon.post('/v1/identity/otp/start', { phone, purpose: 'sign_in' });
    expect(start.status).toBe(202);
    const res = await anon.post('/v1/identity/otp/verify', { otp_id: start.body.otp_id, code: await codeFor(phone, start.body.otp_id), device_id: newDeviceId() });
    expect(res.status, res.text).toBe(200);
    expect(res.body.customer.id).toBe(c.customer.id);
    // A code works once.
    expectProblem(await anon.post('/v1/identity/otp/verify', { otp_id: start.body.otp_id, code: await codeFor(phone, start.body.otp_id), device_id: newDeviceId() }), 400, 'otp_invalid');
  });

  it('answers the same for an unknown phone (and sends nothing)', async () => {
    const known = newPhone();
    await signUpCustomer(t.base, 'Known', known);
    const unknown = newPhone();
    const a = await anon.post('/v1/identity/otp/start', { phone: known, purpose: 'sign_in' });
    const b = await anon.post('/v1/identity/otp/start', { phone: unknown, purpose: 'sign_in' });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(Object.keys(a.body).sort()).toEqual(Object.keys(b.body).sort());
    expect((await t.admin.get(`/v1/identity/dev/otp-inbox?phone=${encodeURIComponent(unknown)}`)).body.items).toEqual([]);
    expectProblem(await anon.post('/v1/identity/otp/verify', { otp_id: b.body.otp_id, code: '000000', device_id: newDeviceId() }), 400, 'otp_invalid');
  });

  it('locks a code after 5 wrong tries, even against the right one', async () => {
    const phone = newPhone();
    await signUpCustomer(t.base, 'Locked', phone);
    const start = await anon.post('/v1/identity/otp/start', { phone, purpose: 'sign_in' });
    const right = await codeFor(phone, start.body.otp_id);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) expectProblem(await anon.post('/v1/identity/otp/verify', { otp_id: start.body.otp_id, code: wrong, device_id: newDeviceId() }), 400, 'otp_invalid', 'code');
    expectProblem(await anon.post('/v1/identity/otp/verify', { otp_id: start.body.otp_id, code: right, device_id: newDeviceId() }), 403, 'otp_locked');
  });

  it('refuses an expired code', async () => {
    const phone = newPhone();
    await signUpCustomer(t.base, 'Expired', phone);
    const start = await anon.post('/v1/identity/otp/start', { phone, purpose: 'sign_in' });
    t.clock.advance(5 * 60_000 + 1);
    expectProblem(await anon.post('/v1/identity/otp/verify', { otp_id: start.body.otp_id, code: await codeFor(phone, start.body.otp_id), device_id: newDeviceId() }), 400, 'otp_expired');
  });

  it('rate-limits codes per phone', async () => {
    const phone = newPhone();
    for (let i = 0; i < 3; i++) expect((await anon.post('/v1/identity/otp/start', { phone, purpose: 'sign_in' })).status).toBe(202);
    const limited = await anon.post('/v1/identity/otp/start', { phone, purpose: 'sign_in' });
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toBe('900');
  });

  it('keeps the dev inbox to admin keys, and bad input names the field', async () => {
    expectProblem(await t.api.get('/v1/identity/dev/otp-inbox?phone=%2B8613700000001'), 403, 'insufficient_scope');
    expectProblem(await anon.get('/v1/identity/dev/otp-inbox?phone=%2B8613700000001'), 401, 'unauthorized');
    const bad = await anon.post('/v1/identity/otp/verify', { otp_id: crypto.randomUUID(), code: '12345', device_id: newDeviceId() });
    expectProblem(bad, 400, 'invalid_request');
    expect(bad.body.errors[0].field).toBe('body.code');
  });
});

describe('the demo customer', () => {
  it('is seeded idempotently and signs in by code to the seeded account', async () => {
    const account = crypto.randomUUID();
    await t.app.ledger.createAccounts([{ id: account as AccountId, currency: 'CNY', code: CURRENT_ACCOUNT_CODE, flags: CURRENT_ACCOUNT_FLAGS }]);
    await fund(t.app, account, 500n);
    await seedDemoCustomer(t.testDb.db, account, t.clock.now());
    await seedDemoCustomer(t.testDb.db, account, t.clock.now());
    const start = await anon.post('/v1/identity/otp/start', { phone: DEMO_CUSTOMER.phone, purpose: 'sign_in' });
    const res = await anon.post('/v1/identity/otp/verify', { otp_id: start.body.otp_id, code: await codeFor(DEMO_CUSTOMER.phone, start.body.otp_id), device_id: newDeviceId() });
    expect(res.body.customer).toMatchObject({ id: 'alice', display_name: 'Alice Chen' });
    const accounts = await anon.get('/v1/me/accounts', { token: res.body.session.token });
    expect(accounts.body.items).toEqual([expect.objectContaining({ id: account, balance_minor: '500' })]);
  });
});

describe('sessions', () => {
  it('a cookie-authenticated POST needs X-Capillary-Client: app; Bearer does not', async () => {
    const c = await signUpCustomer(t.base, 'Cookie', newPhone());
    const cookie = { cookie: `cap_session=${c.token}` };
    const payee = { name: 'Mum', phone: '+8613700009999' };
    expectProblem(await anon.post('/v1/me/payees', payee, { headers: cookie }), 403, 'client_header_required');
    expect((await anon.post('/v1/me/payees', payee, { headers: { ...cookie, 'x-capillary-client': 'app' } })).status).toBe(201);
    expect((await c.me.post('/v1/me/payees', payee)).status).toBe(201);
    expect((await anon.get('/v1/me/payees', { headers: cookie })).body.items).toHaveLength(2);
  });

  it('an API key is not a session, and a session is not an API key', async () => {
    const c = await signUpCustomer(t.base, 'Keys', newPhone());
    expectProblem(await t.admin.get('/v1/me'), 401, 'unauthorized');
    expectProblem(await c.me.get('/v1/accounts/' + crypto.randomUUID()), 401, 'unauthorized');
  });

  it('expires after 12 hours and ends at sign-out', async () => {
    const c = await signUpCustomer(t.base, 'Expiry', newPhone());
    expect((await c.me.get('/v1/me')).status).toBe(200);
    t.clock.advance(12 * 3_600_000 + 1);
    expectProblem(await c.me.get('/v1/me'), 401, 'unauthorized');

    const d = await signUpCustomer(t.base, 'Sign Out', newPhone());
    const out = await d.me.post('/v1/identity/sign-out');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^cap_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/);
    expectProblem(await d.me.get('/v1/me'), 401, 'unauthorized');
  });
});
