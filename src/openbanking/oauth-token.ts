/**
 * The token endpoint (RFC 6749 §3.2). Grant types:
 *  - client_credentials: the app's own token (no customer, no refresh token).
 *  - authorization_code with PKCE S256 (RFC 7636): the code is single use and lives 60 s;
 *    presenting a used code again revokes every token it issued (RFC 6749 §4.1.2).
 *  - refresh_token: rotated on every use (RFC 9700 §4.14.2); presenting a rotated token
 *    again revokes the whole family. Refresh tokens stop working when their consent is no
 *    longer authorised (revoked, expired) and never outlive it.
 * Clients registered with dpop_bound_access_tokens must send a DPoP proof; any client may,
 * and then its tokens are bound to that key (token_type DPoP, cnf.jkt).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Queryable } from '../db/port.js';
import { getConsent } from './consents-store.js';
import { EXPIRY_MAX_MS } from './consents.js';
import type { ClientAuthenticator } from './oauth-client-auth.js';
import { hashCode } from './oauth-authorize.js';
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
import { newTokenId, type IssuedAccessToken } from './oauth-tokens.js';
import { grantableScopes } from './oauth-par.js';

/** A refresh-token family lives as long as its consent, and never longer than the longest consent. */
export const REFRESH_TOKEN_LIFETIME_MAX_S = EXPIRY_MAX_MS / 1000;
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  consent_id?: string;
}

interface RefreshRow {
  token_hash: string;
  family_id: string;
  client_id: string;
  customer_id: string;
  consent_id: string;
  scope: string;
  dpop_jkt: string | null;
  expires_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
}

interface CodeRow {
  code_hash: string;
  client_id: string;
  customer_id: string;
  consent_id: string;
  redirect_uri: string;
  scope: string;
  code_challenge: string;
  dpop_jkt: string | null;
  expires_at: Date;
  used_at: Date | null;
  family_id: string | null;
}

