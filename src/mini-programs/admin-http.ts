/**
 * Operator routes for a partner app's mini-program (API key with `openbanking:admin`):
 * PUT/GET /v1/partner-apps/{client_id}/mini-program.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import { ADMIN_TAG, Timestamp, errorResponses, fail } from '../openbanking/http-common.js';
import { BRIDGE_SCOPES, CONNECT_ORIGINS_MAX, NAME_LENGTH_MAX } from './core.js';
import { miniProgramJson, setMiniProgram } from './admin.js';
import { findMiniProgram } from './store.js';

const tags = [ADMIN_TAG];
const config = { scope: 'openbanking:admin' as const };
const Params = Type.Object({ client_id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$', description: 'The partner app (client_id)' }) });
const BridgeScope = Type.Union(BRIDGE_SCOPES.map((s) => Type.Literal(s)));
const Status = Type.Union([Type.Literal('live'), Type.Literal('hidden')], { description: 'live: listed in the app; hidden: not listed, bridge calls refused' });

export const MiniProgramView = Type.Object({
  client_id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  icon: Type.String(),
  entry_path: Type.String(),
  entry_url: Type.String({ description: 'Where the app frames it: /mini-programs/<slug>/<entry_path>' }),
  bridge_scopes: Type.Array(Type.String()),
  merchant_account_id: Type.Union([Type.String(), Type.Null()]),
  connect_origins: Type.Array(Type.String()),
  status: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const MiniProgramSet = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 40, description: 'Its folder under /mini-programs/ (lower-case letters, digits, hyphens)' }),
    name: Type.String({ minLength: 1, maxLength: NAME_LENGTH_MAX }),
    icon: Type.String({ minLength: 1, maxLength: 200, description: 'An image file in its folder, e.g. icon.svg' }),
    entry_path: Type.String({ minLength: 1, maxLength: 200, description: 'The page the app frames, relative to its folder, e.g. index.html' }),
    bridge_scopes: Type.Array(BridgeScope, { maxItems: BRIDGE_SCOPES.length, description: 'What it may ask the host for' }),
    merchant_account_id: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The ledger account requestPayment pays into (required with the payment scope)' })),
    connect_origins: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: CONNECT_ORIGINS_MAX, description: "The partner's own https origins its pages may fetch (CSP connect-src); none by default" })),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
);

export function registerMiniProgramAdminRoutes(root: FastifyInstance, db: Db, clock: Clock): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.put(
    '/v1/partner-apps/:client_id/mini-program',
    {
      config,
      schema: {
        tags,
        summary: "Set a partner app's mini-program (create or replace)",
        params: Params,
        body: MiniProgramSet,
        response: { 200: MiniProgramView, ...errorResponses },
      },
    },
    async (req) => {
      const result = await setMiniProgram(db, req.params.client_id, req.body, clock.now());
      if (!result.ok) fail(result);
      return miniProgramJson(result.mini_program);
    },
  );

  app.get(
    '/v1/partner-apps/:client_id/mini-program',
    { config, schema: { tags, summary: "A partner app's mini-program", params: Params, response: { 200: MiniProgramView, ...errorResponses } } },
    async (req) => {
      const found = await findMiniProgram(db, req.params.client_id);
      if (!found) throw new ProblemError('mini_program_not_found', `partner app ${req.params.client_id} has no mini-program`);
      return miniProgramJson(found);
    },
  );
}
