/**
 * Webhook signatures: `Capillary-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is inside the signed text, so a captured request cannot be replayed later
 * with a fresh timestamp, and a receiver refuses timestamps outside its tolerance. Several
 * `v1=` values may appear (for a while after a secret rotation, one per live secret, the
 * current one first); one match is enough.
 * No I/O and no hidden clock: the SDK reuses this file's logic as it is.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Capillary-Signature';
export const DEFAULT_TOLERANCE_S = 300;
const HEADER_BYTES_MAX = 4096;

const toBytes = (body: string | Uint8Array): Buffer => (typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body));

/** The hex HMAC-SHA256 of "<t>.<body>" under `secret`. */
export function signatureOf(secret: string, body: string | Uint8Array, t: number): string {
  return createHmac('sha256', secret).update(`${t}.`).update(toBytes(body)).digest('hex');
}

/** The header value for `body` sent at unix second `t`: one `v1=` per secret, in the order given. */
export function signWebhook(secrets: string | readonly string[], body: string | Uint8Array, t: number): string {
  if (!Number.isSafeInteger(t) || t < 0) throw new Error(`t must be whole unix seconds, got ${t}`);
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0) throw new Error('no webhook secret to sign with');
  if (list.some((s) => s.length === 0)) throw new Error('a webhook secret is empty');
  return `t=${t}${list.map((s) => `,v1=${signatureOf(s, body, t)}`).join('')}`;
}

/**
 * The secrets a delivery sent at `at` is signed with: the current one first, then the one the
 * last rotation replaced while it is still live (`at` before `previous_until`).
 */
export function signingSecrets(current: string, previous: string | null, previous_until: Date | null, at: Date): string[] {
  const previous_live = previous !== null && previous_until !== null && at.getTime() < previous_until.getTime();
  return previous_live ? [current, previous] : [current];
}

export type VerifyResult =
  | { ok: true; t: number }
  | { ok: false; reason: 'malformed_header' | 'timestamp_outside_tolerance' | 'signature_mismatch' };

export interface VerifyOptions {
  /** How far (either way) the signed time may be from `now`. */
  tolerance_s?: number;
  now?: Date;
}

/** Parses `t=…,v1=…[,v1=…]`; unknown keys (future schemes) are ignored. */
export function parseSignatureHeader(header: string): { t: number; v1: string[] } | undefined {
  if (header.length > HEADER_BYTES_MAX) return undefined;
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined || !/^[0-9]{1,12}$/.test(value)) return undefined;
      t = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return undefined;
      v1.push(value);
    }
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

/**
 * Checks a received webhook: the raw body exactly as it arrived (before any JSON parsing),
 * the `Capillary-Signature` header, and the shared secret. Constant-time comparison.
 */
export function verifyWebhook(secret: string, body: string | Uint8Array, header: string | undefined | null, options: VerifyOptions = {}): VerifyResult {
  const parsed = header ? parseSignatureHeader(header) : undefined;
  if (!parsed) return { ok: false, reason: 'malformed_header' };
  const tolerance_s = options.tolerance_s ?? DEFAULT_TOLERANCE_S;
  const now_s = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now_s - parsed.t) > tolerance_s) return { ok: false, reason: 'timestamp_outside_tolerance' };
  const expected = Buffer.from(signatureOf(secret, body, parsed.t), 'hex');
  // Every candidate is compared (no early exit), so timing does not tell which one matched.
  let matched = false;
  for (const candidate of parsed.v1) {
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
  }
  return matched ? { ok: true, t: parsed.t } : { ok: false, reason: 'signature_mismatch' };
}
