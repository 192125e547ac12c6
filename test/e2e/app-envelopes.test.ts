/**
 * Red envelopes in the customer app, end to end in headless Chromium against the real server:
 * Mei (funded by the bank through the operator API) sends a lucky envelope of 3 shares with
 * the confirmation step and gets its share link and QR code; Jun, in another browser context,
 * opens the link and grabs (the reveal shows the amount); a third customer grabs too; Mei
 * sees who got what; every balance checks out to the minor unit through the API.
 */
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeE2E, screenshot, useServerAndBrowser } from './harness.js';
import { fundFromBank, signUpInBrowser } from './app-session.js';
import { encodeQr } from '../../web/app/src/qr.js';

const TOTAL_MINOR = 8888n;
const FUNDED_MINOR = 20_000n;

/** "¥12.34" → 1234n (the app's CNY display: two decimals, grouped thousands). */
const minorOf = (text: string): bigint => {
  const match = /([\d,]+)\.(\d{2})/.exec(text);
  if (!match) throw new Error(`no amount in ${JSON.stringify(text)}`);
  return BigInt(match[1]!.replace(/,/g, '') + match[2]!);
};

describeE2E('customer app red envelopes', () => {
  const e2e = useServerAndBrowser('app');
  const stamp = String(Date.now()).slice(-7);
  let sender: Page;
  let senderAccount = '';
  let grabber: Page;
  let grabberAccount = '';
  let shareLink = '';
  let junGot = 0n;

  /** A new browser context, signed up as a new customer; answers the page and the account id. */
  async function signUp(name: string, phone: string): Promise<{ page: Page; account: string }> {
    const { page, account_id: account } = await signUpInBrowser(await e2e.newContext(), e2e.server, { name, phone });
    expect(account).toMatch(/^[0-9a-f-]{36}$/);
    return { page, account };
  }

  const postedBalance = async (account: string): Promise<bigint> => {
    const { status, body } = await e2e.server.api<{ credits_posted: string; debits_posted: string }>('GET', `/v1/accounts/${account}`, undefined, e2e.server.api_key);
    expect(status).toBe(200);
    return BigInt(body.credits_posted) - BigInt(body.debits_posted);
  };

  it('sends a lucky envelope of 3 shares with a confirmation step, and shows its link and QR code', async () => {
    ({ page: sender, account: senderAccount } = await signUp('Mei Lin', `+86137${stamp}1`));
    await fundFromBank(e2e.server, senderAccount, FUNDED_MINOR, 'Welcome bonus');

    await sender.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'More' }).click();
    await sender.waitForSelector('body[data-ready="more"]');
    // The menu entry is the feature now, not a "coming next" place.
    const entry = sender.getByRole('button', { name: /Red envelopes/ });
    expect(await entry.innerText()).not.toContain('Coming');
    await entry.click();
    await sender.waitForSelector('body[data-ready="envelopes"]');
    expect(await sender.getByText('You have not sent a red envelope yet.').count()).toBe(1);
    await sender.getByRole('button', { name: 'Send a red envelope' }).click();
    await sender.waitForSelector('body[data-ready="envelopes-send"]');
    expect(await sender.getByLabel('Lucky draw').isChecked()).toBe(true);
    await sender.getByLabel('Total (CNY)').fill('88.88');
    await sender.getByLabel('Number of shares').fill('3');
    await sender.getByLabel('Greeting (optional)').fill('Happy Spring Festival!');
    await screenshot(sender, 'app-envelopes-send');
    await sender.getByRole('button', { name: 'Review the envelope' }).click();
    await sender.getByRole('heading', { name: 'Confirm the red envelope' }).waitFor();
    expect(await sender.getByTestId('envelope-total').innerText()).toBe('¥88.88');
    expect(await sender.locator('.summary').innerText()).toContain('3 shares');
    await screenshot(sender, 'app-envelopes-confirm');
    // Nothing has moved before the confirmation.
    expect(await postedBalance(senderAccount)).toBe(FUNDED_MINOR);
    await sender.getByRole('button', { name: 'Confirm and send' }).click();

    await sender.waitForSelector('[data-envelope-state="share"]');
    shareLink = await sender.getByTestId('share-link').inputValue();
    expect(shareLink).toMatch(new RegExp(`^${e2e.server.url}/app/envelopes/[0-9a-f-]{36}\\?token=[A-Za-z0-9_-]{22}$`));
    // The QR code encodes exactly the link (same encoder, same modules).
    const qr = sender.getByRole('img', { name: 'QR code of the share link' });
    expect(Number(await qr.getAttribute('data-qr-size'))).toBe(encodeQr(shareLink)!.length);
    expect(await sender.getByTestId('envelope-claimed').innerText()).toContain('0 of 3 grabbed');
    await screenshot(sender, 'app-envelopes-share');
    expect(await postedBalance(senderAccount)).toBe(FUNDED_MINOR - TOTAL_MINOR);
  });

  it('lets another customer open the link and grab a share, with the reveal', async () => {
    expect(shareLink).not.toBe('');
    ({ page: grabber, account: grabberAccount } = await signUp('Jun Wang', `+86137${stamp}2`));
    await grabber.goto(shareLink);
    await grabber.waitForSelector('[data-envelope-state="closed"]');
    expect(await grabber.getByRole('heading', { level: 1 }).innerText()).toBe('From Mei Lin');
    expect(await grabber.locator('.envelope-card-greeting').innerText()).toBe('Happy Spring Festival!');
    await screenshot(grabber, 'app-envelopes-open');

    await grabber.getByRole('button', { name: 'Open the red envelope from Mei Lin' }).click();
    await grabber.waitForSelector('[data-envelope-state="revealed"]');
    // The reveal is animated unless the customer asked for less motion.
    const flapAnimation = () => grabber.evaluate<string>(`getComputedStyle(document.querySelector('.envelope-card.revealed .envelope-flap')).animationName`);
    expect(await flapAnimation()).toBe('envelope-flap');
    await grabber.emulateMedia({ reducedMotion: 'reduce' });
    expect(await flapAnimation()).toBe('none');
    await grabber.emulateMedia({ reducedMotion: 'no-preference' });

    junGot = minorOf(await grabber.getByTestId('grab-amount').innerText());
    expect(junGot).toBeGreaterThan(0n);
    expect(junGot).toBeLessThanOrEqual(TOTAL_MINOR - 2n);
    await expect.poll(() => grabber.locator('.grab-list li').count()).toBe(1);
    expect(await grabber.locator('.grab-list li').first().innerText()).toContain('Jun Wang (you)');
    await screenshot(grabber, 'app-envelopes-reveal');
    expect(await postedBalance(grabberAccount)).toBe(junGot);

    // Opening the link again shows the same share, opened; nothing moves twice.
    await grabber.reload();
    await grabber.waitForSelector('[data-envelope-state="opened"]');
    expect(minorOf(await grabber.getByTestId('grab-amount').innerText())).toBe(junGot);
    expect(await postedBalance(grabberAccount)).toBe(junGot);
  });

  it('shows the sender who got what, and every balance checks out exactly', async () => {
    expect(junGot).toBeGreaterThan(0n);
    // A third customer grabs too, in a third browser context.
    const { page: kai, account: kaiAccount } = await signUp('Kai Zhou', `+86137${stamp}3`);
    await kai.goto(shareLink);
    await kai.getByRole('button', { name: 'Open the red envelope from Mei Lin' }).click();
    await kai.waitForSelector('[data-envelope-state="revealed"]');
    const kaiGot = minorOf(await kai.getByTestId('grab-amount').innerText());
    const envelopeId = new URL(shareLink).pathname.split('/').pop()!;

    await sender.reload();
    await sender.waitForSelector('[data-envelope-state="share"]');
    await expect.poll(() => sender.locator('.grab-list li').count()).toBe(2);
    const lines = await sender.locator('.grab-list li').allInnerTexts();
    expect(lines[0]).toContain('Jun Wang');
    expect(minorOf(lines[0]!)).toBe(junGot);
    expect(lines[1]).toContain('Kai Zhou');
    expect(minorOf(lines[1]!)).toBe(kaiGot);
    expect(await sender.getByTestId('envelope-claimed').innerText()).toContain('2 of 3 grabbed');
    await sender.evaluate(`document.getElementById('who-got-what').scrollIntoView({ block: 'start' })`);
    await screenshot(sender, 'app-envelopes-who-got-what');

    // My envelopes: the one just sent, 2 of 3 grabbed.
    await sender.getByRole('button', { name: 'My red envelopes' }).click();
    await sender.waitForSelector('body[data-ready="envelopes"]');
    await expect.poll(() => sender.locator('.envelope-list li').count()).toBe(1);
    expect(await sender.locator('.envelope-list li').first().innerText()).toContain('2 of 3 grabbed');
    await screenshot(sender, 'app-envelopes-list');

    // Exact money: the sender paid the total once; the two grabs and what is left make it up.
    const { body: envelope } = await e2e.server.api<{ remaining_amount: string; claimed_amount: string; holding_account_id: string }>('GET', `/v1/envelopes/${envelopeId}`, undefined, e2e.server.api_key);
    expect(BigInt(envelope.claimed_amount)).toBe(junGot + kaiGot);
    expect(junGot + kaiGot + BigInt(envelope.remaining_amount)).toBe(TOTAL_MINOR);
    expect(await postedBalance(senderAccount)).toBe(FUNDED_MINOR - TOTAL_MINOR);
    expect(await postedBalance(grabberAccount)).toBe(junGot);
    expect(await postedBalance(kaiAccount)).toBe(kaiGot);
    expect(await postedBalance(envelope.holding_account_id)).toBe(BigInt(envelope.remaining_amount));
  });
});
