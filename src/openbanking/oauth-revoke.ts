/**
 * Token revocation (RFC 7009). The client authenticates and sends a token it holds; a
 * refresh token revokes its whole family and the access tokens issued with it, an access
 * token is revoked by its jti until it would have expired. The answer is 200 whether or not
 * the token was known (a client learns nothing about other clients' tokens), unless the
 * request itself is wrong.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ClientAuthenticator } from './oauth-client-auth.js';
import { PATHS, formBody, noStore, oauthEndpoint, required, single, type OAuthApp, type OAuthContext } from './oauth-context.js';
import { hashToken, type TokenEndpoint } from './oauth-token.js';

const TOKEN_CHARS_MAX = 8_192;

async function revoke(ctx: OAuthContext, tokens: TokenEndpoint, app: OAuthApp, token: string, hint: string | undefined): Promise<void> {
  const now = ctx.now();
  const tryRefresh = async (): Promise<boolean> => {
    const row = await tokens.findRefresh(ctx.db, hashToken(token));
    if (!row || row.client_id !== app.id) return false;
    await tokens.revokeFamily(row.family_id, now);
    return true;
  };
  const tryAccess = async (): Promise<boolean> => {
    if (token.split('.').length !== 3) return false;
    const checked = await ctx.tokens.checkSignature(token, true);
    if (!checked.ok || checked.claims.client_id !== app.id) return false;
    await ctx.tokens.revoke(ctx.db, [{ jti: checked.claims.jti, expires_at: new Date(checked.claims.exp * 1000) }]);
    return true;
  };
  // The hint orders the lookups (RFC 7009 §2.1); an unknown hint is ignored.
  if (hint === 'access_token') {
    if (!(await tryAccess())) await tryRefresh();
  } else if (!(await tryRefresh())) {
    await tryAccess();
  }
}

const RevokeBody = Type.Object(
  {
    token: Type.String({ description: 'The access or refresh token to revoke' }),
    token_type_hint: Type.Optional(Type.String({ description: 'access_token or refresh_token (a hint only)' })),
  },
  { additionalProperties: true },
);

export function registerRevokeRoute(app: FastifyInstance, ctx: OAuthContext, clients: ClientAuthenticator, tokens: TokenEndpoint): void {
  app.post(
    PATHS.revoke,
    {
      config: { public: true },
      attachValidation: true,
      schema: {
        tags: ['oauth'],
        summary: 'Token revocation (RFC 7009)',
        description: 'application/x-www-form-urlencoded; client authentication required. 200 with an empty body whether or not the token was known.',
        consumes: ['application/x-www-form-urlencoded'],
        body: RevokeBody,
      },
    },
    async (req, reply) =>
      oauthEndpoint(async () => {
        const params = formBody(req);
        const { app: client } = await clients.authenticate(req.headers.authorization, params);
        const token = required(params, 'token');
        if (token.length <= TOKEN_CHARS_MAX) await revoke(ctx, tokens, client, token, single(params, 'token_type_hint'));
        return noStore(reply).status(200).send();
      }, reply),
  );
}
