/**
 * The webhook sender: takes due deliveries (bounded, rows other nodes hold are skipped),
 * POSTs each signed event to the partner's URL, logs the attempt, and marks the delivery
 * delivered, due again after a backoff, or failed once 72 h have passed. At least once:
 * a receiver that answered 2xx may still get the event again (a crash between its answer
 * and our commit, or a replay); it de-duplicates on `Capillary-Event-Id`.
 *
 * The HTTP client: one request, never follows redirects (a 3xx is a failure), a deadline of
 * `timeout_ms` for the whole exchange, at most `excerpt_bytes` of the answer kept. Unless
 * `allow_private_networks`, a URL whose host is, or resolves to, a loopback, private,
 * link-local or otherwise reserved address is refused; the check runs inside the socket's own
 * DNS lookup, so the address checked is the address connected to (no DNS rebinding between).
 */
import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { signWebhook, signingSecrets } from './webhook-signature.js';
import { attemptsOf, claimDue, claimOne, getDelivery, recordAttempt, type Attempt, type ClaimedDelivery, type Delivery } from './webhook-store.js';
import { DEFAULT_RETRY, afterFailure, checkWebhookUrl, isBlockedAddress, isSuccess, type RetryPolicy } from './webhooks.js';

export interface SenderOptions {
  timeout_ms?: number;
  batch_max?: number;
  concurrency?: number;
  /** How long a taken delivery stays hidden from other senders (longer than timeout_ms). */
  claim_ms?: number;
  excerpt_bytes?: number;
  allow_private_networks?: boolean;
  retry?: RetryPolicy;
  /** [0, 1); replaced in tests for a predictable backoff. */
  random?: () => number;
}

export const SENDER_DEFAULTS = {
  timeout_ms: 10_000,
  batch_max: 100,
  concurrency: 16,
  claim_ms: 60_000,
  excerpt_bytes: 512,
  allow_private_networks: false,
};

export interface PostResult {
  status_code: number | null;
  error: string | null;
  excerpt: string | null;
}

class Refused extends Error {
  code = 'EREFUSED_ADDRESS';
}

function guardedLookup(allow_private: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return (callback as (e: Error) => void)(err);
      const list = addresses as unknown as dns.LookupAddress[];
      const blocked = allow_private ? undefined : list.find((a) => isBlockedAddress(a.address));
      if (blocked) return (callback as (e: Error) => void)(new Refused(`${hostname} resolves to ${blocked.address}, a private or reserved address`));
      if (list.length === 0) return (callback as (e: Error) => void)(new Error(`${hostname} has no address`));
      if ((options as { all?: boolean }).all) return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

const printable = (text: string): string => text.replace(/[^\x20-\x7e\u00a0-\uffff\n\t]/g, '?');

/** One POST with the rules above. Never throws: failures come back as `error`. */
export function postWebhook(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  options: { timeout_ms: number; excerpt_bytes: number; allow_private_networks: boolean },
): Promise<PostResult> {
  const checked = checkWebhookUrl(rawUrl);
  if (!checked.ok) return Promise.resolve({ status_code: null, error: `invalid webhook URL: ${checked.reason}`, excerpt: null });
  const url = checked.url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !options.allow_private_networks && isBlockedAddress(host)) {
    return Promise.resolve({ status_code: null, error: `${host} is a private or reserved address`, excerpt: null });
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      resolve(result);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(options.allow_private_networks),
        agent: false, // a fresh connection each time: no pooled socket to an address checked earlier
      },
      (res) => {
        const status_code = res.statusCode ?? null;
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () => {
          const excerpt = chunks.length > 0 ? printable(Buffer.concat(chunks).subarray(0, options.excerpt_bytes).toString('utf8')) : null;
          const error = isSuccess(status_code) ? null : status_code !== null && status_code >= 300 && status_code < 400 ? `redirect (${status_code}) not followed` : `HTTP ${status_code}`;
          finish({ status_code, error, excerpt });
        };
        res.on('data', (chunk: Buffer) => {
          if (kept < options.excerpt_bytes) {
            chunks.push(chunk);
            kept += chunk.length;
          }
          if (kept >= options.excerpt_bytes) done();
        });
        res.on('end', done);
        res.on('error', done);
      },
    );
    const deadline = setTimeout(() => finish({ status_code: null, error: `no answer within ${options.timeout_ms} ms`, excerpt: null }), options.timeout_ms);
    req.on('error', (err: Error) => finish({ status_code: null, error: err.message || String(err), excerpt: null }));
    req.end(body);
  });
}

export interface SendPass {
  attempted: number;
  delivered: number;
  retrying: number;
  failed: number;
}

