/**
 * The two scenarios and their sizes, and one measured run: create the envelopes, let
 * `users` distinct customers grab through HTTP as fast as the connections allow, then
 * check that nothing was oversold.
 */
import { uuidv7 } from '../../src/db/uuid.js';
import type { CpuShares } from '../lib/cpu.js';
import { startCpuMeter } from '../lib/cpu.js';
import { runLoad } from '../lib/load.js';
import { writerBatches, type WriterBatches } from '../lib/metrics.js';
import type { EngineName } from '../lib/options.js';
import { latencySummary } from '../lib/stats.js';
import type { CreatedEnvelope, EnvelopeSpec, GrabSystem, SystemKind } from './system.js';
import { checkOversell, newTally, recordAnswer, type OversellCheck } from './verify.js';

export type ScenarioKey = 'hot' | 'many';
export const SCENARIO_KEYS: readonly ScenarioKey[] = ['hot', 'many'];

/** Mean share: 8.88 CNY (888 minor units), a lucky number. */
export const SHARE_MEAN_MINOR = 888n;

export interface Sizes {
  /** Distinct customers per run, each with their own account; each grabs once. */
  users: number;
  /** Shares per run: the hot envelope's; split evenly over the envelopes of `many`. */
  shares: number;
  /** Envelopes grabbed at once in `many`. */
  envelopes: number;
  connections: number[];
  /** Grabs on a warm-up envelope before the first measurement of each server (JIT, pools, caches). */
  warmup_users: number;
  /** Upper bound on one run; the run fails if it is hit. */
  time_max_ms: number;
}

export function sharesPerEnvelope(sizes: Sizes, scenario: ScenarioKey): number[] {
  if (scenario === 'hot') return [sizes.shares];
  return Array.from({ length: sizes.envelopes }, () => Math.floor(sizes.shares / sizes.envelopes));
}

export function scenarioLabel(scenario: ScenarioKey, sizes: Sizes): string {
  if (scenario === 'hot') return `hot envelope (1 × ${sizes.shares.toLocaleString('en-US')} shares)`;
  const each = Math.floor(sizes.shares / sizes.envelopes);
  return `${sizes.envelopes} envelopes at once (${sizes.envelopes} × ${each.toLocaleString('en-US')} shares)`;
}

export interface RunResult {
  engine: EngineName;
  scenario: ScenarioKey;
  system: SystemKind;
  connections: number;
  users: number;
  shares: number;
  envelopes: number;
  /** Answers received (every user's one grab). */
  grabs: number;
  ok: number;
  empty: number;
  seconds: number;
  grabs_per_s: number;
  p50_ms: number;
  p99_ms: number;
  cpu: CpuShares;
  /** Capillary: the ledger writer's batches during the run (each grab counts as one transfer). */
  writer?: WriterBatches;
  check: OversellCheck;
}

export interface RunContext {
  engine: EngineName;
  sizes: Sizes;
  /** Recipient account of user i (created in both systems by setup). */
  accounts: readonly string[];
  /** PostgreSQL: the bench database, to tell its backends' CPU from others'. */
  pg_database: string | undefined;
  /** Before each measured run (PostgreSQL: CHECKPOINT, so no run pays for the last one's dirty pages). */
  settle: () => Promise<void>;
}

let runNumber = 0;

/**
 * User i grabs envelope assign(i) into accounts[i] as customer `r<run>-u<i>` (distinct in
 * every run). Request i is sent in order i, so in `many` the envelopes are interleaved.
 */
async function grabRun(ctx: RunContext, system: GrabSystem, envelopes: readonly CreatedEnvelope[], users: number, connections: number) {
  const prefix = `r${++runNumber}-u`;
  const assign = (i: number) => i % envelopes.length;
  const tally = newTally(envelopes.length);
  const run = await runLoad({
    url: system.url,
    token: system.grab_token,
    connections,
    amount: users,
    time_max_ms: ctx.sizes.time_max_ms,
    request: (i) => {
      const envelope = envelopes[assign(i)]!;
      return {
        method: 'POST',
        path: `/v1/envelopes/${envelope.id}/grabs`,
        body: JSON.stringify({ customer_id: `${prefix}${i}`, account_id: ctx.accounts[i]!, link_token: envelope.link_token }),
      };
    },
    answer: (i, status, body) => recordAnswer(tally, assign(i), `${prefix}${i}`, status, body),
  });
  const usersPer = envelopes.map((_, k) => Math.floor(users / envelopes.length) + (k < users % envelopes.length ? 1 : 0));
  return { run, tally, usersPer };
}

function specsFor(shares: readonly number[]): EnvelopeSpec[] {
  return shares.map((share_count) => ({ id: uuidv7(), share_count, total_amount: BigInt(share_count) * SHARE_MEAN_MINOR }));
}

/** One warm-up envelope per server, checked like a measured run but not reported. */
export async function warmUp(ctx: RunContext, system: GrabSystem): Promise<OversellCheck> {
  const users = ctx.sizes.warmup_users;
  const envelopes = await system.createEnvelopes(specsFor([users]));
  const connections = Math.min(users, Math.max(...ctx.sizes.connections));
  const { tally, usersPer } = await grabRun(ctx, system, envelopes, users, connections);
  return checkOversell(system, envelopes, usersPer, tally);
}

export async function measure(ctx: RunContext, system: GrabSystem, scenario: ScenarioKey, connections: number): Promise<RunResult> {
  const { sizes } = ctx;
  const envelopes = await system.createEnvelopes(specsFor(sharesPerEnvelope(sizes, scenario)));
  await ctx.settle();
  const countersBefore = await system.writerCounters?.();
  const cpu = startCpuMeter({ server_pid: system.pid, postgres_database: ctx.pg_database });
  const { run, tally, usersPer } = await grabRun(ctx, system, envelopes, sizes.users, connections);
  const cpuShares = cpu();
  const countersAfter = await system.writerCounters?.();
  const check = await checkOversell(system, envelopes, usersPer, tally);
  const latency = latencySummary(run.latencies_ms);
  return {
    engine: ctx.engine,
    scenario,
    system: system.kind,
    connections,
    users: sizes.users,
    shares: envelopes.reduce((n, e) => n + e.share_count, 0),
    envelopes: envelopes.length,
    grabs: run.responses,
    ok: tally.ok,
    empty: tally.empty,
    seconds: run.seconds,
    grabs_per_s: run.responses / run.seconds,
    p50_ms: latency.p50_ms,
    p99_ms: latency.p99_ms,
    cpu: cpuShares,
    ...(countersBefore && countersAfter ? { writer: writerBatches(countersBefore, countersAfter) } : {}),
    check,
  };
}
