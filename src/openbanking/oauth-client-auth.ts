/**
 * Client authentication at the token, PAR, revocation and introspection endpoints.
 *  - private_key_jwt (RFC 7523 §2.2, §3): client_assertion_type
 *    urn:ietf:params:oauth:client-assertion-type:jwt-bearer and a client_assertion JWT signed
 *    by a key in the app's registered JWKS, iss = sub = client_id, aud = the issuer or the
 *    token endpoint URL, exp at most 5 minutes ahead, a jti used once.
 *  - client_secret_basic (RFC 6749 §2.3.1): HTTP Basic with the form-urlencoded client_id and
 *    secret; the secret is compared with its stored SHA-256.
 * An app authenticates only with the method it was registered with; client_secret_post and
 * unauthenticated (public) clients are refused.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import { OAuthError, PATHS, single, type FormParams, type OAuthApp, type OAuthContext } from './oauth-context.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const CLIENT_ASSERTION_ALGS = ['ES256', 'ES384', 'PS256', 'PS384', 'EdDSA'] as const;
/** The furthest ahead an assertion's exp may be (and so how long its jti is remembered). */
export const CLIENT_ASSERTION_LIFETIME_MAX_S = 300;
/** Client clocks drift: tolerated on nbf/exp/iat checks. */
const CLOCK_SKEW_S = 5;
const ASSERTION_CHARS_MAX = 16_384;

export type ClientAuthMethod = 'private_key_jwt' | 'client_secret_basic';

export interface AuthenticatedClient {
  app: OAuthApp;
  method: ClientAuthMethod;
}

const invalidClient = (description: string, basic = false): OAuthError =>
  new OAuthError(401, 'invalid_client', description, basic ? { 'www-authenticate': 'Basic realm="capillary-oauth", charset="UTF-8"' } : {});

/** Decodes one application/x-www-form-urlencoded component of a Basic credential (RFC 6749 §2.3.1). */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function parseBasic(header: string): { client_id: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const client_id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  return client_id && secret !== undefined ? { client_id, secret } : undefined;
}

const sha256Hex = (text: string): Buffer => createHash('sha256').update(text).digest();

function secretMatches(secret: string, stored_hex: string | null): boolean {
  if (!stored_hex || !/^[0-9a-f]{64}$/i.test(stored_hex)) return false;
  return timingSafeEqual(sha256Hex(secret), Buffer.from(stored_hex, 'hex'));
}

export class ClientAuthenticator {
  constructor(private readonly ctx: OAuthContext) {}

