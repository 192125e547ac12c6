/**
 * The risk benchmark: `npm run bench:risk -- [--quick] [--events N] [--seconds S] [--out FILE]`.
 * On a scratch PostgreSQL database holding a simulated history (1,000,000 past events by
 * default), with the default rule set, the 20 default velocity features, a trained
 * scorecard and the graph features live: the engine's start (feature rebuild) and memory,
 * decisions in-process (RiskEngine.decide) and through HTTP (capillary serve), and a
 * baseline in the same run that reads every feature from SQL at decision time. Prints a
 * table; a full run writes its section of docs/benchmarks.md.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openPostgres } from '../src/db/postgres.js';
import type { Db } from '../src/db/port.js';
import { Ledger } from '../src/ledger/service.js';
import { DEFAULT_VELOCITY_FEATURES } from '../src/risk/defaults.js';
import { Risk } from '../src/risk/service.js';
import * as riskStore from '../src/risk/store.js';
import { systemClock } from '../src/server/clock.js';
import { AnatomyRecorder } from './ledger/anatomy.js';
import { Cleanup, cleanUpOnSignals } from './lib/cleanup.js';
import { otherLoad } from './lib/cpu.js';
import { createPgDatabase, openEngine, pgSettings, serverVersion } from './lib/database.js';
import { writeSection } from './lib/doc-section.js';
import { startRun } from './lib/options.js';
import { BENCHMARKS_DOC, machine, sourceState } from './lib/run-info.js';
import { fmtInt, fmtMs } from './lib/stats.js';
import { BaselineDecider, baselineQueries, compareFeatures, createBaselineIndexes, dropBaselineIndexes, runBaseline, SqlFeatures, type Slot } from './risk/baseline.js';
import { closedLoop } from './risk/drive.js';
import { runHttp, startRiskServer } from './risk/http.js';
import { decisionAnatomy, engineLoop, measureStart, runEngine } from './risk/in-process.js';
import { collectGarbage, heapMib, processMemory } from './risk/memory.js';
import { NOTES } from './risk/notes.js';
import { parseOptions, USAGE, type RiskBenchOptions } from './risk/options.js';
import { consoleReport, cpuText, markdownReport, outcomesText } from './risk/report.js';
import type { PhaseResult, RunReport } from './risk/results.js';
import { prepare, type Prepared } from './risk/setup.js';
import { decisionBody } from './risk/simulation.js';

const runStarted = performance.now();
const log = (line: string) => console.log(line);
/** Progress lines carry the seconds since the run started. */
const progress = (line: string) => log(`[+${((performance.now() - runStarted) / 1000).toFixed(1)}s] ${line}`);

const BASELINE_POOL = 20;
const DAY_MS = 86_400_000;

interface Database {
  name: string;
  url: string;
  /** The benchmark's own connection (a pool of 20), unwrapped. */
  admin: Db;
  /** CHECKPOINT, so no measured run pays for the dirty pages of the one before. */
  settle: () => Promise<void>;
}

function phaseLine(r: PhaseResult): string {
  return `✓ ${r.label}: ${fmtInt(r.per_s)} decisions/s (${fmtInt(r.decisions)} in ${r.seconds.toFixed(2)} s), p50 ${fmtMs(r.p50_ms)} ms, p99 ${fmtMs(r.p99_ms)} ms; ${outcomesText(r.outcomes)}; CPU ${cpuText(r.cpu, r.key === 'http' ? 'loadgen' : 'bench')}`;
}

type EngineSide = Pick<RunReport, 'start' | 'anatomy' | 'check' | 'baseline_indexes' | 'log'> & {
  engine: PhaseResult;
  slot: Slot;
  /** Cleanup from here drops the baseline's indexes (and whatever the baseline adds after). */
  baseline_mark: number;
};

