/**
 * The load generator every HTTP benchmark uses: autocannon, in this (the benchmark's)
 * process, against a server in another process. It sends exactly `amount` requests from
 * `connections` keep-alive connections, one request in flight per connection; request i
 * is built by `request(i)` just before it is sent (so each can carry fresh ids or a
 * distinct customer), and its answer goes to `answer(i, …)`.
 */
import autocannon from 'autocannon';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export interface LoadOptions {
  url: string;
  token: string;
  connections: number;
  amount: number;
  /** Upper bound on the whole run; hitting it fails the run. */
  time_max_ms: number;
  /** The i-th request (0-based), called exactly once per request, in sending order. */
  request: (i: number) => LoadRequest;
  /** The status and body of the answer to request i. */
  answer?: (i: number, status: number, body: string) => void;
}

export interface LoadRun {
  responses: number;
  /** From the start of the run to the last response. */
  seconds: number;
  /** One per response, as autocannon measured it (request written → response complete). */
  latencies_ms: number[];
  status: Record<string, number>;
}

/** Each connection's request in flight: autocannon gives every connection its own context object. */
interface Context {
  index?: number;
}

export function runLoad(options: LoadOptions): Promise<LoadRun> {
  const { amount, connections } = options;
  if (connections > amount) throw new RangeError(`${connections} connections for ${amount} requests: every connection needs at least one`);
  return new Promise((resolve, reject) => {
    const latencies_ms: number[] = [];
    let next = 0;
    let last = 0;
    let stoppedByWatchdog = false;
    let answerError: unknown;
    const started = performance.now();
    const instance = autocannon(
      {
        url: options.url,
        connections,
        amount,
        timeout: 60,
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request, context) => {
              const index = next++;
              (context as Context).index = index;
              const built = options.request(index);
              return { ...request, method: built.method, path: built.path, ...(built.body !== undefined ? { body: built.body } : {}) };
            },
            onResponse: (status, body, context) => {
              const index = (context as Context).index;
              try {
                if (index === undefined) throw new Error('a response arrived for a request the load generator did not build');
                options.answer?.(index, status, body);
              } catch (err) {
                answerError ??= err;
              }
            },
          },
        ],
      },
      (err, result) => {
        clearTimeout(watchdog);
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const status = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
        const run: LoadRun = { responses: latencies_ms.length, seconds: (last - started) / 1000, latencies_ms, status };
        const problems: string[] = [];
        if (stoppedByWatchdog) problems.push(`stopped after ${options.time_max_ms} ms`);
        if (run.responses !== amount) problems.push(`${run.responses} responses of ${amount}`);
        if (next !== amount) problems.push(`${next} requests built for ${amount} sent`);
        if (result.errors > 0 || result.timeouts > 0) problems.push(`${result.errors} errors, ${result.timeouts} timeouts`);
        if (answerError !== undefined) problems.push(answerError instanceof Error ? answerError.message : String(answerError));
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
    }, options.time_max_ms);
  });
}

/** Throws unless every response had `status`. */
export function expectStatus(run: LoadRun, status: number): void {
  if (Object.keys(run.status).some((code) => Number(code) !== status)) {
    throw new Error(`HTTP load failed: status codes ${JSON.stringify(run.status)}, expected all ${status}`);
  }
}
