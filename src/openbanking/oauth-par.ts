/**
 * Pushed authorization requests (RFC 9126), required for every authorization request
 * (FAPI 2.0): the client posts the parameters, authenticated, and gets a request_uri to
 * send the customer's browser to /oauth/authorize with. Checked here, before the customer
 * sees anything: response_type=code, the redirect_uri registered exactly, PKCE S256 (plain
 * refused), the consent the client's own and awaiting authorisation, the scope within the
 * consent and the app; a DPoP proof (or dpop_jkt) binds the code to the client's key.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { getConsent } from './consents-store.js';
import { scopesForConsent, type Consent } from './consents.js';
import type { ClientAuthenticator } from './oauth-client-auth.js';
import {
  OAuthError,
  PATHS,
  formBody,
  noStore,
  oauthEndpoint,
  required,
  single,
  splitScope,
  type FormParams,
  type OAuthApp,
  type OAuthContext,
} from './oauth-context.js';
import { expectedHtu, verifyDpopProof } from './oauth-dpop.js';

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** How long the customer's browser has to arrive at /oauth/authorize (FAPI 2.0: under 600 s). */
export const PAR_LIFETIME_S = 90;
const STATE_CHARS_MAX = 512;
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const JKT = /^[A-Za-z0-9_-]{43}$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

/** What a pushed request holds; the authorization and token endpoints trust only this. */
export interface PushedRequest {
  client_id: string;
  redirect_uri: string;
  scope: string[];
  state: string | null;
  code_challenge: string;
  consent_id: string;
  dpop_jkt: string | null;
}

export interface StoredRequest {
  request_uri: string;
  params: PushedRequest;
  expires_at: Date;
  used_at: Date | null;
}

export async function findPushedRequest(ctx: OAuthContext, request_uri: string): Promise<StoredRequest | undefined> {
  const { rows } = await ctx.db.query<{ request_uri: string; client_id: string; params: PushedRequest | string; expires_at: Date | string; used_at: Date | string | null }>(
    'SELECT request_uri, client_id, params, expires_at, used_at FROM oauth_par_requests WHERE request_uri = $1',
    [request_uri],
  );
  const row = rows[0];
  if (!row) return undefined;
  const params = typeof row.params === 'string' ? (JSON.parse(row.params) as PushedRequest) : row.params;
  return { request_uri: row.request_uri, params: { ...params, client_id: row.client_id }, expires_at: new Date(row.expires_at), used_at: row.used_at ? new Date(row.used_at) : null };
}

/** The scopes a token under this consent may carry for this app; `asked` narrows them. */
export function grantableScopes(consent: Consent, app: OAuthApp, asked: string[]): string[] {
  const grantable = scopesForConsent(consent).filter((s) => app.allowed_scopes.includes(s));
  if (asked.length === 0) return grantable;
  const unknown = asked.filter((s) => !grantable.includes(s as (typeof grantable)[number]));
  if (unknown.length > 0) {
    throw new OAuthError(400, 'invalid_scope', `${unknown.join(' ')} is not grantable under this consent for this client (grantable: ${grantable.join(' ')})`);
  }
  return [...new Set(asked)];
}

