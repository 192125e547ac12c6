/**
 * The open-banking API benchmark: `npm run bench:api -- [--quick] [--engine …] [--connections …] [--duration …]`.
 * What the open-banking layer (access token, consent, rate limit, idempotency, payment rows)
 * costs on top of the same ledger call made with a plain API key: the real server
 * (`capillary serve`) in a child process on a scratch PostgreSQL database (or PGlite), set up
 * through HTTP only, including the customer's consents authorised through the real OAuth
 * flow; each workload driven by autocannon through both paths at the same connections, in
 * the same run. After every run that moves money, a money check. Prints a table; a full run
 * writes its section of docs/benchmarks.md.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openPostgres } from '../src/db/postgres.js';
import type { Db } from '../src/db/port.js';
import { Cleanup, cleanUpOnSignals } from './lib/cleanup.js';
import { otherLoad } from './lib/cpu.js';
import { createPgDatabase, createTempDir, serverVersion } from './lib/database.js';
import { writeSection } from './lib/doc-section.js';
import type { ServerStorage } from './lib/capillary-server.js';
import { startRun, type EngineName } from './lib/options.js';
import { BENCHMARKS_DOC, machine, sourceState } from './lib/run-info.js';
import { fmtInt, fmtMs } from './lib/stats.js';
import { backgroundText, watchOthers } from './api/background.js';
import { measure, type RunContext, type RunResult } from './api/measure.js';
import { ANALYSIS, NOTES } from './api/notes.js';
import { parseOptions, USAGE, type ApiBenchOptions } from './api/options.js';
import { comparisons, consoleReport, cpuText, markdownReport, type EngineReport, type RunReport } from './api/report.js';
import { ApiSystem } from './api/setup.js';
import { PATH_NAMES, pathsFor, WORKLOAD_NAMES, type PathKind, type WorkloadPath } from './api/workloads.js';

const runStarted = performance.now();
const log = (line: string) => console.log(line);
/** Progress lines carry the seconds since the run started. */
const progress = (engine: EngineName, line: string) => log(`[${engine} +${((performance.now() - runStarted) / 1000).toFixed(1)}s] ${line}`);

/** ABBA: round 1 plain then open banking, round 2 the other way round, and so on. */
const orderOf = (round: number): PathKind[] => (round % 2 === 1 ? ['plain', 'ob'] : ['ob', 'plain']);

function describe(r: RunResult): string {
  const odd = r.unexpected + r.errors + r.timeouts > 0 ? `; ${r.unexpected} non-2xx ${JSON.stringify(r.status)}, ${r.errors} errors, ${r.timeouts} timeouts` : '';
  const cut = r.cut_off > 0 ? `; ${r.cut_off} cut off${r.money_check ? ` (${r.cut_off_moved} moved)` : ''}` : '';
  return `${fmtInt(r.per_s)} req/s (${fmtInt(r.responses)} in ${r.seconds.toFixed(2)} s), p50 ${fmtMs(r.p50_ms)} ms, p99 ${fmtMs(r.p99_ms)} ms${odd}${cut}; CPU ${cpuText(r.cpu)}`;
}

async function timedRun(engine: EngineName, ctx: RunContext, path: WorkloadPath, connections: number, duration_s: number, round: number): Promise<RunResult> {
  const label = `${WORKLOAD_NAMES[path.workload]} · ${PATH_NAMES[path.kind]} · ${connections} connections · ${round === 0 ? 'warm-up' : `round ${round}`}`;
  progress(engine, `▶ ${label}: ${path.route} for ${duration_s} s`);
  const r = await measure(ctx, path, connections, duration_s, round);
  progress(engine, `✓ ${label}: ${describe(r)}`);
  if (r.money_check) progress(engine, `  ${r.money_check}`);
  if (r.background) progress(engine, `  meanwhile on the machine: ${backgroundText(r.background)}`);
  if (r.unexpected + r.errors + r.timeouts > 0) {
    throw new Error(`${label}: ${r.unexpected} unexpected answers, ${r.errors} errors, ${r.timeouts} timeouts; first answers: ${r.samples.join(' | ')}`);
  }
  return r;
}

