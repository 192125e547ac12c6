/**
 * The load generator for a timed run: autocannon in this (the benchmark's) process, against
 * the server in its own process, for a fixed number of seconds, `connections` keep-alive
 * connections with one request in flight on each. Request i is built just before it is
 * sent (setupRequest), so every payment and transfer carries its own ids and key.
 *
 * When the time is up autocannon drops the connections with their requests in flight: those
 * requests may still have happened on the server. They are returned (`cut_off`) so the money
 * check can look each one up.
 */
import autocannon from 'autocannon';
import type { MoneyRequest, WorkloadPath } from './workloads.js';

export interface TimedRun {
  /** Responses received (any status). */
  responses: number;
  /** From the start to the last response. */
  seconds: number;
  /** One per response (autocannon's: request written → response complete). */
  latencies_ms: number[];
  status: Record<string, number>;
  /** Responses other than the path's ok_status. */
  unexpected: number;
  /** Socket errors and timeouts autocannon counted. */
  errors: number;
  timeouts: number;
  /** A few unexpected answers, for the error message and the report. */
  samples: string[];
  /** Requests built but not answered when the run stopped (cut off, or timed out). */
  cut_off: number[];
  /** Money paths: what request i moves, and whether it was answered with ok_status. */
  money?: MoneyRequest[];
  ok: boolean[];
}

interface Context {
  index?: number;
}

const SAMPLES_MAX = 5;

export function runTimed(url: string, path: WorkloadPath, connections: number, duration_s: number): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const latencies_ms: number[] = [];
    const money: MoneyRequest[] | undefined = path.payers ? [] : undefined;
    const ok: boolean[] = [];
    const answered: boolean[] = [];
    const status: Record<string, number> = {};
    const samples: string[] = [];
    let next = 0;
    let unexpected = 0;
    let last = 0;
    let hookError: unknown;
    const started = performance.now();
    const token = path.token();
    const instance = autocannon(
      {
        url,
        connections,
        duration: duration_s,
        timeout: 30,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request, context) => {
              const index = next++;
              (context as Context).index = index;
              try {
                const built = path.build(index, money);
                return {
                  ...request,
                  method: built.method,
                  path: built.path,
                  ...(built.headers ? { headers: { ...(request.headers as Record<string, string>), ...built.headers } } : {}),
                  ...(built.body !== undefined ? { body: built.body } : {}),
                };
              } catch (err) {
                hookError ??= err;
                return request;
              }
            },
            onResponse: (code, body, context) => {
              const index = (context as Context).index;
              if (index === undefined) {
                hookError ??= new Error('a response arrived for a request the load generator did not build');
                return;
              }
              answered[index] = true;
              status[code] = (status[code] ?? 0) + 1;
              if (code === path.ok_status) ok[index] = true;
              else {
                unexpected++;
                if (samples.length < SAMPLES_MAX) samples.push(`${code} ${body.slice(0, 300)}`);
              }
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        if (hookError !== undefined) return reject(hookError instanceof Error ? hookError : new Error(String(hookError)));
        const cut_off: number[] = [];
        for (let i = 0; i < next; i++) if (!answered[i]) cut_off.push(i);
        resolve({
          responses: latencies_ms.length,
          seconds: (last - started) / 1000,
          latencies_ms,
          status,
          unexpected,
          errors: result.errors,
          timeouts: result.timeouts,
          samples,
          cut_off,
          ...(money ? { money } : {}),
          ok,
        });
      },
    );
    instance.on('response', (_client, _code, _bytes, responseTime) => {
      latencies_ms.push(responseTime);
      last = performance.now();
    });
  });
}
