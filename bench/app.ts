/**
 * The web front ends' cold-load benchmark: `npm run bench:app -- [--quick] [--runs N] [--out FILE]`.
 * The real server (`capillary serve`, with the demo seed, on embedded PGlite) serves the built
 * apps; headless Chromium loads each page N times, each in a fresh context (empty cache, no
 * service worker): the customer app signed out (welcome), the customer app signed in (home:
 * Alice's session cookie, accounts and transactions fetched), and the operator console when it
 * is built. Reports medians of the time to the first meaningful screen and to interactive,
 * first contentful paint, and bytes on the wire by type, plus the gzipped size of the JS the
 * app's first screen needs. A full run writes its section of docs/benchmarks.md.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { CapillaryServer, createApiKey, type ServerStorage } from './lib/capillary-server.js';
import { Cleanup, cleanUpOnSignals } from './lib/cleanup.js';
import { createTempDir, packageVersion } from './lib/database.js';
import { writeSection } from './lib/doc-section.js';
import { commonOption, parseInteger, startRun, unknownOption, walkOptions } from './lib/options.js';
import { BENCHMARKS_DOC, PROJECT_ROOT, machine, machineLines, sourceState } from './lib/run-info.js';
import { percentile } from './lib/stats.js';
import { consoleTable, markdownRow } from './lib/table.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './app/chromium.js';
import { coldLoad, type LoadResult, type LoadTarget } from './app/measure.js';

const USAGE = `npm run bench:app -- [options]

  --quick        3 loads per page (CI smoke run); prints only
  --runs N       loads per page (default 10; 1..100)
  --out FILE     write the report section to FILE (default docs/benchmarks.md for a full run)
  -h, --help     this text`;

interface Options {
  quick: boolean;
  runs: number;
  out?: string | undefined;
  help: boolean;
}

function parseOptions(args: readonly string[]): Options {
  const options: Options = { quick: false, runs: 0, help: false };
  walkOptions(args, (option) => {
    if (commonOption(option, options)) return;
    if (option.name === '--runs') options.runs = parseInteger(option.value(), '--runs', 1, 100);
    else unknownOption(option.name);
  });
  if (options.runs === 0) options.runs = options.quick ? 3 : 10;
  return options;
}

const CLI_MAIN = resolve(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');
const WEB_DIST = resolve(PROJECT_ROOT, 'dist', 'web');
const ALICE_PHONE = '+8613800000001';
const run = promisify(execFile);

interface PageReport {
  target: LoadTarget;
  loads: LoadResult[];
}

const median = (xs: number[]): number => percentile(xs, 50);
const kib = (n: number): string => (n / 1024).toFixed(1);
const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '–');
const BYTE_COLUMNS = ['html', 'js', 'css', 'img/font', 'api', 'other'] as const;

/** The gzipped size of the JS index.html loads up front (its module script and modulepreloads): what the first screen needs. */
export function firstScreenJs(app: string): { files: string[]; raw_bytes: number; gzip_bytes: number } {
  const dir = join(WEB_DIST, app);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const base = `/${app}/`;
  const files = [...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="([^"]+\.js)"/g)].map((m) => m[1]!.replace(base, ''));
  let raw_bytes = 0;
  let gzip_bytes = 0;
  for (const file of files) {
    const body = readFileSync(join(dir, file));
    raw_bytes += body.length;
    gzip_bytes += gzipSync(body, { level: 9 }).length;
  }
  return { files, raw_bytes, gzip_bytes };
}

/** Alice signs in by one-time code through the API (dev inbox); the browser contexts get her session cookie. */
async function aliceSession(base: string, admin_key: string): Promise<string> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const started = (await post('/v1/identity/otp/start', { phone: ALICE_PHONE, purpose: 'sign_in' })) as { otp_id: string };
  const inbox = await fetch(`${base}/v1/identity/dev/otp-inbox?phone=${encodeURIComponent(ALICE_PHONE)}`, { headers: { authorization: `Bearer ${admin_key}` } });
  const { items } = (await inbox.json()) as { items: { otp_id: string; code: string }[] };
  const code = items.find((m) => m.otp_id === started.otp_id)?.code;
  if (!code) throw new Error('the dev OTP inbox has no code for the bench sign-in');
  const signedIn = (await post('/v1/identity/otp/verify', { otp_id: started.otp_id, code, device_id: 'bench-app-device' })) as { session: { token: string } };
  return signedIn.session.token;
}

