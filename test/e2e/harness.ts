/**
 * The end-to-end harness shared by every `test/e2e/*.test.ts`: the real built server
 * (`capillary serve`, dist/) in a child process with a scratch database and the demo seed,
 * headless Debian Chromium driven by playwright-core, and screenshots into docs/screenshots/.
 *
 * The browser talks to `http://localhost:<port>` (not 127.0.0.1): WebAuthn relying-party ids
 * must be domain names, and localhost is a secure context, so passkeys and the service
 * worker work without TLS.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import './seeded-template.js'; // the ProvidedContext type of e2e_template
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { ENGINE, ROOT } from '../helpers/env.js';
import { createPgDatabase } from '../helpers/db.js';
import { spawnServer, type ServerProcess } from '../helpers/proc.js';
import { accessibilityProblems } from './accessibility.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../bench/app/chromium.js';

export { CHROMIUM_ARGS, CHROMIUM_PATH };

export const SCREENSHOT_DIR = join(ROOT, 'docs', 'screenshots');
export const WEB_DIST = join(ROOT, 'dist', 'web');

/** Why e2e tests cannot run here, or undefined when they can. */
export function e2eUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM_PATH)) return `Chromium is missing at ${CHROMIUM_PATH} (apt-get install chromium)`;
  return undefined;
}

/**
 * `describe` for browser tests: skipped with a printed reason when Chromium is missing,
 * except under CI=true, where a missing browser is a failure (CI installs it).
 */
export function describeE2E(name: string, fn: () => void): void {
  const missing = e2eUnavailable();
  if (!missing) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      throw new Error(`e2e: ${missing}; CI must install it (.ci/run does)`);
    });
    return;
  }
  console.warn(`[e2e] skipping "${name}": ${missing}`);
  describe.skip(name, fn);
}

/** Fails loudly when a web app was not built (npm test runs `npm run build`, which builds both). */
export function assertWebBuilt(name: 'app' | 'console'): void {
  const index = join(WEB_DIST, name, 'index.html');
  if (!existsSync(index)) throw new Error(`${index} is missing: run \`npm run build\` (it builds the web apps after tsc)`);
}

export interface E2EServer {
  /** http://localhost:<port> — open pages here. */
  url: string;
  port: number;
  /** The demo API key (the seed's scopes: ledger, envelopes, risk, lending, metrics). */
  api_key: string;
  /** An API key with scope `admin`. */
  admin_key: string;
  /** The seeded demo staff members' shared password (`<role>@demo.capillary.invalid`). */
  demo_staff_password: string;
  engine: 'pglite' | 'postgres';
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  /** fetch against the server with the admin key (or another key); JSON in, parsed JSON out. */
  api<T = unknown>(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** Extra environment for `capillary serve` (e.g. OTP_DELIVERY). */
  env?: Record<string, string>;
}

/**
 * Copies the run's migrated and seeded database (seeded-template.ts: a PGlite folder under
 * the OS temp dir, or a PostgreSQL database when CAPILLARY_TEST_ENGINE=postgres) and starts
 * `capillary serve` on it on a free port. Each test file gets its own copy.
 */
export async function startServer(options: StartServerOptions = {}): Promise<E2EServer> {
  const template = inject('e2e_template');
  let dataDir: string | undefined;
  let dropDb: (() => Promise<void>) | undefined;
  const storageEnv: Record<string, string> = {};
  if (ENGINE === 'postgres') {
    const database = await createPgDatabase(template.database);
    dropDb = database.drop;
    storageEnv.DATABASE_URL = database.url;
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'capillary-e2e-'));
    cpSync(template.data_dir!, dataDir, { recursive: true });
    storageEnv.DATA_DIR = dataDir;
  }
  const cleanup = async () => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await dropDb?.();
  };
  let server: ServerProcess | undefined;
  try {
    const { api_key } = template;
    const admin = { token: template.admin_key };
    // PUBLIC_URL is left to its default, http://localhost:<PORT>: the origin the browser uses (and the WebAuthn RP).
    server = await spawnServer({
      ...(dataDir ? { data_dir: dataDir } : { database_url: storageEnv.DATABASE_URL! }),
      env: { OTP_DELIVERY: 'dev-inbox', ...options.env },
      ready_timeout_ms: 180_000,
    });
    const running = server;
    const port = running.port;
    const url = `http://localhost:${port}`;
    const base = running.base;
    return {
      url,
      port,
      api_key,
      admin_key: admin.token,
      demo_staff_password: template.demo_staff_password,
      engine: ENGINE,
      output: () => running.output(),
      async api<T>(method: string, path: string, body?: unknown, key = admin.token) {
        const headers: Record<string, string> = { authorization: `Bearer ${key}` };
        if (body !== undefined) headers['content-type'] = 'application/json';
        const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
      },
      async stop() {
        await running.stop();
        await cleanup();
      },
    };
  } catch (err) {
    await server?.kill();
    await cleanup();
    throw err;
  }
}

