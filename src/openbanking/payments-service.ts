/**
 * Payment initiation: reserve the amount against the consent's limit and store the payment
 * as pending (one transaction), move the money as one ledger transfer (so the risk gate
 * applies), then complete or reject the payment (status, reservation release and outbox
 * event in one transaction). A payment left pending by a crash is settled from its transfer:
 * looked up, or submitted again with the same id (the ledger's idempotency keeps it once).
 */
import type { Db } from '../db/port.js';
import type { Ledger } from '../ledger/service.js';
import { OverloadedError } from '../ledger/writer.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import { findApp } from './apps-store.js';
import { checkPaymentTerms, effectiveStatus, type Consent, type Refusal } from './consents.js';
import { getConsent } from './consents-store.js';
import { accountMode } from './customers-store.js';
import { PAYMENT_SETTLE_GRACE_MS, paymentTransfer, paymentTransferId, samePaymentRequest, settlementOfTransfer, type Payment } from './payments.js';
import { finishPayment, getPayment, insertPayment, markHeld, reserveOnConsent, stalePendingPayments, withdrawPayment } from './payments-store.js';
import type { PartnerPrincipal } from './principal.js';
import { magicOutcome } from './sandbox.js';

export interface PaymentRequest {
  id: string;
  creditor_account_id: string;
  amount_minor: bigint;
  currency: string;
  reference: string | null;
}

export type InitiateOutcome = { ok: true; payment: Payment; replayed: boolean } | Refusal;

export const SWEEP_BATCH = 100;

