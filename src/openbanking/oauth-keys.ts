/**
 * The authorization server's signing keys (ES256). The first use on a new database creates
 * a key pair and stores it in oauth_signing_keys, so every node signs and verifies with the
 * same keys and tokens survive restarts. The public halves are served as the JWKS.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Queryable } from '../db/port.js';
import type { Clock } from '../server/clock.js';

export const SIGNING_ALG = 'ES256';

export interface SigningKey {
  kid: string;
  private_key: CryptoKey;
  public_jwk: JWK;
}

interface KeyRow {
  kid: string;
  alg: string;
  private_jwk: JWK;
  retired_at: Date | null;
}

/** How often an unknown `kid` may trigger a read of the keys table (another node may have added one). */
const UNKNOWN_KID_RELOAD_MS = 5_000;

const publicOf = (jwk: JWK): JWK => {
  const { d: _private, ...pub } = jwk;
  return pub;
};

export class SigningKeys {
  private active: Promise<SigningKey> | undefined;
  private readonly verifying = new Map<string, CryptoKey>();
  private reloaded_at_ms = -Infinity;

  constructor(private readonly db: Queryable, private readonly clock: Clock) {}

  /** The key new tokens are signed with; created and stored on first use. */
  current(): Promise<SigningKey> {
    this.active ??= this.loadOrCreate().catch((err: unknown) => {
      this.active = undefined; // a failed read is retried on the next call
      throw err;
    });
    return this.active;
  }

  /** The public key for a token's `kid`, or undefined when no such key exists (or it is retired). */
  async verificationKey(kid: string | undefined): Promise<CryptoKey | undefined> {
    if (!kid) return undefined;
    const known = this.verifying.get(kid);
    if (known) return known;
    const now_ms = this.clock.now().getTime();
    if (now_ms - this.reloaded_at_ms < UNKNOWN_KID_RELOAD_MS) return undefined;
    this.reloaded_at_ms = now_ms;
    await this.reload();
    return this.verifying.get(kid);
  }

  /** The JWK Set of the keys tokens may be signed with (RFC 7517), for /oauth/jwks. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.current();
    const rows = await this.rows();
    return { keys: rows.filter((r) => !r.retired_at).map((r) => ({ ...publicOf(r.private_jwk), kid: r.kid, alg: r.alg, use: 'sig' })) };
  }

  private async rows(): Promise<KeyRow[]> {
    const { rows } = await this.db.query<KeyRow>(
      'SELECT kid, alg, private_jwk, retired_at FROM oauth_signing_keys ORDER BY created_at, kid',
    );
    return rows;
  }

  private async reload(): Promise<void> {
    for (const row of await this.rows()) {
      if (row.retired_at) {
        this.verifying.delete(row.kid);
        continue;
      }
      if (!this.verifying.has(row.kid)) this.verifying.set(row.kid, (await importJWK(publicOf(row.private_jwk), row.alg)) as CryptoKey);
    }
  }

  /**
   * Two nodes starting on an empty table may both insert a key; both then pick the oldest
   * active one, so they agree, and the other key stays valid (it is in the JWKS) but unused.
   */
  private async loadOrCreate(): Promise<SigningKey> {
    let rows = (await this.rows()).filter((r) => !r.retired_at);
    if (rows.length === 0) {
      const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
      const jwk = await exportJWK(privateKey);
      await this.db.query(
        'INSERT INTO oauth_signing_keys (kid, alg, private_jwk, created_at) VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (kid) DO NOTHING',
        [randomBytes(12).toString('base64url'), SIGNING_ALG, JSON.stringify(jwk), this.clock.now().toISOString()],
      );
      rows = (await this.rows()).filter((r) => !r.retired_at);
    }
    const row = rows[0];
    if (!row) throw new Error('no active signing key after creating one');
    await this.reload();
    const private_key = (await importJWK(row.private_jwk, row.alg)) as CryptoKey;
    return { kid: row.kid, private_key, public_jwk: { ...publicOf(row.private_jwk), kid: row.kid, alg: row.alg, use: 'sig' } };
  }
}
