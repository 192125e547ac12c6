/**
 * Through HTTP: the app runs in a child process (its own event loop and core), autocannon
 * runs here. Every request body carries fresh UUIDv7 transfer ids, built per request by
 * autocannon's setupRequest hook.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AccountId } from '../../src/ledger/types.js';
import { startCpuMeter } from '../lib/cpu.js';
import { fmtInt, fmtMs, latencySummary, seededRandom } from '../lib/stats.js';
import { uuidv7 } from '../../src/db/uuid.js';
import type { EngineContext } from './context.js';
import { checkTotals, type LedgerTotals } from './ledger-state.js';
import type { FromServer, ToServer } from './protocol.js';
import type { ScenarioResult, WriterBatches } from './scenario.js';
import { newAccountIds, pickPair, randomAmount, TRANSFER_CODE } from './workload.js';
import { hash } from './write-path.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./http-server.js', import.meta.url));
const SERVER_START_MS_MAX = 120_000;
const SERVER_CALL_MS_MAX = 120_000;

/** The HTTP server child process, and a promise-based view of its IPC messages. */
export class ServerProcess {
  private waiters: Array<{ resolve: (m: FromServer) => void; reject: (e: Error) => void }> = [];
  private exited: Error | undefined;
  url = '';
  token = '';

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromServer) => {
      const waiter = this.waiters.shift();
      if (!waiter) return;
      if (message.type === 'error') waiter.reject(new Error(`HTTP server: ${message.message}`));
      else waiter.resolve(message);
    });
    child.on('exit', (code, signal) => {
      this.exited = new Error(`HTTP server exited (code ${code}, signal ${signal})`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.exited);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(engine: 'pglite' | 'postgres', pg_url: string | undefined): Promise<ServerProcess> {
    const child = fork(SERVER_SCRIPT, [engine, pg_url ?? ''], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const server = new ServerProcess(child);
    try {
      const ready = await server.next(SERVER_START_MS_MAX);
      if (ready.type !== 'ready') throw new Error(`HTTP server sent ${ready.type} before ready`);
      server.url = ready.url;
      server.token = ready.token;
      return server;
    } catch (err) {
      server.kill();
      throw err;
    }
  }

  private next(timeout_ms: number): Promise<FromServer> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`HTTP server did not answer within ${timeout_ms} ms`)), timeout_ms);
      this.waiters.push({
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  async call<T extends FromServer['type']>(message: ToServer, expect: T): Promise<Extract<FromServer, { type: T }>> {
    const answer = this.next(SERVER_CALL_MS_MAX);
    this.child.send(message);
    const reply = await answer;
    if (reply.type !== expect) throw new Error(`HTTP server answered ${reply.type}, expected ${expect}`);
    return reply as Extract<FromServer, { type: T }>;
  }

  /** Asks the server to close its app and database; kills it if it does not within 30 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await this.call({ type: 'stop' }, 'stopped');
    } catch {
      this.kill();
    }
    const timer = setTimeout(() => this.kill(), 30_000);
    await gone;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

interface CannonRun {
  responses: number;
  seconds: number;
  latencies_ms: number[];
  status: Record<string, number>;
  errors: number;
  timeouts: number;
}

/** Sends exactly `amount` requests from `connections` keep-alive connections; fails if any is not `status`. */
function cannon(server: ServerProcess, connections: number, amount: number, body: () => string, status: number, time_max_ms: number): Promise<CannonRun> {
  return new Promise((resolve, reject) => {
    const latencies_ms: number[] = [];
    let last = 0;
    let stoppedByWatchdog = false;
    const started = performance.now();
    const instance = autocannon(
      {
        url: server.url,
        connections,
        amount,
        timeout: 60,
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        requests: [{ method: 'POST', path: '/v1/transfers', setupRequest: (request) => ({ ...request, body: body() }) }],
      },
      (err, result) => {
        clearTimeout(watchdog);
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
        const run: CannonRun = { responses: latencies_ms.length, seconds: (last - started) / 1000, latencies_ms, status: statuses, errors: result.errors, timeouts: result.timeouts };
        const problems: string[] = [];
        if (stoppedByWatchdog) problems.push(`stopped after ${time_max_ms} ms`);
        if (run.responses !== amount) problems.push(`${run.responses} responses of ${amount}`);
        if (run.errors > 0 || run.timeouts > 0) problems.push(`${run.errors} errors, ${run.timeouts} timeouts`);
        if (Object.keys(statuses).some((code) => Number(code) !== status)) problems.push(`status codes ${JSON.stringify(statuses)}, expected all ${status}`);
        if (problems.length > 0) return reject(new Error(`HTTP load failed: ${problems.join('; ')}`));
        resolve(run);
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies_ms.push(responseTime);
      last = performance.now();
    });
    const watchdog = setTimeout(() => {
      stoppedByWatchdog = true;
      instance.stop();
    }, time_max_ms);
  });
}

function transferJson(random: () => number, accounts: readonly AccountId[]) {
  const [debit, credit] = pickPair(random, accounts, 'uniform');
  return { id: uuidv7(), debit_account_id: debit, credit_account_id: credit, amount: randomAmount(random).toString(), code: TRANSFER_CODE };
}

interface WriterCounters {
  batches: number;
  transfers: number;
  seconds: number;
}

/** The server's own writer counters, from its Prometheus metrics (read outside the timed part). */
async function writerCounters(server: ServerProcess): Promise<WriterCounters> {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const text = await response.text();
  const value = (name: string): number => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`/metrics has no ${name}`);
    return Number(match[1]);
  };
  return {
    batches: value('capillary_ledger_batch_transfers_count'),
    transfers: value('capillary_ledger_batch_transfers_sum'),
    seconds: value('capillary_ledger_batch_duration_seconds_sum'),
  };
}

function writerBatches(before: WriterCounters, after: WriterCounters): WriterBatches {
  const batches = after.batches - before.batches;
  return {
    batches,
    mean_transfers: (after.transfers - before.transfers) / Math.max(1, batches),
    mean_ms: ((after.seconds - before.seconds) * 1000) / Math.max(1, batches),
  };
}

const batchesText = (w: WriterBatches): string =>
  `writer: ${fmtInt(w.batches)} batches, mean ${fmtInt(w.mean_transfers)} transfers, ${fmtMs(w.mean_ms)} ms each`;

async function totals(server: ServerProcess): Promise<LedgerTotals> {
  return (await server.call({ type: 'totals' }, 'totals')).totals;
}

export async function runHttpBatch(ctx: EngineContext, server: ServerProcess): Promise<ScenarioResult> {
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

export async function runHttpSingle(ctx: EngineContext, server: ServerProcess): Promise<ScenarioResult> {
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