export class WebhookSender {
  private readonly o: typeof SENDER_DEFAULTS;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    options: SenderOptions = {},
  ) {
    this.o = { ...SENDER_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.random = options.random ?? Math.random;
    if (this.o.claim_ms <= this.o.timeout_ms) throw new Error('claim_ms must exceed timeout_ms');
  }

  /** One round: take the due deliveries and attempt each (bounded concurrency). */
  async sendDue(): Promise<SendPass> {
    const now = this.clock.now();
    const claimed = await this.db.transaction((tx) => claimDue(tx, now, new Date(now.getTime() + this.o.claim_ms), this.o.batch_max));
    const pass: SendPass = { attempted: claimed.length, delivered: 0, retrying: 0, failed: 0 };
    let next = 0;
    const worker = async () => {
      while (next < claimed.length) {
        const d = claimed[next++]!;
        const outcome = await this.attempt(d, 'scheduled');
        pass[outcome === 'delivered' ? 'delivered' : outcome === 'failed' ? 'failed' : 'retrying']++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, claimed.length) }, worker));
    return pass;
  }

  /**
   * Manual replay: one attempt now, whatever the delivery's status. Success marks it
   * delivered; a failure is logged and leaves it as it was (a failed delivery stays failed, a
   * pending one keeps its schedule and its 72 h limit).
   */
  async replay(id: string): Promise<{ delivery: Delivery; attempt: Attempt } | { error: 'not_found' | 'not_configured'; detail: string }> {
    const existing = await getDelivery(this.db, id);
    if (!existing) return { error: 'not_found', detail: `no webhook delivery ${id}` };
    const app = (await this.db.query<{ webhook_url: string | null; status: string }>(`SELECT webhook_url, status FROM partner_apps WHERE id = $1`, [existing.client_id])).rows[0];
    if (!app || app.status !== 'active' || !app.webhook_url) {
      return { error: 'not_configured', detail: `partner app ${existing.client_id} is disabled or has no webhook URL` };
    }
    const claimed = await claimOne(this.db, id);
    if (!claimed) return { error: 'not_found', detail: `no webhook delivery ${id}` };
    await this.attempt(claimed, 'replay');
    const delivery = (await getDelivery(this.db, id))!;
    const attempts = await attemptsOf(this.db, id, 10_000);
    return { delivery, attempt: attempts.find((a) => a.attempt === claimed.attempt)! };
  }

  private async attempt(d: ClaimedDelivery, mode: 'scheduled' | 'replay'): Promise<'delivered' | 'retrying' | 'failed' | 'unchanged'> {
    const at = this.clock.now();
    const started = performance.now();
    const app = d.app;
    let result: PostResult;
    let url = d.url;
    let unusable = false;
    if (!app || app.status !== 'active' || !app.webhook_url || !app.webhook_secret) {
      // Nothing to send to: retrying cannot help until an operator changes the app (then replay).
      unusable = true;
      result = { status_code: null, error: !app ? 'partner app not found' : app.status !== 'active' ? 'partner app disabled' : 'partner app has no webhook URL or secret', excerpt: null };
    } else {
      url = app.webhook_url;
      const body = JSON.stringify(d.payload);
      const t = Math.floor(at.getTime() / 1000);
      // While a rotated-out secret is live, both sign: a receiver with either one verifies.
      const secrets = signingSecrets(app.webhook_secret, app.webhook_secret_previous, app.webhook_secret_previous_until, at);
      result = await postWebhook(url, body, {
        'User-Agent': 'Capillary-Webhooks/1',
        'Capillary-Event-Id': d.event_id,
        'Capillary-Event-Topic': d.topic,
        'Capillary-Delivery-Id': d.id,
        'Capillary-Delivery-Attempt': String(d.attempt),
        'Capillary-Signature': signWebhook(secrets, body, t),
      }, this.o);
    }
    const ok = isSuccess(result.status_code);
    const next = ok
      ? ({ status: 'delivered' } as const)
      : mode === 'replay'
        ? ({ status: 'unchanged' } as const)
        : unusable
          ? ({ status: 'failed' } as const)
          : afterFailure(d.attempt, d.give_up_at, this.clock.now(), this.random, this.retry);
    await recordAttempt(
      this.db,
      {
        delivery_id: d.id,
        url,
        attempt: d.attempt,
        at,
        status_code: result.status_code,
        error: result.error,
        response_excerpt: result.excerpt,
        duration_ms: Math.round(performance.now() - started),
      },
      next,
      mode === 'scheduled',
    );
    return next.status === 'pending' ? 'retrying' : next.status;
  }
}
