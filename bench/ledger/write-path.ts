/**
 * In-process write-path scenarios: transfers go through Ledger.submitTransfers (the batched
 * single writer) from many requests in flight, so every batch fills to BATCH_SIZE_MAX.
 */
import { Ledger } from '../../src/ledger/service.js';
import { systemClock } from '../../src/server/clock.js';
import { AccountFlags, BATCH_SIZE_MAX, type AccountId, type TransferId, type TransferInput } from '../../src/ledger/types.js';
import { startCpuMeter } from '../lib/cpu.js';
import { fmtInt, latencySummary, seededRandom } from '../lib/stats.js';
import { uuidv7 } from '../../src/db/uuid.js';
import { AnatomyRecorder } from './anatomy.js';
import type { EngineContext } from './context.js';
import { checkTotals, createAccounts, emptyLedger, ledgerTotals, settle } from './ledger-state.js';
import { IN_FLIGHT_REQUESTS, REQUEST_TRANSFERS, type ScenarioKey, type ScenarioResult } from './scenario.js';
import { chunk, newAccountIds, transferStream, TRANSFER_CODE, type Traffic } from './workload.js';

export interface WritePathSpec {
  key: ScenarioKey;
  label: string;
  traffic: Traffic;
  pending: boolean;
  /** Accounts flagged debits_must_not_exceed_credits, funded first from one unflagged account. */
  limits: boolean;
}

export const WRITE_PATH_SCENARIOS: WritePathSpec[] = [
  { key: 'wp_uniform', label: 'write path · uniform', traffic: 'uniform', pending: false, limits: false },
  { key: 'wp_hot', label: 'write path · 50% hot account', traffic: 'hot', pending: false, limits: false },
  { key: 'wp_uniform_pending', label: 'write path · uniform · pending→post', traffic: 'uniform', pending: true, limits: false },
  { key: 'wp_hot_pending', label: 'write path · 50% hot · pending→post', traffic: 'hot', pending: true, limits: false },
  { key: 'wp_uniform_limits', label: 'write path · uniform · limit-flag accounts', traffic: 'uniform', pending: false, limits: true },
];

const FUNDING_MINOR = 1_000_000_000n;

interface Driven {
  latencies_ms: Float64Array;
  failures: Map<string, number>;
}

/** Keeps `inFlight` requests submitted until every request has resolved; requests enter the queue in order. */
async function drive(ledger: Ledger, requests: readonly TransferInput[][], inFlight: number): Promise<Driven> {
  const latencies_ms = new Float64Array(requests.length);
  const failures = new Map<string, number>();
  let next = 0;
  const client = async () => {
    while (next < requests.length) {
      const index = next++;
      const started = performance.now();
      const results = await ledger.submitTransfers(requests[index]!);
      latencies_ms[index] = performance.now() - started;
      for (const r of results) {
        const code = !r.ok ? r.code : r.replayed ? 'replayed' : undefined;
        if (code) failures.set(code, (failures.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, requests.length) }, client));
  return { latencies_ms, failures };
}

function assertAllCommitted(what: string, driven: Driven): void {
  if (driven.failures.size > 0) {
    throw new Error(`${what}: transfers did not commit: ${JSON.stringify(Object.fromEntries(driven.failures))}`);
  }
}

export async function runWritePath(ctx: EngineContext, spec: WritePathSpec): Promise<ScenarioResult> {
  const { db, sizes } = ctx;
  const random = seededRandom(ctx.seed ^ hash(spec.key));
  await emptyLedger(db);
  const recorder = new AnatomyRecorder();
  const fill = { batches: 0, full: 0, transfers: 0, retried: 0 };
  const ledger = new Ledger(recorder.wrap(db), systemClock, {
    observer: {
      batchCommitted(stats) {
        if (!recorder.recording) return;
        fill.batches++;
        fill.transfers += stats.transfers;
        if (stats.transfers === BATCH_SIZE_MAX) fill.full++;
        if (stats.attempts > 1) fill.retried++;
      },
    },
  });
  try {
    const accounts = newAccountIds(sizes.accounts);
    await createAccounts(ledger, accounts, spec.limits ? AccountFlags.debits_must_not_exceed_credits : 0);
    let expectedRows = 0;
    let expectedPosted = 0n;
    if (spec.limits) {
      const bank = uuidv7() as AccountId;
      await createAccounts(ledger, [bank], 0);
      const funding = accounts.map((id): TransferInput => ({ id: uuidv7() as TransferId, debit_account_id: bank, credit_account_id: id, amount: FUNDING_MINOR, code: TRANSFER_CODE, flags: 0 }));
      assertAllCommitted('funding', await drive(ledger, chunk(funding, BATCH_SIZE_MAX), 2));
      expectedRows += funding.length;
      expectedPosted += FUNDING_MINOR * BigInt(funding.length);
    }
    await settle(db);

    const warmupCount = ctx.quick ? Math.round(sizes.write_path / 4) : Math.min(sizes.write_path, 3 * BATCH_SIZE_MAX);
    const warmup = transferStream(warmupCount, accounts, spec.traffic, spec.pending, random);
    const measured = transferStream(sizes.write_path, accounts, spec.traffic, spec.pending, random);
    const requests = chunk(measured.inputs, REQUEST_TRANSFERS);

    assertAllCommitted('warm-up', await drive(ledger, chunk(warmup.inputs, REQUEST_TRANSFERS), IN_FLIGHT_REQUESTS));
    expectedRows += warmup.inputs.length;
    expectedPosted += warmup.posted_minor;

    recorder.recording = true;
    const cpu = startCpuMeter({ postgres_database: ctx.pg_database });
    const started = performance.now();
    const driven = await drive(ledger, requests, IN_FLIGHT_REQUESTS);
    const seconds = (performance.now() - started) / 1000;
    const cpuShares = cpu();
    recorder.recording = false;
    assertAllCommitted(spec.label, driven);
    expectedRows += measured.inputs.length;
    expectedPosted += measured.posted_minor;

    checkTotals(spec.label, await ledgerTotals(db), { transfers: expectedRows, posted_minor: expectedPosted, pending_minor: 0n });

    const meanFill = fill.transfers / Math.max(1, fill.batches);
    return {
      key: spec.key,
      engine: ctx.engine,
      label: spec.label,
      transfers: measured.inputs.length,
      seconds,
      transfers_per_s: measured.inputs.length / seconds,
      latency: { ...latencySummary(driven.latencies_ms), per: `request of ${REQUEST_TRANSFERS}` },
      detail:
        `${fill.batches} batch${fill.batches === 1 ? '' : 'es'} (${fill.full} full), mean ${fmtInt(meanFill)} transfers` +
        (fill.retried > 0 ? `, ${fill.retried} retried` : '') +
        `; ${IN_FLIGHT_REQUESTS} requests of ${REQUEST_TRANSFERS} in flight`,
      cpu: cpuShares,
      anatomy: recorder.result(),
    };
  } finally {
    await ledger.stop();
  }
}

/** A stable small number per scenario key, so each scenario draws its own traffic. */
export function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
