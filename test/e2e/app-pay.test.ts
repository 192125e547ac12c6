/**
 * Payees and scan to pay in the customer app, end to end (built server, demo seed, headless
 * Chromium with a virtual WebAuthn authenticator): sign up, get funded, add a payee and pay
 * them through the transfer screen's confirmation; then pay the demo merchant from its pay
 * code pasted as text; then pay one customer from a screenshot of the other's pay code,
 * uploaded as a photo. Chromium on Linux has no BarcodeDetector, so the scan screen decodes
 * with its jsQR fallback: the last test proves that the app's own QR encoder (qr.ts) makes
 * codes an independent decoder reads. Screenshots: app-payees-*.png, app-scan-*.png.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, describeE2E, newContext, screenshot, useServerAndBrowser } from './harness.js';
import { fundFromBank, signUpInBrowser } from './app-session.js';
import { encodeQr } from '../../web/app/src/qr.js';

const ALICE_PHONE = '+8613800000001';
const MERCHANT = '0193a000-0000-7000-8000-000000000004';

describeE2E('customer app: payees and scan to pay', () => {
  const e2e = useServerAndBrowser('app');
  /** Li Na's page, signed up in the first test and used by the next. */
  let page: Page;
  const phone = `+86137${String(Date.now()).slice(-8)}`;

  /** A PNG of a QR code drawn from the app's own encoder (as qr-view.tsx draws it), rendered by Chromium. */
  const qrPng = async (text: string): Promise<Buffer> => {
    const matrix = encodeQr(text)!;
    const total = matrix.length + 8;
    let path = '';
    matrix.forEach((row, y) => row.forEach((dark, x) => (path += dark ? `M${x + 4},${y + 4}h1v1h-1z` : '')));
    const drawer = await e2e.browser.newPage();
    await drawer.setContent(`<svg id="qr" viewBox="0 0 ${total} ${total}" width="240" height="240" shape-rendering="crispEdges"><rect width="${total}" height="${total}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`);
    const png = await drawer.locator('#qr').screenshot();
    await drawer.close();
    return png;
  };

  const balanceText = () => page.locator('.card.account .balance').first().innerText();
  const openMore = async (name: string, ready: string) => {
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'More' }).click();
    await page.waitForSelector('body[data-ready="more"]');
    await page.getByRole('button', { name }).click();
    await page.waitForSelector(`body[data-ready="${ready}"]`);
  };

  it('signs up, adds a payee and pays them through the confirmation step', async () => {
    const customer = await signUpInBrowser(await e2e.newContext(), e2e.server, { name: 'Li Na', phone });
    page = customer.page;
    await fundFromBank(e2e.server, customer.account_id, 100_000n);
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
    const before = await e2e.server.api<{ credits_posted: string }>('GET', `/v1/accounts/${MERCHANT}`);
    expect(before.status).toBe(200);
    await openMore('Scan to pay', 'scan');
    // No BarcodeDetector in this Chromium: jsQR decodes, and the camera and photo are offered
    // all the same. Headless Chromium has no camera: that is said clearly, the rest remains.
    expect(await page.locator('section[data-decoder]').getAttribute('data-decoder')).toBe('jsqr');
    await page.getByRole('button', { name: 'Scan with the camera' }).click();
    await page.getByTestId('camera-error').waitFor();
    expect(await page.getByTestId('camera-error').innerText()).toMatch(/permission was refused|No camera was found|in use by another app/);
    await screenshot(page, 'app-scan-no-camera');
    // An image with no QR code in it, then a QR code that is not a pay code.
    await page.locator('#scan_image').setInputFiles({ name: 'no-code.png', mimeType: 'image/png', buffer: await page.screenshot() });
    await page.getByRole('alert').getByText('No QR code was found in this image').waitFor();
    await page.locator('#scan_image').setInputFiles({ name: 'other-code.png', mimeType: 'image/png', buffer: await qrPng('https://example.com/not-a-pay-code') });
    await page.getByRole('alert').getByText('not a Capillary pay code').waitFor();
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
    const after = await e2e.server.api<{ credits_posted: string }>('GET', `/v1/accounts/${MERCHANT}`);
    expect(BigInt(after.body.credits_posted) - BigInt(before.body.credits_posted)).toBe(2350n);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.waitForSelector('body[data-ready="home"]');
    await expect.poll(() => balanceText()).toContain('¥888.50');
  });

  it('pays customer A from a screenshot of A’s pay code, uploaded as a photo by customer B', async () => {
    // Contexts of their own, not the session's: this test closes them when it ends.
    const signUp = async (name: string, phoneNumber: string) => signUpInBrowser(await newContext(e2e.browser), e2e.server, { name, phone: phoneNumber });
    const stamp = String(Date.now()).slice(-7);
    const a = await signUp('Zhou Min', `+861360${stamp}`);
    const b = await signUp('Chen Jie', `+861350${stamp}`);
    try {
      // A's pay code, drawn by the app's encoder, captured as a PNG.
      await a.page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Pay code' }).click();
      await a.page.waitForSelector('body[data-ready="pay-code"]');
      expect(await a.page.getByTestId('pay-payload').innerText()).toBe(`capillary:pay?to=${a.account_id}&name=Zhou%20Min`);
      const png = await a.page.locator('svg.qr').screenshot();

      await fundFromBank(e2e.server, b.account_id, 50_000n);
      await b.page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'More' }).click();
      await b.page.waitForSelector('body[data-ready="more"]');
      await b.page.getByRole('button', { name: 'Scan to pay' }).click();
      await b.page.waitForSelector('body[data-ready="scan"]');
      await b.page.locator('#scan_image').setInputFiles({ name: 'pay-code.png', mimeType: 'image/png', buffer: png });
      // Decoded by jsQR (fetched now, on first use): the transfer screen, to A's account.
      await b.page.waitForSelector('body[data-ready="transfer"]');
      const handed = new URL(b.page.url());
      expect(handed.searchParams.get('to_account')).toBe(a.account_id);
      expect(handed.searchParams.get('name')).toBe('Zhou Min');
      await b.page.getByLabel('Amount (CNY)').fill('66.60');
      await b.page.getByRole('button', { name: 'Review transfer' }).click();
      await b.page.getByRole('heading', { name: 'Confirm the transfer' }).waitFor();
      const summary = await b.page.locator('.summary').innerText();
      expect(summary).toContain(a.account_id);
      expect(summary).toContain('¥66.60');
      await screenshot(b.page, 'app-scan-photo-confirm');
      await b.page.getByRole('button', { name: 'Confirm and send' }).click();
      await b.page.waitForSelector('[data-transfer-status]');
      expect(await b.page.locator('[data-transfer-status]').getAttribute('data-transfer-status')).toBe('completed');
      const paid = await e2e.server.api<{ credits_posted: string; debits_posted: string }>('GET', `/v1/accounts/${a.account_id}`, undefined, e2e.server.api_key);
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({ credits_posted: '6660', debits_posted: '0' });
    } finally {
      await a.context.close().catch(() => {});
      await b.context.close().catch(() => {});
    }
  });

  it('reads a pay code from camera frames (a fake camera showing the code) and releases the camera', async () => {
    // The frames: a merchant's pay code from the app's encoder, as a one-frame Y4M video
    // that Chromium's fake capture device loops.
    const size = 320;
    const png = await qrPng(`capillary:pay?to=${MERCHANT}&name=Corner%20Noodle%20Shop&amount=1200`);
    const drawer = await e2e.browser.newPage();
    // (Scripts for the page are strings: this project's tests are type-checked without the DOM library.)
    const rgba = await drawer.evaluate<number[]>(`(async () => {
      const bitmap = await createImageBitmap(await (await fetch('data:image/png;base64,${png.toString('base64')}')).blob());
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = ${size};
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, ${size}, ${size});
      ctx.drawImage(bitmap, (${size} - bitmap.width) / 2, (${size} - bitmap.height) / 2);
      return Array.from(ctx.getImageData(0, 0, ${size}, ${size}).data);
    })()`);
    await drawer.close();
    const y = Buffer.alloc(size * size);
    for (let i = 0; i < size * size; i++) y[i] = Math.round(0.299 * rgba[i * 4]! + 0.587 * rgba[i * 4 + 1]! + 0.114 * rgba[i * 4 + 2]!);
    const chroma = Buffer.alloc((size / 2) * (size / 2) * 2, 128);
    const dir = mkdtempSync(join(tmpdir(), 'capillary-camera-'));
    const video = join(dir, 'pay-code.y4m');
    writeFileSync(video, Buffer.concat([Buffer.from(`YUV4MPEG2 W${size} H${size} F10:1 Ip A1:1 C420jpeg\nFRAME\n`), y, chroma]));
    const camBrowser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
      timeout: 60_000,
    });
    try {
      const ctx = await newContext(camBrowser);
      await ctx.grantPermissions(['camera'], { origin: e2e.server.url });
      const { page: p } = await signUpInBrowser(ctx, e2e.server, { name: 'Sun Li', phone: `+861340${String(Date.now()).slice(-7)}` });
      // Count the live camera tracks the page holds, to see them released.
      await p.evaluate(`(() => {
        window.__tracks = [];
        const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = async (c) => {
          const s = await original(c);
          window.__tracks.push(...s.getTracks());
          return s;
        };
      })()`);
      await p.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'More' }).click();
      await p.waitForSelector('body[data-ready="more"]');
      await p.getByRole('button', { name: 'Scan to pay' }).click();
      await p.waitForSelector('body[data-ready="scan"]');
      await p.getByRole('button', { name: 'Scan with the camera' }).click();
      // The code fixes the amount: straight to the confirmation.
      await p.getByRole('heading', { name: 'Confirm the transfer' }).waitFor({ timeout: 20_000 });
      const summary = await p.locator('.summary').innerText();
      expect(summary).toContain('Corner Noodle Shop');
      expect(summary).toContain('¥12.00');
      const states = await p.evaluate<string[]>('window.__tracks.map((t) => t.readyState)');
      expect(states.length).toBeGreaterThan(0);
      expect(states.every((s) => s === 'ended')).toBe(true);
      await ctx.close();
    } finally {
      await camBrowser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
