/**
 * Authorization server metadata (RFC 8414) at /.well-known/oauth-authorization-server and,
 * with the same content, /.well-known/openid-configuration; the JWKS at /oauth/jwks.
 * This server issues no ID tokens, so the OpenID document carries only the OAuth fields.
 */
import type { FastifyInstance } from 'fastify';
import { CLIENT_ASSERTION_ALGS } from './oauth-client-auth.js';
import { PATHS, type OAuthContext } from './oauth-context.js';
import { DPOP_ALGS } from './oauth-dpop.js';
import { SIGNING_ALG } from './oauth-keys.js';
import { PARTNER_SCOPES } from './principal.js';

export function authorizationServerMetadata(ctx: OAuthContext): Record<string, unknown> {
  const auth_methods = ['private_key_jwt', 'client_secret_basic'];
  return {
    issuer: ctx.issuer(),
    authorization_endpoint: ctx.url(PATHS.authorize),
    token_endpoint: ctx.url(PATHS.token),
    pushed_authorization_request_endpoint: ctx.url(PATHS.par),
    require_pushed_authorization_requests: true,
    jwks_uri: ctx.url(PATHS.jwks),
    revocation_endpoint: ctx.url(PATHS.revoke),
    introspection_endpoint: ctx.url(PATHS.introspect),
    scopes_supported: [...PARTNER_SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: auth_methods,
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    revocation_endpoint_auth_methods_supported: auth_methods,
    revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    introspection_endpoint_auth_methods_supported: auth_methods,
    introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    authorization_response_iss_parameter_supported: true,
    access_token_signing_alg_values_supported: [SIGNING_ALG],
    service_documentation: ctx.url('/docs'),
  };
}

export function registerDiscoveryRoutes(app: FastifyInstance, ctx: OAuthContext): void {
  const open = { config: { public: true }, schema: { tags: ['oauth'] } };
  const metadata = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    reply.header('cache-control', 'public, max-age=300');
    return authorizationServerMetadata(ctx);
  };
  app.get('/.well-known/oauth-authorization-server', { ...open, schema: { ...open.schema, summary: 'Authorization server metadata (RFC 8414)' } }, metadata);
  app.get('/.well-known/openid-configuration', { ...open, schema: { ...open.schema, summary: 'The same metadata at the OpenID discovery address' } }, metadata);
  app.get(PATHS.jwks, { ...open, schema: { ...open.schema, summary: 'The public keys access tokens are signed with (JWKS)' } }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300').type('application/jwk-set+json');
    return ctx.keys.jwks();
  });
}
