import type { Queryable } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { parseToken, secretMatches, type ApiKey } from './core.js';
import { findKeyByPrefix } from './store.js';
import { sessionTokenHash, staffPrincipal } from '../staff/core.js';
import { findSessionMember } from '../staff/store.js';

const CACHE_ENTRIES_MAX = 10_000;

/**
 * Resolves a bearer token to its key. Valid keys are cached for `cache_ttl_ms` so the hot
 * path does not read the database on every request; a revocation made through this
 * process takes effect at once, one made elsewhere within `cache_ttl_ms`.
 */
export class Authenticator {
  private readonly cache = new Map<string, { key: ApiKey; until_ms: number }>();

  constructor(private readonly db: Queryable, private readonly clock: Clock, private readonly cache_ttl_ms = 5_000) {}

  async authenticate(authorization: string | undefined): Promise<ApiKey | undefined> {
    if (!authorization || !authorization.startsWith('Bearer ')) return undefined;
    const token = authorization.slice('Bearer '.length).trim();
    const now_ms = this.clock.now().getTime();
    const cached = this.cache.get(token);
    if (cached && cached.until_ms > now_ms) return cached.key;
    if (token.startsWith('ss_')) return this.authenticateStaff(token, now_ms);
    const parsed = parseToken(token);
    if (!parsed) return undefined;
    const row = await findKeyByPrefix(this.db, parsed.prefix);
    if (!row || row.revoked_at || !secretMatches(parsed.secret, row.secret_hash)) return undefined;
    const { secret_hash: _hidden, ...key } = row;
    if (this.cache.size >= CACHE_ENTRIES_MAX) this.cache.clear();
    this.cache.set(token, { key, until_ms: now_ms + this.cache_ttl_ms });
    return key;
  }

  /** A staff session token: the member's role decides the scopes; cached no longer than the session lives. */
  private async authenticateStaff(token: string, now_ms: number): Promise<ApiKey | undefined> {
    const hash = sessionTokenHash(token);
    if (!hash) return undefined;
    const found = await findSessionMember(this.db, hash, new Date(now_ms));
    if (!found) return undefined;
    const key = staffPrincipal(found.member);
    if (this.cache.size >= CACHE_ENTRIES_MAX) this.cache.clear();
    this.cache.set(token, { key, until_ms: Math.min(now_ms + this.cache_ttl_ms, found.expires_at.getTime()) });
    return key;
  }

  /** Drops cached entries of a key or a staff member (after a revocation, sign-out, or role change). */
  forget(keyId: string): void {
    for (const [token, entry] of this.cache) if (entry.key.id === keyId) this.cache.delete(token);
  }
}
