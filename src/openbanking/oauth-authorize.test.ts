/**
 * The authorization endpoint and the consent page over HTTP, as a browser uses them:
 * pushed requests only, sign-in, what the page shows, approve and deny, the page's
 * protections (CSRF token, same-origin posts, CSP, framing) and the errors that leave the
 * consent untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../../test/helpers/app.js';
import {
  CookieJar,
  approveOnConsentPage,
  browse,
  hiddenField,
  makeConsent,
  makeCustomer,
  pkce,
  pushAuthorizationRequest,
  registerTestApp,
  type TestCustomer,
  type TestPartner,
} from '../../test/helpers/openbanking.js';
import { getConsent, revokeConsent } from './consents-store.js';
import { linkAccount } from './customers-store.js';
import { createAccount } from '../../test/helpers/ledger.js';

let t: TestApp<ManualClock>;
let partner: TestPartner;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 6, 1, 8)) });
  partner = await registerTestApp(t, { name: 'Corner <Shop> & "Co"' });
});
afterAll(async () => {
  await t?.close();
});

interface Started {
  consent_id: string;
  request_uri: string;
  authorize: string;
  customer: TestCustomer;
}

async function start(options: { kind?: 'account_access' | 'payment_initiation'; accounts?: number; client?: TestPartner; currency?: string } = {}): Promise<Started> {
  const client = options.client ?? partner;
  const customer = await makeCustomer(t, { accounts: options.accounts ?? 2, ...(options.currency ? { currency: options.currency } : {}) });
  const consent_id = await makeConsent(t, client, { kind: options.kind ?? 'account_access' });
  const par = await pushAuthorizationRequest(t, client, {
    response_type: 'code',
    redirect_uri: client.redirect_uri,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    consent_id,
    state: 'st-1',
  });
  expect(par.status, par.text).toBe(201);
  const request_uri = par.body.request_uri as string;
  return { consent_id, request_uri, customer, authorize: `/oauth/authorize?client_id=${encodeURIComponent(client.client_id)}&request_uri=${encodeURIComponent(request_uri)}` };
}

/** Opens the page and signs in; returns the jar and the consent page. */
async function signedIn(s: Started) {
  const jar = new CookieJar();
  const first = await browse(t, jar, 'GET', s.authorize);
  const login = await browse(t, jar, 'POST', '/oauth/authorize/login', { request_uri: s.request_uri, csrf: hiddenField(first.text, 'csrf'), customer_id: s.customer.customer_id, password: s.customer.password });
  expect(login.status, login.text).toBe(303);
  const page = await browse(t, jar, 'GET', s.authorize);
  expect(page.status, page.text).toBe(200);
  return { jar, page };
}

async function codes(): Promise<number> {
  const { rows } = await t.testDb.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM oauth_codes');
  return Number(rows[0]!.n);
}

describe('GET /oauth/authorize', () => {
  it('refuses a request that was not pushed (no request_uri), FAPI 2.0', async () => {
    const res = await browse(t, new CookieJar(), 'GET', `/oauth/authorize?client_id=${partner.client_id}&response_type=code&redirect_uri=https://shop.example/callback&code_challenge=${pkce().challenge}&code_challenge_method=S256`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toMatch(/pushed authorization requests/);
    expect(res.location).toBeNull();
  });

  it('refuses an unknown request_uri and one presented with another client_id', async () => {
    const s = await start();
    const other = await registerTestApp(t);
    expect((await browse(t, new CookieJar(), 'GET', `/oauth/authorize?client_id=${partner.client_id}&request_uri=urn:ietf:params:oauth:request_uri:nope`)).status).toBe(400);
    const res = await browse(t, new CookieJar(), 'GET', `/oauth/authorize?client_id=${other.client_id}&request_uri=${encodeURIComponent(s.request_uri)}`);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/unknown or has expired/);
  });

  it('serves the sign-in page with strict security headers and a SameSite=Strict HttpOnly session cookie', async () => {
    const s = await start();
    const jar = new CookieJar();
    const res = await browse(t, jar, 'GET', s.authorize);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/form-action 'self' https:\/\/shop\.example(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/script-src/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = res.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^cap_authorize=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/oauth/);
    expect(res.text).not.toMatch(/<script|src=|href="http/);
    expect(res.text).toContain('Corner &lt;Shop&gt; &amp; &quot;Co&quot;');
    expect(res.text).not.toContain('Corner <Shop>');
  });

  it('refuses a pushed request whose 90 s have passed before the browser arrived', async () => {
    const s = await start();
    t.clock.advance(91_000);
    const res = await browse(t, new CookieJar(), 'GET', s.authorize);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/expired/);
  });
});

