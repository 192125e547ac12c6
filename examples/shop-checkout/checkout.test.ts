/**
 * The example shop end to end against the real server in-process (startTestApp):
 * the operator registers the shop and the customers through the operator API; a customer's
 * browser (fetch with a cookie jar per site, no redirects followed) fills the basket, is
 * sent to the bank's consent page, signs in, approves, comes back to the shop, which pays;
 * the customer's and the shop's ledger balances move by exactly the basket total; the events
 * relay and the webhook sender are stepped by hand and the shop receives the signed
 * openbanking.payment.completed webhook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { startTestApp, type TestApp } from '../../test/helpers/app.js';
import { CookieJar, hiddenField } from '../../test/helpers/openbanking.js';
import { postedBalance } from '../../test/helpers/openbanking-data.js';
import { uuid7 } from '../../test/helpers/http.js';
import { WebhookSender } from '../../src/events/webhook-sender.js';
import { signWebhook } from '../../src/events/webhook-signature.js';
import type { Clock } from '../../src/server/clock.js';
import { CapillaryClient } from '../../sdk/src/index.js';
import { ShopCheckout, startShopServer, type Order } from './shop.js';

let t: TestApp<Clock>;
let shopServer: Awaited<ReturnType<typeof startShopServer>>;
let shop: ShopCheckout;
let webhookSecret: string;
let sender: WebhookSender;
const SHOPPER = { id: 'shopper-mei', password: 'correct horse battery staple' };
let shopperAccount: string;
let merchantAccount: string;
const FUNDS = 100_000n;

/** An operator call that must succeed. */
async function operator(method: 'POST' | 'GET', path: string, body?: unknown): Promise<any> {
  const res = await t.admin.request(method, path, body === undefined ? {} : { json: body });
  expect(res.status, `${method} ${path}: ${res.text.slice(0, 300)}`).toBeLessThan(300);
  return res.body;
}

/** A browser: one cookie jar per site, every request by hand (redirects are read, not followed). */
class Browser {
  private readonly jars = new Map<string, CookieJar>();

  async go(method: 'GET' | 'POST', url: string, form?: Record<string, string | string[]>): Promise<{ status: number; text: string; location: string | null }> {
    const target = new URL(url);
    const jar = this.jars.get(target.origin) ?? new CookieJar();
    this.jars.set(target.origin, jar);
    const headers: Record<string, string> = {};
    if (jar.cookies.size > 0) headers.cookie = jar.header();
    let body: string | undefined;
    if (form) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(form)) for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
      body = params.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = target.origin; // the page's own form
    }
    const res = await fetch(target, { method, headers, body, redirect: 'manual' });
    jar.take(res);
    const location = res.headers.get('location');
    return { status: res.status, text: await res.text(), location: location === null ? null : new URL(location, target).href };
  }
}

beforeAll(async () => {
  t = await startTestApp();
  // The shop's key pair: the operator registers the public half, the shop keeps the private one.
  const keys = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'shop-key-1', alg: 'ES256', use: 'sig' };

  // The shopper and the shop's own takings account, as the bank's operator sets them up.
  const cash = uuid7();
  shopperAccount = uuid7();
  merchantAccount = uuid7();
  const created = await t.api.post('/v1/accounts', [
    { id: cash, currency: 'USD', code: 1001 },
    { id: shopperAccount, currency: 'USD', code: 2001, flags: { debits_must_not_exceed_credits: true } },
    { id: merchantAccount, currency: 'USD', code: 2001 },
  ]);
  expect(created.status, created.text).toBe(200);
  const funded = await t.api.post('/v1/transfers', { id: uuid7(), debit_account_id: cash, credit_account_id: shopperAccount, amount: String(FUNDS), code: 1 });
  expect(funded.status, funded.text).toBe(201);
  await operator('POST', '/v1/customers', { id: SHOPPER.id, display_name: 'Mei', mode: 'sandbox', password: SHOPPER.password });
  await operator('POST', `/v1/customers/${SHOPPER.id}/accounts`, { account_id: shopperAccount, nickname: 'Everyday' });
  // A sandbox shop may be paid only into a sandbox account: the shop's account belongs to a sandbox customer (the shop).
  await operator('POST', '/v1/customers', { id: 'corner-shop', display_name: 'Corner Shop', mode: 'sandbox' });
  await operator('POST', '/v1/customers/corner-shop/accounts', { account_id: merchantAccount, nickname: 'Takings' });

  shopServer = await startShopServer(async (publicUrl) => {
    // The operator registers the shop (it registers nothing itself) and hands over client_id and webhook secret.
    const app = await operator('POST', '/v1/partner-apps', {
      name: 'Corner Shop',
      mode: 'sandbox',
      redirect_uris: [`${publicUrl}/callback`],
      allowed_scopes: ['payments'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [publicJwk] },
      webhook_url: `${publicUrl}/webhooks`,
    });
    expect(app.webhook_secret).toBeTruthy();
    webhookSecret = app.webhook_secret;
    const bank = new CapillaryClient({ baseUrl: t.base, clientId: app.client_id, auth: { method: 'private_key_jwt', privateKey: keys.privateKey, kid: 'shop-key-1' } });
    return new ShopCheckout({ bank, publicUrl, merchantAccountId: merchantAccount, currency: 'USD', webhookSecret });
  });
  shop = shopServer.shop;
  // The shop listens on 127.0.0.1, which the production sender refuses: this sender may post there.
  sender = new WebhookSender(t.testDb.db, t.clock, { allow_private_networks: true, timeout_ms: 5_000 });
});