const invalidGrant = (description: string): OAuthError => new OAuthError(400, 'invalid_grant', description);

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export class TokenEndpoint {
  constructor(
    readonly ctx: OAuthContext,
    readonly clients: ClientAuthenticator,
  ) {}

  async handle(req: FastifyRequest, params: FormParams): Promise<TokenResponse> {
    const { app } = await this.clients.authenticate(req.headers.authorization, params);
    const grant_type = required(params, 'grant_type');
    const jkt = await this.dpopKey(req, app);
    switch (grant_type) {
      case 'client_credentials':
        return this.clientCredentials(app, params, jkt);
      case 'authorization_code':
        return this.authorizationCode(app, params, jkt);
      case 'refresh_token':
        return this.refresh(app, params, jkt);
      default:
        throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials, authorization_code or refresh_token');
    }
  }

  /** The DPoP key thumbprint of the request's proof; required for apps registered with dpop_bound_access_tokens. */
  private async dpopKey(req: FastifyRequest, app: OAuthApp): Promise<string | undefined> {
    if (req.headers.dpop === undefined) {
      if (app.dpop_bound_access_tokens) throw new OAuthError(400, 'invalid_dpop_proof', 'this client must send a DPoP proof: its tokens are sender-constrained');
      return undefined;
    }
    const proof = await verifyDpopProof(req.headers.dpop, { method: 'POST', htu: expectedHtu(this.ctx.issuer(), PATHS.token), now: this.ctx.now(), replay: this.ctx.dpop_replay });
    if (!proof.ok) throw new OAuthError(400, 'invalid_dpop_proof', proof.description);
    return proof.jkt;
  }

  private async clientCredentials(app: OAuthApp, params: FormParams, jkt: string | undefined): Promise<TokenResponse> {
    const asked = splitScope(single(params, 'scope'));
    const unknown = asked.filter((s) => !(app.allowed_scopes as string[]).includes(s));
    if (unknown.length > 0) throw new OAuthError(400, 'invalid_scope', `${unknown.join(' ')} is not allowed for this client (allowed: ${app.allowed_scopes.join(' ')})`);
    const scopes = asked.length > 0 ? [...new Set(asked)] : app.allowed_scopes;
    const issued = await this.ctx.tokens.issue({ client_id: app.id, scopes, ...(jkt ? { jkt } : {}) });
    return { access_token: issued.token, token_type: issued.token_type, expires_in: issued.expires_in, scope: scopes.join(' ') };
  }

  private async authorizationCode(app: OAuthApp, params: FormParams, jkt: string | undefined): Promise<TokenResponse> {
    const code = required(params, 'code');
    const verifier = required(params, 'code_verifier');
    const redirect_uri = required(params, 'redirect_uri');
    const now = this.ctx.now();
    const code_hash = hashCode(code);
    const row = await this.findCode(this.ctx.db, code_hash);
    if (!row || row.client_id !== app.id) throw invalidGrant('the authorization code is not valid for this client');
    if (row.used_at) {
      await this.revokeFamily(row.family_id, now);
      throw invalidGrant('the authorization code was already used; the tokens issued with it are revoked');
    }
    if (row.expires_at.getTime() <= now.getTime()) throw invalidGrant('the authorization code has expired');
    if (row.redirect_uri !== redirect_uri) throw invalidGrant('redirect_uri differs from the one in the authorization request');
    if (!CODE_VERIFIER.test(verifier)) throw invalidGrant('code_verifier must be 43 to 128 characters of [A-Za-z0-9._~-]');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!sameText(challenge, row.code_challenge)) throw invalidGrant('code_verifier does not match the code_challenge (PKCE)');
    if (row.dpop_jkt && row.dpop_jkt !== jkt) throw invalidGrant('the code is bound to a DPoP key: send a DPoP proof signed with that key');
    const consent = await getConsent(this.ctx.db, row.consent_id, now);
    if (!consent || consent.status !== 'authorised' || consent.customer_id !== row.customer_id) {
      throw invalidGrant(`the consent is ${consent?.status ?? 'gone'}`);
    }

    const family_id = randomUUID();
    const refresh_token = randomBytes(32).toString('base64url');
    const scopes = row.scope.split(' ');
    const jti = newTokenId();
    const expires_at = this.familyExpiry(now, consent.expires_at);
    const access = await this.ctx.tokens.issue({ client_id: app.id, scopes, customer_id: row.customer_id, consent_id: row.consent_id, jti, ...(jkt ? { jkt } : {}) });
    const won = await this.ctx.db.transaction(async (tx) => {
      // The guarded update makes the code single use even when two exchanges race.
      const { rows } = await tx.query('UPDATE oauth_codes SET used_at = $2, family_id = $3 WHERE code_hash = $1 AND used_at IS NULL RETURNING code_hash', [
        code_hash,
        now.toISOString(),
        family_id,
      ]);
      if (rows.length === 0) return false;
      await this.insertRefresh(tx, { refresh_token, family_id, app, customer_id: row.customer_id, consent_id: row.consent_id, scope: row.scope, jkt, expires_at, access, now });
      return true;
    });
    if (!won) {
      const used = await this.findCode(this.ctx.db, code_hash);
      await this.revokeFamily(used?.family_id ?? null, now);
      throw invalidGrant('the authorization code was already used; the tokens issued with it are revoked');
    }
    return this.response(access, scopes, refresh_token, row.consent_id);
  }

  private async refresh(app: OAuthApp, params: FormParams, jkt: string | undefined): Promise<TokenResponse> {
    const presented = required(params, 'refresh_token');
    const now = this.ctx.now();
    const token_hash = hashToken(presented);
    const row = await this.findRefresh(this.ctx.db, token_hash);
    if (!row || row.client_id !== app.id) throw invalidGrant('the refresh token is not valid for this client');
    if (row.revoked_at) throw invalidGrant('the refresh token has been revoked');
    if (row.rotated_at) {
      await this.revokeFamily(row.family_id, now);
      throw invalidGrant('the refresh token was already used (rotated); every token of its family is revoked');
    }
    if (row.expires_at.getTime() <= now.getTime()) throw invalidGrant('the refresh token has expired');
    if (row.dpop_jkt && row.dpop_jkt !== jkt) throw invalidGrant('the refresh token is bound to a DPoP key: send a DPoP proof signed with that key');
    const consent = await getConsent(this.ctx.db, row.consent_id, now);
    if (!consent || consent.status !== 'authorised' || consent.customer_id !== row.customer_id) {
      await this.revokeFamily(row.family_id, now);
      throw invalidGrant(`the consent is ${consent?.status ?? 'gone'}; its refresh tokens no longer work`);
    }
    const granted = row.scope.split(' ');
    const asked = splitScope(single(params, 'scope'));
    const extra = asked.filter((s) => !granted.includes(s));
    if (extra.length > 0) throw new OAuthError(400, 'invalid_scope', `${extra.join(' ')} was not granted (granted: ${granted.join(' ')})`);
    // The app's scopes may have narrowed since the grant: a refresh never gives more than it allows now.
    const scopes = grantableScopes(consent, app, []).filter((s) => (asked.length > 0 ? asked : granted).includes(s));
    if (scopes.length === 0) throw new OAuthError(400, 'invalid_scope', 'none of the granted scopes is still allowed for this client');

    const refresh_token = randomBytes(32).toString('base64url');
    const jti = newTokenId();
    const bound = row.dpop_jkt ?? jkt;
    const access = await this.ctx.tokens.issue({ client_id: app.id, scopes, customer_id: row.customer_id, consent_id: row.consent_id, jti, ...(bound ? { jkt: bound } : {}) });
    const won = await this.ctx.db.transaction(async (tx) => {
      const { rows } = await tx.query(
        'UPDATE oauth_refresh_tokens SET rotated_at = $2 WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL RETURNING token_hash',
        [token_hash, now.toISOString()],
      );
      if (rows.length === 0) return false;
      await this.insertRefresh(tx, {
        refresh_token, family_id: row.family_id, app, customer_id: row.customer_id, consent_id: row.consent_id,
        scope: row.scope, jkt: bound, expires_at: row.expires_at, access, now,
      });
      return true;
    });
    if (!won) {
      // Two uses raced: the loser is a reuse like any other.
      await this.revokeFamily(row.family_id, now);
      throw invalidGrant('the refresh token was already used (rotated); every token of its family is revoked');
    }
    return this.response(access, scopes, refresh_token, row.consent_id);
  }

  private response(access: IssuedAccessToken, scopes: string[], refresh_token: string, consent_id: string): TokenResponse {
    return { access_token: access.token, token_type: access.token_type, expires_in: access.expires_in, scope: scopes.join(' '), refresh_token, consent_id };
  }

  private familyExpiry(now: Date, consent_expires_at: Date): Date {
    return new Date(Math.min(consent_expires_at.getTime(), now.getTime() + REFRESH_TOKEN_LIFETIME_MAX_S * 1000));
  }

  private async insertRefresh(
    tx: Queryable,
    r: { refresh_token: string; family_id: string; app: OAuthApp; customer_id: string; consent_id: string; scope: string; jkt: string | undefined | null; expires_at: Date; access: IssuedAccessToken; now: Date },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO oauth_refresh_tokens (token_hash, family_id, client_id, customer_id, consent_id, scope, dpop_jkt, expires_at, access_jti, access_expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [hashToken(r.refresh_token), r.family_id, r.app.id, r.customer_id, r.consent_id, r.scope, r.jkt ?? null, r.expires_at.toISOString(), r.access.jti,
        r.access.expires_at.toISOString(), r.now.toISOString()],
    );
  }

  private async findCode(db: Queryable, code_hash: string): Promise<CodeRow | undefined> {
    const { rows } = await db.query<CodeRow>(
      `SELECT code_hash, client_id, customer_id, consent_id::text AS consent_id, redirect_uri, scope, code_challenge, dpop_jkt, expires_at, used_at, family_id::text AS family_id
         FROM oauth_codes WHERE code_hash = $1`,
      [code_hash],
    );
    const row = rows[0];
    return row ? { ...row, expires_at: new Date(row.expires_at), used_at: row.used_at ? new Date(row.used_at) : null } : undefined;
  }

  async findRefresh(db: Queryable, token_hash: string): Promise<RefreshRow | undefined> {
    const { rows } = await db.query<RefreshRow>(
      `SELECT token_hash, family_id::text AS family_id, client_id, customer_id, consent_id::text AS consent_id, scope, dpop_jkt, expires_at, rotated_at, revoked_at
         FROM oauth_refresh_tokens WHERE token_hash = $1`,
      [token_hash],
    );
    const row = rows[0];
    return row
      ? { ...row, expires_at: new Date(row.expires_at), rotated_at: row.rotated_at ? new Date(row.rotated_at) : null, revoked_at: row.revoked_at ? new Date(row.revoked_at) : null }
      : undefined;
  }

  /** Revokes every refresh token of a family and the access tokens issued with them. */
  async revokeFamily(family_id: string | null, now: Date): Promise<void> {
    if (!family_id) return;
    await this.revokeWhere('family_id = $1', [family_id], now);
  }

  /** Revokes every token issued under a consent (the customer revoked it on the consents page). */
  async revokeConsentTokens(consent_id: string, now: Date): Promise<void> {
    await this.revokeWhere('consent_id = $1', [consent_id], now);
  }

  private async revokeWhere(where: string, params: string[], now: Date): Promise<void> {
    // tokens.revoke also marks the jtis revoked in this process at once (before the commit: harmless, they are being revoked).
    await this.ctx.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ access_jti: string | null; access_expires_at: Date | null }>(
        `UPDATE oauth_refresh_tokens SET revoked_at = COALESCE(revoked_at, $${params.length + 1}) WHERE ${where} RETURNING access_jti, access_expires_at`,
        [...params, now.toISOString()],
      );
      const live = rows
        .filter((r) => r.access_jti && r.access_expires_at && new Date(r.access_expires_at).getTime() > now.getTime())
        .map((r) => ({ jti: r.access_jti!, expires_at: new Date(r.access_expires_at!) }));
      await this.ctx.tokens.revoke(tx, live);
    });
  }
}

