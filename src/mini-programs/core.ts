/**
 * Mini-programs, the pure rules: what an operator may register for a partner app (slug,
 * name, icon, entry page, bridge scopes, merchant account, connect origins) and what the
 * host's consent sheet turns a getAuthCode request into. No I/O; store.ts keeps the rows.
 */

/** What a mini-program may ask the host for (docs/mini-programs.md, "Bridge"). */
export const BRIDGE_SCOPES = ['auth_code', 'payment', 'location'] as const;
export type BridgeScope = (typeof BRIDGE_SCOPES)[number];

export type MiniProgramStatus = 'live' | 'hidden';

export interface MiniProgram {
  client_id: string;
  slug: string;
  name: string;
  icon: string;
  entry_path: string;
  bridge_scopes: BridgeScope[];
  merchant_account_id: string | null;
  connect_origins: string[];
  status: MiniProgramStatus;
  created_at: Date;
  updated_at: Date;
}

export interface MiniProgramInput {
  slug: string;
  name: string;
  icon: string;
  entry_path: string;
  bridge_scopes: string[];
  merchant_account_id?: string | null | undefined;
  connect_origins?: string[] | undefined;
  status?: MiniProgramStatus | undefined;
}

export type CheckedMiniProgram = Omit<MiniProgram, 'client_id' | 'created_at' | 'updated_at'>;
export type Refusal = { ok: false; code: string; detail: string; field?: string };
const refuse = (detail: string, field: string): Refusal => ({ ok: false, code: 'invalid_mini_program', detail, field });

export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
/** A file path inside the slug's folder: plain segments, no `..`, no query, no scheme. */
const RELATIVE_FILE = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\/){0,4}[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
export const NAME_LENGTH_MAX = 40;
export const CONNECT_ORIGINS_MAX = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function checkFile(value: string, field: string): string | Refusal {
  if (!RELATIVE_FILE.test(value) || value.split('/').some((s) => s === '..' || s === '.')) {
    return refuse(`${field} must be a file path inside the mini-program's folder (letters, digits, . _ - and /; no ..)`, field);
  }
  return value;
}

/** An https origin (http only for a loopback host), exactly scheme://host[:port]. */
export function checkOrigin(value: string, field: string): string | Refusal {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse(`${value} is not an origin`, field);
  }
  if (url.origin !== value) return refuse(`${value} must be an origin only: scheme://host[:port], no path or trailing slash`, field);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return refuse('use https (http only for localhost)', field);
  return value;
}

export function checkMiniProgram(input: MiniProgramInput): { ok: true; value: CheckedMiniProgram } | Refusal {
  const slug = input.slug.trim();
  if (!SLUG.test(slug)) return refuse('slug must be 1 to 40 lower-case letters, digits and inner hyphens', 'slug');
  const name = input.name.trim();
  if (name.length === 0 || name.length > NAME_LENGTH_MAX) return refuse(`name must be 1 to ${NAME_LENGTH_MAX} characters`, 'name');
  const icon = checkFile(input.icon, 'icon');
  if (typeof icon !== 'string') return icon;
  const entry_path = checkFile(input.entry_path, 'entry_path');
  if (typeof entry_path !== 'string') return entry_path;
  const scopes = [...new Set(input.bridge_scopes)];
  const unknown = scopes.find((s) => !(BRIDGE_SCOPES as readonly string[]).includes(s));
  if (unknown !== undefined) return refuse(`${unknown} is not a bridge scope (known: ${BRIDGE_SCOPES.join(', ')})`, 'bridge_scopes');
  const merchant = input.merchant_account_id ?? null;
  if (merchant !== null && !UUID.test(merchant)) return refuse('merchant_account_id must be a ledger account id (uuid)', 'merchant_account_id');
  if (scopes.includes('payment') && merchant === null) return refuse('the payment scope needs merchant_account_id: the account payments go to', 'merchant_account_id');
  const origins = [...new Set(input.connect_origins ?? [])];
  if (origins.length > CONNECT_ORIGINS_MAX) return refuse(`at most ${CONNECT_ORIGINS_MAX} connect origins`, 'connect_origins');
  for (const [i, origin] of origins.entries()) {
    const checked = checkOrigin(origin, `connect_origins[${i}]`);
    if (typeof checked !== 'string') return checked;
  }
  return {
    ok: true,
    value: { slug, name, icon, entry_path, bridge_scopes: scopes as BridgeScope[], merchant_account_id: merchant?.toLowerCase() ?? null, connect_origins: origins, status: input.status ?? 'live' },
  };
}

/**
 * What getAuthCode may ask for, and the consent it becomes: one OAuth scope per request.
 * `accounts` → an account_access consent to read accounts and balances; `funds_confirmation`
 * → a funds_confirmation consent. Either lasts AUTH_CONSENT_DAYS.
 */
export const AUTH_CODE_SCOPES = ['accounts', 'funds_confirmation'] as const;
export type AuthCodeScope = (typeof AUTH_CODE_SCOPES)[number];
export const AUTH_CONSENT_DAYS = 90;

export function consentForScope(scope: AuthCodeScope, now: Date): { kind: 'account_access' | 'funds_confirmation'; permissions: string[]; expires_at: Date } {
  const expires_at = new Date(now.getTime() + AUTH_CONSENT_DAYS * 86_400_000);
  return scope === 'accounts'
    ? { kind: 'account_access', permissions: ['accounts:read', 'balances:read'], expires_at }
    : { kind: 'funds_confirmation', permissions: ['funds:confirm'], expires_at };
}

/** The Content-Security-Policy of a mini-program's files (served by src/server/mini-program-static.ts). */
export function miniProgramCsp(connect_origins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect_origins.length > 0 ? connect_origins.join(' ') : "'none'"}`,
    "form-action 'none'",
    "base-uri 'none'",
    "object-src 'none'",
    // Only the app may frame it; and even opened on its own it runs in an opaque origin.
    "frame-ancestors 'self'",
    'sandbox allow-scripts allow-forms',
  ].join('; ');
}
