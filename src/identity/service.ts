/**
 * Customer identity assembled: passkeys, one-time codes, sessions and the sign-in decision,
 * wired to the app (the session hook, the start-up warning for the dev inbox).
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../db/port.js';
import type { Ledger } from '../ledger/service.js';
import type { Risk } from '../risk/service.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import type { IdentityConfig } from '../server/config.js';
import { Origins } from './origins.js';
import { devInboxDelivery, webhookDelivery } from './otp-delivery.js';
import { Otps } from './otp.js';
import { Passkeys } from './passkeys.js';
import { Sessions } from './sessions.js';
import { SignIns, type SignInAnswer } from './sign-in.js';
import { signUp } from './signup.js';

export interface IdentityDeps {
  db: Db;
  clock: Clock;
  ledger: Ledger;
  risk: Risk;
  config: IdentityConfig;
  public_url: string | undefined;
}

export class Identity {
  readonly db: Db;
  readonly origins: Origins;
  readonly passkeys: Passkeys;
  readonly otps: Otps;
  readonly sessions: Sessions;
  readonly signIns: SignIns;

  constructor(app: FastifyInstance, private readonly deps: IdentityDeps) {
    this.db = deps.db;
    this.origins = new Origins(app, deps.public_url, deps.config.webauthn_origins);
    const delivery = deps.config.otp_delivery === 'webhook' && deps.config.otp_webhook_url
      ? webhookDelivery(deps.config.otp_webhook_url, app.log)
      : devInboxDelivery(deps.db, deps.clock);
    if (delivery.kind === 'dev-inbox') app.log.warn('OTP_DELIVERY=dev-inbox: one-time codes are readable by admin API keys and sent to no phone (local demos only)');
    this.otps = new Otps(deps.db, deps.clock, delivery);
    this.passkeys = new Passkeys(deps.db, deps.clock, deps.config.webauthn_rp_name);
    const secure = () => (deps.public_url ?? '').startsWith('https:');
    this.sessions = new Sessions(deps.db, deps.clock, secure);
    this.sessions.install(app);
    this.signIns = new SignIns(deps.db, deps.clock, deps.risk, this.sessions, this.otps, app.log);
  }

  async signUp(reply: FastifyReply, flow_id: string, response: RegistrationResponseJSON, device_id: string, ip: string) {
    const registered = await this.passkeys.verifyRegistration(flow_id, response);
    const attempt = { customer_id: registered.customer_id, device_id, method: 'passkey' as const, ip };
    // Asked before the customer exists: the engine learns the device, and a deny-listed device or address is refused.
    if ((await this.signIns.riskOutcome(attempt)) === 'block') throw new ProblemError('sign_in_refused', 'the bank refused this sign-up');
    const customer = await signUp(this.deps.db, this.deps.ledger, registered);
    await this.signIns.record(attempt, 'signed_in');
    return this.signIns.open(reply, customer, attempt);
  }

  async signInWithPasskey(reply: FastifyReply, flow_id: string, response: AuthenticationResponseJSON, device_id: string, ip: string): Promise<SignInAnswer> {
    const customer_id = await this.passkeys.verifyAuthentication(flow_id, response);
    return this.signIns.complete(reply, { customer_id, device_id, method: 'passkey', ip, stepped_up: false });
  }

  async signInWithOtp(reply: FastifyReply, otp_id: string, code: string, device_id: string, ip: string): Promise<SignInAnswer> {
    const otp = await this.otps.verify(otp_id, code, device_id);
    // A step-up finishes a passkey sign-in; a fallback code is a sign-in of its own.
    const method = otp.purpose === 'step_up' ? 'passkey' : 'otp';
    return this.signIns.complete(reply, { customer_id: otp.customer_id, device_id, method, ip, stepped_up: true });
  }
}