function consoleReport(pages: PageReport[]): string {
  const rows = [['page', 'loads', 'ready p50 ms', 'min–max', 'interactive p50 ms', 'FCP p50 ms', 'requests', ...BYTE_COLUMNS.map((c) => `${c} KiB`), 'total KiB']];
  for (const { target, loads } of pages) {
    const ready = loads.map((l) => l.ready_ms);
    rows.push([
      target.name,
      String(loads.length),
      ms(median(ready)),
      `${ms(Math.min(...ready))}–${ms(Math.max(...ready))}`,
      ms(median(loads.map((l) => l.interactive_ms))),
      ms(median(loads.map((l) => l.fcp_ms))),
      String(median(loads.map((l) => l.requests))),
      ...BYTE_COLUMNS.map((c) => kib(median(loads.map((l) => l.bytes_by_type[c] ?? 0)))),
      kib(median(loads.map((l) => l.bytes_total))),
    ]);
  }
  return consoleTable(rows);
}

function markdownReport(pages: PageReport[], bundles: string[], runs: number, started: Date): string {
  const lines = [
    '## Web front ends: cold load (`npm run bench:app`)',
    '',
    `Run ${started.toISOString()} on ${sourceState()}. Headless Chromium (${CHROMIUM_PATH}, playwright-core ${packageVersion('playwright-core')}) against \`capillary serve\` on embedded PGlite with the demo seed, both on this machine:`,
    ...machineLines(machine()),
    '',
    `Each page is loaded ${runs} times, each in a fresh browser context (empty HTTP cache, service workers blocked: a first visit), 390×844 viewport. ` +
      '"Ready" is the first meaningful screen (the app\'s `capillary:ready` performance mark, else the first `[data-ready]` element); ' +
      '"interactive" is the later of ready, the end of DOMContentLoaded and the end of the last long task, once the main thread has been quiet for 500 ms; ' +
      'bytes are encoded bytes on the wire (brotli for the static files) by resource type, from CDP Network events. Milliseconds from navigation start; medians.',
    '',
    markdownRow(['page', 'ready ms (p50)', 'min–max', 'interactive ms (p50)', 'FCP ms (p50)', 'requests', ...BYTE_COLUMNS.map((c) => `${c} KiB`), 'total KiB']),
    markdownRow(['---', ...Array(7 + BYTE_COLUMNS.length).fill('---:')]),
  ];
  for (const { target, loads } of pages) {
    const ready = loads.map((l) => l.ready_ms);
    lines.push(
      markdownRow([
        target.name,
        ms(median(ready)),
        `${ms(Math.min(...ready))}–${ms(Math.max(...ready))}`,
        ms(median(loads.map((l) => l.interactive_ms))),
        ms(median(loads.map((l) => l.fcp_ms))),
        String(median(loads.map((l) => l.requests))),
        ...BYTE_COLUMNS.map((c) => kib(median(loads.map((l) => l.bytes_by_type[c] ?? 0)))),
        kib(median(loads.map((l) => l.bytes_total))),
      ]),
    );
  }
  lines.push('', ...bundles.map((b) => `- ${b}`), '');
  return lines.join('\n');
}

