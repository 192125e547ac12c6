/**
 * Payees and scan to pay in the customer app, end to end (built server, demo seed, headless
 * Chromium with a virtual WebAuthn authenticator): sign up, get funded, add a payee and pay
 * them through the transfer screen's confirmation; then pay the demo merchant from its pay
 * code. Chromium on Linux has no BarcodeDetector, so the screen offers the "paste the code
 * text" fallback, which is what this test uses. Screenshots: app-payees-*.png, app-scan-*.png.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addVirtualAuthenticator, assertWebBuilt, describeE2E, launchBrowser, newContext, screenshot, startServer, type E2EServer } from './harness.js';

const BANK_CASH = '0193a000-0000-7000-8000-000000000001';
const ALICE_PHONE = '+8613800000001';
const MERCHANT = '0193a000-0000-7000-8000-000000000004';

describeE2E('customer app: payees and scan to pay', () => {
  let server: E2EServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const phone = `+86137${String(Date.now()).slice(-8)}`;

  beforeAll(async () => {
    assertWebBuilt('app');
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  const balanceText = () => page.locator('.card.account .balance').first().innerText();
  const openMore = async (name: string, ready: string) => {
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'More' }).click();
    await page.waitForSelector('body[data-ready="more"]');
    await page.getByRole('button', { name }).click();
    await page.waitForSelector(`body[data-ready="${ready}"]`);
  };

  it('signs up, adds a payee and pays them through the confirmation step', async () => {
    context = await newContext(browser);
    page = await context.newPage();
    page.on('pageerror', (err) => console.error('[page error]', err.message));
    await page.goto(`${server.url}/app/`);
    await addVirtualAuthenticator(page);
    await page.waitForSelector('body[data-ready="welcome"]');
    await page.getByRole('button', { name: 'Open an account' }).click();
    await page.getByLabel('Your name').fill('Li Na');
    await page.getByLabel('Mobile number').fill(phone);
    await page.getByRole('button', { name: 'Create a passkey and open the account' }).click();
    await page.waitForSelector('body[data-ready="home"]');
    const accountId = (await page.locator('[data-account-id]').first().getAttribute('data-account-id'))!;
    const funded = await server.api('POST', '/v1/transfers', { id: randomUUID(), debit_account_id: BANK_CASH, credit_account_id: accountId, amount: '100000', code: 1 }, server.api_key);
    expect(funded.status).toBe(201);
    await page.reload();
    await page.waitForSelector('body[data-ready="home"]');
    expect(await balanceText()).toContain('¥1,000.00');

    await openMore('Payees', 'payees');
    await page.getByText('No payees yet').waitFor();
    // A wrong number is refused beside its field, before anything is sent.
    await page.getByRole('textbox', { name: 'Name' }).fill('Alice (flatmate)');
    const payeePhone = page.getByRole('textbox', { name: 'Mobile number' });
    await payeePhone.fill('12345');
    await page.getByRole('button', { name: 'Save payee' }).click();
    await expect(payeePhone.getAttribute('aria-invalid')).resolves.toBe('true');
    await payeePhone.fill(ALICE_PHONE);
    await page.getByRole('button', { name: 'Save payee' }).click();
    await page.locator('[data-payee="Alice (flatmate)"]').waitFor();
    const saved = await page.evaluate<{ items: { name: string; phone: string }[] }>('fetch("/v1/me/payees", {headers: {"x-capillary-client": "app"}}).then(r => r.json())');
    expect(saved.items).toEqual([expect.objectContaining({ name: 'Alice (flatmate)', phone: ALICE_PHONE })]);
    await screenshot(page, 'app-payees-list');

    await page.getByRole('button', { name: 'Pay Alice (flatmate)' }).click();
    await page.waitForSelector('body[data-ready="transfer"]');
    expect(new URL(page.url()).pathname).toBe('/app/transfer');
    await expect(page.getByLabel('Recipient’s mobile number').inputValue()).resolves.toBe(ALICE_PHONE);
    await page.getByLabel('Amount (CNY)').fill('88');
    await page.getByRole('button', { name: 'Review transfer' }).click();
    await page.getByRole('heading', { name: 'Confirm the transfer' }).waitFor();
    expect(await page.locator('.summary').innerText()).toContain('¥88.00');
    await screenshot(page, 'app-payees-confirm');
    await page.getByRole('button', { name: 'Confirm and send' }).click();
    await page.waitForSelector('[data-transfer-status]');
    expect(await page.locator('[data-transfer-status]').getAttribute('data-transfer-status')).toBe('completed');
    expect(await page.locator('section').innerText()).toContain('Alice');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.waitForSelector('body[data-ready="home"]');
    await expect.poll(() => balanceText()).toContain('¥912.00');
  });

  it('pays a merchant from its pay code pasted as text: confirmation, then paid', async () => {
    const before = await server.api<{ credits_posted: string }>('GET', `/v1/accounts/${MERCHANT}`);
    expect(before.status).toBe(200);
    await openMore('Scan to pay', 'scan');
    // No BarcodeDetector in this Chromium: the camera and photo are not offered, the paste is.
    await page.getByTestId('no-detector').waitFor();
    expect(await page.getByRole('button', { name: 'Scan with the camera' }).count()).toBe(0);
    await page.getByLabel('Code text').fill('hello world');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').getByText('not a Capillary pay code').waitFor();
    await screenshot(page, 'app-scan-paste');

    await page.getByLabel('Code text').fill(`capillary:pay?to=${MERCHANT}&name=Corner%20Noodle%20Shop&amount=2350`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Confirm the transfer' }).waitFor();
    const summary = await page.locator('.summary').innerText();
    expect(summary).toContain('¥23.50');
    expect(summary).toContain('Corner Noodle Shop');
    await screenshot(page, 'app-scan-confirm');
    await page.getByRole('button', { name: 'Confirm and send' }).click();
    await page.waitForSelector('[data-transfer-status]');
    expect(await page.locator('[data-transfer-status]').getAttribute('data-transfer-status')).toBe('completed');
    await screenshot(page, 'app-scan-paid');
    const after = await server.api<{ credits_posted: string }>('GET', `/v1/accounts/${MERCHANT}`);
    expect(BigInt(after.body.credits_posted) - BigInt(before.body.credits_posted)).toBe(2350n);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.waitForSelector('body[data-ready="home"]');
    await expect.poll(() => balanceText()).toContain('¥888.50');
  });
});
