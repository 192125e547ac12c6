/** Passkey sign-up and sign-in over HTTP with a software authenticator (test/helpers/webauthn.ts). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem } from '../helpers/http.js';
import { SoftPasskey, newDeviceId, signUpCustomer } from '../helpers/webauthn.js';

let t: TestApp;
let anon: Client;
let phones = 0;
const newPhone = () => `+86139${String(++phones).padStart(8, '0')}`;

beforeAll(async () => {
  t = await startTestApp();
  anon = t.api.as(null);
});
afterAll(async () => t?.close());

async function signIn(passkey: SoftPasskey, device_id: string, opts: { origin?: string; counter?: number; user_verified?: boolean } = {}) {
  const options = await anon.post('/v1/identity/passkeys/authentication/options', {});
  expect(options.status).toBe(200);
  expect(options.body.options.userVerification).toBe('required');
  const response = passkey.authenticate(options.body.options, opts.origin ?? t.base, { counter: opts.counter, user_verified: opts.user_verified });
  return anon.post('/v1/identity/passkeys/authentication/verify', { flow_id: options.body.flow_id, response, device_id });
}

describe('passkey sign-up', () => {
  it('creates the customer, a CNY current account and a session (Bearer and cookie)', async () => {
    const options = await anon.post('/v1/identity/passkeys/registration/options', { display_name: 'Mei Wang', phone: '+8613900000999' });
    expect(options.status).toBe(200);
    expect(options.body.options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    expect(options.body.options.rp.id).toBe('127.0.0.1');
    const passkey = new SoftPasskey();
    const res = await anon.post('/v1/identity/passkeys/registration/verify', { flow_id: options.body.flow_id, response: passkey.register(options.body.options, t.base), device_id: newDeviceId() });
    expect(res.status, res.text).toBe(201);
    expect(res.body.customer).toMatchObject({ display_name: 'Mei Wang', phone_masked: '+86•••••••0999' });
    expect(res.body.session.token).toMatch(/^cs_/);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^cap_session=cs_[^;]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);

    const me = await anon.get('/v1/me', { token: res.body.session.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(res.body.customer.id);
    const accounts = await anon.get('/v1/me/accounts', { headers: { cookie: cookie.split(';')[0]! } });
    expect(accounts.status).toBe(200);
    expect(accounts.body.items).toHaveLength(1);
    expect(accounts.body.items[0]).toMatchObject({ currency: 'CNY', balance_minor: '0', available_minor: '0', pending_minor: '0' });
    const { rows } = await t.testDb.db.query<{ outcome: string; method: string }>('SELECT outcome, method FROM customer_sign_ins WHERE customer_id = $1', [res.body.customer.id]);
    expect(rows).toEqual([{ outcome: 'signed_in', method: 'passkey' }]);
  });

  it('refuses a replayed flow (the challenge answers once)', async () => {
    const options = await anon.post('/v1/identity/passkeys/registration/options', { display_name: 'Replay', phone: newPhone() });
    const passkey = new SoftPasskey();
    const body = { flow_id: options.body.flow_id, response: passkey.register(options.body.options, t.base), device_id: newDeviceId() };
    expect((await anon.post('/v1/identity/passkeys/registration/verify', body)).status).toBe(201);
    expectProblem(await anon.post('/v1/identity/passkeys/registration/verify', body), 400, 'webauthn_flow_invalid', 'flow_id');
  });

  it('refuses a response made for another origin', async () => {
    const options = await anon.post('/v1/identity/passkeys/registration/options', { display_name: 'Phish', phone: newPhone() });
    const response = new SoftPasskey().register({ ...options.body.options, rp: { id: '127.0.0.1' } }, 'http://evil.example:8080');
    const res = await anon.post('/v1/identity/passkeys/registration/verify', { flow_id: options.body.flow_id, response, device_id: newDeviceId() });
    expectProblem(res, 400, 'webauthn_verification_failed', 'response');
    expect(res.body.detail).toMatch(/origin/i);
  });

  it('refuses a phone number that is already registered, and bad input names the field', async () => {
    const phone = newPhone();
    await signUpCustomer(t.base, 'First', phone);
    expectProblem(await anon.post('/v1/identity/passkeys/registration/options', { display_name: 'Second', phone }), 409, 'phone_already_registered', 'phone');
    const bad = await anon.post('/v1/identity/passkeys/registration/options', { display_name: 'X', phone: '13800000000' });
    expectProblem(bad, 400, 'invalid_request');
    expect(bad.body.errors[0].field).toBe('body.phone');
  });
});

describe('passkey sign-in', () => {
  it('signs in from the device that signed up, without a username', async () => {
    const c = await signUpCustomer(t.base, 'Known Device', newPhone());
    const res = await signIn(c.passkey, c.device_id);
    expect(res.status, res.text).toBe(200);
    expect(res.body.customer.id).toBe(c.customer.id);
    expect(res.body.session.token).toMatch(/^cs_/);
  });

  it('asks a new device for a one-time code, then opens a session', async () => {
    const phone = newPhone();
    const c = await signUpCustomer(t.base, 'New Device', phone);
    const device = newDeviceId();
    const res = await signIn(c.passkey, device);
    expect(res.status, res.text).toBe(200);
    expect(res.body.session).toBeUndefined();
    expect(res.body.step_up).toMatchObject({ phone_masked: expect.stringMatching(/•+\d{4}$/) });
    // Retrying the passkey does not skip the owed step-up, though the risk engine now knows the device.
    const again = await signIn(c.passkey, device);
    expect(again.body.step_up).toBeDefined();

    const inbox = await t.admin.get(`/v1/identity/dev/otp-inbox?phone=${encodeURIComponent(phone)}`);
    expect(inbox.status).toBe(200);
    const code = inbox.body.items.find((m: { otp_id: string }) => m.otp_id === again.body.step_up.otp_id).code;
    // The step-up code finishes the sign-in only on the device that started it.
    expectProblem(await anon.post('/v1/identity/otp/verify', { otp_id: again.body.step_up.otp_id, code, device_id: newDeviceId() }), 400, 'otp_invalid', 'code');
    const done = await anon.post('/v1/identity/otp/verify', { otp_id: again.body.step_up.otp_id, code, device_id: device });
    expect(done.status, done.text).toBe(200);
    expect(done.body.customer.id).toBe(c.customer.id);
    // Now the device is known: the next passkey sign-in needs no code.
    expect((await signIn(c.passkey, device)).body.session).toBeDefined();
    const { rows } = await t.testDb.db.query<{ outcome: string }>('SELECT outcome FROM customer_sign_ins WHERE customer_id = $1 AND device_id = $2 ORDER BY at, outcome DESC', [c.customer.id, device]);
    expect(rows.map((r) => r.outcome).sort()).toEqual(['signed_in', 'signed_in', 'step_up', 'step_up']);
  });

  it('refuses a signature counter that went backwards (a cloned authenticator)', async () => {
    const c = await signUpCustomer(t.base, 'Counter', newPhone());
    expect((await signIn(c.passkey, c.device_id, { counter: 10 })).status).toBe(200);
    const res = await signIn(c.passkey, c.device_id, { counter: 5 });
    expectProblem(res, 400, 'webauthn_verification_failed', 'response');
    expect(res.body.detail).toMatch(/counter/i);
  });

  it('refuses a passkey answer without user verification (presence alone is one factor)', async () => {
    const c = await signUpCustomer(t.base, 'Presence', newPhone());
    const res = await signIn(c.passkey, c.device_id, { user_verified: false });
    expectProblem(res, 400, 'webauthn_verification_failed', 'response');
    const { rows } = await t.testDb.db.query('SELECT 1 FROM customer_sessions WHERE customer_id = $1', [c.customer.id]);
    expect(rows).toHaveLength(1); // the sign-up's session only
    expect((await signIn(c.passkey, c.device_id)).status).toBe(200);
  });

  it('refuses a wrong origin, an unknown passkey and a replayed sign-in flow', async () => {
    const c = await signUpCustomer(t.base, 'Origins', newPhone());
    expectProblem(await signIn(c.passkey, c.device_id, { origin: 'http://localhost:1' }), 400, 'webauthn_verification_failed');
    expectProblem(await signIn(new SoftPasskey(), c.device_id), 400, 'webauthn_verification_failed');
    const options = await anon.post('/v1/identity/passkeys/authentication/options', {});
    const body = { flow_id: options.body.flow_id, response: c.passkey.authenticate(options.body.options, t.base), device_id: c.device_id };
    expect((await anon.post('/v1/identity/passkeys/authentication/verify', body)).status).toBe(200);
    expectProblem(await anon.post('/v1/identity/passkeys/authentication/verify', body), 400, 'webauthn_flow_invalid');
  });

  it('refuses a device on the risk deny list with sign_in_refused and a refused sign-in row', async () => {
    const c = await signUpCustomer(t.base, 'Denied', newPhone());
    const denied = newDeviceId();
    const { rows: before } = await t.testDb.db.query('SELECT 1 FROM customer_sign_ins WHERE device_id = $1', [denied]);
    expect(before).toHaveLength(0);
    const listed = await t.admin.put(`/v1/risk/lists/deny/device/${denied}`, { reason: 'test' });
    expect(listed.status, listed.text).toBe(200);
    const res = await signIn(c.passkey, denied);
    expectProblem(res, 403, 'sign_in_refused');
    const { rows } = await t.testDb.db.query<{ outcome: string }>('SELECT outcome FROM customer_sign_ins WHERE device_id = $1', [denied]);
    expect(rows).toEqual([{ outcome: 'refused' }]);
  });
});
