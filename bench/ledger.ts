/**
 * The ledger benchmark: `npm run bench:ledger -- [--quick] [--engine …] [--transfers N] [--out FILE]`.
 * Measures the batched write path in-process and through HTTP, and two baselines in the
 * same run (a naive transaction-per-transfer ledger and a raw bulk-insert ceiling), on
 * PostgreSQL and on embedded PGlite; prints a table and writes its section of docs/benchmarks.md.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Cleanup, cleanUpOnSignals } from './lib/cleanup.js';
import { otherLoad } from './lib/cpu.js';
import { createPgDatabase, openEngine, pgSettings, serverVersion } from './lib/database.js';
import { writeSection } from './lib/doc-section.js';
import { BENCHMARKS_DOC, machine, sourceState } from './lib/run-info.js';
import { fmtInt } from './lib/stats.js';
import type { EngineContext } from './ledger/context.js';
import { runHttpBatch, runHttpSingle, startLedgerServer } from './ledger/http.js';
import { NOTES } from './ledger/notes.js';
import { parseOptions, USAGE, type EngineName, type LedgerBenchOptions } from './ledger/options.js';
import { startRun } from './lib/options.js';
import { consoleReport, markdownReport, type EngineReport, type RunReport } from './ledger/report.js';
import { sizesFor, type ScenarioResult } from './ledger/scenario.js';
import { runNaive, runRaw } from './ledger/baselines.js';
import { runWritePath, WRITE_PATH_SCENARIOS } from './ledger/write-path.js';

const DEFAULT_OUT = BENCHMARKS_DOC;

const runStarted = performance.now();
const log = (line: string) => console.log(line);
/** Progress lines carry the seconds since the run started. */
const progress = (engine: EngineName, line: string) => log(`[${engine} +${((performance.now() - runStarted) / 1000).toFixed(1)}s] ${line}`);

async function timed(engine: EngineName, label: string, size: string, run: () => Promise<ScenarioResult>): Promise<ScenarioResult> {
  progress(engine, `▶ ${label} (${size})`);
  const result = await run();
  const latency = result.latency ? `, p50 ${result.latency.p50_ms.toFixed(2)} ms, p99 ${result.latency.p99_ms.toFixed(2)} ms per ${result.latency.per}` : '';
  progress(engine, `✓ ${label}: ${fmtInt(result.transfers_per_s)} transfers/s (${fmtInt(result.transfers)} in ${result.seconds.toFixed(2)} s${latency})`);
  return result;
}

async function runEngine(engine: EngineName, options: LedgerBenchOptions, cleanup: Cleanup): Promise<EngineReport> {
  const mark = cleanup.size;
  try {
    const sizes = sizesFor(engine, options.quick, options.transfers);
    let pgUrl: string | undefined;
    let pgDatabase: string | undefined;
    if (engine === 'postgres') {
      const database = await createPgDatabase();
      cleanup.push(`drop database ${database.name}`, () => database.drop());
      pgUrl = database.url;
      pgDatabase = database.name;
      progress(engine, `created database ${database.name}`);
    } else {
      progress(engine, 'opening embedded PGlite in memory');
    }
    // The HTTP server process starts now, beside the benchmark's own connection, so the two
    // slow starts (PGlite initialises a fresh cluster in each process) overlap; it then sits
    // idle until the HTTP scenarios.
    progress(engine, 'starting the HTTP server in a child process');
    const [dbOpened, serverStarted] = await Promise.allSettled([openEngine(engine, pgUrl), startLedgerServer(engine, pgUrl)]);
    if (serverStarted.status === 'fulfilled') {
      const server = serverStarted.value;
      cleanup.push('stop the HTTP server', () => server.stop());
    }
    if (dbOpened.status === 'fulfilled') {
      const opened = dbOpened.value;
      cleanup.push(`close ${engine}`, () => opened.close());
    }
    if (dbOpened.status === 'rejected') throw dbOpened.reason;
    if (serverStarted.status === 'rejected') throw serverStarted.reason;
    const db = dbOpened.value;
    const server = serverStarted.value;
    const version = await serverVersion(db);
    const settings = engine === 'postgres' ? await pgSettings(db) : {};
    const ctx: EngineContext = { engine, db, pg_url: pgUrl, pg_database: pgDatabase, sizes, quick: options.quick, seed: 0x5eed };
    const results: ScenarioResult[] = [];
    const n = (count: number, unit = 'transfers') => `${fmtInt(count)} ${unit}`;

    for (const spec of WRITE_PATH_SCENARIOS) results.push(await timed(engine, spec.label, n(sizes.write_path), () => runWritePath(ctx, spec)));
    results.push(await timed(engine, 'baseline (b) raw ceiling', n(sizes.raw), () => runRaw(ctx)));
    results.push(await timed(engine, 'baseline (a) naive · uniform', n(sizes.naive), () => runNaive(ctx, 'uniform')));
    results.push(await timed(engine, 'baseline (a) naive · 50% hot account', n(sizes.naive), () => runNaive(ctx, 'hot')));

    results.push(await timed(engine, 'HTTP batch', n(sizes.http_batch), () => runHttpBatch(ctx, server)));
    results.push(await timed(engine, 'HTTP single', n(sizes.http_single_requests, 'requests'), () => runHttpSingle(ctx, server)));

    const title = engine === 'postgres' ? `PostgreSQL ${version.match(/PostgreSQL ([\d.]+)/)?.[1] ?? ''} (127.0.0.1:5432)` : 'PGlite (embedded, in memory)';
    return { engine, title, version, settings, results };
  } finally {
    await cleanup.runFrom(mark);
  }
}

export async function main(args: readonly string[], command = `npm run bench:ledger${args.length ? ` -- ${args.join(' ')}` : ''}`): Promise<number> {
  const run = startRun('ledger', args, parseOptions, USAGE, DEFAULT_OUT, resolve);
  if (typeof run === 'number') return run;
  const { options, out } = run;

  const started = performance.now();
  const startedAt = new Date();
  // The code measured is the code built just before this process started: read it now, not after a run others may edit through.
  const source = sourceState();
  const cleanup = new Cleanup();
  const signals = cleanUpOnSignals(cleanup, 'servers, pools, the bench database');
  try {
    log(`ledger benchmark${options.quick ? ' (--quick: tiny sizes, a smoke run)' : ''}: ${options.engines.join(', ')}`);
    const background = await otherLoad(options.quick ? 250 : 2_000);
    if (background !== undefined) {
      log(`other processes on this machine use ${Math.round(background * 100)}% of a core right now` + (background > 0.2 ? ' — figures will be noisy' : ''));
    }
    const engines: EngineReport[] = [];
    for (const engine of options.engines) engines.push(await runEngine(engine, options, cleanup));
    const report: RunReport = { command, started_at: startedAt, wall_s: (performance.now() - started) / 1000, quick: options.quick, machine: machine(), source, background_load: background, engines };
    log(consoleReport(report));
    if (out) {
      writeSection(out, 'ledger', markdownReport(report, NOTES));
      log(`\nwrote the ledger section of ${out}`);
    } else {
      log('\n(--quick: nothing written)');
    }
    log(`wall time ${report.wall_s.toFixed(1)} s`);
    return 0;
  } catch (err) {
    if (signals.interrupted) return 130;
    console.error(`\nbench ledger FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return 1;
  } finally {
    await cleanup.runFrom(0);
    signals.dispose();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
