import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { RATE_LIMIT_DEFAULTS } from './rate-limit.js';

describe('rate-limit and Redis settings', () => {
  it('defaults: in-process buckets with the documented limits', () => {
    const config = loadConfig({});
    expect(config.redis_url).toBeUndefined();
    expect(config.rate_limits).toEqual(RATE_LIMIT_DEFAULTS);
    expect(RATE_LIMIT_DEFAULTS).toEqual({
      client: { capacity: 1000, refill_per_s: 500 },
      customer: { capacity: 40, refill_per_s: 20 },
      key: { capacity: 100_000, refill_per_s: 50_000 },
    });
  });

  it('reads the rate, a burst defaulting to twice the rate, and 0 as off', () => {
    const config = loadConfig({ RATE_LIMIT_CLIENT_PER_S: '50', RATE_LIMIT_CUSTOMER_PER_S: '5', RATE_LIMIT_CUSTOMER_BURST: '7', RATE_LIMIT_KEY_PER_S: '0', REDIS_URL: 'redis://127.0.0.1:6379/2' });
    expect(config.rate_limits).toEqual({ client: { capacity: 100, refill_per_s: 50 }, customer: { capacity: 7, refill_per_s: 5 }, key: null });
    expect(config.redis_url).toBe('redis://127.0.0.1:6379/2');
    expect(loadConfig({ RATE_LIMIT_KEY_BURST: '10' }).rate_limits.key).toEqual({ capacity: 10, refill_per_s: 50_000 });
  });

  it('refuses values out of range, naming the variable', () => {
    expect(() => loadConfig({ RATE_LIMIT_CLIENT_PER_S: '-1' })).toThrow(/RATE_LIMIT_CLIENT_PER_S/);
    expect(() => loadConfig({ RATE_LIMIT_CUSTOMER_BURST: '0' })).toThrow(/RATE_LIMIT_CUSTOMER_BURST/);
    expect(() => loadConfig({ RATE_LIMIT_KEY_PER_S: '1.5' })).toThrow(/RATE_LIMIT_KEY_PER_S/);
    expect(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
  });
});