const TokenBody = Type.Object(
  {
    grant_type: Type.Union([Type.Literal('client_credentials'), Type.Literal('authorization_code'), Type.Literal('refresh_token')]),
    scope: Type.Optional(Type.String({ description: 'Space-separated; client_credentials: within the app’s allowed scopes; refresh_token: within the granted ones' })),
    code: Type.Optional(Type.String({ description: 'authorization_code: the code from the redirect' })),
    code_verifier: Type.Optional(Type.String({ description: 'authorization_code: the PKCE verifier (43–128 characters)' })),
    redirect_uri: Type.Optional(Type.String({ description: 'authorization_code: the redirect_uri of the pushed request' })),
    refresh_token: Type.Optional(Type.String({ description: 'refresh_token: the latest refresh token of the family' })),
    client_id: Type.Optional(Type.String()),
    client_assertion_type: Type.Optional(Type.String()),
    client_assertion: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export function registerTokenRoute(app: FastifyInstance, tokens: TokenEndpoint): void {
  app.post(
    PATHS.token,
    {
      config: { public: true },
      attachValidation: true,
      schema: {
        tags: ['oauth'],
        summary: 'Token endpoint',
        description: 'application/x-www-form-urlencoded; client authentication required; optional DPoP header. Errors: RFC 6749 JSON.',
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenBody,
      },
    },
    async (req, reply) =>
      oauthEndpoint(async () => {
        const result = await tokens.handle(req, formBody(req));
        return noStore(reply).status(200).send(result);
      }, reply),
  );
}