/** The baseline's indexes, then the engine's and the SQL's context of the same fresh events compared key by key. */
async function featureCheck(db: Database, risk: Risk, slot: Slot, prepared: Prepared, options: RiskBenchOptions, cleanup: Cleanup) {
  progress('baseline: creating the indexes it needs (expression indexes on the event JSON; dropped after its run)');
  const mark = cleanup.size;
  cleanup.push('drop the baseline indexes', () => dropBaselineIndexes(db.admin, DEFAULT_VELOCITY_FEATURES));
  const indexes = await createBaselineIndexes(db.admin, DEFAULT_VELOCITY_FEATURES);
  progress(`  ${indexes.names.length} indexes in ${indexes.seconds.toFixed(1)} s`);
  const checkEvents = prepared.fresh.take(options.sizes.check_events);
  const check = await compareFeatures(risk.engine, new SqlFeatures(db.admin, DEFAULT_VELOCITY_FEATURES), slot, checkEvents);
  prepared.fresh.giveBack(checkEvents);
  progress(
    `feature check on ${check.events} fresh events: ` +
      (check.mismatched_events === 0 ? `all ${check.keys} comparable context keys identical, engine vs SQL` : `${check.mismatched_events} events differ: ${check.examples.join('; ')}`) +
      `; same outcome on ${check.same_outcome}`,
  );
  return { indexes, check, mark };
}

/**
 * Setup, the engine's start and in-process run, a decision part by part, and the feature
 * check: everything that needs the in-process engine, which is unreachable once this returns
 * (so neither the baseline's nor the load generator's garbage collections walk its heap).
 */
async function engineSide(db: Database, options: RiskBenchOptions, cleanup: Cleanup): Promise<{ prepared: Prepared; side: EngineSide }> {
  const { sizes } = options;
  const recorder = new AnatomyRecorder();
  const wrapped = recorder.wrap(db.admin);
  const risk = new Risk(wrapped, systemClock, new Ledger(wrapped, systemClock));
  const prepared = await prepare(risk, db.admin, db, options, cleanup, progress);
  await db.settle();

  progress(`▶ engine start in this process: RiskEngine.start() rebuilds the features from the ${fmtInt(sizes.events)} stored events`);
  let shown = 0;
  const start = await measureStart(risk.engine, db.name, (events, seconds) => {
    if (events === shown || (events - shown < (options.quick ? 10_000 : 100_000) && events < sizes.events)) return;
    shown = events;
    progress(`  rebuild: ${fmtInt(events)} events in ${seconds.toFixed(1)} s (${fmtInt(events / seconds)} events/s), RSS ${fmtInt(processMemory()?.rss_mib ?? 0)} MiB`);
  });
  if (start.events !== sizes.events) throw new Error(`the engine rebuilt from ${start.events} events, expected the ${sizes.events} stored (the 30-day window missed some)`);
  progress(`✓ engine started in ${start.seconds.toFixed(1)} s; RSS ${fmtInt(start.rss_before_mib)} → ${fmtInt(start.rss_after_mib)} MiB, JS heap ${fmtInt(start.heap_before_mib)} → ${fmtInt(start.heap_after_mib)} MiB`);

  const live = risk.engine.deployed.live;
  if (!live.rule_set || !live.compiled || !live.model) throw new Error('the live deployment lacks its rule set or model');
  const slot: Slot = { rule_set: { id: live.rule_set.id, version: live.rule_set.version, attributes: live.rule_set.body.attributes }, deployed: { compiled: live.compiled, model: live.model } };

  progress(`▶ engine warm-up: ${fmtInt(sizes.warmup)} decisions`);
  await engineLoop(risk.engine, prepared.fresh.take(sizes.warmup), sizes.in_flight, Number.POSITIVE_INFINITY);
  await risk.engine.stop();
  const measured = prepared.fresh.take(sizes.decisions);
  progress(`▶ in-process: up to ${fmtInt(measured.length)} decisions or ${sizes.seconds} s, ${sizes.in_flight} in flight`);
  const engine = await runEngine(risk.engine, measured, { in_flight: sizes.in_flight, seconds: sizes.seconds, pg_database: db.name, settle: db.settle }, (on) => (recorder.recording = on));
  prepared.fresh.giveBack(engine.unused);
  progress(phaseLine(engine.result));

  const anatomyEvents = prepared.fresh.take(sizes.anatomy_events);
  const anatomy = await decisionAnatomy(risk.engine, anatomyEvents);
  prepared.fresh.giveBack(anatomyEvents);
  progress(`one decision part by part (${anatomy.events} events): ${anatomy.parts.map((p) => `${p.label} ${p.us.toFixed(1)} µs`).join('; ')}`);

  const { indexes, check, mark } = await featureCheck(db, risk, slot, prepared, options, cleanup);
  return {
    prepared,
    side: { start, anatomy, check, baseline_indexes: indexes, log: { ...recorder.result(), decisions: engine.result.decisions }, engine: engine.result, slot, baseline_mark: mark },
  };
}