afterAll(async () => {
  await shopServer?.close();
  await t?.close();
});

/** The customer's whole visit: basket → bank consent page → back to the shop. */
async function buyWithConsent(browser: Browser, basket: Record<string, string>, decision: 'approve' | 'deny' = 'approve') {
  const home = await browser.go('GET', `${shopServer.url}/`);
  expect(home.status).toBe(200);
  const checkout = await browser.go('POST', `${shopServer.url}/checkout`, basket);
  expect(checkout.status, checkout.text).toBe(303);
  const bankPage = checkout.location!;
  expect(bankPage.startsWith(`${t.base}/oauth/authorize?`)).toBe(true);

  const signIn = await browser.go('GET', bankPage);
  expect(signIn.status, signIn.text.slice(0, 300)).toBe(200);
  const login = await browser.go('POST', `${t.base}/oauth/authorize/login`, {
    request_uri: hiddenField(signIn.text, 'request_uri'),
    csrf: hiddenField(signIn.text, 'csrf'),
    customer_id: SHOPPER.id,
    password: SHOPPER.password,
  });
  expect(login.status, login.text.slice(0, 300)).toBe(303);
  const consentPage = await browser.go('GET', login.location!);
  expect(consentPage.status, consentPage.text.slice(0, 300)).toBe(200);
  expect(consentPage.text).toContain('Corner Shop');
  const decided = await browser.go('POST', `${t.base}/oauth/authorize/decision`, {
    request_uri: hiddenField(consentPage.text, 'request_uri'),
    csrf: hiddenField(consentPage.text, 'csrf'),
    decision,
    account_id: [shopperAccount],
  });
  expect(decided.status, decided.text.slice(0, 300)).toBe(303);
  expect(decided.location!.startsWith(`${shopServer.url}/callback?`)).toBe(true);
  return browser.go('GET', decided.location!);
}

const orderOf = (): Order => [...shop.orders.values()].at(-1)!;

