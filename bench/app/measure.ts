/**
 * One cold load of a page in a fresh browser context (empty cache, no service worker):
 * when the first meaningful screen appeared (the app's `capillary:ready` performance mark,
 * else the first `[data-ready]` element a MutationObserver saw), when the page became
 * interactive (the later of that, DOMContentLoaded's end and the end of the last long
 * task, once the main thread has been quiet for QUIET_MS), first contentful paint, and the
 * bytes transferred by resource type (CDP Network events: encoded bytes on the wire).
 */
import type { Browser, BrowserContext } from 'playwright-core';

export interface LoadResult {
  ready_ms: number;
  interactive_ms: number;
  fcp_ms: number;
  requests: number;
  bytes_by_type: Record<string, number>;
  bytes_total: number;
}

export interface LoadTarget {
  name: string;
  url: string;
  /** Prepares each fresh context (cookies, storage) before the load. */
  prepare?: (context: BrowserContext) => Promise<void>;
  /** What the first meaningful screen must be (the value of data-ready), when it matters. */
  expect_ready?: string;
  /** The element that marks the first meaningful screen (default `[data-ready]`). */
  ready_selector?: string;
}

const QUIET_MS = 500;
const LOAD_TIMEOUT_MS = 30_000;

// Runs in the page before any of its scripts (a string: this file is compiled without DOM types).
const observerScript = (selector: string) => `(() => {
  const selector = ${JSON.stringify(selector)};
  const w = window;
  w.__bench = { readyAt: undefined, lastLongTaskEnd: 0, lastLongTaskSeenAt: 0 };
  const check = () => {
    if (w.__bench.readyAt === undefined && document.querySelector(selector)) {
      w.__bench.readyAt = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        w.__bench.lastLongTaskEnd = Math.max(w.__bench.lastLongTaskEnd, e.startTime + e.duration);
        w.__bench.lastLongTaskSeenAt = performance.now();
      }
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
})();`;

const READ_SCRIPT = `(() => {
  const b = window.__bench;
  const mark = (name) => performance.getEntriesByName(name)[0]?.startTime;
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
  return {
    ready_mark: mark('capillary:ready'),
    interactive_mark: mark('capillary:interactive'),
    ready_observed: b.readyAt,
    dcl_end: nav ? nav.domContentLoadedEventEnd : 0,
    last_long_task_end: b.lastLongTaskEnd,
    quiet_for: performance.now() - Math.max(b.lastLongTaskSeenAt, b.readyAt ?? 0),
    fcp: fcp ?? NaN,
    ready_value: document.querySelector('[data-ready]')?.getAttribute('data-ready') ?? '',
  };
})()`;

interface PageFigures {
  ready_mark?: number;
  interactive_mark?: number;
  ready_observed?: number;
  dcl_end: number;
  last_long_task_end: number;
  quiet_for: number;
  fcp: number;
  ready_value: string;
}

/** Resource types as CDP names them, folded into the columns the report shows. */
function bucket(type: string): string {
  switch (type) {
    case 'Document':
      return 'html';
    case 'Script':
      return 'js';
    case 'Stylesheet':
      return 'css';
    case 'Image':
    case 'Font':
      return 'img/font';
    case 'Fetch':
    case 'XHR':
      return 'api';
    default:
      return 'other';
  }
}

export async function coldLoad(browser: Browser, target: LoadTarget): Promise<LoadResult> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', serviceWorkers: 'block' });
  try {
    await target.prepare?.(context);
    const selector = target.ready_selector ?? '[data-ready]';
    await context.addInitScript(observerScript(selector));
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const types = new Map<string, string>();
    const bytes = new Map<string, number>();
    cdp.on('Network.responseReceived', (e) => types.set(e.requestId, e.type));
    cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, e.encodedDataLength));
    await cdp.send('Network.enable');
    await page.goto(target.url, { waitUntil: 'commit', timeout: LOAD_TIMEOUT_MS });
    await page.waitForSelector(selector, { timeout: LOAD_TIMEOUT_MS });
    let figures: PageFigures;
    const deadline = Date.now() + LOAD_TIMEOUT_MS;
    for (;;) {
      figures = await page.evaluate<PageFigures>(READ_SCRIPT);
      if (figures.quiet_for >= QUIET_MS || Date.now() > deadline) break;
      await page.waitForTimeout(100);
    }
    if (target.expect_ready && figures.ready_value !== target.expect_ready) {
      throw new Error(`${target.name}: the first screen was "${figures.ready_value}", expected "${target.expect_ready}"`);
    }
    const ready_ms = figures.ready_mark ?? figures.ready_observed ?? NaN;
    const interactive_ms = Math.max(ready_ms, figures.interactive_mark ?? 0, figures.dcl_end, figures.last_long_task_end);
    const bytes_by_type: Record<string, number> = {};
    let bytes_total = 0;
    for (const [id, n] of bytes) {
      const kind = bucket(types.get(id) ?? 'Other');
      bytes_by_type[kind] = (bytes_by_type[kind] ?? 0) + n;
      bytes_total += n;
    }
    return { ready_ms, interactive_ms, fcp_ms: figures.fcp, requests: bytes.size, bytes_by_type, bytes_total };
  } finally {
    await context.close();
  }
}
