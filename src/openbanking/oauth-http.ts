/**
 * The OAuth 2.0 authorization server's routes and the access-token guard, registered by
 * one call from app.ts. The form-body parser lives in an encapsulated scope, so only these
 * routes accept application/x-www-form-urlencoded.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import type { RateLimitStore } from '../server/rate-limit-memory.js';
import { ClientAuthenticator } from './oauth-client-auth.js';
import { FORM_BYTES_MAX, OAuthContext, PATHS, parseForm } from './oauth-context.js';
import { registerDiscoveryRoutes } from './oauth-discovery.js';
import { createTokenGuard, scopesOf } from './oauth-guard.js';
import type { PartnerRouteRequirement } from './principal.js';
import { registerParRoute } from './oauth-par.js';
import { registerAuthorizeRoutes } from './oauth-authorize.js';
import { registerTokenRoute, TokenEndpoint } from './oauth-token.js';
import { registerRevokeRoute } from './oauth-revoke.js';
import { registerIntrospectRoute } from './oauth-introspect.js';
import { registerConsentManagementRoutes } from './oauth-consents.js';

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  accounts: 'read consented accounts, balances and transactions (account_access consents)',
  payments: 'initiate payments under a payment_initiation consent; the app\'s own consent calls',
  funds_confirmation: 'ask whether funds are available (funds_confirmation consents)',
  envelopes: 'red envelopes for consenting customers',
  loans: 'loan applications for consenting customers',
  risk: 'risk checks',
};

const OAUTH_PUBLIC_PATHS = new Set<string>([...Object.values(PATHS), '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']);

export interface OAuthDeps {
  db: Db;
  clock: Clock;
  /** The issuer URL (config PUBLIC_URL). Absent: http://<listening address>:<port>, known once the server listens. */
  public_url?: string | undefined;
  /** How long the token guard trusts an app's status between reads. */
  app_cache_ttl_ms?: number | undefined;
  /** The app's rate-limit store (shared through Redis when configured): throttles password sign-ins. */
  rate_limits?: RateLimitStore | undefined;
}

/** What the rest of the app (and tests) reach: the shared context and the token endpoint's issuing logic. */
export interface OAuthServer {
  ctx: OAuthContext;
  clients: ClientAuthenticator;
  tokens: TokenEndpoint;
}

/** The OpenAPI security scheme of open-banking routes (the swagger config in app.ts names it). */
export const OAUTH2_SECURITY_SCHEME = {
  type: 'oauth2',
  description:
    'OAuth 2.0 access token (JWT, 300 s) from /oauth/token: `Authorization: Bearer <token>`, or `Authorization: DPoP <token>` plus a `DPoP` proof header for sender-constrained tokens. See docs/open-banking.md.',
  flows: {
    clientCredentials: { tokenUrl: PATHS.token, scopes: SCOPE_DESCRIPTIONS },
    authorizationCode: { authorizationUrl: PATHS.authorize, tokenUrl: PATHS.token, refreshUrl: PATHS.token, scopes: SCOPE_DESCRIPTIONS },
  },
} as const;

export function registerOAuthRoutes(app: FastifyInstance, deps: OAuthDeps): OAuthServer {
  let fallback: string | undefined;
  const issuer = (): string => {
    if (deps.public_url) return deps.public_url.replace(/\/+$/, '');
    if (fallback) return fallback;
    const address = app.server.address() as AddressInfo | null;
    if (!address || typeof address !== 'object') throw new Error('PUBLIC_URL is not set and the server is not listening yet');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    fallback = `http://${host}:${address.port}`;
    return fallback;
  };
  const ctx = new OAuthContext(deps.db, deps.clock, issuer, deps.app_cache_ttl_ms, deps.rate_limits);
  const clients = new ClientAuthenticator(ctx);
  const tokens = new TokenEndpoint(ctx, clients);

  app.addHook('onRequest', createTokenGuard(ctx));
  // Open-banking routes registered after this point show the OAuth scheme and their scope in the OpenAPI document;
  // the OAuth endpoints themselves authenticate clients their own way (no API key).
  app.addHook('onRoute', (route) => {
    const partner = (route.config as { partner?: PartnerRouteRequirement } | undefined)?.partner;
    if (!partner && !OAUTH_PUBLIC_PATHS.has(route.url)) return;
    const schema = (route.schema ??= {}) as { security?: unknown[] };
    if (schema.security !== undefined) return;
    // Any one of the listed scopes: one requirement object per scope (OpenAPI reads entries as alternatives).
    schema.security = partner ? scopesOf(partner.scope).map((scope) => ({ oauth2: [scope] })) : [];
  });
  registerDiscoveryRoutes(app, ctx);

  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BYTES_MAX }, (_req, body, done) => {
      done(null, parseForm(body as string));
    });
    registerParRoute(scope, ctx, clients);
    registerAuthorizeRoutes(scope, ctx);
    registerTokenRoute(scope, tokens);
    registerRevokeRoute(scope, ctx, clients, tokens);
    registerIntrospectRoute(scope, ctx, clients, tokens);
    registerConsentManagementRoutes(scope, ctx, tokens);
  });

  return { ctx, clients, tokens };
}
