/**
 * Webhook verification for receivers. The bank signs every delivery:
 *
 *   Capillary-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * Verify with the raw body exactly as received (before JSON parsing), the header, and the
 * app's webhook secret; refuse timestamps too far from now (replays). Several v1= values may
 * be present while a secret is rotated; one match is enough. Comparison is constant-time.
 * Deliveries are at least once: de-duplicate on the event id (`Capillary-Event-Id`, also the
 * body's `id`).
 *
 * Standalone on purpose (no import from the server): the same scheme as the server's
 * src/events/webhook-signature.ts, which sdk/test/webhooks.test.ts checks against.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CapillaryError } from './errors.js';

export const SIGNATURE_HEADER = 'capillary-signature';
export const EVENT_ID_HEADER = 'capillary-event-id';
export const EVENT_TOPIC_HEADER = 'capillary-event-topic';
export const DEFAULT_TOLERANCE_SECONDS = 300;
const HEADER_CHARS_MAX = 4096;

export interface VerifyWebhookOptions {
  /** How far (either way) the signed time may be from now (default 300 s). */
  toleranceSeconds?: number;
  /** Now (default: the system clock). */
  now?: Date | number;
}

export type WebhookVerification =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'malformed_header' | 'timestamp_outside_tolerance' | 'signature_mismatch' };

const toBuffer = (body: string | Uint8Array): Buffer => (typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength));

function parseHeader(header: string): { t: number; v1: string[] } | undefined {
  if (header.length > HEADER_CHARS_MAX) return undefined;
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
    } // other keys: future schemes, ignored
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

/** Checks a webhook's signature. */
export function verifyWebhook(secret: string, rawBody: string | Uint8Array, signatureHeader: string | null | undefined, options: VerifyWebhookOptions = {}): WebhookVerification {
  const parsed = signatureHeader ? parseHeader(signatureHeader) : undefined;
  if (!parsed) return { ok: false, reason: 'malformed_header' };
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now_ms = options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
  if (Math.abs(Math.floor(now_ms / 1000) - parsed.t) > tolerance) return { ok: false, reason: 'timestamp_outside_tolerance' };
  const expected = createHmac('sha256', secret).update(`${parsed.t}.`).update(toBuffer(rawBody)).digest();
  let matched = false;
  for (const candidate of parsed.v1) {
    // Every candidate is compared (no early exit): timing tells nothing about which matched.
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
  }
  return matched ? { ok: true, timestamp: parsed.t } : { ok: false, reason: 'signature_mismatch' };
}

/** An event as a webhook body carries it. */
export interface WebhookEvent<D = unknown> {
  /** The event id: de-duplicate on it. */
  id: string;
  /** `<domain>.<entity>.<verb>`, e.g. openbanking.payment.completed. */
  topic: string;
  created_at: string;
  data: D;
}

/** The data of the payment events (openbanking.payment.completed / .rejected). */
export interface PaymentEventData {
  payment_id: string;
  consent_id: string;
  /** completed | rejected */
  status: string;
  amount_minor: string;
  currency: string;
  creditor_account_id: string;
  reference: string | null;
  /** rejected: why (exceeds_credits, risk_blocked, …) */
  reason_code?: string;
  [field: string]: unknown;
}

export class WebhookSignatureError extends CapillaryError {
  override name = 'WebhookSignatureError';
  constructor(readonly reason: Exclude<WebhookVerification, { ok: true }>['reason']) {
    super(`webhook refused: ${reason}`);
  }
}

/** Verifies, then parses the body: the event, or a WebhookSignatureError. */
export function parseWebhook<D = unknown>(secret: string, rawBody: string | Uint8Array, signatureHeader: string | null | undefined, options: VerifyWebhookOptions = {}): WebhookEvent<D> {
  const verified = verifyWebhook(secret, rawBody, signatureHeader, options);
  if (!verified.ok) throw new WebhookSignatureError(verified.reason);
  return JSON.parse(typeof rawBody === 'string' ? rawBody : toBuffer(rawBody).toString('utf8')) as WebhookEvent<D>;
}
