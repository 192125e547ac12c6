/** Admin routes for API keys. The token is returned once, at creation. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import type { Authenticator } from './authenticator.js';
import { SCOPES, type ApiKey } from './core.js';
import { createKey, listKeys, revokeKey } from './store.js';

const KeyView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  created_at: Type.String(),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

const keyJson = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  created_at: k.created_at.toISOString(),
  revoked_at: k.revoked_at?.toISOString() ?? null,
});

export function registerKeyRoutes(root: FastifyInstance, db: Db, clock: Clock, authenticator: Authenticator): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { scope: 'admin' as const };

  app.post(
    '/v1/api-keys',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Create an API key; the token is in this response only',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            scopes: Type.Array(Type.Union(SCOPES.map((s) => Type.Literal(s))), { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ key: KeyView, token: Type.String() }) },
      },
    },
    async (req, reply) => {
      const { key, token } = await createKey(db, req.body.name, req.body.scopes, clock.now());
      req.log.info({ key_id: key.id, scopes: key.scopes, by: req.apiKey?.id }, 'api key created');
      return reply.status(201).send({ key: keyJson(key), token });
    },
  );

  app.get('/v1/api-keys', { config: admin, schema: { tags: ['admin'], summary: 'List API keys (never their secrets)', response: { 200: Type.Object({ data: Type.Array(KeyView) }) } } }, async () => ({
    data: (await listKeys(db)).map(keyJson),
  }));

  app.delete(
    '/v1/api-keys/:id',
    { config: admin, schema: { tags: ['admin'], summary: 'Revoke an API key', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: KeyView } } },
    async (req) => {
      const key = await revokeKey(db, req.params.id, clock.now());
      if (!key) throw new ProblemError('api_key_not_found', `no API key ${req.params.id}`);
      authenticator.forget(key.id);
      req.log.info({ key_id: key.id, by: req.apiKey?.id }, 'api key revoked');
      return keyJson(key);
    },
  );
}