describe('shop checkout (examples/shop-checkout) end to end', () => {
  it('pays the basket total with the customer\'s consent and gets the signed payment.completed webhook', async () => {
    const [shopperBefore, merchantBefore] = [await postedBalance(t, shopperAccount), await postedBalance(t, merchantAccount)];
    const receipt = await buyWithConsent(new Browser(), { tea: '2', cup: '1', pot: '0' });
    expect(receipt.status, receipt.text).toBe(200);
    expect(receipt.text).toContain('paid');
    const total = 2n * 1250n + 2490n;
    const order = orderOf();
    expect(order).toMatchObject({ status: 'paid', payment_status: 'completed', total_minor: String(total), confirmed_by_webhook: false, tokens_revoked: true });

    // Exactly the basket total moved, from the shopper to the shop.
    expect(await postedBalance(t, shopperAccount)).toBe(shopperBefore - total);
    expect(await postedBalance(t, merchantAccount)).toBe(merchantBefore + total);

    // The bank's payment as the shop's own token sees it; the consent allowed exactly this payment.
    const payment = await shop.bank.payments.get(order.payment_id);
    expect(payment).toMatchObject({ status: 'completed', amount_minor: String(total), creditor_account_id: merchantAccount, debtor_account_id: shopperAccount });

    // Events, step by step: outbox → webhook deliveries → POST to the shop.
    await t.app.events.webhookRelay.drain();
    const pass = await sender.sendDue();
    expect(pass.failed).toBe(0);
    expect(pass.delivered).toBeGreaterThanOrEqual(1);
    expect(order.confirmed_by_webhook).toBe(true);
    const completed = shop.webhookLog.filter((w) => w.topic === 'openbanking.payment.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]!.verified).toBe(true);
    expect(shop.webhookLog.every((w) => w.verified)).toBe(true);
    // The delivery log agrees: delivered to the shop's URL.
    const deliveries = await operator('GET', `/v1/webhook-deliveries?client_id=${encodeURIComponent(shop.bank.oauth.clientId)}`);
    expect(deliveries.data.some((d: { topic: string; status: string }) => d.topic === 'openbanking.payment.completed' && d.status === 'delivered')).toBe(true);

    // The shop gave its tokens back after the one-off payment (revocation); the consent itself stays authorised, used up.
    const consent = await shop.bank.consents.get(order.consent_id!);
    expect(consent.status).toBe('authorised');
  });

  it('refuses a forged webhook and a replayed one changes nothing', async () => {
    const order = orderOf();
    const body = JSON.stringify({ id: uuid7(), topic: 'openbanking.payment.rejected', created_at: new Date().toISOString(), data: { payment_id: order.payment_id, reason_code: 'risk_blocked' } });
    const t_s = Math.floor(Date.now() / 1000);
    const forged = await fetch(`${shopServer.url}/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'capillary-signature': signWebhook('not-the-secret', body, t_s) }, body });
    expect(forged.status).toBe(400);
    const unsigned = await fetch(`${shopServer.url}/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(400);
    const stale = await fetch(`${shopServer.url}/webhooks`, { method: 'POST', headers: { 'capillary-signature': signWebhook(webhookSecret, body, t_s - 3600) }, body });
    expect(stale.status).toBe(400);
    expect(orderOf()).toMatchObject({ status: 'paid', confirmed_by_webhook: true });
    expect(shop.webhookLog.slice(-3).map((w) => w.reason)).toEqual(['signature_mismatch', 'malformed_header', 'timestamp_outside_tolerance']);

    // A genuine event delivered twice (at least once delivery) is handled once.
    const genuine = JSON.stringify({ id: uuid7(), topic: 'openbanking.payment.completed', created_at: new Date().toISOString(), data: { payment_id: order.payment_id } });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${shopServer.url}/webhooks`, { method: 'POST', headers: { 'capillary-signature': signWebhook(webhookSecret, genuine, Math.floor(Date.now() / 1000)) }, body: genuine });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(i === 0 ? { ok: true } : { duplicate: true });
    }
  });

  it('a customer who denies the consent is not charged', async () => {
    const before = await postedBalance(t, shopperAccount);
    const back = await buyWithConsent(new Browser(), { pot: '1' }, 'deny');
    expect(back.status).toBe(200);
    expect(back.text).toContain('cancelled');
    expect(orderOf()).toMatchObject({ status: 'cancelled', payment_status: null });
    expect(await postedBalance(t, shopperAccount)).toBe(before);
  });

  it('a callback without the browser\'s checkout cookie is refused (the state is bound to the browser)', async () => {
    const browser = new Browser();
    const checkout = await browser.go('POST', `${shopServer.url}/checkout`, { tea: '1' });
    expect(checkout.status).toBe(303);
    // Another browser lands on the callback with a code it did not start: refused before any exchange.
    const res = await new Browser().go('GET', `${shopServer.url}/callback?code=stolen&state=x&iss=${encodeURIComponent(t.base)}`);
    expect(res.status).toBe(400);
    expect(res.text).toContain('expired or was started in another browser');
  });
});
