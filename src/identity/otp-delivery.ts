/**
 * How one-time codes reach the customer's phone (config OTP_DELIVERY):
 *  - `dev-inbox`: stored for GET /v1/identity/dev/otp-inbox (admin key) — local demos and tests;
 *  - `webhook`: POSTed as JSON {phone, code, purpose, otp_id, expires_at} to OTP_WEBHOOK_URL,
 *    an SMS gateway the bank runs. Sent in the background so a known phone answers as fast
 *    as an unknown one; a failure is logged (without the code).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { putDevInbox } from './store.js';

export interface OtpMessage {
  otp_id: string;
  phone: string;
  code: string;
  purpose: 'sign_in' | 'step_up';
  expires_at: Date;
}

export interface OtpDelivery {
  readonly kind: 'dev-inbox' | 'webhook';
  send(message: OtpMessage): Promise<void>;
}

export const WEBHOOK_TIMEOUT_MS = 5_000;

export function devInboxDelivery(db: Db, clock: Clock): OtpDelivery {
  return { kind: 'dev-inbox', send: (m) => putDevInbox(db, m.otp_id, m.phone, m.code, clock.now()) };
}

export function webhookDelivery(url: string, log: FastifyBaseLogger): OtpDelivery {
  return {
    kind: 'webhook',
    async send(m) {
      const body = JSON.stringify({ otp_id: m.otp_id, phone: m.phone, code: m.code, purpose: m.purpose, expires_at: m.expires_at.toISOString() });
      void fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS), redirect: 'error' })
        .then((res) => {
          if (!res.ok) log.warn({ otp_id: m.otp_id, status: res.status }, 'OTP webhook answered with an error status');
        })
        .catch((err: unknown) => log.warn({ otp_id: m.otp_id, err: String(err) }, 'OTP webhook delivery failed'));
    },
  };
}
