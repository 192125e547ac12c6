/**
 * An app for the idempotency and rate-limit tests: the real app with chosen rate limits
 * and clock, plus test-only routes. The open-banking token guard belongs to other code,
 * so a partner route here is public and a route-level onRequest hook sets `req.partner`
 * from test headers (x-test-client, x-test-customer): what the guard would have set.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { buildApp, type App } from '../../src/server/app.js';
import type { Clock } from '../../src/server/clock.js';
import type { RateLimitOptions } from '../../src/server/rate-limit-hook.js';
import type { Db } from '../../src/db/port.js';
import { createKeys, type Keys } from './app.js';
import { openTestDb, type TestDb } from './db.js';
import { Client } from './http.js';

export interface PlatformApp {
  app: App;
  db: Db;
  base: string;
  api: Client;
  admin: Client;
  keys: Keys;
  close(): Promise<void>;
}

/** Sets req.partner the way the open-banking guard does, from test headers. */
export async function partnerFromTestHeaders(req: FastifyRequest): Promise<void> {
  const client = req.headers['x-test-client'];
  if (typeof client !== 'string') return;
  const customer = req.headers['x-test-customer'];
  req.partner = {
    client_id: client,
    mode: 'sandbox',
    scopes: ['payments'],
    token_id: 'test-token',
    ...(typeof customer === 'string' ? { customer_id: customer, consent_id: 'test-consent' } : {}),
  };
}

export async function startPlatformApp(options: {
  clock: Clock;
  rate_limits?: RateLimitOptions;
  /** Another app on the same database (two nodes): pass its db and keys. */
  shared?: { db: Db; keys: Keys };
  routes?: (app: FastifyInstance) => void;
}): Promise<PlatformApp> {
  let testDb: TestDb | undefined;
  const db = options.shared?.db ?? (testDb = await openTestDb()).db;
  let app: App | undefined;
  try {
    app = await buildApp({ db, clock: options.clock, log_level: process.env.CAPILLARY_TEST_LOG_LEVEL || 'silent', rate_limits: options.rate_limits });
    options.routes?.(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const keys = options.shared?.keys ?? (await createKeys(db, options.clock.now()));
    const started = app;
    return {
      app: started,
      db,
      base,
      keys,
      api: new Client(base, keys.rw),
      admin: new Client(base, keys.admin),
      async close() {
        await started.close();
        await testDb?.close();
      },
    };
  } catch (err) {
    await app?.close().catch(() => {});
    await testDb?.close();
    throw err;
  }
}
