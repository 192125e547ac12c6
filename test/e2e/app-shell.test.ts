/** The app shell: served at /app/ with its security and caching headers, first screen rendered, works offline after a first visit. */
import { expect, it } from 'vitest';
import { describeE2E, newContext, screenshot, useServerAndBrowser } from './harness.js';

describeE2E('customer app shell', () => {
  const e2e = useServerAndBrowser('app');

  it('serves index.html with a strict CSP and no-cache, hashed assets as immutable, and falls back to index.html for client routes', async () => {
    const index = await fetch(`${e2e.server.url}/app/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/frame-src http:\/\/localhost:\d+\/mini-programs\//);
    const html = await index.text();
    const asset = /src="(\/app\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${e2e.server.url}${asset}`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-encoding')).toBe('br');

    const sw = await fetch(`${e2e.server.url}/app/sw.js`);
    expect(sw.headers.get('cache-control')).toBe('no-cache');

    const deep = await fetch(`${e2e.server.url}/app/accounts/x/statement`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    const missing = await fetch(`${e2e.server.url}/app/assets/nope-12345678.js`);
    expect(missing.status).toBe(404);
    const bare = await fetch(`${e2e.server.url}/app`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/app/');
  });

  it('renders the welcome screen in English and Chinese, and loads offline after a first visit', async () => {
    const context = await newContext(e2e.browser);
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
      await page.goto(`${e2e.server.url}/app/`);
      await page.waitForSelector('body[data-ready="welcome"]');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Capillary');
      await screenshot(page, 'app-welcome');

      await page.getByRole('button', { name: 'Language' }).click();
      await expect.poll(() => page.getByRole('button', { name: '开户' }).count()).toBe(1);
      expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
      await screenshot(page, 'app-welcome-zh');
      await page.getByRole('button', { name: '语言' }).click();

      // The service worker installs after the first load and takes control; then the shell survives going offline.
      await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
      await page.reload();
      await page.waitForSelector('body[data-ready="welcome"]');
      expect(await page.evaluate('navigator.serviceWorker.controller !== null')).toBe(true);
      await context.setOffline(true);
      await page.reload();
      await page.waitForSelector('body[data-ready="welcome"]');
      expect(await page.getByRole('button', { name: 'Open an account' }).isVisible()).toBe(true);
      await context.setOffline(false);
      expect(errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
