/**
 * Partner apps (OAuth 2.0 clients): the types and the pure rules for registering them.
 * No I/O here; apps-store.ts reads and writes `partner_apps`.
 */
import { createHash, createPublicKey, randomBytes, timingSafeEqual, type JsonWebKey } from 'node:crypto';
import { PARTNER_SCOPES, type AppMode, type PartnerScope } from './principal.js';

export type TokenEndpointAuthMethod = 'private_key_jwt' | 'client_secret_basic';
export type AppStatus = 'active' | 'disabled';

export interface PartnerApp {
  /** The OAuth client_id. */
  id: string;
  name: string;
  mode: AppMode;
  redirect_uris: string[];
  allowed_scopes: PartnerScope[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** Public keys for private_key_jwt; null for client_secret_basic apps. */
  jwks: { keys: JsonWebKey[] } | null;
  /** SHA-256 (hex) of the client secret; null for private_key_jwt apps. */
  client_secret_hash: string | null;
  webhook_url: string | null;
  /** HMAC key for webhook signatures (kept in clear: needed to sign). Never logged. */
  webhook_secret: string | null;
  /** The webhook secret the last rotation replaced; deliveries are signed with it too until `webhook_secret_previous_until`. Never logged. */
  webhook_secret_previous: string | null;
  webhook_secret_previous_until: Date | null;
  /** FAPI 2.0 sender-constrained tokens: the token endpoint requires a DPoP proof and binds tokens to its key. */
  dpop_bound_access_tokens: boolean;
  status: AppStatus;
  created_at: Date;
  updated_at: Date;
}

export const REDIRECT_URIS_MAX = 20;
export const URI_LENGTH_MAX = 2000;
export const JWKS_KEYS_MAX = 10;
export const APP_NAME_LENGTH_MAX = 200;
/**
 * How long a rotated-out webhook secret keeps signing deliveries (beside the new one), so a
 * receiver has a day to deploy the new secret without refusing a delivery.
 */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3_600_000;

export type Refusal = { ok: false; code: string; detail: string; field?: string };
const refuse = (code: string, detail: string, field?: string): Refusal => (field ? { ok: false, code, detail, field } : { ok: false, code, detail });

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A redirect URI or webhook URL a partner may register: absolute https (http only for a
 * loopback host, for development), no fragment, no credentials, at most 2,000 characters.
 */
export function checkPartnerUrl(value: string, field: string): { ok: true; url: string } | Refusal {
  const code = field.startsWith('redirect_uris') ? 'invalid_redirect_uri' : 'invalid_webhook_url';
  if (value.length === 0 || value.length > URI_LENGTH_MAX) return refuse(code, `at most ${URI_LENGTH_MAX} characters`, field);
  if (value.includes('#')) return refuse(code, 'a URL with a fragment (#) is not allowed', field);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse(code, `${value} is not an absolute URL`, field);
  }
  if (url.username || url.password) return refuse(code, 'a URL with credentials is not allowed', field);
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    return refuse(code, 'http is allowed only for localhost and 127.0.0.1; use https', field);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse(code, `the ${url.protocol} scheme is not allowed; use https`, field);
  // Compared byte for byte at the authorization endpoint, so store what the partner sent.
  return { ok: true, url: value };
}

export function checkRedirectUris(uris: readonly string[]): { ok: true; uris: string[] } | Refusal {
  if (uris.length === 0 || uris.length > REDIRECT_URIS_MAX) {
    return refuse('invalid_redirect_uri', `register 1 to ${REDIRECT_URIS_MAX} redirect URIs`, 'redirect_uris');
  }
  for (const [i, uri] of uris.entries()) {
    const checked = checkPartnerUrl(uri, `redirect_uris[${i}]`);
    if (!checked.ok) return checked;
  }
  return { ok: true, uris: [...new Set(uris)] };
}

export function checkScopes(scopes: readonly string[]): { ok: true; scopes: PartnerScope[] } | Refusal {
  if (scopes.length === 0) return refuse('unknown_partner_scope', 'allow at least one scope', 'allowed_scopes');
  for (const s of scopes) {
    if (!(PARTNER_SCOPES as readonly string[]).includes(s)) {
      return refuse('unknown_partner_scope', `${s} is not a partner scope (known: ${PARTNER_SCOPES.join(', ')})`, 'allowed_scopes');
    }
  }
  return { ok: true, scopes: [...new Set(scopes)] as PartnerScope[] };
}

