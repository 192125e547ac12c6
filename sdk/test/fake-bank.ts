/**
 * A scripted stand-in for the bank behind `fetch`, for the SDK's unit tests: every request
 * is recorded (method, path, headers, body), discovery and the token endpoint answer by
 * default, and each test queues the answers of the routes it exercises.
 */
import { CapillaryClient, type CapillaryClientOptions } from '../src/index.js';

export const BASE = 'https://bank.test';

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** One scripted answer: a response, or a thrown network error. */
export type Answer = { status: number; json?: unknown; text?: string; headers?: Record<string, string> } | { network: string };

export class FakeBank {
  readonly requests: Recorded[] = [];
  private readonly queues = new Map<string, Answer[]>();
  tokensIssued = 0;
  /** Every sleep the client asked for (the waits are not really waited). */
  readonly sleeps: number[] = [];

  constructor() {
    this.on('GET /.well-known/oauth-authorization-server', {
      status: 200,
      json: {
        issuer: BASE,
        authorization_endpoint: `${BASE}/oauth/authorize`,
        token_endpoint: `${BASE}/oauth/token`,
        pushed_authorization_request_endpoint: `${BASE}/oauth/par`,
        revocation_endpoint: `${BASE}/oauth/revoke`,
        introspection_endpoint: `${BASE}/oauth/introspect`,
        authorization_response_iss_parameter_supported: true,
      },
    }, true);
  }

  private sticky = new Map<string, Answer>();

  /** Queues answers for "<METHOD> <path>" (path without query); `sticky` answers every time. */
  on(route: string, answer: Answer | Answer[], sticky = false): this {
    if (sticky && !Array.isArray(answer)) this.sticky.set(route, answer);
    else this.queues.set(route, [...(this.queues.get(route) ?? []), ...(Array.isArray(answer) ? answer : [answer])]);
    return this;
  }

  /** The requests to one route. */
  to(route: string): Recorded[] {
    return this.requests.filter((r) => `${r.method} ${r.path.split('?')[0]}` === route);
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? 'GET';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init?.headers as Record<string, string>) ?? {})) headers[k.toLowerCase()] = v;
    this.requests.push({ method, path: url.pathname + url.search, headers, body: typeof init?.body === 'string' ? init.body : undefined });
    const route = `${method} ${url.pathname}`;
    let answer = this.queues.get(route)?.shift() ?? this.sticky.get(route);
    if (!answer && route === 'POST /oauth/token') {
      this.tokensIssued++;
      answer = { status: 200, json: { access_token: `token-${this.tokensIssued}`, token_type: 'Bearer', expires_in: 300, scope: 'payments accounts' } };
    }
    if (!answer) return new Response(JSON.stringify({ code: 'not_found', status: 404, detail: `no fake for ${route}` }), { status: 404, headers: { 'content-type': 'application/problem+json' } });
    if ('network' in answer) throw new TypeError(`fetch failed: ${answer.network}`);
    const h = new Headers(answer.headers);
    if (answer.json !== undefined && !h.has('content-type')) h.set('content-type', answer.status >= 400 && !('error' in (answer.json as object)) ? 'application/problem+json' : 'application/json');
    return new Response(answer.json !== undefined ? JSON.stringify(answer.json) : (answer.text ?? null), { status: answer.status, headers: h });
  };

  client(over: Partial<CapillaryClientOptions> = {}): CapillaryClient {
    return new CapillaryClient({
      baseUrl: BASE,
      clientId: 'shop',
      auth: { method: 'client_secret_basic', clientSecret: 'secret' },
      fetch: this.fetch,
      random: () => 0.5,
      sleep: async (ms) => {
        this.sleeps.push(ms);
      },
      ...over,
    });
  }
}

export const problem = (status: number, code: string, detail = code, extra: Record<string, unknown> = {}) => ({
  status,
  json: { type: `/errors#${code}`, title: code, status, code, detail, ...extra },
});
