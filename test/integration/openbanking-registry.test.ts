/**
 * The operator's open-banking API (API key with openbanking:admin) and the partner's
 * consent API (client-credentials token): partner apps, customers and linked accounts,
 * consents as staff see them and as partners create, read and revoke them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { createAccount } from '../helpers/ledger.js';
import { clientToken, registerTestApp, type TestPartner } from '../helpers/openbanking.js';
import { eventsOf, fundedCustomer, grant } from '../helpers/openbanking-data.js';
import { createKey } from '../../src/auth/store.js';
import { WEBHOOK_SECRET_OVERLAP_MS, clientSecretMatches } from '../../src/openbanking/apps.js';
import { findApp } from '../../src/openbanking/apps-store.js';
import { authoriseConsent } from '../../src/openbanking/consents-store.js';
import { signInCustomer } from '../../src/openbanking/customers-store.js';

let t: TestApp<ManualClock>;
let ob: Client; // openbanking:admin
const DAY = 86_400_000;

const publicJwk = () => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'k1' });
const appBody = (over: Record<string, unknown> = {}) => ({
  name: 'Corner Shop',
  mode: 'sandbox',
  redirect_uris: ['https://shop.example/callback'],
  allowed_scopes: ['accounts', 'payments'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...over,
});

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 2, 1)) });
  ob = t.admin.as((await createKey(t.testDb.db, 'ob-admin', ['openbanking:admin'], t.clock.now())).token);
});
afterAll(async () => {
  await t?.close();
});

describe('partner apps (operator API)', () => {
  it('registers a client_secret_basic app: the secret is shown once and only its hash is stored', async () => {
    const res = await ob.post('/v1/partner-apps', appBody({ webhook_url: 'https://shop.example/hooks' }));
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ name: 'Corner Shop', mode: 'sandbox', status: 'active', has_client_secret: true, has_webhook_secret: true, dpop_bound_access_tokens: false });
    expect(res.body.client_secret).toMatch(/^cs_/);
    expect(res.body.webhook_secret).toMatch(/^whsec_/);
    const stored = (await findApp(t.testDb.db, res.body.client_id))!;
    expect(stored.client_secret_hash).not.toContain(res.body.client_secret);
    expect(clientSecretMatches(stored, res.body.client_secret)).toBe(true);
    const read = await ob.get(`/v1/partner-apps/${res.body.client_id}`);
    expect(read.status).toBe(200);
    expect(read.body.client_secret).toBeUndefined();
    expect(read.body.webhook_secret).toBeUndefined();
    expect(read.text).not.toContain(res.body.client_secret);
  });

  it('registers a private_key_jwt app with its public keys and no secret', async () => {
    const res = await ob.post('/v1/partner-apps', appBody({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk()] }, dpop_bound_access_tokens: true }));
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ has_client_secret: false, dpop_bound_access_tokens: true });
    expect(res.body.client_secret).toBeUndefined();
    expect(res.body.jwks.keys[0].kid).toBe('k1');
  });

  it('refuses bad registrations with a precise code and field, storing nothing', async () => {
    const count = async () => (await t.testDb.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM partner_apps')).rows[0]!.n;
    const before = await count();
    const privateJwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'p' };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ redirect_uris: ['http://shop.example/cb'] }, 'invalid_redirect_uri', 'body.redirect_uris[0]'],
      [{ redirect_uris: ['https://shop.example/cb#x'] }, 'invalid_redirect_uri', 'body.redirect_uris[0]'],
      [{ redirect_uris: ['https://ok.example/', 'shop.example/cb'] }, 'invalid_redirect_uri', 'body.redirect_uris[1]'],
      [{ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [privateJwk] } }, 'invalid_jwks', 'body.jwks.keys[0]'],
      [{ token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_jwks', 'body.jwks'],
      [{ webhook_url: 'http://shop.example/hooks' }, 'invalid_webhook_url', 'body.webhook_url'],
    ];
    for (const [over, code, field] of cases) expectProblem(await ob.post('/v1/partner-apps', appBody(over)), 400, code, field);
    expectProblem(await ob.post('/v1/partner-apps', appBody({ allowed_scopes: ['ledger:write'] })), 400, 'invalid_request');
    expect(await count()).toBe(before);
  });

  it('needs the openbanking:admin scope', async () => {
    expectProblem(await t.api.post('/v1/partner-apps', appBody()), 403, 'insufficient_scope');
    expectProblem(await t.api.get('/v1/customers'), 403, 'insufficient_scope');
  });

  it('changes redirect URIs and scopes, sets a webhook (secret once), rotates the client secret, disables the app', async () => {
    const created = await ob.post('/v1/partner-apps', appBody());
    const id = created.body.client_id;
    const patched = await ob.request('PATCH', `/v1/partner-apps/${id}`, { json: { redirect_uris: ['https://shop.example/new'], allowed_scopes: ['accounts'], webhook_url: 'https://shop.example/hooks' } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ redirect_uris: ['https://shop.example/new'], allowed_scopes: ['accounts'], webhook_url: 'https://shop.example/hooks', has_webhook_secret: true });
    expect(patched.body.webhook_secret).toMatch(/^whsec_/);
    expectProblem(await ob.request('PATCH', `/v1/partner-apps/${id}`, { json: { redirect_uris: ['ftp://x'] } }), 400, 'invalid_redirect_uri');

    const rotated = await ob.post(`/v1/partner-apps/${id}/secret`, { kind: 'client_secret' });
    expect(rotated.status, rotated.text).toBe(200);
    const stored = (await findApp(t.testDb.db, id))!;
    expect(clientSecretMatches(stored, rotated.body.client_secret)).toBe(true);
    expect(clientSecretMatches(stored, created.body.client_secret)).toBe(false);
    const webhook = await ob.post(`/v1/partner-apps/${id}/secret`, { kind: 'webhook_secret' });
    expect(webhook.body.webhook_secret).not.toBe(patched.body.webhook_secret);

    const disabled = await ob.request('PATCH', `/v1/partner-apps/${id}`, { json: { status: 'disabled' } });
    expect(disabled.body.status).toBe('disabled');
    expectProblem(await ob.get('/v1/partner-apps/app_doesnotexist0000000000'), 404, 'partner_app_not_found');
  });

  it('rotating the webhook secret keeps the old one for 24 h, shown only as its expiry; rotating again keeps two; removing the webhook clears both', async () => {
    const created = await ob.post('/v1/partner-apps', appBody({ webhook_url: 'https://shop.example/hooks' }));
    const id = created.body.client_id;
    const original = created.body.webhook_secret as string;
    expect(created.body.webhook_secret_previous_expires_at).toBeNull();

    const first = await ob.post(`/v1/partner-apps/${id}/secret`, { kind: 'webhook_secret' });
    expect(first.status, first.text).toBe(200);
    const firstUntil = new Date(t.clock.now().getTime() + WEBHOOK_SECRET_OVERLAP_MS);
    expect(WEBHOOK_SECRET_OVERLAP_MS).toBe(24 * 3_600_000);
    expect(first.body.webhook_secret_previous_expires_at).toBe(firstUntil.toISOString());
    let stored = (await findApp(t.testDb.db, id))!;
    expect(stored).toMatchObject({ webhook_secret: first.body.webhook_secret, webhook_secret_previous: original, webhook_secret_previous_until: firstUntil });
    const read = await ob.get(`/v1/partner-apps/${id}`);
    expect(read.body.webhook_secret_previous_expires_at).toBe(firstUntil.toISOString());
    for (const secret of [original, first.body.webhook_secret]) expect(read.text).not.toContain(secret);
    expect(first.text).not.toContain(original);

    // Within the window: the secret just replaced becomes the previous one; the original is gone.
    t.clock.advance(3_600_000);
    const second = await ob.post(`/v1/partner-apps/${id}/secret`, { kind: 'webhook_secret' });
    const secondUntil = new Date(t.clock.now().getTime() + WEBHOOK_SECRET_OVERLAP_MS);
    expect(second.body.webhook_secret_previous_expires_at).toBe(secondUntil.toISOString());
    stored = (await findApp(t.testDb.db, id))!;
    expect(stored).toMatchObject({ webhook_secret: second.body.webhook_secret, webhook_secret_previous: first.body.webhook_secret, webhook_secret_previous_until: secondUntil });
    const { rows } = await t.testDb.db.query<Record<string, string | null>>('SELECT * FROM partner_apps WHERE id = $1', [id]);
    expect(Object.values(rows[0]!).filter((v) => typeof v === 'string' && v.startsWith('whsec_')).sort()).toEqual([first.body.webhook_secret, second.body.webhook_secret].sort());

    const removed = await ob.request('PATCH', `/v1/partner-apps/${id}`, { json: { webhook_url: null } });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body).toMatchObject({ webhook_url: null, has_webhook_secret: false, webhook_secret_previous_expires_at: null });
    expect(await findApp(t.testDb.db, id)).toMatchObject({ webhook_secret: null, webhook_secret_previous: null, webhook_secret_previous_until: null });
    expectProblem(await ob.post(`/v1/partner-apps/${id}/secret`, { kind: 'webhook_secret' }), 409, 'secret_not_applicable');
  });

  it('a private_key_jwt app has no client secret to rotate', async () => {
    const created = await ob.post('/v1/partner-apps', appBody({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk()] } }));
    expectProblem(await ob.post(`/v1/partner-apps/${created.body.client_id}/secret`, { kind: 'client_secret' }), 409, 'secret_not_applicable');
  });

  it('lists apps page by page', async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: any = await ob.get(`/v1/partner-apps?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      for (const a of page.body.data) {
        expect(seen.has(a.client_id)).toBe(false);
        seen.add(a.client_id);
      }
      cursor = page.body.next_cursor;
    } while (cursor);
    const { rows } = await t.testDb.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM partner_apps');
    expect(BigInt(seen.size)).toBe(rows[0]!.n);
  });
});

describe('customers (operator API)', () => {
  it('creates a customer (201), repeats it (200), refuses other fields (409); the password signs in', async () => {
    const body = { id: 'reg-cust-1', display_name: 'Reg Customer', mode: 'sandbox', password: 'a good password' };
    const created = await ob.post('/v1/customers', body);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ id: 'reg-cust-1', mode: 'sandbox', status: 'active' });
    expect(created.text).not.toContain('a good password');
    expect((await ob.post('/v1/customers', body)).status).toBe(200);
    expectProblem(await ob.post('/v1/customers', { ...body, mode: 'live' }), 409, 'exists_with_different_fields', 'body.id');
    expect(await signInCustomer(t.testDb.db, 'reg-cust-1', 'a good password')).toMatchObject({ id: 'reg-cust-1' });
    expect(await signInCustomer(t.testDb.db, 'reg-cust-1', 'a bad password')).toBeUndefined();
    expect(await signInCustomer(t.testDb.db, 'nobody', 'a good password')).toBeUndefined();

    const disabled = await ob.post('/v1/customers/reg-cust-1/status', { status: 'disabled' });
    expect(disabled.body.status).toBe('disabled');
    expect(await signInCustomer(t.testDb.db, 'reg-cust-1', 'a good password')).toBeUndefined();
    await ob.post('/v1/customers/reg-cust-1/status', { status: 'active' });
  });

  it('links ledger accounts: one owner per account', async () => {
    await ob.post('/v1/customers', { id: 'reg-cust-2', display_name: 'Two', mode: 'sandbox' });
    await ob.post('/v1/customers', { id: 'reg-cust-3', display_name: 'Three', mode: 'sandbox' });
    const account = await createAccount(t.api, { currency: 'EUR' });
    const linked = await ob.post('/v1/customers/reg-cust-2/accounts', { account_id: account, nickname: 'Main' });
    expect(linked.status, linked.text).toBe(201);
    expect(linked.body).toEqual({ account_id: account, currency: 'EUR', nickname: 'Main', status: 'open' });
    expect((await ob.post('/v1/customers/reg-cust-2/accounts', { account_id: account })).status).toBe(200);
    expectProblem(await ob.post('/v1/customers/reg-cust-3/accounts', { account_id: account }), 409, 'account_already_linked', 'body.account_id');
    expectProblem(await ob.post('/v1/customers/reg-cust-3/accounts', { account_id: uuid7() }), 404, 'account_not_found', 'body.account_id');
    expectProblem(await ob.post('/v1/customers/nobody/accounts', { account_id: account }), 404, 'customer_not_found');
    const read = await ob.get('/v1/customers/reg-cust-2');
    expect(read.body.accounts).toEqual([{ account_id: account, currency: 'EUR', nickname: 'Main', status: 'open' }]);
    const list = await ob.get('/v1/customers?mode=sandbox&limit=500');
    expect(list.status).toBe(400); // limit above the maximum: schema error
    const page = await ob.get('/v1/customers?mode=sandbox&limit=1');
    expect(page.body.data).toHaveLength(1);
    expect(page.body.next_cursor).not.toBeNull();
  });
});

describe('consents (staff and partner)', () => {
  let partner: TestPartner;
  let other: TestPartner;
  beforeAll(async () => {
    partner = await registerTestApp(t, { mode: 'sandbox' });
    other = await registerTestApp(t, { mode: 'sandbox' });
  });

  const consentBody = (over: Record<string, unknown> = {}) => ({
    kind: 'account_access',
    permissions: ['accounts:read', 'balances:read'],
    expires_at: new Date(t.clock.now().getTime() + 30 * DAY).toISOString(),
    ...over,
  });

  it('a partner creates a consent (201 awaiting_authorisation), reads its own, cannot see another app’s (404), and revokes it', async () => {
    const token = await clientToken(t, partner);
    const id = uuid7();
    const created = await new Client(t.base, token).post('/open-banking/v1/consents', consentBody({ id }));
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ id, client_id: partner.client_id, status: 'awaiting_authorisation', customer_id: null, account_ids: [], payment: null });
    expect((await new Client(t.base, token).post('/open-banking/v1/consents', consentBody({ id, expires_at: created.body.expires_at }))).status).toBe(200);
    expect((await new Client(t.base, token).get(`/open-banking/v1/consents/${id}`)).body.status).toBe('awaiting_authorisation');
    const theirs = await clientToken(t, other);
    expectProblem(await new Client(t.base, theirs).get(`/open-banking/v1/consents/${id}`), 404, 'consent_not_found');
    expectProblem(await new Client(t.base, theirs).delete(`/open-banking/v1/consents/${id}`), 404, 'consent_not_found');
    const revoked = await new Client(t.base, token).delete(`/open-banking/v1/consents/${id}`);
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_by: 'partner' });
    expect((await new Client(t.base, token).delete(`/open-banking/v1/consents/${id}`)).status).toBe(200);
    expect((await eventsOf(t, id)).map((e) => e.topic)).toEqual(['openbanking.consent.revoked']);
  });

  it("a partner lists its own consents, newest first, page by page; another app's never appear; a forged cursor is 400", async () => {
    const lister = await registerTestApp(t, { mode: 'sandbox' });
    const token = await clientToken(t, lister);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await new Client(t.base, token).post('/open-banking/v1/consents', consentBody());
      expect(created.status, created.text).toBe(201);
      ids.push(created.body.id);
      t.clock.advance(1000);
    }
    await new Client(t.base, await clientToken(t, other)).post('/open-banking/v1/consents', consentBody());
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await new Client(t.base, token).get(`/open-banking/v1/consents?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, page.text).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      for (const c of page.body.data) expect(c.client_id).toBe(lister.client_id);
      seen.push(...page.body.data.map((c: any) => c.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expectProblem(await new Client(t.base, token).get('/open-banking/v1/consents?cursor=bm90LW91cnM'), 400, 'invalid_cursor');
    expectProblem(await new Client(t.base, token).get('/open-banking/v1/consents?limit=0'), 400, 'invalid_request', 'querystring.limit');
  });

  it('a payment consent carries its terms', async () => {
    const shop = await fundedCustomer(t, { funds: [0n] });
    const res = await new Client(t.base, await clientToken(t, partner)).post(
      '/open-banking/v1/consents',
      consentBody({ kind: 'payment_initiation', permissions: ['payments:create'], expires_at: new Date(t.clock.now().getTime() + 7 * DAY).toISOString(), payment: { currency: 'USD', amount_limit_minor: '50000', per_payment_max_minor: '10000', creditor_account_id: shop.account_ids[0] } }),
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body.payment).toEqual({ currency: 'USD', amount_limit_minor: '50000', amount_used_minor: '0', amount_remaining_minor: '50000', per_payment_max_minor: '10000', creditor_account_id: shop.account_ids[0] });
  });

  it('refuses consent requests that break the rules, with the field', async () => {
    const client = new Client(t.base, await clientToken(t, partner));
    const now = t.clock.now().getTime();
    expectProblem(await client.post('/open-banking/v1/consents', consentBody({ expires_at: new Date(now + 181 * DAY).toISOString() })), 400, 'consent_expiry_out_of_range', 'body.expires_at');
    expectProblem(
      await client.post('/open-banking/v1/consents', consentBody({ kind: 'payment_initiation', permissions: ['payments:create'], expires_at: new Date(now + 31 * DAY).toISOString(), payment: { currency: 'USD', amount_limit_minor: '1' } })),
      400,
      'consent_expiry_out_of_range',
    );
    expectProblem(await client.post('/open-banking/v1/consents', consentBody({ permissions: ['payments:create'] })), 400, 'consent_permissions_invalid', 'body.permissions');
    expectProblem(await client.post('/open-banking/v1/consents', consentBody({ kind: 'payment_initiation', permissions: ['payments:create'] })), 400, 'consent_payment_terms_invalid', 'body.payment');
    const live = await fundedCustomer(t, { mode: 'live', funds: [0n] });
    expectProblem(
      await client.post('/open-banking/v1/consents', consentBody({ kind: 'payment_initiation', permissions: ['payments:create'], expires_at: new Date(now + DAY).toISOString(), payment: { currency: 'USD', amount_limit_minor: '1', creditor_account_id: live.account_ids[0] } })),
      404,
      'account_not_found',
      'body.payment.creditor_account_id',
    );
  });

  it('a token beyond its scope: an accounts-only token cannot ask for a payment consent; a customer token cannot use the consent API', async () => {
    const narrow = await clientToken(t, partner, { scopes: ['accounts'] });
    const now = t.clock.now().getTime();
    expectProblem(
      await new Client(t.base, narrow).post('/open-banking/v1/consents', consentBody({ kind: 'payment_initiation', permissions: ['payments:create'], expires_at: new Date(now + DAY).toISOString(), payment: { currency: 'USD', amount_limit_minor: '1' } })),
      403,
      'insufficient_scope',
    );
    const riskOnly = await clientToken(t, partner, { scopes: ['risk'] });
    expectProblem(await new Client(t.base, riskOnly).post('/open-banking/v1/consents', consentBody()), 403, 'insufficient_scope');
    const c = await fundedCustomer(t, { funds: [0n] });
    const { token } = await grant(t, partner, c, c.account_ids);
    expectProblem(await new Client(t.base, token).post('/open-banking/v1/consents', consentBody()), 403, 'insufficient_scope');
    const { rows } = await t.testDb.db.query<{ n: bigint }>("SELECT count(*)::int8 AS n FROM consents WHERE client_id = $1 AND kind = 'payment_initiation' AND amount_limit_minor = 1", [partner.client_id]);
    expect(rows[0]!.n).toBe(0n);
  });

  it('staff see consents by client and customer; the customer revokes through the bank; authorisation writes its event', async () => {
    const c = await fundedCustomer(t, { funds: [0n] });
    const { consent_id } = await grant(t, partner, c, c.account_ids);
    expect((await eventsOf(t, consent_id)).map((e) => [e.topic, e.client_id])).toEqual([['openbanking.consent.authorised', partner.client_id]]);
    const byCustomer = await ob.get(`/v1/customers/${c.customer_id}/consents`);
    expect(byCustomer.body.data.map((x: { id: string }) => x.id)).toEqual([consent_id]);
    const byClient = await ob.get(`/v1/consents?client_id=${partner.client_id}&limit=200`);
    expect(byClient.body.data.map((x: { id: string }) => x.id)).toContain(consent_id);
    expect(byClient.body.data.every((x: { client_id: string }) => x.client_id === partner.client_id)).toBe(true);
    expectProblem(await ob.post(`/v1/customers/someone-else/consents/${consent_id}/revoke`), 404, 'consent_not_found');
    const revoked = await ob.post(`/v1/customers/${c.customer_id}/consents/${consent_id}/revoke`);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_by: 'customer' });
    expect((await eventsOf(t, consent_id)).map((e) => e.topic)).toEqual(['openbanking.consent.authorised', 'openbanking.consent.revoked']);
    // A consent past expiry reads as expired to staff too.
    const later = await fundedCustomer(t, { funds: [0n] });
    const short = await grant(t, partner, later, later.account_ids, { expires_in_ms: 15 * 60_000 });
    t.clock.advance(15 * 60_000);
    expect((await ob.get(`/v1/consents/${short.consent_id}`)).body.status).toBe('expired');
    expectProblem(await ob.post(`/v1/consents/${short.consent_id}/revoke`), 409, 'consent_not_revocable');
  });

  it('an authorised consent cannot be authorised again', async () => {
    const c = await fundedCustomer(t, { funds: [0n] });
    const { consent_id } = await grant(t, partner, c, c.account_ids);
    expect(await authoriseConsent(t.testDb.db, { id: consent_id, client_id: partner.client_id, customer_id: c.customer_id, account_ids: c.account_ids, now: t.clock.now() })).toMatchObject({
      ok: false,
      code: 'consent_not_awaiting_authorisation',
    });
  });
});