export async function main(args: readonly string[]): Promise<number> {
  const parsed = startRun('app', args, parseOptions, USAGE, BENCHMARKS_DOC, resolve);
  if (typeof parsed === 'number') return parsed;
  const { options, out } = parsed;
  if (!existsSync(CHROMIUM_PATH)) {
    console.error(`bench app: Chromium is missing at ${CHROMIUM_PATH} (apt-get install chromium)`);
    return 1;
  }
  if (!existsSync(join(WEB_DIST, 'app', 'index.html'))) {
    console.error('bench app: dist/web/app is missing; run `npm run build`');
    return 1;
  }
  const started = new Date();
  const cleanup = new Cleanup();
  const guard = cleanUpOnSignals(cleanup, 'the server, the browser and the scratch data folder');
  try {
    const dir = await createTempDir('capillary-bench-app');
    cleanup.push('remove the scratch data folder', () => dir.remove());
    const storage: ServerStorage = { engine: 'pglite', data_dir: dir.path };
    const cliEnv = { ...process.env, DATA_DIR: dir.path, DATABASE_URL: '', LOG_LEVEL: 'warn' };
    console.log('setting up: migrate, demo seed, admin key…');
    await run(process.execPath, [CLI_MAIN, 'migrate'], { env: cliEnv });
    await run(process.execPath, [CLI_MAIN, 'seed'], { env: cliEnv });
    const adminKey = await createApiKey(storage, 'bench-app', ['admin']);
    const server = await CapillaryServer.start(storage, { OTP_DELIVERY: 'dev-inbox' });
    cleanup.push('stop the server', () => server.stop());
    // The browser uses localhost (the origin the app's cookies and passkeys belong to).
    const base = server.url.replace('127.0.0.1', 'localhost');
    const token = await aliceSession(server.url, adminKey);
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    cleanup.push('close the browser', () => browser.close());

    const signedIn = async (context: BrowserContext) => {
      await context.addCookies([{ name: 'cap_session', value: token, url: base, httpOnly: true, sameSite: 'Strict' }]);
      await context.addInitScript("localStorage.setItem('capillary.signed_in', '1')");
    };
    const targets: LoadTarget[] = [
      { name: 'app: welcome (signed out)', url: `${base}/app/`, expect_ready: 'welcome' },
      { name: 'app: home (signed in)', url: `${base}/app/`, prepare: signedIn, expect_ready: 'home' },
    ];
    const bundles: string[] = [];
    const appJs = firstScreenJs('app');
    bundles.push(`app first-screen JS: ${appJs.files.join(', ')} — ${kib(appJs.raw_bytes)} KiB raw, ${kib(appJs.gzip_bytes)} KiB gzipped (budget 100 KB gzipped)`);
    if (existsSync(join(WEB_DIST, 'console', 'index.html'))) {
      // The console's first screen marks itself with [data-ready] when it does; until then, its sign-in form.
      targets.push({ name: 'console: first screen', url: `${base}/console/`, ready_selector: '[data-ready], form' });
      const consoleJs = firstScreenJs('console');
      bundles.push(`console first-screen JS: ${consoleJs.files.join(', ')} — ${kib(consoleJs.raw_bytes)} KiB raw, ${kib(consoleJs.gzip_bytes)} KiB gzipped`);
    } else {
      bundles.push('console: not built (dist/web/console missing), not measured');
    }

    const pages: PageReport[] = [];
    for (const target of targets) {
      // One unmeasured load warms the server's file cache and V8's, as a returning server would be.
      await coldLoad(browser, target);
      const loads: LoadResult[] = [];
      for (let i = 0; i < options.runs; i++) loads.push(await coldLoad(browser, target));
      console.log(`✓ ${target.name}: ready ${loads.map((l) => ms(l.ready_ms)).join(', ')} ms`);
      pages.push({ target, loads });
    }
    console.log(`\n${consoleReport(pages)}\n`);
    for (const b of bundles) console.log(b);
    if (out) {
      writeSection(out, 'app', markdownReport(pages, bundles, options.runs, started));
      console.log(`\nwrote the app section of ${out}`);
    }
    return 0;
  } catch (err) {
    console.error(`bench app failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return guard.interrupted ? 130 : 1;
  } finally {
    await cleanup.runFrom(0);
    guard.dispose();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
