/**
 * Console e2e helpers: sign a staff member in through the sign-in screen, and check that an
 * ECharts canvas really drew (non-transparent pixels), not just that a <canvas> exists.
 */
import { expect } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { newContext, type E2EServer } from './harness.js';

export const DEMO_STAFF_DOMAIN = 'demo.capillary.invalid';

/** A desktop-sized page on the console, signed in as `email`. */
export async function signedIn(browser: Browser, server: E2EServer, email: string, password: string, locale = 'en-US'): Promise<Page> {
  const context = await newContext(browser, { width: 1280, height: 900, locale });
  const page = await context.newPage();
  await page.goto(`${server.url}/console/`);
  await page.getByLabel(/Email|邮箱/).fill(email);
  await page.getByLabel(/Password|密码/).fill(password);
  await page.getByRole('button', { name: /Sign in|登录/ }).click();
  await page.locator('[data-testid="staff-role"]').waitFor({ timeout: 30_000 });
  return page;
}

/** The little of the DOM these page functions touch (the Node tsconfig has no DOM types). */
interface Box {
  getAttribute(name: string): string | null;
  querySelector(selector: string): CanvasLike | null;
}
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}
interface PageGlobals {
  document: { querySelectorAll(selector: string): Iterable<Box> };
  sessionStorage: { getItem(key: string): string | null };
  requestAnimationFrame(cb: () => void): void;
}

/**
 * How many pixels of each chart's canvas are painted (alpha > 0), once every chart matching
 * `selector` has drawn. Page functions, not strings: the console's CSP forbids eval.
 */
export async function paintedPixels(page: Page, selector = '[data-chart="true"]'): Promise<number[]> {
  await page.waitForFunction(
    (sel) => {
      const boxes = [...(globalThis as unknown as PageGlobals).document.querySelectorAll(sel)];
      return boxes.length > 0 && boxes.every((b) => b.getAttribute('data-drawn') === 'true' && b.querySelector('canvas') !== null);
    },
    selector,
    { timeout: 30_000 },
  );
  // ECharts paints on an animation frame after setOption: wait two.
  await page.evaluate(() => new Promise<void>((r) => (globalThis as unknown as PageGlobals).requestAnimationFrame(() => (globalThis as unknown as PageGlobals).requestAnimationFrame(r))));
  return page.evaluate((sel) => {
    return [...(globalThis as unknown as PageGlobals).document.querySelectorAll(sel)].map((box) => {
      const canvas = box.querySelector('canvas');
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx || canvas.width === 0 || canvas.height === 0) return 0;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      return painted;
    });
  }, selector);
}

/** The staff token the console keeps in sessionStorage (null once signed out). */
export function sessionToken(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const s = (globalThis as unknown as PageGlobals).sessionStorage.getItem('capillary.console.session');
    return s ? (JSON.parse(s) as { token: string }).token : null;
  });
}

export function expectAllPainted(counts: number[], min = 500): void {
  expect(counts.length).toBeGreaterThan(0);
  for (const c of counts) expect(c).toBeGreaterThan(min);
}
