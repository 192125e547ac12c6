/**
 * Through HTTP: the real server (`capillary serve`, bench/lib/capillary-server.ts) on the
 * bench database, which rebuilds its features from the stored events before it listens,
 * and the shared load generator (bench/lib/load.ts) in this process, POST /v1/risk/decisions
 * with a key that holds risk:decide only.
 */
import { CapillaryServer, createApiKey, type ServerStorage } from '../lib/capillary-server.js';
import { startCpuMeter } from '../lib/cpu.js';
import { expectStatus, runLoad } from '../lib/load.js';
import { latencySummary } from '../lib/stats.js';
import type { OutcomeCounts } from './drive.js';
import { processMemory } from './memory.js';
import type { PhaseResult } from './results.js';

const TICK_MS = 10_000;

export interface RunningServer {
  server: CapillaryServer;
  token: string;
  /** Fork → "Capillary is serving" (the engine's start runs in the background from there). */
  listening_seconds: number;
  /** Fork → the first decision answered: decisions wait for the engine's start, so this is the server's start with its rebuild. */
  seconds: number;
  rss_mib: number | undefined;
  peak_rss_mib: number | undefined;
}

const isTimeout = (err: unknown) => {
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === 'UND_ERR_HEADERS_TIMEOUT' || cause?.code === 'UND_ERR_BODY_TIMEOUT';
};

/** POSTs one decision and waits for its answer (201, or 200 if a timed-out try was decided after all). */
async function firstDecision(url: string, token: string, body: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const response = await fetch(`${url}/v1/risk/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now()))),
      });
      const text = await response.text();
      if (response.status === 201 || response.status === 200) return;
      throw new Error(`the first decision answered ${response.status}: ${text.slice(0, 300)}`);
    } catch (err) {
      if (!isTimeout(err) || performance.now() >= deadline) throw err;
    }
  }
}

/**
 * The key first (the CLI, on the same database), then the server, then one decision: the
 * server listens at once and rebuilds its features in the background, and decisions wait
 * for that. A line every 10 s meanwhile. `onServer` gets the server as soon as it is
 * spawned (for cleanup).
 */
export async function startRiskServer(
  storage: ServerStorage,
  start_ms_max: number,
  probe: string,
  onServer: (server: CapillaryServer) => void,
  tick: (seconds: number, rss_mib: number | undefined) => void,
): Promise<RunningServer> {
  const token = await createApiKey(storage, 'bench-risk-decide', ['risk:decide']);
  let pid: number | undefined;
  const started = performance.now();
  const ticker = setInterval(() => tick((performance.now() - started) / 1000, pid === undefined ? undefined : processMemory(pid)?.rss_mib), TICK_MS);
  try {
    const server = await CapillaryServer.start(storage, {}, {
      start_ms_max,
      on_spawn: (spawned) => {
        pid = spawned.pid;
        onServer(spawned);
      },
    });
    const listening_seconds = (performance.now() - started) / 1000;
    await firstDecision(server.url, token, probe, started + start_ms_max);
    const seconds = (performance.now() - started) / 1000;
    const memory = server.pid === undefined ? undefined : processMemory(server.pid);
    return { server, token, listening_seconds, seconds, rss_mib: memory?.rss_mib, peak_rss_mib: memory?.peak_mib };
  } finally {
    clearInterval(ticker);
  }
}

/** Sends every body once (POST /v1/risk/decisions); every answer must be 201 with an outcome. */
async function send(running: RunningServer, bodies: readonly string[], connections: number, time_max_ms: number) {
  const outcomes: OutcomeCounts = {};
  const run = await runLoad({
    url: running.server.url,
    token: running.token,
    connections: Math.min(connections, bodies.length),
    amount: bodies.length,
    time_max_ms,
    request: (i) => ({ method: 'POST', path: '/v1/risk/decisions', body: bodies[i]! }),
    answer: (_i, status, body) => {
      if (status !== 201) throw new Error(`POST /v1/risk/decisions answered ${status}: ${body.slice(0, 300)}`);
      const outcome = (JSON.parse(body) as { outcome?: keyof OutcomeCounts }).outcome;
      if (outcome === undefined) throw new Error(`a decision without an outcome: ${body.slice(0, 300)}`);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    },
  });
  expectStatus(run, 201);
  return { run, outcomes };
}

export async function runHttp(
  running: RunningServer,
  warmup: readonly string[],
  measured: readonly string[],
  options: { connections: number; time_max_ms: number; pg_database: string; settle: () => Promise<void> },
): Promise<PhaseResult> {
  await send(running, warmup, options.connections, options.time_max_ms);
  await options.settle();
  const cpu = startCpuMeter({ server_pid: running.server.pid, postgres_database: options.pg_database });
  const { run, outcomes } = await send(running, measured, options.connections, options.time_max_ms);
  const cpuShares = cpu();
  return {
    key: 'http',
    label: `HTTP · POST /v1/risk/decisions · ${options.connections} connections`,
    decisions: run.responses,
    seconds: run.seconds,
    per_s: run.responses / run.seconds,
    ...latencySummary(run.latencies_ms),
    outcomes,
    cpu: cpuShares,
    how: `autocannon in this process, ${options.connections} keep-alive connections, one request in flight each; capillary serve in its own process`,
  };
}
