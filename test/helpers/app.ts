/**
 * The in-process harness: a fresh database for the engine under test, the real app
 * listening on 127.0.0.1 (port 0), and API keys of each kind.
 */
import type { AddressInfo } from 'node:net';
import { buildApp, type App } from '../../src/server/app.js';
import { ManualClock, systemClock, type Clock } from '../../src/server/clock.js';
import { createKey } from '../../src/auth/store.js';
import type { Scope } from '../../src/auth/core.js';
import type { Queryable } from '../../src/db/port.js';
import { openDb } from '../../src/db/open.js';
import { migrate } from '../../src/db/migrate.js';
import { createPgDatabase, openTestDb, type TestDb } from './db.js';
import { Client } from './http.js';
import type { WriterOptions } from '../../src/ledger/writer.js';

export interface Keys {
  admin: string;
  read: string;
  write: string;
  /** ledger:read + ledger:write: what an ordinary client holds. */
  rw: string;
  metrics: string;
  /** envelopes:read + envelopes:write + ledger:read + ledger:write: a red-envelope client that also reads balances. */
  envelopes: string;
  /** envelopes:read only. */
  envelopes_read: string;
  /** risk:decide only: what a channel asking for decisions holds. */
  risk_decide: string;
  /** risk:read only. */
  risk_read: string;
  /** risk:cases only: an analyst working review cases. */
  risk_cases: string;
  /** risk:admin + risk:read: a risk officer editing rule sets, lists, models and policies. */
  risk_admin: string;
}

export const KEY_SCOPES: Record<keyof Keys, Scope[]> = {
  admin: ['admin'],
  read: ['ledger:read'],
  write: ['ledger:write'],
  rw: ['ledger:read', 'ledger:write'],
  metrics: ['metrics:read'],
  envelopes: ['envelopes:read', 'envelopes:write', 'ledger:read', 'ledger:write'],
  envelopes_read: ['envelopes:read'],
  risk_decide: ['risk:decide'],
  risk_read: ['risk:read'],
  risk_cases: ['risk:cases'],
  risk_admin: ['risk:admin', 'risk:read'],
};

export async function createKeys(db: Queryable, now: Date): Promise<Keys> {
  const out = {} as Keys;
  for (const [name, scopes] of Object.entries(KEY_SCOPES) as [keyof Keys, Scope[]][]) {
    out[name] = (await createKey(db, `test-${name}`, scopes, now)).token;
  }
  return out;
}

export interface TestApp<C extends Clock = Clock> {
  app: App;
  testDb: TestDb;
  clock: C;
  base: string;
  keys: Keys;
  /** A client holding the rw key. */
  api: Client;
  /** A client holding the admin key. */
  admin: Client;
  close(): Promise<void>;
}

export async function startTestApp<C extends Clock = Clock>(options: { clock?: C; writer?: WriterOptions } = {}): Promise<TestApp<C>> {
  const clock = (options.clock ?? systemClock) as C;
  const testDb = await openTestDb();
  let app: App | undefined;
  try {
    // CAPILLARY_TEST_LOG_LEVEL=error shows the app's logs (e.g. the stack of a 500) while debugging a test.
    app = await buildApp({ db: testDb.db, clock, log_level: process.env.CAPILLARY_TEST_LOG_LEVEL || 'silent', writer: options.writer });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    const keys = await createKeys(testDb.db, clock.now());
    const started = app;
    return {
      app: started,
      testDb,
      clock,
      base,
      keys,
      api: new Client(base, keys.rw),
      admin: new Client(base, keys.admin),
      async close() {
        await started.close();
        await testDb.close();
      },
    };
  } catch (err) {
    await app?.close().catch(() => {});
    await testDb.close();
    throw err;
  }
}

export { ManualClock };

/**
 * A database a spawned server will use, prepared in this process: migrated, with API keys.
 * PGlite: a folder under `data_dir` (the process must close it before a server opens it).
 * PostgreSQL: a new database, dropped by `drop()`.
 */
export interface PreparedData {
  env: { data_dir?: string; database_url?: string };
  keys: Keys;
  drop(): Promise<void>;
}

export async function prepareServerData(engine: 'pglite' | 'postgres', data_dir: string): Promise<PreparedData> {
  if (engine === 'pglite') {
    const db = await openDb({ data_dir });
    try {
      await migrate(db);
      const keys = await createKeys(db, new Date());
      return { env: { data_dir }, keys, drop: async () => {} };
    } finally {
      await db.close();
    }
  }
  const database = await createPgDatabase();
  const db = await openDb({ database_url: database.url, data_dir: 'unused' });
  try {
    await migrate(db);
    const keys = await createKeys(db, new Date());
    return { env: { database_url: database.url }, keys, drop: () => database.drop() };
  } catch (err) {
    await database.drop();
    throw err;
  } finally {
    await db.close();
  }
}
