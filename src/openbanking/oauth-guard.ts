/**
 * The access-token guard: an onRequest hook for routes that declare `config.partner`.
 * Accepts `Authorization: Bearer <token>` or, for DPoP-bound tokens, `Authorization: DPoP
 * <token>` with a `DPoP` proof header. Checks the token (signature, typ, iss, aud, exp, not
 * revoked), the DPoP proof when the token carries cnf.jkt, that the app is still active,
 * the token kind (customer or client) and the route's scope; then sets `req.partner`.
 * Failures: 401 invalid_token / invalid_dpop_proof and 403 insufficient_scope, as
 * problem+json with a WWW-Authenticate challenge (RFC 6750 §3, RFC 9449 §7.1).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemError } from '../server/problem.js';
import type { OAuthContext } from './oauth-context.js';
import { DPOP_ALGS, expectedHtu, verifyDpopProof } from './oauth-dpop.js';
import { PARTNER_SCOPES, type PartnerScope } from './principal.js';

const REALM = 'capillary-open-banking';
const TOKEN_CHARS_MAX = 4_096;

/** The scopes a route accepts (any one of them): one scope, or a list. */
export const scopesOf = (scope: PartnerScope | readonly PartnerScope[]): readonly PartnerScope[] => (Array.isArray(scope) ? scope : [scope as PartnerScope]);

const quote = (text: string): string => text.replace(/["\\]/g, "'");

function challenge(scheme: 'Bearer' | 'DPoP', params: { error?: string; description?: string; scope?: string }): string {
  const parts = [scheme === 'Bearer' ? `realm="${REALM}"` : `algs="${DPOP_ALGS.join(' ')}"`];
  if (params.error) parts.push(`error="${params.error}"`);
  if (params.description) parts.push(`error_description="${quote(params.description)}"`);
  if (params.scope) parts.push(`scope="${params.scope}"`);
  return `${scheme} ${parts.join(', ')}`;
}

function refuse(reply: FastifyReply, scheme: 'Bearer' | 'DPoP' | undefined, code: 'invalid_token' | 'invalid_dpop_proof' | 'insufficient_scope', description: string, scope?: string): never {
  if (scheme === undefined) {
    // No credentials: offer both schemes, without an error code (RFC 6750 §3.1).
    reply.header('www-authenticate', [challenge('Bearer', {}), challenge('DPoP', {})]);
  } else {
    reply.header('www-authenticate', challenge(scheme, { error: code, description, ...(scope ? { scope } : {}) }));
  }
  throw new ProblemError(code, description);
}

export function createTokenGuard(ctx: OAuthContext) {
  return async function tokenGuard(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const need = req.routeOptions.config?.partner;
    if (!need) return;
    const authorization = req.headers.authorization;
    if (!authorization) refuse(reply, undefined, 'invalid_token', 'send Authorization: Bearer <access token> (or DPoP <access token> with a DPoP proof)');
    const match = /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim());
    if (!match) refuse(reply, 'Bearer', 'invalid_token', 'the Authorization header must be "Bearer <token>" or "DPoP <token>"');
    const scheme: 'Bearer' | 'DPoP' = match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = match[2]!;
    if (token.length > TOKEN_CHARS_MAX) refuse(reply, scheme, 'invalid_token', 'the access token is too long');

    const verified = await ctx.tokens.verify(token);
    if (!verified.ok) refuse(reply, scheme, 'invalid_token', verified.description);
    const claims = verified.claims;

    const jkt = claims.cnf?.jkt;
    if (jkt) {
      if (scheme !== 'DPoP') refuse(reply, 'DPoP', 'invalid_token', 'this access token is DPoP-bound: send it as "Authorization: DPoP <token>" with a DPoP proof');
      const proof = await verifyDpopProof(req.headers.dpop, {
        method: req.method,
        htu: expectedHtu(ctx.issuer(), req.url),
        now: ctx.now(),
        replay: ctx.dpop_replay,
        access_token: token,
      });
      if (!proof.ok) refuse(reply, 'DPoP', 'invalid_dpop_proof', proof.description);
      if (proof.jkt !== jkt) refuse(reply, 'DPoP', 'invalid_dpop_proof', 'the DPoP proof is signed by a key other than the one the token is bound to');
    } else if (scheme === 'DPoP') {
      refuse(reply, 'Bearer', 'invalid_token', 'this access token is not DPoP-bound: send it as "Authorization: Bearer <token>"');
    }

    const app = await ctx.cachedApp(claims.client_id);
    if (!app || app.status !== 'active') refuse(reply, scheme, 'invalid_token', 'the partner app of this token is disabled');

    const scopes = claims.scope.split(' ').filter((s): s is PartnerScope => (PARTNER_SCOPES as readonly string[]).includes(s));
    const is_customer = typeof claims.consent_id === 'string';
    // A route may accept any one of several scopes (e.g. the consent API: accounts, payments or funds_confirmation).
    const needed = scopesOf(need.scope);
    if (need.token === 'customer' && !is_customer) {
      refuse(reply, scheme, 'insufficient_scope', "this route needs a customer's token (authorization code flow under a consent), not a client-credentials token", needed.join(' '));
    }
    if (need.token === 'client' && is_customer) {
      refuse(reply, scheme, 'insufficient_scope', "this route needs the app's own token (client credentials), not a customer's token", needed.join(' '));
    }
    if (!needed.some((s) => scopes.includes(s))) refuse(reply, scheme, 'insufficient_scope', `this route needs the ${needed.join(' or ')} scope`, needed.join(' '));

    req.partner = {
      client_id: claims.client_id,
      mode: app.mode,
      scopes,
      token_id: claims.jti,
      ...(is_customer ? { customer_id: claims.sub, consent_id: claims.consent_id! } : {}),
    };
  };
}
