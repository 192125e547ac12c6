/**
 * One timed run of one path, and the money check after it: every request that moves money
 * either was answered with its ok status (and moved its amount) or is looked up afterwards
 * (cut off at the end of the run, timed out, or answered otherwise) by its ledger transfer.
 * The customer's and the merchant's balances must then have moved by exactly that sum, and
 * the payment consent's used amount by the open-banking part of it.
 */
import { startCpuMeter, type CpuShares } from '../lib/cpu.js';
import { latencySummary } from '../lib/stats.js';
import { watchOthers, type Background } from './background.js';
import { runTimed } from './drive.js';
import type { ApiSystem } from './setup.js';
import type { PathKind, WorkloadKey, WorkloadPath } from './workloads.js';

export interface RunResult {
  workload: WorkloadKey;
  kind: PathKind;
  route: string;
  connections: number;
  /** 0 for the warm-up, 1… for measured rounds. */
  round: number;
  responses: number;
  seconds: number;
  per_s: number;
  p50_ms: number;
  p99_ms: number;
  latencies_ms: number[];
  status: Record<string, number>;
  unexpected: number;
  errors: number;
  timeouts: number;
  samples: string[];
  /** Requests in flight when the run stopped, and how many of those moved money after all. */
  cut_off: number;
  cut_off_moved: number;
  /** Money paths: requests that moved money, and how much in all. */
  moved_count: number;
  moved_minor: bigint;
  cpu: CpuShares;
  /** What else ran on the machine meanwhile. */
  background: Background | undefined;
  money_check?: string;
}

/** Lookups of unanswered requests at once (GET /v1/transfers/{id}). */
const LOOKUP_IN_FLIGHT = 16;
/** After a run, the server may still be finishing the requests autocannon dropped: give it this long first. */
const SETTLE_MS = 1_000;

export interface RunContext {
  system: ApiSystem;
  pg_database: string | undefined;
  /** Before each measured run (PostgreSQL: the outbox relay caught up, VACUUM (ANALYZE), CHECKPOINT), so no run pays for the ones before it. */
  settle: () => Promise<void>;
}

async function lookUp(system: ApiSystem, transfer_ids: readonly string[]): Promise<boolean[]> {
  const found: boolean[] = new Array(transfer_ids.length).fill(false);
  for (let i = 0; i < transfer_ids.length; i += LOOKUP_IN_FLIGHT) {
    const slice = transfer_ids.slice(i, i + LOOKUP_IN_FLIGHT);
    const answers = await Promise.all(slice.map((id) => system.transferExists(id)));
    answers.forEach((exists, j) => (found[i + j] = exists));
  }
  return found;
}

export async function measure(ctx: RunContext, path: WorkloadPath, connections: number, duration_s: number, round: number): Promise<RunResult> {
  const { system } = ctx;
  await system.refreshTokens();
  if (round > 0) await ctx.settle();
  const payers = path.payers;
  const before = payers ? await system.balances(payers) : undefined;
  const usedBefore = payers && path.kind === 'ob' ? await system.consentsUsed(payers) : undefined;

  const meter = startCpuMeter({ server_pid: system.server.pid, postgres_database: ctx.pg_database });
  const others = watchOthers(ctx.pg_database);
  const run = await runTimed(system.url, path, connections, duration_s);
  const cpu = meter();
  const background = others();

  let moved_count = 0;
  let moved_minor = 0n;
  let cut_off_moved = 0;
  let money_check: string | undefined;
  if (run.money) {
    const unsure: number[] = [];
    run.money.forEach((m, i) => {
      if (run.ok[i]) {
        moved_count++;
        moved_minor += m.amount_minor;
      } else unsure.push(i);
    });
    if (unsure.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const found = await lookUp(system, unsure.map((i) => run.money![i]!.transfer_id));
      const cutOff = new Set(run.cut_off);
      unsure.forEach((i, j) => {
        if (!found[j]) return;
        moved_count++;
        moved_minor += run.money![i]!.amount_minor;
        if (cutOff.has(i)) cut_off_moved++;
      });
    }
    const after = await system.balances(payers!);
    const problems: string[] = [];
    const whose = payers!.length === 1 ? "the customer's balance" : `the ${payers!.length} customers' balances together`;
    if (before!.payers - after.payers !== moved_minor) problems.push(`${whose} moved by ${before!.payers - after.payers}, expected ${moved_minor}`);
    if (after.merchant - before!.merchant !== moved_minor) problems.push(`the merchant's balance moved by ${after.merchant - before!.merchant}, expected ${moved_minor}`);
    if (usedBefore !== undefined) {
      const used = (await system.consentsUsed(payers!)) - usedBefore;
      if (used !== moved_minor) problems.push(`the payment consents' used amounts moved by ${used}, expected ${moved_minor}`);
    }
    if (problems.length > 0) throw new Error(`money check failed after ${path.route} (${connections} connections): ${problems.join('; ')}`);
    money_check =
      `money: ${moved_count} ${path.kind === 'ob' ? 'payments' : 'transfers'} moved ${moved_minor} minor units; ` +
      `${payers!.length === 1 ? 'customer' : `${payers!.length} customers`} −${moved_minor}, merchant +${moved_minor}${usedBefore !== undefined ? `, consent${payers!.length === 1 ? '' : 's'} used +${moved_minor}` : ''} ✓`;
  }

  return {
    workload: path.workload,
    kind: path.kind,
    route: path.route,
    connections,
    round,
    responses: run.responses,
    seconds: run.seconds,
    per_s: run.responses / run.seconds,
    ...latencySummary(run.latencies_ms),
    latencies_ms: run.latencies_ms,
    status: run.status,
    unexpected: run.unexpected,
    errors: run.errors,
    timeouts: run.timeouts,
    samples: run.samples,
    cut_off: run.cut_off.length,
    cut_off_moved,
    moved_count,
    moved_minor,
    cpu,
    background,
    ...(money_check ? { money_check } : {}),
  };
}