/** How long to wait for the outbox relay to catch up before a measured run. */
const RELAY_WAIT_MS_MAX = 180_000;

/**
 * Waits until the server's webhook relay has passed every outbox event (its cursor at the
 * outbox's last seq), so no run shares the machine with the relay catching up on the runs
 * before it (a fast run leaves more events behind than a slow one). Read with the bench's
 * admin connection: nothing in the API shows the relay's position.
 */
async function relayCaughtUp(engine: EngineName, admin: Db): Promise<void> {
  const started = performance.now();
  let first: bigint | undefined;
  for (;;) {
    const { rows } = await admin.query<{ lag: string }>(
      `SELECT ((SELECT coalesce(max(seq), 0) FROM outbox) - coalesce((SELECT last_seq FROM outbox_cursors WHERE consumer = 'webhooks'), 0))::text AS lag`,
    );
    const lag = BigInt(rows[0]?.lag ?? '0');
    first ??= lag;
    if (lag <= 0n) break;
    if (performance.now() - started > RELAY_WAIT_MS_MAX) {
      progress(engine, `  the outbox relay is still ${lag} events behind after ${RELAY_WAIT_MS_MAX / 1000} s; measuring anyway`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (first > 0n) progress(engine, `  the outbox relay caught up with ${first} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function runEngine(engine: EngineName, options: ApiBenchOptions, cleanup: Cleanup): Promise<EngineReport> {
  const mark = cleanup.size;
  const { sizes } = options;
  try {
    let storage: ServerStorage;
    let pgDatabase: string | undefined;
    let admin: Db | undefined;
    if (engine === 'postgres') {
      const database = await createPgDatabase();
      cleanup.push(`drop database ${database.name}`, () => database.drop());
      progress(engine, `created database ${database.name}`);
      storage = { engine, database_url: database.url };
      pgDatabase = database.name;
      const db = openPostgres({ connectionString: database.url, pool_size_max: 1 });
      cleanup.push('close the admin connection', () => db.close());
      admin = db;
    } else {
      const dir = await createTempDir('capillary-bench-api');
      cleanup.push(`remove ${dir.path}`, () => dir.remove());
      storage = { engine, data_dir: dir.path };
      progress(engine, `PGlite data folder ${dir.path}`);
    }

    progress(engine, 'admin key with `capillary keys create`, then `capillary serve` (rate limits set high, still on)');
    const crowd = options.workloads.includes('pay-many') ? sizes.customers : 0;
    const system = await ApiSystem.start(storage, crowd, (server) => cleanup.push('stop capillary serve', () => server.stop()), (line) => progress(engine, line));
    progress(engine, `set up: customer ${system.ids.customer_id} (account ${system.ids.customer_account})${crowd > 0 ? ` and ${crowd} more` : ''}, merchant account ${system.ids.merchant_account}; tokens issued`);
    const version = admin ? await serverVersion(admin) : 'PGlite';
    if (admin) await admin.query('ANALYZE');
    const ctx: RunContext = {
      system,
      pg_database: pgDatabase,
      settle: async () => {
        if (!admin) return;
        await relayCaughtUp(engine, admin);
        // Autovacuum would otherwise land on whichever run follows a big one (the tables grow by 10⁵ rows a run).
        await admin.query('VACUUM (ANALYZE)');
        await admin.query('CHECKPOINT');
      },
    };

    const checks: string[] = [];
    const runs: RunResult[] = [];
    for (const workload of options.workloads) {
      const paths = pathsFor(workload, system.fixture);
      for (const connections of sizes.connections) {
        if (sizes.warmup_s > 0) {
          for (const kind of ['plain', 'ob'] as const) {
            const r = await timedRun(engine, ctx, paths[kind], connections, sizes.warmup_s, 0);
            if (r.money_check) checks.push(`warm-up, ${PATH_NAMES[kind]}, ${connections} connections: ${r.money_check}`);
          }
        }
        for (let round = 1; round <= sizes.rounds; round++) {
          for (const kind of orderOf(round)) {
            const r = await timedRun(engine, ctx, paths[kind], connections, sizes.duration_s, round);
            if (r.money_check) checks.push(`${PATH_NAMES[kind]}, ${connections} connections, round ${round}: ${r.money_check}`);
            runs.push(r);
          }
        }
        for (const c of comparisons(runs).filter((c) => c.workload === workload && c.connections === connections)) {
          progress(engine, `= ${WORKLOAD_NAMES[workload]}, ${connections} connections: open banking ${fmtInt(c.ob.per_s)} req/s, plain ${fmtInt(c.plain.per_s)} req/s, overhead ${(c.overhead * 100).toFixed(1)}%`);
        }
      }
    }

    const invariants = await system.invariants();
    progress(engine, invariants.detail);
    if (!invariants.ok) throw new Error(`ledger invariants do not hold: ${invariants.detail}`);
    checks.push(invariants.detail);

    const title = engine === 'postgres' ? `PostgreSQL ${version.match(/PostgreSQL ([\d.]+)/)?.[1] ?? ''} (127.0.0.1:5432)` : 'PGlite (embedded, file-backed DATA_DIR)';
    const setup =
      engine === 'postgres'
        ? `\`capillary serve\` with DATABASE_URL on a scratch database (its default pool of 20); ${version.split(' on ')[0]}.`
        : '`capillary serve` with DATA_DIR in a fresh temporary folder (PGlite in the server\'s process).';
    return { engine, title, setup, runs, checks };
  } finally {
    await cleanup.runFrom(mark);
  }
}

export async function main(args: readonly string[], command = `npm run bench:api${args.length ? ` -- ${args.join(' ')}` : ''}`): Promise<number> {
  const run = startRun('api', args, parseOptions, USAGE, BENCHMARKS_DOC, resolve);
  if (typeof run === 'number') return run;
  const { options, out } = run;

  const started = performance.now();
  const startedAt = new Date();
  // The code measured is the code built just before this process started: read it now, not after a run others may edit through.
  const source = sourceState();
  const cleanup = new Cleanup();
  const signals = cleanUpOnSignals(cleanup, 'the server process, the bench database, temporary data folders');
  try {
    const s = options.sizes;
    log(
      `open-banking API benchmark${options.quick ? ' (--quick: a smoke run)' : ''}: ${options.engines.join(', ')}; workloads ${options.workloads.join(', ')}` +
        `${options.workloads.includes('pay-many') ? ` (pay-many: ${s.customers} customers)` : ''}; ` +
        `connections ${s.connections.join(', ')}; ${s.rounds} × ${s.duration_s} s per path and level after ${s.warmup_s} s of warm-up`,
    );
    const watch = watchOthers();
    const background = await otherLoad(options.quick ? 250 : 2_000);
    const seen = watch();
    const busiest = seen ? backgroundText(seen) : undefined;
    if (background !== undefined) {
      log(`other processes on this machine use ${Math.round(background * 100)}% of a core right now${busiest ? ` (${busiest})` : ''}` + (background > 0.2 ? ' — figures will be noisy' : ''));
    }
    const engines: EngineReport[] = [];
    for (const engine of options.engines) engines.push(await runEngine(engine, options, cleanup));
    const report: RunReport = {
      command,
      started_at: startedAt,
      wall_s: (performance.now() - started) / 1000,
      quick: options.quick,
      sizes: options.sizes,
      workloads: options.workloads,
      source,
      background_load: background,
      background_processes: busiest,
      machine: machine(),
      engines,
    };
    log(consoleReport(report));
    if (out) {
      writeSection(out, 'api', markdownReport(report, NOTES, ANALYSIS));
      log(`wrote the api section of ${out}`);
    } else {
      log('(--quick: nothing written)');
    }
    log(`wall time ${report.wall_s.toFixed(1)} s`);
    return 0;
  } catch (err) {
    if (signals.interrupted) return 130;
    console.error(`\nbench api FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return 1;
  } finally {
    await cleanup.runFrom(0);
    signals.dispose();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
