/**
 * Access tokens: JWTs in the RFC 9068 shape (typ at+jwt), signed ES256 with the server's
 * key, 300 s. Verifying one checks the signature, typ, iss, aud, exp and that its jti is not
 * revoked. Revoked jtis (oauth_revoked_tokens) are held in memory and re-read at most once a
 * second, so the hot path does not query the database per request: a revocation made by
 * this process applies at once, one made by another node within that second.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Queryable } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { SIGNING_ALG, type SigningKeys } from './oauth-keys.js';

export const ACCESS_TOKEN_TTL_S = 300;
export const ACCESS_TOKEN_TYP = 'at+jwt';
/** How stale the in-memory copy of the revoked-jti list may be (revocations by other nodes). */
export const REVOCATION_REFRESH_MS = 1_000;
const REVOKED_ENTRIES_MAX = 100_000;

export interface AccessTokenClaims {
  iss: string;
  aud: string;
  /** The customer for a customer token; the client_id for a client-credentials token (RFC 9068 §2.2). */
  sub: string;
  client_id: string;
  /** Space-separated scopes. */
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  /** Set on customer tokens: the consent the token was issued under. */
  consent_id?: string;
  /** Set on DPoP-bound tokens: the SHA-256 JWK thumbprint of the client's DPoP key (RFC 9449 §6.1). */
  cnf?: { jkt: string };
}

export interface AccessTokenRequest {
  client_id: string;
  scopes: readonly string[];
  customer_id?: string;
  consent_id?: string;
  /** Bind the token to this DPoP key thumbprint. */
  jkt?: string;
  /** A jti chosen by the caller (to record it before signing); random when absent. */
  jti?: string;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expires_at: Date;
  expires_in: number;
  token_type: 'Bearer' | 'DPoP';
}

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; description: string };

export const newTokenId = (): string => randomBytes(16).toString('base64url');

/** Bound on the verified-token memory (a full map is cleared: tokens are then verified again). */
const VERIFIED_TOKENS_MAX = 10_000;

