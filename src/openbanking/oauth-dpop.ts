/**
 * DPoP proofs (RFC 9449 §4.3): a JWT the client signs with its own key for one HTTP request.
 * Checked: typ dpop+jwt, an asymmetric alg, a public `jwk` in the header that verifies the
 * signature, `htm` = the request method, `htu` = the request URL (on the issuer's origin,
 * without query or fragment), `iat` inside a short window, a `jti` not seen before within
 * that window (per process), and `ath` = SHA-256 of the access token when one is presented.
 */
import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';

export const DPOP_ALGS = ['ES256', 'ES384', 'PS256', 'PS384', 'RS256', 'EdDSA'] as const;
/** A proof may be this old… */
export const DPOP_IAT_PAST_S = 120;
/** …or this far ahead of the server's clock (client clock skew). */
export const DPOP_IAT_FUTURE_S = 30;
const PROOF_CHARS_MAX = 8_192;
const JTI_CHARS_MAX = 256;
const REPLAY_ENTRIES_MAX = 200_000;

export type DpopResult = { ok: true; jkt: string } | { ok: false; description: string };

/** Remembers proof jtis for the iat window, so a proof is accepted once per process. */
export class DpopReplayCache {
  private readonly seen = new Map<string, number>(); // key → forget after (ms)

  /** False when the key was already used. */
  use(key: string, now_ms: number): boolean {
    if (this.seen.size >= REPLAY_ENTRIES_MAX) this.prune(now_ms);
    const until = this.seen.get(key);
    if (until !== undefined && until > now_ms) return false;
    this.seen.set(key, now_ms + (DPOP_IAT_PAST_S + DPOP_IAT_FUTURE_S) * 1000);
    return true;
  }

  private prune(now_ms: number): void {
    for (const [key, until] of this.seen) if (until <= now_ms) this.seen.delete(key);
    // Still full of live entries: a flood of proofs. Refusing them all would be a denial of
    // service; dropping the oldest half keeps replay protection for the recent ones.
    if (this.seen.size >= REPLAY_ENTRIES_MAX) {
      let n = 0;
      for (const key of this.seen.keys()) {
        if (n++ >= REPLAY_ENTRIES_MAX / 2) break;
        this.seen.delete(key);
      }
    }
  }
}

export const accessTokenHash = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** The URL a proof must name: the issuer's origin plus the request path, no query. */
export function expectedHtu(issuer: string, request_url: string): string {
  const path = request_url.split('?')[0]!.split('#')[0]!;
  return new URL(path, new URL(issuer).origin).href;
}

function normaliseHtu(htu: string): string | undefined {
  try {
    const url = new URL(htu);
    url.search = '';
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

export interface DpopCheck {
  method: string;
  /** The full URL the proof must name (expectedHtu). */
  htu: string;
  now: Date;
  replay: DpopReplayCache;
  /** Presented with this access token: the proof must carry its hash in `ath`. */
  access_token?: string;
}

export async function verifyDpopProof(proof: string | string[] | undefined, check: DpopCheck): Promise<DpopResult> {
  if (Array.isArray(proof)) return { ok: false, description: 'send exactly one DPoP header' };
  if (!proof) return { ok: false, description: 'the DPoP header is missing' };
  if (proof.length > PROOF_CHARS_MAX) return { ok: false, description: 'the DPoP proof is too long' };
  let jwk: JWK | undefined;
  try {
    const header = decodeProtectedHeader(proof);
    jwk = header.jwk;
    if (header.typ !== 'dpop+jwt') return { ok: false, description: 'the DPoP proof must have typ dpop+jwt' };
    if (!jwk || typeof jwk !== 'object') return { ok: false, description: 'the DPoP proof has no jwk header' };
    if ('d' in jwk || 'k' in jwk || 'p' in jwk) return { ok: false, description: 'the DPoP proof jwk must be a public key' };
  } catch {
    return { ok: false, description: 'the DPoP proof is not a JWT' };
  }
  let payload;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      algorithms: [...DPOP_ALGS],
      typ: 'dpop+jwt',
      currentDate: check.now,
    }));
  } catch {
    return { ok: false, description: 'the DPoP proof signature does not verify with its jwk' };
  }
  const { jti, htm, htu, iat, ath } = payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > JTI_CHARS_MAX) return { ok: false, description: 'the DPoP proof needs a jti' };
  if (htm !== check.method) return { ok: false, description: `the DPoP proof's htm must be ${check.method}` };
  if (typeof htu !== 'string' || normaliseHtu(htu) !== normaliseHtu(check.htu)) {
    return { ok: false, description: `the DPoP proof's htu must be ${check.htu}` };
  }
  const now_s = check.now.getTime() / 1000;
  if (typeof iat !== 'number' || iat < now_s - DPOP_IAT_PAST_S || iat > now_s + DPOP_IAT_FUTURE_S) {
    return { ok: false, description: `the DPoP proof's iat must be within ${DPOP_IAT_PAST_S} s before and ${DPOP_IAT_FUTURE_S} s after the server's time` };
  }
  if (check.access_token !== undefined) {
    if (ath !== accessTokenHash(check.access_token)) return { ok: false, description: "the DPoP proof's ath does not match the access token" };
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (!check.replay.use(`${jkt}:${jti}`, check.now.getTime())) return { ok: false, description: 'the DPoP proof was already used (jti replay)' };
  return { ok: true, jkt };
}