/** The baseline's run on the same database, rules and model; its indexes (made by featureCheck) are dropped after it. */
async function baselineSide(db: Database, slot: Slot, prepared: Prepared, options: RiskBenchOptions, cleanup: Cleanup): Promise<PhaseResult> {
  const { sizes } = options;
  const pool = openPostgres({ connectionString: db.url, pool_size_max: BASELINE_POOL });
  cleanup.push('close the baseline pool', () => pool.close());
  const decider = new BaselineDecider(pool, slot, DEFAULT_VELOCITY_FEATURES);
  progress(`▶ baseline warm-up: ${fmtInt(sizes.baseline_warmup)} decisions`);
  await closedLoop(prepared.fresh.take(sizes.baseline_warmup), sizes.in_flight, Number.POSITIVE_INFINITY, (e) => decider.decide(e));
  await db.settle();
  const queries = baselineQueries(DEFAULT_VELOCITY_FEATURES);
  progress(`▶ baseline: up to ${fmtInt(sizes.baseline_decisions)} decisions or ${sizes.seconds} s, ${queries} queries each`);
  const { result, unused } = await runBaseline(decider, prepared.fresh.take(sizes.baseline_decisions), { in_flight: sizes.in_flight, seconds: sizes.seconds, pg_database: db.name, queries });
  prepared.fresh.giveBack(unused);
  progress(phaseLine(result));
  return result;
}

async function httpSide(db: Database, prepared: Prepared, options: RiskBenchOptions, cleanup: Cleanup): Promise<{ result: PhaseResult; server: RunReport['server'] }> {
  const { sizes } = options;
  await db.settle();
  const events = await riskStore.countEvents(db.admin, new Date(Date.now() - 30 * DAY_MS), new Date(Date.now() + DAY_MS));
  progress(`▶ starting capillary serve (DATABASE_URL, LOG_LEVEL=warn): it listens at once and rebuilds its features from the ${fmtInt(events)} stored events in the background; its first decision waits for that`);
  const [probe] = prepared.fresh.take(1).map(decisionBody);
  const running = await startRiskServer(
    { engine: 'postgres', database_url: db.url },
    sizes.server_start_ms_max,
    probe!,
    (server) => cleanup.push('stop capillary serve', () => server.stop()),
    (seconds, rss) => progress(`  capillary serve starting (${seconds.toFixed(0)} s; the first decision waits for its feature rebuild), RSS ${rss === undefined ? '–' : fmtInt(rss)} MiB`),
  );
  progress(
    `✓ capillary serve (pid ${running.server.pid}) listening after ${running.listening_seconds.toFixed(1)} s, first decision answered after ${running.seconds.toFixed(1)} s; ` +
      `RSS ${fmtInt(running.rss_mib ?? Number.NaN)} MiB`,
  );
  const warmup = prepared.fresh.take(sizes.http_warmup).map(decisionBody);
  const measured = prepared.fresh.take(sizes.http_decisions).map(decisionBody);
  progress(`▶ HTTP: ${fmtInt(warmup.length)} warm-up, then ${fmtInt(measured.length)} measured POST /v1/risk/decisions, ${sizes.connections} connections`);
  const result = await runHttp(running, warmup, measured, { connections: sizes.connections, time_max_ms: sizes.http_time_max_ms, pg_database: db.name, settle: db.settle });
  progress(phaseLine(result));
  const after = running.server.pid === undefined ? undefined : processMemory(running.server.pid);
  return {
    result,
    server: { listening_seconds: running.listening_seconds, seconds: running.seconds, events, rss_mib: running.rss_mib, peak_rss_mib: after?.peak_mib ?? running.peak_rss_mib, rss_after_mib: after?.rss_mib },
  };
}

