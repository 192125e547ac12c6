/**
 * The red-envelope benchmark: `npm run bench:envelopes -- [--quick] [--engine …] [--connections …]`.
 * Through HTTP, on PostgreSQL (a scratch database per run) and on embedded PGlite (a
 * temporary DATA_DIR): the real server (`capillary serve`) and a naive
 * transaction-per-grab baseline server, each in its own process, driven by the same
 * load generator in this process. Scenario "hot": every user grabs one envelope;
 * "many": the users spread over many envelopes at once. After every run, an oversell
 * check. Prints a table; a full run writes its section of docs/benchmarks.md.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { uuidv7 } from '../src/db/uuid.js';
import { openPostgres } from '../src/db/postgres.js';
import type { Db } from '../src/db/port.js';
import { Cleanup, cleanUpOnSignals } from './lib/cleanup.js';
import { otherLoad } from './lib/cpu.js';
import { createPgDatabase, createTempDir } from './lib/database.js';
import { writeSection } from './lib/doc-section.js';
import type { ServerStorage } from './lib/capillary-server.js';
import { startRun, type EngineName } from './lib/options.js';
import { BENCHMARKS_DOC, machine, sourceState } from './lib/run-info.js';
import { fmtInt, fmtMs } from './lib/stats.js';
import { CapillarySystem } from './envelopes/capillary.js';
import { NaiveSystem } from './envelopes/naive-system.js';
import { NOTES, NAIVE_POOL_SIZE } from './envelopes/notes.js';
import { parseOptions, USAGE, type EnvelopeBenchOptions } from './envelopes/options.js';
import { consoleReport, cpuText, markdownReport, type EngineReport, type RunReport } from './envelopes/report.js';
import { measure, scenarioLabel, SHARE_MEAN_MINOR, warmUp, type RunContext, type RunResult, type ScenarioKey, type Sizes } from './envelopes/scenario.js';
import type { GrabSystem } from './envelopes/system.js';

const runStarted = performance.now();
const log = (line: string) => console.log(line);
/** Progress lines carry the seconds since the run started. */
const progress = (engine: EngineName, line: string) => log(`[${engine} +${((performance.now() - runStarted) / 1000).toFixed(1)}s] ${line}`);

/** What the sender must hold for every envelope of the run: the warm-up's and each measured run's. */
function fundingFor(sizes: Sizes, scenarios: readonly ScenarioKey[]): bigint {
  const perLevel = scenarios.length * sizes.shares;
  return BigInt(sizes.warmup_users + perLevel * sizes.connections.length) * SHARE_MEAN_MINOR;
}

async function timedRun(ctx: RunContext, system: GrabSystem, scenario: ScenarioKey, connections: number): Promise<RunResult> {
  const name = system.kind === 'capillary' ? 'Capillary' : 'naive';
  const label = `${scenarioLabel(scenario, ctx.sizes)} · ${name} · ${connections} connections`;
  progress(ctx.engine, `▶ ${label}: ${fmtInt(ctx.sizes.users)} users`);
  const r = await measure(ctx, system, scenario, connections);
  const writer = r.writer ? `; writer ${fmtInt(r.writer.batches)} batches, mean ${fmtInt(r.writer.mean_transfers)} grabs` : '';
  progress(
    ctx.engine,
    `✓ ${label}: ${fmtInt(r.grabs_per_s)} grabs/s (${fmtInt(r.grabs)} in ${r.seconds.toFixed(2)} s, ${fmtInt(r.ok)} ok, ${fmtInt(r.empty)} envelope_empty), ` +
      `p50 ${fmtMs(r.p50_ms)} ms, p99 ${fmtMs(r.p99_ms)} ms${writer}; CPU ${cpuText(r.cpu)}`,
  );
  progress(ctx.engine, `  ${r.check.summary}`);
  return r;
}