export class Payments {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
  ) {}

  /** `consent` has passed the access check (authorised, payments:create, the customer's). */
  async initiate(principal: PartnerPrincipal, consent: Consent, req: PaymentRequest): Promise<InitiateOutcome> {
    const id = req.id.toLowerCase();
    const creditor = req.creditor_account_id.toLowerCase();
    const request = { client_id: principal.client_id, consent_id: consent.id, creditor_account_id: creditor, amount_minor: req.amount_minor, currency: req.currency, reference: req.reference };
    const existing = await getPayment(this.db, id);
    if (existing) return this.replay(existing, request);

    const terms = checkPaymentTerms(consent, { amount_minor: req.amount_minor, currency: req.currency, creditor_account_id: creditor });
    if (!terms.ok) return terms;
    const debtor = consent.account_ids[0]!;
    if (creditor === debtor) return { ok: false, code: 'accounts_must_be_different', detail: 'the creditor is the debtor account', field: 'creditor_account_id' };
    const creditorAccount = await this.ledger.getAccount(creditor);
    // Money never crosses between sandbox and live: to the other mode the account does not exist.
    if (!creditorAccount || (await accountMode(this.db, creditor)) !== principal.mode) {
      return { ok: false, code: 'account_not_found', detail: `no account ${creditor}`, field: 'creditor_account_id' };
    }
    if (creditorAccount.currency !== req.currency) {
      return { ok: false, code: 'currency_mismatch', detail: `the creditor account is in ${creditorAccount.currency}`, field: 'creditor_account_id' };
    }

    const magic = magicOutcome(principal.mode, req.amount_minor);
    if (magic?.kind === 'unavailable') {
      throw new ProblemError('unavailable', 'sandbox: amount 503 simulates the bank being unavailable; nothing was stored, retry', { retry_after_s: 1 });
    }

    const now = this.clock.now();
    const reserved = await this.db.transaction(async (tx) => {
      if (!(await reserveOnConsent(tx, consent.id, req.amount_minor, now))) return { ok: false as const };
      const payment = await insertPayment(tx, {
        id,
        consent_id: consent.id,
        client_id: principal.client_id,
        customer_id: consent.customer_id!,
        debtor_account_id: debtor,
        creditor_account_id: creditor,
        amount_minor: req.amount_minor,
        currency: req.currency,
        reference: req.reference,
        transfer_id: paymentTransferId(id),
        created_at: now,
      });
      if (!payment) throw new SameIdRace();
      return { ok: true as const, payment };
    }).catch(async (err: unknown) => {
      if (!(err instanceof SameIdRace)) throw err;
      return { ok: 'race' as const };
    });
    if (reserved.ok === 'race') {
      const raced = await getPayment(this.db, id);
      if (!raced) throw new Error(`payment ${id} collided on insert but is not there`);
      return this.replay(raced, request);
    }
    if (!reserved.ok) return this.whyNotReserved(consent.id, req.amount_minor);

    if (magic?.kind === 'reject') {
      const payment = await this.db.transaction((tx) => finishPayment(tx, { id, status: 'rejected', reason_code: magic.code, now: this.clock.now() }));
      return { ok: true, payment, replayed: false };
    }
    return { ok: true, payment: await this.execute(reserved.payment), replayed: false };
  }

  /** Submits the payment's transfer and settles the payment from the result. */
  private async execute(payment: Payment): Promise<Payment> {
    let results;
    try {
      results = await this.ledger.submitTransfers([paymentTransfer(payment)]);
    } catch (err) {
      // The queue refused it before taking it: the transfer will never exist, so undo the payment.
      if (err instanceof OverloadedError) await this.db.transaction((tx) => withdrawPayment(tx, payment.id));
      throw err; // anything else: it stays pending and the sweep (or a read) settles it from its transfer
    }
    const result = results[0]!;
    const now = this.clock.now();
    if (!result.ok) {
      return this.db.transaction((tx) => finishPayment(tx, { id: payment.id, status: 'rejected', reason_code: result.code, now }));
    }
    const settled = settlementOfTransfer({ flags: result.transfer.flags, pending_state: hasPendingFlag(result.transfer.flags) ? 'pending' : null });
    return this.apply(payment, settled, now);
  }

  private async apply(payment: Payment, settled: ReturnType<typeof settlementOfTransfer>, now: Date): Promise<Payment> {
    if (settled.status === 'pending') {
      await this.db.transaction((tx) => markHeld(tx, payment.id, now));
      return { ...payment, reason_code: 'risk_review', updated_at: now };
    }
    return this.db.transaction((tx) =>
      finishPayment(tx, { id: payment.id, status: settled.status, reason_code: settled.status === 'rejected' ? settled.reason_code : null, now }),
    );
  }

  /**
   * Brings a pending payment up to date: from its transfer if it exists (completed, or held
   * for review and then posted, voided or expired); if it does not and the payment is older
   * than the grace period, by submitting the same transfer again.
   */
  async settle(payment: Payment): Promise<Payment> {
    if (payment.status !== 'pending') return payment;
    const transfer = await this.ledger.getTransfer(payment.transfer_id);
    const now = this.clock.now();
    if (transfer) {
      const settled = settlementOfTransfer(transfer);
      if (settled.status === 'pending' && payment.reason_code === 'risk_review') return payment;
      return this.apply(payment, settled, now);
    }
    if (now.getTime() - payment.updated_at.getTime() < PAYMENT_SETTLE_GRACE_MS) return payment; // its request may still be running
    const app = await findApp(this.db, payment.client_id);
    const magic = magicOutcome(app?.mode ?? 'live', payment.amount_minor);
    if (magic?.kind === 'reject') return this.db.transaction((tx) => finishPayment(tx, { id: payment.id, status: 'rejected', reason_code: magic.code, now }));
    return this.execute(payment);
  }

  /** One pass of the settling sweep over payments pending longer than the grace period; returns how many changed. */
  async sweep(limit = SWEEP_BATCH): Promise<number> {
    const stale = await stalePendingPayments(this.db, new Date(this.clock.now().getTime() - PAYMENT_SETTLE_GRACE_MS), limit);
    let changed = 0;
    for (const p of stale) {
      try {
        const after = await this.settle(p);
        if (after.status !== 'pending') changed++;
      } catch {
        // Left pending; the next pass tries again (the ledger may be overloaded or stopping).
      }
    }
    return changed;
  }

  /** A payment of this client (another client's payment reads as absent), settled if it was left pending. */
  async get(client_id: string, id: string): Promise<Payment | undefined> {
    const payment = await getPayment(this.db, id);
    if (!payment || payment.client_id !== client_id) return undefined;
    return this.settle(payment);
  }

  private async replay(existing: Payment, request: Parameters<typeof samePaymentRequest>[1]): Promise<InitiateOutcome> {
    if (!samePaymentRequest(existing, request)) {
      return { ok: false, code: 'exists_with_different_fields', detail: 'a payment with this id exists with other fields', field: 'id' };
    }
    return { ok: true, payment: await this.settle(existing), replayed: true };
  }

  /** The reserving UPDATE matched nothing: say precisely why. */
  private async whyNotReserved(consent_id: string, amount_minor: bigint): Promise<Refusal> {
    const now = this.clock.now();
    const consent = await getConsent(this.db, consent_id, now);
    const status = consent ? effectiveStatus(consent, now) : 'revoked';
    if (status === 'revoked') return { ok: false, code: 'consent_revoked', detail: 'the consent was revoked' };
    if (status === 'expired') return { ok: false, code: 'consent_expired', detail: 'the consent has expired' };
    if (status !== 'authorised') return { ok: false, code: 'consent_not_authorised', detail: `the consent is ${status}` };
    const remaining = consent!.amount_limit_minor! - consent!.amount_used_minor;
    return { ok: false, code: 'consent_limit_exceeded', detail: `${amount_minor} is more than the ${remaining} left of the consent's limit of ${consent!.amount_limit_minor}`, field: 'amount_minor' };
  }
}

class SameIdRace extends Error {}

const hasPendingFlag = (flags: number): boolean => (flags & 2) !== 0;
