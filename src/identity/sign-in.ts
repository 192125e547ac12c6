/**
 * The end of every sign-in: ask the risk engine about the login, record the attempt in
 * customer_sign_ins, and either open a session, ask for a one-time code (step-up) or refuse.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import type { Risk } from '../risk/service.js';
import { ProblemError } from '../server/problem.js';
import { findCustomer } from '../openbanking/customers-store.js';
import type { Customer } from '../openbanking/customers.js';
import { signInVerdict } from './core.js';
import type { Sessions, IssuedSession } from './sessions.js';
import type { Otps } from './otp.js';
import * as store from './store.js';
import { customerView, type CustomerView } from './views.js';

export interface SignInAttempt {
  customer_id: string;
  device_id: string;
  method: 'passkey' | 'otp';
  ip: string;
  /** The customer proved the phone with a one-time code in this sign-in. */
  stepped_up: boolean;
}

export type SignInAnswer =
  | { customer: CustomerView; session: IssuedSession }
  | { step_up: { otp_id: string; phone_masked: string; expires_at: string } };

export class SignIns {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly risk: Risk,
    private readonly sessions: Sessions,
    private readonly otps: Otps,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The risk engine's outcome for this login; an engine that cannot answer asks for the second factor. */
  async riskOutcome(a: Omit<SignInAttempt, 'stepped_up'>): Promise<string> {
    try {
      const decided = await this.risk.engine.decide(
        { id: randomUUID(), type: 'login', customer_id: a.customer_id, occurred_at: this.clock.now(), device_id: a.device_id, ip: a.ip, channel: 'app', attributes: { method: a.method } },
        { open_case: false },
      );
      return decided.ok ? decided.decision.outcome : 'step_up';
    } catch (err) {
      this.log.error({ err }, 'risk decision for a login failed; asking for a one-time code');
      return 'step_up';
    }
  }

  async complete(reply: FastifyReply, a: SignInAttempt): Promise<SignInAnswer> {
    const customer = await findCustomer(this.db, a.customer_id);
    if (!customer || customer.status !== 'active') throw new ProblemError('sign_in_refused', 'this customer cannot sign in');
    let verdict = signInVerdict(await this.riskOutcome(a), a.stepped_up);
    // The engine learns a device as soon as it is asked about it, so a retry after a step-up
    // would look familiar to it: the step-up stays owed until a code completes it.
    if (verdict === 'signed_in' && !a.stepped_up && (await store.stepUpOwed(this.db, a.customer_id, a.device_id))) verdict = 'step_up';
    await this.record(a, verdict);
    if (verdict === 'refused') throw new ProblemError('sign_in_refused', 'the bank refused this sign-in; contact the bank if this is unexpected');
    if (verdict === 'step_up') return { step_up: await this.otps.startStepUp(customer.id, a.device_id, a.ip) };
    return this.open(reply, customer, a);
  }

  /** Opens the session for a sign-in already decided (a sign-up, or after the checks above). */
  async open(reply: FastifyReply, customer: Customer, a: Pick<SignInAttempt, 'device_id' | 'method'>): Promise<{ customer: CustomerView; session: IssuedSession }> {
    const session = await this.sessions.issue(reply, { customer_id: customer.id, device_id: a.device_id, method: a.method });
    return { customer: customerView(customer, await store.customerPhone(this.db, customer.id)), session };
  }

  record(a: Pick<SignInAttempt, 'customer_id' | 'device_id' | 'method'>, outcome: 'signed_in' | 'step_up' | 'refused'): Promise<void> {
    return store.insertSignIn(this.db, { id: randomUUID(), customer_id: a.customer_id, device_id: a.device_id, method: a.method, outcome }, this.clock.now());
  }
}
