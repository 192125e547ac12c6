/**
 * Loans in the customer app, end to end in headless Chromium against the real server: sign
 * up with a passkey, get funded, see the offer and its schedule, apply in three steps for the
 * seeded `sme-working-capital` product, get approved (a strong business: band A on the
 * built-in scorecard, src/lending/decision.ts), accept and see the money arrive, the
 * schedule, and a repayment; then a second application that is declined with its reason.
 */
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeE2E, screenshot, useServerAndBrowser } from './harness.js';
import { fundFromBank, signUpInBrowser } from './app-session.js';

describeE2E('customer app loans', () => {
  const e2e = useServerAndBrowser('app');
  /** The one customer's page, signed up in the first test and used by the others. */
  let page: Page;
  const phone = `+86137${String(Date.now()).slice(-8)}`;

  const ready = (name: string) => page.waitForSelector(`body[data-ready="${name}"]`);
  const balanceText = () => page.locator('.card.account .balance').first().innerText();

  async function fillBusiness(months: string) {
    await page.getByLabel('What is the loan for?').selectOption('equipment');
    await page.getByLabel('Industry').selectOption('restaurants');
    await page.getByLabel('Months trading').fill(months);
    await page.getByLabel('Annual revenue (CNY)').fill('6000000');
    await page.getByLabel('Debt owed elsewhere (CNY)').fill('0');
    await page.getByLabel('Your age (optional)').fill('45');
  }

  it('signs up and is funded', async () => {
    const customer = await signUpInBrowser(await e2e.newContext(), e2e.server, { name: 'Mei Lin', phone });
    page = customer.page;
    await fundFromBank(e2e.server, customer.account_id, 2_000_000n, 'Takings');
  });

  it('sees the offer with its schedule, applies in three steps, is approved, accepts, and the money arrives', async () => {
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'More' }).click();
    await ready('more');
    await page.getByRole('button', { name: 'Loans' }).click();
    await ready('loans');
    expect(await page.locator('main').innerText()).toContain('You have no loans yet.');
    await screenshot(page, 'app-loans-home');

    await page.getByRole('button', { name: 'Apply for a loan' }).click();
    await ready('loans-apply-1');
    await page.getByLabel('Amount (CNY)').fill('100000');
    await page.getByLabel('Term').selectOption('12');
    // 100,000.00 at 12% over 12 months (annuity, 30/360): the lending core's 8,884.88 a month.
    await expect.poll(() => page.getByTestId('loan-preview').innerText().catch(() => '')).toContain('¥8,884.88');
    await page.getByText('Show the whole schedule').click();
    expect(await page.locator('#preview-schedule tbody tr').count()).toBe(12);
    await screenshot(page, 'app-loans-offer');

    await page.getByRole('button', { name: 'Next' }).click();
    await ready('loans-apply-2');
    await fillBusiness('96');
    await screenshot(page, 'app-loans-business');
    await page.getByRole('button', { name: 'Next' }).click();
    await ready('loans-apply-3');
    expect(await page.locator('.summary').innerText()).toContain('¥100,000.00');
    await screenshot(page, 'app-loans-confirm');

    await page.getByRole('button', { name: 'Submit application' }).click();
    await ready('loans-decision');
    await page.waitForSelector('[data-decision="approved"]');
    expect(await page.getByTestId('offer-rate').innerText()).toBe('12% a year');
    expect(await page.getByTestId('offer-payment').innerText()).toBe('¥8,884.88');
    await screenshot(page, 'app-loans-approved');

    await page.getByRole('button', { name: 'Accept and receive ¥100,000.00' }).click();
    await ready('loan');
    expect(await page.locator('.loan-banner').innerText()).toContain('The money is in your account');
    expect(await page.locator('[data-testid="loan-schedule"] tbody tr').count()).toBe(12);
    expect(await page.getByTestId('loan-next').innerText()).toContain('¥8,884.88');
    await screenshot(page, 'app-loans-loan');

    // The money arrived in the account: 20,000.00 of takings and the 100,000.00 loan.
    const loanUrl = page.url();
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Home' }).click();
    await ready('home');
    await expect.poll(() => balanceText()).toContain('¥120,000.00');

    // Repay the first instalment, with a confirmation.
    await page.goto(loanUrl);
    await ready('loan');
    await page.getByRole('button', { name: 'Repay', exact: true }).click();
    await ready('loan-repay');
    expect(await page.getByLabel('Amount (CNY)').inputValue()).toBe('8884.88');
    await page.getByRole('button', { name: 'Review repayment' }).click();
    await ready('loan-repay-confirm');
    await page.getByRole('button', { name: 'Confirm and repay' }).click();
    await page.locator('.loan-banner').waitFor();
    expect(await page.locator('.loan-banner').innerText()).toContain('¥8,884.88 repaid');
    expect(await page.getByTestId('loan-repayments').locator('li').count()).toBe(1);
    await screenshot(page, 'app-loans-repaid');
  });

  it('declines a business that has traded too briefly, with the reason', async () => {
    await page.goto(`${e2e.server.url}/app/loans/apply`);
    await ready('loans-apply-1');
    await page.getByLabel('Amount (CNY)').fill('50000');
    await page.getByRole('button', { name: 'Next' }).click();
    await ready('loans-apply-2');
    await fillBusiness('3');
    await page.getByRole('button', { name: 'Next' }).click();
    await ready('loans-apply-3');
    await page.getByRole('button', { name: 'Submit application' }).click();
    await page.waitForSelector('[data-decision="declined"]');
    expect(await page.locator('[data-reason="trading_history_too_short"]').innerText()).toBe('The business has not been trading long enough.');
    await screenshot(page, 'app-loans-declined');

    // My loans list the loan, and the declined application beside it.
    await page.getByRole('button', { name: 'Back' }).click();
    await ready('loans');
    expect(await page.locator('[data-loan-id]').count()).toBe(1);
    expect(await page.locator('main').innerText()).toContain('Declined');
  });
});
