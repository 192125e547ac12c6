/**
 * Customer identity, the pure parts: input shapes, limits, code and token hashing, and
 * what a risk verdict means for a sign-in. No I/O and no clock: callers pass `now`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** A WebAuthn challenge lives 5 minutes (the browser prompt times out at 2). */
export const FLOW_LIFETIME_MS = 5 * 60_000;
export const PROMPT_TIMEOUT_MS = 120_000;
export const OTP_LIFETIME_MS = 5 * 60_000;
export const OTP_ATTEMPTS_MAX = 5;
export const OTP_DIGITS = 6;
/** otp/start per phone and per client address within the window: enough for a retry, too few to spray SMS. */
export const OTP_STARTS_PER_PHONE_MAX = 3;
export const OTP_STARTS_PER_IP_MAX = 20;
export const OTP_START_WINDOW_MS = 15 * 60_000;
/** A session lasts 12 hours from sign-in (absolute), then the app signs in again. */
export const SESSION_LIFETIME_MS = 12 * 3_600_000;
export const SESSION_COOKIE = 'cap_session';
export const SESSION_TOKEN_PREFIX = 'cs_';
/** The custom header cookie-authenticated writes must carry (a cross-site page cannot send it without a preflight we never grant). */
export const CLIENT_HEADER = 'x-capillary-client';

export const E164 = /^\+[1-9][0-9]{6,14}$/;
/** The app's own per-install id (random, kept in local storage): what the risk engine calls a device. */
export const DEVICE_ID = /^[A-Za-z0-9_-]{8,128}$/;

/** "+8613800000001" → "+86•••••••0001": enough to recognise one's own number. */
export function maskPhone(phone: string): string {
  const tail = phone.slice(-4);
  const head = phone.slice(0, Math.min(3, phone.length - 4));
  return `${head}${'•'.repeat(Math.max(0, phone.length - head.length - 4))}${tail}`;
}

/** A uniformly random decimal code from random bytes (rejection sampling: no modulo bias). */
export function otpCodeFrom(random: (n: number) => Buffer): string {
  const limit = 10 ** OTP_DIGITS;
  const ceiling = Math.floor(0x1_0000_0000 / limit) * limit;
  for (;;) {
    const n = random(4).readUInt32BE(0);
    if (n < ceiling) return String(n % limit).padStart(OTP_DIGITS, '0');
  }
}

/** The stored form of a code, bound to its challenge id so a hash is useless for any other row. */
export function hashOtp(otp_id: string, code: string): string {
  return createHash('sha256').update(`${otp_id}:${code}`).digest('base64url');
}

export function otpMatches(otp_id: string, code: string, stored_hash: string): boolean {
  const a = Buffer.from(hashOtp(otp_id, code));
  const b = Buffer.from(stored_hash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Session tokens are 256 random bits: a fast hash is enough (nothing to brute-force). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export type SignInVerdict = 'signed_in' | 'step_up' | 'refused';

/**
 * The risk engine's answer for a login, as a sign-in outcome. `review` has no one waiting
 * to review a login in real time, so it asks for the second factor like `step_up`.
 * `already_stepped_up`: the customer proved the phone with a one-time code in this sign-in.
 */
export function signInVerdict(outcome: string, already_stepped_up: boolean): SignInVerdict {
  if (outcome === 'block') return 'refused';
  if ((outcome === 'step_up' || outcome === 'review') && !already_stepped_up) return 'step_up';
  return 'signed_in';
}

/** Set-Cookie for the session: HttpOnly so page scripts (and mini-programs) cannot read it. */
export function sessionCookie(token: string, max_age_s: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${Math.max(0, Math.floor(max_age_s))}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
