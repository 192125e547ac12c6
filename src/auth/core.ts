/**
 * API keys: `cap_<prefix>_<secret>`. The prefix finds the row; only a SHA-256 of the
 * secret is stored (the secret is 256 random bits, so a fast hash is enough; a slow
 * password hash would add latency to every request without adding safety).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCOPES = ['ledger:read', 'ledger:write', 'ledger:freeze', 'envelopes:read', 'envelopes:write', 'risk:decide', 'risk:read', 'risk:cases', 'risk:admin', 'lending:read', 'lending:apply', 'lending:repay', 'lending:admin', 'openbanking:admin', 'metrics:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'ledger:read': 'read accounts, transfers, balances and statements',
  'ledger:write': 'create accounts and transfers',
  'ledger:freeze': 'freeze and unfreeze accounts (closing one needs admin)',
  'envelopes:read': 'read red envelopes, their grabs, a customer\'s sent and received envelopes, and customer groups',
  'envelopes:write': 'create red envelopes, grab shares, and save customer groups',
  'risk:decide': 'ask the risk engine for decisions',
  'risk:read': 'read decisions, rule sets, deployments, lists, models and transfer policies',
  'risk:cases': 'work review cases: list, read, assign, comment, approve, reject',
  'risk:admin': 'save and publish rule sets, deploy models, edit lists and transfer policies',
  'lending:read': 'read loan products, applications and their decisions, loans, schedules, statements and payoff quotes',
  'lending:apply': 'apply for loans and accept offers (the loan is paid out)',
  'lending:repay': 'repay loans and pay them off from the customer\'s account',
  'lending:admin': 'save and retire loan products, review referred applications, restructure and write off loans',
  'openbanking:admin': 'register and manage partner apps, customers and their linked accounts, see or revoke consents, and see and replay webhook deliveries',
  'metrics:read': 'scrape /metrics',
  admin: 'everything, including API keys, freezing/closing accounts and invariant checks',
};

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: Date;
  revoked_at: Date | null;
  /** Set when the bearer is a staff session token (src/staff): who is acting, in which role. */
  staff?: StaffActor;
}

export interface StaffActor {
  id: string;
  email: string;
  role: string;
}

export interface NewKeyMaterial {
  token: string;
  prefix: string;
  secret_hash: string;
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** `random` is injectable so tests can make keys deterministically. */
export function newKeyMaterial(random: (n: number) => Buffer = randomBytes): NewKeyMaterial {
  const prefix = random(9).toString('base64url');
  const secret = random(32).toString('base64url');
  return { token: `cap_${prefix}_${secret}`, prefix, secret_hash: hashSecret(secret) };
}

const TOKEN_PATTERN = /^cap_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;

export function parseToken(token: string): { prefix: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { prefix: match[1]!, secret: match[2]! } : undefined;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `admin` holds every scope. */
export function grants(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}
