/**
 * The customer's consents page (/oauth/consents): sign in, see own consents only, revoke
 * one (its tokens stop working at once), with the same CSRF protection as the consent page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../../test/helpers/app.js';
import { CookieJar, browse, clientAuth, consentedCustomer, hiddenField, makeCustomer, postForm, registerTestApp, type TestCustomer, type TestPartner } from '../../test/helpers/openbanking.js';
import { getConsent } from './consents-store.js';

let t: TestApp<ManualClock>;
let partner: TestPartner;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 9, 1, 8)) });
  partner = await registerTestApp(t, { name: 'Travel Co' });
});
afterAll(async () => {
  await t?.close();
});

async function signIn(customer: TestCustomer) {
  const jar = new CookieJar();
  const first = await browse(t, jar, 'GET', '/oauth/consents');
  expect(first.status).toBe(200);
  const res = await browse(t, jar, 'POST', '/oauth/consents', { csrf: hiddenField(first.text, 'csrf'), action: 'sign_in', customer_id: customer.customer_id, password: customer.password });
  expect(res.status, res.text).toBe(303);
  const page = await browse(t, jar, 'GET', '/oauth/consents');
  expect(page.status).toBe(200);
  return { jar, page };
}

async function introspect(token: string) {
  const auth = await clientAuth(t, partner);
  return (await postForm(t, '/oauth/introspect', { token, ...auth.fields }, auth.headers)).body;
}

describe('/oauth/consents', () => {
  it("lists the signed-in customer's consents only", async () => {
    const mine = await consentedCustomer(t, partner);
    const theirs = await consentedCustomer(t, partner);
    const { page } = await signIn(mine.customer);
    expect(page.text).toContain('Travel Co');
    expect(page.text).toContain(mine.consent_id);
    expect(page.text).not.toContain(theirs.consent_id);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toMatch(/form-action 'self';/);
  });

  it('revokes a consent: status revoked by customer, refresh and access tokens stop working', async () => {
    const { customer, consent_id, tokens } = await consentedCustomer(t, partner);
    const { jar, page } = await signIn(customer);
    const res = await browse(t, jar, 'POST', '/oauth/consents', { csrf: hiddenField(page.text, 'csrf'), action: 'revoke', consent_id });
    expect(res.status, res.text).toBe(303);
    const after = await browse(t, jar, 'GET', res.location!);
    expect(after.text).toMatch(/consent is revoked/);
    expect(await getConsent(t.testDb.db, consent_id, t.clock.now())).toMatchObject({ status: 'revoked', revoked_by: 'customer' });
    expect(await introspect(tokens.access_token)).toEqual({ active: false });
    expect(await introspect(tokens.refresh_token)).toEqual({ active: false });
    expect((await t.app.oauth.ctx.tokens.verify(tokens.access_token)).ok).toBe(false);
  });

  it("cannot revoke another customer's consent", async () => {
    const victim = await consentedCustomer(t, partner);
    const attacker = await makeCustomer(t);
    const { jar, page } = await signIn(attacker);
    const res = await browse(t, jar, 'POST', '/oauth/consents', { csrf: hiddenField(page.text, 'csrf'), action: 'revoke', consent_id: victim.consent_id });
    expect(res.status).toBe(404);
    expect((await getConsent(t.testDb.db, victim.consent_id, t.clock.now()))?.status).toBe('authorised');
  });

  it('refuses a revoke post without the CSRF token or from another origin; nothing changes', async () => {
    const { customer, consent_id } = await consentedCustomer(t, partner);
    const { jar, page } = await signIn(customer);
    const csrf = hiddenField(page.text, 'csrf');
    expect((await browse(t, jar, 'POST', '/oauth/consents', { action: 'revoke', consent_id })).status).toBe(403);
    expect((await browse(t, jar, 'POST', '/oauth/consents', { csrf, action: 'revoke', consent_id }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await browse(t, new CookieJar(), 'POST', '/oauth/consents', { csrf, action: 'revoke', consent_id })).status).toBe(403);
    expect((await getConsent(t.testDb.db, consent_id, t.clock.now()))?.status).toBe('authorised');
  });

  it('a wrong password shows the sign-in page again (401); sign out ends the session', async () => {
    const customer = await makeCustomer(t);
    const jar = new CookieJar();
    const first = await browse(t, jar, 'GET', '/oauth/consents');
    const wrong = await browse(t, jar, 'POST', '/oauth/consents', { csrf: hiddenField(first.text, 'csrf'), action: 'sign_in', customer_id: customer.customer_id, password: 'nope' });
    expect(wrong.status).toBe(401);
    const { jar: signed, page } = await signIn(customer);
    const out = await browse(t, signed, 'POST', '/oauth/consents', { csrf: hiddenField(page.text, 'csrf'), action: 'sign_out' });
    expect(out.status).toBe(303);
    const again = await browse(t, signed, 'GET', '/oauth/consents');
    expect(again.text).toMatch(/Sign in/);
  });
});
