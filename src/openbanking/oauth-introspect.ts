/**
 * Token introspection (RFC 7662), for the client that holds the token: it authenticates and
 * learns whether one of its own tokens is active, and what it carries. Tokens of other
 * clients, unknown, expired, revoked or rotated tokens, and tokens whose consent is no longer
 * authorised all read as {"active": false}.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { getConsent } from './consents-store.js';
import type { ClientAuthenticator } from './oauth-client-auth.js';
import { PATHS, formBody, noStore, oauthEndpoint, required, single, type OAuthApp, type OAuthContext } from './oauth-context.js';
import { hashToken, type TokenEndpoint } from './oauth-token.js';

const TOKEN_CHARS_MAX = 8_192;
const INACTIVE = { active: false } as const;

async function consentAuthorised(ctx: OAuthContext, consent_id: string | undefined, customer_id: string): Promise<boolean> {
  if (!consent_id) return true;
  const consent = await getConsent(ctx.db, consent_id, ctx.now());
  return consent?.status === 'authorised' && consent.customer_id === customer_id;
}

export async function introspect(ctx: OAuthContext, tokens: TokenEndpoint, app: OAuthApp, token: string, hint: string | undefined): Promise<Record<string, unknown>> {
  if (token.length > TOKEN_CHARS_MAX) return INACTIVE;
  const access = async (): Promise<Record<string, unknown> | undefined> => {
    if (token.split('.').length !== 3) return undefined;
    const verified = await ctx.tokens.verify(token);
    if (!verified.ok || verified.claims.client_id !== app.id) return undefined;
    const c = verified.claims;
    if (!(await consentAuthorised(ctx, c.consent_id, c.sub))) return undefined;
    return {
      active: true,
      token_type: c.cnf ? 'DPoP' : 'Bearer',
      scope: c.scope,
      client_id: c.client_id,
      sub: c.sub,
      iss: c.iss,
      aud: c.aud,
      iat: c.iat,
      exp: c.exp,
      jti: c.jti,
      ...(c.consent_id ? { consent_id: c.consent_id } : {}),
      ...(c.cnf ? { cnf: c.cnf } : {}),
    };
  };
  const refresh = async (): Promise<Record<string, unknown> | undefined> => {
    const row = await tokens.findRefresh(ctx.db, hashToken(token));
    if (!row || row.client_id !== app.id || row.revoked_at || row.rotated_at || row.expires_at.getTime() <= ctx.now().getTime()) return undefined;
    if (!(await consentAuthorised(ctx, row.consent_id, row.customer_id))) return undefined;
    return {
      active: true,
      token_type: 'refresh_token',
      scope: row.scope,
      client_id: row.client_id,
      sub: row.customer_id,
      iss: ctx.issuer(),
      exp: Math.floor(row.expires_at.getTime() / 1000),
      consent_id: row.consent_id,
      ...(row.dpop_jkt ? { cnf: { jkt: row.dpop_jkt } } : {}),
    };
  };
  const first = hint === 'refresh_token' ? refresh : access;
  const second = first === access ? refresh : access;
  return (await first()) ?? (await second()) ?? INACTIVE;
}

const IntrospectBody = Type.Object(
  {
    token: Type.String({ description: 'An access or refresh token issued to the calling client' }),
    token_type_hint: Type.Optional(Type.String({ description: 'access_token or refresh_token (a hint only)' })),
  },
  { additionalProperties: true },
);

export function registerIntrospectRoute(app: FastifyInstance, ctx: OAuthContext, clients: ClientAuthenticator, tokens: TokenEndpoint): void {
  app.post(
    PATHS.introspect,
    {
      config: { public: true },
      attachValidation: true,
      schema: {
        tags: ['oauth'],
        summary: 'Token introspection (RFC 7662)',
        description: 'application/x-www-form-urlencoded; client authentication required; answers only about the caller’s own tokens.',
        consumes: ['application/x-www-form-urlencoded'],
        body: IntrospectBody,
      },
    },
    async (req, reply) =>
      oauthEndpoint(async () => {
        const params = formBody(req);
        const { app: client } = await clients.authenticate(req.headers.authorization, params);
        const token = required(params, 'token');
        return noStore(reply).status(200).send(await introspect(ctx, tokens, client, token, single(params, 'token_type_hint')));
      }, reply),
  );
}