async function runEngine(engine: EngineName, options: EnvelopeBenchOptions, cleanup: Cleanup): Promise<EngineReport> {
  const mark = cleanup.size;
  const { sizes } = options;
  try {
    let storage: ServerStorage;
    let naiveWhere: string;
    let pgDatabase: string | undefined;
    let admin: Db | undefined;
    if (engine === 'postgres') {
      const database = await createPgDatabase();
      cleanup.push(`drop database ${database.name}`, () => database.drop());
      progress(engine, `created database ${database.name}`);
      storage = { engine, database_url: database.url };
      naiveWhere = database.url;
      pgDatabase = database.name;
      const db = openPostgres({ connectionString: database.url, pool_size_max: 1 });
      cleanup.push('close the admin connection', () => db.close());
      admin = db;
    } else {
      const capillaryDir = await createTempDir('capillary-bench-envelopes');
      cleanup.push(`remove ${capillaryDir.path}`, () => capillaryDir.remove());
      const naiveDir = await createTempDir('capillary-bench-naive');
      cleanup.push(`remove ${naiveDir.path}`, () => naiveDir.remove());
      storage = { engine, data_dir: capillaryDir.path };
      naiveWhere = naiveDir.path;
      progress(engine, `PGlite data folders ${capillaryDir.path} (Capillary) and ${naiveDir.path} (naive)`);
    }

    progress(engine, 'starting `capillary serve` (API keys made with `capillary keys create`) and the naive server, each in its own process');
    const [capillaryStarted, naiveStarted] = await Promise.allSettled([
      CapillarySystem.start(storage, (server) => cleanup.push('stop capillary serve', () => server.stop())),
      NaiveSystem.start(engine, naiveWhere, NAIVE_POOL_SIZE),
    ]);
    if (naiveStarted.status === 'fulfilled') {
      const naive = naiveStarted.value;
      cleanup.push('stop the naive server', () => naive.stop());
    }
    if (capillaryStarted.status === 'rejected') throw capillaryStarted.reason;
    if (naiveStarted.status === 'rejected') throw naiveStarted.reason;
    const capillary = capillaryStarted.value;
    const naive = naiveStarted.value;
    const info = await naive.engineInfo();
    progress(engine, `serving: Capillary ${capillary.url} (pid ${capillary.pid}), naive ${naive.url} (pid ${naive.pid}); ${info.version.split(' on ')[0]}`);

    const accounts = Array.from({ length: sizes.users }, () => uuidv7());
    const funding = fundingFor(sizes, options.scenarios);
    progress(engine, `creating ${fmtInt(accounts.length)} recipient accounts, a bank and a funded sender in each system`);
    await Promise.all([capillary.setup(accounts, funding), naive.setup(accounts, funding)]);
    if (admin) await admin.query('ANALYZE');
    const settle = async () => {
      if (admin) await admin.query('CHECKPOINT');
    };
    const ctx: RunContext = { engine, sizes, accounts, pg_database: pgDatabase, settle };

    for (const system of [capillary, naive] as GrabSystem[]) {
      progress(engine, `warming up ${system.kind}: ${fmtInt(sizes.warmup_users)} grabs on a warm-up envelope`);
      const check = await warmUp(ctx, system);
      progress(engine, `  warm-up ${check.summary}`);
    }

    const results: RunResult[] = [];
    for (const connections of sizes.connections) {
      for (const scenario of options.scenarios) {
        for (const system of [capillary, naive] as GrabSystem[]) results.push(await timedRun(ctx, system, scenario, connections));
      }
    }

    const version = info.version;
    const title = engine === 'postgres' ? `PostgreSQL ${version.match(/PostgreSQL ([\d.]+)/)?.[1] ?? ''} (127.0.0.1:5432)` : 'PGlite (embedded, file-backed DATA_DIR)';
    const setup =
      engine === 'postgres'
        ? `Capillary: \`capillary serve\` with DATABASE_URL on a scratch database (its default pool of 20). Naive: its own process, a pg pool of ${NAIVE_POOL_SIZE} on the same database (bench-only naive_* tables).`
        : `Capillary: \`capillary serve\` with DATA_DIR in a fresh temporary folder (PGlite in the server's process). Naive: its own process with its own file-backed PGlite in another temporary folder.`;
    return { engine, title, version, settings: info.settings, setup, results };
  } finally {
    await cleanup.runFrom(mark);
  }
}

export async function main(args: readonly string[], command = `npm run bench:envelopes${args.length ? ` -- ${args.join(' ')}` : ''}`): Promise<number> {
  const run = startRun('envelopes', args, parseOptions, USAGE, BENCHMARKS_DOC, resolve);
  if (typeof run === 'number') return run;
  const { options, out } = run;

  const started = performance.now();
  const startedAt = new Date();
  // The code measured is the code built just before this process started: read it now, not after a run others may edit through.
  const source = sourceState();
  const cleanup = new Cleanup();
  const signals = cleanUpOnSignals(cleanup, 'server processes, the bench database, temporary data folders');
  try {
    const s = options.sizes;
    log(
      `red-envelope benchmark${options.quick ? ' (--quick: tiny sizes, a smoke run)' : ''}: ${options.engines.join(', ')}; ` +
        `${fmtInt(s.users)} users and ${fmtInt(s.shares)} shares per run, connections ${s.connections.join(', ')}`,
    );
    const background = await otherLoad(options.quick ? 250 : 2_000);
    if (background !== undefined) {
      log(`other processes on this machine use ${Math.round(background * 100)}% of a core right now` + (background > 0.2 ? ' — figures will be noisy' : ''));
    }
    const engines: EngineReport[] = [];
    for (const engine of options.engines) engines.push(await runEngine(engine, options, cleanup));
    const report: RunReport = {
      command,
      started_at: startedAt,
      wall_s: (performance.now() - started) / 1000,
      quick: options.quick,
      sizes: options.sizes,
      source,
      background_load: background,
      machine: machine(),
      engines,
    };
    log(consoleReport(report));
    const oversold = engines.flatMap((e) => e.results).reduce((n, r) => n + r.check.oversell, 0);
    log(`\noversell: ${oversold} (checked after each of ${engines.reduce((n, e) => n + e.results.length, 0)} runs)`);
    if (out) {
      writeSection(out, 'envelopes', markdownReport(report, NOTES));
      log(`wrote the envelopes section of ${out}`);
    } else {
      log('(--quick: nothing written)');
    }
    log(`wall time ${report.wall_s.toFixed(1)} s`);
    return 0;
  } catch (err) {
    if (signals.interrupted) return 130;
    console.error(`\nbench envelopes FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return 1;
  } finally {
    await cleanup.runFrom(0);
    signals.dispose();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