async function runBench(options: RiskBenchOptions, cleanup: Cleanup): Promise<Omit<RunReport, 'command' | 'started_at' | 'wall_s' | 'quick' | 'source' | 'background_load' | 'machine'>> {
  const scratch = await createPgDatabase();
  cleanup.push(`drop database ${scratch.name}`, () => scratch.drop());
  progress(`created database ${scratch.name}`);
  const admin = await openEngine('postgres', scratch.url, 20);
  cleanup.push('close the bench pool', () => admin.close());
  const db: Database = { name: scratch.name, url: scratch.url, admin, settle: async () => void (await admin.query('CHECKPOINT')) };
  const pg_version = await serverVersion(admin);
  const pg_settings = await pgSettings(admin);

  const { prepared, side } = await engineSide(db, options, cleanup);
  collectGarbage(); // the in-process engine is gone: the baseline and the load generator should not carry its heap
  progress(`in-process engine released: JS heap ${fmtInt(heapMib())} MiB, RSS ${fmtInt(processMemory()?.rss_mib ?? Number.NaN)} MiB`);
  const baseline = await baselineSide(db, side.slot, prepared, options, cleanup);
  await cleanup.runFrom(side.baseline_mark); // the baseline's pool, then its indexes: the server's writes never maintain them
  const http = await httpSide(db, prepared, options, cleanup);
  return {
    pg_version,
    pg_settings,
    sizes: options.sizes,
    plan: prepared.fresh.plan,
    history: prepared.history,
    model: prepared.model,
    deny_list: prepared.deny_list,
    server: http.server,
    start: side.start,
    anatomy: side.anatomy,
    check: side.check,
    baseline_indexes: side.baseline_indexes,
    log: side.log,
    results: [side.engine, baseline, http.result],
  };
}

export async function main(args: readonly string[], command = `npm run bench:risk${args.length ? ` -- ${args.join(' ')}` : ''}`): Promise<number> {
  const run = startRun('risk', args, parseOptions, USAGE, BENCHMARKS_DOC, resolve);
  if (typeof run === 'number') return run;
  const { options, out } = run;

  const started = performance.now();
  const startedAt = new Date();
  // The code measured is the code built just before this process started: read it now, not after a run others may edit through.
  const source = sourceState();
  const cleanup = new Cleanup();
  const signals = cleanUpOnSignals(cleanup, 'the history loader, capillary serve, pools, the bench database');
  try {
    const s = options.sizes;
    log(
      `risk benchmark${options.quick ? ' (--quick: tiny sizes, a smoke run)' : ''}: PostgreSQL; ${fmtInt(s.events)} past events; ` +
        `in-process up to ${fmtInt(s.decisions)} decisions, baseline up to ${fmtInt(s.baseline_decisions)} (each at most ${s.seconds} s, ${s.in_flight} in flight); ` +
        `HTTP ${fmtInt(s.http_decisions)} decisions, ${s.connections} connections`,
    );
    const background = await otherLoad(options.quick ? 250 : 2_000);
    if (background !== undefined) {
      log(`other processes on this machine use ${Math.round(background * 100)}% of a core right now` + (background > 0.2 ? ' — figures will be noisy' : ''));
    }
    const measured = await runBench(options, cleanup);
    const report: RunReport = {
      command,
      started_at: startedAt,
      wall_s: (performance.now() - started) / 1000,
      quick: options.quick,
      source,
      background_load: background,
      machine: machine(),
      ...measured,
    };
    log(consoleReport(report));
    if (out) {
      writeSection(out, 'risk', markdownReport(report, NOTES));
      log(`\nwrote the risk section of ${out}`);
    } else {
      log('\n(--quick: nothing written)');
    }
    log(`wall time ${report.wall_s.toFixed(1)} s`);
    return 0;
  } catch (err) {
    if (signals.interrupted) return 130;
    console.error(`\nbench risk FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    await cleanup.runFrom(0);
    signals.dispose();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