describe('sign-in', () => {
  it('a wrong password shows the page again (401) and changes nothing', async () => {
    const s = await start();
    const jar = new CookieJar();
    const first = await browse(t, jar, 'GET', s.authorize);
    const res = await browse(t, jar, 'POST', '/oauth/authorize/login', { request_uri: s.request_uri, csrf: hiddenField(first.text, 'csrf'), customer_id: s.customer.customer_id, password: 'wrong' });
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/Wrong customer id or password/);
    expect((await getConsent(t.testDb.db, s.consent_id, t.clock.now()))?.status).toBe('awaiting_authorisation');
  });

  it('password guessing is throttled per customer id: 10 attempts, then one a minute (429 with Retry-After)', async () => {
    const s = await start();
    const jar = new CookieJar();
    const first = await browse(t, jar, 'GET', s.authorize);
    const attempt = (password: string) =>
      browse(t, jar, 'POST', '/oauth/authorize/login', { request_uri: s.request_uri, csrf: hiddenField(first.text, 'csrf'), customer_id: s.customer.customer_id, password });
    for (let i = 0; i < 10; i++) expect((await attempt(`guess-${i}`)).status).toBe(401);
    const blocked = await attempt(s.customer.password); // even the right password waits
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.text).toMatch(/Too many sign-in attempts/);
    t.clock.advance(60_000);
    expect((await attempt(s.customer.password)).status).toBe(303);
  });

  it('a live customer cannot approve a sandbox app', async () => {
    const s = await start();
    const live = await makeCustomer(t, { mode: 'live' });
    const jar = new CookieJar();
    const first = await browse(t, jar, 'GET', s.authorize);
    const res = await browse(t, jar, 'POST', '/oauth/authorize/login', { request_uri: s.request_uri, csrf: hiddenField(first.text, 'csrf'), customer_id: live.customer_id, password: live.password });
    expect(res.status).toBe(403);
    expect(res.text).toMatch(/sandbox app/);
  });
});

