/**
 * Through HTTP: the app runs in a child process (its own event loop and core), autocannon
 * (bench/lib/load.ts) runs here. Every request body carries fresh UUIDv7 transfer ids, built per request by
 * autocannon's setupRequest hook.
 */
import { fileURLToPath } from 'node:url';
import type { AccountId } from '../../src/ledger/types.js';
import { startCpuMeter } from '../lib/cpu.js';
import { expectStatus, runLoad, type LoadRun } from '../lib/load.js';
import { batchesText, writerBatches, writerCounters } from '../lib/metrics.js';
import { ServerProcess } from '../lib/server-process.js';
import { latencySummary, seededRandom } from '../lib/stats.js';
import { uuidv7 } from '../../src/db/uuid.js';
import type { EngineContext } from './context.js';
import { checkTotals, type LedgerTotals } from './ledger-state.js';
import type { FromServer, ToServer } from './protocol.js';
import type { ScenarioResult } from './scenario.js';
import { newAccountIds, pickPair, randomAmount, TRANSFER_CODE } from './workload.js';
import { hash } from './write-path.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./http-server.js', import.meta.url));

export type LedgerServer = ServerProcess<ToServer, FromServer>;

/** The app in a child process, on its own in-memory PGlite or on the bench database. */
export const startLedgerServer = (engine: 'pglite' | 'postgres', pg_url: string | undefined): Promise<LedgerServer> =>
  ServerProcess.start<ToServer, FromServer>(SERVER_SCRIPT, [engine, pg_url ?? '']);

/** Sends exactly `amount` POST /v1/transfers requests from `connections` connections; fails if any is not `status`. */
async function cannon(server: LedgerServer, connections: number, amount: number, body: () => string, status: number, time_max_ms: number): Promise<LoadRun> {
  const run = await runLoad({
    url: server.url,
    token: server.token,
    connections,
    amount,
    time_max_ms,
    request: () => ({ method: 'POST', path: '/v1/transfers', body: body() }),
  });
  expectStatus(run, status);
  return run;
}

function transferJson(random: () => number, accounts: readonly AccountId[]) {
  const [debit, credit] = pickPair(random, accounts, 'uniform');
  return { id: uuidv7(), debit_account_id: debit, credit_account_id: credit, amount: randomAmount(random).toString(), code: TRANSFER_CODE };
}

async function totals(server: LedgerServer): Promise<LedgerTotals> {
  return (await server.call({ type: 'totals' }, 'totals')).totals;
}

export async function runHttpBatch(ctx: EngineContext, server: LedgerServer): Promise<ScenarioResult> {
  const { sizes } = ctx;
  const label = `HTTP batch · POST /v1/transfers [${sizes.http_batch_size.toLocaleString('en-US')}]`;
  const random = seededRandom(ctx.seed ^ hash('http_batch'));
  const accounts = newAccountIds(sizes.accounts);
  await server.call({ type: 'reset', accounts }, 'reset-done');
  const body = () => JSON.stringify(Array.from({ length: sizes.http_batch_size }, () => transferJson(random, accounts)));
  const c = sizes.http_batch_connections;
  const warm = await cannon(server, c, c * 2, body, 200, sizes.http_time_max_ms);
  const requests = Math.ceil(sizes.http_batch / sizes.http_batch_size);
  const countersBefore = await writerCounters(server);
  const cpu = startCpuMeter({ server_pid: server.pid, postgres_database: ctx.pg_database });
  const run = await cannon(server, c, requests, body, 200, sizes.http_time_max_ms);
  const cpuShares = cpu();
  const writer = writerBatches(countersBefore, await writerCounters(server));
  const transfers = run.responses * sizes.http_batch_size;
  checkTotals(label, await totals(server), { transfers: (warm.responses + run.responses) * sizes.http_batch_size });
  return {
    key: 'http_batch',
    engine: ctx.engine,
    label,
    transfers,
    seconds: run.seconds,
    transfers_per_s: transfers / run.seconds,
    latency: { ...latencySummary(run.latencies_ms), per: `request of ${sizes.http_batch_size}` },
    detail: `${c} connections, ${requests} requests; ${batchesText(writer)}`,
    connections: c,
    writer,
    cpu: cpuShares,
  };
}

export async function runHttpSingle(ctx: EngineContext, server: LedgerServer): Promise<ScenarioResult> {
  const { sizes } = ctx;
  const c = sizes.http_single_connections;
  const label = `HTTP single · ${c} connections`;
  const random = seededRandom(ctx.seed ^ hash('http_single'));
  const accounts = newAccountIds(sizes.accounts);
  await server.call({ type: 'reset', accounts }, 'reset-done');
  const body = () => JSON.stringify(transferJson(random, accounts));
  const warm = await cannon(server, c, Math.max(c * 4, Math.round(sizes.http_single_requests / 10)), body, 201, sizes.http_time_max_ms);
  const countersBefore = await writerCounters(server);
  const cpu = startCpuMeter({ server_pid: server.pid, postgres_database: ctx.pg_database });
  const run = await cannon(server, c, sizes.http_single_requests, body, 201, sizes.http_time_max_ms);
  const cpuShares = cpu();
  const writer = writerBatches(countersBefore, await writerCounters(server));
  checkTotals(label, await totals(server), { transfers: warm.responses + run.responses });
  return {
    key: 'http_single',
    engine: ctx.engine,
    label,
    transfers: run.responses,
    seconds: run.seconds,
    transfers_per_s: run.responses / run.seconds,
    latency: { ...latencySummary(run.latencies_ms), per: 'transfer' },
    detail: `${c} connections, one transfer per request; ${batchesText(writer)}`,
    connections: c,
    writer,
    cpu: cpuShares,
  };
}
