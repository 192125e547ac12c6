/**
 * Payment initiation: the checks that need no lock (the consent's terms, sandbox magic
 * amounts), the risk gate's screen of the payment's transfer, and then the payment rides the
 * ledger writer's next batch (payment-group.ts): the reservation on the consent, the
 * transfer, the payment row and its outbox event commit together. A payment held for risk
 * review stays pending and is settled from its transfer (when read, or by the sweep) once an
 * analyst posts or voids it, or it expires.
 */
import type { Db } from '../db/port.js';
import type { Ledger } from '../ledger/service.js';
import { TransferFlags } from '../ledger/types.js';
import { OverloadedError } from '../ledger/writer.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import { findApp } from './apps-store.js';
import { checkPaymentTerms, type Consent, type Refusal } from './consents.js';
import { PaymentGroups } from './payment-group.js';
import { PAYMENT_SETTLE_GRACE_MS, paymentTransfer, paymentTransferId, samePaymentRequest, settlementOfCommitted, settlementOfTransfer, type Payment } from './payments.js';
import { finishPayment, getPayment, listPayments, markHeld, stalePendingPayments, withdrawPayment } from './payments-store.js';
import { getConsent } from './consents-store.js';
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
  private readonly groups: PaymentGroups;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
  ) {
    this.groups = new PaymentGroups(ledger.writer);
  }

  /** `consent` has passed the access check (authorised, payments:create, the customer's); its figures may be up to a second old. */
  async initiate(principal: PartnerPrincipal, consent: Consent, req: PaymentRequest): Promise<InitiateOutcome> {
    const id = req.id.toLowerCase();
    const creditor = req.creditor_account_id.toLowerCase();
    const request = { client_id: principal.client_id, consent_id: consent.id, creditor_account_id: creditor, amount_minor: req.amount_minor, currency: req.currency, reference: req.reference };
    const debtor = consent.account_ids[0]!;
    const terms = checkPaymentTerms(consent, { amount_minor: req.amount_minor, currency: req.currency, creditor_account_id: creditor });
    const refusal: Refusal | undefined = !terms.ok
      ? terms
      : creditor === debtor
        ? { ok: false, code: 'accounts_must_be_different', detail: 'the creditor is the debtor account', field: 'creditor_account_id' }
        : undefined;
    const magic = magicOutcome(principal.mode, req.amount_minor);
    if (refusal || magic?.kind === 'unavailable') {
      // A payment made earlier with this id is answered as it is, whatever its consent says now.
      const existing = await getPayment(this.db, id);
      if (existing) return this.replay(existing, request);
      if (refusal) return refusal;
      throw new ProblemError('unavailable', 'sandbox: amount 503 simulates the bank being unavailable; nothing was stored, retry', { retry_after_s: 1 });
    }

    const payment = {
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
      created_at: this.clock.now(),
    };
    const transfer = magic?.kind === 'reject' ? { ok: false as const, code: magic.code } : (await this.ledger.screenTransfers([paymentTransfer(payment)]))[0]!;
    // Twice at most: a payment with the same id earlier in the same group may have been refused (and so not stored).
    for (let attempt = 1; attempt <= 2; attempt++) {
      const outcome = await this.groups.carry({ payment, mode: principal.mode, transfer });
      if (outcome.kind === 'stored') return { ok: true, payment: outcome.payment, replayed: false };
      if (outcome.kind === 'refused') return outcome.refusal;
      const existing = await getPayment(this.db, id);
      if (existing) return this.replay(existing, request);
    }
    throw new Error(`payment ${id} was reported as existing but is not stored`);
  }

  /**
   * Submits a stored pending payment's transfer and settles the payment from the result. Only
   * a payment stored without its transfer needs it: rows written before payments rode the
   * ledger's batch (a crash between the two steps); a payment now commits with its transfer.
   */
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
    return this.apply(payment, result.transfer, settlementOfCommitted(result.transfer), now);
  }

  /** Brings the payment row to what its transfer says. */
  private async apply(payment: Payment, transfer: { flags: number }, settled: ReturnType<typeof settlementOfTransfer>, now: Date): Promise<Payment> {
    if (settled.status === 'pending') {
      await this.db.transaction((tx) => markHeld(tx, payment.id, now));
      return { ...payment, reason_code: 'risk_review', updated_at: now };
    }
    const told_by_transfer = (transfer.flags & TransferFlags.pending) === 0; // completed as it was created: its ledger row tells the event
    return this.db.transaction((tx) =>
      finishPayment(tx, { id: payment.id, status: settled.status, reason_code: settled.status === 'rejected' ? settled.reason_code : null, now, told_by_transfer }),
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
      return this.apply(payment, transfer, settled, now);
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

  /** A page of the payments under one of this client's consents (undefined: no such consent of this client), pending ones settled first. */
  async list(client_id: string, query: { consent_id: string; limit: number; cursor?: string | undefined }): Promise<{ items: Payment[]; next_cursor: string | null } | undefined> {
    const consent = await getConsent(this.db, query.consent_id, this.clock.now());
    if (!consent || consent.client_id !== client_id) return undefined;
    const page = await listPayments(this.db, query);
    return { ...page, items: await Promise.all(page.items.map((p) => this.settle(p))) };
  }

  private async replay(existing: Payment, request: Parameters<typeof samePaymentRequest>[1]): Promise<InitiateOutcome> {
    if (!samePaymentRequest(existing, request)) {
      return { ok: false, code: 'exists_with_different_fields', detail: 'a payment with this id exists with other fields', field: 'id' };
    }
    return { ok: true, payment: await this.settle(existing), replayed: true };
  }
}