describe('the consent page', () => {
  it("shows the partner's name, the consent's kind, permissions, expiry and the customer's accounts", async () => {
    const s = await start();
    const { page } = await signedIn(s);
    expect(page.text).toContain('Corner &lt;Shop&gt;');
    expect(page.text).toContain('Access to account information');
    expect(page.text).toContain('See their balances');
    expect(page.text).toMatch(/Until<\/dt><dd>\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    for (const id of s.customer.account_ids) expect(page.text).toContain(`type="checkbox" name="account_id" value="${id}"`);
  });

  it('for a payment consent shows the limit and offers one debtor account in its currency', async () => {
    const s = await start({ kind: 'payment_initiation', accounts: 2 });
    const eur = await createAccount(t.api, { currency: 'EUR' });
    expect((await linkAccount(t.testDb.db, { customer_id: s.customer.customer_id, account_id: eur, nickname: 'Euro', now: t.clock.now() })).ok).toBe(true);
    const { page } = await signedIn(s);
    expect(page.text).toContain('Payments from your account');
    expect(page.text).toContain('1000.00 USD in total');
    expect(page.text.match(/type="radio" name="account_id"/g)?.length).toBe(2);
    expect(page.text).not.toContain(eur);
  });

  it('approve: redirects with code, state and iss; the consent is authorised for the chosen accounts', async () => {
    const s = await start();
    const redirect = await approveOnConsentPage(t, partner, s.request_uri, { customer: s.customer, account_ids: s.customer.account_ids });
    expect(redirect.searchParams.get('code')).toBeTruthy();
    expect(redirect.searchParams.get('state')).toBe('st-1');
    expect(redirect.searchParams.get('iss')).toBe(t.app.oauth.ctx.issuer());
    const consent = await getConsent(t.testDb.db, s.consent_id, t.clock.now());
    expect(consent?.status).toBe('authorised');
    expect([...consent!.account_ids].sort()).toEqual([...s.customer.account_ids].sort());
  });

  it('deny: redirects with error=access_denied, state and iss; the consent is rejected and no code exists', async () => {
    const s = await start();
    const before = await codes();
    const redirect = await approveOnConsentPage(t, partner, s.request_uri, { customer: s.customer, decision: 'deny' });
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe('st-1');
    expect(redirect.searchParams.get('iss')).toBe(t.app.oauth.ctx.issuer());
    expect(redirect.searchParams.get('code')).toBeNull();
    expect((await getConsent(t.testDb.db, s.consent_id, t.clock.now()))?.status).toBe('rejected');
    expect(await codes()).toBe(before);
  });

  it("an account that is not the customer's, no account, or two accounts for a payment: the page again (422), nothing changed", async () => {
    const s = await start();
    const stranger = await makeCustomer(t);
    const { jar, page } = await signedIn(s);
    const before = await codes();
    for (const account_id of [[stranger.account_ids[0]!], []]) {
      const res = await browse(t, jar, 'POST', '/oauth/authorize/decision', { request_uri: s.request_uri, csrf: hiddenField(page.text, 'csrf'), decision: 'approve', account_id });
      expect(res.status, res.text).toBe(422);
      expect(res.text).toMatch(/class="error"/);
    }
    expect((await getConsent(t.testDb.db, s.consent_id, t.clock.now()))?.status).toBe('awaiting_authorisation');
    expect(await codes()).toBe(before);
    // Still usable: the customer fixes the choice.
    const ok = await browse(t, jar, 'POST', '/oauth/authorize/decision', { request_uri: s.request_uri, csrf: hiddenField(page.text, 'csrf'), decision: 'approve', account_id: s.customer.account_ids[0]! });
    expect(ok.status).toBe(303);

    const p = await start({ kind: 'payment_initiation', accounts: 2 });
    const signed = await signedIn(p);
    const two = await browse(t, signed.jar, 'POST', '/oauth/authorize/decision', { request_uri: p.request_uri, csrf: hiddenField(signed.page.text, 'csrf'), decision: 'approve', account_id: p.customer.account_ids });
    expect(two.status).toBe(422);
    expect(two.text).toMatch(/exactly one debtor account/);
  });

  it('a completed request cannot be used again (second submit, back button)', async () => {
    const s = await start();
    const { jar, page } = await signedIn(s);
    const csrf = hiddenField(page.text, 'csrf');
    const first = await browse(t, jar, 'POST', '/oauth/authorize/decision', { request_uri: s.request_uri, csrf, decision: 'approve', account_id: s.customer.account_ids[0]! });
    expect(first.status).toBe(303);
    const again = await browse(t, jar, 'POST', '/oauth/authorize/decision', { request_uri: s.request_uri, csrf, decision: 'approve', account_id: s.customer.account_ids[0]! });
    expect(again.status).toBe(403); // the session cookie was cleared with the redirect
    const reopened = await browse(t, new CookieJar(), 'GET', s.authorize);
    expect(reopened.status).toBe(400);
    expect(reopened.text).toMatch(/already completed/);
  });

  it('a signed-in session outlives the 90 s of the pushed request, up to its 10 minutes', async () => {
    const s = await start();
    const { jar, page } = await signedIn(s);
    t.clock.advance(300_000);
    const res = await browse(t, jar, 'POST', '/oauth/authorize/decision', { request_uri: s.request_uri, csrf: hiddenField(page.text, 'csrf'), decision: 'approve', account_id: s.customer.account_ids[0]! });
    expect(res.status, res.text).toBe(303);
    expect(new URL(res.location!).searchParams.get('code')).toBeTruthy();

    const late = await start();
    const signed = await signedIn(late);
    t.clock.advance(601_000);
    const expired = await browse(t, signed.jar, 'POST', '/oauth/authorize/decision', { request_uri: late.request_uri, csrf: hiddenField(signed.page.text, 'csrf'), decision: 'approve', account_id: late.customer.account_ids[0]! });
    expect(expired.status).toBe(403);
  });

  it('a consent revoked while the page is open goes back to the client as access_denied', async () => {
    const s = await start();
    const { jar } = await signedIn(s);
    expect((await revokeConsent(t.testDb.db, { id: s.consent_id, by: 'partner', actor_id: partner.client_id, now: t.clock.now() })).ok).toBe(true);
    const res = await browse(t, jar, 'GET', s.authorize);
    expect(res.status).toBe(303);
    const url = new URL(res.location!);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe('st-1');
  });
});

describe('CSRF on the consent page', () => {
  it('refuses posts without the token, with a wrong token, with a cross-site origin, or without the session cookie; nothing changes', async () => {
    const s = await start();
    const { jar, page } = await signedIn(s);
    const csrf = hiddenField(page.text, 'csrf');
    const approve = { request_uri: s.request_uri, decision: 'approve', account_id: s.customer.account_ids[0]! };
    const before = await codes();

    const attempts: [string, Awaited<ReturnType<typeof browse>>][] = [
      ['no token', await browse(t, jar, 'POST', '/oauth/authorize/decision', approve)],
      ['wrong token', await browse(t, jar, 'POST', '/oauth/authorize/decision', { ...approve, csrf: `${csrf.slice(0, -2)}xx` })],
      ['cross-site origin', await browse(t, jar, 'POST', '/oauth/authorize/decision', { ...approve, csrf }, { origin: 'https://evil.example' })],
      ['cross-site fetch metadata', await browse(t, jar, 'POST', '/oauth/authorize/decision', { ...approve, csrf }, { 'sec-fetch-site': 'cross-site' })],
      // An attacker's auto-submitting form: the browser sends no SameSite=Strict cookie, and the attacker cannot know the token.
      ['no session cookie', await browse(t, new CookieJar(), 'POST', '/oauth/authorize/decision', { ...approve, csrf })],
    ];
    for (const [name, res] of attempts) {
      expect(res.status, name).toBe(403);
      expect(res.text, name).toMatch(/CSRF check/);
      expect(res.location, name).toBeNull();
    }
    // The attacker's own session: a valid token of another session does not fit this one.
    const attacker = await signedIn(await start());
    const crossed = await browse(t, jar, 'POST', '/oauth/authorize/decision', { ...approve, csrf: hiddenField(attacker.page.text, 'csrf') });
    expect(crossed.status).toBe(403);

    expect((await getConsent(t.testDb.db, s.consent_id, t.clock.now()))?.status).toBe('awaiting_authorisation');
    expect(await codes()).toBe(before);
    // The control: the page's own token with its session cookie works.
    const ok = await browse(t, jar, 'POST', '/oauth/authorize/decision', { ...approve, csrf });
    expect(ok.status).toBe(303);
  });

  it('the token of the sign-in page is worthless after sign-in (rotated)', async () => {
    const s = await start();
    const jar = new CookieJar();
    const first = await browse(t, jar, 'GET', s.authorize);
    const old = hiddenField(first.text, 'csrf');
    const login = await browse(t, jar, 'POST', '/oauth/authorize/login', { request_uri: s.request_uri, csrf: old, customer_id: s.customer.customer_id, password: s.customer.password });
    expect(login.status).toBe(303);
    const res = await browse(t, jar, 'POST', '/oauth/authorize/decision', { request_uri: s.request_uri, csrf: old, decision: 'approve', account_id: s.customer.account_ids[0]! });
    expect(res.status).toBe(403);
    expect((await getConsent(t.testDb.db, s.consent_id, t.clock.now()))?.status).toBe('awaiting_authorisation');
  });

  it('refuses a sign-in post without the token (login CSRF)', async () => {
    const s = await start();
    const jar = new CookieJar();
    await browse(t, jar, 'GET', s.authorize);
    const res = await browse(t, jar, 'POST', '/oauth/authorize/login', { request_uri: s.request_uri, customer_id: s.customer.customer_id, password: s.customer.password });
    expect(res.status).toBe(403);
  });
});
