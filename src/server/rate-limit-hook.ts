/**
 * Rate limits as a Fastify preParsing hook: after authentication (every onRequest hook,
 * the API-key check and the open-banking token guard, has run), before the body is read.
 * Buckets: per partner app (`client`) and per customer of that app (`customer`) on
 * open-banking routes; per API key (`key`) on API-key routes. Each limited response carries
 * RateLimit-Limit / -Remaining / -Reset / -Policy (draft-ietf-httpapi-ratelimit-headers-06);
 * a refused one is a 429 problem+json `rate_limited` with Retry-After and `limit` naming the bucket.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from './clock.js';
import { problemBody } from './problem.js';
import { checkLimit, RATE_LIMIT_DEFAULTS, viewOf, type BucketLimit, type LimitName, type RateLimitSettings } from './rate-limit.js';
import { MemoryRateLimitStore, type BucketRequest, type RateLimitStore } from './rate-limit-memory.js';
import { RedisRateLimitStore } from './rate-limit-redis.js';

const REQUEST_COST = 1;

const LIMIT_WORDS: Record<LimitName, string> = {
  client: "the partner app's rate limit",
  customer: "the rate limit for this customer's requests through the partner app",
  key: "the API key's rate limit",
};

interface Named {
  name: LimitName;
  request: BucketRequest;
}

/** The buckets a request takes from, in order (the first refusing one is reported). */
export function bucketsFor(req: FastifyRequest, settings: RateLimitSettings): Named[] {
  const out: Named[] = [];
  const add = (name: LimitName, limit: BucketLimit | null, key: string) => {
    if (limit) out.push({ name, request: { key, limit, cost: REQUEST_COST } });
  };
  if (req.partner) {
    add('client', settings.client, `client:${req.partner.client_id}`);
    // Per customer of each app: one app's traffic for a customer does not eat another app's.
    if (req.partner.customer_id !== undefined) add('customer', settings.customer, `customer:${req.partner.client_id}:${req.partner.customer_id}`);
  } else if (req.apiKey) {
    add('key', settings.key, `key:${req.apiKey.id}`);
  }
  return out;
}

/** `1000;w=2`: the quota (capacity) and the seconds an empty bucket takes to refill. */
const policyOf = (limit: BucketLimit) => `${limit.capacity};w=${Math.max(1, Math.ceil(limit.capacity / limit.refill_per_s))}`;

export interface RateLimitOptions {
  settings?: Partial<RateLimitSettings>;
  /** Shares buckets between nodes; unset means in-process buckets. */
  redis_url?: string;
  /** A store made by the caller (tests); closed by the caller. */
  store?: RateLimitStore;
}

/** Registers the hook; returns the store (the app closes a store it made itself). */
export function registerRateLimits(app: FastifyInstance, clock: Clock, options: RateLimitOptions = {}): RateLimitStore {
  const settings: RateLimitSettings = { ...RATE_LIMIT_DEFAULTS, ...options.settings };
  for (const limit of Object.values(settings)) if (limit) checkLimit(limit);
  const now_ms = () => clock.now().getTime();
  const store =
    options.store ??
    (options.redis_url ? new RedisRateLimitStore({ url: options.redis_url, now_ms, log: app.log }) : new MemoryRateLimitStore(now_ms));
  if (!options.store) app.addHook('onClose', async () => store.close());
  if (store instanceof RedisRateLimitStore) {
    void store.ready().then(
      () => app.log.info('rate limits: buckets in Redis, shared by every node'),
      () => {}, // the store logs the failure itself
    );
  }

  app.addHook('preParsing', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    if (!req.routeOptions.url) return payload;
    const buckets = bucketsFor(req, settings);
    if (buckets.length === 0) return payload;
    const result = await store.take(buckets.map((b) => b.request));
    const views = buckets.map((b, i) => viewOf(b.request.limit, result.states[i]!, b.request.cost));
    // The fields describe the bucket closest to running out (the one that refused, if any).
    let shown = result.denied_index;
    if (shown < 0) shown = views.reduce((best, v, i) => (v.remaining < views[best]!.remaining ? i : best), 0);
    const view = views[shown]!;
    reply.header('ratelimit-limit', String(view.limit));
    reply.header('ratelimit-remaining', String(view.remaining));
    reply.header('ratelimit-reset', String(view.reset_s));
    reply.header('ratelimit-policy', buckets.map((b) => policyOf(b.request.limit)).join(', '));
    if (result.allowed) return payload;

    const name = buckets[shown]!.name;
    const limit = buckets[shown]!.request.limit;
    reply
      .code(429)
      .header('retry-after', String(view.retry_after_s))
      .type('application/problem+json')
      .send({
        ...problemBody(
          'rate_limited',
          `${LIMIT_WORDS[name]} is used up (${limit.refill_per_s} requests/s, bursts of up to ${limit.capacity}); retry after ${view.retry_after_s} s`,
          { instance: req.url, request_id: String(req.id) },
        ),
        limit: name,
      });
    return reply;
  });
  return store;
}
