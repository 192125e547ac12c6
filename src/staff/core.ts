/**
 * Staff members and their session tokens: types, validation and token material. Tokens
 * are `ss_<43 base64url chars>` (256 random bits), so a fast SHA-256 is enough to store
 * them; the slow scrypt is for the passwords people choose.
 */
import { randomBytes } from 'node:crypto';
import { hashSecret, type ApiKey } from '../auth/core.js';
import { ROLE_SCOPES, type Role } from './roles.js';

export type StaffStatus = 'active' | 'disabled';

export interface StaffMember {
  id: string;
  email: string;
  display_name: string;
  role: Role;
  status: StaffStatus;
  created_at: Date;
  updated_at: Date;
}

/** A working day: a console left open overnight asks for the password again. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
export const EMAIL_LENGTH_MAX = 254;
export const PASSWORD_LENGTH_MIN = 12;
export const PASSWORD_LENGTH_MAX = 200;
/** Failed sign-ins per email within the window before sign-in answers 429 (counted from the audit log). */
export const SIGN_IN_FAILURES_MAX = 5;
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

const TOKEN_PATTERN = /^ss_[A-Za-z0-9_-]{43}$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function newSessionToken(random: (n: number) => Buffer = randomBytes): { token: string; token_hash: string } {
  const token = `ss_${random(32).toString('base64url')}`;
  return { token, token_hash: hashSecret(token) };
}

/** The stored hash of a well-formed token, or undefined (so a malformed one never reaches SQL). */
export function sessionTokenHash(token: string): string | undefined {
  return TOKEN_PATTERN.test(token) ? hashSecret(token) : undefined;
}

/** Emails compare case-insensitively: stored and looked up lower-cased and trimmed. */
export function normaliseEmail(email: string): string | undefined {
  const e = email.trim().toLowerCase();
  return e.length <= EMAIL_LENGTH_MAX && EMAIL_PATTERN.test(e) ? e : undefined;
}

/** A readable one-time password for `staff add`: 20 base64url characters (120 bits). */
export function newPassword(random: (n: number) => Buffer = randomBytes): string {
  return random(15).toString('base64url');
}

/** The principal a staff token authenticates as: ApiKey-shaped, so every scope check applies unchanged. */
export function staffPrincipal(member: Pick<StaffMember, 'id' | 'email' | 'role' | 'created_at'>): ApiKey {
  return {
    id: member.id,
    name: `staff:${member.email}`,
    prefix: 'staff',
    scopes: [...ROLE_SCOPES[member.role]],
    created_at: member.created_at,
    revoked_at: null,
    staff: { id: member.id, email: member.email, role: member.role },
  };
}

export function staffJson(m: StaffMember) {
  return { id: m.id, email: m.email, display_name: m.display_name, role: m.role, status: m.status, created_at: m.created_at.toISOString() };
}