export async function pushAuthorizationRequest(
  ctx: OAuthContext,
  clients: ClientAuthenticator,
  req: FastifyRequest,
  params: FormParams,
): Promise<{ request_uri: string; expires_in: number }> {
  const { app } = await clients.authenticate(req.headers.authorization, params);
  if (single(params, 'request') !== undefined) throw new OAuthError(400, 'request_not_supported', 'request objects (JAR) are not supported: send the parameters in the form');
  if (single(params, 'request_uri') !== undefined) throw new OAuthError(400, 'invalid_request', 'request_uri must not be sent to the PAR endpoint');

  const response_type = required(params, 'response_type');
  if (response_type !== 'code') throw new OAuthError(400, 'unsupported_response_type', 'response_type must be code');

  const redirect_uri = required(params, 'redirect_uri');
  if (!app.redirect_uris.includes(redirect_uri)) {
    throw new OAuthError(400, 'invalid_request', 'redirect_uri is not registered for this client (compared exactly)');
  }

  const method = single(params, 'code_challenge_method');
  if (method === 'plain') throw new OAuthError(400, 'invalid_request', 'PKCE method plain is not allowed: use S256');
  if (method !== 'S256') throw new OAuthError(400, 'invalid_request', 'code_challenge_method S256 is required (PKCE)');
  const code_challenge = required(params, 'code_challenge');
  if (!CODE_CHALLENGE.test(code_challenge)) throw new OAuthError(400, 'invalid_request', 'code_challenge must be the 43-character base64url SHA-256 of the code_verifier');

  const state = single(params, 'state') ?? null;
  if (state !== null && (state.length > STATE_CHARS_MAX || !PRINTABLE.test(state))) {
    throw new OAuthError(400, 'invalid_request', `state must be at most ${STATE_CHARS_MAX} printable ASCII characters`);
  }

  const consent_id = required(params, 'consent_id');
  const consent = await getConsent(ctx.db, consent_id, ctx.now());
  if (!consent || consent.client_id !== app.id) throw new OAuthError(400, 'invalid_request', 'consent_id names no consent of this client');
  if (consent.status !== 'awaiting_authorisation') throw new OAuthError(400, 'invalid_request', `the consent is ${consent.status}, not awaiting_authorisation`);
  const scope = grantableScopes(consent, app, splitScope(single(params, 'scope')));
  if (scope.length === 0) throw new OAuthError(400, 'invalid_scope', "no scope of this consent is among the app's allowed scopes");

  // DPoP at PAR (RFC 9449 §10.1): the proof's key, or dpop_jkt, binds the code; both must agree.
  let dpop_jkt = single(params, 'dpop_jkt') ?? null;
  if (dpop_jkt !== null && !JKT.test(dpop_jkt)) throw new OAuthError(400, 'invalid_request', 'dpop_jkt must be a base64url SHA-256 JWK thumbprint');
  if (req.headers.dpop !== undefined) {
    const proof = await verifyDpopProof(req.headers.dpop, { method: 'POST', htu: expectedHtu(ctx.issuer(), PATHS.par), now: ctx.now(), replay: ctx.dpop_replay });
    if (!proof.ok) throw new OAuthError(400, 'invalid_dpop_proof', proof.description);
    if (dpop_jkt !== null && dpop_jkt !== proof.jkt) throw new OAuthError(400, 'invalid_dpop_proof', 'dpop_jkt does not match the key of the DPoP proof');
    dpop_jkt = proof.jkt;
  }

  const request_uri = `${REQUEST_URI_PREFIX}${randomBytes(32).toString('base64url')}`;
  const pushed: Omit<PushedRequest, 'client_id'> = { redirect_uri, scope, state, code_challenge, consent_id: consent.id, dpop_jkt };
  const expires_at = new Date(ctx.now().getTime() + PAR_LIFETIME_S * 1000);
  // Rows an hour past expiry serve nothing (a consent-page session lasts 10 minutes).
  await ctx.sweep('par', () => ctx.db.query('DELETE FROM oauth_par_requests WHERE expires_at < $1', [new Date(ctx.now().getTime() - 3_600_000).toISOString()]));
  await ctx.db.query('INSERT INTO oauth_par_requests (request_uri, client_id, params, expires_at) VALUES ($1, $2, $3::jsonb, $4)', [
    request_uri,
    app.id,
    JSON.stringify(pushed),
    expires_at.toISOString(),
  ]);
  return { request_uri, expires_in: PAR_LIFETIME_S };
}

const ParBody = Type.Object(
  {
    client_id: Type.Optional(Type.String({ description: 'The client_id (optional with client authentication that names it)' })),
    response_type: Type.Literal('code'),
    redirect_uri: Type.String({ description: 'One of the redirect URIs registered for the app, exactly' }),
    code_challenge: Type.String({ description: 'PKCE: base64url(SHA-256(code_verifier)), 43 characters' }),
    code_challenge_method: Type.Literal('S256'),
    consent_id: Type.String({ description: 'The consent (created by the partner, awaiting authorisation) the customer is asked to approve' }),
    scope: Type.Optional(Type.String({ description: "Space-separated; default: every scope the consent allows within the app's" })),
    state: Type.Optional(Type.String({ description: 'Returned unchanged in the redirect (at most 512 printable characters)' })),
    dpop_jkt: Type.Optional(Type.String({ description: 'Bind the code to this DPoP key thumbprint (or send a DPoP proof header)' })),
    client_assertion_type: Type.Optional(Type.String()),
    client_assertion: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export function registerParRoute(app: FastifyInstance, ctx: OAuthContext, clients: ClientAuthenticator): void {
  app.post(
    PATHS.par,
    {
      config: { public: true },
      attachValidation: true,
      schema: {
        tags: ['oauth'],
        summary: 'Pushed authorization request (RFC 9126)',
        description: 'application/x-www-form-urlencoded. Authenticate the client (private_key_jwt or client_secret_basic). Errors: RFC 6749 JSON.',
        consumes: ['application/x-www-form-urlencoded'],
        body: ParBody,
      },
    },
    async (req, reply) =>
      oauthEndpoint(async () => {
        const result = await pushAuthorizationRequest(ctx, clients, req, formBody(req));
        return noStore(reply).status(201).send(result);
      }, reply),
  );
}
