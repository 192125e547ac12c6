/**
 * Buckets in Redis, so several API nodes share one limit. One Lua script refills and
 * takes from every bucket of a request atomically, with the time read from Redis (TIME),
 * not from the nodes' clocks; it runs by EVALSHA (loaded with SCRIPT LOAD, loaded again
 * after a Redis restart answers NOSCRIPT).
 *
 * When Redis does not answer, the request is limited by an in-process bucket instead
 * (the same limits, per node) and the failure is logged as an error at most every 10 s:
 * the API stays up, each node still enforces the limit on its own, and the shared limit
 * returns once Redis answers (tried again after `retry_after_failure_ms`).
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { checkLimit, type TakeResult } from './rate-limit.js';
import { MemoryRateLimitStore, type BucketRequest, type RateLimitStore } from './rate-limit-memory.js';

/**
 * KEYS: one hash per bucket (fields t = millitokens, u = updated ms).
 * ARGV: per bucket, capacity, refill_per_s and cost (whole tokens).
 * Returns { allowed (1/0), denied index (0-based, -1), now_ms, millitokens per bucket, updated_ms per bucket }.
 * The sums are those of refill() and takeAll() in rate-limit.ts. Lua numbers are doubles:
 * exact for integers below 2^53, which the bounds in rate-limit.ts keep to.
 */
export const TAKE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local n = #KEYS
local tokens, updated, caps, rates, costs = {}, {}, {}, {}, {}
local denied = -1
for i = 1, n do
  local cap = tonumber(ARGV[3 * i - 2]) * 1000
  local rate = tonumber(ARGV[3 * i - 1])
  local cost = tonumber(ARGV[3 * i]) * 1000
  caps[i], rates[i], costs[i] = cap, rate, cost
  local stored = redis.call('HMGET', KEYS[i], 't', 'u')
  local t, u = tonumber(stored[1]), tonumber(stored[2])
  if t == nil or u == nil then t, u = cap, now end
  if t > cap then t = cap end
  if t < 0 then t = 0 end
  if now > u then
    local fill_ms = math.ceil(cap / rate)
    local elapsed = now - u
    if elapsed > fill_ms then elapsed = fill_ms end
    t = math.min(cap, t + elapsed * rate)
    u = now
  end
  tokens[i], updated[i] = t, u
  if denied < 0 and t < cost then denied = i - 1 end
end
local out = { denied < 0 and 1 or 0, denied, now }
for i = 1, n do
  if denied < 0 then tokens[i] = tokens[i] - costs[i] end
  redis.call('HSET', KEYS[i], 't', tokens[i], 'u', updated[i])
  -- a bucket that has filled up again is the same as none: let Redis drop it
  redis.call('PEXPIRE', KEYS[i], math.ceil((caps[i] - tokens[i]) / rates[i]) + 1000)
  out[#out + 1] = tokens[i]
end
for i = 1, n do out[#out + 1] = updated[i] end
return out
`;

export const TAKE_SCRIPT_SHA = createHash('sha1').update(TAKE_SCRIPT).digest('hex');

export interface RedisStoreOptions {
  url: string;
  /** Prepended to every bucket key (tests use a unique one). */
  key_prefix?: string;
  /** A command that takes longer fails (and the in-process fallback answers). */
  command_timeout_ms?: number;
  /** After a failure, use the in-process buckets for this long before trying Redis again. */
  retry_after_failure_ms?: number;
  /** The fallback's clock (the app's clock). */
  now_ms: () => number;
  /** Where failures are reported (the app's logger). */
  log: { error(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

const FAILURE_LOG_EVERY_MS = 10_000;

export class RedisRateLimitStore implements RateLimitStore {
  readonly kind = 'redis';
  readonly redis: Redis;
  private readonly prefix: string;
  private readonly fallback: MemoryRateLimitStore;
  private readonly retry_after_failure_ms: number;
  private failed_until_ms = 0;
  private last_failure_log_ms = -Infinity;
  private failures_since_log = 0;
  /** Requests answered by the in-process fallback since the store was made (tests and logs). */
  fallback_takes = 0;

  constructor(private readonly options: RedisStoreOptions) {
    this.prefix = options.key_prefix ?? 'capillary:rl:';
    this.retry_after_failure_ms = options.retry_after_failure_ms ?? 1000;
    this.fallback = new MemoryRateLimitStore(options.now_ms);
    this.redis = new Redis(options.url, {
      // Fail at once while disconnected instead of queueing: the fallback answers.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.command_timeout_ms ?? 250,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      lazyConnect: false,
    });
    // ioredis emits 'error' on every failed (re)connect; without a listener Node would crash.
    this.redis.on('error', (err) => this.noteFailure(err));
  }

  async take(requests: readonly BucketRequest[]): Promise<TakeResult> {
    for (const r of requests) checkLimit(r.limit);
    if (this.options.now_ms() < this.failed_until_ms || this.redis.status !== 'ready') return this.fallbackTake(requests);
    try {
      return await this.run(requests);
    } catch (err) {
      this.noteFailure(err);
      this.failed_until_ms = this.options.now_ms() + this.retry_after_failure_ms;
      return this.fallbackTake(requests);
    }
  }

  /** Resolves once connected; rejects after `timeout_ms` (tests, and a start-up log line). */
  async ready(timeout_ms = 5000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new Error(`Redis not ready after ${timeout_ms} ms`));
      }, timeout_ms);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
    });
  }

  private fallbackTake(requests: readonly BucketRequest[]): TakeResult {
    this.fallback_takes++;
    return this.fallback.takeNow(requests);
  }

  private async run(requests: readonly BucketRequest[]): Promise<TakeResult> {
    const keys = requests.map((r) => this.prefix + r.key);
    const args = requests.flatMap((r) => [r.limit.capacity, r.limit.refill_per_s, r.cost]);
    let reply: unknown;
    try {
      reply = await this.redis.evalsha(TAKE_SCRIPT_SHA, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      await this.redis.script('LOAD', TAKE_SCRIPT);
      reply = await this.redis.evalsha(TAKE_SCRIPT_SHA, keys.length, ...keys, ...args);
    }
    return parseReply(reply, requests.length);
  }

  private noteFailure(err: unknown): void {
    this.failures_since_log++;
    const now = Date.now(); // log pacing only
    if (now - this.last_failure_log_ms < FAILURE_LOG_EVERY_MS) return;
    this.last_failure_log_ms = now;
    this.options.log.error(
      { err, failures: this.failures_since_log },
      'rate limits: Redis does not answer; each node limits with its own in-process buckets until it does',
    );
    this.failures_since_log = 0;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.fallback.close();
  }
}

function parseReply(reply: unknown, n: number): TakeResult {
  if (!Array.isArray(reply) || reply.length !== 3 + 2 * n) throw new Error(`unexpected reply from the rate-limit script: ${JSON.stringify(reply)}`);
  const nums = reply.map((v) => Number(v));
  const states = Array.from({ length: n }, (_, i) => ({ millitokens: nums[3 + i]!, updated_ms: nums[3 + n + i]! }));
  for (const s of states) if (!Number.isSafeInteger(s.millitokens) || s.millitokens < 0 || s.millitokens % 1 !== 0) throw new Error(`bad token count from Redis: ${s.millitokens}`);
  return { allowed: nums[0] === 1, denied_index: nums[1]!, states };
}

