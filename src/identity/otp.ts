/**
 * One-time codes: 6 digits, 5 minutes, 5 attempts, by SMS. A sign-in code can be asked
 * for any phone and the answer is the same whether or not it belongs to a customer (a row
 * is kept either way; nothing is sent to an unknown phone). A step-up code is issued after
 * a passkey sign-in the risk engine questioned, bound to that customer and device.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import {
  OTP_ATTEMPTS_MAX,
  OTP_LIFETIME_MS,
  OTP_STARTS_PER_IP_MAX,
  OTP_STARTS_PER_PHONE_MAX,
  OTP_START_WINDOW_MS,
  hashOtp,
  maskPhone,
  otpCodeFrom,
  otpMatches,
} from './core.js';
import type { OtpDelivery } from './otp-delivery.js';
import * as store from './store.js';

export interface VerifiedOtp {
  customer_id: string;
  purpose: 'sign_in' | 'step_up';
}

export class Otps {
  constructor(private readonly db: Db, private readonly clock: Clock, readonly delivery: OtpDelivery) {}

  async startSignIn(phone: string, ip: string): Promise<{ otp_id: string; expires_at: string }> {
    const now = this.clock.now();
    const recent = await store.recentOtpStarts(this.db, phone, ip, new Date(now.getTime() - OTP_START_WINDOW_MS));
    if (recent.phone >= OTP_STARTS_PER_PHONE_MAX || recent.ip >= OTP_STARTS_PER_IP_MAX) {
      throw new ProblemError('rate_limited', 'too many one-time codes asked for; wait a few minutes', { retry_after_s: OTP_START_WINDOW_MS / 1000 });
    }
    const customer_id = (await store.findCustomerIdByPhone(this.db, phone)) ?? null;
    return this.issue({ phone, customer_id, purpose: 'sign_in', device_id: null, ip }, now);
  }

  async startStepUp(customer_id: string, device_id: string, ip: string): Promise<{ otp_id: string; phone_masked: string; expires_at: string }> {
    const phone = await store.customerPhone(this.db, customer_id);
    if (!phone) throw new ProblemError('sign_in_refused', 'this sign-in needs a one-time code and the customer has no phone number on file');
    const issued = await this.issue({ phone, customer_id, purpose: 'step_up', device_id, ip }, this.clock.now());
    return { ...issued, phone_masked: maskPhone(phone) };
  }

  private async issue(
    o: { phone: string; customer_id: string | null; purpose: 'sign_in' | 'step_up'; device_id: string | null; ip: string },
    now: Date,
  ): Promise<{ otp_id: string; expires_at: string }> {
    const id = randomUUID();
    const code = otpCodeFrom(randomBytes);
    const expires_at = new Date(now.getTime() + OTP_LIFETIME_MS);
    await store.insertOtp(this.db, { id, phone: o.phone, customer_id: o.customer_id, purpose: o.purpose, code_hash: hashOtp(id, code), device_id: o.device_id, expires_at, ip: o.ip }, now);
    if (o.customer_id) await this.delivery.send({ otp_id: id, phone: o.phone, code, purpose: o.purpose, expires_at });
    return { otp_id: id, expires_at: expires_at.toISOString() };
  }

  /** Checks a code; every failure costs one of the challenge's attempts. */
  async verify(otp_id: string, code: string, device_id: string): Promise<VerifiedOtp> {
    const otp = await store.takeOtpAttempt(this.db, otp_id);
    if (!otp || otp.consumed_at) throw new ProblemError('otp_invalid', 'the code is wrong or was already used', { field: 'code' });
    if (otp.attempts >= OTP_ATTEMPTS_MAX) throw new ProblemError('otp_locked', 'too many wrong codes: ask for a new one');
    if (otp.expires_at <= this.clock.now()) throw new ProblemError('otp_expired', 'the code has expired: ask for a new one');
    const matches = otpMatches(otp.id, code, otp.code_hash);
    // A step-up code finishes the sign-in only on the device that started it.
    const rightDevice = otp.purpose === 'sign_in' || otp.device_id === device_id;
    if (!matches || !rightDevice || !otp.customer_id) {
      const left = OTP_ATTEMPTS_MAX - otp.attempts - 1;
      throw new ProblemError('otp_invalid', `the code is wrong; ${left} attempt${left === 1 ? '' : 's'} left`, { field: 'code' });
    }
    if (!(await store.consumeOtp(this.db, otp.id, this.clock.now()))) throw new ProblemError('otp_invalid', 'the code was already used', { field: 'code' });
    return { customer_id: otp.customer_id, purpose: otp.purpose };
  }
}
