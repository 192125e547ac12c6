/**
 * Operator routes for partner apps (API key with `openbanking:admin`):
 * POST/GET /v1/partner-apps, GET/PATCH /v1/partner-apps/{id}, POST /v1/partner-apps/{id}/secret.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { decodeCursor, encodeCursor } from '../server/cursor.js';
import { ProblemError } from '../server/problem.js';
import { PARTNER_SCOPES } from './principal.js';
import { JWKS_KEYS_MAX, REDIRECT_URIS_MAX, URI_LENGTH_MAX, WEBHOOK_SECRET_OVERLAP_MS } from './apps.js';
import { appJson, patchPartnerApp, registerPartnerApp, rotatePartnerSecret } from './apps-admin.js';
import { APP_PAGE_MAX, findApp, listApps } from './apps-store.js';
import { ADMIN_TAG, NextCursor, Timestamp, errorResponses, fail } from './http-common.js';

const tags = [ADMIN_TAG];
const config = { scope: 'openbanking:admin' as const };

const Mode = Type.Union([Type.Literal('sandbox'), Type.Literal('live')], { description: 'sandbox apps see only sandbox customers and accounts' });
const ScopeName = Type.Union(PARTNER_SCOPES.map((s) => Type.Literal(s)));
const Url = Type.String({ minLength: 1, maxLength: URI_LENGTH_MAX });
const Jwks = Type.Object(
  { keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: JWKS_KEYS_MAX }) },
  { description: 'Public keys (JWK Set) for private_key_jwt; keys with private members (d, …) are refused' },
);
const ClientId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$', description: 'The client_id' });

export const AppView = Type.Object({
  client_id: Type.String(),
  name: Type.String(),
  mode: Type.String(),
  status: Type.String({ description: 'active | disabled (a disabled app gets no tokens and its tokens stop working)' }),
  redirect_uris: Type.Array(Type.String()),
  allowed_scopes: Type.Array(Type.String()),
  token_endpoint_auth_method: Type.String(),
  jwks: Type.Union([Type.Object({ keys: Type.Array(Type.Unknown()) }), Type.Null()]),
  webhook_url: Type.Union([Type.String(), Type.Null()]),
  dpop_bound_access_tokens: Type.Boolean(),
  has_client_secret: Type.Boolean(),
  has_webhook_secret: Type.Boolean(),
  webhook_secret_previous_expires_at: Type.Union([Timestamp, Type.Null()], {
    description: 'After a webhook secret rotation: when the replaced secret stops (or stopped) signing deliveries beside the new one; null if there is none (never rotated, or the webhook was removed)',
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
});
const AppWithSecrets = Type.Object({
  ...AppView.properties,
  client_secret: Type.Optional(Type.String({ description: 'Shown once: store it now' })),
  webhook_secret: Type.Optional(Type.String({ description: 'Shown once: the HMAC key webhooks are signed with' })),
});

const AppCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    mode: Mode,
    redirect_uris: Type.Array(Url, { minItems: 1, maxItems: REDIRECT_URIS_MAX, description: 'Absolute https URLs (http only for localhost/127.0.0.1), no fragment; matched exactly' }),
    allowed_scopes: Type.Array(ScopeName, { minItems: 1, maxItems: PARTNER_SCOPES.length }),
    token_endpoint_auth_method: Type.Union([Type.Literal('private_key_jwt'), Type.Literal('client_secret_basic')], {
      description: 'private_key_jwt (recommended, FAPI 2.0): send jwks; client_secret_basic: a secret is generated and shown once',
    }),
    jwks: Type.Optional(Jwks),
    webhook_url: Type.Optional(Type.Union([Url, Type.Null()])),
    dpop_bound_access_tokens: Type.Optional(Type.Boolean({ description: 'Sender-constrained tokens (FAPI 2.0): the token endpoint requires a DPoP proof and binds every token to its key' })),
  },
  { additionalProperties: false },
);

const AppPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    redirect_uris: Type.Optional(Type.Array(Url, { minItems: 1, maxItems: REDIRECT_URIS_MAX })),
    allowed_scopes: Type.Optional(Type.Array(ScopeName, { minItems: 1, maxItems: PARTNER_SCOPES.length })),
    jwks: Type.Optional(Jwks),
    webhook_url: Type.Optional(Type.Union([Url, Type.Null()], { description: 'null removes the webhook and its secrets (the previous one too)' })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    dpop_bound_access_tokens: Type.Optional(Type.Boolean({ description: 'Sender-constrained tokens (FAPI 2.0): the token endpoint requires a DPoP proof and binds every token to its key' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

const Params = Type.Object({ id: ClientId });
const ID_CURSOR = /^([A-Za-z0-9._:-]{1,64})$/;

export function registerPartnerAppRoutes(root: FastifyInstance, db: Db, clock: Clock): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/v1/partner-apps',
    {
      config,
      schema: {
        tags,
        summary: 'Register a partner app (an OAuth 2.0 client)',
        description:
          'Answers 201 with the client_id and, once, the generated client secret (client_secret_basic) and webhook secret (when webhook_url is set). ' +
          'Only hashes of client secrets are stored.',
        body: AppCreate,
        response: { 201: AppWithSecrets, ...errorResponses },
      },
    },
    async (req, reply) => {
      const result = await registerPartnerApp(db, req.body, clock.now());
      if (!result.ok) fail(result);
      req.log.info({ client_id: result.app.id, mode: result.app.mode, key_id: req.apiKey?.id }, 'partner app registered');
      return reply.status(201).send({ ...appJson(result.app), ...result.secrets });
    },
  );

  app.get(
    '/v1/partner-apps',
    {
      config,
      schema: {
        tags,
        summary: 'Partner apps, by client_id',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: APP_PAGE_MAX, default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 100 })),
        }),
        response: { 200: Type.Object({ data: Type.Array(AppView), next_cursor: NextCursor }), ...errorResponses },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const after = decodeCursor(req.query.cursor, ID_CURSOR)?.[0];
      const rows = await listApps(db, after, limit + 1);
      const page = rows.slice(0, limit);
      return { data: page.map(appJson), next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null };
    },
  );

  app.get(
    '/v1/partner-apps/:id',
    { config, schema: { tags, summary: 'A partner app (never its secrets)', params: Params, response: { 200: AppView, ...errorResponses } } },
    async (req) => {
      const found = await findApp(db, req.params.id);
      if (!found) throw new ProblemError('partner_app_not_found', `no partner app ${req.params.id}`);
      return appJson(found);
    },
  );

  app.patch(
    '/v1/partner-apps/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Change redirect URIs, scopes, JWKS, webhook URL, or disable/enable the app',
        description:
          'Fields left out stay as they are. Disabling stops the token endpoint issuing tokens to the app and every open-banking call with its tokens. ' +
          'Setting a webhook URL on an app without a webhook secret answers the new secret once.',
        params: Params,
        body: AppPatch,
        response: { 200: AppWithSecrets, ...errorResponses },
      },
    },
    async (req) => {
      const result = await patchPartnerApp(db, req.params.id, req.body, clock.now());
      if (!result.ok) fail(result);
      req.log.info({ client_id: result.app.id, fields: Object.keys(req.body), key_id: req.apiKey?.id }, 'partner app changed');
      return { ...appJson(result.app), ...result.secrets };
    },
  );

  app.post(
    '/v1/partner-apps/:id/secret',
    {
      config,
      schema: {
        tags,
        summary: 'Rotate the client secret or the webhook secret (the new one is shown once)',
        description:
          `An old client secret stops working at once. An old webhook secret keeps signing deliveries, beside the new one, for ${WEBHOOK_SECRET_OVERLAP_MS / 3_600_000} hours ` +
          '(until webhook_secret_previous_expires_at); rotating the webhook secret again within that time drops it.',
        params: Params,
        body: Type.Object({ kind: Type.Union([Type.Literal('client_secret'), Type.Literal('webhook_secret')]) }, { additionalProperties: false }),
        response: { 200: AppWithSecrets, ...errorResponses },
      },
    },
    async (req) => {
      const result = await rotatePartnerSecret(db, req.params.id, req.body.kind, clock.now());
      if (!result.ok) fail(result);
      req.log.info({ client_id: result.app.id, kind: req.body.kind, key_id: req.apiKey?.id }, 'partner secret rotated');
      return { ...appJson(result.app), ...result.secrets };
    },
  );
}