/** Members that only a private (or symmetric) key has: a registered JWKS must hold none. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;
const KEY_TYPES = new Set(['EC', 'RSA', 'OKP']);

/** Public signing keys only (EC, RSA, OKP), each one that node:crypto can import, kids unique. */
export function checkJwks(jwks: unknown): { ok: true; jwks: { keys: JsonWebKey[] } } | Refusal {
  if (!jwks || typeof jwks !== 'object' || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    return refuse('invalid_jwks', 'jwks must be an object with a keys array', 'jwks');
  }
  const keys = (jwks as { keys: unknown[] }).keys;
  if (keys.length === 0 || keys.length > JWKS_KEYS_MAX) return refuse('invalid_jwks', `jwks must hold 1 to ${JWKS_KEYS_MAX} keys`, 'jwks');
  const kids = new Set<string>();
  for (const [i, key] of keys.entries()) {
    const field = `jwks.keys[${i}]`;
    if (!key || typeof key !== 'object' || Array.isArray(key)) return refuse('invalid_jwks', 'each key must be a JWK object', field);
    const jwk = key as Record<string, unknown>;
    const secret = PRIVATE_MEMBERS.find((m) => m in jwk);
    if (secret) return refuse('invalid_jwks', `key ${i} has the private member "${secret}": register public keys only`, field);
    if (typeof jwk.kty !== 'string' || !KEY_TYPES.has(jwk.kty)) return refuse('invalid_jwks', `key ${i}: kty must be EC, RSA or OKP`, field);
    if (jwk.use !== undefined && jwk.use !== 'sig') return refuse('invalid_jwks', `key ${i}: use must be sig`, field);
    if (keys.length > 1 && typeof jwk.kid !== 'string') return refuse('invalid_jwks', `key ${i}: with several keys each needs a kid`, field);
    if (typeof jwk.kid === 'string') {
      if (kids.has(jwk.kid)) return refuse('invalid_jwks', `key ${i}: kid ${jwk.kid} is used twice`, field);
      kids.add(jwk.kid);
    }
    try {
      const imported = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      if (imported.type !== 'public') return refuse('invalid_jwks', `key ${i} is not a public key`, field);
    } catch {
      return refuse('invalid_jwks', `key ${i} is not a valid ${jwk.kty} public key`, field);
    }
  }
  return { ok: true, jwks: { keys: keys as JsonWebKey[] } };
}

/** A new client_id: `app_` and 128 random bits. */
export function newClientId(random: (n: number) => Buffer = randomBytes): string {
  return `app_${random(16).toString('base64url')}`;
}

/** A client secret (256 random bits); only its SHA-256 is stored, so a fast hash is enough. */
export function newClientSecret(random: (n: number) => Buffer = randomBytes): { secret: string; hash: string } {
  const secret = `cs_${random(32).toString('base64url')}`;
  return { secret, hash: hashClientSecret(secret) };
}

export function newWebhookSecret(random: (n: number) => Buffer = randomBytes): string {
  return `whsec_${random(32).toString('base64url')}`;
}

export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** For client_secret_basic at the token endpoint: constant-time compare of the hashes. */
export function clientSecretMatches(app: Pick<PartnerApp, 'client_secret_hash'>, secret: string): boolean {
  if (!app.client_secret_hash) return false;
  const a = Buffer.from(hashClientSecret(secret), 'hex');
  const b = Buffer.from(app.client_secret_hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface NewAppInput {
  name: string;
  mode: AppMode;
  redirect_uris: string[];
  allowed_scopes: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  jwks?: unknown;
  webhook_url?: string | null | undefined;
  dpop_bound_access_tokens?: boolean | undefined;
}

export interface CheckedApp {
  name: string;
  mode: AppMode;
  redirect_uris: string[];
  allowed_scopes: PartnerScope[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  jwks: { keys: JsonWebKey[] } | null;
  webhook_url: string | null;
  dpop_bound_access_tokens: boolean;
}

/** Registration rules: private_key_jwt apps bring a JWKS; client_secret_basic apps get a secret (and send no JWKS). */
export function checkNewApp(input: NewAppInput): { ok: true; app: CheckedApp } | Refusal {
  const name = input.name.trim();
  if (name.length === 0 || name.length > APP_NAME_LENGTH_MAX) return refuse('invalid_request', `name must be 1 to ${APP_NAME_LENGTH_MAX} characters`, 'name');
  const uris = checkRedirectUris(input.redirect_uris);
  if (!uris.ok) return uris;
  const scopes = checkScopes(input.allowed_scopes);
  if (!scopes.ok) return scopes;
  let jwks: { keys: JsonWebKey[] } | null = null;
  if (input.token_endpoint_auth_method === 'private_key_jwt') {
    if (input.jwks === undefined || input.jwks === null) return refuse('invalid_jwks', 'a private_key_jwt app must register its public keys (jwks)', 'jwks');
    const checked = checkJwks(input.jwks);
    if (!checked.ok) return checked;
    jwks = checked.jwks;
  } else if (input.jwks !== undefined && input.jwks !== null) {
    return refuse('invalid_jwks', 'a client_secret_basic app registers no jwks (it authenticates with its client secret)', 'jwks');
  }
  let webhook_url: string | null = null;
  if (input.webhook_url) {
    const checked = checkPartnerUrl(input.webhook_url, 'webhook_url');
    if (!checked.ok) return checked;
    webhook_url = checked.url;
  }
  return {
    ok: true,
    app: { name, mode: input.mode, redirect_uris: uris.uris, allowed_scopes: scopes.scopes, token_endpoint_auth_method: input.token_endpoint_auth_method, jwks, webhook_url, dpop_bound_access_tokens: input.dpop_bound_access_tokens ?? false },
  };
}
