/**
 * The ledger benchmark: `npm run bench:ledger -- [--quick] [--engine …] [--transfers N] [--out FILE]`.
 * Measures the batched write path in-process and through HTTP, and two baselines in the
 * same run (a naive transaction-per-transfer ledger and a raw bulk-insert ceiling), on
 * PostgreSQL and on embedded PGlite; prints a table and writes docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { otherLoad } from './lib/cpu.js';
import { fmtInt } from './lib/stats.js';
import type { EngineContext } from './ledger/context.js';
import { createPgDatabase, openEngine, packageVersion, pgSettings, serverVersion } from './ledger/database.js';
import { runHttpBatch, runHttpSingle, ServerProcess } from './ledger/http.js';
import { NOTES } from './ledger/notes.js';
import { parseOptions, USAGE, UsageError, type EngineName, type LedgerBenchOptions } from './ledger/options.js';
import { consoleReport, markdownReport, type EngineReport, type RunReport } from './ledger/report.js';
import { sizesFor, type ScenarioResult } from './ledger/scenario.js';
import { runNaive, runRaw } from './ledger/baselines.js';
import { runWritePath, WRITE_PATH_SCENARIOS } from './ledger/write-path.js';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_OUT = resolve(PROJECT_ROOT, 'docs', 'benchmarks.md');

/** Things to undo, last first: servers, pools, databases. Runs on success, failure and Ctrl-C. */
class Cleanup {
  private readonly steps: Array<{ what: string; fn: () => Promise<void> }> = [];
  push(what: string, fn: () => Promise<void>): number {
    return this.steps.push({ what, fn }) - 1;
  }
  /** Runs (and forgets) every step pushed at or after `mark`. */
  async runFrom(mark = 0): Promise<void> {
    while (this.steps.length > mark) {
      const step = this.steps.pop()!;
      try {
        await step.fn();
      } catch (err) {
        console.error(`cleanup: ${step.what} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  get size(): number {
    return this.steps.length;
  }
}

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
    const [dbOpened, serverStarted] = await Promise.allSettled([openEngine(engine, pgUrl), ServerProcess.start(engine, pgUrl)]);
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

/** Which code was measured: the commit, and whether src/ had uncommitted changes. */
function sourceState(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const changed = git('diff', '--name-only', 'HEAD', '--', 'src').split('\n').filter(Boolean);
    if (changed.length === 0) return `git ${commit}`;
    const diffId = createHash('sha1').update(git('diff', 'HEAD', '--', 'src')).digest('hex').slice(0, 10);
    return `git ${commit} plus uncommitted changes (diff sha1 ${diffId}) to ${changed.map((f) => `\`${f}\``).join(', ')}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function machine(): RunReport['machine'] {
  return {
    cpus: os.availableParallelism(),
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    memory_gib: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    pglite: packageVersion('@electric-sql/pglite'),
    autocannon: packageVersion('autocannon'),
    pg_client: packageVersion('pg'),
  };
}

export async function main(args: readonly string[], command = `npm run bench:ledger${args.length ? ` -- ${args.join(' ')}` : ''}`): Promise<number> {
  let options: LedgerBenchOptions;
  try {
    options = parseOptions(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`bench ledger: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const out = options.out !== undefined ? resolve(options.out) : options.quick ? undefined : DEFAULT_OUT;
  if (options.quick && out === DEFAULT_OUT) {
    console.error('bench ledger: --quick figures are smoke-test sizes and never go to docs/benchmarks.md; pick another --out');
    return 2;
  }

  const started = performance.now();
  const startedAt = new Date();
  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    console.error(`\n${signal}: cleaning up (servers, pools, the bench database)…`);
    void cleanup.runFrom(0).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log(`ledger benchmark${options.quick ? ' (--quick: tiny sizes, a smoke run)' : ''}: ${options.engines.join(', ')}`);
    const background = await otherLoad(options.quick ? 250 : 2_000);
    if (background !== undefined) {
      log(`other processes on this machine use ${Math.round(background * 100)}% of a core right now` + (background > 0.2 ? ' — figures will be noisy' : ''));
    }
    const engines: EngineReport[] = [];
    for (const engine of options.engines) engines.push(await runEngine(engine, options, cleanup));
    const report: RunReport = { command, started_at: startedAt, wall_s: (performance.now() - started) / 1000, quick: options.quick, machine: machine(), source: sourceState(), background_load: background, engines };
    log(consoleReport(report));
    if (out) {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, markdownReport(report, NOTES));
      log(`\nwrote ${out}`);
    } else {
      log('\n(--quick: nothing written)');
    }
    log(`wall time ${report.wall_s.toFixed(1)} s`);
    return 0;
  } catch (err) {
    if (interrupted) return 130;
    console.error(`\nbench ledger FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return 1;
  } finally {
    await cleanup.runFrom(0);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