  /** Authenticates the caller of an endpoint or throws an OAuthError (401 invalid_client, 400 invalid_request). */
  async authenticate(authorization: string | undefined, params: FormParams): Promise<AuthenticatedClient> {
    const assertion = single(params, 'client_assertion');
    const assertion_type = single(params, 'client_assertion_type');
    const body_client_id = single(params, 'client_id');
    const basic = authorization !== undefined && /^Basic /i.test(authorization);
    if (single(params, 'client_secret') !== undefined) {
      throw invalidClient('client_secret_post is not supported: use private_key_jwt or client_secret_basic');
    }
    if (basic && (assertion !== undefined || assertion_type !== undefined)) {
      throw new OAuthError(400, 'invalid_request', 'use one client authentication method, not both Basic and a client_assertion');
    }
    if (basic) return this.basic(authorization!, body_client_id);
    if (assertion !== undefined || assertion_type !== undefined) {
      if (assertion_type !== CLIENT_ASSERTION_TYPE) throw invalidClient(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
      if (assertion === undefined) throw invalidClient('client_assertion is required with client_assertion_type');
      return this.privateKeyJwt(assertion, body_client_id);
    }
    throw invalidClient('client authentication is required (private_key_jwt or client_secret_basic)');
  }

  private async basic(authorization: string, body_client_id: string | undefined): Promise<AuthenticatedClient> {
    const credential = parseBasic(authorization);
    if (!credential) throw invalidClient('the Basic credential is malformed', true);
    if (body_client_id !== undefined && body_client_id !== credential.client_id) {
      throw invalidClient('client_id in the body differs from the authenticated client', true);
    }
    const app = await this.ctx.findApp(credential.client_id);
    // One message for unknown client, wrong secret and wrong method, so ids cannot be probed.
    if (!app || app.token_endpoint_auth_method !== 'client_secret_basic' || !secretMatches(credential.secret, app.client_secret_hash)) {
      throw invalidClient('client authentication failed', true);
    }
    if (app.status !== 'active') throw invalidClient('the client is disabled', true);
    return { app, method: 'client_secret_basic' };
  }

  private async privateKeyJwt(assertion: string, body_client_id: string | undefined): Promise<AuthenticatedClient> {
    if (assertion.length > ASSERTION_CHARS_MAX) throw invalidClient('client_assertion is too long');
    let claimed: string;
    try {
      const { iss, sub } = decodeJwt(assertion);
      if (typeof iss !== 'string' || iss !== sub) throw new Error('iss/sub');
      claimed = iss;
    } catch {
      throw invalidClient('client_assertion must be a JWT whose iss and sub are both the client_id');
    }
    if (body_client_id !== undefined && body_client_id !== claimed) throw invalidClient('client_id differs from the client_assertion issuer');
    const app = await this.ctx.findApp(claimed);
    if (!app || app.token_endpoint_auth_method !== 'private_key_jwt' || !app.jwks || !Array.isArray(app.jwks.keys)) {
      throw invalidClient('client authentication failed');
    }
    if (app.status !== 'active') throw invalidClient('the client is disabled');

    const now = this.ctx.now();
    const audiences = [this.ctx.issuer(), this.ctx.url(PATHS.token)];
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet(app.jwks as unknown as JSONWebKeySet), {
        algorithms: [...CLIENT_ASSERTION_ALGS],
        issuer: claimed,
        subject: claimed,
        audience: audiences,
        currentDate: now,
        clockTolerance: CLOCK_SKEW_S,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw invalidClient('client_assertion has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw invalidClient(`client_assertion ${err.claim} claim is not acceptable: ${err.message}`);
      throw invalidClient('client_assertion does not verify with a key registered for this client');
    }
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (aud.length !== 1) throw invalidClient(`client_assertion aud must be one value: ${audiences.join(' or ')}`);
    const now_s = now.getTime() / 1000;
    if (payload.exp! > now_s + CLIENT_ASSERTION_LIFETIME_MAX_S + CLOCK_SKEW_S) {
      throw invalidClient(`client_assertion exp must be at most ${CLIENT_ASSERTION_LIFETIME_MAX_S} s ahead`);
    }
    if (typeof payload.iat === 'number' && payload.iat > now_s + CLOCK_SKEW_S) throw invalidClient('client_assertion iat is in the future');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) throw invalidClient('client_assertion needs a jti');
    await this.useJti(`${claimed}:${payload.jti}`, new Date(payload.exp! * 1000 + CLOCK_SKEW_S * 1000));
    return { app, method: 'private_key_jwt' };
  }

  /** Records the assertion's jti; a second use (on any node) is refused. */
  private async useJti(key: string, expires_at: Date): Promise<void> {
    const now = this.ctx.now();
    await this.ctx.sweep('used_jtis', () => this.ctx.db.query('DELETE FROM oauth_used_jtis WHERE expires_at < $1', [now.toISOString()]));
    const { rows } = await this.ctx.db.query(
      `INSERT INTO oauth_used_jtis (key, expires_at) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE oauth_used_jtis.expires_at < $3
       RETURNING key`,
      [key, expires_at.toISOString(), now.toISOString()],
    );
    if (rows.length === 0) throw invalidClient('client_assertion was already used (jti replay)');
  }
}
