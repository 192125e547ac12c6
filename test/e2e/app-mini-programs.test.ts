/**
 * Mini-programs end to end, in headless Chromium against the real server: a new customer
 * (virtual passkey) is funded, opens the shop mini-program, links the bank account through
 * the bank's consent sheet, pays a cart through the bank's confirmation sheet (and cancels
 * one), pays a utility bill, and the balances move exactly. A hostile mini-program (the
 * sandbox probe) tries to reach the app's page, cookies, storage and API and the bridge beyond
 * its scopes: every attempt fails, as it reports back by postMessage.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import type { FrameLocator, Page } from 'playwright-core';
import { describeE2E, screenshot, useServerAndBrowser } from './harness.js';
import { fundFromBank, signUpInBrowser } from './app-session.js';

/** The utility-bill example's amount for a bill number's digits (examples/mini-programs/utility-bills/bills.js). */
function billAmount(digits: string): number {
  let h = 0;
  for (let i = 0; i < digits.length; i++) h = (h * 31 + digits.charCodeAt(i)) % 40000;
  return 3000 + h;
}

describeE2E('mini-programs in the customer app', () => {
  const e2e = useServerAndBrowser('app');
  const merchants: Record<string, string> = {};

  async function registerMiniProgram(slug: string, partner: string, name: string, bridge_scopes: string[]): Promise<void> {
    const app = await e2e.server.api<{ client_id: string }>('POST', '/v1/partner-apps', {
      name: partner,
      mode: 'live',
      redirect_uris: [`https://${slug}.example/callback`],
      allowed_scopes: ['accounts', 'payments'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(app.status, JSON.stringify(app.body)).toBe(201);
    let merchant: string | null = null;
    if (bridge_scopes.includes('payment')) {
      merchant = randomUUID();
      const account = await e2e.server.api('POST', '/v1/accounts', { id: merchant, currency: 'CNY', code: 2002, metadata: { name: `${partner} merchant account` } }, e2e.server.api_key);
      expect(account.status, JSON.stringify(account.body)).toBe(201);
      merchants[slug] = merchant;
    }
    const set = await e2e.server.api('PUT', `/v1/partner-apps/${app.body.client_id}/mini-program`, { slug, name, icon: 'icon.svg', entry_path: 'index.html', bridge_scopes, merchant_account_id: merchant });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
  }

  // Runs after useServerAndBrowser's beforeAll (registered first), so the server is up.
  beforeAll(async () => {
    await registerMiniProgram('shop', 'Tea & Things Ltd', 'Tea & Things', ['auth_code', 'payment']);
    await registerMiniProgram('utility-bills', 'City Utilities Co.', 'City Utilities', ['payment', 'location']);
    await registerMiniProgram('sandbox-probe', 'Probe Labs', 'Sandbox probe', []);
  });

  async function signedUpPage(name: string, phone: string, fund_minor: number): Promise<{ page: Page; accountId: string }> {
    const context = await e2e.newContext();
    // The parent page keeps what a mini-program reports by postMessage (the probe's results).
    await context.addInitScript(
      "addEventListener('message', (event) => { if (event.data && event.data.capillary === 'probe') window.__probe = event.data.results; });",
    );
    const { page, account_id: accountId } = await signUpInBrowser(context, e2e.server, { name, phone });
    if (fund_minor > 0) await fundFromBank(e2e.server, accountId, BigInt(fund_minor), 'Welcome bonus');
    return { page, accountId };
  }

  const balanceOf = async (accountId: string) =>
    (await e2e.server.api<{ credits_posted: string; debits_posted: string }>('GET', `/v1/accounts/${accountId}`, undefined, e2e.server.api_key)).body;

  async function openMiniProgram(page: Page, name: string, slug: string): Promise<FrameLocator> {
    await page.goto(`${e2e.server.url}/app/mini-programs`);
    await page.waitForSelector('body[data-ready="mini-programs"]');
    await page.getByRole('link', { name: `Open ${name}` }).click();
    await page.waitForSelector('body[data-ready="mini-program"]');
    const frame = page.locator(`iframe[data-mini-program="${slug}"]`);
    expect(await frame.getAttribute('sandbox')).toBe('allow-scripts allow-forms');
    return page.frameLocator(`iframe[data-mini-program="${slug}"]`);
  }

  it('pays inside the shop through the bank’s sheet, links the account, and the balance changes exactly', async () => {
    const { page, accountId } = await signedUpPage('Lin Mei', `+86137${String(Date.now()).slice(-8)}`, 50_000);

    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'More' }).click();
    await page.waitForSelector('body[data-ready="more"]');
    await page.getByRole('button', { name: 'Mini-programs' }).click();
    await page.waitForSelector('body[data-ready="mini-programs"]');
    expect(await page.locator('.mp-item').count()).toBe(3);
    await screenshot(page, 'app-mini-list');

    const shop = await openMiniProgram(page, 'Tea & Things', 'shop');
    await shop.getByRole('button', { name: 'Add Pu-erh cake, 357 g' }).click();
    await shop.getByRole('button', { name: 'Add Celadon tea cup' }).click();
    await expect.poll(() => shop.locator('#total').innerText()).toBe('¥163.00');
    await screenshot(page, 'app-mini-shop');

    // Checkout, then cancel on the bank's sheet: nothing moves.
    await shop.getByRole('button', { name: 'Checkout' }).click();
    const sheet = page.getByRole('dialog', { name: 'Confirm payment' });
    await sheet.waitFor();
    expect(await sheet.getByTestId('sheet-amount').innerText()).toBe('¥163.00');
    expect(await sheet.getByTestId('sheet-payee').innerText()).toBe('Tea & Things Ltd');
    await screenshot(page, 'app-mini-pay-sheet');
    await sheet.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => shop.locator('#status').innerText()).toBe('Payment cancelled.');
    expect(await balanceOf(accountId)).toMatchObject({ credits_posted: '50000', debits_posted: '0' });

    // Checkout again and confirm.
    await shop.getByRole('button', { name: 'Checkout' }).click();
    await sheet.waitFor();
    await sheet.getByRole('button', { name: 'Pay ¥163.00' }).click();
    await expect.poll(() => shop.locator('body').getAttribute('data-paid')).toBe('completed');
    expect(await shop.locator('#status').innerText()).toContain('Paid ¥163.00');
    await screenshot(page, 'app-mini-shop-paid');
    expect(await balanceOf(accountId)).toMatchObject({ credits_posted: '50000', debits_posted: '16300' });
    expect(await balanceOf(merchants.shop!)).toMatchObject({ credits_posted: '16300', debits_posted: '0' });

    // Link the bank account: the bank's consent sheet, then a one-time code for the shop's backend.
    await shop.getByRole('button', { name: 'Link my bank account' }).click();
    const consent = page.getByRole('dialog', { name: 'Share your account information?' });
    await consent.waitFor();
    expect(await consent.innerText()).toContain('Tea & Things Ltd');
    await screenshot(page, 'app-mini-auth-sheet');
    await consent.getByRole('button', { name: 'Allow', exact: true }).click();
    await expect.poll(() => shop.locator('body').getAttribute('data-linked')).toBe('yes');

    // A utility bill, from the list.
    const bills = await openMiniProgram(page, 'City Utilities', 'utility-bills');
    await bills.getByLabel('Bill number').fill('E12345678');
    await bills.getByRole('button', { name: 'Find my bill' }).click();
    const due = billAmount('12345678');
    const dueText = `¥${Math.floor(due / 100)}.${String(due % 100).padStart(2, '0')}`;
    expect(await bills.locator('#amount').innerText()).toBe(dueText);
    await bills.getByRole('button', { name: 'Pay this bill' }).click();
    await page.getByRole('dialog', { name: 'Confirm payment' }).waitFor();
    await screenshot(page, 'app-mini-bills-sheet');
    await page.getByRole('button', { name: `Pay ${dueText}` }).click();
    await expect.poll(() => bills.locator('body').getAttribute('data-paid')).toBe('completed');
    expect(await balanceOf(accountId)).toMatchObject({ debits_posted: String(16_300 + due) });
    expect(await balanceOf(merchants['utility-bills']!)).toMatchObject({ credits_posted: String(due) });

    // getLocation: the bank's sheet first, then a coarse position (two decimals).
    await page.context().grantPermissions(['geolocation'], { origin: e2e.server.url });
    await page.context().setGeolocation({ latitude: 31.23041, longitude: 121.47372, accuracy: 20 });
    await bills.getByRole('button', { name: 'Find the nearest office' }).click();
    const where = page.getByRole('dialog', { name: 'Share your approximate location?' });
    await where.waitFor();
    await where.getByRole('button', { name: 'Share once' }).click();
    await expect.poll(() => bills.locator('#office').innerText()).toBe('Nearest to 31.23, 121.47: People’s Square office.');

    // Home shows the exact balance: 500.00 − 163.00 − the bill.
    const left = 50_000 - 16_300 - due;
    await page.goto(`${e2e.server.url}/app/home`);
    await page.waitForSelector('body[data-ready="home"]');
    await expect.poll(() => page.locator('.card.account .balance').first().innerText()).toContain(`¥${Math.floor(left / 100)}.${String(left % 100).padStart(2, '0')}`);
  });

  it('a hostile mini-program cannot read the app page, cookies, storage or API, nor use the bridge beyond its scopes', async () => {
    const { page } = await signedUpPage('Zhao Lei', `+86136${String(Date.now()).slice(-8)}`, 10_000);
    // Something in the app's own storage the probe would love to read.
    expect(await page.evaluate<number>('localStorage.length')).toBeGreaterThan(0);
    const probe = await openMiniProgram(page, 'Sandbox probe', 'sandbox-probe');
    // A page function, not a string: when the probe is not done at the first check, Playwright
    // polls a string with eval, which the app's CSP refuses.
    await page.waitForFunction(() => (globalThis as unknown as { __probe?: unknown }).__probe !== undefined, undefined, { timeout: 30_000 });
    const results = await page.evaluate<Record<string, { blocked: boolean; detail: string }>>('window.__probe');
    const expected = [
      'parent_document',
      'parent_location',
      'parent_storage',
      'cookie',
      'local_storage',
      'session_storage',
      'indexed_db',
      'window_open',
      'fetch_me',
      'fetch_transfer',
      'bridge_payment_without_scope',
      'bridge_auth_without_scope',
      'bridge_unknown_method',
      'bridge_other_version',
    ];
    expect(Object.keys(results).sort()).toEqual([...expected].sort());
    for (const name of expected) expect(results[name], `${name}: ${results[name]?.detail}`).toMatchObject({ blocked: true });
    expect(await probe.locator('li[data-blocked="false"]').count()).toBe(0);
    // Blocked by the sandbox itself (opaque origin), not by accident.
    for (const name of ['parent_document', 'parent_location', 'parent_storage', 'cookie', 'local_storage', 'session_storage']) expect(results[name]!.detail).toContain('SecurityError');
    // No sheet was opened for it, and the customer is still signed in and untouched.
    expect(await page.getByRole('dialog').count()).toBe(0);
    await screenshot(page, 'app-mini-probe');
    expect(await page.evaluate<number>('fetch("/v1/me", {headers: {"x-capillary-client": "app"}}).then(r => r.status)')).toBe(200);
  });
});
