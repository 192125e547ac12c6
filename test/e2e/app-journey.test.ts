/**
 * The customer app end to end, in headless Chromium against the real server: sign up with a
 * passkey (virtual WebAuthn authenticator), get funded by the bank, send money with the
 * confirmation step, see the balance change, the statement and the pay code, sign out and
 * back in with the passkey; a synced passkey on a new device goes through the risk engine's
 * step-up; the one-time-code fallback; already-seen data offline.
 */
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addVirtualAuthenticator, describeE2E, readOtp, screenshot, useServerAndBrowser } from './harness.js';
import { fundFromBank, newPageLoggingErrors, signUpInBrowser } from './app-session.js';

const ALICE_PHONE = '+8613800000001';

describeE2E('customer app journey', () => {
  const e2e = useServerAndBrowser('app');
  const phone = `+86139${String(Date.now()).slice(-8)}`;
  let accountId = '';
  let credential: unknown;

  async function open(path = ''): Promise<Page> {
    const page = await newPageLoggingErrors(await e2e.newContext());
    await page.goto(`${e2e.server.url}/app/${path}`);
    return page;
  }

  const balanceText = (page: Page) => page.locator('.card.account .balance').first().innerText();

  it('signs up with a passkey, is funded, sends money with a confirmation, and sees the balance change', async () => {
    const { page, cdp, authenticator_id, account_id } = await signUpInBrowser(await e2e.newContext(), e2e.server, { name: 'Wei Zhang', phone, form_screenshot: 'app-sign-up' });
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Hello, Wei Zhang');
    expect(await balanceText(page)).toContain('¥0.00');
    accountId = account_id;
    expect(accountId).toMatch(/^[0-9a-f-]{36}$/);

    // The bank pays 500.00 in through the operator API.
    await fundFromBank(e2e.server, accountId, 50_000n, 'Welcome bonus');
    await page.reload();
    await page.waitForSelector('body[data-ready="home"]');
    expect(await balanceText(page)).toContain('¥500.00');
    await expect.poll(() => page.locator('.transactions li').count()).toBe(1);
    await screenshot(page, 'app-home');

    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Transfer' }).click();
    await page.waitForSelector('body[data-ready="transfer"]');
    await page.getByLabel('Recipient’s mobile number').fill(ALICE_PHONE);
    await page.getByLabel('Amount (CNY)').fill('120.5');
    await page.getByLabel('Note (optional)').fill('Dinner');
    await screenshot(page, 'app-transfer');
    await page.getByRole('button', { name: 'Review transfer' }).click();
    await page.getByRole('heading', { name: 'Confirm the transfer' }).waitFor();
    expect(await page.locator('.summary').innerText()).toContain('¥120.50');
    await screenshot(page, 'app-transfer-confirm');
    await page.getByRole('button', { name: 'Confirm and send' }).click();
    await page.waitForSelector('[data-transfer-status]');
    expect(await page.locator('[data-transfer-status]').getAttribute('data-transfer-status')).toBe('completed');
    expect(await page.locator('section').innerText()).toContain('Alice');
    await screenshot(page, 'app-transfer-done');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.waitForSelector('body[data-ready="home"]');
    await expect.poll(() => balanceText(page)).toContain('¥379.50');
    expect(await page.locator('.transactions li').first().innerText()).toContain('−¥120.50');

    // The statement shows both movements.
    await page.getByRole('button', { name: 'See statement' }).click();
    await page.waitForSelector('body[data-ready="statement"]');
    expect(await page.locator('.statement tbody tr').count()).toBe(2);
    expect(await page.locator('.summary').innerText()).toContain('¥379.50');
    await screenshot(page, 'app-statement');

    // My pay code: the API's payload as text, and a QR code.
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Pay code' }).click();
    await page.waitForSelector('body[data-ready="pay-code"]');
    expect(await page.getByTestId('pay-payload').innerText()).toBe(`capillary:pay?to=${accountId}&name=Wei%20Zhang`);
    await screenshot(page, 'app-pay-code');

    // The named places for what comes next are in the menu.
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'More' }).click();
    await page.waitForSelector('body[data-ready="more"]');
    for (const name of ['Red envelopes', 'Loans', 'Mini-programs']) expect(await page.getByRole('button', { name: new RegExp(name) }).count()).toBe(1);
    await screenshot(page, 'app-more');

    // Sign out, then back in with the same passkey on the same device: no step-up.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('body[data-ready="welcome"]');
    expect((await page.evaluate<number>('fetch("/v1/me", {headers: {"x-capillary-client": "app"}}).then(r => r.status)'))).toBe(401);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForSelector('body[data-ready="home"]');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Hello, Wei Zhang');
    // The passkey as it is now (its signature counter included), to "sync" to another device below.
    credential = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator_id })).credentials[0];
    expect(credential).toBeDefined();
  });

  it('asks a synced passkey on a new device for a one-time code (risk step-up) before signing in', async () => {
    expect(credential).toBeDefined();
    const page = await open('sign-in');
    const { cdp, authenticator_id } = await addVirtualAuthenticator(page);
    await cdp.send('WebAuthn.addCredential', { authenticatorId: authenticator_id, credential: credential as never });
    await page.waitForSelector('body[data-ready="sign-in"]');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForSelector('body[data-ready="otp"]');
    expect(await page.locator('.note[role=status]').innerText()).toContain('new device');
    await screenshot(page, 'app-step-up');
    await page.getByLabel('6-digit code').fill(await readOtp(e2e.server, phone));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForSelector('body[data-ready="home"]');
    expect(await balanceText(page)).toContain('¥379.50');
  });

  it('signs Alice in with a one-time code, in Chinese, and shows already-seen data offline', async () => {
    const context = await e2e.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(`${e2e.server.url}/app/`);
    await page.waitForSelector('body[data-ready="welcome"]');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('button', { name: '改用短信验证码' }).click();
    await page.getByLabel('手机号码').fill(ALICE_PHONE);
    await page.getByRole('button', { name: '发送验证码' }).click();
    await page.getByLabel('6 位验证码').waitFor();
    await page.getByLabel('6 位验证码').fill(await readOtp(e2e.server, ALICE_PHONE));
    await screenshot(page, 'app-otp');
    await page.getByRole('button', { name: '验证' }).click();
    await page.waitForSelector('body[data-ready="home"]');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Alice Chen，您好');
    const online = await balanceText(page);
    await screenshot(page, 'app-home-zh');

    // Once the service worker controls the page, the answers it sees are kept; offline, they come back from its cache.
    await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
    await page.reload();
    await page.waitForSelector('body[data-ready="home"]');
    await expect.poll(() => page.evaluate<boolean>('navigator.serviceWorker.controller !== null')).toBe(true);
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('body[data-ready="home"]');
    expect(await balanceText(page)).toBe(online);
    expect(await page.locator('.offline').innerText()).toContain('离线');
    await screenshot(page, 'app-offline-zh');
    await context.setOffline(false);
  });
});