/** Headless Chromium (Debian's), fresh profile per launch (playwright makes one). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export interface ContextOptions {
  locale?: string;
  width?: number;
  height?: number;
}

/** A fresh context on the server with a phone-sized viewport, English by default. */
export function newContext(browser: Browser, options: ContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: { width: options.width ?? 390, height: options.height ?? 844 },
    deviceScaleFactor: 1,
    serviceWorkers: 'allow',
  });
}

/** One test file's server and browser, for its tests and hooks (not its describe body: they start in beforeAll). */
export interface E2ESession {
  readonly server: E2EServer;
  readonly browser: Browser;
  /** newContext() on this browser, closed after the file's tests. */
  newContext(options?: ContextOptions): Promise<BrowserContext>;
}

/**
 * Gives the calling test file its own server (startServer) and browser: registers a beforeAll
 * that checks `web` was built and starts both, and an afterAll that closes the contexts made
 * with session.newContext, the browser and the server. Call it first in a describeE2E body:
 * vitest runs beforeAll hooks in the order they are registered, so the file's own hooks can
 * use the session.
 */
export function useServerAndBrowser(web: 'app' | 'console'): E2ESession {
  let server: E2EServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    assertWebBuilt(web);
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });
  // Read before beforeAll ran (in the describe body), they would be undefined: say so instead.
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`e2e: the ${what} is not started yet: use the session in tests and hooks, not in the describe body`);
    return value;
  };
  return {
    get server() {
      return started(server, 'server');
    },
    get browser() {
      return started(browser, 'browser');
    },
    async newContext(options) {
      const context = await newContext(started(browser, 'browser'), options);
      contexts.push(context);
      return context;
    },
  };
}

/**
 * Photographs a main screen into docs/screenshots/<name>.png, and checks it is accessible
 * (accessibility.ts: named controls, text contrast, focus order): every screen the tests
 * show in the docs is one a screen-reader or low-vision user can use. Throws on a problem.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`screenshot name must be lower-case kebab: ${name}`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false, animations: 'disabled' });
  const problems = await accessibilityProblems(page);
  if (problems.length > 0) throw new Error(`screen ${name} has accessibility problems:\n${problems.map((p) => `  ${p.kind}: ${p.element}: ${p.detail}`).join('\n')}`);
  return path;
}

/**
 * A virtual platform authenticator (CTAP2, internal transport, resident keys, user
 * verification that always succeeds) on the page's target, so passkey sign-up and sign-in
 * work headless. Returns the CDP session and the authenticator id.
 */
export async function addVirtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticator_id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticator_id: authenticatorId };
}

/** The newest one-time code sent to `phone`, read from the dev OTP inbox (admin key; OTP_DELIVERY=dev-inbox). */
export async function readOtp(server: E2EServer, phone: string): Promise<string> {
  const { status, body } = await server.api<{ items?: { code: string; created_at?: string }[]; code?: string }>(
    'GET',
    `/v1/identity/dev/otp-inbox?phone=${encodeURIComponent(phone)}`,
  );
  if (status !== 200) throw new Error(`dev OTP inbox answered ${status}: ${JSON.stringify(body)}`);
  const code = body.code ?? body.items?.[0]?.code;
  if (!code) throw new Error(`no code in the dev OTP inbox for ${phone}: ${JSON.stringify(body)}`);
  return code;
}
