/**
 * The naive baseline's HTTP server, a bench-only child process:
 * `node naive-server.js <pglite|postgres> <data folder | database url> <pool size>`.
 * Fastify with a JSON-schema-checked body and a bearer token, like the real server, and
 * one transaction per grab (./naive.ts). On PostgreSQL it has a pg pool of <pool size>;
 * on PGlite its own file-backed PGlite (one connection: transactions take turns).
 * The /bench routes set up and check its tables; they are not timed.
 */
import Fastify from 'fastify';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { openPostgres } from '../../src/db/postgres.js';
import { openPglite } from '../../src/db/pglite.js';
import { migrate } from '../../src/db/migrate.js';
import type { Db } from '../../src/db/port.js';
import { secureRandom } from '../../src/envelopes/random.js';
import { CUSTOMER_ID_PATTERN } from '../../src/envelopes/core.js';
import { pgSettings, serverVersion } from '../lib/database.js';
import type { BaseFromServer, BaseToServer } from '../lib/server-process.js';
import {
  createNaiveAccounts,
  createNaiveEnvelope,
  createNaiveSchema,
  naiveEnvelopeState,
  naiveGrab,
  naiveInvariants,
  naiveTransfer,
  type NaiveEnvelopeInput,
  type NaiveOutcome,
} from './naive.js';

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const STATUS_OF: Record<Extract<NaiveOutcome, { ok: false }>['code'], number> = {
  envelope_not_found: 404,
  not_in_audience: 403,
  envelope_empty: 409,
  envelope_expired: 409,
  already_grabbed: 409,
  account_not_found: 422,
  currency_mismatch: 422,
};

const send = (message: BaseFromServer) => process.send!(message);
const json = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

async function openDb(engine: string, where: string, pool_size_max: number): Promise<Db> {
  if (engine === 'postgres') return openPostgres({ connectionString: where, pool_size_max });
  if (engine === 'pglite') return openPglite(where);
  throw new Error(`engine must be pglite or postgres, got ${engine}`);
}

async function main(): Promise<void> {
  const [engine = '', where = '', pool = '20'] = process.argv.slice(2);
  if (!process.send) throw new Error('run me through child_process.fork (I talk over IPC)');
  // The parent gone (finished, crashed or killed) means nobody will ask us to stop: stop on our own, even mid-start.
  let stop: () => Promise<void> = async () => {};
  let stopAsked = false;
  process.on('disconnect', () => void stop().finally(() => process.exit(stopAsked ? 0 : 1)));
  const db = await openDb(engine, where, Number(pool));
  stop = () => db.close();
  await migrate(db); // Capillary's tables, which the naive ones copy (a no-op where the server already migrated)
  await createNaiveSchema(db);

  const token = `naive_${randomBytes(24).toString('base64url')}`;
  const expected = Buffer.from(`Bearer ${token}`);
  // Logging as the real server runs it in the benchmark: pino at warn (no per-request lines).
  const app = Fastify({ logger: { level: 'warn' }, bodyLimit: 8 << 20 });
  app.addHook('onRequest', async (req, reply) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.status(401).send({ code: 'unauthorized' });
  });

  app.post<{ Params: { id: string }; Body: { customer_id: string; account_id: string; link_token?: string } }>(
    '/v1/envelopes/:id/grabs',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: UUID_PATTERN } }, required: ['id'] },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['customer_id', 'account_id'],
          properties: {
            customer_id: { type: 'string', pattern: CUSTOMER_ID_PATTERN },
            account_id: { type: 'string', pattern: UUID_PATTERN },
            link_token: { type: 'string', maxLength: 64 },
          },
        },
      },
    },
    async (req, reply) => {
      const outcome = await naiveGrab(db, req.params.id.toLowerCase(), { ...req.body, account_id: req.body.account_id.toLowerCase() }, secureRandom);
      if (!outcome.ok) return reply.status(STATUS_OF[outcome.code]).type('application/problem+json').send({ code: outcome.code });
      const g = outcome.grab;
      return reply
        .status(outcome.replayed ? 200 : 201)
        .type('application/json')
        .send(json({ ...g, grabbed_at: g.grabbed_at.toISOString() }));
    },
  );

  app.post<{ Body: { ids: string[]; currency: string; code: number; limited: boolean } }>('/bench/accounts', async (req) => {
    await createNaiveAccounts(db, req.body.ids, req.body.currency, req.body.code, req.body.limited);
    return { created: req.body.ids.length };
  });
  app.post<{ Body: { debit: string; credit: string; amount: string; currency: string; code: number } }>('/bench/transfers', async (req) => {
    await naiveTransfer(db, req.body.debit, req.body.credit, BigInt(req.body.amount), req.body.currency, req.body.code);
    return { ok: true };
  });
  app.post<{ Body: Omit<NaiveEnvelopeInput, 'total_amount'> & { total_amount: string } }>('/bench/envelopes', async (req) => {
    await createNaiveEnvelope(db, { ...req.body, total_amount: BigInt(req.body.total_amount) });
    return { ok: true };
  });
  app.get<{ Params: { id: string } }>('/bench/envelopes/:id', async (req, reply) => {
    const state = await naiveEnvelopeState(db, req.params.id);
    if (!state) return reply.status(404).send({ code: 'envelope_not_found' });
    return reply.type('application/json').send(json(state));
  });
  app.get('/bench/invariants', async () => naiveInvariants(db));
  app.get('/bench/engine', async () => ({ version: await serverVersion(db), settings: engine === 'postgres' ? await pgSettings(db) : {} }));

  let stopping: Promise<void> | undefined;
  stop = () =>
    (stopping ??= (async () => {
      await app.close();
      await db.close();
    })());
  process.on('message', (message: BaseToServer) => {
    if (message.type !== 'stop') return;
    stopAsked = true;
    void stop()
      .then(() => send({ type: 'stopped' }))
      .catch((err: unknown) => send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) }))
      .finally(() => process.disconnect());
  });

  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  send({ type: 'ready', url, token });
}

main().catch((err) => {
  const message = err instanceof Error ? err.stack ?? err.message : String(err);
  if (process.send) process.send({ type: 'error', message } satisfies BaseFromServer);
  else console.error(message);
  process.exitCode = 1;
  if (process.connected) process.disconnect();
});