export class AccessTokens {
  private revoked = new Map<string, number>(); // jti → expiry (ms)
  private readonly verified = new Map<string, AccessTokenClaims>(); // token → its checked claims
  private synced_at = -Infinity; // performance.now() of the last read
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly keys: SigningKeys,
    /** The issuer URL (also the audience: this server is its own resource server). */
    private readonly issuer: () => string,
  ) {}

  async issue(request: AccessTokenRequest): Promise<IssuedAccessToken> {
    const key = await this.keys.current();
    const now_s = Math.floor(this.clock.now().getTime() / 1000);
    const jti = request.jti ?? newTokenId();
    const payload: JWTPayload = {
      client_id: request.client_id,
      scope: request.scopes.join(' '),
    };
    if (request.consent_id) payload.consent_id = request.consent_id;
    if (request.jkt) payload.cnf = { jkt: request.jkt };
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: ACCESS_TOKEN_TYP })
      .setIssuer(this.issuer())
      .setAudience(this.issuer())
      .setSubject(request.customer_id ?? request.client_id)
      .setJti(jti)
      .setIssuedAt(now_s)
      .setExpirationTime(now_s + ACCESS_TOKEN_TTL_S)
      .sign(key.private_key);
    return {
      token,
      jti,
      expires_at: new Date((now_s + ACCESS_TOKEN_TTL_S) * 1000),
      expires_in: ACCESS_TOKEN_TTL_S,
      token_type: request.jkt ? 'DPoP' : 'Bearer',
    };
  }

  /**
   * Checks a token this server issued: signature, typ, iss, aud, exp and the revocation list.
   * A token whose signature this process has checked is remembered until it expires (at
   * most ACCESS_TOKEN_TTL_S): an ES256 verification costs about as much as the rest of a
   * read, and a token's bytes cannot change. Expiry and revocation are checked on every call.
   */
  async verify(token: string): Promise<VerifyResult> {
    let claims = this.verified.get(token);
    if (claims && claims.exp * 1000 <= this.clock.now().getTime()) {
      this.verified.delete(token);
      claims = undefined; // checkSignature below reports the expiry in its own words
    }
    if (!claims) {
      const checked = await this.checkSignature(token, false);
      if (!checked.ok) return checked;
      claims = checked.claims;
      if (this.verified.size >= VERIFIED_TOKENS_MAX) this.verified.clear();
      this.verified.set(token, claims);
    }
    if (await this.isRevoked(claims.jti)) return { ok: false, description: 'the access token has been revoked' };
    return { ok: true, claims };
  }

  /**
   * Signature, typ, iss and aud only (expiry ignored when `allow_expired`): for revocation,
   * which must recognise a token to decide whose it is.
   */
  async checkSignature(token: string, allow_expired: boolean): Promise<VerifyResult> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return { ok: false, description: 'the access token is not a JWT' };
    }
    const key = await this.keys.verificationKey(kid);
    if (!key) return { ok: false, description: 'the access token is not signed by a key of this server' };
    const now = this.clock.now();
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [SIGNING_ALG],
        typ: ACCESS_TOKEN_TYP,
        issuer: this.issuer(),
        audience: this.issuer(),
        currentDate: allow_expired ? new Date(0) : now,
        requiredClaims: ['jti', 'iat', 'exp', 'sub', 'client_id', 'scope'],
      });
      if (typeof payload.client_id !== 'string' || typeof payload.scope !== 'string') {
        return { ok: false, description: 'the access token lacks client_id or scope' };
      }
      return { ok: true, claims: payload as unknown as AccessTokenClaims };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return { ok: false, description: 'the access token has expired' };
      if (err instanceof joseErrors.JWTClaimValidationFailed) return { ok: false, description: `the access token's ${err.claim} claim is not valid here` };
      return { ok: false, description: 'the access token is not valid (signature or format)' };
    }
  }

  /** Revokes access tokens by jti until they would have expired anyway. */
  async revoke(db: Queryable, tokens: readonly { jti: string; expires_at: Date }[]): Promise<void> {
    const live = tokens.filter((t) => t.expires_at.getTime() > this.clock.now().getTime());
    if (live.length === 0) return;
    await db.query(
      `INSERT INTO oauth_revoked_tokens (jti, expires_at)
       SELECT * FROM unnest($1::text[], $2::timestamptz[]) ON CONFLICT (jti) DO NOTHING`,
      [live.map((t) => t.jti), live.map((t) => t.expires_at.toISOString())],
    );
    this.remember(live);
  }

  /**
   * Records revocations that `db` (a transaction) has written but not yet committed; call
   * after the commit. Until then another request could still use the token, which is the
   * same window any other node has.
   */
  remember(tokens: readonly { jti: string; expires_at: Date }[]): void {
    if (this.revoked.size + tokens.length > REVOKED_ENTRIES_MAX) this.synced_at = -Infinity; // re-read instead of growing
    else for (const t of tokens) this.revoked.set(t.jti, t.expires_at.getTime());
  }

  async isRevoked(jti: string): Promise<boolean> {
    if (performance.now() - this.synced_at >= REVOCATION_REFRESH_MS) await this.sync();
    return this.revoked.has(jti);
  }

  private sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        const started = performance.now();
        const now = this.clock.now();
        // Tidy rows that no longer matter (every node does it; each delete is tiny).
        await this.db.query('DELETE FROM oauth_revoked_tokens WHERE expires_at < $1', [now.toISOString()]);
        const { rows } = await this.db.query<{ jti: string; expires_at: Date }>(
          'SELECT jti, expires_at FROM oauth_revoked_tokens WHERE expires_at >= $1 LIMIT $2',
          [now.toISOString(), REVOKED_ENTRIES_MAX],
        );
        const next = new Map<string, number>();
        for (const r of rows) next.set(r.jti, new Date(r.expires_at).getTime());
        // Keep what this process revoked meanwhile (its insert may not have been visible to the read).
        for (const [jti, exp] of this.revoked) if (exp > now.getTime() && !next.has(jti)) next.set(jti, exp);
        this.revoked = next;
        this.synced_at = started;
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }
}
